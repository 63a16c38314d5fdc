/* SPDX-License-Identifier: Apache-2.0 */
/* The verifier service behind `gwverifier serve`: shared state (configuration,
 * keys, trusted EK CAs), one store handle per worker thread, and the /v1/ handlers. */
#ifndef GW_VERIFIER_SERVICE_H
#define GW_VERIFIER_SERVICE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "httpd.h"
#include "metrics.h"
#include "service_ratelimit.h"
#include "store.h"
#include "vconfig.h"
#include "verdict.h"
#include "version.h"

#define SERVICE_VERSION GW_VERSION
#define SERVICE_ENROLL_TTL 120 /* seconds a credential challenge stays valid */
#define SERVICE_POLICY_CACHE 64 /* verified policies each worker keeps */

struct service {
	struct vconfig cfg;
	EVP_PKEY *gate_key;
	char *gate_pub_pem;
	char gate_kid[17];  /* first 16 hex digits of SHA-256(gate public key DER) */
	X509 *ca_cert;
	EVP_PKEY *ca_key;
	X509_STORE *ek_store;
	EVP_PKEY *policy_keys[VCONFIG_MAX_POLICY_KEYS]; /* [policy] key, in order */
	size_t n_policy_keys;
	/* POST /v1/enroll limits ([enrollment] rate_*), shared by every worker. */
	struct service_ratelimit *enroll_limit;
	/* Counters and histograms of every worker (metrics.h). */
	struct metrics *metrics;
	/* Every handler runs under the read lock; service_reload() swaps the settings
	 * and keys above under the write lock (writers first, so a reload is not
	 * starved by a stream of requests), and bumps generation so that workers drop
	 * what they cached from the old ones. */
	pthread_rwlock_t lock;
	bool lock_init;
	unsigned long generation;
};

/* One per worker thread (httpd's app pointer). */
struct service_worker {
	struct service *svc;
	struct store *st;
	unsigned long requests; /* paces the purge of expired nonces and enrollments */
	struct verdict_cache *policies; /* verified once per (model, version, bytes) */
	unsigned long generation; /* svc->generation the cache was filled under */
};

/* Load the configuration and every key and certificate it names; the store is not
 * touched (what a reload, and `gwverifier reload`'s check, need). */
int service_load(struct service *svc, const char *config_path, gw_error *err) GW_WUR;
/* service_load(), then open the store once to create or migrate it (start-up). */
int service_init(struct service *svc, const char *config_path, gw_error *err) GW_WUR;
void service_fini(struct service *svc);

/* service_reload.c: the lock above, writers first. GW_E_NOMEM. */
int service_lock_init(struct service *svc) GW_WUR;
/* service_reload.c: read config_path again into a new set of settings and keys
 * (as service_init() does) and, when all of it loads, put it in force for the
 * next request; requests in progress finish under the old one and no connection
 * is closed. Settings that only take effect at start-up (listener, threads,
 * store, TLS, CA and gate keys, connection caps; see doc/verifier.md) keep their
 * old values: each one that changed is named in kept ("listen 127.0.0.1:8443 ->
 * ...; "), "" when none. On an error nothing changes and err says why. */
int service_reload(struct service *svc, const char *config_path, char *kept, size_t kept_len,
		   gw_error *err) GW_WUR;

void *service_thread_init(unsigned idx, void *arg);
void service_thread_fini(unsigned idx, void *app, void *arg);

extern const struct httpd_route service_routes[];
extern const size_t service_nroutes;

/* Handlers (service.c: health; service_enroll.c: enrollment; service_attest.c:
 * attestation). */
void service_health(struct httpd_req *req);
void service_enroll(struct httpd_req *req);
void service_enroll_activate(struct httpd_req *req);
void service_enroll_status(struct httpd_req *req);
void service_attest_challenge(struct httpd_req *req);
void service_attest(struct httpd_req *req);
void service_renew(struct httpd_req *req); /* service_renew.c */
void service_update_key(struct httpd_req *req); /* service_update_key.c */

/* Shared helpers. */
int64_t service_now(void);
/* Answer status with o as compact JSON (slashes not escaped); o is freed. */
struct json_object;
void service_reply_obj(struct httpd_req *req, int status, struct json_object *o);
/* An audit record of actor "device:<id>" (or "verifier"), written on its own;
 * failures to write it are logged, not returned. It is also a log line (vlog.h):
 * "refused action=ACTION device=ID: DETAIL" (warning, through vlog_repeat per
 * action) for outcome "refused", "ACTION device=ID outcome=OUTCOME: DETAIL"
 * (info) otherwise. */
void service_audit(struct service_worker *w, const char *device, const char *action,
		   const char *outcome, const char *detail_fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* An error line of the verifier's log (vlog.h, priority err). */
void service_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The device named by the request's client certificate, in state enrolled; on any
 * refusal the reply has been sent and the return is non-zero. */
int service_device_for_request(struct httpd_req *req, struct store_device *dev);
/* The model's current policy as verified with the configured keys (cached per
 * worker); id gets "policy:MODEL/VERSION", or "none" with GW_E_NOTFOUND when the
 * model has none. Any other error: the stored policy must not be used (why says
 * so). service_attest.c. */
struct gwpol;
int service_current_policy(struct service_worker *w, const char *model, const struct gwpol **pol,
			   char *id, size_t idlen, char *why, size_t whylen);
void service_release_bundle(struct httpd_req *req); /* service_release.c */

/* service_counters.c: a round's certified anti-rollback counters. */
struct evidence;
struct gwpol_report;
struct service_counters {
	struct store_counter c[STORE_MAX_COUNTERS];
	size_t n;
	/* Verified and consistent with the recorded ones: the round may record them. */
	bool ok;
	/* Recording them was refused: another round recorded other counters since
	 * they were compared (service_attest.c compares again). */
	bool conflict;
	/* For the audit record: the counters seen, a JSON array. */
	char seen[1024];
};
/* Verify the evidence's counters (the quote is genuine and fresh) and compare them
 * with dev's recorded ones (service_counters_compare); any failure adds a
 * contraindicated configuration claim (rule "counters") to rep naming why. When
 * consistent, dev->security_version is raised to the highest certified value, as
 * the store records it. */
void service_counters_check(struct service_worker *w, struct store_device *dev,
			    const struct evidence *ev, EVP_PKEY *ak, struct gwpol_report *rep,
			    struct service_counters *out);
/* Compare sc's counters with the device's recorded ones as the store holds them
 * now: a channel with other NV names, a security version below the recorded one,
 * or a recorded channel sc leaves out adds a contraindicated "counters" claim
 * naming the channel. sc->ok says whether the round may record them. A store
 * failure also adds a claim, and returns its code (err says why). */
int service_counters_compare(struct store *st, const char *device_id,
			     struct service_counters *sc, struct gwpol_report *rep,
			     gw_error *err);

#endif
