// SPDX-License-Identifier: Apache-2.0
// Unit tests for what a device's attested agent log says of its updates: the
// latest running record and the latest other update record, records that are not
// what they say ignored, other PCRs and event types passed over, a bad log refused.
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

/* Append a record whose sha256 digest is digest[0] repeated, on pcr. */
static void add(struct logbuf *b, uint32_t pcr, const char *type, const char *string,
		uint8_t digest)
{
	static const uint16_t algs[] = { TPM2_ALG_SHA256 };
	uint8_t d[1][GW_MAX_DIGEST];
	char *rec = NULL;
	size_t len = 0;

	memset(d, digest, sizeof(d));
	assert_int_equal(cel_record_format(b->n++, pcr, algs, (const uint8_t(*)[GW_MAX_DIGEST])d,
					   1, type, NULL, NULL, string, &rec, &len), 0);
	assert_true(b->len + len < sizeof(b->text));
	memcpy(b->text + b->len, rec, len);
	b->len += len;
	free(rec);
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

static void test_running_and_last(void **state)
{
	struct logbuf b = { .len = 0 };
	struct device_updates u;
	gw_error err = { { 0 } };

	(void)state;
	add(&b, 14, "trust_root", NULL, 0x01);
	add(&b, 14, "update", ev("running", 'A', "1.0", 0xaa), 0xaa);
	add(&b, 13, "update", ev("running", 'B', "9.9", 0xcc), 0xcc); /* not the trust PCR */
	add(&b, 14, "update", ev("staged", 'B', "2.0", 0xbb), 0xbb);
	/* says staged 3.0 but extends another digest: not believed */
	add(&b, 14, "update", ev("staged", 'B', "3.0", 0xdd), 0xee);
	add(&b, 14, "update", "update sideways", 0x11);
	assert_int_equal(device_updates_read((const uint8_t *)b.text, b.len, &u, &err), 0);
	assert_true(u.has_running);
	assert_int_equal(u.running.group, 'A');
	assert_string_equal(u.running.version, "1.0");
	assert_true(u.has_last);
	assert_int_equal(u.last.kind, UPDATE_EV_STAGED);
	assert_string_equal(u.last.version, "2.0");
	assert_int_equal(u.last.manifest_digest[0], 0xbb);
	assert_int_equal(u.ignored, 2);

	/* after a trial boot's commit: running B, last committed B */
	b.len = 0;
	b.n = 0;
	add(&b, 14, "update", ev("running", 'B', "2.0", 0xbb), 0xbb);
	add(&b, 14, "update", ev("committed", 'B', "2.0", 0xbb), 0xbb);
	assert_int_equal(device_updates_read((const uint8_t *)b.text, b.len, &u, &err), 0);
	assert_int_equal(u.last.kind, UPDATE_EV_COMMITTED);
	assert_int_equal(u.running.group, 'B');
}

static void test_empty_and_bad(void **state)
{
	struct device_updates u;
	gw_error err = { { 0 } };

	(void)state;
	assert_int_equal(device_updates_read((const uint8_t *)"", 0, &u, &err), 0);
	assert_false(u.has_running);
	assert_false(u.has_last);
	assert_int_not_equal(device_updates_read((const uint8_t *)"\x1e{\"x\":\n", 8, &u, &err),
			     0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_running_and_last),
		cmocka_unit_test(test_empty_and_bad),
	};

	return cmocka_run_group_tests_name("device_updates", tests, NULL, NULL);
}
