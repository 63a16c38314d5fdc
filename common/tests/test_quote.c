// SPDX-License-Identifier: Apache-2.0
// Unit tests for quote verification: a real swtpm quote, and quotes built and signed
// here with software keys so each check can be made to fail on its own.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <tss2/tss2_mu.h>

#include "digest.h"
#include "quote.h"
#include "tpmdata.h"
#include "util.h"

#define QUOTE_DIR "common/tests/fixtures/quote"

static const uint8_t fixture_nonce[16] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
					   0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff };

static void read_fixture(const char *name, uint8_t **buf, size_t *len)
{
	char path[512];
	gw_error err = { { 0 } };
	int rc;

	assert_int_equal(gw_snprintf(path, sizeof(path), "%s/%s", QUOTE_DIR, name), 0);
	rc = gw_read_file(path, 1024 * 1024, buf, len, &err);
	if (rc)
		fail_msg("reading %s: %s", path, gw_error_msg(&err, rc));
}

static void assert_msg_has(const char *msg, const char *what)
{
	if (!strstr(msg, what))
		fail_msg("message '%s' does not mention '%s'", msg, what);
}

/* Steps before `step` passed, `step` failed with code, the rest did not run. */
static void assert_steps(const struct quote_result *res, enum quote_step step, int code)
{
	for (int i = 0; i < QUOTE_STEP_COUNT; i++) {
		int want = i < (int)step ? 0 : i == (int)step ? code : 1;

		if (res->step_rc[i] != want)
			fail_msg("step %s: rc %d, expected %d", quote_step_name((enum quote_step)i),
				 res->step_rc[i], want);
	}
}

/* ------------------------------------------------------------- real quote --- */

struct real_quote {
	uint8_t *msg, *sigbuf, *pcrbuf;
	size_t msg_len, sig_len, pcr_len;
	TPMT_SIGNATURE sig;
	struct tpmdata_pcrs pcrs;
	EVP_PKEY *ak;
};

static void real_load(struct real_quote *q)
{
	gw_error err = { { 0 } };

	memset(q, 0, sizeof(*q));
	read_fixture("quote.msg", &q->msg, &q->msg_len);
	read_fixture("quote.sig", &q->sigbuf, &q->sig_len);
	read_fixture("quote.pcrs", &q->pcrbuf, &q->pcr_len);
	assert_int_equal(tpmdata_signature_unmarshal(q->sigbuf, q->sig_len, &q->sig, &err), 0);
	assert_int_equal(tpmdata_pcrs_file_parse(q->pcrbuf, q->pcr_len, &q->pcrs, &err), 0);
	assert_int_equal(tpmdata_pkey_load(QUOTE_DIR "/ak.pem", &q->ak, &err), 0);
}

static void real_free(struct real_quote *q)
{
	free(q->msg);
	free(q->sigbuf);
	free(q->pcrbuf);
	EVP_PKEY_free(q->ak);
}

