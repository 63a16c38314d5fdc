// SPDX-License-Identifier: Apache-2.0
// Unit tests for the enrollment rate limiter: burst and refill of the per-source
// and global buckets, Retry-After, source keys (IPv4, IPv6 /64, mapped, unparsable),
// a table that stays bounded, the once-a-minute report, and threads sharing it.
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "service_ratelimit.h"
#include "util.h"

#define S(n) ((uint64_t)(n) * 1000000000ull)
#define T0 S(1000) /* any monotonic start */

static struct service_ratelimit *limiter(unsigned src_n, unsigned src_s, unsigned all_n,
					 unsigned all_s)
{
	struct vconfig_rate src = { src_n, src_s }, all = { all_n, all_s };
	struct service_ratelimit *rl = NULL;

	assert_int_equal(service_ratelimit_new(&src, &all, &rl), 0);
	assert_non_null(rl);
	return rl;
}

static bool take(struct service_ratelimit *rl, const char *src, uint64_t now, unsigned *wait)
{
	unsigned w = 0;
	bool ok = service_ratelimit_take(rl, src, now, RATELIMIT_BOTH, &w);

	if (wait)
		*wait = ok ? 0 : w;
	return ok;
}

static void test_bad_rates(void **state)
{
	struct vconfig_rate ok = { 1, 1 }, off = { 0, 0 };
	struct vconfig_rate bad[] = {
		{ VCONFIG_RATE_MAX_COUNT + 1, 60 },
		{ 1, 0 },
		{ 1, VCONFIG_RATE_MAX_SECONDS + 1 },
	};
	struct service_ratelimit *rl = NULL;

	(void)state;
	for (size_t i = 0; i < GW_ARRAY_SIZE(bad); i++) {
		assert_int_equal(service_ratelimit_new(&bad[i], &ok, &rl), GW_E_INVAL);
		assert_int_equal(service_ratelimit_new(&ok, &bad[i], &rl), GW_E_INVAL);
	}
	assert_null(rl);
	/* Both off: everything passes. */
	assert_int_equal(service_ratelimit_new(&off, NULL, &rl), 0);
	for (int i = 0; i < 1000; i++)
		assert_true(take(rl, "192.0.2.1:1", T0, NULL));
	service_ratelimit_free(rl);
	service_ratelimit_free(NULL);
}

/* 3 per 60 s: three at once, then one every 20 s; Retry-After says when. */
static void test_burst_and_refill(void **state)
{
	struct service_ratelimit *rl = limiter(3, 60, 0, 0);
	unsigned wait;

	(void)state;
	for (int i = 0; i < 3; i++)
		assert_true(take(rl, "192.0.2.1:40000", T0, NULL));
	assert_false(take(rl, "192.0.2.1:40001", T0, &wait));
	assert_int_equal(wait, 20);
	assert_false(take(rl, "192.0.2.1:40002", T0 + S(19), &wait));
	assert_int_equal(wait, 1);
	assert_true(take(rl, "192.0.2.1:40003", T0 + S(20), NULL));
	assert_false(take(rl, "192.0.2.1:40004", T0 + S(20), &wait));
	assert_int_equal(wait, 20);
	/* Idle long enough, the bucket is full again, not fuller. */
	for (int i = 0; i < 3; i++)
		assert_true(take(rl, "192.0.2.1:1", T0 + S(3600), NULL));
	assert_false(take(rl, "192.0.2.1:1", T0 + S(3600), NULL));
	service_ratelimit_free(rl);

	/* Retry-After rounds up: 3 per 10 s refills every 3.33 s. */
	rl = limiter(3, 10, 0, 0);
	for (int i = 0; i < 3; i++)
		assert_true(take(rl, "192.0.2.1:1", T0, NULL));
	assert_false(take(rl, "192.0.2.1:1", T0, &wait));
	assert_int_equal(wait, 4);
	service_ratelimit_free(rl);
}

/* One bucket per IPv4 address and per IPv6 /64, whatever the port; an IPv4-mapped
 * address counts as its IPv4 address; what does not parse shares one bucket. */
static void test_source_keys(void **state)
{
	struct service_ratelimit *rl = limiter(1, 60, 0, 0);

	(void)state;
	assert_true(take(rl, "192.0.2.1:1", T0, NULL));
	assert_false(take(rl, "192.0.2.1:2", T0, NULL));
	assert_true(take(rl, "192.0.2.2:1", T0, NULL));
	assert_true(take(rl, "[2001:db8:0:1::1]:1", T0, NULL));
	assert_false(take(rl, "[2001:db8:0:1:ffff::2]:9", T0, NULL)); /* same /64 */
	assert_true(take(rl, "[2001:db8:0:2::1]:1", T0, NULL));
	assert_true(take(rl, "[::ffff:198.51.100.1]:1", T0, NULL));
	assert_true(take(rl, "[::ffff:198.51.100.2]:1", T0, NULL)); /* not one /64 */
	assert_false(take(rl, "[::ffff:198.51.100.2]:2", T0, NULL));
	assert_true(take(rl, "garbage", T0, NULL));
	assert_false(take(rl, "", T0, NULL));
	assert_false(take(rl, NULL, T0, NULL));
	/* A link-local peer: its zone is not part of the address, and each
	 * link-local address (all in fe80::/64) is its own source. */
	assert_true(take(rl, "[fe80::1%eth0]:1", T0, NULL));
	assert_false(take(rl, "[fe80::1%eth1]:2", T0, NULL));
	assert_true(take(rl, "[fe80::2%eth0]:1", T0, NULL));
	/* Not the same bucket as ::/64 (where ::1 falls). */
	assert_true(take(rl, "[::1]:1", T0, NULL));
	service_ratelimit_free(rl);
}

