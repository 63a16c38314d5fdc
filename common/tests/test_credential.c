// SPDX-License-Identifier: Apache-2.0
// Unit tests for software TPM2_MakeCredential and its inverse credential_activate_soft:
// input checks, blob layout, determinism, corrupted blobs refused, and an independent
// reference unwrap written out from the spec.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rsa.h>
#include <tss2/tss2_mu.h>

#include "credential.h"
#include "digest.h"
#include "tpmdata.h"
#include "util.h"

/* A software EK: the private key for the unwrap, the TPM public area for
 * credential_make, built like the TCG EK templates L-1 and L-2. */
struct soft_ek {
	EVP_PKEY *key;
	TPM2B_PUBLIC pub;
};

static const uint8_t secret32[32] = {
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
	0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
};

static void ek_common(TPMT_PUBLIC *p, uint16_t name_alg, TPMT_SYM_DEF_OBJECT *sym,
		      uint16_t sym_bits)
{
	p->nameAlg = name_alg;
	p->objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
			      TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_ADMINWITHPOLICY |
			      TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT;
	sym->algorithm = TPM2_ALG_AES;
	sym->keyBits.aes = sym_bits;
	sym->mode.aes = TPM2_ALG_CFB;
}

static void get_bn(EVP_PKEY *key, const char *param, uint8_t *out, size_t len)
{
	BIGNUM *bn = NULL;

	assert_int_equal(EVP_PKEY_get_bn_param(key, param, &bn), 1);
	assert_int_equal(BN_bn2binpad(bn, out, (int)len), (int)len);
	BN_free(bn);
}

static void soft_ek_rsa(struct soft_ek *ek, uint16_t name_alg, uint16_t sym_bits)
{
	TPMT_PUBLIC *p = &ek->pub.publicArea;

	memset(ek, 0, sizeof(*ek));
	ek->key = EVP_RSA_gen(2048);
	assert_non_null(ek->key);
	p->type = TPM2_ALG_RSA;
	ek_common(p, name_alg, &p->parameters.rsaDetail.symmetric, sym_bits);
	p->parameters.rsaDetail.scheme.scheme = TPM2_ALG_NULL;
	p->parameters.rsaDetail.keyBits = 2048;
	p->unique.rsa.size = 256;
	get_bn(ek->key, OSSL_PKEY_PARAM_RSA_N, p->unique.rsa.buffer, 256);
}

static void soft_ek_ecc(struct soft_ek *ek, uint16_t curve, uint16_t name_alg, uint16_t sym_bits)
{
	TPMT_PUBLIC *p = &ek->pub.publicArea;
	size_t csize = curve == TPM2_ECC_NIST_P256 ? 32 : 48;

	memset(ek, 0, sizeof(*ek));
	ek->key = EVP_EC_gen(curve == TPM2_ECC_NIST_P256 ? "P-256" : "P-384");
	assert_non_null(ek->key);
	p->type = TPM2_ALG_ECC;
	ek_common(p, name_alg, &p->parameters.eccDetail.symmetric, sym_bits);
	p->parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
	p->parameters.eccDetail.curveID = curve;
	p->parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
	p->unique.ecc.x.size = (uint16_t)csize;
	p->unique.ecc.y.size = (uint16_t)csize;
	get_bn(ek->key, OSSL_PKEY_PARAM_EC_PUB_X, p->unique.ecc.x.buffer, csize);
	get_bn(ek->key, OSSL_PKEY_PARAM_EC_PUB_Y, p->unique.ecc.y.buffer, csize);
}

/* The name of an AK-like ECC key (any public area will do for a name). */
static void ak_name(TPM2B_NAME *name, uint8_t salt)
{
	TPMT_PUBLIC p;

	memset(&p, 0, sizeof(p));
	p.type = TPM2_ALG_ECC;
	p.nameAlg = TPM2_ALG_SHA256;
	p.objectAttributes = TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT;
	p.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
	p.parameters.eccDetail.scheme.scheme = TPM2_ALG_ECDSA;
	p.parameters.eccDetail.scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
	p.parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
	p.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
	p.unique.ecc.x.size = 32;
	p.unique.ecc.y.size = 32;
	memset(p.unique.ecc.x.buffer, salt, 32);
	assert_int_equal(tpmdata_public_name(&p, name), 0);
	assert_int_equal(name->size, 34);
}

