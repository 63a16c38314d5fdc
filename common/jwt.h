/* SPDX-License-Identifier: Apache-2.0 */
/* Compact JWS tokens signed ES256 (ECDSA P-256, SHA-256; RFC 7515, RFC 7518 §3.4):
 * the form of Gatewarden's attestation results (EAR). */
#ifndef GW_JWT_H
#define GW_JWT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "gw_error.h"

struct json_object;

#define JWT_MAX_TOKEN (64u * 1024)

/* base64url without padding; *out NUL-terminated, freed by the caller. */
int jwt_b64url_encode(const uint8_t *in, size_t len, char **out) GW_WUR;
/* Strict: only the base64url alphabet, no padding, canonical trailing bits. */
int jwt_b64url_decode(const char *in, size_t len, uint8_t **out, size_t *out_len,
		      gw_error *err) GW_WUR;

/* Sign claims (a JSON object) with a P-256 key. The header is
 * {"alg":"ES256","typ":"JWT"} plus "kid" when kid is not NULL. */
int jwt_sign_es256(EVP_PKEY *key, const char *kid, struct json_object *claims,
		   char **out) GW_WUR;

/* Verify a token with key and return its claims (a new reference). Refuses any
 * alg but ES256, malformed parts, a bad signature (GW_E_SIGNATURE) and oversized
 * tokens. Expiry is the caller's to check. */
int jwt_verify_es256(EVP_PKEY *key, const char *token, struct json_object **claims,
		     gw_error *err) GW_WUR;

#endif
