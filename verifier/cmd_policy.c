// SPDX-License-Identifier: Apache-2.0
// gwverifier policy: add, list and show the signed per-model policies in the store.
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/evp.h>

#include "digest.h"
#include "dsse.h"
#include "gwpol.h"
#include "store.h"
#include "util.h"
#include "vconfig.h"
#include "cli.h"
#include "cmd_policy.h"
#include "polreset.h"
#include "verdict.h"
#include "verifier.h"

#define DEFAULT_CONFIG "/etc/gatewarden/verifier.conf"

/* An envelope of the largest policy fits the store: base64 of the payload, the JSON
 * around it and DSSE_MAX_SIGS signatures of at most 1.5 KiB each; and the DSSE
 * parser takes it. */
_Static_assert(STORE_POLICY_MAX >= 4 * ((GWPOL_MAX_SIZE + 2) / 3) + DSSE_MAX_SIGS * 1536 + 4096,
	       "STORE_POLICY_MAX cannot hold the envelope of a GWPOL_MAX_SIZE policy");
_Static_assert(STORE_POLICY_MAX <= DSSE_MAX_SIZE, "STORE_POLICY_MAX above DSSE_MAX_SIZE");

static void usage(FILE *f)
{
	fprintf(f, "usage: gwverifier policy add SIGNED [--config F]\n"
		   "       gwverifier policy list [--json] [--config F]\n"
		   "       gwverifier policy show MODEL [--version N] [--json] [--config F]\n"
		   "       gwverifier policy reset SIGNED [--json] [--config F]\n\n"
		   "Signed per-model policies (doc/verifier.md, \"Policies\"):\n"
		   "  add    verify SIGNED (a DSSE envelope from 'gwpolicy sign') against the\n"
		   "         [policy] keys and threshold of the configuration, check the\n"
		   "         policy in it, and store it as the next version of its model; its\n"
		   "         version must be above the model's current one, by at most 1000\n"
		   "         (exit 5)\n"
		   "  list   the current version of every model\n"
		   "  show   a model's current policy (the signed payload), or version N\n"
		   "  reset  verify SIGNED (a DSSE envelope of a version reset statement,\n"
		   "         payloadType " POLRESET_PAYLOAD_TYPE ")\n"
		   "         against the [policy] keys and threshold, and apply it: the\n"
		   "         model's version counter goes from from_version (its current\n"
		   "         version) back to to_version; each reset applies once (exit 5)\n\n"
		   "  --config F  verifier configuration (default " DEFAULT_CONFIG ")\n"
		   "  --json      machine-readable output\n");
}

/* Parse "SUB [ARG] [options]"; want_arg says whether ARG is required. */
static int parse_opts(int argc, char **argv, bool want_arg, bool allow_json,
		      bool allow_version, struct cmd_policy_opts *o)
{
	static const struct option lopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "version", required_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->config = DEFAULT_CONFIG;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->config = optarg;
			break;
		case 'j':
			if (!allow_json)
				return GW_EXIT_USAGE;
			o->json = true;
			break;
		case 'v':
			if (!allow_version)
				return GW_EXIT_USAGE;
			o->version = optarg;
			break;
		case 'h':
			usage(stdout);
			return -1;
		default:
			return GW_EXIT_USAGE;
		}
	}
	if (want_arg) {
		if (optind + 1 != argc)
			return GW_EXIT_USAGE;
		o->arg = argv[optind];
	} else if (optind != argc) {
		return GW_EXIT_USAGE;
	}
	return 0;
}

int cmd_policy_env_open(const struct verifier_ctx *ctx, const char *config,
			struct cmd_policy_env *e)
{
	gw_error err = { { 0 } };
	int rc;

	vconfig_defaults(&e->cfg);
	rc = vconfig_load(config, &e->cfg, &err);
	if (rc) {
		/* vconfig_load names the file (and line) itself. */
		verifier_errorf(ctx, "%s", gw_error_msg(&err, rc));
		return GW_EXIT_CONFIG;
	}
	rc = verdict_keys_load(e->cfg.policy_keys, e->cfg.n_policy_keys, e->keys, &err);
	if (rc) {
		verifier_errorf(ctx, "%s: [policy] key: %s", config, gw_error_msg(&err, rc));
		return GW_EXIT_CONFIG;
	}
	e->nkeys = e->cfg.n_policy_keys;
	rc = store_open(e->cfg.store, &e->st, &err);
	if (rc) {
		verifier_errorf(ctx, "opening the store: %s", gw_error_msg(&err, rc));
		return GW_EXIT_ERROR;
	}
	return 0;
}

