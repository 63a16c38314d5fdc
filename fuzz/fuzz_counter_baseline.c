// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for what the agent reads from a channel's NV indices: the
// baseline record and the NV public area checks (both come from a TPM that anyone
// with owner authorization can fill).
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "counter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct counter_channel ch = { "stable", 0x01800100, 0x01800101 };
	uint8_t again[COUNTER_BASELINE_SIZE];
	gw_error err = { { 0 } };
	uint64_t baseline = 0;
	TPMS_NV_PUBLIC pub;
	char s[320];

	if (counter_baseline_decode(&ch, data, size, &baseline, &err) == 0) {
		/* Accepted: it is exactly what encode writes for this channel. */
		counter_baseline_encode(&ch, baseline, again);
		if (size != sizeof(again) || memcmp(again, data, size))
			__builtin_trap();
	}
	if (size >= sizeof(pub.attributes) + sizeof(pub.dataSize) + 3) {
		memset(&pub, 0, sizeof(pub));
		memcpy(&pub.attributes, data, sizeof(pub.attributes));
		memcpy(&pub.dataSize, data + 4, sizeof(pub.dataSize));
		pub.nameAlg = data[6] & 1 ? TPM2_ALG_SHA256 : TPM2_ALG_SHA1;
		pub.authPolicy.size = data[7] & 1;
		pub.nvIndex = 0x01800100;
		counter_attrs_string(pub.attributes, s, sizeof(s));
		if (strlen(s) >= sizeof(s))
			__builtin_trap();
		for (int k = 0; k < 2; k++)
			if (counter_check_public((enum counter_nv_kind)k, &pub, &err) == 0 &&
			    (pub.attributes & TPMA_NV_ORDERLY ||
			     !(pub.attributes & TPMA_NV_NO_DA)))
				__builtin_trap();
	}
	return 0;
}
