// SPDX-License-Identifier: Apache-2.0
// Unit tests for schemas 2 to 5 of the verifier store: pending enrollments, client
// certificate binding, per-model policies, the stored CEL log, one TPM per device,
// and the migrations from v1, v2 and v4 files.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>
#include <tss2/tss2_mu.h>

#include "store.h"
#include "util.h"

#define V1_FIXTURE "verifier/tests/fixtures/store/v1.db"
#define V2_FIXTURE "verifier/tests/fixtures/store/v2.db"

struct fixture {
	char dir[64];
	char path[128];
	struct store *st;
};

static int make_dir(struct fixture *f)
{
	memcpy(f->dir, "/tmp/gw-store2-XXXXXX", sizeof("/tmp/gw-store2-XXXXXX"));
	return mkdtemp(f->dir) &&
	       gw_snprintf(f->path, sizeof(f->path), "%s/verifier.db", f->dir) == 0 ? 0 : -1;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f || make_dir(f) || store_open(f->path, &f->st, NULL)) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

/* No store yet: the test copies a file in first. */
static int setup_empty(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f || make_dir(f)) {
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

/* An enrollment's EK must be a key the store can identify (make_ek); devices put
 * directly may carry made-up blobs, as test tools do. */
static uint8_t ek_pub[sizeof(TPM2B_PUBLIC)];
static size_t ek_pub_len;
static uint8_t fake_ek[] = { 0x00, 0x23, 0x01, 0x02 };
static uint8_t ek_cert[] = { 0x30, 0x82, 0x01 };
static uint8_t ak_pub[] = { 0x00, 0x23, 0x0a, 0x0b, 0x0c };
static uint8_t ak_name[] = { 0x00, 0x0b, 0xaa };

/* The TPM2B_PUBLIC of an RSA 2048 EK whose modulus is made of `fill`. exponent (0
 * means 65537) and policy (the authPolicy bytes) change the encoding, not the key.
 * 0 when it cannot be marshalled. */
static size_t make_ek(uint8_t fill, uint32_t exponent, uint8_t policy, uint8_t *buf, size_t cap)
{
	TPM2B_PUBLIC p;
	TPMT_PUBLIC *a = &p.publicArea;
	size_t off = 0;

	memset(&p, 0, sizeof(p));
	a->type = TPM2_ALG_RSA;
	a->nameAlg = TPM2_ALG_SHA256;
	a->objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
			      TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_ADMINWITHPOLICY |
			      TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT;
	a->authPolicy.size = 32;
	memset(a->authPolicy.buffer, policy, 32);
	a->parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_AES;
	a->parameters.rsaDetail.symmetric.keyBits.aes = 128;
	a->parameters.rsaDetail.symmetric.mode.aes = TPM2_ALG_CFB;
	a->parameters.rsaDetail.scheme.scheme = TPM2_ALG_NULL;
	a->parameters.rsaDetail.keyBits = 2048;
	a->parameters.rsaDetail.exponent = exponent;
	a->unique.rsa.size = 256;
	memset(a->unique.rsa.buffer, fill, 256);
	a->unique.rsa.buffer[0] |= 0x80;
	a->unique.rsa.buffer[255] |= 0x01;
	if (Tss2_MU_TPM2B_PUBLIC_Marshal(&p, buf, cap, &off) != TSS2_RC_SUCCESS)
		return 0;
	return off;
}

#define ENR1 "0123456789abcdef0123456789abcdef"
#define ENR2 "fedcba9876543210fedcba9876543210"
#define ENR3 "00000000000000000000000000000003"
#define PEM "-----BEGIN PUBLIC KEY-----\nMFkw...\n-----END PUBLIC KEY-----\n"
#define FP1 "1111111111111111111111111111111111111111111111111111111111111111"
#define FP2 "2222222222222222222222222222222222222222222222222222222222222222"
#define FP3 "3333333333333333333333333333333333333333333333333333333333333333"

static void make_enrollment(struct store_enrollment *e, const char *id, const char *dev,
			    int64_t expires_at)
{
	memset(e, 0, sizeof(*e));
	assert_int_equal(gw_snprintf(e->id, sizeof(e->id), "%s", id), 0);
	assert_int_equal(gw_snprintf(e->device_id, sizeof(e->device_id), "%s", dev), 0);
	assert_int_equal(gw_snprintf(e->model, sizeof(e->model), "gw-1000"), 0);
	e->ek_pub = ek_pub;
	e->ek_pub_len = ek_pub_len;
	e->ek_cert = ek_cert;
	e->ek_cert_len = sizeof(ek_cert);
	e->ak_pub = ak_pub;
	e->ak_pub_len = sizeof(ak_pub);
	e->ak_name = ak_name;
	e->ak_name_len = sizeof(ak_name);
	memset(e->secret_hash, 0x5a, sizeof(e->secret_hash));
	e->created_at = 1000;
	e->expires_at = expires_at;
}

/* The device an activation inserts: no blobs, the store copies the enrollment's. */
static void make_device(struct store_device *d, const char *id, enum store_device_state s)
{
	memset(d, 0, sizeof(*d));
	assert_int_equal(gw_snprintf(d->id, sizeof(d->id), "%s", id), 0);
	assert_int_equal(gw_snprintf(d->model, sizeof(d->model), "gw-1000"), 0);
	d->state = s;
	d->created_at = 1050;
}

struct audit_tail {
	uint64_t n;
	char last_action[64];
};

static int count_audit(const struct store_audit_record *r, void *arg)
{
	struct audit_tail *t = arg;

	t->n++;
	return gw_snprintf(t->last_action, sizeof(t->last_action), "%s", r->a.action);
}

static struct audit_tail audit_tail(struct store *st)
{
	struct audit_tail t = { 0, "" };
	uint64_t count = 0, bad = 1;

	assert_int_equal(store_audit_list(st, 0, count_audit, &t, NULL), 0);
	assert_int_equal(store_audit_verify(st, &count, &bad, NULL), 0);
	assert_int_equal(bad, 0);
	assert_int_equal(count, t.n);
	return t;
}

static void test_enrollment(void **state)
{
	struct fixture *f = *state;
	struct store_enrollment e, got;
	struct store_device d, dev;
	struct store_audit a = { .ts = 1050, .actor = "device:gw-1", .action = "device.enroll",
				 .device_id = "gw-1", .outcome = "pending" };
	gw_error err = { { 0 } };

	make_enrollment(&e, ENR1, "gw-1", 1120);
	e.state = STORE_ENR_FAILED; /* ignored: a new enrollment is challenged */
	assert_int_equal(store_enrollment_put(f->st, &e, NULL, &err), 0);
	assert_int_equal(store_enrollment_put(f->st, &e, NULL, &err), GW_E_EXISTS);

	memset(&got, 0, sizeof(got));
	assert_int_equal(store_enrollment_get(f->st, ENR2, &got, &err), GW_E_NOTFOUND);
	assert_int_equal(store_enrollment_get(f->st, ENR1, &got, &err), 0);
	assert_string_equal(got.id, ENR1);
	assert_string_equal(got.device_id, "gw-1");
	assert_string_equal(got.model, "gw-1000");
	assert_int_equal(got.state, STORE_ENR_CHALLENGED);
	assert_int_equal(got.ek_pub_len, ek_pub_len);
	assert_memory_equal(got.ek_pub, ek_pub, ek_pub_len);
	assert_memory_equal(got.ek_cert, ek_cert, sizeof(ek_cert));
	assert_memory_equal(got.ak_pub, ak_pub, sizeof(ak_pub));
	assert_memory_equal(got.ak_name, ak_name, sizeof(ak_name));
	assert_memory_equal(got.secret_hash, e.secret_hash, sizeof(e.secret_hash));
	assert_int_equal(got.created_at, 1000);
	assert_int_equal(got.expires_at, 1120);
	assert_null(got.client_pub);
	store_enrollment_fini(&got);
	store_enrollment_fini(NULL);

	/* The device must be the enrollment's. */
	make_device(&d, "gw-2", STORE_DEV_PENDING);
	assert_int_equal(store_enrollment_activate(f->st, ENR1, PEM, 1050, &d, &a, NULL, &err),
			 GW_E_INVAL);
	make_device(&d, "gw-1", STORE_DEV_REVOKED);
	assert_int_equal(store_enrollment_activate(f->st, ENR1, PEM, 1050, &d, &a, NULL, &err),
			 GW_E_INVAL);
	/* Expired looks unknown, and changes nothing. */
	make_device(&d, "gw-1", STORE_DEV_PENDING);
	assert_int_equal(store_enrollment_activate(f->st, ENR1, PEM, 1120, &d, &a, NULL, &err),
			 GW_E_NOTFOUND);
	assert_non_null(strstr(err.msg, "expired"));
	assert_int_equal(store_enrollment_activate(f->st, ENR2, PEM, 1050, &d, &a, NULL, &err),
			 GW_E_NOTFOUND);
	assert_int_equal(audit_tail(f->st).n, 0);

	/* Activation: enrollment, device and audit record together. */
	assert_int_equal(store_enrollment_activate(f->st, ENR1, PEM, 1119, &d, &a, NULL, &err), 0);
	assert_int_equal(store_enrollment_get(f->st, ENR1, &got, &err), 0);
	assert_int_equal(got.state, STORE_ENR_ACTIVATED);
	assert_string_equal(got.client_pub, PEM);
	store_enrollment_fini(&got);
	memset(&dev, 0, sizeof(dev));
	assert_int_equal(store_device_get(f->st, "gw-1", &dev, &err), 0);
	assert_int_equal(dev.state, STORE_DEV_PENDING);
	assert_int_equal(dev.created_at, 1050);
	assert_memory_equal(dev.ek_pub, ek_pub, ek_pub_len);
	assert_int_equal(dev.ek_cert_len, sizeof(ek_cert));
	assert_memory_equal(dev.ak_name, ak_name, sizeof(ak_name));
	assert_string_equal(dev.client_cert_fp, "");
	store_device_fini(&dev);
	assert_string_equal(audit_tail(f->st).last_action, "device.enroll");

	/* Spent: a second activation and a late failure are refused. */
	assert_int_equal(store_enrollment_activate(f->st, ENR1, PEM, 1060, &d, &a, NULL, &err),
			 GW_E_STATE);
	assert_int_equal(store_enrollment_fail(f->st, ENR1, NULL, &err), GW_E_STATE);

	/* The device id was taken meanwhile: nothing of the activation stays. */
	make_enrollment(&e, ENR2, "gw-1", 2000);
	assert_int_equal(store_enrollment_put(f->st, &e, NULL, &err), 0);
	assert_int_equal(store_enrollment_activate(f->st, ENR2, PEM, 1060, &d, &a, NULL, &err),
			 GW_E_EXISTS);
	assert_int_equal(store_enrollment_get(f->st, ENR2, &got, &err), 0);
	assert_int_equal(got.state, STORE_ENR_CHALLENGED);
	assert_null(got.client_pub);
	store_enrollment_fini(&got);
	assert_int_equal(audit_tail(f->st).n, 1);

	/* A wrong secret spends it. */
	a.action = "device.enroll.failed";
	a.outcome = "refused";
	assert_int_equal(store_enrollment_fail(f->st, ENR2, &a, &err), 0);
	assert_int_equal(store_enrollment_fail(f->st, ENR2, &a, &err), GW_E_STATE);
	assert_int_equal(store_enrollment_fail(f->st, ENR3, &a, &err), GW_E_NOTFOUND);
	assert_string_equal(audit_tail(f->st).last_action, "device.enroll.failed");
	make_device(&d, "gw-1", STORE_DEV_ENROLLED);
	assert_int_equal(store_enrollment_activate(f->st, ENR2, PEM, 1060, &d, &a, NULL, &err),
			 GW_E_STATE);

	/* Malformed ids never reach the database. */
	assert_int_equal(store_enrollment_get(f->st, "0123", &got, &err), GW_E_INVAL);
	assert_int_equal(store_enrollment_get(f->st, "0123456789ABCDEF0123456789ABCDEF", &got,
					      &err), GW_E_INVAL);
	assert_int_equal(store_enrollment_get(f->st, ENR1 "0", &got, &err), GW_E_INVAL);
	make_enrollment(&e, ENR3, "", 2000);
	assert_int_equal(store_enrollment_put(f->st, &e, NULL, &err), GW_E_INVAL);
	make_enrollment(&e, ENR3, "gw-3", 2000);
	e.ak_name_len = 0;
	assert_int_equal(store_enrollment_put(f->st, &e, NULL, &err), GW_E_INVAL);
	assert_int_equal(store_enrollment_activate(f->st, ENR3, "", 1060, &d, &a, NULL, &err),
			 GW_E_INVAL);
}

static void test_enrollment_purge(void **state)
{
	struct fixture *f = *state;
	struct store_enrollment e, got;
	struct store_device d;
	uint64_t n = 99;

	make_enrollment(&e, ENR1, "gw-1", 1100);   /* challenged, expired */
	assert_int_equal(store_enrollment_put(f->st, &e, NULL, NULL), 0);
	make_enrollment(&e, ENR2, "gw-2", 1100);   /* activated, expired */
	assert_int_equal(store_enrollment_put(f->st, &e, NULL, NULL), 0);
	make_device(&d, "gw-2", STORE_DEV_ENROLLED);
	assert_int_equal(store_enrollment_activate(f->st, ENR2, PEM, 1050, &d, NULL, NULL, NULL), 0);
	make_enrollment(&e, ENR3, "gw-3", 5000);   /* challenged, fresh */
	assert_int_equal(store_enrollment_put(f->st, &e, NULL, NULL), 0);

	assert_int_equal(store_enrollment_purge(f->st, 1100, &n, NULL), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_enrollment_purge(f->st, 2000, &n, NULL), 0);
	assert_int_equal(n, 1);
	memset(&got, 0, sizeof(got));
	assert_int_equal(store_enrollment_get(f->st, ENR1, &got, NULL), GW_E_NOTFOUND);
	assert_int_equal(store_enrollment_get(f->st, ENR2, &got, NULL), 0);
	store_enrollment_fini(&got);
	assert_int_equal(store_enrollment_get(f->st, ENR3, &got, NULL), 0);
	store_enrollment_fini(&got);
	/* A failed one goes once expired. */
	assert_int_equal(store_enrollment_fail(f->st, ENR3, NULL, NULL), 0);
	assert_int_equal(store_enrollment_purge(f->st, 6000, NULL, NULL), 0);
	assert_int_equal(store_enrollment_get(f->st, ENR3, &got, NULL), GW_E_NOTFOUND);
}

/* Activation inside a caller's group: a failure later in the group undoes it. */
static void test_enrollment_in_group(void **state)
{
	struct fixture *f = *state;
	struct store_enrollment e, got;
	struct store_device d;

	make_enrollment(&e, ENR1, "gw-1", 2000);
	assert_int_equal(store_enrollment_put(f->st, &e, NULL, NULL), 0);
	make_device(&d, "gw-1", STORE_DEV_ENROLLED);
	assert_int_equal(store_begin(f->st, NULL), 0);
	assert_int_equal(store_enrollment_activate(f->st, ENR1, PEM, 1050, &d, NULL, NULL, NULL), 0);
	assert_int_equal(store_device_set_client_cert(f->st, "gw-1", FP1, NULL, NULL), 0);
	store_rollback(f->st);
	memset(&got, 0, sizeof(got));
	assert_int_equal(store_enrollment_get(f->st, ENR1, &got, NULL), 0);
	assert_int_equal(got.state, STORE_ENR_CHALLENGED);
	store_enrollment_fini(&got);
	{
		struct store_device dev;

		memset(&dev, 0, sizeof(dev));
		assert_int_equal(store_device_get(f->st, "gw-1", &dev, NULL), GW_E_NOTFOUND);
	}
}

static int add_device(struct store *st, const char *id)
{
	struct store_device d;

	uint8_t name[2 + STORE_ID_MAX] = { 0x00, 0x0b };
	size_t n = strlen(id);

	/* Its own AK: one TPM per device. */
	make_device(&d, id, STORE_DEV_PENDING);
	memcpy(name + 2, id, n);
	d.ek_pub = fake_ek;
	d.ek_pub_len = sizeof(fake_ek);
	d.ak_pub = ak_pub;
	d.ak_pub_len = sizeof(ak_pub);
	d.ak_name = name;
	d.ak_name_len = 2 + n;
	return store_device_put(st, &d, NULL, NULL);
}

static int cel_cb(const struct store_device *d, void *arg)
{
	(void)arg;
	return d->cel_log ? -1 : 0;
}

/* The stored CEL log: set with the attestation, replaced by the next one, cleared
 * by an attestation without one; only a device that is enrolled takes it. */
static void test_cel_log(void **state)
{
	struct fixture *f = *state;
	static const uint8_t log1[] = "\x1e{\"recnum\":0}\n";
	static const uint8_t log2[] = "\x1e{\"recnum\":0}\n\x1e{\"recnum\":1}\n";
	struct store_attestation att = { .at = 10, .status = "affirming", .reset_count = 7,
					 .has_cel = true, .cel_log = log1,
					 .cel_log_len = sizeof(log1) - 1, .cel_reset_count = 7 };
	struct store_device d;
	gw_error err = { { 0 } };

	assert_int_equal(add_device(f->st, "gw-1"), 0);
	assert_int_equal(store_device_update_attestation(f->st, "gw-1", &att, NULL, &err),
			 GW_E_STATE);
	assert_int_equal(store_device_set_state(f->st, "gw-1", STORE_DEV_ENROLLED, 5, "op", NULL,
						&err), 0);
	memset(&d, 0, sizeof(d));
	assert_int_equal(store_device_get(f->st, "gw-1", &d, &err), 0);
	assert_null(d.cel_log);
	assert_int_equal(d.cel_log_len, 0);
	store_device_fini(&d);

	assert_int_equal(store_device_update_attestation(f->st, "gw-1", &att, NULL, &err), 0);
	memset(&d, 0, sizeof(d));
	assert_int_equal(store_device_get(f->st, "gw-1", &d, &err), 0);
	assert_non_null(d.cel_log);
	assert_int_equal(d.cel_log_len, sizeof(log1) - 1);
	assert_memory_equal(d.cel_log, log1, sizeof(log1) - 1);
	assert_int_equal(d.cel_reset_count, 7);
	store_device_fini(&d);
	assert_null(d.cel_log);
	/* Listing does not carry the blob. */
	assert_int_equal(store_device_list(f->st, NULL, cel_cb, NULL, &err), 0);

	att.cel_log = log2;
	att.cel_log_len = sizeof(log2) - 1;
	att.cel_reset_count = 8;
	assert_int_equal(store_device_update_attestation(f->st, "gw-1", &att, NULL, &err), 0);
	memset(&d, 0, sizeof(d));
	assert_int_equal(store_device_get(f->st, "gw-1", &d, &err), 0);
	assert_int_equal(d.cel_log_len, sizeof(log2) - 1);
	assert_memory_equal(d.cel_log, log2, sizeof(log2) - 1);
	assert_int_equal(d.cel_reset_count, 8);
	store_device_fini(&d);

	/* An empty authentic log is a log (of no records), not "none". */
	att.cel_log = NULL;
	att.cel_log_len = 0;
	assert_int_equal(store_device_update_attestation(f->st, "gw-1", &att, NULL, &err), 0);
	memset(&d, 0, sizeof(d));
	assert_int_equal(store_device_get(f->st, "gw-1", &d, &err), 0);
	assert_non_null(d.cel_log);
	assert_int_equal(d.cel_log_len, 0);
	store_device_fini(&d);

	/* has_cel false clears it. */
	att.has_cel = false;
	att.cel_log = log1;
	att.cel_log_len = sizeof(log1) - 1;
	assert_int_equal(store_device_update_attestation(f->st, "gw-1", &att, NULL, &err), 0);
	memset(&d, 0, sizeof(d));
	assert_int_equal(store_device_get(f->st, "gw-1", &d, &err), 0);
	assert_null(d.cel_log);
	assert_int_equal(d.cel_reset_count, 0);
	store_device_fini(&d);

	/* keep_clock (a quote that says nothing about the TPM: forged, stale, or
	 * older than the one recorded) leaves the authentic log and its count. */
	att.has_cel = true;
	att.cel_log = log2;
	att.cel_log_len = sizeof(log2) - 1;
	att.cel_records_appraised = 2;
	assert_int_equal(store_device_update_attestation(f->st, "gw-1", &att, NULL, &err), 0);
	att.keep_clock = true;
	att.has_cel = false;
	att.cel_records_appraised = 0;
	att.status = "contraindicated";
	assert_int_equal(store_device_update_attestation(f->st, "gw-1", &att, NULL, &err), 0);
	memset(&d, 0, sizeof(d));
	assert_int_equal(store_device_get(f->st, "gw-1", &d, &err), 0);
	assert_int_equal(d.cel_log_len, sizeof(log2) - 1);
	assert_memory_equal(d.cel_log, log2, sizeof(log2) - 1);
	assert_int_equal(d.cel_records_appraised, 2);
	assert_string_equal(d.last_status, "contraindicated");
	store_device_fini(&d);
	att.keep_clock = false;
	att.has_cel = false;
	att.status = "affirming";
	assert_int_equal(store_device_update_attestation(f->st, "gw-1", &att, NULL, &err), 0);

	/* Bad arguments change nothing. */
	att.has_cel = true;
	att.cel_log = NULL;
	att.cel_log_len = 3;
	assert_int_equal(store_device_update_attestation(f->st, "gw-1", &att, NULL, &err),
			 GW_E_INVAL);
	att.cel_log = log1;
	att.cel_log_len = STORE_CEL_MAX + 1u;
	assert_int_equal(store_device_update_attestation(f->st, "gw-1", &att, NULL, &err),
			 GW_E_TOOBIG);
	memset(&d, 0, sizeof(d));
	assert_int_equal(store_device_get(f->st, "gw-1", &d, &err), 0);
	assert_null(d.cel_log);
	store_device_fini(&d);
}

struct fp_ctx {
	char fp[4][STORE_FP_LEN + 1];
	size_t n;
};

static int fp_cb(const struct store_device *d, void *arg)
{
	struct fp_ctx *c = arg;

	if (c->n >= 4)
		return -1;
	return gw_snprintf(c->fp[c->n++], sizeof(c->fp[0]), "%s", d->client_cert_fp);
}

static void test_client_cert(void **state)
{
	struct fixture *f = *state;
	struct store_device d;
	struct fp_ctx c;
	struct store_audit a = { .ts = 1, .actor = "operator:alice", .action = "device.approve",
				 .device_id = "gw-1", .outcome = "ok" };
	gw_error err = { { 0 } };

	assert_int_equal(add_device(f->st, "gw-1"), 0);
	assert_int_equal(add_device(f->st, "gw-2"), 0);
	assert_int_equal(store_device_set_client_cert(f->st, "gw-1", FP1, &a, &err), 0);
	memset(&d, 0, sizeof(d));
	assert_int_equal(store_device_get(f->st, "gw-1", &d, &err), 0);
	assert_string_equal(d.client_cert_fp, FP1);
	store_device_fini(&d);
	assert_string_equal(audit_tail(f->st).last_action, "device.approve");

	/* One certificate, one device. */
	assert_int_equal(store_device_set_client_cert(f->st, "gw-2", FP1, NULL, &err),
			 GW_E_EXISTS);
	assert_int_equal(store_device_set_client_cert(f->st, "gw-2", FP2, NULL, &err), 0);
	/* Re-issue replaces. */
	assert_int_equal(store_device_set_client_cert(f->st, "gw-1", FP2, NULL, &err),
			 GW_E_EXISTS);
	assert_int_equal(store_device_set_client_cert(f->st, "gw-1", NULL, NULL, &err), 0);
	assert_int_equal(store_device_set_client_cert(f->st, "gw-2", FP1, NULL, &err), 0);

	memset(&c, 0, sizeof(c));
	assert_int_equal(store_device_list(f->st, NULL, fp_cb, &c, &err), 0);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.fp[0], "");
	assert_string_equal(c.fp[1], FP1);

	assert_int_equal(store_device_set_client_cert(f->st, "nope", FP2, NULL, &err),
			 GW_E_NOTFOUND);
	assert_int_equal(store_device_set_client_cert(f->st, "gw-1", "abc", NULL, &err),
			 GW_E_INVAL);
	assert_int_equal(store_device_set_client_cert(f->st, "gw-1", FP1 "1", NULL, &err),
			 GW_E_INVAL);
	assert_int_equal(store_device_set_client_cert(
				 f->st, "gw-1",
				 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
				 NULL, &err), GW_E_INVAL);

	/* Revoked: no new certificate, clearing is fine. */
	assert_int_equal(store_device_set_state(f->st, "gw-2", STORE_DEV_REVOKED, 5,
						"operator:bob", NULL, &err), 0);
	assert_int_equal(store_device_set_client_cert(f->st, "gw-2", FP2, NULL, &err),
			 GW_E_STATE);
	assert_int_equal(store_device_set_client_cert(f->st, "gw-2", NULL, NULL, &err), 0);
}

