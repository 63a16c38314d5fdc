/* SPDX-License-Identifier: Apache-2.0 */
/* The agent's HTTPS client (libcurl): JSON requests to the verifier, with the
 * verifier's CA pinned and, once enrolled, the device's client certificate. */
#ifndef GW_AGENT_HTTP_H
#define GW_AGENT_HTTP_H

#include <stddef.h>

#include "gw_error.h"

#define HTTP_MAX_RESPONSE (16u * 1024 * 1024)

struct http_opts {
	const char *base_url;  /* "https://verifier.example:8443" */
	const char *ca_file;   /* the verifier's CA: the only trusted root */
	const char *cert_file; /* client certificate (PEM), or NULL */
	const char *key_file;  /* its private key (PEM), or NULL */
	long timeout_s;        /* whole request; 0 means 30 */
};

struct http_client;

/* Why the last request got no answer. */
enum http_failure {
	HTTP_FAIL_NONE,
	HTTP_FAIL_UNREACHABLE,   /* DNS, TCP, TLS handshake, timeout: worth retrying */
	HTTP_FAIL_TLS_NAME,      /* the certificate verifies but does not name the host */
	HTTP_FAIL_TLS_UNTRUSTED, /* the certificate does not verify against the CA */
	HTTP_FAIL_TLS_CLOCK,     /* not yet valid or expired by our clock: retry */
	HTTP_FAIL_OTHER,         /* the answer was over the size cap */
};

int http_client_new(const struct http_opts *opts, struct http_client **out,
		    gw_error *err) GW_WUR;
void http_client_free(struct http_client *c);

/* POST body (JSON text, may be NULL for an empty object) to base_url + path. On a
 * completed exchange returns 0 with the HTTP status and the response body
 * (NUL-terminated, freed by the caller); transport failures are GW_E_IO with
 * curl's reason in err, a server certificate that does not name the URL's host or
 * does not verify against the CA is GW_E_CONFIG with a message saying which and
 * what to do; one outside its validity dates by the local clock is GW_E_IO
 * (HTTP_FAIL_TLS_CLOCK) with the dates and the clock. Connections are reused between calls (keep-alive). */
int http_post_json(struct http_client *c, const char *path, const char *body, long *status,
		   char **resp, size_t *resp_len, gw_error *err) GW_WUR;
/* A GET whose body is handed over as it arrives (a download). */
struct http_get {
	const char *path;
	const char *range;    /* Range header value, or NULL */
	const char *if_range; /* If-Range header value, or NULL */
	long max_rate;        /* bytes per second, 0: no limit */
	/* Body bytes of a 200 or 206 answer, with g->status and the headers below
	 * already filled; a non-zero return aborts the transfer and becomes
	 * http_get()'s return. */
	int (*on_body)(struct http_get *g, const void *p, size_t n);
	void *arg;
	/* Filled by http_get(): */
	long status;
	char etag[80];          /* the ETag header as sent (quotes kept), or "" */
	char content_range[80]; /* the Content-Range header, or "" */
	char content_length[24]; /* the Content-Length header, or "" */
	char *error_body;       /* the body of any other status (capped), or NULL; the
				 * caller frees it */
};
/* GET base_url + g->path. 0 when an answer came (any status, in g->status); the
 * transport failures as for http_post_json(). No overall time limit: the transfer
 * is abandoned when under 1 byte per second arrives for HTTP_GET_STALL_S. */
#define HTTP_GET_STALL_S 60L
int http_get(struct http_client *c, struct http_get *g, gw_error *err) GW_WUR;

/* What the last http_post_json() failure was (HTTP_FAIL_NONE after an answer). */
enum http_failure http_last_failure(const struct http_client *c);

#endif
