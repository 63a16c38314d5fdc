// SPDX-License-Identifier: Apache-2.0
// Per-PCR coverage: on every PCR a rule of the policy governs, each event that
// replays into it comes from a log the policy lets extend that PCR and is judged
// by a rule of that log, so that moving an event between the logs cannot hide it.
#include "gwpol_eval_int.h"

#include <stdio.h>
#include <string.h>

#include "util.h"

const char *gwpol_pcrs_str(uint32_t pcrs, char *buf, size_t len)
{
	size_t n = 0;

	if (!len)
		return buf;
	buf[0] = '\0';
	for (unsigned p = 0; p < GW_NUM_PCRS; p++) {
		unsigned q = p;
		int w;

		if (!(pcrs & (1u << p)))
			continue;
		while (q + 1 < GW_NUM_PCRS && (pcrs & (1u << (q + 1))))
			q++;
		w = q == p ? snprintf(buf + n, len - n, "%s%u", n ? "," : "", p)
		    : snprintf(buf + n, len - n, "%s%u-%u", n ? "," : "", p, q);
		if (w < 0 || (size_t)w >= len - n)
			break;
		n += (size_t)w;
		p = q;
	}
	if (!n)
		snprintf(buf, len, "none");
	return buf;
}

uint32_t gwpol_governed(const struct gwpol *p)
{
	uint32_t g = 0;

	for (size_t i = 0; p->fw.present && i < p->fw.n_pcrs; i++)
		g |= 1u << p->fw.pcrs[i].pcr;
	if (p->n_stages)
		g |= 1u << GWPOL_STAGE_PCR;
	if (p->trust.has_gate_key || p->trust.has_trust_root)
		g |= 1u << GWPOL_TRUST_PCR;
	return g;
}

uint32_t gwpol_agent_judged(const struct gwpol *p)
{
	return (p->n_stages ? 1u << GWPOL_STAGE_PCR : 0) |
	       (p->trust.has_gate_key || p->trust.has_trust_root ? 1u << GWPOL_TRUST_PCR : 0);
}

/* Does a rule of the firmware log judge its events on pcr? */
static bool fw_judges(const struct gwpol *p, unsigned pcr, const char **why)
{
	const struct gwpol_fw_pcr *rule = p->fw.present ? gwpol_fw_rule(&p->fw, pcr) : NULL;

	if (!rule) {
		*why = "the policy has no firmware rule for it";
		return false;
	}
	if (rule->mode == GWPOL_PCR_UNCHECKED && (gwpol_agent_judged(p) & (1u << pcr))) {
		*why = pcr == GWPOL_STAGE_PCR
			       ? "its firmware rule is \"unchecked\", and the stage rules need "
				 "every event there judged"
			       : "its firmware rule is \"unchecked\", and the trust rules need "
				 "every event there judged";
		return false;
	}
	return true;
}

/* Does a rule judge CEL records on pcr? The stage rules on 13, the trust rules on
 * 14, or a firmware rule that leaves the PCR "unchecked" on purpose. */
static bool cel_judges(const struct gwpol *p, unsigned pcr)
{
	const struct gwpol_fw_pcr *rule = p->fw.present ? gwpol_fw_rule(&p->fw, pcr) : NULL;

	if (gwpol_agent_judged(p) & (1u << pcr))
		return true;
	return rule && rule->mode == GWPOL_PCR_UNCHECKED;
}

/* Events of one log on one PCR that fail one check: how many, and the first. */
struct tally {
	size_t n;
	char desc[200];
};

static void note(struct tally *t, const char *desc)
{
	if (!t->n++)
		snprintf(t->desc, sizeof(t->desc), "%s", desc);
}

static void fw_desc(const struct gwpol *p, const struct eventlog_event *e, char *buf, size_t len)
{
	const struct gw_alg *a = gw_alg_by_id(p->fw.present ? p->fw.bank : TPM2_ALG_SHA256);
	char t[16], hex[2 * GW_MAX_DIGEST + 1] = "none";

	for (size_t i = 0; a && i < e->ndigests; i++)
		if (e->digests[i].alg == a->id)
			gw_hex_encode(e->digests[i].d, a->size, hex);
	snprintf(buf, len, "firmware event %u (%s, %s %s)", e->num,
		 gwpol_type_str(e->type, t, sizeof(t)), a ? a->name : "?", hex);
}

