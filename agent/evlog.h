/* SPDX-License-Identifier: Apache-2.0 */
/* The agent's CEL event log in the state directory, bound to one TPM reset cycle,
 * and the one way to add to it: log durably, then extend. */
#ifndef GW_AGENT_EVLOG_H
#define GW_AGENT_EVLOG_H

#include <stdbool.h>
#include <stdint.h>

#include "agent.h"
#include "cel.h"

#define EVLOG_FILE "eventlog.cel"
#define EVLOG_PREV_FILE "eventlog.cel.prev"
#define EVLOG_META_FILE "eventlog.meta.json"
#define EVLOG_MAX_SIZE (16u * 1024 * 1024)

struct evlog_meta {
	uint32_t reset_count; /* TPM resetCount the log belongs to */
	bool booted;          /* `gwagent boot` has run in this reset cycle */
};

/* Make sure the log belongs to the TPM's current reset cycle: when the TPM was
 * reset (power cycle) since the log was started, the old log is kept as
 * eventlog.cel.prev and a new empty one begins. *fresh tells whether that happened. */
int evlog_sync(struct agent_ctx *ctx, struct evlog_meta *meta, bool *fresh,
	       gw_error *err) GW_WUR;
int evlog_mark_booted(struct agent_ctx *ctx, struct evlog_meta *meta, gw_error *err) GW_WUR;

/* Read and parse the current log (an absent log is an empty one). */
int evlog_read(struct agent_ctx *ctx, uint8_t **raw, size_t *raw_len, struct cel_log **log,
	       gw_error *err) GW_WUR;

/* Append a record to the log and fsync it, then extend pcr in every bank. A crash
 * in between leaves a record that is logged but not extended, which replay names. */
int evlog_measure(struct agent_ctx *ctx, unsigned pcr, const uint16_t *algs,
		  const uint8_t digests[][GW_MAX_DIGEST], size_t n, const char *event_type,
		  const char *stage, const char *path, const char *string, uint64_t *recnum,
		  gw_error *err) GW_WUR;

#endif
