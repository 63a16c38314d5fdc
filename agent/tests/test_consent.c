// SPDX-License-Identifier: Apache-2.0
// Unit tests for the [consent] section and the install decision: window syntax
// (good and bad fixtures), windows across midnight and a DST change in a named
// zone, consent modes, accept, deferral limits and critical deadlines.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "agent.h"
#include "consent.h"
#include "util.h"

#define FIXTURES "agent/tests/fixtures/consent"

/* 2026-12-07 is a Monday. */
#define MON_0000Z 1796601600LL
#define HOUR 3600LL
#define DAY 86400LL

static void test_window_parse(void **state)
{
	static const struct {
		const char *text;
		uint8_t days;
		uint16_t start, end;
		const char *formatted;
	} good[] = {
		{ "Mon-Fri 02:00-04:00", 0x3e, 120, 240, "Mon,Tue,Wed,Thu,Fri 02:00-04:00" },
		{ "daily 22:00-02:00", 0x7f, 1320, 120, "daily 22:00-02:00" },
		{ "Fri-Mon 00:00-24:00", 0x63, 0, 1440, "Sun,Mon,Fri,Sat 00:00-24:00" },
		{ "Sat,Sun 10:00-12:30", 0x41, 600, 750, "Sun,Sat 10:00-12:30" },
		{ "Mon,Wed-Thu 23:59-00:01", 0x1a, 1439, 1, "Mon,Wed,Thu 23:59-00:01" },
	};
	static const char *const bad[] = {
		"", "Mon", "Mon 02:00", "Mon 2:00-04:00", "Mon 02:00-02:00", "Mon 24:00-01:00",
		"Mon 02:60-03:00", "Mon,,Tue 01:00-02:00", "Mon, 01:00-02:00",
		"Funday 01:00-02:00", "Mon-Fri  01:00-02:00", "Mon 01:00-02:00 ",
		"mon 01:00-02:00", "Mon-Fr 01:00-02:00", " Mon 01:00-02:00", "Mon 01:00-24:01",
		"Mon 01:00_02:00", "daily,Mon 01:00-02:00", "Mon 01:00-0200",
	};

	(void)state;
	for (size_t i = 0; i < GW_ARRAY_SIZE(good); i++) {
		struct consent_window w, back;
		char text[64];

		if (consent_window_parse(good[i].text, &w))
			fail_msg("'%s' refused", good[i].text);
		assert_int_equal(w.days, good[i].days);
		assert_int_equal(w.start, good[i].start);
		assert_int_equal(w.end, good[i].end);
		assert_int_equal(consent_window_format(&w, text, sizeof(text)), 0);
		assert_string_equal(text, good[i].formatted);
		assert_int_equal(consent_window_parse(text, &back), 0);
		assert_memory_equal(&w, &back, sizeof(w));
	}
	for (size_t i = 0; i < GW_ARRAY_SIZE(bad); i++) {
		struct consent_window w;

		if (consent_window_parse(bad[i], &w) != GW_E_PARSE)
			fail_msg("'%s' accepted", bad[i]);
	}
}

static int load(const char *path, struct agent_config *cfg, gw_error *err)
{
	agent_config_defaults(cfg);
	return agent_config_load(path, cfg, err);
}

static void test_config_good(void **state)
{
	struct agent_config cfg;
	gw_error err = { { 0 } };
	int rc;

	(void)state;
	rc = load(FIXTURES "/good/full.conf", &cfg, &err);
	if (rc)
		fail_msg("%s", gw_error_msg(&err, rc));
	assert_int_equal(cfg.consent.mode, CONSENT_AUTO_SECURITY_ONLY);
	assert_int_equal(cfg.consent.nwindows, 2);
	assert_int_equal(cfg.consent.windows[1].days, 0x41);
	assert_int_equal(cfg.consent.windows[1].start, 1320);
	assert_string_equal(cfg.consent.tz, "Europe/Berlin");
	assert_int_equal(cfg.consent.max_deferral, 3 * DAY);
	agent_config_fini(&cfg);

	/* defaults: install when offered, any time, a week's deferral */
	consent_defaults(&cfg.consent);
	assert_int_equal(cfg.consent.mode, CONSENT_AUTO_YES);
	assert_int_equal(cfg.consent.nwindows, 0);
	assert_string_equal(cfg.consent.tz, "");
	assert_int_equal(cfg.consent.max_deferral, 7 * DAY);
}

