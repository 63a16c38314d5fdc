// SPDX-License-Identifier: Apache-2.0
// Unit tests for the API request-body parsers: the real swtpm enrollment material,
// the limits at and past each cap, and the committed bad fixtures, each with its
// code and the key its message must name.
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "api.h"
#include "util.h"
#include "fixture_list.h"

#define GOOD_DIR "verifier/tests/fixtures/api/good"
#define BAD_DIR "verifier/tests/fixtures/api/bad"
#define MAX_BODY (1024u * 1024)
#define EID "0123456789abcdef0123456789abcdef"

enum parser { P_ENROLL, P_ACTIVATE, P_STATUS, P_RENEW, P_EMPTY };

static void read_path(const char *dir, const char *name, uint8_t **buf, size_t *len)
{
	char path[512];
	gw_error err = { { 0 } };
	int rc;

	assert_int_equal(gw_snprintf(path, sizeof(path), "%s/%s", dir, name), 0);
	rc = gw_read_file(path, 2 * MAX_BODY, buf, len, &err);
	if (rc)
		fail_msg("reading %s: %s", path, gw_error_msg(&err, rc));
}

static char *b64_of(const uint8_t *data, size_t len)
{
	char *s = NULL;

	assert_int_equal(gw_b64_encode(data, len, &s), 0);
	return s;
}

/* Runs one parser on body; on failure checks that the output was not written. */
static int run_parser(enum parser p, const uint8_t *body, size_t len, gw_error *err)
{
	struct api_enroll_req e, e_before;
	struct api_activate_req a, a_before;
	struct api_renew_req n, n_before;
	int rc;

	memset(&e, 0xa5, sizeof(e));
	memset(&a, 0x5a, sizeof(a));
	memset(&n, 0x3c, sizeof(n));
	e_before = e;
	a_before = a;
	n_before = n;
	switch (p) {
	case P_ENROLL:
		rc = api_parse_enroll(body, len, &e, err);
		break;
	case P_ACTIVATE:
	case P_STATUS:
		rc = api_parse_activate(body, len, p == P_ACTIVATE, &a, err);
		break;
	case P_RENEW:
		rc = api_parse_renew(body, len, &n, err);
		break;
	default:
		rc = api_parse_empty(body, len, err);
		break;
	}
	if (rc) {
		assert_memory_equal(&e, &e_before, sizeof(e));
		assert_memory_equal(&a, &a_before, sizeof(a));
		assert_memory_equal(&n, &n_before, sizeof(n));
	} else if (p == P_ENROLL) {
		api_enroll_req_fini(&e);
	} else if (p == P_RENEW) {
		api_renew_req_fini(&n);
	} else if (p != P_EMPTY) {
		api_activate_req_fini(&a);
	}
	return rc;
}

static void expect_fail(enum parser p, const char *what, const uint8_t *body, size_t len,
			int code, const char *msg)
{
	gw_error err = { { 0 } };
	int rc = run_parser(p, body, len, &err);

	if (rc != code)
		fail_msg("%s: got %d (%s), expected %d", what, rc, gw_error_msg(&err, rc), code);
	if (!strstr(err.msg, msg))
		fail_msg("%s: message '%s' lacks '%s'", what, err.msg, msg);
	/* without a detail buffer: the same code, no crash */
	assert_int_equal(run_parser(p, body, len, NULL), code);
}

static void expect_ok(enum parser p, const char *what, const char *body)
{
	gw_error err = { { 0 } };
	int rc = run_parser(p, (const uint8_t *)body, strlen(body), &err);

	if (rc)
		fail_msg("%s: %s", what, gw_error_msg(&err, rc));
}

static void test_valid_id(void **state)
{
	static const char *const good[] = {
		"a", "Z", "0", ".", "_", "-", "gw-0001", "GW_1000.rev-B", "..",
		"0123456789012345678901234567890123456789012345678901234567890123",
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-",
	};
	static const char *const bad[] = {
		"", " ", "gw 0001", "gw/0001", "gw\\0001", "gw:1", "gw@1", "gw+1", "gw\t1",
		"gw\n", "\x7f", "gw-\xc3\xa9", "\xff",
		"01234567890123456789012345678901234567890123456789012345678901234",
	};

	(void)state;
	/* the second good entry is 65 characters: the alphabet is allowed, not the length */
	for (size_t i = 0; i < GW_ARRAY_SIZE(good) - 1; i++)
		if (!api_valid_id(good[i]))
			fail_msg("'%s' refused", good[i]);
	assert_int_equal(strlen(good[GW_ARRAY_SIZE(good) - 1]), 65);
	assert_false(api_valid_id(good[GW_ARRAY_SIZE(good) - 1]));
	assert_true(api_valid_id(good[GW_ARRAY_SIZE(good) - 1] + 1));
	for (size_t i = 0; i < GW_ARRAY_SIZE(bad); i++)
		if (api_valid_id(bad[i]))
			fail_msg("'%s' accepted", bad[i]);
}