/* ------------------------------------------------------------------------------
 * An independent unwrap: KDFa and KDFe written out from Part 1 §11.4.10 with plain
 * HMAC and digest calls, so a mistake in credential.c's use of KBKDF/SSKDF shows. */

static void be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void ref_kdfa(const EVP_MD *md, const uint8_t *key, size_t key_len, const char *label,
		     const uint8_t *ctx, size_t ctx_len, uint8_t *out, size_t out_len)
{
	size_t dsize = (size_t)EVP_MD_get_size(md), done = 0;

	for (uint32_t i = 1; done < out_len; i++) {
		uint8_t msg[256], h[EVP_MAX_MD_SIZE];
		size_t m = 0, n;
		unsigned int hl = 0;

		be32(msg, i);
		m = 4;
		memcpy(msg + m, label, strlen(label) + 1);
		m += strlen(label) + 1;
		if (ctx_len)
			memcpy(msg + m, ctx, ctx_len);
		m += ctx_len;
		be32(msg + m, (uint32_t)(out_len * 8));
		m += 4;
		assert_non_null(HMAC(md, key, (int)key_len, msg, m, h, &hl));
		n = out_len - done < dsize ? out_len - done : dsize;
		memcpy(out + done, h, n);
		done += n;
	}
}

static size_t ref_seed_ecc(const struct soft_ek *ek, const EVP_MD *md,
			   const TPM2B_ENCRYPTED_SECRET *enc, uint8_t *seed)
{
	TPMS_ECC_POINT pt;
	TPMT_PUBLIC eph;
	EVP_PKEY *peer = NULL;
	EVP_PKEY_CTX *ctx;
	uint8_t z[64], msg[512];
	size_t off = 0, z_len = sizeof(z), m = 0;
	unsigned int sl = 0;

	memset(&pt, 0, sizeof(pt));
	assert_int_equal(Tss2_MU_TPMS_ECC_POINT_Unmarshal(enc->secret, enc->size, &off, &pt), 0);
	assert_int_equal(off, enc->size);
	/* Coordinates come padded to the curve size. */
	assert_int_equal(pt.x.size, ek->pub.publicArea.unique.ecc.x.size);
	assert_int_equal(pt.y.size, ek->pub.publicArea.unique.ecc.y.size);
	eph = ek->pub.publicArea;
	eph.unique.ecc = pt;
	assert_int_equal(tpmdata_public_to_pkey(&eph, &peer, NULL), 0);
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, ek->key, NULL);
	assert_non_null(ctx);
	assert_int_equal(EVP_PKEY_derive_init(ctx), 1);
	assert_int_equal(EVP_PKEY_derive_set_peer(ctx, peer), 1);
	assert_int_equal(EVP_PKEY_derive(ctx, z, &z_len), 1);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(peer);

	/* The seed is one digest long, so KDFe is a single hash. */
	be32(msg, 1);
	m = 4;
	memcpy(msg + m, z, z_len);
	m += z_len;
	memcpy(msg + m, "IDENTITY", 9);
	m += 9;
	memcpy(msg + m, pt.x.buffer, pt.x.size);
	m += pt.x.size;
	memcpy(msg + m, ek->pub.publicArea.unique.ecc.x.buffer, ek->pub.publicArea.unique.ecc.x.size);
	m += ek->pub.publicArea.unique.ecc.x.size;
	assert_int_equal(EVP_Digest(msg, m, seed, &sl, md, NULL), 1);
	return sl;
}

