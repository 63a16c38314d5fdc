/* SPDX-License-Identifier: Apache-2.0 */
/* What the parts of the SQLite store backend share (its handle, statement and
 * transaction helpers, its operations); not an interface outside store_sqlite*.c. */
#ifndef GW_STORE_SQLITE_INT_H
#define GW_STORE_SQLITE_INT_H

#include <sqlite3.h>

#include "store_impl.h"
#include "util.h"

struct sqlite_store {
	struct store base; /* first: struct store * converts to this */
	sqlite3 *db;
	bool in_group;     /* inside store_begin() */
};

static inline struct sqlite_store *to_sqlite(struct store *st)
{
	return (struct sqlite_store *)st;
}

/* ---- Statements (store_sqlite.c) ---- */

/* A failed SQLite call (src: its result code) as a GW_E_* code and a message
 * "store: <what>: <SQLite's message>". */
int sqls_fail(sqlite3 *db, int src, gw_error *err, const char *what);
/* Compile sql; *out is set only on success. */
int sqls_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **out, gw_error *err);
/* Bind a text (NULL: SQL NULL) or a blob; SQLITE_STATIC, so the value must outlive
 * the statement. */
int sqls_bind_text(sqlite3_stmt *s, int i, const char *v);
int sqls_bind_blob(sqlite3_stmt *s, int i, const uint8_t *v, size_t len);
/* Run a statement that returns no rows; finalizes it. */
int sqls_step_done(sqlite3 *db, sqlite3_stmt *stmt, gw_error *err, const char *what);
/* Run SQL text without parameters. */
int sqls_exec(sqlite3 *db, const char *sql, gw_error *err, const char *what);
/* Copy a text column into a fixed buffer; GW_E_TOOBIG when it does not fit. */
int sqls_col_text(sqlite3_stmt *s, int i, char *buf, size_t cap);
/* A blob column copied into a new buffer (at most STORE_BLOB_MAX bytes). */
int sqls_col_blob_dup(sqlite3_stmt *s, int i, uint8_t **out, size_t *out_len);

/* ---- Transactions (store_sqlite.c) ---- */

/* Every operation that writes runs between these two: its own BEGIN IMMEDIATE
 * transaction, or a savepoint inside store_begin()'s group. sqls_tx_close commits
 * when rc is 0 and undoes the call otherwise; it returns the final code. */
int sqls_tx_open(struct sqlite_store *s, gw_error *err);
int sqls_tx_close(struct sqlite_store *s, int rc, gw_error *err);

/* ---- Used across the tables, inside the caller's transaction ---- */

/* Append audit record a when it is not NULL (store_sqlite_log.c). */
int sqls_maybe_audit(sqlite3 *db, const struct store_audit *a, gw_error *err);
/* store_sqlite_device.c: GW_E_EXISTS when a device has this id. */
int sqls_device_id_free(sqlite3 *db, const char *id, gw_error *err);
/* store_sqlite_device.c: may a new device in `state` have this TPM (store.h: one
 * TPM, one device)? GW_E_EXISTS when not; *h says who has it either way. */
int sqls_tpm_check_locked(sqlite3 *db, const uint8_t *ek_key, const uint8_t *ak_name,
			  size_t ak_name_len, enum store_device_state state,
			  struct store_tpm_holder *h, gw_error *err);
/* store_sqlite_device.c: bind device id to client certificate fp (NULL: none); when
 * old_fp is given, only while it is bound to old_fp (GW_E_STATE otherwise). */
int sqls_bind_cert(sqlite3 *db, const char *id, const char *old_fp, const char *fp,
		   gw_error *err);
/* store_sqlite_device.c: the device is enrolled and has the TPM of ek_key and
 * ak_name, both. */
int sqls_device_has_tpm(sqlite3 *db, const char *id, const uint8_t ek_key[STORE_HASH_LEN],
			const uint8_t *ak_name, size_t ak_name_len, gw_error *err);

/* ---- The operations of struct store_ops (store_impl.h), by file ---- */

