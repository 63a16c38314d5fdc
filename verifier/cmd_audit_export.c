// SPDX-License-Identifier: Apache-2.0
// gwverifier audit export --before DATE FILE: archive the oldest audit records
// with their chain anchor and remove them from the store (audit_export.c), and
// report what went.
#include <inttypes.h>
#include <stdio.h>
#include <sys/stat.h>

#include <json-c/json.h>

#include "audit_export.h"
#include "cli.h"
#include "cmd_audit.h"

static void export_report(const char *path, const struct audit_export_result *x, bool json)
{
	char hex[2 * STORE_HASH_LEN + 1];
	json_object *o;

	gw_hex_encode(x->anchor, STORE_HASH_LEN, hex);
	if (!json) {
		if (x->count)
			printf("%" PRIu64 " audit records (seq %" PRIu64 "-%" PRIu64 ") archived to "
			       "%s and removed; anchor %s\n",
			       x->count, x->first_seq, x->last_seq, path, hex);
		else
			printf("no audit records before that time: nothing exported\n");
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "file", x->count ? json_object_new_string(path) : NULL);
	json_object_object_add(o, "count", json_object_new_uint64(x->count));
	json_object_object_add(o, "first_seq", json_object_new_uint64(x->count ? x->first_seq : 0));
	json_object_object_add(o, "last_seq", json_object_new_uint64(x->last_seq));
	json_object_object_add(o, "anchor", x->count ? json_object_new_string(hex) : NULL);
	cli_json_print(o);
	json_object_put(o);
}

int cmd_audit_export(const struct verifier_ctx *ctx, const char *config, const char *before_s,
		     const char *path, bool json)
{
	struct audit_export_result x;
	struct store *st = NULL;
	struct stat sb;
	gw_error err = { { 0 } };
	char actor[96];
	int64_t before;
	int rc, status;

	if (cli_time_parse(before_s, &before)) {
		verifier_errorf(ctx, "--before: expected a UTC time like 2026-11-24T10:00:00Z, "
				     "got '%s'", before_s);
		return GW_EXIT_USAGE;
	}
	/* Early, before any work; the export's final step refuses atomically too. */
	if (lstat(path, &sb) == 0) {
		verifier_errorf(ctx, "audit export: %s exists; an archive is never overwritten", path);
		return GW_EXIT_STATE;
	}
	if (cli_actor(actor, sizeof(actor))) {
		verifier_errorf(ctx, "audit export: cannot name the operator");
		return GW_EXIT_ERROR;
	}
	status = cli_open_store(ctx, config, &st);
	if (status != GW_EXIT_OK)
		return status;
	rc = audit_export_file(st, path, before, 0, cli_now(), actor, &x, &err);
	if (rc == GW_E_EXISTS) {
		verifier_errorf(ctx, "audit export: %s exists; an archive is never overwritten "
				     "(nothing exported)", path);
		status = GW_EXIT_STATE;
	} else if (rc) {
		verifier_errorf(ctx, "audit export: %s%s", gw_error_msg(&err, rc),
				x.written ? " (the archive was written; its records are still in "
					    "the store)" : "");
		status = rc == GW_E_STATE ? GW_EXIT_STATE : cli_exit_for(rc);
	} else {
		export_report(path, &x, json);
	}
	store_close(st);
	return status;
}
