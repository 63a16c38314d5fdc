// SPDX-License-Identifier: Apache-2.0
// Strict parsing of the verifier's JSON answers and of the enrollment state file.
#include "answers.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "digest.h"
#include "jwt.h"
#include "jsonobj.h"
#include "tpmdata.h"
#include "util.h"

#define ANSWERS_MAX_DEPTH 8

/* Parse one JSON object of at most ANSWERS_MAX_SIZE bytes, nothing after it. */
static int parse_object(const char *buf, size_t len, const char *what, json_object **out,
			gw_error *err)
{
	if (!buf)
		return gw_fail(err, GW_E_INVAL, "%s: no data", what);
	return gw_json_object_parse(buf, len, ANSWERS_MAX_SIZE, ANSWERS_MAX_DEPTH, what, out, err);
}

/* A string member of at most max bytes (min 1 unless allow_empty); NULL when
 * absent and optional. */
static int get_str(json_object *o, const char *what, const char *key, bool required,
		   size_t max, const char **out, size_t *out_len, gw_error *err)
{
	json_object *v;
	size_t n;

	if (!json_object_object_get_ex(o, key, &v)) {
		if (required)
			return gw_fail(err, GW_E_PARSE, "%s: '%s' is missing", what, key);
		*out = NULL;
		if (out_len)
			*out_len = 0;
		return 0;
	}
	if (!json_object_is_type(v, json_type_string))
		return gw_fail(err, GW_E_PARSE, "%s: '%s' is not a string", what, key);
	n = (size_t)json_object_get_string_len(v);
	if (n == 0 || n > max)
		return gw_fail(err, GW_E_PARSE, "%s: '%s' must be 1 to %zu characters", what, key,
			       max);
	if (memchr(json_object_get_string(v), '\0', n))
		return gw_fail(err, GW_E_PARSE, "%s: '%s' contains a NUL character", what, key);
	*out = json_object_get_string(v);
	if (out_len)
		*out_len = n;
	return 0;
}

static int get_uint(json_object *o, const char *what, const char *key, int64_t max,
		    int64_t *out, gw_error *err)
{
	json_object *v;
	int64_t n;

	if (!json_object_object_get_ex(o, key, &v)) {
		*out = 0;
		return 0;
	}
	if (!json_object_is_type(v, json_type_int))
		return gw_fail(err, GW_E_PARSE, "%s: '%s' is not an integer", what, key);
	n = json_object_get_int64(v);
	if (n < 0 || n > max)
		return gw_fail(err, GW_E_PARSE, "%s: '%s' out of range (0 to %" PRId64 ")", what,
			       key, max);
	*out = n;
	return 0;
}

static bool is_lower_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

bool answers_valid_id(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > ANSWERS_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == '_' || s[i] == '-'))
			return false;
	return true;
}

static int get_id(json_object *o, const char *what, const char *key, char *out,
		  gw_error *err)
{
	const char *s;
	int rc = get_str(o, what, key, true, ANSWERS_ID_MAX, &s, NULL, err);

	if (rc)
		return rc;
	if (!answers_valid_id(s))
		return gw_fail(err, GW_E_PARSE, "%s: '%s' must be 1-%d of A-Z a-z 0-9 . _ -", what,
			       key, ANSWERS_ID_MAX);
	memcpy(out, s, strlen(s) + 1);
	return 0;
}

static int get_enrollment_id(json_object *o, const char *what, char *out, gw_error *err)
{
	const char *s;
	size_t n;
	int rc = get_str(o, what, "enrollment_id", true, ANSWERS_ENROLL_ID_HEX, &s, &n, err);

	if (rc)
		return rc;
	if (n != ANSWERS_ENROLL_ID_HEX || !is_lower_hex(s, n))
		return gw_fail(err, GW_E_PARSE, "%s: 'enrollment_id' must be %d lower-case hex digits",
			       what, ANSWERS_ENROLL_ID_HEX);
	memcpy(out, s, n + 1);
	return 0;
}

/* A base64 member decoded into a new buffer of 1 to max bytes. */
static int get_b64(json_object *o, const char *what, const char *key, size_t max,
		   uint8_t **out, size_t *out_len, gw_error *err)
{
	const char *s;
	uint8_t *bin = NULL;
	size_t n = 0;
	int rc = get_str(o, what, key, true, (max + 2) / 3 * 4, &s, NULL, err);

	if (rc)
		return rc;
	rc = gw_b64_decode(s, &bin, &n, NULL);
	if (rc || n == 0 || n > max) {
		if (bin)
			gw_wipe(bin, n);
		free(bin);
		return gw_fail(err, GW_E_PARSE, "%s: '%s' is not base64 of 1 to %zu bytes", what,
			       key, max);
	}
	*out = bin; /* transferred */
	*out_len = n;
	return 0;
}

