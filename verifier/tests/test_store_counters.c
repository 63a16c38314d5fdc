// SPDX-License-Identifier: Apache-2.0
// Unit tests for the store's certified anti-rollback counters (schema 10): first
// sight pins the names, a raised security version is recorded, replaced indices
// and a lower version are refused with nothing written, the device's security
// version follows its channel only; and the migration from schema 9.
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


static struct store_counter ctr(const char *channel, uint8_t fill, uint64_t sv)
{
	struct store_counter c;

	memset(&c, 0, sizeof(c));
	assert_int_equal(gw_snprintf(c.channel, sizeof(c.channel), "%s", channel), 0);
	memset(c.counter_name, fill, sizeof(c.counter_name));
	memset(c.baseline_name, fill + 1, sizeof(c.baseline_name));
	c.counter_index = 0x01800100;
	c.baseline_index = 0x01800101;
	c.security_version = sv;
	return c;
}

static uint64_t device_sv(struct store *st, const char *id)
{
	struct store_device d;
	uint64_t sv;

	assert_int_equal(store_device_get(st, id, &d, NULL), 0);
	sv = d.security_version;
	store_device_fini(&d);
	return sv;
}

static void test_record(void **state)
{
	struct store_fixture *f = *state;
	struct store_counter c[2] = { ctr("stable", 0x10, 3), ctr("beta", 0x20, 0) };
	struct store_counter got[STORE_MAX_COUNTERS];
	gw_error err = { { 0 } };
	size_t n = 99;

	assert_int_equal(store_fixture_put_device(f->st, "gw-a", "gw-1000"), 0);
	assert_int_equal(store_counters_get(f->st, "gw-a", got, STORE_MAX_COUNTERS, &n, &err), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_counters_record(f->st, "gw-a", c, 2, 100, &err), 0);
	assert_int_equal(device_sv(f->st, "gw-a"), 3);
	assert_int_equal(store_counters_get(f->st, "gw-a", got, STORE_MAX_COUNTERS, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(got[0].channel, "beta"); /* channel order */
	assert_string_equal(got[1].channel, "stable");
	assert_memory_equal(got[1].counter_name, c[0].counter_name, STORE_COUNTER_NAME_LEN);
	assert_memory_equal(got[1].baseline_name, c[0].baseline_name, STORE_COUNTER_NAME_LEN);
	assert_int_equal(got[1].counter_index, 0x01800100);
	assert_int_equal(got[1].baseline_index, 0x01800101);
	assert_int_equal(got[1].security_version, 3);
	assert_int_equal(got[1].first_seen, 100);
	assert_int_equal(got[1].updated, 100);

	/* Raised: recorded, first_seen kept; the device's security version is the
	 * highest certified. */
	c[0].security_version = 5;
	c[1].security_version = 7;
	assert_int_equal(store_counters_record(f->st, "gw-a", c, 2, 200, &err), 0);
	assert_int_equal(device_sv(f->st, "gw-a"), 7);
	/* A round that leaves out a recorded channel records nothing. */
	c[0].security_version = 6;
	assert_int_equal(store_counters_record(f->st, "gw-a", c, 1, 250, &err), GW_E_STATE);
	assert_non_null(strstr(err.msg, "channel 'beta': recorded, and not certified"));
	assert_int_equal(store_counters_record(f->st, "gw-a", NULL, 0, 250, &err), GW_E_STATE);
	assert_int_equal(device_sv(f->st, "gw-a"), 7);
	assert_int_equal(store_counters_get(f->st, "gw-a", got, STORE_MAX_COUNTERS, &n, &err), 0);
	assert_int_equal(got[1].security_version, 5);
	assert_int_equal(got[1].first_seen, 100);
	assert_int_equal(got[1].updated, 200);
	/* max too small */
	assert_int_equal(store_counters_get(f->st, "gw-a", got, 1, &n, &err), GW_E_TOOBIG);
}

/* Replaced names or a lower value: refused, and nothing of the round is written
 * (not even the channel recorded before the refused one). */
static void test_refused(void **state)
{
	struct store_fixture *f = *state;
	struct store_counter c[2] = { ctr("beta", 0x20, 1), ctr("stable", 0x10, 3) };
	struct store_counter got[STORE_MAX_COUNTERS];
	gw_error err = { { 0 } };
	size_t n;

	assert_int_equal(store_fixture_put_device(f->st, "gw-a", "gw-1000"), 0);
	assert_int_equal(store_counters_record(f->st, "gw-a", c, 2, 100, &err), 0);
	c[0].security_version = 2;
	c[1].counter_name[5] ^= 1;
	assert_int_equal(store_counters_record(f->st, "gw-a", c, 2, 200, &err),
			 GW_E_STATE);
	assert_non_null(strstr(err.msg, "counter indices replaced"));
	c[1].counter_name[5] ^= 1;
	c[1].baseline_name[0] ^= 1;
	assert_int_equal(store_counters_record(f->st, "gw-a", c, 2, 200, &err),
			 GW_E_STATE);
	c[1].baseline_name[0] ^= 1;
	c[1].security_version = 2;
	assert_int_equal(store_counters_record(f->st, "gw-a", c, 2, 200, &err),
			 GW_E_STATE);
	assert_non_null(strstr(err.msg, "below the recorded 3"));
	assert_int_equal(store_counters_get(f->st, "gw-a", got, STORE_MAX_COUNTERS, &n, &err), 0);
	assert_int_equal(got[0].security_version, 1);
	assert_int_equal(got[0].updated, 100);
	assert_int_equal(got[1].security_version, 3);
	assert_int_equal(device_sv(f->st, "gw-a"), 3);
	/* Inside a group, the refusal leaves the group's other writes to the caller. */
	assert_int_equal(store_begin(f->st, &err), 0);
	assert_int_equal(store_counters_record(f->st, "gw-a", c, 2, 200, &err),
			 GW_E_STATE);
	store_rollback(f->st);
	/* The database refuses it too (the trigger), whoever writes. */
	{
		sqlite3 *db = NULL;

		assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
		assert_int_not_equal(sqlite3_exec(db, "UPDATE device_counters SET"
						  " security_version = 0", NULL, NULL, NULL),
				     SQLITE_OK);
		assert_int_not_equal(sqlite3_exec(db, "UPDATE device_counters SET"
						  " counter_name = baseline_name", NULL, NULL,
						  NULL),
				     SQLITE_OK);
		sqlite3_close(db);
	}
}

static void test_bad_args(void **state)
{
	struct store_fixture *f = *state;
	struct store_counter c = ctr("stable", 0x10, 3);
	gw_error err = { { 0 } };

	assert_int_equal(store_counters_record(f->st, "gw-none", &c, 1, 1, &err),
			 GW_E_NOTFOUND);
	assert_int_equal(store_fixture_put_device(f->st, "gw-a", "gw-1000"), 0);
	c.channel[0] = '\0';
	assert_int_equal(store_counters_record(f->st, "gw-a", &c, 1, 1, &err), GW_E_INVAL);
	c = ctr("stable", 0x10, (uint64_t)INT64_MAX + 1);
	assert_int_equal(store_counters_record(f->st, "gw-a", &c, 1, 1, &err), GW_E_INVAL);
	assert_int_equal(store_counters_record(f->st, "gw-a", &c, STORE_MAX_COUNTERS + 1, 1,
					       &err),
			 GW_E_INVAL);
	assert_int_equal(store_counters_record(f->st, "gw-a", NULL, 0, 1, &err), 0);
}

/* The device's security version is the highest ever certified for it: a lower
 * channel added later, or one retired, does not lower it. */
static void test_sv_never_down(void **state)
{
	struct store_fixture *f = *state;
	struct store_counter c[2] = { ctr("beta", 0x20, 9), ctr("stable", 0x10, 2) };
	struct store_counter got[STORE_MAX_COUNTERS], gone;
	struct store_audit a = { .ts = 300, .actor = "operator:t", .action = "device.channel_retire",
				 .device_id = "gw-a", .outcome = "ok", .detail = "{}" };
	gw_error err = { { 0 } };
	size_t n;

	assert_int_equal(store_fixture_put_device(f->st, "gw-a", "gw-1000"), 0);
	assert_int_equal(store_counters_record(f->st, "gw-a", c, 1, 100, &err), 0);
	assert_int_equal(device_sv(f->st, "gw-a"), 9);
	assert_int_equal(store_counters_record(f->st, "gw-a", c, 2, 200, &err), 0);
	assert_int_equal(device_sv(f->st, "gw-a"), 9);
	/* Retired: the row goes, audited, the security version stays. */
	assert_int_equal(store_counters_retire(f->st, "gw-a", "beta", &gone, &a, &err), 0);
	assert_string_equal(gone.channel, "beta");
	assert_int_equal(gone.security_version, 9);
	assert_int_equal(store_counters_get(f->st, "gw-a", got, STORE_MAX_COUNTERS, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(got[0].channel, "stable");
	assert_int_equal(device_sv(f->st, "gw-a"), 9);
	assert_int_equal(store_counters_retire(f->st, "gw-a", "beta", NULL, NULL, &err),
			 GW_E_NOTFOUND);
	assert_int_equal(store_counters_retire(f->st, "gw-a", "", NULL, NULL, &err), GW_E_INVAL);
	assert_int_equal(store_counters_retire(f->st, "gw-none", "beta", NULL, NULL, &err),
			 GW_E_NOTFOUND);
	/* Now a round without beta records. */
	c[1].security_version = 3;
	assert_int_equal(store_counters_record(f->st, "gw-a", &c[1], 1, 400, &err), 0);
	assert_int_equal(device_sv(f->st, "gw-a"), 9);
	{
		sqlite3 *db = NULL;
		sqlite3_stmt *stmt = NULL;

		assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
		assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM audit_log WHERE"
						    " action = 'device.channel_retire'", -1, &stmt,
						    NULL),
				 SQLITE_OK);
		assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
		assert_int_equal(sqlite3_column_int(stmt, 0), 1);
		sqlite3_finalize(stmt);
		sqlite3_close(db);
	}
}

/* Rows never exceed what a round certifies: concurrent rounds that each add a
 * new channel cannot both record (the later one leaves the other's out). */
static void test_rows_capped(void **state)
{
	struct store_fixture *f = *state;
	struct store_counter c[STORE_MAX_COUNTERS];
	struct store_counter got[STORE_MAX_COUNTERS];
	gw_error err = { { 0 } };
	size_t n;
	char name[16];

	assert_int_equal(store_fixture_put_device(f->st, "gw-a", "gw-1000"), 0);
	for (size_t i = 0; i < STORE_MAX_COUNTERS; i++) {
		assert_int_equal(gw_snprintf(name, sizeof(name), "ch%zu", i), 0);
		c[i] = ctr(name, (uint8_t)(0x10 + 2 * i), 1);
	}
	assert_int_equal(store_counters_record(f->st, "gw-a", c, STORE_MAX_COUNTERS, 100, &err), 0);
	/* A round with a new channel instead of one recorded: refused. */
	c[0] = ctr("new", 0x70, 1);
	assert_int_equal(store_counters_record(f->st, "gw-a", c, STORE_MAX_COUNTERS, 200, &err),
			 GW_E_STATE);
	assert_int_equal(store_counters_get(f->st, "gw-a", got, STORE_MAX_COUNTERS, &n, &err), 0);
	assert_int_equal(n, STORE_MAX_COUNTERS);
}

/* A schema 9 file (no device_counters) migrates to 10 and keeps its devices. */
static void test_migrate_v9(void **state)
{
	struct store_fixture *f = *state;
	struct store_counter c = ctr("stable", 0x10, 3);
	sqlite3 *db = NULL;
	sqlite3_stmt *stmt = NULL;

	assert_int_equal(store_fixture_put_device(f->st, "gw-old", "gw-1000"), 0);
	store_close(f->st);
	f->st = NULL;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "DROP TABLE device_updates; DROP TABLE device_counters;"
				      " PRAGMA user_version = 9;",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
	assert_int_equal(store_open(f->path, &f->st, NULL), 0);
	assert_int_equal(device_sv(f->st, "gw-old"), 0);
	assert_int_equal(store_counters_record(f->st, "gw-old", &c, 1, 1, NULL), 0);
	assert_int_equal(device_sv(f->st, "gw-old"), 3);
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
		cmocka_unit_test_setup_teardown(test_record, store_fixture_setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_refused, store_fixture_setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_bad_args, store_fixture_setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_sv_never_down, store_fixture_setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_rows_capped, store_fixture_setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_migrate_v9, store_fixture_setup, store_fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
