/* SPDX-License-Identifier: Apache-2.0 */
/* One appraisal for `gwverifier serve` and `gwverifier check-quote`: the policy-free
 * checklist, then the model's signed policy, into one report of EAR claims; and the
 * loading of a signed policy (DSSE envelope, threshold of trusted keys, strict
 * parse), with a per-worker cache so that a version is verified once. */
#ifndef GW_VERIFIER_VERDICT_H
#define GW_VERIFIER_VERDICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>
#include <openssl/evp.h>

#include "appraise.h"
#include "dsse.h"
#include "gw_error.h"
#include "gwpol.h"

/* Where verdict_load_policy() stopped. */
enum verdict_step {
	VERDICT_STEP_KEYS,      /* no trusted keys, or unusable ones */
	VERDICT_STEP_ENVELOPE,  /* not a DSSE envelope (an unsigned policy, say) */
	VERDICT_STEP_TYPE,      /* an envelope of another payloadType */
	VERDICT_STEP_SIGNATURE, /* the threshold of trusted keys is not met */
	VERDICT_STEP_PAYLOAD,   /* the policy JSON is refused (diags say why) */
	VERDICT_STEP_DONE,
};

/* What the envelope said besides the policy, for audit records and `policy show`. */
struct verdict_policy_info {
	enum verdict_step step;
	size_t nsigners;                               /* trusted keys that signed */
	char signed_by[DSSE_MAX_KEYS][DSSE_KEYID_LEN]; /* their keyids, in key order */
	char payload_sha256[65];                       /* lower-case hex */
	struct gwpol_diags diags;                      /* every error of the payload */
};

/* Read n PEM public keys (ECDSA P-256 or Ed25519) into keys[0..n-1]; the same key
 * under two file names is refused. On failure nothing is left allocated.
 * GW_E_NOTFOUND, GW_E_IO, GW_E_KEY (the detail names the file), GW_E_NOMEM,
 * GW_E_CRYPTO. */
int verdict_keys_load(char *const *paths, size_t n, EVP_PKEY **keys, gw_error *err) GW_WUR;
void verdict_keys_free(EVP_PKEY **keys, size_t n);

/* Verify a policy envelope (len bytes, no NUL needed) against at least threshold
 * (1..nkeys) of the nkeys trusted keys, check its payloadType is
 * GWPOL_PAYLOAD_TYPE, and parse the payload strictly. On success *out is the
 * caller's (gwpol_free()). info (optional) is filled as far as the steps went.
 * Errors: GW_E_CONFIG (no trusted keys), GW_E_PARSE / GW_E_TOOBIG / GW_E_TRAILING
 * (envelope or payload malformed, wrong payloadType), GW_E_SIGNATURE ("policy
 * signature: 1 of required 2 signatures valid (key 3f2a… unknown)"), GW_E_INVAL,
 * GW_E_KEY, GW_E_CRYPTO, GW_E_NOMEM. */
int verdict_load_policy(const char *envelope, size_t len, EVP_PKEY *const *keys, size_t nkeys,
			size_t threshold, struct gwpol **out, struct verdict_policy_info *info,
			gw_error *err) GW_WUR;

/* The steps every signed document of the [policy] keys goes through: the envelope
 * parsed strictly, its payloadType (payload_type), the payload's digest, the
 * threshold of trusted keys. what and noun name the document in messages
 * ("policy signature: ...", "not a signed policy (DSSE envelope)"). On success *out
 * is the verified envelope, the caller's (dsse_free()); info (optional) is filled
 * as far as the steps went (step VERDICT_STEP_PAYLOAD on success). Errors as
 * verdict_load_policy() before the payload. */
int verdict_open_envelope(const char *envelope, size_t len, EVP_PKEY *const *keys, size_t nkeys,
			  size_t threshold, const char *payload_type, const char *what,
			  const char *noun, struct dsse_envelope **out,
			  struct verdict_policy_info *info, gw_error *err) GW_WUR;

