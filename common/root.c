// SPDX-License-Identifier: Apache-2.0
// The update trust root: strict parsing of a signed root, self and rotation checks.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "jsonobj.h"
#include "root.h"
#include "util.h"

#define ROOT_TYPE "gatewarden-root"
/* Document, roles, one role, its keyids; one spare so that anything deeper is a
 * nesting error rather than a type error. */
#define ROOT_JSON_DEPTH 5
#define ROOT_PEM_MAX 4096 /* one PEM public key, bytes */
#define PEM_BEGIN "-----BEGIN PUBLIC KEY-----\n"

static const char *const role_names[ROOT_NROLES] = { "root", "targets" };

const char *root_role_name(enum root_role_id role)
{
	return (unsigned)role < ROOT_NROLES ? role_names[role] : "?";
}

static const char *keytype_of(EVP_PKEY *key)
{
	return EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519 ? "ed25519" : "ecdsa-p256";
}

void root_free(struct root *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nkeys; i++)
		EVP_PKEY_free(r->keys[i]);
	dsse_free(r->env);
	free(r);
}

int root_key_index(const struct root *r, EVP_PKEY *key)
{
	char id[DSSE_KEYID_LEN];

	if (!key || dsse_keyid(key, id))
		return -1;
	for (size_t i = 0; i < r->nkeys; i++)
		if (!strcmp(r->keyid[i], id))
			return (int)i;
	return -1;
}

/* One PEM SubjectPublicKeyInfo and nothing else: no text around it, no headers,
 * DER that ends where the PEM body does. */
static int pem_pubkey(const char *pem, size_t len, EVP_PKEY **out, gw_error *err)
{
	BIO *bio = NULL;
	char *name = NULL, *header = NULL;
	unsigned char *der = NULL;
	const unsigned char *p;
	long der_len = 0;
	EVP_PKEY *key = NULL;
	int rc = 0;

	if (len < strlen(PEM_BEGIN) || memcmp(pem, PEM_BEGIN, strlen(PEM_BEGIN)) ||
	    len > INT32_MAX) {
		rc = gw_fail(err, GW_E_KEY, "must start with -----BEGIN PUBLIC KEY-----");
		goto out;
	}
	bio = BIO_new_mem_buf(pem, (int)len);
	if (!bio) {
		rc = GW_E_NOMEM;
		goto out;
	}
	if (!PEM_read_bio(bio, &name, &header, &der, &der_len) || strcmp(name, "PUBLIC KEY") ||
	    *header || BIO_pending(bio) != 0) {
		rc = gw_fail(err, GW_E_KEY, "not one PEM public key and nothing else");
		goto out;
	}
	p = der;
	key = d2i_PUBKEY(NULL, &p, der_len);
	if (!key || p != der + der_len) {
		rc = gw_fail(err, GW_E_KEY, "not a DER SubjectPublicKeyInfo");
		goto out;
	}
	rc = dsse_key_check(key, err);
	if (rc)
		goto out;
	*out = key; /* transferred */
	key = NULL;
out:
	ERR_clear_error();
	EVP_PKEY_free(key);
	OPENSSL_free(name);
	OPENSSL_free(header);
	OPENSSL_free(der);
	BIO_free(bio);
	return rc;
}

/* keys[name] = {"keytype", "public"}: the key, of the type it says. */
static int parse_key(json_object *o, EVP_PKEY **out, gw_error *err)
{
	static const char *const known[] = { "keytype", "public" };
	const char *type, *pem;
	size_t pem_len = 0;
	EVP_PKEY *key = NULL;
	int rc;

	if (!json_object_is_type(o, json_type_object))
		return gw_fail(err, GW_E_PARSE, "must be an object");
	rc = gw_json_check_keys(o, known, GW_ARRAY_SIZE(known), err);
	if (!rc)
		rc = gw_json_get_string(o, "keytype", 32, &type, NULL, err);
	if (!rc)
		rc = gw_json_get_string(o, "public", ROOT_PEM_MAX, &pem, &pem_len, err);
	if (rc)
		return rc;
	if (strcmp(type, "ecdsa-p256") && strcmp(type, "ed25519"))
		return gw_fail(err, GW_E_PARSE, "'keytype' must be ecdsa-p256 or ed25519, not '%.32s'",
			       type);
	rc = pem_pubkey(pem, pem_len, &key, err);
	if (rc) {
		gw_error_prefix(err, "'public': ");
		return rc;
	}
	if (strcmp(type, keytype_of(key))) {
		rc = gw_fail(err, GW_E_KEY, "'keytype' is %s but the key is %s", type,
			     keytype_of(key));
		EVP_PKEY_free(key);
		return rc;
	}
	*out = key; /* transferred */
	return 0;
}

