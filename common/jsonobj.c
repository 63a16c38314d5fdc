// SPDX-License-Identifier: Apache-2.0
// The strict JSON object reader shared by every parser of outside input, and a writer helper.
#include "jsonobj.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* What the text says that json-c's tree does not show. */
struct text_scan {
	size_t members;   /* members of every object: the colons outside strings */
	size_t squote_at; /* the first single quote outside a string (len: none):
			   * json-c takes 'key' as a member name even in strict mode,
			   * RFC 8259 does not */
	size_t nul_at;    /* the first \u0000 escape (len: none): json-c cuts a key
			   * there, so "a\u0000b" would read as "a"; no C string holds
			   * it either */
};

static void scan_text(const uint8_t *s, size_t len, struct text_scan *t)
{
	bool in_string = false;

	t->members = 0;
	t->squote_at = t->nul_at = len;
	for (size_t i = 0; i < len; i++) {
		if (in_string) {
			if (s[i] == '\\') {
				if (t->nul_at == len && i + 6 <= len && !memcmp(s + i + 1, "u0000", 5))
					t->nul_at = i;
				i++;
			} else if (s[i] == '"') {
				in_string = false;
			}
		} else if (s[i] == '"') {
			in_string = true;
		} else if (s[i] == ':') {
			t->members++;
		} else if (s[i] == '\'' && t->squote_at == len) {
			t->squote_at = i;
		}
	}
}

void gw_json_scan_text(const void *text, size_t len, size_t *squote_at, size_t *nul_at)
{
	struct text_scan scan;

	scan_text(text, len, &scan);
	*squote_at = scan.squote_at;
	*nul_at = scan.nul_at;
}

/* Members of every object in the tree json-c built, where a key given twice
 * counts once. The depth is bounded by the tokener. */
static size_t tree_members(json_object *v)
{
	size_t n = 0;

	if (json_object_is_type(v, json_type_object)) {
		json_object_object_foreach(v, key, val) {
			(void)key;
			n += 1 + tree_members(val);
		}
	} else if (json_object_is_type(v, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(v); i++)
			n += tree_members(json_object_array_get_idx(v, i));
	}
	return n;
}

int gw_json_check_text(const void *text, size_t len, json_object *root, const char **why)
{
	struct text_scan scan;

	scan_text(text, len, &scan);
	if (scan.squote_at < len)
		*why = "not valid JSON: a single-quoted name";
	else if (scan.nul_at < len)
		*why = "a string contains \\u0000 (NUL)";
	else if (scan.members != tree_members(root))
		*why = "a key appears twice in one object";
	else
		return 0;
	return GW_E_PARSE;
}

int gw_json_object_parse(const void *buf, size_t len, size_t max_len, int depth,
			 const char *what, json_object **out, gw_error *err)
{
	const uint8_t *s = buf;
	struct json_tokener *tok;
	enum json_tokener_error jerr;
	json_object *root;
	const char *why;
	int rc = 0;

	*out = NULL;
	if (len > max_len)
		return gw_fail(err, GW_E_TOOBIG, "%s larger than %zu bytes", what, max_len);
	if (len > INT32_MAX)
		return gw_fail(err, GW_E_TOOBIG, "%s larger than %d bytes", what, INT32_MAX);
	if (len && memchr(s, '\0', len))
		return gw_fail(err, GW_E_PARSE, "%s contains a NUL byte", what);
	tok = json_tokener_new_ex(depth);
	if (!tok)
		return GW_E_NOMEM;
	/* RFC 8259 only (no comments, single quotes, trailing commas), valid UTF-8;
	 * trailing bytes are checked below, to report them as GW_E_TRAILING. */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS |
					    JSON_TOKENER_VALIDATE_UTF8);
	root = json_tokener_parse_ex(tok, (const char *)s, (int)len);
	jerr = json_tokener_get_error(tok);
	/* "null" parses to NULL with success: the not-an-object case below. */
	if (jerr == json_tokener_error_depth) {
		rc = gw_fail(err, GW_E_PARSE, "%s is nested deeper than %d levels", what, depth);
		goto out;
	}
	if (jerr != json_tokener_success) {
		/* json-c's word for input that stops in the middle is "continue". */
		rc = gw_fail(err, GW_E_PARSE, "%s is not valid JSON: %s", what,
			     jerr == json_tokener_continue ? "unexpected end of data"
							   : json_tokener_error_desc(jerr));
		goto out;
	}
	for (size_t i = json_tokener_get_parse_end(tok); i < len; i++)
		if (s[i] != ' ' && s[i] != '\n' && s[i] != '\r' && s[i] != '\t') {
			rc = gw_fail(err, GW_E_TRAILING, "%s: data after the JSON object", what);
			goto out;
		}
	if (!json_object_is_type(root, json_type_object)) {
		rc = gw_fail(err, GW_E_PARSE, "%s must be a JSON object", what);
		goto out;
	}
	rc = gw_json_check_text(s, len, root, &why);
	if (rc) {
		rc = gw_fail(err, rc, "%s: %s", what, why);
		goto out;
	}
	*out = root;
	root = NULL; /* transferred */
