// SPDX-License-Identifier: Apache-2.0
// Unit tests for hash algorithms, software PCR banks and PCR selection strings.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "digest.h"
#include "util.h"

static void test_extend_known_answer(void **state)
{
	struct gw_pcr_set set = { 0 };
	struct gw_pcr_bank *b = gw_pcr_set_bank(&set, TPM2_ALG_SHA256);
	uint8_t zero[32] = { 0 };
	char hex[65];

	(void)state;
	assert_non_null(b);
	assert_int_equal(gw_pcr_extend(b, 0, zero), 0);
	gw_hex_encode(b->pcr[0], 32, hex);
	/* sha256(32 zero bytes || 32 zero bytes) */
	assert_string_equal(hex, "f5a5fd42d16a20302798ef6ed309979b43003d2320d9f0e8ea9831a92759fb4b");
	assert_int_equal(b->touched, 1);
	assert_int_equal(gw_pcr_extend(b, 24, zero), GW_E_INVAL);
}

static void test_pcrsel_parse_format(void **state)
{
	TPML_PCR_SELECTION sel, sel2;
	char buf[256];

	(void)state;
	assert_int_equal(gw_pcrsel_parse("sha256:0-3,7,13+sha1:14", &sel, NULL), 0);
	assert_int_equal(sel.count, 2);
	assert_int_equal(gw_pcrsel_count(&sel), 7);
	assert_int_equal(gw_pcrsel_format(&sel, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "sha256:0-3,7,13+sha1:14");
	assert_int_equal(gw_pcrsel_parse(buf, &sel2, NULL), 0);
	assert_true(gw_pcrsel_equal(&sel, &sel2));
	assert_int_equal(gw_pcrsel_parse("sha256:all", &sel, NULL), 0);
	assert_int_equal(gw_pcrsel_count(&sel), 24);
	assert_int_equal(gw_pcrsel_format(&sel, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "sha256:0-23");
	/* Two in a row stay a list. */
	assert_int_equal(gw_pcrsel_parse("sha1:13-14,16", &sel, NULL), 0);
	assert_int_equal(gw_pcrsel_format(&sel, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "sha1:13,14,16");
}

/* The longest text of one bank (PCRs in pairs, 41 characters, found by trying every
 * selection) in every
 * bank fits GW_PCRSEL_TEXT_MAX; one byte less does not. */
static void test_pcrsel_format_longest(void **state)
{
	static const char *const one = "0,1,3,4,6,7,10,11,13,14,16,17,19,20,22,23";
	TPML_PCR_SELECTION sel, sel2;
	char in[512], buf[GW_PCRSEL_TEXT_MAX];

	(void)state;
	assert_int_equal(strlen(one), 41);
	assert_int_equal(gw_snprintf(in, sizeof(in), "sha1:%s+sha256:%s+sha384:%s+sha512:%s+sm3_256:%s",
				     one, one, one, one, one), 0);
	assert_int_equal(gw_pcrsel_parse(in, &sel, NULL), 0);
	assert_int_equal(gw_pcrsel_format(&sel, buf, sizeof(buf)), 0);
	assert_string_equal(buf, in);
	assert_true(strlen(buf) < GW_PCRSEL_TEXT_MAX);
	assert_int_equal(gw_pcrsel_parse(buf, &sel2, NULL), 0);
	assert_true(gw_pcrsel_equal(&sel, &sel2));
	assert_int_equal(gw_pcrsel_format(&sel, buf, strlen(in)), GW_E_TOOBIG);
}

static void test_pcrsel_bad(void **state)
{
	static const char *const bad[] = {
		"", "sha256", "sha256:", "sha256:24", "md5:1", "sha256:1,", "sha256:1+",
		"sha256:3-1", "sha256:1+sha256:2", "sha256:1x", ":1", "sha256:0-99",
		"sha256:1000000",
	};
	TPML_PCR_SELECTION sel;
	gw_error err = { { 0 } };

	(void)state;
	for (size_t i = 0; i < GW_ARRAY_SIZE(bad); i++)
		assert_int_equal(gw_pcrsel_parse(bad[i], &sel, &err), GW_E_PARSE);
}

static void test_hex_b64(void **state)
{
	uint8_t *out = NULL;
	size_t len = 0;
	char *s = NULL;
	uint8_t fixed[2];

	(void)state;
	assert_int_equal(gw_hex_decode("0xA0ff", &out, &len, NULL), 0);
	assert_int_equal(len, 2);
	assert_int_equal(out[0], 0xa0);
	free(out);
	assert_int_equal(gw_hex_decode("abc", &out, &len, NULL), GW_E_PARSE);
	assert_int_equal(gw_hex_decode("zz", &out, &len, NULL), GW_E_PARSE);
	assert_int_equal(gw_hex_decode_fixed("abcd", fixed, 2, NULL), 0);
	assert_int_equal(gw_hex_decode_fixed("abcdef", fixed, 2, NULL), GW_E_PARSE);

	assert_int_equal(gw_b64_encode((const uint8_t *)"hello", 5, &s), 0);
	assert_string_equal(s, "aGVsbG8=");
	assert_int_equal(gw_b64_decode(s, &out, &len, NULL), 0);
	assert_int_equal(len, 5);
	assert_memory_equal(out, "hello", 5);
	free(out);
	free(s);
	assert_int_equal(gw_b64_decode("aGVsbG8", &out, &len, NULL), GW_E_PARSE);
	assert_int_equal(gw_b64_decode("aG=sbG8=", &out, &len, NULL), GW_E_PARSE);
	assert_int_equal(gw_b64_decode("aGV*bG8=", &out, &len, NULL), GW_E_PARSE);
	assert_int_equal(gw_b64_decode("", &out, &len, NULL), 0);
	assert_int_equal(len, 0);
	free(out);
}

static void test_parse_u64(void **state)
{
	uint64_t v;

	(void)state;
	assert_int_equal(gw_parse_u64("42", 100, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(gw_parse_u64("101", 100, &v), GW_E_TOOBIG);
	assert_int_equal(gw_parse_u64("18446744073709551616", UINT64_MAX, &v), GW_E_TOOBIG);
	assert_int_equal(gw_parse_u64("-1", 100, &v), GW_E_PARSE);
	assert_int_equal(gw_parse_u64("", 100, &v), GW_E_PARSE);
	assert_int_equal(gw_parse_u64("9", 5, &v), GW_E_TOOBIG);
}

static void test_parse_u64_until(void **state)
{
	const char *s = "12-345/6", *p = s;
	uint64_t a = 0, b = 0, c = 0;

	(void)state;
	assert_int_equal(gw_parse_u64_until(&p, '-', 100, &a), 0);
	assert_int_equal(gw_parse_u64_until(&p, '/', 1000, &b), 0);
	assert_int_equal(gw_parse_u64_until(&p, '\0', 9, &c), 0);
	assert_true(a == 12 && b == 345 && c == 6 && *p == '\0');
	/* Failures leave *p and the value alone. */
	p = "-5";
	assert_int_equal(gw_parse_u64_until(&p, '-', 100, &a), GW_E_PARSE); /* no digit */
	assert_string_equal(p, "-5");
	p = "5";
	assert_int_equal(gw_parse_u64_until(&p, '-', 100, &a), GW_E_PARSE); /* no end */
	p = "5x-";
	assert_int_equal(gw_parse_u64_until(&p, '-', 100, &a), GW_E_PARSE);
	p = " 5-";
	assert_int_equal(gw_parse_u64_until(&p, '-', 100, &a), GW_E_PARSE);
	p = "101-";
	assert_int_equal(gw_parse_u64_until(&p, '-', 100, &a), GW_E_TOOBIG);
	p = "123456789012345678901234567890-";
	assert_int_equal(gw_parse_u64_until(&p, '-', UINT64_MAX, &a), GW_E_TOOBIG);
	assert_int_equal(a, 12);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_extend_known_answer),
		cmocka_unit_test(test_pcrsel_parse_format),
		cmocka_unit_test(test_pcrsel_format_longest),
		cmocka_unit_test(test_pcrsel_bad),
		cmocka_unit_test(test_hex_b64),
		cmocka_unit_test(test_parse_u64),
		cmocka_unit_test(test_parse_u64_until),
	};

	return cmocka_run_group_tests_name("digest", tests, NULL, NULL);
}
