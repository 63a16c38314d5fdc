// SPDX-License-Identifier: Apache-2.0
// The SQLite store backend: one database file in WAL mode, schema migrations by
// PRAGMA user_version, every value bound to a prepared statement. This file opens,
// configures and migrates it, runs its transactions, holds its ops table and the
// statement helpers of store_sqlite_int.h; the tables' operations are in
// store_sqlite_{device,enroll,policy,log}.c.
#include "store_sqlite_int.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BUSY_TIMEOUT_MS 5000

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
	/* 7 -> 8: releases (bundles an operator added, stored as files beside the
	 * database), the models each is for, and a device's channel and the security
	 * version its TPM counter certified. */
	"CREATE TABLE releases ("
	"  id TEXT PRIMARY KEY NOT NULL"
	"    CHECK (length(id) = 16 AND id NOT GLOB '*[^0-9a-f]*'),"
	"  manifest_sha256 TEXT NOT NULL UNIQUE"
	"    CHECK (length(manifest_sha256) = 64 AND manifest_sha256 NOT GLOB '*[^0-9a-f]*'),"
	"  channel TEXT NOT NULL,"
	"  version TEXT NOT NULL,"
	"  security_version INTEGER NOT NULL CHECK (security_version >= 0),"
	"  created INTEGER NOT NULL,"
	"  notes TEXT,"
	"  reboot_required INTEGER NOT NULL CHECK (reboot_required IN (0, 1)),"
	"  bundle_path TEXT NOT NULL,"
	"  size INTEGER NOT NULL CHECK (size > 0),"
	"  sha256 TEXT NOT NULL"
	"    CHECK (length(sha256) = 64 AND sha256 NOT GLOB '*[^0-9a-f]*'),"
	"  rollout INTEGER NOT NULL CHECK (rollout BETWEEN 0 AND 100),"
	"  requires_approval INTEGER NOT NULL CHECK (requires_approval IN (0, 1)),"
	"  approved INTEGER NOT NULL CHECK (approved IN (0, 1)),"
	"  withdrawn INTEGER NOT NULL CHECK (withdrawn IN (0, 1)),"
	"  critical INTEGER NOT NULL CHECK (critical IN (0, 1)),"
	"  deadline INTEGER,"
	"  eol_transition INTEGER NOT NULL CHECK (eol_transition IN (0, 1)),"
	"  added_at INTEGER NOT NULL,"
	"  added_by TEXT NOT NULL"
	") STRICT;"
	"CREATE TABLE release_models ("
	"  release_id TEXT NOT NULL REFERENCES releases (id),"
	"  model TEXT NOT NULL,"
	"  PRIMARY KEY (release_id, model)"
	") STRICT;"
	"CREATE INDEX release_models_model ON release_models (model, release_id);"
	/* Withdrawn is final. */
	"CREATE TRIGGER releases_withdrawn_final BEFORE UPDATE ON releases"
	"  WHEN OLD.withdrawn = 1"
	"  BEGIN SELECT RAISE(ABORT, 'a withdrawn release does not change'); END;"
	"ALTER TABLE devices ADD COLUMN channel TEXT;"
	"ALTER TABLE devices ADD COLUMN security_version INTEGER"
	"  CHECK (security_version IS NULL OR security_version >= 0);",
	/* 8 -> 9: each device's TPM update key (one at most; an operator's reset
	 * deletes it so the device can register another). A name is one key's. */
	"CREATE TABLE update_keys ("
	"  device_id TEXT PRIMARY KEY REFERENCES devices(id),"
	"  public BLOB NOT NULL CHECK (length(public) BETWEEN 1 AND 1024),"
	"  name BLOB NOT NULL UNIQUE CHECK (length(name) = 34),"
	"  created INTEGER NOT NULL);",
	/* 9 -> 10: each device's anti-rollback counters as last certified by its
	 * TPM (NV_Certify by the AK): the NV names pinned at first sight, and the
	 * security version, which only goes up. */
	"CREATE TABLE device_counters ("
	"  device_id TEXT NOT NULL REFERENCES devices(id),"
	"  channel TEXT NOT NULL CHECK (length(channel) BETWEEN 1 AND 64),"
	"  counter_name BLOB NOT NULL CHECK (length(counter_name) = 34),"
	"  baseline_name BLOB NOT NULL CHECK (length(baseline_name) = 34),"
	"  counter_index INTEGER NOT NULL CHECK (counter_index BETWEEN 0 AND 4294967295),"
	"  baseline_index INTEGER NOT NULL CHECK (baseline_index BETWEEN 0 AND 4294967295),"
	"  security_version INTEGER NOT NULL CHECK (security_version >= 0),"
	"  first_seen INTEGER NOT NULL,"
	"  updated INTEGER NOT NULL,"
	"  PRIMARY KEY (device_id, channel)"
	") STRICT;"
	"CREATE TRIGGER device_counters_pinned BEFORE UPDATE ON device_counters"
	"  WHEN NEW.counter_name IS NOT OLD.counter_name"
	"    OR NEW.baseline_name IS NOT OLD.baseline_name"
	"    OR NEW.security_version < OLD.security_version"
	"  BEGIN SELECT RAISE(ABORT, 'a counter keeps its indices and does not go back'); END;",
	/* 10 -> 11: what each device's authentic agent log said of its updates:
	 * running release, pending trial, last outcome, and the last audited
	 * outcome record's boot and place (so none is audited twice). */
	"CREATE TABLE device_updates ("
	"  device_id TEXT PRIMARY KEY REFERENCES devices(id),"
	"  running_manifest TEXT, running_release TEXT, running_version TEXT,"
	"  running_security_version INTEGER"
	"    CHECK (running_security_version IS NULL OR running_security_version >= 0),"
	"  trial_manifest TEXT, trial_release TEXT, trial_version TEXT,"
	"  trial_security_version INTEGER"
	"    CHECK (trial_security_version IS NULL OR trial_security_version >= 0),"
	"  outcome_kind TEXT, outcome_manifest TEXT, outcome_release TEXT,"
	"  outcome_version TEXT, outcome_security_version INTEGER"
	"    CHECK (outcome_security_version IS NULL OR outcome_security_version >= 0),"
	"  outcome_at INTEGER,"
	"  reset_count INTEGER NOT NULL CHECK (reset_count BETWEEN 0 AND 4294967295),"
	"  position INTEGER NOT NULL CHECK (position >= 0),"
	"  ignored INTEGER NOT NULL CHECK (ignored >= 0),"
	"  judged_counter INTEGER CHECK (judged_counter IS NULL OR judged_counter >= 0),"
	"  updated INTEGER NOT NULL"
	") STRICT;",
	/* 11 -> 12: audit archives (gwverifier audit export). The anchor is the last
	 * archived record's {seq, hash}, which the first record kept chains from;
	 * records at or below it may be deleted, no other, and it never moves back
	 * or goes away. Written so that running it again changes nothing. */
	"CREATE TABLE IF NOT EXISTS audit_anchor ("
	"  one INTEGER PRIMARY KEY NOT NULL CHECK (one = 1),"
	"  seq INTEGER NOT NULL CHECK (seq >= 0),"
	"  hash BLOB NOT NULL CHECK (length(hash) = 32),"
	"  archived_at INTEGER NOT NULL"
	") STRICT;"
	"INSERT OR IGNORE INTO audit_anchor (one, seq, hash, archived_at)"
	"  VALUES (1, 0, zeroblob(32), 0);"
	"DROP TRIGGER IF EXISTS audit_log_no_delete;"
	"CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log"
	"  WHEN OLD.seq > coalesce((SELECT seq FROM audit_anchor WHERE one = 1), 0)"
	"  BEGIN SELECT RAISE(ABORT, 'audit log is append-only: only archived records go'); END;"
	"CREATE TRIGGER IF NOT EXISTS audit_anchor_no_delete BEFORE DELETE ON audit_anchor"
	"  BEGIN SELECT RAISE(ABORT, 'audit anchor cannot be deleted'); END;"
	"CREATE TRIGGER IF NOT EXISTS audit_anchor_forward BEFORE UPDATE ON audit_anchor"
	"  WHEN NEW.seq < OLD.seq"
	"  BEGIN SELECT RAISE(ABORT, 'audit anchor only moves forward'); END;",
	/* 12 -> 13: each release's boot files, read from its verified manifest at
	 * release add so that an attestation reads them from here, not from the
	 * bundle. release_boot_read says a release's are stored (source 'add', or
	 * 'bundle' for one added before this schema, read once from its bundle);
	 * the files of one release are written once and never change. Written so
	 * that running it again changes nothing. */
	"CREATE TABLE IF NOT EXISTS release_boot_files ("
	"  release_id TEXT NOT NULL REFERENCES releases (id),"
	"  path TEXT NOT NULL"
	"    CHECK (length(path) BETWEEN 1 AND 255 AND substr(path, 1, 1) = '/'),"
	"  sha256 BLOB NOT NULL CHECK (length(sha256) = 32),"
	"  PRIMARY KEY (release_id, path),"
	"  UNIQUE (release_id, sha256)"
	") STRICT;"
	"CREATE TABLE IF NOT EXISTS release_boot_read ("
	"  release_id TEXT PRIMARY KEY NOT NULL REFERENCES releases (id),"
	"  source TEXT NOT NULL CHECK (source IN ('add', 'bundle')),"
	"  files INTEGER NOT NULL CHECK (files BETWEEN 0 AND 8)"
	") STRICT;"
	"CREATE TRIGGER IF NOT EXISTS release_boot_files_once"
	"  BEFORE INSERT ON release_boot_files"
	"  WHEN EXISTS (SELECT 1 FROM release_boot_read WHERE release_id = NEW.release_id)"
	"  BEGIN SELECT RAISE(ABORT, 'a release''s boot files are stored once'); END;"
	"CREATE TRIGGER IF NOT EXISTS release_boot_read_count"
	"  BEFORE INSERT ON release_boot_read"
	"  WHEN NEW.files IS NOT (SELECT count(*) FROM release_boot_files"
	"                        WHERE release_id = NEW.release_id)"
	"  BEGIN SELECT RAISE(ABORT, 'a release''s boot files are stored whole'); END;"
	"CREATE TRIGGER IF NOT EXISTS release_boot_files_final"
	"  BEFORE UPDATE ON release_boot_files"
	"  BEGIN SELECT RAISE(ABORT, 'a release''s boot files do not change'); END;"
	"CREATE TRIGGER IF NOT EXISTS release_boot_read_final"
	"  BEFORE UPDATE ON release_boot_read"
	"  BEGIN SELECT RAISE(ABORT, 'a release''s boot files do not change'); END;",
};

