/* SPDX-License-Identifier: Apache-2.0 */
/* The store's per-model policies: signed envelopes, their version counters and
 * resets (store.h). */
#ifndef GW_STORE_POLICY_H
#define GW_STORE_POLICY_H

#include "store_handle.h"

/* ---- per-model policies ----
 * The store keeps each policy as given: the DSSE envelope whose payload is the
 * policy, so that it can be verified again whenever it is used; verifying and
 * parsing it is the caller's job (verdict_load_policy()). Versions of a model only
 * go up, and a stored version is never changed. */

/* Bytes of an envelope: one holding a policy of GWPOL_MAX_SIZE (2 MiB) grows by a
 * third in base64 (2.67 MiB), plus the JSON around it and up to DSSE_MAX_SIGS
 * signatures (keyid and base64 DER signature, under 1.5 KiB each). Within
 * DSSE_MAX_SIZE. */
#define STORE_POLICY_MAX (3u * 1024 * 1024)

struct store_policy {
	char model[STORE_MODEL_MAX + 1];
	uint32_t version;
	char *body; /* JSON text; owned after get/current, borrowed in list callbacks */
	int64_t added_at;
	char added_by[STORE_ACTOR_MAX + 1];
};
/* Free body of a policy filled by store_policy_get()/_current(). NULL is fine. */
void store_policy_fini(struct store_policy *p);

/* How far one new policy version may go above the model's current one. Without a
 * bound, one signed policy of version 4294967295 would freeze the model for good
 * (doc/verifier.md, "Versioning"). */
#define STORE_POLICY_MAX_STEP 1000u

/* The version counter of a model: its reset count (0 before any reset) and the
 * version a new policy must go above: the highest version added since the last
 * reset, else that reset's to_version, else 0. */
struct store_policy_counter {
	uint32_t resets;
	uint32_t version;
};
int store_policy_counter(struct store *st, const char *model, struct store_policy_counter *out,
			 gw_error *err) GW_WUR;

/* Store version `version` (>= 1) of model's policy; payload_sha256 (64 lower-case
 * hex digits, or NULL when unknown) is the SHA-256 of its signed payload, the
 * policy JSON. GW_E_STATE when version is not above the model's counter
 * (store_policy_counter), or more than STORE_POLICY_MAX_STEP above it, or was
 * stored before a reset, or it is the first policy after a reset and not the one
 * that reset names (err says which). */
int store_policy_add(struct store *st, const char *model, uint32_t version,
		     const char *payload_sha256, const char *body, int64_t now,
		     const char *actor, const struct store_audit *audit, gw_error *err) GW_WUR;
/* A version reset of model, as a threshold of policy keys signed it (body: the DSSE
 * envelope, kept as given): reset must be the model's reset count + 1, from_version
 * its counter's version, to_version below from_version and at least every version
 * stored below from_version (versions are never reused). Afterwards the counter is
 * (reset, to_version); the policy in force stays the current one until a policy
 * above to_version is added, and the first one added must be the one whose payload
 * has SHA-256 next_sha256 (64 lower-case hex digits): no other signed policy,
 * stored or not, comes back through a reset. A statement applied once can never
 * apply again. GW_E_STATE (err says which rule), GW_E_INVAL. */
int store_policy_reset(struct store *st, const char *model, uint32_t reset,
		       uint32_t from_version, uint32_t to_version, const char *next_sha256,
		       const char *body, int64_t now, const char *actor,
		       const struct store_audit *audit, gw_error *err) GW_WUR;
/* The policy in force: the last one added, i.e. the highest version since the
 * model's last reset that has one. GW_E_NOTFOUND when the model has none. */
int store_policy_current(struct store *st, const char *model, struct store_policy *out,
			 gw_error *err) GW_WUR;
/* One version. GW_E_NOTFOUND when there is no such version. */
int store_policy_get(struct store *st, const char *model, uint32_t version,
		     struct store_policy *out, gw_error *err) GW_WUR;
/* Called once per policy; the pointer (and body) is valid only during the call. A
 * non-zero return stops and is returned. */
typedef int (*store_policy_cb)(const struct store_policy *p, void *arg);
/* model NULL: the current version of every model, by model. model given: every
 * version of that model, newest (last added) first (nothing when it has none). */
int store_policy_list(struct store *st, const char *model, store_policy_cb cb, void *arg,
		      gw_error *err) GW_WUR;

#endif
