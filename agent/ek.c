// SPDX-License-Identifier: Apache-2.0
// The endorsement key choice and its NV certificate, shared by provision and enroll.
#include "ek.h"

#include <stdlib.h>

#include <openssl/x509.h>

#include "tpmdata.h"

int ek_select(struct agent_tpm *tpm, enum tpm_ek_type *type, bool *has_cert, gw_error *err)
{
	bool ecc = false, rsa = false;
	int rc;

	if ((rc = tpm_nv_exists(tpm, TPM_NV_EK_CERT_ECC_P256, &ecc, err)) ||
	    (rc = tpm_nv_exists(tpm, TPM_NV_EK_CERT_RSA2048, &rsa, err)))
		return rc;
	/* ECC P-256 preferred; RSA 2048 when only that has a certificate. */
	*type = ecc || !rsa ? TPM_EK_ECC_P256 : TPM_EK_RSA2048;
	*has_cert = ecc || rsa;
	return 0;
}

uint32_t ek_cert_index(enum tpm_ek_type type)
{
	return type == TPM_EK_ECC_P256 ? TPM_NV_EK_CERT_ECC_P256 : TPM_NV_EK_CERT_RSA2048;
}

int ek_read_cert(struct agent_tpm *tpm, enum tpm_ek_type type, const TPM2B_PUBLIC *pub,
		 uint8_t **out, size_t *out_len, gw_error *err)
{
	uint8_t *cert = NULL;
	size_t cert_len = 0;
	X509 *x = NULL;
	EVP_PKEY *cert_key = NULL, *ek_key = NULL;
	int rc;

	rc = tpm_nv_read_all(tpm, ek_cert_index(type), &cert, &cert_len, err);
	if (rc)
		goto out;
	{
		const unsigned char *p = cert;

		x = d2i_X509(NULL, &p, (long)cert_len);
	}
	if (!x) {
		rc = gw_fail(err, GW_E_PARSE, "the EK certificate in NV is not DER X.509");
		goto out;
	}
	rc = tpmdata_public_to_pkey(&pub->publicArea, &ek_key, err);
	if (rc)
		goto out;
	cert_key = X509_get_pubkey(x);
	if (!cert_key || EVP_PKEY_eq(cert_key, ek_key) != 1) {
		rc = gw_fail(err, GW_E_KEY, "the EK certificate is not for this TPM's EK");
		goto out;
	}
	*out = cert; /* transferred */
	*out_len = cert_len;
	cert = NULL;
out:
	EVP_PKEY_free(cert_key);
	EVP_PKEY_free(ek_key);
	X509_free(x);
	free(cert);
	return rc;
}
