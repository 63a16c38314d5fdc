// SPDX-License-Identifier: Apache-2.0
// Unit tests for audit archives: the archive reader on a committed good file and
// on every committed bad one (each refused for its own reason), an archive written
// from a store and read back, the store's anchor (records removed, the rest
// verified from it, refusals, deletes above it and a backward anchor refused by
// the schema, a tampered kept chain and anchor named), the unattended export into
// a directory (batches, chained files, a re-run after a crash, a foreign file, a
// crash's shorter leftover adopted, an altered or foreign one refused),
// and the 11 -> 12 migration.
#include <dirent.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "audit_archive.h"
#include "audit_export.h"
#include "store.h"
#include "store_fixture.h"
#include "util.h"

#define FIXTURES "verifier/tests/fixtures/audit_archive"

/* Feed a whole text line by line (a trailing newline ends the last line). */
static int check_text(const char *text, struct audit_archive_summary *sum, gw_error *err)
{
	struct audit_archive_reader *r = NULL;
	const char *p = text, *nl;
	int rc = audit_archive_reader_new(&r);

	while (!rc && *p) {
		nl = strchr(p, '\n');
		rc = audit_archive_feed(r, p, nl ? (size_t)(nl - p) : strlen(p), err);
		p = nl ? nl + 1 : p + strlen(p);
	}
	if (!rc)
		rc = audit_archive_finish(r, sum, err);
	audit_archive_reader_free(r);
	return rc;
}

static char *slurp(const char *path)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	char *s;

	assert_int_equal(gw_read_file(path, 1 << 20, &buf, &len, NULL), 0);
	s = realloc(buf, len + 1);
	assert_non_null(s);
	s[len] = '\0';
	return s;
}

static void test_good(void **state)
{
	struct audit_archive_summary sum;
	gw_error err = { { 0 } };
	char *text = slurp(FIXTURES "/good.jsonl");

	(void)state;
	assert_int_equal(check_text(text, &sum, &err), 0);
	assert_int_equal(sum.first_seq, 1);
	assert_int_equal(sum.last_seq, 3);
	assert_int_equal(sum.count, 3);
	free(text);
}

static const struct bad_case {
	const char *file;
	const char *detail;
} bad_cases[] = {
	{ "empty.jsonl", "empty: no header" },
	{ "header-only.jsonl", "no trailer after line 1 (truncated)" },
	{ "no-trailer.jsonl", "no trailer after line 4 (truncated)" },
	{ "edited-actor.jsonl", "line 3: seq 2: hash mismatch, the record was altered" },
	{ "edited-detail.jsonl", "line 4: seq 3: hash mismatch" },
	{ "detail-null.jsonl", "line 3: seq 2: hash mismatch" },
	{ "removed-record.jsonl", "line 3: seq 3 where 2 belongs" },
	{ "reordered.jsonl", "line 2: seq 2 where 1 belongs" },
	{ "duplicated.jsonl", "line 3: seq 1 where 2 belongs" },
	{ "prev-hash-edited.jsonl", "line 3: seq 2: does not link to its predecessor" },
	{ "header-prev-edited.jsonl", "line 2: seq 1: does not link to its predecessor" },
	{ "header-first-seq.jsonl", "line 2: seq 1 where 2 belongs" },
	{ "trailer-count.jsonl", "line 5: count 4 but 3 records" },
	{ "trailer-anchor-seq.jsonl", "line 5: the anchor is not the last record's" },
	{ "trailer-anchor-hash.jsonl", "line 5: the anchor is not the last record's" },
	{ "after-trailer.jsonl", "line 6: data after the trailer" },
	{ "wrong-format.jsonl", "line 1: not an audit archive (format 'something-else')" },
	{ "version-2.jsonl", "line 1: archive version 2 is not supported" },
	{ "unknown-key.jsonl", "line 2: unknown key 'extra'" },
	{ "trailing-data.jsonl", "line 2: the line: data after the JSON object" },
	{ "hash-uppercase.jsonl", "'hash' must be 64 lower-case hex digits" },
	{ "detail-object.jsonl", "line 3: seq 2: 'detail' must be a string" },
	{ "seq-zero.jsonl", "line 2: 'seq' must be 1 to" },
	{ "seq-string.jsonl", "line 2: 'seq' must be an integer" },
	{ "missing-actor.jsonl", "line 2: seq 1: 'actor' is missing" },
	{ "empty-line.jsonl", "line 2: the line" },
	{ "not-json.jsonl", "line 2: the line is not valid JSON" },
	{ "array-line.jsonl", "line 2: the line must be a JSON object" },
	{ "nested-deep.jsonl", "line 2: the line is nested deeper than 4 levels" },
};

