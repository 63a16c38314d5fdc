/* SPDX-License-Identifier: Apache-2.0 */
/* The evidence file a quote travels in: TPMS_ATTEST, signature, PCR values, AK
 * public, the agent's CEL log and the firmware event log (doc/evidence.md). */
#ifndef GW_EVIDENCE_H
#define GW_EVIDENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <tss2/tss2_tpm2_types.h>

#include "gw_error.h"
#include "tpmdata.h"

#define EVIDENCE_FORMAT "gatewarden-evidence/1"
#define EVIDENCE_MAX_SIZE (48u * 1024 * 1024)
#define EVIDENCE_MAX_LOG (16u * 1024 * 1024)
/* Records an incremental cel_log may skip (CEL_MAX_RECORDS). */
#define EVIDENCE_MAX_CEL_OFFSET 100000u

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

#endif
