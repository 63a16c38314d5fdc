// SPDX-License-Identifier: Apache-2.0
// Unit tests for the verifier store (SQLite backend) on real database files.
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "store.h"
#include "util.h"

struct fixture {
	char dir[64];
	char path[128];
	char url[160];
	struct store *st;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	memcpy(f->dir, "/tmp/gw-store-XXXXXX", sizeof("/tmp/gw-store-XXXXXX"));
	if (!mkdtemp(f->dir) ||
	    gw_snprintf(f->path, sizeof(f->path), "%s/verifier.db", f->dir) ||
	    gw_snprintf(f->url, sizeof(f->url), "sqlite:%s", f->path) ||
	    store_open(f->url, &f->st, NULL)) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static void rm_file(const struct fixture *f, const char *suffix)
{
	char p[192];

	if (gw_snprintf(p, sizeof(p), "%s%s", f->path, suffix) == 0)
		(void)unlink(p);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	store_close(f->st);
	rm_file(f, "");
	rm_file(f, "-wal");
	rm_file(f, "-shm");
	(void)rmdir(f->dir);
	free(f);
	return 0;
}

/* Run SQL on the file behind the store's back, as someone with write access would. */
static void tamper(const struct fixture *f, const char *sql)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

static const uint8_t ek_pub[] = { 0x00, 0x23, 0x01, 0x02 };
static const uint8_t ak_pub[] = { 0x00, 0x23, 0x0a, 0x0b, 0x0c };
static const uint8_t ak_name[] = { 0x00, 0x0b, 0xaa };

/* Each device has its own AK (one TPM, one device): its name is derived from the id. */
static size_t ak_name_of(const char *id, uint8_t name[sizeof(ak_name) + STORE_ID_MAX])
{
	size_t n = strnlen(id, STORE_ID_MAX);

	memcpy(name, ak_name, sizeof(ak_name));
	memcpy(name + sizeof(ak_name), id, n);
	return sizeof(ak_name) + n;
}

static int add_device(struct store *st, const char *id, enum store_device_state s)
{
	struct store_device d;
	uint8_t name[sizeof(ak_name) + STORE_ID_MAX];

	memset(&d, 0, sizeof(d));
	if (gw_snprintf(d.id, sizeof(d.id), "%s", id) ||
	    gw_snprintf(d.model, sizeof(d.model), "rpi4"))
		return GW_E_INVAL;
	d.state = s;
	d.ek_pub = (uint8_t *)ek_pub;
	d.ek_pub_len = sizeof(ek_pub);
	d.ak_pub = (uint8_t *)ak_pub;
	d.ak_pub_len = sizeof(ak_pub);
	d.ak_name = name;
	d.ak_name_len = ak_name_of(id, name);
	d.created_at = 1000;
	return store_device_put(st, &d, NULL, NULL);
}

static struct store_audit audit_rec(const char *action, const char *dev)
{
	struct store_audit a = {
		.ts = 1700000000, .actor = "operator:alice", .action = action,
		.device_id = dev, .outcome = "ok", .detail = "{\"why\":\"test\"}",
	};
	return a;
}

static void test_device_crud(void **state)
{
	struct fixture *f = *state;
	struct store_device d;
	struct store_attestation att = {
		.at = 2000, .status = "affirming", .reset_count = 3, .restart_count = 1,
		.clock = 123456789, .cel_records_appraised = 42,
	};
	struct store_audit a = audit_rec("device.enroll", "gw-1");
	enum store_device_state s;
	gw_error err = { { 0 } };

	memset(&d, 0, sizeof(d));
	assert_int_equal(add_device(f->st, "gw-1", STORE_DEV_PENDING), 0);
	assert_int_equal(add_device(f->st, "gw-1", STORE_DEV_PENDING), GW_E_EXISTS);
	assert_int_equal(store_device_get(f->st, "nope", &d, &err), GW_E_NOTFOUND);

	assert_int_equal(store_device_get(f->st, "gw-1", &d, &err), 0);
	assert_string_equal(d.id, "gw-1");
	assert_string_equal(d.model, "rpi4");
	assert_int_equal(d.state, STORE_DEV_PENDING);
	assert_int_equal(d.ek_pub_len, sizeof(ek_pub));
	assert_memory_equal(d.ek_pub, ek_pub, sizeof(ek_pub));
	assert_int_equal(d.ek_cert_len, 0);
	assert_memory_equal(d.ak_pub, ak_pub, sizeof(ak_pub));
	{
		uint8_t name[sizeof(ak_name) + STORE_ID_MAX];
		size_t n = ak_name_of("gw-1", name);

		assert_int_equal(d.ak_name_len, n);
		assert_memory_equal(d.ak_name, name, n);
	}
	assert_int_equal(d.created_at, 1000);
	assert_false(d.attested);
	store_device_fini(&d);

	/* Attestation needs an enrolled device. */
	assert_int_equal(store_device_update_attestation(f->st, "gw-1", &att, NULL, &err),
			 GW_E_STATE);
	assert_int_equal(store_device_update_attestation(f->st, "nope", &att, NULL, &err),
			 GW_E_NOTFOUND);

	assert_int_equal(store_device_set_state(f->st, "gw-1", STORE_DEV_ENROLLED, 1500,
						"operator:alice", &a, &err), 0);
	assert_int_equal(store_device_set_state(f->st, "gw-1", STORE_DEV_ENROLLED, 1500,
						"operator:alice", NULL, &err), GW_E_STATE);
	assert_int_equal(store_device_set_state(f->st, "gw-1", STORE_DEV_PENDING, 1500,
						"operator:alice", NULL, &err), GW_E_STATE);
	assert_int_equal(store_device_set_state(f->st, "nope", STORE_DEV_REVOKED, 1500,
						"operator:alice", NULL, &err), GW_E_NOTFOUND);
	assert_int_equal(store_device_update_attestation(f->st, "gw-1", &att, NULL, &err), 0);

	assert_int_equal(store_device_get(f->st, "gw-1", &d, &err), 0);
	assert_int_equal(d.state, STORE_DEV_ENROLLED);
	assert_int_equal(d.state_changed_at, 1500);
	assert_string_equal(d.state_changed_by, "operator:alice");
	assert_true(d.attested);
	assert_int_equal(d.last_attest_at, 2000);
	assert_string_equal(d.last_status, "affirming");
	assert_int_equal(d.reset_count, 3);
	assert_int_equal(d.restart_count, 1);
	assert_int_equal(d.clock, 123456789);
	assert_int_equal(d.cel_records_appraised, 42);
	store_device_fini(&d);

	/* Revoked is final. */
	assert_int_equal(store_device_set_state(f->st, "gw-1", STORE_DEV_REVOKED, 1600,
						"operator:bob", NULL, &err), 0);
	for (int to = STORE_DEV_PENDING; to <= STORE_DEV_REVOKED; to++)
		assert_int_equal(store_device_set_state(f->st, "gw-1",
							(enum store_device_state)to, 1700,
							"operator:bob", NULL, &err),
				 GW_E_STATE);
	assert_int_equal(store_device_update_attestation(f->st, "gw-1", &att, NULL, &err),
			 GW_E_STATE);

	/* pending -> revoked directly. */
	assert_int_equal(add_device(f->st, "gw-2", STORE_DEV_PENDING), 0);
	assert_int_equal(store_device_set_state(f->st, "gw-2", STORE_DEV_REVOKED, 1600,
						"operator:bob", NULL, &err), 0);

	assert_int_equal(store_device_state_parse("enrolled", &s), 0);
	assert_int_equal(s, STORE_DEV_ENROLLED);
	assert_int_equal(store_device_state_parse("Enrolled", &s), GW_E_PARSE);
	assert_null(store_device_state_name((enum store_device_state)7));

	/* Bad input is refused before it reaches the database. */
	assert_int_equal(add_device(f->st, "", STORE_DEV_PENDING), GW_E_INVAL);
	assert_int_equal(store_device_get(f->st, "", &d, &err), GW_E_INVAL);
}

struct list_ctx {
	char ids[8][STORE_ID_MAX + 1];
	size_t n;
};

static int list_cb(const struct store_device *d, void *arg)
{
	struct list_ctx *c = arg;

	if (c->n >= GW_ARRAY_SIZE(c->ids))
		return -100;
	memcpy(c->ids[c->n++], d->id, sizeof(d->id));
	return 0;
}

static int stop_cb(const struct store_device *d, void *arg)
{
	(void)d;
	(void)arg;
	return 7;
}

static void test_device_list(void **state)
{
	struct fixture *f = *state;
	struct list_ctx c;
	enum store_device_state s = STORE_DEV_PENDING;

	assert_int_equal(add_device(f->st, "c", STORE_DEV_PENDING), 0);
	assert_int_equal(add_device(f->st, "a", STORE_DEV_ENROLLED), 0);
	assert_int_equal(add_device(f->st, "b", STORE_DEV_PENDING), 0);
	memset(&c, 0, sizeof(c));
	assert_int_equal(store_device_list(f->st, NULL, list_cb, &c, NULL), 0);
	assert_int_equal(c.n, 3);
	assert_string_equal(c.ids[0], "a");
	assert_string_equal(c.ids[2], "c");
	memset(&c, 0, sizeof(c));
	assert_int_equal(store_device_list(f->st, &s, list_cb, &c, NULL), 0);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.ids[0], "b");
	assert_string_equal(c.ids[1], "c");
	assert_int_equal(store_device_list(f->st, NULL, stop_cb, NULL, NULL), 7);
}

