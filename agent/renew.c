// SPDX-License-Identifier: Apache-2.0
// Keeping the device certificate valid: renewal over mTLS before it expires, and
// recovery by credential activation when it has expired or is lost.
#include "renew.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <tss2/tss2_esys.h>

#include "enroll_client.h"
#include "enroll_state.h"
#include "identity.h"
#include "quote.h"
#include "tpm.h"
#include "tpmdata.h"
#include "jsonobj.h"
#include "util.h"

const char *renew_action_name(enum renew_action a)
{
	return a == RENEW_RENEWED ? "renewed" : a == RENEW_RECOVERED ? "recovered" : "none";
}

bool renew_certificate_unknown(const struct vclient_failure *f)
{
	return f->http_status == 403 && f->has_error &&
	       !strcmp(f->error.code, "unknown_certificate");
}

/* The TPM's word for the renewal: a fresh nonce from POST /v1/attest/challenge and
 * a quote by the enrolled AK with qualifying data quote_renewal_data(nonce, key),
 * added to req as "nonce", "attest" and "signature". */
static int renewal_quote(struct agent_ctx *ctx, struct http_client *c, EVP_PKEY *key,
			 json_object *req, struct vclient_failure *f, gw_error *err)
{
	struct answer_challenge chal;
	TPM2B_ATTEST *attest = NULL;
	TPMT_SIGNATURE *sig = NULL;
	uint8_t qd[QUOTE_RENEWAL_DATA_LEN], *sig_bin = NULL;
	char *resp = NULL, hex[2 * sizeof(chal.nonce) + 1];
	size_t len = 0, sig_len = 0;
	int rc;

	rc = vclient_post(c, "/v1/attest/challenge", "{}", &resp, &len, f, err);
	if (rc)
		goto out;
	rc = answers_parse_challenge(resp, len, &chal, err);
	if (rc) {
		f->bad_answer = true;
		goto out;
	}
	rc = quote_renewal_data(chal.nonce, chal.nonce_len, key, qd);
	if (!rc)
		rc = tpm_quote(ctx->tpm, ctx->cfg.ak_handle, qd, sizeof(qd), &chal.sel, &attest,
			       &sig, err);
	if (rc) {
		gw_error_prefix(err, "quoting the renewal with the AK: ");
		goto out;
	}
	gw_hex_encode(chal.nonce, chal.nonce_len, hex);
	if (json_object_object_add(req, "nonce", json_object_new_string(hex)))
		rc = GW_E_NOMEM;
	if (!rc)
		rc = gw_json_add_b64(req, "attest", attest->attestationData, attest->size);
	if (!rc && !(rc = tpmdata_signature_marshal(sig, &sig_bin, &sig_len)))
		rc = gw_json_add_b64(req, "signature", sig_bin, sig_len);
out:
	free(sig_bin);
	Esys_Free(attest);
	Esys_Free(sig);
	free(resp);
	return rc;
}

/* POST /v1/renew {"client_public_key", and the quote} with the current certificate. */
static int ask_renewal(struct agent_ctx *ctx, struct http_client *c, EVP_PKEY *key,
		       struct answer_activate *ans, struct vclient_failure *f, gw_error *err)
{
	json_object *req = json_object_new_object();
	char *pem = NULL, *resp = NULL;
	const char *body;
	size_t len = 0;
	int rc = tpmdata_pkey_to_pem(key, &pem);

	if (!rc && (!req || json_object_object_add(req, "client_public_key",
						   json_object_new_string(pem))))
		rc = GW_E_NOMEM;
	if (!rc)
		rc = renewal_quote(ctx, c, key, req, f, err);
	body = rc ? NULL : json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN |
								   JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!rc && !body)
		rc = GW_E_NOMEM;
	if (!rc)
		rc = vclient_post(c, "/v1/renew", body, &resp, &len, f, err);
	if (!rc && (rc = answers_parse_activate(resp, len, ans, err)))
		f->bad_answer = true;
	json_object_put(req);
	free(resp);
	free(pem);
	return rc;
}

/* A new key in tls.key.new, a certificate for it from the verifier (over mTLS with
 * the current pair, or by proving the TPM), then the pair installed. */
static int new_identity(struct agent_ctx *ctx, const struct enroll_state *st, bool mtls,
			struct renew_outcome *out, struct vclient_failure *f, gw_error *err)
{
	char ca[PATH_MAX], cert[PATH_MAX], key[PATH_MAX], knew[PATH_MAX];
	struct http_opts hopts;
	struct http_client *client = NULL;
	struct answer_activate ans;
	struct enroll_state copy;
	EVP_PKEY *nk = NULL;
	int rc;

