// SPDX-License-Identifier: Apache-2.0
// gwverifier audit [--since T] [--json] and audit verify: read the hash-chained audit
// log, for people or as JSON lines for a SIEM, and check the chain.
#include <getopt.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cli.h"
#include "cmd_audit.h"
#include "util.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: gwverifier audit [--since SEQ|TIME] [--json] [--config FILE]\n"
		   "       gwverifier audit verify [--config FILE]\n"
		   "       gwverifier audit verify --archive FILE [--archive FILE | FILE]...\n"
		   "                               [--no-genesis] [--config FILE]\n"
		   "       gwverifier audit export --before TIME FILE [--json] [--config FILE]\n\n"
		   "Lists the audit log in sequence order, or checks its hash chain (from the\n"
		   "anchor of the last export). export writes the records before TIME and the\n"
		   "chain anchor to FILE (JSON lines; never overwritten) and removes them from\n"
		   "the store in one transaction; verify --archive checks such files and that\n"
		   "each continues the one before it in the order given (name them in chain\n"
		   "order: audit-FIRST-LAST.jsonl names sort so), the first from the chain's\n"
		   "genesis (seq 1); with --config also that the store's anchor is the last\n"
		   "one's and its records are intact: the whole history up to now.\n\n"
		   "  --config FILE   verifier configuration (default " CLI_DEFAULT_CONFIG ")\n"
		   "  --since SEQ     records after sequence number SEQ\n"
		   "  --since TIME    records at or after TIME (UTC, 2026-11-24T10:00:00Z)\n"
		   "  --before TIME   export the records before TIME (UTC)\n"
		   "  --archive FILE  verify an archive written by export (repeatable; files after\n"
		   "                  'verify' are archives too: --archive DIR/audit-*.jsonl)\n"
		   "  --no-genesis    the first archive need not start at seq 1\n"
		   "  --json          one JSON object per line (for a SIEM); export: one summary\n"
		   "Exit: 0 listed / chain intact / exported, 1 chain or archive broken (the\n"
		   "first bad seq is named) or failure, 2 usage, 3 config, 5 FILE exists or the\n"
		   "chain to export is broken.\n");
}

struct list_ctx {
	bool json;
	bool by_time;
	int64_t since_ts;
	struct cli_table *t;
};

static int print_json_line(const struct store_audit_record *r)
{
	char t[CLI_TIME_LEN], h[2 * STORE_HASH_LEN + 1], ph[2 * STORE_HASH_LEN + 1];
	json_object *o = json_object_new_object(), *detail = NULL;

	if (!o)
		return GW_E_NOMEM;
	cli_time_format(r->a.ts, t);
	gw_hex_encode(r->hash, STORE_HASH_LEN, h);
	gw_hex_encode(r->prev_hash, STORE_HASH_LEN, ph);
	json_object_object_add(o, "seq", json_object_new_uint64(r->seq));
	json_object_object_add(o, "ts", json_object_new_string(t));
	json_object_object_add(o, "ts_epoch", json_object_new_int64(r->a.ts));
	json_object_object_add(o, "actor", cli_json_str(r->a.actor));
	json_object_object_add(o, "action", cli_json_str(r->a.action));
	json_object_object_add(o, "device", cli_json_str(r->a.device_id));
	json_object_object_add(o, "outcome", cli_json_str(r->a.outcome));
	if (r->a.detail) {
		/* Detail that is not JSON is passed on as a string, never dropped. */
		detail = cli_json_parse(r->a.detail);
		if (!detail)
			detail = json_object_new_string(r->a.detail);
	}
	json_object_object_add(o, "detail", detail);
	json_object_object_add(o, "hash", json_object_new_string(h));
	json_object_object_add(o, "prev_hash", json_object_new_string(ph));
	cli_json_print(o);
	json_object_put(o);
	return 0;
}

