// SPDX-License-Identifier: Apache-2.0
// Unit tests for the parsers of bootloader state: GRUB environment blocks (good and
// bad fixtures), the A/B variables, systemd-boot entry names, loader.conf's
// default and the kernel command line.
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bl_internal.h"
#include "util.h"

#define FIXTURES "agent/tests/fixtures/bootloader/grubenv"

static int parse_fixture(const char *dir, const char *name, struct bl_grubenv *env,
			 struct bl_env *abenv, gw_error *err)
{
	char path[512];
	uint8_t *buf = NULL;
	size_t len = 0;
	const char *vals[BL_NVARS];
	int rc;

	assert_true(snprintf(path, sizeof(path), "%s/%s", dir, name) < (int)sizeof(path));
	assert_int_equal(gw_read_file(path, 1 << 20, &buf, &len, err), 0);
	rc = bl_grubenv_parse(buf, len, env, err);
	free(buf);
	if (rc)
		return rc;
	for (int i = 0; i < BL_NVARS; i++)
		vals[i] = bl_grubenv_get(env, bl_grub_vars[i]);
	rc = bl_env_from_values(bl_grub_vars, vals, abenv, err);
	if (rc)
		bl_grubenv_fini(env);
	return rc;
}

/* Every good fixture parses, and formats back to the very same bytes. */
static void test_grubenv_good(void **state)
{
	DIR *d = opendir(FIXTURES "/good");
	struct dirent *de;
	int n = 0;

	(void)state;
	assert_non_null(d);
	while ((de = readdir(d))) {
		struct bl_grubenv env = { 0 };
		struct bl_env ab;
		gw_error err = { { 0 } };
		uint8_t out[BL_GRUBENV_SIZE];
		uint8_t *orig = NULL;
		size_t len = 0;
		char path[512];
		int rc;

		if (de->d_name[0] == '.')
			continue;
		rc = parse_fixture(FIXTURES "/good", de->d_name, &env, &ab, &err);
		if (rc)
			fail_msg("%s: %s", de->d_name, gw_error_msg(&err, rc));
		assert_int_equal(bl_grubenv_format(&env, out, &err), 0);
		snprintf(path, sizeof(path), FIXTURES "/good/%s", de->d_name);
		assert_int_equal(gw_read_file(path, 4096, &orig, &len, &err), 0);
		assert_int_equal(len, BL_GRUBENV_SIZE);
		if (memcmp(orig, out, len))
			fail_msg("%s: formats to other bytes", de->d_name);
		free(orig);
		if (!strcmp(de->d_name, "ours.env")) {
			assert_int_equal(ab.primary, BL_GROUP_B);
			assert_false(ab.ok[0]);
			assert_true(ab.ok[1]);
			assert_int_equal(ab.tries[0], 3);
		}
		if (!strcmp(de->d_name, "escaped.env"))
			assert_string_equal(bl_grubenv_get(&env, "kernel_args"), "a\\b\nc");
		if (!strcmp(de->d_name, "unknown-vars.env"))
			assert_string_equal(bl_grubenv_get(&env, "saved_entry"), "gnulinux-advanced");
		bl_grubenv_fini(&env);
		n++;
	}
	closedir(d);
	assert_true(n >= 6);
}

/* Every bad fixture is refused with GW_E_PARSE and a detail. */
static void test_grubenv_bad(void **state)
{
	DIR *d = opendir(FIXTURES "/bad");
	struct dirent *de;
	int n = 0;

	(void)state;
	assert_non_null(d);
	while ((de = readdir(d))) {
		struct bl_grubenv env = { 0 };
		struct bl_env ab;
		gw_error err = { { 0 } };
		int rc;

		if (de->d_name[0] == '.')
			continue;
		rc = parse_fixture(FIXTURES "/bad", de->d_name, &env, &ab, &err);
		if (rc != GW_E_PARSE)
			fail_msg("%s: got %d (%s), wanted GW_E_PARSE", de->d_name, rc,
				 gw_error_msg(&err, rc));
		assert_true(strlen(err.msg) > 0);
		n++;
	}
	closedir(d);
	assert_true(n >= 20);
}

