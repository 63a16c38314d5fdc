// SPDX-License-Identifier: Apache-2.0
// TPM2_MakeCredential computed with OpenSSL: seed to the EK, then KDFa, AES-CFB, HMAC.
#include "credential.h"

#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <tss2/tss2_mu.h>

#include "digest.h"
#include "tpmdata.h"
#include "util.h"

/* The TPM's labels include their terminating NUL (Part 1 §11.4.10). KBKDF adds the
 * 0x00 separator itself, so KDFa gets them without it. */
static const char label_identity[] = "IDENTITY";
static const char label_storage[] = "STORAGE";
static const char label_integrity[] = "INTEGRITY";

/* Largest ECC coordinate we handle (P-384). */
#define MAX_COORD 48

/* KDFa (Part 1 §11.4.10.2) is SP 800-108 counter mode with HMAC-nameAlg, a 32-bit
 * counter, label || 0x00 || contextU || contextV and a 32-bit length in bits:
 * exactly OpenSSL's KBKDF with its defaults. contextV is always empty here. */
static int kdfa(uint16_t alg, const uint8_t *key, size_t key_len, const char *label,
		const uint8_t *ctx_u, size_t ctx_u_len, uint8_t *out, size_t out_len)
{
	const EVP_MD *md = gw_alg_md(alg);
	EVP_KDF *kdf = NULL;
	EVP_KDF_CTX *kctx = NULL;
	OSSL_PARAM params[7];
	size_t n = 0;
	int rc = GW_E_CRYPTO;

	if (!md)
		return GW_E_UNSUPPORTED;
	params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_MODE, (char *)"counter", 0);
	params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_MAC, (char *)"HMAC", 0);
	params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
						       (char *)EVP_MD_get0_name(md), 0);
	params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)key, key_len);
	params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)label,
							strlen(label));
	if (ctx_u_len)
		params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
								(void *)ctx_u, ctx_u_len);
	params[n] = OSSL_PARAM_construct_end();

	kdf = EVP_KDF_fetch(NULL, "KBKDF", NULL);
	if (!kdf)
		goto out;
	kctx = EVP_KDF_CTX_new(kdf);
	if (kctx && EVP_KDF_derive(kctx, out, out_len, params) == 1)
		rc = 0;
out:
	EVP_KDF_CTX_free(kctx);
	EVP_KDF_free(kdf);
	return rc;
}

/* KDFe (Part 1 §11.4.10.3) is SP 800-56A's one-step KDF with nameAlg:
 * H(counter || Z || OtherInfo), OtherInfo = label with its NUL || partyU || partyV.
 * That is OpenSSL's SSKDF with OtherInfo as its info. */
static int kdfe(uint16_t alg, const uint8_t *z, size_t z_len, const TPM2B_ECC_PARAMETER *u,
		const TPM2B_ECC_PARAMETER *v, uint8_t *out, size_t out_len)
{
	const EVP_MD *md = gw_alg_md(alg);
	uint8_t info[sizeof(label_identity) + 2 * sizeof(u->buffer)];
	size_t info_len = 0;
	EVP_KDF *kdf = NULL;
	EVP_KDF_CTX *kctx = NULL;
	OSSL_PARAM params[4];
	int rc = GW_E_CRYPTO;

	if (!md)
		return GW_E_UNSUPPORTED;
	if (u->size > sizeof(u->buffer) || v->size > sizeof(v->buffer))
		return GW_E_INVAL;
	memcpy(info, label_identity, sizeof(label_identity));
	info_len = sizeof(label_identity);
	memcpy(info + info_len, u->buffer, u->size);
	info_len += u->size;
	memcpy(info + info_len, v->buffer, v->size);
	info_len += v->size;

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
						     (char *)EVP_MD_get0_name(md), 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)z, z_len);
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, info_len);
	params[3] = OSSL_PARAM_construct_end();

	kdf = EVP_KDF_fetch(NULL, "SSKDF", NULL);
	if (!kdf)
		goto out;
	kctx = EVP_KDF_CTX_new(kdf);
	if (kctx && EVP_KDF_derive(kctx, out, out_len, params) == 1)
		rc = 0;
out:
	EVP_KDF_CTX_free(kctx);
	EVP_KDF_free(kdf);
	return rc;
}

