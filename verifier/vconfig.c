// SPDX-License-Identifier: Apache-2.0
// Reads verifier.conf through the strict INI reader.
#include "vconfig.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inifile.h"
#include "servernames.h"
#include "util.h"

struct vparse {
	struct vconfig *cfg;
	int auto_line;
	int rate_source_line;
	int rate_global_line;
	int cert_days_line;
	int threshold_line;
	int key_line[VCONFIG_MAX_POLICY_KEYS];
};

void vconfig_defaults(struct vconfig *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->threads = 2;
	cfg->metrics_refresh = VCONFIG_DEFAULT_METRICS_REFRESH;
	cfg->nonce_ttl = 60;
	cfg->result_ttl = 300;
	cfg->request_timeout = 10;
	cfg->max_body = 1024 * 1024;
	cfg->max_connections_per_source = 32;
	cfg->max_connections_per_prefix = 128;
	cfg->max_handshakes_per_source = 8;
	cfg->handshake_timeout = 10;
	cfg->request_read_timeout = 30;
	cfg->enroll_rate_source = (struct vconfig_rate){ VCONFIG_DEFAULT_ENROLL_RATE_SOURCE, 60 };
	cfg->enroll_rate_global = (struct vconfig_rate){ VCONFIG_DEFAULT_ENROLL_RATE_GLOBAL, 60 };
	cfg->cert_days = VCONFIG_DEFAULT_CERT_DAYS;
	cfg->release_max_attest_age = VCONFIG_DEFAULT_MAX_ATTEST_AGE;
	cfg->authorization_ttl = VCONFIG_DEFAULT_AUTHORIZATION_TTL;
	cfg->keep_failed_days = VCONFIG_DEFAULT_KEEP_FAILED_DAYS;
	cfg->prune_interval = VCONFIG_DEFAULT_PRUNE_INTERVAL;
	cfg->round_budget_ms = VCONFIG_DEFAULT_ROUND_BUDGET_MS;
}

static int set_path(const struct vconfig *cfg, char **dst, const char *v)
{
	char *s;
	size_t need;

	if (!*v)
		return GW_E_PARSE;
	if (v[0] == '/' || !cfg->dir) {
		s = strdup(v);
	} else {
		need = strlen(cfg->dir) + 1 + strlen(v) + 1;
		s = malloc(need);
		if (s && gw_snprintf(s, need, "%s/%s", cfg->dir, v)) {
			free(s);
			return GW_E_PARSE;
		}
	}
	if (!s)
		return GW_E_NOMEM;
	free(*dst);
	*dst = s;
	return 0;
}

static int set_str(char **dst, const char *v)
{
	char *s;

	if (!*v)
		return GW_E_PARSE;
	s = strdup(v);
	if (!s)
		return GW_E_NOMEM;
	free(*dst);
	*dst = s;
	return 0;
}

static int set_uint(unsigned *dst, const char *v, uint64_t min, uint64_t max)
{
	uint64_t n;

	if (gw_parse_u64(v, max, &n) || n < min)
		return GW_E_PARSE;
	*dst = (unsigned)n;
	return 0;
}

/* "COUNT/SECONDS" (both decimal, no blanks) or "off". */
static int set_rate(struct vconfig_rate *dst, const char *v)
{
	const char *slash = strchr(v, '/');
	char count[16];
	uint64_t n, secs;

	if (!strcmp(v, "off")) {
		*dst = (struct vconfig_rate){ 0, 0 };
		return 0;
	}
	if (!slash || (size_t)(slash - v) >= sizeof(count))
		return GW_E_PARSE;
	memcpy(count, v, (size_t)(slash - v));
	count[slash - v] = '\0';
	if (gw_parse_u64(count, VCONFIG_RATE_MAX_COUNT, &n) || n < 1 ||
	    gw_parse_u64(slash + 1, VCONFIG_RATE_MAX_SECONDS, &secs) || secs < 1)
		return GW_E_PARSE;
	*dst = (struct vconfig_rate){ (unsigned)n, (unsigned)secs };
	return 0;
}

