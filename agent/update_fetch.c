// SPDX-License-Identifier: Apache-2.0
// Downloading a release's bundle with resume (update_fetch.h). Beside the target
// FILE lie FILE.part (the bytes so far) and FILE.part.etag (the ETag they belong
// to, written before the first byte): a rerun asks for the rest with If-Range on
// that ETag, and a server whose file changed answers 200 with the new one, which
// starts over. The downloads directory's lock keeps `update apply`'s pruning
// away from a part file being written.
#include "update_fetch.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "answers.h"
#include "digest.h"
#include "enroll_state.h"
#include "update_offer.h"
#include "util.h"

#define ETAG_LEN UPDATE_FETCH_ETAG_LEN

struct fetch {
	char final[PATH_MAX], part[PATH_MAX + 8], meta[PATH_MAX + 16];
	char etag[ETAG_LEN + 1]; /* of the part file, "" when none */
	uint64_t have;           /* bytes in the part file */
	uint64_t total;          /* the file's size, from the answer */
	int fd;                  /* the part file while writing */
	int lock_fd;             /* the downloads directory's lock, held shared */
	bool started;            /* the first body byte of this answer was seen */
	gw_error *err;
};

static bool valid_id(const char *id)
{
	size_t n = strlen(id);

	return n == UPDATE_RELEASE_ID_LEN && strspn(id, "0123456789abcdef") == n;
}

int update_downloads_lock(const char *dir, bool prune, int *fd, gw_error *err)
{
	char path[PATH_MAX];
	int lfd, e;

	if (gw_snprintf(path, sizeof(path), "%s/%s", dir, UPDATE_DOWNLOADS_LOCK))
		return gw_fail(err, GW_E_INVAL, "download path too long");
	lfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (lfd < 0)
		return gw_fail(err, GW_E_IO, "%s: %s", path, strerror(errno));
	/* A pruning is a few unlinks: a fetch waits for it. A fetch can take
	 * minutes: a pruning does not wait for it. */
	while ((e = flock(lfd, prune ? LOCK_EX | LOCK_NB : LOCK_SH)) != 0 && errno == EINTR)
		;
	if (e) {
		e = errno;
		close(lfd);
		if (e == EWOULDBLOCK)
			return gw_fail(err, GW_E_STATE, "%s: a download is being written", dir);
		return gw_fail(err, GW_E_IO, "%s: lock: %s", path, strerror(e));
	}
	*fd = lfd;
	return 0;
}

/* ID.gwb, ID.gwb.part or ID.gwb.part.etag: ID in id. */
static bool download_of(const char *name, char id[UPDATE_RELEASE_ID_LEN + 1])
{
	size_t n = strspn(name, "0123456789abcdef");

	if (n != UPDATE_RELEASE_ID_LEN ||
	    (strcmp(name + n, ".gwb") && strcmp(name + n, ".gwb.part") &&
	     strcmp(name + n, ".gwb.part.etag")))
		return false;
	memcpy(id, name, n);
	id[n] = '\0';
	return true;
}

bool update_downloads_prune(const char *dir, struct update_offers *offers, const char *installed)
{
	char id[UPDATE_RELEASE_ID_LEN + 1];
	struct dirent *de;
	int lfd = -1;
	DIR *d;

	if (update_downloads_lock(dir, true, &lfd, NULL))
		return false;
	if ((d = opendir(dir))) {
		while ((de = readdir(d))) {
			if (download_of(de->d_name, id) &&
			    (!strcmp(id, installed) || !update_offers_find(offers, id)))
				(void)unlinkat(dirfd(d), de->d_name, 0);
		}
		closedir(d);
	}
	close(lfd);
	return true;
}

/* The target's paths; in the downloads directory (no --out) with its lock held
 * shared until update_fetch returns. */
static int paths(struct agent_ctx *ctx, const struct update_fetch_opts *o, struct fetch *fx,
		 gw_error *err)
{
	char dir[PATH_MAX];
	int rc;

	if (o->out) {
		rc = gw_snprintf(fx->final, sizeof(fx->final), "%s", o->out);
	} else {
		if (agent_path(ctx, UPDATE_DOWNLOADS_DIR, dir, sizeof(dir)))
			return gw_fail(err, GW_E_INVAL, "state directory path too long");
		rc = gw_mkdir_p(dir, 0700, err);
		if (!rc)
			rc = update_downloads_lock(dir, false, &fx->lock_fd, err);
		if (rc)
			return rc;
		rc = gw_snprintf(fx->final, sizeof(fx->final), "%s/%s.gwb", dir, o->release_id);
	}
	if (rc || gw_snprintf(fx->part, sizeof(fx->part), "%s.part", fx->final) ||
	    gw_snprintf(fx->meta, sizeof(fx->meta), "%s.part.etag", fx->final))
		return gw_fail(err, GW_E_INVAL, "download path too long");
	return 0;
}

