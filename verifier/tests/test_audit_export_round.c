// SPDX-License-Identifier: Apache-2.0
// Unit tests for the unattended archiving's rounds (audit_export_round): a crash's
// leftover made durable before its records go (fsync failures injected by a
// link-time wrap of fsync leave everything in the store) and read no further than
// its name's range of at most one batch, a FIFO or symbolic link named like an
// archive neither adopted nor read (and no hang), a round ended by
// its stop callback and the next one going on, stale temporary files removed, and
// serve's check for a pending signal.
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "audit_archive.h"
#include "audit_export.h"
#include "serve_run.h"
#include "store.h"
#include "store_fixture.h"
#include "util.h"

/* ---- fsync wrapped (-Wl,--wrap=fsync): calls on the file at fail_path fail
 * with EIO; fsynced_path counts the calls on the file at watch_path. */
int __real_fsync(int fd);
int __wrap_fsync(int fd);

static char fail_path[PATH_MAX], watch_path[PATH_MAX];
static unsigned watched;

static bool fd_is(int fd, const char *path)
{
	char link[64], target[PATH_MAX];
	ssize_t n;

	if (!path[0] || gw_snprintf(link, sizeof(link), "/proc/self/fd/%d", fd))
		return false;
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return false;
	target[n] = '\0';
	return !strcmp(target, path);
}

int __wrap_fsync(int fd)
{
	if (fd_is(fd, watch_path))
		watched++;
	if (fd_is(fd, fail_path)) {
		errno = EIO;
		return -1;
	}
	return __real_fsync(fd);
}

/* ---- helpers ---- */

static void append(struct store *st, int64_t ts)
{
	struct store_audit a = { .ts = ts, .actor = "operator:t", .action = "x", .outcome = "ok" };

	assert_int_equal(store_audit_append(st, &a, NULL, NULL), 0);
}

static void arch_path(const char *dir, uint64_t a, uint64_t b, char *out, size_t len)
{
	assert_int_equal(gw_snprintf(out, len, "%s/" AUDIT_EXPORT_NAME, dir, a, b), 0);
}

static uint64_t anchor_seq(struct store *st)
{
	struct store_audit_anchor an;

	assert_int_equal(store_audit_anchor_get(st, &an, NULL), 0);
	return an.seq;
}

/* The kept chain intact; its record count. */
static uint64_t kept(struct store *st)
{
	uint64_t count = 0, bad = 99;

	assert_int_equal(store_audit_verify(st, &count, &bad, NULL), 0);
	assert_int_equal(bad, 0);
	return count;
}

/* n records at ts 1..n in the store, an empty dir "arch" beside it (its real
 * path in dir: the wrap compares /proc's links). */
static void setup_dir(const struct store_fixture *f, int n, char *dir, size_t len)
{
	char p[PATH_MAX];

	for (int i = 1; i <= n; i++)
		append(f->st, i);
	assert_int_equal(gw_snprintf(p, sizeof(p), "%s/arch", f->dir), 0);
	assert_int_equal(mkdir(p, 0700), 0);
	assert_non_null(realpath(p, dir));
	assert_true(strlen(dir) < len);
}

/* A crash's leftover (1-5) beside a copy of the store from before its commit:
 * the round's export ran on f->st, the copy (*copy, at copy_path) has not. */
static void leftover(struct store_fixture *f, const char *dir, struct store **copy,
		     char *copy_path, size_t len)
{
	uint64_t files = 0, records = 0;
	char url[PATH_MAX + 8];

	assert_int_equal(gw_snprintf(copy_path, len, "%s/copy.db", f->dir), 0);
	assert_int_equal(store_backup(f->st, copy_path, NULL, NULL), 0);
	assert_int_equal(audit_export_dir(f->st, dir, 6, 8, 1000, "verifier", &files, &records,
					  NULL, NULL), 0);
	assert_int_equal(records, 5);
	assert_int_equal(gw_snprintf(url, sizeof(url), "sqlite:%s", copy_path), 0);
	assert_int_equal(store_open(url, copy, NULL), 0);
}

/* A round of copy (leftover's 25 records) refused with want, msg in *err: nothing
 * archived, nothing removed. */
static void round_refused(struct store *copy, const char *dir, int want, const char *msg,
			  gw_error *err)
{
	uint64_t files = 9, records = 9;

	assert_int_equal(audit_export_dir(copy, dir, 20, 8, 1000, "verifier", &files, &records,
					  NULL, err), want);
	assert_non_null(strstr(err->msg, msg));
	assert_int_equal(files, 0);
	assert_int_equal(anchor_seq(copy), 0);
	assert_int_equal(kept(copy), 25);
}

/* The round after the leftover adopted it and went on (6-13, 14-19): the copy
 * closed, it and dir removed. */
