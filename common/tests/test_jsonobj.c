// SPDX-License-Identifier: Apache-2.0
// Unit tests for gw_json_object_parse(): what it takes, and every refusal with its
// code and message.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "jsonobj.h"

static int parse(const char *text, json_object **out, gw_error *err)
{
	memset(err, 0, sizeof(*err));
	return gw_json_object_parse(text, strlen(text), 256, 4, "doc", out, err);
}

static void test_good(void **state)
{
	static const char *const good[] = {
		"{}",
		" {\"a\": 1}\n\t\r ",
		/* Colons and quotes inside strings are not members. */
		"{\"a:b\": \"x:\\\"y\\\":z\", \"c\": [\"::\", {\"d\": \"\\\\\"}]}",
		/* An escaped backslash before "u0000" is no NUL. */
		"{\"a\": \"\\\\u0000\"}",
		/* The same key in two different objects is fine. */
		"{\"a\": {\"k\": 1}, \"b\": [{\"k\": 2}, {\"k\": 3}]}",
	};
	gw_error err;
	json_object *o;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		int rc = parse(good[i], &o, &err);

		if (rc)
			fail_msg("%s: %s", good[i], err.msg);
		assert_true(json_object_is_type(o, json_type_object));
		json_object_put(o);
	}
}

static void test_bad(void **state)
{
	static const struct {
		const char *text;
		int code;
		const char *msg;
	} bad[] = {
		{ "", GW_E_PARSE, "doc is not valid JSON: unexpected end of data" },
		{ "{\"a\": 1,}", GW_E_PARSE, "doc is not valid JSON: " },
		{ "{\"a\": 1} x", GW_E_TRAILING, "doc: data after the JSON object" },
		{ "{\"a\": 1}{}", GW_E_TRAILING, "doc: data after the JSON object" },
		{ "[1]", GW_E_PARSE, "doc must be a JSON object" },
		{ "null\n", GW_E_PARSE, "doc must be a JSON object" },
		{ "{'a': 1}", GW_E_PARSE, "doc: not valid JSON: a single-quoted name" },
		{ "{\"a\": [[[[1]]]]}", GW_E_PARSE, "doc is nested deeper than 4 levels" },
		{ "{\"a\": 1, \"a\": 2}", GW_E_PARSE, "doc: a key appears twice in one object" },
		{ "{\"b\": [{\"a\": 1, \"a\": 1}]}", GW_E_PARSE,
		  "doc: a key appears twice in one object" },
		/* Two spellings of one key. */
		{ "{\"a\": 1, \"\\u0061\": 2}", GW_E_PARSE,
		  "doc: a key appears twice in one object" },
		{ "{\"a\": \"\xff\"}", GW_E_PARSE, "doc is not valid JSON: " },
		{ "{\"a\\u0000b\": 1}", GW_E_PARSE, "doc: a string contains \\u0000 (NUL)" },
		{ "{\"a\": \"x\\u0000\"}", GW_E_PARSE, "doc: a string contains \\u0000 (NUL)" },
	};
	gw_error err;
	json_object *o;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = parse(bad[i].text, &o, &err);

		if (rc != bad[i].code || strncmp(err.msg, bad[i].msg, strlen(bad[i].msg)))
			fail_msg("%s: got %d '%s', want %d '%s'", bad[i].text, rc, err.msg,
				 bad[i].code, bad[i].msg);
		assert_null(o);
	}
}

static void test_limits(void **state)
{
	char big[300];
	gw_error err = { { 0 } };
	json_object *o = NULL;

	(void)state;
	memset(big, ' ', sizeof(big));
	big[0] = '{';
	big[sizeof(big) - 1] = '}';
	assert_int_equal(gw_json_object_parse(big, sizeof(big), 256, 4, "doc", &o, &err),
			 GW_E_TOOBIG);
	assert_string_equal(err.msg, "doc larger than 256 bytes");
	assert_int_equal(gw_json_object_parse("{}\0", 3, 256, 4, "doc", &o, &err), GW_E_PARSE);
	assert_string_equal(err.msg, "doc contains a NUL byte");
	assert_null(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
