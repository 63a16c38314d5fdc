// SPDX-License-Identifier: Apache-2.0
// Unit tests for the parsers of the verifier's answers and of enrollment.json: good
// answers, one bad fixture per rule, size caps and the enrollment state round trip.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "answers.h"
#include "digest.h"
#include "util.h"

#define FIXTURES "agent/tests/fixtures/answers"

static char *load(const char *dir, const char *name, size_t *len)
{
	char path[512];
	uint8_t *buf = NULL;
	gw_error err = { { 0 } };
	int rc;

	assert_true(snprintf(path, sizeof(path), FIXTURES "/%s/%s", dir, name) <
		    (int)sizeof(path));
	rc = gw_read_file(path, 1u << 20, &buf, len, &err);
	if (rc)
		fail_msg("%s: %s", path, gw_error_msg(&err, rc));
	return (char *)buf;
}

static void test_enroll(void **state)
{
	struct answer_enroll a;
	gw_error err = { { 0 } };
	size_t len;
	char *buf = load("good", "enroll.json", &len);
	int rc;

	(void)state;
	rc = answers_parse_enroll(buf, len, &a, &err);
	if (rc)
		fail_msg("%s", gw_error_msg(&err, rc));
	assert_string_equal(a.enrollment_id, "0123456789abcdef0123456789abcdef");
	assert_int_equal(a.blob.size, 4);
	assert_memory_equal(a.blob.credential, "ABCD", 4);
	assert_int_equal(a.enc.size, 3);
	assert_memory_equal(a.enc.secret, "xyz", 3);
	assert_int_equal(a.expires_in, 120);
	free(buf);
}

static void test_activate(void **state)
{
	struct answer_activate a;
	gw_error err = { { 0 } };
	size_t len;
	char *buf = load("good", "activate-enrolled.json", &len);
	int rc;

	(void)state;
	rc = answers_parse_activate(buf, len, &a, &err);
	if (rc)
		fail_msg("%s", gw_error_msg(&err, rc));
	assert_int_equal(a.state, ANSWER_ENROLLED);
	assert_string_equal(a.device_id, "gw-0001");
	assert_string_equal(a.verifier_id, "v1");
	assert_non_null(strstr(a.client_certificate, "BEGIN CERTIFICATE"));
	assert_non_null(strstr(a.gate_public_key, "BEGIN PUBLIC KEY"));
	answers_activate_fini(&a);
	answers_activate_fini(&a); /* fini twice is harmless */
	free(buf);

	buf = load("good", "activate-pending.json", &len);
	rc = answers_parse_activate(buf, len, &a, &err);
	if (rc)
		fail_msg("%s", gw_error_msg(&err, rc));
	assert_int_equal(a.state, ANSWER_PENDING);
	assert_null(a.client_certificate);
	assert_null(a.gate_public_key);
	assert_string_equal(a.verifier_id, "");
	answers_activate_fini(&a);
	free(buf);

	/* POST /v1/renew answers the same object, with not_after (not read). */
	buf = load("good", "renew.json", &len);
	rc = answers_parse_activate(buf, len, &a, &err);
	if (rc)
		fail_msg("%s", gw_error_msg(&err, rc));
	assert_int_equal(a.state, ANSWER_ENROLLED);
	assert_non_null(strstr(a.client_certificate, "BEGIN CERTIFICATE"));
	answers_activate_fini(&a);
	free(buf);
}

