// SPDX-License-Identifier: Apache-2.0
// Audit export: the oldest records checked, written to an archive file (temp,
// fsync, no-replace move, fsync of the directory) and removed from the store with
// the anchor moved and the export audited, in one transaction.
#include "audit_export.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
	if (x->f) { /* NULL: checked only, the records of a leftover archive */
		line = audit_archive_record(r);
		if (!line)
			return gw_fail(x->err, GW_E_NOMEM, "out of memory");
		rc = fprintf(x->f, "%s\n", line) < 0 ? GW_E_IO : 0;
		free(line);
		if (rc)
			return gw_fail(x->err, rc, "writing the archive: %s", strerror(errno));
	}
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

/* A directory entry that is a regular file (not followed if a symbolic link):
 * a FIFO, socket, device or link named like an archive is never one. */
static bool is_regular(DIR *d, const struct dirent *e)
{
	struct stat sb;

	if (e->d_type != DT_UNKNOWN)
		return e->d_type == DT_REG;
	return fstatat(dirfd(d), e->d_name, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
	       S_ISREG(sb.st_mode);
}

/* The regular file in dir whose name starts at seq first (name), if any: 0 and name[0]
 * '\0' when there is none; several are GW_E_EXISTS. */
static int find_leftover(const char *dir, uint64_t first, char *name, size_t len,
			 gw_error *err)
{
	char prefix[32];
	const size_t want = sizeof("audit-") - 1 + 20 + 1 + 20 + sizeof(".jsonl") - 1;
	struct dirent *e;
	DIR *d;
	int rc = 0;

	name[0] = '\0';
	if (gw_snprintf(prefix, sizeof(prefix), "audit-%020" PRIu64 "-", first))
		return gw_fail(err, GW_E_INVAL, "audit archive: seq %" PRIu64, first);
	d = opendir(dir);
	if (!d)
		return gw_fail(err, GW_E_IO, "%s: %s", dir, strerror(errno));
	while (!rc && (errno = 0, e = readdir(d))) {
		if (strlen(e->d_name) != want || strncmp(e->d_name, prefix, strlen(prefix)) ||
		    strcmp(e->d_name + want - 6, ".jsonl") || !is_regular(d, e))
			continue;
		if (name[0])
			rc = gw_fail(err, GW_E_EXISTS, "%s: several archives start at seq %" PRIu64
					 " (%s, %s): nothing removed", dir, first, name, e->d_name);
		else if (gw_snprintf(name, len, "%s/%s", dir, e->d_name))
			rc = gw_fail(err, GW_E_TOOBIG, "%s: path too long", dir);
	}
	if (!rc && errno)
		rc = gw_fail(err, GW_E_IO, "%s: %s", dir, strerror(errno));
	closedir(d);
	return rc;
}

/* A leftover is in dir's listing, but its move may not have reached the disk: a
 * crash (or a failed fsync) between the move and the directory's fsync leaves it
 * in the page cache only. Before its records are removed the file (which on FAT
 * also writes its directory entry, as util.c's rule for a moved file) and dir are
 * fsynced; either failing fails the export. */
static int make_durable(int fd, const char *path, const char *dir, gw_error *err)
{
	if (fsync(fd))
		return gw_fail(err, GW_E_IO, "fsync %s: %s", path, strerror(errno));
	return gw_fsync_dir(dir, err);
}

/* The range a leftover's name gives (find_leftover's match: its FIRST is the
 * store's first seq), checked before the file is opened: every leftover was
 * written by one batch of at most x->max records, so a bigger or unreadable
 * range is no leftover of this store's rounds, and the file is never read past
 * it (a big file named like one would hold the write lock while it was read). */
static int leftover_range(const struct export_ctx *x, const char *path, uint64_t *last,
			  gw_error *err)
{
	const char *base = strrchr(path, '/');
	char digits[21];

	base = base ? base + 1 : path;
	memcpy(digits, base + sizeof("audit-") - 1 + 20 + 1, 20);
	digits[20] = '\0';
	if (gw_parse_u64(digits, UINT64_MAX, last) || *last < x->first ||
	    (x->max && *last - x->first >= x->max))
		return gw_fail(err, GW_E_EXISTS, "%s: its name is not the range of one batch "
				 "(at most %" PRIu64 " records from seq %" PRIu64 "): not this "
				 "store's archive, nothing removed", path, x->max, x->first);
	return 0;
}

/* The leftover's records against the store's next ones (the same hashes). */
static int same_records(struct store *st, struct export_ctx *x, const char *path,
			const struct audit_archive_summary *sum, uint64_t last, gw_error *err)
{
	int rc;

	if (sum->first_seq != x->first || sum->count == 0 ||
	    !gw_ct_equal(sum->prev_hash, x->prev, STORE_HASH_LEN))
		return gw_fail(err, GW_E_EXISTS, "%s does not chain from the store's anchor "
				 "(seq %" PRIu64 "): not this store's archive, nothing removed",
			       path, x->first - 1);
	x->before = INT64_MAX;
	x->max = sum->count;
	rc = store_audit_list(st, x->first - 1, export_cb, x, err);
	if (rc != 0 && rc != EXPORT_STOP)
		return rc;
	if (x->count != sum->count || x->last != sum->last_seq || sum->last_seq != last ||
	    !gw_ct_equal(x->prev, sum->anchor_hash, STORE_HASH_LEN))
		return gw_fail(err, GW_E_EXISTS, "%s (seq %" PRIu64 "-%" PRIu64 ") holds other "
				 "records than the store's: not this store's archive, nothing "
				 "removed", path, sum->first_seq, sum->last_seq);
	return 0;
}

/* A crash between an archive's move into dir and its commit leaves the file and
 * the records, and the next round finds the file starting at the store's first
 * seq. Intact, chained from the anchor, holding exactly the store's next records
 * (the same hashes), and durable: it is taken as this export's archive, its range
 * committed. Anything else is an error and nothing is removed. Inside
 * store_begin(), x set up from the anchor. */
static int adopt_leftover(struct store *st, struct export_ctx *x, const char *path,
			  const char *dir, gw_error *err)
{
	struct audit_archive_summary sum;
	uint64_t last = 0;
	int fd = -1;
	int rc = leftover_range(x, path, &last, err);

	if (rc)
		return rc;
	rc = audit_archive_open(path, &fd, err);
	if (!rc)
		rc = audit_archive_check_fd(fd, path, last - x->first + 1, &sum, err);
	if (rc) {
		gw_error_prefix(err, "%s, left by an earlier export, is not an intact archive "
				     "(nothing removed): ", path);
		goto out;
	}
	if ((rc = same_records(st, x, path, &sum, last, err)))
		goto out;
	if ((rc = make_durable(fd, path, dir, err)))
		gw_error_prefix(err, "%s, left by an earlier export, cannot be made durable "
				     "(nothing removed): ", path);
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

/* Inside store_begin(): the leftover archive at the store's first seq in dir
 * adopted as this export (*adopted, path its name), or none there. */
static int try_adopt(struct store *st, struct export_ctx *x, const char *dir, char *path,
		     size_t len, bool *adopted, gw_error *err)
{
	struct store_audit_anchor anchor;
	int rc = store_audit_anchor_get(st, &anchor, err);

	*adopted = false;
	if (rc)
		return rc;
	x->first = x->expect = anchor.seq + 1;
	memcpy(x->prev, anchor.hash, STORE_HASH_LEN);
	x->err = err;
	if ((rc = find_leftover(dir, x->first, path, len, err)) || !path[0])
		return rc;
	if ((rc = adopt_leftover(st, x, path, dir, err)))
		return rc;
	*adopted = true;
	return 0;
}

/* A new archive into a temporary file beside path (or dir's "audit-new"), its
 * final name in path when it was NULL; inside store_begin(). */
static int write_new(struct store *st, struct export_ctx *x, const char *dir,
		     const char **path, char *name, size_t name_len, char *tmp, size_t tmp_len,
		     int64_t now, gw_error *err)
{
	int fd = -1, rc;

	if (!*path && gw_snprintf(name, name_len, "%s/audit-new", dir))
		return gw_fail(err, GW_E_TOOBIG, "%s: path too long", dir);
	rc = gw_open_tmp(*path ? *path : name, 0640, tmp, tmp_len, &fd, err);
	if (rc) {
		tmp[0] = '\0'; /* nothing of ours to remove */
		return rc;
	}
	rc = write_archive(st, x, fd, tmp, now, err); /* x->f owns fd */
	if (!rc && x->count && !*path) {
		if (gw_snprintf(name, name_len, "%s/" AUDIT_EXPORT_NAME, dir, x->first, x->last))
			return gw_fail(err, GW_E_TOOBIG, "%s: path too long", dir);
		*path = name;
	}
	return rc;
}

/* One archive: to path, or (path NULL) to its name in dir, where a crash's
 * leftover at the store's first seq is adopted instead (try_adopt). */
static int export_one(struct store *st, const char *path, const char *dir, int64_t before,
		      uint64_t max, int64_t now, const char *actor,
		      struct audit_export_result *res, gw_error *err)
{
	struct export_ctx x = { .before = before, .max = max };
	char tmp[PATH_MAX] = "", name[PATH_MAX] = "";
	bool adopted = false;
	int rc;

	memset(res, 0, sizeof(*res));
	if ((rc = store_begin(st, err)))
		return rc;
	if (!path && !(rc = try_adopt(st, &x, dir, name, sizeof(name), &adopted, err)) && adopted)
		path = name;
	if (!rc && !adopted)
		rc = write_new(st, &x, dir, &path, name, sizeof(name), tmp, sizeof(tmp), now, err);
	if (!rc && x.count)
		rc = record_export(st, &x, path, now, actor, err);
	if (x.f && fclose(x.f) && !rc)
		rc = gw_fail(err, GW_E_IO, "%s: %s", tmp, strerror(errno));
	/* The archive is in place before the removal commits: a crash in between
	 * leaves records both archived and kept, never neither. */
	if (!rc && x.count && !adopted && !(rc = gw_link_durable(tmp, path, err)))
		res->written = true;
	if (!rc && adopted)
		res->written = res->adopted = true;
	if (!rc)
		rc = store_commit(st, err);
	else
		store_rollback(st);
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

/* "audit-new" GW_TMP_INFIX and 16 hex digits: write_new's temporary name. */
static bool is_own_tmp(const char *name)
{
	static const char stem[] = "audit-new" GW_TMP_INFIX;
	const size_t n = sizeof(stem) - 1;

	return !strncmp(name, stem, n) && strlen(name + n) == 16 &&
	       strspn(name + n, "0123456789abcdef") == 16;
}

/* Temporary files of exports into dir that never finished (a kill between the
 * temp's creation and its move or removal) removed, *removed counting them. An
 * export's temp exists only inside its transaction, so with the write lock held
 * every one in dir is stale, also one of another process (`gwverifier prune`).
 * One that cannot be removed is left (and removed next time). */
static int remove_stale(struct store *st, const char *dir, unsigned *removed, gw_error *err)
{
	struct dirent *e;
	DIR *d;
	int rc = store_begin(st, err);

	if (rc)
		return rc;
	d = opendir(dir);
	if (!d) {
		rc = gw_fail(err, GW_E_IO, "%s: %s", dir, strerror(errno));
		goto out;
	}
	while ((e = readdir(d)))
		if (is_own_tmp(e->d_name) && is_regular(d, e) &&
		    unlinkat(dirfd(d), e->d_name, 0) == 0)
			(*removed)++;
	closedir(d);
out:
	store_rollback(st);
	return rc;
}

int audit_export_round(struct store *st, const char *dir, int64_t before, int64_t now,
		       const char *actor, struct audit_export_round *round, gw_error *err)
{
	const unsigned batch = round->batch ? round->batch : AUDIT_EXPORT_BATCH;
	struct audit_export_result r = { 0 };
	int rc;

	round->files = round->records = 0;
	round->stale = 0;
	round->stopped = false;
	memset(&round->last, 0, sizeof(round->last));
	if (!dir || !dir[0])
		return gw_fail(err, GW_E_INVAL, "audit archive: no directory");
	/* Each export appends its own record at now: one before now would be
	 * exported by the next batch, and that one's by the next. */
	if (before > now)
		return gw_fail(err, GW_E_INVAL, "audit archive: a time after now");
	if ((rc = remove_stale(st, dir, &round->stale, err)))
		return rc;
	for (;;) {
		if (round->files && round->stop && round->stop(round->stop_arg)) {
			round->stopped = true;
			break;
		}
		rc = export_one(st, NULL, dir, before, batch, now, actor, &r, err);
		if (rc || r.count == 0)
			break;
		round->files++;
		round->records += r.count;
		round->last = r;
		/* A leftover adopted may be shorter than a batch: go on after it. */
		if (r.count < batch && !r.adopted)
			break;
	}
	if (rc && r.written)
		gw_error_prefix(err, "%s/" AUDIT_EXPORT_NAME " was written, its records are "
				     "still in the store: ", dir, r.first_seq, r.last_seq);
	return rc;
}

int audit_export_dir(struct store *st, const char *dir, int64_t before, unsigned batch,
		     int64_t now, const char *actor, uint64_t *files, uint64_t *records,
		     struct audit_export_result *last, gw_error *err)
{
	struct audit_export_round round = { .batch = batch };
	int rc = audit_export_round(st, dir, before, now, actor, &round, err);

	*files = round.files;
	*records = round.records;
	if (last && round.files)
		*last = round.last;
	return rc;
}