static void test_bad(void **state)
{
	(void)state;
	for (size_t i = 0; i < GW_ARRAY_SIZE(bad_cases); i++) {
		const struct bad_case *c = &bad_cases[i];
		struct audit_archive_summary sum;
		gw_error err = { { 0 } };
		char path[256], *text;

		assert_int_equal(gw_snprintf(path, sizeof(path), FIXTURES "/bad/%s", c->file), 0);
		text = slurp(path);
		if (check_text(text, &sum, &err) == 0)
			fail_msg("%s: accepted", c->file);
		if (!strstr(err.msg, c->detail))
			fail_msg("%s: '%s' does not say '%s'", c->file, err.msg, c->detail);
		free(text);
	}
}

/* Every file in bad/ has a case above, so a new fixture cannot go untested. */
static void test_bad_all_listed(void **state)
{
	DIR *d = opendir(FIXTURES "/bad");
	struct dirent *e;

	(void)state;
	assert_non_null(d);
	while ((e = readdir(d))) {
		bool found = false;

		if (e->d_name[0] == '.')
			continue;
		for (size_t i = 0; i < GW_ARRAY_SIZE(bad_cases); i++)
			found = found || !strcmp(bad_cases[i].file, e->d_name);
		if (!found)
			fail_msg("bad/%s has no case in bad_cases", e->d_name);
	}
	closedir(d);
}

static void append(struct store *st, int64_t ts, const char *detail)
{
	struct store_audit a = { .ts = ts, .actor = "operator:t", .action = "x", .outcome = "ok",
				 .detail = detail };

	assert_int_equal(store_audit_append(st, &a, NULL, NULL), 0);
}

struct text_ctx {
	char *text;
	size_t len;
	uint64_t upto, count;
	uint8_t last[STORE_HASH_LEN];
};

static void text_add(struct text_ctx *t, char *line)
{
	size_t n;

	assert_non_null(line);
	n = strlen(line);
	t->text = realloc(t->text, t->len + n + 2);
	assert_non_null(t->text);
	memcpy(t->text + t->len, line, n);
	t->text[t->len + n] = '\n';
	t->len += n + 1;
	t->text[t->len] = '\0';
	free(line);
}

static int text_cb(const struct store_audit_record *r, void *arg)
{
	struct text_ctx *t = arg;

	if (r->seq > t->upto)
		return 1;
	text_add(t, audit_archive_record(r));
	memcpy(t->last, r->hash, STORE_HASH_LEN);
	t->count++;
	return 0;
}

static uint64_t verify(struct store *st, uint64_t *count, gw_error *err)
{
	uint64_t bad = 99;

	assert_int_equal(store_audit_verify(st, count, &bad, err), 0);
	return bad;
}

