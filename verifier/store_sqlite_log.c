// SPDX-License-Identifier: Apache-2.0
// The SQLite store's records of what happened: attestation nonces, attestation
// results and the hash-chained audit log.
#include "store_sqlite_int.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* Append one audit record; the caller holds the write transaction. */
static int audit_append_locked(sqlite3 *db, const struct store_audit *a, uint64_t *seq_out,
			       gw_error *err)
{
	sqlite3_stmt *stmt = NULL;
	uint8_t prev[STORE_HASH_LEN];
	uint8_t hash[STORE_HASH_LEN];
	int64_t head_seq;
	uint64_t seq;
	int rc;

	rc = sqls_prepare(db, "SELECT seq, hash FROM audit_head WHERE one = 1", &stmt, err);
	if (rc)
		goto out;
	if (sqlite3_step(stmt) != SQLITE_ROW) {
		rc = sqls_fail(db, sqlite3_extended_errcode(db), err, "reading the audit head");
		goto out;
	}
	head_seq = sqlite3_column_int64(stmt, 0);
	if (head_seq < 0 || head_seq == INT64_MAX ||
	    sqlite3_column_bytes(stmt, 1) != STORE_HASH_LEN) {
		rc = gw_fail(err, GW_E_PARSE, "store: audit head is malformed");
		goto out;
	}
	memcpy(prev, sqlite3_column_blob(stmt, 1), STORE_HASH_LEN);
	sqlite3_finalize(stmt);
	stmt = NULL;

	seq = (uint64_t)head_seq + 1;
	rc = store_audit_hash(prev, seq, a, hash);
	if (rc) {
		rc = gw_fail(err, rc, "store: hashing audit record %" PRIu64, seq);
		goto out;
	}

	rc = sqls_prepare(db,
			  "INSERT INTO audit_log (seq, ts, actor, action, device_id, outcome,"
			  " detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
			  &stmt, err);
	if (rc)
		goto out;
	sqlite3_bind_int64(stmt, 1, (int64_t)seq);
	sqlite3_bind_int64(stmt, 2, a->ts);
	sqls_bind_text(stmt, 3, a->actor);
	sqls_bind_text(stmt, 4, a->action);
	sqls_bind_text(stmt, 5, a->device_id);
	sqls_bind_text(stmt, 6, a->outcome);
	sqls_bind_text(stmt, 7, a->detail);
	sqls_bind_blob(stmt, 8, prev, sizeof(prev));
	sqls_bind_blob(stmt, 9, hash, sizeof(hash));
	rc = sqls_step_done(db, stmt, err, "appending to the audit log");
	stmt = NULL;
	if (rc)
		goto out;

	rc = sqls_prepare(db, "UPDATE audit_head SET seq = ?, hash = ? WHERE one = 1", &stmt, err);
	if (rc)
		goto out;
	sqlite3_bind_int64(stmt, 1, (int64_t)seq);
	sqls_bind_blob(stmt, 2, hash, sizeof(hash));
	rc = sqls_step_done(db, stmt, err, "updating the audit head");
	stmt = NULL;
	if (rc)
		goto out;
	if (sqlite3_changes(db) != 1) {
		rc = gw_fail(err, GW_E_IO, "store: audit head row is missing");
		goto out;
	}
	if (seq_out)
		*seq_out = seq;
out:
	sqlite3_finalize(stmt);
	return rc;
}

int sqls_maybe_audit(sqlite3 *db, const struct store_audit *a, gw_error *err)
{
	return a ? audit_append_locked(db, a, NULL, err) : 0;
}

int sqls_op_audit_append(struct store *st, const struct store_audit *a, uint64_t *seq,
			 gw_error *err)
{
	struct sqlite_store *s = to_sqlite(st);
	uint64_t n = 0;
	int rc = sqls_tx_open(s, err);

	if (rc)
		return rc;
	rc = audit_append_locked(s->db, a, &n, err);
	rc = sqls_tx_close(s, rc, err);
	if (rc == 0 && seq)
		*seq = n;
	return rc;
}

