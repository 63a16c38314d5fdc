// SPDX-License-Identifier: Apache-2.0
// TPM2_Quote verification: every check of the appraisal checklist that needs no log.
#include "quote.h"

#include <stdio.h>
#include <string.h>

#include <openssl/x509.h>

#include "digest.h"
#include "util.h"

static const char *const step_names[QUOTE_STEP_COUNT] = {
	[QUOTE_STEP_SIGNATURE] = "signature",
	[QUOTE_STEP_MAGIC] = "magic",
	[QUOTE_STEP_TYPE] = "type",
	[QUOTE_STEP_NONCE] = "nonce",
	[QUOTE_STEP_PCRSEL] = "pcr-selection",
	[QUOTE_STEP_PCRDIGEST] = "pcr-digest",
};

const char *quote_step_name(enum quote_step step)
{
	return step < QUOTE_STEP_COUNT ? step_names[step] : "?";
}

static int step_fail(struct quote_result *res, enum quote_step step, int code, gw_error *err,
		     const char *msg)
{
	snprintf(res->step_msg[step], sizeof(res->step_msg[step]), "%s", msg);
	res->step_rc[step] = code;
	return gw_fail(err, code, "%s: %s", step_names[step], msg);
}

int quote_verify(const struct quote_input *in, struct quote_result *res, gw_error *err)
{
	const TPMS_ATTEST *a = &res->attest;
	const TPMS_QUOTE_INFO *qi;
	gw_error local = { { 0 } };
	uint16_t halg = tpmdata_signature_hash(in->sig); /* also the pcrDigest's */
	char msg[256];
	int rc;

	memset(res, 0, sizeof(*res));
	for (int i = 0; i < QUOTE_STEP_COUNT; i++)
		res->step_rc[i] = 1;

	/* Signature first: nothing in the attest is looked at before it is authentic.
	 * The hash it names must be the one the AK's scheme fixes: a restricted key
	 * signs with no other, so another is not the AK's doing. */
	if (in->sig_hash && halg != in->sig_hash) {
		const struct gw_alg *want = gw_alg_by_id(in->sig_hash);
		const struct gw_alg *got = gw_alg_by_id(halg);

		snprintf(msg, sizeof(msg), "signed with %s, but the AK's scheme uses %s",
			 got ? got->name : "an unknown hash", want ? want->name : "another");
		return step_fail(res, QUOTE_STEP_SIGNATURE, GW_E_SIGNATURE, err, msg);
	}
	rc = tpmdata_verify_signature(in->ak, in->attest, in->attest_len, in->sig, &local);
	if (rc)
		return step_fail(res, QUOTE_STEP_SIGNATURE, rc == GW_E_SIGNATURE ? rc : GW_E_SIGNATURE,
				 err, gw_error_msg(&local, rc));
	res->step_rc[QUOTE_STEP_SIGNATURE] = 0;

	rc = tpmdata_attest_unmarshal(in->attest, in->attest_len, &res->attest, &local);
	if (rc)
		return step_fail(res, QUOTE_STEP_MAGIC, rc, err, gw_error_msg(&local, rc));
	res->parsed = true;

	if (a->magic != TPM2_GENERATED_VALUE) {
		snprintf(msg, sizeof(msg), "0x%08x is not TPM_GENERATED_VALUE (0xff544347)",
			 a->magic);
		return step_fail(res, QUOTE_STEP_MAGIC, GW_E_MAGIC, err, msg);
	}
	res->step_rc[QUOTE_STEP_MAGIC] = 0;

	if (a->type != TPM2_ST_ATTEST_QUOTE) {
		snprintf(msg, sizeof(msg), "attestation type 0x%04x is not TPM_ST_ATTEST_QUOTE",
			 a->type);
		return step_fail(res, QUOTE_STEP_TYPE, GW_E_ATTEST_TYPE, err, msg);
	}
	res->step_rc[QUOTE_STEP_TYPE] = 0;

	/* With no nonce, an old quote replayed would pass: it proves no freshness. */
	if (in->nonce_len == 0)
		return step_fail(res, QUOTE_STEP_NONCE, GW_E_NONCE, err,
				 "the expected nonce is empty, so the quote cannot be fresh");
	if (a->extraData.size != in->nonce_len ||
	    !gw_ct_equal(a->extraData.buffer, in->nonce, in->nonce_len)) {
		char hex[2 * sizeof(a->extraData.buffer) + 1];

		gw_hex_encode(a->extraData.buffer, a->extraData.size, hex);
		snprintf(msg, sizeof(msg), "quote carries qualifying data '%s', not the nonce", hex);
		return step_fail(res, QUOTE_STEP_NONCE, GW_E_NONCE, err, msg);
	}
	res->step_rc[QUOTE_STEP_NONCE] = 0;

	qi = &a->attested.quote;
	{
		const TPML_PCR_SELECTION *want = in->expect_sel ? in->expect_sel
					       : in->pcrs ? &in->pcrs->sel : NULL;
		char q[256] = "", w[256] = "";

		if (want && !gw_pcrsel_equal(&qi->pcrSelect, want)) {
			if (gw_pcrsel_format(&qi->pcrSelect, q, sizeof(q)))
				snprintf(q, sizeof(q), "(unprintable)");
			if (gw_pcrsel_format(want, w, sizeof(w)))
				snprintf(w, sizeof(w), "(unprintable)");
			snprintf(msg, sizeof(msg), "quote covers %s, expected %s", q, w);
			return step_fail(res, QUOTE_STEP_PCRSEL, GW_E_PCRSEL, err, msg);
		}
		if (in->pcrs && in->expect_sel && !gw_pcrsel_equal(&in->pcrs->sel, &qi->pcrSelect))
			return step_fail(res, QUOTE_STEP_PCRSEL, GW_E_PCRSEL, err,
					 "PCR values are for another selection than the quote");
	}
	res->step_rc[QUOTE_STEP_PCRSEL] = in->expect_sel || in->pcrs ? 0 : 1;

	if (in->pcrs) {
		uint8_t d[GW_MAX_DIGEST];
		size_t dlen = 0;

		rc = tpmdata_pcr_digest(in->pcrs, halg, d, &dlen, &local);
		if (rc)
			return step_fail(res, QUOTE_STEP_PCRDIGEST, GW_E_PCRDIGEST, err,
					 gw_error_msg(&local, rc));
		if (dlen != qi->pcrDigest.size || !gw_ct_equal(d, qi->pcrDigest.buffer, dlen))
			return step_fail(res, QUOTE_STEP_PCRDIGEST, GW_E_PCRDIGEST, err,
					 "the PCR values do not hash to the quote's pcrDigest");
		res->step_rc[QUOTE_STEP_PCRDIGEST] = 0;
	}
	return 0;
}

int quote_renewal_data(const uint8_t *nonce, size_t nonce_len, EVP_PKEY *new_key,
		       uint8_t out[QUOTE_RENEWAL_DATA_LEN])
{
	uint8_t buf[64 + QUOTE_RENEWAL_DATA_LEN], *der = NULL;
	int der_len, rc;

	if (!nonce_len || nonce_len > 64 || !new_key)
		return GW_E_INVAL;
	der_len = i2d_PUBKEY(new_key, &der);
	if (der_len <= 0)
		return GW_E_CRYPTO;
	memcpy(buf, nonce, nonce_len);
	rc = gw_hash(TPM2_ALG_SHA256, der, (size_t)der_len, buf + nonce_len);
	OPENSSL_free(der);
	if (!rc)
		rc = gw_hash(TPM2_ALG_SHA256, buf, nonce_len + QUOTE_RENEWAL_DATA_LEN, out);
	return rc;
}
