// SPDX-License-Identifier: Apache-2.0
// The SQLite store's enrollments: challenges issued, activated into a device,
// used to recover an enrolled device, failed and purged.
#include "store_sqlite_int.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

int sqls_op_enrollment_put(struct store *st, const struct store_enrollment *e,
			   const struct store_audit *audit, gw_error *err)
{
	struct sqlite_store *s = to_sqlite(st);
	sqlite3_stmt *stmt = NULL;
	int rc = sqls_tx_open(s, err);

	if (rc)
		return rc;
	rc = sqls_prepare(s->db,
			  "INSERT INTO enrollments (id, device_id, model, ek_pub, ek_cert, ak_pub,"
			  " ak_name, secret_hash, created_at, expires_at, state)"
			  " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'challenged')",
			  &stmt, err);
	if (rc)
		goto out;
	sqls_bind_text(stmt, 1, e->id);
	sqls_bind_text(stmt, 2, e->device_id);
	sqls_bind_text(stmt, 3, e->model);
	sqls_bind_blob(stmt, 4, e->ek_pub, e->ek_pub_len);
	sqls_bind_blob(stmt, 5, e->ek_cert, e->ek_cert_len);
	sqls_bind_blob(stmt, 6, e->ak_pub, e->ak_pub_len);
	sqls_bind_blob(stmt, 7, e->ak_name, e->ak_name_len);
	sqls_bind_blob(stmt, 8, e->secret_hash, sizeof(e->secret_hash));
	sqlite3_bind_int64(stmt, 9, e->created_at);
	sqlite3_bind_int64(stmt, 10, e->expires_at);
	rc = sqls_step_done(s->db, stmt, err, "storing an enrollment");
	stmt = NULL;
	if (rc == GW_E_EXISTS)
		rc = gw_fail(err, rc, "enrollment %s exists already", e->id);
	if (rc)
		goto out;
	rc = sqls_maybe_audit(s->db, audit, err);
out:
	sqlite3_finalize(stmt);
	return sqls_tx_close(s, rc, err);
}

static int enrollment_state_parse(const char *t, enum store_enrollment_state *out)
{
	for (int i = STORE_ENR_CHALLENGED; i <= STORE_ENR_FAILED; i++) {
		if (t && strcmp(t, store_enrollment_state_name((enum store_enrollment_state)i)) == 0) {
			*out = (enum store_enrollment_state)i;
			return 0;
		}
	}
	return GW_E_PARSE;
}

int sqls_op_enrollment_get(struct store *st, const char *id, struct store_enrollment *out,
			   gw_error *err)
{
	struct sqlite_store *s = to_sqlite(st);
	sqlite3_stmt *stmt = NULL;
	struct store_enrollment e;
	const unsigned char *pem;
	int src;
	int rc;

	memset(&e, 0, sizeof(e));
	rc = sqls_prepare(s->db,
			  "SELECT id, device_id, model, ek_pub, ek_cert, ak_pub, ak_name, secret_hash,"
			  " created_at, expires_at, state, client_pub FROM enrollments WHERE id = ?",
			  &stmt, err);
	if (rc)
		goto out;
	sqls_bind_text(stmt, 1, id);
	src = sqlite3_step(stmt);
	if (src == SQLITE_DONE) {
		rc = gw_fail(err, GW_E_NOTFOUND, "enrollment %s is unknown", id);
		goto out;
	}
	if (src != SQLITE_ROW) {
		rc = sqls_fail(s->db, sqlite3_extended_errcode(s->db), err, "reading an enrollment");
		goto out;
	}
	if (sqls_col_text(stmt, 0, e.id, sizeof(e.id)) ||
	    sqls_col_text(stmt, 1, e.device_id, sizeof(e.device_id)) ||
	    sqls_col_text(stmt, 2, e.model, sizeof(e.model)) ||
	    sqlite3_column_bytes(stmt, 7) != STORE_HASH_LEN ||
	    enrollment_state_parse((const char *)sqlite3_column_text(stmt, 10), &e.state)) {
		rc = gw_fail(err, GW_E_PARSE, "store: enrollment %s: malformed row", id);
		goto out;
	}
	memcpy(e.secret_hash, sqlite3_column_blob(stmt, 7), STORE_HASH_LEN);
	e.created_at = sqlite3_column_int64(stmt, 8);
	e.expires_at = sqlite3_column_int64(stmt, 9);
	if ((rc = sqls_col_blob_dup(stmt, 3, &e.ek_pub, &e.ek_pub_len)) ||
	    (rc = sqls_col_blob_dup(stmt, 4, &e.ek_cert, &e.ek_cert_len)) ||
	    (rc = sqls_col_blob_dup(stmt, 5, &e.ak_pub, &e.ak_pub_len)) ||
	    (rc = sqls_col_blob_dup(stmt, 6, &e.ak_name, &e.ak_name_len))) {
		rc = gw_fail(err, rc, "store: enrollment %s: malformed row", id);
		goto out;
	}
	pem = sqlite3_column_text(stmt, 11);
	if (pem) {
		e.client_pub = strdup((const char *)pem);
		if (!e.client_pub) {
			rc = GW_E_NOMEM;
			goto out;
		}
	}
	*out = e; /* transferred */
	memset(&e, 0, sizeof(e));
out:
	store_enrollment_fini(&e);
	sqlite3_finalize(stmt);
	return rc;
}

