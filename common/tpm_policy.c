// SPDX-License-Identifier: Apache-2.0
// The update key's template and PolicySigned gate in software: digests, names,
// template checks and the TPM2_CertifyCreation check the verifier runs.
#include "tpm_policy.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <tss2/tss2_mu.h>

#include "digest.h"
#include "tpm_attest.h"
#include "tpmdata.h"
#include "util.h"

static const char gate_ref_text[] = "gatewarden update gate v1";

void tpm_policy_gate_ref(uint8_t out[TPM_POLICY_DIGEST_LEN])
{
	/* SHA-256 of a constant cannot fail short of a broken libcrypto. */
	if (gw_hash(TPM2_ALG_SHA256, gate_ref_text, sizeof(gate_ref_text) - 1, out))
		memset(out, 0, TPM_POLICY_DIGEST_LEN);
}

int tpm_policy_name(const TPMT_PUBLIC *pub, TPM2B_NAME *out)
{
	return tpmdata_public_name(pub, out);
}

/* The 65-byte uncompressed point of a P-256 key; GW_E_KEY for any other key. */
static int p256_point(EVP_PKEY *key, uint8_t point[TPM_POLICY_POINT_LEN], gw_error *err)
{
	char group[32];
	size_t glen = 0, plen = 0;

	if (!key || EVP_PKEY_get_base_id(key) != EVP_PKEY_EC ||
	    !EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
					    &glen) ||
	    strcmp(group, "prime256v1") != 0)
		return gw_fail(err, GW_E_KEY, "the gate key is not an ECC P-256 key");
	if (!EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, point,
					     TPM_POLICY_POINT_LEN, &plen) ||
	    plen != TPM_POLICY_POINT_LEN || point[0] != 0x04)
		return gw_fail(err, GW_E_KEY, "the gate key's point is not uncompressed P-256");
	return 0;
}

