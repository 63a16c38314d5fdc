// SPDX-License-Identifier: Apache-2.0
// Unit tests for what a device's attested agent log says of its updates: the
// first running record, a pending trial, the outcome records with their place,
// records whose digests are not the hash of their text ignored and counted.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cel.h"
#include "device_updates.h"
#include "util.h"

struct logbuf {
	char text[8192];
	size_t len;
	uint64_t n;
};

/* Append a record on pcr with banks sha256 (and sha1 when two): each digest is
 * the bank's hash of hashed (the agent's form: hashed == string), or digest
 * repeated when hashed is NULL. */
static void add_banks(struct logbuf *b, uint32_t pcr, const char *type, const char *string,
		      const char *hashed, uint8_t digest, size_t nbanks)
{
	static const uint16_t algs[] = { TPM2_ALG_SHA256, TPM2_ALG_SHA1 };
	uint8_t d[2][GW_MAX_DIGEST];
	char *rec = NULL;
	size_t len = 0;

	memset(d, digest, sizeof(d));
	for (size_t i = 0; hashed && i < nbanks; i++)
		assert_int_equal(update_event_digest(algs[i], hashed, d[i]), 0);
	assert_int_equal(cel_record_format(b->n++, pcr, algs, (const uint8_t(*)[GW_MAX_DIGEST])d,
					   nbanks, type, NULL, NULL, string, &rec, &len), 0);
	assert_true(b->len + len < sizeof(b->text));
	memcpy(b->text + b->len, rec, len);
	b->len += len;
	free(rec);
}

static void add(struct logbuf *b, uint32_t pcr, const char *type, const char *string,
		uint8_t digest)
{
	add_banks(b, pcr, type, string, NULL, digest, 1);
}

/* An update record as gwagent writes it: the digest is the hash of the text. */
static void rec(struct logbuf *b, const char *text)
{
	add_banks(b, 14, "update", text, text, 0, 1);
}

/* "update KIND G version V manifest sha256:" + 64 hex digits of byte digest. */
static const char *ev(const char *kind, char g, const char *v, uint8_t digest)
{
	static char buf[4][192];
	static int k;
	char hex[65];
	uint8_t d[32];

	memset(d, digest, sizeof(d));
	gw_hex_encode(d, sizeof(d), hex);
	k = (k + 1) % 4;
	snprintf(buf[k], sizeof(buf[k]), "update %s %c version %s manifest sha256:%s", kind, g, v,
		 hex);
	return buf[k];
}

static struct device_updates read_log(const struct logbuf *b)
{
	struct device_updates u;
	gw_error err = { { 0 } };

	assert_int_equal(device_updates_read((const uint8_t *)b->text, b->len, &u, &err), 0);
	return u;
}

static void test_running_trial_outcomes(void **state)
{
	struct logbuf b = { .len = 0 };
	struct device_updates u;

	(void)state;
	add(&b, 14, "trust", "trust root sha256:01", 0x01);
	rec(&b, ev("running", 'A', "1.0", 0xaa));
	add_banks(&b, 13, "update", ev("running", 'B', "9.9", 0xcc), ev("running", 'B', "9.9", 0xcc),
		  0, 1); /* not the trust PCR */
	rec(&b, ev("staged", 'B', "2.0", 0xbb));
	u = read_log(&b);
	assert_true(u.has_running);
	assert_int_equal(u.running.group, 'A');
	assert_string_equal(u.running.version, "1.0");
	assert_true(u.trial_pending);
	assert_string_equal(u.trial.version, "2.0");
	assert_int_equal(u.n_outcomes, 1);
	assert_int_equal(u.outcome[0].ev.kind, UPDATE_EV_STAGED);
	assert_int_equal(u.outcome[0].position, 3); /* the third PCR 14 record */
	assert_int_equal(u.pcr14_records, 3);
	assert_int_equal(u.ignored, 0);

	/* after a trial boot's commit: running B, committed B, no trial */
	b.len = 0;
	b.n = 0;
	rec(&b, ev("running", 'B', "2.0", 0xbb));
	rec(&b, ev("committed", 'B', "2.0", 0xbb));
	u = read_log(&b);
	assert_int_equal(u.running.group, 'B');
	assert_false(u.trial_pending);
	assert_int_equal(u.outcome[u.n_outcomes - 1].ev.kind, UPDATE_EV_COMMITTED);

	/* a staged record then a rolled-back one: no trial pending */
	rec(&b, ev("staged", 'A', "3.0", 0xdd));
	assert_true(read_log(&b).trial_pending);
	rec(&b, ev("rolled-back", 'A', "3.0", 0xdd));
	assert_false(read_log(&b).trial_pending);
}

