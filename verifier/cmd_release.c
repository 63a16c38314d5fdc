// SPDX-License-Identifier: Apache-2.0
// gwverifier release add|list|show|approve|withdraw|rollout: the releases the
// verifier offers and serves to devices.
#include <getopt.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "release_add.h"
#include "util.h"
#include "vconfig.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: gwverifier release add BUNDLE [--channel C] [--rollout PCT]\n"
		"                  [--require-approval] [--critical --deadline T] [--json]\n"
		"       gwverifier release list [--model M] [--json]\n"
		"       gwverifier release show ID [--json]\n"
		"       gwverifier release approve ID\n"
		"       gwverifier release withdraw ID\n"
		"       gwverifier release rollout ID PCT\n\n"
		"  --config FILE       verifier configuration (default " CLI_DEFAULT_CONFIG ")\n"
		"  --channel C         check that the bundle is for channel C\n"
		"  --rollout PCT       offer it to PCT percent of the devices (default 100)\n"
		"  --require-approval  offer it only after 'release approve'\n"
		"  --critical          mark it critical; --deadline T (YYYY-MM-DDTHH:MM:SSZ)\n"
		"                      ends deferral then\n"
		"  --model M           list only releases for model M\n"
		"  --json              JSON for scripts instead of a table\n\n"
		"add verifies the whole bundle against [releases] trust_root before it is\n"
		"kept, as <dir>/<sha256>.gwb; an encrypted bundle must be made for the\n"
		"release key ('gwverifier release-key'), whose content key must decrypt\n"
		"every payload. withdraw is final. Every change and every\n"
		"refused bundle is audited with the actor operator:<login name>.\n"
		"Exit: 0 done, 1 unknown release or failure, 2 usage, 3 config, 5 not allowed\n"
		"now (withdrawn, approved already, stored already), 30 bundle not signed by\n"
		"the trust root's targets keys, 31 bundle malformed or tampered, 33 --channel\n"
		"is not the bundle's, 34 the manifest has expired, 38 the trust root\n"
		"cannot be used, 39 an encrypted bundle whose content key is wrapped for\n"
		"another key or does not decrypt its payloads; 3 also for an encrypted\n"
		"bundle when [releases] release_key is missing or unusable.\n");
}

struct opts {
	const char *config;
	const char *channel;
	const char *model;
	const char *deadline;
	unsigned rollout;
	bool rollout_set;
	bool require_approval;
	bool critical;
	bool json;
};

static int parse_pct(const char *s, unsigned *out)
{
	uint64_t v;

	if (gw_parse_u64(s, 100, &v))
		return -1;
	*out = (unsigned)v;
	return 0;
}

/* Parse argv (argv[0] is the subcommand) into o and npos positional arguments.
 * Returns -1 to go on, else the exit code. */
static int parse(int argc, char **argv, struct opts *o, const char **pos, int npos)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "channel", required_argument, NULL, 'C' },
		{ "rollout", required_argument, NULL, 'r' },
		{ "require-approval", no_argument, NULL, 'a' },
		{ "critical", no_argument, NULL, 'k' },
		{ "deadline", required_argument, NULL, 'd' },
		{ "model", required_argument, NULL, 'm' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->config = optarg;
			break;
		case 'C':
			o->channel = optarg;
			break;
		case 'r':
			if (parse_pct(optarg, &o->rollout)) {
				fprintf(stderr, "gwverifier: --rollout: 0 to 100, got '%s'\n",
					optarg);
				return GW_EXIT_USAGE;
			}
			o->rollout_set = true;
			break;
		case 'a':
			o->require_approval = true;
			break;
		case 'k':
			o->critical = true;
			break;
		case 'd':
			o->deadline = optarg;
			break;
		case 'm':
			o->model = optarg;
			break;
		case 'j':
			o->json = true;
			break;
		case 'h':
			usage(stdout);
			return GW_EXIT_OK;
		default:
			usage(stderr);
			return GW_EXIT_USAGE;
		}
	}
	if (optind + npos != argc) {
		usage(stderr);
		return GW_EXIT_USAGE;
	}
	for (int i = 0; i < npos; i++)
		pos[i] = argv[optind + i];
	return -1;
}