out:
	json_object_put(root);
	json_tokener_free(tok);
	return rc;
}

int gw_json_check_keys(json_object *root, const char *const *keys, size_t nkeys, gw_error *err)
{
	json_object_object_foreach(root, key, val) {
		bool ok = false;

		(void)val;
		for (size_t i = 0; i < nkeys && !ok; i++)
			ok = !strcmp(key, keys[i]);
		if (!ok)
			return gw_fail(err, GW_E_PARSE, "unknown key '%.64s'", key);
	}
	return 0;
}

int gw_json_get_string(json_object *root, const char *key, size_t max, const char **out,
		       size_t *len, gw_error *err)
{
	json_object *o;
	size_t n;

	if (!json_object_object_get_ex(root, key, &o))
		return gw_fail(err, GW_E_PARSE, "'%s' is missing", key);
	if (!json_object_is_type(o, json_type_string))
		return gw_fail(err, GW_E_PARSE, "'%s' must be a string", key);
	n = (size_t)json_object_get_string_len(o);
	if (n > max)
		return gw_fail(err, GW_E_TOOBIG, "'%s' longer than %zu bytes", key, max);
	if (strlen(json_object_get_string(o)) != n)
		return gw_fail(err, GW_E_PARSE, "'%s' contains a NUL character", key);
	*out = json_object_get_string(o);
	if (len)
		*len = n;
	return 0;
}

int gw_json_get_int(json_object *root, const char *key, int64_t min, int64_t max,
		    int64_t *out, gw_error *err)
{
	json_object *o;
	int64_t n;

	if (!json_object_object_get_ex(root, key, &o))
		return gw_fail(err, GW_E_PARSE, "'%s' is missing", key);
	if (!json_object_is_type(o, json_type_int))
		return gw_fail(err, GW_E_PARSE, "'%s' must be an integer", key);
	errno = 0;
	n = json_object_get_int64(o);
	/* json-c saturates what does not fit in int64 (some versions say so in errno). */
	if (errno || n < min || n > max)
		return gw_fail(err, GW_E_PARSE, "'%s' must be %" PRId64 " to %" PRId64, key, min,
			       max);
	*out = n;
	return 0;
}

int gw_json_get_bool(json_object *root, const char *key, bool *out, gw_error *err)
{
	json_object *o;

	if (!json_object_object_get_ex(root, key, &o))
		return gw_fail(err, GW_E_PARSE, "'%s' is missing", key);
	if (!json_object_is_type(o, json_type_boolean))
		return gw_fail(err, GW_E_PARSE, "'%s' must be true or false", key);
	*out = json_object_get_boolean(o);
	return 0;
}

int gw_json_get_time(json_object *root, const char *key, int64_t *out, gw_error *err)
{
	const char *s;
	int rc = gw_json_get_string(root, key, GW_TIME_LEN - 1, &s, NULL, err);

	if (rc)
		return rc == GW_E_TOOBIG ? gw_fail(err, GW_E_PARSE,
						   "'%s' must be a time YYYY-MM-DDTHH:MM:SSZ", key)
					 : rc;
	if (gw_time_parse_utc(s, out))
		return gw_fail(err, GW_E_PARSE, "'%s' must be a time YYYY-MM-DDTHH:MM:SSZ", key);
	return 0;
}

int gw_json_add_b64(json_object *o, const char *key, const uint8_t *data, size_t len)
{
	char *b64 = NULL;
	int rc = gw_b64_encode(data, len, &b64);

	if (!rc && json_object_object_add(o, key, json_object_new_string(b64)))
		rc = GW_E_NOMEM;
	free(b64);
	return rc;
}

const char *gw_json_str(json_object *o, const char *key)
{
	json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
		return NULL;
	return json_object_get_string(v);
}

void gw_json_add_str(json_object *o, const char *key, const char *v)
{
	json_object_object_add(o, key, v ? json_object_new_string(v) : NULL);
}
