// SPDX-License-Identifier: Apache-2.0
// ES256 compact JWS: base64url, signing and verification with OpenSSL and json-c.
#include "jwt.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/bn.h>
#include <openssl/ec.h>

#include "jsonobj.h"
#include "util.h"

int jwt_b64url_encode(const uint8_t *in, size_t len, char **out)
{
	char *s = NULL;
	size_t n;
	int rc;

	rc = gw_b64_encode(in, len, &s);
	if (rc)
		return rc;
	n = strlen(s);
	while (n && s[n - 1] == '=')
		s[--n] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '+')
			s[i] = '-';
		else if (s[i] == '/')
			s[i] = '_';
	}
	*out = s; /* transferred */
	return 0;
}

int jwt_b64url_decode(const char *in, size_t len, uint8_t **out, size_t *out_len,
		      gw_error *err)
{
	char *std;
	size_t padded = (len + 3) / 4 * 4;
	uint8_t *bin = NULL;
	size_t bin_len = 0;
	int rc;

	if (len % 4 == 1)
		return gw_fail(err, GW_E_PARSE, "base64url length %zu is impossible", len);
	std = malloc(padded + 1);
	if (!std)
		return GW_E_NOMEM;
	for (size_t i = 0; i < len; i++) {
		char c = in[i];

		if (c == '+' || c == '/' || c == '=') {
			free(std);
			return gw_fail(err, GW_E_PARSE, "not base64url at %zu", i);
		}
		std[i] = c == '-' ? '+' : c == '_' ? '/' : c;
	}
	for (size_t i = len; i < padded; i++)
		std[i] = '=';
	std[padded] = '\0';
	rc = gw_b64_decode(std, &bin, &bin_len, err);
	free(std);
	if (rc)
		return rc;
	/* Canonical form only: re-encoding must give the input back. */
	{
		char *back = NULL;

		rc = jwt_b64url_encode(bin, bin_len, &back);
		if (!rc && (strlen(back) != len || memcmp(back, in, len)))
			rc = gw_fail(err, GW_E_PARSE, "non-canonical base64url");
		free(back);
	}
	if (rc) {
		free(bin);
		return rc;
	}
	*out = bin; /* transferred */
	*out_len = bin_len;
	return 0;
}

static int append_part(char **buf, size_t *len, const uint8_t *data, size_t n, bool dot)
{
	char *enc = NULL, *nb;
	size_t el;
	int rc = jwt_b64url_encode(data, n, &enc);

	if (rc)
		return rc;
	el = strlen(enc);
	nb = realloc(*buf, *len + el + 2);
	if (!nb) {
		free(enc);
		return GW_E_NOMEM;
	}
	*buf = nb;
	if (dot)
		nb[(*len)++] = '.';
	memcpy(nb + *len, enc, el + 1);
	*len += el;
	free(enc);
	return 0;
}

int jwt_sign_es256(EVP_PKEY *key, const char *kid, struct json_object *claims, char **out)
{
	json_object *hdr = json_object_new_object();
	const char *h, *c;
	char *tok = NULL;
	size_t tok_len = 0;
	unsigned char der[80], raw[64];
	size_t der_len = sizeof(der);
	const unsigned char *p = der;
	EVP_MD_CTX *ctx = NULL;
	ECDSA_SIG *sig = NULL;
	const BIGNUM *r, *s;
	int rc;

	if (!hdr)
		return GW_E_NOMEM;
	json_object_object_add(hdr, "alg", json_object_new_string("ES256"));
	json_object_object_add(hdr, "typ", json_object_new_string("JWT"));
	if (kid)
		json_object_object_add(hdr, "kid", json_object_new_string(kid));
	h = json_object_to_json_string_ext(hdr, JSON_C_TO_STRING_PLAIN |
						       JSON_C_TO_STRING_NOSLASHESCAPE);
	c = json_object_to_json_string_ext(claims, JSON_C_TO_STRING_PLAIN |
							   JSON_C_TO_STRING_NOSLASHESCAPE);
	if ((rc = append_part(&tok, &tok_len, (const uint8_t *)h, strlen(h), false)) ||
	    (rc = append_part(&tok, &tok_len, (const uint8_t *)c, strlen(c), true)))
		goto out;
	ctx = EVP_MD_CTX_new();
	if (!ctx || EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestSign(ctx, der, &der_len, (const unsigned char *)tok, tok_len) != 1 ||
	    !(sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len))) {
		rc = GW_E_CRYPTO;
		goto out;
	}
	/* JWS wants r || s, each 32 bytes, not DER. */
	ECDSA_SIG_get0(sig, &r, &s);
	if (BN_bn2binpad(r, raw, 32) != 32 || BN_bn2binpad(s, raw + 32, 32) != 32) {
		rc = GW_E_CRYPTO;
		goto out;
	}
	rc = append_part(&tok, &tok_len, raw, sizeof(raw), true);
	if (rc)
		goto out;
	*out = tok; /* transferred */
	tok = NULL;
