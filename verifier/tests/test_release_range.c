// SPDX-License-Identifier: Apache-2.0
// Unit tests for the Range and If-Range parser of bundle downloads: the accepted
// forms, clamping, unsatisfiable ranges, and malformed headers.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "release_range.h"
#include "util.h"

#define ETAG "\"abc\""

static enum release_range judge(const char *range, const char *if_range, uint64_t size,
				uint64_t *start, uint64_t *len)
{
	*start = *len = 12345;
	return release_range_parse(range, if_range, ETAG, size, start, len);
}

static void test_forms(void **state)
{
	uint64_t s, l;

	(void)state;
	assert_int_equal(judge(NULL, NULL, 1000, &s, &l), RELEASE_RANGE_FULL);
	assert_int_equal(judge("bytes=0-99", NULL, 1000, &s, &l), RELEASE_RANGE_PARTIAL);
	assert_true(s == 0 && l == 100);
	assert_int_equal(judge("bytes=500-", NULL, 1000, &s, &l), RELEASE_RANGE_PARTIAL);
	assert_true(s == 500 && l == 500);
	assert_int_equal(judge("bytes=999-999", NULL, 1000, &s, &l), RELEASE_RANGE_PARTIAL);
	assert_true(s == 999 && l == 1);
	assert_int_equal(judge("bytes=-10", NULL, 1000, &s, &l), RELEASE_RANGE_PARTIAL);
	assert_true(s == 990 && l == 10);
	/* Past the end: cut to the end; a suffix longer than the file is all of it. */
	assert_int_equal(judge("bytes=900-5000", NULL, 1000, &s, &l), RELEASE_RANGE_PARTIAL);
	assert_true(s == 900 && l == 100);
	assert_int_equal(judge("bytes=-5000", NULL, 1000, &s, &l), RELEASE_RANGE_PARTIAL);
	assert_true(s == 0 && l == 1000);
	assert_int_equal(judge("BYTES=0-0", NULL, 1000, &s, &l), RELEASE_RANGE_PARTIAL);
	assert_true(s == 0 && l == 1);
	assert_int_equal(judge("bytes=0-9223372036854775806", NULL, 1000, &s, &l),
			 RELEASE_RANGE_PARTIAL);
	assert_true(s == 0 && l == 1000);
}

static void test_unsatisfiable(void **state)
{
	uint64_t s, l;

	(void)state;
	assert_int_equal(judge("bytes=1000-", NULL, 1000, &s, &l), RELEASE_RANGE_UNSATISFIABLE);
	assert_int_equal(judge("bytes=1000-2000", NULL, 1000, &s, &l),
			 RELEASE_RANGE_UNSATISFIABLE);
	assert_int_equal(judge("bytes=-0", NULL, 1000, &s, &l), RELEASE_RANGE_UNSATISFIABLE);
	assert_true(s == 12345 && l == 12345); /* untouched */
}

static void test_invalid(void **state)
{
	static const char *const bad[] = {
		"bytes=",	   "bytes=-",	     "bytes=a-b",    "bytes=1-2,3-4", "bytes=0-1 ",
		"bytes= 0-1",	   "bytes=5-4",	     "bytes=0--1",   "bytes=--1",     "bytes=1",
		"bytes=0x10-",	   "bytes=+1-2",     "bytes=1-2-3",  "bytes=0-1,",    "bytes=,0-1",
		"bytes=99999999999999999999-", "bytes=0-99999999999999999999",
		"bytes=-99999999999999999999", "bytes=1-2\r\nX: y",
	};
	uint64_t s, l;

	(void)state;
	for (size_t i = 0; i < GW_ARRAY_SIZE(bad); i++) {
		enum release_range r = judge(bad[i], NULL, 1000, &s, &l);

		if (r != RELEASE_RANGE_INVALID)
			fail_msg("'%s' gave %d", bad[i], (int)r);
		assert_true(s == 12345 && l == 12345);
	}
	/* Other units and near misses of "bytes=" are ignored: the whole file. */
	assert_int_equal(judge("items=0-1", NULL, 1000, &s, &l), RELEASE_RANGE_FULL);
	assert_int_equal(judge("bytes 0-1", NULL, 1000, &s, &l), RELEASE_RANGE_FULL);
	assert_int_equal(judge("", NULL, 1000, &s, &l), RELEASE_RANGE_FULL);
}

static void test_if_range(void **state)
{
	uint64_t s, l;

	(void)state;
	assert_int_equal(judge("bytes=10-", ETAG, 1000, &s, &l), RELEASE_RANGE_PARTIAL);
	assert_true(s == 10 && l == 990);
	/* Another tag, a weak one, a date: the whole file (the client's part is stale). */
	assert_int_equal(judge("bytes=10-", "\"abd\"", 1000, &s, &l), RELEASE_RANGE_FULL);
	assert_int_equal(judge("bytes=10-", "W/\"abc\"", 1000, &s, &l), RELEASE_RANGE_FULL);
	assert_int_equal(judge("bytes=10-", "abc", 1000, &s, &l), RELEASE_RANGE_FULL);
	assert_int_equal(judge("bytes=10-", "Thu, 01 Jan 2026 00:00:00 GMT", 1000, &s, &l),
			 RELEASE_RANGE_FULL);
	/* If-Range without Range: nothing to decide. */
	assert_int_equal(judge(NULL, "\"abd\"", 1000, &s, &l), RELEASE_RANGE_FULL);
	/* Without an ETag to compare, If-Range never matches. */
	assert_int_equal(release_range_parse("bytes=1-", ETAG, NULL, 1000, &s, &l),
			 RELEASE_RANGE_FULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_unsatisfiable),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_if_range),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
