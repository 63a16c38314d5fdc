// SPDX-License-Identifier: Apache-2.0
// The policy parser's firmware section (firmware.*: bank, per-PCR rules, event
// types, required events, Secure Boot) and the event type names it shares.
#include "gwpol_parse_int.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* ---- Event types ---- */

/* Every named type, found once by asking eventlog_type_name() over the ranges the
 * TCG PC Client PFP spec uses, so that names stay eventlog.c's. */
static struct {
	uint32_t type;
	const char *name;
} type_table[64];
static size_t n_types;
static pthread_once_t type_once = PTHREAD_ONCE_INIT;

static void type_table_init(void)
{
	static const uint32_t base[] = { 0x00000000u, 0x80000000u };

	for (size_t b = 0; b < GW_ARRAY_SIZE(base); b++)
		for (uint32_t t = base[b]; t < base[b] + 0x100 && n_types < GW_ARRAY_SIZE(type_table);
		     t++) {
			const char *name = eventlog_type_name(t);

			if (name) {
				type_table[n_types].type = t;
				type_table[n_types].name = name;
				n_types++;
			}
		}
}

bool gwpol_digests_have(const struct gwpol_digests *l, const uint8_t *d)
{
	for (size_t i = 0; i < l->n; i++)
		if (!memcmp(l->d[i], d, l->size))
			return true;
	return false;
}

bool gwpol_type_allowed(const struct gwpol_firmware *fw, uint32_t type)
{
	if (eventlog_type_known(type))
		return true;
	for (size_t i = 0; i < fw->n_allow_types; i++)
		if (fw->allow_types[i] == type)
			return true;
	return false;
}

const struct gwpol_fw_pcr *gwpol_fw_rule(const struct gwpol_firmware *fw, unsigned pcr)
{
	for (size_t i = 0; i < fw->n_pcrs; i++)
		if (fw->pcrs[i].pcr == pcr)
			return &fw->pcrs[i];
	return NULL;
}

const char *gwpol_pcr_mode_name(enum gwpol_pcr_mode m)
{
	switch (m) {
	case GWPOL_PCR_SEQUENCE:
		return "sequence";
	case GWPOL_PCR_ALLOWED:
		return "allowed";
	case GWPOL_PCR_UNCHECKED:
		return "unchecked";
	}
	return "?";
}

const char *gwpol_type_str(uint32_t type, char *buf, size_t len)
{
	const char *name = eventlog_type_name(type);

	if (name)
		return name;
	if (buf && len)
		(void)snprintf(buf, len, "0x%08x", (unsigned)type);
	return buf;
}

/* An event type: a name, or 0x and 8 lower-case hex digits for a type without one.
 * unknown_only: a named type is refused (allow_event_types). */
static bool parse_type(struct pctx *c, json_object *v, bool unknown_only, uint32_t *out)
{
	char k[SHOWN_MAX + 4];
	const char *s;
	size_t len;

	if (!gwpp_want(c, v, json_type_string))
		return false;
	s = json_object_get_string(v);
	len = (size_t)json_object_get_string_len(v);
	if (len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		uint8_t b[4];
		uint32_t t;
		const char *name;

		if (s[1] != 'x' || !gwpp_lower_hex(s + 2, len - 2, b, sizeof(b))) {
			gwpp_diag(c, GW_E_PARSE,
				  "not an event type (a name such as EV_SEPARATOR, or 0x and 8 lower-case hex digits)");
			return false;
		}
		t = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
		name = eventlog_type_name(t);
		if (name) {
			gwpp_diag(c, GW_E_PARSE, "%s is %s: write the name", s, name);
			return false;
		}
		*out = t;
		return true;
	}
	if (pthread_once(&type_once, type_table_init) != 0) {
		gwpp_oom(c);
		return false;
	}
	for (size_t i = 0; i < n_types; i++)
		if (!strcmp(s, type_table[i].name)) {
			if (unknown_only) {
				gwpp_diag(c, GW_E_PARSE,
					  "%s is a TCG type, always allowed (list only types without a name)",
					  s);
				return false;
			}
			*out = type_table[i].type;
			return true;
		}
	gwpp_shown(s, len, k);
	gwpp_diag(c, GW_E_PARSE,
		  "unknown event type name '%s' (write unknown types as 0x and 8 hex digits)", k);
	return false;
}

