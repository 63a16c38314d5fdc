// SPDX-License-Identifier: Apache-2.0
// Unit tests for the slot state file (slots.json): the good fixtures, a round trip
// through format and parse, save and load in a state directory, and one bad
// fixture per rule of the strict parser.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>

#include <cmocka.h>

#include "update_state.h"
#include "util.h"

#define FIXTURES "agent/tests/fixtures/update_state"

static int parse_file(const char *path, struct update_state *st, gw_error *err)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc = gw_read_file(path, 1u << 20, &buf, &len, err);

	if (!rc)
		rc = update_state_parse(buf, len, st, err);
	free(buf);
	return rc;
}

static void test_good(void **state)
{
	struct update_state st;
	gw_error err = { { 0 } };
	char hex[65];
	int rc;

	(void)state;
	rc = parse_file(FIXTURES "/good/staged.json", &st, &err);
	if (rc)
		fail_msg("%s", gw_error_msg(&err, rc));
	assert_int_equal(st.group[BL_GROUP_A].state, SLOT_GOOD);
	assert_true(st.group[BL_GROUP_A].has_manifest);
	assert_string_equal(st.group[BL_GROUP_A].version, "2.0.0");
	assert_int_equal(st.group[BL_GROUP_A].security_version, 4);
	assert_int_equal(st.group[BL_GROUP_A].installed, 1764633600);
	assert_int_equal(st.group[BL_GROUP_B].state, SLOT_STAGED);
	assert_string_equal(st.group[BL_GROUP_B].version, "2.1.0-rc.1+build.7");
	assert_string_equal(st.group[BL_GROUP_B].channel, "stable");
	gw_hex_encode(st.group[BL_GROUP_B].manifest_digest, 32, hex);
	assert_string_equal(hex, "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
	assert_int_equal(st.trial_group, BL_GROUP_B);
	assert_int_equal(st.last_outcome, UPDATE_OUTCOME_STAGED);
	assert_string_equal(st.last_detail, "staged 2.1.0-rc.1+build.7 in group B");
	/* Format 1: no root named (the pinned one), a pending trial taken as set. */
	assert_int_equal(st.group[BL_GROUP_A].root_version, 0);
	assert_int_equal(st.group[BL_GROUP_B].root_version, 0);
	assert_true(st.trial_set);

	rc = parse_file(FIXTURES "/good/v2.json", &st, &err);
	if (rc)
		fail_msg("%s", gw_error_msg(&err, rc));
	assert_int_equal(st.group[BL_GROUP_A].root_version, 3);
	assert_int_equal(st.group[BL_GROUP_B].root_version, 4);
	assert_int_equal(st.trial_group, BL_GROUP_B);
	assert_true(st.trial_set);

	rc = parse_file(FIXTURES "/good/empty.json", &st, &err);
	if (rc)
		fail_msg("%s", gw_error_msg(&err, rc));
	for (int g = 0; g < BL_NGROUPS; g++) {
		assert_int_equal(st.group[g].state, SLOT_EMPTY);
		assert_false(st.group[g].has_manifest);
	}
	assert_int_equal(st.trial_group, -1);
	assert_int_equal(st.last_outcome, UPDATE_OUTCOME_NONE);
}

/* Whatever format writes, parse reads back as it was (names of every state and
 * outcome included). */
static void test_roundtrip(void **state)
{
	(void)state;
	for (int s = SLOT_EMPTY; s <= SLOT_BAD; s++) {
		struct update_state st, back;
		gw_error err = { { 0 } };
		char *text = NULL;
		size_t len = 0;
		int rc;

		update_state_init(&st);
		st.group[BL_GROUP_A].state = (enum slot_state)s;
		st.group[BL_GROUP_B].state = (enum slot_state)(SLOT_BAD - s);
		st.group[BL_GROUP_B].has_manifest = true;
		memset(st.group[BL_GROUP_B].manifest_digest, 0xc3, 32);
		snprintf(st.group[BL_GROUP_B].version, sizeof(st.group[0].version), "v%d", s);
		snprintf(st.group[BL_GROUP_B].channel, sizeof(st.group[0].channel), "ch-%d", s);
		st.group[BL_GROUP_B].security_version = (uint64_t)INT64_MAX - 1;
		st.group[BL_GROUP_B].installed = 1000 + s;
		st.group[BL_GROUP_B].root_version = (uint64_t)s + 1;
		st.trial_group = s % 3 == 2 ? -1 : s % 3;
		st.trial_set = st.trial_group >= 0 && s % 2;
		st.last_outcome = (enum update_outcome)(s + 1);
		snprintf(st.last_detail, sizeof(st.last_detail), "quote \" and \\ and \n %d", s);
		assert_int_equal(update_state_format(&st, &text, &len), 0);
		assert_int_equal(strlen(text), len);
		rc = update_state_parse((const uint8_t *)text, len, &back, &err);
		if (rc)
			fail_msg("%s\n%s", gw_error_msg(&err, rc), text);
		assert_memory_equal(&st, &back, sizeof(st));
		free(text);
	}
}

static void rm_tree(const char *dir)
{
	char cmd[512];

	assert_true(snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir) < (int)sizeof(cmd));
	assert_int_equal(system(cmd), 0);
}

