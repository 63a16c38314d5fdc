// SPDX-License-Identifier: Apache-2.0
// Unit tests for the update trust root: the committed good and bad roots, roots
// written by root_format(), and the rotation rule (N+1 signed by a threshold of
// N's root keys and of its own).
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include "root.h"
#include "util.h"
#include "fixture_list.h"

#define FIX "common/tests/fixtures/root"
#define BAD_DIR FIX "/bad"
#define MANIFEST_TYPE "application/vnd.gatewarden.manifest+json"
/* 2026-12-01T00:00:00Z: the committed roots expire in 2099 (or 2020). */
#define FIXTURE_NOW ((time_t)1796083200)
#define DAY 86400

static time_t now_plus(long days)
{
	return time(NULL) + (time_t)days * DAY;
}

static EVP_PKEY *gen(bool ed25519)
{
	EVP_PKEY *k = ed25519 ? EVP_PKEY_Q_keygen(NULL, NULL, "ED25519") : EVP_EC_gen("P-256");

	assert_non_null(k);
	return k;
}

static struct root *load(const char *path)
{
	struct root *r = NULL;
	gw_error err = { { 0 } };
	int rc = root_load(path, &r, &err);

	if (rc)
		fail_msg("%s: %s", path, gw_error_msg(&err, rc));
	return r;
}

/* The document for the given roles, signed by signers (n of them). */
static char *make_signed(uint64_t version, time_t expires, EVP_PKEY *const *rk, size_t nrk,
			 unsigned rt, EVP_PKEY *const *tk, size_t ntk, unsigned tt,
			 EVP_PKEY *const *signers, size_t nsigners)
{
	struct root_draft d = { .version = version, .expires = expires };
	gw_error err = { { 0 } };
	char *doc = NULL, *env = NULL;
	size_t len = 0;
	int rc;

	memcpy(d.role[ROOT_ROLE_ROOT].keys, rk, nrk * sizeof(*rk));
	d.role[ROOT_ROLE_ROOT].nkeys = nrk;
	d.role[ROOT_ROLE_ROOT].threshold = rt;
	memcpy(d.role[ROOT_ROLE_TARGETS].keys, tk, ntk * sizeof(*tk));
	d.role[ROOT_ROLE_TARGETS].nkeys = ntk;
	d.role[ROOT_ROLE_TARGETS].threshold = tt;
	rc = root_format(&d, &doc, &len, &err);
	if (rc)
		fail_msg("root_format: %s", gw_error_msg(&err, rc));
	rc = dsse_sign(ROOT_PAYLOAD_TYPE, (const uint8_t *)doc, len, signers, nsigners, &env,
		       &err);
	if (rc)
		fail_msg("dsse_sign: %s", gw_error_msg(&err, rc));
	free(doc);
	return env;
}

static struct root *parse_text(const char *text)
{
	struct root *r = NULL;
	gw_error err = { { 0 } };
	int rc = root_parse((const uint8_t *)text, strlen(text), &r, &err);

	if (rc)
		fail_msg("root_parse: %s", gw_error_msg(&err, rc));
	return r;
}

static struct root *make_root(uint64_t version, time_t expires, EVP_PKEY *const *rk, size_t nrk,
			      unsigned rt, EVP_PKEY *const *tk, size_t ntk,
			      EVP_PKEY *const *signers, size_t nsigners)
{
	char *env = make_signed(version, expires, rk, nrk, rt, tk, ntk, 1, signers, nsigners);
	struct root *r = parse_text(env);

	free(env);
	return r;
}

static void expect_fail(int rc, int want, const gw_error *err, const char *words)
{
	if (rc != want)
		fail_msg("got %d (%s), expected %d", rc, gw_error_msg(err, rc), want);
	if (!strstr(err->msg, words))
		fail_msg("message '%s' lacks '%s'", err->msg, words);
}

