// SPDX-License-Identifier: Apache-2.0
// Unit tests for schema 8 of the verifier store: releases, their models, approval,
// rollout and withdrawal, a device's channel, and the migration from a v7 file;
// and schema 13's boot files: stored with the release, listed in one query,
// recorded once for a release added before it, and the migration from a v12 file.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "store.h"
#include "store_fixture.h"
#include "util.h"

#define MD1 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define MD2 "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
#define FILE_SHA "1111111111111111111111111111111111111111111111111111111111111111"

static void make_release(struct store_release *r, const char *digest, const char *model)
{
	memset(r, 0, sizeof(*r));
	assert_int_equal(gw_snprintf(r->manifest_sha256, sizeof(r->manifest_sha256), "%s",
				     digest), 0);
	memcpy(r->id, digest, STORE_RELEASE_ID_LEN);
	assert_int_equal(gw_snprintf(r->models[0], sizeof(r->models[0]), "%s", model), 0);
	r->nmodels = 1;
	strcpy(r->channel, "stable");
	strcpy(r->version, "2.0.0");
	r->security_version = 5;
	r->created = 1000;
	r->notes = "fixes";
	r->reboot_required = true;
	strcpy(r->bundle_path, "/var/lib/gatewarden/bundles/x.gwb");
	r->size = 4096;
	strcpy(r->sha256, FILE_SHA);
	r->rollout = 100;
	r->added_at = 2000;
	strcpy(r->added_by, "operator:alice");
}

static void put_device(struct store *st, const char *id)
{
	assert_int_equal(store_fixture_put_device(st, id, "gw-1000"), 0);
}

static int count_cb(const struct store_release *r, void *arg)
{
	(void)r;
	(*(int *)arg)++;
	return 0;
}

static int count_audit(const struct store_audit_record *r, void *arg)
{
	(void)r;
	(*(uint64_t *)arg)++;
	return 0;
}

static uint64_t audit_count(struct store *st)
{
	uint64_t n = 0, count = 0, bad = 1;

	assert_int_equal(store_audit_list(st, 0, count_audit, &n, NULL), 0);
	assert_int_equal(store_audit_verify(st, &count, &bad, NULL), 0);
	assert_int_equal(bad, 0);
	return n;
}

static void test_put_get(void **state)
{
	struct store_fixture *f = *state;
	struct store_release r, got, dup;
	struct store_audit a = { 2000, "operator:alice", "release.add", NULL, "ok", NULL };
	int n = 0;

	make_release(&r, MD1, "gw-1000");
	strcpy(r.models[1], "gw-2000");
	r.nmodels = 2;
	assert_int_equal(store_release_put(f->st, &r, &a, NULL), 0);
	assert_int_equal(audit_count(f->st), 1);
	assert_int_equal(store_release_get(f->st, "0123456789abcdef", &got, NULL), 0);
	assert_string_equal(got.manifest_sha256, MD1);
	assert_int_equal(got.nmodels, 2);
	assert_string_equal(got.models[1], "gw-2000");
	assert_string_equal(got.notes, "fixes");
	assert_int_equal(got.security_version, 5);
	assert_true(got.reboot_required);
	assert_int_equal(got.rollout, 100);
	assert_false(got.approved);
	assert_int_equal(got.deadline, 0);
	store_release_fini(&got);

	/* The same manifest again, and another manifest under a taken id. */
	make_release(&dup, MD1, "gw-1000");
	assert_int_equal(store_release_put(f->st, &dup, &a, NULL), GW_E_EXISTS);
	assert_int_equal(audit_count(f->st), 1);

	make_release(&dup, MD2, "gw-3000");
	assert_int_equal(store_release_put(f->st, &dup, NULL, NULL), 0);
	assert_int_equal(store_release_list(f->st, NULL, count_cb, &n, NULL), 0);
	assert_int_equal(n, 2);
	n = 0;
	assert_int_equal(store_release_list(f->st, "gw-2000", count_cb, &n, NULL), 0);
	assert_int_equal(n, 1);
	n = 0;
	assert_int_equal(store_release_list(f->st, "gw-9", count_cb, &n, NULL), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_release_get(f->st, "0000000000000000", &got, NULL), GW_E_NOTFOUND);
	assert_int_equal(store_release_get(f->st, "../../etc", &got, NULL), GW_E_NOTFOUND);
}

