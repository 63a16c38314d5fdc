// SPDX-License-Identifier: Apache-2.0
// gwagent quote: a TPM2_Quote with the AK, written as evidence and tpm2-tools files.
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tss2/tss2_esys.h>

#include "agent.h"
#include "evidence.h"
#include "evlog.h"
#include "util.h"

#define DEFAULT_FIRMWARE_LOG "/sys/kernel/security/tpm0/binary_bios_measurements"
#define QUOTE_TRIES 3

static void usage(FILE *f)
{
	fprintf(f, "usage: gwagent quote --nonce HEX [--pcrs SEL] [--firmware-log FILE] --out DIR\n\n"
		   "Quotes the selected PCRs with the AK and writes into DIR:\n"
		   "  evidence.json   quote, signature, PCR values, AK public, CEL log and\n"
		   "                  firmware log (gwverifier check-quote --evidence)\n"
		   "  quote.msg quote.sig quote.pcrs ak.pem   the files tpm2_checkquote reads\n"
		   "  eventlog.cel, firmware.bin              the logs, when present\n\n"
		   "  --nonce HEX          qualifying data from the verifier (1-64 bytes)\n"
		   "  --pcrs SEL           e.g. sha256:0-7,13,14+sha1:0-7 (default: every active\n"
		   "                       bank, PCRs 0-7, the stage PCR and the trust PCR)\n"
		   "  --firmware-log FILE  firmware event log to attach (default: the config's\n"
		   "                       firmware_log, else %s if readable)\n",
		DEFAULT_FIRMWARE_LOG);
}

static int write_out(const char *dir, const char *name, const void *data, size_t len,
		     gw_error *err)
{
	char path[PATH_MAX];

	if (gw_snprintf(path, sizeof(path), "%s/%s", dir, name))
		return gw_fail(err, GW_E_INVAL, "output path too long");
	return gw_write_file_atomic(path, data, len, 0644, err);
}

static int default_selection(struct agent_ctx *ctx, TPML_PCR_SELECTION *sel, gw_error *err)
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

int cmd_quote(struct agent_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "nonce", required_argument, NULL, 'n' },
		{ "pcrs", required_argument, NULL, 'p' },
		{ "out", required_argument, NULL, 'o' },
		{ "firmware-log", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *nonce_hex = NULL, *sel_str = NULL, *outdir = NULL, *fwpath = NULL;
	struct evidence ev;
	struct evlog_meta meta;
	TPML_PCR_SELECTION sel;
	EVP_PKEY *ak = NULL;
	uint8_t *nonce = NULL, *bin = NULL;
	size_t nonce_len = 0, bin_len = 0;
	char *text = NULL, *pem = NULL;
	bool fresh = false;
	gw_error err = { { 0 } };
	int c, rc, status = GW_EXIT_OK;

	memset(&ev, 0, sizeof(ev));
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			nonce_hex = optarg;
			break;
		case 'p':
			sel_str = optarg;
			break;
		case 'o':
			outdir = optarg;
			break;
		case 'f':
			fwpath = optarg;
			break;
		case 'h':
			usage(stdout);
			return GW_EXIT_OK;
		default:
			usage(stderr);
			return GW_EXIT_USAGE;
		}
	}
	if (!nonce_hex || !outdir || optind != argc) {
		usage(stderr);
		return GW_EXIT_USAGE;
	}
	rc = gw_hex_decode(nonce_hex, &nonce, &nonce_len, &err);
	if (rc || nonce_len == 0 || nonce_len > sizeof(ev.nonce)) {
		agent_errorf(ctx, "--nonce: %s", rc ? gw_error_msg(&err, rc) : "1 to 64 bytes");
		status = GW_EXIT_USAGE;
		goto out;
	}
	memcpy(ev.nonce, nonce, nonce_len);
	ev.nonce_len = nonce_len;
	rc = sel_str ? gw_pcrsel_parse(sel_str, &sel, &err) : default_selection(ctx, &sel, &err);
	if (rc) {
		status = agent_report(ctx, rc, &err, "--pcrs");
		goto out;
	}
	rc = gw_mkdir_p(outdir, 0755, &err);
	if (rc) {
		status = agent_report(ctx, rc, &err, "--out");
		goto out;
	}
	/* The log must be this reset cycle's and must not move while we quote. */
	rc = evlog_sync(ctx, &meta, &fresh, &err);
	if (rc) {
		status = agent_report(ctx, rc, &err, "event log");
		goto out;
	}
	rc = tpm_read_public(ctx->tpm, ctx->cfg.ak_handle, &ev.ak_pub, &err);
	if (rc == GW_E_NOTFOUND) {
		agent_errorf(ctx, "no AK at 0x%08x: run 'gwagent provision' first",
			     ctx->cfg.ak_handle);
		status = GW_EXIT_STATE;
		goto out;
	}
	if (rc) {
		status = agent_report(ctx, rc, &err, "AK");
		goto out;
	}
	ev.has_ak = true;
	rc = quote_consistent(ctx, nonce, nonce_len, &sel, &ev, &err);
	if (rc) {
		status = agent_report(ctx, rc, &err, "quote");
		goto out;
	}
	rc = evlog_read(ctx, &ev.cel, &ev.cel_len, NULL, &err);
	if (rc) {
		status = agent_report(ctx, rc, &err, "event log");
		goto out;
	}
	if (!fwpath)
		fwpath = ctx->cfg.firmware_log;
	if (fwpath || access(DEFAULT_FIRMWARE_LOG, R_OK) == 0) {
		const char *p = fwpath ? fwpath : DEFAULT_FIRMWARE_LOG;

		rc = gw_read_file(p, EVIDENCE_MAX_LOG, &ev.fwlog, &ev.fwlog_len, &err);
		if (rc) {
			status = agent_report(ctx, rc, &err, "firmware log");
			goto out;
		}
	}

	rc = evidence_format(&ev, &text);
	if (!rc)
		rc = write_out(outdir, "evidence.json", text, strlen(text), &err);
	if (!rc)
		rc = write_out(outdir, "quote.msg", ev.attest, ev.attest_len, &err);
	if (!rc && !(rc = tpmdata_signature_marshal(&ev.sig, &bin, &bin_len)))
		rc = write_out(outdir, "quote.sig", bin, bin_len, &err);
	free(bin);
	bin = NULL;
	if (!rc && !(rc = tpmdata_pcrs_file_write(&ev.pcrs, &bin, &bin_len)))
		rc = write_out(outdir, "quote.pcrs", bin, bin_len, &err);
	if (!rc && !(rc = tpmdata_public_to_pkey(&ev.ak_pub.publicArea, &ak, &err)) &&
	    !(rc = tpmdata_pkey_to_pem(ak, &pem)))
		rc = write_out(outdir, "ak.pem", pem, strlen(pem), &err);
	if (!rc)
		rc = write_out(outdir, "eventlog.cel", ev.cel, ev.cel_len, &err);
	if (!rc && ev.fwlog)
		rc = write_out(outdir, "firmware.bin", ev.fwlog, ev.fwlog_len, &err);
	if (rc) {
		status = agent_report(ctx, rc, &err, "writing evidence");
		goto out;
	}
	{
		char s[512];

		if (gw_pcrsel_format(&sel, s, sizeof(s)))
			s[0] = '\0';
		printf("quoted %s with the AK at 0x%08x into %s/evidence.json\n", s,
		       ctx->cfg.ak_handle, outdir);
	}
out:
	free(bin);
	free(pem);
	free(text);
	free(nonce);
	EVP_PKEY_free(ak);
	free(ev.attest);
	free(ev.cel);
	free(ev.fwlog);
	return status;
}