/* The bits of an RSA modulus, leading zero bytes and bits not counted. */
static unsigned modulus_bits(const TPM2B_PUBLIC_KEY_RSA *n)
{
	for (unsigned i = 0; i < n->size; i++)
		for (unsigned b = 8; b > 0; b--)
			if (n->buffer[i] >> (b - 1) & 1)
				return (n->size - i - 1) * 8 + b;
	return 0;
}

/* Everything credential_make needs to know about the EK, checked once. */
struct ek_info {
	const struct gw_alg *name_alg;
	size_t sym_bytes;
};

static int check_inputs(const TPM2B_PUBLIC *ek, const TPM2B_NAME *ak_name, const uint8_t *secret,
			size_t secret_len, struct ek_info *info, gw_error *err)
{
	const TPMT_PUBLIC *p;
	const TPMT_SYM_DEF_OBJECT *sym;
	const struct gw_alg *a;
	const TPMA_OBJECT need = TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT;

	if (!ek || !ak_name || !secret)
		return gw_fail(err, GW_E_INVAL, "credential: missing EK, AK name or secret");
	p = &ek->publicArea;
	if (p->type == TPM2_ALG_RSA)
		sym = &p->parameters.rsaDetail.symmetric;
	else if (p->type == TPM2_ALG_ECC)
		sym = &p->parameters.eccDetail.symmetric;
	else
		return gw_fail(err, GW_E_UNSUPPORTED, "credential: EK type 0x%04x not supported",
			       p->type);
	if ((p->objectAttributes & need) != need ||
	    (p->objectAttributes & TPMA_OBJECT_SIGN_ENCRYPT))
		return gw_fail(err, GW_E_KEY,
			       "credential: EK is not a restricted decryption key (attributes 0x%08x)",
			       p->objectAttributes);
	if (p->nameAlg != TPM2_ALG_SHA256 && p->nameAlg != TPM2_ALG_SHA384)
		return gw_fail(err, GW_E_UNSUPPORTED, "credential: EK nameAlg 0x%04x not supported",
			       p->nameAlg);
	if (sym->algorithm != TPM2_ALG_AES || sym->mode.aes != TPM2_ALG_CFB ||
	    (sym->keyBits.aes != 128 && sym->keyBits.aes != 256))
		return gw_fail(err, GW_E_UNSUPPORTED,
			       "credential: EK symmetric must be AES-128 or AES-256 CFB "
			       "(alg 0x%04x, %u bits, mode 0x%04x)",
			       sym->algorithm, sym->keyBits.aes, sym->mode.aes);
	/* A TPM's RSA modulus is exactly keyBits long; RSA 1024 is not an EK we trust. */
	if (p->type == TPM2_ALG_RSA &&
	    (p->parameters.rsaDetail.keyBits < CREDENTIAL_MIN_RSA_BITS ||
	     (size_t)p->unique.rsa.size * 8 != p->parameters.rsaDetail.keyBits))
		return gw_fail(err, GW_E_KEY,
			       "credential: EK is RSA %u bits with a %u-byte modulus: an EK must "
			       "be RSA %u bits or more",
			       p->parameters.rsaDetail.keyBits, p->unique.rsa.size,
			       CREDENTIAL_MIN_RSA_BITS);
	/* ... and its top bit is set: zeros in front of a shorter modulus are not bits. */
	if (p->type == TPM2_ALG_RSA && !(p->unique.rsa.buffer[0] & 0x80))
		return gw_fail(err, GW_E_KEY,
			       "credential: EK is RSA %u bits, but its modulus has %u bits: an EK "
			       "must be RSA %u bits or more",
			       p->parameters.rsaDetail.keyBits, modulus_bits(&p->unique.rsa),
			       CREDENTIAL_MIN_RSA_BITS);
	if (p->type == TPM2_ALG_ECC && p->parameters.eccDetail.curveID != TPM2_ECC_NIST_P256 &&
	    p->parameters.eccDetail.curveID != TPM2_ECC_NIST_P384)
		return gw_fail(err, GW_E_UNSUPPORTED, "credential: EK curve 0x%04x not supported",
			       p->parameters.eccDetail.curveID);

	info->name_alg = gw_alg_by_id(p->nameAlg);
	info->sym_bytes = sym->keyBits.aes / 8u;
	/* TPM2_MakeCredential refuses a credential larger than the EK's nameAlg digest. */
	if (secret_len == 0 || secret_len > info->name_alg->size)
		return gw_fail(err, GW_E_INVAL, "credential: secret is %zu bytes, must be 1 to %zu",
			       secret_len, info->name_alg->size);
	a = ak_name->size >= 2 ? gw_alg_by_id((uint16_t)(ak_name->name[0] << 8 | ak_name->name[1]))
			       : NULL;
	if (!a || ak_name->size != 2 + a->size)
		return gw_fail(err, GW_E_INVAL,
			       "credential: AK name is not a digest name (%u bytes)", ak_name->size);
	return 0;
}

