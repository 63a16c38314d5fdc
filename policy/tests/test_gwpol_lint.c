// SPDX-License-Identifier: Apache-2.0
// Unit tests for gwpol_lint(): each consistency error fires with its JSON path, and
// a consistent policy has none.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "gwpol.h"

#define DA "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define DB "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define DC "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
/* SHA-256 of four zero bytes: an EV_SEPARATOR's digest. */
#define DSEP "df3f619804a92fdb4057192dc43dd748ea778adc52bc498ce80524c014b81119"
#define D1_SHA1 "1111111111111111111111111111111111111111"

#define NOW_2026 INT64_C(1780000000) /* 2026-05-28 */

static struct gwpol *parse(const char *json)
{
	struct gwpol_diags diags = { 0 };
	struct gwpol *p = NULL;
	gw_error err = { { 0 } };
	int rc = gwpol_parse(json, strlen(json), &p, &diags, &err);

	if (rc)
		fprintf(stderr, "parse failed: %s\n", gw_error_msg(&err, rc));
	assert_int_equal(rc, 0);
	assert_non_null(p);
	return p;
}

/* Lint json at now; returns what gwpol_lint returned, the diagnostics in *d. */
static int lint(const char *json, int64_t now, struct gwpol_diags *d)
{
	struct gwpol *p = parse(json);
	int n;

	memset(d, 0, sizeof(*d));
	n = gwpol_lint(p, now, d);
	for (size_t i = 0; i < d->n; i++)
		fprintf(stderr, "  lint: %s: %s\n", d->d[i].path, d->d[i].msg);
	gwpol_free(p);
	return n;
}

static bool has(const struct gwpol_diags *d, const char *path, const char *words)
{
	for (size_t i = 0; i < d->n; i++)
		if (!strcmp(d->d[i].path, path) && (!words || strstr(d->d[i].msg, words)))
			return true;
	return false;
}

/* Exactly one problem, at path, whose message holds words. */
static void expect_one(const char *json, int64_t now, const char *path, const char *words)
{
	struct gwpol_diags d;

	assert_int_equal(lint(json, now, &d), 1);
	assert_int_equal(d.n, 1);
	if (!has(&d, path, words))
		fail_msg("wanted %s (\"%s\"), got %s: %s", path, words ? words : "", d.d[0].path,
			 d.d[0].msg);
}

static void expect_clean(const char *json, int64_t now)
{
	struct gwpol_diags d;

	assert_int_equal(lint(json, now, &d), 0);
	assert_int_equal(d.n, 0);
}

static const char clean[] =
	"{\"model\":\"gw-1000\",\"version\":3,"
	"\"pcr_selection\":\"sha256:0-7,13,14\","
	"\"firmware\":{\"bank\":\"sha256\",\"pcrs\":{"
	"\"0\":{\"sequence\":[{\"type\":\"EV_S_CRTM_VERSION\",\"digests\":[\"" DA "\"]},"
	"{\"type\":\"EV_SEPARATOR\",\"digests\":[\"" DSEP "\"]}]},"
	"\"4\":{\"sequence\":[{\"type\":\"EV_EFI_ACTION\",\"digests\":[\"" DB "\"]},"
	"{\"type\":\"EV_SEPARATOR\",\"digests\":[\"" DSEP "\"]},"
	"{\"type\":\"EV_EFI_BOOT_SERVICES_APPLICATION\",\"digests\":[\"" DC "\"]}]},"
	"\"7\":{\"allowed\":[{\"type\":\"EV_EFI_VARIABLE_DRIVER_CONFIG\",\"digests\":[\"" DA "\"]},"
	"{\"type\":\"EV_SEPARATOR\",\"digests\":[\"" DSEP "\"]}]}},"
	"\"required_events\":[{\"pcr\":4,\"type\":\"EV_SEPARATOR\",\"data\":\"00000000\"}],"
	"\"secure_boot\":{\"enabled\":true},"
	"\"bootloader\":[\"" DC "\"]},"
	"\"stages\":{\"rootfs\":[\"" DA "\"]},"
	"\"trust\":{\"gate_key\":[\"" DB "\"]},"
	"\"update\":{\"end_of_support\":\"2029-12-31\"}}";

