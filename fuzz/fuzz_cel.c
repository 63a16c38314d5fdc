// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the CEL-JSON event log: parser, replay, JSON view, torn-tail
// detection, and a format/parse round trip of every record that parses.
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

/* What cel_record_format writes, cel_parse must read back unchanged. */
static void round_trip(const struct cel_record *r)
{
	uint16_t algs[GW_MAX_BANKS];
	uint8_t d[GW_MAX_BANKS][GW_MAX_DIGEST];
	struct cel_log *back = NULL;
	char *out = NULL;
	size_t len = 0;
	const struct cel_record *b;

	for (size_t i = 0; i < r->ndigests; i++) {
		algs[i] = r->digests[i].alg;
		memcpy(d[i], r->digests[i].d, GW_MAX_DIGEST);
	}
	/* GW_E_INVAL (a string json-c reads but we would not write) or too big. */
	if (cel_record_format(0, r->pcr, algs, (const uint8_t(*)[GW_MAX_DIGEST])d, r->ndigests,
			      r->event_type, r->stage, r->path, r->string, &out, &len))
		return;
	if (cel_parse((const uint8_t *)out, len, &back, NULL) || back->n != 1)
		__builtin_trap();
	b = &back->rec[0];
	if (b->pcr != r->pcr || b->ndigests != r->ndigests || !same(b->event_type, r->event_type) ||
	    !same(b->stage, r->stage) || !same(b->path, r->path) || !same(b->string, r->string))
		__builtin_trap();
	for (size_t i = 0; i < r->ndigests; i++)
		if (b->digests[i].alg != r->digests[i].alg ||
		    memcmp(b->digests[i].d, r->digests[i].d, GW_MAX_DIGEST))
			__builtin_trap();
	if (cel_complete_prefix((const uint8_t *)out, len) != len)
		__builtin_trap();
	cel_free(back);
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cel_log *log = NULL;
	struct gw_pcr_set pcrs = { 0 };
	struct json_object *json = NULL;
	gw_error err = { { 0 } };
	size_t keep = cel_complete_prefix(data, size);
	char desc[256];

	if (keep > size)
		__builtin_trap();
	if (cel_parse(data, size, &log, &err))
		return 0;
	/* A log that parses has no torn tail to cut. */
	if (keep != size)
		__builtin_trap();
	(void)gw_pcr_set_bank(&pcrs, TPM2_ALG_SHA1);
	(void)gw_pcr_set_bank(&pcrs, TPM2_ALG_SHA256);
	(void)cel_replay(log, &pcrs, &err);
	if (cel_records_json(log, &json) == 0) {
		(void)json_object_to_json_string_ext(json, JSON_C_TO_STRING_PRETTY);
		json_object_put(json);
	}
	for (size_t i = 0; i < log->n && i < 64; i++) {
		cel_record_describe(&log->rec[i], desc, sizeof(desc));
		if (strlen(desc) >= sizeof(desc))
			__builtin_trap();
		round_trip(&log->rec[i]);
	}
	cel_free(log);
	return 0;
}
