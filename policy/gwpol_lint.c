// SPDX-License-Identifier: Apache-2.0
// Consistency checks on a parsed policy: rules that another part of the same
// policy makes impossible to pass or impossible to authenticate.
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "gwpol.h"
#include "util.h"

#define BOOT_APP_PCR 4
#define SECURE_BOOT_PCR 7

struct lint {
	struct gwpol_diags *d;
	int found;
	char sel[256]; /* the effective pcr_selection, for messages */
};

static void diag(struct lint *l, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A message cut short by the fixed-size fields is still worth reporting, so
 * truncation is not an error here (and every path this file builds fits in 128
 * bytes). */
static void diag(struct lint *l, const char *path, const char *fmt, ...)
{
	struct gwpol_diag *g;
	va_list ap;

	l->found++;
	if (l->d->n >= GWPOL_MAX_DIAGS) {
		l->d->dropped++;
		return;
	}
	g = &l->d->d[l->d->n++];
	(void)snprintf(g->path, sizeof(g->path), "%s", path);
	va_start(ap, fmt);
	(void)vsnprintf(g->msg, sizeof(g->msg), fmt, ap);
	va_end(ap);
}

static const TPMS_PCR_SELECTION *sel_bank(const TPML_PCR_SELECTION *sel, uint16_t alg)
{
	for (size_t i = 0; i < sel->count && i < TPM2_NUM_PCR_BANKS; i++)
		if (sel->pcrSelections[i].hash == alg)
			return &sel->pcrSelections[i];
	return NULL;
}

static bool sel_has(const TPML_PCR_SELECTION *sel, uint16_t alg, unsigned pcr)
{
	const TPMS_PCR_SELECTION *s = sel_bank(sel, alg);

	return s && gw_pcrsel_has(s, pcr);
}

static void lint_fw_pcrs(struct lint *l, const struct gwpol *p, const TPML_PCR_SELECTION *sel,
			 bool bank_quoted)
{
	const struct gwpol_firmware *fw = &p->fw;
	char tbuf[32], pbuf[64];

	for (size_t i = 0; i < fw->n_pcrs; i++) {
		const struct gwpol_fw_pcr *r = &fw->pcrs[i];
		char path[128];

		(void)snprintf(path, sizeof(path), "$.firmware.pcrs.%u", r->pcr);

		if (bank_quoted && !sel_has(sel, fw->bank, r->pcr))
			diag(l, path,
			     "PCR %u is not in pcr_selection (%s): its events could not be "
			     "authenticated, so this rule could never pass",
			     r->pcr, l->sel);
		if (!(p->logs.firmware & (1u << r->pcr)))
			diag(l, path,
			     "the policy does not let the firmware log extend PCR %u (logs.firmware: "
			     "%s): its events there are findings, and this rule never sees one; "
			     "add %u to logs.firmware or remove the rule",
			     r->pcr, gwpol_pcrs_str(p->logs.firmware, pbuf, sizeof(pbuf)), r->pcr);
		else if (r->mode == GWPOL_PCR_UNCHECKED && (gwpol_agent_judged(p) & (1u << r->pcr)))
			diag(l, path, "%s",
			     r->pcr == GWPOL_STAGE_PCR
				     ? "PCR 13 is \"unchecked\" for the firmware log, but the stage "
				       "rules need every event there judged: a stage record moved "
				       "into the firmware log would escape them; give PCR 13 a "
				       "sequence or allowed rule, or take 13 out of logs.firmware"
				     : "PCR 14 is \"unchecked\" for the firmware log, but the trust "
				       "rules need every event there judged: a trust record moved "
				       "into the firmware log would escape them; give PCR 14 a "
				       "sequence or allowed rule (shim's MokList events), or take 14 "
				       "out of logs.firmware");
		if (r->mode == GWPOL_PCR_UNCHECKED)
			continue;
		for (size_t j = 0; j < r->n; j++) {
			if (gwpol_type_allowed(fw, r->ev[j].type))
				continue;
			(void)snprintf(path, sizeof(path), "$.firmware.pcrs.%u.%s[%zu].type",
					  r->pcr, gwpol_pcr_mode_name(r->mode), j);
			diag(l, path,
			     "event type %s is not a TCG PC Client type and not in "
			     "allow_event_types: every such event fails appraisal",
			     gwpol_type_str(r->ev[j].type, tbuf, sizeof(tbuf)));
		}
	}
}

/* A required event is sound only on a PCR whose rule is a sequence: then every
 * event of the PCR is pinned to its position, and no event can be extended after
 * boot to satisfy it. On a PCR with an allowed list, an unchecked PCR, one with no
 * rule, or no PCR at all, root can extend the required event's digest whenever it
 * likes (doc/policy.md). And it must be one of the sequence's elements, or no log
 * can pass both. */
static void lint_required(struct lint *l, const struct gwpol *p, const TPML_PCR_SELECTION *sel,
			  bool bank_quoted)
{
	const struct gwpol_firmware *fw = &p->fw;
	const struct gw_alg *alg = gw_alg_by_id(fw->bank);
	char tbuf[32];

	for (size_t k = 0; k < fw->n_required; k++) {
		const struct gwpol_required *q = &fw->required[k];
		const char *tname = gwpol_type_str(q->type, tbuf, sizeof(tbuf));
		const struct gwpol_fw_pcr *r;
		uint8_t h[GW_MAX_DIGEST];
		bool typed = false, hashed = false, matched = false;
		char path[128];

		(void)snprintf(path, sizeof(path), "$.firmware.required_events[%zu].type", k);
		if (!gwpol_type_allowed(fw, q->type))
			diag(l, path,
			     "event type %s is not a TCG PC Client type and not in "
			     "allow_event_types: a log holding it fails appraisal",
			     tname);
		(void)snprintf(path, sizeof(path), "$.firmware.required_events[%zu]", k);
		if (!q->text && !q->data)
			diag(l, path,
			     "only a type: the type is not covered by the digest, so any event "
			     "relabelled %s passes; give the event's text or data (then its "
			     "digest must be their hash)",
			     tname);
		if (!q->has_pcr) {
			diag(l, path,
			     "no pcr: root can extend the event into any PCR after boot; name "
			     "the PCR, and give it a sequence rule");
			continue;
		}
		(void)snprintf(path, sizeof(path), "$.firmware.required_events[%zu].pcr", k);
		if (!(p->logs.firmware & (1u << q->pcr)))
			diag(l, path,
			     "the policy does not let the firmware log extend PCR %u "
			     "(logs.firmware): the event could never be there",
			     q->pcr);
		if (bank_quoted && !sel_has(sel, fw->bank, q->pcr))
			diag(l, path,
			     "PCR %u is not in pcr_selection (%s): the event could not be "
			     "authenticated",
			     q->pcr, l->sel);
		r = gwpol_fw_rule(fw, q->pcr);
		if (!r || r->mode != GWPOL_PCR_SEQUENCE) {
			(void)snprintf(path, sizeof(path), "$.firmware.required_events[%zu]", k);
			diag(l, path,
			     "PCR %u %s: root can extend the required event there after boot, "
			     "and the rule would not notice; give PCR %u a sequence rule (which "
			     "then pins the event) or remove the required event",
			     q->pcr, !r ? "has no rule" : r->mode == GWPOL_PCR_UNCHECKED
				     ? "is \"unchecked\"" : "has an allowed rule, not a sequence",
			     q->pcr);
			continue;
		}
		if (q->data && alg && !gw_hash(fw->bank, q->data, q->data_len, h))
			hashed = true;
		for (size_t j = 0; j < r->n; j++) {
			if (r->ev[j].type != q->type)
				continue;
			typed = true;
			if (!hashed || gwpol_digests_have(&r->ev[j].digests, h))
				matched = true;
		}
		(void)snprintf(path, sizeof(path), "$.firmware.required_events[%zu]%s", k,
				  typed ? ".data" : "");
		if (!typed)
			diag(l, path,
			     "PCR %u's %s rule has no %s element: no log that passes it can hold "
			     "this required event",
			     q->pcr, gwpol_pcr_mode_name(r->mode), tname);
		else if (!matched)
			diag(l, path,
			     "the data hashes to a %s digest that no %s element of PCR %u's %s "
			     "rule lists: no log that passes it can hold this required event",
			     alg->name, tname, q->pcr, gwpol_pcr_mode_name(r->mode));
	}
}

/* With an allowed list for PCR 4, any boot application it allows may come last:
 * one that is neither a bootloader nor a kernel of the policy could boot as the
 * kernel, and root extend an allowed kernel's digest after it. */
static void lint_kernel_allowed(struct lint *l, const struct gwpol *p, const struct gwpol_fw_pcr *r)
{
	const struct gwpol_firmware *fw = &p->fw;
	char hex[2 * GW_MAX_DIGEST + 1];

	if (!fw->has_kernel || !r || r->mode != GWPOL_PCR_ALLOWED)
		return;
	for (size_t j = 0; j < r->n; j++) {
		const struct gwpol_digests *ds = &r->ev[j].digests;

		if (r->ev[j].type != EV_EFI_BOOT_SERVICES_APPLICATION)
			continue;
		for (size_t k = 0; k < ds->n; k++) {
			if (gwpol_digests_have(&fw->kernel, ds->d[k]) ||
			    (fw->has_bootloader && gwpol_digests_have(&fw->bootloader, ds->d[k])))
				continue;
			gw_hex_encode(ds->d[k], ds->size, hex);
			diag(l, "$.firmware.kernel",
			     "PCR 4's allowed list lets boot application %s (allowed[%zu]) come "
			     "anywhere, and it is no kernel or bootloader of the policy: it could "
			     "boot as the kernel and an allowed kernel's digest be extended after "
			     "it; use a sequence rule for PCR 4",
			     hex, j);
			return;
		}
	}
}

static void lint_boot_apps(struct lint *l, const struct gwpol *p, const TPML_PCR_SELECTION *sel,
			   bool bank_quoted)
{
	const struct gwpol_firmware *fw = &p->fw;
	const struct gwpol_fw_pcr *r = gwpol_fw_rule(fw, BOOT_APP_PCR);
	static const char *const paths[] = { "$.firmware.bootloader", "$.firmware.kernel" };
	const bool has[] = { fw->has_bootloader, fw->has_kernel };
	bool app = false;

	for (size_t j = 0; r && j < r->n; j++)
		if (r->ev[j].type == EV_EFI_BOOT_SERVICES_APPLICATION)
			app = true;
	for (size_t i = 0; i < GW_ARRAY_SIZE(paths); i++) {
		if (!has[i])
			continue;
		if (bank_quoted && !sel_has(sel, fw->bank, BOOT_APP_PCR))
			diag(l, paths[i],
			     "boot applications are measured into PCR 4, which is not in "
			     "pcr_selection (%s): they could not be authenticated",
			     l->sel);
		if (!r || r->mode == GWPOL_PCR_UNCHECKED)
			diag(l, paths[i],
			     "PCR 4 %s: the boot applications would be read from events no rule "
			     "judges, and root can extend an allowed digest into PCR 4 after the "
			     "real one; give PCR 4 a sequence or allowed rule",
			     r ? "is \"unchecked\"" : "has no rule");
		else if (!app)
			diag(l, paths[i],
			     "PCR 4's %s rule has no EV_EFI_BOOT_SERVICES_APPLICATION element: "
			     "no log that passes it holds a boot application to check",
			     gwpol_pcr_mode_name(r->mode));
		if (!(p->logs.firmware & (1u << BOOT_APP_PCR)))
			diag(l, paths[i],
			     "the policy does not let the firmware log extend PCR 4 "
			     "(logs.firmware): no boot application could be measured");
	}
	lint_kernel_allowed(l, p, r);
}

static void lint_secure_boot(struct lint *l, const struct gwpol *p, const TPML_PCR_SELECTION *sel,
			     bool bank_quoted)
{
	const struct gwpol_firmware *fw = &p->fw;

	if (!fw->secure_boot.present)
		return;
	if (bank_quoted && !sel_has(sel, fw->bank, SECURE_BOOT_PCR))
		diag(l, "$.firmware.secure_boot",
		     "the Secure Boot variables are measured into PCR 7, which is not in "
		     "pcr_selection (%s): they could not be authenticated",
		     l->sel);
	if (!gwpol_fw_rule(fw, SECURE_BOOT_PCR) ||
	    gwpol_fw_rule(fw, SECURE_BOOT_PCR)->mode == GWPOL_PCR_UNCHECKED)
		diag(l, "$.firmware.secure_boot",
		     "secure_boot is set but PCR 7 %s: the Secure Boot variables would be "
		     "read from events no rule judges, and root can extend a forged "
		     "SecureBoot measurement and relabel the real one; give PCR 7 a "
		     "sequence or allowed rule",
		     gwpol_fw_rule(fw, SECURE_BOOT_PCR) ? "is \"unchecked\"" : "has no rule");
	if (!(p->logs.firmware & (1u << SECURE_BOOT_PCR)))
		diag(l, "$.firmware.secure_boot",
		     "the policy does not let the firmware log extend PCR 7 (logs.firmware): "
		     "no Secure Boot variable could be measured");
}

static void lint_firmware(struct lint *l, const struct gwpol *p, const TPML_PCR_SELECTION *sel)
{
	const struct gwpol_firmware *fw = &p->fw;
	const struct gw_alg *alg = gw_alg_by_id(fw->bank);
	bool bank_quoted = sel_bank(sel, fw->bank) != NULL;

	if (!fw->present)
		return;
	/* One error for the bank rather than one per rule: nothing could be checked. */
	if (!bank_quoted && (fw->n_pcrs || fw->n_required || fw->secure_boot.present ||
			     fw->has_bootloader || fw->has_kernel))
		diag(l, "$.firmware.bank",
		     "the firmware rules hold %s digests but pcr_selection (%s) quotes no %s "
		     "bank: no firmware event could be authenticated",
		     alg ? alg->name : "?", l->sel, alg ? alg->name : "?");
	lint_fw_pcrs(l, p, sel, bank_quoted);
	lint_required(l, p, sel, bank_quoted);
	lint_boot_apps(l, p, sel, bank_quoted);
	lint_secure_boot(l, p, sel, bank_quoted);
}

/* The CEL log on the PCRs the agent's rules read, and only where a rule judges
 * its records. */
static void lint_logs(struct lint *l, const struct gwpol *p)
{
	bool trust = p->trust.has_gate_key || p->trust.has_trust_root;
	char pbuf[64];

	gwpol_pcrs_str(p->logs.cel, pbuf, sizeof(pbuf));
	if (p->n_stages && !(p->logs.cel & (1u << GWPOL_STAGE_PCR)))
		diag(l, "$.logs.cel",
		     "the stage rules read the CEL log's records on PCR 13, which logs.cel (%s) "
		     "does not list: every stage record would be a finding",
		     pbuf);
	if (trust && !(p->logs.cel & (1u << GWPOL_TRUST_PCR)))
		diag(l, "$.logs.cel",
		     "the trust rules read the CEL log's records on PCR 14, which logs.cel (%s) "
		     "does not list: every trust record would be a finding",
		     pbuf);
	for (size_t i = 0; p->fw.present && i < p->fw.n_pcrs; i++) {
		const struct gwpol_fw_pcr *r = &p->fw.pcrs[i];

		if (!(p->logs.cel & (1u << r->pcr)) || r->mode == GWPOL_PCR_UNCHECKED ||
		    (r->pcr == GWPOL_STAGE_PCR && p->n_stages) || (r->pcr == GWPOL_TRUST_PCR && trust))
			continue;
		diag(l, "$.logs.cel",
		     "logs.cel lists PCR %u, which has a firmware %s rule and no rule for CEL "
		     "records: every CEL record there would be a finding; take %u out of "
		     "logs.cel",
		     r->pcr, gwpol_pcr_mode_name(r->mode), r->pcr);
	}
}

const char *gwpol_boot_files_unsound(const struct gwpol *p, char *buf, size_t len)
{
	const struct gwpol_fw_pcr *r;
	TPML_PCR_SELECTION sel;
	unsigned pcr = p->update.boot_files_pcr;

	if (!p->update.has_boot_files_pcr)
		return NULL;
	gwpol_selection(p, &sel);
	r = p->fw.present ? gwpol_fw_rule(&p->fw, pcr) : NULL;
	if (!p->fw.present || p->fw.bank != TPM2_ALG_SHA256)
		(void)snprintf(buf, len, "boot files are SHA-256 digests: firmware.bank must be "
			       "sha256");
	else if (!sel_has(&sel, TPM2_ALG_SHA256, pcr))
		(void)snprintf(buf, len, "PCR %u is not in the sha256 bank of pcr_selection: its "
			       "events are not authenticated", pcr);
	else if (!(p->logs.firmware & (1u << pcr)))
		(void)snprintf(buf, len, "logs.firmware does not list PCR %u: the bootloader's "
			       "events there are refused", pcr);
	else if (!r || r->mode == GWPOL_PCR_UNCHECKED)
		(void)snprintf(buf, len, "PCR %u has %s rule: root could boot another kernel and "
			       "extend the release's digests after it; give PCR %u a sequence or "
			       "allowed rule", pcr, r ? "an unchecked" : "no firmware", pcr);
	else
		return NULL;
	return buf;
}

int gwpol_lint(const struct gwpol *p, int64_t now, struct gwpol_diags *d)
{
	char why[256];

	struct lint l = { .d = d };
	TPML_PCR_SELECTION sel;

	if (!p || !d)
		return GW_E_INVAL;
	gwpol_selection(p, &sel);
	if (gw_pcrsel_format(&sel, l.sel, sizeof(l.sel)))
		(void)snprintf(l.sel, sizeof(l.sel), "?");
	if (!p->has_pcr_selection) {
		size_t n = strlen(l.sel);

		(void)snprintf(l.sel + n, sizeof(l.sel) - n, ", the default");
	}
	lint_firmware(&l, p, &sel);
	lint_logs(&l, p);
	if (p->n_stages && !sel_has(&sel, TPM2_ALG_SHA256, GWPOL_STAGE_PCR))
		diag(&l, "$.stages",
		     "stage records are extended into PCR 13 and replayed in the sha256 bank, "
		     "which pcr_selection (%s) does not quote: no stage could be "
		     "authenticated",
		     l.sel);
	if ((p->trust.has_gate_key || p->trust.has_trust_root) &&
	    !sel_has(&sel, TPM2_ALG_SHA256, GWPOL_TRUST_PCR))
		diag(&l, "$.trust",
		     "trust records are extended into PCR 14 and replayed in the sha256 bank, "
		     "which pcr_selection (%s) does not quote: no trust record could be "
		     "authenticated",
		     l.sel);
	if (p->update.has_end_of_support && p->update.support_ends <= now)
		diag(&l, "$.update.end_of_support",
		     "support ended after %s, before now: every device under this policy "
		     "attests at best \"warning\"",
		     p->update.end_of_support);
	if (gwpol_boot_files_unsound(p, why, sizeof(why)))
		diag(&l, "$.update.boot_files_pcr", "%s", why);
	return l.found;
}
