// SPDX-License-Identifier: Apache-2.0
// gwpolicy predict: the stage and trust PCR values a device shows after booting
// given stage files (and pinned gate key), computed before any device boots them.
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/x509.h>

#include "digest.h"
#include "policy.h"
#include "util.h"

#define MAX_STAGES 256
#define STAGE_PCR 13
#define TRUST_PCR 14

static void usage(FILE *f)
{
	fprintf(f, "usage: gwpolicy predict --stage NAME=FILE [--stage ...] [--gate-key PUB.pem]\n"
		   "                        [--banks sha1,sha256] [--json]\n\n"
		   "Computes the values PCR 13 (stages) and PCR 14 (trust state) take when\n"
		   "`gwagent boot` measures these files, in this order, after a reset: each\n"
		   "file's digest is extended into PCR 13 in every bank; a device enrolled with\n"
		   "a verifier first extends the digest of the verifier's gate key (DER\n"
		   "SubjectPublicKeyInfo) into PCR 14. Reference values can so be published\n"
		   "before any device boots the image.\n\n"
		   "  --stage NAME=FILE  a stage file, in boot order (repeatable)\n"
		   "  --gate-key PUB     the verifier's gate key (gate.pub) a device has pinned\n"
		   "  --banks LIST       PCR banks to compute (default sha1,sha256)\n"
		   "  --json             machine-readable output\n");
}

struct stage_arg {
	const char *name;
	const char *file;
	uint8_t d[GW_MAX_BANKS][GW_MAX_DIGEST];
};

static int parse_banks(const char *s, uint16_t *algs, size_t *n)
{
	*n = 0;
	while (*s) {
		size_t len = strcspn(s, ",");
		char name[16];
		const struct gw_alg *a;

		if (len == 0 || len >= sizeof(name) || *n >= GW_MAX_BANKS)
			return GW_E_PARSE;
		memcpy(name, s, len);
		name[len] = '\0';
		a = gw_alg_by_name(name);
		if (!a)
			return GW_E_PARSE;
		for (size_t i = 0; i < *n; i++)
			if (algs[i] == a->id)
				return GW_E_PARSE;
		algs[(*n)++] = a->id;
		s += len;
		if (*s == ',' && !*++s)
			return GW_E_PARSE;
	}
	return *n ? 0 : GW_E_PARSE;
}

