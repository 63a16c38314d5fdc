// SPDX-License-Identifier: Apache-2.0
// gwverifier check-quote: offline appraisal of a quote, its PCR values and its logs.
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "appraise.h"
#include "cli.h"
#include "counter_nv.h"
#include "dsse.h"
#include "evidence.h"
#include "gwpol.h"
#include "store.h"
#include "tpmdata.h"
#include "util.h"
#include "verdict.h"
#include "verifier.h"

#define MAX_QUOTE_FILE (64u * 1024)

static void usage(FILE *f)
{
	fprintf(f,
		"usage: gwverifier check-quote --ak AK --nonce HEX --message Q.msg --signature Q.sig\n"
		"                              [--pcrs Q.pcrs] [--firmware-log FIRMWARE.bin] [--cel LOG]\n"
		"                              [--select SEL] [--reference GOLDEN.cel] [--json]\n"
		"                              [--allow-unexplained-pcrs]\n"
		"       gwverifier check-quote --ak AK --nonce HEX --evidence FILE\n"
		"                              [--select SEL] [--reference GOLDEN.cel] [--json]\n"
		"                              [--allow-unexplained-pcrs]\n"
		"       ... --policy SIGNED.json --policy-key PUB.pem [--policy-key ...]\n"
		"           [--policy-threshold K]\n\n"
		"Checks, in order: signature by the AK, magic, type, nonce, PCR selection,\n"
		"pcrDigest, firmware event types, replay of the firmware log and of the CEL log\n"
		"against the quoted PCRs in every bank, log coverage (every quoted PCR that\n"
		"is not at its reset value is extended by a log event), failed stages, and\n"
		"(with --reference) each measured stage file against a known-good CEL log.\n"
		"Exit 0 only when all hold; otherwise the exit code names the check\n"
		"(doc/exit-codes.md).\n"
		"With --policy the quote is appraised as the verifier's server does: the\n"
		"checklist, then the signed policy, into the attestation result's claims;\n"
		"exit 23 for warning, 24 for contraindicated when the checklist passed.\n\n"
		"  --ak FILE         the trusted AK public key: PEM, or TPM2B_PUBLIC (whose\n"
		"                    attributes must say restricted, fixedTPM signing key)\n"
		"  --nonce HEX       the nonce the quote must carry\n"
		"  --message FILE    TPMS_ATTEST as signed (tpm2_quote -m)\n"
		"  --signature FILE  TPMT_SIGNATURE (tpm2_quote -s)\n"
		"  --pcrs FILE       PCR values (tpm2_quote -o, serialized format)\n"
		"  --firmware-log FILE\n"
		"                    TCG PC Client firmware event log (--eventlog FILE is\n"
		"                    the same; gwagent quote names it firmware.bin)\n"
		"  --cel FILE        CEL-JSON event log (gwagent's or systemd's)\n"
		"  --evidence FILE   gwagent quote's evidence.json (all of the above in one)\n"
		"  --select SEL      the PCR selection the quote must cover, e.g. sha256:0-7,13\n"
		"  --reference FILE  CEL log of a known-good boot: stage digests must equal it\n"
		"  --json            the checks, replayed PCRs per bank and events as JSON\n"
		"  --allow-unexplained-pcrs  pass, with a warning naming them, when quoted\n"
		"                    PCRs hold measurements no given log explains (a quote\n"
		"                    checked for its signature and PCR values only)\n"
		"  --policy FILE     a signed policy (DSSE envelope, 'gwpolicy sign'); its PCR\n"
		"                    selection is expected unless --select says otherwise\n"
		"  --policy-key FILE a PEM public key trusted to sign policies; repeatable\n"
		"  --policy-threshold K  keys that must have signed (default: all given)\n");
}