static void assert_file_equal(const char *name, const uint8_t *data, size_t len)
{
	uint8_t *buf = NULL;
	size_t blen = 0;

	read_path(GOOD_DIR, name, &buf, &blen);
	assert_int_equal(len, blen);
	assert_memory_equal(data, buf, len);
	free(buf);
}

static void test_enroll_good(void **state)
{
	struct api_enroll_req r;
	gw_error err = { { 0 } };
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	(void)state;
	memset(&r, 0, sizeof(r));
	read_path(GOOD_DIR, "enroll.json", &buf, &len);
	rc = api_parse_enroll(buf, len, &r, &err);
	if (rc)
		fail_msg("api_parse_enroll: %s", gw_error_msg(&err, rc));
	assert_string_equal(r.device_id, "gw-0001");
	assert_string_equal(r.model, "gw-1000");
	assert_file_equal("ek.pub", r.ek_pub_raw, r.ek_pub_raw_len);
	assert_file_equal("ek-cert.der", r.ek_cert, r.ek_cert_len);
	assert_file_equal("ak.pub", r.ak_pub_raw, r.ak_pub_raw_len);
	/* swtpm's default EK is RSA 2048, gwagent's AK ECC P-256 */
	assert_int_equal(r.ek_pub.publicArea.type, TPM2_ALG_RSA);
	assert_int_equal(r.ek_pub.publicArea.parameters.rsaDetail.keyBits, 2048);
	assert_int_equal(r.ak_pub.publicArea.type, TPM2_ALG_ECC);
	assert_int_equal(r.ak_pub.publicArea.parameters.eccDetail.curveID, TPM2_ECC_NIST_P256);
	api_enroll_req_fini(&r);
	api_enroll_req_fini(&r); /* fini leaves a zeroed struct: a second one is safe */
	assert_null(r.ek_cert);
	free(buf);
}

/* An enroll body from its parts, each of which may be replaced. */
static char *enroll_body(const char *device_id, const char *model, const uint8_t *cert,
			 size_t cert_len)
{
	uint8_t *ek = NULL, *ak = NULL, *der = NULL;
	size_t ek_len = 0, ak_len = 0, der_len = 0;
	char *ek64, *ak64, *cert64, *body;
	size_t cap;

	read_path(GOOD_DIR, "ek.pub", &ek, &ek_len);
	read_path(GOOD_DIR, "ak.pub", &ak, &ak_len);
	if (!cert) {
		read_path(GOOD_DIR, "ek-cert.der", &der, &der_len);
		cert = der;
		cert_len = der_len;
	}
	ek64 = b64_of(ek, ek_len);
	ak64 = b64_of(ak, ak_len);
	cert64 = b64_of(cert, cert_len);
	cap = strlen(ek64) + strlen(ak64) + strlen(cert64) + strlen(device_id) + strlen(model) + 256;
	body = malloc(cap);
	assert_non_null(body);
	assert_int_equal(gw_snprintf(body, cap,
				     "{\"device_id\":\"%s\",\"model\":\"%s\",\"ek_public\":\"%s\","
				     "\"ek_certificate\":\"%s\",\"ak_public\":\"%s\"}",
				     device_id, model, ek64, cert64, ak64),
			 0);
	free(ek64);
	free(ak64);
	free(cert64);
	free(ek);
	free(ak);
	free(der);
	return body;
}

