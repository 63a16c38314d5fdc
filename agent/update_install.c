// SPDX-License-Identifier: Apache-2.0
// gwagent update install's work: the checks that refuse a bundle before anything is
// written, then the install in the order that keeps the device bootable after a
// crash at any instant (doc/updates.md, "Installing").
#include "update_install.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"
#include "bundle_crypt.h"
#include "counter.h"
#include "evlog.h"
#include "exitcode.h"
#include "slot_write.h"
#include "stage.h"
#include "update_boot.h"
#include "update_event.h"
#include "update_state.h"
#include "util.h"

/* What one install holds between its steps. */
struct install {
	struct agent_ctx *ctx;
	const struct update_install_opts *o;
	struct update_install_result *res;
	struct root *root;
	bool root_expired; /* the pinned root has expired: a carried successor must rescue */
	struct bootloader *bl;
	struct bundle_reader *br;
	const struct manifest *m;
	struct update_state st;
	struct slot_dev dev[MANIFEST_MAX_PAYLOADS]; /* target of payload i */
	bool payload_failed;			     /* the bundle, not the slot, failed */
	struct bundle_crypt_source *src;	     /* the current payload's plaintext */
};

static int refuse(struct install *in, enum update_refusal why, int rc)
{
	in->res->refusal = why;
	return rc;
}

static int find_channel(struct agent_ctx *ctx, struct counter_channel *ch, gw_error *err)
{
	const struct agent_config *cfg = &ctx->cfg;

	for (size_t i = 0; i < cfg->nchannels; i++)
		if (!strcmp(cfg->channels[i].name, cfg->update.channel)) {
			ch->name = cfg->channels[i].name;
			ch->counter_index = cfg->channels[i].counter_index;
			ch->baseline_index = cfg->channels[i].baseline_index;
			return 0;
		}
	return gw_fail(err, GW_E_CONFIG, "[update] channel '%s' has no [channel %s] section",
		       cfg->update.channel, cfg->update.channel);
}

/* Which group runs, and that it is not itself on trial: installing over the only
 * committed group while the other is unproven would leave nothing to fall back to. */
static int check_groups(struct install *in, gw_error *err)
{
	struct update_install_result *res = in->res;
	struct bl_status bs;
	int rc;

	rc = bl_booted(in->bl, &res->booted, err);
	if (rc == GW_E_NOTFOUND)
		return refuse(in, UPDATE_REFUSAL_BUSY,
			      gw_fail(err, GW_E_STATE, "cannot tell which slot group is running "
				      "(no gatewarden.slot= on the kernel command line?)"));
	if (!rc)
		rc = bl_get_status(in->bl, &bs, err);
	if (rc)
		return rc;
	res->target = res->booted == BL_GROUP_A ? BL_GROUP_B : BL_GROUP_A;
	/* Only a committed running group may be the fallback of the new one. */
	if (bs.trial[res->booted] || !bs.bootable[res->booted] ||
	    in->st.group[res->booted].state == SLOT_STAGED)
		return refuse(in, UPDATE_REFUSAL_BUSY,
			      gw_fail(err, GW_E_STATE,
				      "the running group %c is on trial and not committed: let the "
				      "boot service commit it (or `gwagent update mark-good`) first",
				      bl_group_char(res->booted)));
	return 0;
}

static int check_manifest(struct install *in, gw_error *err)
{
	const struct agent_config *cfg = &in->ctx->cfg;
	const struct manifest *m = in->m;
	char when[GW_TIME_LEN];

	if (!manifest_has_model(m, cfg->model))
		return refuse(in, UPDATE_REFUSAL_MODEL,
			      gw_fail(err, GW_E_STATE, "the bundle is not for model '%s' (it lists "
				      "%zu model%s, the first '%s')",
				      cfg->model, m->nmodels, m->nmodels == 1 ? "" : "s",
				      m->models[0]));
	if (strcmp(m->channel, cfg->update.channel))
		return refuse(in, UPDATE_REFUSAL_CHANNEL,
			      gw_fail(err, GW_E_STATE, "the bundle is for channel '%s', this "
				      "device follows '%s'", m->channel, cfg->update.channel));
	if (m->expires && m->expires <= in->o->now) {
		gw_time_format_utc((int64_t)m->expires, when);
		return refuse(in, UPDATE_REFUSAL_EXPIRED,
			      gw_fail(err, GW_E_STATE, "the manifest expired at %s", when));
	}
	return 0;
}