/* Each key once, however encoded, and named by its own keyid. */
static int parse_keys(json_object *doc, struct root *r, gw_error *err)
{
	json_object *keys = NULL;
	int rc;

	if (!json_object_object_get_ex(doc, "keys", &keys))
		return gw_fail(err, GW_E_PARSE, "'keys' is missing");
	if (!json_object_is_type(keys, json_type_object) || !json_object_object_length(keys))
		return gw_fail(err, GW_E_PARSE, "'keys' must be a non-empty object");
	if (json_object_object_length(keys) > ROOT_MAX_KEYS)
		return gw_fail(err, GW_E_TOOBIG, "'keys' lists %d keys, more than %u",
			       json_object_object_length(keys), ROOT_MAX_KEYS);
	json_object_object_foreach(keys, name, val) {
		size_t i = r->nkeys;

		rc = parse_key(val, &r->keys[i], err);
		if (rc) {
			gw_error_prefix(err, "key '%.64s': ", name);
			return rc;
		}
		r->nkeys++;
		if (dsse_keyid(r->keys[i], r->keyid[i]))
			return gw_fail(err, GW_E_CRYPTO, "key '%.64s': encoding failed", name);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(r->keyid[i], r->keyid[j]))
				return gw_fail(err, GW_E_KEY,
					       "key '%.64s' is the same key as '%s' (listed twice, "
					       "in another encoding)",
					       name, r->keyid[j]);
		if (strcmp(name, r->keyid[i]))
			return gw_fail(err, GW_E_KEY,
				       "key '%.64s' is not named by its keyid (SHA-256 of its "
				       "DER SubjectPublicKeyInfo: %s)",
				       name, r->keyid[i]);
	}
	return 0;
}

static int keyid_index(const struct root *r, const char *id)
{
	for (size_t i = 0; i < r->nkeys; i++)
		if (!strcmp(r->keyid[i], id))
			return (int)i;
	return -1;
}

/* roles[name] = {"keyids": [...], "threshold": N}. */
static int parse_role(json_object *o, struct root *r, struct root_role *role,
		      bool used[ROOT_MAX_KEYS], gw_error *err)
{
	static const char *const known[] = { "keyids", "threshold" };
	json_object *ids = NULL;
	int64_t threshold = 0;
	size_t n;
	int rc;

	if (!json_object_is_type(o, json_type_object))
		return gw_fail(err, GW_E_PARSE, "must be an object");
	rc = gw_json_check_keys(o, known, GW_ARRAY_SIZE(known), err);
	if (rc)
		return rc;
	if (!json_object_object_get_ex(o, "keyids", &ids))
		return gw_fail(err, GW_E_PARSE, "'keyids' is missing");
	if (!json_object_is_type(ids, json_type_array) || !json_object_array_length(ids))
		return gw_fail(err, GW_E_PARSE, "'keyids' must be a non-empty array");
	n = json_object_array_length(ids);
	if (n > ROOT_MAX_KEYS)
		return gw_fail(err, GW_E_TOOBIG, "'keyids' has %zu entries, more than %u", n,
			       ROOT_MAX_KEYS);
	for (size_t i = 0; i < n; i++) {
		json_object *v = json_object_array_get_idx(ids, i);
		const char *id = json_object_get_string(v);
		int k;

		if (!json_object_is_type(v, json_type_string))
			return gw_fail(err, GW_E_PARSE, "'keyids' entry %zu must be a string", i + 1);
		k = keyid_index(r, id);
		if (k < 0)
			return gw_fail(err, GW_E_PARSE, "'keyids' entry %zu, '%.64s', names no key in "
				       "'keys'", i + 1, id);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(role->keyid[j], id))
				return gw_fail(err, GW_E_PARSE, "'keyids' lists %s twice", id);
		role->keys[i] = r->keys[k];
		memcpy(role->keyid[i], r->keyid[k], DSSE_KEYID_LEN);
		role->nkeys++;
		used[k] = true;
	}
	rc = gw_json_get_int(o, "threshold", 1, (int64_t)n, &threshold, err);
	if (rc)
		return rc;
	if (threshold > DSSE_MAX_SIGS)
		return gw_fail(err, GW_E_PARSE, "'threshold' %d is more than the %u signatures an "
			       "envelope can carry", (int)threshold, DSSE_MAX_SIGS);
	role->threshold = (unsigned)threshold;
	return 0;
}

