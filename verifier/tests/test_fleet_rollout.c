// SPDX-License-Identifier: Apache-2.0
// Unit tests for gwverifier status's rollout progress on a real SQLite store:
// per active release, the devices of its model and channel, in cohort, offered
// (not the running release: not-newer), running, in trial, rolled back and
// unreachable (below the certified counter); withdrawn releases and devices on
// another channel or of another model left out.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "fleet_rollout.h"
#include "store.h"
#include "store_fixture.h"
#include "util.h"

#define MD1 "1111111111111111111111111111111111111111111111111111111111111111"
#define MD2 "2222222222222222222222222222222222222222222222222222222222222222"
#define MD3 "3333333333333333333333333333333333333333333333333333333333333333"
#define FILE_SHA "abababababababababababababababababababababababababababababababab"

static void put_release(struct store *st, const char *digest, uint64_t sv, int64_t added)
{
	struct store_release r;

	memset(&r, 0, sizeof(r));
	strcpy(r.manifest_sha256, digest);
	memcpy(r.id, digest, STORE_RELEASE_ID_LEN);
	strcpy(r.models[0], "gw-1000");
	r.nmodels = 1;
	strcpy(r.channel, "stable");
	strcpy(r.version, sv == 2 ? "1.0" : "2.0");
	r.security_version = sv;
	r.created = 1000;
	strcpy(r.bundle_path, "/var/lib/gatewarden/bundles/x.gwb");
	r.size = 4096;
	strcpy(r.sha256, FILE_SHA);
	r.rollout = 100;
	r.added_at = added;
	strcpy(r.added_by, "operator:alice");
	assert_int_equal(store_release_put(st, &r, NULL, NULL), 0);
}

/* An enrolled device; attested affirming now when attested. */
static void put_device(struct store *st, const char *id, const char *model, bool attested)
{
	struct store_attestation att = { .at = time(NULL), .status = "affirming" };

	assert_int_equal(store_fixture_put_device(st, id, model), 0);
	if (attested)
		assert_int_equal(store_device_update_attestation(st, id, &att, NULL, NULL), 0);
}

static struct store_update_event event(const char *kind, const char *md)
{
	struct store_update_event e;

	memset(&e, 0, sizeof(e));
	e.present = true;
	strcpy(e.kind, kind);
	strcpy(e.manifest_sha256, md);
	memcpy(e.release_id, md, STORE_RELEASE_ID_LEN);
	strcpy(e.version, "x");
	e.has_security_version = true;
	return e;
}

static json_object *find(json_object *arr, const char *id)
{
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		json_object *r = json_object_array_get_idx(arr, i);

		if (!strcmp(json_object_get_string(json_object_object_get(r, "id")), id))
			return r;
	}
	return NULL;
}

static void counts(json_object *arr, const char *id, const uint64_t want[7])
{
	static const char *const keys[] = { "devices", "in_cohort", "offered", "running",
					    "in_trial", "rolled_back", "unreachable" };
	json_object *r = find(arr, id);

	assert_non_null(r);
	for (size_t k = 0; k < 7; k++) {
		uint64_t got = (uint64_t)json_object_get_int64(json_object_object_get(r, keys[k]));

		if (got != want[k])
			fail_msg("release %s: %s is %llu, wanted %llu", id, keys[k],
				 (unsigned long long)got, (unsigned long long)want[k]);
	}
}

static void test_rollout(void **state)
{
	struct store_fixture *f = *state;
	struct cmd_policy_env e;
	struct store_device_update u;
	struct store_counter c;
	json_object *arr = NULL;
	gw_error err = { { 0 } };
	char ch[] = "stable";

	put_release(f->st, MD1, 2, 100);
	put_release(f->st, MD2, 5, 200);
	put_release(f->st, MD3, 6, 300);
	assert_int_equal(store_release_change(f->st, "3333333333333333", STORE_REL_WITHDRAW, 0,
					      NULL, NULL), 0);
	put_device(f->st, "gw-a", "gw-1000", true);  /* runs MD1 */
	put_device(f->st, "gw-b", "gw-1000", true);  /* unknown running, trial MD2 */
	put_device(f->st, "gw-c", "gw-1000", false); /* rolled back MD2, counter 6 */
	put_device(f->st, "gw-d", "gw-1000", true);  /* another channel */
	put_device(f->st, "gw-e", "gw-2000", true);  /* another model */
	assert_int_equal(store_device_set_channel(f->st, "gw-d", "beta", NULL, NULL), 0);

	memset(&u, 0, sizeof(u));
	u.running = event("running", MD1);
	u.running.security_version = 2;
	assert_int_equal(store_device_update_put(f->st, "gw-a", &u, NULL), 0);
	memset(&u, 0, sizeof(u));
	u.trial = event("staged", MD2);
	u.outcome = u.trial;
	assert_int_equal(store_device_update_put(f->st, "gw-b", &u, NULL), 0);
	memset(&u, 0, sizeof(u));
	u.outcome = event("rolled-back", MD2);
	assert_int_equal(store_device_update_put(f->st, "gw-c", &u, NULL), 0);
	memset(&c, 0, sizeof(c));
	strcpy(c.channel, "stable");
	memset(c.counter_name, 0x11, sizeof(c.counter_name));
	memset(c.baseline_name, 0x12, sizeof(c.baseline_name));
	c.security_version = 6;
	assert_int_equal(store_counters_record(f->st, "gw-c", &c, 1, 1, NULL), 0);

	memset(&e, 0, sizeof(e));
	e.st = f->st;
	e.cfg.default_channel = ch;
	e.cfg.release_max_attest_age = 900;
	assert_int_equal(fleet_rollout(&e, time(NULL), &arr, &err), 0);
	assert_int_equal(json_object_array_length(arr), 2); /* the withdrawn one left out */
	assert_null(find(arr, "3333333333333333"));
	/* MD1: offered to gw-b only (gw-a runs it, gw-c is not attested); gw-c's
	 * counter 6 is above it */
	counts(arr, "1111111111111111", (const uint64_t[7]){ 3, 3, 1, 1, 0, 0, 1 });
	/* MD2: offered to gw-a (newer than its running) and gw-b; in trial on gw-b,
	 * rolled back on gw-c, which cannot reach it */
	counts(arr, "2222222222222222", (const uint64_t[7]){ 3, 3, 2, 0, 1, 1, 1 });
	assert_string_equal(json_object_get_string(json_object_object_get(
				    find(arr, "2222222222222222"), "approval")),
			    "not-required");
	json_object_put(arr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rollout, store_fixture_setup,
						store_fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
