// SPDX-License-Identifier: Apache-2.0
// Unit tests for the policy parser: committed good fixtures to the struct, committed
// bad fixtures each with its code and exact first message, diagnostics collection,
// caps, dates and event type spellings.
#define _GNU_SOURCE /* timegm */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "gwpol.h"
#include "util.h"

#define FIXTURES "policy/tests/fixtures/gwpol"
#define GOOD_DIR FIXTURES "/good"
#define BAD_DIR FIXTURES "/bad"

static int parse_file(const char *path, struct gwpol **out, struct gwpol_diags *d, gw_error *err)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc = gw_read_file(path, GWPOL_MAX_SIZE + 1, &buf, &len, err);

	if (rc == 0)
		rc = gwpol_parse((const char *)buf, len, out, d, err);
	free(buf);
	return rc;
}

static struct gwpol *good(const char *name)
{
	struct gwpol *p = NULL;
	struct gwpol_diags d;
	gw_error err = { { 0 } };
	char path[256];
	int rc;

	assert_int_equal(gw_snprintf(path, sizeof(path), "%s/%s", GOOD_DIR, name), 0);
	rc = parse_file(path, &p, &d, &err);
	if (rc)
		fail_msg("%s: %d %s", name, rc, gw_error_msg(&err, rc));
	assert_int_equal(d.n, 0);
	assert_int_equal(d.dropped, 0);
	assert_non_null(p);
	return p;
}

/* A digest list holds exactly the given bytes repeated (0xaa...) in order. */
static void assert_digests(const struct gwpol_digests *d, size_t size, const char *bytes)
{
	size_t n = strlen(bytes);

	assert_int_equal(d->n, n);
	assert_int_equal(d->size, size);
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < size; k++)
			assert_int_equal(d->d[i][k], (uint8_t)bytes[i]);
}

static int64_t day_after(int y, int m, int d)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d + 1 };

	return (int64_t)timegm(&tm);
}

static void test_good_full(void **state)
{
	struct gwpol *p = good("full.json");
	const struct gwpol_firmware *fw = &p->fw;
	TPML_PCR_SELECTION sel;

	(void)state;
	assert_string_equal(p->model, "gw-1000");
	assert_int_equal(p->version, 7);
	assert_string_equal(p->description,
			    "GW-1000 gateways, firmware 2.3 \xe2\x80\x93 rollout of rootfs 5");
	assert_true(p->has_pcr_selection);
	assert_int_equal(p->pcr_selection.count, 1);
	assert_int_equal(p->pcr_selection.pcrSelections[0].hash, TPM2_ALG_SHA256);
	assert_int_equal(gw_pcrsel_count(&p->pcr_selection), 10);
	gwpol_selection(p, &sel);
	assert_true(gw_pcrsel_equal(&sel, &p->pcr_selection));
	assert_true(p->has_freshness);
	assert_int_equal(p->freshness_seconds, 3600);

	assert_true(fw->present);
	assert_int_equal(fw->bank, TPM2_ALG_SHA256);
	/* Written as 7, 0, 1: stored sorted. */
	assert_int_equal(fw->n_pcrs, 3);
	assert_int_equal(fw->pcrs[0].pcr, 0);
	assert_int_equal(fw->pcrs[0].mode, GWPOL_PCR_ALLOWED);
	assert_int_equal(fw->pcrs[0].n, 2);
	assert_int_equal(fw->pcrs[0].ev[0].type, EV_POST_CODE);
	assert_digests(&fw->pcrs[0].ev[0].digests, 32, "\xaa\xbb");
	assert_int_equal(fw->pcrs[0].ev[1].type, 0x0000abcdu);
	assert_digests(&fw->pcrs[0].ev[1].digests, 32, "\xdd");
	assert_null(fw->pcrs[0].comment);
	assert_int_equal(fw->pcrs[1].pcr, 1);
	assert_int_equal(fw->pcrs[1].mode, GWPOL_PCR_UNCHECKED);
	assert_int_equal(fw->pcrs[1].n, 0);
	assert_string_equal(fw->pcrs[1].comment, "board settings change");
	assert_int_equal(fw->pcrs[2].pcr, 7);
	assert_int_equal(fw->pcrs[2].mode, GWPOL_PCR_SEQUENCE);
	assert_int_equal(fw->pcrs[2].n, 2);
	assert_int_equal(fw->pcrs[2].ev[0].type, EV_EFI_VARIABLE_DRIVER_CONFIG);
	assert_string_equal(fw->pcrs[2].ev[0].comment, "event 3: SecureBoot");
	assert_digests(&fw->pcrs[2].ev[0].digests, 32, "\xaa");
	assert_int_equal(fw->pcrs[2].ev[1].type, EV_SEPARATOR);
	assert_null(fw->pcrs[2].ev[1].comment);
	assert_digests(&fw->pcrs[2].ev[1].digests, 32, "\xbb\xcc");
	assert_string_equal(fw->pcrs[2].comment, "Secure Boot configuration");

	assert_int_equal(fw->n_allow_types, 2);
	assert_int_equal(fw->allow_types[0], 0x0000abcdu);
	assert_int_equal(fw->allow_types[1], 0x800000ffu);

	assert_int_equal(fw->n_required, 2);
	assert_true(fw->required[0].has_pcr);
	assert_int_equal(fw->required[0].pcr, 4);
	assert_int_equal(fw->required[0].type, EV_EFI_ACTION);
	assert_string_equal(fw->required[0].text, "Exit Boot Services Invocation");
	assert_null(fw->required[0].data);
	assert_string_equal(fw->required[0].comment, "ExitBootServices");
	assert_false(fw->required[1].has_pcr);
	assert_int_equal(fw->required[1].type, EV_SEPARATOR);
	assert_null(fw->required[1].text);
	assert_non_null(fw->required[1].data);
	assert_int_equal(fw->required[1].data_len, 4);
	assert_memory_equal(fw->required[1].data, "\0\0\0\0", 4);
	assert_null(fw->required[1].comment);

	assert_true(fw->secure_boot.present);
	assert_true(fw->secure_boot.enabled);
	assert_true(fw->secure_boot.has_pk && fw->secure_boot.has_kek && fw->secure_boot.has_db &&
		    fw->secure_boot.has_dbx);
	assert_digests(&fw->secure_boot.pk, 32, "\xaa");
	assert_digests(&fw->secure_boot.kek, 32, "\xbb");
	assert_digests(&fw->secure_boot.db, 32, "\xcc\xdd");
	assert_digests(&fw->secure_boot.dbx, 32, "\xdd");
	assert_true(fw->has_bootloader);
	assert_digests(&fw->bootloader, 32, "\xaa");
	assert_true(fw->has_kernel);
	assert_digests(&fw->kernel, 32, "\xbb\xcc");

	assert_int_equal(p->n_stages, 2);
	assert_string_equal(p->stages[0].name, "rootfs");
	assert_int_equal(p->stages[0].claim, GWPOL_CLAIM_EXECUTABLES);
	assert_digests(&p->stages[0].digests, 32, "\xaa\xbb");
	assert_string_equal(p->stages[1].name, "config");
	assert_int_equal(p->stages[1].claim, GWPOL_CLAIM_CONFIGURATION);
	assert_digests(&p->stages[1].digests, 32, "\xcc");

	assert_true(p->trust.has_gate_key);
	assert_digests(&p->trust.gate_key, 32, "\xdd");
	assert_true(p->trust.has_trust_root);
	assert_digests(&p->trust.trust_root, 32, "\xaa");

	assert_true(p->update.has_min_security_version);
	assert_int_equal(p->update.min_security_version, 4);
	assert_true(p->update.has_end_of_support);
	assert_string_equal(p->update.end_of_support, "2028-02-29");
	assert_int_equal(p->update.support_ends, day_after(2028, 2, 29));
	assert_int_equal(p->update.support_ends, 1835481600); /* 2028-03-01T00:00:00Z */
	assert_int_equal(p->update.n_channels, 2);
	assert_string_equal(p->update.channels[0], "stable");
	assert_string_equal(p->update.channels[1], "beta");
	assert_true(p->logs.has_firmware && p->logs.has_cel);
	assert_int_equal(p->logs.firmware, 0xffu | 1u << 14);
	assert_int_equal(p->logs.cel, 1u << 13 | 1u << 14);
	gwpol_free(p);
}