static void test_clean(void **state)
{
	(void)state;
	expect_clean(clean, NOW_2026);
	/* The default selection (sha256 0-7, 13, 14) serves the same rules. */
	expect_clean("{\"model\":\"m\",\"version\":1,\"firmware\":{\"bank\":\"sha256\",\"pcrs\":"
		     "{\"7\":{\"unchecked\":true}}},\"stages\":{\"a\":[\"" DA "\"]},"
		     "\"trust\":{\"trust_root\":[\"" DA "\"]}}",
		     NOW_2026);
	expect_clean("{\"model\":\"m\",\"version\":1}", NOW_2026);
}

static void test_null(void **state)
{
	struct gwpol_diags d = { 0 };
	struct gwpol *p = parse("{\"model\":\"m\",\"version\":1}");

	(void)state;
	assert_int_equal(gwpol_lint(NULL, 0, &d), GW_E_INVAL);
	assert_int_equal(gwpol_lint(p, 0, NULL), GW_E_INVAL);
	gwpol_free(p);
}

static void test_pcr_not_selected(void **state)
{
	struct gwpol_diags d;

	(void)state;
	expect_one("{\"model\":\"m\",\"version\":1,\"pcr_selection\":\"sha256:0-7,13,14\","
		   "\"firmware\":{\"bank\":\"sha256\",\"pcrs\":{\"8\":{\"unchecked\":true}}}}",
		   NOW_2026, "$.firmware.pcrs.8",
		   "not in pcr_selection (sha256:0-7,13,14)");
	/* Without pcr_selection, the default applies: 9 is not in it. */
	expect_one("{\"model\":\"m\",\"version\":1,"
		   "\"firmware\":{\"bank\":\"sha256\",\"pcrs\":{\"9\":{\"allowed\":["
		   "{\"type\":\"EV_IPL\",\"digests\":[\"" DA "\"]}]}}}}",
		   NOW_2026, "$.firmware.pcrs.9", "the default");
	assert_int_equal(lint("{\"model\":\"m\",\"version\":1,\"pcr_selection\":\"sha256:0-6\","
			      "\"firmware\":{\"bank\":\"sha256\",\"pcrs\":{\"0\":{\"unchecked\":true},"
			      "\"7\":{\"sequence\":[{\"type\":\"EV_SEPARATOR\",\"digests\":[\"" DSEP "\"]}]}},"
			      "\"required_events\":[{\"pcr\":7,\"type\":\"EV_SEPARATOR\","
			      "\"data\":\"00000000\"}]}}",
			      NOW_2026, &d),
			 2);
	assert_true(has(&d, "$.firmware.pcrs.7", "PCR 7 is not in pcr_selection"));
	assert_true(has(&d, "$.firmware.required_events[0].pcr", "PCR 7 is not in pcr_selection"));
	/* And PCR 4 has no rule: the kernel rule could not be decided soundly. */
	assert_int_equal(lint("{\"model\":\"m\",\"version\":1,\"pcr_selection\":\"sha256:0-3,5-7\","
			      "\"firmware\":{\"bank\":\"sha256\",\"pcrs\":{\"0\":{\"unchecked\":true}},"
			      "\"kernel\":[\"" DA "\"]}}",
			      NOW_2026, &d),
			 2);
	assert_true(has(&d, "$.firmware.kernel", "not in pcr_selection"));
	assert_true(has(&d, "$.firmware.kernel", "PCR 4 has no rule"));
}

