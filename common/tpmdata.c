// SPDX-License-Identifier: Apache-2.0
// TPM structure (un)marshalling, TPM public keys as OpenSSL keys, signatures, names.
#include "tpmdata.h"

#include <stdlib.h>
#include <stdbool.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <tss2/tss2_mu.h>

#include "util.h"

#define MU_UNMARSHAL(type, buf, len, out, err, what)                                     \
	do {                                                                             \
		size_t off_ = 0;                                                         \
		TSS2_RC rc_ = Tss2_MU_##type##_Unmarshal((buf), (len), &off_, (out));      \
		if (rc_ != TSS2_RC_SUCCESS)                                              \
			return gw_fail((err), GW_E_PARSE, "%s: malformed (%s)", (what),  \
				       "tss2-mu rejected it");                           \
		if (off_ != (len))                                                       \
			return gw_fail((err), GW_E_TRAILING, "%s: %zu trailing bytes",   \
				       (what), (size_t)((len) - off_));                  \
	} while (0)

int tpmdata_attest_unmarshal(const uint8_t *buf, size_t len, TPMS_ATTEST *out, gw_error *err)
{
	memset(out, 0, sizeof(*out));
	MU_UNMARSHAL(TPMS_ATTEST, buf, len, out, err, "TPMS_ATTEST");
	return 0;
}

int tpmdata_signature_unmarshal(const uint8_t *buf, size_t len, TPMT_SIGNATURE *out,
				gw_error *err)
{
	memset(out, 0, sizeof(*out));
	MU_UNMARSHAL(TPMT_SIGNATURE, buf, len, out, err, "TPMT_SIGNATURE");
	return 0;
}

static bool known_public_type(uint16_t type)
{
	return type == TPM2_ALG_RSA || type == TPM2_ALG_ECC || type == TPM2_ALG_KEYEDHASH ||
	       type == TPM2_ALG_SYMCIPHER;
}

/* The one reader of TPM2B structures from outside: tss2-mu checks that a TPM2B's
 * size field fits the buffer, but for a sized structure (TPM2B_PUBLIC) it
 * unmarshals the inner structure to its own end, whatever the size field says. So
 * the size field must equal the bytes the inner structure took, and nothing may
 * follow it; an empty TPM2B is refused. */
static int tpm2b_read(enum tpmdata_tpm2b kind, const uint8_t *buf, size_t len, void *out,
		      gw_error *err)
{
	static const char *const names[] = {
		[TPMDATA_TPM2B_PUBLIC] = "TPM2B_PUBLIC",
		[TPMDATA_TPM2B_ID_OBJECT] = "TPM2B_ID_OBJECT",
		[TPMDATA_TPM2B_ENCRYPTED_SECRET] = "TPM2B_ENCRYPTED_SECRET",
	};
	const char *what = names[kind];
	size_t off = 0, size;
	TSS2_RC trc;

	if (!buf || len < 2)
		return gw_fail(err, GW_E_PARSE, "%s: malformed (%zu bytes, no size field)", what,
			       buf ? len : 0);
	size = (size_t)buf[0] << 8 | buf[1];
	if (size == 0)
		return gw_fail(err, GW_E_PARSE, "%s: empty", what);
	if (size > len - 2)
		return gw_fail(err, GW_E_PARSE,
			       "%s: malformed: its size field says %zu bytes, %zu follow", what,
			       size, len - 2);
	switch (kind) {
	case TPMDATA_TPM2B_PUBLIC:
		/* tss2-mu reads nothing of a TPMT_PUBLIC of a type it does not know
		 * (and says success): name the type rather than the sizes. */
		if (size >= 2 && !known_public_type((uint16_t)(buf[2] << 8 | buf[3])))
			return gw_fail(err, GW_E_PARSE,
				       "%s: malformed: its TPMT_PUBLIC type 0x%04x is unknown", what,
				       (unsigned)(buf[2] << 8 | buf[3]));
		memset(out, 0, sizeof(TPM2B_PUBLIC));
		trc = Tss2_MU_TPM2B_PUBLIC_Unmarshal(buf, len, &off, out);
		break;
	case TPMDATA_TPM2B_ID_OBJECT:
		memset(out, 0, sizeof(TPM2B_ID_OBJECT));
		trc = Tss2_MU_TPM2B_ID_OBJECT_Unmarshal(buf, len, &off, out);
		break;
	case TPMDATA_TPM2B_ENCRYPTED_SECRET:
		memset(out, 0, sizeof(TPM2B_ENCRYPTED_SECRET));
		trc = Tss2_MU_TPM2B_ENCRYPTED_SECRET_Unmarshal(buf, len, &off, out);
		break;
	default:
		return gw_fail(err, GW_E_INVAL, "unknown TPM2B kind %d", (int)kind);
	}
	if (trc != TSS2_RC_SUCCESS)
		return gw_fail(err, GW_E_PARSE, "%s: malformed (tss2-mu rejected it)", what);
	if (off != 2 + size)
		return gw_fail(err, GW_E_PARSE,
			       "%s: malformed: its size field says %zu bytes, the structure in "
			       "it takes %zu",
			       what, size, off - 2);
	if (off != len)
		return gw_fail(err, GW_E_TRAILING, "%s: %zu trailing bytes", what, len - off);
	return 0;
}

