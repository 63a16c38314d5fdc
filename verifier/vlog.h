/* SPDX-License-Identifier: Apache-2.0 */
/* The verifier's log: one line per event, on stderr with the syslog priority as
 * sd-daemon's "<N>" prefix (journald and systemd read it), or to syslog (facility
 * daemon) after vlog_open(true). Lines are made single: control characters a
 * device or a client sent cannot start a line of their own. */
#ifndef GW_VERIFIER_VLOG_H
#define GW_VERIFIER_VLOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "ratelog.h"

/* syslog(3)'s LOG_ERR ... LOG_INFO, and sd-daemon.h's SD_ERR ... SD_INFO. */
enum vlog_prio {
	VLOG_ERR = 3,
	VLOG_WARNING = 4,
	VLOG_NOTICE = 5,
	VLOG_INFO = 6,
};

/* A line: at most this many bytes, longer messages are cut (never inside a UTF-8
 * sequence, which would leave the journal a line that is no UTF-8). */
#define VLOG_LINE_MAX 1024
/* Repeated refusals of one kind: one line per kind at most this often (with the
 * count of the ones held back), VLOG_KINDS kinds told apart by their key. */
#define VLOG_REPEAT_INTERVAL_S 10u
#define VLOG_KINDS 64u

/* Before any thread logs: stderr (false) or syslog (true, openlog "gwverifier",
 * LOG_PID, LOG_DAEMON). vlog_close() undoes it. Either may be skipped: the log is
 * stderr then. 0, or GW_E_NOMEM. */
int vlog_open(bool use_syslog);
void vlog_close(void);

void vlog(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void vlogv(int prio, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* A line that can repeat at a client's will (a refusal): written through the
 * ratelog of its kind (key, e.g. "refused attest"), at most one per
 * VLOG_REPEAT_INTERVAL_S with the count held back since. */
void vlog_repeat(const char *key, int prio, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The stderr form of msg at time t: "<P>YYYY-MM-DDTHH:MM:SSZ gwverifier: MSG\n",
 * control characters of msg written as \xNN, cut to fit size (at least 64) at a
 * whole character: an escape or a UTF-8 sequence that does not fit is left out.
 * Returns the length. */
size_t vlog_format(char *buf, size_t size, int prio, time_t t, const char *msg);

/* s made safe for a key=value field of a line: a token of [A-Za-z0-9._:/@+-] as
 * it is, anything else (also "") in double quotes with '"' and '\' escaped;
 * control characters are left for vlog_format(). Cut to fit size, at a whole
 * UTF-8 character. Returns buf. */
const char *vlog_value(char *buf, size_t size, const char *s);

#endif
