// SPDX-License-Identifier: Apache-2.0
// The running verifier's main thread: signals (SIGHUP reloads, SIGTERM/SIGINT
// stop) and the periodic upkeep of [retention]: attestation results pruned and
// old audit records archived.
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "audit_export.h"
#include "notify.h"
#include "retention.h"
#include "serve_run.h"
#include "service.h"
#include "util.h"
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

/* The upkeep runs on the main thread, which takes SIGHUP and SIGTERM only
 * between rounds; a first round on a big store (hundreds of batches) would leave
 * them waiting until systemd's stop timeout SIGKILLs it. So each rule's part of a
 * round stops after [retention] round_budget_ms (whole batches: one of AUDIT_EXPORT_BATCH
 * audit records holds the write lock 60-130 ms on the 2-core machine under load,
 * one of the results rule scans the whole results table, seconds on a million
 * rows), or between two batches as soon as one of those signals is pending, and
 * the next round comes ROUND_RESUME_S later instead of a prune_interval later.
 * Between two batches (and between the two rules) the round pauses ROUND_YIELD_MS
 * without the lock: an attestation waiting on it retries at most every 100 ms
 * (SQLite's busy handler), so a shorter gap would let the round take the lock
 * back first, batch after batch, until the waiter's busy timeout ran out. */
#define ROUND_RESUME_S 1
#define ROUND_YIELD_MS 150

