// SPDX-License-Identifier: Apache-2.0
// Unit tests for the update key's policy computations, checks and JSON forms. The
// fixtures come from swtpm (t_update_key): a key the TPM created with the authPolicy
// computed here and certified with TPM2_CertifyCreation, and an authorization the
// TPM accepted for ECDH_ZGen, so the digests here are the TPM's.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <tss2/tss2_mu.h>

#include "tpm_policy.h"
#include "tpmdata.h"
#include "util.h"

#define DIR "common/tests/fixtures/tpm_policy"

static void read_fixture(const char *name, uint8_t **buf, size_t *len)
{
	char path[512];
	gw_error err = { { 0 } };
	int rc;

	assert_int_equal(gw_snprintf(path, sizeof(path), "%s/%s", DIR, name), 0);
	rc = gw_read_file(path, 1024 * 1024, buf, len, &err);
	if (rc)
		fail_msg("reading %s: %s", path, gw_error_msg(&err, rc));
}

static EVP_PKEY *load_key(const char *name)
{
	char path[512];
	gw_error err = { { 0 } };
	EVP_PKEY *k = NULL;

	assert_int_equal(gw_snprintf(path, sizeof(path), "%s/%s", DIR, name), 0);
	if (tpmdata_pkey_load(path, &k, &err))
		fail_msg("loading %s: %s", path, gw_error_msg(&err, GW_E_IO));
	return k;
}

static void load_msg(const char *name, struct tpm_policy_key_msg *m)
{
	gw_error err = { { 0 } };
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	read_fixture(name, &buf, &len);
	rc = tpm_policy_key_msg_parse(buf, len, m, &err);
	free(buf);
	if (rc)
		fail_msg("%s: %s", name, gw_error_msg(&err, rc));
}

static void load_auth(const char *name, struct tpm_policy_auth *a)
{
	gw_error err = { { 0 } };
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	read_fixture(name, &buf, &len);
	rc = tpm_policy_auth_parse(buf, len, a, &err);
	free(buf);
	if (rc)
		fail_msg("%s: %s", name, gw_error_msg(&err, rc));
}

static void assert_msg_has(const gw_error *err, int rc, const char *what)
{
	const char *msg = gw_error_msg(err, rc);

	if (!strstr(msg, what))
		fail_msg("message '%s' does not mention '%s'", msg, what);
}

static void test_gate_ref(void **state)
{
	static const char text[] = "gatewarden update gate v1";
	uint8_t want[32], got[32];

	(void)state;
	SHA256((const unsigned char *)text, strlen(text), want);
	tpm_policy_gate_ref(got);
	assert_memory_equal(got, want, 32);
}

/* The TPM accepted PolicySigned then ZGen with a key whose authPolicy came from
 * here: the fixture key's authPolicy is the digest for its gate key. */
static void test_policy_is_the_tpms(void **state)
{
	struct tpm_policy_key_msg m;
	uint8_t policy[32], other[32];
	TPM2B_PUBLIC tmpl;
	EVP_PKEY *gate = load_key("gate.pub"), *wrong = load_key("other.pub");
	gw_error err = { { 0 } };
	int rc;

	(void)state;
	load_msg("key-msg.json", &m);
	assert_int_equal(tpm_policy_update_key_policy(gate, policy, &err), 0);
	assert_int_equal(m.pub.publicArea.authPolicy.size, 32);
	assert_memory_equal(m.pub.publicArea.authPolicy.buffer, policy, 32);
	assert_int_equal(tpm_policy_check_update_key(&m.pub, policy, &err), 0);

	/* The template is the key, but for its point. */
	tpm_policy_update_key_template(policy, &tmpl);
	tmpl.publicArea.unique = m.pub.publicArea.unique;
	assert_memory_equal(&tmpl.publicArea, &m.pub.publicArea, sizeof(TPMT_PUBLIC));

	/* Another verifier's gate key gives another policy, which the key fails. */
	assert_int_equal(tpm_policy_update_key_policy(wrong, other, &err), 0);
	assert_memory_not_equal(policy, other, 32);
	rc = tpm_policy_check_update_key(&m.pub, other, &err);
	assert_int_equal(rc, GW_E_KEY);
	assert_msg_has(&err, rc, "authPolicy");

	/* An RSA key is no gate key. */
	EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	assert_non_null(rsa);
	assert_int_equal(tpm_policy_update_key_policy(rsa, other, &err), GW_E_KEY);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(gate);
	EVP_PKEY_free(wrong);
}

