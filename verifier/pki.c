// SPDX-License-Identifier: Apache-2.0
// The verifier's PKI: keys, CA, server and client certificates (OpenSSL X509 API).
#include "pki.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "credential.h"
#include "util.h"

static int ssl_fail(gw_error *err, const char *what)
{
	char buf[256];

	ERR_error_string_n(ERR_get_error(), buf, sizeof(buf));
	ERR_clear_error();
	return gw_fail(err, GW_E_CRYPTO, "%s: %s", what, buf);
}

int pki_key_generate(EVP_PKEY **out, gw_error *err)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");

	if (!key)
		return ssl_fail(err, "generating a P-256 key");
	*out = key;
	return 0;
}

static int bio_to_buf(BIO *bio, char **out, size_t *len)
{
	char *data;
	long n = BIO_get_mem_data(bio, &data);
	char *buf;

	if (n < 0)
		return GW_E_CRYPTO;
	buf = malloc((size_t)n + 1);
	if (!buf)
		return GW_E_NOMEM;
	memcpy(buf, data, (size_t)n);
	buf[n] = '\0';
	*out = buf; /* transferred */
	*len = (size_t)n;
	return 0;
}

int pki_key_write(const char *path, EVP_PKEY *key, gw_error *err)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *pem = NULL;
	size_t len = 0, off = 0;
	int fd = -1;
	int rc = 0;

	if (!bio)
		return GW_E_NOMEM;
	if (!PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL)) {
		rc = ssl_fail(err, "encoding a private key");
		goto out;
	}
	rc = bio_to_buf(bio, &pem, &len);
	if (rc)
		goto out;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = gw_fail(err, errno == EEXIST ? GW_E_EXISTS : GW_E_IO, "%s: %s", path,
			     strerror(errno));
		goto out;
	}
	while (off < len) {
		ssize_t n = write(fd, pem + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = gw_fail(err, GW_E_IO, "%s: %s", path, strerror(errno));
			goto out;
		}
		off += (size_t)n;
	}
	if (fsync(fd))
		rc = gw_fail(err, GW_E_IO, "%s: %s", path, strerror(errno));
out:
	if (fd >= 0)
		close(fd);
	if (rc && fd >= 0)
		unlink(path);
	if (pem) {
		gw_wipe(pem, len);
		free(pem);
	}
	BIO_free(bio);
	return rc;
}

int pki_key_read(const char *path, EVP_PKEY **out, gw_error *err)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	BIO *bio = NULL;
	EVP_PKEY *key = NULL;
	int rc;

	rc = gw_read_file(path, 64 * 1024, &buf, &len, err);
	if (rc)
		return rc;
	bio = BIO_new_mem_buf(buf, (int)len);
	if (bio)
		key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	gw_wipe(buf, len);
	free(buf);
	if (!key)
		return gw_fail(err, GW_E_KEY, "%s: not a PEM private key", path);
	*out = key;
	return 0;
}

/* Write what a PEM encoder put into a memory BIO to path (0644, atomically); the
 * BIO is freed. encoded is the encoder's result (0 on failure). */
static int write_pem_bio(const char *path, BIO *bio, int encoded, const char *what,
			 gw_error *err)
{
	char *pem = NULL;
	size_t len = 0;
	int rc;

	if (!encoded) {
		BIO_free(bio);
		return ssl_fail(err, what);
	}
	rc = bio_to_buf(bio, &pem, &len);
	BIO_free(bio);
	if (rc)
		return rc;
	rc = gw_write_file_atomic(path, pem, len, 0644, err);
	free(pem);
	return rc;
}

int pki_pubkey_write(const char *path, EVP_PKEY *key, gw_error *err)
{
	BIO *bio = BIO_new(BIO_s_mem());

	if (!bio)
		return GW_E_NOMEM;
	return write_pem_bio(path, bio, PEM_write_bio_PUBKEY(bio, key), "encoding a public key",
			     err);
}

static int add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	ext = X509V3_EXT_nconf_nid(NULL, &ctx, nid, value);
	if (!ext)
		return -1;
	ok = X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? 0 : -1;
}

static int set_basics(X509 *cert, EVP_PKEY *subject_key, const char *cn, unsigned days)
{
	X509_NAME *name = X509_get_subject_name(cert);
	unsigned char serial[16];
	BIGNUM *bn = NULL;
	int ok;

	if (RAND_bytes(serial, sizeof(serial)) != 1)
		return -1;
	serial[0] &= 0x7f; /* positive */
	serial[0] |= 0x40; /* and of full length */
	bn = BN_bin2bn(serial, sizeof(serial), NULL);
	ok = bn && X509_set_version(cert, 2) && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) &&
	     X509_gmtime_adj(X509_getm_notBefore(cert), -300) &&
	     X509_gmtime_adj(X509_getm_notAfter(cert), (long)days * 86400) &&
	     X509_set_pubkey(cert, subject_key) &&
	     X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const unsigned char *)"Gatewarden",
					-1, -1, 0) &&
	     X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1,
					0);
	BN_free(bn);
	return ok ? 0 : -1;
}

