// SPDX-License-Identifier: Apache-2.0
// Unit tests for the appraisal checklist: the real swtpm evidence with its CEL log
// tampered in-process, and software-key quotes over firmware and CEL log replays.
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <tss2/tss2_mu.h>

#include "appraise.h"
#include "cel.h"
#include "eventlog.h"
#include "evidence.h"
#include "tpmdata.h"
#include "util.h"

#define QUOTE_DIR "common/tests/fixtures/quote"
#define EVENTLOG_GOOD "common/tests/fixtures/eventlog/good"

/* The real firmware logs committed in testdata/ (see its README for their origin). */
static const char *testdata_dir(void)
{
	return "testdata/eventlogs";
}

static void read_path(const char *dir, const char *name, uint8_t **buf, size_t *len)
{
	char path[1024];
	gw_error err = { { 0 } };
	int rc;

	assert_int_equal(gw_snprintf(path, sizeof(path), "%s/%s", dir, name), 0);
	rc = gw_read_file(path, 32u * 1024 * 1024, buf, len, &err);
	if (rc)
		fail_msg("reading %s: %s", path, gw_error_msg(&err, rc));
}

static void assert_msg_has(const char *msg, const char *what)
{
	if (!strstr(msg, what))
		fail_msg("message '%s' does not mention '%s'", msg, what);
}

static struct cel_log *cel_ok(const uint8_t *buf, size_t len)
{
	struct cel_log *log = NULL;
	gw_error err = { { 0 } };
	int rc = cel_parse(buf, len, &log, &err);

	if (rc)
		fail_msg("cel_parse: %s", gw_error_msg(&err, rc));
	return log;
}

/* Append one gatewarden record, with sha1 and sha256 digests of data, to a log. */
static void cel_add(uint8_t **log, size_t *len, uint64_t recnum, unsigned pcr,
		    const char *type, const char *stage, const char *path, const char *data)
{
	static const uint16_t algs[2] = { TPM2_ALG_SHA1, TPM2_ALG_SHA256 };
	uint8_t d[2][GW_MAX_DIGEST] = { { 0 } };
	char *rec = NULL, desc[256];
	size_t rlen = 0;
	uint8_t *grown;

	for (size_t i = 0; i < 2; i++)
		assert_int_equal(gw_hash(algs[i], data, strlen(data), d[i]), 0);
	assert_int_equal(gw_snprintf(desc, sizeof(desc), "%s %s: %s", type, stage, path), 0);
	assert_int_equal(cel_record_format(recnum, pcr, algs, (const uint8_t(*)[GW_MAX_DIGEST])d,
					   2, type, stage, path, desc, &rec, &rlen),
			 0);
	grown = realloc(*log, *len + rlen);
	assert_non_null(grown);
	memcpy(grown + *len, rec, rlen);
	*log = grown;
	*len += rlen;
	free(rec);
}

static size_t digest_index(const struct cel_record *r, uint16_t alg)
{
	for (size_t i = 0; i < r->ndigests; i++)
		if (r->digests[i].alg == alg)
			return i;
	fail_msg("record %llu has no digest 0x%04x", (unsigned long long)r->recnum, alg);
	return 0;
}

static void assert_status(const struct appraise_result *res, enum appraise_check c,
			  enum appraise_status want, int code)
{
	if (res->status[c] != want || res->code[c] != code)
		fail_msg("check %s: status %d code %d, expected status %d code %d (%s)",
			 appraise_check_name(c), res->status[c], res->code[c], want, code,
			 res->msg[c]);
}

/* ------------------------------------------------------ real swtpm evidence --- */

struct real {
	struct evidence *ev;
	struct cel_log *cel;
	EVP_PKEY *ak;
	struct appraise_input in;
};

static void real_load(struct real *r, const char *dir)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	gw_error err = { { 0 } };

	memset(r, 0, sizeof(*r));
	read_path(dir, "evidence.json", &buf, &len);
	assert_int_equal(evidence_parse(buf, len, &r->ev, &err), 0);
	free(buf);
	r->cel = cel_ok(r->ev->cel, r->ev->cel_len);
	assert_true(r->ev->has_ak);
	assert_int_equal(tpmdata_public_to_pkey(&r->ev->ak_pub.publicArea, &r->ak, &err), 0);
	r->in = (struct appraise_input){
		.ak = r->ak,
		.attest = r->ev->attest,
		.attest_len = r->ev->attest_len,
		.sig = &r->ev->sig,
		.nonce = r->ev->nonce,
		.nonce_len = r->ev->nonce_len,
		.pcrs = &r->ev->pcrs,
		.cel = r->cel,
	};
}

static void real_free(struct real *r)
{
	cel_free(r->cel);
	EVP_PKEY_free(r->ak);
	evidence_free(r->ev);
}

