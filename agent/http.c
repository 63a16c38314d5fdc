// SPDX-License-Identifier: Apache-2.0
// HTTPS client for the verifier's JSON API, on libcurl.
#include "http.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "util.h"

struct http_client {
	CURL *curl;
	char *base;
	struct curl_slist *headers;
	char errbuf[CURL_ERROR_SIZE];
};

struct sink {
	char *buf;
	size_t len;
	bool too_big;
};

static size_t on_data(char *data, size_t size, size_t nmemb, void *user)
{
	struct sink *s = user;
	size_t n = size * nmemb;
	char *nb;

	if (s->len + n > HTTP_MAX_RESPONSE) {
		s->too_big = true;
		return 0; /* aborts the transfer */
	}
	nb = realloc(s->buf, s->len + n + 1);
	if (!nb)
		return 0;
	s->buf = nb;
	memcpy(s->buf + s->len, data, n);
	s->len += n;
	s->buf[s->len] = '\0';
	return n;
}

int http_client_new(const struct http_opts *o, struct http_client **out, gw_error *err)
{
	static int initialised;
	struct http_client *c;
	CURLcode cc = CURLE_OK;

	if (!o->base_url || strncmp(o->base_url, "https://", 8))
		return gw_fail(err, GW_E_INVAL, "verifier URL must start with https://");
	if (!o->ca_file)
		return gw_fail(err, GW_E_INVAL, "the verifier's CA certificate is needed");
	if (!initialised) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT))
			return gw_fail(err, GW_E_IO, "curl_global_init failed");
		initialised = 1;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return GW_E_NOMEM;
	c->base = strdup(o->base_url);
	c->curl = curl_easy_init();
	c->headers = curl_slist_append(NULL, "Content-Type: application/json");
	if (c->headers)
		c->headers = curl_slist_append(c->headers, "Accept: application/json");
	if (!c->base || !c->curl || !c->headers) {
		http_client_free(c);
		return GW_E_NOMEM;
	}
	/* Only the verifier's CA is trusted, only HTTPS, no redirects, TLS 1.2+. */
#define SET(opt, val)                                        \
	do {                                                 \
		if (cc == CURLE_OK)                          \
			cc = curl_easy_setopt(c->curl, opt, val); \
	} while (0)
	SET(CURLOPT_ERRORBUFFER, c->errbuf);
	SET(CURLOPT_CAINFO, o->ca_file);
	SET(CURLOPT_CAPATH, (char *)NULL);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	SET(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	SET(CURLOPT_PROTOCOLS_STR, "https");
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_TIMEOUT, o->timeout_s > 0 ? o->timeout_s : 30L);
	SET(CURLOPT_CONNECTTIMEOUT, 10L);
	SET(CURLOPT_HTTPHEADER, c->headers);
	SET(CURLOPT_WRITEFUNCTION, on_data);
	if (o->cert_file) {
		SET(CURLOPT_SSLCERT, o->cert_file);
		SET(CURLOPT_SSLKEY, o->key_file ? o->key_file : o->cert_file);
	}
#undef SET
	if (cc != CURLE_OK) {
		http_client_free(c);
		return gw_fail(err, GW_E_IO, "configuring libcurl: %s", curl_easy_strerror(cc));
	}
	*out = c;
	return 0;
}

void http_client_free(struct http_client *c)
{
	if (!c)
		return;
	if (c->curl)
		curl_easy_cleanup(c->curl);
	curl_slist_free_all(c->headers);
	free(c->base);
	free(c);
}

int http_post_json(struct http_client *c, const char *path, const char *body, long *status,
		   char **resp, size_t *resp_len, gw_error *err)
{
	struct sink s = { 0 };
	char *url;
	size_t n = strlen(c->base) + strlen(path) + 1;
	CURLcode cc;

	url = malloc(n);
	if (!url)
		return GW_E_NOMEM;
	if (gw_snprintf(url, n, "%s%s", c->base, path)) {
		free(url);
		return GW_E_INVAL;
	}
	c->errbuf[0] = '\0';
	cc = curl_easy_setopt(c->curl, CURLOPT_URL, url);
	if (cc == CURLE_OK)
		cc = curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body ? body : "{}");
	if (cc == CURLE_OK)
		cc = curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &s);
	if (cc == CURLE_OK)
		cc = curl_easy_perform(c->curl);
	free(url);
	if (cc != CURLE_OK) {
		free(s.buf);
		if (s.too_big)
			return gw_fail(err, GW_E_TOOBIG, "response larger than %u bytes",
				       HTTP_MAX_RESPONSE);
		return gw_fail(err, GW_E_IO, "%s", c->errbuf[0] ? c->errbuf : curl_easy_strerror(cc));
	}
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, status);
	if (!s.buf) {
		s.buf = calloc(1, 1);
		if (!s.buf)
			return GW_E_NOMEM;
	}
	*resp = s.buf; /* transferred */
	*resp_len = s.len;
	return 0;
}
