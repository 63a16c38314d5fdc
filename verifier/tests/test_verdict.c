// SPDX-License-Identifier: Apache-2.0
// Unit tests for verdict.c: policy keys, signed policy loading (threshold, unknown
// signer, payloadType, malformed payload), the per-worker cache, and the shared
// appraisal against real swtpm evidence with and without a policy.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "dsse.h"
#include "evidence.h"
#include "tpmdata.h"
#include "util.h"
#include "verdict.h"

#define QUOTE_FIXTURES "common/tests/fixtures/quote"

/* The stage digests of the fixture's CEL log. */
#define D_BOOT "a0c936696eb7d5ee3192bf53b9d281cecbb40ca9db520de72cb95817ad92ac72"
#define D_ROOTFS "bac821ddfad573f5c0fd0e4bbd9bb24c34e9b36a8444171df37285771d69eae8"
#define D_APP "73cb3858a687a8494ca3323053016282f3dad39d42cf62ca4e79dda2aac7d9ac"
#define D_OTHER "1111111111111111111111111111111111111111111111111111111111111111"

#define POLICY_V(v, app)                                                                   \
	"{\"model\":\"gw-1000\",\"version\":" #v ",\"stages\":{\"boot\":[\"" D_BOOT "\"],"  \
	"\"rootfs\":[\"" D_ROOTFS "\"],\"app\":[" app "]}}"

struct keys {
	EVP_PKEY *k[3]; /* two P-256, one Ed25519 */
	char dir[64];
	char path[3][96];
};

static void write_pub(EVP_PKEY *k, const char *path)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(PEM_write_PUBKEY(f, k), 1);
	assert_int_equal(fclose(f), 0);
}

static int keys_setup(void **state)
{
	struct keys *ks = calloc(1, sizeof(*ks));

	assert_non_null(ks);
	ks->k[0] = EVP_EC_gen("P-256");
	ks->k[1] = EVP_EC_gen("P-256");
	ks->k[2] = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	assert_non_null(ks->k[0]);
	assert_non_null(ks->k[1]);
	assert_non_null(ks->k[2]);
	snprintf(ks->dir, sizeof(ks->dir), "/tmp/test_verdict.XXXXXX");
	assert_non_null(mkdtemp(ks->dir));
	for (int i = 0; i < 3; i++) {
		snprintf(ks->path[i], sizeof(ks->path[i]), "%s/k%d.pub", ks->dir, i);
		write_pub(ks->k[i], ks->path[i]);
	}
	*state = ks;
	return 0;
}

static int keys_teardown(void **state)
{
	struct keys *ks = *state;
	char p[128];

	for (int i = 0; i < 3; i++) {
		EVP_PKEY_free(ks->k[i]);
		unlink(ks->path[i]);
	}
	snprintf(p, sizeof(p), "%s/same.pub", ks->dir);
	unlink(p);
	rmdir(ks->dir);
	free(ks);
	return 0;
}

/* The envelope of payload signed by keys[0..n-1], with payloadType type. */
static char *sign(const char *type, const char *payload, EVP_PKEY *const *keys, size_t n)
{
	char *env = NULL;
	gw_error err = { { 0 } };
	int rc = dsse_sign(type, (const uint8_t *)payload, strlen(payload), keys, n, &env, &err);

	if (rc)
		fail_msg("dsse_sign: %s", gw_error_msg(&err, rc));
	return env;
}