static size_t ref_seed_rsa(const struct soft_ek *ek, const EVP_MD *md,
			   const TPM2B_ENCRYPTED_SECRET *enc, uint8_t *seed)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, ek->key, NULL);
	OSSL_PARAM params[2];
	uint8_t out[256];
	size_t len = sizeof(out);

	assert_int_equal(enc->size, 256);
	params[0] = OSSL_PARAM_construct_octet_string(OSSL_ASYM_CIPHER_PARAM_OAEP_LABEL,
						      (void *)"IDENTITY", 9);
	params[1] = OSSL_PARAM_construct_end();
	assert_non_null(ctx);
	assert_int_equal(EVP_PKEY_decrypt_init(ctx), 1);
	assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING), 1);
	assert_int_equal(EVP_PKEY_CTX_set_rsa_oaep_md(ctx, md), 1);
	assert_int_equal(EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, md), 1);
	assert_int_equal(EVP_PKEY_CTX_set_params(ctx, params), 1);
	/* OpenSSL wants room for a whole modulus even though the seed is short. */
	assert_int_equal(EVP_PKEY_decrypt(ctx, out, &len, enc->secret, enc->size), 1);
	EVP_PKEY_CTX_free(ctx);
	assert_true(len <= 64);
	memcpy(seed, out, len);
	return len;
}

/* Software TPM2_ActivateCredential from a known seed; returns the secret length. */
static size_t ref_unwrap(const TPMT_PUBLIC *ek, const uint8_t *seed, const TPM2B_NAME *name,
			 const TPM2B_ID_OBJECT *blob, uint8_t *secret)
{
	const EVP_MD *md = gw_alg_md(ek->nameAlg);
	const TPMT_SYM_DEF_OBJECT *sym = ek->type == TPM2_ALG_RSA ?
						 &ek->parameters.rsaDetail.symmetric :
						 &ek->parameters.eccDetail.symmetric;
	size_t dsize = (size_t)EVP_MD_get_size(md), klen = sym->keyBits.aes / 8u;
	uint8_t sym_key[32], hmac_key[64], mac[64], iv[16] = { 0 }, plain[128], msg[256];
	const uint8_t *enc;
	size_t enc_len;
	unsigned int ml = 0;
	EVP_CIPHER_CTX *c;
	int n = 0;

	assert_true(blob->size > 2 + dsize + 2);
	assert_int_equal((blob->credential[0] << 8) | blob->credential[1], dsize);
	enc = blob->credential + 2 + dsize;
	enc_len = blob->size - 2 - dsize;

	ref_kdfa(md, seed, dsize, "INTEGRITY", NULL, 0, hmac_key, dsize);
	memcpy(msg, enc, enc_len);
	memcpy(msg + enc_len, name->name, name->size);
	assert_non_null(HMAC(md, hmac_key, (int)dsize, msg, enc_len + name->size, mac, &ml));
	assert_memory_equal(mac, blob->credential + 2, dsize);

	ref_kdfa(md, seed, dsize, "STORAGE", name->name, name->size, sym_key, klen);
	c = EVP_CIPHER_CTX_new();
	assert_non_null(c);
	assert_int_equal(EVP_DecryptInit_ex(c, klen == 16 ? EVP_aes_128_cfb128() :
							     EVP_aes_256_cfb128(),
					    NULL, sym_key, iv),
			 1);
	assert_int_equal(EVP_DecryptUpdate(c, plain, &n, enc, (int)enc_len), 1);
	EVP_CIPHER_CTX_free(c);
	assert_int_equal((size_t)n, enc_len);
	assert_int_equal(((size_t)plain[0] << 8 | plain[1]) + 2, enc_len);
	memcpy(secret, plain + 2, enc_len - 2);
	return enc_len - 2;
}

/* credential_make, then unwrap with the private key and compare; also check that
 * the seed recovered reproduces the blob through credential_make_with_seed. */
