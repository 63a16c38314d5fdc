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
/* What the last http_post_json() failure was (HTTP_FAIL_NONE after an answer). */
enum http_failure http_last_failure(const struct http_client *c);

#endif
