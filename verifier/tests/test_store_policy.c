// SPDX-License-Identifier: Apache-2.0
// Unit tests for the store's policy version rules: the bounded step, version resets
// (numbered, bound to the version they replace, never reapplied), the policy in
// force across a reset, and the SQLite triggers that back them.
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
#include "util.h"

struct fixture {
	char dir[64];
	char path[128];
	struct store *st;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	memcpy(f->dir, "/tmp/gw-storepol-XXXXXX", sizeof("/tmp/gw-storepol-XXXXXX"));
	if (!mkdtemp(f->dir) || gw_snprintf(f->path, sizeof(f->path), "%s/v.db", f->dir) ||
	    store_open(f->path, &f->st, NULL)) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	static const char *const sfx[] = { "", "-wal", "-shm" };
	char p[192];

	store_close(f->st);
	for (size_t i = 0; i < GW_ARRAY_SIZE(sfx); i++)
		if (gw_snprintf(p, sizeof(p), "%s%s", f->path, sfx[i]) == 0)
			(void)unlink(p);
	(void)rmdir(f->dir);
	free(f);
	return 0;
}

static int count_cb(const struct store_audit_record *r, void *arg)
{
	char *last = arg;

	return gw_snprintf(last, 64, "%s %s", r->a.action, r->a.outcome);
}

static void assert_last_audit(struct store *st, const char *want)
{
	char last[64] = "";
	uint64_t count = 0, bad = 1;

	assert_int_equal(store_audit_list(st, 0, count_cb, last, NULL), 0);
	assert_string_equal(last, want);
	assert_int_equal(store_audit_verify(st, &count, &bad, NULL), 0);
	assert_int_equal(bad, 0);
}

static void assert_current(struct store *st, const char *model, uint32_t version)
{
	struct store_policy p;

	memset(&p, 0, sizeof(p));
	assert_int_equal(store_policy_current(st, model, &p, NULL), 0);
	assert_int_equal(p.version, version);
	store_policy_fini(&p);
}

static void assert_counter(struct store *st, const char *model, uint32_t resets,
			   uint32_t version)
{
	struct store_policy_counter c;

	assert_int_equal(store_policy_counter(st, model, &c, NULL), 0);
	assert_int_equal(c.resets, resets);
	assert_int_equal(c.version, version);
}

static int add(struct store *st, uint32_t v, gw_error *err)
{
	return store_policy_add(st, "gw-1000", v, "{}", 100 + v, "operator:alice", NULL, err);
}

static int reset(struct store *st, uint32_t n, uint32_t from, uint32_t to, gw_error *err)
{
	struct store_audit a = { .ts = 5, .actor = "operator:alice", .action = "policy.reset",
				 .outcome = "ok", .detail = "{}" };

	return store_policy_reset(st, "gw-1000", n, from, to, "{\"reset\":1}", 200,
				  "operator:alice", &a, err);
}

/* A store from before the step bound holds version 4294967295: written as that
 * release did, with SQL. */
static void freeze(const struct fixture *f)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
				      "INSERT INTO policies (model, version, body, added_at, added_by)"
				      " VALUES ('gw-1000', 4294967295, '{}', 1, 'operator:old')",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

static void test_step_bound(void **state)
{
	struct fixture *f = *state;
	gw_error err = { { 0 } };

	assert_counter(f->st, "gw-1000", 0, 0);
	assert_int_equal(add(f->st, 1001, &err), GW_E_STATE);
	assert_non_null(strstr(err.msg, "more than 1000 above the current version 0"));
	assert_int_equal(add(f->st, 1000, &err), 0);
	assert_int_equal(add(f->st, 4294967295u, &err), GW_E_STATE);
	assert_non_null(strstr(err.msg, "sign it again with a version up to 2000"));
	assert_int_equal(add(f->st, 2000, &err), 0);
	assert_counter(f->st, "gw-1000", 0, 2000);
	assert_current(f->st, "gw-1000", 2000);
}

