// SPDX-License-Identifier: Apache-2.0
// Unit tests for the metrics listener over raw sockets: GET /metrics answered in
// the exposition format with the store gauges, everything else refused (other
// methods and paths, malformed request lines, oversized headers, a body, a
// request split into single bytes), the listener serving on after each; the
// store's transaction observer behind the store latency histogram; and a scrape
// whose store read is slow holding up neither a reload nor the requests.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "metrics_http.h"
#include "store_fixture.h"

/* The listener's store read, held at will: store_device_list() is wrapped at
 * link time (-Wl,--wrap, see the Makefile). While armed, the next call says it
 * is inside and waits (at most 10 s) to be let go. */
static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool armed, inside, go;
} gate = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, false, false };

int __real_store_device_list(struct store *st, const enum store_device_state *state,
			     store_device_cb cb, void *arg, gw_error *err);
int __wrap_store_device_list(struct store *st, const enum store_device_state *state,
			     store_device_cb cb, void *arg, gw_error *err);

static void deadline_in(struct timespec *ts, time_t s)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += s;
}

int __wrap_store_device_list(struct store *st, const enum store_device_state *state,
			     store_device_cb cb, void *arg, gw_error *err)
{
	struct timespec until;

	pthread_mutex_lock(&gate.mu);
	if (gate.armed) {
		gate.armed = false;
		gate.inside = true;
		pthread_cond_broadcast(&gate.cv);
		deadline_in(&until, 10);
		while (!gate.go && pthread_cond_timedwait(&gate.cv, &gate.mu, &until) == 0)
			;
	}
	pthread_mutex_unlock(&gate.mu);
	return __real_store_device_list(st, state, cb, arg, err);
}

static void gate_open(void)
{
	pthread_mutex_lock(&gate.mu);
	gate.go = true;
	pthread_cond_broadcast(&gate.cv);
	pthread_mutex_unlock(&gate.mu);
}

struct fx {
	struct store_fixture sf; /* first: store_fixture_teardown() takes it */
	struct service svc;
	struct metrics_http *mh;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	void *sfp = &f->sf;
	gw_error err = { { 0 } };

	if (!f || store_fixture_setup(&sfp))
		return -1;
	/* store_fixture_setup() allocates its own: keep ours, take its contents. */
	memcpy(&f->sf, sfp, sizeof(f->sf));
	free(sfp);
	assert_int_equal(store_fixture_put_device(f->sf.st, "gw-a", "m1"), 0);
	assert_int_equal(store_fixture_put_device(f->sf.st, "gw-b", "m1"), 0);
	f->svc.cfg.store = f->sf.path;
	f->svc.cfg.default_channel = "stable";
	f->svc.metrics = metrics_new();
	assert_non_null(f->svc.metrics);
	/* the refresh borrows the settings under the service's read lock */
	assert_int_equal(service_lock_init(&f->svc), 0);
	if (metrics_http_start("127.0.0.1:0", &f->svc, 30, &f->mh, &err)) {
		print_error("metrics_http_start: %s\n", gw_error_msg(&err, GW_E_IO));
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	struct store_fixture *sf = malloc(sizeof(*sf));
	void *sfp = sf;

	metrics_http_stop(f->mh);
	metrics_free(f->svc.metrics);
	pthread_rwlock_destroy(&f->svc.lock);
	memcpy(sf, &f->sf, sizeof(*sf));
	free(f);
	return store_fixture_teardown(&sfp);
}

/* A connection to the listener with req sent (len bytes, in pieces of `piece`)
 * and the sending side shut. */
static int dial_send(unsigned port, const char *req, size_t len, size_t piece)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	for (size_t off = 0; off < len;) {
		size_t n = len - off < piece ? len - off : piece;
		ssize_t w = send(fd, req + off, n, MSG_NOSIGNAL);

		if (w <= 0)
			break; /* the server closed early: its answer is read below */
		off += (size_t)w;
	}
	shutdown(fd, SHUT_WR);
	return fd;
}

/* Read fd until the server closes or 3 s pass; the answer in buf. Closes fd. */
static size_t read_answer(int fd, char *buf, size_t cap)
{
	size_t got = 0;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t r;

		if (poll(&p, 1, 3000) != 1)
			break;
		r = recv(fd, buf + got, cap - 1 - got, 0);
		if (r <= 0)
			break;
		got += (size_t)r;
		if (got == cap - 1)
			break;
	}
	buf[got] = '\0';
	close(fd);
	return got;
}