int tpmdata_tpm2b_unmarshal(enum tpmdata_tpm2b kind, const uint8_t *buf, size_t len, void *out,
			    gw_error *err)
{
	if (!out || (unsigned)kind > TPMDATA_TPM2B_ENCRYPTED_SECRET)
		return gw_fail(err, GW_E_INVAL, "TPM2B: no output or unknown kind");
	return tpm2b_read(kind, buf, len, out, err);
}

int tpmdata_public_unmarshal(const uint8_t *buf, size_t len, TPM2B_PUBLIC *out, gw_error *err)
{
	int rc = tpmdata_tpm2b_unmarshal(TPMDATA_TPM2B_PUBLIC, buf, len, out, err);

	if (rc)
		return rc;
	if (out->publicArea.type == TPM2_ALG_NULL)
		return gw_fail(err, GW_E_PARSE, "TPM2B_PUBLIC: empty");
	return 0;
}

int tpmdata_public_marshal(const TPM2B_PUBLIC *pub, uint8_t **out, size_t *len)
{
	uint8_t *buf = malloc(sizeof(TPM2B_PUBLIC));
	size_t off = 0;

	if (!buf)
		return GW_E_NOMEM;
	if (Tss2_MU_TPM2B_PUBLIC_Marshal(pub, buf, sizeof(TPM2B_PUBLIC), &off)) {
		free(buf);
		return GW_E_INVAL;
	}
	*out = buf; /* transferred */
	*len = off;
	return 0;
}

int tpmdata_signature_marshal(const TPMT_SIGNATURE *sig, uint8_t **out, size_t *len)
{
	uint8_t *buf = malloc(sizeof(TPMT_SIGNATURE));
	size_t off = 0;

	if (!buf)
		return GW_E_NOMEM;
	if (Tss2_MU_TPMT_SIGNATURE_Marshal(sig, buf, sizeof(TPMT_SIGNATURE), &off)) {
		free(buf);
		return GW_E_INVAL;
	}
	*out = buf; /* transferred */
	*len = off;
	return 0;
}

static int ecc_to_pkey(const TPMS_ECC_POINT *pt, TPMI_ECC_CURVE curve, EVP_PKEY **out,
		       gw_error *err)
{
	const char *group;
	size_t csize;
	uint8_t point[1 + 2 * 66];
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *key = NULL;
	int rc = 0;

	switch (curve) {
	case TPM2_ECC_NIST_P256:
		group = "prime256v1";
		csize = 32;
		break;
	case TPM2_ECC_NIST_P384:
		group = "secp384r1";
		csize = 48;
		break;
	default:
		return gw_fail(err, GW_E_UNSUPPORTED, "ECC curve 0x%04x not supported", curve);
	}
	if (pt->x.size > csize || pt->y.size > csize)
		return gw_fail(err, GW_E_KEY, "ECC point larger than the curve");
	/* TPM coordinates may omit leading zeros; pad them back. */
	memset(point, 0, sizeof(point));
	point[0] = 0x04;
	memcpy(point + 1 + csize - pt->x.size, pt->x.buffer, pt->x.size);
	memcpy(point + 1 + 2 * csize - pt->y.size, pt->y.buffer, pt->y.size);

	bld = OSSL_PARAM_BLD_new();
	if (!bld ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point,
					      1 + 2 * csize) ||
	    !(params = OSSL_PARAM_BLD_to_param(bld))) {
		rc = GW_E_CRYPTO;
		goto out;
	}
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (!ctx || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) <= 0) {
		rc = gw_fail(err, GW_E_KEY, "ECC public key is not a point on the curve");
		goto out;
	}
	*out = key; /* transferred */
	key = NULL;
