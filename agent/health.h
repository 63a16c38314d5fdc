/* SPDX-License-Identifier: Apache-2.0 */
/* Health checks of a trial boot: the [health NAME] sections of the agent config
 * (a command run with a timeout, or a systemd unit that must be active) and
 * running them without a shell, each in its own process group, with its output
 * captured (bounded) for the log. */
#ifndef GW_AGENT_HEALTH_H
#define GW_AGENT_HEALTH_H

#include <stdbool.h>
#include <stddef.h>

#include "agent.h"

#define HEALTH_MAX_CHECKS 32
#define HEALTH_NAME_MAX 64
#define HEALTH_MAX_ARGS 64		/* words of one command line */
#define HEALTH_DEFAULT_TIMEOUT 30	/* seconds */
#define HEALTH_MAX_TIMEOUT 3600
#define HEALTH_OUTPUT_MAX 2048		/* bytes of a check's output kept for the log */
#define HEALTH_SYSTEMCTL "systemctl"	/* found on PATH */

/* ---- configuration (agent/config_health.c) ---- */

/* True for a section name "health NAME" this file parses (NAME may be invalid:
 * health_config_key then names the error). */
bool health_section(const char *section);
/* One key of section "health NAME". GW_E_CONFIG (detail without the line). */
int health_config_key(struct agent_config *cfg, const char *section, const char *key,
		      const char *value, int line, gw_error *err) GW_WUR;
/* After the whole file: each check has exactly one of command and unit.
 * GW_E_CONFIG naming PATH:LINE of the section. */
int health_config_check(const struct agent_config *cfg, const char *path, gw_error *err) GW_WUR;
void health_config_fini(struct agent_config *cfg);

/* Split a command line on blanks (no quoting, no shell) into argv (NULL-ended,
 * pointing into buf, a copy the caller provides). GW_E_INVAL when empty, when a
 * word does not fit HEALTH_MAX_ARGS, or buf is too small. */
int health_split_argv(const char *line, char *buf, size_t buflen, char **argv,
		      size_t maxargs, gw_error *err) GW_WUR;

/* ---- running checks (agent/health.c) ---- */

struct health_result {
	char name[HEALTH_NAME_MAX + 1];
	bool ok;		/* exited 0 within the timeout */
	bool timed_out;		/* killed (its process group) at the timeout */
	bool exec_failed;	/* could not be started (exit 127 from the child) */
	int status;		/* exit status, or 128 + signal */
	long millis;		/* how long it ran */
	char output[HEALTH_OUTPUT_MAX + 1]; /* stdout+stderr, printable, NUL-ended */
	bool output_truncated;
};

/* Run argv (argv[0] looked up on PATH) with stdin from /dev/null and stdout and
 * stderr captured, in a new process group that is killed (TERM, then KILL after
 * a grace period) when timeout seconds pass, and killed when the command exits (so
 * nothing it started in the background outlives it). r->ok says whether it
 * passed; the return value is only for failures of the agent itself (GW_E_IO:
 * pipe, fork). */
int health_exec(char *const argv[], unsigned timeout, struct health_result *r,
		gw_error *err) GW_WUR;

/* Run check i of the config (its command, or `systemctl is-active --quiet UNIT`). */
int health_run(const struct agent_health *h, struct health_result *r, gw_error *err) GW_WUR;

#endif
