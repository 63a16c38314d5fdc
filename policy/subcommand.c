// SPDX-License-Identifier: Apache-2.0
// gwpolicy's nouns with subcommands (`bundle create`, ...): one dispatcher and one
// usage text for all of them.
#include <stdio.h>
#include <string.h>

#include "policy.h"

static void usage(FILE *f, const char *noun, const char *intro,
		  const struct policy_subcommand *t, size_t n)
{
	fprintf(f, "usage: gwpolicy %s SUBCOMMAND [ARGS]\n\n%s\n", noun, intro);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "  %-8s %s\n", t[i].name, t[i].summary);
	fprintf(f, "\nRun 'gwpolicy %s SUBCOMMAND --help' for its options.\n", noun);
}

int policy_subcommands(struct policy_ctx *ctx, const char *noun, const char *intro,
		       const struct policy_subcommand *t, size_t n, int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr, noun, intro, t, n);
		return GW_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout, noun, intro, t, n);
		return GW_EXIT_OK;
	}
	for (size_t i = 0; i < n; i++)
		if (!strcmp(argv[1], t[i].name))
			return t[i].handler(ctx, argc - 1, argv + 1);
	policy_errorf(ctx, "%s: unknown subcommand '%s'", noun, argv[1]);
	usage(stderr, noun, intro, t, n);
	return GW_EXIT_USAGE;
}