static int parse_roles(json_object *doc, struct root *r, gw_error *err)
{
	bool used[ROOT_MAX_KEYS] = { false };
	json_object *roles = NULL;
	int rc;

	if (!json_object_object_get_ex(doc, "roles", &roles))
		return gw_fail(err, GW_E_PARSE, "'roles' is missing");
	if (!json_object_is_type(roles, json_type_object))
		return gw_fail(err, GW_E_PARSE, "'roles' must be an object");
	rc = gw_json_check_keys(roles, role_names, ROOT_NROLES, err);
	if (rc) {
		gw_error_prefix(err, "'roles': ");
		return rc;
	}
	for (unsigned i = 0; i < ROOT_NROLES; i++) {
		json_object *o = NULL;

		if (!json_object_object_get_ex(roles, role_names[i], &o))
			return gw_fail(err, GW_E_PARSE, "role '%s' is missing", role_names[i]);
		rc = parse_role(o, r, &r->role[i], used, err);
		if (rc) {
			gw_error_prefix(err, "role '%s': ", role_names[i]);
			return rc;
		}
	}
	for (size_t k = 0; k < r->nkeys; k++)
		if (!used[k])
			return gw_fail(err, GW_E_PARSE, "key %s is in no role", r->keyid[k]);
	return 0;
}

static int parse_doc(struct root *r, gw_error *err)
{
	static const char *const known[] = { "_type", "version", "expires", "keys", "roles" };
	json_object *doc = NULL;
	const char *s;
	int64_t v = 0, t = 0;
	int rc;

	rc = gw_json_object_parse(r->payload, r->payload_len, ROOT_MAX_SIZE, ROOT_JSON_DEPTH,
				  "root document", &doc, err);
	if (rc)
		return rc;
	rc = gw_json_check_keys(doc, known, GW_ARRAY_SIZE(known), err);
	if (!rc)
		rc = gw_json_get_string(doc, "_type", 64, &s, NULL, err);
	if (!rc && strcmp(s, ROOT_TYPE))
		rc = gw_fail(err, GW_E_PARSE, "'_type' must be '" ROOT_TYPE "', not '%.64s'", s);
	if (!rc)
		rc = gw_json_get_int(doc, "version", 1, INT64_MAX - 1, &v, err);
	if (!rc)
		rc = gw_json_get_string(doc, "expires", 64, &s, NULL, err);
	if (!rc && gw_time_parse_utc(s, &t))
		rc = gw_fail(err, GW_E_PARSE, "'expires' must be a UTC time as "
			     "YYYY-MM-DDTHH:MM:SSZ, not '%.64s'", s);
	if (!rc)
		rc = parse_keys(doc, r, err);
	if (!rc)
		rc = parse_roles(doc, r, err);
	if (rc)
		gw_error_prefix(err, "root document: ");
	r->version = (uint64_t)v;
	r->expires = (time_t)t;
	json_object_put(doc);
	return rc;
}

