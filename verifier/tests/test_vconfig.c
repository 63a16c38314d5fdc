// SPDX-License-Identifier: Apache-2.0
// Unit tests for verifier.conf: defaults, good files with every key and every limit,
// path resolution, and one bad fixture per error, each named with its line.
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "util.h"
#include "vconfig.h"

#define FIXTURES "verifier/tests/fixtures/vconfig"

static int load(const char *path, struct vconfig *cfg, gw_error *err)
{
	vconfig_defaults(cfg);
	return vconfig_load(path, cfg, err);
}

static void load_ok(const char *path, struct vconfig *cfg)
{
	gw_error err = { { 0 } };
	int rc = load(path, cfg, &err);

	if (rc)
		fail_msg("%s: %d: %s", path, rc, gw_error_msg(&err, rc));
}

/* cwd + "/" + rel, for the paths the loader makes absolute. */
static void abs_path(const char *rel, char *buf, size_t len)
{
	char cwd[PATH_MAX];

	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(gw_snprintf(buf, len, "%s/%s", cwd, rel), 0);
}

static void assert_default_limits(const struct vconfig *cfg)
{
	assert_int_equal(cfg->threads, 2);
	assert_int_equal(cfg->nonce_ttl, 60);
	assert_int_equal(cfg->result_ttl, 300);
	assert_int_equal(cfg->request_timeout, 10);
	assert_int_equal(cfg->max_body, 1024 * 1024);
	assert_int_equal(cfg->max_connections, 0);
	assert_int_equal(cfg->max_connections_per_source, 32);
	assert_int_equal(cfg->max_connections_per_prefix, 128);
	assert_int_equal(cfg->max_handshakes_per_source, 8);
	assert_int_equal(cfg->handshake_timeout, 10);
	assert_int_equal(cfg->request_read_timeout, 30);
	assert_int_equal(cfg->enroll_rate_source.count, 10);
	assert_int_equal(cfg->enroll_rate_source.seconds, 60);
	assert_int_equal(cfg->enroll_rate_global.count, 120);
	assert_int_equal(cfg->enroll_rate_global.seconds, 60);
	assert_int_equal(cfg->cert_days, 365);
	assert_int_equal(cfg->metrics_refresh, 30);
}

static void test_defaults(void **state)
{
	struct vconfig cfg;

	(void)state;
	memset(&cfg, 0xa5, sizeof(cfg));
	vconfig_defaults(&cfg);
	assert_default_limits(&cfg);
	assert_null(cfg.dir);
	assert_null(cfg.id);
	assert_null(cfg.listen);
	assert_null(cfg.store);
	assert_null(cfg.tls_cert);
	assert_null(cfg.tls_key);
	assert_null(cfg.ca_cert);
	assert_null(cfg.ca_key);
	assert_null(cfg.gate_key);
	assert_null(cfg.metrics_listen); /* no metrics listener unless configured */
	assert_int_equal(cfg.n_ek_ca, 0);
	assert_int_equal(cfg.auto_approve, VCONFIG_AUTO_NONE);
	assert_int_equal(cfg.n_auto_models, 0);
	assert_int_equal(cfg.n_policy_keys, 0);
	assert_int_equal(cfg.policy_threshold, 0);
	assert_false(vconfig_auto_approves(&cfg, "gw-100"));
	assert_false(vconfig_auto_approves(&cfg, NULL));
	vconfig_fini(&cfg);
	vconfig_fini(&cfg); /* fini leaves a config that fini accepts again */
}