/* store_sqlite_device.c */
int sqls_op_device_by_tpm(struct store *st, const uint8_t *ek_key, const uint8_t *ak_name,
			  size_t ak_name_len, struct store_tpm_holder *out, gw_error *err);
int sqls_op_device_put(struct store *st, const struct store_device *d,
		       const struct store_audit *audit, gw_error *err);
int sqls_op_device_get(struct store *st, const char *id, struct store_device *out,
		       gw_error *err);
int sqls_op_device_list(struct store *st, const enum store_device_state *state,
			store_device_cb cb, void *arg, gw_error *err);
int sqls_op_device_set_state(struct store *st, const char *id,
			     enum store_device_state state, int64_t now, const char *actor,
			     const struct store_audit *audit, gw_error *err);
int sqls_op_device_update_attestation(struct store *st, const char *id,
				      const struct store_attestation *att,
				      const struct store_audit *audit, gw_error *err);
int sqls_op_device_set_client_cert(struct store *st, const char *id, const char *fp,
				   const struct store_audit *audit, gw_error *err);
int sqls_op_device_renew_cert(struct store *st, const char *id, const char *old_fp,
			      const char *new_fp, const struct store_audit *audit, gw_error *err);

/* store_sqlite_release.c */
int sqls_op_device_set_channel(struct store *st, const char *id, const char *channel,
			       const struct store_audit *audit, gw_error *err);
int sqls_op_release_put(struct store *st, const struct store_release *r,
			const struct store_audit *audit, gw_error *err);
int sqls_op_release_get(struct store *st, const char *id, struct store_release *out,
			gw_error *err);
int sqls_op_release_list(struct store *st, const char *model, store_release_cb cb, void *arg,
			 gw_error *err);
int sqls_op_release_change(struct store *st, const char *id, enum store_release_change what,
			   unsigned value, const struct store_audit *audit, gw_error *err);
int sqls_op_release_boot_list(struct store *st, const char *model, store_release_boot_cb cb,
			      void *arg, gw_error *err);
int sqls_op_release_boot_put(struct store *st, const char *id,
			     const struct store_boot_file *files, size_t n, gw_error *err);

/* store_sqlite_enroll.c */
int sqls_op_enrollment_put(struct store *st, const struct store_enrollment *e,
			   const struct store_audit *audit, gw_error *err);
int sqls_op_enrollment_get(struct store *st, const char *id, struct store_enrollment *out,
			   gw_error *err);
int sqls_op_enrollment_activate(struct store *st, const char *id, const char *client_pub_pem,
				int64_t now, const struct store_device *d,
				const struct store_audit *audit, struct store_tpm_holder *holder,
				gw_error *err);
int sqls_op_enrollment_recover(struct store *st, const char *id, const char *device_id,
			       const char *client_pub_pem, int64_t now, const char *old_fp,
			       const char *new_fp, const struct store_audit *audit, gw_error *err);
int sqls_op_enrollment_fail(struct store *st, const char *id, const struct store_audit *audit,
			    gw_error *err);
int sqls_op_enrollment_purge(struct store *st, int64_t before, uint64_t *count, gw_error *err);

/* store_sqlite_policy.c */
int sqls_op_policy_counter(struct store *st, const char *model,
			   struct store_policy_counter *out, gw_error *err);
int sqls_op_policy_add(struct store *st, const char *model, uint32_t version,
		       const char *payload_sha256, const char *body, int64_t now,
		       const char *actor, const struct store_audit *audit, gw_error *err);
int sqls_op_policy_reset(struct store *st, const char *model, uint32_t reset,
			 uint32_t from_version, uint32_t to_version, const char *next_sha256,
			 const char *body, int64_t now, const char *actor,
			 const struct store_audit *audit, gw_error *err);
int sqls_op_policy_get(struct store *st, const char *model, uint32_t version,
		       struct store_policy *out, gw_error *err);
int sqls_op_policy_list(struct store *st, const char *model, store_policy_cb cb, void *arg,
			gw_error *err);

