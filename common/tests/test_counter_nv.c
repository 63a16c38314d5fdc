// SPDX-License-Identifier: Apache-2.0
// Unit tests for the certified anti-rollback counters: the baseline record, a
// channel's NV_Certify pair verified (made here as a TPM would, signed by a
// software key standing in for the AK), each way a pair can be wrong, and the
// evidence's "counters" member read strictly and written back.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <tss2/tss2_mu.h>

#include "counter_nv.h"
#include "digest.h"
#include "evidence.h"
#include "jsonobj.h"
#include "util.h"

#define CTR 0x01800100u
#define BASE 0x01800101u

static EVP_PKEY *ak, *other;
static const uint8_t nonce[32] = { 1, 2, 3, 4 };

/* One certification as the TPM makes it, with knobs to make it wrong. */
struct made {
	uint8_t pub[sizeof(TPM2B_NV_PUBLIC)];
	size_t pub_len;
	uint8_t attest[sizeof(TPMS_ATTEST)];
	size_t attest_len;
	TPMT_SIGNATURE sig;
};

static TPMS_NV_PUBLIC nv_pub(enum counter_nv_kind kind)
{
	TPMS_NV_PUBLIC p = { 0 };

	p.nvIndex = kind == COUNTER_NV_COUNTER ? CTR : BASE;
	p.nameAlg = TPM2_ALG_SHA256;
	p.attributes = kind == COUNTER_NV_COUNTER
			       ? COUNTER_NV_ATTRS | TPMA_NV_WRITTEN
			       : COUNTER_BASELINE_ATTRS | TPMA_NV_WRITTEN | TPMA_NV_WRITELOCKED;
	p.dataSize = kind == COUNTER_NV_COUNTER ? 8 : COUNTER_BASELINE_SIZE;
	return p;
}

static void name_of(const TPMS_NV_PUBLIC *p, TPM2B_NAME *n)
{
	uint8_t buf[sizeof(TPMS_NV_PUBLIC)];
	size_t len = 0;

	assert_int_equal(Tss2_MU_TPMS_NV_PUBLIC_Marshal(p, buf, sizeof(buf), &len), 0);
	n->size = 34;
	n->name[0] = 0x00;
	n->name[1] = 0x0b;
	assert_int_equal(gw_hash(TPM2_ALG_SHA256, buf, len, n->name + 2), 0);
}

static void make(struct made *m, const TPMS_NV_PUBLIC *pub, const TPMS_NV_PUBLIC *certified,
		 const uint8_t *contents, uint16_t size, EVP_PKEY *key, TPMI_ST_ATTEST type)
{
	TPM2B_NV_PUBLIC b = { .nvPublic = *pub };
	TPMS_ATTEST a = { 0 };

	m->pub_len = 0;
	assert_int_equal(Tss2_MU_TPM2B_NV_PUBLIC_Marshal(&b, m->pub, sizeof(m->pub), &m->pub_len),
			 0);
	a.magic = TPM2_GENERATED_VALUE;
	a.type = type;
	a.extraData.size = sizeof(nonce);
	memcpy(a.extraData.buffer, nonce, sizeof(nonce));
	name_of(certified, &a.attested.nv.indexName);
	a.attested.nv.offset = 0;
	a.attested.nv.nvContents.size = size;
	memcpy(a.attested.nv.nvContents.buffer, contents, size);
	if (type != TPM2_ST_ATTEST_NV)
		memset(&a.attested, 0, sizeof(a.attested)); /* an empty quote */
	m->attest_len = 0;
	assert_int_equal(Tss2_MU_TPMS_ATTEST_Marshal(&a, m->attest, sizeof(m->attest),
						    &m->attest_len), 0);
	assert_int_equal(tpmdata_sign_ecdsa_sha256(key, m->attest, m->attest_len, &m->sig), 0);
}

static void be64(uint8_t out[8], uint64_t v)
{
	for (int i = 0; i < 8; i++)
		out[i] = (uint8_t)(v >> (56 - 8 * i));
}

/* A genuine pair: counter at value, baseline at baseline for channel "stable". */
static void make_pair(struct made *c, struct made *b, uint64_t value, uint64_t baseline)
{
	TPMS_NV_PUBLIC cp = nv_pub(COUNTER_NV_COUNTER), bp = nv_pub(COUNTER_NV_BASELINE);
	uint8_t v[8], rec[COUNTER_BASELINE_SIZE];

	be64(v, value);
	counter_baseline_pack("stable", CTR, baseline, rec);
	make(c, &cp, &cp, v, 8, ak, TPM2_ST_ATTEST_NV);
	make(b, &bp, &bp, rec, sizeof(rec), ak, TPM2_ST_ATTEST_NV);
}

static int verify(const struct made *c, const struct made *b, struct counter_certified *out,
		  gw_error *err)
{
	const struct counter_cert_part cp = { c->pub, c->pub_len, c->attest, c->attest_len,
					      &c->sig };
	const struct counter_cert_part bp = { b->pub, b->pub_len, b->attest, b->attest_len,
					      &b->sig };

	return counter_cert_verify(ak, nonce, sizeof(nonce), &cp, &bp, out, err);
}