static void test_good_minimal(void **state)
{
	struct gwpol *p = good("minimal.json");
	TPML_PCR_SELECTION sel, want;

	(void)state;
	assert_string_equal(p->model, "gw-1000");
	assert_int_equal(p->version, 1);
	assert_null(p->description);
	assert_false(p->has_pcr_selection);
	assert_false(p->has_freshness);
	assert_false(p->fw.present);
	assert_int_equal(p->fw.n_pcrs, 0);
	assert_false(p->fw.secure_boot.present);
	assert_int_equal(p->n_stages, 0);
	assert_null(p->stages);
	assert_false(p->trust.has_gate_key || p->trust.has_trust_root);
	/* Without "logs", the documented defaults. */
	assert_false(p->logs.has_firmware || p->logs.has_cel);
	assert_int_equal(p->logs.firmware, GWPOL_DEFAULT_FW_LOGS);
	assert_int_equal(p->logs.cel, GWPOL_DEFAULT_CEL_LOGS);
	assert_false(p->update.has_min_security_version || p->update.has_end_of_support);
	assert_int_equal(p->update.n_channels, 0);
	/* The default selection. */
	gwpol_selection(p, &sel);
	assert_int_equal(gw_pcrsel_parse("sha256:0-7,13,14", &want, NULL), 0);
	assert_true(gw_pcrsel_equal(&sel, &want));
	gwpol_selection(NULL, &sel);
	assert_true(gw_pcrsel_equal(&sel, &want));
	gwpol_free(p);
}

/* The minimal format of verifier/policy_min.c is still a policy. */
static void test_good_old_style(void **state)
{
	struct gwpol *p = good("old-style.json");

	(void)state;
	assert_int_equal(p->version, 3);
	assert_true(p->has_pcr_selection);
	assert_int_equal(gw_pcrsel_count(&p->pcr_selection), 10);
	assert_int_equal(p->n_stages, 2);
	assert_string_equal(p->stages[0].name, "rootfs");
	assert_int_equal(p->stages[0].claim, GWPOL_CLAIM_EXECUTABLES);
	assert_digests(&p->stages[0].digests, 32, "\xaa\xbb");
	assert_string_equal(p->stages[1].name, "application");
	assert_digests(&p->stages[1].digests, 32, "\xcc");
	gwpol_free(p);
}