static void adopted_done(struct store *copy, const char *dir, const char *copy_path,
			 uint64_t files, uint64_t records)
{
	assert_int_equal(files, 3);
	assert_int_equal(records, 19);
	assert_int_equal(anchor_seq(copy), 19);
	store_close(copy);
	(void)unlink(copy_path);
	assert_int_equal(store_fixture_remove_dir(dir), 0);
}

/* ---- tests ---- */

/* The leftover adopted only once the file and its directory are fsynced: either
 * fsync failing fails the round with nothing removed and the file kept; then the
 * round adopts it (both fsynced) and goes on. */
static void test_adopt_durable(void **state)
{
	struct store_fixture *f = *state;
	struct store *copy = NULL;
	char dir[PATH_MAX], p[PATH_MAX], cp[PATH_MAX];
	uint64_t files = 9, records = 9;
	gw_error err = { { 0 } };

	setup_dir(f, 25, dir, sizeof(dir));
	leftover(f, dir, &copy, cp, sizeof(cp));
	arch_path(dir, 1, 5, p, sizeof(p));

	/* The file's fsync fails. */
	memcpy(fail_path, p, strlen(p) + 1);
	round_refused(copy, dir, GW_E_IO, "cannot be made durable (nothing removed)", &err);
	assert_non_null(strstr(err.msg, "Input/output error"));
	assert_int_equal(access(p, F_OK), 0);

	/* The directory's fsync fails. */
	memcpy(fail_path, dir, strlen(dir) + 1);
	round_refused(copy, dir, GW_E_IO, "cannot be made durable (nothing removed)", &err);

	/* Both work: adopted (its fsync seen), 6-13 and 14-19 after it. */
	fail_path[0] = '\0';
	memcpy(watch_path, p, strlen(p) + 1);
	watched = 0;
	assert_int_equal(audit_export_dir(copy, dir, 20, 8, 1000, "verifier", &files, &records,
					  NULL, &err), 0);
	assert_int_equal(watched, 1);
	watch_path[0] = '\0';
	adopted_done(copy, dir, cp, files, records);
}

/* A leftover is read no further than its name's range, itself at most one batch
 * (review 11b finding 4: a big file named like one was read whole under the
 * write lock): a range beyond the batch is refused before the file is opened, a
 * file holding more records than its name says once the reader passes them;
 * nothing removed either time. Named as written, it is adopted. */
static void test_adopt_bounded(void **state)
{
	struct store_fixture *f = *state;
	struct store *copy = NULL;
	char dir[PATH_MAX], p[PATH_MAX], q[PATH_MAX], cp[PATH_MAX];
	uint64_t files = 9, records = 9;
	gw_error err = { { 0 } };

	setup_dir(f, 25, dir, sizeof(dir));
	leftover(f, dir, &copy, cp, sizeof(cp));
	arch_path(dir, 1, 5, p, sizeof(p));

	/* Named 1-9, more than the round's batch of 8: refused by its name. */
	arch_path(dir, 1, 9, q, sizeof(q));
	assert_int_equal(rename(p, q), 0);
	round_refused(copy, dir, GW_E_EXISTS, "its name is not the range of one batch (at most "
					      "8 records from seq 1)", &err);

	/* Named 1-3, holding 1-5: the reader stops after three records. */
	arch_path(dir, 1, 3, p, sizeof(p));
	assert_int_equal(rename(q, p), 0);
	round_refused(copy, dir, GW_E_PARSE, "holds more than 3 records", &err);
	assert_non_null(strstr(err.msg, "is not an intact archive"));

	/* Named as written: adopted, then 6-13 and 14-19. */
	arch_path(dir, 1, 5, q, sizeof(q));
	assert_int_equal(rename(p, q), 0);
	assert_int_equal(audit_export_dir(copy, dir, 20, 8, 1000, "verifier", &files, &records,
					  NULL, &err), 0);
	adopted_done(copy, dir, cp, files, records);
}

/* The usual leftover after a crash is a whole batch (1-8 with batches of 8): its
 * name's range is exactly one batch, so it is adopted, then 9-16 and 17-19
 * (review 11c finding 3: refusing every full-batch leftover passed the tests). */
static void test_adopt_full_batch(void **state)
{
	struct store_fixture *f = *state;
	struct store *copy = NULL;
	char dir[PATH_MAX], cp[PATH_MAX], url[PATH_MAX + 8];
	uint64_t files = 0, records = 0;
	gw_error err = { { 0 } };

	setup_dir(f, 25, dir, sizeof(dir));
	assert_int_equal(gw_snprintf(cp, sizeof(cp), "%s/copy.db", f->dir), 0);
	assert_int_equal(store_backup(f->st, cp, NULL, NULL), 0);
	assert_int_equal(audit_export_dir(f->st, dir, 9, 8, 1000, "verifier", &files, &records,
					  NULL, NULL), 0);
	assert_int_equal(records, 8);
	assert_int_equal(gw_snprintf(url, sizeof(url), "sqlite:%s", cp), 0);
	assert_int_equal(store_open(url, &copy, NULL), 0);
	assert_int_equal(audit_export_dir(copy, dir, 20, 8, 1000, "verifier", &files, &records,
					  NULL, &err), 0);
	adopted_done(copy, dir, cp, files, records);
}

