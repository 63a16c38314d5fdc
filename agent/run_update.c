// SPDX-License-Identifier: Apache-2.0
// gwagent run's update step (run_update.h).
#include "run_update.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "consent.h"
#include "update_boot.h"
#include "update_offer.h"
#include "update_state.h"
#include "util.h"

/* A group staged and not yet booted: nothing more is applied until the boot
 * service has run its trial (the reboot command did not reboot, or not yet). */
static int staged_group(const struct update_state *st)
{
	for (int g = 0; g < BL_NGROUPS; g++)
		if (st->group[g].state == SLOT_STAGED)
			return g;
	return -1;
}

/* What a group holds of release id (a release's id is the first 16 hex digits of
 * its manifest's SHA-256): SLOT_GOOD when a good group has it (installed: not
 * again), SLOT_BAD when a group marked bad has it (its trial failed on this
 * device: not again by the daemon), else SLOT_EMPTY. */
static enum slot_state held(const struct update_state *st, const char *id)
{
	enum slot_state found = SLOT_EMPTY;
	char hex[65];

	for (int g = 0; g < BL_NGROUPS && strlen(id) == 16; g++) {
		if (!st->group[g].has_manifest ||
		    (st->group[g].state != SLOT_GOOD && st->group[g].state != SLOT_BAD))
			continue;
		gw_hex_encode(st->group[g].manifest_digest, 32, hex);
		if (strncmp(hex, id, 16))
			continue;
		if (st->group[g].state == SLOT_GOOD)
			return SLOT_GOOD;
		found = SLOT_BAD;
	}
	return found;
}

/* The offer to install now: the first not installed already that the decision
 * lets through; else *pick is NULL and line says what the first one waits for. */
static int choose(struct agent_ctx *ctx, const struct update_state *st,
		  struct update_offers *offers, int64_t now, const struct update_offer **pick,
		  char *line, size_t len, gw_error *err)
{
	uint64_t sv = 0;
	int rc = update_committed_sv(ctx, &sv, err);
	bool said = false;

	*pick = NULL;
	for (size_t i = 0; !rc && i < offers->n; i++) {
		const struct update_offer *f = &offers->offer[i];
		struct consent_offer co = update_offer_consent(f, sv);
		struct consent_answer a = { f->accepted, f->defer_until };
		struct consent_decision d;
		char when[GW_TIME_LEN] = "";

		enum slot_state h = held(st, f->id);

		if (h == SLOT_GOOD)
			continue;
		if (h == SLOT_BAD) {
			if (!said)
				snprintf(line, len, "release %s (version %s): its trial failed on "
						    "this device; not installed again ('gwagent "
						    "update apply %s' installs it by hand)",
					 f->id, f->version, f->id);
			said = true;
			continue;
		}
		rc = consent_decide(&ctx->cfg.consent, &co, &a, now, &d, err);
		if (rc)
			break;
		if (d.action == CONSENT_INSTALL) {
			*pick = f;
			break;
		}
		if (!said) {
			said = true;
			if (d.not_before)
				gw_time_format_utc(d.not_before, when);
			snprintf(line, len, "release %s (version %s): %s%s%s", f->id, f->version,
				 d.reason, when[0] ? " until " : "", when);
		}
	}
	return rc;
}

int run_update_step(struct agent_ctx *ctx, int64_t now, struct run_update_outcome *out,
		    gw_error *err)
{
	struct update_state st;
	int staged;
	struct update_offers offers;
	const struct update_offer *f = NULL;
	struct update_apply_result res;
	char id[OFFER_ID_MAX + 1];
	int rc;

	memset(out, 0, sizeof(*out));
	if (!ctx->cfg.update.configured)
		return 0;
	rc = update_state_load(ctx, &st, err);
	if (rc)
		goto out;
	staged = staged_group(&st);
	if (staged >= 0) {
		out->what = RUN_UPDATE_WAITING;
		snprintf(out->line, sizeof(out->line), "group %c is staged and waits for its "
						      "trial boot",
			 bl_group_char((enum bl_group)staged));
		goto out;
	}
	update_offers_init(&offers);
	if (!rc)
		rc = update_offers_load(ctx, &offers, err);
	if (!rc && offers.n) {
		out->what = RUN_UPDATE_WAITING;
		rc = choose(ctx, &st, &offers, now, &f, out->line, sizeof(out->line), err);
	}
	if (f)
		memcpy(id, f->id, sizeof(id));
	update_offers_fini(&offers);
	if (rc || !f)
		goto out;
	rc = update_apply(ctx, id, NULL, &res, err);
	out->exit_code = res.exit_code;
	if (!rc) {
		snprintf(out->line, sizeof(out->line), "release %s: version %s staged in group %c%s",
			 id, res.install.version, bl_group_char(res.install.target),
			 res.encrypted ? " (unwrapped by the TPM)" : "");
		rc = update_reboot_command(ctx, err);
	}
	if (rc)
		gw_error_prefix(err, "release %s: ", id);
	out->what = rc ? RUN_UPDATE_FAILED : RUN_UPDATE_APPLIED;
out:
	/* Let `boot` and `measure` run between rounds of the daemon. */
	if (ctx->lock_fd >= 0) {
		close(ctx->lock_fd);
		ctx->lock_fd = -1;
	}
	if (rc)
		out->what = RUN_UPDATE_FAILED;
	return rc;
}
