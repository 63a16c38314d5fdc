// SPDX-License-Identifier: Apache-2.0
// Unit tests for the HTTPS server layer's connections: idle and stall timeouts,
// caps per source and in total, handshake and request deadlines, and allocation
// failures while a connection is set up, driven by raw sockets and TLS clients.
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dlfcn.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "httpd.h"
#include "httpd_fixture.h"
#include "util.h"

/* ---- idle and stall timeouts (the fixture's server, TEST_TIMEOUT_S) ---- */

static void test_stall_before_handshake(void **state)
{
	int fd = tcp_connect();
	struct pollfd p = { .fd = fd, .events = POLLIN };
	double t0 = now_s(), waited;
	char c;

	(void)state;
	assert_int_equal(poll(&p, 1, (TEST_TIMEOUT_S * 4) * 1000), 1);
	waited = now_s() - t0;
	assert_true(recv(fd, &c, 1, 0) <= 0);
	assert_true(waited >= TEST_TIMEOUT_S - 0.5);
	close(fd);
}

static void test_stall_mid_request(void **state)
{
	static const char half[] = "GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
	char buf[4096];
	double waited;

	(void)state;
	waited = tls_send_until_close(half, TEST_TIMEOUT_S * 4, buf, sizeof(buf));
	assert_true(waited >= 0);
	assert_true(waited >= TEST_TIMEOUT_S - 0.5);
	assert_null(strstr(buf, "200 OK"));
}

/* An idle keep-alive connection is closed after the timeout as well. */
static void test_stall_idle_keepalive(void **state)
{
	static const char req[] = "GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
	struct tls_client t;
	char buf[4096];
	double waited;

	(void)state;
	assert_int_equal(tls_open(&t, TLS1_2_VERSION, 0), 1);
	assert_int_equal(SSL_write(t.ssl, req, sizeof(req) - 1), (int)sizeof(req) - 1);
	waited = tls_read_until_close(&t, TEST_TIMEOUT_S * 4, buf, sizeof(buf));
	assert_true(waited >= TEST_TIMEOUT_S - 0.5);
	assert_int_equal(strncmp(buf, "HTTP/1.1 200", 12), 0);
	tls_close(&t);
}

/* ---- connection caps and deadlines (a second server with its own limits) ---- */

static atomic_int log_lines;
static char last_log[512];

static void count_log(const char *line)
{
	atomic_fetch_add(&log_lines, 1);
	snprintf(last_log, sizeof(last_log), "%s", line);
}

/* Start a server with these limits and point the clients (g.port) at it. */
static struct httpd *start_limited(struct httpd_config cfg, unsigned *saved_port)
{
	struct httpd *h = NULL;
	gw_error err = { { 0 } };

	cfg.log = count_log;
	atomic_store(&log_lines, 0);
	last_log[0] = '\0';
	assert_int_equal(httpd_start(&cfg, routes, GW_ARRAY_SIZE(routes), app_init, app_fini,
				     NULL, &h, &err), 0);
	*saved_port = g.port;
	g.port = httpd_port(h);
	return h;
}

static void stop_limited(struct httpd *h, unsigned saved_port)
{
	httpd_stop(h);
	g.port = saved_port;
}

/* True if the server closed fd within ms milliseconds. */
static bool closed_within(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char c;

	return poll(&p, 1, ms) == 1 && recv(fd, &c, 1, 0) <= 0;
}

/* A new connection from 127.0.0.1 that the server keeps (not closed in 300 ms),
 * trying for up to limit_s while earlier closes are still being processed;
 * -1 if none was kept. */
static int kept_connection(double limit_s)
{
	double t0 = now_s();

	do {
		int fd = tcp_connect();

		if (!closed_within(fd, 300))
			return fd;
		close(fd);
		usleep(50 * 1000);
	} while (now_s() - t0 < limit_s);
	return -1;
}

/* Close fd with a TCP reset instead of a FIN. */
static void close_reset(int fd)
{
	struct linger l = { 1, 0 };

	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l)), 0);
	close(fd);
}

