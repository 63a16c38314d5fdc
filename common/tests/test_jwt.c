// SPDX-License-Identifier: Apache-2.0
// Unit tests for base64url and ES256 compact JWS signing and verification.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>
#include <openssl/ec.h>

#include "jwt.h"
#include "util.h"

static void test_b64url(void **state)
{
	static const uint8_t data[] = { 0xfb, 0xff, 0xfe, 0x00, 0x41 };
	uint8_t *bin = NULL;
	size_t len = 0;
	char *s = NULL;
	gw_error err = { { 0 } };

	(void)state;
	assert_int_equal(jwt_b64url_encode(data, sizeof(data), &s), 0);
	assert_string_equal(s, "-__-AEE");
	assert_int_equal(jwt_b64url_decode(s, strlen(s), &bin, &len, &err), 0);
	assert_int_equal(len, sizeof(data));
	assert_memory_equal(bin, data, len);
	free(bin);
	free(s);
	/* Padding, the standard alphabet, impossible lengths, non-canonical bits. */
	assert_int_equal(jwt_b64url_decode("QQ==", 4, &bin, &len, &err), GW_E_PARSE);
	assert_int_equal(jwt_b64url_decode("+/8", 3, &bin, &len, &err), GW_E_PARSE);
	assert_int_equal(jwt_b64url_decode("QUJDR", 5, &bin, &len, &err), GW_E_PARSE);
	assert_int_equal(jwt_b64url_decode("QR", 2, &bin, &len, &err), GW_E_PARSE);
	assert_int_equal(jwt_b64url_decode("", 0, &bin, &len, &err), 0);
	assert_int_equal(len, 0);
	free(bin);
}

static char *sign_sample(EVP_PKEY *key)
{
	json_object *c = json_object_new_object();
	char *tok = NULL;

	json_object_object_add(c, "sub", json_object_new_string("gw-0001"));
	json_object_object_add(c, "iat", json_object_new_int64(1700000000));
	assert_int_equal(jwt_sign_es256(key, "gate-1", c, &tok), 0);
	json_object_put(c);
	return tok;
}

static void test_round_trip(void **state)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	json_object *claims = NULL, *sub;
	char *tok;
	gw_error err = { { 0 } };

	(void)state;
	tok = sign_sample(key);
	assert_int_equal(strlen(tok) - strlen(strrchr(tok, '.') + 1) > 0, 1);
	assert_int_equal(jwt_verify_es256(key, tok, &claims, &err), 0);
	assert_true(json_object_object_get_ex(claims, "sub", &sub));
	assert_string_equal(json_object_get_string(sub), "gw-0001");
	json_object_put(claims);
	free(tok);
	EVP_PKEY_free(key);
}

static void test_tampered(void **state)
{
	EVP_PKEY *key = EVP_EC_gen("P-256"), *other = EVP_EC_gen("P-256");
	json_object *claims = NULL;
	char *tok, *dot, *forged = NULL, *none = NULL;
	gw_error err = { { 0 } };
	size_t n;

	(void)state;
	tok = sign_sample(key);
	assert_int_equal(jwt_verify_es256(other, tok, &claims, &err), GW_E_SIGNATURE);
	/* Another payload under the same header and signature. */
	dot = strchr(tok, '.');
	{
		char *p2 = NULL;
		const char *payload = "{\"sub\":\"gw-0002\",\"iat\":1700000000}";
		const char *sig = strrchr(tok, '.');

		assert_int_equal(jwt_b64url_encode((const uint8_t *)payload, strlen(payload), &p2), 0);
		n = strlen(tok) + strlen(p2) + 2;
		forged = malloc(n);
		assert_non_null(forged);
		assert_int_equal(gw_snprintf(forged, n, "%.*s.%s%s", (int)(dot - tok), tok, p2, sig), 0);
		free(p2);
	}
	assert_int_equal(jwt_verify_es256(key, forged, &claims, &err), GW_E_SIGNATURE);
	/* alg none, missing parts, extra parts, a short signature. */
	none = strdup("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.");
	assert_int_equal(jwt_verify_es256(key, none, &claims, &err), GW_E_UNSUPPORTED);
	assert_int_equal(jwt_verify_es256(key, "abc", &claims, &err), GW_E_PARSE);
	assert_int_equal(jwt_verify_es256(key, "a.b.c.d", &claims, &err), GW_E_PARSE);
	/* A header naming alg twice ({"alg":"none","alg":"ES256"}): one reader's
	 * none is another's ES256, so it is no header at all. */
	assert_int_equal(jwt_verify_es256(key, "eyJhbGciOiJub25lIiwiYWxnIjoiRVMyNTYifQ.e30."
					       "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
					       "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
					  &claims, &err),
			 GW_E_UNSUPPORTED);
	memcpy(strrchr(tok, '.') + 1, "AAAA", 5);
	assert_int_equal(jwt_verify_es256(key, tok, &claims, &err), GW_E_SIGNATURE);
	free(none);
	free(forged);
	free(tok);
	EVP_PKEY_free(key);
	EVP_PKEY_free(other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_b64url),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_tampered),
	};

	return cmocka_run_group_tests_name("jwt", tests, NULL, NULL);
}
