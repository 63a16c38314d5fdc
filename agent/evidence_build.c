// SPDX-License-Identifier: Apache-2.0
// Evidence for one quote: the shared core of `gwagent quote` and `gwagent attest`.
#include "evidence_build.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tss2/tss2_esys.h>

#include "cel.h"
#include "counter_certify.h"
#include "evlog.h"
#include "util.h"

#define QUOTE_TRIES 3

/* Add context to err, keeping the library's detail or the code's own message. */
static int with_context(gw_error *err, int rc, const char *what)
{
	if (err && !err->msg[0])
		gw_fail(err, rc, "%s", gw_strerror(rc));
	gw_error_prefix(err, "%s: ", what);
	return rc;
}

int evidence_default_selection(struct agent_ctx *ctx, TPML_PCR_SELECTION *sel, gw_error *err)
{
	uint16_t algs[GW_MAX_BANKS];
	size_t n = 0;
	int rc;

	rc = tpm_active_banks(ctx->tpm, algs, &n, err);
	if (rc)
		return rc;
	memset(sel, 0, sizeof(*sel));
	sel->count = (uint32_t)n;
	for (size_t i = 0; i < n; i++) {
		TPMS_PCR_SELECTION *s = &sel->pcrSelections[i];

		s->hash = algs[i];
		s->sizeofSelect = 3;
		s->pcrSelect[0] = 0xff;
		s->pcrSelect[ctx->cfg.stage_pcr / 8] |= (uint8_t)(1u << (ctx->cfg.stage_pcr % 8));
		s->pcrSelect[ctx->cfg.trust_pcr / 8] |= (uint8_t)(1u << (ctx->cfg.trust_pcr % 8));
	}
	return 0;
}

/* Quote, then read the PCRs and check they hash to the quoted pcrDigest: a measure
 * landing between the two would otherwise produce evidence that cannot verify. */
static int quote_consistent(struct agent_ctx *ctx, const uint8_t *nonce, size_t nonce_len,
			    const TPML_PCR_SELECTION *sel, struct evidence *ev, gw_error *err)
{
	for (int attempt = 0; attempt < QUOTE_TRIES; attempt++) {
		TPM2B_ATTEST *attest = NULL;
		TPMT_SIGNATURE *sig = NULL;
		TPMS_ATTEST a;
		uint8_t d[GW_MAX_DIGEST];
		size_t dlen = 0;
		int rc;

		rc = tpm_quote(ctx->tpm, ctx->cfg.ak_handle, nonce, nonce_len, sel, &attest, &sig,
			       err);
		if (rc)
			return rc;
		rc = tpm_pcr_read(ctx->tpm, sel, &ev->pcrs, err);
		if (!rc)
			rc = tpmdata_attest_unmarshal(attest->attestationData, attest->size, &a, err);
		if (!rc)
			rc = tpmdata_pcr_digest(&ev->pcrs, tpmdata_signature_hash(sig), d, &dlen, err);
		if (!rc && dlen == a.attested.quote.pcrDigest.size &&
		    !memcmp(d, a.attested.quote.pcrDigest.buffer, dlen)) {
			ev->attest = malloc(attest->size);
			if (!ev->attest) {
				rc = GW_E_NOMEM;
			} else {
				memcpy(ev->attest, attest->attestationData, attest->size);
				ev->attest_len = attest->size;
				ev->sig = *sig;
			}
			Esys_Free(attest);
			Esys_Free(sig);
			return rc;
		}
		Esys_Free(attest);
		Esys_Free(sig);
		if (rc)
			return rc;
	}
	return gw_fail(err, GW_E_TPM, "PCRs kept changing during the quote (%d tries)",
		       QUOTE_TRIES);
}

int evidence_build(struct agent_ctx *ctx, const uint8_t *nonce, size_t nonce_len,
		   const TPML_PCR_SELECTION *sel, const char *fwpath, struct evidence *ev,
		   gw_error *err)
{
	struct evlog_meta meta;
	bool fresh = false;
	int rc;

	if (nonce_len == 0 || nonce_len > sizeof(ev->nonce))
		return gw_fail(err, GW_E_INVAL, "nonce must be 1 to %zu bytes", sizeof(ev->nonce));
	memcpy(ev->nonce, nonce, nonce_len);
	ev->nonce_len = nonce_len;
	/* The log must be this reset cycle's and must not move while we quote. */
	rc = evlog_sync(ctx, &meta, &fresh, err);
	if (rc)
		return with_context(err, rc, "event log");
	rc = tpm_read_public(ctx->tpm, ctx->cfg.ak_handle, &ev->ak_pub, err);
	if (rc == GW_E_NOTFOUND)
		return gw_fail(err, GW_E_STATE, "no AK at 0x%08x: run 'gwagent provision' first",
			       ctx->cfg.ak_handle);
	if (rc)
		return with_context(err, rc, "AK");
	ev->has_ak = true;
	rc = quote_consistent(ctx, nonce, nonce_len, sel, ev, err);
	if (rc)
		return with_context(err, rc, "quote");
	rc = counter_certify_all(ctx, nonce, nonce_len, ev, err);
	if (rc)
		return with_context(err, rc, "anti-rollback counters");
	rc = evlog_read(ctx, &ev->cel, &ev->cel_len, NULL, err);
	if (rc)
		return with_context(err, rc, "event log");
	if (!fwpath)
		fwpath = ctx->cfg.firmware_log;
	if (fwpath || access(EVIDENCE_DEFAULT_FIRMWARE_LOG, R_OK) == 0) {
		rc = gw_read_file(fwpath ? fwpath : EVIDENCE_DEFAULT_FIRMWARE_LOG, EVIDENCE_MAX_LOG,
				  &ev->fwlog, &ev->fwlog_len, err);
		if (rc)
			return with_context(err, rc, "firmware log");
	}
	return 0;
}

void evidence_build_clear(struct evidence *ev)
{
	if (!ev)
		return;
	free(ev->attest);
	free(ev->cel);
	free(ev->fwlog);
	evidence_counters_clear(ev);
	memset(ev, 0, sizeof(*ev));
}

int evidence_cel_trim(struct evidence *ev, uint32_t records, const uint8_t sha256[32],
		      uint32_t reset_count)
{
	struct cel_log *log = NULL;
	TPMS_ATTEST q;
	uint8_t d[32];
	uint8_t *tail = NULL;
	size_t plen, tlen;
	int rc = 0;

	if (records == 0 || !ev->cel || records > EVIDENCE_MAX_CEL_OFFSET ||
	    tpmdata_attest_unmarshal(ev->attest, ev->attest_len, &q, NULL) ||
	    q.clockInfo.resetCount != reset_count)
		return 0;
	/* A log we cannot parse goes whole: the verifier names what is wrong with it. */
	if (cel_parse(ev->cel, ev->cel_len, &log, NULL) || log->n < records)
		goto out;
	plen = log->rec[records - 1].offset + log->rec[records - 1].len;
	if (gw_hash(TPM2_ALG_SHA256, ev->cel, plen, d) || memcmp(d, sha256, sizeof(d)))
		goto out;
	tlen = ev->cel_len - plen;
	tail = malloc(tlen ? tlen : 1);
	if (!tail) {
		rc = GW_E_NOMEM;
		goto out;
	}
	if (tlen)
		memcpy(tail, ev->cel + plen, tlen);
	free(ev->cel);
	ev->cel = tail; /* transferred */
	tail = NULL;
	ev->cel_len = tlen;
	ev->cel_offset = records;
out:
	cel_free(log);
	return rc;
}
