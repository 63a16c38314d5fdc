// SPDX-License-Identifier: Apache-2.0
// Measures a stage file into the stage PCR, or records that it could not be read.
#include "stage.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "evlog.h"
#include "util.h"

int stage_banks_get(struct agent_ctx *ctx, struct stage_banks *b, gw_error *err)
{
	memset(b, 0, sizeof(*b));
	return tpm_active_banks(ctx->tpm, b->alg, &b->n, err);
}

static void print_result(FILE *out, bool json, const char *stage, const char *file,
			 const struct stage_banks *b, uint8_t d[][GW_MAX_DIGEST], uint64_t recnum,
			 unsigned pcr, const char *failure)
{
	char hex[2 * GW_MAX_DIGEST + 1];

	if (json) {
		json_object *o = json_object_new_object(), *dg = json_object_new_object();

		json_object_object_add(o, "stage", json_object_new_string(stage));
		json_object_object_add(o, "file", json_object_new_string(file));
		json_object_object_add(o, "pcr", json_object_new_int((int)pcr));
		json_object_object_add(o, "record", json_object_new_int64((int64_t)recnum));
		for (size_t i = 0; i < b->n; i++) {
			const struct gw_alg *a = gw_alg_by_id(b->alg[i]);

			gw_hex_encode(d[i], a->size, hex);
			json_object_object_add(dg, a->name, json_object_new_string(hex));
		}
		json_object_object_add(o, "digests", dg);
		json_object_object_add(o, "status",
				       json_object_new_string(failure ? "failed" : "measured"));
		if (failure)
			json_object_object_add(o, "error", json_object_new_string(failure));
		fprintf(out, "%s\n", json_object_to_json_string_ext(
					     o, JSON_C_TO_STRING_PLAIN |
							JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
		return;
	}
	if (failure) {
		fprintf(out, "stage %s: FAILED %s (%s); recorded as record %llu in PCR %u\n", stage,
			file, failure, (unsigned long long)recnum, pcr);
		return;
	}
	for (size_t i = 0; i < b->n; i++)
		if (b->alg[i] == TPM2_ALG_SHA256 || (i == b->n - 1 && b->n == 1)) {
			const struct gw_alg *a = gw_alg_by_id(b->alg[i]);

			gw_hex_encode(d[i], a->size, hex);
			fprintf(out, "stage %s: %s %s:%s (record %llu, PCR %u)\n", stage, file,
				a->name, hex, (unsigned long long)recnum, pcr);
			return;
		}
	gw_hex_encode(d[0], gw_alg_by_id(b->alg[0])->size, hex);
	fprintf(out, "stage %s: %s %s:%s (record %llu, PCR %u)\n", stage, file,
		gw_alg_by_id(b->alg[0])->name, hex, (unsigned long long)recnum, pcr);
}

int stage_measure_file(struct agent_ctx *ctx, const struct stage_banks *b, const char *stage,
		       const char *file, bool json, FILE *out, gw_error *err)
{
	uint8_t d[GW_MAX_BANKS][GW_MAX_DIGEST];
	char desc[1024], why[512], marker[128];
	gw_error herr = { { 0 } };
	unsigned pcr = ctx->cfg.stage_pcr;
	uint64_t recnum = 0;
	int rc;

	rc = gw_hash_file(file, b->alg, b->n, d, NULL, &herr);
	if (!rc) {
		if (gw_snprintf(desc, sizeof(desc), "stage %s: %s", stage, file))
			return gw_fail(err, GW_E_TOOBIG, "file name too long");
		rc = evlog_measure(ctx, pcr, b->alg, d, b->n, "stage", stage, file, desc, &recnum,
				   err);
		if (!rc)
			print_result(out, json, stage, file, b, d, recnum, pcr, NULL);
		return rc;
	}
	/* The stage could not be read: the PCR must still change, or skipping a stage
	 * would leave no trace. The digest is fixed per stage so policy can name it. */
	snprintf(why, sizeof(why), "%s", gw_error_msg(&herr, rc));
	if (gw_snprintf(marker, sizeof(marker), "gatewarden stage-failed %s", stage))
		return gw_fail(err, GW_E_TOOBIG, "stage name too long");
	for (size_t i = 0; i < b->n; i++)
		if (gw_hash(b->alg[i], marker, strlen(marker), d[i]))
			return gw_fail(err, GW_E_CRYPTO, "hashing the failure marker");
	snprintf(desc, sizeof(desc), "stage %s failed: %s", stage, why);
	rc = evlog_measure(ctx, pcr, b->alg, d, b->n, "stage-failed", stage, file, desc, &recnum,
			   err);
	if (rc)
		return rc;
	print_result(out, json, stage, file, b, d, recnum, pcr, why);
	return gw_fail(err, GW_E_STAGE, "stage %s: %s", stage, why);
}
