// SPDX-License-Identifier: Apache-2.0
// gwverifier: the verifier's entry point and command table.
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

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
	{ { "check-quote", "appraise a quote and its event logs offline" }, cmd_check_quote },
	{ { "device", "list, show, approve or revoke devices" }, cmd_device },
	{ { "history", "a device's attestation results, newest first" }, cmd_history },
	{ { "audit", "list the audit log, or verify its hash chain" }, cmd_audit },
	{ { "status", "fleet summary: devices per state, failing devices" }, cmd_status },
	{ { "policy", "add, list, show and reset per-model policies" }, cmd_policy },
	{ { "release", "add, list, show, approve and withdraw releases" }, cmd_release },
	{ { "release-key", "print the release key's public half and kid" }, cmd_release_key },
};

static const struct gw_tool tool = {
	.prog = "gwverifier", .globals = "", .help = NULL, GW_TOOL_TABLE(commands),
};

void verifier_errorf(const struct verifier_ctx *ctx, const char *fmt, ...)
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
	struct verifier_ctx ctx = { .prog = "gwverifier" };
	size_t i = 0;
	int rc = gw_tool_front(&tool, argc, argv, &i);

	if (rc != GW_TOOL_RUN)
		return rc;
	return commands[i].handler(&ctx, argc - 1, argv + 1);
}
