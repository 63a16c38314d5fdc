// SPDX-License-Identifier: Apache-2.0
// TPM2_NV_Certify of each channel's counter and baseline by the AK, over the
// attestation round's nonce, for the evidence (the verifier believes only these).
#include <stdlib.h>
#include <string.h>

#include <tss2/tss2_esys.h>
#include <tss2/tss2_mu.h>

#include "counter.h"
#include "counter_certify.h"
#include "tpm.h"

static void nv_cert_clear(struct evidence_nv_cert *c)
{
	free(c->nv_public);
	free(c->attest);
	memset(c, 0, sizeof(*c));
}

/* The index's public area, marshalled as a TPM2B_NV_PUBLIC. */
static int public_blob(struct agent_tpm *tpm, TPM2_HANDLE idx, struct evidence_nv_cert *out,
		       uint16_t *size, gw_error *err)
{
	TPM2B_NV_PUBLIC b = { 0 };
	size_t off = 0;
	int rc = tpm_nv_read_public(tpm, idx, &b.nvPublic, err);

	if (rc)
		return rc;
	out->nv_public = malloc(sizeof(TPM2B_NV_PUBLIC));
	if (!out->nv_public)
		return GW_E_NOMEM;
	if (Tss2_MU_TPM2B_NV_PUBLIC_Marshal(&b, out->nv_public, sizeof(TPM2B_NV_PUBLIC), &off) !=
	    TSS2_RC_SUCCESS)
		return gw_fail(err, GW_E_TPM, "NV index 0x%08x: marshalling its public area", idx);
	out->nv_public_len = off;
	*size = b.nvPublic.dataSize;
	return 0;
}

/* NV_Certify of the whole index idx (read with its own empty authValue, as
 * AUTHREAD allows) by the AK. */
static int certify_one(struct agent_tpm *tpm, TPM2_HANDLE ak_handle, TPM2_HANDLE idx,
		       const uint8_t *nonce, size_t nonce_len, struct evidence_nv_cert *out,
		       gw_error *err)
{
	TPMT_SIG_SCHEME scheme = { .scheme = TPM2_ALG_NULL };
	TPM2B_ATTEST *attest = NULL;
	TPMT_SIGNATURE *sig = NULL;
	ESYS_TR ak = ESYS_TR_NONE, nv = ESYS_TR_NONE;
	TPM2B_DATA qd = { 0 };
	uint16_t size = 0;
	TSS2_RC trc;
	int rc;

	rc = public_blob(tpm, idx, out, &size, err);
	if (rc)
		return rc;
	if (nonce_len > sizeof(qd.buffer))
		return gw_fail(err, GW_E_INVAL, "nonce longer than %zu bytes", sizeof(qd.buffer));
	qd.size = (uint16_t)nonce_len;
	memcpy(qd.buffer, nonce, nonce_len);
	trc = Esys_TR_FromTPMPublic(tpm->esys, ak_handle, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				    &ak);
	if (trc == TSS2_RC_SUCCESS)
		trc = Esys_TR_FromTPMPublic(tpm->esys, idx, ESYS_TR_NONE, ESYS_TR_NONE,
					    ESYS_TR_NONE, &nv);
	if (trc == TSS2_RC_SUCCESS)
		trc = Esys_NV_Certify(tpm->esys, ak, nv, nv, ESYS_TR_PASSWORD, ESYS_TR_PASSWORD,
				      ESYS_TR_NONE, &qd, &scheme, size, 0, &attest, &sig);
	if (trc != TSS2_RC_SUCCESS) {
		rc = tpm_tss_fail(err, trc, "TPM2_NV_Certify");
		gw_error_prefix(err, "NV index 0x%08x: ", idx);
		goto out;
	}
	out->attest = malloc(attest->size ? attest->size : 1);
	if (!out->attest) {
		rc = GW_E_NOMEM;
		goto out;
	}
	memcpy(out->attest, attest->attestationData, attest->size);
	out->attest_len = attest->size;
	out->sig = *sig;
out:
	if (ak != ESYS_TR_NONE)
		Esys_TR_Close(tpm->esys, &ak);
	if (nv != ESYS_TR_NONE)
		Esys_TR_Close(tpm->esys, &nv);
	Esys_Free(attest);
	Esys_Free(sig);
	return rc;
}

int counter_certify_all(struct agent_ctx *ctx, const uint8_t *nonce, size_t nonce_len,
			struct evidence *ev, gw_error *err)
{
	int rc = 0;

	for (size_t i = 0; i < ctx->cfg.nchannels && !rc; i++) {
		const struct agent_channel *c = &ctx->cfg.channels[i];
		const struct counter_channel ch = { c->name, c->counter_index, c->baseline_index };
		struct evidence_counter *e = &ev->counters[ev->ncounters];
		struct counter_state st;

		if (ev->ncounters == EVIDENCE_MAX_COUNTERS)
			return gw_fail(err, GW_E_TOOBIG, "more than %d channels",
				       EVIDENCE_MAX_COUNTERS);
		/* a channel not provisioned yet has nothing to certify */
		rc = counter_read(ctx->tpm, &ch, &st, err);
		if (rc == GW_E_NOTFOUND) {
			rc = 0;
			continue;
		}
		if (!rc)
			rc = certify_one(ctx->tpm, ctx->cfg.ak_handle, ch.counter_index, nonce,
					 nonce_len, &e->counter, err);
		if (!rc)
			rc = certify_one(ctx->tpm, ctx->cfg.ak_handle, ch.baseline_index, nonce,
					 nonce_len, &e->baseline, err);
		if (rc) {
			nv_cert_clear(&e->counter);
			nv_cert_clear(&e->baseline);
			gw_error_prefix(err, "channel '%s': ", c->name);
		} else {
			ev->ncounters++;
		}
	}
	return rc;
}