/* HMAC-nameAlg(key, a || b). */
static int hmac2(uint16_t alg, const uint8_t *key, size_t key_len, const uint8_t *a, size_t a_len,
		 const uint8_t *b, size_t b_len, uint8_t *out)
{
	const EVP_MD *md = gw_alg_md(alg);
	EVP_MAC *mac = NULL;
	EVP_MAC_CTX *ctx = NULL;
	OSSL_PARAM params[2];
	size_t len = 0;
	int rc = GW_E_CRYPTO;

	if (!md)
		return GW_E_UNSUPPORTED;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
						     (char *)EVP_MD_get0_name(md), 0);
	params[1] = OSSL_PARAM_construct_end();
	mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (!mac)
		goto out;
	ctx = EVP_MAC_CTX_new(mac);
	if (ctx && EVP_MAC_init(ctx, key, key_len, params) == 1 &&
	    EVP_MAC_update(ctx, a, a_len) == 1 && EVP_MAC_update(ctx, b, b_len) == 1 &&
	    EVP_MAC_final(ctx, out, &len, GW_MAX_DIGEST) == 1 && len == (size_t)EVP_MD_get_size(md))
		rc = 0;
out:
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return rc;
}

/* Part 1 §24.4-24.5: the blob is TPM2B_DIGEST(outerHMAC) || encIdentity, where
 * encIdentity = AES-CFB(KDFa(seed, "STORAGE", name), IV 0, TPM2B_DIGEST(secret)) and
 * outerHMAC = HMAC(KDFa(seed, "INTEGRITY"), encIdentity || name). */
static int wrap(const struct ek_info *info, const TPM2B_NAME *name, const uint8_t *secret,
		size_t secret_len, const uint8_t *seed, TPM2B_ID_OBJECT *blob)
{
	const size_t dsize = info->name_alg->size;
	uint8_t sym_key[32], hmac_key[GW_MAX_DIGEST], plain[2 + GW_MAX_DIGEST];
	uint8_t iv[16] = { 0 };
	uint8_t mac[GW_MAX_DIGEST];
	TPM2B_ID_OBJECT out;
	uint8_t *enc;
	size_t enc_len = 2 + secret_len;
	EVP_CIPHER_CTX *cctx = NULL;
	int n1 = 0, n2 = 0;
	int rc;

	memset(&out, 0, sizeof(out));
	if (2 + dsize + enc_len > sizeof(out.credential))
		return GW_E_INVAL;
	enc = out.credential + 2 + dsize;
	plain[0] = (uint8_t)(secret_len >> 8);
	plain[1] = (uint8_t)secret_len;
	memcpy(plain + 2, secret, secret_len);

	rc = kdfa(info->name_alg->id, seed, dsize, label_storage, name->name, name->size, sym_key,
		  info->sym_bytes);
	if (!rc)
		rc = kdfa(info->name_alg->id, seed, dsize, label_integrity, NULL, 0, hmac_key, dsize);
	if (rc)
		goto out;

	rc = GW_E_CRYPTO;
	cctx = EVP_CIPHER_CTX_new();
	if (!cctx ||
	    EVP_EncryptInit_ex(cctx, info->sym_bytes == 16 ? EVP_aes_128_cfb128() : EVP_aes_256_cfb128(),
			       NULL, sym_key, iv) != 1 ||
	    EVP_EncryptUpdate(cctx, enc, &n1, plain, (int)enc_len) != 1 ||
	    EVP_EncryptFinal_ex(cctx, enc + n1, &n2) != 1 || (size_t)(n1 + n2) != enc_len)
		goto out;

	rc = hmac2(info->name_alg->id, hmac_key, dsize, enc, enc_len, name->name, name->size, mac);
	if (rc)
		goto out;
	out.credential[0] = (uint8_t)(dsize >> 8);
	out.credential[1] = (uint8_t)dsize;
	memcpy(out.credential + 2, mac, dsize);
	out.size = (uint16_t)(2 + dsize + enc_len);
	*blob = out;
out:
	EVP_CIPHER_CTX_free(cctx);
	gw_wipe(sym_key, sizeof(sym_key));
	gw_wipe(hmac_key, sizeof(hmac_key));
	gw_wipe(plain, sizeof(plain));
	gw_wipe(&out, sizeof(out));
	return rc;
}

