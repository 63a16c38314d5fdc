/* SPDX-License-Identifier: Apache-2.0 */
/* The verifier's release key ([releases] release_key): the ECC P-256 private key
 * that content keys of encrypted bundles are wrapped for (keywrap.h, context
 * "release"). Its file must be a regular file of mode 0600 or stricter owned by
 * this process's user or root; its kid is dsse_keyid() of its public half, the
 * kid a wrapped key names. */
#ifndef GW_VERIFIER_RELKEY_H
#define GW_VERIFIER_RELKEY_H

#include <openssl/evp.h>

#include "dsse.h"
#include "gw_error.h"

#define RELKEY_KID_LEN DSSE_KEYID_LEN /* 64 hex digits and the terminator */

/* Load and check the release key at path; *out is the caller's. GW_E_NOTFOUND (no
 * such file), GW_E_CONFIG (a symbolic link, not a regular file, readable or
 * writable by group or others, owned by another user), GW_E_KEY (not a PEM
 * private key, not P-256), GW_E_IO, GW_E_TOOBIG, GW_E_NOMEM. The detail names
 * path. */
int relkey_load(const char *path, EVP_PKEY **out, gw_error *err) GW_WUR;

/* The key's kid (lower-case hex SHA-256 of its DER SubjectPublicKeyInfo).
 * GW_E_CRYPTO, GW_E_NOMEM. */
int relkey_kid(EVP_PKEY *key, char kid[RELKEY_KID_LEN], gw_error *err) GW_WUR;

/* A new P-256 release key at path (mode 0600, created exclusively).
 * GW_E_EXISTS when path exists, GW_E_IO, GW_E_CRYPTO. */
int relkey_create(const char *path, gw_error *err) GW_WUR;

#endif
