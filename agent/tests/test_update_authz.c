// SPDX-License-Identifier: Apache-2.0
// Unit tests for the update authorization reader (update_authz.h): the good
// fixtures read, every bad fixture is refused naming what is wrong, the claims
// path, and the agent's checks against release, manifest, time and encryption.
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "update_authz.h"
#include "util.h"
#include "fixture_list.h"

#define FIXTURES "agent/tests/fixtures/update_authz"

static void read_fixture(const char *path, uint8_t **buf, size_t *len)
{
	gw_error err = { { 0 } };
	int rc = gw_read_file(path, 1 << 20, buf, len, &err);

	if (rc)
		fail_msg("%s: %s", path, gw_error_msg(&err, rc));
}

static void parse_good(const char *name, struct update_authz *a)
{
	gw_error err = { { 0 } };
	uint8_t *buf = NULL;
	size_t len = 0;
	char path[256];
	int rc;

	snprintf(path, sizeof(path), FIXTURES "/%s", name);
	read_fixture(path, &buf, &len);
	rc = update_authz_parse(buf, len, a, &err);
	if (rc)
		fail_msg("%s: %s", name, gw_error_msg(&err, rc));
	free(buf);
}

static void test_good(void **state)
{
	struct update_authz a;
	uint8_t man[32];
	gw_error err = { { 0 } };

	(void)state;
	parse_good("good-plain.json", &a);
	assert_string_equal(a.release, "0123456789abcdef");
	assert_int_equal(a.expires_at, 1796860800LL);
	assert_null(a.wrapped_key);
	memcpy(man, a.manifest_sha256, 32);
	assert_int_equal(man[0], 0x01);
	assert_int_equal(update_authz_check(&a, "0123456789abcdef", man, false, &err),
			 0);
	/* another release, another manifest, encrypted */
	assert_int_equal(update_authz_check(&a, "0123456789abcdee", man, false, &err),
			 GW_E_STATE);
	assert_non_null(strstr(err.msg, "for release 0123456789abcdef, not 0123456789abcdee"));
	man[31] ^= 1;
	assert_int_equal(update_authz_check(&a, "0123456789abcdef", man, false, &err),
			 GW_E_STATE);
	assert_non_null(strstr(err.msg, "not this bundle's"));
	man[31] ^= 1;
	/* The expiry is not judged here: the round's nonce binds the EAR carrying it. */
	a.expires_at = 1;
	assert_int_equal(update_authz_check(&a, "0123456789abcdef", man, false, &err), 0);
	assert_int_equal(update_authz_check(&a, "0123456789abcdef", man, true, &err),
			 GW_E_STATE);
	assert_non_null(strstr(err.msg, "carries no wrapped key"));
	update_authz_fini(&a);

	parse_good("good-encrypted.json", &a);
	assert_non_null(a.wrapped_key);
	assert_int_equal(a.gate.expiration, 120);
	assert_int_equal(a.gate.nonce_len, 32);
	assert_int_equal(update_authz_check(&a, "0123456789abcdef", a.manifest_sha256, true,
					    &err),
			 0);
	assert_int_equal(update_authz_check(&a, "0123456789abcdef", a.manifest_sha256, false,
					    &err),
			 GW_E_STATE);
	update_authz_fini(&a);
	update_authz_fini(NULL);
}

static void test_claims(void **state)
{
	const char *text = "{\"sub\":\"d\",\"submods\":{\"gatewarden\":{\"ear.status\":"
			   "\"affirming\"}}}";
	json_object *c = json_tokener_parse(text), *mod, *o;
	struct update_authz a;
	gw_error err = { { 0 } };
	uint8_t *buf = NULL;
	size_t len = 0;

	(void)state;
	assert_non_null(c);
	assert_int_equal(update_authz_from_claims(c, &a, &err), GW_E_NOTFOUND);
	read_fixture(FIXTURES "/good-plain.json", &buf, &len);
	o = json_tokener_parse((const char *)buf);
	assert_non_null(o);
	assert_true(json_object_object_get_ex(json_object_object_get(c, "submods"), "gatewarden",
					      &mod));
	json_object_object_add(mod, "gatewarden.authorization", o);
	assert_int_equal(update_authz_from_claims(c, &a, &err), 0);
	assert_string_equal(a.release, "0123456789abcdef");
	update_authz_fini(&a);
	json_object_object_add(mod, "gatewarden.authorization", json_object_new_string("x"));
	assert_int_equal(update_authz_from_claims(c, &a, &err), GW_E_PARSE);
	json_object_put(c);
	free(buf);
}

