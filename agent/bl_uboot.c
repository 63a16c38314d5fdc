// SPDX-License-Identifier: Apache-2.0
// The uboot backend: BOOT_ORDER, BOOT_A_OK, BOOT_A_LEFT, BOOT_B_OK, BOOT_B_LEFT in
// a redundant U-Boot environment through libubootenv, which writes the copy that
// is not current (CRC and a higher flag byte) so a power cut leaves the other.
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libuboot.h>

#include "bl_internal.h"
#include "util.h"

#define FW_ENV_CONFIG_MAX 65536

/* A single copy would be rewritten in place: refuse it rather than lose both the
 * old and the new state to a power cut. Counts the lines that name a device. */
static int check_redundant(const char *path, gw_error *err)
{
	uint8_t *text = NULL;
	size_t len = 0, copies = 0;
	int rc = gw_read_file(path, FW_ENV_CONFIG_MAX, &text, &len, err);

	if (rc)
		return rc;
	for (char *s = (char *)text; s && *s;) {
		char *nl = strchr(s, '\n');

		s += strspn(s, " \t\r");
		if (*s && *s != '#' && *s != '\n')
			copies++;
		s = nl ? nl + 1 : NULL;
	}
	free(text);
	if (copies != 2)
		return gw_fail(err, GW_E_CONFIG, "%s names %zu environment cop%s: Gatewarden needs "
			       "a redundant environment (two lines) so that a power cut during a "
			       "write leaves the other copy", path, copies, copies == 1 ? "y" : "ies");
	return 0;
}

static int env_open(struct bootloader *bl, struct uboot_ctx **out, gw_error *err)
{
	struct uboot_ctx *ctx = NULL;
	int r, rc = check_redundant(bl->path, err);

	if (rc)
		return rc;
	if (libuboot_initialize(&ctx, NULL) < 0)
		return GW_E_NOMEM;
	r = libuboot_read_config(ctx, bl->path);
	if (r < 0) {
		libuboot_exit(ctx);
		return gw_fail(err, GW_E_CONFIG, "libubootenv cannot use %s: %s", bl->path,
			       strerror(-r));
	}
	r = libuboot_open(ctx);
	/* -ENODATA: neither copy has a good CRC (a fresh device): U-Boot then boots
	 * its default environment, and the snippet's defaults apply. */
	if (r < 0 && r != -ENODATA) {
		libuboot_close(ctx);
		libuboot_exit(ctx);
		return gw_fail(err, GW_E_IO, "reading the environment named by %s: %s", bl->path,
			       strerror(-r));
	}
	*out = ctx;
	return 0;
}

static void env_close(struct uboot_ctx *ctx)
{
	libuboot_close(ctx);
	libuboot_exit(ctx);
}

static int uboot_load(struct bootloader *bl, struct bl_env *env, gw_error *err)
{
	struct uboot_ctx *ctx = NULL;
	char *vals[BL_NVARS] = { 0 };
	int rc = env_open(bl, &ctx, err);

	if (rc)
		return rc;
	for (int i = 0; i < BL_NVARS; i++)
		vals[i] = libuboot_get_env(ctx, bl_uboot_vars[i]);
	rc = bl_env_from_values(bl_uboot_vars, (const char *const *)vals, env, err);
	for (int i = 0; i < BL_NVARS; i++)
		free(vals[i]);
	env_close(ctx);
	return rc;
}

/* All five variables in one libuboot_env_store: one write of one copy. */
static int uboot_store(struct bootloader *bl, const struct bl_env *env, gw_error *err)
{
	struct uboot_ctx *ctx = NULL;
	char vals[BL_NVARS][BL_VAL_MAX];
	int r = 0, rc = env_open(bl, &ctx, err);

	if (rc)
		return rc;
	bl_env_to_values(env, vals);
	for (int i = 0; i < BL_NVARS && r >= 0; i++)
		r = libuboot_set_env(ctx, bl_uboot_vars[i], vals[i]);
	if (r >= 0)
		r = libuboot_env_store(ctx);
	if (r < 0)
		rc = gw_fail(err, GW_E_IO, "libubootenv: storing the environment: %s",
			     strerror(-r));
	env_close(ctx);
	return rc;
}

const struct bl_ops bl_uboot_ops = {
	.load = uboot_load,
	.store = uboot_store,
	.booted = NULL,
	.boot = bl_env_boot,
};
