// SPDX-License-Identifier: Apache-2.0
// Unit tests for retention: the results rule (the newest N per device, every
// non-affirming one since a time), batches, each pruning batch audited with it, the
// audit chain left intact, and the database size staying flat over a bounded run
// of attestations (a result and an audit record each) with pruning and audit
// archiving, against runs without the audit rule and without either.
#include <dirent.h>
#include <limits.h>
#include <setjmp.h>
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

#include "audit_export.h"
#include "retention.h"
#include "store.h"
#include "store_fixture.h"
#include "util.h"

/* An EAR of a realistic size: the rows the size test writes are like real ones. */
static char ear_text[700];

static void add(struct store *st, const char *dev, int64_t at, const char *status)
{
	struct store_result r = {
		.device_id = dev, .at = at, .status = status, .claims = "[]", .ear = ear_text,
	};

	assert_int_equal(store_result_add(st, &r, NULL, NULL, NULL), 0);
}

struct seen {
	int64_t at[64];
	size_t n;
};

static int seen_cb(const struct store_result *r, void *arg)
{
	struct seen *s = arg;

	if (s->n < GW_ARRAY_SIZE(s->at))
		s->at[s->n] = r->at;
	s->n++;
	return 0;
}

static void history(struct store *st, const char *dev, struct seen *s)
{
	memset(s, 0, sizeof(*s));
	assert_int_equal(store_result_history(st, dev, 0, seen_cb, s, NULL), 0);
}

static void test_rule(void **state)
{
	struct store_fixture *f = *state;
	struct seen s;
	uint64_t n = 99;
	gw_error err = { { 0 } };

	assert_int_equal(store_fixture_put_device(f->st, "gw-a", "m"), 0);
	assert_int_equal(store_fixture_put_device(f->st, "gw-b", "m"), 0);
	/* gw-a: at 1..10, odd ones contraindicated; gw-b: two affirming. */
	for (int64_t t = 1; t <= 10; t++)
		add(f->st, "gw-a", t, t % 2 ? "contraindicated" : "affirming");
	add(f->st, "gw-b", 1, "affirming");
	add(f->st, "gw-b", 2, "affirming");

	assert_int_equal(store_result_prune(f->st, 0, 0, &n, &err), GW_E_INVAL);
	assert_int_equal(n, 0);
	/* Keep the newest 3 of each; non-affirming ones from 5 on. */
	assert_int_equal(store_result_prune(f->st, 3, 5, &n, &err), 0);
	history(f->st, "gw-a", &s);
	/* Kept: 10, 9, 8 (newest three), 7 and 5 (not affirming, at or after 5). */
	assert_int_equal(s.n, 5);
	assert_int_equal(s.at[0], 10);
	assert_int_equal(s.at[1], 9);
	assert_int_equal(s.at[2], 8);
	assert_int_equal(s.at[3], 7);
	assert_int_equal(s.at[4], 5);
	history(f->st, "gw-b", &s);
	assert_int_equal(s.n, 2);
	assert_int_equal(n, 5);
	/* Again: nothing more to delete. */
	assert_int_equal(store_result_prune(f->st, 3, 5, &n, &err), 0);
	assert_int_equal(n, 0);
	/* The failed ones age out too; keep 1 leaves the newest of each device. */
	assert_int_equal(store_result_prune(f->st, 1, 100, &n, &err), 0);
	assert_int_equal(n, 5);
	history(f->st, "gw-a", &s);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.at[0], 10);
	history(f->st, "gw-b", &s);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.at[0], 2);
}

/* Same time, two results: the newer id is the newer one (as history orders). */
static void test_same_time(void **state)
{
	struct store_fixture *f = *state;
	struct store_result r = { .device_id = "gw-a", .at = 7, .status = "affirming",
				  .claims = "[]", .ear = "first" };
	int64_t id1 = 0, id2 = 0;
	uint64_t n = 0;

	assert_int_equal(store_fixture_put_device(f->st, "gw-a", "m"), 0);
	assert_int_equal(store_result_add(f->st, &r, &id1, NULL, NULL), 0);
	r.ear = "second";
	assert_int_equal(store_result_add(f->st, &r, &id2, NULL, NULL), 0);
	assert_int_equal(store_result_prune(f->st, 1, 0, &n, NULL), 0);
	assert_int_equal(n, 1);
	struct seen s;
	history(f->st, "gw-a", &s);
	assert_int_equal(s.n, 1);
	(void)id1;
	(void)id2;
}

