// SPDX-License-Identifier: Apache-2.0
// gwverifier history DEVICE: a device's attestation results, newest first, with the
// claims that failed.
#include <getopt.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "util.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: gwverifier history DEVICE [--limit N] [--json] [--config FILE]\n\n"
		   "Lists DEVICE's attestation results, newest first: time, status and the\n"
		   "claims that failed (claim[check]: message; fields this version does not\n"
		   "know are shown as raw JSON).\n\n"
		   "  --config FILE  verifier configuration (default " CLI_DEFAULT_CONFIG ")\n"
		   "  --limit N      at most N results (default: all)\n"
		   "  --json         a JSON array for scripts instead of a table\n"
		   "Exit: 0 listed, 1 unknown device or failure, 2 usage, 3 config.\n");
}

/* Append s to the growing text *buf (NUL-terminated). */
static int append(char **buf, size_t *len, const char *s)
{
	size_t n = strlen(s);
	char *b = realloc(*buf, *len + n + 1);

	if (!b)
		return GW_E_NOMEM;
	memcpy(b + *len, s, n + 1);
	*buf = b;
	*len += n;
	return 0;
}

/* One failed claim {claim, check, message, ...}: "claim[check]: message k=v". */
static int claim_text(json_object *c, char **buf, size_t *len)
{
	static const char *const known[] = { "claim", "check", "message" };
	json_object *v;
	int rc = 0;

	if (!json_object_is_type(c, json_type_object))
		return append(buf, len, json_object_to_json_string_ext(c, JSON_C_TO_STRING_PLAIN));
	if (json_object_object_get_ex(c, "claim", &v))
		rc = append(buf, len, json_object_get_string(v));
	if (!rc && json_object_object_get_ex(c, "check", &v))
		rc = append(buf, len, "[") || append(buf, len, json_object_get_string(v)) ||
		     append(buf, len, "]");
	if (!rc && json_object_object_get_ex(c, "message", &v))
		rc = append(buf, len, ": ") || append(buf, len, json_object_get_string(v));
	json_object_object_foreach(c, key, val)
	{
		bool is_known = false;

		for (size_t i = 0; i < GW_ARRAY_SIZE(known); i++)
			is_known |= !strcmp(key, known[i]);
		if (rc || is_known)
			continue;
		rc = append(buf, len, " ") || append(buf, len, key) || append(buf, len, "=") ||
		     append(buf, len, json_object_to_json_string_ext(val, JSON_C_TO_STRING_PLAIN));
	}
	return rc ? GW_E_NOMEM : 0;
}

/* The failed claims of a result for people: "none", the claims joined by "; ", or
 * the raw text when it is not the array this version writes. */
static int claims_text(const char *claims, char **out)
{
	json_object *j = claims ? cli_json_parse(claims) : NULL;
	char *buf = NULL;
	size_t len = 0;
	int rc = 0;

	if (!j || !json_object_is_type(j, json_type_array)) {
		rc = append(&buf, &len, claims ? claims : "-");
	} else if (json_object_array_length(j) == 0) {
		rc = append(&buf, &len, "none");
	} else {
		for (size_t i = 0; !rc && i < json_object_array_length(j); i++) {
			if (i > 0)
				rc = append(&buf, &len, "; ");
			if (!rc)
				rc = claim_text(json_object_array_get_idx(j, i), &buf, &len);
		}
	}
	if (rc)
		goto out;
	*out = buf;
	buf = NULL; /* transferred */
out:
	free(buf);
	json_object_put(j);
	return rc;
}

struct hist {
	bool json;
	json_object *arr;
	struct cli_table *t;
};

static int hist_cb(const struct store_result *r, void *arg)
{
	struct hist *h = arg;
	char t[CLI_TIME_LEN];
	char *text = NULL;
	json_object *o, *claims;
	int rc;

	cli_time_format(r->at, t);
	if (h->json) {
		o = json_object_new_object();
		if (!o)
			return GW_E_NOMEM;
		json_object_object_add(o, "id", json_object_new_int64(r->id));
		json_object_object_add(o, "at", json_object_new_string(t));
		json_object_object_add(o, "at_epoch", json_object_new_int64(r->at));
		json_object_object_add(o, "status", cli_json_str(r->status));
		claims = r->claims ? cli_json_parse(r->claims) : NULL;
		/* Text that is not JSON is passed on as a string, never dropped. */
		if (!claims && r->claims)
			claims = json_object_new_string(r->claims);
		json_object_object_add(o, "failed_claims", claims);
		return json_object_array_add(h->arr, o) ? GW_E_NOMEM : 0;
	}
	rc = claims_text(r->claims, &text);
	if (!rc) {
		const char *row[3] = { t, r->status, text };

		rc = cli_table_add(h->t, row);
	}
	free(text);
	return rc;
}

int cmd_history(struct verifier_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "limit", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const headers[] = { "TIME", "STATUS", "FAILED CLAIMS" };
	struct hist h = { .json = false };
	struct store_device d = { .id = { 0 } };
	struct store *st = NULL;
	const char *config = NULL, *id;
	gw_error err = { { 0 } };
	uint64_t limit = 0;
	int c, rc, status = GW_EXIT_OK;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case 'n':
			if (gw_parse_u64(optarg, UINT32_MAX, &limit)) {
				verifier_errorf(ctx, "--limit: expected a number, got '%s'", optarg);
				return GW_EXIT_USAGE;
			}
			break;
		case 'j':
			h.json = true;
			break;
		case 'h':
			usage(stdout);
			return GW_EXIT_OK;
		default:
			usage(stderr);
			return GW_EXIT_USAGE;
		}
	}
	if (optind + 1 != argc) {
		usage(stderr);
		return GW_EXIT_USAGE;
	}
	id = argv[optind];
	status = cli_open_store(ctx, config, &st);
	if (status != GW_EXIT_OK)
		return status;
	h.arr = json_object_new_array();
	h.t = cli_table_new(GW_ARRAY_SIZE(headers), headers);
	rc = h.arr && h.t ? 0 : GW_E_NOMEM;
	/* An unknown device has no results either; say which it is. */
	if (!rc)
		rc = store_device_get(st, id, &d, &err);
	if (rc == GW_E_NOTFOUND) {
		verifier_errorf(ctx, "history: no device '%s'", id);
		status = GW_EXIT_ERROR;
		goto out;
	}
	if (!rc)
		rc = store_result_history(st, id, (unsigned)limit, hist_cb, &h, &err);
	if (rc) {
		verifier_errorf(ctx, "history: %s", gw_error_msg(&err, rc));
		status = cli_exit_for(rc);
		goto out;
	}
	if (h.json)
		cli_json_print(h.arr);
	else
		cli_table_print(h.t, stdout);
out:
	store_device_fini(&d);
	json_object_put(h.arr);
	cli_table_free(h.t);
	store_close(st);
	return status;
}