static void test_enroll_limits(void **state)
{
	char id64[API_ID_MAX + 1];
	uint8_t *cert = calloc(1, API_MAX_CERT + 1);
	char *body;

	(void)state;
	assert_non_null(cert);
	memset(id64, 'i', API_ID_MAX);
	id64[API_ID_MAX] = '\0';

	body = enroll_body(id64, id64, NULL, 0);
	expect_ok(P_ENROLL, "64-character ids", body);
	free(body);

	/* the parser does not look inside the certificate: 1 and 16384 bytes pass */
	body = enroll_body("gw", "m", cert, 1);
	expect_ok(P_ENROLL, "1-byte certificate", body);
	free(body);
	body = enroll_body("gw", "m", cert, API_MAX_CERT);
	expect_ok(P_ENROLL, "16384-byte certificate", body);
	free(body);
	body = enroll_body("gw", "m", cert, API_MAX_CERT + 1);
	expect_fail(P_ENROLL, "16385-byte certificate", (const uint8_t *)body, strlen(body),
		    GW_E_PARSE, "'ek_certificate' must be 1-16384 bytes");
	free(body);
	free(cert);
}

static void test_activate_good(void **state)
{
	struct api_activate_req r;
	gw_error err = { { 0 } };
	uint8_t *buf = NULL, *pem = NULL;
	size_t len = 0, pem_len = 0;
	int rc;

	(void)state;
	memset(&r, 0, sizeof(r));
	read_path(GOOD_DIR, "activate.json", &buf, &len);
	read_path(GOOD_DIR, "client-pub.pem", &pem, &pem_len);
	rc = api_parse_activate(buf, len, 1, &r, &err);
	if (rc)
		fail_msg("api_parse_activate: %s", gw_error_msg(&err, rc));
	assert_string_equal(r.enrollment_id, EID);
	assert_file_equal("secret.bin", r.secret, r.secret_len);
	assert_non_null(r.client_pub_pem);
	assert_int_equal(strlen(r.client_pub_pem), pem_len);
	assert_memory_equal(r.client_pub_pem, pem, pem_len);
	api_activate_req_fini(&r);
	api_activate_req_fini(&r);
	assert_null(r.client_pub_pem);
	assert_int_equal(r.secret_len, 0);

	/* the same body is refused by status, which does not take a key */
	expect_fail(P_STATUS, "activate body to status", buf, len, GW_E_PARSE,
		    "unknown key 'client_public_key'");
	free(buf);
	free(pem);
}

static void test_status_good(void **state)
{
	struct api_activate_req r;
	gw_error err = { { 0 } };
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	(void)state;
	memset(&r, 0, sizeof(r));
	read_path(GOOD_DIR, "status.json", &buf, &len);
	rc = api_parse_activate(buf, len, 0, &r, &err);
	if (rc)
		fail_msg("api_parse_activate (status): %s", gw_error_msg(&err, rc));
	assert_string_equal(r.enrollment_id, EID);
	assert_file_equal("secret.bin", r.secret, r.secret_len);
	assert_null(r.client_pub_pem);
	api_activate_req_fini(&r);

	/* activate requires the key the status body lacks */
	expect_fail(P_ACTIVATE, "status body to activate", buf, len, GW_E_PARSE,
		    "'client_public_key' is missing");
	free(buf);
}

static void test_renew_quote(void **state)
{
	struct api_renew_req r = { .client_pub_pem = NULL };
	gw_error err = { { 0 } };
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	(void)state;
	read_path(GOOD_DIR, "renew-quote.json", &buf, &len);
	rc = api_parse_renew(buf, len, &r, &err);
	if (rc)
		fail_msg("api_parse_renew: %s", gw_error_msg(&err, rc));
	assert_int_equal(r.nonce_len, 32);
	assert_int_equal(r.nonce[0], 0xab);
	assert_int_equal(r.nonce[31], 0xab);
	assert_int_equal(r.attest_len, 46);
	assert_int_equal(r.attest[0], 0xff);
	assert_int_equal(r.sig.sigAlg, TPM2_ALG_ECDSA);
	assert_int_equal(r.sig.signature.ecdsa.hash, TPM2_ALG_SHA256);
	assert_int_equal(r.sig.signature.ecdsa.signatureR.size, 32);
	assert_int_equal(r.sig.signature.ecdsa.signatureS.buffer[0], 0x22);
	api_renew_req_fini(&r);
	assert_null(r.attest);
	free(buf);
}