static const struct {
	const char *file;
	const char *detail;
} bad_cases[] = {
	{ "auto-maybe.conf", "[consent]: bad value for 'auto_install': 'maybe'" },
	{ "auto-empty.conf", "[consent]: bad value for 'auto_install'" },
	{ "unknown-key.conf", "[consent]: unknown key 'windows'" },
	{ "window-no-hours.conf", "bad value for 'window': 'Mon'" },
	{ "window-short-hour.conf", "bad value for 'window'" },
	{ "window-empty.conf", "bad value for 'window'" },
	{ "window-24-start.conf", "bad value for 'window'" },
	{ "window-minute.conf", "bad value for 'window'" },
	{ "window-day.conf", "bad value for 'window'" },
	{ "window-lowercase.conf", "bad value for 'window'" },
	{ "window-double-comma.conf", "bad value for 'window'" },
	{ "window-trailing-comma.conf", "bad value for 'window'" },
	{ "window-two-spaces.conf", "bad value for 'window'" },
	{ "window-trailing.conf", "bad value for 'window'" },
	{ "tz-traversal.conf", "bad value for 'timezone'" },
	{ "tz-absolute.conf", "bad value for 'timezone'" },
	{ "tz-double-slash.conf", "bad value for 'timezone'" },
	{ "tz-unknown.conf", "timezone 'Nowhere/City': no such zone" },
	{ "deferral-years.conf", "bad value for 'max_deferral'" },
	{ "deferral-negative.conf", "bad value for 'max_deferral'" },
	{ "deferral-too-long.conf", "bad value for 'max_deferral'" },
	{ "too-many-windows.conf", "at most 16 windows" },
};

static void test_config_bad(void **state)
{
	(void)state;
	for (size_t i = 0; i < GW_ARRAY_SIZE(bad_cases); i++) {
		struct agent_config cfg;
		gw_error err = { { 0 } };
		char path[256];
		int rc;

		assert_true(snprintf(path, sizeof(path), FIXTURES "/bad/%s", bad_cases[i].file) <
			    (int)sizeof(path));
		rc = load(path, &cfg, &err);
		agent_config_fini(&cfg);
		if (rc != GW_E_CONFIG)
			fail_msg("%s: got %d (%s)", bad_cases[i].file, rc, gw_error_msg(&err, rc));
		if (strncmp(err.msg, path, strlen(path)))
			fail_msg("%s: \"%s\" does not name the file", bad_cases[i].file, err.msg);
		if (!strstr(err.msg, bad_cases[i].detail))
			fail_msg("%s: \"%s\" lacks \"%s\"", bad_cases[i].file, err.msg,
				 bad_cases[i].detail);
	}
}

static struct agent_consent utc_windows(const char *spec)
{
	struct agent_consent c;

	consent_defaults(&c);
	memcpy(c.tz, "UTC", 4);
	if (spec) {
		assert_int_equal(consent_window_parse(spec, &c.windows[0]), 0);
		c.nwindows = 1;
	}
	return c;
}

static void check_at(const struct agent_consent *c, int64_t now, bool inside, int64_t next)
{
	bool in;
	int64_t n;
	gw_error err = { { 0 } };
	int rc = consent_window_at(c, now, &in, &n, &err);

	if (rc)
		fail_msg("%s", gw_error_msg(&err, rc));
	if (in != inside || n != next)
		fail_msg("at %lld: inside %d next %lld, expected %d %lld", (long long)now, in,
			 (long long)n, inside, (long long)next);
}