static void test_put_bad(void **state)
{
	struct store_fixture *f = *state;
	struct store_release r;

	make_release(&r, MD1, "gw-1000");
	r.id[3] = 'x';
	assert_int_equal(store_release_put(f->st, &r, NULL, NULL), GW_E_INVAL);
	make_release(&r, MD1, "gw-1000");
	memcpy(r.id, MD2, STORE_RELEASE_ID_LEN); /* not the manifest's prefix */
	assert_int_equal(store_release_put(f->st, &r, NULL, NULL), GW_E_INVAL);
	make_release(&r, MD1, "gw-1000");
	r.rollout = 101;
	assert_int_equal(store_release_put(f->st, &r, NULL, NULL), GW_E_INVAL);
	make_release(&r, MD1, "gw-1000");
	strcpy(r.channel, "a b");
	assert_int_equal(store_release_put(f->st, &r, NULL, NULL), GW_E_INVAL);
	make_release(&r, MD1, "gw-1000");
	strcpy(r.models[1], "gw-1000");
	r.nmodels = 2;
	assert_int_equal(store_release_put(f->st, &r, NULL, NULL), GW_E_INVAL);
	make_release(&r, MD1, "gw-1000");
	r.approved = true;
	assert_int_equal(store_release_put(f->st, &r, NULL, NULL), GW_E_INVAL);
	make_release(&r, MD1, "gw-1000");
	r.deadline = 5; /* a deadline only for a critical release */
	assert_int_equal(store_release_put(f->st, &r, NULL, NULL), GW_E_INVAL);
	make_release(&r, MD1, "gw-1000");
	r.nmodels = 0;
	assert_int_equal(store_release_put(f->st, &r, NULL, NULL), GW_E_INVAL);
}

static void test_change(void **state)
{
	struct store_fixture *f = *state;
	struct store_release r, got;
	struct store_audit a = { 2000, "operator:alice", "release.change", NULL, "ok", NULL };
	const char *id = "0123456789abcdef";

	make_release(&r, MD1, "gw-1000");
	assert_int_equal(store_release_put(f->st, &r, NULL, NULL), 0);
	/* Approval only for a release that requires it. */
	assert_int_equal(store_release_change(f->st, id, STORE_REL_APPROVE, 0, &a, NULL),
			 GW_E_STATE);
	assert_int_equal(audit_count(f->st), 0);
	assert_int_equal(store_release_change(f->st, id, STORE_REL_ROLLOUT, 101, &a, NULL),
			 GW_E_INVAL);
	assert_int_equal(store_release_change(f->st, id, STORE_REL_ROLLOUT, 30, &a, NULL), 0);
	assert_int_equal(store_release_get(f->st, id, &got, NULL), 0);
	assert_int_equal(got.rollout, 30);
	store_release_fini(&got);
	assert_int_equal(store_release_change(f->st, id, STORE_REL_WITHDRAW, 0, &a, NULL), 0);
	assert_int_equal(audit_count(f->st), 2);
	/* Withdrawn is final. */
	assert_int_equal(store_release_change(f->st, id, STORE_REL_ROLLOUT, 100, &a, NULL),
			 GW_E_STATE);
	assert_int_equal(store_release_change(f->st, id, STORE_REL_WITHDRAW, 0, &a, NULL),
			 GW_E_STATE);
	assert_int_equal(audit_count(f->st), 2);
	assert_int_equal(store_release_change(f->st, "fedcba9876543210", STORE_REL_WITHDRAW, 0,
					      &a, NULL),
			 GW_E_NOTFOUND);

	make_release(&r, MD2, "gw-1000");
	r.requires_approval = true;
	assert_int_equal(store_release_put(f->st, &r, NULL, NULL), 0);
	assert_int_equal(store_release_change(f->st, "fedcba9876543210", STORE_REL_APPROVE, 0,
					      &a, NULL), 0);
	assert_int_equal(store_release_change(f->st, "fedcba9876543210", STORE_REL_APPROVE, 0,
					      &a, NULL), GW_E_STATE);
	assert_int_equal(store_release_get(f->st, "fedcba9876543210", &got, NULL), 0);
	assert_true(got.approved);
	store_release_fini(&got);
}