static void add_time(json_object *o, const char *key, int64_t ts)
{
	char t[CLI_TIME_LEN];

	cli_time_format(ts, t);
	json_object_object_add(o, key, json_object_new_string(t));
}

/* The state people care about first: withdrawn, awaiting approval, or offered. */
static const char *release_state(const struct store_release *r)
{
	if (r->withdrawn)
		return "withdrawn";
	if (r->requires_approval && !r->approved)
		return "awaiting-approval";
	return "offered";
}

static json_object *release_json(const struct store_release *r)
{
	json_object *o = json_object_new_object(), *models = json_object_new_array();

	if (!o || !models) {
		json_object_put(o);
		json_object_put(models);
		return NULL;
	}
	json_object_object_add(o, "id", json_object_new_string(r->id));
	json_object_object_add(o, "manifest_sha256", json_object_new_string(r->manifest_sha256));
	for (size_t i = 0; i < r->nmodels; i++)
		json_object_array_add(models, json_object_new_string(r->models[i]));
	json_object_object_add(o, "models", models);
	json_object_object_add(o, "channel", json_object_new_string(r->channel));
	json_object_object_add(o, "version", json_object_new_string(r->version));
	json_object_object_add(o, "security_version",
			       json_object_new_uint64(r->security_version));
	add_time(o, "created", r->created);
	json_object_object_add(o, "notes", cli_json_str(r->notes));
	json_object_object_add(o, "reboot_required", json_object_new_boolean(r->reboot_required));
	json_object_object_add(o, "bundle_path", json_object_new_string(r->bundle_path));
	json_object_object_add(o, "size", json_object_new_uint64(r->size));
	json_object_object_add(o, "sha256", json_object_new_string(r->sha256));
	json_object_object_add(o, "rollout", json_object_new_int((int)r->rollout));
	json_object_object_add(o, "requires_approval",
			       json_object_new_boolean(r->requires_approval));
	json_object_object_add(o, "approved", json_object_new_boolean(r->approved));
	json_object_object_add(o, "withdrawn", json_object_new_boolean(r->withdrawn));
	json_object_object_add(o, "critical", json_object_new_boolean(r->critical));
	if (r->deadline)
		add_time(o, "deadline", r->deadline);
	else
		json_object_object_add(o, "deadline", NULL);
	json_object_object_add(o, "eol_transition", json_object_new_boolean(r->eol_transition));
	json_object_object_add(o, "state", json_object_new_string(release_state(r)));
	add_time(o, "added_at", r->added_at);
	json_object_object_add(o, "added_by", json_object_new_string(r->added_by));
	return o;
}

struct list_ctx {
	bool json;
	json_object *arr;
	struct cli_table *t;
};

static int list_cb(const struct store_release *r, void *arg)
{
	struct list_ctx *lc = arg;
	char sv[24], pct[8], models[STORE_MODEL_MAX + 8];
	const char *row[8];

	if (lc->json) {
		json_object *o = release_json(r);

		return !o || json_object_array_add(lc->arr, o) ? GW_E_NOMEM : 0;
	}
	snprintf(sv, sizeof(sv), "%llu", (unsigned long long)r->security_version);
	snprintf(pct, sizeof(pct), "%u%%", r->rollout);
	snprintf(models, sizeof(models), "%s%s", r->models[0], r->nmodels > 1 ? ",..." : "");
	row[0] = r->id;
	row[1] = r->version;
	row[2] = sv;
	row[3] = models;
	row[4] = r->channel;
	row[5] = pct;
	row[6] = release_state(r);
	row[7] = r->eol_transition ? "yes" : "no";
	return cli_table_add(lc->t, row);
}

