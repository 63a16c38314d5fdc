// SPDX-License-Identifier: Apache-2.0
// Load generator: software devices that enroll through the verifier's real HTTPS
// protocol and then attest over keep-alive connections, timing each round.
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <curl/curl.h>
#include <json-c/json.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <tss2/tss2_mu.h>

#include "cel.h"
#include "credential.h"
#include "evidence.h"
#include "pki.h"
#include "tpmdata.h"
#include "util.h"

#define MAX_THREADS 256
#define MAX_DEVICES 10000000ul
#define MAX_LAT_PER_THREAD (1u << 18)
#define RESP_CAP (1u << 20)

/* Content-Type for every body; no "Expect: 100-continue" round trip. Set up by
 * main before any thread runs, read-only afterwards. */
static struct curl_slist *json_headers;

/* The TCG EK templates' policy: PolicySecret(TPM_RH_ENDORSEMENT). */
static const uint8_t ek_policy[32] = {
	0x83, 0x71, 0x97, 0x67, 0x44, 0x84, 0xb3, 0xf8, 0x1a, 0x90, 0xcc, 0x8d, 0x46, 0xa5, 0xd7, 0x24,
	0xfd, 0x52, 0xd7, 0x6e, 0x06, 0x52, 0x0b, 0x64, 0xf2, 0xa1, 0xda, 0x1b, 0x33, 0x14, 0x69, 0xaa,
};

struct opts {
	const char *url, *ca, *ek_ca_key, *ek_ca_cert, *prefix, *state_dir, *ek_type;
	unsigned long devices;
	unsigned concurrency;
	double seconds;
	int enroll_only;
};

/* One simulated gateway. */
struct device {
	char id[65];
	EVP_PKEY *ak;
	char *tls_key_pem, *cert_pem;
	CURL *h;            /* its keep-alive connection */
	uint64_t clock;     /* last quoted TPM clock */
};

struct shared {
	const struct opts *o;
	X509 *ek_ca;
	EVP_PKEY *ek_ca_key;
	struct device *dev;
	char *cel;          /* the CEL log every device sends */
	size_t cel_len;
	struct gw_pcr_bank replay; /* its sha256 replay */
	double t_end;
	atomic_ulong next;  /* enrollment: next device index */
	atomic_ulong enrolled, errors;
	pthread_mutex_t log_lock;
	int logged;
};

struct worker {
	struct shared *s;
	unsigned idx;
	unsigned long n_ok, n_err;
	double *lat;
	size_t n_lat;
};

struct buf {
	char *p;
	size_t len;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A few errors go to stderr; the rest are only counted. */
static void report(struct shared *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void report(struct shared *s, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&s->log_lock);
	if (s->logged++ < 10) {
		va_start(ap, fmt);
		fputs("loadgen: ", stderr);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
		va_end(ap);
	}
	pthread_mutex_unlock(&s->log_lock);
}

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct buf *b = arg;
	size_t n = size * nmemb;
	char *np;

	if (b->len + n + 1 > RESP_CAP)
		return 0;
	np = realloc(b->p, b->len + n + 1);
	if (!np)
		return 0;
	b->p = np;
	memcpy(b->p + b->len, ptr, n);
	b->len += n;
	b->p[b->len] = '\0';
	return n;
}

static CURL *handle_new(const struct opts *o, const struct device *d)
{
	CURL *h = curl_easy_init();
	struct curl_blob cert, key;

	if (!h)
		return NULL;
	curl_easy_setopt(h, CURLOPT_CAINFO, o->ca);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, json_headers);
	if (d && d->cert_pem) {
		cert = (struct curl_blob){ d->cert_pem, strlen(d->cert_pem), CURL_BLOB_COPY };
		key = (struct curl_blob){ d->tls_key_pem, strlen(d->tls_key_pem), CURL_BLOB_COPY };
		curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
		curl_easy_setopt(h, CURLOPT_SSLCERT_BLOB, &cert);
		curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
		curl_easy_setopt(h, CURLOPT_SSLKEY_BLOB, &key);
	}
	return h;
}

