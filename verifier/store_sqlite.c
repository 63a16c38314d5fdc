// SPDX-License-Identifier: Apache-2.0
// The SQLite store backend: one database file in WAL mode, schema migrations by
// PRAGMA user_version, every value bound to a prepared statement.
#include "store_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "util.h"

#define BUSY_TIMEOUT_MS 5000

struct sqlite_store {
	struct store base; /* first: struct store * converts to this */
	sqlite3 *db;
	bool in_group;     /* inside store_begin() */
};

/* Migrations in order: migrations[i] takes the schema from version i to i + 1.
 * Append only; a released entry is never edited. Each runs in the same
 * transaction as the user_version update that records it. */
static const char *const migrations[] = {
	/* 0 -> 1 */
	"CREATE TABLE devices ("
	"  id TEXT PRIMARY KEY NOT NULL,"
	"  model TEXT NOT NULL,"
	"  state TEXT NOT NULL CHECK (state IN ('pending', 'enrolled', 'revoked')),"
	"  ek_pub BLOB NOT NULL,"
	"  ek_cert BLOB NOT NULL,"
	"  ak_pub BLOB NOT NULL,"
	"  ak_name BLOB NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  state_changed_at INTEGER NOT NULL,"
	"  state_changed_by TEXT NOT NULL,"
	"  last_attest_at INTEGER,"
	"  last_status TEXT,"
	"  reset_count INTEGER,"
	"  restart_count INTEGER,"
	"  clock INTEGER,"
	"  cel_records_appraised INTEGER"
	") STRICT;"
	"CREATE INDEX devices_state ON devices (state, id);"
	"CREATE TABLE nonces ("
	"  nonce BLOB PRIMARY KEY NOT NULL,"
	"  device_id TEXT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,"
	"  pcr_selection TEXT NOT NULL,"
	"  expires_at INTEGER NOT NULL,"
	"  used_at INTEGER"
	") STRICT;"
	"CREATE INDEX nonces_expiry ON nonces (expires_at);"
	"CREATE TABLE results ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  device_id TEXT NOT NULL REFERENCES devices (id),"
	"  at INTEGER NOT NULL,"
	"  status TEXT NOT NULL,"
	"  claims TEXT NOT NULL,"
	"  ear TEXT NOT NULL"
	") STRICT;"
	"CREATE INDEX results_device ON results (device_id, at, id);"
	/* No foreign key on device_id: the log must also name devices that were
	 * refused and never stored. */
	"CREATE TABLE audit_log ("
	"  seq INTEGER PRIMARY KEY NOT NULL,"
	"  ts INTEGER NOT NULL,"
	"  actor TEXT NOT NULL,"
	"  action TEXT NOT NULL,"
	"  device_id TEXT,"
	"  outcome TEXT NOT NULL,"
	"  detail TEXT,"
	"  prev_hash BLOB NOT NULL,"
	"  hash BLOB NOT NULL"
	") STRICT;"
	"CREATE TABLE audit_head ("
	"  one INTEGER PRIMARY KEY NOT NULL CHECK (one = 1),"
	"  seq INTEGER NOT NULL,"
	"  hash BLOB NOT NULL"
	") STRICT;"
	"INSERT INTO audit_head (one, seq, hash) VALUES (1, 0, zeroblob(32));"
	/* Append-only against our own bugs; not against someone who can write the
	 * file (they can drop these), which is what the hash chain is for. */
	"CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log"
	"  BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;"
	"CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log"
	"  BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;"
	"CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head"
	"  BEGIN SELECT RAISE(ABORT, 'audit head cannot be deleted'); END;",
	/* 1 -> 2: pending enrollments, client certificate binding, policies. */
	"CREATE TABLE enrollments ("
	"  id TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 32),"
	"  device_id TEXT NOT NULL,"
	"  model TEXT NOT NULL,"
	"  ek_pub BLOB NOT NULL,"
	"  ek_cert BLOB NOT NULL,"
	"  ak_pub BLOB NOT NULL,"
	"  ak_name BLOB NOT NULL,"
	"  secret_hash BLOB NOT NULL CHECK (length(secret_hash) = 32),"
	"  created_at INTEGER NOT NULL,"
	"  expires_at INTEGER NOT NULL,"
	"  state TEXT NOT NULL CHECK (state IN ('challenged', 'activated', 'failed')),"
	"  client_pub TEXT"
	") STRICT;"
	"CREATE INDEX enrollments_expiry ON enrollments (state, expires_at);"
	"ALTER TABLE devices ADD COLUMN client_cert_fp TEXT"
	"  CHECK (client_cert_fp IS NULL OR length(client_cert_fp) = 64);"
	/* One certificate identifies one device. */
	"CREATE UNIQUE INDEX devices_client_cert ON devices (client_cert_fp)"
	"  WHERE client_cert_fp IS NOT NULL;"
	"CREATE TABLE policies ("
	"  model TEXT NOT NULL,"
	"  version INTEGER NOT NULL CHECK (version BETWEEN 1 AND 4294967295),"
	"  body TEXT NOT NULL,"
	"  added_at INTEGER NOT NULL,"
	"  added_by TEXT NOT NULL,"
	"  PRIMARY KEY (model, version)"
	") STRICT;"
	/* A published version is never rewritten: a change is a new version. */
	"CREATE TRIGGER policies_no_update BEFORE UPDATE ON policies"
	"  BEGIN SELECT RAISE(ABORT, 'policy versions are immutable'); END;",
	/* 2 -> 3: the device's last authentic CEL log, for incremental uploads. */
	"ALTER TABLE devices ADD COLUMN cel_log BLOB;"
	"ALTER TABLE devices ADD COLUMN cel_reset_count INTEGER"
	"  CHECK (cel_reset_count IS NULL OR cel_reset_count BETWEEN 0 AND 4294967295);",
	/* 3 -> 4: nor deleted, which would put an older version back in force. */
	("CREATE TRIGGER policies_no_delete BEFORE DELETE ON policies"
	 "  BEGIN SELECT RAISE(ABORT, 'policy versions are never deleted'); END;"),
	/* 4 -> 5: one TPM, one device. The EK's key identity (gw_ek_key(), below)
	 * for every device, computed for the rows already there; both keys indexed
	 * for the check at enrollment. Not UNIQUE: a revoked device keeps its TPM's
	 * keys, and a file may already hold a TPM twice from before this check. */
	"ALTER TABLE devices ADD COLUMN ek_key BLOB"
	"  CHECK (ek_key IS NULL OR length(ek_key) = 32);"
	"UPDATE devices SET ek_key = gw_ek_key(ek_pub);"
	"CREATE INDEX devices_ek_key ON devices (ek_key) WHERE ek_key IS NOT NULL;"
	"CREATE INDEX devices_ak_name ON devices (ak_name);",
	/* 5 -> 6: policy version resets. A model's policies since its n-th reset
	 * carry epoch n; the policy in force is the highest (epoch, version). A reset
	 * is numbered, bound to the version it replaces, and never changed or
	 * removed; the triggers keep versions going up within an epoch and every new
	 * policy in the model's current epoch, against our own bugs. */
	"ALTER TABLE policies ADD COLUMN epoch INTEGER NOT NULL DEFAULT 0"
	"  CHECK (epoch BETWEEN 0 AND 4294967295);"
	"CREATE TABLE policy_resets ("
	"  model TEXT NOT NULL,"
	"  epoch INTEGER NOT NULL CHECK (epoch BETWEEN 1 AND 4294967295),"
	"  from_version INTEGER NOT NULL CHECK (from_version BETWEEN 1 AND 4294967295),"
	"  to_version INTEGER NOT NULL CHECK (to_version BETWEEN 0 AND 4294967295),"
	"  body TEXT NOT NULL,"
	"  added_at INTEGER NOT NULL,"
	"  added_by TEXT NOT NULL,"
	"  PRIMARY KEY (model, epoch),"
	"  CHECK (to_version < from_version)"
	") STRICT;"
	"CREATE TRIGGER policy_resets_no_update BEFORE UPDATE ON policy_resets"
	"  BEGIN SELECT RAISE(ABORT, 'policy resets are immutable'); END;"
	"CREATE TRIGGER policy_resets_no_delete BEFORE DELETE ON policy_resets"
	"  BEGIN SELECT RAISE(ABORT, 'policy resets are never deleted'); END;"
	"CREATE TRIGGER policy_resets_in_order BEFORE INSERT ON policy_resets"
	"  WHEN NEW.epoch <> 1 + coalesce((SELECT max(epoch) FROM policy_resets"
	"                                  WHERE model = NEW.model), 0)"
	"  BEGIN SELECT RAISE(ABORT, 'policy resets of a model are numbered 1, 2, ...'); END;"
	"CREATE TRIGGER policies_go_up BEFORE INSERT ON policies"
	"  WHEN NEW.epoch <> coalesce((SELECT max(epoch) FROM policy_resets"
	"                              WHERE model = NEW.model), 0)"
	"    OR NEW.version <= coalesce((SELECT max(version) FROM policies"
	"                                WHERE model = NEW.model AND epoch = NEW.epoch),"
	"                               (SELECT to_version FROM policy_resets"
	"                                WHERE model = NEW.model AND epoch = NEW.epoch), 0)"
	"  BEGIN SELECT RAISE(ABORT, 'a new policy version must go above the current one'); END;",
	/* 6 -> 7: a reset names the first policy after it (the SHA-256 of its payload)
	 * and every policy keeps its payload's digest, so that no other signed policy
	 * comes back through a reset. The triggers now hold every rule of the store:
	 * a reset replaces the model's current version and keeps every stored one; a
	 * new policy is in the current epoch, goes above the counter by 1 to 1000 and
	 * is, first after a reset, the one the reset names. Each trigger fires only
	 * where the ones before it passed, so each refusal names its rule. Resets and
	 * policies stored by schema 6 have no digest (NULL): they bind nothing. */
	"ALTER TABLE policy_resets ADD COLUMN next_sha256 TEXT"
	"  CHECK (next_sha256 IS NULL OR (length(next_sha256) = 64"
	"         AND next_sha256 NOT GLOB '*[^0-9a-f]*'));"
	"ALTER TABLE policies ADD COLUMN payload_sha256 TEXT"
	"  CHECK (payload_sha256 IS NULL OR (length(payload_sha256) = 64"
	"         AND payload_sha256 NOT GLOB '*[^0-9a-f]*'));"
	"CREATE TRIGGER policy_resets_bound BEFORE INSERT ON policy_resets"
	"  WHEN NEW.epoch = 1 + coalesce((SELECT max(epoch) FROM policy_resets"
	"                                  WHERE model = NEW.model), 0)"
	"   AND (NEW.from_version <> "
	"     coalesce((SELECT max(version) FROM policies"
	"      WHERE model = NEW.model AND epoch = NEW.epoch - 1),"
	"     (SELECT to_version FROM policy_resets"
	"      WHERE model = NEW.model AND epoch = NEW.epoch - 1), 0)"
	"        OR NEW.to_version < (SELECT coalesce(max(version), 0) FROM policies"
	"                             WHERE model = NEW.model AND version < NEW.from_version))"
	"  BEGIN SELECT RAISE(ABORT, 'a policy reset replaces the current version and"
	" goes below no stored one'); END;"
	"DROP TRIGGER policies_go_up;"
	"CREATE TRIGGER policies_in_epoch BEFORE INSERT ON policies"
	"  WHEN NEW.epoch <> coalesce((SELECT max(epoch) FROM policy_resets"
	"                              WHERE model = NEW.model), 0)"
	"  BEGIN SELECT RAISE(ABORT, 'a new policy must be in the model''s current reset"
	" epoch'); END;"
	"CREATE TRIGGER policies_go_up BEFORE INSERT ON policies"
	"  WHEN NEW.epoch = coalesce((SELECT max(epoch) FROM policy_resets"
	"                             WHERE model = NEW.model), 0)"
	"   AND NEW.version <= "
	"     coalesce((SELECT max(version) FROM policies"
	"      WHERE model = NEW.model AND epoch = NEW.epoch),"
	"     (SELECT to_version FROM policy_resets"
	"      WHERE model = NEW.model AND epoch = NEW.epoch), 0)"
	"  BEGIN SELECT RAISE(ABORT, 'a new policy version must go above the current one'); END;"
	"CREATE TRIGGER policies_step BEFORE INSERT ON policies"
	"  WHEN NEW.epoch = coalesce((SELECT max(epoch) FROM policy_resets"
	"                             WHERE model = NEW.model), 0)"
	"   AND NEW.version > 1000 + "
	"     coalesce((SELECT max(version) FROM policies"
	"      WHERE model = NEW.model AND epoch = NEW.epoch),"
	"     (SELECT to_version FROM policy_resets"
	"      WHERE model = NEW.model AND epoch = NEW.epoch), 0)"
	"  BEGIN SELECT RAISE(ABORT, 'a new policy version goes at most 1000 above the current"
	" one'); END;"
	"CREATE TRIGGER policies_after_reset BEFORE INSERT ON policies"
	"  WHEN NEW.epoch = coalesce((SELECT max(epoch) FROM policy_resets"
	"                             WHERE model = NEW.model), 0)"
	"   AND NEW.epoch > 0"
	"   AND NOT EXISTS (SELECT 1 FROM policies WHERE model = NEW.model AND epoch = NEW.epoch)"
	"   AND NEW.version - (SELECT to_version FROM policy_resets"
	"                      WHERE model = NEW.model AND epoch = NEW.epoch) BETWEEN 1 AND 1000"
	"   AND (SELECT next_sha256 FROM policy_resets"
	"        WHERE model = NEW.model AND epoch = NEW.epoch) IS NOT NULL"
	"   AND NEW.payload_sha256 IS NOT (SELECT next_sha256 FROM policy_resets"
	"                                  WHERE model = NEW.model AND epoch = NEW.epoch)"
	"  BEGIN SELECT RAISE(ABORT, 'the first policy after a reset is the one the reset"
	" names'); END;",
};