	memset(&ans, 0, sizeof(ans));
	memset(&hopts, 0, sizeof(hopts));
	if (agent_path(ctx, ENROLL_CA_FILE, ca, sizeof(ca)) ||
	    agent_path(ctx, ENROLL_TLS_CERT_FILE, cert, sizeof(cert)) ||
	    agent_path(ctx, ENROLL_TLS_KEY_FILE, key, sizeof(key)) ||
	    agent_path(ctx, IDENTITY_NEW_KEY_FILE, knew, sizeof(knew)))
		return gw_fail(err, GW_E_INVAL, "state directory path too long");
	rc = identity_key_create(knew, &nk, err);
	if (rc)
		goto out;
	hopts.base_url = st->url;
	hopts.ca_file = ca;
	hopts.cert_file = mtls ? cert : NULL;
	hopts.key_file = mtls ? key : NULL;
	rc = http_client_new(&hopts, &client, err);
	if (rc)
		goto out;
	if (mtls) {
		rc = ask_renewal(ctx, client, nk, &ans, f, err);
	} else {
		copy = *st;
		rc = enroll_client_prove(ctx, client, nk, &copy, true, &ans, f, err);
		answers_enroll_state_wipe(&copy);
	}
	if (rc)
		goto out;
	if (strcmp(ans.device_id, st->device_id) || ans.state != ANSWER_ENROLLED ||
	    !ans.client_certificate) {
		f->bad_answer = true;
		rc = gw_fail(err, GW_E_STATE, "the verifier answered for device '%s' (%s), not "
					      "with a certificate for '%s'", ans.device_id,
			     ans.state == ANSWER_ENROLLED ? "enrolled" : "pending", st->device_id);
		goto out;
	}
	rc = identity_install(ctx, nk, ans.client_certificate, &out->cert, err);
	if (rc)
		goto out;
	out->action = mtls ? RENEW_RENEWED : RENEW_RECOVERED;
out:
	answers_activate_fini(&ans);
	http_client_free(client);
	EVP_PKEY_free(nk);
	return rc;
}

static int recover(struct agent_ctx *ctx, const struct enroll_state *st,
		   struct renew_outcome *out, struct vclient_failure *f, gw_error *err)
{
	int rc = new_identity(ctx, st, false, out, f, err);

	if (rc)
		gw_error_prefix(err, "recovering the device certificate (%s) by credential "
				     "activation: ", out->reason);
	return rc;
}

int renew_ensure(struct agent_ctx *ctx, const struct enroll_state *st, bool unknown,
		 struct renew_outcome *out, struct vclient_failure *f, gw_error *err)
{
	struct identity_facts id;
	gw_error why = { { 0 } };
	char when[32];
	int64_t now;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(f, 0, sizeof(*f));
	/* One process at a time changes the identity (the daemon and a manual run). */
	if ((rc = agent_lock_state(ctx, err)) || (rc = identity_complete(ctx, &out->completed, out->discarded,
								   sizeof(out->discarded), err)) ||
	    (rc = identity_read(ctx, &id, err)))
		return rc;
	now = (int64_t)time(NULL);
	certinfo_time(id.cert.not_after, when, sizeof(when));
	if (unknown || !id.usable || now >= id.cert.not_after) {
		if (unknown)
			snprintf(out->reason, sizeof(out->reason), "the verifier does not know it");
		else if (!id.usable)
			snprintf(out->reason, sizeof(out->reason), "%s", id.why);
		else
			snprintf(out->reason, sizeof(out->reason), "it expired at %s", when);
		return recover(ctx, st, out, f, err);
	}
	if (!certinfo_renew_due(&id.cert, now))
		return 0;
	snprintf(out->reason, sizeof(out->reason), "it expires at %s", when);
	rc = new_identity(ctx, st, true, out, f, &why);
	if (!rc)
		return 0;
	if (renew_certificate_unknown(f)) {
		snprintf(out->reason, sizeof(out->reason), "the verifier does not know it");
		memset(f, 0, sizeof(*f));
		return recover(ctx, st, out, f, err);
	}
	/* The certificate still works: the round goes on, the next one tries again. */
	out->renewal_failed = true;
	snprintf(out->failure, sizeof(out->failure), "%s", gw_error_msg(&why, rc));
	memset(f, 0, sizeof(*f));
	return 0;
}