/* The trigger keeps a withdrawn release as it is even against a direct UPDATE. */
static void test_withdrawn_trigger(void **state)
{
	struct store_fixture *f = *state;
	struct store_release r;
	sqlite3 *db = NULL;

	make_release(&r, MD1, "gw-1000");
	assert_int_equal(store_release_put(f->st, &r, NULL, NULL), 0);
	assert_int_equal(store_release_change(f->st, "0123456789abcdef", STORE_REL_WITHDRAW, 0,
					      NULL, NULL), 0);
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(db, "UPDATE releases SET withdrawn = 0", NULL, NULL,
					  NULL), SQLITE_OK);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

static void test_channel(void **state)
{
	struct store_fixture *f = *state;
	struct store_device d;
	struct store_audit a = { 2000, "operator:alice", "device.channel", "gw-1", "ok", NULL };

	put_device(f->st, "gw-1");
	assert_int_equal(store_device_get(f->st, "gw-1", &d, NULL), 0);
	assert_string_equal(d.channel, "");
	assert_int_equal(d.security_version, 0);
	store_device_fini(&d);
	assert_int_equal(store_device_set_channel(f->st, "gw-1", "beta", &a, NULL), 0);
	assert_int_equal(store_device_get(f->st, "gw-1", &d, NULL), 0);
	assert_string_equal(d.channel, "beta");
	store_device_fini(&d);
	assert_int_equal(store_device_set_channel(f->st, "gw-1", "be ta", &a, NULL), GW_E_INVAL);
	assert_int_equal(store_device_set_channel(f->st, "gw-2", "beta", &a, NULL),
			 GW_E_NOTFOUND);
	assert_int_equal(audit_count(f->st), 1);
	assert_int_equal(store_device_set_channel(f->st, "gw-1", NULL, NULL, NULL), 0);
	assert_int_equal(store_device_get(f->st, "gw-1", &d, NULL), 0);
	assert_string_equal(d.channel, "");
	store_device_fini(&d);
}

static int64_t user_version(const char *path)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	int64_t v = -1;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

/* A schema-7 file with a device comes up at the current schema (8 added these): the device keeps its row, has the
 * default channel and security version 0, and releases can be added. */
static void test_migrate_v7(void **state)
{
	struct store_fixture *f = *state;
	struct store_device d;
	struct store_release r;
	sqlite3 *db = NULL;

	put_device(f->st, "gw-old");
	store_close(f->st);
	f->st = NULL;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
				      "DROP TABLE device_updates; DROP TABLE device_counters; DROP TABLE update_keys;"
				      "DROP TRIGGER releases_withdrawn_final;"
				      "DROP TABLE release_models; DROP TABLE releases;"
				      "ALTER TABLE devices DROP COLUMN channel;"
				      "ALTER TABLE devices DROP COLUMN security_version;"
				      "PRAGMA user_version = 7;",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
	assert_int_equal(user_version(f->path), 7);

	assert_int_equal(store_open(f->path, &f->st, NULL), 0);
	assert_int_equal(user_version(f->path), STORE_SCHEMA_VERSION);
	assert_int_equal(store_device_get(f->st, "gw-old", &d, NULL), 0);
	assert_string_equal(d.channel, "");
	assert_int_equal(d.security_version, 0);
	store_device_fini(&d);
	make_release(&r, MD1, "gw-1000");
	assert_int_equal(store_release_put(f->st, &r, NULL, NULL), 0);
}

#define MD3 "abcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcd"

static void boot_file(struct store_boot_file *f, const char *path, int fill)
{
	assert_int_equal(gw_snprintf(f->path, sizeof(f->path), "%s", path), 0);
	memset(f->sha256, fill, sizeof(f->sha256));
}

struct boot_seen {
	size_t n;
	struct store_release_boot b[4];
};