static int run(const struct appraise_input *in, struct appraise_result *res, gw_error *err)
{
	memset(err, 0, sizeof(*err));
	return appraise_quote(in, res, err);
}

static void test_real_pass(void **state)
{
	struct real r;
	struct appraise_result res;
	gw_error err;
	int rc;

	(void)state;
	real_load(&r, QUOTE_DIR);
	assert_int_equal(r.cel->n, 3);
	rc = run(&r.in, &res, &err);
	if (rc)
		fail_msg("%s", gw_error_msg(&err, rc));
	assert_int_equal(res.rc, 0);
	for (int c = APPRAISE_SIGNATURE; c <= APPRAISE_PCRDIGEST; c++)
		assert_status(&res, (enum appraise_check)c, APPRAISE_PASS, 0);
	assert_status(&res, APPRAISE_FW_EVENT_TYPES, APPRAISE_SKIPPED, 0);
	assert_status(&res, APPRAISE_FW_REPLAY, APPRAISE_SKIPPED, 0);
	assert_status(&res, APPRAISE_CEL_REPLAY, APPRAISE_PASS, 0);
	assert_status(&res, APPRAISE_STAGES, APPRAISE_PASS, 0);
	assert_status(&res, APPRAISE_REFERENCE, APPRAISE_SKIPPED, 0);
	assert_msg_has(res.msg[APPRAISE_CEL_REPLAY], "3 records replay");
	assert_msg_has(res.msg[APPRAISE_STAGES], "3 stage file(s) measured, none failed");
	assert_int_equal(res.cel_pcrs, 1u << 13);
	assert_false(res.failure.set);

	/* Without PCR values nothing can be replayed: the log is not trusted. */
	r.in.pcrs = NULL;
	assert_int_equal(run(&r.in, &res, &err), 0);
	assert_status(&res, APPRAISE_CEL_REPLAY, APPRAISE_SKIPPED, 0);
	assert_status(&res, APPRAISE_STAGES, APPRAISE_SKIPPED, 0);
	real_free(&r);
}

static void expect_cel_fail(struct real *r, long event, const char *msg)
{
	struct appraise_result res;
	gw_error err;

	assert_int_equal(run(&r->in, &res, &err), GW_E_CEL);
	assert_int_equal(res.rc, GW_E_CEL);
	for (int c = APPRAISE_SIGNATURE; c <= APPRAISE_PCRDIGEST; c++)
		assert_status(&res, (enum appraise_check)c, APPRAISE_PASS, 0);
	assert_status(&res, APPRAISE_CEL_REPLAY, APPRAISE_FAIL, GW_E_CEL);
	/* The log's content is not looked at once its replay failed. */
	assert_status(&res, APPRAISE_STAGES, APPRAISE_SKIPPED, 0);
	assert_status(&res, APPRAISE_REFERENCE, APPRAISE_SKIPPED, 0);
	assert_true(res.failure.set);
	assert_true(res.failure.in_cel);
	assert_int_equal(res.failure.event, event);
	assert_int_equal(res.failure.pcr, 13);
	assert_int_equal(res.failure.bank, TPM2_ALG_SHA256);
	assert_msg_has(err.msg, "cel-log-replay: PCR 13 (sha256)");
	assert_msg_has(err.msg, msg);
}

static void test_real_cel_tampered(void **state)
{
	struct real r;
	struct cel_record tmp;
	struct cel_log *forged;
	uint8_t *bytes = NULL;
	size_t len = 0, k;

	(void)state;
	real_load(&r, QUOTE_DIR);
	/* The rootfs digest changed: nothing after the start matches any more, so the
	 * first record on the PCR is named. */
	k = digest_index(&r.cel->rec[1], TPM2_ALG_SHA256);
	r.cel->rec[1].digests[k].d[7] ^= 0x10;
	expect_cel_fail(&r, 0, "the log was altered, reordered or truncated");
	r.cel->rec[1].digests[k].d[7] ^= 0x10;

	/* Two records swapped (and renumbered, as a forger would). */
	tmp = r.cel->rec[0];
	r.cel->rec[0] = r.cel->rec[1];
	r.cel->rec[1] = tmp;
	r.cel->rec[0].recnum = 0;
	r.cel->rec[1].recnum = 1;
	expect_cel_fail(&r, 0, "altered, reordered or truncated");
	tmp = r.cel->rec[0];
	r.cel->rec[0] = r.cel->rec[1];
	r.cel->rec[1] = tmp;
	r.cel->rec[0].recnum = 0;
	r.cel->rec[1].recnum = 1;

	/* The last record dropped. */
	r.cel->n--;
	expect_cel_fail(&r, 0, "altered, reordered or truncated");
	r.cel->n++;

	/* A forged record appended: the log matches up to it, so it is named. */
	bytes = malloc(r.ev->cel_len);
	assert_non_null(bytes);
	memcpy(bytes, r.ev->cel, r.ev->cel_len);
	len = r.ev->cel_len;
	cel_add(&bytes, &len, 3, 13, "stage", "app", "/usr/bin/backdoor", "forged");
	forged = cel_ok(bytes, len);
	r.in.cel = forged;
	expect_cel_fail(&r, 3, "logged but not in the TPM");
	{
		struct appraise_result res;
		gw_error err;

		assert_int_equal(run(&r.in, &res, &err), GW_E_CEL);
		assert_msg_has(err.msg, "record 3 (stage app: /usr/bin/backdoor)");
	}
	cel_free(forged);

	/* A forged stage-failed record does not count as a failed stage: the log that
	 * carries it does not replay. */
	len = r.ev->cel_len;
	cel_add(&bytes, &len, 3, 13, "stage-failed", "rootfs", "/x", "gatewarden stage-failed rootfs");
	forged = cel_ok(bytes, len);
	r.in.cel = forged;
	expect_cel_fail(&r, 3, "logged but not in the TPM");
	cel_free(forged);
	free(bytes);
	real_free(&r);
}