struct inputs {
	EVP_PKEY *ak;
	uint8_t *nonce;
	size_t nonce_len;
	uint8_t *attest;
	size_t attest_len;
	TPMT_SIGNATURE sig;
	struct tpmdata_pcrs pcrs;
	bool has_pcrs;
	TPML_PCR_SELECTION sel;
	bool has_sel;
	struct eventlog *fw;
	struct cel_log *cel;
	struct cel_log *ref;
	struct evidence *ev;
	struct counter_certified counters[EVIDENCE_MAX_COUNTERS];
	size_t ncounters; /* verified */
};

/* --policy: the signed policy and what its envelope said. */
struct policy_in {
	const char *path;
	const char *keypaths[DSSE_MAX_KEYS];
	size_t nkeys;
	const char *threshold;
	EVP_PKEY *keys[DSSE_MAX_KEYS];
	size_t nloaded;
	struct gwpol *pol;
	struct verdict_policy_info *info;
	char id[GWPOL_NAME_MAX + 32]; /* "policy:MODEL/VERSION", as the server names it */
};

static void policy_in_fini(struct policy_in *p)
{
	verdict_keys_free(p->keys, p->nloaded);
	gwpol_free(p->pol);
	free(p->info);
}

static void inputs_fini(struct inputs *in)
{
	EVP_PKEY_free(in->ak);
	free(in->nonce);
	free(in->attest);
	eventlog_free(in->fw);
	cel_free(in->cel);
	cel_free(in->ref);
	evidence_free(in->ev);
}

static int load_cel(const char *path, struct cel_log **out, gw_error *err)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	rc = gw_read_file(path, 16u * 1024 * 1024, &buf, &len, err);
	if (!rc)
		rc = cel_parse(buf, len, out, err);
	free(buf);
	if (rc)
		gw_error_prefix(err, "%s: ", path);
	return rc;
}

static int load_fw(const uint8_t *buf, size_t len, const char *what, struct eventlog **out,
		   gw_error *err)
{
	int rc = eventlog_parse(buf, len, out, err);

	if (rc)
		gw_error_prefix(err, "%s: ", what);
	return rc;
}

static const char *status_name(enum appraise_status s)
{
	return s == APPRAISE_PASS ? "pass" : s == APPRAISE_FAIL ? "FAIL" : "skipped";
}

static json_object *pcrs_json(const struct inputs *in, const struct appraise_result *res)
{
	json_object *o = json_object_new_object();
	char hex[2 * GW_MAX_DIGEST + 1];

	for (size_t b = 0; b < in->pcrs.sel.count; b++) {
		const TPMS_PCR_SELECTION *s = &in->pcrs.sel.pcrSelections[b];
		const struct gw_pcr_bank *qb = gw_pcr_set_find(&in->pcrs.values, s->hash);
		const struct gw_pcr_bank *rb = gw_pcr_set_find(&res->replayed, s->hash);
		json_object *bo = json_object_new_object();

		for (unsigned p = 0; p < GW_NUM_PCRS && qb; p++) {
			json_object *po;
			uint32_t bit = 1u << p;
			const char *src = (res->fw_pcrs & bit) && (res->cel_pcrs & bit) ? "both"
					  : res->fw_pcrs & bit			   ? "firmware"
					  : res->cel_pcrs & bit			   ? "cel"
										   : "none";
			char key[4];

			if (!gw_pcrsel_has(s, p))
				continue;
			po = json_object_new_object();
			gw_hex_encode(qb->pcr[p], qb->size, hex);
			json_object_object_add(po, "quoted", json_object_new_string(hex));
			if (rb && strcmp(src, "none")) {
				gw_hex_encode(rb->pcr[p], rb->size, hex);
				json_object_object_add(po, "replayed", json_object_new_string(hex));
				json_object_object_add(po, "match", json_object_new_boolean(
					!memcmp(rb->pcr[p], qb->pcr[p], rb->size)));
			}
			json_object_object_add(po, "log", json_object_new_string(src));
			snprintf(key, sizeof(key), "%u", p);
			json_object_object_add(bo, key, po);
		}
		json_object_object_add(o, gw_alg_by_id(s->hash)->name, bo);
	}
	return o;
}

