// SPDX-License-Identifier: Apache-2.0
// The verifier service: start-up, worker contexts, the routes, shared helpers and
// the health handler (enrollment: service_enroll.c).
#include "service.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <openssl/pem.h>

#include "api.h"
#include "pki.h"
#include "retention.h"
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

void service_reply_obj(struct httpd_req *req, int status, json_object *o)
{
	httpd_reply_json(req, status,
			 json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
								   JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

void service_health(struct httpd_req *req)
{
	struct service_worker *w = req->app;
	json_object *o = json_object_new_object();

	json_object_object_add(o, "status", json_object_new_string("ok"));
	json_object_object_add(o, "verifier_id", json_object_new_string(w->svc->cfg.id));
	json_object_object_add(o, "version", json_object_new_string(SERVICE_VERSION));
	service_reply_obj(req, 200, o);
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