/* A FIFO or a symbolic link named like the leftover at the store's first seq is
 * no leftover: the round writes its own archives beside it without opening it
 * (a FIFO would block it for good), and audit_archive_open refuses both at once;
 * the CLI's audit_archive_check_file follows the link. */
static void test_not_regular(void **state)
{
	struct store_fixture *f = *state;
	struct audit_archive_summary sum;
	char dir[PATH_MAX], fifo[PATH_MAX], link[PATH_MAX], real[PATH_MAX], p[PATH_MAX];
	uint64_t files = 0, records = 0;
	gw_error err = { { 0 } };
	int fd = -1;

	/* A test that hangs fails instead (the round before the fix blocked). */
	alarm(20);
	setup_dir(f, 25, dir, sizeof(dir));
	arch_path(dir, 1, 5, fifo, sizeof(fifo));
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(audit_archive_open(fifo, &fd, &err), GW_E_IO);
	assert_non_null(strstr(err.msg, "is not a regular file"));
	/* The round: the FIFO skipped, 1-8, 9-16, 17-19 written. */
	assert_int_equal(audit_export_dir(f->st, dir, 20, 8, 1000, "verifier", &files, &records,
					  NULL, &err), 0);
	assert_int_equal(files, 3);
	assert_int_equal(records, 19);
	arch_path(dir, 1, 8, real, sizeof(real));
	assert_int_equal(audit_archive_check_file(real, &sum, &err), 0);
	assert_int_equal(unlink(fifo), 0);

	/* A symbolic link at the next first seq (20) to a real archive: not followed;
	 * the round archives 20-25 (the export records after them are of now). */
	arch_path(dir, 20, 24, link, sizeof(link));
	assert_int_equal(symlink(real, link), 0);
	assert_int_equal(audit_archive_open(link, &fd, &err), GW_E_IO);
	assert_non_null(strstr(err.msg, "is a symbolic link, not followed"));
	/* The CLI's check of a path the operator named follows it (review 11b
	 * finding 3: it called an intact archive through a link broken). */
	assert_int_equal(audit_archive_check_file(link, &sum, &err), 0);
	assert_int_equal(sum.first_seq, 1);
	assert_int_equal(sum.last_seq, 8);
	assert_int_equal(audit_export_dir(f->st, dir, 1000, 100, 1000, "verifier", &files,
					  &records, NULL, &err), 0);
	assert_int_equal(files, 1);
	assert_int_equal(records, 6);
	arch_path(dir, 20, 25, p, sizeof(p));
	assert_int_equal(audit_archive_check_file(p, &sum, &err), 0);
	assert_int_equal(sum.first_seq, 20);
	assert_int_equal(anchor_seq(f->st), sum.last_seq);
	alarm(0);
	assert_int_equal(store_fixture_remove_dir(dir), 0);
}

static bool stop_after(void *arg)
{
	unsigned *asked = arg;

	return ++*asked >= 2;
}

/* A round ended by its stop callback (asked before the second and third batch:
 * two batches) leaves the rest to the next round, which goes on from the anchor:
 * the files chain. */
