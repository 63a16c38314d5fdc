// SPDX-License-Identifier: Apache-2.0
// The SQLite store's devices: adding, reading and listing them, their state,
// attestation results and client certificates, and who holds which TPM.
#include "store_sqlite_int.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* Inside the caller's transaction: GW_E_EXISTS when a device has this id. */
int sqls_device_id_free(sqlite3 *db, const char *id, gw_error *err)
{
	sqlite3_stmt *stmt = NULL;
	int src;
	int rc = sqls_prepare(db, "SELECT 1 FROM devices WHERE id = ?", &stmt, err);

	if (rc)
		return rc;
	sqls_bind_text(stmt, 1, id);
	src = sqlite3_step(stmt);
	if (src == SQLITE_ROW)
		rc = gw_fail(err, GW_E_EXISTS, "device %s exists already", id);
	else if (src != SQLITE_DONE)
		rc = sqls_fail(db, sqlite3_extended_errcode(db), err, "reading a device");
	sqlite3_finalize(stmt);
	return rc;
}

/* Who has the TPM of ek_key (NULL: none) or ak_name, inside the caller's
 * transaction: a pending or enrolled device first, else the revoked one whose
 * state changed last. */
static int tpm_holder_locked(sqlite3 *db, const uint8_t *ek_key, const uint8_t *ak_name,
			     size_t ak_name_len, struct store_tpm_holder *out, gw_error *err)
{
	sqlite3_stmt *stmt = NULL;
	enum store_device_state state;
	int src;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = sqls_prepare(db,
			  "SELECT id, state FROM devices WHERE ek_key = ?1 OR ak_name = ?2"
			  " ORDER BY state = 'revoked', state_changed_at DESC, id LIMIT 1",
			  &stmt, err);
	if (rc)
		goto out;
	if (ek_key)
		sqls_bind_blob(stmt, 1, ek_key, STORE_HASH_LEN);
	sqls_bind_blob(stmt, 2, ak_name, ak_name_len);
	src = sqlite3_step(stmt);
	if (src == SQLITE_DONE)
		goto out;
	if (src != SQLITE_ROW) {
		rc = sqls_fail(db, sqlite3_extended_errcode(db), err, "looking up a TPM");
		goto out;
	}
	if (sqls_col_text(stmt, 0, out->device_id, sizeof(out->device_id)) ||
	    store_device_state_parse((const char *)sqlite3_column_text(stmt, 1), &state)) {
		memset(out, 0, sizeof(*out));
		rc = gw_fail(err, GW_E_PARSE, "store: looking up a TPM: malformed device row");
		goto out;
	}
	out->binding = state == STORE_DEV_REVOKED ? STORE_TPM_REVOKED : STORE_TPM_IN_USE;
out:
	sqlite3_finalize(stmt);
	return rc;
}

/* One TPM, one device (store.h): may a new device in `state` have this TPM?
 * GW_E_EXISTS when not; *h says who has it either way. */
int sqls_tpm_check_locked(sqlite3 *db, const uint8_t *ek_key, const uint8_t *ak_name,
			  size_t ak_name_len, enum store_device_state state,
			  struct store_tpm_holder *h, gw_error *err)
{
	int rc = tpm_holder_locked(db, ek_key, ak_name, ak_name_len, h, err);

	if (rc)
		return rc;
	if (h->binding == STORE_TPM_IN_USE)
		return gw_fail(err, GW_E_EXISTS, "the TPM (its EK or AK) belongs to device %s",
			       h->device_id);
	if (h->binding == STORE_TPM_REVOKED && state == STORE_DEV_ENROLLED)
		return gw_fail(err, GW_E_EXISTS,
			       "the TPM (its EK or AK) was revoked device %s's: it can come back"
			       " as pending only", h->device_id);
	return 0;
}

int sqls_op_device_by_tpm(struct store *st, const uint8_t *ek_key, const uint8_t *ak_name,
			  size_t ak_name_len, struct store_tpm_holder *out, gw_error *err)
{
	struct store_tpm_holder h;
	int rc = tpm_holder_locked(to_sqlite(st)->db, ek_key, ak_name, ak_name_len, &h, err);

	if (rc == 0)
		*out = h;
	return rc;
}