/* RSA EK: the seed is random and travels RSA-OAEP encrypted (Part 1 §B.10.3). */
static int seed_rsa(const TPM2B_PUBLIC *ek, const struct ek_info *info, uint8_t *seed,
		    TPM2B_ENCRYPTED_SECRET *enc, gw_error *err)
{
	const EVP_MD *md = gw_alg_md(info->name_alg->id);
	EVP_PKEY *key = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	OSSL_PARAM params[2];
	size_t len = sizeof(enc->secret);
	int rc;

	rc = tpmdata_public_to_pkey(&ek->publicArea, &key, err);
	if (rc)
		return rc;
	rc = GW_E_CRYPTO;
	if (RAND_priv_bytes(seed, (int)info->name_alg->size) != 1)
		goto out;
	/* The label is copied by the provider; sizeof includes the NUL the TPM expects. */
	params[0] = OSSL_PARAM_construct_octet_string(OSSL_ASYM_CIPHER_PARAM_OAEP_LABEL,
						      (void *)label_identity,
						      sizeof(label_identity));
	params[1] = OSSL_PARAM_construct_end();
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
	if (!ctx || EVP_PKEY_encrypt_init(ctx) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_oaep_md(ctx, md) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, md) <= 0 || EVP_PKEY_CTX_set_params(ctx, params) <= 0 ||
	    EVP_PKEY_encrypt(ctx, enc->secret, &len, seed, info->name_alg->size) <= 0) {
		rc = gw_fail(err, GW_E_CRYPTO, "credential: RSA-OAEP encryption of the seed failed");
		goto out;
	}
	enc->size = (uint16_t)len;
	rc = 0;
out:
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(key);
	return rc;
}

static int get_coord(const EVP_PKEY *key, const char *param, size_t csize,
		     TPM2B_ECC_PARAMETER *out)
{
	BIGNUM *bn = NULL;
	int rc = GW_E_CRYPTO;

	if (EVP_PKEY_get_bn_param(key, param, &bn) == 1 &&
	    BN_bn2binpad(bn, out->buffer, (int)csize) == (int)csize) {
		out->size = (uint16_t)csize;
		rc = 0;
	}
	BN_free(bn);
	return rc;
}

/* ECC EK: one-pass ECDH with an ephemeral key (Part 1 §C.6.4); the ephemeral
 * public point is the encrypted secret. */
static int seed_ecc(const TPM2B_PUBLIC *ek, const struct ek_info *info, uint8_t *seed,
		    TPM2B_ENCRYPTED_SECRET *enc, gw_error *err)
{
	const TPMS_ECC_PARMS *e = &ek->publicArea.parameters.eccDetail;
	const char *group = e->curveID == TPM2_ECC_NIST_P256 ? "P-256" : "P-384";
	const size_t csize = e->curveID == TPM2_ECC_NIST_P256 ? 32 : 48;
	EVP_PKEY *key = NULL, *eph = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	TPMS_ECC_POINT pt;
	uint8_t z[MAX_COORD];
	size_t z_len = sizeof(z), off = 0;
	int rc;

	memset(&pt, 0, sizeof(pt));
	rc = tpmdata_public_to_pkey(&ek->publicArea, &key, err);
	if (rc)
		return rc;
	rc = GW_E_CRYPTO;
	eph = EVP_EC_gen(group);
	if (!eph)
		goto out;
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, eph, NULL);
	if (!ctx || EVP_PKEY_derive_init(ctx) <= 0 || EVP_PKEY_derive_set_peer(ctx, key) <= 0 ||
	    EVP_PKEY_derive(ctx, z, &z_len) <= 0 || z_len != csize) {
		rc = gw_fail(err, GW_E_CRYPTO, "credential: ECDH with the EK failed");
		goto out;
	}
	if (get_coord(eph, OSSL_PKEY_PARAM_EC_PUB_X, csize, &pt.x) ||
	    get_coord(eph, OSSL_PKEY_PARAM_EC_PUB_Y, csize, &pt.y))
		goto out;
	rc = kdfe(info->name_alg->id, z, z_len, &pt.x, &ek->publicArea.unique.ecc.x, seed,
		  info->name_alg->size);
	if (rc)
		goto out;
	if (Tss2_MU_TPMS_ECC_POINT_Marshal(&pt, enc->secret, sizeof(enc->secret), &off) !=
	    TSS2_RC_SUCCESS) {
		rc = GW_E_CRYPTO;
		goto out;
	}
	enc->size = (uint16_t)off;
