// SPDX-License-Identifier: Apache-2.0
// Enrollment's last step: the TPM update key, created once and registered with the
// verifier, which checks its template, policy and certification.
#include "enroll_update_key.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "http.h"
#include "jsonobj.h"
#include "tpmdata.h"
#include "update_key.h"
#include "util.h"

#define ANSWER_MAX 4096

struct paths {
	char blob[PATH_MAX], msg[PATH_MAX], gate[PATH_MAX], ca[PATH_MAX], cert[PATH_MAX],
		key[PATH_MAX];
};

static int make_paths(const struct agent_ctx *ctx, struct paths *p, gw_error *err)
{
	if (agent_path(ctx, UPDATE_KEY_BLOB_FILE, p->blob, sizeof(p->blob)) ||
	    agent_path(ctx, UPDATE_KEY_MSG_FILE, p->msg, sizeof(p->msg)) ||
	    agent_path(ctx, ENROLL_GATE_FILE, p->gate, sizeof(p->gate)) ||
	    agent_path(ctx, ENROLL_CA_FILE, p->ca, sizeof(p->ca)) ||
	    agent_path(ctx, ENROLL_TLS_CERT_FILE, p->cert, sizeof(p->cert)) ||
	    agent_path(ctx, ENROLL_TLS_KEY_FILE, p->key, sizeof(p->key)))
		return gw_fail(err, GW_E_INVAL, "state directory path too long");
	return 0;
}

/* The blob and its message, created when there is no blob. */
static int ensure_key(struct agent_ctx *ctx, const struct paths *p,
		      struct enroll_update_key_outcome *out, gw_error *err)
{
	struct stat sb;
	EVP_PKEY *gate = NULL;
	json_object *msg = NULL;
	int rc;

	if (lstat(p->blob, &sb) == 0) {
		if (lstat(p->msg, &sb) != 0)
			return gw_fail(err, GW_E_STATE,
				       "%s exists without its certification %s: remove the blob "
				       "to create a new key (an operator then resets the old one)",
				       p->blob, p->msg);
		return 0;
	}
	rc = tpmdata_pkey_load(p->gate, &gate, err);
	if (rc) {
		gw_error_prefix(err, "pinned gate key: ");
		return rc;
	}
	rc = update_key_create(ctx->tpm, ctx->cfg.srk_handle, ctx->cfg.ak_handle, gate, p->blob,
			       p->msg, &msg, err);
	if (!rc)
		out->created = true;
	json_object_put(msg);
	EVP_PKEY_free(gate);
	return rc;
}

/* {"device_id": ID, "name": HEX, "status": "registered" | "unchanged"} naming
 * this device and this key. */
static int check_answer(const char *resp, size_t len, const struct enroll_state *st,
			const char *name_hex, bool *registered_now, gw_error *err)
{
	static const char *const keys[] = { "device_id", "name", "status" };
	json_object *root = NULL;
	const char *id, *name, *status;
	int rc;

	rc = gw_json_object_parse(resp, len, ANSWER_MAX, 4, "update key answer", &root, err);
	if (!rc)
		rc = gw_json_check_keys(root, keys, 3, err);
	if (!rc)
		rc = gw_json_get_string(root, "device_id", 128, &id, NULL, err);
	if (!rc)
		rc = gw_json_get_string(root, "name", 128, &name, NULL, err);
	if (!rc)
		rc = gw_json_get_string(root, "status", 32, &status, NULL, err);
	if (!rc && (strcmp(id, st->device_id) || strcmp(name, name_hex) ||
		    (strcmp(status, "registered") && strcmp(status, "unchanged"))))
		rc = gw_fail(err, GW_E_PARSE, "the verifier's answer is for another device or key");
	if (!rc)
		*registered_now = !strcmp(status, "registered");
	else
		gw_error_prefix(err, "update key answer: ");
	json_object_put(root);
	return rc;
}

static int key_name(const char *blob, char hex[2 * 34 + 1], gw_error *err)
{
	TPM2B_PRIVATE priv;
	TPM2B_PUBLIC pub;
	TPM2B_NAME name;
	int rc = update_key_read_blob(blob, &priv, &pub, err);

	if (rc)
		return rc;
	if (tpm_policy_name(&pub.publicArea, &name) || name.size != 34)
		return gw_fail(err, GW_E_KEY, "%s: not an update key", blob);
	gw_hex_encode(name.name, name.size, hex);
	return 0;
}

int enroll_update_key(struct agent_ctx *ctx, const struct enroll_state *st,
		      struct enroll_update_key_outcome *out, struct vclient_failure *f,
		      gw_error *err)
{
	struct paths *p = calloc(1, sizeof(*p));
	struct http_opts hopts;
	struct http_client *client = NULL;
	uint8_t *msg = NULL;
	char *resp = NULL;
	size_t len = 0, resp_len = 0;
	int rc = p ? 0 : GW_E_NOMEM;

	memset(out, 0, sizeof(*out));
	memset(f, 0, sizeof(*f));
	if (!rc)
		rc = make_paths(ctx, p, err);
	if (!rc)
		rc = ensure_key(ctx, p, out, err);
	if (!rc)
		rc = key_name(p->blob, out->name_hex, err);
	if (!rc)
		rc = gw_read_file(p->msg, TPM_POLICY_KEY_MSG_MAX, &msg, &len, err);
	if (rc)
		goto out;
	memset(&hopts, 0, sizeof(hopts));
	hopts.base_url = st->url;
	hopts.ca_file = p->ca;
	hopts.cert_file = p->cert;
	hopts.key_file = p->key;
	rc = http_client_new(&hopts, &client, err);
	if (!rc)
		rc = vclient_post(client, "/v1/update-key", (const char *)msg, &resp, &resp_len, f,
				  err);
	if (!rc) {
		rc = check_answer(resp, resp_len, st, out->name_hex, &out->registered_now, err);
		if (rc)
			f->bad_answer = true;
	}
out:
	http_client_free(client);
	free(resp);
	free(msg);
	free(p);
	return rc;
}
