// SPDX-License-Identifier: Apache-2.0
// Unit tests for release eligibility: each rule alone, their order, the rollout
// cohort (known answer, stable, nested as the percentage grows, spread).
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "release_rules.h"
#include "util.h"

#define NOW 1800000000
#define AGE 900

static void good(struct store_release *r, struct release_device *d)
{
	memset(r, 0, sizeof(*r));
	strcpy(r->id, "0123456789abcdef");
	strcpy(r->models[0], "gw-100");
	strcpy(r->models[1], "gw-200");
	r->nmodels = 2;
	strcpy(r->channel, "stable");
	strcpy(r->version, "2.0.0");
	r->security_version = 5;
	r->rollout = 100;
	memset(d, 0, sizeof(*d));
	d->id = "gw-0001";
	d->model = "gw-200";
	d->channel = "stable";
	d->state = STORE_DEV_ENROLLED;
	d->attested = true;
	d->last_attest_at = NOW - 60;
	d->last_status = "affirming";
	d->security_version = 5;
}

static enum release_verdict judge(const struct store_release *r, const struct release_device *d,
				  const struct gwpol_update *u)
{
	return release_eligible(r, d, u, NOW, AGE);
}

static void test_eligible(void **state)
{
	struct store_release r;
	struct release_device d;

	(void)state;
	good(&r, &d);
	assert_int_equal(judge(&r, &d, NULL), RELEASE_ELIGIBLE);
	/* Equal to the counter is fine (a reinstall), above it too. */
	r.security_version = 9;
	assert_int_equal(judge(&r, &d, NULL), RELEASE_ELIGIBLE);
	/* Exactly max_age old is still fresh. */
	d.last_attest_at = NOW - AGE;
	assert_int_equal(judge(&r, &d, NULL), RELEASE_ELIGIBLE);
}

static void test_each_rule(void **state)
{
	struct store_release r;
	struct release_device d;

	(void)state;
	good(&r, &d);
	r.withdrawn = true;
	assert_int_equal(judge(&r, &d, NULL), RELEASE_WITHDRAWN);
	good(&r, &d);
	r.requires_approval = true;
	assert_int_equal(judge(&r, &d, NULL), RELEASE_NOT_APPROVED);
	r.approved = true;
	assert_int_equal(judge(&r, &d, NULL), RELEASE_ELIGIBLE);
	good(&r, &d);
	d.state = STORE_DEV_REVOKED;
	assert_int_equal(judge(&r, &d, NULL), RELEASE_DEVICE_STATE);
	d.state = STORE_DEV_PENDING;
	assert_int_equal(judge(&r, &d, NULL), RELEASE_DEVICE_STATE);
	good(&r, &d);
	d.model = "gw-300";
	assert_int_equal(judge(&r, &d, NULL), RELEASE_WRONG_MODEL);
	good(&r, &d);
	d.model = "gw-10"; /* a prefix of a listed model is not it */
	assert_int_equal(judge(&r, &d, NULL), RELEASE_WRONG_MODEL);
	good(&r, &d);
	d.channel = "beta";
	assert_int_equal(judge(&r, &d, NULL), RELEASE_WRONG_CHANNEL);
	d.channel = NULL;
	assert_int_equal(judge(&r, &d, NULL), RELEASE_WRONG_CHANNEL);
	good(&r, &d);
	d.attested = false;
	assert_int_equal(judge(&r, &d, NULL), RELEASE_NOT_ATTESTED);
	good(&r, &d);
	d.last_status = "warning";
	assert_int_equal(judge(&r, &d, NULL), RELEASE_NOT_AFFIRMING);
	d.last_status = "contraindicated";
	assert_int_equal(judge(&r, &d, NULL), RELEASE_NOT_AFFIRMING);
	d.last_status = "affirmingX";
	assert_int_equal(judge(&r, &d, NULL), RELEASE_NOT_AFFIRMING);
	good(&r, &d);
	d.last_attest_at = NOW - AGE - 1;
	assert_int_equal(judge(&r, &d, NULL), RELEASE_STALE);
	d.last_attest_at = NOW + 10; /* from the future: not fresh */
	assert_int_equal(judge(&r, &d, NULL), RELEASE_STALE);
	good(&r, &d);
	d.security_version = 6;
	assert_int_equal(judge(&r, &d, NULL), RELEASE_BELOW_COUNTER);
	good(&r, &d);
	r.rollout = 0;
	assert_int_equal(judge(&r, &d, NULL), RELEASE_NOT_IN_COHORT);
}

