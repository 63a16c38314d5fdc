// SPDX-License-Identifier: Apache-2.0
// Unit tests for the TCG PC Client firmware event log parser and replayer.
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "digest.h"
#include "eventlog.h"
#include "util.h"

#define FIXTURES "common/tests/fixtures/eventlog"
#define READ_CAP (32u * 1024 * 1024)

/* The real firmware logs committed in testdata/ (see its README for their origin). */
static const char *testdata_dir(void)
{
	return "testdata/eventlogs";
}

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

static struct eventlog *parse_ok(const char *dir, const char *name)
{
	struct eventlog *log = NULL;
	gw_error err = { { 0 } };
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	read_path(dir, name, &buf, &len);
	rc = eventlog_parse(buf, len, &log, &err);
	free(buf);
	if (rc)
		fail_msg("%s: %s", name, gw_error_msg(&err, rc));
	return log;
}

/* The real logs, all of which must parse except the one whose vendorInfo lies
 * outside its Spec ID event. */
static const char *const testdata_logs[] = {
	"go-attestation-coreos_36_shielded_vm_no_secure_boot_eventlog.bin",
	"go-attestation-crypto_agile_eventlog.bin",
	"go-attestation-ebs_event_missing_eventlog.bin",
	"go-attestation-option_rom_eventlog.bin",
	"go-attestation-sb_cert_eventlog.bin",
	"go-attestation-short_no_action_eventlog.bin",
	"go-attestation-ubuntu_2104_shielded_vm_no_secure_boot_eventlog.bin",
	"tpm2-tools-event-arch-linux.bin",
	"tpm2-tools-event-bootorder.bin",
	"tpm2-tools-event-gce-ubuntu-2104-log.bin",
	"tpm2-tools-event-moklisttrusted.bin",
	"tpm2-tools-event-postcode.bin",
	"tpm2-tools-event-sd-boot-fedora37.bin",
	"tpm2-tools-event-uefi-sha1-log.bin",
	"tpm2-tools-event-uefiaction.bin",
	"tpm2-tools-event-uefiservices.bin",
	"tpm2-tools-event-uefivar.bin",
	"tpm2-tools-specid-vendordata.bin",
};

static const char *const good_fixtures[] = {
	"agile-basic.bin", "hcrtm.bin", "legacy-locality.bin", "noaction-pcr-ffffffff.bin",
	"startup-locality.bin", "unknown-alg.bin", "unknown-type.bin",
};

static bool is_good_fixture(const char *name)
{
	for (size_t i = 0; i < GW_ARRAY_SIZE(good_fixtures); i++)
		if (!strcmp(good_fixtures[i], name))
			return true;
	return false;
}

/* Compare a replayed set with expected/NAME.pcrs ("BANK PCR HEX" lines): every
 * listed PCR must match, and every PCR the replay changed must be listed. */
static void compare_expected(const char *name, const struct gw_pcr_set *set)
{
	char file[512];
	uint8_t *text = NULL;
	size_t len = 0;
	uint32_t listed[GW_MAX_BANKS] = { 0 };
	char *line, *next;
	size_t nlines = 0;

	assert_int_equal(gw_snprintf(file, sizeof(file), "%s.pcrs", name), 0);
	read_path(FIXTURES "/expected", file, &text, &len);
	for (line = (char *)text; line && *line; line = next) {
		char *bank_s, *pcr_s, *hex_s, *sp;
		const struct gw_alg *a;
		const struct gw_pcr_bank *b;
		char got[2 * GW_MAX_DIGEST + 1];
		uint64_t pcr;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (*line == '#' || *line == '\0')
			continue;
		bank_s = line;
		sp = strchr(bank_s, ' ');
		assert_non_null(sp);
		*sp = '\0';
		pcr_s = sp + 1;
		sp = strchr(pcr_s, ' ');
		assert_non_null(sp);
		*sp = '\0';
		hex_s = sp + 1;
		a = gw_alg_by_name(bank_s);
		assert_non_null(a);
		assert_int_equal(gw_parse_u64(pcr_s, GW_NUM_PCRS - 1, &pcr), 0);
		b = gw_pcr_set_find(set, a->id);
		if (!b)
			fail_msg("%s: no %s bank after replay", name, bank_s);
		gw_hex_encode(b->pcr[pcr], b->size, got);
		if (strcmp(got, hex_s))
			fail_msg("%s: %s PCR %u is %s, expected %s", name, bank_s, (unsigned)pcr, got,
				 hex_s);
		listed[b - set->bank] |= 1u << pcr;
		nlines++;
	}
	for (size_t i = 0; i < set->nbanks; i++)
		if (set->bank[i].touched & ~listed[i])
			fail_msg("%s: %s bank changed PCRs 0x%x not in the expected values", name,
				 gw_alg_by_id(set->bank[i].alg)->name,
				 set->bank[i].touched & ~listed[i]);
	assert_true(nlines > 0);
	free(text);
}