#define BODY(v) "{\"model\":\"gw-1000\",\"version\":" #v ",\"stages\":{}}"

struct pol_ctx {
	char model[4][STORE_MODEL_MAX + 1];
	uint32_t version[4];
	size_t n;
};

static int pol_cb(const struct store_policy *p, void *arg)
{
	struct pol_ctx *c = arg;

	if (c->n >= 4)
		return -1;
	c->version[c->n] = p->version;
	return gw_snprintf(c->model[c->n++], sizeof(c->model[0]), "%s", p->model);
}

static void test_policy(void **state)
{
	struct fixture *f = *state;
	struct store_policy p;
	struct pol_ctx c;
	struct store_audit a = { .ts = 1, .actor = "operator:alice", .action = "policy.add",
				 .outcome = "ok", .detail = "{\"model\":\"gw-1000\",\"version\":3}" };
	gw_error err = { { 0 } };

	memset(&p, 0, sizeof(p));
	assert_int_equal(store_policy_current(f->st, "gw-1000", &p, &err), GW_E_NOTFOUND);
	assert_int_equal(store_policy_add(f->st, "gw-1000", 3, NULL, BODY(3), 100, "operator:alice",
					  &a, &err), 0);
	assert_string_equal(audit_tail(f->st).last_action, "policy.add");
	/* Equal and lower versions are refused, naming both. */
	assert_int_equal(store_policy_add(f->st, "gw-1000", 3, NULL, BODY(3), 101, "operator:alice",
					  &a, &err), GW_E_STATE);
	assert_non_null(strstr(err.msg, "version 3 is not above the current version 3"));
	assert_int_equal(store_policy_add(f->st, "gw-1000", 2, NULL, BODY(2), 101, "operator:alice",
					  NULL, &err), GW_E_STATE);
	assert_int_equal(audit_tail(f->st).n, 1);
	assert_int_equal(store_policy_add(f->st, "gw-1000", 0, NULL, BODY(0), 101, "operator:alice",
					  NULL, &err), GW_E_INVAL);
	assert_int_equal(store_policy_add(f->st, "gw-1000", 7, NULL, BODY(7), 102, "operator:bob",
					  NULL, &err), 0);
	assert_int_equal(store_policy_add(f->st, "gw-500", 1, NULL, "{}", 103, "operator:bob",
					  NULL, &err), 0);
	/* Versions are per model; one step is at most STORE_POLICY_MAX_STEP. */
	assert_int_equal(store_policy_add(f->st, "gw-500", 4294967295u, NULL, "{}", 104,
					  "operator:bob", NULL, &err), GW_E_STATE);
	assert_non_null(strstr(err.msg, "version 4294967295 is more than 1000 above the "
					"current version 1: sign it again with a version up to "
					"1001"));
	assert_int_equal(store_policy_add(f->st, "gw-500", 1002, NULL, "{}", 104, "operator:bob",
					  NULL, &err), GW_E_STATE);
	assert_int_equal(store_policy_add(f->st, "gw-500", 1001, NULL, "{}", 104, "operator:bob",
					  NULL, &err), 0);

	assert_int_equal(store_policy_current(f->st, "gw-1000", &p, &err), 0);
	assert_int_equal(p.version, 7);
	assert_string_equal(p.body, BODY(7));
	assert_int_equal(p.added_at, 102);
	assert_string_equal(p.added_by, "operator:bob");
	store_policy_fini(&p);
	store_policy_fini(NULL);
	assert_int_equal(store_policy_get(f->st, "gw-1000", 3, &p, &err), 0);
	assert_string_equal(p.body, BODY(3));
	assert_string_equal(p.added_by, "operator:alice");
	store_policy_fini(&p);
	assert_int_equal(store_policy_get(f->st, "gw-1000", 5, &p, &err), GW_E_NOTFOUND);
	assert_int_equal(store_policy_get(f->st, "gw-1000", 0, &p, &err), GW_E_NOTFOUND);
	assert_int_equal(store_policy_get(f->st, "nope", 1, &p, &err), GW_E_NOTFOUND);

	memset(&c, 0, sizeof(c));
	assert_int_equal(store_policy_list(f->st, NULL, pol_cb, &c, &err), 0);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.model[0], "gw-1000");
	assert_int_equal(c.version[0], 7);
	assert_string_equal(c.model[1], "gw-500");
	assert_int_equal(c.version[1], 1001);
	memset(&c, 0, sizeof(c));
	assert_int_equal(store_policy_list(f->st, "gw-1000", pol_cb, &c, &err), 0);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.version[0], 7);
	assert_int_equal(c.version[1], 3);
	memset(&c, 0, sizeof(c));
	assert_int_equal(store_policy_list(f->st, "none", pol_cb, &c, &err), 0);
	assert_int_equal(c.n, 0);

	assert_int_equal(store_policy_add(f->st, "", 1, NULL, "{}", 1, "operator:bob", NULL, &err),
			 GW_E_INVAL);
	assert_int_equal(store_policy_add(f->st, "m", 1, NULL, NULL, 1, "operator:bob", NULL, &err),
			 GW_E_INVAL);
}