int sqls_op_device_put(struct store *st, const struct store_device *d,
		       const struct store_audit *audit, gw_error *err)
{
	struct sqlite_store *s = to_sqlite(st);
	sqlite3_stmt *stmt = NULL;
	struct store_tpm_holder h;
	uint8_t key[STORE_HASH_LEN];
	bool has_key = store_ek_key_id(d->ek_pub, d->ek_pub_len, key) == 0;
	int rc = sqls_tx_open(s, err);

	if (rc)
		return rc;
	rc = sqls_device_id_free(s->db, d->id, err);
	if (rc)
		goto out;
	/* A revoked device holds no TPM: only a live one must have its own. */
	if (d->state != STORE_DEV_REVOKED) {
		rc = sqls_tpm_check_locked(s->db, has_key ? key : NULL, d->ak_name, d->ak_name_len,
					   d->state, &h, err);
		if (rc) {
			gw_error_prefix(err, "device %s: ", d->id);
			goto out;
		}
	}
	rc = sqls_prepare(s->db,
			  "INSERT INTO devices (id, model, state, ek_pub, ek_cert, ak_pub, ak_name,"
			  " created_at, state_changed_at, state_changed_by, ek_key)"
			  " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'enroll', ?)",
			  &stmt, err);
	if (rc)
		goto out;
	sqls_bind_text(stmt, 1, d->id);
	sqls_bind_text(stmt, 2, d->model);
	sqls_bind_text(stmt, 3, store_device_state_name(d->state));
	sqls_bind_blob(stmt, 4, d->ek_pub, d->ek_pub_len);
	sqls_bind_blob(stmt, 5, d->ek_cert, d->ek_cert_len);
	sqls_bind_blob(stmt, 6, d->ak_pub, d->ak_pub_len);
	sqls_bind_blob(stmt, 7, d->ak_name, d->ak_name_len);
	sqlite3_bind_int64(stmt, 8, d->created_at);
	sqlite3_bind_int64(stmt, 9, d->created_at);
	if (has_key)
		sqls_bind_blob(stmt, 10, key, sizeof(key));
	rc = sqls_step_done(s->db, stmt, err, "adding a device");
	stmt = NULL;
	if (rc == GW_E_EXISTS)
		rc = gw_fail(err, GW_E_EXISTS, "device %s exists already", d->id);
	if (rc)
		goto out;
	rc = sqls_maybe_audit(s->db, audit, err);
out:
	sqlite3_finalize(stmt);
	return sqls_tx_close(s, rc, err);
}

#define DEVICE_COLUMNS \
	"id, model, state, created_at, state_changed_at, state_changed_by," \
	" last_attest_at, last_status, reset_count, restart_count, clock," \
	" cel_records_appraised, client_cert_fp, channel, security_version"

/* Fill the scalar fields of d from a row of DEVICE_COLUMNS. */
static int read_device_row(sqlite3_stmt *stmt, struct store_device *d)
{
	const char *state = (const char *)sqlite3_column_text(stmt, 2);

	memset(d, 0, sizeof(*d));
	if (sqls_col_text(stmt, 0, d->id, sizeof(d->id)) ||
	    sqls_col_text(stmt, 1, d->model, sizeof(d->model)) ||
	    sqls_col_text(stmt, 5, d->state_changed_by, sizeof(d->state_changed_by)) ||
	    sqls_col_text(stmt, 7, d->last_status, sizeof(d->last_status)) ||
	    sqls_col_text(stmt, 12, d->client_cert_fp, sizeof(d->client_cert_fp)) ||
	    sqls_col_text(stmt, 13, d->channel, sizeof(d->channel)))
		return GW_E_TOOBIG;
	if (store_device_state_parse(state, &d->state))
		return GW_E_PARSE;
	d->created_at = sqlite3_column_int64(stmt, 3);
	d->state_changed_at = sqlite3_column_int64(stmt, 4);
	d->attested = sqlite3_column_type(stmt, 6) != SQLITE_NULL;
	d->last_attest_at = sqlite3_column_int64(stmt, 6);
	d->reset_count = (uint32_t)sqlite3_column_int64(stmt, 8);
	d->restart_count = (uint32_t)sqlite3_column_int64(stmt, 9);
	d->clock = (uint64_t)sqlite3_column_int64(stmt, 10);
	d->cel_records_appraised = (uint64_t)sqlite3_column_int64(stmt, 11);
	d->security_version = (uint64_t)sqlite3_column_int64(stmt, 14);
	return 0;
}