/* POST body to path on h; the parsed JSON answer in *out. Returns the HTTP status,
 * or -1 on a transport error. */
static long post(CURL *h, const struct opts *o, const char *path, const char *body,
		 json_object **out, char *errbuf, size_t errlen)
{
	char url[512];
	struct buf b = { NULL, 0 };
	long status = -1;
	CURLcode cc;

	if (gw_snprintf(url, sizeof(url), "%s%s", o->url, path)) {
		snprintf(errbuf, errlen, "URL too long");
		return -1;
	}
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	cc = curl_easy_perform(h);
	if (cc != CURLE_OK) {
		snprintf(errbuf, errlen, "%s: %s", path, curl_easy_strerror(cc));
		goto out;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	*out = b.p ? json_tokener_parse(b.p) : NULL;
	if (!*out) {
		snprintf(errbuf, errlen, "%s: HTTP %ld, answer is not JSON", path, status);
		status = -1;
	} else if (status != 200) {
		snprintf(errbuf, errlen, "%s: HTTP %ld %s", path, status, b.p);
	}
out:
	free(b.p);
	return status;
}

static const char *jstr(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v) : NULL;
}

static int get_bn(EVP_PKEY *key, const char *param, uint8_t *out, size_t len)
{
	BIGNUM *bn = NULL;
	int ok = EVP_PKEY_get_bn_param(key, param, &bn) == 1 &&
		 BN_bn2binpad(bn, out, (int)len) == (int)len;

	BN_free(bn);
	return ok ? 0 : -1;
}

/* A software EK in the shape of the TCG EK templates L-1 (RSA 2048) / L-2 (P-256). */
static int make_ek(const char *type, EVP_PKEY **key, TPM2B_PUBLIC *pub)
{
	TPMT_PUBLIC *p = &pub->publicArea;
	TPMT_SYM_DEF_OBJECT *sym;

	memset(pub, 0, sizeof(*pub));
	p->nameAlg = TPM2_ALG_SHA256;
	p->objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
			      TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_ADMINWITHPOLICY |
			      TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT;
	p->authPolicy.size = sizeof(ek_policy);
	memcpy(p->authPolicy.buffer, ek_policy, sizeof(ek_policy));
	if (!strcmp(type, "rsa")) {
		*key = EVP_RSA_gen(2048);
		p->type = TPM2_ALG_RSA;
		sym = &p->parameters.rsaDetail.symmetric;
		p->parameters.rsaDetail.scheme.scheme = TPM2_ALG_NULL;
		p->parameters.rsaDetail.keyBits = 2048;
		p->unique.rsa.size = 256;
		if (!*key || get_bn(*key, OSSL_PKEY_PARAM_RSA_N, p->unique.rsa.buffer, 256))
			return -1;
	} else {
		*key = EVP_EC_gen("P-256");
		p->type = TPM2_ALG_ECC;
		sym = &p->parameters.eccDetail.symmetric;
		p->parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
		p->parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
		p->parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
		p->unique.ecc.x.size = 32;
		p->unique.ecc.y.size = 32;
		if (!*key || get_bn(*key, OSSL_PKEY_PARAM_EC_PUB_X, p->unique.ecc.x.buffer, 32) ||
		    get_bn(*key, OSSL_PKEY_PARAM_EC_PUB_Y, p->unique.ecc.y.buffer, 32))
			return -1;
	}
	sym->algorithm = TPM2_ALG_AES;
	sym->keyBits.aes = 128;
	sym->mode.aes = TPM2_ALG_CFB;
	return 0;
}