/* Two operators adding the same version from two handles: the second is refused
 * (the check and the insert share one write lock, so this holds when they race). */
static void test_policy_race(void **state)
{
	struct fixture *f = *state;
	struct store *other = NULL;
	int rc1, rc2;

	assert_int_equal(store_open(f->path, &other, NULL), 0);
	assert_int_equal(store_begin(f->st, NULL), 0);
	rc1 = store_policy_add(f->st, "m", 1, NULL, "{}", 1, "operator:a", NULL, NULL);
	assert_int_equal(rc1, 0);
	assert_int_equal(store_commit(f->st, NULL), 0);
	rc2 = store_policy_add(other, "m", 1, NULL, "{}", 1, "operator:b", NULL, NULL);
	assert_int_equal(rc2, GW_E_STATE);
	store_close(other);
}

static int copy_file(const char *from, const char *to)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc = gw_read_file(from, 1 << 20, &buf, &len, NULL);

	if (rc == 0)
		rc = gw_write_file_atomic(to, buf, len, 0600, NULL);
	free(buf);
	return rc;
}

static int64_t user_version(const char *path)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	int64_t v = -1;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

/* A database written by the schema-1 build (committed fixture) opens as schema 2
 * with every row and the audit chain intact, and takes the new data. */
static void test_migrate_v1(void **state)
{
	struct fixture *f = *state;
	struct store_device d;
	struct store_policy p;
	uint64_t count = 0, bad = 1;

	assert_int_equal(copy_file(V1_FIXTURE, f->path), 0);
	assert_int_equal(user_version(f->path), 1);
	assert_int_equal(store_open(f->path, &f->st, NULL), 0);
	assert_int_equal(user_version(f->path), STORE_SCHEMA_VERSION);

	memset(&d, 0, sizeof(d));
	assert_int_equal(store_device_get(f->st, "gw-v1", &d, NULL), 0);
	assert_string_equal(d.model, "gw-1000");
	assert_int_equal(d.state, STORE_DEV_ENROLLED);
	assert_true(d.attested);
	assert_int_equal(d.clock, 99);
	assert_int_equal(d.cel_records_appraised, 7);
	assert_int_equal(d.ak_pub_len, 5);
	assert_string_equal(d.client_cert_fp, "");
	store_device_fini(&d);
	assert_int_equal(store_audit_verify(f->st, &count, &bad, NULL), 0);
	assert_int_equal(count, 3);
	assert_int_equal(bad, 0);

	assert_int_equal(store_device_set_client_cert(f->st, "gw-v1", FP1, NULL, NULL), 0);
	assert_int_equal(store_policy_add(f->st, "gw-1000", 1, NULL, "{}",
					  5, "operator:a", NULL, NULL),
			 0);
	memset(&p, 0, sizeof(p));
	assert_int_equal(store_policy_current(f->st, "gw-1000", &p, NULL), 0);
	store_policy_fini(&p);

	/* Reopening migrates nothing more. */
	store_close(f->st);
	f->st = NULL;
	assert_int_equal(store_open(f->path, &f->st, NULL), 0);
	memset(&d, 0, sizeof(d));
	assert_int_equal(store_device_get(f->st, "gw-v1", &d, NULL), 0);
	assert_string_equal(d.client_cert_fp, FP1);
	store_device_fini(&d);
}