/* A key that may appear once: *seen is the line of the first. */
static int once(int *seen, int line, const char *key, gw_error *err)
{
	if (*seen)
		return gw_fail(err, GW_E_CONFIG, "%s given twice (first on line %d)", key, *seen);
	*seen = line;
	return 0;
}

/* "sqlite:/path" or "sqlite:relative"; the relative path is resolved here. */
static int set_store(const struct vconfig *cfg, char **dst, const char *v)
{
	char *path = NULL, *s;
	size_t need;
	int rc;

	if (strncmp(v, "sqlite:", 7))
		return GW_E_PARSE;
	rc = set_path(cfg, &path, v + 7);
	if (rc)
		return rc;
	need = strlen(path) + 8;
	s = malloc(need);
	if (!s || gw_snprintf(s, need, "sqlite:%s", path)) {
		free(s);
		free(path);
		return GW_E_NOMEM;
	}
	free(path);
	free(*dst);
	*dst = s;
	return 0;
}

static bool valid_listen(const char *v)
{
	char host[64];

	return servernames_listen_parse(v, host, sizeof(host), NULL) == 0;
}

static int on_section(void *user, const char *name, gw_error *err)
{
	(void)user;
	if (!strcmp(name, "verifier") || !strcmp(name, "enrollment") || !strcmp(name, "policy") ||
	    !strcmp(name, "releases") || !strcmp(name, "metrics") || !strcmp(name, "retention"))
		return 0;
	return gw_fail(err, GW_E_CONFIG, "unknown section [%s]", name);
}

