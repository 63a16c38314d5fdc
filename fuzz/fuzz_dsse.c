// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the DSSE envelope parser: parse, and for what parses, format
// it and parse that again, which must give the same envelope and the same text.
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dsse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int same_env(const struct dsse_envelope *a, const struct dsse_envelope *b)
{
	if (strcmp(a->payload_type, b->payload_type) || a->payload_len != b->payload_len ||
	    (a->payload_len && memcmp(a->payload, b->payload, a->payload_len)) ||
	    a->nsigs != b->nsigs)
		return 0;
	for (size_t i = 0; i < a->nsigs; i++)
		if (strcmp(a->sigs[i].keyid, b->sigs[i].keyid) ||
		    a->sigs[i].sig_len != b->sigs[i].sig_len ||
		    memcmp(a->sigs[i].sig, b->sigs[i].sig, a->sigs[i].sig_len))
			return 0;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dsse_envelope *env = NULL, *back = NULL;
	gw_error err = { { 0 } };
	char *text = NULL, *again = NULL;

	if (dsse_parse(data, size, &env, &err))
		return 0;
	if (dsse_format(env, &text))
		__builtin_trap();
	if (dsse_parse((const uint8_t *)text, strlen(text), &back, &err))
		__builtin_trap();
	if (!same_env(env, back))
		__builtin_trap();
	if (dsse_format(back, &again) || strcmp(text, again))
		__builtin_trap();
	free(again);
	free(text);
	dsse_free(back);
	dsse_free(env);
	return 0;
}
