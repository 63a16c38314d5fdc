/* SPDX-License-Identifier: Apache-2.0 */
/* A policy version reset: the operator's way out of a version that went too high
 * (4294967295 freezes a model), a statement signed by a threshold of the [policy]
 * keys and bound to the model, the reset number and the version it replaces. */
#ifndef GW_VERIFIER_POLRESET_H
#define GW_VERIFIER_POLRESET_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "gw_error.h"
#include "gwpol.h"
#include "verdict.h"

#define POLRESET_PAYLOAD_TYPE "application/vnd.gatewarden.policy-reset+json"
#define POLRESET_TYPE "gatewarden-policy-reset"
#define POLRESET_MAX_SIZE 4096  /* payload bytes */
#define POLRESET_REASON_MAX 512 /* bytes of "reason" */

/* The payload, exactly these keys:
 *   {"type": "gatewarden-policy-reset", "model": "gw-1000", "reset": 1,
 *    "from_version": 4294967295, "to_version": 3, "reason": "..."}
 * reset: this reset's number for the model (1 for its first, 2 for the next...);
 * from_version: the model's current version, the one the reset replaces;
 * to_version: below it; the model's next policy must be above to_version. */
struct polreset {
	char model[GWPOL_NAME_MAX + 1];
	uint32_t reset;
	uint32_t from_version;
	uint32_t to_version;
	char reason[POLRESET_REASON_MAX + 1];
};

/* Parse a reset payload strictly (the strict JSON reader, no other key, model as
 * a policy's, 1 <= reset, to_version < from_version, reason 1..POLRESET_REASON_MAX
 * printable bytes). *out written only on success. GW_E_PARSE, GW_E_TOOBIG,
 * GW_E_TRAILING, GW_E_NOMEM. */
int polreset_parse(const uint8_t *payload, size_t len, struct polreset *out,
		   gw_error *err) GW_WUR;

/* Verify a reset envelope against at least threshold of the nkeys trusted keys
 * (payloadType POLRESET_PAYLOAD_TYPE) and parse its payload. info (optional) is
 * filled as far as the steps went (step, signers, payload digest; no diags).
 * Errors as verdict_load_policy(), and polreset_parse()'s. */
int polreset_load(const char *envelope, size_t len, EVP_PKEY *const *keys, size_t nkeys,
		  size_t threshold, struct polreset *out, struct verdict_policy_info *info,
		  gw_error *err) GW_WUR;

#endif
