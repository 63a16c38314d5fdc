// SPDX-License-Identifier: Apache-2.0
// CEL-JSON event log (RFC 7464 JSON text sequences): strict parser, record
// formatter, replay into software PCR banks, and a JSON view.
#include "cel.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <json-c/json_visit.h>

#include "jsonobj.h"
#include "util.h"

#define CEL_LF 0x0a
/* How much of one hostile string goes into a message. */
#define CEL_DESC_FIELD 96

/* Where a record starts, for messages. */
struct rec_pos {
	gw_error *err;
	size_t idx, off;
};

static int rec_fail(const struct rec_pos *p, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int rec_fail(const struct rec_pos *p, int code, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	if (!p->err)
		return code;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return gw_fail(p->err, code, "record %zu at offset %zu: %s", p->idx, p->off, msg);
}

static bool is_json_ws(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Bounded appender for messages built from untrusted text. */
struct sbuf {
	char *p;
	size_t size, used;
};

static void sb_putc(struct sbuf *b, char c)
{
	if (b->used + 1 < b->size)
		b->p[b->used++] = c;
	b->p[b->used] = '\0';
}

static void sb_lit(struct sbuf *b, const char *s)
{
	for (; *s; s++)
		sb_putc(b, *s);
}

/* At most cap bytes of s, bytes outside printable ASCII as '?', "..." when cut. */
static void sb_clean(struct sbuf *b, const char *s, size_t cap)
{
	size_t i;

	for (i = 0; s[i] && i < cap; i++) {
		unsigned char c = (unsigned char)s[i];

		sb_putc(b, c >= 0x20 && c < 0x7f ? (char)c : '?');
	}
	if (s[i])
		sb_lit(b, "...");
}

static void clean(const char *s, char *buf, size_t len)
{
	struct sbuf b = { buf, len, 0 };

	if (len)
		sb_clean(&b, s, CEL_DESC_FIELD);
}

void cel_free(struct cel_log *log)
{
	if (!log)
		return;
	for (size_t i = 0; i < log->n; i++) {
		free(log->rec[i].content_type);
		json_object_put(log->rec[i].content);
	}
	free(log->rec);
	free(log);
}

/* A string without embedded NULs: a C reader would otherwise see a shorter value
 * than the JSON holds. */
static int get_string(const struct rec_pos *p, json_object *o, const char *what,
		      const char **out)
{
	const char *s;

	if (!json_object_is_type(o, json_type_string))
		return rec_fail(p, GW_E_PARSE, "%s is not a string", what);
	s = json_object_get_string(o);
	if ((size_t)json_object_get_string_len(o) != strlen(s))
		return rec_fail(p, GW_E_PARSE, "%s contains a NUL character", what);
	*out = s;
	return 0;
}

/* An integer in [0, max]. json-c converts other types silently, and clamps values
 * outside int64 to its ends, which the range check then refuses. */
static int get_uint(const struct rec_pos *p, json_object *o, const char *what, uint64_t max,
		    uint64_t *out)
{
	int64_t v;

	if (!json_object_is_type(o, json_type_int))
		return rec_fail(p, GW_E_PARSE, "%s is not an integer", what);
	v = json_object_get_int64(o);
	if (v < 0 || (uint64_t)v > max)
		return rec_fail(p, GW_E_PARSE, "%s %" PRId64 " out of range 0-%" PRIu64, what, v,
				max);
	*out = (uint64_t)v;
	return 0;
}

static bool is_hex(const char *s, size_t n)
{
	return strspn(s, "0123456789abcdefABCDEF") == n;
}

static int parse_digests(const struct rec_pos *p, json_object *arr, struct cel_record *r)
{
	size_t n;

	if (!json_object_is_type(arr, json_type_array))
		return rec_fail(p, GW_E_PARSE, "digests is not an array");
	n = json_object_array_length(arr);
	if (n == 0)
		return rec_fail(p, GW_E_PARSE, "digests is empty");
	if (n > GW_MAX_BANKS)
		return rec_fail(p, GW_E_PARSE, "%zu digests, more than the %d algorithms we know",
				n, GW_MAX_BANKS);
	for (size_t i = 0; i < n; i++) {
		json_object *d = json_object_array_get_idx(arr, i);
		json_object *alg_o = NULL, *hex_o = NULL;
		const struct gw_alg *alg;
		const char *name, *hex;
		char what[32], shown[CEL_DESC_FIELD + 4];
		int rc;

		snprintf(what, sizeof(what), "digest %zu", i);
		if (!json_object_is_type(d, json_type_object))
			return rec_fail(p, GW_E_PARSE, "%s is not an object", what);
		json_object_object_foreach(d, key, val) {
			(void)val;
			if (strcmp(key, "hashAlg") && strcmp(key, "digest")) {
				clean(key, shown, sizeof(shown));
				return rec_fail(p, GW_E_PARSE, "%s: unknown key \"%s\"", what, shown);
			}
		}
		if (!json_object_object_get_ex(d, "hashAlg", &alg_o))
			return rec_fail(p, GW_E_PARSE, "%s has no hashAlg", what);
		if (!json_object_object_get_ex(d, "digest", &hex_o))
			return rec_fail(p, GW_E_PARSE, "%s has no digest", what);
		snprintf(what, sizeof(what), "digest %zu hashAlg", i);
		if ((rc = get_string(p, alg_o, what, &name)))
			return rc;
		alg = gw_alg_by_name(name);
		if (!alg) {
			clean(name, shown, sizeof(shown));
			return rec_fail(p, GW_E_PARSE, "digest %zu: unknown hashAlg \"%s\"", i, shown);
		}
		for (size_t j = 0; j < i; j++)
			if (r->digests[j].alg == alg->id)
				return rec_fail(p, GW_E_PARSE, "digest %zu: hashAlg %s appears twice", i,
						alg->name);
		snprintf(what, sizeof(what), "digest %zu (%s)", i, alg->name);
		if ((rc = get_string(p, hex_o, what, &hex)))
			return rc;
		if (strlen(hex) != 2 * alg->size)
			return rec_fail(p, GW_E_PARSE, "%s has %zu hex digits, not %zu", what,
					strlen(hex), 2 * alg->size);
		if (!is_hex(hex, 2 * alg->size) ||
		    gw_hex_decode_fixed(hex, r->digests[i].d, alg->size, NULL))
			return rec_fail(p, GW_E_PARSE, "%s is not hex", what);
		r->digests[i].alg = alg->id;
		r->ndigests = i + 1;
	}
	return 0;
}

static int visit_finite(json_object *jso, int flags, json_object *parent, const char *key,
			size_t *idx, void *arg)
{
	(void)flags;
	(void)parent;
	(void)key;
	(void)idx;
	if (json_object_is_type(jso, json_type_double) && !isfinite(json_object_get_double(jso))) {
		*(bool *)arg = true;
		return JSON_C_VISIT_RETURN_STOP;
	}
	return JSON_C_VISIT_RETURN_CONTINUE;
}

static int parse_content(const struct rec_pos *p, json_object *c, struct cel_record *r)
{
	static const char *const fields[] = { "eventType", "stage", "path", "string" };
	const char **dst[] = { &r->event_type, &r->stage, &r->path, &r->string };
	bool nonfinite = false;
	int rc;

	if (!json_object_is_type(c, json_type_object))
		return rec_fail(p, GW_E_PARSE, "content is not an object");
	for (size_t i = 0; i < GW_ARRAY_SIZE(fields); i++) {
		json_object *v;
		char what[32];

		if (!json_object_object_get_ex(c, fields[i], &v))
			continue;
		snprintf(what, sizeof(what), "content.%s", fields[i]);
		if ((rc = get_string(p, v, what, dst[i])))
			return rc;
	}
	/* json-c reads NaN and Infinity, which JSON does not have: the --json view
	 * would then print invalid JSON. The nesting is capped by the tokener. */
	if (json_c_visit(c, 0, visit_finite, &nonfinite) < 0 || nonfinite)
		return rec_fail(p, GW_E_PARSE, "content holds a number that is not finite");
	return 0;
}

/* The JSON object of one record: known keys only, strict types. */
static int parse_fields(const struct rec_pos *p, json_object *root, struct cel_record *r)
{
	static const char *const known[] = { "recnum", "pcr", "digests", "content_type",
					     "content" };
	json_object *v;
	uint64_t u = 0;
	int rc;

	if (!json_object_is_type(root, json_type_object))
		return rec_fail(p, GW_E_PARSE, "not a JSON object");
	json_object_object_foreach(root, key, val) {
		bool ok = false;

		(void)val;
		for (size_t i = 0; i < GW_ARRAY_SIZE(known) && !ok; i++)
			ok = !strcmp(key, known[i]);
		if (!ok) {
			char shown[CEL_DESC_FIELD + 4];

			clean(key, shown, sizeof(shown));
			return rec_fail(p, GW_E_PARSE, "unknown key \"%s\"", shown);
		}
	}
	r->recnum = p->idx;
	if (json_object_object_get_ex(root, "recnum", &v)) {
		if (!json_object_is_type(v, json_type_int))
			return rec_fail(p, GW_E_PARSE, "recnum is not an integer");
		if (json_object_get_int64(v) < 0 || (uint64_t)json_object_get_int64(v) != p->idx)
			return rec_fail(p, GW_E_PARSE, "recnum %" PRId64 " but this is record %zu",
					json_object_get_int64(v), p->idx);
	}
	if (!json_object_object_get_ex(root, "pcr", &v))
		return rec_fail(p, GW_E_PARSE, "no pcr");
	if ((rc = get_uint(p, v, "pcr", GW_NUM_PCRS - 1, &u)))
		return rc;
	r->pcr = (uint32_t)u;
	if (!json_object_object_get_ex(root, "digests", &v))
		return rec_fail(p, GW_E_PARSE, "no digests");
	if ((rc = parse_digests(p, v, r)))
		return rc;
	if (json_object_object_get_ex(root, "content", &v) && (rc = parse_content(p, v, r)))
		return rc;
	if (json_object_object_get_ex(root, "content_type", &v)) {
		const char *s;

		if ((rc = get_string(p, v, "content_type", &s)))
			return rc;
		r->content_type = strdup(s);
		if (!r->content_type)
			return GW_E_NOMEM;
	}
	return 0;
}

/* One record: data[off] .. data[end - 1], where end is the next RS or the end of
 * the input (last). RFC 7464 splits on RS, which JSON text cannot contain. */
static int parse_record(struct json_tokener *tok, const uint8_t *data, size_t off, size_t end,
			bool last, const struct rec_pos *p, struct cel_record *out)
{
	const char *text = (const char *)data + off + 1;
	size_t tlen = end - off - 1, jend;
	struct cel_record r = { 0 };
	json_object *root = NULL, *content = NULL;
	enum json_tokener_error jerr;
	const uint8_t *nul;
	const char *why;
	int rc = 0;

	if (data[off] != CEL_RS)
		return rec_fail(p, GW_E_PARSE, "does not start with the record separator 0x1e "
			       "(found 0x%02x)", data[off]);
	if (end - off > CEL_MAX_RECORD)
		return rec_fail(p, GW_E_TOOBIG, "%zu bytes, over the record cap of %u bytes",
				end - off, CEL_MAX_RECORD);
	nul = memchr(text, '\0', tlen);
	if (nul)
		return rec_fail(p, GW_E_PARSE, "NUL byte at offset %zu", (size_t)(nul - data));
	jend = 0;
	while (jend < tlen && is_json_ws((uint8_t)text[jend]))
		jend++;
	if (jend == tlen && tlen && text[tlen - 1] == CEL_LF)
		return rec_fail(p, GW_E_PARSE, "empty record");
	json_tokener_reset(tok);
	root = json_tokener_parse_ex(tok, text, (int)tlen);
	jerr = json_tokener_get_error(tok);
	if (!root && jerr == json_tokener_continue) {
		rc = last ? rec_fail(p, GW_E_TRUNCATED, "incomplete JSON at the end of the log "
				     "(torn record)")
			  : rec_fail(p, GW_E_PARSE, "incomplete JSON before the next record");
		goto out;
	}
	if (!root && jerr == json_tokener_error_depth) {
		rc = rec_fail(p, GW_E_PARSE, "JSON nested deeper than %d levels", CEL_MAX_DEPTH);
		goto out;
	}
	if (!root) {
		rc = rec_fail(p, GW_E_PARSE, "bad JSON near offset %zu: %s",
			      off + 1 + json_tokener_get_parse_end(tok), json_tokener_error_desc(jerr));
		goto out;
	}
	for (jend = json_tokener_get_parse_end(tok); jend < tlen; jend++)
		if (!is_json_ws((uint8_t)text[jend])) {
			rc = rec_fail(p, GW_E_TRAILING, "data after the JSON text at offset %zu%s",
				      off + 1 + jend,
				      text[jend] == '{' ? " (a record without its 0x1e separator?)"
							: "");
			goto out;
		}
	if (text[tlen - 1] != CEL_LF) {
		rc = last ? rec_fail(p, GW_E_TRUNCATED, "no line feed at the end of the log "
				     "(torn record)")
			  : rec_fail(p, GW_E_PARSE, "no line feed before the next record");
		goto out;
	}
	rc = gw_json_check_text(text, tlen, root, &why);
	if (rc) {
		rc = rec_fail(p, rc, "%s", why);
		goto out;
	}
	rc = parse_fields(p, root, &r);
	if (rc)
		goto out;
	if (json_object_object_get_ex(root, "content", &content))
		r.content = json_object_get(content);
	r.offset = off;
	r.len = end - off;
	*out = r; /* transferred */
	r.content_type = NULL;
	r.content = NULL;
out:
	free(r.content_type);
	json_object_put(r.content);
	json_object_put(root);
	return rc;
}

int cel_parse(const uint8_t *data, size_t len, struct cel_log **out, gw_error *err)
{
	struct cel_log *log = NULL;
	struct json_tokener *tok = NULL;
	size_t pos = 0;
	int rc = 0;

	if (!out || (!data && len))
		return gw_fail(err, GW_E_INVAL, "cel_parse: no input or output");
	if (len > CEL_MAX_LOG)
		return gw_fail(err, GW_E_TOOBIG, "event log of %zu bytes, over the cap of %u bytes",
			       len, CEL_MAX_LOG);
	log = calloc(1, sizeof(*log));
	tok = json_tokener_new_ex(CEL_MAX_DEPTH);
	if (!log || !tok) {
		rc = GW_E_NOMEM;
		goto out;
	}
	/* Trailing bytes are checked here, to report them as GW_E_TRAILING. */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS |
					    JSON_TOKENER_VALIDATE_UTF8);
	while (pos < len) {
		struct rec_pos p = { err, log->n, pos };
		const uint8_t *rs = NULL;
		size_t end;

		if (log->n >= CEL_MAX_RECORDS) {
			rc = rec_fail(&p, GW_E_TOOBIG, "more than %u records", CEL_MAX_RECORDS);
			goto out;
		}
		if (pos + 1 < len)
			rs = memchr(data + pos + 1, CEL_RS, len - pos - 1);
		end = rs ? (size_t)(rs - data) : len;
		if (log->n == log->cap) {
			size_t cap = log->cap ? 2 * log->cap : 64;
			struct cel_record *rec;

			if (cap > CEL_MAX_RECORDS)
				cap = CEL_MAX_RECORDS;
			rec = reallocarray(log->rec, cap, sizeof(*rec));
			if (!rec) {
				rc = GW_E_NOMEM;
				goto out;
			}
			log->rec = rec;
			log->cap = cap;
		}
		rc = parse_record(tok, data, pos, end, end == len, &p, &log->rec[log->n]);
		if (rc)
			goto out;
		log->n++;
		pos = end;
	}
	*out = log; /* transferred */
	log = NULL;
out:
	if (tok) /* json-c 0.16 does not accept NULL here */
		json_tokener_free(tok);
	cel_free(log);
	return rc;
}

size_t cel_complete_prefix(const uint8_t *data, size_t len)
{
	struct json_tokener *tok = NULL;
	json_object *root = NULL;
	const char *text;
	size_t last = len, tlen, i;
	enum json_tokener_error jerr;
	size_t keep = len;

	if (!data || !len)
		return 0;
	/* Only the last record can be torn: the agent repairs the log before every
	 * append. Damage anywhere else is left for cel_parse to report rather than
	 * silently cut, with the records after it. */
	for (i = len; i > 0; i--)
		if (data[i - 1] == CEL_RS) {
			last = i - 1;
			break;
		}
	if (last == len || len - last > CEL_MAX_RECORD)
		goto out;
	text = (const char *)data + last + 1;
	tlen = len - last - 1;
	if (memchr(text, '\0', tlen))
		goto out;
	tok = json_tokener_new_ex(CEL_MAX_DEPTH);
	if (!tok)
		goto out; /* cut nothing rather than too much */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS |
					    JSON_TOKENER_VALIDATE_UTF8);
	root = json_tokener_parse_ex(tok, text, (int)tlen);
	jerr = json_tokener_get_error(tok);
	if (!root) {
		/* Incomplete JSON (or nothing but whitespace) is a torn write; a hard
		 * error is damage. */
		if (jerr == json_tokener_continue)
			keep = last;
		goto out;
	}
	for (i = json_tokener_get_parse_end(tok); i < tlen; i++)
		if (!is_json_ws((uint8_t)text[i]))
			goto out; /* damage, not a torn write */
	if (text[tlen - 1] != CEL_LF)
		keep = last; /* torn before its line feed */
out:
	json_object_put(root);
	if (tok) /* json-c 0.16 does not accept NULL here */
		json_tokener_free(tok);
	return keep;
}