/* Keep printable ASCII of a message from the network; cut to fit. */
static void copy_printable(char *dst, size_t cap, const char *src)
{
	size_t i = 0;

	for (; src && *src && i + 1 < cap; src++)
		dst[i++] = (*src >= 0x20 && *src < 0x7f) ? *src : '?';
	dst[i] = '\0';
}

int answers_parse_error(const char *buf, size_t len, struct answer_error *out, gw_error *err)
{
	static const char what[] = "error answer";
	json_object *root = NULL, *e;
	const char *code, *msg;
	size_t n;
	int rc;

	rc = parse_object(buf, len, what, &root, err);
	if (rc)
		return rc;
	if (!json_object_object_get_ex(root, "error", &e) ||
	    !json_object_is_type(e, json_type_object)) {
		rc = gw_fail(err, GW_E_PARSE, "%s: 'error' is missing or not an object", what);
		goto out;
	}
	rc = get_str(e, what, "code", true, sizeof(out->code) - 1, &code, &n, err);
	if (!rc)
		rc = get_str(e, what, "message", false, 4096, &msg, NULL, err);
	if (rc)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (!((code[i] >= 'a' && code[i] <= 'z') || (code[i] >= '0' && code[i] <= '9') ||
		      code[i] == '_')) {
			rc = gw_fail(err, GW_E_PARSE, "%s: 'code' must be of a-z 0-9 _", what);
			goto out;
		}
	memcpy(out->code, code, n + 1);
	copy_printable(out->message, sizeof(out->message), msg ? msg : "");
out:
	json_object_put(root);
	return rc;
}

int answers_parse_enroll(const char *buf, size_t len, struct answer_enroll *out, gw_error *err)
{
	static const char what[] = "enroll answer";
	json_object *root = NULL;
	struct answer_enroll a;
	gw_error why = { { 0 } };
	uint8_t *bin = NULL;
	size_t n = 0;
	int64_t exp = 0;
	int rc;

	memset(&a, 0, sizeof(a));
	rc = parse_object(buf, len, what, &root, err);
	if (rc)
		return rc;
	rc = get_enrollment_id(root, what, a.enrollment_id, err);
	if (rc)
		goto out;
	rc = get_b64(root, what, "credential_blob", sizeof(TPM2B_ID_OBJECT), &bin, &n, err);
	if (rc)
		goto out;
	rc = tpmdata_tpm2b_unmarshal(TPMDATA_TPM2B_ID_OBJECT, bin, n, &a.blob, &why);
	if (rc) {
		rc = gw_fail(err, GW_E_PARSE, "%s: 'credential_blob' is not a TPM2B_ID_OBJECT (%s)",
			     what, gw_error_msg(&why, rc));
		goto out;
	}
	free(bin);
	bin = NULL;
	rc = get_b64(root, what, "encrypted_secret", sizeof(TPM2B_ENCRYPTED_SECRET), &bin, &n,
		     err);
	if (rc)
		goto out;
	rc = tpmdata_tpm2b_unmarshal(TPMDATA_TPM2B_ENCRYPTED_SECRET, bin, n, &a.enc, &why);
	if (rc) {
		rc = gw_fail(err, GW_E_PARSE,
			     "%s: 'encrypted_secret' is not a TPM2B_ENCRYPTED_SECRET (%s)", what,
			     gw_error_msg(&why, rc));
		goto out;
	}
	rc = get_uint(root, what, "expires_in", 86400, &exp, err);
	if (rc)
		goto out;
	a.expires_in = (uint32_t)exp;
	*out = a;
out:
	free(bin);
	json_object_put(root);
	return rc;
}

static int get_pem(json_object *o, const char *what, const char *key, char **out,
		   gw_error *err)
{
	const char *s;
	size_t n;
	int rc = get_str(o, what, key, true, ANSWERS_MAX_PEM, &s, &n, err);

	if (rc)
		return rc;
	if (!strstr(s, "-----BEGIN "))
		return gw_fail(err, GW_E_PARSE, "%s: '%s' is not PEM", what, key);
	*out = strdup(s);
	return *out ? 0 : GW_E_NOMEM;
}

