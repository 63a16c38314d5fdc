// SPDX-License-Identifier: Apache-2.0
// The bundle manifest: strict parsing with the shared JSON readers, and its one
// canonical JSON form.
#include "manifest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/evp.h>

#include "dsse.h"
#include "jsonobj.h"
#include "keywrap.h"
#include "payload_aead.h"
#include "root.h"
#include "util.h"

#define MANIFEST_TYPE "gatewarden-manifest"
#define MANIFEST_FORMAT 1
/* manifest, root, its signatures, one signature: anything deeper is refused. */
#define MANIFEST_JSON_DEPTH 5
#define ROOT_JSON_DEPTH 4

static const char *const top_keys[] = {
	"_type", "format", "models", "channel", "version", "security_version", "created",
	"expires", "reboot_required", "notes", "payloads", "root", "encryption",
	"eol_transition", "boot_files",
};
static const char *const payload_keys[] = { "class", "size", "sha256", "stored_size",
					     "stored_sha256" };
static const char *const encryption_keys[] = { "alg", "chunk_size", "wrapped_key" };
static const char *const boot_file_keys[] = { "path", "sha256" };

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool manifest_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > MANIFEST_NAME_MAX || !is_alnum(s[0]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_alnum(s[i]) && s[i] != '.' && s[i] != '_' && s[i] != '-')
			return false;
	return true;
}

bool manifest_version_ok(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > MANIFEST_VERSION_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x21 || s[i] > 0x7e)
			return false;
	return true;
}

bool manifest_boot_path_ok(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > MANIFEST_BOOT_PATH_MAX || s[0] != '/')
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x21 || s[i] > 0x7e)
			return false;
	return true;
}

static int get_name(json_object *o, const char *key, char out[MANIFEST_NAME_MAX + 1],
		    gw_error *err)
{
	const char *s;
	int rc = gw_json_get_string(o, key, MANIFEST_NAME_MAX, &s, NULL, err);

	if (rc)
		return rc;
	if (!manifest_name_ok(s))
		return gw_fail(err, GW_E_PARSE,
			       "'%s' must be 1 to %d of A-Z a-z 0-9 . _ - starting with a "
			       "letter or digit",
			       key, MANIFEST_NAME_MAX);
	memcpy(out, s, strlen(s) + 1);
	return 0;
}

/* An RFC 3339 UTC time "2027-12-02T00:00:00Z". */
static int get_time(json_object *o, const char *key, time_t *out, gw_error *err)
{
	const char *s;
	int64_t t = 0;
	int rc = gw_json_get_string(o, key, GW_TIME_LEN, &s, NULL, err);

	if (rc)
		return rc;
	if (gw_time_parse_utc(s, &t))
		return gw_fail(err, GW_E_PARSE, "'%s' must be a UTC time like 2027-12-02T00:00:00Z",
			       key);
	*out = (time_t)t;
	return 0;
}

static int get_models(json_object *root, struct manifest *m, gw_error *err)
{
	json_object *arr = NULL;
	size_t n;

	if (!json_object_object_get_ex(root, "models", &arr))
		return gw_fail(err, GW_E_PARSE, "'models' is missing");
	if (!json_object_is_type(arr, json_type_array))
		return gw_fail(err, GW_E_PARSE, "'models' must be an array");
	n = json_object_array_length(arr);
	if (n < 1)
		return gw_fail(err, GW_E_PARSE, "'models' is empty");
	if (n > MANIFEST_MAX_MODELS)
		return gw_fail(err, GW_E_TOOBIG, "'models': %zu models, more than %d", n,
			       MANIFEST_MAX_MODELS);
	for (size_t i = 0; i < n; i++) {
		json_object *v = json_object_array_get_idx(arr, i);
		const char *s = json_object_get_string(v);

		if (!json_object_is_type(v, json_type_string) ||
		    strlen(s) != (size_t)json_object_get_string_len(v) || !manifest_name_ok(s))
			return gw_fail(err, GW_E_PARSE,
				       "'models' entry %zu must be 1 to %d of A-Z a-z 0-9 . _ - "
				       "starting with a letter or digit",
				       i + 1, MANIFEST_NAME_MAX);
		if (manifest_has_model(m, s))
			return gw_fail(err, GW_E_PARSE, "'models' lists '%s' twice", s);
		m->models[i] = strdup(s);
		if (!m->models[i])
			return GW_E_NOMEM;
		m->nmodels++;
	}
	return 0;
}