static void test_policy(void **state)
{
	char channels[2][GWPOL_NAME_MAX + 1] = { "stable", "lts" };
	struct gwpol_update u;
	struct store_release r;
	struct release_device d;

	(void)state;
	memset(&u, 0, sizeof(u));
	good(&r, &d);
	assert_int_equal(judge(&r, &d, &u), RELEASE_ELIGIBLE);
	u.has_min_security_version = true;
	u.min_security_version = 6;
	assert_int_equal(judge(&r, &d, &u), RELEASE_BELOW_POLICY);
	u.min_security_version = 5;
	assert_int_equal(judge(&r, &d, &u), RELEASE_ELIGIBLE);
	/* End of support: from support_ends on, only an end-of-life transition. */
	u.has_end_of_support = true;
	u.support_ends = NOW + 1;
	assert_int_equal(judge(&r, &d, &u), RELEASE_ELIGIBLE);
	u.support_ends = NOW;
	assert_int_equal(judge(&r, &d, &u), RELEASE_END_OF_SUPPORT);
	r.eol_transition = true;
	assert_int_equal(judge(&r, &d, &u), RELEASE_ELIGIBLE);
	/* Past it the appraisal is a warning naming the end of support: enough for an
	 * end-of-life transition, for nothing else; a warning for anything else is
	 * enough for nothing. */
	d.last_status = "warning";
	d.warning_is_eol = true;
	assert_int_equal(judge(&r, &d, &u), RELEASE_ELIGIBLE);
	r.eol_transition = false;
	assert_int_equal(judge(&r, &d, &u), RELEASE_END_OF_SUPPORT);
	r.eol_transition = true;
	d.warning_is_eol = false;
	assert_int_equal(judge(&r, &d, &u), RELEASE_NOT_AFFIRMING);
	d.last_status = "contraindicated";
	d.warning_is_eol = true;
	assert_int_equal(judge(&r, &d, &u), RELEASE_NOT_AFFIRMING);
	d.last_status = "affirming";
	d.warning_is_eol = false;
	/* The policy's channels: the device's must be one of them. */
	memset(&u, 0, sizeof(u));
	u.n_channels = 2;
	u.channels = channels;
	assert_int_equal(judge(&r, &d, &u), RELEASE_ELIGIBLE);
	strcpy(channels[0], "beta");
	assert_int_equal(judge(&r, &d, &u), RELEASE_CHANNEL_POLICY);
}

/* The first failing rule is reported: a withdrawn release to a revoked device says
 * withdrawn; a revoked device of the wrong model says not enrolled. */
static void test_order(void **state)
{
	struct store_release r;
	struct release_device d;

	(void)state;
	good(&r, &d);
	r.withdrawn = true;
	d.state = STORE_DEV_REVOKED;
	assert_int_equal(judge(&r, &d, NULL), RELEASE_WITHDRAWN);
	r.withdrawn = false;
	d.model = "other";
	assert_int_equal(judge(&r, &d, NULL), RELEASE_DEVICE_STATE);
	good(&r, &d);
	d.last_status = "warning";
	d.security_version = 99;
	r.rollout = 0;
	assert_int_equal(judge(&r, &d, NULL), RELEASE_NOT_AFFIRMING);
}

static void test_cohort(void **state)
{
	char id[32];
	unsigned in30 = 0, in60 = 0;

	(void)state;
	/* Known answer: SHA-256("rolloutgw-00010123456789abcdef")[0..4] mod 100. */
	assert_int_equal(release_cohort("gw-0001", "0123456789abcdef"), 64);
	assert_int_equal(release_cohort("gw-0001", "0123456789abcdef"), 64);
	for (unsigned i = 0; i < 2000; i++) {
		unsigned c;

		snprintf(id, sizeof(id), "gw-%05u", i);
		c = release_cohort(id, "0123456789abcdef");
		assert_true(c < 100);
		in30 += c < 30;
		in60 += c < 60;
	}
	/* Nested by construction; the spread is near the percentage. */
	assert_true(in30 > 500 && in30 < 700);
	assert_true(in60 > 1100 && in60 < 1300);
	/* Ids longer than stored ones are in no rollout. */
	assert_int_equal(release_cohort("gw-0001", "0123456789abcdef0"), 100);
}