void answers_activate_fini(struct answer_activate *a)
{
	if (!a)
		return;
	free(a->client_certificate);
	free(a->gate_public_key);
	a->client_certificate = NULL;
	a->gate_public_key = NULL;
}

int answers_parse_activate(const char *buf, size_t len, struct answer_activate *out,
			   gw_error *err)
{
	static const char what[] = "activation answer";
	json_object *root = NULL;
	struct answer_activate a;
	const char *state, *vid;
	int rc;

	memset(&a, 0, sizeof(a));
	rc = parse_object(buf, len, what, &root, err);
	if (rc)
		return rc;
	rc = get_id(root, what, "device_id", a.device_id, err);
	if (!rc)
		rc = get_str(root, what, "state", true, 16, &state, NULL, err);
	if (rc)
		goto out;
	if (!strcmp(state, "pending")) {
		a.state = ANSWER_PENDING;
	} else if (!strcmp(state, "enrolled")) {
		a.state = ANSWER_ENROLLED;
		rc = get_pem(root, what, "client_certificate", &a.client_certificate, err);
		if (!rc)
			rc = get_pem(root, what, "gate_public_key", &a.gate_public_key, err);
		if (rc)
			goto out;
	} else {
		rc = gw_fail(err, GW_E_PARSE, "%s: 'state' must be pending or enrolled", what);
		goto out;
	}
	rc = get_str(root, what, "verifier_id", false, sizeof(a.verifier_id) - 1, &vid, NULL, err);
	if (rc)
		goto out;
	copy_printable(a.verifier_id, sizeof(a.verifier_id), vid ? vid : "");
	*out = a;
	memset(&a, 0, sizeof(a)); /* transferred */
out:
	answers_activate_fini(&a);
	json_object_put(root);
	return rc;
}

/* cel_records, cel_sha256, cel_reset_count of a challenge. */
static int parse_cel_prefix(json_object *root, const char *what, struct answer_challenge *a,
			    gw_error *err)
{
	const char *hex = NULL;
	size_t n = 0;
	int64_t v = 0;
	json_object *o;
	bool has_reset = json_object_object_get_ex(root, "cel_reset_count", &o);
	int rc;

	rc = get_uint(root, what, "cel_records", ANSWERS_MAX_CEL_RECORDS, &v, err);
	if (rc)
		return rc;
	a->cel_records = (uint32_t)v;
	rc = get_str(root, what, "cel_sha256", false, 2 * sizeof(a->cel_sha256), &hex, &n, err);
	if (rc)
		return rc;
	if (hex && (n != 2 * sizeof(a->cel_sha256) || !is_lower_hex(hex, n) ||
		    gw_hex_decode_fixed(hex, a->cel_sha256, sizeof(a->cel_sha256), NULL)))
		return gw_fail(err, GW_E_PARSE, "%s: 'cel_sha256' must be 64 lower-case hex digits",
			       what);
	rc = get_uint(root, what, "cel_reset_count", UINT32_MAX, &v, err);
	if (rc)
		return rc;
	a->cel_reset_count = (uint32_t)v;
	if (a->cel_records && (!hex || !has_reset))
		return gw_fail(err, GW_E_PARSE,
			       "%s: 'cel_records' without 'cel_sha256' and 'cel_reset_count'", what);
	return 0;
}

int answers_parse_challenge(const char *buf, size_t len, struct answer_challenge *out,
			    gw_error *err)
{
	static const char what[] = "challenge answer";
	json_object *root = NULL;
	struct answer_challenge a;
	const char *nonce, *sel;
	size_t n, sn;
	int64_t exp = 0;
	gw_error e2 = { { 0 } };
	int rc;

	memset(&a, 0, sizeof(a));
	rc = parse_object(buf, len, what, &root, err);
	if (rc)
		return rc;
	rc = get_str(root, what, "nonce", true, 2 * sizeof(a.nonce), &nonce, &n, err);
	if (rc)
		goto out;
	if (n % 2 || !is_lower_hex(nonce, n) ||
	    gw_hex_decode_fixed(nonce, a.nonce, n / 2, NULL)) {
		rc = gw_fail(err, GW_E_PARSE, "%s: 'nonce' must be lower-case hex of 1 to 64 bytes",
			     what);
		goto out;
	}
	a.nonce_len = n / 2;
	rc = get_str(root, what, "pcr_selection", true, sizeof(a.pcr_selection) - 1, &sel, &sn,
		     err);
	if (rc)
		goto out;
	rc = gw_pcrsel_parse(sel, &a.sel, &e2);
	if (rc || gw_pcrsel_count(&a.sel) == 0) {
		rc = gw_fail(err, GW_E_PARSE, "%s: 'pcr_selection': %s", what,
			     rc ? gw_error_msg(&e2, rc) : "selects no PCR");
		goto out;
	}
	memcpy(a.pcr_selection, sel, sn + 1);
	rc = get_uint(root, what, "expires_in", 86400, &exp, err);
	if (rc)
		goto out;
	a.expires_in = (uint32_t)exp;
	rc = parse_cel_prefix(root, what, &a, err);
	if (rc)
		goto out;
	*out = a;
out:
	json_object_put(root);
	return rc;
}