static json_object *counters_json(const struct inputs *in)
{
	json_object *arr = json_object_new_array();
	char hex[69];

	for (size_t i = 0; i < in->ncounters; i++) {
		const struct counter_certified *c = &in->counters[i];
		json_object *o = json_object_new_object();

		json_object_object_add(o, "channel", json_object_new_string(c->channel));
		json_object_object_add(o, "security_version",
				       json_object_new_int64((int64_t)c->security_version));
		json_object_object_add(o, "value", json_object_new_int64((int64_t)c->value));
		json_object_object_add(o, "baseline", json_object_new_int64((int64_t)c->baseline));
		snprintf(hex, sizeof(hex), "0x%08x", c->counter_index);
		json_object_object_add(o, "counter_index", json_object_new_string(hex));
		snprintf(hex, sizeof(hex), "0x%08x", c->baseline_index);
		json_object_object_add(o, "baseline_index", json_object_new_string(hex));
		gw_hex_encode(c->counter_name, sizeof(c->counter_name), hex);
		json_object_object_add(o, "counter_name", json_object_new_string(hex));
		gw_hex_encode(c->baseline_name, sizeof(c->baseline_name), hex);
		json_object_object_add(o, "baseline_name", json_object_new_string(hex));
		json_object_array_add(arr, o);
	}
	return arr;
}

