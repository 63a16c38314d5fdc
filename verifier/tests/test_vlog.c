// SPDX-License-Identifier: Apache-2.0
// Unit tests for the verifier's log lines: the "<N>" priority prefix, one line
// whatever a client sent (control characters escaped), key=value quoting, lines
// and values cut at a whole UTF-8 character, and the rate limit of repeated
// refusals.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"
#include "vlog.h"

static void test_format_prefix_and_time(void **state)
{
	char buf[256];
	size_t n;

	(void)state;
	n = vlog_format(buf, sizeof(buf), VLOG_ERR, 0, "store: disk full");
	assert_string_equal(buf, "<3>1970-01-01T00:00:00Z gwverifier: store: disk full\n");
	assert_int_equal(n, strlen(buf));
	vlog_format(buf, sizeof(buf), VLOG_INFO, 1796296047, "x");
	assert_string_equal(buf, "<6>2026-12-03T11:07:27Z gwverifier: x\n");
	/* Only the priority: a facility in the high bits is not written. */
	vlog_format(buf, sizeof(buf), (3 << 3) | VLOG_WARNING, 0, "x");
	assert_memory_equal(buf, "<4>", 3);
}

/* A device id, an error message or a path a client chose cannot start a line
 * of its own: a forged "<3>... gwverifier: attest ... status=affirming" line. */
static void test_format_no_line_injection(void **state)
{
	char buf[256];

	(void)state;
	vlog_format(buf, sizeof(buf), VLOG_WARNING, 0,
		    "refused device=evil\n<6>1970-01-01T00:00:00Z gwverifier: attest\r\x1b[2J\x7f");
	assert_non_null(strchr(buf, '\n'));
	assert_int_equal(strchr(buf, '\n') - buf, (long)strlen(buf) - 1);
	assert_non_null(strstr(buf, "device=evil\\x0a<6>"));
	assert_non_null(strstr(buf, "attest\\x0d\\x1b[2J\\x7f\n"));
	assert_null(strchr(buf, '\r'));
	assert_null(strchr(buf, '\x1b'));
}

/* A long message is cut, and the line still ends with its newline; an escape
 * is never cut in half. */
static void test_format_cut(void **state)
{
	char buf[64], msg[200];

	(void)state;
	memset(msg, 'a', sizeof(msg) - 1);
	msg[sizeof(msg) - 1] = '\0';
	vlog_format(buf, sizeof(buf), VLOG_ERR, 0, msg);
	assert_int_equal(strlen(buf), sizeof(buf) - 1);
	assert_int_equal(buf[sizeof(buf) - 2], '\n');
	memset(msg, '\n', sizeof(msg) - 1);
	vlog_format(buf, sizeof(buf), VLOG_ERR, 0, msg);
	assert_int_equal(buf[strlen(buf) - 1], '\n');
	assert_non_null(strstr(buf, "\\x0a\n"));
	assert_null(strstr(buf, "\\x0\n"));
	assert_null(strstr(buf, "\\x\n"));
}

static void test_value_quoting(void **state)
{
	char buf[32];

	(void)state;
	assert_string_equal(vlog_value(buf, sizeof(buf), "gw-test-1"), "gw-test-1");
	assert_string_equal(vlog_value(buf, sizeof(buf), "policy:gw-1000/3"), "policy:gw-1000/3");
	assert_string_equal(vlog_value(buf, sizeof(buf), ""), "\"\"");
	assert_string_equal(vlog_value(buf, sizeof(buf), "not offered"), "\"not offered\"");
	assert_string_equal(vlog_value(buf, sizeof(buf), "a\"b\\c"), "\"a\\\"b\\\\c\"");
	assert_string_equal(vlog_value(buf, sizeof(buf), "x=1 status=affirming"),
			    "\"x=1 status=affirming\"");
	/* Cut, still closed by its quote. */
	vlog_value(buf, 8, "a b c d e f g");
	assert_int_equal(strlen(buf), 6);
	assert_int_equal(buf[0], '"');
	assert_int_equal(buf[5], '"');
}

/* The lines written to stderr while fn runs, in buf. */
static void capture(void (*fn)(void), char *buf, size_t cap)
{
	FILE *tmp = tmpfile();
	int saved = dup(STDERR_FILENO);
	size_t n;

	assert_non_null(tmp);
	assert_true(saved >= 0);
	fflush(stderr);
	assert_true(dup2(fileno(tmp), STDERR_FILENO) >= 0);
	fn();
	fflush(stderr);
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	rewind(tmp);
	n = fread(buf, 1, cap - 1, tmp);
	buf[n] = '\0';
	fclose(tmp);
}