/* State, device id, model and expiry of enrollment id inside the caller's
 * transaction. */
static int enrollment_head(sqlite3 *db, const char *id, enum store_enrollment_state *state,
			   char *device_id, char *model, int64_t *expires_at, gw_error *err)
{
	sqlite3_stmt *stmt = NULL;
	int src;
	int rc;

	rc = sqls_prepare(db, "SELECT state, device_id, model, expires_at FROM enrollments WHERE id = ?",
			  &stmt, err);
	if (rc)
		goto out;
	sqls_bind_text(stmt, 1, id);
	src = sqlite3_step(stmt);
	if (src == SQLITE_DONE) {
		rc = gw_fail(err, GW_E_NOTFOUND, "enrollment %s is unknown", id);
		goto out;
	}
	if (src != SQLITE_ROW) {
		rc = sqls_fail(db, sqlite3_extended_errcode(db), err, "reading an enrollment");
		goto out;
	}
	if (enrollment_state_parse((const char *)sqlite3_column_text(stmt, 0), state) ||
	    sqls_col_text(stmt, 1, device_id, STORE_ID_MAX + 1) ||
	    sqls_col_text(stmt, 2, model, STORE_MODEL_MAX + 1)) {
		rc = gw_fail(err, GW_E_PARSE, "store: enrollment %s: malformed row", id);
		goto out;
	}
	*expires_at = sqlite3_column_int64(stmt, 3);
out:
	sqlite3_finalize(stmt);
	return rc;
}

/* The key identity of the enrollment's EK and its AK name (ak_name holds
 * STORE_BLOB_MAX bytes), inside the caller's transaction. */
static int enrollment_tpm(sqlite3 *db, const char *id, uint8_t key[STORE_HASH_LEN],
			  uint8_t *ak_name, size_t *ak_name_len, gw_error *err)
{
	sqlite3_stmt *stmt = NULL;
	int n, rc;

	rc = sqls_prepare(db, "SELECT ek_pub, ak_name FROM enrollments WHERE id = ?", &stmt, err);
	if (rc)
		return rc;
	sqls_bind_text(stmt, 1, id);
	if (sqlite3_step(stmt) != SQLITE_ROW) {
		rc = sqls_fail(db, sqlite3_extended_errcode(db), err, "reading an enrollment");
		goto out;
	}
	n = sqlite3_column_bytes(stmt, 0);
	if (n <= 0 ||
	    store_ek_key_id(sqlite3_column_blob(stmt, 0), (size_t)n, key)) {
		rc = gw_fail(err, GW_E_KEY, "enrollment %s: the EK is not an RSA or ECC key", id);
		goto out;
	}
	n = sqlite3_column_bytes(stmt, 1);
	if (n <= 0 || n > STORE_BLOB_MAX) {
		rc = gw_fail(err, GW_E_PARSE, "store: enrollment %s: malformed row", id);
		goto out;
	}
	memcpy(ak_name, sqlite3_column_blob(stmt, 1), (size_t)n);
	*ak_name_len = (size_t)n;
out:
	sqlite3_finalize(stmt);
	return rc;
}

/* Inside the caller's transaction: enrollment id is challenged and, at now, not
 * expired; device_id and model get its. */