out:
	EVP_PKEY_free(key);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	return rc;
}

static int rsa_to_pkey(const TPMT_PUBLIC *pub, EVP_PKEY **out, gw_error *err)
{
	uint32_t exp = pub->parameters.rsaDetail.exponent ? pub->parameters.rsaDetail.exponent
							   : 65537;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *key = NULL;
	BIGNUM *n = NULL, *e = NULL;
	int rc = 0;

	if (pub->unique.rsa.size < 128)
		return gw_fail(err, GW_E_KEY, "RSA modulus of %u bytes is too small",
			       pub->unique.rsa.size);
	n = BN_bin2bn(pub->unique.rsa.buffer, pub->unique.rsa.size, NULL);
	e = BN_new();
	bld = OSSL_PARAM_BLD_new();
	if (!n || !e || !bld || !BN_set_word(e, exp) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) ||
	    !(params = OSSL_PARAM_BLD_to_param(bld))) {
		rc = GW_E_CRYPTO;
		goto out;
	}
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	if (!ctx || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) <= 0) {
		rc = gw_fail(err, GW_E_KEY, "RSA public key rejected by OpenSSL");
		goto out;
	}
	*out = key; /* transferred */
	key = NULL;
out:
	EVP_PKEY_free(key);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	return rc;
}

int tpmdata_public_to_pkey(const TPMT_PUBLIC *pub, EVP_PKEY **out, gw_error *err)
{
	switch (pub->type) {
	case TPM2_ALG_ECC:
		return ecc_to_pkey(&pub->unique.ecc, pub->parameters.eccDetail.curveID, out, err);
	case TPM2_ALG_RSA:
		return rsa_to_pkey(pub, out, err);
	default:
		return gw_fail(err, GW_E_UNSUPPORTED, "key type 0x%04x not supported", pub->type);
	}
}

int tpmdata_pkey_to_pem(EVP_PKEY *key, char **out)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data, *buf;
	long n;

	if (!bio)
		return GW_E_NOMEM;
	if (!PEM_write_bio_PUBKEY(bio, key)) {
		BIO_free(bio);
		return GW_E_CRYPTO;
	}
	n = BIO_get_mem_data(bio, &data);
	buf = malloc((size_t)n + 1);
	if (!buf) {
		BIO_free(bio);
		return GW_E_NOMEM;
	}
	memcpy(buf, data, (size_t)n);
	buf[n] = '\0';
	BIO_free(bio);
	*out = buf; /* transferred */
	return 0;
}

int tpmdata_pkey_from_pem(const char *pem, size_t len, EVP_PKEY **out, gw_error *err)
{
	BIO *bio;
	EVP_PKEY *key;

	if (len > 64 * 1024)
		return gw_fail(err, GW_E_TOOBIG, "PEM key larger than 64 KiB");
	bio = BIO_new_mem_buf(pem, (int)len);
	if (!bio)
		return GW_E_NOMEM;
	key = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (!key)
		return gw_fail(err, GW_E_KEY, "not a PEM public key");
	*out = key;
	return 0;
}

