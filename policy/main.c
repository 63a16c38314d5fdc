// SPDX-License-Identifier: Apache-2.0
// gwpolicy: the release engineer's tool; entry point and command table.
#include <stdio.h>
#include <string.h>

#include "policy.h"
#include "util.h"
#include "toolmain.h"

struct command {
	struct gw_tool_command info;
	int (*handler)(struct policy_ctx *ctx, int argc, char **argv);
};

static const struct command commands[] = {
	{ { "keygen", "create a signing key pair (ECDSA P-256 or Ed25519)" }, cmd_keygen },
	{ { "sign", "sign a file into a DSSE envelope with one or more keys" }, cmd_sign },
	{ { "verify", "verify a DSSE envelope against a threshold of keys" }, cmd_verify },
	{ { "predict", "PCR 13/14 values a device shows after booting given files" }, cmd_predict },
	{ { "lint", "check a policy (or its envelope's payload) before signing" }, cmd_lint },
	{ { "diff", "what a new policy allows or forbids that the old one did not" }, cmd_diff },
	{ { "from-eventlog", "draft a policy from a golden device's logs" }, cmd_from_eventlog },
	{ { "root", "the update trust root: init, sign, verify, rotate" }, cmd_root },
	{ { "bundle", "update bundles: create (signed), inspect, verify" }, cmd_bundle },
};

static const struct gw_tool tool = {
	.prog = "gwpolicy", .globals = "", .help = NULL, GW_TOOL_TABLE(commands),
};

int main(int argc, char **argv)
{
	struct policy_ctx ctx = { .prog = "gwpolicy" };
	size_t i = 0;
	int rc = gw_tool_front(&tool, argc, argv, &i);

	if (rc != GW_TOOL_RUN)
		return rc;
	return commands[i].handler(&ctx, argc - 1, argv + 1);
}
