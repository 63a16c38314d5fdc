/* SPDX-License-Identifier: Apache-2.0 */
/* Installing a bundle into the slot group that is not running: every check first
 * (signature against the pinned root, model, channel, expiry, anti-rollback
 * counter, slot classes, target devices), then mark the target bad, stream each
 * payload into its slot, store the manifest, record the group as staged, extend
 * PCR 14 "update staged" and set the group for a trial boot. */
#ifndef GW_AGENT_UPDATE_INSTALL_H
#define GW_AGENT_UPDATE_INSTALL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "agent.h"
#include "bootloader.h"
#include "manifest.h"
#include "progress.h"

/* Why an install was refused or failed; each has its own exit code. */
enum update_refusal {
	UPDATE_REFUSAL_NONE = 0,   /* not refused (or a plain runtime failure) */
	UPDATE_REFUSAL_SIGNATURE,  /* envelope not signed by the targets threshold */
	UPDATE_REFUSAL_BUNDLE,	   /* malformed, truncated, tampered, members not as listed */
	UPDATE_REFUSAL_MODEL,	   /* the manifest does not list this device's model */
	UPDATE_REFUSAL_CHANNEL,	   /* another channel than [update] channel */
	UPDATE_REFUSAL_EXPIRED,	   /* the manifest has expired */
	UPDATE_REFUSAL_ROLLBACK,   /* security version below the counter's */
	UPDATE_REFUSAL_SLOTS,	   /* classes or target devices do not fit */
	UPDATE_REFUSAL_BUSY,	   /* the running group is on trial, or nothing says which runs */
	UPDATE_REFUSAL_VERIFY,	   /* a slot did not read back as written */
	UPDATE_REFUSAL_ROOT,	   /* pinned root expired and no valid successor carried,
				    * or the carried root is not a valid successor */
	UPDATE_REFUSAL_ENCRYPTED,  /* encrypted payloads and no content key given */
	UPDATE_REFUSAL_AUTHORIZATION, /* a plain bundle without the verifier's
				    * authorization ([update] authorization = required),
				    * or one for another manifest */
};

struct update_install_opts {
	int fd;			   /* the bundle: a file, a pipe or standard input */
	struct progress *progress; /* or NULL */
	time_t now;
	/* An encrypted bundle's content key (32 bytes; the caller's, who wipes it), or
	 * NULL: then an encrypted bundle is refused before anything is written. */
	const uint8_t *content_key;
	/* The manifest SHA-256 (32 bytes) a verified authorization names (`update
	 * apply`), or NULL: then a plain bundle is refused unless [update]
	 * authorization = none. */
	const uint8_t *authorized_manifest;
};

struct update_install_result {
	enum update_refusal refusal;
	bool touched;		   /* the target group was marked installing */
	enum bl_group booted, target;
	char version[MANIFEST_VERSION_MAX + 1];
	uint64_t security_version;
	uint64_t counter_security_version;
	char digest_hex[65];	   /* the manifest's */
	unsigned npayloads;
	uint64_t bytes;		   /* payload bytes written */
	bool reboot_required;
	bool history_failed;	   /* the history line could not be appended */
};

/* Install. On failure res->refusal says why (UPDATE_REFUSAL_NONE for I/O, TPM or
 * configuration failures) and res->touched whether the target group was touched
 * (then it is marked installing in the state and bad in the bootloader; the
 * running group never is). Library codes as the failing step returns them. */
int update_install(struct agent_ctx *ctx, const struct update_install_opts *o,
		   struct update_install_result *res, gw_error *err) GW_WUR;

/* The exit code of a refusal (GW_EXIT_UPDATE_*), else gw_exit_for(rc). */
int update_refusal_exit(enum update_refusal r, int rc);
const char *update_refusal_name(enum update_refusal r);

#endif