static void test_bank_not_selected(void **state)
{
	(void)state;
	/* One error for the bank, not one per rule. */
	expect_one("{\"model\":\"m\",\"version\":1,\"pcr_selection\":\"sha256:0-7\","
		   "\"firmware\":{\"bank\":\"sha1\",\"pcrs\":{\"0\":{\"sequence\":["
		   "{\"type\":\"EV_POST_CODE\",\"digests\":[\"" D1_SHA1 "\"]}]},"
		   "\"9\":{\"unchecked\":true}}}}",
		   NOW_2026, "$.firmware.bank", "no sha1 bank");
	expect_clean("{\"model\":\"m\",\"version\":1,\"pcr_selection\":\"sha1:0-7+sha256:13,14\","
		     "\"firmware\":{\"bank\":\"sha1\",\"pcrs\":{\"0\":{\"sequence\":["
		     "{\"type\":\"EV_POST_CODE\",\"digests\":[\"" D1_SHA1 "\"]}]}}}}",
		     NOW_2026);
}

static void test_stages_trust_not_selected(void **state)
{
	(void)state;
	expect_one("{\"model\":\"m\",\"version\":1,\"pcr_selection\":\"sha256:0-7,14\","
		   "\"stages\":{\"rootfs\":[\"" DA "\"]}}",
		   NOW_2026, "$.stages", "PCR 13");
	/* PCR 13 of the sha1 bank does not replay the CEL. */
	expect_one("{\"model\":\"m\",\"version\":1,\"pcr_selection\":\"sha1:13+sha256:14\","
		   "\"stages\":{\"rootfs\":{\"digests\":[\"" DA "\"],\"claim\":\"file-system\"}}}",
		   NOW_2026, "$.stages", NULL);
	expect_one("{\"model\":\"m\",\"version\":1,\"pcr_selection\":\"sha256:0-7,13\","
		   "\"trust\":{\"gate_key\":[\"" DA "\"]}}",
		   NOW_2026, "$.trust", "PCR 14");
	/* No trust lists, no need for PCR 14. */
	expect_clean("{\"model\":\"m\",\"version\":1,\"pcr_selection\":\"sha256:0-7,13\","
		     "\"trust\":{}}",
		     NOW_2026);
}

static void test_required_events(void **state)
{
	static const char head[] =
		"{\"model\":\"m\",\"version\":1,\"firmware\":{\"bank\":\"sha256\","
		"\"pcrs\":{\"4\":{\"%s\":[{\"type\":\"EV_SEPARATOR\",\"digests\":[\""
		"%s\"]}]},\"5\":{\"unchecked\":true}},\"required_events\":[%s]}}";
	char json[1024];

	(void)state;
	/* The type is not in PCR 4's sequence or allowed list. */
	snprintf(json, sizeof(json), head, "sequence", DSEP,
		 "{\"pcr\":4,\"type\":\"EV_EFI_ACTION\",\"text\":\"Exit Boot Services\"}");
	expect_one(json, NOW_2026, "$.firmware.required_events[0]", "no EV_EFI_ACTION element");
	snprintf(json, sizeof(json), head, "allowed", DSEP,
		 "{\"pcr\":4,\"type\":\"EV_EFI_ACTION\",\"text\":\"x\"}");
	expect_one(json, NOW_2026, "$.firmware.required_events[0]", "allowed rule");
	/* A type alone: the label is not authenticated. */
	snprintf(json, sizeof(json), head, "sequence", DSEP, "{\"pcr\":4,\"type\":\"EV_SEPARATOR\"}");
	expect_one(json, NOW_2026, "$.firmware.required_events[0]", "only a type");
	/* The type is there but the data hashes to another digest. */
	snprintf(json, sizeof(json), head, "sequence", DA,
		 "{\"pcr\":4,\"type\":\"EV_SEPARATOR\",\"data\":\"00000000\"}");
	expect_one(json, NOW_2026, "$.firmware.required_events[0].data", "hashes");
	snprintf(json, sizeof(json), head, "sequence", DSEP,
		 "{\"pcr\":4,\"type\":\"EV_SEPARATOR\",\"data\":\"00000000\"}");
	expect_clean(json, NOW_2026);
	/* Unsound, since root can extend the event after boot (issue 9 review): on an
	 * unchecked PCR, a PCR without a rule, without a PCR, on an allowed list that
	 * holds the event. */
	snprintf(json, sizeof(json), head, "sequence", DSEP,
		 "{\"pcr\":5,\"type\":\"EV_EFI_ACTION\",\"text\":\"x\"}");
	expect_one(json, NOW_2026, "$.firmware.required_events[0]", "PCR 5 is \"unchecked\"");
	snprintf(json, sizeof(json), head, "sequence", DSEP,
		 "{\"pcr\":6,\"type\":\"EV_EFI_ACTION\",\"text\":\"x\"}");
	expect_one(json, NOW_2026, "$.firmware.required_events[0]", "PCR 6 has no rule");
	snprintf(json, sizeof(json), head, "sequence", DSEP,
		 "{\"type\":\"EV_EFI_ACTION\",\"text\":\"x\"}");
	expect_one(json, NOW_2026, "$.firmware.required_events[0]", "no pcr");
	snprintf(json, sizeof(json), head, "allowed", DSEP,
		 "{\"pcr\":4,\"type\":\"EV_SEPARATOR\",\"data\":\"00000000\"}");
	expect_one(json, NOW_2026, "$.firmware.required_events[0]", "not a sequence");
	/* The second of two, by index. */
	snprintf(json, sizeof(json), head, "sequence", DSEP,
		 "{\"pcr\":4,\"type\":\"EV_SEPARATOR\",\"data\":\"00000000\"},"
		 "{\"pcr\":4,\"type\":\"EV_IPL\",\"data\":\"00\"}");
	expect_one(json, NOW_2026, "$.firmware.required_events[1]", "PCR 4");
}