int sqls_op_nonce_put(struct store *st, const uint8_t *nonce, size_t len,
		      const char *device_id, const char *pcr_selection, int64_t expires_at,
		      gw_error *err)
{
	struct sqlite_store *s = to_sqlite(st);
	sqlite3_stmt *stmt = NULL;
	int rc = sqls_tx_open(s, err);

	if (rc)
		return rc;
	rc = sqls_prepare(s->db,
			  "INSERT INTO nonces (nonce, device_id, pcr_selection, expires_at)"
			  " VALUES (?, ?, ?, ?)",
			  &stmt, err);
	if (rc)
		goto out;
	sqls_bind_blob(stmt, 1, nonce, len);
	sqls_bind_text(stmt, 2, device_id);
	sqls_bind_text(stmt, 3, pcr_selection);
	sqlite3_bind_int64(stmt, 4, expires_at);
	rc = sqls_step_done(s->db, stmt, err, "storing a nonce");
	stmt = NULL;
	if (rc == GW_E_NOTFOUND)
		rc = gw_fail(err, rc, "nonce for device %s: no such device", device_id);
	else if (rc == GW_E_EXISTS)
		rc = gw_fail(err, rc, "nonce exists already");
out:
	sqlite3_finalize(stmt);
	return sqls_tx_close(s, rc, err);
}

int sqls_op_nonce_take(struct store *st, const uint8_t *nonce, size_t len,
		       const char *device_id, int64_t now, struct store_nonce *out,
		       enum store_nonce_refusal *why, gw_error *err)
{
	struct sqlite_store *s = to_sqlite(st);
	sqlite3_stmt *stmt = NULL;
	struct store_nonce n;
	enum store_nonce_refusal refusal = 0;
	bool used;
	int src;
	int rc = sqls_tx_open(s, err);

	if (rc)
		return rc;
	memset(&n, 0, sizeof(n));
	rc = sqls_prepare(s->db,
			  "SELECT device_id, pcr_selection, expires_at, used_at IS NOT NULL"
			  " FROM nonces WHERE nonce = ?",
			  &stmt, err);
	if (rc)
		goto out;
	sqls_bind_blob(stmt, 1, nonce, len);
	src = sqlite3_step(stmt);
	if (src == SQLITE_DONE) {
		rc = gw_fail(err, GW_E_NOTFOUND, "nonce unknown");
		goto out;
	}
	if (src != SQLITE_ROW) {
		rc = sqls_fail(s->db, sqlite3_extended_errcode(s->db), err, "reading a nonce");
		goto out;
	}
	if (sqls_col_text(stmt, 0, n.device_id, sizeof(n.device_id)) ||
	    sqls_col_text(stmt, 1, n.pcr_selection, sizeof(n.pcr_selection))) {
		rc = gw_fail(err, GW_E_PARSE, "store: nonce row is malformed");
		goto out;
	}
	n.expires_at = sqlite3_column_int64(stmt, 2);
	used = sqlite3_column_int(stmt, 3) != 0;
	sqlite3_finalize(stmt);
	stmt = NULL;
	/* The nonce is not secret, but treat a foreign one exactly like an unknown
	 * one so the answer does not tell whose it is. */
	if (strcmp(n.device_id, device_id) != 0) {
		rc = gw_fail(err, GW_E_NOTFOUND, "nonce unknown");
		goto out;
	}
	if (used) {
		refusal = STORE_NONCE_USED;
		rc = gw_fail(err, GW_E_STATE, "nonce used already (replayed quote?)");
		goto out;
	}
	rc = sqls_prepare(s->db, "UPDATE nonces SET used_at = ? WHERE nonce = ?", &stmt, err);
	if (rc)
		goto out;
	sqlite3_bind_int64(stmt, 1, now);
	sqls_bind_blob(stmt, 2, nonce, len);
	rc = sqls_step_done(s->db, stmt, err, "using a nonce");
	stmt = NULL;
	if (rc)
		goto out;
	/* An expired nonce is marked used as well, and that is committed: it never
	 * becomes good again, whatever the clock does later. */
	if (now >= n.expires_at)
		refusal = STORE_NONCE_EXPIRED;
out:
	sqlite3_finalize(stmt);
	rc = sqls_tx_close(s, rc, err);
	if (rc == 0 && refusal == STORE_NONCE_EXPIRED)
		rc = gw_fail(err, GW_E_STATE, "nonce expired %" PRId64 " s ago",
			     now - n.expires_at);
	if (rc == 0)
		*out = n;
	else if (rc == GW_E_STATE && why && refusal)
		*why = refusal;
	return rc;
}

