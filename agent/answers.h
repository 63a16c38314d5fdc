/* SPDX-License-Identifier: Apache-2.0 */
/* Strict parsers for what the agent reads from outside: the verifier's JSON answers
 * (doc/protocol.md) and the enrollment state file (enrollment.json). */
#ifndef GW_AGENT_ANSWERS_H
#define GW_AGENT_ANSWERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <tss2/tss2_tpm2_types.h>

#include "digest.h"
#include "gw_error.h"

struct json_object;

/* Every answer is at most this large (an EAR JWT is capped at 64 KiB, PEM texts at
 * ANSWERS_MAX_PEM). */
#define ANSWERS_MAX_SIZE (256u * 1024)
#define ANSWERS_MAX_PEM (16u * 1024)
#define ANSWERS_ID_MAX 64     /* device id, model: 1-64 of A-Z a-z 0-9 . _ - */
#define ANSWERS_ENROLL_ID_HEX 32
#define ANSWERS_SECRET_MAX 64
#define ANSWERS_URL_MAX 512
#define ANSWERS_MAX_FAILED 32
#define ANSWERS_NONCE_MAX 64 /* bytes of a challenge nonce */

/* Rules shared by every parser below: the text must be one JSON object (RFC 8259,
 * UTF-8, nesting capped, no NUL, nothing after it); unknown keys are ignored (the
 * verifier may add some), but every key we use must have the right type, size and
 * encoding. Errors: GW_E_TOOBIG (over ANSWERS_MAX_SIZE), GW_E_PARSE (with the key
 * named in err), GW_E_TRAILING, GW_E_NOMEM. Outputs are written only on success. */

/* {"error":{"code":"…","message":"…"}}; code 1-63 of [a-z0-9_], message printable
 * (cut to fit). */
struct answer_error {
	char code[64];
	char message[256];
};
int answers_parse_error(const char *buf, size_t len, struct answer_error *out,
			gw_error *err) GW_WUR;

/* POST /v1/enroll: enrollment_id (32 lower-case hex), credential_blob (b64 of a
 * marshalled TPM2B_ID_OBJECT), encrypted_secret (b64 of a marshalled
 * TPM2B_ENCRYPTED_SECRET), expires_in (optional, 0..86400). */
struct answer_enroll {
	char enrollment_id[ANSWERS_ENROLL_ID_HEX + 1];
	TPM2B_ID_OBJECT blob;
	TPM2B_ENCRYPTED_SECRET enc;
	uint32_t expires_in;
};
int answers_parse_enroll(const char *buf, size_t len, struct answer_enroll *out,
			 gw_error *err) GW_WUR;

enum answer_state { ANSWER_PENDING = 0, ANSWER_ENROLLED = 1 };

/* POST /v1/enroll/activate and /v1/enroll/status: device_id, state; when enrolled
 * also client_certificate and gate_public_key (PEM, at most ANSWERS_MAX_PEM, must
 * hold a "-----BEGIN " block), verifier_id (optional). */
struct answer_activate {
	char device_id[ANSWERS_ID_MAX + 1];
	enum answer_state state;
	char *client_certificate; /* NULL when pending */
	char *gate_public_key;    /* NULL when pending */
	char verifier_id[129];
};
int answers_parse_activate(const char *buf, size_t len, struct answer_activate *out,
			   gw_error *err) GW_WUR;
void answers_activate_fini(struct answer_activate *a);

/* Most records a verifier may say it holds (EVIDENCE_MAX_CEL_OFFSET). */
#define ANSWERS_MAX_CEL_RECORDS 100000

/* POST /v1/attest/challenge: nonce (2-128 hex digits, even), pcr_selection
 * ("sha256:0,1,…"), expires_in (optional), and the verifier's copy of our CEL log:
 * cel_records (optional, 0..ANSWERS_MAX_CEL_RECORDS, absent is 0), cel_sha256 (64
 * lower-case hex) and cel_reset_count (0..2^32-1), both required when cel_records
 * is above 0 and checked whenever present. */