static const char *const status_names[] = { "affirming", "warning", "contraindicated" };

const char *answers_status_name(enum answer_status s)
{
	return (unsigned)s < GW_ARRAY_SIZE(status_names) ? status_names[s] : "unknown";
}

static int status_from(const char *s, enum answer_status *out)
{
	for (size_t i = 0; i < GW_ARRAY_SIZE(status_names); i++)
		if (!strcmp(s, status_names[i])) {
			*out = (enum answer_status)i;
			return 0;
		}
	return GW_E_PARSE;
}

void answers_attest_fini(struct answer_attest *a)
{
	if (!a)
		return;
	free(a->ear);
	a->ear = NULL;
}

int answers_parse_attest(const char *buf, size_t len, struct answer_attest *out,
			 gw_error *err)
{
	static const char what[] = "attestation answer";
	json_object *root = NULL;
	struct answer_attest a;
	const char *status, *ear;
	size_t n, dots = 0;
	int rc;

	memset(&a, 0, sizeof(a));
	rc = parse_object(buf, len, what, &root, err);
	if (rc)
		return rc;
	rc = get_str(root, what, "status", true, 32, &status, NULL, err);
	if (rc)
		goto out;
	if (status_from(status, &a.status)) {
		rc = gw_fail(err, GW_E_PARSE,
			     "%s: 'status' must be affirming, warning or contraindicated", what);
		goto out;
	}
	rc = get_str(root, what, "ear", true, JWT_MAX_TOKEN, &ear, &n, err);
	if (rc)
		goto out;
	for (size_t i = 0; i < n; i++) {
		char c = ear[i];

		if (c == '.')
			dots++;
		else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			   (c >= '0' && c <= '9') || c == '-' || c == '_'))
			dots = 99;
	}
	if (dots != 2) {
		rc = gw_fail(err, GW_E_PARSE, "%s: 'ear' is not a compact JWS", what);
		goto out;
	}
	rc = get_uint(root, what, "expires_at", INT64_MAX, &a.expires_at, err);
	if (rc)
		goto out;
	a.ear = strdup(ear);
	if (!a.ear) {
		rc = GW_E_NOMEM;
		goto out;
	}
	*out = a;
	a.ear = NULL; /* transferred */
out:
	answers_attest_fini(&a);
	json_object_put(root);
	return rc;
}

/* A failed claim: a string, or an object with "claim" (or "name") and optionally
 * "check" and "message" strings, shown as "claim/check: message". */
static int add_failed(struct ear_summary *s, json_object *v, gw_error *err)
{
	json_object *name = v, *check = NULL, *msg = NULL;
	char line[1024];

	if (json_object_is_type(v, json_type_object)) {
		if (!json_object_object_get_ex(v, "claim", &name) &&
		    !json_object_object_get_ex(v, "name", &name))
			return gw_fail(err, GW_E_PARSE, "EAR: a failed claim has no 'claim'");
		if ((json_object_object_get_ex(v, "check", &check) &&
		     !json_object_is_type(check, json_type_string)) ||
		    (json_object_object_get_ex(v, "message", &msg) &&
		     !json_object_is_type(msg, json_type_string)))
			return gw_fail(err, GW_E_PARSE, "EAR: a failed claim's check or message is "
							"not a string");
	}
	if (!json_object_is_type(name, json_type_string))
		return gw_fail(err, GW_E_PARSE, "EAR: a failed claim is not a string");
	if (s->nfailed >= ANSWERS_MAX_FAILED)
		return 0; /* listed enough; the status already says it failed */
	snprintf(line, sizeof(line), "%.64s%s%.128s%s%.600s", json_object_get_string(name),
		 check ? "/" : "", check ? json_object_get_string(check) : "", msg ? ": " : "",
		 msg ? json_object_get_string(msg) : "");
	copy_printable(s->failed[s->nfailed++], sizeof(s->failed[0]), line);
	return 0;
}

