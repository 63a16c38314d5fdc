/* SPDX-License-Identifier: Apache-2.0 */
/* NV index commands for the anti-rollback counters: define (owner hierarchy), read
 * the public area, read, increment, write and write-lock. Every function closes the
 * ESAPI handles and sessions it opens on every path, so nothing is left loaded in the
 * TPM. The index's own (empty) authorization travels as a password; the owner's only
 * inside an EK-salted HMAC session (tpm_session.h), so TPM_NV_AUTH_OWNER and
 * tpm_nv_define need the EK pinned first (GW_E_STATE otherwise). */
#ifndef GW_AGENT_TPM_NV_H
#define GW_AGENT_TPM_NV_H

#include <stdbool.h>
#include <stdint.h>

#include "tpm.h"

/* Who authorizes a read, write, increment or write lock: the index's own
 * authValue (empty for ours) or the owner hierarchy's authorization. */
enum tpm_nv_auth { TPM_NV_AUTH_INDEX, TPM_NV_AUTH_OWNER };

/* TPM2_NV_DefineSpace under the owner hierarchy: nameAlg SHA-256, empty
 * authValue, empty authPolicy. GW_E_EXISTS when the index is already defined,
 * GW_E_TPM (naming the owner authorization) when the TPM refuses it. */
int tpm_nv_define(struct agent_tpm *tpm, TPM2_HANDLE idx, TPMA_NV attrs, uint16_t size,
		  gw_error *err) GW_WUR;

/* TPM2_NV_ReadPublic; GW_E_NOTFOUND when no index is defined at idx. */
int tpm_nv_read_public(struct agent_tpm *tpm, TPM2_HANDLE idx, TPMS_NV_PUBLIC *out,
		       gw_error *err) GW_WUR;

/* TPM2_NV_Read of len bytes (at most TPM2_MAX_NV_BUFFER_SIZE) at offset off. */
int tpm_nv_read(struct agent_tpm *tpm, TPM2_HANDLE idx, enum tpm_nv_auth auth, uint16_t off,
		uint8_t *buf, uint16_t len, gw_error *err) GW_WUR;

/* TPM2_NV_Increment of a counter index. A TPM that rate-limits NV writes
 * (TPM_RC_NV_RATE) is asked again, for at most about ten seconds. */
int tpm_nv_increment(struct agent_tpm *tpm, TPM2_HANDLE idx, enum tpm_nv_auth auth,
		     gw_error *err) GW_WUR;

/* TPM2_NV_Write of len bytes (at most TPM2_MAX_NV_BUFFER_SIZE) at offset off. */
int tpm_nv_write(struct agent_tpm *tpm, TPM2_HANDLE idx, enum tpm_nv_auth auth, uint16_t off,
		 const uint8_t *data, uint16_t len, gw_error *err) GW_WUR;

/* TPM2_NV_WriteLock (permanent for an index with TPMA_NV_WRITEDEFINE). */
int tpm_nv_write_lock(struct agent_tpm *tpm, TPM2_HANDLE idx, enum tpm_nv_auth auth,
		      gw_error *err) GW_WUR;

/* The hierarchy authorization state (TPM2_PT_PERMANENT). */
struct tpm_auth_state {
	bool owner_auth_set;
	bool lockout_auth_set;
	bool clear_disabled;
};
int tpm_auth_state(struct agent_tpm *tpm, struct tpm_auth_state *out, gw_error *err) GW_WUR;

/* Use auth (at most 64 bytes) as the owner hierarchy's authorization from now on. */
int tpm_set_owner_auth(struct agent_tpm *tpm, const uint8_t *auth, size_t len,
		       gw_error *err) GW_WUR;

#endif
