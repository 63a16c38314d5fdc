// SPDX-License-Identifier: Apache-2.0
// Unit tests for the HTTPS server layer: TLS, client certificates, routing,
// limits, timeouts, threads and shutdown, driven by libcurl and raw sockets.
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <json-c/json.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "httpd.h"
#include "util.h"

#define TEST_TIMEOUT_S 2
#define TEST_MAX_BODY 4096
#define SLOW_MS 600

struct fixture {
	char dir[64];
	char ca[128], srv_cert[128], srv_key[128];
	char cli_cert[128], cli_key[128];
	char rogue_cert[128], rogue_key[128];
	char cli_fp[65];
	struct httpd *h;
	unsigned port;
};

static struct fixture g;

/* ---- throwaway PKI ---- */

static void add_ext(X509 *x, X509V3_CTX *v3, int nid, const char *value)
{
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, v3, nid, value);

	assert_non_null(ext);
	assert_int_equal(X509_add_ext(x, ext, -1), 1);
	X509_EXTENSION_free(ext);
}

/* issuer NULL: self-signed CA. san NULL: client certificate. */
static X509 *make_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *ikey,
		       const char *san, long serial)
{
	X509 *x = X509_new();
	X509_NAME *name;
	X509V3_CTX v3;
	bool ca = issuer == NULL;

	assert_non_null(x);
	assert_int_equal(X509_set_version(x, X509_VERSION_3), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), serial), 1);
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), -60));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 86400));
	assert_int_equal(X509_set_pubkey(x, key), 1);
	name = X509_get_subject_name(x);
	assert_int_equal(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
						    (const unsigned char *)cn, -1, -1, 0), 1);
	assert_int_equal(X509_set_issuer_name(x, ca ? name : X509_get_subject_name(issuer)), 1);
	X509V3_set_ctx(&v3, ca ? x : issuer, x, NULL, NULL, 0);
	add_ext(x, &v3, NID_basic_constraints, ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
	add_ext(x, &v3, NID_key_usage,
		ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature");
	add_ext(x, &v3, NID_subject_key_identifier, "hash");
	if (!ca) {
		add_ext(x, &v3, NID_ext_key_usage, san ? "serverAuth" : "clientAuth");
		if (san)
			add_ext(x, &v3, NID_subject_alt_name, san);
	}
	assert_true(X509_sign(x, ca ? key : ikey, EVP_sha256()) > 0);
	return x;
}

static void write_cert(const char *path, X509 *x)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(PEM_write_X509(f, x), 1);
	assert_int_equal(fclose(f), 0);
}

static void write_key(const char *path, EVP_PKEY *k)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL), 1);
	assert_int_equal(fclose(f), 0);
}

static void path_in(char *out, size_t cap, const char *name)
{
	assert_int_equal(gw_snprintf(out, cap, "%s/%s", g.dir, name), 0);
}

static void make_pki(void)
{
	EVP_PKEY *cak = EVP_EC_gen("P-256"), *sk = EVP_EC_gen("P-256");
	EVP_PKEY *ck = EVP_EC_gen("P-256"), *rk = EVP_EC_gen("P-256");
	EVP_PKEY *rck = EVP_EC_gen("P-256");
	X509 *ca, *srv, *cli, *rca, *rcli;
	unsigned char md[32];
	unsigned int mdlen = 0;

	assert_true(cak && sk && ck && rk && rck);
	ca = make_cert("Gatewarden test CA", cak, NULL, NULL, NULL, 1);
	srv = make_cert("127.0.0.1", sk, ca, cak, "IP:127.0.0.1", 2);
	cli = make_cert("device-0001", ck, ca, cak, NULL, 3);
	rca = make_cert("Rogue CA", rck, NULL, NULL, NULL, 1);
	rcli = make_cert("device-0001", rk, rca, rck, NULL, 3);

	path_in(g.ca, sizeof(g.ca), "ca.pem");
	path_in(g.srv_cert, sizeof(g.srv_cert), "server.pem");
	path_in(g.srv_key, sizeof(g.srv_key), "server.key");
	path_in(g.cli_cert, sizeof(g.cli_cert), "client.pem");
	path_in(g.cli_key, sizeof(g.cli_key), "client.key");
	path_in(g.rogue_cert, sizeof(g.rogue_cert), "rogue.pem");
	path_in(g.rogue_key, sizeof(g.rogue_key), "rogue.key");
	write_cert(g.ca, ca);
	write_cert(g.srv_cert, srv);
	write_key(g.srv_key, sk);
	write_cert(g.cli_cert, cli);
	write_key(g.cli_key, ck);
	write_cert(g.rogue_cert, rcli);
	write_key(g.rogue_key, rk);

	assert_int_equal(X509_digest(cli, EVP_sha256(), md, &mdlen), 1);
	gw_hex_encode(md, mdlen, g.cli_fp);

	X509_free(ca);
	X509_free(srv);
	X509_free(cli);
	X509_free(rca);
	X509_free(rcli);
	EVP_PKEY_free(cak);
	EVP_PKEY_free(sk);
	EVP_PKEY_free(ck);
	EVP_PKEY_free(rk);
	EVP_PKEY_free(rck);
}