static void test_real_quote(void **state)
{
	struct real_quote q;
	struct quote_result res;
	gw_error err = { { 0 } };
	struct quote_input in;
	int rc;

	(void)state;
	real_load(&q);
	/* The AK is Gatewarden's: ECDSA with SHA-256, pinned as the service does. */
	in = (struct quote_input){ .ak = q.ak, .attest = q.msg, .attest_len = q.msg_len,
				   .sig = &q.sig, .nonce = fixture_nonce,
				   .nonce_len = sizeof(fixture_nonce), .pcrs = &q.pcrs,
				   .sig_hash = TPM2_ALG_SHA256 };
	rc = quote_verify(&in, &res, &err);
	if (rc)
		fail_msg("real quote: %s", gw_error_msg(&err, rc));
	assert_steps(&res, QUOTE_STEP_COUNT, 0);
	assert_true(res.parsed);
	assert_int_equal(res.attest.type, TPM2_ST_ATTEST_QUOTE);

	/* The same with the selection given explicitly, and with no PCR values. */
	in.expect_sel = &q.pcrs.sel;
	assert_int_equal(quote_verify(&in, &res, &err), 0);
	in.pcrs = NULL;
	assert_int_equal(quote_verify(&in, &res, &err), 0);
	in.expect_sel = NULL;
	assert_int_equal(quote_verify(&in, &res, &err), 0);
	assert_int_equal(res.step_rc[QUOTE_STEP_PCRSEL], 1);
	assert_int_equal(res.step_rc[QUOTE_STEP_PCRDIGEST], 1);

	/* A wrong nonce, and one changed PCR value. */
	in.pcrs = &q.pcrs;
	in.nonce_len = 15;
	assert_int_equal(quote_verify(&in, &res, &err), GW_E_NONCE);
	assert_steps(&res, QUOTE_STEP_NONCE, GW_E_NONCE);
	assert_msg_has(err.msg, "00112233445566778899aabbccddeeff");
	in.nonce_len = sizeof(fixture_nonce);
	q.pcrs.values.bank[1].pcr[13][0] ^= 1;
	assert_int_equal(quote_verify(&in, &res, &err), GW_E_PCRDIGEST);
	assert_steps(&res, QUOTE_STEP_PCRDIGEST, GW_E_PCRDIGEST);
	assert_msg_has(err.msg, "pcr-digest");
	q.pcrs.values.bank[1].pcr[13][0] ^= 1;

	/* One flipped bit of the signed message. */
	q.msg[q.msg_len - 1] ^= 1;
	assert_int_equal(quote_verify(&in, &res, &err), GW_E_SIGNATURE);
	assert_steps(&res, QUOTE_STEP_SIGNATURE, GW_E_SIGNATURE);
	assert_false(res.parsed);
	real_free(&q);
}

/* ------------------------------------------------------------ software keys --- */

static EVP_PKEY *ec_key(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");

	assert_non_null(k);
	return k;
}

static EVP_PKEY *rsa_key(void)
{
	EVP_PKEY *k = EVP_RSA_gen(2048);

	assert_non_null(k);
	return k;
}

/* Sign msg as a TPM would with scheme (ECDSA, RSASSA or RSAPSS) and SHA-256. */
static void sw_sign(EVP_PKEY *key, uint16_t scheme, const uint8_t *msg, size_t len,
		    TPMT_SIGNATURE *sig)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	uint8_t der[512];
	size_t dlen = sizeof(der);

	assert_non_null(ctx);
	assert_int_equal(EVP_DigestSignInit(ctx, &pctx, EVP_sha256(), NULL, key), 1);
	if (scheme == TPM2_ALG_RSAPSS) {
		assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING), 1);
		/* TPM-style PSS: the salt is as long as the digest. */
		assert_int_equal(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST), 1);
	}
	assert_int_equal(EVP_DigestSign(ctx, der, &dlen, msg, len), 1);
	EVP_MD_CTX_free(ctx);
	memset(sig, 0, sizeof(*sig));
	sig->sigAlg = scheme;
	if (scheme == TPM2_ALG_ECDSA) {
		const uint8_t *p = der;
		ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)dlen);
		const BIGNUM *r, *s;

		assert_non_null(es);
		ECDSA_SIG_get0(es, &r, &s);
		sig->signature.ecdsa.hash = TPM2_ALG_SHA256;
		sig->signature.ecdsa.signatureR.size = 32;
		sig->signature.ecdsa.signatureS.size = 32;
		assert_int_equal(BN_bn2binpad(r, sig->signature.ecdsa.signatureR.buffer, 32), 32);
		assert_int_equal(BN_bn2binpad(s, sig->signature.ecdsa.signatureS.buffer, 32), 32);
		ECDSA_SIG_free(es);
	} else {
		sig->signature.rsassa.hash = TPM2_ALG_SHA256;
		sig->signature.rsassa.sig.size = (uint16_t)dlen;
		memcpy(sig->signature.rsassa.sig.buffer, der, dlen);
	}
}

static void marshal_attest(const TPMS_ATTEST *a, uint8_t *buf, size_t *len)
{
	size_t off = 0;

	assert_int_equal(Tss2_MU_TPMS_ATTEST_Marshal(a, buf, sizeof(TPMS_ATTEST), &off), 0);
	*len = off;
}

