// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the evidence JSON: parse, and for what parses, format it and
// parse that again, which must succeed with every field unchanged (the update
// request and the qualifying data it implies included).
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "evidence.h"
#include "tpmdata.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int same_bytes(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	return (!a) == (!b) && alen == blen && (alen == 0 || !memcmp(a, b, alen));
}

static int same_sig(const TPMT_SIGNATURE *a, const TPMT_SIGNATURE *b)
{
	uint8_t *x = NULL, *y = NULL;
	size_t xl = 0, yl = 0;
	int ok = !tpmdata_signature_marshal(a, &x, &xl) && !tpmdata_signature_marshal(b, &y, &yl) &&
		 same_bytes(x, xl, y, yl);

	free(x);
	free(y);
	return ok;
}

static int same_pcrs(const struct tpmdata_pcrs *a, const struct tpmdata_pcrs *b)
{
	if (!gw_pcrsel_equal(&a->sel, &b->sel) || a->values.nbanks != b->values.nbanks)
		return 0;
	for (size_t i = 0; i < a->values.nbanks; i++) {
		const struct gw_pcr_bank *x = &a->values.bank[i], *y = &b->values.bank[i];

		if (x->alg != y->alg || x->size != y->size || x->touched != y->touched)
			return 0;
		for (unsigned p = 0; p < GW_NUM_PCRS; p++)
			if ((x->touched & (1u << p)) && memcmp(x->pcr[p], y->pcr[p], x->size))
				return 0;
	}
	return 1;
}

static int same_ak(const struct evidence *a, const struct evidence *b)
{
	uint8_t *x = NULL, *y = NULL;
	size_t xl = 0, yl = 0;
	int ok;

	if (a->has_ak != b->has_ak)
		return 0;
	if (!a->has_ak)
		return 1;
	ok = !tpmdata_public_marshal(&a->ak_pub, &x, &xl) &&
	     !tpmdata_public_marshal(&b->ak_pub, &y, &yl) && same_bytes(x, xl, y, yl);
	free(x);
	free(y);
	return ok;
}

static int same_request(const struct evidence *a, const struct evidence *b)
{
	const struct evidence_update_request *x = &a->update_request, *y = &b->update_request;
	uint8_t qa[64], qb[64];
	size_t la = 0, lb = 0;

	if (a->has_update_request != b->has_update_request)
		return 0;
	if (evidence_qualifying_data(a, qa, &la) || evidence_qualifying_data(b, qb, &lb) ||
	    la != lb || memcmp(qa, qb, la))
		return 0;
	return !a->has_update_request ||
	       (!strcmp(x->release, y->release) &&
		same_bytes(x->nonce_tpm, x->nonce_tpm_len, y->nonce_tpm, y->nonce_tpm_len));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct evidence *ev = NULL, *back = NULL;
	gw_error err = { { 0 } };
	char *text = NULL;

	if (evidence_parse(data, size, &ev, &err))
		return 0;
	if (evidence_format(ev, &text))
		__builtin_trap();
	if (evidence_parse((const uint8_t *)text, strlen(text), &back, &err))
		__builtin_trap();
	if (ev->nonce_len != back->nonce_len || memcmp(ev->nonce, back->nonce, ev->nonce_len) ||
	    !same_bytes(ev->attest, ev->attest_len, back->attest, back->attest_len) ||
	    !same_sig(&ev->sig, &back->sig) || !same_pcrs(&ev->pcrs, &back->pcrs) ||
	    !same_ak(ev, back) || !same_bytes(ev->cel, ev->cel_len, back->cel, back->cel_len) ||
	    !same_bytes(ev->fwlog, ev->fwlog_len, back->fwlog, back->fwlog_len) ||
	    !same_request(ev, back))
		__builtin_trap();
	free(text);
	evidence_free(back);
	evidence_free(ev);
	return 0;
}
