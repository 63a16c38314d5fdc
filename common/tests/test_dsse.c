// SPDX-License-Identifier: Apache-2.0
// Unit tests for DSSE envelopes: PAE, sign/verify round trips, thresholds, and the
// committed bad envelopes, each with its code and the words it must name.
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "dsse.h"
#include "util.h"
#include "fixture_list.h"

#define BAD_DIR "common/tests/fixtures/dsse/bad"
#define TYPE "application/vnd.gatewarden.policy+json"

static const uint8_t payload[] = "{\"model\":\"gw-100\",\"version\":3}";

static EVP_PKEY *gen(bool ed25519)
{
	EVP_PKEY *k = ed25519 ? EVP_PKEY_Q_keygen(NULL, NULL, "ED25519") : EVP_EC_gen("P-256");

	assert_non_null(k);
	return k;
}

static struct dsse_envelope *sign_parse(EVP_PKEY *const *keys, size_t n)
{
	struct dsse_envelope *env = NULL;
	gw_error err = { { 0 } };
	char *json = NULL;
	int rc;

	rc = dsse_sign(TYPE, payload, sizeof(payload) - 1, keys, n, &json, &err);
	if (rc)
		fail_msg("dsse_sign: %s", gw_error_msg(&err, rc));
	rc = dsse_parse((const uint8_t *)json, strlen(json), &env, &err);
	if (rc)
		fail_msg("dsse_parse: %s", gw_error_msg(&err, rc));
	free(json);
	return env;
}

/* The DSSE specification's PAE example, and an empty body. */
static void test_pae(void **state)
{
	static const char want[] = "DSSEv1 29 http://example.com/HelloWorld 11 hello world";
	uint8_t *pae = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(dsse_pae("http://example.com/HelloWorld", (const uint8_t *)"hello world",
				  11, &pae, &len), 0);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(pae, want, len);
	free(pae);
	assert_int_equal(dsse_pae("t", NULL, 0, &pae, &len), 0);
	assert_int_equal(len, 13);
	assert_memory_equal(pae, "DSSEv1 1 t 0 ", len);
	free(pae);
}

static void round_trip(bool ed25519)
{
	EVP_PKEY *key = gen(ed25519);
	struct dsse_envelope *env = NULL, *again = NULL;
	struct dsse_result res;
	gw_error err = { { 0 } };
	char *json = NULL, *text = NULL, id[DSSE_KEYID_LEN];

	assert_int_equal(dsse_sign(TYPE, payload, sizeof(payload) - 1, &key, 1, &json, &err), 0);
	assert_int_equal(dsse_parse((const uint8_t *)json, strlen(json), &env, &err), 0);
	assert_string_equal(env->payload_type, TYPE);
	assert_int_equal(env->payload_len, sizeof(payload) - 1);
	assert_memory_equal(env->payload, payload, env->payload_len);
	assert_int_equal(env->nsigs, 1);
	assert_int_equal(dsse_keyid(key, id), 0);
	assert_int_equal(strlen(id), 64);
	assert_string_equal(env->sigs[0].keyid, id);
	if (ed25519)
		assert_int_equal(env->sigs[0].sig_len, 64);
	assert_int_equal(dsse_verify(env, &key, 1, 1, TYPE, &res, &err), 0);
	assert_int_equal(res.valid, 1);
	assert_true(res.key_signed[0]);
	assert_int_equal(res.status[0], DSSE_SIG_VALID);
	/* What parses formats back to the same text. */
	assert_int_equal(dsse_format(env, &text), 0);
	assert_string_equal(text, json);
	assert_int_equal(dsse_parse((const uint8_t *)text, strlen(text), &again, &err), 0);
	dsse_free(again);
	free(text);
	free(json);
	dsse_free(env);
	EVP_PKEY_free(key);
}

static void test_round_trip_p256(void **state)
{
	(void)state;
	round_trip(false);
}

static void test_round_trip_ed25519(void **state)
{
	(void)state;
	round_trip(true);
}