out:
	gw_wipe(z, sizeof(z));
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(eph);
	EVP_PKEY_free(key);
	return rc;
}

int credential_make_with_seed(const TPM2B_PUBLIC *ek, const TPM2B_NAME *ak_name,
			      const uint8_t *secret, size_t secret_len, const uint8_t *seed,
			      size_t seed_len, TPM2B_ID_OBJECT *blob, gw_error *err)
{
	struct ek_info info;
	int rc;

	rc = check_inputs(ek, ak_name, secret, secret_len, &info, err);
	if (rc)
		return rc;
	if (!seed || !blob || seed_len != info.name_alg->size)
		return gw_fail(err, GW_E_INVAL, "credential: seed must be %zu bytes",
			       info.name_alg->size);
	rc = wrap(&info, ak_name, secret, secret_len, seed, blob);
	if (rc)
		return gw_fail(err, rc, "credential: wrapping the secret failed");
	return 0;
}

int credential_make(const TPM2B_PUBLIC *ek, const TPM2B_NAME *ak_name, const uint8_t *secret,
		    size_t secret_len, TPM2B_ID_OBJECT *blob, TPM2B_ENCRYPTED_SECRET *enc_secret,
		    gw_error *err)
{
	struct ek_info info;
	uint8_t seed[GW_MAX_DIGEST];
	TPM2B_ENCRYPTED_SECRET enc;
	TPM2B_ID_OBJECT b;
	int rc;

	rc = check_inputs(ek, ak_name, secret, secret_len, &info, err);
	if (rc)
		return rc;
	if (!blob || !enc_secret)
		return gw_fail(err, GW_E_INVAL, "credential: missing output");
	memset(&enc, 0, sizeof(enc));
	if (ek->publicArea.type == TPM2_ALG_RSA)
		rc = seed_rsa(ek, &info, seed, &enc, err);
	else
		rc = seed_ecc(ek, &info, seed, &enc, err);
	if (rc)
		goto out;
	rc = wrap(&info, ak_name, secret, secret_len, seed, &b);
	if (rc) {
		rc = gw_fail(err, rc, "credential: wrapping the secret failed");
		goto out;
	}
	*blob = b;
	*enc_secret = enc;
out:
	gw_wipe(seed, sizeof(seed));
	gw_wipe(&b, sizeof(b));
	return rc;
}

/* The seed back from an RSA EK: RSA-OAEP decryption with the same label. */
static int unseed_rsa(EVP_PKEY *ek_priv, const struct ek_info *info,
		      const TPM2B_ENCRYPTED_SECRET *enc, uint8_t *seed, gw_error *err)
{
	const EVP_MD *md = gw_alg_md(info->name_alg->id);
	EVP_PKEY_CTX *ctx = NULL;
	OSSL_PARAM params[2];
	/* OpenSSL wants room for a whole modulus even though the seed is short. */
	uint8_t out[512];
	size_t len = sizeof(out);
	int rc = 0;

	params[0] = OSSL_PARAM_construct_octet_string(OSSL_ASYM_CIPHER_PARAM_OAEP_LABEL,
						      (void *)label_identity,
						      sizeof(label_identity));
	params[1] = OSSL_PARAM_construct_end();
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, ek_priv, NULL);
	if (!ctx || EVP_PKEY_decrypt_init(ctx) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_oaep_md(ctx, md) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, md) <= 0 || EVP_PKEY_CTX_set_params(ctx, params) <= 0 ||
	    EVP_PKEY_decrypt(ctx, out, &len, enc->secret, enc->size) <= 0 ||
	    len != info->name_alg->size) {
		rc = gw_fail(err, GW_E_CRYPTO, "credential: RSA-OAEP decryption of the seed failed");
		goto out;
	}
	memcpy(seed, out, len);