/* A missing file is the empty state; save creates update/ and leaves no
 * temporary file behind. */
static void test_save_load(void **state)
{
	char dir[] = "/tmp/gw-test-update-state.XXXXXX", path[512];
	struct agent_ctx ctx = { .prog = "test", .lock_fd = -1 };
	struct update_state st, back;
	gw_error err = { { 0 } };
	struct dirent *de;
	struct stat sb;
	size_t n = 0;
	DIR *d;
	int rc;

	(void)state;
	assert_non_null(mkdtemp(dir));
	ctx.state_dir = dir;
	memset(&back, 0x5a, sizeof(back));
	assert_int_equal(update_state_load(&ctx, &back, &err), 0);
	update_state_init(&st);
	assert_memory_equal(&st, &back, sizeof(st));

	st.group[BL_GROUP_A].state = SLOT_INSTALLING;
	st.last_outcome = UPDATE_OUTCOME_FAILED;
	snprintf(st.last_detail, sizeof(st.last_detail), "payload rootfs: SHA-256 differs");
	rc = update_state_save(&ctx, &st, &err);
	if (rc)
		fail_msg("%s", gw_error_msg(&err, rc));
	assert_int_equal(update_state_load(&ctx, &back, &err), 0);
	assert_memory_equal(&st, &back, sizeof(st));
	assert_true(snprintf(path, sizeof(path), "%s/update", dir) < (int)sizeof(path));
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	d = opendir(path);
	assert_non_null(d);
	while ((de = readdir(d)))
		if (de->d_name[0] != '.') {
			assert_string_equal(de->d_name, "slots.json");
			n++;
		}
	closedir(d);
	assert_int_equal(n, 1);

	/* A damaged file is an error naming it, never an empty state. */
	assert_true(snprintf(path, sizeof(path), "%s/update/slots.json", dir) < (int)sizeof(path));
	assert_int_equal(truncate(path, 10), 0);
	rc = update_state_load(&ctx, &back, &err);
	assert_int_equal(rc, GW_E_PARSE);
	assert_non_null(strstr(err.msg, path));
	rm_tree(dir);
}

struct bad_case {
	const char *file;
	int rc;
	const char *detail;
};