static void test_round_stop(void **state)
{
	struct store_fixture *f = *state;
	struct audit_archive_summary sum[3];
	unsigned asked = 0;
	struct audit_export_round r = { .batch = 4, .stop = stop_after, .stop_arg = &asked };
	char dir[PATH_MAX], p[PATH_MAX];
	gw_error err = { { 0 } };

	setup_dir(f, 25, dir, sizeof(dir));
	assert_int_equal(audit_export_round(f->st, dir, 20, 1000, "verifier", &r, &err), 0);
	assert_true(r.stopped);
	assert_int_equal(asked, 2);
	assert_int_equal(r.files, 2);
	assert_int_equal(r.records, 8);
	assert_int_equal(r.last.last_seq, 8);
	assert_int_equal(anchor_seq(f->st), 8);
	/* The next round (unbounded) goes on: 9-12, 13-16, 17-19. */
	r = (struct audit_export_round){ .batch = 4 };
	assert_int_equal(audit_export_round(f->st, dir, 20, 1000, "verifier", &r, &err), 0);
	assert_false(r.stopped);
	assert_int_equal(r.files, 3);
	assert_int_equal(r.records, 11);
	assert_int_equal(anchor_seq(f->st), 19);
	arch_path(dir, 5, 8, p, sizeof(p));
	assert_int_equal(audit_archive_check_file(p, &sum[0], &err), 0);
	arch_path(dir, 9, 12, p, sizeof(p));
	assert_int_equal(audit_archive_check_file(p, &sum[1], &err), 0);
	arch_path(dir, 17, 19, p, sizeof(p));
	assert_int_equal(audit_archive_check_file(p, &sum[2], &err), 0);
	assert_memory_equal(sum[1].prev_hash, sum[0].anchor_hash, STORE_HASH_LEN);
	assert_int_equal(kept(f->st), 6 + 5);
	/* A round that is not stopped by a stop that is never asked: one batch. */
	asked = 0;
	r = (struct audit_export_round){ .stop = stop_after, .stop_arg = &asked };
	assert_int_equal(audit_export_round(f->st, dir, 1000, 1000, "verifier", &r, &err), 0);
	assert_false(r.stopped);
	assert_int_equal(asked, 0);
	assert_int_equal(r.files, 1);
	assert_int_equal(store_fixture_remove_dir(dir), 0);
}

static void touch(const char *dir, const char *name)
{
	char p[PATH_MAX];
	FILE *fp;

	assert_int_equal(gw_snprintf(p, sizeof(p), "%s/%s", dir, name), 0);
	fp = fopen(p, "w");
	assert_non_null(fp);
	assert_int_equal(fclose(fp), 0);
}

static bool exists(const char *dir, const char *name)
{
	char p[PATH_MAX];
	struct stat sb;

	assert_int_equal(gw_snprintf(p, sizeof(p), "%s/%s", dir, name), 0);
	return lstat(p, &sb) == 0;
}

/* A round starts by removing the temporary files killed exports left (also
 * when it has nothing to archive), and only those: regular files named
 * audit-new.tmp. and 16 hex digits. */
static void test_stale_tmp(void **state)
{
	static const char *const keep[] = { "audit-new.tmp.0123456789abcdeg",
					    "audit-new.tmp.0123456789abcdef0", "x.tmp.0123456789abcdef",
					    "audit-new.tmp.fedcba9876543210" /* a FIFO */ };
	struct store_fixture *f = *state;
	struct audit_export_round r = { 0 };
	char dir[PATH_MAX], p[PATH_MAX];
	gw_error err = { { 0 } };

	setup_dir(f, 3, dir, sizeof(dir));
	touch(dir, "audit-new.tmp.0123456789abcdef");
	touch(dir, "audit-new.tmp.a0a0a0a0a0a0a0a0");
	for (size_t i = 0; i + 1 < GW_ARRAY_SIZE(keep); i++)
		touch(dir, keep[i]);
	assert_int_equal(gw_snprintf(p, sizeof(p), "%s/%s", dir, keep[3]), 0);
	assert_int_equal(mkfifo(p, 0600), 0);
	/* Nothing older than 1: nothing archived, the stale ones removed. */
	assert_int_equal(audit_export_round(f->st, dir, 1, 1000, "verifier", &r, &err), 0);
	assert_int_equal(r.files, 0);
	assert_int_equal(r.stale, 2);
	assert_false(exists(dir, "audit-new.tmp.0123456789abcdef"));
	assert_false(exists(dir, "audit-new.tmp.a0a0a0a0a0a0a0a0"));
	for (size_t i = 0; i < GW_ARRAY_SIZE(keep); i++)
		assert_true(exists(dir, keep[i]));
	/* The next round finds none. */
	assert_int_equal(audit_export_round(f->st, dir, 4, 1000, "verifier", &r, &err), 0);
	assert_int_equal(r.stale, 0);
	assert_int_equal(r.files, 1);
	assert_int_equal(store_fixture_remove_dir(dir), 0);
}

/* serve's round asks between batches whether SIGHUP, SIGINT or SIGTERM waits;
 * asking does not take it: serve_wait still does. */
static void test_signal_pending(void **state)
{
	(void)state;
	serve_block_signals();
	assert_false(serve_signal_pending());
	assert_int_equal(raise(SIGHUP), 0);
	assert_true(serve_signal_pending());
	assert_true(serve_signal_pending());
	assert_int_equal(serve_wait(1), SIGHUP);
	assert_false(serve_signal_pending());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_adopt_durable, store_fixture_setup,
						store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_adopt_bounded, store_fixture_setup,
						store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_adopt_full_batch, store_fixture_setup,
						store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_not_regular, store_fixture_setup,
						store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_round_stop, store_fixture_setup,
						store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_stale_tmp, store_fixture_setup,
						store_fixture_teardown),
		cmocka_unit_test(test_signal_pending),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