/* The detail names the variable and its value. */
static void test_values_named(void **state)
{
	const char *vals[BL_NVARS] = { "A B", "1", "0", "0", "12" };
	struct bl_env env;
	gw_error err = { { 0 } };

	(void)state;
	assert_int_equal(bl_env_from_values(bl_uboot_vars, vals, &env, &err), GW_E_PARSE);
	assert_non_null(strstr(err.msg, "BOOT_B_LEFT='12'"));
	vals[4] = NULL;
	vals[BL_VAR_ORDER] = "C A";
	assert_int_equal(bl_env_from_values(bl_grub_vars, vals, &env, &err), GW_E_PARSE);
	assert_non_null(strstr(err.msg, "ORDER='C A'"));
}

/* Variables that do not fit are refused, not truncated. */
static void test_grubenv_too_big(void **state)
{
	struct bl_grubenv env = { 0 };
	uint8_t out[BL_GRUBENV_SIZE];
	char big[1100];
	gw_error err = { { 0 } };

	(void)state;
	memset(big, 'v', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(bl_grubenv_set(&env, "x", big + 10), 0);
	assert_int_equal(bl_grubenv_format(&env, out, &err), GW_E_TOOBIG);
	assert_int_equal(bl_grubenv_set(&env, "x", "\\\n"), 0);
	assert_int_equal(bl_grubenv_format(&env, out, &err), 0);
	assert_memory_equal(out + strlen(BL_GRUBENV_SIG), "x=\\\\\\\n\n#", 8);
	bl_grubenv_fini(&env);
}

static void test_sdboot_names(void **state)
{
	static const struct {
		const char *name;
		int rc;	/* 1 ours, 0 not ours, else the error */
		enum bl_group g;
		int left;
		unsigned done;
	} cases[] = {
		{ "gatewarden-a.conf", 1, BL_GROUP_A, -1, 0 },
		{ "gatewarden-b+3.conf", 1, BL_GROUP_B, 3, 0 },
		{ "gatewarden-b+2-1.conf", 1, BL_GROUP_B, 2, 1 },
		{ "gatewarden-a+0-7.conf", 1, BL_GROUP_A, 0, 7 },
		{ "gatewarden-a+03.conf", 1, BL_GROUP_A, 3, 0 },
		{ "GATEWARDEN-A.CONF", 1, BL_GROUP_A, -1, 0 },
		{ "gatewarden-a+10.conf", GW_E_PARSE, 0, 0, 0 },
		{ "gatewarden-a+x.conf", GW_E_PARSE, 0, 0, 0 },
		{ "gatewarden-a+.conf", GW_E_PARSE, 0, 0, 0 },
		{ "gatewarden-a+1-.conf", GW_E_PARSE, 0, 0, 0 },
		{ "gatewarden-a+1-2-3.conf", GW_E_PARSE, 0, 0, 0 },
		{ "gatewarden-a+-1.conf", GW_E_PARSE, 0, 0, 0 },
		{ "gatewarden-a+1-1000000.conf", GW_E_PARSE, 0, 0, 0 },
		{ "gatewarden-a+1+2.conf", GW_E_PARSE, 0, 0, 0 },
		{ "gatewarden-a+5x.conf", GW_E_PARSE, 0, 0, 0 },
		{ "gatewarden-a+99999999999999999999.conf", GW_E_PARSE, 0, 0, 0 },
		{ "gatewarden-ab.conf", 0, 0, 0, 0 },
		{ "gatewarden-c.conf", 0, 0, 0, 0 },
		{ "gatewarden-.conf", 0, 0, 0, 0 },
		{ "gatewarden-a.conf.tmp.0011", 0, 0, 0, 0 },
		{ "gatewarden-a+3.conf~", 0, 0, 0, 0 },
		{ ".gatewarden-a.conf", 0, 0, 0, 0 },
		{ "debian-6.1.conf", 0, 0, 0, 0 },
		{ "gatewarden", 0, 0, 0, 0 },
		{ "", 0, 0, 0, 0 },
	};

	(void)state;
	for (size_t i = 0; i < GW_ARRAY_SIZE(cases); i++) {
		enum bl_group g = BL_GROUP_A;
		int left = 99;
		unsigned done = 99;
		gw_error err = { { 0 } };
		int rc = bl_sdboot_name_parse(cases[i].name, "gatewarden-", &g, &left, &done, &err);

		if (rc != cases[i].rc)
			fail_msg("%s: got %d, wanted %d", cases[i].name, rc, cases[i].rc);
		if (rc == 1) {
			assert_int_equal(g, cases[i].g);
			assert_int_equal(left, cases[i].left);
			assert_int_equal(done, cases[i].done);
		}
		if (rc < 0)
			assert_non_null(strstr(err.msg, cases[i].name));
	}
}

static void test_loader_conf(void **state)
{
	static const struct {
		const char *text;
		int rc;
		enum bl_sdboot_default_kind kind;
		enum bl_group g;
	} cases[] = {
		{ "", 0, BL_SDDEF_NONE, 0 },
		{ "timeout 3\n# default x\n", 0, BL_SDDEF_NONE, 0 },
		{ "default gatewarden-a[.+]*\n", 0, BL_SDDEF_PRIMARY, BL_GROUP_A },
		{ "timeout 0\n  default\tgatewarden-b+[1-9]*  \r\n", 0, BL_SDDEF_TRIAL, BL_GROUP_B },
		{ "default \"gatewarden-b[.+]*\"", 0, BL_SDDEF_PRIMARY, BL_GROUP_B },
		{ "default gatewarden-a[.+]*\ndefault gatewarden-b+[1-9]*\n", 0, BL_SDDEF_TRIAL,
		  BL_GROUP_B },
		{ "default gatewarden-a.conf\n", GW_E_PARSE, 0, 0 },
		{ "default @saved\n", GW_E_PARSE, 0, 0 },
		{ "default gatewarden-*\n", GW_E_PARSE, 0, 0 },
		{ "default gatewarden-b[.+]*\ndefault debian-*\n", GW_E_PARSE, 0, 0 },
		{ "default gatewarden-c[.+]*\n", GW_E_PARSE, 0, 0 },
	};

	(void)state;
	for (size_t i = 0; i < GW_ARRAY_SIZE(cases); i++) {
		struct bl_sdboot_default d = { BL_SDDEF_PRIMARY, BL_GROUP_B };
		gw_error err = { { 0 } };
		int rc = bl_loader_conf_parse(cases[i].text, strlen(cases[i].text), "gatewarden-", &d,
					      &err);

		if (rc != cases[i].rc)
			fail_msg("case %zu: got %d (%s)", i, rc, gw_error_msg(&err, rc));
		if (!rc) {
			assert_int_equal(d.kind, cases[i].kind);
			if (d.kind != BL_SDDEF_NONE)
				assert_int_equal(d.group, cases[i].g);
		}
	}
}

/* Replacing the default keeps every other line and leaves one default. */
static void test_loader_conf_set(void **state)
{
	static const char in[] = "timeout 3\ndefault gatewarden-a[.+]*\neditor no\n"
				 "default gatewarden-b+[1-9]*";
	char *out = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(bl_loader_conf_set_default(in, strlen(in), "gatewarden-b[.+]*", &out,
						    &len), 0);
	assert_string_equal(out, "timeout 3\ndefault gatewarden-b[.+]*\neditor no\n");
	assert_int_equal(len, strlen(out));
	free(out);
	assert_int_equal(bl_loader_conf_set_default("editor no", 9, "p", &out, &len), 0);
	assert_string_equal(out, "editor no\ndefault p\n");
	free(out);
}

static void test_cmdline(void **state)
{
	static const struct {
		const char *text;
		int rc;
		enum bl_group g;
	} cases[] = {
		{ "BOOT_IMAGE=/vmlinuz root=/dev/sda2 gatewarden.slot=A ro quiet\n", 0, BL_GROUP_A },
		{ "gatewarden.slot=B", 0, BL_GROUP_B },
		{ "gatewarden.slot=\"B\"\n", 0, BL_GROUP_B },
		{ "\"gatewarden.slot=A\"", 0, BL_GROUP_A },
		{ "ro\tgatewarden.slot=A\t", 0, BL_GROUP_A },
		{ "root=/dev/sda2 ro\n", GW_E_NOTFOUND, 0 },
		{ "", GW_E_NOTFOUND, 0 },
		{ "gatewarden.slot=A gatewarden.slot=B", GW_E_PARSE, 0 },
		{ "gatewarden.slot=A gatewarden.slot=A", GW_E_PARSE, 0 },
		{ "gatewarden.slot=C", GW_E_PARSE, 0 },
		{ "gatewarden.slot=", GW_E_PARSE, 0 },
		{ "gatewarden.slot=AB", GW_E_PARSE, 0 },
		{ "gatewarden.slot=a", GW_E_PARSE, 0 },
		{ "gatewarden.slot", GW_E_NOTFOUND, 0 },
		/* inside another parameter's quoted value: not a parameter */
		{ "dyndbg=\"x gatewarden.slot=B\" gatewarden.slot=A", 0, BL_GROUP_A },
		/* after "--" the words are init's */
		{ "gatewarden.slot=A -- gatewarden.slot=B", 0, BL_GROUP_A },
		{ "-- gatewarden.slot=B", GW_E_NOTFOUND, 0 },
		{ "xgatewarden.slot=A", GW_E_NOTFOUND, 0 },
		{ "gatewarden.slotx=A", GW_E_NOTFOUND, 0 },
	};

	(void)state;
	for (size_t i = 0; i < GW_ARRAY_SIZE(cases); i++) {
		enum bl_group g = BL_GROUP_B;
		gw_error err = { { 0 } };
		int rc = bl_cmdline_parse(cases[i].text, strlen(cases[i].text), &g, &err);

		if (rc != cases[i].rc)
			fail_msg("'%s': got %d (%s), wanted %d", cases[i].text, rc,
				 gw_error_msg(&err, rc), cases[i].rc);
		if (!rc)
			assert_int_equal(g, cases[i].g);
	}
	{
		enum bl_group g;
		gw_error err = { { 0 } };

		assert_int_equal(bl_cmdline_parse("gatewarden.slot=A\0x", 19, &g, &err), GW_E_PARSE);
	}
}

static void test_decide(void **state)
{
	struct bl_env env;
	enum bl_group g;
	gw_error err = { { 0 } };

	(void)state;
	bl_env_defaults(&env);
	env.tries[BL_GROUP_B] = 1;
	assert_int_equal(bl_env_decide(&env, &g, &err), 0);
	assert_int_equal(g, BL_GROUP_B);
	assert_int_equal(env.tries[BL_GROUP_B], 0);
	assert_int_equal(bl_env_decide(&env, &g, &err), 0);
	assert_int_equal(g, BL_GROUP_A);
	env.ok[BL_GROUP_A] = false;
	env.ok[BL_GROUP_B] = true;
	assert_int_equal(bl_env_decide(&env, &g, &err), 0);
	assert_int_equal(g, BL_GROUP_B); /* the primary is not bootable: the other */
	env.ok[BL_GROUP_B] = false;
	assert_int_equal(bl_env_decide(&env, &g, &err), GW_E_NOTFOUND);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grubenv_good),
		cmocka_unit_test(test_grubenv_bad),
		cmocka_unit_test(test_values_named),
		cmocka_unit_test(test_grubenv_too_big),
		cmocka_unit_test(test_sdboot_names),
		cmocka_unit_test(test_loader_conf),
		cmocka_unit_test(test_loader_conf_set),
		cmocka_unit_test(test_cmdline),
		cmocka_unit_test(test_decide),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
