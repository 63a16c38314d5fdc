// SPDX-License-Identifier: Apache-2.0
// What a new policy allows or forbids that an old one did not, rule by rule
// (gwpol_diff.h): the comparison behind `gwpolicy diff`.
#include "gwpol_diff.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

/* Lists longer than this are summarised by their length on a change line. */
#define INLINE_DIGESTS 4
/* A required event's data up to this many bytes is shown in hex. */
#define SHORT_DATA 32

enum change_kind { CH_ALLOW, CH_FORBID, CH_CHANGE };

struct diff {
	json_object *changes;
	bool nomem;
	const char *bank_a, *bank_b; /* firmware bank names, for digests */
};

static const char *const kind_names[] = { "allow", "forbid", "change" };

static void change(struct diff *df, enum change_kind kind, const char *path, json_object *old,
		   json_object *new, bool loosens, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));

/* Takes ownership of old and new (either may be NULL: JSON null). */
static void change(struct diff *df, enum change_kind kind, const char *path, json_object *old,
		   json_object *new, bool loosens, const char *fmt, ...)
{
	json_object *c = json_object_new_object();
	char what[2048];
	va_list ap;

	va_start(ap, fmt);
	/* An overlong description is cut, never an error: the JSON values are whole. */
	(void)vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (!c) {
		df->nomem = true;
		json_object_put(old);
		json_object_put(new);
		return;
	}
	/* json-c fails these only when out of memory, which the array add catches. */
	json_object_object_add(c, "kind", json_object_new_string(kind_names[kind]));
	json_object_object_add(c, "path", json_object_new_string(path));
	json_object_object_add(c, "what", json_object_new_string(what));
	json_object_object_add(c, "old", old);
	json_object_object_add(c, "new", new);
	if (loosens)
		json_object_object_add(c, "loosens", json_object_new_boolean(true));
	if (json_object_array_add(df->changes, c)) {
		df->nomem = true;
		json_object_put(c);
	}
}