static int boot_cb(const struct store_release_boot *b, void *arg)
{
	struct boot_seen *s = arg;

	assert_true(s->n < 4);
	s->b[s->n++] = *b;
	return 0;
}

static void exec_sql(const char *path, const char *sql, bool ok)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	if (ok)
		assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	else
		assert_int_not_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

/* Put stores the boot files with the release; the list gives each release of the
 * model (withdrawn too) with its files in the manifest's order; they never change. */
static void test_boot_files(void **state)
{
	struct store_fixture *f = *state;
	struct store_release r;
	struct boot_seen seen = { 0 };

	make_release(&r, MD1, "gw-1000");
	boot_file(&r.boot_files[0], "/boot/vmlinuz", 0x11);
	boot_file(&r.boot_files[1], "/boot/initrd.img", 0x22);
	r.nboot_files = 2;
	assert_int_equal(store_release_put(f->st, &r, NULL, NULL), 0);
	make_release(&r, MD2, "gw-1000");
	strcpy(r.version, "3.0");
	assert_int_equal(store_release_put(f->st, &r, NULL, NULL), 0);
	assert_int_equal(store_release_change(f->st, "fedcba9876543210", STORE_REL_WITHDRAW, 0,
					      NULL, NULL), 0);
	make_release(&r, MD3, "gw-2000");
	boot_file(&r.boot_files[0], "/boot/vmlinuz", 0x33);
	r.nboot_files = 1;
	assert_int_equal(store_release_put(f->st, &r, NULL, NULL), 0);

	assert_int_equal(store_release_boot_list(f->st, "gw-1000", boot_cb, &seen, NULL), 0);
	assert_int_equal(seen.n, 2);
	assert_string_equal(seen.b[0].id, "0123456789abcdef");
	assert_string_equal(seen.b[0].manifest_sha256, MD1);
	assert_string_equal(seen.b[0].version, "2.0.0");
	assert_string_equal(seen.b[0].bundle_path, "/var/lib/gatewarden/bundles/x.gwb");
	assert_true(seen.b[0].known);
	assert_int_equal(seen.b[0].n, 2);
	assert_string_equal(seen.b[0].files[0].path, "/boot/vmlinuz");
	assert_int_equal(seen.b[0].files[0].sha256[31], 0x11);
	assert_string_equal(seen.b[0].files[1].path, "/boot/initrd.img");
	assert_int_equal(seen.b[0].files[1].sha256[0], 0x22);
	/* Withdrawn, and without boot files: known, none. */
	assert_string_equal(seen.b[1].version, "3.0");
	assert_true(seen.b[1].known);
	assert_int_equal(seen.b[1].n, 0);
	seen.n = 0;
	assert_int_equal(store_release_boot_list(f->st, NULL, boot_cb, &seen, NULL), 0);
	assert_int_equal(seen.n, 3);
	assert_int_equal(seen.b[2].n, 1);
	assert_int_equal(seen.b[2].files[0].sha256[0], 0x33);
	seen.n = 0;
	assert_int_equal(store_release_boot_list(f->st, "gw-9", boot_cb, &seen, NULL), 0);
	assert_int_equal(seen.n, 0);

	/* Stored once: a later put changes nothing, and neither can SQL. */
	assert_int_equal(store_release_boot_put(f->st, "0123456789abcdef", r.boot_files, 1, NULL),
			 0);
	seen.n = 0;
	assert_int_equal(store_release_boot_list(f->st, "gw-1000", boot_cb, &seen, NULL), 0);
	assert_int_equal(seen.b[0].n, 2);
	assert_int_equal(seen.b[0].files[0].sha256[0], 0x11);
	exec_sql(f->path, "UPDATE release_boot_files SET sha256 = zeroblob(32)", false);
	exec_sql(f->path, "UPDATE release_boot_read SET files = 0", false);
	exec_sql(f->path, "INSERT INTO release_boot_files VALUES ('0123456789abcdef',"
			  " '/boot/x', zeroblob(32))", false);
	assert_int_equal(store_release_boot_put(f->st, "0000000000000000", NULL, 0, NULL),
			 GW_E_NOTFOUND);
}