static int add_failed_list(struct ear_summary *s, json_object *f, gw_error *err)
{
	if (!json_object_is_type(f, json_type_array))
		return gw_fail(err, GW_E_PARSE, "EAR: failed claims are not an array");
	for (size_t i = 0; i < json_object_array_length(f); i++) {
		int rc = add_failed(s, json_object_array_get_idx(f, i), err);

		if (rc)
			return rc;
	}
	return 0;
}

static int get_status(json_object *o, const char *key, bool required, bool *found,
		      enum answer_status *out, gw_error *err)
{
	const char *st = NULL;
	int rc = get_str(o, "EAR", key, required, 32, &st, NULL, err);

	*found = st != NULL;
	if (rc || !st)
		return rc;
	if (status_from(st, out))
		return gw_fail(err, GW_E_PARSE, "EAR: status '%.32s' is not one of affirming, "
						"warning, contraindicated", st);
	return 0;
}

int answers_ear_summary(json_object *claims, struct ear_summary *out, gw_error *err)
{
	struct ear_summary s;
	json_object *f = NULL, *subs = NULL;
	bool found = false, any = false;
	enum answer_status st;
	int rc;

	memset(&s, 0, sizeof(s));
	if (!claims || !json_object_is_type(claims, json_type_object))
		return gw_fail(err, GW_E_PARSE, "EAR: claims are not an object");
	rc = get_uint(claims, "EAR", "exp", INT64_MAX, &s.exp, err);
	if (rc)
		return rc;
	/* EAR: the overall status is the worst of the submodules'. */
	if (json_object_object_get_ex(claims, "submods", &subs)) {
		if (!json_object_is_type(subs, json_type_object))
			return gw_fail(err, GW_E_PARSE, "EAR: 'submods' is not an object");
		json_object_object_foreach(subs, name, mod) {
			if (!json_object_is_type(mod, json_type_object))
				return gw_fail(err, GW_E_PARSE, "EAR: submod '%.64s' is not an object",
					       name);
			rc = get_status(mod, "ear.status", true, &found, &st, err);
			if (rc)
				return rc;
			if (!any || st > s.status)
				s.status = st;
			any = true;
			if (json_object_object_get_ex(mod, "gatewarden.failed-claims", &f) &&
			    (rc = add_failed_list(&s, f, err)))
				return rc;
		}
	}
	rc = get_status(claims, "ear.status", false, &found, &st, err);
	if (!rc && !found && !any)
		rc = get_status(claims, "status", true, &found, &st, err);
	if (rc)
		return rc;
	if (found && (!any || st > s.status))
		s.status = st;
	if ((json_object_object_get_ex(claims, "failed_claims", &f) ||
	     json_object_object_get_ex(claims, "gatewarden.failed-claims", &f)) &&
	    (rc = add_failed_list(&s, f, err)))
		return rc;
	*out = s;
	return 0;
}

int answers_ear_nonce_check(json_object *claims, const uint8_t *nonce, size_t nonce_len,
			    gw_error *err)
{
	char want[2 * ANSWERS_NONCE_MAX + 1];
	json_object *n = NULL;

	if (nonce_len > ANSWERS_NONCE_MAX)
		return gw_fail(err, GW_E_INVAL, "EAR: a nonce is at most %d bytes",
			       ANSWERS_NONCE_MAX);
	if (!json_object_object_get_ex(claims, "eat_nonce", &n) ||
	    !json_object_is_type(n, json_type_string))
		return gw_fail(err, GW_E_STATE, "the EAR carries no 'eat_nonce': it is not bound "
						"to this round");
	gw_hex_encode(nonce, nonce_len, want);
	if (strcmp(json_object_get_string(n), want))
		return gw_fail(err, GW_E_STATE, "the EAR's 'eat_nonce' is not this round's nonce "
						"(an earlier round's result replayed)");
	return 0;
}

struct json_object *answers_ear_releases(struct json_object *claims)
{
	json_object *subs, *mod, *rel;

	if (!json_object_object_get_ex(claims, "submods", &subs) ||
	    !json_object_object_get_ex(subs, "gatewarden", &mod) ||
	    !json_object_object_get_ex(mod, "gatewarden.releases", &rel))
		return NULL;
	return rel;
}

void answers_enroll_state_wipe(struct enroll_state *st)
{
	if (st)
		gw_wipe(st, sizeof(*st));
}

