/* SPDX-License-Identifier: Apache-2.0 */
/* The TPM update key and its PolicySigned gate, computed in software: the key's
 * template and authPolicy, object names, the aHash and cpHash a gate authorization
 * signs, the authorization's JSON, and the checks the verifier makes on a key and
 * its TPM2_CertifyCreation. The agent's TPM side is agent/update_key.h. */
#ifndef GW_TPM_POLICY_H
#define GW_TPM_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>
#include <openssl/evp.h>
#include <tss2/tss2_tpm2_types.h>

#include "gw_error.h"

#define TPM_POLICY_DIGEST_LEN 32
/* An uncompressed P-256 point: 0x04 || X || Y. */
#define TPM_POLICY_POINT_LEN 65
/* A DER ECDSA P-256 signature is at most 72 bytes. */
#define TPM_POLICY_SIG_MAX 72
/* nonceTPM of a SHA-256 session is 32 bytes; the TPM takes 16 to 64. */
#define TPM_POLICY_NONCE_MIN 16
#define TPM_POLICY_NONCE_MAX 64

/* The policyRef of every gate authorization: SHA-256("gatewarden update gate v1").
 * TPM2_PolicySigned extends the policyRef it is given into the session's policy
 * digest, which must then equal the key's fixed authPolicy, so the policyRef is a
 * constant of the key, not a per-release value: an authorization names its
 * release through cpHash (the EPK of that release's wrap to this device). */
void tpm_policy_gate_ref(uint8_t out[TPM_POLICY_DIGEST_LEN]);

/* The TPM public area the gate key (ECC P-256) is loaded as by TPM2_LoadExternal:
 * signing, userWithAuth, ECDSA-SHA256, nameAlg SHA-256, no authPolicy. Its name is
 * what the update key's policy names. GW_E_KEY when key is not P-256. */
int tpm_policy_gate_public(EVP_PKEY *key, TPM2B_PUBLIC *out, gw_error *err) GW_WUR;

/* An object's name: nameAlg || H(TPMT_PUBLIC). */
int tpm_policy_name(const TPMT_PUBLIC *pub, TPM2B_NAME *out) GW_WUR;

/* The update key's authPolicy: the policy digest of TPM2_PolicySigned by the
 * object named gate_name with policyRef ref (ref_len 0 to 32). PolicySigned
 * extends twice: H(0...0 || TPM_CC_PolicySigned || gate_name), then H(that || ref). */
int tpm_policy_signed_digest(const TPM2B_NAME *gate_name, const uint8_t *ref, size_t ref_len,
			     uint8_t out[TPM_POLICY_DIGEST_LEN]) GW_WUR;
/* tpm_policy_signed_digest() of the gate key with tpm_policy_gate_ref(). */
int tpm_policy_update_key_policy(EVP_PKEY *gate_key, uint8_t out[TPM_POLICY_DIGEST_LEN],
				 gw_error *err) GW_WUR;

/* The update key's template: ECC NIST P-256, ECDH-capable (decrypt, not restricted,
 * scheme and kdf NULL, symmetric NULL), fixedTPM, fixedParent,
 * sensitiveDataOrigin, noDA, adminWithPolicy, userWithAuth CLEAR (only the policy
 * authorizes use), nameAlg SHA-256, authPolicy policy. */
void tpm_policy_update_key_template(const uint8_t policy[TPM_POLICY_DIGEST_LEN],
				    TPM2B_PUBLIC *out);
/* pub is exactly that template (with its own unique point, which must be on the
 * curve) for authPolicy policy. GW_E_KEY naming the first field that differs. */
int tpm_policy_check_update_key(const TPM2B_PUBLIC *pub,
				const uint8_t policy[TPM_POLICY_DIGEST_LEN], gw_error *err) GW_WUR;

/* An uncompressed point (0x04 || X || Y) as the TPM2B_ECC_POINT TPM2_ECDH_ZGen
 * takes. GW_E_INVAL when point[0] is not 0x04. */
int tpm_policy_point_to_tpm(const uint8_t point[TPM_POLICY_POINT_LEN],
			    TPM2B_ECC_POINT *out) GW_WUR;

/* cpHashA of TPM2_ECDH_ZGen(key, point): SHA-256(TPM_CC_ECDH_ZGen (UINT32 BE) ||
 * key name || marshalled TPM2B_ECC_POINT of point). GW_E_INVAL when point is not
 * an uncompressed point (0x04 prefix). */
int tpm_policy_zgen_cphash(const TPM2B_NAME *key_name, const uint8_t point[TPM_POLICY_POINT_LEN],
			   uint8_t out[TPM_POLICY_DIGEST_LEN]) GW_WUR;

