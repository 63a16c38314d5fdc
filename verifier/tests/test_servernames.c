// SPDX-License-Identifier: Apache-2.0
// Unit tests for the verifier's server names: what --hostname accepts, refuses and
// how it lands in the subjectAltName text.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "servernames.h"

static void test_accepts(void **state)
{
	struct servernames sn = { 0 };
	char san[512];

	(void)state;
	assert_int_equal(servernames_add(&sn, "GW-Verifier.Example", NULL), 0);
	assert_int_equal(servernames_add(&sn, "gw-verifier.example", NULL), 0); /* again */
	assert_int_equal(servernames_add(&sn, "192.0.2.1", NULL), 0);
	assert_int_equal(servernames_add(&sn, "2001:DB8::1", NULL), 0);
	assert_int_equal(servernames_add(&sn, "[2001:db8:0::1]", NULL), 0); /* the same */
	assert_int_equal(servernames_add(&sn, "localhost", NULL), 0);
	assert_int_equal(servernames_add(&sn, "a-1.b2", NULL), 0);
	assert_int_equal(sn.n, 5);
	/* Hex-looking labels that are no address stay names. */
	assert_int_equal(servernames_add(&sn, "0xcafe.example", NULL), 0);
	assert_int_equal(servernames_add(&sn, "deadbeef", NULL), 0);
	sn.n = 5;
	assert_int_equal(servernames_san(&sn, san, sizeof(san)), 0);
	assert_string_equal(san, "DNS:gw-verifier.example,IP:192.0.2.1,IP:2001:db8::1,"
				 "DNS:localhost,DNS:a-1.b2");
	assert_int_equal(servernames_san(&sn, san, 20), GW_E_TOOBIG);
}

static void test_refuses(void **state)
{
	static const char *const bad[] = {
		"", "*.example.com", "a*.example.com", "a.example.com,IP:10.0.0.1",
		"a.example.com,DNS:evil.example", "a b", "-a.example", "a-.example",
		"a..example", ".a.example", "a.example.", "1.2.3.256", "10.0.0", "a_b.example",
		"caf\xc3\xa9.example", "[192.0.2.1]", "[::1", "a\nb", "a/b", "a:b",
		/* What inet_aton() reads as IPv4 is no host name. */
		"0x7f000001", "0x7f.1", "127.1", "0x7f.0.0.1", "0X7F000001", "0x1.0x2.0x3",
		"127.0.0.01", "0177.0.0.1", "2130706433",
	};
	struct servernames sn = { 0 };
	gw_error err;
	char label[80], name[300];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&err, 0, sizeof(err));
		if (servernames_add(&sn, bad[i], &err) != GW_E_INVAL)
			fail_msg("accepted '%s'", bad[i]);
		assert_true(err.msg[0] != '\0');
	}
	assert_int_equal(sn.n, 0);
	/* Labels of 63, names of 253 characters, no more. */
	memset(label, 'a', 63);
	label[63] = '\0';
	assert_int_equal(servernames_add(&sn, label, NULL), 0);
	label[63] = 'a';
	label[64] = '\0';
	assert_int_equal(servernames_add(&sn, label, &err), GW_E_INVAL);
	assert_non_null(strstr(err.msg, "longer than 63"));
	for (size_t i = 0; i < 253; i++)
		name[i] = i % 2 ? '.' : 'b';
	name[253] = '\0';
	assert_int_equal(servernames_add(&sn, name, NULL), 0);
	name[253] = 'c';
	name[254] = '\0';
	assert_int_equal(servernames_add(&sn, name, &err), GW_E_INVAL);
	assert_non_null(strstr(err.msg, "longer than 253"));
}

static void test_limit(void **state)
{
	struct servernames sn = { 0 };
	char n[32];

	(void)state;
	for (int i = 0; i < SERVERNAMES_MAX; i++) {
		snprintf(n, sizeof(n), "host%d.example", i);
		assert_int_equal(servernames_add(&sn, n, NULL), 0);
	}
	assert_int_equal(servernames_add(&sn, "one-more.example", NULL), GW_E_TOOBIG);
	assert_int_equal(servernames_add(&sn, "host0.example", NULL), 0); /* present */
}

static void test_listen(void **state)
{
	static const char *const bad[] = {
		"verifier.example:8443", "localhost:1", "127.0.0.1:0", "127.0.0.1:99999",
		"127.0.0.1:65536", "127.0.0.1", "127.0.0.1:", ":8443", "[]:8443", "::1:8443",
		"[127.0.0.1]:8443", "[::1]8443", "[::1]:", "[fe80::1%eth0]:8443", "127.1:8443",
		"0x7f000001:8443", "127.0.0.1:+80", "127.0.0.1:-1", "127.0.0.1:80 ",
		" 127.0.0.1:80", "127.0.0.1:1\nauto_approve = all", "127.0.0.1:https",
		"1.2.3.256:1", "",
	};
	char h[64];
	unsigned port = 0;

	(void)state;
	assert_int_equal(servernames_listen_parse("0.0.0.0:8443", h, sizeof(h), &port), 0);
	assert_string_equal(h, "0.0.0.0");
	assert_int_equal(port, 8443);
	assert_true(servernames_is_wildcard(h));
	assert_int_equal(servernames_listen_parse("[::]:1", h, sizeof(h), &port), 0);
	assert_string_equal(h, "::");
	assert_int_equal(port, 1);
	assert_true(servernames_is_wildcard(h));
	assert_int_equal(servernames_listen_parse("[2001:db8::1]:65535", h, sizeof(h), NULL), 0);
	assert_string_equal(h, "2001:db8::1");
	assert_false(servernames_is_wildcard(h));
	assert_int_equal(servernames_listen_parse("127.0.0.1:08443", h, sizeof(h), &port), 0);
	assert_int_equal(port, 8443);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (servernames_listen_parse(bad[i], h, sizeof(h), NULL) != GW_E_PARSE)
			fail_msg("accepted listen '%s'", bad[i]);
	assert_int_equal(servernames_listen_parse("192.0.2.100:1", h, 8, NULL), GW_E_PARSE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepts),
		cmocka_unit_test(test_refuses),
		cmocka_unit_test(test_limit),
		cmocka_unit_test(test_listen),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
