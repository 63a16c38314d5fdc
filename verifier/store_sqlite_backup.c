// SPDX-License-Identifier: Apache-2.0
// SQLite store: an online backup into a new file (sqlite3_backup_*), checked,
// fsynced and moved into place (never over an existing file).
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store_sqlite_int.h"

/* The copy is whole: integrity_check says "ok", and what it holds. */
static int check_copy(sqlite3 *db, struct store_backup_info *info, gw_error *err)
{
	sqlite3_stmt *stmt = NULL;
	const unsigned char *res;
	uint64_t v = 0, pages = 0, page_size = 0;
	int rc = sqls_prepare(db, "PRAGMA integrity_check", &stmt, err);

	if (rc)
		return rc;
	if (sqlite3_step(stmt) != SQLITE_ROW)
		rc = sqls_fail(db, sqlite3_extended_errcode(db), err, "checking the copy");
	else if (!(res = sqlite3_column_text(stmt, 0)) || strcmp((const char *)res, "ok"))
		rc = gw_fail(err, GW_E_PARSE, "backup: the copy fails its integrity check: %s",
			     res ? (const char *)res : "?");
	sqlite3_finalize(stmt);
	if (rc || (rc = sqls_query_u64(db, "PRAGMA user_version", &v, err)) ||
	    (rc = sqls_query_u64(db, "PRAGMA page_count", &pages, err)) ||
	    (rc = sqls_query_u64(db, "PRAGMA page_size", &page_size, err)) ||
	    (rc = sqls_query_u64(db, "SELECT count(*) FROM devices", &info->devices, err)) ||
	    (rc = sqls_query_u64(db, "SELECT count(*) FROM results", &info->results, err)) ||
	    (rc = sqls_query_u64(db, "SELECT count(*) FROM audit_log", &info->audit_records, err)))
		return rc;
	info->schema_version = (int64_t)v;
	info->bytes = pages * page_size;
	return 0;
}

/* Copy src into the new file tmp in one step: one read snapshot, so a writer
 * cannot make it start over, and writers in other connections carry on (WAL). */
static int copy_into(sqlite3 *src, const char *tmp, struct store_backup_info *info,
		     gw_error *err)
{
	sqlite3 *dst = NULL;
	sqlite3_backup *b;
	int s, rc;

	s = sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL);
	if (s != SQLITE_OK) {
		rc = gw_fail(err, GW_E_IO, "backup: opening %s: %s", tmp,
			     dst ? sqlite3_errmsg(dst) : sqlite3_errstr(s));
		goto out;
	}
	sqlite3_busy_timeout(dst, 5000);
	b = sqlite3_backup_init(dst, "main", src, "main");
	if (!b) {
		rc = sqls_fail(dst, sqlite3_extended_errcode(dst), err, "starting the backup");
		goto out;
	}
	do {
		s = sqlite3_backup_step(b, -1);
		if (s == SQLITE_BUSY || s == SQLITE_LOCKED)
			sqlite3_sleep(20);
	} while (s == SQLITE_OK || s == SQLITE_BUSY || s == SQLITE_LOCKED);
	sqlite3_backup_finish(b);
	if (s != SQLITE_DONE) {
		rc = sqls_fail(dst, s, err, "copying the database");
		goto out;
	}
	rc = check_copy(dst, info, err);
out:
	/* Closing the last connection folds a WAL of the copy into its file. */
	if (dst && sqlite3_close(dst) != SQLITE_OK && !rc)
		rc = gw_fail(err, GW_E_IO, "backup: closing %s", tmp);
	return rc;
}

int sqls_op_backup(struct store *st, const char *path, struct store_backup_info *info,
		   gw_error *err)
{
	struct sqlite_store *s = to_sqlite(st);
	struct store_backup_info mine;
	struct stat sb;
	char tmp[PATH_MAX] = "";
	int fd = -1, rc;

	if (!info)
		info = &mine;
	memset(info, 0, sizeof(*info));
	if (s->in_group)
		return gw_fail(err, GW_E_STATE, "store: backup inside a transaction");
	if (lstat(path, &sb) == 0)
		return gw_fail(err, GW_E_EXISTS, "backup: %s exists; a backup never overwrites",
			       path);
	rc = gw_open_tmp(path, 0600, tmp, sizeof(tmp), &fd, err);
	if (rc)
		return rc;
	close(fd);
	rc = copy_into(s->db, tmp, info, err);
	if (rc)
		goto out;
	fd = open(tmp, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fsync(fd)) {
		rc = gw_fail(err, GW_E_IO, "backup: %s: %s", tmp, strerror(errno));
		goto out;
	}
	/* No replace, atomically: a file or symlink put at path since the check
	 * above stays, and the copy goes. */
	rc = gw_link_durable(tmp, path, err);
	if (rc == GW_E_EXISTS)
		rc = gw_fail(err, rc, "backup: %s exists; a backup never overwrites", path);
out:
	if (fd >= 0)
		close(fd);
	if (rc) {
		static const char *const sfx[] = { "", "-wal", "-shm", "-journal" };
		char p[PATH_MAX + 16];

		for (size_t i = 0; i < GW_ARRAY_SIZE(sfx); i++)
			if (gw_snprintf(p, sizeof(p), "%s%s", tmp, sfx[i]) == 0)
				(void)unlink(p);
	}
	return rc;
}
