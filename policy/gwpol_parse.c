// SPDX-License-Identifier: Apache-2.0
// Strict parser of the signed attestation policy JSON (format in gwpol.h), which
// reports every schema error it finds with its JSON path.
#include "gwpol.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "jsonobj.h"
#include "util.h"

#define DEFAULT_SELECTION "sha256:0-7,13,14"
#define PCRSEL_MAX 256           /* bytes of a pcr_selection string */
#define FRESHNESS_MIN 60
#define FRESHNESS_MAX 31536000   /* 365 days */
#define SHOWN_MAX 64             /* bytes of an input key quoted in a message */
#define DUP_NAME_MAX_KEYS 1024   /* name the repeated key only in objects this small */

/* Parser state: where we are in the document, and what went wrong so far. */
#define LEAVE_OUT "empty (leave the key out instead)"

struct pctx {
	struct gwpol_diags *d;   /* may be NULL */
	gw_error *err;
	int first;               /* code of the first problem, 0 while none */
	bool nomem;
	char path[sizeof(((struct gwpol_diag *)0)->path)];
	size_t plen;
};

__attribute__((format(printf, 3, 0)))
static void vdiag(struct pctx *c, int code, const char *fmt, va_list ap)
{
	char msg[sizeof(((struct gwpol_diag *)0)->msg)];

	/* A message cut short still names the problem; the path comes first. */
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	if (!c->first) {
		c->first = code;
		(void)gw_fail(c->err, code, "policy: %s: %s", c->path, msg);
	}
	if (!c->d)
		return;
	if (c->d->n >= GWPOL_MAX_DIAGS) {
		c->d->dropped++;
		return;
	}
	memcpy(c->d->d[c->d->n].path, c->path, c->plen + 1);
	memcpy(c->d->d[c->d->n].msg, msg, strlen(msg) + 1);
	c->d->n++;
}

__attribute__((format(printf, 3, 4)))
static void diag(struct pctx *c, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdiag(c, code, fmt, ap);
	va_end(ap);
}

/* Out of memory ends the parse; the result is GW_E_NOMEM whatever else was found. */
static void oom(struct pctx *c)
{
	c->nomem = true;
}

/* Input text made safe to quote: at most SHOWN_MAX bytes, anything but printable
 * ASCII as '?', cut text marked with "...". */