static void test_baseline_record(void **state)
{
	uint8_t rec[COUNTER_BASELINE_SIZE];
	struct counter_baseline_rec r;
	gw_error err = { { 0 } };

	(void)state;
	counter_baseline_pack("stable", CTR, 0x0102030405060708ull, rec);
	assert_int_equal(counter_baseline_unpack(BASE, rec, sizeof(rec), &r, &err), 0);
	assert_string_equal(r.channel, "stable");
	assert_int_equal(r.counter_index, CTR);
	assert_int_equal(r.baseline, 0x0102030405060708ull);
	assert_int_equal(counter_baseline_unpack(BASE, rec, sizeof(rec) - 1, &r, &err),
			 GW_E_STATE);
	rec[12 + 10] = 'x'; /* after the name's NUL */
	assert_int_equal(counter_baseline_unpack(BASE, rec, sizeof(rec), &r, &err), GW_E_STATE);
	assert_non_null(strstr(err.msg, "not NUL-padded"));
	counter_baseline_pack("sta\tble", CTR, 1, rec);
	assert_int_equal(counter_baseline_unpack(BASE, rec, sizeof(rec), &r, &err), GW_E_STATE);
	assert_non_null(strstr(err.msg, "byte 0x09"));
}

static void test_good_pair(void **state)
{
	struct made c, b;
	struct counter_certified out;
	gw_error err = { { 0 } };
	int rc;

	(void)state;
	make_pair(&c, &b, 1234, 1231);
	rc = verify(&c, &b, &out, &err);
	if (rc)
		fail_msg("%s", gw_error_msg(&err, rc));
	assert_string_equal(out.channel, "stable");
	assert_int_equal(out.value, 1234);
	assert_int_equal(out.baseline, 1231);
	assert_int_equal(out.security_version, 3);
	assert_int_equal(out.counter_index, CTR);
	assert_int_equal(out.baseline_index, BASE);
	assert_int_equal(out.counter_name[1], 0x0b);
}

static void expect(const struct made *c, const struct made *b, int code, const char *detail)
{
	struct counter_certified out;
	gw_error err = { { 0 } };
	int rc = verify(c, b, &out, &err);

	if (rc != code || !strstr(err.msg, detail))
		fail_msg("got %d \"%s\", wanted %d with \"%s\"", rc, err.msg, code, detail);
}

static void test_bad_pairs(void **state)
{
	TPMS_NV_PUBLIC cp = nv_pub(COUNTER_NV_COUNTER), bp = nv_pub(COUNTER_NV_BASELINE), x;
	uint8_t v[8], rec[COUNTER_BASELINE_SIZE];
	struct made c, b, y;

	(void)state;
	make_pair(&c, &b, 10, 5);
	be64(v, 10);
	counter_baseline_pack("stable", CTR, 5, rec);

	/* swapped: the counter slot holds the baseline */
	expect(&b, &c, GW_E_STATE, "is not a Gatewarden counter index");
	/* a quote, not an NV certification */
	make(&y, &cp, &cp, v, 8, ak, TPM2_ST_ATTEST_QUOTE);
	expect(&y, &b, GW_E_ATTEST_TYPE, "attestation type 0x8018");
	/* signed by another key */
	make(&y, &cp, &cp, v, 8, other, TPM2_ST_ATTEST_NV);
	expect(&y, &b, GW_E_SIGNATURE, "not signed by the AK");
	/* certifies another public area (another index) than the one sent */
	x = cp;
	x.nvIndex = 0x01800150;
	make(&y, &cp, &x, v, 8, ak, TPM2_ST_ATTEST_NV);
	expect(&y, &b, GW_E_STATE, "certifies another index or public area");
	/* only part of the index */
	make(&y, &cp, &cp, v, 4, ak, TPM2_ST_ATTEST_NV);
	expect(&y, &b, GW_E_STATE, "not the whole index");
	/* a counter never incremented (not written) */
	x = cp;
	x.attributes &= ~TPMA_NV_WRITTEN;
	make(&y, &x, &x, v, 8, ak, TPM2_ST_ATTEST_NV);
	expect(&y, &b, GW_E_STATE, "not written");
	/* a baseline that is not locked could still be rewritten */
	x = bp;
	x.attributes &= ~TPMA_NV_WRITELOCKED;
	make(&y, &x, &x, rec, sizeof(rec), ak, TPM2_ST_ATTEST_NV);
	expect(&c, &y, GW_E_STATE, "not written and locked");
	/* an ORDERLY counter may jump after a power cut */
	x = cp;
	x.attributes |= TPMA_NV_ORDERLY;
	make(&y, &x, &x, v, 8, ak, TPM2_ST_ATTEST_NV);
	expect(&y, &b, GW_E_STATE, "orderly");
	/* the baseline names another counter */
	counter_baseline_pack("stable", 0x01800102, 5, rec);
	make(&y, &bp, &bp, rec, sizeof(rec), ak, TPM2_ST_ATTEST_NV);
	expect(&c, &y, GW_E_STATE, "belongs to counter 0x01800102, not 0x01800100");
	/* a value below its baseline */
	make_pair(&c, &b, 4, 5);
	expect(&c, &b, GW_E_STATE, "is below its baseline 5");
	/* a public area with a byte after it */
	make_pair(&c, &b, 10, 5);
	c.pub_len++;
	expect(&c, &b, GW_E_PARSE, "not one marshalled TPM2B_NV_PUBLIC");
}

