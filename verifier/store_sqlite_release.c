// SPDX-License-Identifier: Apache-2.0
// The SQLite store's releases: adding, reading, listing and changing them, the
// models and boot files of each, and a device's update channel.
#include "store_sqlite_int.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define RELEASE_COLUMNS \
	"id, manifest_sha256, channel, version, security_version, created, notes," \
	" reboot_required, bundle_path, size, sha256, rollout, requires_approval," \
	" approved, withdrawn, critical, deadline, eol_transition, added_at, added_by"

static int insert_models(sqlite3 *db, const struct store_release *r, gw_error *err)
{
	sqlite3_stmt *stmt = NULL;
	int rc = 0;

	for (size_t i = 0; i < r->nmodels && rc == 0; i++) {
		rc = sqls_prepare(db, "INSERT INTO release_models (release_id, model)"
				      " VALUES (?, ?)", &stmt, err);
		if (rc)
			break;
		sqls_bind_text(stmt, 1, r->id);
		sqls_bind_text(stmt, 2, r->models[i]);
		rc = sqls_step_done(db, stmt, err, "adding a release's model");
	}
	return rc;
}

/* A release's boot files, then the row that says they are stored (the triggers
 * refuse a second set and a count that is not the rows'). */
static int insert_boot(sqlite3 *db, const char *id, const struct store_boot_file *files,
		       size_t n, const char *source, gw_error *err)
{
	sqlite3_stmt *stmt = NULL;
	int rc = 0;

	for (size_t i = 0; i < n && rc == 0; i++) {
		rc = sqls_prepare(db, "INSERT INTO release_boot_files (release_id, path, sha256)"
				      " VALUES (?, ?, ?)", &stmt, err);
		if (rc)
			break;
		sqls_bind_text(stmt, 1, id);
		sqls_bind_text(stmt, 2, files[i].path);
		sqls_bind_blob(stmt, 3, files[i].sha256, sizeof(files[i].sha256));
		rc = sqls_step_done(db, stmt, err, "adding a release's boot file");
	}
	if (rc == 0)
		rc = sqls_prepare(db, "INSERT INTO release_boot_read (release_id, source, files)"
				      " VALUES (?, ?, ?)", &stmt, err);
	if (rc == 0) {
		sqls_bind_text(stmt, 1, id);
		sqls_bind_text(stmt, 2, source);
		sqlite3_bind_int64(stmt, 3, (int64_t)n);
		rc = sqls_step_done(db, stmt, err, "recording a release's boot files");
	}
	return rc;
}

int sqls_op_release_put(struct store *st, const struct store_release *r,
			const struct store_audit *audit, gw_error *err)
{
	struct sqlite_store *s = to_sqlite(st);
	sqlite3_stmt *stmt = NULL;
	int rc = sqls_tx_open(s, err);

	if (rc)
		return rc;
	rc = sqls_prepare(s->db, "INSERT INTO releases (" RELEASE_COLUMNS ") VALUES"
				 " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, ?, ?, ?, ?, ?)",
			  &stmt, err);
	if (rc)
		goto out;
	sqls_bind_text(stmt, 1, r->id);
	sqls_bind_text(stmt, 2, r->manifest_sha256);
	sqls_bind_text(stmt, 3, r->channel);
	sqls_bind_text(stmt, 4, r->version);
	sqlite3_bind_int64(stmt, 5, (int64_t)r->security_version);
	sqlite3_bind_int64(stmt, 6, r->created);
	sqls_bind_text(stmt, 7, r->notes);
	sqlite3_bind_int(stmt, 8, r->reboot_required);
	sqls_bind_text(stmt, 9, r->bundle_path);
	sqlite3_bind_int64(stmt, 10, (int64_t)r->size);
	sqls_bind_text(stmt, 11, r->sha256);
	sqlite3_bind_int(stmt, 12, (int)r->rollout);
	sqlite3_bind_int(stmt, 13, r->requires_approval);
	sqlite3_bind_int(stmt, 14, r->critical);
	if (r->deadline)
		sqlite3_bind_int64(stmt, 15, r->deadline);
	else
		sqlite3_bind_null(stmt, 15);
	sqlite3_bind_int(stmt, 16, r->eol_transition);
	sqlite3_bind_int64(stmt, 17, r->added_at);
	sqls_bind_text(stmt, 18, r->added_by);
	rc = sqls_step_done(s->db, stmt, err, "adding a release");
	if (rc == GW_E_EXISTS)
		gw_fail(err, rc, "release %s (manifest %s) is stored already", r->id,
			r->manifest_sha256);
	if (rc == 0)
		rc = insert_models(s->db, r, err);
	if (rc == 0)
		rc = insert_boot(s->db, r->id, r->boot_files, r->nboot_files, "add", err);
	if (rc == 0)
		rc = sqls_maybe_audit(s->db, audit, err);
out:
	return sqls_tx_close(s, rc, err);
}