int root_parse(const uint8_t *buf, size_t len, struct root **out, gw_error *err)
{
	struct root *r = NULL;
	int rc;

	if (len > ROOT_MAX_SIZE)
		return gw_fail(err, GW_E_TOOBIG, "root larger than %u bytes", ROOT_MAX_SIZE);
	r = calloc(1, sizeof(*r));
	if (!r)
		return GW_E_NOMEM;
	rc = dsse_parse(buf, len, &r->env, err);
	if (rc) {
		gw_error_prefix(err, "root: ");
		goto out;
	}
	if (strcmp(r->env->payload_type, ROOT_PAYLOAD_TYPE)) {
		rc = gw_fail(err, GW_E_PARSE, "root: payload type '%.64s' is not " ROOT_PAYLOAD_TYPE,
			     r->env->payload_type);
		goto out;
	}
	r->payload = r->env->payload; /* borrowed from env */
	r->payload_len = r->env->payload_len;
	rc = parse_doc(r, err);
	if (rc)
		goto out;
	if (!EVP_Digest(r->payload, r->payload_len, r->digest, NULL, EVP_sha256(), NULL)) {
		ERR_clear_error();
		rc = gw_fail(err, GW_E_CRYPTO, "root: hashing the document failed");
		goto out;
	}
	gw_hex_encode(r->digest, sizeof(r->digest), r->digest_hex);
	*out = r; /* transferred */
	r = NULL;
out:
	root_free(r);
	return rc;
}

int root_load(const char *path, struct root **out, gw_error *err)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	/* gw_read_file()'s messages name the file already. */
	rc = gw_read_file(strcmp(path, "-") ? path : "/dev/stdin", ROOT_MAX_SIZE, &buf, &len,
			  err);
	if (rc == GW_E_TOOBIG)
		rc = gw_fail(err, GW_E_TOOBIG, "%s: larger than %u bytes", path, ROOT_MAX_SIZE);
	if (!rc) {
		rc = root_parse(buf, len, out, err);
		if (rc)
			gw_error_prefix(err, "%s: ", path);
	}
	free(buf);
	return rc;
}

static int check_expiry(const struct root *r, time_t now, gw_error *err)
{
	char when[GW_TIME_LEN];

	if (now < r->expires)
		return 0;
	gw_time_format_utc((int64_t)r->expires, when);
	return gw_fail(err, GW_E_STATE, "root version %llu expired at %s",
		       (unsigned long long)r->version, when);
}

/* Signatures over r's envelope by a threshold of signer's root role. */
static int signed_by_root_role(const struct root *signer, const struct root *r,
			       gw_error *err)
{
	const struct root_role *role = &signer->role[ROOT_ROLE_ROOT];

	return dsse_verify(r->env, role->keys, role->nkeys, role->threshold, ROOT_PAYLOAD_TYPE,
			   NULL, err);
}

int root_verify_self(const struct root *r, time_t now, gw_error *err)
{
	int rc = signed_by_root_role(r, r, err);

	if (rc) {
		gw_error_prefix(err, "root signature: ");
		return rc;
	}
	return check_expiry(r, now, err);
}

int root_verify_step(const struct root *cur, const struct root *next, gw_error *err)
{
	int rc;

	if (next->version != cur->version + 1) {
		const char *why = next->version == cur->version ? "the same version (replayed)"
				  : next->version < cur->version ? "an older version (replayed)"
								 : "skips versions";

		return gw_fail(err, GW_E_STATE,
			       "root version %llu cannot follow version %llu: %s; only version "
			       "%llu can",
			       (unsigned long long)next->version, (unsigned long long)cur->version,
			       why, (unsigned long long)cur->version + 1);
	}
	rc = signed_by_root_role(cur, next, err);
	if (rc) {
		gw_error_prefix(err, "root version %llu: signatures by version %llu's root keys: ",
				(unsigned long long)next->version,
				(unsigned long long)cur->version);
		return rc;
	}
	rc = signed_by_root_role(next, next, err);
	if (rc)
		gw_error_prefix(err, "root version %llu: signatures by its own root keys: ",
				(unsigned long long)next->version);
	return rc;
}