/* A database written by the schema-2 build (committed fixture, made by
 * make-v2-db.c) opens as schema 3 with every row and the audit chain intact, no
 * stored CEL log, and takes one. */
static void test_migrate_v2(void **state)
{
	struct fixture *f = *state;
	static const uint8_t log[] = "\x1e{}\n";
	struct store_attestation att = { .at = 3000, .status = "affirming", .reset_count = 4,
					 .restart_count = 2, .clock = 200, .has_cel = true,
					 .cel_log = log, .cel_log_len = sizeof(log) - 1,
					 .cel_reset_count = 4 };
	struct store_device d;
	struct store_enrollment e;
	struct store_policy p;
	uint64_t count = 0, bad = 1;

	assert_int_equal(copy_file(V2_FIXTURE, f->path), 0);
	assert_int_equal(user_version(f->path), 2);
	assert_int_equal(store_open(f->path, &f->st, NULL), 0);
	assert_int_equal(user_version(f->path), STORE_SCHEMA_VERSION);

	memset(&d, 0, sizeof(d));
	assert_int_equal(store_device_get(f->st, "gw-v2", &d, NULL), 0);
	assert_string_equal(d.model, "gw-1000");
	assert_int_equal(d.state, STORE_DEV_ENROLLED);
	assert_true(d.attested);
	assert_int_equal(d.reset_count, 4);
	assert_int_equal(d.clock, 123);
	assert_int_equal(d.cel_records_appraised, 5);
	assert_int_equal(d.ak_pub_len, 5);
	assert_string_equal(d.client_cert_fp,
			    "3333333333333333333333333333333333333333333333333333333333333333");
	assert_null(d.cel_log);
	assert_int_equal(d.cel_log_len, 0);
	store_device_fini(&d);
	memset(&e, 0, sizeof(e));
	assert_int_equal(store_enrollment_get(f->st, ENR1, &e, NULL), 0);
	assert_int_equal(e.state, STORE_ENR_ACTIVATED);
	assert_non_null(e.client_pub);
	store_enrollment_fini(&e);
	memset(&p, 0, sizeof(p));
	assert_int_equal(store_policy_current(f->st, "gw-1000", &p, NULL), 0);
	assert_int_equal(p.version, 2);
	store_policy_fini(&p);
	assert_int_equal(store_audit_verify(f->st, &count, &bad, NULL), 0);
	assert_int_equal(count, 4);
	assert_int_equal(bad, 0);

	assert_int_equal(store_device_update_attestation(f->st, "gw-v2", &att, NULL, NULL), 0);
	store_close(f->st);
	f->st = NULL;
	assert_int_equal(store_open(f->path, &f->st, NULL), 0);
	memset(&d, 0, sizeof(d));
	assert_int_equal(store_device_get(f->st, "gw-v2", &d, NULL), 0);
	assert_int_equal(d.cel_log_len, sizeof(log) - 1);
	assert_memory_equal(d.cel_log, log, sizeof(log) - 1);
	assert_int_equal(d.cel_reset_count, 4);
	store_device_fini(&d);
}

