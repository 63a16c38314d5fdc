/* SPDX-License-Identifier: Apache-2.0 */
/* The agent configuration's update sections: [update] (trust root, channel,
 * bootloader, trial tries, reboot command) and [slot GROUP.CLASS] (the device of
 * one slot class in slot group A or B). */
#ifndef GW_AGENT_CONFIG_UPDATE_H
#define GW_AGENT_CONFIG_UPDATE_H

#include <stdbool.h>
#include <stddef.h>

#include "bootloader.h"
#include "gw_error.h"

#define AGENT_MAX_SLOT_CLASSES 8 /* classes per group (MANIFEST_MAX_PAYLOADS) */
#define AGENT_SLOT_CLASS_MAX 64	 /* class names: 1-64 of A-Z a-z 0-9 . _ - */
#define AGENT_DEFAULT_TRIAL_TRIES 1
#define AGENT_DEFAULT_HISTORY_MAX 1000 /* lines of history.jsonl kept */
#define AGENT_HISTORY_MAX_MAX 10000
#define AGENT_DEFAULT_REBOOT_COMMAND "/sbin/reboot"

/* One slot: class class_name of group, written to device. */
struct agent_slot {
	enum bl_group group;
	char *class_name;
	char *device;	/* a block device or a regular image file */
	int line;	/* the line of its device key, for messages */
};

struct agent_update_config {
	bool configured;	/* [update] had at least one key */
	int line;		/* its first key's line */
	char *root;		/* initial trust root, pinned on first use */
	char *channel;
	bool bootloader_set;
	enum bl_kind bootloader;
	char *bootloader_path;
	char *cmdline;		/* NULL: /proc/cmdline */
	unsigned trial_tries;	/* 1..BL_MAX_TRIES */
	char *reboot_command;	/* NULL: AGENT_DEFAULT_REBOOT_COMMAND */
	unsigned history_max;	/* 1..AGENT_HISTORY_MAX_MAX lines of history.jsonl */
	/* authorization = none: `update install` takes a plain bundle without the
	 * verifier's authorization (hand-updated devices); default required. */
	bool authorization_none;
	struct agent_slot *slots; /* in file order */
	size_t nslots;
};

struct agent_config;

/* True for "update" and "slot GROUP.CLASS" with a valid group and class; a "slot"
 * section with a bad name is GW_E_CONFIG through *rc (0 otherwise). */
bool config_update_section(const char *name, int *rc, gw_error *err);
/* A key of one of those sections. GW_E_PARSE for a bad value (the caller names the
 * key), GW_E_CONFIG with the detail for anything else. */
int config_update_key(struct agent_config *cfg, const char *section, const char *key,
		      const char *value, int line, gw_error *err) GW_WUR;
/* After the whole file: [update] complete when slots exist and vice versa, every
 * class in both groups, no device twice. Messages read "PATH:LINE: ...". */
int config_update_check(const char *path, const struct agent_config *cfg,
			gw_error *err) GW_WUR;
void config_update_defaults(struct agent_update_config *u);
void config_update_fini(struct agent_update_config *u);

/* The slot of class in group g, or NULL. */
const struct agent_slot *config_update_slot(const struct agent_update_config *u,
					    enum bl_group g, const char *class_name);

#endif