_Static_assert(STORE_POLICY_MAX_STEP == 1000, "migration 7's triggers say 1000");

_Static_assert(GW_ARRAY_SIZE(migrations) == STORE_SCHEMA_VERSION,
	       "one migration per schema version");

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

int sqls_fail(sqlite3 *db, int src, gw_error *err, const char *what)
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

int sqls_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **out, gw_error *err)
{
	sqlite3_stmt *stmt = NULL;
	int src = sqlite3_prepare_v2(db, sql, -1, &stmt, NULL);

	if (src != SQLITE_OK) {
		sqlite3_finalize(stmt);
		return sqls_fail(db, src, err, "preparing a statement");
	}
	*out = stmt;
	return 0;
}

/* Bind helpers: every value goes through sqlite3_bind_*, never into SQL text. A
 * zero-length blob is bound as an empty blob, not NULL. */
int sqls_bind_text(sqlite3_stmt *s, int i, const char *v)
{
	return v ? sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC) : sqlite3_bind_null(s, i);
}

int sqls_bind_blob(sqlite3_stmt *s, int i, const uint8_t *v, size_t len)
{
	if (len == 0)
		return sqlite3_bind_zeroblob(s, i, 0);
	return sqlite3_bind_blob64(s, i, v, len, SQLITE_STATIC);
}