_Static_assert(STORE_POLICY_MAX_STEP == 1000, "migration 7's triggers say 1000");

_Static_assert(GW_ARRAY_SIZE(migrations) == STORE_SCHEMA_VERSION,
	       "one migration per schema version");

static struct sqlite_store *to_sqlite(struct store *st)
{
	return (struct sqlite_store *)st;
}

/* gw_ek_key(ek_pub): store_ek_key_id() as SQL, NULL for a blob it cannot read.
 * Migration 5 uses it, so every connection registers it before migrating; it is
 * DIRECTONLY, so no trigger or view of a doctored file can call it. */
static void sql_ek_key(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	uint8_t key[STORE_HASH_LEN];
	int n;

	(void)argc;
	n = sqlite3_value_bytes(argv[0]);
	if (sqlite3_value_type(argv[0]) != SQLITE_BLOB || n <= 0 ||
	    store_ek_key_id(sqlite3_value_blob(argv[0]), (size_t)n, key)) {
		sqlite3_result_null(ctx);
		return;
	}
	sqlite3_result_blob(ctx, key, sizeof(key), SQLITE_TRANSIENT);
}

static int db_fail(sqlite3 *db, int src, gw_error *err, const char *what)
{
	int code = GW_E_IO;

	switch (src) {
	case SQLITE_NOMEM:
		code = GW_E_NOMEM;
		break;
	case SQLITE_CONSTRAINT_PRIMARYKEY:
	case SQLITE_CONSTRAINT_UNIQUE:
		code = GW_E_EXISTS;
		break;
	case SQLITE_CONSTRAINT_FOREIGNKEY:
		code = GW_E_NOTFOUND;
		break;
	case SQLITE_TOOBIG:
		code = GW_E_TOOBIG;
		break;
	default:
		break;
	}
	return gw_fail(err, code, "store: %s: %s", what, db ? sqlite3_errmsg(db) : sqlite3_errstr(src));
}

static int prepare(sqlite3 *db, const char *sql, sqlite3_stmt **out, gw_error *err)
{
	sqlite3_stmt *stmt = NULL;
	int src = sqlite3_prepare_v2(db, sql, -1, &stmt, NULL);

	if (src != SQLITE_OK) {
		sqlite3_finalize(stmt);
		return db_fail(db, src, err, "preparing a statement");
	}
	*out = stmt;
	return 0;
}

/* Bind helpers: every value goes through sqlite3_bind_*, never into SQL text. A
 * zero-length blob is bound as an empty blob, not NULL. */
static int bind_text(sqlite3_stmt *s, int i, const char *v)
{
	return v ? sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC) : sqlite3_bind_null(s, i);
}

static int bind_blob(sqlite3_stmt *s, int i, const uint8_t *v, size_t len)
{
	if (len == 0)
		return sqlite3_bind_zeroblob(s, i, 0);
	return sqlite3_bind_blob64(s, i, v, len, SQLITE_STATIC);
}

/* Run a statement that returns no rows; finalizes it. */
static int step_done(sqlite3 *db, sqlite3_stmt *stmt, gw_error *err, const char *what)
{
	int src = sqlite3_step(stmt);
	int rc = 0;

	if (src != SQLITE_DONE)
		rc = db_fail(db, sqlite3_extended_errcode(db), err, what);
	sqlite3_finalize(stmt);
	return rc;
}

static int exec(sqlite3 *db, const char *sql, gw_error *err, const char *what)
{
	int src = sqlite3_exec(db, sql, NULL, NULL, NULL);

	if (src != SQLITE_OK)
		return db_fail(db, sqlite3_extended_errcode(db), err, what);
	return 0;
}

/* Copy a text column into a fixed buffer; GW_E_TOOBIG when it does not fit. */
static int col_text(sqlite3_stmt *s, int i, char *buf, size_t cap)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	int n = sqlite3_column_bytes(s, i);

	if (!t) {
		buf[0] = '\0';
		return 0;
	}
	if (n < 0 || (size_t)n >= cap)
		return GW_E_TOOBIG;
	memcpy(buf, t, (size_t)n);
	buf[n] = '\0';
	return 0;
}

static int col_blob_dup(sqlite3_stmt *s, int i, uint8_t **out, size_t *out_len)
{
	const void *b = sqlite3_column_blob(s, i);
	int n = sqlite3_column_bytes(s, i);
	uint8_t *p;

	if (n < 0 || n > STORE_BLOB_MAX)
		return GW_E_TOOBIG;
	p = malloc(n ? (size_t)n : 1);
	if (!p)
		return GW_E_NOMEM;
	if (n)
		memcpy(p, b, (size_t)n);
	*out = p;
	*out_len = (size_t)n;
	return 0;
}

/* Per-call atomicity. Outside a group a call runs in its own BEGIN IMMEDIATE
 * transaction: the write lock is taken up front, so a reader never has to upgrade
 * (which in WAL mode fails with SQLITE_BUSY instead of waiting) and two appenders
 * never compute the next audit hash from the same head. Inside a group a call
 * runs in a savepoint, so a failing call undoes only its own work. */
static int tx_open(struct sqlite_store *s, gw_error *err)
{
	if (s->in_group)
		return exec(s->db, "SAVEPOINT store_call", err, "starting a savepoint");
	return exec(s->db, "BEGIN IMMEDIATE", err, "starting a transaction");
}

