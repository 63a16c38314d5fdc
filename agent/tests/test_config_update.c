// SPDX-License-Identifier: Apache-2.0
// Unit tests for the agent configuration's [update] and [slot GROUP.CLASS]
// sections: good files, and one bad fixture per error, each named with its line.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "agent.h"
#include "util.h"

#define FIXTURES "agent/tests/fixtures/config_update"

static int load(const char *path, struct agent_config *cfg, gw_error *err)
{
	agent_config_defaults(cfg);
	return agent_config_load(path, cfg, err);
}

static void assert_slot(const struct agent_config *cfg, enum bl_group g, const char *cls,
			const char *device)
{
	const struct agent_slot *s = config_update_slot(&cfg->update, g, cls);

	if (!s)
		fail_msg("no slot %c.%s", bl_group_char(g), cls);
	assert_string_equal(s->device, device);
}

static void test_full(void **state)
{
	struct agent_config cfg;
	gw_error err = { { 0 } };
	int rc;

	(void)state;
	rc = load(FIXTURES "/good/full.conf", &cfg, &err);
	if (rc)
		fail_msg("%s", gw_error_msg(&err, rc));
	assert_true(cfg.update.configured);
	assert_string_equal(cfg.update.root, "/etc/gatewarden/root.json");
	assert_string_equal(cfg.update.channel, "stable");
	assert_true(cfg.update.authorization_none);
	assert_true(cfg.update.bootloader_set);
	assert_int_equal(cfg.update.bootloader, BL_GRUB);
	assert_string_equal(cfg.update.bootloader_path, "/boot/grub/grubenv");
	assert_string_equal(cfg.update.cmdline, "/run/cmdline");
	assert_int_equal(cfg.update.trial_tries, 3);
	assert_string_equal(cfg.update.reboot_command, "/bin/systemctl reboot");
	assert_int_equal(cfg.update.history_max, 250);
	assert_int_equal(cfg.update.nslots, 4);
	assert_slot(&cfg, BL_GROUP_A, "rootfs", "/dev/mmcblk0p2");
	assert_slot(&cfg, BL_GROUP_A, "kernel", "/dev/mmcblk0p4");
	assert_slot(&cfg, BL_GROUP_B, "rootfs", "/dev/mmcblk0p3");
	assert_slot(&cfg, BL_GROUP_B, "kernel", "/var/lib/images/kernel-b.img");
	assert_null(config_update_slot(&cfg.update, BL_GROUP_A, "app"));
	agent_config_fini(&cfg);
	assert_null(cfg.update.slots);
	assert_null(cfg.update.root);
}

/* Defaults for what is left out; a device given twice keeps the last one. */
static void test_minimal(void **state)
{
	struct agent_config cfg;
	gw_error err = { { 0 } };
	int rc;

	(void)state;
	rc = load(FIXTURES "/good/minimal.conf", &cfg, &err);
	if (rc)
		fail_msg("%s", gw_error_msg(&err, rc));
	assert_string_equal(cfg.update.channel, "beta_1.x");
	assert_int_equal(cfg.update.bootloader, BL_FILE);
	assert_null(cfg.update.cmdline);
	assert_null(cfg.update.reboot_command);
	assert_int_equal(cfg.update.trial_tries, 1);
	assert_int_equal(cfg.update.history_max, 1000);
	assert_false(cfg.update.authorization_none);
	assert_int_equal(cfg.update.nslots, 2);
	assert_slot(&cfg, BL_GROUP_A, "rootfs", "/dev/sda5");
	assert_slot(&cfg, BL_GROUP_B, "rootfs", "/dev/sda3");
	agent_config_fini(&cfg);
}

static void test_none_and_max(void **state)
{
	struct agent_config cfg;
	gw_error err = { { 0 } };
	int rc;

	(void)state;
	rc = load(FIXTURES "/good/none.conf", &cfg, &err);
	if (rc)
		fail_msg("%s", gw_error_msg(&err, rc));
	assert_false(cfg.update.configured);
	assert_int_equal(cfg.update.nslots, 0);
	assert_int_equal(cfg.update.trial_tries, 1);
	agent_config_fini(&cfg);
	rc = load(FIXTURES "/good/max-classes.conf", &cfg, &err);
	if (rc)
		fail_msg("%s", gw_error_msg(&err, rc));
	assert_int_equal(cfg.update.nslots, 2 * AGENT_MAX_SLOT_CLASSES);
	assert_slot(&cfg, BL_GROUP_B, "c7", "/dev/b7");
	agent_config_fini(&cfg);
}

