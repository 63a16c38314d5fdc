// SPDX-License-Identifier: Apache-2.0
// The install decision for an offered release: consent (auto_install, accept,
// defer), deadlines and maintenance windows evaluated in the configured time zone.
#include "consent.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util.h"

/* glibc converts local time only through the TZ variable: a named zone is set for
 * the call and the old value put back. The agent is single-threaded where it
 * decides (documented in doc/updates.md). */
struct tz_saved {
	bool changed;
	bool had;
	char old[256];
};

static int tz_enter(const char *tz, struct tz_saved *s, gw_error *err)
{
	const char *cur = getenv("TZ");

	memset(s, 0, sizeof(*s));
	if (!tz[0])
		return 0;
	if (cur) {
		if (strlen(cur) >= sizeof(s->old))
			return gw_fail(err, GW_E_CONFIG, "TZ is too long");
		memcpy(s->old, cur, strlen(cur) + 1);
		s->had = true;
	}
	if (setenv("TZ", tz, 1))
		return gw_fail(err, GW_E_NOMEM, "setting TZ");
	s->changed = true;
	tzset();
	return 0;
}

static void tz_leave(struct tz_saved *s)
{
	if (!s->changed)
		return;
	if (s->had)
		(void)setenv("TZ", s->old, 1);
	else
		(void)unsetenv("TZ");
	tzset();
}

/* The instant of minute-of-day `minute` (may be 1440) on the local date `day`
 * days after date's, or -1 when mktime cannot say. */
static int64_t local_instant(const struct tm *date, int day, unsigned minute, int *wday)
{
	struct tm t = *date;
	time_t r;

	t.tm_mday += day;
	t.tm_hour = 12; /* the date first, away from DST changes at night */
	t.tm_min = 0;
	t.tm_sec = 0;
	t.tm_isdst = -1;
	if (mktime(&t) == (time_t)-1)
		return -1;
	if (wday)
		*wday = t.tm_wday;
	t.tm_hour = (int)(minute / 60);
	t.tm_min = (int)(minute % 60);
	t.tm_isdst = -1;
	r = mktime(&t);
	return r == (time_t)-1 ? -1 : (int64_t)r;
}

static void window_check(const struct consent_window *w, const struct tm *today, int64_t now,
			 bool *inside, int64_t *next)
{
	/* from yesterday (a window that crosses midnight) to a week ahead */
	for (int k = -1; k <= 8; k++) {
		int wday = 0;
		int64_t s = local_instant(today, k, w->start, &wday);
		int64_t e;

		if (s < 0 || !(w->days & (1u << wday)))
			continue;
		e = local_instant(today, w->end <= w->start ? k + 1 : k, w->end, NULL);
		if (e < 0)
			continue;
		if (s <= now && now < e)
			*inside = true;
		else if (s > now && (!*next || s < *next))
			*next = s;
	}
}

int consent_window_at(const struct agent_consent *c, int64_t now, bool *inside,
		      int64_t *next_start, gw_error *err)
{
	struct tz_saved saved;
	struct tm today;
	time_t t = (time_t)now;
	bool in = false;
	int64_t next = 0;
	int rc;

	if (!c->nwindows) {
		*inside = true;
		*next_start = now;
		return 0;
	}
	rc = tz_enter(c->tz, &saved, err);
	if (rc)
		return rc;
	if (!localtime_r(&t, &today)) {
		tz_leave(&saved);
		return gw_fail(err, GW_E_CONFIG, "local time of %lld in '%s' unknown",
			       (long long)now, c->tz[0] ? c->tz : "the system zone");
	}
	for (size_t i = 0; i < c->nwindows; i++)
		window_check(&c->windows[i], &today, now, &in, &next);
	tz_leave(&saved);
	*inside = in;
	*next_start = in ? now : next;
	return 0;
}

bool consent_is_security(const struct consent_offer *o)
{
	return o->security_version > o->current_sv;
}

int64_t consent_deadline(const struct agent_consent *c, const struct consent_offer *o)
{
	int64_t d = o->offered_at + c->max_deferral;

	return o->deadline && o->deadline < d ? o->deadline : d;
}

static const char *no_consent_reason(const struct agent_consent *c)
{
	if (c->mode == CONSENT_AUTO_SECURITY_ONLY)
		return "auto_install = security-only and this release does not raise the "
		       "security version: waiting for `gwagent update accept`";
	return "auto_install = no: waiting for `gwagent update accept`";
}

int consent_decide(const struct agent_consent *c, const struct consent_offer *o,
		   const struct consent_answer *a, int64_t now, struct consent_decision *d,
		   gw_error *err)
{
	bool past_critical = o->deadline && now >= o->deadline;
	int64_t limit = consent_deadline(c, o);
	bool consent, inside;
	int64_t next;
	int rc;

	if (a->defer_until > now && now < limit) {
		*d = (struct consent_decision){ CONSENT_DEFERRED,
						a->defer_until < limit ? a->defer_until : limit,
						"deferred by `gwagent update defer`" };
		return 0;
	}
	consent = a->accepted || past_critical || c->mode == CONSENT_AUTO_YES ||
		  (c->mode == CONSENT_AUTO_SECURITY_ONLY && consent_is_security(o));
	if (!consent) {
		*d = (struct consent_decision){ CONSENT_WAIT_CONSENT, o->deadline,
						no_consent_reason(c) };
		return 0;
	}
	if (a->accepted) {
		*d = (struct consent_decision){ CONSENT_INSTALL, now,
						"accepted with `gwagent update accept`" };
		return 0;
	}
	rc = consent_window_at(c, now, &inside, &next, err);
	if (rc)
		return rc;
	if (!inside) {
		*d = (struct consent_decision){ CONSENT_WAIT_WINDOW, next,
						"outside the maintenance windows" };
		return 0;
	}
	*d = (struct consent_decision){
		CONSENT_INSTALL, now,
		past_critical ? "a critical release past its deadline"
		: c->nwindows ? "auto_install, inside a maintenance window"
			      : "auto_install"
	};
	return 0;
}

int consent_defer(const struct agent_consent *c, const struct consent_offer *o,
		  int64_t now, int64_t until, int64_t *granted, gw_error *err)
{
	int64_t limit = consent_deadline(c, o);

	if (now >= limit)
		return gw_fail(err, GW_E_STATE,
			       "this release cannot be deferred: its deadline has passed");
	if (until && until <= now)
		return gw_fail(err, GW_E_INVAL, "defer until a time in the future");
	*granted = until && until < limit ? until : limit;
	return 0;
}
