// SPDX-License-Identifier: Apache-2.0
// Unit tests for the HTTPS server layer's request path: TLS, client certificates,
// routing, body and header limits, keep-alive, threads, handler contract, start
// and shutdown, driven by libcurl and raw sockets (test_httpd_conns.c: connection
// caps, deadlines and allocation failures).
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <json-c/json.h>
#include <openssl/ssl.h>

#include "httpd.h"
#include "httpd_fixture.h"
#include "util.h"

static void test_health(void **state)
{
	struct resp r;
	json_object *o;

	(void)state;
	assert_int_equal(simple("GET", "/v1/health", &r), 200);
	o = parse(&r);
	assert_string_equal(str_at(o, "status", NULL), "ok");
	/* every handler sees the context its own worker made */
	assert_string_equal(str_at(o, "thread", NULL), str_at(o, "app", NULL));
	/* the peer as "address:port" (what the enrollment rate limit keys on) */
	assert_int_equal(strncmp(str_at(o, "remote", NULL), "127.0.0.1:", 10), 0);
	assert_true(strlen(str_at(o, "remote", NULL)) > 10);
	json_object_put(o);
	assert_int_equal(simple("GET", "/v1/health?verbose=1", &r), 200);
	assert_int_equal(atomic_load(&inits), 2);
}

static void test_not_found(void **state)
{
	struct resp r;

	(void)state;
	assert_int_equal(simple("GET", "/v1/nope", &r), 404);
	assert_error(&r, "not_found");
	assert_int_equal(simple("GET", "/v1/health/", &r), 404);
	assert_int_equal(simple("GET", "/", &r), 404);
}

static void test_method_not_allowed(void **state)
{
	struct resp r;

	(void)state;
	assert_int_equal(simple("DELETE", "/v1/health", &r), 405);
	assert_error(&r, "method_not_allowed");
	assert_int_equal(simple("PATCH", "/v1/echo", &r), 405);
	assert_non_null(strstr(r.buf, "POST, PUT"));
}

static void test_body(void **state)
{
	static const char json[] = "{\"hello\":\"world\"}";
	struct call in = { .method = "POST", .path = "/v1/echo", .body = json,
			   .body_len = sizeof(json) - 1,
			   .ctype = "application/json; charset=utf-8" };
	struct resp r;
	long status;

	(void)state;
	assert_int_equal(do_call(NULL, &in, &status, &r), CURLE_OK);
	assert_int_equal(status, 200);
	assert_string_equal(r.buf, "{\"hello\":\"world\"}\n");

	in.ctype = "text/plain";
	assert_int_equal(do_call(NULL, &in, &status, &r), CURLE_OK);
	assert_int_equal(status, 415);
	assert_error(&r, "unsupported_media_type");

	in.ctype = NULL; /* curl sends a form content type */
	assert_int_equal(do_call(NULL, &in, &status, &r), CURLE_OK);
	assert_int_equal(status, 415);

	in.ctype = "application/jsonx";
	assert_int_equal(do_call(NULL, &in, &status, &r), CURLE_OK);
	assert_int_equal(status, 415);
}

static void test_too_large(void **state)
{
	char *big = malloc(TEST_MAX_BODY + 1);
	struct call in = { .method = "POST", .path = "/v1/echo", .body = big,
			   .body_len = TEST_MAX_BODY + 1, .ctype = "application/json" };
	struct resp r;
	long status;

	(void)state;
	assert_non_null(big);
	memset(big, ' ', TEST_MAX_BODY + 1);
	assert_int_equal(do_call(NULL, &in, &status, &r), CURLE_OK);
	assert_int_equal(status, 413);
	/* exactly at the cap is fine: spaces around an empty object */
	big[0] = '{';
	big[TEST_MAX_BODY - 1] = '}';
	in.body_len = TEST_MAX_BODY;
	assert_int_equal(do_call(NULL, &in, &status, &r), CURLE_OK);
	assert_int_equal(status, 200);
	free(big);
}

