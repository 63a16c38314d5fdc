// SPDX-License-Identifier: Apache-2.0
// DSSE v1 envelopes: PAE, signing, strict parsing and threshold verification.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "dsse.h"
#include "jsonobj.h"
#include "util.h"

/* Object, signatures array, signature object; one spare so that anything deeper
 * is a parse error rather than a type error. */
#define DSSE_JSON_DEPTH 4
/* "DSSEv1 " + two 20-digit lengths and three spaces. */
#define PAE_OVERHEAD 64

static int ssl_fail(gw_error *err, const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[256] = "unknown error";

	if (e)
		ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	return gw_fail(err, GW_E_CRYPTO, "%s: %s", what, buf);
}

int dsse_pae(const char *payload_type, const uint8_t *payload, size_t len, uint8_t **out,
	     size_t *out_len)
{
	size_t tlen = strlen(payload_type);
	char head[PAE_OVERHEAD];
	uint8_t *buf;
	size_t hlen, total;
	int n, rc = 0;

	n = snprintf(head, sizeof(head), "DSSEv1 %zu ", tlen);
	if (n < 0 || (size_t)n >= sizeof(head))
		return GW_E_TOOBIG;
	hlen = (size_t)n;
	if (tlen > SIZE_MAX - 2 * PAE_OVERHEAD || len > SIZE_MAX - 2 * PAE_OVERHEAD - tlen)
		return GW_E_TOOBIG;
	total = hlen + tlen + PAE_OVERHEAD + len;
	buf = malloc(total);
	if (!buf)
		return GW_E_NOMEM;
	memcpy(buf, head, hlen);
	memcpy(buf + hlen, payload_type, tlen);
	hlen += tlen;
	n = snprintf((char *)buf + hlen, PAE_OVERHEAD, " %zu ", len);
	if (n < 0 || n >= PAE_OVERHEAD) {
		rc = GW_E_TOOBIG;
		goto out;
	}
	hlen += (size_t)n;
	if (len)
		memcpy(buf + hlen, payload, len);
	*out = buf; /* transferred */
	*out_len = hlen + len;
	buf = NULL;
out:
	free(buf);
	return rc;
}

int dsse_keyid(EVP_PKEY *key, char out[DSSE_KEYID_LEN])
{
	unsigned char *der = NULL;
	unsigned char md[32];
	EVP_PKEY *canon = NULL;
	int len, rc = 0;

	/* An EC point can be written compressed or not, its curve by name or as
	 * explicit parameters: the same key must have one keyid, or one signer could
	 * pass for two. dsse_key_check() refuses explicit parameters as well. */
	if (key && EVP_PKEY_get_base_id(key) == EVP_PKEY_EC) {
		canon = EVP_PKEY_dup(key);
		if (!canon ||
		    !EVP_PKEY_set_utf8_string_param(
			    canon, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
			    OSSL_PKEY_EC_POINT_CONVERSION_FORMAT_UNCOMPRESSED) ||
		    !EVP_PKEY_set_utf8_string_param(canon, OSSL_PKEY_PARAM_EC_ENCODING,
						    OSSL_PKEY_EC_ENCODING_GROUP)) {
			ERR_clear_error();
			rc = GW_E_CRYPTO;
			goto out;
		}
		key = canon;
	}
	len = i2d_PUBKEY(key, &der);
	if (len <= 0 || !EVP_Digest(der, (size_t)len, md, NULL, EVP_sha256(), NULL)) {
		ERR_clear_error();
		rc = GW_E_CRYPTO;
		goto out;
	}
	gw_hex_encode(md, sizeof(md), out);
out:
	OPENSSL_free(der);
	EVP_PKEY_free(canon);
	return rc;
}

int dsse_key_check(EVP_PKEY *key, gw_error *err)
{
	char group[64];
	size_t glen = 0;

	if (!key)
		return gw_fail(err, GW_E_INVAL, "no key");
	if (EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519)
		return 0;
	if (EVP_PKEY_get_base_id(key) != EVP_PKEY_EC)
		return gw_fail(err, GW_E_KEY, "key type %s is neither ECDSA P-256 nor Ed25519",
			       OBJ_nid2sn(EVP_PKEY_get_base_id(key)));
	if (!EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group,
					    sizeof(group), &glen)) {
		ERR_clear_error();
		return gw_fail(err, GW_E_KEY, "EC key without a named curve");
	}
	if (strcmp(group, "prime256v1") && strcmp(group, "P-256"))
		return gw_fail(err, GW_E_KEY, "EC key on curve %s, not P-256", group);
	/* Explicit parameters that match P-256 still report its name: refuse them, so
	 * a key has one spelling (write it again with openssl ec -param_enc named_curve). */
	if (!EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_EC_ENCODING, group,
					    sizeof(group), &glen) ||
	    strcmp(group, OSSL_PKEY_EC_ENCODING_GROUP)) {
		ERR_clear_error();
		return gw_fail(err, GW_E_KEY,
			       "EC key with explicit curve parameters; write it with the "
			       "curve name (openssl pkey -pubin -in KEY.pub | openssl ec "
			       "-pubin -param_enc named_curve)");
	}
	return 0;
}