static void test_full(void **state)
{
	struct vconfig cfg;
	char dir[PATH_MAX];

	(void)state;
	load_ok(FIXTURES "/good/full.conf", &cfg);
	abs_path(FIXTURES "/good", dir, sizeof(dir));
	assert_string_equal(cfg.dir, dir);
	assert_string_equal(cfg.id, "verifier-7");
	assert_string_equal(cfg.listen, "[::1]:9443");
	assert_int_equal(cfg.threads, 8);
	assert_string_equal(cfg.store, "sqlite:/var/lib/gatewarden/verifier.db");
	assert_string_equal(cfg.tls_cert, "/etc/gatewarden/server.pem");
	assert_string_equal(cfg.tls_key, "/etc/gatewarden/server.key");
	assert_string_equal(cfg.ca_cert, "/etc/gatewarden/ca.pem");
	assert_string_equal(cfg.ca_key, "/etc/gatewarden/ca.key");
	assert_string_equal(cfg.gate_key, "/etc/gatewarden/gate.key");
	assert_int_equal(cfg.nonce_ttl, 30);
	assert_int_equal(cfg.result_ttl, 600);
	assert_int_equal(cfg.request_timeout, 20);
	assert_int_equal(cfg.max_body, 65536);
	assert_int_equal(cfg.max_connections, 0);
	assert_int_equal(cfg.max_connections_per_source, 8);
	assert_int_equal(cfg.max_connections_per_prefix, 24);
	assert_int_equal(cfg.max_handshakes_per_source, 3);
	assert_int_equal(cfg.handshake_timeout, 5);
	assert_int_equal(cfg.request_read_timeout, 20);
	assert_int_equal(cfg.n_ek_ca, 2);
	assert_string_equal(cfg.ek_ca[0], "/usr/share/gatewarden/ek/vendor-a.pem");
	assert_string_equal(cfg.ek_ca[1], "/usr/share/gatewarden/ek/vendor-b.pem");
	assert_int_equal(cfg.auto_approve, VCONFIG_AUTO_MODELS);
	assert_int_equal(cfg.n_auto_models, 2);
	assert_string_equal(cfg.auto_models[0], "gw-100");
	assert_string_equal(cfg.auto_models[1], "gw-200");
	assert_true(vconfig_auto_approves(&cfg, "gw-100"));
	assert_true(vconfig_auto_approves(&cfg, "gw-200"));
	assert_false(vconfig_auto_approves(&cfg, "gw-300"));
	assert_false(vconfig_auto_approves(&cfg, "gw-10"));
	assert_false(vconfig_auto_approves(&cfg, "gw-1000"));
	assert_false(vconfig_auto_approves(&cfg, "GW-100"));
	assert_false(vconfig_auto_approves(&cfg, ""));
	assert_false(vconfig_auto_approves(&cfg, NULL));
	assert_int_equal(cfg.enroll_rate_source.count, 3);
	assert_int_equal(cfg.enroll_rate_source.seconds, 30);
	assert_int_equal(cfg.enroll_rate_global.count, 500);
	assert_int_equal(cfg.enroll_rate_global.seconds, 3600);
	assert_int_equal(cfg.n_policy_keys, 3);
	assert_string_equal(cfg.policy_keys[0], "/etc/gatewarden/policy/release-a.pub");
	assert_string_equal(cfg.policy_keys[1], "/etc/gatewarden/policy/release-b.pub");
	assert_string_equal(cfg.policy_keys[2], "/etc/gatewarden/policy/release-c.pub");
	assert_int_equal(cfg.policy_threshold, 2);
	vconfig_fini(&cfg);
	assert_null(cfg.id);
	assert_int_equal(cfg.n_ek_ca, 0);
	assert_int_equal(cfg.n_policy_keys, 0);
}

static void test_minimal(void **state)
{
	struct vconfig cfg;

	(void)state;
	load_ok(FIXTURES "/good/minimal.conf", &cfg);
	assert_string_equal(cfg.id, "v");
	assert_string_equal(cfg.listen, "127.0.0.1:8443");
	assert_string_equal(cfg.store, "sqlite:/tmp/v.db");
	assert_default_limits(&cfg);
	assert_int_equal(cfg.n_ek_ca, 0);
	assert_int_equal(cfg.auto_approve, VCONFIG_AUTO_NONE);
	assert_false(vconfig_auto_approves(&cfg, "gw-100"));
	/* No [policy]: no key, so no policy can be added or trusted. */
	assert_int_equal(cfg.n_policy_keys, 0);
	assert_int_equal(cfg.policy_threshold, 0);
	/* No [releases]: no trust root (release add refuses), bundles beside the
	 * database, channel "stable", attestations fresh for 15 minutes. */
	assert_null(cfg.release_trust_root);
	assert_string_equal(cfg.release_dir, "/tmp/bundles");
	/* The pid file `serve` holds and `reload` reads: beside the gate key, not the
	 * database (whose directory operators may write). */
	assert_string_equal(cfg.pid_file, "/a/gwverifier.pid");
	/* No [retention]: nothing is pruned or archived. */
	assert_int_equal(cfg.keep_results, 0);
	assert_int_equal(cfg.audit_keep_days, 0);
	assert_null(cfg.audit_archive_dir);
	assert_int_equal(cfg.keep_failed_days, 30);
	assert_int_equal(cfg.prune_interval, 3600);
	assert_int_equal(cfg.round_budget_ms, 2000);
	assert_string_equal(cfg.default_channel, "stable");
	assert_int_equal(cfg.release_max_attest_age, 900);
	assert_int_equal(cfg.authorization_ttl, 120);
	vconfig_fini(&cfg);
}

static void test_releases(void **state)
{
	struct vconfig cfg;
	char want[PATH_MAX + 64];

	(void)state;
	load_ok(FIXTURES "/good/releases.conf", &cfg);
	abs_path(FIXTURES "/good/root.json", want, sizeof(want));
	assert_string_equal(cfg.release_trust_root, want);
	assert_string_equal(cfg.release_dir, "/srv/bundles");
	assert_string_equal(cfg.pid_file, "/run/gatewarden/v.pid");
	assert_int_equal(cfg.keep_results, 5);
	assert_int_equal(cfg.keep_failed_days, 0);
	assert_int_equal(cfg.prune_interval, 60);
	assert_int_equal(cfg.round_budget_ms, 500);
	assert_int_equal(cfg.audit_keep_days, 90);
	abs_path(FIXTURES "/good/audit", want, sizeof(want));
	assert_string_equal(cfg.audit_archive_dir, want);
	assert_string_equal(cfg.default_channel, "lts-2.x");
	assert_int_equal(cfg.release_max_attest_age, 60);
	assert_int_equal(cfg.authorization_ttl, 30);
	vconfig_fini(&cfg);
}

