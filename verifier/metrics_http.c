// SPDX-License-Identifier: Apache-2.0
// The metrics listener: GET /metrics over plain HTTP with libevent's evhttp.
#include "metrics_http.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "fleet_rollout.h"
#include "httpd_int.h"
#include "vlog.h"

struct metrics_http {
	struct service *svc;
	struct store *st; /* the listener thread's own */
	unsigned refresh_s;
	struct metrics_gauges g;
	struct event_base *base;
	struct evhttp *http;
	struct event *stop_ev;
	evutil_socket_t fd;
	unsigned port;
	pthread_t thread;
	bool started;
};

static int count_state(const struct store_device *d, void *arg)
{
	uint64_t *n = arg;

	if ((unsigned)d->state < METRICS_DEVICE_STATES)
		n[d->state]++;
	return 0;
}

/* What fleet_rollout() reads of the service's settings and keys, copied (the keys
 * referenced) under the read lock and released after: the store reads run
 * without the lock, so a slow or blocked store holds up neither a reload's write
 * lock nor, behind that pending writer, the attestations. */
static int borrow_settings(struct service *svc, struct cmd_policy_env *env)
{
	int rc = 0;

	memset(env, 0, sizeof(*env));
	pthread_rwlock_rdlock(&svc->lock);
	env->cfg.policy_threshold = svc->cfg.policy_threshold;
	env->cfg.release_max_attest_age = svc->cfg.release_max_attest_age;
	if (svc->cfg.default_channel &&
	    !(env->cfg.default_channel = strdup(svc->cfg.default_channel)))
		rc = GW_E_NOMEM;
	for (size_t i = 0; !rc && i < svc->n_policy_keys; i++) {
		if (EVP_PKEY_up_ref(svc->policy_keys[i]) != 1)
			rc = GW_E_NOMEM;
		else
			env->keys[env->nkeys++] = svc->policy_keys[i];
	}
	pthread_rwlock_unlock(&svc->lock);
	return rc;
}

static void release_settings(struct cmd_policy_env *env)
{
	for (size_t i = 0; i < env->nkeys; i++)
		EVP_PKEY_free(env->keys[i]);
	free(env->cfg.default_channel);
	memset(env, 0, sizeof(*env));
}

/* The store gauges, when older than the refresh interval. A failure keeps the
 * previous values (and their timestamp) and counts an error. */
static void refresh(struct metrics_http *mh)
{
	struct service *svc = mh->svc;
	struct cmd_policy_env env;
	uint64_t n[METRICS_DEVICE_STATES] = { 0 };
	json_object *arr = NULL;
	gw_error err = { { 0 } };
	int64_t now = service_now();
	int rc;

	if (mh->g.at && now >= mh->g.at && now - mh->g.at < (int64_t)mh->refresh_s)
		return;
	rc = borrow_settings(svc, &env);
	env.st = mh->st;
	if (!rc)
		rc = store_device_list(mh->st, NULL, count_state, n, &err);
	if (!rc)
		rc = fleet_rollout(&env, now, &arr, &err);
	release_settings(&env);
	if (rc) {
		atomic_fetch_add(&svc->metrics->gauge_refresh_errors, 1);
		snprintf(mh->g.error, sizeof(mh->g.error), "%s", gw_error_msg(&err, rc));
		vlog_repeat("metrics store", VLOG_ERR, "metrics: reading the store: %s",
			    mh->g.error);
		return;
	}
	json_object_put(mh->g.rollout);
	mh->g.rollout = arr;
	memcpy(mh->g.devices, n, sizeof(n));
	mh->g.at = now;
	mh->g.error[0] = '\0';
}

static void on_request(struct evhttp_request *req, void *arg)
{
	struct metrics_http *mh = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	struct evbuffer *body = NULL;
	char *text = NULL;
	size_t len = 0;

	if (!path || strcmp(path, "/metrics")) {
		evhttp_send_error(req, HTTP_NOTFOUND, "only /metrics is here");
		return;
	}
	refresh(mh);
	if (metrics_render(mh->svc->metrics, &mh->g, &text, &len) ||
	    !(body = evbuffer_new()) || evbuffer_add(body, text, len) ||
	    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
			      "text/plain; version=0.0.4; charset=utf-8")) {
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		goto out;
	}
	evhttp_send_reply(req, HTTP_OK, "OK", body);
out:
	if (body)
		evbuffer_free(body);
	free(text);
}

/* Made active by metrics_http_stop() from another thread: also when that comes
 * before the loop runs, which event_base_loopbreak() alone would miss. */
static void stop_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	event_base_loopbreak(arg);
}

static void *serve(void *arg)
{
	struct metrics_http *mh = arg;

	event_base_dispatch(mh->base);
	return NULL;
}

static int setup(struct metrics_http *mh, const char *listen, gw_error *err)
{
	int rc;

	if (httpd_evthreads() != 0)
		return gw_fail(err, GW_E_STATE, "metrics: libevent has no pthreads support");
	rc = store_open(mh->svc->cfg.store, &mh->st, err);
	if (rc)
		return rc;
	rc = httpd_listen_socket(listen, &mh->fd, &mh->port, err);
	if (rc)
		return rc;
	mh->base = event_base_new();
	mh->http = mh->base ? evhttp_new(mh->base) : NULL;
	mh->stop_ev = mh->http ? event_new(mh->base, -1, 0, stop_cb, mh->base) : NULL;
	if (!mh->stop_ev)
		return GW_E_NOMEM;
	evhttp_set_allowed_methods(mh->http, EVHTTP_REQ_GET);
	evhttp_set_max_headers_size(mh->http, METRICS_HTTP_MAX_HEADERS);
	evhttp_set_max_body_size(mh->http, 0);
	evhttp_set_timeout(mh->http, METRICS_HTTP_TIMEOUT_S);
	evhttp_set_gencb(mh->http, on_request, mh);
	if (!evhttp_accept_socket_with_handle(mh->http, mh->fd))
		return gw_fail(err, GW_E_IO, "metrics: cannot listen on %s", listen);
	mh->fd = -1; /* transferred: evhttp closes it */
	if (pthread_create(&mh->thread, NULL, serve, mh))
		return gw_fail(err, GW_E_IO, "metrics: cannot start the listener thread");
	mh->started = true;
	return 0;
}

int metrics_http_start(const char *listen, struct service *svc, unsigned refresh_s,
		       struct metrics_http **out, gw_error *err)
{
	struct metrics_http *mh = calloc(1, sizeof(*mh));
	int rc;

	if (!mh)
		return GW_E_NOMEM;
	mh->svc = svc;
	mh->refresh_s = refresh_s;
	mh->fd = -1;
	rc = setup(mh, listen, err);
	if (rc) {
		metrics_http_stop(mh);
		return rc;
	}
	*out = mh;
	return 0;
}

unsigned metrics_http_port(const struct metrics_http *mh)
{
	return mh->port;
}

void metrics_http_stop(struct metrics_http *mh)
{
	if (!mh)
		return;
	if (mh->started) {
		event_active(mh->stop_ev, 0, 0);
		pthread_join(mh->thread, NULL);
	}
	if (mh->stop_ev)
		event_free(mh->stop_ev);
	if (mh->http)
		evhttp_free(mh->http);
	if (mh->base)
		event_base_free(mh->base);
	if (mh->fd >= 0)
		close(mh->fd);
	store_close(mh->st);
	json_object_put(mh->g.rollout);
	free(mh);
}
