// SPDX-License-Identifier: Apache-2.0
// The firmware rules of a policy (per-PCR sequence and allowed lists, event types,
// required events, Secure Boot, boot applications) against the authentic
// firmware event log.
#include "gwpol_eval_int.h"

#include <stdio.h>
#include <string.h>

#include "gwpol_event.h"
#include "util.h"

/* Differences reported per firmware PCR before they are summed up. */
#define MAX_PER_PCR 8

static const char *type_str(uint32_t type, char buf[16])
{
	return gwpol_type_str(type, buf, 16);
}

struct fw_ctx {
	const struct gwpol *p;
	const struct gwpol_evidence *ev;
	const struct eventlog *log;
	const char *bank;        /* its name */
	size_t dsize;
	struct gwpol_report *r;
};

static bool quoted(const struct fw_ctx *c, unsigned pcr)
{
	return pcr < 32 && (c->ev->fw_quoted & (1u << pcr));
}

/* The events that extend pcr (EV_NO_ACTION events extend nothing). */
static bool extends(const struct eventlog_event *e, unsigned pcr)
{
	return e->pcr == pcr && gwpol_event_extends(e);
}

/* One position of a reference sequence against one event: NULL ev or el for
 * "missing" and "extra". */
static void sequence_diff(struct fw_ctx *c, const struct gwpol_fw_pcr *rule, size_t j,
			  const struct eventlog_event *e, const struct gwpol_fw_event *el)
{
	char path[128], t1[16], t2[16], exp[EXP_MAX], seen[SEEN_MAX];
	enum gwpol_claim claim = gwpol_claim_of_pcr(rule->pcr);
	const uint8_t *d;

	snprintf(path, sizeof(path), "$.firmware.pcrs.%u.sequence[%zu]", rule->pcr, j);
	if (!e) {
		gwpol_expected_str(&el->digests, exp, sizeof(exp));
		gwpol_report_add(c->r, claim, GWPOL_TIER_CONTRAINDICATED, path,
				 "PCR %u: the log ends before reference event [%zu] (%s, %s %s): "
				 "it is missing", rule->pcr, j, type_str(el->type, t1), c->bank, exp);
		return;
	}
	d = gwpol_event_digest(e, c->p->fw.bank);
	if (d)
		gw_hex_encode(d, c->dsize, seen);
	if (!el) {
		snprintf(path, sizeof(path), "$.firmware.pcrs.%u.sequence", rule->pcr);
		gwpol_report_add(c->r, claim, GWPOL_TIER_CONTRAINDICATED, path,
				 "PCR %u event %u (%s, %s %s) is extra: the reference sequence "
				 "has %zu events", rule->pcr, e->num, type_str(e->type, t1), c->bank,
				 d ? seen : "none", rule->n);
		return;
	}
	if (e->type != el->type) {
		gwpol_report_add(c->r, claim, GWPOL_TIER_CONTRAINDICATED, path,
				 "PCR %u event %u: type %s, expected %s (reference event [%zu])",
				 rule->pcr, e->num, type_str(e->type, t1), type_str(el->type, t2), j);
		return;
	}
	gwpol_expected_str(&el->digests, exp, sizeof(exp));
	gwpol_report_add(c->r, claim, GWPOL_TIER_CONTRAINDICATED, path,
			 "PCR %u event %u (%s): %s expected %s, seen %s", rule->pcr, e->num,
			 type_str(e->type, t1), c->bank, exp, d ? seen : "none");
}

static bool element_matches(const struct fw_ctx *c, const struct gwpol_fw_event *el,
			    const struct eventlog_event *e)
{
	const uint8_t *d = gwpol_event_digest(e, c->p->fw.bank);

	return el->type == e->type && d && gwpol_digests_have(&el->digests, d);
}

