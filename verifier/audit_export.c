// SPDX-License-Identifier: Apache-2.0
// Audit export: the oldest records checked, written to an archive file (temp,
// fsync, no-replace move, fsync of the directory) and removed from the store with
// the anchor moved and the export audited, in one transaction.
#include "audit_export.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "audit_archive.h"
#include "util.h"

#define EXPORT_STOP 1 /* the callback's "no more for this archive" */

struct export_ctx {
	FILE *f;
	int64_t before;
	uint64_t max, first, expect, count, last;
	uint8_t prev[STORE_HASH_LEN];
	gw_error *err;
};

/* Each record before the time, checked against the chain before it is written:
 * a broken chain is not archived (and not removed). */
static int export_cb(const struct store_audit_record *r, void *arg)
{
	struct export_ctx *x = arg;
	uint8_t want[STORE_HASH_LEN];
	char *line;
	int rc;

	if (r->a.ts >= x->before || (x->max && x->count >= x->max))
		return EXPORT_STOP;
	if (r->seq != x->expect || !gw_ct_equal(r->prev_hash, x->prev, STORE_HASH_LEN) ||
	    store_audit_hash(x->prev, r->seq, &r->a, want) ||
	    !gw_ct_equal(want, r->hash, STORE_HASH_LEN))
		return gw_fail(x->err, GW_E_STATE,
			       "the audit chain is broken at seq %" PRIu64
			       " ('gwverifier audit verify' names why): nothing exported",
			       x->expect);
	line = audit_archive_record(r);
	if (!line)
		return gw_fail(x->err, GW_E_NOMEM, "out of memory");
	rc = fprintf(x->f, "%s\n", line) < 0 ? GW_E_IO : 0;
	free(line);
	if (rc)
		return gw_fail(x->err, rc, "writing the archive: %s", strerror(errno));
	memcpy(x->prev, r->hash, STORE_HASH_LEN);
	x->last = r->seq;
	x->expect++;
	x->count++;
	return 0;
}

static int put_line(FILE *f, char *line, gw_error *err)
{
	int rc = 0;

	if (!line)
		return gw_fail(err, GW_E_NOMEM, "out of memory");
	if (fprintf(f, "%s\n", line) < 0)
		rc = gw_fail(err, GW_E_IO, "writing the archive: %s", strerror(errno));
	free(line);
	return rc;
}

/* The archive into tmp (fd, which x->f then owns), fsynced; inside store_begin(). */
static int write_archive(struct store *st, struct export_ctx *x, int fd, const char *tmp,
			 int64_t now, gw_error *err)
{
	struct store_audit_anchor anchor;
	int rc;

	x->f = fdopen(fd, "w");
	if (!x->f) {
		close(fd);
		return gw_fail(err, GW_E_IO, "%s: %s", tmp, strerror(errno));
	}
	if ((rc = store_audit_anchor_get(st, &anchor, err)))
		return rc;
	x->first = x->expect = anchor.seq + 1;
	memcpy(x->prev, anchor.hash, STORE_HASH_LEN);
	x->err = err;
	if ((rc = put_line(x->f, audit_archive_header(x->expect, anchor.hash, now), err)))
		return rc;
	rc = store_audit_list(st, anchor.seq, export_cb, x, err);
	if (rc != 0 && rc != EXPORT_STOP)
		return rc;
	if (x->count == 0)
		return 0;
	if ((rc = put_line(x->f, audit_archive_trailer(x->last, x->prev, x->count), err)))
		return rc;
	if (fflush(x->f) || fsync(fileno(x->f)))
		return gw_fail(err, GW_E_IO, "%s: %s", tmp, strerror(errno));
	return 0;
}

/* The anchor moved, the records removed and the export audited. */
static int record_export(struct store *st, const struct export_ctx *x, const char *path,
			 int64_t now, const char *actor, gw_error *err)
{
	struct store_audit a;
	char hex[2 * STORE_HASH_LEN + 1];
	json_object *d;
	int rc;

	if ((rc = store_audit_archive(st, x->last, now, err)))
		return rc;
	gw_hex_encode(x->prev, STORE_HASH_LEN, hex);
	/* json-c writes the path: quotes, backslashes and newlines in it escaped. */
	d = json_object_new_object();
	if (!d)
		return gw_fail(err, GW_E_NOMEM, "out of memory");
	json_object_object_add(d, "first_seq", json_object_new_uint64(x->first));
	json_object_object_add(d, "last_seq", json_object_new_uint64(x->last));
	json_object_object_add(d, "count", json_object_new_uint64(x->count));
	json_object_object_add(d, "anchor", json_object_new_string(hex));
	json_object_object_add(d, "file", json_object_new_string(path));
	a = (struct store_audit){ .ts = now, .actor = actor, .action = "audit.export",
				  .outcome = "ok",
				  .detail = json_object_to_json_string_ext(d, JSON_C_TO_STRING_PLAIN) };
	rc = store_audit_append(st, &a, NULL, err);
	json_object_put(d);
	return rc;
}

