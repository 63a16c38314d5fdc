// SPDX-License-Identifier: Apache-2.0
// The steps a trial boot ends with, shared by the boot service and `update
// mark-good`/`mark-bad`: update records in the trust PCR, commit, rollback, reboot.
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cel.h"
#include "config_update.h"
#include "digest.h"
#include "dsse.h"
#include "evlog.h"
#include "health.h"
#include "update_boot.h"
#include "util.h"

#define REBOOT_TIMEOUT 120 /* seconds the reboot command may take to return */

void update_say(const struct update_run *run, const char *event, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (run->json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "event", json_object_new_string(event));
		json_object_object_add(o, "message", json_object_new_string(msg));
		fprintf(run->out, "%s\n",
			json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
								  JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	} else {
		fprintf(run->out, "%s: %s\n", run->tag ? run->tag : "boot", msg);
	}
	fflush(run->out);
}

static int channel_of(struct agent_ctx *ctx, struct counter_channel *ch, gw_error *err)
{
	const struct agent_update_config *u = &ctx->cfg.update;

	for (size_t i = 0; i < ctx->cfg.nchannels; i++) {
		const struct agent_channel *c = &ctx->cfg.channels[i];

		if (u->channel && !strcmp(c->name, u->channel)) {
			ch->name = c->name;
			ch->counter_index = c->counter_index;
			ch->baseline_index = c->baseline_index;
			return 0;
		}
	}
	return gw_fail(err, GW_E_CONFIG, "[update] channel '%s' names no [channel ...] section",
		       u->channel ? u->channel : "");
}

int update_run_open(struct agent_ctx *ctx, bool json, FILE *out, struct update_run *run,
		    gw_error *err)
{
	const struct agent_update_config *u = &ctx->cfg.update;
	struct bl_config blc = { 0 };
	struct evlog_meta meta;
	bool fresh = false;
	int rc;

	memset(run, 0, sizeof(*run));
	run->ctx = ctx;
	run->json = json;
	run->out = out;
	run->now = time(NULL);
	if (!u->configured)
		return gw_fail(err, GW_E_CONFIG, "no [update] section in the config file");
	blc.kind = u->bootloader;
	blc.path = u->bootloader_path;
	blc.cmdline_path = u->cmdline;
	if ((rc = channel_of(ctx, &run->channel, err)) ||
	    (rc = evlog_sync(ctx, &meta, &fresh, err)) ||
	    (rc = stage_banks_get(ctx, &run->banks, err)))
		return rc;
	if ((rc = bl_open(&blc, &run->bl, err)) || (rc = bl_get_status(run->bl, &run->bls, err))) {
		gw_error_prefix(err, "bootloader: ");
		return rc;
	}
	rc = bl_booted(run->bl, &run->booted, err);
	if (rc) {
		gw_error_prefix(err, "which slot group is running: ");
		return rc;
	}
	rc = update_state_load(ctx, &run->st, err);
	if (rc)
		return rc;
	/* An expired pinned root still names the keys of what was installed. */
	rc = update_root_load_any(ctx, run->now, &run->root_expired, &run->root, err);
	if (rc) {
		gw_error_prefix(err, "trust root: ");
		return rc;
	}
	return update_state_adopt_root(ctx, &run->st, run->root, err);
}

void update_run_close(struct update_run *run)
{
	bl_close(run->bl);
	root_free(run->root);
	run->bl = NULL;
	run->root = NULL;
}

/* The current log already holds this record (a rerun in the same reset cycle). */
static int recorded(struct update_run *run, const char *event_type, const char *text,
		    bool *found, gw_error *err)
{
	struct cel_log *log = NULL;
	int rc;

	*found = false;
	rc = evlog_read(run->ctx, NULL, NULL, &log, err);
	if (rc)
		return rc;
	for (size_t i = 0; i < log->n && !*found; i++) {
		const struct cel_record *r = &log->rec[i];

		*found = r->pcr == run->ctx->cfg.trust_pcr && r->event_type &&
			 !strcmp(r->event_type, event_type) && r->string &&
			 !strcmp(r->string, text);
	}
	cel_free(log);
	return 0;
}

int update_measure_once(struct update_run *run, const char *event_type, const char *text,
			const uint8_t d[][GW_MAX_DIGEST], gw_error *err)
{
	uint64_t recnum = 0;
	bool found = false;
	int rc;

	rc = recorded(run, event_type, text, &found, err);
	if (rc)
		return rc;
	if (found) {
		update_say(run, "record", "%s (already in this boot's log)", text);
		return 0;
	}
	rc = evlog_measure(run->ctx, run->ctx->cfg.trust_pcr, run->banks.alg, d, run->banks.n,
			   event_type, NULL, NULL, text, &recnum, err);
	if (!rc)
		update_say(run, "record", "%s: record %llu, PCR %u", text,
			   (unsigned long long)recnum, run->ctx->cfg.trust_pcr);
	return rc;
}