static void check_sequence(struct fw_ctx *c, const struct gwpol_fw_pcr *rule)
{
	size_t j = 0, reported = 0, more = 0;

	for (size_t i = 0; i < c->log->nevents; i++) {
		const struct eventlog_event *e = &c->log->events[i];

		if (!extends(e, rule->pcr))
			continue;
		if (!(j < rule->n && element_matches(c, &rule->ev[j], e))) {
			if (reported < MAX_PER_PCR) {
				sequence_diff(c, rule, j, e, j < rule->n ? &rule->ev[j] : NULL);
				reported++;
			} else {
				more++;
			}
		}
		j++;
	}
	for (; j < rule->n; j++) {
		if (reported < MAX_PER_PCR) {
			sequence_diff(c, rule, j, NULL, &rule->ev[j]);
			reported++;
		} else {
			more++;
		}
	}
	if (more) {
		char path[64];

		snprintf(path, sizeof(path), "$.firmware.pcrs.%u.sequence", rule->pcr);
		gwpol_report_add(c->r, gwpol_claim_of_pcr(rule->pcr), GWPOL_TIER_CONTRAINDICATED, path,
				 "PCR %u: %zu more differences from the reference sequence",
				 rule->pcr, more);
	}
}

/* On the policy's boot_files_pcr, the boot files of the running release the
 * verifier holds are allowed as the EV_IPL events GRUB measures them as: that
 * each is there once and no other release's is the running release's check
 * (verifier/boot_files.c). */
static bool boot_file_allowed(const struct fw_ctx *c, const struct gwpol_fw_pcr *rule,
			      const struct eventlog_event *e)
{
	const struct gwpol_digests *b = c->ev->boot_files;
	const uint8_t *d;

	if (!b || b->size != 32 || !c->p->update.has_boot_files_pcr ||
	    rule->pcr != c->p->update.boot_files_pcr || c->p->fw.bank != TPM2_ALG_SHA256 ||
	    e->type != EV_IPL)
		return false;
	d = gwpol_event_digest(e, TPM2_ALG_SHA256);
	return d && gwpol_digests_have(b, d);
}

static void check_allowed(struct fw_ctx *c, const struct gwpol_fw_pcr *rule)
{
	size_t reported = 0, more = 0;

	for (size_t i = 0; i < c->log->nevents; i++) {
		const struct eventlog_event *e = &c->log->events[i];
		const struct gwpol_fw_event *same_type = NULL;
		size_t same_idx = 0;
		bool ok = false;

		if (!extends(e, rule->pcr))
			continue;
		for (size_t j = 0; j < rule->n && !ok; j++) {
			if (rule->ev[j].type == e->type && !same_type) {
				same_type = &rule->ev[j];
				same_idx = j;
			}
			ok = element_matches(c, &rule->ev[j], e);
		}
		if (ok || boot_file_allowed(c, rule, e))
			continue;
		if (reported >= MAX_PER_PCR) {
			more++;
			continue;
		}
		reported++;
		{
			char path[128], t[16], exp[EXP_MAX], seen[SEEN_MAX];
			const uint8_t *d = gwpol_event_digest(e, c->p->fw.bank);

			if (d)
				gw_hex_encode(d, c->dsize, seen);
			if (same_type) {
				snprintf(path, sizeof(path), "$.firmware.pcrs.%u.allowed[%zu]",
					 rule->pcr, same_idx);
				gwpol_expected_str(&same_type->digests, exp, sizeof(exp));
				gwpol_report_add(c->r, gwpol_claim_of_pcr(rule->pcr),
						 GWPOL_TIER_CONTRAINDICATED, path,
						 "PCR %u event %u (%s): %s %s is not allowed; "
						 "expected %s", rule->pcr, e->num, type_str(e->type, t),
						 c->bank, d ? seen : "none", exp);
			} else {
				snprintf(path, sizeof(path), "$.firmware.pcrs.%u.allowed", rule->pcr);
				gwpol_report_add(c->r, gwpol_claim_of_pcr(rule->pcr),
						 GWPOL_TIER_CONTRAINDICATED, path,
						 "PCR %u event %u: type %s (%s %s) is not allowed on "
						 "this PCR", rule->pcr, e->num, type_str(e->type, t),
						 c->bank, d ? seen : "none");
			}
		}
	}
	if (more) {
		char path[64];

		snprintf(path, sizeof(path), "$.firmware.pcrs.%u.allowed", rule->pcr);
		gwpol_report_add(c->r, gwpol_claim_of_pcr(rule->pcr), GWPOL_TIER_CONTRAINDICATED, path,
				 "PCR %u: %zu more events not allowed", rule->pcr, more);
	}
}

