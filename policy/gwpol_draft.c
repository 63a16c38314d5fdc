// SPDX-License-Identifier: Apache-2.0
// Policy drafts from a golden device's firmware and agent logs.
#include "gwpol_draft.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "gwpol.h"
#include "gwpol_eval_int.h"
#include "gwpol_event.h"
#include "util.h"

#define COMMENT_MAX 200

/* json-c builders that remember an allocation failure instead of returning it at
 * every step; the draft is thrown away at the end if one happened. */
struct builder {
	bool oom;
};

static json_object *put(struct builder *b, json_object *obj, const char *key, json_object *val)
{
	if (!val || !obj || json_object_object_add(obj, key, val)) {
		json_object_put(val);
		b->oom = true;
		return NULL;
	}
	return val;
}

static json_object *append(struct builder *b, json_object *arr, json_object *val)
{
	if (!val || !arr || json_object_array_add(arr, val)) {
		json_object_put(val);
		b->oom = true;
		return NULL;
	}
	return val;
}

static json_object *hex_str(const uint8_t *d, size_t len)
{
	char hex[2 * GWPOL_MAX_DATA + 1];

	if (len > GWPOL_MAX_DATA)
		return NULL;
	gw_hex_encode(d, len, hex);
	return json_object_new_string(hex);
}

/* Append a digest to a JSON array of hex strings unless it is there already. */
static void add_digest(struct builder *b, json_object *arr, const uint8_t *d, size_t len)
{
	char hex[2 * GW_MAX_DIGEST + 1];

	gw_hex_encode(d, len, hex);
	for (size_t i = 0; i < json_object_array_length(arr); i++)
		if (!strcmp(json_object_get_string(json_object_array_get_idx(arr, i)), hex))
			return;
	append(b, arr, json_object_new_string(hex));
}

/* "event 12: EV_EFI_VARIABLE_DRIVER_CONFIG SecureBoot" from the log's JSON view. */
static void event_comment(const struct eventlog_event *e, json_object *view, char *buf,
			  size_t len)
{
	json_object *ev = view ? json_object_array_get_idx(view, e->num) : NULL, *desc = NULL;
	char t[16];
	const char *ds = NULL;

	if (ev && json_object_object_get_ex(ev, "description", &desc))
		ds = json_object_get_string(desc);
	snprintf(buf, len, "event %u: %s%s%.*s", e->num, gwpol_type_str(e->type, t, sizeof(t)),
		 ds ? " " : "", ds ? COMMENT_MAX / 2 : 0, ds ? ds : "");
}

static json_object *fw_element(struct builder *b, const struct eventlog_event *e, uint16_t bank,
			       size_t dsize, const char *comment)
{
	json_object *el = json_object_new_object(), *ds;
	char t[16];

	put(b, el, "type", json_object_new_string(gwpol_type_str(e->type, t, sizeof(t))));
	ds = put(b, el, "digests", json_object_new_array());
	if (ds)
		add_digest(b, ds, gwpol_event_digest(e, bank), dsize);
	put(b, el, "comment", json_object_new_string(comment));
	return el;
}

