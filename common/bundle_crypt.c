// SPDX-License-Identifier: Apache-2.0
// Reading encrypted bundles: unwrapping the content key, decrypting a payload as a
// stream with its plaintext checked against the manifest.
#include "bundle_crypt.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "jsonobj.h"
#include "keywrap.h"
#include "payload_aead.h"
#include "util.h"

struct bundle_crypt_source {
	struct bundle_reader *r;
	const struct manifest_payload *p;
	struct payload_aead *aead; /* NULL: an unencrypted payload */
	EVP_MD_CTX *sha;	   /* of the plaintext */
	uint64_t total;		   /* plaintext bytes out of aead */
	size_t in_cap, out_cap;
	uint8_t *in;		   /* a stored chunk's worth of the member */
	uint8_t *out;		   /* plaintext not yet handed out */
	size_t out_len, out_off;
	bool ended;
};

int bundle_crypt_unwrap(const struct manifest *m, EVP_PKEY *release_priv, uint8_t cek[32],
			gw_error *err)
{
	json_object *w = NULL;
	int rc;

	if (!m->encrypted || !m->wrapped_key)
		return gw_fail(err, GW_E_STATE, "the bundle is not encrypted");
	rc = gw_json_object_parse(m->wrapped_key, strlen(m->wrapped_key),
				  MANIFEST_WRAPPED_KEY_MAX, 2, "wrapped key", &w, err);
	if (!rc)
		rc = keywrap_open(release_priv, w, KEYWRAP_CONTEXT_RELEASE, cek, err);
	json_object_put(w);
	return rc;
}

int bundle_crypt_source_new(struct bundle_reader *r, const struct manifest *m, size_t i,
			    const uint8_t *cek, struct bundle_crypt_source **out)
{
	struct bundle_crypt_source *s;
	int rc = 0;

	*out = NULL;
	if (i >= m->npayloads || !cek != !m->encrypted)
		return GW_E_STATE;
	s = calloc(1, sizeof(*s));
	if (!s)
		return GW_E_NOMEM;
	s->r = r;
	s->p = &m->payloads[i];
	if (cek) {
		s->out_cap = m->chunk_size;
		s->in_cap = (size_t)m->chunk_size + PAYLOAD_AEAD_TAG;
		s->in = malloc(s->in_cap);
		s->out = malloc(s->out_cap);
		s->sha = EVP_MD_CTX_new();
		if (!s->in || !s->out || !s->sha || EVP_DigestInit_ex(s->sha, EVP_sha256(), NULL) != 1)
			rc = GW_E_NOMEM;
		if (!rc)
			rc = payload_aead_new(false, cek, (uint32_t)i, m->chunk_size, &s->aead);
	}
	if (rc) {
		bundle_crypt_source_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

void bundle_crypt_source_free(struct bundle_crypt_source *s)
{
	if (!s)
		return;
	payload_aead_free(s->aead);
	EVP_MD_CTX_free(s->sha);
	if (s->out)
		OPENSSL_cleanse(s->out, s->out_cap);
	free(s->in);
	free(s->out);
	free(s);
}

/* Authenticated plaintext from payload_aead: at most one chunk per feed of at most
 * one stored chunk, so it always fits out. */
static int take_plain(void *arg, const uint8_t *b, size_t n, gw_error *err)
{
	struct bundle_crypt_source *s = arg;

	if (n > s->out_cap - s->out_len)
		return gw_fail(err, GW_E_STATE, "decrypted chunk does not fit");
	if (EVP_DigestUpdate(s->sha, b, n) != 1)
		return gw_fail(err, GW_E_CRYPTO, "SHA-256 failed");
	memcpy(s->out + s->out_len, b, n);
	s->out_len += n;
	s->total += n;
	return 0;
}

/* The member ended (its stored digest checked): the final chunk, then the
 * plaintext against the manifest. */
static int finish(struct bundle_crypt_source *s, gw_error *err)
{
	uint8_t md[32];
	int rc = payload_aead_final(s->aead, take_plain, s, err);

	s->ended = true;
	if (rc)
		return rc;
	if (EVP_DigestFinal_ex(s->sha, md, NULL) != 1)
		return gw_fail(err, GW_E_CRYPTO, "SHA-256 failed");
	if (s->total != s->p->size || !gw_ct_equal(md, s->p->sha256, sizeof(md)))
		return gw_fail(err, GW_E_REFERENCE, "'%s': the decrypted image is not the "
			       "manifest's (size or SHA-256)", s->p->member);
	return 0;
}

int bundle_crypt_source_read(void *src, uint8_t *buf, size_t len, size_t *n, gw_error *err)
{
	struct bundle_crypt_source *s = src;
	int rc = 0;

	*n = 0;
	if (!s->aead)
		return bundle_read(s->r, buf, len, n, err);
	while (!rc && s->out_off == s->out_len && !s->ended) {
		size_t got = 0;

		s->out_off = s->out_len = 0;
		rc = bundle_read(s->r, s->in, s->in_cap, &got, err);
		if (!rc && got)
			rc = payload_aead_update(s->aead, s->in, got, take_plain, s, err);
		else if (!rc)
			rc = finish(s, err);
	}
	if (rc)
		return rc;
	if (len > s->out_len - s->out_off)
		len = s->out_len - s->out_off;
	memcpy(buf, s->out + s->out_off, len);
	s->out_off += len;
	*n = len;
	return 0;
}