static int get_sha256(json_object *o, const char *key, uint8_t out[32], gw_error *err)
{
	const char *s;
	size_t len = 0;
	int rc = gw_json_get_string(o, key, 64, &s, &len, err);

	if (rc)
		return rc;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			len = 0;
	if (len != 64)
		return gw_fail(err, GW_E_PARSE, "'%s' must be 64 lower-case hex digits", key);
	return gw_hex_decode_fixed(s, out, 32, err);
}

/* An encrypted payload's member: present exactly when the manifest is encrypted,
 * its size the chunked size of the image's. */
static int get_stored(json_object *o, const struct manifest *m, struct manifest_payload *p,
		      gw_error *err)
{
	bool has_size = json_object_object_get_ex(o, "stored_size", NULL);
	bool has_sha = json_object_object_get_ex(o, "stored_sha256", NULL);
	int64_t size = 0;
	int rc;

	if (!m->encrypted)
		return has_size || has_sha ? gw_fail(err, GW_E_PARSE, "'stored_size' and "
						     "'stored_sha256' only with 'encryption'")
					   : 0;
	rc = gw_json_get_int(o, "stored_size", 1, INT64_MAX - 1, &size, err);
	if (!rc)
		rc = get_sha256(o, "stored_sha256", p->stored_sha256, err);
	if (rc)
		return rc;
	if ((uint64_t)size != payload_aead_stored_size(p->size, m->chunk_size))
		return gw_fail(err, GW_E_PARSE, "'stored_size' %lld is not %llu (%llu bytes in "
			       "chunks of %u)", (long long)size,
			       (unsigned long long)payload_aead_stored_size(p->size, m->chunk_size),
			       (unsigned long long)p->size, m->chunk_size);
	p->stored_size = (uint64_t)size;
	return 0;
}

static int get_encryption(json_object *root, struct manifest *m, gw_error *err)
{
	json_object *e = NULL, *w = NULL;
	const char *s, *text;
	int64_t v = 0;
	int rc;

	if (!json_object_object_get_ex(root, "encryption", &e))
		return 0;
	if (!json_object_is_type(e, json_type_object))
		return gw_fail(err, GW_E_PARSE, "'encryption' must be an object");
	rc = gw_json_check_keys(e, encryption_keys, GW_ARRAY_SIZE(encryption_keys), err);
	if (!rc)
		rc = gw_json_get_string(e, "alg", 64, &s, NULL, err);
	if (!rc && strcmp(s, PAYLOAD_AEAD_ALG))
		rc = gw_fail(err, GW_E_PARSE, "'alg' must be '%s'", PAYLOAD_AEAD_ALG);
	if (!rc)
		rc = gw_json_get_int(e, "chunk_size", PAYLOAD_AEAD_CHUNK_MIN, PAYLOAD_AEAD_CHUNK_MAX,
				     &v, err);
	if (!rc && !json_object_object_get_ex(e, "wrapped_key", &w))
		rc = gw_fail(err, GW_E_PARSE, "'wrapped_key' is missing");
	if (!rc)
		rc = keywrap_check(w, err);
	if (!rc && strcmp(json_object_get_string(json_object_object_get(w, "context")),
			  KEYWRAP_CONTEXT_RELEASE))
		rc = gw_fail(err, GW_E_PARSE, "'wrapped_key': context must be '%s'",
			     KEYWRAP_CONTEXT_RELEASE);
	if (rc) {
		gw_error_prefix(err, "'encryption': ");
		return rc;
	}
	text = json_object_to_json_string_ext(w, JSON_C_TO_STRING_PLAIN |
							 JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!text || strlen(text) > MANIFEST_WRAPPED_KEY_MAX || !(m->wrapped_key = strdup(text)))
		return text ? gw_fail(err, GW_E_TOOBIG, "'wrapped_key' too large") : GW_E_NOMEM;
	m->encrypted = true;
	m->chunk_size = (uint32_t)v;
	return 0;
}