/* The EK's identity is its key: encodings that differ elsewhere agree, other keys
 * and blobs that are no RSA or ECC public area do not. */
static void test_ek_key_id(void **state)
{
	uint8_t a[sizeof(TPM2B_PUBLIC)], b[sizeof(TPM2B_PUBLIC)];
	uint8_t ka[STORE_HASH_LEN], kb[STORE_HASH_LEN];
	size_t na, nb;

	(void)state;
	na = make_ek(0x11, 0, 0, a, sizeof(a));
	nb = make_ek(0x11, 65537, 0x5a, b, sizeof(b));
	assert_true(na && nb);
	assert_memory_not_equal(a, b, na < nb ? na : nb);
	assert_int_equal(store_ek_key_id(a, na, ka), 0);
	assert_int_equal(store_ek_key_id(b, nb, kb), 0);
	assert_memory_equal(ka, kb, sizeof(ka));
	nb = make_ek(0x22, 0, 0, b, sizeof(b));
	assert_int_equal(store_ek_key_id(b, nb, kb), 0);
	assert_memory_not_equal(ka, kb, sizeof(ka));
	assert_int_not_equal(store_ek_key_id(fake_ek, sizeof(fake_ek), kb), 0);
	assert_int_not_equal(store_ek_key_id(a, na - 1, kb), 0);    /* truncated */
	a[na] = 0;
	assert_int_not_equal(store_ek_key_id(a, na + 1, kb), 0);    /* trailing byte */
	assert_int_equal(store_ek_key_id(NULL, 4, kb), GW_E_INVAL);
}

static struct store_tpm_holder by_tpm(struct store *st, const uint8_t *ek, size_t ek_len,
				      const uint8_t *name, size_t name_len)
{
	struct store_tpm_holder h;

	memset(&h, 0xa5, sizeof(h));
	assert_int_equal(store_device_by_tpm(st, ek, ek_len, name, name_len, &h, NULL), 0);
	return h;
}

