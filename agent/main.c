// SPDX-License-Identifier: Apache-2.0
// gwagent: the gateway agent's entry point, global options and command table.
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "util.h"
#include "toolmain.h"

enum { NEEDS_TPM = 1 << 0 };

struct command {
	struct gw_tool_command info;
	int (*handler)(struct agent_ctx *ctx, int argc, char **argv);
	unsigned flags;
};

static const struct command commands[] = {
	{ { "provision", "create EK, SRK and AK; export the AK public key" }, cmd_provision, NEEDS_TPM },
	{ { "measure", "measure files of a stage into the stage PCR and log" }, cmd_measure, NEEDS_TPM },
	{ { "boot", "measure the configured boot stages (boot service)" }, cmd_boot, NEEDS_TPM },
	{ { "quote", "quote PCRs with the AK and write evidence" }, cmd_quote, NEEDS_TPM },
	{ { "status", "the TPM, PCRs, log, enrollment, last result and update state" }, cmd_status, NEEDS_TPM },
	{ { "enroll", "enroll the TPM with the verifier, get the device certificate" }, cmd_enroll, NEEDS_TPM },
	{ { "attest", "one attestation round with the verifier" }, cmd_attest, NEEDS_TPM },
	{ { "run", "the agent daemon: attest periodically" }, cmd_run, NEEDS_TPM },
	{ { "update", "install a signed update bundle; show the slots' state" }, cmd_update, NEEDS_TPM },
};

static const struct gw_tool tool = {
	.prog = "gwagent",
	.globals = "[--config FILE] [--state-dir DIR] [--tcti TCTI] [-v] ",
	.help = "Global options (before or after the command):\n"
		"  --config FILE    agent configuration (default " AGENT_DEFAULT_CONFIG ")\n"
		"  --state-dir DIR  event log and agent state (default " AGENT_DEFAULT_STATE_DIR ")\n"
		"  --tcti TCTI, -T TCTI\n"
		"                   TPM access, e.g. device:/dev/tpmrm0 or\n"
		"                   swtpm:host=127.0.0.1,port=2321 (default: $GW_TCTI,\n"
		"                   $TPM2TOOLS_TCTI, the config file, then " AGENT_DEFAULT_TCTI ")\n"
		"  -v, --verbose    also tpm2-tss's own warnings and errors (without it\n"
		"                   they are silent unless $TSS2_LOG says otherwise)\n",
	GW_TOOL_TABLE(commands),
};

int agent_report(const struct agent_ctx *ctx, int rc, const gw_error *err, const char *what)
{
	agent_errorf(ctx, "%s: %s", what, gw_error_msg(err, rc));
	return gw_exit_for(rc);
}

int agent_json_args(int argc, char **argv, int min, int max, bool *json,
		    void (*usage)(FILE *f))
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			*json = true;
			break;
		case 'h':
			usage(stdout);
			return GW_EXIT_OK;
		default:
			usage(stderr);
			return GW_EXIT_USAGE;
		}
	}
	if (argc - optind < min || argc - optind > max) {
		usage(stderr);
		return GW_EXIT_USAGE;
	}
	return AGENT_ARGS_RUN;
}

/* Takes the global options out of argv wherever they stand (before "--"). */
static int take_globals(struct agent_ctx *ctx, int *argc, char **argv)
{
	/* -T is tpm2-tools' short form of --tcti. */
	static const char *const opts[] = { "--config", "--state-dir", "--tcti", "-T" };
	const char **dst[] = { &ctx->config_path, &ctx->state_dir, &ctx->tcti, &ctx->tcti };
	int out = 1;

	for (int i = 1; i < *argc; i++) {
		bool taken = false;

		if (!strcmp(argv[i], "--")) {
			while (i < *argc)
				argv[out++] = argv[i++];
			break;
		}
		if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose")) {
			ctx->verbose = true;
			continue;
		}
		for (size_t k = 0; k < GW_ARRAY_SIZE(opts) && !taken; k++) {
			size_t n = strlen(opts[k]);

			if (!strcmp(argv[i], opts[k])) {
				if (i + 1 >= *argc) {
					fprintf(stderr, "gwagent: %s needs a value\n", opts[k]);
					return -1;
				}
				*dst[k] = argv[++i];
				taken = true;
			} else if (!strncmp(argv[i], opts[k], n) && argv[i][n] == '=') {
				*dst[k] = argv[i] + n + 1;
				taken = true;
			}
		}
		if (!taken)
			argv[out++] = argv[i];
	}
	argv[out] = NULL;
	*argc = out;
	return 0;
}

static int setup(struct agent_ctx *ctx)
{
	gw_error err = { { 0 } };
	const char *path = ctx->config_path ? ctx->config_path : AGENT_DEFAULT_CONFIG;
	const char *env;
	int rc;

	agent_config_defaults(&ctx->cfg);
	rc = agent_config_load(path, &ctx->cfg, &err);
	/* The default config file is optional; one named with --config is not. */
	if (rc == GW_E_NOTFOUND && !ctx->config_path)
		rc = 0;
	if (rc) {
		agent_errorf(ctx, "config: %s", gw_error_msg(&err, rc));
		return GW_EXIT_CONFIG;
	}
	if (!ctx->state_dir)
		ctx->state_dir = ctx->cfg.state_dir ? ctx->cfg.state_dir : AGENT_DEFAULT_STATE_DIR;
	/* --tcti, then $GW_TCTI, then tpm2-tools' $TPM2TOOLS_TCTI, then the config. */
	env = getenv("GW_TCTI");
	if (!env || !*env)
		env = getenv("TPM2TOOLS_TCTI");
	if (!ctx->tcti)
		ctx->tcti = env && *env ? env : ctx->cfg.tcti ? ctx->cfg.tcti : AGENT_DEFAULT_TCTI;
	/* tpm2-tss logs to stderr on its own (a TCTI that cannot connect prints four
	 * lines before our one); our messages say what failed, so its lines come only
	 * with -v. An operator's own $TSS2_LOG is left alone. The TSS reads it at its
	 * first log call, after this. */
	if (!getenv("TSS2_LOG") && setenv("TSS2_LOG", ctx->verbose ? "all+warning" : "all+none", 1)) {
		agent_errorf(ctx, "cannot set TSS2_LOG");
		return GW_EXIT_ERROR;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct agent_ctx ctx = { .prog = "gwagent", .lock_fd = -1 };
	const struct command *cmd;
	size_t which = 0;
	gw_error err = { { 0 } };
	int rc;

	if (take_globals(&ctx, &argc, argv))
		return GW_EXIT_USAGE;
	rc = gw_tool_front(&tool, argc, argv, &which);
	if (rc != GW_TOOL_RUN)
		return rc;
	cmd = &commands[which];
	rc = setup(&ctx);
	if (rc)
		goto out;
	/* A command's --help needs no TPM. */
	if (cmd->flags & NEEDS_TPM) {
		bool help = false;

		for (int i = 2; i < argc; i++)
			help |= !strcmp(argv[i], "--help") || !strcmp(argv[i], "-h");
		if (!help) {
			rc = tpm_open(ctx.tcti, &ctx.tpm, &err);
			if (rc) {
				rc = agent_report(&ctx, rc, &err, "TPM");
				goto out;
			}
		}
	}
	rc = cmd->handler(&ctx, argc - 1, argv + 1);
out:
	if (ctx.lock_fd >= 0)
		close(ctx.lock_fd);
	tpm_close(ctx.tpm);
	agent_config_fini(&ctx.cfg);
	return rc;
}