static void test_unknown_types(void **state)
{
	struct gwpol_diags d;

	(void)state;
	expect_one("{\"model\":\"m\",\"version\":1,\"firmware\":{\"bank\":\"sha256\",\"pcrs\":{"
		   "\"1\":{\"sequence\":[{\"type\":\"EV_POST_CODE\",\"digests\":[\"" DA "\"]},"
		   "{\"type\":\"0x0000abcd\",\"digests\":[\"" DA "\"]}]}}}}",
		   NOW_2026, "$.firmware.pcrs.1.sequence[1].type", "0x0000abcd");
	expect_one("{\"model\":\"m\",\"version\":1,\"firmware\":{\"bank\":\"sha256\","
		   "\"allow_event_types\":[\"0x0000abcd\"],\"pcrs\":{"
		   "\"1\":{\"allowed\":[{\"type\":\"0x0000abcd\",\"digests\":[\"" DA "\"]},"
		   "{\"type\":\"0x0000abce\",\"digests\":[\"" DA "\"]}]}}}}",
		   NOW_2026, "$.firmware.pcrs.1.allowed[1].type", "0x0000abce");
	assert_int_equal(lint("{\"model\":\"m\",\"version\":1,\"firmware\":{\"bank\":\"sha256\","
			      "\"pcrs\":{\"0\":{\"unchecked\":true}},"
			      "\"required_events\":[{\"type\":\"0x00001234\",\"data\":\"00\"}]}}",
			      NOW_2026, &d),
			 2);
	assert_true(has(&d, "$.firmware.required_events[0].type", "allow_event_types"));
	assert_true(has(&d, "$.firmware.required_events[0]", "no pcr"));
	expect_clean("{\"model\":\"m\",\"version\":1,\"firmware\":{\"bank\":\"sha256\","
		     "\"allow_event_types\":[\"0x0000abcd\"],\"pcrs\":{"
		     "\"1\":{\"allowed\":[{\"type\":\"0x0000abcd\",\"digests\":[\"" DA "\"]}]}}}}",
		     NOW_2026);
}