static void test_nonce(void **state)
{
	struct fixture *f = *state;
	const uint8_t n1[32] = { 1, 2, 3 };
	const uint8_t n2[32] = { 4, 5, 6 };
	const uint8_t n3[32] = { 7, 8, 9 };
	struct store_nonce out;
	enum store_nonce_refusal why = 0;
	uint64_t purged = 99;
	gw_error err = { { 0 } };

	assert_int_equal(add_device(f->st, "gw-1", STORE_DEV_ENROLLED), 0);
	assert_int_equal(add_device(f->st, "gw-2", STORE_DEV_ENROLLED), 0);
	assert_int_equal(store_nonce_put(f->st, n1, sizeof(n1), "gw-1", "sha256:0-7", 100, &err), 0);
	assert_int_equal(store_nonce_put(f->st, n1, sizeof(n1), "gw-1", "sha256:0-7", 100, &err),
			 GW_E_EXISTS);
	assert_int_equal(store_nonce_put(f->st, n2, sizeof(n2), "ghost", "sha256:0", 100, &err),
			 GW_E_NOTFOUND);
	assert_int_equal(store_nonce_put(f->st, n2, sizeof(n2), "gw-1", "sha256:0", 50, &err), 0);
	assert_int_equal(store_nonce_put(f->st, n3, sizeof(n3), "gw-1", "sha256:0", 500, &err), 0);

	/* Another device cannot take it, and trying does not burn it. */
	assert_int_equal(store_nonce_take(f->st, n1, sizeof(n1), "gw-2", 10, &out, &why, &err),
			 GW_E_NOTFOUND);
	assert_int_equal(store_nonce_take(f->st, n1, 31, "gw-1", 10, &out, &why, &err),
			 GW_E_NOTFOUND);
	memset(&out, 0, sizeof(out));
	assert_int_equal(store_nonce_take(f->st, n1, sizeof(n1), "gw-1", 10, &out, &why, &err), 0);
	assert_string_equal(out.device_id, "gw-1");
	assert_string_equal(out.pcr_selection, "sha256:0-7");
	assert_int_equal(out.expires_at, 100);
	assert_int_equal(why, 0);
	/* Single use. */
	assert_int_equal(store_nonce_take(f->st, n1, sizeof(n1), "gw-1", 11, &out, &why, &err),
			 GW_E_STATE);
	assert_int_equal(why, STORE_NONCE_USED);

	/* Expired: refused, and stays refused even if the clock goes back. */
	why = 0;
	assert_int_equal(store_nonce_take(f->st, n2, sizeof(n2), "gw-1", 50, &out, &why, &err),
			 GW_E_STATE);
	assert_int_equal(why, STORE_NONCE_EXPIRED);
	assert_non_null(strstr(err.msg, "expired"));
	assert_int_equal(store_nonce_take(f->st, n2, sizeof(n2), "gw-1", 10, &out, &why, &err),
			 GW_E_STATE);
	assert_int_equal(why, STORE_NONCE_USED);

	assert_int_equal(store_nonce_purge(f->st, 101, &purged, &err), 0);
	assert_int_equal(purged, 2);
	assert_int_equal(store_nonce_take(f->st, n1, sizeof(n1), "gw-1", 11, &out, &why, &err),
			 GW_E_NOTFOUND);
	assert_int_equal(store_nonce_take(f->st, n3, sizeof(n3), "gw-1", 200, &out, NULL, &err), 0);
	assert_int_equal(store_nonce_put(f->st, n3, 0, "gw-1", "sha256:0", 500, &err), GW_E_INVAL);
	assert_int_equal(store_nonce_put(f->st, n3, STORE_NONCE_MAX + 1, "gw-1", "x", 5, &err),
			 GW_E_TOOBIG);
}

