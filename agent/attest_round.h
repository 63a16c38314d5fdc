/* SPDX-License-Identifier: Apache-2.0 */
/* One attestation round with the verifier: the device certificate renewed when
 * due, challenge, evidence, appraisal, the EAR verified with the pinned gate key
 * and saved as STATE_DIR/last-result.jwt, the offered releases recorded. Shared by
 * `gwagent attest`, `gwagent run` and `gwagent update apply`, whose round also asks
 * for an update authorization (doc/updates.md, "The authorization round"). */
#ifndef GW_AGENT_ATTEST_ROUND_H
#define GW_AGENT_ATTEST_ROUND_H

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>
#include <tss2/tss2_esys.h>

#include "agent.h"
#include "answers.h"
#include "renew.h"
#include "vclient.h"

#define ROUND_REASON_MAX 96

/* What one round ended with, for the command layer to print. */
struct round_result {
	int exit_code;            /* GW_EXIT_* of the round */
	struct vclient_failure f;
	struct ear_summary ear;
	bool have_ear;
	char device_id[ANSWERS_ID_MAX + 1];
	uint32_t cel_offset; /* records of the log the verifier had already */
	struct renew_outcome renew; /* what happened to the device certificate */
	/* The verified EAR's claims (a reference, freed by attest_round_fini). */
	json_object *claims;
	/* An update request's answer as the (unsigned) attest answer gives it, only
	 * for messages: the agent trusts the EAR's authorization alone. */
	char authz_reason[ROUND_REASON_MAX];
};

/* A round that asks for an update authorization of release (16 lower-case hex
 * digits): the update key's policy session is opened after the challenge and its
 * nonceTPM bound into the quote. session is the caller's on every path (ESYS_TR_NONE
 * when none was opened): to pass to update_key_zgen() or to close with
 * update_key_session_close(). */
struct round_update_request {
	const char *release;
	ESYS_TR session;
};

/* Run one round; ureq NULL for a plain one. On failure res->exit_code says which
 * GW_EXIT_* it is; res is the caller's to attest_round_fini() on every path. */
int attest_round(struct agent_ctx *ctx, struct round_update_request *ureq,
		 struct round_result *res, gw_error *err) GW_WUR;
void attest_round_fini(struct round_result *res);

#endif