static void test_good_fixtures(void **state)
{
	struct root *v1 = load(FIX "/good/root-v1.json"), *v2 = load(FIX "/good/root-v2.json");
	gw_error err = { { 0 } };
	uint8_t *want = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(v1->version, 1);
	assert_int_equal(v1->expires, 4102358400); /* 2099-12-31T00:00:00Z */
	assert_int_equal(v1->nkeys, 5);
	assert_int_equal(v1->role[ROOT_ROLE_ROOT].nkeys, 3);
	assert_int_equal(v1->role[ROOT_ROLE_ROOT].threshold, 2);
	assert_int_equal(v1->role[ROOT_ROLE_TARGETS].nkeys, 2);
	assert_int_equal(v1->role[ROOT_ROLE_TARGETS].threshold, 1);
	assert_string_equal(v1->role[ROOT_ROLE_ROOT].keyid[0], v1->keyid[0]);
	assert_ptr_equal(v1->role[ROOT_ROLE_TARGETS].keys[0], v1->keys[3]);
	/* The digest is hashlib's SHA-256 of the document. */
	assert_int_equal(gw_read_file(FIX "/good/root-v1.digest", 100, &want, &len, &err), 0);
	assert_int_equal(len, 65);
	assert_memory_equal(want, v1->digest_hex, 64);
	free(want);
	assert_int_equal(root_verify_self(v1, FIXTURE_NOW, &err), 0);
	assert_int_equal(root_verify_self(v2, FIXTURE_NOW, &err), 0);
	assert_int_equal(root_verify_successor(v1, v2, FIXTURE_NOW, &err), 0);
	/* Replays: v1 offered to a device that trusts v2, or v1 again. */
	expect_fail(root_verify_successor(v2, v1, FIXTURE_NOW, &err), GW_E_STATE, &err,
		    "root version 1 cannot follow version 2: an older version (replayed)");
	expect_fail(root_verify_successor(v1, v1, FIXTURE_NOW, &err), GW_E_STATE, &err,
		    "root version 1 cannot follow version 1: the same version (replayed)");
	/* v2 is past its expiry a century on. */
	expect_fail(root_verify_self(v2, FIXTURE_NOW + 100L * 365 * DAY, &err), GW_E_STATE,
		    &err, "root version 2 expired at 2099-12-31T00:00:00Z");
	root_free(v1);
	root_free(v2);
}

enum stage { PARSE, SELF };

struct bad_case {
	const char *name;
	enum stage stage;
	int code;
	const char *msg;
};