/* A real failed stage, as the agent logs it and the TPM quoted it. */
static void test_real_stage_failed(void **state)
{
	struct real r;
	struct appraise_result res;
	gw_error err;

	(void)state;
	real_load(&r, QUOTE_DIR "/stage-failed");
	assert_int_equal(r.cel->n, 4);
	assert_int_equal(run(&r.in, &res, &err), GW_E_STAGE);
	assert_int_equal(res.rc, GW_E_STAGE);
	assert_status(&res, APPRAISE_CEL_REPLAY, APPRAISE_PASS, 0);
	assert_status(&res, APPRAISE_STAGES, APPRAISE_FAIL, GW_E_STAGE);
	assert_msg_has(err.msg, "stages: stage extra failed to measure: record 3");
	real_free(&r);
}

static void test_reference(void **state)
{
	struct real r;
	struct appraise_result res;
	gw_error err;
	struct cel_log *ref;
	uint8_t *bytes = NULL;
	size_t len, k;
	int rc;

	(void)state;
	real_load(&r, QUOTE_DIR);
	/* Equal. */
	ref = cel_ok(r.ev->cel, r.ev->cel_len);
	r.in.reference = ref;
	rc = run(&r.in, &res, &err);
	if (rc)
		fail_msg("%s", gw_error_msg(&err, rc));
	assert_status(&res, APPRAISE_REFERENCE, APPRAISE_PASS, 0);
	assert_msg_has(res.msg[APPRAISE_REFERENCE], "3 stage file(s) equal the reference");

	/* The reference has another rootfs. */
	k = digest_index(&ref->rec[1], TPM2_ALG_SHA256);
	ref->rec[1].digests[k].d[0] ^= 0xff;
	assert_int_equal(run(&r.in, &res, &err), GW_E_REFERENCE);
	assert_status(&res, APPRAISE_CEL_REPLAY, APPRAISE_PASS, 0);
	assert_status(&res, APPRAISE_STAGES, APPRAISE_PASS, 0);
	assert_status(&res, APPRAISE_REFERENCE, APPRAISE_FAIL, GW_E_REFERENCE);
	assert_msg_has(err.msg, "reference: stage rootfs (");
	assert_msg_has(err.msg, "record 1): sha256 is bac821dd");
	assert_true(res.failure.set);
	assert_true(res.failure.in_cel);
	assert_int_equal(res.failure.event, 1);
	assert_int_equal(res.failure.pcr, 13);
	assert_int_equal(res.failure.bank, TPM2_ALG_SHA256);
	ref->rec[1].digests[k].d[0] ^= 0xff;
	/* Only the sha1 digest differs: still named. */
	k = digest_index(&ref->rec[2], TPM2_ALG_SHA1);
	ref->rec[2].digests[k].d[0] ^= 0xff;
	assert_int_equal(run(&r.in, &res, &err), GW_E_REFERENCE);
	assert_msg_has(err.msg, "stage app (");
	assert_msg_has(err.msg, "sha1 is");
	ref->rec[2].digests[k].d[0] ^= 0xff;

	/* A measured stage the reference lacks. */
	ref->n--;
	assert_int_equal(run(&r.in, &res, &err), GW_E_REFERENCE);
	assert_msg_has(err.msg, "stage app (");
	assert_msg_has(err.msg, "record 2) is not in the reference");
	ref->n++;
	cel_free(ref);

	/* A reference stage that was not measured. */
	bytes = malloc(r.ev->cel_len);
	assert_non_null(bytes);
	memcpy(bytes, r.ev->cel, r.ev->cel_len);
	len = r.ev->cel_len;
	cel_add(&bytes, &len, 3, 13, "stage", "config", "/etc/app.conf", "config");
	ref = cel_ok(bytes, len);
	r.in.reference = ref;
	assert_int_equal(run(&r.in, &res, &err), GW_E_REFERENCE);
	assert_msg_has(err.msg, "stage config (/etc/app.conf) of the reference was not measured");
	cel_free(ref);
	free(bytes);
	real_free(&r);
}