/* Run a statement that returns no rows; finalizes it. */
int sqls_step_done(sqlite3 *db, sqlite3_stmt *stmt, gw_error *err, const char *what)
{
	int src = sqlite3_step(stmt);
	int rc = 0;

	if (src != SQLITE_DONE)
		rc = sqls_fail(db, sqlite3_extended_errcode(db), err, what);
	sqlite3_finalize(stmt);
	return rc;
}

int sqls_exec(sqlite3 *db, const char *sql, gw_error *err, const char *what)
{
	int src = sqlite3_exec(db, sql, NULL, NULL, NULL);

	if (src != SQLITE_OK)
		return sqls_fail(db, sqlite3_extended_errcode(db), err, what);
	return 0;
}

/* Copy a text column into a fixed buffer; GW_E_TOOBIG when it does not fit. */
int sqls_col_text(sqlite3_stmt *s, int i, char *buf, size_t cap)
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

int sqls_col_blob_dup(sqlite3_stmt *s, int i, uint8_t **out, size_t *out_len)
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
int sqls_tx_open(struct sqlite_store *s, gw_error *err)
{
	if (s->in_group)
		return sqls_exec(s->db, "SAVEPOINT store_call", err, "starting a savepoint");
	store_tx_began(&s->base);
	return sqls_exec(s->db, "BEGIN IMMEDIATE", err, "starting a transaction");
}