static void test_good_long_stage(void **state)
{
	struct gwpol *p = good("long-stage.json");

	(void)state;
	assert_string_equal(p->model, "gw-2000");
	assert_int_equal(p->version, UINT32_MAX);
	assert_int_equal(p->n_stages, 4);
	assert_string_equal(p->stages[0].name, "app");
	assert_int_equal(p->stages[0].claim, GWPOL_CLAIM_EXECUTABLES);
	assert_digests(&p->stages[0].digests, 32, "\xaa");
	assert_string_equal(p->stages[1].name, "config");
	assert_int_equal(p->stages[1].claim, GWPOL_CLAIM_CONFIGURATION);
	assert_string_equal(p->stages[2].name, "data");
	assert_int_equal(p->stages[2].claim, GWPOL_CLAIM_FILESYSTEM);
	assert_digests(&p->stages[2].digests, 32, "\xcc\xdd");
	assert_string_equal(p->stages[3].name, "boot");
	assert_int_equal(p->stages[3].claim, GWPOL_CLAIM_EXECUTABLES);
	gwpol_free(p);
}

/* Digest sizes follow the firmware bank. */
static void test_good_banks(void **state)
{
	struct gwpol *p = good("sha1-bank.json");

	(void)state;
	assert_int_equal(p->fw.bank, TPM2_ALG_SHA1);
	assert_int_equal(p->fw.n_pcrs, 2);
	assert_int_equal(p->fw.pcrs[0].pcr, 0);
	assert_int_equal(p->fw.pcrs[0].ev[0].type, EV_S_CRTM_VERSION);
	assert_digests(&p->fw.pcrs[0].ev[0].digests, 20, "\x01");
	/* An empty sequence: no event may extend PCR 4. */
	assert_int_equal(p->fw.pcrs[1].pcr, 4);
	assert_int_equal(p->fw.pcrs[1].mode, GWPOL_PCR_SEQUENCE);
	assert_int_equal(p->fw.pcrs[1].n, 0);
	assert_digests(&p->fw.bootloader, 20, "\x02");
	assert_false(p->fw.has_kernel);
	assert_int_equal(p->update.support_ends, 946771200); /* 2000-01-02T00:00:00Z */
	gwpol_free(p);

	p = good("sha512-bank.json");
	assert_int_equal(p->fw.bank, TPM2_ALG_SHA512);
	assert_int_equal(p->fw.pcrs[0].pcr, 23);
	assert_int_equal(p->fw.pcrs[0].ev[0].type, EV_IPL);
	assert_digests(&p->fw.pcrs[0].ev[0].digests, 64, "\x03");
	assert_true(p->fw.secure_boot.present);
	assert_false(p->fw.secure_boot.enabled);
	assert_false(p->fw.secure_boot.has_pk);
	gwpol_free(p);

	/* "pcrs": {}: the firmware log must extend no PCR at all. */
	p = good("no-firmware-pcrs.json");
	assert_true(p->fw.present);
	assert_int_equal(p->fw.n_pcrs, 0);
	gwpol_free(p);
}

static const char *const good_files[] = { "full.json",	     "minimal.json",	"old-style.json",
					  "long-stage.json", "sha1-bank.json", "sha512-bank.json",
					  "no-firmware-pcrs.json", "boot-files.json" };

/* update.boot_files_pcr read, and lint finds the opt-in sound; without it the
 * policy has none. */
static void test_good_boot_files(void **state)
{
	struct gwpol *p = good("boot-files.json"), *full = good("full.json");
	struct gwpol_diags d = { 0 };
	char why[256];

	(void)state;
	assert_true(p->update.has_boot_files_pcr);
	assert_int_equal(p->update.boot_files_pcr, 9);
	assert_int_equal(gwpol_lint(p, 0, &d), 0);
	assert_null(gwpol_boot_files_unsound(p, why, sizeof(why)));
	assert_false(full->update.has_boot_files_pcr);
	assert_null(gwpol_boot_files_unsound(full, why, sizeof(why)));
	gwpol_free(p);
	gwpol_free(full);
}

/* Every file in good/ is one of the above, so each has its test. */
static void test_good_fixtures_listed(void **state)
{
	DIR *d = opendir(GOOD_DIR);
	struct dirent *de;

	(void)state;
	assert_non_null(d);
	while ((de = readdir(d))) {
		bool found = false;

		if (de->d_name[0] == '.')
			continue;
		for (size_t i = 0; i < GW_ARRAY_SIZE(good_files); i++)
			found |= !strcmp(de->d_name, good_files[i]);
		if (!found)
			fail_msg("%s has no entry in good_files", de->d_name);
	}
	closedir(d);
}

struct bad_case {
	const char *name; /* BAD_DIR/name.json */
	int code;
	const char *msg;  /* the whole first message */
};