/* ---- server side: per-thread app contexts and handlers ---- */

struct app {
	unsigned idx;
};

static atomic_uint inits, finis, fini_mismatch;
static atomic_int twice_second_rc;
static atomic_int header_bad_rc, header_late_rc;
static atomic_int slow_entered;

static void *app_init(unsigned idx, void *arg)
{
	struct app *a;

	if (arg && *(const unsigned *)arg == idx)
		return NULL; /* the failing-worker test */
	a = calloc(1, sizeof(*a));
	if (a) {
		a->idx = idx;
		atomic_fetch_add(&inits, 1);
	}
	return a;
}

static void app_fini(unsigned idx, void *app, void *arg)
{
	(void)arg;
	/* cmocka asserts belong to the test thread: count mismatches instead */
	if (((struct app *)app)->idx != idx)
		atomic_fetch_add(&fini_mismatch, 1);
	free(app);
	atomic_fetch_add(&finis, 1);
}

static void reply_obj(struct httpd_req *req, json_object *o)
{
	httpd_reply_json(req, 200, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
}

static void h_health(struct httpd_req *req)
{
	const struct app *a = req->app;
	json_object *o = json_object_new_object();

	json_object_object_add(o, "status", json_object_new_string("ok"));
	json_object_object_add(o, "thread", json_object_new_int((int)req->thread_idx));
	json_object_object_add(o, "app", json_object_new_int(a ? (int)a->idx : -1));
	json_object_object_add(o, "remote", json_object_new_string(req->remote_addr));
	reply_obj(req, o);
}

static void h_echo(struct httpd_req *req)
{
	httpd_reply_json(req, 200, (const char *)req->body);
}

static void h_whoami(struct httpd_req *req)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "cn", json_object_new_string(req->peer_cn));
	json_object_object_add(o, "fingerprint",
			       json_object_new_string(req->peer_fingerprint));
	json_object_object_add(o, "has_cert", json_object_new_boolean(req->peer_cert != NULL));
	reply_obj(req, o);
}

static void h_slow(struct httpd_req *req)
{
	struct timespec ts = { 0, SLOW_MS * 1000000L };
	json_object *o = json_object_new_object();

	atomic_store(&slow_entered, 1);
	nanosleep(&ts, NULL);
	json_object_object_add(o, "thread", json_object_new_int((int)req->thread_idx));
	reply_obj(req, o);
}

static void h_silent(struct httpd_req *req)
{
	(void)req;
}

static void h_twice(struct httpd_req *req)
{
	if (httpd_reply_error(req, 409, "conflict", "first %d", 1) == 0)
		atomic_store(&twice_second_rc, httpd_reply_json(req, 200, "{}"));
}

/* A header added before the reply goes out with it; one that would inject another
 * header is refused; one after the reply is too late. */
static void h_limited(struct httpd_req *req)
{
	atomic_store(&header_bad_rc, httpd_reply_header(req, "X-Test", "1\r\nX-Injected: 1"));
	if (httpd_reply_header(req, "Retry-After", "7"))
		return;
	httpd_reply_error(req, 429, "rate_limited", "slow down");
	atomic_store(&header_late_rc, httpd_reply_header(req, "X-Late", "1"));
}

static const struct httpd_route routes[] = {
	{ "GET", "/v1/health", h_health, 0 },
	{ "POST", "/v1/echo", h_echo, 0 },
	{ "PUT", "/v1/echo", h_echo, 0 },
	{ "GET", "/v1/device/whoami", h_whoami, HTTPD_NEEDS_CLIENT_CERT },
	{ "GET", "/v1/slow", h_slow, 0 },
	{ "GET", "/v1/silent", h_silent, 0 },
	{ "GET", "/v1/twice", h_twice, 0 },
	{ "GET", "/v1/limited", h_limited, 0 },
};

static struct httpd_config server_config(void)
{
	struct httpd_config cfg = {
		.listen = "127.0.0.1:0",
		.cert_file = g.srv_cert,
		.key_file = g.srv_key,
		.client_ca_file = g.ca,
		.threads = 2,
		.max_body = TEST_MAX_BODY,
		.timeout_s = TEST_TIMEOUT_S,
	};
	return cfg;
}