/* Fill r from a row of RELEASE_COLUMNS; notes is borrowed from the row (copied by
 * the caller that keeps it). */
static int read_release_row(sqlite3_stmt *stmt, struct store_release *r)
{
	memset(r, 0, sizeof(*r));
	if (sqls_col_text(stmt, 0, r->id, sizeof(r->id)) ||
	    sqls_col_text(stmt, 1, r->manifest_sha256, sizeof(r->manifest_sha256)) ||
	    sqls_col_text(stmt, 2, r->channel, sizeof(r->channel)) ||
	    sqls_col_text(stmt, 3, r->version, sizeof(r->version)) ||
	    sqls_col_text(stmt, 8, r->bundle_path, sizeof(r->bundle_path)) ||
	    sqls_col_text(stmt, 10, r->sha256, sizeof(r->sha256)) ||
	    sqls_col_text(stmt, 19, r->added_by, sizeof(r->added_by)))
		return GW_E_TOOBIG;
	r->security_version = (uint64_t)sqlite3_column_int64(stmt, 4);
	r->created = sqlite3_column_int64(stmt, 5);
	r->notes = (char *)sqlite3_column_text(stmt, 6);
	r->reboot_required = sqlite3_column_int(stmt, 7) != 0;
	r->size = (uint64_t)sqlite3_column_int64(stmt, 9);
	r->rollout = (unsigned)sqlite3_column_int(stmt, 11);
	r->requires_approval = sqlite3_column_int(stmt, 12) != 0;
	r->approved = sqlite3_column_int(stmt, 13) != 0;
	r->withdrawn = sqlite3_column_int(stmt, 14) != 0;
	r->critical = sqlite3_column_int(stmt, 15) != 0;
	r->deadline = sqlite3_column_int64(stmt, 16);
	r->eol_transition = sqlite3_column_int(stmt, 17) != 0;
	r->added_at = sqlite3_column_int64(stmt, 18);
	return 0;
}

