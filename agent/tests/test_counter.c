// SPDX-License-Identifier: Apache-2.0
// Unit tests for the pure parts of the anti-rollback counters: which NV public areas
// are ours, the baseline record, and the [channel NAME] configuration with one bad
// fixture per error.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "counter.h"
#include "util.h"

#define FIXTURES "agent/tests/fixtures/channel"

static TPMS_NV_PUBLIC nv_pub(enum counter_nv_kind kind)
{
	TPMS_NV_PUBLIC p;

	memset(&p, 0, sizeof(p));
	p.nvIndex = kind == COUNTER_NV_COUNTER ? 0x01800100 : 0x01800101;
	p.nameAlg = TPM2_ALG_SHA256;
	p.attributes = kind == COUNTER_NV_COUNTER
			       ? COUNTER_NV_ATTRS | TPMA_NV_WRITTEN
			       : COUNTER_BASELINE_ATTRS | TPMA_NV_WRITTEN | TPMA_NV_WRITELOCKED;
	p.dataSize = kind == COUNTER_NV_COUNTER ? 8 : COUNTER_BASELINE_SIZE;
	return p;
}

static void expect_refused(const TPMS_NV_PUBLIC *p, enum counter_nv_kind kind,
			   const char *detail)
{
	gw_error err = { { 0 } };

	assert_int_equal(counter_check_public(kind, p, &err), GW_E_STATE);
	if (!strstr(err.msg, detail))
		fail_msg("detail \"%s\" lacks \"%s\"", err.msg, detail);
	assert_int_equal(counter_check_public(kind, p, NULL), GW_E_STATE);
}

/* The exact values doc/updates.md lists and t_counters reads back from a TPM. */
static void test_attributes(void **state)
{
	char s[320];

	(void)state;
	assert_int_equal(COUNTER_NV_ATTRS, 0x02060014);
	assert_int_equal(COUNTER_BASELINE_ATTRS, 0x02063002);
	counter_attrs_string(COUNTER_NV_ATTRS | TPMA_NV_WRITTEN, s, sizeof(s));
	assert_string_equal(s, "authwrite|nt=0x1|ownerread|authread|no_da|written");
	counter_attrs_string(COUNTER_BASELINE_ATTRS | TPMA_NV_WRITTEN | TPMA_NV_WRITELOCKED, s,
			     sizeof(s));
	assert_string_equal(
		s, "ownerwrite|writelocked|writeall|writedefine|ownerread|authread|no_da|written");
	counter_attrs_string(0x00000300, s, sizeof(s));
	assert_string_equal(s, "reserved=0x300");
	counter_attrs_string(COUNTER_NV_ATTRS, s, 8); /* truncated, still terminated */
	assert_int_equal(strlen(s), 7);
}

static void test_public_ok(void **state)
{
	TPMS_NV_PUBLIC c = nv_pub(COUNTER_NV_COUNTER), b = nv_pub(COUNTER_NV_BASELINE);

	(void)state;
	assert_int_equal(counter_check_public(COUNTER_NV_COUNTER, &c, NULL), 0);
	assert_int_equal(counter_check_public(COUNTER_NV_BASELINE, &b, NULL), 0);
	/* State bits the TPM sets do not matter here (the callers look at them). */
	c.attributes &= ~TPMA_NV_WRITTEN;
	b.attributes &= ~(TPMA_NV_WRITTEN | TPMA_NV_WRITELOCKED);
	assert_int_equal(counter_check_public(COUNTER_NV_COUNTER, &c, NULL), 0);
	assert_int_equal(counter_check_public(COUNTER_NV_BASELINE, &b, NULL), 0);
}