/* The stored CEL log at column i and its resetCount at i + 1; NULL means none. */
static int col_cel_log(sqlite3_stmt *s, int i, struct store_device *d)
{
	const void *b;
	int n;

	if (sqlite3_column_type(s, i) == SQLITE_NULL)
		return 0;
	b = sqlite3_column_blob(s, i);
	n = sqlite3_column_bytes(s, i);
	if (n < 0 || (size_t)n > STORE_CEL_MAX)
		return GW_E_TOOBIG;
	d->cel_log = malloc(n ? (size_t)n : 1);
	if (!d->cel_log)
		return GW_E_NOMEM;
	if (n)
		memcpy(d->cel_log, b, (size_t)n);
	d->cel_log_len = (size_t)n;
	d->cel_reset_count = (uint32_t)sqlite3_column_int64(s, i + 1);
	return 0;
}

int sqls_op_device_get(struct store *st, const char *id, struct store_device *out,
		       gw_error *err)
{
	struct sqlite_store *s = to_sqlite(st);
	sqlite3_stmt *stmt = NULL;
	struct store_device d;
	int src;
	int rc;

	memset(&d, 0, sizeof(d));
	rc = sqls_prepare(s->db,
			  "SELECT " DEVICE_COLUMNS ", ek_pub, ek_cert, ak_pub, ak_name,"
			  " cel_log, cel_reset_count FROM devices WHERE id = ?",
			  &stmt, err);
	if (rc)
		goto out;
	sqls_bind_text(stmt, 1, id);
	src = sqlite3_step(stmt);
	if (src == SQLITE_DONE) {
		rc = gw_fail(err, GW_E_NOTFOUND, "device %s is not enrolled", id);
		goto out;
	}
	if (src != SQLITE_ROW) {
		rc = sqls_fail(s->db, sqlite3_extended_errcode(s->db), err, "reading a device");
		goto out;
	}
	if ((rc = read_device_row(stmt, &d)) ||
	    (rc = sqls_col_blob_dup(stmt, 15, &d.ek_pub, &d.ek_pub_len)) ||
	    (rc = sqls_col_blob_dup(stmt, 16, &d.ek_cert, &d.ek_cert_len)) ||
	    (rc = sqls_col_blob_dup(stmt, 17, &d.ak_pub, &d.ak_pub_len)) ||
	    (rc = sqls_col_blob_dup(stmt, 18, &d.ak_name, &d.ak_name_len)) ||
	    (rc = col_cel_log(stmt, 19, &d))) {
		rc = gw_fail(err, rc, "store: device %s: malformed row", id);
		goto out;
	}
	*out = d; /* transferred */
	memset(&d, 0, sizeof(d));
out:
	store_device_fini(&d);
	sqlite3_finalize(stmt);
	return rc;
}

int sqls_op_device_list(struct store *st, const enum store_device_state *state,
			store_device_cb cb, void *arg, gw_error *err)
{
	struct sqlite_store *s = to_sqlite(st);
	sqlite3_stmt *stmt = NULL;
	struct store_device d;
	int src;
	int rc;

	rc = sqls_prepare(s->db,
			  "SELECT " DEVICE_COLUMNS " FROM devices"
			  " WHERE ?1 IS NULL OR state = ?1 ORDER BY id",
			  &stmt, err);
	if (rc)
		goto out;
	sqls_bind_text(stmt, 1, state ? store_device_state_name(*state) : NULL);
	while ((src = sqlite3_step(stmt)) == SQLITE_ROW) {
		rc = read_device_row(stmt, &d);
		if (rc) {
			rc = gw_fail(err, rc, "store: listing devices: malformed row");
			goto out;
		}
		rc = cb(&d, arg);
		if (rc)
			goto out;
	}
	if (src != SQLITE_DONE)
		rc = sqls_fail(s->db, sqlite3_extended_errcode(s->db), err, "listing devices");
out:
	sqlite3_finalize(stmt);
	return rc;
}