static void test_store_archive(void **state)
{
	struct store_fixture *f = *state;
	static const uint8_t zero[STORE_HASH_LEN];
	struct store_audit_anchor an;
	struct audit_archive_summary sum;
	struct text_ctx t = { .upto = 3 };
	gw_error err = { { 0 } };
	uint64_t count = 0;
	sqlite3 *db = NULL;

	for (int i = 1; i <= 5; i++)
		append(f->st, 100 + i, i % 2 ? "{\"n\":1}" : NULL);
	assert_int_equal(store_audit_anchor_get(f->st, &an, &err), 0);
	assert_int_equal(an.seq, 0);
	assert_memory_equal(an.hash, zero, STORE_HASH_LEN);

	/* An archive of 1..3 as export writes it, read back. */
	text_add(&t, audit_archive_header(1, zero, 500));
	assert_int_equal(store_audit_list(f->st, 0, text_cb, &t, &err), 1);
	text_add(&t, audit_archive_trailer(3, t.last, t.count));
	assert_int_equal(check_text(t.text, &sum, &err), 0);
	assert_int_equal(sum.last_seq, 3);
	assert_memory_equal(sum.anchor_hash, t.last, STORE_HASH_LEN);

	assert_int_equal(store_audit_archive(f->st, 3, 600, &err), 0);
	assert_int_equal(store_audit_anchor_get(f->st, &an, &err), 0);
	assert_int_equal(an.seq, 3);
	assert_int_equal(an.archived_at, 600);
	assert_memory_equal(an.hash, sum.anchor_hash, STORE_HASH_LEN);
	assert_int_equal(verify(f->st, &count, &err), 0);
	assert_int_equal(count, 2);
	/* New records chain on; the kept ones still verify from the anchor. */
	append(f->st, 200, NULL);
	assert_int_equal(verify(f->st, &count, &err), 0);
	assert_int_equal(count, 3);
	/* Refusals: at or below the anchor, a record not in the store. */
	assert_int_equal(store_audit_archive(f->st, 3, 700, &err), GW_E_STATE);
	assert_int_equal(store_audit_archive(f->st, 2, 700, &err), GW_E_STATE);
	assert_int_equal(store_audit_archive(f->st, 99, 700, &err), GW_E_NOTFOUND);
	/* Everything archived: an empty log verifies from the anchor. */
	assert_int_equal(store_audit_archive(f->st, 6, 700, &err), 0);
	assert_int_equal(verify(f->st, &count, &err), 0);
	assert_int_equal(count, 0);
	append(f->st, 300, NULL);

	/* The schema: no delete above the anchor, no anchor going back or away. */
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(db, "DELETE FROM audit_log WHERE seq = 7", NULL, NULL,
					  NULL), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(db, "UPDATE audit_anchor SET seq = 2", NULL, NULL, NULL),
			     SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(db, "DELETE FROM audit_anchor", NULL, NULL, NULL),
			     SQLITE_OK);
	/* The anchor's hash rewritten (same seq): the first kept record is named. */
	assert_int_equal(sqlite3_exec(db, "UPDATE audit_anchor SET hash = zeroblob(32)", NULL,
				      NULL, NULL), SQLITE_OK);
	assert_int_equal(verify(f->st, &count, &err), 7);
	assert_non_null(strstr(err.msg, "does not link to its predecessor"));
	sqlite3_close(db);
	free(t.text);
}