static const struct bad_case bad_cases[] = {
	{ "not-object", GW_E_PARSE, "policy: $: not an object" },
	{ "not-json", GW_E_PARSE, "policy: $: not valid JSON at byte 21: unexpected end of input" },
	{ "single-quoted-key", GW_E_PARSE, "policy: $: not valid JSON at byte 26: a single-quoted name" },
	{ "trailing", GW_E_TRAILING, "policy: $: data after the JSON object (byte 35)" },
	{ "nul-byte", GW_E_PARSE, "policy: $: contains a NUL byte (byte 34)" },
	{ "escaped-nul", GW_E_PARSE, "policy: $: contains \\u0000 (byte 52)" },
	{ "too-deep", GW_E_PARSE, "policy: $: nested deeper than 8 levels (byte 152)" },
	{ "duplicate-key", GW_E_PARSE, "policy: $: duplicate key 'model'" },
	{ "duplicate-key-nested", GW_E_PARSE, "policy: $.firmware.pcrs.4: duplicate key 'sequence'" },
	{ "duplicate-key-escaped", GW_E_PARSE, "policy: $: duplicate key (two keys spell one name with different escapes)" },
	{ "duplicate-pcr", GW_E_PARSE, "policy: $.firmware.pcrs: duplicate key '4'" },
	{ "unknown-key", GW_E_PARSE, "policy: $: unknown key 'foo'" },
	{ "missing-model", GW_E_PARSE, "policy: $: missing key 'model'" },
	{ "missing-version", GW_E_PARSE, "policy: $: missing key 'version'" },
	{ "model-space", GW_E_PARSE, "policy: $.model: not a name (1-64 of A-Z a-z 0-9 . _ -)" },
	{ "model-newline", GW_E_PARSE, "policy: $.model: not a name (1-64 of A-Z a-z 0-9 . _ -)" },
	{ "digest-newline", GW_E_PARSE, "policy: $.trust.gate_key[0]: not a sha256 digest (64 lower-case hex)" },
	{ "comment-newline", GW_E_PARSE, "policy: $.firmware.pcrs.4.comment: contains a control character (U+000A)" },
	{ "model-long", GW_E_PARSE, "policy: $.model: not a name (1-64 of A-Z a-z 0-9 . _ -)" },
	{ "version-zero", GW_E_PARSE, "policy: $.version: not in 1..4294967295" },
	{ "version-2p32", GW_E_PARSE, "policy: $.version: not in 1..4294967295" },
	{ "version-double", GW_E_PARSE, "policy: $.version: not an integer" },
	{ "version-string", GW_E_PARSE, "policy: $.version: not an integer" },
	{ "description-null", GW_E_PARSE, "policy: $.description: not a string" },
	{ "description-control", GW_E_PARSE, "policy: $.description: contains a control character (U+0007)" },
	{ "description-c1", GW_E_PARSE, "policy: $.description: contains a control character (U+0085)" },
	{ "description-long", GW_E_TOOBIG, "policy: $.description: longer than 1024 bytes" },
	{ "description-empty", GW_E_PARSE, "policy: $.description: empty (leave the key out instead)" },
	{ "description-overlong-utf8", GW_E_PARSE, "policy: $.description: not valid UTF-8" },
	{ "pcr-selection-bank", GW_E_PARSE, "policy: $.pcr_selection: PCR selection: unknown bank 'sha999'" },
	{ "freshness-low", GW_E_PARSE, "policy: $.freshness_seconds: not in 60..31536000" },
	{ "freshness-high", GW_E_PARSE, "policy: $.freshness_seconds: not in 60..31536000" },
	{ "firmware-no-bank", GW_E_PARSE, "policy: $.firmware: missing key 'bank'" },
	{ "firmware-no-pcrs", GW_E_PARSE, "policy: $.firmware: missing key 'pcrs'" },
	{ "firmware-bank-md5", GW_E_PARSE, "policy: $.firmware.bank: unknown bank 'md5' (sha1, sha256, sha384 or sha512)" },
	{ "pcr-leading-zero", GW_E_PARSE, "policy: $.firmware.pcrs: '04' is not a PCR number (0-23, no leading zero)" },
	{ "pcr-24", GW_E_PARSE, "policy: $.firmware.pcrs: '24' is not a PCR number (0-23, no leading zero)" },
	{ "pcr-two-modes", GW_E_PARSE, "policy: $.firmware.pcrs.4: exactly one of sequence, allowed, unchecked" },
	{ "pcr-no-mode", GW_E_PARSE, "policy: $.firmware.pcrs.4: exactly one of sequence, allowed, unchecked" },
	{ "unchecked-false", GW_E_PARSE, "policy: $.firmware.pcrs.4.unchecked: must be true (give a sequence or allowed list instead)" },
	{ "sequence-object", GW_E_PARSE, "policy: $.firmware.pcrs.4.sequence: not an array" },
	{ "digest-upper", GW_E_PARSE, "policy: $.firmware.pcrs.4.sequence[0].digests[0]: not a sha256 digest (64 lower-case hex)" },
	{ "digest-sha256-in-sha1", GW_E_PARSE, "policy: $.firmware.pcrs.4.sequence[0].digests[1]: not a sha1 digest (40 lower-case hex)" },
	{ "digest-duplicate", GW_E_PARSE, "policy: $.firmware.pcrs.4.sequence[1].digests[2]: duplicate digest (same as [0])" },
	{ "digests-empty", GW_E_PARSE, "policy: $.firmware.pcrs.4.sequence[0].digests: empty (at least one digest)" },
	{ "digests-too-many", GW_E_TOOBIG, "policy: $.firmware.pcrs.4.sequence[0].digests: more than 256 digests" },
	{ "type-unknown-name", GW_E_PARSE, "policy: $.firmware.pcrs.4.sequence[0].type: unknown event type name 'EV_FOO' (write unknown types as 0x and 8 hex digits)" },
	{ "type-known-hex", GW_E_PARSE, "policy: $.firmware.pcrs.4.sequence[0].type: 0x00000004 is EV_SEPARATOR: write the name" },
	{ "type-short-hex", GW_E_PARSE, "policy: $.firmware.pcrs.4.sequence[0].type: not an event type (a name such as EV_SEPARATOR, or 0x and 8 lower-case hex digits)" },
	{ "type-upper-hex", GW_E_PARSE, "policy: $.firmware.pcrs.4.sequence[0].type: not an event type (a name such as EV_SEPARATOR, or 0x and 8 lower-case hex digits)" },
	{ "event-missing-type", GW_E_PARSE, "policy: $.firmware.pcrs.4.sequence[0]: missing key 'type'" },
	{ "event-unknown-key", GW_E_PARSE, "policy: $.firmware.pcrs.4.allowed[0]: unknown key 'pcr'" },
	{ "allow-types-named", GW_E_PARSE, "policy: $.firmware.allow_event_types[0]: EV_SEPARATOR is a TCG type, always allowed (list only types without a name)" },
	{ "allow-types-duplicate", GW_E_PARSE, "policy: $.firmware.allow_event_types[2]: duplicate type (same as [0])" },
	{ "required-text-and-data", GW_E_PARSE, "policy: $.firmware.required_events[0]: at most one of text, data" },
	{ "required-data-odd", GW_E_PARSE, "policy: $.firmware.required_events[0].data: not hex (an even number of lower-case hex digits)" },
	{ "required-data-long", GW_E_TOOBIG, "policy: $.firmware.required_events[0].data: more than 1024 bytes" },
	{ "required-pcr-24", GW_E_PARSE, "policy: $.firmware.required_events[0].pcr: not in 0..23" },
	{ "required-too-many", GW_E_TOOBIG, "policy: $.firmware.required_events: more than 256 required events" },
	{ "secure-boot-no-enabled", GW_E_PARSE, "policy: $.firmware.secure_boot: missing key 'enabled'" },
	{ "secure-boot-enabled-string", GW_E_PARSE, "policy: $.firmware.secure_boot.enabled: not true or false" },
	{ "stages-empty", GW_E_PARSE, "policy: $.stages: no stage (leave the key out instead)" },
	{ "stage-bad-name", GW_E_PARSE, "policy: $.stages: 'root fs' is not a stage name (1-64 of A-Z a-z 0-9 . _ -)" },
	{ "stage-string", GW_E_PARSE, "policy: $.stages.rootfs: not an array of digests or an object with digests and claim" },
	{ "stage-bad-claim", GW_E_PARSE, "policy: $.stages.rootfs.claim: not a claim (executables, configuration or file-system)" },
	{ "stage-sha1-digest", GW_E_PARSE, "policy: $.stages.rootfs[1]: not a sha256 digest (64 lower-case hex)" },
	{ "stages-too-many", GW_E_TOOBIG, "policy: $.stages: more than 64 stages" },
	{ "trust-unknown-key", GW_E_PARSE, "policy: $.trust: unknown key 'root'" },
	{ "date-feb29-2029", GW_E_PARSE, "policy: $.update.end_of_support: not a date (YYYY-MM-DD, a real day of 2000-9999)" },
	{ "date-short", GW_E_PARSE, "policy: $.update.end_of_support: not a date (YYYY-MM-DD, a real day of 2000-9999)" },
	{ "date-1999", GW_E_PARSE, "policy: $.update.end_of_support: not a date (YYYY-MM-DD, a real day of 2000-9999)" },
	{ "date-month-13", GW_E_PARSE, "policy: $.update.end_of_support: not a date (YYYY-MM-DD, a real day of 2000-9999)" },
	{ "min-security-negative", GW_E_PARSE, "policy: $.update.min_security_version: not in 0..4294967295" },
	{ "channels-duplicate", GW_E_PARSE, "policy: $.update.channels[2]: duplicate channel (same as [0])" },
	{ "boot-files-pcr-24", GW_E_PARSE, "policy: $.update.boot_files_pcr: not in 0..23" },
	{ "boot-files-pcr-string", GW_E_PARSE, "policy: $.update.boot_files_pcr: not an integer" },
	{ "channels-bad-name", GW_E_PARSE, "policy: $.update.channels[0]: not a name (1-64 of A-Z a-z 0-9 . _ -)" },
	{ "comment-long", GW_E_TOOBIG, "policy: $.firmware.pcrs.4.comment: longer than 1024 bytes" },
	{ "logs-pcr-24", GW_E_PARSE, "policy: $.logs.firmware[1]: not in 0..23" },
	{ "logs-duplicate-pcr", GW_E_PARSE, "policy: $.logs.cel[2]: duplicate PCR 13" },
	{ "logs-empty", GW_E_PARSE, "policy: $.logs: empty (leave the key out instead)" },
	{ "logs-unknown-key", GW_E_PARSE, "policy: $.logs: unknown key 'systemd'" },
	{ "logs-not-list", GW_E_PARSE, "policy: $.logs.firmware: not an array" },
};

