// SPDX-License-Identifier: Apache-2.0
// The SQLite store's update_keys table: each device's TPM update key, registered
// once and replaced only after an operator's reset.
#include <stdio.h>
#include <string.h>

#include "store_sqlite_int.h"

/* Inside the caller's transaction: the stored key's name, or GW_E_NOTFOUND. */
static int stored_name(sqlite3 *db, const char *device_id, uint8_t name[STORE_UPDATE_KEY_NAME_LEN],
		       gw_error *err)
{
	sqlite3_stmt *stmt = NULL;
	int rc = sqls_prepare(db, "SELECT name FROM update_keys WHERE device_id = ?", &stmt, err);
	int src;

	if (rc)
		return rc;
	sqls_bind_text(stmt, 1, device_id);
	src = sqlite3_step(stmt);
	if (src == SQLITE_DONE)
		rc = gw_fail(err, GW_E_NOTFOUND, "device %s has no update key", device_id);
	else if (src != SQLITE_ROW)
		rc = sqls_fail(db, sqlite3_extended_errcode(db), err, "reading an update key");
	else if (sqlite3_column_bytes(stmt, 0) != STORE_UPDATE_KEY_NAME_LEN)
		rc = gw_fail(err, GW_E_PARSE, "store: update key of %s: malformed row", device_id);
	else
		memcpy(name, sqlite3_column_blob(stmt, 0), STORE_UPDATE_KEY_NAME_LEN);
	sqlite3_finalize(stmt);
	return rc;
}

int sqls_op_update_key_put(struct store *st, const char *device_id, const uint8_t *pub,
			   size_t pub_len, const uint8_t *name, int64_t now,
			   const struct store_audit *audit, bool *existed, gw_error *err)
{
	struct sqlite_store *s = to_sqlite(st);
	uint8_t have[STORE_UPDATE_KEY_NAME_LEN];
	sqlite3_stmt *stmt = NULL;
	int rc = sqls_tx_open(s, err);

	*existed = false;
	if (rc)
		return rc;
	rc = sqls_device_enrolled(s->db, device_id, ": no update key for it", err);
	if (rc)
		goto out;
	rc = stored_name(s->db, device_id, have, err);
	if (rc == 0) {
		if (memcmp(have, name, sizeof(have)) == 0)
			*existed = true;
		else
			rc = gw_fail(err, GW_E_EXISTS,
				     "device %s has another update key (an operator's "
				     "`gwverifier device reset-update-key` lets it register a new one)",
				     device_id);
		goto out;
	}
	if (rc != GW_E_NOTFOUND)
		goto out;
	rc = sqls_prepare(s->db,
			  "INSERT INTO update_keys (device_id, public, name, created)"
			  " VALUES (?, ?, ?, ?)",
			  &stmt, err);
	if (rc)
		goto out;
	sqls_bind_text(stmt, 1, device_id);
	sqls_bind_blob(stmt, 2, pub, pub_len);
	sqls_bind_blob(stmt, 3, name, STORE_UPDATE_KEY_NAME_LEN);
	sqlite3_bind_int64(stmt, 4, now);
	rc = sqls_step_done(s->db, stmt, err, "storing an update key");
	if (!rc)
		rc = sqls_maybe_audit(s->db, audit, err);
out:
	return sqls_tx_close(s, rc, err);
}

int sqls_op_update_key_get(struct store *st, const char *device_id,
			   struct store_update_key *out, gw_error *err)
{
	struct sqlite_store *s = to_sqlite(st);
	struct store_update_key k;
	sqlite3_stmt *stmt = NULL;
	int src, rc;

	memset(&k, 0, sizeof(k));
	rc = sqls_prepare(s->db,
			  "SELECT public, name, created FROM update_keys WHERE device_id = ?",
			  &stmt, err);
	if (rc)
		return rc;
	sqls_bind_text(stmt, 1, device_id);
	src = sqlite3_step(stmt);
	if (src == SQLITE_DONE) {
		rc = gw_fail(err, GW_E_NOTFOUND, "device %s has no update key", device_id);
		goto out;
	}
	if (src != SQLITE_ROW) {
		rc = sqls_fail(s->db, sqlite3_extended_errcode(s->db), err, "reading an update key");
		goto out;
	}
	if (sqlite3_column_bytes(stmt, 1) != STORE_UPDATE_KEY_NAME_LEN ||
	    sqls_col_blob_dup(stmt, 0, &k.pub, &k.pub_len)) {
		rc = gw_fail(err, GW_E_PARSE, "store: update key of %s: malformed row", device_id);
		goto out;
	}
	memcpy(k.name, sqlite3_column_blob(stmt, 1), STORE_UPDATE_KEY_NAME_LEN);
	k.created = sqlite3_column_int64(stmt, 2);
	snprintf(k.device_id, sizeof(k.device_id), "%s", device_id);
	*out = k; /* transferred */
	memset(&k, 0, sizeof(k));
out:
	store_update_key_fini(&k);
	sqlite3_finalize(stmt);
	return rc;
}

int sqls_op_update_key_reset(struct store *st, const char *device_id,
			     const struct store_audit *audit, gw_error *err)
{
	struct sqlite_store *s = to_sqlite(st);
	uint8_t have[STORE_UPDATE_KEY_NAME_LEN];
	sqlite3_stmt *stmt = NULL;
	int rc = sqls_tx_open(s, err);

	if (rc)
		return rc;
	rc = stored_name(s->db, device_id, have, err);
	if (!rc)
		rc = sqls_prepare(s->db, "DELETE FROM update_keys WHERE device_id = ?", &stmt, err);
	if (!rc) {
		sqls_bind_text(stmt, 1, device_id);
		rc = sqls_step_done(s->db, stmt, err, "deleting an update key");
	}
	if (!rc)
		rc = sqls_maybe_audit(s->db, audit, err);
	return sqls_tx_close(s, rc, err);
}