/* Add val under key, taking val even on failure. */
static int add(json_object *o, const char *key, json_object *val)
{
	if (!val)
		return GW_E_NOMEM;
	if (json_object_object_add(o, key, val)) {
		json_object_put(val);
		return GW_E_NOMEM;
	}
	return 0;
}

static int add_str(json_object *o, const char *key, const char *s)
{
	return s ? add(o, key, json_object_new_string(s)) : 0;
}

int cel_record_format(uint64_t recnum, uint32_t pcr, const uint16_t *algs,
		      const uint8_t digests[][GW_MAX_DIGEST], size_t ndigests,
		      const char *event_type, const char *stage, const char *path,
		      const char *string, char **out, size_t *out_len)
{
	const char *strs[] = { event_type, stage, path, string };
	json_object *o = NULL, *arr = NULL, *content = NULL;
	const char *js;
	char *buf = NULL;
	size_t jlen = 0;
	int rc = 0;

	if (!out || !out_len || !algs || !digests || ndigests == 0 || ndigests > GW_MAX_BANKS ||
	    pcr >= GW_NUM_PCRS || recnum > INT64_MAX)
		return GW_E_INVAL;
	for (size_t i = 0; i < ndigests; i++) {
		if (!gw_alg_by_id(algs[i]))
			return GW_E_INVAL;
		for (size_t j = 0; j < i; j++)
			if (algs[j] == algs[i])
				return GW_E_INVAL;
	}
	for (size_t i = 0; i < GW_ARRAY_SIZE(strs); i++)
		if (strs[i] && !gw_utf8_valid(strs[i]))
			return GW_E_INVAL;

	o = json_object_new_object();
	arr = json_object_new_array();
	content = json_object_new_object();
	if (!o || !arr || !content) {
		rc = GW_E_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < ndigests; i++) {
		const struct gw_alg *alg = gw_alg_by_id(algs[i]);
		char hex[2 * GW_MAX_DIGEST + 1];
		json_object *d = json_object_new_object();

		if (!d) {
			rc = GW_E_NOMEM;
			goto out;
		}
		gw_hex_encode(digests[i], alg->size, hex);
		if ((rc = add_str(d, "hashAlg", alg->name)) || (rc = add_str(d, "digest", hex))) {
			json_object_put(d);
			goto out;
		}
		if (json_object_array_add(arr, d)) {
			json_object_put(d);
			rc = GW_E_NOMEM;
			goto out;
		}
	}
	if ((rc = add_str(content, "eventType", event_type)) ||
	    (rc = add_str(content, "stage", stage)) || (rc = add_str(content, "path", path)) ||
	    (rc = add_str(content, "string", string)))
		goto out;
	if ((rc = add(o, "recnum", json_object_new_int64((int64_t)recnum))) ||
	    (rc = add(o, "pcr", json_object_new_int64(pcr))))
		goto out;
	rc = add(o, "digests", arr);
	arr = NULL; /* owned by o, or already freed by add() */
	if (rc || (rc = add_str(o, "content_type", CEL_CONTENT_TYPE)))
		goto out;
	rc = add(o, "content", content);
	content = NULL; /* likewise */
	if (rc)
		goto out;
	js = json_object_to_json_string_length(
		o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &jlen);
	if (!js) {
		rc = GW_E_NOMEM;
		goto out;
	}
	/* Never write a record that cel_parse would refuse. */
	if (jlen + 2 > CEL_MAX_RECORD) {
		rc = GW_E_TOOBIG;
		goto out;
	}
	buf = malloc(jlen + 3);
	if (!buf) {
		rc = GW_E_NOMEM;
		goto out;
	}
	buf[0] = CEL_RS;
	memcpy(buf + 1, js, jlen);
	buf[jlen + 1] = CEL_LF;
	buf[jlen + 2] = '\0';
	*out = buf; /* transferred */
	*out_len = jlen + 2;
out:
	json_object_put(content);
	json_object_put(arr);
	json_object_put(o);
	return rc;
}