struct bad_case {
	const char *file;
	int line;
	const char *detail;
};

static const struct bad_case bad_cases[] = {
	{ "update-unknown-key.conf", 6, "[update]: unknown key 'colour'" },
	{ "bootloader-bad.conf", 6, "bootloader 'lilo': use file, grub, uboot or systemd-boot" },
	{ "trial-tries-zero.conf", 6, "trial_tries '0': use 1 to 9" },
	{ "trial-tries-high.conf", 6, "trial_tries '10': use 1 to 9" },
	{ "trial-tries-nan.conf", 6, "trial_tries 'one'" },
	{ "history-max-zero.conf", 6, "history_max '0': use 1 to 10000" },
	{ "authorization-bad.conf", 6, "authorization 'optional': use required or none" },
	{ "history-max-high.conf", 6, "history_max '10001': use 1 to 10000" },
	{ "history-max-nan.conf", 6, "history_max 'many'" },
	{ "channel-bad.conf", 6, "[update]: bad value for 'channel': 'st able'" },
	{ "root-empty.conf", 6, "[update]: bad value for 'root'" },
	{ "slot-group-c.conf", 6, "[slot C.rootfs]: a slot section is [slot A.CLASS]" },
	{ "slot-no-class.conf", 6, "[slot A.]: a slot section is" },
	{ "slot-no-dot.conf", 6, "[slot Arootfs]: a slot section is" },
	{ "slot-class-slash.conf", 6, "[slot A.root/fs]: a slot section is" },
	{ "slot-unknown-key.conf", 7, "[slot A.rootfs]: unknown key 'path'" },
	{ "slot-device-empty.conf", 7, "[slot A.rootfs]: bad value for 'device'" },
	{ "slot-only-a.conf", 9, "[slot A.app] has no [slot B.app]" },
	{ "slot-same-device.conf", 9,
	  "[slot B.rootfs]: device /dev/sda2 is already the device of [slot A.rootfs] (line 7)" },
	{ "slots-without-update.conf", 4, "[slot A.rootfs] needs an [update] section" },
	{ "update-without-slots.conf", 2, "[update] needs slots" },
	{ "update-no-root.conf", 2, "[update] needs 'root'" },
	{ "update-no-channel.conf", 2, "[update] needs 'channel'" },
	{ "update-no-bootloader.conf", 4, "[update] needs 'bootloader'" },
	{ "update-no-bootloader-path.conf", 2, "[update] needs 'bootloader_path'" },
	{ "too-many-slots.conf", 42, "more than 16 slots" },
	{ "channel-undefined.conf", 2, "[update] channel 'beta' has no [channel beta] section" },
};

static void test_bad_fixtures(void **state)
{
	(void)state;
	for (size_t i = 0; i < GW_ARRAY_SIZE(bad_cases); i++) {
		const struct bad_case *c = &bad_cases[i];
		struct agent_config cfg;
		gw_error err = { { 0 } };
		char path[256], where[256];
		int rc;

		assert_true(snprintf(path, sizeof(path), FIXTURES "/bad/%s", c->file) <
			    (int)sizeof(path));
		assert_true(snprintf(where, sizeof(where), "%s:%d: ", path, c->line) <
			    (int)sizeof(where));
		rc = load(path, &cfg, &err);
		agent_config_fini(&cfg);
		if (rc != GW_E_CONFIG)
			fail_msg("%s: got %d (%s), expected GW_E_CONFIG", c->file, rc,
				 gw_error_msg(&err, rc));
		if (strncmp(err.msg, where, strlen(where)))
			fail_msg("%s: detail \"%s\" does not start with \"%s\"", c->file, err.msg,
				 where);
		if (!strstr(err.msg, c->detail))
			fail_msg("%s: detail \"%s\" lacks \"%s\"", c->file, err.msg, c->detail);
		rc = load(path, &cfg, NULL);
		agent_config_fini(&cfg);
		assert_int_equal(rc, GW_E_CONFIG);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_minimal),
		cmocka_unit_test(test_none_and_max),
		cmocka_unit_test(test_bad_fixtures),
	};

	return cmocka_run_group_tests_name("config_update", tests, NULL, NULL);
}