static void test_cap_per_source(void **state)
{
	struct httpd_config cfg = server_config();
	unsigned port;
	struct httpd *h;
	int fd[4];

	(void)state;
	cfg.max_conns_per_source = 2;
	h = start_limited(cfg, &port);
	fd[0] = tcp_connect();
	fd[1] = tcp_connect();
	assert_false(closed_within(fd[0], 300));
	assert_false(closed_within(fd[1], 50));
	/* The third from 127.0.0.1 is shut at once, and said so once. */
	fd[2] = tcp_connect();
	assert_true(closed_within(fd[2], 1000));
	assert_int_equal(atomic_load(&log_lines), 1);
	assert_non_null(strstr(last_log, "connection from 127.0.0.1 refused: it has 2 open"));
	close(fd[2]);
	fd[2] = tcp_connect();
	assert_true(closed_within(fd[2], 1000));
	assert_int_equal(atomic_load(&log_lines), 1); /* the second is held back */
	close(fd[2]);
	/* One closes: its place is free again (once the server has seen it go). */
	close(fd[0]);
	fd[3] = kept_connection(5);
	assert_true(fd[3] >= 0);
	close(fd[1]);
	close(fd[3]);
	stop_limited(h, port);
}

/* At the total cap the listener rests: a third connection waits in the
 * backlog (no descriptor, no accept-and-refuse). Connections that sit in the
 * TLS handshake while the server is full are closed after 2 s (not the 10 s
 * handshake deadline), and those waiting get their places. */
static void test_cap_total(void **state)
{
	struct httpd_config cfg = server_config();
	struct tls_client t;
	unsigned port;
	struct httpd *h;
	int a, b, c;
	double t0;

	(void)state;
	cfg.max_conns = 2;
	cfg.timeout_s = 60; /* neither the idle timeout */
	cfg.handshake_timeout_s = 60; /* nor the handshake deadline closes them */
	h = start_limited(cfg, &port);
	a = tcp_connect();
	b = tcp_connect();
	assert_false(closed_within(a, 300));
	assert_false(closed_within(b, 50));
	t0 = now_s();
	c = tcp_connect(); /* completes in the kernel's backlog */
	assert_false(closed_within(c, 500));
	assert_null(strstr(last_log, "refused"));
	/* Full: the silent two go after about 2 s, well before 60. */
	assert_true(closed_within(a, 8000));
	assert_true(closed_within(b, 8000));
	assert_true(now_s() - t0 >= 1.5 && now_s() - t0 < 10);
	assert_non_null(strstr(last_log, "TLS handshake not done in 2 s while 2 connections"));
	/* The waiting one was accepted then; a real client is served. */
	assert_int_equal(tls_open(&t, TLS1_2_VERSION, 0), 1);
	tls_close(&t);
	close(a);
	close(b);
	close(c);
	stop_limited(h, port);
}

/* A source may hold only a few connections that have not finished the TLS
 * handshake; finished ones do not count against it. */
static void test_cap_handshakes(void **state)
{
	struct httpd_config cfg = server_config();
	struct tls_client t[3];
	unsigned port;
	struct httpd *h;
	int fd[3];

	(void)state;
	cfg.max_handshakes_per_source = 2;
	h = start_limited(cfg, &port);
	fd[0] = tcp_connect();
	fd[1] = tcp_connect();
	assert_false(closed_within(fd[0], 300));
	assert_false(closed_within(fd[1], 50));
	fd[2] = tcp_connect();
	assert_true(closed_within(fd[2], 2000));
	assert_non_null(strstr(last_log, "connections still in the TLS handshake"));
	close(fd[2]);
	close(fd[0]);
	close(fd[1]);
	/* Three finished handshakes at once are fine. */
	for (int i = 0; i < 3; i++) {
		double t0 = now_s();
		int ok;

		/* the two closed above may still be counted for a moment */
		while (!(ok = tls_open(&t[i], TLS1_2_VERSION, 0)) && now_s() - t0 < 5) {
			tls_close(&t[i]);
			usleep(50 * 1000);
		}
		assert_true(ok);
	}
	for (int i = 0; i < 3; i++)
		tls_close(&t[i]);
	stop_limited(h, port);
}

/* Every way a connection ends gives its place back: after rounds of each, the
 * source can again open its whole allowance. */
