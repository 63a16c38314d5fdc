// SPDX-License-Identifier: Apache-2.0
// The HTTPS server's network side: the listening socket, per-source and total
// connection caps checked before any TLS work, accept() paused (not spun) when
// descriptors run out, and handshake and request-read deadlines.
#include "httpd_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/http.h>

#include "util.h"

#define LISTEN_BACKLOG 128
#define SWEEP_MS 250
#define DEFAULT_MAX_CONNS_CAP 65536u
/* While every connection slot is taken, one still in its TLS handshake after
 * this long is closed for those waiting in the backlog. */
#define HTTPD_FULL_HANDSHAKE_NS (2 * GW_NS_PER_S)

enum conn_phase {
	CONN_NEW,       /* accepted, admission pending */
	CONN_HANDSHAKE, /* admitted, TLS handshake under way */
	CONN_READING,   /* waiting for (the rest of) a request */
	CONN_BUSY,      /* a request is being handled */
	CONN_CLOSING,   /* refused or past its deadline: shut down, evhttp frees it */
};

struct conn {
	struct conn *prev, *next;
	struct worker *w;
	struct bufferevent *bev;
	enum conn_phase phase;
	bool counted;      /* in the caps */
	bool in_handshake; /* counted as still in its TLS handshake */
	uint64_t since_ns;    /* admitted */
	uint64_t deadline_ns; /* in CONN_HANDSHAKE and CONN_READING */
	uint8_t key[SRCADDR_KEY_LEN];
	char who[INET6_ADDRSTRLEN]; /* the source address, for log lines */
};

static pthread_once_t conn_index_once = PTHREAD_ONCE_INIT;
static int conn_index = -1;
/* The worker whose loop runs on this thread: evhttp gives the listener's error
 * callback its own argument, not ours. */
static _Thread_local struct worker *this_worker;

/* "192.0.2.1:8443" or "[2001:db8::1]:8443": numeric addresses and an explicit port
 * (0 binds any free one). evutil_parse_sockaddr_port() refuses port 0 and accepts
 * a missing port, the opposite of what we want. */
static int parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[INET6_ADDRSTRLEN];
	const char *colon, *h = s;
	size_t hlen;
	uint64_t port;

	memset(ss, 0, sizeof(*ss));
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':')
			return -1;
		h = s + 1;
		hlen = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strchr(s, ':');
		if (!colon || strchr(colon + 1, ':'))
			return -1;
		hlen = (size_t)(colon - s);
	}
	if (hlen == 0 || hlen >= sizeof(host) || gw_parse_u64(colon + 1, 65535, &port) != 0)
		return -1;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	if (s[0] == '[') {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
			return -1;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*sin6);
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
			return -1;
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		*len = sizeof(*sin);
	}
	return 0;
}

int httpd_listen_socket(const char *addr, evutil_socket_t *fd_out, unsigned *port,
			 gw_error *err)
{
	struct sockaddr_storage ss;
	socklen_t sslen = 0, len;
	evutil_socket_t fd = -1;
	int one = 1, zero = 0;
	int rc;

	if (parse_listen(addr, &ss, &sslen) != 0) {
		rc = gw_fail(err, GW_E_INVAL, "listen address '%s': want ADDRESS:PORT", addr);
		goto out;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		rc = gw_fail(err, GW_E_IO, "socket: %s", strerror(errno));
		goto out;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0) {
		rc = gw_fail(err, GW_E_IO, "SO_REUSEADDR: %s", strerror(errno));
		goto out;
	}
	/* "[::]:PORT" serves IPv4 clients too (as ::ffff:a.b.c.d), whatever the
	 * system's net.ipv6.bindv6only says. */
	if (ss.ss_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) != 0) {
		rc = gw_fail(err, GW_E_IO, "IPV6_V6ONLY: %s", strerror(errno));
		goto out;
	}
	/* An answer leaves as several TLS records; with Nagle's algorithm the last one
	 * waits for the client's delayed ACK (about 40 ms a round trip). Accepted
	 * sockets inherit TCP_NODELAY from the listening socket on Linux. */
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0) {
		rc = gw_fail(err, GW_E_IO, "TCP_NODELAY: %s", strerror(errno));
		goto out;
	}
	if (bind(fd, (struct sockaddr *)&ss, sslen) != 0) {
		rc = gw_fail(err, GW_E_IO, "bind %s: %s", addr, strerror(errno));
		goto out;
	}
	if (listen(fd, LISTEN_BACKLOG) != 0) {
		rc = gw_fail(err, GW_E_IO, "listen %s: %s", addr, strerror(errno));
		goto out;
	}
	len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0) {
		rc = gw_fail(err, GW_E_IO, "getsockname: %s", strerror(errno));
		goto out;
	}
	*port = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
					 : ntohs(((struct sockaddr_in *)&ss)->sin_port);
	*fd_out = fd;
	fd = -1; /* transferred */
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

