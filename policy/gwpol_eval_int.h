/* SPDX-License-Identifier: Apache-2.0 */
/* What the parts of the policy evaluator share (firmware rules, agent rules,
 * per-PCR coverage); not an interface outside policy/. */
#ifndef GW_GWPOL_EVAL_INT_H
#define GW_GWPOL_EVAL_INT_H

#include "gwpol.h"

#define EXP_MAX (4 * GW_MAX_DIGEST + 64)
#define SEEN_MAX (2 * GW_MAX_DIGEST + 1)

/* Firmware rules map to a claim by PCR (gwpol_evaluate() says how). */
enum gwpol_claim gwpol_claim_of_pcr(unsigned pcr);
/* "<hex>", "<hex> or <hex>", or "<hex> (or one of N more)". */
void gwpol_expected_str(const struct gwpol_digests *l, char *buf, size_t len);
/* Whether d (NULL: no digest in the bank) is one of l; if not, exp and seen say
 * what was expected and what was seen ("none"). */
bool gwpol_digest_ok(const struct gwpol_digests *l, const uint8_t *d, char exp[EXP_MAX],
		     char seen[SEEN_MAX]);
/* A CEL record's SHA-256 digest, NULL if it has none. */
const uint8_t *gwpol_record_sha256(const struct cel_record *r);

/* The firmware rules (firmware.*), against ev->fwlog. */
void gwpol_eval_firmware(const struct gwpol *p, const struct gwpol_evidence *ev,
			 struct gwpol_report *r);
/* Per PCR the policy governs: every event from a log the policy lets extend it,
 * and judged by a rule of that log (doc/pcrs.md). */
void gwpol_eval_coverage(const struct gwpol *p, const struct gwpol_evidence *ev,
			 struct gwpol_report *r);

#endif
