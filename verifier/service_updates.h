/* SPDX-License-Identifier: Apache-2.0 */
/* The attest round's view of a device's updates, from its authentic agent log
 * (device_updates.h): claims for update records not believed and for a running
 * release below the certified counter, the running release for eligibility, and,
 * in the round's store transaction, the device's update state and one audit
 * record per new outcome record (never twice for the same record). */
#ifndef GW_VERIFIER_SERVICE_UPDATES_H
#define GW_VERIFIER_SERVICE_UPDATES_H

#include <stdbool.h>
#include <stdint.h>

#include "device_updates.h"
#include "gwpol.h"
#include "release_rules.h"
#include "service.h"
#include "store.h"

#define SERVICE_UPDATES_MAX_AUDITS 8 /* outcome audit records per round */

struct service_updates {
	bool read;			/* the log was authentic and read */
	uint32_t reset_count;		/* the quote's: the boot of the log */
	struct device_updates log;
	struct store_device_update state; /* what the round stores (the last
					   * outcome's time is set when stored) */
	bool has_running_release;
	struct store_release running;	/* the stored release the device runs */
};

/* After the appraisal and the counter check (dev->security_version is the
 * certified one), before the result is signed. authentic: the log replayed against
 * a genuine, fresh quote. Adds contraindicated configuration claims to rep (rules
 * "update-records", "running-release"). A release that cannot be read counts as
 * not stored (the running release unknown). */
void service_updates_check(struct service_worker *w, const struct store_device *dev,
			   const struct cel_log *cel, bool authentic, uint32_t reset_count,
			   struct gwpol_report *rep, struct service_updates *out);

/* The running release for eligibility, when the round knows it. */
void service_updates_device(const struct service_updates *u, struct release_device *d);

/* Inside the round's store transaction (only when its log is stored as authentic):
 * store the state and audit each outcome record not audited before (actor
 * "verifier", action "update.outcome", outcome "ok"), at most
 * SERVICE_UPDATES_MAX_AUDITS a round. */
int service_updates_record(struct service_worker *w, const char *device_id,
			   const struct service_updates *u, int64_t now, gw_error *err) GW_WUR;

void service_updates_fini(struct service_updates *u); /* NULL-safe */

/* The running release as stored for device_id into d (r holds it; release with
 * store_release_fini). Unknown (no row, no stored release): d->has_running false,
 * 0. Store failures: their code. */
int service_updates_running(struct store *st, const char *device_id, struct release_device *d,
			    struct store_release *r, gw_error *err) GW_WUR;

#endif