static void replay_and_check(const struct eventlog *log, const char *name)
{
	struct gw_pcr_set full = { 0 }, step = { 0 };
	struct json_object *json = NULL;
	gw_error err = { { 0 } };
	int rc;

	rc = eventlog_replay(log, &full, &err);
	if (rc)
		fail_msg("%s: replay: %s", name, gw_error_msg(&err, rc));
	compare_expected(name, &full);
	/* Step by step gives the same values. */
	assert_int_equal(eventlog_replay_init(log, &step, NULL), 0);
	for (size_t i = 0; i < log->nevents; i++)
		assert_int_equal(eventlog_extend_event(log, &log->events[i], &step, NULL), 0);
	assert_int_equal(step.nbanks, full.nbanks);
	assert_memory_equal(&step, &full, sizeof(full));
	assert_int_equal(eventlog_events_json(log, &json), 0);
	assert_int_equal(json_object_array_length(json), log->nevents);
	json_object_put(json);
}

/* Every file in expected/ names a log in testdata or good/. */
static void test_replay_matches_expected(void **state)
{
	DIR *d = opendir(FIXTURES "/expected");
	struct dirent *de;
	size_t n = 0;

	(void)state;
	assert_non_null(d);
	while ((de = readdir(d))) {
		char name[256];
		size_t l = strlen(de->d_name);
		struct eventlog *log;

		if (l < 6 || strcmp(de->d_name + l - 5, ".pcrs"))
			continue;
		assert_true(l - 5 < sizeof(name));
		memcpy(name, de->d_name, l - 5);
		name[l - 5] = '\0';
		log = parse_ok(is_good_fixture(name) ? FIXTURES "/good" : testdata_dir(), name);
		replay_and_check(log, name);
		eventlog_free(log);
		n++;
	}
	closedir(d);
	/* 17 real logs (all but specid-vendordata) and the 7 good fixtures. */
	assert_int_equal(n, 24);
}

static void test_testdata_properties(void **state)
{
	struct eventlog *log;
	uint8_t *buf = NULL;
	size_t len = 0;
	gw_error err = { { 0 } };

	(void)state;
	log = parse_ok(testdata_dir(), "go-attestation-short_no_action_eventlog.bin");
	assert_int_equal(log->format, EVENTLOG_LEGACY_SHA1);
	assert_true(log->has_locality);
	assert_int_equal(log->locality, 3);
	assert_int_equal(log->nevents, 1);
	eventlog_free(log);

	log = parse_ok(testdata_dir(), "go-attestation-option_rom_eventlog.bin");
	assert_int_equal(log->format, EVENTLOG_LEGACY_SHA1);
	assert_int_equal(log->nevents, 61);
	assert_int_equal(log->events[60].pcr, 0xffffffffu);
	assert_int_equal(log->events[60].type, EV_NO_ACTION);
	assert_int_equal(log->events[60].offset, 72361);
	eventlog_free(log);

	log = parse_ok(testdata_dir(), "go-attestation-coreos_36_shielded_vm_no_secure_boot_eventlog.bin");
	assert_int_equal(log->format, EVENTLOG_CRYPTO_AGILE);
	assert_int_equal(log->nalgs, 3);
	assert_int_equal(log->algs[2], TPM2_ALG_SHA384);
	assert_int_equal(log->nevents, 76);
	assert_int_equal(log->events[1].ndigests, 3);
	assert_false(log->alg_incomplete[0] || log->alg_incomplete[1] || log->alg_incomplete[2]);
	assert_false(log->has_locality);
	eventlog_free(log);

	/* Spec ID lists four banks, events carry two: accepted like tpm2_eventlog,
	 * and the missing banks are flagged. */
	log = parse_ok(testdata_dir(), "tpm2-tools-event-uefiaction.bin");
	assert_int_equal(log->nalgs, 4);
	assert_false(log->alg_incomplete[0]);
	assert_false(log->alg_incomplete[1]);
	assert_true(log->alg_incomplete[2]);
	assert_true(log->alg_incomplete[3]);
	eventlog_free(log);

	/* vendorInfo outside the Spec ID event: tpm2_eventlog 5.4 reads past the
	 * event, we refuse. */
	read_path(testdata_dir(), "tpm2-tools-specid-vendordata.bin", &buf, &len);
	log = NULL;
	assert_int_equal(eventlog_parse(buf, len, &log, &err), GW_E_PARSE);
	assert_null(log);
	assert_non_null(strstr(err.msg, "vendorInfoSize 4"));
	free(buf);
}