static void test_public_refused(void **state)
{
	static const struct {
		TPMA_NV add, remove;
		const char *detail;
	} cases[] = {
		{ TPMA_NV_ORDERLY, 0, "attributes authwrite|nt=0x1|ownerread|authread|no_da|orderly" },
		{ 0, TPMA_NV_NO_DA, "attributes authwrite|nt=0x1|ownerread|authread, expected" },
		{ TPMA_NV_POLICYWRITE, 0, "policywrite" },
		{ TPMA_NV_WRITE_STCLEAR, 0, "write_stclear" },
		{ TPMA_NV_READ_STCLEAR, 0, "read_stclear" },
		{ TPMA_NV_GLOBALLOCK, 0, "globallock" },
		{ TPMA_NV_PLATFORMCREATE | TPMA_NV_PPWRITE, 0, "platformcreate" },
		{ TPMA_NV_POLICY_DELETE, 0, "policy_delete" },
		{ TPMA_NV_OWNERWRITE, TPMA_NV_AUTHWRITE, "ownerwrite|nt=0x1" },
		{ 0, TPMA_NV_TPM2_NT_MASK, "attributes authwrite|ownerread" },
		{ 2u << TPMA_NV_TPM2_NT_SHIFT, TPMA_NV_TPM2_NT_MASK, "nt=0x2" },
		{ 0x00100000, 0, "reserved=0x100000" },
	};

	(void)state;
	for (size_t i = 0; i < GW_ARRAY_SIZE(cases); i++) {
		TPMS_NV_PUBLIC p = nv_pub(COUNTER_NV_COUNTER);

		p.attributes = (p.attributes & ~cases[i].remove) | cases[i].add;
		expect_refused(&p, COUNTER_NV_COUNTER, cases[i].detail);
	}
	{
		TPMS_NV_PUBLIC p = nv_pub(COUNTER_NV_COUNTER);

		p.nameAlg = TPM2_ALG_SHA1;
		expect_refused(&p, COUNTER_NV_COUNTER, "name algorithm 0x0004");
		p = nv_pub(COUNTER_NV_COUNTER);
		p.authPolicy.size = 32;
		expect_refused(&p, COUNTER_NV_COUNTER, "authorization policy");
		p = nv_pub(COUNTER_NV_COUNTER);
		p.dataSize = 4;
		expect_refused(&p, COUNTER_NV_COUNTER, "4 bytes, expected 8");
		/* A counter is not a baseline and the other way round. */
		expect_refused(&p, COUNTER_NV_BASELINE, "not a Gatewarden baseline index");
		p = nv_pub(COUNTER_NV_BASELINE);
		expect_refused(&p, COUNTER_NV_COUNTER, "not a Gatewarden counter index");
		/* A baseline that can be rewritten or is not write-once. */
		p.attributes &= ~TPMA_NV_WRITEDEFINE;
		expect_refused(&p, COUNTER_NV_BASELINE, "expected ownerwrite|writeall|writedefine");
		p = nv_pub(COUNTER_NV_BASELINE);
		p.attributes |= TPMA_NV_AUTHWRITE;
		expect_refused(&p, COUNTER_NV_BASELINE, "ownerwrite|authwrite");
		p = nv_pub(COUNTER_NV_BASELINE);
		p.dataSize = 8;
		expect_refused(&p, COUNTER_NV_BASELINE, "8 bytes, expected 76");
	}
}

static const struct counter_channel stable = { "stable", 0x01800100, 0x01800101 };

