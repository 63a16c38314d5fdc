// SPDX-License-Identifier: Apache-2.0
// Unit tests for the minimal policy parser, with committed good and bad fixtures.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "policy_min.h"
#include "util.h"

#define FIXTURES "verifier/tests/fixtures/policy_min"

static int parse_file(const char *path, struct policy_min **out, gw_error *err)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc = gw_read_file(path, POLICY_MIN_MAX_SIZE + 1, &buf, &len, err);

	if (rc == 0)
		rc = policy_min_parse((const char *)buf, len, out, err);
	free(buf);
	return rc;
}

static void digest_of(char c, uint8_t out[POLICY_MIN_DIGEST_LEN])
{
	memset(out, c == 'a' ? 0xaa : 0xbb, POLICY_MIN_DIGEST_LEN);
}

static void test_good_full(void **state)
{
	struct policy_min *p = NULL;
	gw_error err = { { 0 } };
	uint8_t a[32], b[32];

	(void)state;
	assert_int_equal(parse_file(FIXTURES "/good/full.json", &p, &err), 0);
	assert_string_equal(p->model, "gw-1000");
	assert_int_equal(p->version, 3);
	assert_true(p->has_pcr_selection);
	assert_int_equal(p->pcr_selection.count, 1);
	assert_int_equal(p->pcr_selection.pcrSelections[0].hash, TPM2_ALG_SHA256);
	assert_int_equal(p->n_stages, 2);
	assert_string_equal(p->stages[0].name, "rootfs");
	assert_int_equal(p->stages[0].n_digests, 2);
	assert_string_equal(p->stages[1].name, "application");

	digest_of('a', a);
	digest_of('b', b);
	/* Two digests for one stage: both are allowed during a rollout. */
	assert_int_equal(policy_min_stage_allowed(p, "rootfs", a), POLICY_MIN_ALLOWED);
	assert_int_equal(policy_min_stage_allowed(p, "rootfs", b), POLICY_MIN_ALLOWED);
	assert_int_equal(policy_min_stage_allowed(p, "application", a),
			 POLICY_MIN_UNKNOWN_DIGEST);
	assert_int_equal(policy_min_stage_allowed(p, "application", p->stages[1].digests[0]),
			 POLICY_MIN_ALLOWED);
	assert_int_equal(p->stages[1].digests[0][0], 0x01);
	assert_int_equal(p->stages[1].digests[0][7], 0xef);
	assert_int_equal(policy_min_stage_allowed(p, "kernel", a), POLICY_MIN_UNKNOWN_STAGE);
	assert_int_equal(policy_min_stage_allowed(p, "Rootfs", a), POLICY_MIN_UNKNOWN_STAGE);
	policy_min_free(p);
}

static void test_good_minimal(void **state)
{
	struct policy_min *p = NULL;
	gw_error err = { { 0 } };

	(void)state;
	assert_int_equal(parse_file(FIXTURES "/good/minimal.json", &p, &err), 0);
	assert_false(p->has_pcr_selection);
	assert_int_equal(p->version, 1);
	assert_int_equal(p->n_stages, 1);
	policy_min_free(p);
	policy_min_free(NULL);
}

/* Each committed bad fixture, the code it must fail with, and the part of the
 * message that names where. */
