// SPDX-License-Identifier: Apache-2.0
// Strict parser of the signed attestation policy JSON (format in gwpol.h), which
// reports every schema error it finds with its JSON path. This file holds the parser
// state and diagnostics, the readers of plain values the sections share
// (gwpol_parse_int.h), the document's top level and its raw text checks; the
// sections are in gwpol_parse_fw.c and gwpol_parse_sections.c.
#include "gwpol_parse_int.h"

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
#define DUP_NAME_MAX_KEYS 1024   /* name the repeated key only in objects this small */

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
void gwpp_diag(struct pctx *c, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdiag(c, code, fmt, ap);
	va_end(ap);
}

/* Out of memory ends the parse; the result is GW_E_NOMEM whatever else was found. */
void gwpp_oom(struct pctx *c)
{
	c->nomem = true;
}

/* Input text made safe to quote: at most SHOWN_MAX bytes, anything but printable
 * ASCII as '?', cut text marked with "...". */
void gwpp_shown(const char *s, size_t len, char out[SHOWN_MAX + 4])
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

/* Path steps return the old length, to restore with gwpp_path_pop(). A path too long
 * for the buffer is cut, which only shortens messages. */
size_t gwpp_path_key(struct pctx *c, const char *key)
{
	char k[SHOWN_MAX + 4];
	size_t mark = c->plen;
	int n;

	gwpp_shown(key, strlen(key), k);
	n = snprintf(c->path + c->plen, sizeof(c->path) - c->plen, ".%s", k);
	if (n > 0)
		c->plen = strnlen(c->path, sizeof(c->path) - 1);
	return mark;
}

size_t gwpp_path_idx(struct pctx *c, size_t i)
{
	size_t mark = c->plen;
	int n = snprintf(c->path + c->plen, sizeof(c->path) - c->plen, "[%zu]", i);

	if (n > 0)
		c->plen = strnlen(c->path, sizeof(c->path) - 1);
	return mark;
}

void gwpp_path_pop(struct pctx *c, size_t mark)
{
	c->plen = mark;
	c->path[mark] = '\0';
}

/* ---- Types and plain values ---- */

bool gwpp_want(struct pctx *c, json_object *v, enum json_type t)
{
	static const char *const what[] = {
		[json_type_null] = "null", [json_type_boolean] = "true or false",
		[json_type_double] = "a number", [json_type_int] = "an integer",
		[json_type_object] = "an object", [json_type_array] = "an array",
		[json_type_string] = "a string",
	};

	if (json_object_is_type(v, t))
		return true;
	gwpp_diag(c, GW_E_PARSE, "not %s", what[t]);
	return false;
}

/* The members of v, an array or object of type t: not empty (if_empty, when not
 * NULL, is the message for an empty one), at most max ("more than MAX what"), and
 * a zeroed array of that many size-byte elements in *out (NULL when there are none).
 * false, with a diagnostic, when v fails a check or memory runs out. */
bool gwpp_take_list(struct pctx *c, json_object *v, enum json_type t, const char *if_empty,
		    size_t max, const char *what, size_t size, void **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (!gwpp_want(c, v, t))
		return false;
	*n = t == json_type_array ? json_object_array_length(v)
				  : (size_t)json_object_object_length(v);
	if (*n == 0) {
		if (if_empty)
			gwpp_diag(c, GW_E_PARSE, "%s", if_empty);
		return !if_empty;
	}
	if (*n > max) {
		gwpp_diag(c, GW_E_TOOBIG, "more than %zu %s", max, what);
		*n = 0;
		return false;
	}
	*out = calloc(*n, size);
	if (!*out) {
		gwpp_oom(c);
		*n = 0;
		return false;
	}
	return true;
}

/* Refuse keys of obj that are not in known[]. */
void gwpp_check_keys(struct pctx *c, json_object *obj, const char *const *known, size_t n)
{
	json_object_object_foreach(obj, key, val) {
		bool ok = false;
		char k[SHOWN_MAX + 4];

		(void)val;
		for (size_t i = 0; i < n && !ok; i++)
			ok = !strcmp(key, known[i]);
		if (!ok) {
			gwpp_shown(key, strlen(key), k);
			gwpp_diag(c, GW_E_PARSE, "unknown key '%s'", k);
		}
	}
}

