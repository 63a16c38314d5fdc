/* SPDX-License-Identifier: Apache-2.0 */
/* Wrapping a 32-byte content key for one P-256 recipient: ECDH-ES with a fresh
 * ephemeral key, HKDF-SHA256 to a key-encryption key bound to a context string and
 * both points, AES-256-GCM over the content key. The wrapped key is a JSON object
 * {"alg","kid","epk","iv","ct","tag","context"} (doc/updates.md, "Encryption"); "kid" is dsse_keyid() of the recipient. */
#ifndef GW_KEYWRAP_H
#define GW_KEYWRAP_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>
#include <openssl/evp.h>

#include "gw_error.h"

#define KEYWRAP_ALG "ECDH-ES+HKDF-SHA256+A256GCM"
#define KEYWRAP_CEK_LEN 32
#define KEYWRAP_POINT_LEN 65	/* uncompressed P-256 point: 04 || X || Y */
#define KEYWRAP_CONTEXT_MAX 256 /* printable ASCII, 1 to this many bytes */
#define KEYWRAP_CONTEXT_RELEASE "release"

/* Wrap cek for recipient (a P-256 public key) under context: *out is a new JSON
 * object, the caller's. GW_E_KEY (not a P-256 key), GW_E_INVAL (context),
 * GW_E_CRYPTO, GW_E_NOMEM. */
int keywrap_seal(EVP_PKEY *recipient, const uint8_t cek[KEYWRAP_CEK_LEN], const char *context,
		 json_object **out, gw_error *err) GW_WUR;

/* Unwrap w with the recipient's private key; the wrap must name context exactly and
 * the recipient's kid. cek is written only on success (the caller wipes it).
 * GW_E_PARSE (members, lengths, encodings), GW_E_KEY (EPK not on the curve, the
 * kid names another key, recipient not P-256), GW_E_STATE (another context),
 * GW_E_SIGNATURE (the GCM tag does not verify: wrong key or tampered), GW_E_CRYPTO. */
int keywrap_open(EVP_PKEY *recipient_priv, json_object *w, const char *context,
		 uint8_t cek[KEYWRAP_CEK_LEN], gw_error *err) GW_WUR;

/* keywrap_open() for a caller that computed the ECDH itself (the TPM's
 * ECDH_ZGen): z is the shared point's x-coordinate, recipient_point the
 * recipient's public point. Same codes. */
int keywrap_open_z(const uint8_t z[32], const uint8_t recipient_point[KEYWRAP_POINT_LEN],
		   json_object *w, const char *context, uint8_t cek[KEYWRAP_CEK_LEN],
		   gw_error *err) GW_WUR;

/* The ephemeral public point of a strictly well-formed wrap (checked on the curve).
 * GW_E_PARSE, GW_E_KEY. */
int keywrap_epk(json_object *w, uint8_t point[KEYWRAP_POINT_LEN]) GW_WUR;

/* Check every member of w strictly (exact members, alg, lengths, canonical base64,
 * EPK on the curve, context text). GW_E_PARSE, GW_E_KEY. */
int keywrap_check(json_object *w, gw_error *err) GW_WUR;

/* The uncompressed public point of a P-256 key. GW_E_KEY when it is another kind. */
int keywrap_point(EVP_PKEY *key, uint8_t point[KEYWRAP_POINT_LEN], gw_error *err) GW_WUR;

#endif