struct hist_ctx {
	int64_t at[8];
	char status[8][STORE_STATUS_MAX + 1];
	size_t n;
};

static int hist_cb(const struct store_result *r, void *arg)
{
	struct hist_ctx *c = arg;

	if (c->n >= GW_ARRAY_SIZE(c->at))
		return -100;
	c->at[c->n] = r->at;
	memcpy(c->status[c->n], r->status, strlen(r->status) + 1);
	c->n++;
	return 0;
}

static void test_results(void **state)
{
	struct fixture *f = *state;
	static const int64_t ats[] = { 30, 10, 20, 40 };
	static const char *const sts[] = { "warning", "affirming", "contraindicated",
					   "affirming" };
	struct store_audit a = audit_rec("attest", "gw-1");
	struct hist_ctx c;
	int64_t id = 0, last = 0;
	uint64_t count = 0, bad = 99;

	assert_int_equal(add_device(f->st, "gw-1", STORE_DEV_ENROLLED), 0);
	for (size_t i = 0; i < GW_ARRAY_SIZE(ats); i++) {
		struct store_result r = {
			.device_id = "gw-1", .at = ats[i], .status = sts[i],
			.claims = "{}", .ear = "eyJhbGciOiJFUzI1NiJ9.e30.sig",
		};
		assert_int_equal(store_result_add(f->st, &r, &id, &a, NULL), 0);
		assert_true(id > last);
		last = id;
	}
	{
		struct store_result r = { .device_id = "ghost", .at = 1, .status = "warning",
					  .claims = "{}", .ear = "x" };
		assert_int_equal(store_result_add(f->st, &r, &id, &a, NULL), GW_E_NOTFOUND);
	}
	memset(&c, 0, sizeof(c));
	assert_int_equal(store_result_history(f->st, "gw-1", 3, hist_cb, &c, NULL), 0);
	assert_int_equal(c.n, 3);
	assert_int_equal(c.at[0], 40);
	assert_int_equal(c.at[1], 30);
	assert_int_equal(c.at[2], 20);
	assert_string_equal(c.status[2], "contraindicated");
	memset(&c, 0, sizeof(c));
	assert_int_equal(store_result_history(f->st, "gw-1", 0, hist_cb, &c, NULL), 0);
	assert_int_equal(c.n, 4);
	/* One audit record per stored result, none for the refused one. */
	assert_int_equal(store_audit_verify(f->st, &count, &bad, NULL), 0);
	assert_int_equal(count, 4);
	assert_int_equal(bad, 0);
}

