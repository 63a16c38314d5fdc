/* SPDX-License-Identifier: Apache-2.0 */
/* The one way the agent authorizes a command with the owner hierarchy: an HMAC session
 * salted with the pinned EK, so the owner authorization never crosses the TPM bus (or
 * a TCTI trace) in clear, and only this TPM can derive the session key. */
#ifndef GW_AGENT_TPM_SESSION_H
#define GW_AGENT_TPM_SESSION_H

#include <stdbool.h>

#include "tpm.h"

/* Pin the EK that salts every owner session from now on: its type (to recreate it
 * from the standard template) and its public area (its name is what is checked).
 * GW_E_INVAL when the public area has no name. */
int tpm_session_pin_ek(struct agent_tpm *tpm, enum tpm_ek_type type, const TPM2B_PUBLIC *ek,
		       gw_error *err) GW_WUR;

/* Start an unbound HMAC session (SHA-256, AES-128-CFB) whose salt is encrypted to the
 * EK the TPM creates now, after checking that EK's name is the pinned one. The EK is
 * flushed before this returns. With encrypt, the command's first parameter (a TPM2B)
 * travels encrypted. End it with tpm_session_end on every path. GW_E_STATE when no EK
 * is pinned, GW_E_TPM when the TPM's EK is not the pinned one (nothing was sent that
 * depends on the owner authorization) or the TPM refuses the session. */
int tpm_session_owner(struct agent_tpm *tpm, bool encrypt, ESYS_TR *session,
		      gw_error *err) GW_WUR;

/* Flush the session (when it is not ESYS_TR_NONE) and set it to ESYS_TR_NONE. */
void tpm_session_end(struct agent_tpm *tpm, ESYS_TR *session);

#endif
