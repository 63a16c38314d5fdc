/* SPDX-License-Identifier: Apache-2.0 */
/* When the gateway may install an offered release: the [consent] section of the
 * agent configuration (auto_install, maintenance windows in a time zone, maximum
 * deferral) and the decision for one offer at one instant. The decision is a pure
 * function of its inputs, so the daemon, `update pending` and the tests agree. */
#ifndef GW_AGENT_CONSENT_H
#define GW_AGENT_CONSENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gw_error.h"

#define CONSENT_MAX_WINDOWS 16
#define CONSENT_TZ_MAX 64
#define CONSENT_DEFAULT_MAX_DEFERRAL (7 * 86400)
#define CONSENT_MAX_DEFERRAL_LIMIT (365 * 86400)

enum consent_mode {
	CONSENT_AUTO_YES,	   /* install every offered release */
	CONSENT_AUTO_SECURITY_ONLY, /* only releases that raise the security version */
	CONSENT_AUTO_NO,	   /* only after `update accept` (or a critical deadline) */
};

/* One maintenance window: on each day in days (bit 0 = Sunday, as tm_wday), from
 * start to end minutes after local midnight. end <= start: the window ends on the
 * next day at end. */
struct consent_window {
	uint8_t days;
	uint16_t start;
	uint16_t end;
};

struct agent_consent {
	enum consent_mode mode;
	struct consent_window windows[CONSENT_MAX_WINDOWS];
	size_t nwindows;	      /* 0: any time */
	char tz[CONSENT_TZ_MAX + 1];  /* "": the system's local time */
	int64_t max_deferral;	      /* seconds an offer may be deferred */
};

/* What the device knows of one offered release. */
struct consent_offer {
	int64_t offered_at;	    /* when this device first saw the offer */
	uint64_t security_version;  /* the release's */
	uint64_t current_sv;	    /* the device's committed security version */
	int64_t deadline;	    /* a critical release's deadline; 0: none */
};

/* What the device's user said about it. */
struct consent_answer {
	bool accepted;		/* `update accept` */
	int64_t defer_until;	/* `update defer`; 0: not deferred */
};

enum consent_action {
	CONSENT_INSTALL,	/* now */
	CONSENT_WAIT_WINDOW,	/* at not_before, the next window's start */
	CONSENT_WAIT_CONSENT,	/* until `update accept`, or the deadline */
	CONSENT_DEFERRED,	/* until not_before */
};

struct consent_decision {
	enum consent_action action;
	int64_t not_before;	/* WAIT_WINDOW, DEFERRED; for WAIT_CONSENT the deadline
				 * after which it installs anyway (0: none) */
	const char *reason;	/* static text for people */
};

void consent_defaults(struct agent_consent *c);
/* One key of [consent]: auto_install, window (repeatable), timezone, max_deferral.
 * GW_E_PARSE for a bad value, GW_E_CONFIG (with the detail) for an unknown key or
 * too many windows. */
int consent_config_key(struct agent_consent *c, const char *key, const char *value,
		       gw_error *err) GW_WUR;
/* "DAYS HH:MM-HH:MM": DAYS is daily, or a comma list of Mon..Sun and ranges
 * (Mon-Fri, Fri-Mon); 24:00 is allowed as an end. GW_E_PARSE. */
int consent_window_parse(const char *s, struct consent_window *w) GW_WUR;
/* The text of a window as consent_window_parse reads it: "daily 02:00-04:00" or
 * "Mon,Tue,Wed 02:00-04:00". GW_E_TOOBIG. */
int consent_window_format(const struct consent_window *w, char *buf, size_t len) GW_WUR;
const char *consent_mode_name(enum consent_mode m);
/* A duration: N seconds, or N followed by s, m, h or d, at most
 * CONSENT_MAX_DEFERRAL_LIMIT. GW_E_PARSE. */
int consent_duration_parse(const char *v, int64_t *out) GW_WUR;

/* True when the release raises the device's security version. */
bool consent_is_security(const struct consent_offer *o);
/* The hard deadline of an offer: the critical deadline, else offered_at +
 * max_deferral; deferral never reaches past it. */
int64_t consent_deadline(const struct agent_consent *c, const struct consent_offer *o);
/* Whether now is inside a window (true with no windows), and when the next window
 * starts (now when inside; 0 when none does within 8 days). GW_E_CONFIG when the
 * time zone cannot be used. */
int consent_window_at(const struct agent_consent *c, int64_t now, bool *inside,
		      int64_t *next_start, gw_error *err) GW_WUR;
/* The decision for offer o with answer a at now. */
int consent_decide(const struct agent_consent *c, const struct consent_offer *o,
		   const struct consent_answer *a, int64_t now, struct consent_decision *d,
		   gw_error *err) GW_WUR;
/* The deferral granted for a request to defer until `until` (0: as long as
 * allowed): at most the offer's deadline. GW_E_STATE when the deadline has passed. */
int consent_defer(const struct agent_consent *c, const struct consent_offer *o,
		  int64_t now, int64_t until, int64_t *granted, gw_error *err) GW_WUR;

#endif
