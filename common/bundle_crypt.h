/* SPDX-License-Identifier: Apache-2.0 */
/* Encrypted bundles on the reading side: the content key unwrapped from a
 * manifest with the release key, and a source of a payload's plaintext that
 * streams its member through payload_aead and checks the plaintext's size and
 * SHA-256 against the manifest at the end (the member's own digest is checked by
 * bundle_read()). Shared by the agent's install and `gwpolicy bundle decrypt`. */
#ifndef GW_BUNDLE_CRYPT_H
#define GW_BUNDLE_CRYPT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "bundle.h"
#include "gw_error.h"
#include "manifest.h"

/* The content key of encrypted manifest m, unwrapped with the private release key
 * (context "release"); cek is written only on success and wiped by the caller.
 * GW_E_STATE (m is not encrypted) and keywrap_open()'s codes. */
int bundle_crypt_unwrap(const struct manifest *m, EVP_PKEY *release_priv, uint8_t cek[32],
			gw_error *err) GW_WUR;

struct bundle_crypt_source;

/* A source for the payload bundle_next_payload() just gave (index i of manifest
 * m): with cek (copied, wiped at _free) the member is decrypted; without, m must
 * not be encrypted (GW_E_STATE) and the member's bytes pass through. GW_E_NOMEM. */
int bundle_crypt_source_new(struct bundle_reader *r, const struct manifest *m, size_t i,
			    const uint8_t *cek, struct bundle_crypt_source **out) GW_WUR;

/* Up to len bytes of plaintext into buf, *n = 0 at the end (slot_source_fn's and
 * bundle_read()'s contract). Only authenticated chunks come out. bundle_read()'s
 * codes, payload_aead's (GW_E_SIGNATURE: a chunk tampered, reordered, spliced,
 * truncated or extended, or the wrong key), GW_E_REFERENCE (the plaintext's size
 * or SHA-256 is not the manifest's). */
int bundle_crypt_source_read(void *src, uint8_t *buf, size_t len, size_t *n,
			     gw_error *err) GW_WUR;

void bundle_crypt_source_free(struct bundle_crypt_source *s);

#endif