static void log_some(void)
{
	vlog(VLOG_NOTICE, "attest device=%s status=%s", "gw-1", "warning");
	for (int i = 0; i < 5; i++)
		vlog_repeat("refused attest", VLOG_WARNING, "refused action=attest n=%d", i);
	vlog_repeat("refused device.enroll", VLOG_WARNING, "refused action=device.enroll");
}

static int count(const char *s, const char *what)
{
	int n = 0;

	for (; (s = strstr(s, what)) != NULL; s += strlen(what))
		n++;
	return n;
}

static void test_lines_and_repeats(void **state)
{
	char buf[4096];

	(void)state;
	assert_int_equal(vlog_open(false), 0);
	capture(log_some, buf, sizeof(buf));
	vlog_close();
	assert_int_equal(count(buf, "\n"), 3);
	assert_non_null(strstr(buf, "<5>"));
	assert_non_null(strstr(buf, " gwverifier: attest device=gw-1 status=warning\n"));
	/* One of the five, the first; another kind is not held back by it. */
	assert_int_equal(count(buf, "refused action=attest"), 1);
	assert_non_null(strstr(buf, "<4>"));
	assert_non_null(strstr(buf, "refused action=attest n=0\n"));
	assert_non_null(strstr(buf, "refused action=device.enroll\n"));
}

/* Review finding 11: a cut never splits a UTF-8 sequence (two, three and four
 * bytes), wherever the buffer's end falls in it: the line stays UTF-8. */
static void test_format_cut_utf8(void **state)
{
	static const char *const chars[] = { "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80" };
	char buf[64], msg[128];

	(void)state;
	for (size_t c = 0; c < 3; c++) {
		for (size_t pad = 0; pad < 40; pad++) {
			size_t n = pad;

			memset(msg, 'a', pad);
			while (n + strlen(chars[c]) < sizeof(msg)) {
				memcpy(msg + n, chars[c], strlen(chars[c]));
				n += strlen(chars[c]);
			}
			msg[n] = '\0';
			vlog_format(buf, sizeof(buf), VLOG_ERR, 0, msg);
			if (!gw_utf8_valid(buf))
				fail_msg("char %zu pad %zu: '%s'", c, pad, buf);
			assert_int_equal(buf[strlen(buf) - 1], '\n');
			/* Only the character that did not fit is left out. */
			assert_true(strlen(buf) + strlen(chars[c]) > sizeof(buf) - 1);
		}
		/* A message that ends inside a sequence (cut to its own buffer before). */
		snprintf(msg, sizeof(msg), "cut %s", chars[c]);
		msg[strlen(msg) - 1] = '\0';
		vlog_format(buf, sizeof(buf), VLOG_ERR, 0, msg);
		assert_string_equal(buf, "<3>1970-01-01T00:00:00Z gwverifier: cut \n");
	}
}

static void test_value_cut_utf8(void **state)
{
	char buf[32];

	(void)state;
	for (size_t size = 3; size < sizeof(buf); size++) {
		vlog_value(buf, size, "x \xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xf0\x9f\x98\x80"
				      "\xf0\x9f\x98\x80\xc3\xa9\xc3\xa9\xe2\x82\xac\xe2\x82\xac");
		if (!gw_utf8_valid(buf))
			fail_msg("size %zu: '%s'", size, buf);
		assert_int_equal(buf[0], '"');
		assert_int_equal(buf[strlen(buf) - 1], '"');
	}
}

static void log_long_utf8(void)
{
	char msg[VLOG_LINE_MAX + 8];
	size_t n = 0;

	for (; n + 4 < sizeof(msg); n += 4)
		memcpy(msg + n, "a\xe2\x82\xac", 4);
	msg[n] = '\0';
	/* vsnprintf cuts each to VLOG_LINE_MAX bytes first: at every place in "a€". */
	vlog(VLOG_NOTICE, "%s", msg);
	vlog(VLOG_NOTICE, "b%s", msg);
	vlog(VLOG_NOTICE, "bb%s", msg);
	vlog(VLOG_NOTICE, "bbb%s", msg);
}

static void test_line_cut_utf8(void **state)
{
	char buf[8192];

	(void)state;
	assert_int_equal(vlog_open(false), 0);
	capture(log_long_utf8, buf, sizeof(buf));
	vlog_close();
	assert_int_equal(count(buf, "\n"), 4);
	assert_true(gw_utf8_valid(buf));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_prefix_and_time),
		cmocka_unit_test(test_format_no_line_injection),
		cmocka_unit_test(test_format_cut),
		cmocka_unit_test(test_value_quoting),
		cmocka_unit_test(test_lines_and_repeats),
		cmocka_unit_test(test_format_cut_utf8),
		cmocka_unit_test(test_value_cut_utf8),
		cmocka_unit_test(test_line_cut_utf8),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