/* Every PCR the log extends has a rule; every rule's PCR was quoted; the rules
 * hold. */
static void check_pcrs(struct fw_ctx *c)
{
	const struct gwpol_firmware *fw = &c->p->fw;
	uint32_t extended = 0;
	long first[GW_NUM_PCRS];
	size_t count[GW_NUM_PCRS] = { 0 };

	for (unsigned p = 0; p < GW_NUM_PCRS; p++)
		first[p] = -1;
	for (size_t i = 0; i < c->log->nevents; i++) {
		const struct eventlog_event *e = &c->log->events[i];

		if (e->type == EV_NO_ACTION || e->pcr >= GW_NUM_PCRS)
			continue;
		extended |= 1u << e->pcr;
		if (first[e->pcr] < 0)
			first[e->pcr] = e->num;
		count[e->pcr]++;
	}
	for (unsigned p = 0; p < GW_NUM_PCRS; p++)
		if ((extended & (1u << p)) && !gwpol_fw_rule(fw, p))
			gwpol_report_add(c->r, gwpol_claim_of_pcr(p), GWPOL_TIER_CONTRAINDICATED,
					 "$.firmware.pcrs",
					 "PCR %u: the firmware log extends it (%zu events, the first "
					 "event %ld) and the policy has no rule for it",
					 p, count[p], first[p]);
	for (size_t i = 0; i < fw->n_pcrs; i++) {
		const struct gwpol_fw_pcr *rule = &fw->pcrs[i];
		char path[64];

		c->r->appraised[gwpol_claim_of_pcr(rule->pcr)] = true;
		if (rule->mode == GWPOL_PCR_UNCHECKED)
			continue;
		if (!quoted(c, rule->pcr)) {
			snprintf(path, sizeof(path), "$.firmware.pcrs.%u", rule->pcr);
			gwpol_report_add(c->r, gwpol_claim_of_pcr(rule->pcr), GWPOL_TIER_CONTRAINDICATED,
					 path, "PCR %u (%s) is not in the quote: its events are not "
					 "authenticated", rule->pcr, c->bank);
			continue;
		}
		if (rule->mode == GWPOL_PCR_SEQUENCE)
			check_sequence(c, rule);
		else
			check_allowed(c, rule);
	}
}

static void check_types(struct fw_ctx *c)
{
	const struct gwpol_firmware *fw = &c->p->fw;

	for (size_t i = 0; i < c->log->nevents; i++) {
		const struct eventlog_event *e = &c->log->events[i];

		if (gwpol_type_allowed(fw, e->type))
			continue;
		gwpol_report_add(c->r, gwpol_claim_of_pcr(e->pcr), GWPOL_TIER_CONTRAINDICATED,
				 "$.firmware.allow_event_types",
				 "PCR %u event %u has the unknown event type 0x%08x, which the "
				 "policy does not allow (the type is not covered by the digest)",
				 e->pcr, e->num, e->type);
	}
}

static bool required_matches(const struct fw_ctx *c, const struct gwpol_required *req,
			     const struct eventlog_event *e, bool *forged)
{
	if (e->type != req->type || e->type == EV_NO_ACTION || !quoted(c, e->pcr) ||
	    (req->has_pcr && e->pcr != req->pcr))
		return false;
	if (req->text ? !gwpol_data_is_text(e->data, e->data_len, req->text)
		      : (e->data_len != req->data_len || memcmp(e->data, req->data, req->data_len)))
		return false;
	if (!gwpol_event_data_authentic(e, c->p->fw.bank)) {
		*forged = true;
		return false;
	}
	return true;
}

/* A required event is decided only on a PCR whose rule is a sequence the firmware
 * log may extend: there every event is pinned to its position, and one extended
 * after boot is extra. Anywhere else root can extend it whenever it likes: a
 * finding on path (gwpolicy lint refuses such a policy). */