/* PCR values sha256:0,13+sha1:13 and a quote over them that passes. */
struct sw_quote {
	struct tpmdata_pcrs pcrs;
	TPMS_ATTEST a;
	uint8_t nonce[20];
	uint8_t buf[sizeof(TPMS_ATTEST)];
	size_t len;
	TPMT_SIGNATURE sig;
	EVP_PKEY *key;
	struct quote_input in;
};

static void sw_pcrs(struct tpmdata_pcrs *pcrs)
{
	struct gw_pcr_bank *b;

	memset(pcrs, 0, sizeof(*pcrs));
	assert_int_equal(gw_pcrsel_parse("sha256:0,13+sha1:13", &pcrs->sel, NULL), 0);
	b = gw_pcr_set_bank(&pcrs->values, TPM2_ALG_SHA256);
	memset(b->pcr[0], 0x11, 32);
	memset(b->pcr[13], 0x22, 32);
	b->touched = 1u << 0 | 1u << 13;
	b = gw_pcr_set_bank(&pcrs->values, TPM2_ALG_SHA1);
	memset(b->pcr[13], 0x33, 20);
	b->touched = 1u << 13;
}

/* Marshal q->a, sign it with q->key and scheme, point q->in at it. */
static void sw_resign(struct sw_quote *q, uint16_t scheme)
{
	marshal_attest(&q->a, q->buf, &q->len);
	sw_sign(q->key, scheme, q->buf, q->len, &q->sig);
	q->in = (struct quote_input){ .ak = q->key, .attest = q->buf, .attest_len = q->len,
				      .sig = &q->sig, .nonce = q->nonce,
				      .nonce_len = sizeof(q->nonce), .pcrs = &q->pcrs };
}

static void sw_quote_new(struct sw_quote *q, EVP_PKEY *key, uint16_t scheme)
{
	TPMS_QUOTE_INFO *qi = &q->a.attested.quote;
	size_t dlen = 0;

	memset(q, 0, sizeof(*q));
	q->key = key;
	for (size_t i = 0; i < sizeof(q->nonce); i++)
		q->nonce[i] = (uint8_t)(0xa0 + i);
	sw_pcrs(&q->pcrs);
	q->a.magic = TPM2_GENERATED_VALUE;
	q->a.type = TPM2_ST_ATTEST_QUOTE;
	q->a.qualifiedSigner.size = 34;
	q->a.qualifiedSigner.name[1] = 0x0b;
	q->a.extraData.size = sizeof(q->nonce);
	memcpy(q->a.extraData.buffer, q->nonce, sizeof(q->nonce));
	q->a.clockInfo.clock = 12345;
	q->a.clockInfo.safe = 1;
	q->a.firmwareVersion = 0x2019102300160000ull;
	qi->pcrSelect = q->pcrs.sel;
	assert_int_equal(tpmdata_pcr_digest(&q->pcrs, TPM2_ALG_SHA256, qi->pcrDigest.buffer,
					    &dlen, NULL),
			 0);
	qi->pcrDigest.size = (uint16_t)dlen;
	sw_resign(q, scheme);
}

static int verify(struct sw_quote *q, struct quote_result *res, gw_error *err)
{
	memset(err, 0, sizeof(*err));
	return quote_verify(&q->in, res, err);
}

static void test_sw_ecdsa_passes(void **state)
{
	struct sw_quote q;
	struct quote_result res;
	gw_error err;
	int rc;

	(void)state;
	sw_quote_new(&q, ec_key(), TPM2_ALG_ECDSA);
	rc = verify(&q, &res, &err);
	if (rc)
		fail_msg("%s", gw_error_msg(&err, rc));
	assert_steps(&res, QUOTE_STEP_COUNT, 0);
	EVP_PKEY_free(q.key);
}

