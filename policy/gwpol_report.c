// SPDX-License-Identifier: Apache-2.0
// Appraisal results: the EAR trustworthiness vector, its findings, and the
// policy-free checklist's failures as findings.
#include "gwpol.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const claim_names[GWPOL_CLAIM_COUNT] = {
	[GWPOL_CLAIM_IDENTITY] = "instance-identity",
	[GWPOL_CLAIM_CONFIGURATION] = "configuration",
	[GWPOL_CLAIM_EXECUTABLES] = "executables",
	[GWPOL_CLAIM_FILESYSTEM] = "file-system",
	[GWPOL_CLAIM_HARDWARE] = "hardware",
};

const char *gwpol_claim_name(enum gwpol_claim c)
{
	return (unsigned)c < GWPOL_CLAIM_COUNT ? claim_names[c] : "?";
}

/* ---- The report ---- */

void gwpol_report_init(struct gwpol_report *r)
{
	memset(r, 0, sizeof(*r));
}

void gwpol_report_add(struct gwpol_report *r, enum gwpol_claim claim, int tier,
		      const char *rule, const char *fmt, ...)
{
	struct gwpol_finding *f;
	va_list ap;

	if ((unsigned)claim >= GWPOL_CLAIM_COUNT)
		claim = GWPOL_CLAIM_CONFIGURATION;
	r->appraised[claim] = true;
	if (tier > r->tier[claim])
		r->tier[claim] = tier;
	if (r->n >= GWPOL_MAX_FINDINGS) {
		r->dropped++;
		return;
	}
	f = &r->f[r->n++];
	f->claim = claim;
	f->tier = tier;
	/* Truncation of a rule path or message only shortens what a person reads. */
	snprintf(f->rule, sizeof(f->rule), "%s", rule);
	va_start(ap, fmt);
	vsnprintf(f->msg, sizeof(f->msg), fmt, ap);
	va_end(ap);
}

void gwpol_report_add_appraisal(struct gwpol_report *r, const struct appraise_result *res)
{
	for (int i = 0; i < APPRAISE_COUNT; i++) {
		enum gwpol_claim c;

		switch (i) {
		case APPRAISE_FW_EVENT_TYPES:
		case APPRAISE_FW_REPLAY:
			c = GWPOL_CLAIM_HARDWARE;
			break;
		case APPRAISE_CEL_REPLAY:
		case APPRAISE_STAGES:
		case APPRAISE_REFERENCE:
			c = GWPOL_CLAIM_EXECUTABLES;
			break;
		case APPRAISE_COVERAGE:
			c = res->code[i] == GW_E_FWLOG ? GWPOL_CLAIM_HARDWARE
						       : GWPOL_CLAIM_EXECUTABLES;
			break;
		default:
			c = GWPOL_CLAIM_IDENTITY;
			break;
		}
		if (res->status[i] == APPRAISE_PASS)
			r->appraised[c] = true;
		else if (res->status[i] == APPRAISE_FAIL)
			gwpol_report_add(r, c, GWPOL_TIER_CONTRAINDICATED, appraise_check_name(i),
					 "%s", res->msg[i]);
	}
}

const char *gwpol_report_status(const struct gwpol_report *r)
{
	int worst = 0;

	for (int i = 0; i < GWPOL_CLAIM_COUNT; i++)
		if (r->tier[i] > worst)
			worst = r->tier[i];
	return worst >= GWPOL_TIER_CONTRAINDICATED ? "contraindicated"
	       : worst >= GWPOL_TIER_WARNING	   ? "warning"
						   : "affirming";
}

int gwpol_report_claim_tier(const struct gwpol_report *r, enum gwpol_claim c)
{
	if ((unsigned)c >= GWPOL_CLAIM_COUNT)
		return GWPOL_TIER_NONE;
	if (r->tier[c])
		return r->tier[c];
	return r->appraised[c] ? GWPOL_TIER_AFFIRMING : GWPOL_TIER_NONE;
}