void cmd_policy_env_close(struct cmd_policy_env *e)
{
	store_close(e->st);
	verdict_keys_free(e->keys, e->nkeys);
	vconfig_fini(&e->cfg);
	memset(e, 0, sizeof(*e));
}

static void format_time(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	/* A time gmtime cannot show is printed as the raw number; 32 bytes hold it. */
	if ((!gmtime_r(&tt, &tm) || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) &&
	    gw_snprintf(buf, len, "%lld", (long long)t))
		buf[0] = '\0';
}

/* "operator:NAME" for the user running the command. */
int cmd_policy_actor(char *buf, size_t len)
{
	return cli_actor(buf, len);
}

int cmd_policy_detail_add(json_object *o, const struct verdict_policy_info *info,
			  const char *file_sha256, const char *error)
{
	json_object *ids = json_object_new_array();
	int bad = !o || !ids;

	for (size_t i = 0; !bad && i < info->nsigners; i++)
		bad = json_object_array_add(ids, json_object_new_string(info->signed_by[i]));
	if (!bad && info->payload_sha256[0])
		bad = json_object_object_add(o, "sha256",
					     json_object_new_string(info->payload_sha256));
	if (!bad && file_sha256)
		bad = json_object_object_add(o, "file_sha256", json_object_new_string(file_sha256));
	if (!bad) {
		bad = json_object_object_add(o, "signed_by", ids);
		if (!bad)
			ids = NULL;
	}
	if (!bad && error)
		bad = json_object_object_add(o, "error", json_object_new_string(error));
	json_object_put(ids);
	return bad ? GW_E_NOMEM : 0;
}

char *cmd_policy_detail_text(const json_object *o)
{
	return o ? strdup(json_object_to_json_string_ext((json_object *)o,
							 JSON_C_TO_STRING_PLAIN |
							 JSON_C_TO_STRING_NOSLASHESCAPE))
		 : NULL;
}

/* The audit detail of a policy decision: model, version and SHA-256 of the
 * payload when known, the keyids whose signatures counted, and why it was refused. */
static char *audit_detail(const struct gwpol *p, const struct verdict_policy_info *info,
			  const char *file_sha256, const char *error)
{
	json_object *o = json_object_new_object();
	char *s = NULL;
	int bad = !o;

	if (!bad && p)
		bad = json_object_object_add(o, "model", json_object_new_string(p->model)) ||
		      json_object_object_add(o, "version", json_object_new_int64(p->version));
	if (!bad && !cmd_policy_detail_add(o, info, file_sha256, error))
		s = cmd_policy_detail_text(o);
	json_object_put(o);
	return s;
}

static char *add_detail(const void *doc, const struct verdict_policy_info *info,
			const char *error)
{
	return audit_detail(doc, info, NULL, error);
}

void cmd_policy_file_sha256(const void *text, size_t len, char hex[65])
{
	uint8_t md[32];

	hex[0] = '\0';
	if (text && gw_hash(TPM2_ALG_SHA256, text, len, md) == 0)
		gw_hex_encode(md, sizeof(md), hex);
}

/* A refused policy is a security decision: it is audited. The refusal stands if
 * the record cannot be written. */
void cmd_policy_audit_refusal(const struct verifier_ctx *ctx, struct store *st,
			      const char *actor, int64_t now, const char *action,
			      const char *detail)
{
	struct store_audit a = { .ts = now, .actor = actor, .action = action,
				 .outcome = "refused", .detail = detail };
	gw_error aerr = { { 0 } };

	if (!detail)
		return;
	if (store_audit_append(st, &a, NULL, &aerr))
		verifier_errorf(ctx, "warning: audit record not written: %s",
				gw_error_msg(&aerr, GW_E_IO));
}

int cmd_policy_refuse(const struct verifier_ctx *ctx, struct store *st, const char *actor,
		      int64_t now, const char *action, const char *file, const char *msg,
		      const char *detail, int exitc)
{
	if (msg && file)
		verifier_errorf(ctx, "%s: %s", file, msg);
	else if (msg)
		verifier_errorf(ctx, "%s", msg);
	cmd_policy_audit_refusal(ctx, st, actor, now, action, detail);
	return exitc;
}

