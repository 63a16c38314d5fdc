/* SPDX-License-Identifier: Apache-2.0 */
/* The checks every TPMS_ATTEST gets before anything in it is believed: the
 * signature by the expected key, TPM_GENERATED_VALUE, the structure type, and the
 * qualifying data (the verifier's nonce). Quotes have their own checklist
 * (quote.c); this serves the other attestation types (NV_Certify, ...). */
#ifndef GW_TPM_ATTEST_H
#define GW_TPM_ATTEST_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <tss2/tss2_tpm2_types.h>

#include "gw_error.h"

/* attest (len bytes, marshalled as signed) verified with ak and unmarshalled into
 * out: GW_E_SIGNATURE (not signed by ak, or with SHA-1), GW_E_PARSE, GW_E_MAGIC,
 * GW_E_ATTEST_TYPE (not type), GW_E_NONCE (qualifying data other than nonce; nonce
 * NULL: not checked). what prefixes the detail ("counter certification: ..."). */
int tpm_attest_verify(EVP_PKEY *ak, const uint8_t *attest, size_t len,
		      const TPMT_SIGNATURE *sig, TPMI_ST_ATTEST type, const uint8_t *nonce,
		      size_t nonce_len, const char *what, TPMS_ATTEST *out,
		      gw_error *err) GW_WUR;

#endif