/* The policyRef is the second extend: another ref, another digest; an empty one
 * still extends (H(digest || "")); over 32 bytes is refused. */
static void test_signed_digest_steps(void **state)
{
	TPM2B_NAME name = { .size = 34 };
	uint8_t a[32], b[32], c[32], buf[32 + 4 + 34], step1[32], want[32];

	(void)state;
	memset(name.name, 0x5a, sizeof(name.name));
	name.name[0] = 0x00;
	name.name[1] = 0x0b;
	assert_int_equal(tpm_policy_signed_digest(&name, NULL, 0, a), 0);
	memset(buf, 0, 32);
	buf[32] = 0x00;
	buf[33] = 0x00;
	buf[34] = 0x01;
	buf[35] = 0x60; /* TPM_CC_PolicySigned */
	memcpy(buf + 36, name.name, 34);
	SHA256(buf, sizeof(buf), step1);
	SHA256(step1, 32, want);
	assert_memory_equal(a, want, 32);
	assert_int_equal(tpm_policy_signed_digest(&name, want, 32, b), 0);
	assert_memory_not_equal(a, b, 32);
	assert_int_equal(tpm_policy_signed_digest(&name, want, 33, c), GW_E_INVAL);
}

static void test_check_update_key_bad(void **state)
{
	struct tpm_policy_key_msg m;
	EVP_PKEY *gate = load_key("gate.pub");
	gw_error err = { { 0 } };
	uint8_t policy[32];
	static const struct {
		const char *what;
		TPMA_OBJECT set, clear;
	} attrs[] = {
		{ "userWithAuth", TPMA_OBJECT_USERWITHAUTH, 0 },
		{ "restricted", TPMA_OBJECT_RESTRICTED, 0 },
		{ "sign", TPMA_OBJECT_SIGN_ENCRYPT, 0 },
		{ "no fixedTPM", 0, TPMA_OBJECT_FIXEDTPM },
		{ "no fixedParent", 0, TPMA_OBJECT_FIXEDPARENT },
		{ "no adminWithPolicy", 0, TPMA_OBJECT_ADMINWITHPOLICY },
		{ "no noDA", 0, TPMA_OBJECT_NODA },
		{ "no sensitiveDataOrigin", 0, TPMA_OBJECT_SENSITIVEDATAORIGIN },
	};

	(void)state;
	load_msg("key-msg.json", &m);
	assert_int_equal(tpm_policy_update_key_policy(gate, policy, &err), 0);
	for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
		TPM2B_PUBLIC p = m.pub;

		p.publicArea.objectAttributes |= attrs[i].set;
		p.publicArea.objectAttributes &= ~attrs[i].clear;
		if (tpm_policy_check_update_key(&p, policy, &err) != GW_E_KEY)
			fail_msg("attributes with %s accepted", attrs[i].what);
	}
	for (int i = 0; i < 7; i++) {
		TPM2B_PUBLIC p = m.pub;
		TPMS_ECC_PARMS *e = &p.publicArea.parameters.eccDetail;
		int rc;

		switch (i) {
		case 0: p.publicArea.type = TPM2_ALG_RSA; break;
		case 1: p.publicArea.nameAlg = TPM2_ALG_SHA384; break;
		case 2: e->curveID = TPM2_ECC_NIST_P384; break;
		case 3: e->scheme.scheme = TPM2_ALG_ECDH; break;
		case 4: e->symmetric.algorithm = TPM2_ALG_AES; break;
		case 5: e->kdf.scheme = TPM2_ALG_KDF1_SP800_56A; break;
		default: p.publicArea.unique.ecc.y.buffer[31] ^= 1; break; /* off the curve */
		}
		rc = tpm_policy_check_update_key(&p, policy, &err);
		if (rc != GW_E_KEY)
			fail_msg("mutation %d accepted (%d)", i, rc);
	}
	EVP_PKEY_free(gate);
}