static void print_json(const struct inputs *in, const struct appraise_result *res, int exitc,
		       const char *verdict, const struct policy_in *pi,
		       const struct gwpol_report *rep)
{
	json_object *o = json_object_new_object(), *checks = json_object_new_array(), *q;
	char hex[2 * sizeof(TPMU_NAME) + 1];

	json_object_object_add(o, "result", json_object_new_string(exitc ? "fail" : "pass"));
	json_object_object_add(o, "exit_code", json_object_new_int(exitc));
	json_object_object_add(o, "message", json_object_new_string(verdict));
	for (int i = 0; i < APPRAISE_COUNT; i++) {
		json_object *c = json_object_new_object();

		json_object_object_add(c, "name", json_object_new_string(appraise_check_name(i)));
		json_object_object_add(c, "status", json_object_new_string(
			res->status[i] == APPRAISE_PASS	  ? "pass"
			: res->status[i] == APPRAISE_FAIL ? "fail"
							  : "skipped"));
		if (res->msg[i][0])
			json_object_object_add(c, "detail", json_object_new_string(res->msg[i]));
		json_object_array_add(checks, c);
	}
	json_object_object_add(o, "checks", checks);
	if (in->has_pcrs && res->status[APPRAISE_PCRDIGEST] == APPRAISE_PASS) {
		json_object *u = json_object_new_array();

		for (unsigned p = 0; u && p < GW_NUM_PCRS; p++)
			if (res->unexplained & (1u << p))
				json_object_array_add(u, json_object_new_int((int)p));
		json_object_object_add(o, "unexplained_pcrs", u);
	}
	if (pi->pol) {
		/* The claims the server's attestation result would carry. */
		json_object *po = json_object_new_object(), *ids = json_object_new_array();

		json_object_object_add(po, "id", json_object_new_string(pi->id));
		json_object_object_add(po, "model", json_object_new_string(pi->pol->model));
		json_object_object_add(po, "version", json_object_new_int64(pi->pol->version));
		for (size_t i = 0; i < pi->info->nsigners; i++)
			json_object_array_add(ids, json_object_new_string(pi->info->signed_by[i]));
		json_object_object_add(po, "signed_by", ids);
		json_object_object_add(o, "policy", po);
		json_object_object_add(o, "status", json_object_new_string(gwpol_report_status(rep)));
		json_object_object_add(o, "trustworthiness_vector", verdict_vector_json(rep));
		json_object_object_add(o, "failed_claims", verdict_failures_json(rep));
	}
	if (res->failure.set) {
		json_object *f = json_object_new_object();

		json_object_object_add(f, "log", json_object_new_string(
			res->failure.in_cel ? "cel" : "firmware"));
		json_object_object_add(f, "event", json_object_new_int64(res->failure.event));
		json_object_object_add(f, "pcr", json_object_new_int((int)res->failure.pcr));
		json_object_object_add(f, "bank", json_object_new_string(
			gw_alg_by_id(res->failure.bank) ? gw_alg_by_id(res->failure.bank)->name : "?"));
		json_object_object_add(o, "failure", f);
	}
	if (res->quote.parsed) {
		const TPMS_ATTEST *a = &res->quote.attest;
		char sel[512];

		q = json_object_new_object();
		json_object_object_add(q, "clock", json_object_new_int64((int64_t)a->clockInfo.clock));
		json_object_object_add(q, "reset_count", json_object_new_int64(a->clockInfo.resetCount));
		json_object_object_add(q, "restart_count",
				       json_object_new_int64(a->clockInfo.restartCount));
		json_object_object_add(q, "safe", json_object_new_boolean(a->clockInfo.safe));
		snprintf(hex, sizeof(hex), "0x%016llx", (unsigned long long)a->firmwareVersion);
		json_object_object_add(q, "firmware_version", json_object_new_string(hex));
		gw_hex_encode(a->qualifiedSigner.name,
			      a->qualifiedSigner.size <= sizeof(a->qualifiedSigner.name)
				      ? a->qualifiedSigner.size : 0, hex);
		json_object_object_add(q, "qualified_signer", json_object_new_string(hex));
		if (!gw_pcrsel_format(&a->attested.quote.pcrSelect, sel, sizeof(sel)))
			json_object_object_add(q, "pcr_selection", json_object_new_string(sel));
		json_object_object_add(o, "quote", q);
	}
	if (in->has_pcrs && res->status[APPRAISE_PCRDIGEST] == APPRAISE_PASS)
		json_object_object_add(o, "pcrs", pcrs_json(in, res));
	if (in->ncounters)
		json_object_object_add(o, "counters", counters_json(in));
	if (in->fw) {
		json_object *ev = NULL;

		if (!eventlog_events_json(in->fw, &ev))
			json_object_object_add(o, "firmware_events", ev);
	}
	if (in->cel) {
		json_object *ev = NULL;

		if (!cel_records_json(in->cel, &ev))
			json_object_object_add(o, "cel_events", ev);
	}
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
						       JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

static void print_text(const struct inputs *in, const struct appraise_result *res,
		       const char *verdict, const struct policy_in *pi,
		       const struct gwpol_report *rep)
{
	printf("%s\n", verdict);
	for (int i = 0; i < APPRAISE_COUNT; i++) {
		if (res->status[i] == APPRAISE_SKIPPED && !res->msg[i][0])
			continue;
		printf("  %-21s %-7s %s\n", appraise_check_name(i), status_name(res->status[i]),
		       res->msg[i]);
	}
	if (pi->pol) {
		printf("  policy: %s, signed by %zu key%s\n", pi->id, pi->info->nsigners,
		       pi->info->nsigners == 1 ? "" : "s");
		printf("  status: %s\n", gwpol_report_status(rep));
		printf("  trustworthiness:");
		for (int c = 0; c < GWPOL_CLAIM_COUNT; c++)
			printf(" %s=%d", gwpol_claim_name(c), gwpol_report_claim_tier(rep, c));
		printf("\n");
		for (size_t i = 0; i < rep->n; i++)
			printf("  failed claim: %s %s %s: %s\n", gwpol_claim_name(rep->f[i].claim),
			       rep->f[i].tier >= GWPOL_TIER_CONTRAINDICATED ? "contraindicated"
									   : "warning",
			       rep->f[i].rule, rep->f[i].msg);
		if (rep->dropped)
			printf("  ... and %zu more failed claims\n", rep->dropped);
	}
	if (res->quote.parsed) {
		const TPMS_ATTEST *a = &res->quote.attest;

		printf("  quote: resetCount %u, restartCount %u, clock %llu ms, TPM firmware "
		       "0x%016llx\n",
		       a->clockInfo.resetCount, a->clockInfo.restartCount,
		       (unsigned long long)a->clockInfo.clock,
		       (unsigned long long)a->firmwareVersion);
	}
	for (size_t i = 0; i < in->ncounters; i++)
		printf("  counter %s: security version %llu (counter 0x%08x = %llu, baseline "
		       "0x%08x = %llu)\n",
		       in->counters[i].channel,
		       (unsigned long long)in->counters[i].security_version,
		       in->counters[i].counter_index, (unsigned long long)in->counters[i].value,
		       in->counters[i].baseline_index,
		       (unsigned long long)in->counters[i].baseline);
}

static int load_inputs(struct inputs *in, const char *const paths[], const char *nonce,
		       const char *sel, gw_error *err, const char **what)
{
	enum { AK, MSG, SIG, PCRS, FW, CEL, EVID, REF };
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	*what = "--ak";
	if ((rc = tpmdata_ak_load(paths[AK], &in->ak, err)))
		return rc;
	*what = "--nonce";
	if ((rc = gw_hex_decode(nonce, &in->nonce, &in->nonce_len, err)))
		return rc;
	if (sel) {
		*what = "--select";
		if ((rc = gw_pcrsel_parse(sel, &in->sel, err)))
			return rc;
		in->has_sel = true;
	}
	if (paths[REF]) {
		*what = "--reference";
		if ((rc = load_cel(paths[REF], &in->ref, err)))
			return rc;
	}
	if (paths[EVID]) {
		*what = "--evidence";
		rc = gw_read_file(paths[EVID], EVIDENCE_MAX_SIZE, &buf, &len, err);
		if (!rc)
			rc = evidence_parse(buf, len, &in->ev, err);
		free(buf);
		if (rc)
			return rc;
		in->attest = malloc(in->ev->attest_len ? in->ev->attest_len : 1);
		if (!in->attest)
			return GW_E_NOMEM;
		memcpy(in->attest, in->ev->attest, in->ev->attest_len);
		in->attest_len = in->ev->attest_len;
		in->sig = in->ev->sig;
		in->pcrs = in->ev->pcrs;
		in->has_pcrs = true;
		*what = "evidence firmware log";
		if (in->ev->fwlog &&
		    (rc = load_fw(in->ev->fwlog, in->ev->fwlog_len, "firmware log", &in->fw, err)))
			return rc;
		*what = "evidence CEL log";
		if (in->ev->cel && (rc = cel_parse(in->ev->cel, in->ev->cel_len, &in->cel, err)))
			return rc;
		return 0;
	}
	*what = "--message";
	if ((rc = gw_read_file(paths[MSG], MAX_QUOTE_FILE, &in->attest, &in->attest_len, err)))
		return rc;
	*what = "--signature";
	rc = gw_read_file(paths[SIG], MAX_QUOTE_FILE, &buf, &len, err);
	if (!rc)
		rc = tpmdata_signature_unmarshal(buf, len, &in->sig, err);
	free(buf);
	buf = NULL;
	if (rc)
		return rc;
	if (paths[PCRS]) {
		*what = "--pcrs";
		rc = gw_read_file(paths[PCRS], MAX_QUOTE_FILE, &buf, &len, err);
		if (!rc)
			rc = tpmdata_pcrs_file_parse(buf, len, &in->pcrs, err);
		free(buf);
		buf = NULL;
		if (rc)
			return rc;
		in->has_pcrs = true;
	}
	if (paths[FW]) {
		*what = "--firmware-log";
		rc = gw_read_file(paths[FW], EVENTLOG_MAX_LEN, &buf, &len, err);
		if (!rc)
			rc = load_fw(buf, len, paths[FW], &in->fw, err);
		free(buf);
		if (rc)
			return rc;
	}
	if (paths[CEL]) {
		*what = "--cel";
		if ((rc = load_cel(paths[CEL], &in->cel, err)))
			return rc;
	}
	return 0;
}

/* --policy: load the keys, verify the envelope, parse the policy. Prints what
 * failed; returns the exit code. */
static int load_policy(const struct verifier_ctx *ctx, struct policy_in *pi)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	uint64_t k = pi->nkeys;
	gw_error err = { { 0 } };
	int rc, exitc = GW_EXIT_OK;

	if (pi->threshold && (gw_parse_u64(pi->threshold, pi->nkeys, &k) || k == 0)) {
		verifier_errorf(ctx, "--policy-threshold %s: not between 1 and the %zu keys given",
				pi->threshold, pi->nkeys);
		return GW_EXIT_USAGE;
	}
	rc = verdict_keys_load((char *const *)pi->keypaths, pi->nkeys, pi->keys, &err);
	if (rc) {
		verifier_errorf(ctx, "--policy-key: %s", gw_error_msg(&err, rc));
		return rc == GW_E_NOTFOUND || rc == GW_E_IO ? GW_EXIT_ERROR : GW_EXIT_EVIDENCE;
	}
	pi->nloaded = pi->nkeys;
	pi->info = calloc(1, sizeof(*pi->info));
	if (!pi->info)
		return GW_EXIT_ERROR;
	rc = gw_read_file(pi->path, STORE_POLICY_MAX, &buf, &len, &err);
	if (rc) {
		verifier_errorf(ctx, "--policy: %s", gw_error_msg(&err, rc));
		return rc == GW_E_TOOBIG ? GW_EXIT_EVIDENCE : GW_EXIT_ERROR;
	}
	rc = verdict_load_policy((const char *)buf, len, pi->keys, pi->nkeys, (size_t)k, &pi->pol,
				 pi->info, &err);
	if (rc) {
		if (!pi->info->diags.n)
			verifier_errorf(ctx, "--policy %s: %s", pi->path, gw_error_msg(&err, rc));
		for (size_t i = 0; i < pi->info->diags.n; i++)
			verifier_errorf(ctx, "%s: %s: %s", pi->path, pi->info->diags.d[i].path,
					pi->info->diags.d[i].msg);
		exitc = rc == GW_E_NOMEM ? GW_EXIT_ERROR : gw_exit_for(rc);
	} else {
		snprintf(pi->id, sizeof(pi->id), "policy:%s/%u", pi->pol->model,
			 (unsigned)pi->pol->version);
	}
	free(buf);
	return exitc;
}

