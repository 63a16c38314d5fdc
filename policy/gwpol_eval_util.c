// SPDX-License-Identifier: Apache-2.0
// Small readers the evaluator's parts share: which claim a PCR maps to, and how
// expected and seen digests are written in findings.
#include "gwpol_eval_int.h"

#include <stdio.h>
#include <string.h>

#include "util.h"

enum gwpol_claim gwpol_claim_of_pcr(unsigned pcr)
{
	switch (pcr) {
	case 0:
	case 2:
		return GWPOL_CLAIM_HARDWARE;
	case 1:
	case 3:
	case 5:
	case 6:
	case 7:
		return GWPOL_CLAIM_CONFIGURATION;
	default:
		return GWPOL_CLAIM_EXECUTABLES;
	}
}

/* "<hex>", "<hex> or <hex>", or "<hex> (or one of N more)". */
void gwpol_expected_str(const struct gwpol_digests *l, char *buf, size_t len)
{
	char hex[2 * GW_MAX_DIGEST + 1];

	if (l->n == 0) {
		snprintf(buf, len, "(none)");
		return;
	}
	gw_hex_encode(l->d[0], l->size, hex);
	if (l->n == 1) {
		snprintf(buf, len, "%s", hex);
	} else if (l->n == 2) {
		char hex2[2 * GW_MAX_DIGEST + 1];

		gw_hex_encode(l->d[1], l->size, hex2);
		snprintf(buf, len, "%s or %s", hex, hex2);
	} else {
		snprintf(buf, len, "%s (or one of %zu more)", hex, l->n - 1);
	}
}

/* Whether d (NULL: no digest in the bank) is one of l; if not, exp and seen say
 * what was expected and what was seen ("none"). */
bool gwpol_digest_ok(const struct gwpol_digests *l, const uint8_t *d, char exp[EXP_MAX],
		      char seen[SEEN_MAX])
{
	if (d && gwpol_digests_have(l, d))
		return true;
	if (d)
		gw_hex_encode(d, l->size, seen);
	else
		snprintf(seen, SEEN_MAX, "none");
	gwpol_expected_str(l, exp, EXP_MAX);
	return false;
}

const uint8_t *gwpol_record_sha256(const struct cel_record *r)
{
	return cel_record_digest(r, TPM2_ALG_SHA256);
}
