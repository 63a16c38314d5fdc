// SPDX-License-Identifier: Apache-2.0
// The boot service's update part: trust root and running manifest measured into
// the trust PCR, then a pending trial committed or rolled back, and a rollback or
// a bootloader fall-back recorded at the boot after it.
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "health.h"
#include "update_boot.h"
#include "util.h"

static enum bl_group other_of(enum bl_group g)
{
	return g == BL_GROUP_A ? BL_GROUP_B : BL_GROUP_A;
}

/* "trust root sha256:HEX", digest per bank = the hash of the root document. */
static int measure_root(struct update_run *run, gw_error *err)
{
	uint8_t d[GW_MAX_BANKS][GW_MAX_DIGEST];
	char text[128];
	int rc = 0;

	for (size_t i = 0; i < run->banks.n && !rc; i++)
		rc = gw_hash(run->banks.alg[i], run->root->payload, run->root->payload_len, d[i]);
	if (rc)
		return gw_fail(err, GW_E_CRYPTO, "hashing the trust root");
	if (run->root_expired)
		update_say(run, "root-expired",
			   "the pinned trust root (version %llu) has expired: installs need a bundle "
			   "carrying its successor", (unsigned long long)run->root->version);
	rc = gw_snprintf(text, sizeof(text), "trust root sha256:%s", run->root->digest_hex);
	if (rc)
		return gw_fail(err, rc, "trust root record too long");
	return update_measure_once(run, "trust", text, (const uint8_t(*)[GW_MAX_DIGEST])d, err);
}

static int measure_running(struct update_run *run, gw_error *err)
{
	enum bl_group g = run->booted;
	struct manifest *m = NULL;
	struct counter_state cs;
	bool below = false;
	int rc;

	/* The stored file decides, not the state's flag (the state may be lost). */
	rc = update_manifest_load(run->ctx, run->root, g, &m, err);
	if (rc == GW_E_NOTFOUND) {
		update_say(run, "running",
			   "group %c runs an image without a stored manifest (the factory image): "
			   "no 'update running' record",
			   bl_group_char(g));
		return 0;
	}
	if (rc) {
		gw_error_prefix(err, "manifest of the running group %c: ", bl_group_char(g));
		return rc;
	}
	rc = counter_read(run->ctx->tpm, &run->channel, &cs, err);
	if (rc) {
		gw_error_prefix(err, "anti-rollback counter of channel %s: ", run->channel.name);
		goto out;
	}
	if (m->security_version < cs.security_version) {
		below = true;
		update_say(run, "below-counter",
			   "group %c runs security version %llu, below the counter's %llu",
			   bl_group_char(g), (unsigned long long)m->security_version,
			   (unsigned long long)cs.security_version);
	}
	rc = update_record(run, UPDATE_EV_RUNNING, g, m, below, err);
out:
	manifest_free(m);
	return rc;
}

/* A history line: the boot's records are incomplete, and the verifier will see
 * it. Best effort: the failure itself is reported by the caller. */
static void measure_failed(struct agent_ctx *ctx, const struct update_run *run, int rc,
			   const gw_error *err)
{
	struct update_history_entry e = {
		.time = time(NULL), .action = "measure-failed",
		.group = -1,
		.outcome = run->st.last_outcome, .detail = gw_error_msg(err, rc),
	};

	(void)!update_history_append(ctx, &e, NULL);
}

int update_boot_measure(struct agent_ctx *ctx, bool json, FILE *out, gw_error *err)
{
	struct update_run run;
	int rc;

	if (!ctx->cfg.update.configured)
		return 0;
	rc = update_run_open(ctx, json, out, &run, err);
	if (!rc)
		rc = measure_root(&run, err);
	if (!rc)
		rc = measure_running(&run, err);
	if (rc)
		measure_failed(ctx, &run, rc, err);
	update_run_close(&run);
	return rc;
}

