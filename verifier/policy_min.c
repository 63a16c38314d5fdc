// SPDX-License-Identifier: Apache-2.0
// Strict parser of the minimal per-model policy JSON and its stage digest check.
#include "policy_min.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "digest.h"
#include "util.h"

void policy_min_free(struct policy_min *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n_stages; i++)
		free(p->stages[i].digests);
	free(p->stages);
	free(p);
}

/* 1-64 of A-Z a-z 0-9 . _ - */
static bool valid_name(const char *s, size_t len)
{
	if (len == 0 || len > POLICY_MIN_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

/* A key from the input, made safe to print: at most 64 bytes, non-printable
 * bytes as '?'. */
static void printable(const char *s, char out[POLICY_MIN_NAME_MAX + 4])
{
	size_t i;

	for (i = 0; s[i] && i < POLICY_MIN_NAME_MAX; i++)
		out[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	if (s[i]) {
		memcpy(out + i, "...", 3);
		i += 3;
	}
	out[i] = '\0';
}

static int lower_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int parse_digest(json_object *v, const char *stage, size_t idx,
			uint8_t out[POLICY_MIN_DIGEST_LEN], gw_error *err)
{
	const char *s;

	if (!json_object_is_type(v, json_type_string))
		return gw_fail(err, GW_E_PARSE, "policy: stages.%s[%zu]: not a string", stage, idx);
	s = json_object_get_string(v);
	if ((size_t)json_object_get_string_len(v) != 2 * POLICY_MIN_DIGEST_LEN)
		return gw_fail(err, GW_E_PARSE,
			       "policy: stages.%s[%zu]: not a SHA-256 digest (64 lower-case hex)",
			       stage, idx);
	for (size_t i = 0; i < POLICY_MIN_DIGEST_LEN; i++) {
		int hi = lower_hex_digit(s[2 * i]), lo = lower_hex_digit(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return gw_fail(err, GW_E_PARSE,
				       "policy: stages.%s[%zu]: not a SHA-256 digest (64 lower-case hex)",
				       stage, idx);
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

static int parse_stage(const char *name, json_object *arr, struct policy_min_stage *st,
		       gw_error *err)
{
	size_t n;

	if (!json_object_is_type(arr, json_type_array))
		return gw_fail(err, GW_E_PARSE, "policy: stages.%s: not an array", name);
	n = json_object_array_length(arr);
	if (n == 0)
		return gw_fail(err, GW_E_PARSE, "policy: stages.%s: no digest", name);
	if (n > POLICY_MIN_MAX_DIGESTS)
		return gw_fail(err, GW_E_TOOBIG, "policy: stages.%s: more than %d digests", name,
			       POLICY_MIN_MAX_DIGESTS);
	st->digests = calloc(n, sizeof(*st->digests));
	if (!st->digests)
		return GW_E_NOMEM;
	for (size_t i = 0; i < n; i++) {
		int rc = parse_digest(json_object_array_get_idx(arr, i), name, i, st->digests[i],
				      err);

		if (rc)
			return rc;
		/* A repeated digest is a slip in the file, never an intent. */
		for (size_t j = 0; j < i; j++)
			if (!memcmp(st->digests[j], st->digests[i], POLICY_MIN_DIGEST_LEN))
				return gw_fail(err, GW_E_PARSE,
					       "policy: stages.%s[%zu]: repeats stages.%s[%zu]", name,
					       i, name, j);
		st->n_digests = i + 1;
	}
	return 0;
}

static int parse_stages(json_object *obj, struct policy_min *p, gw_error *err)
{
	char shown[POLICY_MIN_NAME_MAX + 4];
	size_t n;
	int rc;

	if (!json_object_is_type(obj, json_type_object))
		return gw_fail(err, GW_E_PARSE, "policy: stages: not an object");
	n = (size_t)json_object_object_length(obj);
	if (n == 0)
		return gw_fail(err, GW_E_PARSE, "policy: stages: no stage");
	if (n > POLICY_MIN_MAX_STAGES)
		return gw_fail(err, GW_E_TOOBIG, "policy: stages: more than %d stages",
			       POLICY_MIN_MAX_STAGES);
	p->stages = calloc(n, sizeof(*p->stages));
	if (!p->stages)
		return GW_E_NOMEM;
	json_object_object_foreach(obj, key, val) {
		struct policy_min_stage *st = &p->stages[p->n_stages];
		size_t klen = strlen(key);

		if (!valid_name(key, klen)) {
			printable(key, shown);
			return gw_fail(err, GW_E_PARSE,
				       "policy: stages.\"%s\": a stage name is 1-64 of A-Z a-z 0-9 . _ -",
				       shown);
		}
		memcpy(st->name, key, klen + 1);
		p->n_stages++;
		rc = parse_stage(key, val, st, err);
		if (rc)
			return rc;
	}
	return 0;
}

static int parse_root(json_object *root, struct policy_min *p, gw_error *err)
{
	static const char *const known[] = { "model", "version", "pcr_selection", "stages" };
	char shown[POLICY_MIN_NAME_MAX + 4];
	json_object *v;
	int64_t ver;
	size_t len;
	int rc;

	if (!json_object_is_type(root, json_type_object))
		return gw_fail(err, GW_E_PARSE, "policy: not a JSON object");
	json_object_object_foreach(root, key, val) {
		bool ok = false;

		(void)val;
		for (size_t i = 0; i < GW_ARRAY_SIZE(known); i++)
			ok |= !strcmp(key, known[i]);
		if (!ok) {
			printable(key, shown);
			return gw_fail(err, GW_E_PARSE, "policy: \"%s\": unknown key", shown);
		}
	}

	if (!json_object_object_get_ex(root, "model", &v))
		return gw_fail(err, GW_E_PARSE, "policy: model: missing");
	if (!json_object_is_type(v, json_type_string))
		return gw_fail(err, GW_E_PARSE, "policy: model: not a string");
	len = (size_t)json_object_get_string_len(v);
	if (!valid_name(json_object_get_string(v), len))
		return gw_fail(err, GW_E_PARSE, "policy: model: 1-64 of A-Z a-z 0-9 . _ -");
	memcpy(p->model, json_object_get_string(v), len + 1);

	if (!json_object_object_get_ex(root, "version", &v))
		return gw_fail(err, GW_E_PARSE, "policy: version: missing");
	if (!json_object_is_type(v, json_type_int))
		return gw_fail(err, GW_E_PARSE, "policy: version: not an integer");
	ver = json_object_get_int64(v);
	/* json-c clamps what does not fit in int64 to INT64_MAX (or MIN); both are
	 * out of range here, and a value above INT64_MAX may be a uint64 (get_int64
	 * clamps that too). */
	if (ver < 1 || ver > UINT32_MAX)
		return gw_fail(err, GW_E_PARSE, "policy: version: not in 1..4294967295");
	p->version = (uint32_t)ver;

	if (json_object_object_get_ex(root, "pcr_selection", &v)) {
		if (!json_object_is_type(v, json_type_string))
			return gw_fail(err, GW_E_PARSE, "policy: pcr_selection: not a string");
		if (strlen(json_object_get_string(v)) != (size_t)json_object_get_string_len(v))
			return gw_fail(err, GW_E_PARSE, "policy: pcr_selection: contains NUL");
		rc = gw_pcrsel_parse(json_object_get_string(v), &p->pcr_selection, err);
		if (rc) {
			gw_error_prefix(err, "policy: pcr_selection: ");
			return rc;
		}
		if (gw_pcrsel_count(&p->pcr_selection) == 0)
			return gw_fail(err, GW_E_PARSE, "policy: pcr_selection: selects no PCR");
		p->has_pcr_selection = true;
	}

	if (!json_object_object_get_ex(root, "stages", &v))
		return gw_fail(err, GW_E_PARSE, "policy: stages: missing");
	return parse_stages(v, p, err);
}

int policy_min_parse(const char *json, size_t len, struct policy_min **out, gw_error *err)
{
	struct json_tokener *tok = NULL;
	json_object *root = NULL;
	struct policy_min *p = NULL;
	enum json_tokener_error jerr;
	int rc = 0;

	if (!json || !out)
		return gw_fail(err, GW_E_INVAL, "policy: no input");
	if (len > POLICY_MIN_MAX_SIZE)
		return gw_fail(err, GW_E_TOOBIG, "policy: larger than %d bytes",
			       POLICY_MIN_MAX_SIZE);
	if (memchr(json, '\0', len))
		return gw_fail(err, GW_E_PARSE, "policy: contains a NUL byte");
	/* json-c cuts object keys at an escaped NUL, so {"model\u0000x":..} would
	 * pass as "model". No valid policy string holds a backslash, so refusing the
	 * sequence anywhere costs nothing. */
	for (size_t i = 0; i + 6 <= len; i++)
		if (!memcmp(json + i, "\\u0000", 6))
			return gw_fail(err, GW_E_PARSE, "policy: contains an escaped NUL (byte %zu)",
				       i);
	tok = json_tokener_new_ex(POLICY_MIN_MAX_DEPTH);
	p = calloc(1, sizeof(*p));
	if (!tok || !p) {
		rc = GW_E_NOMEM;
		goto out;
	}
	/* RFC 8259 only, valid UTF-8; trailing bytes are checked below to report
	 * them as GW_E_TRAILING. */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS |
					    JSON_TOKENER_VALIDATE_UTF8);
	root = json_tokener_parse_ex(tok, json, (int)len);
	jerr = json_tokener_get_error(tok);
	if (!root || jerr != json_tokener_success) {
		rc = gw_fail(err, GW_E_PARSE, "policy: not valid JSON at byte %zu: %s",
			     json_tokener_get_parse_end(tok),
			     jerr == json_tokener_continue ? "unexpected end of input"
							    : json_tokener_error_desc(jerr));
		goto out;
	}
	for (size_t i = json_tokener_get_parse_end(tok); i < len; i++)
		if (json[i] != ' ' && json[i] != '\n' && json[i] != '\r' && json[i] != '\t') {
			rc = gw_fail(err, GW_E_TRAILING, "policy: data after the JSON object (byte %zu)",
				     i);
			goto out;
		}
	rc = parse_root(root, p, err);
	if (rc)
		goto out;
	*out = p; /* transferred */
	p = NULL;
out:
	policy_min_free(p);
	json_object_put(root);
	if (tok)
		json_tokener_free(tok);
	return rc;
}

enum policy_min_verdict policy_min_stage_allowed(const struct policy_min *p, const char *stage,
						 const uint8_t digest[POLICY_MIN_DIGEST_LEN])
{
	for (size_t i = 0; i < p->n_stages; i++) {
		const struct policy_min_stage *st = &p->stages[i];

		if (strcmp(st->name, stage) != 0)
			continue;
		for (size_t j = 0; j < st->n_digests; j++)
			if (!memcmp(st->digests[j], digest, POLICY_MIN_DIGEST_LEN))
				return POLICY_MIN_ALLOWED;
		return POLICY_MIN_UNKNOWN_DIGEST;
	}
	return POLICY_MIN_UNKNOWN_STAGE;
}
