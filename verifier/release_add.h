/* SPDX-License-Identifier: Apache-2.0 */
/* Adding a release: copy a bundle into the verifier's release directory, verify
 * the copy whole against the pinned trust root, name it by its SHA-256 and record
 * it in the store, with its verified manifest's boot files. */
#ifndef GW_VERIFIER_RELEASE_ADD_H
#define GW_VERIFIER_RELEASE_ADD_H

#include <stdbool.h>
#include <stdint.h>

#include "gw_error.h"
#include "store.h"

struct release_add_opts {
	const char *bundle;     /* the operator's file */
	const char *trust_root; /* the pinned root (signed root file) */
	const char *release_key; /* the release private key (relkey.h); NULL: none */
	const char *dir;        /* where bundle files are kept */
	const char *channel;    /* NULL: the manifest's; else must be the manifest's */
	unsigned rollout;       /* 0..100 */
	bool require_approval;
	bool critical;
	int64_t deadline;       /* critical only; 0: none */
	int64_t now;
	const char *actor;
};

/* Why release_add() refused a bundle: the audit outcome and the exit code. */
enum release_refusal {
	RELEASE_OK = 0,
	RELEASE_REFUSED_ROOT,      /* the trust root cannot be read, is not self-signed or expired */
	RELEASE_REFUSED_SIGNATURE, /* the envelope is not signed by the root's targets keys */
	RELEASE_REFUSED_BUNDLE,    /* malformed, truncated, a member that does not match */
	RELEASE_REFUSED_EXPIRED,   /* the manifest has expired */
	RELEASE_REFUSED_CHANNEL,   /* --channel is not the manifest's */
	RELEASE_REFUSED_EXISTS,    /* the manifest is stored already */
	RELEASE_REFUSED_RELEASE_KEY, /* encrypted, and no usable release key configured */
	RELEASE_REFUSED_ENCRYPTION,  /* encrypted for another key, or the content key does
				      * not decrypt the payloads */
};
/* "root", "signature", ...; NULL for RELEASE_OK. */
const char *release_refusal_name(enum release_refusal r);

/* Verify and store the bundle. An encrypted bundle's content key is unwrapped
 * with the release key and every payload decrypted and checked once (the
 * plaintext discarded), so that a bundle the verifier could never serve is
 * refused now. *out gets the release stored (out->notes is owned:
 * store_release_fini()). A refusal sets *why and is audited ("release.add",
 * outcome "refused"); so is the success. The file is left in the directory only
 * when the release was stored (or an identical file was there already). */
int release_add(struct store *st, const struct release_add_opts *o, struct store_release *out,
		enum release_refusal *why, gw_error *err) GW_WUR;

/* Whether the stored bundle at path is encrypted, and then the kid of the key its
 * content key is wrapped for (kid[0] = '\0' when not). Reads only the manifest,
 * unverified: for display of a bundle verified when it was added. GW_E_IO,
 * GW_E_NOTFOUND, GW_E_PARSE. */
int release_bundle_encryption(const char *path, bool *encrypted, char kid[65],
			      gw_error *err) GW_WUR;

#endif