/* ------------------------------------------------------ software-key quotes --- */

static void sw_sign(EVP_PKEY *key, const uint8_t *msg, size_t len, TPMT_SIGNATURE *sig)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t der[256];
	size_t dlen = sizeof(der);
	const uint8_t *p = der;
	ECDSA_SIG *es;
	const BIGNUM *r, *s;

	assert_non_null(ctx);
	assert_int_equal(EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key), 1);
	assert_int_equal(EVP_DigestSign(ctx, der, &dlen, msg, len), 1);
	EVP_MD_CTX_free(ctx);
	es = d2i_ECDSA_SIG(NULL, &p, (long)dlen);
	assert_non_null(es);
	ECDSA_SIG_get0(es, &r, &s);
	memset(sig, 0, sizeof(*sig));
	sig->sigAlg = TPM2_ALG_ECDSA;
	sig->signature.ecdsa.hash = TPM2_ALG_SHA256;
	sig->signature.ecdsa.signatureR.size = 32;
	sig->signature.ecdsa.signatureS.size = 32;
	assert_int_equal(BN_bn2binpad(r, sig->signature.ecdsa.signatureR.buffer, 32), 32);
	assert_int_equal(BN_bn2binpad(s, sig->signature.ecdsa.signatureS.buffer, 32), 32);
	ECDSA_SIG_free(es);
}

/* A quote of the PCRs sel names, with the values a replay gave, signed by a
 * software ECC key as a TPM would. */
struct sw {
	EVP_PKEY *key;
	uint8_t nonce[16];
	struct tpmdata_pcrs pcrs;
	uint8_t buf[sizeof(TPMS_ATTEST)];
	size_t len;
	TPMT_SIGNATURE sig;
	struct appraise_input in;
};

static void sw_quote_sel(struct sw *q, const TPML_PCR_SELECTION *sel,
			 const struct gw_pcr_set *values)
{
	TPMS_ATTEST a;
	size_t dlen = 0, off = 0;

	memset(q, 0, sizeof(*q));
	q->key = EVP_EC_gen("P-256");
	assert_non_null(q->key);
	memset(q->nonce, 0x5a, sizeof(q->nonce));
	q->pcrs.sel = *sel;
	for (size_t b = 0; b < q->pcrs.sel.count; b++) {
		const TPMS_PCR_SELECTION *s = &q->pcrs.sel.pcrSelections[b];
		struct gw_pcr_bank *dst = gw_pcr_set_bank(&q->pcrs.values, s->hash);
		const struct gw_pcr_bank *src = gw_pcr_set_find(values, s->hash);

		assert_non_null(dst);
		for (unsigned p = 0; p < GW_NUM_PCRS; p++) {
			if (!gw_pcrsel_has(s, p))
				continue;
			if (src)
				memcpy(dst->pcr[p], src->pcr[p], dst->size);
			dst->touched |= 1u << p;
		}
	}
	memset(&a, 0, sizeof(a));
	a.magic = TPM2_GENERATED_VALUE;
	a.type = TPM2_ST_ATTEST_QUOTE;
	a.qualifiedSigner.size = 34;
	a.extraData.size = sizeof(q->nonce);
	memcpy(a.extraData.buffer, q->nonce, sizeof(q->nonce));
	a.attested.quote.pcrSelect = q->pcrs.sel;
	assert_int_equal(tpmdata_pcr_digest(&q->pcrs, TPM2_ALG_SHA256,
					    a.attested.quote.pcrDigest.buffer, &dlen, NULL),
			 0);
	a.attested.quote.pcrDigest.size = (uint16_t)dlen;
	assert_int_equal(Tss2_MU_TPMS_ATTEST_Marshal(&a, q->buf, sizeof(q->buf), &off), 0);
	q->len = off;
	sw_sign(q->key, q->buf, q->len, &q->sig);
	q->in = (struct appraise_input){
		.ak = q->key,
		.attest = q->buf,
		.attest_len = q->len,
		.sig = &q->sig,
		.nonce = q->nonce,
		.nonce_len = sizeof(q->nonce),
		.pcrs = &q->pcrs,
	};
}

static void sw_quote(struct sw *q, const char *sel, const struct gw_pcr_set *values)
{
	TPML_PCR_SELECTION s;

	assert_int_equal(gw_pcrsel_parse(sel, &s, NULL), 0);
	sw_quote_sel(q, &s, values);
}

