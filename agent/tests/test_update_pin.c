// SPDX-License-Identifier: Apache-2.0
// Unit tests for the pinned trust root: the config's root pinned on first use and
// never read again, replaced only by a verified successor (a replayed or skipping
// version, or an expired root, leaves the pinned one as it was); the root each group
// was installed under kept as root.N.json.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "update_state.h"
#include "util.h"

#define ROOTS "common/tests/fixtures/root"

static char dir[64], pinned[128];
static struct agent_ctx ctx;

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/gw-test-update-pin.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(pinned, sizeof(pinned), "%s/update/root.json", dir);
	memset(&ctx, 0, sizeof(ctx));
	ctx.prog = "test";
	ctx.lock_fd = -1;
	ctx.state_dir = dir;
	agent_config_defaults(&ctx.cfg);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	free(ctx.cfg.update.root);
	ctx.cfg.update.root = NULL;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

static void set_config_root(const char *path)
{
	free(ctx.cfg.update.root);
	ctx.cfg.update.root = path ? strdup(path) : NULL;
}

static void assert_same_file(const char *a, const char *b)
{
	uint8_t *x = NULL, *y = NULL;
	size_t xl = 0, yl = 0;

	assert_int_equal(gw_read_file(a, 1u << 20, &x, &xl, NULL), 0);
	assert_int_equal(gw_read_file(b, 1u << 20, &y, &yl, NULL), 0);
	assert_int_equal(xl, yl);
	assert_memory_equal(x, y, xl);
	free(x);
	free(y);
}

static uint8_t *slurp(const char *path, size_t *len)
{
	uint8_t *b = NULL;

	assert_int_equal(gw_read_file(path, 1u << 20, &b, len, NULL), 0);
	return b;
}

static void test_pin_and_rotate(void **state)
{
	struct root *r = NULL, *r2 = NULL;
	gw_error err = { { 0 } };
	time_t now = time(NULL);
	uint8_t *v1, *v2;
	size_t l1, l2;
	int rc;

	(void)state;
	set_config_root(NULL);
	assert_int_equal(update_root_load(&ctx, now, &r, &err), GW_E_NOTFOUND);
	assert_non_null(strstr(err.msg, "no 'root' in the config's [update]"));

	set_config_root(ROOTS "/good/root-v1.json");
	rc = update_root_load(&ctx, now, &r, &err);
	if (rc)
		fail_msg("%s", gw_error_msg(&err, rc));
	assert_int_equal(r->version, 1);
	assert_same_file(pinned, ROOTS "/good/root-v1.json");

	/* Once pinned, the config's file is not read again. */
	set_config_root(ROOTS "/good/root-v2.json");
	assert_int_equal(update_root_load(&ctx, now, &r2, &err), 0);
	assert_int_equal(r2->version, 1);
	root_free(r2);
	r2 = NULL;

	v1 = slurp(ROOTS "/good/root-v1.json", &l1);
	v2 = slurp(ROOTS "/good/root-v2.json", &l2);
	/* The same root again is already pinned. */
	assert_int_equal(update_root_pin(&ctx, r, v1, l1, now, &err), 0);
	rc = update_root_pin(&ctx, r, v2, l2, now, &err);
	if (rc)
		fail_msg("%s", gw_error_msg(&err, rc));
	assert_same_file(pinned, ROOTS "/good/root-v2.json");
	assert_int_equal(update_root_load(&ctx, now, &r2, &err), 0);
	assert_int_equal(r2->version, 2);

	/* Version 1 replayed over 2: refused, 2 stays. */
	assert_int_equal(update_root_pin(&ctx, r2, v1, l1, now, &err), GW_E_STATE);
	assert_non_null(strstr(err.msg, "new trust root version 1: "));
	assert_same_file(pinned, ROOTS "/good/root-v2.json");
	/* Garbage is a parse error naming what it was. */
	assert_int_equal(update_root_pin(&ctx, r2, (const uint8_t *)"{}", 2, now, &err),
			 GW_E_PARSE);
	assert_non_null(strstr(err.msg, "new trust root: "));
	assert_same_file(pinned, ROOTS "/good/root-v2.json");
	free(v1);
	free(v2);
	root_free(r);
	root_free(r2);
}