static void test_headers_too_large(void **state)
{
	char *hdr = malloc(HTTPD_DEFAULT_MAX_HEADERS + 64);
	struct call in = { .method = "GET", .path = "/v1/health", .extra_header = hdr };
	struct resp r;
	long status;
	CURLcode cc;

	(void)state;
	assert_non_null(hdr);
	memcpy(hdr, "X-Padding: ", 11);
	memset(hdr + 11, 'a', HTTPD_DEFAULT_MAX_HEADERS);
	hdr[11 + HTTPD_DEFAULT_MAX_HEADERS] = '\0';
	cc = do_call(NULL, &in, &status, &r);
	/* evhttp 2.1.12 answers oversized headers itself with a 400 (HTML body) */
	assert_int_equal(cc, CURLE_OK);
	assert_int_equal(status, 400);
	free(hdr);
	assert_int_equal(simple("GET", "/v1/health", &r), 200);
}

static void test_client_cert(void **state)
{
	struct call in = { .method = "GET", .path = "/v1/device/whoami" };
	struct resp r;
	long status;
	json_object *o;

	(void)state;
	assert_int_equal(do_call(NULL, &in, &status, &r), CURLE_OK);
	assert_int_equal(status, 401);
	assert_error(&r, "client_certificate_required");

	in.cert = g.cli_cert;
	in.key = g.cli_key;
	assert_int_equal(do_call(NULL, &in, &status, &r), CURLE_OK);
	assert_int_equal(status, 200);
	o = parse(&r);
	assert_string_equal(str_at(o, "cn", NULL), "device-0001");
	assert_string_equal(str_at(o, "fingerprint", NULL), g.cli_fp);
	assert_string_equal(str_at(o, "has_cert", NULL), "true");
	json_object_put(o);

	/* the same certificate over TLS 1.2 */
	in.sslversion = CURL_SSLVERSION_TLSv1_2 | CURL_SSLVERSION_MAX_TLSv1_2;
	assert_int_equal(do_call(NULL, &in, &status, &r), CURLE_OK);
	assert_int_equal(status, 200);

	/* a certificate is welcome on routes that do not need one */
	in.path = "/v1/health";
	assert_int_equal(do_call(NULL, &in, &status, &r), CURLE_OK);
	assert_int_equal(status, 200);
}

static void test_client_cert_other_ca(void **state)
{
	struct call in = { .method = "GET", .path = "/v1/device/whoami",
			   .cert = g.rogue_cert, .key = g.rogue_key };
	struct resp r;
	long status;

	(void)state;
	/* a presented certificate that does not verify fails the handshake */
	assert_int_not_equal(do_call(NULL, &in, &status, &r), CURLE_OK);
	in.path = "/v1/health";
	assert_int_not_equal(do_call(NULL, &in, &status, &r), CURLE_OK);
	in.sslversion = CURL_SSLVERSION_TLSv1_2 | CURL_SSLVERSION_MAX_TLSv1_2;
	assert_int_not_equal(do_call(NULL, &in, &status, &r), CURLE_OK);
	assert_int_equal(simple("GET", "/v1/health", &r), 200);
}

static void test_tls_versions(void **state)
{
	struct call in = { .method = "GET", .path = "/v1/health",
			   .sslversion = CURL_SSLVERSION_TLSv1_0 | CURL_SSLVERSION_MAX_TLSv1_1 };
	struct tls_client t;
	struct resp r;
	long status;

	(void)state;
	assert_int_not_equal(do_call(NULL, &in, &status, &r), CURLE_OK);

	/* curl's OpenSSL may refuse TLS 1.1 itself; this client offers it for sure */
	assert_int_equal(tls_open(&t, TLS1_VERSION, TLS1_1_VERSION), 0);
	tls_close(&t);

	assert_int_equal(tls_open(&t, TLS1_2_VERSION, TLS1_2_VERSION), 1);
	assert_int_equal(SSL_version(t.ssl), TLS1_2_VERSION);
	assert_non_null(strstr(SSL_get_cipher_name(t.ssl), "ECDHE"));
	tls_close(&t);

	assert_int_equal(tls_open(&t, TLS1_2_VERSION, 0), 1);
	assert_int_equal(SSL_version(t.ssl), TLS1_3_VERSION);
	tls_close(&t);
}

