// SPDX-License-Identifier: Apache-2.0
// Unit tests for STATE_DIR/update/offers.json: the good fixture round-trips, every
// bad fixture is refused naming what is wrong, and a verified result's release list
// replaces the offers while keeping the answers of a release still offered as it was.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "update_offer.h"
#include "util.h"

#define FIXTURES "agent/tests/fixtures/offers"

static void read_fixture(const char *path, uint8_t **buf, size_t *len)
{
	gw_error err = { { 0 } };
	int rc = gw_read_file(path, 1 << 20, buf, len, &err);

	if (rc)
		fail_msg("%s", gw_error_msg(&err, rc));
}

static void test_good_round_trip(void **state)
{
	struct update_offers s, back;
	gw_error err = { { 0 } };
	uint8_t *buf = NULL;
	char *text = NULL;
	size_t len = 0, tlen = 0;
	int rc;

	(void)state;
	read_fixture(FIXTURES "/good.json", &buf, &len);
	rc = update_offers_parse(buf, len, &s, &err);
	if (rc)
		fail_msg("%s", gw_error_msg(&err, rc));
	assert_int_equal(s.n, 2);
	assert_string_equal(s.offer[0].id, "rel-2");
	assert_int_equal(s.offer[0].security_version, 4);
	assert_true(s.offer[0].critical);
	assert_int_equal(s.offer[0].deadline, 1796860800LL);
	assert_int_equal(s.offer[0].defer_until, 1796688000LL);
	assert_string_equal(s.offer[0].notes, "Fixes CVE-2026-0001.\nReboots once.");
	assert_true(s.offer[1].accepted);
	assert_null(s.offer[1].notes);
	assert_int_equal(s.offer[1].deadline, 0);
	assert_non_null(update_offers_find(&s, "app_1.4"));
	assert_null(update_offers_find(&s, "app_1"));

	assert_int_equal(update_offers_format(&s, &text, &tlen), 0);
	assert_int_equal(update_offers_parse((const uint8_t *)text, tlen, &back, &err), 0);
	assert_int_equal(back.n, 2);
	for (size_t i = 0; i < 2; i++) {
		const struct update_offer *a = &s.offer[i], *b = &back.offer[i];

		assert_string_equal(a->id, b->id);
		assert_string_equal(a->version, b->version);
		assert_memory_equal(a->sha256, b->sha256, 32);
		assert_int_equal(a->offered_at, b->offered_at);
		assert_int_equal(a->defer_until, b->defer_until);
		assert_int_equal(a->accepted, b->accepted);
		assert_int_equal(!a->notes, !b->notes);
	}
	update_offers_fini(&back);
	update_offers_fini(&s);
	free(text);
	free(buf);
}

static const struct {
	const char *file;
	const char *detail;
} bad[] = {
	{ "format-2", "'format' must be 1 to 1" },
	{ "no-format", "'format' is missing" },
	{ "extra-top", "unknown key 'extra'" },
	{ "offers-object", "must be an array" },
	{ "unknown-key", "release 1: unknown key 'url'" },
	{ "id-slash", "release 1: 'id' must be" },
	{ "id-empty", "release 1: 'id' must be" },
	{ "id-long", "release 1: " },
	{ "id-twice", "release 2: release 'rel-2' listed twice" },
	{ "version-space", "'version' is not a release version" },
	{ "sv-negative", "'security_version' must be" },
	{ "sv-huge", "'security_version' must be" },
	{ "sv-string", "'security_version' must be an integer" },
	{ "sha-short", "'sha256' must be 64 hex digits" },
	{ "sha-nonhex", "'sha256' must be 64 hex digits" },
	{ "reboot-int", "'reboot_required' must be true or false" },
	{ "no-critical", "'critical' is missing" },
	{ "deadline-not-critical", "'deadline' is for a critical release only" },
	{ "deadline-bad", "'deadline' must be a time" },
	{ "notes-escape", "'notes' holds control characters" },
	{ "notes-long", "release 1: " },
	{ "no-offered-at", "'offered_at' is missing" },
	{ "accepted-null", "'accepted' must be true or false" },
	{ "too-many", "17 releases offered, at most 16" },
	{ "trailing", "" },
	{ "duplicate-key", "" },
	{ "not-json", "" },
};

static void test_bad_fixtures(void **state)
{
	(void)state;
	for (size_t i = 0; i < GW_ARRAY_SIZE(bad); i++) {
		struct update_offers s;
		gw_error err = { { 0 } };
		char path[256];
		uint8_t *buf = NULL;
		size_t len = 0;
		int rc;

		assert_true(snprintf(path, sizeof(path), FIXTURES "/bad/%s.json", bad[i].file) <
			    (int)sizeof(path));
		read_fixture(path, &buf, &len);
		rc = update_offers_parse(buf, len, &s, &err);
		free(buf);
		if (rc == 0)
			fail_msg("%s accepted", bad[i].file);
		assert_int_equal(s.n, 0);
		if (!strstr(gw_error_msg(&err, rc), bad[i].detail))
			fail_msg("%s: \"%s\" lacks \"%s\"", bad[i].file, gw_error_msg(&err, rc),
				 bad[i].detail);
	}
}

static json_object *releases(const char *text)
{
	json_object *o = json_tokener_parse(text);

	assert_non_null(o);
	return o;
}

