/* SPDX-License-Identifier: Apache-2.0 */
/* TPM2_MakeCredential in software (OpenSSL): the verifier's half of enrollment's
 * credential activation, which only the TPM holding the EK can undo. */
#ifndef GW_CREDENTIAL_H
#define GW_CREDENTIAL_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <tss2/tss2_tpm2_types.h>

#include "gw_error.h"

#define CREDENTIAL_MIN_RSA_BITS 2048

/* Make a credential for the object named ak_name (use tpmdata_public_name on the
 * AK's public area), encrypted to the EK ek, as TPM2_MakeCredential would (TPM 2.0
 * Part 1 §24, Part 3 §12.6):
 *   RSA EK: a random seed (nameAlg digest size) encrypted with RSA-OAEP, hash and
 *           MGF1 hash nameAlg, label "IDENTITY\0";
 *   ECC EK (P-256, P-384): an ephemeral key on the EK's curve, Z = ECDH x,
 *           seed = KDFe(nameAlg, Z, "IDENTITY", ephemeral.x, ek.x); the encrypted
 *           secret is the ephemeral point (TPMS_ECC_POINT, coordinates padded to
 *           the curve size).
 * The EK must be a restricted decryption key, nameAlg sha256 or sha384, symmetric
 * AES-128 or AES-256 in CFB mode, RSA of CREDENTIAL_MIN_RSA_BITS or more (keyBits
 * and modulus agreeing) or ECC P-256 or P-384. secret is 1 to
 * digest-size-of-nameAlg bytes (the TPM's own MakeCredential limit). ak_name is a
 * digest name: 2 + digest bytes.
 * *blob and *enc_secret are written only on success; seed and keys are wiped.
 * Errors: GW_E_INVAL (NULL, secret or name size), GW_E_KEY (EK not a restricted
 * decryption key, an RSA key too short, or no valid key), GW_E_UNSUPPORTED (type,
 * curve, nameAlg or symmetric we do not handle), GW_E_CRYPTO (OpenSSL failed). */
int credential_make(const TPM2B_PUBLIC *ek, const TPM2B_NAME *ak_name, const uint8_t *secret,
		    size_t secret_len, TPM2B_ID_OBJECT *blob, TPM2B_ENCRYPTED_SECRET *enc_secret,
		    gw_error *err) GW_WUR;

/* For tests: the credential blob half of credential_make with a caller-chosen seed
 * (seed_len must be the digest size of the EK's nameAlg), so that its output is
 * deterministic. Same checks and errors as credential_make. Never use it with a
 * seed that is not fresh and random: the seed is the whole secret. */
int credential_make_with_seed(const TPM2B_PUBLIC *ek, const TPM2B_NAME *ak_name,
			      const uint8_t *secret, size_t secret_len, const uint8_t *seed,
			      size_t seed_len, TPM2B_ID_OBJECT *blob, gw_error *err) GW_WUR;

/* Software TPM2_ActivateCredential, for test devices and the load generator: the
 * inverse of credential_make with the EK's private key ek_priv (which must be the
 * key of ek_pub). Recovers the seed (RSA-OAEP, or ECDH + KDFe from the ephemeral
 * point in enc), checks the blob's integrity HMAC over encIdentity || ak_name in
 * constant time before decrypting anything, then decrypts with AES-CFB. On entry
 * *secret_len is the capacity of secret; on success it is the secret's length and
 * secret holds it (written only on success). Seed and keys are wiped.
 * Errors: GW_E_INVAL (NULL, name size), GW_E_KEY (ek_priv is not ek_pub's key, or
 * EK shape), GW_E_UNSUPPORTED (as credential_make), GW_E_PARSE (malformed blob or
 * encrypted secret), GW_E_SIGNATURE (integrity HMAC mismatch: wrong EK, name or a
 * corrupted blob), GW_E_CRYPTO (decryption of the seed failed, OpenSSL failure),
 * GW_E_TOOBIG (secret larger than *secret_len). */
int credential_activate_soft(EVP_PKEY *ek_priv, const TPM2B_PUBLIC *ek_pub,
			     const TPM2B_NAME *ak_name, const TPM2B_ID_OBJECT *blob,
			     const TPM2B_ENCRYPTED_SECRET *enc, uint8_t *secret,
			     size_t *secret_len, gw_error *err) GW_WUR;

#endif
