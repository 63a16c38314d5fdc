/* SPDX-License-Identifier: Apache-2.0 */
/* The agent's TPM access over ESAPI. Every function flushes the transient objects
 * and sessions it creates before it returns, on every path, so that a TPM without a
 * resource manager is left with no handles. */
#ifndef GW_AGENT_TPM_H
#define GW_AGENT_TPM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <tss2/tss2_esys.h>

#include "digest.h"
#include "gw_error.h"
#include "tpmdata.h"

/* Default persistent handles (config keys srk_handle, ak_handle). */
#define TPM_DEFAULT_SRK_HANDLE 0x81000001u
#define TPM_DEFAULT_AK_HANDLE 0x81000020u
/* EK certificate NV indices (TCG EK Credential Profile, low range). */
#define TPM_NV_EK_CERT_RSA2048 0x01c00002u
#define TPM_NV_EK_CERT_ECC_P256 0x01c0000au

enum tpm_ek_type { TPM_EK_RSA2048, TPM_EK_ECC_P256 };

struct agent_tpm {
	ESYS_CONTEXT *esys;
	TSS2_TCTI_CONTEXT *tcti;
	/* The EK that salts owner sessions (tpm_session.h); set by tpm_session_pin_ek. */
	bool ek_pinned;
	enum tpm_ek_type ek_type;
	TPM2B_NAME ek_name;
};

/* tcti: a standard TCTI string ("device:/dev/tpmrm0", "swtpm:host=...,port=N"). */
int tpm_open(const char *tcti, struct agent_tpm **out, gw_error *err) GW_WUR;
void tpm_close(struct agent_tpm *tpm);
/* GW_E_TPM with "what: <decoded TSS return code> (0x...)" in err. */
int tpm_tss_fail(gw_error *err, uint32_t rc, const char *what);

/* Flush a transient object or session (TPM2_FlushContext) / forget a handle of a
 * persistent one (Esys_TR_Close); both accept ESYS_TR_NONE and set *h to it. */
void tpm_flush(struct agent_tpm *tpm, ESYS_TR *h);
void tpm_tr_close(struct agent_tpm *tpm, ESYS_TR *h);

/* Banks with at least one PCR allocated, in the TPM's order. */
int tpm_active_banks(struct agent_tpm *tpm, uint16_t *algs, size_t *n, gw_error *err) GW_WUR;
/* Reads every selected PCR (in as many TPM2_PCR_Read calls as it takes). */
int tpm_pcr_read(struct agent_tpm *tpm, const TPML_PCR_SELECTION *sel,
		 struct tpmdata_pcrs *out, gw_error *err) GW_WUR;
/* Extends pcr in each bank algs[i] with digests[i]. */
int tpm_pcr_extend(struct agent_tpm *tpm, unsigned pcr, const uint16_t *algs,
		   const uint8_t digests[][GW_MAX_DIGEST], size_t n, gw_error *err) GW_WUR;
/* TPMS_CLOCK_INFO of TPM2_ReadClock. */
int tpm_clock(struct agent_tpm *tpm, TPMS_CLOCK_INFO *out, gw_error *err) GW_WUR;

int tpm_persistent_exists(struct agent_tpm *tpm, TPM2_HANDLE h, bool *exists,
			  gw_error *err) GW_WUR;
int tpm_nv_exists(struct agent_tpm *tpm, TPM2_HANDLE idx, bool *exists, gw_error *err) GW_WUR;
/* Public area of a persistent object; GW_E_NOTFOUND when there is none. */
int tpm_read_public(struct agent_tpm *tpm, TPM2_HANDLE h, TPM2B_PUBLIC *out,
		    gw_error *err) GW_WUR;
/* Whole contents of an NV index (read with the index's own empty auth). */
int tpm_nv_read_all(struct agent_tpm *tpm, TPM2_HANDLE idx, uint8_t **out, size_t *len,
		    gw_error *err) GW_WUR;

/* Create the EK from the standard template, return its public area, flush it. */
int tpm_ek_public(struct agent_tpm *tpm, enum tpm_ek_type type, TPM2B_PUBLIC *out,
		  gw_error *err) GW_WUR;
/* Create the EK from the standard template and leave it loaded at *ek (a transient
 * object the caller flushes). */
int tpm_ek_create(struct agent_tpm *tpm, enum tpm_ek_type type, ESYS_TR *ek,
		  gw_error *err) GW_WUR;
/* Create the SRK (ECC P-256 standard template) and make it persistent at h. */
int tpm_srk_create(struct agent_tpm *tpm, TPM2_HANDLE h, TPM2B_PUBLIC *out,
		   gw_error *err) GW_WUR;
/* Create a restricted ECC P-256 signing key under the EK (endorsement hierarchy,
 * so quotes carry unobfuscated clock information) and persist it at h. */
int tpm_ak_create(struct agent_tpm *tpm, enum tpm_ek_type ek_type, TPM2_HANDLE h,
		  TPM2B_PUBLIC *out, gw_error *err) GW_WUR;
/* Remove a persistent object. */
int tpm_evict(struct agent_tpm *tpm, TPM2_HANDLE h, gw_error *err) GW_WUR;
/* True when pub is the AK template: ECC P-256, ECDSA-SHA256, restricted signing,
 * fixedTPM, fixedParent, sensitiveDataOrigin. */
bool tpm_is_ak_public(const TPMT_PUBLIC *pub);
/* True when pub is a restricted decryption (storage) key. */
bool tpm_is_storage_public(const TPMT_PUBLIC *pub);

/* TPM2_Quote with the AK over sel with qualifying data nonce. *attest and *sig are
 * allocated by ESAPI and freed by the caller with Esys_Free. */
int tpm_quote(struct agent_tpm *tpm, TPM2_HANDLE ak, const uint8_t *nonce, size_t nonce_len,
	      const TPML_PCR_SELECTION *sel, TPM2B_ATTEST **attest, TPMT_SIGNATURE **sig,
	      gw_error *err) GW_WUR;

/* Fixed properties for `status`. */
struct tpm_info {
	char manufacturer[5];
	char vendor[17];
	uint32_t fw1, fw2;
	uint32_t spec_level, spec_revision;
};
int tpm_get_info(struct agent_tpm *tpm, struct tpm_info *out, gw_error *err) GW_WUR;

/* TPM2_ActivateCredential: recreate the EK of ek_type from its template, authorize
 * it with the EK policy (PolicySecret(endorsement)), and unwrap blob/enc (made by
 * credential_make for this EK and the name of the object at ak_handle, which is
 * authorized with its empty password). The recovered secret (at most 64 bytes) goes
 * to secret, whose size the caller gives in *secret_len; *secret_len then holds its
 * length. The EK and the session are flushed on every path. GW_E_TPM when the TPM
 * refuses the credential (not made for this EK and AK, or corrupt), GW_E_TOOBIG
 * when secret is too small. */
int tpm_activate_credential(struct agent_tpm *tpm, enum tpm_ek_type ek_type, TPM2_HANDLE ak_handle,
			    const TPM2B_ID_OBJECT *blob, const TPM2B_ENCRYPTED_SECRET *enc,
			    uint8_t *secret, size_t *secret_len, gw_error *err) GW_WUR;

#endif