static void test_close_paths_release(void **state)
{
	static const char keepalive[] = "GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
	static const char declared[] = "POST /v1/echo HTTP/1.1\r\nHost: 127.0.0.1\r\n"
				       "Content-Type: application/json\r\n"
				       "Content-Length: 100000\r\n\r\n";
	struct httpd_config cfg = server_config();
	char *big = malloc(HTTPD_DEFAULT_MAX_HEADERS + 128);
	char buf[4096];
	unsigned port;
	struct httpd *h;
	int fd[4];

	(void)state;
	assert_non_null(big);
	snprintf(big, 64, "GET /v1/health HTTP/1.1\r\nX-Padding: ");
	memset(big + strlen(big), 'a', HTTPD_DEFAULT_MAX_HEADERS);
	big[strlen("GET /v1/health HTTP/1.1\r\nX-Padding: ") + HTTPD_DEFAULT_MAX_HEADERS] = 0;
	strcat(big, "\r\n\r\n");
	cfg.max_conns_per_source = 3;
	h = start_limited(cfg, &port);
	for (int round = 0; round < 4; round++) {
		struct tls_client t;
		int s;

		/* plain HTTP on the TLS port */
		s = tcp_connect();
		assert_int_equal(send(s, keepalive, sizeof(keepalive) - 1, 0),
				 (ssize_t)sizeof(keepalive) - 1);
		assert_true(closed_within(s, 5000));
		close(s);
		/* a reset before the handshake */
		s = tcp_connect();
		close_reset(s);
		/* a failed handshake: a record that is no ClientHello */
		s = tcp_connect();
		assert_int_equal(send(s, "\x16\x03\x01\x00\x02\x99\x99", 7, 0), 7);
		assert_true(closed_within(s, 5000));
		close(s);
		/* 400 (bad request line), headers over the cap, 413 */
		assert_true(tls_send_until_close("NONSENSE\r\n\r\n", 5, buf, sizeof(buf)) >= 0);
		assert_true(tls_send_until_close(big, 5, buf, sizeof(buf)) >= 0);
		assert_true(tls_send_until_close(declared, 5, buf, sizeof(buf)) >= 0);
		assert_int_equal(strncmp(buf, "HTTP/1.1 413", 12), 0);
		/* a reset after an answered request on a kept-alive connection */
		assert_int_equal(tls_open(&t, TLS1_2_VERSION, 0), 1);
		assert_int_equal(SSL_write(t.ssl, keepalive, sizeof(keepalive) - 1),
				 (int)sizeof(keepalive) - 1);
		assert_true(SSL_read(t.ssl, buf, sizeof(buf) - 1) > 0);
		SSL_free(t.ssl);
		SSL_CTX_free(t.ctx);
		close_reset(t.fd);
		ERR_clear_error();
	}
	/* The whole allowance again, and not one more. */
	for (int i = 0; i < 3; i++) {
		fd[i] = kept_connection(5);
		assert_true(fd[i] >= 0);
	}
	fd[3] = tcp_connect();
	assert_true(closed_within(fd[3], 2000));
	for (int i = 0; i < 4; i++)
		close(fd[i]);
	free(big);
	stop_limited(h, port);
}

/* The deadlines hold however active the client is; the idle timeout (10 s
 * here) would not close either connection within the test's wait. */
/* Handshakes the server refuses are logged with the source and the alert, the
 * client-certificate ones on their own rate limit (a refused protocol version
 * does not hide them); a request without a certificate to a route that needs
 * one too; a client that goes away mid-handshake is no such line. */
static int logs_within(int want, int ms)
{
	for (int i = 0; i < ms / 10 && atomic_load(&log_lines) < want; i++)
		usleep(10000);
	return atomic_load(&log_lines);
}

