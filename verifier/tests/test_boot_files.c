// SPDX-License-Identifier: Apache-2.0
// Unit tests for boot_files.c against a real GRUB firmware log (PCR 9: grub.cfg,
// the .lst files, grubenv twice, the kernel as event 93 and the initramfs as event
// 96): the running release's files measured once pass; another release's kernel,
// a file missing or measured twice, and a capped flood are findings; files two
// releases share are not; and the evaluator allows the releases' boot files on
// the policy's boot_files_pcr only as EV_IPL events of an allowed rule.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include "boot_files.h"
#include "service_boot.h"
#include "bundle.h"
#include "gwpol_event.h"
#include "store_fixture.h"
#include "util.h"

#define LOG "testdata/eventlogs/tpm2-tools-event-bootorder.bin"
#define BUNDLE "common/tests/fixtures/bundle/good/one-payload.gwb"
#define EV_KERNEL 93
#define EV_INITRD 96
#define EV_GRUBENV 41 /* measured again as event 44 */
#define PCR 9

static struct eventlog *load(void)
{
	struct eventlog *log = NULL;
	gw_error err = { { 0 } };
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc = gw_read_file(LOG, 1u << 24, &buf, &len, &err);

	if (!rc)
		rc = eventlog_parse(buf, len, &log, &err);
	free(buf);
	if (rc)
		fail_msg("%s: %s", LOG, gw_error_msg(&err, rc));
	return log;
}

static struct eventlog_event *event(struct eventlog *log, unsigned num)
{
	for (size_t i = 0; i < log->nevents; i++)
		if (log->events[i].num == num)
			return &log->events[i];
	fail_msg("no event %u", num);
	return NULL;
}

static const uint8_t *sha(struct eventlog *log, unsigned num)
{
	const uint8_t *d = gwpol_event_digest(event(log, num), TPM2_ALG_SHA256);

	assert_non_null(d);
	return d;
}

/* A release's manifest: its id and version from tag, its boot files from
 * digests (NULL: a file no event carries). */
static void add(struct boot_files *bf, const char *tag, size_t n, const uint8_t *const *digests)
{
	struct store_release_boot b;
	gw_error err = { { 0 } };

	memset(&b, 0, sizeof(b));
	memset(b.manifest_sha256, 'a' + (int)bf->n, 64);
	assert_int_equal(gw_snprintf(b.id, sizeof(b.id), "%s", tag), 0);
	assert_int_equal(gw_snprintf(b.version, sizeof(b.version), "%s", tag), 0);
	b.known = true;
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(gw_snprintf(b.files[i].path, sizeof(b.files[i].path),
					     "/boot/%s-%zu", tag, i), 0);
		if (digests[i])
			memcpy(b.files[i].sha256, digests[i], 32);
		else
			memset(b.files[i].sha256, 0x40 + (int)i, 32);
	}
	b.n = n;
	assert_int_equal(boot_files_add(bf, &b, &err), 0);
}

static size_t count(const struct gwpol_report *r, const char *rule, const char *words)
{
	size_t n = 0;

	for (size_t i = 0; i < r->n; i++)
		n += !strncmp(r->f[i].rule, rule, strlen(rule)) &&
		     (!words || strstr(r->f[i].msg, words));
	return n;
}

static struct gwpol_report *judge(const struct boot_files *bf, size_t running,
				  struct eventlog *log)
{
	struct gwpol_report *r = malloc(sizeof(*r));

	assert_non_null(r);
	gwpol_report_init(r);
	boot_files_judge(bf, &bf->rel[running], log, PCR, r);
	return r;
}