static const struct bad_case bad_cases[] = {
	{ "not-envelope", PARSE, GW_E_PARSE, "root: envelope" },
	{ "wrong-payload-type", PARSE, GW_E_PARSE,
	  "payload type 'application/vnd.gatewarden.policy+json' is not" },
	{ "trailing-data", PARSE, GW_E_TRAILING, "envelope: data after the JSON object" },
	{ "envelope-extra-key", PARSE, GW_E_PARSE, "envelope: unknown key 'version'" },
	{ "doc-not-json", PARSE, GW_E_PARSE, "root document is not valid JSON" },
	{ "doc-array", PARSE, GW_E_PARSE, "root document must be a JSON object" },
	{ "doc-trailing-data", PARSE, GW_E_TRAILING, "root document: data after the JSON object" },
	{ "doc-too-deep", PARSE, GW_E_PARSE, "root document is nested deeper than 5 levels" },
	{ "doc-duplicate-key", PARSE, GW_E_PARSE, "a key appears twice in one object" },
	{ "unknown-top-level-key", PARSE, GW_E_PARSE, "unknown key 'consistent_snapshot'" },
	{ "missing-type", PARSE, GW_E_PARSE, "'_type' is missing" },
	{ "wrong-type", PARSE, GW_E_PARSE, "'_type' must be 'gatewarden-root'" },
	{ "version-0", PARSE, GW_E_PARSE, "'version' must be 1 to" },
	{ "version-negative", PARSE, GW_E_PARSE, "'version' must be 1 to" },
	{ "version-string", PARSE, GW_E_PARSE, "'version' must be an integer" },
	{ "version-fraction", PARSE, GW_E_PARSE, "'version' must be an integer" },
	{ "version-huge", PARSE, GW_E_PARSE, "'version' must be 1 to" },
	{ "missing-version", PARSE, GW_E_PARSE, "'version' is missing" },
	{ "missing-expires", PARSE, GW_E_PARSE, "'expires' is missing" },
	{ "expires-offset", PARSE, GW_E_PARSE, "'expires' must be a UTC time" },
	{ "expires-fraction", PARSE, GW_E_PARSE, "'expires' must be a UTC time" },
	{ "expires-no-date", PARSE, GW_E_PARSE, "not '2099-02-30T00:00:00Z'" },
	{ "expires-number", PARSE, GW_E_PARSE, "'expires' must be a string" },
	{ "keys-missing", PARSE, GW_E_PARSE, "'keys' is missing" },
	{ "keys-empty", PARSE, GW_E_PARSE, "'keys' must be a non-empty object" },
	{ "keys-array", PARSE, GW_E_PARSE, "'keys' must be a non-empty object" },
	{ "key-wrong-keyid", PARSE, GW_E_KEY, "is not named by its keyid" },
	{ "key-duplicate-compressed", PARSE, GW_E_KEY, "is the same key as 'c7610375" },
	{ "key-duplicate-explicit", PARSE, GW_E_KEY, "EC key with explicit curve parameters" },
	{ "key-extra-field", PARSE, GW_E_PARSE, "unknown key 'scheme'" },
	{ "key-missing-public", PARSE, GW_E_PARSE, "'public' is missing" },
	{ "key-type-unknown", PARSE, GW_E_PARSE, "'keytype' must be ecdsa-p256 or ed25519" },
	{ "key-type-mismatch", PARSE, GW_E_KEY, "'keytype' is ed25519 but the key is ecdsa-p256" },
	{ "key-rsa", PARSE, GW_E_KEY, "neither ECDSA P-256 nor Ed25519" },
	{ "key-p384", PARSE, GW_E_KEY, "not P-256" },
	{ "key-pem-garbage", PARSE, GW_E_KEY, "not a DER SubjectPublicKeyInfo" },
	{ "key-pem-text-before", PARSE, GW_E_KEY, "must start with -----BEGIN PUBLIC KEY-----" },
	{ "key-pem-text-after", PARSE, GW_E_KEY, "not one PEM public key and nothing else" },
	{ "key-pem-two-keys", PARSE, GW_E_KEY, "not one PEM public key and nothing else" },
	{ "key-pem-certificate", PARSE, GW_E_KEY, "must start with -----BEGIN PUBLIC KEY-----" },
	{ "key-in-no-role", PARSE, GW_E_PARSE, "is in no role" },
	{ "roles-missing", PARSE, GW_E_PARSE, "'roles' is missing" },
	{ "role-missing-targets", PARSE, GW_E_PARSE, "role 'targets' is missing" },
	{ "role-unknown", PARSE, GW_E_PARSE, "'roles': unknown key 'snapshot'" },
	{ "role-extra-field", PARSE, GW_E_PARSE, "role 'root': unknown key 'name'" },
	{ "role-threshold-0", PARSE, GW_E_PARSE, "role 'root': 'threshold' must be 1 to 3" },
	{ "role-threshold-over-keys", PARSE, GW_E_PARSE,
	  "role 'targets': 'threshold' must be 1 to 2" },
	{ "role-threshold-missing", PARSE, GW_E_PARSE, "'threshold' is missing" },
	{ "role-unknown-keyid", PARSE, GW_E_PARSE, "names no key in 'keys'" },
	{ "role-keyid-twice", PARSE, GW_E_PARSE, "'keyids' lists c7610375" },
	{ "role-keyids-empty", PARSE, GW_E_PARSE, "'keyids' must be a non-empty array" },
	{ "role-keyid-number", PARSE, GW_E_PARSE, "'keyids' entry 2 must be a string" },
	{ "expired", SELF, GW_E_STATE, "root version 1 expired at 2020-01-01T00:00:00Z" },
	{ "below-threshold", SELF, GW_E_SIGNATURE,
	  "root signature: 1 of required 2 signatures valid" },
	{ "signed-by-unknown-key", SELF, GW_E_SIGNATURE,
	  "0 of required 1 signatures valid (key 1e51\xe2\x80\xa6 unknown)" },
	{ "signed-by-targets-key", SELF, GW_E_SIGNATURE, "0 of required 2 signatures valid" },
	{ "same-key-signed-twice", SELF, GW_E_SIGNATURE, "1 of required 2 signatures valid" },
	{ "tampered-payload", SELF, GW_E_SIGNATURE, "invalid signature" },
};

