/* SPDX-License-Identifier: Apache-2.0 */
/* The verifier's configuration file (verifier.conf): identity, listener, TLS and CA
 * files, gate key, store, enrollment trust, policy signing keys and limits. */
#ifndef GW_VERIFIER_VCONFIG_H
#define GW_VERIFIER_VCONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "gw_error.h"

#define VCONFIG_MAX_EK_CAS 32
#define VCONFIG_MAX_AUTO_MODELS 64
#define VCONFIG_MAX_POLICY_KEYS 32 /* DSSE_MAX_KEYS: one verification takes them all */

enum vconfig_auto { VCONFIG_AUTO_NONE, VCONFIG_AUTO_ALL, VCONFIG_AUTO_MODELS };

/* A rate limit "COUNT/SECONDS": a token bucket of COUNT requests that refills over
 * SECONDS (a burst of COUNT, then one every SECONDS/COUNT). count 0: no limit. */
struct vconfig_rate {
	unsigned count;   /* 0, or 1..VCONFIG_RATE_MAX_COUNT */
	unsigned seconds; /* 1..VCONFIG_RATE_MAX_SECONDS when count > 0 */
};
#define VCONFIG_RATE_MAX_COUNT 1000000u
#define VCONFIG_RATE_MAX_SECONDS 86400u
#define VCONFIG_DEFAULT_ENROLL_RATE_SOURCE 10u /* per 60 s and source address */
#define VCONFIG_DEFAULT_ENROLL_RATE_GLOBAL 120u /* per 60 s, all sources */
#define VCONFIG_DEFAULT_CERT_DAYS 365u
#define VCONFIG_MAX_CERT_DAYS 3650u

struct vconfig {
	char *dir;          /* directory of the config file: relative paths start here */
	char *id;           /* verifier id, named in attestation results */
	char *listen;       /* "127.0.0.1:8443", "[::1]:8443" */
	unsigned threads;
	char *store;        /* "sqlite:/path" */
	/* The pid file `serve` writes and holds locked, `reload` signals (default:
	 * gwverifier.pid beside the database). */
	char *pid_file;
	char *tls_cert, *tls_key;
	char *ca_cert, *ca_key;   /* issues the server and device certificates */
	char *gate_key;     /* ES256: attestation results, PolicySigned */
	unsigned nonce_ttl;       /* seconds */
	unsigned result_ttl;      /* seconds an attestation result is valid */
	unsigned request_timeout; /* seconds */
	size_t max_body;          /* bytes */
	/* Connections (httpd.h): max_connections 0 is the descriptor limit less a
	 * headroom; the timeouts are deadlines, not idle timeouts. */
	unsigned max_connections;
	unsigned max_connections_per_source;
	unsigned max_connections_per_prefix; /* per IPv6 /56; twice that per /48 */
	unsigned max_handshakes_per_source;  /* still in the TLS handshake */
	unsigned handshake_timeout;    /* seconds */
	unsigned request_read_timeout; /* seconds */
	char *ek_ca[VCONFIG_MAX_EK_CAS]; /* manufacturer CA certificates for EK chains */
	size_t n_ek_ca;
	enum vconfig_auto auto_approve;
	char *auto_models[VCONFIG_MAX_AUTO_MODELS];
	size_t n_auto_models;
	/* [enrollment] rate_per_source, rate_global: POST /v1/enroll per source
	 * address (IPv6: per /64) and from all sources together. */
	struct vconfig_rate enroll_rate_source;
	struct vconfig_rate enroll_rate_global;
	/* [enrollment] cert_days: lifetime of the device certificates issued at
	 * enrollment, renewal and recovery (1..VCONFIG_MAX_CERT_DAYS). */
	unsigned cert_days;
	/* [policy]: PEM public keys that sign policies (distinct paths), and how many
	 * of them must have signed one; after vconfig_load() policy_threshold is
	 * 1..n_policy_keys (all keys when the file does not say), 0 without keys. */
	char *policy_keys[VCONFIG_MAX_POLICY_KEYS];
	size_t n_policy_keys;
	unsigned policy_threshold;
	/* [releases]: the pinned trust root that release bundles are checked
	 * against (NULL: `release add` refuses), the directory their files are kept
	 * in (default: "bundles" beside the database), the channel of a device
	 * without one, and how old a device's last affirming attestation may be for
	 * it to be offered or served a release (seconds). */
	char *release_trust_root;
	char *release_dir;
	/* [releases] release_key: the verifier's P-256 release private key that
	 * encrypted bundles' content keys are wrapped for (relkey.h checks the file
	 * when it is used); NULL: encrypted bundles are refused. */
	char *release_key;
	char *default_channel;
	unsigned release_max_attest_age;
	/* Seconds an update authorization stands (its expires_at and the gate's
	 * PolicySigned expiration): VCONFIG_MIN_ to VCONFIG_MAX_AUTHORIZATION_TTL. */
	unsigned authorization_ttl;
	/* [metrics] listen: the plain-HTTP address of GET /metrics (NULL, "off":
	 * none); refresh: seconds the store gauges are kept between reads. */
	char *metrics_listen;
	unsigned metrics_refresh;
	/* [retention]: attestation results kept per device (0: no pruning, the
	 * default), days every non-affirming one is kept, and how often `serve`
	 * prunes (seconds), and round_budget_ms: how long each rule's part of a
	 * serve round runs its batches before it stops and goes on a second later. */
	unsigned keep_results;
	unsigned keep_failed_days;
	unsigned prune_interval;
	unsigned round_budget_ms;
	/* [retention] audit_keep_days and audit_archive_dir, both or neither (0 and
	 * NULL: off): audit records older than the days are archived into the
	 * directory (audit_export.h) by `serve` every prune_interval and by `prune`. */
	unsigned audit_keep_days;
	char *audit_archive_dir;
};
#define VCONFIG_DEFAULT_METRICS_REFRESH 30u
#define VCONFIG_DEFAULT_KEEP_FAILED_DAYS 30u
#define VCONFIG_DEFAULT_PRUNE_INTERVAL 3600u
#define VCONFIG_DEFAULT_ROUND_BUDGET_MS 2000u
#define VCONFIG_DEFAULT_CHANNEL "stable"
#define VCONFIG_DEFAULT_MAX_ATTEST_AGE 900u
#define VCONFIG_DEFAULT_AUTHORIZATION_TTL 120u
#define VCONFIG_MIN_AUTHORIZATION_TTL 10u
#define VCONFIG_MAX_AUTHORIZATION_TTL 3600u

void vconfig_defaults(struct vconfig *cfg);
/* Load path; relative file names in it are made absolute against its directory.
 * Errors: GW_E_NOTFOUND, GW_E_NOMEM, GW_E_CONFIG ("PATH:LINE: detail"). */
int vconfig_load(const char *path, struct vconfig *cfg, gw_error *err) GW_WUR;
void vconfig_fini(struct vconfig *cfg);
/* True when a device of this model is enrolled without an operator. */
bool vconfig_auto_approves(const struct vconfig *cfg, const char *model);

#endif
