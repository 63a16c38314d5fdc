/* SPDX-License-Identifier: Apache-2.0 */
/* The text of the agent's `update` records in the trust PCR (running, staged,
 * committed, rolled-back, fell-back), written by gwagent and read by the policy
 * evaluator: one home for the format. A record's digest in each bank is that
 * bank's hash of the whole text (which names the manifest digest), so the replay
 * of the trust PCR authenticates the text; a record whose digests are not is not
 * believed (update_event_from_record). */
#ifndef GW_UPDATE_EVENT_H
#define GW_UPDATE_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cel.h"
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

/* The digest of text in bank alg (TPM2_ALG_*): the hash of its bytes (no NUL).
 * GW_E_INVAL for a bank gw_hash does not know. */
int update_event_digest(uint16_t alg, const char *text, uint8_t *out) GW_WUR;

/* A CEL record of type "update" as evidence: its text parses (update_event_parse)
 * and every digest it carries, of which sha256 must be one, is that bank's
 * update_event_digest of the text. GW_E_PARSE for a text that does not parse,
 * GW_E_REFERENCE for digests that do not match (the old form, the manifest digest
 * alone, is one), each naming why in err. The record's type and PCR are the
 * caller's to check. */
int update_event_from_record(const struct cel_record *r, struct update_event *out,
			     gw_error *err) GW_WUR;

/* "running", "staged", "committed", "rolled-back", "fell-back". */
const char *update_event_kind_name(enum update_event_kind kind);

#endif