static void test_windows_utc(void **state)
{
	struct agent_consent c = utc_windows("Mon-Fri 02:00-04:00");

	(void)state;
	check_at(&c, MON_0000Z + 3 * HOUR, true, MON_0000Z + 3 * HOUR);
	check_at(&c, MON_0000Z + 2 * HOUR, true, MON_0000Z + 2 * HOUR);
	check_at(&c, MON_0000Z + 4 * HOUR, false, MON_0000Z + DAY + 2 * HOUR);
	check_at(&c, MON_0000Z + 1 * HOUR, false, MON_0000Z + 2 * HOUR);
	/* Saturday noon: next Monday 02:00 */
	check_at(&c, MON_0000Z + 5 * DAY + 12 * HOUR, false, MON_0000Z + 7 * DAY + 2 * HOUR);

	/* across midnight: yesterday's window still open at 01:00 */
	c = utc_windows("daily 22:00-02:00");
	check_at(&c, MON_0000Z + 1 * HOUR, true, MON_0000Z + 1 * HOUR);
	check_at(&c, MON_0000Z + 2 * HOUR, false, MON_0000Z + 22 * HOUR);
	check_at(&c, MON_0000Z + 23 * HOUR, true, MON_0000Z + 23 * HOUR);

	/* no windows: any time */
	c = utc_windows(NULL);
	check_at(&c, MON_0000Z + 5, true, MON_0000Z + 5);
}

/* Berlin moves from CET to CEST on 2026-03-29 at 01:00 UTC: a daily window at
 * 01:00 local opens at 00:00 UTC that day and at 23:00 UTC the next. The zone is
 * set for the call only: the process's TZ is back afterwards. */
static void test_windows_dst(void **state)
{
	const int64_t mar29_0000z = 1774742400LL;
	struct agent_consent c = utc_windows("daily 01:00-02:00");

	(void)state;
	memcpy(c.tz, "Europe/Berlin", 14);
	assert_int_equal(setenv("TZ", "America/New_York", 1), 0);
	check_at(&c, mar29_0000z - HOUR, false, mar29_0000z);
	check_at(&c, mar29_0000z + 12 * HOUR, false, mar29_0000z + 23 * HOUR);
	check_at(&c, mar29_0000z + 23 * HOUR + 30 * 60, true, mar29_0000z + 23 * HOUR + 30 * 60);
	assert_string_equal(getenv("TZ"), "America/New_York");
	assert_int_equal(unsetenv("TZ"), 0);
	check_at(&c, mar29_0000z - HOUR, false, mar29_0000z);
	assert_null(getenv("TZ"));
}

static struct consent_decision decide(const struct agent_consent *c,
				      const struct consent_offer *o,
				      const struct consent_answer *a, int64_t now)
{
	struct consent_decision d;
	gw_error err = { { 0 } };
	int rc = consent_decide(c, o, a, now, &d, &err);

	if (rc)
		fail_msg("%s", gw_error_msg(&err, rc));
	return d;
}

static void test_decide(void **state)
{
	struct agent_consent c = utc_windows(NULL);
	struct consent_offer o = { .offered_at = MON_0000Z, .security_version = 3,
				   .current_sv = 3 };
	struct consent_answer a = { 0 };
	int64_t now = MON_0000Z + 12 * HOUR;
	struct consent_decision d;

	(void)state;
	d = decide(&c, &o, &a, now);
	assert_int_equal(d.action, CONSENT_INSTALL);

	c.mode = CONSENT_AUTO_NO;
	d = decide(&c, &o, &a, now);
	assert_int_equal(d.action, CONSENT_WAIT_CONSENT);
	assert_int_equal(d.not_before, 0);
	a.accepted = true;
	assert_int_equal(decide(&c, &o, &a, now).action, CONSENT_INSTALL);
	a.accepted = false;

	/* security-only: a release that does not raise the security version waits */
	c.mode = CONSENT_AUTO_SECURITY_ONLY;
	assert_int_equal(decide(&c, &o, &a, now).action, CONSENT_WAIT_CONSENT);
	o.security_version = 4;
	assert_true(consent_is_security(&o));
	assert_int_equal(decide(&c, &o, &a, now).action, CONSENT_INSTALL);

	/* a window: wait for it; accept overrides it */
	c = utc_windows("daily 02:00-04:00");
	d = decide(&c, &o, &a, now);
	assert_int_equal(d.action, CONSENT_WAIT_WINDOW);
	assert_int_equal(d.not_before, MON_0000Z + DAY + 2 * HOUR);
	a.accepted = true;
	assert_int_equal(decide(&c, &o, &a, now).action, CONSENT_INSTALL);
	a.accepted = false;
	assert_int_equal(decide(&c, &o, &a, MON_0000Z + DAY + 3 * HOUR).action, CONSENT_INSTALL);
}