static int pkey_load(const char *path, bool ak, EVP_PKEY **out, gw_error *err)
{
	const TPMA_OBJECT signer = TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT |
				   TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_SENSITIVEDATAORIGIN;
	uint8_t *buf = NULL;
	size_t len = 0;
	TPM2B_PUBLIC pub;
	int rc;

	rc = gw_read_file(path, 64 * 1024, &buf, &len, err);
	if (rc)
		return rc;
	if (len > 10 && !memcmp(buf, "-----BEGIN", 10)) {
		rc = tpmdata_pkey_from_pem((const char *)buf, len, out, err);
	} else {
		rc = tpmdata_public_unmarshal(buf, len, &pub, err);
		if (!rc && ak && (pub.publicArea.objectAttributes & signer) != signer)
			rc = gw_fail(err, GW_E_KEY,
				     "not a restricted, fixedTPM signing key: quotes it signs "
				     "prove nothing");
		if (!rc)
			rc = tpmdata_public_to_pkey(&pub.publicArea, out, err);
	}
	if (rc)
		gw_error_prefix(err, "%s: ", path);
	free(buf);
	return rc;
}

int tpmdata_pkey_load(const char *path, EVP_PKEY **out, gw_error *err)
{
	return pkey_load(path, false, out, err);
}

int tpmdata_ak_load(const char *path, EVP_PKEY **out, gw_error *err)
{
	return pkey_load(path, true, out, err);
}

int tpmdata_pkey_equal(EVP_PKEY *a, EVP_PKEY *b)
{
	return EVP_PKEY_eq(a, b) == 1;
}

int tpmdata_sign_ecdsa_sha256(EVP_PKEY *key, const uint8_t *msg, size_t len,
			      TPMT_SIGNATURE *sig)
{
	unsigned char der[128];
	size_t der_len = sizeof(der);
	const unsigned char *p = der;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	ECDSA_SIG *es = NULL;
	const BIGNUM *r, *s;
	int ok = ctx && EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) == 1 &&
		 EVP_DigestSign(ctx, der, &der_len, msg, len) == 1 &&
		 (es = d2i_ECDSA_SIG(NULL, &p, (long)der_len)) != NULL;

	EVP_MD_CTX_free(ctx);
	if (!ok)
		return GW_E_CRYPTO;
	ECDSA_SIG_get0(es, &r, &s);
	memset(sig, 0, sizeof(*sig));
	sig->sigAlg = TPM2_ALG_ECDSA;
	sig->signature.ecdsa.hash = TPM2_ALG_SHA256;
	sig->signature.ecdsa.signatureR.size = 32;
	sig->signature.ecdsa.signatureS.size = 32;
	ok = BN_bn2binpad(r, sig->signature.ecdsa.signatureR.buffer, 32) == 32 &&
	     BN_bn2binpad(s, sig->signature.ecdsa.signatureS.buffer, 32) == 32;
	ECDSA_SIG_free(es);
	return ok ? 0 : GW_E_CRYPTO;
}

uint16_t tpmdata_signature_hash(const TPMT_SIGNATURE *sig)
{
	switch (sig->sigAlg) {
	case TPM2_ALG_ECDSA:
		return sig->signature.ecdsa.hash;
	case TPM2_ALG_RSASSA:
		return sig->signature.rsassa.hash;
	case TPM2_ALG_RSAPSS:
		return sig->signature.rsapss.hash;
	default:
		return TPM2_ALG_NULL;
	}
}

static int ecdsa_der(const TPMS_SIGNATURE_ECC *s, uint8_t **der, size_t *der_len)
{
	ECDSA_SIG *sig = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(s->signatureR.buffer, s->signatureR.size, NULL);
	BIGNUM *ss = BN_bin2bn(s->signatureS.buffer, s->signatureS.size, NULL);
	unsigned char *p = NULL;
	int n;

	if (!sig || !r || !ss || !ECDSA_SIG_set0(sig, r, ss)) {
		ECDSA_SIG_free(sig);
		BN_free(r);
		BN_free(ss);
		return GW_E_CRYPTO;
	}
	n = i2d_ECDSA_SIG(sig, &p);
	ECDSA_SIG_free(sig);
	if (n <= 0)
		return GW_E_CRYPTO;
	*der = p; /* transferred: OPENSSL_free */
	*der_len = (size_t)n;
	return 0;
}

