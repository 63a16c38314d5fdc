// SPDX-License-Identifier: Apache-2.0
// gwverifier prune: apply [retention]'s rules now, each when configured or given
// (attestation results pruned, old audit records archived), and optionally
// VACUUM the database.
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit_export.h"
#include "cli.h"
#include "retention.h"
#include "vconfig.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: gwverifier prune [--config FILE] [--keep-results N] [--keep-failed-days D]\n"
		   "                        [--vacuum] [--json]\n\n"
		   "Applies each retention rule that is configured or given; at least one must be.\n"
		   "Results (with [retention] keep_results or --keep-results N): deletes the\n"
		   "attestation results the rule lets go: of each device the newest N stay, and\n"
		   "every result that is not affirming stays for D days (keep_failed_days, or\n"
		   "--keep-failed-days). Audited (results.prune, one record per batch of rows).\n"
		   "Audit records (with [retention] audit_keep_days and audit_archive_dir): the\n"
		   "records older than those days are archived into that directory and removed\n"
		   "(as 'audit export' does; audited as audit.export). 'serve' does the same\n"
		   "every prune_interval seconds. The output names the rules that ran.\n\n"
		   "  --config FILE          verifier configuration (default " CLI_DEFAULT_CONFIG ")\n"
		   "  --keep-results N       results kept per device (1-1000000)\n"
		   "  --keep-failed-days D   days non-affirming results are kept (0-36500)\n"
		   "  --vacuum               then rebuild the file without its free pages\n"
		   "  --json                 {\"rules\" (of \"results\", \"audit\": those that ran),\n"
		   "                         \"deleted\", \"keep_results\", \"keep_failed_days\"\n"
		   "                         (null when the results rule did not run), \"results\",\n"
		   "                         \"bytes\", \"free_bytes\", \"vacuumed\",\n"
		   "                         \"audit_keep_days\" (null when the audit rule did not\n"
		   "                         run), \"audit_archived\", \"audit_files\"}\n\n"
		   "Exit: 0 pruned, 1 store failure, 2 usage, 3 config (neither keep_results\n"
		   "nor audit_keep_days configured or given, or a file that does not load).\n");
}

struct prune_opts {
	const char *config;
	long long keep, days; /* -1: from the configuration; keep 0: no results rule */
	bool vacuum, json;
	unsigned audit_days;  /* [retention] audit_keep_days, 0: off */
	char *audit_dir;      /* [retention] audit_archive_dir */
	uint64_t audit_records, audit_files;
};

static int num_arg(const char *name, const char *v, uint64_t min, uint64_t max, long long *out)
{
	uint64_t n;

	if (gw_parse_u64(v, max, &n) || n < min) {
		fprintf(stderr, "gwverifier: %s: expected %llu-%llu, got '%s'\n", name,
			(unsigned long long)min, (unsigned long long)max, v);
		return GW_EXIT_USAGE;
	}
	*out = (long long)n;
	return -1;
}

static int parse_args(int argc, char **argv, struct prune_opts *o)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "keep-results", required_argument, NULL, 'k' },
		{ "keep-failed-days", required_argument, NULL, 'd' },
		{ "vacuum", no_argument, NULL, 'v' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, r = -1;

	optind = 1;
	while (r < 0 && (c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': o->config = optarg; break;
		case 'k': r = num_arg("--keep-results", optarg, 1, 1000000, &o->keep); break;
		case 'd': r = num_arg("--keep-failed-days", optarg, 0, 36500, &o->days); break;
		case 'v': o->vacuum = true; break;
		case 'j': o->json = true; break;
		case 'h':
			usage(stdout);
			return GW_EXIT_OK;
		default:
			usage(stderr);
			return GW_EXIT_USAGE;
		}
	}
	if (r < 0 && optind != argc) {
		usage(stderr);
		return GW_EXIT_USAGE;
	}
	return r;
}

static void print_text(const struct prune_opts *o, uint64_t deleted, uint64_t results,
		       uint64_t bytes, uint64_t freeb)
{
	if (o->keep)
		printf("%llu results deleted (the newest %lld per device kept, non-affirming ones "
		       "for %lld days); ",
		       (unsigned long long)deleted, o->keep, o->days);
	else
		printf("results not pruned (no keep_results); ");
	printf("%llu left, database %llu bytes (%llu free)%s\n", (unsigned long long)results,
	       (unsigned long long)bytes, (unsigned long long)freeb,
	       o->vacuum ? " after VACUUM" : "");
	if (o->audit_days)
		printf("%llu audit records older than %u days archived into %llu files in %s\n",
		       (unsigned long long)o->audit_records, o->audit_days,
		       (unsigned long long)o->audit_files, o->audit_dir);
	else
		printf("audit records not archived (no audit_keep_days)\n");
}