static void test_baseline_record(void **state)
{
	uint8_t rec[COUNTER_BASELINE_SIZE], copy[COUNTER_BASELINE_SIZE];
	struct counter_channel longest = { NULL, 0x01bffffe, 0x01bfffff };
	char name[COUNTER_NAME_MAX + 1];
	uint64_t b = 0;

	(void)state;
	counter_baseline_encode(&stable, 0x0102030405060708ull, rec);
	assert_memory_equal(rec, "\x01\x02\x03\x04\x05\x06\x07\x08\x01\x80\x01\x00stable", 18);
	for (size_t i = 18; i < sizeof(rec); i++)
		assert_int_equal(rec[i], 0);
	assert_int_equal(counter_baseline_decode(&stable, rec, sizeof(rec), &b, NULL), 0);
	assert_true(b == 0x0102030405060708ull);

	memset(name, 'n', COUNTER_NAME_MAX);
	name[COUNTER_NAME_MAX] = '\0';
	longest.name = name;
	counter_baseline_encode(&longest, UINT64_MAX, rec);
	assert_int_equal(counter_baseline_decode(&longest, rec, sizeof(rec), &b, NULL), 0);
	assert_true(b == UINT64_MAX);

	counter_baseline_encode(&stable, 7, rec);
	memcpy(copy, rec, sizeof(rec));
	{
		const struct counter_channel prefix = { "stab", 0x01800100, 0x01800101 };
		const struct counter_channel longer = { "stable2", 0x01800100, 0x01800101 };
		const struct counter_channel other = { "stable", 0x01800102, 0x01800101 };
		gw_error err = { { 0 } };

		assert_int_equal(counter_baseline_decode(&prefix, rec, sizeof(rec), &b, &err),
				 GW_E_STATE);
		assert_non_null(strstr(err.msg, "belongs to channel 'stable', not 'stab'"));
		assert_int_equal(counter_baseline_decode(&longer, rec, sizeof(rec), &b, &err),
				 GW_E_STATE);
		assert_int_equal(counter_baseline_decode(&other, rec, sizeof(rec), &b, &err),
				 GW_E_STATE);
		assert_non_null(strstr(err.msg, "belongs to counter 0x01800100, not 0x01800102"));
		assert_int_equal(counter_baseline_decode(&stable, rec, sizeof(rec) - 1, &b, &err),
				 GW_E_STATE);
		assert_non_null(strstr(err.msg, "75 bytes, expected 76"));
		rec[40] = 'x'; /* junk after the name's NUL */
		assert_int_equal(counter_baseline_decode(&stable, rec, sizeof(rec), &b, &err),
				 GW_E_STATE);
		assert_non_null(strstr(err.msg, "not NUL-padded"));
		memcpy(rec, copy, sizeof(rec));
		rec[12] = '\n';
		assert_int_equal(counter_baseline_decode(&stable, rec, sizeof(rec), &b, &err),
				 GW_E_STATE);
		assert_non_null(strstr(err.msg, "byte 0x0a"));
		assert_int_equal(counter_baseline_decode(&stable, rec, sizeof(rec), &b, NULL),
				 GW_E_STATE);
	}
	assert_true(b == UINT64_MAX); /* untouched by every refusal */
}

static int load(const char *path, struct agent_config *cfg, gw_error *err)
{
	agent_config_defaults(cfg);
	return agent_config_load(path, cfg, err);
}

static void test_config_good(void **state)
{
	struct agent_config cfg;
	struct counter_channel ch;
	gw_error err = { { 0 } };
	int rc;

	(void)state;
	rc = load(FIXTURES "/good/two.conf", &cfg, &err);
	if (rc)
		fail_msg("%s", gw_error_msg(&err, rc));
	assert_int_equal(cfg.nchannels, 2);
	assert_string_equal(cfg.model, "gw-1000");
	assert_int_equal(counter_channel_find(&cfg, "beta-2.x_y", &ch, NULL), 0);
	assert_string_equal(ch.name, "beta-2.x_y");
	assert_int_equal(ch.counter_index, 0x01000000);
	assert_int_equal(ch.baseline_index, 0x01bfffff);
	assert_int_equal(counter_channel_find(&cfg, "stable", &ch, NULL), 0);
	assert_int_equal(ch.counter_index, 0x01800100);
	assert_int_equal(ch.baseline_index, 0x01800101);
	assert_int_equal(counter_channel_find(&cfg, "Stable", &ch, &err), GW_E_NOTFOUND);
	assert_non_null(strstr(err.msg, "no [channel Stable]"));
	agent_config_fini(&cfg);
	assert_null(cfg.channels);
	assert_int_equal(cfg.nchannels, 0);

	rc = load(FIXTURES "/good/max-channels.conf", &cfg, &err);
	if (rc)
		fail_msg("%s", gw_error_msg(&err, rc));
	assert_int_equal(cfg.nchannels, AGENT_MAX_CHANNELS);
	assert_string_equal(cfg.channels[15].name, "c15");
	assert_int_equal(cfg.channels[15].baseline_index, 0x0180001f);
	agent_config_fini(&cfg);

	rc = load(FIXTURES "/good/long-name.conf", &cfg, &err);
	if (rc)
		fail_msg("%s", gw_error_msg(&err, rc));
	assert_int_equal(strlen(cfg.channels[0].name), COUNTER_NAME_MAX);
	agent_config_fini(&cfg);

	rc = load(FIXTURES "/good/last-value-wins.conf", &cfg, &err);
	if (rc)
		fail_msg("%s", gw_error_msg(&err, rc));
	assert_int_equal(cfg.channels[0].counter_index, 0x01800100);
	agent_config_fini(&cfg);
}