static int do_list(const struct verifier_ctx *ctx, struct store *st, const struct opts *o)
{
	static const char *const headers[] = { "ID", "VERSION", "SECVER", "MODELS",
					       "CHANNEL", "ROLLOUT", "STATE", "EOL" };
	struct list_ctx lc = { .json = o->json };
	gw_error err = { { 0 } };
	int rc, status = GW_EXIT_OK;

	lc.arr = json_object_new_array();
	lc.t = cli_table_new(GW_ARRAY_SIZE(headers), headers);
	if (!lc.arr || !lc.t) {
		verifier_errorf(ctx, "release list: %s", gw_strerror(GW_E_NOMEM));
		status = GW_EXIT_ERROR;
		goto out;
	}
	rc = store_release_list(st, o->model, list_cb, &lc, &err);
	if (rc) {
		verifier_errorf(ctx, "release list: %s", gw_error_msg(&err, rc));
		status = cli_exit_for(rc);
		goto out;
	}
	if (o->json)
		cli_json_print(lc.arr);
	else
		cli_table_print(lc.t, stdout);
out:
	json_object_put(lc.arr);
	cli_table_free(lc.t);
	return status;
}

/* The stored bundle's encryption, read from its manifest: "encrypted" (true,
 * false, or null when the file cannot be read) and "wrapped_for" (the kid). */
static void add_encryption(json_object *o, const struct store_release *r)
{
	char kid[65];
	bool enc = false;

	if (release_bundle_encryption(r->bundle_path, &enc, kid, NULL)) {
		json_object_object_add(o, "encrypted", NULL);
		json_object_object_add(o, "wrapped_for", NULL);
		return;
	}
	json_object_object_add(o, "encrypted", json_object_new_boolean(enc));
	json_object_object_add(o, "wrapped_for", enc ? json_object_new_string(kid) : NULL);
}

static void show_encryption(const struct store_release *r)
{
	gw_error err = { { 0 } };
	char kid[65];
	bool enc = false;
	int rc = release_bundle_encryption(r->bundle_path, &enc, kid, &err);

	if (rc)
		printf("%-18s unknown (%s)\n", "Encrypted", gw_error_msg(&err, rc));
	else if (enc)
		printf("%-18s yes (kid %s)\n", "Encrypted", kid);
	else
		printf("%-18s no\n", "Encrypted");
}

static void show_people(const struct store_release *r)
{
	char t[CLI_TIME_LEN];

	printf("%-18s %s\n", "ID", r->id);
	printf("%-18s %s\n", "Version", r->version);
	printf("%-18s %llu\n", "Security version", (unsigned long long)r->security_version);
	for (size_t i = 0; i < r->nmodels; i++)
		printf("%-18s %s\n", i ? "" : "Models", r->models[i]);
	printf("%-18s %s\n", "Channel", r->channel);
	printf("%-18s %s\n", "State", release_state(r));
	printf("%-18s %u%%\n", "Rollout", r->rollout);
	printf("%-18s %s\n", "Approval", !r->requires_approval ? "not required"
					 : r->approved ? "approved" : "required, not given");
	cli_time_format(r->deadline, t);
	printf("%-18s %s\n", "Critical", !r->critical ? "no" : r->deadline ? t : "yes");
	printf("%-18s %s\n", "Reboot required", r->reboot_required ? "yes" : "no");
	printf("%-18s %s\n", "EOL transition", r->eol_transition ? "yes" : "no");
	show_encryption(r);
	cli_time_format(r->created, t);
	printf("%-18s %s\n", "Created", t);
	cli_time_format(r->added_at, t);
	printf("%-18s %s by %s\n", "Added", t, r->added_by);
	printf("%-18s %s\n", "Manifest SHA-256", r->manifest_sha256);
	printf("%-18s %s\n", "Bundle", r->bundle_path);
	printf("%-18s %llu bytes, SHA-256 %s\n", "Bundle size", (unsigned long long)r->size,
	       r->sha256);
	if (r->notes)
		printf("\n%s\n", r->notes);
}

static int do_show(const struct verifier_ctx *ctx, struct store *st, const struct opts *o,
		   const char *id)
{
	struct store_release r;
	gw_error err = { { 0 } };
	json_object *j;
	int rc = store_release_get(st, id, &r, &err);

	if (rc) {
		verifier_errorf(ctx, "release show: %s", gw_error_msg(&err, rc));
		return cli_exit_for(rc);
	}
	if (o->json) {
		j = release_json(&r);
		if (j) {
			add_encryption(j, &r);
			cli_json_print(j);
		}
		json_object_put(j);
		rc = j ? 0 : GW_E_NOMEM;
	} else {
		show_people(&r);
	}
	store_release_fini(&r);
	return rc ? GW_EXIT_ERROR : GW_EXIT_OK;
}

