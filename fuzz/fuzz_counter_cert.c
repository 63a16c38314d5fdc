// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for what the verifier reads of a certified counter: the NV public
// areas and the certifications (counter_cert_verify, with a key that signed
// nothing here, so everything before the signature check is reached) and the
// baseline record.
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <openssl/ec.h>
#include <openssl/evp.h>

#include "counter_nv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static EVP_PKEY *ak;
	static const uint8_t nonce[32];
	struct counter_baseline_rec rec;
	struct counter_certified out;
	TPMT_SIGNATURE sig = { 0 };
	size_t cut;

	if (!ak)
		ak = EVP_EC_gen("P-256");
	if (counter_baseline_unpack(0x01800101, data, size, &rec, NULL) == 0 &&
	    strlen(rec.channel) > COUNTER_NAME_MAX)
		__builtin_trap();
	if (size < 2)
		return 0;
	/* the first byte says where the counter's public area ends and the baseline's
	 * begins; each part's attest is the same bytes */
	cut = 1 + data[0] % (size - 1);
	{
		const struct counter_cert_part c = { data + 1, cut - 1, data + 1, size - 1, &sig };
		const struct counter_cert_part b = { data + cut, size - cut, data + 1, size - 1,
						     &sig };

		if (counter_cert_verify(ak, nonce, sizeof(nonce), &c, &b, &out, NULL) == 0)
			__builtin_trap(); /* nothing here is signed by ak */
	}
	return 0;
}
