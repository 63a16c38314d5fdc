// SPDX-License-Identifier: Apache-2.0
// gwpolicy: the release engineer's tool; entry point and command table.
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "policy.h"
#include "util.h"
#include "version.h"

struct command {
	const char *name;
	int (*handler)(struct policy_ctx *ctx, int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "keygen", cmd_keygen, "create a signing key pair (ECDSA P-256 or Ed25519)" },
	{ "sign", cmd_sign, "sign a file into a DSSE envelope with one or more keys" },
	{ "verify", cmd_verify, "verify a DSSE envelope against a threshold of keys" },
	{ "predict", cmd_predict, "PCR 13/14 values a device shows after booting given files" },
	{ "lint", cmd_lint, "check a policy (or its envelope's payload) before signing" },
	{ "diff", cmd_diff, "what a new policy allows or forbids that the old one did not" },
	{ "from-eventlog", cmd_from_eventlog, "draft a policy from a golden device's logs" },
	{ "root", cmd_root, "the update trust root: init, sign, verify, rotate" },
	{ "bundle", cmd_bundle, "update bundles: create (signed), inspect, verify" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: gwpolicy COMMAND [ARGS]\n\nCommands:\n");
	for (size_t i = 0; i < GW_ARRAY_SIZE(commands); i++)
		fprintf(f, "  %-14s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nRun 'gwpolicy COMMAND --help' for a command's options; 'gwpolicy --version [--json]'\n"
		   "prints the version.\n");
}

void policy_errorf(const struct policy_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", ctx->prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int main(int argc, char **argv)
{
	struct policy_ctx ctx = { .prog = "gwpolicy" };
	char version[128];

	switch (gw_version_request(argc, argv, ctx.prog, version, sizeof(version))) {
	case 1:
		fputs(version, stdout);
		return GW_EXIT_OK;
	case -1:
		fprintf(stderr, "usage: %s --version [--json]\n", ctx.prog);
		return GW_EXIT_USAGE;
	}
	if (argc < 2) {
		usage(stderr);
		return GW_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return GW_EXIT_OK;
	}
	for (size_t i = 0; i < GW_ARRAY_SIZE(commands); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].handler(&ctx, argc - 1, argv + 1);
	fprintf(stderr, "gwpolicy: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return GW_EXIT_USAGE;
}
