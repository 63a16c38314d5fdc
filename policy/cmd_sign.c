// SPDX-License-Identifier: Apache-2.0
// gwpolicy sign: a file signed with one or more keys into a DSSE envelope.
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dsse.h"
#include "policy.h"
#include "util.h"

#define DEFAULT_TYPE "application/vnd.gatewarden.policy+json"
/* The payload grows by a third in base64 and must leave room in the envelope. */
#define PAYLOAD_MAX (DSSE_MAX_SIZE / 2)

static void usage(FILE *f)
{
	fprintf(f,
		"usage: gwpolicy sign --key PREFIX.key [--key ...] [--type TYPE] FILE > SIGNED\n\n"
		"Signs FILE (- for standard input, at most %u bytes) with every key given and\n"
		"writes the DSSE envelope (JSON) to standard output. Each signature covers\n"
		"PAE(TYPE, FILE) and carries the signing key's keyid.\n\n"
		"  --key FILE   a private key from 'gwpolicy keygen'; repeat for more (up to %u)\n"
		"  --type TYPE  the payloadType (default %s)\n",
		PAYLOAD_MAX, DSSE_MAX_SIGS, DEFAULT_TYPE);
}

int cmd_sign(struct policy_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "type", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *keypaths[DSSE_MAX_SIGS];
	const char *type = DEFAULT_TYPE, *file;
	EVP_PKEY *keys[DSSE_MAX_SIGS] = { 0 };
	size_t nkeys = 0, len = 0;
	uint8_t *payload = NULL;
	char *envelope = NULL;
	gw_error err = { { 0 } };
	int ret = GW_EXIT_OK;
	int rc, c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			if (nkeys == DSSE_MAX_SIGS) {
				policy_errorf(ctx, "sign: at most %u keys", DSSE_MAX_SIGS);
				return GW_EXIT_USAGE;
			}
			keypaths[nkeys++] = optarg;
			break;
		case 't':
			type = optarg;
			break;
		case 'h':
			usage(stdout);
			return GW_EXIT_OK;
		default:
			usage(stderr);
			return GW_EXIT_USAGE;
		}
	}
	if (!nkeys || optind != argc - 1) {
		usage(stderr);
		return GW_EXIT_USAGE;
	}
	if (!*type || strlen(type) > DSSE_MAX_TYPE) {
		policy_errorf(ctx, "sign: --type must be 1 to %u bytes", DSSE_MAX_TYPE);
		return GW_EXIT_USAGE;
	}
	file = argv[optind];
	for (size_t i = 0; i < nkeys; i++) {
		rc = policy_key_read(keypaths[i], &keys[i], &err);
		if (!rc)
			rc = dsse_key_check(keys[i], &err);
		if (rc) {
			policy_errorf(ctx, "sign: %s: %s", keypaths[i], gw_error_msg(&err, rc));
			ret = gw_exit_for(rc);
			goto out;
		}
	}
	rc = gw_read_file(strcmp(file, "-") ? file : "/dev/stdin", PAYLOAD_MAX, &payload, &len,
			  &err);
	if (rc) {
		policy_errorf(ctx, "sign: %s", gw_error_msg(&err, rc));
		ret = rc == GW_E_TOOBIG ? GW_EXIT_EVIDENCE : gw_exit_for(rc);
		goto out;
	}
	rc = dsse_sign(type, payload, len, keys, nkeys, &envelope, &err);
	if (rc) {
		policy_errorf(ctx, "sign: %s", gw_error_msg(&err, rc));
		ret = rc == GW_E_INVAL ? GW_EXIT_USAGE : gw_exit_for(rc);
		goto out;
	}
	if (printf("%s\n", envelope) < 0 || fflush(stdout)) {
		policy_errorf(ctx, "sign: writing the envelope failed");
		ret = GW_EXIT_ERROR;
	}
out:
	free(envelope);
	free(payload);
	for (size_t i = 0; i < nkeys; i++)
		EVP_PKEY_free(keys[i]);
	return ret;
}