void cel_record_describe(const struct cel_record *r, char *buf, size_t len)
{
	struct sbuf b = { buf, len, 0 };
	char num[24];

	if (!buf || !len)
		return;
	buf[0] = '\0';
	if (!r) {
		sb_lit(&b, "record ?");
		return;
	}
	snprintf(num, sizeof(num), "%" PRIu64, r->recnum);
	sb_lit(&b, "record ");
	sb_lit(&b, num);
	if (r->string && *r->string) {
		sb_lit(&b, " (");
		sb_clean(&b, r->string, 2 * CEL_DESC_FIELD);
	} else if (r->stage) {
		sb_lit(&b, " (stage ");
		sb_clean(&b, r->stage, CEL_DESC_FIELD);
		if (r->path) {
			sb_lit(&b, ": ");
			sb_clean(&b, r->path, CEL_DESC_FIELD);
		}
	} else if (r->path) {
		sb_lit(&b, " (");
		sb_clean(&b, r->path, CEL_DESC_FIELD);
	} else if (r->event_type) {
		sb_lit(&b, " (");
		sb_clean(&b, r->event_type, CEL_DESC_FIELD);
	} else {
		return;
	}
	sb_putc(&b, ')');
}

int cel_record_extend(const struct cel_record *r, struct gw_pcr_set *pcrs, gw_error *err)
{
	const uint8_t *d[GW_MAX_BANKS] = { NULL };
	char desc[2 * CEL_DESC_FIELD + 64];

	if (!r || !pcrs || pcrs->nbanks > GW_MAX_BANKS || r->ndigests > GW_MAX_BANKS)
		return gw_fail(err, GW_E_INVAL, "cel_record_extend: bad argument");
	if (r->pcr >= GW_NUM_PCRS) {
		cel_record_describe(r, desc, sizeof(desc));
		return gw_fail(err, GW_E_INVAL, "%s: PCR %" PRIu32 " out of range", desc, r->pcr);
	}
	/* Every extend goes to every active bank: check them all before touching any. */
	for (size_t b = 0; b < pcrs->nbanks; b++) {
		const struct gw_alg *a = gw_alg_by_id(pcrs->bank[b].alg);

		for (size_t k = 0; k < r->ndigests && !d[b]; k++)
			if (r->digests[k].alg == pcrs->bank[b].alg)
				d[b] = r->digests[k].d;
		if (d[b])
			continue;
		cel_record_describe(r, desc, sizeof(desc));
		if (a)
			return gw_fail(err, GW_E_CEL, "%s has no %s digest", desc, a->name);
		return gw_fail(err, GW_E_CEL, "%s has no digest for algorithm 0x%04x", desc,
			       pcrs->bank[b].alg);
	}
	for (size_t b = 0; b < pcrs->nbanks; b++) {
		int rc = gw_pcr_extend(&pcrs->bank[b], r->pcr, d[b]);

		if (rc) {
			cel_record_describe(r, desc, sizeof(desc));
			return gw_fail(err, rc, "%s: extending PCR %" PRIu32 " of bank 0x%04x",
				       desc, r->pcr, pcrs->bank[b].alg);
		}
	}
	return 0;
}