static void test_keys_load(void **state)
{
	struct keys *ks = *state;
	EVP_PKEY *keys[4] = { NULL };
	char *paths[3], same[128];
	gw_error err = { { 0 } };

	for (int i = 0; i < 3; i++)
		paths[i] = ks->path[i];
	assert_int_equal(verdict_keys_load(paths, 3, keys, &err), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(EVP_PKEY_eq(keys[i], ks->k[i]), 1);
	verdict_keys_free(keys, 3);
	assert_null(keys[0]);

	/* The same key under two names. */
	snprintf(same, sizeof(same), "%s/same.pub", ks->dir);
	write_pub(ks->k[1], same);
	paths[2] = same;
	assert_int_equal(verdict_keys_load(paths, 3, keys, &err), GW_E_KEY);
	assert_non_null(strstr(err.msg, "the same key as"));
	assert_null(keys[0]);
	assert_null(keys[1]);

	paths[2] = "/nonexistent/k.pub";
	assert_int_equal(verdict_keys_load(paths, 3, keys, &err), GW_E_NOTFOUND);
	assert_null(keys[0]);
	assert_int_equal(verdict_keys_load(paths, 0, keys, NULL), 0);
}

static void test_load_policy(void **state)
{
	struct keys *ks = *state;
	struct verdict_policy_info *info = calloc(1, sizeof(*info));
	struct gwpol *p = NULL;
	gw_error err = { { 0 } };
	char *env;
	char kid[DSSE_KEYID_LEN];

	assert_non_null(info);
	/* 1 of 1. */
	env = sign(GWPOL_PAYLOAD_TYPE, POLICY_V(3, "\"" D_APP "\""), ks->k, 1);
	assert_int_equal(verdict_load_policy(env, strlen(env), ks->k, 1, 1, &p, info, &err), 0);
	assert_string_equal(p->model, "gw-1000");
	assert_int_equal(p->version, 3);
	assert_int_equal(p->n_stages, 3);
	assert_int_equal(info->step, VERDICT_STEP_DONE);
	assert_int_equal(info->nsigners, 1);
	assert_int_equal(dsse_keyid(ks->k[0], kid), 0);
	assert_string_equal(info->signed_by[0], kid);
	assert_int_equal(strlen(info->payload_sha256), 64);
	gwpol_free(p);
	p = NULL;

	/* 2 of 2 wanted, 1 signed. */
	assert_int_equal(verdict_load_policy(env, strlen(env), ks->k, 2, 2, &p, info, &err),
			 GW_E_SIGNATURE);
	assert_null(p);
	assert_int_equal(info->step, VERDICT_STEP_SIGNATURE);
	assert_int_equal(info->nsigners, 1);
	assert_string_equal(err.msg, "policy signature: 1 of required 2 signatures valid");
	free(env);

	/* Signed by a key the verifier does not know. */
	env = sign(GWPOL_PAYLOAD_TYPE, POLICY_V(3, "\"" D_APP "\""), &ks->k[2], 1);
	assert_int_equal(verdict_load_policy(env, strlen(env), ks->k, 2, 1, &p, info, &err),
			 GW_E_SIGNATURE);
	assert_non_null(strstr(err.msg, "policy signature: 0 of required 1 signatures valid (key "));
	assert_non_null(strstr(err.msg, " unknown)"));
	assert_int_equal(info->nsigners, 0);
	free(env);

	/* 2 of 3 with an Ed25519 key. */
	{
		EVP_PKEY *two[2] = { ks->k[0], ks->k[2] };

		env = sign(GWPOL_PAYLOAD_TYPE, POLICY_V(3, "\"" D_APP "\""), two, 2);
		assert_int_equal(verdict_load_policy(env, strlen(env), ks->k, 3, 2, &p, info, &err),
				 0);
		assert_int_equal(info->nsigners, 2);
		gwpol_free(p);
		p = NULL;
		free(env);
	}

	/* Another payloadType, even if well signed. */
	env = sign("application/vnd.gatewarden.manifest+json", POLICY_V(3, "\"" D_APP "\""),
		   ks->k, 1);
	assert_int_equal(verdict_load_policy(env, strlen(env), ks->k, 1, 1, &p, info, &err),
			 GW_E_PARSE);
	assert_int_equal(info->step, VERDICT_STEP_TYPE);
	assert_non_null(strstr(err.msg, "payloadType"));
	free(env);

	/* Unsigned policy JSON. */
	{
		const char *raw = POLICY_V(3, "\"" D_APP "\"");

		assert_int_equal(verdict_load_policy(raw, strlen(raw), ks->k, 1, 1, &p, info, &err),
				 GW_E_PARSE);
		assert_int_equal(info->step, VERDICT_STEP_ENVELOPE);
		assert_non_null(strstr(err.msg, "not a signed policy"));
	}

	/* A signed payload the parser refuses: every error is listed. */
	env = sign(GWPOL_PAYLOAD_TYPE,
		   "{\"model\":\"gw-1000\",\"version\":3,\"stages\":{\"app\":[\"XY\"]},\"x\":1}",
		   ks->k, 1);
	assert_int_equal(verdict_load_policy(env, strlen(env), ks->k, 1, 1, &p, info, &err),
			 GW_E_PARSE);
	assert_int_equal(info->step, VERDICT_STEP_PAYLOAD);
	assert_true(info->diags.n >= 2);
	assert_null(p);
	free(env);

	/* No keys: nothing can be trusted. */
	env = sign(GWPOL_PAYLOAD_TYPE, POLICY_V(3, "\"" D_APP "\""), ks->k, 1);
	assert_int_equal(verdict_load_policy(env, strlen(env), ks->k, 0, 0, &p, NULL, &err),
			 GW_E_CONFIG);
	assert_int_equal(verdict_load_policy(env, strlen(env), ks->k, 1, 2, &p, NULL, &err),
			 GW_E_CONFIG);
	/* Trailing data after the envelope. */
	{
		size_t n = strlen(env);
		char *t = malloc(n + 3);

		assert_non_null(t);
		memcpy(t, env, n);
		memcpy(t + n, "{}", 3);
		assert_int_equal(verdict_load_policy(t, n + 2, ks->k, 1, 1, &p, NULL, &err),
				 GW_E_TRAILING);
		free(t);
	}
	free(env);
	free(info);
}

static void test_cache(void **state)
{
	struct keys *ks = *state;
	struct verdict_cache *c = verdict_cache_new(2);
	const struct gwpol *p1 = NULL, *p2 = NULL;
	const char *why = NULL;
	unsigned long verified, hits;
	char *env = sign(GWPOL_PAYLOAD_TYPE, POLICY_V(3, "\"" D_APP "\""), ks->k, 1);
	char *forged = sign(GWPOL_PAYLOAD_TYPE, POLICY_V(3, "\"" D_APP "\",\"" D_OTHER "\""),
			    &ks->k[2], 1);

	assert_non_null(c);
	assert_int_equal(verdict_cache_get(c, "gw-1000", 3, env, strlen(env), ks->k, 2, 1, &p1,
					   &why), 0);
	assert_non_null(p1);
	assert_null(why);
	assert_int_equal(verdict_cache_get(c, "gw-1000", 3, env, strlen(env), ks->k, 2, 1, &p2,
					   &why), 0);
	assert_ptr_equal(p1, p2);
	verdict_cache_stats(c, &verified, &hits);
	assert_int_equal(verified, 1);
	assert_int_equal(hits, 1);

	/* The row changed in place: verified again, and refused. */
	assert_int_equal(verdict_cache_get(c, "gw-1000", 3, forged, strlen(forged), ks->k, 2, 1,
					   &p1, &why), GW_E_SIGNATURE);
	assert_null(p1);
	assert_non_null(strstr(why, "policy signature: 0 of required 1"));
	/* ... and the refusal is cached too. */
	assert_int_equal(verdict_cache_get(c, "gw-1000", 3, forged, strlen(forged), ks->k, 2, 1,
					   &p1, &why), GW_E_SIGNATURE);
	verdict_cache_stats(c, &verified, &hits);
	assert_int_equal(verified, 2);
	assert_int_equal(hits, 2);

	/* A genuine envelope stored under another version or model. */
	assert_int_equal(verdict_cache_get(c, "gw-1000", 4, env, strlen(env), ks->k, 2, 1, &p1,
					   &why), GW_E_PARSE);
	assert_non_null(strstr(why, "version 3"));
	assert_int_equal(verdict_cache_get(c, "gw-2000", 3, env, strlen(env), ks->k, 2, 1, &p1,
					   &why), GW_E_PARSE);
	assert_non_null(strstr(why, "model 'gw-1000'"));

	/* Eviction keeps the cache at its size: gw-1000/3 went, it is verified again. */
	assert_int_equal(verdict_cache_get(c, "gw-1000", 3, env, strlen(env), ks->k, 2, 1, &p1,
					   &why), 0);
	verdict_cache_stats(c, &verified, &hits);
	assert_int_equal(verified, 5);

	/* A failure that is not the envelope's (here a threshold above the keys) is
	 * not cached: the next call tries again. */
	for (int i = 0; i < 2; i++) {
		assert_int_equal(verdict_cache_get(c, "gw-3000", 1, env, strlen(env), ks->k, 2, 3,
						   &p1, &why), GW_E_CONFIG);
		assert_null(p1);
		assert_non_null(why);
	}
	verdict_cache_stats(c, &verified, &hits);
	assert_int_equal(verified, 7);
	assert_int_equal(hits, 2);
	verdict_cache_free(c);
	verdict_cache_free(NULL);
	free(env);
	free(forged);
}

/* ------------------------------------------------- appraisal, real evidence --- */

struct real {
	struct evidence *ev;
	struct cel_log *cel;
	EVP_PKEY *ak;
	struct appraise_input in;
	struct appraise_result res;
	struct gwpol_report rep;
};

static void real_load(struct real *r)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	gw_error err = { { 0 } };

	memset(r, 0, sizeof(*r));
	assert_int_equal(gw_read_file(QUOTE_FIXTURES "/evidence.json", EVIDENCE_MAX_SIZE, &buf,
				      &len, &err), 0);
	assert_int_equal(evidence_parse(buf, len, &r->ev, &err), 0);
	free(buf);
	assert_int_equal(cel_parse(r->ev->cel, r->ev->cel_len, &r->cel, &err), 0);
	assert_true(r->ev->has_ak);
	assert_int_equal(tpmdata_public_to_pkey(&r->ev->ak_pub.publicArea, &r->ak, &err), 0);
	r->in = (struct appraise_input){
		.ak = r->ak,
		.attest = r->ev->attest,
		.attest_len = r->ev->attest_len,
		.sig = &r->ev->sig,
		.nonce = r->ev->nonce,
		.nonce_len = r->ev->nonce_len,
		.pcrs = &r->ev->pcrs,
		.cel = r->cel,
	};
}