/* [metrics]: the last listen counts ("off": none). */
static void test_metrics(void **state)
{
	struct vconfig cfg;

	(void)state;
	load_ok(FIXTURES "/good/metrics.conf", &cfg);
	assert_string_equal(cfg.metrics_listen, "[::1]:9464");
	assert_int_equal(cfg.metrics_refresh, 5);
	vconfig_fini(&cfg);
	load_ok(FIXTURES "/good/metrics-off.conf", &cfg);
	assert_null(cfg.metrics_listen);
	assert_int_equal(cfg.metrics_refresh, 30);
	vconfig_fini(&cfg);
}

static void check_relative(const struct vconfig *cfg, const char *dir)
{
	char want[PATH_MAX + 64];

	assert_string_equal(cfg->dir, dir);
	assert_string_equal(cfg->listen, "127.0.0.1:1");
	assert_int_equal(gw_snprintf(want, sizeof(want), "sqlite:%s/rel.db", dir), 0);
	assert_string_equal(cfg->store, want);
	assert_int_equal(gw_snprintf(want, sizeof(want), "%s/server.pem", dir), 0);
	assert_string_equal(cfg->tls_cert, want);
	assert_int_equal(gw_snprintf(want, sizeof(want), "%s/keys/server.key", dir), 0);
	assert_string_equal(cfg->tls_key, want);
	assert_string_equal(cfg->ca_cert, "/abs/ca.pem");
	assert_int_equal(gw_snprintf(want, sizeof(want), "%s/../ca.key", dir), 0);
	assert_string_equal(cfg->ca_key, want);
	assert_int_equal(gw_snprintf(want, sizeof(want), "%s/gate.key", dir), 0);
	assert_string_equal(cfg->gate_key, want);
	assert_int_equal(cfg->n_ek_ca, 2);
	assert_int_equal(gw_snprintf(want, sizeof(want), "%s/ek-ca-1.pem", dir), 0);
	assert_string_equal(cfg->ek_ca[0], want);
	assert_string_equal(cfg->ek_ca[1], "/abs/ek.pem");
	assert_int_equal(cfg->auto_approve, VCONFIG_AUTO_ALL);
	assert_true(vconfig_auto_approves(cfg, "anything"));
	assert_true(vconfig_auto_approves(cfg, ""));
	assert_int_equal(cfg->n_policy_keys, 2);
	assert_int_equal(gw_snprintf(want, sizeof(want), "%s/policy/a.pub", dir), 0);
	assert_string_equal(cfg->policy_keys[0], want);
	assert_string_equal(cfg->policy_keys[1], "/abs/b.pub");
	assert_int_equal(cfg->policy_threshold, 2); /* default: all keys */
}

/* Relative paths are made absolute against the config's directory, whether the
 * config itself was named by a relative path, an absolute one, or a bare name. */
static void test_relative(void **state)
{
	struct vconfig cfg;
	char dir[PATH_MAX], path[PATH_MAX], cwd[PATH_MAX];

	(void)state;
	abs_path(FIXTURES "/good", dir, sizeof(dir));

	load_ok(FIXTURES "/good/relative.conf", &cfg);
	check_relative(&cfg, dir);
	vconfig_fini(&cfg);

	assert_int_equal(gw_snprintf(path, sizeof(path), "%s/relative.conf", dir), 0);
	load_ok(path, &cfg);
	check_relative(&cfg, dir);
	vconfig_fini(&cfg);

	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(FIXTURES "/good"), 0);
	load_ok("relative.conf", &cfg);
	assert_int_equal(chdir(cwd), 0);
	check_relative(&cfg, dir);
	vconfig_fini(&cfg);
}

