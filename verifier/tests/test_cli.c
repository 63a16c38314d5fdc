// SPDX-License-Identifier: Apache-2.0
// Unit tests for the operator commands' shared helpers: UTC times both ways, strict
// JSON parsing of stored text, and tables whose columns widen instead of cutting.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pwd.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli.h"

static void test_time_roundtrip(void **state)
{
	char buf[CLI_TIME_LEN];
	int64_t t = 0;

	(void)state;
	assert_int_equal(cli_time_parse("2026-11-24T10:00:00Z", &t), 0);
	assert_int_equal(t, 1795514400);
	cli_time_format(t, buf);
	assert_string_equal(buf, "2026-11-24T10:00:00Z");
	cli_time_format(0, buf);
	assert_string_equal(buf, "1970-01-01T00:00:00Z");
	assert_int_equal(cli_time_parse("2024-02-29T23:59:59Z", &t), 0);
}

static void test_time_bad(void **state)
{
	static const char *const bad[] = {
		"", "2026-11-24", "2026-11-24T10:00:00", "2026-11-24T10:00:00+01:00",
		"2026-11-24T10:00:00Zx", "2026-02-30T10:00:00Z", "2025-02-29T00:00:00Z",
		"2026-13-01T00:00:00Z", "2026-11-24T24:00:00Z", "2026-11-24T10:60:00Z",
		"2026-11-24 10:00:00Z", "2026-1a-24T10:00:00Z", "1969-12-31T23:59:59Z",
	};
	int64_t t = 42;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(cli_time_parse(bad[i], &t), GW_E_PARSE);
		assert_int_equal(t, 42);
	}
}

static void test_json_parse(void **state)
{
	json_object *o;

	(void)state;
	o = cli_json_parse("{\"a\":[1,2]}");
	assert_non_null(o);
	assert_true(json_object_is_type(o, json_type_object));
	json_object_put(o);
	o = cli_json_parse("42");
	assert_non_null(o);
	assert_int_equal(json_object_get_int(o), 42);
	json_object_put(o);
	assert_null(cli_json_parse(""));
	assert_null(cli_json_parse("not json"));
	assert_null(cli_json_parse("{\"a\":1} trailing"));
	assert_null(cli_json_parse("{\"a\":"));
	/* Deeper than the cap. */
	assert_null(cli_json_parse("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1"
				   "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"));
}

static void test_table(void **state)
{
	static const char *const headers[] = { "ID", "STATE", "NOTE" };
	static const char *const r1[] = { "a-very-long-device-id", "ok", "x" };
	static const char *const r2[] = { "b", NULL, "last" };
	struct cli_table *t = cli_table_new(3, headers);
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	assert_non_null(t);
	assert_int_equal(cli_table_add(t, r1), 0);
	assert_int_equal(cli_table_add(t, r2), 0);
	f = open_memstream(&text, &len);
	assert_non_null(f);
	cli_table_print(t, f);
	fclose(f);
	assert_string_equal(text, "ID                     STATE  NOTE\n"
				  "a-very-long-device-id  ok     x\n"
				  "b                      -      last\n");
	free(text);
	cli_table_free(t);
	cli_table_free(NULL);
	assert_null(cli_table_new(0, headers));
	assert_null(cli_table_new(CLI_TABLE_MAX_COLS + 1, headers));
}

static void test_hex(void **state)
{
	static const uint8_t b[] = { 0x00, 0x0b, 0xff };
	char *s = cli_hex(b, sizeof(b));

	(void)state;
	assert_string_equal(s, "000bff");
	free(s);
	s = cli_hex(b, 0);
	assert_string_equal(s, "");
	free(s);
}

/* The operator in audit records: --actor, else SUDO_USER (root only), else the
 * login name; a given name that is not the login name keeps the login beside it. */
static void test_actor(void **state)
{
	const struct passwd *pw = getpwuid(getuid());
	char login[64], want[160], buf[160];

	(void)state;
	if (pw && pw->pw_name)
		snprintf(login, sizeof(login), "%s", pw->pw_name);
	else
		snprintf(login, sizeof(login), "uid-%lu", (unsigned long)getuid());
	unsetenv("SUDO_USER");
	cli_set_actor(NULL);
	assert_int_equal(cli_actor(buf, sizeof(buf)), 0);
	snprintf(want, sizeof(want), "operator:%s", login);
	assert_string_equal(buf, want);
	cli_set_actor("alice");
	assert_int_equal(cli_actor(buf, sizeof(buf)), 0);
	snprintf(want, sizeof(want), "operator:alice via %s", login);
	assert_string_equal(buf, want);
	cli_set_actor(login); /* the login name itself: no "via" */
	assert_int_equal(cli_actor(buf, sizeof(buf)), 0);
	snprintf(want, sizeof(want), "operator:%s", login);
	assert_string_equal(buf, want);
	/* --actor wins over SUDO_USER; SUDO_USER counts for root only. */
	cli_set_actor("alice");
	setenv("SUDO_USER", "bob", 1);
	assert_int_equal(cli_actor(buf, sizeof(buf)), 0);
	snprintf(want, sizeof(want), "operator:alice via %s", login);
	assert_string_equal(buf, want);
	cli_set_actor(NULL);
	assert_int_equal(cli_actor(buf, sizeof(buf)), 0);
	if (getuid() == 0)
		snprintf(want, sizeof(want), "operator:bob via %s", login);
	else
		snprintf(want, sizeof(want), "operator:%s", login);
	assert_string_equal(buf, want);
	setenv("SUDO_USER", "bad name; rm", 1); /* not a name: ignored */
	assert_int_equal(cli_actor(buf, sizeof(buf)), 0);
	snprintf(want, sizeof(want), "operator:%s", login);
	assert_string_equal(buf, want);
	unsetenv("SUDO_USER");
	assert_int_equal(cli_actor(buf, 8), GW_E_TOOBIG);

	assert_true(cli_actor_name_ok("alice.smith@example-1_x"));
	assert_false(cli_actor_name_ok(""));
	assert_false(cli_actor_name_ok("-alice"));
	assert_false(cli_actor_name_ok("al ice"));
	assert_false(cli_actor_name_ok("al:ice"));
	assert_false(cli_actor_name_ok("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")); /* 33 */
	assert_true(cli_actor_name_ok("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));   /* 32 */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_time_roundtrip),
		cmocka_unit_test(test_time_bad),
		cmocka_unit_test(test_json_parse),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_actor),
	};

	return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}
