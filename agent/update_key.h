/* SPDX-License-Identifier: Apache-2.0 */
/* The TPM update key: an ECC P-256 ECDH key under the SRK whose only authorization
 * is TPM2_PolicySigned by the verifier's gate key (common/tpm_policy.h). Created and
 * certified (TPM2_CertifyCreation by the AK) at enrollment, its blob kept in the
 * state directory, loaded on demand. The TPM computes Z = ECDH(update key, point)
 * only in a policy session whose nonceTPM the verifier signed. Every function
 * flushes the transient objects it loads, on every path. */
#ifndef GW_AGENT_UPDATE_KEY_H
#define GW_AGENT_UPDATE_KEY_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>
#include <openssl/evp.h>
#include <tss2/tss2_esys.h>

#include "gw_error.h"
#include "tpm.h"
#include "tpm_policy.h"

/* In the state directory: the key blob (TPM2B_PRIVATE || TPM2B_PUBLIC, useless
 * without this TPM) and the enrollment message (tpm_policy_key_msg JSON). */
#define UPDATE_KEY_BLOB_FILE "update-key.tpm"
#define UPDATE_KEY_MSG_FILE "update-key.json"
#define UPDATE_KEY_BLOB_MAX 4096

/* Create the update key under the SRK at srk for gate_key's policy, certify its
 * creation with the AK at ak, write blob_path then msg_path (each atomically,
 * 0600) and return the message in *msg (the caller's). GW_E_EXISTS when blob_path
 * exists (the key is never silently replaced), GW_E_TPM, GW_E_IO. */
int update_key_create(struct agent_tpm *tpm, TPM2_HANDLE srk, TPM2_HANDLE ak, EVP_PKEY *gate_key,
		      const char *blob_path, const char *msg_path, json_object **msg,
		      gw_error *err) GW_WUR;

/* Read a blob file: strict, nothing after the two structures. */
int update_key_read_blob(const char *path, TPM2B_PRIVATE *priv, TPM2B_PUBLIC *pub,
			 gw_error *err) GW_WUR;

/* A policy session for one ZGen: salted with the SRK at srk (so the ZGen response
 * can be encrypted), SHA-256, AES-128-CFB parameter encryption. *session is the
 * caller's to pass to update_key_zgen() (which consumes it) or to flush with
 * update_key_session_close(). nonce (TPM_POLICY_NONCE_MAX bytes) gets nonceTPM,
 * the value the verifier must sign and the agent binds into its quote. */
int update_key_session_open(struct agent_tpm *tpm, TPM2_HANDLE srk, ESYS_TR *session,
			    uint8_t *nonce, size_t *nonce_len, gw_error *err) GW_WUR;
void update_key_session_close(struct agent_tpm *tpm, ESYS_TR *session);

/* Load the gate key (TPM2_LoadExternal, NULL hierarchy), run TPM2_PolicySigned with
 * auth in session, load the update key from blob_path under srk, and run
 * TPM2_ECDH_ZGen(point) in session, its response encrypted under the session's
 * salt. z gets the x-coordinate of the shared point: a secret the caller wipes
 * (gw_wipe) once used. The session is flushed on every path. GW_E_TPM when the
 * TPM refuses (the detail names the command: PolicySigned for a bad signature,
 * a wrong nonce or an expired authorization; ECDH_ZGen for a policy or cpHash
 * that does not match). */
int update_key_zgen(struct agent_tpm *tpm, TPM2_HANDLE srk, ESYS_TR *session,
		    const char *blob_path, EVP_PKEY *gate_key,
		    const uint8_t point[TPM_POLICY_POINT_LEN], const struct tpm_policy_auth *auth,
		    uint8_t z[32], gw_error *err) GW_WUR;

#endif
