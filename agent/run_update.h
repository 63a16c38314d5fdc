/* SPDX-License-Identifier: Apache-2.0 */
/* What `gwagent run` does after an affirming round (doc/consent.md, "The daemon"):
 * the first offered release the [consent] decision lets install now is applied as
 * `gwagent update apply` does, and then the [update] reboot_command is run. */
#ifndef GW_AGENT_RUN_UPDATE_H
#define GW_AGENT_RUN_UPDATE_H

#include <stdbool.h>
#include <stddef.h>

#include "agent.h"
#include "update_apply.h"

enum run_update_what {
	RUN_UPDATE_NOTHING,  /* nothing offered, or no [update] */
	RUN_UPDATE_WAITING,  /* offers, none to install now (line says why) */
	RUN_UPDATE_APPLIED,  /* applied and the reboot command run */
	RUN_UPDATE_FAILED,   /* the apply or the reboot command failed (err) */
};

struct run_update_outcome {
	enum run_update_what what;
	int exit_code;		/* of the apply, when it ran */
	char line[512];		/* for the log */
};

/* One step at now (seconds since the epoch, judged by the consent windows as
 * `update pending` judges them). Fills *out; 0 unless it failed (then err). */
int run_update_step(struct agent_ctx *ctx, int64_t now, struct run_update_outcome *out,
		    gw_error *err) GW_WUR;

#endif
