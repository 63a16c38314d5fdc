// SPDX-License-Identifier: Apache-2.0
// Unit tests for the bundle manifest: the committed good and bad documents (each
// bad one with its code and the words it must name), the canonical form, digests.
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "manifest.h"
#include "util.h"
#include "fixture_list.h"

#define DIR_ "common/tests/fixtures/bundle/manifest"

static uint8_t *load(const char *dir, const char *name, size_t *len)
{
	char path[256];
	uint8_t *buf = NULL;
	gw_error err = { { 0 } };
	int rc;

	assert_int_equal(gw_snprintf(path, sizeof(path), "%s/%s/%s.json", DIR_, dir, name), 0);
	rc = gw_read_file(path, 4 * MANIFEST_MAX_SIZE, &buf, len, &err);
	if (rc)
		fail_msg("reading %s: %s", path, gw_error_msg(&err, rc));
	return buf;
}

static struct manifest *parse_good(const char *name, uint8_t **text, size_t *len)
{
	struct manifest *m = NULL;
	gw_error err = { { 0 } };
	int rc;

	*text = load("good", name, len);
	rc = manifest_parse(*text, *len, &m, &err);
	if (rc)
		fail_msg("%s: %s", name, gw_error_msg(&err, rc));
	return m;
}

static void test_minimal(void **state)
{
	uint8_t *text, md[32];
	size_t len;
	struct manifest *m = parse_good("minimal", &text, &len);
	char *out = NULL;
	size_t out_len = 0;

	(void)state;
	assert_int_equal(m->nmodels, 1);
	assert_string_equal(m->models[0], "gw-100");
	assert_true(manifest_has_model(m, "gw-100"));
	assert_false(manifest_has_model(m, "gw-10"));
	assert_string_equal(m->channel, "stable");
	assert_string_equal(m->version, "2.1.0");
	assert_int_equal(m->security_version, 5);
	assert_int_equal(m->created, 1796083200);
	assert_int_equal(m->expires, 0);
	assert_true(m->reboot_required);
	assert_null(m->notes);
	assert_null(m->root);
	assert_int_equal(m->npayloads, 2);
	assert_string_equal(m->payloads[0].class_name, "rootfs");
	assert_string_equal(m->payloads[0].member, "payload/rootfs");
	assert_int_equal(m->payloads[0].size, 3000);
	assert_int_equal(m->payloads[0].sha256[0], 0xf4);
	assert_string_equal(m->payloads[1].member, "payload/app");
	assert_ptr_equal(manifest_payload_of(m, "app"), &m->payloads[1]);
	assert_null(manifest_payload_of(m, "kernel"));
	/* The digest is of the document as signed. */
	assert_int_equal(EVP_Digest(text, len, md, NULL, EVP_sha256(), NULL), 1);
	assert_memory_equal(m->digest, md, 32);
	assert_int_equal(strlen(m->digest_hex), 64);
	/* The fixture is in canonical form: formatting gives the same bytes. */
	assert_int_equal(manifest_format(m, &out, &out_len), 0);
	assert_int_equal(out_len, len);
	assert_memory_equal(out, text, len);
	free(out);
	free(text);
	manifest_free(m);
}

/* Every optional field, and a round trip through the canonical form. */
static void test_full_round_trip(void **state)
{
	uint8_t *text;
	size_t len, out_len = 0;
	struct manifest *m = parse_good("full", &text, &len), *back = NULL;
	char *out = NULL;
	gw_error err = { { 0 } };

	(void)state;
	assert_int_equal(m->nmodels, 2);
	assert_true(manifest_has_model(m, "gw-200"));
	assert_int_equal(m->expires, 1811808000);
	assert_non_null(strstr(m->notes, "\xc3\xa9t\xc3\xa9 bugs.\nSecond"));
	assert_non_null(m->root);
	assert_non_null(strstr((const char *)m->root, "application/vnd.gatewarden.root+json"));
	assert_int_equal(manifest_format(m, &out, &out_len), 0);
	assert_int_equal(manifest_parse((const uint8_t *)out, out_len, &back, &err), 0);
	assert_string_equal(back->notes, m->notes);
	assert_int_equal(back->root_len, m->root_len);
	assert_memory_equal(back->root, m->root, m->root_len);
	assert_int_equal(back->expires, m->expires);
	assert_int_equal(back->nmodels, 2);
	free(out);
	free(text);
	manifest_free(back);
	manifest_free(m);
}

/* "eol_transition": true is kept and written back in canonical form; absent or
 * false is false, and false is not written (manifests without it unchanged). */
