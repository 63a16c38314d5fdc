// SPDX-License-Identifier: Apache-2.0
// Unit tests for the evidence JSON: the real swtpm evidence, format/parse round trip,
// and the committed bad fixtures, each with its code and the key it must name.
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "digest.h"
#include "evidence.h"
#include "tpmdata.h"
#include "util.h"
#include "fixture_list.h"

#define QUOTE_DIR "common/tests/fixtures/quote"
#define BAD_DIR "common/tests/fixtures/evidence/bad"

static void read_path(const char *dir, const char *name, uint8_t **buf, size_t *len)
{
	char path[512];
	gw_error err = { { 0 } };
	int rc;

	assert_int_equal(gw_snprintf(path, sizeof(path), "%s/%s", dir, name), 0);
	rc = gw_read_file(path, 1024 * 1024, buf, len, &err);
	if (rc)
		fail_msg("reading %s: %s", path, gw_error_msg(&err, rc));
}

static struct evidence *parse_ok(const uint8_t *buf, size_t len)
{
	struct evidence *ev = NULL;
	gw_error err = { { 0 } };
	int rc = evidence_parse(buf, len, &ev, &err);

	if (rc)
		fail_msg("evidence_parse: %s", gw_error_msg(&err, rc));
	assert_non_null(ev);
	return ev;
}

static struct evidence *parse_fixture(const char *dir)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	struct evidence *ev;

	read_path(dir, "evidence.json", &buf, &len);
	ev = parse_ok(buf, len);
	free(buf);
	return ev;
}

static void assert_file_equal(const char *name, const uint8_t *data, size_t len)
{
	uint8_t *buf = NULL;
	size_t blen = 0;

	read_path(QUOTE_DIR, name, &buf, &blen);
	assert_int_equal(len, blen);
	assert_memory_equal(data, buf, len);
	free(buf);
}

/* Every field of the agent's evidence equals the tpm2-tools file written with it. */
static void test_real_fixture(void **state)
{
	static const uint8_t nonce[16] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
					   0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff };
	struct evidence *ev = parse_fixture(QUOTE_DIR);
	uint8_t *bin = NULL, *pbuf = NULL;
	size_t bin_len = 0, plen = 0;
	struct tpmdata_pcrs pcrs;

	(void)state;
	assert_int_equal(ev->nonce_len, 16);
	assert_memory_equal(ev->nonce, nonce, 16);
	assert_file_equal("quote.msg", ev->attest, ev->attest_len);
	assert_int_equal(tpmdata_signature_marshal(&ev->sig, &bin, &bin_len), 0);
	assert_file_equal("quote.sig", bin, bin_len);
	free(bin);
	assert_true(ev->has_ak);
	assert_int_equal(tpmdata_public_marshal(&ev->ak_pub, &bin, &bin_len), 0);
	assert_file_equal("ak.pub", bin, bin_len);
	free(bin);
	assert_non_null(ev->cel);
	assert_file_equal("eventlog.cel", ev->cel, ev->cel_len);
	assert_null(ev->fwlog);
	read_path(QUOTE_DIR, "quote.pcrs", &pbuf, &plen);
	assert_int_equal(tpmdata_pcrs_file_parse(pbuf, plen, &pcrs, NULL), 0);
	assert_true(gw_pcrsel_equal(&pcrs.sel, &ev->pcrs.sel));
	assert_memory_equal(&pcrs.values, &ev->pcrs.values, sizeof(pcrs.values));
	free(pbuf);
	evidence_free(ev);
	evidence_free(NULL);
}