static void print_result(const struct prune_opts *o, uint64_t deleted, uint64_t results,
			 uint64_t bytes, uint64_t freeb)
{
	json_object *j, *rules;

	if (!o->json) {
		print_text(o, deleted, results, bytes, freeb);
		return;
	}
	j = json_object_new_object();
	rules = json_object_new_array();
	if (o->keep)
		json_object_array_add(rules, json_object_new_string("results"));
	if (o->audit_days)
		json_object_array_add(rules, json_object_new_string("audit"));
	json_object_object_add(j, "rules", rules);
	json_object_object_add(j, "deleted", json_object_new_uint64(deleted));
	json_object_object_add(j, "keep_results", o->keep ? json_object_new_int64(o->keep) : NULL);
	json_object_object_add(j, "keep_failed_days",
			       o->keep ? json_object_new_int64(o->days) : NULL);
	json_object_object_add(j, "results", json_object_new_uint64(results));
	json_object_object_add(j, "bytes", json_object_new_uint64(bytes));
	json_object_object_add(j, "free_bytes", json_object_new_uint64(freeb));
	json_object_object_add(j, "vacuumed", json_object_new_boolean(o->vacuum));
	json_object_object_add(j, "audit_keep_days",
			       o->audit_days ? json_object_new_uint64(o->audit_days) : NULL);
	json_object_object_add(j, "audit_archived", json_object_new_uint64(o->audit_records));
	json_object_object_add(j, "audit_files", json_object_new_uint64(o->audit_files));
	cli_json_print(j);
	json_object_put(j);
}

/* keep and days not given: [retention]'s. The results rule runs when keep_results
 * is configured or given, the audit rule when audit_keep_days is configured; one
 * of them must, and --keep-failed-days needs the results rule. */
static int from_config(const struct verifier_ctx *ctx, struct prune_opts *o)
{
	const char *path = o->config ? o->config : CLI_DEFAULT_CONFIG;
	struct vconfig cfg;
	gw_error err = { { 0 } };
	int rc, status = GW_EXIT_OK;

	vconfig_defaults(&cfg);
	rc = vconfig_load(path, &cfg, &err);
	if (rc) {
		verifier_errorf(ctx, "config: %s", gw_error_msg(&err, rc));
		status = GW_EXIT_CONFIG;
	} else if (o->keep < 0 && !cfg.keep_results && !cfg.audit_keep_days) {
		verifier_errorf(ctx, "prune: %s has neither [retention] keep_results (or give "
				     "--keep-results) nor audit_keep_days: no rule to apply", path);
		status = GW_EXIT_CONFIG;
	} else if (o->keep < 0 && !cfg.keep_results && o->days >= 0) {
		verifier_errorf(ctx, "prune: --keep-failed-days needs [retention] keep_results "
				     "in %s or --keep-results", path);
		status = GW_EXIT_CONFIG;
	} else {
		if (o->keep < 0)
			o->keep = cfg.keep_results; /* 0: the results rule does not run */
		if (o->days < 0)
			o->days = cfg.keep_failed_days;
		o->audit_days = cfg.audit_keep_days;
		o->audit_dir = cfg.audit_archive_dir;
		cfg.audit_archive_dir = NULL; /* transferred */
	}
	vconfig_fini(&cfg);
	return status;
}

int cmd_prune(struct verifier_ctx *ctx, int argc, char **argv)
{
	struct prune_opts o = { .keep = -1, .days = -1 };
	struct audit_export_round round = { 0 };
	struct retention_prune_round pr = { 0 };
	struct store *st = NULL;
	gw_error err = { { 0 } };
	uint64_t deleted = 0, results = 0, bytes = 0, freeb = 0;
	char actor[96];
	int rc, status;

	status = parse_args(argc, argv, &o);
	if (status >= 0)
		return status;
	if ((status = from_config(ctx, &o)) != GW_EXIT_OK)
		goto out;
	if (cli_actor(actor, sizeof(actor))) {
		verifier_errorf(ctx, "prune: cannot name the operator (no passwd entry)");
		status = GW_EXIT_ERROR;
		goto out;
	}
	if (o.audit_days && (rc = retention_check_archive_dir(o.audit_dir, &err))) {
		verifier_errorf(ctx, "prune: %s", gw_error_msg(&err, rc));
		status = GW_EXIT_CONFIG;
		goto out;
	}
	status = cli_open_store(ctx, o.config, &st);
	if (status != GW_EXIT_OK)
		goto out;
	rc = 0;
	/* The operator asked for it: every batch, unbounded (serve's rounds are not). */
	if (o.keep) {
		rc = retention_prune(st, (unsigned)o.keep, (unsigned)o.days, cli_now(), actor,
				     &pr, &err);
		deleted = pr.deleted;
	}
	if (!rc && o.audit_days) {
		rc = retention_archive_audit(st, o.audit_days, o.audit_dir, cli_now(), actor,
					     &round, &err);
		o.audit_files = round.files;
		o.audit_records = round.records;
	}
	if (!rc && o.vacuum)
		rc = store_vacuum(st, &err);
	if (!rc)
		rc = store_size(st, &results, &bytes, &freeb, &err);
	if (rc) {
		verifier_errorf(ctx, "prune: %s (%llu results deleted, %llu audit records "
				     "archived)", gw_error_msg(&err, rc), (unsigned long long)deleted,
				(unsigned long long)o.audit_records);
		status = cli_exit_for(rc);
		goto out;
	}
	print_result(&o, deleted, results, bytes, freeb);
out:
	store_close(st);
	free(o.audit_dir);
	return status;
}