static struct store_device get_device(struct store *st, const char *id)
{
	struct store_device d;

	memset(&d, 0, sizeof(d));
	assert_int_equal(store_device_get(st, id, &d, NULL), 0);
	store_device_fini(&d);
	return d;
}

/* The TPM clock only moves forward, compared in the update's own transaction:
 * an older resetCount, or an older clock within one reset, is refused and
 * changes nothing; keep_clock records a result without touching the clock. */
static void test_attestation_clock(void **state)
{
	struct fixture *f = *state;
	struct store_attestation att = { .at = 100, .status = "affirming", .reset_count = 3,
					 .restart_count = 1, .clock = 5000 };
	struct store_audit a = audit_rec("attest", "gw-1");
	struct store_device d;
	gw_error err = { { 0 } };
	uint64_t count = 0, bad = 1;

	assert_int_equal(add_device(f->st, "gw-1", STORE_DEV_ENROLLED), 0);
	assert_int_equal(store_device_update_attestation(f->st, "gw-1", &att, &a, NULL), 0);
	/* The same clock again, and a later one. */
	assert_int_equal(store_device_update_attestation(f->st, "gw-1", &att, NULL, NULL), 0);
	att.clock = 6000;
	assert_int_equal(store_device_update_attestation(f->st, "gw-1", &att, NULL, NULL), 0);

	/* Older within the reset; an older reset with a later clock. */
	att.at = 200;
	att.status = "warning";
	att.clock = 5999;
	assert_int_equal(store_device_update_attestation(f->st, "gw-1", &att, &a, &err),
			 GW_E_EXISTS);
	assert_non_null(strstr(err.msg, "clock went backwards"));
	assert_non_null(strstr(err.msg, "6000 -> 5999"));
	att.reset_count = 2;
	att.clock = 999999;
	assert_int_equal(store_device_update_attestation(f->st, "gw-1", &att, NULL, &err),
			 GW_E_EXISTS);
	d = get_device(f->st, "gw-1");
	assert_int_equal(d.reset_count, 3);
	assert_int_equal(d.clock, 6000);
	assert_int_equal(d.last_attest_at, 100);
	assert_string_equal(d.last_status, "affirming");
	/* The refused call's audit record went with it. */
	assert_int_equal(store_audit_verify(f->st, &count, &bad, NULL), 0);
	assert_int_equal(count, 1);

	/* keep_clock: the result is recorded, the clock is not. */
	att.keep_clock = true;
	assert_int_equal(store_device_update_attestation(f->st, "gw-1", &att, NULL, NULL), 0);
	d = get_device(f->st, "gw-1");
	assert_int_equal(d.reset_count, 3);
	assert_int_equal(d.restart_count, 1);
	assert_int_equal(d.clock, 6000);
	assert_int_equal(d.last_attest_at, 200);
	assert_string_equal(d.last_status, "warning");
	/* ... whatever clock the refused quote carried, 2^63 and more included; a
	 * clock to record must fit. */
	att.clock = (uint64_t)INT64_MAX + 1;
	assert_int_equal(store_device_update_attestation(f->st, "gw-1", &att, NULL, NULL), 0);
	assert_int_equal(get_device(f->st, "gw-1").clock, 6000);
	att.keep_clock = false;
	assert_int_equal(store_device_update_attestation(f->st, "gw-1", &att, NULL, NULL),
			 GW_E_TOOBIG);
	att.keep_clock = true;
	att.clock = 6000;

	/* A new reset may start with a small clock. */
	att.keep_clock = false;
	att.reset_count = 4;
	att.restart_count = 0;
	att.clock = 10;
	assert_int_equal(store_device_update_attestation(f->st, "gw-1", &att, NULL, NULL), 0);
	d = get_device(f->st, "gw-1");
	assert_int_equal(d.reset_count, 4);
	assert_int_equal(d.clock, 10);

	/* A first attestation that says nothing about the clock leaves none to
	 * compare with: the next genuine one is taken as it is. */
	assert_int_equal(add_device(f->st, "gw-2", STORE_DEV_ENROLLED), 0);
	att.keep_clock = true;
	assert_int_equal(store_device_update_attestation(f->st, "gw-2", &att, NULL, NULL), 0);
	att.keep_clock = false;
	att.reset_count = 0;
	att.clock = 1;
	assert_int_equal(store_device_update_attestation(f->st, "gw-2", &att, NULL, NULL), 0);
	d = get_device(f->st, "gw-2");
	assert_true(d.attested);
	assert_int_equal(d.clock, 1);
}