static void truncate_all(const char *dir, const char *name, size_t step)
{
	uint8_t *buf = NULL;
	size_t len = 0;

	read_path(dir, name, &buf, &len);
	for (size_t cut = 0;; cut = cut + step > len ? len : cut + step) {
		struct eventlog *log = NULL;
		gw_error err = { { 0 } };
		/* A fresh heap copy of exactly cut bytes, so ASan sees any over-read. */
		uint8_t *copy = malloc(cut ? cut : 1);
		int rc;

		assert_non_null(copy);
		memcpy(copy, buf, cut);
		rc = eventlog_parse(copy, cut, &log, &err);
		if (rc) {
			assert_true(rc < 0);
			assert_null(log);
			assert_true(err.msg[0] != '\0');
		} else {
			struct gw_pcr_set set = { 0 };
			struct json_object *json = NULL;

			assert_int_equal(eventlog_replay(log, &set, NULL), 0);
			assert_int_equal(eventlog_events_json(log, &json), 0);
			json_object_put(json);
			eventlog_free(log);
		}
		free(copy);
		if (cut == len)
			break;
	}
	/* One byte short always cuts the last event. */
	if (len > 1) {
		struct eventlog *log = NULL;
		int rc = eventlog_parse(buf, len - 1, &log, NULL);

		assert_true(rc == GW_E_TRUNCATED || rc == GW_E_PARSE);
		assert_null(log);
	}
	free(buf);
}

static void test_truncated_everywhere(void **state)
{
	(void)state;
	for (size_t i = 0; i < GW_ARRAY_SIZE(testdata_logs); i++)
		truncate_all(testdata_dir(), testdata_logs[i], 97);
	for (size_t i = 0; i < GW_ARRAY_SIZE(good_fixtures); i++)
		truncate_all(FIXTURES "/good", good_fixtures[i], 1);
}

static void test_truncated_last_event(void **state)
{
	static const char *const agile[] = {
		"tpm2-tools-event-arch-linux.bin", "go-attestation-crypto_agile_eventlog.bin",
	};

	(void)state;
	for (size_t i = 0; i < GW_ARRAY_SIZE(agile); i++) {
		struct eventlog *log = NULL;
		gw_error err = { { 0 } };
		uint8_t *buf = NULL;
		size_t len = 0;

		read_path(testdata_dir(), agile[i], &buf, &len);
		assert_int_equal(eventlog_parse(buf, len - 1, &log, &err), GW_E_TRUNCATED);
		assert_non_null(strstr(err.msg, "truncated in the event data"));
		assert_non_null(strstr(err.msg, "at offset"));
		free(buf);
	}
}

struct bad_case {
	const char *file;
	int rc;
	const char *msg; /* substring of the detail */
};

