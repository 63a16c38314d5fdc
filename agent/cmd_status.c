// SPDX-License-Identifier: Apache-2.0
// gwagent status: TPM identity, banks, our objects, owned PCRs and the event log, the
// enrollment, the latest attestation result and the update state.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "agent.h"
#include "evlog.h"
#include "jsonobj.h"
#include "status_enroll.h"
#include "status_result.h"
#include "update_status.h"
#include "util.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: gwagent status [--json]\n\n"
		   "Shows the TPM's vendor and firmware version, active PCR banks, whether the\n"
		   "SRK, AK and EK certificate exist, the owned PCRs (stage and trust), the\n"
		   "event log, the enrollment (device id, verifier, the device certificate's\n"
		   "validity), the latest attestation result (verified with the pinned gate\n"
		   "key) with the model's end of support when the verifier names one (a\n"
		   "NOTICE line from %d days ahead of it), and, with an [update] section, the\n"
		   "update state as `gwagent update status` shows it. Reads only (a trust\n"
		   "root is pinned on its first use, as by any update command).\n",
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

/* {"STAGE_PCR": hex, "TRUST_PCR": hex} of one bank (b may be NULL: {}). */
static json_object *owned_pcrs_json(const struct agent_ctx *ctx, const struct gw_pcr_bank *b)
{
	json_object *bo = json_object_new_object();
	unsigned owned[2] = { ctx->cfg.stage_pcr, ctx->cfg.trust_pcr };
	char hex[2 * GW_MAX_DIGEST + 1];

	for (size_t k = 0; k < 2 && b; k++) {
		char key[4];

		snprintf(key, sizeof(key), "%u", owned[k]);
		gw_hex_encode(b->pcr[owned[k]], b->size, hex);
		json_object_object_add(bo, key, json_object_new_string(hex));
	}
	return bo;
}

/* The TPM's facts (the identity, banks, our objects, the owned PCRs): the object the
 * other sections are added to; NULL with *rc and err when the TPM cannot be read. */
