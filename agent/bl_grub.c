// SPDX-License-Identifier: Apache-2.0
// The grub backend: ORDER, A_OK, A_TRY, B_OK, B_TRY in a grubenv file, replaced
// as a whole (temporary file, fsync, rename, fsync dir) rather than rewritten in
// place as grub-editenv does, so a power cut leaves the old block or the new one.
#include <stdlib.h>
#include <string.h>

#include "bl_internal.h"
#include "util.h"

int bl_grubenv_read(const char *path, struct bl_grubenv *out, gw_error *err)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc = gw_read_file(path, BL_GRUBENV_SIZE, &buf, &len, err);

	if (rc == GW_E_NOTFOUND) {
		/* grub's load_env finds nothing either: the snippet's defaults. */
		memset(out, 0, sizeof(*out));
		rc = 0;
	} else if (rc == GW_E_TOOBIG) {
		rc = gw_fail(err, GW_E_PARSE, "environment block is larger than %d bytes",
			     BL_GRUBENV_SIZE);
	} else if (!rc) {
		rc = bl_grubenv_parse(buf, len, out, err);
	}
	free(buf);
	return rc;
}

int bl_grubenv_load(const char *path, struct bl_env *env, gw_error *err)
{
	struct bl_grubenv genv = { 0 };
	const char *vals[BL_NVARS];
	int rc = bl_grubenv_read(path, &genv, err);

	if (!rc) {
		for (int i = 0; i < BL_NVARS; i++)
			vals[i] = bl_grubenv_get(&genv, bl_grub_vars[i]);
		rc = bl_env_from_values(bl_grub_vars, vals, env, err);
	}
	bl_grubenv_fini(&genv);
	return rc;
}

int bl_grubenv_write_env(const char *path, const struct bl_env *env, const char *extra_name,
			 const char *extra_value, gw_error *err)
{
	struct bl_grubenv genv = { 0 };
	char vals[BL_NVARS][BL_VAL_MAX];
	uint8_t block[BL_GRUBENV_SIZE];
	int rc;

	/* Other variables (grub's own saved_entry, the integrator's) stay as they are;
	 * an unreadable block is not overwritten. */
	rc = bl_grubenv_read(path, &genv, err);
	if (rc)
		goto out;
	bl_env_to_values(env, vals);
	for (int i = 0; i < BL_NVARS && !rc; i++)
		rc = bl_grubenv_set(&genv, bl_grub_vars[i], vals[i]);
	if (!rc && extra_name)
		rc = bl_grubenv_set(&genv, extra_name, extra_value);
	if (rc)
		goto out;
	rc = bl_grubenv_format(&genv, block, err);
	if (rc)
		goto out;
	rc = gw_write_file_atomic(path, block, sizeof(block), 0644, err);
out:
	bl_grubenv_fini(&genv);
	return rc;
}

static int grub_load(struct bootloader *bl, struct bl_env *env, gw_error *err)
{
	return bl_grubenv_load(bl->path, env, err);
}

static int grub_store(struct bootloader *bl, const struct bl_env *env, gw_error *err)
{
	return bl_grubenv_write_env(bl->path, env, NULL, NULL, err);
}

const struct bl_ops bl_grub_ops = {
	.load = grub_load,
	.store = grub_store,
	.booted = NULL,
	.boot = bl_env_boot,
};
