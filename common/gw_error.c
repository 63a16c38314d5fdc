// SPDX-License-Identifier: Apache-2.0
// Error code names and the detail buffer.
#include "gw_error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const names[] = {
	[0] = "success",
	[1] = "out of memory",
	[2] = "input/output error",
	[3] = "invalid argument",
	[4] = "malformed input",
	[5] = "input truncated",
	[6] = "input too large",
	[7] = "trailing data after structure",
	[8] = "not supported",
	[9] = "TPM error",
	[10] = "cryptographic library error",
	[11] = "signature does not verify",
	[12] = "attestation magic is not TPM_GENERATED_VALUE",
	[13] = "wrong attestation type",
	[14] = "nonce mismatch",
	[15] = "PCR selection mismatch",
	[16] = "PCR digest mismatch",
	[17] = "firmware event log replay mismatch",
	[18] = "CEL event log replay mismatch",
	[19] = "measurement differs from reference",
	[20] = "not found",
	[21] = "already exists",
	[22] = "configuration error",
	[23] = "boot stage failed",
	[24] = "not allowed in this state",
	[25] = "bad key",
};

const char *gw_strerror(int err)
{
	size_t i = err < 0 ? (size_t)-(long)err : (size_t)err;

	if (i >= sizeof(names) / sizeof(names[0]) || !names[i])
		return "unknown error";
	return names[i];
}

int gw_fail(gw_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

void gw_error_prefix(gw_error *err, const char *fmt, ...)
{
	char pre[256];
	char old[sizeof(err->msg)];
	va_list ap;

	if (!err)
		return;
	va_start(ap, fmt);
	vsnprintf(pre, sizeof(pre), fmt, ap);
	va_end(ap);
	/* Truncation is acceptable here: the detail is for people. */
	size_t plen = strnlen(pre, sizeof(pre));
	size_t olen;

	memcpy(old, err->msg, sizeof(old));
	old[sizeof(old) - 1] = '\0';
	olen = strlen(old);
	if (plen > sizeof(err->msg) - 1)
		plen = sizeof(err->msg) - 1;
	if (olen > sizeof(err->msg) - 1 - plen)
		olen = sizeof(err->msg) - 1 - plen;
	memcpy(err->msg, pre, plen);
	memcpy(err->msg + plen, old, olen);
	err->msg[plen + olen] = '\0';
}

const char *gw_error_msg(const gw_error *err, int code)
{
	if (err && err->msg[0])
		return err->msg;
	return gw_strerror(code);
}
