// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the minimal policy JSON: parse, and for what parses check
// that every stored digest is allowed for its own stage and stage lookups agree.
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "policy_min.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t zero[POLICY_MIN_DIGEST_LEN];
	struct policy_min *p = NULL;
	gw_error err = { { 0 } };

	if (policy_min_parse((const char *)data, size, &p, &err))
		return 0;
	if (p->version == 0 || p->model[0] == '\0' || p->n_stages == 0)
		__builtin_trap();
	for (size_t i = 0; i < p->n_stages; i++) {
		const struct policy_min_stage *st = &p->stages[i];

		if (st->n_digests == 0)
			__builtin_trap();
		for (size_t j = 0; j < st->n_digests; j++)
			if (policy_min_stage_allowed(p, st->name, st->digests[j]) !=
			    POLICY_MIN_ALLOWED)
				__builtin_trap();
		(void)policy_min_stage_allowed(p, st->name, zero);
	}
	if (policy_min_stage_allowed(p, "", zero) != POLICY_MIN_UNKNOWN_STAGE)
		__builtin_trap();
	policy_min_free(p);
	return 0;
}
