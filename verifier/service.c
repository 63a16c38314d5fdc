// SPDX-License-Identifier: Apache-2.0
// The verifier service: start-up, worker contexts, health and enrollment handlers.
#include "service.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <tss2/tss2_mu.h>

#include "api.h"
#include "credential.h"
#include "pki.h"
#include "retention.h"
#include "service_renew.h"
#include "tpmdata.h"
#include "util.h"
#include "vlog.h"

/* Each handler runs under the service's read lock, so a reload (service_reload.c)
 * never changes the settings and keys in the middle of a request. */
static void locked(struct httpd_req *req, void (*fn)(struct httpd_req *req))
{
	struct service_worker *w = req->app;

	pthread_rwlock_rdlock(&w->svc->lock);
	if (w->generation != w->svc->generation) {
		/* Verified with the old policy keys: verify again with the new. */
		verdict_cache_clear(w->policies);
		w->generation = w->svc->generation;
	}
	fn(req);
	pthread_rwlock_unlock(&w->svc->lock);
}

#define LOCKED(fn)                                        \
	static void locked_##fn(struct httpd_req *req)    \
	{                                                 \
		locked(req, fn);                          \
	}
LOCKED(service_health)
LOCKED(service_enroll)
LOCKED(service_enroll_activate)
LOCKED(service_enroll_status)
LOCKED(service_attest_challenge)
LOCKED(service_attest)
LOCKED(service_renew)
LOCKED(service_update_key)
LOCKED(service_release_bundle)

const struct httpd_route service_routes[] = {
	{ "GET", "/v1/health", locked_service_health, 0 },
	{ "POST", "/v1/enroll", locked_service_enroll, 0 },
	{ "POST", "/v1/enroll/activate", locked_service_enroll_activate, 0 },
	{ "POST", "/v1/enroll/status", locked_service_enroll_status, 0 },
	{ "POST", "/v1/attest/challenge", locked_service_attest_challenge,
	  HTTPD_NEEDS_CLIENT_CERT },
	{ "POST", "/v1/attest", locked_service_attest, HTTPD_NEEDS_CLIENT_CERT },
	{ "POST", "/v1/renew", locked_service_renew, HTTPD_NEEDS_CLIENT_CERT },
	{ "POST", "/v1/update-key", locked_service_update_key, HTTPD_NEEDS_CLIENT_CERT },
	{ "GET", "/v1/releases/", locked_service_release_bundle,
	  HTTPD_NEEDS_CLIENT_CERT | HTTPD_PATH_PREFIX },
};
const size_t service_nroutes = GW_ARRAY_SIZE(service_routes);

int64_t service_now(void)
{
	return (int64_t)time(NULL);
}

void service_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlogv(VLOG_ERR, fmt, ap);
	va_end(ap);
}

/* The log line of an audit record (service.h). */
static void audit_line(const char *device, const char *action, const char *outcome,
		       const char *detail)
{
	char key[96], dev[160], out[96];

	vlog_value(dev, sizeof(dev), device ? device : "-");
	if (strcmp(outcome, "refused")) {
		vlog(VLOG_INFO, "%s device=%s outcome=%s%s%s", action, dev,
		     vlog_value(out, sizeof(out), outcome), detail ? ": " : "",
		     detail ? detail : "");
		return;
	}
	snprintf(key, sizeof(key), "refused %s", action);
	vlog_repeat(key, VLOG_WARNING, "refused action=%s device=%s%s%s", action, dev,
		    detail ? ": " : "", detail ? detail : "");
}

void service_audit(struct service_worker *w, const char *device, const char *action,
		   const char *outcome, const char *detail_fmt, ...)
{
	char actor[96], detail[1024];
	json_object *d = NULL;
	struct store_audit a;
	gw_error err = { { 0 } };
	va_list ap;

	snprintf(actor, sizeof(actor), device ? "device:%s" : "verifier", device);
	if (detail_fmt) {
		va_start(ap, detail_fmt);
		vsnprintf(detail, sizeof(detail), detail_fmt, ap);
		va_end(ap);
		d = json_object_new_object();
		json_object_object_add(d, "message", json_object_new_string(detail));
	}
	audit_line(device, action, outcome, detail_fmt ? detail : NULL);
	if (!strcmp(action, "device.enroll") && !strcmp(outcome, "refused"))
		metrics_enroll(w->svc->metrics, METRICS_ENROLL_REFUSED);
	a = (struct store_audit){
		.ts = service_now(),
		.actor = actor,
		.action = action,
		.device_id = device,
		.outcome = outcome,
		.detail = d ? json_object_to_json_string_ext(d, JSON_C_TO_STRING_PLAIN) : NULL,
	};
	if (store_audit_append(w->st, &a, NULL, &err))
		service_log("audit append failed: %s", gw_error_msg(&err, GW_E_IO));
	json_object_put(d);
}