static void test_eol_transition(void **state)
{
	uint8_t *text, *t2;
	size_t len, l2, out_len = 0;
	struct manifest *m = parse_good("eol", &text, &len), *min = parse_good("minimal", &t2, &l2);
	struct manifest *back = NULL;
	char *out = NULL;
	const char *off = "{\"_type\":\"gatewarden-manifest\",\"format\":1,\"models\":[\"a\"],"
			  "\"channel\":\"s\",\"version\":\"1\",\"security_version\":0,"
			  "\"created\":\"2026-12-01T00:00:00Z\",\"reboot_required\":false,"
			  "\"eol_transition\":false,\"payloads\":[{\"class\":\"app\",\"size\":1,"
			  "\"sha256\":\"792c09188cbb34cddb80280ecc21dc16d42424f93e95f7aa96f3cc62b8a45aef\"}]}";

	(void)state;
	assert_true(m->eol_transition);
	assert_false(min->eol_transition);
	assert_int_equal(manifest_format(m, &out, &out_len), 0);
	assert_int_equal(out_len, len);
	assert_memory_equal(out, text, len);
	free(out);
	out = NULL;
	assert_int_equal(manifest_parse((const uint8_t *)off, strlen(off), &back, NULL), 0);
	assert_false(back->eol_transition);
	assert_int_equal(manifest_format(back, &out, &out_len), 0);
	assert_null(strstr(out, "eol_transition"));
	free(out);
	manifest_free(back);
	free(text);
	free(t2);
	manifest_free(m);
	manifest_free(min);
}

/* Whitespace is allowed; its digest differs from the canonical one. */
static void test_pretty(void **state)
{
	uint8_t *t1, *t2;
	size_t l1, l2;
	struct manifest *a = parse_good("pretty", &t1, &l1), *b = parse_good("minimal", &t2, &l2);

	(void)state;
	assert_string_equal(a->version, b->version);
	assert_memory_not_equal(a->digest, b->digest, 32);
	free(t1);
	free(t2);
	manifest_free(a);
	manifest_free(b);
}

/* manifest_format() writes nothing manifest_parse() would refuse. */
static void test_format_refuses(void **state)
{
	uint8_t *text;
	size_t len, out_len = 0;
	struct manifest *m = parse_good("minimal", &text, &len);
	char *out = NULL;

	(void)state;
	memcpy(m->payloads[1].class_name, "..", 3);
	assert_int_equal(manifest_format(m, &out, &out_len), GW_E_INVAL);
	memcpy(m->payloads[1].class_name, "rootfs", 7);
	assert_int_equal(manifest_format(m, &out, &out_len), GW_E_INVAL);
	memcpy(m->payloads[1].class_name, "app", 4);
	m->notes = strdup("bad \xff utf-8");
	assert_int_equal(manifest_format(m, &out, &out_len), GW_E_INVAL);
	free(m->notes);
	m->notes = NULL;
	m->expires = m->created;
	assert_int_equal(manifest_format(m, &out, &out_len), GW_E_INVAL);
	assert_null(out);
	free(text);
	manifest_free(m);
}

/* Notes keep newlines, tabs and any other text (the euro sign's UTF-8 has a byte
 * 0x82, U+00A0 starts with 0xc2): only control characters are refused. */
static void test_notes_text_kept(void **state)
{
	uint8_t *text;
	size_t len, out_len = 0;
	struct manifest *m = parse_good("full", &text, &len), *back = NULL;
	char *out = NULL;
	gw_error err = { { 0 } };

	(void)state;
	free(m->notes);
	m->notes = strdup("a\tb \xe2\x82\xac 5\xc2\xa0ok\n\xc3\xa9t\xc3\xa9\n");
	assert_int_equal(manifest_format(m, &out, &out_len), 0);
	assert_int_equal(manifest_parse((const uint8_t *)out, out_len, &back, &err), 0);
	assert_string_equal(back->notes, m->notes);
	manifest_free(back);
	free(out);
	free(text);
	manifest_free(m);
}

struct bad_case {
	const char *name;
	int code;
	const char *msg;
};