static bool required_sound(struct fw_ctx *c, const struct gwpol_required *req, const char *path)
{
	const struct gwpol_fw_pcr *rule = req->has_pcr ? gwpol_fw_rule(&c->p->fw, req->pcr) : NULL;
	const char *why = NULL;
	char t[16];

	if (!req->has_pcr)
		why = "names no PCR";
	else if (!rule)
		why = "is on a PCR with no rule";
	else if (rule->mode == GWPOL_PCR_UNCHECKED)
		why = "is on an \"unchecked\" PCR";
	else if (rule->mode != GWPOL_PCR_SEQUENCE)
		why = "is on a PCR with an allowed rule, not a sequence";
	else if (!(c->p->logs.firmware & (1u << req->pcr)))
		why = "is on a PCR not in logs.firmware";
	if (!why)
		return true;
	gwpol_report_add(c->r, req->has_pcr ? gwpol_claim_of_pcr(req->pcr) : GWPOL_CLAIM_CONFIGURATION,
			 GWPOL_TIER_CONTRAINDICATED, path,
			 "required event %s %s: root can extend it after boot, so its presence "
			 "proves nothing and cannot be decided; give its PCR a sequence rule",
			 type_str(req->type, t), why);
	return false;
}

static void check_required(struct fw_ctx *c)
{
	const struct gwpol_firmware *fw = &c->p->fw;

	for (size_t k = 0; k < fw->n_required; k++) {
		const struct gwpol_required *req = &fw->required[k];
		bool found = false, forged = false;
		char path[64], t[16], where[32] = "", what[GWPOL_TEXT_MAX + 16] = "";

		c->r->appraised[req->has_pcr ? gwpol_claim_of_pcr(req->pcr) : GWPOL_CLAIM_CONFIGURATION] =
			true;
		snprintf(path, sizeof(path), "$.firmware.required_events[%zu]", k);
		/* Any event relabelled with the type would pass: not decidable. */
		if (!req->text && !req->data) {
			gwpol_report_add(c->r, req->has_pcr ? gwpol_claim_of_pcr(req->pcr)
							    : GWPOL_CLAIM_CONFIGURATION,
					 GWPOL_TIER_CONTRAINDICATED, path,
					 "required event %s has neither text nor data: its type is "
					 "not covered by the digest, so it cannot be decided",
					 type_str(req->type, t));
			continue;
		}
		if (!required_sound(c, req, path))
			continue;
		for (size_t i = 0; i < c->log->nevents && !found; i++)
			found = required_matches(c, req, &c->log->events[i], &forged);
		if (found)
			continue;
		if (req->has_pcr)
			snprintf(where, sizeof(where), " on PCR %u", req->pcr);
		if (req->text)
			snprintf(what, sizeof(what), " \"%s\"", req->text);
		else if (req->data)
			snprintf(what, sizeof(what), " with the given data");
		gwpol_report_add(c->r, req->has_pcr ? gwpol_claim_of_pcr(req->pcr)
						    : GWPOL_CLAIM_CONFIGURATION,
				 GWPOL_TIER_CONTRAINDICATED, path,
				 "required event %s%s%s is not in the log%s", type_str(req->type, t),
				 what, where,
				 forged ? " (an event with that data does not hash to its digest)"
				 : req->has_pcr && !quoted(c, req->pcr) ? " (PCR not quoted)" : "");
	}
}

/* A rule that reads one PCR's events is sound only when every event of that PCR
 * is judged: the PCR has a sequence or an allowed rule, and the firmware log may
 * extend it. Otherwise root can extend what the rule wants to see (or relabel what
 * it must not), and the rule cannot be decided: a finding on path. */