static void test_boot_apps(void **state)
{
	struct gwpol_diags d;

	(void)state;
	expect_one("{\"model\":\"m\",\"version\":1,\"firmware\":{\"bank\":\"sha256\",\"pcrs\":{"
		   "\"4\":{\"sequence\":[{\"type\":\"EV_SEPARATOR\",\"digests\":[\"" DSEP "\"]}]}},"
		   "\"bootloader\":[\"" DA "\"]}}",
		   NOW_2026, "$.firmware.bootloader", "EV_EFI_BOOT_SERVICES_APPLICATION");
	assert_int_equal(lint("{\"model\":\"m\",\"version\":1,\"firmware\":{\"bank\":\"sha256\","
			      "\"pcrs\":{\"4\":{\"allowed\":[{\"type\":\"EV_EFI_ACTION\","
			      "\"digests\":[\"" DA "\"]}]}},\"bootloader\":[\"" DA "\"],"
			      "\"kernel\":[\"" DB "\"]}}",
			      NOW_2026, &d),
			 2);
	assert_true(has(&d, "$.firmware.bootloader", "allowed rule"));
	assert_true(has(&d, "$.firmware.kernel", "allowed rule"));
	/* An unchecked or absent PCR 4 rule: root could extend an allowed kernel's
	 * digest into PCR 4 after the real one, so the rules cannot be decided. */
	assert_int_equal(lint("{\"model\":\"m\",\"version\":1,\"firmware\":{\"bank\":\"sha256\","
			      "\"pcrs\":{\"4\":{\"unchecked\":true}},\"bootloader\":[\"" DA "\"],"
			      "\"kernel\":[\"" DB "\"]}}",
			      NOW_2026, &d),
			 2);
	assert_true(has(&d, "$.firmware.bootloader", "PCR 4 is \"unchecked\""));
	assert_true(has(&d, "$.firmware.kernel", "PCR 4 is \"unchecked\""));
	expect_one("{\"model\":\"m\",\"version\":1,\"firmware\":{\"bank\":\"sha256\","
		   "\"pcrs\":{\"0\":{\"unchecked\":true}},\"kernel\":[\"" DB "\"]}}",
		   NOW_2026, "$.firmware.kernel", "PCR 4 has no rule");
	/* An allowed list with a boot application that is no bootloader or kernel:
	 * it could boot last, with an allowed kernel extended after it. */
	expect_one("{\"model\":\"m\",\"version\":1,\"firmware\":{\"bank\":\"sha256\",\"pcrs\":{"
		   "\"4\":{\"allowed\":[{\"type\":\"EV_EFI_BOOT_SERVICES_APPLICATION\","
		   "\"digests\":[\"" DA "\",\"" DB "\",\"" DC "\"]}]}},"
		   "\"bootloader\":[\"" DA "\"],\"kernel\":[\"" DB "\"]}}",
		   NOW_2026, "$.firmware.kernel", DC);
	expect_clean("{\"model\":\"m\",\"version\":1,\"firmware\":{\"bank\":\"sha256\",\"pcrs\":{"
		     "\"4\":{\"allowed\":[{\"type\":\"EV_EFI_BOOT_SERVICES_APPLICATION\","
		     "\"digests\":[\"" DA "\",\"" DB "\"]}]}},"
		     "\"bootloader\":[\"" DA "\"],\"kernel\":[\"" DB "\"]}}",
		     NOW_2026);
}