int cmd_policy_stored(const struct verifier_ctx *ctx, struct store *st, const char *actor,
		      int64_t now, const char *action, const char *file, const char *what,
		      const void *doc, const struct verdict_policy_info *info,
		      cmd_policy_detail_fn detail, int rc, const gw_error *err)
{
	char *d;

	if (!rc)
		return GW_EXIT_OK;
	if (rc != GW_E_STATE) {
		verifier_errorf(ctx, "%s: storing the %s: %s", file, what, gw_error_msg(err, rc));
		return GW_EXIT_ERROR;
	}
	d = detail(doc, info, gw_error_msg(err, rc));
	rc = cmd_policy_refuse(ctx, st, actor, now, action, file, gw_error_msg(err, rc), d,
			       GW_EXIT_STATE);
	free(d);
	return rc;
}

static void print_diags(const struct verifier_ctx *ctx, const char *file,
			const struct gwpol_diags *d)
{
	for (size_t i = 0; i < d->n; i++)
		verifier_errorf(ctx, "%s: %s: %s", file, d->d[i].path, d->d[i].msg);
	if (d->dropped)
		verifier_errorf(ctx, "%s: %zu more errors not shown", file, d->dropped);
}

/* A policy refused before the store was asked: what the verification found
 * printed, audited with the file's digest. */
static int add_refused(const struct verifier_ctx *ctx, const struct cmd_policy_opts *o,
		       struct cmd_policy_env *e, const char *actor, int64_t now,
		       const uint8_t *text, size_t len, const struct verdict_policy_info *info,
		       int rc, const gw_error *err)
{
	char hex[65];
	char *detail;

	cmd_policy_file_sha256(text, len, hex);
	if (info->step == VERDICT_STEP_PAYLOAD && info->diags.n)
		verifier_errorf(ctx, "%s: the signed policy is refused:", o->arg);
	else
		verifier_errorf(ctx, "%s: %s", o->arg, gw_error_msg(err, rc));
	if (info->step == VERDICT_STEP_PAYLOAD)
		print_diags(ctx, o->arg, &info->diags);
	if (info->step == VERDICT_STEP_ENVELOPE && rc != GW_E_NOMEM)
		verifier_errorf(ctx, "%s: sign the policy first: gwpolicy sign --key "
				     "KEY.key POLICY.json > SIGNED.json", o->arg);
	detail = audit_detail(NULL, info, hex[0] ? hex : NULL, gw_error_msg(err, rc));
	rc = cmd_policy_refuse(ctx, e->st, actor, now, "policy.add", NULL, NULL, detail,
			       rc == GW_E_NOMEM ? GW_EXIT_ERROR : gw_exit_for(rc));
	free(detail);
	return rc;
}

/* Verify the envelope text and store it, audited either way. */
static int add_text(const struct verifier_ctx *ctx, const struct cmd_policy_opts *o,
		    struct cmd_policy_env *e, const char *actor, int64_t now, const uint8_t *text,
		    size_t len, struct verdict_policy_info *info)
{
	struct gwpol *p = NULL;
	struct store_audit a;
	char *detail = NULL;
	gw_error err = { { 0 } };
	int exitc = GW_EXIT_ERROR;
	int rc;

	rc = verdict_load_policy((const char *)text, len, e->keys, e->nkeys,
				 e->cfg.policy_threshold, &p, info, &err);
	if (rc)
		return add_refused(ctx, o, e, actor, now, text, len, info, rc, &err);
	detail = audit_detail(p, info, NULL, NULL);
	if (!detail) {
		verifier_errorf(ctx, "%s", gw_strerror(GW_E_NOMEM));
		goto out;
	}
	a = (struct store_audit){ .ts = now, .actor = actor, .action = "policy.add",
				  .outcome = "ok", .detail = detail };
	/* The envelope is stored as given, so that what was signed can be verified
	 * again: at every load by the service, and by anyone reading the store. */
	rc = store_policy_add(e->st, p->model, p->version, info->payload_sha256,
			      (const char *)text, now, actor, &a, &err);
	exitc = cmd_policy_stored(ctx, e->st, actor, now, "policy.add", o->arg, "policy", p, info,
				  add_detail, rc, &err);
	if (exitc == GW_EXIT_OK)
		printf("policy %s version %u added (signed by %zu of %zu keys, threshold %u)\n",
		       p->model, (unsigned)p->version, info->nsigners, e->nkeys,
		       e->cfg.policy_threshold);
out:
	gwpol_free(p);
	free(detail);
	return exitc;
}