static const struct bad_case bad_cases[] = {
	{ "not-json", GW_E_PARSE, "manifest is not valid JSON" },
	{ "trailing-data", GW_E_TRAILING, "data after the JSON object" },
	{ "not-object", GW_E_PARSE, "must be a JSON object" },
	{ "duplicate-key", GW_E_PARSE, "a key appears twice" },
	{ "unknown-key", GW_E_PARSE, "manifest: unknown key 'extra'" },
	{ "missing-type", GW_E_PARSE, "'_type' is missing" },
	{ "wrong-type", GW_E_PARSE, "'_type' must be 'gatewarden-manifest'" },
	{ "format-2", GW_E_UNSUPPORTED, "format 2 is not 1" },
	{ "format-string", GW_E_PARSE, "'format' must be an integer" },
	{ "models-missing", GW_E_PARSE, "'models' is missing" },
	{ "models-empty", GW_E_PARSE, "'models' is empty" },
	{ "models-not-array", GW_E_PARSE, "'models' must be an array" },
	{ "models-twice", GW_E_PARSE, "'models' lists 'gw-100' twice" },
	{ "models-bad-name", GW_E_PARSE, "'models' entry 1 must be" },
	{ "models-too-many", GW_E_TOOBIG, "33 models, more than 32" },
	{ "channel-missing", GW_E_PARSE, "'channel' is missing" },
	{ "channel-dotdot", GW_E_PARSE, "'channel' must be 1 to 64" },
	{ "channel-slash", GW_E_PARSE, "'channel' must be 1 to 64" },
	{ "channel-long", GW_E_TOOBIG, "'channel' longer than 64 bytes" },
	{ "version-space", GW_E_PARSE, "'version' must be 1 to 64 printable" },
	{ "version-empty", GW_E_PARSE, "'version' must be 1 to 64 printable" },
	{ "secver-negative", GW_E_PARSE, "'security_version' must be 0 to" },
	{ "secver-string", GW_E_PARSE, "'security_version' must be an integer" },
	{ "secver-fraction", GW_E_PARSE, "'security_version' must be an integer" },
	{ "created-offset", GW_E_TOOBIG, "'created' longer than 21 bytes" },
	{ "created-feb30", GW_E_PARSE, "'created' must be a UTC time" },
	{ "created-missing", GW_E_PARSE, "'created' is missing" },
	{ "expires-before-created", GW_E_PARSE, "'expires' is not after 'created'" },
	{ "reboot-missing", GW_E_PARSE, "'reboot_required' is missing" },
	{ "reboot-string", GW_E_PARSE, "'reboot_required' must be true or false" },
	{ "eol-string", GW_E_PARSE, "'eol_transition' must be true or false" },
	{ "eol-null", GW_E_PARSE, "'eol_transition' must be true or false" },
	{ "eol-number", GW_E_PARSE, "'eol_transition' must be true or false" },
	{ "payloads-missing", GW_E_PARSE, "'payloads' is missing" },
	{ "payloads-empty", GW_E_PARSE, "'payloads' is empty" },
	{ "payloads-too-many", GW_E_TOOBIG, "9 payloads, more than 8" },
	{ "payload-not-object", GW_E_PARSE, "payload 1: must be an object" },
	{ "payload-class-twice", GW_E_PARSE, "payload 2: class 'rootfs' appears twice" },
	{ "payload-class-dotdot", GW_E_PARSE, "payload 1: 'class' must be 1 to 64" },
	{ "payload-class-slash", GW_E_PARSE, "payload 1: 'class' must be 1 to 64" },
	{ "payload-class-dot", GW_E_PARSE, "payload 1: 'class' must be 1 to 64" },
	{ "payload-size-zero", GW_E_PARSE, "payload 1: 'size' must be 1 to 68719476736" },
	{ "payload-size-over", GW_E_PARSE, "payload 1: 'size' must be 1 to 68719476736" },
	{ "payload-sha-upper", GW_E_PARSE, "'sha256' must be 64 lower-case hex digits" },
	{ "payload-sha-short", GW_E_PARSE, "'sha256' must be 64 lower-case hex digits" },
	{ "payload-unknown-key", GW_E_PARSE, "payload 1: unknown key 'path'" },
	{ "payload-sha-missing", GW_E_PARSE, "payload 1: 'sha256' is missing" },
	{ "notes-number", GW_E_PARSE, "'notes' must be a string" },
	{ "notes-too-long", GW_E_TOOBIG, "'notes' longer than 65536 bytes" },
	{ "notes-nul-escape", GW_E_PARSE, "a string contains \\u0000" },
	{ "notes-escape", GW_E_PARSE, "'notes': control character U+001B at byte 2" },
	{ "notes-cr", GW_E_PARSE, "'notes': control character U+000D at byte 4" },
	{ "notes-del", GW_E_PARSE, "'notes': control character U+007F at byte 1" },
	{ "notes-c1-csi", GW_E_PARSE, "'notes': control character U+009B at byte 1" },
	{ "root-not-object", GW_E_PARSE, "'root' must be an object" },
	{ "root-bad-envelope", GW_E_PARSE, "'root': envelope: missing 'payload'" },
	{ "root-wrong-type", GW_E_PARSE, "'root': payload type" },
	{ "too-deep", GW_E_PARSE, "nested deeper than 5 levels" },
	{ "enc-alg", GW_E_PARSE, "'encryption': 'alg' must be 'A256GCM-CHUNKED'" },
	{ "enc-unknown-key", GW_E_PARSE, "'encryption': unknown key 'x'" },
	{ "enc-chunk-small", GW_E_PARSE, "'chunk_size' must be 16 to 16777216" },
	{ "enc-chunk-string", GW_E_PARSE, "'chunk_size' must be an integer" },
	{ "enc-not-object", GW_E_PARSE, "'encryption' must be an object" },
	{ "enc-wrap-missing", GW_E_PARSE, "'wrapped_key' is missing" },
	{ "enc-wrap-context", GW_E_PARSE, "'wrapped_key': context must be 'release'" },
	{ "enc-wrap-extra", GW_E_PARSE, "wrapped key: unknown key 'extra'" },
	{ "enc-wrap-iv-short", GW_E_PARSE, "'iv' must be the base64 of 12 bytes" },
	{ "enc-wrap-off-curve", GW_E_KEY, "not on the P-256 curve" },
	{ "enc-stored-missing", GW_E_PARSE, "payload 2: 'stored_size' is missing" },
	{ "enc-stored-sha-missing", GW_E_PARSE, "payload 1: 'stored_sha256' is missing" },
	{ "enc-stored-size-wrong", GW_E_PARSE, "'stored_size' 3000 is not 3016" },
	{ "enc-stored-sha-upper", GW_E_PARSE, "'stored_sha256' must be 64 lower-case hex" },
	{ "enc-stored-without-encryption", GW_E_PARSE, "only with 'encryption'" },
	{ "boot-not-array", GW_E_PARSE, "'boot_files' must be an array" },
	{ "boot-empty", GW_E_PARSE, "'boot_files' is empty" },
	{ "boot-too-many", GW_E_TOOBIG, "'boot_files': 9 files, more than 8" },
	{ "boot-not-object", GW_E_PARSE, "boot file 1: must be an object" },
	{ "boot-unknown-key", GW_E_PARSE, "boot file 1: unknown key 'pcr'" },
	{ "boot-path-missing", GW_E_PARSE, "boot file 1: 'path' is missing" },
	{ "boot-path-relative", GW_E_PARSE, "boot file 1: 'path' must be '/' and up to 254" },
	{ "boot-path-space", GW_E_PARSE, "boot file 1: 'path' must be '/'" },
	{ "boot-path-control", GW_E_PARSE, "boot file 1: 'path' must be '/'" },
	{ "boot-path-long", GW_E_TOOBIG, "boot file 1: 'path' longer than 255 bytes" },
	{ "boot-sha-missing", GW_E_PARSE, "boot file 1: 'sha256' is missing" },
	{ "boot-sha-upper", GW_E_PARSE, "boot file 1: 'sha256' must be 64 lower-case hex" },
	{ "boot-path-twice", GW_E_PARSE, "boot file 2: path '/boot/vmlinuz' appears twice" },
	{ "boot-sha-twice", GW_E_PARSE, "boot file 2: the same sha256 as boot file 1" },
};

