// SPDX-License-Identifier: Apache-2.0
// Retention: the configured rule for attestation results, each batch deleted with
// its audit record, and the unattended archiving of old audit records.
#include "retention.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit_export.h"
#include "util.h"

/* One batch and its record, committed together: no deletion without its record. */
static int prune_batch(struct store *st, unsigned keep_results, unsigned keep_failed_days,
		       int64_t now, const char *actor, uint64_t *n, gw_error *err)
{
	int64_t since = now - (int64_t)keep_failed_days * 86400;
	struct store_audit a;
	char detail[160];
	int rc = store_begin(st, err);

	if (rc)
		return rc;
	rc = store_result_prune_batch(st, keep_results, since, n, err);
	if (!rc && *n) {
		if (gw_snprintf(detail, sizeof(detail),
				"{\"deleted\":%llu,\"keep_results\":%u,\"keep_failed_days\":%u}",
				(unsigned long long)*n, keep_results, keep_failed_days))
			rc = gw_fail(err, GW_E_TOOBIG, "retention: the audit detail is too long");
		a = (struct store_audit){ .ts = now, .actor = actor, .action = "results.prune",
					  .outcome = "ok", .detail = detail };
		if (!rc)
			rc = store_audit_append(st, &a, NULL, err);
	}
	if (!rc)
		return store_commit(st, err);
	store_rollback(st);
	return rc;
}

int retention_prune(struct store *st, unsigned keep_results, unsigned keep_failed_days,
		    int64_t now, const char *actor, struct retention_prune_round *round,
		    gw_error *err)
{
	uint64_t n;
	int rc;

	round->deleted = 0;
	round->stopped = false;
	if (keep_results == 0)
		return gw_fail(err, GW_E_INVAL, "retention: keep at least one result per device");
	for (;;) {
		n = 0;
		rc = prune_batch(st, keep_results, keep_failed_days, now, actor, &n, err);
		if (rc)
			return rc;
		round->deleted += n;
		if (n < STORE_PRUNE_BATCH)
			return 0;
		/* Each batch scans the whole table under the write lock: serve bounds it. */
		if (round->stop && round->stop(round->stop_arg)) {
			round->stopped = true;
			return 0;
		}
	}
}

int retention_archive_audit(struct store *st, unsigned keep_days, const char *dir, int64_t now,
			    const char *actor, struct audit_export_round *round, gw_error *err)
{
	round->files = round->records = 0;
	if (keep_days == 0)
		return gw_fail(err, GW_E_INVAL, "retention: keep audit records at least one day");
	return audit_export_round(st, dir, now - (int64_t)keep_days * 86400, now, actor, round,
				  err);
}

int retention_check_archive_dir(const char *dir, gw_error *err)
{
	struct stat sb;

	if (stat(dir, &sb))
		return gw_fail(err, GW_E_CONFIG, "[retention] audit_archive_dir %s: %s (create it: "
				 "owned by the verifier's user, mode 2770 or stricter)", dir,
			       strerror(errno));
	if (!S_ISDIR(sb.st_mode))
		return gw_fail(err, GW_E_CONFIG, "[retention] audit_archive_dir %s is not a "
				 "directory", dir);
	if (sb.st_mode & S_IWOTH)
		return gw_fail(err, GW_E_CONFIG, "[retention] audit_archive_dir %s may be written "
				 "by others (mode %04o): anyone could remove or plant archives "
				 "(chmod o-w %s)", dir, (unsigned)(sb.st_mode & 07777), dir);
	if (access(dir, W_OK | X_OK))
		return gw_fail(err, GW_E_CONFIG, "[retention] audit_archive_dir %s: not writable "
				 "by this user: %s", dir, strerror(errno));
	return 0;
}