static void test_defer_and_deadline(void **state)
{
	struct agent_consent c = utc_windows(NULL);
	struct consent_offer o = { .offered_at = MON_0000Z, .security_version = 4,
				   .current_sv = 3 };
	struct consent_answer a = { 0 };
	int64_t now = MON_0000Z + HOUR, granted = 0;
	struct consent_decision d;
	gw_error err = { { 0 } };

	(void)state;
	c.max_deferral = 2 * DAY;
	/* as long as allowed: to offered_at + max_deferral */
	assert_int_equal(consent_defer(&c, &o, now, 0, &granted, &err), 0);
	assert_int_equal(granted, MON_0000Z + 2 * DAY);
	/* beyond the limit: clamped */
	assert_int_equal(consent_defer(&c, &o, now, MON_0000Z + 9 * DAY, &granted, &err), 0);
	assert_int_equal(granted, MON_0000Z + 2 * DAY);
	assert_int_equal(consent_defer(&c, &o, now, now + HOUR, &granted, &err), 0);
	assert_int_equal(granted, now + HOUR);
	assert_int_equal(consent_defer(&c, &o, now, now, &granted, &err), GW_E_INVAL);

	a.defer_until = now + HOUR;
	d = decide(&c, &o, &a, now);
	assert_int_equal(d.action, CONSENT_DEFERRED);
	assert_int_equal(d.not_before, now + HOUR);
	assert_int_equal(decide(&c, &o, &a, now + HOUR).action, CONSENT_INSTALL);

	/* a stored deferral past the limit ends at the limit */
	a.defer_until = MON_0000Z + 9 * DAY;
	d = decide(&c, &o, &a, now);
	assert_int_equal(d.not_before, MON_0000Z + 2 * DAY);
	assert_int_equal(decide(&c, &o, &a, MON_0000Z + 2 * DAY).action, CONSENT_INSTALL);
	assert_int_equal(consent_defer(&c, &o, MON_0000Z + 2 * DAY, 0, &granted, &err),
			 GW_E_STATE);

	/* critical: the deadline ends deferral and overrides auto_install = no, but the
	 * install still waits for the next window */
	c.mode = CONSENT_AUTO_NO;
	o.deadline = MON_0000Z + 6 * HOUR;
	a.defer_until = MON_0000Z + DAY;
	d = decide(&c, &o, &a, now);
	assert_int_equal(d.action, CONSENT_DEFERRED);
	assert_int_equal(d.not_before, o.deadline);
	a.defer_until = 0;
	d = decide(&c, &o, &a, now);
	assert_int_equal(d.action, CONSENT_WAIT_CONSENT);
	assert_int_equal(d.not_before, o.deadline);
	assert_int_equal(decide(&c, &o, &a, o.deadline).action, CONSENT_INSTALL);
	c = utc_windows("daily 02:00-04:00");
	c.mode = CONSENT_AUTO_NO;
	d = decide(&c, &o, &a, o.deadline);
	assert_int_equal(d.action, CONSENT_WAIT_WINDOW);
	assert_int_equal(d.not_before, MON_0000Z + DAY + 2 * HOUR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_window_parse),
		cmocka_unit_test(test_config_good),
		cmocka_unit_test(test_config_bad),
		cmocka_unit_test(test_windows_utc),
		cmocka_unit_test(test_windows_dst),
		cmocka_unit_test(test_decide),
		cmocka_unit_test(test_defer_and_deadline),
	};

	return cmocka_run_group_tests_name("consent", tests, NULL, NULL);
}