static void test_bad_request_line(void **state)
{
	static const char junk[] = "NOT HTTP AT ALL\r\n\r\n";
	struct tls_client t;
	char buf[4096];
	struct resp r;

	(void)state;
	assert_int_equal(tls_open(&t, TLS1_2_VERSION, 0), 1);
	assert_int_equal(SSL_write(t.ssl, junk, sizeof(junk) - 1), (int)sizeof(junk) - 1);
	assert_true(tls_read_until_close(&t, 10, buf, sizeof(buf)) >= 0);
	assert_int_equal(strncmp(buf, "HTTP/1.1 400", 12), 0);
	tls_close(&t);
	assert_int_equal(simple("GET", "/v1/health", &r), 200);
}

static void test_keepalive(void **state)
{
	struct call in = { .method = "GET", .path = "/v1/health" };
	CURL *c = curl_easy_init();
	struct resp r;
	long status, conns, total = 0;

	(void)state;
	assert_non_null(c);
	for (int i = 0; i < 50; i++) {
		assert_int_equal(do_call(c, &in, &status, &r), CURLE_OK);
		assert_int_equal(status, 200);
		assert_int_equal(curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &conns), CURLE_OK);
		total += conns;
	}
	assert_int_equal(total, 1);
	curl_easy_cleanup(c);
}

struct client_thread {
	const char *path;
	int n;
	int ok;
	int thread;
};

static void *client_main(void *arg)
{
	struct client_thread *ct = arg;
	struct call in = { .method = "GET", .path = ct->path };
	CURL *c = curl_easy_init();
	struct resp r;
	long status;

	for (int i = 0; c && i < ct->n; i++) {
		json_object *o, *v;

		if (do_call(c, &in, &status, &r) != CURLE_OK || status != 200)
			continue;
		ct->ok++;
		o = json_tokener_parse(r.buf);
		if (o && json_object_object_get_ex(o, "thread", &v))
			ct->thread = json_object_get_int(v);
		json_object_put(o);
	}
	curl_easy_cleanup(c);
	return NULL;
}

static void test_concurrent(void **state)
{
	struct client_thread a = { "/v1/health", 20, 0, -1 }, b = a;
	pthread_t ta, tb;

	(void)state;
	assert_int_equal(pthread_create(&ta, NULL, client_main, &a), 0);
	assert_int_equal(pthread_create(&tb, NULL, client_main, &b), 0);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	assert_int_equal(a.ok, 20);
	assert_int_equal(b.ok, 20);
}

/* A handler that blocks one worker does not block the other. */
static void test_two_workers(void **state)
{
	struct client_thread a = { "/v1/slow", 1, 0, -1 }, b = { "/v1/health", 1, 0, -1 };
	struct timespec ts = { 0, 10 * 1000000L };
	pthread_t ta;

	(void)state;
	atomic_store(&slow_entered, 0);
	assert_int_equal(pthread_create(&ta, NULL, client_main, &a), 0);
	for (int i = 0; i < 2000 && !atomic_load(&slow_entered); i++)
		nanosleep(&ts, NULL);
	assert_true(atomic_load(&slow_entered));
	client_main(&b);
	pthread_join(ta, NULL);
	assert_int_equal(a.ok, 1);
	assert_int_equal(b.ok, 1);
	assert_int_not_equal(a.thread, b.thread);
}

/* The heartbeat behind systemd's watchdog: alive() is called while every worker's
 * loop turns and not while a handler holds one of them (whichever of the two
 * workers the slow request lands on). */
static atomic_uint alive_calls;
static atomic_int slow_done;

static void on_alive(void)
{
	atomic_fetch_add(&alive_calls, 1);
}

static void *slow_client(void *arg)
{
	client_main(arg);
	atomic_store(&slow_done, 1);
	return NULL;
}

static void nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* One try: 1 if no alive() came while the slow handler held its worker, 0 if
 * one did, -1 if the handler finished before the window closed (no verdict). */
