// SPDX-License-Identifier: Apache-2.0
// The SQLite store's device_updates table: per device, what its last authentic
// agent log said of its updates and the last outcome record audited.
#include <string.h>

#include "store_sqlite_int.h"

/* Each event is four columns (manifest, release, version, security version); the
 * outcome adds its kind before and its time after. */
#define DU_COLS                                                                          \
	"running_manifest, running_release, running_version, running_security_version,"  \
	" trial_manifest, trial_release, trial_version, trial_security_version,"         \
	" outcome_manifest, outcome_release, outcome_version, outcome_security_version,"  \
	" outcome_kind, outcome_at, reset_count, position, ignored, judged_counter, updated"

static void bind_event(sqlite3_stmt *stmt, int col, const struct store_update_event *e)
{
	sqls_bind_text(stmt, col, e->present ? e->manifest_sha256 : NULL);
	sqls_bind_text(stmt, col + 1, e->present && e->release_id[0] ? e->release_id : NULL);
	sqls_bind_text(stmt, col + 2, e->present ? e->version : NULL);
	if (e->present && e->has_security_version)
		sqlite3_bind_int64(stmt, col + 3, (int64_t)e->security_version);
	else
		sqlite3_bind_null(stmt, col + 3);
}

static int col_event(sqlite3_stmt *stmt, int col, struct store_update_event *e)
{
	memset(e, 0, sizeof(*e));
	if (sqlite3_column_type(stmt, col) == SQLITE_NULL)
		return 0;
	e->present = true;
	if (sqls_col_text(stmt, col, e->manifest_sha256, sizeof(e->manifest_sha256)) ||
	    sqls_col_text(stmt, col + 1, e->release_id, sizeof(e->release_id)) ||
	    sqls_col_text(stmt, col + 2, e->version, sizeof(e->version)))
		return GW_E_PARSE;
	if (sqlite3_column_type(stmt, col + 3) != SQLITE_NULL) {
		e->has_security_version = true;
		e->security_version = (uint64_t)sqlite3_column_int64(stmt, col + 3);
	}
	return 0;
}

static int row_update(sqlite3_stmt *stmt, int first, struct store_device_update *u)
{
	memset(u, 0, sizeof(*u));
	if (col_event(stmt, first, &u->running) || col_event(stmt, first + 4, &u->trial) ||
	    col_event(stmt, first + 8, &u->outcome) ||
	    sqls_col_text(stmt, first + 12, u->outcome.kind, sizeof(u->outcome.kind)))
		return GW_E_PARSE;
	if (u->running.present)
		memcpy(u->running.kind, "running", sizeof("running"));
	if (u->trial.present)
		memcpy(u->trial.kind, "staged", sizeof("staged"));
	u->outcome.at = sqlite3_column_int64(stmt, first + 13);
	u->reset_count = (uint32_t)sqlite3_column_int64(stmt, first + 14);
	u->position = (uint64_t)sqlite3_column_int64(stmt, first + 15);
	u->ignored = (uint64_t)sqlite3_column_int64(stmt, first + 16);
	if (sqlite3_column_type(stmt, first + 17) != SQLITE_NULL) {
		u->has_judged_counter = true;
		u->judged_counter = (uint64_t)sqlite3_column_int64(stmt, first + 17);
	}
	u->updated = sqlite3_column_int64(stmt, first + 18);
	return 0;
}

int sqls_op_device_update_get(struct store *st, const char *device_id,
			      struct store_device_update *out, gw_error *err)
{
	struct sqlite_store *s = to_sqlite(st);
	sqlite3_stmt *stmt = NULL;
	int src, rc = sqls_prepare(s->db, "SELECT " DU_COLS " FROM device_updates"
				   " WHERE device_id = ?", &stmt, err);

	if (rc)
		return rc;
	sqls_bind_text(stmt, 1, device_id);
	src = sqlite3_step(stmt);
	if (src == SQLITE_DONE)
		rc = GW_E_NOTFOUND;
	else if (src != SQLITE_ROW)
		rc = sqls_fail(s->db, sqlite3_extended_errcode(s->db), err, "reading update state");
	else if (row_update(stmt, 0, out))
		rc = gw_fail(err, GW_E_PARSE, "store: update state of %s: malformed row",
			     device_id);
	sqlite3_finalize(stmt);
	return rc;
}

int sqls_op_device_update_put(struct store *st, const char *device_id,
			      const struct store_device_update *u, gw_error *err)
{
	struct sqlite_store *s = to_sqlite(st);
	sqlite3_stmt *stmt = NULL;
	int rc = sqls_tx_open(s, err);

	if (rc)
		return rc;
	rc = sqls_device_id_free(s->db, device_id, err);
	if (rc == 0)
		rc = gw_fail(err, GW_E_NOTFOUND, "no device %s", device_id);
	else if (rc == GW_E_EXISTS)
		rc = sqls_prepare(s->db, "INSERT OR REPLACE INTO device_updates (device_id, "
				  DU_COLS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
				  " ?, ?, ?, ?, ?, ?)", &stmt, err);
	if (!rc) {
		sqls_bind_text(stmt, 1, device_id);
		bind_event(stmt, 2, &u->running);
		bind_event(stmt, 6, &u->trial);
		bind_event(stmt, 10, &u->outcome);
		sqls_bind_text(stmt, 14, u->outcome.present ? u->outcome.kind : NULL);
		if (u->outcome.present)
			sqlite3_bind_int64(stmt, 15, u->outcome.at);
		else
			sqlite3_bind_null(stmt, 15);
		sqlite3_bind_int64(stmt, 16, u->reset_count);
		sqlite3_bind_int64(stmt, 17, (int64_t)u->position);
		sqlite3_bind_int64(stmt, 18, (int64_t)u->ignored);
		if (u->has_judged_counter)
			sqlite3_bind_int64(stmt, 19, (int64_t)u->judged_counter);
		else
			sqlite3_bind_null(stmt, 19);
		sqlite3_bind_int64(stmt, 20, u->updated);
		rc = sqls_step_done(s->db, stmt, err, "recording update state");
	}
	return sqls_tx_close(s, rc, err);
}

int sqls_op_device_update_list(struct store *st, store_device_update_cb cb, void *arg,
			       gw_error *err)
{
	struct sqlite_store *s = to_sqlite(st);
	sqlite3_stmt *stmt = NULL;
	struct store_device_update u;
	char id[STORE_ID_MAX + 1];
	int src, rc = sqls_prepare(s->db, "SELECT device_id, " DU_COLS " FROM device_updates"
				   " ORDER BY device_id", &stmt, err);

	if (rc)
		return rc;
	while ((src = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (sqls_col_text(stmt, 0, id, sizeof(id)) || row_update(stmt, 1, &u)) {
			rc = gw_fail(err, GW_E_PARSE, "store: update state: malformed row");
			break;
		}
		rc = cb(id, &u, arg);
		if (rc)
			break;
	}
	if (!rc && src != SQLITE_DONE && src != SQLITE_ROW)
		rc = sqls_fail(s->db, sqlite3_extended_errcode(s->db), err, "listing update state");
	sqlite3_finalize(stmt);
	return rc;
}
