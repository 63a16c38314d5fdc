// SPDX-License-Identifier: Apache-2.0
// The SQLite store's signed policies: versions per model, version resets, reading
// and listing them.
#include "store_sqlite_int.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* The model's version counter (store_policy_counter), read inside the caller's
 * transaction. */
static int policy_counter(sqlite3 *db, const char *model, struct store_policy_counter *out,
			  gw_error *err)
{
	sqlite3_stmt *stmt = NULL;
	int64_t e, v;
	int rc;

	rc = sqls_prepare(db,
			  "SELECT r.epoch, coalesce((SELECT max(version) FROM policies"
			  "                          WHERE model = ?1 AND epoch = r.epoch),"
			  "                         (SELECT to_version FROM policy_resets"
			  "                          WHERE model = ?1 AND epoch = r.epoch), 0)"
			  " FROM (SELECT coalesce(max(epoch), 0) AS epoch FROM policy_resets"
			  "       WHERE model = ?1) AS r",
			  &stmt, err);
	if (rc)
		return rc;
	sqls_bind_text(stmt, 1, model);
	if (sqlite3_step(stmt) != SQLITE_ROW) {
		rc = sqls_fail(db, sqlite3_extended_errcode(db), err, "reading policy versions");
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

int sqls_op_policy_counter(struct store *st, const char *model,
			   struct store_policy_counter *out, gw_error *err)
{
	return policy_counter(to_sqlite(st)->db, model, out, err);
}

/* The highest version of model below `below`, in any epoch (0 for none). */
static int policy_max_below(sqlite3 *db, const char *model, int64_t below, int64_t *out,
			    gw_error *err)
{
	sqlite3_stmt *stmt = NULL;
	int rc = sqls_prepare(db, "SELECT coalesce(max(version), 0) FROM policies"
			     " WHERE model = ? AND version < ?", &stmt, err);

	if (rc)
		return rc;
	sqls_bind_text(stmt, 1, model);
	sqlite3_bind_int64(stmt, 2, below);
	if (sqlite3_step(stmt) != SQLITE_ROW)
		rc = sqls_fail(db, sqlite3_extended_errcode(db), err, "reading policy versions");
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
	rc = sqls_prepare(db,
			  "SELECT next_sha256 FROM policy_resets WHERE model = ?1 AND epoch = ?2"
			  " AND NOT EXISTS (SELECT 1 FROM policies WHERE model = ?1 AND epoch = ?2)",
			  &stmt, err);
	if (rc)
		return rc;
	sqls_bind_text(stmt, 1, model);
	sqlite3_bind_int64(stmt, 2, epoch);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_DONE) {
		rc = 0;
		goto out;
	}
	if (rc != SQLITE_ROW) {
		rc = sqls_fail(db, sqlite3_extended_errcode(db), err, "reading policy resets");
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

int sqls_op_policy_add(struct store *st, const char *model, uint32_t version,
		       const char *payload_sha256, const char *body, int64_t now,
		       const char *actor, const struct store_audit *audit, gw_error *err)
{
	struct sqlite_store *s = to_sqlite(st);
	struct store_policy_counter c;
	sqlite3_stmt *stmt = NULL;
	int rc = sqls_tx_open(s, err);

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
	rc = sqls_prepare(s->db,
			  "INSERT INTO policies (model, version, body, added_at, added_by, epoch,"
			  " payload_sha256) VALUES (?, ?, ?, ?, ?, ?, ?)",
			  &stmt, err);
	if (rc)
		goto out;
	sqls_bind_text(stmt, 1, model);
	sqlite3_bind_int64(stmt, 2, version);
	sqls_bind_text(stmt, 3, body);
	sqlite3_bind_int64(stmt, 4, now);
	sqls_bind_text(stmt, 5, actor);
	sqlite3_bind_int64(stmt, 6, c.resets);
	sqls_bind_text(stmt, 7, payload_sha256);
	rc = sqls_step_done(s->db, stmt, err, "storing a policy");
	stmt = NULL;
	if (rc == GW_E_EXISTS)
		rc = gw_fail(err, GW_E_STATE,
			     "policy %s version %" PRIu32 " was stored before a version reset: "
			     "versions are never reused", model, version);
	if (rc)
		goto out;
	rc = sqls_maybe_audit(s->db, audit, err);
out:
	sqlite3_finalize(stmt);
	return sqls_tx_close(s, rc, err);
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

int sqls_op_policy_reset(struct store *st, const char *model, uint32_t reset,
			 uint32_t from_version, uint32_t to_version, const char *next_sha256,
			 const char *body, int64_t now, const char *actor,
			 const struct store_audit *audit, gw_error *err)
{
	struct sqlite_store *s = to_sqlite(st);
	sqlite3_stmt *stmt = NULL;
	int rc = sqls_tx_open(s, err);

	if (rc)
		return rc;
	rc = check_reset(s->db, model, reset, from_version, to_version, err);
	if (rc)
		goto out;
	rc = sqls_prepare(s->db,
			  "INSERT INTO policy_resets (model, epoch, from_version, to_version, body,"
			  " added_at, added_by, next_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
			  &stmt, err);
	if (rc)
		goto out;
	sqls_bind_text(stmt, 1, model);
	sqlite3_bind_int64(stmt, 2, reset);
	sqlite3_bind_int64(stmt, 3, from_version);
	sqlite3_bind_int64(stmt, 4, to_version);
	sqls_bind_text(stmt, 5, body);
	sqlite3_bind_int64(stmt, 6, now);
	sqls_bind_text(stmt, 7, actor);
	sqls_bind_text(stmt, 8, next_sha256);
	rc = sqls_step_done(s->db, stmt, err, "storing a policy reset");
	stmt = NULL;
	if (rc)
		goto out;
	rc = sqls_maybe_audit(s->db, audit, err);
out:
	sqlite3_finalize(stmt);
	return sqls_tx_close(s, rc, err);
}

#define POLICY_COLUMNS "model, version, body, added_at, added_by"

/* Fill p from a row of POLICY_COLUMNS; body points into the statement. */
static int read_policy_row(sqlite3_stmt *stmt, struct store_policy *p)
{
	int64_t v = sqlite3_column_int64(stmt, 1);

	memset(p, 0, sizeof(*p));
	if (sqls_col_text(stmt, 0, p->model, sizeof(p->model)) ||
	    sqls_col_text(stmt, 4, p->added_by, sizeof(p->added_by)))
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

int sqls_op_policy_get(struct store *st, const char *model, uint32_t version,
		       struct store_policy *out, gw_error *err)
{
	struct sqlite_store *s = to_sqlite(st);
	sqlite3_stmt *stmt = NULL;
	struct store_policy p;
	char *body;
	int src;
	int rc;

	rc = sqls_prepare(s->db,
			  version ? "SELECT " POLICY_COLUMNS " FROM policies WHERE model = ?1"
			       " AND version = ?2"
			     : "SELECT " POLICY_COLUMNS " FROM policies WHERE model = ?1"
			       " ORDER BY epoch DESC, version DESC LIMIT 1",
			  &stmt, err);
	if (rc)
		goto out;
	sqls_bind_text(stmt, 1, model);
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
		rc = sqls_fail(s->db, sqlite3_extended_errcode(s->db), err, "reading a policy");
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

int sqls_op_policy_list(struct store *st, const char *model, store_policy_cb cb, void *arg,
			gw_error *err)
{
	struct sqlite_store *s = to_sqlite(st);
	sqlite3_stmt *stmt = NULL;
	struct store_policy p;
	int src;
	int rc;

	rc = sqls_prepare(s->db,
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
		sqls_bind_text(stmt, 1, model);
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
		rc = sqls_fail(s->db, sqlite3_extended_errcode(s->db), err, "listing policies");
out:
	sqlite3_finalize(stmt);
	return rc;
}
