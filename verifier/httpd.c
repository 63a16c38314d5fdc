// SPDX-License-Identifier: Apache-2.0
// HTTPS server on libevent's evhttp with OpenSSL bufferevents: one listening
// socket shared by N worker threads, each with its own event loop.
#include "httpd_int.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <event2/thread.h>
#include <event2/util.h>
#include <json-c/json.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "util.h"

#define VERIFY_DEPTH 4
/* TLS 1.2 suites: forward secrecy and AEAD only. TLS 1.3 keeps OpenSSL's set. */
#define TLS12_CIPHERS "ECDHE+AESGCM:ECDHE+CHACHA20"
#define SESSION_ID_CTX "gatewarden-verifier"

static pthread_once_t evthread_once = PTHREAD_ONCE_INIT;
static int evthread_rc = -1;

static void evthread_setup(void)
{
	evthread_rc = evthread_use_pthreads();
}

int httpd_evthreads(void)
{
	pthread_once(&evthread_once, evthread_setup);
	return evthread_rc;
}

static int ssl_fail(gw_error *err, const char *what, const char *path)
{
	char buf[256] = "unknown OpenSSL error";
	unsigned long e = ERR_peek_last_error();

	if (e)
		ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	return gw_fail(err, GW_E_CRYPTO, "%s %s: %s", what, path ? path : "", buf);
}

static int tls_context(const struct httpd_config *cfg, SSL_CTX **out, gw_error *err)
{
	SSL_CTX *ctx = NULL;
	STACK_OF(X509_NAME) *names = NULL;
	int rc;

	ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx) {
		rc = ssl_fail(err, "creating TLS context", NULL);
		goto out;
	}
	if (!SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) ||
	    !SSL_CTX_set_max_proto_version(ctx, 0) ||
	    !SSL_CTX_set_cipher_list(ctx, TLS12_CIPHERS)) {
		rc = ssl_fail(err, "configuring TLS versions and ciphers", NULL);
		goto out;
	}
	/* Renegotiation could swap the client certificate under an open session;
	 * the request handlers assume it stays what the handshake verified. */
	SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_COMPRESSION |
				 SSL_OP_NO_RENEGOTIATION);
	/* The end of the handshake starts a connection's request deadline. */
	SSL_CTX_set_info_callback(ctx, httpd_tls_info);
	if (SSL_CTX_use_certificate_chain_file(ctx, cfg->cert_file) != 1) {
		rc = ssl_fail(err, "loading server certificate", cfg->cert_file);
		goto out;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, cfg->key_file, SSL_FILETYPE_PEM) != 1) {
		rc = ssl_fail(err, "loading server key", cfg->key_file);
		goto out;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		rc = ssl_fail(err, "server key does not match certificate", cfg->key_file);
		goto out;
	}
	/* Resumed sessions keep the verified peer certificate; OpenSSL refuses to
	 * resume a client-authenticated session without an id context. */
	if (SSL_CTX_set_session_id_context(ctx, (const unsigned char *)SESSION_ID_CTX,
					   sizeof(SESSION_ID_CTX) - 1) != 1) {
		rc = ssl_fail(err, "setting session id context", NULL);
		goto out;
	}
	if (cfg->client_ca_file) {
		if (SSL_CTX_load_verify_locations(ctx, cfg->client_ca_file, NULL) != 1) {
			rc = ssl_fail(err, "loading client CA", cfg->client_ca_file);
			goto out;
		}
		names = SSL_load_client_CA_file(cfg->client_ca_file);
		if (!names) {
			rc = ssl_fail(err, "reading client CA names", cfg->client_ca_file);
			goto out;
		}
		SSL_CTX_set_client_CA_list(ctx, names);
		names = NULL; /* transferred */
		/* Asked for, not required: enrollment comes without one. A certificate
		 * that is presented and fails verification aborts the handshake. */
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
		SSL_CTX_set_verify_depth(ctx, VERIFY_DEPTH);
	}
	*out = ctx;
	ctx = NULL; /* transferred */
	rc = 0;
out:
	SSL_CTX_free(ctx);
	return rc;
}

