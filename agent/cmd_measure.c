// SPDX-License-Identifier: Apache-2.0
// gwagent measure: measure files of one stage into the stage PCR and the event log.
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "agent.h"
#include "evlog.h"
#include "stage.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: gwagent measure --stage NAME [--json] FILE...\n\n"
		   "Hashes each FILE in every active PCR bank, appends a CEL record to the event\n"
		   "log (durably), then extends the stage PCR (13 unless stage_pcr is set).\n"
		   "A file that cannot be read is recorded as a failed stage and the command\n"
		   "exits with status 6.\n");
}

int cmd_measure(struct agent_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "stage", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *stage = NULL;
	bool json = false, fresh = false;
	struct stage_banks banks;
	struct evlog_meta meta;
	gw_error err = { { 0 } };
	int c, rc, status = GW_EXIT_OK;

	optind = 1;
	while ((c = getopt_long(argc, argv, "s:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			stage = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return GW_EXIT_OK;
		default:
			usage(stderr);
			return GW_EXIT_USAGE;
		}
	}
	if (!stage || optind >= argc) {
		usage(stderr);
		return GW_EXIT_USAGE;
	}
	if (!*stage || strlen(stage) > 64 || strpbrk(stage, " \t\r\n\"\\")) {
		agent_errorf(ctx, "stage name must be 1-64 characters without blanks or quotes");
		return GW_EXIT_USAGE;
	}
	rc = evlog_sync(ctx, &meta, &fresh, &err);
	if (rc)
		return agent_report(ctx, rc, &err, "event log");
	rc = stage_banks_get(ctx, &banks, &err);
	if (rc)
		return agent_report(ctx, rc, &err, "PCR banks");
	for (int i = optind; i < argc; i++) {
		rc = stage_measure_file(ctx, &banks, stage, argv[i], json, stdout, &err);
		if (rc == GW_E_STAGE) {
			agent_errorf(ctx, "%s", gw_error_msg(&err, rc));
			status = GW_EXIT_STAGE;
			continue;
		}
		if (rc)
			return agent_report(ctx, rc, &err, "measure");
	}
	return status;
}
