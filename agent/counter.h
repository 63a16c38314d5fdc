/* SPDX-License-Identifier: Apache-2.0 */
/* Anti-rollback counters: one TPM2_NT_COUNTER NV index per update channel (not
 * TPMA_NV_ORDERLY, TPMA_NV_NO_DA), defined at provisioning with its baseline (the
 * value at definition) recorded in a write-once NV index beside it, so that the
 * security version = value - baseline cannot be lowered by editing a file. The
 * counter moves only at commit, and only up to exactly the committed security
 * version. */
#ifndef GW_AGENT_COUNTER_H
#define GW_AGENT_COUNTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent.h"
#include "counter_nv.h"
#include "tpm_nv.h"

/* A channel's NV indices (config [channel NAME]: counter_index, baseline_index). */
struct counter_channel {
	const char *name;
	uint32_t counter_index;
	uint32_t baseline_index;
};

struct counter_state {
	bool defined;		 /* both indices exist, written, with our attributes */
	uint64_t value;		 /* the counter as the TPM reads it */
	uint64_t baseline;	 /* the write-once baseline */
	uint64_t security_version; /* value - baseline */
};

/* Define the channel's counter and baseline indices (owner hierarchy) unless they
 * exist with the right attributes; `exists` says which it was. An index at either
 * handle with other attributes is GW_E_STATE (never reused or deleted silently). */
int counter_provision(struct agent_tpm *tpm, const struct counter_channel *ch, bool *existed,
		      gw_error *err) GW_WUR;

/* Read a channel's state; GW_E_NOTFOUND when not provisioned, GW_E_STATE when an
 * index is there with attributes other than ours (the detail names them). */
int counter_read(struct agent_tpm *tpm, const struct counter_channel *ch,
		 struct counter_state *out, gw_error *err) GW_WUR;

/* Increment until security_version == target, one TPM2_NV_Increment at a time (a
 * power cut between increments leaves a value between the old and the target, and
 * a rerun finishes the job). GW_E_STATE when the counter is already above target
 * (it can never go down). */
int counter_advance(struct agent_tpm *tpm, const struct counter_channel *ch, uint64_t target,
		    struct counter_state *out, gw_error *err) GW_WUR;

/* --- Added by the counter module (see doc/updates.md, "Anti-rollback counters"). */

#define COUNTER_MAX_ADVANCE 1024 /* increments one counter_advance may make */

/* The channel called name in cfg; GW_E_NOTFOUND when there is no [channel name]. The
 * strings stay owned by cfg. */
int counter_channel_find(const struct agent_config *cfg, const char *name,
			 struct counter_channel *out, gw_error *err) GW_WUR;

/* What counter_provision did for one channel, for `gwagent provision`. */
enum counter_provisioned {
	COUNTER_EXISTED,   /* both indices were there, complete */
	COUNTER_DEFINED,   /* defined now (or a provisioning cut short was finished) */
	COUNTER_REDEFINED, /* the counter was missing beside a locked baseline: defined
			    * again, its security version can only have gone up */
};
/* counter_provision with the detail of what it did; *state is the channel's state
 * afterwards. */
int counter_provision_ex(struct agent_tpm *tpm, const struct counter_channel *ch,
			 enum counter_provisioned *what, struct counter_state *state,
			 gw_error *err) GW_WUR;

/* Pure checks (no TPM), used by the functions above and by the unit tests. */

void counter_baseline_encode(const struct counter_channel *ch, uint64_t baseline,
			     uint8_t out[COUNTER_BASELINE_SIZE]);
/* GW_E_STATE when the record names another channel or counter handle. */
int counter_baseline_decode(const struct counter_channel *ch, const uint8_t *in, size_t len,
			    uint64_t *baseline, gw_error *err) GW_WUR;

#endif
