/* SPDX-License-Identifier: Apache-2.0 */
/* Measuring the agent's trust state (the pinned verifier gate key) into the trust
 * PCR. */
#ifndef GW_AGENT_TRUST_H
#define GW_AGENT_TRUST_H

#include <stdbool.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "agent.h"

/* Log, then extend H(DER SubjectPublicKeyInfo of gate) into the trust PCR in every
 * bank, as a CEL record of event type "trust". hex (65 bytes) receives the SHA-256;
 * recnum (may be NULL) the record number. */
int trust_measure_gate(struct agent_ctx *ctx, EVP_PKEY *gate, char *hex, uint64_t *recnum,
		       gw_error *err) GW_WUR;
/* Measure STATE_DIR/gate.pub when the device is enrolled; *measured says whether
 * there was one. */
int trust_measure_pinned(struct agent_ctx *ctx, bool *measured, gw_error *err) GW_WUR;

#endif
