// SPDX-License-Identifier: Apache-2.0
// gwverifier policy: add, list and show the minimal per-model policies in the store.
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
#include "policy_min.h"
#include "store.h"
#include "util.h"
#include "vconfig.h"
#include "verifier.h"

#define DEFAULT_CONFIG "/etc/gatewarden/verifier.conf"

static void usage(FILE *f)
{
	fprintf(f, "usage: gwverifier policy add FILE [--config F]\n"
		   "       gwverifier policy list [--json] [--config F]\n"
		   "       gwverifier policy show MODEL [--version N] [--json] [--config F]\n\n"
		   "Per-model policies (doc/verifier.md, \"Policies (minimal)\"):\n"
		   "  add    validate FILE and store it as the next version of its model;\n"
		   "         its version must be above the model's current one (exit 5)\n"
		   "  list   the current version of every model\n"
		   "  show   a model's current policy, or version N\n\n"
		   "  --config F  verifier configuration (default " DEFAULT_CONFIG ")\n"
		   "  --json      machine-readable output\n");
}

struct opts {
	const char *config;
	bool json;
	const char *version;
	const char *arg; /* FILE or MODEL */
};

/* Parse "SUB [ARG] [options]"; want_arg says whether ARG is required. */
static int parse_opts(int argc, char **argv, bool want_arg, bool allow_json,
		      bool allow_version, struct opts *o)
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

