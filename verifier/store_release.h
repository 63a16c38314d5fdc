/* SPDX-License-Identifier: Apache-2.0 */
/* The store's releases: bundles the operator added, their approval, rollout and
 * withdrawal, and the boot files each one boots (store.h). */
#ifndef GW_STORE_RELEASE_H
#define GW_STORE_RELEASE_H

#include "store_handle.h"

/* ---- releases (store_release.c) ----
 * A release is a bundle the operator added, checked against the verifier's trust
 * root before it was stored; its file lies beside the database, named by its
 * SHA-256. Its manifest fields never change; approval, the rollout percentage and
 * withdrawal do, and withdrawal is final. */

#define STORE_RELEASE_ID_LEN 16   /* first 16 hex digits of the manifest SHA-256 */
#define STORE_RELEASE_VERSION_MAX 64
#define STORE_RELEASE_MODELS 32   /* MANIFEST_MAX_MODELS */
#define STORE_PATH_MAX 4095
#define STORE_NOTES_MAX (64u * 1024)
#define STORE_BOOT_FILES_MAX 8    /* a release's boot files (MANIFEST_MAX_BOOT_FILES) */
#define STORE_BOOT_PATH_MAX 255   /* MANIFEST_BOOT_PATH_MAX */

/* A file the bootloader measures when it boots a release (its manifest's
 * boot_files): the path is for people, the digest is what is compared. */
struct store_boot_file {
	char path[STORE_BOOT_PATH_MAX + 1]; /* "/" and more, no space */
	uint8_t sha256[STORE_HASH_LEN];
};

struct store_release {
	char id[STORE_RELEASE_ID_LEN + 1];
	char manifest_sha256[2 * STORE_HASH_LEN + 1];
	char models[STORE_RELEASE_MODELS][STORE_MODEL_MAX + 1];
	size_t nmodels; /* 1..STORE_RELEASE_MODELS, distinct */
	char channel[STORE_CHANNEL_MAX + 1];
	char version[STORE_RELEASE_VERSION_MAX + 1];
	uint64_t security_version; /* below 2^63 */
	int64_t created;           /* the manifest's */
	char *notes;               /* NULL: none; owned after get, borrowed for put */
	bool reboot_required;
	char bundle_path[STORE_PATH_MAX + 1];
	uint64_t size;             /* bytes of the bundle file, > 0 */
	char sha256[2 * STORE_HASH_LEN + 1]; /* of the bundle file: its ETag */
	unsigned rollout;          /* percent of the devices, 0..100 */
	bool requires_approval;
	bool approved;
	bool withdrawn;
	bool critical;
	int64_t deadline;          /* critical: deferral ends then; 0: none */
	bool eol_transition;
	int64_t added_at;
	char added_by[STORE_ACTOR_MAX + 1];
	/* Its verified manifest's boot files (distinct paths, distinct digests), for
	 * store_release_put; read back with store_release_boot_list (get and list
	 * leave them empty). */
	size_t nboot_files;
	struct store_boot_file boot_files[STORE_BOOT_FILES_MAX];
};

/* Free what store_release_get() allocated (notes). NULL is fine. */
void store_release_fini(struct store_release *r);
/* Insert a new release (approved and withdrawn must be false). GW_E_EXISTS when
 * its id or its manifest is stored already; GW_E_INVAL for a malformed field. */
int store_release_put(struct store *st, const struct store_release *r,
		      const struct store_audit *audit, gw_error *err) GW_WUR;
/* GW_E_NOTFOUND for an unknown id. On success release with store_release_fini(). */
int store_release_get(struct store *st, const char *id, struct store_release *out,
		      gw_error *err) GW_WUR;
/* Called once per release, oldest added first; the pointer (and notes) is valid only
 * during the call. A non-zero return stops and is returned. model NULL: every
 * release; else those for that model. */
typedef int (*store_release_cb)(const struct store_release *r, void *arg);
int store_release_list(struct store *st, const char *model, store_release_cb cb, void *arg,
		       gw_error *err) GW_WUR;

enum store_release_change {
	STORE_REL_APPROVE,  /* requires_approval and not approved yet */
	STORE_REL_WITHDRAW, /* final */
	STORE_REL_ROLLOUT,  /* value: the new percentage, 0..100 */
};
/* Change a release. GW_E_NOTFOUND for an unknown id; GW_E_STATE when it is
 * withdrawn, or approve of one that needs none or is approved already; GW_E_INVAL
 * for a percentage above 100. Nothing changes on failure. */
int store_release_change(struct store *st, const char *id, enum store_release_change what,
			 unsigned value, const struct store_audit *audit, gw_error *err) GW_WUR;

/* A release's boot files as stored (schema 13): put stores them with the release;
 * a release added before schema 13 has none stored (known false) until
 * store_release_boot_put records what its bundle's manifest lists. */
struct store_release_boot {
	char id[STORE_RELEASE_ID_LEN + 1];
	char version[STORE_RELEASE_VERSION_MAX + 1];
	char manifest_sha256[2 * STORE_HASH_LEN + 1];
	char bundle_path[STORE_PATH_MAX + 1];
	bool known;	/* its boot files are stored (n may be 0) */
	size_t n;
	struct store_boot_file files[STORE_BOOT_FILES_MAX];
};
/* Called once per release of model (every release when NULL), withdrawn ones
 * included, oldest added first, each with its boot files: one query. The pointer
 * is valid only during the call; a non-zero return stops and is returned. */
typedef int (*store_release_boot_cb)(const struct store_release_boot *b, void *arg);
int store_release_boot_list(struct store *st, const char *model, store_release_boot_cb cb,
			    void *arg, gw_error *err) GW_WUR;
/* Record the boot files of release id, read from its bundle's manifest (whose
 * digest the caller checked against the release's): once, so 0 and nothing
 * changes when they are stored already (another worker was first). GW_E_NOTFOUND
 * for an unknown id, GW_E_INVAL for a malformed file list. */
int store_release_boot_put(struct store *st, const char *id, const struct store_boot_file *files,
			   size_t n, gw_error *err) GW_WUR;

#endif
