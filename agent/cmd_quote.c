// SPDX-License-Identifier: Apache-2.0
// gwagent quote: a TPM2_Quote with the AK, written as evidence and tpm2-tools files.
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "agent.h"
#include "evidence.h"
#include "evidence_build.h"
#include "jsonobj.h"
#include "util.h"


static void usage(FILE *f)
{
	fprintf(f, "usage: gwagent quote --nonce HEX [--pcrs SEL] [--firmware-log FILE] --out DIR\n"
		   "                     [--json]\n\n"
		   "Quotes the selected PCRs with the AK and writes into DIR:\n"
		   "  evidence.json   quote, signature, PCR values, AK public, CEL log and\n"
		   "                  firmware log (gwverifier check-quote --evidence)\n"
		   "  quote.msg quote.sig quote.pcrs ak.pem   the files tpm2_checkquote reads\n"
		   "  eventlog.cel, firmware.bin              the logs, when present\n\n"
		   "  --nonce HEX          qualifying data from the verifier (1-64 bytes)\n"
		   "  --pcrs SEL           e.g. sha256:0-7,13,14+sha1:0-7 (default: every active\n"
		   "                       bank, PCRs 0-7, the stage PCR and the trust PCR)\n"
		   "  --firmware-log FILE  firmware event log to attach (default: the config's\n"
		   "                       firmware_log, else %s if readable)\n"
		   "  --json               print {\"evidence\", \"dir\", \"files\", \"pcrs\",\n"
		   "                       \"ak_handle\"}\n",
		EVIDENCE_DEFAULT_FIRMWARE_LOG);
}

static int write_out(const char *dir, const char *name, const void *data, size_t len,
		     gw_error *err)
{
	char path[PATH_MAX];

	if (gw_snprintf(path, sizeof(path), "%s/%s", dir, name))
		return gw_fail(err, GW_E_INVAL, "output path too long");
	return gw_write_file_atomic(path, data, len, 0644, err);
}

static void print_done(const struct agent_ctx *ctx, const TPML_PCR_SELECTION *sel,
		       const char *outdir, bool fwlog, bool json)
{
	static const char *const files[] = { "evidence.json", "quote.msg", "quote.sig",
					     "quote.pcrs", "ak.pem", "eventlog.cel", "firmware.bin" };
	json_object *o, *a;
	char s[512], h[16];

	if (gw_pcrsel_format(sel, s, sizeof(s)))
		s[0] = '\0';
	if (!json) {
		printf("quoted %s with the AK at 0x%08x into %s/evidence.json\n", s,
		       ctx->cfg.ak_handle, outdir);
		return;
	}
	snprintf(h, sizeof(h), "0x%08x", ctx->cfg.ak_handle);
	o = json_object_new_object();
	a = json_object_new_array();
	for (size_t i = 0; i < GW_ARRAY_SIZE(files) - (fwlog ? 0 : 1); i++)
		json_object_array_add(a, json_object_new_string(files[i]));
	gw_json_add_str(o, "evidence", "evidence.json");
	gw_json_add_str(o, "dir", outdir);
	json_object_object_add(o, "files", a);
	gw_json_add_str(o, "pcrs", s);
	gw_json_add_str(o, "ak_handle", h);
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
						       JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

int cmd_quote(struct agent_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "nonce", required_argument, NULL, 'n' },
		{ "pcrs", required_argument, NULL, 'p' },
		{ "out", required_argument, NULL, 'o' },
		{ "firmware-log", required_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *nonce_hex = NULL, *sel_str = NULL, *outdir = NULL, *fwpath = NULL;
	struct evidence ev;
	TPML_PCR_SELECTION sel;
	EVP_PKEY *ak = NULL;
	uint8_t *nonce = NULL, *bin = NULL;
	size_t nonce_len = 0, bin_len = 0;
	char *text = NULL, *pem = NULL;
	gw_error err = { { 0 } };
	bool json = false;
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
		case 'j':
			json = true;
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
	rc = sel_str ? gw_pcrsel_parse(sel_str, &sel, &err)
		     : evidence_default_selection(ctx, &sel, &err);
	if (rc) {
		status = agent_report(ctx, rc, &err, "--pcrs");
		goto out;
	}
	rc = gw_mkdir_p(outdir, 0755, &err);
	if (rc) {
		status = agent_report(ctx, rc, &err, "--out");
		goto out;
	}
	rc = evidence_build(ctx, nonce, nonce_len, &sel, fwpath, &ev, &err);
	if (rc) {
		status = agent_report(ctx, rc, &err, "evidence");
		goto out;
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
	print_done(ctx, &sel, outdir, ev.fwlog != NULL, json);
out:
	free(bin);
	free(pem);
	free(text);
	free(nonce);
	EVP_PKEY_free(ak);
	evidence_build_clear(&ev);
	return status;
}