/* ECDSA signs a SHA-256 digest of the PAE; Ed25519 signs the PAE itself. */
static const EVP_MD *key_md(EVP_PKEY *key)
{
	return EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519 ? NULL : EVP_sha256();
}

static int sign_one(EVP_PKEY *key, const uint8_t *msg, size_t len, uint8_t **out,
		    size_t *out_len, gw_error *err)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t *sig = NULL;
	size_t slen = 0;
	int rc = 0;

	if (!ctx)
		return GW_E_NOMEM;
	if (EVP_DigestSignInit(ctx, NULL, key_md(key), NULL, key) != 1 ||
	    EVP_DigestSign(ctx, NULL, &slen, msg, len) != 1) {
		rc = ssl_fail(err, "signing");
		goto out;
	}
	sig = malloc(slen);
	if (!sig) {
		rc = GW_E_NOMEM;
		goto out;
	}
	if (EVP_DigestSign(ctx, sig, &slen, msg, len) != 1) {
		rc = ssl_fail(err, "signing");
		goto out;
	}
	*out = sig; /* transferred */
	*out_len = slen;
	sig = NULL;
out:
	free(sig);
	EVP_MD_CTX_free(ctx);
	return rc;
}

/* 1 when sig verifies, 0 when it does not. */
static int verify_one(EVP_PKEY *key, const uint8_t *msg, size_t len, const uint8_t *sig,
		      size_t sig_len)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = 0;

	if (ctx && EVP_DigestVerifyInit(ctx, NULL, key_md(key), NULL, key) == 1)
		ok = EVP_DigestVerify(ctx, sig, sig_len, msg, len) == 1;
	EVP_MD_CTX_free(ctx);
	ERR_clear_error();
	return ok;
}

static int add_b64(json_object *o, const char *key, const uint8_t *data, size_t len)
{
	char *s = NULL;
	json_object *v;
	int rc = gw_b64_encode(data, len, &s);

	if (rc)
		return rc;
	v = json_object_new_string(s);
	free(s);
	if (!v || json_object_object_add(o, key, v)) {
		json_object_put(v);
		return GW_E_NOMEM;
	}
	return 0;
}

static int add_string(json_object *o, const char *key, const char *s)
{
	json_object *v = json_object_new_string(s);

	if (!v || json_object_object_add(o, key, v)) {
		json_object_put(v);
		return GW_E_NOMEM;
	}
	return 0;
}

int dsse_format(const struct dsse_envelope *env, char **out)
{
	json_object *root = json_object_new_object(), *arr = json_object_new_array();
	const char *text;
	char *copy = NULL;
	int rc = 0;

	if (!root || !arr) {
		json_object_put(arr);
		rc = GW_E_NOMEM;
		goto out;
	}
	rc = add_string(root, "payloadType", env->payload_type);
	if (!rc)
		rc = add_b64(root, "payload", env->payload, env->payload_len);
	if (rc) {
		json_object_put(arr);
		goto out;
	}
	if (json_object_object_add(root, "signatures", arr)) {
		json_object_put(arr);
		rc = GW_E_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < env->nsigs; i++) {
		json_object *s = json_object_new_object();

		if (!s || json_object_array_add(arr, s)) {
			json_object_put(s);
			rc = GW_E_NOMEM;
			goto out;
		}
		rc = add_string(s, "keyid", env->sigs[i].keyid);
		if (!rc)
			rc = add_b64(s, "sig", env->sigs[i].sig, env->sigs[i].sig_len);
		if (rc)
			goto out;
	}
	text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN |
							    JSON_C_TO_STRING_NOSLASHESCAPE);
	copy = text ? strdup(text) : NULL;
	if (!copy) {
		rc = GW_E_NOMEM;
		goto out;
	}
	*out = copy; /* transferred */
out:
	json_object_put(root);
	return rc;
}