/* A gate authorization: the arguments of one TPM2_PolicySigned. */
struct tpm_policy_auth {
	uint8_t nonce_tpm[TPM_POLICY_NONCE_MAX];
	size_t nonce_len;
	int32_t expiration; /* seconds after the session started; negative: no ticket */
	uint8_t cphash[TPM_POLICY_DIGEST_LEN];
	uint8_t policy_ref[TPM_POLICY_DIGEST_LEN];
	uint8_t sig[TPM_POLICY_SIG_MAX]; /* DER ECDSA over SHA-256(aHash input) */
	size_t sig_len;
};

/* aHash = SHA-256(nonceTPM || expiration (INT32 BE) || cpHashA || policyRef), the
 * digest the gate key's ECDSA signature is over. */
int tpm_policy_ahash(const struct tpm_policy_auth *a, uint8_t out[TPM_POLICY_DIGEST_LEN]) GW_WUR;
/* Fill a->sig: sign a's aHash with gate_priv (ECC P-256). a->nonce_tpm, expiration,
 * cphash and policy_ref are the caller's. */
int tpm_policy_auth_sign(EVP_PKEY *gate_priv, struct tpm_policy_auth *a, gw_error *err) GW_WUR;
/* The signature verifies with gate_pub over a's aHash (GW_E_SIGNATURE). The TPM
 * checks it again; this lets the agent say why before it asks the TPM. */
int tpm_policy_auth_verify(EVP_PKEY *gate_pub, const struct tpm_policy_auth *a,
			   gw_error *err) GW_WUR;
/* a's signature as the TPMT_SIGNATURE TPM2_PolicySigned takes (ECDSA, SHA-256). */
int tpm_policy_auth_tpm_signature(const struct tpm_policy_auth *a, TPMT_SIGNATURE *out,
				  gw_error *err) GW_WUR;

/* {"nonce_tpm": b64, "expiration": int, "cphash": b64, "policy_ref": b64,
 * "signature": b64 DER}. *out is the caller's (json_object_put). */
int tpm_policy_auth_to_json(const struct tpm_policy_auth *a, json_object **out) GW_WUR;
#define TPM_POLICY_AUTH_MAX 2048
/* Strict: exactly those members, nonce 16 to 64 bytes, cphash and policy_ref 32
 * bytes, expiration an INT32, signature a DER ECDSA-Sig-Value (r, s positive and
 * at most 32 bytes, minimal encoding, nothing after it). GW_E_PARSE / GW_E_TOOBIG /
 * GW_E_TRAILING, the detail names the member. */
int tpm_policy_auth_parse(const void *buf, size_t len, struct tpm_policy_auth *out,
			  gw_error *err) GW_WUR;
int tpm_policy_auth_from_json(json_object *root, struct tpm_policy_auth *out,
			      gw_error *err) GW_WUR;

/* What the agent sends the verifier about its update key (POST /v1/update-key):
 * {"public": b64 TPM2B_PUBLIC, "creation_data": b64 TPM2B_CREATION_DATA,
 * "attest": b64 TPMS_ATTEST, "signature": b64 TPMT_SIGNATURE}. The raw attest
 * bytes are kept: the AK signed them. */
struct tpm_policy_key_msg {
	TPM2B_PUBLIC pub;
	TPM2B_CREATION_DATA creation;
	uint8_t creation_raw[sizeof(TPM2B_CREATION_DATA)];
	size_t creation_raw_len;
	uint8_t attest[sizeof(TPMS_ATTEST)];
	size_t attest_len;
	TPMT_SIGNATURE sig;
};
#define TPM_POLICY_KEY_MSG_MAX 8192
int tpm_policy_key_msg_parse(const void *buf, size_t len, struct tpm_policy_key_msg *out,
			     gw_error *err) GW_WUR;
/* Build the message from marshalled parts (as the TPM returned them). */
int tpm_policy_key_msg_to_json(const TPM2B_PUBLIC *pub, const TPM2B_CREATION_DATA *creation,
			       const TPM2B_ATTEST *attest, const TPMT_SIGNATURE *sig,
			       json_object **out) GW_WUR;

/* The checks of a TPM2_CertifyCreation of msg's key by the AK ak (signature hash
 * SHA-256, as the AK's scheme fixes): signature, magic TPM_GENERATED_VALUE, type
 * TPM_ST_ATTEST_CREATION, objectName == name(msg->pub), creationHash ==
 * H_nameAlg(TPMS_CREATION_DATA of msg). GW_E_SIGNATURE, GW_E_MAGIC,
 * GW_E_ATTEST_TYPE, GW_E_KEY (name or creation hash differ). */
int tpm_policy_creation_verify(EVP_PKEY *ak, const struct tpm_policy_key_msg *msg,
			       gw_error *err) GW_WUR;

#endif