static int get_payload(json_object *o, struct manifest *m, gw_error *err)
{
	struct manifest_payload *p = &m->payloads[m->npayloads];
	int64_t size = 0;
	int rc;

	if (!json_object_is_type(o, json_type_object))
		return gw_fail(err, GW_E_PARSE, "must be an object");
	rc = gw_json_check_keys(o, payload_keys, GW_ARRAY_SIZE(payload_keys), err);
	if (!rc)
		rc = get_name(o, "class", p->class_name, err);
	if (!rc)
		rc = gw_json_get_int(o, "size", 1, (int64_t)MANIFEST_MAX_PAYLOAD_SIZE, &size, err);
	if (!rc)
		rc = get_sha256(o, "sha256", p->sha256, err);
	p->size = (uint64_t)size;
	if (!rc)
		rc = get_stored(o, m, p, err);
	if (rc)
		return rc;
	if (manifest_payload_of(m, p->class_name))
		return gw_fail(err, GW_E_PARSE, "class '%s' appears twice", p->class_name);
	rc = gw_snprintf(p->member, sizeof(p->member), "%s%s", "payload/", p->class_name);
	if (rc)
		return rc;
	m->npayloads++;
	return 0;
}

static int get_payloads(json_object *root, struct manifest *m, gw_error *err)
{
	json_object *arr = NULL;
	size_t n;

	if (!json_object_object_get_ex(root, "payloads", &arr))
		return gw_fail(err, GW_E_PARSE, "'payloads' is missing");
	if (!json_object_is_type(arr, json_type_array))
		return gw_fail(err, GW_E_PARSE, "'payloads' must be an array");
	n = json_object_array_length(arr);
	if (n < 1)
		return gw_fail(err, GW_E_PARSE, "'payloads' is empty");
	if (n > MANIFEST_MAX_PAYLOADS)
		return gw_fail(err, GW_E_TOOBIG, "'payloads': %zu payloads, more than %d", n,
			       MANIFEST_MAX_PAYLOADS);
	for (size_t i = 0; i < n; i++) {
		int rc = get_payload(json_object_array_get_idx(arr, i), m, err);

		if (rc) {
			gw_error_prefix(err, "payload %zu: ", i + 1);
			return rc;
		}
	}
	return 0;
}

static int get_boot_file(json_object *o, struct manifest *m, gw_error *err)
{
	struct manifest_boot_file *f = &m->boot_files[m->nboot_files];
	const char *s;
	int rc;

	if (!json_object_is_type(o, json_type_object))
		return gw_fail(err, GW_E_PARSE, "must be an object");
	rc = gw_json_check_keys(o, boot_file_keys, GW_ARRAY_SIZE(boot_file_keys), err);
	if (!rc)
		rc = gw_json_get_string(o, "path", MANIFEST_BOOT_PATH_MAX, &s, NULL, err);
	if (rc)
		return rc;
	if (!manifest_boot_path_ok(s))
		return gw_fail(err, GW_E_PARSE, "'path' must be '/' and up to %d more printable "
			       "characters, no space", MANIFEST_BOOT_PATH_MAX - 1);
	memcpy(f->path, s, strlen(s) + 1);
	rc = get_sha256(o, "sha256", f->sha256, err);
	if (rc)
		return rc;
	/* Each digest is looked for exactly once in the bootloader's PCR: two files
	 * with the same bytes would be measured twice. */
	for (size_t i = 0; i < m->nboot_files; i++) {
		if (!strcmp(m->boot_files[i].path, f->path))
			return gw_fail(err, GW_E_PARSE, "path '%s' appears twice", f->path);
		if (!memcmp(m->boot_files[i].sha256, f->sha256, 32))
			return gw_fail(err, GW_E_PARSE, "the same sha256 as boot file %zu", i + 1);
	}
	m->nboot_files++;
	return 0;
}