int update_record(struct update_run *run, enum update_event_kind kind, enum bl_group g,
		  const struct manifest *m, bool below_counter, gw_error *err)
{
	struct update_event ev = { .kind = kind, .group = bl_group_char(g),
				   .below_counter = below_counter };
	uint8_t d[GW_MAX_BANKS][GW_MAX_DIGEST];
	char text[UPDATE_EVENT_TEXT_MAX];
	int rc;

	memcpy(ev.manifest_digest, m->digest, sizeof(ev.manifest_digest));
	rc = gw_snprintf(ev.version, sizeof(ev.version), "%s", m->version);
	if (!rc)
		rc = update_event_format(&ev, text, sizeof(text));
	if (rc)
		return gw_fail(err, rc, "update record for version '%s'", m->version);
	/* Each bank's digest is the hash of the text, so the replay authenticates
	 * kind, group, version and the manifest digest the text names. */
	for (size_t i = 0; i < run->banks.n && !rc; i++)
		if (update_event_digest(run->banks.alg[i], text, d[i]))
			rc = gw_fail(err, GW_E_CRYPTO, "hashing the update record");
	if (!rc)
		rc = update_measure_once(run, UPDATE_EVENT_TYPE, text, (const uint8_t(*)[GW_MAX_DIGEST])d, err);
	return rc;
}

/* Before the state that it describes is saved: a crash in between repeats the
 * line at the rerun rather than losing it. */
static int history(struct update_run *run, const char *action, enum bl_group g,
		   enum update_outcome outcome, gw_error *err)
{
	const struct slot_group_state *gs = &run->st.group[g];
	struct update_history_entry e = {
		.time = time(NULL),
		.action = action,
		.group = (int)g,
		.version = gs->has_manifest ? gs->version : NULL,
		.security_version = gs->security_version,
		.manifest_digest = gs->has_manifest ? gs->manifest_digest : NULL,
		.outcome = outcome,
		.detail = run->st.last_detail,
	};

	return update_history_append(run->ctx, &e, err);
}

int update_state_commit(struct update_run *run, const char *action, enum bl_group g,
			gw_error *err)
{
	int rc = history(run, action, g, run->st.last_outcome, err);

	return rc ? rc : update_state_save(run->ctx, &run->st, err);
}

static void set_detail(struct update_state *st, const char *why)
{
	if (gw_snprintf(st->last_detail, sizeof(st->last_detail), "%s", why))
		st->last_detail[sizeof(st->last_detail) - 1] = '\0';
}

/* The root riding in m, when it is newer than the pinned one: pinned as its
 * successor. Idempotent: a root already pinned, or older, is left alone. */
int update_pin_carried_root(struct update_run *run, const struct manifest *m, gw_error *err)
{
	struct root *next = NULL;
	int rc;

	if (!m->root)
		return 0;
	rc = root_parse(m->root, m->root_len, &next, err);
	if (rc) {
		gw_error_prefix(err, "the root the manifest carries: ");
		return rc;
	}
	if (next->version > run->root->version) {
		rc = update_root_pin(run->ctx, run->root, m->root, m->root_len, run->now, err);
		if (rc)
			gw_error_prefix(err, "pinning trust root version %llu: ",
					(unsigned long long)next->version);
		else
			update_say(run, "root-pinned", "trust root version %llu pinned (sha256:%s)",
				   (unsigned long long)next->version, next->digest_hex);
	}
	root_free(next);
	return rc;
}