/* Every check, in config order, until one fails; why says which and how. */
static bool checks_pass(struct update_run *run, char *why, size_t why_len)
{
	const struct agent_config *cfg = &run->ctx->cfg;
	struct health_result *r = malloc(sizeof(*r));
	bool ok = true;

	if (!r) {
		snprintf(why, why_len, "out of memory running the health checks");
		return false;
	}
	if (!cfg->nhealth)
		update_say(run, "health", "no [health NAME] checks configured: the trial passes");
	for (size_t i = 0; i < cfg->nhealth && ok; i++) {
		const struct agent_health *h = &cfg->health[i];
		gw_error err = { { 0 } };
		int rc = health_run(h, r, &err);

		if (rc) {
			snprintf(why, why_len, "health check %s could not run: %s", h->name,
				 gw_error_msg(&err, rc));
		} else if (!r->ok) {
			snprintf(why, why_len, "health check %s failed (%s %d after %ld ms)%s%s",
				 h->name, r->timed_out ? "timed out, killed; signal" : "exit status",
				 r->timed_out ? r->status - 128 : r->status, r->millis,
				 r->output[0] ? ": " : "", r->output);
		}
		ok = !rc && r->ok;
		update_say(run, "health", "health check %s (%s%s): %s in %ld ms%s%s%s", h->name,
			   h->unit ? "unit " : "", h->unit ? h->unit : h->command,
			   ok ? "passed" : "FAILED", rc ? 0 : r->millis, r->output[0] ? ": " : "",
			   rc ? "" : r->output, r->output_truncated ? " [output truncated]" : "");
	}
	free(r);
	return ok;
}

/* A trial of the booted group: commit, or roll back and reboot. */
static int finish_trial(struct update_run *run, bool *rolled_back, gw_error *err)
{
	enum bl_group g = run->booted;
	char why[HEALTH_OUTPUT_MAX + 256];
	int rc;

	/* mark_good already ran (a commit cut short): finish it, without checking
	 * again what already passed. */
	if (run->bls.primary == g && !run->bls.trial[g] && run->bls.bootable[g]) {
		update_say(run, "commit", "group %c: finishing a commit that was cut short",
			   bl_group_char(g));
		return update_commit(run, "health checks passed (commit resumed)", err);
	}
	update_say(run, "trial", "group %c is on trial: running the health checks",
		   bl_group_char(g));
	if (checks_pass(run, why, sizeof(why)))
		return update_commit(run, "health checks passed", err);
	rc = update_rollback(run, g, why, err);
	if (rc)
		return rc;
	*rolled_back = true;
	return update_reboot(run, err);
}

/* The bootloader spent the trial's tries on group t and booted the other. */
static int record_fell_back(struct update_run *run, enum bl_group t, gw_error *err)
{
	struct manifest *m = NULL;
	int rc;

	rc = bl_mark_bad(run->bl, t, err);
	if (!rc)
		rc = update_manifest_load(run->ctx, run->root, t, &m, err);
	if (!rc)
		rc = update_record(run, UPDATE_EV_FELL_BACK, t, m, false, err);
	if (rc)
		goto out;
	run->st.group[t].state = SLOT_BAD;
	run->st.trial_group = -1;
	run->st.trial_set = false;
	run->st.last_outcome = UPDATE_OUTCOME_FELL_BACK;
	snprintf(run->st.last_detail, sizeof(run->st.last_detail),
		 "the bootloader fell back to group %c: group %c did not confirm its trial boot",
		 bl_group_char(run->booted), bl_group_char(t));
	rc = update_state_commit(run, "fall-back", t, err);
	if (!rc)
		update_say(run, "fell-back", "%s", run->st.last_detail);
out:
	manifest_free(m);
	return rc;
}

/* An install cut short between recording group t staged and setting its trial:
 * the bootloader has t as bad (since the install began) and never tried it. */
static int record_interrupted(struct update_run *run, enum bl_group t, gw_error *err)
{
	int rc;

	rc = bl_mark_bad(run->bl, t, err);
	if (rc)
		return rc;
	run->st.group[t].state = SLOT_INSTALLING;
	run->st.trial_group = -1;
	run->st.trial_set = false;
	run->st.last_outcome = UPDATE_OUTCOME_INTERRUPTED;
	snprintf(run->st.last_detail, sizeof(run->st.last_detail),
		 "the install of version %s into group %c was interrupted before its trial "
		 "boot was set: install it again", run->st.group[t].version, bl_group_char(t));
	rc = update_state_commit(run, "interrupted", t, err);
	if (!rc)
		update_say(run, "interrupted", "%s", run->st.last_detail);
	return rc;
}

int update_record_rolled_back(struct update_run *run, enum bl_group t, gw_error *err)
{
	struct manifest *m = NULL;
	int rc;

	rc = update_manifest_load(run->ctx, run->root, t, &m, err);
	if (!rc)
		rc = update_record(run, UPDATE_EV_ROLLED_BACK, t, m, false, err);
	else if (rc == GW_E_NOTFOUND)
		rc = 0; /* an image without a manifest: nothing to name in a record */
	if (rc)
		goto out;
	run->st.trial_group = -1;
	run->st.trial_set = false;
	rc = update_state_save(run->ctx, &run->st, err);
out:
	manifest_free(m);
	return rc;
}