/* The root the manifest carries, when newer than the pinned one, must be its valid,
 * unexpired successor. When the pinned root has expired, only such a successor lets
 * the bundle in, and the manifest must verify against its targets keys too (TUF's
 * way out of an expired root). */
static int check_root(struct install *in, gw_error *err)
{
	const struct manifest *m = in->m;
	struct root *next = NULL;
	char when[GW_TIME_LEN];
	int rc = 0;

	if (m->root)
		rc = root_parse(m->root, m->root_len, &next, err);
	if (rc) {
		gw_error_prefix(err, "the trust root the manifest carries: ");
		rc = refuse(in, UPDATE_REFUSAL_ROOT, rc);
		goto out;
	}
	if (in->root_expired && (!next || next->version <= in->root->version)) {
		gw_time_format_utc((int64_t)in->root->expires, when);
		rc = refuse(in, UPDATE_REFUSAL_ROOT,
			    gw_fail(err, GW_E_STATE, "the pinned trust root (version %llu) expired "
				    "at %s and the bundle carries no newer root: install a bundle "
				    "that carries its successor (gwpolicy bundle create --new-root)",
				    (unsigned long long)in->root->version, when));
		goto out;
	}
	if (!next || next->version <= in->root->version)
		goto out;
	rc = root_verify_successor(in->root, next, in->o->now, err);
	if (!rc && in->root_expired)
		rc = root_verify_envelope(next, ROOT_ROLE_TARGETS, bundle_dsse(in->br),
					  MANIFEST_PAYLOAD_TYPE, NULL, err);
	if (rc) {
		gw_error_prefix(err, "the trust root version %llu the manifest carries: ",
				(unsigned long long)next->version);
		rc = refuse(in, UPDATE_REFUSAL_ROOT, rc);
	}
out:
	root_free(next);
	return rc;
}

static int check_counter(struct install *in, gw_error *err)
{
	struct counter_channel ch;
	struct counter_state cs;
	int rc;

	rc = find_channel(in->ctx, &ch, err);
	if (!rc)
		rc = counter_read(in->ctx->tpm, &ch, &cs, err);
	if (rc == GW_E_NOTFOUND)
		return gw_fail(err, GW_E_STATE, "the anti-rollback counter of channel '%s' is not "
			       "provisioned: run `gwagent provision`", ch.name);
	if (rc)
		return rc;
	in->res->counter_security_version = cs.security_version;
	if (in->m->security_version < cs.security_version)
		return refuse(in, UPDATE_REFUSAL_ROLLBACK,
			      gw_fail(err, GW_E_STATE, "security version %llu is below the "
				      "counter's %llu (channel %s): a rollback",
				      (unsigned long long)in->m->security_version,
				      (unsigned long long)cs.security_version, ch.name));
	/* The commit could never raise the counter that far: it would wedge there. */
	if (in->m->security_version - cs.security_version > COUNTER_MAX_ADVANCE)
		return refuse(in, UPDATE_REFUSAL_ROLLBACK,
			      gw_fail(err, GW_E_STATE, "security version %llu is more than %d "
				      "above the counter's %llu (channel %s): a commit could not "
				      "raise the counter that far; release an intermediate "
				      "security version first",
				      (unsigned long long)in->m->security_version,
				      COUNTER_MAX_ADVANCE,
				      (unsigned long long)cs.security_version, ch.name));
	return 0;
}

/* Every configured class of the target group gets a payload, and every payload a
 * class; each target device may be written and is none of the running group's. */