static void test_challenge(void **state)
{
	struct answer_challenge a;
	gw_error err = { { 0 } };
	size_t len;
	char *buf = load("good", "challenge.json", &len);
	int rc;

	(void)state;
	rc = answers_parse_challenge(buf, len, &a, &err);
	if (rc)
		fail_msg("%s", gw_error_msg(&err, rc));
	assert_int_equal(a.nonce_len, 32);
	assert_int_equal(a.nonce[0], 0xab);
	assert_int_equal(a.nonce[31], 0xab);
	assert_int_equal(a.sel.count, 1);
	assert_int_equal(gw_pcrsel_count(&a.sel), 10);
	assert_true(gw_pcrsel_has(&a.sel.pcrSelections[0], 14));
	assert_false(gw_pcrsel_has(&a.sel.pcrSelections[0], 8));
	assert_string_equal(a.pcr_selection, "sha256:0,1,2,3,4,5,6,7,13,14");
	assert_int_equal(a.expires_in, 60);
	assert_int_equal(a.cel_records, 0);
	free(buf);

	buf = load("good", "challenge-cel.json", &len);
	rc = answers_parse_challenge(buf, len, &a, &err);
	if (rc)
		fail_msg("%s", gw_error_msg(&err, rc));
	assert_int_equal(a.cel_records, 12);
	assert_int_equal(a.cel_sha256[0], 0x00);
	assert_int_equal(a.cel_sha256[31], 0xff);
	assert_int_equal(a.cel_reset_count, UINT32_MAX);
	free(buf);
}

static void test_attest(void **state)
{
	struct answer_attest a;
	gw_error err = { { 0 } };
	size_t len;
	char *buf = load("good", "attest.json", &len);
	int rc;

	(void)state;
	rc = answers_parse_attest(buf, len, &a, &err);
	if (rc)
		fail_msg("%s", gw_error_msg(&err, rc));
	assert_int_equal(a.status, ANSWER_CONTRAINDICATED);
	assert_string_equal(a.ear, "eyJh.eyJi.c2ln");
	assert_int_equal(a.expires_at, 1790000000);
	answers_attest_fini(&a);
	free(buf);
	assert_string_equal(answers_status_name(ANSWER_WARNING), "warning");
	assert_string_equal(answers_status_name((enum answer_status)7), "unknown");
}

static void test_error(void **state)
{
	struct answer_error e;
	gw_error err = { { 0 } };
	size_t len;
	char *buf = load("good", "error.json", &len);
	int rc;

	(void)state;
	rc = answers_parse_error(buf, len, &e, &err);
	if (rc)
		fail_msg("%s", gw_error_msg(&err, rc));
	assert_string_equal(e.code, "ek_untrusted");
	/* Control characters from the network never reach the terminal. */
	assert_string_equal(e.message, "the EK certificate does not chain?to a CA");
	free(buf);
}

