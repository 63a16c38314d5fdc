// SPDX-License-Identifier: Apache-2.0
// One attestation round with the verifier (attest_round.h).
#include "attest_round.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "enroll_state.h"
#include "evidence_build.h"
#include "jsonobj.h"
#include "jwt.h"
#include "tpmdata.h"
#include "update_key.h"
#include "update_offer.h"
#include "util.h"

/* The challenge, after making sure the device certificate is valid; when the
 * verifier does not know the certificate (a renewal whose answer was lost), the
 * TPM proves itself again and the challenge is asked once more. */
/* The releases the verified result offers replace the device's offers
 * (STATE_DIR/update/offers.json; none listed: none offered). An offers file that
 * no longer reads starts over from the result. */
static int record_offers(struct agent_ctx *ctx, json_object *claims, gw_error *err)
{
	struct update_offers offers;
	json_object *rel = answers_ear_releases(claims), *none = NULL;
	int rc = update_offers_load(ctx, &offers, err);

	if (rc == GW_E_PARSE || rc == GW_E_TOOBIG || rc == GW_E_TRAILING)
		update_offers_init(&offers);
	else if (rc)
		return rc;
	if (!rel)
		rel = none = json_object_new_array();
	rc = rel ? update_offers_merge(&offers, rel, (int64_t)time(NULL), err) : GW_E_NOMEM;
	if (rc)
		gw_error_prefix(err, "the EAR's releases: ");
	else
		rc = update_offers_save(ctx, &offers, err);
	json_object_put(none);
	update_offers_fini(&offers);
	return rc;
}

static int challenge(struct agent_ctx *ctx, const struct enroll_state *st,
		     const struct http_opts *hopts, struct http_client **client,
		     struct round_result *res, char **resp, size_t *resp_len, gw_error *err)
{
	int rc = renew_ensure(ctx, st, false, &res->renew, &res->f, err);

	if (!rc)
		rc = http_client_new(hopts, client, err);
	if (!rc)
		rc = vclient_post(*client, "/v1/attest/challenge", "{}", resp, resp_len, &res->f,
				  err);
	if (rc && renew_certificate_unknown(&res->f) && res->renew.action == RENEW_NONE) {
		http_client_free(*client);
		*client = NULL;
		err->msg[0] = '\0';
		rc = renew_ensure(ctx, st, true, &res->renew, &res->f, err);
		if (!rc)
			rc = http_client_new(hopts, client, err);
		if (!rc)
			rc = vclient_post(*client, "/v1/attest/challenge", "{}", resp, resp_len,
					  &res->f, err);
	}
	return rc;
}

/* The reason of a refused update request as the attest answer states it; empty
 * when it has none. Only for messages. */
static void answer_reason(const char *resp, size_t len, char reason[ROUND_REASON_MAX])
{
	json_object *root = NULL, *a, *r;

	reason[0] = '\0';
	if (gw_json_object_parse(resp, len, ANSWERS_MAX_SIZE, 8, "answer", &root, NULL))
		return;
	if (json_object_object_get_ex(root, "authorization", &a) &&
	    json_object_object_get_ex(a, "reason", &r) && json_object_is_type(r, json_type_string))
		snprintf(reason, ROUND_REASON_MAX, "%s", json_object_get_string(r));
	json_object_put(root);
}

/* With an update request: open the update key's session and quote over
 * SHA-256(nonce || nonceTPM); the evidence keeps the challenge's nonce and names
 * the release and nonceTPM. Otherwise quote over the nonce. */
static int build_evidence(struct agent_ctx *ctx, const struct answer_challenge *chal,
			  struct round_update_request *ureq, struct evidence *ev, gw_error *err)
{
	struct evidence_update_request *u = &ev->update_request;
	uint8_t q[32];
	int rc;

	if (!ureq)
		return evidence_build(ctx, chal->nonce, chal->nonce_len, &chal->sel, NULL, ev, err);
	if (strlen(ureq->release) != EVIDENCE_RELEASE_ID_LEN)
		return gw_fail(err, GW_E_INVAL, "a release id is %d hex digits",
			       EVIDENCE_RELEASE_ID_LEN);
	rc = update_key_session_open(ctx->tpm, ctx->cfg.srk_handle, &ureq->session, u->nonce_tpm,
				     &u->nonce_tpm_len, err);
	if (rc) {
		gw_error_prefix(err, "update key session: ");
		return rc;
	}
	rc = evidence_update_q(chal->nonce, chal->nonce_len, u->nonce_tpm, u->nonce_tpm_len, q);
	if (!rc)
		rc = evidence_build(ctx, q, sizeof(q), &chal->sel, NULL, ev, err);
	if (rc)
		return rc;
	memcpy(ev->nonce, chal->nonce, chal->nonce_len);
	ev->nonce_len = chal->nonce_len;
	memcpy(u->release, ureq->release, sizeof(u->release));
	ev->has_update_request = true;
	return 0;
}