int pki_ca_create(EVP_PKEY *key, const char *cn, unsigned days, X509 **out, gw_error *err)
{
	X509 *cert = X509_new();

	if (!cert)
		return GW_E_NOMEM;
	if (set_basics(cert, key, cn, days) ||
	    !X509_set_issuer_name(cert, X509_get_subject_name(cert)) ||
	    add_ext(cert, cert, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") ||
	    add_ext(cert, cert, NID_key_usage, "critical,keyCertSign,cRLSign") ||
	    add_ext(cert, cert, NID_subject_key_identifier, "hash") ||
	    !X509_sign(cert, key, EVP_sha256())) {
		X509_free(cert);
		return ssl_fail(err, "creating the CA certificate");
	}
	*out = cert;
	return 0;
}

int pki_issue(X509 *ca, EVP_PKEY *ca_key, EVP_PKEY *subject_key, const char *cn,
	      enum pki_usage usage, const char *san, unsigned days, X509 **out, gw_error *err)
{
	X509 *cert = X509_new();

	if (!cert)
		return GW_E_NOMEM;
	if (set_basics(cert, subject_key, cn, days) ||
	    !X509_set_issuer_name(cert, X509_get_subject_name(ca)) ||
	    add_ext(cert, ca, NID_basic_constraints, "critical,CA:FALSE") ||
	    add_ext(cert, ca, NID_key_usage,
		    usage == PKI_EK ? "critical,keyEncipherment" : "critical,digitalSignature") ||
	    add_ext(cert, ca, NID_ext_key_usage,
		    usage == PKI_SERVER ? "serverAuth"
		    : usage == PKI_CLIENT ? "clientAuth" : PKI_OID_TCG_EK_CERTIFICATE) ||
	    add_ext(cert, ca, NID_authority_key_identifier, "keyid:always") ||
	    (san && add_ext(cert, ca, NID_subject_alt_name, san)) ||
	    !X509_sign(cert, ca_key, EVP_sha256())) {
		X509_free(cert);
		return ssl_fail(err, "issuing a certificate");
	}
	*out = cert;
	return 0;
}

int pki_check_ek_key(EVP_PKEY *key, gw_error *err)
{
	char group[32];
	size_t glen = 0;

	if (!key)
		return gw_fail(err, GW_E_KEY, "no EK public key");
	switch (EVP_PKEY_get_base_id(key)) {
	case EVP_PKEY_RSA:
		if (EVP_PKEY_get_bits(key) < CREDENTIAL_MIN_RSA_BITS)
			return gw_fail(err, GW_E_KEY,
				       "the EK is RSA %d bits: an EK must be RSA %d bits or more, "
				       "or ECC P-256 or P-384",
				       EVP_PKEY_get_bits(key), CREDENTIAL_MIN_RSA_BITS);
		return 0;
	case EVP_PKEY_EC:
		if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group,
						   sizeof(group), &glen) != 1)
			return gw_fail(err, GW_E_KEY, "the EK is ECC on an unnamed curve: an EK must "
						      "be ECC P-256 or P-384, or RSA %d bits or more",
				       CREDENTIAL_MIN_RSA_BITS);
		if (strcmp(group, SN_X9_62_prime256v1) && strcmp(group, SN_secp384r1))
			return gw_fail(err, GW_E_KEY, "the EK is ECC on curve %s: an EK must be ECC "
						      "P-256 or P-384, or RSA %d bits or more",
				       group, CREDENTIAL_MIN_RSA_BITS);
		return 0;
	default:
		return gw_fail(err, GW_E_KEY, "the EK is neither an RSA nor an ECC key");
	}
}

