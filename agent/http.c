// SPDX-License-Identifier: Apache-2.0
// HTTPS client for the verifier's JSON API, on libcurl.
#include "http.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "util.h"

struct http_client {
	CURL *curl;
	long timeout_s;
	char *base;
	struct curl_slist *headers;
	char *ca_file;
	enum http_failure failure;
	char errbuf[CURL_ERROR_SIZE];
	char dates[160]; /* set by on_verify() on a validity-date error */
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

/* OpenSSL's ex-data slot that takes the client to the verify callback. */
static int ctx_slot = -1;

/* Records which certificate of the chain is outside its validity dates and those
 * dates (libcurl shows no certificate when the chain fails). Decides nothing:
 * OpenSSL's verdict is returned unchanged. */
static int on_verify(int ok, X509_STORE_CTX *x)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(x, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct http_client *c = ssl ? SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), ctx_slot) : NULL;
	int e = X509_STORE_CTX_get_error(x);
	X509 *cert = X509_STORE_CTX_get_current_cert(x);
	BIO *b = NULL;
	char *p = NULL;
	long n;

	if (ok || !c || !cert || c->dates[0] ||
	    (e != X509_V_ERR_CERT_NOT_YET_VALID && e != X509_V_ERR_CERT_HAS_EXPIRED))
		return ok;
	b = BIO_new(BIO_s_mem());
	if (b && BIO_printf(b, "the %s certificate is valid from ",
			    X509_STORE_CTX_get_error_depth(x) ? "CA" : "server") > 0 &&
	    ASN1_TIME_print(b, X509_get0_notBefore(cert)) && BIO_puts(b, " to ") > 0 &&
	    ASN1_TIME_print(b, X509_get0_notAfter(cert)) && (n = BIO_get_mem_data(b, &p)) > 0)
		snprintf(c->dates, sizeof(c->dates), "%.*s", (int)n, p);
	BIO_free(b);
	return ok;
}