static void test_threshold(void **state)
{
	EVP_PKEY *keys[3] = { gen(false), gen(true), gen(false) };
	struct dsse_envelope *env = sign_parse(keys, 2);
	struct dsse_result res;
	gw_error err = { { 0 } };

	(void)state;
	assert_int_equal(dsse_verify(env, keys, 3, 2, TYPE, &res, &err), 0);
	assert_int_equal(res.valid, 2);
	assert_true(res.key_signed[0]);
	assert_true(res.key_signed[1]);
	assert_false(res.key_signed[2]);
	assert_int_equal(dsse_verify(env, keys, 3, 3, NULL, &res, &err), GW_E_SIGNATURE);
	assert_string_equal(err.msg, "2 of required 3 signatures valid");
	assert_int_equal(res.valid, 2);
	/* Bad thresholds and key sets are the caller's mistake. */
	assert_int_equal(dsse_verify(env, keys, 3, 0, NULL, &res, &err), GW_E_INVAL);
	assert_int_equal(dsse_verify(env, keys, 3, 4, NULL, &res, &err), GW_E_INVAL);
	{
		EVP_PKEY *twice[2] = { keys[0], keys[0] };
		char *json = NULL;

		assert_int_equal(dsse_verify(env, twice, 2, 1, NULL, &res, &err), GW_E_INVAL);
		assert_non_null(strstr(err.msg, "same as key 1"));
		assert_int_equal(dsse_sign(TYPE, payload, 3, twice, 2, &json, &err), GW_E_INVAL);
		assert_null(json);
	}
	dsse_free(env);
	for (size_t i = 0; i < 3; i++)
		EVP_PKEY_free(keys[i]);
}

/* Two signatures by one key are one signer. */
static void test_duplicate_counts_once(void **state)
{
	EVP_PKEY *keys[2] = { gen(false), gen(true) };
	struct dsse_envelope *env = sign_parse(keys, 1), *other = sign_parse(keys, 1);
	struct dsse_result res;
	gw_error err = { { 0 } };

	(void)state;
	env->sigs[1] = other->sigs[0]; /* moved */
	env->nsigs = 2;
	other->nsigs = 0;
	assert_int_equal(dsse_verify(env, keys, 2, 1, TYPE, &res, &err), 0);
	assert_int_equal(res.status[0], DSSE_SIG_VALID);
	assert_int_equal(res.status[1], DSSE_SIG_DUPLICATE);
	assert_int_equal(dsse_verify(env, keys, 2, 2, TYPE, &res, &err), GW_E_SIGNATURE);
	assert_int_equal(res.valid, 1);
	assert_string_equal(err.msg, "1 of required 2 signatures valid");
	dsse_free(other);
	dsse_free(env);
	EVP_PKEY_free(keys[0]);
	EVP_PKEY_free(keys[1]);
}

/* The same P-256 key written with a compressed point: one keyid, so two files of
 * one key are refused as trusted keys and its signature cannot count twice. */
static void test_compressed_key_same_keyid(void **state)
{
	EVP_PKEY *keys[2] = { gen(false), NULL };
	struct dsse_envelope *env = sign_parse(keys, 1);
	unsigned char *der = NULL;
	const unsigned char *p;
	char id0[DSSE_KEYID_LEN], id1[DSSE_KEYID_LEN];
	struct dsse_result res;
	gw_error err = { { 0 } };
	int len;

	(void)state;
	keys[1] = EVP_PKEY_dup(keys[0]);
	assert_non_null(keys[1]);
	assert_int_equal(EVP_PKEY_set_utf8_string_param(
				 keys[1], OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
				 OSSL_PKEY_EC_POINT_CONVERSION_FORMAT_COMPRESSED), 1);
	len = i2d_PUBKEY(keys[1], &der);
	assert_true(len > 0);
	EVP_PKEY_free(keys[1]);
	p = der;
	keys[1] = d2i_PUBKEY(NULL, &p, len); /* as read from a compressed .pub file */
	assert_non_null(keys[1]);
	assert_int_equal(len, 59); /* 26 bytes of header, 33 of compressed point */
	OPENSSL_free(der);
	assert_int_equal(dsse_keyid(keys[0], id0), 0);
	assert_int_equal(dsse_keyid(keys[1], id1), 0);
	assert_string_equal(id0, id1);
	assert_int_equal(dsse_verify(env, keys, 2, 2, TYPE, &res, &err), GW_E_INVAL);
	assert_string_equal(err.msg, "trusted key 2 is the same as key 1");
	/* The compressed file verifies what the other signed. */
	assert_int_equal(dsse_verify(env, &keys[1], 1, 1, TYPE, &res, &err), 0);
	dsse_free(env);
	EVP_PKEY_free(keys[0]);
	EVP_PKEY_free(keys[1]);
}