int sqls_tx_close(struct sqlite_store *s, int rc, gw_error *err)
{
	if (s->in_group) {
		if (rc)
			(void)sqlite3_exec(s->db, "ROLLBACK TO store_call", NULL, NULL, NULL);
		(void)sqlite3_exec(s->db, "RELEASE store_call", NULL, NULL, NULL);
		return rc;
	}
	if (rc == 0)
		rc = sqls_exec(s->db, "COMMIT", err, "committing");
	if (rc)
		(void)sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	store_tx_ended(&s->base);
	return rc;
}

static int op_begin(struct store *st, gw_error *err)
{
	struct sqlite_store *s = to_sqlite(st);
	int rc;

	if (s->in_group)
		return gw_fail(err, GW_E_STATE, "store: a transaction is already open");
	store_tx_began(&s->base);
	rc = sqls_exec(s->db, "BEGIN IMMEDIATE", err, "starting a transaction");
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
	rc = sqls_exec(s->db, "COMMIT", err, "committing");
	if (rc)
		(void)sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	s->in_group = false;
	store_tx_ended(&s->base);
	return rc;
}

static void op_rollback(struct store *st)
{
	struct sqlite_store *s = to_sqlite(st);

	if (!s->in_group)
		return;
	(void)sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	s->in_group = false;
	store_tx_ended(&s->base);
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
	.device_put = sqls_op_device_put,
	.device_get = sqls_op_device_get,
	.device_list = sqls_op_device_list,
	.device_by_tpm = sqls_op_device_by_tpm,
	.device_set_state = sqls_op_device_set_state,
	.device_update_attestation = sqls_op_device_update_attestation,
	.device_set_client_cert = sqls_op_device_set_client_cert,
	.device_set_channel = sqls_op_device_set_channel,
	.release_put = sqls_op_release_put,
	.release_get = sqls_op_release_get,
	.release_list = sqls_op_release_list,
	.release_change = sqls_op_release_change,
	.release_boot_list = sqls_op_release_boot_list,
	.release_boot_put = sqls_op_release_boot_put,
	.enrollment_put = sqls_op_enrollment_put,
	.enrollment_get = sqls_op_enrollment_get,
	.enrollment_activate = sqls_op_enrollment_activate,
	.enrollment_recover = sqls_op_enrollment_recover,
	.device_renew_cert = sqls_op_device_renew_cert,
	.enrollment_fail = sqls_op_enrollment_fail,
	.enrollment_purge = sqls_op_enrollment_purge,
	.policy_add = sqls_op_policy_add,
	.policy_counter = sqls_op_policy_counter,
	.policy_reset = sqls_op_policy_reset,
	.policy_get = sqls_op_policy_get,
	.policy_list = sqls_op_policy_list,
	.nonce_put = sqls_op_nonce_put,
	.nonce_take = sqls_op_nonce_take,
	.nonce_purge = sqls_op_nonce_purge,
	.result_add = sqls_op_result_add,
	.result_history = sqls_op_result_history,
	.audit_append = sqls_op_audit_append,
	.audit_list = sqls_op_audit_list,
	.update_key_put = sqls_op_update_key_put,
	.update_key_get = sqls_op_update_key_get,
	.update_key_reset = sqls_op_update_key_reset,
	.counters_get = sqls_op_counters_get,
	.counters_record = sqls_op_counters_record,
	.device_update_get = sqls_op_device_update_get,
	.device_update_put = sqls_op_device_update_put,
	.device_update_list = sqls_op_device_update_list,
	.counters_retire = sqls_op_counters_retire,
	.audit_verify = sqls_op_audit_verify,
	.result_prune = sqls_op_result_prune,
	.size = sqls_op_size,
	.vacuum = sqls_op_vacuum,
	.backup = sqls_op_backup,
	.audit_anchor_get = sqls_op_audit_anchor_get,
	.audit_archive = sqls_op_audit_archive,
};

