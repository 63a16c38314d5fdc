// SPDX-License-Identifier: Apache-2.0
// gwverifier audit verify --archive FILE...: each archive checked, the archives
// chained to each other in the given order from the genesis, and with a
// configuration the store's anchor and kept chain continuing from the last one.
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "audit_archive.h"
#include "cli.h"
#include "cmd_audit.h"

/* The last archive ends where the store's kept chain begins, and that chain is
 * intact and proven from its anchor. Exit code. */
static int against_store(const struct verifier_ctx *ctx, const char *config, const char *path,
			 const struct audit_archive_summary *sum)
{
	struct store_audit_anchor anchor;
	struct store *st = NULL;
	gw_error err = { { 0 } };
	int rc, status = cli_open_store(ctx, config, &st);

	if (status != GW_EXIT_OK)
		return status;
	rc = store_audit_anchor_get(st, &anchor, &err);
	if (rc) {
		verifier_errorf(ctx, "audit verify: %s", gw_error_msg(&err, rc));
		status = cli_exit_for(rc);
	} else if (anchor.seq != sum->last_seq) {
		verifier_errorf(ctx, "the store's anchor is at seq %" PRIu64 ", not at the end of %s "
				     "(seq %" PRIu64 "): %s",
				anchor.seq, path, sum->last_seq,
				anchor.seq > sum->last_seq ? "a later archive is missing"
							   : "it is not from this store's last export");
		status = GW_EXIT_ERROR;
	} else if (!gw_ct_equal(anchor.hash, sum->anchor_hash, STORE_HASH_LEN)) {
		verifier_errorf(ctx, "the store's anchor at seq %" PRIu64 " differs from the "
				     "archive's (%s): one of them was altered", anchor.seq, path);
		status = GW_EXIT_ERROR;
	} else {
		printf("the store's records continue from %s (anchor seq %" PRIu64 ")\n", path,
		       anchor.seq);
		status = cmd_audit_verify_store(ctx, st);
	}
	store_close(st);
	return status;
}

/* Does cur continue prev (or, first, start at the genesis)? Exit code. */
static int chained(const struct verifier_ctx *ctx, const char *prev_path,
		   const struct audit_archive_summary *prev, const char *path,
		   const struct audit_archive_summary *cur)
{
	static const uint8_t genesis[STORE_HASH_LEN];

	if (!prev) {
		if (cur->first_seq == 1 && gw_ct_equal(cur->prev_hash, genesis, STORE_HASH_LEN))
			return GW_EXIT_OK;
		verifier_errorf(ctx, "%s starts at seq %" PRIu64 ", not at the chain's genesis "
				     "(seq 1): an earlier archive is missing (--no-genesis: the "
				     "chain from this one on)", path, cur->first_seq);
		return GW_EXIT_ERROR;
	}
	if (cur->first_seq == prev->last_seq + 1 &&
	    gw_ct_equal(cur->prev_hash, prev->anchor_hash, STORE_HASH_LEN))
		return GW_EXIT_OK;
	if (cur->first_seq != prev->last_seq + 1)
		verifier_errorf(ctx, "%s starts at seq %" PRIu64 " but %s ends at seq %" PRIu64
				     ": an archive is missing, repeated or out of order",
				path, cur->first_seq, prev_path, prev->last_seq);
	else
		verifier_errorf(ctx, "%s does not chain from %s: its first record's predecessor "
				     "hash is not that archive's anchor (one of them was altered "
				     "or they are from different stores)", path, prev_path);
	return GW_EXIT_ERROR;
}

int cmd_audit_verify_archives(const struct verifier_ctx *ctx, const char *config,
			      const char *const *paths, size_t n, bool from_genesis)
{
	struct audit_archive_summary sum, prev = { 0 };
	char prev_hex[2 * STORE_HASH_LEN + 1], anchor[2 * STORE_HASH_LEN + 1];
	gw_error err = { { 0 } };
	uint64_t records = 0;
	int rc, status = GW_EXIT_OK;

	for (size_t i = 0; i < n && status == GW_EXIT_OK; i++) {
		rc = audit_archive_check_file(paths[i], &sum, &err);
		if (rc) {
			verifier_errorf(ctx, "archive %s broken: %s", paths[i], gw_error_msg(&err, rc));
			return GW_EXIT_ERROR;
		}
		gw_hex_encode(sum.prev_hash, STORE_HASH_LEN, prev_hex);
		gw_hex_encode(sum.anchor_hash, STORE_HASH_LEN, anchor);
		printf("archive %s intact: %" PRIu64 " records, seq %" PRIu64 "-%" PRIu64
		       ", chained from %s, anchor %s\n",
		       paths[i], sum.count, sum.first_seq, sum.last_seq, prev_hex, anchor);
		if (i > 0 || from_genesis)
			status = chained(ctx, i ? paths[i - 1] : NULL, i ? &prev : NULL, paths[i],
					 &sum);
		records += sum.count;
		prev = sum;
	}
	if (status != GW_EXIT_OK)
		return status;
	printf("%zu archive%s chained: seq %" PRIu64 "-%" PRIu64 ", %" PRIu64 " records%s\n", n,
	       n == 1 ? "" : "s", prev.last_seq - records + 1, prev.last_seq, records,
	       from_genesis ? ", from the genesis" : "");
	return config ? against_store(ctx, config, paths[n - 1], &prev) : GW_EXIT_OK;
}