static int list_cb(const struct store_audit_record *r, void *arg)
{
	struct list_ctx *lc = arg;
	char seq[24], t[CLI_TIME_LEN];
	const char *row[6];

	if (lc->by_time && r->a.ts < lc->since_ts)
		return 0;
	if (lc->json)
		return print_json_line(r);
	snprintf(seq, sizeof(seq), "%llu", (unsigned long long)r->seq);
	cli_time_format(r->a.ts, t);
	row[0] = seq;
	row[1] = t;
	row[2] = r->a.actor;
	row[3] = r->a.action;
	row[4] = r->a.device_id;
	row[5] = r->a.outcome;
	return cli_table_add(lc->t, row);
}

/* The export that moved the anchor to where it is: an audit.export record of
 * the kept chain naming its last_seq and anchor hash. */
struct anchor_named {
	uint64_t seq;
	char hex[2 * STORE_HASH_LEN + 1];
};

#define ANCHOR_NAMED 1

static int find_anchor_export(const struct store_audit_record *r, void *arg)
{
	const struct anchor_named *a = arg;
	json_object *d, *v;
	bool named = false;

	if (strcmp(r->a.action, "audit.export") || !r->a.detail)
		return 0;
	d = cli_json_parse(r->a.detail);
	if (d && json_object_object_get_ex(d, "last_seq", &v) &&
	    json_object_is_type(v, json_type_int) && (uint64_t)json_object_get_int64(v) == a->seq &&
	    json_object_object_get_ex(d, "anchor", &v) && json_object_is_type(v, json_type_string))
		named = !strcmp(json_object_get_string(v), a->hex);
	json_object_put(d);
	return named ? ANCHOR_NAMED : 0;
}

/* The anchor is the verifier's own record of an export, not a row anyone with
 * the file could move: the kept chain (intact) must hold the audit.export record
 * that set it. */
static int anchor_proven(struct store *st, const struct store_audit_anchor *anchor, bool *proven,
			 gw_error *err)
{
	struct anchor_named a = { .seq = anchor->seq };
	int rc;

	gw_hex_encode(anchor->hash, STORE_HASH_LEN, a.hex);
	rc = store_audit_list(st, anchor->seq, find_anchor_export, &a, err);
	*proven = rc == ANCHOR_NAMED;
	return rc == ANCHOR_NAMED ? 0 : rc;
}

int cmd_audit_verify_store(const struct verifier_ctx *ctx, struct store *st)
{
	struct store_audit_anchor anchor;
	bool proven = false;
	uint64_t count = 0, bad = 0;
	gw_error err = { { 0 } };
	int rc;

	rc = store_audit_verify(st, &count, &bad, &err);
	if (rc) {
		verifier_errorf(ctx, "audit verify: the check could not run: %s",
				gw_error_msg(&err, rc));
		return cli_exit_for(rc);
	}
	if (bad) {
		verifier_errorf(ctx, "audit chain broken at seq %llu: %s",
				(unsigned long long)bad, gw_error_msg(&err, GW_E_STATE));
		return GW_EXIT_ERROR;
	}
	rc = store_audit_anchor_get(st, &anchor, &err);
	if (!rc && anchor.seq)
		rc = anchor_proven(st, &anchor, &proven, &err);
	if (rc) {
		verifier_errorf(ctx, "audit verify: %s", gw_error_msg(&err, rc));
		return cli_exit_for(rc);
	}
	if (anchor.seq && !proven) {
		verifier_errorf(ctx, "audit chain not proven: no audit.export record of the kept "
				     "chain names the anchor (seq %llu): it was not set by an export",
				(unsigned long long)anchor.seq);
		return GW_EXIT_ERROR;
	}
	if (anchor.seq)
		printf("audit chain intact: %llu records, from the anchor of the archived records "
		       "up to seq %llu\n",
		       (unsigned long long)count, (unsigned long long)anchor.seq);
	else
		printf("audit chain intact: %llu records\n", (unsigned long long)count);
	return GW_EXIT_OK;
}

struct audit_opts {
	const char *config, *since, *before;
	const char **archives; /* argc entries at most */
	size_t n_archives;
	bool json, verify, export, genesis;
};