static void test_judge(void **state)
{
	struct eventlog *log = load();
	struct boot_files bf = { 0 };
	struct gwpol_report *r;
	const uint8_t *v2[] = { sha(log, EV_KERNEL), sha(log, EV_INITRD) };
	const uint8_t *v1[] = { NULL, NULL };
	const uint8_t *shared[] = { NULL, sha(log, EV_INITRD) };

	(void)state;
	add(&bf, "v1", 2, v1);
	add(&bf, "v2", 2, v2);
	add(&bf, "v0", 0, NULL);
	assert_int_equal(bf.n, 3);
	assert_ptr_equal(boot_files_release(&bf, bf.rel[1].manifest_sha256), &bf.rel[1]);

	/* v2 running, its kernel and initramfs measured once each: nothing. */
	r = judge(&bf, 1, log);
	assert_int_equal(r->n, 0);
	assert_true(r->appraised[GWPOL_CLAIM_EXECUTABLES]);
	free(r);
	/* v1 claimed while v2's files were measured: v1's are missing, v2's are
	 * another release's. */
	r = judge(&bf, 0, log);
	assert_int_equal(r->n, 4);
	assert_int_equal(count(r, BOOT_FILES_RULE, "/boot/v1-0 of the running release v1"), 1);
	assert_int_equal(count(r, BOOT_FILES_RULE, "measured 0 times in PCR 9, expected once"), 2);
	assert_int_equal(count(r, BOOT_FILES_RULE, "PCR 9 event 93: sha256 "), 1);
	assert_int_equal(count(r, BOOT_FILES_RULE, "is boot file /boot/v2-0 of release v2"), 1);
	assert_int_equal(count(r, BOOT_FILES_RULE, "PCR 9 event 96"), 1);
	assert_int_equal(r->tier[GWPOL_CLAIM_EXECUTABLES], GWPOL_TIER_CONTRAINDICATED);
	free(r);
	/* A running release without boot files: only others' files are findings. */
	r = judge(&bf, 2, log);
	assert_int_equal(r->n, 2);
	assert_int_equal(count(r, BOOT_FILES_RULE, "of release v2 (version v2), not of the running "
				     "release v0"), 2);
	free(r);
	boot_files_fini(&bf);

	/* A file two releases share is not another release's. */
	add(&bf, "v3", 2, shared);
	add(&bf, "v2", 2, v2);
	r = judge(&bf, 1, log);
	assert_int_equal(r->n, 0);
	free(r);
	r = judge(&bf, 0, log);
	assert_int_equal(r->n, 2);
	assert_int_equal(count(r, BOOT_FILES_RULE, "event 93"), 1);
	assert_int_equal(count(r, BOOT_FILES_RULE, "/boot/v3-0 of the running release v3"), 1);
	free(r);
	boot_files_fini(&bf);
	eventlog_free(log);
}

/* Measured twice (root extending the expected kernel again) is a finding; so is
 * the digest on another PCR only. */
static void test_twice_and_other_pcr(void **state)
{
	struct eventlog *log = load();
	struct boot_files bf = { 0 };
	struct gwpol_report *r;
	const uint8_t *env[] = { sha(log, EV_GRUBENV) };

	(void)state;
	add(&bf, "env", 1, env);
	r = judge(&bf, 0, log);
	assert_int_equal(r->n, 1);
	assert_int_equal(count(r, BOOT_FILES_RULE, "measured 2 times in PCR 9"), 1);
	free(r);
	r = malloc(sizeof(*r));
	assert_non_null(r);
	gwpol_report_init(r);
	boot_files_judge(&bf, &bf.rel[0], log, 8, r);
	assert_int_equal(count(r, BOOT_FILES_RULE, "measured 0 times in PCR 8"), 1);
	free(r);
	boot_files_fini(&bf);
	eventlog_free(log);
}

/* More problems than BOOT_FILES_MAX_FINDINGS: the rest are counted in one. */
static void test_cap(void **state)
{
	struct eventlog *log = load();
	struct boot_files bf = { 0 };
	struct gwpol_report *r;
	const uint8_t *none[MANIFEST_MAX_BOOT_FILES] = { 0 };
	const uint8_t *k[] = { sha(log, EV_KERNEL) }, *i[] = { sha(log, EV_INITRD) };

	(void)state;
	add(&bf, "running", MANIFEST_MAX_BOOT_FILES, none);
	add(&bf, "k", 1, k);
	add(&bf, "i", 1, i);
	r = judge(&bf, 0, log);
	assert_int_equal(r->n, BOOT_FILES_MAX_FINDINGS + 1);
	assert_int_equal(count(r, BOOT_FILES_RULE, "2 more boot file problems in PCR 9"), 1);
	free(r);
	boot_files_fini(&bf);
	eventlog_free(log);
}

/* BOOT_FILES_MAX_RELEASES releases, not one more. */
static void test_release_cap(void **state)
{
	struct boot_files bf = { 0 };
	struct store_release_boot b;
	gw_error err = { { 0 } };

	(void)state;
	memset(&b, 0, sizeof(b));
	for (size_t i = 0; i < BOOT_FILES_MAX_RELEASES; i++)
		assert_int_equal(boot_files_add(&bf, &b, &err), 0);
	assert_int_equal(boot_files_add(&bf, &b, &err), GW_E_TOOBIG);
	assert_non_null(strstr(err.msg, "more than 256 releases"));
	boot_files_fini(&bf);
	boot_files_fini(NULL);
}

