/* SPDX-License-Identifier: Apache-2.0 */
/* The NV indices of the anti-rollback counters as both sides see them: the
 * attributes that make an index ours, the baseline record written beside each
 * counter, and the verification of a channel's TPM2_NV_Certify pair (counter and
 * baseline, certified by the AK over the verifier's nonce). The agent defines and
 * moves the counters (agent/counter.c); the verifier believes only certified
 * values (doc/updates.md, "Anti-rollback counters"). */
#ifndef GW_COUNTER_NV_H
#define GW_COUNTER_NV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <tss2/tss2_tpm2_types.h>

#include "gw_error.h"

#define COUNTER_NAME_MAX 64	/* a channel's name, as stored in the baseline index */

/* The counter: TPM2_NT_COUNTER, incremented and read with its own empty authValue
 * (or read with owner authorization), not ORDERLY, NO_DA. */
#define COUNTER_NV_ATTRS                                                                 \
	((TPMA_NV)((TPM2_NT_COUNTER << TPMA_NV_TPM2_NT_SHIFT) | TPMA_NV_AUTHWRITE |       \
		   TPMA_NV_OWNERREAD | TPMA_NV_AUTHREAD | TPMA_NV_NO_DA))
/* The baseline: an ordinary index, written (whole, once) with owner authorization
 * and then locked for good (WRITEDEFINE), read like the counter. */
#define COUNTER_BASELINE_ATTRS                                                           \
	((TPMA_NV)((TPM2_NT_ORDINARY << TPMA_NV_TPM2_NT_SHIFT) | TPMA_NV_OWNERWRITE |     \
		   TPMA_NV_WRITEALL | TPMA_NV_WRITEDEFINE | TPMA_NV_OWNERREAD |           \
		   TPMA_NV_AUTHREAD | TPMA_NV_NO_DA))
/* The baseline index holds: the baseline (8 bytes, big-endian), the counter's
 * handle (4 bytes, big-endian) and the channel's name (64 bytes, NUL-padded), so a
 * configuration that points a channel at another channel's indices is refused. */
#define COUNTER_BASELINE_SIZE (8 + 4 + COUNTER_NAME_MAX)

enum counter_nv_kind { COUNTER_NV_COUNTER, COUNTER_NV_BASELINE };

/* 0 when pub (of the index at the channel's handle for kind) has our attributes,
 * SHA-256 name algorithm, empty policy and size, ignoring the state bits WRITTEN,
 * WRITELOCKED and READLOCKED; GW_E_STATE naming each difference otherwise. */
int counter_check_public(enum counter_nv_kind kind, const TPMS_NV_PUBLIC *pub,
			 gw_error *err) GW_WUR;
/* attrs as tpm2-tools spells them ("ownerread|authwrite|nt=0x1|no_da"). */
void counter_attrs_string(TPMA_NV attrs, char *buf, size_t len);

/* The baseline record's fields. */
struct counter_baseline_rec {
	uint64_t baseline;
	uint32_t counter_index;
	char channel[COUNTER_NAME_MAX + 1];
};
void counter_baseline_pack(const char *channel, uint32_t counter_index, uint64_t baseline,
			   uint8_t out[COUNTER_BASELINE_SIZE]);
/* GW_E_STATE (naming baseline_index) when it is not COUNTER_BASELINE_SIZE bytes or
 * the name is not printable ASCII padded with NULs. */
int counter_baseline_unpack(uint32_t baseline_index, const uint8_t *in, size_t len,
			    struct counter_baseline_rec *out, gw_error *err) GW_WUR;

/* One TPM2_NV_Certify as evidence carries it: the index's marshalled
 * TPM2B_NV_PUBLIC, the TPMS_ATTEST as signed, and its signature. */
struct counter_cert_part {
	const uint8_t *nv_public;
	size_t nv_public_len;
	const uint8_t *attest;
	size_t attest_len;
	const TPMT_SIGNATURE *sig;
};

/* What a verified pair says. The names identify the indices for good: a channel
 * whose names change between rounds had its indices replaced. */
struct counter_certified {
	char channel[COUNTER_NAME_MAX + 1];
	uint32_t counter_index;
	uint32_t baseline_index;
	uint64_t value;
	uint64_t baseline;
	uint64_t security_version;  /* value - baseline */
	uint8_t counter_name[34];   /* SHA-256 NV names: algorithm id + digest */
	uint8_t baseline_name[34];
};

/* Verify a channel's pair against ak and nonce: each index is ours (attributes,
 * written, the baseline locked), each certification an ATTEST_NV of the whole
 * index by ak over nonce naming exactly that public area, the baseline names this
 * counter, and the value is not below the baseline. GW_E_PARSE (the public
 * areas), tpm_attest_verify's codes, GW_E_STATE for anything else, each detail
 * naming the channel or index. */
int counter_cert_verify(EVP_PKEY *ak, const uint8_t *nonce, size_t nonce_len,
			const struct counter_cert_part *counter,
			const struct counter_cert_part *baseline, struct counter_certified *out,
			gw_error *err) GW_WUR;

#endif