static void test_bad_fixtures(void **state)
{
	(void)state;
	for (size_t i = 0; i < GW_ARRAY_SIZE(bad_cases); i++) {
		const struct bad_case *c = &bad_cases[i];
		char path[256];
		struct root *r = NULL;
		gw_error err = { { 0 } };
		int rc;

		assert_int_equal(gw_snprintf(path, sizeof(path), "%s/%s.json", BAD_DIR, c->name),
				 0);
		rc = root_load(path, &r, &err);
		if (c->stage == SELF) {
			if (rc)
				fail_msg("%s: does not parse: %s", c->name, gw_error_msg(&err, rc));
			rc = root_verify_self(r, FIXTURE_NOW, &err);
		}
		if (rc != c->code)
			fail_msg("%s: got %d (%s), expected %d", c->name, rc,
				 gw_error_msg(&err, rc), c->code);
		if (!strstr(err.msg, c->msg))
			fail_msg("%s: message '%s' lacks '%s'", c->name, err.msg, c->msg);
		if (c->stage == PARSE)
			assert_null(r);
		root_free(r);
	}
}

/* Every fixture in bad/ has an entry above. */
static void test_bad_fixtures_listed(void **state)
{
	(void)state;
	FIXTURES_ALL_LISTED(BAD_DIR, ".json", bad_cases);
}

/* What root_format() writes parses back to the same roles; the digest is the
 * document's and does not change with the signatures. */
static void test_format_round_trip(void **state)
{
	EVP_PKEY *k[4] = { gen(false), gen(true), gen(false), gen(true) };
	char *one = make_signed(7, now_plus(30), k, 2, 2, k + 2, 2, 1, k, 1);
	char *two = make_signed(7, now_plus(30), k, 2, 2, k + 2, 2, 1, k, 2);
	struct root *r1 = parse_text(one), *r2 = parse_text(two);
	uint8_t md[32];
	gw_error err = { { 0 } };

	(void)state;
	assert_int_equal(r1->version, 7);
	assert_int_equal(r1->nkeys, 4);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(root_key_index(r1, k[i]), (int)i);
	assert_int_equal(r1->role[ROOT_ROLE_TARGETS].nkeys, 2);
	assert_int_equal(root_key_index(r1, r1->role[ROOT_ROLE_TARGETS].keys[1]), 3);
	assert_true(EVP_Digest(r1->payload, r1->payload_len, md, NULL, EVP_sha256(), NULL));
	assert_memory_equal(md, r1->digest, 32);
	assert_memory_equal(r1->digest, r2->digest, 32);
	assert_string_equal(r1->digest_hex, r2->digest_hex);
	expect_fail(root_verify_self(r1, time(NULL), &err), GW_E_SIGNATURE, &err,
		    "root signature: 1 of required 2 signatures valid");
	assert_int_equal(root_verify_self(r2, time(NULL), &err), 0);
	expect_fail(root_verify_self(r2, now_plus(31), &err), GW_E_STATE, &err,
		    "root version 7 expired at");
	assert_string_equal(root_role_name(ROOT_ROLE_TARGETS), "targets");
	root_free(r1);
	root_free(r2);
	free(one);
	free(two);
	for (size_t i = 0; i < 4; i++)
		EVP_PKEY_free(k[i]);
}