static struct gwpol *policy(struct eventlog *log, bool opt_in)
{
	char json[4096], hex[65];
	size_t n;
	struct gwpol *p = NULL;
	gw_error err = { { 0 } };

	n = (size_t)snprintf(json, sizeof(json), "{\"model\":\"m\",\"version\":1,%s\"firmware\":"
			     "{\"bank\":\"sha256\",\"pcrs\":{\"9\":{\"allowed\":[{\"type\":\"EV_IPL\","
			     "\"digests\":[", opt_in ? "\"pcr_selection\":\"sha256:0-9\"," : "");
	for (size_t i = 0, first = 1; i < log->nevents; i++) {
		const struct eventlog_event *e = &log->events[i];

		if (e->pcr != PCR || e->num == EV_KERNEL || e->num == EV_INITRD ||
		    e->num == 44 /* grubenv again */)
			continue;
		gw_hex_encode(gwpol_event_digest(e, TPM2_ALG_SHA256), 32, hex);
		n += (size_t)snprintf(json + n, sizeof(json) - n, "%s\"%s\"", first ? "" : ",", hex);
		first = 0;
	}
	(void)snprintf(json + n, sizeof(json) - n, "]}]}}}%s}",
		       opt_in ? ",\"update\":{\"boot_files_pcr\":9}" : "");
	assert_int_equal(gwpol_parse(json, strlen(json), &p, NULL, &err), 0);
	return p;
}

static size_t pcr9_findings(const struct gwpol *p, struct eventlog *log,
			    const struct gwpol_digests *boot)
{
	struct gwpol_evidence ev = { .fwlog = log, .fw_quoted = 0xffffff, .boot_files = boot };
	struct gwpol_report *r = malloc(sizeof(*r));
	size_t n;

	assert_non_null(r);
	gwpol_report_init(r);
	assert_int_equal(gwpol_evaluate(p, &ev, r), 0);
	n = count(r, "$.firmware.pcrs.9", NULL);
	free(r);
	return n;
}

/* The allowed set of release r (NULL: the running release unknown): its boot
 * files only. */
static size_t pcr9_findings_for(const struct gwpol *p, struct eventlog *log,
				const struct boot_release *r)
{
	struct gwpol_digests allowed;
	size_t n;

	assert_int_equal(boot_files_allowed(r, &allowed), 0);
	n = pcr9_findings(p, log, &allowed);
	free(allowed.d);
	return n;
}

static void test_evaluator_allows(void **state)
{
	struct eventlog *log = load();
	struct boot_files bf = { 0 };
	struct gwpol *on = policy(log, true), *off = policy(log, false);
	const uint8_t *v2[] = { sha(log, EV_KERNEL), sha(log, EV_INITRD) };
	const uint8_t *v1[] = { NULL, NULL };
	const uint8_t *kernel[] = { sha(log, EV_KERNEL) };

	(void)state;
	add(&bf, "v2", 2, v2);
	add(&bf, "v1", 2, v1);
	/* Without the running release's files the kernel and initramfs are not
	 * allowed. */
	assert_int_equal(pcr9_findings(on, log, NULL), 2);
	assert_int_equal(pcr9_findings_for(on, log, &bf.rel[0]), 0);
	/* Only on the policy's boot_files_pcr. */
	assert_int_equal(pcr9_findings_for(off, log, &bf.rel[0]), 2);
	/* Another held release running: v2's files are not allowed for it (review
	 * finding 2: every held release's files were). */
	assert_int_equal(pcr9_findings_for(on, log, &bf.rel[1]), 2);
	/* The running release unknown (no running record, or one the verifier does
	 * not hold): no release's file is allowed, the policy's own rule decides. */
	assert_int_equal(pcr9_findings_for(on, log, NULL), 2);
	boot_files_fini(&bf);
	/* A release's kernel only: the initramfs is an unknown digest. */
	add(&bf, "k", 1, kernel);
	assert_int_equal(pcr9_findings_for(on, log, &bf.rel[0]), 1);
	/* Only as EV_IPL: the type binds what GRUB measured. */
	event(log, EV_KERNEL)->type = EV_SEPARATOR;
	assert_int_equal(pcr9_findings_for(on, log, &bf.rel[0]), 2);
	boot_files_fini(&bf);
	gwpol_free(on);
	gwpol_free(off);
	eventlog_free(log);
}