int dsse_sign(const char *payload_type, const uint8_t *payload, size_t len,
	      EVP_PKEY *const *keys, size_t n, char **envelope_json, gw_error *err)
{
	struct dsse_envelope env = { 0 };
	char ids[DSSE_MAX_SIGS][DSSE_KEYID_LEN];
	uint8_t *pae = NULL;
	size_t pae_len = 0;
	int rc = 0;

	if (!payload_type || !*payload_type || strlen(payload_type) > DSSE_MAX_TYPE)
		return gw_fail(err, GW_E_INVAL, "payload type must be 1 to %u bytes",
			       DSSE_MAX_TYPE);
	if (n < 1 || n > DSSE_MAX_SIGS)
		return gw_fail(err, GW_E_INVAL, "between 1 and %u signing keys, not %zu",
			       DSSE_MAX_SIGS, n);
	if (len > DSSE_MAX_SIZE / 2)
		return gw_fail(err, GW_E_TOOBIG, "payload larger than %u bytes",
			       DSSE_MAX_SIZE / 2);
	for (size_t i = 0; i < n; i++) {
		rc = dsse_key_check(keys[i], err);
		if (rc) {
			gw_error_prefix(err, "signing key %zu: ", i + 1);
			return rc;
		}
		if (dsse_keyid(keys[i], ids[i]))
			return ssl_fail(err, "encoding a public key");
		for (size_t j = 0; j < i; j++)
			if (!strcmp(ids[i], ids[j]))
				return gw_fail(err, GW_E_INVAL,
					       "signing key %zu is the same as key %zu", i + 1,
					       j + 1);
	}
	rc = dsse_pae(payload_type, payload, len, &pae, &pae_len);
	if (rc)
		goto out;
	env.payload_type = (char *)payload_type;
	env.payload = (uint8_t *)payload;
	env.payload_len = len;
	for (size_t i = 0; i < n; i++) {
		env.sigs[i].keyid = ids[i];
		rc = sign_one(keys[i], pae, pae_len, &env.sigs[i].sig, &env.sigs[i].sig_len,
			      err);
		if (rc)
			goto out;
		env.nsigs++;
	}
	rc = dsse_format(&env, envelope_json);
out:
	for (size_t i = 0; i < env.nsigs; i++)
		free(env.sigs[i].sig);
	free(pae);
	return rc;
}

void dsse_free(struct dsse_envelope *env)
{
	if (!env)
		return;
	free(env->payload_type);
	free(env->payload);
	for (size_t i = 0; i < env->nsigs; i++) {
		free(env->sigs[i].keyid);
		free(env->sigs[i].sig);
	}
	free(env);
}

/* Exactly the keys in known[], each present. */
static int check_keys(json_object *o, const char *const *known, size_t nknown,
		      const char *where, gw_error *err)
{
	json_object_object_foreach(o, key, val) {
		bool ok = false;

		(void)val;
		for (size_t i = 0; i < nknown; i++)
			ok |= !strcmp(key, known[i]);
		if (!ok)
			return gw_fail(err, GW_E_PARSE, "%s: unknown key '%.64s'", where, key);
	}
	for (size_t i = 0; i < nknown; i++)
		if (!json_object_object_get_ex(o, known[i], NULL))
			return gw_fail(err, GW_E_PARSE, "%s: missing '%s'", where, known[i]);
	return 0;
}

/* The string at key, with no NUL inside and at most max bytes. */
static int get_string(json_object *o, const char *key, size_t max, const char *where,
		      const char **out, size_t *out_len, gw_error *err)
{
	json_object *v = NULL;
	const char *s;
	size_t len;

	json_object_object_get_ex(o, key, &v);
	if (!json_object_is_type(v, json_type_string))
		return gw_fail(err, GW_E_PARSE, "%s: '%s' must be a string", where, key);
	s = json_object_get_string(v);
	len = (size_t)json_object_get_string_len(v);
	if (strlen(s) != len)
		return gw_fail(err, GW_E_PARSE, "%s: '%s' contains a NUL character", where, key);
	if (len > max)
		return gw_fail(err, GW_E_TOOBIG, "%s: '%s' longer than %zu bytes", where, key,
			       max);
	*out = s;
	*out_len = len;
	return 0;
}

/* Standard base64 with padding, in the one form our encoder would produce, so that
 * an envelope has one spelling per content. */