static void round_yield(void)
{
	struct timespec ts = { .tv_sec = 0, .tv_nsec = ROUND_YIELD_MS * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

struct round_budget {
	uint64_t end_ns;  /* CLOCK_MONOTONIC */
	bool signalled;   /* it stopped for a signal */
};

static struct round_budget round_budget_start(const struct service *svc)
{
	return (struct round_budget){ .end_ns = gw_mono_ns() + svc->cfg.round_budget_ms *
								 (GW_NS_PER_S / 1000) };
}

static bool round_stop(void *arg)
{
	struct round_budget *b = arg;

	b->signalled = serve_signal_pending();
	if (!b->signalled && gw_mono_ns() < b->end_ns) {
		round_yield();
		b->signalled = serve_signal_pending(); /* one that came meanwhile */
	}
	return b->signalled || gw_mono_ns() >= b->end_ns;
}

/* How a rule's part of a round ended when it left work (stopped). */
static void log_stopped(const struct service *svc, const char *rule,
			const struct round_budget *b)
{
	if (b->signalled)
		vlog(VLOG_INFO, "retention: the %s round stopped for a signal", rule);
	else
		vlog(VLOG_INFO, "retention: the %s round used its budget of %u ms; the next one "
				"goes on in %d s", rule, svc->cfg.round_budget_ms, ROUND_RESUME_S);
}

/* The main thread's upkeep between rounds. */
struct upkeep_state {
	struct store *st;      /* its own handle, opened at the first round */
	int64_t next_results;  /* when the results rule is due (service_now) */
};

/* The audit rule's part of a round: records older than audit_keep_days into
 * audit_archive_dir, within the budget. True when it stopped with records left. */
static bool serve_archive_audit(const struct service *svc, struct store *st)
{
	struct round_budget b = round_budget_start(svc);
	struct audit_export_round r = { .stop = round_stop, .stop_arg = &b };
	gw_error err = { { 0 } };
	int64_t t0 = service_now();
	int rc;

	rc = retention_archive_audit(st, svc->cfg.audit_keep_days, svc->cfg.audit_archive_dir, t0,
				     "verifier", &r, &err);
	if (r.stale)
		vlog(VLOG_NOTICE, "retention: %u temporary files of interrupted exports removed "
				  "from %s", r.stale, svc->cfg.audit_archive_dir);
	if (rc)
		vlog(VLOG_ERR, "retention: archiving audit records into %s failed (%llu records "
			       "archived in %llu files): %s",
		     svc->cfg.audit_archive_dir, (unsigned long long)r.records,
		     (unsigned long long)r.files, gw_error_msg(&err, rc));
	else if (r.records)
		vlog(VLOG_INFO, "retention: %llu audit records older than %u days archived into "
				"%llu files in %s, %llds",
		     (unsigned long long)r.records, svc->cfg.audit_keep_days,
		     (unsigned long long)r.files, svc->cfg.audit_archive_dir,
		     (long long)(service_now() - t0));
	if (!rc && r.stopped)
		log_stopped(svc, "archiving", &b);
	return !rc && r.stopped;
}

/* The results rule's part of a round, within the budget. True when it stopped
 * with results left (it is due again at the next round). */
static bool serve_prune_results(const struct service *svc, struct store *st)
{
	struct round_budget b = round_budget_start(svc);
	struct retention_prune_round r = { .stop = round_stop, .stop_arg = &b };
	gw_error err = { { 0 } };
	int64_t t0 = service_now();
	int rc;

	rc = retention_prune(st, svc->cfg.keep_results, svc->cfg.keep_failed_days, t0, "verifier",
			     &r, &err);
	if (rc)
		vlog(VLOG_ERR, "retention: pruning failed (%llu results deleted): %s",
		     (unsigned long long)r.deleted, gw_error_msg(&err, rc));
	else if (r.deleted)
		vlog(VLOG_INFO, "retention: %llu results deleted (the newest %u per device kept, "
				"non-affirming ones for %u days), %llds",
		     (unsigned long long)r.deleted, svc->cfg.keep_results,
		     svc->cfg.keep_failed_days, (long long)(service_now() - t0));
	if (!rc && r.stopped)
		log_stopped(svc, "results pruning", &b);
	return !rc && r.stopped;
}

/* One upkeep round: audit records archived, then results pruned, each when
 * configured, the results only when their rule is due: at start-up, every
 * prune_interval, and at the round after one that stopped it (a round that only
 * goes on archiving does not scan the results table again), never while a signal
 * waits. The main thread is the only one that changes svc->cfg, so it reads it
 * without the lock. True when the round left work for the next one. */
static bool serve_prune(struct service *svc, struct upkeep_state *u)
{
	gw_error err = { { 0 } };
	bool more = false;
	int rc;

	if (!u->st && (rc = store_open(svc->cfg.store, &u->st, &err))) {
		vlog(VLOG_ERR, "retention: opening the store: %s", gw_error_msg(&err, rc));
		return false;
	}
	if (svc->cfg.audit_keep_days)
		more = serve_archive_audit(svc, u->st);
	if (!svc->cfg.keep_results || service_now() < u->next_results)
		return more;
	if (svc->cfg.audit_keep_days)
		round_yield();
	if (serve_signal_pending())
		return true; /* the results at the next round, a second on */
	if (serve_prune_results(svc, u->st))
		return true; /* still due */
	u->next_results = service_now() + svc->cfg.prune_interval;
	return more;
}

/* Is any upkeep configured? */
static bool upkeep(const struct service *svc)
{
	return svc->cfg.keep_results || svc->cfg.audit_keep_days;
}

int serve_loop(struct service *svc, const char *config)
{
	struct upkeep_state u = { .st = NULL };
	int64_t now = service_now();
	int64_t next = now; /* the first round at start-up */
	int sig;

	u.next_results = now;
	for (;;) {
		now = service_now();
		if (upkeep(svc) && now >= next) {
			bool more = serve_prune(svc, &u);

			now = service_now();
			next = now + (more && svc->cfg.prune_interval > ROUND_RESUME_S
					      ? ROUND_RESUME_S : svc->cfg.prune_interval);
		}
		sig = serve_wait(upkeep(svc) ? (unsigned)(next - now) : 0);
		if (sig == SIGHUP) {
			serve_reload(svc, config);
			/* A shorter interval applies from now. */
			if (upkeep(svc) && next > now + svc->cfg.prune_interval)
				next = now + svc->cfg.prune_interval;
			if (u.next_results > now + svc->cfg.prune_interval)
				u.next_results = now + svc->cfg.prune_interval;
		} else if (sig) {
			break;
		}
	}
	store_close(u.st);
	return sig;
}
