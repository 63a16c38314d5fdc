/* SPDX-License-Identifier: Apache-2.0 */
/* The metrics listener of `gwverifier serve` ([metrics] listen): plain HTTP, GET
 * /metrics only, served by libevent's evhttp on a thread of its own, apart from
 * the devices' HTTPS listener. The store gauges are read on a scrape when they are
 * older than the refresh interval, on the listener's own store handle. */
#ifndef GW_VERIFIER_METRICS_HTTP_H
#define GW_VERIFIER_METRICS_HTTP_H

#include "gw_error.h"
#include "metrics.h"
#include "service.h"

#define METRICS_HTTP_MAX_HEADERS 4096u /* request line and headers, bytes */
#define METRICS_HTTP_TIMEOUT_S 5u

struct metrics_http;

/* Bind listen ("127.0.0.1:9464", "[::1]:9464"; port 0 = any) and serve svc's
 * metrics (svc->metrics) until metrics_http_stop(). svc must outlive the
 * listener. Errors: GW_E_INVAL (address), GW_E_IO (bind, thread), GW_E_NOMEM,
 * GW_E_STATE (libevent without threads), the store's (opening it). */
int metrics_http_start(const char *listen, struct service *svc, unsigned refresh_s,
		       struct metrics_http **out, gw_error *err) GW_WUR;
/* The bound TCP port. */
unsigned metrics_http_port(const struct metrics_http *mh);
/* Stop serving, join the thread, free mh; NULL is fine. */
void metrics_http_stop(struct metrics_http *mh);

#endif
