/* SPDX-License-Identifier: Apache-2.0 */
/* The evidence file a quote travels in: TPMS_ATTEST, signature, PCR values, AK
 * public, the agent's CEL log and the firmware event log (doc/evidence.md). */
#ifndef GW_EVIDENCE_H
#define GW_EVIDENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>
#include <openssl/evp.h>
#include <tss2/tss2_tpm2_types.h>

#include "gw_error.h"
#include "tpmdata.h"

#define EVIDENCE_FORMAT "gatewarden-evidence/1"
#define EVIDENCE_MAX_SIZE (48u * 1024 * 1024)
#define EVIDENCE_MAX_LOG (16u * 1024 * 1024)
/* Records an incremental cel_log may skip (CEL_MAX_RECORDS). */
#define EVIDENCE_MAX_CEL_OFFSET 100000u

/* Channels whose counters one evidence may certify (agent AGENT_MAX_CHANNELS). */
#define EVIDENCE_MAX_COUNTERS 8

/* One TPM2_NV_Certify: the index's marshalled TPM2B_NV_PUBLIC, the TPMS_ATTEST as
 * signed, and the signature. */
struct evidence_nv_cert {
	uint8_t *nv_public;
	size_t nv_public_len;
	uint8_t *attest;
	size_t attest_len;
	TPMT_SIGNATURE sig;
};

/* An update channel's anti-rollback counter and its baseline, certified by the AK
 * over the same nonce as the quote (common/counter_nv.h verifies them). */
struct evidence_counter {
	struct evidence_nv_cert counter;
	struct evidence_nv_cert baseline;
};

/* What a round that asks for an update authorization adds (doc/evidence.md,
 * "update_request"): the release and the nonceTPM of the policy session the agent
 * opened for it. The quote and the counters' certifications are then over
 * SHA-256(nonce || nonce_tpm) instead of the nonce (evidence_qualifying_data). */
#define EVIDENCE_RELEASE_ID_LEN 16
#define EVIDENCE_NONCE_TPM_MIN 16
#define EVIDENCE_NONCE_TPM_MAX 64
struct evidence_update_request {
	char release[EVIDENCE_RELEASE_ID_LEN + 1]; /* 16 lower-case hex digits */
	uint8_t nonce_tpm[EVIDENCE_NONCE_TPM_MAX];
	size_t nonce_tpm_len;
};

struct evidence {
	uint8_t nonce[64];
	size_t nonce_len;
	uint8_t *attest; /* marshalled TPMS_ATTEST, as signed */
	size_t attest_len;
	TPMT_SIGNATURE sig;
	struct tpmdata_pcrs pcrs;
	bool has_ak;
	TPM2B_PUBLIC ak_pub;
	uint8_t *cel;    /* NULL when absent */
	size_t cel_len;
	/* 0: cel holds the whole log. N > 0: cel holds the records after the first N,
	 * which the verifier has from an earlier round of this boot (cel is then
	 * non-NULL, possibly empty). */
	uint32_t cel_offset;
	uint8_t *fwlog;  /* NULL when absent */
	size_t fwlog_len;
	struct evidence_counter counters[EVIDENCE_MAX_COUNTERS];
	size_t ncounters;
	bool has_update_request;
	struct evidence_update_request update_request;
};

/* Strict: unknown keys, wrong types, bad encodings, oversized fields and trailing
 * data are rejected, with the key named in err; so is a cel_offset that is not an
 * integer 0..EVIDENCE_MAX_CEL_OFFSET or comes without cel_log. */
int evidence_parse(const uint8_t *buf, size_t len, struct evidence **out,
		   gw_error *err) GW_WUR;
/* Serialize as pretty JSON (cel_offset only when above 0; GW_E_INVAL when it is
 * without cel or over the cap); *out NUL-terminated, freed by the caller. */
int evidence_format(const struct evidence *ev, char **out) GW_WUR;
void evidence_free(struct evidence *ev);

/* common/evidence_counters.c: the optional "counters" member. */
int evidence_counters_parse(json_object *root, struct evidence *ev, gw_error *err) GW_WUR;
int evidence_counters_format(json_object *o, const struct evidence *ev) GW_WUR;
/* Verify every certified pair of ev against ak and nonce (counter_cert_verify),
 * into out[0..ev->ncounters-1]; no channel, counter or baseline index twice.
 * counter_cert_verify's codes, the detail prefixed "counter N: ". */
struct counter_certified;
int evidence_counters_verify(const struct evidence *ev, EVP_PKEY *ak, const uint8_t *nonce,
			     size_t nonce_len, struct counter_certified *out,
			     gw_error *err) GW_WUR;
/* common/evidence_update.c: the optional "update_request" member, strict: an object
 * of exactly "release" (16 lower-case hex digits) and "nonce_tpm" (canonical base64
 * of 16 to 64 bytes). GW_E_PARSE naming the member. */
int evidence_update_request_parse(json_object *root, struct evidence *ev,
				  gw_error *err) GW_WUR;
int evidence_update_request_format(json_object *o, const struct evidence *ev) GW_WUR;
/* The qualifying data the quote and the counters' certifications of ev are over:
 * the nonce, or SHA-256(nonce || nonce_tpm) with an update request. out holds 64
 * bytes. GW_E_CRYPTO. */
int evidence_qualifying_data(const struct evidence *ev, uint8_t out[64],
			     size_t *out_len) GW_WUR;
/* Q for nonce and nonce_tpm: SHA-256(nonce || nonce_tpm), as the agent quotes it. */
int evidence_update_q(const uint8_t *nonce, size_t nonce_len, const uint8_t *nonce_tpm,
		      size_t nonce_tpm_len, uint8_t out[32]) GW_WUR;
/* Free the counters' buffers (ncounters becomes 0). */
void evidence_counters_clear(struct evidence *ev);

#endif