static int read_models(sqlite3 *db, struct store_release *r, gw_error *err)
{
	sqlite3_stmt *stmt = NULL;
	int src, rc = sqls_prepare(db, "SELECT model FROM release_models WHERE release_id = ?"
				   " ORDER BY rowid", &stmt, err);

	if (rc)
		return rc;
	sqls_bind_text(stmt, 1, r->id);
	r->nmodels = 0;
	while ((src = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (r->nmodels == STORE_RELEASE_MODELS ||
		    sqls_col_text(stmt, 0, r->models[r->nmodels], sizeof(r->models[0]))) {
			rc = gw_fail(err, GW_E_PARSE, "store: release %s: malformed models", r->id);
			goto out;
		}
		r->nmodels++;
	}
	if (src != SQLITE_DONE)
		rc = sqls_fail(db, sqlite3_extended_errcode(db), err, "reading a release's models");
out:
	sqlite3_finalize(stmt);
	return rc;
}

int sqls_op_release_get(struct store *st, const char *id, struct store_release *out,
			gw_error *err)
{
	struct sqlite_store *s = to_sqlite(st);
	sqlite3_stmt *stmt = NULL;
	struct store_release r;
	int src, rc = sqls_prepare(s->db, "SELECT " RELEASE_COLUMNS " FROM releases WHERE id = ?",
				   &stmt, err);

	memset(&r, 0, sizeof(r));
	if (rc)
		return rc;
	sqls_bind_text(stmt, 1, id);
	src = sqlite3_step(stmt);
	if (src == SQLITE_DONE) {
		rc = gw_fail(err, GW_E_NOTFOUND, "no release '%s'", id);
		goto out;
	}
	if (src != SQLITE_ROW) {
		rc = sqls_fail(s->db, sqlite3_extended_errcode(s->db), err, "reading a release");
		goto out;
	}
	if (read_release_row(stmt, &r)) {
		rc = gw_fail(err, GW_E_PARSE, "store: release %s: malformed row", id);
		goto out;
	}
	if (r.notes && !(r.notes = strdup(r.notes))) {
		rc = GW_E_NOMEM;
		goto out;
	}
	rc = read_models(s->db, &r, err);
	if (rc)
		goto out;
	*out = r; /* transferred */
	memset(&r, 0, sizeof(r));
out:
	sqlite3_finalize(stmt);
	store_release_fini(&r);
	return rc;
}

int sqls_op_release_list(struct store *st, const char *model, store_release_cb cb, void *arg,
			 gw_error *err)
{
	struct sqlite_store *s = to_sqlite(st);
	sqlite3_stmt *stmt = NULL;
	struct store_release r;
	int src, rc;

	rc = sqls_prepare(s->db,
			  "SELECT " RELEASE_COLUMNS " FROM releases"
			  " WHERE ?1 IS NULL OR id IN (SELECT release_id FROM release_models"
			  "                            WHERE model = ?1)"
			  " ORDER BY added_at, rowid",
			  &stmt, err);
	if (rc)
		return rc;
	sqls_bind_text(stmt, 1, model);
	while ((src = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (read_release_row(stmt, &r)) {
			rc = gw_fail(err, GW_E_PARSE, "store: malformed release row");
			goto out;
		}
		if ((rc = read_models(s->db, &r, err)))
			goto out;
		if ((rc = cb(&r, arg)))
			goto out;
	}
	if (src != SQLITE_DONE)
		rc = sqls_fail(s->db, sqlite3_extended_errcode(s->db), err, "listing releases");
out:
	sqlite3_finalize(stmt);
	return rc;
}

/* One row of the boot list's join into b; a new release starts when the id is
 * not b's. GW_E_PARSE for a malformed row or more than STORE_BOOT_FILES_MAX files. */
static int read_boot_row(sqlite3_stmt *stmt, const char *id, struct store_release_boot *b)
{
	struct store_boot_file *f;

	if (strcmp(id, b->id)) {
		memset(b, 0, sizeof(*b));
		memcpy(b->id, id, sizeof(b->id));
		if (sqls_col_text(stmt, 1, b->version, sizeof(b->version)) ||
		    sqls_col_text(stmt, 2, b->manifest_sha256, sizeof(b->manifest_sha256)) ||
		    sqls_col_text(stmt, 3, b->bundle_path, sizeof(b->bundle_path)))
			return GW_E_PARSE;
		b->known = sqlite3_column_int(stmt, 4) != 0;
	}
	if (sqlite3_column_type(stmt, 5) == SQLITE_NULL)
		return 0;
	if (!b->known || b->n == STORE_BOOT_FILES_MAX ||
	    sqlite3_column_type(stmt, 6) != SQLITE_BLOB ||
	    sqlite3_column_bytes(stmt, 6) != STORE_HASH_LEN)
		return GW_E_PARSE;
	f = &b->files[b->n];
	if (sqls_col_text(stmt, 5, f->path, sizeof(f->path)))
		return GW_E_PARSE;
	memcpy(f->sha256, sqlite3_column_blob(stmt, 6), STORE_HASH_LEN);
	b->n++;
	return 0;
}

int sqls_op_release_boot_list(struct store *st, const char *model, store_release_boot_cb cb,
			      void *arg, gw_error *err)
{
	struct sqlite_store *s = to_sqlite(st);
	sqlite3_stmt *stmt = NULL;
	struct store_release_boot *b = calloc(1, sizeof(*b));
	char id[STORE_RELEASE_ID_LEN + 1];
	int src, rc;

	if (!b)
		return GW_E_NOMEM;
	/* One release's rows are adjacent: ordered by the release, then its files as
	 * added (the manifest's order). */
	rc = sqls_prepare(s->db,
			  "SELECT r.id, r.version, r.manifest_sha256, r.bundle_path,"
			  "       k.release_id IS NOT NULL, f.path, f.sha256"
			  " FROM releases r"
			  " LEFT JOIN release_boot_read k ON k.release_id = r.id"
			  " LEFT JOIN release_boot_files f ON f.release_id = r.id"
			  " WHERE ?1 IS NULL OR r.id IN (SELECT release_id FROM release_models"
			  "                              WHERE model = ?1)"
			  " ORDER BY r.added_at, r.rowid, f.rowid",
			  &stmt, err);
	if (rc)
		goto out;
	sqls_bind_text(stmt, 1, model);
	while ((src = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (sqls_col_text(stmt, 0, id, sizeof(id))) {
			rc = gw_fail(err, GW_E_PARSE, "store: malformed release row");
			goto out;
		}
		/* The release before goes out when the first row of the next comes. */
		if (b->id[0] && strcmp(id, b->id) && (rc = cb(b, arg)))
			goto out;
		if (read_boot_row(stmt, id, b)) {
			rc = gw_fail(err, GW_E_PARSE, "store: release %s: malformed boot files",
				     id);
			goto out;
		}
	}
	if (src != SQLITE_DONE)
		rc = sqls_fail(s->db, sqlite3_extended_errcode(s->db), err,
			       "listing releases' boot files");
	else if (b->id[0])
		rc = cb(b, arg);
out:
	sqlite3_finalize(stmt);
	free(b);
	return rc;
}

int sqls_op_release_boot_put(struct store *st, const char *id,
			     const struct store_boot_file *files, size_t n, gw_error *err)
{
	struct sqlite_store *s = to_sqlite(st);
	sqlite3_stmt *stmt = NULL;
	bool stored = false;
	int src, rc = sqls_tx_open(s, err);

	if (rc)
		return rc;
	/* Under the write lock: a worker that lost the race finds them stored. */
	rc = sqls_prepare(s->db, "SELECT EXISTS (SELECT 1 FROM release_boot_read"
				 "               WHERE release_id = ?1)"
				 " FROM releases WHERE id = ?1", &stmt, err);
	if (rc)
		goto out;
	sqls_bind_text(stmt, 1, id);
	src = sqlite3_step(stmt);
	if (src == SQLITE_DONE)
		rc = gw_fail(err, GW_E_NOTFOUND, "no release '%s'", id);
	else if (src != SQLITE_ROW)
		rc = sqls_fail(s->db, sqlite3_extended_errcode(s->db), err, "reading a release");
	else
		stored = sqlite3_column_int(stmt, 0) != 0;
	sqlite3_finalize(stmt);
	if (rc == 0 && !stored)
		rc = insert_boot(s->db, id, files, n, "bundle", err);
out:
	return sqls_tx_close(s, rc, err);
}

/* GW_E_STATE (err says why) when `what` may not be applied to the release's flags. */
static int change_allowed(sqlite3 *db, const char *id, enum store_release_change what,
			  gw_error *err)
{
	sqlite3_stmt *stmt = NULL;
	int src, rc = sqls_prepare(db, "SELECT withdrawn, requires_approval, approved"
				   " FROM releases WHERE id = ?", &stmt, err);

	if (rc)
		return rc;
	sqls_bind_text(stmt, 1, id);
	src = sqlite3_step(stmt);
	if (src == SQLITE_DONE)
		rc = gw_fail(err, GW_E_NOTFOUND, "no release '%s'", id);
	else if (src != SQLITE_ROW)
		rc = sqls_fail(db, sqlite3_extended_errcode(db), err, "reading a release");
	else if (sqlite3_column_int(stmt, 0))
		rc = gw_fail(err, GW_E_STATE, "release %s is withdrawn (final)", id);
	else if (what == STORE_REL_APPROVE && !sqlite3_column_int(stmt, 1))
		rc = gw_fail(err, GW_E_STATE, "release %s does not require approval", id);
	else if (what == STORE_REL_APPROVE && sqlite3_column_int(stmt, 2))
		rc = gw_fail(err, GW_E_STATE, "release %s is approved already", id);
	sqlite3_finalize(stmt);
	return rc;
}

int sqls_op_release_change(struct store *st, const char *id, enum store_release_change what,
			   unsigned value, const struct store_audit *audit, gw_error *err)
{
	static const char *const sql[] = {
		[STORE_REL_APPROVE] = "UPDATE releases SET approved = 1 WHERE id = ?1",
		[STORE_REL_WITHDRAW] = "UPDATE releases SET withdrawn = 1 WHERE id = ?1",
		[STORE_REL_ROLLOUT] = "UPDATE releases SET rollout = ?2 WHERE id = ?1",
	};
	struct sqlite_store *s = to_sqlite(st);
	sqlite3_stmt *stmt = NULL;
	int rc = sqls_tx_open(s, err);

	if (rc)
		return rc;
	/* Checked under the write lock, so two operators cannot both pass. */
	rc = change_allowed(s->db, id, what, err);
	if (rc == 0)
		rc = sqls_prepare(s->db, sql[what], &stmt, err);
	if (rc == 0) {
		sqls_bind_text(stmt, 1, id);
		if (what == STORE_REL_ROLLOUT)
			sqlite3_bind_int(stmt, 2, (int)value);
		rc = sqls_step_done(s->db, stmt, err, "changing a release");
	}
	if (rc == 0)
		rc = sqls_maybe_audit(s->db, audit, err);
	return sqls_tx_close(s, rc, err);
}

int sqls_op_device_set_channel(struct store *st, const char *id, const char *channel,
			       const struct store_audit *audit, gw_error *err)
{
	struct sqlite_store *s = to_sqlite(st);
	sqlite3_stmt *stmt = NULL;
	int rc = sqls_tx_open(s, err);

	if (rc)
		return rc;
	rc = sqls_prepare(s->db, "UPDATE devices SET channel = ? WHERE id = ?", &stmt, err);
	if (rc)
		goto out;
	sqls_bind_text(stmt, 1, channel);
	sqls_bind_text(stmt, 2, id);
	rc = sqls_step_done(s->db, stmt, err, "setting a device's channel");
	if (rc == 0 && sqlite3_changes(s->db) == 0)
		rc = gw_fail(err, GW_E_NOTFOUND, "device %s is not enrolled", id);
	if (rc == 0)
		rc = sqls_maybe_audit(s->db, audit, err);
out:
	return sqls_tx_close(s, rc, err);
}