static void shown(const char *s, size_t len, char out[SHOWN_MAX + 4])
{
	size_t i;

	for (i = 0; i < len && i < SHOWN_MAX; i++)
		out[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	if (i < len) {
		memcpy(out + i, "...", 3);
		i += 3;
	}
	out[i] = '\0';
}

/* Path steps return the old length, to restore with path_pop(). A path too long
 * for the buffer is cut, which only shortens messages. */
static size_t path_key(struct pctx *c, const char *key)
{
	char k[SHOWN_MAX + 4];
	size_t mark = c->plen;
	int n;

	shown(key, strlen(key), k);
	n = snprintf(c->path + c->plen, sizeof(c->path) - c->plen, ".%s", k);
	if (n > 0)
		c->plen = strnlen(c->path, sizeof(c->path) - 1);
	return mark;
}

static size_t path_idx(struct pctx *c, size_t i)
{
	size_t mark = c->plen;
	int n = snprintf(c->path + c->plen, sizeof(c->path) - c->plen, "[%zu]", i);

	if (n > 0)
		c->plen = strnlen(c->path, sizeof(c->path) - 1);
	return mark;
}

static void path_pop(struct pctx *c, size_t mark)
{
	c->plen = mark;
	c->path[mark] = '\0';
}

/* ---- Types and plain values ---- */

static bool want(struct pctx *c, json_object *v, enum json_type t)
{
	static const char *const what[] = {
		[json_type_null] = "null", [json_type_boolean] = "true or false",
		[json_type_double] = "a number", [json_type_int] = "an integer",
		[json_type_object] = "an object", [json_type_array] = "an array",
		[json_type_string] = "a string",
	};

	if (json_object_is_type(v, t))
		return true;
	diag(c, GW_E_PARSE, "not %s", what[t]);
	return false;
}

/* The members of v, an array or object of type t: not empty (if_empty, when not
 * NULL, is the message for an empty one), at most max ("more than MAX what"), and
 * a zeroed array of that many size-byte elements in *out (NULL when there are none).
 * false, with a diagnostic, when v fails a check or memory runs out. */
static bool take_list(struct pctx *c, json_object *v, enum json_type t, const char *if_empty,
		      size_t max, const char *what, size_t size, void **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (!want(c, v, t))
		return false;
	*n = t == json_type_array ? json_object_array_length(v)
				  : (size_t)json_object_object_length(v);
	if (*n == 0) {
		if (if_empty)
			diag(c, GW_E_PARSE, "%s", if_empty);
		return !if_empty;
	}
	if (*n > max) {
		diag(c, GW_E_TOOBIG, "more than %zu %s", max, what);
		*n = 0;
		return false;
	}
	*out = calloc(*n, size);
	if (!*out) {
		oom(c);
		*n = 0;
		return false;
	}
	return true;
}

/* Refuse keys of obj that are not in known[]. */
static void check_keys(struct pctx *c, json_object *obj, const char *const *known, size_t n)
{
	json_object_object_foreach(obj, key, val) {
		bool ok = false;
		char k[SHOWN_MAX + 4];

		(void)val;
		for (size_t i = 0; i < n && !ok; i++)
			ok = !strcmp(key, known[i]);
		if (!ok) {
			shown(key, strlen(key), k);
			diag(c, GW_E_PARSE, "unknown key '%s'", k);
		}
	}
}

/* Is key a member of obj? *v gets its value, which is NULL for a JSON null (so a
 * null is present, and then fails its type check). A missing required member is a
 * problem. */
static bool member(struct pctx *c, json_object *obj, const char *key, bool required,
		   json_object **v)
{
	*v = NULL;
	if (json_object_object_get_ex(obj, key, v))
		return true;
	if (required)
		diag(c, GW_E_PARSE, "missing key '%s'", key);
	return false;
}

static bool valid_name(const char *s, size_t len)
{
	if (len == 0 || len > GWPOL_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char ch = s[i];

		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		      (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-'))
			return false;
	}
	return true;
}

/* model and channel names: out gets the name when it is valid. */
static bool parse_name(struct pctx *c, json_object *v, char out[GWPOL_NAME_MAX + 1])
{
	size_t len;

	if (!want(c, v, json_type_string))
		return false;
	len = (size_t)json_object_get_string_len(v);
	if (!valid_name(json_object_get_string(v), len)) {
		diag(c, GW_E_PARSE, "not a name (1-64 of A-Z a-z 0-9 . _ -)");
		return false;
	}
	memcpy(out, json_object_get_string(v), len + 1);
	return true;
}

/* Strict UTF-8 (no overlong forms, surrogates or code points over U+10FFFF), and
 * no C0 or C1 control character or DEL: text ends up in logs and terminals. */
static const char *text_problem(const unsigned char *s, size_t len, uint32_t *bad)
{
	size_t i = 0;

	while (i < len) {
		uint32_t cp;
		size_t n;

		if (s[i] < 0x80) {
			cp = s[i];
			n = 1;
		} else if (s[i] >= 0xc2 && s[i] <= 0xdf) {
			cp = s[i] & 0x1f;
			n = 2;
		} else if (s[i] >= 0xe0 && s[i] <= 0xef) {
			cp = s[i] & 0x0f;
			n = 3;
		} else if (s[i] >= 0xf0 && s[i] <= 0xf4) {
			cp = s[i] & 0x07;
			n = 4;
		} else {
			return "not valid UTF-8";
		}
		if (len - i < n)
			return "not valid UTF-8";
		for (size_t k = 1; k < n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return "not valid UTF-8";
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return "not valid UTF-8";
		if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) {
			*bad = cp;
			return "contains a control character";
		}
		i += n;
	}
	return NULL;
}

/* description, comment, text: *out gets a copy when the text is valid. */
static void parse_text(struct pctx *c, json_object *v, char **out)
{
	const char *s, *why;
	uint32_t bad = 0;
	size_t len;

	if (!want(c, v, json_type_string))
		return;
	s = json_object_get_string(v);
	len = (size_t)json_object_get_string_len(v);
	if (len == 0) {
		diag(c, GW_E_PARSE, LEAVE_OUT);
		return;
	}
	if (len > GWPOL_TEXT_MAX) {
		diag(c, GW_E_TOOBIG, "longer than %d bytes", GWPOL_TEXT_MAX);
		return;
	}
	why = text_problem((const unsigned char *)s, len, &bad);
	if (why) {
		if (bad)
			diag(c, GW_E_PARSE, "%s (U+%04X)", why, (unsigned)bad);
		else
			diag(c, GW_E_PARSE, "%s", why);
		return;
	}
	*out = strdup(s);
	if (!*out)
		oom(c);
}

static bool parse_u32(struct pctx *c, json_object *v, uint32_t min, uint32_t max, uint32_t *out)
{
	int64_t x;

	if (!want(c, v, json_type_int))
		return false;
	/* json-c clamps what does not fit in int64 to INT64_MAX or INT64_MIN, both out
	 * of range here. */
	x = json_object_get_int64(v);
	if (x < (int64_t)min || x > (int64_t)max) {
		diag(c, GW_E_PARSE, "not in %u..%u", (unsigned)min, (unsigned)max);
		return false;
	}
	*out = (uint32_t)x;
	return true;
}

static bool parse_bool(struct pctx *c, json_object *v, bool *out)
{
	if (!want(c, v, json_type_boolean))
		return false;
	*out = json_object_get_boolean(v);
	return true;
}

static int lower_hex_digit(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

/* Lower-case hex of exactly len bytes into out; false if it is not. */
static bool lower_hex(const char *s, size_t slen, uint8_t *out, size_t len)
{
	if (slen != 2 * len)
		return false;
	for (size_t i = 0; i < len; i++) {
		int hi = lower_hex_digit(s[2 * i]), lo = lower_hex_digit(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

/* The index of the first string element of arr before i equal to element i, else
 * i. Lists are capped (at most GWPOL_MAX_DIGESTS), so quadratic is fine. */
static size_t earlier_same(json_object *arr, size_t i)
{
	json_object *e = json_object_array_get_idx(arr, i);

	for (size_t j = 0; j < i; j++) {
		json_object *x = json_object_array_get_idx(arr, j);

		if (json_object_is_type(x, json_type_string) &&
		    !strcmp(json_object_get_string(x), json_object_get_string(e)))
			return j;
	}
	return i;
}

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

	if (!want(c, v, json_type_string))
		return false;
	s = json_object_get_string(v);
	len = (size_t)json_object_get_string_len(v);
	if (len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		uint8_t b[4];
		uint32_t t;
		const char *name;

		if (s[1] != 'x' || !lower_hex(s + 2, len - 2, b, sizeof(b))) {
			diag(c, GW_E_PARSE,
			     "not an event type (a name such as EV_SEPARATOR, or 0x and 8 lower-case hex digits)");
			return false;
		}
		t = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
		name = eventlog_type_name(t);
		if (name) {
			diag(c, GW_E_PARSE, "%s is %s: write the name", s, name);
			return false;
		}
		*out = t;
		return true;
	}
	if (pthread_once(&type_once, type_table_init) != 0) {
		oom(c);
		return false;
	}
	for (size_t i = 0; i < n_types; i++)
		if (!strcmp(s, type_table[i].name)) {
			if (unknown_only) {
				diag(c, GW_E_PARSE,
				     "%s is a TCG type, always allowed (list only types without a name)",
				     s);
				return false;
			}
			*out = type_table[i].type;
			return true;
		}
	shown(s, len, k);
	diag(c, GW_E_PARSE,
	     "unknown event type name '%s' (write unknown types as 0x and 8 hex digits)", k);
	return false;
}

/* ---- Digest lists ---- */

/* A list of 1..GWPOL_MAX_DIGESTS distinct digests of alg (NULL: the bank is
 * unknown, so only the JSON types are checked). */
static void parse_digests(struct pctx *c, json_object *v, const struct gw_alg *alg,
			  struct gwpol_digests *out)
{
	void *list;
	size_t n;

	if (!take_list(c, v, json_type_array, "empty (at least one digest)", GWPOL_MAX_DIGESTS,
		       "digests", sizeof(*out->d), &list, &n))
		return;
	out->size = alg ? alg->size : 0;
	out->d = list;
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(v, i);
		size_t mark = path_idx(c, i);
		uint8_t *d = out->d[out->n];

		if (!want(c, e, json_type_string) || !alg) {
			path_pop(c, mark);
			continue;
		}
		if (!lower_hex(json_object_get_string(e), (size_t)json_object_get_string_len(e), d,
			       alg->size)) {
			diag(c, GW_E_PARSE, "not a %s digest (%zu lower-case hex)", alg->name,
			     2 * alg->size);
			path_pop(c, mark);
			continue;
		}
		/* A repeated digest is a slip in the file, never an intent. Valid
		 * digests have one spelling, so compare the text, which also gives the
		 * index in the file. */
		if (earlier_same(v, i) < i)
			diag(c, GW_E_PARSE, "duplicate digest (same as [%zu])", earlier_same(v, i));
		out->n++;
		path_pop(c, mark);
	}
}

/* An optional digest list member of obj. */
static void opt_digests(struct pctx *c, json_object *obj, const char *key, const struct gw_alg *alg,
			bool *has, struct gwpol_digests *out)
{
	json_object *v;
	size_t mark;

	if (!member(c, obj, key, false, &v))
		return;
	mark = path_key(c, key);
	parse_digests(c, v, alg, out);
	*has = true;
	path_pop(c, mark);
}

static void opt_text(struct pctx *c, json_object *obj, const char *key, char **out)
{
	json_object *v;
	size_t mark;

	if (!member(c, obj, key, false, &v))
		return;
	mark = path_key(c, key);
	parse_text(c, v, out);
	path_pop(c, mark);
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

	if (!want(c, v, json_type_object))
		return;
	check_keys(c, v, known, GW_ARRAY_SIZE(known));
	has_t = member(c, v, "type", true, &t);
	has_ds = member(c, v, "digests", true, &ds);
	if (has_t) {
		mark = path_key(c, "type");
		(void)parse_type(c, t, false, &ev->type);
		path_pop(c, mark);
	}
	if (has_ds) {
		mark = path_key(c, "digests");
		parse_digests(c, ds, alg, &ev->digests);
		path_pop(c, mark);
	}
	opt_text(c, v, "comment", &ev->comment);
}

static void parse_fw_pcr(struct pctx *c, json_object *v, const struct gw_alg *alg,
			 struct gwpol_fw_pcr *r)
{
	static const char *const known[] = { "sequence", "allowed", "unchecked", "comment" };
	static const char *const modes[] = { "sequence", "allowed", "unchecked" };
	json_object *m[3], *list;
	bool has[3];
	size_t nmodes = 0, n, mark;

	if (!want(c, v, json_type_object))
		return;
	check_keys(c, v, known, GW_ARRAY_SIZE(known));
	for (size_t i = 0; i < GW_ARRAY_SIZE(modes); i++)
		if ((has[i] = member(c, v, modes[i], false, &m[i])))
			nmodes++;
	opt_text(c, v, "comment", &r->comment);
	if (nmodes != 1) {
		diag(c, GW_E_PARSE, "exactly one of sequence, allowed, unchecked");
		return;
	}
	if (has[2]) {
		bool on = false;

		r->mode = GWPOL_PCR_UNCHECKED;
		mark = path_key(c, "unchecked");
		if (parse_bool(c, m[2], &on) && !on)
			diag(c, GW_E_PARSE, "must be true (give a sequence or allowed list instead)");
		path_pop(c, mark);
		return;
	}
	r->mode = has[0] ? GWPOL_PCR_SEQUENCE : GWPOL_PCR_ALLOWED;
	list = has[0] ? m[0] : m[1];
	mark = path_key(c, has[0] ? "sequence" : "allowed");
	if (!want(c, list, json_type_array))
		goto out;
	n = json_object_array_length(list);
	if (n > GWPOL_MAX_FW_EVENTS) {
		diag(c, GW_E_TOOBIG, "more than %d events", GWPOL_MAX_FW_EVENTS);
		goto out;
	}
	if (n) {
		r->ev = calloc(n, sizeof(*r->ev));
		if (!r->ev) {
			oom(c);
			goto out;
		}
	}
	r->n = n;
	for (size_t i = 0; i < n && !c->nomem; i++) {
		size_t m2 = path_idx(c, i);

		parse_fw_event(c, json_object_array_get_idx(list, i), alg, &r->ev[i]);
		path_pop(c, m2);
	}
out:
	path_pop(c, mark);
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
	if (!take_list(c, v, json_type_object, NULL, GW_NUM_PCRS, "PCRs", sizeof(*fw->pcrs), &list,
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
			shown(key, strlen(key), k);
			diag(c, GW_E_PARSE, "'%s' is not a PCR number (0-23, no leading zero)", k);
			continue;
		}
		r->pcr = pcr;
		fw->n_pcrs++;
		mark = path_key(c, key);
		parse_fw_pcr(c, val, alg, r);
		path_pop(c, mark);
	}
	if (fw->n_pcrs > 1)
		qsort(fw->pcrs, fw->n_pcrs, sizeof(*fw->pcrs), cmp_pcr);
}

static void parse_allow_types(struct pctx *c, json_object *v, struct gwpol_firmware *fw)
{
	void *list;
	size_t n;

	if (!take_list(c, v, json_type_array, LEAVE_OUT, GWPOL_MAX_TYPES, "types",
		       sizeof(*fw->allow_types), &list, &n))
		return;
	fw->allow_types = list;
	for (size_t i = 0; i < n; i++) {
		size_t mark = path_idx(c, i);
		uint32_t t;

		if (parse_type(c, json_object_array_get_idx(v, i), true, &t)) {
			/* One spelling per type, so equal types are equal strings. */
			size_t j = earlier_same(v, i);

			if (j < i)
				diag(c, GW_E_PARSE, "duplicate type (same as [%zu])", j);
			else
				fw->allow_types[fw->n_allow_types++] = t;
		}
		path_pop(c, mark);
	}
}

static void parse_required(struct pctx *c, json_object *v, struct gwpol_required *r)
{
	static const char *const known[] = { "pcr", "type", "text", "data", "comment" };
	json_object *x;
	size_t mark;

	if (!want(c, v, json_type_object))
		return;
	check_keys(c, v, known, GW_ARRAY_SIZE(known));
	if (member(c, v, "pcr", false, &x)) {
		uint32_t pcr;

		mark = path_key(c, "pcr");
		if (parse_u32(c, x, 0, GW_NUM_PCRS - 1, &pcr)) {
			r->has_pcr = true;
			r->pcr = pcr;
		}
		path_pop(c, mark);
	}
	if (member(c, v, "type", true, &x)) {
		mark = path_key(c, "type");
		(void)parse_type(c, x, false, &r->type);
		path_pop(c, mark);
	}
	if (json_object_object_get_ex(v, "text", NULL) &&
	    json_object_object_get_ex(v, "data", NULL)) {
		diag(c, GW_E_PARSE, "at most one of text, data");
	} else if (member(c, v, "data", false, &x)) {
		mark = path_key(c, "data");
		if (want(c, x, json_type_string)) {
			size_t hlen = (size_t)json_object_get_string_len(x);

			if (hlen > 2 * GWPOL_MAX_DATA) {
				diag(c, GW_E_TOOBIG, "more than %d bytes", GWPOL_MAX_DATA);
			} else if (hlen % 2) {
				diag(c, GW_E_PARSE, "not hex (an even number of lower-case hex digits)");
			} else {
				/* One byte more, so empty data is not a NULL pointer. */
				r->data = malloc(hlen / 2 + 1);
				if (!r->data)
					oom(c);
				else if (!lower_hex(json_object_get_string(x), hlen, r->data, hlen / 2))
					diag(c, GW_E_PARSE,
					     "not hex (an even number of lower-case hex digits)");
				else
					r->data_len = hlen / 2;
			}
		}
		path_pop(c, mark);
	} else {
		opt_text(c, v, "text", &r->text);
	}
	opt_text(c, v, "comment", &r->comment);
}

static void parse_required_list(struct pctx *c, json_object *v, struct gwpol_firmware *fw)
{
	void *list;
	size_t n;

	if (!take_list(c, v, json_type_array, LEAVE_OUT, GWPOL_MAX_REQUIRED, "required events",
		       sizeof(*fw->required), &list, &n))
		return;
	fw->required = list;
	fw->n_required = n;
	for (size_t i = 0; i < n && !c->nomem; i++) {
		size_t mark = path_idx(c, i);

		parse_required(c, json_object_array_get_idx(v, i), &fw->required[i]);
		path_pop(c, mark);
	}
}

static void parse_secure_boot(struct pctx *c, json_object *v, const struct gw_alg *alg,
			      struct gwpol_secure_boot *sb)
{
	static const char *const known[] = { "enabled", "pk", "kek", "db", "dbx" };
	json_object *x;

	if (!want(c, v, json_type_object))
		return;
	check_keys(c, v, known, GW_ARRAY_SIZE(known));
	sb->present = true;
	if (member(c, v, "enabled", true, &x)) {
		size_t mark = path_key(c, "enabled");

		(void)parse_bool(c, x, &sb->enabled);
		path_pop(c, mark);
	}
	opt_digests(c, v, "pk", alg, &sb->has_pk, &sb->pk);
	opt_digests(c, v, "kek", alg, &sb->has_kek, &sb->kek);
	opt_digests(c, v, "db", alg, &sb->has_db, &sb->db);
	opt_digests(c, v, "dbx", alg, &sb->has_dbx, &sb->dbx);
}

static void parse_firmware(struct pctx *c, json_object *v, struct gwpol_firmware *fw)
{
	static const char *const known[] = { "bank",		 "pcrs",       "allow_event_types",
					     "required_events", "secure_boot", "bootloader",
					     "kernel" };
	const struct gw_alg *alg = NULL;
	json_object *x;
	size_t mark;

	if (!want(c, v, json_type_object))
		return;
	check_keys(c, v, known, GW_ARRAY_SIZE(known));
	fw->present = true;
	if (member(c, v, "bank", true, &x)) {
		mark = path_key(c, "bank");
		if (want(c, x, json_type_string)) {
			const char *s = json_object_get_string(x);

			if (!strcmp(s, "sha1") || !strcmp(s, "sha256") || !strcmp(s, "sha384") ||
			    !strcmp(s, "sha512"))
				alg = gw_alg_by_name(s);
			if (alg) {
				fw->bank = alg->id;
			} else {
				char k[SHOWN_MAX + 4];

				shown(s, (size_t)json_object_get_string_len(x), k);
				diag(c, GW_E_PARSE, "unknown bank '%s' (sha1, sha256, sha384 or sha512)",
				     k);
			}
		}
		path_pop(c, mark);
	}
	if (member(c, v, "pcrs", true, &x)) {
		mark = path_key(c, "pcrs");
		parse_pcrs(c, x, alg, fw);
		path_pop(c, mark);
	}
	if (member(c, v, "allow_event_types", false, &x)) {
		mark = path_key(c, "allow_event_types");
		parse_allow_types(c, x, fw);
		path_pop(c, mark);
	}
	if (member(c, v, "required_events", false, &x)) {
		mark = path_key(c, "required_events");
		parse_required_list(c, x, fw);
		path_pop(c, mark);
	}
	if (member(c, v, "secure_boot", false, &x)) {
		mark = path_key(c, "secure_boot");
		parse_secure_boot(c, x, alg, &fw->secure_boot);
		path_pop(c, mark);
	}
	opt_digests(c, v, "bootloader", alg, &fw->has_bootloader, &fw->bootloader);
	opt_digests(c, v, "kernel", alg, &fw->has_kernel, &fw->kernel);
}

/* ---- stages, trust, update ---- */

static void parse_stage(struct pctx *c, json_object *v, struct gwpol_stage *st)
{
	static const char *const known[] = { "digests", "claim" };
	const struct gw_alg *sha256 = gw_alg_by_id(TPM2_ALG_SHA256);
	json_object *x;
	size_t mark;

	st->claim = GWPOL_CLAIM_EXECUTABLES;
	if (json_object_is_type(v, json_type_array)) {
		parse_digests(c, v, sha256, &st->digests);
		return;
	}
	if (!json_object_is_type(v, json_type_object)) {
		diag(c, GW_E_PARSE, "not an array of digests or an object with digests and claim");
		return;
	}
	check_keys(c, v, known, GW_ARRAY_SIZE(known));
	if (member(c, v, "digests", true, &x)) {
		mark = path_key(c, "digests");
		parse_digests(c, x, sha256, &st->digests);
		path_pop(c, mark);
	}
	if (member(c, v, "claim", false, &x)) {
		mark = path_key(c, "claim");
		if (want(c, x, json_type_string)) {
			const char *s = json_object_get_string(x);

			if (!strcmp(s, "executables"))
				st->claim = GWPOL_CLAIM_EXECUTABLES;
			else if (!strcmp(s, "configuration"))
				st->claim = GWPOL_CLAIM_CONFIGURATION;
			else if (!strcmp(s, "file-system"))
				st->claim = GWPOL_CLAIM_FILESYSTEM;
			else
				diag(c, GW_E_PARSE,
				     "not a claim (executables, configuration or file-system)");
		}
		path_pop(c, mark);
	}
}

static void parse_stages(struct pctx *c, json_object *v, struct gwpol *p)
{
	void *list;
	size_t n;

	if (!take_list(c, v, json_type_object, "no stage (leave the key out instead)",
		       GWPOL_MAX_STAGES, "stages", sizeof(*p->stages), &list, &n))
		return;
	p->stages = list;
	json_object_object_foreach(v, key, val) {
		struct gwpol_stage *st = &p->stages[p->n_stages];
		size_t klen = strlen(key), mark;
		char k[SHOWN_MAX + 4];

		if (c->nomem)
			break;
		if (!valid_name(key, klen)) {
			shown(key, klen, k);
			diag(c, GW_E_PARSE, "'%s' is not a stage name (1-64 of A-Z a-z 0-9 . _ -)",
			     k);
			continue;
		}
		memcpy(st->name, key, klen + 1);
		p->n_stages++;
		mark = path_key(c, key);
		parse_stage(c, val, st);
		path_pop(c, mark);
	}
}

static void parse_trust(struct pctx *c, json_object *v, struct gwpol_trust *t)
{
	static const char *const known[] = { "gate_key", "trust_root" };
	const struct gw_alg *sha256 = gw_alg_by_id(TPM2_ALG_SHA256);

	if (!want(c, v, json_type_object))
		return;
	check_keys(c, v, known, GW_ARRAY_SIZE(known));
	opt_digests(c, v, "gate_key", sha256, &t->has_gate_key, &t->gate_key);
	opt_digests(c, v, "trust_root", sha256, &t->has_trust_root, &t->trust_root);
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = y / 400; /* y >= 1999 here, so no rounding toward zero to correct */
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* "YYYY-MM-DD", a real day of 2000-9999: *ends is 00:00 UTC of the day after. */
static bool parse_date(const char *s, size_t len, int64_t *ends)
{
	static const unsigned mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	unsigned v[3] = { 0, 0, 0 }, y, m, d, dim;
	static const size_t width[] = { 4, 2, 2 };
	size_t pos = 0;

	if (len != 10)
		return false;
	for (size_t f = 0; f < 3; f++) {
		for (size_t i = 0; i < width[f]; i++, pos++) {
			if (s[pos] < '0' || s[pos] > '9')
				return false;
			v[f] = v[f] * 10 + (unsigned)(s[pos] - '0');
		}
		if (f < 2 && s[pos++] != '-')
			return false;
	}
	y = v[0];
	m = v[1];
	d = v[2];
	if (y < 2000 || m < 1 || m > 12 || d < 1)
		return false;
	dim = mdays[m - 1] + (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
	if (d > dim)
		return false;
	*ends = (days_from_civil(y, m, d) + 1) * 86400;
	return true;
}

static void parse_channels(struct pctx *c, json_object *v, struct gwpol_update *u)
{
	void *list;
	size_t n;

	if (!take_list(c, v, json_type_array, LEAVE_OUT, GWPOL_MAX_CHANNELS, "channels",
		       sizeof(*u->channels), &list, &n))
		return;
	u->channels = list;
	for (size_t i = 0; i < n; i++) {
		size_t mark = path_idx(c, i);
		char *name = u->channels[u->n_channels];

		if (parse_name(c, json_object_array_get_idx(v, i), name)) {
			size_t j = earlier_same(v, i);

			if (j < i)
				diag(c, GW_E_PARSE, "duplicate channel (same as [%zu])", j);
			else
				u->n_channels++;
		}
		path_pop(c, mark);
	}
}

static void parse_update(struct pctx *c, json_object *v, struct gwpol_update *u)
{
	static const char *const known[] = { "min_security_version", "end_of_support",
					     "channels" };
	json_object *x;
	size_t mark;

	if (!want(c, v, json_type_object))
		return;
	check_keys(c, v, known, GW_ARRAY_SIZE(known));
	if (member(c, v, "min_security_version", false, &x)) {
		mark = path_key(c, "min_security_version");
		u->has_min_security_version =
			parse_u32(c, x, 0, UINT32_MAX, &u->min_security_version);
		path_pop(c, mark);
	}
	if (member(c, v, "end_of_support", false, &x)) {
		mark = path_key(c, "end_of_support");
		if (want(c, x, json_type_string)) {
			const char *s = json_object_get_string(x);
			size_t len = (size_t)json_object_get_string_len(x);

			if (parse_date(s, len, &u->support_ends)) {
				memcpy(u->end_of_support, s, len + 1);
				u->has_end_of_support = true;
			} else {
				diag(c, GW_E_PARSE, "not a date (YYYY-MM-DD, a real day of 2000-9999)");
			}
		}
		path_pop(c, mark);
	}
	if (member(c, v, "channels", false, &x)) {
		mark = path_key(c, "channels");
		parse_channels(c, x, u);
		path_pop(c, mark);
	}
}

/* A list of distinct PCR numbers, as a bit set. The empty list is a policy's
 * way of saying "this log may extend no PCR". */
static bool parse_pcr_list(struct pctx *c, json_object *v, uint32_t *out)
{
	size_t n;

	*out = 0;
	if (!want(c, v, json_type_array))
		return false;
	n = json_object_array_length(v);
	if (n > GW_NUM_PCRS) {
		diag(c, GW_E_TOOBIG, "more than %d PCRs", GW_NUM_PCRS);
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		size_t mark = path_idx(c, i);
		uint32_t pcr;

		if (parse_u32(c, json_object_array_get_idx(v, i), 0, GW_NUM_PCRS - 1, &pcr)) {
			if (*out & (1u << pcr))
				diag(c, GW_E_PARSE, "duplicate PCR %u", (unsigned)pcr);
			*out |= 1u << pcr;
		}
		path_pop(c, mark);
	}
	return true;
}

static void parse_logs(struct pctx *c, json_object *v, struct gwpol_logs *l)
{
	static const char *const known[] = { "firmware", "cel" };
	json_object *x;
	size_t mark;

	if (!want(c, v, json_type_object))
		return;
	check_keys(c, v, known, GW_ARRAY_SIZE(known));
	if (json_object_object_length(v) == 0)
		diag(c, GW_E_PARSE, LEAVE_OUT);
	if (member(c, v, "firmware", false, &x)) {
		mark = path_key(c, "firmware");
		l->has_firmware = parse_pcr_list(c, x, &l->firmware);
		path_pop(c, mark);
	}
	if (member(c, v, "cel", false, &x)) {
		mark = path_key(c, "cel");
		l->has_cel = parse_pcr_list(c, x, &l->cel);
		path_pop(c, mark);
	}
}

/* ---- The document ---- */

static void parse_pcr_selection(struct pctx *c, json_object *v, struct gwpol *p)
{
	gw_error e = { { 0 } };
	size_t len;

	if (!want(c, v, json_type_string))
		return;
	len = (size_t)json_object_get_string_len(v);
	if (len > PCRSEL_MAX) {
		diag(c, GW_E_TOOBIG, "longer than %d bytes", PCRSEL_MAX);
		return;
	}
	if (gw_pcrsel_parse(json_object_get_string(v), &p->pcr_selection, &e)) {
		diag(c, GW_E_PARSE, "%s", e.msg[0] ? e.msg : "not a PCR selection");
		return;
	}
	if (gw_pcrsel_count(&p->pcr_selection) == 0) {
		diag(c, GW_E_PARSE, "selects no PCR");
		return;
	}
	p->has_pcr_selection = true;
}

static void parse_root(struct pctx *c, json_object *root, struct gwpol *p)
{
	static const char *const known[] = { "model",	     "version", "description",
					     "pcr_selection", "freshness_seconds",
					     "firmware",      "stages",  "trust",
					     "logs",          "update" };
	json_object *x;
	size_t mark;

	if (!want(c, root, json_type_object))
		return;
	check_keys(c, root, known, GW_ARRAY_SIZE(known));
	if (member(c, root, "model", true, &x)) {
		mark = path_key(c, "model");
		(void)parse_name(c, x, p->model);
		path_pop(c, mark);
	}
	if (member(c, root, "version", true, &x)) {
		mark = path_key(c, "version");
		(void)parse_u32(c, x, 1, UINT32_MAX, &p->version);
		path_pop(c, mark);
	}
	opt_text(c, root, "description", &p->description);
	if (member(c, root, "pcr_selection", false, &x)) {
		mark = path_key(c, "pcr_selection");
		parse_pcr_selection(c, x, p);
		path_pop(c, mark);
	}
	if (member(c, root, "freshness_seconds", false, &x)) {
		mark = path_key(c, "freshness_seconds");
		p->has_freshness = parse_u32(c, x, FRESHNESS_MIN, FRESHNESS_MAX,
					     &p->freshness_seconds);
		path_pop(c, mark);
	}
	if (member(c, root, "firmware", false, &x) && !c->nomem) {
		mark = path_key(c, "firmware");
		parse_firmware(c, x, &p->fw);
		path_pop(c, mark);
	}
	if (member(c, root, "stages", false, &x) && !c->nomem) {
		mark = path_key(c, "stages");
		parse_stages(c, x, p);
		path_pop(c, mark);
	}
	if (member(c, root, "trust", false, &x) && !c->nomem) {
		mark = path_key(c, "trust");
		parse_trust(c, x, &p->trust);
		path_pop(c, mark);
	}
	if (member(c, root, "logs", false, &x) && !c->nomem) {
		mark = path_key(c, "logs");
		parse_logs(c, x, &p->logs);
		path_pop(c, mark);
	}
	/* A policy signed before logs existed keeps its firmware rules outside the
	 * default PCRs working: each such rule judges the events of its PCR. */
	if (!p->logs.has_firmware) {
		p->logs.firmware = GWPOL_DEFAULT_FW_LOGS;
		for (size_t i = 0; i < p->fw.n_pcrs; i++)
			p->logs.firmware |= 1u << p->fw.pcrs[i].pcr;
	}
	if (!p->logs.has_cel)
		p->logs.cel = GWPOL_DEFAULT_CEL_LOGS;
	if (member(c, root, "update", false, &x) && !c->nomem) {
		mark = path_key(c, "update");
		parse_update(c, x, &p->update);
		path_pop(c, mark);
	}
}

/* ---- Raw text checks: escaped NUL, single quotes, duplicate keys ---- */

/* End of the string starting at the '"' at i: the offset just past its closing
 * quote. The text is valid JSON, so there is one. */
static size_t skip_string(const char *s, size_t len, size_t i)
{
	for (i++; i < len && s[i] != '"'; i++)
		if (s[i] == '\\')
			i++;
	return i + 1;
}

/* The direct members of the object whose '{' is at open: their count, and with
 * dup, a key that appears twice written the same way (its offset into *dup, else
 * *dup is len). Scans to the matching '}'. */
static size_t count_members(const char *s, size_t len, size_t open, size_t *dup, size_t *duplen)
{
	size_t keys[DUP_NAME_MAX_KEYS], klen[DUP_NAME_MAX_KEYS];
	size_t n = 0, depth = 0, last_key = len, last_len = 0;

	if (dup) {
		*dup = len;
		*duplen = 0;
	}
	for (size_t i = open; i < len; i++) {
		if (s[i] == '"') {
			size_t end = skip_string(s, len, i);

			last_key = i;
			last_len = end - i;
			i = end - 1;
		} else if (s[i] == '{' || s[i] == '[') {
			depth++;
		} else if (s[i] == '}' || s[i] == ']') {
			if (--depth == 0)
				break;
		} else if (s[i] == ':' && depth == 1) {
			/* The string just before a colon is this object's key. */
			for (size_t k = 0; dup && k < n && k < DUP_NAME_MAX_KEYS && *dup == len; k++)
				if (klen[k] == last_len && !memcmp(s + keys[k], s + last_key, last_len)) {
					*dup = last_key;
					*duplen = last_len;
				}
			if (n < DUP_NAME_MAX_KEYS) {
				keys[n] = last_key;
				klen[n] = last_len;
			}
			n++;
		}
	}
	return n;
}

/* The first object, in document order, that json-c holds fewer members of than
 * the text has: json-c keeps only the last of a repeated key. Objects of the tree
 * in pre-order are the '{' of the text in order, up to the first such object.
 * Returns true when one is found (and reported). */
static bool find_duplicate(struct pctx *c, const char *s, size_t len, json_object *v, size_t *cur,
			   unsigned depth)
{
	if (depth > GWPOL_MAX_DEPTH)
		return false; /* json-c's depth cap makes this unreachable */
	if (json_object_is_type(v, json_type_object)) {
		size_t dup, duplen, n;

		while (*cur < len && s[*cur] != '{') {
			if (s[*cur] == '"')
				*cur = skip_string(s, len, *cur);
			else
				(*cur)++;
		}
		if (*cur >= len)
			return false;
		n = count_members(s, len, *cur, NULL, NULL);
		if (n != (size_t)json_object_object_length(v)) {
			(void)count_members(s, len, *cur, &dup, &duplen);
			if (dup < len) {
				char k[SHOWN_MAX + 4];

				/* Without the quotes. */
				shown(s + dup + 1, duplen - 2, k);
				diag(c, GW_E_PARSE, "duplicate key '%s'", k);
			} else {
				diag(c, GW_E_PARSE,
				     "duplicate key (two keys spell one name with different escapes)");
			}
			return true;
		}
		(*cur)++;
		json_object_object_foreach(v, key, val) {
			size_t mark = path_key(c, key);
			bool found = find_duplicate(c, s, len, val, cur, depth + 1);

			path_pop(c, mark);
			if (found)
				return true;
		}
	} else if (json_object_is_type(v, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			size_t mark = path_idx(c, i);
			bool found = find_duplicate(c, s, len, json_object_array_get_idx(v, i), cur,
						    depth + 1);

			path_pop(c, mark);
			if (found)
				return true;
		}
	}
	return false;
}

static void free_digests(struct gwpol_digests *d)
{
	free(d->d);
}

void gwpol_free(struct gwpol *p)
{
	if (!p)
		return;
	free(p->description);
	for (size_t i = 0; i < p->fw.n_pcrs; i++) {
		struct gwpol_fw_pcr *r = &p->fw.pcrs[i];

		for (size_t j = 0; j < r->n; j++) {
			free_digests(&r->ev[j].digests);
			free(r->ev[j].comment);
		}
		free(r->ev);
		free(r->comment);
	}
	free(p->fw.pcrs);
	free(p->fw.allow_types);
	for (size_t i = 0; i < p->fw.n_required; i++) {
		free(p->fw.required[i].text);
		free(p->fw.required[i].data);
		free(p->fw.required[i].comment);
	}
	free(p->fw.required);
	free_digests(&p->fw.secure_boot.pk);
	free_digests(&p->fw.secure_boot.kek);
	free_digests(&p->fw.secure_boot.db);
	free_digests(&p->fw.secure_boot.dbx);
	free_digests(&p->fw.bootloader);
	free_digests(&p->fw.kernel);
	for (size_t i = 0; i < p->n_stages; i++)
		free_digests(&p->stages[i].digests);
	free(p->stages);
	free_digests(&p->trust.gate_key);
	free_digests(&p->trust.trust_root);
	free(p->update.channels);
	free(p);
}

int gwpol_parse(const char *json, size_t len, struct gwpol **out, struct gwpol_diags *diags,
		gw_error *err)
{
	struct pctx c = { .d = diags, .err = err, .path = "$", .plen = 1 };
	struct json_tokener *tok = NULL;
	enum json_tokener_error jerr;
	json_object *root = NULL;
	struct gwpol *p = NULL;
	const char *nul;
	size_t at, nul_at, cur = 0;
	int rc = 0;

	if (diags) {
		diags->n = 0;
		diags->dropped = 0;
	}
	if (!json || !out)
		return gw_fail(err, GW_E_INVAL, "policy: no input");
	if (len > GWPOL_MAX_SIZE) {
		diag(&c, GW_E_TOOBIG, "larger than %u bytes", GWPOL_MAX_SIZE);
		return c.first;
	}
	nul = memchr(json, '\0', len);
	if (nul) {
		diag(&c, GW_E_PARSE, "contains a NUL byte (byte %zu)", (size_t)(nul - json));
		return c.first;
	}
	tok = json_tokener_new_ex(GWPOL_MAX_DEPTH);
	p = calloc(1, sizeof(*p));
	if (!tok || !p) {
		oom(&c);
		goto out;
	}
	/* RFC 8259 only, valid UTF-8; trailing bytes are checked below to report them
	 * as GW_E_TRAILING. */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS |
					    JSON_TOKENER_VALIDATE_UTF8);
	root = json_tokener_parse_ex(tok, json, (int)len);
	jerr = json_tokener_get_error(tok);
	if (!root || jerr != json_tokener_success) {
		if (jerr == json_tokener_error_depth)
			/* json-c counts the innermost scalar as a level too. */
			diag(&c, GW_E_PARSE, "nested deeper than %d levels (byte %zu)",
			     GWPOL_MAX_DEPTH, json_tokener_get_parse_end(tok));
		else
			diag(&c, GW_E_PARSE, "not valid JSON at byte %zu: %s",
			     json_tokener_get_parse_end(tok),
			     jerr == json_tokener_continue ? "unexpected end of input"
							    : json_tokener_error_desc(jerr));
		goto out;
	}
	for (size_t i = json_tokener_get_parse_end(tok); i < len; i++)
		if (json[i] != ' ' && json[i] != '\n' && json[i] != '\r' && json[i] != '\t') {
			diag(&c, GW_E_TRAILING, "data after the JSON object (byte %zu)", i);
			goto out;
		}
	/* json-c takes a single-quoted name even in strict mode, and cuts a key at
	 * \u0000, so {"model\u0000x":..} would read as "model". */
	gw_json_scan_text(json, len, &at, &nul_at);
	if (at < len) {
		diag(&c, GW_E_PARSE, "not valid JSON at byte %zu: a single-quoted name", at);
		goto out;
	}
	at = nul_at;
	if (at < len) {
		diag(&c, GW_E_PARSE, "contains \\u0000 (byte %zu)", at);
		goto out;
	}
	/* Report a repeated key, then go on with what json-c kept (the last). */
	(void)find_duplicate(&c, json, len, root, &cur, 0);
	path_pop(&c, 1);
	parse_root(&c, root, p);
out:
	if (c.nomem) {
		rc = gw_fail(err, GW_E_NOMEM, "policy: out of memory");
	} else if (c.first) {
		rc = c.first;
	} else {
		*out = p; /* transferred */
		p = NULL;
	}
	gwpol_free(p);
	json_object_put(root);
	if (tok)
		json_tokener_free(tok);
	return rc;
}

void gwpol_selection(const struct gwpol *p, TPML_PCR_SELECTION *out)
{
	if (p && p->has_pcr_selection) {
		*out = p->pcr_selection;
		return;
	}
	memset(out, 0, sizeof(*out));
	if (gw_pcrsel_parse(DEFAULT_SELECTION, out, NULL))
		memset(out, 0, sizeof(*out)); /* cannot happen: the string is constant */
}