/* More than one batch; audit records stay and the chain verifies. */
static void test_batches_audit(void **state)
{
	struct store_fixture *f = *state;
	const unsigned total = 2 * STORE_PRUNE_BATCH + 17;
	struct store_audit a = { .ts = 1, .actor = "test", .action = "x", .outcome = "ok" };
	uint64_t n = 0, count = 0, bad = 1, results = 0;
	gw_error err = { { 0 } };

	assert_int_equal(store_fixture_put_device(f->st, "gw-a", "m"), 0);
	assert_int_equal(store_begin(f->st, &err), 0);
	for (unsigned i = 0; i < total; i++) {
		add(f->st, "gw-a", i, "affirming");
		if (i % 1000 == 0)
			assert_int_equal(store_audit_append(f->st, &a, NULL, &err), 0);
	}
	assert_int_equal(store_commit(f->st, &err), 0);
	assert_int_equal(store_result_prune(f->st, 2, 0, &n, &err), 0);
	assert_int_equal(n, total - 2);
	assert_int_equal(store_size(f->st, &results, NULL, NULL, &err), 0);
	assert_int_equal(results, 2);
	assert_int_equal(store_audit_verify(f->st, &count, &bad, &err), 0);
	assert_int_equal(bad, 0);
	assert_int_equal(count, (total + 999) / 1000);
}

struct prune_records {
	unsigned n;
	uint64_t deleted;
};

static int prune_records_cb(const struct store_audit_record *r, void *arg)
{
	struct prune_records *p = arg;
	const char *d;

	if (strcmp(r->a.action, "results.prune"))
		return 0;
	assert_non_null(r->a.detail);
	d = strstr(r->a.detail, "\"deleted\":");
	assert_non_null(d);
	p->deleted += strtoull(d + 10, NULL, 10);
	p->n++;
	return 0;
}

/* Device gw-a with n affirming results at times 0 to n - 1. */
static void add_results(struct store *st, unsigned n)
{
	assert_int_equal(store_fixture_put_device(st, "gw-a", "m"), 0);
	assert_int_equal(store_begin(st, NULL), 0);
	for (unsigned i = 0; i < n; i++)
		add(st, "gw-a", i, "affirming");
	assert_int_equal(store_commit(st, NULL), 0);
}

/* retention_prune commits each batch with its own results.prune record: three
 * batches, three records, their counts adding up to what went (review finding 7:
 * one record after all batches left the deletions of the batches before a crash
 * unaudited). */
static void test_prune_audited_per_batch(void **state)
{
	struct store_fixture *f = *state;
	const unsigned total = 2 * STORE_PRUNE_BATCH + 17;
	struct prune_records p = { 0 };
	struct retention_prune_round pr = { 0 };
	uint64_t results = 0, count = 0, bad = 1;
	gw_error err = { { 0 } };

	add_results(f->st, total + 1);
	assert_int_equal(retention_prune(f->st, 1, 0, total, "verifier", &pr, &err), 0);
	assert_int_equal(pr.deleted, total);
	assert_int_equal(store_size(f->st, &results, NULL, NULL, &err), 0);
	assert_int_equal(results, 1);
	assert_int_equal(store_audit_list(f->st, 0, prune_records_cb, &p, &err), 0);
	assert_int_equal(p.n, 3);
	assert_int_equal(p.deleted, total);
	assert_int_equal(store_audit_verify(f->st, &count, &bad, &err), 0);
	assert_int_equal(bad, 0);
	assert_int_equal(count, 3);
	/* Nothing to delete: no record. */
	assert_int_equal(retention_prune(f->st, 1, 0, total, "verifier", &pr, &err), 0);
	assert_int_equal(pr.deleted, 0);
	assert_int_equal(store_audit_verify(f->st, &count, &bad, &err), 0);
	assert_int_equal(count, 3);
	assert_int_equal(retention_prune(f->st, 0, 0, total, "verifier", &pr, &err), GW_E_INVAL);
}

