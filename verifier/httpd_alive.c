// SPDX-License-Identifier: Apache-2.0
// The workers' heartbeat behind the service manager's watchdog: each worker's
// event loop notes the time on a timer, and worker 0 reports the server alive
// only while every loop keeps doing so, so a hung worker stops the keep-alives.
#include "httpd_int.h"

#include <time.h>

#include <event2/event.h>

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void beat_cb(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	struct httpd *h = w->h;
	uint64_t now = mono_ms(), late = 2u * (uint64_t)h->alive_ms;

	(void)fd;
	(void)what;
	atomic_store(&w->beat_ms, now);
	if (w->idx != 0)
		return;
	for (unsigned i = 0; i < h->nworkers; i++)
		if (now - atomic_load(&h->workers[i].beat_ms) > late)
			return;
	h->alive();
}

int httpd_worker_alive_setup(struct worker *w, gw_error *err)
{
	unsigned ms = w->h->alive_ms;
	struct timeval tv = { (time_t)(ms / 1000u), (suseconds_t)(ms % 1000u) * 1000 };

	/* A worker that has not run yet counts as alive from its setup. */
	atomic_store(&w->beat_ms, mono_ms());
	if (!ms)
		return 0;
	w->beat_ev = event_new(w->base, -1, EV_PERSIST, beat_cb, w);
	if (!w->beat_ev || event_add(w->beat_ev, &tv) != 0)
		return gw_fail(err, GW_E_NOMEM, "worker %u: heartbeat event failed", w->idx);
	return 0;
}

void httpd_worker_alive_fini(struct worker *w)
{
	if (w->beat_ev)
		event_free(w->beat_ev);
	w->beat_ev = NULL;
}
