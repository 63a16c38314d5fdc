/* SPDX-License-Identifier: Apache-2.0 */
/* The attest round's boot files check (boot_files.h), when the model's policy
 * names a boot_files_pcr: before the appraisal, every release's boot files (which
 * that PCR's allowed rule then also allows); after the update records are read,
 * the running release against the bootloader's authentic events there. */
#ifndef GW_VERIFIER_SERVICE_BOOT_H
#define GW_VERIFIER_SERVICE_BOOT_H

#include <stdbool.h>
#include <stdint.h>

#include "boot_files.h"
#include "service.h"
#include "service_updates.h"

struct service_boot {
	bool on;		/* the policy names a boot_files_pcr */
	int load_rc;		/* boot_files_load()'s */
	char load_why[256];
	struct boot_files bf;
};

/* When pol names a boot_files_pcr, read the boot files of model's releases (a
 * failure is kept, for service_boot_check to report). */
void service_boot_load(struct service_worker *w, const struct gwpol *pol, const char *model,
		       struct service_boot *out);

/* What the policy's allowed rule on boot_files_pcr also allows, or NULL. */
const struct gwpol_digests *service_boot_allowed(const struct service_boot *b);

/* The check, adding executables CONTRAINDICATED findings (rule "boot-files") to
 * rep: the policy cannot be judged soundly (gwpol_boot_files_unsound), the boot
 * files could not be read, or, when the authentic update records name a running
 * release the verifier holds, its PCR's events are not authenticated (fw NULL: the
 * firmware log did not replay; or the sha256 bank's PCR not in fw_quoted) or do
 * not pass boot_files_judge(). Nothing when the device names no running release,
 * or one the verifier does not hold. */
void service_boot_check(const struct service_boot *b, const struct gwpol *pol,
			const struct service_updates *u, const struct eventlog *fw,
			uint32_t fw_quoted, struct gwpol_report *rep);

void service_boot_fini(struct service_boot *b); /* NULL-safe */

#endif
