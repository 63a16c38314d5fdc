// SPDX-License-Identifier: Apache-2.0
// Unit tests for the content-key wrap: known answers made independently with Python
// `cryptography` (fixtures/keywrap/make.py), round trips, and every bad input the
// strict reader must refuse (members, lengths, encodings, off-curve EPK, context,
// tag, kid).
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/ec.h>
#include <openssl/pem.h>

#include "jsonobj.h"
#include "keywrap.h"
#include "util.h"

#define DIR_ "common/tests/fixtures/keywrap/"

static EVP_PKEY *load_key(const char *name)
{
	char path[256];
	FILE *f;
	EVP_PKEY *k;

	assert_int_equal(gw_snprintf(path, sizeof(path), DIR_ "%s.key", name), 0);
	f = fopen(path, "r");
	assert_non_null(f);
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(k);
	return k;
}

static json_object *load_wrap(const char *name)
{
	char path[256];
	uint8_t *buf = NULL;
	size_t len = 0;
	json_object *w = NULL;
	gw_error err = { { 0 } };

	assert_int_equal(gw_snprintf(path, sizeof(path), DIR_ "%s.json", name), 0);
	assert_int_equal(gw_read_file(path, 4096, &buf, &len, &err), 0);
	assert_int_equal(gw_json_object_parse(buf, len, 4096, 2, "wrap", &w, &err), 0);
	free(buf);
	return w;
}

/* The hex value of line "what HEX" of NAME.expect. */
static void expect(const char *name, const char *what, uint8_t *out, size_t n)
{
	char path[256], line[512], key[32], hex[256];
	FILE *f;
	gw_error err = { { 0 } };

	assert_int_equal(gw_snprintf(path, sizeof(path), DIR_ "%s.expect", name), 0);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		char *sp = strchr(line, ' '), *nl = strchr(line, '\n');

		if (!sp || !nl)
			continue;
		*sp = 0;
		*nl = 0;
		if (strcmp(line, what))
			continue;
		assert_int_equal(gw_snprintf(key, sizeof(key), "%s", line), 0);
		assert_int_equal(gw_snprintf(hex, sizeof(hex), "%s", sp + 1), 0);
		fclose(f);
		assert_int_equal(gw_hex_decode_fixed(hex, out, n, &err), 0);
		return;
	}
	fclose(f);
	fail_msg("%s: no %s", name, what);
}

static void kat(const char *name, const char *context)
{
	EVP_PKEY *k = load_key(name);
	json_object *w = load_wrap(name);
	uint8_t cek[32], want[32], z[32], point[65], epk[65];
	gw_error err = { { 0 } };
	int rc;

	expect(name, "cek", want, 32);
	rc = keywrap_open(k, w, context, cek, &err);
	if (rc)
		fail_msg("%s: %s", name, gw_error_msg(&err, rc));
	assert_memory_equal(cek, want, 32);
	memset(cek, 0, sizeof(cek));
	expect(name, "z", z, 32);
	expect(name, "recipient", point, 65);
	assert_int_equal(keywrap_open_z(z, point, w, context, cek, &err), 0);
	assert_memory_equal(cek, want, 32);
	assert_int_equal(keywrap_point(k, epk, &err), 0);
	assert_memory_equal(epk, point, 65);
	assert_int_equal(keywrap_epk(w, epk), 0);
	assert_int_equal(epk[0], 4);
	json_object_put(w);
	EVP_PKEY_free(k);
}

static void test_kat_release(void **state)
{
	(void)state;
	kat("release", KEYWRAP_CONTEXT_RELEASE);
}

static void test_kat_device(void **state)
{
	(void)state;
	kat("device", "device:gw-0001:rel-42");
}