static void sw_free(struct sw *q)
{
	EVP_PKEY_free(q->key);
}

/* A CEL log boot, rootfs (failed), app and the PCR values it replays to. */
static struct cel_log *stage_failed_log(struct gw_pcr_set *set, uint8_t **bytes, size_t *len)
{
	struct cel_log *log;

	*bytes = NULL;
	*len = 0;
	cel_add(bytes, len, 0, 13, "stage", "boot", "/boot/vmlinuz", "kernel");
	cel_add(bytes, len, 1, 13, "stage-failed", "rootfs", "/boot/rootfs.img",
		"gatewarden stage-failed rootfs");
	cel_add(bytes, len, 2, 13, "stage", "app", "/usr/bin/app", "app");
	log = cel_ok(*bytes, *len);
	memset(set, 0, sizeof(*set));
	assert_non_null(gw_pcr_set_bank(set, TPM2_ALG_SHA1));
	assert_non_null(gw_pcr_set_bank(set, TPM2_ALG_SHA256));
	assert_int_equal(cel_replay(log, set, NULL), 0);
	return log;
}

static void test_sw_stage_failed(void **state)
{
	struct gw_pcr_set set, prefix;
	struct cel_log *log, *ref;
	uint8_t *bytes = NULL;
	size_t len = 0, k;
	struct sw q;
	struct appraise_result res;
	gw_error err;

	(void)state;
	log = stage_failed_log(&set, &bytes, &len);
	sw_quote(&q, "sha256:13+sha1:13", &set);
	q.in.cel = log;
	assert_int_equal(run(&q.in, &res, &err), GW_E_STAGE);
	assert_status(&res, APPRAISE_CEL_REPLAY, APPRAISE_PASS, 0);
	assert_status(&res, APPRAISE_STAGES, APPRAISE_FAIL, GW_E_STAGE);
	assert_msg_has(err.msg, "stages: stage rootfs failed to measure: record 1");

	/* Checklist order: the failed stage decides even when the reference differs. */
	ref = cel_ok(bytes, len);
	k = digest_index(&ref->rec[0], TPM2_ALG_SHA256);
	ref->rec[0].digests[k].d[0] ^= 1;
	q.in.reference = ref;
	assert_int_equal(run(&q.in, &res, &err), GW_E_STAGE);
	assert_status(&res, APPRAISE_REFERENCE, APPRAISE_FAIL, GW_E_REFERENCE);
	assert_msg_has(res.msg[APPRAISE_REFERENCE], "stage boot");
	assert_msg_has(err.msg, "stages: ");
	cel_free(ref);
	sw_free(&q);

	/* The TPM only saw the first record: the failed stage is logged but not
	 * quoted, so it is a replay failure, not a failed stage. */
	memset(&prefix, 0, sizeof(prefix));
	assert_non_null(gw_pcr_set_bank(&prefix, TPM2_ALG_SHA256));
	assert_int_equal(cel_record_extend(&log->rec[0], &prefix, NULL), 0);
	sw_quote(&q, "sha256:13", &prefix);
	q.in.cel = log;
	assert_int_equal(run(&q.in, &res, &err), GW_E_CEL);
	assert_status(&res, APPRAISE_STAGES, APPRAISE_SKIPPED, 0);
	assert_int_equal(res.failure.event, 1);
	assert_msg_has(err.msg, "logged but not in the TPM");
	sw_free(&q);
	cel_free(log);
	free(bytes);
}

static struct eventlog *fwlog_ok(const char *dir, const char *name)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	struct eventlog *log = NULL;
	gw_error err = { { 0 } };
	int rc;

	read_path(dir, name, &buf, &len);
	rc = eventlog_parse(buf, len, &log, &err);
	free(buf);
	if (rc)
		fail_msg("%s: %s", name, gw_error_msg(&err, rc));
	return log;
}