static CURLcode on_ssl_ctx(CURL *curl, void *ssl_ctx, void *user)
{
	(void)curl;
	if (ctx_slot < 0 || !SSL_CTX_set_ex_data(ssl_ctx, ctx_slot, user))
		return CURLE_OK; /* only the message loses the dates */
	SSL_CTX_set_verify(ssl_ctx, SSL_CTX_get_verify_mode(ssl_ctx), on_verify);
	return CURLE_OK;
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
		ctx_slot = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
		initialised = 1;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return GW_E_NOMEM;
	c->base = strdup(o->base_url);
	c->ca_file = strdup(o->ca_file);
	c->curl = curl_easy_init();
	c->headers = curl_slist_append(NULL, "Content-Type: application/json");
	if (c->headers)
		c->headers = curl_slist_append(c->headers, "Accept: application/json");
	if (!c->base || !c->ca_file || !c->curl || !c->headers) {
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
	c->timeout_s = o->timeout_s > 0 ? o->timeout_s : 30L;
	SET(CURLOPT_TIMEOUT, c->timeout_s);
	SET(CURLOPT_CONNECTTIMEOUT, 10L);
	SET(CURLOPT_HTTPHEADER, c->headers);
	SET(CURLOPT_WRITEFUNCTION, on_data);
	/* So that a name mismatch can say which names the certificate has. */
	SET(CURLOPT_CERTINFO, 1L);
	/* So that a date error can say which certificate's dates; a libcurl without
	 * OpenSSL refuses these, and only loses the dates. */
	if (curl_easy_setopt(c->curl, CURLOPT_SSL_CTX_FUNCTION, on_ssl_ctx) == CURLE_OK)
		(void)curl_easy_setopt(c->curl, CURLOPT_SSL_CTX_DATA, c);
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
	free(c->ca_file);
	free(c->base);
	free(c);
}

enum http_failure http_last_failure(const struct http_client *c)
{
	return c->failure;
}

/* The host part of the base URL, for messages ("verifier.example"). */
static void url_host(const char *base, char *out, size_t len)
{
	const char *h = base + 8, *end;

	if (*h == '[') {
		end = strchr(h, ']');
		end = end ? end + 1 : h + strlen(h);
	} else {
		end = h + strcspn(h, ":/");
	}
	snprintf(out, len, "%.*s", (int)(end - h), h);
}

/* The server's certificate as libcurl saw it (CURLOPT_CERTINFO), when it did: its
 * subjectAltName into names, and whether it is for host (1), not (0), or unknown
 * (-1). */
static int peer_check(CURL *curl, const char *host, char *names, size_t len)
{
	static const char san[] = "X509v3 Subject Alternative Name:", pem[] = "Cert:";
	struct curl_certinfo *ci = NULL;
	unsigned char ip[16];
	X509 *cert = NULL;
	char bare[300];
	int match = -1;

	names[0] = '\0';
	if (curl_easy_getinfo(curl, CURLINFO_CERTINFO, &ci) != CURLE_OK || !ci ||
	    ci->num_of_certs < 1)
		return -1;
	for (struct curl_slist *l = ci->certinfo[0]; l; l = l->next) {
		if (!strncmp(l->data, san, sizeof(san) - 1))
			snprintf(names, len, "%s", l->data + sizeof(san) - 1);
		if (!strncmp(l->data, pem, sizeof(pem) - 1) && !cert) {
			BIO *bio = BIO_new_mem_buf(l->data + sizeof(pem) - 1, -1);

			cert = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
			BIO_free(bio);
		}
	}
	if (cert) {
		/* libcurl never falls back to the subject CN: neither may this check. */
		const unsigned int flags = X509_CHECK_FLAG_NEVER_CHECK_SUBJECT;
		size_t n = strlen(host);

		/* An IPv6 URL host comes in brackets. */
		snprintf(bare, sizeof(bare), "%.*s", (int)(host[0] == '[' && n > 1 ? n - 2 : n),
			 host[0] == '[' ? host + 1 : host);
		if (inet_pton(AF_INET, bare, ip) == 1 || inet_pton(AF_INET6, bare, ip) == 1)
			match = X509_check_ip_asc(cert, bare, flags) == 1;
		else
			match = X509_check_host(cert, bare, flags, 0, NULL) == 1;
	}
	X509_free(cert);
	ERR_clear_error();
	return match;
}

/* A certificate outside its validity period by this machine's clock: most often a
 * gateway without a battery-backed clock that booted in 1970, which NTP will fix,
 * so this is retried like an unreachable verifier. */
static int clock_fail(struct http_client *c, long vr, const char *why, gw_error *err)
{
	char dates[sizeof(c->dates) + 64], now[32] = "?";
	time_t t = time(NULL);
	struct tm tm;

	if (gmtime_r(&t, &tm))
		strftime(now, sizeof(now), "%Y-%m-%d %H:%M:%S UTC", &tm);
	snprintf(dates, sizeof(dates), "%s%sthis gateway's clock says %s", c->dates,
		 c->dates[0] ? "; " : "", now);
	c->failure = HTTP_FAIL_TLS_CLOCK;
	if (vr == X509_V_ERR_CERT_NOT_YET_VALID)
		return gw_fail(err, GW_E_IO,
			       "the verifier's TLS certificate (or its CA) is not valid yet by "
			       "this gateway's clock (%s): set the clock (NTP, or the RTC); "
			       "will retry (%s)", dates, why);
	return gw_fail(err, GW_E_IO,
		       "the verifier's TLS certificate (or its CA) has expired by this "
		       "gateway's clock (%s): if the clock is right, renew it (a server certificate: "
		       "gwverifier server-cert; the CA: a new set-up); will retry (%s)", dates, why);
}

/* Why curl_easy_perform() failed, in words that say what to do. A certificate that
 * does not name the host, or that the CA does not vouch for, is not a verifier
 * that is down: retrying will not help, the URL or the certificates must change. */
static int transport_fail(struct http_client *c, CURLcode cc, gw_error *err)
{
	const char *why = c->errbuf[0] ? c->errbuf : curl_easy_strerror(cc);
	char host[300], names[512];
	long vr = X509_V_OK;
	bool name_only, chain_ok;
	int match;

	if (cc != CURLE_PEER_FAILED_VERIFICATION) {
		c->failure = HTTP_FAIL_UNREACHABLE;
		return gw_fail(err, GW_E_IO, "%s", why);
	}
	url_host(c->base, host, sizeof(host));
	if (curl_easy_getinfo(c->curl, CURLINFO_SSL_VERIFYRESULT, &vr) != CURLE_OK)
		vr = X509_V_OK;
	if (vr == X509_V_ERR_CERT_NOT_YET_VALID || vr == X509_V_ERR_CERT_HAS_EXPIRED)
		return clock_fail(c, vr, why, err);
	/* libcurl checks the name itself after OpenSSL verified the chain, and then
	 * reports "unspecified": the certificate it saw tells which it was. A chain
	 * that verified leaves only the name as the reason. */
	chain_ok = vr == X509_V_OK || vr == X509_V_ERR_HOSTNAME_MISMATCH ||
		   vr == X509_V_ERR_IP_ADDRESS_MISMATCH;
	name_only = chain_ok || vr == X509_V_ERR_UNSPECIFIED;
	match = name_only ? peer_check(c->curl, host, names, sizeof(names)) : -1;
	if (name_only && (match == 0 || chain_ok)) {
		c->failure = HTTP_FAIL_TLS_NAME;
		return gw_fail(err, GW_E_CONFIG,
			       "the verifier's TLS certificate does not match the name '%s' in "
			       "the verifier URL%s%s%s: use a URL with a name the certificate "
			       "has, or issue the verifier a certificate for '%s' (on the "
			       "verifier: gwverifier server-cert --hostname %s --hostname "
			       "<each name it has now>, then restart gwverifier serve) (%s)",
			       host, names[0] ? " (the certificate names " : "", names,
			       names[0] ? ")" : "", host, host, why);
	}
	c->failure = HTTP_FAIL_TLS_UNTRUSTED;
	if (name_only && match < 0)
		/* The certificate was not seen: either could be the cause. */
		return gw_fail(err, GW_E_CONFIG,
			       "the verifier's TLS certificate was refused: it does not name '%s' "
			       "(then use a URL with one of its names, or on the verifier "
			       "'gwverifier server-cert --hostname %s ...'), or it does not "
			       "verify against the CA in %s (%s)",
			       host, host, c->ca_file, why);
	return gw_fail(err, GW_E_CONFIG,
		       "the verifier's TLS certificate does not verify against the CA in %s: "
		       "%s; check that it is the verifier's ca.pem and that the verifier "
		       "serves the certificate its init made (%s)",
		       c->ca_file, X509_verify_cert_error_string(vr), why);
}

int http_post_json(struct http_client *c, const char *path, const char *body, long *status,
		   char **resp, size_t *resp_len, gw_error *err)
{
	struct sink s = { 0 };
	char *url;
	size_t n = strlen(c->base) + strlen(path) + 1;
	CURLcode cc;

	c->errbuf[0] = '\0';
	c->dates[0] = '\0';
	c->failure = HTTP_FAIL_NONE;
	url = malloc(n);
	if (!url)
		return GW_E_NOMEM;
	if (gw_snprintf(url, n, "%s%s", c->base, path)) {
		free(url);
		return GW_E_INVAL;
	}
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
		if (s.too_big) {
			c->failure = HTTP_FAIL_OTHER;
			return gw_fail(err, GW_E_TOOBIG, "response larger than %u bytes",
				       HTTP_MAX_RESPONSE);
		}
		return transport_fail(c, cc, err);
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

struct get_ctx {
	struct http_client *c;
	struct http_get *g;
	struct sink err_body;
	int abort_rc;
};

/* Copy a header's value (after "Name:", blanks trimmed) into buf when the line
 * is that header. */
static void header_value(const char *line, size_t n, const char *name, char *buf, size_t cap)
{
	size_t k = strlen(name), e;

	if (n <= k || strncasecmp(line, name, k) || line[k] != ':')
		return;
	line += k + 1;
	n -= k + 1;
	while (n && (*line == ' ' || *line == '\t')) {
		line++;
		n--;
	}
	for (e = n; e && (line[e - 1] == '\r' || line[e - 1] == '\n' || line[e - 1] == ' '); e--)
		;
	if (e < cap) {
		memcpy(buf, line, e);
		buf[e] = '\0';
	}
}

static size_t on_get_header(char *data, size_t size, size_t nmemb, void *user)
{
	struct get_ctx *gc = user;
	size_t n = size * nmemb;

	/* A new status line (an interim answer, or the final one) starts afresh. */
	if (n >= 5 && !strncmp(data, "HTTP/", 5)) {
		gc->g->etag[0] = '\0';
		gc->g->content_range[0] = '\0';
		gc->g->content_length[0] = '\0';
	}
	header_value(data, n, "Content-Length", gc->g->content_length,
		     sizeof(gc->g->content_length));
	header_value(data, n, "ETag", gc->g->etag, sizeof(gc->g->etag));
	header_value(data, n, "Content-Range", gc->g->content_range,
		     sizeof(gc->g->content_range));
	return n;
}

static size_t on_get_body(char *data, size_t size, size_t nmemb, void *user)
{
	struct get_ctx *gc = user;
	size_t n = size * nmemb;
	long status = 0;

	curl_easy_getinfo(gc->c->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200 && status != 206) {
		if (gc->err_body.len + n > 65536)
			return n; /* an error message: the first 64 KiB will do */
		return on_data(data, size, nmemb, &gc->err_body);
	}
	gc->g->status = status;
	gc->abort_rc = gc->g->on_body(gc->g, data, n);
	return gc->abort_rc ? 0 : n;
}

/* Put the client back as http_post_json() expects it. */
static void get_restore(struct http_client *c)
{
	(void)curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, c->headers);
	(void)curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_data);
	(void)curl_easy_setopt(c->curl, CURLOPT_HEADERFUNCTION, (void *)NULL);
	(void)curl_easy_setopt(c->curl, CURLOPT_HEADERDATA, (void *)NULL);
	(void)curl_easy_setopt(c->curl, CURLOPT_TIMEOUT, c->timeout_s);
	(void)curl_easy_setopt(c->curl, CURLOPT_LOW_SPEED_LIMIT, 0L);
	(void)curl_easy_setopt(c->curl, CURLOPT_LOW_SPEED_TIME, 0L);
	(void)curl_easy_setopt(c->curl, CURLOPT_MAX_RECV_SPEED_LARGE, (curl_off_t)0);
}

