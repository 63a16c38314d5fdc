// SPDX-License-Identifier: Apache-2.0
// Unit tests for the CEL-JSON event log: parser, formatter, replay and torn tails.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "cel.h"
#include "digest.h"
#include "util.h"

#define FIXTURES "common/tests/fixtures/cel"
#define READ_CAP (1u * 1024 * 1024)

static void read_path(const char *dir, const char *name, uint8_t **buf, size_t *len)
{
	char path[1024];
	gw_error err = { { 0 } };
	int rc;

	assert_int_equal(gw_snprintf(path, sizeof(path), "%s/%s", dir, name), 0);
	rc = gw_read_file(path, READ_CAP, buf, len, &err);
	if (rc)
		fail_msg("reading %s: %s", path, gw_error_msg(&err, rc));
}

static struct cel_log *parse_ok(const uint8_t *buf, size_t len, const char *what)
{
	struct cel_log *log = NULL;
	gw_error err = { { 0 } };
	int rc = cel_parse(buf, len, &log, &err);

	if (rc)
		fail_msg("%s: %s", what, gw_error_msg(&err, rc));
	assert_non_null(log);
	return log;
}

static struct cel_log *parse_file(const char *name, uint8_t **raw, size_t *raw_len)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	struct cel_log *log;

	read_path(FIXTURES "/good", name, &buf, &len);
	log = parse_ok(buf, len, name);
	if (raw) {
		*raw = buf;
		*raw_len = len;
	} else {
		free(buf);
	}
	return log;
}

/* Lines "bank pcr hex" of expected/NAME.pcrs. With add, a bank is created in set
 * for every bank listed; otherwise the listed PCRs are compared with set, and no
 * other PCR may have been extended. */
static void expected_pcrs(const char *name, struct gw_pcr_set *set, bool add)
{
	char file[512];
	uint8_t *text = NULL;
	size_t len = 0;
	uint32_t listed[GW_MAX_BANKS] = { 0 };
	char *line, *next;

	assert_int_equal(gw_snprintf(file, sizeof(file), "%s.pcrs", name), 0);
	read_path(FIXTURES "/expected", file, &text, &len);
	for (line = (char *)text; line && *line; line = next) {
		char *pcr_s, *hex_s;
		const struct gw_alg *a;
		const struct gw_pcr_bank *b;
		char got[2 * GW_MAX_DIGEST + 1];
		uint64_t pcr;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (*line == '#' || *line == '\0')
			continue;
		pcr_s = strchr(line, ' ');
		assert_non_null(pcr_s);
		*pcr_s++ = '\0';
		hex_s = strchr(pcr_s, ' ');
		assert_non_null(hex_s);
		*hex_s++ = '\0';
		a = gw_alg_by_name(line);
		assert_non_null(a);
		assert_int_equal(gw_parse_u64(pcr_s, GW_NUM_PCRS - 1, &pcr), 0);
		if (add) {
			assert_non_null(gw_pcr_set_bank(set, a->id));
			continue;
		}
		b = gw_pcr_set_find(set, a->id);
		if (!b)
			fail_msg("%s: no %s bank after replay", name, line);
		gw_hex_encode(b->pcr[pcr], b->size, got);
		if (strcmp(got, hex_s))
			fail_msg("%s: %s PCR %u is %s, expected %s", name, line, (unsigned)pcr, got,
				 hex_s);
		listed[b - set->bank] |= 1u << pcr;
	}
	if (!add)
		for (size_t i = 0; i < set->nbanks; i++)
			if (set->bank[i].touched & ~listed[i])
				fail_msg("%s: bank 0x%04x extends PCRs 0x%x not in the expected file",
					 name, set->bank[i].alg, set->bank[i].touched & ~listed[i]);
	free(text);
}

static const char *const good_fixtures[] = {
	"agent-basic.cel",
	"agent-four-banks.cel",
	"systemd-tpm2-measure.log",
};

static void test_empty(void **state)
{
	struct cel_log *log = NULL;
	struct gw_pcr_set pcrs = { 0 };
	gw_error err = { { 0 } };
	json_object *j = NULL;

	(void)state;
	log = parse_ok((const uint8_t *)"", 0, "empty");
	assert_int_equal(log->n, 0);
	assert_non_null(gw_pcr_set_bank(&pcrs, TPM2_ALG_SHA256));
	assert_int_equal(cel_replay(log, &pcrs, &err), 0);
	assert_int_equal(pcrs.bank[0].touched, 0);
	assert_int_equal(cel_records_json(log, &j), 0);
	assert_int_equal(json_object_array_length(j), 0);
	json_object_put(j);
	cel_free(log);
	log = parse_ok(NULL, 0, "NULL, 0");
	cel_free(log);
	cel_free(NULL);
	assert_int_equal(cel_complete_prefix(NULL, 0), 0);
	assert_int_equal(cel_parse(NULL, 1, &log, NULL), GW_E_INVAL);
}