/* The way out of a frozen model: a numbered reset bound to the frozen version. */
static void test_reset_frozen(void **state)
{
	struct fixture *f = *state;
	gw_error err = { { 0 } };

	assert_int_equal(add(f->st, 3, &err), 0);
	freeze(f);
	assert_counter(f->st, "gw-1000", 0, 4294967295u);
	assert_int_equal(add(f->st, 4, &err), GW_E_STATE);
	assert_non_null(strstr(err.msg, "version 4 is not above the current version 4294967295"));

	/* Refused: out of order, another version than the current, reusing versions. */
	assert_int_equal(reset(f->st, 2, 4294967295u, 3, &err), GW_E_STATE);
	assert_non_null(strstr(err.msg, "the model has had 0 resets, so the next is number 1"));
	assert_int_equal(reset(f->st, 1, 4294967294u, 3, &err), GW_E_STATE);
	assert_non_null(strstr(err.msg, "replaces version 4294967294, but the model's current "
					"version is 4294967295"));
	assert_int_equal(reset(f->st, 1, 4294967295u, 2, &err), GW_E_STATE);
	assert_non_null(strstr(err.msg, "to_version 2 is below stored version 3"));
	assert_int_equal(reset(f->st, 1, 3, 4, &err), GW_E_INVAL);
	assert_counter(f->st, "gw-1000", 0, 4294967295u);

	assert_int_equal(reset(f->st, 1, 4294967295u, 3, &err), 0);
	assert_last_audit(f->st, "policy.reset ok");
	assert_counter(f->st, "gw-1000", 1, 3);
	/* The frozen policy stays in force until a new one is added: no rollback. */
	assert_current(f->st, "gw-1000", 4294967295u);
	/* The same statement again: refused. */
	assert_int_equal(reset(f->st, 1, 4294967295u, 3, &err), GW_E_STATE);
	assert_non_null(strstr(err.msg, "the model has had 1 resets"));
	assert_int_equal(add(f->st, 3, &err), GW_E_STATE);
	assert_int_equal(add(f->st, 1004, &err), GW_E_STATE);
	assert_int_equal(add(f->st, 4, &err), 0);
	assert_current(f->st, "gw-1000", 4);
	assert_counter(f->st, "gw-1000", 1, 4);
	/* The second reset is bound to the new epoch's version. */
	assert_int_equal(reset(f->st, 2, 4294967295u, 3, &err), GW_E_STATE);
	assert_int_equal(add(f->st, 5, &err), 0);
	assert_int_equal(reset(f->st, 2, 5, 4, &err), 0);
	assert_current(f->st, "gw-1000", 5);
	assert_counter(f->st, "gw-1000", 2, 4);
	/* 5 was used before this reset: versions are never reused. */
	assert_int_equal(add(f->st, 5, &err), GW_E_STATE);
	assert_non_null(strstr(err.msg, "was stored before a version reset"));
	assert_int_equal(add(f->st, 6, &err), 0);
	assert_current(f->st, "gw-1000", 6);
	/* Other models are untouched. */
	assert_counter(f->st, "gw-500", 0, 0);
}

static int list_cb(const struct store_policy *p, void *arg)
{
	uint32_t *v = arg;

	if (!strcmp(p->model, "gw-1000"))
		*v = p->version;
	return 0;
}

/* `policy list` shows the policy in force, not the highest number. */
static void test_list_after_reset(void **state)
{
	struct fixture *f = *state;
	uint32_t v = 0;

	freeze(f);
	assert_int_equal(reset(f->st, 1, 4294967295u, 0, NULL), 0);
	assert_int_equal(add(f->st, 1, NULL), 0);
	assert_int_equal(store_policy_list(f->st, NULL, list_cb, &v, NULL), 0);
	assert_int_equal(v, 1);
}

/* Run sql on the file directly; return the SQLite code, errmsg copied to msg. */
static int raw(const struct fixture *f, const char *sql, char *msg, size_t size)
{
	sqlite3 *db = NULL;
	int rc;

	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	assert_int_equal(gw_snprintf(msg, size, "%s", sqlite3_errmsg(db)), 0);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
	return rc;
}

#define RAW_POLICY(v, e)                                                            \
	"INSERT INTO policies (model, version, body, added_at, added_by, epoch)"    \
	" VALUES ('gw-1000', " #v ", '{}', 1, 'x', " #e ")"

/* The triggers keep the rules for writes that do not go through the store. */
static void test_triggers(void **state)
{
	struct fixture *f = *state;
	char msg[256];

	assert_int_equal(add(f->st, 3, NULL), 0);
	freeze(f);
	assert_int_equal(reset(f->st, 1, 4294967295u, 5, NULL), 0);
	assert_int_equal(raw(f, "UPDATE policy_resets SET to_version = 1", msg, sizeof(msg)),
			 SQLITE_CONSTRAINT);
	assert_string_equal(msg, "policy resets are immutable");
	assert_int_equal(raw(f, "DELETE FROM policy_resets", msg, sizeof(msg)),
			 SQLITE_CONSTRAINT);
	assert_string_equal(msg, "policy resets are never deleted");
	assert_int_equal(raw(f,
			     "INSERT INTO policy_resets VALUES ('gw-1000', 3, 10, 1, '{}', 1, 'x')",
			     msg, sizeof(msg)),
			 SQLITE_CONSTRAINT);
	assert_string_equal(msg, "policy resets of a model are numbered 1, 2, ...");
	/* In the reset's epoch, a version not above its to_version 5 (no policy of
	 * the epoch yet): only the to_version refuses it. */
	assert_int_equal(raw(f, RAW_POLICY(5, 1), msg, sizeof(msg)), SQLITE_CONSTRAINT);
	assert_string_equal(msg, "a new policy version must go above the current one");
	assert_int_equal(raw(f, RAW_POLICY(8, 1), msg, sizeof(msg)), SQLITE_OK);
	/* Not above the epoch's highest version. */
	assert_int_equal(raw(f, RAW_POLICY(7, 1), msg, sizeof(msg)), SQLITE_CONSTRAINT);
	assert_string_equal(msg, "a new policy version must go above the current one");
}

/* A model reset low: version 4 in epoch 0 is above everything of epoch 0 but 3 and
 * below nothing, so only the epoch rule refuses it. */
static void test_trigger_epoch(void **state)
{
	struct fixture *f = *state;
	char msg[256];

	assert_int_equal(add(f->st, 3, NULL), 0);
	assert_int_equal(reset(f->st, 1, 3, 0, NULL), 0);
	assert_int_equal(raw(f, RAW_POLICY(4, 0), msg, sizeof(msg)), SQLITE_CONSTRAINT);
	assert_string_equal(msg, "a new policy version must go above the current one");
	assert_int_equal(raw(f, RAW_POLICY(4, 1), msg, sizeof(msg)), SQLITE_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_step_bound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset_frozen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_after_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_triggers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trigger_epoch, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