static void test_ear_summary(void **state)
{
	struct ear_summary s;
	gw_error err = { { 0 } };
	json_object *o;
	int rc;

	(void)state;
	o = json_tokener_parse("{\"ear.status\":\"contraindicated\",\"exp\":99,"
			       "\"failed_claims\":[\"stage:rootfs\",{\"name\":\"pcr_digest\"}]}");
	rc = answers_ear_summary(o, &s, &err);
	if (rc)
		fail_msg("%s", gw_error_msg(&err, rc));
	assert_int_equal(s.status, ANSWER_CONTRAINDICATED);
	assert_int_equal(s.exp, 99);
	assert_int_equal(s.nfailed, 2);
	assert_string_equal(s.failed[0], "stage:rootfs");
	assert_string_equal(s.failed[1], "pcr_digest");
	json_object_put(o);

	/* The verifier's form: the worst submodule's status wins. */
	o = json_tokener_parse("{\"exp\":5,\"submods\":{\"gatewarden\":{\"ear.status\":"
			       "\"warning\",\"gatewarden.failed-claims\":[{\"claim\":"
			       "\"executables\",\"check\":\"stage\",\"message\":\"rootfs\"}]},"
			       "\"other\":{\"ear.status\":\"affirming\"}}}");
	rc = answers_ear_summary(o, &s, &err);
	if (rc)
		fail_msg("%s", gw_error_msg(&err, rc));
	assert_int_equal(s.status, ANSWER_WARNING);
	assert_int_equal(s.nfailed, 1);
	assert_string_equal(s.failed[0], "executables/stage: rootfs");
	json_object_put(o);

	o = json_tokener_parse("{\"status\":\"affirming\"}");
	assert_int_equal(answers_ear_summary(o, &s, &err), 0);
	assert_int_equal(s.status, ANSWER_AFFIRMING);
	assert_int_equal(s.nfailed, 0);
	json_object_put(o);

	{
		static const char *const bad[] = {
			"{}",
			"{\"ear.status\":\"fine\"}",
			"{\"ear.status\":1}",
			"{\"status\":\"warning\",\"exp\":\"x\"}",
			"{\"status\":\"warning\",\"failed_claims\":\"x\"}",
			"{\"status\":\"warning\",\"failed_claims\":[1]}",
			"{\"status\":\"warning\",\"failed_claims\":[{\"what\":\"x\"}]}",
			"{\"status\":\"warning\",\"failed_claims\":[{\"claim\":\"x\",\"check\":1}]}",
			"{\"submods\":[]}",
			"{\"submods\":{\"a\":1}}",
			"{\"submods\":{\"a\":{}}}",
			"{\"submods\":{\"a\":{\"ear.status\":\"ok\"}}}",
			("{\"submods\":{\"a\":{\"ear.status\":\"warning\","
			 "\"gatewarden.failed-claims\":{}}}}"),
			"[]",
		};

		for (size_t i = 0; i < GW_ARRAY_SIZE(bad); i++) {
			o = json_tokener_parse(bad[i]);
			assert_non_null(o);
			if (answers_ear_summary(o, &s, &err) != GW_E_PARSE)
				fail_msg("accepted %s", bad[i]);
			json_object_put(o);
		}
	}
	assert_int_equal(answers_ear_summary(NULL, &s, NULL), GW_E_PARSE);
}

/* The EAR of this round only: its eat_nonce is the round's nonce in lower-case
 * hex; absent, of another type, another round's, upper-case, a prefix: refused. */
static void test_ear_nonce(void **state)
{
	static const uint8_t nonce[4] = { 0x0a, 0xb1, 0xc2, 0xff };
	static const char *const bad[] = {
		"{}",
		"{\"eat_nonce\":null}",
		"{\"eat_nonce\":1}",
		"{\"eat_nonce\":[\"0ab1c2ff\"]}",
		"{\"eat_nonce\":\"\"}",
		"{\"eat_nonce\":\"0ab1c2fe\"}",
		"{\"eat_nonce\":\"0AB1C2FF\"}",
		"{\"eat_nonce\":\"0ab1c2\"}",
		"{\"eat_nonce\":\"0ab1c2ff00\"}",
		"{\"nonce\":\"0ab1c2ff\"}",
	};
	uint8_t big[ANSWERS_NONCE_MAX + 1] = { 0 };
	gw_error err = { { 0 } };
	json_object *o;

	(void)state;
	o = json_tokener_parse("{\"eat_nonce\":\"0ab1c2ff\"}");
	assert_int_equal(answers_ear_nonce_check(o, nonce, sizeof(nonce), &err), 0);
	assert_int_equal(answers_ear_nonce_check(o, big, sizeof(big), &err), GW_E_INVAL);
	json_object_put(o);
	for (size_t i = 0; i < GW_ARRAY_SIZE(bad); i++) {
		o = json_tokener_parse(bad[i]);
		assert_non_null(o);
		if (answers_ear_nonce_check(o, nonce, sizeof(nonce), &err) != GW_E_STATE)
			fail_msg("accepted %s", bad[i]);
		assert_non_null(strstr(err.msg, "eat_nonce"));
		json_object_put(o);
	}
	o = json_tokener_parse("{\"eat_nonce\":\"0ab1c2fe\"}");
	assert_int_equal(answers_ear_nonce_check(o, nonce, sizeof(nonce), &err), GW_E_STATE);
	assert_non_null(strstr(err.msg, "not this round's nonce"));
	json_object_put(o);
	assert_int_equal(answers_ear_nonce_check(NULL, nonce, sizeof(nonce), NULL), GW_E_STATE);
}