/* Options into *o; -1 to go on, else the exit code. */
static int parse_args(int argc, char **argv, struct audit_opts *o)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "since", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "before", required_argument, NULL, 'b' },
		{ "archive", required_argument, NULL, 'a' },
		{ "no-genesis", no_argument, NULL, 'g' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': o->config = optarg; break;
		case 's': o->since = optarg; break;
		case 'j': o->json = true; break;
		case 'b': o->before = optarg; break;
		case 'a': o->archives[o->n_archives++] = optarg; break;
		case 'g': o->genesis = false; break;
		case 'h':
			usage(stdout);
			return GW_EXIT_OK;
		default:
			usage(stderr);
			return GW_EXIT_USAGE;
		}
	}
	if (optind < argc && !strcmp(argv[optind], "verify")) {
		o->verify = true;
		optind++;
	} else if (optind < argc && !strcmp(argv[optind], "export")) {
		o->export = true;
		optind++;
	}
	/* verify --archive A B C: the shell's glob after the first --archive. */
	if (o->verify && o->n_archives)
		while (optind < argc)
			o->archives[o->n_archives++] = argv[optind++];
	if (o->export ? optind + 1 != argc || !o->before || o->since || o->n_archives
		      : optind != argc || (o->verify && (o->since || o->json)) || o->before ||
			(o->n_archives && !o->verify) || (!o->genesis && !o->n_archives)) {
		usage(stderr);
		return GW_EXIT_USAGE;
	}
	return -1;
}

static int list(const struct verifier_ctx *ctx, struct store *st, const struct audit_opts *o)
{
	static const char *const headers[] = { "SEQ", "TIME", "ACTOR", "ACTION", "DEVICE",
					       "OUTCOME" };
	struct list_ctx lc = { .json = o->json };
	gw_error err = { { 0 } };
	uint64_t since_seq = 0;
	int rc, status = GW_EXIT_OK;

	if (o->since && gw_parse_u64(o->since, INT64_MAX, &since_seq)) {
		if (cli_time_parse(o->since, &lc.since_ts)) {
			verifier_errorf(ctx, "--since: expected a sequence number or a UTC time "
					     "like 2026-11-24T10:00:00Z, got '%s'", o->since);
			return GW_EXIT_USAGE;
		}
		lc.by_time = true;
		since_seq = 0;
	}
	lc.t = cli_table_new(GW_ARRAY_SIZE(headers), headers);
	if (!lc.t) {
		verifier_errorf(ctx, "audit: %s", gw_strerror(GW_E_NOMEM));
		return GW_EXIT_ERROR;
	}
	rc = store_audit_list(st, since_seq, list_cb, &lc, &err);
	if (rc) {
		verifier_errorf(ctx, "audit: %s", gw_error_msg(&err, rc));
		status = cli_exit_for(rc);
	} else if (!lc.json) {
		cli_table_print(lc.t, stdout);
	}
	cli_table_free(lc.t);
	return status;
}

int cmd_audit(struct verifier_ctx *ctx, int argc, char **argv)
{
	struct audit_opts o = { .genesis = true };
	struct store *st = NULL;
	int status;

	o.archives = calloc((size_t)argc + 1, sizeof(*o.archives));
	if (!o.archives) {
		verifier_errorf(ctx, "audit: %s", gw_strerror(GW_E_NOMEM));
		return GW_EXIT_ERROR;
	}
	status = parse_args(argc, argv, &o);
	if (status >= 0)
		goto out;
	if (o.export) {
		status = cmd_audit_export(ctx, o.config, o.before, argv[optind], o.json);
		goto out;
	}
	if (o.n_archives) {
		status = cmd_audit_verify_archives(ctx, o.config, o.archives, o.n_archives,
						   o.genesis);
		goto out;
	}
	status = cli_open_store(ctx, o.config, &st);
	if (status != GW_EXIT_OK)
		goto out;
	status = o.verify ? cmd_audit_verify_store(ctx, st) : list(ctx, st, &o);
out:
	store_close(st);
	free(o.archives);
	return status;
}