static void test_roundtrip(void **state)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	json_object *a = NULL, *b = NULL;
	uint8_t cek[32], back[32], e1[65], e2[65];
	gw_error err = { { 0 } };

	(void)state;
	memset(cek, 0x5c, sizeof(cek));
	assert_int_equal(keywrap_seal(k, cek, "release", &a, &err), 0);
	assert_int_equal(keywrap_seal(k, cek, "release", &b, &err), 0);
	assert_int_equal(keywrap_check(a, &err), 0);
	assert_int_equal(keywrap_open(k, a, "release", back, &err), 0);
	assert_memory_equal(back, cek, 32);
	/* A fresh ephemeral key per wrap. */
	assert_int_equal(keywrap_epk(a, e1), 0);
	assert_int_equal(keywrap_epk(b, e2), 0);
	assert_memory_not_equal(e1, e2, 65);
	json_object_put(a);
	json_object_put(b);
	EVP_PKEY_free(k);
}

static void test_seal_bad_args(void **state)
{
	EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	EVP_PKEY *p384 = EVP_EC_gen("P-384");
	EVP_PKEY *k = EVP_EC_gen("P-256");
	json_object *w = NULL;
	uint8_t cek[32] = { 0 };
	gw_error err = { { 0 } };

	(void)state;
	assert_int_equal(keywrap_seal(ed, cek, "release", &w, &err), GW_E_KEY);
	assert_int_equal(keywrap_seal(p384, cek, "release", &w, &err), GW_E_KEY);
	assert_int_equal(keywrap_seal(k, cek, "", &w, &err), GW_E_INVAL);
	assert_int_equal(keywrap_seal(k, cek, "a b", &w, &err), GW_E_INVAL);
	assert_null(w);
	EVP_PKEY_free(ed);
	EVP_PKEY_free(p384);
	EVP_PKEY_free(k);
}

/* Open the release vector after mutating member key to value (NULL: remove). */
static int open_mutated(const char *key, const char *value, const char *context,
			gw_error *err)
{
	EVP_PKEY *k = load_key("release");
	json_object *w = load_wrap("release");
	uint8_t cek[32];
	int rc;

	if (value)
		json_object_object_add(w, key, json_object_new_string(value));
	else
		json_object_object_del(w, key);
	rc = keywrap_open(k, w, context, cek, err);
	json_object_put(w);
	EVP_PKEY_free(k);
	return rc;
}

static void test_bad_members(void **state)
{
	gw_error err = { { 0 } };

	(void)state;
	assert_int_equal(open_mutated("extra", "x", "release", &err), GW_E_PARSE);
	assert_non_null(strstr(err.msg, "unknown key 'extra'"));
	assert_int_equal(open_mutated("tag", NULL, "release", &err), GW_E_PARSE);
	assert_int_equal(open_mutated("alg", "ECDH-ES+A256KW", "release", &err), GW_E_PARSE);
	assert_int_equal(open_mutated("kid", "B73E", "release", &err), GW_E_PARSE);
	/* Lengths: an 11-byte IV, a 31-byte key, a 15-byte tag, a 64-byte point. */
	assert_int_equal(open_mutated("iv", "AAECAwQFBgcICQo=", "release", &err), GW_E_PARSE);
	assert_non_null(strstr(err.msg, "'iv'"));
	assert_int_equal(open_mutated("ct", "+8wuJptMLqGQtI59ZYIM2vrx+wCSua02HlTL7mJe6w==",
				      "release", &err), GW_E_PARSE);
	assert_int_equal(open_mutated("tag", "aEYFckHF/REfE5ySVWRq", "release", &err),
			 GW_E_PARSE);
	assert_int_equal(open_mutated("epk", "BH2hBtym49cv0lVil+fRoC/21bbQo4h/VEQvDlf92KevHkRf"
				      "kmW/Yr5N9dc9lD8Hh26QngNaG0YJfNEnRin+1A==", "release", &err),
			 GW_E_PARSE);
	/* Not canonical base64 (trailing bits set). */
	assert_int_equal(open_mutated("tag", "aEYFckHF/REfE5ySVWRqiz==", "release", &err),
			 GW_E_PARSE);
	assert_int_equal(open_mutated("context", "", "", &err), GW_E_PARSE);
}

