// SPDX-License-Identifier: Apache-2.0
// Benchmark: offline appraisals per second of an evidence file with 24 quoted PCRs
// and a 64-record CEL log (parse + full checklist), on the calling thread.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <tss2/tss2_mu.h>

#include "appraise.h"
#include "evidence.h"
#include "util.h"

#define NRECORDS 64

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int die(const char *what)
{
	fprintf(stderr, "bench_appraise: %s\n", what);
	return 1;
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? strtod(argv[1], NULL) : 3.0;
	unsigned long max_iter = argc > 2 ? strtoul(argv[2], NULL, 10) : 0;
	static const uint16_t algs[1] = { TPM2_ALG_SHA256 };
	EVP_PKEY *key = EVP_EC_gen("P-256");
	struct evidence ev;
	struct gw_pcr_set replay = { 0 };
	struct cel_log *cel = NULL;
	char *text = NULL, *log = NULL;
	size_t log_len = 0, text_len;
	TPMS_ATTEST a;
	uint8_t attest[sizeof(TPMS_ATTEST)];
	size_t attest_len = 0;
	unsigned long n = 0;
	double t0, t;
	gw_error err = { { 0 } };

	if (!key)
		return die("key generation failed");
	memset(&ev, 0, sizeof(ev));
	for (size_t i = 0; i < sizeof(ev.nonce); i++)
		ev.nonce[i] = (uint8_t)i;
	ev.nonce_len = 32;

	/* 64 stage records over PCRs 13 and 14. */
	for (unsigned i = 0; i < NRECORDS; i++) {
		uint8_t d[1][GW_MAX_DIGEST];
		char path[64], desc[96], *rec = NULL;
		size_t rec_len = 0;
		char *nl;

		snprintf(path, sizeof(path), "/opt/app/file-%02u.bin", i);
		snprintf(desc, sizeof(desc), "stage app: %s", path);
		if (gw_hash(TPM2_ALG_SHA256, path, strlen(path), d[0]) ||
		    cel_record_format(i, 13 + i % 2, algs, (const uint8_t(*)[GW_MAX_DIGEST])d, 1,
				      "stage", "app", path, desc, &rec, &rec_len))
			return die("building the CEL log");
		nl = realloc(log, log_len + rec_len);
		if (!nl)
			return die("out of memory");
		log = nl;
		memcpy(log + log_len, rec, rec_len);
		log_len += rec_len;
		free(rec);
	}
	if (cel_parse((const uint8_t *)log, log_len, &cel, &err) ||
	    !gw_pcr_set_bank(&replay, TPM2_ALG_SHA256) || cel_replay(cel, &replay, &err))
		return die(gw_error_msg(&err, -1));

	/* Quote over sha256:0-23 with the replayed 13 and 14 and fixed others. */
	ev.pcrs.sel.count = 1;
	ev.pcrs.sel.pcrSelections[0].hash = TPM2_ALG_SHA256;
	ev.pcrs.sel.pcrSelections[0].sizeofSelect = 3;
	memset(ev.pcrs.sel.pcrSelections[0].pcrSelect, 0xff, 3);
	{
		struct gw_pcr_bank *b = gw_pcr_set_bank(&ev.pcrs.values, TPM2_ALG_SHA256);

		for (unsigned p = 0; p < GW_NUM_PCRS; p++) {
			memset(b->pcr[p], (int)p, 32);
			b->touched |= 1u << p;
		}
		memcpy(b->pcr[13], replay.bank[0].pcr[13], 32);
		memcpy(b->pcr[14], replay.bank[0].pcr[14], 32);
	}
	memset(&a, 0, sizeof(a));
	a.magic = TPM2_GENERATED_VALUE;
	a.type = TPM2_ST_ATTEST_QUOTE;
	a.extraData.size = (uint16_t)ev.nonce_len;
	memcpy(a.extraData.buffer, ev.nonce, ev.nonce_len);
	a.attested.quote.pcrSelect = ev.pcrs.sel;
	{
		size_t dl = 0;

		if (tpmdata_pcr_digest(&ev.pcrs, TPM2_ALG_SHA256, a.attested.quote.pcrDigest.buffer,
				       &dl, &err))
			return die("pcr digest");
		a.attested.quote.pcrDigest.size = (uint16_t)dl;
	}
	if (Tss2_MU_TPMS_ATTEST_Marshal(&a, attest, sizeof(attest), &attest_len) ||
	    tpmdata_sign_ecdsa_sha256(key, attest, attest_len, &ev.sig))
		return die("signing the quote");
	ev.attest = attest;
	ev.attest_len = attest_len;
	ev.cel = (uint8_t *)log;
	ev.cel_len = log_len;
	if (evidence_format(&ev, &text))
		return die("formatting evidence");
	text_len = strlen(text);

	t0 = now();
	do {
		struct evidence *pe = NULL;
		struct cel_log *pc = NULL;
		struct appraise_result res;
		struct appraise_input in;

		if (evidence_parse((const uint8_t *)text, text_len, &pe, &err) ||
		    cel_parse(pe->cel, pe->cel_len, &pc, &err))
			return die(gw_error_msg(&err, -1));
		in = (struct appraise_input){
			.ak = key,
			.attest = pe->attest,
			.attest_len = pe->attest_len,
			.sig = &pe->sig,
			.nonce = ev.nonce,
			.nonce_len = ev.nonce_len,
			.pcrs = &pe->pcrs,
			.cel = pc,
		};
		if (appraise_quote(&in, &res, &err))
			return die(gw_error_msg(&err, -1));
		cel_free(pc);
		evidence_free(pe);
		n++;
		t = now();
	} while (t - t0 < seconds && (!max_iter || n < max_iter));
	printf("%.1f\n", (double)n / (t - t0));
	cel_free(cel);
	free(text);
	free(log);
	EVP_PKEY_free(key);
	return 0;
}