/* Boot files: read in order, found by digest, written back in canonical form (the
 * fixture is canonical); a manifest without them writes none. */
static void test_boot_files(void **state)
{
	uint8_t *text, *plain_text, k[32];
	size_t len, plain_len, out_len = 0;
	struct manifest *m = parse_good("boot-files", &text, &len);
	struct manifest *plain = parse_good("minimal", &plain_text, &plain_len);
	gw_error err = { { 0 } };
	char *out = NULL;

	(void)state;
	assert_int_equal(m->nboot_files, 2);
	assert_string_equal(m->boot_files[0].path, "/boot/vmlinuz-6.1.0");
	assert_string_equal(m->boot_files[1].path, "/boot/initrd.img-6.1.0");
	assert_int_equal(gw_hex_decode_fixed("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd1"
					     "5d6c15b0f00a08", k, 32, &err), 0);
	assert_ptr_equal(manifest_boot_file_of(m, k), &m->boot_files[0]);
	assert_null(manifest_boot_file_of(plain, k));
	k[0] ^= 1;
	assert_null(manifest_boot_file_of(m, k));
	assert_int_equal(plain->nboot_files, 0);
	assert_true(manifest_boot_path_ok("/"));
	assert_false(manifest_boot_path_ok(""));
	assert_false(manifest_boot_path_ok("vmlinuz"));
	assert_int_equal(manifest_format(m, &out, &out_len), 0);
	assert_int_equal(out_len, len);
	assert_memory_equal(out, text, len);
	free(out);
	assert_int_equal(manifest_format(plain, &out, &out_len), 0);
	assert_null(strstr(out, "boot_files"));
	free(out);
	manifest_free(m);
	manifest_free(plain);
	free(text);
	free(plain_text);
}