int pki_check_device_key(EVP_PKEY *key, gw_error *err)
{
	char group[32], enc[32];
	size_t glen = 0, elen = 0;
	EVP_PKEY_CTX *ctx;
	int bits, ok;

	if (!key)
		return gw_fail(err, GW_E_KEY, "no public key");
	switch (EVP_PKEY_get_base_id(key)) {
	case EVP_PKEY_RSA:
		bits = EVP_PKEY_get_bits(key);
		if (bits < PKI_DEVICE_RSA_MIN_BITS || bits > PKI_DEVICE_RSA_MAX_BITS)
			return gw_fail(err, GW_E_KEY, "RSA %d bits: a device key is RSA %d to %d "
						      "bits, or ECC P-256 or P-384", bits,
				       PKI_DEVICE_RSA_MIN_BITS, PKI_DEVICE_RSA_MAX_BITS);
		break;
	case EVP_PKEY_EC:
		/* Explicit curve parameters are refused even when they spell out a named
		 * curve: only the name is trusted. */
		if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_EC_ENCODING, enc,
						   sizeof(enc), &elen) != 1 ||
		    strcmp(enc, OSSL_PKEY_EC_ENCODING_GROUP) ||
		    EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group,
						   sizeof(group), &glen) != 1)
			return gw_fail(err, GW_E_KEY, "ECC with explicit curve parameters: a device "
						      "key is ECC on the named curve P-256 or P-384");
		if (strcmp(group, SN_X9_62_prime256v1) && strcmp(group, SN_secp384r1))
			return gw_fail(err, GW_E_KEY, "ECC on curve %s: a device key is ECC P-256 "
						      "or P-384, or RSA %d to %d bits", group,
				       PKI_DEVICE_RSA_MIN_BITS, PKI_DEVICE_RSA_MAX_BITS);
		break;
	default:
		return gw_fail(err, GW_E_KEY, "neither an RSA nor an ECC key");
	}
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
	ok = ctx && EVP_PKEY_public_check(ctx) == 1;
	EVP_PKEY_CTX_free(ctx);
	ERR_clear_error();
	return ok ? 0 : gw_fail(err, GW_E_KEY, "the public key is not valid (point not on "
					      "the curve, or bad RSA modulus or exponent)");
}

int pki_check_ek_profile(X509 *cert, gw_error *err)
{
	EXTENDED_KEY_USAGE *eku;
	ASN1_OBJECT *want;
	EVP_PKEY *key;
	bool found = false;
	int rc;

	/* X509_check_ca() says "not a CA" for basicConstraints CA:TRUE when keyUsage
	 * lacks keyCertSign; an EK certificate must not claim CA powers at all. */
	if (X509_get_extension_flags(cert) & EXFLAG_INVALID)
		return gw_fail(err, GW_E_KEY, "the EK certificate has malformed extensions");
	if (X509_get_extension_flags(cert) & EXFLAG_CA)
		return gw_fail(err, GW_E_KEY, "the EK certificate is a CA certificate "
					      "(basicConstraints CA:TRUE)");
	/* X509_get_key_usage() says UINT32_MAX (everything) when there is no keyUsage;
	 * an EK certificate without one is accepted (doc/enrollment.md). */
	if ((X509_get_extension_flags(cert) & EXFLAG_KUSAGE) &&
	    (X509_get_key_usage(cert) & (KU_KEY_CERT_SIGN | KU_CRL_SIGN)))
		return gw_fail(err, GW_E_KEY, "the EK certificate is a CA certificate (its key "
					      "usage allows keyCertSign or cRLSign)");
	if (X509_check_ca(cert) != 0)
		return gw_fail(err, GW_E_KEY, "the EK certificate is a CA certificate");
	eku = X509_get_ext_d2i(cert, NID_ext_key_usage, NULL, NULL);
	want = OBJ_txt2obj(PKI_OID_TCG_EK_CERTIFICATE, 1);
	for (int i = 0; eku && want && i < sk_ASN1_OBJECT_num(eku); i++)
		found |= OBJ_cmp(sk_ASN1_OBJECT_value(eku, i), want) == 0;
	sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
	ASN1_OBJECT_free(want);
	if (!found)
		return gw_fail(err, GW_E_KEY, "the EK certificate's extended key usage does not "
					      "name tcg-kp-EKCertificate (%s)",
			       PKI_OID_TCG_EK_CERTIFICATE);
	key = X509_get0_pubkey(cert);
	rc = pki_check_ek_key(key, err);
	if (rc)
		gw_error_prefix(err, "the EK certificate's key: ");
	return rc;
}

int pki_cert_write(const char *path, X509 *cert, gw_error *err)
{
	BIO *bio = BIO_new(BIO_s_mem());

	if (!bio)
		return GW_E_NOMEM;
	return write_pem_bio(path, bio, PEM_write_bio_X509(bio, cert), "encoding a certificate",
			     err);
}

int pki_cert_read(const char *path, X509 **out, gw_error *err)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	BIO *bio;
	X509 *cert = NULL;
	int rc;

	rc = gw_read_file(path, 256 * 1024, &buf, &len, err);
	if (rc)
		return rc;
	bio = BIO_new_mem_buf(buf, (int)len);
	if (bio)
		cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	if (!cert) {
		const unsigned char *p = buf;

		cert = d2i_X509(NULL, &p, (long)len);
		if (cert && p != buf + len) {
			X509_free(cert);
			cert = NULL;
		}
	}
	BIO_free(bio);
	free(buf);
	ERR_clear_error();
	if (!cert)
		return gw_fail(err, GW_E_PARSE, "%s: not a PEM or DER certificate", path);
	*out = cert;
	return 0;
}

int pki_cert_fingerprint(X509 *cert, char out[65])
{
	unsigned char md[32];
	unsigned int n = 0;

	if (!X509_digest(cert, EVP_sha256(), md, &n) || n != sizeof(md))
		return GW_E_CRYPTO;
	gw_hex_encode(md, sizeof(md), out);
	return 0;
}
