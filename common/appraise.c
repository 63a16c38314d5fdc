// SPDX-License-Identifier: Apache-2.0
// Appraisal without policy: quote checks, stepwise log replay that names the first
// event where a PCR goes wrong, failed stages, and reference stage digests.
#include "appraise.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static const char *const check_names[APPRAISE_COUNT] = {
	[APPRAISE_SIGNATURE] = "signature",
	[APPRAISE_MAGIC] = "magic",
	[APPRAISE_TYPE] = "type",
	[APPRAISE_NONCE] = "nonce",
	[APPRAISE_PCRSEL] = "pcr-selection",
	[APPRAISE_PCRDIGEST] = "pcr-digest",
	[APPRAISE_FW_EVENT_TYPES] = "firmware-event-types",
	[APPRAISE_FW_REPLAY] = "firmware-log-replay",
	[APPRAISE_CEL_REPLAY] = "cel-log-replay",
	[APPRAISE_COVERAGE] = "log-coverage",
	[APPRAISE_STAGES] = "stages",
	[APPRAISE_REFERENCE] = "reference",
};

const char *appraise_check_name(enum appraise_check c)
{
	return c < APPRAISE_COUNT ? check_names[c] : "?";
}

static void set_check(struct appraise_result *res, enum appraise_check c, int rc,
		      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void set_check(struct appraise_result *res, enum appraise_check c, int rc,
		      const char *fmt, ...)
{
	va_list ap;

	res->status[c] = rc ? APPRAISE_FAIL : APPRAISE_PASS;
	res->code[c] = rc;
	va_start(ap, fmt);
	vsnprintf(res->msg[c], sizeof(res->msg[c]), fmt, ap);
	va_end(ap);
}

/* One step of the combined replay: a firmware event or a CEL record. */
struct step {
	bool cel;
	size_t idx;
	unsigned pcr;
};

/* Per quoted (bank, PCR): the last step after which the replayed value equalled the
 * quoted one; -1 for the start value, -2 for never. */
struct tracker {
	long last_match[GW_MAX_BANKS][GW_NUM_PCRS];
};

static void describe_step(const struct appraise_input *in, const struct step *s, char *buf,
			  size_t len)
{
	if (s->cel) {
		cel_record_describe(&in->cel->rec[s->idx], buf, len);
		return;
	}
	{
		const struct eventlog_event *ev = &in->fwlog->events[s->idx];
		const char *name = eventlog_type_name(ev->type);

		if (name)
			snprintf(buf, len, "firmware event %u (%s)", ev->num, name);
		else
			snprintf(buf, len, "firmware event %u (type 0x%08x)", ev->num, ev->type);
	}
}

static void track(const struct appraise_input *in, const struct gw_pcr_set *set,
		  struct tracker *t, long step, unsigned only_pcr)
{
	const TPML_PCR_SELECTION *sel = &in->pcrs->sel;

	for (size_t b = 0; b < sel->count; b++) {
		const TPMS_PCR_SELECTION *s = &sel->pcrSelections[b];
		const struct gw_pcr_bank *rb = gw_pcr_set_find(set, s->hash);
		const struct gw_pcr_bank *qb = gw_pcr_set_find(&in->pcrs->values, s->hash);

		if (!rb || !qb)
			continue;
		for (unsigned p = 0; p < GW_NUM_PCRS; p++) {
			if (!gw_pcrsel_has(s, p) || (only_pcr < GW_NUM_PCRS && p != only_pcr))
				continue;
			if (!memcmp(rb->pcr[p], qb->pcr[p], rb->size))
				t->last_match[b][p] = step;
		}
	}
}

static int run_steps(const struct appraise_input *in, struct appraise_result *res,
		     struct step *steps, size_t nsteps, struct tracker *t, gw_error *err)
{
	for (size_t i = 0; i < nsteps; i++) {
		int rc;

		if (steps[i].cel)
			rc = cel_record_extend(&in->cel->rec[steps[i].idx], &res->replayed, err);
		else
			rc = eventlog_extend_event(in->fwlog, &in->fwlog->events[steps[i].idx],
						   &res->replayed, err);
		if (rc)
			return rc;
		track(in, &res->replayed, t, (long)i, steps[i].pcr);
	}
	return 0;
}

/* For a mismatched PCR, the first step after its last match that extends it. */
static long first_bad_step(const struct step *steps, size_t nsteps, long last_match,
			   unsigned pcr)
{
	for (size_t i = (size_t)(last_match + 1); i < nsteps; i++)
		if (steps[i].pcr == pcr)
			return (long)i;
	return -1;
}

static void compare(const struct appraise_input *in, struct appraise_result *res,
		    const struct step *steps, size_t nsteps, const struct tracker *t)
{
	const TPML_PCR_SELECTION *sel = &in->pcrs->sel;
	long worst = -1;
	size_t wb = 0;
	unsigned wp = 0;
	bool any = false;
	size_t order[TPM2_NUM_PCR_BANKS], n = 0;

	/* Name SHA-256 first when several banks disagree at the same event. */
	for (size_t b = 0; b < sel->count && b < TPM2_NUM_PCR_BANKS; b++)
		if (sel->pcrSelections[b].hash == TPM2_ALG_SHA256)
			order[n++] = b;
	for (size_t b = 0; b < sel->count && b < TPM2_NUM_PCR_BANKS; b++)
		if (sel->pcrSelections[b].hash != TPM2_ALG_SHA256)
			order[n++] = b;
	for (size_t oi = 0; oi < n; oi++) {
		size_t b = order[oi];
		const TPMS_PCR_SELECTION *s = &sel->pcrSelections[b];
		const struct gw_pcr_bank *rb = gw_pcr_set_find(&res->replayed, s->hash);
		const struct gw_pcr_bank *qb = gw_pcr_set_find(&in->pcrs->values, s->hash);

		if (!rb || !qb)
			continue;
		for (unsigned p = 0; p < GW_NUM_PCRS; p++) {
			long bad;

			if (!gw_pcrsel_has(s, p) || !((res->fw_pcrs | res->cel_pcrs) & (1u << p)))
				continue;
			if (!memcmp(rb->pcr[p], qb->pcr[p], rb->size))
				continue;
			bad = t->last_match[b][p] == -2 ? first_bad_step(steps, nsteps, -1, p)
							: first_bad_step(steps, nsteps,
									 t->last_match[b][p], p);
			if (!any || (bad >= 0 && (worst < 0 || bad < worst))) {
				worst = bad;
				wb = b;
				wp = p;
			}
			any = true;
		}
	}
	if (!any) {
		if (in->fwlog && res->status[APPRAISE_FW_REPLAY] == APPRAISE_SKIPPED)
			set_check(res, APPRAISE_FW_REPLAY, 0, "%zu events replay to the quoted PCRs",
				  in->fwlog->nevents);
		if (in->cel && res->status[APPRAISE_CEL_REPLAY] == APPRAISE_SKIPPED)
			set_check(res, APPRAISE_CEL_REPLAY, 0, "%zu records replay to the quoted PCRs",
				  in->cel->n);
		return;
	}
	{
		const struct gw_alg *a = gw_alg_by_id(sel->pcrSelections[wb].hash);
		const struct step *st = worst >= 0 ? &steps[worst] : NULL;
		bool matched_prefix = t->last_match[wb][wp] != -2;
		enum appraise_check c = st && st->cel ? APPRAISE_CEL_REPLAY : APPRAISE_FW_REPLAY;
		char what[300] = "";

		if (!st && !(res->fw_pcrs & (1u << wp)))
			c = APPRAISE_CEL_REPLAY;
		if (st)
			describe_step(in, st, what, sizeof(what));
		res->failure.set = true;
		res->failure.in_cel = c == APPRAISE_CEL_REPLAY;
		res->failure.event = st ? (long)(st->cel ? in->cel->rec[st->idx].recnum
							 : in->fwlog->events[st->idx].num)
					: -1;
		res->failure.pcr = wp;
		res->failure.bank = a->id;
		if (matched_prefix && st)
			set_check(res, c, c == APPRAISE_CEL_REPLAY ? GW_E_CEL : GW_E_FWLOG,
				  "PCR %u (%s): the quote matches the log only before %s: it and "
				  "what follows on this PCR are logged but not in the TPM",
				  wp, a->name, what);
		else if (st)
			set_check(res, c, c == APPRAISE_CEL_REPLAY ? GW_E_CEL : GW_E_FWLOG,
				  "PCR %u (%s): replay does not reach the quoted value at any event "
				  "from %s on: the log was altered, reordered or truncated",
				  wp, a->name, what);
		else
			set_check(res, c, c == APPRAISE_CEL_REPLAY ? GW_E_CEL : GW_E_FWLOG,
				  "PCR %u (%s): the quoted value is not what the log replays to",
				  wp, a->name);
	}
	/* The other log, if it was not the one at fault, passed. */
	if (in->fwlog && res->status[APPRAISE_FW_REPLAY] == APPRAISE_SKIPPED)
		set_check(res, APPRAISE_FW_REPLAY, 0, "%zu events replay to the quoted PCRs",
			  in->fwlog->nevents);
	if (in->cel && res->status[APPRAISE_CEL_REPLAY] == APPRAISE_SKIPPED)
		set_check(res, APPRAISE_CEL_REPLAY, 0, "%zu records replay to the quoted PCRs",
			  in->cel->n);
}

static int replay(const struct appraise_input *in, struct appraise_result *res, gw_error *err)
{
	struct step *steps = NULL;
	struct tracker *t = NULL;
	size_t nsteps = 0, cap;
	int rc = 0;

	cap = (in->fwlog ? in->fwlog->nevents : 0) + (in->cel ? in->cel->n : 0);
	steps = calloc(cap ? cap : 1, sizeof(*steps));
	t = malloc(sizeof(*t));
	if (!steps || !t) {
		rc = GW_E_NOMEM;
		goto out;
	}
	for (size_t b = 0; b < GW_MAX_BANKS; b++)
		for (size_t p = 0; p < GW_NUM_PCRS; p++)
			t->last_match[b][p] = -2;
	memset(&res->replayed, 0, sizeof(res->replayed));
	if (in->fwlog) {
		/* A TPM extends every active bank: a quoted bank that some firmware events
		 * carry no digest for cannot be replayed, and must not be skipped. */
		for (size_t b = 0; b < in->pcrs->sel.count; b++) {
			uint16_t alg = in->pcrs->sel.pcrSelections[b].hash;
			bool listed = false, complete = false;

			for (size_t k = 0; k < in->fwlog->nalgs; k++)
				if (in->fwlog->algs[k] == alg) {
					listed = true;
					complete = !in->fwlog->alg_incomplete[k];
				}
			if (!listed || !complete)
				set_check(res, APPRAISE_FW_REPLAY, GW_E_FWLOG,
					  "the firmware log %s %s digests, but the quote covers that "
					  "bank: a TPM extends every active bank",
					  listed ? "lacks some" : "has no",
					  gw_alg_by_id(alg) ? gw_alg_by_id(alg)->name : "?");
		}
		rc = eventlog_replay_init(in->fwlog, &res->replayed, err);
		if (rc)
			goto out;
		for (size_t i = 0; i < in->fwlog->nevents; i++) {
			const struct eventlog_event *ev = &in->fwlog->events[i];

			if (ev->type == EV_NO_ACTION)
				continue;
			steps[nsteps++] = (struct step){ false, i, ev->pcr };
			res->fw_pcrs |= 1u << ev->pcr;
		}
	}
	/* The tracker is indexed by selection entry: a bank listed twice must not take
	 * the count past it. */
	if (in->pcrs->sel.count > GW_MAX_BANKS) {
		rc = gw_fail(err, GW_E_UNSUPPORTED, "%u PCR selection entries, at most %d",
			     in->pcrs->sel.count, GW_MAX_BANKS);
		goto out;
	}
	/* Every quoted bank is replayed; CEL records must carry a digest for each. */
	for (size_t b = 0; b < in->pcrs->sel.count; b++)
		if (!gw_pcr_set_bank(&res->replayed, in->pcrs->sel.pcrSelections[b].hash)) {
			rc = gw_fail(err, GW_E_UNSUPPORTED, "too many PCR banks");
			goto out;
		}
	if (in->cel) {
		for (size_t i = 0; i < in->cel->n; i++) {
			steps[nsteps++] = (struct step){ true, i, in->cel->rec[i].pcr };
			res->cel_pcrs |= 1u << in->cel->rec[i].pcr;
		}
	}
	track(in, &res->replayed, t, -1, GW_NUM_PCRS);
	rc = run_steps(in, res, steps, nsteps, t, err);
	if (rc) {
		/* A record that cannot be replayed at all (e.g. lacks a bank's digest). */
		set_check(res, in->cel && rc == GW_E_CEL ? APPRAISE_CEL_REPLAY : APPRAISE_FW_REPLAY,
			  rc == GW_E_CEL ? GW_E_CEL : GW_E_FWLOG, "%s", gw_error_msg(err, rc));
		rc = 0;
		goto out;
	}
	compare(in, res, steps, nsteps, t);
out:
	free(t);
	free(steps);
	return rc;
}

/* The value a PCR holds after TPM2_Startup (PC Client Platform TPM Profile): zero,
 * except PCR 0, which may hold the startup locality (0..4) in its last byte, and
 * the D-RTM PCRs 17..22, which start all-ones until a dynamic launch. */
static bool reset_value(const uint8_t *v, size_t size, unsigned pcr)
{
	uint8_t fill = pcr >= 17 && pcr <= 22 ? 0xff : 0x00;

	for (size_t i = 0; i + 1 < size; i++)
		if (v[i] != fill)
			return false;
	return v[size - 1] == fill || (pcr == 0 && v[size - 1] <= 4);
}

/* Quoted PCRs, in any bank, that hold something other than their reset value while
 * no log event extends them: into res->unexplained, with the banks concerned. */
static void find_unexplained(const struct appraise_input *in, struct appraise_result *res)
{
	const TPML_PCR_SELECTION *sel = &in->pcrs->sel;

	for (size_t b = 0; b < sel->count; b++) {
		const TPMS_PCR_SELECTION *s = &sel->pcrSelections[b];
		const struct gw_pcr_bank *qb = gw_pcr_set_find(&in->pcrs->values, s->hash);

		for (unsigned p = 0; qb && p < GW_NUM_PCRS; p++) {
			if (!gw_pcrsel_has(s, p) || ((res->fw_pcrs | res->cel_pcrs) & (1u << p)) ||
			    reset_value(qb->pcr[p], qb->size, p))
				continue;
			res->unexplained |= 1u << p;
			for (size_t k = 0; k < res->n_unexplained_banks; k++)
				if (res->unexplained_banks[k] == s->hash)
					goto next;
			if (res->n_unexplained_banks < GW_MAX_BANKS)
				res->unexplained_banks[res->n_unexplained_banks++] = s->hash;
next:;
		}
	}
}

static int addf(char *buf, size_t len, size_t *off, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int addf(char *buf, size_t len, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*off >= len)
		return GW_E_TOOBIG;
	va_start(ap, fmt);
	n = vsnprintf(buf + *off, len - *off, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len - *off)
		return GW_E_TOOBIG;
	*off += (size_t)n;
	return 0;
}

int appraise_unexplained_describe(const struct appraise_result *res, char *buf, size_t len)
{
	size_t off = 0, n = 0;
	int rc;

	if (!len)
		return GW_E_TOOBIG;
	buf[0] = '\0';
	for (unsigned p = 0; p < GW_NUM_PCRS; p++)
		n += (res->unexplained >> p) & 1u;
	if (!n)
		return 0;
	rc = addf(buf, len, &off, "PCR%s", n > 1 ? "s" : "");
	for (unsigned p = 0, i = 0; !rc && p < GW_NUM_PCRS; p++)
		if (res->unexplained & (1u << p))
			rc = addf(buf, len, &off, "%s%u", i++ ? ", " : " ", p);
	for (size_t k = 0; !rc && k < res->n_unexplained_banks; k++) {
		const struct gw_alg *a = gw_alg_by_id(res->unexplained_banks[k]);

		rc = addf(buf, len, &off, "%s%s", k ? ", " : " (", a ? a->name : "?");
	}
	if (!rc && res->n_unexplained_banks)
		rc = addf(buf, len, &off, ")");
	if (!rc)
		rc = addf(buf, len, &off, " %s measurements that no event log explains: the "
					  "quoted value is not the reset value and no log event "
					  "extends %s",
			  n > 1 ? "hold" : "holds", n > 1 ? "them" : "it");
	return rc;
}

/* The text for res->unexplained. Cut short when why is too small, it still names
 * the first PCRs; a text that could not start at all is replaced by a general one. */
static void unexplained_text(const struct appraise_result *res, char *why, size_t len)
{
	if (appraise_unexplained_describe(res, why, len) && len && !why[0])
		snprintf(why, len, "quoted PCRs that no event log explains");
}

/* A CEL record on a PCR outside the quote is not authenticated by anything; a
 * quoted PCR that no log explains hides measurements. */
static void check_coverage(const struct appraise_input *in, struct appraise_result *res)
{
	const TPML_PCR_SELECTION *sel = &in->pcrs->sel;
	char why[600];

	find_unexplained(in, res);
	for (size_t i = 0; in->cel && i < in->cel->n; i++) {
		const struct cel_record *r = &in->cel->rec[i];
		bool quoted = sel->count > 0;

		for (size_t b = 0; b < sel->count; b++)
			quoted = quoted && gw_pcrsel_has(&sel->pcrSelections[b], r->pcr);
		if (!quoted) {
			char d[300];

			cel_record_describe(r, d, sizeof(d));
			set_check(res, APPRAISE_COVERAGE, GW_E_CEL,
				  "%s extends PCR %u, which the quote does not cover in every bank: "
				  "nothing authenticates it",
				  d, r->pcr);
			return;
		}
	}
	if (in->require_coverage && res->unexplained) {
		/* Named after the lowest such PCR: a firmware PCR wants the firmware log. */
		bool fw = (res->unexplained & 0xffu) != 0;

		unexplained_text(res, why, sizeof(why));
		set_check(res, APPRAISE_COVERAGE, fw ? GW_E_FWLOG : GW_E_CEL, "%s%s", why,
			  fw && !in->fwlog ? " (no firmware event log was sent)"
			  : !fw && !in->cel ? " (no CEL event log was sent)" : "");
		return;
	}
	if (res->unexplained) {
		unexplained_text(res, why, sizeof(why));
		set_check(res, APPRAISE_COVERAGE, 0,
			  "every log record extends a quoted PCR; not required here: %s", why);
	} else {
		set_check(res, APPRAISE_COVERAGE, 0, "every log record extends a quoted PCR%s",
			  in->require_coverage
				  ? "; every quoted PCR is explained or at its reset value"
				  : "");
	}
}

static void check_stages(const struct appraise_input *in, struct appraise_result *res)
{
	size_t n = 0;

	for (size_t i = 0; i < in->cel->n; i++) {
		const struct cel_record *r = &in->cel->rec[i];

		if (r->event_type && !strcmp(r->event_type, "stage-failed")) {
			char d[300];

			cel_record_describe(r, d, sizeof(d));
			set_check(res, APPRAISE_STAGES, GW_E_STAGE, "stage %s failed to measure: %s",
				  r->stage ? r->stage : "?", d);
			return;
		}
		if (r->event_type && !strcmp(r->event_type, "stage"))
			n++;
	}
	set_check(res, APPRAISE_STAGES, 0, "%zu stage file(s) measured, none failed", n);
}

static bool same_str(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

static void check_reference(const struct appraise_input *in, struct appraise_result *res)
{
	const struct cel_log *ref = in->reference;
	size_t checked = 0;

	for (size_t i = 0; i < in->cel->n; i++) {
		const struct cel_record *r = &in->cel->rec[i];
		const struct cel_record *m = NULL;

		if (!same_str(r->event_type, "stage"))
			continue;
		for (size_t j = 0; j < ref->n && !m; j++)
			if (same_str(ref->rec[j].event_type, "stage") &&
			    same_str(ref->rec[j].stage, r->stage) && same_str(ref->rec[j].path, r->path))
				m = &ref->rec[j];
		if (!m) {
			set_check(res, APPRAISE_REFERENCE, GW_E_REFERENCE,
				  "stage %s (%s, record %llu) is not in the reference", r->stage,
				  r->path ? r->path : "?", (unsigned long long)r->recnum);
			return;
		}
		for (size_t k = 0; k < 2 * r->ndigests; k++)
			for (size_t b = 0; b < m->ndigests; b++) {
				/* SHA-256 first, then the other banks, so messages show it. */
				size_t a = k % r->ndigests;
				bool first_pass = k < r->ndigests;
				const struct gw_alg *alg = gw_alg_by_id(r->digests[a].alg);

				if (first_pass != (r->digests[a].alg == TPM2_ALG_SHA256))
					continue;
				char seen[2 * GW_MAX_DIGEST + 1], want[2 * GW_MAX_DIGEST + 1];

				if (m->digests[b].alg != r->digests[a].alg || !alg)
					continue;
				if (!memcmp(m->digests[b].d, r->digests[a].d, alg->size))
					continue;
				gw_hex_encode(r->digests[a].d, alg->size, seen);
				gw_hex_encode(m->digests[b].d, alg->size, want);
				set_check(res, APPRAISE_REFERENCE, GW_E_REFERENCE,
					  "stage %s (%s, record %llu): %s is %s, the reference has %s",
					  r->stage, r->path ? r->path : "?",
					  (unsigned long long)r->recnum, alg->name, seen, want);
				res->failure.set = true;
				res->failure.in_cel = true;
				res->failure.event = (long)r->recnum;
				res->failure.pcr = r->pcr;
				res->failure.bank = alg->id;
				return;
			}
		checked++;
	}
	for (size_t j = 0; j < ref->n; j++) {
		const struct cel_record *m = &ref->rec[j];
		bool found = false;

		if (!same_str(m->event_type, "stage"))
			continue;
		for (size_t i = 0; i < in->cel->n && !found; i++)
			found = same_str(in->cel->rec[i].event_type, "stage") &&
				same_str(in->cel->rec[i].stage, m->stage) &&
				same_str(in->cel->rec[i].path, m->path);
		if (!found) {
			set_check(res, APPRAISE_REFERENCE, GW_E_REFERENCE,
				  "stage %s (%s) of the reference was not measured", m->stage,
				  m->path ? m->path : "?");
			return;
		}
	}
	set_check(res, APPRAISE_REFERENCE, 0, "%zu stage file(s) equal the reference", checked);
}

/* Known to the TCG PC Client PFP spec, or allowed by the policy. */
static bool type_allowed(const struct appraise_input *in, uint32_t type)
{
	if (eventlog_type_known(type))
		return true;
	for (size_t i = 0; in->allow_types && i < in->n_allow_types; i++)
		if (in->allow_types[i] == type)
			return true;
	return false;
}

int appraise_quote(const struct appraise_input *in, struct appraise_result *res, gw_error *err)
{
	struct quote_input q = {
		.ak = in->ak,
		.attest = in->attest,
		.attest_len = in->attest_len,
		.sig = in->sig,
		.nonce = in->nonce,
		.nonce_len = in->nonce_len,
		.expect_sel = in->expect_sel,
		.pcrs = in->pcrs,
		.sig_hash = in->sig_hash,
	};
	int rc;

	memset(res, 0, sizeof(*res));
	for (int i = 0; i < APPRAISE_COUNT; i++)
		res->status[i] = APPRAISE_SKIPPED;
	rc = quote_verify(&q, &res->quote, err);
	for (int i = 0; i < QUOTE_STEP_COUNT; i++) {
		int s = res->quote.step_rc[i];

		res->status[i] = s == 0 ? APPRAISE_PASS : s == 1 ? APPRAISE_SKIPPED : APPRAISE_FAIL;
		res->code[i] = s == 1 ? 0 : s;
		snprintf(res->msg[i], sizeof(res->msg[i]), "%s", res->quote.step_msg[i]);
	}
	if (rc) {
		res->rc = rc;
		return rc;
	}
	if (in->fwlog) {
		size_t unknown = 0;
		const struct eventlog_event *first = NULL;

		for (size_t i = 0; i < in->fwlog->nevents; i++)
			if (!type_allowed(in, in->fwlog->events[i].type)) {
				unknown++;
				if (!first)
					first = &in->fwlog->events[i];
			}
		if (first)
			set_check(res, APPRAISE_FW_EVENT_TYPES, GW_E_FWLOG,
				  "firmware event %u has unknown event type 0x%08x (%zu such "
				  "event(s)); unknown types are refused without a policy allowing them",
				  first->num, first->type, unknown);
		else
			set_check(res, APPRAISE_FW_EVENT_TYPES, 0, "all %zu event types known",
				  in->fwlog->nevents);
	}
	if (in->pcrs && (in->fwlog || in->cel)) {
		rc = replay(in, res, err);
		if (rc)
			return rc;
	}
	if (in->pcrs)
		check_coverage(in, res);
	/* The CEL content is only trusted once its replay held. */
	if (in->cel && res->status[APPRAISE_CEL_REPLAY] == APPRAISE_PASS &&
	    res->status[APPRAISE_COVERAGE] == APPRAISE_PASS) {
		check_stages(in, res);
		if (in->reference)
			check_reference(in, res);
	}
	/* The verdict is the first failed check in checklist order. */
	for (int i = 0; i < APPRAISE_COUNT; i++)
		if (res->status[i] == APPRAISE_FAIL) {
			res->rc = res->code[i];
			gw_fail(err, res->rc, "%s: %s", check_names[i], res->msg[i]);
			break;
		}
	return res->rc;
}