/* approve, withdraw, rollout: one store change with its audit record. */
static int do_change(const struct verifier_ctx *ctx, struct store *st, const char *sub,
		     const char *id, const char *pct_text)
{
	enum store_release_change what = !strcmp(sub, "approve")    ? STORE_REL_APPROVE
					 : !strcmp(sub, "withdraw") ? STORE_REL_WITHDRAW
								    : STORE_REL_ROLLOUT;
	struct store_audit a = { .outcome = "ok" };
	char actor[STORE_ACTOR_MAX + 1], action[32], detail[96];
	gw_error err = { { 0 } };
	unsigned pct = 0;
	int rc;

	if (pct_text && parse_pct(pct_text, &pct)) {
		verifier_errorf(ctx, "release rollout: PCT is 0 to 100, got '%s'", pct_text);
		return GW_EXIT_USAGE;
	}
	if (cli_actor(actor, sizeof(actor))) {
		verifier_errorf(ctx, "release %s: cannot name the operator", sub);
		return GW_EXIT_ERROR;
	}
	snprintf(action, sizeof(action), "release.%s", sub);
	/* id is checked to be 16 hex digits by the store before it is used. */
	if (pct_text)
		snprintf(detail, sizeof(detail), "{\"release\":\"%.16s\",\"rollout\":%u}", id, pct);
	else
		snprintf(detail, sizeof(detail), "{\"release\":\"%.16s\"}", id);
	a.ts = cli_now();
	a.actor = actor;
	a.action = action;
	a.detail = detail;
	rc = store_release_change(st, id, what, pct, &a, &err);
	if (rc) {
		verifier_errorf(ctx, "release %s: %s", sub, gw_error_msg(&err, rc));
		return cli_exit_for(rc);
	}
	if (pct_text)
		printf("release %s: rollout %u%% (by %s)\n", id, pct, actor);
	else
		printf("release %s: %s (by %s)\n", id, !strcmp(sub, "approve") ? "approved"
								       : "withdrawn", actor);
	return GW_EXIT_OK;
}

static int refusal_exit(enum release_refusal why, int rc)
{
	switch (why) {
	case RELEASE_REFUSED_ROOT:
		return GW_EXIT_UPDATE_ROOT;
	case RELEASE_REFUSED_SIGNATURE:
		return GW_EXIT_UPDATE_SIGNATURE;
	case RELEASE_REFUSED_BUNDLE:
		return GW_EXIT_UPDATE_BUNDLE;
	case RELEASE_REFUSED_EXPIRED:
		return GW_EXIT_UPDATE_EXPIRED;
	case RELEASE_REFUSED_CHANNEL:
		return GW_EXIT_UPDATE_CHANNEL;
	case RELEASE_REFUSED_EXISTS:
		return GW_EXIT_STATE;
	case RELEASE_REFUSED_RELEASE_KEY:
		return rc == GW_E_NOMEM || rc == GW_E_IO ? GW_EXIT_ERROR : GW_EXIT_CONFIG;
	case RELEASE_REFUSED_ENCRYPTION:
		return GW_EXIT_UPDATE_ENCRYPTED;
	default:
		return cli_exit_for(rc);
	}
}