static const struct bad_case bad_cases[] = {
	{ "empty.bin", GW_E_TRUNCATED, "empty" },
	{ "truncated-header.bin", GW_E_TRUNCATED, "event 0 at offset 0: truncated in the event header" },
	{ "truncated-specid.bin", GW_E_TRUNCATED, "event 0 at offset 0: truncated in the event data" },
	{ "truncated-in-count.bin", GW_E_TRUNCATED, "event 1 at offset 69: truncated in the event header" },
	{ "truncated-in-digest.bin", GW_E_TRUNCATED, "event 1 at offset 69: truncated in digest 1" },
	{ "truncated-in-data.bin", GW_E_TRUNCATED, "event 1 at offset 69: truncated in the event data (8 bytes, 5 left)" },
	{ "trailing-partial-event.bin", GW_E_TRUNCATED, "event 13 at offset 1075: truncated in the event header" },
	{ "legacy-truncated.bin", GW_E_TRUNCATED, "event 1 at offset 35: truncated in the event header" },
	{ "oversized-event-data.bin", GW_E_TOOBIG, "event 1 at offset 69: event data size 2147483647 over the cap" },
	{ "oversized-event-data-2mib.bin", GW_E_TOOBIG, "event data size 2097152 over the cap of 1048576" },
	{ "oversized-digest-count.bin", GW_E_PARSE, "event 1 at offset 69: digest count 4294967295 exceeds the 2 algorithms" },
	{ "digest-count-3-of-2.bin", GW_E_PARSE, "digest count 3 exceeds" },
	{ "zero-digest-count.bin", GW_E_PARSE, "event 1 at offset 69: no digests" },
	{ "digest-alg-not-in-specid.bin", GW_E_PARSE, "digest algorithm 0x000c is not in the Spec ID event" },
	{ "duplicate-digest-alg.bin", GW_E_PARSE, "two digests for algorithm 0x000b" },
	{ "specid-wrong-version.bin", GW_E_UNSUPPORTED, "unknown Spec ID signature" },
	{ "specid-zero-algs.bin", GW_E_PARSE, "lists no algorithms" },
	{ "specid-too-many-algs.bin", GW_E_PARSE, "lists 4294967295 algorithms, more than 5" },
	{ "specid-short-for-algs.bin", GW_E_PARSE, "too short for 3 algorithms" },
	{ "specid-digest-size-mismatch.bin", GW_E_PARSE, "gives sha256 a digest size of 20, not 32" },
	{ "specid-unknown-alg-size-0.bin", GW_E_PARSE, "algorithm 0x00aa a digest size of 0" },
	{ "specid-duplicate-alg.bin", GW_E_PARSE, "lists algorithm 0x000b twice" },
	{ "specid-vendorinfo-overflow.bin", GW_E_PARSE, "vendorInfoSize 200 exceeds the 0 bytes left" },
	{ "specid-trailing.bin", GW_E_TRAILING, "3 bytes after the Spec ID vendor info" },
	{ "specid-nonzero-digest.bin", GW_E_PARSE, "Spec ID event digest is not zero" },
	{ "specid-pcr-1.bin", GW_E_PARSE, "Spec ID event in PCR 1" },
	{ "pcr-out-of-range.bin", GW_E_PARSE, "event 1 at offset 69: PCR index 24 out of range 0-23" },
	{ "legacy-pcr-out-of-range.bin", GW_E_PARSE, "event 0 at offset 0: PCR index 4294967295 out of range" },
	{ "startup-locality-late.bin", GW_E_PARSE, "event 2 at offset 149: StartupLocality after PCR 0 was extended" },
	{ "startup-locality-twice.bin", GW_E_PARSE, "event 2 at offset 158: second StartupLocality" },
	{ "startup-locality-value.bin", GW_E_PARSE, "StartupLocality 9 out of range 0-4" },
	{ "startup-locality-size.bin", GW_E_PARSE, "StartupLocality event data is 18 bytes, not 17" },
	{ "startup-locality-pcr.bin", GW_E_PARSE, "StartupLocality event in PCR 1, not 0" },
	{ "hcrtm-late.bin", GW_E_PARSE, "event 2 at offset 149: H-CRTM event after PCR 0 was extended" },
};

static void test_bad_fixtures(void **state)
{
	(void)state;
	for (size_t i = 0; i < GW_ARRAY_SIZE(bad_cases); i++) {
		const struct bad_case *c = &bad_cases[i];
		struct eventlog *log = NULL;
		gw_error err = { { 0 } };
		uint8_t *buf = NULL;
		size_t len = 0;
		int rc;

		read_path(FIXTURES "/bad", c->file, &buf, &len);
		rc = eventlog_parse(buf, len, &log, &err);
		if (rc != c->rc || !strstr(err.msg, c->msg))
			fail_msg("%s: got %d (%s), want %d with \"%s\"", c->file, rc, err.msg, c->rc,
				 c->msg);
		assert_null(log);
		free(buf);
	}
}