/* Replay of every good fixture equals the values hashlib computed. */
static void test_good_replay(void **state)
{
	(void)state;
	for (size_t i = 0; i < GW_ARRAY_SIZE(good_fixtures); i++) {
		struct gw_pcr_set pcrs = { 0 };
		gw_error err = { { 0 } };
		struct cel_log *log = parse_file(good_fixtures[i], NULL, NULL);
		int rc;

		expected_pcrs(good_fixtures[i], &pcrs, true);
		rc = cel_replay(log, &pcrs, &err);
		if (rc)
			fail_msg("%s: %s", good_fixtures[i], gw_error_msg(&err, rc));
		expected_pcrs(good_fixtures[i], &pcrs, false);
		cel_free(log);
	}
}

/* Digests for banks the PCR set lacks are ignored; every bank it has is checked. */
static void test_replay_bank_subset(void **state)
{
	struct gw_pcr_set pcrs = { 0 }, only256 = { 0 };
	gw_error err = { { 0 } };
	struct cel_log *log = parse_file("agent-four-banks.cel", NULL, NULL);

	(void)state;
	expected_pcrs("agent-four-banks.cel", &pcrs, true);
	assert_int_equal(cel_replay(log, &pcrs, &err), 0);
	assert_non_null(gw_pcr_set_bank(&only256, TPM2_ALG_SHA256));
	assert_int_equal(cel_replay(log, &only256, &err), 0);
	assert_memory_equal(only256.bank[0].pcr, gw_pcr_set_find(&pcrs, TPM2_ALG_SHA256)->pcr,
			    sizeof(only256.bank[0].pcr));
	cel_free(log);
}

static void test_extend_missing_bank(void **state)
{
	struct gw_pcr_set pcrs = { 0 }, before;
	gw_error err = { { 0 } };
	struct cel_log *log = parse_file("agent-basic.cel", NULL, NULL);
	int rc;

	(void)state;
	assert_non_null(gw_pcr_set_bank(&pcrs, TPM2_ALG_SHA256));
	assert_non_null(gw_pcr_set_bank(&pcrs, TPM2_ALG_SHA384));
	before = pcrs;
	rc = cel_record_extend(&log->rec[2], &pcrs, &err);
	assert_int_equal(rc, GW_E_CEL);
	assert_string_equal(err.msg,
			    "record 2 (stage rootfs: /boot/rootfs.img) has no sha384 digest");
	/* Nothing extended: the sha256 bank comes first but is checked, not touched. */
	assert_memory_equal(&before, &pcrs, sizeof(pcrs));
	rc = cel_replay(log, &pcrs, &err);
	assert_int_equal(rc, GW_E_CEL);
	assert_non_null(strstr(err.msg, "record 0 ("));
	cel_free(log);
}

static void test_agent_fields(void **state)
{
	uint8_t *raw = NULL;
	size_t raw_len = 0, end = 0;
	struct cel_log *log = parse_file("agent-basic.cel", &raw, &raw_len);
	const struct cel_record *r;
	uint8_t want[GW_MAX_DIGEST];

	(void)state;
	assert_int_equal(log->n, 6);
	for (size_t i = 0; i < log->n; i++) {
		r = &log->rec[i];
		assert_int_equal(r->recnum, i);
		assert_int_equal(r->offset, end);
		assert_int_equal(raw[r->offset], 0x1e);
		assert_int_equal(raw[r->offset + r->len - 1], '\n');
		assert_string_equal(r->content_type, "gatewarden");
		assert_non_null(r->content);
		assert_int_equal(r->ndigests, 2);
		assert_int_equal(r->digests[0].alg, TPM2_ALG_SHA1);
		assert_int_equal(r->digests[1].alg, TPM2_ALG_SHA256);
		end += r->len;
	}
	assert_int_equal(end, raw_len);
	r = &log->rec[2];
	assert_int_equal(r->pcr, 13);
	assert_string_equal(r->event_type, "stage");
	assert_string_equal(r->stage, "rootfs");
	assert_string_equal(r->path, "/boot/rootfs.img");
	assert_string_equal(r->string, "stage rootfs: /boot/rootfs.img");
	assert_int_equal(gw_hash(TPM2_ALG_SHA256, "rootfs image", 12, want), 0);
	assert_memory_equal(r->digests[1].d, want, 32);
	assert_int_equal(log->rec[0].pcr, 14);
	assert_null(log->rec[5].stage);
	assert_null(log->rec[5].path);
	assert_string_equal(log->rec[5].event_type, "update-staged");
	cel_free(log);
	free(raw);
}

