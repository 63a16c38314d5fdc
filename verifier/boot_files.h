/* SPDX-License-Identifier: Apache-2.0 */
/* The running release against what the bootloader measured: the signed boot
 * files (kernel, initramfs) of every release the verifier holds for a model, as
 * the store keeps them, the running release's as what the policy's allowed rule on
 * boot_files_pcr also allows, and the check that the authentic firmware log's
 * events on that PCR hold each boot file of the running release exactly once and
 * no boot file of another release (doc/updates.md, "Boot files"). Only digests
 * are compared: the paths in the bootloader's event data are not authenticated. */
#ifndef GW_VERIFIER_BOOT_FILES_H
#define GW_VERIFIER_BOOT_FILES_H

#include <stdbool.h>
#include <stddef.h>

#include "eventlog.h"
#include "gwpol.h"
#include "manifest.h"
#include "store.h"

#define BOOT_FILES_MAX_RELEASES 256 /* releases of one model judged against */
#define BOOT_FILES_MAX_FINDINGS 8   /* findings of one check, the rest counted */
#define BOOT_FILES_RULE "boot-files"

struct boot_release {
	char id[STORE_RELEASE_ID_LEN + 1];
	char version[STORE_RELEASE_VERSION_MAX + 1];
	char manifest_sha256[65];
	size_t n;				/* its boot files, 0 or more */
	struct store_boot_file files[STORE_BOOT_FILES_MAX];
};

struct boot_files {
	size_t n;
	struct boot_release *rel;
	size_t filled;			/* releases whose boot files were read from
					 * their bundles (stored before schema 13) */
	int fill_rc;			/* the first failure to store those, or 0 */
	char fill_why[160];
};

/* m's boot files as the store keeps them; out holds STORE_BOOT_FILES_MAX. */
void boot_files_of_manifest(const struct manifest *m, struct store_boot_file *out, size_t *n);

/* Add release b (id, version, manifest digest and boot files) to bf. GW_E_TOOBIG
 * past BOOT_FILES_MAX_RELEASES, GW_E_NOMEM. */
int boot_files_add(struct boot_files *bf, const struct store_release_boot *b,
		   gw_error *err) GW_WUR;

/* Every release the store holds for model, withdrawn ones included, with its boot
 * files as stored (store_release_boot_list: one query). A release added before
 * schema 13 has none stored: its are read once from the verifier's copy of its
 * bundle (whose manifest must have the stored digest) and stored for the next
 * round; a failure to store them only sets bf->fill_rc. On failure bf holds what
 * was read before it: the codes of store_release_boot_list(), GW_E_NOTFOUND or
 * GW_E_IO for a bundle that cannot be read, GW_E_REFERENCE for one whose manifest
 * is not the release's, GW_E_TOOBIG, GW_E_NOMEM. */
int boot_files_load(struct store *st, const char *model, struct boot_files *bf,
		    gw_error *err) GW_WUR;

void boot_files_fini(struct boot_files *bf); /* NULL-safe; bf reusable after */

/* The boot files of running (NULL: none) as the digests the policy's allowed
 * rule on the PCR also allows (size 32) into *out, which the caller releases with
 * free(out->d). GW_E_NOMEM. */
int boot_files_allowed(const struct boot_release *running, struct gwpol_digests *out) GW_WUR;

/* The stored release whose manifest digest is hex, or NULL. */
const struct boot_release *boot_files_release(const struct boot_files *bf, const char hex[65]);

/* The check, on the authentic firmware log's events of pcr (sha256 digests):
 * running is the release the device's authentic update records name as running.
 * Each boot file of running must be measured exactly once, and no event may carry
 * the digest of another release's boot file that is not also running's. Adds one
 * executables CONTRAINDICATED finding (rule BOOT_FILES_RULE) per problem to rep,
 * at most BOOT_FILES_MAX_FINDINGS (then one that counts the rest). */
void boot_files_judge(const struct boot_files *bf, const struct boot_release *running,
		      const struct eventlog *fwlog, unsigned pcr, struct gwpol_report *rep);

#endif