int tpmdata_verify_signature(EVP_PKEY *key, const uint8_t *msg, size_t len,
			     const TPMT_SIGNATURE *sig, gw_error *err)
{
	uint16_t halg = tpmdata_signature_hash(sig);
	const EVP_MD *md = gw_alg_md(halg);
	int key_type = EVP_PKEY_get_base_id(key);
	EVP_MD_CTX *mctx = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	uint8_t *der = NULL;
	const uint8_t *sigbuf;
	size_t siglen;
	int rc = 0;

	if (!md)
		return gw_fail(err, GW_E_UNSUPPORTED, "signature hash 0x%04x not supported", halg);
	/* SHA-1 collisions are practical: a SHA-1 signature proves nothing. */
	if (halg == TPM2_ALG_SHA1)
		return gw_fail(err, GW_E_SIGNATURE, "a SHA-1 signature is not accepted");
	switch (sig->sigAlg) {
	case TPM2_ALG_ECDSA:
		if (key_type != EVP_PKEY_EC)
			return gw_fail(err, GW_E_SIGNATURE, "ECDSA signature but the key is not ECC");
		rc = ecdsa_der(&sig->signature.ecdsa, &der, &siglen);
		if (rc)
			return rc;
		sigbuf = der;
		break;
	case TPM2_ALG_RSASSA:
	case TPM2_ALG_RSAPSS:
		if (key_type != EVP_PKEY_RSA)
			return gw_fail(err, GW_E_SIGNATURE, "RSA signature but the key is not RSA");
		sigbuf = sig->signature.rsassa.sig.buffer;
		siglen = sig->signature.rsassa.sig.size;
		break;
	default:
		return gw_fail(err, GW_E_UNSUPPORTED, "signature scheme 0x%04x not supported",
			       sig->sigAlg);
	}
	mctx = EVP_MD_CTX_new();
	if (!mctx || EVP_DigestVerifyInit(mctx, &pctx, md, NULL, key) != 1) {
		rc = GW_E_CRYPTO;
		goto out;
	}
	if (sig->sigAlg == TPM2_ALG_RSAPSS &&
	    (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
	     EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_AUTO) != 1)) {
		rc = GW_E_CRYPTO;
		goto out;
	}
	if (EVP_DigestVerify(mctx, sigbuf, siglen, msg, len) != 1)
		rc = gw_fail(err, GW_E_SIGNATURE, "signature does not verify with the given key");
out:
	EVP_MD_CTX_free(mctx);
	OPENSSL_free(der);
	return rc;
}

bool tpmdata_public_is_ak(const TPMT_PUBLIC *p)
{
	const TPMA_OBJECT need = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
				 TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_RESTRICTED |
				 TPMA_OBJECT_SIGN_ENCRYPT;

	return p->type == TPM2_ALG_ECC && p->nameAlg == TPM2_ALG_SHA256 &&
	       (p->objectAttributes & need) == need &&
	       !(p->objectAttributes & TPMA_OBJECT_DECRYPT) &&
	       p->parameters.eccDetail.curveID == TPM2_ECC_NIST_P256 &&
	       p->parameters.eccDetail.scheme.scheme == TPM2_ALG_ECDSA &&
	       p->parameters.eccDetail.scheme.details.ecdsa.hashAlg == TPM2_ALG_SHA256;
}

bool tpmdata_public_is_ek(const TPMT_PUBLIC *p)
{
	const TPMA_OBJECT need = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
				 TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_RESTRICTED |
				 TPMA_OBJECT_DECRYPT;

	return (p->type == TPM2_ALG_RSA || p->type == TPM2_ALG_ECC) &&
	       (p->objectAttributes & need) == need &&
	       !(p->objectAttributes & TPMA_OBJECT_SIGN_ENCRYPT);
}