static void real_free(struct real *r)
{
	cel_free(r->cel);
	EVP_PKEY_free(r->ak);
	evidence_free(r->ev);
}

static struct gwpol *parse(const char *json)
{
	struct gwpol *p = NULL;
	gw_error err = { { 0 } };
	int rc = gwpol_parse(json, strlen(json), &p, NULL, &err);

	if (rc)
		fail_msg("gwpol_parse: %s", gw_error_msg(&err, rc));
	return p;
}

static const struct gwpol_finding *find(const struct gwpol_report *rep, const char *rule)
{
	for (size_t i = 0; i < rep->n; i++)
		if (!strcmp(rep->f[i].rule, rule))
			return &rep->f[i];
	return NULL;
}

static void test_appraise_no_policy(void **state)
{
	struct real *r = malloc(sizeof(*r));
	gw_error err = { { 0 } };
	const struct gwpol_finding *f;

	(void)state;
	assert_non_null(r);
	real_load(r);
	assert_int_equal(verdict_appraise(&r->in, NULL, "gw-1000", 0, &r->res, &r->rep, &err), 0);
	assert_string_equal(gwpol_report_status(&r->rep), "warning");
	f = find(&r->rep, "policy");
	assert_non_null(f);
	assert_int_equal(f->claim, GWPOL_CLAIM_CONFIGURATION);
	assert_int_equal(f->tier, GWPOL_TIER_WARNING);
	assert_non_null(strstr(f->msg, "no policy for model 'gw-1000'"));
	assert_int_equal(gwpol_report_claim_tier(&r->rep, GWPOL_CLAIM_IDENTITY),
			 GWPOL_TIER_AFFIRMING);
	/* The quote covered sha256 PCRs 0-7, 13 and 14. */
	assert_int_equal(verdict_quoted_pcrs(&r->res, TPM2_ALG_SHA256), 0x60ffu);
	assert_int_equal(verdict_quoted_pcrs(&r->res, TPM2_ALG_SHA384), 0);

	/* Without a model the caller said why there is no policy: no finding. */
	assert_int_equal(verdict_appraise(&r->in, NULL, NULL, 0, &r->res, &r->rep, &err), 0);
	assert_string_equal(gwpol_report_status(&r->rep), "affirming");
	assert_int_equal(r->rep.n, 0);
	assert_int_equal(verdict_appraise(NULL, NULL, NULL, 0, &r->res, &r->rep, &err),
			 GW_E_INVAL);
	real_free(r);
	free(r);
}

