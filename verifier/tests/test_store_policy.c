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
#include "store_fixture.h"
#include "util.h"

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

/* The payload digest the tests give version v: 64 hex digits of v. */
static void sha_of(uint32_t v, char out[65])
{
	assert_int_equal(gw_snprintf(out, 65, "%064x", (unsigned)v), 0);
}

static int add(struct store *st, uint32_t v, gw_error *err)
{
	char sha[65];

	sha_of(v, sha);
	return store_policy_add(st, "gw-1000", v, sha, "{}", 100 + v, "operator:alice", NULL, err);
}

/* Reset n of gw-1000 from `from` to `to`, naming version `next` to come first. */
static int reset(struct store *st, uint32_t n, uint32_t from, uint32_t to, uint32_t next,
		 gw_error *err)
{
	struct store_audit a = { .ts = 5, .actor = "operator:alice", .action = "policy.reset",
				 .outcome = "ok", .detail = "{}" };
	char sha[65];

	sha_of(next, sha);
	return store_policy_reset(st, "gw-1000", n, from, to, sha, "{\"reset\":1}", 200,
				  "operator:alice", &a, err);
}

/* A store from before the step bound holds version 4294967295: written as that
 * release did, with SQL, without the trigger that now refuses it. */
static void freeze(const struct store_fixture *f)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *stmt = NULL;
	char *trigger;

	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT sql FROM sqlite_master WHERE"
						" name = 'policies_step'", -1, &stmt, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
	trigger = strdup((const char *)sqlite3_column_text(stmt, 0));
	assert_non_null(trigger);
	sqlite3_finalize(stmt);
	assert_int_equal(sqlite3_exec(db,
				      "DROP TRIGGER policies_step;"
				      "INSERT INTO policies (model, version, body, added_at, added_by)"
				      " VALUES ('gw-1000', 4294967295, '{}', 1, 'operator:old')",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, trigger, NULL, NULL, NULL), SQLITE_OK);
	free(trigger);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

static void test_step_bound(void **state)
{
	struct store_fixture *f = *state;
	gw_error err = { { 0 } };

	assert_counter(f->st, "gw-1000", 0, 0);
	assert_int_equal(reset(f->st, 1, 5, 0, 1, &err), GW_E_STATE);
	assert_non_null(strstr(err.msg, "replaces version 5, but the model has no policy"));
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
	struct store_fixture *f = *state;
	gw_error err = { { 0 } };

	assert_int_equal(add(f->st, 3, &err), 0);
	freeze(f);
	assert_counter(f->st, "gw-1000", 0, 4294967295u);
	assert_int_equal(add(f->st, 4, &err), GW_E_STATE);
	assert_non_null(strstr(err.msg, "version 4 is not above the current version 4294967295"));

	/* Refused: out of order, another version than the current, reusing versions. */
	assert_int_equal(reset(f->st, 2, 4294967295u, 3, 4, &err), GW_E_STATE);
	assert_non_null(strstr(err.msg, "the model has had 0 resets, so the next is number 1"));
	assert_int_equal(reset(f->st, 1, 4294967294u, 3, 4, &err), GW_E_STATE);
	assert_non_null(strstr(err.msg, "replaces version 4294967294, but the model's current "
					"version is 4294967295"));
	assert_int_equal(reset(f->st, 1, 4294967295u, 2, 3, &err), GW_E_STATE);
	assert_non_null(strstr(err.msg, "to_version 2 is below stored version 3"));
	assert_int_equal(reset(f->st, 1, 3, 4, 5, &err), GW_E_INVAL);
	assert_counter(f->st, "gw-1000", 0, 4294967295u);

	assert_int_equal(reset(f->st, 1, 4294967295u, 3, 4, &err), 0);
	assert_last_audit(f->st, "policy.reset ok");
	assert_counter(f->st, "gw-1000", 1, 3);
	/* The frozen policy stays in force until a new one is added: no rollback. */
	assert_current(f->st, "gw-1000", 4294967295u);
	/* The same statement again: refused. */
	assert_int_equal(reset(f->st, 1, 4294967295u, 3, 4, &err), GW_E_STATE);
	assert_non_null(strstr(err.msg, "the model has had 1 resets"));
	assert_int_equal(add(f->st, 3, &err), GW_E_STATE);
	assert_int_equal(add(f->st, 1004, &err), GW_E_STATE);
	assert_int_equal(add(f->st, 4, &err), 0);
	assert_current(f->st, "gw-1000", 4);
	assert_counter(f->st, "gw-1000", 1, 4);
	/* The second reset is bound to the new epoch's version. */
	assert_int_equal(reset(f->st, 2, 4294967295u, 3, 4, &err), GW_E_STATE);
	assert_int_equal(add(f->st, 5, &err), 0);
	assert_int_equal(reset(f->st, 2, 5, 4, 6, &err), 0);
	assert_current(f->st, "gw-1000", 5);
	assert_counter(f->st, "gw-1000", 2, 4);
	/* 5 is not the policy this reset names. */
	assert_int_equal(add(f->st, 5, &err), GW_E_STATE);
	assert_non_null(strstr(err.msg, "is not the policy reset 2 names"));
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
	struct store_fixture *f = *state;
	uint32_t v = 0;

	freeze(f);
	assert_int_equal(reset(f->st, 1, 4294967295u, 0, 1, NULL), 0);
	assert_int_equal(add(f->st, 1, NULL), 0);
	assert_int_equal(store_policy_list(f->st, NULL, list_cb, &v, NULL), 0);
	assert_int_equal(v, 1);
}

