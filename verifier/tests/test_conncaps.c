// SPDX-License-Identifier: Apache-2.0
// Unit tests for the connection caps: many /64s of one IPv6 site cannot fill the
// total, connections still in the TLS handshake are capped per source, every
// release gives the place back, and reaching or leaving the total is reported.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "conncaps.h"

static void key_of(const char *host, uint8_t key[SRCADDR_KEY_LEN])
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in sin = { .sin_family = AF_INET };

	if (inet_pton(AF_INET, host, &sin.sin_addr) == 1) {
		srcaddr_key_from_sockaddr((struct sockaddr *)&sin, sizeof(sin), key);
		return;
	}
	assert_int_equal(inet_pton(AF_INET6, host, &sin6.sin6_addr), 1);
	srcaddr_key_from_sockaddr((struct sockaddr *)&sin6, sizeof(sin6), key);
}

static int full_calls;

static void on_full(void *arg)
{
	(void)arg;
	full_calls++;
}

/* Open connections from host until a cap says no; the count taken, at most max. */
static unsigned fill(struct conncaps *c, const char *host, unsigned max, bool finish,
		     enum conncaps_verdict *last)
{
	uint8_t key[SRCADDR_KEY_LEN];
	unsigned n = 0, open;

	key_of(host, key);
	*last = CONNCAPS_OK;
	while (n < max && (*last = conncaps_take(c, key, &open)) == CONNCAPS_OK) {
		if (finish)
			conncaps_handshake_done(c, key);
		n++;
	}
	return n;
}

/* The reviewer's case: ulimit -n 1024 gives 976 slots, 32 per source. 31 /64s
 * of one /48 with 32 connections each would have taken 992 >= 976: the whole
 * server. With the prefix caps they get 128 per /56 and 256 per /48, and the
 * rest of the Internet still gets in. */
static void test_one_site_cannot_fill(void **state)
{
	const struct conncaps_limits max = { 976, 32, 128, 32 };
	struct conncaps c;
	enum conncaps_verdict v;
	unsigned held = 0;
	char host[64];

	(void)state;
	assert_int_equal(conncaps_init(&c, &max, NULL, NULL), 0);
	/* 31 /64s in one /56 */
	for (unsigned i = 0; i < 31; i++) {
		snprintf(host, sizeof(host), "2001:db8:77:%x::1", i);
		held += fill(&c, host, 32, true, &v);
	}
	assert_int_equal(held, 128);
	assert_int_equal(v, CONNCAPS_PREFIX_FULL);
	/* 31 /64s, each in its own /56 of the same /48 */
	held = 0;
	for (unsigned i = 1; i <= 31; i++) {
		snprintf(host, sizeof(host), "2001:db8:77:%x00::1", i);
		held += fill(&c, host, 32, true, &v);
	}
	assert_int_equal(held, 256 - 128);
	assert_int_equal(conncaps_total(&c), 256);
	assert_false(conncaps_full(&c));
	/* Other sites and IPv4 clients are not touched. */
	assert_int_equal(fill(&c, "2001:db8:78::1", 32, true, &v), 32);
	assert_int_equal(v, CONNCAPS_OK);
	assert_int_equal(fill(&c, "192.0.2.1", 100, true, &v), 32);
	assert_int_equal(v, CONNCAPS_SOURCE_FULL);
	conncaps_fini(&c);
}

/* Silent connections: a handful per source; finishing the handshake frees the
 * handshake place but not the connection's. */
static void test_handshakes_per_source(void **state)
{
	const struct conncaps_limits max = { 100, 32, 128, 4 };
	uint8_t key[SRCADDR_KEY_LEN];
	struct conncaps c;
	enum conncaps_verdict v;
	unsigned open;

	(void)state;
	assert_int_equal(conncaps_init(&c, &max, NULL, NULL), 0);
	assert_int_equal(fill(&c, "192.0.2.7", 100, false, &v), 4);
	assert_int_equal(v, CONNCAPS_HANDSHAKES_FULL);
	key_of("192.0.2.7", key);
	conncaps_handshake_done(&c, key);
	assert_int_equal(conncaps_take(&c, key, &open), CONNCAPS_OK);
	assert_int_equal(open, 4);
	assert_int_equal(conncaps_take(&c, key, &open), CONNCAPS_HANDSHAKES_FULL);
	/* one still in its handshake goes: room for one more */
	conncaps_release(&c, key, true);
	assert_int_equal(conncaps_take(&c, key, &open), CONNCAPS_OK);
	/* one that had finished goes: still four in the handshake */
	conncaps_release(&c, key, false);
	assert_int_equal(conncaps_take(&c, key, &open), CONNCAPS_HANDSHAKES_FULL);
	assert_int_equal(conncaps_total(&c), 4);
	conncaps_fini(&c);
}

/* Every release gives its places back (source, /56, /48, total), so after many
 * rounds the caps are where they started; reaching and leaving the total is
 * reported each time. */
static void test_release_and_full(void **state)
{
	const struct conncaps_limits max = { 40, 16, 8, 16 };
	uint8_t k[3][SRCADDR_KEY_LEN];
	struct conncaps c;
	enum conncaps_verdict v;
	unsigned open;

	(void)state;
	key_of("2001:db8:77:1::1", k[0]);
	key_of("2001:db8:77:2::1", k[1]);
	key_of("198.51.100.1", k[2]);
	full_calls = 0;
	assert_int_equal(conncaps_init(&c, &max, on_full, NULL), 0);
	for (int round = 0; round < 50; round++) {
		for (int i = 0; i < 8; i++)
			assert_int_equal(conncaps_take(&c, k[i & 1], &open), CONNCAPS_OK);
		assert_int_equal(conncaps_take(&c, k[0], &open), CONNCAPS_PREFIX_FULL);
		for (int i = 0; i < 8; i++)
			conncaps_release(&c, k[i & 1], (i & 2) != 0);
		assert_int_equal(conncaps_total(&c), 0);
	}
	assert_int_equal(full_calls, 0);
	assert_int_equal(fill(&c, "198.51.100.1", 16, false, &v), 16);
	assert_int_equal(fill(&c, "198.51.100.2", 16, false, &v), 16);
	assert_int_equal(fill(&c, "198.51.100.3", 16, false, &v), 8);
	assert_int_equal(v, CONNCAPS_ALL_FULL);
	assert_true(conncaps_full(&c));
	assert_int_equal(full_calls, 1);
	conncaps_release(&c, k[2], true);
	assert_false(conncaps_full(&c));
	assert_int_equal(full_calls, 2);
	/* the source's own caps are checked before the total */
	assert_int_equal(conncaps_take(&c, k[2], &open), CONNCAPS_OK);
	assert_int_equal(conncaps_take(&c, k[2], &open), CONNCAPS_SOURCE_FULL);
	assert_int_equal(full_calls, 3);
	conncaps_fini(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_site_cannot_fill),
		cmocka_unit_test(test_handshakes_per_source),
		cmocka_unit_test(test_release_and_full),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