static void test_renew_good(void **state)
{
	struct api_renew_req r = { .client_pub_pem = NULL };
	gw_error err = { { 0 } };
	uint8_t *buf = NULL, *pem = NULL;
	size_t len = 0, pem_len = 0;
	char body[9000];
	int rc;

	(void)state;
	read_path(GOOD_DIR, "renew.json", &buf, &len);
	rc = api_parse_renew(buf, len, &r, &err);
	if (rc)
		fail_msg("api_parse_renew: %s", gw_error_msg(&err, rc));
	read_path(GOOD_DIR, "client-pub.pem", &pem, &pem_len);
	assert_int_equal(strlen(r.client_pub_pem), pem_len);
	assert_memory_equal(r.client_pub_pem, pem, pem_len);
	assert_null(r.attest); /* no quote: the service refuses it, the parser does not */
	api_renew_req_fini(&r);
	assert_null(r.client_pub_pem);
	api_renew_req_fini(&r);
	api_renew_req_fini(NULL);
	/* The renewal body is not an activation, nor the reverse. */
	expect_fail(P_ACTIVATE, "renew body to activate", buf, len, GW_E_PARSE,
		    "'enrollment_id' is missing");
	free(buf);
	free(pem);

	/* At the cap: API_MAX_PEM bytes of key text pass the parser. */
	memcpy(body, "{\"client_public_key\":\"", 22);
	memset(body + 22, 'k', API_MAX_PEM);
	memcpy(body + 22 + API_MAX_PEM, "\"}", 3);
	expect_ok(P_RENEW, "client_public_key at the cap", body);
	body[22 + API_MAX_PEM] = 'k';
	memcpy(body + 23 + API_MAX_PEM, "\"}", 3);
	expect_fail(P_RENEW, "client_public_key over the cap", (const uint8_t *)body,
		    strlen(body), GW_E_TOOBIG, "'client_public_key' longer than 8192 bytes");
}

static void test_activate_limits(void **state)
{
	uint8_t secret[64];
	char *s64, *pem, body[16384];

	(void)state;
	memset(secret, 0x42, sizeof(secret));
	pem = malloc(API_MAX_PEM + 1);
	assert_non_null(pem);
	memset(pem, 'k', API_MAX_PEM);
	pem[API_MAX_PEM] = '\0';
	for (size_t n = 1; n <= sizeof(secret); n += 63) {
		s64 = b64_of(secret, n);
		assert_int_equal(gw_snprintf(body, sizeof(body),
					     "{\"enrollment_id\":\"" EID "\",\"secret\":\"%s\"}", s64),
				 0);
		expect_ok(P_STATUS, "secret 1 or 64 bytes", body);
		assert_int_equal(gw_snprintf(body, sizeof(body),
					     "{\"secret\":\"%s\",\"client_public_key\":\"%s\","
					     "\"enrollment_id\":\"" EID "\"}",
					     s64, pem),
				 0);
		expect_ok(P_ACTIVATE, "8192-byte client key", body);
		free(s64);
	}
	free(pem);
}

static void test_empty_good(void **state)
{
	(void)state;
	assert_int_equal(api_parse_empty(NULL, 0, NULL), 0);
	expect_ok(P_EMPTY, "empty", "");
	expect_ok(P_EMPTY, "{}", "{}");
	expect_ok(P_EMPTY, "spaced {}", " {\n} \r\n\t");
}

/* Every parser refuses a body one byte over 1 MiB before reading it, and the
 * empty-body parser takes a 1 MiB "{}" padded with white space. */
static void test_body_cap(void **state)
{
	uint8_t *body = malloc(MAX_BODY + 1);

	(void)state;
	assert_non_null(body);
	memset(body, ' ', MAX_BODY + 1);
	body[0] = '{';
	body[1] = '}';
	assert_int_equal(run_parser(P_EMPTY, body, MAX_BODY, NULL), 0);
	for (enum parser p = P_ENROLL; p <= P_EMPTY; p++)
		expect_fail(p, "1 MiB + 1", body, MAX_BODY + 1, GW_E_TOOBIG,
			    "body larger than 1048576 bytes");
	free(body);
}

static void test_fini_safe(void **state)
{
	struct api_enroll_req e;
	struct api_activate_req a;

	(void)state;
	memset(&e, 0, sizeof(e));
	memset(&a, 0, sizeof(a));
	api_enroll_req_fini(&e);
	api_enroll_req_fini(&e);
	api_activate_req_fini(&a);
	api_activate_req_fini(&a);
	api_enroll_req_fini(NULL);
	api_activate_req_fini(NULL);
}