static const struct {
	const char *file;
	int rc;
	const char *msg;
} bad[] = {
	{ "not-json", GW_E_PARSE, "not valid JSON" },
	{ "not-object", GW_E_PARSE, "not a JSON object" },
	{ "trailing", GW_E_TRAILING, "data after" },
	{ "unknown-key", GW_E_PARSE, "\"allow_all\": unknown key" },
	{ "model-missing", GW_E_PARSE, "model: missing" },
	{ "model-not-string", GW_E_PARSE, "model: not a string" },
	{ "model-bad-chars", GW_E_PARSE, "model: 1-64" },
	{ "model-empty", GW_E_PARSE, "model: 1-64" },
	{ "version-missing", GW_E_PARSE, "version: missing" },
	{ "version-string", GW_E_PARSE, "version: not an integer" },
	{ "version-float", GW_E_PARSE, "version: not an integer" },
	{ "version-zero", GW_E_PARSE, "version: not in" },
	{ "version-negative", GW_E_PARSE, "version: not in" },
	{ "version-huge", GW_E_PARSE, "version: not in" },
	{ "pcrsel-not-string", GW_E_PARSE, "pcr_selection: not a string" },
	{ "pcrsel-bad", 0, "pcr_selection: " },
	{ "stages-missing", GW_E_PARSE, "stages: missing" },
	{ "stages-array", GW_E_PARSE, "stages: not an object" },
	{ "stages-empty", GW_E_PARSE, "stages: no stage" },
	{ "stage-bad-name", GW_E_PARSE, "stages.\"root fs\": a stage name" },
	{ "stage-nul-name", GW_E_PARSE, "escaped NUL" },
	{ "stage-not-array", GW_E_PARSE, "stages.rootfs: not an array" },
	{ "stage-empty-array", GW_E_PARSE, "stages.rootfs: no digest" },
	{ "digest-short", GW_E_PARSE, "stages.rootfs[1]: not a SHA-256" },
	{ "digest-upper", GW_E_PARSE, "stages.rootfs[0]: not a SHA-256" },
	{ "digest-not-hex", GW_E_PARSE, "stages.application[0]: not a SHA-256" },
	{ "digest-number", GW_E_PARSE, "stages.rootfs[0]: not a string" },
	{ "digest-repeated", GW_E_PARSE, "stages.rootfs[2]: repeats stages.rootfs[0]" },
	{ "too-deep", GW_E_PARSE, "not valid JSON" },
	{ "comment", GW_E_PARSE, "not valid JSON" },
	{ "single-quotes", GW_E_PARSE, "not valid JSON" },
	{ "too-many-stages", GW_E_TOOBIG, "stages: more than 64" },
	{ "too-many-digests", GW_E_TOOBIG, "stages.rootfs: more than 64" },
};

static void test_bad_fixtures(void **state)
{
	char path[256];

	(void)state;
	for (size_t i = 0; i < GW_ARRAY_SIZE(bad); i++) {
		struct policy_min *p = NULL;
		gw_error err = { { 0 } };
		int rc;

		assert_int_equal(gw_snprintf(path, sizeof(path), FIXTURES "/bad/%s.json",
					     bad[i].file), 0);
		rc = parse_file(path, &p, &err);
		if (bad[i].rc)
			assert_int_equal(rc, bad[i].rc);
		else
			assert_true(rc < 0);
		assert_null(p);
		if (!strstr(err.msg, bad[i].msg))
			fail_msg("%s: message \"%s\" lacks \"%s\"", bad[i].file, err.msg,
				 bad[i].msg);
	}
}

static void test_limits(void **state)
{
	static const char head[] = "{\"model\":\"m\",\"version\":1,\"stages\":{\"s\":[\"";
	struct policy_min *p = NULL;
	gw_error err = { { 0 } };
	size_t len = POLICY_MIN_MAX_SIZE + 1;
	char *buf = malloc(len);

	(void)state;
	assert_non_null(buf);
	memset(buf, ' ', len);
	memcpy(buf, head, sizeof(head) - 1);
	assert_int_equal(policy_min_parse(buf, len, &p, &err), GW_E_TOOBIG);
	assert_null(p);
	/* A NUL byte inside the text. */
	assert_int_equal(policy_min_parse("{\"model\"\0}", 10, &p, &err), GW_E_PARSE);
	/* Not NUL-terminated: only len bytes are read. */
	{
		static const char pre[] = "{\"model\":\"m\",\"version\":7,\"stages\":{\"s\":[\"";
		size_t n = sizeof(pre) - 1;

		memcpy(buf, pre, n);
		memset(buf + n, 'c', 64);
		memcpy(buf + n + 64, "\"]}}", 4);
		assert_int_equal(policy_min_parse(buf, n + 68, &p, &err), 0);
		assert_int_equal(p->version, 7);
		policy_min_free(p);
		p = NULL;
		assert_int_equal(policy_min_parse(buf, n + 67, &p, &err), GW_E_PARSE);
	}
	assert_int_equal(policy_min_parse(NULL, 0, &p, &err), GW_E_INVAL);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_full),
		cmocka_unit_test(test_good_minimal),
		cmocka_unit_test(test_bad_fixtures),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
