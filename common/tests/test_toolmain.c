// SPDX-License-Identifier: Apache-2.0
// The tools' main() front: the version, help, an unknown command, the lookup, and
// the usage text listing every command of a table with a handler beside it.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "exitcode.h"
#include "toolmain.h"

struct command {
	struct gw_tool_command info;
	int handler_id;
};

static const struct command commands[] = {
	{ { "alpha", "the first" }, 1 },
	{ { "beta-long-name", "the second" }, 2 },
	{ { "gamma", "the third" }, 3 },
};

static const struct gw_tool tool = {
	.prog = "gwtest", .globals = "[-g] ", .help = "Global options: -g\n",
	GW_TOOL_TABLE(commands),
};

static int front(size_t *which, int argc, ...)
{
	char *argv[8] = { "gwtest" };
	va_list ap;

	va_start(ap, argc);
	for (int i = 1; i < argc; i++)
		argv[i] = va_arg(ap, char *);
	va_end(ap);
	return gw_tool_front(&tool, argc, argv, which);
}

static void test_front(void **state)
{
	size_t which = 99;

	(void)state;
	assert_int_equal(front(&which, 2, "gamma"), GW_TOOL_RUN);
	assert_int_equal(which, 2);
	assert_int_equal(commands[which].handler_id, 3);
	assert_int_equal(front(&which, 3, "beta-long-name", "--json"), GW_TOOL_RUN);
	assert_int_equal(which, 1);
	which = 99;
	assert_int_equal(front(&which, 2, "delta"), GW_EXIT_USAGE);
	assert_int_equal(front(&which, 1), GW_EXIT_USAGE);
	assert_int_equal(front(&which, 2, "--help"), GW_EXIT_OK);
	assert_int_equal(front(&which, 2, "help"), GW_EXIT_OK);
	assert_int_equal(front(&which, 2, "--version"), GW_EXIT_OK);
	assert_int_equal(front(&which, 3, "--version", "--json"), GW_EXIT_OK);
	assert_int_equal(front(&which, 3, "--version", "alpha"), GW_EXIT_USAGE);
	assert_int_equal(which, 99);
}

static void test_usage_lists_all(void **state)
{
	FILE *f = tmpfile();
	char buf[2048];
	size_t n;

	(void)state;
	assert_non_null(f);
	gw_tool_usage(&tool, f);
	rewind(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	assert_non_null(strstr(buf, "usage: gwtest [-g] COMMAND [ARGS]\n"));
	/* aligned on the longest name */
	assert_non_null(strstr(buf, "  alpha           the first\n"));
	assert_non_null(strstr(buf, "  beta-long-name  the second\n"));
	assert_non_null(strstr(buf, "  gamma           the third\n"));
	assert_non_null(strstr(buf, "Global options: -g\n"));
	assert_non_null(strstr(buf, "'gwtest --version [--json]'"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_front),
		cmocka_unit_test(test_usage_lists_all),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