void httpd_log_limited(struct httpd *h, struct ratelog *rl, const char *fmt, ...)
{
	char line[384];
	uint64_t held = 0;
	va_list ap;

	if (!h->log || !ratelog_allow(rl, gw_mono_ns(), &held))
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap); /* a cut line is still a line */
	va_end(ap);
	ratelog_note_held(line, sizeof(line), held);
	h->log(line);
}

/* ------------------------------------------------------ the connections --- */

static void list_add(struct conn **head, struct conn *c)
{
	c->prev = NULL;
	c->next = *head;
	if (*head)
		(*head)->prev = c;
	*head = c;
}

static void list_del(struct conn **head, struct conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else if (*head == c)
		*head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
}

/* The listener accepts unless accept() ran out of descriptors a moment ago
 * (paused) or the total cap is reached: then new connections wait in the
 * kernel's backlog, costing no descriptor, instead of being accepted and
 * refused. */
static void listener_update(struct worker *w)
{
	bool want = !w->paused && !conncaps_full(&w->h->caps);

	if (w->stopping || !w->lev || want == w->listening)
		return;
	w->listening = want;
	if (want)
		evconnlistener_enable(w->lev);
	else
		evconnlistener_disable(w->lev);
}

static void listener_resume(struct worker *w)
{
	if (!w->paused || w->stopping)
		return;
	w->paused = false;
	event_del(w->resume_ev);
	listener_update(w);
}

/* The total reached its cap or dropped below it (on any thread): every worker
 * looks again, on its own loop. */
static void caps_full_changed(void *arg)
{
	struct httpd *h = arg;

	for (unsigned i = 0; h->workers && i < h->nworkers; i++)
		if (h->workers[i].gate_ev)
			event_active(h->workers[i].gate_ev, EV_TIMEOUT, 0);
}

static void gate_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	listener_update(arg);
}

/* OpenSSL frees the SSL with the bufferevent (BEV_OPT_CLOSE_ON_FREE), however
 * evhttp ends the connection: the one place that sees every connection go. */
static void conn_ex_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
			 void *argp)
{
	struct conn *c = ptr;
	struct worker *w;

	(void)parent;
	(void)ad;
	(void)idx;
	(void)argl;
	(void)argp;
	if (!c)
		return;
	w = c->w;
	list_del(c->phase == CONN_NEW ? &w->pending : &w->active, c);
	if (c->counted)
		conncaps_release(&w->h->caps, c->key, c->in_handshake);
	/* A descriptor came free: the paused listener may accept again. */
	listener_resume(w);
	free(c);
}

static void conn_index_make(void)
{
	conn_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, conn_ex_free);
}

/* Close it without an answer: evhttp sees end-of-file on its next read and frees
 * the connection (and so the SSL and c) on this worker's loop. */
static void conn_close(struct conn *c)
{
	evutil_socket_t fd = bufferevent_getfd(c->bev);

	c->phase = CONN_CLOSING;
	c->deadline_ns = 0;
	if (fd >= 0)
		shutdown(fd, SHUT_RDWR);
}