static int check_slots(struct install *in, gw_error *err)
{
	const struct agent_update_config *u = &in->ctx->cfg.update;
	const struct manifest *m = in->m;
	enum bl_group target = in->res->target;
	size_t nclasses = 0;
	int rc;

	for (size_t i = 0; i < u->nslots; i++)
		nclasses += u->slots[i].group == target;
	for (size_t i = 0; i < m->npayloads; i++) {
		const struct agent_slot *s = config_update_slot(u, target, m->payloads[i].class_name);

		if (!s)
			return refuse(in, UPDATE_REFUSAL_SLOTS,
				      gw_fail(err, GW_E_STATE, "the bundle has a payload of class "
					      "'%s', which this device has no slot for",
					      m->payloads[i].class_name));
		rc = slot_dev_check(s->device, m->payloads[i].size, NULL, &in->dev[i], err);
		if (rc) {
			gw_error_prefix(err, "slot %c.%s: ", bl_group_char(target), s->class_name);
			return refuse(in, UPDATE_REFUSAL_SLOTS, rc);
		}
		for (size_t j = 0; j < u->nslots; j++) {
			struct slot_dev run;

			if (u->slots[j].group == target)
				continue;
			/* A running slot we cannot identify could be the target itself. */
			rc = slot_dev_identify(u->slots[j].device, &run, err);
			if (!rc && !run.exists)
				rc = gw_fail(err, GW_E_STATE, "%s does not exist",
					     u->slots[j].device);
			if (rc) {
				gw_error_prefix(err, "the running slot %c.%s cannot be identified, "
						"so slot %c.%s cannot be told apart from it: ",
						bl_group_char(u->slots[j].group),
						u->slots[j].class_name, bl_group_char(target),
						s->class_name);
				return refuse(in, UPDATE_REFUSAL_SLOTS, GW_E_STATE);
			}
			if (!slot_dev_same(&run, &in->dev[i]))
				continue;
			return refuse(in, UPDATE_REFUSAL_SLOTS,
				      gw_fail(err, GW_E_STATE, "slot %c.%s (%s) is the device of "
					      "the running slot %c.%s", bl_group_char(target),
					      s->class_name, s->device,
					      bl_group_char(u->slots[j].group),
					      u->slots[j].class_name));
		}
	}
	if (m->npayloads != nclasses)
		return refuse(in, UPDATE_REFUSAL_SLOTS,
			      gw_fail(err, GW_E_STATE, "the bundle has %zu payload%s, group %c has "
				      "%zu slot classes: a bundle must fill every class",
				      m->npayloads, m->npayloads == 1 ? "" : "s",
				      bl_group_char(target), nclasses));
	return 0;
}

/* A rollback of the target recorded in the state but not yet at a boot (the
 * trial kept pending for it): its history line and "update rolled-back" record
 * now, before the install overwrites what they name. */
static int record_pending_rollback(struct install *in, gw_error *err)
{
	enum bl_group t = in->res->target;
	struct update_run run;
	int rc;

	if (in->st.trial_group != (int)t || in->st.group[t].state != SLOT_BAD)
		return 0;
	rc = update_run_open(in->ctx, false, stderr, &run, err);
	run.tag = "update";
	if (!rc)
		rc = update_record_rolled_back(&run, t, err);
	update_run_close(&run);
	if (!rc)
		rc = update_state_load(in->ctx, &in->st, err);
	return rc;
}

/* Before the first byte: the target is not bootable and the state says so. */
static int mark_installing(struct install *in, gw_error *err)
{
	enum bl_group t = in->res->target;
	struct slot_group_state *g = &in->st.group[t];
	int rc;

	rc = record_pending_rollback(in, err);
	if (rc)
		return rc;
	memset(g, 0, sizeof(*g));
	g->state = SLOT_INSTALLING;
	memcpy(g->version, in->m->version, sizeof(g->version));
	memcpy(g->channel, in->m->channel, sizeof(g->channel));
	g->security_version = in->m->security_version;
	g->installed = in->o->now;
	if (in->st.trial_group == (int)t) {
		in->st.trial_group = -1;
		in->st.trial_set = false;
	}
	in->res->touched = true;
	rc = update_state_save(in->ctx, &in->st, err);
	if (!rc)
		rc = update_manifest_remove(in->ctx, t, err);
	if (!rc)
		rc = bl_mark_bad(in->bl, t, err);
	return rc;
}

/* The payload's plaintext (bundle_read, through the decryption of an encrypted
 * bundle), remembering that a failure was the bundle's (a tampered, truncated,
 * spliced payload, or the wrong content key) and not the slot's. */
static int read_payload(void *user, uint8_t *buf, size_t len, size_t *n, gw_error *err)
{
	struct install *in = user;
	int rc = bundle_crypt_source_read(in->src, buf, len, n, err);

	if (rc)
		in->payload_failed = true;
	return rc;
}