static const char *method_name(enum evhttp_cmd_type cmd)
{
	switch (cmd) {
	case EVHTTP_REQ_GET: return "GET";
	case EVHTTP_REQ_POST: return "POST";
	case EVHTTP_REQ_HEAD: return "HEAD";
	case EVHTTP_REQ_PUT: return "PUT";
	case EVHTTP_REQ_DELETE: return "DELETE";
	case EVHTTP_REQ_OPTIONS: return "OPTIONS";
	case EVHTTP_REQ_TRACE: return "TRACE";
	case EVHTTP_REQ_CONNECT: return "CONNECT";
	case EVHTTP_REQ_PATCH: return "PATCH";
	}
	return "UNKNOWN";
}

static int send_reply(struct req_ctx *rc, int status, const char *json_text)
{
	struct evkeyvalq *hdrs = evhttp_request_get_output_headers(rc->ev);
	struct evbuffer *buf = NULL;
	int ret;

	if (rc->replied)
		return GW_E_STATE;
	buf = evbuffer_new();
	if (!buf || evbuffer_add(buf, json_text, strlen(json_text)) != 0 ||
	    evbuffer_add(buf, "\n", 1) != 0) {
		ret = GW_E_NOMEM;
		goto out;
	}
	if (evhttp_add_header(hdrs, "Content-Type", "application/json") != 0 ||
	    evhttp_add_header(hdrs, "Cache-Control", "no-store") != 0 ||
	    evhttp_add_header(hdrs, "X-Content-Type-Options", "nosniff") != 0) {
		ret = GW_E_NOMEM;
		goto out;
	}
	/* libevent 2.1 knows no phrase for 429 and would say "Client Error". */
	evhttp_send_reply(rc->ev, status, status == 429 ? "Too Many Requests" : NULL, buf);
	rc->replied = true;
	ret = 0;
out:
	evbuffer_free(buf);
	return ret;
}

int httpd_reply_json(struct httpd_req *req, int status, const char *json_text)
{
	return send_reply((struct req_ctx *)req, status, json_text);
}

static int vreply_error(struct req_ctx *rc, int status, const char *code,
			const char *fmt, va_list ap) __attribute__((format(printf, 4, 0)));

static int vreply_error(struct req_ctx *rc, int status, const char *code,
			const char *fmt, va_list ap)
{
	json_object *root = NULL, *inner = NULL, *s = NULL;
	char msg[512];
	const char *text;
	int ret;

	if (rc->replied)
		return GW_E_STATE;
	vsnprintf(msg, sizeof(msg), fmt, ap); /* a cut message is still a message */
	root = json_object_new_object();
	inner = json_object_new_object();
	if (!root || !inner) {
		ret = GW_E_NOMEM;
		goto out;
	}
	s = json_object_new_string(code);
	if (!s || json_object_object_add(inner, "code", s) != 0) {
		json_object_put(s);
		ret = GW_E_NOMEM;
		goto out;
	}
	s = json_object_new_string(msg);
	if (!s || json_object_object_add(inner, "message", s) != 0) {
		json_object_put(s);
		ret = GW_E_NOMEM;
		goto out;
	}
	if (json_object_object_add(root, "error", inner) != 0) {
		ret = GW_E_NOMEM;
		goto out;
	}
	inner = NULL; /* transferred */
	text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN |
						    JSON_C_TO_STRING_NOSLASHESCAPE);
	ret = text ? send_reply(rc, status, text) : GW_E_NOMEM;
out:
	json_object_put(inner);
	json_object_put(root);
	return ret;
}

int httpd_reply_error(struct httpd_req *req, int status, const char *code,
		      const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vreply_error((struct req_ctx *)req, status, code, fmt, ap);
	va_end(ap);
	return ret;
}

