// SPDX-License-Identifier: Apache-2.0
// Device certificates: issuing one, renewal over mTLS (POST /v1/renew) and recovery
// of an enrolled device by credential activation under its own id.
#include "service_renew.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/pem.h>

#include "api.h"
#include "certinfo.h"
#include "pki.h"
#include "quote.h"
#include "tpmdata.h"
#include "util.h"
#include "vlog.h"

void service_cert_fini(struct service_cert *c)
{
	if (!c)
		return;
	free(c->pem);
	memset(c, 0, sizeof(*c));
}

int service_cert_issue(struct service_worker *w, const char *device_id, const char *pub_pem,
		       struct service_cert *out, gw_error *err)
{
	struct service_cert c;
	struct certinfo info;
	EVP_PKEY *pub = NULL;
	X509 *cert = NULL;
	BIO *bio = NULL;
	char *data;
	long n;
	int rc;

	memset(&c, 0, sizeof(c));
	rc = tpmdata_pkey_from_pem(pub_pem, strlen(pub_pem), &pub, err);
	if (rc)
		goto out;
	rc = pki_check_device_key(pub, err);
	if (rc)
		goto out;
	rc = pki_issue(w->svc->ca_cert, w->svc->ca_key, pub, device_id, PKI_CLIENT, NULL,
		       w->svc->cfg.cert_days, &cert, err);
	if (!rc)
		rc = pki_cert_fingerprint(cert, c.fp);
	if (!rc && !(rc = certinfo_get(cert, &info))) {
		memcpy(c.serial, info.serial, sizeof(c.serial));
		c.not_after = info.not_after;
	}
	if (rc)
		goto out;
	bio = BIO_new(BIO_s_mem());
	if (!bio || !PEM_write_bio_X509(bio, cert)) {
		rc = GW_E_CRYPTO;
		goto out;
	}
	n = BIO_get_mem_data(bio, &data);
	c.pem = strndup(data, (size_t)n);
	if (!c.pem) {
		rc = GW_E_NOMEM;
		goto out;
	}
	*out = c; /* transferred */
	memset(&c, 0, sizeof(c));
out:
	service_cert_fini(&c);
	BIO_free(bio);
	X509_free(cert);
	EVP_PKEY_free(pub);
	return rc;
}