static int load_ek_store(struct service *svc, gw_error *err)
{
	X509 *c = NULL;
	int rc;

	svc->ek_store = X509_STORE_new();
	if (!svc->ek_store)
		return GW_E_NOMEM;
	/* Every configured CA is a trust anchor, intermediates included: a manufacturer
	 * chain may be configured from any level down. */
	X509_STORE_set_flags(svc->ek_store, X509_V_FLAG_PARTIAL_CHAIN);
	for (size_t i = 0; i < svc->cfg.n_ek_ca; i++) {
		rc = pki_cert_read(svc->cfg.ek_ca[i], &c, err);
		if (rc)
			return rc;
		if (!X509_STORE_add_cert(svc->ek_store, c)) {
			X509_free(c);
			return gw_fail(err, GW_E_CRYPTO, "%s: cannot add to the EK trust store",
				       svc->cfg.ek_ca[i]);
		}
		X509_free(c);
	}
	return 0;
}

/* The keys, certificates and trust anchors the configuration names sit in
 * directories only their owner can change (gw_check_trusted_dir): an operator of
 * the group that may write the database's directory must not be able to swap the
 * CA, the gate key or a policy key. */
static int check_trusted_dirs(const struct vconfig *c, gw_error *err)
{
	const char *files[6 + VCONFIG_MAX_EK_CAS + VCONFIG_MAX_POLICY_KEYS];
	size_t n = 0;
	int rc = 0;

	files[n++] = c->tls_cert;
	files[n++] = c->tls_key;
	files[n++] = c->ca_cert;
	files[n++] = c->ca_key;
	files[n++] = c->gate_key;
	files[n++] = c->release_key;
	for (size_t i = 0; i < c->n_ek_ca; i++)
		files[n++] = c->ek_ca[i];
	for (size_t i = 0; i < c->n_policy_keys; i++)
		files[n++] = c->policy_keys[i];
	for (size_t i = 0; i < n && !rc; i++)
		if (files[i])
			rc = gw_check_trusted_dir(files[i], err);
	if (!rc && c->release_trust_root)
		rc = gw_check_trusted_dir(c->release_trust_root, err);
	return rc;
}

int service_load(struct service *svc, const char *config_path, gw_error *err)
{
	uint8_t *der = NULL;
	unsigned char md[32];
	char hex[65];
	int der_len, rc;

	memset(svc, 0, sizeof(*svc));
	rc = service_lock_init(svc);
	if (rc)
		return rc;
	vconfig_defaults(&svc->cfg);
	rc = vconfig_load(config_path, &svc->cfg, err);
	if (!rc)
		rc = check_trusted_dirs(&svc->cfg, err);
	if (!rc && svc->cfg.audit_archive_dir)
		rc = retention_check_archive_dir(svc->cfg.audit_archive_dir, err);
	if (rc)
		return rc;
	if ((rc = pki_key_read(svc->cfg.gate_key, &svc->gate_key, err)) ||
	    (rc = pki_key_read(svc->cfg.ca_key, &svc->ca_key, err)) ||
	    (rc = pki_cert_read(svc->cfg.ca_cert, &svc->ca_cert, err)) ||
	    (rc = tpmdata_pkey_to_pem(svc->gate_key, &svc->gate_pub_pem)) ||
	    (rc = load_ek_store(svc, err)))
		return rc;
	/* The keys that sign policies: a stored policy is verified with them before
	 * it is used, so a bad key file fails start-up rather than every appraisal. */
	rc = verdict_keys_load(svc->cfg.policy_keys, svc->cfg.n_policy_keys, svc->policy_keys,
			       err);
	if (rc) {
		gw_error_prefix(err, "[policy] key: ");
		return rc;
	}
	svc->n_policy_keys = svc->cfg.n_policy_keys;
	rc = service_ratelimit_new(&svc->cfg.enroll_rate_source, &svc->cfg.enroll_rate_global,
				   &svc->enroll_limit);
	if (rc)
		return gw_fail(err, rc, "[enrollment] rate limits: %s", gw_strerror(rc));
	svc->metrics = metrics_new();
	if (!svc->metrics)
		return GW_E_NOMEM;
	der_len = i2d_PUBKEY(svc->gate_key, &der);
	if (der_len <= 0 || gw_hash(TPM2_ALG_SHA256, der, (size_t)der_len, md)) {
		OPENSSL_free(der);
		return gw_fail(err, GW_E_CRYPTO, "gate key: cannot encode");
	}
	OPENSSL_free(der);
	gw_hex_encode(md, 8, hex);
	memcpy(svc->gate_kid, hex, 17);
	return 0;
}

