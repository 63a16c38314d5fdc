// SPDX-License-Identifier: Apache-2.0
// gwpolicy lint: a policy (or the unverified payload of its envelope) checked
// against the format and for rules that contradict each other, before signing.
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "dsse.h"
#include "gwpol.h"
#include "policy.h"
#include "util.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: gwpolicy lint [--json] [--now EPOCH] POLICY\n\n"
		"Checks POLICY (policy JSON, or a DSSE envelope of one; - for standard\n"
		"input) against the policy format, then for rules that cannot work together:\n"
		"firmware rules on PCRs or a bank pcr_selection does not quote, stages or\n"
		"trust rules without PCR 13 or 14, required events their PCR's rule cannot\n"
		"hold, unknown event types, bootloader/kernel rules without a boot application\n"
		"on PCR 4, secure_boot without a PCR 7 rule, firmware rules on PCR 13 or 14,\n"
		"an end_of_support already past. Prints each problem as \"PATH: message\".\n"
		"An envelope's signatures are NOT verified: use 'gwpolicy verify' for that.\n"
		"Exit 0 when clean, %d with any problem, 1 when POLICY cannot be read.\n\n"
		"  --now EPOCH  judge end_of_support at this time (seconds since the epoch)\n"
		"  --json       the result as one JSON object on standard output\n",
		GW_EXIT_EVIDENCE);
}

/* Only a quick look to choose the parser; dsse_parse() then checks it strictly. */
static bool looks_like_envelope(const uint8_t *buf, size_t len)
{
	struct json_tokener *tok = json_tokener_new_ex(GWPOL_MAX_DEPTH);
	json_object *o = NULL;
	bool yes = false;

	if (!tok || len > DSSE_MAX_SIZE)
		goto out;
	o = json_tokener_parse_ex(tok, (const char *)buf, (int)len);
	yes = o && json_object_is_type(o, json_type_object) &&
	      json_object_object_get_ex(o, "payloadType", NULL);
out:
	json_object_put(o);
	if (tok)
		json_tokener_free(tok);
	return yes;
}

int policy_read_unverified(const char *path, struct gwpol **out, bool *enveloped,
			   struct gwpol_diags *diags, gw_error *err)
{
	struct dsse_envelope *env = NULL;
	uint8_t *buf = NULL;
	size_t len = 0, jlen;
	const char *json;
	bool is_env = false;
	int rc;

	/* gw_read_file() names the file itself. */
	rc = gw_read_file(strcmp(path, "-") ? path : "/dev/stdin", DSSE_MAX_SIZE, &buf, &len,
			  err);
	if (rc)
		return rc;
	json = (const char *)buf;
	jlen = len;
	is_env = looks_like_envelope(buf, len);
	if (is_env) {
		rc = dsse_parse(buf, len, &env, err);
		if (rc)
			goto out;
		if (strcmp(env->payload_type, GWPOL_PAYLOAD_TYPE)) {
			rc = gw_fail(err, GW_E_PARSE,
				     "envelope payloadType is \"%.256s\", not \"%s\"",
				     env->payload_type, GWPOL_PAYLOAD_TYPE);
			goto out;
		}
		json = (const char *)env->payload;
		jlen = env->payload_len;
	}
	rc = gwpol_parse(json, jlen, out, diags, err);
	if (!rc && enveloped)
		*enveloped = is_env;
out:
	if (rc)
		gw_error_prefix(err, "%s: ", path);
	free(buf);
	dsse_free(env);
	return rc;
}

