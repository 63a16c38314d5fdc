/* SPDX-License-Identifier: Apache-2.0 */
/* Rate limits the service puts on a costly endpoint (POST /v1/enroll): a token
 * bucket per source address and one for all sources, in a fixed-size table that
 * every worker thread shares. */
#ifndef GW_VERIFIER_SERVICE_RATELIMIT_H
#define GW_VERIFIER_SERVICE_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "gw_error.h"
#include "vconfig.h"

/* Sources tracked at once: RATELIMIT_SETS sets of RATELIMIT_WAYS entries. With more
 * active sources than that, the one closest to a full bucket is forgotten (it gets
 * a full bucket when it comes back); the global bucket still holds. */
#define RATELIMIT_SETS 512u
#define RATELIMIT_WAYS 8u
/* A refused request is summed up (service_ratelimit_refused()) at most this often. */
#define RATELIMIT_REPORT_NS (60ull * 1000000000ull)

struct service_ratelimit;

/* A limiter with these limits (count 0: that bucket is off). *out is freed with
 * service_ratelimit_free(). GW_E_NOMEM, GW_E_INVAL for a rate out of the ranges
 * of vconfig.h. */
int service_ratelimit_new(const struct vconfig_rate *per_source,
			  const struct vconfig_rate *global, struct service_ratelimit **out)
	GW_WUR;
/* NULL is fine. */
void service_ratelimit_free(struct service_ratelimit *rl);

/* The buckets a service_ratelimit_take() charges. */
enum ratelimit_scope {
	RATELIMIT_SOURCE = 1, /* the source's own */
	RATELIMIT_GLOBAL = 2, /* all sources' together */
	RATELIMIT_BOTH = 3,
};

/* Take a token for one request from source (httpd's remote address, "192.0.2.1:4000"
 * or "[2001:db8::1]:4000"; IPv6 sources count per /64, link-local ones and
 * IPv4-mapped ones as a whole address; anything unparsable shares one bucket) at
 * now_ns (a monotonic clock), from the buckets scope names. True when the request
 * may go ahead: it took a token from each. False when one is empty (none is
 * charged); *retry_after gets the whole seconds, at least 1, until they all would
 * allow it. Thread-safe. */
bool service_ratelimit_take(struct service_ratelimit *rl, const char *source, uint64_t now_ns,
			    enum ratelimit_scope scope, unsigned *retry_after);

/* How many requests were refused since the last report, if the last report is at
 * least RATELIMIT_REPORT_NS old (the count restarts); 0 otherwise. For a summary in
 * the audit log that costs one record a minute however hard the endpoint is hit. */
uint64_t service_ratelimit_refused(struct service_ratelimit *rl, uint64_t now_ns);

#endif
