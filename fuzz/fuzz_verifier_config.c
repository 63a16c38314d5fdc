// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the verifier configuration file (verifier.conf): load, check
// what a loaded configuration promises, and free.
#define _GNU_SOURCE /* memfd_create */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "util.h"
#include "vconfig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* vconfig_load takes a path: the input goes into one memfd, rewritten per run. */
static int fd = -1;
static char path[64];

static void check_path(const char *p)
{
	if (!p || p[0] != '/')
		__builtin_trap();
}

static void check_listen(const char *l)
{
	const char *colon = l ? strrchr(l, ':') : NULL;
	char *end;
	unsigned long port;

	if (!colon || colon == l || !colon[1] || colon[1] < '0' || colon[1] > '9')
		__builtin_trap();
	port = strtoul(colon + 1, &end, 10);
	if (*end || port > 65535)
		__builtin_trap();
	if (l[0] == '[' ? colon[-1] != ']' || colon - l < 3 : !!memchr(l, ':', (size_t)(colon - l)))
		__builtin_trap();
}

/* What service_ratelimit_new() takes without refusing: off, or in range. */
static void check_rate(const struct vconfig_rate *r)
{
	if (r->count == 0)
		return;
	if (r->count > VCONFIG_RATE_MAX_COUNT || r->seconds < 1 ||
	    r->seconds > VCONFIG_RATE_MAX_SECONDS)
		__builtin_trap();
}

static void check_loaded(const struct vconfig *cfg)
{
	static const char *const models[] = { "a", "gw-100", "_", "" };

	if (!cfg->id || !cfg->id[0])
		__builtin_trap();
	check_listen(cfg->listen);
	if (!cfg->store || strncmp(cfg->store, "sqlite:/", 8))
		__builtin_trap();
	check_path(cfg->dir);
	check_path(cfg->tls_cert);
	check_path(cfg->tls_key);
	check_path(cfg->ca_cert);
	check_path(cfg->ca_key);
	check_path(cfg->gate_key);
	if (cfg->threads < 1 || cfg->threads > 64 || cfg->nonce_ttl < 1 || cfg->nonce_ttl > 3600 ||
	    cfg->result_ttl < 1 || cfg->result_ttl > 7 * 86400 || cfg->request_timeout < 1 ||
	    cfg->request_timeout > 600 || cfg->max_body < 1024 ||
	    cfg->max_body > 64u * 1024 * 1024 || cfg->cert_days < 1 ||
	    cfg->cert_days > VCONFIG_MAX_CERT_DAYS)
		__builtin_trap();
	/* What httpd_start() takes: max_connections 0 (auto) or a cap, deadlines. */
	if (cfg->max_connections > 1000000 || cfg->max_connections_per_source < 1 ||
	    cfg->max_connections_per_source > 1000000 || cfg->handshake_timeout < 1 ||
	    cfg->handshake_timeout > 600 || cfg->request_read_timeout < 1 ||
	    cfg->request_read_timeout > 3600)
		__builtin_trap();
	check_rate(&cfg->enroll_rate_source);
	check_rate(&cfg->enroll_rate_global);
	if (cfg->n_ek_ca > VCONFIG_MAX_EK_CAS)
		__builtin_trap();
	for (size_t i = 0; i < cfg->n_ek_ca; i++)
		check_path(cfg->ek_ca[i]);
	if (cfg->n_auto_models > VCONFIG_MAX_AUTO_MODELS ||
	    (cfg->auto_approve == VCONFIG_AUTO_MODELS) != (cfg->n_auto_models > 0))
		__builtin_trap();
	for (size_t i = 0; i < cfg->n_auto_models; i++) {
		size_t n = strlen(cfg->auto_models[i]);

		if (n == 0 || n > 64 || strchr(cfg->auto_models[i], ','))
			__builtin_trap();
		if (!vconfig_auto_approves(cfg, cfg->auto_models[i]))
			__builtin_trap();
	}
	for (size_t i = 0; i < GW_ARRAY_SIZE(models); i++) {
		bool listed = false;

		for (size_t j = 0; j < cfg->n_auto_models; j++)
			listed = listed || !strcmp(cfg->auto_models[j], models[i]);
		if (vconfig_auto_approves(cfg, models[i]) !=
		    (cfg->auto_approve == VCONFIG_AUTO_ALL || listed))
			__builtin_trap();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vconfig cfg;
	gw_error err = { { 0 } };
	int rc;

	if (fd < 0) {
		fd = memfd_create("fuzz_verifier_config", MFD_CLOEXEC);
		if (fd < 0 || snprintf(path, sizeof(path), "/proc/self/fd/%d", fd) >=
				      (int)sizeof(path))
			abort();
	}
	if (ftruncate(fd, 0) || (size && pwrite(fd, data, size, 0) != (ssize_t)size))
		abort();
	vconfig_defaults(&cfg);
	rc = vconfig_load(path, &cfg, &err);
	if (rc == 0)
		check_loaded(&cfg);
	else if ((rc != GW_E_CONFIG && rc != GW_E_NOMEM) || strncmp(err.msg, path, strlen(path)))
		__builtin_trap();
	vconfig_fini(&cfg);
	return 0;
}
