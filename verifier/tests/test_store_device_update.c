// SPDX-License-Identifier: Apache-2.0
// Unit tests for the store's per-device update state (schema 11): put and get
// round trip, replace, list in id order, refusals (unknown device, bad fields),
// and the migration from a schema 10 file.
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

#define HEX_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define HEX_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static void put_device(struct store *st, const char *id)
{
	assert_int_equal(store_fixture_put_device(st, id, "gw-1000"), 0);
}

static struct store_device_update sample(void)
{
	struct store_device_update u;

	memset(&u, 0, sizeof(u));
	u.running.present = true;
	strcpy(u.running.kind, "running");
	strcpy(u.running.manifest_sha256, HEX_A);
	strcpy(u.running.release_id, "aaaaaaaaaaaaaaaa");
	strcpy(u.running.version, "1.0");
	u.running.has_security_version = true;
	u.running.security_version = 4;
	u.trial.present = true;
	strcpy(u.trial.kind, "staged");
	strcpy(u.trial.manifest_sha256, HEX_B);
	strcpy(u.trial.version, "2.0"); /* not a stored release */
	u.outcome = u.trial;
	u.outcome.at = 1700;
	u.reset_count = 7;
	u.position = 12;
	u.ignored = 1;
	u.has_judged_counter = true;
	u.judged_counter = 5;
	u.updated = 1800;
	return u;
}

static void test_round_trip(void **state)
{
	struct store_fixture *f = *state;
	struct store_device_update u = sample(), back;
	gw_error err = { { 0 } };

	put_device(f->st, "gw-a");
	assert_int_equal(store_device_update_get(f->st, "gw-a", &back, &err), GW_E_NOTFOUND);
	assert_int_equal(store_device_update_put(f->st, "gw-a", &u, &err), 0);
	assert_int_equal(store_device_update_get(f->st, "gw-a", &back, &err), 0);
	assert_memory_equal(&back.running, &u.running, sizeof(u.running));
	assert_true(back.trial.present);
	assert_string_equal(back.trial.kind, "staged");
	assert_string_equal(back.trial.release_id, "");
	assert_false(back.trial.has_security_version);
	assert_string_equal(back.outcome.kind, "staged");
	assert_int_equal(back.outcome.at, 1700);
	assert_int_equal(back.reset_count, 7);
	assert_int_equal(back.position, 12);
	assert_int_equal(back.ignored, 1);
	assert_true(back.has_judged_counter);
	assert_int_equal(back.judged_counter, 5);
	assert_int_equal(back.updated, 1800);

	/* replaced: the trial is over, committed; not judged (no stored release) */
	u.trial.present = false;
	u.has_judged_counter = false;
	strcpy(u.outcome.kind, "committed");
	u.position = 14;
	assert_int_equal(store_device_update_put(f->st, "gw-a", &u, &err), 0);
	assert_int_equal(store_device_update_get(f->st, "gw-a", &back, &err), 0);
	assert_false(back.trial.present);
	assert_false(back.has_judged_counter);
	assert_string_equal(back.outcome.kind, "committed");
	assert_int_equal(back.position, 14);
}

struct seen {
	char ids[4][32];
	size_t n;
};

static int list_cb(const char *id, const struct store_device_update *u, void *arg)
{
	struct seen *s = arg;

	assert_true(u->running.present);
	assert_true(s->n < 4);
	strcpy(s->ids[s->n++], id);
	return 0;
}

static void test_list_and_refusals(void **state)
{
	struct store_fixture *f = *state;
	struct store_device_update u = sample(), bad;
	struct seen s = { .n = 0 };
	gw_error err = { { 0 } };

	put_device(f->st, "gw-b");
	put_device(f->st, "gw-a");
	assert_int_equal(store_device_update_put(f->st, "gw-b", &u, &err), 0);
	assert_int_equal(store_device_update_put(f->st, "gw-a", &u, &err), 0);
	assert_int_equal(store_device_update_list(f->st, list_cb, &s, &err), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.ids[0], "gw-a");
	assert_string_equal(s.ids[1], "gw-b");

	assert_int_equal(store_device_update_put(f->st, "gw-none", &u, &err), GW_E_NOTFOUND);
	bad = u;
	strcpy(bad.running.manifest_sha256, "AA"); /* not 64 lower-case hex digits */
	assert_int_equal(store_device_update_put(f->st, "gw-a", &bad, &err), GW_E_INVAL);
	bad = u;
	bad.running.manifest_sha256[0] = 'A';
	assert_int_equal(store_device_update_put(f->st, "gw-a", &bad, &err), GW_E_INVAL);
	bad = u;
	bad.running.version[0] = '\0';
	assert_int_equal(store_device_update_put(f->st, "gw-a", &bad, &err), GW_E_INVAL);
	bad = u;
	bad.outcome.kind[0] = '\0';
	assert_int_equal(store_device_update_put(f->st, "gw-a", &bad, &err), GW_E_INVAL);
	bad = u;
	bad.running.security_version = (uint64_t)INT64_MAX + 1;
	assert_int_equal(store_device_update_put(f->st, "gw-a", &bad, &err), GW_E_INVAL);
	assert_int_equal(store_device_update_put(f->st, "gw-a", NULL, &err), GW_E_INVAL);
	assert_int_equal(store_device_update_list(f->st, NULL, NULL, &err), GW_E_INVAL);
}

/* A schema 10 file (no device_updates) migrates to 11 and keeps its devices. */
static void test_migrate_v10(void **state)
{
	struct store_fixture *f = *state;
	struct store_device_update u = sample(), back;
	sqlite3 *db = NULL;
	sqlite3_stmt *stmt = NULL;

	put_device(f->st, "gw-old");
	store_close(f->st);
	f->st = NULL;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "DROP TABLE device_updates; PRAGMA user_version = 10;",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
	assert_int_equal(store_open(f->path, &f->st, NULL), 0);
	assert_int_equal(store_device_update_get(f->st, "gw-old", &back, NULL), GW_E_NOTFOUND);
	assert_int_equal(store_device_update_put(f->st, "gw-old", &u, NULL), 0);
	assert_int_equal(store_device_update_get(f->st, "gw-old", &back, NULL), 0);
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(stmt, 0), STORE_SCHEMA_VERSION);
	sqlite3_finalize(stmt);
	sqlite3_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, store_fixture_setup,
						store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_list_and_refusals, store_fixture_setup,
						store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_migrate_v10, store_fixture_setup,
						store_fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