/* A crash between an archive's move into dir and its commit leaves the file and
 * the records; the next round names the same file (a full batch, same range).
 * That file, intact and of this range and anchor, is this archive already. */
static bool archived_before(const char *path, const struct export_ctx *x)
{
	struct audit_archive_summary sum;

	return audit_archive_check_file(path, &sum, NULL) == 0 && sum.first_seq == x->first &&
	       sum.last_seq == x->last && gw_ct_equal(sum.anchor_hash, x->prev, STORE_HASH_LEN);
}

/* One archive: to path, or (path NULL) to its name in dir. */
static int export_one(struct store *st, const char *path, const char *dir, int64_t before,
		      uint64_t max, int64_t now, const char *actor,
		      struct audit_export_result *res, gw_error *err)
{
	struct export_ctx x = { .before = before, .max = max };
	char tmp[PATH_MAX] = "", name[PATH_MAX];
	int fd = -1, rc;
	bool began = false;

	memset(res, 0, sizeof(*res));
	if (!path && gw_snprintf(name, sizeof(name), "%s/audit-new", dir))
		return gw_fail(err, GW_E_TOOBIG, "%s: path too long", dir);
	rc = gw_open_tmp(path ? path : name, 0640, tmp, sizeof(tmp), &fd, err);
	if (rc)
		tmp[0] = '\0'; /* nothing of ours to remove */
	if (!rc && !(rc = store_begin(st, err)))
		began = true;
	if (!rc) {
		rc = write_archive(st, &x, fd, tmp, now, err);
		fd = -1; /* x.f owns it */
	}
	if (!rc && x.count && !path) {
		if (gw_snprintf(name, sizeof(name), "%s/" AUDIT_EXPORT_NAME, dir, x.first, x.last))
			rc = gw_fail(err, GW_E_TOOBIG, "%s: path too long", dir);
		path = name;
	}
	if (!rc && x.count)
		rc = record_export(st, &x, path, now, actor, err);
	if (x.f && fclose(x.f) && !rc)
		rc = gw_fail(err, GW_E_IO, "%s: %s", tmp, strerror(errno));
	/* The archive is in place before the removal commits: a crash in between
	 * leaves records both archived and kept, never neither. */
	if (!rc && x.count && !(rc = gw_link_durable(tmp, path, err)))
		res->written = true;
	if (rc == GW_E_EXISTS && dir && path == name && archived_before(path, &x)) {
		if (err)
			err->msg[0] = '\0';
		rc = 0;
		res->written = true;
		(void)unlink(tmp);
	}
	if (!rc && began)
		rc = store_commit(st, err);
	else if (began)
		store_rollback(st);
	if (fd >= 0)
		close(fd);
	if (!res->written && tmp[0])
		(void)unlink(tmp);
	res->count = x.count;
	res->first_seq = x.first;
	res->last_seq = x.last;
	memcpy(res->anchor, x.prev, STORE_HASH_LEN);
	return rc;
}

int audit_export_file(struct store *st, const char *path, int64_t before, uint64_t max,
		      int64_t now, const char *actor, struct audit_export_result *res,
		      gw_error *err)
{
	if (!path || !path[0]) {
		memset(res, 0, sizeof(*res));
		return gw_fail(err, GW_E_INVAL, "audit export: no file");
	}
	return export_one(st, path, NULL, before, max, now, actor, res, err);
}

int audit_export_dir(struct store *st, const char *dir, int64_t before, unsigned batch,
		     int64_t now, const char *actor, uint64_t *files, uint64_t *records,
		     struct audit_export_result *last, gw_error *err)
{
	struct audit_export_result r;
	int rc;

	*files = *records = 0;
	if (!dir || !dir[0])
		return gw_fail(err, GW_E_INVAL, "audit archive: no directory");
	/* Each export appends its own record at now: one before now would be
	 * exported by the next batch, and that one's by the next. */
	if (before > now)
		return gw_fail(err, GW_E_INVAL, "audit archive: a time after now");
	if (batch == 0)
		batch = AUDIT_EXPORT_BATCH;
	for (;;) {
		rc = export_one(st, NULL, dir, before, batch, now, actor, &r, err);
		if (rc || r.count == 0)
			break;
		(*files)++;
		*records += r.count;
		if (last)
			*last = r;
		if (r.count < batch)
			break;
	}
	if (rc && r.written)
		gw_error_prefix(err, "%s/" AUDIT_EXPORT_NAME " was written, its records are "
				     "still in the store: ", dir, r.first_seq, r.last_seq);
	return rc;
}
