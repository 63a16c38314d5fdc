// SPDX-License-Identifier: Apache-2.0
// Content-key wrapping for one P-256 recipient (ECDH-ES, HKDF-SHA256, AES-256-GCM),
// with OpenSSL 3's EVP interfaces only, and the strict reading of a wrapped key.
#include "keywrap.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/kdf.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>

#include "dsse.h"
#include "jsonobj.h"
#include "util.h"

#define IV_LEN 12
#define TAG_LEN 16
#define INFO_LABEL "gatewarden keywrap v1"

static const char *const wrap_keys[] = { "alg", "kid", "epk", "iv", "ct", "tag", "context" };

/* A wrap's members, decoded. */
struct wrap {
	char kid[65];
	uint8_t epk[KEYWRAP_POINT_LEN];
	uint8_t iv[IV_LEN];
	uint8_t ct[KEYWRAP_CEK_LEN];
	uint8_t tag[TAG_LEN];
	const char *context; /* points into the JSON object */
};

static bool context_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n < 1 || n > KEYWRAP_CONTEXT_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x21 || s[i] > 0x7e)
			return false;
	return true;
}

/* A P-256 public key from an uncompressed point; GW_E_KEY when it is not on the
 * curve. */
static int point_to_pkey(const uint8_t point[KEYWRAP_POINT_LEN], EVP_PKEY **out,
			 gw_error *err)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *key = NULL;
	int rc = 0;

	if (point[0] != 0x04) {
		rc = gw_fail(err, GW_E_KEY, "'epk' is not an uncompressed point");
		goto out;
	}
	if (!bld || !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "P-256", 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point,
					      KEYWRAP_POINT_LEN) ||
	    !(params = OSSL_PARAM_BLD_to_param(bld))) {
		rc = GW_E_NOMEM;
		goto out;
	}
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (!ctx || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) <= 0) {
		ERR_clear_error();
		rc = gw_fail(err, GW_E_KEY, "point is not on the P-256 curve");
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

int keywrap_point(EVP_PKEY *key, uint8_t point[KEYWRAP_POINT_LEN], gw_error *err)
{
	char group[32] = "";
	size_t glen = 0, plen = 0;

	if (!key || EVP_PKEY_get_base_id(key) != EVP_PKEY_EC ||
	    !EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
					    &glen) ||
	    strcmp(group, "prime256v1")) {
		ERR_clear_error();
		return gw_fail(err, GW_E_KEY, "not an ECC P-256 key");
	}
	if (!EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point,
					     KEYWRAP_POINT_LEN, &plen) ||
	    plen != KEYWRAP_POINT_LEN || point[0] != 0x04) {
		ERR_clear_error();
		/* A key read compressed: the uncompressed form from its coordinates. */
		EVP_PKEY *canon = EVP_PKEY_dup(key);
		int ok = canon &&
			 EVP_PKEY_set_utf8_string_param(
				 canon, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
				 OSSL_PKEY_EC_POINT_CONVERSION_FORMAT_UNCOMPRESSED) &&
			 EVP_PKEY_get_octet_string_param(canon, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
							 point, KEYWRAP_POINT_LEN, &plen) &&
			 plen == KEYWRAP_POINT_LEN;
		EVP_PKEY_free(canon);
		if (!ok) {
			ERR_clear_error();
			return gw_fail(err, GW_E_KEY, "cannot read the P-256 public point");
		}
	}
	return 0;
}

static int get_b64(json_object *w, const char *key, uint8_t *out, size_t want, gw_error *err)
{
	const char *s;
	uint8_t *buf = NULL;
	char *again = NULL;
	size_t len = 0, slen = 0;
	int rc = gw_json_get_string(w, key, 4 * ((want + 2) / 3), &s, &slen, err);

	if (rc)
		return rc;
	rc = gw_b64_decode(s, &buf, &len, NULL);
	if (!rc && len != want)
		rc = GW_E_PARSE;
	/* One encoding per value: the canonical one. */
	if (!rc && (rc = gw_b64_encode(buf, len, &again)) == 0 && strcmp(again, s))
		rc = GW_E_PARSE;
	if (!rc)
		memcpy(out, buf, want);
	if (rc == GW_E_PARSE)
		rc = gw_fail(err, GW_E_PARSE, "'%s' must be the base64 of %zu bytes", key, want);
	if (buf)
		gw_wipe(buf, len);
	free(buf);
	free(again);
	return rc;
}