static void test_wrong_key(void **state)
{
	struct sw_quote q;
	struct quote_result res;
	gw_error err;
	EVP_PKEY *other = ec_key(), *rsa = rsa_key();

	(void)state;
	sw_quote_new(&q, ec_key(), TPM2_ALG_ECDSA);
	q.in.ak = other;
	assert_int_equal(verify(&q, &res, &err), GW_E_SIGNATURE);
	assert_steps(&res, QUOTE_STEP_SIGNATURE, GW_E_SIGNATURE);
	assert_false(res.parsed);
	assert_msg_has(err.msg, "signature: ");
	assert_msg_has(res.step_msg[QUOTE_STEP_SIGNATURE], "does not verify");
	/* An ECDSA signature and an RSA key. */
	q.in.ak = rsa;
	assert_int_equal(verify(&q, &res, &err), GW_E_SIGNATURE);
	assert_steps(&res, QUOTE_STEP_SIGNATURE, GW_E_SIGNATURE);
	assert_msg_has(err.msg, "ECDSA signature but the key is not ECC");
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(other);
	EVP_PKEY_free(q.key);
}

static void test_magic(void **state)
{
	struct sw_quote q;
	struct quote_result res;
	gw_error err;

	(void)state;
	sw_quote_new(&q, ec_key(), TPM2_ALG_ECDSA);
	q.a.magic = 0xff544348;
	sw_resign(&q, TPM2_ALG_ECDSA);
	assert_int_equal(verify(&q, &res, &err), GW_E_MAGIC);
	assert_steps(&res, QUOTE_STEP_MAGIC, GW_E_MAGIC);
	assert_msg_has(err.msg, "magic: 0xff544348 is not TPM_GENERATED_VALUE");
	assert_true(res.parsed);
	EVP_PKEY_free(q.key);
}

/* What the AK signs for TPM2_NV_Certify or TPM2_Certify must never pass as a quote. */
static void test_attest_type(void **state)
{
	struct sw_quote q;
	struct quote_result res;
	gw_error err;
	TPMS_ATTEST a;

	(void)state;
	sw_quote_new(&q, ec_key(), TPM2_ALG_ECDSA);
	a = q.a;
	memset(&q.a.attested, 0, sizeof(q.a.attested));
	q.a.type = TPM2_ST_ATTEST_NV;
	q.a.attested.nv.indexName.size = 34;
	q.a.attested.nv.indexName.name[1] = 0x0b;
	q.a.attested.nv.offset = 0;
	/* NV contents that look like the start of a quote's TPMS_QUOTE_INFO. */
	q.a.attested.nv.nvContents.size = 32;
	memcpy(q.a.attested.nv.nvContents.buffer, a.attested.quote.pcrDigest.buffer, 32);
	sw_resign(&q, TPM2_ALG_ECDSA);
	assert_int_equal(verify(&q, &res, &err), GW_E_ATTEST_TYPE);
	assert_steps(&res, QUOTE_STEP_TYPE, GW_E_ATTEST_TYPE);
	assert_msg_has(err.msg, "type: attestation type 0x8014 is not TPM_ST_ATTEST_QUOTE");

	memset(&q.a.attested, 0, sizeof(q.a.attested));
	q.a.type = TPM2_ST_ATTEST_CERTIFY;
	q.a.attested.certify.name.size = 34;
	sw_resign(&q, TPM2_ALG_ECDSA);
	assert_int_equal(verify(&q, &res, &err), GW_E_ATTEST_TYPE);
	assert_msg_has(err.msg, "0x8017");
	EVP_PKEY_free(q.key);
}