/* An encrypted manifest: its fields, the member's size and digest, and the
 * canonical form is the fixture itself. */
static void test_encrypted(void **state)
{
	uint8_t *text, *plain_text;
	size_t len, plain_len;
	struct manifest *m = parse_good("encrypted", &text, &len);
	struct manifest *plain = parse_good("minimal", &plain_text, &plain_len);
	char *out = NULL;
	size_t out_len = 0;

	(void)state;
	assert_true(m->encrypted);
	assert_int_equal(m->chunk_size, 65536);
	assert_non_null(strstr(m->wrapped_key, "\"context\":\"release\""));
	assert_int_equal(m->payloads[0].stored_size, 3016);
	assert_int_equal(manifest_member_size(m, &m->payloads[0]), 3016);
	assert_ptr_equal(manifest_member_sha256(m, &m->payloads[1]), m->payloads[1].stored_sha256);
	assert_false(plain->encrypted);
	assert_int_equal(manifest_member_size(plain, &plain->payloads[0]), 3000);
	assert_ptr_equal(manifest_member_sha256(plain, &plain->payloads[0]), plain->payloads[0].sha256);
	assert_int_equal(manifest_format(m, &out, &out_len), 0);
	assert_int_equal(out_len, len);
	assert_memory_equal(out, text, len);
	free(out);
	/* An unencrypted manifest keeps its form: no encryption member appears. */
	assert_int_equal(manifest_format(plain, &out, &out_len), 0);
	assert_null(strstr(out, "stored_"));
	assert_null(strstr(out, "encryption"));
	free(out);
	manifest_free(m);
	manifest_free(plain);
	free(text);
	free(plain_text);
}

static void test_bad_fixtures(void **state)
{
	(void)state;
	for (size_t i = 0; i < GW_ARRAY_SIZE(bad_cases); i++) {
		const struct bad_case *c = &bad_cases[i];
		size_t len = 0;
		uint8_t *buf = load("bad", c->name, &len);
		struct manifest *m = NULL;
		gw_error err = { { 0 } };
		int rc = manifest_parse(buf, len, &m, &err);

		if (rc != c->code)
			fail_msg("%s: got %d (%s), expected %d", c->name, rc,
				 gw_error_msg(&err, rc), c->code);
		if (!strstr(err.msg, c->msg))
			fail_msg("%s: message '%s' lacks '%s'", c->name, err.msg, c->msg);
		assert_null(m);
		free(buf);
	}
}

/* Every fixture in bad/ has an entry above. */
static void test_bad_fixtures_listed(void **state)
{
	(void)state;
	FIXTURES_ALL_LISTED(DIR_ "/bad", ".json", bad_cases);
}

static void test_too_big(void **state)
{
	size_t len = MANIFEST_MAX_SIZE + 1;
	uint8_t *buf = malloc(len);
	struct manifest *m = NULL;
	gw_error err = { { 0 } };

	(void)state;
	assert_non_null(buf);
	memset(buf, ' ', len);
	assert_int_equal(manifest_parse(buf, len, &m, &err), GW_E_TOOBIG);
	assert_null(m);
	free(buf);
}

/* A time manifest_parse() would not read back is not written. */
static void test_format_time(void **state)
{
	uint8_t *text;
	size_t len, out_len = 0;
	struct manifest *m = parse_good("minimal", &text, &len);
	char *out = NULL;

	(void)state;
	m->created = -1;
	assert_int_equal(manifest_format(m, &out, &out_len), GW_E_INVAL);
	m->created = (time_t)253402300800; /* 10000-01-01 */
	assert_int_equal(manifest_format(m, &out, &out_len), GW_E_INVAL);
	assert_null(out);
	free(text);
	manifest_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minimal),
		cmocka_unit_test(test_full_round_trip),
		cmocka_unit_test(test_eol_transition),
		cmocka_unit_test(test_pretty),
		cmocka_unit_test(test_format_refuses),
		cmocka_unit_test(test_notes_text_kept),
		cmocka_unit_test(test_boot_files),
		cmocka_unit_test(test_bad_fixtures),
		cmocka_unit_test(test_encrypted),
		cmocka_unit_test(test_bad_fixtures_listed),
		cmocka_unit_test(test_too_big),
		cmocka_unit_test(test_format_time),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