/* A policy version reset statement (polreset.h): verdict_open_envelope() for
 * POLRESET_PAYLOAD_TYPE, then polreset_parse() of the payload. *out written only
 * on success. Errors as verdict_open_envelope() and polreset_parse(). */
struct polreset;
int verdict_load_reset(const char *envelope, size_t len, EVP_PKEY *const *keys, size_t nkeys,
		       size_t threshold, struct polreset *out, struct verdict_policy_info *info,
		       gw_error *err) GW_WUR;

/* The PCRs of bank that a parsed quote covered, as a bitmap (bit n = PCR n). */
uint32_t verdict_quoted_pcrs(const struct appraise_result *res, uint16_t bank);

/* Appraise: appraise_quote(in), its checklist into rep (initialised here), then,
 * when the quote is genuine (the checklist passed, or at least its signature) and
 * pol is not NULL, gwpol_evaluate() against the logs that replayed. Without a
 * policy and with model not NULL, a configuration WARNING says the model has none;
 * model NULL adds nothing (the caller has said why there is no policy). Returns
 * appraise_quote()'s code (0, or the first failed check's GW_E_*, with err), or
 * GW_E_INVAL for a bad argument. */
int verdict_appraise(const struct appraise_input *in, const struct gwpol *pol, const char *model,
		     int64_t now, struct appraise_result *res, struct gwpol_report *rep,
		     gw_error *err) GW_WUR;
/* The same, with the SHA-256 of every boot file of the model's releases the
 * verifier holds (gwpol_evidence.boot_files; NULL: none). */
int verdict_appraise_boot(const struct appraise_input *in, const struct gwpol *pol,
			  const struct gwpol_digests *boot_files, const char *model, int64_t now,
			  struct appraise_result *res, struct gwpol_report *rep,
			  gw_error *err) GW_WUR;

/* The report as the EAR and the answers carry it: the failed claims
 * [{"claim","check","message"}] (check is the finding's rule), and the
 * trustworthiness vector {"instance-identity": 2, ...}. New objects the caller
 * puts; NULL on allocation failure. */
json_object *verdict_failures_json(const struct gwpol_report *rep);
/* The report is a warning whose one finding is the model's end of support (rule
 * "$.update.end_of_support"): a device the policy only says is past its support. */
bool verdict_warning_is_eol(const struct gwpol_report *rep);
/* The same of a stored result: status and its failed claims as
 * verdict_failures_json() wrote them. False for anything else or unreadable. */
bool verdict_result_is_eol(const char *status, const char *claims);
json_object *verdict_vector_json(const struct gwpol_report *rep);

/* A cache of verified policies keyed by (model, version) and the exact envelope
 * bytes, so that a row changed behind the verifier's back is verified again. Not
 * thread-safe: one per worker. */
struct verdict_cache;

struct verdict_cache *verdict_cache_new(size_t cap); /* NULL on allocation failure */
void verdict_cache_free(struct verdict_cache *c);   /* NULL-safe */
/* Forget every entry (the keys they were verified with changed). */
void verdict_cache_clear(struct verdict_cache *c);

/* The policy of (model, version) whose stored envelope is body (len bytes): from
 * the cache when the bytes are the ones verified before, else verified and parsed
 * now and cached. Returns 0 with *pol set (owned by the cache,
 * valid until the next call), or the verification's error with *why set to its
 * message (owned by the cache, same lifetime). Only outcomes the same bytes always
 * give are cached (success, a bad signature or payload); any other failure
 * (GW_E_NOMEM, GW_E_CRYPTO, ...) is tried again at the next call. */
int verdict_cache_get(struct verdict_cache *c, const char *model, uint32_t version,
		      const char *body, size_t len, EVP_PKEY *const *keys, size_t nkeys,
		      size_t threshold, const struct gwpol **pol, const char **why) GW_WUR;
/* Counters, for tests: verifications done and answers from the cache. */
void verdict_cache_stats(const struct verdict_cache *c, unsigned long *verified,
			 unsigned long *hits);

#endif