static void test_state_round_trip(void **state)
{
	struct enroll_state st, back;
	gw_error err = { { 0 } };
	char *text = NULL, *buf;
	size_t len, text_len = 0;
	int rc;

	(void)state;
	buf = load("good", "state.json", &len);
	rc = answers_parse_enroll_state(buf, len, &st, &err);
	if (rc)
		fail_msg("%s", gw_error_msg(&err, rc));
	assert_string_equal(st.url, "https://127.0.0.1:8443");
	assert_string_equal(st.model, "gw-1000");
	assert_int_equal(st.secret_len, 32);
	assert_int_equal(st.secret[31], 31);
	assert_int_equal(st.state, ANSWER_PENDING);
	st.state = ANSWER_ENROLLED;
	assert_int_equal(answers_format_enroll_state(&st, &text, &text_len), 0);
	assert_int_equal(strlen(text), text_len);
	rc = answers_parse_enroll_state(text, text_len, &back, &err);
	if (rc)
		fail_msg("%s", gw_error_msg(&err, rc));
	assert_int_equal(back.state, ANSWER_ENROLLED);
	assert_memory_equal(back.secret, st.secret, st.secret_len);
	assert_string_equal(back.enrollment_id, st.enrollment_id);
	answers_enroll_state_wipe(&back);
	assert_int_equal(back.secret_len, 0);
	st.secret_len = 0;
	assert_int_equal(answers_format_enroll_state(&st, &text, &text_len), GW_E_INVAL);
	answers_enroll_state_wipe(&st);
	free(text);
	free(buf);
}

static void test_ids(void **state)
{
	char long_id[66];

	(void)state;
	assert_true(answers_valid_id("gw-0001.a_B"));
	assert_false(answers_valid_id(""));
	assert_false(answers_valid_id(NULL));
	assert_false(answers_valid_id("gw/1"));
	memset(long_id, 'a', sizeof(long_id) - 1);
	long_id[64] = '\0';
	assert_true(answers_valid_id(long_id));
	long_id[64] = 'a';
	long_id[65] = '\0';
	assert_false(answers_valid_id(long_id));
}

/* Each parser refuses what is over the size cap, before parsing. */
static void test_caps(void **state)
{
	size_t len = ANSWERS_MAX_SIZE + 1;
	char *buf = malloc(len);
	struct answer_enroll e;
	struct answer_challenge c;
	gw_error err = { { 0 } };

	(void)state;
	assert_non_null(buf);
	memset(buf, ' ', len);
	buf[0] = '{';
	buf[len - 1] = '}';
	assert_int_equal(answers_parse_enroll(buf, len, &e, &err), GW_E_TOOBIG);
	assert_int_equal(answers_parse_challenge(buf, len, &c, NULL), GW_E_TOOBIG);
	assert_int_equal(answers_parse_challenge(NULL, 0, &c, NULL), GW_E_INVAL);
	assert_int_equal(answers_parse_challenge("{}\0{}", 5, &c, NULL), GW_E_PARSE);
	free(buf);
}

enum which { W_ENROLL, W_ACTIVATE, W_CHALLENGE, W_ATTEST, W_ERROR, W_STATE };

struct bad_case {
	const char *file;
	int rc;
	const char *detail;
};

static int parse_any(enum which w, const char *buf, size_t len, gw_error *err)
{
	struct answer_enroll e;
	struct answer_activate a;
	struct answer_challenge c;
	struct answer_attest t;
	struct answer_error x;
	struct enroll_state s;
	int rc;

	switch (w) {
	case W_ENROLL:
		return answers_parse_enroll(buf, len, &e, err);
	case W_ACTIVATE:
		rc = answers_parse_activate(buf, len, &a, err);
		if (!rc)
			answers_activate_fini(&a);
		return rc;
	case W_CHALLENGE:
		return answers_parse_challenge(buf, len, &c, err);
	case W_ATTEST:
		rc = answers_parse_attest(buf, len, &t, err);
		if (!rc)
			answers_attest_fini(&t);
		return rc;
	case W_ERROR:
		return answers_parse_error(buf, len, &x, err);
	default:
		return answers_parse_enroll_state(buf, len, &s, err);
	}
}