static void test_appraise_policy(void **state)
{
	struct real *r = malloc(sizeof(*r));
	struct gwpol *good = parse(POLICY_V(1, "\"" D_OTHER "\",\"" D_APP "\""));
	struct gwpol *bad = parse(POLICY_V(1, "\"" D_OTHER "\""));
	gw_error err = { { 0 } };
	const struct gwpol_finding *f;
	json_object *j;

	(void)state;
	assert_non_null(r);
	real_load(r);
	/* Two allowed digests (mid-rollout): the measured one is either. */
	assert_int_equal(verdict_appraise(&r->in, good, "gw-1000", 0, &r->res, &r->rep, &err), 0);
	assert_string_equal(gwpol_report_status(&r->rep), "affirming");
	assert_int_equal(r->rep.n, 0);
	assert_int_equal(gwpol_report_claim_tier(&r->rep, GWPOL_CLAIM_EXECUTABLES),
			 GWPOL_TIER_AFFIRMING);
	/* A policy of stages alone appraises no configuration: no claim. */
	assert_int_equal(gwpol_report_claim_tier(&r->rep, GWPOL_CLAIM_CONFIGURATION),
			 GWPOL_TIER_NONE);

	assert_int_equal(verdict_appraise(&r->in, bad, "gw-1000", 0, &r->res, &r->rep, &err), 0);
	assert_string_equal(gwpol_report_status(&r->rep), "contraindicated");
	f = find(&r->rep, "$.stages.app");
	assert_non_null(f);
	assert_int_equal(f->claim, GWPOL_CLAIM_EXECUTABLES);
	assert_non_null(strstr(f->msg, D_APP));
	j = verdict_failures_json(&r->rep);
	assert_non_null(j);
	assert_int_equal(json_object_array_length(j), r->rep.n);
	assert_string_equal(json_object_get_string(json_object_object_get(
				    json_object_array_get_idx(j, 0), "check")), "$.stages.app");
	assert_string_equal(json_object_get_string(json_object_object_get(
				    json_object_array_get_idx(j, 0), "claim")), "executables");
	json_object_put(j);
	j = verdict_vector_json(&r->rep);
	assert_int_equal(json_object_get_int(json_object_object_get(j, "executables")),
			 GWPOL_TIER_CONTRAINDICATED);
	assert_int_equal(json_object_get_int(json_object_object_get(j, "instance-identity")),
			 GWPOL_TIER_AFFIRMING);
	json_object_put(j);

	/* Without the CEL log the stages cannot be appraised. */
	r->in.cel = NULL;
	assert_int_equal(verdict_appraise(&r->in, good, NULL, 0, &r->res, &r->rep, &err), 0);
	assert_string_equal(gwpol_report_status(&r->rep), "contraindicated");
	assert_non_null(find(&r->rep, "$.stages"));
	r->in.cel = r->cel;

	/* A forged quote: only the checklist speaks, no policy finding. */
	r->ev->attest[r->ev->attest_len - 1] ^= 1;
	assert_int_equal(verdict_appraise(&r->in, bad, NULL, 0, &r->res, &r->rep, &err),
			 GW_E_SIGNATURE);
	assert_string_equal(gwpol_report_status(&r->rep), "contraindicated");
	assert_non_null(find(&r->rep, "signature"));
	assert_null(find(&r->rep, "$.stages.app"));
	gwpol_free(good);
	gwpol_free(bad);
	real_free(r);
	free(r);
}