int sqls_op_nonce_purge(struct store *st, int64_t before, uint64_t *count, gw_error *err)
{
	struct sqlite_store *s = to_sqlite(st);
	sqlite3_stmt *stmt = NULL;
	uint64_t n = 0;
	int rc = sqls_tx_open(s, err);

	if (rc)
		return rc;
	rc = sqls_prepare(s->db, "DELETE FROM nonces WHERE expires_at < ?", &stmt, err);
	if (rc)
		goto out;
	sqlite3_bind_int64(stmt, 1, before);
	rc = sqls_step_done(s->db, stmt, err, "purging nonces");
	stmt = NULL;
	if (rc == 0)
		n = (uint64_t)sqlite3_changes64(s->db);
out:
	sqlite3_finalize(stmt);
	rc = sqls_tx_close(s, rc, err);
	if (rc == 0 && count)
		*count = n;
	return rc;
}

int sqls_op_result_add(struct store *st, const struct store_result *r, int64_t *id,
		       const struct store_audit *audit, gw_error *err)
{
	struct sqlite_store *s = to_sqlite(st);
	sqlite3_stmt *stmt = NULL;
	int64_t rowid = 0;
	int rc = sqls_tx_open(s, err);

	if (rc)
		return rc;
	rc = sqls_prepare(s->db,
			  "INSERT INTO results (device_id, at, status, claims, ear)"
			  " VALUES (?, ?, ?, ?, ?)",
			  &stmt, err);
	if (rc)
		goto out;
	sqls_bind_text(stmt, 1, r->device_id);
	sqlite3_bind_int64(stmt, 2, r->at);
	sqls_bind_text(stmt, 3, r->status);
	sqls_bind_text(stmt, 4, r->claims);
	sqls_bind_text(stmt, 5, r->ear);
	rc = sqls_step_done(s->db, stmt, err, "storing a result");
	stmt = NULL;
	if (rc == GW_E_NOTFOUND)
		rc = gw_fail(err, rc, "result for device %s: no such device", r->device_id);
	if (rc)
		goto out;
	rowid = sqlite3_last_insert_rowid(s->db);
	rc = sqls_maybe_audit(s->db, audit, err);
out:
	sqlite3_finalize(stmt);
	rc = sqls_tx_close(s, rc, err);
	if (rc == 0 && id)
		*id = rowid;
	return rc;
}

int sqls_op_result_history(struct store *st, const char *device_id, unsigned limit,
			   store_result_cb cb, void *arg, gw_error *err)
{
	struct sqlite_store *s = to_sqlite(st);
	sqlite3_stmt *stmt = NULL;
	struct store_result r;
	int src;
	int rc;

	rc = sqls_prepare(s->db,
			  "SELECT id, device_id, at, status, claims, ear FROM results"
			  " WHERE device_id = ? ORDER BY at DESC, id DESC LIMIT ?",
			  &stmt, err);
	if (rc)
		goto out;
	sqls_bind_text(stmt, 1, device_id);
	sqlite3_bind_int64(stmt, 2, limit ? (int64_t)limit : -1);
	while ((src = sqlite3_step(stmt)) == SQLITE_ROW) {
		r.id = sqlite3_column_int64(stmt, 0);
		r.device_id = (const char *)sqlite3_column_text(stmt, 1);
		r.at = sqlite3_column_int64(stmt, 2);
		r.status = (const char *)sqlite3_column_text(stmt, 3);
		r.claims = (const char *)sqlite3_column_text(stmt, 4);
		r.ear = (const char *)sqlite3_column_text(stmt, 5);
		if (!r.device_id || !r.status || !r.claims || !r.ear) {
			rc = gw_fail(err, GW_E_NOMEM, "store: reading results");
			goto out;
		}
		rc = cb(&r, arg);
		if (rc)
			goto out;
	}
	if (src != SQLITE_DONE)
		rc = sqls_fail(s->db, sqlite3_extended_errcode(s->db), err, "reading results");
out:
	sqlite3_finalize(stmt);
	return rc;
}