/* The rule of one PCR: its events in order, or one "allowed" element per type. */
static json_object *pcr_rule(struct builder *b, const struct eventlog *log, unsigned pcr,
			     uint16_t bank, size_t dsize, bool allowed, json_object *view,
			     gw_error *err, int *rc)
{
	json_object *rule = json_object_new_object(), *list;
	size_t n = 0;

	list = put(b, rule, allowed ? "allowed" : "sequence", json_object_new_array());
	for (size_t i = 0; i < log->nevents && list; i++) {
		const struct eventlog_event *e = &log->events[i];
		char comment[COMMENT_MAX + 32];
		json_object *same = NULL;

		if (!gwpol_event_extends(e) || e->pcr != pcr)
			continue;
		event_comment(e, view, comment, sizeof(comment));
		if (allowed) {
			char t[16];
			const char *ts = gwpol_type_str(e->type, t, sizeof(t));

			for (size_t k = 0; k < json_object_array_length(list) && !same; k++) {
				json_object *el = json_object_array_get_idx(list, k), *ty;

				if (json_object_object_get_ex(el, "type", &ty) &&
				    !strcmp(json_object_get_string(ty), ts))
					same = el;
			}
		}
		if (same) {
			json_object *ds = NULL;

			if (json_object_object_get_ex(same, "digests", &ds))
				add_digest(b, ds, gwpol_event_digest(e, bank), dsize);
			if (json_object_array_length(ds) > GWPOL_MAX_DIGESTS)
				*rc = gw_fail(err, GW_E_TOOBIG,
					      "PCR %u: more than %d distinct digests of one type",
					      pcr, GWPOL_MAX_DIGESTS);
			continue;
		}
		if (++n > GWPOL_MAX_FW_EVENTS) {
			*rc = gw_fail(err, GW_E_TOOBIG, "PCR %u: more than %d events", pcr,
				      GWPOL_MAX_FW_EVENTS);
			break;
		}
		append(b, list, fw_element(b, e, bank, dsize, comment));
	}
	return rule;
}

/* Separators and the ExitBootServices actions, when their data is what their
 * digest covers; only for a draft of sequence rules, which pin them. */
static void required_events(struct builder *b, const struct eventlog *log, uint16_t bank,
			    json_object *view, json_object *arr)
{
	static const char *const ebs[] = { "Exit Boot Services Invocation",
					   "Exit Boot Services Returned with Success" };

	for (size_t i = 0; i < log->nevents; i++) {
		const struct eventlog_event *e = &log->events[i];
		const char *text = NULL;
		char comment[COMMENT_MAX + 32];
		json_object *r;

		if (!gwpol_event_extends(e) || !gwpol_event_data_authentic(e, bank))
			continue;
		if (e->type == EV_EFI_ACTION) {
			for (size_t k = 0; k < GW_ARRAY_SIZE(ebs) && !text; k++)
				if (gwpol_data_is_text(e->data, e->data_len, ebs[k]))
					text = ebs[k];
			if (!text)
				continue;
		} else if (e->type != EV_SEPARATOR || e->data_len > GWPOL_MAX_DATA) {
			continue;
		}
		event_comment(e, view, comment, sizeof(comment));
		r = append(b, arr, json_object_new_object());
		put(b, r, "pcr", json_object_new_int((int)e->pcr));
		put(b, r, "type", json_object_new_string(text ? "EV_EFI_ACTION" : "EV_SEPARATOR"));
		if (text)
			put(b, r, "text", json_object_new_string(text));
		else
			put(b, r, "data", hex_str(e->data, e->data_len));
		put(b, r, "comment", json_object_new_string(comment));
	}
}

/* A variable's measurement on PCR 7 as the evaluator reads it: the one authentic
 * event of it (none when there are several, or one with its name that does not
 * hash to its digest: then the evaluator would refuse the rule). */
static const struct eventlog_event *sb_var(const struct eventlog *log, uint16_t bank,
					   const uint8_t guid[16], const char *name,
					   const uint8_t **vd, size_t *vl)
{
	size_t count, forged;
	const struct eventlog_event *e =
		gwpol_efi_variable_find(log, bank, guid, name, vd, vl, &count, &forged);

	return count == 1 && !forged ? e : NULL;
}

static void secure_boot(struct builder *b, const struct eventlog *log, uint16_t bank,
			size_t dsize, json_object *fw)
{
	static const struct {
		const char *var, *key;
		bool global;
	} lists[] = { { "PK", "pk", true }, { "KEK", "kek", true },
		      { "db", "db", false }, { "dbx", "dbx", false } };
	const uint8_t *vd = NULL;
	size_t vl = 0;
	json_object *sb;

	if (!sb_var(log, bank, gwpol_efi_global_guid, "SecureBoot", &vd, &vl))
		return;
	sb = put(b, fw, "secure_boot", json_object_new_object());
	put(b, sb, "enabled", json_object_new_boolean(vl == 1 && vd[0] == 1));
	for (size_t k = 0; k < GW_ARRAY_SIZE(lists); k++) {
		const struct eventlog_event *e;
		json_object *arr;

		e = sb_var(log, bank, lists[k].global ? gwpol_efi_global_guid : gwpol_efi_imgdb_guid,
			   lists[k].var, &vd, &vl);
		if (!e)
			continue;
		arr = put(b, sb, lists[k].key, json_object_new_array());
		if (arr)
			add_digest(b, arr, gwpol_event_digest(e, bank), dsize);
	}
}