int tpm_policy_gate_public(EVP_PKEY *key, TPM2B_PUBLIC *out, gw_error *err)
{
	uint8_t point[TPM_POLICY_POINT_LEN];
	TPMT_PUBLIC *p = &out->publicArea;
	int rc = p256_point(key, point, err);

	if (rc)
		return rc;
	memset(out, 0, sizeof(*out));
	p->type = TPM2_ALG_ECC;
	p->nameAlg = TPM2_ALG_SHA256;
	p->objectAttributes = TPMA_OBJECT_SIGN_ENCRYPT | TPMA_OBJECT_USERWITHAUTH;
	p->parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
	p->parameters.eccDetail.scheme.scheme = TPM2_ALG_ECDSA;
	p->parameters.eccDetail.scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
	p->parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
	p->parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
	p->unique.ecc.x.size = 32;
	p->unique.ecc.y.size = 32;
	memcpy(p->unique.ecc.x.buffer, point + 1, 32);
	memcpy(p->unique.ecc.y.buffer, point + 33, 32);
	return 0;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

int tpm_policy_signed_digest(const TPM2B_NAME *gate_name, const uint8_t *ref, size_t ref_len,
			     uint8_t out[TPM_POLICY_DIGEST_LEN])
{
	uint8_t buf[TPM_POLICY_DIGEST_LEN + 4 + sizeof(gate_name->name)];
	size_t off = TPM_POLICY_DIGEST_LEN;
	uint8_t d[TPM_POLICY_DIGEST_LEN];

	if (!gate_name || gate_name->size > sizeof(gate_name->name) ||
	    ref_len > TPM_POLICY_DIGEST_LEN || (ref_len && !ref))
		return GW_E_INVAL;
	/* A trial session starts at all zeros. */
	memset(buf, 0, TPM_POLICY_DIGEST_LEN);
	put_be32(buf + off, TPM2_CC_PolicySigned);
	off += 4;
	memcpy(buf + off, gate_name->name, gate_name->size);
	off += gate_name->size;
	if (gw_hash(TPM2_ALG_SHA256, buf, off, d))
		return GW_E_CRYPTO;
	memcpy(buf, d, sizeof(d));
	if (ref_len)
		memcpy(buf + TPM_POLICY_DIGEST_LEN, ref, ref_len);
	if (gw_hash(TPM2_ALG_SHA256, buf, TPM_POLICY_DIGEST_LEN + ref_len, out))
		return GW_E_CRYPTO;
	return 0;
}

int tpm_policy_update_key_policy(EVP_PKEY *gate_key, uint8_t out[TPM_POLICY_DIGEST_LEN],
				 gw_error *err)
{
	TPM2B_PUBLIC pub;
	TPM2B_NAME name;
	uint8_t ref[TPM_POLICY_DIGEST_LEN];
	int rc = tpm_policy_gate_public(gate_key, &pub, err);

	if (rc)
		return rc;
	if (tpm_policy_name(&pub.publicArea, &name))
		return gw_fail(err, GW_E_CRYPTO, "computing the gate key's TPM name");
	tpm_policy_gate_ref(ref);
	if (tpm_policy_signed_digest(&name, ref, sizeof(ref), out))
		return gw_fail(err, GW_E_CRYPTO, "computing the update key's policy");
	return 0;
}

#define UPDATE_KEY_ATTRS                                                                 \
	(TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN | \
	 TPMA_OBJECT_DECRYPT | TPMA_OBJECT_NODA | TPMA_OBJECT_ADMINWITHPOLICY)

void tpm_policy_update_key_template(const uint8_t policy[TPM_POLICY_DIGEST_LEN],
				    TPM2B_PUBLIC *out)
{
	TPMT_PUBLIC *p = &out->publicArea;

	memset(out, 0, sizeof(*out));
	p->type = TPM2_ALG_ECC;
	p->nameAlg = TPM2_ALG_SHA256;
	/* userWithAuth clear: no password opens it, only the policy. noDA: its auth
	 * is a policy with a signature, no secret to guess, and a gateway's power
	 * losses must not lock it out. */
	p->objectAttributes = UPDATE_KEY_ATTRS;
	p->authPolicy.size = TPM_POLICY_DIGEST_LEN;
	memcpy(p->authPolicy.buffer, policy, TPM_POLICY_DIGEST_LEN);
	p->parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
	p->parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
	p->parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
	p->parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
}

int tpm_policy_check_update_key(const TPM2B_PUBLIC *pub,
				const uint8_t policy[TPM_POLICY_DIGEST_LEN], gw_error *err)
{
	const TPMT_PUBLIC *p = &pub->publicArea;
	const TPMS_ECC_PARMS *e = &p->parameters.eccDetail;
	EVP_PKEY *key = NULL;
	int rc;

	if (p->type != TPM2_ALG_ECC)
		return gw_fail(err, GW_E_KEY, "update key: type 0x%04x is not ECC", p->type);
	if (p->nameAlg != TPM2_ALG_SHA256)
		return gw_fail(err, GW_E_KEY, "update key: nameAlg 0x%04x is not SHA-256",
			       p->nameAlg);
	if (p->objectAttributes != UPDATE_KEY_ATTRS)
		return gw_fail(err, GW_E_KEY,
			       "update key: attributes 0x%08x, expected 0x%08x (fixedTPM, "
			       "fixedParent, sensitiveDataOrigin, decrypt, noDA, "
			       "adminWithPolicy only)",
			       p->objectAttributes, (unsigned)UPDATE_KEY_ATTRS);
	if (e->curveID != TPM2_ECC_NIST_P256)
		return gw_fail(err, GW_E_KEY, "update key: curve 0x%04x is not NIST P-256",
			       e->curveID);
	if (e->symmetric.algorithm != TPM2_ALG_NULL || e->scheme.scheme != TPM2_ALG_NULL ||
	    e->kdf.scheme != TPM2_ALG_NULL)
		return gw_fail(err, GW_E_KEY,
			       "update key: symmetric, scheme and kdf must be NULL (ECDH key)");
	if (p->authPolicy.size != TPM_POLICY_DIGEST_LEN ||
	    !gw_ct_equal(p->authPolicy.buffer, policy, TPM_POLICY_DIGEST_LEN))
		return gw_fail(err, GW_E_KEY,
			       "update key: authPolicy is not PolicySigned by this verifier's "
			       "gate key");
	rc = tpmdata_public_to_pkey(p, &key, err);
	EVP_PKEY_free(key);
	if (rc)
		gw_error_prefix(err, "update key: ");
	return rc ? GW_E_KEY : 0;
}

int tpm_policy_point_to_tpm(const uint8_t point[TPM_POLICY_POINT_LEN], TPM2B_ECC_POINT *out)
{
	if (!point || point[0] != 0x04)
		return GW_E_INVAL;
	memset(out, 0, sizeof(*out));
	out->point.x.size = 32;
	out->point.y.size = 32;
	memcpy(out->point.x.buffer, point + 1, 32);
	memcpy(out->point.y.buffer, point + 33, 32);
	return 0;
}

int tpm_policy_zgen_cphash(const TPM2B_NAME *key_name, const uint8_t point[TPM_POLICY_POINT_LEN],
			   uint8_t out[TPM_POLICY_DIGEST_LEN])
{
	uint8_t buf[4 + sizeof(key_name->name) + sizeof(TPM2B_ECC_POINT)];
	TPM2B_ECC_POINT pt;
	size_t off = 0;

	if (!key_name || key_name->size > sizeof(key_name->name) ||
	    tpm_policy_point_to_tpm(point, &pt))
		return GW_E_INVAL;
	put_be32(buf, TPM2_CC_ECDH_ZGen);
	off = 4;
	memcpy(buf + off, key_name->name, key_name->size);
	off += key_name->size;
	if (Tss2_MU_TPM2B_ECC_POINT_Marshal(&pt, buf, sizeof(buf), &off))
		return GW_E_INVAL;
	return gw_hash(TPM2_ALG_SHA256, buf, off, out) ? GW_E_CRYPTO : 0;
}

int tpm_policy_ahash(const struct tpm_policy_auth *a, uint8_t out[TPM_POLICY_DIGEST_LEN])
{
	uint8_t buf[TPM_POLICY_NONCE_MAX + 4 + 2 * TPM_POLICY_DIGEST_LEN];
	size_t off;

	if (!a || a->nonce_len > TPM_POLICY_NONCE_MAX)
		return GW_E_INVAL;
	memcpy(buf, a->nonce_tpm, a->nonce_len);
	off = a->nonce_len;
	put_be32(buf + off, (uint32_t)a->expiration);
	off += 4;
	memcpy(buf + off, a->cphash, TPM_POLICY_DIGEST_LEN);
	off += TPM_POLICY_DIGEST_LEN;
	memcpy(buf + off, a->policy_ref, TPM_POLICY_DIGEST_LEN);
	off += TPM_POLICY_DIGEST_LEN;
	return gw_hash(TPM2_ALG_SHA256, buf, off, out) ? GW_E_CRYPTO : 0;
}

/* The TPM verifies the ECDSA signature over aHash itself (the digest, not a hash of
 * it), so the gate key signs the 32-byte digest directly. */
int tpm_policy_auth_sign(EVP_PKEY *gate_priv, struct tpm_policy_auth *a, gw_error *err)
{
	uint8_t ahash[TPM_POLICY_DIGEST_LEN];
	EVP_PKEY_CTX *ctx = NULL;
	size_t len = sizeof(a->sig);
	int rc = 0;

	/* A negative expiration makes TPM2_PolicySigned issue a ticket, which
	 * TPM2_PolicyTicket accepts in any session until it times out: not one
	 * authorization for one session. Zero would never expire. */
	if (a->expiration <= 0)
		return gw_fail(err, GW_E_INVAL,
			       "authorization: expiration %d: it must be positive (seconds after the "
			       "session started; no ticket)", (int)a->expiration);
	if (tpm_policy_ahash(a, ahash))
		return gw_fail(err, GW_E_INVAL, "authorization: bad nonce length");
	ctx = EVP_PKEY_CTX_new(gate_priv, NULL);
	if (!ctx || EVP_PKEY_sign_init(ctx) <= 0 ||
	    EVP_PKEY_sign(ctx, a->sig, &len, ahash, sizeof(ahash)) <= 0)
		rc = gw_fail(err, GW_E_CRYPTO, "signing the authorization with the gate key");
	else
		a->sig_len = len;
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

int tpm_policy_auth_verify(EVP_PKEY *gate_pub, const struct tpm_policy_auth *a, gw_error *err)
{
	uint8_t ahash[TPM_POLICY_DIGEST_LEN];
	EVP_PKEY_CTX *ctx = NULL;
	int ok;

	if (tpm_policy_ahash(a, ahash))
		return gw_fail(err, GW_E_INVAL, "authorization: bad nonce length");
	ctx = EVP_PKEY_CTX_new(gate_pub, NULL);
	ok = ctx && EVP_PKEY_verify_init(ctx) > 0 &&
	     EVP_PKEY_verify(ctx, a->sig, a->sig_len, ahash, sizeof(ahash)) == 1;
	EVP_PKEY_CTX_free(ctx);
	return ok ? 0 : gw_fail(err, GW_E_SIGNATURE,
				"authorization: the signature does not verify with the gate key");
}

/* One DER INTEGER of an ECDSA-Sig-Value at *p: positive, minimal, at most 32
 * value bytes, copied left-padded into out. */
static int der_int(const uint8_t **p, const uint8_t *end, uint8_t out[32])
{
	size_t n;
	const uint8_t *v;

	if (end - *p < 2 || (*p)[0] != 0x02)
		return -1;
	n = (*p)[1];
	v = *p + 2;
	if (n == 0 || n > 33 || (size_t)(end - v) < n)
		return -1;
	if (v[0] & 0x80)
		return -1; /* negative */
	if (n > 1 && v[0] == 0 && !(v[1] & 0x80))
		return -1; /* not minimal */
	if (v[0] == 0) {
		v++;
		n--;
	}
	if (n > 32 || n == 0)
		return -1;
	memset(out, 0, 32);
	memcpy(out + 32 - n, v, n);
	*p = v + n;
	return 0;
}

/* Strict DER ECDSA-Sig-Value: SEQUENCE (short length) of two INTEGERs, nothing
 * more, r and s not zero. */
static int der_sig_split(const uint8_t *sig, size_t len, uint8_t r[32], uint8_t s[32])
{
	const uint8_t *p = sig + 2, *end = sig + len;
	static const uint8_t zero[32];

	if (len < 8 || len > TPM_POLICY_SIG_MAX || sig[0] != 0x30 || sig[1] != len - 2)
		return -1;
	if (der_int(&p, end, r) || der_int(&p, end, s) || p != end)
		return -1;
	if (!memcmp(r, zero, 32) || !memcmp(s, zero, 32))
		return -1;
	return 0;
}

int tpm_policy_auth_tpm_signature(const struct tpm_policy_auth *a, TPMT_SIGNATURE *out,
				  gw_error *err)
{
	memset(out, 0, sizeof(*out));
	out->sigAlg = TPM2_ALG_ECDSA;
	out->signature.ecdsa.hash = TPM2_ALG_SHA256;
	out->signature.ecdsa.signatureR.size = 32;
	out->signature.ecdsa.signatureS.size = 32;
	if (der_sig_split(a->sig, a->sig_len, out->signature.ecdsa.signatureR.buffer,
			  out->signature.ecdsa.signatureS.buffer))
		return gw_fail(err, GW_E_PARSE,
			       "authorization: 'signature' is not a DER ECDSA P-256 signature");
	return 0;
}

int tpm_policy_creation_verify(EVP_PKEY *ak, const struct tpm_policy_key_msg *msg,
			       gw_error *err)
{
	uint8_t d[TPM_POLICY_DIGEST_LEN];
	const TPMS_CREATION_INFO *ci;
	TPMS_ATTEST a;
	TPM2B_NAME name;
	int rc;

	if (tpmdata_signature_hash(&msg->sig) != TPM2_ALG_SHA256)
		return gw_fail(err, GW_E_SIGNATURE,
			       "certify-creation: not signed with SHA-256, the AK's scheme");
	/* qualifying data: none is asked for (a registration, not a freshness proof) */
	rc = tpm_attest_verify(ak, msg->attest, msg->attest_len, &msg->sig,
			       TPM2_ST_ATTEST_CREATION, NULL, 0, "certify-creation", &a, err);
	if (rc)
		return rc;
	ci = &a.attested.creation;
	if (tpm_policy_name(&msg->pub.publicArea, &name))
		return gw_fail(err, GW_E_KEY, "certify-creation: the key has no name");
	if (ci->objectName.size != name.size ||
	    memcmp(ci->objectName.name, name.name, name.size) != 0)
		return gw_fail(err, GW_E_KEY,
			       "certify-creation: it certifies another object than this key");
	/* The TPM hashed the TPMS_CREATION_DATA as it sent it: the TPM2B's content. */
	if (msg->creation_raw_len < 2 ||
	    gw_hash(msg->pub.publicArea.nameAlg, msg->creation_raw + 2, msg->creation_raw_len - 2, d))
		return gw_fail(err, GW_E_KEY, "certify-creation: cannot hash the creation data");
	if (ci->creationHash.size != sizeof(d) || memcmp(ci->creationHash.buffer, d, sizeof(d)))
		return gw_fail(err, GW_E_KEY,
			       "certify-creation: creationHash is not the hash of the creation "
			       "data sent");
	return 0;
}