/* The same P-256 key with its curve as explicit parameters (openssl ec -param_enc
 * explicit): one keyid, and refused as a trusted key. */
static void test_explicit_params_key(void **state)
{
	EVP_PKEY *keys[2] = { gen(false), NULL };
	unsigned char *der = NULL;
	const unsigned char *p;
	char id0[DSSE_KEYID_LEN], id1[DSSE_KEYID_LEN];
	gw_error err = { { 0 } };
	int len;

	(void)state;
	keys[1] = EVP_PKEY_dup(keys[0]);
	assert_non_null(keys[1]);
	assert_int_equal(EVP_PKEY_set_utf8_string_param(keys[1], OSSL_PKEY_PARAM_EC_ENCODING,
							OSSL_PKEY_EC_ENCODING_EXPLICIT), 1);
	len = i2d_PUBKEY(keys[1], &der);
	assert_true(len > 200); /* the curve's parameters, not its OID */
	EVP_PKEY_free(keys[1]);
	p = der;
	keys[1] = d2i_PUBKEY(NULL, &p, len); /* as read from an explicit .pub file */
	assert_non_null(keys[1]);
	OPENSSL_free(der);
	assert_int_equal(dsse_keyid(keys[0], id0), 0);
	assert_int_equal(dsse_keyid(keys[1], id1), 0);
	assert_string_equal(id0, id1);
	assert_int_equal(dsse_key_check(keys[0], &err), 0);
	assert_int_equal(dsse_key_check(keys[1], &err), GW_E_KEY);
	assert_non_null(strstr(err.msg, "EC key with explicit curve parameters"));
	EVP_PKEY_free(keys[0]);
	EVP_PKEY_free(keys[1]);
}

/* A signature counts only for the key its keyid names; unknown keyids are
 * reported. */
static void test_keyids(void **state)
{
	EVP_PKEY *keys[3] = { gen(false), gen(true), gen(false) };
	struct dsse_envelope *env = sign_parse(keys, 1);
	struct dsse_result res;
	gw_error err = { { 0 } };
	char id[DSSE_KEYID_LEN], want[128];

	(void)state;
	/* Key 0 signed, but the keyid claims key 1. */
	assert_int_equal(dsse_keyid(keys[1], id), 0);
	free(env->sigs[0].keyid);
	env->sigs[0].keyid = strdup(id);
	assert_int_equal(dsse_verify(env, keys, 2, 1, TYPE, &res, &err), GW_E_SIGNATURE);
	assert_int_equal(res.status[0], DSSE_SIG_INVALID);
	assert_int_equal(res.valid, 0);
	assert_int_equal(gw_snprintf(want, sizeof(want),
				     "0 of required 1 signatures valid (key %.4s\xe2\x80\xa6 invalid "
				     "signature)", id), 0);
	assert_string_equal(err.msg, want);
	dsse_free(env);

	/* Signed by key 2, which is not trusted. */
	env = sign_parse(&keys[2], 1);
	assert_int_equal(dsse_keyid(keys[2], id), 0);
	assert_int_equal(dsse_verify(env, keys, 2, 1, TYPE, &res, &err), GW_E_SIGNATURE);
	assert_int_equal(res.status[0], DSSE_SIG_UNKNOWN_KEY);
	assert_int_equal(gw_snprintf(want, sizeof(want),
				     "0 of required 1 signatures valid (key %.4s\xe2\x80\xa6 unknown)",
				     id), 0);
	assert_string_equal(err.msg, want);
	dsse_free(env);
	for (size_t i = 0; i < 3; i++)
		EVP_PKEY_free(keys[i]);
}

