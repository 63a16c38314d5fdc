// SPDX-License-Identifier: Apache-2.0
// Enrollment: POST /v1/enroll (a credential challenge for a TPM whose EK chains to
// a trusted CA), /v1/enroll/activate (the TPM proves it holds the EK and AK and
// becomes a pending or enrolled device) and /v1/enroll/status (its certificate).
#include "service.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <openssl/rand.h>
#include <tss2/tss2_mu.h>

#include "api.h"
#include "credential.h"
#include "pki.h"
#include "service_renew.h"
#include "tpmdata.h"
#include "util.h"
#include "vlog.h"

static void add_b64(json_object *o, const char *key, const uint8_t *data, size_t len)
{
	char *s = NULL;

	if (!gw_b64_encode(data, len, &s))
		json_object_object_add(o, key, json_object_new_string(s));
	free(s);
}

/* The EK certificate chains to a configured CA and certifies ek_pub. */
static int check_ek_cert(struct service *svc, const struct api_enroll_req *r, gw_error *err)
{
	const unsigned char *p = r->ek_cert;
	X509 *cert = d2i_X509(NULL, &p, (long)r->ek_cert_len);
	X509_STORE_CTX *ctx = NULL;
	EVP_PKEY *ek = NULL, *certkey = NULL;
	int rc = 0;

	if (!cert || p != r->ek_cert + r->ek_cert_len) {
		rc = gw_fail(err, GW_E_PARSE, "the EK certificate is not one DER certificate");
		goto out;
	}
	ctx = X509_STORE_CTX_new();
	if (!ctx || !X509_STORE_CTX_init(ctx, svc->ek_store, cert, NULL)) {
		rc = GW_E_NOMEM;
		goto out;
	}
	if (X509_verify_cert(ctx) != 1) {
		rc = gw_fail(err, GW_E_KEY, "EK certificate does not chain to a trusted CA: %s",
			     X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
		goto out;
	}
	rc = pki_check_ek_profile(cert, err);
	if (rc)
		goto out;
	rc = tpmdata_public_to_pkey(&r->ek_pub.publicArea, &ek, err);
	if (rc)
		goto out;
	certkey = X509_get_pubkey(cert);
	if (!certkey || EVP_PKEY_eq(certkey, ek) != 1)
		rc = gw_fail(err, GW_E_KEY, "the EK certificate is not for this EK");
out:
	EVP_PKEY_free(certkey);
	EVP_PKEY_free(ek);
	X509_STORE_CTX_free(ctx);
	X509_free(cert);
	return rc;
}

/* Each enrollment costs a MakeCredential and a stored challenge: a bucket per
 * source and one for all sources bound what anyone can make the verifier spend.
 * A refusal is answered 429 with Retry-After; refusals are summed up in the log
 * and the audit log at most once a minute, so the flood does not write a record
 * per request. */
static bool enroll_admitted(struct httpd_req *req, struct service_worker *w,
			    enum ratelimit_scope scope)
{
	struct service_ratelimit *rl = w->svc->enroll_limit;
	struct timespec ts;
	uint64_t now, refused;
	unsigned wait = 1;
	char v[16];

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return true;
	now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	if (service_ratelimit_take(rl, req->remote_addr, now, scope, &wait))
		return true;
	metrics_enroll(w->svc->metrics, METRICS_ENROLL_RATE_LIMITED);
	refused = service_ratelimit_refused(rl, now);
	if (refused)
		service_audit(w, NULL, "enroll.rate_limited", "refused",
			      "%" PRIu64 " enrollment requests refused since the last report, "
			      "the latest from %s", refused, req->remote_addr);
	snprintf(v, sizeof(v), "%u", wait);
	if (httpd_reply_header(req, "Retry-After", v))
		service_log("enroll: cannot add Retry-After");
	httpd_reply_error(req, 429, "rate_limited",
			  "too many enrollment requests: retry in %u s", wait);
	return false;
}

/* The refusal of a TPM that is another device's: the answer names nothing (at
 * /v1/enroll the requester has not yet shown that it holds the TPM), the audit
 * log names the device that has it. */
static void refuse_tpm_in_use(struct httpd_req *req, struct service_worker *w,
			      const char *device_id, const struct store_tpm_holder *h)
{
	service_audit(w, device_id, "device.enroll", "refused",
		      "ek_in_use: the TPM (its EK or AK) belongs to device %s, which is not "
		      "revoked", h->device_id);
	httpd_reply_error(req, 409, "ek_in_use",
			  "this TPM is enrolled under another device id; it can enroll again "
			  "only after an operator revokes that device");
}

void service_enroll(struct httpd_req *req)
{
	struct service_worker *w = req->app;
	struct api_enroll_req r;
	struct store_device existing;
	struct store_tpm_holder holder;
	struct store_enrollment e;
	TPM2B_NAME ak_name;
	TPM2B_ID_OBJECT blob;
	TPM2B_ENCRYPTED_SECRET enc;
	uint8_t secret[32], idbin[16], buf[sizeof(TPM2B_ID_OBJECT) + sizeof(TPM2B_ENCRYPTED_SECRET)];
	size_t off;
	char id[33];
	json_object *o;
	gw_error err = { { 0 } };
	bool recovery;
	int rc;

	memset(&r, 0, sizeof(r));
	/* The source's bucket before anything is read; the global one only for a
	 * TPM whose EK certificate chains to a trusted CA, so that junk from a few
	 * addresses cannot empty it for every genuine device. */
	if (!enroll_admitted(req, w, RATELIMIT_SOURCE))
		return;
	rc = api_parse_enroll(req->body, req->body_len, &r, &err);
	if (rc) {
		httpd_reply_error(req, 400, "bad_request", "%s", gw_error_msg(&err, rc));
		return;
	}
	rc = check_ek_cert(w->svc, &r, &err);
	if (rc) {
		service_audit(w, r.device_id, "device.enroll", "refused", "ek_untrusted: %s",
			      gw_error_msg(&err, rc));
		httpd_reply_error(req, 403, "ek_untrusted", "%s", gw_error_msg(&err, rc));
		goto out;
	}
	if (!enroll_admitted(req, w, RATELIMIT_GLOBAL))
		goto out;
	if (!tpmdata_public_is_ek(&r.ek_pub.publicArea)) {
		service_audit(w, r.device_id, "device.enroll", "refused", "bad_ek: %s",
			      "ek_public is not a restricted, fixedTPM decryption key");
		httpd_reply_error(req, 422, "bad_ek",
				  "ek_public is not a restricted, fixedTPM decryption key");
		goto out;
	}
	if (!tpmdata_public_is_ak(&r.ak_pub.publicArea)) {
		service_audit(w, r.device_id, "device.enroll", "refused", "bad_ak");
		httpd_reply_error(req, 422, "bad_ak",
				  "ak_public is not a restricted, fixedTPM ECC P-256 ECDSA-SHA256 "
				  "signing key");
		goto out;
	}
	if (tpmdata_public_name(&r.ak_pub.publicArea, &ak_name) ||
	    RAND_bytes(secret, sizeof(secret)) != 1 || RAND_bytes(idbin, sizeof(idbin)) != 1) {
		httpd_reply_error(req, 500, "internal_error", "cannot prepare the credential");
		goto out;
	}
	memset(&existing, 0, sizeof(existing));
	rc = store_device_get(w->st, r.device_id, &existing, &err);
	/* An enrolled device whose own TPM (its EK and its AK) asks again is
	 * recovering its certificate: it gets a challenge like any enrollment, and
	 * activation issues the certificate under its id. Anyone else: the id is
	 * taken. */
	recovery = rc == 0 && service_recoverable(&existing, r.ek_pub_raw, r.ek_pub_raw_len,
						  ak_name.name, ak_name.size);
	store_device_fini(&existing);
	if (rc == 0 && !recovery) {
		service_audit(w, r.device_id, "device.recover", "refused",
			      "device_exists: the id is not enrolled with this EK and AK");
		httpd_reply_error(req, 409, "device_exists",
				  "device id '%s' is taken; only the TPM it enrolled with can "
				  "recover it, while it is enrolled", r.device_id);
		goto out;
	}
	if (rc && rc != GW_E_NOTFOUND) {
		service_log("enroll: store: %s", gw_error_msg(&err, rc));
		httpd_reply_error(req, 500, "internal_error", "store failure");
		goto out;
	}
	/* Early, before the credential is made: activation checks again, in the
	 * transaction that creates the device. */
	rc = store_device_by_tpm(w->st, r.ek_pub_raw, r.ek_pub_raw_len, ak_name.name,
				 ak_name.size, &holder, &err);
	if (rc) {
		service_log("enroll: store: %s", gw_error_msg(&err, rc));
		httpd_reply_error(req, 500, "internal_error", "store failure");
		goto out;
	}
	if (holder.binding == STORE_TPM_IN_USE && strcmp(holder.device_id, r.device_id)) {
		refuse_tpm_in_use(req, w, r.device_id, &holder);
		goto out;
	}
	rc = credential_make(&r.ek_pub, &ak_name, secret, sizeof(secret), &blob, &enc, &err);
	if (rc) {
		service_audit(w, r.device_id, "device.enroll", "refused", "bad_ek: %s",
			      gw_error_msg(&err, rc));
		httpd_reply_error(req, 422, "bad_ek", "%s", gw_error_msg(&err, rc));
		goto out;
	}
	gw_hex_encode(idbin, sizeof(idbin), id);
	memset(&e, 0, sizeof(e));
	memcpy(e.id, id, sizeof(e.id));
	snprintf(e.device_id, sizeof(e.device_id), "%s", r.device_id);
	snprintf(e.model, sizeof(e.model), "%s", r.model);
	e.ek_pub = r.ek_pub_raw;
	e.ek_pub_len = r.ek_pub_raw_len;
	e.ek_cert = r.ek_cert;
	e.ek_cert_len = r.ek_cert_len;
	e.ak_pub = r.ak_pub_raw;
	e.ak_pub_len = r.ak_pub_raw_len;
	e.ak_name = ak_name.name;
	e.ak_name_len = ak_name.size;
	if (gw_hash(TPM2_ALG_SHA256, secret, sizeof(secret), e.secret_hash)) {
		httpd_reply_error(req, 500, "internal_error", "hash failure");
		goto out;
	}
	e.created_at = service_now();
	e.expires_at = e.created_at + SERVICE_ENROLL_TTL;
	/* Now and then drop challenges nobody answered. */
	if ((w->requests++ & 63) == 0) {
		uint64_t gone = 0;

		if (store_enrollment_purge(w->st, e.created_at - 3600, &gone, &err))
			service_log("enroll: purge: %s", gw_error_msg(&err, GW_E_IO));
	}
	rc = store_enrollment_put(w->st, &e, NULL, &err);
	if (rc) {
		service_log("enroll: store: %s", gw_error_msg(&err, rc));
		httpd_reply_error(req, 500, "internal_error", "store failure");
		goto out;
	}
	o = json_object_new_object();
	json_object_object_add(o, "enrollment_id", json_object_new_string(id));
	off = 0;
	if (Tss2_MU_TPM2B_ID_OBJECT_Marshal(&blob, buf, sizeof(buf), &off) == 0)
		add_b64(o, "credential_blob", buf, off);
	off = 0;
	if (Tss2_MU_TPM2B_ENCRYPTED_SECRET_Marshal(&enc, buf, sizeof(buf), &off) == 0)
		add_b64(o, "encrypted_secret", buf, off);
	json_object_object_add(o, "expires_in", json_object_new_int(SERVICE_ENROLL_TTL));
	service_reply_obj(req, 200, o);
	metrics_enroll(w->svc->metrics, METRICS_ENROLL_CHALLENGED);
	vlog(VLOG_NOTICE, "enroll.request device=%s model=%s source=%s%s", e.device_id, e.model,
	     req->remote_addr, recovery ? " recovery=yes" : "");
out:
	gw_wipe(secret, sizeof(secret));
	api_enroll_req_fini(&r);
}

/* Answer for a device that has proven its TPM: pending, or enrolled with a new
 * client certificate. */
static void reply_enrolled(struct httpd_req *req, struct service_worker *w,
			   const char *device_id, const char *client_pub_pem, bool from_status)
{
	struct store_device dev;
	struct service_cert cert;
	json_object *o;
	gw_error err = { { 0 } };
	int rc;

	memset(&dev, 0, sizeof(dev));
	memset(&cert, 0, sizeof(cert));
	rc = store_device_get(w->st, device_id, &dev, &err);
	if (rc) {
		httpd_reply_error(req, 500, "internal_error", "store failure");
		return;
	}
	if (dev.state == STORE_DEV_REVOKED) {
		httpd_reply_error(req, 403, "revoked", "device '%s' is revoked", device_id);
		goto out;
	}
	/* The certificate is issued once: the enrollment id and secret must not become
	 * a lasting credential that mints certificates without the TPM. */
	if (from_status && dev.client_cert_fp[0]) {
		httpd_reply_error(req, 409, "certificate_issued",
				  "device '%s' has its certificate already", device_id);
		goto out;
	}
	if (dev.state == STORE_DEV_ENROLLED) {
		rc = service_cert_issue(w, device_id, client_pub_pem, &cert, &err);
		if (!rc)
			rc = service_cert_bind_new(w, device_id, &cert, &err);
		if (rc) {
			service_log("enroll: issuing a certificate: %s", gw_error_msg(&err, rc));
			httpd_reply_error(req, rc == GW_E_KEY ? 400 : 500,
					  rc == GW_E_KEY ? "bad_request" : "internal_error",
					  "client_public_key: %s", gw_error_msg(&err, rc));
			goto out;
		}
		service_reply_certificate(req, w, device_id, &cert);
		goto out;
	}
	o = json_object_new_object();
	json_object_object_add(o, "device_id", json_object_new_string(device_id));
	json_object_object_add(o, "state", json_object_new_string("pending"));
	json_object_object_add(o, "verifier_id", json_object_new_string(w->svc->cfg.id));
	json_object_object_add(o, "gate_public_key", json_object_new_string(w->svc->gate_pub_pem));
	service_reply_obj(req, 200, o);
out:
	service_cert_fini(&cert);
	store_device_fini(&dev);
}

/* The enrollment exists, is activated/challenged as wanted, and secret is right. */
static int check_secret(const struct store_enrollment *e, const struct api_activate_req *r)
{
	uint8_t h[32];

	if (gw_hash(TPM2_ALG_SHA256, r->secret, r->secret_len, h))
		return 0;
	return gw_ct_equal(h, e->secret_hash, sizeof(h));
}

void service_enroll_activate(struct httpd_req *req)
{
	struct service_worker *w = req->app;
	struct api_activate_req r;
	struct store_enrollment e;
	struct store_device dev;
	struct store_tpm_holder holder;
	EVP_PKEY *client = NULL;
	gw_error err = { { 0 } };
	int rc;

	memset(&r, 0, sizeof(r));
	memset(&e, 0, sizeof(e));
	rc = api_parse_activate(req->body, req->body_len, 1, &r, &err);
	if (rc) {
		httpd_reply_error(req, 400, "bad_request", "%s", gw_error_msg(&err, rc));
		return;
	}
	rc = tpmdata_pkey_from_pem(r.client_pub_pem, strlen(r.client_pub_pem), &client, &err);
	if (!rc)
		rc = pki_check_device_key(client, &err);
	if (rc) {
		httpd_reply_error(req, 400, "bad_request", "client_public_key: %s",
				  gw_error_msg(&err, rc));
		goto out;
	}
	rc = store_enrollment_get(w->st, r.enrollment_id, &e, &err);
	if (rc || e.state != STORE_ENR_CHALLENGED || e.expires_at <= service_now()) {
		httpd_reply_error(req, 404, "unknown_enrollment",
				  "no open enrollment with this id (unknown, used or expired)");
		goto out;
	}
	if (!check_secret(&e, &r)) {
		struct store_audit a = {
			.ts = service_now(), .actor = "verifier", .action = "device.enroll",
			.device_id = e.device_id, .outcome = "refused",
			.detail = "{\"message\":\"wrong credential activation proof\"}",
		};

		if (store_enrollment_fail(w->st, e.id, &a, &err))
			service_log("enroll: %s", gw_error_msg(&err, GW_E_IO));
		metrics_enroll(w->svc->metrics, METRICS_ENROLL_REFUSED);
		vlog_repeat("refused device.enroll", VLOG_WARNING,
			    "refused action=device.enroll device=%s: activation_failed: wrong "
			    "credential activation proof", e.device_id);
		httpd_reply_error(req, 403, "activation_failed",
				  "the secret is not the credential's: this TPM does not hold "
				  "the EK and AK it claimed");
		goto out;
	}
	/* The TPM has proven it holds the EK and AK; is it another device's? */
	rc = store_device_by_tpm(w->st, e.ek_pub, e.ek_pub_len, e.ak_name, e.ak_name_len, &holder,
				 &err);
	if (rc) {
		service_log("enroll: activate: %s", gw_error_msg(&err, rc));
		httpd_reply_error(req, 500, "internal_error", "store failure");
		goto out;
	}
	if (holder.binding == STORE_TPM_IN_USE && !strcmp(holder.device_id, e.device_id)) {
		/* The TPM is this device's own: a recovery (the store checks EK and AK
		 * both, and the state, in the transaction that rebinds). */
		service_recover(req, w, &e, r.client_pub_pem);
		goto out;
	}
	if (holder.binding == STORE_TPM_IN_USE) {
		refuse_tpm_in_use(req, w, e.device_id, &holder);
		goto out;
	}
	memset(&dev, 0, sizeof(dev));
	snprintf(dev.id, sizeof(dev.id), "%s", e.device_id);
	snprintf(dev.model, sizeof(dev.model), "%s", e.model);
	/* A TPM that was a revoked device's (stolen, sold on, repaired) comes back
	 * only when an operator says so, whatever auto_approve allows. */
	dev.state = vconfig_auto_approves(&w->svc->cfg, e.model) &&
				    holder.binding != STORE_TPM_REVOKED
			    ? STORE_DEV_ENROLLED
			    : STORE_DEV_PENDING;
	dev.ek_pub = e.ek_pub;
	dev.ek_pub_len = e.ek_pub_len;
	dev.ek_cert = e.ek_cert;
	dev.ek_cert_len = e.ek_cert_len;
	dev.ak_pub = e.ak_pub;
	dev.ak_pub_len = e.ak_pub_len;
	dev.ak_name = e.ak_name;
	dev.ak_name_len = e.ak_name_len;
	dev.created_at = service_now();
	/* Twice at most: a device of this TPM revoked between the look-up above and
	 * the activation makes the store refuse an auto-approved one; then pending. */
	for (int attempt = 0; attempt < 2; attempt++) {
		json_object *d = json_object_new_object();
		struct store_audit a = {
			.ts = service_now(), .actor = "verifier", .action = "device.enroll",
			.device_id = e.device_id,
			.outcome = dev.state == STORE_DEV_ENROLLED ? "enrolled (auto-approved)"
								   : "pending",
			.detail = NULL,
		};

		if (!d) {
			rc = GW_E_NOMEM;
			break;
		}
		json_object_object_add(d, "model", json_object_new_string(e.model));
		json_object_object_add(d, "state", json_object_new_string(
						       store_device_state_name(dev.state)));
		if (holder.binding == STORE_TPM_REVOKED)
			json_object_object_add(d, "previous_device",
					       json_object_new_string(holder.device_id));
		a.detail = json_object_to_json_string_ext(d, JSON_C_TO_STRING_PLAIN);
		rc = store_enrollment_activate(w->st, e.id, r.client_pub_pem, service_now(), &dev,
					       &a, &holder, &err);
		json_object_put(d);
		if (rc == GW_E_EXISTS && holder.binding == STORE_TPM_REVOKED &&
		    dev.state == STORE_DEV_ENROLLED) {
			dev.state = STORE_DEV_PENDING;
			continue;
		}
		break;
	}
	if (rc == GW_E_EXISTS && holder.binding == STORE_TPM_FREE) {
		service_audit(w, e.device_id, "device.enroll", "refused",
			      "device_exists: the id was taken before activation");
		httpd_reply_error(req, 409, "device_exists", "device '%s' exists", e.device_id);
		goto out;
	}
	if (rc == GW_E_EXISTS) {
		/* Another enrollment of this TPM was activated since the look-up. */
		refuse_tpm_in_use(req, w, e.device_id, &holder);
		goto out;
	}
	if (rc == GW_E_NOTFOUND || rc == GW_E_STATE) {
		/* Expired, or spent by a parallel request, since it was read above. */
		service_audit(w, e.device_id, "device.enroll", "refused",
			      "unknown_enrollment: expired or used since it was read");
		httpd_reply_error(req, 404, "unknown_enrollment",
				  "no open enrollment with this id (unknown, used or expired)");
		goto out;
	}
	if (rc) {
		service_log("enroll: activate: %s", gw_error_msg(&err, rc));
		httpd_reply_error(req, 500, "internal_error", "store failure");
		goto out;
	}
	metrics_enroll(w->svc->metrics, dev.state == STORE_DEV_ENROLLED ? METRICS_ENROLL_ENROLLED
									: METRICS_ENROLL_PENDING);
	vlog(VLOG_NOTICE, "enroll.activate device=%s model=%s state=%s approval=%s%s%s", dev.id,
	     dev.model, store_device_state_name(dev.state),
	     dev.state == STORE_DEV_ENROLLED ? "auto" : "operator",
	     holder.binding == STORE_TPM_REVOKED ? " previous_device=" : "",
	     holder.binding == STORE_TPM_REVOKED ? holder.device_id : "");
	reply_enrolled(req, w, e.device_id, r.client_pub_pem, false);
out:
	EVP_PKEY_free(client);
	store_enrollment_fini(&e);
	api_activate_req_fini(&r);
}

void service_enroll_status(struct httpd_req *req)
{
	struct service_worker *w = req->app;
	struct api_activate_req r;
	struct store_enrollment e;
	gw_error err = { { 0 } };
	int rc;

	memset(&r, 0, sizeof(r));
	memset(&e, 0, sizeof(e));
	rc = api_parse_activate(req->body, req->body_len, 0, &r, &err);
	if (rc) {
		httpd_reply_error(req, 400, "bad_request", "%s", gw_error_msg(&err, rc));
		return;
	}
	rc = store_enrollment_get(w->st, r.enrollment_id, &e, &err);
	if (rc || e.state != STORE_ENR_ACTIVATED || !e.client_pub || !check_secret(&e, &r)) {
		/* One answer for unknown, not activated and wrong secret: no oracle. */
		httpd_reply_error(req, 404, "unknown_enrollment",
				  "no activated enrollment with this id and secret");
		goto out;
	}
	reply_enrolled(req, w, e.device_id, e.client_pub, true);
out:
	store_enrollment_fini(&e);
	api_activate_req_fini(&r);
}