static void test_nonce(void **state)
{
	struct sw_quote q;
	struct quote_result res;
	gw_error err;

	(void)state;
	sw_quote_new(&q, ec_key(), TPM2_ALG_ECDSA);
	/* Last byte differs. */
	q.a.extraData.buffer[19] ^= 1;
	sw_resign(&q, TPM2_ALG_ECDSA);
	assert_int_equal(verify(&q, &res, &err), GW_E_NONCE);
	assert_steps(&res, QUOTE_STEP_NONCE, GW_E_NONCE);
	assert_msg_has(err.msg, "nonce: quote carries qualifying data 'a0a1");
	/* Only the length differs: the quote carries a prefix of the nonce. */
	q.a.extraData.buffer[19] ^= 1;
	q.a.extraData.size = 19;
	sw_resign(&q, TPM2_ALG_ECDSA);
	assert_int_equal(verify(&q, &res, &err), GW_E_NONCE);
	assert_steps(&res, QUOTE_STEP_NONCE, GW_E_NONCE);
	/* ... or the nonce is a prefix of what the quote carries. */
	q.in.nonce_len = 18;
	assert_int_equal(verify(&q, &res, &err), GW_E_NONCE);
	/* An empty one in the quote. */
	q.a.extraData.size = 0;
	sw_resign(&q, TPM2_ALG_ECDSA);
	assert_int_equal(verify(&q, &res, &err), GW_E_NONCE);
	assert_msg_has(err.msg, "qualifying data ''");
	/* Nothing expected and nothing quoted is still no freshness. */
	q.in.nonce_len = 0;
	assert_int_equal(verify(&q, &res, &err), GW_E_NONCE);
	assert_steps(&res, QUOTE_STEP_NONCE, GW_E_NONCE);
	assert_msg_has(err.msg, "empty");
	EVP_PKEY_free(q.key);
}

static void test_pcrsel(void **state)
{
	struct sw_quote q;
	struct quote_result res;
	gw_error err;
	TPML_PCR_SELECTION other, reordered;
	struct tpmdata_pcrs pcrs2;

	(void)state;
	sw_quote_new(&q, ec_key(), TPM2_ALG_ECDSA);
	assert_int_equal(gw_pcrsel_parse("sha256:0,14+sha1:13", &other, NULL), 0);
	assert_int_equal(gw_pcrsel_parse("sha1:13+sha256:0,13", &reordered, NULL), 0);
	/* The verifier asked for another selection than the quote covers. */
	q.in.expect_sel = &other;
	assert_int_equal(verify(&q, &res, &err), GW_E_PCRSEL);
	assert_steps(&res, QUOTE_STEP_PCRSEL, GW_E_PCRSEL);
	assert_msg_has(err.msg, "quote covers sha256:0,13+sha1:13, expected sha256:0,14+sha1:13");
	/* Same PCRs, banks in another order: the digest would differ. */
	q.in.expect_sel = &reordered;
	assert_int_equal(verify(&q, &res, &err), GW_E_PCRSEL);
	/* Expected selection right, PCR values for another one. */
	q.in.expect_sel = &q.pcrs.sel;
	pcrs2 = q.pcrs;
	pcrs2.sel = other;
	q.in.pcrs = &pcrs2;
	assert_int_equal(verify(&q, &res, &err), GW_E_PCRSEL);
	assert_steps(&res, QUOTE_STEP_PCRSEL, GW_E_PCRSEL);
	assert_msg_has(err.msg, "another selection");
	/* No expected selection: the PCR values' selection is the one expected. */
	q.in.expect_sel = NULL;
	assert_int_equal(verify(&q, &res, &err), GW_E_PCRSEL);
	assert_steps(&res, QUOTE_STEP_PCRSEL, GW_E_PCRSEL);
	EVP_PKEY_free(q.key);
}

static void test_pcrdigest(void **state)
{
	struct sw_quote q;
	struct quote_result res;
	gw_error err;

	(void)state;
	sw_quote_new(&q, ec_key(), TPM2_ALG_ECDSA);
	q.pcrs.values.bank[1].pcr[13][19] ^= 0x80; /* sha1 PCR 13 */
	assert_int_equal(verify(&q, &res, &err), GW_E_PCRDIGEST);
	assert_steps(&res, QUOTE_STEP_PCRDIGEST, GW_E_PCRDIGEST);
	assert_msg_has(err.msg, "do not hash to the quote's pcrDigest");
	q.pcrs.values.bank[1].pcr[13][19] ^= 0x80;
	assert_int_equal(verify(&q, &res, &err), 0);
	/* A digest of the right value but the wrong length. */
	q.a.attested.quote.pcrDigest.size = 20;
	sw_resign(&q, TPM2_ALG_ECDSA);
	assert_int_equal(verify(&q, &res, &err), GW_E_PCRDIGEST);
	/* A quoted PCR the values lack. */
	q.a.attested.quote.pcrDigest.size = 32;
	sw_resign(&q, TPM2_ALG_ECDSA);
	q.pcrs.values.bank[0].touched = 1u << 0;
	assert_int_equal(verify(&q, &res, &err), GW_E_PCRDIGEST);
	assert_msg_has(err.msg, "no value for quoted PCR 13");
	EVP_PKEY_free(q.key);
}