static void test_bad_fixtures(void **state)
{
	(void)state;
	for (size_t i = 0; i < GW_ARRAY_SIZE(bad_cases); i++) {
		const struct bad_case *c = &bad_cases[i];
		struct gwpol *p = NULL;
		struct gwpol_diags d;
		gw_error err = { { 0 } };
		char path[256], first[sizeof(err.msg)];
		int rc;

		assert_int_equal(gw_snprintf(path, sizeof(path), "%s/%s.json", BAD_DIR, c->name), 0);
		rc = parse_file(path, &p, &d, &err);
		if (rc != c->code)
			fail_msg("%s: got %d (%s), expected %d", c->name, rc, gw_error_msg(&err, rc),
				 c->code);
		if (strcmp(err.msg, c->msg))
			fail_msg("%s: message\n  '%s'\nexpected\n  '%s'", c->name, err.msg, c->msg);
		assert_null(p);
		/* err is the first diagnostic. */
		assert_true(d.n >= 1);
		assert_int_equal(gw_snprintf(first, sizeof(first), "policy: %s: %s", d.d[0].path,
					     d.d[0].msg),
				 0);
		assert_string_equal(first, err.msg);
	}
}

/* Every fixture in bad/ has an entry above (and test_bad_fixtures reads each entry). */
static void test_bad_fixtures_listed(void **state)
{
	DIR *d = opendir(BAD_DIR);
	struct dirent *de;
	size_t n = 0;

	(void)state;
	assert_non_null(d);
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		bool found = false;

		if (de->d_name[0] == '.')
			continue;
		for (size_t i = 0; i < GW_ARRAY_SIZE(bad_cases); i++)
			found |= l == strlen(bad_cases[i].name) + 5 &&
				 !strncmp(de->d_name, bad_cases[i].name, l - 5) &&
				 !strcmp(de->d_name + l - 5, ".json");
		if (!found)
			fail_msg("%s has no entry in bad_cases", de->d_name);
		n++;
	}
	closedir(d);
	assert_int_equal(n, GW_ARRAY_SIZE(bad_cases));
}