static int policy_add(const struct verifier_ctx *ctx, const struct cmd_policy_opts *o)
{
	struct cmd_policy_env e;
	struct verdict_policy_info *info = NULL;
	uint8_t *text = NULL;
	size_t len = 0;
	char *detail = NULL;
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
		detail = audit_detail(NULL, info, NULL, "no policy keys are configured");
		exitc = cmd_policy_refuse(ctx, e.st, actor, now, "policy.add", o->config,
					  "no policy keys are configured: only policies signed by a "
					  "threshold of the keys in [policy] are accepted (add 'key = "
					  "FILE.pub' lines, see doc/verifier.md)",
					  detail, GW_EXIT_CONFIG);
		goto out;
	}
	/* gw_read_file names the file in its message already. */
	rc = gw_read_file(o->arg, STORE_POLICY_MAX, &text, &len, &err);
	if (rc) {
		detail = audit_detail(NULL, info, NULL, gw_error_msg(&err, rc));
		exitc = cmd_policy_refuse(ctx, e.st, actor, now, "policy.add", NULL,
					  gw_error_msg(&err, rc), detail,
					  rc == GW_E_TOOBIG ? gw_exit_for(rc) : GW_EXIT_ERROR);
		goto out;
	}
	exitc = add_text(ctx, o, &e, actor, now, text, len, info);
out:
	cmd_policy_env_close(&e);
	free(info);
	free(detail);
	free(text);
	return exitc;
}

/* Whether a stored row verifies as the service would use it: the envelope with
 * today's keys, for the row's model and version. info (optional) gets what the
 * envelope said; *n_stages (optional) the payload's stage count when it verified.
 * 0, or why not (GW_E_NOMEM is the caller's to report). */
static int stored_verify(const struct cmd_policy_env *e, const struct store_policy *sp,
			 struct verdict_policy_info *info, size_t *n_stages, gw_error *err)
{
	struct gwpol *pol = NULL;
	int rc;

	rc = verdict_load_policy(sp->body, strlen(sp->body), e->keys, e->nkeys,
				 e->cfg.policy_threshold, &pol, info, err);
	if (rc)
		return rc;
	if (n_stages)
		*n_stages = pol->n_stages;
	if (strcmp(pol->model, sp->model) || pol->version != sp->version)
		rc = gw_fail(err, GW_E_PARSE, "its payload is model '%s' version %u", pol->model,
			     (unsigned)pol->version);
	gwpol_free(pol);
	return rc;
}

struct row {
	char model[STORE_MODEL_MAX + 1];
	uint32_t version;
	int64_t added_at;
	char added_by[STORE_ACTOR_MAX + 1];
	size_t n_stages;
	bool verified;
};

struct rows {
	const struct cmd_policy_env *e;
	struct row *r;
	size_t n, cap;
};

static int collect(const struct store_policy *p, void *arg)
{
	struct rows *rs = arg;
	struct row *r;
	int rc;

	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? rs->cap * 2 : 16;
		struct row *n = reallocarray(rs->r, cap, sizeof(*n));

		if (!n)
			return GW_E_NOMEM;
		rs->r = n;
		rs->cap = cap;
	}
	r = &rs->r[rs->n++];
	memcpy(r->model, p->model, sizeof(r->model));
	memcpy(r->added_by, p->added_by, sizeof(r->added_by));
	r->version = p->version;
	r->added_at = p->added_at;
	/* Verified again with today's keys: a row that no longer verifies (keys
	 * rotated, row changed) is one the service refuses to appraise with. */
	r->n_stages = 0;
	rc = stored_verify(rs->e, p, NULL, &r->n_stages, NULL);
	if (rc == GW_E_NOMEM)
		return rc;
	r->verified = rc == 0;
	return 0;
}