static EVP_PKEY *compressed_copy(EVP_PKEY *k)
{
	EVP_PKEY *c = EVP_PKEY_dup(k);

	assert_non_null(c);
	assert_true(EVP_PKEY_set_utf8_string_param(
		c, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
		OSSL_PKEY_EC_POINT_CONVERSION_FORMAT_COMPRESSED));
	return c;
}

static void test_format_refuses(void **state)
{
	EVP_PKEY *a = gen(false), *b = gen(true), *ac = compressed_copy(a);
	EVP_PKEY *p384 = EVP_EC_gen("P-384");
	struct root_draft d = { .version = 1, .expires = now_plus(1) };
	gw_error err = { { 0 } };
	char *out = NULL;
	size_t len = 0;

	(void)state;
	d.role[0].keys[0] = a;
	d.role[0].keys[1] = ac; /* a again, its point compressed */
	d.role[0].nkeys = 2;
	d.role[0].threshold = 2;
	d.role[1].keys[0] = b;
	d.role[1].nkeys = 1;
	d.role[1].threshold = 1;
	expect_fail(root_format(&d, &out, &len, &err), GW_E_INVAL, &err, "role root lists key");
	d.role[0].keys[1] = b;
	d.role[0].threshold = 3;
	expect_fail(root_format(&d, &out, &len, &err), GW_E_INVAL, &err,
		    "role root: threshold 3 is not between 1 and 2");
	d.role[0].threshold = 0;
	expect_fail(root_format(&d, &out, &len, &err), GW_E_INVAL, &err, "threshold 0");
	d.role[0].threshold = 1;
	d.role[1].keys[0] = p384;
	expect_fail(root_format(&d, &out, &len, &err), GW_E_KEY, &err, "role targets: key 1:");
	d.role[1].keys[0] = ac;
	d.version = 0;
	expect_fail(root_format(&d, &out, &len, &err), GW_E_INVAL, &err, "version");
	assert_null(out);
	/* The compressed key is written with its point uncompressed: one spelling. */
	d.version = 1;
	assert_int_equal(root_format(&d, &out, &len, &err), 0);
	assert_non_null(strstr(out, "\"keytype\": \"ed25519\""));
	{
		char *env = NULL;
		struct root *r = NULL;

		assert_int_equal(dsse_sign(ROOT_PAYLOAD_TYPE, (const uint8_t *)out, len, &a, 1,
					   &env, &err), 0);
		r = parse_text(env);
		assert_int_equal(r->nkeys, 2);
		assert_int_equal(root_key_index(r, ac), 0);
		assert_int_equal(root_verify_self(r, time(NULL), &err), 0);
		root_free(r);
		free(env);
	}
	free(out);
	EVP_PKEY_free(a);
	EVP_PKEY_free(b);
	EVP_PKEY_free(ac);
	EVP_PKEY_free(p384);
}

struct keys6 {
	EVP_PKEY *a, *b, *c, *d, *t;
};

static struct keys6 keys6_new(void)
{
	struct keys6 k = { gen(false), gen(true), gen(false), gen(true), gen(false) };

	return k;
}

static void keys6_free(struct keys6 *k)
{
	EVP_PKEY_free(k->a);
	EVP_PKEY_free(k->b);
	EVP_PKEY_free(k->c);
	EVP_PKEY_free(k->d);
	EVP_PKEY_free(k->t);
}