/* Each limit is reachable; the bad fixtures go one past it. */
static void test_limits(void **state)
{
	struct vconfig cfg;
	char want[256];

	(void)state;
	load_ok(FIXTURES "/good/limits.conf", &cfg);
	assert_string_equal(cfg.listen, "127.0.0.1:65535");
	assert_int_equal(cfg.threads, 64);
	assert_int_equal(cfg.nonce_ttl, 3600);
	assert_int_equal(cfg.result_ttl, 7 * 86400);
	assert_int_equal(cfg.request_timeout, 600);
	assert_int_equal(cfg.max_body, 64 * 1024 * 1024);
	assert_int_equal(cfg.max_connections, 1000000);
	assert_int_equal(cfg.max_connections_per_source, 1000000);
	assert_int_equal(cfg.max_connections_per_prefix, 1000000);
	assert_int_equal(cfg.max_handshakes_per_source, 1000000);
	assert_int_equal(cfg.handshake_timeout, 600);
	assert_int_equal(cfg.request_read_timeout, 3600);
	assert_int_equal(cfg.auto_approve, VCONFIG_AUTO_NONE);
	assert_int_equal(cfg.enroll_rate_source.count, VCONFIG_RATE_MAX_COUNT);
	assert_int_equal(cfg.enroll_rate_source.seconds, VCONFIG_RATE_MAX_SECONDS);
	assert_int_equal(cfg.enroll_rate_global.count, VCONFIG_RATE_MAX_COUNT);
	assert_int_equal(cfg.enroll_rate_global.seconds, VCONFIG_RATE_MAX_SECONDS);
	assert_int_equal(cfg.cert_days, VCONFIG_MAX_CERT_DAYS);
	vconfig_fini(&cfg);

	load_ok(FIXTURES "/good/limits-low.conf", &cfg);
	assert_int_equal(cfg.threads, 1);
	assert_int_equal(cfg.nonce_ttl, 1);
	assert_int_equal(cfg.result_ttl, 1);
	assert_int_equal(cfg.request_timeout, 1);
	assert_int_equal(cfg.max_body, 1024);
	assert_int_equal(cfg.max_connections, 1);
	assert_int_equal(cfg.max_connections_per_source, 1);
	assert_int_equal(cfg.max_connections_per_prefix, 1);
	assert_int_equal(cfg.max_handshakes_per_source, 1);
	assert_int_equal(cfg.handshake_timeout, 1);
	assert_int_equal(cfg.request_read_timeout, 1);
	assert_int_equal(cfg.enroll_rate_source.count, 1);
	assert_int_equal(cfg.enroll_rate_source.seconds, 1);
	assert_int_equal(cfg.enroll_rate_global.count, 1);
	assert_int_equal(cfg.enroll_rate_global.seconds, 1);
	assert_int_equal(cfg.cert_days, 1);
	vconfig_fini(&cfg);

	/* "off": no bucket. */
	load_ok(FIXTURES "/good/rate-off.conf", &cfg);
	assert_int_equal(cfg.enroll_rate_source.count, 0);
	assert_int_equal(cfg.enroll_rate_global.count, 0);
	vconfig_fini(&cfg);

	load_ok(FIXTURES "/good/max-ek-ca.conf", &cfg);
	assert_int_equal(cfg.n_ek_ca, VCONFIG_MAX_EK_CAS);
	for (size_t i = 0; i < cfg.n_ek_ca; i++) {
		assert_int_equal(gw_snprintf(want, sizeof(want), "/ek/ca-%zu.pem", i + 1), 0);
		assert_string_equal(cfg.ek_ca[i], want);
	}
	vconfig_fini(&cfg);

	load_ok(FIXTURES "/good/auto-model-64.conf", &cfg);
	assert_int_equal(cfg.n_auto_models, 2);
	memset(want, 'm', 64);
	want[64] = '\0';
	assert_string_equal(cfg.auto_models[0], "ok");
	assert_string_equal(cfg.auto_models[1], want);
	assert_true(vconfig_auto_approves(&cfg, want));
	want[63] = '\0';
	assert_false(vconfig_auto_approves(&cfg, want));
	vconfig_fini(&cfg);

	load_ok(FIXTURES "/good/auto-models-max.conf", &cfg);
	assert_int_equal(cfg.auto_approve, VCONFIG_AUTO_MODELS);
	assert_int_equal(cfg.n_auto_models, VCONFIG_MAX_AUTO_MODELS);
	assert_string_equal(cfg.auto_models[0], "a");
	assert_string_equal(cfg.auto_models[63], "_");
	assert_true(vconfig_auto_approves(&cfg, "Z"));
	assert_true(vconfig_auto_approves(&cfg, "-"));
	assert_false(vconfig_auto_approves(&cfg, "ab"));
	assert_false(vconfig_auto_approves(&cfg, ","));
	vconfig_fini(&cfg);

	load_ok(FIXTURES "/good/max-policy-keys.conf", &cfg);
	assert_int_equal(cfg.n_policy_keys, VCONFIG_MAX_POLICY_KEYS);
	assert_int_equal(cfg.policy_threshold, VCONFIG_MAX_POLICY_KEYS);
	assert_string_equal(cfg.policy_keys[31], "/k/32.pub");
	vconfig_fini(&cfg);

	load_ok(FIXTURES "/good/policy-default-threshold.conf", &cfg);
	assert_int_equal(cfg.n_policy_keys, 3);
	assert_int_equal(cfg.policy_threshold, 3);
	assert_string_equal(cfg.policy_keys[1], "/k/b.pub");
	assert_non_null(strstr(cfg.policy_keys[0], "/good/keys/a.pub"));
	assert_true(cfg.policy_keys[0][0] == '/');
	vconfig_fini(&cfg);

	load_ok(FIXTURES "/good/longest-line.conf", &cfg);
	want[0] = '/';
	memset(want + 1, 'p', 187);
	want[188] = '\0';
	assert_string_equal(cfg.tls_cert, want);
	vconfig_fini(&cfg);
}