/* Every proper prefix of each good body is refused, without a leak. */
static void test_truncated_everywhere(void **state)
{
	static const struct {
		const char *file;
		enum parser p;
	} bodies[] = {
		{ "enroll.json", P_ENROLL },
		{ "activate.json", P_ACTIVATE },
		{ "status.json", P_STATUS },
		{ "renew.json", P_RENEW },
	};

	(void)state;
	for (size_t i = 0; i < GW_ARRAY_SIZE(bodies); i++) {
		uint8_t *buf = NULL;
		size_t len = 0;

		read_path(GOOD_DIR, bodies[i].file, &buf, &len);
		while (len > 0 && buf[len - 1] != '}')
			len--;
		for (size_t n = 0; n < len; n++)
			if (run_parser(bodies[i].p, buf, n, NULL) == 0)
				fail_msg("%s: prefix of %zu bytes accepted", bodies[i].file, n);
		free(buf);
	}
}

struct bad_case {
	const char *name;
	int code;
	const char *msg;
};

/* Cases every object parser shares; key is the first key of its body. */
#define COMMON_BAD(key)                                                                    \
	{ "not-json", GW_E_PARSE, "body is not valid JSON" },                              \
	{ "empty", GW_E_PARSE, "body is not valid JSON" },                                 \
	{ "truncated", GW_E_PARSE, "body is not valid JSON" },                             \
	{ "invalid-utf8", GW_E_PARSE, "body is not valid JSON" },                          \
	{ "json-array", GW_E_PARSE, "body must be a JSON object" },                        \
	{ "json-string", GW_E_PARSE, "body must be a JSON object" },                       \
	{ "json-null", GW_E_PARSE, "body must be a JSON object" },                         \
	{ "trailing-garbage", GW_E_TRAILING, "data after the JSON object" },               \
	{ "trailing-object", GW_E_TRAILING, "data after the JSON object" },                \
	{ "nul-byte", GW_E_PARSE, "body contains a NUL byte" },                            \
	{ "nul-after-object", GW_E_PARSE, "body contains a NUL byte" },                    \
	{ "unknown-key", GW_E_PARSE, "unknown key 'extra'" },                              \
	{ "empty-object", GW_E_PARSE, "'" key "' is missing" },                            \
	{ "nesting-at-cap", GW_E_PARSE, "'" key "' must be a string" },                    \
	{ "duplicate-key", GW_E_PARSE, "body: a key appears twice in one object" },        \
	{ "single-quoted-key", GW_E_PARSE, "body: not valid JSON: a single-quoted name" }, \
	{ "nesting-over-cap", GW_E_PARSE, "body is nested deeper than 4 levels" },         \
	{ "nesting-deep", GW_E_PARSE, "body is nested deeper than 4 levels" }