static void test_secure_boot(void **state)
{
	struct gwpol_diags d;

	(void)state;
	expect_one("{\"model\":\"m\",\"version\":1,\"firmware\":{\"bank\":\"sha256\",\"pcrs\":{"
		   "\"0\":{\"unchecked\":true}},\"secure_boot\":{\"enabled\":true,\"db\":[\"" DA
		   "\"]}}}",
		   NOW_2026, "$.firmware.secure_boot", "PCR 7");
	expect_clean("{\"model\":\"m\",\"version\":1,\"firmware\":{\"bank\":\"sha256\",\"pcrs\":{"
		     "\"7\":{\"allowed\":[{\"type\":\"EV_EFI_VARIABLE_DRIVER_CONFIG\",\"digests\":[\""
		     DA "\"]}]}},\"secure_boot\":{\"enabled\":false}}}",
		     NOW_2026);
	/* PCR 7 unchecked: a forged SecureBoot measurement and a relabelled real one
	 * would go unjudged. */
	expect_one("{\"model\":\"m\",\"version\":1,\"firmware\":{\"bank\":\"sha256\",\"pcrs\":{"
		   "\"7\":{\"unchecked\":true}},\"secure_boot\":{\"enabled\":true}}}",
		   NOW_2026, "$.firmware.secure_boot", "PCR 7 is \"unchecked\"");
	assert_int_equal(lint("{\"model\":\"m\",\"version\":1,\"logs\":{\"firmware\":[0,1,2,3,4,5,6]},"
			      "\"firmware\":{\"bank\":\"sha256\",\"pcrs\":{"
			      "\"0\":{\"unchecked\":true}},\"secure_boot\":{\"enabled\":true}}}",
			      NOW_2026, &d),
			 2);
	assert_true(has(&d, "$.firmware.secure_boot", "PCR 7 has no rule"));
	assert_true(has(&d, "$.firmware.secure_boot", "logs.firmware"));
}

static void test_end_of_support(void **state)
{
	static const char json[] = "{\"model\":\"m\",\"version\":1,"
				   "\"update\":{\"end_of_support\":\"2026-01-31\"}}";

	(void)state;
	expect_one(json, NOW_2026, "$.update.end_of_support", "2026-01-31");
	/* Support ends at the end of the day named: 2026-01-31T23:59:59Z still counts. */
	expect_clean(json, INT64_C(1769903999));
	expect_one(json, INT64_C(1769904000), "$.update.end_of_support", NULL);
}

/* json has two problems, one of them at path with words. */
static void expect_two(const char *json, const char *path, const char *words)
{
	struct gwpol_diags d;

	assert_int_equal(lint(json, NOW_2026, &d), 2);
	if (!has(&d, path, words))
		fail_msg("no diagnostic at %s with '%s'", path, words);
}

/* boot_files_pcr: judged only on a quoted sha256 PCR the firmware log may extend,
 * whose rule pins its events (a sequence or an allowed list). */
static void test_boot_files_pcr(void **state)
{
#define BF_HEAD "{\"model\":\"m\",\"version\":1,\"pcr_selection\":\"sha256:0-9,13,14\","
#define BF_IPL "[{\"type\":\"EV_IPL\",\"digests\":[\"" DA "\"]}]"
	(void)state;
	expect_clean(BF_HEAD "\"firmware\":{\"bank\":\"sha256\",\"pcrs\":{\"9\":{\"allowed\":"
		     BF_IPL "}}},\"update\":{\"boot_files_pcr\":9}}", NOW_2026);
	expect_clean(BF_HEAD "\"firmware\":{\"bank\":\"sha256\",\"pcrs\":{\"9\":{\"sequence\":"
		     BF_IPL "}}},\"update\":{\"boot_files_pcr\":9}}", NOW_2026);
	expect_one(BF_HEAD "\"firmware\":{\"bank\":\"sha256\",\"pcrs\":{\"9\":{\"unchecked\":"
		   "true}}},\"update\":{\"boot_files_pcr\":9}}", NOW_2026,
		   "$.update.boot_files_pcr", "PCR 9 has an unchecked rule: root could boot another");
	expect_one(BF_HEAD "\"firmware\":{\"bank\":\"sha256\",\"pcrs\":{\"8\":{\"unchecked\":"
		   "true}}},\"update\":{\"boot_files_pcr\":9}}", NOW_2026,
		   "$.update.boot_files_pcr", "PCR 9 has no firmware rule");
	expect_one(BF_HEAD "\"update\":{\"boot_files_pcr\":9}}", NOW_2026,
		   "$.update.boot_files_pcr", "firmware.bank must be sha256");
	expect_one("{\"model\":\"m\",\"version\":1,\"pcr_selection\":\"sha1:0-9+sha256:0-9,13,14\","
		   "\"firmware\":{\"bank\":\"sha1\",\"pcrs\":{\"9\":{\"allowed\":[{\"type\":"
		   "\"EV_IPL\",\"digests\":[\"" D1_SHA1 "\"]}]}}},\"update\":{\"boot_files_pcr\":9}}",
		   NOW_2026, "$.update.boot_files_pcr", "firmware.bank must be sha256");
	/* The default selection has no PCR 9: the firmware rule and the check both say so. */
	expect_two("{\"model\":\"m\",\"version\":1,\"firmware\":{\"bank\":\"sha256\",\"pcrs\":"
		   "{\"9\":{\"allowed\":" BF_IPL "}}},\"update\":{\"boot_files_pcr\":9}}",
		   "$.update.boot_files_pcr", "PCR 9 is not in the sha256 bank of pcr_selection");
	expect_two(BF_HEAD "\"logs\":{\"firmware\":[0,1,2,3,4,5,6,7,8]},\"firmware\":{\"bank\":"
		   "\"sha256\",\"pcrs\":{\"9\":{\"allowed\":" BF_IPL "}}},\"update\":"
		   "{\"boot_files_pcr\":9}}",
		   "$.update.boot_files_pcr", "logs.firmware does not list PCR 9");
#undef BF_HEAD
#undef BF_IPL
}