static void assert_same_evidence(const struct evidence *a, const struct evidence *b)
{
	uint8_t *x = NULL, *y = NULL;
	size_t xl = 0, yl = 0;

	assert_int_equal(a->nonce_len, b->nonce_len);
	assert_memory_equal(a->nonce, b->nonce, a->nonce_len);
	assert_int_equal(a->attest_len, b->attest_len);
	assert_memory_equal(a->attest, b->attest, a->attest_len);
	assert_int_equal(tpmdata_signature_marshal(&a->sig, &x, &xl), 0);
	assert_int_equal(tpmdata_signature_marshal(&b->sig, &y, &yl), 0);
	assert_int_equal(xl, yl);
	assert_memory_equal(x, y, xl);
	free(x);
	free(y);
	assert_true(gw_pcrsel_equal(&a->pcrs.sel, &b->pcrs.sel));
	assert_memory_equal(&a->pcrs.values, &b->pcrs.values, sizeof(a->pcrs.values));
	assert_int_equal(a->has_ak, b->has_ak);
	if (a->has_ak)
		assert_memory_equal(&a->ak_pub, &b->ak_pub, sizeof(a->ak_pub));
	assert_int_equal(!a->cel, !b->cel);
	assert_int_equal(a->cel_len, b->cel_len);
	assert_int_equal(a->cel_offset, b->cel_offset);
	if (a->cel_len)
		assert_memory_equal(a->cel, b->cel, a->cel_len);
	assert_int_equal(!a->fwlog, !b->fwlog);
	assert_int_equal(a->fwlog_len, b->fwlog_len);
	if (a->fwlog_len)
		assert_memory_equal(a->fwlog, b->fwlog, a->fwlog_len);
}

static struct evidence *reparse(const struct evidence *ev)
{
	char *text = NULL;
	struct evidence *back;

	assert_int_equal(evidence_format(ev, &text), 0);
	back = parse_ok((const uint8_t *)text, strlen(text));
	free(text);
	assert_same_evidence(ev, back);
	return back;
}

static void test_round_trip(void **state)
{
	struct evidence *ev = parse_fixture(QUOTE_DIR), *back;
	static const uint8_t fw[] = { 1, 2, 3, 4, 5 };
	char *text = NULL;

	(void)state;
	evidence_free(reparse(ev));
	/* Incremental: the records after the first 5, and then none at all. */
	ev->cel_offset = 5;
	evidence_free(reparse(ev));
	free(ev->cel);
	ev->cel = malloc(1);
	assert_non_null(ev->cel);
	ev->cel_len = 0;
	back = reparse(ev);
	assert_non_null(back->cel);
	assert_int_equal(back->cel_offset, 5);
	evidence_free(back);
	ev->cel_offset = EVIDENCE_MAX_CEL_OFFSET + 1;
	assert_int_equal(evidence_format(ev, &text), GW_E_INVAL);
	ev->cel_offset = 0;
	/* Without AK and CEL log, with a firmware log and a longest nonce. */
	ev->has_ak = false;
	free(ev->cel);
	ev->cel = NULL;
	ev->cel_len = 0;
	ev->fwlog = malloc(sizeof(fw));
	assert_non_null(ev->fwlog);
	memcpy(ev->fwlog, fw, sizeof(fw));
	ev->fwlog_len = sizeof(fw);
	memset(ev->nonce, 0xab, sizeof(ev->nonce));
	ev->nonce_len = sizeof(ev->nonce);
	back = reparse(ev);
	assert_false(back->has_ak);
	assert_null(back->cel);
	evidence_free(back);
	evidence_free(ev);

	ev = parse_fixture(QUOTE_DIR "/stage-failed");
	evidence_free(reparse(ev));
	evidence_free(ev);
}