static int enrollment_open(sqlite3 *db, const char *id, int64_t now, char *device_id,
			   char *model, gw_error *err)
{
	enum store_enrollment_state state;
	int64_t expires_at;
	int rc = enrollment_head(db, id, &state, device_id, model, &expires_at, err);

	if (rc)
		return rc;
	if (state != STORE_ENR_CHALLENGED)
		return gw_fail(err, GW_E_STATE, "enrollment %s is %s already", id,
			       store_enrollment_state_name(state));
	/* To the client an expired enrollment is as unknown as one never issued. */
	if (now >= expires_at)
		return gw_fail(err, GW_E_NOTFOUND, "enrollment %s expired %" PRId64 " s ago", id,
			       now - expires_at);
	return 0;
}

/* Inside the caller's transaction: the enrollment is spent, by client_pub_pem. */
static int enrollment_mark_activated(sqlite3 *db, const char *id, const char *client_pub_pem,
				     gw_error *err)
{
	sqlite3_stmt *stmt = NULL;
	int rc = sqls_prepare(db, "UPDATE enrollments SET state = 'activated', client_pub = ? WHERE id = ?",
			      &stmt, err);

	if (rc)
		return rc;
	sqls_bind_text(stmt, 1, client_pub_pem);
	sqls_bind_text(stmt, 2, id);
	return sqls_step_done(db, stmt, err, "activating an enrollment");
}

int sqls_op_enrollment_activate(struct store *st, const char *id, const char *client_pub_pem,
				int64_t now, const struct store_device *d,
				const struct store_audit *audit, struct store_tpm_holder *holder,
				gw_error *err)
{
	struct sqlite_store *s = to_sqlite(st);
	sqlite3_stmt *stmt = NULL;
	char device_id[STORE_ID_MAX + 1];
	char model[STORE_MODEL_MAX + 1];
	uint8_t key[STORE_HASH_LEN];
	uint8_t *ak_name = NULL;
	size_t ak_name_len = 0;
	int rc = sqls_tx_open(s, err);

	if (rc)
		return rc;
	rc = enrollment_open(s->db, id, now, device_id, model, err);
	if (rc)
		goto out;
	if (strcmp(device_id, d->id) != 0 || strcmp(model, d->model) != 0) {
		rc = gw_fail(err, GW_E_INVAL, "enrollment %s is for %s (%s), not %s (%s)", id,
			     device_id, model, d->id, d->model);
		goto out;
	}
	/* The id first: a device enrolling again under its own id is told so, not that
	 * its TPM is taken (by itself). */
	rc = sqls_device_id_free(s->db, d->id, err);
	if (rc)
		goto out;
	ak_name = malloc(STORE_BLOB_MAX);
	if (!ak_name) {
		rc = GW_E_NOMEM;
		goto out;
	}
	rc = enrollment_tpm(s->db, id, key, ak_name, &ak_name_len, err);
	if (rc)
		goto out;
	rc = sqls_tpm_check_locked(s->db, key, ak_name, ak_name_len, d->state, holder, err);
	if (rc) {
		gw_error_prefix(err, "enrollment %s for %s: ", id, d->id);
		goto out;
	}
	rc = enrollment_mark_activated(s->db, id, client_pub_pem, err);
	if (rc)
		goto out;
	rc = sqls_prepare(s->db,
			  "INSERT INTO devices (id, model, state, ek_pub, ek_cert, ak_pub, ak_name,"
			  " created_at, state_changed_at, state_changed_by, ek_key)"
			  " SELECT device_id, model, ?, ek_pub, ek_cert, ak_pub, ak_name, ?, ?, 'enroll',"
			  " ? FROM enrollments WHERE id = ?",
			  &stmt, err);
	if (rc)
		goto out;
	sqls_bind_text(stmt, 1, store_device_state_name(d->state));
	sqlite3_bind_int64(stmt, 2, d->created_at);
	sqlite3_bind_int64(stmt, 3, d->created_at);
	sqls_bind_blob(stmt, 4, key, sizeof(key));
	sqls_bind_text(stmt, 5, id);
	rc = sqls_step_done(s->db, stmt, err, "adding a device");
	stmt = NULL;
	if (rc == GW_E_EXISTS)
		rc = gw_fail(err, GW_E_EXISTS, "device %s exists already", d->id);
	if (rc)
		goto out;
	rc = sqls_maybe_audit(s->db, audit, err);
out:
	free(ak_name);
	sqlite3_finalize(stmt);
	return sqls_tx_close(s, rc, err);
}