/* Counts the stop callback's calls; true from the limit-th on. */
struct stop_after {
	unsigned calls, limit;
};

static bool stop_after(void *arg)
{
	struct stop_after *s = arg;

	return ++s->calls >= s->limit;
}

/* The results rule stops where its stop callback says, after a whole batch
 * (committed and audited), and the next application goes on from there (review
 * 11b finding 1: serve's rule ran every batch with a signal pending). */
static void test_prune_stops(void **state)
{
	struct store_fixture *f = *state;
	const unsigned total = 3 * STORE_PRUNE_BATCH + 17;
	struct stop_after s = { .limit = 1 };
	struct retention_prune_round pr = { .stop = stop_after, .stop_arg = &s };
	struct prune_records p = { 0 };
	uint64_t results = 0;
	gw_error err = { { 0 } };

	add_results(f->st, total + 1);
	assert_int_equal(retention_prune(f->st, 1, 0, total, "verifier", &pr, &err), 0);
	assert_true(pr.stopped);
	assert_int_equal(pr.deleted, STORE_PRUNE_BATCH);
	assert_int_equal(s.calls, 1);
	assert_int_equal(store_size(f->st, &results, NULL, NULL, &err), 0);
	assert_int_equal(results, total + 1 - STORE_PRUNE_BATCH);
	/* Goes on: stops after its second batch this time. */
	s = (struct stop_after){ .limit = 2 };
	assert_int_equal(retention_prune(f->st, 1, 0, total, "verifier", &pr, &err), 0);
	assert_true(pr.stopped);
	assert_int_equal(pr.deleted, 2 * STORE_PRUNE_BATCH);
	assert_int_equal(s.calls, 2);
	/* The rest is less than a batch: done, the callback not asked. */
	s = (struct stop_after){ .limit = 1 };
	assert_int_equal(retention_prune(f->st, 1, 0, total, "verifier", &pr, &err), 0);
	assert_false(pr.stopped);
	assert_int_equal(pr.deleted, 17);
	assert_int_equal(s.calls, 0);
	assert_int_equal(store_size(f->st, &results, NULL, NULL, &err), 0);
	assert_int_equal(results, 1);
	assert_int_equal(store_audit_list(f->st, 0, prune_records_cb, &p, &err), 0);
	assert_int_equal(p.n, 4);
	assert_int_equal(p.deleted, total);
}

/* ROUNDS rounds of DEVICES x PER attestations, each a result and an audit record
 * (as serve writes them): with pruning and audit archiving after each round the
 * file stops growing once the freed pages are reused; without the audit rule it
 * grows with the audit log; without either, faster. */
#define DEVICES 20
#define PER 100
#define ROUNDS 12
#define KEEP 10
#define RUN_PRUNE 1u
#define RUN_ARCHIVE 2u

static char audit_detail[200];

static void attest(struct store *st, const char *id, int64_t t, const char *status)
{
	struct store_audit a = { .ts = t, .actor = "verifier", .action = "attest",
				 .device_id = id, .outcome = status, .detail = audit_detail };

	add(st, id, t, status);
	assert_int_equal(store_audit_append(st, &a, NULL, NULL), 0);
}

/* One round's upkeep by the retention rule's own functions: results pruned (each
 * batch audited), audit records older than 50 time steps archived into dir. */
static void upkeep(struct store *st, unsigned flags, int64_t t, const char *dir,
		   uint64_t *archived)
{
	struct retention_prune_round pr = { 0 };
	uint64_t files = 0, records = 0;
	gw_error err = { { 0 } };

	if (flags & RUN_PRUNE)
		assert_int_equal(retention_prune(st, KEEP, 0, t, "verifier", &pr, &err), 0);
	if (flags & RUN_ARCHIVE) {
		assert_int_equal(audit_export_dir(st, dir, t - 50, 0, t, "verifier", &files,
						  &records, NULL, &err), 0);
		*archived += records;
	}
}