/* As the evaluator reads them: from PCR 4's own sequence, the first and the last
 * boot application. With --allowed, the kernel rule is left out when PCR 4 has a
 * boot application between the two: an allowed list lets it come last too, so a
 * kernel rule there could be passed by extending the kernel's digest after it
 * (gwpolicy lint refuses that combination). */
static void boot_apps(struct builder *b, const struct eventlog *log, uint16_t bank, size_t dsize,
		      bool allowed, json_object *fw)
{
	const struct eventlog_event *first = NULL, *last = NULL;
	size_t n;
	json_object *arr;

	n = gwpol_boot_apps(log, &first, &last);
	if (!first)
		return;
	arr = put(b, fw, "bootloader", json_object_new_array());
	if (arr)
		add_digest(b, arr, gwpol_event_digest(first, bank), dsize);
	if (n < 2 || (allowed && n > 2))
		return;
	arr = put(b, fw, "kernel", json_object_new_array());
	if (arr)
		add_digest(b, arr, gwpol_event_digest(last, bank), dsize);
}

/* sha256 when the log has a complete bank of it, else sha1, else the first
 * complete bank we know. */
static int pick_bank(const struct eventlog *log, uint16_t want, uint16_t *bank, gw_error *err)
{
	static const uint16_t pref[] = { TPM2_ALG_SHA256, TPM2_ALG_SHA1, TPM2_ALG_SHA384,
					 TPM2_ALG_SHA512 };

	for (size_t k = 0; k < GW_ARRAY_SIZE(pref); k++) {
		if (want && pref[k] != want)
			continue;
		for (size_t i = 0; i < log->nalgs; i++)
			if (log->algs[i] == pref[k] && !log->alg_incomplete[i] &&
			    gw_alg_md(pref[k])) {
				*bank = pref[k];
				return 0;
			}
	}
	if (want)
		return gw_fail(err, GW_E_UNSUPPORTED, "the firmware log has no complete %s bank",
			       gw_alg_by_id(want) ? gw_alg_by_id(want)->name : "such");
	return gw_fail(err, GW_E_UNSUPPORTED, "the firmware log has no complete bank to draft from");
}

static void sel_add(TPML_PCR_SELECTION *sel, uint16_t alg, unsigned pcr)
{
	TPMS_PCR_SELECTION *s = NULL;

	for (uint32_t i = 0; i < sel->count; i++)
		if (sel->pcrSelections[i].hash == alg)
			s = &sel->pcrSelections[i];
	if (!s) {
		if (sel->count >= TPM2_NUM_PCR_BANKS)
			return;
		s = &sel->pcrSelections[sel->count++];
		memset(s, 0, sizeof(*s));
		s->hash = alg;
		s->sizeofSelect = 3;
	}
	s->pcrSelect[pcr / 8] |= (uint8_t)(1u << (pcr % 8));
}

