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

/* 6to4 and NAT64 addresses carry an IPv4 client: they count as that client, not
 * as one /64 per IPv6 address (6to4) or one /64 for every client (NAT64). */
static void test_embedded_ipv4(void **state)
{
	uint8_t a[SRCADDR_KEY_LEN], b[SRCADDR_KEY_LEN];

	(void)state;
	key_text("192.0.2.1:1", a);
	key_sock("2002:c000:201::1", b);
	assert_same(a, b);
	key_sock("2002:c000:201:ffff::9", b); /* another /64 of the same 6to4 /48 */
	assert_same(a, b);
	key_text("[2002:c000:201:1::1]:1", b);
	assert_same(a, b);
	key_sock("64:ff9b::192.0.2.1", b);
	assert_same(a, b);
	key_text("[64:ff9b::c000:201]:1", b);
	assert_same(a, b);
	key_sock("64:ff9b::192.0.2.2", b);
	assert_differ(a, b);
	key_sock("2002:c000:202::1", b);
	assert_differ(a, b);
	/* Only the well-known /96: 64:ff9b:1::/48 (RFC 8215) is ordinary IPv6. */
	key_sock("64:ff9b:1::c000:201", b);
	assert_differ(a, b);
}

/* The /56 and /48 of a global IPv6 source: its /64s together; none for IPv4
 * or link-local sources; never equal to a source key. */
static void test_prefix_keys(void **state)
{
	uint8_t a[SRCADDR_KEY_LEN], b[SRCADDR_KEY_LEN], pa[SRCADDR_KEY_LEN], pb[SRCADDR_KEY_LEN];
	static const uint8_t zero[SRCADDR_KEY_LEN];

	(void)state;
	key_sock("2001:db8:77:1::1", a);
	key_sock("2001:db8:77:2::1", b);
	assert_differ(a, b);
	assert_true(srcaddr_prefix_key(a, 56, pa));
	assert_true(srcaddr_prefix_key(b, 56, pb));
	assert_same(pa, pb);
	assert_differ(pa, a);
	assert_true(srcaddr_prefix_key(a, 48, pb));
	assert_differ(pa, pb); /* a /56 and a /48 are counted apart */
	key_sock("2001:db8:77:100::1", b); /* another /56 of the same /48 */
	assert_true(srcaddr_prefix_key(b, 56, pb));
	assert_differ(pa, pb);
	assert_true(srcaddr_prefix_key(a, 48, pa));
	assert_true(srcaddr_prefix_key(b, 48, pb));
	assert_same(pa, pb);
	key_sock("2001:db8:78::1", b);
	assert_true(srcaddr_prefix_key(b, 48, pb));
	assert_differ(pa, pb);
	key_sock("192.0.2.1", a);
	assert_false(srcaddr_prefix_key(a, 48, pa));
	assert_same(pa, zero);
	key_sock("2002:c000:201::1", a); /* 6to4: an IPv4 source */
	assert_false(srcaddr_prefix_key(a, 56, pa));
	key_sock("fe80::1", a);
	assert_false(srcaddr_prefix_key(a, 48, pa));
	key_sock("2001:db8::1", a);
	assert_false(srcaddr_prefix_key(a, 64, pa));
}

/* The text form reads back as the same key. */
static void test_format(void **state)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(4000) };
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(80) };
	struct sockaddr un = { .sa_family = AF_UNIX };
	uint8_t a[SRCADDR_KEY_LEN], b[SRCADDR_KEY_LEN];
	char buf[64];

	(void)state;
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::1", &sin6.sin6_addr), 1);
	srcaddr_format((struct sockaddr *)&sin6, true, buf, sizeof(buf));
	assert_string_equal(buf, "[2001:db8::1]:4000");
	srcaddr_key_from_text(buf, a);
	srcaddr_key_from_sockaddr((struct sockaddr *)&sin6, sizeof(sin6), b);
	assert_same(a, b);
	srcaddr_format((struct sockaddr *)&sin6, false, buf, sizeof(buf));
	assert_string_equal(buf, "2001:db8::1");
	assert_int_equal(inet_pton(AF_INET, "192.0.2.1", &sin.sin_addr), 1);
	srcaddr_format((struct sockaddr *)&sin, true, buf, sizeof(buf));
	assert_string_equal(buf, "192.0.2.1:80");
	srcaddr_format(&un, true, buf, sizeof(buf));
	assert_string_equal(buf, "?");
	srcaddr_format(NULL, false, buf, sizeof(buf));
	assert_string_equal(buf, "?");
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
		cmocka_unit_test(test_embedded_ipv4),
		cmocka_unit_test(test_prefix_keys),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_unreadable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