int sqls_op_enrollment_recover(struct store *st, const char *id, const char *device_id,
			       const char *client_pub_pem, int64_t now, const char *old_fp,
			       const char *new_fp, const struct store_audit *audit, gw_error *err)
{
	struct sqlite_store *s = to_sqlite(st);
	char e_device[STORE_ID_MAX + 1], model[STORE_MODEL_MAX + 1];
	uint8_t key[STORE_HASH_LEN];
	uint8_t *ak_name = NULL;
	size_t ak_name_len = 0;
	int rc = sqls_tx_open(s, err);

	if (rc)
		return rc;
	rc = enrollment_open(s->db, id, now, e_device, model, err);
	/* The enrollment's refusals are all GW_E_NOTFOUND (unknown, expired or spent),
	 * the device's never are: the caller answers by the code alone. */
	if (rc == GW_E_STATE)
		rc = GW_E_NOTFOUND;
	if (rc)
		goto out;
	if (strcmp(e_device, device_id)) {
		rc = gw_fail(err, GW_E_INVAL, "enrollment %s is for %s, not %s", id, e_device,
			     device_id);
		goto out;
	}
	ak_name = malloc(STORE_BLOB_MAX);
	if (!ak_name) {
		rc = GW_E_NOMEM;
		goto out;
	}
	rc = enrollment_tpm(s->db, id, key, ak_name, &ak_name_len, err);
	if (!rc && (rc = sqls_device_has_tpm(s->db, device_id, key, ak_name, ak_name_len, err)) ==
			   GW_E_NOTFOUND)
		rc = GW_E_STATE; /* the device is gone */
	if (rc ||
	    (rc = enrollment_mark_activated(s->db, id, client_pub_pem, err)) ||
	    (rc = sqls_bind_cert(s->db, device_id, old_fp, new_fp, err)))
		goto out;
	rc = sqls_maybe_audit(s->db, audit, err);
out:
	free(ak_name);
	return sqls_tx_close(s, rc, err);
}

int sqls_op_enrollment_fail(struct store *st, const char *id, const struct store_audit *audit,
			    gw_error *err)
{
	struct sqlite_store *s = to_sqlite(st);
	sqlite3_stmt *stmt = NULL;
	enum store_enrollment_state state;
	char device_id[STORE_ID_MAX + 1];
	char model[STORE_MODEL_MAX + 1];
	int64_t expires_at;
	int rc = sqls_tx_open(s, err);

	if (rc)
		return rc;
	rc = enrollment_head(s->db, id, &state, device_id, model, &expires_at, err);
	if (rc)
		goto out;
	if (state != STORE_ENR_CHALLENGED) {
		rc = gw_fail(err, GW_E_STATE, "enrollment %s is %s already", id,
			     store_enrollment_state_name(state));
		goto out;
	}
	rc = sqls_prepare(s->db, "UPDATE enrollments SET state = 'failed' WHERE id = ?", &stmt, err);
	if (rc)
		goto out;
	sqls_bind_text(stmt, 1, id);
	rc = sqls_step_done(s->db, stmt, err, "failing an enrollment");
	stmt = NULL;
	if (rc)
		goto out;
	rc = sqls_maybe_audit(s->db, audit, err);
out:
	sqlite3_finalize(stmt);
	return sqls_tx_close(s, rc, err);
}

int sqls_op_enrollment_purge(struct store *st, int64_t before, uint64_t *count, gw_error *err)
{
	struct sqlite_store *s = to_sqlite(st);
	sqlite3_stmt *stmt = NULL;
	uint64_t n = 0;
	int rc = sqls_tx_open(s, err);

	if (rc)
		return rc;
	rc = sqls_prepare(s->db,
			  "DELETE FROM enrollments WHERE state IN ('challenged', 'failed')"
			  " AND expires_at < ?",
			  &stmt, err);
	if (rc)
		goto out;
	sqlite3_bind_int64(stmt, 1, before);
	rc = sqls_step_done(s->db, stmt, err, "purging enrollments");
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