static uint64_t run_rounds(struct store *st, unsigned flags, const char *dir, uint64_t *after2)
{
	char id[16];
	uint64_t bytes = 0, freeb = 0, results = 0, archived = 0, count = 0, bad = 1;
	int64_t t = 0;

	for (unsigned d = 0; d < DEVICES; d++) {
		assert_int_equal(gw_snprintf(id, sizeof(id), "gw-%u", d), 0);
		assert_int_equal(store_fixture_put_device(st, id, "m"), 0);
	}
	for (unsigned round = 0; round < ROUNDS; round++) {
		assert_int_equal(store_begin(st, NULL), 0);
		for (unsigned i = 0; i < PER; i++, t++)
			for (unsigned d = 0; d < DEVICES; d++) {
				assert_int_equal(gw_snprintf(id, sizeof(id), "gw-%u", d), 0);
				/* One in ten not affirming (keep_failed_days 0: pruned
				 * like the others). */
				attest(st, id, t, (i % 10) ? "affirming" : "warning");
			}
		assert_int_equal(store_commit(st, NULL), 0);
		upkeep(st, flags, t, dir, &archived);
		assert_int_equal(store_size(st, &results, &bytes, &freeb, NULL), 0);
		print_message("# round %2u %-16s: %6llu results, %6llu audit records archived, "
			      "%8llu bytes (%llu free)\n", round,
			      flags == (RUN_PRUNE | RUN_ARCHIVE) ? "pruned+archived"
			      : flags ? "pruned only" : "neither",
			      (unsigned long long)results, (unsigned long long)archived,
			      (unsigned long long)bytes, (unsigned long long)freeb);
		if (round == 2)
			*after2 = bytes;
	}
	/* The chain kept verifies from its anchor. */
	assert_int_equal(store_audit_verify(st, &count, &bad, NULL), 0);
	assert_int_equal(bad, 0);
	return bytes;
}

static void remove_db(const char *dir, const char *name)
{
	static const char *const sfx[] = { "", "-wal", "-shm" };
	char p[192];

	for (size_t i = 0; i < GW_ARRAY_SIZE(sfx); i++)
		if (gw_snprintf(p, sizeof(p), "%s/%s%s", dir, name, sfx[i]) == 0)
			(void)unlink(p);
}

/* Every file in dir and dir itself removed; how many there were. */
static unsigned remove_dir(const char *dir)
{
	char p[PATH_MAX];
	struct dirent *e;
	DIR *d = opendir(dir);
	unsigned n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' &&
		    gw_snprintf(p, sizeof(p), "%s/%s", dir, e->d_name) == 0 && unlink(p) == 0)
			n++;
	closedir(d);
	(void)rmdir(dir);
	return n;
}

static struct store *other_store(const struct store_fixture *f, const char *name)
{
	struct store *st = NULL;
	char url[192];

	assert_int_equal(gw_snprintf(url, sizeof(url), "sqlite:%s/%s", f->dir, name), 0);
	assert_int_equal(store_open(url, &st, NULL), 0);
	return st;
}

static void test_size_flat(void **state)
{
	struct store_fixture *f = *state;
	uint64_t after2 = 0, end, end_unarchived, after2_unarchived = 0, end_neither,
		 after2_neither = 0;
	struct store *other;
	char arch[128];

	memset(ear_text, 'e', sizeof(ear_text) - 1);
	memset(audit_detail, 'd', sizeof(audit_detail) - 1);
	assert_int_equal(gw_snprintf(arch, sizeof(arch), "%s/archives", f->dir), 0);
	assert_int_equal(mkdir(arch, 0700), 0);
	end = run_rounds(f->st, RUN_PRUNE | RUN_ARCHIVE, arch, &after2);
	print_message("# pruned+archived: %llu bytes after round 2, %llu after round %u "
		      "(+%.1f %%), %u archive files\n", (unsigned long long)after2,
		      (unsigned long long)end, ROUNDS - 1,
		      100.0 * ((double)end - (double)after2) / (double)after2, remove_dir(arch));
	/* Flat: after the third round the file grows by no more than 3 % (free pages
	 * are reused; a page or two of index fragmentation). */
	assert_true(end <= after2 + after2 * 3 / 100);

	other = other_store(f, "unarchived.db");
	end_unarchived = run_rounds(other, RUN_PRUNE, NULL, &after2_unarchived);
	store_close(other);
	remove_db(f->dir, "unarchived.db");
	other = other_store(f, "neither.db");
	end_neither = run_rounds(other, 0, NULL, &after2_neither);
	store_close(other);
	remove_db(f->dir, "neither.db");
	print_message("# pruned only: %llu -> %llu bytes; neither: %llu -> %llu bytes\n",
		      (unsigned long long)after2_unarchived, (unsigned long long)end_unarchived,
		      (unsigned long long)after2_neither, (unsigned long long)end_neither);
	/* Without the audit rule the audit log grows the file every round (12 rounds
	 * of records are well over twice 3 rounds' worth); without pruning either,
	 * faster still. */
	assert_true(end_unarchived > 2 * after2_unarchived);
	assert_true(end * 2 < end_unarchived);
	assert_true(end_neither > 3 * after2_neither);
	assert_true(end_unarchived < end_neither);
	/* VACUUM gives the free pages back. */
	{
		uint64_t bytes = 0, freeb = 0;

		assert_int_equal(store_vacuum(f->st, NULL), 0);
		assert_int_equal(store_size(f->st, NULL, &bytes, &freeb, NULL), 0);
		print_message("# after VACUUM: %llu bytes (%llu free)\n",
			      (unsigned long long)bytes, (unsigned long long)freeb);
		assert_int_equal(freeb, 0);
		assert_true(bytes <= end);
	}
}