static void test_off_curve(void **state)
{
	gw_error err = { { 0 } };
	uint8_t pt[65];
	char *b64 = NULL;

	(void)state;
	/* X of the vector's EPK with Y + 1: not on the curve. */
	assert_int_equal(open_mutated("epk", "BH2hBtym49cv0lVil+fRoC/21bbQo4h/VEQvDlf92KevHkRf"
				      "kmW/Yr5N9dc9lD8Hh26QngNaG0YJfNEnRin+1Lo=", "release", &err),
			 GW_E_KEY);
	assert_non_null(strstr(err.msg, "curve"));
	/* A compressed-point prefix in a 65-byte string. */
	memset(pt, 0x11, sizeof(pt));
	pt[0] = 0x02;
	assert_int_equal(gw_b64_encode(pt, sizeof(pt), &b64), 0);
	assert_int_equal(open_mutated("epk", b64, "release", &err), GW_E_KEY);
	free(b64);
	/* The point at infinity, padded. */
	memset(pt, 0, sizeof(pt));
	pt[0] = 0x04;
	assert_int_equal(gw_b64_encode(pt, sizeof(pt), &b64), 0);
	assert_int_equal(open_mutated("epk", b64, "release", &err), GW_E_KEY);
	free(b64);
}

static void test_context(void **state)
{
	gw_error err = { { 0 } };

	(void)state;
	/* The caller's context must be the wrap's ... */
	assert_int_equal(open_mutated("alg", KEYWRAP_ALG, "device:x:y", &err), GW_E_STATE);
	/* ... and the wrap's is bound into KEK and AAD: relabelled, it does not open. */
	assert_int_equal(open_mutated("context", "device:gw-0001:rel-42", "device:gw-0001:rel-42",
				      &err), GW_E_SIGNATURE);
}

static void test_tampered(void **state)
{
	gw_error err = { { 0 } };

	(void)state;
	assert_int_equal(open_mutated("tag", "aEYFckHF/REfE5ySVWRqig==", "release", &err),
			 GW_E_SIGNATURE);
	assert_non_null(strstr(err.msg, "tag"));
	assert_int_equal(open_mutated("ct", "+8wuJptMLqGQtI59ZYIM2vrx+wCSua02HlTL7mJe60U=",
				      "release", &err), GW_E_SIGNATURE);
	assert_int_equal(open_mutated("iv", "AQECAwQFBgcICQoL", "release", &err), GW_E_SIGNATURE);
}

static void test_wrong_key(void **state)
{
	EVP_PKEY *other = load_key("device");
	json_object *w = load_wrap("release");
	uint8_t cek[32], z[32], point[65];
	gw_error err = { { 0 } };

	(void)state;
	assert_int_equal(keywrap_open(other, w, "release", cek, &err), GW_E_KEY);
	assert_non_null(strstr(err.msg, "not this one"));
	/* The right recipient point with a wrong Z (another device's TPM). */
	expect("release", "recipient", point, 65);
	expect("device", "z", z, 32);
	assert_int_equal(keywrap_open_z(z, point, w, "release", cek, &err), GW_E_SIGNATURE);
	/* The kid rewritten to the other key's: the tag still fails. */
	json_object_put(w);
	w = load_wrap("release");
	json_object_object_add(w, "kid", json_object_new_string(
		"0000000000000000000000000000000000000000000000000000000000000000"));
	assert_int_equal(keywrap_open(other, w, "release", cek, &err), GW_E_KEY);
	json_object_put(w);
	EVP_PKEY_free(other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kat_release), cmocka_unit_test(test_kat_device),
		cmocka_unit_test(test_roundtrip),   cmocka_unit_test(test_seal_bad_args),
		cmocka_unit_test(test_bad_members), cmocka_unit_test(test_off_curve),
		cmocka_unit_test(test_context),	    cmocka_unit_test(test_tampered),
		cmocka_unit_test(test_wrong_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