static int get_boot_files(json_object *root, struct manifest *m, gw_error *err)
{
	json_object *arr = NULL;
	size_t n;

	if (!json_object_object_get_ex(root, "boot_files", &arr))
		return 0;
	if (!json_object_is_type(arr, json_type_array))
		return gw_fail(err, GW_E_PARSE, "'boot_files' must be an array");
	n = json_object_array_length(arr);
	if (n < 1)
		return gw_fail(err, GW_E_PARSE, "'boot_files' is empty (leave it out)");
	if (n > MANIFEST_MAX_BOOT_FILES)
		return gw_fail(err, GW_E_TOOBIG, "'boot_files': %zu files, more than %d", n,
			       MANIFEST_MAX_BOOT_FILES);
	for (size_t i = 0; i < n; i++) {
		int rc = get_boot_file(json_object_array_get_idx(arr, i), m, err);

		if (rc) {
			gw_error_prefix(err, "boot file %zu: ", i + 1);
			return rc;
		}
	}
	return 0;
}

const struct manifest_boot_file *manifest_boot_file_of(const struct manifest *m,
						       const uint8_t sha256[32])
{
	for (size_t i = 0; i < m->nboot_files; i++)
		if (!memcmp(m->boot_files[i].sha256, sha256, 32))
			return &m->boot_files[i];
	return NULL;
}

/* The new trust root riding along: a well-formed DSSE envelope of a root, kept as
 * its compact JSON text. Whether it may follow the current root is the installer's
 * question (root_verify_successor()). */
static int get_root(json_object *root, struct manifest *m, gw_error *err)
{
	struct dsse_envelope *env = NULL;
	json_object *o = NULL;
	const char *text;
	size_t len;
	int rc;

	if (!json_object_object_get_ex(root, "root", &o))
		return 0;
	if (!json_object_is_type(o, json_type_object))
		return gw_fail(err, GW_E_PARSE, "'root' must be an object (a signed root)");
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							 JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!text)
		return GW_E_NOMEM;
	len = strlen(text);
	if (len > ROOT_MAX_SIZE)
		return gw_fail(err, GW_E_TOOBIG, "'root' larger than %u bytes", ROOT_MAX_SIZE);
	rc = dsse_parse((const uint8_t *)text, len, &env, err);
	if (rc) {
		gw_error_prefix(err, "'root': ");
		return rc;
	}
	if (strcmp(env->payload_type, ROOT_PAYLOAD_TYPE)) {
		rc = gw_fail(err, GW_E_PARSE, "'root': payload type '%.64s' is not '%s'",
			     env->payload_type, ROOT_PAYLOAD_TYPE);
		goto out;
	}
	m->root = malloc(len + 1);
	if (!m->root) {
		rc = GW_E_NOMEM;
		goto out;
	}
	memcpy(m->root, text, len + 1);
	m->root_len = len;
out:
	dsse_free(env);
	return rc;
}

/* Release notes are shown on terminals (gwpolicy bundle inspect, gwagent update
 * status): no control character but newline and tab (C0, DEL, and C1 as the UTF-8
 * of U+0080..U+009F), so a note cannot move the cursor, retitle the window or
 * forge lines. */