/* The Spec ID signature is mangled, so the log reads as legacy SHA-1 and the
 * crypto-agile events after it fail to parse as such. */
static void test_bad_specid_magic(void **state)
{
	struct eventlog *log = NULL;
	gw_error err = { { 0 } };
	uint8_t *buf = NULL;
	size_t len = 0;

	(void)state;
	read_path(FIXTURES "/bad", "specid-wrong-magic.bin", &buf, &len);
	assert_true(eventlog_parse(buf, len, &log, &err) < 0);
	assert_null(log);
	assert_non_null(strstr(err.msg, "event 1 at offset 69"));
	free(buf);
}

static void test_unknown_type(void **state)
{
	struct eventlog *log = parse_ok(FIXTURES "/good", "unknown-type.bin");
	struct json_object *json = NULL, *ev, *v;

	(void)state;
	assert_int_equal(log->events[1].type, 0xbeef);
	assert_int_equal(log->events[1].pcr, 5);
	assert_false(eventlog_type_known(log->events[1].type));
	assert_null(eventlog_type_name(log->events[1].type));
	assert_int_equal(eventlog_events_json(log, &json), 0);
	ev = json_object_array_get_idx(json, 1);
	assert_true(json_object_object_get_ex(ev, "type", &v));
	assert_string_equal(json_object_get_string(v), "0x0000beef");
	assert_true(json_object_object_get_ex(ev, "type_known", &v));
	assert_false(json_object_get_boolean(v));
	json_object_put(json);
	eventlog_free(log);
	/* It still extends: PCR 5 differs from agile-basic (checked in
	 * test_replay_matches_expected against tpm2_eventlog). */
}

static void test_unknown_alg(void **state)
{
	struct eventlog *log = parse_ok(FIXTURES "/good", "unknown-alg.bin");
	struct gw_pcr_set set = { 0 };
	struct json_object *json = NULL, *ev, *v, *d;

	(void)state;
	assert_int_equal(log->nalgs, 2);
	assert_int_equal(log->algs[0], 0x00aa);
	assert_int_equal(log->alg_sizes[0], 24);
	assert_int_equal(eventlog_replay(log, &set, NULL), 0);
	assert_int_equal(set.nbanks, 1);
	assert_int_equal(set.bank[0].alg, TPM2_ALG_SHA256);
	assert_int_equal(eventlog_events_json(log, &json), 0);
	ev = json_object_array_get_idx(json, 1);
	assert_true(json_object_object_get_ex(ev, "digests", &d));
	assert_true(json_object_object_get_ex(d, "0x00aa", &v));
	assert_string_equal(json_object_get_string(v),
			    "000102030405060708090a0b0c0d0e0f1011121314151617");
	json_object_put(json);
	eventlog_free(log);
}

static void test_locality_and_hcrtm(void **state)
{
	struct eventlog *log;
	struct gw_pcr_set set = { 0 };
	gw_error err = { { 0 } };

	(void)state;
	log = parse_ok(FIXTURES "/good", "startup-locality.bin");
	assert_true(log->has_locality);
	assert_int_equal(log->locality, 3);
	assert_false(log->hcrtm);
	assert_int_equal(eventlog_replay_init(log, &set, NULL), 0);
	assert_int_equal(set.bank[1].pcr[0][31], 3);
	assert_int_equal(set.bank[1].touched, 1);
	/* The start value can only be set on a fresh set. */
	assert_int_equal(eventlog_replay(log, &set, &err), GW_E_STATE);
	assert_non_null(strstr(err.msg, "not fresh"));
	eventlog_free(log);

	log = parse_ok(FIXTURES "/good", "hcrtm.bin");
	assert_true(log->hcrtm);
	assert_false(log->has_locality);
	memset(&set, 0, sizeof(set));
	assert_int_equal(eventlog_replay_init(log, &set, NULL), 0);
	assert_int_equal(set.bank[0].pcr[0][19], 4);
	eventlog_free(log);
}