static const struct bad_case bad_cases[] = {
	{ "enroll-not-json.json", GW_E_PARSE, "not valid JSON" },
	{ "enroll-array.json", GW_E_PARSE, "must be a JSON object" },
	{ "enroll-trailing.json", GW_E_TRAILING, "data after" },
	{ "enroll-comment.json", GW_E_PARSE, "not valid JSON" },
	{ "enroll-deep.json", GW_E_PARSE, "nested deeper than 8 levels" },
	{ "enroll-id-missing.json", GW_E_PARSE, "'enrollment_id' is missing" },
	{ "enroll-id-upper.json", GW_E_PARSE, "'enrollment_id' must be" },
	{ "enroll-id-short.json", GW_E_PARSE, "'enrollment_id' must be" },
	{ "enroll-id-number.json", GW_E_PARSE, "'enrollment_id' is not a string" },
	{ "enroll-blob-not-b64.json", GW_E_PARSE, "'credential_blob' is not base64" },
	{ "enroll-blob-trailing.json", GW_E_PARSE, "not a TPM2B_ID_OBJECT" },
	{ "enroll-blob-short.json", GW_E_PARSE, "not a TPM2B_ID_OBJECT" },
	{ "enroll-blob-empty2b.json", GW_E_PARSE, "not a TPM2B_ID_OBJECT" },
	{ "enroll-blob-huge.json", GW_E_PARSE, "'credential_blob'" },
	{ "enroll-secret-missing.json", GW_E_PARSE, "'encrypted_secret' is missing" },
	{ "enroll-secret-null.json", GW_E_PARSE, "'encrypted_secret' is not a string" },
	{ "enroll-expires-string.json", GW_E_PARSE, "'expires_in' is not an integer" },
	{ "enroll-expires-negative.json", GW_E_PARSE, "'expires_in' out of range" },
	{ "enroll-expires-float.json", GW_E_PARSE, "'expires_in' is not an integer" },
	{ "enroll-expires-huge.json", GW_E_PARSE, "'expires_in' out of range" },
	{ "activate-state-unknown.json", GW_E_PARSE, "'state' must be" },
	{ "activate-no-cert.json", GW_E_PARSE, "'client_certificate' is missing" },
	{ "activate-cert-not-pem.json", GW_E_PARSE, "'client_certificate' is not PEM" },
	{ "activate-gate-number.json", GW_E_PARSE, "'gate_public_key' is not a string" },
	{ "activate-device-bad.json", GW_E_PARSE, "'device_id' must be" },
	{ "activate-device-long.json", GW_E_PARSE, "'device_id' must be 1 to 64" },
	{ "activate-device-nul.json", GW_E_PARSE, "a string contains \\u0000 (NUL)" },
	{ "challenge-nonce-odd.json", GW_E_PARSE, "'nonce' must be" },
	{ "challenge-nonce-upper.json", GW_E_PARSE, "'nonce' must be" },
	{ "challenge-nonce-long.json", GW_E_PARSE, "'nonce' must be 1 to 128" },
	{ "challenge-nonce-empty.json", GW_E_PARSE, "'nonce' must be 1 to 128" },
	{ "challenge-sel-bogus.json", GW_E_PARSE, "'pcr_selection'" },
	{ "challenge-sel-missing.json", GW_E_PARSE, "'pcr_selection' is missing" },
	{ "challenge-cel-records-negative.json", GW_E_PARSE, "'cel_records' out of range" },
	{ "challenge-cel-records-large.json", GW_E_PARSE, "'cel_records' out of range" },
	{ "challenge-cel-records-string.json", GW_E_PARSE, "'cel_records' is not an integer" },
	{ "challenge-cel-records-float.json", GW_E_PARSE, "'cel_records' is not an integer" },
	{ "challenge-cel-sha-missing.json", GW_E_PARSE, "without 'cel_sha256'" },
	{ "challenge-cel-reset-missing.json", GW_E_PARSE, "without 'cel_sha256' and 'cel_reset_count'" },
	{ "challenge-cel-sha-short.json", GW_E_PARSE, "'cel_sha256' must be 64" },
	{ "challenge-cel-sha-upper.json", GW_E_PARSE, "'cel_sha256' must be 64" },
	{ "challenge-cel-reset-large.json", GW_E_PARSE, "'cel_reset_count' out of range" },
	{ "challenge-cel-reset-negative.json", GW_E_PARSE, "'cel_reset_count' out of range" },
	{ "attest-status-unknown.json", GW_E_PARSE, "'status' must be" },
	{ "attest-status-twice.json", GW_E_PARSE, "a key appears twice in one object" },
	{ "attest-ear-not-jws.json", GW_E_PARSE, "not a compact JWS" },
	{ "attest-ear-dots.json", GW_E_PARSE, "not a compact JWS" },
	{ "attest-ear-missing.json", GW_E_PARSE, "'ear' is missing" },
	{ "attest-expires-string.json", GW_E_PARSE, "'expires_at' is not an integer" },
	{ "error-missing.json", GW_E_PARSE, "'error' is missing" },
	{ "error-code-upper.json", GW_E_PARSE, "'code' must be" },
	{ "error-code-number.json", GW_E_PARSE, "'code' is not a string" },
	{ "state-unknown-key.json", GW_E_PARSE, "unknown key 'extra'" },
	{ "state-http.json", GW_E_PARSE, "https://" },
	{ "state-secret-long.json", GW_E_PARSE, "'secret'" },
	{ "state-secret-bad.json", GW_E_PARSE, "'secret' is not base64" },
	{ "state-state-bad.json", GW_E_PARSE, "'state' must be" },
	{ "state-model-bad.json", GW_E_PARSE, "'model' must be" },
};