static const struct bad_case enroll_bad[] = {
	COMMON_BAD("device_id"),
	{ "device_id-missing", GW_E_PARSE, "'device_id' is missing" },
	{ "model-missing", GW_E_PARSE, "'model' is missing" },
	{ "ek_public-missing", GW_E_PARSE, "'ek_public' is missing" },
	{ "ek_certificate-missing", GW_E_PARSE, "'ek_certificate' is missing" },
	{ "ak_public-missing", GW_E_PARSE, "'ak_public' is missing" },
	{ "device_id-number", GW_E_PARSE, "'device_id' must be a string" },
	{ "device_id-null", GW_E_PARSE, "'device_id' must be a string" },
	{ "device_id-bool", GW_E_PARSE, "'device_id' must be a string" },
	{ "model-array", GW_E_PARSE, "'model' must be a string" },
	{ "ek_public-number", GW_E_PARSE, "'ek_public' must be a string" },
	{ "ek_certificate-object", GW_E_PARSE, "'ek_certificate' must be a string" },
	{ "ak_public-null", GW_E_PARSE, "'ak_public' must be a string" },
	{ "device_id-space", GW_E_PARSE, "'device_id' must be 1-64 of" },
	{ "device_id-slash", GW_E_PARSE, "'device_id' must be 1-64 of" },
	{ "device_id-non-ascii", GW_E_PARSE, "'device_id' must be 1-64 of" },
	{ "device_id-nul-escape", GW_E_PARSE, "body: a string contains \\u0000 (NUL)" },
	{ "device_id-empty", GW_E_PARSE, "'device_id' must be 1-64 of" },
	{ "device_id-65", GW_E_TOOBIG, "'device_id' longer than 64 bytes" },
	{ "model-colon", GW_E_PARSE, "'model' must be 1-64 of" },
	{ "model-empty", GW_E_PARSE, "'model' must be 1-64 of" },
	{ "model-65", GW_E_TOOBIG, "'model' longer than 64 bytes" },
	{ "ek_public-bad-char", GW_E_PARSE, "'ek_public': bad base64 character at 0" },
	{ "ek_public-bad-length", GW_E_PARSE, "'ek_public': base64 length" },
	{ "ek_public-url-safe", GW_E_PARSE, "'ek_public': bad base64 character at 0" },
	{ "ek_certificate-bad-char", GW_E_PARSE, "'ek_certificate': bad base64 character at 0" },
	{ "ek_certificate-padding-middle", GW_E_PARSE,
	  "'ek_certificate': bad base64 character at 2" },
	{ "ak_public-bad-char", GW_E_PARSE, "'ak_public': bad base64 character at" },
	{ "ak_public-bad-length", GW_E_PARSE, "'ak_public': base64 length" },
	{ "ek_public-garbage", GW_E_PARSE, "'ek_public': TPM2B_PUBLIC: malformed" },
	{ "ek_public-empty", GW_E_PARSE, "'ek_public': TPM2B_PUBLIC: malformed" },
	{ "ek_public-truncated", GW_E_PARSE, "'ek_public': TPM2B_PUBLIC: malformed" },
	{ "ek_public-trailing", GW_E_TRAILING, "'ek_public': TPM2B_PUBLIC: 1 trailing" },
	{ "ek_public-is-cert", GW_E_TOOBIG, "'ek_public' longer than" },
	{ "ek_public-size-zero", GW_E_PARSE, "'ek_public': TPM2B_PUBLIC: empty" },
	{ "ak_public-size-zero", GW_E_PARSE, "'ak_public': TPM2B_PUBLIC: empty" },
	{ "ak_public-garbage", GW_E_PARSE,
	  "'ak_public': TPM2B_PUBLIC: malformed: its TPMT_PUBLIC type 0xffff is unknown" },
	{ "ek_public-size-short", GW_E_PARSE,
	  "'ek_public': TPM2B_PUBLIC: malformed: its size field says 312 bytes, the "
	  "structure in it takes 314" },
	{ "ek_public-size-long", GW_E_PARSE,
	  "'ek_public': TPM2B_PUBLIC: malformed: its size field says 316 bytes, the "
	  "structure in it takes 314" },
	{ "ek_public-size-beyond", GW_E_PARSE,
	  "'ek_public': TPM2B_PUBLIC: malformed: its size field says 315 bytes, 314 follow" },
	{ "ak_public-size-short", GW_E_PARSE,
	  "'ak_public': TPM2B_PUBLIC: malformed: its size field says" },
	{ "ak_public-trailing", GW_E_TRAILING, "'ak_public': TPM2B_PUBLIC: 1 trailing" },
	{ "ek_certificate-empty", GW_E_PARSE, "'ek_certificate' must be 1-16384 bytes" },
	{ "ek_certificate-16385", GW_E_PARSE, "'ek_certificate' must be 1-16384 bytes" },
	{ "ek_certificate-20000", GW_E_TOOBIG, "'ek_certificate' longer than" },
};

