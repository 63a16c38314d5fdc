// SPDX-License-Identifier: Apache-2.0
// gwagent status: TPM identity, banks, our objects, owned PCRs and the event log.
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "agent.h"
#include "evlog.h"
#include "status_result.h"
#include "util.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: gwagent status [--json]\n\n"
		   "Shows the TPM's vendor and firmware version, active PCR banks, whether the\n"
		   "SRK, AK and EK certificate exist, the owned PCRs (stage and trust), the\n"
		   "event log, and the latest attestation result (verified with the pinned\n"
		   "gate key) with the model's end of support when the verifier names one:\n"
		   "a NOTICE line from %d days ahead of it. Reads only; changes nothing.\n",
		STATUS_EOL_NOTICE_DAYS);
}

static json_object *object_status(struct agent_ctx *ctx, uint32_t h, gw_error *err, int *rc)
{
	json_object *o = json_object_new_object();
	bool exists = false;
	char hs[16];

	snprintf(hs, sizeof(hs), "0x%08x", h);
	json_object_object_add(o, "handle", json_object_new_string(hs));
	if (!*rc)
		*rc = tpm_persistent_exists(ctx->tpm, h, &exists, err);
	json_object_object_add(o, "present", json_object_new_boolean(exists));
	return o;
}

int cmd_status(struct agent_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool json = false, ek_ecc = false, ek_rsa = false;
	struct tpm_info info;
	uint16_t algs[GW_MAX_BANKS];
	size_t nalgs = 0;
	TPML_PCR_SELECTION sel;
	struct tpmdata_pcrs pcrs;
	TPMS_CLOCK_INFO clk;
	struct cel_log *log = NULL;
	json_object *o = NULL, *banks, *objs, *pcr_o, *log_o, *result_o = NULL;
	gw_error err = { { 0 } };
	char fw[64], hex[2 * GW_MAX_DIGEST + 1];
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
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
	if (optind != argc) {
		usage(stderr);
		return GW_EXIT_USAGE;
	}
	if ((rc = tpm_get_info(ctx->tpm, &info, &err)) ||
	    (rc = tpm_active_banks(ctx->tpm, algs, &nalgs, &err)) ||
	    (rc = tpm_clock(ctx->tpm, &clk, &err)) ||
	    (rc = tpm_nv_exists(ctx->tpm, TPM_NV_EK_CERT_ECC_P256, &ek_ecc, &err)) ||
	    (rc = tpm_nv_exists(ctx->tpm, TPM_NV_EK_CERT_RSA2048, &ek_rsa, &err)))
		return agent_report(ctx, rc, &err, "TPM");
	memset(&sel, 0, sizeof(sel));
	sel.count = (uint32_t)nalgs;
	for (size_t i = 0; i < nalgs; i++) {
		sel.pcrSelections[i].hash = algs[i];
		sel.pcrSelections[i].sizeofSelect = 3;
		sel.pcrSelections[i].pcrSelect[ctx->cfg.stage_pcr / 8] |=
			(uint8_t)(1u << (ctx->cfg.stage_pcr % 8));
		sel.pcrSelections[i].pcrSelect[ctx->cfg.trust_pcr / 8] |=
			(uint8_t)(1u << (ctx->cfg.trust_pcr % 8));
	}
	rc = tpm_pcr_read(ctx->tpm, &sel, &pcrs, &err);
	if (rc)
		return agent_report(ctx, rc, &err, "PCRs");
	/* Read-only: an unreadable log is reported, not repaired. */
	rc = evlog_read(ctx, NULL, NULL, &log, &err);

	snprintf(fw, sizeof(fw), "%u.%u.%u.%u", info.fw1 >> 16, info.fw1 & 0xffff, info.fw2 >> 16,
		 info.fw2 & 0xffff);
	o = json_object_new_object();
	json_object_object_add(o, "manufacturer", json_object_new_string(info.manufacturer));
	json_object_object_add(o, "vendor", json_object_new_string(info.vendor));
	json_object_object_add(o, "firmware_version", json_object_new_string(fw));
	json_object_object_add(o, "reset_count", json_object_new_int64(clk.resetCount));
	banks = json_object_new_array();
	for (size_t i = 0; i < nalgs; i++)
		json_object_array_add(banks, json_object_new_string(gw_alg_by_id(algs[i])->name));
	json_object_object_add(o, "banks", banks);
	objs = json_object_new_object();
	{
		int orc = 0;

		json_object_object_add(objs, "srk", object_status(ctx, ctx->cfg.srk_handle, &err, &orc));
		json_object_object_add(objs, "ak", object_status(ctx, ctx->cfg.ak_handle, &err, &orc));
		if (orc) {
			json_object_put(o);
			cel_free(log);
			return agent_report(ctx, orc, &err, "TPM");
		}
	}
	json_object_object_add(objs, "ek_certificate",
			       json_object_new_string(ek_ecc ? "ecc-p256" : ek_rsa ? "rsa-2048" : "none"));
	json_object_object_add(o, "objects", objs);
	pcr_o = json_object_new_object();
	for (size_t i = 0; i < nalgs; i++) {
		const struct gw_pcr_bank *b = gw_pcr_set_find(&pcrs.values, algs[i]);
		json_object *bo = json_object_new_object();
		unsigned owned[2] = { ctx->cfg.stage_pcr, ctx->cfg.trust_pcr };

		for (size_t k = 0; k < 2 && b; k++) {
			char key[4];

			snprintf(key, sizeof(key), "%u", owned[k]);
			gw_hex_encode(b->pcr[owned[k]], b->size, hex);
			json_object_object_add(bo, key, json_object_new_string(hex));
		}
		json_object_object_add(pcr_o, gw_alg_by_id(algs[i])->name, bo);
	}
	json_object_object_add(o, "pcrs", pcr_o);
	log_o = json_object_new_object();
	json_object_object_add(log_o, "state_dir", json_object_new_string(ctx->state_dir));
	if (log)
		json_object_object_add(log_o, "records", json_object_new_int64((int64_t)log->n));
	else
		json_object_object_add(log_o, "error",
				       json_object_new_string(gw_error_msg(&err, rc)));
	json_object_object_add(o, "event_log", log_o);
	result_o = status_last_result(ctx, (int64_t)time(NULL));
	json_object_object_add(o, "last_result", json_object_get(result_o));

	if (json) {
		puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
							       JSON_C_TO_STRING_NOSLASHESCAPE));
	} else {
		printf("TPM:        %s %s, firmware %s, resetCount %u\n", info.manufacturer,
		       info.vendor, fw, clk.resetCount);
		printf("Banks:     ");
		for (size_t i = 0; i < nalgs; i++)
			printf(" %s", gw_alg_by_id(algs[i])->name);
		printf("\n");
		json_object_object_foreach(objs, name, val) {
			json_object *h, *p;

			if (json_object_object_get_ex(val, "handle", &h) &&
			    json_object_object_get_ex(val, "present", &p))
				printf("%-11s %s %s\n", !strcmp(name, "srk") ? "SRK:" : "AK:",
				       json_object_get_string(h),
				       json_object_get_boolean(p) ? "present" : "missing (run provision)");
		}
		printf("EK cert:    %s\n", ek_ecc ? "ECC P-256" : ek_rsa ? "RSA 2048" : "none");
		json_object_object_foreach(pcr_o, bank, bv) {
			json_object_object_foreach(bv, pcr, v)
				printf("PCR %-2s %-7s %s\n", pcr, bank, json_object_get_string(v));
		}
		if (log)
			printf("Event log:  %zu record(s) in %s/%s\n", log->n, ctx->state_dir,
			       EVLOG_FILE);
		else
			printf("Event log:  unreadable: %s\n", gw_error_msg(&err, rc));
		status_last_result_print(result_o, stdout);
	}
	json_object_put(result_o);
	json_object_put(o);
	cel_free(log);
	return GW_EXIT_OK;
}