static void stages(struct builder *b, const struct gwpol_draft_input *in, json_object *root,
		   TPML_PCR_SELECTION *sel)
{
	json_object *st = NULL;

	for (size_t i = 0; in->cel && i < in->cel->n; i++) {
		const struct cel_record *r = &in->cel->rec[i];
		const uint8_t *d;
		json_object *arr = NULL;

		if (!r->event_type || strcmp(r->event_type, "stage") || !r->stage ||
		    r->pcr != GWPOL_STAGE_PCR)
			continue;
		d = gwpol_record_sha256(r);
		if (!d)
			continue;
		if (!st)
			st = put(b, root, "stages", json_object_new_object());
		if (st && !json_object_object_get_ex(st, r->stage, &arr))
			arr = put(b, st, r->stage, json_object_new_array());
		if (arr)
			add_digest(b, arr, d, 32);
	}
	for (size_t i = 0; i < in->n_stages; i++) {
		json_object *arr = NULL;

		if (!st)
			st = put(b, root, "stages", json_object_new_object());
		if (st && !json_object_object_get_ex(st, in->stages[i].name, &arr))
			arr = put(b, st, in->stages[i].name, json_object_new_array());
		if (arr)
			add_digest(b, arr, in->stages[i].sha256, 32);
	}
	if (st)
		sel_add(sel, TPM2_ALG_SHA256, GWPOL_STAGE_PCR);
}

/* The digests of the log's trust records on the trust PCR whose text starts with
 * prefix, as a digest list (NULL when there is none). */
static json_object *trust_digests(struct builder *b, const struct cel_log *cel, const char *prefix)
{
	json_object *list = NULL;

	for (size_t i = 0; cel && i < cel->n; i++) {
		const struct cel_record *r = &cel->rec[i];
		const uint8_t *d;

		if (!r->event_type || strcmp(r->event_type, "trust") || !r->string ||
		    strncmp(r->string, prefix, strlen(prefix)) || r->pcr != GWPOL_TRUST_PCR)
			continue;
		d = gwpol_record_sha256(r);
		if (!d)
			continue;
		if (!list)
			list = json_object_new_array();
		add_digest(b, list, d, 32);
	}
	return list;
}

/* The gate key and the update trust root the golden device pinned (and --gate-key). */
static void trust(struct builder *b, const struct gwpol_draft_input *in, json_object *root,
		  TPML_PCR_SELECTION *sel)
{
	json_object *gk = trust_digests(b, in->cel, "verifier gate key");
	json_object *tr = trust_digests(b, in->cel, "trust root");
	json_object *t;

	if (in->has_gate_key) {
		if (!gk)
			gk = json_object_new_array();
		add_digest(b, gk, in->gate_key, 32);
	}
	if (!gk && !tr)
		return;
	t = put(b, root, "trust", json_object_new_object());
	if (gk)
		put(b, t, "gate_key", gk);
	if (tr)
		put(b, t, "trust_root", tr);
	sel_add(sel, TPM2_ALG_SHA256, GWPOL_TRUST_PCR);
}

static int firmware(struct builder *b, const struct gwpol_draft_input *in, json_object *root,
		    TPML_PCR_SELECTION *sel, uint32_t *fw_pcrs, gw_error *err)
{
	const struct eventlog *log = in->fwlog;
	json_object *fw, *pcrs, *view = NULL, *types = NULL, *req;
	uint16_t bank = 0;
	size_t dsize;
	uint32_t extended = 0;
	int rc;

	rc = pick_bank(log, in->bank, &bank, err);
	if (rc)
		return rc;
	dsize = gw_alg_by_id(bank)->size;
	/* Only for the comments: a log too odd to describe is still drafted. */
	if (eventlog_events_json(log, &view))
		view = NULL;
	fw = put(b, root, "firmware", json_object_new_object());
	put(b, fw, "bank", json_object_new_string(gw_alg_by_id(bank)->name));
	pcrs = put(b, fw, "pcrs", json_object_new_object());
	for (size_t i = 0; i < log->nevents; i++)
		if (gwpol_event_extends(&log->events[i]))
			extended |= 1u << log->events[i].pcr;
	*fw_pcrs = extended;
	for (unsigned p = 0; p < GW_NUM_PCRS && !rc; p++) {
		char key[4];

		if (!(extended & (1u << p)))
			continue;
		snprintf(key, sizeof(key), "%u", p);
		put(b, pcrs, key, pcr_rule(b, log, p, bank, dsize, in->allowed, view, err, &rc));
		sel_add(sel, bank, p);
	}
	for (size_t i = 0; i < log->nevents && !rc; i++) {
		const struct eventlog_event *e = &log->events[i];
		char t[16];
		bool seen = false;

		if (eventlog_type_known(e->type))
			continue;
		if (!types)
			types = put(b, fw, "allow_event_types", json_object_new_array());
		gwpol_type_str(e->type, t, sizeof(t));
		for (size_t k = 0; types && k < json_object_array_length(types); k++)
			seen |= !strcmp(json_object_get_string(json_object_array_get_idx(types, k)), t);
		if (!seen)
			append(b, types, json_object_new_string(t));
	}
	/* Required events are sound only on a PCR with a sequence rule (gwpolicy lint
	 * refuses them elsewhere): with --allowed, root could extend them after boot. */
	req = in->allowed ? NULL : json_object_new_array();
	if (req) {
		required_events(b, log, bank, view, req);
		if (json_object_array_length(req))
			put(b, fw, "required_events", req);
		else
			json_object_put(req);
	}
	secure_boot(b, log, bank, dsize, fw);
	boot_apps(b, log, bank, dsize, in->allowed, fw);
	json_object_put(view);
	return rc;
}