out:
	gw_wipe(out, sizeof(out));
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

/* The seed back from an ECC EK: ECDH of the EK's private key with the ephemeral
 * point, then the same KDFe. */
static int unseed_ecc(EVP_PKEY *ek_priv, const TPM2B_PUBLIC *ek_pub, const struct ek_info *info,
		      const TPM2B_ENCRYPTED_SECRET *enc, uint8_t *seed, gw_error *err)
{
	const size_t csize = ek_pub->publicArea.parameters.eccDetail.curveID == TPM2_ECC_NIST_P256
				     ? 32 : 48;
	TPMS_ECC_POINT pt;
	TPMT_PUBLIC eph;
	EVP_PKEY *peer = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	uint8_t z[MAX_COORD];
	size_t z_len = sizeof(z), off = 0;
	int rc;

	memset(&pt, 0, sizeof(pt));
	if (Tss2_MU_TPMS_ECC_POINT_Unmarshal(enc->secret, enc->size, &off, &pt) !=
		    TSS2_RC_SUCCESS ||
	    off != enc->size || pt.x.size != csize || pt.y.size != csize)
		return gw_fail(err, GW_E_PARSE,
			       "credential: encrypted secret is not one %zu-byte ECC point", csize);
	/* Borrow the EK's parameters so the point is checked to be on its curve. */
	eph = ek_pub->publicArea;
	eph.unique.ecc = pt;
	rc = tpmdata_public_to_pkey(&eph, &peer, err);
	if (rc)
		return rc;
	rc = GW_E_CRYPTO;
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, ek_priv, NULL);
	if (!ctx || EVP_PKEY_derive_init(ctx) <= 0 || EVP_PKEY_derive_set_peer(ctx, peer) <= 0 ||
	    EVP_PKEY_derive(ctx, z, &z_len) <= 0 || z_len != csize) {
		rc = gw_fail(err, GW_E_CRYPTO, "credential: ECDH with the ephemeral point failed");
		goto out;
	}
	rc = kdfe(info->name_alg->id, z, z_len, &pt.x, &ek_pub->publicArea.unique.ecc.x, seed,
		  info->name_alg->size);
	if (rc)
		rc = gw_fail(err, rc, "credential: KDFe failed");
out:
	gw_wipe(z, sizeof(z));
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(peer);
	return rc;
}

/* Part 1 §24.6: check outerHMAC over encIdentity || name first, in constant time,
 * and only then decrypt encIdentity and unpack TPM2B_DIGEST(secret). */