/* A software AK as Gatewarden's agent creates it: restricted ECDSA-SHA256 P-256. */
static int make_ak(EVP_PKEY **key, TPM2B_PUBLIC *pub)
{
	TPMT_PUBLIC *p = &pub->publicArea;

	memset(pub, 0, sizeof(*pub));
	*key = EVP_EC_gen("P-256");
	p->type = TPM2_ALG_ECC;
	p->nameAlg = TPM2_ALG_SHA256;
	p->objectAttributes = TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT |
			      TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
			      TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH;
	p->parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
	p->parameters.eccDetail.scheme.scheme = TPM2_ALG_ECDSA;
	p->parameters.eccDetail.scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
	p->parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
	p->parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
	p->unique.ecc.x.size = 32;
	p->unique.ecc.y.size = 32;
	if (!*key || get_bn(*key, OSSL_PKEY_PARAM_EC_PUB_X, p->unique.ecc.x.buffer, 32) ||
	    get_bn(*key, OSSL_PKEY_PARAM_EC_PUB_Y, p->unique.ecc.y.buffer, 32))
		return -1;
	return 0;
}

static int add_b64(json_object *o, const char *key, const uint8_t *data, size_t len)
{
	char *s = NULL;

	if (gw_b64_encode(data, len, &s))
		return -1;
	json_object_object_add(o, key, json_object_new_string(s));
	free(s);
	return 0;
}

static char *key_pem(EVP_PKEY *key)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data, *out = NULL;
	long n;

	if (bio && PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL)) {
		n = BIO_get_mem_data(bio, &data);
		out = strndup(data, (size_t)n);
	}
	BIO_free(bio);
	return out;
}

/* The state file of a device: AK key, TLS key and client certificate, PEM. */
static int state_path(const struct opts *o, const char *id, char *buf, size_t len)
{
	return gw_snprintf(buf, len, "%s/%s.pem", o->state_dir, id);
}

static int state_save(const struct opts *o, const struct device *d)
{
	char path[4096], *ak = key_pem(d->ak), *text = NULL;
	size_t n;
	int rc = -1;

	if (!ak || state_path(o, d->id, path, sizeof(path)))
		goto out;
	n = strlen(ak) + strlen(d->tls_key_pem) + strlen(d->cert_pem) + 1;
	text = malloc(n);
	if (!text || gw_snprintf(text, n, "%s%s%s", ak, d->tls_key_pem, d->cert_pem))
		goto out;
	rc = gw_write_file_atomic(path, text, n - 1, 0600, NULL) ? -1 : 0;
out:
	if (ak)
		gw_wipe(ak, strlen(ak));
	free(ak);
	if (text)
		gw_wipe(text, strlen(text));
	free(text);
	return rc;
}

/* 1 loaded, 0 no state, -1 error. */
static int state_load(const struct opts *o, struct device *d)
{
	char path[4096];
	BIO *bio = NULL;
	EVP_PKEY *tls = NULL;
	X509 *cert = NULL;
	BIO *mem = NULL;
	char *data;
	long n;
	int rc = -1;

	if (!o->state_dir || state_path(o, d->id, path, sizeof(path)))
		return o->state_dir ? -1 : 0;
	bio = BIO_new_file(path, "r");
	if (!bio)
		return 0;
	d->ak = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	tls = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	if (!d->ak || !tls || !cert)
		goto out;
	d->tls_key_pem = key_pem(tls);
	mem = BIO_new(BIO_s_mem());
	if (!mem || !PEM_write_bio_X509(mem, cert))
		goto out;
	n = BIO_get_mem_data(mem, &data);
	d->cert_pem = strndup(data, (size_t)n);
	if (d->tls_key_pem && d->cert_pem)
		rc = 1;
out:
	BIO_free(mem);
	BIO_free(bio);
	EVP_PKEY_free(tls);
	X509_free(cert);
	return rc;
}

