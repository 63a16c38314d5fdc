// SPDX-License-Identifier: Apache-2.0
// The attest round's boot files check: the model's releases' boot files and the
// claimed running release's allowed before the appraisal, the running release
// judged after the update records.
#include "service_boot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "device_updates.h"
#include "util.h"

/* The release the log's first running record names, when the verifier holds it:
 * the same record service_updates_check reads once the log proves authentic. */
static const struct boot_release *claimed_running(const struct boot_files *bf,
						   const struct cel_log *cel)
{
	struct device_updates log;
	char hex[65];

	if (!cel)
		return NULL;
	device_updates_scan(cel, &log);
	if (!log.has_running)
		return NULL;
	gw_hex_encode(log.running.manifest_digest, 32, hex);
	return boot_files_release(bf, hex);
}

void service_boot_load(struct service_worker *w, const struct gwpol *pol, const char *model,
		       const struct cel_log *cel, struct service_boot *out)
{
	gw_error err = { { 0 } };

	memset(out, 0, sizeof(*out));
	if (!pol || !pol->update.has_boot_files_pcr)
		return;
	out->on = true;
	out->load_rc = boot_files_load(w->st, model, &out->bf, &err);
	if (out->bf.filled)
		service_log("attest: boot files of %zu release(s) of model %s read from their "
			    "bundles (added before schema 13)%s%s", out->bf.filled, model,
			    out->bf.fill_rc ? ", not stored: " : " and stored",
			    out->bf.fill_rc ? out->bf.fill_why : "");
	if (!out->load_rc) {
		out->claimed = claimed_running(&out->bf, cel);
		out->load_rc = boot_files_allowed(out->claimed, &out->allowed);
	}
	if (out->load_rc) {
		(void)snprintf(out->load_why, sizeof(out->load_why), "%s",
			       gw_error_msg(&err, out->load_rc));
		service_log("attest: boot files of model %s: %s", model, out->load_why);
	}
}

const struct gwpol_digests *service_boot_allowed(const struct service_boot *b)
{
	return b->on && !b->load_rc ? &b->allowed : NULL;
}

void service_boot_check(const struct service_boot *b, const struct gwpol *pol,
			const struct service_updates *u, const struct eventlog *fw,
			uint32_t fw_quoted, struct gwpol_report *rep)
{
	const struct boot_release *running;
	unsigned pcr;
	char why[256], hex[65];

	if (!b->on)
		return;
	pcr = pol->update.boot_files_pcr;
	if (gwpol_boot_files_unsound(pol, why, sizeof(why))) {
		gwpol_report_add(rep, GWPOL_CLAIM_EXECUTABLES, GWPOL_TIER_CONTRAINDICATED,
				 BOOT_FILES_RULE, "the running release cannot be checked against "
				 "PCR %u: %s", pcr, why);
		return;
	}
	if (b->load_rc) {
		gwpol_report_add(rep, GWPOL_CLAIM_EXECUTABLES, GWPOL_TIER_CONTRAINDICATED,
				 BOOT_FILES_RULE, "the releases' boot files cannot be read: %s",
				 b->load_why);
		return;
	}
	running = NULL;
	if (u->read && u->log.has_running) {
		gw_hex_encode(u->log.running.manifest_digest, 32, hex);
		running = boot_files_release(&b->bf, hex);
	}
	/* The same log read twice gives the same release, unless it did not prove
	 * authentic: then what the appraisal allowed rested on an unproven claim. */
	if (b->claimed && b->claimed != running)
		gwpol_report_add(rep, GWPOL_CLAIM_EXECUTABLES, GWPOL_TIER_CONTRAINDICATED,
				 BOOT_FILES_RULE, "PCR %u allowed the boot files of release %s, "
				 "which the device's update records name as running, but those "
				 "records are not authentic", pcr, b->claimed->id);
	if (!running)
		return;
	if (!fw || !(fw_quoted & (1u << pcr))) {
		gwpol_report_add(rep, GWPOL_CLAIM_EXECUTABLES, GWPOL_TIER_CONTRAINDICATED,
				 BOOT_FILES_RULE, "PCR %u's events are not authenticated (%s): the "
				 "running release %s cannot be checked against them", pcr,
				 fw ? "not quoted" : "no firmware log that replayed", running->id);
		return;
	}
	boot_files_judge(&b->bf, running, fw, pcr, rep);
}

void service_boot_fini(struct service_boot *b)
{
	if (!b)
		return;
	boot_files_fini(&b->bf);
	free(b->allowed.d);
	b->allowed.d = NULL;
}
