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
#include <openssl/rand.h>

#include "util.h"

#define LISTEN_BACKLOG 128
#define NS_PER_S 1000000000ull
#define SWEEP_MS 250
#define DEFAULT_MAX_CONNS_CAP 65536u

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
	bool counted;
	uint64_t deadline_ns; /* in CONN_HANDSHAKE and CONN_READING */
	uint8_t key[SRCADDR_KEY_LEN];
};

struct src_slot {
	uint8_t key[SRCADDR_KEY_LEN];
	uint32_t count;
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


static void net_log(struct httpd *h, struct ratelog *rl, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* One line through rl: the first, then at most one per HTTPD_LOG_INTERVAL_S. */
static void net_log(struct httpd *h, struct ratelog *rl, const char *fmt, ...)
{
	char line[384];
	uint64_t held = 0;
	size_t n;
	va_list ap;

	if (!h->log || !ratelog_allow(rl, ratelog_now_ns(), &held))
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap); /* a cut line is still a line */
	va_end(ap);
	n = strlen(line);
	if (held && n < sizeof(line))
		snprintf(line + n, sizeof(line) - n, " (and %llu more like it in the last %u s)",
			 (unsigned long long)held, HTTPD_LOG_INTERVAL_S);
	h->log(line);
}

/* ------------------------------------------------------------- the caps --- */

/* FNV-1a from a random start: a client cannot pick addresses that pile up in
 * one run of the table without knowing the seed. */
static size_t slot_of(const struct conn_caps *c, const uint8_t key[SRCADDR_KEY_LEN])
{
	uint64_t x = 14695981039346656037ull ^ c->seed;

	for (size_t i = 0; i < SRCADDR_KEY_LEN; i++) {
		x ^= key[i];
		x *= 1099511628211ull;
	}
	return (size_t)(x ^ (x >> 29)) & c->mask;
}

/* The slot of key, or the free one where it would go. The table has at least
 * twice as many slots as connections may be open: there is always a free one. */
static size_t slot_find(const struct conn_caps *c, const uint8_t key[SRCADDR_KEY_LEN])
{
	size_t i = slot_of(c, key);

	while (c->slots[i].count && memcmp(c->slots[i].key, key, SRCADDR_KEY_LEN))
		i = (i + 1) & c->mask;
	return i;
}

/* Empty slot i and move later entries of its run back, so that lookups never
 * stop at a hole before their key (linear probing without tombstones). */
static void slot_remove(struct conn_caps *c, size_t i)
{
	size_t j = i, k;

	c->slots[i].count = 0;
	for (;;) {
		j = (j + 1) & c->mask;
		if (!c->slots[j].count)
			return;
		k = slot_of(c, c->slots[j].key);
		/* j stays if its home k lies cyclically in (i, j]. */
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		c->slots[i] = c->slots[j];
		c->slots[j].count = 0;
		i = j;
	}
}

enum admit { ADMIT_OK, ADMIT_SOURCE_FULL, ADMIT_ALL_FULL };

static enum admit caps_take(struct conn_caps *c, const uint8_t key[SRCADDR_KEY_LEN],
			    unsigned *source_open)
{
	enum admit a = ADMIT_OK;
	size_t i;

	pthread_mutex_lock(&c->lock);
	i = slot_find(c, key);
	*source_open = c->slots[i].count;
	if (c->total >= c->max_total) {
		a = ADMIT_ALL_FULL;
	} else if (c->slots[i].count >= c->max_per_source) {
		a = ADMIT_SOURCE_FULL;
	} else {
		if (!c->slots[i].count)
			memcpy(c->slots[i].key, key, SRCADDR_KEY_LEN);
		c->slots[i].count++;
		c->total++;
	}
	pthread_mutex_unlock(&c->lock);
	return a;
}

static void caps_release(struct conn_caps *c, const uint8_t key[SRCADDR_KEY_LEN])
{
	size_t i;

	pthread_mutex_lock(&c->lock);
	i = slot_find(c, key);
	if (c->slots[i].count && --c->slots[i].count == 0)
		slot_remove(c, i);
	if (c->total)
		c->total--;
	pthread_mutex_unlock(&c->lock);
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

static void listener_resume(struct worker *w)
{
	if (!w->paused || w->stopping)
		return;
	w->paused = false;
	event_del(w->resume_ev);
	evconnlistener_enable(w->lev);
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
		caps_release(&w->h->caps, c->key);
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

static void remote_text(evutil_socket_t fd, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[INET6_ADDRSTRLEN] = "?";
	const void *a = NULL;

	if (getpeername(fd, (struct sockaddr *)&ss, &sl) == 0) {
		if (ss.ss_family == AF_INET)
			a = &((struct sockaddr_in *)&ss)->sin_addr;
		else if (ss.ss_family == AF_INET6)
			a = &((struct sockaddr_in6 *)&ss)->sin6_addr;
		if (!a || !inet_ntop(ss.ss_family, a, host, sizeof(host)))
			memcpy(host, "?", 2);
	}
	snprintf(buf, len, "%s", host);
}

static void conn_admit(struct conn *c)
{
	struct worker *w = c->w;
	struct httpd *h = w->h;
	evutil_socket_t fd = bufferevent_getfd(c->bev);
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char who[INET6_ADDRSTRLEN];
	unsigned open = 0;
	enum admit a;

	list_del(&w->pending, c);
	c->phase = CONN_HANDSHAKE; /* any phase but CONN_NEW is on the active list */
	list_add(&w->active, c);
	if (fd < 0 || getpeername(fd, (struct sockaddr *)&ss, &sl) != 0) {
		conn_close(c);
		return;
	}
	srcaddr_key_from_sockaddr((struct sockaddr *)&ss, sl, c->key);
	a = caps_take(&h->caps, c->key, &open);
	if (a == ADMIT_OK) {
		c->counted = true;
		c->deadline_ns = ratelog_now_ns() + h->handshake_ns;
		return;
	}
	remote_text(fd, who, sizeof(who));
	if (a == ADMIT_SOURCE_FULL)
		net_log(h, &h->log_source,
			"connection from %s refused: it has %u open, the most one source may "
			"have (max_connections_per_source)", who, open);
	else
		net_log(h, &h->log_total,
			"connection from %s refused: %u connections open, the most the verifier "
			"takes (max_connections)", who, h->caps.max_total);
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
}

static void sweep_cb(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	uint64_t now = ratelog_now_ns();
	struct conn *c, *next;

	(void)fd;
	(void)what;
	for (c = w->active; c; c = next) {
		next = c->next;
		if (!c->deadline_ns || now < c->deadline_ns)
			continue;
		net_log(w->h, &w->h->log_deadline,
			"connection closed: %s not done in %llu s",
			c->phase == CONN_HANDSHAKE ? "TLS handshake" : "request",
			(unsigned long long)((c->phase == CONN_HANDSHAKE ? w->h->handshake_ns
									 : w->h->request_read_ns) /
					     NS_PER_S));
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
	net_log(w->h, &w->h->log_accept,
		"accept: %s (descriptor limit %llu, %u connections open): not accepting for "
		"%u ms or until one closes", strerror(e), (unsigned long long)rl.rlim_cur,
		w->h->caps.total, HTTPD_ACCEPT_PAUSE_MS);
	evconnlistener_disable(lev);
	w->paused = true;
	event_add(w->resume_ev, &pause);
}

struct bufferevent *httpd_tls_bufferevent(struct event_base *base, void *arg)
{
	struct worker *w = arg;
	SSL *ssl = SSL_new(w->h->ssl_ctx);
	struct bufferevent *bev = NULL;
	struct conn *c = NULL;

	if (!ssl)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c || !SSL_set_ex_data(ssl, conn_index, c)) {
		free(c);
		SSL_free(ssl);
		return NULL;
	}
	c->w = w;
	c->phase = CONN_NEW;
	list_add(&w->pending, c); /* from here on, SSL_free() frees c */
	/* CLOSE_ON_FREE frees the SSL and closes the socket with the bufferevent. */
	bev = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
					     BEV_OPT_CLOSE_ON_FREE);
	if (!bev) {
		SSL_free(ssl);
		return NULL;
	}
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

void httpd_tls_info(const SSL *ssl, int where, int ret)
{
	struct conn *c;

	(void)ret;
	if (!(where & SSL_CB_HANDSHAKE_DONE))
		return;
	c = conn_of(ssl);
	if (c && c->phase == CONN_HANDSHAKE) {
		c->phase = CONN_READING;
		c->deadline_ns = ratelog_now_ns() + c->w->h->request_read_ns;
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
		c->deadline_ns = ratelog_now_ns() + c->w->h->request_read_ns;
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

unsigned httpd_default_max_conns(unsigned threads)
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
	struct conn_caps *c = &h->caps;
	const uint64_t interval = (uint64_t)HTTPD_LOG_INTERVAL_S * NS_PER_S;
	size_t n = 64;

	pthread_once(&conn_index_once, conn_index_make);
	if (conn_index < 0)
		return gw_fail(err, GW_E_NOMEM, "httpd: no SSL ex_data slot");
	c->max_total = cfg->max_conns ? cfg->max_conns : httpd_default_max_conns(cfg->threads);
	c->max_per_source = cfg->max_conns_per_source;
	while (n < 2 * (size_t)c->max_total)
		n *= 2;
	c->slots = calloc(n, sizeof(*c->slots));
	if (!c->slots)
		return gw_fail(err, GW_E_NOMEM, "httpd: out of memory");
	c->mask = n - 1;
	if (RAND_bytes((unsigned char *)&c->seed, sizeof(c->seed)) != 1)
		return gw_fail(err, GW_E_CRYPTO, "httpd: no random seed");
	if (pthread_mutex_init(&c->lock, NULL) != 0)
		return gw_fail(err, GW_E_NOMEM, "httpd: cannot make a lock");
	c->lock_made = true;
	h->handshake_ns = (uint64_t)cfg->handshake_timeout_s * NS_PER_S;
	h->request_read_ns = (uint64_t)cfg->request_read_timeout_s * NS_PER_S;
	h->log = cfg->log;
	if (ratelog_init(&h->log_source, interval) || ratelog_init(&h->log_total, interval) ||
	    ratelog_init(&h->log_accept, interval) || ratelog_init(&h->log_deadline, interval))
		return gw_fail(err, GW_E_NOMEM, "httpd: cannot make a lock");
	h->logs_made = true;
	return 0;
}

void httpd_net_fini(struct httpd *h)
{
	if (h->caps.lock_made)
		pthread_mutex_destroy(&h->caps.lock);
	free(h->caps.slots);
	if (h->logs_made) {
		ratelog_fini(&h->log_source);
		ratelog_fini(&h->log_total);
		ratelog_fini(&h->log_accept);
		ratelog_fini(&h->log_deadline);
	}
}

int httpd_worker_net_setup(struct worker *w, gw_error *err)
{
	const struct timeval sweep = { 0, SWEEP_MS * 1000 };

	w->admit_ev = event_new(w->base, -1, 0, admit_cb, w);
	w->sweep_ev = event_new(w->base, -1, EV_PERSIST, sweep_cb, w);
	w->resume_ev = event_new(w->base, -1, 0, resume_cb, w);
	if (!w->admit_ev || !w->sweep_ev || !w->resume_ev || event_add(w->sweep_ev, &sweep))
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
	return 0;
}

void httpd_worker_this_thread(struct worker *w)
{
	this_worker = w;
}

void httpd_worker_net_fini(struct worker *w)
{
	w->stopping = true;
	if (w->admit_ev)
		event_free(w->admit_ev);
	if (w->sweep_ev)
		event_free(w->sweep_ev);
	if (w->resume_ev)
		event_free(w->resume_ev);
	w->admit_ev = w->sweep_ev = w->resume_ev = NULL;
}