/* POST /v1/enroll, software ActivateCredential, POST /v1/enroll/activate. */
static int enroll(struct shared *s, CURL *h, struct device *d, char *errbuf, size_t errlen)
{
	const struct opts *o = s->o;
	EVP_PKEY *ek = NULL, *tls = NULL;
	TPM2B_PUBLIC ekpub, akpub;
	TPM2B_NAME name;
	TPM2B_ID_OBJECT blob;
	TPM2B_ENCRYPTED_SECRET enc;
	X509 *ekcert = NULL;
	json_object *req = NULL, *resp = NULL;
	uint8_t *der = NULL, *raw = NULL, *bin = NULL, secret[64];
	size_t raw_len = 0, bin_len = 0, secret_len = sizeof(secret);
	char *pem = NULL;
	const char *v;
	int der_len, rc = -1;
	gw_error err = { { 0 } };

	memset(&blob, 0, sizeof(blob));
	memset(&enc, 0, sizeof(enc));
	if (make_ek(o->ek_type, &ek, &ekpub) || make_ak(&d->ak, &akpub) ||
	    pki_issue(s->ek_ca, s->ek_ca_key, ek, d->id, PKI_EK, NULL, 3650, &ekcert, &err) ||
	    (der_len = i2d_X509(ekcert, &der)) <= 0) {
		snprintf(errbuf, errlen, "making the software TPM keys: %s",
			 gw_error_msg(&err, GW_E_CRYPTO));
		goto out;
	}
	req = json_object_new_object();
	json_object_object_add(req, "device_id", json_object_new_string(d->id));
	json_object_object_add(req, "model", json_object_new_string("loadgen-1"));
	if (tpmdata_public_marshal(&ekpub, &raw, &raw_len) || add_b64(req, "ek_public", raw, raw_len))
		goto out;
	free(raw);
	raw = NULL;
	if (add_b64(req, "ek_certificate", der, (size_t)der_len) ||
	    tpmdata_public_marshal(&akpub, &raw, &raw_len) || add_b64(req, "ak_public", raw, raw_len))
		goto out;
	if (post(h, o, "/v1/enroll", json_object_to_json_string(req), &resp, errbuf, errlen) != 200)
		goto out;
	if (!(v = jstr(resp, "credential_blob")) || gw_b64_decode(v, &bin, &bin_len, NULL) ||
	    tpmdata_tpm2b_unmarshal(TPMDATA_TPM2B_ID_OBJECT, bin, bin_len, &blob, NULL)) {
		snprintf(errbuf, errlen, "enroll: bad credential_blob");
		goto out;
	}
	free(bin);
	bin = NULL;
	if (!(v = jstr(resp, "encrypted_secret")) || gw_b64_decode(v, &bin, &bin_len, NULL) ||
	    tpmdata_tpm2b_unmarshal(TPMDATA_TPM2B_ENCRYPTED_SECRET, bin, bin_len, &enc, NULL)) {
		snprintf(errbuf, errlen, "enroll: bad encrypted_secret");
		goto out;
	}
	if (tpmdata_public_name(&akpub.publicArea, &name) ||
	    (rc = credential_activate_soft(ek, &ekpub, &name, &blob, &enc, secret, &secret_len,
					   &err))) {
		snprintf(errbuf, errlen, "activate: %s", gw_error_msg(&err, rc));
		rc = -1;
		goto out;
	}
	rc = -1;
	json_object_put(req);
	req = json_object_new_object();
	json_object_object_add(req, "enrollment_id",
			       json_object_new_string(jstr(resp, "enrollment_id") ?
							      jstr(resp, "enrollment_id") : ""));
	tls = EVP_EC_gen("P-256");
	if (!tls || add_b64(req, "secret", secret, secret_len) || tpmdata_pkey_to_pem(tls, &pem))
		goto out;
	json_object_object_add(req, "client_public_key", json_object_new_string(pem));
	json_object_put(resp);
	resp = NULL;
	if (post(h, o, "/v1/enroll/activate", json_object_to_json_string(req), &resp, errbuf,
		 errlen) != 200)
		goto out;
	if (!(v = jstr(resp, "client_certificate")) || !jstr(resp, "state") ||
	    strcmp(jstr(resp, "state"), "enrolled")) {
		snprintf(errbuf, errlen, "activate: device not enrolled (auto_approve off?)");
		goto out;
	}
	d->cert_pem = strdup(v);
	d->tls_key_pem = key_pem(tls);
	if (d->cert_pem && d->tls_key_pem)
		rc = 0;
out:
	gw_wipe(secret, sizeof(secret));
	json_object_put(req);
	json_object_put(resp);
	EVP_PKEY_free(ek);
	EVP_PKEY_free(tls);
	X509_free(ekcert);
	OPENSSL_free(der);
	free(raw);
	free(bin);
	free(pem);
	return rc;
}