int update_commit(struct update_run *run, const char *why, gw_error *err)
{
	enum bl_group g = run->booted, other = g == BL_GROUP_A ? BL_GROUP_B : BL_GROUP_A;
	struct slot_group_state *os = &run->st.group[other];
	struct manifest *m = NULL;
	struct counter_state cs;
	uint64_t other_sv;
	int rc;

	rc = update_manifest_load(run->ctx, run->root, g, &m, err);
	if (rc == GW_E_NOTFOUND)
		rc = gw_fail(err, GW_E_STATE, "group %c has no stored manifest: nothing to commit",
			     bl_group_char(g));
	if (rc)
		goto out;
	/* Before anything changes: a counter that cannot reach the target would
	 * leave the other group marked bad and the commit never finished. */
	rc = counter_read(run->ctx->tpm, &run->channel, &cs, err);
	if (!rc && m->security_version > cs.security_version &&
	    m->security_version - cs.security_version > COUNTER_MAX_ADVANCE)
		rc = gw_fail(err, GW_E_STATE, "security version %llu is more than %d above the "
			     "counter's %llu: the counter cannot be raised that far; mark this "
			     "group bad (`gwagent update mark-bad`)",
			     (unsigned long long)m->security_version, COUNTER_MAX_ADVANCE,
			     (unsigned long long)cs.security_version);
	if (rc) {
		gw_error_prefix(err, "anti-rollback counter of channel %s: ", run->channel.name);
		goto out;
	}
	rc = bl_mark_good(run->bl, g, err);
	if (rc)
		goto out;
	/* No late fallback into an image the new counter forbids. A group without a
	 * manifest (the factory image) has no security version: 0. */
	other_sv = os->has_manifest ? os->security_version : 0;
	if (other_sv < m->security_version) {
		rc = bl_mark_bad(run->bl, other, err);
		if (rc)
			goto out;
		if (os->state != SLOT_BAD)
			update_say(run, "marked-bad",
				   "group %c (security version %llu) marked bad: below %llu",
				   bl_group_char(other), (unsigned long long)other_sv,
				   (unsigned long long)m->security_version);
		os->state = SLOT_BAD;
	}
	rc = counter_advance(run->ctx->tpm, &run->channel, m->security_version, &cs, err);
	if (rc) {
		gw_error_prefix(err, "anti-rollback counter of channel %s: ", run->channel.name);
		goto out;
	}
	rc = update_record(run, UPDATE_EV_COMMITTED, g, m, false, err);
	if (rc)
		goto out;
	run->st.group[g].state = SLOT_GOOD;
	run->st.trial_group = -1;
	run->st.last_outcome = UPDATE_OUTCOME_COMMITTED;
	set_detail(&run->st, why);
	/* Pinned before the state says committed: a failure here leaves the commit
	 * to be finished (and the pin retried) by a rerun or the next boot. */
	rc = update_pin_carried_root(run, m, err);
	if (!rc)
		rc = update_state_commit(run, "commit", g, err);
	if (rc)
		goto out;
	update_say(run, "committed", "group %c committed: version %s, security version %llu (%s)",
		   bl_group_char(g), m->version, (unsigned long long)m->security_version, why);
out:
	manifest_free(m);
	return rc;
}

int update_rollback(struct update_run *run, enum bl_group g, const char *why, gw_error *err)
{
	enum bl_group other = g == BL_GROUP_A ? BL_GROUP_B : BL_GROUP_A;
	int rc;

	if (!run->bls.bootable[other])
		return gw_fail(err, GW_E_STATE,
			       "group %c is not bootable: marking %c bad would leave nothing to boot",
			       bl_group_char(other), bl_group_char(g));
	rc = bl_mark_bad(run->bl, g, err);
	if (rc)
		return rc;
	run->st.group[g].state = SLOT_BAD;
	run->st.last_outcome = UPDATE_OUTCOME_ROLLED_BACK;
	/* Kept pending: the next boot (on the other group) records "rolled-back". */
	run->st.trial_group = (int)g;
	set_detail(&run->st, why);
	rc = update_state_commit(run, "rollback", g, err);
	if (!rc)
		update_say(run, "rolled-back", "group %c marked bad: %s", bl_group_char(g), why);
	return rc;
}

int update_reboot_command(struct agent_ctx *ctx, gw_error *err)
{
	const char *cmd = ctx->cfg.update.reboot_command;
	char buf[1024], *argv[HEALTH_MAX_ARGS + 1];
	struct health_result r = { .name = "reboot" };
	int rc;

	if (!cmd)
		cmd = AGENT_DEFAULT_REBOOT_COMMAND;
	rc = health_split_argv(cmd, buf, sizeof(buf), argv, GW_ARRAY_SIZE(argv), err);
	if (!rc)
		rc = health_exec(argv, REBOOT_TIMEOUT, &r, err);
	if (rc) {
		gw_error_prefix(err, "reboot command '%s': ", cmd);
		return rc;
	}
	if (!r.ok)
		return gw_fail(err, GW_E_STATE, "reboot command '%s' failed (%s %d): %s", cmd,
			       r.timed_out ? "timed out, killed by signal" : "exit status",
			       r.status, r.output);
	return 0;
}

int update_reboot(struct update_run *run, gw_error *err)
{
	const char *cmd = run->ctx->cfg.update.reboot_command;
	int rc = update_reboot_command(run->ctx, err);

	if (!rc)
		update_say(run, "reboot", "reboot command '%s' run",
			   cmd ? cmd : AGENT_DEFAULT_REBOOT_COMMAND);
	return rc;
}
