// SPDX-License-Identifier: Apache-2.0
// Streamed answers from a file (httpd_reply_file): one chunk is read and handed
// to evhttp, the next only when that one has been written, so a download takes
// HTTPD_STREAM_CHUNK of memory whatever its size and however slow the client.
#include "httpd_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/http.h>

struct stream {
	struct evhttp_request *ev;
	struct evhttp_connection *evcon;
	SSL *ssl;
	int fd;
	uint64_t off;
	uint64_t left;
};

static void stream_free(struct stream *s)
{
	if (s->fd >= 0)
		close(s->fd);
	free(s);
}

/* The connection goes away mid-answer. When the client left or timed out, evhttp
 * has detached the unfinished request from it, and ending the request frees it.
 * When the server stops, the request is still attached and evhttp frees it with
 * the connection: it must not be touched. */
static void stream_gone(struct evhttp_connection *evcon, void *arg)
{
	struct stream *s = arg;

	evhttp_connection_set_closecb(evcon, NULL, NULL);
	if (!evhttp_request_get_connection(s->ev))
		evhttp_send_reply_end(s->ev);
	stream_free(s);
}

/* Done, or stopped short: end the answer (the connection closes after it). */
static void stream_end(struct stream *s)
{
	evhttp_connection_set_closecb(s->evcon, NULL, NULL);
	httpd_conn_answered(s->ssl);
	evhttp_send_reply_end(s->ev);
	stream_free(s);
}

static void stream_next(struct evhttp_connection *evcon, void *arg)
{
	struct stream *s = arg;
	struct evbuffer *buf;
	struct evbuffer_iovec v;
	size_t want;
	ssize_t n;

	(void)evcon;
	if (s->left == 0) {
		stream_end(s);
		return;
	}
	want = s->left < HTTPD_STREAM_CHUNK ? (size_t)s->left : HTTPD_STREAM_CHUNK;
	buf = evbuffer_new();
	if (!buf || evbuffer_reserve_space(buf, want, &v, 1) < 1) {
		evbuffer_free(buf);
		stream_end(s);
		return;
	}
	do
		n = pread(s->fd, v.iov_base, want, (off_t)s->off);
	while (n < 0 && errno == EINTR);
	if (n <= 0) {
		/* Shorter than promised: the client sees the body cut short. */
		evbuffer_free(buf);
		stream_end(s);
		return;
	}
	v.iov_len = (size_t)n;
	if (evbuffer_commit_space(buf, &v, 1)) {
		evbuffer_free(buf);
		stream_end(s);
		return;
	}
	s->off += (uint64_t)n;
	s->left -= (uint64_t)n;
	evhttp_send_reply_chunk_with_cb(s->ev, buf, stream_next, s);
	evbuffer_free(buf);
}

int httpd_reply_file(struct httpd_req *req, int status, int fd, uint64_t offset, uint64_t len,
		     const char *content_type)
{
	struct req_ctx *rc = (struct req_ctx *)req;
	struct evkeyvalq *hdrs = evhttp_request_get_output_headers(rc->ev);
	struct stream *s = NULL;
	char clen[24];

	if (rc->replied) {
		close(fd);
		return GW_E_STATE;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		close(fd);
		return GW_E_NOMEM;
	}
	s->ev = rc->ev;
	s->evcon = evhttp_request_get_connection(rc->ev);
	s->ssl = rc->ssl;
	s->fd = fd;
	s->off = offset;
	s->left = len;
	snprintf(clen, sizeof(clen), "%" PRIu64, len);
	/* With Content-Length set evhttp sends the body as is, not chunked. */
	if (!s->evcon || evhttp_add_header(hdrs, "Content-Type", content_type) ||
	    evhttp_add_header(hdrs, "Content-Length", clen) ||
	    evhttp_add_header(hdrs, "Cache-Control", "no-store") ||
	    evhttp_add_header(hdrs, "X-Content-Type-Options", "nosniff") ||
	    evhttp_add_header(hdrs, "Connection", "close")) {
		stream_free(s);
		return GW_E_NOMEM;
	}
	rc->replied = true;
	rc->streaming = true;
	evhttp_connection_set_closecb(s->evcon, stream_gone, s);
	evhttp_send_reply_start(rc->ev, status, status == 206 ? "Partial Content" : NULL);
	stream_next(s->evcon, s);
	return 0;
}