static void test_missing(void **state)
{
	struct vconfig cfg;
	gw_error err = { { 0 } };

	(void)state;
	assert_int_equal(load(FIXTURES "/good/no-such.conf", &cfg, &err), GW_E_NOTFOUND);
	assert_non_null(strstr(err.msg, "no-such.conf"));
	assert_null(cfg.id);
	vconfig_fini(&cfg);
	assert_int_equal(load(FIXTURES "/no-such-dir/verifier.conf", &cfg, NULL), GW_E_NOTFOUND);
	vconfig_fini(&cfg);
}

/* fopen() opens a directory; reading it must fail rather than give an empty file. */
static void test_directory(void **state)
{
	struct vconfig cfg;
	gw_error err = { { 0 } };

	(void)state;
	assert_int_equal(load(FIXTURES "/good", &cfg, &err), GW_E_CONFIG);
	assert_non_null(strstr(err.msg, "read error"));
	vconfig_fini(&cfg);
}

#define M16 "mmmmmmmmmmmmmmmm"
#define BADV(k, v) "bad value for '" k "': '" v "'"

static const struct bad_case {
	const char *file;
	int line; /* 0: the error names no line (a required key is missing) */
	const char *detail;
} bad_cases[] = {
	{ "unknown-section.conf", 3, "unknown section [network]" },
	{ "key-before-section.conf", 1, "unknown section []" },
	{ "section-empty.conf", 1, "unknown section []" },
	{ "section-trailing.conf", 1, "text after section header: 'junk'" },
	{ "section-unterminated.conf", 1, "syntax error" },
	{ "syntax-error.conf", 3, "syntax error" },
	{ "unknown-verifier-key.conf", 2, "[verifier]: unknown key 'port'" },
	{ "enrollment-key-in-verifier.conf", 2, "[verifier]: unknown key 'auto_approve'" },
	{ "unknown-enrollment-key.conf", 2, "[enrollment]: unknown key 'ek_cert'" },
	{ "verifier-key-in-enrollment.conf", 2, "[enrollment]: unknown key 'listen'" },
	{ "nul-byte.conf", 2, "NUL byte" },
	{ "line-too-long.conf", 2, "line longer than 199 bytes" },
	{ "id-empty.conf", 2, "[verifier]: " BADV("id", "") },
	{ "tls-cert-empty.conf", 2, BADV("tls_cert", "") },
	{ "tls-key-empty.conf", 2, BADV("tls_key", "") },
	{ "ca-cert-empty.conf", 2, BADV("ca_cert", "") },
	{ "ca-key-empty.conf", 2, BADV("ca_key", "") },
	{ "gate-key-empty.conf", 2, BADV("gate_key", "") },
	{ "pid-file-empty.conf", 11, BADV("pid_file", "") },
	{ "store-scheme.conf", 2, BADV("store", "postgres://db/verifier") },
	{ "store-no-scheme.conf", 2, BADV("store", "/var/lib/verifier.db") },
	{ "store-empty-path.conf", 2, BADV("store", "sqlite:") },
	{ "store-upper.conf", 2, BADV("store", "SQLITE:/v.db") },
	{ "listen-no-port.conf", 2, BADV("listen", "127.0.0.1") },
	{ "listen-empty-port.conf", 2, BADV("listen", "127.0.0.1:") },
	{ "listen-port-range.conf", 2, BADV("listen", "127.0.0.1:70000") },
	{ "listen-port-name.conf", 2, BADV("listen", "localhost:https") },
	{ "listen-port-negative.conf", 2, BADV("listen", "localhost:-1") },
	{ "listen-v6-unbracketed.conf", 2, BADV("listen", "::1:8443") },
	{ "listen-empty-host.conf", 2, BADV("listen", ":8443") },
	{ "listen-empty-brackets.conf", 2, BADV("listen", "[]:8443") },
	{ "listen-empty.conf", 2, BADV("listen", "") },
	{ "listen-hostname.conf", 2, BADV("listen", "verifier.example:8443") },
	{ "listen-port-zero.conf", 2, BADV("listen", "127.0.0.1:0") },
	{ "listen-port-huge.conf", 2, BADV("listen", "127.0.0.1:99999") },
	{ "listen-v4-bracketed.conf", 2, BADV("listen", "[127.0.0.1]:8443") },
	{ "listen-v6-bad.conf", 2, BADV("listen", "[fe80::1%eth0]:8443") },
	{ "listen-short-v4.conf", 2, BADV("listen", "127.1:8443") },
	{ "listen-port-plus.conf", 2, BADV("listen", "127.0.0.1:+80") },
	{ "threads-zero.conf", 2, "[verifier]: " BADV("threads", "0") },
	{ "threads-high.conf", 2, BADV("threads", "65") },
	{ "threads-negative.conf", 2, BADV("threads", "-1") },
	{ "threads-empty.conf", 2, BADV("threads", "") },
	{ "threads-words.conf", 2, BADV("threads", "two") },
	{ "nonce-ttl-zero.conf", 2, BADV("nonce_ttl", "0") },
	{ "nonce-ttl-high.conf", 2, BADV("nonce_ttl", "3601") },
	{ "result-ttl-zero.conf", 2, BADV("result_ttl", "0") },
	{ "result-ttl-high.conf", 2, BADV("result_ttl", "604801") },
	{ "request-timeout-zero.conf", 2, BADV("request_timeout", "0") },
	{ "request-timeout-high.conf", 2, BADV("request_timeout", "601") },
	{ "max-body-low.conf", 2, BADV("max_body", "1023") },
	{ "max-body-high.conf", 2, BADV("max_body", "67108865") },
	{ "max-body-huge.conf", 2, BADV("max_body", "99999999999999999999999") },
	{ "max-body-trailing.conf", 2, BADV("max_body", "4096 bytes") },
	{ "max-connections-zero.conf", 2, BADV("max_connections", "0") },
	{ "max-connections-high.conf", 2, BADV("max_connections", "1000001") },
	{ "max-connections-auto-upper.conf", 2, BADV("max_connections", "AUTO") },
	{ "max-connections-per-source-zero.conf", 2, BADV("max_connections_per_source", "0") },
	{ "max-connections-per-source-high.conf", 2,
	  BADV("max_connections_per_source", "1000001") },
	{ "max-connections-per-prefix-zero.conf", 2, BADV("max_connections_per_prefix", "0") },
	{ "max-connections-per-prefix-high.conf", 2,
	  BADV("max_connections_per_prefix", "1000001") },
	{ "max-handshakes-per-source-zero.conf", 2, BADV("max_handshakes_per_source", "0") },
	{ "max-handshakes-per-source-high.conf", 2,
	  BADV("max_handshakes_per_source", "1000001") },
	{ "handshake-timeout-zero.conf", 2, BADV("handshake_timeout", "0") },
	{ "handshake-timeout-high.conf", 2, BADV("handshake_timeout", "601") },
	{ "request-read-timeout-zero.conf", 2, BADV("request_read_timeout", "0") },
	{ "request-read-timeout-high.conf", 2, BADV("request_read_timeout", "3601") },
	{ "request-read-timeout-unit.conf", 2, BADV("request_read_timeout", "30s") },
	{ "ek-ca-empty.conf", 2, "[enrollment]: " BADV("ek_ca", "") },
	{ "too-many-ek-ca.conf", 34, "more than 32 ek_ca lines" },
	{ "auto-bogus.conf", 2, "[enrollment]: " BADV("auto_approve", "some") },
	{ "auto-empty.conf", 2, BADV("auto_approve", "") },
	{ "auto-models-empty.conf", 2, BADV("auto_approve", "models:") },
	{ "auto-models-trailing-comma.conf", 2, BADV("auto_approve", "models:a,") },
	{ "auto-models-double-comma.conf", 2, BADV("auto_approve", "models:a,,b") },
	{ "auto-models-leading-comma.conf", 2, BADV("auto_approve", "models:,a") },
	{ "auto-models-comma-only.conf", 2, BADV("auto_approve", "models:,") },
	{ "auto-model-long.conf", 2, BADV("auto_approve", "models:ok," M16 M16 M16 M16 "m") },
	{ "auto-models-too-many.conf", 2, "bad value for 'auto_approve': 'models:a,b,c," },
	{ "auto-twice.conf", 5, "auto_approve given twice (first on line 3)" },
	{ "auto-twice-sections.conf", 6, "auto_approve given twice (first on line 2)" },
	{ "policy-key-empty.conf", 2, "[policy]: " BADV("key", "") },
	{ "policy-unknown-key.conf", 2, "[policy]: unknown key 'keys'" },
	{ "policy-key-twice.conf", 4, "[policy]: key '/k/a.pub' given twice (first on line 2)" },
	{ "policy-key-twice-relative.conf", 6, "key 'a.pub' given twice (first on line 2)" },
	{ "policy-threshold-zero.conf", 3, BADV("threshold", "0") },
	{ "policy-threshold-words.conf", 3, BADV("threshold", "all") },
	{ "policy-threshold-twice.conf", 4, "threshold given twice (first on line 3)" },
	{ "policy-threshold-above-keys.conf", 13, "threshold 3 is above the number of keys (2)" },
	{ "policy-threshold-no-keys.conf", 11, "threshold 1 is above the number of keys (0)" },
	{ "too-many-policy-keys.conf", 34, "more than 32 policy keys" },
	{ "rate-count-zero.conf", 2, "[enrollment]: " BADV("rate_per_source", "0/60") },
	{ "rate-seconds-zero.conf", 2, BADV("rate_per_source", "10/0") },
	{ "rate-count-high.conf", 2, BADV("rate_per_source", "1000001/60") },
	{ "rate-seconds-high.conf", 2, BADV("rate_global", "10/86401") },
	{ "rate-count-long.conf", 2, BADV("rate_global", "00000000000000001/60") },
	{ "rate-no-slash.conf", 2, BADV("rate_global", "10") },
	{ "rate-no-count.conf", 2, BADV("rate_global", "/60") },
	{ "rate-no-seconds.conf", 2, BADV("rate_global", "10/") },
	{ "rate-words.conf", 2, BADV("rate_global", "ten/minute") },
	{ "rate-blanks.conf", 2, BADV("rate_per_source", "10 / 60") },
	{ "rate-negative.conf", 2, BADV("rate_global", "-1/60") },
	{ "rate-two-slashes.conf", 2, BADV("rate_global", "10/60/2") },
	{ "rate-off-upper.conf", 2, BADV("rate_global", "OFF") },
	{ "rate-empty.conf", 2, BADV("rate_per_source", "") },
	{ "rate-twice.conf", 4, "rate_per_source given twice (first on line 2)" },
	{ "rate-in-verifier.conf", 2, "[verifier]: unknown key 'rate_global'" },
	{ "cert-days-zero.conf", 2, "[enrollment]: " BADV("cert_days", "0") },
	{ "cert-days-high.conf", 2, BADV("cert_days", "3651") },
	{ "cert-days-words.conf", 2, BADV("cert_days", "a year") },
	{ "cert-days-twice.conf", 3, "cert_days given twice (first on line 2)" },
	{ "cert-days-in-verifier.conf", 2, "[verifier]: unknown key 'cert_days'" },
	{ "releases-unknown-key.conf", 2, "[releases]: unknown key 'root'" },
	{ "retention-keep-zero.conf", 2, "[retention]: " BADV("keep_results", "0") },
	{ "retention-unknown-key.conf", 2, "[retention]: unknown key 'keep_failed'" },
	{ "retention-interval-high.conf", 2, "[retention]: " BADV("prune_interval", "86401") },
	{ "retention-budget-low.conf", 2, "[retention]: " BADV("round_budget_ms", "99") },
	{ "retention-audit-days-zero.conf", 2, "[retention]: " BADV("audit_keep_days", "0") },
	{ "retention-audit-days-high.conf", 2, BADV("audit_keep_days", "36501") },
	{ "retention-audit-dir-empty.conf", 2, BADV("audit_archive_dir", "") },
	{ "retention-audit-no-dir.conf", 0, "[retention]: audit_keep_days and audit_archive_dir "
					    "go together" },
	{ "retention-audit-no-days.conf", 0, "'audit_keep_days' is missing" },
	{ "releases-trust-root-empty.conf", 2, "[releases]: " BADV("trust_root", "") },
	{ "releases-dir-empty.conf", 2, BADV("dir", "") },
	{ "releases-channel-space.conf", 2, BADV("default_channel", "be ta") },
	{ "releases-channel-slash.conf", 2, BADV("default_channel", "../x") },
	{ "releases-channel-long.conf", 2, "bad value for 'default_channel'" },
	{ "releases-max-age-zero.conf", 2, BADV("max_attest_age", "0") },
	{ "releases-max-age-high.conf", 2, BADV("max_attest_age", "604801") },
	{ "releases-max-age-words.conf", 2, BADV("max_attest_age", "soon") },
	{ "releases-authorization-ttl-low.conf", 2, BADV("authorization_ttl", "9") },
	{ "releases-authorization-ttl-high.conf", 2, BADV("authorization_ttl", "3601") },
	{ "metrics-unknown-key.conf", 2, "[metrics]: unknown key 'port'" },
	{ "metrics-listen-hostname.conf", 2, "[metrics]: " BADV("listen", "localhost:9464") },
	{ "metrics-listen-empty.conf", 2, BADV("listen", "") },
	{ "metrics-listen-port-zero.conf", 2, BADV("listen", "127.0.0.1:0") },
	{ "metrics-listen-off-upper.conf", 2, BADV("listen", "OFF") },
	{ "metrics-refresh-zero.conf", 2, BADV("refresh", "0") },
	{ "metrics-refresh-high.conf", 2, BADV("refresh", "3601") },
	{ "metrics-refresh-words.conf", 2, BADV("refresh", "soon") },
	{ "missing-id.conf", 0, "[verifier] needs 'id'" },
	{ "missing-listen.conf", 0, "[verifier] needs 'listen'" },
	{ "missing-store.conf", 0, "[verifier] needs 'store'" },
	{ "missing-tls-cert.conf", 0, "[verifier] needs 'tls_cert'" },
	{ "missing-tls-key.conf", 0, "[verifier] needs 'tls_key'" },
	{ "missing-ca-cert.conf", 0, "[verifier] needs 'ca_cert'" },
	{ "missing-ca-key.conf", 0, "[verifier] needs 'ca_key'" },
	{ "missing-gate-key.conf", 0, "[verifier] needs 'gate_key'" },
	{ "missing-all.conf", 0, "[verifier] needs 'id'" },
};