static void *enroll_thread(void *arg)
{
	struct worker *w = arg;
	struct shared *s = w->s;
	CURL *h = handle_new(s->o, NULL);
	char errbuf[512];
	unsigned long i;

	if (!h)
		return NULL;
	while (now_s() < s->t_end && (i = atomic_fetch_add(&s->next, 1)) < s->o->devices) {
		struct device *d = &s->dev[i];
		int st = state_load(s->o, d);

		if (st == 1) {
			atomic_fetch_add(&s->enrolled, 1);
			continue;
		}
		errbuf[0] = '\0';
		if (st < 0 || enroll(s, h, d, errbuf, sizeof(errbuf)) ||
		    (s->o->state_dir && state_save(s->o, d))) {
			report(s, "device %s: %s", d->id, errbuf[0] ? errbuf : "state file");
			atomic_fetch_add(&s->errors, 1);
			continue;
		}
		atomic_fetch_add(&s->enrolled, 1);
		if (s->o->enroll_only) {
			/* Saved or not needed: keep the generator's own memory flat. */
			EVP_PKEY_free(d->ak);
			d->ak = NULL;
			free(d->tls_key_pem);
			d->tls_key_pem = NULL;
			free(d->cert_pem);
			d->cert_pem = NULL;
		}
	}
	curl_easy_cleanup(h);
	return NULL;
}

/* The TPM clock in ms: wall time, so it also grows across loadgen runs. */
static uint64_t tpm_clock(struct device *d)
{
	struct timespec ts;
	uint64_t c;

	clock_gettime(CLOCK_REALTIME, &ts);
	c = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
	if (c <= d->clock)
		c = d->clock + 1;
	d->clock = c;
	return c;
}

/* Evidence for a challenge: quote over the selection, CEL log, signed by the AK. */
static int build_evidence(struct shared *s, struct device *d, const char *nonce_hex,
			  const char *sel_s, char **out)
{
	struct evidence ev;
	struct gw_pcr_bank *b;
	TPMS_ATTEST a;
	uint8_t attest[sizeof(TPMS_ATTEST)];
	size_t attest_len = 0, dl = 0;

	memset(&ev, 0, sizeof(ev));
	if (!nonce_hex || !sel_s || strlen(nonce_hex) != 64 ||
	    gw_hex_decode_fixed(nonce_hex, ev.nonce, 32, NULL) ||
	    gw_pcrsel_parse(sel_s, &ev.pcrs.sel, NULL))
		return -1;
	ev.nonce_len = 32;
	for (size_t k = 0; k < ev.pcrs.sel.count; k++) {
		const TPMS_PCR_SELECTION *ps = &ev.pcrs.sel.pcrSelections[k];

		b = gw_pcr_set_bank(&ev.pcrs.values, ps->hash);
		if (!b)
			return -1;
		for (unsigned p = 0; p < GW_NUM_PCRS; p++) {
			if (!gw_pcrsel_has(ps, p))
				continue;
			/* PCRs the CEL log explains carry its replay; the others hold their
			 * reset value, as on a device without firmware measurements (the
			 * verifier refuses quoted PCRs that no log explains). */
			if (ps->hash == TPM2_ALG_SHA256 && (p == 13 || p == 14))
				memcpy(b->pcr[p], s->replay.pcr[p], 32);
			else
				memset(b->pcr[p], 0, b->size);
			b->touched |= 1u << p;
		}
	}
	memset(&a, 0, sizeof(a));
	a.magic = TPM2_GENERATED_VALUE;
	a.type = TPM2_ST_ATTEST_QUOTE;
	a.extraData.size = 32;
	memcpy(a.extraData.buffer, ev.nonce, 32);
	a.clockInfo.clock = tpm_clock(d);
	a.clockInfo.resetCount = 1;
	a.clockInfo.restartCount = 0;
	a.clockInfo.safe = 1;
	a.attested.quote.pcrSelect = ev.pcrs.sel;
	if (tpmdata_pcr_digest(&ev.pcrs, TPM2_ALG_SHA256, a.attested.quote.pcrDigest.buffer, &dl,
			       NULL))
		return -1;
	a.attested.quote.pcrDigest.size = (uint16_t)dl;
	if (Tss2_MU_TPMS_ATTEST_Marshal(&a, attest, sizeof(attest), &attest_len) ||
	    tpmdata_sign_ecdsa_sha256(d->ak, attest, attest_len, &ev.sig))
		return -1;
	ev.attest = attest;
	ev.attest_len = attest_len;
	ev.cel = (uint8_t *)s->cel;
	ev.cel_len = s->cel_len;
	return evidence_format(&ev, out) ? -1 : 0;
}