static int write_payloads(struct install *in, gw_error *err)
{
	const struct manifest_payload *p = NULL;
	int rc;

	for (size_t i = 0; i < in->m->npayloads; i++) {
		in->payload_failed = false;
		rc = bundle_next_payload(in->br, &p, err);
		if (!rc && p != &in->m->payloads[i])
			rc = gw_fail(err, GW_E_PARSE, "payload %zu is not the manifest's", i + 1);
		if (rc)
			return refuse(in, rc == GW_E_IO ? UPDATE_REFUSAL_NONE : UPDATE_REFUSAL_BUNDLE,
				      rc);
		bundle_crypt_source_free(in->src);
		in->src = NULL;
		rc = bundle_crypt_source_new(in->br, in->m, i,
					     in->m->encrypted ? in->o->content_key : NULL, &in->src);
		if (rc)
			return rc;
		if (in->o->progress)
			progress_begin(in->o->progress, p->class_name);
		/* The source checks each payload's SHA-256 at its end: bundle_read the
		 * member's, and for an encrypted one the plaintext's too. */
		rc = slot_write(&in->dev[i], p->size, p->sha256, SLOT_SRC_VERIFIED, read_payload,
				in, in->o->progress ? progress_update : NULL, in->o->progress,
				err);
		if (in->o->progress)
			progress_end(in->o->progress);
		if (rc) {
			gw_error_prefix(err, "payload %s: ", p->class_name);
			return refuse(in, in->payload_failed ? UPDATE_REFUSAL_BUNDLE
					  : rc == GW_E_REFERENCE ? UPDATE_REFUSAL_VERIFY
								 : UPDATE_REFUSAL_NONE, rc);
		}
		in->res->npayloads++;
		in->res->bytes += p->size;
	}
	rc = bundle_next_payload(in->br, &p, err);
	if (rc == GW_E_NOTFOUND)
		rc = bundle_finish(in->br, err);
	else if (!rc)
		rc = gw_fail(err, GW_E_PARSE, "a member follows the last payload");
	return rc ? refuse(in, UPDATE_REFUSAL_BUNDLE, rc) : 0;
}

/* Log, then extend "update staged G version V manifest sha256:H" into the trust
 * PCR, each bank's digest the hash of that text (common/update_event.h). */
static int measure_staged(struct install *in, gw_error *err)
{
	uint8_t d[GW_MAX_BANKS][GW_MAX_DIGEST];
	struct stage_banks banks;
	struct evlog_meta meta;
	bool fresh = false;
	struct update_event ev = { .kind = UPDATE_EV_STAGED,
				   .group = bl_group_char(in->res->target) };
	char text[UPDATE_EVENT_TEXT_MAX];
	int rc;

	memcpy(ev.manifest_digest, in->m->digest, sizeof(ev.manifest_digest));
	rc = gw_snprintf(ev.version, sizeof(ev.version), "%s", in->m->version);
	if (!rc)
		rc = update_event_format(&ev, text, sizeof(text));
	if (rc)
		return gw_fail(err, rc, "the staged record for version '%s'", in->m->version);
	rc = evlog_sync(in->ctx, &meta, &fresh, err);
	if (!rc)
		rc = stage_banks_get(in->ctx, &banks, err);
	for (size_t i = 0; !rc && i < banks.n; i++)
		if (update_event_digest(banks.alg[i], text, d[i]))
			rc = gw_fail(err, GW_E_CRYPTO, "hashing the staged record");
	if (!rc)
		rc = evlog_measure(in->ctx, in->ctx->cfg.trust_pcr, banks.alg,
				   (const uint8_t(*)[GW_MAX_DIGEST])d, banks.n, UPDATE_EVENT_TYPE, NULL, NULL,
				   text, NULL, err);
	return rc;
}

/* Written and verified: keep the manifest, record STAGED, measure, set the trial. */
static int stage(struct install *in, gw_error *err)
{
	enum bl_group t = in->res->target;
	struct slot_group_state *g = &in->st.group[t];
	struct dsse_envelope *env = NULL;
	const uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	rc = bundle_envelope(in->br, &buf, &len);
	if (!rc)
		rc = dsse_parse(buf, len, &env, err);
	if (!rc)
		rc = update_manifest_store(in->ctx, t, buf, len, err);
	/* The manifest stays verifiable under this root after a rotation. */
	if (!rc)
		rc = update_root_keep(in->ctx, in->root, err);
	if (rc)
		goto out;
	g->state = SLOT_STAGED;
	g->has_manifest = true;
	g->root_version = in->root->version;
	memcpy(g->manifest_digest, in->m->digest, sizeof(g->manifest_digest));
	in->st.trial_group = (int)t;
	in->st.trial_set = false;
	in->st.last_outcome = UPDATE_OUTCOME_STAGED;
	snprintf(in->st.last_detail, sizeof(in->st.last_detail),
		 "version %s staged in group %c for a trial boot", in->m->version,
		 bl_group_char(t));
	rc = update_state_save(in->ctx, &in->st, err);
	if (!rc)
		rc = measure_staged(in, err);
	if (!rc)
		rc = bl_set_trial(in->bl, t, in->ctx->cfg.update.trial_tries, err);
	/* A crash before this save is an interrupted install, not a fall-back. */
	if (!rc) {
		in->st.trial_set = true;
		rc = update_state_save(in->ctx, &in->st, err);
	}
out:
	dsse_free(env);
	return rc;
}