static int parse_str(const char *s, struct gwpol **out, struct gwpol_diags *d, gw_error *err)
{
	return gwpol_parse(s, strlen(s), out, d, err);
}

#define DA "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\""

/* Parsing goes on after an error, in siblings and deeper down. */
static void test_diags_three(void **state)
{
	static const char doc[] =
		"{\"model\": \"gw 1000\", \"version\": 1,\n"
		" \"firmware\": {\"bank\": \"sha256\", \"pcrs\": {\"4\": {\"sequence\": [\n"
		"   {\"type\": \"EV_SEPARATOR\", \"digests\": [" DA "]},\n"
		"   {\"type\": \"EV_SEPARATOR\", \"digests\": [" DA ", \"AA\"]}]}}},\n"
		" \"update\": {\"end_of_support\": \"2029-02-29\"}}";
	struct gwpol *p = NULL;
	struct gwpol_diags d;
	gw_error err = { { 0 } };

	(void)state;
	assert_int_equal(parse_str(doc, &p, &d, &err), GW_E_PARSE);
	assert_null(p);
	assert_int_equal(d.n, 3);
	assert_int_equal(d.dropped, 0);
	assert_string_equal(d.d[0].path, "$.model");
	assert_string_equal(d.d[1].path, "$.firmware.pcrs.4.sequence[1].digests[1]");
	assert_string_equal(d.d[1].msg, "not a sha256 digest (64 lower-case hex)");
	assert_string_equal(d.d[2].path, "$.update.end_of_support");
	assert_string_equal(err.msg, "policy: $.model: not a name (1-64 of A-Z a-z 0-9 . _ -)");

	/* The same without a diags buffer: the same result and first message. */
	memset(&err, 0, sizeof(err));
	assert_int_equal(parse_str(doc, &p, NULL, &err), GW_E_PARSE);
	assert_null(p);
	assert_string_equal(err.msg, "policy: $.model: not a name (1-64 of A-Z a-z 0-9 . _ -)");
}

/* A duplicate key is reported, and the rest still checked. */
static void test_diags_after_duplicate(void **state)
{
	static const char doc[] = "{\"model\": \"a\", \"version\": 1, \"version\": 0, \"x\": 1}";
	struct gwpol *p = NULL;
	struct gwpol_diags d;

	(void)state;
	assert_int_equal(parse_str(doc, &p, &d, NULL), GW_E_PARSE);
	assert_int_equal(d.n, 3);
	assert_string_equal(d.d[0].msg, "duplicate key 'version'");
	assert_string_equal(d.d[1].msg, "unknown key 'x'");
	assert_string_equal(d.d[2].path, "$.version");
}

