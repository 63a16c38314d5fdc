/* SPDX-License-Identifier: Apache-2.0 */
/* Streaming encryption of one bundle payload: AES-256-GCM in chunks of chunk_size
 * plaintext bytes, each stored as ciphertext || 16-byte tag, the nonce the payload
 * index (4 bytes BE) || chunk index (7 bytes BE) || last flag (1 byte), AAD
 * PAYLOAD_AEAD_AAD. An empty payload is one final empty chunk. A truncated,
 * reordered, spliced (from another payload or bundle) or extended stream fails
 * while streaming; no plaintext leaves a chunk before its tag verifies. */
#ifndef GW_PAYLOAD_AEAD_H
#define GW_PAYLOAD_AEAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gw_error.h"

#define PAYLOAD_AEAD_ALG "A256GCM-CHUNKED"
#define PAYLOAD_AEAD_AAD "gatewarden payload v1"
#define PAYLOAD_AEAD_TAG 16
#define PAYLOAD_AEAD_KEY 32
#define PAYLOAD_AEAD_CHUNK_DEFAULT 65536u
#define PAYLOAD_AEAD_CHUNK_MIN 16u
#define PAYLOAD_AEAD_CHUNK_MAX (16u * 1024 * 1024)

struct payload_aead;

/* Where the output goes: 0, or a GW_E_* code that stops the stream. */
typedef int (*payload_aead_sink)(void *arg, const uint8_t *buf, size_t len, gw_error *err);

/* A context for payload number payload_index (0-based, manifest order) of a bundle,
 * encrypting or decrypting. The key is copied (and wiped by _free). GW_E_INVAL
 * (chunk_size outside PAYLOAD_AEAD_CHUNK_MIN..MAX), GW_E_NOMEM, GW_E_CRYPTO. */
int payload_aead_new(bool encrypt, const uint8_t key[PAYLOAD_AEAD_KEY], uint32_t payload_index,
		     uint32_t chunk_size, struct payload_aead **out) GW_WUR;

/* Feed len bytes; whole chunks are handed to sink as they complete (a decrypting
 * context keeps the latest stored chunk until it knows whether it is the last).
 * GW_E_SIGNATURE (a chunk does not authenticate: tampered, reordered, spliced, or
 * data after the final chunk), GW_E_TOOBIG (more than 2^56 chunks), GW_E_STATE
 * (after final or an error), and sink's codes. */
int payload_aead_update(struct payload_aead *c, const uint8_t *in, size_t len,
			payload_aead_sink sink, void *arg, gw_error *err) GW_WUR;

/* The end of the stream: the final chunk out. Decrypting, GW_E_TRUNCATED when no
 * whole tag is left, GW_E_SIGNATURE when the last chunk is not a final one (the
 * stream was cut at a chunk boundary). */
int payload_aead_final(struct payload_aead *c, payload_aead_sink sink, void *arg,
		       gw_error *err) GW_WUR;

/* Wipes the key and buffers. NULL is fine. */
void payload_aead_free(struct payload_aead *c);

/* The stored size of a plaintext of plain bytes. */
uint64_t payload_aead_stored_size(uint64_t plain, uint32_t chunk_size);

#endif
