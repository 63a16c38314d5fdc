/* SPDX-License-Identifier: Apache-2.0 */
/* The verifier's Prometheus metrics: counters and histograms the workers bump
 * with atomics, gauges read from the store at most once per refresh interval, and
 * their rendering in the text exposition format 0.0.4 (doc/verifier.md,
 * "Metrics"). metrics_http.c serves them. */
#ifndef GW_VERIFIER_METRICS_H
#define GW_VERIFIER_METRICS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "gw_error.h"

enum metrics_attest { /* an attestation round's EAR status; none: refused, no result */
	METRICS_ATTEST_AFFIRMING,
	METRICS_ATTEST_WARNING,
	METRICS_ATTEST_CONTRAINDICATED,
	METRICS_ATTEST_NONE,
	METRICS_ATTEST_N,
};

enum metrics_enroll {
	METRICS_ENROLL_CHALLENGED,   /* POST /v1/enroll answered with a credential */
	METRICS_ENROLL_ENROLLED,     /* activated and auto-approved */
	METRICS_ENROLL_PENDING,      /* activated, waiting for an operator */
	METRICS_ENROLL_REFUSED,      /* refused (audited device.enroll refused) */
	METRICS_ENROLL_RATE_LIMITED, /* answered 429 */
	METRICS_ENROLL_N,
};

enum metrics_authz { METRICS_AUTHZ_GRANTED, METRICS_AUTHZ_REFUSED, METRICS_AUTHZ_N };

/* Latency buckets (seconds) of both histograms: upper bounds, +Inf implied. */
#define METRICS_BUCKETS 12
struct metrics_hist {
	atomic_uint_fast64_t bucket[METRICS_BUCKETS + 1]; /* not cumulative; last: +Inf */
	atomic_uint_fast64_t sum_ns;
};

/* Gauges from the store, as of `at` (0: never read). */
#define METRICS_DEVICE_STATES 3 /* store_device_state: pending, enrolled, revoked */
struct metrics_gauges {
	int64_t at;
	uint64_t devices[METRICS_DEVICE_STATES];
	json_object *rollout; /* fleet_rollout()'s array, or NULL */
	char error[160];      /* the last refresh's failure, "" when it worked */
};

struct metrics {
	atomic_uint_fast64_t attest[METRICS_ATTEST_N];
	atomic_uint_fast64_t enroll[METRICS_ENROLL_N];
	atomic_uint_fast64_t authz[METRICS_AUTHZ_N];
	struct metrics_hist attest_seconds;
	struct metrics_hist store_tx_seconds;
	atomic_uint_fast64_t gauge_refresh_errors;
};

/* A zeroed set; metrics_free(NULL) is fine. */
struct metrics *metrics_new(void);
void metrics_free(struct metrics *m);

/* Thread-safe, lock-free; m NULL: nothing. */
void metrics_attest(struct metrics *m, enum metrics_attest s, uint64_t ns);
void metrics_enroll(struct metrics *m, enum metrics_enroll e);
void metrics_authz(struct metrics *m, enum metrics_authz a);
/* A store transaction took ns (store_tx_observer; arg is the struct metrics). */
void metrics_store_tx(void *arg, uint64_t ns);
/* METRICS_ATTEST_* of an EAR status word ("none" for anything else). */
enum metrics_attest metrics_attest_status(const char *status);

/* The exposition (text format 0.0.4) of m and g (g NULL: no store gauges) in a
 * new NUL-terminated buffer (*out, the caller's). 0 or GW_E_NOMEM. */
int metrics_render(const struct metrics *m, const struct metrics_gauges *g, char **out,
		   size_t *out_len) GW_WUR;

#endif
