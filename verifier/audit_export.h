/* SPDX-License-Identifier: Apache-2.0 */
/* Archiving the oldest audit records (audit_archive.h's file) and removing them
 * from the store: one export is one transaction that moves the anchor, deletes
 * the records and appends its own audit.export record, committed only after the
 * file is fsynced and in place. Shared by `gwverifier audit export` (one file)
 * and the unattended archiving of [retention] audit_keep_days (batches, one file
 * each in a directory). Nothing here prints. */
#ifndef GW_VERIFIER_AUDIT_EXPORT_H
#define GW_VERIFIER_AUDIT_EXPORT_H

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>

#include "gw_error.h"
#include "store.h"

/* Records per file (and per transaction) of the unattended archiving: at most
 * this many are read and written while attestations wait for the write lock.
 * bench_audit_export on the 2-core machine under load: 5000 hold it 62-118 ms,
 * 10000 150-357 ms, 20000 340-428 ms (doc/verifier.md, "Retention"). */
#define AUDIT_EXPORT_BATCH 5000u

struct audit_export_result {
	uint64_t count;                     /* 0: nothing before that time */
	uint64_t first_seq, last_seq;
	uint8_t anchor[STORE_HASH_LEN];     /* the last record's hash */
	bool written;  /* the file is in place (also when the commit then failed) */
	bool adopted;  /* it was a crash's leftover, taken as this export's archive */
};

/* Archive the records older than before (ts < before), at most max of them
 * (0: all), from the first after the store's anchor, into path (never replaced:
 * GW_E_EXISTS) and remove them, audited as "audit.export" by actor with the file,
 * the seq range, the count and the new anchor. Nothing to export: 0, count 0, no
 * file. The chain is checked as it is read: a broken one is GW_E_STATE and
 * nothing is exported. Not inside store_begin(). *res is set on every return. */
int audit_export_file(struct store *st, const char *path, int64_t before, uint64_t max,
		      int64_t now, const char *actor, struct audit_export_result *res,
		      gw_error *err) GW_WUR;

/* Archive every record older than before into dir, after removing the stale
 * temporary files of killed exports from it (audit_export_round, unbounded), in
 * batches of at most batch records (0: AUDIT_EXPORT_BATCH), each its own
 * transaction and its own new file AUDIT_EXPORT_NAME (first and last seq, 20
 * digits each: names sort in chain order). A crash between a file's move and its
 * commit leaves that file and the records: a regular file in dir named from the
 * store's first seq that is intact, chains from the anchor and holds exactly the
 * store's next records (the same hashes) is fsynced with dir and adopted as the
 * next batch (committed as is); one whose name's range exceeds batch (refused
 * unread), holds more records than its name says (read no further), is not intact
 * or not the store's is an error (GW_E_EXISTS, or the archive's), and so is a
 * failed fsync (GW_E_IO), nothing removed. Entries that are not regular files are
 * never adopted or opened. One dir per store: another store's files there are not
 * its own leftovers (GW_E_EXISTS), and its temporary files would be removed as
 * stale. *files and *records count what was archived, also when a later batch
 * failed; *last (may be NULL) is the last batch that was. Errors as
 * audit_export_file's; GW_E_IO for a missing or unwritable dir. */
#define AUDIT_EXPORT_NAME "audit-%020" PRIu64 "-%020" PRIu64 ".jsonl"
int audit_export_dir(struct store *st, const char *dir, int64_t before, unsigned batch,
		     int64_t now, const char *actor, uint64_t *files, uint64_t *records,
		     struct audit_export_result *last, gw_error *err) GW_WUR;

/* One round of audit_export_dir that may end early: what bounds it (in) and what
 * it did (out). */
struct audit_export_round {
	unsigned batch;                  /* in: records per file, 0: AUDIT_EXPORT_BATCH */
	bool (*stop)(void *arg);         /* in, may be NULL: asked before each batch after
					  * the first; true ends the round there */
	void *stop_arg;
	uint64_t files, records;         /* out: archived, also when a later batch failed */
	unsigned stale;                  /* out: stale temporary files removed */
	bool stopped;                    /* out: stop ended it, records may be left */
	struct audit_export_result last; /* out: the last batch archived (files > 0) */
};

/* audit_export_dir as a round: it first removes the temporary files in dir that
 * exports killed before their move left ("audit-new" GW_TMP_INFIX hex; holding
 * the store's write lock, when no export's temp can be in flight), then archives
 * batch after batch until none is full, an error, or round->stop says so (the
 * next round goes on from the anchor). Errors as audit_export_dir's. */
int audit_export_round(struct store *st, const char *dir, int64_t before, int64_t now,
		       const char *actor, struct audit_export_round *round,
		       gw_error *err) GW_WUR;

#endif
