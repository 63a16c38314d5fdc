/* SPDX-License-Identifier: Apache-2.0 */
/* Checks a TPM2_Quote: signature, magic, type, nonce, PCR selection, pcrDigest. */
#ifndef GW_QUOTE_H
#define GW_QUOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <tss2/tss2_tpm2_types.h>

#include "gw_error.h"
#include "tpmdata.h"

struct quote_input {
	EVP_PKEY *ak;                  /* trusted attestation key */
	const uint8_t *attest;         /* marshalled TPMS_ATTEST as signed */
	size_t attest_len;
	const TPMT_SIGNATURE *sig;
	const uint8_t *nonce;          /* expected qualifying data */
	size_t nonce_len;
	const TPML_PCR_SELECTION *expect_sel; /* NULL: whatever pcrs->sel says */
	const struct tpmdata_pcrs *pcrs;      /* NULL: pcrDigest is not checked */
	uint16_t sig_hash;             /* the hash the AK's scheme fixes (TPM2_ALG_*), or 0
					* when the AK's scheme is unknown (a PEM key) */
};

/* One step of the checklist; failing steps carry the gw_err code. */
enum quote_step {
	QUOTE_STEP_SIGNATURE,
	QUOTE_STEP_MAGIC,
	QUOTE_STEP_TYPE,
	QUOTE_STEP_NONCE,
	QUOTE_STEP_PCRSEL,
	QUOTE_STEP_PCRDIGEST,
	QUOTE_STEP_COUNT,
};
const char *quote_step_name(enum quote_step step);

struct quote_result {
	TPMS_ATTEST attest;            /* valid once the attest parsed */
	bool parsed;
	int step_rc[QUOTE_STEP_COUNT]; /* 0 passed, 1 not run, else GW_E_* */
	char step_msg[QUOTE_STEP_COUNT][256];
};

/* Runs every step in order and stops at the first failure, whose code it returns
 * (with the detail in err and in res). The later steps are marked not run. */
int quote_verify(const struct quote_input *in, struct quote_result *res,
		 gw_error *err) GW_WUR;

/* The qualifying data of the quote that asks for a device certificate renewal
 * (POST /v1/renew): SHA-256(nonce || SHA-256(DER SubjectPublicKeyInfo of
 * new_key)), binding the enrolled TPM's quote to the verifier's fresh nonce and to
 * the key the certificate is for. */
#define QUOTE_RENEWAL_DATA_LEN 32
int quote_renewal_data(const uint8_t *nonce, size_t nonce_len, EVP_PKEY *new_key,
		       uint8_t out[QUOTE_RENEWAL_DATA_LEN]) GW_WUR;

#endif