int root_verify_successor(const struct root *cur, const struct root *next, time_t now,
			  gw_error *err)
{
	int rc = root_verify_step(cur, next, err);

	return rc ? rc : check_expiry(next, now, err);
}

int root_verify_envelope(const struct root *r, enum root_role_id role,
			 const struct dsse_envelope *env, const char *expected_type,
			 struct dsse_result *res, gw_error *err)
{
	const struct root_role *rl;

	if ((unsigned)role >= ROOT_NROLES || !env)
		return gw_fail(err, GW_E_INVAL, "no such role or no envelope");
	rl = &r->role[role];
	return dsse_verify(env, rl->keys, rl->nkeys, rl->threshold, expected_type, res, err);
}

/* PEM SubjectPublicKeyInfo of key, an EC point uncompressed: one spelling per key. */
static int pem_of(EVP_PKEY *key, json_object **out)
{
	EVP_PKEY *canon = EVP_PKEY_dup(key);
	BIO *bio = BIO_new(BIO_s_mem());
	char *pem = NULL;
	long len;
	int rc = GW_E_CRYPTO;

	if (!canon || !bio)
		goto out;
	if (EVP_PKEY_get_base_id(canon) == EVP_PKEY_EC &&
	    !EVP_PKEY_set_utf8_string_param(canon, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
					    OSSL_PKEY_EC_POINT_CONVERSION_FORMAT_UNCOMPRESSED))
		goto out;
	if (!PEM_write_bio_PUBKEY(bio, canon) || (len = BIO_get_mem_data(bio, &pem)) <= 0)
		goto out;
	*out = json_object_new_string_len(pem, (int)len);
	rc = *out ? 0 : GW_E_NOMEM;
out:
	ERR_clear_error();
	BIO_free(bio);
	EVP_PKEY_free(canon);
	return rc;
}

static int add_key(json_object *keys, EVP_PKEY *key, const char *id)
{
	json_object *k = json_object_new_object(), *pem = NULL;
	int rc = k ? pem_of(key, &pem) : GW_E_NOMEM;

	if (!rc && (json_object_object_add(k, "keytype",
					   json_object_new_string(keytype_of(key))) ||
		    json_object_object_add(k, "public", pem)))
		rc = GW_E_NOMEM;
	else if (rc)
		json_object_put(pem);
	if (!rc && json_object_object_add(keys, id, k))
		rc = GW_E_NOMEM;
	if (rc)
		json_object_put(k);
	return rc;
}

/* One role of the draft: its keys valid and distinct, its threshold in range.
 * ids[] gets each key's keyid. */
static int check_draft_role(const struct root_draft *d, unsigned role,
			    char ids[ROOT_MAX_KEYS][DSSE_KEYID_LEN], gw_error *err)
{
	size_t n = d->role[role].nkeys;
	int rc;

	if (n < 1 || n > ROOT_MAX_KEYS)
		return gw_fail(err, GW_E_INVAL, "role %s needs 1 to %u keys, not %zu",
			       role_names[role], ROOT_MAX_KEYS, n);
	if (d->role[role].threshold < 1 || d->role[role].threshold > n ||
	    d->role[role].threshold > DSSE_MAX_SIGS)
		return gw_fail(err, GW_E_INVAL, "role %s: threshold %u is not between 1 and %zu",
			       role_names[role], d->role[role].threshold,
			       n < DSSE_MAX_SIGS ? n : (size_t)DSSE_MAX_SIGS);
	for (size_t i = 0; i < n; i++) {
		rc = dsse_key_check(d->role[role].keys[i], err);
		if (rc) {
			gw_error_prefix(err, "role %s: key %zu: ", role_names[role], i + 1);
			return rc;
		}
		if (dsse_keyid(d->role[role].keys[i], ids[i]))
			return gw_fail(err, GW_E_CRYPTO, "encoding a public key failed");
		for (size_t j = 0; j < i; j++)
			if (!strcmp(ids[i], ids[j]))
				return gw_fail(err, GW_E_INVAL, "role %s lists key %s twice",
					       role_names[role], ids[i]);
	}
	return 0;
}

