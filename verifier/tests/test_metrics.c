// SPDX-License-Identifier: Apache-2.0
// Unit tests for the verifier's metrics: the text exposition format 0.0.4 (HELP
// and TYPE before every family, cumulative histogram buckets, escaped label
// values) and counters that lose nothing under concurrent workers.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

/* The value of the sample line that starts with `series ` in text, or -1. */
static double sample(const char *text, const char *series)
{
	size_t n = strlen(series);

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, series, n) && p[n] == ' ')
			return strtod(p + n + 1, NULL);
	return -1;
}

static char *render(const struct metrics *m, const struct metrics_gauges *g)
{
	char *text = NULL;
	size_t len = 0;

	assert_int_equal(metrics_render(m, g, &text, &len), 0);
	assert_non_null(text);
	assert_int_equal(strlen(text), len);
	assert_int_equal(text[len - 1], '\n');
	return text;
}

/* Every sample's family has HELP then TYPE before it, once; names carry the prefix. */
static void test_families_well_formed(void **state)
{
	struct metrics *m = metrics_new();
	char *text, typed[64][96];
	size_t ntyped = 0;

	(void)state;
	text = render(m, NULL);
	for (char *line = text, *end; *line; line = end + 1) {
		char name[96];

		end = strchr(line, '\n');
		assert_non_null(end);
		*end = '\0';
		if (!strncmp(line, "# HELP ", 7) || !strncmp(line, "# TYPE ", 7)) {
			size_t n = strcspn(line + 7, " ");

			assert_true(n > 0 && n < sizeof(name));
			memcpy(name, line + 7, n);
			name[n] = '\0';
		}
		if (!strncmp(line, "# HELP ", 7)) {
			for (size_t i = 0; i < ntyped; i++)
				assert_string_not_equal(typed[i], name);
			continue;
		}
		if (!strncmp(line, "# TYPE ", 7)) {
			assert_true(ntyped < 63);
			memcpy(typed[ntyped++], name, sizeof(name));
			continue;
		}
		assert_memory_equal(line, "gatewarden_verifier_", 20);
		assert_true(ntyped > 0);
		/* The sample belongs to the last TYPE (its _bucket/_sum/_count too). */
		assert_memory_equal(line, typed[ntyped - 1], strlen(typed[ntyped - 1]));
	}
	assert_true(ntyped >= 6);
	free(text);
	metrics_free(m);
}

static void test_counters(void **state)
{
	struct metrics *m = metrics_new();
	char *text;

	(void)state;
	metrics_attest(m, METRICS_ATTEST_AFFIRMING, 1000);
	metrics_attest(m, METRICS_ATTEST_AFFIRMING, 1000);
	metrics_attest(m, metrics_attest_status("contraindicated"), 1000);
	metrics_attest(m, metrics_attest_status("bogus"), 1000);
	metrics_attest(m, METRICS_ATTEST_N, 1000); /* out of range: nothing */
	metrics_enroll(m, METRICS_ENROLL_CHALLENGED);
	metrics_enroll(m, METRICS_ENROLL_PENDING);
	metrics_authz(m, METRICS_AUTHZ_REFUSED);
	metrics_attest(NULL, METRICS_ATTEST_WARNING, 1); /* no metrics: nothing */
	text = render(m, NULL);
	assert_true(sample(text, "gatewarden_verifier_attestations_total{status=\"affirming\"}") == 2);
	assert_true(sample(text, "gatewarden_verifier_attestations_total{status=\"warning\"}") == 0);
	assert_true(sample(text, "gatewarden_verifier_attestations_total{status=\"contraindicated\"}") ==
		    1);
	assert_true(sample(text, "gatewarden_verifier_attestations_total{status=\"none\"}") == 1);
	assert_true(sample(text, "gatewarden_verifier_enrollments_total{outcome=\"challenged\"}") == 1);
	assert_true(sample(text, "gatewarden_verifier_enrollments_total{outcome=\"pending\"}") == 1);
	assert_true(sample(text, "gatewarden_verifier_enrollments_total{outcome=\"enrolled\"}") == 0);
	assert_true(sample(text, "gatewarden_verifier_authorizations_total{outcome=\"refused\"}") == 1);
	assert_true(sample(text, "gatewarden_verifier_attestation_duration_seconds_count") == 4);
	/* No store gauges without them. */
	assert_null(strstr(text, "gatewarden_verifier_devices"));
	free(text);
	metrics_free(m);
}