static int open_parts(struct install *in, gw_error *err)
{
	struct agent_ctx *ctx = in->ctx;
	const struct agent_update_config *u = &ctx->cfg.update;
	struct bl_config blc = { .kind = u->bootloader, .path = u->bootloader_path,
				 .cmdline_path = u->cmdline };
	int rc;

	if (!u->configured)
		return gw_fail(err, GW_E_CONFIG, "the configuration has no [update] section "
			       "(trust root, channel, bootloader, slots)");
	if (!ctx->cfg.model)
		return gw_fail(err, GW_E_CONFIG, "[agent] model is not set: a bundle names the "
			       "models it is for");
	rc = agent_lock_state(ctx, err);
	if (!rc)
		rc = update_state_load(ctx, &in->st, err);
	if (rc)
		return rc;
	/* Expired: still its signatures; check_root then wants a carried successor. */
	rc = update_root_load_any(ctx, in->o->now, &in->root_expired, &in->root, err);
	if (!rc)
		rc = update_state_adopt_root(ctx, &in->st, in->root, err);
	if (!rc)
		rc = bl_open(&blc, &in->bl, err);
	if (!rc)
		rc = check_groups(in, err);
	return rc;
}

static void fill_result(struct install *in)
{
	struct update_install_result *res = in->res;
	const struct manifest *m = in->m;

	snprintf(res->version, sizeof(res->version), "%s", m->version);
	res->security_version = m->security_version;
	memcpy(res->digest_hex, m->digest_hex, sizeof(res->digest_hex));
	res->reboot_required = m->reboot_required;
}

/* The history line, and on a failure after the target was touched, the outcome in
 * the state (best effort: the failure being reported matters more). */
static void record(struct install *in, int rc, const gw_error *err)
{
	struct update_history_entry e = {
		.time = in->o->now, .action = "install", .group = -1,
		.outcome = rc ? UPDATE_OUTCOME_FAILED : UPDATE_OUTCOME_STAGED,
		.detail = rc ? gw_error_msg(err, rc) : in->st.last_detail,
	};

	if (in->m) {
		e.group = (int)in->res->target;
		e.version = in->m->version;
		e.security_version = in->m->security_version;
		e.manifest_digest = in->m->digest;
	}
	if (rc && in->res->touched) {
		/* Staged but not set for its trial (a TPM or bootloader failure in the
		 * last steps): the bootloader has it as bad, and so must the state. */
		if (in->st.group[in->res->target].state == SLOT_STAGED)
			in->st.group[in->res->target].state = SLOT_INSTALLING;
		if (in->st.trial_group == (int)in->res->target) {
			in->st.trial_group = -1;
			in->st.trial_set = false;
		}
		in->st.last_outcome = UPDATE_OUTCOME_FAILED;
		snprintf(in->st.last_detail, sizeof(in->st.last_detail), "%s",
			 gw_error_msg(err, rc));
		(void)!update_state_save(in->ctx, &in->st, NULL);
	}
	/* Refusals are recorded too (nothing else is written for them); a state
	 * directory that cannot take the line was reported by the step that failed. */
	in->res->history_failed = update_history_append(in->ctx, &e, NULL) != 0;
}

/* A plain bundle needs the verifier's authorization unless [update]
 * authorization = none; one given must name this very manifest. (An encrypted
 * bundle is enforced by the TPM: without an authorization there is no key.) */
static int check_authorized(struct install *in, gw_error *err)
{
	const uint8_t *want = in->o->authorized_manifest;

	if (want && memcmp(want, in->m->digest, sizeof(in->m->digest)))
		return refuse(in, UPDATE_REFUSAL_AUTHORIZATION,
			      gw_fail(err, GW_E_STATE, "the authorization names another manifest "
						       "than this bundle's"));
	if (!want && !in->m->encrypted && !in->ctx->cfg.update.authorization_none)
		return refuse(in, UPDATE_REFUSAL_AUTHORIZATION,
			      gw_fail(err, GW_E_STATE, "a bundle needs the verifier's authorization: "
						       "use 'gwagent update apply RELEASE', or set "
						       "[update] authorization = none on a device "
						       "updated by hand"));
	return 0;
}