/* boot_files_allowed: the running release's digests, nothing else. */
static void test_allowed(void **state)
{
	struct eventlog *log = load();
	struct boot_files bf = { 0 };
	struct gwpol_digests a;
	const uint8_t *v2[] = { sha(log, EV_KERNEL), sha(log, EV_INITRD) };

	(void)state;
	add(&bf, "v2", 2, v2);
	add(&bf, "v0", 0, NULL);
	assert_int_equal(boot_files_allowed(&bf.rel[0], &a), 0);
	assert_int_equal(a.n, 2);
	assert_int_equal(a.size, 32);
	assert_true(gwpol_digests_have(&a, v2[0]));
	assert_true(gwpol_digests_have(&a, v2[1]));
	free(a.d);
	assert_int_equal(boot_files_allowed(&bf.rel[1], &a), 0);
	assert_int_equal(a.n, 0);
	assert_null(a.d);
	assert_int_equal(boot_files_allowed(NULL, &a), 0);
	assert_int_equal(a.n, 0);
	boot_files_fini(&bf);
	eventlog_free(log);
}

/* A release of model gw-1 stored with digest hex and bundle path, its boot files
 * files[0..n). */
static void put_release(struct store *st, const char *hex, const char *path,
			const struct store_boot_file *files, size_t n)
{
	struct store_release r;

	memset(&r, 0, sizeof(r));
	memcpy(r.manifest_sha256, hex, 64);
	memcpy(r.id, hex, STORE_RELEASE_ID_LEN);
	strcpy(r.models[0], "gw-1");
	r.nmodels = 1;
	strcpy(r.channel, "stable");
	strcpy(r.version, "1.0");
	assert_int_equal(gw_snprintf(r.bundle_path, sizeof(r.bundle_path), "%s", path), 0);
	r.size = 1;
	memset(r.sha256, 'e', 64);
	strcpy(r.added_by, "test");
	memcpy(r.boot_files, files, n * sizeof(*files));
	r.nboot_files = n;
	assert_int_equal(store_release_put(st, &r, NULL, NULL), 0);
}