static const struct bad_case activate_bad[] = {
	COMMON_BAD("enrollment_id"),
	{ "enrollment_id-missing", GW_E_PARSE, "'enrollment_id' is missing" },
	{ "secret-missing", GW_E_PARSE, "'secret' is missing" },
	{ "client_public_key-missing", GW_E_PARSE, "'client_public_key' is missing" },
	{ "enrollment_id-number", GW_E_PARSE, "'enrollment_id' must be a string" },
	{ "secret-array", GW_E_PARSE, "'secret' must be a string" },
	{ "client_public_key-null", GW_E_PARSE, "'client_public_key' must be a string" },
	{ "client_public_key-number", GW_E_PARSE, "'client_public_key' must be a string" },
	{ "enrollment_id-empty", GW_E_PARSE, "'enrollment_id' must be 32 lower-case hex digits" },
	{ "enrollment_id-short", GW_E_PARSE, "'enrollment_id' must be 32 lower-case hex digits" },
	{ "enrollment_id-long", GW_E_TOOBIG, "'enrollment_id' longer than 32 bytes" },
	{ "enrollment_id-upper", GW_E_PARSE, "'enrollment_id' must be 32 lower-case hex digits" },
	{ "enrollment_id-non-hex", GW_E_PARSE, "'enrollment_id' must be 32 lower-case hex digits" },
	{ "enrollment_id-nul-escape", GW_E_PARSE, "body: a string contains \\u0000 (NUL)" },
	{ "secret-bad-char", GW_E_PARSE, "'secret': bad base64 character at 0" },
	{ "secret-bad-length", GW_E_PARSE, "'secret': base64 length" },
	{ "secret-empty", GW_E_PARSE, "'secret' must be 1-64 bytes" },
	{ "secret-65", GW_E_PARSE, "'secret' must be 1-64 bytes" },
	{ "secret-100", GW_E_TOOBIG, "'secret' longer than 88 bytes" },
	{ "client_public_key-8193", GW_E_TOOBIG, "'client_public_key' longer than 8192 bytes" },
	{ "client_public_key-nul-escape", GW_E_PARSE, "body: a string contains \\u0000 (NUL)" },
};

static const struct bad_case status_bad[] = {
	{ "not-json", GW_E_PARSE, "body is not valid JSON" },
	{ "json-array", GW_E_PARSE, "body must be a JSON object" },
	{ "trailing-garbage", GW_E_TRAILING, "data after the JSON object" },
	{ "nul-byte", GW_E_PARSE, "body contains a NUL byte" },
	{ "empty-object", GW_E_PARSE, "'enrollment_id' is missing" },
	{ "client_public_key-present", GW_E_PARSE, "unknown key 'client_public_key'" },
	{ "client_public_key-null", GW_E_PARSE, "unknown key 'client_public_key'" },
	{ "unknown-key", GW_E_PARSE, "unknown key 'device_id'" },
	{ "enrollment_id-missing", GW_E_PARSE, "'enrollment_id' is missing" },
	{ "secret-missing", GW_E_PARSE, "'secret' is missing" },
	{ "enrollment_id-upper", GW_E_PARSE, "'enrollment_id' must be 32 lower-case hex digits" },
	{ "secret-empty", GW_E_PARSE, "'secret' must be 1-64 bytes" },
	{ "secret-65", GW_E_PARSE, "'secret' must be 1-64 bytes" },
	{ "nesting-over-cap", GW_E_PARSE, "body is nested deeper than 4 levels" },
};

static const struct bad_case renew_bad[] = {
	{ "not-json", GW_E_PARSE, "body is not valid JSON" },
	{ "empty", GW_E_PARSE, "body is not valid JSON" },
	{ "json-array", GW_E_PARSE, "body must be a JSON object" },
	{ "trailing-garbage", GW_E_TRAILING, "data after the JSON object" },
	{ "nul-byte", GW_E_PARSE, "body contains a NUL byte" },
	{ "empty-object", GW_E_PARSE, "'client_public_key' is missing" },
	{ "unknown-key", GW_E_PARSE, "unknown key 'device_id'" },
	{ "enrollment-keys", GW_E_PARSE, "unknown key 'enrollment_id'" },
	{ "duplicate-key", GW_E_PARSE, "body: a key appears twice in one object" },
	{ "nesting-over-cap", GW_E_PARSE, "body is nested deeper than 4 levels" },
	{ "client_public_key-null", GW_E_PARSE, "'client_public_key' must be a string" },
	{ "client_public_key-number", GW_E_PARSE, "'client_public_key' must be a string" },
	{ "client_public_key-empty", GW_E_PARSE, "'client_public_key' is empty" },
	{ "client_public_key-8193", GW_E_TOOBIG, "'client_public_key' longer than 8192 bytes" },
	{ "client_public_key-nul-escape", GW_E_PARSE, "body: a string contains \\u0000 (NUL)" },
	{ "quote-nonce-only", GW_E_PARSE, "'nonce', 'attest' and 'signature' come together" },
	{ "quote-signature-missing", GW_E_PARSE, "'nonce', 'attest' and 'signature' come together" },
	{ "nonce-odd", GW_E_PARSE, "'nonce' must be 2-128 hex digits, even" },
	{ "nonce-empty", GW_E_PARSE, "'nonce' must be 2-128 hex digits, even" },
	{ "nonce-not-hex", GW_E_PARSE, "'nonce': " },
	{ "nonce-65", GW_E_TOOBIG, "'nonce' longer than 128 bytes" },
	{ "nonce-number", GW_E_PARSE, "'nonce' must be a string" },
	{ "attest-empty", GW_E_PARSE, "'attest' is empty" },
	{ "attest-not-b64", GW_E_PARSE, "'attest': " },
	{ "signature-truncated", GW_E_PARSE, "'signature': " },
	{ "signature-trailing", GW_E_TRAILING, "'signature': TPMT_SIGNATURE: 1 trailing" },
};