/* Authentic bytes that are no TPMS_ATTEST: an error after the signature step. */
static void test_unparseable_signed(void **state)
{
	struct sw_quote q;
	struct quote_result res;
	gw_error err;
	static const uint8_t junk[] = "not a TPMS_ATTEST at all";
	uint8_t longer[sizeof(TPMS_ATTEST) + 1];

	(void)state;
	sw_quote_new(&q, ec_key(), TPM2_ALG_ECDSA);
	sw_sign(q.key, TPM2_ALG_ECDSA, junk, sizeof(junk), &q.sig);
	q.in.attest = junk;
	q.in.attest_len = sizeof(junk);
	assert_int_equal(verify(&q, &res, &err), GW_E_PARSE);
	assert_steps(&res, QUOTE_STEP_MAGIC, GW_E_PARSE);
	assert_false(res.parsed);
	assert_msg_has(err.msg, "TPMS_ATTEST");
	/* A good one with a signed trailing byte. */
	memcpy(longer, q.buf, q.len);
	longer[q.len] = 0;
	sw_sign(q.key, TPM2_ALG_ECDSA, longer, q.len + 1, &q.sig);
	q.in.attest = longer;
	q.in.attest_len = q.len + 1;
	assert_int_equal(verify(&q, &res, &err), GW_E_TRAILING);
	assert_steps(&res, QUOTE_STEP_MAGIC, GW_E_TRAILING);
	/* Zero bytes. */
	sw_sign(q.key, TPM2_ALG_ECDSA, longer, 0, &q.sig);
	q.in.attest_len = 0;
	assert_int_equal(verify(&q, &res, &err), GW_E_PARSE);
	EVP_PKEY_free(q.key);
}

static void test_rsa(void **state)
{
	struct sw_quote q;
	struct quote_result res;
	gw_error err;
	EVP_PKEY *key = rsa_key();
	int rc;

	(void)state;
	sw_quote_new(&q, key, TPM2_ALG_RSASSA);
	rc = verify(&q, &res, &err);
	if (rc)
		fail_msg("RSASSA: %s", gw_error_msg(&err, rc));
	sw_resign(&q, TPM2_ALG_RSAPSS);
	rc = verify(&q, &res, &err);
	if (rc)
		fail_msg("RSAPSS: %s", gw_error_msg(&err, rc));
	/* A PSS signature presented as PKCS#1 v1.5, and the other way round. */
	q.sig.sigAlg = TPM2_ALG_RSASSA;
	assert_int_equal(verify(&q, &res, &err), GW_E_SIGNATURE);
	sw_resign(&q, TPM2_ALG_RSASSA);
	q.sig.sigAlg = TPM2_ALG_RSAPSS;
	assert_int_equal(verify(&q, &res, &err), GW_E_SIGNATURE);
	/* Claims SHA-384, was made with SHA-256. */
	sw_resign(&q, TPM2_ALG_RSASSA);
	q.sig.signature.rsassa.hash = TPM2_ALG_SHA384;
	assert_int_equal(verify(&q, &res, &err), GW_E_SIGNATURE);
	assert_steps(&res, QUOTE_STEP_SIGNATURE, GW_E_SIGNATURE);
	/* A hash no one can compute, and a scheme the verifier does not know. */
	q.sig.signature.rsassa.hash = 0x0099;
	assert_int_equal(verify(&q, &res, &err), GW_E_SIGNATURE);
	assert_msg_has(err.msg, "0x0099 not supported");
	q.sig.signature.rsassa.hash = TPM2_ALG_SHA256;
	q.sig.sigAlg = TPM2_ALG_HMAC;
	assert_int_equal(verify(&q, &res, &err), GW_E_SIGNATURE);
	/* An RSA signature and an ECC key. */
	sw_resign(&q, TPM2_ALG_RSASSA);
	q.in.ak = ec_key();
	assert_int_equal(verify(&q, &res, &err), GW_E_SIGNATURE);
	assert_msg_has(err.msg, "RSA signature but the key is not RSA");
	EVP_PKEY_free((EVP_PKEY *)q.in.ak);
	EVP_PKEY_free(key);
}

