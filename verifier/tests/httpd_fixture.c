// SPDX-License-Identifier: Apache-2.0
// What the HTTPS server's unit tests share (httpd_fixture.h): a throwaway PKI, the
// server they talk to, its test handlers, and libcurl and raw TLS clients.
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <json-c/json.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "httpd.h"
#include "httpd_fixture.h"
#include "util.h"

struct fixture g;

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

atomic_uint inits, finis, fini_mismatch;
atomic_int twice_second_rc;
atomic_int header_bad_rc, header_late_rc;
atomic_int slow_entered;

void *app_init(unsigned idx, void *arg)
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

void app_fini(unsigned idx, void *app, void *arg)
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

char stream_path[160];

/* /v1/file/NAME streams stream_path: "whole" all of it (200), "part" bytes
 * 100..1099 (206), "gone" a file that cannot be opened (404 from the handler). */
static void h_file(struct httpd_req *req)
{
	const char *name = req->path + strlen("/v1/file/");
	bool whole = !strcmp(name, "whole"), part = !strcmp(name, "part");
	struct stat sb;
	int fd = open(stream_path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &sb) || (!whole && !part)) {
		if (fd >= 0)
			close(fd);
		httpd_reply_error(req, 404, "not_found", "no file");
		return;
	}
	if (part)
		httpd_reply_file(req, 206, fd, 100, 1000, "application/octet-stream");
	else
		httpd_reply_file(req, 200, fd, 0, (uint64_t)sb.st_size, "application/octet-stream");
}

const struct httpd_route routes[] = {
	{ "GET", "/v1/health", h_health, 0 },
	{ "POST", "/v1/echo", h_echo, 0 },
	{ "PUT", "/v1/echo", h_echo, 0 },
	{ "GET", "/v1/device/whoami", h_whoami, HTTPD_NEEDS_CLIENT_CERT },
	{ "GET", "/v1/slow", h_slow, 0 },
	{ "GET", "/v1/silent", h_silent, 0 },
	{ "GET", "/v1/twice", h_twice, 0 },
	{ "GET", "/v1/limited", h_limited, 0 },
	{ "GET", "/v1/file/", h_file, HTTPD_PATH_PREFIX },
};

struct httpd_config server_config(void)
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

int group_setup(void **state)
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

int group_teardown(void **state)
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

size_t on_data(char *p, size_t sz, size_t n, void *ud)
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

/* One request on handle c (a fresh handle when c is NULL). */
CURLcode do_call(CURL *c, const struct call *in, long *status, struct resp *r)
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

long simple(const char *method, const char *path, struct resp *r)
{
	struct call in = { .method = method, .path = path };
	long status;

	assert_int_equal(do_call(NULL, &in, &status, r), CURLE_OK);
	return status;
}

json_object *parse(const struct resp *r)
{
	json_object *o = json_tokener_parse(r->buf);

	if (!o)
		fail_msg("not JSON: %s", r->buf);
	return o;
}

const char *str_at(json_object *o, const char *a, const char *b)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(o, a, &v))
		return NULL;
	if (b && !json_object_object_get_ex(v, b, &v))
		return NULL;
	return json_object_get_string(v);
}

void assert_error(const struct resp *r, const char *code)
{
	json_object *o = parse(r);

	assert_non_null(str_at(o, "error", "code"));
	assert_string_equal(str_at(o, "error", "code"), code);
	assert_non_null(str_at(o, "error", "message"));
	assert_true(strlen(str_at(o, "error", "message")) > 0);
	json_object_put(o);
}

/* ---- raw TCP and TLS clients for what curl will not do ---- */

int tcp_connect(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	sa.sin_port = htons((uint16_t)g.port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Returns 1 when the handshake succeeded. */
int tls_open(struct tls_client *t, int min, int max)
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

void tls_close(struct tls_client *t)
{
	SSL_free(t->ssl);
	SSL_CTX_free(t->ctx);
	close(t->fd);
	ERR_clear_error();
}

/* Read until the server closes; returns seconds waited, or -1 if it stayed open
 * for limit seconds. The received bytes go to buf. */
double tls_read_until_close(struct tls_client *t, double limit, char *buf,
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
double tls_send_until_close(const char *req, double limit, char *buf, size_t cap)
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