static int check_notes(const char *s, size_t len, gw_error *err)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		unsigned cp = c;

		/* Bytes of other UTF-8 sequences (continuations included) are text. */
		if (c == 0xc2 && i + 1 < len && (unsigned char)s[i + 1] < 0xa0)
			cp = (unsigned char)s[i + 1];
		else if (c >= 0x80)
			continue;
		if ((cp < 0x20 && cp != '\n' && cp != '\t') || (cp >= 0x7f && cp < 0xa0))
			return gw_fail(err, GW_E_PARSE, "'notes': control character U+%04X at "
				       "byte %zu; only newline and tab are allowed", cp, i);
	}
	return 0;
}

static int get_optional(json_object *root, struct manifest *m, gw_error *err)
{
	json_object *b = NULL;
	const char *s;
	size_t len = 0;
	int rc;

	if (json_object_object_get_ex(root, "expires", NULL)) {
		rc = get_time(root, "expires", &m->expires, err);
		if (rc)
			return rc;
		if (m->expires <= m->created)
			return gw_fail(err, GW_E_PARSE, "'expires' is not after 'created'");
	}
	if (json_object_object_get_ex(root, "eol_transition", &b)) {
		if (!json_object_is_type(b, json_type_boolean))
			return gw_fail(err, GW_E_PARSE, "'eol_transition' must be true or false");
		m->eol_transition = json_object_get_boolean(b);
	}
	if (json_object_object_get_ex(root, "notes", NULL)) {
		rc = gw_json_get_string(root, "notes", MANIFEST_MAX_NOTES, &s, &len, err);
		if (!rc)
			rc = check_notes(s, len, err);
		if (rc)
			return rc;
		m->notes = strdup(s);
		if (!m->notes)
			return GW_E_NOMEM;
	}
	return get_root(root, m, err);
}

static int get_fields(json_object *root, struct manifest *m, gw_error *err)
{
	json_object *b = NULL;
	const char *s;
	int64_t v = 0;
	int rc;

	rc = gw_json_check_keys(root, top_keys, GW_ARRAY_SIZE(top_keys), err);
	if (!rc)
		rc = gw_json_get_string(root, "_type", 64, &s, NULL, err);
	if (rc)
		return rc;
	if (strcmp(s, MANIFEST_TYPE))
		return gw_fail(err, GW_E_PARSE, "'_type' must be '%s'", MANIFEST_TYPE);
	rc = gw_json_get_int(root, "format", 0, INT32_MAX, &v, err);
	if (rc)
		return rc;
	if (v != MANIFEST_FORMAT)
		return gw_fail(err, GW_E_UNSUPPORTED, "format %lld is not %d (a newer gwpolicy?)",
			       (long long)v, MANIFEST_FORMAT);
	rc = get_models(root, m, err);
	if (!rc)
		rc = get_name(root, "channel", m->channel, err);
	if (!rc)
		rc = gw_json_get_string(root, "version", MANIFEST_VERSION_MAX, &s, NULL, err);
	if (rc)
		return rc;
	if (!manifest_version_ok(s))
		return gw_fail(err, GW_E_PARSE, "'version' must be 1 to %d printable characters, "
			       "no space", MANIFEST_VERSION_MAX);
	memcpy(m->version, s, strlen(s) + 1);
	rc = gw_json_get_int(root, "security_version", 0, INT64_MAX - 1, &v, err);
	if (!rc)
		rc = get_time(root, "created", &m->created, err);
	if (rc)
		return rc;
	m->security_version = (uint64_t)v;
	if (!json_object_object_get_ex(root, "reboot_required", &b))
		return gw_fail(err, GW_E_PARSE, "'reboot_required' is missing");
	if (!json_object_is_type(b, json_type_boolean))
		return gw_fail(err, GW_E_PARSE, "'reboot_required' must be true or false");
	m->reboot_required = json_object_get_boolean(b);
	rc = get_encryption(root, m, err);
	if (!rc)
		rc = get_payloads(root, m, err);
	if (!rc)
		rc = get_boot_files(root, m, err);
	if (!rc)
		rc = get_optional(root, m, err);
	return rc;
}