/* store_sqlite_log.c */
int sqls_op_nonce_put(struct store *st, const uint8_t *nonce, size_t len,
		      const char *device_id, const char *pcr_selection, int64_t expires_at,
		      gw_error *err);
int sqls_op_nonce_take(struct store *st, const uint8_t *nonce, size_t len,
		       const char *device_id, int64_t now, struct store_nonce *out,
		       enum store_nonce_refusal *why, gw_error *err);
int sqls_op_nonce_purge(struct store *st, int64_t before, uint64_t *count, gw_error *err);
int sqls_op_result_add(struct store *st, const struct store_result *r, int64_t *id,
		       const struct store_audit *audit, gw_error *err);
int sqls_op_result_history(struct store *st, const char *device_id, unsigned limit,
			   store_result_cb cb, void *arg, gw_error *err);
int sqls_op_audit_append(struct store *st, const struct store_audit *a, uint64_t *seq,
			 gw_error *err);
int sqls_op_audit_list(struct store *st, uint64_t since, store_audit_cb cb, void *arg,
		       gw_error *err);
/* store_sqlite_retention.c */
int sqls_op_result_prune(struct store *st, unsigned keep, int64_t failed_since,
			 uint64_t *deleted, gw_error *err);
int sqls_op_size(struct store *st, uint64_t *results, uint64_t *bytes, uint64_t *free_bytes,
		 gw_error *err);
int sqls_op_vacuum(struct store *st, gw_error *err);
/* store_sqlite_backup.c */
int sqls_op_backup(struct store *st, const char *path, struct store_backup_info *info,
		   gw_error *err);
int sqls_op_audit_anchor_get(struct store *st, struct store_audit_anchor *out, gw_error *err);
int sqls_op_audit_archive(struct store *st, uint64_t upto, int64_t now, gw_error *err);
/* The first column of sql's one row, a non-negative integer (store_sqlite_retention.c). */
int sqls_query_u64(sqlite3 *db, const char *sql, uint64_t *out, gw_error *err);
/* The anchor as the caller's transaction sees it (store_sqlite_retention.c). */
int sqls_audit_anchor_read(sqlite3 *db, struct store_audit_anchor *out, gw_error *err);
int sqls_op_audit_verify(struct store *st, uint64_t *count, uint64_t *first_bad_seq,
			 gw_error *err);

/* store_sqlite_device.c: GW_E_STATE unless device id is enrolled (the message
 * names its state, then why), GW_E_NOTFOUND when there is no such device. */
int sqls_device_enrolled(sqlite3 *db, const char *id, const char *why, gw_error *err);
/* store_sqlite_update_key.c */
int sqls_op_update_key_put(struct store *st, const char *device_id, const uint8_t *pub,
			   size_t pub_len, const uint8_t *name, int64_t now,
			   const struct store_audit *audit, bool *existed, gw_error *err);
int sqls_op_update_key_get(struct store *st, const char *device_id,
			   struct store_update_key *out, gw_error *err);
int sqls_op_update_key_reset(struct store *st, const char *device_id,
			     const struct store_audit *audit, gw_error *err);

/* store_sqlite_counters.c */
int sqls_op_counters_get(struct store *st, const char *device_id, struct store_counter *out,
			 size_t max, size_t *n, gw_error *err);
int sqls_op_counters_record(struct store *st, const char *device_id,
			    const struct store_counter *c, size_t n, int64_t now, gw_error *err);
int sqls_op_counters_retire(struct store *st, const char *device_id, const char *channel,
			    struct store_counter *out, const struct store_audit *audit,
			    gw_error *err);

/* store_sqlite_device_update.c */
int sqls_op_device_update_get(struct store *st, const char *device_id,
			      struct store_device_update *out, gw_error *err);
int sqls_op_device_update_put(struct store *st, const char *device_id,
			      const struct store_device_update *u, gw_error *err);
int sqls_op_device_update_list(struct store *st, store_device_update_cb cb, void *arg,
			       gw_error *err);

#endif