static void conn_admit(struct conn *c)
{
	struct worker *w = c->w;
	struct httpd *h = w->h;
	evutil_socket_t fd = bufferevent_getfd(c->bev);
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	unsigned open = 0;
	enum conncaps_verdict a;

	list_del(&w->pending, c);
	c->phase = CONN_HANDSHAKE; /* any phase but CONN_NEW is on the active list */
	list_add(&w->active, c);
	if (fd < 0 || getpeername(fd, (struct sockaddr *)&ss, &sl) != 0) {
		conn_close(c);
		return;
	}
	srcaddr_key_from_sockaddr((struct sockaddr *)&ss, sl, c->key);
	srcaddr_format((struct sockaddr *)&ss, false, c->who, sizeof(c->who));
	a = conncaps_take(&h->caps, c->key, &open);
	if (a == CONNCAPS_OK) {
		c->counted = c->in_handshake = true;
		c->since_ns = gw_mono_ns();
		c->deadline_ns = c->since_ns + h->handshake_ns;
		return;
	}
	if (a == CONNCAPS_SOURCE_FULL)
		httpd_log_limited(h, &h->log_source,
			"connection from %s refused: it has %u open, the most one source may "
			"have (max_connections_per_source)", c->who, open);
	else if (a == CONNCAPS_HANDSHAKES_FULL)
		httpd_log_limited(h, &h->log_source,
			"connection from %s refused: it has %u connections still in the TLS "
			"handshake (max_handshakes_per_source)", c->who,
			h->caps.max.handshakes_per_source);
	else if (a == CONNCAPS_PREFIX_FULL)
		httpd_log_limited(h, &h->log_prefix,
			"connection from %s refused: its IPv6 /56 or /48 has the most open "
			"connections one site may have (max_connections_per_prefix %u per /56, "
			"twice that per /48)", c->who, h->caps.max.per_prefix);
	else
		httpd_log_limited(h, &h->log_total,
			"connection from %s refused: %u connections open, the most the verifier "
			"takes (max_connections)", c->who, h->caps.max.total);
	conn_close(c);
}

/* Runs after the listener's callback in the same loop turn: every connection
 * evhttp was given is admitted or shut before its first TLS byte is read. */
static void admit_cb(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;

	(void)fd;
	(void)what;
	while (w->pending)
		conn_admit(w->pending);
	/* evhttp reads end-of-file and frees them within this loop turn or the next. */
	for (unsigned i = 0; i < w->ndoomed; i++) {
		evutil_socket_t s = bufferevent_getfd(w->doomed[i]);

		if (s >= 0)
			shutdown(s, SHUT_RDWR);
		bufferevent_decref(w->doomed[i]);
	}
	w->ndoomed = 0;
}

static void sweep_cb(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	uint64_t now = gw_mono_ns();
	struct conn *c, *next;
	/* Full: a connection that has not finished its handshake in a few seconds
	 * (a real device needs milliseconds) gives its place to those waiting. */
	uint64_t squat = conncaps_full(&w->h->caps) && now > HTTPD_FULL_HANDSHAKE_NS
				 ? now - HTTPD_FULL_HANDSHAKE_NS
				 : 0;

	(void)fd;
	(void)what;
	for (c = w->active; c; c = next) {
		next = c->next;
		if (c->phase == CONN_HANDSHAKE && c->since_ns && c->since_ns < squat) {
			httpd_log_limited(w->h, &w->h->log_evict,
				"connection closed: TLS handshake not done in %llu s while %u "
				"connections are open, the most the verifier takes",
				(unsigned long long)(HTTPD_FULL_HANDSHAKE_NS / GW_NS_PER_S),
				w->h->caps.max.total);
			conn_close(c);
			continue;
		}
		if (!c->deadline_ns || now < c->deadline_ns)
			continue;
		httpd_log_limited(w->h, &w->h->log_deadline,
			"connection closed: %s not done in %llu s",
			c->phase == CONN_HANDSHAKE ? "TLS handshake" : "request",
			(unsigned long long)((c->phase == CONN_HANDSHAKE ? w->h->handshake_ns
									 : w->h->request_read_ns) /
					     GW_NS_PER_S));
		conn_close(c);
	}
}

static void resume_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	listener_resume(arg);
}

/* accept() failed with something other than "try again": out of descriptors,
 * buffers or memory. Rest the listener instead of spinning on it. */
