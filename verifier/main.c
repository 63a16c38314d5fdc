// SPDX-License-Identifier: Apache-2.0
// gwverifier: the verifier's entry point and command table.
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "util.h"
#include "verifier.h"
#include "version.h"

struct command {
	const char *name;
	int (*handler)(struct verifier_ctx *ctx, int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "init", cmd_init, "create a verifier set-up: CA, TLS and gate keys, config" },
	{ "server-cert", cmd_server_cert, "issue a new server certificate, for new names" },
	{ "serve", cmd_serve, "serve the HTTPS API: enrollment and attestation" },
	{ "reload", cmd_reload, "make the running verifier read its configuration again" },
	{ "check-quote", cmd_check_quote, "appraise a quote and its event logs offline" },
	{ "device", cmd_device, "list, show, approve or revoke devices" },
	{ "history", cmd_history, "a device's attestation results, newest first" },
	{ "prune", cmd_prune, "delete old attestation results by the retention rule" },
	{ "backup", cmd_backup, "copy the database while the verifier runs" },
	{ "audit", cmd_audit, "list the audit log, or verify its hash chain" },
	{ "status", cmd_status, "fleet summary: devices per state, failing devices" },
	{ "policy", cmd_policy, "add, list, show and reset per-model policies" },
	{ "release", cmd_release, "add, list, show, approve and withdraw releases" },
	{ "release-key", cmd_release_key, "print the release key's public half and kid" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: gwverifier COMMAND [ARGS]\n\nCommands:\n");
	for (size_t i = 0; i < GW_ARRAY_SIZE(commands); i++)
		fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nRun 'gwverifier COMMAND --help' for a command's options; 'gwverifier --version [--json]'\n"
		   "prints the version. '--actor NAME' (anywhere before '--') names the operator\n"
		   "in audit records; else $SUDO_USER under sudo, else the login name.\n");
}

void verifier_errorf(const struct verifier_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", ctx->prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Take "--actor NAME" / "--actor=NAME" out of argv (up to "--"), for every
 * command. 0, or -1 after a message for a bad or repeated one. */
static int take_actor(int *argc, char **argv)
{
	const char *name = NULL;
	int out = 1, i;

	for (i = 1; i < *argc && strcmp(argv[i], "--"); i++) {
		const char *v = NULL;

		if (!strcmp(argv[i], "--actor")) {
			if (i + 1 >= *argc) {
				fprintf(stderr, "gwverifier: --actor needs a NAME\n");
				return -1;
			}
			v = argv[++i];
		} else if (!strncmp(argv[i], "--actor=", 8)) {
			v = argv[i] + 8;
		} else {
			argv[out++] = argv[i];
			continue;
		}
		if (name || !cli_actor_name_ok(v)) {
			fprintf(stderr, "gwverifier: --actor: %s\n",
				name ? "given twice"
				     : "expected 1-32 of A-Z a-z 0-9 . _ @ - (not starting with -)");
			return -1;
		}
		name = v;
	}
	for (; i < *argc; i++)
		argv[out++] = argv[i];
	argv[out] = NULL;
	*argc = out;
	cli_set_actor(name);
	return 0;
}

int main(int argc, char **argv)
{
	struct verifier_ctx ctx = { .prog = "gwverifier" };
	char version[128];

	switch (gw_version_request(argc, argv, ctx.prog, version, sizeof(version))) {
	case 1:
		fputs(version, stdout);
		return GW_EXIT_OK;
	case -1:
		fprintf(stderr, "usage: %s --version [--json]\n", ctx.prog);
		return GW_EXIT_USAGE;
	}
	if (take_actor(&argc, argv))
		return GW_EXIT_USAGE;
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
	fprintf(stderr, "gwverifier: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return GW_EXIT_USAGE;
}