/* One TPM, one device, at activation: a second id for the same EK (even spelled
 * differently) or the same AK is refused while the first device lives; after its
 * revocation the TPM comes back as pending only. */
static void test_one_tpm_enrollment(void **state)
{
	struct fixture *f = *state;
	struct store_enrollment e, got;
	struct store_device d, dev;
	struct store_tpm_holder h;
	struct store_audit a = { .ts = 1050, .actor = "verifier", .action = "device.enroll",
				 .device_id = "gw-2", .outcome = "pending" };
	uint8_t ek2[sizeof(TPM2B_PUBLIC)], other[sizeof(TPM2B_PUBLIC)];
	uint8_t name2[] = { 0x00, 0x0b, 0xbb };
	size_t ek2_len = make_ek(0x11, 65537, 0x77, ek2, sizeof(ek2));
	size_t other_len = make_ek(0x33, 0, 0, other, sizeof(other));
	gw_error err = { { 0 } };
	uint64_t audits;

	assert_true(ek2_len && other_len);
	h = by_tpm(f->st, ek_pub, ek_pub_len, ak_name, sizeof(ak_name));
	assert_int_equal(h.binding, STORE_TPM_FREE);
	assert_string_equal(h.device_id, "");

	/* An EK the store cannot identify never becomes an enrollment. */
	make_enrollment(&e, ENR3, "gw-3", 2000);
	e.ek_pub = fake_ek;
	e.ek_pub_len = sizeof(fake_ek);
	assert_int_not_equal(store_enrollment_put(f->st, &e, NULL, &err), 0);
	assert_int_equal(store_enrollment_get(f->st, ENR3, &got, NULL), GW_E_NOTFOUND);

	make_enrollment(&e, ENR1, "gw-1", 2000);
	assert_int_equal(store_enrollment_put(f->st, &e, NULL, NULL), 0);
	make_device(&d, "gw-1", STORE_DEV_ENROLLED);
	assert_int_equal(store_enrollment_activate(f->st, ENR1, PEM, 1050, &d, NULL, &h, NULL), 0);
	assert_int_equal(h.binding, STORE_TPM_FREE);

	/* The same EK, another encoding and AK, under gw-2: refused, nothing changes. */
	make_enrollment(&e, ENR2, "gw-2", 2000);
	e.ek_pub = ek2;
	e.ek_pub_len = ek2_len;
	e.ak_name = name2;
	e.ak_name_len = sizeof(name2);
	assert_int_equal(store_enrollment_put(f->st, &e, NULL, NULL), 0);
	h = by_tpm(f->st, ek2, ek2_len, name2, sizeof(name2));
	assert_int_equal(h.binding, STORE_TPM_IN_USE);
	assert_string_equal(h.device_id, "gw-1");
	audits = audit_tail(f->st).n;
	make_device(&d, "gw-2", STORE_DEV_PENDING);
	memset(&h, 0, sizeof(h));
	assert_int_equal(store_enrollment_activate(f->st, ENR2, PEM, 1050, &d, &a, &h, &err),
			 GW_E_EXISTS);
	assert_int_equal(h.binding, STORE_TPM_IN_USE);
	assert_string_equal(h.device_id, "gw-1");
	assert_non_null(strstr(err.msg, "gw-1"));
	assert_int_equal(audit_tail(f->st).n, audits);
	memset(&dev, 0, sizeof(dev));
	assert_int_equal(store_device_get(f->st, "gw-2", &dev, NULL), GW_E_NOTFOUND);
	memset(&got, 0, sizeof(got));
	assert_int_equal(store_enrollment_get(f->st, ENR2, &got, NULL), 0);
	assert_int_equal(got.state, STORE_ENR_CHALLENGED);
	store_enrollment_fini(&got);

	/* Another EK with gw-1's AK: the AK binds the TPM too. */
	make_enrollment(&e, ENR3, "gw-3", 2000);
	e.ek_pub = other;
	e.ek_pub_len = other_len;
	assert_int_equal(store_enrollment_put(f->st, &e, NULL, NULL), 0);
	make_device(&d, "gw-3", STORE_DEV_PENDING);
	assert_int_equal(store_enrollment_activate(f->st, ENR3, PEM, 1050, &d, NULL, &h, NULL),
			 GW_E_EXISTS);
	assert_int_equal(h.binding, STORE_TPM_IN_USE);
	assert_string_equal(h.device_id, "gw-1");

	/* gw-1 again, same TPM: the id is what is taken. */
	make_enrollment(&e, "0000000000000000000000000000000a", "gw-1", 2000);
	assert_int_equal(store_enrollment_put(f->st, &e, NULL, NULL), 0);
	make_device(&d, "gw-1", STORE_DEV_PENDING);
	assert_int_equal(store_enrollment_activate(f->st, "0000000000000000000000000000000a", PEM,
						   1050, &d, NULL, &h, NULL),
			 GW_E_EXISTS);
	assert_int_equal(h.binding, STORE_TPM_FREE);

	/* Revoked: the TPM may come back under gw-2, as pending only. */
	assert_int_equal(store_device_set_state(f->st, "gw-1", STORE_DEV_REVOKED, 1060,
						"operator:alice", NULL, NULL), 0);
	h = by_tpm(f->st, ek2, ek2_len, name2, sizeof(name2));
	assert_int_equal(h.binding, STORE_TPM_REVOKED);
	assert_string_equal(h.device_id, "gw-1");
	make_device(&d, "gw-2", STORE_DEV_ENROLLED);
	assert_int_equal(store_enrollment_activate(f->st, ENR2, PEM, 1070, &d, &a, &h, &err),
			 GW_E_EXISTS);
	assert_int_equal(h.binding, STORE_TPM_REVOKED);
	assert_non_null(strstr(err.msg, "pending only"));
	make_device(&d, "gw-2", STORE_DEV_PENDING);
	memset(&h, 0, sizeof(h));
	assert_int_equal(store_enrollment_activate(f->st, ENR2, PEM, 1070, &d, &a, &h, &err), 0);
	assert_int_equal(h.binding, STORE_TPM_REVOKED);
	assert_string_equal(h.device_id, "gw-1");
	assert_int_equal(audit_tail(f->st).n, audits + 1);
	assert_int_equal(store_device_get(f->st, "gw-2", &dev, NULL), 0);
	assert_int_equal(dev.state, STORE_DEV_PENDING);
	assert_memory_equal(dev.ek_pub, ek2, ek2_len);
	store_device_fini(&dev);
	/* ... and is gw-2's now. gw-3 (another EK, but gw-1's AK) is a TPM that a
	 * revoked device had too: it may come back, pending. */
	h = by_tpm(f->st, ek_pub, ek_pub_len, ak_name, sizeof(ak_name));
	assert_int_equal(h.binding, STORE_TPM_IN_USE);
	assert_string_equal(h.device_id, "gw-2");
	make_device(&d, "gw-3", STORE_DEV_PENDING);
	assert_int_equal(store_enrollment_activate(f->st, ENR3, PEM, 1080, &d, NULL, &h, NULL), 0);
	assert_int_equal(h.binding, STORE_TPM_REVOKED);
}

/* store_device_put keeps the same rule; a revoked device holds nothing. */

/* A device of one TPM: its EK public area and AK name; the AK public area is the
 * fixture's. */
static void tpm_device(struct store_device *d, const char *id, enum store_device_state state,
		       uint8_t *ek, size_t ek_len, uint8_t *name, size_t name_len)
{
	make_device(d, id, state);
	d->ek_pub = ek;
	d->ek_pub_len = ek_len;
	d->ak_pub = ak_pub;
	d->ak_pub_len = sizeof(ak_pub);
	d->ak_name = name;
	d->ak_name_len = name_len;
}

