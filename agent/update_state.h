/* SPDX-License-Identifier: Apache-2.0 */
/* What the agent knows about its slot groups, kept in STATE_DIR/update/: the
 * pinned trust root (root.json), the root each group was installed under
 * (root.N.json), each group's signed manifest (A.manifest.dsse, B.manifest.dsse)
 * and the slot state (slots.json), each written atomically (temp, fsync, rename,
 * fsync dir). The bootloader is the authority on what boots; this record is the
 * authority on what was installed where and whether a trial is pending. Nothing in
 * it is trusted without re-verification: the manifests are verified against the
 * root they were installed under whenever they are read. */
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
	UPDATE_OUTCOME_INTERRUPTED,	/* install cut short before its trial was set */
};

struct slot_group_state {
	enum slot_state state;
	bool has_manifest;		/* GROUP.manifest.dsse is stored */
	char version[MANIFEST_VERSION_MAX + 1];
	char channel[MANIFEST_NAME_MAX + 1];
	uint64_t security_version;
	uint8_t manifest_digest[32];
	time_t installed;		/* 0 = unknown */
	/* The trust root version its manifest was verified under at install; kept as
	 * STATE_DIR/update/root.N.json while a group refers to it. 0: the pinned
	 * root (a format 1 state, or no manifest). */
	uint64_t root_version;
};

struct update_state {
	struct slot_group_state group[BL_NGROUPS];
	int trial_group;		/* BL_GROUP_A/B with a trial pending, or -1 */
	bool trial_set;			/* bl_set_trial of trial_group has returned */
	enum update_outcome last_outcome;
	char last_detail[256];		/* what happened, for `update status` */
};

/* STATE_DIR/update/slots.json; a missing file is an empty state (both groups
 * SLOT_EMPTY, no trial). GW_E_PARSE names the field. Format 2 is written; format 1
 * (no root_version, no trial_set) is read, a pending trial taken as set. After a
 * save, every root.N.json no group refers to is removed (best effort). */
int update_state_load(struct agent_ctx *ctx, struct update_state *out, gw_error *err) GW_WUR;
int update_state_save(struct agent_ctx *ctx, const struct update_state *st, gw_error *err) GW_WUR;

/* The pinned trust root (STATE_DIR/update/root.json, else the config's [update]
 * root file, which is then pinned), verified (root_verify_self at now).
 * GW_E_NOTFOUND when neither exists. */
int update_root_load(struct agent_ctx *ctx, time_t now, struct root **out, gw_error *err) GW_WUR;

/* The same with an expired root accepted (its signatures are still checked);
 * *expired says whether it has expired at now (expired NULL: refused as
 * update_root_load does). For what reads content accepted
 * earlier (measuring, commit, rollback): expiry is about accepting new content. */
int update_root_load_any(struct agent_ctx *ctx, time_t now, bool *expired, struct root **out,
			 gw_error *err) GW_WUR;

/* Group g's stored signed manifest, verified against the targets role of the root
 * it was installed under: root when slots.json names no other version for g, else
 * STATE_DIR/update/root.N.json (its own signatures checked, expiry not).
 * GW_E_NOTFOUND when none is stored; GW_E_STATE when root.N.json is missing. */
int update_manifest_load(struct agent_ctx *ctx, const struct root *root, enum bl_group g,
			 struct manifest **out, gw_error *err) GW_WUR;

const char *slot_state_name(enum slot_state s);
const char *update_outcome_name(enum update_outcome o);

/* Added by the install helper. */

#define UPDATE_DIR "update"		/* in the state directory */
#define UPDATE_STATE_MAX_SIZE (64u * 1024) /* slots.json, bytes */

/* The empty state: both groups SLOT_EMPTY, no trial, no outcome. */
void update_state_init(struct update_state *st);

/* slots.json text: strict parse (every key required, no other key; GW_E_PARSE
 * names the field, GW_E_TOOBIG, GW_E_TRAILING) and the form update_state_save
 * writes (*out NUL-terminated, the caller's; GW_E_NOMEM). */
int update_state_parse(const uint8_t *buf, size_t len, struct update_state *out,
		       gw_error *err) GW_WUR;
int update_state_format(const struct update_state *st, char **out, size_t *len) GW_WUR;

/* STATE_DIR/update/NAME into buf. GW_E_TOOBIG when it does not fit. */
int update_path(const struct agent_ctx *ctx, const char *name, char *buf, size_t len) GW_WUR;
/* Create STATE_DIR/update (0700) durably when it is missing. GW_E_IO. */
int update_dir_ensure(const struct agent_ctx *ctx, gw_error *err) GW_WUR;

/* Pin buf (a signed root) as the successor of cur: root_verify_successor(cur,
 * next, now), then STATE_DIR/update/root.json replaced atomically. A root equal to
 * cur (the same digest) is already pinned: 0. root_parse()'s and
 * root_verify_successor()'s codes, GW_E_IO. */
int update_root_pin(struct agent_ctx *ctx, const struct root *cur, const uint8_t *buf,
		    size_t len, time_t now, gw_error *err) GW_WUR;

/* Keep the pinned root (STATE_DIR/update/root.json, which must be root) as
 * root.N.json, N its version, for the group about to be installed under it.
 * GW_E_STATE when root.json is not root; GW_E_IO. */
int update_root_keep(struct agent_ctx *ctx, const struct root *root, gw_error *err) GW_WUR;

/* A format 1 state names no root for its installed groups: they were installed
 * under root (the pinned one), which is kept and named in *st, and *st saved,
 * before anything can replace the pin. No-op when nothing is to adopt. */
int update_state_adopt_root(struct agent_ctx *ctx, struct update_state *st,
			    const struct root *root, gw_error *err) GW_WUR;

/* Store the signed manifest envelope (len bytes) of group g atomically; remove it
 * (durably; a missing file is fine). GW_E_IO. */
int update_manifest_store(struct agent_ctx *ctx, enum bl_group g, const uint8_t *buf,
			  size_t len, gw_error *err) GW_WUR;
int update_manifest_remove(struct agent_ctx *ctx, enum bl_group g, gw_error *err) GW_WUR;

/* One line of the local update history, STATE_DIR/update/history.jsonl. */
struct update_history_entry {
	time_t time;
	const char *action;	/* "install", "commit", "rollback", "fall-back", ... */
	int group;		/* BL_GROUP_A/B, or -1 */
	const char *version;	/* or NULL */
	uint64_t security_version;
	const uint8_t *manifest_digest; /* 32 bytes, or NULL */
	enum update_outcome outcome;
	const char *detail;	/* or NULL */
};

/* Append e as one JSON object on one line, durably (fsync before returning);
 * then, when the file holds more than [update] history_max lines, rewrite it
 * atomically with the newest history_max. GW_E_IO, GW_E_NOMEM. */
int update_history_append(struct agent_ctx *ctx, const struct update_history_entry *e,
			  gw_error *err) GW_WUR;

#endif