static bool pcr_judged(struct fw_ctx *c, unsigned pcr, enum gwpol_claim claim, const char *path,
		       const char *what)
{
	const struct gwpol_fw_pcr *rule = gwpol_fw_rule(&c->p->fw, pcr);
	const char *why = NULL;

	if (!rule)
		why = "has no rule";
	else if (rule->mode == GWPOL_PCR_UNCHECKED)
		why = "is \"unchecked\"";
	else if (!(c->p->logs.firmware & (1u << pcr)))
		why = "is not in logs.firmware";
	if (!why)
		return true;
	gwpol_report_add(c->r, claim, GWPOL_TIER_CONTRAINDICATED, path,
			 "PCR %u %s: %s would rest on events no rule judges, which root can "
			 "extend or relabel; give PCR %u a sequence or allowed rule", pcr, why,
			 what, pcr);
	return false;
}

/* Is e's digest bound to a type whose digest is the hash of the data: by its own
 * label (which PCR 7's rule matched to the digest) or by any element of the rule
 * that lists the digest? Either way the rule says the digest measures that data. */
static bool digest_bound_to_data(const struct fw_ctx *c, const struct gwpol_fw_pcr *rule,
				 const struct eventlog_event *e)
{
	const uint8_t *d = gwpol_event_digest(e, c->p->fw.bank);

	if (gwpol_type_digest_is_data(e->type))
		return true;
	for (size_t j = 0; d && j < rule->n; j++)
		if (gwpol_type_digest_is_data(rule->ev[j].type) &&
		    gwpol_digests_have(&rule->ev[j].digests, d))
			return true;
	return false;
}

/* Secure Boot is read from PCR 7's data, so every PCR 7 event whose digest is the
 * hash of its data (by the type the rule bound to the digest) must carry that
 * data, in every bank: one that does not could be the real measurement of a
 * variable with its data edited, next to a forged one extended later. A finding
 * each; the number of them. PCR 7 is judged (pcr_judged()) when this runs. */
static size_t sb_pcr7_unauthentic(struct fw_ctx *c)
{
	const struct gwpol_fw_pcr *rule = gwpol_fw_rule(&c->p->fw, 7);
	size_t n = 0;
	char t[16];

	for (size_t i = 0; rule && i < c->log->nevents; i++) {
		const struct eventlog_event *e = &c->log->events[i];

		if (!extends(e, 7) || !digest_bound_to_data(c, rule, e) ||
		    gwpol_event_data_authentic(e, c->p->fw.bank))
			continue;
		if (n++ < MAX_PER_PCR)
			gwpol_report_add(c->r, GWPOL_CLAIM_CONFIGURATION,
					 GWPOL_TIER_CONTRAINDICATED, "$.firmware.secure_boot",
					 "PCR 7 event %u (%s): data does not match its digest: "
					 "cannot tell what it measures, so the Secure Boot state "
					 "cannot be decided", e->num, type_str(e->type, t));
	}
	if (n > MAX_PER_PCR)
		gwpol_report_add(c->r, GWPOL_CLAIM_CONFIGURATION, GWPOL_TIER_CONTRAINDICATED,
				 "$.firmware.secure_boot",
				 "PCR 7: %zu more events whose data does not match their digest",
				 n - MAX_PER_PCR);
	return n;
}

/* The measurement of a variable on PCR 7, found by what the digest covers
 * (gwpol_efi_variable_find(): its UEFI_VARIABLE_DATA, hashing to the digest in
 * every bank, whatever the type label). The label is not authenticated, but PCR 7 is fully judged when this runs
 * (pcr_judged()), so its rule has given each digest its type. Firmware measures
 * each variable once, before anything else runs: exactly one authentic event is
 * read. None, more than one (a later one came from whoever could extend PCR 7
 * then), or any event with the variable's name whose data does not hash to its
 * digest is a finding on path, and NULL. */