/* The current state of id inside the caller's transaction. */
static int device_state(sqlite3 *db, const char *id, enum store_device_state *out,
			gw_error *err)
{
	sqlite3_stmt *stmt = NULL;
	int src;
	int rc;

	rc = sqls_prepare(db, "SELECT state FROM devices WHERE id = ?", &stmt, err);
	if (rc)
		goto out;
	sqls_bind_text(stmt, 1, id);
	src = sqlite3_step(stmt);
	if (src == SQLITE_DONE) {
		rc = gw_fail(err, GW_E_NOTFOUND, "device %s is not enrolled", id);
		goto out;
	}
	if (src != SQLITE_ROW) {
		rc = sqls_fail(db, sqlite3_extended_errcode(db), err, "reading a device");
		goto out;
	}
	if (store_device_state_parse((const char *)sqlite3_column_text(stmt, 0), out))
		rc = gw_fail(err, GW_E_PARSE, "store: device %s has an unknown state", id);
out:
	sqlite3_finalize(stmt);
	return rc;
}

/* Inside the caller's transaction: GW_E_STATE unless device id is enrolled (the
 * message names its state, then why), GW_E_NOTFOUND when there is no such device. */
static int device_enrolled(sqlite3 *db, const char *id, const char *why, gw_error *err)
{
	enum store_device_state cur;
	int rc = device_state(db, id, &cur, err);

	if (rc)
		return rc;
	if (cur != STORE_DEV_ENROLLED)
		return gw_fail(err, GW_E_STATE, "device %s is %s%s", id,
			       store_device_state_name(cur), why);
	return 0;
}

int sqls_device_enrolled(sqlite3 *db, const char *id, const char *why, gw_error *err)
{
	return device_enrolled(db, id, why, err);
}

static bool transition_allowed(enum store_device_state from, enum store_device_state to)
{
	return (from == STORE_DEV_PENDING && to == STORE_DEV_ENROLLED) ||
	       (from == STORE_DEV_PENDING && to == STORE_DEV_REVOKED) ||
	       (from == STORE_DEV_ENROLLED && to == STORE_DEV_REVOKED);
}

int sqls_op_device_set_state(struct store *st, const char *id,
			     enum store_device_state state, int64_t now, const char *actor,
			     const struct store_audit *audit, gw_error *err)
{
	struct sqlite_store *s = to_sqlite(st);
	sqlite3_stmt *stmt = NULL;
	enum store_device_state cur;
	int rc = sqls_tx_open(s, err);

	if (rc)
		return rc;
	rc = device_state(s->db, id, &cur, err);
	if (rc)
		goto out;
	if (!transition_allowed(cur, state)) {
		rc = gw_fail(err, GW_E_STATE, "device %s is %s: cannot move it to %s", id,
			     store_device_state_name(cur), store_device_state_name(state));
		goto out;
	}
	rc = sqls_prepare(s->db,
			  "UPDATE devices SET state = ?, state_changed_at = ?, state_changed_by = ?"
			  " WHERE id = ?",
			  &stmt, err);
	if (rc)
		goto out;
	sqls_bind_text(stmt, 1, store_device_state_name(state));
	sqlite3_bind_int64(stmt, 2, now);
	sqls_bind_text(stmt, 3, actor);
	sqls_bind_text(stmt, 4, id);
	rc = sqls_step_done(s->db, stmt, err, "changing a device's state");
	stmt = NULL;
	if (rc)
		goto out;
	rc = sqls_maybe_audit(s->db, audit, err);
out:
	sqlite3_finalize(stmt);
	return sqls_tx_close(s, rc, err);
}