static int tx_close(struct sqlite_store *s, int rc, gw_error *err)
{
	if (s->in_group) {
		if (rc)
			(void)sqlite3_exec(s->db, "ROLLBACK TO store_call", NULL, NULL, NULL);
		(void)sqlite3_exec(s->db, "RELEASE store_call", NULL, NULL, NULL);
		return rc;
	}
	if (rc == 0)
		rc = exec(s->db, "COMMIT", err, "committing");
	if (rc)
		(void)sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

static int op_begin(struct store *st, gw_error *err)
{
	struct sqlite_store *s = to_sqlite(st);
	int rc;

	if (s->in_group)
		return gw_fail(err, GW_E_STATE, "store: a transaction is already open");
	rc = exec(s->db, "BEGIN IMMEDIATE", err, "starting a transaction");
	if (rc == 0)
		s->in_group = true;
	return rc;
}

static int op_commit(struct store *st, gw_error *err)
{
	struct sqlite_store *s = to_sqlite(st);
	int rc;

	if (!s->in_group)
		return gw_fail(err, GW_E_STATE, "store: no transaction is open");
	rc = exec(s->db, "COMMIT", err, "committing");
	if (rc)
		(void)sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	s->in_group = false;
	return rc;
}

static void op_rollback(struct store *st)
{
	struct sqlite_store *s = to_sqlite(st);

	if (!s->in_group)
		return;
	(void)sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	s->in_group = false;
}

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

	rc = prepare(db, "SELECT seq, hash FROM audit_head WHERE one = 1", &stmt, err);
	if (rc)
		goto out;
	if (sqlite3_step(stmt) != SQLITE_ROW) {
		rc = db_fail(db, sqlite3_extended_errcode(db), err, "reading the audit head");
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

	rc = prepare(db,
		     "INSERT INTO audit_log (seq, ts, actor, action, device_id, outcome,"
		     " detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
		     &stmt, err);
	if (rc)
		goto out;
	sqlite3_bind_int64(stmt, 1, (int64_t)seq);
	sqlite3_bind_int64(stmt, 2, a->ts);
	bind_text(stmt, 3, a->actor);
	bind_text(stmt, 4, a->action);
	bind_text(stmt, 5, a->device_id);
	bind_text(stmt, 6, a->outcome);
	bind_text(stmt, 7, a->detail);
	bind_blob(stmt, 8, prev, sizeof(prev));
	bind_blob(stmt, 9, hash, sizeof(hash));
	rc = step_done(db, stmt, err, "appending to the audit log");
	stmt = NULL;
	if (rc)
		goto out;

	rc = prepare(db, "UPDATE audit_head SET seq = ?, hash = ? WHERE one = 1", &stmt, err);
	if (rc)
		goto out;
	sqlite3_bind_int64(stmt, 1, (int64_t)seq);
	bind_blob(stmt, 2, hash, sizeof(hash));
	rc = step_done(db, stmt, err, "updating the audit head");
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

static int maybe_audit(sqlite3 *db, const struct store_audit *a, gw_error *err)
{
	return a ? audit_append_locked(db, a, NULL, err) : 0;
}

static int op_audit_append(struct store *st, const struct store_audit *a, uint64_t *seq,
			   gw_error *err)
{
	struct sqlite_store *s = to_sqlite(st);
	uint64_t n = 0;
	int rc = tx_open(s, err);

	if (rc)
		return rc;
	rc = audit_append_locked(s->db, a, &n, err);
	rc = tx_close(s, rc, err);
	if (rc == 0 && seq)
		*seq = n;
	return rc;
}

/* Inside the caller's transaction: GW_E_EXISTS when a device has this id. */
static int device_id_free(sqlite3 *db, const char *id, gw_error *err)
{
	sqlite3_stmt *stmt = NULL;
	int src;
	int rc = prepare(db, "SELECT 1 FROM devices WHERE id = ?", &stmt, err);

	if (rc)
		return rc;
	bind_text(stmt, 1, id);
	src = sqlite3_step(stmt);
	if (src == SQLITE_ROW)
		rc = gw_fail(err, GW_E_EXISTS, "device %s exists already", id);
	else if (src != SQLITE_DONE)
		rc = db_fail(db, sqlite3_extended_errcode(db), err, "reading a device");
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
	rc = prepare(db,
		     "SELECT id, state FROM devices WHERE ek_key = ?1 OR ak_name = ?2"
		     " ORDER BY state = 'revoked', state_changed_at DESC, id LIMIT 1",
		     &stmt, err);
	if (rc)
		goto out;
	if (ek_key)
		bind_blob(stmt, 1, ek_key, STORE_HASH_LEN);
	bind_blob(stmt, 2, ak_name, ak_name_len);
	src = sqlite3_step(stmt);
	if (src == SQLITE_DONE)
		goto out;
	if (src != SQLITE_ROW) {
		rc = db_fail(db, sqlite3_extended_errcode(db), err, "looking up a TPM");
		goto out;
	}
	if (col_text(stmt, 0, out->device_id, sizeof(out->device_id)) ||
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
static int tpm_check_locked(sqlite3 *db, const uint8_t *ek_key, const uint8_t *ak_name,
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

static int op_device_by_tpm(struct store *st, const uint8_t *ek_key, const uint8_t *ak_name,
			    size_t ak_name_len, struct store_tpm_holder *out, gw_error *err)
{
	struct store_tpm_holder h;
	int rc = tpm_holder_locked(to_sqlite(st)->db, ek_key, ak_name, ak_name_len, &h, err);

	if (rc == 0)
		*out = h;
	return rc;
}

static int op_device_put(struct store *st, const struct store_device *d,
			 const struct store_audit *audit, gw_error *err)
{
	struct sqlite_store *s = to_sqlite(st);
	sqlite3_stmt *stmt = NULL;
	struct store_tpm_holder h;
	uint8_t key[STORE_HASH_LEN];
	bool has_key = store_ek_key_id(d->ek_pub, d->ek_pub_len, key) == 0;
	int rc = tx_open(s, err);

	if (rc)
		return rc;
	rc = device_id_free(s->db, d->id, err);
	if (rc)
		goto out;
	/* A revoked device holds no TPM: only a live one must have its own. */
	if (d->state != STORE_DEV_REVOKED) {
		rc = tpm_check_locked(s->db, has_key ? key : NULL, d->ak_name, d->ak_name_len,
				      d->state, &h, err);
		if (rc) {
			gw_error_prefix(err, "device %s: ", d->id);
			goto out;
		}
	}
	rc = prepare(s->db,
		     "INSERT INTO devices (id, model, state, ek_pub, ek_cert, ak_pub, ak_name,"
		     " created_at, state_changed_at, state_changed_by, ek_key)"
		     " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'enroll', ?)",
		     &stmt, err);
	if (rc)
		goto out;
	bind_text(stmt, 1, d->id);
	bind_text(stmt, 2, d->model);
	bind_text(stmt, 3, store_device_state_name(d->state));
	bind_blob(stmt, 4, d->ek_pub, d->ek_pub_len);
	bind_blob(stmt, 5, d->ek_cert, d->ek_cert_len);
	bind_blob(stmt, 6, d->ak_pub, d->ak_pub_len);
	bind_blob(stmt, 7, d->ak_name, d->ak_name_len);
	sqlite3_bind_int64(stmt, 8, d->created_at);
	sqlite3_bind_int64(stmt, 9, d->created_at);
	if (has_key)
		bind_blob(stmt, 10, key, sizeof(key));
	rc = step_done(s->db, stmt, err, "adding a device");
	stmt = NULL;
	if (rc == GW_E_EXISTS)
		rc = gw_fail(err, GW_E_EXISTS, "device %s exists already", d->id);
	if (rc)
		goto out;
	rc = maybe_audit(s->db, audit, err);
out:
	sqlite3_finalize(stmt);
	return tx_close(s, rc, err);
}

#define DEVICE_COLUMNS \
	"id, model, state, created_at, state_changed_at, state_changed_by," \
	" last_attest_at, last_status, reset_count, restart_count, clock," \
	" cel_records_appraised, client_cert_fp"

/* Fill the scalar fields of d from a row of DEVICE_COLUMNS. */
static int read_device_row(sqlite3_stmt *stmt, struct store_device *d)
{
	const char *state = (const char *)sqlite3_column_text(stmt, 2);

	memset(d, 0, sizeof(*d));
	if (col_text(stmt, 0, d->id, sizeof(d->id)) ||
	    col_text(stmt, 1, d->model, sizeof(d->model)) ||
	    col_text(stmt, 5, d->state_changed_by, sizeof(d->state_changed_by)) ||
	    col_text(stmt, 7, d->last_status, sizeof(d->last_status)) ||
	    col_text(stmt, 12, d->client_cert_fp, sizeof(d->client_cert_fp)))
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

static int op_device_get(struct store *st, const char *id, struct store_device *out,
			 gw_error *err)
{
	struct sqlite_store *s = to_sqlite(st);
	sqlite3_stmt *stmt = NULL;
	struct store_device d;
	int src;
	int rc;

	memset(&d, 0, sizeof(d));
	rc = prepare(s->db,
		     "SELECT " DEVICE_COLUMNS ", ek_pub, ek_cert, ak_pub, ak_name,"
		     " cel_log, cel_reset_count FROM devices WHERE id = ?",
		     &stmt, err);
	if (rc)
		goto out;
	bind_text(stmt, 1, id);
	src = sqlite3_step(stmt);
	if (src == SQLITE_DONE) {
		rc = gw_fail(err, GW_E_NOTFOUND, "device %s is not enrolled", id);
		goto out;
	}
	if (src != SQLITE_ROW) {
		rc = db_fail(s->db, sqlite3_extended_errcode(s->db), err, "reading a device");
		goto out;
	}
	if ((rc = read_device_row(stmt, &d)) ||
	    (rc = col_blob_dup(stmt, 13, &d.ek_pub, &d.ek_pub_len)) ||
	    (rc = col_blob_dup(stmt, 14, &d.ek_cert, &d.ek_cert_len)) ||
	    (rc = col_blob_dup(stmt, 15, &d.ak_pub, &d.ak_pub_len)) ||
	    (rc = col_blob_dup(stmt, 16, &d.ak_name, &d.ak_name_len)) ||
	    (rc = col_cel_log(stmt, 17, &d))) {
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

static int op_device_list(struct store *st, const enum store_device_state *state,
			  store_device_cb cb, void *arg, gw_error *err)
{
	struct sqlite_store *s = to_sqlite(st);
	sqlite3_stmt *stmt = NULL;
	struct store_device d;
	int src;
	int rc;

	rc = prepare(s->db,
		     "SELECT " DEVICE_COLUMNS " FROM devices"
		     " WHERE ?1 IS NULL OR state = ?1 ORDER BY id",
		     &stmt, err);
	if (rc)
		goto out;
	bind_text(stmt, 1, state ? store_device_state_name(*state) : NULL);
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
		rc = db_fail(s->db, sqlite3_extended_errcode(s->db), err, "listing devices");
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

	rc = prepare(db, "SELECT state FROM devices WHERE id = ?", &stmt, err);
	if (rc)
		goto out;
	bind_text(stmt, 1, id);
	src = sqlite3_step(stmt);
	if (src == SQLITE_DONE) {
		rc = gw_fail(err, GW_E_NOTFOUND, "device %s is not enrolled", id);
		goto out;
	}
	if (src != SQLITE_ROW) {
		rc = db_fail(db, sqlite3_extended_errcode(db), err, "reading a device");
		goto out;
	}
	if (store_device_state_parse((const char *)sqlite3_column_text(stmt, 0), out))
		rc = gw_fail(err, GW_E_PARSE, "store: device %s has an unknown state", id);
out:
	sqlite3_finalize(stmt);
	return rc;
}

static bool transition_allowed(enum store_device_state from, enum store_device_state to)
{
	return (from == STORE_DEV_PENDING && to == STORE_DEV_ENROLLED) ||
	       (from == STORE_DEV_PENDING && to == STORE_DEV_REVOKED) ||
	       (from == STORE_DEV_ENROLLED && to == STORE_DEV_REVOKED);
}

static int op_device_set_state(struct store *st, const char *id,
			       enum store_device_state state, int64_t now, const char *actor,
			       const struct store_audit *audit, gw_error *err)
{
	struct sqlite_store *s = to_sqlite(st);
	sqlite3_stmt *stmt = NULL;
	enum store_device_state cur;
	int rc = tx_open(s, err);

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
	rc = prepare(s->db,
		     "UPDATE devices SET state = ?, state_changed_at = ?, state_changed_by = ?"
		     " WHERE id = ?",
		     &stmt, err);
	if (rc)
		goto out;
	bind_text(stmt, 1, store_device_state_name(state));
	sqlite3_bind_int64(stmt, 2, now);
	bind_text(stmt, 3, actor);
	bind_text(stmt, 4, id);
	rc = step_done(s->db, stmt, err, "changing a device's state");
	stmt = NULL;
	if (rc)
		goto out;
	rc = maybe_audit(s->db, audit, err);
out:
	sqlite3_finalize(stmt);
	return tx_close(s, rc, err);
}

static int op_device_update_attestation(struct store *st, const char *id,
					const struct store_attestation *att,
					const struct store_audit *audit, gw_error *err)
{
	struct sqlite_store *s = to_sqlite(st);
	sqlite3_stmt *stmt = NULL;
	enum store_device_state cur;
	int rc = tx_open(s, err);

	if (rc)
		return rc;
	rc = device_state(s->db, id, &cur, err);
	if (rc)
		goto out;
	if (cur != STORE_DEV_ENROLLED) {
		rc = gw_fail(err, GW_E_STATE, "device %s is %s, not enrolled", id,
			     store_device_state_name(cur));
		goto out;
	}
	/* Compared under the write lock that the update takes: two appraisals of one
	 * device that read the old clock before either wrote cannot both land, and
	 * the older one cannot overwrite the newer. */
	if (!att->keep_clock) {
		int64_t reset, clock;
		int src;

		rc = prepare(s->db,
			     "SELECT reset_count, clock FROM devices WHERE id = ?"
			     " AND reset_count IS NOT NULL AND clock IS NOT NULL",
			     &stmt, err);
		if (rc)
			goto out;
		bind_text(stmt, 1, id);
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
			rc = db_fail(s->db, sqlite3_extended_errcode(s->db), err, "reading a device");
			goto out;
		}
		sqlite3_finalize(stmt);
		stmt = NULL;
	}
	/* keep_clock: the quote says nothing about the TPM, so the clock and the
	 * device's authentic log stay as they are; only the result is new. */
	if (att->keep_clock) {
		rc = prepare(s->db,
			     "UPDATE devices SET last_attest_at = ?, last_status = ? WHERE id = ?",
			     &stmt, err);
		if (rc)
			goto out;
		sqlite3_bind_int64(stmt, 1, att->at);
		bind_text(stmt, 2, att->status);
		bind_text(stmt, 3, id);
	} else {
		rc = prepare(s->db,
			     "UPDATE devices SET last_attest_at = ?, last_status = ?,"
			     " reset_count = ?, restart_count = ?, clock = ?,"
			     " cel_records_appraised = ?, cel_log = ?, cel_reset_count = ?"
			     " WHERE id = ?",
			     &stmt, err);
		if (rc)
			goto out;
		sqlite3_bind_int64(stmt, 1, att->at);
		bind_text(stmt, 2, att->status);
		sqlite3_bind_int64(stmt, 3, att->reset_count);
		sqlite3_bind_int64(stmt, 4, att->restart_count);
		sqlite3_bind_int64(stmt, 5, (int64_t)att->clock);
		sqlite3_bind_int64(stmt, 6, (int64_t)att->cel_records_appraised);
		if (att->has_cel) {
			bind_blob(stmt, 7, att->cel_log, att->cel_log_len);
			sqlite3_bind_int64(stmt, 8, att->cel_reset_count);
		}
		bind_text(stmt, 9, id);
	}
	rc = step_done(s->db, stmt, err, "recording an attestation");
	stmt = NULL;
	if (rc)
		goto out;
	rc = maybe_audit(s->db, audit, err);
out:
	sqlite3_finalize(stmt);
	return tx_close(s, rc, err);
}

/* Inside the caller's transaction: bind device id to fp (NULL: none); when old_fp is
 * given, only while it is bound to old_fp (GW_E_STATE otherwise). */
static int bind_cert(sqlite3 *db, const char *id, const char *old_fp, const char *fp,
		     gw_error *err)
{
	sqlite3_stmt *stmt = NULL;
	int rc = prepare(db, old_fp ? "UPDATE devices SET client_cert_fp = ? WHERE id = ? AND"
				      " client_cert_fp = ?"
				    : "UPDATE devices SET client_cert_fp = ? WHERE id = ?",
			 &stmt, err);

	if (rc)
		return rc;
	bind_text(stmt, 1, fp);
	bind_text(stmt, 2, id);
	if (old_fp)
		bind_text(stmt, 3, old_fp);
	rc = step_done(db, stmt, err, "binding a client certificate");
	if (rc == GW_E_EXISTS)
		return gw_fail(err, rc, "client certificate %s is bound to another device", fp);
	if (!rc && sqlite3_changes(db) != 1)
		return gw_fail(err, old_fp ? GW_E_STATE : GW_E_NOTFOUND,
			       "device %s has another certificate by now", id);
	return rc;
}

static int op_device_set_client_cert(struct store *st, const char *id, const char *fp,
				     const struct store_audit *audit, gw_error *err)
{
	struct sqlite_store *s = to_sqlite(st);
	enum store_device_state cur;
	int rc = tx_open(s, err);

	if (rc)
		return rc;
	rc = device_state(s->db, id, &cur, err);
	if (rc)
		goto out;
	if (fp && cur == STORE_DEV_REVOKED) {
		rc = gw_fail(err, GW_E_STATE, "device %s is revoked: no certificate for it", id);
		goto out;
	}
	rc = bind_cert(s->db, id, NULL, fp, err);
	if (rc)
		goto out;
	rc = maybe_audit(s->db, audit, err);
out:
	return tx_close(s, rc, err);
}

static int op_device_renew_cert(struct store *st, const char *id, const char *old_fp,
				const char *new_fp, const struct store_audit *audit, gw_error *err)
{
	struct sqlite_store *s = to_sqlite(st);
	enum store_device_state cur;
	int rc = tx_open(s, err);

	if (rc)
		return rc;
	rc = device_state(s->db, id, &cur, err);
	if (rc)
		goto out;
	if (cur != STORE_DEV_ENROLLED) {
		rc = gw_fail(err, GW_E_STATE, "device %s is %s: no certificate for it", id,
			     store_device_state_name(cur));
		goto out;
	}
	rc = bind_cert(s->db, id, old_fp, new_fp, err);
	if (rc)
		goto out;
	rc = maybe_audit(s->db, audit, err);
out:
	return tx_close(s, rc, err);
}

static int op_enrollment_put(struct store *st, const struct store_enrollment *e,
			     const struct store_audit *audit, gw_error *err)
{
	struct sqlite_store *s = to_sqlite(st);
	sqlite3_stmt *stmt = NULL;
	int rc = tx_open(s, err);

	if (rc)
		return rc;
	rc = prepare(s->db,
		     "INSERT INTO enrollments (id, device_id, model, ek_pub, ek_cert, ak_pub,"
		     " ak_name, secret_hash, created_at, expires_at, state)"
		     " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'challenged')",
		     &stmt, err);
	if (rc)
		goto out;
	bind_text(stmt, 1, e->id);
	bind_text(stmt, 2, e->device_id);
	bind_text(stmt, 3, e->model);
	bind_blob(stmt, 4, e->ek_pub, e->ek_pub_len);
	bind_blob(stmt, 5, e->ek_cert, e->ek_cert_len);
	bind_blob(stmt, 6, e->ak_pub, e->ak_pub_len);
	bind_blob(stmt, 7, e->ak_name, e->ak_name_len);
	bind_blob(stmt, 8, e->secret_hash, sizeof(e->secret_hash));
	sqlite3_bind_int64(stmt, 9, e->created_at);
	sqlite3_bind_int64(stmt, 10, e->expires_at);
	rc = step_done(s->db, stmt, err, "storing an enrollment");
	stmt = NULL;
	if (rc == GW_E_EXISTS)
		rc = gw_fail(err, rc, "enrollment %s exists already", e->id);
	if (rc)
		goto out;
	rc = maybe_audit(s->db, audit, err);
out:
	sqlite3_finalize(stmt);
	return tx_close(s, rc, err);
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

static int op_enrollment_get(struct store *st, const char *id, struct store_enrollment *out,
			     gw_error *err)
{
	struct sqlite_store *s = to_sqlite(st);
	sqlite3_stmt *stmt = NULL;
	struct store_enrollment e;
	const unsigned char *pem;
	int src;
	int rc;

	memset(&e, 0, sizeof(e));
	rc = prepare(s->db,
		     "SELECT id, device_id, model, ek_pub, ek_cert, ak_pub, ak_name, secret_hash,"
		     " created_at, expires_at, state, client_pub FROM enrollments WHERE id = ?",
		     &stmt, err);
	if (rc)
		goto out;
	bind_text(stmt, 1, id);
	src = sqlite3_step(stmt);
	if (src == SQLITE_DONE) {
		rc = gw_fail(err, GW_E_NOTFOUND, "enrollment %s is unknown", id);
		goto out;
	}
	if (src != SQLITE_ROW) {
		rc = db_fail(s->db, sqlite3_extended_errcode(s->db), err, "reading an enrollment");
		goto out;
	}
	if (col_text(stmt, 0, e.id, sizeof(e.id)) ||
	    col_text(stmt, 1, e.device_id, sizeof(e.device_id)) ||
	    col_text(stmt, 2, e.model, sizeof(e.model)) ||
	    sqlite3_column_bytes(stmt, 7) != STORE_HASH_LEN ||
	    enrollment_state_parse((const char *)sqlite3_column_text(stmt, 10), &e.state)) {
		rc = gw_fail(err, GW_E_PARSE, "store: enrollment %s: malformed row", id);
		goto out;
	}
	memcpy(e.secret_hash, sqlite3_column_blob(stmt, 7), STORE_HASH_LEN);
	e.created_at = sqlite3_column_int64(stmt, 8);
	e.expires_at = sqlite3_column_int64(stmt, 9);
	if ((rc = col_blob_dup(stmt, 3, &e.ek_pub, &e.ek_pub_len)) ||
	    (rc = col_blob_dup(stmt, 4, &e.ek_cert, &e.ek_cert_len)) ||
	    (rc = col_blob_dup(stmt, 5, &e.ak_pub, &e.ak_pub_len)) ||
	    (rc = col_blob_dup(stmt, 6, &e.ak_name, &e.ak_name_len))) {
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

	rc = prepare(db, "SELECT state, device_id, model, expires_at FROM enrollments WHERE id = ?",
		     &stmt, err);
	if (rc)
		goto out;
	bind_text(stmt, 1, id);
	src = sqlite3_step(stmt);
	if (src == SQLITE_DONE) {
		rc = gw_fail(err, GW_E_NOTFOUND, "enrollment %s is unknown", id);
		goto out;
	}
	if (src != SQLITE_ROW) {
		rc = db_fail(db, sqlite3_extended_errcode(db), err, "reading an enrollment");
		goto out;
	}
	if (enrollment_state_parse((const char *)sqlite3_column_text(stmt, 0), state) ||
	    col_text(stmt, 1, device_id, STORE_ID_MAX + 1) ||
	    col_text(stmt, 2, model, STORE_MODEL_MAX + 1)) {
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

	rc = prepare(db, "SELECT ek_pub, ak_name FROM enrollments WHERE id = ?", &stmt, err);
	if (rc)
		return rc;
	bind_text(stmt, 1, id);
	if (sqlite3_step(stmt) != SQLITE_ROW) {
		rc = db_fail(db, sqlite3_extended_errcode(db), err, "reading an enrollment");
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
	int rc = prepare(db, "UPDATE enrollments SET state = 'activated', client_pub = ? WHERE id = ?",
			 &stmt, err);

	if (rc)
		return rc;
	bind_text(stmt, 1, client_pub_pem);
	bind_text(stmt, 2, id);
	return step_done(db, stmt, err, "activating an enrollment");
}

static int op_enrollment_activate(struct store *st, const char *id, const char *client_pub_pem,
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
	int rc = tx_open(s, err);

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
	rc = device_id_free(s->db, d->id, err);
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
	rc = tpm_check_locked(s->db, key, ak_name, ak_name_len, d->state, holder, err);
	if (rc) {
		gw_error_prefix(err, "enrollment %s for %s: ", id, d->id);
		goto out;
	}
	rc = enrollment_mark_activated(s->db, id, client_pub_pem, err);
	if (rc)
		goto out;
	rc = prepare(s->db,
		     "INSERT INTO devices (id, model, state, ek_pub, ek_cert, ak_pub, ak_name,"
		     " created_at, state_changed_at, state_changed_by, ek_key)"
		     " SELECT device_id, model, ?, ek_pub, ek_cert, ak_pub, ak_name, ?, ?, 'enroll',"
		     " ? FROM enrollments WHERE id = ?",
		     &stmt, err);
	if (rc)
		goto out;
	bind_text(stmt, 1, store_device_state_name(d->state));
	sqlite3_bind_int64(stmt, 2, d->created_at);
	sqlite3_bind_int64(stmt, 3, d->created_at);
	bind_blob(stmt, 4, key, sizeof(key));
	bind_text(stmt, 5, id);
	rc = step_done(s->db, stmt, err, "adding a device");
	stmt = NULL;
	if (rc == GW_E_EXISTS)
		rc = gw_fail(err, GW_E_EXISTS, "device %s exists already", d->id);
	if (rc)
		goto out;
	rc = maybe_audit(s->db, audit, err);
out:
	free(ak_name);
	sqlite3_finalize(stmt);
	return tx_close(s, rc, err);
}

/* Inside the caller's transaction: the device is enrolled and has the TPM of
 * ek_key and ak_name, both. */
static int device_has_tpm(sqlite3 *db, const char *id, const uint8_t ek_key[STORE_HASH_LEN],
			  const uint8_t *ak_name, size_t ak_name_len, gw_error *err)
{
	sqlite3_stmt *stmt = NULL;
	enum store_device_state cur;
	const void *k, *a;
	int src, rc;

	rc = prepare(db, "SELECT state, ek_key, ak_name FROM devices WHERE id = ?", &stmt, err);
	if (rc)
		return rc;
	bind_text(stmt, 1, id);
	src = sqlite3_step(stmt);
	if (src == SQLITE_DONE) {
		rc = gw_fail(err, GW_E_NOTFOUND, "device %s does not exist", id);
		goto out;
	}
	if (src != SQLITE_ROW) {
		rc = db_fail(db, sqlite3_extended_errcode(db), err, "reading a device");
		goto out;
	}
	if (store_device_state_parse((const char *)sqlite3_column_text(stmt, 0), &cur)) {
		rc = gw_fail(err, GW_E_PARSE, "store: device %s has an unknown state", id);
		goto out;
	}
	if (cur != STORE_DEV_ENROLLED) {
		rc = gw_fail(err, GW_E_STATE, "device %s is %s", id, store_device_state_name(cur));
		goto out;
	}
	k = sqlite3_column_blob(stmt, 1);
	a = sqlite3_column_blob(stmt, 2);
	if (!k || sqlite3_column_bytes(stmt, 1) != STORE_HASH_LEN ||
	    memcmp(k, ek_key, STORE_HASH_LEN) || !a ||
	    sqlite3_column_bytes(stmt, 2) != (int)ak_name_len || memcmp(a, ak_name, ak_name_len))
		rc = gw_fail(err, GW_E_EXISTS, "device %s was enrolled with another EK or AK", id);
out:
	sqlite3_finalize(stmt);
	return rc;
}

static int op_enrollment_recover(struct store *st, const char *id, const char *device_id,
				 const char *client_pub_pem, int64_t now, const char *old_fp,
				 const char *new_fp, const struct store_audit *audit, gw_error *err)
{
	struct sqlite_store *s = to_sqlite(st);
	char e_device[STORE_ID_MAX + 1], model[STORE_MODEL_MAX + 1];
	uint8_t key[STORE_HASH_LEN];
	uint8_t *ak_name = NULL;
	size_t ak_name_len = 0;
	int rc = tx_open(s, err);

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
	if (!rc && (rc = device_has_tpm(s->db, device_id, key, ak_name, ak_name_len, err)) ==
			   GW_E_NOTFOUND)
		rc = GW_E_STATE; /* the device is gone */
	if (rc ||
	    (rc = enrollment_mark_activated(s->db, id, client_pub_pem, err)) ||
	    (rc = bind_cert(s->db, device_id, old_fp, new_fp, err)))
		goto out;
	rc = maybe_audit(s->db, audit, err);
out:
	free(ak_name);
	return tx_close(s, rc, err);
}

static int op_enrollment_fail(struct store *st, const char *id, const struct store_audit *audit,
			      gw_error *err)
{
	struct sqlite_store *s = to_sqlite(st);
	sqlite3_stmt *stmt = NULL;
	enum store_enrollment_state state;
	char device_id[STORE_ID_MAX + 1];
	char model[STORE_MODEL_MAX + 1];
	int64_t expires_at;
	int rc = tx_open(s, err);

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
	rc = prepare(s->db, "UPDATE enrollments SET state = 'failed' WHERE id = ?", &stmt, err);
	if (rc)
		goto out;
	bind_text(stmt, 1, id);
	rc = step_done(s->db, stmt, err, "failing an enrollment");
	stmt = NULL;
	if (rc)
		goto out;
	rc = maybe_audit(s->db, audit, err);
out:
	sqlite3_finalize(stmt);
	return tx_close(s, rc, err);
}

static int op_enrollment_purge(struct store *st, int64_t before, uint64_t *count, gw_error *err)
{
	struct sqlite_store *s = to_sqlite(st);
	sqlite3_stmt *stmt = NULL;
	uint64_t n = 0;
	int rc = tx_open(s, err);

	if (rc)
		return rc;
	rc = prepare(s->db,
		     "DELETE FROM enrollments WHERE state IN ('challenged', 'failed')"
		     " AND expires_at < ?",
		     &stmt, err);
	if (rc)
		goto out;
	sqlite3_bind_int64(stmt, 1, before);
	rc = step_done(s->db, stmt, err, "purging enrollments");
	stmt = NULL;
	if (rc == 0)
		n = (uint64_t)sqlite3_changes64(s->db);
out:
	sqlite3_finalize(stmt);
	rc = tx_close(s, rc, err);
	if (rc == 0 && count)
		*count = n;
	return rc;
}

/* The model's version counter (store_policy_counter), read inside the caller's
 * transaction. */
static int policy_counter(sqlite3 *db, const char *model, struct store_policy_counter *out,
			  gw_error *err)
{
	sqlite3_stmt *stmt = NULL;
	int64_t e, v;
	int rc;

	rc = prepare(db,
		     "SELECT r.epoch, coalesce((SELECT max(version) FROM policies"
		     "                          WHERE model = ?1 AND epoch = r.epoch),"
		     "                         (SELECT to_version FROM policy_resets"
		     "                          WHERE model = ?1 AND epoch = r.epoch), 0)"
		     " FROM (SELECT coalesce(max(epoch), 0) AS epoch FROM policy_resets"
		     "       WHERE model = ?1) AS r",
		     &stmt, err);
	if (rc)
		return rc;
	bind_text(stmt, 1, model);
	if (sqlite3_step(stmt) != SQLITE_ROW) {
		rc = db_fail(db, sqlite3_extended_errcode(db), err, "reading policy versions");
		goto out;
	}
	e = sqlite3_column_int64(stmt, 0);
	v = sqlite3_column_int64(stmt, 1);
	if (e < 0 || e > UINT32_MAX || v < 0 || v > UINT32_MAX) {
		rc = gw_fail(err, GW_E_PARSE, "store: policy %s: malformed version counter", model);
		goto out;
	}
	out->resets = (uint32_t)e;
	out->version = (uint32_t)v;
out:
	sqlite3_finalize(stmt);
	return rc;
}

static int op_policy_counter(struct store *st, const char *model,
			     struct store_policy_counter *out, gw_error *err)
{
	return policy_counter(to_sqlite(st)->db, model, out, err);
}

/* The highest version of model below `below`, in any epoch (0 for none). */
static int policy_max_below(sqlite3 *db, const char *model, int64_t below, int64_t *out,
			    gw_error *err)
{
	sqlite3_stmt *stmt = NULL;
	int rc = prepare(db, "SELECT coalesce(max(version), 0) FROM policies"
			     " WHERE model = ? AND version < ?", &stmt, err);

	if (rc)
		return rc;
	bind_text(stmt, 1, model);
	sqlite3_bind_int64(stmt, 2, below);
	if (sqlite3_step(stmt) != SQLITE_ROW)
		rc = db_fail(db, sqlite3_extended_errcode(db), err, "reading policy versions");
	else
		*out = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	return rc;
}

/* The first policy after reset `epoch` of model must be the one it names: GW_E_STATE
 * when payload_sha256 (NULL: unknown) is not that one. Nothing to check before any
 * reset, once the epoch has a policy, or for a reset of schema 6 (names none). */
static int check_named(sqlite3 *db, const char *model, uint32_t epoch, uint32_t version,
		       const char *payload_sha256, gw_error *err)
{
	sqlite3_stmt *stmt = NULL;
	const char *named;
	int rc;

	if (epoch == 0)
		return 0;
	rc = prepare(db,
		     "SELECT next_sha256 FROM policy_resets WHERE model = ?1 AND epoch = ?2"
		     " AND NOT EXISTS (SELECT 1 FROM policies WHERE model = ?1 AND epoch = ?2)",
		     &stmt, err);
	if (rc)
		return rc;
	bind_text(stmt, 1, model);
	sqlite3_bind_int64(stmt, 2, epoch);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_DONE) {
		rc = 0;
		goto out;
	}
	if (rc != SQLITE_ROW) {
		rc = db_fail(db, sqlite3_extended_errcode(db), err, "reading policy resets");
		goto out;
	}
	named = (const char *)sqlite3_column_text(stmt, 0);
	rc = 0;
	if (named && (!payload_sha256 || strcmp(named, payload_sha256)))
		rc = gw_fail(err, GW_E_STATE,
			     "policy %s version %" PRIu32 " (payload sha256 %s) is not the policy "
			     "reset %" PRIu32 " names to come first after it (sha256 %s): add that "
			     "one, or apply a new reset naming this one",
			     model, version, payload_sha256 ? payload_sha256 : "unknown", epoch,
			     named);
out:
	sqlite3_finalize(stmt);
	return rc;
}

static int op_policy_add(struct store *st, const char *model, uint32_t version,
			 const char *payload_sha256, const char *body, int64_t now,
			 const char *actor, const struct store_audit *audit, gw_error *err)
{
	struct sqlite_store *s = to_sqlite(st);
	struct store_policy_counter c;
	sqlite3_stmt *stmt = NULL;
	int rc = tx_open(s, err);

	if (rc)
		return rc;
	/* Read and insert under the one write lock, so two operators adding the same
	 * version at once cannot both pass the check. */
	rc = policy_counter(s->db, model, &c, err);
	if (rc)
		goto out;
	if (version <= c.version) {
		rc = gw_fail(err, GW_E_STATE,
			     "policy %s version %" PRIu32 " is not above the current version %" PRIu32,
			     model, version, c.version);
		goto out;
	}
	if (version - c.version > STORE_POLICY_MAX_STEP) {
		rc = gw_fail(err, GW_E_STATE,
			     "policy %s version %" PRIu32 " is more than %u above the current "
			     "version %" PRIu32 ": sign it again with a version up to %" PRIu64
			     " (a version too high would freeze the model; doc/verifier.md, "
			     "\"Versioning\")",
			     model, version, STORE_POLICY_MAX_STEP, c.version,
			     (uint64_t)c.version + STORE_POLICY_MAX_STEP);
		goto out;
	}
	rc = check_named(s->db, model, c.resets, version, payload_sha256, err);
	if (rc)
		goto out;
	rc = prepare(s->db,
		     "INSERT INTO policies (model, version, body, added_at, added_by, epoch,"
		     " payload_sha256) VALUES (?, ?, ?, ?, ?, ?, ?)",
		     &stmt, err);
	if (rc)
		goto out;
	bind_text(stmt, 1, model);
	sqlite3_bind_int64(stmt, 2, version);
	bind_text(stmt, 3, body);
	sqlite3_bind_int64(stmt, 4, now);
	bind_text(stmt, 5, actor);
	sqlite3_bind_int64(stmt, 6, c.resets);
	bind_text(stmt, 7, payload_sha256);
	rc = step_done(s->db, stmt, err, "storing a policy");
	stmt = NULL;
	if (rc == GW_E_EXISTS)
		rc = gw_fail(err, GW_E_STATE,
			     "policy %s version %" PRIu32 " was stored before a version reset: "
			     "versions are never reused", model, version);
	if (rc)
		goto out;
	rc = maybe_audit(s->db, audit, err);
out:
	sqlite3_finalize(stmt);
	return tx_close(s, rc, err);
}

static int check_reset(sqlite3 *db, const char *model, uint32_t reset, uint32_t from,
		       uint32_t to, gw_error *err)
{
	struct store_policy_counter c;
	int64_t below = 0;
	int rc = policy_counter(db, model, &c, err);

	if (rc)
		return rc;
	if ((uint64_t)reset != (uint64_t)c.resets + 1)
		return gw_fail(err, GW_E_STATE,
			       "policy reset %" PRIu32 " of %s: the model has had %" PRIu32
			       " resets, so the next is number %" PRIu64
			       " (a statement is applied once, in order)",
			       reset, model, c.resets, (uint64_t)c.resets + 1);
	if (from != c.version && c.resets == 0 && c.version == 0)
		return gw_fail(err, GW_E_STATE,
			       "policy reset %" PRIu32 " of %s replaces version %" PRIu32
			       ", but the model has no policy: there is nothing to reset",
			       reset, model, from);
	if (from != c.version)
		return gw_fail(err, GW_E_STATE,
			       "policy reset %" PRIu32 " of %s replaces version %" PRIu32
			       ", but the model's current version is %" PRIu32,
			       reset, model, from, c.version);
	rc = policy_max_below(db, model, from, &below, err);
	if (!rc && (int64_t)to < below)
		rc = gw_fail(err, GW_E_STATE,
			     "policy reset %" PRIu32 " of %s: to_version %" PRIu32
			     " is below stored version %" PRId64 ": versions are never reused",
			     reset, model, to, below);
	return rc;
}

static int op_policy_reset(struct store *st, const char *model, uint32_t reset,
			   uint32_t from_version, uint32_t to_version, const char *next_sha256,
			   const char *body, int64_t now, const char *actor,
			   const struct store_audit *audit, gw_error *err)
{
	struct sqlite_store *s = to_sqlite(st);
	sqlite3_stmt *stmt = NULL;
	int rc = tx_open(s, err);

	if (rc)
		return rc;
	rc = check_reset(s->db, model, reset, from_version, to_version, err);
	if (rc)
		goto out;
	rc = prepare(s->db,
		     "INSERT INTO policy_resets (model, epoch, from_version, to_version, body,"
		     " added_at, added_by, next_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
		     &stmt, err);
	if (rc)
		goto out;
	bind_text(stmt, 1, model);
	sqlite3_bind_int64(stmt, 2, reset);
	sqlite3_bind_int64(stmt, 3, from_version);
	sqlite3_bind_int64(stmt, 4, to_version);
	bind_text(stmt, 5, body);
	sqlite3_bind_int64(stmt, 6, now);
	bind_text(stmt, 7, actor);
	bind_text(stmt, 8, next_sha256);
	rc = step_done(s->db, stmt, err, "storing a policy reset");
	stmt = NULL;
	if (rc)
		goto out;
	rc = maybe_audit(s->db, audit, err);
out:
	sqlite3_finalize(stmt);
	return tx_close(s, rc, err);
}

#define POLICY_COLUMNS "model, version, body, added_at, added_by"

/* Fill p from a row of POLICY_COLUMNS; body points into the statement. */
static int read_policy_row(sqlite3_stmt *stmt, struct store_policy *p)
{
	int64_t v = sqlite3_column_int64(stmt, 1);

	memset(p, 0, sizeof(*p));
	if (col_text(stmt, 0, p->model, sizeof(p->model)) ||
	    col_text(stmt, 4, p->added_by, sizeof(p->added_by)))
		return GW_E_TOOBIG;
	if (v < 1 || v > UINT32_MAX)
		return GW_E_PARSE;
	p->version = (uint32_t)v;
	p->body = (char *)sqlite3_column_text(stmt, 2);
	if (!p->body)
		return GW_E_PARSE;
	p->added_at = sqlite3_column_int64(stmt, 3);
	return 0;
}

static int op_policy_get(struct store *st, const char *model, uint32_t version,
			 struct store_policy *out, gw_error *err)
{
	struct sqlite_store *s = to_sqlite(st);
	sqlite3_stmt *stmt = NULL;
	struct store_policy p;
	char *body;
	int src;
	int rc;

	rc = prepare(s->db,
		     version ? "SELECT " POLICY_COLUMNS " FROM policies WHERE model = ?1"
			       " AND version = ?2"
			     : "SELECT " POLICY_COLUMNS " FROM policies WHERE model = ?1"
			       " ORDER BY epoch DESC, version DESC LIMIT 1",
		     &stmt, err);
	if (rc)
		goto out;
	bind_text(stmt, 1, model);
	if (version)
		sqlite3_bind_int64(stmt, 2, version);
	src = sqlite3_step(stmt);
	if (src == SQLITE_DONE) {
		if (version)
			rc = gw_fail(err, GW_E_NOTFOUND, "model %s has no policy version %" PRIu32,
				     model, version);
		else
			rc = gw_fail(err, GW_E_NOTFOUND, "model %s has no policy", model);
		goto out;
	}
	if (src != SQLITE_ROW) {
		rc = db_fail(s->db, sqlite3_extended_errcode(s->db), err, "reading a policy");
		goto out;
	}
	rc = read_policy_row(stmt, &p);
	if (rc) {
		rc = gw_fail(err, rc, "store: policy %s: malformed row", model);
		goto out;
	}
	body = strdup(p.body);
	if (!body) {
		rc = GW_E_NOMEM;
		goto out;
	}
	p.body = body;
	*out = p; /* transferred */
out:
	sqlite3_finalize(stmt);
	return rc;
}

static int op_policy_list(struct store *st, const char *model, store_policy_cb cb, void *arg,
			  gw_error *err)
{
	struct sqlite_store *s = to_sqlite(st);
	sqlite3_stmt *stmt = NULL;
	struct store_policy p;
	int src;
	int rc;

	rc = prepare(s->db,
		     model ? "SELECT " POLICY_COLUMNS " FROM policies WHERE model = ?"
			     " ORDER BY epoch DESC, version DESC"
			   : "SELECT " POLICY_COLUMNS " FROM policies AS p WHERE NOT EXISTS"
			     " (SELECT 1 FROM policies AS q WHERE q.model = p.model AND"
			     "  (q.epoch > p.epoch OR (q.epoch = p.epoch AND q.version > p.version)))"
			     " ORDER BY model",
		     &stmt, err);
	if (rc)
		goto out;
	if (model)
		bind_text(stmt, 1, model);
	while ((src = sqlite3_step(stmt)) == SQLITE_ROW) {
		rc = read_policy_row(stmt, &p);
		if (rc) {
			rc = gw_fail(err, rc, "store: listing policies: malformed row");
			goto out;
		}
		rc = cb(&p, arg);
		if (rc)
			goto out;
	}
	if (src != SQLITE_DONE)
		rc = db_fail(s->db, sqlite3_extended_errcode(s->db), err, "listing policies");
out:
	sqlite3_finalize(stmt);
	return rc;
}

static int op_nonce_put(struct store *st, const uint8_t *nonce, size_t len,
			const char *device_id, const char *pcr_selection, int64_t expires_at,
			gw_error *err)
{
	struct sqlite_store *s = to_sqlite(st);
	sqlite3_stmt *stmt = NULL;
	int rc = tx_open(s, err);

	if (rc)
		return rc;
	rc = prepare(s->db,
		     "INSERT INTO nonces (nonce, device_id, pcr_selection, expires_at)"
		     " VALUES (?, ?, ?, ?)",
		     &stmt, err);
	if (rc)
		goto out;
	bind_blob(stmt, 1, nonce, len);
	bind_text(stmt, 2, device_id);
	bind_text(stmt, 3, pcr_selection);
	sqlite3_bind_int64(stmt, 4, expires_at);
	rc = step_done(s->db, stmt, err, "storing a nonce");
	stmt = NULL;
	if (rc == GW_E_NOTFOUND)
		rc = gw_fail(err, rc, "nonce for device %s: no such device", device_id);
	else if (rc == GW_E_EXISTS)
		rc = gw_fail(err, rc, "nonce exists already");
out:
	sqlite3_finalize(stmt);
	return tx_close(s, rc, err);
}

static int op_nonce_take(struct store *st, const uint8_t *nonce, size_t len,
			 const char *device_id, int64_t now, struct store_nonce *out,
			 enum store_nonce_refusal *why, gw_error *err)
{
	struct sqlite_store *s = to_sqlite(st);
	sqlite3_stmt *stmt = NULL;
	struct store_nonce n;
	enum store_nonce_refusal refusal = 0;
	bool used;
	int src;
	int rc = tx_open(s, err);

	if (rc)
		return rc;
	memset(&n, 0, sizeof(n));
	rc = prepare(s->db,
		     "SELECT device_id, pcr_selection, expires_at, used_at IS NOT NULL"
		     " FROM nonces WHERE nonce = ?",
		     &stmt, err);
	if (rc)
		goto out;
	bind_blob(stmt, 1, nonce, len);
	src = sqlite3_step(stmt);
	if (src == SQLITE_DONE) {
		rc = gw_fail(err, GW_E_NOTFOUND, "nonce unknown");
		goto out;
	}
	if (src != SQLITE_ROW) {
		rc = db_fail(s->db, sqlite3_extended_errcode(s->db), err, "reading a nonce");
		goto out;
	}
	if (col_text(stmt, 0, n.device_id, sizeof(n.device_id)) ||
	    col_text(stmt, 1, n.pcr_selection, sizeof(n.pcr_selection))) {
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
	rc = prepare(s->db, "UPDATE nonces SET used_at = ? WHERE nonce = ?", &stmt, err);
	if (rc)
		goto out;
	sqlite3_bind_int64(stmt, 1, now);
	bind_blob(stmt, 2, nonce, len);
	rc = step_done(s->db, stmt, err, "using a nonce");
	stmt = NULL;
	if (rc)
		goto out;
	/* An expired nonce is marked used as well, and that is committed: it never
	 * becomes good again, whatever the clock does later. */
	if (now >= n.expires_at)
		refusal = STORE_NONCE_EXPIRED;
out:
	sqlite3_finalize(stmt);
	rc = tx_close(s, rc, err);
	if (rc == 0 && refusal == STORE_NONCE_EXPIRED)
		rc = gw_fail(err, GW_E_STATE, "nonce expired %" PRId64 " s ago",
			     now - n.expires_at);
	if (rc == 0)
		*out = n;
	else if (rc == GW_E_STATE && why && refusal)
		*why = refusal;
	return rc;
}

static int op_nonce_purge(struct store *st, int64_t before, uint64_t *count, gw_error *err)
{
	struct sqlite_store *s = to_sqlite(st);
	sqlite3_stmt *stmt = NULL;
	uint64_t n = 0;
	int rc = tx_open(s, err);

	if (rc)
		return rc;
	rc = prepare(s->db, "DELETE FROM nonces WHERE expires_at < ?", &stmt, err);
	if (rc)
		goto out;
	sqlite3_bind_int64(stmt, 1, before);
	rc = step_done(s->db, stmt, err, "purging nonces");
	stmt = NULL;
	if (rc == 0)
		n = (uint64_t)sqlite3_changes64(s->db);
out:
	sqlite3_finalize(stmt);
	rc = tx_close(s, rc, err);
	if (rc == 0 && count)
		*count = n;
	return rc;
}

static int op_result_add(struct store *st, const struct store_result *r, int64_t *id,
			 const struct store_audit *audit, gw_error *err)
{
	struct sqlite_store *s = to_sqlite(st);
	sqlite3_stmt *stmt = NULL;
	int64_t rowid = 0;
	int rc = tx_open(s, err);

	if (rc)
		return rc;
	rc = prepare(s->db,
		     "INSERT INTO results (device_id, at, status, claims, ear)"
		     " VALUES (?, ?, ?, ?, ?)",
		     &stmt, err);
	if (rc)
		goto out;
	bind_text(stmt, 1, r->device_id);
	sqlite3_bind_int64(stmt, 2, r->at);
	bind_text(stmt, 3, r->status);
	bind_text(stmt, 4, r->claims);
	bind_text(stmt, 5, r->ear);
	rc = step_done(s->db, stmt, err, "storing a result");
	stmt = NULL;
	if (rc == GW_E_NOTFOUND)
		rc = gw_fail(err, rc, "result for device %s: no such device", r->device_id);
	if (rc)
		goto out;
	rowid = sqlite3_last_insert_rowid(s->db);
	rc = maybe_audit(s->db, audit, err);
out:
	sqlite3_finalize(stmt);
	rc = tx_close(s, rc, err);
	if (rc == 0 && id)
		*id = rowid;
	return rc;
}

static int op_result_history(struct store *st, const char *device_id, unsigned limit,
			     store_result_cb cb, void *arg, gw_error *err)
{
	struct sqlite_store *s = to_sqlite(st);
	sqlite3_stmt *stmt = NULL;
	struct store_result r;
	int src;
	int rc;

	rc = prepare(s->db,
		     "SELECT id, device_id, at, status, claims, ear FROM results"
		     " WHERE device_id = ? ORDER BY at DESC, id DESC LIMIT ?",
		     &stmt, err);
	if (rc)
		goto out;
	bind_text(stmt, 1, device_id);
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
		rc = db_fail(s->db, sqlite3_extended_errcode(s->db), err, "reading results");
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

static int op_audit_list(struct store *st, uint64_t since, store_audit_cb cb, void *arg,
			 gw_error *err)
{
	struct sqlite_store *s = to_sqlite(st);
	sqlite3_stmt *stmt = NULL;
	struct store_audit_record r;
	int src;
	int rc;

	rc = prepare(s->db, "SELECT " AUDIT_COLUMNS " FROM audit_log WHERE seq > ? ORDER BY seq",
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
		rc = db_fail(s->db, sqlite3_extended_errcode(s->db), err, "reading the audit log");
out:
	sqlite3_finalize(stmt);
	return rc;
}

/* Read the whole chain and the head in one read transaction, so a concurrent
 * append cannot make a consistent log look torn. */
static int op_audit_verify(struct store *st, uint64_t *count, uint64_t *first_bad_seq,
			   gw_error *err)
{
	static const uint8_t zero[STORE_HASH_LEN];
	struct sqlite_store *s = to_sqlite(st);
	sqlite3_stmt *stmt = NULL;
	struct store_audit_record r;
	uint8_t prev[STORE_HASH_LEN];
	uint8_t want[STORE_HASH_LEN];
	uint64_t expect = 1, n = 0, bad = 0;
	int64_t head_seq;
	bool own_tx = !s->in_group;
	int src = SQLITE_DONE;
	int rc;

	memcpy(prev, zero, sizeof(prev));
	if (own_tx) {
		rc = exec(s->db, "BEGIN", err, "starting a read");
		if (rc)
			return rc;
	}
	rc = prepare(s->db, "SELECT " AUDIT_COLUMNS " FROM audit_log ORDER BY seq", &stmt, err);
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
		rc = db_fail(s->db, sqlite3_extended_errcode(s->db), err, "reading the audit log");
		goto out;
	}
	sqlite3_finalize(stmt);
	stmt = NULL;
	if (bad)
		goto done;

	rc = prepare(s->db, "SELECT seq, hash FROM audit_head WHERE one = 1", &stmt, err);
	if (rc)
		goto out;
	src = sqlite3_step(stmt);
	if (src != SQLITE_ROW) {
		if (src != SQLITE_DONE) {
			rc = db_fail(s->db, sqlite3_extended_errcode(s->db), err,
				     "reading the audit head");
			goto out;
		}
		bad = n + 1;
		gw_fail(err, GW_E_PARSE, "audit head is missing");
		goto done;
	}
	head_seq = sqlite3_column_int64(stmt, 0);
	if (head_seq < 0 || (uint64_t)head_seq > n) {
		bad = n + 1;
		gw_fail(err, GW_E_PARSE,
			"audit log ends at %" PRIu64 " but its head names %" PRId64
			" (records deleted from the end)", n, head_seq);
	} else if ((uint64_t)head_seq < n) {
		bad = (uint64_t)head_seq + 1;
		gw_fail(err, GW_E_PARSE,
			"audit record %" PRIu64 " is past the head (%" PRId64 ")", bad, head_seq);
	} else if (sqlite3_column_bytes(stmt, 1) != STORE_HASH_LEN ||
		   !gw_ct_equal(sqlite3_column_blob(stmt, 1), prev, sizeof(prev))) {
		bad = n ? n : 1;
		gw_fail(err, GW_E_PARSE, "audit head hash differs from record %" PRIu64, n);
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

static void op_close(struct store *st)
{
	struct sqlite_store *s = to_sqlite(st);

	op_rollback(st);
	/* sqlite3_close_v2: no statement outlives a call, so this closes now. */
	sqlite3_close_v2(s->db);
	free(s);
}

static const struct store_ops sqlite_ops = {
	.close = op_close,
	.begin = op_begin,
	.commit = op_commit,
	.rollback = op_rollback,
	.device_put = op_device_put,
	.device_get = op_device_get,
	.device_list = op_device_list,
	.device_by_tpm = op_device_by_tpm,
	.device_set_state = op_device_set_state,
	.device_update_attestation = op_device_update_attestation,
	.device_set_client_cert = op_device_set_client_cert,
	.enrollment_put = op_enrollment_put,
	.enrollment_get = op_enrollment_get,
	.enrollment_activate = op_enrollment_activate,
	.enrollment_recover = op_enrollment_recover,
	.device_renew_cert = op_device_renew_cert,
	.enrollment_fail = op_enrollment_fail,
	.enrollment_purge = op_enrollment_purge,
	.policy_add = op_policy_add,
	.policy_counter = op_policy_counter,
	.policy_reset = op_policy_reset,
	.policy_get = op_policy_get,
	.policy_list = op_policy_list,
	.nonce_put = op_nonce_put,
	.nonce_take = op_nonce_take,
	.nonce_purge = op_nonce_purge,
	.result_add = op_result_add,
	.result_history = op_result_history,
	.audit_append = op_audit_append,
	.audit_list = op_audit_list,
	.audit_verify = op_audit_verify,
};

static int pragma_int(sqlite3 *db, const char *sql, int64_t *out, gw_error *err)
{
	sqlite3_stmt *stmt = NULL;
	int rc = prepare(db, sql, &stmt, err);

	if (rc)
		return rc;
	if (sqlite3_step(stmt) == SQLITE_ROW)
		*out = sqlite3_column_int64(stmt, 0);
	else
		rc = db_fail(db, sqlite3_extended_errcode(db), err, sql);
	sqlite3_finalize(stmt);
	return rc;
}

/* Bring the schema to STORE_SCHEMA_VERSION. BEGIN IMMEDIATE so two handles opening
 * a new file at once do not both run migration 0. */
static int migrate(sqlite3 *db, gw_error *err)
{
	char sql[64];
	int64_t version = 0;
	int rc = exec(db, "BEGIN IMMEDIATE", err, "starting the migration");

	if (rc)
		return rc;
	rc = pragma_int(db, "PRAGMA user_version", &version, err);
	if (rc)
		goto out;
	if (version < 0 || version > STORE_SCHEMA_VERSION) {
		rc = gw_fail(err, GW_E_UNSUPPORTED,
			     "store: schema version %" PRId64 " is newer than this build's %d"
			     " (downgrade?)", version, STORE_SCHEMA_VERSION);
		goto out;
	}
	for (int64_t v = version; v < STORE_SCHEMA_VERSION; v++) {
		rc = exec(db, migrations[v], err, "migrating the schema");
		if (rc) {
			gw_error_prefix(err, "to version %" PRId64 ": ", v + 1);
			goto out;
		}
	}
	if (version != STORE_SCHEMA_VERSION) {
		/* PRAGMA takes no parameters; the value is our own constant. */
		rc = gw_snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
				 STORE_SCHEMA_VERSION);
		if (rc == 0)
			rc = exec(db, sql, err, "recording the schema version");
	}
out:
	if (rc == 0)
		rc = exec(db, "COMMIT", err, "committing the migration");
	if (rc)
		(void)sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

/* WAL with synchronous=NORMAL: a commit is written to the WAL file (the OS has it)
 * before COMMIT returns, so killing the process loses nothing committed; only the
 * checkpoint fsyncs. A power cut or kernel crash can lose the last commits, never
 * corrupt the file. synchronous=FULL also fsyncs the WAL at every commit. */
static int configure(sqlite3 *db, bool sync_full, gw_error *err)
{
	sqlite3_stmt *stmt = NULL;
	const unsigned char *mode;
	int rc;

	sqlite3_extended_result_codes(db, 1);
	if (sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS) != SQLITE_OK)
		return db_fail(db, sqlite3_errcode(db), err, "setting the busy timeout");
	rc = prepare(db, "PRAGMA journal_mode = WAL", &stmt, err);
	if (rc)
		return rc;
	if (sqlite3_step(stmt) != SQLITE_ROW) {
		rc = db_fail(db, sqlite3_extended_errcode(db), err, "enabling WAL");
	} else {
		mode = sqlite3_column_text(stmt, 0);
		if (!mode || strcmp((const char *)mode, "wal") != 0)
			rc = gw_fail(err, GW_E_UNSUPPORTED,
				     "store: the database refuses WAL mode (journal_mode %s)",
				     mode ? (const char *)mode : "?");
	}
	sqlite3_finalize(stmt);
	if (rc)
		return rc;
	if ((rc = exec(db, sync_full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL",
		       err, "setting synchronous")) ||
	    (rc = exec(db, "PRAGMA foreign_keys = ON", err, "enabling foreign keys")) ||
	    (rc = exec(db, "PRAGMA trusted_schema = OFF", err, "distrusting the schema")))
		return rc;
	return 0;
}

int store_sqlite_open(const char *path, bool sync_full, struct store **out, gw_error *err)
{
	struct sqlite_store *s = NULL;
	sqlite3 *db = NULL;
	int fd;
	int src;
	int rc;

	/* Create the file ourselves so it starts 0600 (SQLite would use 0644 less the
	 * umask); the -wal and -shm files copy its mode. Only when it does not exist
	 * yet: closing any descriptor of a file drops every POSIX lock the process
	 * holds on it, so opening and closing an existing database here would silently
	 * release the locks of this process's other connections, and another process
	 * could then checkpoint and reset the WAL under them (lost commits). */
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd >= 0)
		close(fd);
	else if (errno != EEXIST)
		return gw_fail(err, GW_E_IO, "store: creating %s: %s", path, strerror(errno));
	src = sqlite3_open_v2(path, &db,
			      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX |
			      SQLITE_OPEN_NOFOLLOW,
			      NULL);
	if (src != SQLITE_OK) {
		rc = gw_fail(err, src == SQLITE_NOMEM ? GW_E_NOMEM : GW_E_IO,
			     "store: opening %s: %s", path,
			     db ? sqlite3_errmsg(db) : sqlite3_errstr(src));
		goto out;
	}
	rc = configure(db, sync_full, err);
	if (rc == 0 && sqlite3_create_function(db, "gw_ek_key", 1,
					       SQLITE_UTF8 | SQLITE_DETERMINISTIC |
						       SQLITE_DIRECTONLY,
					       NULL, sql_ek_key, NULL, NULL) != SQLITE_OK)
		rc = db_fail(db, sqlite3_extended_errcode(db), err, "registering gw_ek_key()");
	if (rc == 0)
		rc = migrate(db, err);
	if (rc) {
		gw_error_prefix(err, "%s: ", path);
		goto out;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		rc = GW_E_NOMEM;
		goto out;
	}
	s->base.ops = &sqlite_ops;
	s->db = db;
	db = NULL; /* transferred */
	*out = &s->base;
out:
	sqlite3_close_v2(db);
	return rc;
}