int cmd_predict(struct policy_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "stage", required_argument, NULL, 's' },
		{ "gate-key", required_argument, NULL, 'g' },
		{ "banks", required_argument, NULL, 'b' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct stage_arg *stages = NULL;
	size_t nstages = 0, nalgs = 2;
	uint16_t algs[GW_MAX_BANKS] = { TPM2_ALG_SHA1, TPM2_ALG_SHA256 };
	const char *gate_path = NULL;
	struct gw_pcr_set set = { 0 };
	EVP_PKEY *gate = NULL;
	unsigned char *der = NULL;
	int der_len = 0;
	bool json = false;
	gw_error err = { { 0 } };
	char hex[2 * GW_MAX_DIGEST + 1];
	int c, rc, status = GW_EXIT_OK;

	stages = calloc(MAX_STAGES, sizeof(*stages));
	if (!stages)
		return GW_EXIT_ERROR;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		char *eq;

		switch (c) {
		case 's':
			eq = strchr(optarg, '=');
			if (!eq || eq == optarg || !eq[1] || nstages >= MAX_STAGES) {
				policy_errorf(ctx, "--stage wants NAME=FILE, got '%s'", optarg);
				status = GW_EXIT_USAGE;
				goto out;
			}
			*eq = '\0';
			stages[nstages].name = optarg;
			stages[nstages].file = eq + 1;
			nstages++;
			break;
		case 'g':
			gate_path = optarg;
			break;
		case 'b':
			if (parse_banks(optarg, algs, &nalgs)) {
				policy_errorf(ctx, "--banks: a comma-separated list of sha1, sha256, "
						   "sha384, sha512, each once");
				status = GW_EXIT_USAGE;
				goto out;
			}
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			goto out;
		default:
			usage(stderr);
			status = GW_EXIT_USAGE;
			goto out;
		}
	}
	if (optind != argc || (nstages == 0 && !gate_path)) {
		usage(stderr);
		status = GW_EXIT_USAGE;
		goto out;
	}
	for (size_t b = 0; b < nalgs; b++)
		if (!gw_pcr_set_bank(&set, algs[b])) {
			status = GW_EXIT_ERROR;
			goto out;
		}
	/* What `gwagent boot` does: the pinned gate key first, then every stage file. */
	if (gate_path) {
		rc = policy_pub_read(gate_path, &gate, &err);
		if (!rc && (der_len = i2d_PUBKEY(gate, &der)) <= 0)
			rc = gw_fail(&err, GW_E_KEY, "%s: cannot encode the key", gate_path);
		for (size_t b = 0; !rc && b < nalgs; b++) {
			uint8_t d[GW_MAX_DIGEST];

			rc = gw_hash(algs[b], der, (size_t)der_len, d);
			if (!rc)
				rc = gw_pcr_extend(&set.bank[b], TRUST_PCR, d);
		}
		if (rc) {
			policy_errorf(ctx, "--gate-key: %s", gw_error_msg(&err, rc));
			status = gw_exit_for(rc);
			goto out;
		}
	}
	for (size_t i = 0; i < nstages; i++) {
		rc = gw_hash_file(stages[i].file, algs, nalgs, stages[i].d, NULL, &err);
		for (size_t b = 0; !rc && b < nalgs; b++)
			rc = gw_pcr_extend(&set.bank[b], STAGE_PCR, stages[i].d[b]);
		if (rc) {
			policy_errorf(ctx, "stage %s: %s", stages[i].name, gw_error_msg(&err, rc));
			status = rc == GW_E_NOTFOUND || rc == GW_E_IO ? GW_EXIT_ERROR : gw_exit_for(rc);
			goto out;
		}
	}
	if (json) {
		json_object *o = json_object_new_object(), *pcrs = json_object_new_object();
		json_object *st = json_object_new_array();

		for (size_t b = 0; b < nalgs; b++) {
			json_object *bo = json_object_new_object();

			gw_hex_encode(set.bank[b].pcr[STAGE_PCR], set.bank[b].size, hex);
			json_object_object_add(bo, "13", json_object_new_string(hex));
			gw_hex_encode(set.bank[b].pcr[TRUST_PCR], set.bank[b].size, hex);
			json_object_object_add(bo, "14", json_object_new_string(hex));
			json_object_object_add(pcrs, gw_alg_by_id(algs[b])->name, bo);
		}
		json_object_object_add(o, "pcrs", pcrs);
		for (size_t i = 0; i < nstages; i++) {
			json_object *so = json_object_new_object(), *dg = json_object_new_object();

			json_object_object_add(so, "stage", json_object_new_string(stages[i].name));
			json_object_object_add(so, "file", json_object_new_string(stages[i].file));
			for (size_t b = 0; b < nalgs; b++) {
				gw_hex_encode(stages[i].d[b], gw_alg_by_id(algs[b])->size, hex);
				json_object_object_add(dg, gw_alg_by_id(algs[b])->name,
						       json_object_new_string(hex));
			}
			json_object_object_add(so, "digests", dg);
			json_object_array_add(st, so);
		}
		json_object_object_add(o, "stages", st);
		puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
							       JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	} else {
		for (size_t i = 0; i < nstages; i++) {
			for (size_t b = 0; b < nalgs; b++)
				if (algs[b] == TPM2_ALG_SHA256 || (b == nalgs - 1 && nalgs == 1)) {
					gw_hex_encode(stages[i].d[b], set.bank[b].size, hex);
					printf("stage %s: %s %s:%s\n", stages[i].name, stages[i].file,
					       gw_alg_by_id(algs[b])->name, hex);
				}
		}
		for (size_t b = 0; b < nalgs; b++) {
			gw_hex_encode(set.bank[b].pcr[STAGE_PCR], set.bank[b].size, hex);
			printf("PCR 13 %-7s %s\n", gw_alg_by_id(algs[b])->name, hex);
			gw_hex_encode(set.bank[b].pcr[TRUST_PCR], set.bank[b].size, hex);
			printf("PCR 14 %-7s %s\n", gw_alg_by_id(algs[b])->name, hex);
		}
	}
out:
	OPENSSL_free(der);
	EVP_PKEY_free(gate);
	free(stages);
	return status;
}