static int parse_wrap(json_object *w, struct wrap *out, gw_error *err)
{
	const char *s;
	size_t len = 0;
	EVP_PKEY *epk = NULL;
	int rc;

	if (!w || !json_object_is_type(w, json_type_object))
		return gw_fail(err, GW_E_PARSE, "wrapped key: must be an object");
	rc = gw_json_check_keys(w, wrap_keys, GW_ARRAY_SIZE(wrap_keys), err);
	if (!rc && json_object_object_length(w) != (int)GW_ARRAY_SIZE(wrap_keys))
		rc = gw_fail(err, GW_E_PARSE, "members missing");
	if (!rc)
		rc = gw_json_get_string(w, "alg", 64, &s, NULL, err);
	if (!rc && strcmp(s, KEYWRAP_ALG))
		rc = gw_fail(err, GW_E_PARSE, "'alg' must be '%s'", KEYWRAP_ALG);
	if (!rc)
		rc = gw_json_get_string(w, "kid", 64, &s, &len, err);
	if (!rc) {
		for (size_t i = 0; i < len; i++)
			if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
				len = 0;
		if (len != 64)
			rc = gw_fail(err, GW_E_PARSE, "'kid' must be 64 lower-case hex digits");
		else
			memcpy(out->kid, s, 65);
	}
	if (!rc)
		rc = get_b64(w, "epk", out->epk, sizeof(out->epk), err);
	if (!rc)
		rc = get_b64(w, "iv", out->iv, sizeof(out->iv), err);
	if (!rc)
		rc = get_b64(w, "ct", out->ct, sizeof(out->ct), err);
	if (!rc)
		rc = get_b64(w, "tag", out->tag, sizeof(out->tag), err);
	if (!rc)
		rc = gw_json_get_string(w, "context", KEYWRAP_CONTEXT_MAX, &out->context, NULL, err);
	if (!rc && !context_ok(out->context))
		rc = gw_fail(err, GW_E_PARSE, "'context' must be 1 to %d printable characters",
			     KEYWRAP_CONTEXT_MAX);
	if (!rc)
		rc = point_to_pkey(out->epk, &epk, err);
	EVP_PKEY_free(epk);
	if (rc)
		gw_error_prefix(err, "wrapped key: ");
	return rc;
}

int keywrap_check(json_object *w, gw_error *err)
{
	struct wrap wr;

	return parse_wrap(w, &wr, err);
}

int keywrap_epk(json_object *w, uint8_t point[KEYWRAP_POINT_LEN])
{
	struct wrap wr;
	int rc = parse_wrap(w, &wr, NULL);

	if (!rc)
		memcpy(point, wr.epk, KEYWRAP_POINT_LEN);
	return rc;
}

/* KEK = HKDF-SHA256(Z, salt empty, info = label 0 context 0 EPK recipient). */
static int derive_kek(const uint8_t z[32], const char *context,
		      const uint8_t epk[KEYWRAP_POINT_LEN],
		      const uint8_t rcpt[KEYWRAP_POINT_LEN], uint8_t kek[32])
{
	uint8_t info[sizeof(INFO_LABEL) + KEYWRAP_CONTEXT_MAX + 1 + 2 * KEYWRAP_POINT_LEN];
	size_t clen = strlen(context), off = 0;
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *kctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	OSSL_PARAM params[5];
	int rc = 0;

	memcpy(info, INFO_LABEL, sizeof(INFO_LABEL)); /* with its NUL: the 0x00 */
	off = sizeof(INFO_LABEL);
	memcpy(info + off, context, clen);
	off += clen;
	info[off++] = 0;
	memcpy(info + off, epk, KEYWRAP_POINT_LEN);
	off += KEYWRAP_POINT_LEN;
	memcpy(info + off, rcpt, KEYWRAP_POINT_LEN);
	off += KEYWRAP_POINT_LEN;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)z, 32);
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, off);
	params[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)"", 0);
	params[4] = OSSL_PARAM_construct_end();
	if (!kctx || EVP_KDF_derive(kctx, kek, 32, params) <= 0) {
		ERR_clear_error();
		rc = GW_E_CRYPTO;
	}
	EVP_KDF_CTX_free(kctx);
	EVP_KDF_free(kdf);
	return rc;
}