struct answer_challenge {
	uint8_t nonce[ANSWERS_NONCE_MAX];
	size_t nonce_len;
	TPML_PCR_SELECTION sel;
	char pcr_selection[GW_PCRSEL_TEXT_MAX];
	uint32_t expires_in;
	uint32_t cel_records;     /* 0: the verifier holds no prefix */
	uint8_t cel_sha256[32];   /* SHA-256 of the bytes of those records */
	uint32_t cel_reset_count; /* the TPM resetCount they were quoted in */
};
int answers_parse_challenge(const char *buf, size_t len, struct answer_challenge *out,
			    gw_error *err) GW_WUR;

enum answer_status { ANSWER_AFFIRMING, ANSWER_WARNING, ANSWER_CONTRAINDICATED };
const char *answers_status_name(enum answer_status s);

/* POST /v1/attest: status, ear (a compact JWS, at most JWT_MAX_TOKEN, of the
 * base64url alphabet and two dots), expires_at (optional). *ear freed by fini. */
struct answer_attest {
	enum answer_status status;
	char *ear;
	int64_t expires_at;
};
int answers_parse_attest(const char *buf, size_t len, struct answer_attest *out,
			 gw_error *err) GW_WUR;
void answers_attest_fini(struct answer_attest *a);

/* The verified EAR's claims (draft-ietf-rats-ear): the status is the worst
 * "ear.status" of the "submods" objects and of a top-level "ear.status" (or
 * "status" when there is neither); failed claims are read from each submod's
 * "gatewarden.failed-claims" and a top-level "failed_claims", arrays of strings or
 * of objects {"claim", "check", "message"}; "exp", when present, must be a
 * non-negative integer. */
struct ear_summary {
	enum answer_status status;
	int64_t exp; /* 0 when absent */
	size_t nfailed;
	char failed[ANSWERS_MAX_FAILED][640]; /* "claim/check: message", cut to fit */
};
int answers_ear_summary(struct json_object *claims, struct ear_summary *out,
			gw_error *err) GW_WUR;
/* The verified EAR is this round's: its "eat_nonce" is the round's challenge nonce
 * as lower-case hex (the evidence's "nonce"). GW_E_STATE when it is absent, not a
 * string, or another nonce (an earlier round's EAR replayed). */
int answers_ear_nonce_check(struct json_object *claims, const uint8_t *nonce, size_t nonce_len,
			    gw_error *err) GW_WUR;
/* The releases a verified EAR offers this device: the "gatewarden" submod's
 * "gatewarden.releases" (borrowed from claims), or NULL when it lists none. */
struct json_object *answers_ear_releases(struct json_object *claims);

/* enrollment.json: url, device_id, model, enrollment_id, secret (b64, 1-64 bytes),
 * state ("pending" or "enrolled"). Unknown keys are refused here: we wrote it. The
 * secret is wiped by answers_enroll_state_wipe. */
struct enroll_state {
	char url[ANSWERS_URL_MAX + 1];
	char device_id[ANSWERS_ID_MAX + 1];
	char model[ANSWERS_ID_MAX + 1];
	char enrollment_id[ANSWERS_ENROLL_ID_HEX + 1];
	uint8_t secret[ANSWERS_SECRET_MAX];
	size_t secret_len;
	enum answer_state state;
};
int answers_parse_enroll_state(const char *buf, size_t len, struct enroll_state *out,
			       gw_error *err) GW_WUR;
/* *out NUL-terminated, freed by the caller with gw_wipe first (it holds the secret). */
int answers_format_enroll_state(const struct enroll_state *st, char **out,
				size_t *out_len) GW_WUR;
void answers_enroll_state_wipe(struct enroll_state *st);

/* 1-64 of A-Z a-z 0-9 . _ - */
bool answers_valid_id(const char *s);

#endif
