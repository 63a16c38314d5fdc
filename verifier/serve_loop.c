// SPDX-License-Identifier: Apache-2.0
// The running verifier's main thread: signals (SIGHUP reloads, SIGTERM/SIGINT
// stop) and the periodic upkeep of [retention]: attestation results pruned and
// old audit records archived.
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>

#include "notify.h"
#include "retention.h"
#include "serve_run.h"
#include "service.h"
#include "vlog.h"

/* SIGHUP: the configuration again, or the running one kept and why. */
static void serve_reload(struct service *svc, const char *config)
{
	char kept[1024];
	gw_error err = { { 0 } };
	int rc;

	gw_notify_reloading();
	rc = service_reload(svc, config, kept, sizeof(kept), &err);
	gw_notify_ready("serving");
	if (rc)
		vlog(VLOG_ERR, "reload of %s refused, the running configuration stays: %s", config,
		     gw_error_msg(&err, rc));
	else if (kept[0])
		vlog(VLOG_WARNING, "reloaded %s; these settings take effect only at a restart and "
				   "keep their running values: %s",
		     config, kept);
	else
		vlog(VLOG_NOTICE, "reloaded %s", config);
}

/* The audit rule's part of a round: records older than audit_keep_days into
 * audit_archive_dir. */
static void serve_archive_audit(const struct service *svc, struct store *st)
{
	gw_error err = { { 0 } };
	uint64_t files = 0, records = 0;
	int64_t t0 = service_now();
	int rc;

	rc = retention_archive_audit(st, svc->cfg.audit_keep_days, svc->cfg.audit_archive_dir, t0,
				     "verifier", &files, &records, &err);
	if (rc)
		vlog(VLOG_ERR, "retention: archiving audit records into %s failed (%llu records "
			       "archived in %llu files): %s",
		     svc->cfg.audit_archive_dir, (unsigned long long)records,
		     (unsigned long long)files, gw_error_msg(&err, rc));
	else if (records)
		vlog(VLOG_INFO, "retention: %llu audit records older than %u days archived into "
				"%llu files in %s, %llds",
		     (unsigned long long)records, svc->cfg.audit_keep_days, (unsigned long long)files,
		     svc->cfg.audit_archive_dir, (long long)(service_now() - t0));
}

/* One upkeep round on the main thread's own store handle (opened at the first
 * round): results pruned, then audit records archived, each when configured.
 * The main thread is the only one that changes svc->cfg, so it reads it without
 * the lock. */
static void serve_prune(struct service *svc, struct store **st)
{
	gw_error err = { { 0 } };
	uint64_t n = 0;
	int64_t t0 = service_now();
	int rc = 0;

	if (!*st && (rc = store_open(svc->cfg.store, st, &err))) {
		vlog(VLOG_ERR, "retention: opening the store: %s", gw_error_msg(&err, rc));
		return;
	}
	if (svc->cfg.audit_keep_days)
		serve_archive_audit(svc, *st);
	if (!svc->cfg.keep_results)
		return;
	rc = retention_prune(*st, svc->cfg.keep_results, svc->cfg.keep_failed_days, t0,
			     "verifier", &n, &err);
	if (rc)
		vlog(VLOG_ERR, "retention: pruning failed (%llu results deleted): %s",
		     (unsigned long long)n, gw_error_msg(&err, rc));
	else if (n)
		vlog(VLOG_INFO, "retention: %llu results deleted (the newest %u per device kept, "
				"non-affirming ones for %u days), %llds",
		     (unsigned long long)n, svc->cfg.keep_results, svc->cfg.keep_failed_days,
		     (long long)(service_now() - t0));
}

/* Is any upkeep configured? */
static bool upkeep(const struct service *svc)
{
	return svc->cfg.keep_results || svc->cfg.audit_keep_days;
}

int serve_loop(struct service *svc, const char *config)
{
	struct store *st = NULL;
	int64_t next = service_now(); /* the first round at start-up */
	int64_t now;
	int sig;

	for (;;) {
		now = service_now();
		if (upkeep(svc) && now >= next) {
			serve_prune(svc, &st);
			now = service_now();
			next = now + svc->cfg.prune_interval;
		}
		sig = serve_wait(upkeep(svc) ? (unsigned)(next - now) : 0);
		if (sig == SIGHUP) {
			serve_reload(svc, config);
			/* A shorter interval applies from now. */
			if (upkeep(svc) && next > now + svc->cfg.prune_interval)
				next = now + svc->cfg.prune_interval;
		} else if (sig) {
			break;
		}
	}
	store_close(st);
	return sig;
}