/* Version 1: root keys a, b (2 of 2). Version 2: root keys b, c (2 of 2). */
static void test_rotation(void **state)
{
	struct keys6 k = keys6_new();
	EVP_PKEY *old[] = { k.a, k.b }, *new[] = { k.b, k.c }, *all[] = { k.a, k.b, k.c };
	EVP_PKEY *just_new[] = { k.b, k.c }, *just_old[] = { k.a, k.b };
	time_t exp = now_plus(365);
	struct root *v1 = make_root(1, exp, old, 2, 2, &k.t, 1, old, 2);
	struct root *v2 = make_root(2, exp, new, 2, 2, &k.t, 1, all, 3);
	struct root *v2_new_only = make_root(2, exp, new, 2, 2, &k.t, 1, just_new, 2);
	struct root *v2_old_only = make_root(2, exp, new, 2, 2, &k.t, 1, just_old, 2);
	struct root *v3 = make_root(3, exp, new, 2, 2, &k.t, 1, all, 3);
	struct root *v2_short = make_root(2, now_plus(-1), new, 2, 2, &k.t, 1, all, 3);
	gw_error err = { { 0 } };

	(void)state;
	assert_int_equal(root_verify_successor(v1, v2, time(NULL), &err), 0);
	assert_int_equal(root_verify_successor(v2, v3, time(NULL), &err), 0);
	/* Missing the old threshold: only b of version 1's a and b signed. */
	expect_fail(root_verify_successor(v1, v2_new_only, time(NULL), &err), GW_E_SIGNATURE,
		    &err, "root version 2: signatures by version 1's root keys: 1 of required 2");
	/* Missing the new threshold: c, a new root key, did not sign. */
	expect_fail(root_verify_successor(v1, v2_old_only, time(NULL), &err), GW_E_SIGNATURE,
		    &err, "root version 2: signatures by its own root keys: 1 of required 2");
	/* Replayed, older, skipping. */
	expect_fail(root_verify_successor(v2, v2, time(NULL), &err), GW_E_STATE, &err,
		    "root version 2 cannot follow version 2: the same version (replayed)");
	expect_fail(root_verify_successor(v2, v1, time(NULL), &err), GW_E_STATE, &err,
		    "root version 1 cannot follow version 2");
	expect_fail(root_verify_successor(v1, v3, time(NULL), &err), GW_E_STATE, &err,
		    "root version 3 cannot follow version 1: skips versions; only version 2 can");
	/* An expired successor is refused; the step alone (for chains) is fine. */
	expect_fail(root_verify_successor(v1, v2_short, time(NULL), &err), GW_E_STATE, &err,
		    "root version 2 expired at");
	assert_int_equal(root_verify_step(v1, v2_short, &err), 0);
	/* The current root's own expiry does not matter: it is what the device has. */
	assert_int_equal(root_verify_successor(v2_short, v3, time(NULL), &err), 0);
	root_free(v1);
	root_free(v2);
	root_free(v2_new_only);
	root_free(v2_old_only);
	root_free(v3);
	root_free(v2_short);
	keys6_free(&k);
}

/* An envelope whose signatures are those of first followed by those of second. */
static char *merge_sigs(const char *first, const char *second)
{
	struct dsse_envelope *e1 = NULL, *e2 = NULL;
	gw_error err = { { 0 } };
	char *out = NULL;

	assert_int_equal(dsse_parse((const uint8_t *)first, strlen(first), &e1, &err), 0);
	assert_int_equal(dsse_parse((const uint8_t *)second, strlen(second), &e2, &err), 0);
	for (size_t i = 0; i < e2->nsigs; i++)
		e1->sigs[e1->nsigs++] = e2->sigs[i];
	e2->nsigs = 0;
	assert_int_equal(dsse_format(e1, &out), 0);
	dsse_free(e1);
	dsse_free(e2);
	return out;
}

/* One key signing twice (two distinct, valid ECDSA signatures) counts once, for
 * the old threshold as for the new; as does a key under another encoding. */