/* update_request: formatted, read back, and the qualifying data it implies. */
static void test_update_request(void **state)
{
	struct evidence *ev = parse_fixture(QUOTE_DIR), *back;
	uint8_t q[64], want[32];
	size_t qlen = 0;
	char *text = NULL;

	(void)state;
	assert_int_equal(evidence_qualifying_data(ev, q, &qlen), 0);
	assert_int_equal(qlen, ev->nonce_len);
	assert_memory_equal(q, ev->nonce, qlen);
	ev->has_update_request = true;
	memcpy(ev->update_request.release, "00112233445566ff", 17);
	memset(ev->update_request.nonce_tpm, 0x5a, 32);
	ev->update_request.nonce_tpm_len = 32;
	back = reparse(ev);
	assert_true(back->has_update_request);
	assert_string_equal(back->update_request.release, "00112233445566ff");
	assert_int_equal(back->update_request.nonce_tpm_len, 32);
	assert_memory_equal(back->update_request.nonce_tpm, ev->update_request.nonce_tpm, 32);
	/* Q = SHA-256(nonce || nonce_tpm) */
	assert_int_equal(evidence_qualifying_data(back, q, &qlen), 0);
	assert_int_equal(qlen, 32);
	{
		uint8_t cat[64 + 64];

		memcpy(cat, ev->nonce, ev->nonce_len);
		memcpy(cat + ev->nonce_len, ev->update_request.nonce_tpm, 32);
		assert_int_equal(gw_hash(TPM2_ALG_SHA256, cat, ev->nonce_len + 32, want), 0);
	}
	assert_memory_equal(q, want, 32);
	evidence_free(back);
	/* A request the format cannot express is refused, not written. */
	ev->update_request.nonce_tpm_len = 15;
	assert_int_equal(evidence_format(ev, &text), GW_E_INVAL);
	ev->update_request.nonce_tpm_len = 32;
	ev->update_request.release[3] = '\0';
	assert_int_equal(evidence_format(ev, &text), GW_E_INVAL);
	assert_null(text);
	evidence_free(ev);
}

struct bad_case {
	const char *name;
	int code;
	const char *msg;
};