void service_reply_certificate(struct httpd_req *req, struct service_worker *w,
			       const char *device_id, const struct service_cert *c)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "device_id", json_object_new_string(device_id));
	json_object_object_add(o, "state", json_object_new_string("enrolled"));
	json_object_object_add(o, "verifier_id", json_object_new_string(w->svc->cfg.id));
	json_object_object_add(o, "gate_public_key", json_object_new_string(w->svc->gate_pub_pem));
	json_object_object_add(o, "client_certificate", json_object_new_string(c->pem));
	json_object_object_add(o, "not_after", json_object_new_int64(c->not_after));
	httpd_reply_json(req, 200,
			 json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
								   JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

/* The audit detail of a new certificate: {"fingerprint", "serial", "not_after"} and,
 * when it replaces one, "previous_fingerprint". */
static char *cert_detail(const struct service_cert *c, const char *previous_fp)
{
	json_object *d = json_object_new_object();
	char *s = NULL;

	if (!d)
		return NULL;
	json_object_object_add(d, "fingerprint", json_object_new_string(c->fp));
	json_object_object_add(d, "serial", json_object_new_string(c->serial));
	json_object_object_add(d, "not_after", json_object_new_int64(c->not_after));
	if (previous_fp)
		json_object_object_add(d, "previous_fingerprint",
				       json_object_new_string(previous_fp));
	s = strdup(json_object_to_json_string_ext(d, JSON_C_TO_STRING_PLAIN));
	json_object_put(d);
	return s;
}

int service_cert_bind_new(struct service_worker *w, const char *device_id,
			  const struct service_cert *c, gw_error *err)
{
	struct store_audit a = {
		.ts = service_now(), .actor = "verifier", .action = "device.certificate",
		.device_id = device_id, .outcome = "issued", .detail = NULL,
	};
	char *detail = cert_detail(c, NULL);
	int rc;

	if (!detail)
		return GW_E_NOMEM;
	a.detail = detail;
	rc = store_device_set_client_cert(w->st, device_id, c->fp, &a, err);
	free(detail);
	return rc;
}

/* The new key: one a device certificate may be for (pki_check_device_key), and
 * not the key of the client certificate of req: a renewal is for a new key (a
 * stolen key must not live on under a new certificate). GW_E_KEY otherwise. */
static int renew_check_key(struct httpd_req *req, const char *pub_pem, gw_error *err)
{
	EVP_PKEY *pub = NULL, *cur = req->peer_cert ? X509_get0_pubkey(req->peer_cert) : NULL;
	int rc = tpmdata_pkey_from_pem(pub_pem, strlen(pub_pem), &pub, err);

	if (!rc)
		rc = pki_check_device_key(pub, err);
	if (!rc && cur && EVP_PKEY_eq(pub, cur) == 1)
		rc = gw_fail(err, GW_E_KEY, "the key of the current certificate: a renewal "
					    "needs a new key");
	EVP_PKEY_free(pub);
	return rc;
}

/* Refuse the renewal, audited: false for the caller to return. */
static bool refuse(struct httpd_req *req, struct service_worker *w, const char *device_id,
		   int status, const char *code, const char *why)
{
	service_audit(w, device_id, "device.certificate", "refused", "renewal: %s", why);
	httpd_reply_error(req, status, code, "%s", why);
	return false;
}

/* The enrolled TPM asks for the renewal: a quote by the device's AK over a nonce of
 * POST /v1/attest/challenge (issued to this device, unexpired, used once) with
 * qualifying data quote_renewal_data(nonce, new key). A copy of the key and
 * certificate without the TPM cannot make one. */
static bool renewal_quote_ok(struct httpd_req *req, struct service_worker *w,
			     const struct store_device *dev, const struct api_renew_req *r)
{
	struct store_nonce nonce;
	enum store_nonce_refusal why = 0;
	struct quote_result res;
	TPM2B_PUBLIC akpub;
	EVP_PKEY *ak = NULL, *pub = NULL;
	uint8_t qd[QUOTE_RENEWAL_DATA_LEN];
	char msg[1200];
	gw_error err = { { 0 } };
	bool ok = false;
	int rc;

	if (!r->attest)
		return refuse(req, w, dev->id, 400, "quote_required",
			      "a renewal needs 'nonce', 'attest' and 'signature': a quote by the "
			      "enrolled AK over a nonce of POST /v1/attest/challenge (update gwagent)");
	rc = store_nonce_take(w->st, r->nonce, r->nonce_len, dev->id, service_now(), &nonce, &why,
			      &err);
	if (rc == GW_E_NOTFOUND || rc == GW_E_STATE) {
		snprintf(msg, sizeof(msg), "the quote's nonce is %s",
			 rc == GW_E_NOTFOUND	       ? "unknown, or issued to another device"
			 : why == STORE_NONCE_EXPIRED ? "expired"
						       : "already used (a replayed quote)");
		return refuse(req, w, dev->id, 409, "nonce_rejected", msg);
	}
	if (!rc && (tpmdata_public_unmarshal(dev->ak_pub, dev->ak_pub_len, &akpub, &err) ||
		    tpmdata_public_to_pkey(&akpub.publicArea, &ak, &err) ||
		    tpmdata_pkey_from_pem(r->client_pub_pem, strlen(r->client_pub_pem), &pub,
					  &err) ||
		    quote_renewal_data(r->nonce, r->nonce_len, pub, qd)))
		rc = GW_E_KEY;
	if (rc) {
		service_log("renew: %s: %s", dev->id, gw_error_msg(&err, rc));
		httpd_reply_error(req, 500, "internal_error", "store failure or enrolled data "
							      "unusable");
		goto out;
	}
	{
		/* Enrolled AKs are ECDSA with a fixed hash (tpmdata_public_is_ak). */
		struct quote_input in = {
			.ak = ak,
			.attest = r->attest,
			.attest_len = r->attest_len,
			.sig = &r->sig,
			.nonce = qd,
			.nonce_len = sizeof(qd),
			.sig_hash = akpub.publicArea.parameters.eccDetail.scheme.details.ecdsa.hashAlg,
		};

		rc = quote_verify(&in, &res, &err);
	}
	if (rc) {
		snprintf(msg, sizeof(msg), "the quote is not the enrolled TPM's for this key and "
					   "nonce: %s", gw_error_msg(&err, rc));
		refuse(req, w, dev->id, 403, "quote_rejected", msg);
		goto out;
	}
	ok = true;
out:
	EVP_PKEY_free(pub);
	EVP_PKEY_free(ak);
	return ok;
}

/* A certificate renews only in the last third of its lifetime (when the agent
 * asks): a copy of a device's key and certificate cannot keep renewing, and a
 * device that asks too early is told when. Otherwise refused (409), audited. */
static bool renewal_due(struct httpd_req *req, struct service_worker *w, const char *device_id)
{
	struct certinfo info;
	char from[32];

	if (req->peer_cert && certinfo_get(req->peer_cert, &info) == 0 &&
	    certinfo_renew_due(&info, service_now()))
		return true;
	if (!req->peer_cert || certinfo_get(req->peer_cert, &info)) {
		httpd_reply_error(req, 400, "bad_request", "the client certificate's validity "
							  "cannot be read");
		return false;
	}
	certinfo_time(certinfo_renew_from(&info), from, sizeof(from));
	service_audit(w, device_id, "device.certificate", "refused",
		      "renewal before %s, the last third of the certificate's lifetime", from);
	httpd_reply_error(req, 409, "renewal_not_due",
			  "this certificate renews from %s (the last third of its lifetime) "
			  "on; the agent renews it then by itself", from);
	return false;
}

/* POST /v1/renew: an enrolled device, authenticated by the certificate bound to
 * it, gets a certificate for a new key; the old one stops working at once. */
void service_renew(struct httpd_req *req)
{
	struct service_worker *w = req->app;
	struct store_device dev;
	struct api_renew_req r = { .client_pub_pem = NULL };
	struct service_cert c;
	char actor[8 + STORE_ID_MAX + 1], *detail = NULL;
	gw_error err = { { 0 } };
	int rc;

	memset(&c, 0, sizeof(c));
	if (service_device_for_request(req, &dev))
		return;
	rc = api_parse_renew(req->body, req->body_len, &r, &err);
	if (rc) {
		httpd_reply_error(req, 400, "bad_request", "%s", gw_error_msg(&err, rc));
		goto out;
	}
	rc = renew_check_key(req, r.client_pub_pem, &err);
	if (!rc && (!renewal_due(req, w, dev.id) || !renewal_quote_ok(req, w, &dev, &r)))
		goto out;
	if (!rc)
		rc = service_cert_issue(w, dev.id, r.client_pub_pem, &c, &err);
	if (rc) {
		service_log("renew: %s: %s", dev.id, gw_error_msg(&err, rc));
		if (rc == GW_E_KEY || rc == GW_E_PARSE)
			httpd_reply_error(req, 400, "bad_request", "client_public_key: %s",
					  gw_error_msg(&err, rc));
		else
			httpd_reply_error(req, 500, "internal_error", "cannot issue a certificate");
		goto out;
	}
	detail = cert_detail(&c, dev.client_cert_fp);
	snprintf(actor, sizeof(actor), "device:%s", dev.id);
	if (!detail) {
		httpd_reply_error(req, 500, "internal_error", "out of memory");
		goto out;
	}
	rc = store_device_renew_cert(w->st, dev.id, dev.client_cert_fp, c.fp,
				     &(struct store_audit){ .ts = service_now(), .actor = actor,
							    .action = "device.certificate",
							    .device_id = dev.id,
							    .outcome = "renewed",
							    .detail = detail },
				     &err);
	if (rc == GW_E_STATE) {
		/* Revoked, or another renewal with this certificate won, since the
		 * look-up: the certificate that came with this request is void. */
		service_audit(w, dev.id, "device.certificate", "refused", "renewal: %s",
			      gw_error_msg(&err, rc));
		httpd_reply_error(req, 403, "unknown_certificate",
				  "this client certificate is not the one issued to '%s' any more",
				  dev.id);
		goto out;
	}
	if (rc) {
		service_log("renew: %s: store: %s", dev.id, gw_error_msg(&err, rc));
		httpd_reply_error(req, 500, "internal_error", "store failure");
		goto out;
	}
	vlog(VLOG_NOTICE, "renew: %s: certificate %s, valid until %lld", dev.id, c.serial,
	     (long long)c.not_after);
	service_reply_certificate(req, w, dev.id, &c);
out:
	free(detail);
	service_cert_fini(&c);
	api_renew_req_fini(&r);
	store_device_fini(&dev);
}

bool service_recoverable(const struct store_device *dev, const uint8_t *ek_pub,
			 size_t ek_pub_len, const uint8_t *ak_name, size_t ak_name_len)
{
	uint8_t want[STORE_HASH_LEN], have[STORE_HASH_LEN];

	return dev->state == STORE_DEV_ENROLLED &&
	       store_ek_key_id(ek_pub, ek_pub_len, want) == 0 &&
	       store_ek_key_id(dev->ek_pub, dev->ek_pub_len, have) == 0 &&
	       memcmp(want, have, sizeof(want)) == 0 && dev->ak_name_len == ak_name_len &&
	       memcmp(dev->ak_name, ak_name, ak_name_len) == 0;
}

/* Revoked, pending or another TPM by now, or the enrollment was spent: the same
 * answers as an enrollment under a taken id; audited. */
static void refuse_recovery(struct httpd_req *req, struct service_worker *w,
			    const char *device_id, int rc, const gw_error *err)
{
	service_audit(w, device_id, "device.recover", "refused", "%s", gw_error_msg(err, rc));
	if (rc == GW_E_NOTFOUND)
		httpd_reply_error(req, 404, "unknown_enrollment",
				  "no open enrollment with this id (unknown, used or expired)");
	else
		httpd_reply_error(req, 409, "device_exists",
				  "device '%s' exists and cannot be recovered: %s", device_id,
				  gw_error_msg(err, rc));
}

void service_recover(struct httpd_req *req, struct service_worker *w,
		     const struct store_enrollment *e, const char *client_pub_pem)
{
	struct store_device dev;
	struct service_cert c;
	const char *old_fp = NULL;
	char *detail = NULL;
	gw_error err = { { 0 } };
	int rc;

	memset(&c, 0, sizeof(c));
	memset(&dev, 0, sizeof(dev));
	/* The certificate replaced, for the audit record; the store rebinds only
	 * while it is still the bound one. */
	rc = store_device_get(w->st, e->device_id, &dev, &err);
	if (rc == GW_E_NOTFOUND) {
		refuse_recovery(req, w, e->device_id,
				gw_fail(&err, GW_E_STATE, "device %s does not exist", e->device_id),
				&err);
		goto out;
	}
	if (!rc)
		rc = service_cert_issue(w, e->device_id, client_pub_pem, &c, &err);
	if (rc) {
		service_log("recover: %s: %s", e->device_id, gw_error_msg(&err, rc));
		httpd_reply_error(req, 500, "internal_error", "cannot issue a certificate");
		goto out;
	}
	old_fp = dev.client_cert_fp[0] ? dev.client_cert_fp : NULL;
	detail = cert_detail(&c, old_fp);
	if (!detail) {
		httpd_reply_error(req, 500, "internal_error", "out of memory");
		goto out;
	}
	rc = store_enrollment_recover(w->st, e->id, e->device_id, client_pub_pem, service_now(),
				      old_fp, c.fp,
				      &(struct store_audit){ .ts = service_now(),
							     .actor = "verifier",
							     .action = "device.recover",
							     .device_id = e->device_id,
							     .outcome = "recovered",
							     .detail = detail },
				      &err);
	if (rc == GW_E_NOTFOUND || rc == GW_E_STATE || rc == GW_E_EXISTS || rc == GW_E_INVAL) {
		refuse_recovery(req, w, e->device_id, rc, &err);
		goto out;
	}
	if (rc) {
		service_log("recover: %s: store: %s", e->device_id, gw_error_msg(&err, rc));
		httpd_reply_error(req, 500, "internal_error", "store failure");
		goto out;
	}
	vlog(VLOG_NOTICE, "recover: %s: the enrolled TPM proved itself again; certificate %s, "
	     "valid until %lld", e->device_id, c.serial, (long long)c.not_after);
	service_reply_certificate(req, w, e->device_id, &c);
out:
	free(detail);
	service_cert_fini(&c);
	store_device_fini(&dev);
}
