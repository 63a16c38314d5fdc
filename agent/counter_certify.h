/* SPDX-License-Identifier: Apache-2.0 */
/* Certifying the anti-rollback counters for an attestation round: TPM2_NV_Certify
 * of each provisioned channel's counter and baseline by the AK over the round's
 * nonce, added to the evidence (the verifier side: common/counter_nv.h). */
#ifndef GW_AGENT_COUNTER_CERTIFY_H
#define GW_AGENT_COUNTER_CERTIFY_H

#include <stddef.h>
#include <stdint.h>

#include "agent.h"
#include "evidence.h"

/* Append a certified pair to ev->counters for each configured channel whose
 * indices are provisioned (a channel not provisioned yet is skipped); a channel
 * whose indices are not ours (GW_E_STATE) or a TPM failure is an error naming the
 * channel. */
int counter_certify_all(struct agent_ctx *ctx, const uint8_t *nonce, size_t nonce_len,
			struct evidence *ev, gw_error *err) GW_WUR;

#endif