/* The fixture authorization's cpHash is the one the TPM matched at ZGen. */
static void test_cphash_is_the_tpms(void **state)
{
	struct tpm_policy_key_msg m;
	struct tpm_policy_auth a;
	TPM2B_NAME name;
	uint8_t point[TPM_POLICY_POINT_LEN], cp[32];
	uint8_t *hex = NULL;
	size_t len = 0;
	gw_error err = { { 0 } };

	(void)state;
	load_msg("key-msg.json", &m);
	load_auth("auth.json", &a);
	read_fixture("auth.point", &hex, &len);
	assert_true(len >= 130);
	hex[130] = '\0';
	assert_int_equal(gw_hex_decode_fixed((char *)hex, point, sizeof(point), &err), 0);
	free(hex);
	assert_int_equal(tpm_policy_name(&m.pub.publicArea, &name), 0);
	assert_int_equal(tpm_policy_zgen_cphash(&name, point, cp), 0);
	assert_memory_equal(cp, a.cphash, 32);
	point[64] ^= 1;
	assert_int_equal(tpm_policy_zgen_cphash(&name, point, cp), 0);
	assert_memory_not_equal(cp, a.cphash, 32);
	point[0] = 0x02;
	assert_int_equal(tpm_policy_zgen_cphash(&name, point, cp), GW_E_INVAL);
}

static void test_auth_good(void **state)
{
	struct tpm_policy_auth a, b;
	EVP_PKEY *gate = load_key("gate.pub"), *wrong = load_key("other.pub");
	EVP_PKEY *priv = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	TPMT_SIGNATURE sig;
	uint8_t ref[32];
	json_object *j = NULL;
	const char *text;
	gw_error err = { { 0 } };
	int rc;

	(void)state;
	load_auth("auth.json", &a);
	assert_int_equal(a.expiration, -60);
	assert_int_equal(a.nonce_len, 32);
	tpm_policy_gate_ref(ref);
	assert_memory_equal(a.policy_ref, ref, 32);
	assert_int_equal(tpm_policy_auth_verify(gate, &a, &err), 0);
	rc = tpm_policy_auth_verify(wrong, &a, &err);
	assert_int_equal(rc, GW_E_SIGNATURE);
	assert_int_equal(tpm_policy_auth_tpm_signature(&a, &sig, &err), 0);
	assert_int_equal(sig.sigAlg, TPM2_ALG_ECDSA);
	assert_int_equal(sig.signature.ecdsa.hash, TPM2_ALG_SHA256);

	/* Round trip through JSON. */
	assert_int_equal(tpm_policy_auth_to_json(&a, &j), 0);
	text = json_object_to_json_string(j);
	assert_int_equal(tpm_policy_auth_parse(text, strlen(text), &b, &err), 0);
	assert_memory_equal(&a, &b, sizeof(a));
	json_object_put(j);

	/* Sign afresh; each signed field is covered. A negative expiration (a
	 * ticket the TPM would accept in other sessions) or none is refused. */
	assert_non_null(priv);
	assert_int_equal(tpm_policy_auth_sign(priv, &b, &err), GW_E_INVAL);
	b.expiration = 0;
	assert_int_equal(tpm_policy_auth_sign(priv, &b, &err), GW_E_INVAL);
	b.expiration = 60;
	assert_int_equal(tpm_policy_auth_sign(priv, &b, &err), 0);
	assert_int_equal(tpm_policy_auth_verify(priv, &b, &err), 0);
	for (int i = 0; i < 4; i++) {
		struct tpm_policy_auth c = b;

		switch (i) {
		case 0: c.nonce_tpm[0] ^= 1; break;
		case 1: c.expiration = -61; break;
		case 2: c.cphash[31] ^= 1; break;
		default: c.policy_ref[0] ^= 1; break;
		}
		if (tpm_policy_auth_verify(priv, &c, &err) != GW_E_SIGNATURE)
			fail_msg("authorization with field %d changed verifies", i);
	}
	EVP_PKEY_free(priv);
	EVP_PKEY_free(gate);
	EVP_PKEY_free(wrong);
}