static int policy_list(const struct verifier_ctx *ctx, const struct cmd_policy_opts *o)
{
	struct cmd_policy_env e;
	struct rows rs = { NULL, NULL, 0, 0 };
	json_object *arr = NULL;
	gw_error err = { { 0 } };
	char when[32];
	int wm = 5;
	int exitc;
	int rc;

	memset(&e, 0, sizeof(e));
	rs.e = &e;
	exitc = cmd_policy_env_open(ctx, o->config, &e);
	if (exitc)
		goto out;
	rc = store_policy_list(e.st, NULL, collect, &rs, &err);
	if (rc) {
		verifier_errorf(ctx, "listing policies: %s", gw_error_msg(&err, rc));
		exitc = GW_EXIT_ERROR;
		goto out;
	}
	if (o->json) {
		arr = json_object_new_array();
		if (!arr) {
			exitc = GW_EXIT_ERROR;
			goto out;
		}
		for (size_t i = 0; i < rs.n; i++) {
			json_object *j = json_object_new_object();

			if (!j || json_object_array_add(arr, j)) {
				json_object_put(j);
				exitc = GW_EXIT_ERROR;
				goto out;
			}
			json_object_object_add(j, "model", json_object_new_string(rs.r[i].model));
			json_object_object_add(j, "version", json_object_new_int64(rs.r[i].version));
			json_object_object_add(j, "added_at", json_object_new_int64(rs.r[i].added_at));
			json_object_object_add(j, "added_by",
					       json_object_new_string(rs.r[i].added_by));
			json_object_object_add(j, "stages",
					       json_object_new_int64((int64_t)rs.r[i].n_stages));
			json_object_object_add(j, "verified",
					       json_object_new_boolean(rs.r[i].verified));
		}
		printf("%s\n", json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY |
								      JSON_C_TO_STRING_NOSLASHESCAPE));
		exitc = GW_EXIT_OK;
		goto out;
	}
	for (size_t i = 0; i < rs.n; i++) {
		int m = (int)strlen(rs.r[i].model);

		wm = m > wm ? m : wm;
	}
	printf("%-*s  %10s  %6s  %-8s  %-20s  %s\n", wm, "MODEL", "VERSION", "STAGES", "VERIFIED",
	       "ADDED", "ADDED BY");
	for (size_t i = 0; i < rs.n; i++) {
		format_time(rs.r[i].added_at, when, sizeof(when));
		printf("%-*s  %10u  %6zu  %-8s  %-20s  %s\n", wm, rs.r[i].model,
		       (unsigned)rs.r[i].version, rs.r[i].n_stages, rs.r[i].verified ? "yes" : "NO",
		       when, rs.r[i].added_by);
	}
	exitc = GW_EXIT_OK;
out:
	json_object_put(arr);
	free(rs.r);
	cmd_policy_env_close(&e);
	return exitc;
}

static int show_json(const struct verifier_ctx *ctx, const struct cmd_policy_env *e,
		     const struct store_policy *sp, const uint8_t *payload, size_t len, bool current)
{
	struct verdict_policy_info *info = calloc(1, sizeof(*info));
	json_object *o = json_object_new_object(), *ids = json_object_new_array();
	json_object *body = NULL;
	bool verified;
	int exitc = GW_EXIT_ERROR;

	if (!info || !o || !ids)
		goto out;
	/* The payload parsed strictly before it was stored; json-c reads it back. */
	{
		json_tokener *tok = json_tokener_new_ex(GWPOL_MAX_DEPTH + 1);

		if (!tok)
			goto out;
		body = json_tokener_parse_ex(tok, (const char *)payload, (int)len);
		json_tokener_free(tok);
	}
	if (!body) {
		verifier_errorf(ctx, "stored policy %s version %u: the payload is not JSON",
				sp->model, (unsigned)sp->version);
		goto out;
	}
	verified = stored_verify(e, sp, info, NULL, NULL) == 0;
	for (size_t i = 0; i < info->nsigners; i++)
		json_object_array_add(ids, json_object_new_string(info->signed_by[i]));
	json_object_object_add(o, "model", json_object_new_string(sp->model));
	json_object_object_add(o, "version", json_object_new_int64(sp->version));
	json_object_object_add(o, "current", json_object_new_boolean(current));
	json_object_object_add(o, "added_at", json_object_new_int64(sp->added_at));
	json_object_object_add(o, "added_by", json_object_new_string(sp->added_by));
	json_object_object_add(o, "verified", json_object_new_boolean(verified));
	json_object_object_add(o, "signed_by", ids);
	ids = NULL;
	json_object_object_add(o, "policy", body);
	body = NULL;
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
							   JSON_C_TO_STRING_NOSLASHESCAPE));
	exitc = GW_EXIT_OK;
out:
	json_object_put(body);
	json_object_put(ids);
	json_object_put(o);
	free(info);
	return exitc;
}