/* Fill r from a row of (seq, ts, actor, action, device_id, outcome, detail,
 * prev_hash, hash). Text pointers stay valid until the next step. */
static int read_audit_row(sqlite3_stmt *stmt, struct store_audit_record *r)
{
	int64_t seq = sqlite3_column_int64(stmt, 0);

	if (seq <= 0 || sqlite3_column_bytes(stmt, 7) != STORE_HASH_LEN ||
	    sqlite3_column_bytes(stmt, 8) != STORE_HASH_LEN)
		return GW_E_PARSE;
	r->seq = (uint64_t)seq;
	r->a.ts = sqlite3_column_int64(stmt, 1);
	r->a.actor = (const char *)sqlite3_column_text(stmt, 2);
	r->a.action = (const char *)sqlite3_column_text(stmt, 3);
	r->a.device_id = (const char *)sqlite3_column_text(stmt, 4);
	r->a.outcome = (const char *)sqlite3_column_text(stmt, 5);
	r->a.detail = (const char *)sqlite3_column_text(stmt, 6);
	if (!r->a.actor || !r->a.action || !r->a.outcome)
		return GW_E_PARSE;
	memcpy(r->prev_hash, sqlite3_column_blob(stmt, 7), STORE_HASH_LEN);
	memcpy(r->hash, sqlite3_column_blob(stmt, 8), STORE_HASH_LEN);
	return 0;
}

#define AUDIT_COLUMNS "seq, ts, actor, action, device_id, outcome, detail, prev_hash, hash"

int sqls_op_audit_list(struct store *st, uint64_t since, store_audit_cb cb, void *arg,
		       gw_error *err)
{
	struct sqlite_store *s = to_sqlite(st);
	sqlite3_stmt *stmt = NULL;
	struct store_audit_record r;
	int src;
	int rc;

	rc = sqls_prepare(s->db, "SELECT " AUDIT_COLUMNS " FROM audit_log WHERE seq > ? ORDER BY seq",
			  &stmt, err);
	if (rc)
		goto out;
	sqlite3_bind_int64(stmt, 1, (int64_t)since);
	while ((src = sqlite3_step(stmt)) == SQLITE_ROW) {
		rc = read_audit_row(stmt, &r);
		if (rc) {
			rc = gw_fail(err, rc, "store: audit record malformed");
			goto out;
		}
		rc = cb(&r, arg);
		if (rc)
			goto out;
	}
	if (src != SQLITE_DONE)
		rc = sqls_fail(s->db, sqlite3_extended_errcode(s->db), err, "reading the audit log");
out:
	sqlite3_finalize(stmt);
	return rc;
}

/* Read the whole chain and the head in one read transaction, so a concurrent
 * append cannot make a consistent log look torn. */