/* AES-256-GCM of one 32-byte block, either way; decrypt: GW_E_SIGNATURE when the
 * tag does not verify. */
static int gcm(bool enc, const uint8_t kek[32], const uint8_t iv[IV_LEN], const char *aad,
	       const uint8_t *in, uint8_t *out, uint8_t tag[TAG_LEN])
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n = 0, m = 0, rc = GW_E_CRYPTO;

	if (!c || !EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, kek, iv, enc ? 1 : 0) ||
	    !EVP_CipherUpdate(c, NULL, &n, (const uint8_t *)aad, (int)strlen(aad)) ||
	    !EVP_CipherUpdate(c, out, &n, in, KEYWRAP_CEK_LEN) || n != KEYWRAP_CEK_LEN)
		goto out;
	if (!enc && !EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tag))
		goto out;
	if (!EVP_CipherFinal_ex(c, out + n, &m)) {
		rc = enc ? GW_E_CRYPTO : GW_E_SIGNATURE;
		goto out;
	}
	if (enc && !EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_LEN, tag))
		goto out;
	rc = 0;
out:
	ERR_clear_error();
	EVP_CIPHER_CTX_free(c);
	return rc;
}

/* Z: the x-coordinate of priv * peer, 32 bytes. */
static int ecdh(EVP_PKEY *priv, EVP_PKEY *peer, uint8_t z[32], gw_error *err)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, priv, NULL);
	size_t zlen = 32;
	int rc = 0;

	if (!ctx || EVP_PKEY_derive_init(ctx) <= 0 || EVP_PKEY_derive_set_peer(ctx, peer) <= 0 ||
	    EVP_PKEY_derive(ctx, z, &zlen) <= 0 || zlen != 32) {
		ERR_clear_error();
		rc = gw_fail(err, GW_E_CRYPTO, "ECDH failed");
	}
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

static int add_str(json_object *o, const char *key, const char *v)
{
	json_object *s = json_object_new_string(v);

	if (!s || json_object_object_add(o, key, s)) {
		json_object_put(s);
		return GW_E_NOMEM;
	}
	return 0;
}

static int build_wrap(const struct wrap *wr, json_object **out)
{
	json_object *o = json_object_new_object();
	int rc = o ? 0 : GW_E_NOMEM;

	if (!rc)
		rc = add_str(o, "alg", KEYWRAP_ALG);
	if (!rc)
		rc = add_str(o, "kid", wr->kid);
	if (!rc)
		rc = gw_json_add_b64(o, "epk", wr->epk, sizeof(wr->epk));
	if (!rc)
		rc = gw_json_add_b64(o, "iv", wr->iv, sizeof(wr->iv));
	if (!rc)
		rc = gw_json_add_b64(o, "ct", wr->ct, sizeof(wr->ct));
	if (!rc)
		rc = gw_json_add_b64(o, "tag", wr->tag, sizeof(wr->tag));
	if (!rc)
		rc = add_str(o, "context", wr->context);
	if (rc) {
		json_object_put(o);
		return rc;
	}
	*out = o; /* transferred */
	return 0;
}