/* With the running release known: never it, nor an older one (lower security
 * version, or the same added before it); a newer one is offered. Unknown: only
 * the counter judges. */
static void test_not_newer(void **state)
{
	struct store_release r, run;
	struct release_device d;

	(void)state;
	good(&r, &d);
	memset(&run, 0, sizeof(run));
	strcpy(run.id, "fedcba9876543210");
	run.security_version = 5;
	run.added_at = 1000;
	r.added_at = 2000;
	release_device_running(&d, &run);
	assert_true(d.has_running);
	assert_int_equal(judge(&r, &d, NULL), RELEASE_ELIGIBLE);
	/* the running release itself */
	release_device_running(&d, &r);
	assert_int_equal(judge(&r, &d, NULL), RELEASE_NOT_NEWER);
	/* same security version, added before the running one */
	release_device_running(&d, &run);
	r.added_at = 999;
	assert_int_equal(judge(&r, &d, NULL), RELEASE_NOT_NEWER);
	/* same second: the id orders them */
	r.added_at = 1000;
	assert_int_equal(judge(&r, &d, NULL), RELEASE_NOT_NEWER); /* 0123... < fedc... */
	strcpy(run.id, "0000000000000000");
	release_device_running(&d, &run);
	assert_int_equal(judge(&r, &d, NULL), RELEASE_ELIGIBLE);
	/* lower security version (the counter allows it: 3 >= 2), though added later */
	d.security_version = 2;
	r.security_version = 3;
	r.added_at = 5000;
	assert_int_equal(judge(&r, &d, NULL), RELEASE_NOT_NEWER);
	/* a higher security version added earlier is newer */
	r.security_version = 6;
	r.added_at = 1;
	assert_int_equal(judge(&r, &d, NULL), RELEASE_ELIGIBLE);
	/* unknown running release: the counter alone */
	release_device_running(&d, NULL);
	assert_false(d.has_running);
	r.security_version = 2;
	assert_int_equal(judge(&r, &d, NULL), RELEASE_ELIGIBLE);
	r.security_version = 1;
	assert_int_equal(judge(&r, &d, NULL), RELEASE_BELOW_COUNTER);
	/* below the counter is named first */
	release_device_running(&d, &run);
	assert_int_equal(judge(&r, &d, NULL), RELEASE_BELOW_COUNTER);
	assert_string_equal(release_verdict_name(RELEASE_NOT_NEWER), "not-newer");
}

static void test_names(void **state)
{
	(void)state;
	for (int v = 0; v < RELEASE_VERDICT_COUNT; v++)
		assert_string_not_equal(release_verdict_name((enum release_verdict)v), "unknown");
	assert_string_equal(release_verdict_name(RELEASE_NOT_AFFIRMING), "not-affirming");
	assert_string_equal(release_verdict_name((enum release_verdict)99), "unknown");
}

static void test_from_store(void **state)
{
	struct store_device sd;
	struct release_device d;

	(void)state;
	memset(&sd, 0, sizeof(sd));
	strcpy(sd.id, "gw-1");
	strcpy(sd.model, "m");
	release_device_from_store(&sd, "stable", &d);
	assert_string_equal(d.channel, "stable");
	strcpy(sd.channel, "beta");
	release_device_from_store(&sd, "stable", &d);
	assert_string_equal(d.channel, "beta");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_eligible), cmocka_unit_test(test_each_rule),
		cmocka_unit_test(test_policy),	 cmocka_unit_test(test_order),
		cmocka_unit_test(test_cohort),	 cmocka_unit_test(test_names),
		cmocka_unit_test(test_from_store), cmocka_unit_test(test_not_newer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