static int do_add(const struct verifier_ctx *ctx, struct store *st, const struct vconfig *cfg,
		  const struct opts *o, const char *bundle)
{
	struct release_add_opts ao = {
		.bundle = bundle, .trust_root = cfg->release_trust_root, .dir = cfg->release_dir,
		.release_key = cfg->release_key,
		.channel = o->channel, .rollout = o->rollout_set ? o->rollout : 100,
		.require_approval = o->require_approval, .critical = o->critical,
	};
	struct store_release r;
	enum release_refusal why = RELEASE_OK;
	char actor[STORE_ACTOR_MAX + 1];
	gw_error err = { { 0 } };
	json_object *j;
	int rc;

	if (!cfg->release_trust_root) {
		verifier_errorf(ctx, "release add: the config has no [releases] trust_root");
		return GW_EXIT_CONFIG;
	}
	if (o->deadline && (!o->critical || cli_time_parse(o->deadline, &ao.deadline))) {
		verifier_errorf(ctx, "release add: --deadline needs --critical and a time "
				     "YYYY-MM-DDTHH:MM:SSZ");
		return GW_EXIT_USAGE;
	}
	if (cli_actor(actor, sizeof(actor))) {
		verifier_errorf(ctx, "release add: cannot name the operator");
		return GW_EXIT_ERROR;
	}
	ao.actor = actor;
	ao.now = cli_now();
	rc = release_add(st, &ao, &r, &why, &err);
	if (rc) {
		verifier_errorf(ctx, "release add: %s%s", why ? "refused: " : "",
				gw_error_msg(&err, rc));
		return refusal_exit(why, rc);
	}
	if (o->json) {
		j = release_json(&r);
		if (j) {
			add_encryption(j, &r);
			cli_json_print(j);
		}
		json_object_put(j);
	} else {
		printf("release %s: %s version %s (security version %llu), %s\n", r.id, r.channel,
		       r.version, (unsigned long long)r.security_version, release_state(&r));
	}
	store_release_fini(&r);
	return GW_EXIT_OK;
}

static int positional(const char *sub)
{
	if (!strcmp(sub, "list"))
		return 0;
	if (!strcmp(sub, "rollout"))
		return 2;
	if (!strcmp(sub, "add") || !strcmp(sub, "show") || !strcmp(sub, "approve") ||
	    !strcmp(sub, "withdraw"))
		return 1;
	return -1;
}

/* Options that only some subcommands take. */
static bool options_fit(const char *sub, const struct opts *o)
{
	bool add = !strcmp(sub, "add");

	if (!add && (o->channel || o->rollout_set || o->require_approval || o->critical ||
		     o->deadline))
		return false;
	if (o->model && strcmp(sub, "list"))
		return false;
	if (o->json && strcmp(sub, "list") && strcmp(sub, "show") && !add)
		return false;
	return true;
}

int cmd_release(struct verifier_ctx *ctx, int argc, char **argv)
{
	struct opts o = { .json = false };
	struct vconfig cfg;
	struct store *st = NULL;
	const char *sub, *pos[2] = { NULL, NULL };
	gw_error err = { { 0 } };
	int npos, status, rc;

	if (argc < 2) {
		usage(stderr);
		return GW_EXIT_USAGE;
	}
	sub = argv[1];
	if (!strcmp(sub, "--help") || !strcmp(sub, "-h") || !strcmp(sub, "help")) {
		usage(stdout);
		return GW_EXIT_OK;
	}
	npos = positional(sub);
	if (npos < 0) {
		verifier_errorf(ctx, "release: unknown subcommand '%s'", sub);
		usage(stderr);
		return GW_EXIT_USAGE;
	}
	status = parse(argc - 1, argv + 1, &o, pos, npos);
	if (status >= 0)
		return status;
	if (!options_fit(sub, &o)) {
		verifier_errorf(ctx, "release %s: option not valid here", sub);
		return GW_EXIT_USAGE;
	}
	vconfig_defaults(&cfg);
	rc = vconfig_load(o.config ? o.config : CLI_DEFAULT_CONFIG, &cfg, &err);
	if (rc) {
		verifier_errorf(ctx, "config: %s", gw_error_msg(&err, rc));
		vconfig_fini(&cfg);
		return GW_EXIT_CONFIG;
	}
	rc = store_open(cfg.store, &st, &err);
	if (rc) {
		verifier_errorf(ctx, "opening store %s: %s", cfg.store, gw_error_msg(&err, rc));
		vconfig_fini(&cfg);
		return GW_EXIT_ERROR;
	}
	if (!strcmp(sub, "add"))
		status = do_add(ctx, st, &cfg, &o, pos[0]);
	else if (!strcmp(sub, "list"))
		status = do_list(ctx, st, &o);
	else if (!strcmp(sub, "show"))
		status = do_show(ctx, st, &o, pos[0]);
	else
		status = do_change(ctx, st, sub, pos[0], npos == 2 ? pos[1] : NULL);
	store_close(st);
	vconfig_fini(&cfg);
	return status;
}