/* A backup while another handle holds the write lock mid-transaction: the copy is
 * the committed state, whole, and opens as a store; an existing file is refused. */
static void test_backup(void **state)
{
	struct store_fixture *f = *state;
	struct store_backup_info info;
	struct store *w = NULL, *copy = NULL;
	char url[160], path[160];
	uint64_t results = 0, count = 0, bad = 1;
	gw_error err = { { 0 } };

	assert_int_equal(store_fixture_put_device(f->st, "gw-a", "m"), 0);
	for (int i = 0; i < 10; i++)
		add(f->st, "gw-a", i, "affirming");
	assert_int_equal(store_audit_append(f->st, &(struct store_audit){ .ts = 1, .actor = "t",
					    .action = "x", .outcome = "ok" }, NULL, &err), 0);
	assert_int_equal(gw_snprintf(url, sizeof(url), "sqlite:%s", f->path), 0);
	assert_int_equal(store_open(url, &w, &err), 0);
	assert_int_equal(store_begin(w, &err), 0);
	add(w, "gw-a", 100, "warning"); /* not committed during the backup */
	assert_int_equal(gw_snprintf(path, sizeof(path), "%s/copy.db", f->dir), 0);
	assert_int_equal(store_backup(f->st, path, &info, &err), 0);
	assert_int_equal(store_commit(w, &err), 0);
	store_close(w);
	assert_int_equal(info.devices, 1);
	assert_int_equal(info.results, 10);
	assert_int_equal(info.audit_records, 1);
	assert_int_equal(info.schema_version, STORE_SCHEMA_VERSION);
	assert_true(info.bytes > 0);
	assert_int_equal(store_backup(f->st, path, NULL, &err), GW_E_EXISTS);
	assert_int_equal(gw_snprintf(url, sizeof(url), "sqlite:%s", path), 0);
	assert_int_equal(store_open(url, &copy, &err), 0);
	assert_int_equal(store_size(copy, &results, NULL, NULL, &err), 0);
	assert_int_equal(results, 10);
	assert_int_equal(store_audit_verify(copy, &count, &bad, &err), 0);
	assert_int_equal(bad, 0);
	store_close(copy);
	remove_db(f->dir, "copy.db");
	/* Inside a group: refused. */
	assert_int_equal(store_begin(f->st, &err), 0);
	assert_int_equal(store_backup(f->st, path, NULL, &err), GW_E_STATE);
	store_rollback(f->st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rule, store_fixture_setup,
						store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_same_time, store_fixture_setup,
						store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_batches_audit, store_fixture_setup,
						store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_prune_audited_per_batch, store_fixture_setup,
						store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_prune_stops, store_fixture_setup,
						store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_size_flat, store_fixture_setup,
						store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_backup, store_fixture_setup,
						store_fixture_teardown),
	};

	memset(ear_text, 'e', sizeof(ear_text) - 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
