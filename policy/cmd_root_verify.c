// SPDX-License-Identifier: Apache-2.0
// gwpolicy root sign and root verify: signatures added to a root, and a root (or
// a chain of rotations ending in it) checked as a device would.
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "root_cli.h"
#include "util.h"

#define ROOT_MAX_CHAIN 64 /* --previous roots one verify takes */

static void sign_usage(FILE *f)
{
	fprintf(f,
		"usage: gwpolicy root sign --key KEY [--key ...] [--previous OLD] [-o OUT] [--json]\n"
		"                          ROOT\n\n"
		"Adds a signature by each KEY to the root ROOT and writes it back atomically\n"
		"(or to OUT). Each KEY must be a root key of ROOT, or of OLD, the version\n"
		"before it, when ROOT is a rotation. Prints which thresholds are still missing.\n");
}

static void verify_usage(FILE *f)
{
	fprintf(f,
		"usage: gwpolicy root verify [--previous OLD ...] [--json] ROOT\n\n"
		"Checks ROOT as a device does: a threshold of its root keys signed it and it\n"
		"has not expired. With --previous (any order), the roots before it are checked\n"
		"as a chain of rotations from the oldest, each version N+1 signed by a\n"
		"threshold of N's root keys and of its own; only ROOT must be unexpired.\n"
		"Prints its version, expiry, digest (a policy's trust.trust_root), roles,\n"
		"and which keys signed. Exit 0 when it verifies, %d when signatures are\n"
		"missing, %d when it expired or a version does not follow, %d when malformed.\n",
		GW_EXIT_SIGNATURE, GW_EXIT_STATE, GW_EXIT_EVIDENCE);
}

/* The signers' signatures appended to r's envelope; none may have signed yet. */
static int add_signatures(struct root *r, const struct root_signers *s, gw_error *err)
{
	struct dsse_envelope *extra = NULL;
	char *json = NULL;
	char id[DSSE_KEYID_LEN];
	int rc;

	for (size_t i = 0; i < s->n; i++) {
		if (dsse_keyid(s->key[i], id))
			return gw_fail(err, GW_E_CRYPTO, "encoding a public key failed");
		for (size_t j = 0; j < r->env->nsigs; j++)
			if (!strcmp(r->env->sigs[j].keyid, id))
				return gw_fail(err, GW_E_STATE, "already signed by key %s (%s)", id,
					       s->path[i]);
	}
	if (r->env->nsigs + s->n > DSSE_MAX_SIGS)
		return gw_fail(err, GW_E_INVAL, "an envelope carries at most %u signatures",
			       DSSE_MAX_SIGS);
	rc = dsse_sign(ROOT_PAYLOAD_TYPE, r->payload, r->payload_len, s->key, s->n, &json, err);
	if (!rc)
		rc = dsse_parse((const uint8_t *)json, strlen(json), &extra, err);
	if (rc)
		goto out;
	for (size_t i = 0; i < extra->nsigs; i++)
		r->env->sigs[r->env->nsigs++] = extra->sigs[i]; /* transferred */
	extra->nsigs = 0;
out:
	dsse_free(extra);
	free(json);
	return rc;
}

static int check_previous(const struct root *prev, const struct root *r, gw_error *err)
{
	if (prev && prev->version + 1 != r->version)
		return gw_fail(err, GW_E_STATE, "--previous is version %llu, not %llu, the one "
				    "before version %llu",
			       (unsigned long long)prev->version,
			       (unsigned long long)r->version - 1, (unsigned long long)r->version);
	return 0;
}