int sqls_op_audit_verify(struct store *st, uint64_t *count, uint64_t *first_bad_seq,
			 gw_error *err)
{
	static const uint8_t zero[STORE_HASH_LEN];
	struct sqlite_store *s = to_sqlite(st);
	sqlite3_stmt *stmt = NULL;
	struct store_audit_record r;
	uint8_t prev[STORE_HASH_LEN];
	uint8_t want[STORE_HASH_LEN];
	uint64_t expect = 1, n = 0, bad = 0, last;
	struct store_audit_anchor anchor;
	int64_t head_seq;
	bool own_tx = !s->in_group;
	int src = SQLITE_DONE;
	int rc;

	memcpy(prev, zero, sizeof(prev));
	if (own_tx) {
		rc = sqls_exec(s->db, "BEGIN", err, "starting a read");
		if (rc)
			return rc;
	}
	/* After an archive the kept records start above the anchor and chain from
	 * its hash (audit_archive.h); before any, the anchor is 0 and zeros. */
	rc = sqls_audit_anchor_read(s->db, &anchor, err);
	if (rc)
		goto out;
	memcpy(prev, anchor.hash, sizeof(prev));
	expect = anchor.seq + 1;
	rc = sqls_prepare(s->db, "SELECT " AUDIT_COLUMNS " FROM audit_log ORDER BY seq", &stmt, err);
	if (rc)
		goto out;
	while (!bad && (src = sqlite3_step(stmt)) == SQLITE_ROW) {
		rc = read_audit_row(stmt, &r);
		if (rc) {
			/* A row we cannot even read is a broken link, not a failed check. */
			rc = 0;
			bad = (uint64_t)sqlite3_column_int64(stmt, 0);
			if (bad == 0 || bad > expect)
				bad = expect;
			gw_fail(err, GW_E_PARSE, "audit record %" PRIu64 " is malformed", bad);
			break;
		}
		if (r.seq != expect) {
			bad = expect;
			gw_fail(err, GW_E_PARSE, "audit record %" PRIu64 " is missing", expect);
			break;
		}
		if (!gw_ct_equal(r.prev_hash, prev, sizeof(prev))) {
			bad = r.seq;
			gw_fail(err, GW_E_PARSE,
				"audit record %" PRIu64 " does not link to its predecessor", r.seq);
			break;
		}
		rc = store_audit_hash(prev, r.seq, &r.a, want);
		if (rc == GW_E_TOOBIG) {
			rc = 0;
			bad = r.seq;
			gw_fail(err, GW_E_PARSE, "audit record %" PRIu64 " is oversized", r.seq);
			break;
		}
		if (rc) {
			rc = gw_fail(err, rc, "store: hashing audit record %" PRIu64, r.seq);
			goto out;
		}
		if (!gw_ct_equal(r.hash, want, sizeof(want))) {
			bad = r.seq;
			gw_fail(err, GW_E_PARSE,
				"audit record %" PRIu64 " was altered (hash mismatch)", r.seq);
			break;
		}
		memcpy(prev, r.hash, sizeof(prev));
		n++;
		expect++;
	}
	if (!bad && src != SQLITE_DONE) {
		rc = sqls_fail(s->db, sqlite3_extended_errcode(s->db), err, "reading the audit log");
		goto out;
	}
	sqlite3_finalize(stmt);
	stmt = NULL;
	if (bad)
		goto done;

	rc = sqls_prepare(s->db, "SELECT seq, hash FROM audit_head WHERE one = 1", &stmt, err);
	if (rc)
		goto out;
	src = sqlite3_step(stmt);
	if (src != SQLITE_ROW) {
		if (src != SQLITE_DONE) {
			rc = sqls_fail(s->db, sqlite3_extended_errcode(s->db), err,
				       "reading the audit head");
			goto out;
		}
		bad = n + 1;
		gw_fail(err, GW_E_PARSE, "audit head is missing");
		goto done;
	}
	head_seq = sqlite3_column_int64(stmt, 0);
	last = anchor.seq + n; /* the last record's seq (the anchor's when none is kept) */
	if (head_seq < 0 || (uint64_t)head_seq > last) {
		bad = last + 1;
		gw_fail(err, GW_E_PARSE,
			"audit log ends at %" PRIu64 " but its head names %" PRId64
			" (records deleted from the end)", last, head_seq);
	} else if ((uint64_t)head_seq < last) {
		bad = (uint64_t)head_seq + 1;
		gw_fail(err, GW_E_PARSE,
			"audit record %" PRIu64 " is past the head (%" PRId64 ")", bad, head_seq);
	} else if (sqlite3_column_bytes(stmt, 1) != STORE_HASH_LEN ||
		   !gw_ct_equal(sqlite3_column_blob(stmt, 1), prev, sizeof(prev))) {
		bad = last ? last : 1;
		gw_fail(err, GW_E_PARSE, "audit head hash differs from record %" PRIu64, last);
	}
done:
	*count = n;
	*first_bad_seq = bad;
out:
	sqlite3_finalize(stmt);
	if (own_tx)
		(void)sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
	return rc;
}