static int add_roles(json_object *doc, const struct root_draft *d,
		     char ids[ROOT_NROLES][ROOT_MAX_KEYS][DSSE_KEYID_LEN])
{
	json_object *roles = json_object_new_object();

	if (!roles || json_object_object_add(doc, "roles", roles)) {
		json_object_put(roles);
		return GW_E_NOMEM;
	}
	for (unsigned r = 0; r < ROOT_NROLES; r++) {
		json_object *o = json_object_new_object(), *arr = json_object_new_array();

		if (!o || json_object_object_add(roles, role_names[r], o) || !arr ||
		    json_object_object_add(o, "keyids", arr)) {
			json_object_put(o);
			json_object_put(arr);
			return GW_E_NOMEM;
		}
		for (size_t i = 0; i < d->role[r].nkeys; i++)
			if (json_object_array_add(arr, json_object_new_string(ids[r][i])))
				return GW_E_NOMEM;
		if (json_object_object_add(o, "threshold",
					   json_object_new_int64(d->role[r].threshold)))
			return GW_E_NOMEM;
	}
	return 0;
}

/* The keys object: each key once, in order of first use. */
static int add_keys(json_object *doc, const struct root_draft *d,
		    char ids[ROOT_NROLES][ROOT_MAX_KEYS][DSSE_KEYID_LEN], gw_error *err)
{
	json_object *keys = json_object_new_object();
	size_t n = 0;
	int rc;

	if (!keys || json_object_object_add(doc, "keys", keys)) {
		json_object_put(keys);
		return GW_E_NOMEM;
	}
	for (unsigned r = 0; r < ROOT_NROLES; r++)
		for (size_t i = 0; i < d->role[r].nkeys; i++) {
			if (json_object_object_get_ex(keys, ids[r][i], NULL))
				continue;
			if (++n > ROOT_MAX_KEYS)
				return gw_fail(err, GW_E_INVAL, "more than %u keys", ROOT_MAX_KEYS);
			rc = add_key(keys, d->role[r].keys[i], ids[r][i]);
			if (rc)
				return gw_fail(err, rc, "encoding key %s failed", ids[r][i]);
		}
	return 0;
}

int root_format(const struct root_draft *d, char **out, size_t *out_len, gw_error *err)
{
	char (*ids)[ROOT_MAX_KEYS][DSSE_KEYID_LEN] = calloc(ROOT_NROLES, sizeof(*ids));
	char when[GW_TIME_LEN];
	json_object *doc = NULL;
	const char *text;
	char *copy = NULL;
	int rc = 0;

	if (!ids)
		return GW_E_NOMEM;
	if (d->version < 1 || d->version > INT64_MAX - 1 || d->expires < 0) {
		rc = gw_fail(err, GW_E_INVAL, "version must be 1 or more, expiry after 1970");
		goto out;
	}
	for (unsigned r = 0; r < ROOT_NROLES && !rc; r++)
		rc = check_draft_role(d, r, ids[r], err);
	if (rc)
		goto out;
	gw_time_format_utc((int64_t)d->expires, when);
	doc = json_object_new_object();
	if (!doc || json_object_object_add(doc, "_type", json_object_new_string(ROOT_TYPE)) ||
	    json_object_object_add(doc, "version", json_object_new_int64((int64_t)d->version)) ||
	    json_object_object_add(doc, "expires", json_object_new_string(when))) {
		rc = GW_E_NOMEM;
		goto out;
	}
	rc = add_keys(doc, d, ids, err);
	if (!rc)
		rc = add_roles(doc, d, ids);
	if (rc)
		goto out;
	text = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY |
							   JSON_C_TO_STRING_SPACED |
							   JSON_C_TO_STRING_NOSLASHESCAPE);
	copy = text ? strdup(text) : NULL;
	if (!copy) {
		rc = GW_E_NOMEM;
		goto out;
	}
	*out_len = strlen(copy);
	*out = copy; /* transferred */
out:
	json_object_put(doc);
	free(ids);
	return rc;
}
