// SPDX-License-Identifier: Apache-2.0
// Unit tests for the tools' --version (version.h): the text, the JSON, and the
// words that make it a usage error.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "version.h"

static void test_text(void **state)
{
	char buf[128];

	(void)state;
	assert_int_equal(gw_version_text("gwagent", false, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "gwagent " GW_VERSION "\n");
	assert_int_equal(gw_version_text("gwverifier", true, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "{\"name\":\"gwverifier\",\"version\":\"" GW_VERSION "\"}\n");
	assert_int_equal(gw_version_text("gwpolicy", false, buf, 8), GW_E_TOOBIG);
	assert_int_equal(gw_version_text("gwpolicy", true, buf, 16), GW_E_TOOBIG);
}

static void test_request(void **state)
{
	char buf[128];
	char *plain[] = { "gwagent", "--version", NULL };
	char *json[] = { "gwagent", "--version", "--json", NULL };
	char *extra[] = { "gwagent", "--version", "status", NULL };
	char *json_extra[] = { "gwagent", "--version", "--json", "x", NULL };
	char *other[] = { "gwagent", "status", "--version", NULL };
	char *none[] = { "gwagent", NULL };

	(void)state;
	assert_int_equal(gw_version_request(2, plain, "gwagent", buf, sizeof(buf)), 1);
	assert_string_equal(buf, "gwagent " GW_VERSION "\n");
	assert_int_equal(gw_version_request(3, json, "gwagent", buf, sizeof(buf)), 1);
	assert_non_null(strstr(buf, "\"version\":\"" GW_VERSION "\""));
	assert_int_equal(gw_version_request(3, extra, "gwagent", buf, sizeof(buf)), -1);
	assert_int_equal(gw_version_request(4, json_extra, "gwagent", buf, sizeof(buf)), -1);
	assert_int_equal(gw_version_request(3, other, "gwagent", buf, sizeof(buf)), 0);
	assert_int_equal(gw_version_request(1, none, "gwagent", buf, sizeof(buf)), 0);
	/* A buffer too small is a usage error, never a cut version. */
	assert_int_equal(gw_version_request(2, plain, "gwagent", buf, 4), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_request),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