#define REL(id, sha, sv) \
	"{\"id\":\"" id "\",\"version\":\"v" #sv "\",\"security_version\":" #sv \
	",\"size\":10,\"sha256\":\"" sha "\",\"reboot_required\":false,\"critical\":false}"
#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SHA_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static void test_merge(void **state)
{
	struct update_offers s;
	gw_error err = { { 0 } };
	json_object *r;

	(void)state;
	update_offers_init(&s);
	r = releases("[" REL("r1", SHA_A, 2) "," REL("r2", SHA_A, 3) "]");
	assert_int_equal(update_offers_merge(&s, r, 100, &err), 0);
	json_object_put(r);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.offer[0].offered_at, 100);
	s.offer[0].accepted = true;
	s.offer[1].defer_until = 500;

	/* r1 again as it was: answers kept; r2 rebuilt (another digest): a new offer;
	 * r3 new; nothing else survives */
	r = releases("[" REL("r3", SHA_A, 4) "," REL("r1", SHA_A, 2) "," REL("r2", SHA_B, 3) "]");
	assert_int_equal(update_offers_merge(&s, r, 200, &err), 0);
	json_object_put(r);
	assert_int_equal(s.n, 3);
	assert_int_equal(update_offers_find(&s, "r1")->offered_at, 100);
	assert_true(update_offers_find(&s, "r1")->accepted);
	assert_int_equal(update_offers_find(&s, "r2")->offered_at, 200);
	assert_int_equal(update_offers_find(&s, "r2")->defer_until, 0);
	assert_int_equal(update_offers_find(&s, "r3")->offered_at, 200);

	/* a bad list leaves the offers as they were */
	r = releases("[" REL("r1", SHA_A, 2) ",{\"id\":\"x\"}]");
	assert_int_not_equal(update_offers_merge(&s, r, 300, &err), 0);
	json_object_put(r);
	assert_int_equal(s.n, 3);
	assert_non_null(strstr(err.msg, "release 2: "));

	/* a critical release's deadline in seconds, or null */
	r = releases("[{\"id\":\"c1\",\"version\":\"v9\",\"security_version\":9,\"size\":1,"
		     "\"sha256\":\"" SHA_A "\",\"reboot_required\":true,\"critical\":true,"
		     "\"deadline\":1796860800},"
		     "{\"id\":\"c2\",\"version\":\"v9\",\"security_version\":9,\"size\":1,"
		     "\"sha256\":\"" SHA_A "\",\"reboot_required\":true,\"critical\":false,"
		     "\"deadline\":null}]");
	assert_int_equal(update_offers_merge(&s, r, 300, &err), 0);
	json_object_put(r);
	assert_int_equal(update_offers_find(&s, "c1")->deadline, 1796860800LL);
	assert_int_equal(update_offers_find(&s, "c2")->deadline, 0);
	r = releases("[{\"id\":\"c1\",\"version\":\"v9\",\"security_version\":9,\"size\":1,"
		     "\"sha256\":\"" SHA_A "\",\"reboot_required\":true,\"critical\":true,"
		     "\"deadline\":\"2026-12-10T00:00:00Z\"}]");
	assert_int_equal(update_offers_merge(&s, r, 300, &err), GW_E_PARSE);
	json_object_put(r);
	assert_non_null(strstr(err.msg, "'deadline' must be an integer"));

	/* more than OFFER_MAX: the newest (last) are kept */
	{
		char text[17 * 256] = "[";
		size_t off = 1;

		for (int i = 0; i < 17; i++)
			off += (size_t)snprintf(text + off, sizeof(text) - off,
						"%s{\"id\":\"m%d\",\"version\":\"v1\","
						"\"security_version\":1,\"size\":1,\"sha256\":\""
						SHA_A "\",\"reboot_required\":false,"
						"\"critical\":false}", i ? "," : "", i);
		snprintf(text + off, sizeof(text) - off, "]");
		r = releases(text);
		assert_int_equal(update_offers_merge(&s, r, 300, &err), 0);
		json_object_put(r);
		assert_int_equal(s.n, OFFER_MAX);
		assert_null(update_offers_find(&s, "m0"));
		assert_non_null(update_offers_find(&s, "m16"));
	}

	/* withdrawn everywhere: no offers */
	r = releases("[]");
	assert_int_equal(update_offers_merge(&s, r, 300, &err), 0);
	json_object_put(r);
	assert_int_equal(s.n, 0);
	update_offers_fini(&s);
}

static void test_consent_view(void **state)
{
	struct update_offer o = { .offered_at = 5, .security_version = 4, .critical = false,
				  .deadline = 0 };
	struct consent_offer c = update_offer_consent(&o, 3);

	(void)state;
	assert_int_equal(c.offered_at, 5);
	assert_int_equal(c.current_sv, 3);
	assert_true(consent_is_security(&c));
	assert_int_equal(c.deadline, 0);
	o.critical = true;
	o.deadline = 99;
	assert_int_equal(update_offer_consent(&o, 4).deadline, 99);
	assert_false(consent_is_security(&(struct consent_offer){ .security_version = 4,
								   .current_sv = 4 }));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_round_trip),
		cmocka_unit_test(test_bad_fixtures),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_consent_view),
	};

	return cmocka_run_group_tests_name("update_offer", tests, NULL, NULL);
}