/* The request headers of g: Accept, Range, If-Range. NULL when out of memory. */
static struct curl_slist *get_headers(const struct http_get *g)
{
	struct curl_slist *h = curl_slist_append(NULL, "Accept: application/octet-stream");
	char line[160];

	if (h && g->range && !gw_snprintf(line, sizeof(line), "Range: %s", g->range))
		h = curl_slist_append(h, line);
	if (h && g->if_range && !gw_snprintf(line, sizeof(line), "If-Range: %s", g->if_range))
		h = curl_slist_append(h, line);
	return h;
}

int http_get(struct http_client *c, struct http_get *g, gw_error *err)
{
	struct get_ctx gc = { .c = c, .g = g };
	struct curl_slist *hdrs = get_headers(g);
	size_t n = strlen(c->base) + strlen(g->path) + 1;
	char *url = malloc(n);
	CURLcode cc = CURLE_OK;
	int rc = 0;

	c->errbuf[0] = '\0';
	c->dates[0] = '\0';
	c->failure = HTTP_FAIL_NONE;
	g->status = 0;
	g->etag[0] = g->content_range[0] = g->content_length[0] = '\0';
	g->error_body = NULL;
	if (!url || !hdrs || gw_snprintf(url, n, "%s%s", c->base, g->path)) {
		rc = url && hdrs ? GW_E_INVAL : GW_E_NOMEM;
		goto out;
	}
#define SET(opt, val)                                        \
	do {                                                 \
		if (cc == CURLE_OK)                          \
			cc = curl_easy_setopt(c->curl, opt, val); \
	} while (0)
	SET(CURLOPT_URL, url);
	SET(CURLOPT_HTTPGET, 1L);
	SET(CURLOPT_HTTPHEADER, hdrs);
	SET(CURLOPT_WRITEFUNCTION, on_get_body);
	SET(CURLOPT_WRITEDATA, &gc);
	SET(CURLOPT_HEADERFUNCTION, on_get_header);
	SET(CURLOPT_HEADERDATA, &gc);
	SET(CURLOPT_TIMEOUT, 0L);
	SET(CURLOPT_LOW_SPEED_LIMIT, 1L);
	SET(CURLOPT_LOW_SPEED_TIME, HTTP_GET_STALL_S);
	SET(CURLOPT_MAX_RECV_SPEED_LARGE, (curl_off_t)(g->max_rate > 0 ? g->max_rate : 0));
#undef SET
	if (cc == CURLE_OK)
		cc = curl_easy_perform(c->curl);
	if (gc.abort_rc) {
		rc = gc.abort_rc;
		goto out;
	}
	if (cc != CURLE_OK) {
		rc = transport_fail(c, cc, err);
		goto out;
	}
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &g->status);
	g->error_body = gc.err_body.buf; /* transferred */
	gc.err_body.buf = NULL;
out:
	get_restore(c);
	curl_slist_free_all(hdrs);
	free(gc.err_body.buf);
	free(url);
	return rc;
}