static int alive_stops_while_blocked(void)
{
	struct client_thread a = { "/v1/slow", 1, 0, -1 };
	unsigned c1, c2;
	pthread_t ta;
	int blocked;

	atomic_store(&slow_entered, 0);
	atomic_store(&slow_done, 0);
	assert_int_equal(pthread_create(&ta, NULL, slow_client, &a), 0);
	for (int i = 0; i < 2000 && !atomic_load(&slow_entered); i++)
		nap_ms(1);
	assert_true(atomic_load(&slow_entered));
	nap_ms(150); /* past 2 * alive_ms: the blocked worker's beat is stale */
	c1 = atomic_load(&alive_calls);
	nap_ms(200);
	c2 = atomic_load(&alive_calls);
	blocked = !atomic_load(&slow_done);
	pthread_join(ta, NULL);
	assert_int_equal(a.ok, 1);
	if (!blocked)
		return -1;
	return c2 == c1;
}

static void test_alive_heartbeat(void **state)
{
	struct httpd_config cfg = server_config();
	struct httpd *h = NULL;
	gw_error err = { { 0 } };
	unsigned saved = g.port, before;
	int verdicts = 0;

	(void)state;
	cfg.listen = "127.0.0.1:0";
	cfg.threads = 2;
	cfg.alive_ms = 50;
	cfg.alive = on_alive;
	assert_int_equal(httpd_start(&cfg, routes, GW_ARRAY_SIZE(routes), NULL, NULL, NULL, &h,
				     &err), 0);
	g.port = httpd_port(h); /* the clients talk to this server */
	nap_ms(400);
	assert_true(atomic_load(&alive_calls) >= 3);
	/* Four verdicts, so that the slow request lands on the worker that does not
	 * send alive() (worker 1) at least once but for a 1 in 16 chance. */
	for (int i = 0; i < 8 && verdicts < 4; i++) {
		int v = alive_stops_while_blocked();

		if (v >= 0) {
			assert_int_equal(v, 1);
			verdicts++;
		}
	}
	assert_int_equal(verdicts, 4);
	before = atomic_load(&alive_calls);
	nap_ms(400);
	assert_true(atomic_load(&alive_calls) > before); /* back once the handler returned */
	httpd_stop(h);
	g.port = saved;
	/* alive_ms 0: no heartbeat at all. */
	cfg.alive_ms = 0;
	assert_int_equal(httpd_start(&cfg, routes, GW_ARRAY_SIZE(routes), NULL, NULL, NULL, &h,
				     &err), 0);
	before = atomic_load(&alive_calls);
	nap_ms(200);
	assert_int_equal(atomic_load(&alive_calls), before);
	httpd_stop(h);
}

static void test_handler_contract(void **state)
{
	struct resp r;

	(void)state;
	assert_int_equal(simple("GET", "/v1/silent", &r), 500);
	assert_error(&r, "internal_error");
	assert_int_equal(simple("GET", "/v1/twice", &r), 409);
	assert_error(&r, "conflict");
	assert_int_equal(atomic_load(&twice_second_rc), GW_E_STATE);
}

static void test_reply_header(void **state)
{
	CURL *c = curl_easy_init();
	struct resp r, hdr;
	struct call in = { .method = "GET", .path = "/v1/limited" };
	long status = 0;

	(void)state;
	assert_non_null(c);
	memset(&hdr, 0, sizeof(hdr));
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &hdr);
	assert_int_equal(do_call(c, &in, &status, &r), CURLE_OK);
	curl_easy_cleanup(c);
	assert_int_equal(status, 429);
	assert_error(&r, "rate_limited");
	assert_non_null(strstr(hdr.buf, " 429 Too Many Requests\r\n"));
	assert_non_null(strstr(hdr.buf, "\nRetry-After: 7\r\n"));
	assert_non_null(strstr(hdr.buf, "Content-Type: application/json"));
	assert_null(strstr(hdr.buf, "X-Injected"));
	assert_null(strstr(hdr.buf, "X-Late"));
	assert_int_equal(atomic_load(&header_bad_rc), GW_E_INVAL);
	assert_int_equal(atomic_load(&header_late_rc), GW_E_STATE);
}