static void test_systemd_log(void **state)
{
	struct cel_log *log = parse_file("systemd-tpm2-measure.log", NULL, NULL);
	static const char *const strings[] = { "enter-initrd", NULL, NULL, "leave-initrd",
					       "sysinit", "ready" };
	json_object *boot = NULL;

	(void)state;
	assert_int_equal(log->n, 6);
	for (size_t i = 0; i < log->n; i++) {
		const struct cel_record *r = &log->rec[i];

		assert_int_equal(r->recnum, i); /* no recnum in the file: the index */
		assert_string_equal(r->content_type, "systemd");
		assert_non_null(r->string);
		if (strings[i]) {
			assert_string_equal(r->string, strings[i]);
			assert_string_equal(r->event_type, "phase");
			assert_int_equal(r->pcr, 11);
		}
		assert_null(r->stage);
		assert_null(r->path);
	}
	assert_string_equal(log->rec[1].event_type, "machine-id");
	assert_int_equal(log->rec[1].pcr, 15);
	assert_true(json_object_object_get_ex(log->rec[0].content, "bootId", &boot));
	assert_string_equal(json_object_get_string(boot), "4c8f2f1d9b0e4a7c8e3b5d6a7f1e2c3d");
	cel_free(log);
}

struct bad_case {
	const char *file;
	int code;
	const char *detail; /* substring of the detail */
};

static const struct bad_case bad_cases[] = {
	{ "truncated-record.cel", GW_E_TRUNCATED,
	  "record 1 at offset 376: incomplete JSON at the end of the log (torn record)" },
	{ "truncated-no-lf.cel", GW_E_TRUNCATED,
	  "record 1 at offset 376: no line feed at the end of the log (torn record)" },
	{ "missing-rs-first.cel", GW_E_PARSE,
	  "record 0 at offset 0: does not start with the record separator 0x1e (found 0x7b)" },
	{ "missing-rs.cel", GW_E_TRAILING,
	  "record 0 at offset 0: data after the JSON text at offset 376 (a record without "
	  "its 0x1e separator?)" },
	{ "missing-lf.cel", GW_E_PARSE, "record 0 at offset 0: no line feed before the next record" },
	{ "trailing-json.cel", GW_E_TRAILING,
	  "record 0 at offset 0: data after the JSON text at offset 376" },
	{ "garbage-between.cel", GW_E_TRAILING,
	  "record 0 at offset 0: data after the JSON text at offset 376" },
	{ "bad-json.cel", GW_E_PARSE, "record 1 at offset 376: bad JSON near offset" },
	{ "pcr-string.cel", GW_E_PARSE, "record 0 at offset 0: pcr is not an integer" },
	{ "pcr-float.cel", GW_E_PARSE, "pcr is not an integer" },
	{ "pcr-negative.cel", GW_E_PARSE, "pcr -1 out of range 0-23" },
	{ "pcr-out-of-range.cel", GW_E_PARSE, "record 0 at offset 0: pcr 24 out of range 0-23" },
	{ "pcr-huge.cel", GW_E_PARSE, "pcr 9223372036854775807 out of range 0-23" },
	{ "pcr-missing.cel", GW_E_PARSE, "record 0 at offset 0: no pcr" },
	{ "digest-not-hex.cel", GW_E_PARSE, "digest 1 (sha256) is not hex" },
	{ "digest-wrong-length.cel", GW_E_PARSE, "digest 1 (sha256) has 62 hex digits, not 64" },
	{ "digest-0x-prefix.cel", GW_E_PARSE, "digest 0 (sha1) is not hex" },
	{ "digest-number.cel", GW_E_PARSE, "digest 0 (sha1) is not a string" },
	{ "digest-extra-key.cel", GW_E_PARSE, "digest 0: unknown key \"extra\"" },
	{ "digest-not-object.cel", GW_E_PARSE, "digest 0 is not an object" },
	{ "digests-not-array.cel", GW_E_PARSE, "digests is not an array" },
	{ "digests-missing.cel", GW_E_PARSE, "no digests" },
	{ "empty-digests.cel", GW_E_PARSE, "record 0 at offset 0: digests is empty" },
	{ "too-many-digests.cel", GW_E_PARSE, "6 digests, more than the 5 algorithms we know" },
	{ "unknown-hashalg.cel", GW_E_PARSE, "digest 0: unknown hashAlg \"md5\"" },
	{ "hashalg-nul.cel", GW_E_PARSE, "a string contains \\u0000 (NUL)" },
	{ "duplicate-hashalg.cel", GW_E_PARSE, "digest 2: hashAlg sha256 appears twice" },
	{ "recnum-out-of-order.cel", GW_E_PARSE,
	  "record 1 at offset 376: recnum 2 but this is record 1" },
	{ "recnum-negative.cel", GW_E_PARSE, "recnum -1 but this is record 0" },
	{ "recnum-string.cel", GW_E_PARSE, "recnum is not an integer" },
	{ "unknown-key.cel", GW_E_PARSE, "unknown key \"nv_index\"" },
	{ "duplicate-pcr.cel", GW_E_PARSE, "record 0 at offset 0: a key appears twice in one object" },
	{ "single-quoted-key.cel", GW_E_PARSE, "not valid JSON: a single-quoted name" },
	{ "content-not-object.cel", GW_E_PARSE, "content is not an object" },
	{ "content-type-number.cel", GW_E_PARSE, "content_type is not a string" },
	{ "content-stage-number.cel", GW_E_PARSE, "content.stage is not a string" },
	{ "content-nul.cel", GW_E_PARSE, "a string contains \\u0000 (NUL)" },
	{ "content-nan.cel", GW_E_PARSE, "content holds a number that is not finite" },
	{ "not-an-object.cel", GW_E_PARSE, "record 0 at offset 0: not a JSON object" },
	{ "empty-record.cel", GW_E_PARSE, "record 1 at offset 376: empty record" },
	{ "nul-byte.cel", GW_E_PARSE, "record 1 at offset 376: NUL byte at offset" },
	{ "invalid-utf8.cel", GW_E_PARSE, "invalid utf-8" },
	{ "oversized-record.cel", GW_E_TOOBIG,
	  "record 1 at offset 376: 70289 bytes, over the record cap of 65536 bytes" },
	{ "deeply-nested.cel", GW_E_PARSE,
	  "record 0 at offset 0: JSON nested deeper than 16 levels" },
};

