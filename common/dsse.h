/* SPDX-License-Identifier: Apache-2.0 */
/* DSSE v1 envelopes (secure-systems-lab Dead Simple Signing Envelope): signing,
 * strict parsing, and verification against a threshold of trusted keys. */
#ifndef GW_DSSE_H
#define GW_DSSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "gw_error.h"

/* Caps on untrusted envelopes. */
#define DSSE_MAX_SIZE (4u * 1024 * 1024) /* whole envelope, bytes */
#define DSSE_MAX_SIGS 16		  /* entries in "signatures" */
#define DSSE_MAX_KEYS 32		  /* trusted keys one verification takes */
#define DSSE_MAX_TYPE 256		  /* payloadType, bytes */
#define DSSE_MAX_KEYID 128		  /* a signature's keyid, bytes */
#define DSSE_MAX_SIG 1024		  /* a decoded signature, bytes */
/* Lower-case hex SHA-256 of a DER SubjectPublicKeyInfo, and its terminator. */
#define DSSE_KEYID_LEN 65

struct dsse_signature {
	char *keyid;  /* NUL-terminated, printable ASCII */
	uint8_t *sig; /* ECDSA: DER; Ed25519: 64 bytes */
	size_t sig_len;
};

struct dsse_envelope {
	char *payload_type; /* NUL-terminated, no NUL inside */
	uint8_t *payload;   /* decoded; may hold NUL bytes */
	size_t payload_len;
	struct dsse_signature sigs[DSSE_MAX_SIGS];
	size_t nsigs; /* 1..DSSE_MAX_SIGS */
};

enum dsse_sig_status {
	DSSE_SIG_VALID = 0,	/* a trusted key's signature over the PAE: counted */
	DSSE_SIG_DUPLICATE,	/* valid, but that key was already counted */
	DSSE_SIG_UNKNOWN_KEY,	/* keyid names no trusted key: ignored */
	DSSE_SIG_INVALID,	/* keyid names a trusted key whose signature fails */
};

/* "valid", "duplicate", "unknown-key" or "invalid", for reports. */
const char *dsse_status_name(enum dsse_sig_status s);

struct dsse_result {
	unsigned valid;		   /* distinct trusted keys with a valid signature */
	unsigned threshold;	   /* as requested */
	size_t nkeys;		   /* trusted keys given */
	bool key_signed[DSSE_MAX_KEYS]; /* per trusted key, in the order given */
	char keyid[DSSE_MAX_KEYS][DSSE_KEYID_LEN]; /* per trusted key */
	size_t nsigs;		   /* signatures in the envelope */
	enum dsse_sig_status status[DSSE_MAX_SIGS]; /* per signature */
};

/* PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, lengths in
 * decimal ASCII. *out (not NUL-terminated) is the caller's to free.
 * GW_E_NOMEM, GW_E_TOOBIG. */
int dsse_pae(const char *payload_type, const uint8_t *payload, size_t len, uint8_t **out,
	     size_t *out_len) GW_WUR;

/* Lower-case hex SHA-256 of key's DER SubjectPublicKeyInfo (an EC point uncompressed,
 * however the key was read) into out.
 * GW_E_CRYPTO, GW_E_NOMEM. */
int dsse_keyid(EVP_PKEY *key, char out[DSSE_KEYID_LEN]) GW_WUR;

/* 0 when key is ECDSA P-256 or Ed25519; GW_E_KEY (naming the kind) otherwise. */
int dsse_key_check(EVP_PKEY *key, gw_error *err) GW_WUR;

/* Sign payload with each of n keys (1..DSSE_MAX_SIGS, no key twice): ECDSA P-256
 * with SHA-256 (DER signature) or pure Ed25519. *envelope_json is a NUL-terminated
 * JSON object the caller frees. GW_E_INVAL, GW_E_KEY, GW_E_CRYPTO, GW_E_NOMEM,
 * GW_E_TOOBIG. */
int dsse_sign(const char *payload_type, const uint8_t *payload, size_t len,
	      EVP_PKEY *const *keys, size_t n, char **envelope_json, gw_error *err) GW_WUR;

/* Parse an envelope strictly: one JSON object with exactly payloadType, payload and
 * signatures (1..DSSE_MAX_SIGS objects of exactly keyid and sig), standard base64
 * in canonical form, no NUL, nothing after the object. *out is the caller's
 * (dsse_free()). GW_E_PARSE, GW_E_TOOBIG, GW_E_TRAILING, GW_E_NOMEM. */
int dsse_parse(const uint8_t *json, size_t len, struct dsse_envelope **out,
	       gw_error *err) GW_WUR;

/* Serialize an envelope as compact JSON; *out is the caller's. GW_E_NOMEM. */
int dsse_format(const struct dsse_envelope *env, char **out) GW_WUR;

/* Count the distinct trusted keys (n of them, 1..DSSE_MAX_KEYS, no key twice) whose
 * signature over PAE(payloadType, payload) verifies. A signature counts only for
 * the key its keyid names; a key that signs twice counts once; unknown keyids are
 * ignored. Succeeds when at least threshold (1..n) keys signed and, if
 * expected_type is not NULL, payloadType equals it. res (optional) is filled when
 * the return is 0 or GW_E_SIGNATURE. GW_E_SIGNATURE (the detail names the count and
 * the signatures that did not count), GW_E_PARSE (wrong payloadType), GW_E_INVAL,
 * GW_E_KEY, GW_E_CRYPTO, GW_E_NOMEM. */
int dsse_verify(const struct dsse_envelope *env, EVP_PKEY *const *trusted, size_t n,
		unsigned threshold, const char *expected_type, struct dsse_result *res,
		gw_error *err) GW_WUR;

void dsse_free(struct dsse_envelope *env);

#endif