static const struct bad_case empty_bad[] = {
	{ "not-json", GW_E_PARSE, "body is not valid JSON" },
	{ "json-array", GW_E_PARSE, "body must be a JSON object" },
	/* a bare literal at the very end could go on: json-c wants more input */
	{ "json-null", GW_E_PARSE, "body is not valid JSON" },
	{ "json-number", GW_E_PARSE, "body is not valid JSON" },
	{ "json-string", GW_E_PARSE, "body must be a JSON object" },
	{ "unknown-key", GW_E_PARSE, "unknown key 'extra'" },
	{ "trailing-garbage", GW_E_TRAILING, "data after the JSON object" },
	{ "trailing-object", GW_E_TRAILING, "data after the JSON object" },
	{ "nul-byte", GW_E_PARSE, "body contains a NUL byte" },
	{ "nesting-over-cap", GW_E_PARSE, "body is nested deeper than 4 levels" },
};

static const struct {
	const char *dir;
	enum parser p;
	const struct bad_case *cases;
	size_t n;
} bad_sets[] = {
	{ "enroll", P_ENROLL, enroll_bad, GW_ARRAY_SIZE(enroll_bad) },
	{ "activate", P_ACTIVATE, activate_bad, GW_ARRAY_SIZE(activate_bad) },
	{ "status", P_STATUS, status_bad, GW_ARRAY_SIZE(status_bad) },
	{ "renew", P_RENEW, renew_bad, GW_ARRAY_SIZE(renew_bad) },
	{ "empty", P_EMPTY, empty_bad, GW_ARRAY_SIZE(empty_bad) },
};

static void test_bad_fixtures(void **state)
{
	(void)state;
	for (size_t s = 0; s < GW_ARRAY_SIZE(bad_sets); s++) {
		char dir[256], what[256];

		assert_int_equal(gw_snprintf(dir, sizeof(dir), "%s/%s", BAD_DIR, bad_sets[s].dir), 0);
		for (size_t i = 0; i < bad_sets[s].n; i++) {
			const struct bad_case *c = &bad_sets[s].cases[i];
			char file[256];
			uint8_t *buf = NULL;
			size_t len = 0;

			assert_int_equal(gw_snprintf(file, sizeof(file), "%s.json", c->name), 0);
			assert_int_equal(gw_snprintf(what, sizeof(what), "%s/%s", bad_sets[s].dir,
						     c->name),
					 0);
			read_path(dir, file, &buf, &len);
			expect_fail(bad_sets[s].p, what, buf, len, c->code, c->msg);
			free(buf);
		}
	}
}

/* Every fixture in bad/<parser>/ has an entry above. */
static void test_bad_fixtures_listed(void **state)
{
	(void)state;
	for (size_t s = 0; s < GW_ARRAY_SIZE(bad_sets); s++) {
		char path[256];

		assert_int_equal(gw_snprintf(path, sizeof(path), "%s/%s", BAD_DIR, bad_sets[s].dir), 0);
		fixtures_all_listed(path, ".json", &bad_sets[s].cases[0].name, bad_sets[s].n,
				    sizeof(bad_sets[s].cases[0]));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_id),
		cmocka_unit_test(test_enroll_good),
		cmocka_unit_test(test_enroll_limits),
		cmocka_unit_test(test_activate_good),
		cmocka_unit_test(test_status_good),
		cmocka_unit_test(test_renew_good),
		cmocka_unit_test(test_renew_quote),
		cmocka_unit_test(test_activate_limits),
		cmocka_unit_test(test_empty_good),
		cmocka_unit_test(test_body_cap),
		cmocka_unit_test(test_fini_safe),
		cmocka_unit_test(test_truncated_everywhere),
		cmocka_unit_test(test_bad_fixtures),
		cmocka_unit_test(test_bad_fixtures_listed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