static const struct bad_case bad_cases[] = {
	{ "unknown-key", GW_E_PARSE, "slots.json: unknown key 'extra'" },
	{ "missing-trial", GW_E_PARSE, "'trial' is missing" },
	{ "format-3", GW_E_PARSE, "'format' must be 1 to 2" },
	{ "v1-root-version", GW_E_PARSE, "groups.A: unknown key 'root_version'" },
	{ "v2-missing-trial-set", GW_E_PARSE, "'trial_set' must be true or false" },
	{ "v2-missing-root-version", GW_E_PARSE, "groups.B: 'root_version' is missing" },
	{ "v2-trial-set-no-trial", GW_E_PARSE, "'trial_set' is true but 'trial' is none" },
	{ "v2-trial-set-string", GW_E_PARSE, "'trial_set' must be true or false" },
	{ "v2-root-without-manifest", GW_E_PARSE,
	  "groups.A: 'root_version' is set but has_manifest is false" },
	{ "v2-root-version-negative", GW_E_PARSE, "groups.A: 'root_version' must be 0 to" },
	{ "groups-three", GW_E_PARSE, "'groups' must be an object of exactly A and B" },
	{ "groups-only-a", GW_E_PARSE, "'groups' must be an object of exactly A and B" },
	{ "groups-array", GW_E_PARSE, "'groups' must be an object of exactly A and B" },
	{ "group-unknown-key", GW_E_PARSE, "groups.A: unknown key 'color'" },
	{ "group-missing-state", GW_E_PARSE, "groups.B: 'state' is missing" },
	{ "state-unknown", GW_E_PARSE, "groups.B: 'state': unknown value 'booting'" },
	{ "state-number", GW_E_PARSE, "groups.B: 'state' must be a string" },
	{ "has-manifest-string", GW_E_PARSE, "groups.A: 'has_manifest' must be true or false" },
	{ "version-space", GW_E_PARSE, "groups.A: 'version': printable characters, no blank" },
	{ "version-long", GW_E_TOOBIG, "groups.A: 'version' longer than 64 bytes" },
	{ "channel-slash", GW_E_PARSE, "groups.A: 'channel': use A-Z a-z 0-9 - _ ." },
	{ "secver-negative", GW_E_PARSE, "groups.A: 'security_version' must be 0 to" },
	{ "secver-float", GW_E_PARSE, "groups.A: 'security_version' must be an integer" },
	{ "secver-huge", GW_E_PARSE, "groups.A: 'security_version' must be 0 to" },
	{ "digest-short", GW_E_PARSE, "groups.A: 'manifest_sha256': 64 lower-case hex digits" },
	{ "digest-upper", GW_E_PARSE, "groups.A: 'manifest_sha256': 64 lower-case hex digits" },
	{ "digest-missing-with-manifest", GW_E_PARSE,
	  "groups.A: 'manifest_sha256' is empty but has_manifest is true" },
	{ "installed-negative", GW_E_PARSE, "groups.A: 'installed' must be 0 to" },
	{ "trial-c", GW_E_PARSE, "'trial': unknown value 'C'" },
	{ "trial-null", GW_E_PARSE, "'trial' must be a string" },
	{ "outcome-unknown", GW_E_PARSE, "'last_outcome': unknown value 'exploded'" },
	{ "detail-long", GW_E_TOOBIG, "'last_detail' longer than 255 bytes" },
	{ "detail-nul", GW_E_PARSE, "\\u0000" },
	{ "duplicate-key", GW_E_PARSE, "a key appears twice in one object" },
	{ "trailing", GW_E_TRAILING, "data after the JSON object" },
	{ "truncated", GW_E_PARSE, "not valid JSON" },
	{ "too-big", GW_E_TOOBIG, "larger than 65536 bytes" },
};

