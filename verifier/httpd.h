/* SPDX-License-Identifier: Apache-2.0 */
/* The verifier's HTTPS server layer: TLS (optional client certificates), worker
 * threads with one libevent loop each, limits, routing and JSON replies. */
#ifndef GW_HTTPD_H
#define GW_HTTPD_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>

#include "gw_error.h"

#define HTTPD_DEFAULT_THREADS 2u
#define HTTPD_DEFAULT_MAX_BODY ((size_t)1 << 20)
#define HTTPD_DEFAULT_MAX_HEADERS ((size_t)8 << 10)
#define HTTPD_DEFAULT_TIMEOUT_S 10u
#define HTTPD_MAX_THREADS 64u
#define HTTPD_DEFAULT_MAX_CONNS_PER_SOURCE 32u
/* An IPv6 /56 (a home or small site, RFC 6177) may hold four sources' worth, a
 * /48 twice that: many /64s of one site cannot take every slot. */
#define HTTPD_DEFAULT_MAX_CONNS_PER_PREFIX (4u * HTTPD_DEFAULT_MAX_CONNS_PER_SOURCE)
/* A device finishes its handshake in milliseconds: more than a few at once from
 * one source are connections that hold a slot without using it. */
#define HTTPD_DEFAULT_MAX_HANDSHAKES_PER_SOURCE 8u
#define HTTPD_DEFAULT_HANDSHAKE_TIMEOUT_S 10u
#define HTTPD_DEFAULT_REQUEST_READ_TIMEOUT_S 30u
#define HTTPD_MAX_CONNS 1000000u
/* Descriptors kept back from the connection cap for everything else a worker
 * opens (its store, event loop, certificates): HEADROOM + per thread. */
#define HTTPD_FD_HEADROOM 32u
#define HTTPD_FD_HEADROOM_PER_THREAD 8u
/* One log line per condition (source over its cap, all connections in use,
 * accept() failing, deadlines) at most this often, with a count of the rest. */
#define HTTPD_LOG_INTERVAL_S 10u
/* How long the listener rests when accept() runs out of descriptors, unless a
 * connection of the same worker closes first. */
#define HTTPD_ACCEPT_PAUSE_MS 500u

/* One line for the operator's log (no newline). */
typedef void (*httpd_log_fn)(const char *line);

/* Every worker's loop is alive (see alive_ms); called on worker 0's thread. */
typedef void (*httpd_alive_fn)(void);

/* Zero fields take the defaults above. The strings are read during httpd_start()
 * only. */
struct httpd_config {
	const char *listen;         /* "127.0.0.1:8443", "[::1]:8443"; port 0 = any */
	const char *cert_file;      /* server certificate chain, PEM */
	const char *key_file;       /* its private key, PEM */
	const char *client_ca_file; /* CA(s) for client certificates, PEM; NULL: none
				     * are requested and every HTTPD_NEEDS_CLIENT_CERT
				     * route answers 401 */
	unsigned threads;
	size_t max_body;
	size_t max_headers;
	unsigned timeout_s;         /* idle timeout of a connection (reads, writes) */
	/* Open connections, all sources: 0 takes the descriptor limit less
	 * HTTPD_FD_HEADROOM(_PER_THREAD), at most 65536. One more is closed at once. */
	unsigned max_conns;
	unsigned max_conns_per_source; /* per srcaddr.h key; one more is closed at once */
	/* All sources in one IPv6 /56; a /48 may hold twice as many. */
	unsigned max_conns_per_prefix;
	unsigned max_handshakes_per_source; /* still in the TLS handshake, per key */
	unsigned handshake_timeout_s;  /* accept to the end of the TLS handshake */
	/* From the end of the handshake, or of the previous answer, until the request
	 * line, headers and body have all arrived: a client that drips bytes is cut
	 * off however often it sends one. */
	unsigned request_read_timeout_s;
	httpd_log_fn log;           /* NULL: no log lines */
	/* Liveness for a service manager's watchdog: each worker's loop notes the
	 * time every alive_ms; worker 0 then calls alive() if every worker has done
	 * so within the last 2 * alive_ms. A worker stuck in a handler or a lost
	 * loop stops the calls. 0 or NULL: no heartbeat. */
	unsigned alive_ms;
	httpd_alive_fn alive;
};

/* One request, valid only during the handler call. Every pointer is borrowed. */
struct httpd_req {
	const char *method;           /* "GET", "POST", ... */
	const char *path;             /* as sent, without the query */
	const char *query;            /* as sent, or NULL */
	const uint8_t *body;          /* NUL-terminated copy (NUL not counted) or NULL */
	size_t body_len;              /* <= max_body */
	X509 *peer_cert;              /* the client certificate if one was presented
				       * and verified against client_ca_file, else NULL */
	const char *peer_cn;          /* its subject CN, or NULL */
	const char *peer_fingerprint; /* SHA-256 of its DER, lower-case hex, or NULL */
	const char *remote_addr;      /* "192.0.2.1:40000", "[2001:db8::1]:40000" */
	unsigned thread_idx;          /* worker that runs the handler */
	void *app;                    /* that worker's context from thread_init */
};