static void test_fwlog_replay(void **state)
{
	struct eventlog *log = fwlog_ok(testdata_dir(), "tpm2-tools-event-arch-linux.bin");
	struct gw_pcr_set set = { 0 };
	struct eventlog_event *ev = NULL;
	struct appraise_result res;
	struct sw q;
	gw_error err = { { 0 } };
	size_t k = 0;
	int rc;

	(void)state;
	assert_int_equal(eventlog_replay(log, &set, &err), 0);
	sw_quote(&q, "sha256:0,1,2,3,4,5,6,7,8,9", &set);
	q.in.fwlog = log;
	rc = run(&q.in, &res, &err);
	if (rc)
		fail_msg("%s", gw_error_msg(&err, rc));
	assert_status(&res, APPRAISE_FW_EVENT_TYPES, APPRAISE_PASS, 0);
	assert_status(&res, APPRAISE_FW_REPLAY, APPRAISE_PASS, 0);
	assert_status(&res, APPRAISE_CEL_REPLAY, APPRAISE_SKIPPED, 0);
	assert_false(res.failure.set);

	/* One digest flipped in the first measured event: it and its PCR are named. A
	 * flip further on cannot be placed, as only the final value is quoted; the
	 * first event on the PCR is named then. */
	for (size_t i = 0; i < log->nevents && !ev; i++)
		if (log->events[i].type != EV_NO_ACTION)
			ev = &log->events[i];
	assert_non_null(ev);
	while (k < ev->ndigests && ev->digests[k].alg != TPM2_ALG_SHA256)
		k++;
	assert_true(k < ev->ndigests);
	ev->digests[k].d[31] ^= 1;
	assert_int_equal(run(&q.in, &res, &err), GW_E_FWLOG);
	assert_status(&res, APPRAISE_FW_REPLAY, APPRAISE_FAIL, GW_E_FWLOG);
	assert_true(res.failure.set);
	assert_false(res.failure.in_cel);
	assert_int_equal(res.failure.event, (long)ev->num);
	assert_int_equal(res.failure.pcr, ev->pcr);
	assert_int_equal(res.failure.bank, TPM2_ALG_SHA256);
	assert_msg_has(err.msg, "firmware-log-replay: PCR ");
	ev->digests[k].d[31] ^= 1;
	assert_int_equal(run(&q.in, &res, &err), 0);
	sw_free(&q);
	eventlog_free(log);
}

/* Firmware and CEL logs together; a forged CEL record fails only the CEL replay. */
static void test_fwlog_and_cel(void **state)
{
	struct eventlog *log = fwlog_ok(testdata_dir(), "tpm2-tools-event-arch-linux.bin");
	struct gw_pcr_set set = { 0 };
	struct cel_log *cel, *forged;
	uint8_t *bytes = NULL;
	size_t len = 0;
	struct appraise_result res;
	struct sw q;
	gw_error err = { { 0 } };
	int rc;

	(void)state;
	cel_add(&bytes, &len, 0, 13, "stage", "app", "/usr/bin/app", "app");
	cel = cel_ok(bytes, len);
	assert_int_equal(eventlog_replay(log, &set, &err), 0);
	assert_int_equal(cel_replay(cel, &set, &err), 0);
	sw_quote(&q, "sha256:0,1,2,3,4,5,6,7,13+sha1:0,13", &set);
	q.in.fwlog = log;
	q.in.cel = cel;
	rc = run(&q.in, &res, &err);
	if (rc)
		fail_msg("%s", gw_error_msg(&err, rc));
	assert_status(&res, APPRAISE_FW_REPLAY, APPRAISE_PASS, 0);
	assert_status(&res, APPRAISE_CEL_REPLAY, APPRAISE_PASS, 0);
	assert_status(&res, APPRAISE_STAGES, APPRAISE_PASS, 0);
	assert_int_equal(res.cel_pcrs, 1u << 13);

	cel_add(&bytes, &len, 1, 13, "stage", "app2", "/usr/bin/app2", "evil");
	forged = cel_ok(bytes, len);
	q.in.cel = forged;
	assert_int_equal(run(&q.in, &res, &err), GW_E_CEL);
	assert_status(&res, APPRAISE_FW_REPLAY, APPRAISE_PASS, 0);
	assert_status(&res, APPRAISE_CEL_REPLAY, APPRAISE_FAIL, GW_E_CEL);
	assert_true(res.failure.in_cel);
	assert_int_equal(res.failure.event, 1);
	assert_int_equal(res.failure.pcr, 13);
	assert_msg_has(err.msg, "logged but not in the TPM");
	cel_free(forged);
	cel_free(cel);
	free(bytes);
	sw_free(&q);
	eventlog_free(log);
}