/* ---- firmware ---- */

/* {"type", "digests", "comment"?}, an element of a PCR's sequence or allowed list. */
static void parse_fw_event(struct pctx *c, json_object *v, const struct gw_alg *alg,
			   struct gwpol_fw_event *ev)
{
	static const char *const known[] = { "type", "digests", "comment" };
	json_object *t, *ds;
	bool has_t, has_ds;
	size_t mark;

	if (!gwpp_want(c, v, json_type_object))
		return;
	gwpp_check_keys(c, v, known, GW_ARRAY_SIZE(known));
	has_t = gwpp_member(c, v, "type", true, &t);
	has_ds = gwpp_member(c, v, "digests", true, &ds);
	if (has_t) {
		mark = gwpp_path_key(c, "type");
		(void)parse_type(c, t, false, &ev->type);
		gwpp_path_pop(c, mark);
	}
	if (has_ds) {
		mark = gwpp_path_key(c, "digests");
		gwpp_parse_digests(c, ds, alg, &ev->digests);
		gwpp_path_pop(c, mark);
	}
	gwpp_opt_text(c, v, "comment", &ev->comment);
}

static void parse_fw_pcr(struct pctx *c, json_object *v, const struct gw_alg *alg,
			 struct gwpol_fw_pcr *r)
{
	static const char *const known[] = { "sequence", "allowed", "unchecked", "comment" };
	static const char *const modes[] = { "sequence", "allowed", "unchecked" };
	json_object *m[3], *list;
	bool has[3];
	size_t nmodes = 0, n, mark;

	if (!gwpp_want(c, v, json_type_object))
		return;
	gwpp_check_keys(c, v, known, GW_ARRAY_SIZE(known));
	for (size_t i = 0; i < GW_ARRAY_SIZE(modes); i++)
		if ((has[i] = gwpp_member(c, v, modes[i], false, &m[i])))
			nmodes++;
	gwpp_opt_text(c, v, "comment", &r->comment);
	if (nmodes != 1) {
		gwpp_diag(c, GW_E_PARSE, "exactly one of sequence, allowed, unchecked");
		return;
	}
	if (has[2]) {
		bool on = false;

		r->mode = GWPOL_PCR_UNCHECKED;
		mark = gwpp_path_key(c, "unchecked");
		if (gwpp_parse_bool(c, m[2], &on) && !on)
			gwpp_diag(c, GW_E_PARSE, "must be true (give a sequence or allowed list instead)");
		gwpp_path_pop(c, mark);
		return;
	}
	r->mode = has[0] ? GWPOL_PCR_SEQUENCE : GWPOL_PCR_ALLOWED;
	list = has[0] ? m[0] : m[1];
	mark = gwpp_path_key(c, has[0] ? "sequence" : "allowed");
	if (!gwpp_want(c, list, json_type_array))
		goto out;
	n = json_object_array_length(list);
	if (n > GWPOL_MAX_FW_EVENTS) {
		gwpp_diag(c, GW_E_TOOBIG, "more than %d events", GWPOL_MAX_FW_EVENTS);
		goto out;
	}
	if (n) {
		r->ev = calloc(n, sizeof(*r->ev));
		if (!r->ev) {
			gwpp_oom(c);
			goto out;
		}
	}
	r->n = n;
	for (size_t i = 0; i < n && !c->nomem; i++) {
		size_t m2 = gwpp_path_idx(c, i);

		parse_fw_event(c, json_object_array_get_idx(list, i), alg, &r->ev[i]);
		gwpp_path_pop(c, m2);
	}
out:
	gwpp_path_pop(c, mark);
}

/* "0".."23", no leading zero. */
static bool pcr_key(const char *s, unsigned *pcr)
{
	size_t len = strlen(s);
	unsigned v = 0;

	if (len == 0 || len > 2 || (len == 2 && s[0] == '0'))
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v >= GW_NUM_PCRS)
		return false;
	*pcr = v;
	return true;
}

static int cmp_pcr(const void *a, const void *b)
{
	const struct gwpol_fw_pcr *x = a, *y = b;

	return (x->pcr > y->pcr) - (x->pcr < y->pcr);
}

static void parse_pcrs(struct pctx *c, json_object *v, const struct gw_alg *alg,
		       struct gwpol_firmware *fw)
{
	void *list;
	size_t n;