static enum which which_for(const char *file)
{
	static const struct {
		const char *prefix;
		enum which w;
	} map[] = {
		{ "enroll-", W_ENROLL },	 { "activate-", W_ACTIVATE }, { "challenge-", W_CHALLENGE },
		{ "attest-", W_ATTEST },	 { "error-", W_ERROR },	      { "state-", W_STATE },
	};

	for (size_t i = 0; i < GW_ARRAY_SIZE(map); i++)
		if (!strncmp(file, map[i].prefix, strlen(map[i].prefix)))
			return map[i].w;
	fail_msg("%s: no parser for this prefix", file);
	return W_STATE;
}

static void test_bad_fixtures(void **state)
{
	(void)state;
	for (size_t i = 0; i < GW_ARRAY_SIZE(bad_cases); i++) {
		const struct bad_case *c = &bad_cases[i];
		gw_error err = { { 0 } };
		size_t len;
		char *buf = load("bad", c->file, &len);
		int rc = parse_any(which_for(c->file), buf, len, &err);

		if (rc != c->rc)
			fail_msg("%s: got %d (%s), expected %d", c->file, rc, gw_error_msg(&err, rc),
				 c->rc);
		if (!strstr(err.msg, c->detail))
			fail_msg("%s: detail \"%s\" lacks \"%s\"", c->file, err.msg, c->detail);
		/* The detail buffer is optional. */
		assert_int_equal(parse_any(which_for(c->file), buf, len, NULL), c->rc);
		free(buf);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_enroll),
		cmocka_unit_test(test_activate),
		cmocka_unit_test(test_challenge),
		cmocka_unit_test(test_attest),
		cmocka_unit_test(test_error),
		cmocka_unit_test(test_ear_summary),
		cmocka_unit_test(test_ear_nonce),
		cmocka_unit_test(test_state_round_trip),
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_bad_fixtures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