static void accept_error_cb(struct evconnlistener *lev, void *arg)
{
	struct worker *w = this_worker;
	int e = EVUTIL_SOCKET_ERROR();
	const struct timeval pause = { 0, HTTPD_ACCEPT_PAUSE_MS * 1000 };
	struct rlimit rl = { 0, 0 };

	(void)arg;
	if (!w || w->lev != lev)
		return;
	getrlimit(RLIMIT_NOFILE, &rl);
	httpd_log_limited(w->h, &w->h->log_accept,
		"accept: %s (descriptor limit %llu, %u connections open): not accepting for "
		"%u ms or until one closes", strerror(e), (unsigned long long)rl.rlim_cur,
		conncaps_total(&w->h->caps), HTTPD_ACCEPT_PAUSE_MS);
	w->paused = true;
	listener_update(w);
	event_add(w->resume_ev, &pause);
}

/* Out of memory for a TLS connection. evhttp would serve the socket in plain
 * HTTP, uncounted, if we returned NULL (libevent 2.1 makes its own bufferevent
 * then): give it a plain one that admit_cb shuts at once. Only when even that
 * cannot be had (and evhttp's own attempt fails as well) is NULL returned. */
static struct bufferevent *doomed_bufferevent(struct worker *w, struct event_base *base)
{
	struct bufferevent *bev;

	if (w->ndoomed >= HTTPD_DOOMED_MAX)
		return NULL;
	bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (!bev)
		return NULL;
	/* Our reference keeps it (and its socket) until admit_cb, even if evhttp
	 * gives up on the connection and frees it first. */
	bufferevent_incref(bev);
	w->doomed[w->ndoomed++] = bev;
	event_active(w->admit_ev, EV_TIMEOUT, 0);
	return bev;
}

struct bufferevent *httpd_tls_bufferevent(struct event_base *base, void *arg)
{
	struct worker *w = arg;
	SSL *ssl = SSL_new(w->h->ssl_ctx);
	struct bufferevent *bev = NULL;
	struct conn *c = NULL;

	if (!ssl)
		return doomed_bufferevent(w, base);
	c = calloc(1, sizeof(*c));
	if (!c || !SSL_set_ex_data(ssl, conn_index, c)) {
		free(c);
		SSL_free(ssl);
		return doomed_bufferevent(w, base);
	}
	c->w = w;
	c->phase = CONN_NEW;
	list_add(&w->pending, c); /* from here on, SSL_free() frees c */
	/* CLOSE_ON_FREE frees the SSL and closes the socket with the bufferevent; when
	 * making it fails, libevent (2.1.9 on) has freed the SSL, and so c, already. */
	bev = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
					     BEV_OPT_CLOSE_ON_FREE);
	if (!bev)
		return doomed_bufferevent(w, base);
	c->bev = bev;
	/* Clients that hang up without close_notify are normal, not errors. */
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	/* evhttp sets the socket after this returns; admit_cb sees it. */
	event_active(w->admit_ev, EV_TIMEOUT, 0);
	return bev;
}

static struct conn *conn_of(const SSL *ssl)
{
	return ssl && conn_index >= 0 ? SSL_get_ex_data(ssl, conn_index) : NULL;
}

/* A handshake the server ended with a fatal alert about the client: a client
 * certificate this verifier did not issue (or one that expired, or a bad
 * signature with it), no common protocol version or cipher. Other alerts (a
 * connection cut off or shut by the caps mid-handshake: "decode error") are not
 * a decision about the client and are not logged. */
