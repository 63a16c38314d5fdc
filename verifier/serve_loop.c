// SPDX-License-Identifier: Apache-2.0
// The running verifier's main thread: signals (SIGHUP reloads, SIGTERM/SIGINT
// stop) and the periodic pruning of attestation results ([retention]).
#include <signal.h>
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

/* One pruning round on the main thread's own store handle (opened at the first
 * round). The main thread is the only one that changes svc->cfg, so it reads it
 * without the lock. */
static void serve_prune(struct service *svc, struct store **st)
{
	gw_error err = { { 0 } };
	uint64_t n = 0;
	int64_t t0 = service_now();
	int rc = 0;

	if (!*st)
		rc = store_open(svc->cfg.store, st, &err);
	if (!rc)
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

int serve_loop(struct service *svc, const char *config)
{
	struct store *st = NULL;
	int64_t next = service_now(); /* the first round at start-up */
	int64_t now;
	int sig;

	for (;;) {
		now = service_now();
		if (svc->cfg.keep_results && now >= next) {
			serve_prune(svc, &st);
			now = service_now();
			next = now + svc->cfg.prune_interval;
		}
		sig = serve_wait(svc->cfg.keep_results ? (unsigned)(next - now) : 0);
		if (sig == SIGHUP) {
			serve_reload(svc, config);
			/* A shorter interval applies from now. */
			if (svc->cfg.keep_results && next > now + svc->cfg.prune_interval)
				next = now + svc->cfg.prune_interval;
		} else if (sig) {
			break;
		}
	}
	store_close(st);
	return sig;
}
