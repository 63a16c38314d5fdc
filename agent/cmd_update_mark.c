// SPDX-License-Identifier: Apache-2.0
// gwagent update mark-good and mark-bad: the operator's verdict on a slot group,
// through the same commit and rollback steps as the boot service.
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "agent.h"
#include "update_boot.h"

static void usage_good(FILE *f)
{
	fprintf(f, "usage: gwagent update mark-good [--json]\n\n"
		   "The running slot group is good. On a trial boot this commits it as the\n"
		   "boot service does after its health checks: the bootloader makes it the\n"
		   "primary, the other group is marked bad when its security version is below\n"
		   "the new one, the anti-rollback counter moves up to the new security\n"
		   "version and PCR %d records 'update committed'. Otherwise the bootloader is\n"
		   "told again that the running group is good.\n",
		AGENT_TRUST_PCR);
}

static void usage_bad(FILE *f)
{
	fprintf(f, "usage: gwagent update mark-bad [A|B|booted|other] [--json]\n\n"
		   "The group (default: booted, the running one) must not boot again until a\n"
		   "new install. Marking the running group bad hands the primary to the other\n"
		   "group (refused when that one is not bootable); reboot to leave it, and the\n"
		   "next boot records 'update rolled-back' in PCR %d. Marking the other group\n"
		   "bad ends a trial pending for it (recorded at once). The anti-rollback\n"
		   "counter never moves.\n",
		AGENT_TRUST_PCR);
}

static void print_result(bool json, const char *action, enum bl_group g, const char *result)
{
	json_object *o;

	if (!json) {
		printf("update: %s\n", result);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "action", json_object_new_string(action));
	json_object_object_add(o, "group", json_object_new_string_len(&"AB"[g], 1));
	json_object_object_add(o, "result", json_object_new_string(result));
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
								 JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

int update_mark_good_main(struct agent_ctx *ctx, int argc, char **argv)
{
	struct update_run run;
	gw_error err = { { 0 } };
	bool json = false;
	enum bl_group g;
	int rc;

	rc = agent_json_args(argc, argv, 0, 0, &json, usage_good);
	if (rc != AGENT_ARGS_RUN)
		return rc;
	rc = update_run_open(ctx, json, stdout, &run, &err);
	if (rc)
		goto out;
	run.tag = "update";
	g = run.booted;
	if (run.st.trial_group == (int)g && run.st.group[g].state == SLOT_STAGED) {
		rc = update_commit(&run, "marked good by the operator", &err);
		if (!rc)
			print_result(json, "mark-good", g, "committed");
		goto out;
	}
	if (run.st.group[g].state == SLOT_BAD) {
		rc = gw_fail(&err, GW_E_STATE,
			     "group %c is recorded as bad (%s): install an update to replace it",
			     bl_group_char(g), run.st.last_detail);
		goto out;
	}
	rc = bl_mark_good(run.bl, g, &err);
	if (!rc)
		print_result(json, "mark-good", g, "marked good");
out:
	update_run_close(&run);
	return rc ? agent_report(ctx, rc, &err, "update mark-good") : GW_EXIT_OK;
}

static int parse_group(const char *s, enum bl_group booted, enum bl_group *out)
{
	if (!strcmp(s, "A") || !strcmp(s, "a"))
		*out = BL_GROUP_A;
	else if (!strcmp(s, "B") || !strcmp(s, "b"))
		*out = BL_GROUP_B;
	else if (!strcmp(s, "booted"))
		*out = booted;
	else if (!strcmp(s, "other"))
		*out = booted == BL_GROUP_A ? BL_GROUP_B : BL_GROUP_A;
	else
		return GW_E_INVAL;
	return 0;
}

/* The group that is not running: it never boots again, and a trial pending for
 * it ends now. */
static int mark_other_bad(struct update_run *run, enum bl_group g, gw_error *err)
{
	struct manifest *m = NULL;
	int rc;

	if (!run->bls.bootable[run->booted])
		return gw_fail(err, GW_E_STATE,
			       "the running group %c is not confirmed (on trial): marking %c bad "
			       "would leave nothing to fall back to; mark-good first",
			       bl_group_char(run->booted), bl_group_char(g));
	rc = bl_mark_bad(run->bl, g, err);
	if (rc)
		return rc;
	if (run->st.trial_group == (int)g) {
		rc = update_manifest_load(run->ctx, run->root, g, &m, err);
		if (!rc)
			rc = update_record(run, UPDATE_EV_ROLLED_BACK, g, m, false, err);
		else if (rc == GW_E_NOTFOUND)
			rc = 0;
		manifest_free(m);
		if (rc)
			return rc;
		run->st.trial_group = -1;
		run->st.last_outcome = UPDATE_OUTCOME_ROLLED_BACK;
	}
	run->st.group[g].state = SLOT_BAD;
	snprintf(run->st.last_detail, sizeof(run->st.last_detail),
		 "group %c marked bad by the operator", bl_group_char(g));
	return update_state_commit(run, "mark-bad", g, err);
}

int update_mark_bad_main(struct agent_ctx *ctx, int argc, char **argv)
{
	struct update_run run;
	gw_error err = { { 0 } };
	bool json = false;
	enum bl_group g;
	char msg[128];
	int rc;

	rc = agent_json_args(argc, argv, 0, 1, &json, usage_bad);
	if (rc != AGENT_ARGS_RUN)
		return rc;
	rc = update_run_open(ctx, json, stdout, &run, &err);
	if (rc)
		goto out;
	run.tag = "update";
	if (parse_group(optind < argc ? argv[optind] : "booted", run.booted, &g)) {
		agent_errorf(ctx, "update mark-bad: '%s' is not a group: use A, B, booted or other",
			     argv[optind]);
		update_run_close(&run);
		return GW_EXIT_USAGE;
	}
	if (g == run.booted) {
		rc = update_rollback(&run, g, "marked bad by the operator", &err);
		snprintf(msg, sizeof(msg), "group %c marked bad: reboot to boot group %c",
			 bl_group_char(g), bl_group_char(g == BL_GROUP_A ? BL_GROUP_B : BL_GROUP_A));
	} else {
		rc = mark_other_bad(&run, g, &err);
		snprintf(msg, sizeof(msg), "group %c marked bad", bl_group_char(g));
	}
	if (!rc)
		print_result(json, "mark-bad", g, msg);
out:
	update_run_close(&run);
	return rc ? agent_report(ctx, rc, &err, "update mark-bad") : GW_EXIT_OK;
}