static void tls_refused(struct conn *c, int ret)
{
	struct httpd *h = c->w->h;
	bool cert;

	switch (ret & 0xff) {
	case SSL_AD_HANDSHAKE_FAILURE:
	case SSL_AD_PROTOCOL_VERSION:
	case SSL_AD_INSUFFICIENT_SECURITY:
		cert = false;
		break;
	case SSL_AD_BAD_CERTIFICATE:
	case SSL_AD_UNSUPPORTED_CERTIFICATE:
	case SSL_AD_CERTIFICATE_REVOKED:
	case SSL_AD_CERTIFICATE_EXPIRED:
	case SSL_AD_CERTIFICATE_UNKNOWN:
	case SSL_AD_UNKNOWN_CA:
	case SSL_AD_ACCESS_DENIED:
	case SSL_AD_DECRYPT_ERROR:
	case SSL_AD_CERTIFICATE_REQUIRED:
		cert = true;
		break;
	default:
		return;
	}
	/* Refused certificates on a rate limit of their own: a client offering only
	 * old protocols does not hide them. */
	httpd_log_limited(h, cert ? &h->log_tls_cert : &h->log_tls,
			  "refused action=tls source=%s: TLS handshake failed: sent alert '%s'%s",
			  c->who[0] ? c->who : "?", SSL_alert_desc_string_long(ret),
			  cert ? " (client certificate)" : "");
}

void httpd_tls_info(const SSL *ssl, int where, int ret)
{
	struct conn *c;

	if ((where & SSL_CB_WRITE_ALERT) == SSL_CB_WRITE_ALERT && (ret >> 8) == SSL3_AL_FATAL &&
	    (c = conn_of(ssl)) != NULL)
		tls_refused(c, ret);
	if (!(where & SSL_CB_HANDSHAKE_DONE))
		return;
	c = conn_of(ssl);
	if (c && c->in_handshake) {
		conncaps_handshake_done(&c->w->h->caps, c->key);
		c->in_handshake = false;
	}
	if (c && c->phase == CONN_HANDSHAKE) {
		c->phase = CONN_READING;
		c->deadline_ns = gw_mono_ns() + c->w->h->request_read_ns;
	}
}

void httpd_conn_busy(SSL *ssl)
{
	struct conn *c = conn_of(ssl);

	if (c && c->phase != CONN_CLOSING) {
		c->phase = CONN_BUSY;
		c->deadline_ns = 0;
	}
}

void httpd_conn_answered(SSL *ssl)
{
	struct conn *c = conn_of(ssl);

	if (c && c->phase == CONN_BUSY) {
		c->phase = CONN_READING;
		c->deadline_ns = gw_mono_ns() + c->w->h->request_read_ns;
	}
}

/* ------------------------------------------------------------ set-up --- */

int httpd_raise_fd_limit(unsigned long *soft, unsigned long *hard)
{
	struct rlimit rl;
	int rc = 0;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return GW_E_IO;
	if (rl.rlim_cur < rl.rlim_max) {
		rlim_t was = rl.rlim_cur;

		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
			rl.rlim_cur = was;
			rc = GW_E_IO;
		}
	}
	*soft = (unsigned long)rl.rlim_cur;
	*hard = (unsigned long)rl.rlim_max;
	return rc;
}

unsigned httpd_max_conns(const struct httpd *h)
{
	return h ? h->caps.max.total : 0;
}

static unsigned default_max_conns(unsigned threads)
{
	struct rlimit rl;
	uint64_t room = HTTPD_FD_HEADROOM + (uint64_t)HTTPD_FD_HEADROOM_PER_THREAD * threads;
	uint64_t lim;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 64;
	lim = rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX : (uint64_t)rl.rlim_cur;
	/* A tiny limit still serves a few clients; the headroom then is half. */
	lim = lim > 2 * room ? lim - room : lim / 2;
	if (lim < 1)
		lim = 1;
	return lim > DEFAULT_MAX_CONNS_CAP ? DEFAULT_MAX_CONNS_CAP : (unsigned)lim;
}