static json_object *tpm_json(struct agent_ctx *ctx, gw_error *err, int *rc)
{
	bool ek_ecc = false, ek_rsa = false;
	struct tpm_info info;
	uint16_t algs[GW_MAX_BANKS];
	size_t nalgs = 0;
	TPML_PCR_SELECTION sel;
	struct tpmdata_pcrs pcrs;
	TPMS_CLOCK_INFO clk;
	json_object *o, *banks, *objs, *pcr_o;
	char fw[64];

	if ((*rc = tpm_get_info(ctx->tpm, &info, err)) ||
	    (*rc = tpm_active_banks(ctx->tpm, algs, &nalgs, err)) ||
	    (*rc = tpm_clock(ctx->tpm, &clk, err)) ||
	    (*rc = tpm_nv_exists(ctx->tpm, TPM_NV_EK_CERT_ECC_P256, &ek_ecc, err)) ||
	    (*rc = tpm_nv_exists(ctx->tpm, TPM_NV_EK_CERT_RSA2048, &ek_rsa, err)))
		return NULL;
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
	if ((*rc = tpm_pcr_read(ctx->tpm, &sel, &pcrs, err)))
		return NULL;
	snprintf(fw, sizeof(fw), "%u.%u.%u.%u", info.fw1 >> 16, info.fw1 & 0xffff, info.fw2 >> 16,
		 info.fw2 & 0xffff);
	o = json_object_new_object();
	gw_json_add_str(o, "manufacturer", info.manufacturer);
	gw_json_add_str(o, "vendor", info.vendor);
	gw_json_add_str(o, "firmware_version", fw);
	json_object_object_add(o, "reset_count", json_object_new_int64(clk.resetCount));
	banks = json_object_new_array();
	for (size_t i = 0; i < nalgs; i++)
		json_object_array_add(banks, json_object_new_string(gw_alg_by_id(algs[i])->name));
	json_object_object_add(o, "banks", banks);
	objs = json_object_new_object();
	json_object_object_add(objs, "srk", object_status(ctx, ctx->cfg.srk_handle, err, rc));
	json_object_object_add(objs, "ak", object_status(ctx, ctx->cfg.ak_handle, err, rc));
	gw_json_add_str(objs, "ek_certificate", ek_ecc ? "ecc-p256" : ek_rsa ? "rsa-2048" : "none");
	json_object_object_add(o, "objects", objs);
	pcr_o = json_object_new_object();
	for (size_t i = 0; i < nalgs; i++)
		json_object_object_add(pcr_o, gw_alg_by_id(algs[i])->name,
				       owned_pcrs_json(ctx, gw_pcr_set_find(&pcrs.values, algs[i])));
	json_object_object_add(o, "pcrs", pcr_o);
	if (*rc) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static void tpm_print(json_object *t)
{
	json_object *a = json_object_object_get(t, "banks");
	json_object *objs = json_object_object_get(t, "objects");
	const char *ek = gw_json_str(objs, "ek_certificate");

	printf("TPM:        %s %s, firmware %s, resetCount %s\n", gw_json_str(t, "manufacturer"),
	       gw_json_str(t, "vendor"), gw_json_str(t, "firmware_version"),
	       gw_json_str(t, "reset_count"));
	printf("Banks:     ");
	for (size_t i = 0; i < json_object_array_length(a); i++)
		printf(" %s", json_object_get_string(json_object_array_get_idx(a, i)));
	printf("\n");
	json_object_object_foreach(objs, name, val) {
		if (!json_object_is_type(val, json_type_object))
			continue;
		printf("%-11s %s %s\n", !strcmp(name, "srk") ? "SRK:" : "AK:",
		       gw_json_str(val, "handle"),
		       json_object_get_boolean(json_object_object_get(val, "present"))
			       ? "present"
			       : "missing (run provision)");
	}
	printf("EK cert:    %s\n", !strcmp(ek, "ecc-p256")   ? "ECC P-256"
				   : !strcmp(ek, "rsa-2048") ? "RSA 2048"
							     : "none");
	json_object_object_foreach(json_object_object_get(t, "pcrs"), bank, bv) {
		json_object_object_foreach(bv, pcr, v)
			printf("PCR %-2s %-7s %s\n", pcr, bank, json_object_get_string(v));
	}
}

/* The event log's record count, or why it cannot be read (read-only: not repaired). */
static json_object *event_log_json(struct agent_ctx *ctx)
{
	json_object *o = json_object_new_object();
	struct cel_log *log = NULL;
	gw_error err = { { 0 } };
	int rc = evlog_read(ctx, NULL, NULL, &log, &err);

	gw_json_add_str(o, "state_dir", ctx->state_dir);
	if (!rc)
		json_object_object_add(o, "records", json_object_new_int64((int64_t)log->n));
	else
		gw_json_add_str(o, "error", gw_error_msg(&err, rc));
	cel_free(log);
	return o;
}

/* The update section: the update status, {"error"} when its state cannot be read,
 * null without an [update] section. */
static json_object *update_json(struct agent_ctx *ctx)
{
	json_object *o;
	gw_error err = { { 0 } };
	int rc;

	if (!ctx->cfg.update.configured)
		return NULL;
	o = update_status_json(ctx, &err, &rc);
	if (!o) {
		o = json_object_new_object();
		gw_json_add_str(o, "error", gw_error_msg(&err, rc));
	}
	return o;
}

static void print_all(struct agent_ctx *ctx, json_object *o)
{
	json_object *log_o = json_object_object_get(o, "event_log");
	json_object *up = json_object_object_get(o, "update");
	const char *e;

	tpm_print(o);
	if ((e = gw_json_str(log_o, "error")))
		printf("Event log:  unreadable: %s\n", e);
	else
		printf("Event log:  %s record(s) in %s/%s\n", gw_json_str(log_o, "records"),
		       ctx->state_dir, EVLOG_FILE);
	status_enrollment_print(json_object_object_get(o, "enrollment"), stdout);
	status_last_result_print(json_object_object_get(o, "last_result"), stdout);
	if (!up)
		return;
	if ((e = gw_json_str(up, "error"))) {
		printf("Update:     unreadable: %s\n", e);
		return;
	}
	printf("Update:\n");
	update_status_print(up);
}

int cmd_status(struct agent_ctx *ctx, int argc, char **argv)
{
	json_object *o;
	gw_error err = { { 0 } };
	bool json = false;
	int rc;

	rc = agent_json_args(argc, argv, 0, 0, &json, usage);
	if (rc != AGENT_ARGS_RUN)
		return rc;
	o = tpm_json(ctx, &err, &rc);
	if (!o)
		return agent_report(ctx, rc, &err, "TPM");
	json_object_object_add(o, "event_log", event_log_json(ctx));
	json_object_object_add(o, "enrollment", status_enrollment(ctx, (int64_t)time(NULL)));
	json_object_object_add(o, "last_result", status_last_result(ctx, (int64_t)time(NULL)));
	json_object_object_add(o, "update", update_json(ctx));
	if (json)
		puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
							       JSON_C_TO_STRING_NOSLASHESCAPE));
	else
		print_all(ctx, o);
	json_object_put(o);
	return GW_EXIT_OK;
}
