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
#include "util.h"

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

/* The member readers: each message names the key; nothing written on failure. */
static void test_readers(void **state)
{
	static const char text[] = "{\"s\":\"abc\",\"i\":-5,\"f\":1.5,\"big\":99999999999999999999999,"
				   "\"n\":null,\"e\":\"\"}";
	static const char *const keys[] = { "s", "i", "f", "big", "n", "e" };
	json_object *root = NULL;
	gw_error err = { { 0 } };
	const char *str = "untouched";
	size_t len = 99;
	int64_t v = 7;

	(void)state;
	assert_int_equal(gw_json_object_parse(text, sizeof(text) - 1, 4096, 2, "t", &root, &err), 0);
	assert_int_equal(gw_json_check_keys(root, keys, 6, &err), 0);
	assert_int_equal(gw_json_check_keys(root, keys, 5, &err), GW_E_PARSE);
	assert_string_equal(err.msg, "unknown key 'e'");

	assert_int_equal(gw_json_get_string(root, "s", 3, &str, &len, &err), 0);
	assert_string_equal(str, "abc");
	assert_int_equal(len, 3);
	assert_int_equal(gw_json_get_string(root, "e", 3, &str, NULL, &err), 0);
	assert_string_equal(str, "");
	str = "untouched";
	assert_int_equal(gw_json_get_string(root, "s", 2, &str, &len, &err), GW_E_TOOBIG);
	assert_string_equal(err.msg, "'s' longer than 2 bytes");
	assert_int_equal(gw_json_get_string(root, "x", 2, &str, &len, &err), GW_E_PARSE);
	assert_string_equal(err.msg, "'x' is missing");
	assert_int_equal(gw_json_get_string(root, "i", 2, &str, &len, &err), GW_E_PARSE);
	assert_string_equal(err.msg, "'i' must be a string");
	assert_string_equal(str, "untouched");

	assert_int_equal(gw_json_get_int(root, "i", -5, 0, &v, &err), 0);
	assert_int_equal(v, -5);
	v = 7;
	assert_int_equal(gw_json_get_int(root, "i", -4, 0, &v, &err), GW_E_PARSE);
	assert_string_equal(err.msg, "'i' must be -4 to 0");
	assert_int_equal(gw_json_get_int(root, "f", 0, 2, &v, &err), GW_E_PARSE);
	assert_string_equal(err.msg, "'f' must be an integer");
	assert_int_equal(gw_json_get_int(root, "n", 0, 2, &v, &err), GW_E_PARSE);
	assert_string_equal(err.msg, "'n' must be an integer");
	/* json-c saturates a number beyond int64 at INT64_MAX. */
	assert_int_equal(gw_json_get_int(root, "big", 0, INT64_MAX - 1, &v, &err), GW_E_PARSE);
	assert_int_equal(gw_json_get_int(root, "x", 0, 2, &v, &err), GW_E_PARSE);
	assert_string_equal(err.msg, "'x' is missing");
	assert_int_equal(v, 7);
	json_object_put(root);
}

/* The boolean and time readers, and the name rule beside them in util. */
static void test_bool_time_name(void **state)
{
	static const char text[] = "{\"t\":true,\"z\":0,\"when\":\"2026-12-07T00:00:00Z\","
				   "\"day\":\"2026-12-07\",\"long\":\"2026-12-07T00:00:00Z0\"}";
	json_object *root = NULL;
	gw_error err = { { 0 } };
	bool b = false;
	int64_t t = 7;

	(void)state;
	assert_int_equal(gw_json_object_parse(text, sizeof(text) - 1, 4096, 2, "t", &root, &err), 0);
	assert_int_equal(gw_json_get_bool(root, "t", &b, &err), 0);
	assert_true(b);
	assert_int_equal(gw_json_get_bool(root, "z", &b, &err), GW_E_PARSE);
	assert_string_equal(err.msg, "'z' must be true or false");
	assert_int_equal(gw_json_get_bool(root, "x", &b, &err), GW_E_PARSE);
	assert_string_equal(err.msg, "'x' is missing");
	assert_int_equal(gw_json_get_time(root, "when", &t, &err), 0);
	assert_int_equal(t, 1796601600LL);
	t = 7;
	assert_int_equal(gw_json_get_time(root, "day", &t, &err), GW_E_PARSE);
	assert_string_equal(err.msg, "'day' must be a time YYYY-MM-DDTHH:MM:SSZ");
	assert_int_equal(gw_json_get_time(root, "long", &t, &err), GW_E_PARSE);
	assert_int_equal(gw_json_get_time(root, "t", &t, &err), GW_E_PARSE);
	assert_int_equal(t, 7);
	json_object_put(root);

	assert_true(gw_name_ok("rel-2.0_a", 64));
	assert_false(gw_name_ok("", 64));
	assert_false(gw_name_ok("abc", 2));
	assert_false(gw_name_ok("a/b", 64));
	assert_false(gw_name_ok("a b", 64));
	assert_true(gw_name_ok("ab", 2));
}

/* gw_json_str / gw_json_add_str: reading back what a command built, to print it. */
static void test_print_helpers(void **state)
{
	json_object *o = json_object_new_object();

	(void)state;
	gw_json_add_str(o, "s", "text");
	gw_json_add_str(o, "n", NULL);
	json_object_object_add(o, "i", json_object_new_int64(42));
	json_object_object_add(o, "b", json_object_new_boolean(1));
	assert_string_equal(gw_json_str(o, "s"), "text");
	assert_null(gw_json_str(o, "n"));
	assert_true(json_object_object_get_ex(o, "n", NULL));
	assert_string_equal(gw_json_str(o, "i"), "42");
	assert_string_equal(gw_json_str(o, "b"), "true");
	assert_null(gw_json_str(o, "absent"));
	assert_null(gw_json_str(NULL, "s"));
	json_object_put(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_readers),
		cmocka_unit_test(test_bool_time_name),
		cmocka_unit_test(test_print_helpers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