int cmd_check_quote(struct verifier_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ak", required_argument, NULL, 'a' },
		{ "message", required_argument, NULL, 'm' },
		{ "signature", required_argument, NULL, 's' },
		{ "pcrs", required_argument, NULL, 'p' },
		{ "firmware-log", required_argument, NULL, 'e' },
		{ "eventlog", required_argument, NULL, 'e' },
		{ "cel", required_argument, NULL, 'c' },
		{ "evidence", required_argument, NULL, 'E' },
		{ "reference", required_argument, NULL, 'r' },
		{ "nonce", required_argument, NULL, 'n' },
		{ "select", required_argument, NULL, 'l' },
		{ "json", no_argument, NULL, 'j' },
		{ "policy", required_argument, NULL, 'P' },
		{ "policy-key", required_argument, NULL, 'K' },
		{ "policy-threshold", required_argument, NULL, 'T' },
		{ "allow-unexplained-pcrs", no_argument, NULL, 'U' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *paths[8] = { NULL };
	const char *nonce = NULL, *sel = NULL, *what = "";
	bool json = false, allow_unexplained = false;
	struct inputs in;
	struct policy_in pi;
	struct appraise_result *res = NULL;
	struct gwpol_report *rep = NULL;
	gw_error err = { { 0 } };
	char verdict[1100];
	int c, rc, exitc;

	memset(&pi, 0, sizeof(pi));
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'a': paths[0] = optarg; break;
		case 'm': paths[1] = optarg; break;
		case 's': paths[2] = optarg; break;
		case 'p': paths[3] = optarg; break;
		case 'e': paths[4] = optarg; break;
		case 'c': paths[5] = optarg; break;
		case 'E': paths[6] = optarg; break;
		case 'r': paths[7] = optarg; break;
		case 'n': nonce = optarg; break;
		case 'l': sel = optarg; break;
		case 'j': json = true; break;
		case 'U': allow_unexplained = true; break;
		case 'P': pi.path = optarg; break;
		case 'T': pi.threshold = optarg; break;
		case 'K':
			if (pi.nkeys == DSSE_MAX_KEYS) {
				verifier_errorf(ctx, "at most %u --policy-key", DSSE_MAX_KEYS);
				return GW_EXIT_USAGE;
			}
			pi.keypaths[pi.nkeys++] = optarg;
			break;
		case 'h':
			usage(stdout);
			return GW_EXIT_OK;
		default:
			usage(stderr);
			return GW_EXIT_USAGE;
		}
	}
	if (optind != argc || !paths[0] || !nonce ||
	    (paths[6] ? (paths[1] || paths[2] || paths[3] || paths[4] || paths[5])
		      : (!paths[1] || !paths[2]))) {
		verifier_errorf(ctx, "give --ak, --nonce and either --evidence or --message and "
				     "--signature (not both)");
		usage(stderr);
		return GW_EXIT_USAGE;
	}
	if (!paths[6] && !paths[3] && (paths[4] || paths[5])) {
		verifier_errorf(ctx, "replaying --firmware-log or --cel needs the quoted PCR values "
				     "(--pcrs)");
		return GW_EXIT_USAGE;
	}
	if (paths[7] && !paths[5] && !paths[6]) {
		verifier_errorf(ctx, "--reference needs a CEL log (--cel or --evidence)");
		return GW_EXIT_USAGE;
	}
	if ((pi.path && !pi.nkeys) || (!pi.path && (pi.nkeys || pi.threshold))) {
		verifier_errorf(ctx, "--policy needs at least one --policy-key (and the keys and "
				     "--policy-threshold need --policy)");
		return GW_EXIT_USAGE;
	}
	if (pi.path && !paths[6] && !paths[3]) {
		/* The server always has the PCR values, and its coverage rule needs them. */
		verifier_errorf(ctx, "--policy appraises as the server does, which needs the "
				     "quoted PCR values (--evidence, or --pcrs)");
		return GW_EXIT_USAGE;
	}
	if (pi.path && allow_unexplained) {
		verifier_errorf(ctx, "--allow-unexplained-pcrs does not go with --policy: the "
				     "server never allows a quoted PCR that no log explains");
		return GW_EXIT_USAGE;
	}
	memset(&in, 0, sizeof(in));
	if (pi.path) {
		exitc = load_policy(ctx, &pi);
		if (exitc) {
			policy_in_fini(&pi);
			return exitc;
		}
	}
	rc = load_inputs(&in, paths, nonce, sel, &err, &what);
	if (rc) {
		verifier_errorf(ctx, "%s: %s", what, gw_error_msg(&err, rc));
		exitc = rc == GW_E_NOTFOUND || rc == GW_E_IO ? GW_EXIT_ERROR : GW_EXIT_EVIDENCE;
		if (!strcmp(what, "--nonce") || !strcmp(what, "--select"))
			exitc = GW_EXIT_USAGE;
		inputs_fini(&in);
		policy_in_fini(&pi);
		return exitc;
	}
	/* The server asks for the policy's selection and requires exactly it. */
	if (pi.pol && !in.has_sel) {
		gwpol_selection(pi.pol, &in.sel);
		in.has_sel = true;
	}
	res = calloc(1, sizeof(*res));
	rep = calloc(1, sizeof(*rep));
	if (!res || !rep) {
		free(res);
		free(rep);
		inputs_fini(&in);
		policy_in_fini(&pi);
		return GW_EXIT_ERROR;
	}
	{
		/* As the server appraises: every quoted PCR must be explained by a log
		 * or be at its reset value, unless the user said otherwise. */
		struct appraise_input ai = {
			.ak = in.ak,
			.attest = in.attest,
			.attest_len = in.attest_len,
			.sig = &in.sig,
			.nonce = in.nonce,
			.nonce_len = in.nonce_len,
			.expect_sel = in.has_sel ? &in.sel : NULL,
			.pcrs = in.has_pcrs ? &in.pcrs : NULL,
			.fwlog = in.fw,
			.cel = in.cel,
			.reference = in.ref,
			.require_coverage = !allow_unexplained,
		};

		rc = verdict_appraise(&ai, pi.pol, NULL, cli_now(), res, rep, &err);
	}
	/* The certified counters: believed only when they verify as the quote did. */
	if (!rc && in.ev && in.ev->ncounters) {
		rc = evidence_counters_verify(in.ev, in.ak, in.nonce, in.nonce_len, in.counters,
					      &err);
		if (!rc)
			in.ncounters = in.ev->ncounters;
		else
			gw_error_prefix(&err, "anti-rollback counters: ");
	}
	exitc = gw_exit_for(rc);
	if (rc && exitc < GW_EXIT_SIGNATURE && rc != GW_E_STAGE)
		exitc = GW_EXIT_ERROR;
	/* a counter that is not ours, or certifies something else, is bad evidence */
	if (in.ncounters != (in.ev ? in.ev->ncounters : 0) && (rc == GW_E_STATE || rc == GW_E_PARSE))
		exitc = GW_EXIT_EVIDENCE;
	if (rc) {
		snprintf(verdict, sizeof(verdict), "FAIL: %s", gw_error_msg(&err, rc));
	} else if (pi.pol && strcmp(gwpol_report_status(rep), "affirming")) {
		const char *st = gwpol_report_status(rep);

		exitc = !strcmp(st, "warning") ? GW_EXIT_WARNING : GW_EXIT_CONTRAINDICATED;
		snprintf(verdict, sizeof(verdict), "FAIL: %s: %s (%zu failed claim%s)", pi.id, st,
			 rep->n + rep->dropped, rep->n + rep->dropped == 1 ? "" : "s");
	} else if (pi.pol) {
		snprintf(verdict, sizeof(verdict), "PASS: quote and logs verified, %s affirming",
			 pi.id);
	} else if (!in.has_pcrs) {
		snprintf(verdict, sizeof(verdict), "PASS: quote verified; no PCR values were given "
						   "(--pcrs), so what the PCRs hold was not checked");
	} else if (res->unexplained) {
		char why[600];

		/* Cut short, the text still names the first PCRs. */
		if (appraise_unexplained_describe(res, why, sizeof(why)) && !why[0])
			snprintf(why, sizeof(why), "quoted PCRs that no event log explains");
		snprintf(verdict, sizeof(verdict), "PASS: quote and logs verified; WARNING: %s "
						   "(allowed by --allow-unexplained-pcrs)", why);
	} else {
		snprintf(verdict, sizeof(verdict), "PASS: quote and logs verified");
	}
	if (json)
		print_json(&in, res, exitc, verdict, &pi, rep);
	else
		print_text(&in, res, verdict, &pi, rep);
	free(res);
	free(rep);
	inputs_fini(&in);
	policy_in_fini(&pi);
	return exitc;
}