static void test_auth_bad_fixtures(void **state)
{
	static const struct {
		const char *file;
		int code;
		const char *says;
	} bad[] = {
		{ "bad-auth-missing-cphash.json", GW_E_PARSE, "'cphash' is missing" },
		{ "bad-auth-unknown-member.json", GW_E_PARSE, "unknown key 'extra'" },
		{ "bad-auth-cphash-31-bytes.json", GW_E_PARSE, "'cphash' is 31 bytes" },
		{ "bad-auth-policy-ref-33-bytes.json", GW_E_PARSE, "'policy_ref' is 33 bytes" },
		{ "bad-auth-nonce-15-bytes.json", GW_E_PARSE, "'nonce_tpm' is 15 bytes" },
		{ "bad-auth-nonce-65-bytes.json", 0, "'nonce_tpm'" },
		{ "bad-auth-expiration-too-big.json", GW_E_PARSE, "'expiration'" },
		{ "bad-auth-expiration-string.json", GW_E_PARSE, "'expiration'" },
		{ "bad-auth-expiration-fraction.json", GW_E_PARSE, "'expiration'" },
		{ "bad-auth-bad-base64.json", 0, "'cphash'" },
		{ "bad-auth-sig-trailing-byte.json", GW_E_PARSE, "DER" },
		{ "bad-auth-sig-not-der.json", GW_E_PARSE, "DER" },
		{ "bad-auth-sig-nonminimal-int.json", GW_E_PARSE, "DER" },
		{ "bad-auth-sig-zero-r.json", GW_E_PARSE, "DER" },
		{ "bad-auth-duplicate-member.json", GW_E_PARSE, "twice" },
		{ "bad-auth-trailing-data.json", GW_E_TRAILING, "after" },
		{ "bad-auth-not-object.json", GW_E_PARSE, "object" },
		{ "bad-auth-signature-number.json", GW_E_PARSE, "'signature' must be a string" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct tpm_policy_auth a;
		gw_error err = { { 0 } };
		uint8_t *buf = NULL;
		size_t len = 0;
		int rc;

		read_fixture(bad[i].file, &buf, &len);
		rc = tpm_policy_auth_parse(buf, len, &a, &err);
		free(buf);
		if (rc == 0 || (bad[i].code && rc != bad[i].code))
			fail_msg("%s: rc %d, expected %d", bad[i].file, rc, bad[i].code);
		if (!strstr(gw_error_msg(&err, rc), bad[i].says))
			fail_msg("%s: message '%s' does not say '%s'", bad[i].file,
				 gw_error_msg(&err, rc), bad[i].says);
	}
}

static void test_creation_good(void **state)
{
	struct tpm_policy_key_msg m, r;
	EVP_PKEY *ak = load_key("ak.pub"), *gate = load_key("gate.pub");
	gw_error err = { { 0 } };
	json_object *j = NULL;
	TPM2B_ATTEST att;
	const char *text;
	int rc;

	(void)state;
	load_msg("key-msg.json", &m);
	rc = tpm_policy_creation_verify(ak, &m, &err);
	if (rc)
		fail_msg("%s", gw_error_msg(&err, rc));
	/* Not the enrolled AK. */
	assert_int_equal(tpm_policy_creation_verify(gate, &m, &err), GW_E_SIGNATURE);

	/* Round trip through the message's JSON. */
	att.size = (uint16_t)m.attest_len;
	memcpy(att.attestationData, m.attest, m.attest_len);
	assert_int_equal(tpm_policy_key_msg_to_json(&m.pub, &m.creation, &att, &m.sig, &j), 0);
	text = json_object_to_json_string(j);
	assert_int_equal(tpm_policy_key_msg_parse(text, strlen(text), &r, &err), 0);
	assert_int_equal(tpm_policy_creation_verify(ak, &r, &err), 0);
	assert_memory_equal(r.attest, m.attest, m.attest_len);
	json_object_put(j);
	EVP_PKEY_free(ak);
	EVP_PKEY_free(gate);
}

/* Another key, other creation data, a tampered attest: each caught. */
static void test_creation_mixed(void **state)
{
	struct tpm_policy_key_msg a, b, m;
	EVP_PKEY *ak = load_key("ak.pub");
	gw_error err = { { 0 } };
	int rc;

	(void)state;
	load_msg("key-msg.json", &a);
	load_msg("key-msg-b.json", &b);
	assert_int_equal(tpm_policy_creation_verify(ak, &b, &err), 0);

	m = a;
	m.pub = b.pub; /* a's certification offered for b's key */
	rc = tpm_policy_creation_verify(ak, &m, &err);
	assert_int_equal(rc, GW_E_KEY);
	assert_msg_has(&err, rc, "another object");

	/* Both keys' creation data are alike (same parent, no PCRs, no outside
	 * info): the attest's objectName is what names the key. Creation data
	 * changed in its parent's qualified name: */
	m = a;
	m.creation_raw[m.creation_raw_len - 5] ^= 1;
	rc = tpm_policy_creation_verify(ak, &m, &err);
	assert_int_equal(rc, GW_E_KEY);
	assert_msg_has(&err, rc, "creationHash");

	m = a;
	m.attest[m.attest_len - 1] ^= 1;
	assert_int_equal(tpm_policy_creation_verify(ak, &m, &err), GW_E_SIGNATURE);
	EVP_PKEY_free(ak);
}

/* An attest signed by a (software) AK but not a creation certificate, or without
 * the TPM's magic. */
static void test_creation_type_magic(void **state)
{
	struct tpm_policy_key_msg a, m;
	EVP_PKEY *ak = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	gw_error err = { { 0 } };
	TPMS_ATTEST att;
	size_t off = 0;

	(void)state;
	assert_non_null(ak);
	load_msg("key-msg.json", &a);
	assert_int_equal(tpmdata_attest_unmarshal(a.attest, a.attest_len, &att, &err), 0);
	for (int i = 0; i < 3; i++) {
		TPMS_ATTEST t = att;
		int want = i == 0 ? 0 : i == 1 ? GW_E_MAGIC : GW_E_ATTEST_TYPE;

		if (i == 1)
			t.magic ^= 1;
		if (i == 2) {
			t.type = TPM2_ST_ATTEST_CERTIFY; /* same union layout: names */
			t.attested.certify.name = att.attested.creation.objectName;
		}
		m = a;
		off = 0;
		assert_int_equal(Tss2_MU_TPMS_ATTEST_Marshal(&t, m.attest, sizeof(m.attest), &off), 0);
		m.attest_len = off;
		assert_int_equal(tpmdata_sign_ecdsa_sha256(ak, m.attest, off, &m.sig), 0);
		if (tpm_policy_creation_verify(ak, &m, &err) != want)
			fail_msg("case %d: expected %d", i, want);
	}
	/* Signed with SHA-1: refused whatever the bytes say. */
	m = a;
	m.sig.signature.ecdsa.hash = TPM2_ALG_SHA1;
	assert_int_equal(tpm_policy_creation_verify(ak, &m, &err), GW_E_SIGNATURE);
	EVP_PKEY_free(ak);
}

static void test_key_msg_bad_fixtures(void **state)
{
	static const struct {
		const char *file;
		const char *says;
	} bad[] = {
		{ "bad-key-msg-missing-attest.json", "'attest' is missing" },
		{ "bad-key-msg-unknown-member.json", "unknown key 'name'" },
		{ "bad-key-msg-public-truncated.json", "'public'" },
		{ "bad-key-msg-public-trailing.json", "'public'" },
		{ "bad-key-msg-creation-trailing.json", "'creation_data'" },
		{ "bad-key-msg-creation-size-short.json", "'creation_data'" },
		{ "bad-key-msg-signature-trailing.json", "'signature'" },
		{ "bad-key-msg-signature-empty.json", "'signature'" },
		{ "bad-key-msg-trailing-data.json", "data after the JSON object" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct tpm_policy_key_msg m;
		gw_error err = { { 0 } };
		uint8_t *buf = NULL;
		size_t len = 0;
		int rc;

		read_fixture(bad[i].file, &buf, &len);
		rc = tpm_policy_key_msg_parse(buf, len, &m, &err);
		free(buf);
		if (rc == 0)
			fail_msg("%s accepted", bad[i].file);
		if (!strstr(gw_error_msg(&err, rc), bad[i].says))
			fail_msg("%s: message '%s' does not say '%s'", bad[i].file,
				 gw_error_msg(&err, rc), bad[i].says);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gate_ref),
		cmocka_unit_test(test_policy_is_the_tpms),
		cmocka_unit_test(test_signed_digest_steps),
		cmocka_unit_test(test_check_update_key_bad),
		cmocka_unit_test(test_cphash_is_the_tpms),
		cmocka_unit_test(test_auth_good),
		cmocka_unit_test(test_auth_bad_fixtures),
		cmocka_unit_test(test_creation_good),
		cmocka_unit_test(test_creation_mixed),
		cmocka_unit_test(test_creation_type_magic),
		cmocka_unit_test(test_key_msg_bad_fixtures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
