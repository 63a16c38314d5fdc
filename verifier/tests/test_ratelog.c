// SPDX-License-Identifier: Apache-2.0
// Unit tests for rate-limited log lines: the first line is written, the rest are
// counted until the interval has passed, then one line carries the count.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "ratelog.h"
#include "util.h"

#define S 1000000000ull

static void test_first_then_one_per_interval(void **state)
{
	struct ratelog rl;
	uint64_t held = 99;

	(void)state;
	assert_int_equal(ratelog_init(&rl, 10 * S), 0);
	assert_true(ratelog_allow(&rl, 5 * S, &held));
	assert_int_equal(held, 0);
	for (int i = 0; i < 1000; i++)
		assert_false(ratelog_allow(&rl, 5 * S + (uint64_t)i * 1000, &held));
	assert_false(ratelog_allow(&rl, 15 * S - 1, &held));
	assert_true(ratelog_allow(&rl, 15 * S, &held));
	assert_int_equal(held, 1001);
	/* The count starts again; a quiet spell lets the next one through at once. */
	assert_true(ratelog_allow(&rl, 100 * S, &held));
	assert_int_equal(held, 0);
	ratelog_fini(&rl);
}

/* A monotonic clock that starts at 0 (a fresh boot): the first line still goes. */
static void test_clock_at_zero(void **state)
{
	struct ratelog rl;
	uint64_t held = 7;

	(void)state;
	assert_int_equal(ratelog_init(&rl, 10 * S), 0);
	assert_true(ratelog_allow(&rl, 0, &held));
	assert_int_equal(held, 0);
	assert_false(ratelog_allow(&rl, 1, &held));
	ratelog_fini(&rl);
	assert_true(gw_mono_ns() > 0);
}

/* The held-back count covers the time since the last line written, however long
 * that was: the note must not claim a fixed interval. */
static void test_held_note(void **state)
{
	char line[128] = "connection refused";
	char tiny[8] = "abcdefg";

	(void)state;
	ratelog_note_held(line, sizeof(line), 0);
	assert_string_equal(line, "connection refused");
	ratelog_note_held(line, sizeof(line), 452);
	assert_string_equal(line, "connection refused (and 452 more like it since the last "
				  "such line)");
	assert_null(strstr(line, "in the last"));
	ratelog_note_held(tiny, sizeof(tiny), 3); /* no room: the line stays whole */
	assert_string_equal(tiny, "abcdefg");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_then_one_per_interval),
		cmocka_unit_test(test_clock_at_zero),
		cmocka_unit_test(test_held_note),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