static void test_tls_refusals_logged(void **state)
{
	struct call in = { .method = "GET", .path = "/v1/health", .cert = g.rogue_cert,
			   .key = g.rogue_key };
	struct tls_client t;
	struct resp r;
	unsigned port;
	struct httpd *h;
	long status;
	int fd;

	(void)state;
	h = start_limited(server_config(), &port);
	fd = tcp_connect();
	assert_int_equal(send(fd, "\x16\x03\x01\x00\x01\x01", 6, MSG_NOSIGNAL), 6);
	close_reset(fd);
	fd = tcp_connect();
	assert_int_equal(send(fd, "\x16\x03\x01", 3, MSG_NOSIGNAL), 3);
	close(fd);
	assert_int_equal(logs_within(1, 300), 0);
	assert_int_equal(tls_open(&t, TLS1_VERSION, TLS1_1_VERSION), 0);
	tls_close(&t);
	assert_int_equal(logs_within(1, 2000), 1);
	assert_non_null(strstr(last_log, "refused action=tls source=127.0.0.1: TLS handshake "
					 "failed: sent alert 'protocol version'"));
	in.sslversion = CURL_SSLVERSION_TLSv1_2 | CURL_SSLVERSION_MAX_TLSv1_2;
	assert_int_not_equal(do_call(NULL, &in, &status, &r), CURLE_OK);
	assert_int_equal(logs_within(2, 2000), 2);
	assert_non_null(strstr(last_log, "refused action=tls source=127.0.0.1: "));
	assert_non_null(strstr(last_log, " (client certificate)"));
	/* The second within the interval is held back. */
	assert_int_not_equal(do_call(NULL, &in, &status, &r), CURLE_OK);
	assert_int_equal(logs_within(3, 300), 2);
	assert_int_equal(simple("GET", "/v1/device/whoami", &r), 401);
	assert_int_equal(atomic_load(&log_lines), 3);
	assert_non_null(strstr(last_log, "refused action=client_certificate source=127.0.0.1:"));
	assert_non_null(strstr(last_log, " path=/v1/device/whoami: client_certificate_required"));
	stop_limited(h, port);
}

static void test_deadlines(void **state)
{
	static const char req[] = "GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
	struct httpd_config cfg = server_config();
	struct tls_client t;
	unsigned port;
	struct httpd *h;
	double t0;
	int fd;
	bool closed = false;

	(void)state;
	cfg.timeout_s = 10;
	cfg.handshake_timeout_s = 1;
	cfg.request_read_timeout_s = 1;
	h = start_limited(cfg, &port);
	fd = tcp_connect();
	t0 = now_s();
	assert_true(closed_within(fd, 6000));
	assert_true(now_s() - t0 >= 0.5); /* at the deadline, not at once */
	close(fd);

	/* TLS 1.2: no session ticket arrives after the handshake to wake poll(). */
	assert_int_equal(tls_open(&t, TLS1_2_VERSION, TLS1_2_VERSION), 1);
	t0 = now_s();
	for (size_t i = 0; i < sizeof(req) - 1 && now_s() - t0 < 6 && !closed; i++) {
		if (SSL_write(t.ssl, req + i, 1) != 1)
			closed = true;
		else
			closed = closed_within(t.fd, 200);
	}
	assert_true(closed);
	assert_true(now_s() - t0 >= 0.5 && now_s() - t0 < 5);
	tls_close(&t);
	ERR_clear_error();
	stop_limited(h, port);
}

/* A declared body over the cap is answered 413 once the headers are in, not
 * after the body (which never comes) or the idle timeout. */
static void test_declared_too_large(void **state)
{
	static const char req[] = "POST /v1/echo HTTP/1.1\r\nHost: 127.0.0.1\r\n"
				  "Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n";
	char buf[4096];
	double waited;

	(void)state;
	waited = tls_send_until_close(req, TEST_TIMEOUT_S * 4, buf, sizeof(buf));
	assert_true(waited >= 0 && waited < TEST_TIMEOUT_S - 0.5);
	assert_int_equal(strncmp(buf, "HTTP/1.1 413", 12), 0);
}

/* ---- allocation failures on a worker (OpenSSL's and libevent's allocators) ---- */

/* Fail one allocation after skipping this many; -1: none. */
static atomic_int crypto_fail_after = -1, event_fail_after = -1;
static bool crypto_hooked, event_hooked;

static bool fail_now(atomic_int *after)
{
	int n = atomic_load(after);

	while (n >= 0) {
		if (atomic_compare_exchange_weak(after, &n, n - 1))
			return n == 0;
	}
	return false;
}

static void *crypto_malloc(size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	return fail_now(&crypto_fail_after) ? NULL : malloc(n);
}

static void *crypto_realloc(void *p, size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	return fail_now(&crypto_fail_after) ? NULL : realloc(p, n);
}

static void crypto_free(void *p, const char *file, int line)
{
	(void)file;
	(void)line;
	free(p);
}