static size_t exchange(unsigned port, const char *req, size_t len, size_t piece, char *buf,
		       size_t cap)
{
	return read_answer(dial_send(port, req, len, piece), buf, cap);
}

static size_t ask(struct fx *f, const char *req, char *buf, size_t cap)
{
	return exchange(metrics_http_port(f->mh), req, strlen(req), 1 << 16, buf, cap);
}

static void assert_still_serving(struct fx *f)
{
	char buf[16384];

	ask(f, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", buf, sizeof(buf));
	assert_memory_equal(buf, "HTTP/1.1 200", 12);
}

static void test_get_metrics(void **state)
{
	struct fx *f = *state;
	char buf[16384];

	metrics_attest(f->svc.metrics, METRICS_ATTEST_AFFIRMING, 1000);
	ask(f, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", buf, sizeof(buf));
	assert_memory_equal(buf, "HTTP/1.1 200", 12);
	assert_non_null(strstr(buf, "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
	assert_non_null(strstr(buf, "\ngatewarden_verifier_attestations_total{status=\"affirming\"} 1\n"));
	assert_non_null(strstr(buf, "\ngatewarden_verifier_devices{state=\"enrolled\"} 2\n"));
	assert_non_null(strstr(buf, "\ngatewarden_verifier_store_gauge_errors_total 0\n"));
	/* HTTP/1.0 and a query work too. */
	ask(f, "GET /metrics?x=1 HTTP/1.0\r\n\r\n", buf, sizeof(buf));
	assert_memory_equal(buf, "HTTP/1.", 7);
	assert_non_null(strstr(buf, " 200 "));
}

/* The gauges are read once per refresh interval, not per scrape. */
static void test_gauges_cached(void **state)
{
	struct fx *f = *state;
	char buf[16384];

	assert_still_serving(f);
	assert_int_equal(store_fixture_put_device(f->sf.st, "gw-c", "m1"), 0);
	ask(f, "GET /metrics HTTP/1.0\r\n\r\n", buf, sizeof(buf));
	assert_non_null(strstr(buf, "\ngatewarden_verifier_devices{state=\"enrolled\"} 2\n"));
}

static void test_refused_requests(void **state)
{
	static const struct {
		const char *req;
		const char *status; /* NULL: closed without an answer is fine too */
	} cases[] = {
		{ "GET / HTTP/1.1\r\nHost: x\r\n\r\n", " 404 " },
		{ "GET /metricsx HTTP/1.1\r\nHost: x\r\n\r\n", " 404 " },
		{ "GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n", " 404 " },
		{ "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", " 501 " },
		{ "DELETE /metrics HTTP/1.1\r\nHost: x\r\n\r\n", " 501 " },
		{ "GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello", " 413 " },
		{ "GET /metrics HTTP/9.9\r\n\r\n", NULL },
		{ "\x01\x02\x03 \xff\xfe\r\n\r\n", NULL },
		{ "GET\r\n\r\n", NULL },
		{ "GET /metrics HTTP/1.1\r\nno colon here\r\n\r\n", NULL },
		{ "GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", NULL },
		{ "GET /metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
		  "ffffffffffffffff\r\n", NULL },
	};
	struct fx *f = *state;
	char buf[16384];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ask(f, cases[i].req, buf, sizeof(buf));
		if (strstr(buf, " 200 "))
			fail_msg("case %zu answered 200: %s", i, cases[i].req);
		if (cases[i].status && !strstr(buf, cases[i].status))
			fail_msg("case %zu: want%s, got '%.40s'", i, cases[i].status, buf);
		assert_still_serving(f);
	}
}

/* Headers above METRICS_HTTP_MAX_HEADERS are refused, not buffered. */
static void test_oversized_headers(void **state)
{
	struct fx *f = *state;
	size_t n = 64 * 1024;
	char *req = malloc(n + 64), buf[4096];

	assert_non_null(req);
	memcpy(req, "GET /metrics HTTP/1.1\r\nX-Big: ", 30);
	memset(req + 30, 'a', n);
	memcpy(req + 30 + n, "\r\n\r\n", 5);
	exchange(metrics_http_port(f->mh), req, strlen(req), 1 << 16, buf, sizeof(buf));
	assert_null(strstr(buf, " 200 "));
	free(req);
	assert_still_serving(f);
}

/* A request dripped one byte at a time is still one request. */
static void test_split_request(void **state)
{
	struct fx *f = *state;
	const char *req = "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
	char buf[16384];

	exchange(metrics_http_port(f->mh), req, strlen(req), 1, buf, sizeof(buf));
	assert_memory_equal(buf, "HTTP/1.1 200", 12);
}

static void observe(void *arg, uint64_t ns)
{
	uint64_t *n = arg;

	(void)ns;
	(*n)++;
}

/* Each write transaction, a call's own or a group, is reported once; reads and
 * a cleared observer are not. */
static void test_store_tx_observer(void **state)
{
	struct fx *f = *state;
	struct store_device d;
	uint64_t n = 0;
	gw_error err = { { 0 } };

	store_set_tx_observer(f->sf.st, observe, &n);
	assert_int_equal(store_fixture_put_device(f->sf.st, "gw-d", "m1"), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_begin(f->sf.st, &err), 0);
	assert_int_equal(store_fixture_put_device(f->sf.st, "gw-e", "m1"), 0);
	assert_int_equal(store_fixture_put_device(f->sf.st, "gw-f", "m1"), 0);
	assert_int_equal(store_commit(f->sf.st, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(store_begin(f->sf.st, &err), 0);
	store_rollback(f->sf.st);
	assert_int_equal(n, 3);
	memset(&d, 0, sizeof(d));
	assert_int_equal(store_device_get(f->sf.st, "gw-d", &d, &err), 0);
	store_device_fini(&d);
	assert_int_equal(n, 3);
	store_set_tx_observer(f->sf.st, NULL, NULL);
	assert_int_equal(store_fixture_put_device(f->sf.st, "gw-g", "m1"), 0);
	assert_int_equal(n, 3);
	/* The histogram's observer: one sample per transaction. */
	store_set_tx_observer(f->sf.st, metrics_store_tx, f->svc.metrics);
	assert_int_equal(store_fixture_put_device(f->sf.st, "gw-h", "m1"), 0);
	assert_int_equal(atomic_load(&f->svc.metrics->store_tx_seconds.sum_ns) > 0, 1);
}

/* Review finding 9: a scrape whose store read is slow (held here inside
 * store_device_list) holds neither a reload's write lock nor, behind that
 * writer, the next request's read lock. Both are bounded to 2 s; before the fix
 * the scrape held the read lock across the store read and the write lock timed
 * out. */
static void test_scrape_does_not_hold_reload(void **state)
{
	struct fx *f = *state;
	const char *req = "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
	struct timespec until;
	char buf[16384];
	bool inside;
	int fd, wr, rd = -1;

	pthread_mutex_lock(&gate.mu);
	gate.armed = true;
	gate.inside = gate.go = false;
	pthread_mutex_unlock(&gate.mu);
	fd = dial_send(metrics_http_port(f->mh), req, strlen(req), 1 << 16);
	pthread_mutex_lock(&gate.mu);
	deadline_in(&until, 5);
	while (!gate.inside && pthread_cond_timedwait(&gate.cv, &gate.mu, &until) == 0)
		;
	inside = gate.inside;
	pthread_mutex_unlock(&gate.mu);
	/* What service_reload() and then an attestation take. */
	deadline_in(&until, 2);
	wr = inside ? pthread_rwlock_timedwrlock(&f->svc.lock, &until) : -1;
	if (wr == 0) {
		pthread_rwlock_unlock(&f->svc.lock);
		deadline_in(&until, 2);
		rd = pthread_rwlock_timedrdlock(&f->svc.lock, &until);
		if (rd == 0)
			pthread_rwlock_unlock(&f->svc.lock);
	}
	gate_open();
	read_answer(fd, buf, sizeof(buf));
	assert_true(inside);
	assert_int_equal(wr, 0);
	assert_int_equal(rd, 0);
	/* The scrape let go finishes with the store's numbers. */
	assert_memory_equal(buf, "HTTP/1.1 200", 12);
	assert_non_null(strstr(buf, "\ngatewarden_verifier_devices{state=\"enrolled\"} 2\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_get_metrics, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gauges_cached, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_requests, setup, teardown),
		cmocka_unit_test_setup_teardown(test_oversized_headers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_split_request, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_tx_observer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scrape_does_not_hold_reload, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
