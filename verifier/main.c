// SPDX-License-Identifier: Apache-2.0
// gwverifier: the verifier's entry point and command table.
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "util.h"
#include "verifier.h"
#include "toolmain.h"

struct command {
	struct gw_tool_command info;
	int (*handler)(struct verifier_ctx *ctx, int argc, char **argv);
};

static const struct command commands[] = {
	{ { "init", "create a verifier set-up: CA, TLS and gate keys, config" }, cmd_init },
	{ { "server-cert", "issue a new server certificate, for new names" }, cmd_server_cert },
	{ { "serve", "serve the HTTPS API: enrollment and attestation" }, cmd_serve },
	{ { "reload", "make the running verifier read its configuration again" }, cmd_reload },
	{ { "check-quote", "appraise a quote and its event logs offline" }, cmd_check_quote },
	{ { "device", "list, show, approve or revoke devices" }, cmd_device },
	{ { "history", "a device's attestation results, newest first" }, cmd_history },
	{ { "prune", "delete old attestation results by the retention rule" }, cmd_prune },
	{ { "backup", "copy the database while the verifier runs" }, cmd_backup },
	{ { "audit", "list the audit log, or verify its hash chain" }, cmd_audit },
	{ { "status", "fleet summary: devices per state, failing devices" }, cmd_status },
	{ { "policy", "add, list, show and reset per-model policies" }, cmd_policy },
	{ { "release", "add, list, show, approve and withdraw releases" }, cmd_release },
	{ { "release-key", "print the release key's public half and kid" }, cmd_release_key },
};

static const struct gw_tool tool = {
	.prog = "gwverifier",
	.globals = "[--actor NAME] ",
	.help = "'--actor NAME' (anywhere before '--') names the operator in audit records;\n"
		"else $SUDO_USER under sudo, else the login name.\n",
	GW_TOOL_TABLE(commands),
};

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
	size_t i = 0;
	int rc;

	if (take_actor(&argc, argv))
		return GW_EXIT_USAGE;
	rc = gw_tool_front(&tool, argc, argv, &i);
	if (rc != GW_TOOL_RUN)
		return rc;
	return commands[i].handler(&ctx, argc - 1, argv + 1);
}