static void test_bad_fixtures(void **state)
{
	(void)state;
	for (size_t i = 0; i < GW_ARRAY_SIZE(bad_cases); i++) {
		const struct bad_case *c = &bad_cases[i];
		struct vconfig cfg;
		gw_error err = { { 0 } };
		char path[256], where[300];
		int rc;

		assert_int_equal(gw_snprintf(path, sizeof(path), FIXTURES "/bad/%s", c->file), 0);
		if (c->line)
			assert_int_equal(gw_snprintf(where, sizeof(where), "%s:%d: ", path, c->line),
					 0);
		else
			assert_int_equal(gw_snprintf(where, sizeof(where), "%s: ", path), 0);
		rc = load(path, &cfg, &err);
		vconfig_fini(&cfg); /* after a failure too: valgrind proves nothing leaks */
		if (rc != GW_E_CONFIG)
			fail_msg("%s: got %d (%s), expected GW_E_CONFIG", c->file, rc,
				 gw_error_msg(&err, rc));
		if (strncmp(err.msg, where, strlen(where)))
			fail_msg("%s: detail \"%s\" does not start with \"%s\"", c->file, err.msg,
				 where);
		if (!strstr(err.msg, c->detail))
			fail_msg("%s: detail \"%s\" lacks \"%s\"", c->file, err.msg, c->detail);
		/* The detail buffer is optional. */
		rc = load(path, &cfg, NULL);
		vconfig_fini(&cfg);
		assert_int_equal(rc, GW_E_CONFIG);
	}
}