static void test_tampered_kept(void **state)
{
	struct store_fixture *f = *state;
	gw_error err = { { 0 } };
	uint64_t count = 0;
	sqlite3 *db = NULL;

	for (int i = 1; i <= 6; i++)
		append(f->st, 100 + i, NULL);
	assert_int_equal(store_audit_archive(f->st, 2, 600, &err), 0);
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "DROP TRIGGER audit_log_no_update;"
					  "UPDATE audit_log SET actor = 'operator:m' WHERE seq = 4",
				      NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(verify(f->st, &count, &err), 4);
	assert_non_null(strstr(err.msg, "audit record 4 was altered"));
	/* The first kept record deleted by someone who drops the trigger. */
	assert_int_equal(sqlite3_exec(db, "DROP TRIGGER audit_log_no_delete;"
					  "DELETE FROM audit_log WHERE seq = 3", NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(verify(f->st, &count, &err), 3);
	assert_non_null(strstr(err.msg, "audit record 3 is missing"));
	sqlite3_close(db);
}

static void arch_path(const struct store_fixture *f, uint64_t a, uint64_t b, char *out,
		      size_t len)
{
	assert_int_equal(gw_snprintf(out, len, "%s/arch/" AUDIT_EXPORT_NAME, f->dir, a, b), 0);
}

static void remove_arch(const struct store_fixture *f)
{
	static const uint64_t r[][2] = { { 1, 8 }, { 9, 16 }, { 17, 19 } };
	char p[PATH_MAX];

	for (size_t i = 0; i < GW_ARRAY_SIZE(r); i++) {
		arch_path(f, r[i][0], r[i][1], p, sizeof(p));
		(void)unlink(p);
	}
	assert_int_equal(gw_snprintf(p, sizeof(p), "%s/arch", f->dir), 0);
	assert_int_equal(rmdir(p), 0);
}

/* 25 records in the store, an empty dir "arch" beside it and a copy of the store
 * as it is now at p ("copy.db"). */
static void dir_fixture(const struct store_fixture *f, char *dir, size_t dir_len, char *p,
			size_t p_len)
{
	for (int i = 1; i <= 25; i++)
		append(f->st, i, i % 3 ? NULL : "{\"n\":3}");
	assert_int_equal(gw_snprintf(dir, dir_len, "%s/arch", f->dir), 0);
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(gw_snprintf(p, p_len, "%s/copy.db", f->dir), 0);
	assert_int_equal(store_backup(f->st, p, NULL, NULL), 0);
}

/* The unattended form: batches, a file each named by its range, chained; the
 * records gone, the exports audited; a re-run after a crash between a file's move
 * and its commit (a copy of the store from before) takes the same file as its
 * own; a foreign file at a batch's name is refused with nothing removed. */
static void test_export_dir(void **state)
{
	struct store_fixture *f = *state;
	static const uint8_t zero[STORE_HASH_LEN];
	struct audit_export_result last;
	struct audit_archive_summary sum[3];
	struct store_audit_anchor an;
	struct store *copy = NULL;
	char dir[128], p[PATH_MAX], url[160];
	uint64_t files = 0, records = 0, count = 0;
	gw_error err = { { 0 } };

	dir_fixture(f, dir, sizeof(dir), p, sizeof(p));
	/* A time after now is refused (its own record would be exported next). */
	assert_int_equal(audit_export_dir(f->st, dir, 2000, 8, 1000, "verifier", &files, &records,
					  NULL, &err), GW_E_INVAL);
	assert_int_equal(audit_export_dir(f->st, dir, 20, 8, 1000, "verifier", &files, &records,
					  &last, &err), 0);
	assert_int_equal(files, 3);
	assert_int_equal(records, 19);
	assert_int_equal(last.first_seq, 17);
	assert_int_equal(last.last_seq, 19);
	arch_path(f, 1, 8, p, sizeof(p));
	assert_int_equal(audit_archive_check_file(p, &sum[0], &err), 0);
	arch_path(f, 9, 16, p, sizeof(p));
	assert_int_equal(audit_archive_check_file(p, &sum[1], &err), 0);
	arch_path(f, 17, 19, p, sizeof(p));
	assert_int_equal(audit_archive_check_file(p, &sum[2], &err), 0);
	assert_memory_equal(sum[0].prev_hash, zero, STORE_HASH_LEN);
	assert_memory_equal(sum[1].prev_hash, sum[0].anchor_hash, STORE_HASH_LEN);
	assert_memory_equal(sum[2].prev_hash, sum[1].anchor_hash, STORE_HASH_LEN);
	assert_int_equal(sum[1].first_seq, 9);
	assert_int_equal(store_audit_anchor_get(f->st, &an, &err), 0);
	assert_int_equal(an.seq, 19);
	assert_memory_equal(an.hash, sum[2].anchor_hash, STORE_HASH_LEN);
	assert_memory_equal(an.hash, last.anchor, STORE_HASH_LEN);
	/* 20..25 and the three audit.export records kept, intact, proven. */
	assert_int_equal(verify(f->st, &count, &err), 0);
	assert_int_equal(count, 9);
	/* Nothing more before 20. */
	assert_int_equal(audit_export_dir(f->st, dir, 20, 8, 1000, "verifier", &files, &records,
					  NULL, &err), 0);
	assert_int_equal(files, 0);

	/* The copy from before: its records are the ones archived; it takes the
	 * files in place as its own archives. */
	assert_int_equal(gw_snprintf(url, sizeof(url), "sqlite:%s/copy.db", f->dir), 0);
	assert_int_equal(store_open(url, &copy, &err), 0);
	assert_int_equal(audit_export_dir(copy, dir, 20, 8, 1000, "verifier", &files, &records,
					  NULL, &err), 0);
	assert_int_equal(files, 3);
	assert_int_equal(store_audit_anchor_get(copy, &an, &err), 0);
	assert_int_equal(an.seq, 19);
	/* Different records at the same seq: the file is not theirs, refused. */
	store_close(copy);
	copy = NULL;
	assert_int_equal(gw_snprintf(p, sizeof(p), "%s/copy.db", f->dir), 0);
	(void)unlink(p);
	assert_int_equal(store_open(url, &copy, &err), 0);
	for (int i = 1; i <= 10; i++)
		append(copy, i, "{\"other\":true}");
	assert_int_equal(audit_export_dir(copy, dir, 20, 8, 1000, "verifier", &files, &records,
					  NULL, &err), GW_E_EXISTS);
	assert_int_equal(files, 0);
	assert_int_equal(store_audit_anchor_get(copy, &an, &err), 0);
	assert_int_equal(an.seq, 0);
	assert_int_equal(verify(copy, &count, &err), 0);
	assert_int_equal(count, 10);
	store_close(copy);
	(void)unlink(p);
	remove_arch(f);
}

static unsigned count_files(const char *dir)
{
	struct dirent *e;
	DIR *d = opendir(dir);
	unsigned n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static void write_text(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
}

/* A crash between a file's move and its commit, with more records aged by the
 * next round: the store as it was before the crash (a copy taken before the
 * export) beside the file in place. The next round adopts the shorter leftover
 * as its first batch and goes on after it: no file repeats another, the chain
 * from the genesis is whole. A leftover altered, or one of another store's
 * records, is refused with nothing removed and nothing written. */
static void test_adopt_leftover(void **state)
{
	struct store_fixture *f = *state;
	static const uint8_t zero[STORE_HASH_LEN];
	struct audit_archive_summary sum[3];
	struct audit_export_result last;
	struct store_audit_anchor an;
	struct store *copy = NULL, *other = NULL;
	char dir[128], p[PATH_MAX], url[160], *text, *at;
	uint64_t files = 0, records = 0, count = 0;
	gw_error err = { { 0 } };

	dir_fixture(f, dir, sizeof(dir), p, sizeof(p));
	assert_int_equal(gw_snprintf(url, sizeof(url), "sqlite:%s", p), 0);
	/* The round that crashed: seq 1-5 archived; the copy has not committed it. */
	assert_int_equal(audit_export_dir(f->st, dir, 6, 8, 1000, "verifier", &files, &records,
					  NULL, &err), 0);
	assert_int_equal(files, 1);
	assert_int_equal(records, 5);
	arch_path(f, 1, 5, p, sizeof(p));
	text = slurp(p);
	assert_int_equal(store_open(url, &copy, &err), 0);

	/* Altered (one record's actor): not intact, refused, nothing removed. */
	at = strstr(text, "operator:t");
	assert_non_null(at);
	at[9] = 'u';
	write_text(p, text);
	at[9] = 't';
	assert_int_not_equal(audit_export_dir(copy, dir, 20, 8, 1000, "verifier", &files,
					      &records, NULL, &err), 0);
	assert_non_null(strstr(err.msg, "is not an intact archive"));
	assert_int_equal(files, 0);
	assert_int_equal(store_audit_anchor_get(copy, &an, &err), 0);
	assert_int_equal(an.seq, 0);
	assert_int_equal(count_files(dir), 1);

	/* Another store's records from seq 1: intact, but not its archive. */
	assert_int_equal(gw_snprintf(url, sizeof(url), "sqlite:%s/other.db", f->dir), 0);
	assert_int_equal(store_open(url, &other, &err), 0);
	for (int i = 1; i <= 10; i++)
		append(other, i, "{\"other\":true}");
	write_text(p, text);
	assert_int_equal(audit_export_dir(other, dir, 20, 8, 1000, "verifier", &files, &records,
					  NULL, &err), GW_E_EXISTS);
	assert_non_null(strstr(err.msg, "holds other records than the store's"));
	assert_int_equal(store_audit_anchor_get(other, &an, &err), 0);
	assert_int_equal(an.seq, 0);
	assert_int_equal(count_files(dir), 1);
	store_close(other);

	/* The leftover as written: adopted as the first batch (1-5), then 6-13 and
	 * 14-19; no 1-8 repeating it. */
	assert_int_equal(audit_export_dir(copy, dir, 20, 8, 1000, "verifier", &files, &records,
					  &last, &err), 0);
	assert_int_equal(files, 3);
	assert_int_equal(records, 19);
	assert_int_equal(last.first_seq, 14);
	assert_int_equal(last.last_seq, 19);
	assert_int_equal(count_files(dir), 3);
	assert_int_equal(audit_archive_check_file(p, &sum[0], &err), 0);
	arch_path(f, 6, 13, p, sizeof(p));
	assert_int_equal(audit_archive_check_file(p, &sum[1], &err), 0);
	arch_path(f, 14, 19, p, sizeof(p));
	assert_int_equal(audit_archive_check_file(p, &sum[2], &err), 0);
	assert_memory_equal(sum[0].prev_hash, zero, STORE_HASH_LEN);
	assert_memory_equal(sum[1].prev_hash, sum[0].anchor_hash, STORE_HASH_LEN);
	assert_memory_equal(sum[2].prev_hash, sum[1].anchor_hash, STORE_HASH_LEN);
	assert_int_equal(store_audit_anchor_get(copy, &an, &err), 0);
	assert_int_equal(an.seq, 19);
	assert_memory_equal(an.hash, sum[2].anchor_hash, STORE_HASH_LEN);
	/* 20-25 and the three audit.export records kept, intact. */
	assert_int_equal(verify(copy, &count, &err), 0);
	assert_int_equal(count, 9);
	store_close(copy);
	free(text);
	assert_int_equal(store_fixture_remove_dir(dir), 0);
	assert_int_equal(gw_snprintf(p, sizeof(p), "%s/copy.db", f->dir), 0);
	(void)unlink(p);
	assert_int_equal(gw_snprintf(p, sizeof(p), "%s/other.db", f->dir), 0);
	(void)unlink(p);
}

static void test_migrate_v11(void **state)
{
	struct store_fixture *f = *state;
	struct store_audit_anchor an;
	uint64_t count = 0;
	sqlite3 *db = NULL;

	append(f->st, 1, NULL);
	append(f->st, 2, NULL);
	store_close(f->st);
	f->st = NULL;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
				      "DROP TRIGGER audit_anchor_no_delete;"
				      "DROP TRIGGER audit_anchor_forward;"
				      "DROP TRIGGER audit_log_no_delete; DROP TABLE audit_anchor;"
				      "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log"
				      "  BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;"
				      "PRAGMA user_version = 11;",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(store_open(f->path, &f->st, NULL), 0);
	assert_int_equal(store_audit_anchor_get(f->st, &an, NULL), 0);
	assert_int_equal(an.seq, 0);
	assert_int_equal(verify(f->st, &count, NULL), 0);
	assert_int_equal(count, 2);
	assert_int_equal(store_audit_archive(f->st, 1, 5, NULL), 0);
	assert_int_equal(verify(f->st, &count, NULL), 0);
	assert_int_equal(count, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_bad_all_listed),
		cmocka_unit_test_setup_teardown(test_store_archive, store_fixture_setup,
						store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_tampered_kept, store_fixture_setup,
						store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_export_dir, store_fixture_setup,
						store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_adopt_leftover, store_fixture_setup,
						store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_migrate_v11, store_fixture_setup,
						store_fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