/* An update channel name: 1..64 characters of [A-Za-z0-9._-]. */
static bool valid_channel(const char *v)
{
	size_t n = strlen(v);

	if (n == 0 || n > 64)
		return false;
	return strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

static int on_releases_key(struct vconfig *cfg, const char *key, const char *v, gw_error *err)
{
	int rc;

	if (!strcmp(key, "trust_root"))
		rc = set_path(cfg, &cfg->release_trust_root, v);
	else if (!strcmp(key, "dir"))
		rc = set_path(cfg, &cfg->release_dir, v);
	else if (!strcmp(key, "release_key"))
		rc = set_path(cfg, &cfg->release_key, v);
	else if (!strcmp(key, "default_channel"))
		rc = valid_channel(v) ? set_str(&cfg->default_channel, v) : GW_E_PARSE;
	else if (!strcmp(key, "max_attest_age"))
		rc = set_uint(&cfg->release_max_attest_age, v, 1, 7 * 86400);
	else if (!strcmp(key, "authorization_ttl"))
		rc = set_uint(&cfg->authorization_ttl, v, VCONFIG_MIN_AUTHORIZATION_TTL,
			      VCONFIG_MAX_AUTHORIZATION_TTL);
	else
		return gw_fail(err, GW_E_CONFIG, "[releases]: unknown key '%s'", key);
	if (rc == GW_E_PARSE)
		return gw_fail(err, GW_E_CONFIG, "[releases]: bad value for '%s': '%s'", key, v);
	return rc;
}

/* *dst, unless set, as name in the database's directory. */
/* *dst (when unset) = NAME in the directory of the first n bytes of path (an
 * absolute path). */
static int beside(const char *path, size_t n, char **dst, const char *name)
{
	size_t nlen = strlen(name);

	if (*dst)
		return 0;
	while (n > 0 && path[n - 1] != '/')
		n--;
	if (n > 1)
		n--; /* the directory without its trailing slash ("/" stays "") */
	else
		n = 0;
	*dst = malloc(n + 1 + nlen + 1);
	if (!*dst)
		return GW_E_NOMEM;
	memcpy(*dst, path, n);
	(*dst)[n] = '/';
	memcpy(*dst + n + 1, name, nlen + 1);
	return 0;
}

static int beside_db(const struct vconfig *cfg, char **dst, const char *name)
{
	const char *db = cfg->store + 7; /* set_store: "sqlite:" and an absolute path */

	return beside(db, strcspn(db, "?"), dst, name);
}

static int on_metrics_key(struct vconfig *cfg, const char *key, const char *v, gw_error *err)
{
	int rc = GW_E_PARSE;

	if (!strcmp(key, "listen") && !strcmp(v, "off")) {
		free(cfg->metrics_listen);
		cfg->metrics_listen = NULL;
		rc = 0;
	} else if (!strcmp(key, "listen")) {
		rc = valid_listen(v) ? set_str(&cfg->metrics_listen, v) : GW_E_PARSE;
	} else if (!strcmp(key, "refresh")) {
		rc = set_uint(&cfg->metrics_refresh, v, 1, 3600);
	} else {
		return gw_fail(err, GW_E_CONFIG, "[metrics]: unknown key '%s'", key);
	}
	if (rc == GW_E_PARSE)
		return gw_fail(err, GW_E_CONFIG, "[metrics]: bad value for '%s': '%s'", key, v);
	return rc;
}

/* The defaults that depend on other keys: the bundle directory beside the
 * database, the pid file beside the gate key, the channel "stable". */
static int releases_defaults(struct vconfig *cfg)
{
	int rc;

	if (!cfg->default_channel && !(cfg->default_channel = strdup(VCONFIG_DEFAULT_CHANNEL)))
		return GW_E_NOMEM;
	rc = beside_db(cfg, &cfg->release_dir, "bundles");
	/* Beside the keys, not the database: operators may write the database's
	 * directory, and a pid file they planted would be signalled by reload. */
	if (!rc)
		rc = beside(cfg->gate_key, strlen(cfg->gate_key), &cfg->pid_file, "gwverifier.pid");
	return rc;
}

static int on_retention_key(struct vconfig *cfg, const char *key, const char *v, gw_error *err)
{
	int rc;

	if (!strcmp(key, "keep_results"))
		rc = set_uint(&cfg->keep_results, v, 1, 1000000);
	else if (!strcmp(key, "keep_failed_days"))
		rc = set_uint(&cfg->keep_failed_days, v, 0, 36500);
	else if (!strcmp(key, "prune_interval"))
		rc = set_uint(&cfg->prune_interval, v, 1, 86400);
	else if (!strcmp(key, "round_budget_ms"))
		rc = set_uint(&cfg->round_budget_ms, v, 100, 60000);
	else if (!strcmp(key, "audit_keep_days"))
		rc = set_uint(&cfg->audit_keep_days, v, 1, 36500);
	else if (!strcmp(key, "audit_archive_dir"))
		rc = set_path(cfg, &cfg->audit_archive_dir, v);
	else
		return gw_fail(err, GW_E_CONFIG, "[retention]: unknown key '%s'", key);
	if (rc == GW_E_PARSE)
		return gw_fail(err, GW_E_CONFIG, "[retention]: bad value for '%s': '%s'", key, v);
	return rc;
}

static int on_key(void *user, const char *section, const char *key, const char *v, int line,
		  gw_error *err)
{
	struct vparse *vp = user;
	struct vconfig *cfg = vp->cfg;
	int rc = GW_E_PARSE;

	if (!strcmp(section, "verifier")) {
		if (!strcmp(key, "id"))
			rc = set_str(&cfg->id, v);
		else if (!strcmp(key, "listen"))
			rc = valid_listen(v) ? set_str(&cfg->listen, v) : GW_E_PARSE;
		else if (!strcmp(key, "threads"))
			rc = set_uint(&cfg->threads, v, 1, 64);
		else if (!strcmp(key, "store"))
			rc = set_store(cfg, &cfg->store, v);
		else if (!strcmp(key, "pid_file"))
			rc = set_path(cfg, &cfg->pid_file, v);
		else if (!strcmp(key, "tls_cert"))
			rc = set_path(cfg, &cfg->tls_cert, v);
		else if (!strcmp(key, "tls_key"))
			rc = set_path(cfg, &cfg->tls_key, v);
		else if (!strcmp(key, "ca_cert"))
			rc = set_path(cfg, &cfg->ca_cert, v);
		else if (!strcmp(key, "ca_key"))
			rc = set_path(cfg, &cfg->ca_key, v);
		else if (!strcmp(key, "gate_key"))
			rc = set_path(cfg, &cfg->gate_key, v);
		else if (!strcmp(key, "nonce_ttl"))
			rc = set_uint(&cfg->nonce_ttl, v, 1, 3600);
		else if (!strcmp(key, "result_ttl"))
			rc = set_uint(&cfg->result_ttl, v, 1, 7 * 86400);
		else if (!strcmp(key, "request_timeout"))
			rc = set_uint(&cfg->request_timeout, v, 1, 600);
		else if (!strcmp(key, "max_connections") && !strcmp(v, "auto")) {
			cfg->max_connections = 0;
			rc = 0;
		} else if (!strcmp(key, "max_connections"))
			rc = set_uint(&cfg->max_connections, v, 1, 1000000);
		else if (!strcmp(key, "max_connections_per_source"))
			rc = set_uint(&cfg->max_connections_per_source, v, 1, 1000000);
		else if (!strcmp(key, "max_connections_per_prefix"))
			rc = set_uint(&cfg->max_connections_per_prefix, v, 1, 1000000);
		else if (!strcmp(key, "max_handshakes_per_source"))
			rc = set_uint(&cfg->max_handshakes_per_source, v, 1, 1000000);
		else if (!strcmp(key, "handshake_timeout"))
			rc = set_uint(&cfg->handshake_timeout, v, 1, 600);
		else if (!strcmp(key, "request_read_timeout"))
			rc = set_uint(&cfg->request_read_timeout, v, 1, 3600);
		else if (!strcmp(key, "max_body")) {
			unsigned mb = 0;

			rc = set_uint(&mb, v, 1024, 64u * 1024 * 1024);
			cfg->max_body = mb;
		} else
			return gw_fail(err, GW_E_CONFIG, "[verifier]: unknown key '%s'", key);
	} else if (!strcmp(section, "policy")) {
		if (!strcmp(key, "key")) {
			size_t n = cfg->n_policy_keys;

			if (n >= VCONFIG_MAX_POLICY_KEYS)
				return gw_fail(err, GW_E_CONFIG, "more than %d policy keys",
					       VCONFIG_MAX_POLICY_KEYS);
			rc = set_path(cfg, &cfg->policy_keys[n], v);
			if (!rc) {
				/* Compared once resolved: "a.pub" and "./a.pub" differ here,
				 * the same key under two names is caught by its keyid when
				 * the keys are loaded. */
				for (size_t i = 0; i < n; i++)
					if (!strcmp(cfg->policy_keys[i], cfg->policy_keys[n])) {
						free(cfg->policy_keys[n]);
						cfg->policy_keys[n] = NULL;
						return gw_fail(err, GW_E_CONFIG,
							       "[policy]: key '%s' given twice "
							       "(first on line %d)",
							       v, vp->key_line[i]);
					}
				vp->key_line[n] = line;
				cfg->n_policy_keys++;
			}
		} else if (!strcmp(key, "threshold")) {
			rc = once(&vp->threshold_line, line, key, err);
			if (rc)
				return rc;
			rc = set_uint(&cfg->policy_threshold, v, 1, VCONFIG_MAX_POLICY_KEYS);
		} else {
			return gw_fail(err, GW_E_CONFIG, "[policy]: unknown key '%s'", key);
		}
	} else if (!strcmp(section, "releases")) {
		return on_releases_key(cfg, key, v, err);
	} else if (!strcmp(section, "metrics")) {
		return on_metrics_key(cfg, key, v, err);
	} else if (!strcmp(section, "retention")) {
		return on_retention_key(cfg, key, v, err);
	} else if (strcmp(section, "enrollment")) {
		/* inih hands keys before the first header over with section "". */
		return gw_fail(err, GW_E_CONFIG, "unknown section [%s]", section);
	} else {
		if (!strcmp(key, "ek_ca")) {
			if (cfg->n_ek_ca >= VCONFIG_MAX_EK_CAS)
				return gw_fail(err, GW_E_CONFIG, "more than %d ek_ca lines",
					       VCONFIG_MAX_EK_CAS);
			rc = set_path(cfg, &cfg->ek_ca[cfg->n_ek_ca], v);
			if (!rc)
				cfg->n_ek_ca++;
		} else if (!strcmp(key, "auto_approve")) {
			if (vp->auto_line)
				return gw_fail(err, GW_E_CONFIG,
					       "auto_approve given twice (first on line %d)",
					       vp->auto_line);
			vp->auto_line = line;
			rc = 0;
			if (!strcmp(v, "none")) {
				cfg->auto_approve = VCONFIG_AUTO_NONE;
			} else if (!strcmp(v, "all")) {
				cfg->auto_approve = VCONFIG_AUTO_ALL;
			} else if (!strncmp(v, "models:", 7) && v[7]) {
				/* models:a,b,c */
				const char *p = v + 7;

				cfg->auto_approve = VCONFIG_AUTO_MODELS;
				while (*p && !rc) {
					size_t n = strcspn(p, ",");

					if (n == 0 || n > 64 || cfg->n_auto_models >= VCONFIG_MAX_AUTO_MODELS) {
						rc = GW_E_PARSE;
						break;
					}
					cfg->auto_models[cfg->n_auto_models] = strndup(p, n);
					if (!cfg->auto_models[cfg->n_auto_models])
						return GW_E_NOMEM;
					cfg->n_auto_models++;
					p += n;
					if (*p == ',' && !*++p)
						rc = GW_E_PARSE;
				}
			} else {
				rc = GW_E_PARSE;
			}
		} else if (!strcmp(key, "rate_per_source")) {
			rc = once(&vp->rate_source_line, line, key, err);
			if (rc)
				return rc;
			rc = set_rate(&cfg->enroll_rate_source, v);
		} else if (!strcmp(key, "rate_global")) {
			rc = once(&vp->rate_global_line, line, key, err);
			if (rc)
				return rc;
			rc = set_rate(&cfg->enroll_rate_global, v);
		} else if (!strcmp(key, "cert_days")) {
			rc = once(&vp->cert_days_line, line, key, err);
			if (rc)
				return rc;
			rc = set_uint(&cfg->cert_days, v, 1, VCONFIG_MAX_CERT_DAYS);
		} else {
			return gw_fail(err, GW_E_CONFIG, "[enrollment]: unknown key '%s'", key);
		}
	}
	if (rc == GW_E_PARSE)
		return gw_fail(err, GW_E_CONFIG, "[%s]: bad value for '%s': '%s'", section, key, v);
	return rc;
}

/* The config's directory, absolute even for a relative path, so that the paths
 * resolved against it stay valid whatever the process's working directory later is. */
static int config_dir(const char *path, char **out, gw_error *err)
{
	const char *slash = strrchr(path, '/');
	size_t n = slash ? (slash == path ? 1 : (size_t)(slash - path)) : 0;
	char cwd[PATH_MAX], *dir;
	size_t need;

	if (path[0] == '/') {
		dir = strndup(path, n);
	} else {
		if (!getcwd(cwd, sizeof(cwd)))
			return gw_fail(err, GW_E_CONFIG, "%s: working directory: %s", path,
				       strerror(errno));
		need = strlen(cwd) + 1 + n + 1;
		dir = malloc(need);
		if (dir && gw_snprintf(dir, need, "%s%s%.*s", cwd, n ? "/" : "", (int)n, path)) {
			free(dir);
			return gw_fail(err, GW_E_CONFIG, "%s: path too long", path);
		}
	}
	if (!dir)
		return GW_E_NOMEM;
	*out = dir; /* transferred */
	return 0;
}

int vconfig_load(const char *path, struct vconfig *cfg, gw_error *err)
{
	static const struct gw_ini_ops ops = { on_section, on_key };
	struct vparse vp = { .cfg = cfg };
	char *dir = NULL;
	int rc;

	rc = config_dir(path, &dir, err);
	if (rc)
		return rc;
	free(cfg->dir);
	cfg->dir = dir;
	rc = gw_ini_load(path, &ops, &vp, err);
	if (rc)
		return rc;
	{
		static const char *const need[] = { "id", "listen", "store", "tls_cert", "tls_key",
						    "ca_cert", "ca_key", "gate_key" };
		char *const have[] = { cfg->id, cfg->listen, cfg->store, cfg->tls_cert,
				       cfg->tls_key, cfg->ca_cert, cfg->ca_key, cfg->gate_key };

		for (size_t i = 0; i < GW_ARRAY_SIZE(need); i++)
			if (!have[i])
				return gw_fail(err, GW_E_CONFIG, "%s: [verifier] needs '%s'", path,
					       need[i]);
	}
	if (vp.threshold_line && cfg->policy_threshold > cfg->n_policy_keys)
		return gw_fail(err, GW_E_CONFIG,
			       "%s:%d: [policy]: threshold %u is above the number of keys (%zu)",
			       path, vp.threshold_line, cfg->policy_threshold,
			       cfg->n_policy_keys);
	if (!vp.threshold_line)
		cfg->policy_threshold = (unsigned)cfg->n_policy_keys;
	/* One without the other is a half-configured rule, not "off". */
	if (!cfg->audit_keep_days != !cfg->audit_archive_dir)
		return gw_fail(err, GW_E_CONFIG, "%s: [retention]: audit_keep_days and "
				"audit_archive_dir go together (the records older than the days "
				"are archived into the directory); '%s' is missing",
			       path, cfg->audit_keep_days ? "audit_archive_dir" : "audit_keep_days");
	return releases_defaults(cfg);
}

void vconfig_fini(struct vconfig *cfg)
{
	char **strs[] = { &cfg->dir, &cfg->id, &cfg->listen, &cfg->store, &cfg->tls_cert,
			  &cfg->tls_key, &cfg->ca_cert, &cfg->ca_key, &cfg->gate_key,
			  &cfg->release_trust_root, &cfg->release_dir, &cfg->default_channel,
			  &cfg->release_key, &cfg->metrics_listen, &cfg->pid_file,
			  &cfg->audit_archive_dir };

	for (size_t i = 0; i < GW_ARRAY_SIZE(strs); i++)
		free(*strs[i]);
	for (size_t i = 0; i < cfg->n_ek_ca; i++)
		free(cfg->ek_ca[i]);
	for (size_t i = 0; i < cfg->n_auto_models; i++)
		free(cfg->auto_models[i]);
	for (size_t i = 0; i < cfg->n_policy_keys; i++)
		free(cfg->policy_keys[i]);
	memset(cfg, 0, sizeof(*cfg));
}

bool vconfig_auto_approves(const struct vconfig *cfg, const char *model)
{
	if (cfg->auto_approve == VCONFIG_AUTO_ALL)
		return true;
	if (cfg->auto_approve != VCONFIG_AUTO_MODELS || !model)
		return false;
	for (size_t i = 0; i < cfg->n_auto_models; i++)
		if (!strcmp(cfg->auto_models[i], model))
			return true;
	return false;
}