int service_init(struct service *svc, const char *config_path, gw_error *err)
{
	struct store *st = NULL;
	int rc = service_load(svc, config_path, err);

	if (rc)
		return rc;
	/* Create or migrate the store now, so a bad store fails start-up. */
	rc = store_open(svc->cfg.store, &st, err);
	store_close(st);
	return rc;
}

void service_fini(struct service *svc)
{
	EVP_PKEY_free(svc->gate_key);
	EVP_PKEY_free(svc->ca_key);
	X509_free(svc->ca_cert);
	X509_STORE_free(svc->ek_store);
	verdict_keys_free(svc->policy_keys, svc->n_policy_keys);
	service_ratelimit_free(svc->enroll_limit);
	metrics_free(svc->metrics);
	free(svc->gate_pub_pem);
	vconfig_fini(&svc->cfg);
	if (svc->lock_init)
		pthread_rwlock_destroy(&svc->lock);
	memset(svc, 0, sizeof(*svc));
}

void *service_thread_init(unsigned idx, void *arg)
{
	struct service_worker *w = calloc(1, sizeof(*w));
	gw_error err = { { 0 } };

	(void)idx;
	if (!w)
		return NULL;
	w->svc = arg;
	w->generation = w->svc->generation;
	if (store_open(w->svc->cfg.store, &w->st, &err)) {
		service_log("worker %u: store: %s", idx, gw_error_msg(&err, GW_E_IO));
		free(w);
		return NULL;
	}
	store_set_tx_observer(w->st, metrics_store_tx, w->svc->metrics);
	w->policies = verdict_cache_new(SERVICE_POLICY_CACHE);
	if (!w->policies) {
		service_log("worker %u: %s", idx, gw_strerror(GW_E_NOMEM));
		store_close(w->st);
		free(w);
		return NULL;
	}
	return w;
}

void service_thread_fini(unsigned idx, void *app, void *arg)
{
	struct service_worker *w = app;

	(void)idx;
	(void)arg;
	if (!w)
		return;
	store_close(w->st);
	verdict_cache_free(w->policies);
	free(w);
}

static void reply_obj(struct httpd_req *req, int status, json_object *o)
{
	httpd_reply_json(req, status,
			 json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
								   JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

static void add_b64(json_object *o, const char *key, const uint8_t *data, size_t len)
{
	char *s = NULL;

	if (!gw_b64_encode(data, len, &s))
		json_object_object_add(o, key, json_object_new_string(s));
	free(s);
}

void service_health(struct httpd_req *req)
{
	struct service_worker *w = req->app;
	json_object *o = json_object_new_object();

	json_object_object_add(o, "status", json_object_new_string("ok"));
	json_object_object_add(o, "verifier_id", json_object_new_string(w->svc->cfg.id));
	json_object_object_add(o, "version", json_object_new_string(SERVICE_VERSION));
	reply_obj(req, 200, o);
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
	reply_obj(req, 200, o);
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
	reply_obj(req, 200, o);
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

int service_device_for_request(struct httpd_req *req, struct store_device *dev)
{
	struct service_worker *w = req->app;
	gw_error err = { { 0 } };
	int rc;

	memset(dev, 0, sizeof(*dev));
	if (!req->peer_cn || !req->peer_fingerprint || !api_valid_id(req->peer_cn)) {
		vlog_repeat("refused client", VLOG_WARNING,
			    "refused action=client_certificate source=%s path=%s: "
			    "client_certificate_required", req->remote_addr, req->path);
		httpd_reply_error(req, 401, "client_certificate_required",
				  "a device client certificate issued by this verifier is needed");
		return -1;
	}
	rc = store_device_get(w->st, req->peer_cn, dev, &err);
	if (rc == GW_E_NOTFOUND || (rc == 0 && (!dev->client_cert_fp[0] ||
						!gw_ct_equal(dev->client_cert_fp,
							     req->peer_fingerprint, 64)))) {
		vlog_repeat("refused client", VLOG_WARNING,
			    "refused action=client_certificate device=%s source=%s path=%s: "
			    "unknown_certificate", req->peer_cn, req->remote_addr, req->path);
		httpd_reply_error(req, 403, "unknown_certificate",
				  "this client certificate is not the one issued to '%s'",
				  req->peer_cn);
		store_device_fini(dev);
		return -1;
	}
	if (rc) {
		httpd_reply_error(req, 500, "internal_error", "store failure");
		return -1;
	}
	if (dev->state != STORE_DEV_ENROLLED) {
		vlog_repeat("refused client", VLOG_WARNING,
			    "refused action=client_certificate device=%s source=%s path=%s: %s",
			    dev->id, req->remote_addr, req->path, store_device_state_name(dev->state));
		httpd_reply_error(req, 403, dev->state == STORE_DEV_REVOKED ? "revoked" : "not_enrolled",
				  "device '%s' is %s", dev->id, store_device_state_name(dev->state));
		store_device_fini(dev);
		return -1;
	}
	return 0;
}
