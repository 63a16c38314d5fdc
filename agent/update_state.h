/* SPDX-License-Identifier: Apache-2.0 */
/* What the agent knows about its slot groups, kept in STATE_DIR/update/: the
 * pinned trust root (root.json), each group's signed manifest (A.manifest.dsse,
 * B.manifest.dsse) and the slot state (slots.json), each written atomically (temp,
 * fsync, rename, fsync dir). The bootloader is the authority on what boots; this
 * record is the authority on what was installed where and whether a trial is
 * pending. Nothing in it is trusted without re-verification: the manifests are
 * verified against the pinned root whenever they are read. */
#ifndef GW_AGENT_UPDATE_STATE_H
#define GW_AGENT_UPDATE_STATE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "agent.h"
#include "bootloader.h"
#include "manifest.h"
#include "root.h"

enum slot_state {
	SLOT_EMPTY = 0,	 /* nothing installed that we know of (factory image) */
	SLOT_INSTALLING, /* being written: never bootable */
	SLOT_STAGED,	 /* written, read back, verified; set for one trial boot */
	SLOT_GOOD,	 /* committed (or the factory image, once marked good) */
	SLOT_BAD,	 /* failed its trial or marked bad */
};

enum update_outcome {
	UPDATE_OUTCOME_NONE = 0,
	UPDATE_OUTCOME_STAGED,
	UPDATE_OUTCOME_COMMITTED,
	UPDATE_OUTCOME_ROLLED_BACK,	/* health check failed, or marked bad */
	UPDATE_OUTCOME_FELL_BACK,	/* the bootloader spent the trial's tries */
	UPDATE_OUTCOME_FAILED,		/* install refused or aborted */
};

struct slot_group_state {
	enum slot_state state;
	bool has_manifest;		/* GROUP.manifest.dsse is stored */
	char version[MANIFEST_VERSION_MAX + 1];
	char channel[MANIFEST_NAME_MAX + 1];
	uint64_t security_version;
	uint8_t manifest_digest[32];
	time_t installed;		/* 0 = unknown */
};

struct update_state {
	struct slot_group_state group[BL_NGROUPS];
	int trial_group;		/* BL_GROUP_A/B with a trial pending, or -1 */
	enum update_outcome last_outcome;
	char last_detail[256];		/* what happened, for `update status` */
};

/* STATE_DIR/update/slots.json; a missing file is an empty state (both groups
 * SLOT_EMPTY, no trial). GW_E_PARSE names the field. */
int update_state_load(struct agent_ctx *ctx, struct update_state *out, gw_error *err) GW_WUR;
int update_state_save(struct agent_ctx *ctx, const struct update_state *st, gw_error *err) GW_WUR;

/* The pinned trust root (STATE_DIR/update/root.json, else the config's [update]
 * root file, which is then pinned), verified (root_verify_self at now).
 * GW_E_NOTFOUND when neither exists. */
int update_root_load(struct agent_ctx *ctx, time_t now, struct root **out, gw_error *err) GW_WUR;

/* Group g's stored signed manifest, verified against root's targets role.
 * GW_E_NOTFOUND when none is stored. */
int update_manifest_load(struct agent_ctx *ctx, const struct root *root, enum bl_group g,
			 struct manifest **out, gw_error *err) GW_WUR;

const char *slot_state_name(enum slot_state s);
const char *update_outcome_name(enum update_outcome o);

#endif