static json_object *pcr_list(uint32_t pcrs)
{
	json_object *arr = json_object_new_array();

	for (unsigned p = 0; arr && p < GW_NUM_PCRS; p++)
		if ((pcrs & (1u << p)) && json_object_array_add(arr, json_object_new_int((int)p))) {
			json_object_put(arr);
			return NULL;
		}
	return arr;
}

/* Which log may extend which PCR, exactly as the golden device's logs did: the
 * firmware log the PCRs it extends, the CEL log the PCRs of the agent's rules. */
static void logs(struct builder *b, json_object *root, uint32_t fw_pcrs)
{
	json_object *l = put(b, root, "logs", json_object_new_object());
	uint32_t cel = 0;

	if (json_object_object_get_ex(root, "stages", NULL))
		cel |= 1u << GWPOL_STAGE_PCR;
	if (json_object_object_get_ex(root, "trust", NULL))
		cel |= 1u << GWPOL_TRUST_PCR;
	put(b, l, "firmware", pcr_list(fw_pcrs));
	put(b, l, "cel", pcr_list(cel));
}

int gwpol_draft(const struct gwpol_draft_input *in, struct json_object **out, gw_error *err)
{
	struct builder b = { false };
	TPML_PCR_SELECTION sel;
	json_object *root = NULL;
	char selstr[256];
	uint32_t fw_pcrs = 0;
	int rc = 0;

	if (!in || !out || !in->model || !in->model[0])
		return gw_fail(err, GW_E_INVAL, "a model is required");
	if (!in->fwlog && !in->cel && !in->n_stages && !in->has_gate_key)
		return gw_fail(err, GW_E_INVAL, "nothing to draft a policy from");
	memset(&sel, 0, sizeof(sel));
	root = json_object_new_object();
	put(&b, root, "model", json_object_new_string(in->model));
	put(&b, root, "version", json_object_new_int64(in->version ? in->version : 1));
	if (in->description)
		put(&b, root, "description", json_object_new_string(in->description));
	/* pcr_selection goes here, once the rules say which PCRs they need. */
	put(&b, root, "pcr_selection", json_object_new_string(""));
	if (in->fwlog)
		rc = firmware(&b, in, root, &sel, &fw_pcrs, err);
	if (!rc) {
		stages(&b, in, root, &sel);
		trust(&b, in, root, &sel);
		logs(&b, root, fw_pcrs);
		/* No rule needs a PCR (a firmware log that extends none): the default. */
		if (sel.count == 0)
			json_object_object_del(root, "pcr_selection");
		else if (gw_pcrsel_format(&sel, selstr, sizeof(selstr)))
			rc = gw_fail(err, GW_E_INVAL, "the PCR selection does not fit");
		else
			put(&b, root, "pcr_selection", json_object_new_string(selstr));
	}
	if (!rc && b.oom)
		rc = gw_fail(err, GW_E_NOMEM, "building the draft");
	if (rc) {
		json_object_put(root);
		return rc;
	}
	*out = root;
	return 0;
}
