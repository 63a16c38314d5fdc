/* SPDX-License-Identifier: Apache-2.0 */
/* The text of the agent's `update` records in the trust PCR (running, staged,
 * committed, rolled-back, fell-back), written by gwagent and read by the policy
 * evaluator: one home for the format. The text is a hint (a CEL record's text is
 * not covered by its digest); the digest is the manifest digest. */
#ifndef GW_UPDATE_EVENT_H
#define GW_UPDATE_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gw_error.h"

#define UPDATE_EVENT_TYPE "update"
#define UPDATE_EVENT_VERSION_MAX 64 /* == MANIFEST_VERSION_MAX */
#define UPDATE_EVENT_TEXT_MAX 192   /* the longest text update_event_format writes, + NUL */

enum update_event_kind {
	UPDATE_EV_RUNNING = 0, /* every boot: the booted group's manifest */
	UPDATE_EV_STAGED,      /* installed, set for a trial boot */
	UPDATE_EV_COMMITTED,   /* the trial passed its health checks */
	UPDATE_EV_ROLLED_BACK, /* a health check failed (or marked bad) */
	UPDATE_EV_FELL_BACK,   /* the bootloader spent the trial's tries */
	UPDATE_EV_NKINDS,
};

struct update_event {
	enum update_event_kind kind;
	char group;			 /* 'A' or 'B' */
	char version[UPDATE_EVENT_VERSION_MAX + 1]; /* printable ASCII, no blank */
	uint8_t manifest_digest[32];
	bool below_counter;		 /* running only: below the anti-rollback counter */
};

/* "update KIND G version V manifest sha256:HEX[ below-counter]" into buf.
 * GW_E_INVAL (bad field, below_counter on a kind other than running), GW_E_TOOBIG. */
int update_event_format(const struct update_event *ev, char *buf, size_t len) GW_WUR;

/* Parse exactly that form (nothing before or after). GW_E_PARSE naming the part. */
int update_event_parse(const char *text, struct update_event *out, gw_error *err) GW_WUR;

/* "running", "staged", "committed", "rolled-back", "fell-back". */
const char *update_event_kind_name(enum update_event_kind kind);

#endif