/* Two verifier workers (two handles) appraise one device at once: both read the
 * clock before either writes. The later quote is recorded first; the older one is
 * refused inside its group, which then leaves nothing behind, and the recorded
 * clock is the later one. */
static void test_attestation_clock_two_handles(void **state)
{
	struct fixture *f = *state;
	struct store *other = NULL;
	struct store_attestation att = { .at = 100, .status = "affirming", .reset_count = 5,
					 .clock = 1000 };
	struct store_result r = { .device_id = "gw-1", .at = 300, .status = "affirming",
				  .claims = "[]", .ear = "x.y.z" };
	struct store_audit a = audit_rec("attest", "gw-1");
	struct store_device seen_a, seen_b, d;
	struct hist_ctx c;
	gw_error err = { { 0 } };

	assert_int_equal(add_device(f->st, "gw-1", STORE_DEV_ENROLLED), 0);
	assert_int_equal(store_device_update_attestation(f->st, "gw-1", &att, NULL, NULL), 0);
	assert_int_equal(store_open(f->path, &other, NULL), 0);
	seen_a = get_device(f->st, "gw-1");
	seen_b = get_device(other, "gw-1");
	assert_int_equal(seen_a.clock, 1000);
	assert_int_equal(seen_b.clock, 1000);

	/* Worker A: a quote at clock 3000. */
	att.at = 300;
	att.clock = 3000;
	assert_int_equal(store_begin(f->st, NULL), 0);
	assert_int_equal(store_result_add(f->st, &r, NULL, &a, NULL), 0);
	assert_int_equal(store_device_update_attestation(f->st, "gw-1", &att, NULL, NULL), 0);
	assert_int_equal(store_commit(f->st, NULL), 0);

	/* Worker B: a quote at clock 2000, newer than what it read, older than A's. */
	att.at = 301;
	att.clock = 2000;
	r.at = 301;
	r.status = "warning";
	assert_true(att.clock > seen_b.clock);
	assert_int_equal(store_begin(other, NULL), 0);
	assert_int_equal(store_result_add(other, &r, NULL, &a, NULL), 0);
	assert_int_equal(store_device_update_attestation(other, "gw-1", &att, NULL, &err),
			 GW_E_EXISTS);
	store_rollback(other);

	d = get_device(other, "gw-1");
	assert_int_equal(d.clock, 3000);
	assert_int_equal(d.last_attest_at, 300);
	memset(&c, 0, sizeof(c));
	assert_int_equal(store_result_history(f->st, "gw-1", 0, hist_cb, &c, NULL), 0);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.status[0], "affirming");
	store_close(other);
}