static const struct eventlog_event *sb_variable(struct fw_ctx *c, const uint8_t guid[16],
						const char *name, const char *path,
						const uint8_t **vdata, size_t *vlen)
{
	const struct eventlog_event *found;
	size_t count, forged;

	found = gwpol_efi_variable_find(c->log, c->p->fw.bank, guid, name, vdata, vlen, &count,
					&forged);
	if (forged)
		gwpol_report_add(c->r, GWPOL_CLAIM_CONFIGURATION, GWPOL_TIER_CONTRAINDICATED,
				 path, "Secure Boot variable %s: %zu event(s) with its name whose data "
				 "does not hash to their digest: its value cannot be told", name,
				 forged);
	if (!count)
		gwpol_report_add(c->r, GWPOL_CLAIM_CONFIGURATION, GWPOL_TIER_CONTRAINDICATED,
				 path, "Secure Boot variable %s was not measured into PCR 7", name);
	else if (count > 1)
		gwpol_report_add(c->r, GWPOL_CLAIM_CONFIGURATION, GWPOL_TIER_CONTRAINDICATED,
				 path, "Secure Boot variable %s was measured %zu times into PCR 7: "
				 "firmware measures it once", name, count);
	return forged || count != 1 ? NULL : found;
}

static void check_sb_list(struct fw_ctx *c, const uint8_t guid[16], const char *name,
			  const char *key, const struct gwpol_digests *allowed)
{
	const struct eventlog_event *e;
	const uint8_t *vd, *d;
	size_t vl;
	char path[64], exp[EXP_MAX], seen[SEEN_MAX];

	snprintf(path, sizeof(path), "$.firmware.secure_boot.%s", key);
	e = sb_variable(c, guid, name, path, &vd, &vl);
	if (!e)
		return;
	d = gwpol_event_digest(e, c->p->fw.bank);
	if (gwpol_digest_ok(allowed, d, exp, seen))
		return;
	gwpol_report_add(c->r, GWPOL_CLAIM_CONFIGURATION, GWPOL_TIER_CONTRAINDICATED, path,
			 "PCR 7 event %u (Secure Boot variable %s): %s expected %s, seen %s",
			 e->num, name, c->bank, exp, seen);
}

static void check_secure_boot(struct fw_ctx *c)
{
	const struct gwpol_secure_boot *sb = &c->p->fw.secure_boot;
	const struct eventlog_event *e;
	const uint8_t *vd = NULL;
	size_t vl = 0;
	bool on;

	c->r->appraised[GWPOL_CLAIM_CONFIGURATION] = true;
	if (!quoted(c, 7)) {
		gwpol_report_add(c->r, GWPOL_CLAIM_CONFIGURATION, GWPOL_TIER_CONTRAINDICATED,
				 "$.firmware.secure_boot",
				 "PCR 7 (%s) is not in the quote: the Secure Boot state is not "
				 "authenticated", c->bank);
		return;
	}
	if (!pcr_judged(c, 7, GWPOL_CLAIM_CONFIGURATION, "$.firmware.secure_boot",
			"the Secure Boot state"))
		return;
	sb_pcr7_unauthentic(c);
	e = sb_variable(c, gwpol_efi_global_guid, "SecureBoot", "$.firmware.secure_boot.enabled",
			&vd, &vl);
	if (e) {
		/* One byte, 1 when enabled; an absent variable is measured with no data. */
		on = vl == 1 && vd[0] == 1;
		if (on != sb->enabled)
			gwpol_report_add(c->r, GWPOL_CLAIM_CONFIGURATION,
					 GWPOL_TIER_CONTRAINDICATED, "$.firmware.secure_boot.enabled",
					 "PCR 7 event %u: Secure Boot is %s, the policy requires it %s",
					 e->num, on ? "enabled" : "disabled",
					 sb->enabled ? "enabled" : "disabled");
	}
	if (sb->has_pk)
		check_sb_list(c, gwpol_efi_global_guid, "PK", "pk", &sb->pk);
	if (sb->has_kek)
		check_sb_list(c, gwpol_efi_global_guid, "KEK", "kek", &sb->kek);
	if (sb->has_db)
		check_sb_list(c, gwpol_efi_imgdb_guid, "db", "db", &sb->db);
	if (sb->has_dbx)
		check_sb_list(c, gwpol_efi_imgdb_guid, "dbx", "dbx", &sb->dbx);
}

