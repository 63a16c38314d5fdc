/* SPDX-License-Identifier: Apache-2.0 */
/* What `gwagent boot` does for updates: measure the pinned trust root and the
 * running group's manifest into the trust PCR, then finish what the update state
 * says is pending (a trial boot's health checks and commit or rollback, a rollback
 * or bootloader fall-back to record). Every step is idempotent, so a crash anywhere
 * and a rerun finish the job; `update mark-good` and `update mark-bad` share the
 * commit and rollback steps. */
#ifndef GW_AGENT_UPDATE_BOOT_H
#define GW_AGENT_UPDATE_BOOT_H

#include <stdbool.h>
#include <stdio.h>

#include "agent.h"
#include "bootloader.h"
#include "counter.h"
#include "manifest.h"
#include "root.h"
#include "stage.h"
#include "update_event.h"
#include "update_state.h"

/* Everything one run works with. Printing goes to out (text lines, or one JSON
 * object per line when json): the boot service's output is its log. */
struct update_run {
	struct agent_ctx *ctx;
	const char *tag;		/* text lines start "TAG: " (NULL: "boot") */
	bool json;
	FILE *out;
	time_t now;
	struct bootloader *bl;
	struct bl_status bls;
	enum bl_group booted;
	struct update_state st;
	struct root *root;		/* the pinned trust root */
	bool root_expired;		/* ...which has expired (signatures still checked) */
	struct stage_banks banks;
	struct counter_channel channel;
};

/* Open the bootloader, read its status and the booted group, the update state
 * and the pinned root. GW_E_CONFIG when [update] is missing; the backends' and
 * update_state's codes. */
int update_run_open(struct agent_ctx *ctx, bool json, FILE *out, struct update_run *run,
		    gw_error *err) GW_WUR;
void update_run_close(struct update_run *run);

/* The root riding in m, when newer than the pinned one, pinned as its successor
 * (update_root_pin). Idempotent: a root already pinned, or older, is left alone. */
int update_pin_carried_root(struct update_run *run, const struct manifest *m,
			    gw_error *err) GW_WUR;

/* Log and extend one record of event_type with text into the trust PCR (digest
 * d[i] for bank i of run->banks), unless the current log already holds it. */
int update_measure_once(struct update_run *run, const char *event_type, const char *text,
			const uint8_t d[][GW_MAX_DIGEST], gw_error *err) GW_WUR;

/* Log and extend one `update` record about group g's stored manifest m: "update
 * KIND G version V manifest sha256:HEX[ below-counter]" (common/update_event.c
 * writes it, the policy evaluator reads it), digest per bank = the hash of the
 * manifest document. Skipped (0) when the current log already holds that exact
 * record, so a rerun in the same TPM reset cycle does not repeat it. */
int update_record(struct update_run *run, enum update_event_kind kind, enum bl_group g,
		  const struct manifest *m, bool below_counter, gw_error *err) GW_WUR;

/* Commit the booted group (its trial passed, or the operator said so):
 * bl_mark_good(booted), bl_mark_bad(other) when its security version is below
 * the new one, counter_advance, "update committed", state GOOD, pin the root the
 * manifest carries. Each step is a no-op when already done. */
int update_commit(struct update_run *run, const char *why, gw_error *err) GW_WUR;

/* The booted group g failed (a health check, or the operator): bl_mark_bad(g),
 * state BAD, outcome ROLLED_BACK, the trial kept pending so that the next boot
 * records "rolled-back". GW_E_STATE when the other group is not bootable (marking
 * g bad would leave nothing to boot). */
int update_rollback(struct update_run *run, enum bl_group g, const char *why,
		    gw_error *err) GW_WUR;

/* Append what happened to group g to the update history (action: "commit",
 * "rollback", "fall-back", ...), then save run->st. */
int update_state_commit(struct update_run *run, const char *action, enum bl_group g,
			gw_error *err) GW_WUR;

/* A rollback of group t recorded in the state (t bad, its trial kept pending):
 * "update rolled-back" extended (when t has a manifest) and the trial cleared. */
int update_record_rolled_back(struct update_run *run, enum bl_group t, gw_error *err) GW_WUR;

/* Run the configured reboot command (no shell). GW_E_STATE when it failed. */
int update_reboot(struct update_run *run, gw_error *err) GW_WUR;
/* Run [update] reboot_command (default AGENT_DEFAULT_REBOOT_COMMAND) and wait for
 * it to return (120 s at most); GW_E_STATE when it fails, the detail names it. */
int update_reboot_command(struct agent_ctx *ctx, gw_error *err) GW_WUR;

/* Print one line: "TAG: TEXT", or {"event":EVENT,"message":TEXT} in JSON. */
void update_say(const struct update_run *run, const char *event, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---- agent/update_boot.c: the boot service's part ---- */

/* After the gate key: the trust root's "trust" record, then the running group's
 * "update running" record (below-counter when its security version is below the
 * counter's). Nothing to do (0) without an [update] section. A failure is also
 * appended to the history ("measure-failed"); the caller still finishes what is
 * pending (update_boot_finish). */
int update_boot_measure(struct agent_ctx *ctx, bool json, FILE *out, gw_error *err) GW_WUR;

/* After the stages: finish what is pending. resume: `gwagent boot` already ran in
 * this reset cycle (only pending update work is done); cycle: its TPM reset
 * count. *acted says whether anything was pending; *rolled_back whether a health
 * check failed or a bad group was booted and the reboot command has been run. */
int update_boot_finish(struct agent_ctx *ctx, bool json, FILE *out, bool resume,
		       uint32_t cycle, bool *acted, bool *rolled_back, gw_error *err) GW_WUR;

/* ---- agent/update_badboot.c: a boot of a group the state calls bad ---- */

/* The booted group is SLOT_BAD with no trial of it pending (the bootloader's
 * environment lost or rewritten). Said; when the other group is SLOT_GOOD, it is
 * marked good (primary) and the booted one bad in the bootloader, the marker
 * STATE_DIR/update/redirect ("CYCLE COUNT", cycle the TPM reset count of this
 * boot) written durably and the reboot command run (*rebooted). When the marker
 * names an earlier cycle (the previous boot redirected and the bootloader booted
 * the bad group again): GW_E_STATE, no reboot. When the other group is not
 * committed: a warning, 0, nothing else. */
int update_boot_bad_group(struct update_run *run, uint32_t cycle, bool *rebooted,
			  gw_error *err) GW_WUR;
/* Remove the marker (a healthy boot of a good group): durably, missing is fine. */
int update_redirect_clear(struct agent_ctx *ctx, gw_error *err) GW_WUR;

/* ---- agent/cmd_update_mark.c: `gwagent update mark-good|mark-bad` ---- */
int update_mark_good_main(struct agent_ctx *ctx, int argc, char **argv);
int update_mark_bad_main(struct agent_ctx *ctx, int argc, char **argv);

#endif