/* The first running record of the boot counts; one root extends later does not. */
static void test_first_running(void **state)
{
	struct logbuf b = { .len = 0 };
	struct device_updates u;

	(void)state;
	rec(&b, ev("running", 'A', "1.0", 0xaa));
	rec(&b, ev("running", 'B', "9.0", 0x99));
	u = read_log(&b);
	assert_string_equal(u.running.version, "1.0");
	assert_int_equal(u.later_running, 1);
}

/* Records whose digests are not the hash of their text are ignored and counted:
 * the manifest digest alone (the old form), the text changed after hashing (a
 * relabelled kind, extra blanks), a second bank that does not match, a text that
 * is not an update record. */
static void test_not_believed(void **state)
{
	const char *rb = ev("rolled-back", 'B', "2.0", 0xbb);
	const char *cm = ev("committed", 'B', "2.0", 0xbb);
	char spaced[256];
	struct logbuf b = { .len = 0 };
	struct device_updates u;

	(void)state;
	snprintf(spaced, sizeof(spaced), "%s ", ev("running", 'B', "2.0", 0xbb));
	rec(&b, ev("running", 'A', "1.0", 0xaa));
	add(&b, 14, "update", cm, 0xbb);                 /* old form */
	add_banks(&b, 14, "update", cm, rb, 0, 1);       /* relabelled */
	add_banks(&b, 14, "update", spaced, spaced, 0, 1); /* hashed, but not the form */
	add_banks(&b, 14, "update", cm, cm, 0, 2);       /* sha256 and sha1 both right */
	{
		/* sha1 bank wrong */
		static const uint16_t algs[] = { TPM2_ALG_SHA256, TPM2_ALG_SHA1 };
		uint8_t d[2][GW_MAX_DIGEST];
		char *r = NULL;
		size_t len = 0;

		memset(d, 0x11, sizeof(d));
		assert_int_equal(update_event_digest(TPM2_ALG_SHA256, rb, d[0]), 0);
		assert_int_equal(cel_record_format(b.n++, 14, algs,
						   (const uint8_t(*)[GW_MAX_DIGEST])d, 2, "update",
						   NULL, NULL, rb, &r, &len), 0);
		memcpy(b.text + b.len, r, len);
		b.len += len;
		free(r);
	}
	add(&b, 14, "update", "update sideways", 0x11);
	u = read_log(&b);
	assert_int_equal(u.ignored, 5);
	assert_non_null(strstr(u.first_ignored, "record 1: update record: its sha256 digest is "
					       "not the hash of its text"));
	assert_int_equal(u.n_outcomes, 1);
	assert_int_equal(u.outcome[0].ev.kind, UPDATE_EV_COMMITTED);
	assert_int_equal(u.outcome[0].position, 5);
	assert_string_equal(u.running.version, "1.0");
}

static void test_empty_and_bad(void **state)
{
	struct device_updates u;
	gw_error err = { { 0 } };

	(void)state;
	assert_int_equal(device_updates_read((const uint8_t *)"", 0, &u, &err), 0);
	assert_false(u.has_running);
	assert_int_equal(u.n_outcomes, 0);
	assert_int_not_equal(device_updates_read((const uint8_t *)"\x1e{\"x\":\n", 8, &u, &err),
			     0);
}

/* More outcome records than kept: the last are kept, the older counted. */
static void test_bounded(void **state)
{
	struct logbuf b = { .len = 0 };
	struct device_updates u;

	(void)state;
	for (int i = 0; i < DEVICE_UPDATES_MAX_OUTCOMES + 3; i++)
		rec(&b, ev("staged", 'B', "2.0", (uint8_t)i));
	u = read_log(&b);
	assert_int_equal(u.n_outcomes, DEVICE_UPDATES_MAX_OUTCOMES);
	assert_int_equal(u.outcomes_dropped, 3);
	/* The first kept is the fourth written; the last is the last written. */
	assert_int_equal(u.outcome[0].ev.manifest_digest[0], 3);
	assert_int_equal(u.outcome[DEVICE_UPDATES_MAX_OUTCOMES - 1].ev.manifest_digest[0],
			 DEVICE_UPDATES_MAX_OUTCOMES + 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_running_trial_outcomes),
		cmocka_unit_test(test_first_running),
		cmocka_unit_test(test_not_believed),
		cmocka_unit_test(test_empty_and_bad),
		cmocka_unit_test(test_bounded),
	};

	return cmocka_run_group_tests_name("device_updates", tests, NULL, NULL);
}