static void test_replay_errors(void **state)
{
	struct eventlog *a = parse_ok(FIXTURES "/good", "agile-basic.bin");
	struct eventlog *b = parse_ok(FIXTURES "/good", "unknown-type.bin");
	struct gw_pcr_set set = { 0 };
	static const uint16_t others[] = { TPM2_ALG_SHA384, TPM2_ALG_SHA512, TPM2_ALG_SM3_256,
					   TPM2_ALG_SHA1 };

	(void)state;
	/* An event of another log. */
	assert_int_equal(eventlog_extend_event(a, &b->events[1], &set, NULL), GW_E_INVAL);
	assert_int_equal(eventlog_extend_event(NULL, &a->events[1], &set, NULL), GW_E_INVAL);
	assert_int_equal(eventlog_replay(NULL, &set, NULL), GW_E_INVAL);
	assert_int_equal(eventlog_replay(a, NULL, NULL), GW_E_INVAL);
	/* No room for the sha256 bank. */
	for (size_t i = 0; i < GW_ARRAY_SIZE(others); i++)
		set.bank[set.nbanks++] = (struct gw_pcr_bank){ .alg = others[i], .size = 20 };
	set.bank[set.nbanks++] = (struct gw_pcr_bank){ .alg = 0x7777, .size = 20 };
	assert_int_equal(eventlog_replay(a, &set, NULL), GW_E_INVAL);
	/* EV_NO_ACTION never extends. */
	memset(&set, 0, sizeof(set));
	assert_int_equal(eventlog_replay_init(a, &set, NULL), 0);
	assert_int_equal(eventlog_extend_event(a, &a->events[0], &set, NULL), 0);
	assert_int_equal(set.bank[0].touched | set.bank[1].touched, 0);
	eventlog_free(a);
	eventlog_free(b);
}

static void test_parse_args_and_caps(void **state)
{
	struct eventlog *log = NULL;
	gw_error err = { { 0 } };
	uint8_t *big;
	size_t n = EVENTLOG_MAX_EVENTS + 1, len = n * 36;

	(void)state;
	assert_int_equal(eventlog_parse(NULL, 10, &log, NULL), GW_E_INVAL);
	assert_int_equal(eventlog_parse((const uint8_t *)"x", 1, NULL, NULL), GW_E_INVAL);
	assert_int_equal(eventlog_parse(NULL, 0, &log, NULL), GW_E_TRUNCATED);
	eventlog_free(NULL);

	big = calloc(1, EVENTLOG_MAX_LEN + 1);
	assert_non_null(big);
	assert_int_equal(eventlog_parse(big, EVENTLOG_MAX_LEN + 1, &log, &err), GW_E_TOOBIG);
	assert_non_null(strstr(err.msg, "over the cap"));
	free(big);

	/* 100001 legacy EV_SEPARATOR events of 36 bytes. */
	big = calloc(1, len);
	assert_non_null(big);
	for (size_t i = 0; i < n; i++) {
		big[i * 36 + 4] = EV_SEPARATOR;
		big[i * 36 + 28] = 4;
	}
	assert_int_equal(eventlog_parse(big, len, &log, &err), GW_E_TOOBIG);
	assert_non_null(strstr(err.msg, "event 100000 at offset 3600000: more than 100000 events"));
	assert_null(log);
	/* Exactly the cap is fine. */
	assert_int_equal(eventlog_parse(big, len - 36, &log, &err), 0);
	assert_int_equal(log->nevents, EVENTLOG_MAX_EVENTS);
	eventlog_free(log);
	free(big);
}

static void test_type_names(void **state)
{
	(void)state;
	assert_string_equal(eventlog_type_name(EV_POST_CODE), "EV_POST_CODE");
	assert_string_equal(eventlog_type_name(EV_EFI_VARIABLE_DRIVER_CONFIG),
			    "EV_EFI_VARIABLE_DRIVER_CONFIG");
	assert_string_equal(eventlog_type_name(EV_EFI_HCRTM_EVENT), "EV_EFI_HCRTM_EVENT");
	assert_string_equal(eventlog_type_name(EV_EFI_VARIABLE_AUTHORITY),
			    "EV_EFI_VARIABLE_AUTHORITY");
	assert_string_equal(eventlog_type_name(EV_EFI_SPDM_DEVICE_AUTHORITY),
			    "EV_EFI_SPDM_DEVICE_AUTHORITY");
	assert_string_equal(eventlog_type_name(EV_NO_ACTION), "EV_NO_ACTION");
	for (uint32_t t = 0; t <= EV_OMIT_BOOT_DEVICE_EVENTS; t++)
		assert_true(eventlog_type_known(t));
	for (uint32_t t = EV_EFI_VARIABLE_DRIVER_CONFIG; t <= EV_EFI_VARIABLE_BOOT2; t++)
		assert_true(eventlog_type_known(t));
	for (uint32_t t = EV_EFI_VARIABLE_AUTHORITY; t <= EV_EFI_SPDM_DEVICE_AUTHORITY; t++)
		assert_true(eventlog_type_known(t));
	assert_false(eventlog_type_known(0x13));
	assert_false(eventlog_type_known(0x80000000u));
	assert_false(eventlog_type_known(0x8000000du));
	assert_false(eventlog_type_known(0xffffffffu));
	assert_null(eventlog_type_name(0x800000e5u));
}

