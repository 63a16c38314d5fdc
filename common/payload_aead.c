// SPDX-License-Identifier: Apache-2.0
// Chunked AES-256-GCM for bundle payloads (payload_aead.h), one EVP context per
// stream re-keyed with each chunk's nonce.
#include "payload_aead.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#define NONCE_LEN 12
#define CHUNK_INDEX_MAX ((1ull << 56) - 1)

struct payload_aead {
	bool encrypt;
	bool done;   /* final ran, or an error: nothing more */
	uint32_t payload_index;
	uint32_t chunk_size;
	uint64_t chunk_index;
	EVP_CIPHER_CTX *ctx;
	size_t fill;  /* bytes in buf */
	size_t cap;   /* chunk_size, + the tag when decrypting */
	uint8_t *buf; /* the chunk being gathered */
	uint8_t *out; /* a chunk's output, chunk_size + tag */
};

int payload_aead_new(bool encrypt, const uint8_t key[PAYLOAD_AEAD_KEY], uint32_t payload_index,
		     uint32_t chunk_size, struct payload_aead **out)
{
	struct payload_aead *c;

	*out = NULL;
	if (chunk_size < PAYLOAD_AEAD_CHUNK_MIN || chunk_size > PAYLOAD_AEAD_CHUNK_MAX)
		return GW_E_INVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return GW_E_NOMEM;
	c->encrypt = encrypt;
	c->payload_index = payload_index;
	c->chunk_size = chunk_size;
	c->cap = encrypt ? chunk_size : (size_t)chunk_size + PAYLOAD_AEAD_TAG;
	c->buf = malloc(c->cap);
	c->out = malloc((size_t)chunk_size + PAYLOAD_AEAD_TAG);
	c->ctx = EVP_CIPHER_CTX_new();
	if (!c->buf || !c->out || !c->ctx ||
	    !EVP_CipherInit_ex(c->ctx, EVP_aes_256_gcm(), NULL, key, NULL, encrypt ? 1 : 0)) {
		ERR_clear_error();
		payload_aead_free(c);
		return GW_E_CRYPTO;
	}
	*out = c;
	return 0;
}

void payload_aead_free(struct payload_aead *c)
{
	if (!c)
		return;
	EVP_CIPHER_CTX_free(c->ctx); /* clears the key schedule */
	if (c->buf)
		OPENSSL_cleanse(c->buf, c->cap);
	if (c->out)
		OPENSSL_cleanse(c->out, (size_t)c->chunk_size + PAYLOAD_AEAD_TAG);
	free(c->buf);
	free(c->out);
	free(c);
}

uint64_t payload_aead_stored_size(uint64_t plain, uint32_t chunk_size)
{
	uint64_t chunks = plain ? (plain + chunk_size - 1) / chunk_size : 1;

	return plain + chunks * PAYLOAD_AEAD_TAG;
}

/* Seal or open the chunk in buf (fill bytes) as chunk chunk_index, last or not, and
 * hand the result to sink. */
static int do_chunk(struct payload_aead *c, bool last, payload_aead_sink sink, void *arg,
		    gw_error *err)
{
	uint8_t nonce[NONCE_LEN];
	size_t in_len = c->fill, out_len;
	int n = 0, m = 0;

	if (c->chunk_index > CHUNK_INDEX_MAX)
		return gw_fail(err, GW_E_TOOBIG, "payload %u: more than 2^56 chunks",
			       c->payload_index);
	if (!c->encrypt) {
		if (in_len < PAYLOAD_AEAD_TAG)
			return gw_fail(err, GW_E_TRUNCATED, "payload %u: chunk %llu is cut short",
				       c->payload_index, (unsigned long long)c->chunk_index);
		in_len -= PAYLOAD_AEAD_TAG;
	}
	nonce[0] = (uint8_t)(c->payload_index >> 24);
	nonce[1] = (uint8_t)(c->payload_index >> 16);
	nonce[2] = (uint8_t)(c->payload_index >> 8);
	nonce[3] = (uint8_t)c->payload_index;
	for (int i = 0; i < 7; i++)
		nonce[4 + i] = (uint8_t)(c->chunk_index >> (8 * (6 - i)));
	nonce[11] = last ? 1 : 0;
	if (!EVP_CipherInit_ex(c->ctx, NULL, NULL, NULL, nonce, -1) ||
	    !EVP_CipherUpdate(c->ctx, NULL, &n, (const uint8_t *)PAYLOAD_AEAD_AAD,
			      (int)strlen(PAYLOAD_AEAD_AAD)) ||
	    (in_len && !EVP_CipherUpdate(c->ctx, c->out, &n, c->buf, (int)in_len)) ||
	    (!c->encrypt && !EVP_CIPHER_CTX_ctrl(c->ctx, EVP_CTRL_GCM_SET_TAG, PAYLOAD_AEAD_TAG,
						 c->buf + in_len))) {
		ERR_clear_error();
		return gw_fail(err, GW_E_CRYPTO, "payload %u: AES-GCM failed", c->payload_index);
	}
	if (!EVP_CipherFinal_ex(c->ctx, c->out + in_len, &m)) {
		ERR_clear_error();
		return gw_fail(err, c->encrypt ? GW_E_CRYPTO : GW_E_SIGNATURE,
			       "payload %u: chunk %llu does not authenticate (tampered, reordered, "
			       "spliced, truncated or extended, or the wrong key)",
			       c->payload_index, (unsigned long long)c->chunk_index);
	}
	out_len = in_len;
	if (c->encrypt) {
		if (!EVP_CIPHER_CTX_ctrl(c->ctx, EVP_CTRL_GCM_GET_TAG, PAYLOAD_AEAD_TAG,
					 c->out + in_len)) {
			ERR_clear_error();
			return GW_E_CRYPTO;
		}
		out_len += PAYLOAD_AEAD_TAG;
	}
	c->chunk_index++;
	c->fill = 0;
	return out_len ? sink(arg, c->out, out_len, err) : 0;
}

int payload_aead_update(struct payload_aead *c, const uint8_t *in, size_t len,
			payload_aead_sink sink, void *arg, gw_error *err)
{
	int rc = 0;

	if (c->done)
		return gw_fail(err, GW_E_STATE, "payload %u: stream already ended", c->payload_index);
	while (len && !rc) {
		size_t take;

		/* A full chunk goes out only when more follows: the last one is final. */
		if (c->fill == c->cap) {
			rc = do_chunk(c, false, sink, arg, err);
			continue;
		}
		take = c->cap - c->fill < len ? c->cap - c->fill : len;
		memcpy(c->buf + c->fill, in, take);
		c->fill += take;
		in += take;
		len -= take;
	}
	if (rc)
		c->done = true;
	return rc;
}

int payload_aead_final(struct payload_aead *c, payload_aead_sink sink, void *arg, gw_error *err)
{
	if (c->done)
		return gw_fail(err, GW_E_STATE, "payload %u: stream already ended", c->payload_index);
	c->done = true;
	return do_chunk(c, true, sink, arg, err);
}