int keywrap_seal(EVP_PKEY *recipient, const uint8_t cek[KEYWRAP_CEK_LEN], const char *context,
		 json_object **out, gw_error *err)
{
	uint8_t rcpt[KEYWRAP_POINT_LEN], z[32], kek[32];
	struct wrap wr;
	EVP_PKEY *eph = NULL;
	int rc;

	memset(&wr, 0, sizeof(wr));
	if (!context_ok(context))
		return gw_fail(err, GW_E_INVAL, "key wrap: bad context");
	rc = keywrap_point(recipient, rcpt, err);
	if (!rc)
		rc = dsse_keyid(recipient, wr.kid);
	if (rc)
		goto out;
	eph = EVP_EC_gen("P-256");
	if (!eph || keywrap_point(eph, wr.epk, NULL) || RAND_bytes(wr.iv, IV_LEN) != 1) {
		ERR_clear_error();
		rc = gw_fail(err, GW_E_CRYPTO, "key wrap: ephemeral key");
		goto out;
	}
	wr.context = context;
	rc = ecdh(eph, recipient, z, err);
	if (!rc)
		rc = derive_kek(z, context, wr.epk, rcpt, kek);
	if (!rc)
		rc = gcm(true, kek, wr.iv, context, cek, wr.ct, wr.tag);
	if (!rc)
		rc = build_wrap(&wr, out);
	if (rc)
		rc = gw_fail(err, rc, "key wrap: sealing failed");
out:
	OPENSSL_cleanse(z, sizeof(z));
	OPENSSL_cleanse(kek, sizeof(kek));
	EVP_PKEY_free(eph);
	return rc;
}

/* The common end of both opens: context, kid, KEK, GCM. */
static int open_with_z(const uint8_t z[32], const uint8_t rcpt[KEYWRAP_POINT_LEN],
		       const char *kid, const struct wrap *wr, const char *context,
		       uint8_t cek[KEYWRAP_CEK_LEN], gw_error *err)
{
	uint8_t kek[32], key[KEYWRAP_CEK_LEN];
	int rc;

	if (strcmp(wr->kid, kid))
		return gw_fail(err, GW_E_KEY, "wrapped key: made for key %.16s..., not this one "
			       "(%.16s...)", wr->kid, kid);
	rc = derive_kek(z, context, wr->epk, rcpt, kek);
	if (!rc)
		rc = gcm(false, kek, wr->iv, context, wr->ct, key, (uint8_t *)wr->tag);
	if (rc == GW_E_SIGNATURE)
		rc = gw_fail(err, rc, "wrapped key: does not open with this key (tag mismatch)");
	else if (rc)
		rc = gw_fail(err, rc, "wrapped key: unwrapping failed");
	else
		memcpy(cek, key, KEYWRAP_CEK_LEN);
	OPENSSL_cleanse(kek, sizeof(kek));
	OPENSSL_cleanse(key, sizeof(key));
	return rc;
}

static int parse_for(json_object *w, const char *context, struct wrap *wr, gw_error *err)
{
	int rc = parse_wrap(w, wr, err);

	if (!rc && (!context || strcmp(wr->context, context)))
		rc = gw_fail(err, GW_E_STATE, "wrapped key: context '%s' is not '%s'",
			     wr->context, context ? context : "");
	return rc;
}

int keywrap_open(EVP_PKEY *recipient_priv, json_object *w, const char *context,
		 uint8_t cek[KEYWRAP_CEK_LEN], gw_error *err)
{
	uint8_t rcpt[KEYWRAP_POINT_LEN], z[32];
	char kid[65];
	struct wrap wr;
	EVP_PKEY *epk = NULL;
	int rc;

	rc = parse_for(w, context, &wr, err);
	if (!rc)
		rc = keywrap_point(recipient_priv, rcpt, err);
	if (!rc)
		rc = dsse_keyid(recipient_priv, kid);
	if (!rc)
		rc = point_to_pkey(wr.epk, &epk, err);
	if (!rc)
		rc = ecdh(recipient_priv, epk, z, err);
	if (!rc)
		rc = open_with_z(z, rcpt, kid, &wr, context, cek, err);
	OPENSSL_cleanse(z, sizeof(z));
	EVP_PKEY_free(epk);
	return rc;
}

int keywrap_open_z(const uint8_t z[32], const uint8_t recipient_point[KEYWRAP_POINT_LEN],
		   json_object *w, const char *context, uint8_t cek[KEYWRAP_CEK_LEN],
		   gw_error *err)
{
	EVP_PKEY *rcpt = NULL;
	char kid[65];
	struct wrap wr;
	int rc;

	rc = parse_for(w, context, &wr, err);
	if (!rc)
		rc = point_to_pkey(recipient_point, &rcpt, err);
	if (!rc)
		rc = dsse_keyid(rcpt, kid);
	if (!rc)
		rc = open_with_z(z, recipient_point, kid, &wr, context, cek, err);
	EVP_PKEY_free(rcpt);
	return rc;
}
