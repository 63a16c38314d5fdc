// SPDX-License-Identifier: Apache-2.0
// A device's update records as its authentic agent log has them: the running
// release, a pending trial and the outcome records, each only when its digests
// are the hash of its text.
#include "device_updates.h"

#include <stdio.h>
#include <string.h>

#include "cel.h"
#include "gwpol.h"
#include "util.h"

static void take(struct device_updates *u, const struct update_event *ev, uint64_t pos)
{
	if (ev->kind == UPDATE_EV_RUNNING) {
		if (u->has_running) {
			u->later_running++;
			return;
		}
		u->running = *ev;
		u->has_running = true;
		/* A trial staged before this boot's running record is not this boot's. */
		u->trial_pending = false;
		return;
	}
	if (ev->kind == UPDATE_EV_STAGED) {
		u->trial = *ev;
		u->trial_pending = true;
	} else {
		u->trial_pending = false;
	}
	/* The last ones are kept: the latest outcome is the one that counts. */
	if (u->n_outcomes == DEVICE_UPDATES_MAX_OUTCOMES) {
		memmove(&u->outcome[0], &u->outcome[1],
			(DEVICE_UPDATES_MAX_OUTCOMES - 1) * sizeof(u->outcome[0]));
		u->n_outcomes--;
		u->outcomes_dropped++;
	}
	u->outcome[u->n_outcomes].ev = *ev;
	u->outcome[u->n_outcomes].position = pos;
	u->n_outcomes++;
}

void device_updates_scan(const struct cel_log *log, struct device_updates *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; log && i < log->n; i++) {
		const struct cel_record *r = &log->rec[i];
		struct update_event ev;
		gw_error e = { { 0 } };

		if (r->pcr != GWPOL_TRUST_PCR)
			continue;
		out->pcr14_records++;
		if (!r->event_type || strcmp(r->event_type, UPDATE_EVENT_TYPE))
			continue;
		if (update_event_from_record(r, &ev, &e)) {
			/* Cut to fit: the reason is for a person. */
			if (!out->ignored++ &&
			    gw_snprintf(out->first_ignored, sizeof(out->first_ignored),
					"record %llu: %s", (unsigned long long)r->recnum, e.msg))
				out->first_ignored[sizeof(out->first_ignored) - 1] = '\0';
			continue;
		}
		take(out, &ev, out->pcr14_records);
	}
}

int device_updates_read(const uint8_t *cel, size_t len, struct device_updates *out,
			gw_error *err)
{
	struct cel_log *log = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = cel_parse(cel, len, &log, err);
	if (rc)
		return rc;
	device_updates_scan(log, out);
	cel_free(log);
	return 0;
}
