// SPDX-License-Identifier: Apache-2.0
// The SQLite store's device_counters table: each device's certified anti-rollback
// counters, names pinned at first sight, security versions only going up.
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "store_sqlite_int.h"

#define COUNTER_COLS                                                                     \
	"channel, counter_name, baseline_name, counter_index, baseline_index,"          \
	" security_version, first_seen, updated"

static int row_counter(sqlite3_stmt *stmt, const char *device_id, struct store_counter *c,
		       gw_error *err)
{
	memset(c, 0, sizeof(*c));
	if (sqls_col_text(stmt, 0, c->channel, sizeof(c->channel)) ||
	    sqlite3_column_bytes(stmt, 1) != STORE_COUNTER_NAME_LEN ||
	    sqlite3_column_bytes(stmt, 2) != STORE_COUNTER_NAME_LEN)
		return gw_fail(err, GW_E_PARSE, "store: counters of %s: malformed row", device_id);
	memcpy(c->counter_name, sqlite3_column_blob(stmt, 1), STORE_COUNTER_NAME_LEN);
	memcpy(c->baseline_name, sqlite3_column_blob(stmt, 2), STORE_COUNTER_NAME_LEN);
	c->counter_index = (uint32_t)sqlite3_column_int64(stmt, 3);
	c->baseline_index = (uint32_t)sqlite3_column_int64(stmt, 4);
	c->security_version = (uint64_t)sqlite3_column_int64(stmt, 5);
	c->first_seen = sqlite3_column_int64(stmt, 6);
	c->updated = sqlite3_column_int64(stmt, 7);
	return 0;
}

/* One channel's row into *out: 0, GW_E_NOTFOUND when there is none. */
static int counter_row(sqlite3 *db, const char *device_id, const char *channel,
		       struct store_counter *out, gw_error *err)
{
	sqlite3_stmt *stmt = NULL;
	int src, rc = sqls_prepare(db, "SELECT " COUNTER_COLS " FROM device_counters"
				   " WHERE device_id = ? AND channel = ?", &stmt, err);

	if (rc)
		return rc;
	sqls_bind_text(stmt, 1, device_id);
	sqls_bind_text(stmt, 2, channel);
	src = sqlite3_step(stmt);
	if (src == SQLITE_DONE)
		rc = GW_E_NOTFOUND;
	else if (src != SQLITE_ROW)
		rc = sqls_fail(db, sqlite3_extended_errcode(db), err, "reading a counter");
	else
		rc = row_counter(stmt, device_id, out, err);
	sqlite3_finalize(stmt);
	return rc;
}