static const struct bad_case bad_cases[] = {
	{ "not-json", GW_E_PARSE, "not valid JSON" },
	{ "truncated-json", GW_E_PARSE, "not valid JSON" },
	{ "empty", GW_E_PARSE, "not valid JSON" },
	{ "comment", GW_E_PARSE, "not valid JSON" },
	{ "trailing-comma", GW_E_PARSE, "not valid JSON" },
	{ "single-quotes", GW_E_PARSE, "not valid JSON" },
	{ "deeply-nested", GW_E_PARSE, "evidence is nested deeper than 6 levels" },
	{ "duplicate-nonce", GW_E_PARSE, "evidence: a key appears twice in one object" },
	{ "duplicate-in-pcrs", GW_E_PARSE, "evidence: a key appears twice in one object" },
	{ "json-array", GW_E_PARSE, "must be a JSON object" },
	{ "json-string", GW_E_PARSE, "must be a JSON object" },
	{ "trailing-garbage", GW_E_TRAILING, "data after the JSON object" },
	{ "trailing-object", GW_E_TRAILING, "data after the JSON object" },
	{ "nul-byte", GW_E_PARSE, "NUL byte" },
	{ "unknown-key", GW_E_PARSE, "unknown key 'extra'" },
	{ "empty-object", GW_E_PARSE, "'format' is missing" },
	{ "format-missing", GW_E_PARSE, "'format' is missing" },
	{ "format-wrong", GW_E_UNSUPPORTED, "format 'gatewarden-evidence/2'" },
	{ "format-number", GW_E_PARSE, "'format' must be a string" },
	{ "format-nul-escape", GW_E_PARSE, "evidence: a string contains \\u0000 (NUL)" },
	{ "nonce-missing", GW_E_PARSE, "'nonce' is missing" },
	{ "nonce-number", GW_E_PARSE, "'nonce' must be a string" },
	{ "nonce-null", GW_E_PARSE, "'nonce' must be a string" },
	{ "nonce-bad-hex", GW_E_PARSE, "'nonce': not a hex digit" },
	{ "nonce-odd-length", GW_E_PARSE, "'nonce': hex string has an odd number" },
	{ "nonce-too-long", GW_E_TOOBIG, "'nonce': nonce longer than 64 bytes" },
	{ "attest-missing", GW_E_PARSE, "'attest' is missing" },
	{ "attest-number", GW_E_PARSE, "'attest' must be a string" },
	{ "attest-bad-char", GW_E_PARSE, "'attest': bad base64 character at 0" },
	{ "attest-bad-length", GW_E_PARSE, "'attest': base64 length" },
	{ "attest-padding-middle", GW_E_PARSE, "'attest': bad base64 character at 2" },
	{ "signature-missing", GW_E_PARSE, "'signature' is missing" },
	{ "signature-object", GW_E_PARSE, "'signature' must be a string" },
	{ "signature-trailing", GW_E_TRAILING, "'signature': TPMT_SIGNATURE: 1 trailing" },
	{ "signature-truncated", GW_E_PARSE, "'signature': TPMT_SIGNATURE: malformed" },
	{ "pcr_selection-missing", GW_E_PARSE, "'pcr_selection' is missing" },
	{ "pcr_selection-number", GW_E_PARSE, "'pcr_selection' must be a string" },
	{ "pcr_selection-invalid", GW_E_PARSE, "'pcr_selection': PCR selection" },
	{ "pcr_selection-unknown-bank", GW_E_PARSE, "'pcr_selection': PCR selection: unknown bank" },
	{ "pcrs-missing", GW_E_PARSE, "'pcrs' must be an object" },
	{ "pcrs-array", GW_E_PARSE, "'pcrs' must be an object" },
	{ "pcrs-bank-missing", GW_E_PARSE, "'pcrs' banks differ from pcr_selection" },
	{ "pcrs-extra-bank", GW_E_PARSE, "'pcrs' banks differ from pcr_selection" },
	{ "pcrs-bank-renamed", GW_E_PARSE, "'pcrs.sha1' missing" },
	{ "pcrs-extra-pcr", GW_E_PARSE, "'pcrs.sha256' has PCRs outside pcr_selection" },
	{ "pcrs-pcr-missing", GW_E_PARSE, "'pcrs.sha256.13' missing" },
	{ "pcrs-value-short", GW_E_PARSE, "'pcrs.sha256.13': expected 64 hex digits" },
	{ "pcrs-value-long", GW_E_PARSE, "'pcrs.sha1.13': expected 40 hex digits" },
	{ "pcrs-value-not-hex", GW_E_PARSE, "'pcrs.sha256.13': not a hex digit" },
	{ "pcrs-value-number", GW_E_PARSE, "'pcrs.sha256.13'" },
	{ "ak_public-truncated", GW_E_PARSE, "'ak_public': TPM2B_PUBLIC: malformed" },
	{ "ak_public-trailing", GW_E_TRAILING, "'ak_public': TPM2B_PUBLIC: 1 trailing" },
	{ "ak_public-number", GW_E_PARSE, "'ak_public' must be a string" },
	{ "cel_log-bad-base64", GW_E_PARSE, "'cel_log': bad base64" },
	{ "firmware_log-bad-base64", GW_E_PARSE, "'firmware_log': base64 length" },
	{ "cel_offset-negative", GW_E_PARSE, "'cel_offset' must be 0 to 100000" },
	{ "cel_offset-float", GW_E_PARSE, "'cel_offset' must be an integer" },
	{ "cel_offset-string", GW_E_PARSE, "'cel_offset' must be an integer" },
	{ "cel_offset-null", GW_E_PARSE, "'cel_offset' must be an integer" },
	{ "cel_offset-too-large", GW_E_PARSE, "'cel_offset' must be 0 to 100000" },
	{ "cel_offset-huge", GW_E_PARSE, "'cel_offset'" },
	{ "cel_offset-without-cel_log", GW_E_PARSE, "'cel_offset' without 'cel_log'" },
	{ "update_request-string", GW_E_PARSE, "'update_request' must be an object" },
	{ "update_request-extra", GW_E_PARSE, "'update_request': unknown key 'x'" },
	{ "update_request-no-release", GW_E_PARSE, "'update_request': 'release' is missing" },
	{ "update_request-release-upper", GW_E_PARSE, "'release' must be 16 lower-case hex" },
	{ "update_request-release-short", GW_E_PARSE, "'release' must be 16 lower-case hex" },
	{ "update_request-release-long", GW_E_TOOBIG, "'update_request': 'release' longer" },
	{ "update_request-release-number", GW_E_PARSE, "'release' must be a string" },
	{ "update_request-no-nonce", GW_E_PARSE, "'update_request': 'nonce_tpm' is missing" },
	{ "update_request-nonce-short", GW_E_PARSE, "'nonce_tpm' is 15 bytes, expected 16 to 64" },
	{ "update_request-nonce-long", GW_E_PARSE, "'nonce_tpm' is 65 bytes, expected 16 to 64" },
	{ "update_request-nonce-bad-base64", GW_E_PARSE, "'update_request': 'nonce_tpm': bad base64" },
	{ "update_request-nonce-noncanonical", GW_E_PARSE, "'nonce_tpm' is not canonical base64" },
};