/* A handler answers exactly once with httpd_reply_json() or httpd_reply_error();
 * one that returns without answering produces 500 internal_error. It runs on a
 * worker's event loop: whatever it blocks on, that worker's other connections
 * wait for. */
typedef void (*httpd_handler_fn)(struct httpd_req *req);

enum httpd_route_flags {
	HTTPD_NEEDS_CLIENT_CERT = 1u << 0, /* 401 without a verified client certificate */
	HTTPD_PATH_PREFIX = 1u << 1,       /* path is a prefix: matches it and anything longer */
};

struct httpd_route {
	const char *method; /* "GET", "POST", "PUT", "DELETE", "PATCH", ... */
	const char *path;   /* matched exactly against the request path */
	httpd_handler_fn handler;
	unsigned flags;
};

/* Per-worker application context. thread_init runs in worker idx before it serves
 * anything; returning NULL makes httpd_start() fail. thread_fini runs in the same
 * worker after its loop has stopped and its connections are closed. Either may be
 * NULL (then app is NULL). */
typedef void *(*httpd_thread_init_fn)(unsigned idx, void *arg);
typedef void (*httpd_thread_fini_fn)(unsigned idx, void *app, void *arg);

struct httpd;

/* Bind the listening socket, load the TLS identity and start the workers. The
 * routes array is borrowed and must outlive the server (a static table). On
 * success *out owns the server; free it with httpd_stop().
 * Errors: GW_E_INVAL (config), GW_E_CRYPTO (certificate, key or CA file),
 * GW_E_IO (socket, bind, thread), GW_E_NOMEM, GW_E_STATE (a thread_init failed). */
int httpd_start(const struct httpd_config *cfg, const struct httpd_route *routes,
		size_t nroutes, httpd_thread_init_fn thread_init,
		httpd_thread_fini_fn thread_fini, void *arg, struct httpd **out,
		gw_error *err) GW_WUR;

/* Raise the soft RLIMIT_NOFILE to the hard one. *soft gets the limit in force
 * after it (also when raising failed), *hard the hard limit. 0 or GW_E_IO. */
int httpd_raise_fd_limit(unsigned long *soft, unsigned long *hard) GW_WUR;

/* The total connection cap in force (max_conns, or the one derived from the
 * descriptor limit for max_conns 0). */
unsigned httpd_max_conns(const struct httpd *h);

/* The bound TCP port (useful after listening on port 0). */
unsigned httpd_port(const struct httpd *h);

/* Stop every worker, close all connections, join the threads and free h. Safe to
 * call from any thread except a handler; NULL is a no-op. */
void httpd_stop(struct httpd *h);

/* Block until SIGINT or SIGTERM arrives for the calling thread, then httpd_stop(h).
 * Returns the signal number. The workers block all signals, so only threads the
 * caller created can receive them. */
int httpd_run_until_signal(struct httpd *h);

/* Send json_text (a complete JSON document) with the given status. Returns 0,
 * GW_E_STATE if the request was answered already, or GW_E_NOMEM. Handlers may
 * ignore the result: on failure the dispatcher answers 500. */
int httpd_reply_json(struct httpd_req *req, int status, const char *json_text);

/* Send {"error":{"code":code,"message":...}} with the given status. */
int httpd_reply_error(struct httpd_req *req, int status, const char *code,
		      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Answer with status and len bytes of the open file fd from offset, streamed in
 * pieces of at most HTTPD_STREAM_CHUNK as the client takes them (the file is never
 * read whole), with Content-Type content_type and Content-Length len; add other
 * headers before. fd belongs to the server from this call on, whatever it
 * returns: closed when the answer is sent or the connection goes. The connection
 * is closed after the answer. A read error or a file shorter than len ends the
 * answer early: the client sees fewer bytes than Content-Length. Returns 0,
 * GW_E_STATE (answered already), GW_E_NOMEM; as for httpd_reply_json() the
 * dispatcher answers 500 when nothing was sent. */
#define HTTPD_STREAM_CHUNK (64u * 1024)
int httpd_reply_file(struct httpd_req *req, int status, int fd, uint64_t offset, uint64_t len,
		     const char *content_type);

/* Add a header to the answer (Retry-After, Allow...); call it before the reply.
 * GW_E_STATE after the reply, GW_E_INVAL for a name or value libevent refuses
 * (a line break that would start another header). */
int httpd_reply_header(struct httpd_req *req, const char *name, const char *value) GW_WUR;

/* A request header (case-insensitive name), or NULL. */
const char *httpd_req_header(const struct httpd_req *req, const char *name);

#endif
