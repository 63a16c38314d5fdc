/* SPDX-License-Identifier: Apache-2.0 */
/* The update trust root (TUF rules): the release-signing keys, a `root` role and a
 * `targets` role each with a threshold, a version and an expiry; strict parsing of
 * a signed root (a DSSE envelope of the root document), self-verification, and the
 * rotation rule (version N+1 is signed by a threshold of N's root keys and of its
 * own). */
#ifndef GW_ROOT_H
#define GW_ROOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>

#include "dsse.h"
#include "gw_error.h"

#define ROOT_PAYLOAD_TYPE "application/vnd.gatewarden.root+json"
#define ROOT_MAX_SIZE (256u * 1024) /* a signed root file, bytes */
#define ROOT_MAX_KEYS DSSE_MAX_KEYS /* keys one root lists */

enum root_role_id { ROOT_ROLE_ROOT = 0, ROOT_ROLE_TARGETS = 1, ROOT_NROLES };

/* One role: the keys it trusts (borrowed from the root's key list) and how many of
 * them must sign. Pass keys/nkeys/threshold straight to dsse_verify(). */
struct root_role {
	EVP_PKEY *keys[ROOT_MAX_KEYS];
	char keyid[ROOT_MAX_KEYS][DSSE_KEYID_LEN];
	size_t nkeys;	   /* 1..ROOT_MAX_KEYS, no key twice */
	unsigned threshold; /* 1..nkeys */
};

/* A parsed root. Key identity is always dsse_keyid() of the key as parsed (the
 * SHA-256 of its normalised DER SubjectPublicKeyInfo), never a name in the file,
 * so one key counts once however it is encoded. */
struct root {
	uint64_t version;		    /* >= 1 */
	time_t expires;			    /* UTC */
	struct root_role role[ROOT_NROLES];
	uint8_t digest[32];		    /* SHA-256 of the root document (the payload) */
	char digest_hex[65];
	uint8_t *payload;		    /* the root document, as signed (env's) */
	size_t payload_len;
	struct dsse_envelope *env;	    /* the envelope it came in (signatures) */
	/* Every key the document lists, in its order (each in at least one role);
	 * the roles borrow from here. */
	EVP_PKEY *keys[ROOT_MAX_KEYS];
	char keyid[ROOT_MAX_KEYS][DSSE_KEYID_LEN];
	size_t nkeys;
};

/* A new root document to write: each role's keys (the caller's) and threshold. */
struct root_draft {
	uint64_t version;
	time_t expires;
	struct {
		EVP_PKEY *keys[ROOT_MAX_KEYS];
		size_t nkeys;
		unsigned threshold;
	} role[ROOT_NROLES];
};

/* Parse a signed root (a DSSE envelope of ROOT_PAYLOAD_TYPE) strictly. Checks the
 * document's form only, NOT its signatures or expiry. *out is the caller's
 * (root_free()). GW_E_PARSE, GW_E_TOOBIG, GW_E_TRAILING, GW_E_KEY, GW_E_NOMEM. */
int root_parse(const uint8_t *buf, size_t len, struct root **out, gw_error *err) GW_WUR;

/* Read and parse path ("-": standard input). GW_E_NOTFOUND, GW_E_IO and
 * root_parse()'s codes. */
int root_load(const char *path, struct root **out, gw_error *err) GW_WUR;

/* A threshold of r's own root keys signed r, and r has not expired at now.
 * GW_E_SIGNATURE (the detail counts the valid signatures and names the others),
 * GW_E_STATE (expired: the detail names the date). */
int root_verify_self(const struct root *r, time_t now, gw_error *err) GW_WUR;

/* next may replace cur: next->version == cur->version + 1, a threshold of cur's
 * root keys and a threshold of next's root keys signed next, next has not expired.
 * A chain of several versions is walked one step at a time by the caller.
 * GW_E_STATE (version not cur+1: replayed, older or skipping; expired),
 * GW_E_SIGNATURE (either threshold missed: the detail says which). */
int root_verify_successor(const struct root *cur, const struct root *next, time_t now,
			  gw_error *err) GW_WUR;

/* Verify an envelope's signatures against role of r (threshold, each key once).
 * res as for dsse_verify(). */
int root_verify_envelope(const struct root *r, enum root_role_id role,
			 const struct dsse_envelope *env, const char *expected_type,
			 struct dsse_result *res, gw_error *err) GW_WUR;

/* The root document d describes, in the one form this code writes (keys in order
 * of first use, root role first; PEM SPKI with uncompressed points), checked by
 * the same rules as root_parse(). *out (NUL-terminated, *out_len bytes without
 * the NUL) is the caller's. GW_E_INVAL (naming the rule), GW_E_KEY, GW_E_CRYPTO,
 * GW_E_NOMEM. */
int root_format(const struct root_draft *d, char **out, size_t *out_len,
		gw_error *err) GW_WUR;

/* The first step of root_verify_successor() alone: the version and both
 * thresholds, not next's expiry. For walking a chain, where only the last root
 * must be unexpired (TUF's rule), and for tools that report expiry apart. */
int root_verify_step(const struct root *cur, const struct root *next, gw_error *err) GW_WUR;

/* The index of key in r's key list (by dsse_keyid()), or -1. */
int root_key_index(const struct root *r, EVP_PKEY *key);

/* The name of a role: "root" or "targets". */
const char *root_role_name(enum root_role_id role);

void root_free(struct root *r);

#endif