static void test_one_tpm_put(void **state)
{
	struct fixture *f = *state;
	struct store_device d;
	uint8_t ek2[sizeof(TPM2B_PUBLIC)];
	uint8_t name_a[] = { 0x00, 0x0b, 0x01 }, name_b[] = { 0x00, 0x0b, 0x02 };
	size_t ek2_len = make_ek(0x11, 0, 0x01, ek2, sizeof(ek2));
	gw_error err = { { 0 } };

	assert_true(ek2_len);
	tpm_device(&d, "gw-a", STORE_DEV_ENROLLED, ek_pub, ek_pub_len, name_a,
		   sizeof(name_a));
	assert_int_equal(store_device_put(f->st, &d, NULL, NULL), 0);

	/* Same key, other encoding and AK. */
	tpm_device(&d, "gw-b", STORE_DEV_PENDING, ek2, ek2_len, name_b,
		   sizeof(name_b));
	assert_int_equal(store_device_put(f->st, &d, NULL, &err), GW_E_EXISTS);
	assert_non_null(strstr(err.msg, "gw-a"));
	/* A revoked record of it is allowed. */
	d.state = STORE_DEV_REVOKED;
	assert_int_equal(store_device_put(f->st, &d, NULL, NULL), 0);
	assert_int_equal(by_tpm(f->st, ek2, ek2_len, name_b, sizeof(name_b)).binding,
			 STORE_TPM_IN_USE);

	/* An unidentifiable EK still binds by its AK. */
	tpm_device(&d, "gw-c", STORE_DEV_PENDING, fake_ek, sizeof(fake_ek), name_a,
		   sizeof(name_a));
	assert_int_equal(store_device_put(f->st, &d, NULL, NULL), GW_E_EXISTS);

	/* gw-a revoked: its TPM returns pending, not enrolled. */
	assert_int_equal(store_device_set_state(f->st, "gw-a", STORE_DEV_REVOKED, 1100,
						"operator:alice", NULL, NULL), 0);
	tpm_device(&d, "gw-d", STORE_DEV_ENROLLED, ek2, ek2_len, name_b,
		   sizeof(name_b));
	assert_int_equal(store_device_put(f->st, &d, NULL, &err), GW_E_EXISTS);
	assert_non_null(strstr(err.msg, "pending only"));
	d.state = STORE_DEV_PENDING;
	assert_int_equal(store_device_put(f->st, &d, NULL, NULL), 0);
}

/* Migration 5 computes the key identity of the devices a schema-4 file holds, so
 * a TPM enrolled before the upgrade is bound as well as one enrolled after it. */
static void test_migrate_v4(void **state)
{
	struct fixture *f = *state;
	struct store_device d;
	struct store_tpm_holder h;
	uint8_t ek2[sizeof(TPM2B_PUBLIC)];
	size_t ek2_len = make_ek(0x11, 65537, 0x42, ek2, sizeof(ek2));
	sqlite3 *db = NULL;

	assert_true(ek2_len);
	tpm_device(&d, "gw-old", STORE_DEV_ENROLLED, ek_pub, ek_pub_len, ak_name,
		   sizeof(ak_name));
	assert_int_equal(store_device_put(f->st, &d, NULL, NULL), 0);
	store_close(f->st);
	f->st = NULL;
	/* Take the file back to schema 4, as the previous build left it. */
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
				      "DROP TABLE device_updates; DROP TABLE device_counters; DROP TABLE update_keys;"
				      "DROP TRIGGER releases_withdrawn_final;"
				      "DROP TABLE release_models; DROP TABLE releases;"
				      "ALTER TABLE devices DROP COLUMN channel;"
				      "ALTER TABLE devices DROP COLUMN security_version;"
				      "DROP INDEX devices_ek_key; DROP INDEX devices_ak_name;"
				      "ALTER TABLE devices DROP COLUMN ek_key;"
				      "DROP TRIGGER policies_go_up; DROP TRIGGER policies_in_epoch;"
				      "DROP TRIGGER policies_step; DROP TRIGGER policies_after_reset;"
				      "DROP TABLE policy_resets;"
				      "ALTER TABLE policies DROP COLUMN epoch;"
				      "ALTER TABLE policies DROP COLUMN payload_sha256;"
				      "PRAGMA user_version = 4;",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
	assert_int_equal(user_version(f->path), 4);

	assert_int_equal(store_open(f->path, &f->st, NULL), 0);
	assert_int_equal(user_version(f->path), STORE_SCHEMA_VERSION);
	/* Matched by the EK alone (another AK name), in another encoding. */
	memset(&h, 0, sizeof(h));
	assert_int_equal(store_device_by_tpm(f->st, ek2, ek2_len, ak_pub, sizeof(ak_pub), &h, NULL),
			 0);
	assert_int_equal(h.binding, STORE_TPM_IN_USE);
	assert_string_equal(h.device_id, "gw-old");
}

/* Renewal replaces the binding only while it is the certificate the request came
 * with, only for an enrolled device, audited in the same transaction. */
static void test_renew_cert(void **state)
{
	struct fixture *f = *state;
	struct store_device d;
	struct store_audit a = { .ts = 7, .actor = "device:gw-1", .action = "device.certificate",
				 .device_id = "gw-1", .outcome = "renewed" };
	gw_error err = { { 0 } };
	uint64_t audits;

	assert_int_equal(add_device(f->st, "gw-1"), 0);
	assert_int_equal(add_device(f->st, "gw-2"), 0);
	/* Pending: nothing to renew. */
	assert_int_equal(store_device_set_client_cert(f->st, "gw-1", FP1, NULL, &err), 0);
	assert_int_equal(store_device_renew_cert(f->st, "gw-1", FP1, FP2, &a, &err), GW_E_STATE);
	assert_non_null(strstr(err.msg, "pending"));
	assert_int_equal(store_device_set_state(f->st, "gw-1", STORE_DEV_ENROLLED, 5,
						"operator:alice", NULL, &err), 0);
	audits = audit_tail(f->st).n;
	assert_int_equal(store_device_renew_cert(f->st, "gw-1", FP1, FP2, &a, &err), 0);
	assert_int_equal(audit_tail(f->st).n, audits + 1);
	assert_string_equal(audit_tail(f->st).last_action, "device.certificate");
	memset(&d, 0, sizeof(d));
	assert_int_equal(store_device_get(f->st, "gw-1", &d, &err), 0);
	assert_string_equal(d.client_cert_fp, FP2);
	store_device_fini(&d);
	/* A second renewal with the replaced certificate loses, nothing changes. */
	assert_int_equal(store_device_renew_cert(f->st, "gw-1", FP1, FP3, &a, &err), GW_E_STATE);
	assert_non_null(strstr(err.msg, "another certificate"));
	assert_int_equal(audit_tail(f->st).n, audits + 1);
	/* Another device's certificate is not taken over. */
	assert_int_equal(store_device_set_state(f->st, "gw-2", STORE_DEV_ENROLLED, 5,
						"operator:alice", NULL, &err), 0);
	assert_int_equal(store_device_set_client_cert(f->st, "gw-2", FP1, NULL, &err), 0);
	assert_int_equal(store_device_renew_cert(f->st, "gw-1", FP2, FP1, &a, &err), GW_E_EXISTS);
	assert_int_equal(audit_tail(f->st).n, audits + 1);
	assert_int_equal(store_device_renew_cert(f->st, "nope", FP2, FP3, NULL, &err),
			 GW_E_NOTFOUND);
	assert_int_equal(store_device_renew_cert(f->st, "gw-1", "abc", FP3, NULL, &err),
			 GW_E_INVAL);
	assert_int_equal(store_device_renew_cert(f->st, "gw-1", FP2, NULL, NULL, &err),
			 GW_E_INVAL);
	/* Revoked: no renewal. */
	assert_int_equal(store_device_set_state(f->st, "gw-1", STORE_DEV_REVOKED, 6,
						"operator:bob", NULL, &err), 0);
	assert_int_equal(store_device_renew_cert(f->st, "gw-1", FP2, FP3, &a, &err), GW_E_STATE);
	assert_non_null(strstr(err.msg, "revoked"));
}