static void test_bad_fixtures(void **state)
{
	(void)state;
	for (size_t i = 0; i < GW_ARRAY_SIZE(bad_cases); i++) {
		const struct bad_case *c = &bad_cases[i];
		struct cel_log *log = NULL;
		gw_error err = { { 0 } };
		uint8_t *buf = NULL;
		size_t len = 0;
		int rc;

		read_path(FIXTURES "/bad", c->file, &buf, &len);
		rc = cel_parse(buf, len, &log, &err);
		if (rc != c->code)
			fail_msg("%s: got %d (%s), expected %d", c->file, rc,
				 gw_error_msg(&err, rc), c->code);
		if (!strstr(err.msg, c->detail))
			fail_msg("%s: detail \"%s\" lacks \"%s\"", c->file, err.msg, c->detail);
		assert_null(log);
		free(buf);
	}
}

static const uint16_t two_algs[] = { TPM2_ALG_SHA1, TPM2_ALG_SHA256 };

static void two_digests(const char *data, uint8_t d[2][GW_MAX_DIGEST])
{
	memset(d, 0, 2 * GW_MAX_DIGEST);
	assert_int_equal(gw_hash(TPM2_ALG_SHA1, data, strlen(data), d[0]), 0);
	assert_int_equal(gw_hash(TPM2_ALG_SHA256, data, strlen(data), d[1]), 0);
}

/* The exact bytes, as the design and systemd write them. */
static void test_format_exact(void **state)
{
	uint8_t d[2][GW_MAX_DIGEST];
	char *out = NULL;
	size_t len = 0;
	const char *want =
		"\x1e{\"recnum\":0,\"pcr\":13,\"digests\":["
		"{\"hashAlg\":\"sha1\",\"digest\":\"942e51391a230f6f157f824f246da2cf508b9aa9\"},"
		"{\"hashAlg\":\"sha256\",\"digest\":"
		"\"d950df3829b29cb457c60d44ba03a3ca5723974ed8eb4e049c5e66134717af25\"}],"
		"\"content_type\":\"gatewarden\",\"content\":{\"eventType\":\"stage\","
		"\"stage\":\"rootfs\",\"path\":\"/boot/rootfs.img\","
		"\"string\":\"stage rootfs: /boot/rootfs.img\"}}\n";
	char hex[2 * GW_MAX_DIGEST + 1];

	(void)state;
	two_digests("rootfs image", d);
	assert_int_equal(cel_record_format(0, 13, two_algs, (const uint8_t(*)[GW_MAX_DIGEST])d,
					   2, "stage", "rootfs", "/boot/rootfs.img",
					   "stage rootfs: /boot/rootfs.img", &out, &len),
			 0);
	/* The digests above are those of "rootfs image"; check them independently. */
	gw_hex_encode(d[1], 32, hex);
	assert_non_null(strstr(want, hex));
	gw_hex_encode(d[0], 20, hex);
	assert_non_null(strstr(want, hex));
	assert_int_equal(len, strlen(want));
	assert_string_equal(out, want);
	free(out);
}

