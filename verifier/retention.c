// SPDX-License-Identifier: Apache-2.0
// Retention of attestation results: the configured rule and its audit record.
#include "retention.h"

#include <stdio.h>

#include "util.h"

int retention_prune(struct store *st, unsigned keep_results, unsigned keep_failed_days,
		    int64_t now, const char *actor, uint64_t *deleted, gw_error *err)
{
	int64_t since = now - (int64_t)keep_failed_days * 86400;
	struct store_audit a;
	char detail[160];
	uint64_t n = 0;
	int rc, arc;

	rc = store_result_prune(st, keep_results, since, &n, err);
	*deleted = n;
	/* Batches that went before a failure are recorded too. */
	if (n == 0)
		return rc;
	if (gw_snprintf(detail, sizeof(detail),
			"{\"deleted\":%llu,\"keep_results\":%u,\"keep_failed_days\":%u%s}",
			(unsigned long long)n, keep_results, keep_failed_days,
			rc ? ",\"incomplete\":true" : ""))
		return rc ? rc : GW_E_TOOBIG;
	a = (struct store_audit){ .ts = now, .actor = actor, .action = "results.prune",
				  .outcome = "ok", .detail = detail };
	/* After a failed batch the first error is the one reported. */
	arc = store_audit_append(st, &a, NULL, rc ? NULL : err);
	return rc ? rc : arc;
}