int update_install(struct agent_ctx *ctx, const struct update_install_opts *o,
		   struct update_install_result *res, gw_error *err)
{
	struct install in = { .ctx = ctx, .o = o, .res = res };
	int rc;

	memset(res, 0, sizeof(*res));
	update_state_init(&in.st);
	rc = open_parts(&in, err);
	if (rc)
		goto out;
	/* The envelope against the pinned root before anything else of the bundle. */
	rc = bundle_open_fd(o->fd, in.root, NULL, &in.br, err);
	if (rc) {
		gw_error_prefix(err, "bundle: ");
		refuse(&in, rc == GW_E_SIGNATURE ? UPDATE_REFUSAL_SIGNATURE
			    : rc == GW_E_IO || rc == GW_E_NOMEM ? UPDATE_REFUSAL_NONE
								 : UPDATE_REFUSAL_BUNDLE, rc);
		goto out;
	}
	in.m = bundle_manifest(in.br);
	fill_result(&in);
	if ((rc = check_manifest(&in, err)) || (rc = check_root(&in, err)) ||
	    (rc = check_counter(&in, err)) ||
	    (rc = check_slots(&in, err)))
		goto out;
	/* The last check: a bundle that fails another one says so first. */
	if (in.m->encrypted && !o->content_key) {
		rc = refuse(&in, UPDATE_REFUSAL_ENCRYPTED,
			    gw_fail(err, GW_E_STATE, "encrypted bundle: needs an authorized "
				    "content key"));
		goto out;
	}
	rc = check_authorized(&in, err);
	if (rc)
		goto out;
	/* Checks passed: from here on the target group is being written. */
	if ((rc = mark_installing(&in, err)) || (rc = write_payloads(&in, err)))
		goto out;
	rc = stage(&in, err);
out:
	if (ctx->cfg.update.configured && rc != GW_E_CONFIG)
		record(&in, rc, err);
	bundle_crypt_source_free(in.src);
	bundle_reader_free(in.br);
	bl_close(in.bl);
	root_free(in.root);
	return rc;
}

static const struct {
	const char *name;
	int exit_code;
} refusals[] = {
	[UPDATE_REFUSAL_NONE] = { "none", GW_EXIT_OK },
	[UPDATE_REFUSAL_SIGNATURE] = { "signature", GW_EXIT_UPDATE_SIGNATURE },
	[UPDATE_REFUSAL_BUNDLE] = { "bundle", GW_EXIT_UPDATE_BUNDLE },
	[UPDATE_REFUSAL_MODEL] = { "model", GW_EXIT_UPDATE_MODEL },
	[UPDATE_REFUSAL_CHANNEL] = { "channel", GW_EXIT_UPDATE_CHANNEL },
	[UPDATE_REFUSAL_EXPIRED] = { "expired", GW_EXIT_UPDATE_EXPIRED },
	[UPDATE_REFUSAL_ROLLBACK] = { "rollback", GW_EXIT_UPDATE_ROLLBACK },
	[UPDATE_REFUSAL_SLOTS] = { "slots", GW_EXIT_UPDATE_SLOTS },
	[UPDATE_REFUSAL_BUSY] = { "busy", GW_EXIT_STATE },
	[UPDATE_REFUSAL_VERIFY] = { "verify", GW_EXIT_UPDATE_VERIFY },
	[UPDATE_REFUSAL_ROOT] = { "root", GW_EXIT_UPDATE_ROOT },
	[UPDATE_REFUSAL_ENCRYPTED] = { "encrypted", GW_EXIT_UPDATE_ENCRYPTED },
	[UPDATE_REFUSAL_AUTHORIZATION] = { "not-authorized", GW_EXIT_UPDATE_UNAUTHORIZED },
};

int update_refusal_exit(enum update_refusal r, int rc)
{
	if (r != UPDATE_REFUSAL_NONE && (unsigned)r < GW_ARRAY_SIZE(refusals))
		return refusals[r].exit_code;
	return gw_exit_for(rc);
}

const char *update_refusal_name(enum update_refusal r)
{
	return (unsigned)r < GW_ARRAY_SIZE(refusals) ? refusals[r].name : "unknown";
}