/* The manifest digest of the fixture bundle. */
static void bundle_digest(char hex[65])
{
	struct bundle_reader *br = NULL;
	int fd = open(BUNDLE, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(bundle_open_unverified(fd, &br, NULL), 0);
	memcpy(hex, bundle_manifest(br)->digest_hex, 65);
	bundle_reader_free(br);
	close(fd);
}

/* A schema-12 release: its boot files rows gone. */
static void forget_boot_files(const char *db_path)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open(db_path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "DELETE FROM release_boot_files;"
					  "DELETE FROM release_boot_read;", NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

/* Releases stored with their boot files are read from the store only (their
 * bundle files need not exist); one stored before schema 13 is read once from
 * its bundle and stored, then read from the store too; a bundle that is missing
 * or holds another manifest fails closed. */
static void test_load(void **state)
{
	struct store_fixture *f = *state;
	struct boot_files bf = { 0 };
	struct store_boot_file files[2];
	gw_error err = { { 0 } };
	char hex[65], other[65];

	memset(files, 0, sizeof(files));
	strcpy(files[0].path, "/boot/vmlinuz");
	memset(files[0].sha256, 1, 32);
	strcpy(files[1].path, "/boot/initrd.img");
	memset(files[1].sha256, 2, 32);
	memset(other, 'c', 64);
	other[64] = '\0';
	put_release(f->st, other, "/nonexistent/c.gwb", files, 2);
	assert_int_equal(boot_files_load(f->st, "gw-1", &bf, &err), 0);
	assert_int_equal(bf.n, 1);
	assert_int_equal(bf.filled, 0);
	assert_int_equal(bf.rel[0].n, 2);
	assert_string_equal(bf.rel[0].files[1].path, "/boot/initrd.img");
	assert_int_equal(bf.rel[0].files[1].sha256[0], 2);
	boot_files_fini(&bf);

	/* The fixture bundle's release, added before schema 13. */
	bundle_digest(hex);
	put_release(f->st, hex, BUNDLE, NULL, 0);
	forget_boot_files(f->path);
	assert_int_equal(boot_files_load(f->st, "gw-1", &bf, &err), GW_E_NOTFOUND);
	assert_non_null(strstr(err.msg, "/nonexistent/c.gwb"));
	boot_files_fini(&bf);
	/* Fill the first one again by hand: only the fixture's is unread now. */
	other[STORE_RELEASE_ID_LEN] = '\0';
	assert_int_equal(store_release_boot_put(f->st, other, files, 2, NULL), 0);
	assert_int_equal(boot_files_load(f->st, "gw-1", &bf, &err), 0);
	assert_int_equal(bf.n, 2);
	assert_int_equal(bf.filled, 1);
	assert_int_equal(bf.fill_rc, 0);
	assert_int_equal(bf.rel[1].n, 0);
	boot_files_fini(&bf);
	/* Stored: the next round reads the store only. */
	assert_int_equal(boot_files_load(f->st, "gw-1", &bf, &err), 0);
	assert_int_equal(bf.filled, 0);
	assert_int_equal(bf.n, 2);
	boot_files_fini(&bf);
}

/* A bundle whose manifest is not the release's is refused, and nothing stored. */
static void test_load_other_manifest(void **state)
{
	struct store_fixture *f = *state;
	struct boot_files bf = { 0 };
	gw_error err = { { 0 } };
	char hex[65];

	memset(hex, 'd', 64);
	hex[64] = '\0';
	put_release(f->st, hex, BUNDLE, NULL, 0);
	forget_boot_files(f->path);
	assert_int_equal(boot_files_load(f->st, "gw-1", &bf, &err), GW_E_REFERENCE);
	assert_non_null(strstr(err.msg, "not the release's"));
	boot_files_fini(&bf);
	assert_int_equal(boot_files_load(f->st, "gw-1", &bf, &err), GW_E_REFERENCE);
	boot_files_fini(&bf);
}

/* The release whose files the appraisal allowed (the log's claim, read before
 * it was authenticated) must be the one the authentic records name: a claim from
 * records that did not prove authentic is a finding. */
static void test_claim_checked(void **state)
{
	struct eventlog *log = load();
	struct gwpol *on = policy(log, true);
	struct service_boot b;
	struct service_updates u;
	struct gwpol_report *r = malloc(sizeof(*r));
	const uint8_t *v2[] = { sha(log, EV_KERNEL), sha(log, EV_INITRD) };

	(void)state;
	assert_non_null(r);
	memset(&b, 0, sizeof(b));
	memset(&u, 0, sizeof(u));
	b.on = true;
	add(&b.bf, "v2", 2, v2);
	b.claimed = &b.bf.rel[0];
	/* Not authentic: the claim stands alone. */
	gwpol_report_init(r);
	service_boot_check(&b, on, &u, log, 0xffffff, r);
	assert_int_equal(r->n, 1);
	assert_int_equal(count(r, BOOT_FILES_RULE, "allowed the boot files of release v2, which "
				     "the device's update records name as running, but those "
				     "records are not authentic"), 1);
	/* Authentic and naming v2 (manifest aa...): judged, nothing wrong. */
	u.read = true;
	u.log.has_running = true;
	memset(u.log.running.manifest_digest, 0xaa, 32);
	gwpol_report_init(r);
	service_boot_check(&b, on, &u, log, 0xffffff, r);
	assert_int_equal(r->n, 0);
	/* Authentic and naming none: the claim was not the records'. */
	u.log.has_running = false;
	gwpol_report_init(r);
	service_boot_check(&b, on, &u, log, 0xffffff, r);
	assert_int_equal(count(r, BOOT_FILES_RULE, "not authentic"), 1);
	/* No claim and no running release: nothing to judge. */
	b.claimed = NULL;
	gwpol_report_init(r);
	service_boot_check(&b, on, &u, log, 0xffffff, r);
	assert_int_equal(r->n, 0);
	free(r);
	service_boot_fini(&b);
	gwpol_free(on);
	eventlog_free(log);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_judge),
		cmocka_unit_test(test_twice_and_other_pcr),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_release_cap),
		cmocka_unit_test(test_evaluator_allows),
		cmocka_unit_test(test_allowed),
		cmocka_unit_test(test_claim_checked),
		cmocka_unit_test_setup_teardown(test_load, store_fixture_setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_load_other_manifest, store_fixture_setup,
						store_fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