/* One round: challenge, quote, attest. 0 on HTTP 200 with a status. */
static int attest_round(struct shared *s, struct device *d, char *errbuf, size_t errlen)
{
	json_object *resp = NULL;
	char *ev = NULL;
	int rc = -1;

	if (post(d->h, s->o, "/v1/attest/challenge", "{}", &resp, errbuf, errlen) != 200)
		goto out;
	if (build_evidence(s, d, jstr(resp, "nonce"), jstr(resp, "pcr_selection"), &ev)) {
		snprintf(errbuf, errlen, "building evidence for the challenge failed");
		goto out;
	}
	json_object_put(resp);
	resp = NULL;
	if (post(d->h, s->o, "/v1/attest", ev, &resp, errbuf, errlen) != 200)
		goto out;
	if (!jstr(resp, "status") || !jstr(resp, "ear")) {
		snprintf(errbuf, errlen, "attest: no status or EAR in the answer");
		goto out;
	}
	if (strcmp(jstr(resp, "status"), "affirming") && strcmp(jstr(resp, "status"), "warning")) {
		snprintf(errbuf, errlen, "attest: status %s: %s", jstr(resp, "status"),
			 json_object_to_json_string(json_object_object_get(resp, "failed_claims")));
		goto out;
	}
	rc = 0;
out:
	json_object_put(resp);
	free(ev);
	return rc;
}