/* {"counters":[...]} around pairs made here, as evidence carries them. */
static char *counters_json(const struct made *pairs, size_t n)
{
	struct evidence ev = { 0 };
	json_object *o = json_object_new_object();
	char *text;

	for (size_t i = 0; i < n; i++) {
		struct evidence_nv_cert *c[2] = { &ev.counters[i].counter, &ev.counters[i].baseline };

		for (int k = 0; k < 2; k++) {
			const struct made *m = &pairs[2 * i + k];

			c[k]->nv_public = (uint8_t *)m->pub;
			c[k]->nv_public_len = m->pub_len;
			c[k]->attest = (uint8_t *)m->attest;
			c[k]->attest_len = m->attest_len;
			c[k]->sig = m->sig;
		}
	}
	ev.ncounters = n;
	assert_int_equal(evidence_counters_format(o, &ev), 0);
	text = strdup(json_object_to_json_string(o));
	json_object_put(o);
	return text;
}

static int parse_counters(const char *text, struct evidence *ev, gw_error *err)
{
	json_object *root = NULL;
	int rc = gw_json_object_parse(text, strlen(text), 1 << 20, 6, "t", &root, err);

	memset(ev, 0, sizeof(*ev));
	if (!rc)
		rc = evidence_counters_parse(root, ev, err);
	json_object_put(root);
	return rc;
}

static void test_evidence_member(void **state)
{
	static const struct {
		const char *text;
		const char *detail;
	} bad[] = {
		{ "{\"counters\":{}}", "'counters' must be an array" },
		{ "{\"counters\":[1]}", "counter 1: not an object" },
		{ "{\"counters\":[{\"counter\":{}}]}", "counter 1: 'counter': 'nv_public' is missing" },
		{ "{\"counters\":[{\"counter\":{\"nv_public\":\"AA==\",\"attest\":\"AA==\","
		  "\"signature\":\"AA==\"}}]}", "counter 1: 'counter': 'signature': " },
		{ "{\"counters\":[{\"counter\":{\"nv_public\":\"!!\",\"attest\":\"AA==\","
		  "\"signature\":\"AA==\"},\"baseline\":{}}]}", "'nv_public': " },
		{ "{\"counters\":[{\"extra\":1}]}", "unknown key 'extra'" },
		{ "{\"counters\":[0,0,0,0,0,0,0,0,0]}", "9 counters, at most 8" },
	};
	struct made m[2];
	struct counter_certified out[EVIDENCE_MAX_COUNTERS];
	struct evidence ev;
	gw_error err = { { 0 } };
	char *text;
	int rc;

	(void)state;
	make_pair(&m[0], &m[1], 7, 2);
	text = counters_json(m, 1);
	rc = parse_counters(text, &ev, &err);
	if (rc)
		fail_msg("%s", gw_error_msg(&err, rc));
	assert_int_equal(ev.ncounters, 1);
	assert_int_equal(evidence_counters_verify(&ev, ak, nonce, sizeof(nonce), out, &err), 0);
	assert_int_equal(out[0].security_version, 5);
	/* another round's nonce */
	assert_int_equal(evidence_counters_verify(&ev, ak, nonce, 16, out, &err), GW_E_NONCE);
	assert_non_null(strstr(err.msg, "counter 1: "));
	evidence_counters_clear(&ev);
	assert_int_equal(ev.ncounters, 0);
	free(text);
	for (size_t i = 0; i < GW_ARRAY_SIZE(bad); i++) {
		rc = parse_counters(bad[i].text, &ev, &err);
		if (!rc || !strstr(err.msg, bad[i].detail))
			fail_msg("%s: got %d \"%s\", wanted \"%s\"", bad[i].text, rc, err.msg,
				 bad[i].detail);
		assert_int_equal(ev.ncounters, 0);
	}
}

static int setup(void **state)
{
	(void)state;
	ak = EVP_EC_gen("P-256");
	other = EVP_EC_gen("P-256");
	return ak && other ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	EVP_PKEY_free(ak);
	EVP_PKEY_free(other);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_baseline_record),
		cmocka_unit_test(test_good_pair),
		cmocka_unit_test(test_bad_pairs),
		cmocka_unit_test(test_evidence_member),
	};

	return cmocka_run_group_tests_name("counter_nv", tests, setup, teardown);
}