static void reply_error(struct req_ctx *rc, int status, const char *code,
			const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* The dispatcher's own answers; if even that fails, a bare status line. */
static void reply_error(struct req_ctx *rc, int status, const char *code,
			const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vreply_error(rc, status, code, fmt, ap);
	va_end(ap);
	if (ret != 0 && !rc->replied) {
		evhttp_send_error(rc->ev, status, NULL);
		rc->replied = true;
	}
}

int httpd_reply_header(struct httpd_req *req, const char *name, const char *value)
{
	struct req_ctx *rc = (struct req_ctx *)req;

	if (rc->replied)
		return GW_E_STATE;
	/* evhttp refuses a name with CR or LF and a value whose line break would
	 * start another header: no header injection. */
	if (!name || !value ||
	    evhttp_add_header(evhttp_request_get_output_headers(rc->ev), name, value) != 0)
		return GW_E_INVAL;
	return 0;
}

const char *httpd_req_header(const struct httpd_req *req, const char *name)
{
	const struct req_ctx *rc = (const struct req_ctx *)req;

	return evhttp_find_header(evhttp_request_get_input_headers(rc->ev), name);
}

/* "application/json", optionally with parameters ("; charset=utf-8"). */
static bool is_json_type(const char *ct)
{
	static const char want[] = "application/json";
	size_t n = sizeof(want) - 1;

	if (!ct)
		return false;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	if (strncasecmp(ct, want, n) != 0)
		return false;
	ct += n;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	return *ct == '\0' || *ct == ';';
}

static void peer_identity(struct req_ctx *rc, SSL *ssl)
{
	X509 *cert = SSL_get0_peer_certificate(ssl);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	int n;

	if (!cert || SSL_get_verify_result(ssl) != X509_V_OK)
		return;
	if (X509_digest(cert, EVP_sha256(), md, &mdlen) != 1 || mdlen != 32)
		return;
	gw_hex_encode(md, mdlen, rc->fingerprint);
	rc->pub.peer_cert = cert;
	rc->pub.peer_fingerprint = rc->fingerprint;
	n = X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, rc->cn,
				      (int)sizeof(rc->cn));
	/* A CN with an embedded NUL would be cut short: ignore it altogether. */
	if (n > 0 && (size_t)n == strlen(rc->cn))
		rc->pub.peer_cn = rc->cn;
}

static void remote_address(struct req_ctx *rc, struct evhttp_connection *evcon)
{
	srcaddr_format(evhttp_connection_get_addr(evcon), true, rc->remote, sizeof(rc->remote));
}

/* Exactly the route's path, or for a HTTPD_PATH_PREFIX route, its path and more. */
static bool route_matches(const struct httpd_route *r, const char *path)
{
	size_t n;

	if (!(r->flags & HTTPD_PATH_PREFIX))
		return strcmp(r->path, path) == 0;
	n = strlen(r->path);
	return strncmp(r->path, path, n) == 0 && path[n] != '\0';
}

