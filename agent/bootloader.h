/* SPDX-License-Identifier: Apache-2.0 */
/* Bootloader backends for A/B slot groups with boot counting: `file` (a simulated
 * bootloader, for tests and the demo), `grub` (grubenv), `uboot` (libubootenv,
 * redundant environment) and `systemd-boot` (Boot Loader Specification boot
 * counting in entry file names). The agent asks each the same questions and gives
 * each the same orders; doc/updates.md documents the bootloader-side snippet of
 * each. Every state change is written so that a power cut during the write leaves
 * either the old or the new state, never neither. */
#ifndef GW_AGENT_BOOTLOADER_H
#define GW_AGENT_BOOTLOADER_H

#include <stdbool.h>
#include <stddef.h>

#include "gw_error.h"

enum bl_group { BL_GROUP_A = 0, BL_GROUP_B = 1, BL_NGROUPS };
enum bl_kind { BL_FILE, BL_GRUB, BL_UBOOT, BL_SYSTEMD_BOOT };

#define BL_MAX_TRIES 9 /* boot attempts one trial may have */

struct bl_config {
	enum bl_kind kind;
	/* file: the simulated bootloader's state file; grub: the grubenv file;
	 * uboot: the fw_env.config naming the (redundant) environment copies;
	 * systemd-boot: the ESP (or XBOOTLDR) root, entries in loader/entries. */
	const char *path;
	/* Where the running system's group is read from: the kernel command line
	 * (gatewarden.slot=A|B, set by the bootloader snippet). NULL: /proc/cmdline.
	 * The file backend ignores it (its state file records the booted group). */
	const char *cmdline_path;
	/* systemd-boot: the entry of group A is ENTRY_PREFIX "a" and of B
	 * ENTRY_PREFIX "b" (plus the "+LEFT[-DONE]" counter and ".conf").
	 * NULL: "gatewarden-". */
	const char *entry_prefix;
};

/* bootable[g] is true when g may boot as the primary or as the fallback: it was
 * marked good (or is the factory image). A group on trial is not bootable until
 * mark_good: when its tries are spent it is simply bad, and no later fallback can
 * land in it. doc/updates.md ("Bootloaders") gives each backend's encoding. */
struct bl_status {
	enum bl_group primary;		/* booted when no trial is pending */
	bool bootable[BL_NGROUPS];	/* good: not marked bad, not on trial */
	bool trial[BL_NGROUPS];		/* on trial: boots it while tries are left */
	unsigned tries_left[BL_NGROUPS];/* boot attempts left for a trial group */
};

struct bootloader;

/* Open a backend (reads nothing yet). GW_E_INVAL, GW_E_NOMEM. */
int bl_open(const struct bl_config *cfg, struct bootloader **out, gw_error *err) GW_WUR;
void bl_close(struct bootloader *bl);
const char *bl_kind_name(enum bl_kind kind);
/* "file", "grub", "uboot", "systemd-boot". GW_E_CONFIG for anything else. */
int bl_kind_parse(const char *s, enum bl_kind *out) GW_WUR;

/* The bootloader's current state. GW_E_IO, GW_E_PARSE (state unreadable or not in
 * the form the backend writes: the detail names the variable or entry). */
int bl_get_status(struct bootloader *bl, struct bl_status *out, gw_error *err) GW_WUR;
/* The group the running system was booted from. GW_E_NOTFOUND when nothing says. */
int bl_booted(struct bootloader *bl, enum bl_group *out, gw_error *err) GW_WUR;
/* Boot g on trial: next boots try g (tries attempts, 1..BL_MAX_TRIES); when they
 * are spent without mark_good the bootloader falls back to the primary by itself.
 * The primary is unchanged. GW_E_STATE when g is the primary (install marks its
 * target bad first, which hands the primary to the other group). */
int bl_set_trial(struct bootloader *bl, enum bl_group g, unsigned tries, gw_error *err) GW_WUR;
/* g proved itself: it becomes the primary, bootable, its trial ends. Idempotent:
 * the boot service calls it for the booted group at every healthy boot. */
int bl_mark_good(struct bootloader *bl, enum bl_group g, gw_error *err) GW_WUR;
/* g must not boot again (until a new install marks it for trial); a trial of g
 * ends; when g was the primary the other group becomes the primary. */
int bl_mark_bad(struct bootloader *bl, enum bl_group g, gw_error *err) GW_WUR;

/* The bootloader's own decision at power-on, for tests and the demo: it picks the
 * group the backend's documented snippet would pick (a trial with tries left
 * first, spending one try; else the primary if bootable; else the other if
 * bootable), writes that back as the bootloader would, records the booted group
 * (file backend) and writes cfg->cmdline_path as "gatewarden.slot=X" when set.
 * systemd-boot follows systemd-boot's own rules (default pattern, sort order,
 * counter rename). GW_E_NOTFOUND when no group may boot. */
int bl_simulate_boot(struct bootloader *bl, enum bl_group *out, gw_error *err) GW_WUR;

/* Parse a kernel command line (as /proc/cmdline reads) for gatewarden.slot=A|B,
 * splitting words the way the kernel does (double quotes group, "--" ends the
 * kernel's parameters). GW_E_NOTFOUND when absent, GW_E_PARSE for any other
 * value or when it appears more than once. */
int bl_cmdline_parse(const char *text, size_t len, enum bl_group *out, gw_error *err) GW_WUR;

static inline char bl_group_char(enum bl_group g) { return g == BL_GROUP_A ? 'A' : 'B'; }

#endif