static void test_unknown_event_type(void **state)
{
	struct eventlog *log = fwlog_ok(EVENTLOG_GOOD, "unknown-type.bin");
	struct gw_pcr_set set = { 0 };
	struct appraise_result res;
	struct sw q;
	gw_error err = { { 0 } };
	uint8_t *bytes = NULL;
	size_t len = 0;
	struct cel_log *cel;

	(void)state;
	assert_int_equal(eventlog_replay(log, &set, &err), 0);
	sw_quote(&q, "sha256:0,1,2,3,4,5,6,7", &set);
	q.in.fwlog = log;
	assert_int_equal(run(&q.in, &res, &err), GW_E_FWLOG);
	assert_status(&res, APPRAISE_FW_EVENT_TYPES, APPRAISE_FAIL, GW_E_FWLOG);
	assert_status(&res, APPRAISE_FW_REPLAY, APPRAISE_PASS, 0);
	assert_msg_has(err.msg, "firmware-event-types: firmware event ");
	assert_msg_has(err.msg, "has unknown event type 0x");
	/* A policy that names every such type lets the log through; one that names
	 * another type does not. */
	{
		uint32_t types[16];
		size_t n = 0;

		for (size_t i = 0; i < log->nevents && n < GW_ARRAY_SIZE(types); i++)
			if (!eventlog_type_known(log->events[i].type))
				types[n++] = log->events[i].type;
		assert_true(n > 0);
		q.in.allow_types = types;
		q.in.n_allow_types = n;
		assert_int_equal(run(&q.in, &res, &err), 0);
		assert_status(&res, APPRAISE_FW_EVENT_TYPES, APPRAISE_PASS, 0);
		types[0] ^= 1;
		assert_int_equal(run(&q.in, &res, &err), GW_E_FWLOG);
		q.in.allow_types = NULL;
		q.in.n_allow_types = 0;
	}
	sw_free(&q);

	/* Checklist order: the unknown type, not the later CEL failure, decides. */
	cel_add(&bytes, &len, 0, 13, "stage", "app", "/usr/bin/app", "not quoted");
	cel = cel_ok(bytes, len);
	sw_quote(&q, "sha256:0,1,2,3,4,5,6,7,13", &set);
	q.in.fwlog = log;
	q.in.cel = cel;
	assert_int_equal(run(&q.in, &res, &err), GW_E_FWLOG);
	assert_int_equal(res.rc, GW_E_FWLOG);
	assert_status(&res, APPRAISE_FW_EVENT_TYPES, APPRAISE_FAIL, GW_E_FWLOG);
	assert_status(&res, APPRAISE_CEL_REPLAY, APPRAISE_FAIL, GW_E_CEL);
	assert_msg_has(err.msg, "firmware-event-types: ");

	/* A failed quote check stops the list: nothing after it runs. */
	q.in.nonce_len--;
	assert_int_equal(run(&q.in, &res, &err), GW_E_NONCE);
	assert_status(&res, APPRAISE_NONCE, APPRAISE_FAIL, GW_E_NONCE);
	for (int c = APPRAISE_PCRSEL; c < APPRAISE_COUNT; c++)
		assert_status(&res, (enum appraise_check)c, APPRAISE_SKIPPED, 0);
	assert_msg_has(err.msg, "nonce: ");
	cel_free(cel);
	free(bytes);
	sw_free(&q);
	eventlog_free(log);
}

/* A selection that lists one bank more often than there are banks (the parsers
 * refuse it, a caller might not): refused, not replayed past the tracker. */
static void test_selection_too_long(void **state)
{
	struct gw_pcr_set set = { 0 };
	TPML_PCR_SELECTION sel = { 0 };
	uint8_t *bytes = NULL;
	size_t len = 0;
	struct cel_log *cel;
	struct appraise_result res;
	struct sw q;
	gw_error err;

	(void)state;
	cel_add(&bytes, &len, 0, 13, "stage", "app", "/usr/bin/app", "app");
	cel = cel_ok(bytes, len);
	assert_non_null(gw_pcr_set_bank(&set, TPM2_ALG_SHA256));
	assert_int_equal(cel_replay(cel, &set, NULL), 0);
	sel.count = GW_MAX_BANKS + 3;
	for (size_t i = 0; i < sel.count; i++) {
		sel.pcrSelections[i].hash = TPM2_ALG_SHA256;
		sel.pcrSelections[i].sizeofSelect = 3;
		sel.pcrSelections[i].pcrSelect[1] = 0x20;
	}
	sw_quote_sel(&q, &sel, &set);
	q.in.cel = cel;
	assert_int_equal(run(&q.in, &res, &err), GW_E_UNSUPPORTED);
	assert_msg_has(err.msg, "8 PCR selection entries");
	/* As many entries as the tracker holds is fine. */
	sw_free(&q);
	sel.count = GW_MAX_BANKS;
	sw_quote_sel(&q, &sel, &set);
	q.in.cel = cel;
	assert_int_equal(run(&q.in, &res, &err), 0);
	sw_free(&q);
	cel_free(cel);
	free(bytes);
}

/* Quoted PCRs that no log explains: all of them named, reset values per PCR (zero,
 * PCR 0's startup locality, all-ones for the D-RTM PCRs 17..22). */
