// SPDX-License-Identifier: Apache-2.0
// Unit tests for the headers of a bundle download as the agent reads them: the
// verifier's ETag and a 206 answer's Content-Range, with bad inputs; and the
// downloads directory's lock against `update apply`'s pruning.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "update_fetch.h"
#include "update_offer.h"
#include "util.h"

#define SHA "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void test_etag(void **state)
{
	static const char *const bad[] = {
		"",
		SHA,
		"\"" SHA,
		"W/\"" SHA "\"",
		"\"" SHA "\" ",
		"\"0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef\"",
		"\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\"",
		"\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0\"",
		"\"././././././././././././././././././././././././././././././././\"",
	};

	(void)state;
	assert_true(update_fetch_valid_etag("\"" SHA "\""));
	for (size_t i = 0; i < GW_ARRAY_SIZE(bad); i++)
		if (update_fetch_valid_etag(bad[i]))
			fail_msg("accepted '%s'", bad[i]);
}

static void test_content_range(void **state)
{
	static const char *const bad[] = {
		"", "bytes", "bytes ", "bytes 0-1", "bytes 0-1/", "bytes */100", "bytes 5-4/100",
		"bytes 0-100/100", "bytes 0-1/1", "bytes -1-2/3", "bytes 0-1/100 ", "bytes  0-1/100",
		"Bytes 0-1/100", "bytes 0x1-2/3", "bytes 1-2/3/4", "bytes 0-1/100,2-3/100",
		"bytes 99999999999999999999-1/2", "bytes 0-99999999999999999999/2",
		"bytes 0-1/99999999999999999999", "bytes +0-1/100", "items 0-1/100",
	};
	uint64_t a = 7, b = 7, t = 7;

	(void)state;
	assert_true(update_fetch_content_range("bytes 0-99/100", &a, &b, &t));
	assert_true(a == 0 && b == 99 && t == 100);
	assert_true(update_fetch_content_range("bytes 5000-9999999/10000000", &a, &b, &t));
	assert_true(a == 5000 && b == 9999999 && t == 10000000);
	assert_true(update_fetch_content_range("bytes 0-0/1", &a, &b, &t));
	for (size_t i = 0; i < GW_ARRAY_SIZE(bad); i++) {
		a = b = t = 7;
		if (update_fetch_content_range(bad[i], &a, &b, &t))
			fail_msg("accepted '%s'", bad[i]);
		assert_true(a == 7 && b == 7 && t == 7);
	}
}

#define REL_A "aaaaaaaaaaaaaaaa" /* installed */
#define REL_B "bbbbbbbbbbbbbbbb" /* no longer offered, being fetched */
#define REL_C "cccccccccccccccc" /* still offered */

static const char *const files[] = {
	REL_A ".gwb", REL_B ".gwb.part", REL_B ".gwb.part.etag", REL_C ".gwb", "notes.txt",
};

static void put(const char *dir, const char *name)
{
	char path[256];
	int fd;

	assert_int_equal(gw_snprintf(path, sizeof(path), "%s/%s", dir, name), 0);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "x", 1), 1);
	close(fd);
}

static bool there(const char *dir, const char *name)
{
	char path[256];

	assert_int_equal(gw_snprintf(path, sizeof(path), "%s/%s", dir, name), 0);
	return access(path, F_OK) == 0;
}

/* Review finding 10: while a fetch holds the downloads directory's lock (its
 * part file being written), `update apply`'s pruning removes nothing and does
 * not wait; once it is let go, the installed release's download and those no
 * longer offered go, the offered one and other files stay. */
static void test_prune_spares_a_fetch(void **state)
{
	char dir[] = "/tmp/gw-test-downloads-XXXXXX", path[256];
	struct update_offers offers;
	gw_error err = { { 0 } };
	int fetch_fd = -1, other = -1;

	(void)state;
	assert_non_null(mkdtemp(dir));
	for (size_t i = 0; i < GW_ARRAY_SIZE(files); i++)
		put(dir, files[i]);
	update_offers_init(&offers);
	offers.n = 1;
	memcpy(offers.offer[0].id, REL_C, sizeof(REL_C));

	assert_int_equal(update_downloads_lock(dir, false, &fetch_fd, &err), 0);
	/* Another fetch shares it; a pruning does not get it. */
	assert_int_equal(update_downloads_lock(dir, false, &other, &err), 0);
	close(other);
	assert_int_equal(update_downloads_lock(dir, true, &other, &err), GW_E_STATE);
	assert_false(update_downloads_prune(dir, &offers, REL_A));
	for (size_t i = 0; i < GW_ARRAY_SIZE(files); i++)
		if (!there(dir, files[i]))
			fail_msg("%s removed under a fetch", files[i]);
	close(fetch_fd);

	assert_true(update_downloads_prune(dir, &offers, REL_A));
	assert_false(there(dir, REL_A ".gwb"));
	assert_false(there(dir, REL_B ".gwb.part"));
	assert_false(there(dir, REL_B ".gwb.part.etag"));
	assert_true(there(dir, REL_C ".gwb"));
	assert_true(there(dir, "notes.txt"));
	assert_true(there(dir, UPDATE_DOWNLOADS_LOCK));

	update_offers_fini(&offers);
	for (size_t i = 0; i < GW_ARRAY_SIZE(files); i++) {
		assert_int_equal(gw_snprintf(path, sizeof(path), "%s/%s", dir, files[i]), 0);
		(void)unlink(path);
	}
	assert_int_equal(gw_snprintf(path, sizeof(path), "%s/%s", dir, UPDATE_DOWNLOADS_LOCK), 0);
	(void)unlink(path);
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_etag),
		cmocka_unit_test(test_content_range),
		cmocka_unit_test(test_prune_spares_a_fetch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