int sqls_op_device_update_attestation(struct store *st, const char *id,
				      const struct store_attestation *att,
				      const struct store_audit *audit, gw_error *err)
{
	struct sqlite_store *s = to_sqlite(st);
	sqlite3_stmt *stmt = NULL;
	int rc = sqls_tx_open(s, err);

	if (rc)
		return rc;
	rc = device_enrolled(s->db, id, ", not enrolled", err);
	if (rc)
		goto out;
	/* Compared under the write lock that the update takes: two appraisals of one
	 * device that read the old clock before either wrote cannot both land, and
	 * the older one cannot overwrite the newer. */
	if (!att->keep_clock) {
		int64_t reset, clock;
		int src;

		rc = sqls_prepare(s->db,
				  "SELECT reset_count, clock FROM devices WHERE id = ?"
				  " AND reset_count IS NOT NULL AND clock IS NOT NULL",
				  &stmt, err);
		if (rc)
			goto out;
		sqls_bind_text(stmt, 1, id);
		src = sqlite3_step(stmt);
		if (src == SQLITE_ROW) {
			reset = sqlite3_column_int64(stmt, 0);
			clock = sqlite3_column_int64(stmt, 1);
			if ((int64_t)att->reset_count < reset ||
			    ((int64_t)att->reset_count == reset && (int64_t)att->clock < clock)) {
				rc = gw_fail(err, GW_E_EXISTS,
					     "device %s: TPM clock went backwards (resetCount %" PRId64
					     " -> %" PRIu32 ", clock %" PRId64 " -> %" PRIu64 ")",
					     id, reset, att->reset_count, clock, att->clock);
				goto out;
			}
		} else if (src != SQLITE_DONE) {
			rc = sqls_fail(s->db, sqlite3_extended_errcode(s->db), err, "reading a device");
			goto out;
		}
		sqlite3_finalize(stmt);
		stmt = NULL;
	}
	/* keep_clock: the quote says nothing about the TPM, so the clock and the
	 * device's authentic log stay as they are; only the result is new. */
	if (att->keep_clock) {
		rc = sqls_prepare(s->db,
				  "UPDATE devices SET last_attest_at = ?, last_status = ? WHERE id = ?",
				  &stmt, err);
		if (rc)
			goto out;
		sqlite3_bind_int64(stmt, 1, att->at);
		sqls_bind_text(stmt, 2, att->status);
		sqls_bind_text(stmt, 3, id);
	} else {
		rc = sqls_prepare(s->db,
				  "UPDATE devices SET last_attest_at = ?, last_status = ?,"
				  " reset_count = ?, restart_count = ?, clock = ?,"
				  " cel_records_appraised = ?, cel_log = ?, cel_reset_count = ?"
				  " WHERE id = ?",
				  &stmt, err);
		if (rc)
			goto out;
		sqlite3_bind_int64(stmt, 1, att->at);
		sqls_bind_text(stmt, 2, att->status);
		sqlite3_bind_int64(stmt, 3, att->reset_count);
		sqlite3_bind_int64(stmt, 4, att->restart_count);
		sqlite3_bind_int64(stmt, 5, (int64_t)att->clock);
		sqlite3_bind_int64(stmt, 6, (int64_t)att->cel_records_appraised);
		if (att->has_cel) {
			sqls_bind_blob(stmt, 7, att->cel_log, att->cel_log_len);
			sqlite3_bind_int64(stmt, 8, att->cel_reset_count);
		}
		sqls_bind_text(stmt, 9, id);
	}
	rc = sqls_step_done(s->db, stmt, err, "recording an attestation");
	stmt = NULL;
	if (rc)
		goto out;
	rc = sqls_maybe_audit(s->db, audit, err);
out:
	sqlite3_finalize(stmt);
	return sqls_tx_close(s, rc, err);
}

/* Inside the caller's transaction: bind device id to fp (NULL: none); when old_fp is
 * given, only while it is bound to old_fp (GW_E_STATE otherwise). */