/* Over GWPOL_MAX_DIAGS problems: the first ones kept, the rest counted. */
static void test_diags_dropped(void **state)
{
	char doc[4096];
	size_t off;
	struct gwpol *p = NULL;
	struct gwpol_diags d;
	gw_error err = { { 0 } };

	(void)state;
	off = (size_t)snprintf(doc, sizeof(doc), "{\"model\": \"m\", \"version\": 1");
	for (int i = 0; i < 70; i++)
		off += (size_t)snprintf(doc + off, sizeof(doc) - off, ", \"k%d\": %d", i, i);
	assert_true(off + 2 < sizeof(doc));
	memcpy(doc + off, "}", 2);
	assert_int_equal(parse_str(doc, &p, &d, &err), GW_E_PARSE);
	assert_null(p);
	assert_int_equal(d.n, GWPOL_MAX_DIAGS);
	assert_int_equal(d.dropped, 70 - GWPOL_MAX_DIAGS);
	assert_string_equal(d.d[0].msg, "unknown key 'k0'");
	assert_string_equal(d.d[63].msg, "unknown key 'k63'");
	assert_string_equal(err.msg, "policy: $: unknown key 'k0'");

	/* A second parse starts with empty diagnostics. */
	assert_int_equal(parse_str("{\"model\": \"m\", \"version\": 1}", &p, &d, &err), 0);
	assert_int_equal(d.n, 0);
	assert_int_equal(d.dropped, 0);
	gwpol_free(p);
}

/* A growing buffer for generated documents. */
struct sbuf {
	char *s;
	size_t len, cap;
};

