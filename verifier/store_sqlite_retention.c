// SPDX-License-Identifier: Apache-2.0
// SQLite store: retention of attestation results, the database's size, VACUUM.
#include <stdio.h>
#include <string.h>

#include "store_sqlite_int.h"

/* One batch: the rows the rule lets go, oldest rank first, at most
 * STORE_PRUNE_BATCH. */
int sqls_op_result_prune(struct store *st, unsigned keep, int64_t failed_since,
			 uint64_t *deleted, gw_error *err)
{
	struct sqlite_store *s = to_sqlite(st);
	sqlite3_stmt *stmt = NULL;
	int rc = sqls_tx_open(s, err);

	if (rc)
		return rc;
	rc = sqls_prepare(s->db,
			  "DELETE FROM results WHERE id IN ("
			  " SELECT id FROM ("
			  "  SELECT id, status, at, row_number() OVER ("
			  "   PARTITION BY device_id ORDER BY at DESC, id DESC) AS rank"
			  "  FROM results)"
			  " WHERE rank > ?1 AND (status = 'affirming' OR at < ?2)"
			  " LIMIT ?3)",
			  &stmt, err);
	if (rc)
		goto out;
	sqlite3_bind_int64(stmt, 1, keep);
	sqlite3_bind_int64(stmt, 2, failed_since);
	sqlite3_bind_int64(stmt, 3, STORE_PRUNE_BATCH);
	rc = sqls_step_done(s->db, stmt, err, "pruning results");
	if (!rc && deleted)
		*deleted = (uint64_t)sqlite3_changes(s->db);
out:
	return sqls_tx_close(s, rc, err);
}

int sqls_query_u64(sqlite3 *db, const char *sql, uint64_t *out, gw_error *err)
{
	sqlite3_stmt *stmt = NULL;
	int rc = sqls_prepare(db, sql, &stmt, err);

	if (rc)
		return rc;
	if (sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_int64(stmt, 0) >= 0)
		*out = (uint64_t)sqlite3_column_int64(stmt, 0);
	else
		rc = sqls_fail(db, sqlite3_extended_errcode(db), err, sql);
	sqlite3_finalize(stmt);
	return rc;
}

int sqls_op_size(struct store *st, uint64_t *results, uint64_t *bytes, uint64_t *free_bytes,
		 gw_error *err)
{
	sqlite3 *db = to_sqlite(st)->db;
	uint64_t pages = 0, freelist = 0, page_size = 0, count = 0;
	int rc;

	if ((rc = sqls_query_u64(db, "PRAGMA page_count", &pages, err)) ||
	    (rc = sqls_query_u64(db, "PRAGMA freelist_count", &freelist, err)) ||
	    (rc = sqls_query_u64(db, "PRAGMA page_size", &page_size, err)) ||
	    (results && (rc = sqls_query_u64(db, "SELECT count(*) FROM results", &count, err))))
		return rc;
	if (results)
		*results = count;
	if (bytes)
		*bytes = pages * page_size;
	if (free_bytes)
		*free_bytes = freelist * page_size;
	return 0;
}

int sqls_op_vacuum(struct store *st, gw_error *err)
{
	struct sqlite_store *s = to_sqlite(st);

	if (s->in_group)
		return gw_fail(err, GW_E_STATE, "store: VACUUM inside a transaction");
	return sqls_exec(s->db, "VACUUM", err, "vacuum");
}

/* ---- Audit archives: the anchor ---- */

int sqls_audit_anchor_read(sqlite3 *db, struct store_audit_anchor *out, gw_error *err)
{
	sqlite3_stmt *stmt = NULL;
	int rc = sqls_prepare(db, "SELECT seq, hash, archived_at FROM audit_anchor WHERE one = 1",
			      &stmt, err);
	int src;

	if (rc)
		return rc;
	src = sqlite3_step(stmt);
	if (src == SQLITE_ROW && sqlite3_column_int64(stmt, 0) >= 0 &&
	    sqlite3_column_bytes(stmt, 1) == STORE_HASH_LEN) {
		out->seq = (uint64_t)sqlite3_column_int64(stmt, 0);
		memcpy(out->hash, sqlite3_column_blob(stmt, 1), STORE_HASH_LEN);
		out->archived_at = sqlite3_column_int64(stmt, 2);
	} else if (src == SQLITE_ROW || src == SQLITE_DONE) {
		rc = gw_fail(err, GW_E_PARSE, "store: the audit anchor is missing or malformed");
	} else {
		rc = sqls_fail(db, src, err, "reading the audit anchor");
	}
	sqlite3_finalize(stmt);
	return rc;
}

int sqls_op_audit_anchor_get(struct store *st, struct store_audit_anchor *out, gw_error *err)
{
	return sqls_audit_anchor_read(to_sqlite(st)->db, out, err);
}

int sqls_op_audit_archive(struct store *st, uint64_t upto, int64_t now, gw_error *err)
{
	struct sqlite_store *s = to_sqlite(st);
	struct store_audit_anchor cur;
	sqlite3_stmt *stmt = NULL;
	uint8_t hash[STORE_HASH_LEN];
	int rc = sqls_tx_open(s, err), src;

	if (rc)
		return rc;
	rc = sqls_audit_anchor_read(s->db, &cur, err);
	if (rc)
		goto out;
	if (upto <= cur.seq) {
		rc = gw_fail(err, GW_E_STATE, "audit records up to %llu are archived already",
			     (unsigned long long)cur.seq);
		goto out;
	}
	rc = sqls_prepare(s->db, "SELECT hash FROM audit_log WHERE seq = ?", &stmt, err);
	if (rc)
		goto out;
	sqlite3_bind_int64(stmt, 1, (int64_t)upto);
	src = sqlite3_step(stmt);
	if (src != SQLITE_ROW || sqlite3_column_bytes(stmt, 0) != STORE_HASH_LEN) {
		rc = src == SQLITE_ROW || src == SQLITE_DONE
			     ? gw_fail(err, GW_E_NOTFOUND, "audit record %llu is not in the store",
				       (unsigned long long)upto)
			     : sqls_fail(s->db, src, err, "reading the audit log");
		goto out;
	}
	memcpy(hash, sqlite3_column_blob(stmt, 0), STORE_HASH_LEN);
	sqlite3_finalize(stmt);
	stmt = NULL;
	rc = sqls_prepare(s->db, "UPDATE audit_anchor SET seq = ?, hash = ?, archived_at = ?"
				 " WHERE one = 1", &stmt, err);
	if (rc)
		goto out;
	sqlite3_bind_int64(stmt, 1, (int64_t)upto);
	sqls_bind_blob(stmt, 2, hash, STORE_HASH_LEN);
	sqlite3_bind_int64(stmt, 3, now);
	rc = sqls_step_done(s->db, stmt, err, "moving the audit anchor");
	stmt = NULL;
	if (rc)
		goto out;
	rc = sqls_prepare(s->db, "DELETE FROM audit_log WHERE seq <= ?", &stmt, err);
	if (rc)
		goto out;
	sqlite3_bind_int64(stmt, 1, (int64_t)upto);
	rc = sqls_step_done(s->db, stmt, err, "removing archived audit records");
	stmt = NULL;
out:
	sqlite3_finalize(stmt);
	return sqls_tx_close(s, rc, err);
}