	/* {} is a rule too: the firmware log must extend no PCR at all. */
	if (!gwpp_take_list(c, v, json_type_object, NULL, GW_NUM_PCRS, "PCRs", sizeof(*fw->pcrs), &list,
			    &n))
		return;
	fw->pcrs = list;
	json_object_object_foreach(v, key, val) {
		struct gwpol_fw_pcr *r = &fw->pcrs[fw->n_pcrs];
		char k[SHOWN_MAX + 4];
		unsigned pcr;
		size_t mark;

		if (c->nomem)
			break;
		if (!pcr_key(key, &pcr)) {
			gwpp_shown(key, strlen(key), k);
			gwpp_diag(c, GW_E_PARSE, "'%s' is not a PCR number (0-23, no leading zero)", k);
			continue;
		}
		r->pcr = pcr;
		fw->n_pcrs++;
		mark = gwpp_path_key(c, key);
		parse_fw_pcr(c, val, alg, r);
		gwpp_path_pop(c, mark);
	}
	if (fw->n_pcrs > 1)
		qsort(fw->pcrs, fw->n_pcrs, sizeof(*fw->pcrs), cmp_pcr);
}

static void parse_allow_types(struct pctx *c, json_object *v, struct gwpol_firmware *fw)
{
	void *list;
	size_t n;

	if (!gwpp_take_list(c, v, json_type_array, LEAVE_OUT, GWPOL_MAX_TYPES, "types",
			    sizeof(*fw->allow_types), &list, &n))
		return;
	fw->allow_types = list;
	for (size_t i = 0; i < n; i++) {
		size_t mark = gwpp_path_idx(c, i);
		uint32_t t;

		if (parse_type(c, json_object_array_get_idx(v, i), true, &t)) {
			/* One spelling per type, so equal types are equal strings. */
			size_t j = gwpp_earlier_same(v, i);

			if (j < i)
				gwpp_diag(c, GW_E_PARSE, "duplicate type (same as [%zu])", j);
			else
				fw->allow_types[fw->n_allow_types++] = t;
		}
		gwpp_path_pop(c, mark);
	}
}

static void parse_required(struct pctx *c, json_object *v, struct gwpol_required *r)
{
	static const char *const known[] = { "pcr", "type", "text", "data", "comment" };
	json_object *x;
	size_t mark;

	if (!gwpp_want(c, v, json_type_object))
		return;
	gwpp_check_keys(c, v, known, GW_ARRAY_SIZE(known));
	if (gwpp_member(c, v, "pcr", false, &x)) {
		uint32_t pcr;

		mark = gwpp_path_key(c, "pcr");
		if (gwpp_parse_u32(c, x, 0, GW_NUM_PCRS - 1, &pcr)) {
			r->has_pcr = true;
			r->pcr = pcr;
		}
		gwpp_path_pop(c, mark);
	}
	if (gwpp_member(c, v, "type", true, &x)) {
		mark = gwpp_path_key(c, "type");
		(void)parse_type(c, x, false, &r->type);
		gwpp_path_pop(c, mark);
	}
	if (json_object_object_get_ex(v, "text", NULL) &&
	    json_object_object_get_ex(v, "data", NULL)) {
		gwpp_diag(c, GW_E_PARSE, "at most one of text, data");
	} else if (gwpp_member(c, v, "data", false, &x)) {
		mark = gwpp_path_key(c, "data");
		if (gwpp_want(c, x, json_type_string)) {
			size_t hlen = (size_t)json_object_get_string_len(x);

			if (hlen > 2 * GWPOL_MAX_DATA) {
				gwpp_diag(c, GW_E_TOOBIG, "more than %d bytes", GWPOL_MAX_DATA);
			} else if (hlen % 2) {
				gwpp_diag(c, GW_E_PARSE, "not hex (an even number of lower-case hex digits)");
			} else {
				/* One byte more, so empty data is not a NULL pointer. */
				r->data = malloc(hlen / 2 + 1);
				if (!r->data)
					gwpp_oom(c);
				else if (!gwpp_lower_hex(json_object_get_string(x), hlen, r->data, hlen / 2))
					gwpp_diag(c, GW_E_PARSE,
						  "not hex (an even number of lower-case hex digits)");
				else
					r->data_len = hlen / 2;
			}
		}
		gwpp_path_pop(c, mark);
	} else {
		gwpp_opt_text(c, v, "text", &r->text);
	}
	gwpp_opt_text(c, v, "comment", &r->comment);
}