/* Every file in bad/ has a case above, so a new fixture cannot go untested. */
static void test_bad_fixtures_all_listed(void **state)
{
	FILE *ls;
	char name[256];
	size_t n = 0;

	(void)state;
	ls = popen("ls " FIXTURES "/bad", "r");
	assert_non_null(ls);
	while (fgets(name, sizeof(name), ls)) {
		bool found = false;

		name[strcspn(name, "\n")] = '\0';
		for (size_t i = 0; i < GW_ARRAY_SIZE(bad_cases) && !found; i++)
			found = !strcmp(bad_cases[i].file, name);
		if (!found)
			fail_msg("bad/%s has no case in bad_cases", name);
		n++;
	}
	assert_int_equal(pclose(ls), 0);
	assert_int_equal(n, GW_ARRAY_SIZE(bad_cases));
}

/* "--load FILE": load one file and print what it resolved to, for the scenarios
 * that check a generated verifier.conf (swtpm-tests/t_verifier_init.sh). */
static int load_and_print(const char *path)
{
	struct vconfig cfg;
	gw_error err = { { 0 } };
	int rc = load(path, &cfg, &err);

	if (rc) {
		fprintf(stderr, "%s\n", gw_error_msg(&err, rc));
		vconfig_fini(&cfg);
		return 1;
	}
	printf("id=%s\nlisten=%s\nstore=%s\ntls_cert=%s\ntls_key=%s\nca_cert=%s\n"
	       "ca_key=%s\ngate_key=%s\nauto_approve=%d\n",
	       cfg.id, cfg.listen, cfg.store, cfg.tls_cert, cfg.tls_key, cfg.ca_cert, cfg.ca_key,
	       cfg.gate_key, (int)cfg.auto_approve);
	for (size_t i = 0; i < cfg.n_ek_ca; i++)
		printf("ek_ca=%s\n", cfg.ek_ca[i]);
	for (size_t i = 0; i < cfg.n_policy_keys; i++)
		printf("policy_key=%s\n", cfg.policy_keys[i]);
	printf("policy_threshold=%u\n", cfg.policy_threshold);
	vconfig_fini(&cfg);
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_minimal),
		cmocka_unit_test(test_releases),
		cmocka_unit_test(test_metrics),
		cmocka_unit_test(test_relative),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_directory),
		cmocka_unit_test(test_bad_fixtures),
		cmocka_unit_test(test_bad_fixtures_all_listed),
	};

	if (argc == 3 && !strcmp(argv[1], "--load"))
		return load_and_print(argv[2]);
	return cmocka_run_group_tests_name("vconfig", tests, NULL, NULL);
}