static void test_agent_pcrs(void **state)
{
	struct gwpol_diags d;

	(void)state;
	/* A firmware rule on a PCR logs.firmware leaves out: the rule never sees one. */
	expect_one("{\"model\":\"m\",\"version\":1,\"logs\":{\"firmware\":[0,14]},"
		   "\"firmware\":{\"bank\":\"sha256\",\"pcrs\":{\"13\":{\"unchecked\":true}}}}",
		   NOW_2026, "$.firmware.pcrs.13", "logs.firmware: 0,14");
	/* Without logs, the default takes in every PCR with a firmware rule (a policy
	 * signed before logs existed), so PCR 13's rule is in force: clean alone, and
	 * unchecked next to stage rules refused. */
	expect_clean("{\"model\":\"m\",\"version\":1,\"firmware\":{\"bank\":\"sha256\",\"pcrs\":{"
		     "\"13\":{\"unchecked\":true}}}}",
		     NOW_2026);
	expect_one("{\"model\":\"m\",\"version\":1,\"firmware\":{\"bank\":\"sha256\",\"pcrs\":{"
		   "\"13\":{\"unchecked\":true}}},\"stages\":{\"a\":[\"" DB "\"]}}",
		   NOW_2026, "$.firmware.pcrs.13", "stage rules");
	/* shim's MokList on PCR 14, next to the agent's trust records. */
	expect_clean("{\"model\":\"m\",\"version\":1,\"firmware\":{\"bank\":\"sha256\",\"pcrs\":{"
		     "\"14\":{\"sequence\":[{\"type\":\"EV_IPL\",\"digests\":[\"" DA "\"]}]}}},"
		     "\"trust\":{\"gate_key\":[\"" DB "\"]}}",
		     NOW_2026);
	/* Unchecked there, the firmware log could carry a trust record past the rules. */
	expect_one("{\"model\":\"m\",\"version\":1,\"firmware\":{\"bank\":\"sha256\",\"pcrs\":{"
		   "\"14\":{\"unchecked\":true}}},\"trust\":{\"gate_key\":[\"" DB "\"]}}",
		   NOW_2026, "$.firmware.pcrs.14", "trust rules");
	expect_one("{\"model\":\"m\",\"version\":1,\"logs\":{\"firmware\":[13]},"
		   "\"firmware\":{\"bank\":\"sha256\",\"pcrs\":{"
		   "\"13\":{\"unchecked\":true}}},\"stages\":{\"a\":[\"" DB "\"]}}",
		   NOW_2026, "$.firmware.pcrs.13", "stage rules");
	/* Outside the selection as well: two problems with the one path. */
	assert_int_equal(lint("{\"model\":\"m\",\"version\":1,\"pcr_selection\":\"sha256:0-7\","
			      "\"logs\":{\"firmware\":[0]},\"firmware\":{\"bank\":\"sha256\",\"pcrs\":{"
			      "\"13\":{\"unchecked\":true}}}}",
			      NOW_2026, &d),
			 2);
	assert_true(has(&d, "$.firmware.pcrs.13", "not in pcr_selection"));
	assert_true(has(&d, "$.firmware.pcrs.13", "logs.firmware"));
}