/* libevent's allocations fail only inside bufferevent_openssl_socket_new on
 * the thread calling it (the test's definition below wraps libevent's): a
 * worker still finishing an earlier connection allocates too (evhttp makes
 * the next request of a kept-alive one after answering), and a failure there
 * would land in evhttp_request_new, whose clean-up in libevent 2.1.12 crashes. */
static _Thread_local bool in_tls_bev_new;
static struct bufferevent *(*real_tls_bev_new)(struct event_base *, evutil_socket_t,
					       SSL *, enum bufferevent_ssl_state, int);

struct bufferevent *bufferevent_openssl_socket_new(struct event_base *base, evutil_socket_t fd,
						   SSL *ssl, enum bufferevent_ssl_state state,
						   int options)
{
	struct bufferevent *bev;

	in_tls_bev_new = true;
	bev = real_tls_bev_new(base, fd, ssl, state, options);
	in_tls_bev_new = false;
	return bev;
}

static void *event_malloc(size_t n)
{
	return in_tls_bev_new && fail_now(&event_fail_after) ? NULL : malloc(n);
}

static void *event_realloc(void *p, size_t n)
{
	return in_tls_bev_new && fail_now(&event_fail_after) ? NULL : realloc(p, n);
}

/* A plain-text request on a connection whose TLS state could not be made:
 * closed without an answer (before the fix evhttp served it in plain HTTP,
 * uncounted), and the server serves the next client. */
static void oom_round(atomic_int *after, int skip)
{
	static const char req[] = "GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
	struct resp r;
	int fd;

	/* Nothing else allocates with OpenSSL while this connection is accepted:
	 * the other worker is idle, the client here is plain TCP. */
	atomic_store(after, skip);
	fd = tcp_connect();
	assert_int_equal(send(fd, req, sizeof(req) - 1, 0), (ssize_t)sizeof(req) - 1);
	/* closed, and not one byte of an answer */
	assert_true(closed_within(fd, 5000));
	assert_int_equal(atomic_load(after), -1); /* the failure did happen */
	close(fd);
	atomic_store(after, -1);
	assert_int_equal(simple("GET", "/v1/health", &r), 200);
}

static void test_oom_tls_state(void **state)
{
	(void)state;
	if (!crypto_hooked)
		skip();
	/* SSL_new's first allocation */
	oom_round(&crypto_fail_after, 0);
}

static void test_oom_tls_bufferevent(void **state)
{
	(void)state;
	if (!event_hooked)
		skip();
	/* bufferevent_openssl_socket_new's first allocation, after accept: when
	 * it fails, libevent (2.1.9 on) frees the SSL itself, and freeing it again
	 * was a double free. */
	oom_round(&event_fail_after, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stall_before_handshake),
		cmocka_unit_test(test_stall_mid_request),
		cmocka_unit_test(test_stall_idle_keepalive),
		cmocka_unit_test(test_cap_per_source),
		cmocka_unit_test(test_cap_total),
		cmocka_unit_test(test_cap_handshakes),
		cmocka_unit_test(test_close_paths_release),
		cmocka_unit_test(test_deadlines),
		cmocka_unit_test(test_declared_too_large),
		cmocka_unit_test(test_oom_tls_state),
		cmocka_unit_test(test_oom_tls_bufferevent),
		cmocka_unit_test(test_tls_refusals_logged),
	};

	/* A client writing to a connection the server has just refused or closed
	 * (test_cap_handshakes retries, the close paths) gets EPIPE, not killed. */
	signal(SIGPIPE, SIG_IGN);
	/* Before OpenSSL or libevent allocates anything. */
	crypto_hooked = CRYPTO_set_mem_functions(crypto_malloc, crypto_realloc, crypto_free) == 1;
	event_set_mem_functions(event_malloc, event_realloc, free);
	real_tls_bev_new = (struct bufferevent *(*)(struct event_base *, evutil_socket_t, SSL *,
						    enum bufferevent_ssl_state, int))
		dlsym(RTLD_NEXT, "bufferevent_openssl_socket_new");
	if (!real_tls_bev_new) {
		fprintf(stderr, "libevent_openssl's bufferevent_openssl_socket_new not found: %s\n",
			dlerror());
		return 1;
	}
	event_hooked = true;
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
