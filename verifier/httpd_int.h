/* SPDX-License-Identifier: Apache-2.0 */
/* Inside the HTTPS server: the structures httpd.c (TLS, routing, workers) and
 * httpd_net.c (listening socket, connection caps, deadlines) share. */
#ifndef GW_VERIFIER_HTTPD_INT_H
#define GW_VERIFIER_HTTPD_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <netinet/in.h>
#include <openssl/ssl.h>

#include "conncaps.h"
#include "httpd.h"
#include "ratelog.h"
#include "srcaddr.h"

struct bufferevent;
struct conn;
struct evhttp_request;

/* What a handler sees, plus what the dispatcher needs; pub comes first so a
 * struct httpd_req * converts back. */
struct req_ctx {
	struct httpd_req pub;
	struct evhttp_request *ev;
	SSL *ssl;
	bool replied;
	bool streaming; /* httpd_reply_file(): the answer goes on after the handler */
	char fingerprint[2 * 32 + 1];
	char cn[256];
	char remote[INET6_ADDRSTRLEN + sizeof("[]:65535")];
};

/* Plain bufferevents handed to evhttp when a TLS one could not be made, shut
 * in the same loop turn; more in one turn are left to evhttp (see httpd_net.c). */
#define HTTPD_DOOMED_MAX 8

struct worker {
	struct httpd *h;
	unsigned idx;
	struct event_base *base;
	struct evhttp *http;
	struct evconnlistener *lev;
	struct event *stop_ev;
	struct event *admit_ev;  /* admits the connections accepted in this turn */
	struct event *sweep_ev;  /* closes connections past their deadline */
	struct event *resume_ev; /* re-enables the listener after a pause */
	struct event *gate_ev;   /* the total cap was reached or left: look again */
	struct event *beat_ev;   /* notes beat_ms every alive_ms (httpd_alive.c) */
	_Atomic uint64_t beat_ms; /* CLOCK_MONOTONIC of the last beat */
	struct bufferevent *doomed[HTTPD_DOOMED_MAX];
	unsigned ndoomed;
	struct conn *pending;    /* accepted, not yet admitted */
	struct conn *active;     /* admitted or being closed */
	bool paused;             /* out of descriptors: resting */
	bool listening;          /* listener enabled */
	bool stopping;           /* the loop is over: no more listener changes */
	void *app;
	pthread_t thread;
	bool started;
};

struct httpd {
	SSL_CTX *ssl_ctx;
	evutil_socket_t fd;
	unsigned port;
	size_t max_body;
	const struct httpd_route *routes;
	size_t nroutes;
	httpd_thread_init_fn thread_init;
	httpd_thread_fini_fn thread_fini;
	void *arg;
	unsigned nworkers;
	struct worker *workers;
	/* startup handshake between httpd_start() and the workers' thread_init */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned ready;
	unsigned failed;
	/* connections: shared by the workers (they accept from one socket, so one
	 * source's connections land on any of them) */
	struct conncaps caps;
	uint64_t handshake_ns, request_read_ns;
	httpd_log_fn log;
	httpd_alive_fn alive;
	unsigned alive_ms;
	bool logs_made;
	struct ratelog log_source, log_total, log_accept, log_deadline, log_prefix, log_evict;
	/* Handshakes we ended with a fatal alert about the client's certificate, with
	 * any other fatal alert; requests without a client certificate. */
	struct ratelog log_tls_cert, log_tls, log_no_cert;
};

/* Parse ADDRESS:PORT, bind and listen (IPv6 sockets accept IPv4 too). */
int httpd_listen_socket(const char *addr, evutil_socket_t *fd_out, unsigned *port,
			gw_error *err) GW_WUR;

/* Caps, rate-limited logs and the SSL slot for connection state, from a
 * complete cfg (defaults applied). httpd_net_fini() undoes it, also half done. */
int httpd_net_init(struct httpd *h, const struct httpd_config *cfg, gw_error *err) GW_WUR;
void httpd_net_fini(struct httpd *h);

/* The worker's listener on h->fd, bound to its evhttp, with its admission,
 * deadline and pause events. httpd_worker_net_fini() frees the events (before
 * the event base). */
int httpd_worker_net_setup(struct worker *w, gw_error *err) GW_WUR;
void httpd_worker_net_fini(struct worker *w);

/* One line through rl: the first, then at most one per HTTPD_LOG_INTERVAL_S,
 * with the count held back since (httpd_net.c). */
void httpd_log_limited(struct httpd *h, struct ratelog *rl, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* libevent's locking for threads, set up once for the process (before any
 * event base is made): 0, or -1 when libevent lacks it. */
int httpd_evthreads(void);
/* The worker's heartbeat (h->alive_ms, h->alive); none when alive_ms is 0.
 * httpd_worker_alive_fini() frees its event (before the event base). */
int httpd_worker_alive_setup(struct worker *w, gw_error *err) GW_WUR;
void httpd_worker_alive_fini(struct worker *w);

/* Called on the worker's thread before its loop runs. */
void httpd_worker_this_thread(struct worker *w);

/* The server's TLS context reports handshakes here (SSL_CTX_set_info_callback). */
void httpd_tls_info(const SSL *ssl, int where, int ret);

/* evhttp's bufferevent factory (arg: the worker): a TLS bufferevent with its
 * connection state, admitted once evhttp has given it its socket. */
struct bufferevent *httpd_tls_bufferevent(struct event_base *base, void *arg);

/* The request on ssl's connection is read (busy: no deadline), or answered (the
 * next one must arrive within the request read timeout). */
void httpd_conn_busy(SSL *ssl);
void httpd_conn_answered(SSL *ssl);

#endif
