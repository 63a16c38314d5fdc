/* SPDX-License-Identifier: Apache-2.0 */
/* The verifier's small PKI: P-256 keys, its CA, the server certificate and device
 * client certificates, and their files. */
#ifndef GW_VERIFIER_PKI_H
#define GW_VERIFIER_PKI_H

#include <stdbool.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "gw_error.h"

/* PKI_EK: a TPM endorsement key certificate as the TCG EK credential profile
 * shapes it (EKU tcg-kp-EKCertificate, key encipherment); for test CAs. */
enum pki_usage { PKI_SERVER, PKI_CLIENT, PKI_EK };

#define PKI_OID_TCG_EK_CERTIFICATE "2.23.133.8.1"
/* The EK certificate profile the verifier insists on: not a CA (no
 * basicConstraints CA:TRUE, no keyUsage keyCertSign or cRLSign), an extended key
 * usage naming tcg-kp-EKCertificate, and a key pki_check_ek_key() accepts.
 * GW_E_KEY, the detail naming the reason. */
int pki_check_ek_profile(X509 *cert, gw_error *err) GW_WUR;

/* The keys doc/enrollment.md documents for an EK: RSA of CREDENTIAL_MIN_RSA_BITS
 * (2048) or more, or ECC on NIST P-256 or P-384. GW_E_KEY naming the key otherwise. */
int pki_check_ek_key(EVP_PKEY *key, gw_error *err) GW_WUR;

#define PKI_DEVICE_RSA_MIN_BITS 2048
#define PKI_DEVICE_RSA_MAX_BITS 4096

/* The keys a device certificate is issued for (enrollment, recovery, renewal):
 * ECC on the named curve P-256 or P-384 (no explicit parameters), or RSA of
 * PKI_DEVICE_RSA_MIN_BITS to PKI_DEVICE_RSA_MAX_BITS, that passes
 * EVP_PKEY_public_check. GW_E_KEY naming the reason otherwise. */
int pki_check_device_key(EVP_PKEY *key, gw_error *err) GW_WUR;

/* A new ECC P-256 key pair. */
int pki_key_generate(EVP_PKEY **out, gw_error *err) GW_WUR;
/* Write a private key as PKCS#8 PEM to a new file, mode 0600, O_EXCL|O_NOFOLLOW:
 * an existing file is never overwritten (GW_E_EXISTS). */
int pki_key_write(const char *path, EVP_PKEY *key, gw_error *err) GW_WUR;
int pki_key_read(const char *path, EVP_PKEY **out, gw_error *err) GW_WUR;
/* Write the public half as SubjectPublicKeyInfo PEM (mode 0644, replaced atomically). */
int pki_pubkey_write(const char *path, EVP_PKEY *key, gw_error *err) GW_WUR;

/* A self-signed CA certificate for key, valid for days. */
int pki_ca_create(EVP_PKEY *key, const char *cn, unsigned days, X509 **out,
		  gw_error *err) GW_WUR;
/* A certificate for subject_key signed by the CA, with CN cn, a random 128-bit
 * serial, the usage's extended key usage, and for servers the subjectAltName
 * san ("IP:127.0.0.1,DNS:localhost" syntax; may be NULL). */
int pki_issue(X509 *ca, EVP_PKEY *ca_key, EVP_PKEY *subject_key, const char *cn,
	      enum pki_usage usage, const char *san, unsigned days, X509 **out,
	      gw_error *err) GW_WUR;
int pki_cert_write(const char *path, X509 *cert, gw_error *err) GW_WUR;
int pki_cert_read(const char *path, X509 **out, gw_error *err) GW_WUR;
/* Lower-case hex SHA-256 of the DER certificate (65 bytes with the NUL). */
int pki_cert_fingerprint(X509 *cert, char out[65]) GW_WUR;

#endif
