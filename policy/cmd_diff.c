// SPDX-License-Identifier: Apache-2.0
// gwpolicy diff: what a new policy allows or forbids that the old one did not, rule
// by rule, for an operator about to sign or deploy it (the comparison: gwpol_diff.c).
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "gwpol.h"
#include "gwpol_diff.h"
#include "policy.h"
#include "util.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: gwpolicy diff [--json] OLD NEW\n\n"
		"Shows what the policy NEW allows or forbids that OLD did not: digests and\n"
		"event types added to (\"+ allow\") or removed from (\"- forbid\") allow\n"
		"lists, and every other changed rule (\"~\"), marked \"(loosens)\" when the\n"
		"change accepts more devices. Each of OLD and NEW is policy JSON or a DSSE\n"
		"envelope of one; signatures are NOT verified. Comments are ignored.\n"
		"Exit 0 when the policies do not differ, 1 when they do (as diff(1)), %d\n"
		"when either is malformed, 1 too when a file cannot be read.\n\n"
		"  --json  the changes as one JSON object on standard output\n",
		GW_EXIT_EVIDENCE);
}

static json_object *id_json(const struct gwpol *p)
{
	json_object *o = json_object_new_object();

	if (o) {
		json_object_object_add(o, "model", json_object_new_string(p->model));
		json_object_object_add(o, "version", json_object_new_int64(p->version));
	}
	return o;
}

static void print_text(const struct gwpol *a, const struct gwpol *b, json_object *changes)
{
	if (strcmp(a->model, b->model)) {
		printf("warning: the models differ: %s -> %s\n", a->model, b->model);
		printf("model %s -> %s: version %u -> %u\n", a->model, b->model, a->version,
		       b->version);
	} else if (a->version == b->version) {
		printf("model %s: version %u (unchanged)\n", b->model, b->version);
	} else {
		printf("model %s: version %u -> %u\n", b->model, a->version, b->version);
	}
	/* Versions only order the policies of one model. */
	if (!strcmp(a->model, b->model) &&
	    (b->version < a->version ||
	     (b->version == a->version && json_object_array_length(changes))))
		printf("warning: the version does not go up: a verifier that has version %u "
		       "refuses version %u\n", a->version, b->version);
	for (size_t i = 0; i < json_object_array_length(changes); i++) {
		json_object *c = json_object_array_get_idx(changes, i), *k, *w, *l;
		const char *kind;

		json_object_object_get_ex(c, "kind", &k);
		json_object_object_get_ex(c, "what", &w);
		kind = json_object_get_string(k);
		if (!strcmp(kind, "allow"))
			printf("+ allow  %s\n", json_object_get_string(w));
		else if (!strcmp(kind, "forbid"))
			printf("- forbid %s\n", json_object_get_string(w));
		else
			printf("~ %s%s\n", json_object_get_string(w),
			       json_object_object_get_ex(c, "loosens", &l) ? "  (loosens)" : "");
	}
	if (!json_object_array_length(changes))
		printf("no rule changes\n");
}

int cmd_diff(struct policy_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct gwpol_diags *d = NULL;
	struct gwpol *p[2] = { NULL, NULL };
	json_object *changes = NULL;
	bool json = false, same;
	gw_error err = { { 0 } };
	int ret = GW_EXIT_OK;
	int rc = 0, c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return GW_EXIT_OK;
		default:
			usage(stderr);
			return GW_EXIT_USAGE;
		}
	}
	if (optind != argc - 2) {
		usage(stderr);
		return GW_EXIT_USAGE;
	}
	d = calloc(1, sizeof(*d));
	if (!d) {
		rc = GW_E_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < 2 && !rc; i++) {
		d->n = d->dropped = 0;
		rc = policy_read_unverified(argv[optind + i], &p[i], NULL, d, &err);
		for (size_t k = 0; rc && k < d->n; k++)
			fprintf(stderr, "%s: %s: %s\n", argv[optind + i], d->d[k].path,
				d->d[k].msg);
	}
	if (rc)
		goto out;
	rc = gwpol_diff(p[0], p[1], &changes);
	if (rc)
		goto out;
	same = !json_object_array_length(changes) && !strcmp(p[0]->model, p[1]->model) &&
	       p[0]->version == p[1]->version;
	ret = same ? GW_EXIT_OK : GW_EXIT_ERROR;
	if (json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "old", id_json(p[0]));
		json_object_object_add(o, "new", id_json(p[1]));
		json_object_object_add(o, "same_model",
				       json_object_new_boolean(!strcmp(p[0]->model, p[1]->model)));
		json_object_object_add(o, "identical", json_object_new_boolean(same));
		json_object_object_add(o, "changes", json_object_get(changes));
		puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							       JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	} else {
		print_text(p[0], p[1], changes);
	}
out:
	if (rc) {
		ret = gw_exit_for(rc);
		policy_errorf(ctx, "diff: %s", gw_error_msg(&err, rc));
	}
	json_object_put(changes);
	gwpol_free(p[0]);
	gwpol_free(p[1]);
	free(d);
	return ret;
}