int httpd_net_init(struct httpd *h, const struct httpd_config *cfg, gw_error *err)
{
	const uint64_t interval = (uint64_t)HTTPD_LOG_INTERVAL_S * GW_NS_PER_S;
	const struct conncaps_limits max = {
		.total = cfg->max_conns ? cfg->max_conns : default_max_conns(cfg->threads),
		.per_source = cfg->max_conns_per_source,
		.per_prefix = cfg->max_conns_per_prefix,
		.handshakes_per_source = cfg->max_handshakes_per_source,
	};
	int rc;

	pthread_once(&conn_index_once, conn_index_make);
	if (conn_index < 0)
		return gw_fail(err, GW_E_NOMEM, "httpd: no SSL ex_data slot");
	rc = conncaps_init(&h->caps, &max, caps_full_changed, h);
	if (rc)
		return gw_fail(err, rc, "httpd: cannot make the connection caps (%s)",
			       rc == GW_E_CRYPTO ? "no random seed" : "out of memory");
	h->handshake_ns = (uint64_t)cfg->handshake_timeout_s * GW_NS_PER_S;
	h->request_read_ns = (uint64_t)cfg->request_read_timeout_s * GW_NS_PER_S;
	h->log = cfg->log;
	if (ratelog_init(&h->log_source, interval) || ratelog_init(&h->log_total, interval) ||
	    ratelog_init(&h->log_accept, interval) || ratelog_init(&h->log_deadline, interval) ||
	    ratelog_init(&h->log_prefix, interval) || ratelog_init(&h->log_evict, interval) ||
	    ratelog_init(&h->log_tls, interval) || ratelog_init(&h->log_tls_cert, interval) ||
	    ratelog_init(&h->log_no_cert, interval))
		return gw_fail(err, GW_E_NOMEM, "httpd: cannot make a lock");
	h->logs_made = true;
	return 0;
}

void httpd_net_fini(struct httpd *h)
{
	conncaps_fini(&h->caps);
	if (h->logs_made) {
		ratelog_fini(&h->log_source);
		ratelog_fini(&h->log_total);
		ratelog_fini(&h->log_accept);
		ratelog_fini(&h->log_deadline);
		ratelog_fini(&h->log_prefix);
		ratelog_fini(&h->log_evict);
		ratelog_fini(&h->log_tls);
		ratelog_fini(&h->log_tls_cert);
		ratelog_fini(&h->log_no_cert);
	}
}

int httpd_worker_net_setup(struct worker *w, gw_error *err)
{
	const struct timeval sweep = { 0, SWEEP_MS * 1000 };

	w->admit_ev = event_new(w->base, -1, 0, admit_cb, w);
	w->sweep_ev = event_new(w->base, -1, EV_PERSIST, sweep_cb, w);
	w->resume_ev = event_new(w->base, -1, 0, resume_cb, w);
	w->gate_ev = event_new(w->base, -1, 0, gate_cb, w);
	if (!w->admit_ev || !w->sweep_ev || !w->resume_ev || !w->gate_ev ||
	    event_add(w->sweep_ev, &sweep))
		return gw_fail(err, GW_E_NOMEM, "worker %u: cannot make its events", w->idx);
	/* Backlog 0: the shared socket listens already. No CLOSE_ON_FREE: every
	 * worker's listener wraps the same descriptor, httpd_stop() closes it once. */
	w->lev = evconnlistener_new(w->base, NULL, NULL, LEV_OPT_CLOSE_ON_EXEC, 0, w->h->fd);
	if (!w->lev)
		return gw_fail(err, GW_E_NOMEM, "worker %u: evconnlistener_new failed", w->idx);
	if (!evhttp_bind_listener(w->http, w->lev)) {
		evconnlistener_free(w->lev);
		w->lev = NULL;
		return gw_fail(err, GW_E_NOMEM, "worker %u: evhttp_bind_listener failed",
			       w->idx);
	}
	/* Without it libevent logs every failed accept() and the loop spins on it. */
	evconnlistener_set_error_cb(w->lev, accept_error_cb);
	w->listening = true;
	return 0;
}

void httpd_worker_this_thread(struct worker *w)
{
	this_worker = w;
}

void httpd_worker_net_fini(struct worker *w)
{
	w->stopping = true;
	for (unsigned i = 0; i < w->ndoomed; i++)
		bufferevent_decref(w->doomed[i]);
	w->ndoomed = 0;
	if (w->admit_ev)
		event_free(w->admit_ev);
	if (w->sweep_ev)
		event_free(w->sweep_ev);
	if (w->resume_ev)
		event_free(w->resume_ev);
	if (w->gate_ev)
		event_free(w->gate_ev);
	w->admit_ev = w->sweep_ev = w->resume_ev = w->gate_ev = NULL;
}