static void test_start_errors(void **state)
{
	struct httpd_config cfg = server_config();
	struct httpd *h = NULL;
	gw_error err = { { 0 } };
	unsigned fail_idx = 1;
	unsigned before;
	char addr[32];

	(void)state;
	cfg.listen = "127.0.0.1";
	assert_int_equal(httpd_start(&cfg, routes, 1, NULL, NULL, NULL, &h, &err), GW_E_INVAL);
	cfg.listen = "::1";
	assert_int_equal(httpd_start(&cfg, routes, 1, NULL, NULL, NULL, &h, &err), GW_E_INVAL);
	cfg.listen = "127.0.0.1:http";
	assert_int_equal(httpd_start(&cfg, routes, 1, NULL, NULL, NULL, &h, &err), GW_E_INVAL);
	cfg = server_config();
	cfg.key_file = g.cli_key; /* does not match the certificate */
	assert_int_equal(httpd_start(&cfg, routes, 1, NULL, NULL, NULL, &h, &err), GW_E_CRYPTO);
	cfg = server_config();
	cfg.cert_file = "/nonexistent/cert.pem";
	assert_int_equal(httpd_start(&cfg, routes, 1, NULL, NULL, NULL, &h, &err), GW_E_CRYPTO);
	cfg = server_config();
	assert_int_equal(gw_snprintf(addr, sizeof(addr), "127.0.0.1:%u", g.port), 0);
	cfg.listen = addr; /* in use by the fixture's server */
	assert_int_equal(httpd_start(&cfg, routes, 1, NULL, NULL, NULL, &h, &err), GW_E_IO);
	/* worker 1's thread_init fails: start fails, worker 0 is finalised */
	cfg = server_config();
	cfg.threads = 3;
	before = atomic_load(&finis);
	assert_int_equal(httpd_start(&cfg, routes, GW_ARRAY_SIZE(routes), app_init, app_fini,
				     &fail_idx, &h, &err), GW_E_STATE);
	assert_int_equal(atomic_load(&finis) - before, 2);
	assert_null(h);
}

static pthread_t main_thread;

static void *send_term(void *arg)
{
	struct timespec ts = { 0, 200 * 1000000L };

	(void)arg;
	nanosleep(&ts, NULL);
	pthread_kill(main_thread, SIGTERM);
	return NULL;
}

static void test_run_until_signal(void **state)
{
	struct httpd_config cfg = server_config();
	struct httpd *h = NULL;
	gw_error err = { { 0 } };
	sigset_t set, old;
	pthread_t t;
	unsigned before_i = atomic_load(&inits), before_f = atomic_load(&finis);

	(void)state;
	cfg.listen = "[::1]:0";
	cfg.threads = 0; /* default */
	if (httpd_start(&cfg, routes, GW_ARRAY_SIZE(routes), app_init, app_fini, NULL, &h,
			&err) == GW_E_IO) {
		cfg.listen = "127.0.0.1:0"; /* no IPv6 here */
		assert_int_equal(httpd_start(&cfg, routes, GW_ARRAY_SIZE(routes), app_init,
					     app_fini, NULL, &h, &err), 0);
	}
	assert_non_null(h);
	assert_true(httpd_port(h) > 0);
	assert_int_equal(atomic_load(&inits) - before_i, HTTPD_DEFAULT_THREADS);
	/* SIGTERM blocked before it is sent, so it waits for sigwait */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	main_thread = pthread_self();
	assert_int_equal(pthread_create(&t, NULL, send_term, NULL), 0);
	assert_int_equal(httpd_run_until_signal(h), SIGTERM);
	pthread_join(t, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	assert_int_equal(atomic_load(&finis) - before_f, HTTPD_DEFAULT_THREADS);
	assert_int_equal(atomic_load(&fini_mismatch), 0);
}

struct big {
	uint8_t *buf;
	size_t len, cap, stop_at; /* stop_at: abort once this much arrived (0: never) */
};

static size_t on_big(char *p, size_t sz, size_t n, void *ud)
{
	struct big *b = ud;

	n *= sz;
	if (b->stop_at && b->len >= b->stop_at)
		return 0; /* the client goes away mid-answer */
	if (b->len + n > b->cap)
		return 0;
	memcpy(b->buf + b->len, p, n);
	b->len += n;
	return n;
}

static long get_big(const char *path, struct big *b)
{
	CURL *c = curl_easy_init();
	char url[256];
	long status = 0;

	assert_non_null(c);
	assert_int_equal(gw_snprintf(url, sizeof(url), "https://127.0.0.1:%u%s", g.port, path), 0);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CAINFO, g.ca);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_big);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	return status;
}