static int unwrap(const struct ek_info *info, const TPM2B_NAME *name, const uint8_t *seed,
		  const TPM2B_ID_OBJECT *blob, uint8_t *secret, size_t *secret_len,
		  gw_error *err)
{
	const size_t dsize = info->name_alg->size;
	uint8_t sym_key[32], hmac_key[GW_MAX_DIGEST], mac[GW_MAX_DIGEST];
	uint8_t plain[2 + GW_MAX_DIGEST];
	uint8_t iv[16] = { 0 };
	const uint8_t *enc;
	size_t enc_len, n;
	EVP_CIPHER_CTX *cctx = NULL;
	int n1 = 0, n2 = 0;
	int rc;

	if (blob->size > sizeof(blob->credential) || blob->size < 2 + dsize + 2 ||
	    ((size_t)blob->credential[0] << 8 | blob->credential[1]) != dsize)
		return gw_fail(err, GW_E_PARSE,
			       "credential: blob is not TPM2B_DIGEST(HMAC) || encIdentity");
	enc = blob->credential + 2 + dsize;
	enc_len = blob->size - 2 - dsize;
	if (enc_len > sizeof(plain))
		return gw_fail(err, GW_E_PARSE, "credential: encIdentity is %zu bytes, too long",
			       enc_len);

	rc = kdfa(info->name_alg->id, seed, dsize, label_integrity, NULL, 0, hmac_key, dsize);
	if (!rc)
		rc = hmac2(info->name_alg->id, hmac_key, dsize, enc, enc_len, name->name, name->size,
			   mac);
	if (rc) {
		rc = gw_fail(err, rc, "credential: computing the integrity HMAC failed");
		goto out;
	}
	if (!gw_ct_equal(mac, blob->credential + 2, dsize)) {
		rc = gw_fail(err, GW_E_SIGNATURE,
			     "credential: integrity HMAC does not match (wrong EK, AK name or blob)");
		goto out;
	}
	rc = kdfa(info->name_alg->id, seed, dsize, label_storage, name->name, name->size, sym_key,
		  info->sym_bytes);
	if (rc) {
		rc = gw_fail(err, rc, "credential: KDFa failed");
		goto out;
	}
	rc = GW_E_CRYPTO;
	cctx = EVP_CIPHER_CTX_new();
	if (!cctx ||
	    EVP_DecryptInit_ex(cctx, info->sym_bytes == 16 ? EVP_aes_128_cfb128() : EVP_aes_256_cfb128(),
			       NULL, sym_key, iv) != 1 ||
	    EVP_DecryptUpdate(cctx, plain, &n1, enc, (int)enc_len) != 1 ||
	    EVP_DecryptFinal_ex(cctx, plain + n1, &n2) != 1 || (size_t)(n1 + n2) != enc_len) {
		rc = gw_fail(err, GW_E_CRYPTO, "credential: AES-CFB decryption failed");
		goto out;
	}
	n = (size_t)plain[0] << 8 | plain[1];
	if (n == 0 || n + 2 != enc_len || n > dsize) {
		rc = gw_fail(err, GW_E_PARSE, "credential: decrypted identity has a bad size");
		goto out;
	}
	if (n > *secret_len) {
		rc = gw_fail(err, GW_E_TOOBIG, "credential: secret is %zu bytes, buffer holds %zu",
			     n, *secret_len);
		goto out;
	}
	memcpy(secret, plain + 2, n);
	*secret_len = n;
	rc = 0;
out:
	EVP_CIPHER_CTX_free(cctx);
	gw_wipe(sym_key, sizeof(sym_key));
	gw_wipe(hmac_key, sizeof(hmac_key));
	gw_wipe(mac, sizeof(mac));
	gw_wipe(plain, sizeof(plain));
	return rc;
}

int credential_activate_soft(EVP_PKEY *ek_priv, const TPM2B_PUBLIC *ek_pub,
			     const TPM2B_NAME *ak_name, const TPM2B_ID_OBJECT *blob,
			     const TPM2B_ENCRYPTED_SECRET *enc, uint8_t *secret,
			     size_t *secret_len, gw_error *err)
{
	static const uint8_t probe[1] = { 0 };
	struct ek_info info;
	EVP_PKEY *pub = NULL;
	uint8_t seed[GW_MAX_DIGEST];
	int rc;

	if (!ek_priv || !blob || !enc || !secret || !secret_len)
		return gw_fail(err, GW_E_INVAL, "credential: missing key, blob, secret or output");
	/* The same EK and name checks as credential_make (a 1-byte probe secret). */
	rc = check_inputs(ek_pub, ak_name, probe, sizeof(probe), &info, err);
	if (rc)
		return rc;
	rc = tpmdata_public_to_pkey(&ek_pub->publicArea, &pub, err);
	if (rc)
		return rc;
	if (EVP_PKEY_eq(pub, ek_priv) != 1) {
		rc = gw_fail(err, GW_E_KEY, "credential: the private key is not the EK's");
		goto out;
	}
	if (ek_pub->publicArea.type == TPM2_ALG_RSA)
		rc = unseed_rsa(ek_priv, &info, enc, seed, err);
	else
		rc = unseed_ecc(ek_priv, ek_pub, &info, enc, seed, err);
	if (!rc)
		rc = unwrap(&info, ak_name, seed, blob, secret, secret_len, err);
out:
	gw_wipe(seed, sizeof(seed));
	EVP_PKEY_free(pub);
	return rc;
}
