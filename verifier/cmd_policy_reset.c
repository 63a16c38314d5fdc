// SPDX-License-Identifier: Apache-2.0
// gwverifier policy reset: apply a threshold-signed policy version reset, audited.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "cmd_policy.h"
#include "polreset.h"
#include "verdict.h"
#include "util.h"

/* The audit detail (and --json output) of a reset: what the statement said when
 * it verified, who signed it, the file's digest, and why it was refused. */
static json_object *reset_json(const struct polreset *r, const struct verdict_policy_info *info,
			       const char *file_sha256, const char *error)
{
	json_object *o = json_object_new_object();
	int bad = !o;

	if (!bad && r)
		bad = json_object_object_add(o, "model", json_object_new_string(r->model)) ||
		      json_object_object_add(o, "reset", json_object_new_int64(r->reset)) ||
		      json_object_object_add(o, "from_version",
					     json_object_new_int64(r->from_version)) ||
		      json_object_object_add(o, "to_version",
					     json_object_new_int64(r->to_version)) ||
		      json_object_object_add(o, "next_policy_sha256",
					     json_object_new_string(r->next_sha256)) ||
		      json_object_object_add(o, "expires", json_object_new_int64(r->expires)) ||
		      json_object_object_add(o, "reason", json_object_new_string(r->reason));
	if (!bad)
		bad = cmd_policy_detail_add(o, info, file_sha256, error);
	if (bad) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static char *reset_detail(const struct polreset *r, const struct verdict_policy_info *info,
			  const char *file_sha256, const char *error)
{
	json_object *o = reset_json(r, info, file_sha256, error);
	char *s = cmd_policy_detail_text(o);

	json_object_put(o);
	return s;
}

static char *refused_detail(const void *doc, const struct verdict_policy_info *info,
			   const char *error)
{
	return reset_detail(doc, info, NULL, error);
}

/* A refusal before the store was asked: printed (after "file: " unless file is NULL,
 * for a message that names it already), audited with the file's digest. */
static int refuse(const struct verifier_ctx *ctx, const struct cmd_policy_env *e,
		  const char *actor, int64_t now, const char *file, const uint8_t *text,
		  size_t len, const struct verdict_policy_info *info, int rc, const gw_error *err)
{
	char hex[65];
	char *detail;

	cmd_policy_file_sha256(text, len, hex);
	detail = reset_detail(NULL, info, hex[0] ? hex : NULL, gw_error_msg(err, rc));
	rc = cmd_policy_refuse(ctx, e->st, actor, now, "policy.reset", file, gw_error_msg(err, rc),
			       detail,
			       rc == GW_E_NOMEM || rc == GW_E_IO ? GW_EXIT_ERROR : gw_exit_for(rc));
	free(detail);
	return rc;
}

/* What the reset left in force, as the store has it (after chained resets it is
 * not from_version's), printed or as --json. */
static int print_applied(const struct verifier_ctx *ctx, const struct cmd_policy_opts *o,
			 const struct cmd_policy_env *e, const struct polreset *r,
			 const struct verdict_policy_info *info)
{
	struct store_policy cur = { .body = NULL };
	json_object *out = NULL;
	gw_error err = { { 0 } };
	int exitc = GW_EXIT_ERROR;
	int rc = store_policy_current(e->st, r->model, &cur, &err);

	if (rc && rc != GW_E_NOTFOUND) {
		verifier_errorf(ctx, "%s: reset applied, but reading the policy in force: %s",
				o->arg, gw_error_msg(&err, rc));
		goto out;
	}
	if (o->json) {
		out = reset_json(r, info, NULL, NULL);
		if (out && json_object_object_add(out, "in_force",
						  rc ? NULL : json_object_new_int64(cur.version))) {
			json_object_put(out);
			out = NULL;
		}
		if (!out) {
			verifier_errorf(ctx, "%s", gw_strerror(GW_E_NOMEM));
			goto out;
		}
		printf("%s\n", json_object_to_json_string_ext(out, JSON_C_TO_STRING_PRETTY |
								       JSON_C_TO_STRING_NOSLASHESCAPE));
	} else {
		printf("policy %s: reset %u applied, version %u -> %u (signed by %zu of %zu keys, "
		       "threshold %u); ",
		       r->model, (unsigned)r->reset, (unsigned)r->from_version,
		       (unsigned)r->to_version, info->nsigners, e->nkeys, e->cfg.policy_threshold);
		if (rc)
			printf("no policy is in force ");
		else
			printf("version %u stays in force ", (unsigned)cur.version);
		printf("until the policy with payload sha256 %s is added\n", r->next_sha256);
	}
	exitc = GW_EXIT_OK;
out:
	store_policy_fini(&cur);
	json_object_put(out);
	return exitc;
}

static int apply(const struct verifier_ctx *ctx, const struct cmd_policy_opts *o,
		 struct cmd_policy_env *e, const char *actor, int64_t now, const char *text,
		 const struct polreset *r, const struct verdict_policy_info *info)
{
	struct store_audit a;
	char *detail = reset_detail(r, info, NULL, NULL);
	gw_error err = { { 0 } };
	int exitc;
	int rc;

	if (!detail) {
		verifier_errorf(ctx, "%s", gw_strerror(GW_E_NOMEM));
		return GW_EXIT_ERROR;
	}
	a = (struct store_audit){ .ts = now, .actor = actor, .action = "policy.reset",
				  .outcome = "ok", .detail = detail };
	rc = polreset_check_time(r, now, &err);
	if (!rc)
		rc = store_policy_reset(e->st, r->model, r->reset, r->from_version, r->to_version,
					r->next_sha256, text, now, actor, &a, &err);
	exitc = cmd_policy_stored(ctx, e->st, actor, now, "policy.reset", o->arg, "reset", r, info,
				  refused_detail, rc, &err);
	if (exitc == GW_EXIT_OK)
		exitc = print_applied(ctx, o, e, r, info);
	free(detail);
	return exitc;
}

int cmd_policy_reset(const struct verifier_ctx *ctx, const struct cmd_policy_opts *o)
{
	struct cmd_policy_env e;
	struct verdict_policy_info *info = NULL;
	struct polreset r;
	uint8_t *text = NULL;
	size_t len = 0;
	char actor[STORE_ACTOR_MAX + 1];
	gw_error err = { { 0 } };
	int64_t now = (int64_t)time(NULL);
	int exitc;
	int rc;

	memset(&e, 0, sizeof(e));
	exitc = cmd_policy_env_open(ctx, o->config, &e);
	if (exitc)
		goto out;
	info = calloc(1, sizeof(*info));
	if (!info || cmd_policy_actor(actor, sizeof(actor))) {
		verifier_errorf(ctx, "%s", info ? "user name too long" : gw_strerror(GW_E_NOMEM));
		exitc = GW_EXIT_ERROR;
		goto out;
	}
	if (e.nkeys == 0) {
		rc = gw_fail(&err, GW_E_CONFIG, "no policy keys are configured: a reset must be "
						"signed by a threshold of the keys in [policy] "
						"(doc/verifier.md)");
		exitc = refuse(ctx, &e, actor, now, o->config, NULL, 0, info, rc, &err);
		goto out;
	}
	/* gw_read_file names the file in its message already. */
	rc = gw_read_file(o->arg, STORE_POLICY_MAX, &text, &len, &err);
	if (rc) {
		exitc = refuse(ctx, &e, actor, now, NULL, NULL, 0, info, rc, &err);
		goto out;
	}
	rc = verdict_load_reset((const char *)text, len, e.keys, e.nkeys, e.cfg.policy_threshold,
				&r, info, &err);
	if (rc) {
		exitc = refuse(ctx, &e, actor, now, o->arg, text, len, info, rc, &err);
		goto out;
	}
	exitc = apply(ctx, o, &e, actor, now, (const char *)text, &r, info);
out:
	cmd_policy_env_close(&e);
	free(info);
	free(text);
	return exitc;
}