static void test_bad_fixtures(void **state)
{
	(void)state;
	for (size_t i = 0; i < GW_ARRAY_SIZE(bad_cases); i++) {
		const struct bad_case *c = &bad_cases[i];
		struct update_state st;
		gw_error err = { { 0 } };
		char path[256];
		int rc;

		assert_true(snprintf(path, sizeof(path), FIXTURES "/bad/%s.json", c->file) <
			    (int)sizeof(path));
		memset(&st, 0x77, sizeof(st));
		rc = parse_file(path, &st, &err);
		if (rc != c->rc)
			fail_msg("%s: got %d (%s), expected %d", c->file, rc, gw_error_msg(&err, rc),
				 c->rc);
		if (!strstr(err.msg, c->detail))
			fail_msg("%s: detail \"%s\" lacks \"%s\"", c->file, err.msg, c->detail);
		/* Nothing is handed out on failure. */
		for (size_t k = 0; k < sizeof(st); k++)
			assert_int_equal(((unsigned char *)&st)[k], 0x77);
		assert_int_equal(parse_file(path, &st, NULL), c->rc);
	}
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(slot_state_name(SLOT_INSTALLING), "installing");
	assert_string_equal(slot_state_name((enum slot_state)42), "unknown");
	assert_string_equal(update_outcome_name(UPDATE_OUTCOME_ROLLED_BACK), "rolled-back");
	assert_string_equal(update_outcome_name(UPDATE_OUTCOME_FELL_BACK), "fell-back");
	assert_string_equal(update_outcome_name((enum update_outcome)-1), "unknown");
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

/* A save removes every root.N.json no group refers to, and only those. */
static void test_prune_roots(void **state)
{
	char dir[] = "/tmp/gw-test-update-roots.XXXXXX", path[512];
	static const char *const names[] = { "root.1.json", "root.2.json", "root.3.json",
					     "root.10.json", "root.json", "root.02.json",
					     "root.x.json" };
	static const bool kept[] = { false, true, false, true, true, true, true };
	struct agent_ctx ctx = { .prog = "test", .lock_fd = -1 };
	struct update_state st;
	gw_error err = { { 0 } };

	(void)state;
	assert_non_null(mkdtemp(dir));
	ctx.state_dir = dir;
	update_state_init(&st);
	assert_int_equal(update_state_save(&ctx, &st, &err), 0);
	for (size_t i = 0; i < GW_ARRAY_SIZE(names); i++) {
		assert_true(snprintf(path, sizeof(path), "%s/update/%s", dir, names[i]) <
			    (int)sizeof(path));
		write_text(path, "{}");
	}
	st.group[BL_GROUP_A].has_manifest = true;
	st.group[BL_GROUP_A].root_version = 2;
	st.group[BL_GROUP_B].has_manifest = true;
	st.group[BL_GROUP_B].root_version = 10;
	assert_int_equal(update_state_save(&ctx, &st, &err), 0);
	for (size_t i = 0; i < GW_ARRAY_SIZE(names); i++) {
		assert_true(snprintf(path, sizeof(path), "%s/update/%s", dir, names[i]) <
			    (int)sizeof(path));
		if (access(path, F_OK) != (kept[i] ? 0 : -1))
			fail_msg("%s: %s", names[i], kept[i] ? "removed" : "kept");
	}
	rm_tree(dir);
}

static size_t count_lines(const char *path, char *first, size_t first_len)
{
	uint8_t *buf = NULL;
	size_t len = 0, n = 0, i;

	assert_int_equal(gw_read_file(path, 1u << 24, &buf, &len, NULL), 0);
	for (i = 0; i < len; i++)
		n += buf[i] == '\n';
	for (i = 0; i < len && buf[i] != '\n' && i + 1 < first_len; i++)
		first[i] = (char)buf[i];
	first[i] = '\0';
	free(buf);
	return n;
}

/* history.jsonl keeps the newest history_max lines. */
static void test_history_max(void **state)
{
	char dir[] = "/tmp/gw-test-update-history.XXXXXX", path[512], first[4096], want[64];
	struct agent_ctx ctx = { .prog = "test", .lock_fd = -1 };
	gw_error err = { { 0 } };

	(void)state;
	assert_non_null(mkdtemp(dir));
	ctx.state_dir = dir;
	ctx.cfg.update.history_max = 5;
	assert_true(snprintf(path, sizeof(path), "%s/update/history.jsonl", dir) <
		    (int)sizeof(path));
	for (int i = 0; i < 12; i++) {
		char v[16];
		struct update_history_entry e = { .time = 1000 + i, .action = "install",
						  .group = BL_GROUP_B, .version = v,
						  .outcome = UPDATE_OUTCOME_STAGED };
		int rc;

		snprintf(v, sizeof(v), "v%d", i);
		rc = update_history_append(&ctx, &e, &err);
		if (rc)
			fail_msg("%s", gw_error_msg(&err, rc));
		assert_int_equal(count_lines(path, first, sizeof(first)), i < 5 ? i + 1 : 5);
	}
	snprintf(want, sizeof(want), "\"version\":\"v7\"");
	if (!strstr(first, want))
		fail_msg("oldest kept line: %s", first);
	/* Unset (0): the default, 1000. */
	ctx.cfg.update.history_max = 0;
	for (int i = 0; i < 3; i++) {
		struct update_history_entry e = { .time = 2000, .action = "commit", .group = -1 };

		assert_int_equal(update_history_append(&ctx, &e, &err), 0);
	}
	assert_int_equal(count_lines(path, first, sizeof(first)), 8);
	rm_tree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),	     cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_save_load),    cmocka_unit_test(test_bad_fixtures),
		cmocka_unit_test(test_names),	     cmocka_unit_test(test_prune_roots),
		cmocka_unit_test(test_history_max),
	};

	return cmocka_run_group_tests_name("update_state", tests, NULL, NULL);
}
