/* SPDX-License-Identifier: Apache-2.0 */
/* Retention ([retention] of verifier.conf), shared by `serve` (periodically) and
 * `gwverifier prune`: the store's prune of attestation results with the
 * configured rule and its audit records, and the archiving of old audit records. */
#ifndef GW_VERIFIER_RETENTION_H
#define GW_VERIFIER_RETENTION_H

#include <stdbool.h>
#include <stdint.h>

#include "gw_error.h"
#include "store.h"

/* One application of the results rule that may end early: what bounds it (in)
 * and what it did (out). */
struct retention_prune_round {
	bool (*stop)(void *arg);  /* in, may be NULL: asked after each full batch; true
				   * ends it there (serve: a batch scans the whole table
				   * under the write lock, seconds on a million rows) */
	void *stop_arg;
	uint64_t deleted;         /* out: the committed batches' rows, also on failure */
	bool stopped;             /* out: stop ended it, results may be left to delete */
};

/* Delete the results the rule lets go (the newest keep_results per device stay,
 * and every non-affirming one of the last keep_failed_days days), in batches of
 * at most STORE_PRUNE_BATCH rows, each committed with its own audit record
 * "results.prune" by actor (the batch's count and the rule): a deletion is never
 * without its record. Batch after batch until one is not full, an error, or
 * round->stop says so (stop NULL: until done). keep_results 0: GW_E_INVAL. Store
 * errors. Not inside store_begin(). */
int retention_prune(struct store *st, unsigned keep_results, unsigned keep_failed_days,
		    int64_t now, const char *actor, struct retention_prune_round *round,
		    gw_error *err) GW_WUR;

/* Archive the audit records older than keep_days days into dir and remove them
 * (audit_export_round: stale temporary files removed, then batches, a file each,
 * each export audited by actor), bounded by round's in-fields (batch 0, stop
 * NULL: every batch); its out-fields count what was archived, also on failure.
 * keep_days 0: GW_E_INVAL. */
struct audit_export_round;
int retention_archive_audit(struct store *st, unsigned keep_days, const char *dir, int64_t now,
			    const char *actor, struct audit_export_round *round,
			    gw_error *err) GW_WUR;

/* The archive directory of [retention] audit_archive_dir as serve, reload and prune
 * accept it: it exists, is a directory this process may write and search, and
 * others (not the owner or the group) may not write it. The group may: the
 * packaged one is the operators' (2770, like the store's), so that `prune` run by
 * an operator can archive; an operator who deletes a file is then found out by
 * `audit verify --archive`, which names the missing range. GW_E_CONFIG naming the
 * key otherwise. */
int retention_check_archive_dir(const char *dir, gw_error *err) GW_WUR;

#endif
