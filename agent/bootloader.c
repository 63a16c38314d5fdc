// SPDX-License-Identifier: Apache-2.0
// The bootloader interface: opening a backend, the four orders expressed on the
// shared state model (bl_internal.h), and the booted group read from the kernel
// command line.
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "bl_internal.h"
#include "util.h"

#define BL_CMDLINE_MAX 65536
#define BL_DEFAULT_PREFIX "gatewarden-"

static const char *const kind_names[] = {
	[BL_FILE] = "file",
	[BL_GRUB] = "grub",
	[BL_UBOOT] = "uboot",
	[BL_SYSTEMD_BOOT] = "systemd-boot",
};

const char *bl_kind_name(enum bl_kind kind)
{
	if ((size_t)kind >= GW_ARRAY_SIZE(kind_names))
		return "unknown";
	return kind_names[kind];
}

int bl_kind_parse(const char *s, enum bl_kind *out)
{
	for (size_t i = 0; s && i < GW_ARRAY_SIZE(kind_names); i++) {
		if (!strcmp(s, kind_names[i])) {
			*out = (enum bl_kind)i;
			return 0;
		}
	}
	return GW_E_CONFIG;
}

/* Lower case letters, digits, '-' and '_': systemd-boot compares entry ids in
 * lower case, and the prefix becomes part of a glob pattern. */
static bool prefix_ok(const char *p)
{
	if (!*p || strlen(p) > 64)
		return false;
	for (; *p; p++)
		if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) && *p != '-' &&
		    *p != '_')
			return false;
	return true;
}

int bl_open(const struct bl_config *cfg, struct bootloader **out, gw_error *err)
{
	static const struct bl_ops *const ops[] = {
		[BL_FILE] = &bl_file_ops,
		[BL_GRUB] = &bl_grub_ops,
		[BL_UBOOT] = &bl_uboot_ops,
		[BL_SYSTEMD_BOOT] = &bl_sdboot_ops,
	};
	const char *prefix = cfg->entry_prefix ? cfg->entry_prefix : BL_DEFAULT_PREFIX;
	struct bootloader *bl = NULL;
	int rc = 0;

	if ((size_t)cfg->kind >= GW_ARRAY_SIZE(ops))
		return gw_fail(err, GW_E_INVAL, "unknown bootloader kind %d", (int)cfg->kind);
	if (!cfg->path || !*cfg->path)
		return gw_fail(err, GW_E_INVAL, "bootloader %s: no path", bl_kind_name(cfg->kind));
	if (!prefix_ok(prefix))
		return gw_fail(err, GW_E_INVAL, "systemd-boot entry prefix '%.80s': use 1 to 64 "
			       "lower-case letters, digits, '-' or '_'", prefix);
	bl = calloc(1, sizeof(*bl));
	if (!bl)
		return GW_E_NOMEM;
	bl->kind = cfg->kind;
	bl->ops = ops[cfg->kind];
	bl->path = strdup(cfg->path);
	bl->cmdline_path = strdup(cfg->cmdline_path ? cfg->cmdline_path : "/proc/cmdline");
	bl->cmdline_set = cfg->cmdline_path != NULL;
	bl->entry_prefix = strdup(prefix);
	if (!bl->path || !bl->cmdline_path || !bl->entry_prefix) {
		rc = GW_E_NOMEM;
		goto out;
	}
	*out = bl; /* transferred */
	bl = NULL;
out:
	bl_close(bl);
	return rc;
}

void bl_close(struct bootloader *bl)
{
	if (!bl)
		return;
	free(bl->path);
	free(bl->cmdline_path);
	free(bl->entry_prefix);
	free(bl);
}

static int load(struct bootloader *bl, struct bl_env *env, gw_error *err)
{
	int rc;

	bl->stale = false;
	rc = bl->ops->load(bl, env, err);

	if (rc)
		gw_error_prefix(err, "%s bootloader state %s: ", bl_kind_name(bl->kind), bl->path);
	return rc;
}

/* Writes only what changed: mark_good runs at every healthy boot, and flash wears. */
static int store(struct bootloader *bl, const struct bl_env *old, const struct bl_env *env,
		 gw_error *err)
{
	int rc;

	if (bl_env_equal(old, env) && !bl->stale)
		return 0;
	rc = bl->ops->store(bl, env, err);
	if (rc)
		gw_error_prefix(err, "writing %s bootloader state %s: ", bl_kind_name(bl->kind),
				bl->path);
	return rc;
}

