// SPDX-License-Identifier: Apache-2.0
// The store's upkeep, backend-independent part: retention of results, the
// database's size, VACUUM, online backup and the audit archive anchor.
#include <stdint.h>

#include "store_impl.h"

int store_result_prune_batch(struct store *st, unsigned keep, int64_t failed_since,
			     uint64_t *deleted, gw_error *err)
{
	if (deleted)
		*deleted = 0;
	if (keep == 0)
		return gw_fail(err, GW_E_INVAL, "retention: keep at least one result per device");
	return st->ops->result_prune(st, keep, failed_since, deleted, err);
}

int store_result_prune(struct store *st, unsigned keep, int64_t failed_since,
		       uint64_t *deleted, gw_error *err)
{
	uint64_t total = 0, n;
	int rc;

	do {
		n = 0;
		rc = store_result_prune_batch(st, keep, failed_since, &n, err);
		total += n;
	} while (!rc && n == STORE_PRUNE_BATCH);
	if (deleted)
		*deleted = total;
	return rc;
}

int store_size(struct store *st, uint64_t *results, uint64_t *bytes, uint64_t *free_bytes,
	       gw_error *err)
{
	return st->ops->size(st, results, bytes, free_bytes, err);
}

int store_audit_anchor_get(struct store *st, struct store_audit_anchor *out, gw_error *err)
{
	if (!out)
		return gw_fail(err, GW_E_INVAL, "anchor is missing");
	return st->ops->audit_anchor_get(st, out, err);
}

int store_audit_archive(struct store *st, uint64_t upto, int64_t now, gw_error *err)
{
	if (upto == 0 || upto > INT64_MAX)
		return gw_fail(err, GW_E_INVAL, "audit archive: no record %llu",
			       (unsigned long long)upto);
	return st->ops->audit_archive(st, upto, now, err);
}

int store_backup(struct store *st, const char *path, struct store_backup_info *info,
		 gw_error *err)
{
	if (!path || !path[0])
		return gw_fail(err, GW_E_INVAL, "backup: no file");
	return st->ops->backup(st, path, info, err);
}

int store_vacuum(struct store *st, gw_error *err)
{
	return st->ops->vacuum(st, err);
}
