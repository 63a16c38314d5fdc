/* SPDX-License-Identifier: Apache-2.0 */
/* The front of gwagent's, gwverifier's and gwpolicy's main(): the command table's
 * usage text, `--version [--json]`, `--help`, finding the command, and the error
 * line. */
#ifndef GW_TOOLMAIN_H
#define GW_TOOLMAIN_H

#include <stddef.h>
#include <stdio.h>

/* One command as the usage lists it: the first member of each tool's own table
 * entry (which adds the handler). */
struct gw_tool_command {
	const char *name;
	const char *summary;
};

struct gw_tool {
	const char *prog;    /* "gwverifier" */
	const char *globals; /* "[--config FILE] " before COMMAND in the usage line, or "" */
	const char *help;    /* text after the command list (global options), or NULL */
	const struct gw_tool_command *first; /* the table's first entry's gw_tool_command */
	size_t n, stride;                    /* entries, and the bytes from one to the next */
};

/* .first/.n/.stride of a table whose entries' first member `info` is a
 * struct gw_tool_command. */
#define GW_TOOL_TABLE(table)                                                                \
	.first = &(table)[0].info, .n = sizeof(table) / sizeof((table)[0]),                 \
	.stride = sizeof((table)[0])

#define GW_TOOL_RUN (-1)

void gw_tool_usage(const struct gw_tool *t, FILE *f);
/* argv with the tool's global options already taken out. GW_TOOL_RUN with *which
 * the index of argv[1] in the table; else the exit status, after printing the
 * version, the usage (--help, -h, help: to stdout, exit 0) or why it is a usage
 * error (no command, an unknown one, --version with other words: exit 2). */
int gw_tool_front(const struct gw_tool *t, int argc, char **argv, size_t *which);

/* "PROG: MSG\n" on stderr: the tools' error lines (agent_errorf, verifier_errorf
 * and policy_errorf with their context's prog). */
void gw_tool_errorf(const char *prog, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