/* The signature's hash: pinned to the AK's scheme when it is known, and never
 * SHA-1. */
static void test_sig_hash(void **state)
{
	struct sw_quote q;
	struct quote_result res;
	gw_error err;
	EVP_PKEY *key = rsa_key();

	(void)state;
	sw_quote_new(&q, ec_key(), TPM2_ALG_ECDSA);
	q.in.sig_hash = TPM2_ALG_SHA256;
	assert_int_equal(verify(&q, &res, &err), 0);
	q.in.sig_hash = TPM2_ALG_SHA384;
	assert_int_equal(verify(&q, &res, &err), GW_E_SIGNATURE);
	assert_steps(&res, QUOTE_STEP_SIGNATURE, GW_E_SIGNATURE);
	assert_string_equal(err.msg, "signature: signed with sha256, but the AK's scheme uses sha384");
	EVP_PKEY_free(q.key);

	sw_quote_new(&q, key, TPM2_ALG_RSASSA);
	q.sig.signature.rsassa.hash = TPM2_ALG_SHA1;
	assert_int_equal(verify(&q, &res, &err), GW_E_SIGNATURE);
	assert_msg_has(err.msg, "a SHA-1 signature is not accepted");
	EVP_PKEY_free(key);
}

/* An ECDSA signature with r or s out of range, or zero-length. */
static void test_ecdsa_malformed(void **state)
{
	struct sw_quote q;
	struct quote_result res;
	gw_error err;

	(void)state;
	sw_quote_new(&q, ec_key(), TPM2_ALG_ECDSA);
	q.sig.signature.ecdsa.signatureR.size = 0;
	assert_int_equal(verify(&q, &res, &err), GW_E_SIGNATURE);
	memset(q.sig.signature.ecdsa.signatureS.buffer, 0xff, 32);
	q.sig.signature.ecdsa.signatureR.size = 32;
	assert_int_equal(verify(&q, &res, &err), GW_E_SIGNATURE);
	q.sig.signature.ecdsa.signatureS.size = 0;
	q.sig.signature.ecdsa.signatureR.size = 0;
	assert_int_equal(verify(&q, &res, &err), GW_E_SIGNATURE);
	assert_steps(&res, QUOTE_STEP_SIGNATURE, GW_E_SIGNATURE);
	EVP_PKEY_free(q.key);
}

static void test_step_names(void **state)
{
	(void)state;
	assert_string_equal(quote_step_name(QUOTE_STEP_SIGNATURE), "signature");
	assert_string_equal(quote_step_name(QUOTE_STEP_PCRDIGEST), "pcr-digest");
	assert_string_equal(quote_step_name(QUOTE_STEP_COUNT), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_quote),
		cmocka_unit_test(test_sw_ecdsa_passes),
		cmocka_unit_test(test_wrong_key),
		cmocka_unit_test(test_magic),
		cmocka_unit_test(test_attest_type),
		cmocka_unit_test(test_nonce),
		cmocka_unit_test(test_pcrsel),
		cmocka_unit_test(test_pcrdigest),
		cmocka_unit_test(test_unparseable_signed),
		cmocka_unit_test(test_rsa),
		cmocka_unit_test(test_sig_hash),
		cmocka_unit_test(test_ecdsa_malformed),
		cmocka_unit_test(test_step_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