#define N16 "nnnnnnnnnnnnnnnn"

static const struct bad_case {
	const char *file;
	int line; /* 0: found after the whole file was read, no line */
	const char *detail;
} bad_cases[] = {
	{ "too-many-channels.conf", 49, "[channel c16]: more than 16 channels" },
	{ "name-long.conf", 1, "channel name '" N16 N16 N16 N16 "n'" },
	{ "name-empty.conf", 1, "channel name '': use 1-64 of" },
	{ "name-slash.conf", 2, "channel name 'a/b'" },
	{ "channel-twice.conf", 4, "[channel stable]: channel defined twice" },
	{ "unknown-key.conf", 3, "[channel stable]: unknown key 'index'" },
	{ "index-no-0x.conf", 2, "bad value for 'counter_index': '01800100'" },
	{ "index-not-hex.conf", 2, "bad value for 'counter_index': '0x0180010g'" },
	{ "index-bare-0x.conf", 2, "bad value for 'counter_index': '0x'" },
	{ "index-empty.conf", 2, "bad value for 'counter_index': ''" },
	{ "index-trailing.conf", 2, "bad value for 'counter_index': '0x01800100x'" },
	{ "index-negative.conf", 2, "bad value for 'counter_index': '0x-1800100'" },
	{ "index-plus.conf", 2, "bad value for 'counter_index': '0x+1800100'" },
	{ "index-low.conf", 2, "bad value for 'counter_index': '0x00ffffff'" },
	{ "index-tcg-range.conf", 2, "bad value for 'baseline_index': '0x01c00002'" },
	{ "index-persistent.conf", 2, "bad value for 'baseline_index': '0x81000001'" },
	{ "index-overflow.conf", 2, "(an NV index 0x01000000-0x01bfffff)" },
	{ "baseline-missing.conf", 0, "[channel stable]: baseline_index missing" },
	{ "counter-missing.conf", 0, "[channel stable]: counter_index missing" },
	{ "section-empty.conf", 0, "[channel stable]: counter_index missing" },
	{ "same-handle.conf", 0,
	  "[channel stable]: counter_index 0x01800100 is also baseline_index of [channel stable]" },
	{ "shared-handle.conf", 0,
	  "[channel stable]: counter_index 0x01800100 is also baseline_index of [channel beta]" },
};

static void test_config_bad(void **state)
{
	(void)state;
	for (size_t i = 0; i < GW_ARRAY_SIZE(bad_cases); i++) {
		const struct bad_case *c = &bad_cases[i];
		struct agent_config cfg;
		gw_error err = { { 0 } };
		char path[256], where[256];
		int rc;

		assert_true(snprintf(path, sizeof(path), FIXTURES "/bad/%s", c->file) <
			    (int)sizeof(path));
		if (c->line)
			assert_true(snprintf(where, sizeof(where), "%s:%d: ", path, c->line) <
				    (int)sizeof(where));
		else
			assert_true(snprintf(where, sizeof(where), "%s: ", path) <
				    (int)sizeof(where));
		rc = load(path, &cfg, &err);
		agent_config_fini(&cfg);
		if (rc != GW_E_CONFIG)
			fail_msg("%s: got %d (%s), expected GW_E_CONFIG", c->file, rc,
				 gw_error_msg(&err, rc));
		if (strncmp(err.msg, where, strlen(where)))
			fail_msg("%s: detail \"%s\" does not start with \"%s\"", c->file, err.msg,
				 where);
		if (!strstr(err.msg, c->detail))
			fail_msg("%s: detail \"%s\" lacks \"%s\"", c->file, err.msg, c->detail);
		rc = load(path, &cfg, NULL);
		agent_config_fini(&cfg);
		assert_int_equal(rc, GW_E_CONFIG);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_attributes),
		cmocka_unit_test(test_public_ok),
		cmocka_unit_test(test_public_refused),
		cmocka_unit_test(test_baseline_record),
		cmocka_unit_test(test_config_good),
		cmocka_unit_test(test_config_bad),
	};

	return cmocka_run_group_tests_name("counter", tests, NULL, NULL);
}