static void dispatch(struct evhttp_request *ev, void *arg)
{
	struct worker *w = arg;
	struct httpd *h = w->h;
	struct req_ctx rc;
	struct evhttp_connection *evcon = evhttp_request_get_connection(ev);
	struct bufferevent *bev = evcon ? evhttp_connection_get_bufferevent(evcon) : NULL;
	SSL *ssl = bev ? bufferevent_openssl_get_ssl(bev) : NULL;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(ev);
	struct evbuffer *in = evhttp_request_get_input_buffer(ev);
	const struct httpd_route *route = NULL;
	uint8_t *body = NULL;
	char allow[128] = "";
	size_t len;

	memset(&rc, 0, sizeof(rc));
	rc.ev = ev;
	rc.pub.method = method_name(evhttp_request_get_command(ev));
	rc.pub.thread_idx = w->idx;
	rc.pub.app = w->app;
	rc.pub.remote_addr = rc.remote;

	/* evhttp falls back to a plain socket if the TLS bufferevent could not be
	 * made; never serve on one. */
	if (!ssl) {
		evhttp_add_header(evhttp_request_get_output_headers(ev), "Connection", "close");
		reply_error(&rc, 500, "internal_error", "connection without TLS");
		goto out;
	}
	httpd_conn_busy(ssl);
	rc.ssl = ssl;
	remote_address(&rc, evcon);
	peer_identity(&rc, ssl);

	rc.pub.path = uri ? evhttp_uri_get_path(uri) : NULL;
	rc.pub.query = uri ? evhttp_uri_get_query(uri) : NULL;
	if (!rc.pub.path || rc.pub.path[0] != '/') {
		reply_error(&rc, 400, "bad_request", "request target is not an absolute path");
		goto out;
	}

	for (size_t i = 0; i < h->nroutes; i++) {
		if (!route_matches(&h->routes[i], rc.pub.path))
			continue;
		if (!strcmp(h->routes[i].method, rc.pub.method)) {
			route = &h->routes[i];
			break;
		}
		len = strlen(allow);
		if (gw_snprintf(allow + len, sizeof(allow) - len, "%s%s", len ? ", " : "",
				h->routes[i].method) != 0)
			allow[len] = '\0';
	}
	if (!route) {
		if (allow[0]) {
			evhttp_add_header(evhttp_request_get_output_headers(ev), "Allow", allow);
			reply_error(&rc, 405, "method_not_allowed",
				    "method %s not allowed on %s (allowed: %s)", rc.pub.method,
				    rc.pub.path, allow);
		} else {
			reply_error(&rc, 404, "not_found", "no such resource: %s", rc.pub.path);
		}
		goto out;
	}
	if ((route->flags & HTTPD_NEEDS_CLIENT_CERT) && !rc.pub.peer_cert) {
		httpd_log_limited(h, &h->log_no_cert,
				  "refused action=client_certificate source=%s path=%s: "
				  "client_certificate_required", rc.remote, rc.pub.path);
		reply_error(&rc, 401, "client_certificate_required",
			    "%s needs a device client certificate issued by this verifier",
			    rc.pub.path);
		goto out;
	}

	len = evbuffer_get_length(in);
	/* evhttp enforces the cap while reading; this is the backstop. */
	if (len > h->max_body) {
		reply_error(&rc, 413, "too_large", "request body over %zu bytes", h->max_body);
		goto out;
	}
	if (len > 0) {
		if (!is_json_type(httpd_req_header(&rc.pub, "Content-Type"))) {
			reply_error(&rc, 415, "unsupported_media_type",
				    "request body must be application/json");
			goto out;
		}
		body = malloc(len + 1);
		if (!body) {
			reply_error(&rc, 500, "internal_error", "out of memory");
			goto out;
		}
		if (evbuffer_copyout(in, body, len) != (ev_ssize_t)len) {
			reply_error(&rc, 500, "internal_error", "reading request body");
			goto out;
		}
		body[len] = '\0';
		rc.pub.body = body;
		rc.pub.body_len = len;
	}

	route->handler(&rc.pub);
	if (!rc.replied)
		reply_error(&rc, 500, "internal_error", "the handler for %s gave no answer",
			    rc.pub.path);
out:
	/* The next request on this connection has its own deadline; a streamed
	 * answer starts it when its last byte is handed over (httpd_stream.c). */
	if (!rc.streaming)
		httpd_conn_answered(ssl);
	free(body);
}

static void stop_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	event_base_loopbreak(arg);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct httpd *h = w->h;
	void *app = NULL;
	bool ok = true;

	if (h->thread_init) {
		app = h->thread_init(w->idx, h->arg);
		ok = app != NULL;
	}
	w->app = app;
	pthread_mutex_lock(&h->lock);
	if (ok)
		h->ready++;
	else
		h->failed++;
	pthread_cond_broadcast(&h->cond);
	pthread_mutex_unlock(&h->lock);

	httpd_worker_this_thread(w);
	if (ok)
		event_base_dispatch(w->base);
	/* From here on no connection that closes may touch the listener. */
	w->stopping = true;
	/* Connections go before the context their handlers used. */
	evhttp_free(w->http);
	w->http = NULL;
	if (ok && h->thread_fini)
		h->thread_fini(w->idx, app, h->arg);
	return NULL;
}