/* Run sql on the file directly; return the SQLite code, errmsg copied to msg. */
static int raw(const struct store_fixture *f, const char *sql, char *msg, size_t size)
{
	sqlite3 *db = NULL;
	int rc;

	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	assert_int_equal(gw_snprintf(msg, size, "%s", sqlite3_errmsg(db)), 0);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
	return rc;
}

/* A policy row as add() would write it (payload digest sha_of(v)). */
#define RAW_POLICY(v, e)                                                                     \
	"INSERT INTO policies (model, version, body, added_at, added_by, epoch, payload_sha256)" \
	" VALUES ('gw-1000', " #v ", '{}', 1, 'x', " #e ", printf('%064x', " #v "))"

/* The triggers keep the rules for writes that do not go through the store. */
static void test_triggers(void **state)
{
	struct store_fixture *f = *state;
	char msg[256];

	assert_int_equal(add(f->st, 3, NULL), 0);
	freeze(f);
	assert_int_equal(reset(f->st, 1, 4294967295u, 5, 8, NULL), 0);
	assert_int_equal(raw(f, "UPDATE policy_resets SET to_version = 1", msg, sizeof(msg)),
			 SQLITE_CONSTRAINT);
	assert_string_equal(msg, "policy resets are immutable");
	assert_int_equal(raw(f, "DELETE FROM policy_resets", msg, sizeof(msg)),
			 SQLITE_CONSTRAINT);
	assert_string_equal(msg, "policy resets are never deleted");
	assert_int_equal(raw(f,
			     "INSERT INTO policy_resets VALUES ('gw-1000', 3, 10, 1, '{}', 1, 'x', NULL)",
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
	/* More than 1000 above it. */
	assert_int_equal(raw(f, RAW_POLICY(1009, 1), msg, sizeof(msg)), SQLITE_CONSTRAINT);
	assert_string_equal(msg, "a new policy version goes at most 1000 above the current one");
	assert_int_equal(raw(f, RAW_POLICY(1008, 1), msg, sizeof(msg)), SQLITE_OK);
}

#define RAW_RESET(n, from, to, next)                                                     \
	"INSERT INTO policy_resets (model, epoch, from_version, to_version, body, added_at," \
	" added_by, next_sha256) VALUES ('gw-1000', " #n ", " #from ", " #to ", '{}', 1, 'x',"  \
	" printf('%064x', " #next "))"

/* A reset written to the file is bound like one through the store: it replaces
 * the current version, goes below no stored one, and its named policy comes first. */
static void test_trigger_reset(void **state)
{
	struct store_fixture *f = *state;
	char msg[256];

	assert_int_equal(add(f->st, 3, NULL), 0);
	assert_int_equal(add(f->st, 900, NULL), 0);
	/* Not the current version 900 (to_version 3 is not below a stored one). */
	assert_int_equal(raw(f, RAW_RESET(1, 899, 3, 4), msg, sizeof(msg)), SQLITE_CONSTRAINT);
	assert_string_equal(msg, "a policy reset replaces the current version and goes below no "
				 "stored one");
	/* Below stored version 3. */
	assert_int_equal(raw(f, RAW_RESET(1, 900, 2, 4), msg, sizeof(msg)), SQLITE_CONSTRAINT);
	assert_string_equal(msg, "a policy reset replaces the current version and goes below no "
				 "stored one");
	assert_int_equal(raw(f, RAW_RESET(1, 900, 3, 5), msg, sizeof(msg)), SQLITE_OK);
	/* First in the epoch: only the named version 5 (a signed 4 that was never
	 * stored is refused). */
	assert_int_equal(raw(f, RAW_POLICY(4, 1), msg, sizeof(msg)), SQLITE_CONSTRAINT);
	assert_string_equal(msg, "the first policy after a reset is the one the reset names");
	assert_int_equal(raw(f, RAW_POLICY(5, 1), msg, sizeof(msg)), SQLITE_OK);
	assert_int_equal(raw(f, RAW_POLICY(6, 1), msg, sizeof(msg)), SQLITE_OK);
}

/* Finding: after a reset, a genuine signed policy that was never stored (here v6,
 * withheld while v5 was in force) must not come back: only the policy the reset
 * names is taken first. */
static void test_reset_names_next(void **state)
{
	struct store_fixture *f = *state;
	gw_error err = { { 0 } };
	char sha[65];

	assert_int_equal(add(f->st, 5, &err), 0);
	freeze(f);
	assert_int_equal(reset(f->st, 1, 4294967295u, 5, 7, &err), 0);
	assert_int_equal(add(f->st, 6, &err), GW_E_STATE);
	assert_non_null(strstr(err.msg, "version 6 (payload sha256 "
					"0000000000000000000000000000000000000000000000000000000000000006"
					") is not the policy reset 1 names"));
	/* Without a digest the store cannot tell: refused too. */
	assert_int_equal(store_policy_add(f->st, "gw-1000", 7, NULL, "{}", 1, "operator:alice", NULL,
					  &err),
			 GW_E_STATE);
	assert_non_null(strstr(err.msg, "(payload sha256 unknown)"));
	assert_current(f->st, "gw-1000", 4294967295u);
	assert_int_equal(add(f->st, 7, &err), 0);
	assert_current(f->st, "gw-1000", 7);
	/* Once the named one is in, the epoch goes on as usual. */
	assert_int_equal(add(f->st, 8, &err), 0);
	/* A bad digest is refused before the store is asked. */
	assert_int_equal(store_policy_reset(f->st, "gw-1000", 2, 8, 7, "ABC", "{}", 1, "x", NULL,
					    &err),
			 GW_E_INVAL);
	sha_of(9, sha);
	sha[0] = 'G';
	assert_int_equal(store_policy_add(f->st, "gw-1000", 9, sha, "{}", 1, "x", NULL, &err),
			 GW_E_INVAL);
}

/* A model reset low: version 4 in epoch 0 is above everything of epoch 0 but 3 and
 * below nothing, so only the epoch rule refuses it. */
static void test_trigger_epoch(void **state)
{
	struct store_fixture *f = *state;
	char msg[256];

	assert_int_equal(add(f->st, 3, NULL), 0);
	assert_int_equal(reset(f->st, 1, 3, 0, 4, NULL), 0);
	assert_int_equal(raw(f, RAW_POLICY(4, 0), msg, sizeof(msg)), SQLITE_CONSTRAINT);
	assert_string_equal(msg, "a new policy must be in the model's current reset epoch");
	assert_int_equal(raw(f, RAW_POLICY(4, 1), msg, sizeof(msg)), SQLITE_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_step_bound, store_fixture_setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_reset_frozen, store_fixture_setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_list_after_reset, store_fixture_setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_triggers, store_fixture_setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_trigger_epoch, store_fixture_setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_trigger_reset, store_fixture_setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_reset_names_next, store_fixture_setup, store_fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