/* Buckets are cumulative, bounds inclusive, +Inf equals _count, _sum exact. */
static void test_histogram(void **state)
{
	struct metrics *m = metrics_new();
	char *text;

	(void)state;
	metrics_store_tx(m, 500000);      /* 0.5 ms */
	metrics_store_tx(m, 1000000);     /* 1 ms: on the bound */
	metrics_store_tx(m, 3000000);     /* 3 ms */
	metrics_store_tx(m, 20000000000); /* 20 s: above every bound */
	metrics_store_tx(NULL, 1);
	text = render(m, NULL);
#define B "gatewarden_verifier_store_transaction_duration_seconds"
	assert_true(sample(text, B "_bucket{le=\"0.001\"}") == 2);
	assert_true(sample(text, B "_bucket{le=\"0.0025\"}") == 2);
	assert_true(sample(text, B "_bucket{le=\"0.005\"}") == 3);
	assert_true(sample(text, B "_bucket{le=\"10\"}") == 3);
	assert_true(sample(text, B "_bucket{le=\"+Inf\"}") == 4);
	assert_true(sample(text, B "_count") == 4);
	assert_non_null(strstr(text, B "_sum 20.0045\n"));
#undef B
	free(text);
	metrics_free(m);
}

/* Store gauges: devices by state, releases by approval, per release its rollout
 * counts; a release id with a quote, a backslash or a newline is escaped. */
static void test_gauges(void **state)
{
	struct metrics *m = metrics_new();
	struct metrics_gauges g;
	const char *rollout =
		"[{\"id\":\"r1\",\"approval\":\"approved\",\"devices\":3,\"running\":2,"
		"\"in_trial\":1},{\"id\":\"a\\\"b\\\\c\\nd\",\"approval\":\"pending\","
		"\"devices\":0}]";
	char *text;

	(void)state;
	memset(&g, 0, sizeof(g));
	g.at = 1796296047;
	g.devices[0] = 1;
	g.devices[1] = 5;
	g.rollout = json_tokener_parse(rollout);
	assert_non_null(g.rollout);
	text = render(m, &g);
	assert_true(sample(text, "gatewarden_verifier_devices{state=\"pending\"}") == 1);
	assert_true(sample(text, "gatewarden_verifier_devices{state=\"enrolled\"}") == 5);
	assert_true(sample(text, "gatewarden_verifier_devices{state=\"revoked\"}") == 0);
	assert_true(sample(text, "gatewarden_verifier_releases{approval=\"approved\"}") == 1);
	assert_true(sample(text, "gatewarden_verifier_releases{approval=\"pending\"}") == 1);
	assert_true(sample(text, "gatewarden_verifier_releases{approval=\"not-required\"}") == 0);
	assert_true(sample(text, "gatewarden_verifier_release_devices{release=\"r1\","
				 "state=\"running\"}") == 2);
	assert_true(sample(text, "gatewarden_verifier_release_devices{release=\"r1\","
				 "state=\"in_trial\"}") == 1);
	/* Counts the array does not have are not made up. */
	assert_true(sample(text, "gatewarden_verifier_release_devices{release=\"r1\","
				 "state=\"offered\"}") == -1);
	assert_true(sample(text, "gatewarden_verifier_release_devices{release=\"a\\\"b\\\\c\\nd\","
				 "state=\"devices\"}") == 0);
	assert_true(sample(text, "gatewarden_verifier_store_gauges_timestamp_seconds") ==
		    1796296047);
	free(text);
	json_object_put(g.rollout);
	metrics_free(m);
}

#define THREADS 4
#define ROUNDS 100000

static void *bump(void *arg)
{
	struct metrics *m = arg;

	for (int i = 0; i < ROUNDS; i++) {
		metrics_attest(m, METRICS_ATTEST_WARNING, 2000000);
		metrics_enroll(m, METRICS_ENROLL_REFUSED);
	}
	return NULL;
}

static void test_concurrent(void **state)
{
	struct metrics *m = metrics_new();
	pthread_t t[THREADS];
	char *text;

	(void)state;
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, bump, m), 0);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	text = render(m, NULL);
	assert_true(sample(text, "gatewarden_verifier_attestations_total{status=\"warning\"}") ==
		    THREADS * ROUNDS);
	assert_true(sample(text, "gatewarden_verifier_enrollments_total{outcome=\"refused\"}") ==
		    THREADS * ROUNDS);
	assert_true(sample(text, "gatewarden_verifier_attestation_duration_seconds_bucket"
				 "{le=\"0.0025\"}") == THREADS * ROUNDS);
	assert_non_null(strstr(text, "gatewarden_verifier_attestation_duration_seconds_sum 800\n"));
	free(text);
	metrics_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_families_well_formed),
		cmocka_unit_test(test_counters),
		cmocka_unit_test(test_histogram),
		cmocka_unit_test(test_gauges),
		cmocka_unit_test(test_concurrent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
