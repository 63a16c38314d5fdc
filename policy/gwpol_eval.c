// SPDX-License-Identifier: Apache-2.0
// Policy evaluation: every rule of a signed policy against the authenticated
// firmware and agent logs, as findings on the EAR trustworthiness vector; the
// agent's stage and trust rules are here, the firmware rules in gwpol_eval_fw.c.
#include "gwpol_eval_int.h"
#include "update_event.h"

#include <stdio.h>
#include <string.h>

#include "util.h"

/* ---- Agent rules: stages (PCR 13) and trust state (PCR 14) ---- */

/* A device's text for a message: capped, control bytes replaced, so that it
 * cannot forge lines in what operators read. NULL reads "?". */
static const char *clean(const char *s, char *out, size_t len)
{
	size_t n = 0;

	if (!s)
		s = "?";
	for (; *s && n + 1 < len; s++)
		out[n++] = (unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s;
	out[n] = '\0';
	return out;
}

static bool is_stage(const struct cel_record *r)
{
	return r->event_type && !strcmp(r->event_type, "stage") && r->stage;
}

static void check_stages(const struct gwpol *p, const struct gwpol_evidence *ev,
			 struct gwpol_report *r)
{
	const struct cel_log *cel = ev->cel;
	bool measured[GWPOL_MAX_STAGES] = { false };

	for (size_t s = 0; s < p->n_stages; s++)
		r->appraised[p->stages[s].claim] = true;
	if (!cel) {
		gwpol_report_add(r, GWPOL_CLAIM_EXECUTABLES, GWPOL_TIER_CONTRAINDICATED,
				 "$.stages",
				 "no authentic agent event log to appraise the policy's stages "
				 "against");
		return;
	}
	if (!(ev->cel_quoted & (1u << GWPOL_STAGE_PCR))) {
		gwpol_report_add(r, GWPOL_CLAIM_EXECUTABLES, GWPOL_TIER_CONTRAINDICATED,
				 "$.stages",
				 "PCR %d (sha256) is not in the quote: the stages are not "
				 "authenticated", GWPOL_STAGE_PCR);
		return;
	}
	for (size_t i = 0; i < cel->n; i++) {
		const struct cel_record *rec = &cel->rec[i];
		const struct gwpol_stage *st = NULL;
		char path[GWPOL_NAME_MAX + 16], exp[EXP_MAX], seen[SEEN_MAX];
		char desc[160], name[GWPOL_NAME_MAX + 1], file[160];

		/* A record's labels are not covered by its digest: whatever is in the
		 * stage PCR must pass as a stage of the policy, or a measurement could
		 * hide behind another label. */
		if (!is_stage(rec)) {
			if (rec->pcr == GWPOL_STAGE_PCR) {
				cel_record_describe(rec, desc, sizeof(desc));
				gwpol_report_add(r, GWPOL_CLAIM_EXECUTABLES,
						 GWPOL_TIER_CONTRAINDICATED, "$.stages",
						 "%s is in the stage PCR %d but is no stage: every "
						 "measurement there must be a stage of the policy", desc,
						 GWPOL_STAGE_PCR);
			}
			continue;
		}
		clean(rec->stage, name, sizeof(name));
		clean(rec->path, file, sizeof(file));
		for (size_t s = 0; s < p->n_stages && !st; s++)
			if (!strcmp(p->stages[s].name, rec->stage))
				st = &p->stages[s];
		if (!st) {
			gwpol_report_add(r, GWPOL_CLAIM_EXECUTABLES, GWPOL_TIER_CONTRAINDICATED,
					 "$.stages", "stage %s (%s, record %llu) is not in the policy",
					 name, file, (unsigned long long)rec->recnum);
			continue;
		}
		snprintf(path, sizeof(path), "$.stages.%s", st->name);
		if (rec->pcr != GWPOL_STAGE_PCR) {
			gwpol_report_add(r, st->claim, GWPOL_TIER_CONTRAINDICATED, path,
					 "stage %s (record %llu) is on PCR %u, not the stage PCR %d",
					 name, (unsigned long long)rec->recnum, rec->pcr, GWPOL_STAGE_PCR);
			continue;
		}
		measured[st - p->stages] = true;
		if (gwpol_digest_ok(&st->digests, gwpol_record_sha256(rec), exp, seen))
			continue;
		gwpol_report_add(r, st->claim, GWPOL_TIER_CONTRAINDICATED, path,
				 "stage %s (%s, PCR %d record %llu): sha256 expected %s, seen %s",
				 name, file, GWPOL_STAGE_PCR, (unsigned long long)rec->recnum, exp,
				 seen);
	}
	for (size_t s = 0; s < p->n_stages; s++) {
		char path[GWPOL_NAME_MAX + 16];

		if (measured[s])
			continue;
		snprintf(path, sizeof(path), "$.stages.%s", p->stages[s].name);
		gwpol_report_add(r, p->stages[s].claim, GWPOL_TIER_CONTRAINDICATED, path,
				 "stage %s of the policy was not measured", p->stages[s].name);
	}
}

/* The trust rules a record is for: trust records carry their subject in their
 * text ("verifier gate key sha256:..."). */
enum trust_kind { TRUST_NONE, TRUST_GATE_KEY, TRUST_ROOT };

static enum trust_kind trust_kind(const struct cel_record *rec)
{
	if (!rec->event_type || strcmp(rec->event_type, "trust") || !rec->string)
		return TRUST_NONE;
	if (!strncmp(rec->string, "verifier gate key", strlen("verifier gate key")))
		return TRUST_GATE_KEY;
	if (!strncmp(rec->string, "trust root", strlen("trust root")))
		return TRUST_ROOT;
	return TRUST_NONE;
}

static bool is_update_record(const struct cel_record *rec)
{
	return rec->event_type && !strcmp(rec->event_type, UPDATE_EVENT_TYPE);
}

/* The agent's update records (running, staged, committed, rolled back, fell back)
 * share the trust PCR. Which releases a device may run is the update gate's
 * question, not a trust rule's; here a record must at least be what it says: its
 * text in the one form gwagent writes, and its digest in every bank the hash of
 * that text, so the text is what the TPM quoted and no other measurement passes
 * under this label. */
static void check_update_record(const struct cel_record *rec, struct gwpol_report *r)
{
	struct update_event ev;
	gw_error e = { { 0 } };
	char desc[160];

	if (update_event_from_record(rec, &ev, &e) == 0)
		return;
	cel_record_describe(rec, desc, sizeof(desc));
	gwpol_report_add(r, GWPOL_CLAIM_CONFIGURATION, GWPOL_TIER_CONTRAINDICATED, "$.trust",
			 "%s in the trust PCR %d is not a well-formed update record whose "
			 "digests are the hash of its text%s%s", desc, GWPOL_TRUST_PCR,
			 e.msg[0] ? ": " : "", e.msg);
}

static void check_trust(const struct gwpol *p, const struct gwpol_evidence *ev,
			struct gwpol_report *r)
{
	static const char *const what[] = { "", "verifier gate key", "trust root" };
	static const char *const key[] = { "", "gate_key", "trust_root" };
	const struct gwpol_digests *allowed[] = {
		NULL,
		p->trust.has_gate_key ? &p->trust.gate_key : NULL,
		p->trust.has_trust_root ? &p->trust.trust_root : NULL,
	};
	const struct cel_log *cel = ev->cel;
	size_t measured[3] = { 0, 0, 0 };
	char path[64];

	r->appraised[GWPOL_CLAIM_CONFIGURATION] = true;
	if (!cel) {
		gwpol_report_add(r, GWPOL_CLAIM_CONFIGURATION, GWPOL_TIER_CONTRAINDICATED,
				 "$.trust",
				 "no authentic agent event log to appraise the trust rules against");
		return;
	}
	if (!(ev->cel_quoted & (1u << GWPOL_TRUST_PCR))) {
		gwpol_report_add(r, GWPOL_CLAIM_CONFIGURATION, GWPOL_TIER_CONTRAINDICATED,
				 "$.trust",
				 "PCR %d (sha256) is not in the quote: the trust state is not "
				 "authenticated", GWPOL_TRUST_PCR);
		return;
	}
	for (size_t i = 0; i < cel->n; i++) {
		const struct cel_record *rec = &cel->rec[i];
		enum trust_kind k = trust_kind(rec);
		char exp[EXP_MAX], seen[SEEN_MAX], desc[160];

		if (rec->pcr == GWPOL_TRUST_PCR && is_update_record(rec)) {
			check_update_record(rec, r);
			continue;
		}
		if (rec->pcr != GWPOL_TRUST_PCR) {
			if (k != TRUST_NONE && allowed[k]) {
				snprintf(path, sizeof(path), "$.trust.%s", key[k]);
				gwpol_report_add(r, GWPOL_CLAIM_CONFIGURATION,
						 GWPOL_TIER_CONTRAINDICATED, path,
						 "the %s (record %llu) is on PCR %u, not the trust "
						 "PCR %d", what[k], (unsigned long long)rec->recnum,
						 rec->pcr, GWPOL_TRUST_PCR);
			}
			continue;
		}
		/* A record's text is not covered by its digest: everything in the
		 * trust PCR must pass a trust rule, or a measurement could hide behind
		 * another label. */
		if (k == TRUST_NONE || !allowed[k]) {
			cel_record_describe(rec, desc, sizeof(desc));
			gwpol_report_add(r, GWPOL_CLAIM_CONFIGURATION, GWPOL_TIER_CONTRAINDICATED,
					 "$.trust",
					 "%s is in the trust PCR %d but no trust rule of the policy "
					 "is for it", desc, GWPOL_TRUST_PCR);
			continue;
		}
		measured[k]++;
		if (gwpol_digest_ok(allowed[k], gwpol_record_sha256(rec), exp, seen))
			continue;
		snprintf(path, sizeof(path), "$.trust.%s", key[k]);
		gwpol_report_add(r, GWPOL_CLAIM_CONFIGURATION, GWPOL_TIER_CONTRAINDICATED, path,
				 "%s (PCR %d record %llu): sha256 expected %s, seen %s", what[k],
				 GWPOL_TRUST_PCR, (unsigned long long)rec->recnum, exp, seen);
	}
	for (int k = TRUST_GATE_KEY; k <= TRUST_ROOT; k++) {
		if (!allowed[k] || measured[k])
			continue;
		snprintf(path, sizeof(path), "$.trust.%s", key[k]);
		gwpol_report_add(r, GWPOL_CLAIM_CONFIGURATION, GWPOL_TIER_CONTRAINDICATED, path,
				 "the %s was not measured into PCR %d", what[k], GWPOL_TRUST_PCR);
	}
}

int gwpol_evaluate(const struct gwpol *p, const struct gwpol_evidence *ev,
		   struct gwpol_report *r)
{
	if (!p || !ev || !r)
		return GW_E_INVAL;
	/* A claim counts as appraised only when a rule for it ran: a policy of
	 * stages alone says nothing about the configuration. */
	if (p->fw.present)
		gwpol_eval_firmware(p, ev, r);
	if (p->n_stages)
		check_stages(p, ev, r);
	if (p->trust.has_gate_key || p->trust.has_trust_root)
		check_trust(p, ev, r);
	gwpol_eval_coverage(p, ev, r);
	if (p->update.has_end_of_support)
		r->appraised[GWPOL_CLAIM_CONFIGURATION] = true;
	if (p->update.has_end_of_support && ev->now >= p->update.support_ends)
		gwpol_report_add(r, GWPOL_CLAIM_CONFIGURATION, GWPOL_TIER_WARNING,
				 "$.update.end_of_support",
				 "support for model %s ended after %s: the device is no longer "
				 "supported", p->model, p->update.end_of_support);
	return 0;
}