static int group_setup(void **state)
{
	struct httpd_config cfg;
	gw_error err = { { 0 } };
	int rc;

	(void)state;
	if (gw_snprintf(g.dir, sizeof(g.dir), "/tmp/gw-httpd-XXXXXX") != 0 || !mkdtemp(g.dir))
		return -1;
	make_pki();
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -1;
	cfg = server_config();
	rc = httpd_start(&cfg, routes, GW_ARRAY_SIZE(routes), app_init, app_fini, NULL,
			 &g.h, &err);
	if (rc) {
		fprintf(stderr, "httpd_start: %s\n", gw_error_msg(&err, rc));
		return -1;
	}
	g.port = httpd_port(g.h);
	return g.port ? 0 : -1;
}

static int group_teardown(void **state)
{
	static const char *const names[] = {
		"ca.pem", "server.pem", "server.key", "client.pem", "client.key",
		"rogue.pem", "rogue.key",
	};
	char p[128];

	(void)state;
	httpd_stop(g.h);
	g.h = NULL;
	for (size_t i = 0; i < GW_ARRAY_SIZE(names); i++) {
		path_in(p, sizeof(p), names[i]);
		unlink(p);
	}
	rmdir(g.dir);
	curl_global_cleanup();
	libevent_global_shutdown();
	return 0;
}

/* ---- client side ---- */

struct resp {
	char buf[16384];
	size_t len;
};

static size_t on_data(char *p, size_t sz, size_t n, void *ud)
{
	struct resp *r = ud;
	size_t k = sz * n;

	if (k > sizeof(r->buf) - 1 - r->len)
		return 0;
	memcpy(r->buf + r->len, p, k);
	r->len += k;
	r->buf[r->len] = '\0';
	return k;
}

struct call {
	const char *method;
	const char *path;
	const char *body;
	size_t body_len;
	const char *ctype;
	const char *cert, *key;
	long sslversion;
	const char *extra_header;
};

/* One request on handle c (a fresh handle when c is NULL). */
static CURLcode do_call(CURL *c, const struct call *in, long *status, struct resp *r)
{
	CURL *own = NULL;
	struct curl_slist *hdrs = NULL;
	char url[256], ct[128];
	CURLcode cc;

	if (!c)
		c = own = curl_easy_init();
	assert_non_null(c);
	memset(r, 0, sizeof(*r));
	*status = 0;
	assert_int_equal(gw_snprintf(url, sizeof(url), "https://127.0.0.1:%u%s", g.port,
				     in->path), 0);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CAINFO, g.ca);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, in->method);
	if (in->body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, in->body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)in->body_len);
	} else {
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, in->method);
	}
	if (in->ctype) {
		assert_int_equal(gw_snprintf(ct, sizeof(ct), "Content-Type: %s", in->ctype), 0);
		hdrs = curl_slist_append(hdrs, ct);
	}
	if (in->extra_header)
		hdrs = curl_slist_append(hdrs, in->extra_header);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	if (in->cert) {
		curl_easy_setopt(c, CURLOPT_SSLCERT, in->cert);
		curl_easy_setopt(c, CURLOPT_SSLKEY, in->key);
	}
	if (in->sslversion)
		curl_easy_setopt(c, CURLOPT_SSLVERSION, in->sslversion);
	cc = curl_easy_perform(c);
	if (cc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(own);
	return cc;
}

static long simple(const char *method, const char *path, struct resp *r)
{
	struct call in = { .method = method, .path = path };
	long status;

	assert_int_equal(do_call(NULL, &in, &status, r), CURLE_OK);
	return status;
}

static json_object *parse(const struct resp *r)
{
	json_object *o = json_tokener_parse(r->buf);

	if (!o)
		fail_msg("not JSON: %s", r->buf);
	return o;
}

static const char *str_at(json_object *o, const char *a, const char *b)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(o, a, &v))
		return NULL;
	if (b && !json_object_object_get_ex(v, b, &v))
		return NULL;
	return json_object_get_string(v);
}

static void assert_error(const struct resp *r, const char *code)
{
	json_object *o = parse(r);

	assert_non_null(str_at(o, "error", "code"));
	assert_string_equal(str_at(o, "error", "code"), code);
	assert_non_null(str_at(o, "error", "message"));
	assert_true(strlen(str_at(o, "error", "message")) > 0);
	json_object_put(o);
}

/* ---- raw TCP and TLS clients for what curl will not do ---- */