static void test_logs(void **state)
{
	(void)state;
	expect_one("{\"model\":\"m\",\"version\":1,\"logs\":{\"cel\":[14]},"
		   "\"stages\":{\"a\":[\"" DA "\"]}}",
		   NOW_2026, "$.logs.cel", "PCR 13");
	expect_one("{\"model\":\"m\",\"version\":1,\"logs\":{\"cel\":[]},"
		   "\"trust\":{\"gate_key\":[\"" DA "\"]}}",
		   NOW_2026, "$.logs.cel", "PCR 14");
	/* No rule reads CEL records on a firmware PCR. */
	expect_one("{\"model\":\"m\",\"version\":1,\"logs\":{\"cel\":[4,13,14]},"
		   "\"firmware\":{\"bank\":\"sha256\",\"pcrs\":{\"4\":{\"sequence\":[]}}}}",
		   NOW_2026, "$.logs.cel", "PCR 4");
	/* Unless the PCR is unchecked on purpose. */
	expect_clean("{\"model\":\"m\",\"version\":1,\"logs\":{\"cel\":[11,13,14],"
		     "\"firmware\":[0,11]},\"pcr_selection\":\"sha256:0,11,13,14\","
		     "\"firmware\":{\"bank\":\"sha256\",\"pcrs\":{\"0\":{\"sequence\":[]},"
		     "\"11\":{\"unchecked\":true}}}}",
		     NOW_2026);
}

static void test_appends_and_caps(void **state)
{
	struct gwpol *p = parse("{\"model\":\"m\",\"version\":1,\"pcr_selection\":\"sha256:0\","
				"\"stages\":{\"a\":[\"" DA "\"]},\"trust\":{\"gate_key\":[\"" DA
				"\"]}}");
	struct gwpol_diags d = { 0 };

	(void)state;
	/* Diagnostics already there (the parser's) stay first. */
	d.n = 1;
	snprintf(d.d[0].path, sizeof(d.d[0].path), "$.x");
	assert_int_equal(gwpol_lint(p, NOW_2026, &d), 2);
	assert_int_equal(d.n, 3);
	assert_string_equal(d.d[0].path, "$.x");
	assert_string_equal(d.d[1].path, "$.stages");
	assert_string_equal(d.d[2].path, "$.trust");
	/* A full list counts what it cannot keep. */
	d.n = GWPOL_MAX_DIAGS - 1;
	d.dropped = 0;
	assert_int_equal(gwpol_lint(p, NOW_2026, &d), 2);
	assert_int_equal(d.n, GWPOL_MAX_DIAGS);
	assert_int_equal(d.dropped, 1);
	gwpol_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean),
		cmocka_unit_test(test_null),
		cmocka_unit_test(test_pcr_not_selected),
		cmocka_unit_test(test_bank_not_selected),
		cmocka_unit_test(test_stages_trust_not_selected),
		cmocka_unit_test(test_required_events),
		cmocka_unit_test(test_unknown_types),
		cmocka_unit_test(test_boot_apps),
		cmocka_unit_test(test_secure_boot),
		cmocka_unit_test(test_end_of_support),
		cmocka_unit_test(test_boot_files_pcr),
		cmocka_unit_test(test_agent_pcrs),
		cmocka_unit_test(test_logs),
		cmocka_unit_test(test_appends_and_caps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