int cel_replay(const struct cel_log *log, struct gw_pcr_set *pcrs, gw_error *err)
{
	if (!log || !pcrs)
		return gw_fail(err, GW_E_INVAL, "cel_replay: bad argument");
	for (size_t i = 0; i < log->n; i++) {
		int rc = cel_record_extend(&log->rec[i], pcrs, err);

		if (rc)
			return rc;
	}
	return 0;
}

static int record_json(const struct cel_record *r, json_object **out)
{
	json_object *o = NULL, *dg = NULL;
	char desc[2 * CEL_DESC_FIELD + 64];
	int rc = 0;

	o = json_object_new_object();
	dg = json_object_new_object();
	if (!o || !dg) {
		rc = GW_E_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < r->ndigests && i < GW_MAX_BANKS; i++) {
		const struct gw_alg *a = gw_alg_by_id(r->digests[i].alg);
		char hex[2 * GW_MAX_DIGEST + 1];

		if (!a)
			continue;
		gw_hex_encode(r->digests[i].d, a->size, hex);
		if ((rc = add_str(dg, a->name, hex)))
			goto out;
	}
	cel_record_describe(r, desc, sizeof(desc));
	if ((rc = add(o, "recnum", json_object_new_int64((int64_t)r->recnum))) ||
	    (rc = add(o, "offset", json_object_new_int64((int64_t)r->offset))) ||
	    (rc = add(o, "pcr", json_object_new_int64(r->pcr))))
		goto out;
	rc = add(o, "digests", dg);
	dg = NULL; /* owned by o, or already freed by add() */
	if (rc || (rc = add_str(o, "content_type", r->content_type)))
		goto out;
	if (r->content && (rc = add(o, "content", json_object_get(r->content))))
		goto out;
	if ((rc = add_str(o, "description", desc)))
		goto out;
	*out = o; /* transferred */
	o = NULL;
out:
	json_object_put(dg);
	json_object_put(o);
	return rc;
}

int cel_records_json(const struct cel_log *log, struct json_object **out)
{
	json_object *arr = NULL;
	int rc = 0;

	if (!log || !out)
		return GW_E_INVAL;
	arr = json_object_new_array();
	if (!arr)
		return GW_E_NOMEM;
	for (size_t i = 0; i < log->n; i++) {
		json_object *o = NULL;

		if ((rc = record_json(&log->rec[i], &o)))
			goto out;
		if (json_object_array_add(arr, o)) {
			json_object_put(o);
			rc = GW_E_NOMEM;
			goto out;
		}
	}
	*out = arr; /* transferred */
	arr = NULL;
out:
	json_object_put(arr);
	return rc;
}

const uint8_t *cel_record_digest(const struct cel_record *r, uint16_t alg)
{
	for (size_t i = 0; i < r->ndigests; i++)
		if (r->digests[i].alg == alg)
			return r->digests[i].d;
	return NULL;
}