/* What an earlier attempt left: a part file and the ETag it belongs to, both or
 * neither (a part without its ETag cannot be resumed: dropped). */
static void load_part(struct fetch *fx)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	struct stat sb;

	fx->etag[0] = '\0';
	fx->have = 0;
	if (gw_read_file(fx->meta, 256, &buf, &len, NULL) == 0 && len == ETAG_LEN &&
	    update_fetch_valid_etag((char *)buf) && lstat(fx->part, &sb) == 0 && S_ISREG(sb.st_mode)) {
		memcpy(fx->etag, buf, ETAG_LEN + 1);
		fx->have = (uint64_t)sb.st_size;
	} else {
		(void)unlink(fx->part);
		(void)unlink(fx->meta);
	}
	free(buf);
}

/* The first bytes of an answer: append to the part (206 for exactly the rest of
 * the same file) or start it over (200). */
static int begin_body(struct fetch *fx, const struct http_get *g)
{
	uint64_t a, b, t;
	int flags = O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW;

	if (!update_fetch_valid_etag(g->etag))
		return gw_fail(fx->err, GW_E_PARSE, "the answer has no ETag this agent knows");
	if (g->status == 206) {
		if (!fx->etag[0] || strcmp(g->etag, fx->etag) ||
		    !update_fetch_content_range(g->content_range, &a, &b, &t) || a != fx->have ||
		    b + 1 != t)
			return gw_fail(fx->err, GW_E_PARSE, "a partial answer that is not the rest "
							    "of the download (Content-Range '%s')",
				       g->content_range);
		fx->total = t;
		flags |= O_APPEND;
	} else {
		if (gw_parse_u64(g->content_length, INT64_MAX, &fx->total) || fx->total == 0)
			return gw_fail(fx->err, GW_E_PARSE, "the answer has no usable Content-Length");
		/* The ETag first: a part file is never there without its ETag. */
		if (gw_write_file_atomic(fx->meta, g->etag, ETAG_LEN, 0600, fx->err))
			return GW_E_IO;
		memcpy(fx->etag, g->etag, ETAG_LEN + 1);
		fx->have = 0;
		flags |= O_TRUNC;
	}
	fx->fd = open(fx->part, flags, 0600);
	if (fx->fd < 0)
		return gw_fail(fx->err, GW_E_IO, "%s: %s", fx->part, strerror(errno));
	fx->started = true;
	return 0;
}