static int worker_setup(struct worker *w, const struct httpd_config *cfg, gw_error *err)
{
	int rc;

	w->base = event_base_new();
	if (!w->base)
		return gw_fail(err, GW_E_NOMEM, "worker %u: event_base_new failed", w->idx);
	w->stop_ev = event_new(w->base, -1, 0, stop_cb, w->base);
	w->http = evhttp_new(w->base);
	if (!w->stop_ev || !w->http)
		return gw_fail(err, GW_E_NOMEM, "worker %u: evhttp_new failed", w->idx);
	evhttp_set_max_body_size(w->http, (ev_ssize_t)cfg->max_body);
	evhttp_set_max_headers_size(w->http, (ev_ssize_t)cfg->max_headers);
	evhttp_set_timeout(w->http, (int)cfg->timeout_s);
	/* Every method reaches the dispatcher, which answers 405 in JSON. */
	evhttp_set_allowed_methods(w->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
				   EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
				   EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE |
				   EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
	/* No EVHTTP_SERVER_LINGERING_CLOSE: with it evhttp reads (and drops) a body
	 * declared over the cap before it answers 413, so a client that declares a
	 * large body and waits got no answer at all. Without it the 413 leaves as
	 * soon as the headers are read. */
	evhttp_set_bevcb(w->http, httpd_tls_bufferevent, w);
	evhttp_set_gencb(w->http, dispatch, w);
	rc = httpd_worker_alive_setup(w, err);
	return rc ? rc : httpd_worker_net_setup(w, err);
}

static void httpd_free(struct httpd *h)
{
	if (!h)
		return;
	/* Every worker stops before any event is freed: a connection one worker
	 * closes wakes the others' listeners (httpd_net.c). */
	for (unsigned i = 0; h->workers && i < h->nworkers; i++) {
		struct worker *w = &h->workers[i];

		if (w->started) {
			event_active(w->stop_ev, EV_READ, 0);
			pthread_join(w->thread, NULL);
		}
		w->stopping = true;
		if (w->http)
			evhttp_free(w->http);
		w->http = NULL;
	}
	for (unsigned i = 0; h->workers && i < h->nworkers; i++) {
		struct worker *w = &h->workers[i];

		httpd_worker_net_fini(w);
		httpd_worker_alive_fini(w);
		if (w->stop_ev)
			event_free(w->stop_ev);
		if (w->base)
			event_base_free(w->base);
	}
	free(h->workers);
	if (h->fd >= 0)
		close(h->fd);
	SSL_CTX_free(h->ssl_ctx);
	httpd_net_fini(h);
	pthread_cond_destroy(&h->cond);
	pthread_mutex_destroy(&h->lock);
	free(h);
}

/* Zero fields take their defaults; values out of range are refused. */
static int config_complete(struct httpd_config *cfg, gw_error *err)
{
	if (!cfg->threads)
		cfg->threads = HTTPD_DEFAULT_THREADS;
	if (!cfg->max_body)
		cfg->max_body = HTTPD_DEFAULT_MAX_BODY;
	if (!cfg->max_headers)
		cfg->max_headers = HTTPD_DEFAULT_MAX_HEADERS;
	if (!cfg->timeout_s)
		cfg->timeout_s = HTTPD_DEFAULT_TIMEOUT_S;
	if (!cfg->max_conns_per_source)
		cfg->max_conns_per_source = HTTPD_DEFAULT_MAX_CONNS_PER_SOURCE;
	if (!cfg->max_conns_per_prefix)
		cfg->max_conns_per_prefix = HTTPD_DEFAULT_MAX_CONNS_PER_PREFIX;
	if (!cfg->max_handshakes_per_source)
		cfg->max_handshakes_per_source = HTTPD_DEFAULT_MAX_HANDSHAKES_PER_SOURCE;
	if (!cfg->handshake_timeout_s)
		cfg->handshake_timeout_s = HTTPD_DEFAULT_HANDSHAKE_TIMEOUT_S;
	if (!cfg->request_read_timeout_s)
		cfg->request_read_timeout_s = HTTPD_DEFAULT_REQUEST_READ_TIMEOUT_S;
	if (cfg->threads > HTTPD_MAX_THREADS || cfg->max_body > (size_t)INT32_MAX ||
	    cfg->max_headers > (size_t)INT32_MAX || cfg->timeout_s > 3600 ||
	    cfg->handshake_timeout_s > 3600 || cfg->request_read_timeout_s > 3600 ||
	    cfg->max_conns > HTTPD_MAX_CONNS || cfg->max_conns_per_source > HTTPD_MAX_CONNS ||
	    cfg->max_conns_per_prefix > HTTPD_MAX_CONNS ||
	    cfg->max_handshakes_per_source > HTTPD_MAX_CONNS)
		return gw_fail(err, GW_E_INVAL,
			       "httpd: threads <= %u, max_body and max_headers < 2 GiB, "
			       "timeouts <= 3600 s, connection caps <= %u", HTTPD_MAX_THREADS,
			       HTTPD_MAX_CONNS);
	return 0;
}

int httpd_start(const struct httpd_config *cfg_in, const struct httpd_route *routes,
		size_t nroutes, httpd_thread_init_fn thread_init,
		httpd_thread_fini_fn thread_fini, void *arg, struct httpd **out,
		gw_error *err)
{
	struct httpd_config cfg;
	struct httpd *h = NULL;
	sigset_t all, old;
	int rc;

	if (!cfg_in || !cfg_in->listen || !cfg_in->cert_file || !cfg_in->key_file ||
	    (nroutes && !routes) || !out)
		return gw_fail(err, GW_E_INVAL, "httpd: listen, cert_file and key_file are required");
	for (size_t i = 0; i < nroutes; i++)
		if (!routes[i].method || !routes[i].path || !routes[i].handler)
			return gw_fail(err, GW_E_INVAL, "httpd: route %zu is incomplete", i);
	cfg = *cfg_in;
	rc = config_complete(&cfg, err);
	if (rc)
		return rc;

	if (httpd_evthreads() != 0)
		return gw_fail(err, GW_E_STATE, "httpd: libevent has no pthreads support");

	h = calloc(1, sizeof(*h));
	if (!h)
		return gw_fail(err, GW_E_NOMEM, "httpd: out of memory");
	h->fd = -1;
	pthread_mutex_init(&h->lock, NULL);
	pthread_cond_init(&h->cond, NULL);
	h->routes = routes;
	h->nroutes = nroutes;
	h->max_body = cfg.max_body;
	h->thread_init = thread_init;
	h->thread_fini = thread_fini;
	h->arg = arg;
	h->alive = cfg.alive;
	h->alive_ms = cfg.alive ? cfg.alive_ms : 0;

	rc = httpd_net_init(h, &cfg, err);
	if (rc)
		goto out;
	rc = tls_context(&cfg, &h->ssl_ctx, err);
	if (rc)
		goto out;
	rc = httpd_listen_socket(cfg.listen, &h->fd, &h->port, err);
	if (rc)
		goto out;
	h->workers = calloc(cfg.threads, sizeof(*h->workers));
	if (!h->workers) {
		rc = gw_fail(err, GW_E_NOMEM, "httpd: out of memory");
		goto out;
	}
	h->nworkers = cfg.threads;
	for (unsigned i = 0; i < cfg.threads; i++) {
		h->workers[i].h = h;
		h->workers[i].idx = i;
		rc = worker_setup(&h->workers[i], &cfg, err);
		if (rc)
			goto out;
	}

	/* Workers inherit a full signal mask: SIGINT/SIGTERM go to the caller's
	 * threads, and a write to a closed peer yields EPIPE, not SIGPIPE. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (unsigned i = 0; i < cfg.threads; i++) {
		int e = pthread_create(&h->workers[i].thread, NULL, worker_main,
				       &h->workers[i]);

		if (e) {
			rc = gw_fail(err, GW_E_IO, "httpd: creating worker %u: %s", i, strerror(e));
			break;
		}
		h->workers[i].started = true;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc)
		goto out;

	pthread_mutex_lock(&h->lock);
	while (h->ready + h->failed < h->nworkers)
		pthread_cond_wait(&h->cond, &h->lock);
	pthread_mutex_unlock(&h->lock);
	if (h->failed) {
		rc = gw_fail(err, GW_E_STATE, "httpd: %u worker(s) failed to initialise",
			     h->failed);
		goto out;
	}
	*out = h;
	h = NULL; /* transferred */
	rc = 0;
out:
	httpd_free(h);
	return rc;
}

unsigned httpd_port(const struct httpd *h)
{
	return h ? h->port : 0;
}

void httpd_stop(struct httpd *h)
{
	httpd_free(h);
}

int httpd_run_until_signal(struct httpd *h)
{
	sigset_t set, old;
	int sig = 0;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	while (sigwait(&set, &sig) != 0)
		;
	httpd_stop(h);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return sig;
}