static int open_store(const struct verifier_ctx *ctx, const char *config, struct store **st)
{
	struct vconfig cfg;
	gw_error err = { { 0 } };
	int rc;

	vconfig_defaults(&cfg);
	rc = vconfig_load(config, &cfg, &err);
	if (rc) {
		/* vconfig_load names the file (and line) itself. */
		verifier_errorf(ctx, "%s", gw_error_msg(&err, rc));
		vconfig_fini(&cfg);
		return GW_EXIT_CONFIG;
	}
	rc = store_open(cfg.store, st, &err);
	if (rc)
		verifier_errorf(ctx, "opening the store: %s", gw_error_msg(&err, rc));
	vconfig_fini(&cfg);
	return rc ? GW_EXIT_ERROR : 0;
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
static int operator_actor(char *buf, size_t len)
{
	const struct passwd *pw = getpwuid(getuid());

	if (pw && pw->pw_name && pw->pw_name[0])
		return gw_snprintf(buf, len, "operator:%s", pw->pw_name);
	return gw_snprintf(buf, len, "operator:uid-%u", (unsigned)getuid());
}

/* The audit detail of a policy change: model, version and the SHA-256 of the text. */
static char *audit_detail(const struct policy_min *p, const char *body, size_t len)
{
	uint8_t md[32];
	char hex[65];
	json_object *o = NULL;
	char *s = NULL;

	if (EVP_Digest(body, len, md, NULL, EVP_sha256(), NULL) != 1)
		return NULL;
	gw_hex_encode(md, sizeof(md), hex);
	o = json_object_new_object();
	if (!o)
		return NULL;
	if (json_object_object_add(o, "model", json_object_new_string(p->model)) == 0 &&
	    json_object_object_add(o, "version", json_object_new_int64(p->version)) == 0 &&
	    json_object_object_add(o, "sha256", json_object_new_string(hex)) == 0)
		s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return s;
}

static int policy_add(const struct verifier_ctx *ctx, const struct opts *o)
{
	struct store *st = NULL;
	struct policy_min *p = NULL;
	uint8_t *text = NULL;
	size_t len = 0;
	char *detail = NULL;
	char actor[STORE_ACTOR_MAX + 1];
	struct store_audit a;
	gw_error err = { { 0 } };
	int64_t now = (int64_t)time(NULL);
	int exitc;
	int rc;

	/* gw_read_file names the file in its message already. */
	rc = gw_read_file(o->arg, POLICY_MIN_MAX_SIZE, &text, &len, &err);
	if (rc) {
		verifier_errorf(ctx, "%s", gw_error_msg(&err, rc));
		exitc = rc == GW_E_TOOBIG ? gw_exit_for(rc) : GW_EXIT_ERROR;
		goto out;
	}
	rc = policy_min_parse((const char *)text, len, &p, &err);
	if (rc) {
		verifier_errorf(ctx, "%s: %s", o->arg, gw_error_msg(&err, rc));
		exitc = gw_exit_for(rc);
		goto out;
	}
	if (operator_actor(actor, sizeof(actor))) {
		verifier_errorf(ctx, "user name too long");
		exitc = GW_EXIT_ERROR;
		goto out;
	}
	detail = audit_detail(p, (const char *)text, len);
	if (!detail) {
		verifier_errorf(ctx, "%s", gw_strerror(GW_E_NOMEM));
		exitc = GW_EXIT_ERROR;
		goto out;
	}
	exitc = open_store(ctx, o->config, &st);
	if (exitc)
		goto out;
	a = (struct store_audit){ .ts = now, .actor = actor, .action = "policy.add",
				  .outcome = "ok", .detail = detail };
	/* The text is stored as given, so what was reviewed is what is kept. */
	rc = store_policy_add(st, p->model, p->version, (const char *)text, now, actor, &a, &err);
	if (rc == GW_E_STATE) {
		gw_error aerr = { { 0 } };

		verifier_errorf(ctx, "%s: %s", o->arg, gw_error_msg(&err, rc));
		/* A refused change is recorded too; the refusal stands if that fails. */
		a.outcome = "refused";
		if (store_audit_append(st, &a, NULL, &aerr))
			verifier_errorf(ctx, "warning: audit record not written: %s",
					gw_error_msg(&aerr, GW_E_IO));
		exitc = GW_EXIT_STATE;
		goto out;
	}
	if (rc) {
		verifier_errorf(ctx, "%s: storing the policy: %s", o->arg, gw_error_msg(&err, rc));
		exitc = GW_EXIT_ERROR;
		goto out;
	}
	printf("policy %s version %u added\n", p->model, (unsigned)p->version);
	exitc = GW_EXIT_OK;
out:
	store_close(st);
	policy_min_free(p);
	free(detail);
	free(text);
	return exitc;
}

struct row {
	char model[STORE_MODEL_MAX + 1];
	uint32_t version;
	int64_t added_at;
	char added_by[STORE_ACTOR_MAX + 1];
	size_t n_stages;
};

struct rows {
	struct row *r;
	size_t n, cap;
};

static int collect(const struct store_policy *p, void *arg)
{
	struct rows *rs = arg;
	struct policy_min *pm = NULL;
	struct row *r;

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
	/* Stored bodies were validated when added; 0 stages marks one that no
	 * longer parses (a row written by other means). */
	r->n_stages = 0;
	if (policy_min_parse(p->body, strlen(p->body), &pm, NULL) == 0)
		r->n_stages = pm->n_stages;
	policy_min_free(pm);
	return 0;
}

static int policy_list(const struct verifier_ctx *ctx, const struct opts *o)
{
	struct store *st = NULL;
	struct rows rs = { NULL, 0, 0 };
	json_object *arr = NULL;
	gw_error err = { { 0 } };
	char when[32];
	int wm = 5;
	int exitc;
	int rc;

	exitc = open_store(ctx, o->config, &st);
	if (exitc)
		goto out;
	rc = store_policy_list(st, NULL, collect, &rs, &err);
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
			json_object *e = json_object_new_object();

			if (!e || json_object_array_add(arr, e)) {
				json_object_put(e);
				exitc = GW_EXIT_ERROR;
				goto out;
			}
			json_object_object_add(e, "model", json_object_new_string(rs.r[i].model));
			json_object_object_add(e, "version", json_object_new_int64(rs.r[i].version));
			json_object_object_add(e, "added_at", json_object_new_int64(rs.r[i].added_at));
			json_object_object_add(e, "added_by",
					       json_object_new_string(rs.r[i].added_by));
			json_object_object_add(e, "stages",
					       json_object_new_int64((int64_t)rs.r[i].n_stages));
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
	printf("%-*s  %10s  %6s  %-20s  %s\n", wm, "MODEL", "VERSION", "STAGES", "ADDED",
	       "ADDED BY");
	for (size_t i = 0; i < rs.n; i++) {
		format_time(rs.r[i].added_at, when, sizeof(when));
		printf("%-*s  %10u  %6zu  %-20s  %s\n", wm, rs.r[i].model,
		       (unsigned)rs.r[i].version, rs.r[i].n_stages, when, rs.r[i].added_by);
	}
	exitc = GW_EXIT_OK;
out:
	json_object_put(arr);
	free(rs.r);
	store_close(st);
	return exitc;
}

static int show_json(const struct store_policy *sp, bool current)
{
	json_object *o = json_object_new_object();
	json_object *body = json_tokener_parse(sp->body);

	if (!o || !body) {
		json_object_put(o);
		json_object_put(body);
		return GW_EXIT_ERROR;
	}
	json_object_object_add(o, "model", json_object_new_string(sp->model));
	json_object_object_add(o, "version", json_object_new_int64(sp->version));
	json_object_object_add(o, "current", json_object_new_boolean(current));
	json_object_object_add(o, "added_at", json_object_new_int64(sp->added_at));
	json_object_object_add(o, "added_by", json_object_new_string(sp->added_by));
	json_object_object_add(o, "policy", body);
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
							   JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return GW_EXIT_OK;
}

static int show_text(const struct verifier_ctx *ctx, const struct store_policy *sp, bool current)
{
	struct policy_min *p = NULL;
	gw_error err = { { 0 } };
	char when[32], sel[512], hex[2 * POLICY_MIN_DIGEST_LEN + 1];
	int rc = policy_min_parse(sp->body, strlen(sp->body), &p, &err);

	if (rc) {
		verifier_errorf(ctx, "stored policy %s version %u: %s", sp->model,
				(unsigned)sp->version, gw_error_msg(&err, rc));
		return GW_EXIT_ERROR;
	}
	format_time(sp->added_at, when, sizeof(when));
	if (!p->has_pcr_selection)
		memcpy(sel, "(verifier default)", sizeof("(verifier default)"));
	else if (gw_pcrsel_format(&p->pcr_selection, sel, sizeof(sel)))
		memcpy(sel, "(unprintable)", sizeof("(unprintable)"));
	printf("model          %s\n", sp->model);
	printf("version        %u%s\n", (unsigned)sp->version, current ? " (current)" : "");
	printf("added          %s by %s\n", when, sp->added_by);
	printf("pcr_selection  %s\n", sel);
	printf("stages         %zu\n", p->n_stages);
	for (size_t i = 0; i < p->n_stages; i++) {
		printf("  %s\n", p->stages[i].name);
		for (size_t j = 0; j < p->stages[i].n_digests; j++) {
			gw_hex_encode(p->stages[i].digests[j], POLICY_MIN_DIGEST_LEN, hex);
			printf("    %s\n", hex);
		}
	}
	policy_min_free(p);
	return GW_EXIT_OK;
}

static int policy_show(const struct verifier_ctx *ctx, const struct opts *o)
{
	struct store *st = NULL;
	struct store_policy sp, cur;
	gw_error err = { { 0 } };
	uint64_t v = 0;
	bool current;
	int exitc;
	int rc;

	memset(&sp, 0, sizeof(sp));
	memset(&cur, 0, sizeof(cur));
	if (o->version && (gw_parse_u64(o->version, UINT32_MAX, &v) || v == 0)) {
		verifier_errorf(ctx, "--version %s: not a version (1..4294967295)", o->version);
		return GW_EXIT_USAGE;
	}
	exitc = open_store(ctx, o->config, &st);
	if (exitc)
		goto out;
	rc = store_policy_current(st, o->arg, &cur, &err);
	if (rc == 0 && v && v != cur.version)
		rc = store_policy_get(st, o->arg, (uint32_t)v, &sp, &err);
	if (rc) {
		verifier_errorf(ctx, "%s", gw_error_msg(&err, rc));
		exitc = rc == GW_E_INVAL ? GW_EXIT_USAGE : GW_EXIT_ERROR;
		goto out;
	}
	current = sp.body == NULL;
	exitc = o->json ? show_json(current ? &cur : &sp, current)
			: show_text(ctx, current ? &cur : &sp, current);
out:
	store_policy_fini(&sp);
	store_policy_fini(&cur);
	store_close(st);
	return exitc;
}

int cmd_policy(struct verifier_ctx *ctx, int argc, char **argv)
{
	static const struct {
		const char *name;
		bool arg, json, version;
		int (*run)(const struct verifier_ctx *ctx, const struct opts *o);
	} subs[] = {
		{ "add", true, false, false, policy_add },
		{ "list", false, true, false, policy_list },
		{ "show", true, true, true, policy_show },
	};
	struct opts o;
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