/* httpd_reply_file: a file of several chunks arrives whole, a part from its
 * offset, a prefix route matches only longer paths, and a client that leaves
 * mid-answer leaves the server serving (and nothing leaked: ASan, valgrind). */
static void test_reply_file(void **state)
{
	const size_t size = 5 * HTTPD_STREAM_CHUNK + 12345;
	struct big b = { 0 };
	struct resp r;
	uint8_t *data = malloc(size);
	FILE *f;

	(void)state;
	assert_non_null(data);
	for (size_t i = 0; i < size; i++)
		data[i] = (uint8_t)(i * 7 + i / 251);
	assert_int_equal(gw_snprintf(stream_path, sizeof(stream_path), "%s/stream.bin", g.dir), 0);
	f = fopen(stream_path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, size, f), size);
	assert_int_equal(fclose(f), 0);
	b.cap = size + 1;
	b.buf = malloc(b.cap);
	assert_non_null(b.buf);

	assert_int_equal(get_big("/v1/file/whole", &b), 200);
	assert_int_equal(b.len, size);
	assert_memory_equal(b.buf, data, size);
	b.len = 0;
	assert_int_equal(get_big("/v1/file/part", &b), 206);
	assert_int_equal(b.len, 1000);
	assert_memory_equal(b.buf, data + 100, 1000);
	/* The prefix alone is no match; a path under it is the handler's. */
	assert_int_equal(simple("GET", "/v1/file/", &r), 404);
	assert_error(&r, "not_found");
	assert_int_equal(simple("GET", "/v1/file/other", &r), 404);
	assert_int_equal(simple("POST", "/v1/file/whole", &r), 405);
	/* Away after the first chunk, a few times: the server goes on. */
	for (int i = 0; i < 3; i++) {
		b.len = 0;
		b.stop_at = HTTPD_STREAM_CHUNK;
		assert_int_equal(get_big("/v1/file/whole", &b), 0);
	}
	b.len = 0;
	b.stop_at = 0;
	assert_int_equal(get_big("/v1/file/whole", &b), 200);
	assert_int_equal(b.len, size);
	assert_int_equal(simple("GET", "/v1/health", &r), 200);
	(void)unlink(stream_path);
	free(b.buf);
	free(data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_health),
		cmocka_unit_test(test_not_found),
		cmocka_unit_test(test_method_not_allowed),
		cmocka_unit_test(test_body),
		cmocka_unit_test(test_too_large),
		cmocka_unit_test(test_headers_too_large),
		cmocka_unit_test(test_client_cert),
		cmocka_unit_test(test_client_cert_other_ca),
		cmocka_unit_test(test_tls_versions),
		cmocka_unit_test(test_bad_request_line),
		cmocka_unit_test(test_keepalive),
		cmocka_unit_test(test_concurrent),
		cmocka_unit_test(test_two_workers),
		cmocka_unit_test(test_alive_heartbeat),
		cmocka_unit_test(test_handler_contract),
		cmocka_unit_test(test_reply_header),
		cmocka_unit_test(test_reply_file),
		cmocka_unit_test(test_start_errors),
		cmocka_unit_test(test_run_until_signal),
	};

	/* A client writing to a connection the server has just closed gets EPIPE,
	 * not killed. */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