static void *attest_thread(void *arg)
{
	struct worker *w = arg;
	struct shared *s = w->s;
	const unsigned long n = s->o->devices, c = s->o->concurrency;
	char errbuf[1024];

	/* This worker's devices: w->idx, w->idx + C, ... each on its own connection. */
	for (unsigned long i = w->idx; i < n; i += c) {
		s->dev[i].h = handle_new(s->o, &s->dev[i]);
		if (!s->dev[i].h)
			return NULL;
	}
	while (now_s() < s->t_end) {
		for (unsigned long i = w->idx; i < n && now_s() < s->t_end; i += c) {
			double t0 = now_s();

			errbuf[0] = '\0';
			if (attest_round(s, &s->dev[i], errbuf, sizeof(errbuf))) {
				w->n_err++;
				report(s, "device %s: %s", s->dev[i].id, errbuf);
				continue;
			}
			w->n_ok++;
			if (w->n_lat < MAX_LAT_PER_THREAD)
				w->lat[w->n_lat++] = now_s() - t0;
		}
	}
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Three stage records on PCR 13 and their sha256 replay. */
static int make_cel(struct shared *s)
{
	static const uint16_t algs[1] = { TPM2_ALG_SHA256 };
	static const char *const stages[3][2] = {
		{ "kernel", "/boot/vmlinuz" }, { "rootfs", "/boot/rootfs.img" },
		{ "application", "/opt/app/bin/app" },
	};
	struct gw_pcr_set replay;
	struct cel_log *log = NULL;
	gw_error err = { { 0 } };
	int rc = -1;

	memset(&replay, 0, sizeof(replay));
	for (unsigned i = 0; i < 3; i++) {
		uint8_t d[1][GW_MAX_DIGEST];
		char *rec = NULL, *nl;
		size_t rec_len = 0;

		if (gw_hash(TPM2_ALG_SHA256, stages[i][1], strlen(stages[i][1]), d[0]) ||
		    cel_record_format(i, 13, algs, (const uint8_t(*)[GW_MAX_DIGEST])d, 1, "stage",
				      stages[i][0], stages[i][1], NULL, &rec, &rec_len))
			return -1;
		nl = realloc(s->cel, s->cel_len + rec_len + 1);
		if (!nl) {
			free(rec);
			return -1;
		}
		s->cel = nl;
		memcpy(s->cel + s->cel_len, rec, rec_len);
		s->cel_len += rec_len;
		free(rec);
	}
	if (!cel_parse((const uint8_t *)s->cel, s->cel_len, &log, &err) &&
	    gw_pcr_set_bank(&replay, TPM2_ALG_SHA256) && !cel_replay(log, &replay, &err)) {
		s->replay = replay.bank[0];
		rc = 0;
	}
	cel_free(log);
	return rc;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: loadgen --verifier URL --ca CA.pem --ek-ca-key KEY --ek-ca-cert CERT\n"
		"               --devices N --concurrency C --seconds S [--enroll-only]\n"
		"               [--id-prefix P] [--state DIR] [--ek-type ecc|rsa]\n"
		"Enrolls N software devices through the verifier's enrollment protocol (or\n"
		"loads them from --state DIR), then, unless --enroll-only, runs challenge +\n"
		"attest rounds from C threads for S seconds. Prints one result line.\n");
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "verifier", required_argument, NULL, 'v' },
		{ "ca", required_argument, NULL, 'c' },
		{ "ek-ca-key", required_argument, NULL, 'k' },
		{ "ek-ca-cert", required_argument, NULL, 'e' },
		{ "devices", required_argument, NULL, 'n' },
		{ "concurrency", required_argument, NULL, 'C' },
		{ "seconds", required_argument, NULL, 's' },
		{ "enroll-only", no_argument, NULL, 'E' },
		{ "id-prefix", required_argument, NULL, 'p' },
		{ "state", required_argument, NULL, 'S' },
		{ "ek-type", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { .prefix = "lg", .devices = 1, .concurrency = 1, .seconds = 5,
			  .ek_type = "ecc" };
	struct shared s;
	struct worker *w = NULL;
	pthread_t th[MAX_THREADS];
	unsigned nth = 0;
	uint64_t v;
	double t0, t1, *all = NULL;
	size_t n_all = 0;
	unsigned long ok = 0, errs = 0;
	gw_error err = { { 0 } };
	int c, status = 1;

	memset(&s, 0, sizeof(s));
	pthread_mutex_init(&s.log_lock, NULL);
	while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		switch (c) {
		case 'v': o.url = optarg; break;
		case 'c': o.ca = optarg; break;
		case 'k': o.ek_ca_key = optarg; break;
		case 'e': o.ek_ca_cert = optarg; break;
		case 'p': o.prefix = optarg; break;
		case 'S': o.state_dir = optarg; break;
		case 'E': o.enroll_only = 1; break;
		case 't': o.ek_type = optarg; break;
		case 'n':
			if (gw_parse_u64(optarg, MAX_DEVICES, &v) || !v)
				goto bad;
			o.devices = (unsigned long)v;
			break;
		case 'C':
			if (gw_parse_u64(optarg, MAX_THREADS, &v) || !v)
				goto bad;
			o.concurrency = (unsigned)v;
			break;
		case 's':
			o.seconds = strtod(optarg, NULL);
			if (!(o.seconds > 0 && o.seconds < 86400))
				goto bad;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			goto bad;
		}
	}
	if (optind != argc || !o.url || !o.ca || !o.ek_ca_key || !o.ek_ca_cert ||
	    (strcmp(o.ek_type, "ecc") && strcmp(o.ek_type, "rsa")) || strlen(o.prefix) > 40)
		goto bad;
	if (o.concurrency > o.devices)
		o.concurrency = (unsigned)o.devices;
	if (o.state_dir && mkdir(o.state_dir, 0700) && errno != EEXIST) {
		perror(o.state_dir);
		return 1;
	}
	if (pki_cert_read(o.ek_ca_cert, &s.ek_ca, &err) ||
	    pki_key_read(o.ek_ca_key, &s.ek_ca_key, &err)) {
		fprintf(stderr, "loadgen: %s\n", gw_error_msg(&err, GW_E_IO));
		return 1;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) ||
	    !(json_headers = curl_slist_append(NULL, "Content-Type: application/json")) ||
	    !(json_headers = curl_slist_append(json_headers, "Expect:")) || make_cel(&s)) {
		fprintf(stderr, "loadgen: set-up failed\n");
		return 1;
	}
	s.o = &o;
	s.dev = calloc(o.devices, sizeof(*s.dev));
	w = calloc(o.concurrency, sizeof(*w));
	if (!s.dev || !w)
		goto out;
	for (unsigned long i = 0; i < o.devices; i++)
		snprintf(s.dev[i].id, sizeof(s.dev[i].id), "%s-%07lu", o.prefix, i);

	/* Enrollment (or loading), bounded by --seconds when --enroll-only. */
	t0 = now_s();
	s.t_end = o.enroll_only ? t0 + o.seconds : t0 + 3600;
	for (nth = 0; nth < o.concurrency; nth++) {
		w[nth] = (struct worker){ .s = &s, .idx = nth };
		if (pthread_create(&th[nth], NULL, enroll_thread, &w[nth]))
			break;
	}
	for (unsigned i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	t1 = now_s();
	if (o.enroll_only) {
		printf("enrolled=%lu errors=%lu seconds=%.2f rate=%.1f\n",
		       (unsigned long)s.enrolled, (unsigned long)s.errors, t1 - t0,
		       (double)s.enrolled / (t1 - t0));
		status = s.errors ? 1 : 0;
		goto out;
	}
	if (s.errors || s.enrolled != o.devices) {
		fprintf(stderr, "loadgen: %lu of %lu devices enrolled, %lu errors\n",
			(unsigned long)s.enrolled, o.devices, (unsigned long)s.errors);
		goto out;
	}

	/* Attestation rounds. */
	t0 = now_s();
	s.t_end = t0 + o.seconds;
	for (nth = 0; nth < o.concurrency; nth++) {
		w[nth] = (struct worker){ .s = &s, .idx = nth };
		w[nth].lat = malloc(MAX_LAT_PER_THREAD * sizeof(double));
		if (!w[nth].lat || pthread_create(&th[nth], NULL, attest_thread, &w[nth]))
			break;
	}
	for (unsigned i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	t1 = now_s();
	for (unsigned i = 0; i < nth; i++)
		n_all += w[i].n_lat;
	all = malloc((n_all ? n_all : 1) * sizeof(double));
	if (!all)
		goto out;
	n_all = 0;
	for (unsigned i = 0; i < nth; i++) {
		memcpy(all + n_all, w[i].lat, w[i].n_lat * sizeof(double));
		n_all += w[i].n_lat;
		ok += w[i].n_ok;
		errs += w[i].n_err;
	}
	qsort(all, n_all, sizeof(double), cmp_double);
	printf("attestations=%lu errors=%lu seconds=%.2f rate=%.1f p50_ms=%.2f p99_ms=%.2f\n", ok,
	       errs, t1 - t0, (double)ok / (t1 - t0),
	       n_all ? all[n_all / 2] * 1e3 : 0.0,
	       n_all ? all[(size_t)((double)(n_all - 1) * 0.99)] * 1e3 : 0.0);
	status = errs ? 1 : 0;
out:
	if (w)
		for (unsigned i = 0; i < o.concurrency; i++)
			free(w[i].lat);
	if (s.dev)
		for (unsigned long i = 0; i < o.devices; i++) {
			curl_easy_cleanup(s.dev[i].h);
			EVP_PKEY_free(s.dev[i].ak);
			free(s.dev[i].tls_key_pem);
			free(s.dev[i].cert_pem);
		}
	free(all);
	free(w);
	free(s.dev);
	free(s.cel);
	X509_free(s.ek_ca);
	EVP_PKEY_free(s.ek_ca_key);
	curl_slist_free_all(json_headers);
	curl_global_cleanup();
	return status;
bad:
	usage(stderr);
	return 2;
}