static void test_audit_in_same_transaction(void **state)
{
	struct fixture *f = *state;
	struct store_audit a = audit_rec("device.enroll", "gw-1");
	struct store_audit bad_audit = audit_rec("device.enroll", "gw-1");
	uint64_t count = 0, bad = 99;
	struct store_device d;
	gw_error err = { { 0 } };

	/* A failed change writes no audit record... */
	assert_int_equal(add_device(f->st, "gw-1", STORE_DEV_PENDING), 0);
	assert_int_equal(store_device_set_state(f->st, "gw-1", STORE_DEV_PENDING, 1, "op",
						&a, &err), GW_E_STATE);
	assert_int_equal(store_audit_verify(f->st, &count, &bad, NULL), 0);
	assert_int_equal(count, 0);
	/* ...and a bad audit record refuses the change. */
	bad_audit.actor = NULL;
	assert_int_equal(store_device_set_state(f->st, "gw-1", STORE_DEV_ENROLLED, 1, "op",
						&bad_audit, &err), GW_E_INVAL);
	memset(&d, 0, sizeof(d));
	assert_int_equal(store_device_get(f->st, "gw-1", &d, NULL), 0);
	assert_int_equal(d.state, STORE_DEV_PENDING);
	store_device_fini(&d);

	/* A group: everything or nothing. */
	assert_int_equal(store_begin(f->st, NULL), 0);
	assert_int_equal(store_begin(f->st, NULL), GW_E_STATE);
	assert_int_equal(store_device_set_state(f->st, "gw-1", STORE_DEV_ENROLLED, 2, "op", &a,
						NULL), 0);
	/* A failing call inside the group undoes only itself. */
	assert_int_equal(add_device(f->st, "gw-1", STORE_DEV_PENDING), GW_E_EXISTS);
	assert_int_equal(store_audit_append(f->st, &a, NULL, NULL), 0);
	store_rollback(f->st);
	assert_int_equal(store_device_get(f->st, "gw-1", &d, NULL), 0);
	assert_int_equal(d.state, STORE_DEV_PENDING);
	store_device_fini(&d);
	assert_int_equal(store_audit_verify(f->st, &count, &bad, NULL), 0);
	assert_int_equal(count, 0);

	assert_int_equal(store_begin(f->st, NULL), 0);
	assert_int_equal(store_device_set_state(f->st, "gw-1", STORE_DEV_ENROLLED, 2, "op", &a,
						NULL), 0);
	assert_int_equal(add_device(f->st, "gw-1", STORE_DEV_PENDING), GW_E_EXISTS);
	assert_int_equal(store_audit_append(f->st, &a, NULL, NULL), 0);
	assert_int_equal(store_commit(f->st, NULL), 0);
	assert_int_equal(store_commit(f->st, NULL), GW_E_STATE);
	assert_int_equal(store_device_get(f->st, "gw-1", &d, NULL), 0);
	assert_int_equal(d.state, STORE_DEV_ENROLLED);
	store_device_fini(&d);
	assert_int_equal(store_audit_verify(f->st, &count, &bad, NULL), 0);
	assert_int_equal(count, 2);
	assert_int_equal(bad, 0);
}

static void append_n(struct store *st, int n, const char *actor)
{
	for (int i = 0; i < n; i++) {
		struct store_audit a = {
			.ts = 1700000000 + i, .actor = actor, .action = "attest",
			.device_id = (i % 2) ? "gw-1" : NULL, .outcome = "affirming",
			.detail = (i % 3) ? "{\"n\":1}" : NULL,
		};
		assert_int_equal(store_audit_append(st, &a, NULL, NULL), 0);
	}
}

static void expect_verify(struct store *st, uint64_t count, uint64_t bad)
{
	uint64_t c = 99, b = 99;
	gw_error err = { { 0 } };

	assert_int_equal(store_audit_verify(st, &c, &b, &err), 0);
	if (b != bad)
		fail_msg("first bad seq %llu, want %llu (%s)", (unsigned long long)b,
			 (unsigned long long)bad, err.msg);
	if (bad == 0)
		assert_int_equal(c, count);
}

static const char drop_triggers[] =
	"DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;";

struct seq_ctx {
	uint64_t last;
	size_t n;
};

static int seq_cb(const struct store_audit_record *r, void *arg)
{
	struct seq_ctx *c = arg;

	if (r->seq != c->last + 1)
		return -100;
	c->last = r->seq;
	c->n++;
	return 0;
}

static void test_audit_chain(void **state)
{
	struct fixture *f = *state;
	struct store_audit a = audit_rec("x", NULL);
	struct seq_ctx c = { 0, 0 };
	uint64_t seq = 0;

	expect_verify(f->st, 0, 0);
	append_n(f->st, 10, "verifier");
	assert_int_equal(store_audit_append(f->st, &a, &seq, NULL), 0);
	assert_int_equal(seq, 11);
	expect_verify(f->st, 11, 0);
	c.last = 4;
	assert_int_equal(store_audit_list(f->st, 4, seq_cb, &c, NULL), 0);
	assert_int_equal(c.n, 7);

	/* The store itself refuses to edit the log. */
	{
		sqlite3 *db = NULL;

		assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
		assert_int_not_equal(sqlite3_exec(db, "UPDATE audit_log SET outcome = 'x'",
						  NULL, NULL, NULL), SQLITE_OK);
		assert_int_not_equal(sqlite3_exec(db, "DELETE FROM audit_log", NULL, NULL, NULL),
				     SQLITE_OK);
		sqlite3_close(db);
	}
	tamper(f, drop_triggers);
	tamper(f, "UPDATE audit_log SET outcome = 'refused' WHERE seq = 6");
	expect_verify(f->st, 0, 6);
	tamper(f, "UPDATE audit_log SET outcome = 'affirming' WHERE seq = 6");
	expect_verify(f->st, 11, 0);
	/* A NULL device turned into an empty one is an edit too. */
	tamper(f, "UPDATE audit_log SET device_id = '' WHERE seq = 1");
	expect_verify(f->st, 0, 1);
}

/* A stored policy version is never rewritten nor deleted: either would put
 * another policy in force than the one signed and audited last. */