int tpmdata_public_name(const TPMT_PUBLIC *pub, TPM2B_NAME *name)
{
	uint8_t buf[sizeof(TPMT_PUBLIC)];
	size_t off = 0;
	const struct gw_alg *a = gw_alg_by_id(pub->nameAlg);

	if (!a || Tss2_MU_TPMT_PUBLIC_Marshal(pub, buf, sizeof(buf), &off))
		return GW_E_INVAL;
	name->name[0] = (uint8_t)(pub->nameAlg >> 8);
	name->name[1] = (uint8_t)pub->nameAlg;
	if (gw_hash(pub->nameAlg, buf, off, name->name + 2))
		return GW_E_CRYPTO;
	name->size = (uint16_t)(2 + a->size);
	return 0;
}

/* The file's TPMS_PCR_SELECTION.sizeofSelect may be up to 4 (the struct's array). */
static int check_selection(const TPML_PCR_SELECTION *sel, gw_error *err)
{
	if (sel->count == 0 || sel->count > TPM2_NUM_PCR_BANKS)
		return gw_fail(err, GW_E_PARSE, "PCR selection has %u banks", sel->count);
	for (size_t i = 0; i < sel->count; i++) {
		const TPMS_PCR_SELECTION *s = &sel->pcrSelections[i];

		if (!gw_alg_by_id(s->hash))
			return gw_fail(err, GW_E_UNSUPPORTED, "PCR bank 0x%04x not supported",
				       s->hash);
		if (s->sizeofSelect > sizeof(s->pcrSelect))
			return gw_fail(err, GW_E_PARSE, "PCR selection size %u too large",
				       s->sizeofSelect);
		for (size_t j = 0; j < i; j++)
			if (sel->pcrSelections[j].hash == s->hash)
				return gw_fail(err, GW_E_PARSE, "PCR bank listed twice");
		/* Only PCRs 0-23 exist. */
		if (s->sizeofSelect == 4 && s->pcrSelect[3])
			return gw_fail(err, GW_E_PARSE, "PCR selection names PCRs above 23");
	}
	return 0;
}

int tpmdata_pcrs_file_parse(const uint8_t *buf, size_t len, struct tpmdata_pcrs *out,
			    gw_error *err)
{
	const size_t dsz = sizeof(TPML_DIGEST);
	TPML_DIGEST dig;
	uint32_t count;
	size_t need, di = 0, ci = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if (len < sizeof(TPML_PCR_SELECTION) + sizeof(uint32_t))
		return gw_fail(err, GW_E_TRUNCATED, "PCR file: %zu bytes is too short", len);
	memcpy(&out->sel, buf, sizeof(TPML_PCR_SELECTION));
	rc = check_selection(&out->sel, err);
	if (rc) {
		gw_error_prefix(err, "PCR file: ");
		return rc;
	}
	memcpy(&count, buf + sizeof(TPML_PCR_SELECTION), sizeof(count));
	if (count > 64)
		return gw_fail(err, GW_E_TOOBIG, "PCR file: %u digest lists", count);
	need = sizeof(TPML_PCR_SELECTION) + sizeof(uint32_t) + (size_t)count * dsz;
	if (len < need)
		return gw_fail(err, GW_E_TRUNCATED, "PCR file: %zu bytes, expected %zu", len, need);
	if (len > need)
		return gw_fail(err, GW_E_TRAILING, "PCR file: %zu trailing bytes", len - need);

	memset(&dig, 0, sizeof(dig));
	for (size_t b = 0; b < out->sel.count; b++) {
		const TPMS_PCR_SELECTION *s = &out->sel.pcrSelections[b];
		struct gw_pcr_bank *bank = gw_pcr_set_bank(&out->values, s->hash);

		if (!bank)
			return gw_fail(err, GW_E_PARSE, "PCR file: too many banks");
		for (unsigned p = 0; p < GW_NUM_PCRS; p++) {
			if (!gw_pcrsel_has(s, p))
				continue;
			while (ci >= dig.count) {
				if (di >= count)
					return gw_fail(err, GW_E_TRUNCATED,
						       "PCR file: fewer values than selected PCRs");
				memcpy(&dig, buf + sizeof(TPML_PCR_SELECTION) + sizeof(uint32_t) +
						     di * dsz, dsz);
				di++;
				ci = 0;
				if (dig.count > 8)
					return gw_fail(err, GW_E_PARSE,
						       "PCR file: digest list of %u entries", dig.count);
			}
			if (dig.digests[ci].size != bank->size)
				return gw_fail(err, GW_E_PARSE,
					       "PCR file: PCR %u value has %u bytes, bank needs %zu",
					       p, dig.digests[ci].size, bank->size);
			memcpy(bank->pcr[p], dig.digests[ci].buffer, bank->size);
			bank->touched |= 1u << p;
			ci++;
		}
	}
	if (ci != dig.count || di != count)
		return gw_fail(err, GW_E_TRAILING, "PCR file: more values than selected PCRs");
	return 0;
}

