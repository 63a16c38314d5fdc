/* SPDX-License-Identifier: Apache-2.0 */
/* Error codes shared by every Gatewarden library, and the detail buffer that names
 * what failed. */
#ifndef GW_ERROR_H
#define GW_ERROR_H

#include <stddef.h>

#define GW_WUR __attribute__((warn_unused_result))

/* Library functions return 0 or one of these (negative). The values are stable:
 * new codes are appended, never renumbered. */
enum gw_err {
	GW_OK = 0,
	GW_E_NOMEM = -1,       /* allocation failed */
	GW_E_IO = -2,          /* read/write/open failed (errno in the detail) */
	GW_E_INVAL = -3,       /* bad argument from the caller */
	GW_E_PARSE = -4,       /* malformed input */
	GW_E_TRUNCATED = -5,   /* input ends early */
	GW_E_TOOBIG = -6,      /* input over a size cap */
	GW_E_TRAILING = -7,    /* bytes after the end of a structure */
	GW_E_UNSUPPORTED = -8, /* valid but not supported (algorithm, version) */
	GW_E_TPM = -9,         /* the TPM or the TSS returned an error */
	GW_E_CRYPTO = -10,     /* OpenSSL failed */
	GW_E_SIGNATURE = -11,  /* signature does not verify */
	GW_E_MAGIC = -12,      /* TPMS_ATTEST magic is not TPM_GENERATED_VALUE */
	GW_E_ATTEST_TYPE = -13,/* TPMS_ATTEST type is not the expected one */
	GW_E_NONCE = -14,      /* qualifying data differs from the nonce */
	GW_E_PCRSEL = -15,     /* quoted PCR selection differs from the expected one */
	GW_E_PCRDIGEST = -16,  /* pcrDigest differs from the digest of the PCR values */
	GW_E_FWLOG = -17,      /* firmware event log replay does not match */
	GW_E_CEL = -18,        /* CEL event log replay does not match */
	GW_E_REFERENCE = -19,  /* a measured digest differs from the reference */
	GW_E_NOTFOUND = -20,   /* a file, object or key does not exist */
	GW_E_EXISTS = -21,     /* it exists already */
	GW_E_CONFIG = -22,     /* configuration file error */
	GW_E_STAGE = -23,      /* a boot stage could not be measured */
	GW_E_STATE = -24,      /* operation not allowed in the current state */
	GW_E_KEY = -25,        /* a key is malformed or of the wrong kind */
};

const char *gw_strerror(int err);

/* Optional detail for a failure: which field, key, event or file. Every function
 * that takes one accepts NULL. */
typedef struct gw_error {
	char msg[1024];
} gw_error;

/* Set the detail, replacing any earlier one. Returns code, so that
 * "return gw_fail(err, GW_E_PARSE, ...)" reads as one step. */
int gw_fail(gw_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Prepend context ("reading config: ") to an existing detail. */
void gw_error_prefix(gw_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The detail if one was set, else gw_strerror(code). */
const char *gw_error_msg(const gw_error *err, int code);

#endif