static void test_unexplained(void **state)
{
	struct gw_pcr_set set = { 0 };
	struct gw_pcr_bank *b;
	struct appraise_result res;
	struct sw q;
	gw_error err;
	char why[600];

	(void)state;
	b = gw_pcr_set_bank(&set, TPM2_ALG_SHA256);
	assert_non_null(b);
	b->pcr[0][31] = 3;               /* StartupLocality 3: a reset value */
	memset(b->pcr[13], 0x13, 32);    /* measured, no log */
	memset(b->pcr[14], 0x14, 32);    /* measured, no log */
	memset(b->pcr[17], 0xff, 32);    /* D-RTM PCR before a dynamic launch */
	/* PCR 18 left zero: not its reset value (all-ones), so it was changed. */
	sw_quote(&q, "sha256:0,13,14,17,18", &set);
	q.in.require_coverage = true;
	assert_int_equal(run(&q.in, &res, &err), GW_E_CEL);
	assert_status(&res, APPRAISE_COVERAGE, APPRAISE_FAIL, GW_E_CEL);
	assert_int_equal(res.unexplained, (1u << 13) | (1u << 14) | (1u << 18));
	assert_msg_has(err.msg, "PCRs 13, 14, 18 (sha256) hold measurements that no event log "
				"explains: the quoted value is not the reset value and no log "
				"event extends them (no CEL event log was sent)");
	/* Not required: the check passes and still says which ones. */
	q.in.require_coverage = false;
	assert_int_equal(run(&q.in, &res, &err), 0);
	assert_status(&res, APPRAISE_COVERAGE, APPRAISE_PASS, 0);
	assert_int_equal(res.unexplained, (1u << 13) | (1u << 14) | (1u << 18));
	assert_msg_has(res.msg[APPRAISE_COVERAGE], "not required here: PCRs 13, 14, 18");
	/* A buffer too small still holds the start of the text. */
	assert_int_equal(appraise_unexplained_describe(&res, why, 12), GW_E_TOOBIG);
	assert_string_equal(why, "PCRs 13, 14");
	sw_free(&q);
	/* One PCR, at reset everywhere else: singular. */
	memset(b->pcr[13], 0, 32);
	memset(b->pcr[18], 0xff, 32);
	sw_quote(&q, "sha256:0,13,14,17,18", &set);
	q.in.require_coverage = true;
	assert_int_equal(run(&q.in, &res, &err), GW_E_CEL);
	assert_msg_has(err.msg, "PCR 14 (sha256) holds measurements that no event log explains");
	sw_free(&q);
	/* All at their reset values: nothing to explain. */
	memset(b->pcr[14], 0, 32);
	sw_quote(&q, "sha256:0,13,14,17,18", &set);
	q.in.require_coverage = true;
	assert_int_equal(run(&q.in, &res, &err), 0);
	assert_int_equal(res.unexplained, 0);
	sw_free(&q);
	/* Not reset values: PCR 0 ending in a byte above 4 (no StartupLocality), and
	 * all-ones in PCR 16 (debug) and 23 (application), which reset to zero. */
	b->pcr[0][31] = 5;
	memset(b->pcr[16], 0xff, 32);
	memset(b->pcr[23], 0xff, 32);
	sw_quote(&q, "sha256:0,16,17,23", &set);
	q.in.require_coverage = true;
	assert_int_equal(run(&q.in, &res, &err), GW_E_FWLOG);
	assert_int_equal(res.unexplained, (1u << 0) | (1u << 16) | (1u << 23));
	assert_msg_has(err.msg, "PCRs 0, 16, 23 (sha256) hold measurements");
	assert_msg_has(err.msg, "(no firmware event log was sent)");
	sw_free(&q);
	/* PCR 0 ending in 4 (H-CRTM, locality 4) is a reset value. */
	b->pcr[0][31] = 4;
	sw_quote(&q, "sha256:0,17", &set);
	q.in.require_coverage = true;
	assert_int_equal(run(&q.in, &res, &err), 0);
	assert_int_equal(res.unexplained, 0);
	sw_free(&q);
	/* An empty buffer: TOOBIG, nothing written. */
	res.unexplained = 1u << 16;
	assert_int_equal(appraise_unexplained_describe(&res, why, 0), GW_E_TOOBIG);
}

static void test_check_names(void **state)
{
	(void)state;
	assert_string_equal(appraise_check_name(APPRAISE_SIGNATURE), "signature");
	assert_string_equal(appraise_check_name(APPRAISE_FW_EVENT_TYPES), "firmware-event-types");
	assert_string_equal(appraise_check_name(APPRAISE_REFERENCE), "reference");
	assert_string_equal(appraise_check_name(APPRAISE_COUNT), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_pass),
		cmocka_unit_test(test_real_cel_tampered),
		cmocka_unit_test(test_real_stage_failed),
		cmocka_unit_test(test_reference),
		cmocka_unit_test(test_sw_stage_failed),
		cmocka_unit_test(test_fwlog_replay),
		cmocka_unit_test(test_fwlog_and_cel),
		cmocka_unit_test(test_unknown_event_type),
		cmocka_unit_test(test_selection_too_long),
		cmocka_unit_test(test_unexplained),
		cmocka_unit_test(test_check_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