int cmd_root_sign(struct policy_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },	{ "previous", required_argument, NULL, 'p' },
		{ "out", required_argument, NULL, 'o' },	{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },		{ NULL, 0, NULL, 0 },
	};
	struct root_signers s = { 0 };
	const char *prev_path = NULL, *out = NULL;
	struct root *r = NULL, *prev = NULL;
	struct root_status st;
	gw_error err = { { 0 } };
	bool json = false;
	int rc = 0, ret, c;

	while ((c = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			if (root_signers_add(&s, optarg, &err)) {
				policy_errorf(ctx, "root sign: %s", err.msg);
				return GW_EXIT_USAGE;
			}
			break;
		case 'p':
			prev_path = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			sign_usage(stdout);
			return GW_EXIT_OK;
		default:
			sign_usage(stderr);
			return GW_EXIT_USAGE;
		}
	}
	if (!s.n || optind != argc - 1) {
		sign_usage(stderr);
		return GW_EXIT_USAGE;
	}
	if (!out)
		out = argv[optind];
	rc = root_load(argv[optind], &r, &err);
	if (!rc && prev_path)
		rc = root_load(prev_path, &prev, &err);
	if (!rc)
		rc = check_previous(prev, r, &err);
	if (!rc)
		rc = root_signers_load(&s, &err);
	if (!rc)
		rc = root_signers_check(&s, r, prev, &err);
	if (!rc)
		rc = add_signatures(r, &s, &err);
	if (!rc)
		rc = root_write(r, out, false, &err);
	ret = root_exit_for(rc);
	if (rc) {
		policy_errorf(ctx, "root sign: %s", gw_error_msg(&err, rc));
		if (json)
			root_print_json(NULL, ret, gw_error_msg(&err, rc));
		goto out;
	}
	root_status_get(r, prev, &st);
	if (json) {
		root_print_json(root_report_json(r, &st, out), ret, NULL);
	} else {
		printf("wrote %s\n", out);
		root_print_text(r, &st);
	}
	root_print_missing(ctx, r, &st);
out:
	root_free(r);
	root_free(prev);
	root_signers_free(&s);
	return ret;
}

static int by_version(const void *a, const void *b)
{
	const struct root *x = *(struct root *const *)a, *y = *(struct root *const *)b;

	return x->version < y->version ? -1 : x->version > y->version;
}

/* chain[0..n-1] (sorted) then r: the oldest's own signatures, each step, r's
 * expiry. */
static int verify_chain(struct root **chain, size_t n, const struct root *r, time_t now,
			gw_error *err)
{
	int rc;

	if (!n)
		return root_verify_self(r, now, err);
	qsort(chain, n, sizeof(*chain), by_version);
	rc = root_verify_envelope(chain[0], ROOT_ROLE_ROOT, chain[0]->env, ROOT_PAYLOAD_TYPE,
				  NULL, err);
	if (rc) {
		gw_error_prefix(err, "root version %llu (the oldest given): root signature: ",
				(unsigned long long)chain[0]->version);
		return rc;
	}
	for (size_t i = 0; i + 1 < n; i++) {
		rc = root_verify_step(chain[i], chain[i + 1], err);
		if (rc)
			return rc;
	}
	return root_verify_successor(chain[n - 1], r, now, err);
}

int cmd_root_verify(struct policy_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "previous", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *prev_paths[ROOT_MAX_CHAIN];
	struct root *chain[ROOT_MAX_CHAIN] = { 0 }, *r = NULL;
	struct root_status st;
	gw_error err = { { 0 } };
	size_t n = 0;
	bool json = false;
	int rc = 0, ret, c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (n == ROOT_MAX_CHAIN) {
				policy_errorf(ctx, "root verify: at most %u --previous roots",
					      ROOT_MAX_CHAIN);
				return GW_EXIT_USAGE;
			}
			prev_paths[n++] = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			verify_usage(stdout);
			return GW_EXIT_OK;
		default:
			verify_usage(stderr);
			return GW_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		verify_usage(stderr);
		return GW_EXIT_USAGE;
	}
	rc = root_load(argv[optind], &r, &err);
	for (size_t i = 0; i < n && !rc; i++)
		rc = root_load(prev_paths[i], &chain[i], &err);
	if (!rc)
		rc = verify_chain(chain, n, r, time(NULL), &err);
	ret = root_exit_for(rc);
	if (r)
		root_status_get(r, n ? chain[n - 1] : NULL, &st);
	if (json)
		root_print_json(r ? root_report_json(r, &st, argv[optind]) : NULL, ret,
				rc ? gw_error_msg(&err, rc) : NULL);
	else if (r)
		root_print_text(r, &st);
	if (rc)
		policy_errorf(ctx, "root verify: %s", gw_error_msg(&err, rc));
	else if (!json)
		printf("OK: root version %llu verified%s\n", (unsigned long long)r->version,
		       n ? " through its rotations" : "");
	for (size_t i = 0; i < n; i++)
		root_free(chain[i]);
	root_free(r);
	return ret;
}