static const char *json_str(struct json_object *arr, size_t i, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(json_object_array_get_idx(arr, i), key, &v))
		return NULL;
	return json_object_get_string(v);
}

static void test_json(void **state)
{
	struct eventlog *log = parse_ok(FIXTURES "/good", "agile-basic.bin");
	struct json_object *json = NULL, *d, *v;

	(void)state;
	assert_int_equal(eventlog_events_json(log, &json), 0);
	assert_string_equal(json_str(json, 0, "type"), "EV_NO_ACTION");
	assert_string_equal(json_str(json, 0, "description"), "Spec ID Event03");
	assert_string_equal(json_str(json, 1, "type"), "EV_S_CRTM_VERSION");
	assert_string_equal(json_str(json, 1, "description"), "1.0");
	assert_string_equal(json_str(json, 2, "description"), "POST CODE");
	assert_string_equal(json_str(json, 3, "type"), "EV_EFI_VARIABLE_DRIVER_CONFIG");
	assert_string_equal(json_str(json, 3, "description"), "SecureBoot");
	assert_string_equal(json_str(json, 3, "variable_guid"),
			    "8be4df61-93ca-11d2-aa0d-00e098032b8c");
	assert_string_equal(json_str(json, 4, "description"),
			    "Calling EFI Application from Boot Option");
	assert_string_equal(json_str(json, 5, "type"), "EV_SEPARATOR");
	assert_string_equal(json_str(json, 5, "data"), "00000000");
	assert_string_equal(json_str(json, 5, "pcr"), "0");
	assert_true(json_object_object_get_ex(json_object_array_get_idx(json, 5), "digests", &d));
	assert_true(json_object_object_get_ex(d, "sha1", &v));
	assert_string_equal(json_object_get_string(v), "9069ca78e7450a285173431b3e52c5c25299e473");
	assert_true(json_object_object_get_ex(d, "sha256", &v));
	json_object_put(json);
	eventlog_free(log);

	/* Long binary data is cut at EVENTLOG_JSON_DATA_CAP bytes. */
	log = parse_ok(testdata_dir(), "tpm2-tools-event-arch-linux.bin");
	assert_int_equal(eventlog_events_json(log, &json), 0);
	for (size_t i = 0; i < log->nevents; i++) {
		const char *data = json_str(json, i, "data");

		if (data)
			assert_true(strlen(data) <= 2 * EVENTLOG_JSON_DATA_CAP);
		if (data && log->events[i].data_len > EVENTLOG_JSON_DATA_CAP)
			assert_non_null(json_str(json, i, "data_truncated"));
	}
	json_object_put(json);
	eventlog_free(log);

	log = parse_ok(FIXTURES "/good", "startup-locality.bin");
	assert_int_equal(eventlog_events_json(log, &json), 0);
	assert_string_equal(json_str(json, 1, "description"), "StartupLocality 3");
	json_object_put(json);
	eventlog_free(log);
	assert_int_equal(eventlog_events_json(NULL, &json), GW_E_INVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replay_matches_expected),
		cmocka_unit_test(test_testdata_properties),
		cmocka_unit_test(test_truncated_everywhere),
		cmocka_unit_test(test_truncated_last_event),
		cmocka_unit_test(test_bad_fixtures),
		cmocka_unit_test(test_bad_specid_magic),
		cmocka_unit_test(test_unknown_type),
		cmocka_unit_test(test_unknown_alg),
		cmocka_unit_test(test_locality_and_hcrtm),
		cmocka_unit_test(test_replay_errors),
		cmocka_unit_test(test_parse_args_and_caps),
		cmocka_unit_test(test_type_names),
		cmocka_unit_test(test_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