static int policy_show(const struct verifier_ctx *ctx, const struct cmd_policy_opts *o)
{
	struct cmd_policy_env e;
	struct store_policy sp, cur;
	struct dsse_envelope *env = NULL;
	gw_error err = { { 0 } };
	uint64_t v = 0;
	bool current;
	const struct store_policy *shown;
	const uint8_t *payload;
	size_t plen;
	int exitc;
	int rc;

	memset(&e, 0, sizeof(e));
	memset(&sp, 0, sizeof(sp));
	memset(&cur, 0, sizeof(cur));
	if (o->version && (gw_parse_u64(o->version, UINT32_MAX, &v) || v == 0)) {
		verifier_errorf(ctx, "--version %s: not a version (1..4294967295)", o->version);
		return GW_EXIT_USAGE;
	}
	exitc = cmd_policy_env_open(ctx, o->config, &e);
	if (exitc)
		goto out;
	rc = store_policy_current(e.st, o->arg, &cur, &err);
	if (rc == 0 && v && v != cur.version)
		rc = store_policy_get(e.st, o->arg, (uint32_t)v, &sp, &err);
	if (rc) {
		verifier_errorf(ctx, "%s", gw_error_msg(&err, rc));
		exitc = rc == GW_E_INVAL ? GW_EXIT_USAGE : GW_EXIT_ERROR;
		goto out;
	}
	current = sp.body == NULL;
	shown = current ? &cur : &sp;
	rc = dsse_parse((const uint8_t *)shown->body, strlen(shown->body), &env, &err);
	if (rc == GW_E_NOMEM) {
		verifier_errorf(ctx, "%s", gw_strerror(rc));
		exitc = GW_EXIT_ERROR;
		goto out;
	}
	/* A row that is no envelope (stored by a release before policies were signed,
	 * or written by other means) is shown as it is, and said to be unused. */
	if (rc)
		verifier_errorf(ctx, "warning: stored policy %s version %u is not a signed "
				     "policy (%s): the service does not appraise with it",
				shown->model, (unsigned)shown->version, gw_error_msg(&err, rc));
	payload = env ? env->payload : (const uint8_t *)shown->body;
	plen = env ? env->payload_len : strlen(shown->body);
	if (o->json) {
		exitc = show_json(ctx, &e, shown, payload, plen, current);
	} else {
		/* The signed payload as it was signed, and a warning when it does not
		 * verify now (a row changed behind the verifier's back, keys rotated). */
		fwrite(payload, 1, plen, stdout);
		if (!plen || payload[plen - 1] != '\n')
			putchar('\n');
		if (env && (rc = stored_verify(&e, shown, NULL, NULL, &err)) != 0)
			verifier_errorf(ctx, "warning: stored policy %s version %u does not verify "
					     "with the [policy] keys (%s): the service does not "
					     "appraise with it", shown->model, (unsigned)shown->version,
					gw_error_msg(&err, rc));
		exitc = GW_EXIT_OK;
	}
out:
	dsse_free(env);
	store_policy_fini(&sp);
	store_policy_fini(&cur);
	cmd_policy_env_close(&e);
	return exitc;
}

int cmd_policy(struct verifier_ctx *ctx, int argc, char **argv)
{
	static const struct {
		const char *name;
		bool arg, json, version;
		int (*run)(const struct verifier_ctx *ctx, const struct cmd_policy_opts *o);
	} subs[] = {
		{ "add", true, false, false, policy_add },
		{ "list", false, true, false, policy_list },
		{ "show", true, true, true, policy_show },
		{ "reset", true, true, false, cmd_policy_reset },
	};
	struct cmd_policy_opts o;
	int rc;

	if (argc < 2) {
		usage(stderr);
		return GW_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return GW_EXIT_OK;
	}
	for (size_t i = 0; i < GW_ARRAY_SIZE(subs); i++) {
		if (strcmp(argv[1], subs[i].name))
			continue;
		rc = parse_opts(argc - 1, argv + 1, subs[i].arg, subs[i].json, subs[i].version, &o);
		if (rc < 0)
			return GW_EXIT_OK;
		if (rc) {
			usage(stderr);
			return rc;
		}
		return subs[i].run(ctx, &o);
	}
	verifier_errorf(ctx, "policy: unknown subcommand '%s'", argv[1]);
	usage(stderr);
	return GW_EXIT_USAGE;
}
