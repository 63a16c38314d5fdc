// SPDX-License-Identifier: Apache-2.0
// gwpolicy from-eventlog: a policy draft from a golden device's firmware log, its
// agent log and stage files, checked by the policy parser before it is printed.
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/x509.h>

#include "digest.h"
#include "gwpol.h"
#include "gwpol_draft.h"
#include "policy.h"
#include "util.h"


static void usage(FILE *f)
{
	fprintf(f,
		"usage: gwpolicy from-eventlog [FIRMWARE.bin] [--cel LOG] [--stage NAME=FILE ...]\n"
		"                              [--gate-key PUB.pem] --model M [--version N]\n"
		"                              [--bank ALG] [--allowed] [--description TEXT]\n"
		"                              [--out FILE]\n\n"
		"Drafts a policy (doc/policy.md) from a golden device: the firmware event log\n"
		"(binary_bios_measurements) gives one rule per PCR it extends, each event\n"
		"commented with its number and description, the required separators and\n"
		"ExitBootServices actions, the Secure Boot state and variables, and the\n"
		"bootloader and kernel digests; the agent's CEL log (eventlog.cel) and stage\n"
		"files give stage digests; the gate key (or the CEL's gate-key record) gives\n"
		"the trust rule. The draft is checked by the policy parser, then printed.\n"
		"Review it, `gwpolicy lint` it, then `gwpolicy sign` it.\n\n"
		"  --cel LOG           the golden device's agent log\n"
		"  --stage NAME=FILE   a stage file a device will measure (repeatable; as\n"
		"                      for `gwpolicy predict`)\n"
		"  --gate-key PUB      the verifier gate key devices pin (gate.pub)\n"
		"  --model M           the device model the policy is for (required)\n"
		"  --version N         the policy version (default 1)\n"
		"  --bank ALG          the bank of the firmware rules (default sha256 when\n"
		"                      the log has it, else sha1)\n"
		"  --allowed           per PCR, allowed digests per event type in any order,\n"
		"                      instead of the exact event sequence\n"
		"  --description TEXT  a description for the policy\n"
		"  --out FILE          write the draft to FILE (atomically) instead of stdout\n");
}

static int gate_digest(const char *path, uint8_t out[32], gw_error *err)
{
	EVP_PKEY *key = NULL;
	unsigned char *der = NULL;
	int len, rc;

	rc = policy_pub_read(path, &key, err);
	if (!rc && (len = i2d_PUBKEY(key, &der)) <= 0)
		rc = gw_fail(err, GW_E_KEY, "%s: cannot encode the key", path);
	if (!rc)
		rc = gw_hash(TPM2_ALG_SHA256, der, (size_t)len, out);
	OPENSSL_free(der);
	EVP_PKEY_free(key);
	return rc;
}

static int load_fwlog(const char *path, struct eventlog **out, gw_error *err)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	rc = gw_read_file(path, EVENTLOG_MAX_LEN, &buf, &len, err);
	if (!rc)
		rc = eventlog_parse(buf, len, out, err);
	free(buf);
	return rc;
}

static int load_cel(const char *path, struct cel_log **out, gw_error *err)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	rc = gw_read_file(path, CEL_MAX_LOG, &buf, &len, err);
	if (!rc)
		rc = cel_parse(buf, len, out, err);
	free(buf);
	return rc;
}

static int io_exit(int rc)
{
	return rc == GW_E_NOTFOUND || rc == GW_E_IO ? GW_EXIT_ERROR : gw_exit_for(rc);
}