__attribute__((format(printf, 2, 3)))
static void sb_add(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	assert_true(n >= 0);
	if (b->len + (size_t)n + 1 > b->cap) {
		b->cap = 2 * (b->len + (size_t)n + 1);
		b->s = realloc(b->s, b->cap);
		assert_non_null(b->s);
	}
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* A PCR 4 sequence of n events, each with a distinct digest. */
static int parse_events(size_t n, gw_error *err)
{
	struct sbuf b = { NULL, 0, 0 };
	struct gwpol *p = NULL;
	int rc;

	sb_add(&b, "{\"model\": \"m\", \"version\": 1, \"firmware\": {\"bank\": \"sha256\", "
		   "\"pcrs\": {\"4\": {\"sequence\": [");
	for (size_t i = 0; i < n; i++)
		sb_add(&b, "%s{\"type\": \"EV_IPL\", \"digests\": [\"%064zx\"]}", i ? ", " : "", i);
	sb_add(&b, "]}}}}");
	rc = gwpol_parse(b.s, b.len, &p, NULL, err);
	if (rc == 0) {
		assert_int_equal(p->fw.pcrs[0].n, n);
		assert_int_equal(p->fw.pcrs[0].ev[n - 1].digests.d[0][31], (uint8_t)(n - 1));
	}
	gwpol_free(p);
	free(b.s);
	return rc;
}

static void test_caps(void **state)
{
	gw_error err = { { 0 } };
	struct gwpol *p = NULL;
	struct sbuf b = { NULL, 0, 0 };
	char *big;

	(void)state;
	assert_int_equal(parse_events(GWPOL_MAX_FW_EVENTS, &err), 0);
	assert_int_equal(parse_events(GWPOL_MAX_FW_EVENTS + 1, &err), GW_E_TOOBIG);
	assert_string_equal(err.msg, "policy: $.firmware.pcrs.4.sequence: more than 4096 events");

	/* Size, before anything else. */
	big = malloc(GWPOL_MAX_SIZE + 1);
	assert_non_null(big);
	memset(big, ' ', GWPOL_MAX_SIZE + 1);
	assert_int_equal(gwpol_parse(big, GWPOL_MAX_SIZE + 1, &p, NULL, &err), GW_E_TOOBIG);
	assert_string_equal(err.msg, "policy: $: larger than 2097152 bytes");
	free(big);

	/* 17 channels, 65 types. */
	sb_add(&b, "{\"model\": \"m\", \"version\": 1, \"update\": {\"channels\": [");
	for (int i = 0; i <= GWPOL_MAX_CHANNELS; i++)
		sb_add(&b, "%s\"c%d\"", i ? ", " : "", i);
	sb_add(&b, "]}, \"firmware\": {\"bank\": \"sha1\", \"pcrs\": {\"0\": {\"unchecked\": true}}, "
		   "\"allow_event_types\": [");
	for (int i = 0; i <= GWPOL_MAX_TYPES; i++)
		sb_add(&b, "%s\"0x%08x\"", i ? ", " : "", 0x1000 + i);
	sb_add(&b, "]}}");
	{
		struct gwpol_diags d;

		assert_int_equal(gwpol_parse(b.s, b.len, &p, &d, &err), GW_E_TOOBIG);
		assert_int_equal(d.n, 2);
		assert_string_equal(d.d[0].path, "$.firmware.allow_event_types");
		assert_string_equal(d.d[0].msg, "more than 64 types");
		assert_string_equal(d.d[1].path, "$.update.channels");
		assert_string_equal(d.d[1].msg, "more than 16 channels");
	}
	free(b.s);
}

static void test_dates(void **state)
{
	static const struct {
		const char *date;
		int y, m, d; /* 0: refused */
	} cases[] = {
		{ "2000-01-01", 2000, 1, 1 },	{ "2000-02-29", 2000, 2, 29 },
		{ "2024-02-29", 2024, 2, 29 },	{ "2028-12-31", 2028, 12, 31 },
		{ "2400-02-29", 2400, 2, 29 },	{ "9999-12-31", 9999, 12, 31 },
		{ "2100-02-29", 0, 0, 0 },	{ "2029-02-29", 0, 0, 0 },
		{ "2029-04-31", 0, 0, 0 },	{ "2029-00-10", 0, 0, 0 },
		{ "2029-01-00", 0, 0, 0 },	{ "1999-12-31", 0, 0, 0 },
		{ "2029-1-1", 0, 0, 0 },	{ "2029-01-01T00:00", 0, 0, 0 },
		{ "2029/01/01", 0, 0, 0 },	{ " 2029-01-1", 0, 0, 0 },
		{ "+029-01-01", 0, 0, 0 },	{ "2029-01-32", 0, 0, 0 },
	};

	(void)state;
	for (size_t i = 0; i < GW_ARRAY_SIZE(cases); i++) {
		char doc[256];
		struct gwpol *p = NULL;
		gw_error err = { { 0 } };
		int rc;

		assert_int_equal(gw_snprintf(doc, sizeof(doc),
					     "{\"model\": \"m\", \"version\": 1, \"update\": "
					     "{\"end_of_support\": \"%s\"}}",
					     cases[i].date),
				 0);
		rc = parse_str(doc, &p, NULL, &err);
		if (!cases[i].y) {
			if (rc != GW_E_PARSE)
				fail_msg("%s: accepted", cases[i].date);
			continue;
		}
		if (rc)
			fail_msg("%s: %s", cases[i].date, err.msg);
		assert_string_equal(p->update.end_of_support, cases[i].date);
		assert_int_equal(p->update.support_ends,
				 day_after(cases[i].y, cases[i].m, cases[i].d));
		gwpol_free(p);
	}
}

/* Every type eventlog.c names is written by that name, and only by it. */
static void test_event_types(void **state)
{
	static const uint32_t base[] = { 0x00000000u, 0x80000000u };
	size_t named = 0;
	char buf[16];

	(void)state;
	for (size_t k = 0; k < GW_ARRAY_SIZE(base); k++)
		for (uint32_t t = base[k]; t < base[k] + 0x100; t++) {
			const char *name = eventlog_type_name(t);
			char doc[512];
			struct gwpol *p = NULL;
			gw_error err = { { 0 } };
			int rc;

			assert_int_equal(gw_snprintf(doc, sizeof(doc),
						     "{\"model\": \"m\", \"version\": 1, \"firmware\": "
						     "{\"bank\": \"sha256\", \"pcrs\": {\"0\": "
						     "{\"sequence\": [{\"type\": \"%s\", \"digests\": "
						     "[" DA "]}]}}}}",
						     gwpol_type_str(t, buf, sizeof(buf))),
					 0);
			rc = parse_str(doc, &p, NULL, &err);
			if (rc)
				fail_msg("0x%08x: %s", (unsigned)t, err.msg);
			assert_int_equal(p->fw.pcrs[0].ev[0].type, t);
			gwpol_free(p);
			if (!name) {
				assert_string_equal(gwpol_type_str(t, buf, sizeof(buf)), buf);
				continue;
			}
			named++;
			assert_string_equal(gwpol_type_str(t, buf, sizeof(buf)), name);
			/* The hex spelling of a named type is refused. */
			assert_int_equal(gw_snprintf(doc, sizeof(doc),
						     "{\"model\": \"m\", \"version\": 1, \"firmware\": "
						     "{\"bank\": \"sha256\", \"pcrs\": {\"0\": "
						     "{\"sequence\": [{\"type\": \"0x%08x\", \"digests\": "
						     "[" DA "]}]}}}}",
						     (unsigned)t),
					 0);
			assert_int_equal(parse_str(doc, &p, NULL, &err), GW_E_PARSE);
			assert_non_null(strstr(err.msg, name));
		}
	assert_true(named >= 30);
	assert_string_equal(gwpol_type_str(0xdeadbeefu, buf, sizeof(buf)), "0xdeadbeef");
}

static void test_null_args(void **state)
{
	struct gwpol *p = NULL;
	gw_error err = { { 0 } };

	(void)state;
	assert_int_equal(gwpol_parse(NULL, 0, &p, NULL, &err), GW_E_INVAL);
	assert_int_equal(gwpol_parse("{}", 2, NULL, NULL, &err), GW_E_INVAL);
	assert_int_equal(gwpol_parse("", 0, &p, NULL, NULL), GW_E_PARSE);
	assert_null(p);
	gwpol_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_full),
		cmocka_unit_test(test_good_minimal),
		cmocka_unit_test(test_good_old_style),
		cmocka_unit_test(test_good_long_stage),
		cmocka_unit_test(test_good_banks),
		cmocka_unit_test(test_good_fixtures_listed),
		cmocka_unit_test(test_good_boot_files),
		cmocka_unit_test(test_bad_fixtures),
		cmocka_unit_test(test_bad_fixtures_listed),
		cmocka_unit_test(test_diags_three),
		cmocka_unit_test(test_diags_after_duplicate),
		cmocka_unit_test(test_diags_dropped),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_event_types),
		cmocka_unit_test(test_null_args),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