static void parse_required_list(struct pctx *c, json_object *v, struct gwpol_firmware *fw)
{
	void *list;
	size_t n;

	if (!gwpp_take_list(c, v, json_type_array, LEAVE_OUT, GWPOL_MAX_REQUIRED, "required events",
			    sizeof(*fw->required), &list, &n))
		return;
	fw->required = list;
	fw->n_required = n;
	for (size_t i = 0; i < n && !c->nomem; i++) {
		size_t mark = gwpp_path_idx(c, i);

		parse_required(c, json_object_array_get_idx(v, i), &fw->required[i]);
		gwpp_path_pop(c, mark);
	}
}

static void parse_secure_boot(struct pctx *c, json_object *v, const struct gw_alg *alg,
			      struct gwpol_secure_boot *sb)
{
	static const char *const known[] = { "enabled", "pk", "kek", "db", "dbx" };
	json_object *x;

	if (!gwpp_want(c, v, json_type_object))
		return;
	gwpp_check_keys(c, v, known, GW_ARRAY_SIZE(known));
	sb->present = true;
	if (gwpp_member(c, v, "enabled", true, &x)) {
		size_t mark = gwpp_path_key(c, "enabled");

		(void)gwpp_parse_bool(c, x, &sb->enabled);
		gwpp_path_pop(c, mark);
	}
	gwpp_opt_digests(c, v, "pk", alg, &sb->has_pk, &sb->pk);
	gwpp_opt_digests(c, v, "kek", alg, &sb->has_kek, &sb->kek);
	gwpp_opt_digests(c, v, "db", alg, &sb->has_db, &sb->db);
	gwpp_opt_digests(c, v, "dbx", alg, &sb->has_dbx, &sb->dbx);
}

void gwpp_parse_firmware(struct pctx *c, json_object *v, struct gwpol_firmware *fw)
{
	static const char *const known[] = { "bank",		 "pcrs",       "allow_event_types",
					     "required_events", "secure_boot", "bootloader",
					     "kernel" };
	const struct gw_alg *alg = NULL;
	json_object *x;
	size_t mark;

	if (!gwpp_want(c, v, json_type_object))
		return;
	gwpp_check_keys(c, v, known, GW_ARRAY_SIZE(known));
	fw->present = true;
	if (gwpp_member(c, v, "bank", true, &x)) {
		mark = gwpp_path_key(c, "bank");
		if (gwpp_want(c, x, json_type_string)) {
			const char *s = json_object_get_string(x);

			if (!strcmp(s, "sha1") || !strcmp(s, "sha256") || !strcmp(s, "sha384") ||
			    !strcmp(s, "sha512"))
				alg = gw_alg_by_name(s);
			if (alg) {
				fw->bank = alg->id;
			} else {
				char k[SHOWN_MAX + 4];

				gwpp_shown(s, (size_t)json_object_get_string_len(x), k);
				gwpp_diag(c, GW_E_PARSE, "unknown bank '%s' (sha1, sha256, sha384 or sha512)",
					  k);
			}
		}
		gwpp_path_pop(c, mark);
	}
	if (gwpp_member(c, v, "pcrs", true, &x)) {
		mark = gwpp_path_key(c, "pcrs");
		parse_pcrs(c, x, alg, fw);
		gwpp_path_pop(c, mark);
	}
	if (gwpp_member(c, v, "allow_event_types", false, &x)) {
		mark = gwpp_path_key(c, "allow_event_types");
		parse_allow_types(c, x, fw);
		gwpp_path_pop(c, mark);
	}
	if (gwpp_member(c, v, "required_events", false, &x)) {
		mark = gwpp_path_key(c, "required_events");
		parse_required_list(c, x, fw);
		gwpp_path_pop(c, mark);
	}
	if (gwpp_member(c, v, "secure_boot", false, &x)) {
		mark = gwpp_path_key(c, "secure_boot");
		parse_secure_boot(c, x, alg, &fw->secure_boot);
		gwpp_path_pop(c, mark);
	}
	gwpp_opt_digests(c, v, "bootloader", alg, &fw->has_bootloader, &fw->bootloader);
	gwpp_opt_digests(c, v, "kernel", alg, &fw->has_kernel, &fw->kernel);
}
