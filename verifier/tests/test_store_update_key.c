// SPDX-License-Identifier: Apache-2.0
// Unit tests for the store's update keys (schema 9): one key per enrolled device,
// the same key again is "existed", another is refused until a reset, each change
// audited in its transaction; and the migration from schema 7.
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

static uint8_t ak_pub[] = { 0x00, 0x23, 0x0a, 0x0b, 0x0c };
static uint8_t ak_name[] = { 0x00, 0x0b, 0xaa };
static uint8_t ek_pub[] = { 0x00, 0x23, 0x01, 0x02 };
static const uint8_t pub[] = { 0x00, 0x04, 0x00, 0x23, 0x00, 0x0b };

static void put_device(struct store *st, const char *id, enum store_device_state s)
{
	struct store_device d;

	memset(&d, 0, sizeof(d));
	assert_int_equal(gw_snprintf(d.id, sizeof(d.id), "%s", id), 0);
	assert_int_equal(gw_snprintf(d.model, sizeof(d.model), "gw-1000"), 0);
	d.state = s;
	d.created_at = 1000;
	d.ek_pub = ek_pub;
	d.ek_pub_len = sizeof(ek_pub);
	d.ak_pub = ak_pub;
	d.ak_pub_len = sizeof(ak_pub);
	d.ak_name = ak_name;
	d.ak_name_len = sizeof(ak_name);
	ak_name[2]++; /* one TPM, one device */
	ek_pub[3]++;
	assert_int_equal(store_device_put(st, &d, NULL, NULL), 0);
}

static int count_cb(const struct store_audit_record *r, void *arg)
{
	(void)r;
	(*(uint64_t *)arg)++;
	return 0;
}

static uint64_t audit_count(struct store *st)
{
	uint64_t n = 0;

	assert_int_equal(store_audit_list(st, 0, count_cb, &n, NULL), 0);
	return n;
}

static const struct store_audit audit = { .ts = 1, .actor = "device:gw-a",
					  .action = "device.update_key", .device_id = "gw-a",
					  .outcome = "registered", .detail = "k" };

static void test_put_get_reset(void **state)
{
	struct store_fixture *f = *state;
	uint8_t n1[STORE_UPDATE_KEY_NAME_LEN], n2[STORE_UPDATE_KEY_NAME_LEN];
	struct store_update_key k;
	gw_error err = { { 0 } };
	bool existed = true;

	memset(n1, 0x11, sizeof(n1));
	memset(n2, 0x22, sizeof(n2));
	put_device(f->st, "gw-a", STORE_DEV_ENROLLED);
	assert_int_equal(store_update_key_get(f->st, "gw-a", &k, &err), GW_E_NOTFOUND);
	assert_int_equal(store_update_key_put(f->st, "gw-a", pub, sizeof(pub), n1, 50, &audit,
					      &existed, &err),
			 0);
	assert_false(existed);
	assert_int_equal(audit_count(f->st), 1);
	assert_int_equal(store_update_key_get(f->st, "gw-a", &k, &err), 0);
	assert_memory_equal(k.name, n1, sizeof(n1));
	assert_int_equal(k.pub_len, sizeof(pub));
	assert_memory_equal(k.pub, pub, sizeof(pub));
	assert_int_equal(k.created, 50);
	assert_string_equal(k.device_id, "gw-a");
	store_update_key_fini(&k);

	/* The same key again: nothing written. */
	assert_int_equal(store_update_key_put(f->st, "gw-a", pub, sizeof(pub), n1, 60, &audit,
					      &existed, &err),
			 0);
	assert_true(existed);
	assert_int_equal(audit_count(f->st), 1);
	/* Another key: refused, nothing written. */
	assert_int_equal(store_update_key_put(f->st, "gw-a", pub, sizeof(pub), n2, 60, &audit,
					      &existed, &err),
			 GW_E_EXISTS);
	assert_non_null(strstr(err.msg, "reset-update-key"));
	assert_int_equal(audit_count(f->st), 1);
	/* Another device cannot take the same key (names are unique). */
	put_device(f->st, "gw-b", STORE_DEV_ENROLLED);
	assert_int_not_equal(store_update_key_put(f->st, "gw-b", pub, sizeof(pub), n1, 60, NULL,
						  &existed, &err),
			     0);

	/* Reset, audited; then the other key registers. */
	assert_int_equal(store_update_key_reset(f->st, "gw-a", &audit, &err), 0);
	assert_int_equal(audit_count(f->st), 2);
	assert_int_equal(store_update_key_get(f->st, "gw-a", &k, &err), GW_E_NOTFOUND);
	assert_int_equal(store_update_key_reset(f->st, "gw-a", &audit, &err), GW_E_NOTFOUND);
	assert_int_equal(audit_count(f->st), 2);
	assert_int_equal(store_update_key_put(f->st, "gw-a", pub, sizeof(pub), n2, 70, NULL,
					      &existed, &err),
			 0);
	assert_false(existed);
}

static void test_not_enrolled(void **state)
{
	struct store_fixture *f = *state;
	uint8_t n[STORE_UPDATE_KEY_NAME_LEN];
	gw_error err = { { 0 } };
	bool existed;

	memset(n, 0x33, sizeof(n));
	assert_int_equal(store_update_key_put(f->st, "gw-none", pub, sizeof(pub), n, 1, NULL,
					      &existed, &err),
			 GW_E_NOTFOUND);
	put_device(f->st, "gw-p", STORE_DEV_PENDING);
	assert_int_equal(store_update_key_put(f->st, "gw-p", pub, sizeof(pub), n, 1, &audit,
					      &existed, &err),
			 GW_E_STATE);
	assert_int_equal(audit_count(f->st), 0);
	/* Bad arguments. */
	assert_int_equal(store_update_key_put(f->st, "gw-p", pub, 0, n, 1, NULL, &existed, &err),
			 GW_E_INVAL);
	assert_int_equal(store_update_key_put(f->st, "", pub, sizeof(pub), n, 1, NULL,
					      &existed, &err),
			 GW_E_INVAL);
}

/* A schema 8 file (no update_keys) migrates to 9 and keeps its devices. */
static void test_migrate_v8(void **state)
{
	struct store_fixture *f = *state;
	uint8_t n[STORE_UPDATE_KEY_NAME_LEN];
	struct store_device d;
	sqlite3 *db = NULL;
	bool existed;

	memset(n, 0x44, sizeof(n));
	put_device(f->st, "gw-old", STORE_DEV_ENROLLED);
	store_close(f->st);
	f->st = NULL;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
				      "DROP TABLE device_updates; DROP TABLE device_counters; DROP TABLE update_keys;"
				      " PRAGMA user_version = 8;",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
	assert_int_equal(store_open(f->path, &f->st, NULL), 0);
	assert_int_equal(store_device_get(f->st, "gw-old", &d, NULL), 0);
	store_device_fini(&d);
	assert_int_equal(store_update_key_put(f->st, "gw-old", pub, sizeof(pub), n, 1, NULL,
					      &existed, NULL),
			 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_put_get_reset, store_fixture_setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_not_enrolled, store_fixture_setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_migrate_v8, store_fixture_setup, store_fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
