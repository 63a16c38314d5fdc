/* SPDX-License-Identifier: Apache-2.0 */
/* TPM structures: strict (un)marshalling through tss2-mu, TPM public keys as OpenSSL
 * keys, TPM signature verification, object names, and tpm2-tools' PCR file. */
#ifndef GW_TPMDATA_H
#define GW_TPMDATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <tss2/tss2_tpm2_types.h>

#include "digest.h"
#include "gw_error.h"

/* Each rejects trailing bytes after the structure. */
int tpmdata_attest_unmarshal(const uint8_t *buf, size_t len, TPMS_ATTEST *out,
			     gw_error *err) GW_WUR;
int tpmdata_signature_unmarshal(const uint8_t *buf, size_t len, TPMT_SIGNATURE *out,
				gw_error *err) GW_WUR;

/* The TPM2B structures read from outside, each through one reader: len bytes must
 * be exactly one TPM2B, not empty, whose size field equals the bytes that follow
 * it and the bytes its inner structure takes (tss2-mu alone does not check that
 * for TPM2B_PUBLIC). out is the TPM2B_* type that kind names; it is written even
 * on failure. GW_E_PARSE (the detail names the structure and both sizes),
 * GW_E_TRAILING, GW_E_INVAL. */
enum tpmdata_tpm2b {
	TPMDATA_TPM2B_PUBLIC,
	TPMDATA_TPM2B_ID_OBJECT,
	TPMDATA_TPM2B_ENCRYPTED_SECRET,
};
int tpmdata_tpm2b_unmarshal(enum tpmdata_tpm2b kind, const uint8_t *buf, size_t len, void *out,
			    gw_error *err) GW_WUR;
/* tpmdata_tpm2b_unmarshal(TPMDATA_TPM2B_PUBLIC), and a public area of type NULL is
 * refused. */
int tpmdata_public_unmarshal(const uint8_t *buf, size_t len, TPM2B_PUBLIC *out,
			     gw_error *err) GW_WUR;

/* Marshal into a new buffer; *out freed by the caller. */
int tpmdata_public_marshal(const TPM2B_PUBLIC *pub, uint8_t **out, size_t *len) GW_WUR;
int tpmdata_signature_marshal(const TPMT_SIGNATURE *sig, uint8_t **out, size_t *len) GW_WUR;

/* OpenSSL key for an RSA or ECC (P-256, P-384) TPM public area. */
int tpmdata_public_to_pkey(const TPMT_PUBLIC *pub, EVP_PKEY **out, gw_error *err) GW_WUR;
/* PEM (SubjectPublicKeyInfo) of a key; *out is NUL-terminated, freed by caller. */
int tpmdata_pkey_to_pem(EVP_PKEY *key, char **out) GW_WUR;
/* Load a public key from PEM text. */
int tpmdata_pkey_from_pem(const char *pem, size_t len, EVP_PKEY **out, gw_error *err) GW_WUR;
/* A public key file: PEM, or a marshalled TPM2B_PUBLIC (tpm2-tools "tss" format). */
int tpmdata_pkey_load(const char *path, EVP_PKEY **out, gw_error *err) GW_WUR;
/* An attestation key file: as tpmdata_pkey_load(), and in TPM2B_PUBLIC form its
 * attributes must say restricted, fixedTPM signing key (GW_E_KEY otherwise): a key
 * that is not restricted could sign a forged TPMS_ATTEST. PEM carries no
 * attributes; trust in a PEM AK comes from how it was obtained (enrollment). */
int tpmdata_ak_load(const char *path, EVP_PKEY **out, gw_error *err) GW_WUR;
/* True when both keys are the same public key. */
int tpmdata_pkey_equal(EVP_PKEY *a, EVP_PKEY *b);

/* Verify a TPM signature (ECDSA, RSASSA, RSAPSS) over msg with key. Signatures
 * made with SHA-1 are refused (GW_E_SIGNATURE). */
int tpmdata_verify_signature(EVP_PKEY *key, const uint8_t *msg, size_t len,
			     const TPMT_SIGNATURE *sig, gw_error *err) GW_WUR;
/* Sign SHA-256(msg) with an ECC P-256 key and express it as a TPM would, as an
 * ECDSA-SHA256 TPMT_SIGNATURE: for software devices in tests and benchmarks. */
int tpmdata_sign_ecdsa_sha256(EVP_PKEY *key, const uint8_t *msg, size_t len,
			      TPMT_SIGNATURE *sig) GW_WUR;

/* The hash algorithm a signature was made with, or TPM2_ALG_NULL. */
uint16_t tpmdata_signature_hash(const TPMT_SIGNATURE *sig);

/* True when pub is an attestation key as Gatewarden makes and accepts them: ECC
 * P-256, ECDSA-SHA256, restricted signing, fixedTPM, fixedParent,
 * sensitiveDataOrigin, not a decryption key. */
bool tpmdata_public_is_ak(const TPMT_PUBLIC *pub);
/* True when pub has an EK's shape: restricted decryption (storage) key, fixedTPM,
 * fixedParent, sensitiveDataOrigin, not a signing key. */
bool tpmdata_public_is_ek(const TPMT_PUBLIC *pub);

/* Object name: nameAlg || H_nameAlg(marshalled TPMT_PUBLIC). */
int tpmdata_public_name(const TPMT_PUBLIC *pub, TPM2B_NAME *name) GW_WUR;

/* PCR values with the selection that says which entries are present. */
struct tpmdata_pcrs {
	TPML_PCR_SELECTION sel;
	struct gw_pcr_set values;
};

/* tpm2-tools' "serialized" PCR file (tpm2_quote -o, tpm2_pcrread -o with -F
 * serialized): TPML_PCR_SELECTION, a UINT32 count and count TPML_DIGEST, all as
 * little-endian C structures. */
int tpmdata_pcrs_file_parse(const uint8_t *buf, size_t len, struct tpmdata_pcrs *out,
			    gw_error *err) GW_WUR;
int tpmdata_pcrs_file_write(const struct tpmdata_pcrs *pcrs, uint8_t **out,
			    size_t *len) GW_WUR;

/* The digest a TPM puts in a quote's pcrDigest: H_alg of the selected PCR values,
 * bank by bank in selection order, each bank's PCRs in ascending order. */
int tpmdata_pcr_digest(const struct tpmdata_pcrs *pcrs, uint16_t alg, uint8_t *out,
		       size_t *out_len, gw_error *err) GW_WUR;

#endif
