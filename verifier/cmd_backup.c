// SPDX-License-Identifier: Apache-2.0
// gwverifier backup FILE: an online copy of the store (SQLite's backup API) while
// the verifier serves, written crash-safely and checked.
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: gwverifier backup [--config FILE] [--json] BACKUP\n\n"
		   "Copies the verifier's database into BACKUP while the verifier runs: one\n"
		   "consistent snapshot (SQLite's online backup; attestations go on), written to\n"
		   "a temporary file, checked (integrity_check), fsynced and renamed into place.\n"
		   "BACKUP is never overwritten. The copy is audited (store.backup). To restore:\n"
		   "doc/storage.md, \"Backup and restore\".\n\n"
		   "  --config FILE  verifier configuration (default " CLI_DEFAULT_CONFIG ")\n"
		   "  --json         {\"file\", \"bytes\", \"schema_version\", \"devices\", \"results\",\n"
		   "                 \"audit_records\", \"integrity\"}\n\n"
		   "Exit: 0 written, 1 failure (nothing left at BACKUP), 2 usage, 3 config,\n"
		   "5 BACKUP exists.\n");
}

static int parse_args(int argc, char **argv, const char **config, bool *json,
		      const char **file)
{
	int r = cli_parse_config_json(argc, argv, usage, 1, config, json);

	if (r < 0)
		*file = argv[optind];
	return r;
}

static void print_info(const char *file, const struct store_backup_info *in, bool json)
{
	json_object *o;

	if (!json) {
		printf("backup %s: %" PRIu64 " bytes, schema %" PRId64 ", %" PRIu64 " devices, %"
		       PRIu64 " results, %" PRIu64 " audit records, integrity ok\n",
		       file, in->bytes, in->schema_version, in->devices, in->results,
		       in->audit_records);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "file", json_object_new_string(file));
	json_object_object_add(o, "bytes", json_object_new_uint64(in->bytes));
	json_object_object_add(o, "schema_version", json_object_new_int64(in->schema_version));
	json_object_object_add(o, "devices", json_object_new_uint64(in->devices));
	json_object_object_add(o, "results", json_object_new_uint64(in->results));
	json_object_object_add(o, "audit_records", json_object_new_uint64(in->audit_records));
	json_object_object_add(o, "integrity", json_object_new_string("ok"));
	cli_json_print(o);
	json_object_put(o);
}

int cmd_backup(struct verifier_ctx *ctx, int argc, char **argv)
{
	const char *config = NULL, *file = NULL;
	struct store_backup_info info;
	struct store_audit a;
	struct store *st = NULL;
	gw_error err = { { 0 } };
	char actor[96], detail[PATH_MAX + 64];
	json_object *d;
	bool json = false;
	int rc, status;

	status = parse_args(argc, argv, &config, &json, &file);
	if (status >= 0)
		return status;
	if (cli_actor(actor, sizeof(actor))) {
		verifier_errorf(ctx, "backup: cannot name the operator");
		return GW_EXIT_ERROR;
	}
	status = cli_open_store(ctx, config, &st);
	if (status != GW_EXIT_OK)
		return status;
	rc = store_backup(st, file, &info, &err);
	if (rc) {
		verifier_errorf(ctx, "%s", gw_error_msg(&err, rc));
		status = rc == GW_E_EXISTS ? GW_EXIT_STATE : GW_EXIT_ERROR;
		goto out;
	}
	/* Recorded after the copy, so the copy does not hold it. */
	d = json_object_new_object();
	json_object_object_add(d, "file", json_object_new_string(file));
	json_object_object_add(d, "bytes", json_object_new_uint64(info.bytes));
	snprintf(detail, sizeof(detail), "%s",
		 json_object_to_json_string_ext(d, JSON_C_TO_STRING_PLAIN |
							   JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(d);
	a = (struct store_audit){ .ts = cli_now(), .actor = actor, .action = "store.backup",
				  .outcome = "ok", .detail = detail };
	rc = store_audit_append(st, &a, NULL, &err);
	if (rc) {
		verifier_errorf(ctx, "backup: written, but not audited: %s", gw_error_msg(&err, rc));
		status = GW_EXIT_ERROR;
		goto out;
	}
	print_info(file, &info, json);
out:
	store_close(st);
	return status;
}
