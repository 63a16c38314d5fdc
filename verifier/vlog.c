// SPDX-License-Identifier: Apache-2.0
// The verifier's log lines: stderr with "<N>" priorities, or syslog (vlog.h).
#include "vlog.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "gw_error.h"
#include "util.h"

static bool to_syslog;
static pthread_once_t kinds_once = PTHREAD_ONCE_INIT;
static struct ratelog kinds[VLOG_KINDS];
static bool kinds_ok;

static void kinds_init(void)
{
	size_t i;

	for (i = 0; i < VLOG_KINDS; i++)
		if (ratelog_init(&kinds[i], VLOG_REPEAT_INTERVAL_S * 1000000000ull))
			break;
	kinds_ok = i == VLOG_KINDS;
	/* A half-made table is not used (vlog_repeat then writes every line). */
	while (!kinds_ok && i-- > 0)
		ratelog_fini(&kinds[i]);
}

int vlog_open(bool use_syslog)
{
	pthread_once(&kinds_once, kinds_init);
	if (!kinds_ok)
		return GW_E_NOMEM;
	to_syslog = use_syslog;
	if (use_syslog)
		openlog("gwverifier", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	return 0;
}

void vlog_close(void)
{
	if (to_syslog)
		closelog();
	to_syslog = false;
}

/* src into dst (size > 4) with control characters as \xNN; cut at a whole
 * character: never inside an escape or a UTF-8 sequence (also one that src
 * itself ends inside, having been cut to its own buffer). Returns the length
 * written. */
static size_t sanitize(char *dst, size_t size, const char *src)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0;

	for (; *src; src++) {
		unsigned char c = (unsigned char)*src;

		if (c < 0x20 || c == 0x7f) {
			if (n + 4 >= size)
				break;
			dst[n++] = '\\';
			dst[n++] = 'x';
			dst[n++] = hex[c >> 4];
			dst[n++] = hex[c & 15];
		} else {
			if (n + 1 >= size)
				break;
			dst[n++] = (char)c;
		}
	}
	n = gw_utf8_cut(dst, n);
	dst[n] = '\0';
	return n;
}

size_t vlog_format(char *buf, size_t size, int prio, time_t t, const char *msg)
{
	char ts[32];
	struct tm tm;
	int m;
	size_t n;

	if (!gmtime_r(&t, &tm) || !strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(ts, sizeof(ts), "-");
	m = snprintf(buf, size, "<%d>%s gwverifier: ", prio & 7, ts);
	if (m < 0 || (size_t)m >= size - 1) {
		buf[0] = '\0';
		return 0;
	}
	n = (size_t)m;
	n += sanitize(buf + n, size - n - 1, msg); /* one byte kept for the newline */
	buf[n++] = '\n';
	buf[n] = '\0';
	return n;
}

const char *vlog_value(char *buf, size_t size, const char *s)
{
	static const char token[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				    "0123456789._:/@+-";
	size_t n = 0, len = strlen(s);

	if (size < 3) {
		if (size)
			buf[0] = '\0';
		return buf;
	}
	if (len && strspn(s, token) == len) {
		snprintf(buf, size, "%s", s);
		return buf;
	}
	buf[n++] = '"';
	for (; *s && n + 3 < size; s++) {
		if (*s == '"' || *s == '\\')
			buf[n++] = '\\';
		buf[n++] = *s;
	}
	if (*s) /* cut: at a whole character */
		n = 1 + gw_utf8_cut(buf + 1, n - 1);
	buf[n++] = '"';
	buf[n] = '\0';
	return buf;
}

static void write_line(int prio, const char *msg)
{
	char line[VLOG_LINE_MAX + 64];

	if (to_syslog) {
		sanitize(line, sizeof(line), msg);
		syslog(LOG_DAEMON | (prio & 7), "%s", line);
		return;
	}
	vlog_format(line, sizeof(line), prio, time(NULL), msg);
	/* Workers log concurrently: one line is written whole. */
	flockfile(stderr);
	fputs(line, stderr);
	fflush(stderr);
	funlockfile(stderr);
}

void vlogv(int prio, const char *fmt, va_list ap)
{
	char msg[VLOG_LINE_MAX];

	vsnprintf(msg, sizeof(msg), fmt, ap); /* a cut line is still a line */
	write_line(prio, msg);
}

void vlog(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlogv(prio, fmt, ap);
	va_end(ap);
}

void vlog_repeat(const char *key, int prio, const char *fmt, ...)
{
	char msg[VLOG_LINE_MAX];
	uint64_t h = 1469598103934665603ull, held = 0;
	va_list ap;

	pthread_once(&kinds_once, kinds_init);
	for (const char *p = key; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	if (kinds_ok && !ratelog_allow(&kinds[h % VLOG_KINDS], gw_mono_ns(), &held))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ratelog_note_held(msg, sizeof(msg), held);
	write_line(prio, msg);
}
