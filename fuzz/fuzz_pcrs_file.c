// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for tpm2-tools' PCR file: parse, and for what parses, write it
// and parse that again, which must give the same selection and values.
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tpmdata.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tpmdata_pcrs a, b;
	gw_error err = { { 0 } };
	uint8_t *out = NULL, d[GW_MAX_DIGEST];
	size_t len = 0, dlen = 0;

	if (tpmdata_pcrs_file_parse(data, size, &a, &err))
		return 0;
	if (tpmdata_pcrs_file_write(&a, &out, &len))
		__builtin_trap();
	if (tpmdata_pcrs_file_parse(out, len, &b, &err))
		__builtin_trap();
	if (!gw_pcrsel_equal(&a.sel, &b.sel) || memcmp(&a.sel, &b.sel, sizeof(a.sel)) ||
	    a.values.nbanks != b.values.nbanks)
		__builtin_trap();
	for (size_t i = 0; i < a.values.nbanks; i++) {
		const struct gw_pcr_bank *x = &a.values.bank[i], *y = &b.values.bank[i];

		if (x->alg != y->alg || x->size != y->size || x->touched != y->touched)
			__builtin_trap();
		for (unsigned p = 0; p < GW_NUM_PCRS; p++)
			if ((x->touched & (1u << p)) && memcmp(x->pcr[p], y->pcr[p], x->size))
				__builtin_trap();
	}
	/* Every selected PCR has a value, so the quote digest can be computed. */
	if (tpmdata_pcr_digest(&a, TPM2_ALG_SHA256, d, &dlen, &err) || dlen != 32)
		__builtin_trap();
	free(out);
	return 0;
}
