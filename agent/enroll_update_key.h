/* SPDX-License-Identifier: Apache-2.0 */
/* The enrollment step after the device certificate and the pinned gate key: create
 * the TPM update key if the state directory has none (agent/update_key.h) and
 * register it with the verifier (POST /v1/update-key, mTLS). */
#ifndef GW_AGENT_ENROLL_UPDATE_KEY_H
#define GW_AGENT_ENROLL_UPDATE_KEY_H

#include <stdbool.h>

#include "agent.h"
#include "enroll_state.h"
#include "vclient.h"

struct enroll_update_key_outcome {
	bool created;           /* the key was created by this call */
	bool registered_now;    /* the verifier stored it now ("registered"), not before */
	char name_hex[2 * 34 + 1];
};

/* Needs ctx->tpm, the enrolled state st and its files (gate key, client certificate
 * and key, CA). GW_E_STATE when the blob exists without its certification message
 * (it cannot be certified again: the creation ticket is gone); verifier refusals
 * as vclient_post() (f says how), GW_E_PARSE for an answer that does not name this
 * key. */
int enroll_update_key(struct agent_ctx *ctx, const struct enroll_state *st,
		      struct enroll_update_key_outcome *out, struct vclient_failure *f,
		      gw_error *err) GW_WUR;

#endif