int bl_get_status(struct bootloader *bl, struct bl_status *out, gw_error *err)
{
	struct bl_env env;
	int rc = load(bl, &env, err);

	if (rc)
		return rc;
	memset(out, 0, sizeof(*out));
	out->primary = env.primary;
	for (int g = 0; g < BL_NGROUPS; g++) {
		out->bootable[g] = env.ok[g];
		out->trial[g] = env.tries[g] > 0;
		out->tries_left[g] = env.tries[g];
	}
	return 0;
}

static int check_group(enum bl_group g, gw_error *err)
{
	if (g != BL_GROUP_A && g != BL_GROUP_B)
		return gw_fail(err, GW_E_INVAL, "no slot group %d", (int)g);
	return 0;
}

int bl_set_trial(struct bootloader *bl, enum bl_group g, unsigned tries, gw_error *err)
{
	struct bl_env old, env;
	int rc = check_group(g, err);

	if (rc)
		return rc;
	if (tries < 1 || tries > BL_MAX_TRIES)
		return gw_fail(err, GW_E_INVAL, "trial tries %u: use 1 to %d", tries, BL_MAX_TRIES);
	rc = load(bl, &old, err);
	if (rc)
		return rc;
	if (old.primary == g)
		return gw_fail(err, GW_E_STATE, "group %c is the primary: a trial is for the "
			       "other group (mark %c bad first)", bl_group_char(g), bl_group_char(g));
	env = old;
	env.ok[g] = false;
	env.tries[g] = tries;
	env.tries[bl_other(g)] = 0;
	return store(bl, &old, &env, err);
}

static void edit_good(struct bl_env *env, enum bl_group g)
{
	env->ok[g] = true;
	env->tries[g] = 0;
	env->primary = g;
}

static void edit_bad(struct bl_env *env, enum bl_group g)
{
	env->ok[g] = false;
	env->tries[g] = 0;
	if (env->primary == g)
		env->primary = bl_other(g);
}

/* load, edit, store what changed */
static int change(struct bootloader *bl, enum bl_group g,
		  void (*edit)(struct bl_env *env, enum bl_group g), gw_error *err)
{
	struct bl_env old, env;
	int rc = check_group(g, err);

	if (!rc)
		rc = load(bl, &old, err);
	if (rc)
		return rc;
	env = old;
	edit(&env, g);
	return store(bl, &old, &env, err);
}

int bl_mark_good(struct bootloader *bl, enum bl_group g, gw_error *err)
{
	return change(bl, g, edit_good, err);
}

int bl_mark_bad(struct bootloader *bl, enum bl_group g, gw_error *err)
{
	return change(bl, g, edit_bad, err);
}

static int read_cmdline(const char *path, enum bl_group *out, gw_error *err)
{
	uint8_t *text = NULL;
	size_t len = 0;
	int rc = gw_read_file(path, BL_CMDLINE_MAX, &text, &len, err);

	if (!rc) {
		rc = bl_cmdline_parse((const char *)text, len, out, err);
		if (rc)
			gw_error_prefix(err, "%s: ", path);
	}
	free(text);
	return rc;
}

int bl_booted(struct bootloader *bl, enum bl_group *out, gw_error *err)
{
	if (bl->ops->booted)
		return bl->ops->booted(bl, out, err);
	return read_cmdline(bl->cmdline_path, out, err);
}

int bl_simulate_boot(struct bootloader *bl, enum bl_group *out, gw_error *err)
{
	enum bl_group g;
	char line[64];
	int rc = bl->ops->boot(bl, &g, err);

	if (rc) {
		gw_error_prefix(err, "%s bootloader %s: ", bl_kind_name(bl->kind), bl->path);
		return rc;
	}
	/* The simulated command line: what the snippets append to the kernel's. */
	if (gw_snprintf(line, sizeof(line), "gatewarden.slot=%c\n", bl_group_char(g)))
		return GW_E_TOOBIG;
	if (bl->cmdline_set) {
		rc = gw_write_file_atomic(bl->cmdline_path, line, strlen(line), 0644, err);
		if (rc)
			return rc;
	}
	*out = g;
	return 0;
}

int bl_env_boot(struct bootloader *bl, enum bl_group *out, gw_error *err)
{
	struct bl_env old, env;
	enum bl_group g;
	int rc = bl->ops->load(bl, &old, err);

	if (rc)
		return rc;
	env = old;
	rc = bl_env_decide(&env, &g, err);
	if (!rc && !bl_env_equal(&old, &env))
		rc = bl->ops->store(bl, &env, err);
	if (!rc)
		*out = g;
	return rc;
}