struct bad_case {
	const char *name;
	int code;
	const char *msg;
};

static const struct bad_case bad_cases[] = {
	{ "not-object", GW_E_PARSE, "must be a JSON object" },
	{ "trailing", GW_E_TRAILING, "data after the JSON object" },
	{ "duplicate", GW_E_PARSE, "a key appears twice" },
	{ "unknown-member", GW_E_PARSE, "unknown key 'extra'" },
	{ "release-missing", GW_E_PARSE, "'release' is missing" },
	{ "release-upper", GW_E_PARSE, "'release' must be 16 lower-case hex digits" },
	{ "release-short", GW_E_PARSE, "'release' must be 16 lower-case hex digits" },
	{ "release-number", GW_E_PARSE, "'release' must be a string" },
	{ "manifest-missing", GW_E_PARSE, "'manifest_sha256' is missing" },
	{ "manifest-short", GW_E_PARSE, "'manifest_sha256' must be 64 lower-case hex" },
	{ "manifest-not-hex", GW_E_PARSE, "'manifest_sha256' must be 64 lower-case hex" },
	{ "expires-missing", GW_E_PARSE, "'expires_at' is missing" },
	{ "expires-zero", GW_E_PARSE, "'expires_at' must be 1 to" },
	{ "expires-string", GW_E_PARSE, "'expires_at' must be an integer" },
	{ "expires-float", GW_E_PARSE, "'expires_at' must be an integer" },
	{ "wrap-without-gate", GW_E_PARSE, "'wrapped_key' and 'gate' come together" },
	{ "gate-without-wrap", GW_E_PARSE, "'wrapped_key' and 'gate' come together" },
	{ "wrap-not-object", GW_E_PARSE, "'wrapped_key' must be an object" },
	{ "wrap-extra-member", GW_E_PARSE, "'wrapped_key': " },
	{ "wrap-bad-epk", GW_E_KEY, "'wrapped_key': wrapped key: point is not on the P-256" },
	{ "gate-not-object", GW_E_PARSE, "'gate' must be an object" },
	{ "gate-missing-cphash", GW_E_PARSE, "'gate': " },
	{ "gate-expiration-negative", GW_E_PARSE, "'gate': the expiration must be positive" },
	{ "gate-expiration-zero", GW_E_PARSE, "'gate': the expiration must be positive" },
};

static void test_bad_fixtures(void **state)
{
	(void)state;
	for (size_t i = 0; i < GW_ARRAY_SIZE(bad_cases); i++) {
		const struct bad_case *c = &bad_cases[i];
		struct update_authz a;
		gw_error err = { { 0 } };
		uint8_t *buf = NULL;
		size_t len = 0;
		char path[256];
		int rc;

		snprintf(path, sizeof(path), FIXTURES "/bad/%s.json", c->name);
		read_fixture(path, &buf, &len);
		rc = update_authz_parse(buf, len, &a, &err);
		if (rc != c->code)
			fail_msg("%s: got %d (%s), expected %d", c->name, rc,
				 gw_error_msg(&err, rc), c->code);
		if (!strstr(err.msg, c->msg))
			fail_msg("%s: message '%s' lacks '%s'", c->name, err.msg, c->msg);
		assert_null(a.wrapped_key);
		free(buf);
	}
}

/* Every fixture in bad/ has an entry above. */
static void test_bad_fixtures_listed(void **state)
{
	(void)state;
	FIXTURES_ALL_LISTED(FIXTURES "/bad", ".json", bad_cases);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_claims),
		cmocka_unit_test(test_bad_fixtures),
		cmocka_unit_test(test_bad_fixtures_listed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
