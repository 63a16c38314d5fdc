/* SPDX-License-Identifier: Apache-2.0 */
/* A policy version reset: the operator's way out of a version that went too high
 * (4294967295 freezes a model), a statement signed by a threshold of the [policy]
 * keys and bound to the model, the reset number and the version it replaces. */
#ifndef GW_VERIFIER_POLRESET_H
#define GW_VERIFIER_POLRESET_H

#include <stddef.h>
#include <stdint.h>

#include "gw_error.h"
#include "gwpol.h"

#define POLRESET_PAYLOAD_TYPE "application/vnd.gatewarden.policy-reset+json"
#define POLRESET_TYPE "gatewarden-policy-reset"
#define POLRESET_MAX_SIZE 4096  /* payload bytes */
#define POLRESET_REASON_MAX 512 /* bytes of "reason" */
/* How far ahead "expires" may be when the reset is applied: a statement signed
 * but never applied stops being usable. */
#define POLRESET_MAX_LIFETIME (30 * 24 * 3600)

/* The payload, exactly these keys:
 *   {"type": "gatewarden-policy-reset", "model": "gw-1000", "reset": 1,
 *    "from_version": 4294967295, "to_version": 3,
 *    "next_policy_sha256": "<64 hex>", "expires": 1767225600, "reason": "..."}
 * reset: this reset's number for the model (1 for its first, 2 for the next...);
 * from_version: the model's current version, the one the reset replaces;
 * to_version: below it; the model's next policy must be above to_version;
 * next_policy_sha256: SHA-256 of the payload (the policy JSON) of the one policy
 * the model may take first after the reset, lower-case hex;
 * expires: unix seconds after which the statement is refused. */
struct polreset {
	char model[GWPOL_NAME_MAX + 1];
	uint32_t reset;
	uint32_t from_version;
	uint32_t to_version;
	char next_sha256[65];
	int64_t expires;
	char reason[POLRESET_REASON_MAX + 1];
};

/* Parse a reset payload strictly (the strict JSON reader, no other key, model as
 * a policy's, 1 <= reset, to_version < from_version, next_policy_sha256 64
 * lower-case hex digits, 1 <= expires <= 2^53, reason 1..POLRESET_REASON_MAX
 * printable bytes). *out written only on success. GW_E_PARSE, GW_E_TOOBIG,
 * GW_E_TRAILING, GW_E_NOMEM. The envelope around it: verdict_load_reset(). */
int polreset_parse(const uint8_t *payload, size_t len, struct polreset *out,
		   gw_error *err) GW_WUR;

/* The statement is usable at now: expires is after now and at most
 * POLRESET_MAX_LIFETIME after it. GW_E_STATE otherwise (err says which). */
int polreset_check_time(const struct polreset *r, int64_t now, gw_error *err) GW_WUR;

#endif