static void test_roundtrip(void **state)
{
	static const struct {
		uint32_t pcr;
		const char *type, *stage, *path, *string;
	} recs[] = {
		{ 14, "trust-root", NULL, "/var/lib/gatewarden/trust-root.json", "trust root" },
		{ 13, "stage", "rootfs", "/boot/rootfs.img", "stage rootfs: /boot/rootfs.img" },
		{ 13, "stage", "app", "/opt/ä/ünïcode \"quoted\" \\ back\tslash\x01", NULL },
		{ 0, NULL, NULL, NULL, NULL },
		{ 23, "x", "", "", "" },
	};
	uint8_t buf[8192];
	size_t used = 0;
	struct cel_log *log;

	(void)state;
	for (size_t i = 0; i < GW_ARRAY_SIZE(recs); i++) {
		uint8_t d[2][GW_MAX_DIGEST];
		char *out = NULL;
		size_t len = 0;

		two_digests(recs[i].type ? recs[i].type : "none", d);
		assert_int_equal(cel_record_format(i, recs[i].pcr, two_algs,
						   (const uint8_t(*)[GW_MAX_DIGEST])d, 2,
						   recs[i].type, recs[i].stage, recs[i].path,
						   recs[i].string, &out, &len),
				 0);
		assert_int_equal(strlen(out), len);
		assert_true(used + len <= sizeof(buf));
		memcpy(buf + used, out, len);
		used += len;
		assert_int_equal(cel_complete_prefix(buf, used), used);
		free(out);
	}
	log = parse_ok(buf, used, "round trip");
	assert_int_equal(log->n, GW_ARRAY_SIZE(recs));
	for (size_t i = 0; i < log->n; i++) {
		const struct cel_record *r = &log->rec[i];
		uint8_t d[2][GW_MAX_DIGEST];

		two_digests(recs[i].type ? recs[i].type : "none", d);
		assert_int_equal(r->recnum, i);
		assert_int_equal(r->pcr, recs[i].pcr);
		assert_int_equal(r->ndigests, 2);
		assert_int_equal(r->digests[0].alg, TPM2_ALG_SHA1);
		assert_memory_equal(r->digests[0].d, d[0], 20);
		assert_int_equal(r->digests[1].alg, TPM2_ALG_SHA256);
		assert_memory_equal(r->digests[1].d, d[1], 32);
		assert_string_equal(r->content_type, "gatewarden");
		assert_non_null(r->content);
#define SAME(field, want)                                   \
	do {                                                \
		if (want)                                   \
			assert_string_equal(r->field, want); \
		else                                        \
			assert_null(r->field);              \
	} while (0)
		SAME(event_type, recs[i].type);
		SAME(stage, recs[i].stage);
		SAME(path, recs[i].path);
		SAME(string, recs[i].string);
#undef SAME
	}
	cel_free(log);
}