int sqls_op_counters_get(struct store *st, const char *device_id, struct store_counter *out,
			 size_t max, size_t *n, gw_error *err)
{
	struct sqlite_store *s = to_sqlite(st);
	sqlite3_stmt *stmt = NULL;
	int src, rc;

	*n = 0;
	rc = sqls_prepare(s->db, "SELECT " COUNTER_COLS " FROM device_counters"
			  " WHERE device_id = ? ORDER BY channel", &stmt, err);
	if (rc)
		return rc;
	sqls_bind_text(stmt, 1, device_id);
	while ((src = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (*n == max) {
			rc = gw_fail(err, GW_E_TOOBIG, "store: device %s has more than %zu counters",
				     device_id, max);
			break;
		}
		rc = row_counter(stmt, device_id, &out[*n], err);
		if (rc)
			break;
		(*n)++;
	}
	if (!rc && src != SQLITE_DONE)
		rc = sqls_fail(s->db, sqlite3_extended_errcode(s->db), err, "reading counters");
	sqlite3_finalize(stmt);
	return rc;
}

/* Inside the transaction: insert c, or update the row it continues. */
static int record_one(sqlite3 *db, const char *device_id, const struct store_counter *c,
		      int64_t now, gw_error *err)
{
	struct store_counter have;
	sqlite3_stmt *stmt = NULL;
	int rc = counter_row(db, device_id, c->channel, &have, err);

	if (rc == 0) {
		if (memcmp(have.counter_name, c->counter_name, STORE_COUNTER_NAME_LEN) ||
		    memcmp(have.baseline_name, c->baseline_name, STORE_COUNTER_NAME_LEN))
			return gw_fail(err, GW_E_STATE, "device %s channel '%s': counter indices "
				       "replaced", device_id, c->channel);
		if (c->security_version < have.security_version)
			return gw_fail(err, GW_E_STATE, "device %s channel '%s': security version "
				       "%" PRIu64 " is below the recorded %" PRIu64, device_id,
				       c->channel, c->security_version, have.security_version);
		rc = sqls_prepare(db, "UPDATE device_counters SET security_version = ?,"
				  " updated = ? WHERE device_id = ? AND channel = ?", &stmt, err);
		if (rc)
			return rc;
		sqlite3_bind_int64(stmt, 1, (int64_t)c->security_version);
		sqlite3_bind_int64(stmt, 2, now);
		sqls_bind_text(stmt, 3, device_id);
		sqls_bind_text(stmt, 4, c->channel);
		return sqls_step_done(db, stmt, err, "updating a counter");
	}
	if (rc != GW_E_NOTFOUND)
		return rc;
	rc = sqls_prepare(db, "INSERT INTO device_counters (device_id, " COUNTER_COLS ")"
			  " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", &stmt, err);
	if (rc)
		return rc;
	sqls_bind_text(stmt, 1, device_id);
	sqls_bind_text(stmt, 2, c->channel);
	sqls_bind_blob(stmt, 3, c->counter_name, STORE_COUNTER_NAME_LEN);
	sqls_bind_blob(stmt, 4, c->baseline_name, STORE_COUNTER_NAME_LEN);
	sqlite3_bind_int64(stmt, 5, c->counter_index);
	sqlite3_bind_int64(stmt, 6, c->baseline_index);
	sqlite3_bind_int64(stmt, 7, (int64_t)c->security_version);
	sqlite3_bind_int64(stmt, 8, now);
	sqlite3_bind_int64(stmt, 9, now);
	return sqls_step_done(db, stmt, err, "recording a counter");
}

/* Inside the transaction: GW_E_STATE when a channel recorded for the device is not
 * among c[0..n-1]. A round certifies every recorded channel or records nothing: a
 * channel only an operator retires, and the rows stay within STORE_MAX_COUNTERS. */
static int all_recorded_present(sqlite3 *db, const char *device_id,
				const struct store_counter *c, size_t n, gw_error *err)
{
	sqlite3_stmt *stmt = NULL;
	int src = SQLITE_DONE, rc = sqls_prepare(db, "SELECT channel FROM device_counters"
						 " WHERE device_id = ? ORDER BY channel",
						 &stmt, err);

	if (rc)
		return rc;
	sqls_bind_text(stmt, 1, device_id);
	while (!rc && (src = sqlite3_step(stmt)) == SQLITE_ROW) {
		const char *ch = (const char *)sqlite3_column_text(stmt, 0);
		size_t i = 0;

		while (ch && i < n && strcmp(c[i].channel, ch))
			i++;
		if (!ch || i == n)
			rc = gw_fail(err, GW_E_STATE, "device %s channel '%s': recorded, and not "
				     "certified in this round", device_id, ch ? ch : "");
	}
	if (!rc && src != SQLITE_DONE)
		rc = sqls_fail(db, sqlite3_extended_errcode(db), err, "reading counters");
	sqlite3_finalize(stmt);
	return rc;
}

/* The device's security version never goes down: the highest of what it was and
 * every value certified (doc/evidence.md). */
static int raise_device_sv(sqlite3 *db, const char *device_id, uint64_t sv, gw_error *err)
{
	sqlite3_stmt *stmt = NULL;
	int rc = sqls_prepare(db, "UPDATE devices SET security_version ="
			      " MAX(COALESCE(security_version, 0), ?) WHERE id = ?", &stmt, err);

	if (rc)
		return rc;
	sqlite3_bind_int64(stmt, 1, (int64_t)sv);
	sqls_bind_text(stmt, 2, device_id);
	return sqls_step_done(db, stmt, err, "setting a device's security version");
}

int sqls_op_counters_record(struct store *st, const char *device_id,
			    const struct store_counter *c, size_t n, int64_t now, gw_error *err)
{
	struct sqlite_store *s = to_sqlite(st);
	uint64_t high = 0;
	int rc = sqls_tx_open(s, err);

	if (rc)
		return rc;
	rc = sqls_device_id_free(s->db, device_id, err);
	if (rc == 0)
		rc = gw_fail(err, GW_E_NOTFOUND, "no device %s", device_id);
	else if (rc == GW_E_EXISTS)
		rc = all_recorded_present(s->db, device_id, c, n, err);
	for (size_t i = 0; !rc && i < n; i++) {
		rc = record_one(s->db, device_id, &c[i], now, err);
		if (c[i].security_version > high)
			high = c[i].security_version;
	}
	if (!rc && n)
		rc = raise_device_sv(s->db, device_id, high, err);
	return sqls_tx_close(s, rc, err);
}

int sqls_op_counters_retire(struct store *st, const char *device_id, const char *channel,
			    struct store_counter *out, const struct store_audit *audit,
			    gw_error *err)
{
	struct sqlite_store *s = to_sqlite(st);
	sqlite3_stmt *stmt = NULL;
	int rc = sqls_tx_open(s, err);

	if (rc)
		return rc;
	rc = counter_row(s->db, device_id, channel, out, err);
	if (rc == GW_E_NOTFOUND)
		rc = gw_fail(err, rc, "device %s has no recorded counter of channel '%s'",
			     device_id, channel);
	if (!rc)
		rc = sqls_prepare(s->db, "DELETE FROM device_counters WHERE device_id = ?"
				  " AND channel = ?", &stmt, err);
	if (!rc) {
		sqls_bind_text(stmt, 1, device_id);
		sqls_bind_text(stmt, 2, channel);
		rc = sqls_step_done(s->db, stmt, err, "deleting a counter");
	}
	if (!rc)
		rc = sqls_maybe_audit(s->db, audit, err);
	return sqls_tx_close(s, rc, err);
}
