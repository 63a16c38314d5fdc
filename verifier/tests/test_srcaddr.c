// SPDX-License-Identifier: Apache-2.0
// Unit tests for source-address keys: IPv4 alone or IPv4-mapped is one key, IPv6
// counts per /64 (link-local per address), the text and socket forms agree, and
// what cannot be read shares the all-zero key.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "srcaddr.h"

static void key_text(const char *s, uint8_t key[SRCADDR_KEY_LEN])
{
	srcaddr_key_from_text(s, key);
}

static void key_sock(const char *host, uint8_t key[SRCADDR_KEY_LEN])
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };

	if (inet_pton(AF_INET, host, &sin.sin_addr) == 1) {
		srcaddr_key_from_sockaddr((struct sockaddr *)&sin, sizeof(sin), key);
		return;
	}
	assert_int_equal(inet_pton(AF_INET6, host, &sin6.sin6_addr), 1);
	srcaddr_key_from_sockaddr((struct sockaddr *)&sin6, sizeof(sin6), key);
}

static void assert_same(const uint8_t *a, const uint8_t *b)
{
	assert_memory_equal(a, b, SRCADDR_KEY_LEN);
}

static void assert_differ(const uint8_t *a, const uint8_t *b)
{
	assert_memory_not_equal(a, b, SRCADDR_KEY_LEN);
}

static void test_ipv4_and_mapped(void **state)
{
	uint8_t a[SRCADDR_KEY_LEN], b[SRCADDR_KEY_LEN], c[SRCADDR_KEY_LEN];

	(void)state;
	key_text("127.0.0.1:4000", a);
	key_text("[::ffff:127.0.0.1]:4001", b);
	assert_same(a, b);
	key_sock("127.0.0.1", b);
	assert_same(a, b);
	key_sock("::ffff:127.0.0.1", b);
	assert_same(a, b);
	key_text("127.0.0.2:4000", c);
	assert_differ(a, c);
	/* Two IPv4 clients through a dual-stack socket are two sources, not one /64. */
	key_sock("::ffff:127.0.0.2", b);
	assert_same(b, c);
}

static void test_ipv6_per_64(void **state)
{
	uint8_t a[SRCADDR_KEY_LEN], b[SRCADDR_KEY_LEN];

	(void)state;
	key_text("[2001:db8:1:2::1]:1", a);
	key_sock("2001:db8:1:2:ffff::9", b);
	assert_same(a, b);
	key_sock("2001:db8:1:3::1", b);
	assert_differ(a, b);
	key_text("[::1]:1", a);
	key_sock("::1", b);
	assert_same(a, b);
	key_text("127.0.0.1:1", b);
	assert_differ(a, b);
	/* Link-local: every address is in fe80::/64, each counts alone. */
	key_text("[fe80::1%eth0]:1", a);
	key_sock("fe80::1", b);
	assert_same(a, b);
	key_sock("fe80::2", b);
	assert_differ(a, b);
}

static void test_unreadable(void **state)
{
	static const uint8_t zero[SRCADDR_KEY_LEN];
	static const char *const bad[] = { NULL, "", "nonsense", "[::1", "1.2.3:4",
					   "[zz::1]:1", "300.1.1.1:1" };
	uint8_t k[SRCADDR_KEY_LEN];
	struct sockaddr_in sin = { .sin_family = AF_INET };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(k, 0xa5, sizeof(k));
		key_text(bad[i], k);
		assert_same(k, zero);
	}
	memset(k, 0xa5, sizeof(k));
	srcaddr_key_from_sockaddr((struct sockaddr *)&sin, sizeof(sin) - 1, k);
	assert_same(k, zero);
	srcaddr_key_from_sockaddr(NULL, 0, k);
	assert_same(k, zero);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4_and_mapped),
		cmocka_unit_test(test_ipv6_per_64),
		cmocka_unit_test(test_unreadable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
