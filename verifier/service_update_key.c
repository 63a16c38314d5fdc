// SPDX-License-Identifier: Apache-2.0
// POST /v1/update-key: an enrolled device registers its TPM update key. The key must
// be the update key template with the authPolicy for this verifier's gate key,
// certified (TPM2_CertifyCreation) by the device's enrolled AK.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <tss2/tss2_mu.h>

#include "service.h"
#include "tpm_policy.h"
#include "tpmdata.h"
#include "util.h"
#include "vlog.h"

/* The key is the template for our gate key, certified by the device's AK. */
static int check_key(struct service_worker *w, const struct store_device *dev,
		     const struct tpm_policy_key_msg *m, gw_error *err)
{
	uint8_t policy[TPM_POLICY_DIGEST_LEN];
	TPM2B_PUBLIC akpub;
	EVP_PKEY *ak = NULL;
	int rc;

	rc = tpm_policy_update_key_policy(w->svc->gate_key, policy, err);
	if (rc)
		return gw_fail(err, GW_E_CONFIG, "the gate key: %s", gw_error_msg(err, rc));
	rc = tpm_policy_check_update_key(&m->pub, policy, err);
	if (rc)
		return rc;
	if (tpmdata_public_unmarshal(dev->ak_pub, dev->ak_pub_len, &akpub, err) ||
	    tpmdata_public_to_pkey(&akpub.publicArea, &ak, err))
		return gw_fail(err, GW_E_CONFIG, "the enrolled AK is unusable");
	rc = tpm_policy_creation_verify(ak, m, err);
	EVP_PKEY_free(ak);
	return rc;
}

static void reply_key(struct httpd_req *req, const char *device_id, const TPM2B_NAME *name,
		      bool existed)
{
	char hex[2 * sizeof(name->name) + 1], body[2 * sizeof(name->name) + STORE_ID_MAX + 96];

	gw_hex_encode(name->name, name->size, hex);
	if (gw_snprintf(body, sizeof(body),
			"{\"device_id\":\"%s\",\"name\":\"%s\",\"status\":\"%s\"}", device_id, hex,
			existed ? "unchanged" : "registered"))
		httpd_reply_error(req, 500, "internal_error", "reply too long");
	else
		httpd_reply_json(req, 200, body);
}

static void store_key(struct httpd_req *req, struct service_worker *w, const char *device_id,
		      const struct tpm_policy_key_msg *m)
{
	uint8_t pub[sizeof(TPM2B_PUBLIC)];
	char actor[8 + STORE_ID_MAX + 1], hex[2 * sizeof(((TPM2B_NAME *)0)->name) + 1];
	char detail[sizeof(hex) + 16];
	TPM2B_NAME name;
	size_t off = 0;
	bool existed = false;
	gw_error err = { { 0 } };
	int rc;

	if (tpm_policy_name(&m->pub.publicArea, &name) || name.size != STORE_UPDATE_KEY_NAME_LEN ||
	    Tss2_MU_TPM2B_PUBLIC_Marshal(&m->pub, pub, sizeof(pub), &off)) {
		httpd_reply_error(req, 500, "internal_error", "cannot encode the key");
		return;
	}
	gw_hex_encode(name.name, name.size, hex);
	snprintf(actor, sizeof(actor), "device:%s", device_id);
	snprintf(detail, sizeof(detail), "update key %s", hex);
	rc = store_update_key_put(w->st, device_id, pub, off, name.name, service_now(),
				  &(struct store_audit){ .ts = service_now(), .actor = actor,
							 .action = "device.update_key",
							 .device_id = device_id,
							 .outcome = "registered", .detail = detail },
				  &existed, &err);
	if (rc == GW_E_EXISTS) {
		service_audit(w, device_id, "device.update_key", "refused", "%s: %s", detail,
			      gw_error_msg(&err, rc));
		httpd_reply_error(req, 409, "update_key_exists", "%s", gw_error_msg(&err, rc));
		return;
	}
	if (rc == GW_E_STATE || rc == GW_E_NOTFOUND) {
		httpd_reply_error(req, 403, "not_enrolled", "%s", gw_error_msg(&err, rc));
		return;
	}
	if (rc) {
		service_log("update-key: %s: store: %s", device_id, gw_error_msg(&err, rc));
		httpd_reply_error(req, 500, "internal_error", "store failure");
		return;
	}
	vlog(VLOG_NOTICE, "update-key: %s: %s %s", device_id, detail, existed ? "unchanged" : "registered");
	reply_key(req, device_id, &name, existed);
}

void service_update_key(struct httpd_req *req)
{
	struct service_worker *w = req->app;
	struct tpm_policy_key_msg *m = calloc(1, sizeof(*m));
	struct store_device dev;
	gw_error err = { { 0 } };
	int rc;

	memset(&dev, 0, sizeof(dev));
	if (!m) {
		httpd_reply_error(req, 500, "internal_error", "out of memory");
		return;
	}
	if (service_device_for_request(req, &dev))
		goto out;
	rc = tpm_policy_key_msg_parse(req->body, req->body_len, m, &err);
	if (rc) {
		httpd_reply_error(req, 400, "bad_request", "%s", gw_error_msg(&err, rc));
		goto out;
	}
	rc = check_key(w, &dev, m, &err);
	if (rc == GW_E_CONFIG) {
		service_log("update-key: %s: %s", dev.id, gw_error_msg(&err, rc));
		httpd_reply_error(req, 500, "internal_error", "enrolled data unusable");
		goto out;
	}
	if (rc) {
		service_audit(w, dev.id, "device.update_key", "refused", "%s",
			      gw_error_msg(&err, rc));
		httpd_reply_error(req, 422, "update_key_refused", "%s", gw_error_msg(&err, rc));
		goto out;
	}
	store_key(req, w, dev.id, m);
out:
	store_device_fini(&dev);
	free(m);
}
