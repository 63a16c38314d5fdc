// SPDX-License-Identifier: Apache-2.0
// Unit tests for policy version reset statements: the strict payload parser against
// committed bad fixtures, and the envelope's threshold of policy keys.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include "dsse.h"
#include "polreset.h"
#include "verdict.h"
#include "util.h"
#include "fixture_list.h"

#define DIR_GOOD "verifier/tests/fixtures/polreset/good"
#define DIR_BAD "verifier/tests/fixtures/polreset/bad"

static void read_path(const char *dir, const char *name, uint8_t **buf, size_t *len)
{
	char path[256];
	gw_error err = { { 0 } };

	assert_int_equal(gw_snprintf(path, sizeof(path), "%s/%s", dir, name), 0);
	if (gw_read_file(path, 1 << 20, buf, len, &err))
		fail_msg("%s: %s", path, err.msg);
}

static void test_parse_good(void **state)
{
	struct polreset r;
	uint8_t *buf = NULL;
	size_t len = 0;
	gw_error err = { { 0 } };

	(void)state;
	read_path(DIR_GOOD, "reset.json", &buf, &len);
	if (polreset_parse(buf, len, &r, &err))
		fail_msg("%s", err.msg);
	assert_string_equal(r.model, "gw-1000");
	assert_int_equal(r.reset, 1);
	assert_int_equal(r.from_version, 4294967295u);
	assert_int_equal(r.to_version, 3);
	assert_string_equal(r.next_sha256,
			    "5d41402abc4b2a76b9719d911017c5925d41402abc4b2a76b9719d911017c592");
	assert_int_equal(r.expires, 1767225600);
	assert_string_equal(r.reason, "version 4294967295 signed by mistake");
	/* Every prefix is refused. */
	for (size_t n = 0; n + 1 < len; n++)
		assert_int_not_equal(polreset_parse(buf, n, &r, NULL), 0);
	free(buf);
}

static const struct {
	const char *name;
	int code;
	const char *msg;
} bad[] = {
	{ "not-json", GW_E_PARSE, "policy reset is not valid JSON" },
	{ "array", GW_E_PARSE, "policy reset must be a JSON object" },
	{ "trailing", GW_E_TRAILING, "data after the JSON object" },
	{ "duplicate-key", GW_E_PARSE, "a key appears twice in one object" },
	{ "unknown-key", GW_E_PARSE, "unknown key 'version'" },
	{ "type-wrong", GW_E_PARSE, "'type' must be 'gatewarden-policy-reset'" },
	{ "type-number", GW_E_PARSE, "'type' must be a string" },
	{ "model-missing", GW_E_PARSE, "'model' is missing" },
	{ "model-slash", GW_E_PARSE, "'model' must be 1-64 of" },
	{ "model-65", GW_E_PARSE, "'model' must be 1 to 64 bytes" },
	{ "reset-zero", GW_E_PARSE, "'reset' must be 1 to 4294967295" },
	{ "reset-string", GW_E_PARSE, "'reset' must be an integer" },
	{ "reset-float", GW_E_PARSE, "'reset' must be an integer" },
	{ "reset-missing", GW_E_PARSE, "'reset' is missing" },
	{ "from-zero", GW_E_PARSE, "'from_version' must be 1 to 4294967295" },
	{ "from-too-big", GW_E_PARSE, "'from_version' must be 1 to 4294967295" },
	{ "from-huge", GW_E_PARSE, "'from_version' must be 1 to 4294967295" },
	{ "to-negative", GW_E_PARSE, "'to_version' must be 0 to 4294967295" },
	{ "to-equal", GW_E_PARSE, "'to_version' 4294967295 must be below 'from_version'" },
	{ "to-above", GW_E_PARSE, "'to_version' 3 must be below 'from_version' 2" },
	{ "next-missing", GW_E_PARSE, "'next_policy_sha256' is missing" },
	{ "next-upper", GW_E_PARSE, "'next_policy_sha256' must be 64 lower-case hex digits" },
	{ "next-short", GW_E_PARSE, "'next_policy_sha256' must be 64 lower-case hex digits" },
	{ "next-long", GW_E_PARSE, "'next_policy_sha256' must be 64 lower-case hex digits" },
	{ "next-number", GW_E_PARSE, "'next_policy_sha256' must be a string" },
	{ "expires-missing", GW_E_PARSE, "'expires' is missing" },
	{ "expires-zero", GW_E_PARSE, "'expires' must be 1 to 9007199254740992" },
	{ "expires-string", GW_E_PARSE, "'expires' must be an integer" },
	{ "expires-huge", GW_E_PARSE, "'expires' must be 1 to 9007199254740992" },
	{ "reason-empty", GW_E_PARSE, "'reason' must be 1 to 512 bytes" },
	{ "reason-513", GW_E_PARSE, "'reason' must be 1 to 512 bytes" },
	{ "reason-newline", GW_E_PARSE, "'reason' has a control character" },
	{ "reason-missing", GW_E_PARSE, "'reason' is missing" },
	{ "nested-deep", GW_E_PARSE, "nested deeper than 2 levels" },
};