static int get_b64(json_object *o, const char *key, size_t max, const char *where,
		   uint8_t **out, size_t *out_len, gw_error *err)
{
	const char *s;
	char *again = NULL;
	uint8_t *bin = NULL;
	size_t slen = 0, len = 0;
	int rc;

	rc = get_string(o, key, max / 3 * 4 + 4, where, &s, &slen, err);
	if (rc)
		return rc;
	rc = gw_b64_decode(s, &bin, &len, err);
	if (rc) {
		gw_error_prefix(err, "%s: '%s': ", where, key);
		return rc;
	}
	rc = gw_b64_encode(bin, len, &again);
	if (rc)
		goto out;
	if (strcmp(again, s)) {
		rc = gw_fail(err, GW_E_PARSE, "%s: '%s': base64 not in canonical form", where,
			     key);
		goto out;
	}
	if (len > max) {
		rc = gw_fail(err, GW_E_TOOBIG, "%s: '%s' longer than %zu bytes", where, key, max);
		goto out;
	}
	*out = bin; /* transferred */
	*out_len = len;
	bin = NULL;
out:
	free(again);
	free(bin);
	return rc;
}

static bool printable(const char *s)
{
	for (; *s; s++)
		if (*s < 0x21 || *s > 0x7e)
			return false;
	return true;
}

static int parse_signature(json_object *o, size_t idx, struct dsse_signature *sig,
			   gw_error *err)
{
	static const char *const known[] = { "keyid", "sig" };
	char where[48];
	const char *s;
	size_t len = 0;
	int rc;

	snprintf(where, sizeof(where), "envelope: signature %zu", idx + 1);
	if (!json_object_is_type(o, json_type_object))
		return gw_fail(err, GW_E_PARSE, "%s must be an object", where);
	rc = check_keys(o, known, GW_ARRAY_SIZE(known), where, err);
	if (rc)
		return rc;
	rc = get_string(o, "keyid", DSSE_MAX_KEYID, where, &s, &len, err);
	if (rc)
		return rc;
	if (!len || !printable(s))
		return gw_fail(err, GW_E_PARSE, "%s: 'keyid' must be 1 to %u printable characters",
			       where, DSSE_MAX_KEYID);
	rc = get_b64(o, "sig", DSSE_MAX_SIG, where, &sig->sig, &sig->sig_len, err);
	if (rc)
		return rc;
	if (!sig->sig_len)
		return gw_fail(err, GW_E_PARSE, "%s: 'sig' is empty", where);
	sig->keyid = strdup(s);
	if (!sig->keyid)
		return GW_E_NOMEM;
	return 0;
}

int dsse_parse(const uint8_t *buf, size_t len, struct dsse_envelope **out, gw_error *err)
{
	static const char *const known[] = { "payloadType", "payload", "signatures" };
	json_object *root = NULL, *arr = NULL;
	struct dsse_envelope *env = NULL;
	const char *s;
	size_t slen = 0, nsigs;
	int rc = 0;

	env = calloc(1, sizeof(*env));
	if (!env)
		return GW_E_NOMEM;
	rc = gw_json_object_parse(buf, len, DSSE_MAX_SIZE, DSSE_JSON_DEPTH, "envelope", &root, err);
	if (rc)
		goto out;
	rc = check_keys(root, known, GW_ARRAY_SIZE(known), "envelope", err);
	if (rc)
		goto out;
	rc = get_string(root, "payloadType", DSSE_MAX_TYPE, "envelope", &s, &slen, err);
	if (rc)
		goto out;
	if (!slen) {
		rc = gw_fail(err, GW_E_PARSE, "envelope: 'payloadType' is empty");
		goto out;
	}
	env->payload_type = strdup(s);
	if (!env->payload_type) {
		rc = GW_E_NOMEM;
		goto out;
	}
	rc = get_b64(root, "payload", DSSE_MAX_SIZE, "envelope", &env->payload,
		     &env->payload_len, err);
	if (rc)
		goto out;
	json_object_object_get_ex(root, "signatures", &arr);
	if (!json_object_is_type(arr, json_type_array)) {
		rc = gw_fail(err, GW_E_PARSE, "envelope: 'signatures' must be an array");
		goto out;
	}
	nsigs = json_object_array_length(arr);
	if (!nsigs) {
		rc = gw_fail(err, GW_E_PARSE, "envelope: 'signatures' is empty");
		goto out;
	}
	if (nsigs > DSSE_MAX_SIGS) {
		rc = gw_fail(err, GW_E_TOOBIG, "envelope: %zu signatures, more than %u", nsigs,
			     DSSE_MAX_SIGS);
		goto out;
	}
	for (size_t i = 0; i < nsigs; i++) {
		rc = parse_signature(json_object_array_get_idx(arr, i), i, &env->sigs[i], err);
		/* Count it even when half-filled, so that dsse_free() frees it. */
		env->nsigs++;
		if (rc)
			goto out;
	}
	*out = env; /* transferred */
	env = NULL;
out:
	dsse_free(env);
	json_object_put(root);
	return rc;
}

