// SPDX-License-Identifier: Apache-2.0
// The enrollment requests: prove the TPM to the verifier (POST /v1/enroll, credential
// activation, POST /v1/enroll/activate) and ask about a pending enrollment.
#include "enroll_client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "ek.h"
#include "enroll_state.h"
#include "tpmdata.h"
#include "jsonobj.h"
#include "util.h"

static int add_public(json_object *o, const char *key, const TPM2B_PUBLIC *pub)
{
	uint8_t *bin = NULL;
	size_t len = 0;
	int rc = tpmdata_public_marshal(pub, &bin, &len);

	if (!rc)
		rc = gw_json_add_b64(o, key, bin, len);
	free(bin);
	return rc;
}

/* Serialize o into a new string; *out freed by the caller (wiped first when it
 * holds a secret). */
static int to_text(json_object *o, char **out)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
								  JSON_C_TO_STRING_NOSLASHESCAPE);

	*out = s ? strdup(s) : NULL;
	if (s)
		gw_wipe((void *)s, strlen(s));
	return *out ? 0 : GW_E_NOMEM;
}

/* st becomes the pending enrollment id with its activation secret, saved. */
static int save_pending(struct agent_ctx *ctx, struct enroll_state *st, const char *id,
			const uint8_t *secret, size_t secret_len, gw_error *err)
{
	snprintf(st->enrollment_id, sizeof(st->enrollment_id), "%s", id);
	memcpy(st->secret, secret, secret_len);
	st->secret_len = secret_len;
	st->state = ANSWER_PENDING;
	return enroll_state_save(ctx, st, err);
}

int enroll_client_prove(struct agent_ctx *ctx, struct http_client *c, EVP_PKEY *tls_key,
			struct enroll_state *st, bool recovery, struct answer_activate *ans,
			struct vclient_failure *f, gw_error *err)
{
	enum tpm_ek_type ek_type;
	bool has_cert = false;
	TPM2B_PUBLIC ek_pub, ak_pub;
	uint8_t *cert = NULL, secret[ANSWERS_SECRET_MAX];
	size_t cert_len = 0, secret_len = sizeof(secret);
	struct answer_enroll chal;
	json_object *req = NULL;
	char *body = NULL, *resp = NULL, *tls_pem = NULL;
	size_t resp_len = 0;
	int rc;

	rc = tpm_read_public(ctx->tpm, ctx->cfg.ak_handle, &ak_pub, err);
	if (rc == GW_E_NOTFOUND)
		return gw_fail(err, GW_E_STATE, "no AK at 0x%08x: run 'gwagent provision' first",
			       ctx->cfg.ak_handle);
	if (rc)
		return rc;
	if (!tpm_is_ak_public(&ak_pub.publicArea))
		return gw_fail(err, GW_E_STATE, "0x%08x is not an attestation key: run "
						"'gwagent provision'", ctx->cfg.ak_handle);
	rc = ek_select(ctx->tpm, &ek_type, &has_cert, err);
	if (rc)
		return rc;
	if (!has_cert)
		return gw_fail(err, GW_E_STATE, "no EK certificate in TPM NV (0x%08x or 0x%08x): "
						"the verifier cannot check this TPM",
			       TPM_NV_EK_CERT_ECC_P256, TPM_NV_EK_CERT_RSA2048);
	rc = tpm_ek_public(ctx->tpm, ek_type, &ek_pub, err);
	if (!rc)
		rc = ek_read_cert(ctx->tpm, ek_type, &ek_pub, &cert, &cert_len, err);
	if (rc)
		goto out;

	req = json_object_new_object();
	if (!req || json_object_object_add(req, "device_id", json_object_new_string(st->device_id)) ||
	    json_object_object_add(req, "model", json_object_new_string(st->model)) ||
	    (rc = add_public(req, "ek_public", &ek_pub)) ||
	    (rc = gw_json_add_b64(req, "ek_certificate", cert, cert_len)) ||
	    (rc = add_public(req, "ak_public", &ak_pub)) || (rc = to_text(req, &body))) {
		rc = rc ? rc : GW_E_NOMEM;
		goto out;
	}
	json_object_put(req);
	req = NULL;
	rc = vclient_post(c, "/v1/enroll", body, &resp, &resp_len, f, err);
	if (rc)
		goto out;
	rc = answers_parse_enroll(resp, resp_len, &chal, err);
	if (rc) {
		f->bad_answer = true;
		goto out;
	}
	rc = tpm_activate_credential(ctx->tpm, ek_type, ctx->cfg.ak_handle, &chal.blob, &chal.enc,
				     secret, &secret_len, err);
	if (rc) {
		gw_error_prefix(err, "credential activation: ");
		goto out;
	}
	/* Saved before activation: after a crash the secret still lets us ask. A
	 * recovery saves nothing: the device stays enrolled, and after a crash it
	 * simply proves its TPM again. */
	if (!recovery) {
		rc = save_pending(ctx, st, chal.enrollment_id, secret, secret_len, err);
		if (rc)
			goto out;
	}

	free(body);
	body = NULL;
	free(resp);
	resp = NULL;
	rc = tpmdata_pkey_to_pem(tls_key, &tls_pem);
	if (rc)
		goto out;
	req = json_object_new_object();
	if (!req ||
	    json_object_object_add(req, "enrollment_id", json_object_new_string(chal.enrollment_id)) ||
	    (rc = gw_json_add_b64(req, "secret", secret, secret_len)) ||
	    json_object_object_add(req, "client_public_key", json_object_new_string(tls_pem)) ||
	    (rc = to_text(req, &body))) {
		rc = rc ? rc : GW_E_NOMEM;
		goto out;
	}
	rc = vclient_post(c, "/v1/enroll/activate", body, &resp, &resp_len, f, err);
	if (!rc && (rc = answers_parse_activate(resp, resp_len, ans, err)))
		f->bad_answer = true;
	/* A recovery that made a new device (the old one was deleted) waiting for an
	 * operator: kept as a normal pending enrollment, so that 'gwagent enroll' can
	 * ask about it later with this id and secret. */
	if (!rc && recovery && ans->state == ANSWER_PENDING)
		rc = save_pending(ctx, st, chal.enrollment_id, secret, secret_len, err);
out:
	gw_wipe(secret, sizeof(secret));
	if (body) {
		gw_wipe(body, strlen(body));
		free(body);
	}
	json_object_put(req);
	free(resp);
	free(tls_pem);
	free(cert);
	return rc;
}

int enroll_client_status(struct http_client *c, const struct enroll_state *st,
			 struct answer_activate *ans, struct vclient_failure *f, gw_error *err)
{
	json_object *req = json_object_new_object();
	char *body = NULL, *resp = NULL;
	size_t resp_len = 0;
	int rc = 0;

	if (!req ||
	    json_object_object_add(req, "enrollment_id", json_object_new_string(st->enrollment_id)) ||
	    (rc = gw_json_add_b64(req, "secret", st->secret, st->secret_len)) || (rc = to_text(req, &body))) {
		rc = rc ? rc : GW_E_NOMEM;
		goto out;
	}
	rc = vclient_post(c, "/v1/enroll/status", body, &resp, &resp_len, f, err);
	if (!rc && (rc = answers_parse_activate(resp, resp_len, ans, err)))
		f->bad_answer = true;
out:
	if (body) {
		gw_wipe(body, strlen(body));
		free(body);
	}
	json_object_put(req);
	free(resp);
	return rc;
}
