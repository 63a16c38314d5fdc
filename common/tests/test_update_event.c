// SPDX-License-Identifier: Apache-2.0
// The text of the agent's update records: what update_event_format writes,
// update_event_parse reads back; everything else is refused by name.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "update_event.h"

#define HEX "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

static void test_round_trip(void **state)
{
	struct update_event ev, back;
	char text[UPDATE_EVENT_TEXT_MAX];

	(void)state;
	for (int k = 0; k < UPDATE_EV_NKINDS; k++) {
		memset(&ev, 0, sizeof(ev));
		ev.kind = (enum update_event_kind)k;
		ev.group = k % 2 ? 'B' : 'A';
		strcpy(ev.version, "2.1.0-rc1+build.7");
		for (size_t i = 0; i < sizeof(ev.manifest_digest); i++)
			ev.manifest_digest[i] = (uint8_t)(i * 7 + (unsigned)k);
		ev.below_counter = k == UPDATE_EV_RUNNING;
		assert_int_equal(update_event_format(&ev, text, sizeof(text)), 0);
		assert_int_equal(update_event_parse(text, &back, NULL), 0);
		assert_int_equal(back.kind, ev.kind);
		assert_int_equal(back.group, ev.group);
		assert_string_equal(back.version, ev.version);
		assert_memory_equal(back.manifest_digest, ev.manifest_digest, 32);
		assert_int_equal(back.below_counter, ev.below_counter);
	}
	/* The longest version fits the documented buffer. */
	memset(ev.version, 'v', UPDATE_EVENT_VERSION_MAX);
	ev.version[UPDATE_EVENT_VERSION_MAX] = '\0';
	ev.kind = UPDATE_EV_RUNNING;
	ev.below_counter = true;
	assert_int_equal(update_event_format(&ev, text, sizeof(text)), 0);
}

static void test_format_refuses(void **state)
{
	struct update_event ev;
	char text[UPDATE_EVENT_TEXT_MAX];

	(void)state;
	memset(&ev, 0, sizeof(ev));
	ev.kind = UPDATE_EV_STAGED;
	ev.group = 'B';
	strcpy(ev.version, "1 0");
	assert_int_equal(update_event_format(&ev, text, sizeof(text)), GW_E_INVAL);
	strcpy(ev.version, "1.0");
	ev.group = 'C';
	assert_int_equal(update_event_format(&ev, text, sizeof(text)), GW_E_INVAL);
	ev.group = 'B';
	ev.below_counter = true; /* only a running record can be below the counter */
	assert_int_equal(update_event_format(&ev, text, sizeof(text)), GW_E_INVAL);
	ev.below_counter = false;
	assert_int_equal(update_event_format(&ev, text, 20), GW_E_TOOBIG);
}

static void test_parse_refuses(void **state)
{
	static const struct {
		const char *text, *why;
	} bad[] = {
		{ "", "does not start" },
		{ "update", "does not start" },
		{ "update installed A version 1 manifest sha256:" HEX, "unknown kind" },
		{ "update staged C version 1 manifest sha256:" HEX, "group" },
		{ "update staged A release 1 manifest sha256:" HEX, "no version" },
		{ "update staged A version  manifest sha256:" HEX, "bad version" },
		{ "update staged A version 1 manifest sha1:" HEX, "no manifest digest" },
		{ "update staged A version 1 manifest sha256:" HEX "00", "bad manifest digest" },
		{ "update staged A version 1 manifest sha256:0011", "bad manifest digest" },
		{ "update staged A version 1 manifest sha256:00112233445566778899AABBCCDDEEFF"
		  "00112233445566778899aabbccddeeff", "lower-case hex" },
		{ "update staged A version 1 manifest sha256:" HEX " below-counter", "unexpected" },
		{ "update running A version 1 manifest sha256:" HEX " ", "unexpected" },
		{ "update running A version 1 manifest sha256:" HEX "\n", "bad manifest digest" },
		{ " update running A version 1 manifest sha256:" HEX, "does not start" },
	};
	struct update_event ev;
	gw_error err;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&err, 0, sizeof(err));
		assert_int_equal(update_event_parse(bad[i].text, &ev, &err), GW_E_PARSE);
		if (!strstr(err.msg, bad[i].why))
			fail_msg("'%s': '%s' does not say '%s'", bad[i].text, err.msg, bad[i].why);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_format_refuses),
		cmocka_unit_test(test_parse_refuses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
