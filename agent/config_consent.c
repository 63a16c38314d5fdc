// SPDX-License-Identifier: Apache-2.0
// The agent configuration's [consent] section: auto_install, maintenance windows,
// their time zone and the maximum deferral, each key parsed strictly.
#include "consent.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "util.h"

static const char *const day_names[7] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };

void consent_defaults(struct agent_consent *c)
{
	memset(c, 0, sizeof(*c));
	c->mode = CONSENT_AUTO_YES;
	c->max_deferral = CONSENT_DEFAULT_MAX_DEFERRAL;
}

const char *consent_mode_name(enum consent_mode m)
{
	switch (m) {
	case CONSENT_AUTO_YES:
		return "yes";
	case CONSENT_AUTO_SECURITY_ONLY:
		return "security-only";
	case CONSENT_AUTO_NO:
		return "no";
	}
	return "?";
}

static int day_index(const char *s, size_t n)
{
	if (n != 3)
		return -1;
	for (int i = 0; i < 7; i++)
		if (!strncmp(s, day_names[i], 3))
			return i;
	return -1;
}

/* "Mon", "Mon-Fri" (wrapping: "Fri-Mon"), comma separated, or "daily". */
static int parse_days(const char *s, size_t n, uint8_t *out)
{
	uint8_t days = 0;
	size_t i = 0;

	if (n == 5 && !memcmp(s, "daily", 5)) {
		*out = 0x7f;
		return 0;
	}
	while (i < n) {
		size_t j = i;
		int a, b;

		while (j < n && s[j] != ',')
			j++;
		if (j - i == 3) {
			a = b = day_index(s + i, 3);
		} else if (j - i == 7 && s[i + 3] == '-') {
			a = day_index(s + i, 3);
			b = day_index(s + i + 4, 3);
		} else {
			return GW_E_PARSE;
		}
		if (a < 0 || b < 0)
			return GW_E_PARSE;
		for (int d = a;; d = (d + 1) % 7) {
			days |= (uint8_t)(1u << d);
			if (d == b)
				break;
		}
		if (j < n && j + 1 == n)
			return GW_E_PARSE; /* trailing comma */
		i = j + 1;
	}
	if (!days)
		return GW_E_PARSE;
	*out = days;
	return 0;
}

/* "HH:MM", 00:00-23:59, and 24:00 when allow24. */
static int parse_hhmm(const char *s, bool allow24, uint16_t *out)
{
	unsigned h, m;

	if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9' || s[2] != ':' ||
	    s[3] < '0' || s[3] > '9' || s[4] < '0' || s[4] > '9')
		return GW_E_PARSE;
	h = (unsigned)(s[0] - '0') * 10 + (unsigned)(s[1] - '0');
	m = (unsigned)(s[3] - '0') * 10 + (unsigned)(s[4] - '0');
	if (m > 59 || h > 24 || (h == 24 && (m || !allow24)))
		return GW_E_PARSE;
	*out = (uint16_t)(h * 60 + m);
	return 0;
}

int consent_window_parse(const char *s, struct consent_window *w)
{
	const char *sp = strchr(s, ' ');
	struct consent_window r = { 0 };

	if (!sp || strlen(sp + 1) != 11 || sp[6] != '-')
		return GW_E_PARSE;
	if (parse_days(s, (size_t)(sp - s), &r.days) || parse_hhmm(sp + 1, false, &r.start) ||
	    parse_hhmm(sp + 7, true, &r.end) || r.start == r.end)
		return GW_E_PARSE;
	*w = r;
	return 0;
}

int consent_window_format(const struct consent_window *w, char *buf, size_t len)
{
	char days[7 * 4 + 1] = "";
	size_t n = 0;

	if (w->days == 0x7f) {
		memcpy(days, "daily", 6);
	} else {
		for (int d = 0; d < 7; d++)
			if (w->days & (1u << d)) {
				if (n)
					days[n++] = ',';
				memcpy(days + n, day_names[d], 4);
				n += 3;
			}
	}
	if (gw_snprintf(buf, len, "%s %02u:%02u-%02u:%02u", days, w->start / 60u, w->start % 60u,
			w->end / 60u, w->end % 60u))
		return GW_E_TOOBIG;
	return 0;
}

/* "UTC", or an IANA name whose zoneinfo file exists: letters, digits, "_+-" and
 * "/" between components, no "." so no ".." and no absolute path. */
static int parse_tz(const char *v, char out[CONSENT_TZ_MAX + 1], gw_error *err)
{
	char path[128];
	struct stat st;
	size_t n = strlen(v);

	if (!n || n > CONSENT_TZ_MAX || v[0] == '/' || v[n - 1] == '/')
		return GW_E_PARSE;
	for (size_t i = 0; i < n; i++) {
		char ch = v[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '_' || ch == '+' || ch == '-' ||
		      (ch == '/' && v[i + 1] != '/')))
			return GW_E_PARSE;
	}
	if (strcmp(v, "UTC")) {
		if (gw_snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", v))
			return GW_E_PARSE;
		if (stat(path, &st) || !S_ISREG(st.st_mode))
			return gw_fail(err, GW_E_CONFIG,
				       "timezone '%s': no such zone in /usr/share/zoneinfo "
				       "(install tzdata, or use UTC)", v);
	}
	memcpy(out, v, n + 1);
	return 0;
}

int consent_duration_parse(const char *v, int64_t *out)
{
	char num[24];
	size_t n = strlen(v);
	uint64_t x, mul = 1;

	if (!n || n >= sizeof(num))
		return GW_E_PARSE;
	memcpy(num, v, n + 1);
	switch (num[n - 1]) {
	case 's': mul = 1; num[--n] = '\0'; break;
	case 'm': mul = 60; num[--n] = '\0'; break;
	case 'h': mul = 3600; num[--n] = '\0'; break;
	case 'd': mul = 86400; num[--n] = '\0'; break;
	default: break;
	}
	if (gw_parse_u64(num, CONSENT_MAX_DEFERRAL_LIMIT / mul, &x))
		return GW_E_PARSE;
	*out = (int64_t)(x * mul);
	return 0;
}

int consent_config_key(struct agent_consent *c, const char *key, const char *value,
		       gw_error *err)
{
	if (!strcmp(key, "auto_install")) {
		if (!strcmp(value, "yes"))
			c->mode = CONSENT_AUTO_YES;
		else if (!strcmp(value, "security-only"))
			c->mode = CONSENT_AUTO_SECURITY_ONLY;
		else if (!strcmp(value, "no"))
			c->mode = CONSENT_AUTO_NO;
		else
			return GW_E_PARSE;
		return 0;
	}
	if (!strcmp(key, "window")) {
		if (c->nwindows == CONSENT_MAX_WINDOWS)
			return gw_fail(err, GW_E_CONFIG, "[consent]: at most %d windows",
				       CONSENT_MAX_WINDOWS);
		if (consent_window_parse(value, &c->windows[c->nwindows]))
			return GW_E_PARSE;
		c->nwindows++;
		return 0;
	}
	if (!strcmp(key, "timezone"))
		return parse_tz(value, c->tz, err);
	if (!strcmp(key, "max_deferral"))
		return consent_duration_parse(value, &c->max_deferral);
	return gw_fail(err, GW_E_CONFIG, "[consent]: unknown key '%s'", key);
}
