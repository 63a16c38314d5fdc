// SPDX-License-Identifier: Apache-2.0
// Unit tests for the comparison of a round's certified counters with the recorded
// ones (service_counters_compare) on a real SQLite file: a recorded channel the
// round leaves out is contraindicated, and the race of two rounds, where the other
// one records a higher value between our comparing and our recording, is caught
// when the store refuses ours and we compare again (review findings F2, F3).
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gwpol.h"
#include "service.h"
#include "store.h"
#include "store_fixture.h"
#include "util.h"


static void add(struct service_counters *sc, const char *channel, uint8_t fill, uint64_t sv)
{
	struct store_counter *c = &sc->c[sc->n++];

	memset(c, 0, sizeof(*c));
	assert_int_equal(gw_snprintf(c->channel, sizeof(c->channel), "%s", channel), 0);
	memset(c->counter_name, fill, sizeof(c->counter_name));
	memset(c->baseline_name, fill + 1, sizeof(c->baseline_name));
	c->counter_index = 0x01800100;
	c->baseline_index = 0x01800101;
	c->security_version = sv;
}

static bool says(const struct gwpol_report *rep, const char *text)
{
	for (size_t i = 0; i < rep->n; i++)
		if (strstr(rep->f[i].msg, text))
			return true;
	return false;
}

/* F2: a round without a recorded channel, with none at all, or with it: the first
 * two are contraindicated naming the channel, the third is not. */
static void test_missing_channel(void **state)
{
	struct store_fixture *f = *state;
	struct service_counters sc, none;
	struct gwpol_report rep;
	gw_error err = { { 0 } };

	assert_int_equal(store_fixture_put_device(f->st, "gw-a", "gw-1000"), 0);
	memset(&sc, 0, sizeof(sc));
	add(&sc, "beta", 0x20, 1);
	add(&sc, "stable", 0x10, 3);
	assert_int_equal(store_counters_record(f->st, "gw-a", sc.c, sc.n, 100, &err), 0);

	gwpol_report_init(&rep);
	assert_int_equal(service_counters_compare(f->st, "gw-a", &sc, &rep, &err), 0);
	assert_true(sc.ok);
	assert_string_equal(gwpol_report_status(&rep), "affirming");

	sc.n = 1; /* beta only: stable is left out */
	gwpol_report_init(&rep);
	assert_int_equal(service_counters_compare(f->st, "gw-a", &sc, &rep, &err), 0);
	assert_false(sc.ok);
	assert_string_equal(gwpol_report_status(&rep), "contraindicated");
	assert_true(says(&rep, "channel 'stable': recorded counter (security version 3, "
			       "0x01800100/0x01800101) not certified in this round"));
	assert_false(says(&rep, "channel 'beta'"));

	memset(&none, 0, sizeof(none));
	gwpol_report_init(&rep);
	assert_int_equal(service_counters_compare(f->st, "gw-a", &none, &rep, &err), 0);
	assert_false(none.ok);
	assert_true(says(&rep, "channel 'beta': recorded counter"));
	assert_true(says(&rep, "channel 'stable': recorded counter"));

	/* Retired by an operator: no longer expected. */
	assert_int_equal(store_counters_retire(f->st, "gw-a", "stable", NULL, NULL, &err), 0);
	gwpol_report_init(&rep);
	assert_int_equal(service_counters_compare(f->st, "gw-a", &sc, &rep, &err), 0);
	assert_true(sc.ok);
	assert_string_equal(gwpol_report_status(&rep), "affirming");
}

/* F3: two rounds of one device on two connections to one file. Both compare with
 * the recorded 4; round A (raised to 5) records first; round B certifies 4 (its
 * baseline was rewritten meanwhile). The store refuses B's counters; comparing
 * again contraindicates B, which then records nothing. Before the fix the refusal
 * was taken for the clock race and B was signed affirming unchanged. */
static void test_race(void **state)
{
	struct store_fixture *f = *state;
	struct store *other = NULL;
	struct service_counters ra, rb;
	struct store_counter got[STORE_MAX_COUNTERS];
	struct gwpol_report repa, repb;
	gw_error err = { { 0 } };
	size_t n;

	assert_int_equal(store_fixture_put_device(f->st, "gw-a", "gw-1000"), 0);
	memset(&ra, 0, sizeof(ra));
	add(&ra, "stable", 0x10, 4);
	assert_int_equal(store_counters_record(f->st, "gw-a", ra.c, ra.n, 100, &err), 0);
	assert_int_equal(store_open(f->path, &other, &err), 0);
	rb = ra;
	ra.c[0].security_version = 5;
	gwpol_report_init(&repa);
	gwpol_report_init(&repb);
	assert_int_equal(service_counters_compare(other, "gw-a", &ra, &repa, &err), 0);
	assert_int_equal(service_counters_compare(f->st, "gw-a", &rb, &repb, &err), 0);
	assert_true(ra.ok);
	assert_true(rb.ok);
	assert_int_equal(store_counters_record(other, "gw-a", ra.c, ra.n, 200, &err), 0);
	assert_int_equal(store_counters_record(f->st, "gw-a", rb.c, rb.n, 201, &err), GW_E_STATE);
	assert_non_null(strstr(err.msg, "security version 4 is below the recorded 5"));
	assert_int_equal(service_counters_compare(f->st, "gw-a", &rb, &repb, &err), 0);
	assert_false(rb.ok);
	assert_string_equal(gwpol_report_status(&repb), "contraindicated");
	assert_true(says(&repb, "channel 'stable': counter went backwards (security version 4, "
				"recorded 5)"));
	assert_int_equal(store_counters_get(f->st, "gw-a", got, STORE_MAX_COUNTERS, &n, &err), 0);
	assert_int_equal(got[0].security_version, 5);
	assert_int_equal(got[0].updated, 200);
	store_close(other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_missing_channel, store_fixture_setup,
						store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_race, store_fixture_setup, store_fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