/* A warning whose one finding is the end of support, in the report and as stored;
 * anything more or else is not. */
static void test_warning_is_eol(void **state)
{
	struct gwpol_report rep;
	json_object *claims;

	(void)state;
	gwpol_report_init(&rep);
	assert_false(verdict_warning_is_eol(&rep));
	gwpol_report_add(&rep, GWPOL_CLAIM_CONFIGURATION, GWPOL_TIER_WARNING,
			 "$.update.end_of_support", "support for model m ended after 2020-01-31");
	assert_true(verdict_warning_is_eol(&rep));
	claims = verdict_failures_json(&rep);
	assert_true(verdict_result_is_eol("warning", json_object_to_json_string(claims)));
	assert_false(verdict_result_is_eol("affirming", json_object_to_json_string(claims)));
	json_object_put(claims);
	assert_false(verdict_result_is_eol("warning", "[]"));
	assert_false(verdict_result_is_eol("warning", "not json"));
	assert_false(verdict_result_is_eol("warning", "[{\"check\":1}]"));
	assert_false(verdict_result_is_eol("warning", NULL));
	gwpol_report_add(&rep, GWPOL_CLAIM_EXECUTABLES, GWPOL_TIER_WARNING, "stages", "x");
	assert_false(verdict_warning_is_eol(&rep));
	claims = verdict_failures_json(&rep);
	assert_false(verdict_result_is_eol("warning", json_object_to_json_string(claims)));
	json_object_put(claims);
	gwpol_report_init(&rep);
	gwpol_report_add(&rep, GWPOL_CLAIM_CONFIGURATION, GWPOL_TIER_CONTRAINDICATED,
			 "$.update.end_of_support", "x");
	assert_false(verdict_warning_is_eol(&rep));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys_load),
		cmocka_unit_test(test_load_policy),
		cmocka_unit_test(test_cache),
		cmocka_unit_test(test_appraise_no_policy),
		cmocka_unit_test(test_appraise_policy),
		cmocka_unit_test(test_warning_is_eol),
	};

	return cmocka_run_group_tests(tests, keys_setup, keys_teardown);
}