/* The state directory's files a round uses. */
struct round_paths {
	char ca[PATH_MAX], cert[PATH_MAX], key[PATH_MAX], result[PATH_MAX];
};

/* The paths, and the pinned gate key (*gate, the caller's); a key that does not
 * load sets *exit_code to GW_EXIT_STATE. */
static int round_files(struct agent_ctx *ctx, struct round_paths *p, EVP_PKEY **gate,
		       int *exit_code, gw_error *err)
{
	char gate_path[PATH_MAX];
	int rc;

	if (agent_path(ctx, ENROLL_CA_FILE, p->ca, sizeof(p->ca)) ||
	    agent_path(ctx, ENROLL_TLS_CERT_FILE, p->cert, sizeof(p->cert)) ||
	    agent_path(ctx, ENROLL_TLS_KEY_FILE, p->key, sizeof(p->key)) ||
	    agent_path(ctx, ENROLL_GATE_FILE, gate_path, sizeof(gate_path)) ||
	    agent_path(ctx, ENROLL_RESULT_FILE, p->result, sizeof(p->result)))
		return gw_fail(err, GW_E_INVAL, "state directory path too long");
	rc = tpmdata_pkey_load(gate_path, gate, err);
	if (rc) {
		*exit_code = GW_EXIT_STATE;
		gw_error_prefix(err, "pinned gate key: ");
	}
	return rc;
}

/* The answer's EAR: signed by the pinned gate key, the status the answer says,
 * about this device, of this round (its eat_nonce is the challenge's), not
 * expired. *claims gets its claims (the caller's). */
static int verify_result(EVP_PKEY *gate, const struct answer_attest *ans,
			 const struct answer_challenge *chal, struct round_result *res,
			 json_object **claims, gw_error *err)
{
	json_object *sub = NULL;
	int rc = jwt_verify_es256(gate, ans->ear, claims, err);

	if (rc) {
		if (rc == GW_E_SIGNATURE)
			gw_error_prefix(err, "the EAR does not verify with the pinned gate key: ");
		return rc;
	}
	rc = answers_ear_summary(*claims, &res->ear, err);
	if (!rc && res->ear.status != ans->status)
		rc = gw_fail(err, GW_E_PARSE, "the EAR says %s, the answer %s",
			     answers_status_name(res->ear.status), answers_status_name(ans->status));
	/* A result about another device proves nothing about this one. */
	if (!rc && (!json_object_object_get_ex(*claims, "sub", &sub) ||
		    !json_object_is_type(sub, json_type_string) ||
		    strcmp(json_object_get_string(sub), res->device_id)))
		rc = gw_fail(err, GW_E_STATE, "the EAR is not about this device (%s)",
			     res->device_id);
	/* An earlier round's EAR (replayed) says nothing about the device now. */
	if (!rc)
		rc = answers_ear_nonce_check(*claims, chal->nonce, chal->nonce_len, err);
	if (!rc && res->ear.exp && res->ear.exp < (int64_t)time(NULL))
		rc = gw_fail(err, GW_E_STATE, "the EAR expired at %lld", (long long)res->ear.exp);
	return rc;
}

/* The exit code of a failed exchange with the verifier. */
static int http_exit(const struct round_result *res, int rc)
{
	return res->f.transport_failed || res->f.http_status ? vclient_exit_code(&res->f)
							     : gw_exit_for(rc);
}

/* The enrollment a round needs: GW_E_STATE (exit 5) before it is done. */
static int load_enrollment(struct agent_ctx *ctx, struct enroll_state *st,
			   struct round_result *res, gw_error *err)
{
	int rc = enroll_state_load(ctx, st, err);

	if (rc == GW_E_NOTFOUND || (!rc && st->state != ANSWER_ENROLLED)) {
		res->exit_code = GW_EXIT_STATE;
		return gw_fail(err, GW_E_STATE, "%s: run 'gwagent enroll' first",
			       rc ? "not enrolled" : "enrollment pending approval");
	}
	if (!rc)
		memcpy(res->device_id, st->device_id, sizeof(res->device_id));
	return rc;
}

/* Quote for the challenge, send the evidence (the CEL log from where the verifier
 * has it) and get the answer into *resp. The state lock is let go after the quote. */
static int send_evidence(struct agent_ctx *ctx, struct http_client *client,
			 const struct answer_challenge *chal, struct round_update_request *ureq,
			 struct round_result *res, char **resp, size_t *resp_len, gw_error *err)
{
	struct evidence ev;
	char *text = NULL;
	int rc;