static void test_format_invalid(void **state)
{
	uint8_t d[GW_MAX_BANKS + 1][GW_MAX_DIGEST] = { { 0 } };
	const uint8_t(*cd)[GW_MAX_DIGEST] = (const uint8_t(*)[GW_MAX_DIGEST])d;
	uint16_t six[] = { TPM2_ALG_SHA1,   TPM2_ALG_SHA256,  TPM2_ALG_SHA384,
			   TPM2_ALG_SHA512, TPM2_ALG_SM3_256, TPM2_ALG_SHA1 };
	uint16_t dup[] = { TPM2_ALG_SHA256, TPM2_ALG_SHA256 };
	uint16_t unknown[] = { 0x0099 };
	char *out = NULL;
	size_t len = 0;
	char *big;

	(void)state;
	assert_int_equal(cel_record_format(0, 24, two_algs, cd, 2, NULL, NULL, NULL, NULL, &out,
					   &len),
			 GW_E_INVAL);
	assert_int_equal(cel_record_format(0, 1, two_algs, cd, 0, NULL, NULL, NULL, NULL, &out,
					   &len),
			 GW_E_INVAL);
	assert_int_equal(cel_record_format(0, 1, six, cd, 6, NULL, NULL, NULL, NULL, &out, &len),
			 GW_E_INVAL);
	assert_int_equal(cel_record_format(0, 1, dup, cd, 2, NULL, NULL, NULL, NULL, &out, &len),
			 GW_E_INVAL);
	assert_int_equal(cel_record_format(0, 1, unknown, cd, 1, NULL, NULL, NULL, NULL, &out,
					   &len),
			 GW_E_INVAL);
	assert_int_equal(cel_record_format((uint64_t)INT64_MAX + 1, 1, two_algs, cd, 2, NULL,
					   NULL, NULL, NULL, &out, &len),
			 GW_E_INVAL);
	assert_int_equal(cel_record_format(0, 1, two_algs, cd, 2, "stage", "x", "/bad\xff", NULL,
					   &out, &len),
			 GW_E_INVAL);
	assert_int_equal(cel_record_format(0, 1, two_algs, cd, 2, "stage", "\xc0\xaf", NULL,
					   NULL, &out, &len),
			 GW_E_INVAL); /* overlong '/' */
	assert_int_equal(cel_record_format(0, 1, two_algs, cd, 2, "\xed\xa0\x80", NULL, NULL,
					   NULL, &out, &len),
			 GW_E_INVAL); /* surrogate */
	assert_int_equal(cel_record_format(0, 1, two_algs, cd, 2, NULL, NULL, NULL, NULL, NULL,
					   &len),
			 GW_E_INVAL);
	big = malloc(CEL_MAX_RECORD);
	assert_non_null(big);
	memset(big, 'A', CEL_MAX_RECORD - 1);
	big[CEL_MAX_RECORD - 1] = '\0';
	assert_int_equal(cel_record_format(0, 1, two_algs, cd, 2, NULL, NULL, NULL, big, &out,
					   &len),
			 GW_E_TOOBIG);
	free(big);
	assert_null(out);
	/* All five known banks at once is fine. */
	assert_int_equal(cel_record_format(0, 1, six, cd, 5, NULL, NULL, NULL, NULL, &out, &len),
			 0);
	free(out);
}

static size_t record_end_before(const struct cel_log *log, size_t cut)
{
	size_t end = 0;

	for (size_t i = 0; i < log->n; i++)
		if (log->rec[i].offset + log->rec[i].len <= cut)
			end = log->rec[i].offset + log->rec[i].len;
	return end;
}

/* A log cut at every byte: the torn tail is found, and parsing the cut log says
 * TRUNCATED unless the cut falls on a record boundary. */
static void test_torn_every_byte(void **state)
{
	(void)state;
	for (size_t f = 0; f < GW_ARRAY_SIZE(good_fixtures); f++) {
		uint8_t *raw = NULL;
		size_t len = 0;
		struct cel_log *full = parse_file(good_fixtures[f], &raw, &len);

		for (size_t cut = 0; cut <= len; cut++) {
			size_t want = record_end_before(full, cut);
			size_t keep = cel_complete_prefix(raw, cut);
			struct cel_log *log = NULL;
			gw_error err = { { 0 } };
			int rc;

			if (keep != want)
				fail_msg("%s cut at %zu: complete prefix %zu, expected %zu",
					 good_fixtures[f], cut, keep, want);
			rc = cel_parse(raw, cut, &log, &err);
			if (cut == want) {
				assert_int_equal(rc, 0);
				cel_free(log);
			} else if (rc != GW_E_TRUNCATED) {
				fail_msg("%s cut at %zu: got %d (%s)", good_fixtures[f], cut, rc,
					 err.msg);
			}
		}
		cel_free(full);
		free(raw);
	}
}

