/* SPDX-License-Identifier: Apache-2.0 */
/* The attest round's boot files check (boot_files.h), when the model's policy
 * names a boot_files_pcr: before the appraisal, the model's releases' boot files
 * from the store, and the boot files of the release the device's log names as
 * running (which that PCR's allowed rule then also allows; none when it names no
 * release the verifier holds); after the update records are read as authentic,
 * the running release against the bootloader's authentic events there. */
#ifndef GW_VERIFIER_SERVICE_BOOT_H
#define GW_VERIFIER_SERVICE_BOOT_H

#include <stdbool.h>
#include <stdint.h>

#include "boot_files.h"
#include "cel.h"
#include "service.h"
#include "service_updates.h"

struct service_boot {
	bool on;		/* the policy names a boot_files_pcr */
	int load_rc;		/* boot_files_load()'s */
	char load_why[256];
	struct boot_files bf;
	/* The release the log names as running, read before the appraisal (not yet
	 * authenticated), and its boot files: the PCR's allowed rule's addition. */
	const struct boot_release *claimed;
	struct gwpol_digests allowed;
};

/* When pol names a boot_files_pcr, read the boot files of model's releases and
 * take the claimed running release from cel (NULL: none) (a failure is kept, for
 * service_boot_check to report). */
void service_boot_load(struct service_worker *w, const struct gwpol *pol, const char *model,
		       const struct cel_log *cel, struct service_boot *out);

/* What the policy's allowed rule on boot_files_pcr also allows (the claimed
 * running release's boot files; empty when there is none), or NULL. */
const struct gwpol_digests *service_boot_allowed(const struct service_boot *b);

/* The check, adding executables CONTRAINDICATED findings (rule "boot-files") to
 * rep: the policy cannot be judged soundly (gwpol_boot_files_unsound), the boot
 * files could not be read, a release's boot files were allowed for records that
 * did not prove authentic, or, when the authentic update records name a running
 * release the verifier holds, its PCR's events are not authenticated (fw NULL: the
 * firmware log did not replay; or the sha256 bank's PCR not in fw_quoted) or do
 * not pass boot_files_judge(). When the device names no running release, or one
 * the verifier does not hold, no boot file was allowed and the PCR's own rule
 * judged its events. */
void service_boot_check(const struct service_boot *b, const struct gwpol *pol,
			const struct service_updates *u, const struct eventlog *fw,
			uint32_t fw_quoted, struct gwpol_report *rep);

void service_boot_fini(struct service_boot *b); /* NULL-safe */

#endif
