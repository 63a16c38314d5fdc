// SPDX-License-Identifier: Apache-2.0
// The front of each tool's main(): usage, --version, --help, the command lookup,
// the error line.
#include "toolmain.h"

#include <stdarg.h>
#include <string.h>

#include "exitcode.h"
#include "version.h"

static const struct gw_tool_command *entry(const struct gw_tool *t, size_t i)
{
	return (const struct gw_tool_command *)(const void *)((const char *)t->first +
								 i * t->stride);
}

void gw_tool_usage(const struct gw_tool *t, FILE *f)
{
	int width = 0;

	for (size_t i = 0; i < t->n; i++) {
		int l = (int)strlen(entry(t, i)->name);

		width = l > width ? l : width;
	}
	fprintf(f, "usage: %s %sCOMMAND [ARGS]\n\nCommands:\n", t->prog, t->globals);
	for (size_t i = 0; i < t->n; i++)
		fprintf(f, "  %-*s  %s\n", width, entry(t, i)->name, entry(t, i)->summary);
	if (t->help)
		fprintf(f, "\n%s", t->help);
	fprintf(f, "\nRun '%s COMMAND --help' for a command's options; '%s --version [--json]'\n"
		   "prints the version.\n",
		t->prog, t->prog);
}

int gw_tool_front(const struct gw_tool *t, int argc, char **argv, size_t *which)
{
	char version[128];

	switch (gw_version_request(argc, argv, t->prog, version, sizeof(version))) {
	case 1:
		fputs(version, stdout);
		return GW_EXIT_OK;
	case -1:
		fprintf(stderr, "usage: %s --version [--json]\n", t->prog);
		return GW_EXIT_USAGE;
	}
	if (argc < 2) {
		gw_tool_usage(t, stderr);
		return GW_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		gw_tool_usage(t, stdout);
		return GW_EXIT_OK;
	}
	for (size_t i = 0; i < t->n; i++) {
		if (!strcmp(argv[1], entry(t, i)->name)) {
			*which = i;
			return GW_TOOL_RUN;
		}
	}
	fprintf(stderr, "%s: unknown command '%s'\n", t->prog, argv[1]);
	gw_tool_usage(t, stderr);
	return GW_EXIT_USAGE;
}

void gw_tool_errorf(const char *prog, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