/* Only a torn last record is cut: damage elsewhere is left to cel_parse. */
static void test_complete_prefix_damage(void **state)
{
	static const struct {
		const char *file;
		size_t keep; /* SIZE_MAX: the whole input */
	} cases[] = {
		{ "truncated-record.cel", 376 },
		{ "truncated-no-lf.cel", 376 },
		{ "missing-lf.cel", SIZE_MAX },
		{ "garbage-between.cel", SIZE_MAX },
		{ "missing-rs-first.cel", SIZE_MAX },
		{ "bad-json.cel", SIZE_MAX },
		{ "oversized-record.cel", SIZE_MAX },
		{ "deeply-nested.cel", SIZE_MAX },
		{ "recnum-out-of-order.cel", SIZE_MAX },
	};
	static const struct {
		const char *data;
		size_t keep;
	} inline_cases[] = {
		{ "\x1e", 0 },
		{ "\x1e\n", 0 },
		{ "\x1e{\"pcr\":1}", 0 },
		{ "\x1e{\"pcr\":1}  ", 0 },
		{ "\x1e{\"pcr\":1}\n", 11 },
		{ "\x1e{\"pcr\":1}\n\x1e{\"pc", 11 },
		{ "\x1e{\"pcr\":1}\nxyz", 14 }, /* trailing garbage is damage, not a tear */
		{ "\x1e{\"pcr\":1}\n\x1e]", 13 },
		{ "no separator at all", 19 },
	};

	(void)state;
	for (size_t i = 0; i < GW_ARRAY_SIZE(cases); i++) {
		uint8_t *buf = NULL;
		size_t len = 0, keep;

		read_path(FIXTURES "/bad", cases[i].file, &buf, &len);
		keep = cel_complete_prefix(buf, len);
		if (keep != (cases[i].keep == SIZE_MAX ? len : cases[i].keep))
			fail_msg("%s: complete prefix %zu of %zu", cases[i].file, keep, len);
		free(buf);
	}
	for (size_t i = 0; i < GW_ARRAY_SIZE(inline_cases); i++) {
		const char *s = inline_cases[i].data;

		if (cel_complete_prefix((const uint8_t *)s, strlen(s)) != inline_cases[i].keep)
			fail_msg("case %zu: complete prefix %zu, expected %zu", i,
				 cel_complete_prefix((const uint8_t *)s, strlen(s)),
				 inline_cases[i].keep);
	}
}

static void test_describe(void **state)
{
	struct cel_record r = { 0 };
	char buf[300];
	char longs[400];

	(void)state;
	r.recnum = 3;
	cel_record_describe(&r, buf, sizeof(buf));
	assert_string_equal(buf, "record 3");
	r.event_type = "update-committed";
	cel_record_describe(&r, buf, sizeof(buf));
	assert_string_equal(buf, "record 3 (update-committed)");
	r.path = "/etc/x";
	cel_record_describe(&r, buf, sizeof(buf));
	assert_string_equal(buf, "record 3 (/etc/x)");
	r.stage = "rootfs";
	r.path = "/boot/rootfs.img";
	cel_record_describe(&r, buf, sizeof(buf));
	assert_string_equal(buf, "record 3 (stage rootfs: /boot/rootfs.img)");
	r.path = NULL;
	cel_record_describe(&r, buf, sizeof(buf));
	assert_string_equal(buf, "record 3 (stage rootfs)");
	r.string = "";
	cel_record_describe(&r, buf, sizeof(buf));
	assert_string_equal(buf, "record 3 (stage rootfs)");
	/* Hostile: control characters, escape sequences, non-ASCII, length. */
	r.string = "evil\n\x1b[31mred\r\x7f\xc3\xa4";
	cel_record_describe(&r, buf, sizeof(buf));
	assert_string_equal(buf, "record 3 (evil??[31mred???" "?)");
	memset(longs, 'x', sizeof(longs) - 1);
	longs[sizeof(longs) - 1] = '\0';
	r.string = longs;
	cel_record_describe(&r, buf, sizeof(buf));
	assert_true(strlen(buf) < 220);
	assert_non_null(strstr(buf, "xxx...)"));
	/* Short buffers are cut, always terminated. */
	cel_record_describe(&r, buf, 5);
	assert_string_equal(buf, "reco");
	cel_record_describe(&r, buf, 1);
	assert_string_equal(buf, "");
	cel_record_describe(&r, NULL, 0);
	cel_record_describe(NULL, buf, sizeof(buf));
	assert_string_equal(buf, "record ?");
}

static void test_records_json(void **state)
{
	struct cel_log *log = parse_file("agent-basic.cel", NULL, NULL);
	json_object *arr = NULL, *o, *v, *dg;

	(void)state;
	assert_int_equal(cel_records_json(log, &arr), 0);
	assert_int_equal(json_object_array_length(arr), log->n);
	o = json_object_array_get_idx(arr, 2);
	assert_true(json_object_object_get_ex(o, "recnum", &v));
	assert_int_equal(json_object_get_int64(v), 2);
	assert_true(json_object_object_get_ex(o, "pcr", &v));
	assert_int_equal(json_object_get_int64(v), 13);
	assert_true(json_object_object_get_ex(o, "offset", &v));
	assert_int_equal(json_object_get_int64(v), (int64_t)log->rec[2].offset);
	assert_true(json_object_object_get_ex(o, "digests", &dg));
	assert_true(json_object_object_get_ex(dg, "sha256", &v));
	assert_int_equal(json_object_get_string_len(v), 64);
	assert_true(json_object_object_get_ex(o, "content_type", &v));
	assert_string_equal(json_object_get_string(v), "gatewarden");
	assert_true(json_object_object_get_ex(o, "content", &v));
	assert_true(json_object_object_get_ex(v, "stage", &v));
	assert_string_equal(json_object_get_string(v), "rootfs");
	assert_true(json_object_object_get_ex(o, "description", &v));
	assert_string_equal(json_object_get_string(v), "record 2 (stage rootfs: /boot/rootfs.img)");
	/* The array holds its own references: it outlives the log. */
	cel_free(log);
	assert_non_null(json_object_to_json_string(arr));
	json_object_put(arr);
	assert_int_equal(cel_records_json(NULL, &arr), GW_E_INVAL);
}