static void test_policies_immutable(void **state)
{
	struct fixture *f = *state;
	struct store_policy cur = { 0 };
	sqlite3 *db = NULL;

	assert_int_equal(store_policy_add(f->st, "gw-1000", 1, NULL, "{\"v\":1}",
					  100, "test", NULL, NULL), 0);
	assert_int_equal(store_policy_add(f->st, "gw-1000", 2, NULL, "{\"v\":2}",
					  101, "test", NULL, NULL), 0);
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(db, "UPDATE policies SET body = '{}' WHERE version = 2",
					  NULL, NULL, NULL), SQLITE_OK);
	assert_string_equal(sqlite3_errmsg(db), "policy versions are immutable");
	assert_int_not_equal(sqlite3_exec(db, "DELETE FROM policies WHERE version = 2", NULL,
					  NULL, NULL), SQLITE_OK);
	assert_string_equal(sqlite3_errmsg(db), "policy versions are never deleted");
	sqlite3_close(db);
	assert_int_equal(store_policy_current(f->st, "gw-1000", &cur, NULL), 0);
	assert_int_equal(cur.version, 2);
	store_policy_fini(&cur);
}

static void test_audit_delete_middle(void **state)
{
	struct fixture *f = *state;

	append_n(f->st, 10, "verifier");
	tamper(f, drop_triggers);
	tamper(f, "DELETE FROM audit_log WHERE seq = 5");
	expect_verify(f->st, 0, 5);
	/* Renumbering to hide the gap breaks the links instead. */
	tamper(f, "UPDATE audit_log SET seq = seq - 1 WHERE seq > 5");
	expect_verify(f->st, 0, 5);
}

static void test_audit_delete_tail(void **state)
{
	struct fixture *f = *state;

	append_n(f->st, 10, "verifier");
	tamper(f, drop_triggers);
	tamper(f, "DELETE FROM audit_log WHERE seq = 10");
	expect_verify(f->st, 0, 10);
	tamper(f, "DELETE FROM audit_log WHERE seq >= 8");
	expect_verify(f->st, 0, 8);
}

static void test_audit_two_handles(void **state)
{
	struct fixture *f = *state;
	struct store *other = NULL;

	assert_int_equal(store_open(f->path, &other, NULL), 0);
	for (int i = 0; i < 20; i++) {
		append_n(f->st, 1 + i % 3, "thread-1");
		append_n(other, 1 + (i + 1) % 3, "thread-2");
	}
	expect_verify(f->st, 80, 0);
	expect_verify(other, 80, 0);
	store_close(other);
}