static void print_json(const struct gwpol *p, bool enveloped, const struct gwpol_diags *d,
		       size_t nschema, const char *error, bool error_in_policy)
{
	json_object *o = json_object_new_object(), *errs = json_object_new_array();
	bool fail = error || d->n || d->dropped;

	json_object_object_add(o, "result", json_object_new_string(fail ? "fail" : "pass"));
	json_object_object_add(o, "model", p ? json_object_new_string(p->model) : NULL);
	json_object_object_add(o, "version", p ? json_object_new_int64(p->version) : NULL);
	json_object_object_add(o, "envelope", json_object_new_boolean(enveloped));
	json_object_object_add(o, "signatures_verified", json_object_new_boolean(false));
	for (size_t i = 0; i < d->n; i++) {
		const char *kind = i < nschema ? "schema" : "consistency";
		json_object *e = json_object_new_object();

		json_object_object_add(e, "path", json_object_new_string(d->d[i].path));
		json_object_object_add(e, "message", json_object_new_string(d->d[i].msg));
		json_object_object_add(e, "kind", json_object_new_string(kind));
		json_object_array_add(errs, e);
	}
	/* A malformed envelope or a policy over the size cap has no path, but is the
	 * policy's problem all the same; an unreadable file is not. */
	if (error && error_in_policy) {
		json_object *e = json_object_new_object();

		json_object_object_add(e, "path", json_object_new_string("$"));
		json_object_object_add(e, "message", json_object_new_string(error));
		json_object_object_add(e, "kind", json_object_new_string("schema"));
		json_object_array_add(errs, e);
	}
	json_object_object_add(o, "errors", errs);
	json_object_object_add(o, "dropped", json_object_new_int64((int64_t)d->dropped));
	if (error)
		json_object_object_add(o, "error", json_object_new_string(error));
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
						       JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

int cmd_lint(struct policy_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "now", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct gwpol_diags *d = NULL;
	struct gwpol *p = NULL;
	const char *file, *error = NULL;
	bool json = false, enveloped = false;
	int64_t now = (int64_t)time(NULL);
	gw_error err = { { 0 } };
	size_t nschema = 0, nschema_all = 0;
	uint64_t v;
	int ret = GW_EXIT_OK;
	int rc, c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'n':
			if (gw_parse_u64(optarg, INT64_MAX, &v)) {
				policy_errorf(ctx, "lint: --now must be seconds since the epoch");
				return GW_EXIT_USAGE;
			}
			now = (int64_t)v;
			break;
		case 'h':
			usage(stdout);
			return GW_EXIT_OK;
		default:
			usage(stderr);
			return GW_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return GW_EXIT_USAGE;
	}
	file = argv[optind];
	d = calloc(1, sizeof(*d));
	if (!d) {
		policy_errorf(ctx, "lint: %s", gw_strerror(GW_E_NOMEM));
		return GW_EXIT_ERROR;
	}
	rc = policy_read_unverified(file, &p, &enveloped, d, &err);
	nschema = d->n;
	nschema_all = d->n + d->dropped;
	if (!rc) {
		rc = gwpol_lint(p, now, d);
		rc = rc > 0 ? GW_E_PARSE : rc;
	}
	if (rc) {
		ret = gw_exit_for(rc);
		/* Without diagnostics, the error detail is the only explanation. */
		if (!d->n)
			error = gw_error_msg(&err, rc);
	}
	if (json) {
		print_json(p, enveloped, d, nschema, error, ret == GW_EXIT_EVIDENCE);
	} else {
		for (size_t i = 0; i < d->n; i++)
			printf("%s: %s\n", d->d[i].path, d->d[i].msg);
		if (d->dropped)
			printf("$: %zu more problems not shown\n", d->dropped);
		if (!rc)
			printf("%s: ok (model %s, version %u%s)\n", file, p->model, p->version,
			       enveloped ? "; envelope signatures not verified" : "");
	}
	if (error)
		policy_errorf(ctx, "lint: %s", error);
	else if (rc)
		policy_errorf(ctx, "lint: %s: %zu problem%s (%zu in the format, %zu between rules)",
			      file, d->n + d->dropped, d->n + d->dropped == 1 ? "" : "s",
			      nschema_all, d->n + d->dropped - nschema_all);
	gwpol_free(p);
	free(d);
	return ret;
}
