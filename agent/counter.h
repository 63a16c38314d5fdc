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

#define COUNTER_NAME_MAX 64	/* a channel's name, as stored in the baseline index */
#define COUNTER_MAX_ADVANCE 1024 /* increments one counter_advance may make */

/* The counter: TPM2_NT_COUNTER, incremented and read with its own empty authValue
 * (or read with owner authorization), not ORDERLY, NO_DA. */
#define COUNTER_NV_ATTRS                                                                 \
	((TPMA_NV)((TPM2_NT_COUNTER << TPMA_NV_TPM2_NT_SHIFT) | TPMA_NV_AUTHWRITE |       \
		   TPMA_NV_OWNERREAD | TPMA_NV_AUTHREAD | TPMA_NV_NO_DA))
/* The baseline: an ordinary index, written (whole, once) with owner authorization
 * and then locked for good (WRITEDEFINE), read like the counter. */
#define COUNTER_BASELINE_ATTRS                                                           \
	((TPMA_NV)((TPM2_NT_ORDINARY << TPMA_NV_TPM2_NT_SHIFT) | TPMA_NV_OWNERWRITE |     \
		   TPMA_NV_WRITEALL | TPMA_NV_WRITEDEFINE | TPMA_NV_OWNERREAD |           \
		   TPMA_NV_AUTHREAD | TPMA_NV_NO_DA))
/* The baseline index holds: the baseline (8 bytes, big-endian), the counter's
 * handle (4 bytes, big-endian) and the channel's name (64 bytes, NUL-padded), so a
 * configuration that points a channel at another channel's indices is refused. */
#define COUNTER_BASELINE_SIZE (8 + 4 + COUNTER_NAME_MAX)

enum counter_nv_kind { COUNTER_NV_COUNTER, COUNTER_NV_BASELINE };

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

/* 0 when pub (of the index at the channel's handle for kind) has our attributes,
 * SHA-256 name algorithm, empty policy and size, ignoring the state bits WRITTEN,
 * WRITELOCKED and READLOCKED; GW_E_STATE naming each difference otherwise. */
int counter_check_public(enum counter_nv_kind kind, const TPMS_NV_PUBLIC *pub,
			 gw_error *err) GW_WUR;
/* attrs as tpm2-tools spells them ("ownerread|authwrite|nt=0x1|no_da"). */
void counter_attrs_string(TPMA_NV attrs, char *buf, size_t len);
void counter_baseline_encode(const struct counter_channel *ch, uint64_t baseline,
			     uint8_t out[COUNTER_BASELINE_SIZE]);
/* GW_E_STATE when the record names another channel or counter handle. */
int counter_baseline_decode(const struct counter_channel *ch, const uint8_t *in, size_t len,
			    uint64_t *baseline, gw_error *err) GW_WUR;

#endif