static void test_parse_bad(void **state)
{
	char name[128];

	(void)state;
	for (size_t i = 0; i < GW_ARRAY_SIZE(bad); i++) {
		struct polreset r;
		uint8_t *buf = NULL;
		size_t len = 0;
		gw_error err = { { 0 } };
		int rc;

		memset(&r, 0x5a, sizeof(r));
		assert_int_equal(gw_snprintf(name, sizeof(name), "%s.json", bad[i].name), 0);
		read_path(DIR_BAD, name, &buf, &len);
		rc = polreset_parse(buf, len, &r, &err);
		if (rc != bad[i].code || !strstr(err.msg, bad[i].msg))
			fail_msg("%s: got %d '%s', expected %d '%s'", bad[i].name, rc, err.msg,
				 bad[i].code, bad[i].msg);
		assert_int_equal(r.reset, 0x5a5a5a5a); /* untouched */
		free(buf);
	}
}

/* Every file in bad/ has a case above. */
static void test_bad_listed(void **state)
{
	(void)state;
	FIXTURES_ALL_LISTED(DIR_BAD, ".json", bad);
}

/* A statement is usable until it expires, and only when it expires within 30 days. */
static void test_check_time(void **state)
{
	struct polreset r = { .model = "gw-1000", .reset = 1, .expires = 1767225600 };
	gw_error err = { { 0 } };

	(void)state;
	assert_int_equal(polreset_check_time(&r, r.expires - 1, &err), 0);
	assert_int_equal(polreset_check_time(&r, r.expires - 30 * 86400, &err), 0);
	assert_int_equal(polreset_check_time(&r, r.expires, &err), GW_E_STATE);
	assert_non_null(strstr(err.msg, "policy reset 1 of gw-1000 expired at 1767225600"));
	assert_int_equal(polreset_check_time(&r, r.expires - 30 * 86400 - 1, &err), GW_E_STATE);
	assert_non_null(strstr(err.msg, "more than 30 days from now"));
}

static char *sign(const char *type, EVP_PKEY *const *keys, size_t n)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	char *env = NULL;

	read_path(DIR_GOOD, "reset.json", &buf, &len);
	assert_int_equal(dsse_sign(type, buf, len, keys, n, &env, NULL), 0);
	free(buf);
	return env;
}

static void test_load(void **state)
{
	EVP_PKEY *keys[3] = { EVP_EC_gen("P-256"), EVP_EC_gen("P-256"), EVP_EC_gen("P-256") };
	EVP_PKEY *rogue[2] = { keys[0], EVP_EC_gen("P-256") };
	struct verdict_policy_info *info = calloc(1, sizeof(*info));
	struct polreset r;
	gw_error err = { { 0 } };
	char *env;

	(void)state;
	assert_non_null(info);
	for (size_t i = 0; i < 3; i++)
		assert_non_null(keys[i]);
	assert_non_null(rogue[1]);

	env = sign(POLRESET_PAYLOAD_TYPE, keys, 2);
	assert_int_equal(verdict_load_reset(env, strlen(env), keys, 3, 2, &r, info, &err), 0);
	assert_int_equal(info->step, VERDICT_STEP_DONE);
	assert_int_equal(info->nsigners, 2);
	assert_int_equal(strlen(info->payload_sha256), 64);
	assert_int_equal(r.from_version, 4294967295u);
	/* Threshold 3 of 3: refused, naming the count. */
	assert_int_equal(verdict_load_reset(env, strlen(env), keys, 3, 3, &r, info, &err),
			 GW_E_SIGNATURE);
	assert_non_null(strstr(err.msg, "policy reset signature: 2 of required 3"));
	assert_int_equal(info->step, VERDICT_STEP_SIGNATURE);
	free(env);
	/* One trusted key and one unknown: below a threshold of 2. */
	env = sign(POLRESET_PAYLOAD_TYPE, rogue, 2);
	assert_int_equal(verdict_load_reset(env, strlen(env), keys, 3, 2, &r, info, &err),
			 GW_E_SIGNATURE);
	assert_int_equal(info->nsigners, 1);
	free(env);
	/* A policy envelope is not a reset, whoever signed it. */
	env = sign(GWPOL_PAYLOAD_TYPE, keys, 3);
	assert_int_equal(verdict_load_reset(env, strlen(env), keys, 3, 2, &r, info, &err), GW_E_PARSE);
	assert_non_null(strstr(err.msg, "is not '" POLRESET_PAYLOAD_TYPE "'"));
	free(env);
	assert_int_equal(verdict_load_reset("{}", 2, keys, 3, 2, &r, info, &err), GW_E_PARSE);
	assert_non_null(strstr(err.msg, "not a signed statement"));
	assert_int_equal(verdict_load_reset("{}", 2, keys, 0, 1, &r, info, &err), GW_E_CONFIG);
	assert_int_equal(verdict_load_reset("{}", 2, keys, 3, 4, &r, info, &err), GW_E_CONFIG);
	for (size_t i = 0; i < 3; i++)
		EVP_PKEY_free(keys[i]);
	EVP_PKEY_free(rogue[1]);
	free(info);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_bad_listed),
		cmocka_unit_test(test_check_time),
		cmocka_unit_test(test_load),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
