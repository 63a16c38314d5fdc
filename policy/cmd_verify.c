// SPDX-License-Identifier: Apache-2.0
// gwpolicy verify: a DSSE envelope checked against a threshold of trusted keys.
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "dsse.h"
#include "policy.h"
#include "util.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: gwpolicy verify --pub KEY.pub [--pub ...] [--threshold K] [--type TYPE]\n"
		"                       [--payload-out FILE] [--json] SIGNED\n\n"
		"Verifies the DSSE envelope SIGNED (- for standard input): at least K of the\n"
		"given public keys must each have a valid signature over the payload. A key\n"
		"that signed twice counts once; signatures by other keys are reported and\n"
		"ignored. Exit 0 when the threshold is met, %d when it is not, %d when the\n"
		"envelope or a key is malformed.\n\n"
		"  --pub FILE          a trusted public key (PEM); repeat for more (up to %u)\n"
		"  --threshold K       keys that must have signed (default: all given)\n"
		"  --type TYPE         the payloadType the envelope must carry\n"
		"  --payload-out FILE  write the payload to FILE, only once it verified\n"
		"  --json              the result as one JSON object on standard output\n",
		GW_EXIT_SIGNATURE, GW_EXIT_EVIDENCE, DSSE_MAX_KEYS);
}

static void print_json(const struct dsse_envelope *env, const struct dsse_result *res,
		       const char *const *pubs, size_t npubs, int exitc, const char *error)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "result", json_object_new_string(exitc ? "fail" : "pass"));
	json_object_object_add(o, "exit_code", json_object_new_int(exitc));
	if (env)
		json_object_object_add(o, "payload_type",
				       json_object_new_string(env->payload_type));
	if (res) {
		json_object *keys = json_object_new_array(), *sigs = json_object_new_array();

		json_object_object_add(o, "valid", json_object_new_int64(res->valid));
		json_object_object_add(o, "threshold", json_object_new_int64(res->threshold));
		for (size_t i = 0; i < npubs && i < res->nkeys; i++) {
			json_object *k = json_object_new_object();

			json_object_object_add(k, "file", json_object_new_string(pubs[i]));
			json_object_object_add(k, "keyid", json_object_new_string(res->keyid[i]));
			json_object_object_add(k, "signed",
					       json_object_new_boolean(res->key_signed[i]));
			json_object_array_add(keys, k);
		}
		json_object_object_add(o, "keys", keys);
		for (size_t i = 0; env && i < res->nsigs; i++) {
			json_object *s = json_object_new_object();

			json_object_object_add(s, "keyid",
					       json_object_new_string(env->sigs[i].keyid));
			json_object_object_add(s, "status",
					       json_object_new_string(dsse_status_name(res->status[i])));
			json_object_array_add(sigs, s);
		}
		json_object_object_add(o, "signatures", sigs);
	}
	if (error)
		json_object_object_add(o, "error", json_object_new_string(error));
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
						       JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

static void print_text(const struct dsse_envelope *env, const struct dsse_result *res,
		       const char *const *pubs)
{
	for (size_t i = 0; i < res->nkeys; i++)
		printf("%-10s  %s  %s\n", res->key_signed[i] ? "signed" : "not-signed",
		       res->keyid[i], pubs[i]);
	for (size_t i = 0; i < res->nsigs; i++)
		if (res->status[i] == DSSE_SIG_UNKNOWN_KEY || res->status[i] == DSSE_SIG_INVALID)
			printf("%-10s  %.64s  (signature %zu: %s)\n", "ignored",
			       env->sigs[i].keyid, i + 1,
			       res->status[i] == DSSE_SIG_UNKNOWN_KEY ? "unknown key"
								      : "invalid signature");
}

int cmd_verify(struct policy_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pub", required_argument, NULL, 'p' },
		{ "threshold", required_argument, NULL, 'k' },
		{ "type", required_argument, NULL, 't' },
		{ "payload-out", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *pubs[DSSE_MAX_KEYS];
	const char *type = NULL, *payload_out = NULL, *file;
	EVP_PKEY *keys[DSSE_MAX_KEYS] = { 0 };
	struct dsse_envelope *env = NULL;
	struct dsse_result res;
	bool json = false, have_res = false;
	uint64_t threshold = 0;
	size_t npubs = 0, len = 0;
	uint8_t *buf = NULL;
	gw_error err = { { 0 } };
	int ret = GW_EXIT_OK;
	int rc = 0, c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (npubs == DSSE_MAX_KEYS) {
				policy_errorf(ctx, "verify: at most %u keys", DSSE_MAX_KEYS);
				return GW_EXIT_USAGE;
			}
			pubs[npubs++] = optarg;
			break;
		case 'k':
			if (gw_parse_u64(optarg, DSSE_MAX_KEYS, &threshold) || !threshold) {
				policy_errorf(ctx, "verify: --threshold must be 1 to %u",
					      DSSE_MAX_KEYS);
				return GW_EXIT_USAGE;
			}
			break;
		case 't':
			type = optarg;
			break;
		case 'o':
			payload_out = optarg;
			break;
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
	if (!npubs || optind != argc - 1) {
		usage(stderr);
		return GW_EXIT_USAGE;
	}
	if (!threshold)
		threshold = npubs;
	if (threshold > npubs) {
		policy_errorf(ctx, "verify: --threshold %u is more than the %zu keys given",
			      (unsigned)threshold, npubs);
		return GW_EXIT_USAGE;
	}
	file = argv[optind];
	for (size_t i = 0; i < npubs && !rc; i++)
		rc = policy_pub_read(pubs[i], &keys[i], &err);
	if (rc)
		goto out;
	rc = gw_read_file(strcmp(file, "-") ? file : "/dev/stdin", DSSE_MAX_SIZE, &buf, &len,
			  &err);
	if (!rc)
		rc = dsse_parse(buf, len, &env, &err);
	if (rc) {
		gw_error_prefix(&err, "%s: ", file);
		goto out;
	}
	rc = dsse_verify(env, keys, npubs, (unsigned)threshold, type, &res, &err);
	have_res = !rc || rc == GW_E_SIGNATURE;
	/* The payload leaves only once it verified. */
	if (!rc && payload_out)
		rc = gw_write_file_atomic(payload_out, env->payload, env->payload_len, 0644, &err);
out:
	if (rc)
		ret = rc == GW_E_INVAL ? GW_EXIT_USAGE : gw_exit_for(rc);
	if (json)
		print_json(env, have_res ? &res : NULL, pubs, npubs, ret,
			   rc ? gw_error_msg(&err, rc) : NULL);
	else if (have_res)
		print_text(env, &res, pubs);
	if (!rc && !json)
		printf("OK: %u of required %u signatures valid (payload type %s)\n", res.valid,
		       res.threshold, env->payload_type);
	if (rc)
		policy_errorf(ctx, "verify: %s", gw_error_msg(&err, rc));
	free(buf);
	dsse_free(env);
	for (size_t i = 0; i < npubs; i++)
		EVP_PKEY_free(keys[i]);
	return ret;
}