/* Malformed boot file lists are refused before the store sees them. */
static void test_boot_files_bad(void **state)
{
	struct store_fixture *f = *state;
	struct store_release r;
	struct store_boot_file two[2];

	make_release(&r, MD1, "gw-1000");
	boot_file(&r.boot_files[0], "boot/vmlinuz", 1);
	r.nboot_files = 1;
	assert_int_equal(store_release_put(f->st, &r, NULL, NULL), GW_E_INVAL);
	boot_file(&r.boot_files[0], "/boot/vm linuz", 1);
	assert_int_equal(store_release_put(f->st, &r, NULL, NULL), GW_E_INVAL);
	boot_file(&r.boot_files[0], "/boot/a", 1);
	boot_file(&r.boot_files[1], "/boot/b", 1);
	r.nboot_files = 2;
	assert_int_equal(store_release_put(f->st, &r, NULL, NULL), GW_E_INVAL);
	boot_file(&r.boot_files[1], "/boot/a", 2);
	assert_int_equal(store_release_put(f->st, &r, NULL, NULL), GW_E_INVAL);
	r.nboot_files = STORE_BOOT_FILES_MAX + 1;
	assert_int_equal(store_release_put(f->st, &r, NULL, NULL), GW_E_INVAL);
	r.nboot_files = 0;
	assert_int_equal(store_release_put(f->st, &r, NULL, NULL), 0);
	boot_file(&two[0], "/boot/a", 1);
	boot_file(&two[1], "/boot/a", 2);
	assert_int_equal(store_release_boot_put(f->st, "0123456789abcdef", two, 2, NULL),
			 GW_E_INVAL);
}

/* A schema-12 file with a release comes up at the current schema: the release's
 * boot files are not known until store_release_boot_put records them, once. */
static void test_migrate_v12(void **state)
{
	struct store_fixture *f = *state;
	struct store_release r;
	struct store_boot_file files[1];
	struct boot_seen seen = { 0 };

	make_release(&r, MD1, "gw-1000");
	assert_int_equal(store_release_put(f->st, &r, NULL, NULL), 0);
	store_close(f->st);
	f->st = NULL;
	exec_sql(f->path, "DROP TABLE release_boot_files; DROP TABLE release_boot_read;"
			  "PRAGMA user_version = 12;", true);
	assert_int_equal(user_version(f->path), 12);

	assert_int_equal(store_open(f->path, &f->st, NULL), 0);
	assert_int_equal(user_version(f->path), STORE_SCHEMA_VERSION);
	assert_int_equal(store_release_boot_list(f->st, "gw-1000", boot_cb, &seen, NULL), 0);
	assert_int_equal(seen.n, 1);
	assert_false(seen.b[0].known);
	assert_int_equal(seen.b[0].n, 0);
	boot_file(&files[0], "/boot/vmlinuz", 0x44);
	assert_int_equal(store_release_boot_put(f->st, "0123456789abcdef", files, 1, NULL), 0);
	seen.n = 0;
	assert_int_equal(store_release_boot_list(f->st, "gw-1000", boot_cb, &seen, NULL), 0);
	assert_true(seen.b[0].known);
	assert_int_equal(seen.b[0].n, 1);
	assert_int_equal(seen.b[0].files[0].sha256[0], 0x44);
	/* A second worker's fill finds them stored. */
	boot_file(&files[0], "/boot/other", 0x55);
	assert_int_equal(store_release_boot_put(f->st, "0123456789abcdef", files, 1, NULL), 0);
	seen.n = 0;
	assert_int_equal(store_release_boot_list(f->st, "gw-1000", boot_cb, &seen, NULL), 0);
	assert_int_equal(seen.b[0].files[0].sha256[0], 0x44);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_put_get, store_fixture_setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_put_bad, store_fixture_setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_change, store_fixture_setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_withdrawn_trigger, store_fixture_setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_channel, store_fixture_setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_migrate_v7, store_fixture_setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_boot_files, store_fixture_setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_boot_files_bad, store_fixture_setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_migrate_v12, store_fixture_setup, store_fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