/* Build n minimal records (recnum i) into a new buffer. */
static uint8_t *many_records(size_t n, size_t *len)
{
	static const char digest[] = "0123456789abcdef0123456789abcdef01234567";
	size_t cap = n * 128 + 1, used = 0;
	uint8_t *buf = malloc(cap);

	assert_non_null(buf);
	for (size_t i = 0; i < n; i++) {
		int w = snprintf((char *)buf + used, cap - used,
				 "\x1e{\"recnum\":%zu,\"pcr\":0,\"digests\":[{\"hashAlg\":\"sha1\","
				 "\"digest\":\"%s\"}]}\n",
				 i, digest);

		assert_true(w > 0 && (size_t)w < cap - used);
		used += (size_t)w;
	}
	*len = used;
	return buf;
}

static void test_caps(void **state)
{
	struct cel_log *log = NULL;
	gw_error err = { { 0 } };
	uint8_t *buf;
	size_t len = 0;
	int rc;

	(void)state;
	buf = many_records(CEL_MAX_RECORDS + 1, &len);
	assert_true(len <= CEL_MAX_LOG);
	rc = cel_parse(buf, len, &log, &err);
	assert_int_equal(rc, GW_E_TOOBIG);
	assert_non_null(strstr(err.msg, "record 100000 at offset"));
	assert_non_null(strstr(err.msg, "more than 100000 records"));
	free(buf);
	/* Exactly at the cap is fine. */
	buf = many_records(CEL_MAX_RECORDS, &len);
	log = parse_ok(buf, len, "max records");
	assert_int_equal(log->n, CEL_MAX_RECORDS);
	cel_free(log);
	free(buf);

	buf = calloc(1, (size_t)CEL_MAX_LOG + 1);
	assert_non_null(buf);
	log = NULL;
	rc = cel_parse(buf, (size_t)CEL_MAX_LOG + 1, &log, &err);
	assert_int_equal(rc, GW_E_TOOBIG);
	assert_string_equal(err.msg, "event log of 16777217 bytes, over the cap of 16777216 bytes");
	assert_null(log);
	free(buf);
}

/* Whitespace is allowed inside and after the JSON text (RFC 7464 JSON texts may be
 * pretty-printed); the record still ends with the LF before the next RS. */
static void test_whitespace(void **state)
{
	const char *s = "\x1e {\n \"pcr\" : 1,\r\n \"digests\" : [ { \"hashAlg\" : \"sha1\" , "
			"\"digest\" : \"0123456789ABCDEF0123456789abcdef01234567\" } ]\n}\t \n"
			"\x1e{\"pcr\":2,\"digests\":[{\"hashAlg\":\"sha1\",\"digest\":"
			"\"0123456789abcdef0123456789abcdef01234567\"}]}\n";
	struct cel_log *log = parse_ok((const uint8_t *)s, strlen(s), "whitespace");

	(void)state;
	assert_int_equal(log->n, 2);
	assert_int_equal(log->rec[0].pcr, 1);
	assert_int_equal(log->rec[0].digests[0].d[7], 0xef);
	assert_null(log->rec[0].content);
	assert_null(log->rec[0].content_type);
	assert_int_equal(log->rec[1].offset, log->rec[0].len);
	assert_int_equal(cel_complete_prefix((const uint8_t *)s, strlen(s)), strlen(s));
	cel_free(log);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_good_replay),
		cmocka_unit_test(test_replay_bank_subset),
		cmocka_unit_test(test_extend_missing_bank),
		cmocka_unit_test(test_agent_fields),
		cmocka_unit_test(test_systemd_log),
		cmocka_unit_test(test_bad_fixtures),
		cmocka_unit_test(test_format_exact),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_format_invalid),
		cmocka_unit_test(test_torn_every_byte),
		cmocka_unit_test(test_complete_prefix_damage),
		cmocka_unit_test(test_describe),
		cmocka_unit_test(test_records_json),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_whitespace),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