static void test_rotation_key_counted_twice(void **state)
{
	struct keys6 k = keys6_new();
	EVP_PKEY *old[] = { k.a, k.b }, *new[] = { k.a, k.c }, *ac = compressed_copy(k.a);
	EVP_PKEY *ac_set[] = { k.c, ac };
	time_t exp = now_plus(365);
	struct root *v1 = make_root(1, exp, old, 2, 2, &k.t, 1, old, 2), *v2 = NULL;
	char *s1 = make_signed(2, exp, new, 2, 2, &k.t, 1, 1, &k.a, 1);
	char *s2 = make_signed(2, exp, new, 2, 2, &k.t, 1, 1, new, 2);
	char *both = merge_sigs(s1, s2);
	gw_error err = { { 0 } };

	(void)state;
	/* a, a, c: version 2's own threshold is met (a and c), version 1's is not. */
	v2 = parse_text(both);
	assert_int_equal(v2->env->nsigs, 3);
	expect_fail(root_verify_successor(v1, v2, time(NULL), &err), GW_E_SIGNATURE, &err,
		    "signatures by version 1's root keys: 1 of required 2");
	root_free(v2);
	/* a, then a again read with its point compressed (and c): still one key. */
	free(both);
	free(s2);
	s2 = make_signed(2, exp, new, 2, 2, &k.t, 1, 1, ac_set, 2);
	both = merge_sigs(s1, s2);
	v2 = parse_text(both);
	assert_string_equal(v2->env->sigs[0].keyid, v2->env->sigs[2].keyid);
	expect_fail(root_verify_successor(v1, v2, time(NULL), &err), GW_E_SIGNATURE, &err,
		    "signatures by version 1's root keys: 1 of required 2");
	root_free(v2);
	root_free(v1);
	free(s1);
	free(s2);
	free(both);
	EVP_PKEY_free(ac);
	keys6_free(&k);
}

/* Envelopes of other documents, checked against a role. */
static void test_verify_envelope(void **state)
{
	struct keys6 k = keys6_new();
	EVP_PKEY *rk[] = { k.a }, *tk[] = { k.t, k.d };
	struct root *r = make_root(1, now_plus(9), rk, 1, 1, tk, 2, rk, 1);
	static const uint8_t doc[] = "{\"_type\":\"gatewarden-manifest\"}";
	struct dsse_envelope *env = NULL;
	struct dsse_result res;
	gw_error err = { { 0 } };
	char *json = NULL;

	(void)state;
	assert_int_equal(dsse_sign(MANIFEST_TYPE, doc, sizeof(doc) - 1, &k.d, 1, &json, &err), 0);
	assert_int_equal(dsse_parse((const uint8_t *)json, strlen(json), &env, &err), 0);
	assert_int_equal(root_verify_envelope(r, ROOT_ROLE_TARGETS, env, MANIFEST_TYPE, &res,
					      &err), 0);
	assert_int_equal(res.valid, 1);
	assert_false(res.key_signed[0]);
	assert_true(res.key_signed[1]);
	/* A root key is not a targets key. */
	expect_fail(root_verify_envelope(r, ROOT_ROLE_ROOT, env, MANIFEST_TYPE, &res, &err),
		    GW_E_SIGNATURE, &err, "0 of required 1 signatures valid");
	expect_fail(root_verify_envelope(r, ROOT_ROLE_TARGETS, env, ROOT_PAYLOAD_TYPE, &res,
					 &err), GW_E_PARSE, &err, "payload type");
	assert_int_equal(root_verify_envelope(r, ROOT_NROLES, env, NULL, NULL, &err), GW_E_INVAL);
	dsse_free(env);
	free(json);
	root_free(r);
	keys6_free(&k);
}

static void test_limits(void **state)
{
	size_t len = ROOT_MAX_SIZE + 1;
	uint8_t *buf = malloc(len);
	struct root *r = NULL;
	gw_error err = { { 0 } };

	(void)state;
	assert_non_null(buf);
	memset(buf, ' ', len);
	assert_int_equal(root_parse(buf, len, &r, &err), GW_E_TOOBIG);
	assert_null(r);
	free(buf);
	expect_fail(root_load(FIX "/no-such-root.json", &r, &err), GW_E_NOTFOUND, &err,
		    "no-such-root.json");
	assert_null(r);
	root_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_fixtures),
		cmocka_unit_test(test_bad_fixtures),
		cmocka_unit_test(test_bad_fixtures_listed),
		cmocka_unit_test(test_format_round_trip),
		cmocka_unit_test(test_format_refuses),
		cmocka_unit_test(test_rotation),
		cmocka_unit_test(test_rotation_key_counted_twice),
		cmocka_unit_test(test_verify_envelope),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