static void cel_desc(const struct cel_record *rec, char *buf, size_t len)
{
	char d[160], hex[2 * GW_MAX_DIGEST + 1] = "none";
	const uint8_t *sha = gwpol_record_sha256(rec);

	if (sha)
		gw_hex_encode(sha, 32, hex);
	cel_record_describe(rec, d, sizeof(d));
	snprintf(buf, len, "CEL %s, sha256 %s", d, hex);
}

static void report(struct gwpol_report *r, unsigned pcr, const char *path, const struct tally *t,
		   const char *log, const char *what)
{
	if (!t->n)
		return;
	gwpol_report_add(r, gwpol_claim_of_pcr(pcr), GWPOL_TIER_CONTRAINDICATED, path,
			 "PCR %u: %zu event(s) from the %s log (the first: %s): %s", pcr, t->n,
			 log, t->desc, what);
}

static void cover_fw(const struct gwpol *p, const struct eventlog *log, uint32_t governed,
		     struct gwpol_report *r)
{
	struct tally foreign[GW_NUM_PCRS], unjudged[GW_NUM_PCRS];
	const char *why[GW_NUM_PCRS] = { NULL };
	char pcrs[64], msg[256], d[200];

	memset(foreign, 0, sizeof(foreign));
	memset(unjudged, 0, sizeof(unjudged));
	for (size_t i = 0; i < log->nevents; i++) {
		const struct eventlog_event *e = &log->events[i];

		if (e->type == EV_NO_ACTION || e->pcr >= GW_NUM_PCRS || !(governed & (1u << e->pcr)))
			continue;
		fw_desc(p, e, d, sizeof(d));
		if (!(p->logs.firmware & (1u << e->pcr)))
			note(&foreign[e->pcr], d);
		/* A PCR with no firmware rule is check_pcrs()'s finding when there
		 * are firmware rules; here only when there are none. */
		else if (!fw_judges(p, e->pcr, &why[e->pcr]) &&
			 !(p->fw.present && !gwpol_fw_rule(&p->fw, e->pcr)))
			note(&unjudged[e->pcr], d);
	}
	gwpol_pcrs_str(p->logs.firmware, pcrs, sizeof(pcrs));
	for (unsigned q = 0; q < GW_NUM_PCRS; q++) {
		snprintf(msg, sizeof(msg), "the policy does not let the firmware log extend PCR %u "
			 "(logs.firmware: %s)", q, pcrs);
		report(r, q, "$.logs.firmware", &foreign[q], "firmware", msg);
		snprintf(msg, sizeof(msg), "no rule judges them: %s", why[q] ? why[q] : "?");
		report(r, q, "$.firmware.pcrs", &unjudged[q], "firmware", msg);
	}
}

static void cover_cel(const struct gwpol *p, const struct cel_log *cel, uint32_t governed,
		      struct gwpol_report *r)
{
	struct tally foreign[GW_NUM_PCRS], unjudged[GW_NUM_PCRS];
	char pcrs[64], msg[256], d[200];

	memset(foreign, 0, sizeof(foreign));
	memset(unjudged, 0, sizeof(unjudged));
	for (size_t i = 0; i < cel->n; i++) {
		const struct cel_record *rec = &cel->rec[i];

		if (rec->pcr >= GW_NUM_PCRS || !(governed & (1u << rec->pcr)))
			continue;
		cel_desc(rec, d, sizeof(d));
		if (!(p->logs.cel & (1u << rec->pcr)))
			note(&foreign[rec->pcr], d);
		else if (!cel_judges(p, rec->pcr))
			note(&unjudged[rec->pcr], d);
	}
	gwpol_pcrs_str(p->logs.cel, pcrs, sizeof(pcrs));
	for (unsigned q = 0; q < GW_NUM_PCRS; q++) {
		snprintf(msg, sizeof(msg), "the policy does not let the CEL log extend PCR %u "
			 "(logs.cel: %s)", q, pcrs);
		report(r, q, "$.logs.cel", &foreign[q], "CEL", msg);
		report(r, q, "$.logs.cel", &unjudged[q], "CEL",
		       "no rule judges CEL records there (stage rules read PCR 13, trust rules "
		       "PCR 14, and firmware rules only the firmware log)");
	}
}

void gwpol_eval_coverage(const struct gwpol *p, const struct gwpol_evidence *ev,
			 struct gwpol_report *r)
{
	uint32_t governed = gwpol_governed(p);

	/* With firmware rules, every PCR the firmware log extends is theirs to judge
	 * (one it extends without a rule is check_pcrs()'s finding). */
	if (ev->fwlog)
		cover_fw(p, ev->fwlog, governed, r);
	if (ev->cel)
		cover_cel(p, ev->cel, governed, r);
}