int answers_parse_enroll_state(const char *buf, size_t len, struct enroll_state *out,
			       gw_error *err)
{
	static const char what[] = "enrollment.json";
	static const char *const known[] = { "url", "device_id", "model", "enrollment_id",
					     "secret", "state" };
	json_object *root = NULL;
	struct enroll_state s;
	const char *url, *state;
	uint8_t *secret = NULL;
	size_t n = 0, ulen;
	int rc;

	memset(&s, 0, sizeof(s));
	rc = parse_object(buf, len, what, &root, err);
	if (rc)
		return rc;
	json_object_object_foreach(root, key, val) {
		bool ok = false;

		(void)val;
		for (size_t i = 0; i < GW_ARRAY_SIZE(known); i++)
			ok |= !strcmp(key, known[i]);
		if (!ok) {
			rc = gw_fail(err, GW_E_PARSE, "%s: unknown key '%.64s'", what, key);
			goto out;
		}
	}
	rc = get_str(root, what, "url", true, ANSWERS_URL_MAX, &url, &ulen, err);
	if (rc)
		goto out;
	if (strncmp(url, "https://", 8)) {
		rc = gw_fail(err, GW_E_PARSE, "%s: 'url' must start with https://", what);
		goto out;
	}
	memcpy(s.url, url, ulen + 1);
	rc = get_id(root, what, "device_id", s.device_id, err);
	if (!rc)
		rc = get_id(root, what, "model", s.model, err);
	if (!rc)
		rc = get_enrollment_id(root, what, s.enrollment_id, err);
	if (!rc)
		rc = get_b64(root, what, "secret", ANSWERS_SECRET_MAX, &secret, &n, err);
	if (rc)
		goto out;
	memcpy(s.secret, secret, n);
	s.secret_len = n;
	rc = get_str(root, what, "state", true, 16, &state, NULL, err);
	if (rc)
		goto out;
	if (!strcmp(state, "pending")) {
		s.state = ANSWER_PENDING;
	} else if (!strcmp(state, "enrolled")) {
		s.state = ANSWER_ENROLLED;
	} else {
		rc = gw_fail(err, GW_E_PARSE, "%s: 'state' must be pending or enrolled", what);
		goto out;
	}
	*out = s;
out:
	if (secret) {
		gw_wipe(secret, n);
		free(secret);
	}
	gw_wipe(&s, sizeof(s));
	json_object_put(root);
	return rc;
}

int answers_format_enroll_state(const struct enroll_state *st, char **out, size_t *out_len)
{
	json_object *o = NULL;
	char *b64 = NULL, *text = NULL;
	const char *s;
	size_t n;
	int rc;

	if (!answers_valid_id(st->device_id) || !answers_valid_id(st->model) ||
	    st->secret_len == 0 || st->secret_len > ANSWERS_SECRET_MAX)
		return GW_E_INVAL;
	rc = gw_b64_encode(st->secret, st->secret_len, &b64);
	if (rc)
		return rc;
	o = json_object_new_object();
	if (!o) {
		rc = GW_E_NOMEM;
		goto out;
	}
	if (json_object_object_add(o, "url", json_object_new_string(st->url)) ||
	    json_object_object_add(o, "device_id", json_object_new_string(st->device_id)) ||
	    json_object_object_add(o, "model", json_object_new_string(st->model)) ||
	    json_object_object_add(o, "enrollment_id",
				   json_object_new_string(st->enrollment_id)) ||
	    json_object_object_add(o, "secret", json_object_new_string(b64)) ||
	    json_object_object_add(o, "state",
				   json_object_new_string(st->state == ANSWER_ENROLLED ? "enrolled"
										       : "pending"))) {
		rc = GW_E_NOMEM;
		goto out;
	}
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
						      JSON_C_TO_STRING_NOSLASHESCAPE);
	n = s ? strlen(s) : 0;
	text = s ? malloc(n + 2) : NULL;
	if (!text) {
		rc = GW_E_NOMEM;
		goto out;
	}
	memcpy(text, s, n);
	text[n] = '\n';
	text[n + 1] = '\0';
	/* json-c keeps its own copy of the text in o: wipe it before freeing. */
	gw_wipe((void *)s, n);
	*out = text; /* transferred */
	*out_len = n + 1;
out:
	json_object_put(o);
	if (b64) {
		gw_wipe(b64, strlen(b64));
		free(b64);
	}
	return rc;
}