const char *dsse_status_name(enum dsse_sig_status s)
{
	switch (s) {
	case DSSE_SIG_VALID:
		return "valid";
	case DSSE_SIG_DUPLICATE:
		return "duplicate";
	case DSSE_SIG_UNKNOWN_KEY:
		return "unknown-key";
	case DSSE_SIG_INVALID:
		return "invalid";
	}
	return "?";
}

/* "3f2a…": enough of a keyid to tell keys apart in a message. */
static void short_id(const char *id, char out[16])
{
	snprintf(out, 16, "%.4s%s", id, strlen(id) > 4 ? "\xe2\x80\xa6" : "");
}

/* The detail for a threshold not met: the count, then each signature that did not
 * count and why. */
static int threshold_fail(const struct dsse_envelope *env, const struct dsse_result *r,
			  gw_error *err)
{
	char why[768] = "";
	size_t off = 0;

	for (size_t i = 0; i < env->nsigs && off < sizeof(why); i++) {
		const char *what = r->status[i] == DSSE_SIG_UNKNOWN_KEY ? "unknown"
				   : r->status[i] == DSSE_SIG_INVALID	 ? "invalid signature"
									 : NULL;
		char id[16];
		int n;

		if (!what)
			continue;
		short_id(env->sigs[i].keyid, id);
		n = snprintf(why + off, sizeof(why) - off, "%skey %s %s", off ? ", " : " (", id,
			     what);
		if (n < 0)
			break;
		off += (size_t)n;
	}
	if (off && off < sizeof(why) - 1)
		snprintf(why + off, sizeof(why) - off, ")");
	return gw_fail(err, GW_E_SIGNATURE, "%u of required %u signatures valid%s", r->valid,
		       r->threshold, why);
}

int dsse_verify(const struct dsse_envelope *env, EVP_PKEY *const *trusted, size_t n,
		unsigned threshold, const char *expected_type, struct dsse_result *res,
		gw_error *err)
{
	struct dsse_result *r = NULL;
	uint8_t *pae = NULL;
	size_t pae_len = 0;
	int rc = 0;

	if (!env || n < 1 || n > DSSE_MAX_KEYS)
		return gw_fail(err, GW_E_INVAL, "between 1 and %u trusted keys, not %zu",
			       DSSE_MAX_KEYS, n);
	if (threshold < 1 || threshold > n)
		return gw_fail(err, GW_E_INVAL, "threshold %u is not between 1 and %zu",
			       threshold, n);
	if (expected_type && strcmp(env->payload_type, expected_type))
		return gw_fail(err, GW_E_PARSE, "payload type '%.64s' is not '%.64s'",
			       env->payload_type, expected_type);
	r = calloc(1, sizeof(*r));
	if (!r)
		return GW_E_NOMEM;
	r->threshold = threshold;
	r->nkeys = n;
	r->nsigs = env->nsigs;
	for (size_t i = 0; i < n; i++) {
		rc = dsse_key_check(trusted[i], err);
		if (rc) {
			gw_error_prefix(err, "trusted key %zu: ", i + 1);
			goto out;
		}
		if (dsse_keyid(trusted[i], r->keyid[i])) {
			rc = ssl_fail(err, "encoding a public key");
			goto out;
		}
		for (size_t j = 0; j < i; j++)
			if (!strcmp(r->keyid[i], r->keyid[j])) {
				rc = gw_fail(err, GW_E_INVAL,
					     "trusted key %zu is the same as key %zu", i + 1,
					     j + 1);
				goto out;
			}
	}
	rc = dsse_pae(env->payload_type, env->payload, env->payload_len, &pae, &pae_len);
	if (rc)
		goto out;
	for (size_t s = 0; s < env->nsigs; s++) {
		const struct dsse_signature *sig = &env->sigs[s];
		size_t k;

		for (k = 0; k < n; k++)
			if (!strcmp(sig->keyid, r->keyid[k]))
				break;
		if (k == n)
			r->status[s] = DSSE_SIG_UNKNOWN_KEY;
		else if (!verify_one(trusted[k], pae, pae_len, sig->sig, sig->sig_len))
			r->status[s] = DSSE_SIG_INVALID;
		else if (r->key_signed[k])
			r->status[s] = DSSE_SIG_DUPLICATE;
		else {
			r->status[s] = DSSE_SIG_VALID;
			r->key_signed[k] = true;
			r->valid++;
		}
	}
	if (r->valid < threshold)
		rc = threshold_fail(env, r, err);
	if (res)
		*res = *r;
out:
	free(pae);
	free(r);
	return rc;
}