static void round_trip(struct soft_ek *ek, size_t secret_len)
{
	const EVP_MD *md = gw_alg_md(ek->pub.publicArea.nameAlg);
	size_t dsize = (size_t)EVP_MD_get_size(md), seed_len;
	TPM2B_NAME name;
	TPM2B_ID_OBJECT blob, again;
	TPM2B_ENCRYPTED_SECRET enc;
	uint8_t seed[64], got[64];
	gw_error err = { { 0 } };
	int rc;

	ak_name(&name, 0x5a);
	rc = credential_make(&ek->pub, &name, secret32, secret_len, &blob, &enc, &err);
	if (rc)
		fail_msg("credential_make: %s", gw_error_msg(&err, rc));
	/* TPM2B_DIGEST(hmac) || AES-CFB(TPM2B_DIGEST(secret)): CFB keeps the length. */
	assert_int_equal(blob.size, 2 + dsize + 2 + secret_len);
	if (ek->pub.publicArea.type == TPM2_ALG_RSA) {
		seed_len = ref_seed_rsa(ek, md, &enc, seed);
	} else {
		size_t c = ek->pub.publicArea.unique.ecc.x.size;

		assert_int_equal(enc.size, 2 + c + 2 + c);
		seed_len = ref_seed_ecc(ek, md, &enc, seed);
	}
	assert_int_equal(seed_len, dsize);
	assert_int_equal(ref_unwrap(&ek->pub.publicArea, seed, &name, &blob, got), secret_len);
	assert_memory_equal(got, secret32, secret_len);

	assert_int_equal(credential_make_with_seed(&ek->pub, &name, secret32, secret_len, seed,
						   seed_len, &again, NULL),
			 0);
	assert_int_equal(again.size, blob.size);
	assert_memory_equal(again.credential, blob.credential, blob.size);

	/* The library's own unwrap agrees with the reference. */
	memset(got, 0, sizeof(got));
	seed_len = sizeof(got);
	rc = credential_activate_soft(ek->key, &ek->pub, &name, &blob, &enc, got, &seed_len, &err);
	if (rc)
		fail_msg("credential_activate_soft: %s", gw_error_msg(&err, rc));
	assert_int_equal(seed_len, secret_len);
	assert_memory_equal(got, secret32, secret_len);
	EVP_PKEY_free(ek->key);
}

static void test_rsa_round_trip(void **state)
{
	struct soft_ek ek;

	(void)state;
	soft_ek_rsa(&ek, TPM2_ALG_SHA256, 128);
	round_trip(&ek, 32);
}

static void test_rsa_aes256_sha384(void **state)
{
	struct soft_ek ek;

	(void)state;
	soft_ek_rsa(&ek, TPM2_ALG_SHA384, 256);
	round_trip(&ek, 16);
}

static void test_ecc_p256_round_trip(void **state)
{
	struct soft_ek ek;

	(void)state;
	soft_ek_ecc(&ek, TPM2_ECC_NIST_P256, TPM2_ALG_SHA256, 128);
	round_trip(&ek, 32);
}

static void test_ecc_p384_round_trip(void **state)
{
	struct soft_ek ek;

	(void)state;
	soft_ek_ecc(&ek, TPM2_ECC_NIST_P384, TPM2_ALG_SHA384, 256);
	round_trip(&ek, 1);
}

static void test_fresh_seed_each_time(void **state)
{
	struct soft_ek ek;
	TPM2B_NAME name;
	TPM2B_ID_OBJECT b1, b2;
	TPM2B_ENCRYPTED_SECRET e1, e2;

	(void)state;
	soft_ek_ecc(&ek, TPM2_ECC_NIST_P256, TPM2_ALG_SHA256, 128);
	ak_name(&name, 1);
	assert_int_equal(credential_make(&ek.pub, &name, secret32, 32, &b1, &e1, NULL), 0);
	assert_int_equal(credential_make(&ek.pub, &name, secret32, 32, &b2, &e2, NULL), 0);
	assert_int_equal(b1.size, b2.size);
	assert_memory_not_equal(b1.credential, b2.credential, b1.size);
	assert_memory_not_equal(e1.secret, e2.secret, e1.size);
	EVP_PKEY_free(ek.key);
}

/* With a fixed seed the blob is a function of (EK params, name, secret). */
static void test_with_seed_deterministic(void **state)
{
	struct soft_ek ek;
	TPM2B_NAME n1, n2;
	TPM2B_ID_OBJECT b1, b2, b3;
	uint8_t seed[32], got[64];

	(void)state;
	memset(seed, 0x42, sizeof(seed));
	soft_ek_ecc(&ek, TPM2_ECC_NIST_P256, TPM2_ALG_SHA256, 128);
	ak_name(&n1, 1);
	ak_name(&n2, 2);
	assert_int_equal(credential_make_with_seed(&ek.pub, &n1, secret32, 32, seed, 32, &b1, NULL), 0);
	assert_int_equal(credential_make_with_seed(&ek.pub, &n1, secret32, 32, seed, 32, &b2, NULL), 0);
	assert_int_equal(b1.size, 68);
	assert_memory_equal(b1.credential, b2.credential, b1.size);
	/* Another name changes the key and the HMAC. */
	assert_int_equal(credential_make_with_seed(&ek.pub, &n2, secret32, 32, seed, 32, &b3, NULL), 0);
	assert_memory_not_equal(b1.credential, b3.credential, 2 + 32);
	assert_memory_not_equal(b1.credential + 34, b3.credential + 34, 34);
	assert_int_equal(ref_unwrap(&ek.pub.publicArea, seed, &n2, &b3, got), 32);
	assert_memory_equal(got, secret32, 32);
	/* Wrong seed length. */
	assert_int_equal(credential_make_with_seed(&ek.pub, &n1, secret32, 32, seed, 31, &b3, NULL),
			 GW_E_INVAL);
	EVP_PKEY_free(ek.key);
}

