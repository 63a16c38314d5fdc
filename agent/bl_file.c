// SPDX-License-Identifier: Apache-2.0
// The file backend, a simulated bootloader for tests and the demo: its state file
// is a GRUB environment block with the grub backend's variables plus BOOTED (the
// group its last simulated power-on picked), written atomically, so
// `grub-editenv FILE list` shows it and grub's rules are the ones it follows.
#include <stdlib.h>
#include <string.h>

#include "bl_internal.h"
#include "util.h"

#define BL_FILE_BOOTED "BOOTED"

static int file_load(struct bootloader *bl, struct bl_env *env, gw_error *err)
{
	return bl_grubenv_load(bl->path, env, err);
}

static int file_store(struct bootloader *bl, const struct bl_env *env, gw_error *err)
{
	return bl_grubenv_write_env(bl->path, env, NULL, NULL, err);
}

static int file_booted(struct bootloader *bl, enum bl_group *out, gw_error *err)
{
	struct bl_grubenv genv = { 0 };
	const char *b;
	int rc = bl_grubenv_read(bl->path, &genv, err);

	if (rc)
		goto out;
	b = bl_grubenv_get(&genv, BL_FILE_BOOTED);
	if (!b) {
		rc = gw_fail(err, GW_E_NOTFOUND, "%s: the simulated bootloader has not booted "
			     "yet (no " BL_FILE_BOOTED ")", bl->path);
	} else if (!strcmp(b, "A") || !strcmp(b, "B")) {
		*out = b[0] == 'A' ? BL_GROUP_A : BL_GROUP_B;
	} else {
		rc = gw_fail(err, GW_E_PARSE, "%s: " BL_FILE_BOOTED "='%.40s': not A or B",
			     bl->path, b);
	}
out:
	bl_grubenv_fini(&genv);
	return rc;
}

/* One write: the spent try and the booted group land together or not at all. */
static int file_boot(struct bootloader *bl, enum bl_group *out, gw_error *err)
{
	struct bl_env env;
	enum bl_group g;
	char b[2] = { 0, 0 };
	int rc = file_load(bl, &env, err);

	if (rc)
		return rc;
	rc = bl_env_decide(&env, &g, err);
	if (rc)
		return rc;
	b[0] = bl_group_char(g);
	rc = bl_grubenv_write_env(bl->path, &env, BL_FILE_BOOTED, b, err);
	if (!rc)
		*out = g;
	return rc;
}

const struct bl_ops bl_file_ops = {
	.load = file_load,
	.store = file_store,
	.booted = file_booted,
	.boot = file_boot,
};