int manifest_parse(const uint8_t *buf, size_t len, struct manifest **out, gw_error *err)
{
	json_object *root = NULL;
	struct manifest *m = NULL;
	int rc;

	*out = NULL;
	rc = gw_json_object_parse(buf, len, MANIFEST_MAX_SIZE, MANIFEST_JSON_DEPTH, "manifest",
				  &root, err);
	if (rc)
		return rc;
	m = calloc(1, sizeof(*m));
	if (!m) {
		rc = GW_E_NOMEM;
		goto out;
	}
	rc = get_fields(root, m, err);
	if (rc) {
		gw_error_prefix(err, "manifest: ");
		goto out;
	}
	if (!EVP_Digest(buf, len, m->digest, NULL, EVP_sha256(), NULL)) {
		rc = gw_fail(err, GW_E_CRYPTO, "manifest: SHA-256 failed");
		goto out;
	}
	gw_hex_encode(m->digest, sizeof(m->digest), m->digest_hex);
	*out = m; /* transferred */
	m = NULL;
out:
	manifest_free(m);
	json_object_put(root);
	return rc;
}

bool manifest_has_model(const struct manifest *m, const char *model)
{
	for (size_t i = 0; i < m->nmodels; i++)
		if (m->models[i] && !strcmp(m->models[i], model))
			return true;
	return false;
}

uint64_t manifest_member_size(const struct manifest *m, const struct manifest_payload *p)
{
	return m->encrypted ? p->stored_size : p->size;
}

const uint8_t *manifest_member_sha256(const struct manifest *m, const struct manifest_payload *p)
{
	return m->encrypted ? p->stored_sha256 : p->sha256;
}

const struct manifest_payload *manifest_payload_of(const struct manifest *m,
						   const char *class_name)
{
	for (size_t i = 0; i < m->npayloads; i++)
		if (!strcmp(m->payloads[i].class_name, class_name))
			return &m->payloads[i];
	return NULL;
}

void manifest_free(struct manifest *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nmodels; i++)
		free(m->models[i]);
	free(m->notes);
	free(m->root);
	free(m->wrapped_key);
	free(m);
}

/* o[key] = v, taking v; false when either is missing (out of memory). */
static bool put(json_object *o, const char *key, json_object *v)
{
	if (!v || json_object_object_add(o, key, v)) {
		json_object_put(v);
		return false;
	}
	return true;
}

static bool put_time(json_object *o, const char *key, time_t t)
{
	char buf[GW_TIME_LEN];

	/* A time with no such form comes out as "@SECONDS", which the parse of the
	 * result refuses. */
	gw_time_format_utc((int64_t)t, buf);
	return put(o, key, json_object_new_string(buf));
}

static bool put_payloads(json_object *o, const struct manifest *m)
{
	json_object *arr = json_object_new_array();

	if (!put(o, "payloads", arr))
		return false;
	for (size_t i = 0; i < m->npayloads; i++) {
		const struct manifest_payload *p = &m->payloads[i];
		json_object *po = json_object_new_object();
		char hex[65];

		if (!po || json_object_array_add(arr, po)) {
			json_object_put(po);
			return false;
		}
		gw_hex_encode(p->sha256, sizeof(p->sha256), hex);
		if (!put(po, "class", json_object_new_string(p->class_name)) ||
		    !put(po, "size", json_object_new_int64((int64_t)p->size)) ||
		    !put(po, "sha256", json_object_new_string(hex)))
			return false;
		if (!m->encrypted)
			continue;
		gw_hex_encode(p->stored_sha256, sizeof(p->stored_sha256), hex);
		if (!put(po, "stored_size", json_object_new_int64((int64_t)p->stored_size)) ||
		    !put(po, "stored_sha256", json_object_new_string(hex)))
			return false;
	}
	return true;
}

