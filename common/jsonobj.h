/* SPDX-License-Identifier: Apache-2.0 */
/* One strict reading of JSON from outside: exactly one RFC 8259 object, bounded in
 * size and depth, valid UTF-8, no NUL byte, nothing but whitespace after it, and
 * no key twice in any object (json-c would keep the last, another reader the
 * first: the same bytes must not mean two things), no \u0000 escape. */
#ifndef GW_JSONOBJ_H
#define GW_JSONOBJ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "gw_error.h"

/* The checks of the text that json-c's tree cannot show, for callers that run
 * the tokener themselves: text (len bytes, exactly the JSON value root was parsed
 * from) has no single-quoted name, no \u0000 escape and no key twice in one
 * object. 0, or GW_E_PARSE with *why "not valid JSON: a single-quoted name",
 * "a string contains \u0000 (NUL)" or "a key appears twice in one object". */
int gw_json_check_text(const void *text, size_t len, json_object *root,
		       const char **why) GW_WUR;

/* For parsers that report byte offsets themselves: the offset of the first single
 * quote outside a string and of the first \u0000 escape (its backslash) in text,
 * len when there is none. text must be JSON json-c accepted. */
void gw_json_scan_text(const void *text, size_t len, size_t *squote_at, size_t *nul_at);

/* Parse len bytes of buf (no NUL needed) into *out, the caller's
 * (json_object_put()). what names the document in messages, which read
 * "WHAT larger than MAX bytes" (GW_E_TOOBIG), "WHAT contains a NUL byte",
 * "WHAT is nested deeper than DEPTH levels", "WHAT is not valid JSON: REASON",
 * "WHAT: not valid JSON: a single-quoted name" (json-c takes one, even strict),
 * "WHAT must be a JSON object", "WHAT: a string contains \u0000 (NUL)",
 * "WHAT: a key appears twice in one object" (GW_E_PARSE) and
 * "WHAT: data after the JSON object" (GW_E_TRAILING).
 * GW_E_NOMEM. */
int gw_json_object_parse(const void *buf, size_t len, size_t max_len, int depth,
			 const char *what, json_object **out, gw_error *err) GW_WUR;

/* Readers of the members of a parsed object; messages name the key ('KEY' is
 * missing...), callers prefix what the document is. */

/* Every key of root is one of keys[0..nkeys-1]: GW_E_PARSE "unknown key 'K'". */
int gw_json_check_keys(json_object *root, const char *const *keys, size_t nkeys,
		       gw_error *err) GW_WUR;

/* A required string member of at most max bytes with no NUL character: *out
 * points into root, *len its length (optional). GW_E_PARSE "'K' is missing",
 * "'K' must be a string", "'K' contains a NUL character"; GW_E_TOOBIG "'K' longer
 * than MAX bytes". */
int gw_json_get_string(json_object *root, const char *key, size_t max, const char **out,
		       size_t *len, gw_error *err) GW_WUR;

/* A required integer member (JSON number without fraction or exponent) in
 * [min, max] (json-c reads a number beyond int64 as INT64_MAX: give max below it).
 * GW_E_PARSE "'K' is missing", "'K' must be an integer", "'K' must be MIN to MAX". */
int gw_json_get_int(json_object *root, const char *key, int64_t min, int64_t max,
		    int64_t *out, gw_error *err) GW_WUR;

/* A required boolean member. GW_E_PARSE "'K' is missing", "'K' must be true or
 * false". */
int gw_json_get_bool(json_object *root, const char *key, bool *out, gw_error *err) GW_WUR;

/* A required time member, "YYYY-MM-DDTHH:MM:SSZ" (gw_time_parse_utc), as seconds
 * since the epoch. GW_E_PARSE "'K' is missing", "'K' must be a time ...". */
int gw_json_get_time(json_object *root, const char *key, int64_t *out, gw_error *err) GW_WUR;

/* For reading back a document this program built (to print it): o[key] as a string
 * (a number or boolean in its JSON spelling); NULL when o is NULL or key is absent
 * or null. Not a validating reader: outside input goes through gw_json_get_*. */
const char *gw_json_str(json_object *o, const char *key);
/* o[key] = v as a string, or null when v is NULL. */
void gw_json_add_str(json_object *o, const char *key, const char *v);

/* o[key] = base64 of data (len bytes). GW_E_NOMEM on failure. */
int gw_json_add_b64(json_object *o, const char *key, const uint8_t *data, size_t len) GW_WUR;

#endif