int sqls_bind_cert(sqlite3 *db, const char *id, const char *old_fp, const char *fp,
		   gw_error *err)
{
	sqlite3_stmt *stmt = NULL;
	int rc = sqls_prepare(db, old_fp ? "UPDATE devices SET client_cert_fp = ? WHERE id = ? AND"
				      " client_cert_fp = ?"
				    : "UPDATE devices SET client_cert_fp = ? WHERE id = ?",
			      &stmt, err);

	if (rc)
		return rc;
	sqls_bind_text(stmt, 1, fp);
	sqls_bind_text(stmt, 2, id);
	if (old_fp)
		sqls_bind_text(stmt, 3, old_fp);
	rc = sqls_step_done(db, stmt, err, "binding a client certificate");
	if (rc == GW_E_EXISTS)
		return gw_fail(err, rc, "client certificate %s is bound to another device", fp);
	if (!rc && sqlite3_changes(db) != 1)
		return gw_fail(err, old_fp ? GW_E_STATE : GW_E_NOTFOUND,
			       "device %s has another certificate by now", id);
	return rc;
}

int sqls_op_device_set_client_cert(struct store *st, const char *id, const char *fp,
				   const struct store_audit *audit, gw_error *err)
{
	struct sqlite_store *s = to_sqlite(st);
	enum store_device_state cur;
	int rc = sqls_tx_open(s, err);

	if (rc)
		return rc;
	rc = device_state(s->db, id, &cur, err);
	if (rc)
		goto out;
	if (fp && cur == STORE_DEV_REVOKED) {
		rc = gw_fail(err, GW_E_STATE, "device %s is revoked: no certificate for it", id);
		goto out;
	}
	rc = sqls_bind_cert(s->db, id, NULL, fp, err);
	if (rc)
		goto out;
	rc = sqls_maybe_audit(s->db, audit, err);
out:
	return sqls_tx_close(s, rc, err);
}

int sqls_op_device_renew_cert(struct store *st, const char *id, const char *old_fp,
			      const char *new_fp, const struct store_audit *audit, gw_error *err)
{
	struct sqlite_store *s = to_sqlite(st);
	int rc = sqls_tx_open(s, err);

	if (rc)
		return rc;
	rc = device_enrolled(s->db, id, ": no certificate for it", err);
	if (rc)
		goto out;
	rc = sqls_bind_cert(s->db, id, old_fp, new_fp, err);
	if (rc)
		goto out;
	rc = sqls_maybe_audit(s->db, audit, err);
out:
	return sqls_tx_close(s, rc, err);
}

/* Inside the caller's transaction: the device is enrolled and has the TPM of
 * ek_key and ak_name, both. */
int sqls_device_has_tpm(sqlite3 *db, const char *id, const uint8_t ek_key[STORE_HASH_LEN],
			const uint8_t *ak_name, size_t ak_name_len, gw_error *err)
{
	sqlite3_stmt *stmt = NULL;
	const void *k, *a;
	int rc = device_enrolled(db, id, "", err);

	if (rc)
		return rc;
	rc = sqls_prepare(db, "SELECT ek_key, ak_name FROM devices WHERE id = ?", &stmt, err);
	if (rc)
		return rc;
	sqls_bind_text(stmt, 1, id);
	if (sqlite3_step(stmt) != SQLITE_ROW) {
		rc = sqls_fail(db, sqlite3_extended_errcode(db), err, "reading a device");
		goto out;
	}
	k = sqlite3_column_blob(stmt, 0);
	a = sqlite3_column_blob(stmt, 1);
	if (!k || sqlite3_column_bytes(stmt, 0) != STORE_HASH_LEN ||
	    memcmp(k, ek_key, STORE_HASH_LEN) || !a ||
	    sqlite3_column_bytes(stmt, 1) != (int)ak_name_len || memcmp(a, ak_name, ak_name_len))
		rc = gw_fail(err, GW_E_EXISTS, "device %s was enrolled with another EK or AK", id);
out:
	sqlite3_finalize(stmt);
	return rc;
}