/* The global bucket bounds all sources together; a refused request charges
 * neither bucket. */
static void test_global(void **state)
{
	struct service_ratelimit *rl = limiter(1, 100, 2, 20);
	char src[32];
	unsigned wait;

	(void)state;
	assert_true(take(rl, "192.0.2.1:1", T0, NULL));
	assert_true(take(rl, "192.0.2.2:1", T0, NULL));
	assert_false(take(rl, "192.0.2.3:1", T0, &wait)); /* global empty */
	assert_int_equal(wait, 10);
	/* 192.0.2.3 was not charged: it passes as soon as the global bucket has one. */
	assert_true(take(rl, "192.0.2.3:1", T0 + S(10), NULL));
	/* A per-source refusal does not take the global token. */
	assert_false(take(rl, "192.0.2.1:1", T0 + S(20), &wait));
	assert_int_equal(wait, 80);
	assert_true(take(rl, "192.0.2.4:1", T0 + S(20), NULL));
	/* Both empty: the later of the two. */
	assert_false(take(rl, "192.0.2.4:1", T0 + S(20), &wait));
	assert_int_equal(wait, 100);

	/* Many sources cannot get past the global bucket, and every new source finds
	 * room in the table however many came before. */
	service_ratelimit_free(rl);
	rl = limiter(1, 3600, 100, 3600);
	for (unsigned i = 0; i < 100; i++) {
		assert_int_equal(gw_snprintf(src, sizeof(src), "10.0.%u.%u:1", i / 256, i % 256), 0);
		assert_true(take(rl, src, T0, NULL));
	}
	assert_false(take(rl, "10.1.0.0:1", T0, NULL));
	service_ratelimit_free(rl);
	rl = limiter(1, 3600, 0, 0);
	for (unsigned i = 0; i < 4 * RATELIMIT_SETS * RATELIMIT_WAYS; i++) {
		assert_int_equal(gw_snprintf(src, sizeof(src), "10.%u.%u.%u:1", i >> 16,
					     (i >> 8) & 255, i & 255), 0);
		assert_true(take(rl, src, T0 + i, NULL));
	}
	/* The latest ones are still remembered. */
	assert_false(take(rl, src, T0 + S(1), NULL));
	service_ratelimit_free(rl);

	/* A scope charges its own bucket only: the service takes the source's
	 * token first and the global one once the EK certificate is trusted. */
	rl = limiter(1, 100, 1, 100);
	assert_true(service_ratelimit_take(rl, "192.0.2.1:1", T0, RATELIMIT_SOURCE, &wait));
	assert_false(service_ratelimit_take(rl, "192.0.2.1:1", T0, RATELIMIT_SOURCE, &wait));
	assert_true(service_ratelimit_take(rl, "192.0.2.1:1", T0, RATELIMIT_GLOBAL, &wait));
	assert_false(service_ratelimit_take(rl, "192.0.2.2:1", T0, RATELIMIT_GLOBAL, &wait));
	assert_true(service_ratelimit_take(rl, "192.0.2.2:1", T0, RATELIMIT_SOURCE, &wait));
	service_ratelimit_free(rl);
}

/* Refusals are reported at once, then at most once a minute, with their count. */
static void test_report(void **state)
{
	struct service_ratelimit *rl = limiter(1, 3600, 0, 0);

	(void)state;
	assert_int_equal(service_ratelimit_refused(rl, T0), 0);
	assert_true(take(rl, "192.0.2.1:1", T0, NULL));
	assert_false(take(rl, "192.0.2.1:1", T0, NULL));
	assert_int_equal(service_ratelimit_refused(rl, T0), 1);
	for (int i = 0; i < 5; i++)
		assert_false(take(rl, "192.0.2.1:1", T0 + S(1), NULL));
	assert_int_equal(service_ratelimit_refused(rl, T0 + S(59)), 0);
	assert_int_equal(service_ratelimit_refused(rl, T0 + S(60)), 5);
	assert_int_equal(service_ratelimit_refused(rl, T0 + S(200)), 0);
	service_ratelimit_free(rl);
}

struct hammer {
	struct service_ratelimit *rl;
	unsigned passed;
};

static void *hammer(void *arg)
{
	struct hammer *h = arg;

	for (int i = 0; i < 500; i++)
		if (take(h->rl, "[2001:db8::7]:5", T0, NULL))
			h->passed++;
	return NULL;
}

/* Worker threads share one limiter: together they get exactly the burst. */
static void test_threads(void **state)
{
	struct hammer h[4];
	pthread_t t[4];
	struct service_ratelimit *rl = limiter(300, 60, 0, 0);
	unsigned total = 0;

	(void)state;
	for (int i = 0; i < 4; i++) {
		h[i] = (struct hammer){ rl, 0 };
		assert_int_equal(pthread_create(&t[i], NULL, hammer, &h[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		total += h[i].passed;
	}
	assert_int_equal(total, 300);
	assert_int_equal(service_ratelimit_refused(rl, T0), 4 * 500 - 300);
	service_ratelimit_free(rl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_rates),
		cmocka_unit_test(test_burst_and_refill),
		cmocka_unit_test(test_source_keys),
		cmocka_unit_test(test_global),
		cmocka_unit_test(test_report),
		cmocka_unit_test(test_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