/* Is key a member of obj? *v gets its value, which is NULL for a JSON null (so a
 * null is present, and then fails its type check). A missing required member is a
 * problem. */
bool gwpp_member(struct pctx *c, json_object *obj, const char *key, bool required,
		 json_object **v)
{
	*v = NULL;
	if (json_object_object_get_ex(obj, key, v))
		return true;
	if (required)
		gwpp_diag(c, GW_E_PARSE, "missing key '%s'", key);
	return false;
}

bool gwpp_valid_name(const char *s, size_t len)
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
bool gwpp_parse_name(struct pctx *c, json_object *v, char out[GWPOL_NAME_MAX + 1])
{
	size_t len;

	if (!gwpp_want(c, v, json_type_string))
		return false;
	len = (size_t)json_object_get_string_len(v);
	if (!gwpp_valid_name(json_object_get_string(v), len)) {
		gwpp_diag(c, GW_E_PARSE, "not a name (1-64 of A-Z a-z 0-9 . _ -)");
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
void gwpp_parse_text(struct pctx *c, json_object *v, char **out)
{
	const char *s, *why;
	uint32_t bad = 0;
	size_t len;

	if (!gwpp_want(c, v, json_type_string))
		return;
	s = json_object_get_string(v);
	len = (size_t)json_object_get_string_len(v);
	if (len == 0) {
		gwpp_diag(c, GW_E_PARSE, LEAVE_OUT);
		return;
	}
	if (len > GWPOL_TEXT_MAX) {
		gwpp_diag(c, GW_E_TOOBIG, "longer than %d bytes", GWPOL_TEXT_MAX);
		return;
	}
	why = text_problem((const unsigned char *)s, len, &bad);
	if (why) {
		if (bad)
			gwpp_diag(c, GW_E_PARSE, "%s (U+%04X)", why, (unsigned)bad);
		else
			gwpp_diag(c, GW_E_PARSE, "%s", why);
		return;
	}
	*out = strdup(s);
	if (!*out)
		gwpp_oom(c);
}

bool gwpp_parse_u32(struct pctx *c, json_object *v, uint32_t min, uint32_t max, uint32_t *out)
{
	int64_t x;

	if (!gwpp_want(c, v, json_type_int))
		return false;
	/* json-c clamps what does not fit in int64 to INT64_MAX or INT64_MIN, both out
	 * of range here. */
	x = json_object_get_int64(v);
	if (x < (int64_t)min || x > (int64_t)max) {
		gwpp_diag(c, GW_E_PARSE, "not in %u..%u", (unsigned)min, (unsigned)max);
		return false;
	}
	*out = (uint32_t)x;
	return true;
}

bool gwpp_parse_bool(struct pctx *c, json_object *v, bool *out)
{
	if (!gwpp_want(c, v, json_type_boolean))
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
bool gwpp_lower_hex(const char *s, size_t slen, uint8_t *out, size_t len)
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
size_t gwpp_earlier_same(json_object *arr, size_t i)
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

/* ---- Digest lists ---- */

/* A list of 1..GWPOL_MAX_DIGESTS distinct digests of alg (NULL: the bank is
 * unknown, so only the JSON types are checked). */
void gwpp_parse_digests(struct pctx *c, json_object *v, const struct gw_alg *alg,
			struct gwpol_digests *out)
{
	void *list;
	size_t n;

	if (!gwpp_take_list(c, v, json_type_array, "empty (at least one digest)", GWPOL_MAX_DIGESTS,
			    "digests", sizeof(*out->d), &list, &n))
		return;
	out->size = alg ? alg->size : 0;
	out->d = list;
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(v, i);
		size_t mark = gwpp_path_idx(c, i);
		uint8_t *d = out->d[out->n];

		if (!gwpp_want(c, e, json_type_string) || !alg) {
			gwpp_path_pop(c, mark);
			continue;
		}
		if (!gwpp_lower_hex(json_object_get_string(e), (size_t)json_object_get_string_len(e), d,
				    alg->size)) {
			gwpp_diag(c, GW_E_PARSE, "not a %s digest (%zu lower-case hex)", alg->name,
				  2 * alg->size);
			gwpp_path_pop(c, mark);
			continue;
		}
		/* A repeated digest is a slip in the file, never an intent. Valid
		 * digests have one spelling, so compare the text, which also gives the
		 * index in the file. */
		if (gwpp_earlier_same(v, i) < i)
			gwpp_diag(c, GW_E_PARSE, "duplicate digest (same as [%zu])", gwpp_earlier_same(v, i));
		out->n++;
		gwpp_path_pop(c, mark);
	}
}

/* An optional digest list member of obj. */
void gwpp_opt_digests(struct pctx *c, json_object *obj, const char *key, const struct gw_alg *alg,
		      bool *has, struct gwpol_digests *out)
{
	json_object *v;
	size_t mark;

	if (!gwpp_member(c, obj, key, false, &v))
		return;
	mark = gwpp_path_key(c, key);
	gwpp_parse_digests(c, v, alg, out);
	*has = true;
	gwpp_path_pop(c, mark);
}

void gwpp_opt_text(struct pctx *c, json_object *obj, const char *key, char **out)
{
	json_object *v;
	size_t mark;

	if (!gwpp_member(c, obj, key, false, &v))
		return;
	mark = gwpp_path_key(c, key);
	gwpp_parse_text(c, v, out);
	gwpp_path_pop(c, mark);
}

/* ---- The document ---- */

static void parse_pcr_selection(struct pctx *c, json_object *v, struct gwpol *p)
{
	gw_error e = { { 0 } };
	size_t len;

	if (!gwpp_want(c, v, json_type_string))
		return;
	len = (size_t)json_object_get_string_len(v);
	if (len > PCRSEL_MAX) {
		gwpp_diag(c, GW_E_TOOBIG, "longer than %d bytes", PCRSEL_MAX);
		return;
	}
	if (gw_pcrsel_parse(json_object_get_string(v), &p->pcr_selection, &e)) {
		gwpp_diag(c, GW_E_PARSE, "%s", e.msg[0] ? e.msg : "not a PCR selection");
		return;
	}
	if (gw_pcrsel_count(&p->pcr_selection) == 0) {
		gwpp_diag(c, GW_E_PARSE, "selects no PCR");
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

	if (!gwpp_want(c, root, json_type_object))
		return;
	gwpp_check_keys(c, root, known, GW_ARRAY_SIZE(known));
	if (gwpp_member(c, root, "model", true, &x)) {
		mark = gwpp_path_key(c, "model");
		(void)gwpp_parse_name(c, x, p->model);
		gwpp_path_pop(c, mark);
	}
	if (gwpp_member(c, root, "version", true, &x)) {
		mark = gwpp_path_key(c, "version");
		(void)gwpp_parse_u32(c, x, 1, UINT32_MAX, &p->version);
		gwpp_path_pop(c, mark);
	}
	gwpp_opt_text(c, root, "description", &p->description);
	if (gwpp_member(c, root, "pcr_selection", false, &x)) {
		mark = gwpp_path_key(c, "pcr_selection");
		parse_pcr_selection(c, x, p);
		gwpp_path_pop(c, mark);
	}
	if (gwpp_member(c, root, "freshness_seconds", false, &x)) {
		mark = gwpp_path_key(c, "freshness_seconds");
		p->has_freshness = gwpp_parse_u32(c, x, FRESHNESS_MIN, FRESHNESS_MAX,
						  &p->freshness_seconds);
		gwpp_path_pop(c, mark);
	}
	if (gwpp_member(c, root, "firmware", false, &x) && !c->nomem) {
		mark = gwpp_path_key(c, "firmware");
		gwpp_parse_firmware(c, x, &p->fw);
		gwpp_path_pop(c, mark);
	}
	if (gwpp_member(c, root, "stages", false, &x) && !c->nomem) {
		mark = gwpp_path_key(c, "stages");
		gwpp_parse_stages(c, x, p);
		gwpp_path_pop(c, mark);
	}
	if (gwpp_member(c, root, "trust", false, &x) && !c->nomem) {
		mark = gwpp_path_key(c, "trust");
		gwpp_parse_trust(c, x, &p->trust);
		gwpp_path_pop(c, mark);
	}
	if (gwpp_member(c, root, "logs", false, &x) && !c->nomem) {
		mark = gwpp_path_key(c, "logs");
		gwpp_parse_logs(c, x, &p->logs);
		gwpp_path_pop(c, mark);
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
	if (gwpp_member(c, root, "update", false, &x) && !c->nomem) {
		mark = gwpp_path_key(c, "update");
		gwpp_parse_update(c, x, &p->update);
		gwpp_path_pop(c, mark);
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
				gwpp_shown(s + dup + 1, duplen - 2, k);
				gwpp_diag(c, GW_E_PARSE, "duplicate key '%s'", k);
			} else {
				gwpp_diag(c, GW_E_PARSE,
					  "duplicate key (two keys spell one name with different escapes)");
			}
			return true;
		}
		(*cur)++;
		json_object_object_foreach(v, key, val) {
			size_t mark = gwpp_path_key(c, key);
			bool found = find_duplicate(c, s, len, val, cur, depth + 1);

			gwpp_path_pop(c, mark);
			if (found)
				return true;
		}
	} else if (json_object_is_type(v, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			size_t mark = gwpp_path_idx(c, i);
			bool found = find_duplicate(c, s, len, json_object_array_get_idx(v, i), cur,
						    depth + 1);

			gwpp_path_pop(c, mark);
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
		gwpp_diag(&c, GW_E_TOOBIG, "larger than %u bytes", GWPOL_MAX_SIZE);
		return c.first;
	}
	nul = memchr(json, '\0', len);
	if (nul) {
		gwpp_diag(&c, GW_E_PARSE, "contains a NUL byte (byte %zu)", (size_t)(nul - json));
		return c.first;
	}
	tok = json_tokener_new_ex(GWPOL_MAX_DEPTH);
	p = calloc(1, sizeof(*p));
	if (!tok || !p) {
		gwpp_oom(&c);
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
			gwpp_diag(&c, GW_E_PARSE, "nested deeper than %d levels (byte %zu)",
				  GWPOL_MAX_DEPTH, json_tokener_get_parse_end(tok));
		else
			gwpp_diag(&c, GW_E_PARSE, "not valid JSON at byte %zu: %s",
				  json_tokener_get_parse_end(tok),
				  jerr == json_tokener_continue ? "unexpected end of input"
							    : json_tokener_error_desc(jerr));
		goto out;
	}
	for (size_t i = json_tokener_get_parse_end(tok); i < len; i++)
		if (json[i] != ' ' && json[i] != '\n' && json[i] != '\r' && json[i] != '\t') {
			gwpp_diag(&c, GW_E_TRAILING, "data after the JSON object (byte %zu)", i);
			goto out;
		}
	/* json-c takes a single-quoted name even in strict mode, and cuts a key at
	 * \u0000, so {"model\u0000x":..} would read as "model". */
	gw_json_scan_text(json, len, &at, &nul_at);
	if (at < len) {
		gwpp_diag(&c, GW_E_PARSE, "not valid JSON at byte %zu: a single-quoted name", at);
		goto out;
	}
	at = nul_at;
	if (at < len) {
		gwpp_diag(&c, GW_E_PARSE, "contains \\u0000 (byte %zu)", at);
		goto out;
	}
	/* Report a repeated key, then go on with what json-c kept (the last). */
	(void)find_duplicate(&c, json, len, root, &cur, 0);
	gwpp_path_pop(&c, 1);
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