static bool put_boot_files(json_object *o, const struct manifest *m)
{
	json_object *arr;

	if (!m->nboot_files)
		return true;
	arr = json_object_new_array();
	if (!put(o, "boot_files", arr))
		return false;
	for (size_t i = 0; i < m->nboot_files; i++) {
		json_object *fo = json_object_new_object();
		char hex[65];

		if (!fo || json_object_array_add(arr, fo)) {
			json_object_put(fo);
			return false;
		}
		gw_hex_encode(m->boot_files[i].sha256, 32, hex);
		if (!put(fo, "path", json_object_new_string(m->boot_files[i].path)) ||
		    !put(fo, "sha256", json_object_new_string(hex)))
			return false;
	}
	return true;
}

static bool put_encryption(json_object *o, const struct manifest *m)
{
	json_object *e = json_object_new_object(), *w = NULL;
	gw_error err = { { 0 } };

	if (!put(o, "encryption", e) || !put(e, "alg", json_object_new_string(PAYLOAD_AEAD_ALG)) ||
	    !put(e, "chunk_size", json_object_new_int64(m->chunk_size)) || !m->wrapped_key)
		return false;
	if (gw_json_object_parse(m->wrapped_key, strlen(m->wrapped_key),
				 MANIFEST_WRAPPED_KEY_MAX, 2, "wrapped key", &w, &err))
		return false;
	return put(e, "wrapped_key", w);
}

/* Everything of m into o; false on a value that has no JSON form here. */
static bool put_fields(json_object *o, const struct manifest *m)
{
	json_object *models = json_object_new_array(), *root = NULL;
	gw_error err = { { 0 } };

	if (!put(o, "_type", json_object_new_string(MANIFEST_TYPE)) ||
	    !put(o, "format", json_object_new_int(MANIFEST_FORMAT)) || !put(o, "models", models))
		return false;
	for (size_t i = 0; i < m->nmodels; i++)
		if (json_object_array_add(models, json_object_new_string(m->models[i])))
			return false;
	if (!put(o, "channel", json_object_new_string(m->channel)) ||
	    !put(o, "version", json_object_new_string(m->version)) ||
	    !put(o, "security_version", json_object_new_int64((int64_t)m->security_version)) ||
	    !put_time(o, "created", m->created) || (m->expires && !put_time(o, "expires", m->expires)) ||
	    !put(o, "reboot_required", json_object_new_boolean(m->reboot_required)) ||
	    (m->eol_transition && !put(o, "eol_transition", json_object_new_boolean(1))) ||
	    (m->notes && !put(o, "notes", json_object_new_string(m->notes))) ||
	    !put_payloads(o, m) || !put_boot_files(o, m))
		return false;
	if (m->encrypted && !put_encryption(o, m))
		return false;
	if (!m->root)
		return true;
	if (gw_json_object_parse(m->root, m->root_len, ROOT_MAX_SIZE, ROOT_JSON_DEPTH, "root",
				 &root, &err))
		return false;
	return put(o, "root", root);
}

int manifest_format(const struct manifest *m, char **out, size_t *out_len)
{
	json_object *o = json_object_new_object();
	struct manifest *back = NULL;
	const char *text;
	char *copy = NULL;
	int rc = 0;

	if (!o)
		return GW_E_NOMEM;
	if (!put_fields(o, m) || !(text = json_object_to_json_string_ext(
					    o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE))) {
		rc = GW_E_INVAL;
		goto out;
	}
	/* Only what manifest_parse() reads back is written: names, sizes, times,
	 * notes (UTF-8) and the root are all checked there. */
	if (manifest_parse((const uint8_t *)text, strlen(text), &back, NULL)) {
		rc = GW_E_INVAL;
		goto out;
	}
	copy = strdup(text);
	if (!copy) {
		rc = GW_E_NOMEM;
		goto out;
	}
	*out = copy; /* transferred */
	*out_len = strlen(copy);
out:
	manifest_free(back);
	json_object_put(o);
	return rc;
}
