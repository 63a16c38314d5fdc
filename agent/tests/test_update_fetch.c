// SPDX-License-Identifier: Apache-2.0
// Unit tests for the headers of a bundle download as the agent reads them: the
// verifier's ETag and a 206 answer's Content-Range, with bad inputs.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "update_fetch.h"
#include "util.h"

#define SHA "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void test_etag(void **state)
{
	static const char *const bad[] = {
		"",
		SHA,
		"\"" SHA,
		"W/\"" SHA "\"",
		"\"" SHA "\" ",
		"\"0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef\"",
		"\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\"",
		"\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0\"",
		"\"././././././././././././././././././././././././././././././././\"",
	};

	(void)state;
	assert_true(update_fetch_valid_etag("\"" SHA "\""));
	for (size_t i = 0; i < GW_ARRAY_SIZE(bad); i++)
		if (update_fetch_valid_etag(bad[i]))
			fail_msg("accepted '%s'", bad[i]);
}

static void test_content_range(void **state)
{
	static const char *const bad[] = {
		"", "bytes", "bytes ", "bytes 0-1", "bytes 0-1/", "bytes */100", "bytes 5-4/100",
		"bytes 0-100/100", "bytes 0-1/1", "bytes -1-2/3", "bytes 0-1/100 ", "bytes  0-1/100",
		"Bytes 0-1/100", "bytes 0x1-2/3", "bytes 1-2/3/4", "bytes 0-1/100,2-3/100",
		"bytes 99999999999999999999-1/2", "bytes 0-99999999999999999999/2",
		"bytes 0-1/99999999999999999999", "bytes +0-1/100", "items 0-1/100",
	};
	uint64_t a = 7, b = 7, t = 7;

	(void)state;
	assert_true(update_fetch_content_range("bytes 0-99/100", &a, &b, &t));
	assert_true(a == 0 && b == 99 && t == 100);
	assert_true(update_fetch_content_range("bytes 5000-9999999/10000000", &a, &b, &t));
	assert_true(a == 5000 && b == 9999999 && t == 10000000);
	assert_true(update_fetch_content_range("bytes 0-0/1", &a, &b, &t));
	for (size_t i = 0; i < GW_ARRAY_SIZE(bad); i++) {
		a = b = t = 7;
		if (update_fetch_content_range(bad[i], &a, &b, &t))
			fail_msg("accepted '%s'", bad[i]);
		assert_true(a == 7 && b == 7 && t == 7);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_etag),
		cmocka_unit_test(test_content_range),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
