/* SPDX-License-Identifier: Apache-2.0 */
/* The fixture the HTTPS server's unit tests share (httpd_fixture.c): group_setup
 * makes a throwaway PKI in a temporary directory and starts a server on
 * 127.0.0.1 (g.port) with the test routes; the clients talk to g.port. */
#ifndef GW_HTTPD_FIXTURE_H
#define GW_HTTPD_FIXTURE_H

#include <stdatomic.h>
#include <stddef.h>

#include <curl/curl.h>
#include <json-c/json.h>
#include <openssl/ssl.h>

#include "httpd.h"

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

struct resp {
	char buf[16384];
	size_t len;
};

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

struct tls_client {
	SSL_CTX *ctx;
	SSL *ssl;
	int fd;
};

extern struct fixture g;

/* ---- server side ---- */

/* The test routes; the fixture's server and the tests' own servers use them. */
#define FIXTURE_ROUTES 9
extern const struct httpd_route routes[FIXTURE_ROUTES];
/* What the handlers and the per-thread app contexts saw, for the tests to check. */
extern atomic_uint inits, finis, fini_mismatch;
extern atomic_int twice_second_rc;
extern atomic_int header_bad_rc, header_late_rc;
extern atomic_int slow_entered;
/* The file /v1/file/NAME streams (httpd_reply_file). */
extern char stream_path[160];

void *app_init(unsigned idx, void *arg);
void app_fini(unsigned idx, void *app, void *arg);
struct httpd_config server_config(void);
int group_setup(void **state);
int group_teardown(void **state);

/* ---- client side ---- */

size_t on_data(char *p, size_t sz, size_t n, void *ud);
/* One request on handle c (a fresh handle when c is NULL). */
CURLcode do_call(CURL *c, const struct call *in, long *status, struct resp *r);
long simple(const char *method, const char *path, struct resp *r);
json_object *parse(const struct resp *r);
const char *str_at(json_object *o, const char *a, const char *b);
void assert_error(const struct resp *r, const char *code);

/* ---- raw TCP and TLS clients for what curl will not do ---- */

int tcp_connect(void);
double now_s(void);
/* Returns 1 when the handshake succeeded. */
int tls_open(struct tls_client *t, int min, int max);
void tls_close(struct tls_client *t);
/* Read until the server closes; returns seconds waited, or -1 if it stayed open
 * for limit seconds. The received bytes go to buf. */
double tls_read_until_close(struct tls_client *t, double limit, char *buf,
			    size_t cap);
/* Send req over a new TLS connection and read until the server closes; returns
 * the seconds waited (-1: still open after limit s). */
double tls_send_until_close(const char *req, double limit, char *buf, size_t cap);

#endif