static int tcp_connect(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	sa.sin_port = htons((uint16_t)g.port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct tls_client {
	SSL_CTX *ctx;
	SSL *ssl;
	int fd;
};

/* Returns 1 when the handshake succeeded. */
static int tls_open(struct tls_client *t, int min, int max)
{
	int ok;

	t->ctx = SSL_CTX_new(TLS_client_method());
	assert_non_null(t->ctx);
	/* Let this client offer what a modern OpenSSL would refuse to. */
	SSL_CTX_set_security_level(t->ctx, 0);
	assert_int_equal(SSL_CTX_set_cipher_list(t->ctx, "DEFAULT:@SECLEVEL=0"), 1);
	assert_int_equal(SSL_CTX_set_min_proto_version(t->ctx, min), 1);
	assert_int_equal(SSL_CTX_set_max_proto_version(t->ctx, max), 1);
	assert_int_equal(SSL_CTX_load_verify_locations(t->ctx, g.ca, NULL), 1);
	SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, NULL);
	t->fd = tcp_connect();
	t->ssl = SSL_new(t->ctx);
	assert_non_null(t->ssl);
	assert_int_equal(SSL_set_fd(t->ssl, t->fd), 1);
	ok = SSL_connect(t->ssl) == 1;
	ERR_clear_error();
	return ok;
}

static void tls_close(struct tls_client *t)
{
	SSL_free(t->ssl);
	SSL_CTX_free(t->ctx);
	close(t->fd);
	ERR_clear_error();
}

/* Read until the server closes; returns seconds waited, or -1 if it stayed open
 * for limit seconds. The received bytes go to buf. */
static double tls_read_until_close(struct tls_client *t, double limit, char *buf,
				   size_t cap)
{
	struct timeval tv = { (time_t)limit, 0 };
	double t0 = now_s();
	size_t len = 0;

	assert_int_equal(setsockopt(t->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	buf[0] = '\0';
	for (;;) {
		int n = SSL_read(t->ssl, buf + len, (int)(cap - 1 - len));

		if (n > 0) {
			len += (size_t)n;
			buf[len] = '\0';
			if (len + 1 >= cap)
				return -1;
			continue;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK || now_s() - t0 >= limit)
			return -1;
		return now_s() - t0;
	}
}

/* Send req over a new TLS connection and read until the server closes; returns
 * the seconds waited (-1: still open after limit s). */
static double tls_send_until_close(const char *req, double limit, char *buf, size_t cap)
{
	struct tls_client t;
	size_t len = strlen(req);
	double waited;

	assert_int_equal(tls_open(&t, TLS1_2_VERSION, 0), 1);
	assert_int_equal(SSL_write(t.ssl, req, (int)len), (int)len);
	waited = tls_read_until_close(&t, limit, buf, cap);
	tls_close(&t);
	return waited;
}

/* ---- tests ---- */

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

static void *event_malloc(size_t n)
{
	return fail_now(&event_fail_after) ? NULL : malloc(n);
}

static void *event_realloc(void *p, size_t n)
{
	return fail_now(&event_fail_after) ? NULL : realloc(p, n);
}

/* A plain-text request on a connection whose TLS state could not be made:
 * closed without an answer (before the fix evhttp served it in plain HTTP,
 * uncounted), and the server serves the next client. */
static void oom_round(atomic_int *after, int skip)
{
	static const char req[] = "GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
	struct resp r;
	int fd;

	/* Nothing else allocates on either allocator while this connection is
	 * accepted: the other worker is idle, the client here is plain TCP. */
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
	/* libevent 2.1.12 after accept: evhttp copies host and port (2), then
	 * bufferevent_openssl_socket_new allocates (the 3rd), which frees the SSL
	 * itself when it fails: freeing it again was a double free. */
	oom_round(&event_fail_after, 2);
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
		cmocka_unit_test(test_stall_before_handshake),
		cmocka_unit_test(test_stall_mid_request),
		cmocka_unit_test(test_stall_idle_keepalive),
		cmocka_unit_test(test_keepalive),
		cmocka_unit_test(test_concurrent),
		cmocka_unit_test(test_two_workers),
		cmocka_unit_test(test_handler_contract),
		cmocka_unit_test(test_reply_header),
		cmocka_unit_test(test_start_errors),
		cmocka_unit_test(test_run_until_signal),
		cmocka_unit_test(test_cap_per_source),
		cmocka_unit_test(test_cap_total),
		cmocka_unit_test(test_cap_handshakes),
		cmocka_unit_test(test_close_paths_release),
		cmocka_unit_test(test_deadlines),
		cmocka_unit_test(test_declared_too_large),
		cmocka_unit_test(test_oom_tls_state),
		cmocka_unit_test(test_oom_tls_bufferevent),
	};

	/* A client writing to a connection the server has just refused or closed
	 * (test_cap_handshakes retries, the close paths) gets EPIPE, not killed. */
	signal(SIGPIPE, SIG_IGN);
	/* Before OpenSSL or libevent allocates anything. */
	crypto_hooked = CRYPTO_set_mem_functions(crypto_malloc, crypto_realloc, crypto_free) == 1;
	event_set_mem_functions(event_malloc, event_realloc, free);
	event_hooked = true;
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