static void test_tampered(void **state)
{
	EVP_PKEY *keys[2] = { gen(false), gen(true) };
	struct dsse_envelope *env = sign_parse(keys, 2);
	struct dsse_result res;
	gw_error err = { { 0 } };
	char *type;

	(void)state;
	env->payload[0] ^= 1;
	assert_int_equal(dsse_verify(env, keys, 2, 1, NULL, &res, &err), GW_E_SIGNATURE);
	assert_int_equal(res.status[0], DSSE_SIG_INVALID);
	assert_int_equal(res.status[1], DSSE_SIG_INVALID);
	env->payload[0] ^= 1;
	assert_int_equal(dsse_verify(env, keys, 2, 2, NULL, &res, &err), 0);

	/* The type is signed too: a changed type fails even when none is expected. */
	type = env->payload_type;
	env->payload_type = strdup("application/vnd.gatewarden.manifest+json");
	assert_int_equal(dsse_verify(env, keys, 2, 1, NULL, &res, &err), GW_E_SIGNATURE);
	assert_non_null(strstr(err.msg, "0 of required 1 signatures valid (key "));
	assert_non_null(strstr(err.msg, "invalid signature"));
	free(env->payload_type);
	env->payload_type = type;
	assert_int_equal(dsse_verify(env, keys, 2, 2, TYPE, &res, &err), 0);

	/* Signed, but not the type the caller expects. */
	assert_int_equal(dsse_verify(env, keys, 2, 1, "application/vnd.gatewarden.root+json",
				     &res, &err), GW_E_PARSE);
	assert_non_null(strstr(err.msg, "payload type"));
	dsse_free(env);
	EVP_PKEY_free(keys[0]);
	EVP_PKEY_free(keys[1]);
}

/* Only ECDSA P-256 and Ed25519 sign or verify. */
static void test_key_kinds(void **state)
{
	EVP_PKEY *p384 = EVP_EC_gen("P-384"), *rsa = EVP_RSA_gen(2048), *good = gen(false);
	struct dsse_envelope *env = sign_parse(&good, 1);
	gw_error err = { { 0 } };
	char *json = NULL;

	(void)state;
	assert_non_null(p384);
	assert_non_null(rsa);
	assert_int_equal(dsse_key_check(p384, &err), GW_E_KEY);
	assert_non_null(strstr(err.msg, "not P-256"));
	assert_int_equal(dsse_key_check(rsa, &err), GW_E_KEY);
	assert_int_equal(dsse_sign(TYPE, payload, 3, &rsa, 1, &json, &err), GW_E_KEY);
	assert_null(json);
	assert_int_equal(dsse_verify(env, &p384, 1, 1, NULL, NULL, &err), GW_E_KEY);
	assert_non_null(strstr(err.msg, "trusted key 1: "));
	dsse_free(env);
	EVP_PKEY_free(p384);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(good);
}

struct bad_case {
	const char *name;
	int code;
	const char *msg;
};