/* A config root that does not verify is never pinned. */
static void test_bad_config_root(void **state)
{
	static const struct {
		const char *file;
		int rc;
	} cases[] = {
		{ "expired.json", GW_E_STATE },
		{ "below-threshold.json", GW_E_SIGNATURE },
		{ "tampered-payload.json", GW_E_SIGNATURE },
		{ "not-envelope.json", GW_E_PARSE },
	};
	char path[256];

	(void)state;
	for (size_t i = 0; i < GW_ARRAY_SIZE(cases); i++) {
		struct root *r = NULL;
		gw_error err = { { 0 } };
		int rc;

		snprintf(path, sizeof(path), ROOTS "/bad/%s", cases[i].file);
		set_config_root(path);
		rc = update_root_load(&ctx, time(NULL), &r, &err);
		if (rc != cases[i].rc)
			fail_msg("%s: got %d (%s)", cases[i].file, rc, gw_error_msg(&err, rc));
		assert_null(r);
		assert_non_null(strstr(err.msg, path));
		assert_int_equal(access(pinned, F_OK), -1);
	}
	set_config_root("/nonexistent/root.json");
	{
		struct root *r = NULL;
		gw_error err = { { 0 } };

		assert_int_equal(update_root_load(&ctx, time(NULL), &r, &err), GW_E_NOTFOUND);
		assert_non_null(strstr(err.msg, "/nonexistent/root.json ([update] root) does not exist"));
	}
}

/* A pinned root that has expired since is an error, not a reason to fall back to
 * the config's. */
static void test_pinned_expired(void **state)
{
	struct root *r = NULL;
	gw_error err = { { 0 } };

	(void)state;
	set_config_root(ROOTS "/good/root-v1.json");
	assert_int_equal(update_root_load(&ctx, time(NULL), &r, &err), 0);
	root_free(r);
	r = NULL;
	assert_int_equal(update_root_load(&ctx, (time_t)4102444800 /* 2100 */, &r, &err),
			 GW_E_STATE);
	assert_non_null(strstr(err.msg, pinned));
	assert_null(r);
	/* Measuring, commit and rollback still get it, signatures checked. */
	bool expired = false;
	assert_int_equal(update_root_load_any(&ctx, (time_t)4102444800, &expired, &r, &err), 0);
	assert_true(expired);
	assert_non_null(r);
	root_free(r);
	r = NULL;
	assert_int_equal(update_root_load_any(&ctx, time(NULL), &expired, &r, &err), 0);
	assert_false(expired);
	root_free(r);
}

/* The root a group was installed under is kept as root.N.json: adopted for a
 * format 1 state, refused when root.json is not that root, missing when a
 * manifest names it, and gone once no group refers to it. */
static void test_keep_and_adopt(void **state)
{
	struct root *r = NULL, *r2 = NULL;
	struct update_state st;
	struct manifest *m = NULL;
	gw_error err = { { 0 } };
	char kept[160], manifest[160];
	int rc;

	(void)state;
	snprintf(kept, sizeof(kept), "%s/update/root.1.json", dir);
	snprintf(manifest, sizeof(manifest), "%s/update/A.manifest.dsse", dir);
	set_config_root(ROOTS "/good/root-v1.json");
	assert_int_equal(update_root_load(&ctx, time(NULL), &r, &err), 0);
	assert_int_equal(root_load(ROOTS "/good/root-v2.json", &r2, &err), 0);
	assert_int_equal(update_root_keep(&ctx, r2, &err), GW_E_STATE);
	assert_non_null(strstr(err.msg, "changed while it was read"));
	assert_int_equal(access(kept, F_OK), -1);

	/* Nothing installed: nothing to adopt, nothing written. */
	update_state_init(&st);
	assert_int_equal(update_state_adopt_root(&ctx, &st, r, &err), 0);
	assert_int_equal(access(kept, F_OK), -1);
	st.group[BL_GROUP_A].has_manifest = true;
	rc = update_state_adopt_root(&ctx, &st, r, &err);
	if (rc)
		fail_msg("%s", gw_error_msg(&err, rc));
	assert_int_equal(st.group[BL_GROUP_A].root_version, 1);
	assert_int_equal(st.group[BL_GROUP_B].root_version, 0);
	assert_same_file(kept, ROOTS "/good/root-v1.json");
	memset(&st, 0, sizeof(st));
	assert_int_equal(update_state_load(&ctx, &st, &err), 0);
	assert_int_equal(st.group[BL_GROUP_A].root_version, 1);

	/* A manifest installed under a root that is gone. */
	st.group[BL_GROUP_A].root_version = 7;
	assert_int_equal(update_state_save(&ctx, &st, &err), 0);
	assert_int_equal(access(kept, F_OK), -1);
	{
		FILE *f = fopen(manifest, "w");

		assert_non_null(f);
		assert_int_equal(fclose(f), 0);
	}
	assert_int_equal(update_manifest_load(&ctx, r, BL_GROUP_A, &m, &err), GW_E_STATE);
	assert_non_null(strstr(err.msg, "installed under trust root version 7, and "));
	assert_null(m);
	root_free(r);
	root_free(r2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pin_and_rotate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_config_root, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pinned_expired, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keep_and_adopt, setup, teardown),
	};

	return cmocka_run_group_tests_name("update_pin", tests, NULL, NULL);
}
