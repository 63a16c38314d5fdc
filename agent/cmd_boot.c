// SPDX-License-Identifier: Apache-2.0
// gwagent boot: the boot service; measures the configured stages in order.
#include <stdio.h>
#include <string.h>

#include "agent.h"
#include "evlog.h"
#include "stage.h"
#include "trust.h"
#include "update_boot.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: gwagent boot [--json]\n\n"
		   "Measures every [stage NAME] of the config file, in file order, into the stage\n"
		   "PCR and the event log. Runs once per TPM reset cycle (power cycle): a new\n"
		   "cycle starts a new event log, the previous one is kept as eventlog.cel.prev.\n"
		   "With an [update] section it first measures the pinned trust root and the\n"
		   "running slot group's manifest into the trust PCR, and after the stages\n"
		   "finishes a pending update: a trial boot runs the [health NAME] checks and\n"
		   "is committed, or marked bad and the reboot command run; a rollback or a\n"
		   "bootloader fall-back of the previous boot is recorded. A run cut short is\n"
		   "finished by running boot again in the same cycle.\n"
		   "Exit status 6 when a stage file could not be read (it is recorded as\n"
		   "failed, the other stages are still measured), 5 when boot already ran in\n"
		   "this cycle and no update work was left, 40 when a health check failed and\n"
		   "the trial was rolled back, or a group the update state calls bad booted\n"
		   "and the reboot command was run to leave it (5 when the previous boot did\n"
		   "so already), 1 (or the error's code) when the update part failed.\n");
}

/* The update part after the stages (or, resume, at a rerun in the same cycle).
 * Returns the exit code, or -1 when nothing was pending on a rerun. */
static int finish_update(struct agent_ctx *ctx, bool json, bool resume, uint32_t cycle)
{
	bool acted = false, rolled_back = false;
	gw_error err = { { 0 } };
	int rc;

	rc = update_boot_finish(ctx, json, stdout, resume, cycle, &acted, &rolled_back, &err);
	if (rc)
		return agent_report(ctx, rc, &err, "update");
	if (rolled_back)
		return GW_EXIT_ROLLED_BACK;
	return resume && !acted ? -1 : GW_EXIT_OK;
}

/* Trust state first: the verifier key this device answers to, then the update
 * trust root and the running manifest. *update_rc: the update part's failure
 * (reported; the stages are measured regardless). */
static int measure_trust(struct agent_ctx *ctx, bool json, int *update_rc)
{
	gw_error err = { { 0 } };
	bool pinned = false;
	int rc;

	rc = trust_measure_pinned(ctx, &pinned, &err);
	if (rc)
		return agent_report(ctx, rc, &err, "measuring the pinned gate key");
	if (pinned && !json)
		printf("boot: pinned verifier gate key measured into PCR %u\n", ctx->cfg.trust_pcr);
	rc = update_boot_measure(ctx, json, stdout, &err);
	if (rc) {
		agent_errorf(ctx, "update: %s", gw_error_msg(&err, rc));
		*update_rc = gw_exit_for(rc);
	}
	return 0;
}

static int measure_stages(struct agent_ctx *ctx, const struct stage_banks *banks, bool json,
			  size_t *measured, size_t *failed)
{
	gw_error err = { { 0 } };
	int rc;

	for (size_t i = 0; i < ctx->cfg.nstages; i++) {
		const struct agent_stage *st = &ctx->cfg.stages[i];

		for (size_t j = 0; j < st->nfiles; j++) {
			rc = stage_measure_file(ctx, banks, st->name, st->files[j], json, stdout,
						&err);
			if (rc == GW_E_STAGE) {
				agent_errorf(ctx, "%s", gw_error_msg(&err, rc));
				(*failed)++;
				continue;
			}
			if (rc)
				return agent_report(ctx, rc, &err, "boot");
			(*measured)++;
		}
	}
	return 0;
}

int cmd_boot(struct agent_ctx *ctx, int argc, char **argv)
{
	bool json = false, fresh = false;
	struct stage_banks banks;
	struct evlog_meta meta;
	gw_error err = { { 0 } };
	size_t failed = 0, measured = 0;
	int rc, update_rc = 0;

	rc = agent_json_args(argc, argv, 0, 0, &json, usage);
	if (rc != AGENT_ARGS_RUN)
		return rc;
	if (ctx->cfg.nstages == 0) {
		agent_errorf(ctx, "config: no [stage NAME] sections to measure");
		return GW_EXIT_CONFIG;
	}
	rc = evlog_sync(ctx, &meta, &fresh, &err);
	if (rc)
		return agent_report(ctx, rc, &err, "event log");
	if (meta.booted) {
		/* An update step cut short (a crash, a kill) is finished by a rerun. */
		rc = finish_update(ctx, json, true, meta.reset_count);
		if (rc >= 0)
			return rc;
		agent_errorf(ctx, "boot already ran in this TPM reset cycle (resetCount %u); "
				  "use 'gwagent measure' for later measurements",
			     meta.reset_count);
		return GW_EXIT_STATE;
	}
	rc = stage_banks_get(ctx, &banks, &err);
	if (rc)
		return agent_report(ctx, rc, &err, "PCR banks");
	if (!json)
		printf("boot: TPM reset cycle %u, %s event log\n", meta.reset_count,
		       fresh ? "new" : "continuing the");
	if ((rc = measure_trust(ctx, json, &update_rc)) ||
	    (rc = measure_stages(ctx, &banks, json, &measured, &failed)))
		return rc;
	rc = evlog_mark_booted(ctx, &meta, &err);
	if (rc)
		return agent_report(ctx, rc, &err, "event log state");
	if (!json)
		printf("boot: %zu file(s) measured, %zu failed\n", measured, failed);
	/* The trial's health checks see the measured system. A measuring failure
	 * does not skip them: a pending trial is committed or rolled back all the
	 * same (the failure is reported, and in the history). */
	rc = finish_update(ctx, json, false, meta.reset_count);
	if (rc != GW_EXIT_OK)
		return rc;
	if (update_rc)
		return update_rc;
	return failed ? GW_EXIT_STAGE : GW_EXIT_OK;
}
