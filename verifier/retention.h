/* SPDX-License-Identifier: Apache-2.0 */
/* Retention of attestation results ([retention] of verifier.conf), shared by
 * `serve` (periodically) and `gwverifier prune`: the store's prune with the
 * configured rule, and its audit record. */
#ifndef GW_VERIFIER_RETENTION_H
#define GW_VERIFIER_RETENTION_H

#include <stdint.h>

#include "gw_error.h"
#include "store.h"

/* Delete the results the rule lets go (the newest keep_results per device stay,
 * and every non-affirming one of the last keep_failed_days days); when any went,
 * append an audit record "results.prune" by actor with the count and the rule.
 * *deleted gets the count. keep_results 0: GW_E_INVAL. Store errors. */
int retention_prune(struct store *st, unsigned keep_results, unsigned keep_failed_days,
		    int64_t now, const char *actor, uint64_t *deleted, gw_error *err) GW_WUR;

#endif