/* Several processes appending at once: the IMMEDIATE transaction serialises them. */
static void test_audit_concurrent_processes(void **state)
{
	struct fixture *f = *state;
	pid_t pid[4];

	/* A connection must not cross fork(): the children open their own. */
	store_close(f->st);
	f->st = NULL;
	for (size_t i = 0; i < GW_ARRAY_SIZE(pid); i++) {
		pid[i] = fork();
		assert_true(pid[i] >= 0);
		if (pid[i] == 0) {
			struct store *st = NULL;
			int bad = 0;

			if (store_open(f->url, &st, NULL))
				_exit(2);
			for (int k = 0; k < 50; k++) {
				struct store_audit a = audit_rec("attest", "gw-1");

				if (store_audit_append(st, &a, NULL, NULL))
					bad = 1;
			}
			store_close(st);
			_exit(bad);
		}
	}
	for (size_t i = 0; i < GW_ARRAY_SIZE(pid); i++) {
		int status = 0;

		assert_int_equal(waitpid(pid[i], &status, 0), pid[i]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	assert_int_equal(store_open(f->url, &f->st, NULL), 0);
	expect_verify(f->st, 200, 0);
}

/* Whether another process sees a lock of ours on SQLite's shared-lock range of the
 * database file (pending byte + 2, 510 bytes: SQLite's unix VFS). */
static bool file_locked_by_parent(const char *path)
{
	pid_t pid = fork();
	int status = 0;

	assert_true(pid >= 0);
	if (pid == 0) {
		struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
				    .l_start = 0x40000002, .l_len = 510 };
		int fd = open(path, O_RDWR | O_CLOEXEC);

		if (fd < 0 || fcntl(fd, F_GETLK, &fl))
			_exit(2);
		_exit(fl.l_type == F_UNLCK ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_true(WEXITSTATUS(status) <= 1);
	return WEXITSTATUS(status) == 1;
}

/* The verifier opens one store handle per worker thread while other processes (the
 * operator CLI) use the same file. Opening a second handle must not drop the first
 * one's POSIX locks (closing any descriptor of a file drops all of the process's
 * locks on it): another process would then take itself for the last user,
 * checkpoint and reset the WAL under us, and our next commit could undo its
 * commits. A revocation was lost that way once. */
static void test_second_handle_keeps_locks(void **state)
{
	struct fixture *f = *state;
	struct store *second = NULL;
	struct store_device d;

	assert_int_equal(add_device(f->st, "gw-1", STORE_DEV_ENROLLED), 0);
	memset(&d, 0, sizeof(d));
	assert_int_equal(store_device_get(f->st, "gw-1", &d, NULL), 0);
	store_device_fini(&d);
	assert_true(file_locked_by_parent(f->path));
	assert_int_equal(store_open(f->url, &second, NULL), 0);
	assert_true(file_locked_by_parent(f->path));
	memset(&d, 0, sizeof(d));
	assert_int_equal(store_device_get(second, "gw-1", &d, NULL), 0);
	store_device_fini(&d);
	assert_true(file_locked_by_parent(f->path));
	store_close(second);
}

/* A process killed in the middle of a transaction loses that transaction only. */
static void test_crash(void **state)
{
	struct fixture *f = *state;
	const int k = 25;
	int status = 0;
	pid_t pid;

	store_close(f->st);
	f->st = NULL;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct store *st = NULL;
		struct store_audit a = audit_rec("attest", "gw-1");

		if (store_open(f->url, &st, NULL))
			_exit(2);
		for (int i = 0; i < k; i++)
			if (store_audit_append(st, &a, NULL, NULL))
				_exit(3);
		if (add_device(st, "committed", STORE_DEV_PENDING) || store_begin(st, NULL) ||
		    store_audit_append(st, &a, NULL, NULL) ||
		    add_device(st, "uncommitted", STORE_DEV_PENDING))
			_exit(4);
		raise(SIGKILL);
		_exit(5);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);

	assert_int_equal(store_open(f->url, &f->st, NULL), 0);
	expect_verify(f->st, (uint64_t)k, 0);
	{
		struct store_device d;

		memset(&d, 0, sizeof(d));
		assert_int_equal(store_device_get(f->st, "committed", &d, NULL), 0);
		store_device_fini(&d);
		assert_int_equal(store_device_get(f->st, "uncommitted", &d, NULL), GW_E_NOTFOUND);
	}
	/* The chain continues from the committed head. */
	append_n(f->st, 3, "verifier");
	expect_verify(f->st, (uint64_t)k + 3, 0);
}

static void test_reopen(void **state)
{
	struct fixture *f = *state;
	struct store_device d;
	struct stat sb;
	char url[192];

	/* Only the verifier's user may read or write the database. */
	assert_int_equal(stat(f->path, &sb), 0);
	assert_int_equal(sb.st_mode & 0077, 0);
	assert_int_equal(add_device(f->st, "gw-1", STORE_DEV_PENDING), 0);
	append_n(f->st, 5, "verifier");
	store_close(f->st);
	f->st = NULL;
	/* Plain path, and the sync=full option. */
	assert_int_equal(gw_snprintf(url, sizeof(url), "%s?sync=full", f->url), 0);
	assert_int_equal(store_open(url, &f->st, NULL), 0);
	memset(&d, 0, sizeof(d));
	assert_int_equal(store_device_get(f->st, "gw-1", &d, NULL), 0);
	store_device_fini(&d);
	expect_verify(f->st, 5, 0);
	store_close(f->st);
	f->st = NULL;
	assert_int_equal(store_open(f->path, &f->st, NULL), 0);
	expect_verify(f->st, 5, 0);
}

static void test_open_errors(void **state)
{
	struct fixture *f = *state;
	struct store *st = NULL;
	gw_error err = { { 0 } };
	char url[192];

	assert_int_equal(store_open("postgres://db/gw", &st, &err), GW_E_UNSUPPORTED);
	assert_int_equal(store_open("sqlite:", &st, &err), GW_E_INVAL);
	assert_int_equal(gw_snprintf(url, sizeof(url), "%s?sync=off", f->url), 0);
	assert_int_equal(store_open(url, &st, &err), GW_E_INVAL);
	assert_int_equal(store_open("sqlite:/nonexistent-dir/x/y.db", &st, &err), GW_E_IO);
	assert_null(st);

	/* A database from a newer build. */
	assert_int_equal(gw_snprintf(url, sizeof(url), "PRAGMA user_version = %d",
				     STORE_SCHEMA_VERSION + 1), 0);
	tamper(f, url);
	assert_int_equal(store_open(f->url, &st, &err), GW_E_UNSUPPORTED);
	assert_non_null(strstr(err.msg, "newer"));
	assert_null(st);
	assert_int_equal(gw_snprintf(url, sizeof(url), "PRAGMA user_version = %d",
				     STORE_SCHEMA_VERSION), 0);
	tamper(f, url);
	assert_int_equal(store_open(f->url, &st, &err), 0);
	store_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_device_crud, setup, teardown),
		cmocka_unit_test_setup_teardown(test_device_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nonce, setup, teardown),
		cmocka_unit_test_setup_teardown(test_results, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attestation_clock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attestation_clock_two_handles, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_in_same_transaction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_policies_immutable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_delete_middle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_delete_tail, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_two_handles, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_concurrent_processes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_second_handle_keeps_locks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_errors, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
