// SPDX-License-Identifier: Apache-2.0
// gwverifier audit export --before DATE FILE: archive the oldest audit records
// with their chain anchor and remove them from the store in one transaction; and
// audit verify --archive FILE: check such an archive.
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "audit_archive.h"
#include "cli.h"
#include "cmd_audit.h"

#define EXPORT_STOP 1 /* the callback's "first record at or after DATE" */

struct export_ctx {
	FILE *f;
	int64_t before;
	uint64_t expect, count, last;
	uint8_t prev[STORE_HASH_LEN];
	gw_error *err;
};

/* Each record before DATE, checked against the chain before it is written: a
 * broken chain is not archived (and not removed). */
static int export_cb(const struct store_audit_record *r, void *arg)
{
	struct export_ctx *x = arg;
	uint8_t want[STORE_HASH_LEN];
	char *line;
	int rc;

	if (r->a.ts >= x->before)
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

/* The archive into tmp (fsynced), the anchor moved, the records removed and the
 * export audited, all inside the caller's store_begin(). */
static int export_locked(struct store *st, const char *path, const char *tmp, int fd,
			 int64_t before, const char *actor, struct export_ctx *x, gw_error *err)
{
	struct store_audit_anchor anchor;
	struct store_audit a;
	char hex[2 * STORE_HASH_LEN + 1];
	json_object *d;
	int64_t now = cli_now();
	int rc;

	x->f = fdopen(fd, "w");
	if (!x->f) {
		close(fd);
		return gw_fail(err, GW_E_IO, "%s: %s", tmp, strerror(errno));
	}
	if ((rc = store_audit_anchor_get(st, &anchor, err)))
		return rc;
	x->before = before;
	x->expect = anchor.seq + 1;
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
	if ((rc = store_audit_archive(st, x->last, now, err)))
		return rc;
	gw_hex_encode(x->prev, STORE_HASH_LEN, hex);
	/* json-c writes the path: quotes, backslashes and newlines in it escaped. */
	d = json_object_new_object();
	if (!d)
		return GW_E_NOMEM;
	json_object_object_add(d, "first_seq", json_object_new_uint64(anchor.seq + 1));
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

static void export_report(const char *path, const struct export_ctx *x, bool json)
{
	char hex[2 * STORE_HASH_LEN + 1];
	json_object *o;

	gw_hex_encode(x->prev, STORE_HASH_LEN, hex);
	if (!json) {
		if (x->count)
			printf("%" PRIu64 " audit records (seq %" PRIu64 "-%" PRIu64 ") archived to "
			       "%s and removed; anchor %s\n",
			       x->count, x->last - x->count + 1, x->last, path, hex);
		else
			printf("no audit records before that time: nothing exported\n");
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "file", x->count ? json_object_new_string(path) : NULL);
	json_object_object_add(o, "count", json_object_new_uint64(x->count));
	json_object_object_add(o, "first_seq", json_object_new_uint64(x->count ? x->last - x->count + 1 : 0));
	json_object_object_add(o, "last_seq", json_object_new_uint64(x->last));
	json_object_object_add(o, "anchor", x->count ? json_object_new_string(hex) : NULL);
	cli_json_print(o);
	json_object_put(o);
}

int cmd_audit_export(const struct verifier_ctx *ctx, const char *config, const char *before_s,
		     const char *path, bool json)
{
	struct export_ctx x = { .f = NULL };
	struct store *st = NULL;
	struct stat sb;
	gw_error err = { { 0 } };
	char tmp[PATH_MAX] = "", actor[96];
	int64_t before;
	int fd = -1, rc, status;
	bool began = false, written = false;

	if (cli_time_parse(before_s, &before)) {
		verifier_errorf(ctx, "--before: expected a UTC time like 2026-11-24T10:00:00Z, "
				     "got '%s'", before_s);
		return GW_EXIT_USAGE;
	}
	if (lstat(path, &sb) == 0) {
		verifier_errorf(ctx, "audit export: %s exists; an archive is never overwritten", path);
		return GW_EXIT_STATE;
	}
	if (cli_actor(actor, sizeof(actor))) {
		verifier_errorf(ctx, "audit export: cannot name the operator");
		return GW_EXIT_ERROR;
	}
	status = cli_open_store(ctx, config, &st);
	if (status != GW_EXIT_OK)
		return status;
	rc = gw_open_tmp(path, 0640, tmp, sizeof(tmp), &fd, &err);
	if (rc)
		tmp[0] = '\0'; /* nothing of ours to remove */
	if (!rc && !(rc = store_begin(st, &err)))
		began = true;
	if (!rc) {
		rc = export_locked(st, path, tmp, fd, before, actor, &x, &err);
		fd = -1; /* x.f owns it */
	}
	if (x.f && fclose(x.f) && !rc)
		rc = gw_fail(&err, GW_E_IO, "%s: %s", tmp, strerror(errno));
	/* The archive is in place before the removal commits: a crash in between
	 * leaves records both archived and kept, never neither. */
	if (!rc && x.count && !(rc = gw_rename_durable(tmp, path, &err)))
		written = true;
	if (!rc && began)
		rc = store_commit(st, &err);
	else if (began)
		store_rollback(st);
	if (fd >= 0)
		close(fd);
	if (!written && tmp[0])
		(void)unlink(tmp);
	if (rc) {
		verifier_errorf(ctx, "audit export: %s%s", gw_error_msg(&err, rc),
				written ? " (the archive was written; its records are still in "
					  "the store)" : "");
		status = rc == GW_E_STATE ? GW_EXIT_STATE : cli_exit_for(rc);
	} else {
		export_report(path, &x, json);
	}
	store_close(st);
	return status;
}

/* One line of f into *buf (without its newline), at most AUDIT_ARCHIVE_LINE_MAX
 * bytes. 1: a line, 0: end of file, negative: GW_E_TOOBIG, GW_E_NOMEM, GW_E_IO. */
static int read_line(FILE *f, char **buf, size_t *cap, size_t *len)
{
	size_t n = 0;
	int c;

	while ((c = getc(f)) != EOF && c != '\n') {
		if (n + 1 >= *cap) {
			size_t ncap = *cap ? *cap * 2 : 4096;
			char *nb;

			if (n + 1 > AUDIT_ARCHIVE_LINE_MAX)
				return GW_E_TOOBIG;
			nb = realloc(*buf, ncap);
			if (!nb)
				return GW_E_NOMEM;
			*buf = nb;
			*cap = ncap;
		}
		(*buf)[n++] = (char)c;
	}
	if (ferror(f))
		return GW_E_IO;
	if (c == EOF && n == 0)
		return 0;
	(*buf)[n] = '\0';
	*len = n;
	return 1;
}

static int check_file(const char *path, struct audit_archive_summary *sum, gw_error *err)
{
	struct audit_archive_reader *r = NULL;
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t cap = 0, len = 0;
	uint64_t line = 0;
	int rc;

	if (!f)
		return gw_fail(err, GW_E_IO, "%s: %s", path, strerror(errno));
	rc = audit_archive_reader_new(&r);
	while (!rc && (rc = read_line(f, &buf, &cap, &len)) == 1) {
		line++;
		rc = audit_archive_feed(r, buf, len, err);
	}
	if (rc < 0 || rc > 1)
		rc = rc == GW_E_TOOBIG ? gw_fail(err, rc, "line %" PRIu64 ": longer than %zu bytes",
						 line + 1, AUDIT_ARCHIVE_LINE_MAX)
		     : rc == GW_E_IO ? gw_fail(err, rc, "%s: %s", path, strerror(errno))
				     : rc;
	if (!rc)
		rc = audit_archive_finish(r, sum, err);
	audit_archive_reader_free(r);
	free(buf);
	fclose(f);
	return rc;
}

/* Does the store's anchor agree with the archive's? Exit code. */
static int against_store(const struct verifier_ctx *ctx, const char *config,
			 const struct audit_archive_summary *sum)
{
	struct store_audit_anchor anchor;
	struct store *st = NULL;
	gw_error err = { { 0 } };
	int rc, status = cli_open_store(ctx, config, &st);

	if (status != GW_EXIT_OK)
		return status;
	rc = store_audit_anchor_get(st, &anchor, &err);
	if (rc) {
		verifier_errorf(ctx, "audit verify: %s", gw_error_msg(&err, rc));
		status = cli_exit_for(rc);
	} else if (anchor.seq == sum->last_seq &&
		   !gw_ct_equal(anchor.hash, sum->anchor_hash, STORE_HASH_LEN)) {
		verifier_errorf(ctx, "the store's anchor at seq %" PRIu64 " differs from the "
				     "archive's: one of them was altered", anchor.seq);
		status = GW_EXIT_ERROR;
	} else if (anchor.seq == sum->last_seq) {
		printf("the store's records continue from this archive (anchor seq %" PRIu64 ")\n",
		       anchor.seq);
	} else {
		printf("the store's anchor is at seq %" PRIu64 ", not this archive's end: "
		       "the archive is %s\n",
		       anchor.seq, anchor.seq > sum->last_seq ? "an earlier one"
							    : "not from this store's last export");
	}
	store_close(st);
	return status;
}

int cmd_audit_verify_archive(const struct verifier_ctx *ctx, const char *config,
			     const char *path)
{
	struct audit_archive_summary sum;
	char prev[2 * STORE_HASH_LEN + 1], anchor[2 * STORE_HASH_LEN + 1];
	gw_error err = { { 0 } };
	int rc = check_file(path, &sum, &err);

	if (rc) {
		verifier_errorf(ctx, "archive %s broken: %s", path, gw_error_msg(&err, rc));
		return GW_EXIT_ERROR;
	}
	gw_hex_encode(sum.prev_hash, STORE_HASH_LEN, prev);
	gw_hex_encode(sum.anchor_hash, STORE_HASH_LEN, anchor);
	printf("archive intact: %" PRIu64 " records, seq %" PRIu64 "-%" PRIu64
	       ", chained from %s, anchor %s\n",
	       sum.count, sum.first_seq, sum.last_seq, prev, anchor);
	return config ? against_store(ctx, config, &sum) : GW_EXIT_OK;
}