	memset(&ev, 0, sizeof(ev));
	rc = build_evidence(ctx, chal, ureq, &ev, err);
	/* Let `boot` and `measure` run between rounds of the daemon. */
	if (ctx->lock_fd >= 0) {
		close(ctx->lock_fd);
		ctx->lock_fd = -1;
	}
	if (rc) {
		res->exit_code = gw_exit_for(rc);
		goto out;
	}
	/* `gwagent quote` never trims: offline evidence must stand alone. */
	rc = evidence_cel_trim(&ev, chal->cel_records, chal->cel_sha256, chal->cel_reset_count);
	if (!rc) {
		res->cel_offset = ev.cel_offset;
		rc = evidence_format(&ev, &text);
	}
	if (!rc) {
		rc = vclient_post(client, "/v1/attest", text, resp, resp_len, &res->f, err);
		if (rc)
			res->exit_code = http_exit(res, rc);
	}
out:
	evidence_build_clear(&ev);
	free(text);
	return rc;
}

/* The verifier's answer: its EAR verified, saved as the latest result, its offers
 * recorded; res->claims and the exit code for its status. */
static int accept_result(struct agent_ctx *ctx, EVP_PKEY *gate, const struct round_paths *files,
			 const struct answer_challenge *chal, const char *resp, size_t resp_len,
			 struct round_result *res, gw_error *err)
{
	struct answer_attest ans;
	json_object *claims = NULL;
	int rc;

	memset(&ans, 0, sizeof(ans));
	rc = answers_parse_attest(resp, resp_len, &ans, err);
	if (!rc)
		rc = verify_result(gate, &ans, chal, res, &claims, err);
	if (rc) {
		res->exit_code = GW_EXIT_RESULT;
		goto out;
	}
	res->have_ear = true;
	rc = gw_write_file_atomic(files->result, ans.ear, strlen(ans.ear), 0644, err);
	if (!rc && ctx->cfg.update.configured) {
		rc = record_offers(ctx, claims, err);
		if (rc == GW_E_PARSE)
			res->exit_code = GW_EXIT_RESULT;
	}
	if (rc)
		goto out;
	res->claims = claims; /* transferred */
	claims = NULL;
	res->exit_code = res->ear.status == ANSWER_AFFIRMING ? GW_EXIT_OK
			 : res->ear.status == ANSWER_WARNING ? GW_EXIT_WARNING
							     : GW_EXIT_CONTRAINDICATED;
out:
	json_object_put(claims);
	answers_attest_fini(&ans);
	return rc;
}

int attest_round(struct agent_ctx *ctx, struct round_update_request *ureq,
		 struct round_result *res, gw_error *err)
{
	struct enroll_state st;
	struct answer_challenge chal;
	struct http_opts hopts;
	struct http_client *client = NULL;
	struct round_paths files;
	EVP_PKEY *gate = NULL;
	char *resp = NULL;
	size_t resp_len = 0;
	int rc;

	memset(res, 0, sizeof(*res));
	memset(&st, 0, sizeof(st));
	res->exit_code = GW_EXIT_ERROR;
	rc = load_enrollment(ctx, &st, res, err);
	if (!rc)
		rc = round_files(ctx, &files, &gate, &res->exit_code, err);
	if (rc)
		goto out;
	memset(&hopts, 0, sizeof(hopts));
	hopts.base_url = st.url;
	hopts.ca_file = files.ca;
	hopts.cert_file = files.cert;
	hopts.key_file = files.key;
	rc = challenge(ctx, &st, &hopts, &client, res, &resp, &resp_len, err);
	if (rc) {
		res->exit_code = http_exit(res, rc);
		goto out;
	}
	rc = answers_parse_challenge(resp, resp_len, &chal, err);
	free(resp);
	resp = NULL;
	if (rc) {
		res->exit_code = GW_EXIT_RESULT;
		goto out;
	}
	rc = send_evidence(ctx, client, &chal, ureq, res, &resp, &resp_len, err);
	if (rc)
		goto out;
	if (ureq)
		answer_reason(resp, resp_len, res->authz_reason);
	rc = accept_result(ctx, gate, &files, &chal, resp, resp_len, res, err);
out:
	if (ctx->lock_fd >= 0) {
		close(ctx->lock_fd);
		ctx->lock_fd = -1;
	}
	answers_enroll_state_wipe(&st);
	free(resp);
	EVP_PKEY_free(gate);
	http_client_free(client);
	if (!rc && res->exit_code == GW_EXIT_ERROR)
		res->exit_code = GW_EXIT_OK;
	return rc;
}

void attest_round_fini(struct round_result *res)
{
	if (!res)
		return;
	json_object_put(res->claims);
	res->claims = NULL;
}
