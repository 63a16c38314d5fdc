/* SPDX-License-Identifier: Apache-2.0 */
/* The store's upkeep: retention of results, the database's size, VACUUM and
 * online backup (store.h). */
#ifndef GW_STORE_UPKEEP_H
#define GW_STORE_UPKEEP_H

#include "store_handle.h"

/* Retention ([retention] in verifier.conf): delete every result of a device that
 * is not among its newest keep (keep >= 1, by at then id), except the
 * non-affirming ones (status other than "affirming") at or after failed_since.
 * Runs in batches of at most STORE_PRUNE_BATCH rows, each its own transaction, so
 * attestations are not held up (inside store_begin() it is one unit); *deleted
 * (may be NULL) gets how many went, also when a later batch failed. Nothing refers
 * to a result by its id (audit records carry their own copy of what they say), so
 * pruning leaves the audit chain and the devices' last attestation as they are.
 * store_result_prune_batch deletes one batch (at most STORE_PRUNE_BATCH rows) in
 * one call: inside store_begin() with the caller's audit record of it. */
#define STORE_PRUNE_BATCH 5000
int store_result_prune(struct store *st, unsigned keep, int64_t failed_since,
		       uint64_t *deleted, gw_error *err) GW_WUR;
int store_result_prune_batch(struct store *st, unsigned keep, int64_t failed_since,
			     uint64_t *deleted, gw_error *err) GW_WUR;
/* The number of stored results, and the database's size in bytes (pages in use
 * and free pages, times the page size: what a VACUUM would give back is
 * free_bytes). Any pointer may be NULL. */
int store_size(struct store *st, uint64_t *results, uint64_t *bytes, uint64_t *free_bytes,
	       gw_error *err) GW_WUR;
/* Rebuild the database file without its free pages (SQLite VACUUM; not inside
 * store_begin()). Writers wait for it. */
int store_vacuum(struct store *st, gw_error *err) GW_WUR;


/* An online copy of the whole database into a new file (SQLite's backup API, one
 * read snapshot: writers go on meanwhile), written as path GW_TMP_INFIX random,
 * checked (PRAGMA integrity_check), fsynced and renamed to path, its directory
 * fsynced; mode 0600. path must not exist (GW_E_EXISTS). *info (may be NULL)
 * describes the copy. GW_E_IO, GW_E_NOMEM, GW_E_PARSE (the copy fails its check). */
struct store_backup_info {
	uint64_t bytes;
	int64_t schema_version;
	uint64_t devices, results, audit_records;
};
int store_backup(struct store *st, const char *path, struct store_backup_info *info,
		 gw_error *err) GW_WUR;

#endif