/* Every rejected input: code, message and outputs left untouched. */
static void expect_reject(const TPM2B_PUBLIC *ek, const TPM2B_NAME *name, const uint8_t *secret,
			  size_t secret_len, int want, const char *msg)
{
	TPM2B_ID_OBJECT blob;
	TPM2B_ENCRYPTED_SECRET enc;
	gw_error err = { { 0 } };

	memset(&blob, 0xaa, sizeof(blob));
	memset(&enc, 0xaa, sizeof(enc));
	assert_int_equal(credential_make(ek, name, secret, secret_len, &blob, &enc, &err), want);
	if (!strstr(err.msg, msg))
		fail_msg("message '%s' does not mention '%s'", err.msg, msg);
	assert_int_equal(blob.size, 0xaaaa);
	assert_int_equal(enc.size, 0xaaaa);
}

static void test_rejects(void **state)
{
	struct soft_ek rsa, ecc;
	TPM2B_PUBLIC p;
	TPM2B_NAME name, bad;
	uint8_t big[65] = { 0 };

	(void)state;
	soft_ek_rsa(&rsa, TPM2_ALG_SHA256, 128);
	soft_ek_ecc(&ecc, TPM2_ECC_NIST_P256, TPM2_ALG_SHA256, 128);
	ak_name(&name, 1);

	expect_reject(NULL, &name, secret32, 32, GW_E_INVAL, "missing");
	expect_reject(&rsa.pub, NULL, secret32, 32, GW_E_INVAL, "missing");
	expect_reject(&rsa.pub, &name, NULL, 32, GW_E_INVAL, "missing");
	expect_reject(&rsa.pub, &name, secret32, 0, GW_E_INVAL, "secret is 0 bytes");
	expect_reject(&rsa.pub, &name, big, 33, GW_E_INVAL, "must be 1 to 32");
	expect_reject(&rsa.pub, &name, big, 65, GW_E_INVAL, "secret is 65 bytes");

	/* RSA 1024 (keyBits and modulus), and keyBits that disagree with the modulus. */
	p = rsa.pub;
	p.publicArea.parameters.rsaDetail.keyBits = 1024;
	p.publicArea.unique.rsa.size = 128;
	expect_reject(&p, &name, secret32, 32, GW_E_KEY,
		      "EK is RSA 1024 bits with a 128-byte modulus: an EK must be RSA 2048");
	p = rsa.pub;
	p.publicArea.unique.rsa.size = 128;
	expect_reject(&p, &name, secret32, 32, GW_E_KEY, "RSA 2048 bits with a 128-byte modulus");
	p = rsa.pub;
	p.publicArea.parameters.rsaDetail.keyBits = 1024;
	expect_reject(&p, &name, secret32, 32, GW_E_KEY, "RSA 1024 bits with a 256-byte modulus");
	/* A 1024-bit modulus zero-padded to keyBits 2048's 256 bytes. */
	p = rsa.pub;
	memset(p.publicArea.unique.rsa.buffer, 0, 128);
	p.publicArea.unique.rsa.buffer[128] |= 0x80;
	expect_reject(&p, &name, secret32, 32, GW_E_KEY,
		      "EK is RSA 2048 bits, but its modulus has 1024 bits");

	bad = name;
	bad.size = 33;
	expect_reject(&rsa.pub, &bad, secret32, 32, GW_E_INVAL, "AK name");
	bad = name;
	bad.name[1] = 0x0c; /* sha384 id with a sha256-sized digest */
	expect_reject(&rsa.pub, &bad, secret32, 32, GW_E_INVAL, "AK name");
	bad.size = 4; /* a handle, not a digest name */
	memset(bad.name, 0x40, 4);
	expect_reject(&ecc.pub, &bad, secret32, 32, GW_E_INVAL, "AK name");

	p = rsa.pub;
	p.publicArea.objectAttributes &= ~TPMA_OBJECT_RESTRICTED;
	expect_reject(&p, &name, secret32, 32, GW_E_KEY, "restricted decryption");
	p = ecc.pub;
	p.publicArea.objectAttributes |= TPMA_OBJECT_SIGN_ENCRYPT;
	expect_reject(&p, &name, secret32, 32, GW_E_KEY, "restricted decryption");
	p = ecc.pub;
	p.publicArea.objectAttributes &= ~TPMA_OBJECT_DECRYPT;
	expect_reject(&p, &name, secret32, 32, GW_E_KEY, "restricted decryption");

	p = rsa.pub;
	p.publicArea.nameAlg = TPM2_ALG_SHA1;
	expect_reject(&p, &name, secret32, 20, GW_E_UNSUPPORTED, "nameAlg");
	p = rsa.pub;
	p.publicArea.parameters.rsaDetail.symmetric.keyBits.aes = 192;
	expect_reject(&p, &name, secret32, 32, GW_E_UNSUPPORTED, "AES-128 or AES-256 CFB");
	p = rsa.pub;
	p.publicArea.parameters.rsaDetail.symmetric.mode.aes = TPM2_ALG_CBC;
	expect_reject(&p, &name, secret32, 32, GW_E_UNSUPPORTED, "CFB");
	p = ecc.pub;
	p.publicArea.parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
	expect_reject(&p, &name, secret32, 32, GW_E_UNSUPPORTED, "symmetric");
	p = ecc.pub;
	p.publicArea.parameters.eccDetail.curveID = TPM2_ECC_NIST_P521;
	expect_reject(&p, &name, secret32, 32, GW_E_UNSUPPORTED, "curve");
	p = ecc.pub;
	p.publicArea.type = TPM2_ALG_KEYEDHASH;
	expect_reject(&p, &name, secret32, 32, GW_E_UNSUPPORTED, "type");

	/* Well-formed parameters but no valid key: not a point on the curve. */
	p = ecc.pub;
	p.publicArea.unique.ecc.y.buffer[31] ^= 1;
	expect_reject(&p, &name, secret32, 32, GW_E_KEY, "not a point");

	EVP_PKEY_free(rsa.key);
	EVP_PKEY_free(ecc.key);
}