static int on_body(struct http_get *g, const void *p, size_t n)
{
	struct fetch *fx = g->arg;
	const uint8_t *q = p;
	int rc;

	if (!fx->started && (rc = begin_body(fx, g)))
		return rc;
	if (n > fx->total - fx->have)
		return gw_fail(fx->err, GW_E_TOOBIG, "the answer is longer than the file");
	while (n) {
		ssize_t w = write(fx->fd, q, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return gw_fail(fx->err, GW_E_IO, "writing %s: %s", fx->part,
				       strerror(errno));
		q += w;
		n -= (size_t)w;
		fx->have += (uint64_t)w;
	}
	return 0;
}

/* SHA-256 of the part file against its ETag and size; then into place. A part
 * that does not match is deleted: the next attempt starts over. */
static int finish(struct fetch *fx, struct update_fetch_result *res, gw_error *err)
{
	char hex[65];
	const uint16_t alg = TPM2_ALG_SHA256;
	uint8_t mds[1][GW_MAX_DIGEST];
	uint64_t size = 0;
	int rc;

	rc = gw_hash_file(fx->part, &alg, 1, mds, &size, err);
	if (rc)
		return rc;
	fx->have = size;
	gw_hex_encode(mds[0], 32, hex);
	if (fx->have != fx->total || strncmp(fx->etag + 1, hex, 64)) {
		(void)unlink(fx->part);
		(void)unlink(fx->meta);
		res->mismatch = true;
		return gw_fail(err, GW_E_REFERENCE, "the download (%" PRIu64 " bytes, sha256 %s) "
						    "is not the file the verifier named (%" PRIu64
						    " bytes, sha256 %.64s): deleted",
			       fx->have, hex, fx->total, fx->etag + 1);
	}
	rc = gw_rename_durable(fx->part, fx->final, err);
	if (rc)
		return rc;
	(void)unlink(fx->meta);
	memcpy(res->sha256, hex, sizeof(res->sha256));
	res->size = fx->total;
	return gw_snprintf(res->path, sizeof(res->path), "%s", fx->final);
}

/* One request: for the rest of the part when there is one. 0 with the part
 * complete and checked; GW_E_EXISTS when the part must be dropped and the
 * download started over (a 416: the part is no prefix of the file now). */
static int attempt(struct http_client *c, struct fetch *fx, const struct update_fetch_opts *o,
		   struct update_fetch_result *res, struct vclient_failure *f, gw_error *err)
{
	char path[64], range[40];
	struct http_get g = { .path = path, .max_rate = o->max_rate, .on_body = on_body,
			      .arg = fx };
	int rc;

	fx->started = false;
	fx->fd = -1;
	fx->err = err;
	if (gw_snprintf(path, sizeof(path), "/v1/releases/%s/bundle", o->release_id))
		return GW_E_INVAL;
	if (fx->have > 0) {
		if (gw_snprintf(range, sizeof(range), "bytes=%" PRIu64 "-", fx->have))
			return GW_E_INVAL;
		g.range = range;
		g.if_range = fx->etag;
		res->resumed_from = fx->have;
	}
	rc = http_get(c, &g, err);
	if (fx->fd >= 0 && fsync(fx->fd) && !rc)
		rc = gw_fail(err, GW_E_IO, "fsync %s: %s", fx->part, strerror(errno));
	if (fx->fd >= 0)
		close(fx->fd);
	if (fx->started && g.status == 200 && res->resumed_from)
		res->restarted = true;
	if (rc) {
		f->transport_failed = http_last_failure(c) != HTTP_FAIL_NONE;
		f->tls_identity = http_last_failure(c) == HTTP_FAIL_TLS_NAME ||
				  http_last_failure(c) == HTTP_FAIL_TLS_UNTRUSTED;
		gw_error_prefix(err, "%s: ", path);
		return rc;
	}
	if (g.status == 416 && fx->have > 0) {
		/* Everything asked for is past the end: complete, or not a prefix. */
		free(g.error_body);
		fx->total = fx->have;
		if (finish(fx, res, err) == 0)
			return 0;
		(void)unlink(fx->part);
		(void)unlink(fx->meta);
		res->mismatch = false;
		fx->have = 0;
		fx->etag[0] = '\0';
		res->restarted = true;
		return GW_E_EXISTS;
	}
	if (g.status != 200 && g.status != 206) {
		f->http_status = g.status;
		f->has_error = g.error_body &&
			       answers_parse_error(g.error_body, strlen(g.error_body), &f->error,
						   NULL) == 0;
		free(g.error_body);
		if (f->has_error)
			return gw_fail(err, GW_E_STATE, "%s: HTTP %ld %s: %s", path, g.status,
				       f->error.code, f->error.message);
		return gw_fail(err, GW_E_STATE, "%s: HTTP %ld", path, g.status);
	}
	if (!fx->started)
		return gw_fail(err, GW_E_TRUNCATED, "%s: an empty answer", path);
	return finish(fx, res, err);
}

int update_fetch(struct agent_ctx *ctx, const struct update_fetch_opts *o,
		 struct update_fetch_result *res, struct vclient_failure *f, gw_error *err)
{
	struct enroll_state st;
	struct http_opts hopts;
	struct http_client *c = NULL;
	struct fetch fx;
	char ca[PATH_MAX], cert[PATH_MAX], key[PATH_MAX];
	int rc;

	memset(res, 0, sizeof(*res));
	memset(f, 0, sizeof(*f));
	memset(&st, 0, sizeof(st));
	memset(&fx, 0, sizeof(fx));
	fx.lock_fd = -1;
	if (!valid_id(o->release_id))
		return gw_fail(err, GW_E_INVAL, "a release id is 16 lower-case hex digits");
	rc = enroll_state_load(ctx, &st, err);
	if (rc == GW_E_NOTFOUND || (!rc && st.state != ANSWER_ENROLLED)) {
		rc = gw_fail(err, GW_E_STATE, "%s: run 'gwagent enroll' first",
			     rc ? "not enrolled" : "enrollment pending approval");
		goto out;
	}
	if (rc)
		goto out;
	if (agent_path(ctx, ENROLL_CA_FILE, ca, sizeof(ca)) ||
	    agent_path(ctx, ENROLL_TLS_CERT_FILE, cert, sizeof(cert)) ||
	    agent_path(ctx, ENROLL_TLS_KEY_FILE, key, sizeof(key))) {
		rc = gw_fail(err, GW_E_INVAL, "state directory path too long");
		goto out;
	}
	if ((rc = paths(ctx, o, &fx, err)))
		goto out;
	load_part(&fx);
	memset(&hopts, 0, sizeof(hopts));
	hopts.base_url = st.url;
	hopts.ca_file = ca;
	hopts.cert_file = cert;
	hopts.key_file = key;
	rc = http_client_new(&hopts, &c, err);
	if (rc)
		goto out;
	rc = attempt(c, &fx, o, res, f, err);
	if (rc == GW_E_EXISTS)
		rc = attempt(c, &fx, o, res, f, err);
out:
	http_client_free(c);
	answers_enroll_state_wipe(&st);
	if (fx.lock_fd >= 0)
		close(fx.lock_fd);
	return rc;
}