static void check_boot_app(struct fw_ctx *c, const struct eventlog_event *e, const char *what,
			   const char *key, const struct gwpol_digests *allowed)
{
	char path[64], exp[EXP_MAX], seen[SEEN_MAX];

	snprintf(path, sizeof(path), "$.firmware.%s", key);
	if (!e) {
		gwpol_report_add(c->r, GWPOL_CLAIM_EXECUTABLES, GWPOL_TIER_CONTRAINDICATED, path,
				 "no %s was measured (EV_EFI_BOOT_SERVICES_APPLICATION on PCR 4)",
				 what);
		return;
	}
	if (gwpol_digest_ok(allowed, gwpol_event_digest(e, c->p->fw.bank), exp, seen))
		return;
	gwpol_report_add(c->r, GWPOL_CLAIM_EXECUTABLES, GWPOL_TIER_CONTRAINDICATED, path,
			 "PCR 4 event %u (%s, EV_EFI_BOOT_SERVICES_APPLICATION): %s expected %s, "
			 "seen %s", e->num, what, c->bank, exp, seen);
}

static void check_boot_apps(struct fw_ctx *c)
{
	const struct gwpol_firmware *fw = &c->p->fw;
	const char *path = fw->has_kernel ? "$.firmware.kernel" : "$.firmware.bootloader";
	const struct eventlog_event *first = NULL, *last = NULL;
	size_t n;

	c->r->appraised[GWPOL_CLAIM_EXECUTABLES] = true;
	if (!quoted(c, 4)) {
		gwpol_report_add(c->r, GWPOL_CLAIM_EXECUTABLES, GWPOL_TIER_CONTRAINDICATED, path,
				 "PCR 4 (%s) is not in the quote: the boot applications are not "
				 "authenticated", c->bank);
		return;
	}
	/* Only PCR 4's own sequence is authenticated, not the order across PCRs (the
	 * ExitBootServices events on PCR 5 can be moved anywhere): with every PCR 4
	 * event judged by its rule, the type of each is the one the rule gave its
	 * digest, and the first and last boot application are positions in PCR 4. */
	if (!pcr_judged(c, 4, GWPOL_CLAIM_EXECUTABLES, path, "the boot applications"))
		return;
	n = gwpol_boot_apps(c->log, &first, &last);
	if (fw->has_bootloader)
		check_boot_app(c, first, "bootloader", "bootloader", &fw->bootloader);
	if (fw->has_kernel)
		check_boot_app(c, n >= 2 ? last : NULL, "kernel", "kernel", &fw->kernel);
}

void gwpol_eval_firmware(const struct gwpol *p, const struct gwpol_evidence *ev,
			   struct gwpol_report *r)
{
	const struct gwpol_firmware *fw = &p->fw;
	const struct gw_alg *a = gw_alg_by_id(fw->bank);
	struct fw_ctx c = { .p = p, .ev = ev, .log = ev->fwlog, .r = r };
	bool bank_ok = false;

	r->appraised[GWPOL_CLAIM_HARDWARE] = true;
	if (!ev->fwlog) {
		gwpol_report_add(r, GWPOL_CLAIM_HARDWARE, GWPOL_TIER_CONTRAINDICATED, "$.firmware",
				 "no authentic firmware event log: the device sent none, or it "
				 "did not replay to the quoted PCRs");
		return;
	}
	if (!a) {
		gwpol_report_add(r, GWPOL_CLAIM_HARDWARE, GWPOL_TIER_CONTRAINDICATED,
				 "$.firmware.bank", "unknown bank 0x%04x", fw->bank);
		return;
	}
	c.bank = a->name;
	c.dsize = a->size;
	for (size_t i = 0; i < c.log->nalgs; i++)
		if (c.log->algs[i] == fw->bank && !c.log->alg_incomplete[i])
			bank_ok = true;
	if (!bank_ok) {
		gwpol_report_add(r, GWPOL_CLAIM_HARDWARE, GWPOL_TIER_CONTRAINDICATED,
				 "$.firmware.bank",
				 "the firmware log has no complete %s bank: the policy's digests "
				 "cannot be compared", c.bank);
		return;
	}
	check_types(&c);
	check_pcrs(&c);
	check_required(&c);
	if (fw->secure_boot.present)
		check_secure_boot(&c);
	if (fw->has_bootloader || fw->has_kernel)
		check_boot_apps(&c);
}