static void test_bad_fixtures(void **state)
{
	(void)state;
	for (size_t i = 0; i < GW_ARRAY_SIZE(bad_cases); i++) {
		const struct bad_case *c = &bad_cases[i];
		char file[256];
		uint8_t *buf = NULL;
		size_t len = 0;
		struct evidence *ev = NULL;
		gw_error err = { { 0 } };
		int rc;

		assert_int_equal(gw_snprintf(file, sizeof(file), "%s.json", c->name), 0);
		read_path(BAD_DIR, file, &buf, &len);
		rc = evidence_parse(buf, len, &ev, &err);
		if (rc != c->code)
			fail_msg("%s: got %d (%s), expected %d", c->name, rc,
				 gw_error_msg(&err, rc), c->code);
		if (!strstr(err.msg, c->msg))
			fail_msg("%s: message '%s' lacks '%s'", c->name, err.msg, c->msg);
		assert_null(ev);
		free(buf);
	}
}

/* Every fixture in bad/ has an entry above. */
static void test_bad_fixtures_listed(void **state)
{
	(void)state;
	FIXTURES_ALL_LISTED(BAD_DIR, ".json", bad_cases);
}

/* Every prefix of the real evidence is refused without a crash. */
static void test_truncated_everywhere(void **state)
{
	uint8_t *buf = NULL;
	size_t len = 0;

	(void)state;
	read_path(QUOTE_DIR, "evidence.json", &buf, &len);
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '}'))
		len--;
	for (size_t l = 0; l < len; l++) {
		struct evidence *ev = NULL;

		assert_int_not_equal(evidence_parse(buf, l, &ev, NULL), 0);
		assert_null(ev);
	}
	free(buf);
}

/* A log over EVIDENCE_MAX_LOG, generated here rather than committed. */
static void test_oversized(void **state)
{
	struct evidence *ev = parse_fixture(QUOTE_DIR), *back = NULL;
	static const size_t sizes[] = { EVIDENCE_MAX_LOG + 1, EVIDENCE_MAX_LOG + 1000 };
	char *text = NULL;
	uint8_t *huge;
	gw_error err = { { 0 } };

	(void)state;
	for (size_t i = 0; i < GW_ARRAY_SIZE(sizes); i++) {
		free(ev->cel);
		ev->cel = calloc(1, sizes[i]);
		assert_non_null(ev->cel);
		ev->cel_len = sizes[i];
		assert_int_equal(evidence_format(ev, &text), 0);
		assert_int_equal(evidence_parse((const uint8_t *)text, strlen(text), &back, &err),
				 GW_E_TOOBIG);
		assert_non_null(strstr(err.msg, "'cel_log' larger than 16777216 bytes"));
		assert_null(back);
		free(text);
	}
	/* At the cap it is fine. */
	ev->cel_len = EVIDENCE_MAX_LOG;
	evidence_free(reparse(ev));

	/* The whole file over its cap is refused before it is read. */
	huge = malloc(EVIDENCE_MAX_SIZE + 1);
	assert_non_null(huge);
	memset(huge, ' ', EVIDENCE_MAX_SIZE + 1);
	assert_int_equal(evidence_parse(huge, EVIDENCE_MAX_SIZE + 1, &back, &err), GW_E_TOOBIG);
	assert_non_null(strstr(err.msg, "evidence larger than"));
	free(huge);
	evidence_free(ev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_fixture),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_update_request),
		cmocka_unit_test(test_bad_fixtures),
		cmocka_unit_test(test_bad_fixtures_listed),
		cmocka_unit_test(test_truncated_everywhere),
		cmocka_unit_test(test_oversized),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