static json_object *jstr(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static bool digests_have(const struct gwpol_digests *ds, const uint8_t *d, size_t size)
{
	for (size_t i = 0; i < ds->n; i++)
		if (ds->size == size && !memcmp(ds->d[i], d, size))
			return true;
	return false;
}

/* a ⊆ b */
static bool digests_subset(const struct gwpol_digests *a, const struct gwpol_digests *b)
{
	for (size_t i = 0; i < a->n; i++)
		if (!digests_have(b, a->d[i], a->size))
			return false;
	return true;
}

/* Lists hold no digest twice (the parser refuses it): same size and a ⊆ b is a = b. */
static bool digests_equal(const struct gwpol_digests *a, const struct gwpol_digests *b)
{
	return a->n == b->n && digests_subset(a, b);
}

static json_object *digests_json(const struct gwpol_digests *ds)
{
	json_object *a = json_object_new_array();
	char h[2 * GW_MAX_DIGEST + 1];

	for (size_t i = 0; a && i < ds->n; i++) {
		gw_hex_encode(ds->d[i], ds->size, h);
		json_object_array_add(a, json_object_new_string(h));
	}
	return a;
}

/* "sha256:HEX", "sha256:HEX|HEX" or "N digests" into buf. */
static const char *digests_text(const char *bank, const struct gwpol_digests *ds, char *buf,
				size_t len)
{
	char h[2 * GW_MAX_DIGEST + 1];
	size_t off;

	if (ds->n == 0 || ds->n > INLINE_DIGESTS) {
		(void)snprintf(buf, len, "%zu digests", ds->n);
		return buf;
	}
	(void)snprintf(buf, len, "%s:", bank);
	for (size_t i = 0; i < ds->n; i++) {
		off = strlen(buf);
		gw_hex_encode(ds->d[i], ds->size, h);
		(void)snprintf(buf + off, len - off, "%s%s", i ? "|" : "", h);
	}
	return buf;
}

/* Digests added to (allow) and removed from (forbid) one allow list. */
static void diff_digests(struct diff *df, const char *path, const char *label, const char *bank,
			 const struct gwpol_digests *a, const struct gwpol_digests *b)
{
	char h[2 * GW_MAX_DIGEST + 1];

	for (size_t i = 0; i < b->n; i++) {
		if (digests_have(a, b->d[i], b->size))
			continue;
		gw_hex_encode(b->d[i], b->size, h);
		change(df, CH_ALLOW, path, NULL, jstr(h), true, "%s %s:%s", label, bank, h);
	}
	for (size_t i = 0; i < a->n; i++) {
		if (digests_have(b, a->d[i], a->size))
			continue;
		gw_hex_encode(a->d[i], a->size, h);
		change(df, CH_FORBID, path, jstr(h), NULL, false, "%s %s:%s", label, bank, h);
	}
}

/* An optional allow list: absent means any digest passes. The label is the path
 * without "$."; bank NULL: the firmware banks. */
static void diff_opt_digests(struct diff *df, const char *path, const char *bank, bool has_a,
			     const struct gwpol_digests *a, bool has_b,
			     const struct gwpol_digests *b)
{
	const char *label = path + 2;
	const char *bank_a = bank ? bank : df->bank_a, *bank_b = bank ? bank : df->bank_b;
	char ta[1024], tb[1024];

	if (has_a && has_b) {
		diff_digests(df, path, label, bank_b, a, b);
	} else if (has_a != has_b) {
		change(df, CH_CHANGE, path, has_a ? digests_json(a) : NULL,
		       has_b ? digests_json(b) : NULL, !has_b, "%s: %s -> %s", label,
		       has_a ? digests_text(bank_a, a, ta, sizeof(ta)) : "any digest",
		       has_b ? digests_text(bank_b, b, tb, sizeof(tb)) : "any digest");
	}
}

static void diff_strings(struct diff *df, const char *path, const char *label, size_t na,
			 const char (*a)[GWPOL_NAME_MAX + 1], size_t nb,
			 const char (*b)[GWPOL_NAME_MAX + 1])
{
	for (size_t i = 0; i < nb; i++) {
		size_t j = 0;

		while (j < na && strcmp(a[j], b[i]))
			j++;
		if (j == na)
			change(df, CH_ALLOW, path, NULL, jstr(b[i]), true, "%s %s", label, b[i]);
	}
	for (size_t i = 0; i < na; i++) {
		size_t j = 0;

		while (j < nb && strcmp(b[j], a[i]))
			j++;
		if (j == nb)
			change(df, CH_FORBID, path, jstr(a[i]), NULL, false, "%s %s", label, a[i]);
	}
}

/* Every PCR of b is also in a: quoting fewer PCRs authenticates less. */
static bool selection_subset(const TPML_PCR_SELECTION *b, const TPML_PCR_SELECTION *a)
{
	for (size_t i = 0; i < b->count && i < TPM2_NUM_PCR_BANKS; i++) {
		const TPMS_PCR_SELECTION *sb = &b->pcrSelections[i], *sa = NULL;

		for (size_t j = 0; j < a->count && j < TPM2_NUM_PCR_BANKS; j++)
			if (a->pcrSelections[j].hash == sb->hash)
				sa = &a->pcrSelections[j];
		for (unsigned k = 0; k < GW_NUM_PCRS; k++)
			if (gw_pcrsel_has(sb, k) && (!sa || !gw_pcrsel_has(sa, k)))
				return false;
	}
	return true;
}

/* One allow or forbid line per PCR a log may newly, or no longer, extend. */
static void diff_log(struct diff *df, const char *path, const char *log, uint32_t a, uint32_t b)
{
	for (unsigned p = 0; p < GW_NUM_PCRS; p++) {
		bool in_a = a & (1u << p), in_b = b & (1u << p);

		if (in_a == in_b)
			continue;
		change(df, in_b ? CH_ALLOW : CH_FORBID, path, in_a ? json_object_new_int((int)p) : NULL,
		       in_b ? json_object_new_int((int)p) : NULL, in_b, "%s log on PCR %u", log, p);
	}
}

static void diff_top(struct diff *df, const struct gwpol *a, const struct gwpol *b)
{
	TPML_PCR_SELECTION sa, sb;
	char ta[GW_PCRSEL_TEXT_MAX], tb[GW_PCRSEL_TEXT_MAX];

	if ((a->description == NULL) != (b->description == NULL) ||
	    (a->description && strcmp(a->description, b->description)))
		change(df, CH_CHANGE, "$.description", jstr(a->description), jstr(b->description),
		       false, "description changed");
	gwpol_selection(a, &sa);
	gwpol_selection(b, &sb);
	if (!gw_pcrsel_equal(&sa, &sb)) {
		if (gw_pcrsel_format(&sa, ta, sizeof(ta)))
			snprintf(ta, sizeof(ta), "?");
		if (gw_pcrsel_format(&sb, tb, sizeof(tb)))
			snprintf(tb, sizeof(tb), "?");
		change(df, CH_CHANGE, "$.pcr_selection", jstr(ta), jstr(tb),
		       selection_subset(&sb, &sa), "pcr_selection %s%s -> %s%s", ta,
		       a->has_pcr_selection ? "" : " (default)", tb,
		       b->has_pcr_selection ? "" : " (default)");
	}
	if (a->has_freshness != b->has_freshness ||
	    (a->has_freshness && a->freshness_seconds != b->freshness_seconds)) {
		(void)snprintf(ta, sizeof(ta), "%u", a->freshness_seconds);
		(void)snprintf(tb, sizeof(tb), "%u", b->freshness_seconds);
		change(df, CH_CHANGE, "$.freshness_seconds",
		       a->has_freshness ? json_object_new_int64(a->freshness_seconds) : NULL,
		       b->has_freshness ? json_object_new_int64(b->freshness_seconds) : NULL,
		       a->has_freshness && b->has_freshness &&
			       b->freshness_seconds > a->freshness_seconds,
		       "freshness_seconds %s -> %s", a->has_freshness ? ta : "default",
		       b->has_freshness ? tb : "default");
	}
	diff_log(df, "$.logs.firmware", "firmware", a->logs.firmware, b->logs.firmware);
	diff_log(df, "$.logs.cel", "CEL", a->logs.cel, b->logs.cel);
}

/* "sequence of 12 events", "allowed list of 3 elements", "unchecked", "no rule" */
static const char *rule_text(const struct gwpol_fw_pcr *r, char *buf, size_t len)
{
	if (!r)
		return "no rule";
	if (r->mode == GWPOL_PCR_UNCHECKED)
		return "unchecked";
	(void)snprintf(buf, len, "%s of %zu %s%s",
		       r->mode == GWPOL_PCR_SEQUENCE ? "sequence" : "allowed list", r->n,
		       r->mode == GWPOL_PCR_SEQUENCE ? "event" : "element", r->n == 1 ? "" : "s");
	return buf;
}

static json_object *event_json(const struct gwpol_fw_event *e)
{
	json_object *o = json_object_new_object();
	char t[32];

	if (o) {
		json_object_object_add(o, "type", jstr(gwpol_type_str(e->type, t, sizeof(t))));
		json_object_object_add(o, "digests", digests_json(&e->digests));
	}
	return o;
}

static json_object *rule_json(const struct gwpol_fw_pcr *r)
{
	json_object *o, *a;

	if (!r)
		return NULL;
	o = json_object_new_object();
	if (!o)
		return NULL;
	json_object_object_add(o, "mode", jstr(gwpol_pcr_mode_name(r->mode)));
	if (r->mode != GWPOL_PCR_UNCHECKED) {
		a = json_object_new_array();
		for (size_t i = 0; a && i < r->n; i++)
			json_object_array_add(a, event_json(&r->ev[i]));
		json_object_object_add(o, "events", a);
	}
	return o;
}

static bool event_equal(const struct gwpol_fw_event *x, const struct gwpol_fw_event *y)
{
	return x->type == y->type && digests_equal(&x->digests, &y->digests);
}

/* "EV_POST_CODE sha256:HEX" */
static const char *event_text(const char *bank, const struct gwpol_fw_event *e, char *buf,
			      size_t len)
{
	char t[32], d[1024];

	(void)snprintf(buf, len, "%s %s", gwpol_type_str(e->type, t, sizeof(t)),
		       digests_text(bank, &e->digests, d, sizeof(d)));
	return buf;
}

/* The allowed list as a set of (type, digest) pairs: order and grouping do not
 * matter to what it accepts. */
static void diff_allowed_side(struct diff *df, const char *path, unsigned pcr, const char *bank,
			      const struct gwpol_fw_pcr *from, const struct gwpol_fw_pcr *to,
			      enum change_kind kind)
{
	char h[2 * GW_MAX_DIGEST + 1], t[32];

	for (size_t i = 0; i < to->n; i++) {
		const struct gwpol_fw_event *e = &to->ev[i];

		for (size_t k = 0; k < e->digests.n; k++) {
			bool found = false;
			json_object *o;

			for (size_t j = 0; j < from->n && !found; j++)
				found = from->ev[j].type == e->type &&
					digests_have(&from->ev[j].digests, e->digests.d[k],
						     e->digests.size);
			if (found)
				continue;
			gw_hex_encode(e->digests.d[k], e->digests.size, h);
			o = json_object_new_object();
			if (o) {
				json_object_object_add(o, "type",
						       jstr(gwpol_type_str(e->type, t, sizeof(t))));
				json_object_object_add(o, "digest", jstr(h));
			}
			change(df, kind, path, kind == CH_FORBID ? o : NULL,
			       kind == CH_ALLOW ? o : NULL, kind == CH_ALLOW,
			       "firmware PCR %u %s %s:%s", pcr,
			       gwpol_type_str(e->type, t, sizeof(t)), bank, h);
		}
	}
}

static void diff_sequence(struct diff *df, unsigned pcr, const struct gwpol_fw_pcr *a,
			  const struct gwpol_fw_pcr *b)
{
	size_t pre = 0, suf = 0, ma, mb;
	char path[128], ta[1200], tb[1200];

	while (pre < a->n && pre < b->n && event_equal(&a->ev[pre], &b->ev[pre]))
		pre++;
	while (suf < a->n - pre && suf < b->n - pre &&
	       event_equal(&a->ev[a->n - 1 - suf], &b->ev[b->n - 1 - suf]))
		suf++;
	ma = a->n - pre - suf;
	mb = b->n - pre - suf;
	if (ma == mb) {
		for (size_t i = pre; i < pre + ma; i++) {
			const struct gwpol_fw_event *x = &a->ev[i], *y = &b->ev[i];

			if (event_equal(x, y))
				continue;
			(void)snprintf(path, sizeof(path), "$.firmware.pcrs.%u.sequence[%zu]", pcr,
				       i);
			/* An alternative added or dropped reads better as allow/forbid. */
			if (x->type == y->type && (digests_subset(&x->digests, &y->digests) ||
						   digests_subset(&y->digests, &x->digests))) {
				char label[96], t[32];

				(void)snprintf(label, sizeof(label),
					       "firmware PCR %u sequence[%zu] %s", pcr, i,
					       gwpol_type_str(x->type, t, sizeof(t)));
				diff_digests(df, path, label, df->bank_b, &x->digests, &y->digests);
				continue;
			}
			change(df, CH_CHANGE, path, event_json(x), event_json(y), false,
			       "firmware PCR %u: sequence of %zu events changed at [%zu]: %s -> %s",
			       pcr, a->n, i, event_text(df->bank_a, x, ta, sizeof(ta)),
			       event_text(df->bank_b, y, tb, sizeof(tb)));
		}
		return;
	}
	for (size_t i = pre; i < pre + ma; i++) {
		(void)snprintf(path, sizeof(path), "$.firmware.pcrs.%u.sequence[%zu]", pcr, i);
		change(df, CH_CHANGE, path, event_json(&a->ev[i]), NULL, false,
		       "firmware PCR %u: sequence of %zu -> %zu events, removed old [%zu]: %s", pcr,
		       a->n, b->n, i, event_text(df->bank_a, &a->ev[i], ta, sizeof(ta)));
	}
	for (size_t i = pre; i < pre + mb; i++) {
		(void)snprintf(path, sizeof(path), "$.firmware.pcrs.%u.sequence[%zu]", pcr, i);
		change(df, CH_CHANGE, path, NULL, event_json(&b->ev[i]), false,
		       "firmware PCR %u: sequence of %zu -> %zu events, inserted new [%zu]: %s",
		       pcr, a->n, b->n, i, event_text(df->bank_b, &b->ev[i], tb, sizeof(tb)));
	}
}

static void diff_fw_pcrs(struct diff *df, const struct gwpol_firmware *fa,
			 const struct gwpol_firmware *fb)
{
	for (unsigned pcr = 0; pcr < GW_NUM_PCRS; pcr++) {
		const struct gwpol_fw_pcr *a = gwpol_fw_rule(fa, pcr), *b = gwpol_fw_rule(fb, pcr);
		char path[64], ta[64], tb[64];

		if (!a && !b)
			continue;
		(void)snprintf(path, sizeof(path), "$.firmware.pcrs.%u", pcr);
		if (!a || !b || a->mode != b->mode) {
			change(df, CH_CHANGE, path, rule_json(a), rule_json(b),
			       !b || (b->mode == GWPOL_PCR_UNCHECKED && a),
			       "firmware PCR %u: %s -> %s", pcr, rule_text(a, ta, sizeof(ta)),
			       rule_text(b, tb, sizeof(tb)));
			continue;
		}
		if (a->mode == GWPOL_PCR_ALLOWED) {
			diff_allowed_side(df, path, pcr, df->bank_b, a, b, CH_ALLOW);
			diff_allowed_side(df, path, pcr, df->bank_a, b, a, CH_FORBID);
		} else if (a->mode == GWPOL_PCR_SEQUENCE) {
			diff_sequence(df, pcr, a, b);
		}
	}
}

static bool required_equal(const struct gwpol_required *x, const struct gwpol_required *y)
{
	return x->has_pcr == y->has_pcr && (!x->has_pcr || x->pcr == y->pcr) &&
	       x->type == y->type && (x->text == NULL) == (y->text == NULL) &&
	       (!x->text || !strcmp(x->text, y->text)) && (x->data == NULL) == (y->data == NULL) &&
	       (!x->data || (x->data_len == y->data_len &&
			     !memcmp(x->data, y->data, x->data_len)));
}

static json_object *required_json(const struct gwpol_required *q)
{
	json_object *o = json_object_new_object();
	char t[32], *h = NULL;

	if (!o)
		return NULL;
	if (q->has_pcr)
		json_object_object_add(o, "pcr", json_object_new_int(q->pcr));
	json_object_object_add(o, "type", jstr(gwpol_type_str(q->type, t, sizeof(t))));
	if (q->text)
		json_object_object_add(o, "text", jstr(q->text));
	if (q->data && (h = malloc(2 * q->data_len + 1))) {
		gw_hex_encode(q->data, q->data_len, h);
		json_object_object_add(o, "data", jstr(h));
	}
	free(h);
	return o;
}

/* "PCR 4 EV_EFI_ACTION "Exit Boot Services Invocation"" */
static const char *required_text(const struct gwpol_required *q, char *buf, size_t len)
{
	char t[32], pcr[16] = "";

	if (q->has_pcr)
		(void)snprintf(pcr, sizeof(pcr), "PCR %u ", q->pcr);
	if (q->text)
		(void)snprintf(buf, len, "%s%s \"%s\"", pcr, gwpol_type_str(q->type, t, sizeof(t)),
			       q->text);
	else if (q->data && q->data_len <= SHORT_DATA) {
		char h[2 * SHORT_DATA + 1];

		gw_hex_encode(q->data, q->data_len, h);
		(void)snprintf(buf, len, "%s%s data %s", pcr, gwpol_type_str(q->type, t, sizeof(t)),
			       h);
	} else if (q->data)
		(void)snprintf(buf, len, "%s%s with %zu bytes of data", pcr,
			       gwpol_type_str(q->type, t, sizeof(t)), q->data_len);
	else
		(void)snprintf(buf, len, "%s%s", pcr, gwpol_type_str(q->type, t, sizeof(t)));
	return buf;
}

static void diff_required(struct diff *df, const struct gwpol_firmware *fa,
			  const struct gwpol_firmware *fb)
{
	char text[GWPOL_TEXT_MAX + 64];

	for (size_t i = 0; i < fb->n_required; i++) {
		size_t j = 0;

		while (j < fa->n_required && !required_equal(&fa->required[j], &fb->required[i]))
			j++;
		if (j == fa->n_required)
			change(df, CH_FORBID, "$.firmware.required_events", NULL,
			       required_json(&fb->required[i]), false,
			       "boots without firmware event %s",
			       required_text(&fb->required[i], text, sizeof(text)));
	}
	for (size_t i = 0; i < fa->n_required; i++) {
		size_t j = 0;

		while (j < fb->n_required && !required_equal(&fb->required[j], &fa->required[i]))
			j++;
		if (j == fb->n_required)
			change(df, CH_ALLOW, "$.firmware.required_events",
			       required_json(&fa->required[i]), NULL, true,
			       "boots without firmware event %s",
			       required_text(&fa->required[i], text, sizeof(text)));
	}
}

static void diff_types(struct diff *df, const struct gwpol_firmware *fa,
		       const struct gwpol_firmware *fb)
{
	char t[32];

	for (size_t i = 0; i < fb->n_allow_types; i++) {
		size_t j = 0;

		while (j < fa->n_allow_types && fa->allow_types[j] != fb->allow_types[i])
			j++;
		if (j == fa->n_allow_types)
			change(df, CH_ALLOW, "$.firmware.allow_event_types", NULL,
			       jstr(gwpol_type_str(fb->allow_types[i], t, sizeof(t))), true,
			       "firmware event type %s", t);
	}
	for (size_t i = 0; i < fa->n_allow_types; i++) {
		size_t j = 0;

		while (j < fb->n_allow_types && fb->allow_types[j] != fa->allow_types[i])
			j++;
		if (j == fb->n_allow_types)
			change(df, CH_FORBID, "$.firmware.allow_event_types",
			       jstr(gwpol_type_str(fa->allow_types[i], t, sizeof(t))), NULL, false,
			       "firmware event type %s", t);
	}
}

static void diff_secure_boot(struct diff *df, const struct gwpol_secure_boot *a,
			     const struct gwpol_secure_boot *b)
{
	if (!a->present || !b->present) {
		if (a->present != b->present)
			change(df, CH_CHANGE, "$.firmware.secure_boot",
			       a->present ? json_object_new_boolean(a->enabled) : NULL,
			       b->present ? json_object_new_boolean(b->enabled) : NULL, !b->present,
			       "firmware.secure_boot: %s -> %s",
			       a->present ? (a->enabled ? "enabled" : "disabled") : "no rule",
			       b->present ? (b->enabled ? "enabled" : "disabled") : "no rule");
		if (!b->present)
			return;
	}
	if (a->present && a->enabled != b->enabled)
		change(df, CH_CHANGE, "$.firmware.secure_boot.enabled",
		       json_object_new_boolean(a->enabled), json_object_new_boolean(b->enabled),
		       a->enabled, "firmware.secure_boot.enabled %s -> %s",
		       a->enabled ? "true" : "false", b->enabled ? "true" : "false");
	diff_opt_digests(df, "$.firmware.secure_boot.pk", NULL, a->has_pk, &a->pk, b->has_pk,
			 &b->pk);
	diff_opt_digests(df, "$.firmware.secure_boot.kek", NULL, a->has_kek, &a->kek, b->has_kek,
			 &b->kek);
	diff_opt_digests(df, "$.firmware.secure_boot.db", NULL, a->has_db, &a->db, b->has_db,
			 &b->db);
	diff_opt_digests(df, "$.firmware.secure_boot.dbx", NULL, a->has_dbx, &a->dbx, b->has_dbx,
			 &b->dbx);
}

static void diff_firmware(struct diff *df, const struct gwpol_firmware *fa,
			  const struct gwpol_firmware *fb)
{
	const struct gw_alg *aa = gw_alg_by_id(fa->bank), *ab = gw_alg_by_id(fb->bank);

	df->bank_a = fa->present && aa ? aa->name : "?";
	df->bank_b = fb->present && ab ? ab->name : "?";
	if (!fa->present && !fb->present)
		return;
	if (fa->present != fb->present)
		change(df, CH_CHANGE, "$.firmware", NULL, NULL, !fb->present,
		       "firmware: %s -> %s", fa->present ? "rules" : "no rules",
		       fb->present ? "rules" : "no rules");
	else if (fa->bank != fb->bank)
		change(df, CH_CHANGE, "$.firmware.bank", jstr(df->bank_a), jstr(df->bank_b), false,
		       "firmware.bank %s -> %s (every firmware digest changes with it)",
		       df->bank_a, df->bank_b);
	diff_fw_pcrs(df, fa, fb);
	diff_types(df, fa, fb);
	diff_required(df, fa, fb);
	diff_secure_boot(df, &fa->secure_boot, &fb->secure_boot);
	diff_opt_digests(df, "$.firmware.bootloader", NULL, fa->has_bootloader, &fa->bootloader,
			 fb->has_bootloader, &fb->bootloader);
	diff_opt_digests(df, "$.firmware.kernel", NULL, fa->has_kernel, &fa->kernel,
			 fb->has_kernel, &fb->kernel);
}

static const struct gwpol_stage *stage_find(const struct gwpol *p, const char *name)
{
	for (size_t i = 0; i < p->n_stages; i++)
		if (!strcmp(p->stages[i].name, name))
			return &p->stages[i];
	return NULL;
}

static void diff_stage_rule(struct diff *df, const struct gwpol_stage *a,
			    const struct gwpol_stage *b)
{
	const struct gwpol_stage *s = a ? a : b;
	char path[GWPOL_NAME_MAX + 16], label[GWPOL_NAME_MAX + 8], ta[1024], tb[1024];

	(void)snprintf(path, sizeof(path), "$.stages.%s", s->name);
	(void)snprintf(label, sizeof(label), "stage %s", s->name);
	if (a && b) {
		if (a->claim != b->claim)
			change(df, CH_CHANGE, path, jstr(gwpol_claim_name(a->claim)),
			       jstr(gwpol_claim_name(b->claim)), false, "stage %s claim %s -> %s",
			       s->name, gwpol_claim_name(a->claim), gwpol_claim_name(b->claim));
		diff_digests(df, path, label, "sha256", &a->digests, &b->digests);
		return;
	}
	(void)snprintf(ta, sizeof(ta), "%s (claim %s)",
		       digests_text("sha256", &s->digests, tb, sizeof(tb)),
		       gwpol_claim_name(s->claim));
	change(df, CH_CHANGE, path, a ? digests_json(&a->digests) : NULL,
	       b ? digests_json(&b->digests) : NULL, false, "stage %s: %s -> %s", s->name,
	       a ? ta : "no rule", b ? ta : "no rule");
}

static void diff_stages(struct diff *df, const struct gwpol *a, const struct gwpol *b)
{
	for (size_t i = 0; i < a->n_stages; i++)
		diff_stage_rule(df, &a->stages[i], stage_find(b, a->stages[i].name));
	for (size_t i = 0; i < b->n_stages; i++)
		if (!stage_find(a, b->stages[i].name))
			diff_stage_rule(df, NULL, &b->stages[i]);
}

static void diff_update(struct diff *df, const struct gwpol_update *a,
			const struct gwpol_update *b)
{
	const bool has_a = a->has_min_security_version, has_b = b->has_min_security_version;
	char ta[16], tb[16];

	if (a->has_min_security_version != b->has_min_security_version ||
	    (a->has_min_security_version &&
	     a->min_security_version != b->min_security_version)) {
		(void)snprintf(ta, sizeof(ta), "%u", a->min_security_version);
		(void)snprintf(tb, sizeof(tb), "%u", b->min_security_version);
		change(df, CH_CHANGE, "$.update.min_security_version",
		       has_a ? json_object_new_int64(a->min_security_version) : NULL,
		       has_b ? json_object_new_int64(b->min_security_version) : NULL,
		       has_a && (!has_b || b->min_security_version < a->min_security_version),
		       "update.min_security_version %s -> %s", has_a ? ta : "none",
		       has_b ? tb : "none");
	}
	if (a->has_end_of_support != b->has_end_of_support ||
	    (a->has_end_of_support && strcmp(a->end_of_support, b->end_of_support)))
		change(df, CH_CHANGE, "$.update.end_of_support",
		       a->has_end_of_support ? jstr(a->end_of_support) : NULL,
		       b->has_end_of_support ? jstr(b->end_of_support) : NULL,
		       a->has_end_of_support &&
			       (!b->has_end_of_support || b->support_ends > a->support_ends),
		       "update.end_of_support %s -> %s",
		       a->has_end_of_support ? a->end_of_support : "none",
		       b->has_end_of_support ? b->end_of_support : "none");
	diff_strings(df, "$.update.channels", "update channel", a->n_channels, a->channels,
		     b->n_channels, b->channels);
	if (a->has_boot_files_pcr != b->has_boot_files_pcr ||
	    (a->has_boot_files_pcr && a->boot_files_pcr != b->boot_files_pcr)) {
		(void)snprintf(ta, sizeof(ta), "%u", a->boot_files_pcr);
		(void)snprintf(tb, sizeof(tb), "%u", b->boot_files_pcr);
		/* Dropping the check, or moving it to another PCR, lets a device that
		 * failed it pass. */
		change(df, CH_CHANGE, "$.update.boot_files_pcr",
		       a->has_boot_files_pcr ? json_object_new_int64(a->boot_files_pcr) : NULL,
		       b->has_boot_files_pcr ? json_object_new_int64(b->boot_files_pcr) : NULL,
		       a->has_boot_files_pcr, "update.boot_files_pcr %s -> %s",
		       a->has_boot_files_pcr ? ta : "none", b->has_boot_files_pcr ? tb : "none");
	}
}

int gwpol_diff(const struct gwpol *a, const struct gwpol *b, json_object **out)
{
	struct diff df = { .changes = json_object_new_array() };
	int rc = 0;

	if (!df.changes)
		return GW_E_NOMEM;
	diff_top(&df, a, b);
	diff_firmware(&df, &a->fw, &b->fw);
	diff_stages(&df, a, b);
	diff_opt_digests(&df, "$.trust.gate_key", "sha256", a->trust.has_gate_key,
			 &a->trust.gate_key, b->trust.has_gate_key, &b->trust.gate_key);
	diff_opt_digests(&df, "$.trust.trust_root", "sha256", a->trust.has_trust_root,
			 &a->trust.trust_root, b->trust.has_trust_root, &b->trust.trust_root);
	diff_update(&df, &a->update, &b->update);
	if (df.nomem) {
		rc = GW_E_NOMEM;
		goto out;
	}
	*out = df.changes;
	df.changes = NULL; /* transferred */
out:
	json_object_put(df.changes);
	return rc;
}