int cmd_from_eventlog(struct policy_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "cel", required_argument, NULL, 'c' },
		{ "stage", required_argument, NULL, 's' },
		{ "gate-key", required_argument, NULL, 'g' },
		{ "model", required_argument, NULL, 'm' },
		{ "version", required_argument, NULL, 'v' },
		{ "bank", required_argument, NULL, 'b' },
		{ "allowed", no_argument, NULL, 'a' },
		{ "description", required_argument, NULL, 'd' },
		{ "out", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct gwpol_draft_input in = { 0 };
	struct gwpol_draft_stage *stages = NULL;
	const char *cel_path = NULL, *gate_path = NULL, *out_path = NULL, *fw_path = NULL;
	struct eventlog *fwlog = NULL;
	struct cel_log *cel = NULL;
	struct gwpol *parsed = NULL;
	struct gwpol_diags *diags = NULL;
	json_object *draft = NULL;
	gw_error err = { { 0 } };
	const char *files[GWPOL_MAX_STAGES];
	const char *text;
	uint64_t v;
	int c, rc, status = GW_EXIT_OK;

	stages = calloc(GWPOL_MAX_STAGES, sizeof(*stages));
	diags = calloc(1, sizeof(*diags));
	if (!stages || !diags) {
		status = GW_EXIT_ERROR;
		goto out;
	}
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		char *eq;
		const struct gw_alg *a;

		switch (c) {
		case 'c':
			cel_path = optarg;
			break;
		case 's':
			eq = strchr(optarg, '=');
			if (!eq || eq == optarg || !eq[1] || in.n_stages >= GWPOL_MAX_STAGES) {
				policy_errorf(ctx, "--stage wants NAME=FILE (at most %d), got '%s'",
					      GWPOL_MAX_STAGES, optarg);
				status = GW_EXIT_USAGE;
				goto out;
			}
			*eq = '\0';
			stages[in.n_stages].name = optarg;
			files[in.n_stages++] = eq + 1;
			break;
		case 'g':
			gate_path = optarg;
			break;
		case 'm':
			in.model = optarg;
			break;
		case 'v':
			if (gw_parse_u64(optarg, UINT32_MAX, &v) || v == 0) {
				policy_errorf(ctx, "--version: a number from 1 to %u", UINT32_MAX);
				status = GW_EXIT_USAGE;
				goto out;
			}
			in.version = (uint32_t)v;
			break;
		case 'b':
			a = gw_alg_by_name(optarg);
			if (!a) {
				policy_errorf(ctx, "--bank: sha1, sha256, sha384 or sha512");
				status = GW_EXIT_USAGE;
				goto out;
			}
			in.bank = a->id;
			break;
		case 'a':
			in.allowed = true;
			break;
		case 'd':
			in.description = optarg;
			break;
		case 'o':
			out_path = optarg;
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
	if (optind + 1 == argc)
		fw_path = argv[optind];
	if (optind + 1 < argc || !in.model ||
	    (!fw_path && !cel_path && !in.n_stages && !gate_path)) {
		usage(stderr);
		status = GW_EXIT_USAGE;
		goto out;
	}
	if (fw_path && (rc = load_fwlog(fw_path, &fwlog, &err))) {
		policy_errorf(ctx, "%s: %s", fw_path, gw_error_msg(&err, rc));
		status = io_exit(rc);
		goto out;
	}
	if (cel_path && (rc = load_cel(cel_path, &cel, &err))) {
		policy_errorf(ctx, "%s: %s", cel_path, gw_error_msg(&err, rc));
		status = io_exit(rc);
		goto out;
	}
	for (size_t i = 0; i < in.n_stages; i++) {
		const uint16_t alg = TPM2_ALG_SHA256;
		uint8_t d[1][GW_MAX_DIGEST];

		rc = gw_hash_file(files[i], &alg, 1, d, NULL, &err);
		if (rc) {
			policy_errorf(ctx, "stage %s: %s", stages[i].name, gw_error_msg(&err, rc));
			status = io_exit(rc);
			goto out;
		}
		memcpy(stages[i].sha256, d[0], 32);
	}
	if (gate_path) {
		rc = gate_digest(gate_path, in.gate_key, &err);
		if (rc) {
			policy_errorf(ctx, "--gate-key: %s", gw_error_msg(&err, rc));
			status = io_exit(rc);
			goto out;
		}
		in.has_gate_key = true;
	}
	in.fwlog = fwlog;
	in.cel = cel;
	in.stages = stages;
	rc = gwpol_draft(&in, &draft, &err);
	if (rc) {
		policy_errorf(ctx, "%s", gw_error_msg(&err, rc));
		/* A log with no complete bank we know is a log we cannot use. */
		status = rc == GW_E_INVAL	 ? GW_EXIT_USAGE
			 : rc == GW_E_UNSUPPORTED ? GW_EXIT_EVIDENCE
						  : gw_exit_for(rc);
		goto out;
	}
	text = json_object_to_json_string_ext(draft, JSON_C_TO_STRING_PRETTY |
							     JSON_C_TO_STRING_SPACED |
							     JSON_C_TO_STRING_NOSLASHESCAPE);
	/* Never hand out a draft the verifier would refuse: a stage name from the log
	 * may not be a valid name, a log may exceed a cap. */
	rc = gwpol_parse(text, strlen(text), &parsed, diags, &err);
	if (rc) {
		policy_errorf(ctx, "the draft is not a valid policy:");
		for (size_t i = 0; i < diags->n; i++)
			fprintf(stderr, "  %s: %s\n", diags->d[i].path, diags->d[i].msg);
		status = gw_exit_for(rc);
		goto out;
	}
	if (out_path) {
		size_t len = strlen(text);
		char *buf = malloc(len + 1);

		if (!buf) {
			status = GW_EXIT_ERROR;
			goto out;
		}
		memcpy(buf, text, len);
		buf[len] = '\n';
		rc = gw_write_file_atomic(out_path, buf, len + 1, 0644, &err);
		free(buf);
		if (rc) {
			policy_errorf(ctx, "%s", gw_error_msg(&err, rc));
			status = GW_EXIT_ERROR;
			goto out;
		}
	} else {
		puts(text);
	}
	fprintf(stderr, "gwpolicy: draft for model %s, version %u: %zu firmware PCR rule(s), "
			"%zu stage(s)%s; review it, lint it, then sign it\n",
		parsed->model, parsed->version, parsed->fw.n_pcrs, parsed->n_stages,
		parsed->trust.has_gate_key ? ", a gate-key rule" : "");
out:
	gwpol_free(parsed);
	json_object_put(draft);
	eventlog_free(fwlog);
	cel_free(cel);
	free(stages);
	free(diags);
	return status;
}