static int pragma_int(sqlite3 *db, const char *sql, int64_t *out, gw_error *err)
{
	sqlite3_stmt *stmt = NULL;
	int rc = sqls_prepare(db, sql, &stmt, err);

	if (rc)
		return rc;
	if (sqlite3_step(stmt) == SQLITE_ROW)
		*out = sqlite3_column_int64(stmt, 0);
	else
		rc = sqls_fail(db, sqlite3_extended_errcode(db), err, sql);
	sqlite3_finalize(stmt);
	return rc;
}

/* Bring the schema to STORE_SCHEMA_VERSION. BEGIN IMMEDIATE so two handles opening
 * a new file at once do not both run migration 0. */
static int migrate(sqlite3 *db, gw_error *err)
{
	char sql[64];
	int64_t version = 0;
	int rc = sqls_exec(db, "BEGIN IMMEDIATE", err, "starting the migration");

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
		rc = sqls_exec(db, migrations[v], err, "migrating the schema");
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
			rc = sqls_exec(db, sql, err, "recording the schema version");
	}
out:
	if (rc == 0)
		rc = sqls_exec(db, "COMMIT", err, "committing the migration");
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
		return sqls_fail(db, sqlite3_errcode(db), err, "setting the busy timeout");
	rc = sqls_prepare(db, "PRAGMA journal_mode = WAL", &stmt, err);
	if (rc)
		return rc;
	if (sqlite3_step(stmt) != SQLITE_ROW) {
		rc = sqls_fail(db, sqlite3_extended_errcode(db), err, "enabling WAL");
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
	if ((rc = sqls_exec(db, sync_full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL",
			    err, "setting synchronous")) ||
	    (rc = sqls_exec(db, "PRAGMA foreign_keys = ON", err, "enabling foreign keys")) ||
	    (rc = sqls_exec(db, "PRAGMA trusted_schema = OFF", err, "distrusting the schema")))
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
		rc = sqls_fail(db, sqlite3_extended_errcode(db), err, "registering gw_ek_key()");
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
