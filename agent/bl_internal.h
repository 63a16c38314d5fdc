/* SPDX-License-Identifier: Apache-2.0 */
/* Inside the bootloader backends: the state model every backend maps its variables
 * or entry names onto, the backend table, and the parsers of bootloader state
 * (bl_parse.c, pure functions the unit tests and fuzz targets call directly). */
#ifndef GW_AGENT_BL_INTERNAL_H
#define GW_AGENT_BL_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bootloader.h"

/* What every backend stores: the primary, which groups are good (ok) and how
 * many trial boots a group has left (0: no trial, or spent). A group on trial is
 * not ok: when its tries are spent it is bad. */
struct bl_env {
	enum bl_group primary;
	bool ok[BL_NGROUPS];
	unsigned tries[BL_NGROUPS];
};

/* The factory state, also what a missing or empty environment means (the
 * snippets set the same defaults before loading theirs): A primary and good, B
 * not bootable, no trial. */
void bl_env_defaults(struct bl_env *env);
static inline enum bl_group bl_other(enum bl_group g)
{
	return g == BL_GROUP_A ? BL_GROUP_B : BL_GROUP_A;
}
bool bl_env_equal(const struct bl_env *a, const struct bl_env *b);
/* The power-on decision of the grub and U-Boot snippets (and the simulated
 * bootloader): a group with tries left, primary first, spending one try; else the
 * primary if ok; else the other if ok. GW_E_NOTFOUND when none. */
int bl_env_decide(struct bl_env *env, enum bl_group *out, gw_error *err) GW_WUR;

/* The variables of the grub, U-Boot and file backends, by role. */
enum { BL_VAR_ORDER, BL_VAR_A_OK, BL_VAR_B_OK, BL_VAR_A_TRY, BL_VAR_B_TRY, BL_NVARS };
extern const char *const bl_grub_vars[BL_NVARS];
extern const char *const bl_uboot_vars[BL_NVARS];
#define BL_VAL_MAX 4 /* "A B" and its NUL */
/* vals[i] NULL: the variable is unset (its default). GW_E_PARSE names the
 * variable and its value. */
int bl_env_from_values(const char *const names[BL_NVARS], const char *const vals[BL_NVARS],
		       struct bl_env *out, gw_error *err) GW_WUR;
void bl_env_to_values(const struct bl_env *env, char vals[BL_NVARS][BL_VAL_MAX]);

/* A GRUB environment block: "# GRUB Environment Block\n", then "name=value\n"
 * lines (backslash escapes '\\' and newline in values), padded with '#' to
 * exactly BL_GRUBENV_SIZE bytes, the size grub-editenv creates. */
#define BL_GRUBENV_SIZE 1024
#define BL_GRUBENV_SIG "# GRUB Environment Block\n"
struct bl_kv {
	char *name;  /* NULL: a '#' comment line, kept as value */
	char *value; /* unescaped */
};
struct bl_grubenv {
	struct bl_kv *kv;
	size_t n;
};
/* GW_E_PARSE (wrong size, signature, a line without '=', a duplicate name, a NUL,
 * anything but '#' after the last line). */
int bl_grubenv_parse(const uint8_t *buf, size_t len, struct bl_grubenv *out,
		     gw_error *err) GW_WUR;
/* GW_E_TOOBIG when the variables do not fit in the block. */
int bl_grubenv_format(const struct bl_grubenv *env, uint8_t out[BL_GRUBENV_SIZE],
		      gw_error *err) GW_WUR;
const char *bl_grubenv_get(const struct bl_grubenv *env, const char *name);
/* Replace name's value in place, or append it (name NULL: append a comment
 * line). GW_E_NOMEM. */
int bl_grubenv_set(struct bl_grubenv *env, const char *name, const char *value) GW_WUR;
void bl_grubenv_fini(struct bl_grubenv *env);

/* systemd-boot entry names: PREFIX "a"|"b" ["+" LEFT ["-" DONE]] ".conf".
 * Returns 1 and fills the out parameters for one of ours, 0 for a name that is
 * not ours (another entry, a hidden or temporary file), GW_E_PARSE for a name that
 * starts like ours but is not in this form (the bootloader would not count it).
 * left is -1 without a counter. LEFT is at most BL_MAX_TRIES, DONE at most
 * BL_SDBOOT_MAX_DONE. */
#define BL_SDBOOT_MAX_DONE 999999u
int bl_sdboot_name_parse(const char *name, const char *prefix, enum bl_group *g, int *left,
			 unsigned *done, gw_error *err) GW_WUR;

/* loader/loader.conf's `default` line as Gatewarden writes it: PREFIX "a[.+]*"
 * (the group is the primary, whatever its counter says) or PREFIX "a+[1-9]*" (a
 * on trial while it has tries left; the other group is the primary). */
enum bl_sdboot_default_kind { BL_SDDEF_NONE, BL_SDDEF_PRIMARY, BL_SDDEF_TRIAL };
struct bl_sdboot_default {
	enum bl_sdboot_default_kind kind;
	enum bl_group group;
};
/* The last `default` line counts, as in systemd-boot. GW_E_PARSE for a default
 * Gatewarden did not write (the detail quotes it). */
int bl_loader_conf_parse(const char *text, size_t len, const char *prefix,
			 struct bl_sdboot_default *out, gw_error *err) GW_WUR;
/* text with every `default` line replaced by "default PATTERN" (at the first one's
 * place, else appended). *out is NUL-terminated and freed by the caller. */
int bl_loader_conf_set_default(const char *text, size_t len, const char *pattern, char **out,
			       size_t *out_len) GW_WUR;
/* The pattern for a default: "PREFIXa[.+]*" or "PREFIXa+[1-9]*". */
int bl_sdboot_pattern(const char *prefix, const struct bl_sdboot_default *d, char *buf,
		      size_t len) GW_WUR;

/* ---- the backend table (bootloader.c dispatches to it) ---- */
struct bl_ops {
	int (*load)(struct bootloader *bl, struct bl_env *env, gw_error *err);
	int (*store)(struct bootloader *bl, const struct bl_env *env, gw_error *err);
	/* NULL: read gatewarden.slot= from the command line file. */
	int (*booted)(struct bootloader *bl, enum bl_group *out, gw_error *err);
	/* The bootloader's own power-on (bl_simulate_boot), without the cmdline. */
	int (*boot)(struct bootloader *bl, enum bl_group *out, gw_error *err);
};

struct bootloader {
	enum bl_kind kind;
	const struct bl_ops *ops;
	char *path;
	char *cmdline_path;
	bool cmdline_set;	/* given in the config (not /proc/cmdline) */
	bool stale;		/* set by load: write even when the model is unchanged */
	char *entry_prefix;
};

/* The power-on of the variable-based backends: load, bl_env_decide, store. */
int bl_env_boot(struct bootloader *bl, enum bl_group *out, gw_error *err) GW_WUR;

extern const struct bl_ops bl_file_ops, bl_grub_ops, bl_uboot_ops, bl_sdboot_ops;

/* For the grub and file backends: the block at path (missing: empty), and the
 * block with env's variables (plus extra name=value when extra is set) written
 * atomically. */
int bl_grubenv_read(const char *path, struct bl_grubenv *out, gw_error *err) GW_WUR;
int bl_grubenv_load(const char *path, struct bl_env *env, gw_error *err) GW_WUR;
int bl_grubenv_write_env(const char *path, const struct bl_env *env, const char *extra_name,
			 const char *extra_value, gw_error *err) GW_WUR;

#endif