int tpmdata_pcrs_file_write(const struct tpmdata_pcrs *pcrs, uint8_t **out, size_t *len)
{
	size_t n = gw_pcrsel_count(&pcrs->sel);
	size_t count = (n + 7) / 8;
	size_t total = sizeof(TPML_PCR_SELECTION) + sizeof(uint32_t) + count * sizeof(TPML_DIGEST);
	uint8_t *buf = calloc(1, total);
	TPML_DIGEST *dig = NULL;
	size_t di = 0;
	uint32_t c32 = (uint32_t)count;

	if (!buf)
		return GW_E_NOMEM;
	dig = calloc(count ? count : 1, sizeof(*dig));
	if (!dig) {
		free(buf);
		return GW_E_NOMEM;
	}
	for (size_t b = 0; b < pcrs->sel.count; b++) {
		const TPMS_PCR_SELECTION *s = &pcrs->sel.pcrSelections[b];
		const struct gw_pcr_bank *bank = gw_pcr_set_find(&pcrs->values, s->hash);

		for (unsigned p = 0; p < GW_NUM_PCRS; p++) {
			TPML_DIGEST *d;

			if (!gw_pcrsel_has(s, p))
				continue;
			if (!bank) {
				free(dig);
				free(buf);
				return GW_E_INVAL;
			}
			d = &dig[di / 8];
			d->digests[d->count].size = (uint16_t)bank->size;
			memcpy(d->digests[d->count].buffer, bank->pcr[p], bank->size);
			d->count++;
			di++;
		}
	}
	memcpy(buf, &pcrs->sel, sizeof(TPML_PCR_SELECTION));
	memcpy(buf + sizeof(TPML_PCR_SELECTION), &c32, sizeof(c32));
	memcpy(buf + sizeof(TPML_PCR_SELECTION) + sizeof(uint32_t), dig, count * sizeof(*dig));
	free(dig);
	*out = buf; /* transferred */
	*len = total;
	return 0;
}

int tpmdata_pcr_digest(const struct tpmdata_pcrs *pcrs, uint16_t alg, uint8_t *out,
		       size_t *out_len, gw_error *err)
{
	const EVP_MD *md = gw_alg_md(alg);
	EVP_MD_CTX *ctx;
	unsigned int n = 0;
	int rc = 0;

	if (!md)
		return gw_fail(err, GW_E_UNSUPPORTED, "hash 0x%04x not supported", alg);
	ctx = EVP_MD_CTX_new();
	if (!ctx || !EVP_DigestInit_ex(ctx, md, NULL)) {
		rc = GW_E_CRYPTO;
		goto out;
	}
	for (size_t b = 0; b < pcrs->sel.count && b < TPM2_NUM_PCR_BANKS; b++) {
		const TPMS_PCR_SELECTION *s = &pcrs->sel.pcrSelections[b];
		const struct gw_pcr_bank *bank = gw_pcr_set_find(&pcrs->values, s->hash);

		for (unsigned p = 0; p < GW_NUM_PCRS; p++) {
			if (!gw_pcrsel_has(s, p))
				continue;
			if (!bank || !(bank->touched & (1u << p))) {
				rc = gw_fail(err, GW_E_PCRDIGEST, "no value for quoted PCR %u", p);
				goto out;
			}
			if (!EVP_DigestUpdate(ctx, bank->pcr[p], bank->size)) {
				rc = GW_E_CRYPTO;
				goto out;
			}
		}
	}
	if (!EVP_DigestFinal_ex(ctx, out, &n))
		rc = GW_E_CRYPTO;
	else
		*out_len = n;
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}