out:
	ECDSA_SIG_free(sig);
	EVP_MD_CTX_free(ctx);
	free(tok);
	json_object_put(hdr);
	return rc;
}

static json_object *parse_object(const uint8_t *data, size_t len)
{
	struct json_tokener *tok = json_tokener_new_ex(8);
	json_object *o = NULL;
	const char *why;

	if (!tok)
		return NULL;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	if (!memchr(data, '\0', len))
		o = json_tokener_parse_ex(tok, (const char *)data, (int)len);
	if (o && (json_tokener_get_error(tok) != json_tokener_success ||
		  json_tokener_get_parse_end(tok) != len ||
		  !json_object_is_type(o, json_type_object) ||
		  gw_json_check_text(data, len, o, &why))) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

int jwt_verify_es256(EVP_PKEY *key, const char *token, struct json_object **claims,
		     gw_error *err)
{
	size_t len = strnlen(token, JWT_MAX_TOKEN + 1);
	const char *d1, *d2;
	uint8_t *hbin = NULL, *cbin = NULL, *sbin = NULL, *der = NULL;
	size_t hl = 0, cl = 0, sl = 0;
	json_object *hdr = NULL, *cl_o = NULL, *alg;
	ECDSA_SIG *sig = NULL;
	BIGNUM *r = NULL, *s = NULL;
	EVP_MD_CTX *ctx = NULL;
	int der_len, rc = 0;

	if (len > JWT_MAX_TOKEN)
		return gw_fail(err, GW_E_TOOBIG, "token larger than %u bytes", JWT_MAX_TOKEN);
	d1 = memchr(token, '.', len);
	d2 = d1 ? memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - token)) : NULL;
	if (!d1 || !d2 || memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - token)))
		return gw_fail(err, GW_E_PARSE, "a JWS has three dot-separated parts");
	if ((rc = jwt_b64url_decode(token, (size_t)(d1 - token), &hbin, &hl, err)) ||
	    (rc = jwt_b64url_decode(d1 + 1, (size_t)(d2 - d1 - 1), &cbin, &cl, err)) ||
	    (rc = jwt_b64url_decode(d2 + 1, len - (size_t)(d2 + 1 - token), &sbin, &sl, err)))
		goto out;
	hdr = parse_object(hbin, hl);
	if (!hdr || !json_object_object_get_ex(hdr, "alg", &alg) ||
	    !json_object_is_type(alg, json_type_string) ||
	    strcmp(json_object_get_string(alg), "ES256")) {
		rc = gw_fail(err, GW_E_UNSUPPORTED, "header is not a JSON object with alg ES256");
		goto out;
	}
	if (sl != 64) {
		rc = gw_fail(err, GW_E_SIGNATURE, "ES256 signature must be 64 bytes, not %zu", sl);
		goto out;
	}
	sig = ECDSA_SIG_new();
	r = BN_bin2bn(sbin, 32, NULL);
	s = BN_bin2bn(sbin + 32, 32, NULL);
	if (!sig || !r || !s || !ECDSA_SIG_set0(sig, r, s)) {
		rc = GW_E_CRYPTO;
		goto out;
	}
	r = s = NULL; /* owned by sig */
	der_len = i2d_ECDSA_SIG(sig, &der);
	ctx = EVP_MD_CTX_new();
	if (der_len <= 0 || !ctx || EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, key) != 1) {
		rc = GW_E_CRYPTO;
		goto out;
	}
	if (EVP_DigestVerify(ctx, der, (size_t)der_len, (const unsigned char *)token,
			     (size_t)(d2 - token)) != 1) {
		rc = gw_fail(err, GW_E_SIGNATURE, "token signature does not verify");
		goto out;
	}
	cl_o = parse_object(cbin, cl);
	if (!cl_o) {
		rc = gw_fail(err, GW_E_PARSE, "claims are not a JSON object");
		goto out;
	}
	*claims = cl_o; /* transferred */
	cl_o = NULL;
out:
	EVP_MD_CTX_free(ctx);
	OPENSSL_free(der);
	ECDSA_SIG_free(sig);
	BN_free(r);
	BN_free(s);
	json_object_put(hdr);
	json_object_put(cl_o);
	free(hbin);
	free(cbin);
	free(sbin);
	return rc;
}