/* credential_activate_soft refuses, with out untouched, and says why. */
static void expect_activate_fail(const struct soft_ek *ek, EVP_PKEY *key, const TPM2B_NAME *name,
				 const TPM2B_ID_OBJECT *blob, const TPM2B_ENCRYPTED_SECRET *enc,
				 size_t cap, int want1, int want2)
{
	uint8_t out[64];
	size_t len = cap;
	gw_error err = { { 0 } };
	int rc;

	memset(out, 0xaa, sizeof(out));
	rc = credential_activate_soft(key, &ek->pub, name, blob, enc, out, &len, &err);
	if (rc != want1 && rc != want2)
		fail_msg("got %d (%s), want %d or %d", rc, gw_error_msg(&err, rc), want1, want2);
	assert_true(err.msg[0] != '\0');
	assert_int_equal(len, cap);
	for (size_t i = 0; i < sizeof(out); i++)
		assert_int_equal(out[i], 0xaa);
}

static void activate_rejects(struct soft_ek *ek)
{
	struct soft_ek other;
	TPM2B_NAME name, name2;
	TPM2B_ID_OBJECT blob, b;
	TPM2B_ENCRYPTED_SECRET enc, e;
	size_t dsize = gw_alg_by_id(ek->pub.publicArea.nameAlg)->size;

	ak_name(&name, 7);
	ak_name(&name2, 8);
	assert_int_equal(credential_make(&ek->pub, &name, secret32, 16, &blob, &enc, NULL), 0);

	/* Every byte of the HMAC and of encIdentity is covered by the HMAC. */
	for (size_t i = 2; i < blob.size; i++) {
		b = blob;
		b.credential[i] ^= 0x01;
		expect_activate_fail(ek, ek->key, &name, &b, &enc, 64, GW_E_SIGNATURE, GW_E_SIGNATURE);
	}
	/* Another AK's name: the credential is bound to the AK it was made for. */
	expect_activate_fail(ek, ek->key, &name2, &blob, &enc, 64, GW_E_SIGNATURE, GW_E_SIGNATURE);
	/* Malformed blobs: wrong HMAC size prefix, too short, oversized. */
	b = blob;
	b.credential[1] ^= 0x04;
	expect_activate_fail(ek, ek->key, &name, &b, &enc, 64, GW_E_PARSE, GW_E_PARSE);
	b = blob;
	b.size = (uint16_t)(2 + dsize + 1);
	expect_activate_fail(ek, ek->key, &name, &b, &enc, 64, GW_E_PARSE, GW_E_PARSE);
	b = blob;
	b.size = sizeof(b.credential) + 1;
	expect_activate_fail(ek, ek->key, &name, &b, &enc, 64, GW_E_PARSE, GW_E_PARSE);
	/* A tampered encrypted secret: OAEP fails (RSA), or another point gives another
	 * seed and the HMAC fails, or it is not on the curve at all (ECC). */
	e = enc;
	e.secret[e.size - 1] ^= 0x01;
	expect_activate_fail(ek, ek->key, &name, &blob, &e, 64, GW_E_CRYPTO,
			     ek->pub.publicArea.type == TPM2_ALG_RSA ? GW_E_CRYPTO : GW_E_KEY);
	e = enc;
	e.size--;
	expect_activate_fail(ek, ek->key, &name, &blob, &e, 64, GW_E_CRYPTO, GW_E_PARSE);
	/* The secret does not fit the caller's buffer. */
	expect_activate_fail(ek, ek->key, &name, &blob, &enc, 15, GW_E_TOOBIG, GW_E_TOOBIG);
	/* Someone else's private key. */
	if (ek->pub.publicArea.type == TPM2_ALG_RSA)
		soft_ek_rsa(&other, ek->pub.publicArea.nameAlg, 128);
	else
		soft_ek_ecc(&other, ek->pub.publicArea.parameters.eccDetail.curveID,
			    ek->pub.publicArea.nameAlg, 128);
	expect_activate_fail(ek, other.key, &name, &blob, &enc, 64, GW_E_KEY, GW_E_KEY);
	EVP_PKEY_free(other.key);
	/* NULL arguments. */
	expect_activate_fail(ek, NULL, &name, &blob, &enc, 64, GW_E_INVAL, GW_E_INVAL);
	expect_activate_fail(ek, ek->key, NULL, &blob, &enc, 64, GW_E_INVAL, GW_E_INVAL);
	expect_activate_fail(ek, ek->key, &name, NULL, &enc, 64, GW_E_INVAL, GW_E_INVAL);
	expect_activate_fail(ek, ek->key, &name, &blob, NULL, 64, GW_E_INVAL, GW_E_INVAL);
	EVP_PKEY_free(ek->key);
}

static void test_activate_rejects_rsa(void **state)
{
	struct soft_ek ek;

	(void)state;
	soft_ek_rsa(&ek, TPM2_ALG_SHA256, 128);
	activate_rejects(&ek);
}

static void test_activate_rejects_ecc(void **state)
{
	struct soft_ek ek;

	(void)state;
	soft_ek_ecc(&ek, TPM2_ECC_NIST_P256, TPM2_ALG_SHA256, 128);
	activate_rejects(&ek);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rsa_round_trip),
		cmocka_unit_test(test_rsa_aes256_sha384),
		cmocka_unit_test(test_ecc_p256_round_trip),
		cmocka_unit_test(test_ecc_p384_round_trip),
		cmocka_unit_test(test_fresh_seed_each_time),
		cmocka_unit_test(test_with_seed_deterministic),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_activate_rejects_rsa),
		cmocka_unit_test(test_activate_rejects_ecc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
