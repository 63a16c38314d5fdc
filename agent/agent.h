/* SPDX-License-Identifier: Apache-2.0 */
/* gwagent's shared state: global options, configuration, the open TPM, and the
 * command handlers. */
#ifndef GW_AGENT_H
#define GW_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config_update.h"
#include "consent.h"
#include "exitcode.h"
#include "gw_error.h"
#include "toolmain.h"
#include "tpm.h"

#define AGENT_DEFAULT_CONFIG "/etc/gatewarden/agent.conf"
#define AGENT_DEFAULT_STATE_DIR "/var/lib/gatewarden"
#define AGENT_DEFAULT_TCTI "device:/dev/tpmrm0"
#define AGENT_STAGE_PCR 13
#define AGENT_TRUST_PCR 14
#define AGENT_MAX_STAGES 64
#define AGENT_MAX_STAGE_FILES 64
#define AGENT_DEFAULT_ATTEST_INTERVAL 300 /* seconds */
#define AGENT_MIN_ATTEST_INTERVAL 10
#define AGENT_MAX_ATTEST_INTERVAL 86400

struct agent_stage {
	char *name;
	char **files;
	size_t nfiles;
};

/* [channel NAME] (agent/config_channel.c): a channel's anti-rollback NV indices. */
struct agent_channel {
	char *name;
	uint32_t counter_index;
	uint32_t baseline_index;
};
#define AGENT_MAX_CHANNELS 16

/* A [health NAME] section: a trial boot commits only when every check passes. */
struct agent_health {
	char *name;
	char *command;             /* run without a shell, argv split on blanks */
	char *unit;                /* or: a systemd unit that must be active */
	unsigned timeout;          /* seconds */
	int line;                  /* the section's first key, for messages */
};

struct agent_config {
	char *tcti;
	char *state_dir;
	char *firmware_log; /* firmware event log to attach to quotes */
	unsigned stage_pcr;
	unsigned trust_pcr;
	uint32_t srk_handle;
	uint32_t ak_handle;
	char *verifier_url;        /* default for `enroll --verifier` */
	char *verifier_ca;         /* default for `enroll --ca` */
	char *device_id;           /* default for `enroll --device-id` */
	char *model;               /* default for `enroll --model` */
	unsigned attest_interval;  /* `run`: seconds between rounds */
	struct agent_stage *stages;
	size_t nstages;
	/* counter helper: [channel NAME] sections, in file order */
	struct agent_channel *channels;
	size_t nchannels;
	/* [update] and [slot GROUP.CLASS]: agent/config_update.c */
	struct agent_update_config update;
	/* [consent]: when offered releases install (agent/config_consent.c) */
	struct agent_consent consent;
	/* [health NAME] sections (agent/config_health.c) */
	struct agent_health *health;
	size_t nhealth;
};

/* Reads an inih file; unknown sections and keys are errors naming the line. */
int agent_config_load(const char *path, struct agent_config *cfg, gw_error *err) GW_WUR;
void agent_config_defaults(struct agent_config *cfg);
void agent_config_fini(struct agent_config *cfg);

struct agent_ctx {
	const char *prog;
	const char *config_path;  /* --config */
	const char *state_dir;    /* resolved: --state-dir > config > default */
	const char *tcti;         /* resolved: --tcti > GW_TCTI > TPM2TOOLS_TCTI > config > default */
	bool verbose;             /* -v: tpm2-tss's own log lines (warnings and errors) too */
	struct agent_config cfg;
	struct agent_tpm *tpm;    /* opened for commands flagged NEEDS_TPM */
	int lock_fd;              /* held flock on the state directory, or -1 */
};

/* Serialize commands that read or extend the log and PCRs (measure, boot, quote):
 * takes an exclusive lock on STATE_DIR/lock until the process exits. */
int agent_lock_state(struct agent_ctx *ctx, gw_error *err) GW_WUR;

/* Paths inside the state directory. */
int agent_path(const struct agent_ctx *ctx, const char *name, char *buf, size_t len) GW_WUR;

/* Print "gwagent: MSG" to stderr; the command layer's only error channel. */
#define agent_errorf(ctx, ...) gw_tool_errorf((ctx)->prog, __VA_ARGS__)
/* Report err with context and return the matching exit code. */
int agent_report(const struct agent_ctx *ctx, int rc, const gw_error *err, const char *what);

#define AGENT_ARGS_RUN (-1)
/* The options of a command that has only --json (-> *json) and --help (-h), and
 * min to max operands, from argv[optind] on (optind is left there). AGENT_ARGS_RUN
 * to go on; else the exit status after usage(): --help to stdout, GW_EXIT_OK; an
 * unknown option (getopt names it) or another number of operands to stderr,
 * GW_EXIT_USAGE. */
int agent_json_args(int argc, char **argv, int min, int max, bool *json,
		    void (*usage)(FILE *f));

int cmd_provision(struct agent_ctx *ctx, int argc, char **argv);
int cmd_measure(struct agent_ctx *ctx, int argc, char **argv);
int cmd_boot(struct agent_ctx *ctx, int argc, char **argv);
int cmd_quote(struct agent_ctx *ctx, int argc, char **argv);
int cmd_status(struct agent_ctx *ctx, int argc, char **argv);
int cmd_enroll(struct agent_ctx *ctx, int argc, char **argv);
int cmd_attest(struct agent_ctx *ctx, int argc, char **argv);
int cmd_run(struct agent_ctx *ctx, int argc, char **argv);
int cmd_update(struct agent_ctx *ctx, int argc, char **argv);

#endif