/* Recovery: only the TPM the device enrolled with (its EK and its AK), only while
 * it is enrolled, only with an open enrollment for that id; it spends the
 * enrollment and rebinds the certificate. */
static void test_recover(void **state)
{
	struct fixture *f = *state;
	struct store_enrollment e, got;
	struct store_device d;
	struct store_audit a = { .ts = 8, .actor = "verifier", .action = "device.recover",
				 .device_id = "gw-1", .outcome = "recovered" };
	uint8_t ek2[sizeof(TPM2B_PUBLIC)], other[sizeof(TPM2B_PUBLIC)];
	uint8_t name2[] = { 0x00, 0x0b, 0xbb };
	size_t ek2_len = make_ek(0x11, 65537, 0x77, ek2, sizeof(ek2));
	size_t other_len = make_ek(0x33, 0, 0, other, sizeof(other));
	gw_error err = { { 0 } };
	uint64_t audits;

	assert_true(ek2_len && other_len);
	make_enrollment(&e, ENR1, "gw-1", 2000);
	assert_int_equal(store_enrollment_put(f->st, &e, NULL, NULL), 0);
	make_device(&d, "gw-1", STORE_DEV_PENDING);
	assert_int_equal(store_enrollment_activate(f->st, ENR1, PEM, 1050, &d, NULL, NULL, NULL), 0);

	/* Pending: an operator has not let it in; recovery does not either. */
	make_enrollment(&e, ENR2, "gw-1", 2000);
	assert_int_equal(store_enrollment_put(f->st, &e, NULL, NULL), 0);
	assert_int_equal(store_enrollment_recover(f->st, ENR2, "gw-1", PEM, 1100, NULL, FP1, &a, &err),
			 GW_E_STATE);
	assert_non_null(strstr(err.msg, "pending"));
	assert_int_equal(store_device_set_state(f->st, "gw-1", STORE_DEV_ENROLLED, 1060,
						"operator:alice", NULL, &err), 0);
	assert_int_equal(store_device_set_client_cert(f->st, "gw-1", FP1, NULL, &err), 0);

	/* Another AK with the same EK (re-encoded), or another EK with the AK: refused. */
	audits = audit_tail(f->st).n;
	make_enrollment(&e, ENR3, "gw-1", 2000);
	e.ek_pub = ek2;
	e.ek_pub_len = ek2_len;
	e.ak_name = name2;
	e.ak_name_len = sizeof(name2);
	assert_int_equal(store_enrollment_put(f->st, &e, NULL, NULL), 0);
	assert_int_equal(store_enrollment_recover(f->st, ENR3, "gw-1", PEM, 1100, NULL, FP2, &a, &err),
			 GW_E_EXISTS);
	assert_non_null(strstr(err.msg, "another EK or AK"));
	make_enrollment(&e, "0000000000000000000000000000000b", "gw-1", 2000);
	e.ek_pub = other;
	e.ek_pub_len = other_len;
	assert_int_equal(store_enrollment_put(f->st, &e, NULL, NULL), 0);
	assert_int_equal(store_enrollment_recover(f->st, "0000000000000000000000000000000b", "gw-1",
						  PEM, 1100, NULL, FP2, &a, &err),
			 GW_E_EXISTS);
	assert_int_equal(audit_tail(f->st).n, audits);

	/* The enrollment must be for this id, open and in time. */
	assert_int_equal(store_enrollment_recover(f->st, ENR2, "gw-2", PEM, 1100, NULL, FP2, &a, &err),
			 GW_E_INVAL);
	assert_int_equal(store_enrollment_recover(f->st, ENR2, "gw-1", PEM, 2000, NULL, FP2, &a, &err),
			 GW_E_NOTFOUND);
	/* Spent (activated): as unknown as an expired one, whatever the device. */
	assert_int_equal(store_enrollment_recover(f->st, ENR1, "gw-1", PEM, 1100, NULL, FP2, &a, &err),
			 GW_E_NOTFOUND);
	assert_non_null(strstr(err.msg, "activated"));
	assert_int_equal(audit_tail(f->st).n, audits);

	/* The same EK (another encoding of it) and the same AK: recovered, in place of
	 * the certificate the caller read (not while another one is bound). */
	make_enrollment(&e, "0000000000000000000000000000000c", "gw-1", 2000);
	e.ek_pub = ek2;
	e.ek_pub_len = ek2_len;
	assert_int_equal(store_enrollment_put(f->st, &e, NULL, NULL), 0);
	assert_int_equal(store_enrollment_recover(f->st, "0000000000000000000000000000000c", "gw-1",
						  PEM, 1100, FP3, FP2, &a, &err),
			 GW_E_STATE);
	assert_non_null(strstr(err.msg, "another certificate by now"));
	assert_int_equal(audit_tail(f->st).n, audits);
	assert_int_equal(store_enrollment_recover(f->st, "0000000000000000000000000000000c", "gw-1",
						  PEM, 1100, FP1, FP2, &a, &err),
			 0);
	assert_int_equal(audit_tail(f->st).n, audits + 1);
	assert_string_equal(audit_tail(f->st).last_action, "device.recover");
	memset(&d, 0, sizeof(d));
	assert_int_equal(store_device_get(f->st, "gw-1", &d, &err), 0);
	assert_string_equal(d.client_cert_fp, FP2);
	assert_int_equal(d.state, STORE_DEV_ENROLLED);
	store_device_fini(&d);
	memset(&got, 0, sizeof(got));
	assert_int_equal(store_enrollment_get(f->st, "0000000000000000000000000000000c", &got,
					      NULL), 0);
	assert_int_equal(got.state, STORE_ENR_ACTIVATED);
	assert_string_equal(got.client_pub, PEM);
	store_enrollment_fini(&got);
	/* Spent: not twice. */
	assert_int_equal(store_enrollment_recover(f->st, "0000000000000000000000000000000c", "gw-1",
						  PEM, 1100, NULL, FP3, &a, &err),
			 GW_E_NOTFOUND);

	/* Revoked: no recovery, even with the right TPM. */
	assert_int_equal(store_device_set_state(f->st, "gw-1", STORE_DEV_REVOKED, 1110,
						"operator:bob", NULL, &err), 0);
	assert_int_equal(store_enrollment_recover(f->st, ENR2, "gw-1", PEM, 1120, NULL, FP3, &a, &err),
			 GW_E_STATE);
	assert_non_null(strstr(err.msg, "revoked"));
	assert_int_equal(store_enrollment_recover(f->st, ENR2, "nope", PEM, 1120, NULL, FP3, &a, &err),
			 GW_E_INVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_enrollment, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enrollment_purge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enrollment_in_group, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_cert, setup, teardown),
		cmocka_unit_test_setup_teardown(test_policy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_policy_race, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cel_log, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_v1, setup_empty, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_v2, setup_empty, teardown),
		cmocka_unit_test(test_ek_key_id),
		cmocka_unit_test_setup_teardown(test_one_tpm_enrollment, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_tpm_put, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_v4, setup, teardown),
		cmocka_unit_test_setup_teardown(test_renew_cert, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recover, setup, teardown),
	};

	ek_pub_len = make_ek(0x11, 0, 0, ek_pub, sizeof(ek_pub));
	if (!ek_pub_len)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