/* A trial pending for the group that is not running. */
static int finish_other(struct update_run *run, enum bl_group t, bool *acted, gw_error *err)
{
	const struct slot_group_state *gs = &run->st.group[t];

	if (gs->state == SLOT_BAD) {
		*acted = true;
		return update_record_rolled_back(run, t, err);
	}
	if (gs->state != SLOT_STAGED) {
		update_say(run, "trial", "group %c is %s with a trial recorded: left alone",
			   bl_group_char(t), slot_state_name(gs->state));
		return 0;
	}
	if (run->bls.trial[t] && run->bls.tries_left[t] > 0) {
		update_say(run, "trial",
			   "group %c is staged for a trial boot (%u tries left): reboot to try it",
			   bl_group_char(t), run->bls.tries_left[t]);
		return 0;
	}
	*acted = true;
	if (!run->st.trial_set)
		return record_interrupted(run, t, err);
	return record_fell_back(run, t, err);
}

/* A root the committed running group carries and that is not pinned yet (a
 * commit whose pin was lost): pinned now, at every boot until it is. */
static int pin_committed_root(struct update_run *run, enum bl_group g, gw_error *err)
{
	struct manifest *m = NULL;
	int rc = update_manifest_load(run->ctx, run->root, g, &m, err);

	if (rc == GW_E_NOTFOUND)
		return 0;
	if (!rc)
		rc = update_pin_carried_root(run, m, err);
	manifest_free(m);
	return rc;
}

int update_boot_finish(struct agent_ctx *ctx, bool json, FILE *out, bool resume,
		       uint32_t cycle, bool *acted, bool *rolled_back, gw_error *err)
{
	struct update_run run;
	enum bl_group g;
	int rc, t;

	*acted = *rolled_back = false;
	if (!ctx->cfg.update.configured)
		return 0;
	rc = update_run_open(ctx, json, out, &run, err);
	if (rc)
		goto out;
	g = run.booted;
	t = run.st.trial_group;
	if (t == (int)g && run.st.group[g].state == SLOT_STAGED) {
		*acted = true;
		rc = finish_trial(&run, rolled_back, err);
	} else if (t == (int)g && run.st.group[g].state == SLOT_BAD) {
		/* Rolled back, but the reboot did not happen (or we were cut short). */
		*acted = *rolled_back = true;
		update_say(&run, "rolled-back", "group %c was rolled back: rebooting", bl_group_char(g));
		rc = bl_mark_bad(run.bl, g, err);
		if (!rc)
			rc = update_reboot(&run, err);
	} else if (t == (int)other_of(g)) {
		rc = finish_other(&run, other_of(g), acted, err);
	} else if (run.st.group[g].state == SLOT_BAD) {
		/* No trial of it pending: the bootloader forgot what it was told. */
		*acted = true;
		rc = update_boot_bad_group(&run, cycle, rolled_back, err);
	} else if (run.bls.trial[g] || !run.bls.bootable[g]) {
		/* The bootloader does not count it good (a trial, tries left or just
		 * spent by this boot) and the state knows no trial of it (slots.json lost
		 * or replaced): confirming it would skip the health checks. Left
		 * unconfirmed, the bootloader falls back when the tries are spent. */
		rc = gw_fail(err, GW_E_STATE,
			     "group %c is on a trial boot the update state does not know "
			     "(STATE_DIR/update/slots.json lost?): not confirmed; `gwagent update "
			     "mark-good` confirms it after checking it by hand, else the "
			     "bootloader falls back", bl_group_char(g));
	} else if (!resume && run.bls.bootable[g] && (run.st.group[g].state == SLOT_GOOD ||
						      run.st.group[g].state == SLOT_EMPTY)) {
		/* A healthy boot: boot counting (grub, U-Boot, systemd-boot) needs it.
		 * Only a group the bootloader already counts good (not on trial); never
		 * for one the state calls bad, installing or staged. */
		rc = bl_mark_good(run.bl, g, err);
		if (!rc)
			update_say(&run, "good", "group %c marked good", bl_group_char(g));
		if (!rc && run.st.group[g].state == SLOT_GOOD)
			rc = pin_committed_root(&run, g, err);
		if (!rc)
			rc = update_redirect_clear(ctx, err);
	}
out:
	update_run_close(&run);
	return rc;
}