static const struct bad_case bad_cases[] = {
	{ "not-json", GW_E_PARSE, "not valid JSON" },
	{ "empty", GW_E_PARSE, "not valid JSON" },
	{ "comment", GW_E_PARSE, "not valid JSON" },
	{ "trailing-comma", GW_E_PARSE, "not valid JSON" },
	{ "bad-utf8", GW_E_PARSE, "not valid JSON" },
	{ "too-deep", GW_E_PARSE, "envelope is nested deeper than 4 levels" },
	{ "not-object", GW_E_PARSE, "must be a JSON object" },
	{ "trailing-data", GW_E_TRAILING, "data after the JSON object" },
	{ "nul-byte", GW_E_PARSE, "NUL byte" },
	{ "nul-escape", GW_E_PARSE, "envelope: a string contains \\u0000 (NUL)" },
	{ "missing-payload", GW_E_PARSE, "missing 'payload'" },
	{ "missing-payloadType", GW_E_PARSE, "missing 'payloadType'" },
	{ "missing-signatures", GW_E_PARSE, "missing 'signatures'" },
	{ "extra-key", GW_E_PARSE, "envelope: unknown key 'extra'" },
	{ "payloadType-number", GW_E_PARSE, "'payloadType' must be a string" },
	{ "payloadType-empty", GW_E_PARSE, "'payloadType' is empty" },
	{ "payloadType-long", GW_E_TOOBIG, "'payloadType' longer than 256 bytes" },
	{ "payload-null", GW_E_PARSE, "'payload' must be a string" },
	{ "payload-bad-base64", GW_E_PARSE, "'payload': bad base64 character" },
	{ "payload-bad-length", GW_E_PARSE, "'payload': base64 length" },
	{ "payload-base64url", GW_E_PARSE, "'payload': bad base64 character" },
	{ "payload-noncanonical", GW_E_PARSE, "'payload': base64 not in canonical form" },
	{ "signatures-object", GW_E_PARSE, "'signatures' must be an array" },
	{ "empty-signatures", GW_E_PARSE, "'signatures' is empty" },
	{ "too-many-signatures", GW_E_TOOBIG, "17 signatures, more than 16" },
	{ "signature-string", GW_E_PARSE, "signature 1 must be an object" },
	{ "sig-extra-key", GW_E_PARSE, "signature 1: unknown key 'public'" },
	{ "sig-missing-keyid", GW_E_PARSE, "signature 1: missing 'keyid'" },
	{ "sig-missing-sig", GW_E_PARSE, "signature 1: missing 'sig'" },
	{ "sig-bad-base64", GW_E_PARSE, "signature 1: 'sig': bad base64 character" },
	{ "sig-empty", GW_E_PARSE, "signature 1: 'sig' is empty" },
	{ "keyid-number", GW_E_PARSE, "signature 1: 'keyid' must be a string" },
	{ "keyid-empty", GW_E_PARSE, "'keyid' must be 1 to 128 printable characters" },
	{ "keyid-space", GW_E_PARSE, "'keyid' must be 1 to 128 printable characters" },
	{ "keyid-long", GW_E_TOOBIG, "'keyid' longer than 128 bytes" },
	{ "duplicate-key", GW_E_PARSE, "a key appears twice" },
	{ "duplicate-key-escaped", GW_E_PARSE, "a key appears twice" },
	{ "sig-duplicate-key", GW_E_PARSE, "a key appears twice" },
};

static void test_bad_fixtures(void **state)
{
	(void)state;
	for (size_t i = 0; i < GW_ARRAY_SIZE(bad_cases); i++) {
		const struct bad_case *c = &bad_cases[i];
		char path[256];
		uint8_t *buf = NULL;
		size_t len = 0;
		struct dsse_envelope *env = NULL;
		gw_error err = { { 0 } };
		int rc;

		assert_int_equal(gw_snprintf(path, sizeof(path), "%s/%s.json", BAD_DIR, c->name),
				 0);
		rc = gw_read_file(path, DSSE_MAX_SIZE, &buf, &len, &err);
		if (rc)
			fail_msg("reading %s: %s", path, gw_error_msg(&err, rc));
		rc = dsse_parse(buf, len, &env, &err);
		if (rc != c->code)
			fail_msg("%s: got %d (%s), expected %d", c->name, rc,
				 gw_error_msg(&err, rc), c->code);
		if (!strstr(err.msg, c->msg))
			fail_msg("%s: message '%s' lacks '%s'", c->name, err.msg, c->msg);
		assert_null(env);
		free(buf);
	}
}

/* Every fixture in bad/ has an entry above. */
static void test_bad_fixtures_listed(void **state)
{
	(void)state;
	FIXTURES_ALL_LISTED(BAD_DIR, ".json", bad_cases);
}

/* The size cap holds before any parsing. */
static void test_too_big(void **state)
{
	size_t len = DSSE_MAX_SIZE + 1;
	uint8_t *buf = malloc(len);
	struct dsse_envelope *env = NULL;
	gw_error err = { { 0 } };

	(void)state;
	assert_non_null(buf);
	memset(buf, ' ', len);
	assert_int_equal(dsse_parse(buf, len, &env, &err), GW_E_TOOBIG);
	assert_null(env);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pae),
		cmocka_unit_test(test_round_trip_p256),
		cmocka_unit_test(test_round_trip_ed25519),
		cmocka_unit_test(test_threshold),
		cmocka_unit_test(test_duplicate_counts_once),
		cmocka_unit_test(test_compressed_key_same_keyid),
		cmocka_unit_test(test_explicit_params_key),
		cmocka_unit_test(test_keyids),
		cmocka_unit_test(test_tampered),
		cmocka_unit_test(test_key_kinds),
		cmocka_unit_test(test_bad_fixtures),
		cmocka_unit_test(test_bad_fixtures_listed),
		cmocka_unit_test(test_too_big),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
