/* SPDX-License-Identifier: Apache-2.0 */
/* The minimal per-model policy (JSON): which digests each measured stage may have,
 * and optionally the PCR selection to quote. Parsed strictly: it is untrusted input. */
#ifndef GW_POLICY_MIN_H
#define GW_POLICY_MIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <tss2/tss2_tpm2_types.h>

#include "gw_error.h"

#define POLICY_MIN_MAX_SIZE 262144  /* bytes of JSON */
#define POLICY_MIN_MAX_DEPTH 4      /* object > stages > array > string */
#define POLICY_MIN_NAME_MAX 64      /* model and stage names */
#define POLICY_MIN_MAX_STAGES 64
#define POLICY_MIN_MAX_DIGESTS 64   /* per stage */
#define POLICY_MIN_DIGEST_LEN 32    /* SHA-256 */

/*   {"model":"gw-1000","version":3,"pcr_selection":"sha256:0-7,13,14",
 *    "stages":{"rootfs":["<64 hex>",...],"application":[...]}}
 * model and stage names: 1-64 of A-Z a-z 0-9 . _ -; version 1..2^32-1;
 * pcr_selection optional (gw_pcrsel_parse syntax); stages: at least one stage,
 * each a non-empty array of distinct lower-case hex SHA-256 digests (several at
 * once during a rollout). No other keys. */
struct policy_min_stage {
	char name[POLICY_MIN_NAME_MAX + 1];
	size_t n_digests;
	uint8_t (*digests)[POLICY_MIN_DIGEST_LEN];
};

struct policy_min {
	char model[POLICY_MIN_NAME_MAX + 1];
	uint32_t version;
	bool has_pcr_selection;
	TPML_PCR_SELECTION pcr_selection;
	size_t n_stages;
	struct policy_min_stage *stages; /* in the order of the JSON text */
};

/* Parse len bytes of JSON text (no NUL needed; a NUL inside is refused). On success
 * *out is a new policy, freed with policy_min_free(). Errors, with the JSON path in
 * err ("policy: stages.rootfs[1]: ..."): GW_E_TOOBIG (over POLICY_MIN_MAX_SIZE or
 * a count cap), GW_E_PARSE (not JSON, too deep, unknown key, wrong type or value),
 * GW_E_TRAILING (bytes after the object), GW_E_NOMEM. */
int policy_min_parse(const char *json, size_t len, struct policy_min **out,
		     gw_error *err) GW_WUR;
void policy_min_free(struct policy_min *p);

enum policy_min_verdict {
	POLICY_MIN_ALLOWED = 0,
	POLICY_MIN_UNKNOWN_STAGE,  /* the policy does not name this stage */
	POLICY_MIN_UNKNOWN_DIGEST, /* the stage is named, the digest is not allowed */
};
/* Is digest (32 bytes of SHA-256) an allowed measurement of stage? */
enum policy_min_verdict policy_min_stage_allowed(const struct policy_min *p, const char *stage,
						 const uint8_t digest[POLICY_MIN_DIGEST_LEN]);

#endif
