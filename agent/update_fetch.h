/* SPDX-License-Identifier: Apache-2.0 */
/* gwagent update fetch: download a release's bundle from the verifier over the
 * device's mTLS identity, resuming an interrupted download (also across agent
 * restarts) from a ".part" file with If-Range on the ETag it was started with. */
#ifndef GW_AGENT_UPDATE_FETCH_H
#define GW_AGENT_UPDATE_FETCH_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "agent.h"
#include "vclient.h"

#define UPDATE_DOWNLOADS_DIR "update/downloads" /* in the state directory */
#define UPDATE_RELEASE_ID_LEN 16

struct update_fetch_opts {
	const char *release_id; /* 16 lower-case hex digits */
	const char *out;        /* NULL: STATE_DIR/update/downloads/ID.gwb */
	long max_rate;          /* bytes per second, 0: no limit */
};

struct update_fetch_result {
	char path[PATH_MAX];    /* where the bundle is */
	uint64_t size;
	char sha256[65];
	uint64_t resumed_from;  /* bytes of an earlier attempt kept (0: none) */
	bool restarted;         /* an earlier attempt was thrown away (changed ETag) */
	bool mismatch;          /* the download did not match its size or SHA-256 */
};

/* Download; on success the bundle is at res->path, renamed there atomically after
 * its size and SHA-256 (the ETag) were checked. A transport failure keeps the
 * .part file for the next call (f->transport_failed); an answer other than 200
 * or 206 fills f (403 not eligible, 404 unknown). A download that does not match
 * is deleted (res->mismatch, GW_E_REFERENCE). */
int update_fetch(struct agent_ctx *ctx, const struct update_fetch_opts *o,
		 struct update_fetch_result *res, struct vclient_failure *f,
		 gw_error *err) GW_WUR;

/* The downloads directory's lock, DIR/.lock (flock): update_fetch holds it
 * shared from before it looks at a part file in the directory until it returns;
 * update_downloads_prune takes it exclusive and does not wait. *fd is the locked
 * file (close it to let go). GW_E_STATE when prune and a fetch holds it, GW_E_IO. */
#define UPDATE_DOWNLOADS_LOCK ".lock"
int update_downloads_lock(const char *dir, bool prune, int *fd, gw_error *err) GW_WUR;

/* Remove from the downloads directory dir the download (ID.gwb, its .part and
 * .part.etag) of installed and of each release offers no longer lists, so that
 * bundles do not fill the state directory. Best effort: a file that cannot be
 * removed stays for the next install's turn, and while any fetch holds the lock
 * nothing is removed (false: skipped, the files wait for the next install). */
struct update_offers;
bool update_downloads_prune(const char *dir, struct update_offers *offers,
			    const char *installed);

/* The verifier's headers, parsed in update_fetch_parse.c. */
#define UPDATE_FETCH_ETAG_LEN (64 + 2) /* "<sha256 hex>" */
/* An ETag this verifier sends: a quoted SHA-256 in lower-case hex, nothing else. */
bool update_fetch_valid_etag(const char *e);
/* "bytes A-B/T" of a 206 answer: decimal numbers, A <= B < T; false otherwise. */
bool update_fetch_content_range(const char *s, uint64_t *a, uint64_t *b, uint64_t *total);

#endif
