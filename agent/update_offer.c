// SPDX-License-Identifier: Apache-2.0
// STATE_DIR/update/offers.json: the releases a verified attestation result offered,
// read strictly, written atomically, and merged with the next result's list.
#include "update_offer.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "jsonobj.h"
#include "update_state.h"
#include "util.h"

#define OFFERS_FILE "offers.json"
#define OFFERS_FORMAT 1
#define SV_MAX ((int64_t)1 << 53) /* exact in every JSON reader */

void update_offers_init(struct update_offers *s)
{
	memset(s, 0, sizeof(*s));
}

void update_offers_fini(struct update_offers *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->offer[i].notes);
	memset(s, 0, sizeof(*s));
}

/* Notes are shown on a terminal: printable text, tabs and newlines only. */
static bool notes_ok(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p < 0x20 && *p != '\n' && *p != '\t') || *p == 0x7f)
			return false;
	return gw_utf8_valid(s);
}

static int opt_time(json_object *e, const char *key, int64_t *out, gw_error *err)
{
	*out = 0;
	if (!json_object_object_get_ex(e, key, NULL))
		return 0;
	return gw_json_get_time(e, key, out, err);
}

/* A verified result's deadline: seconds since the epoch, or null (none). */
static int claim_deadline(json_object *e, int64_t *out, gw_error *err)
{
	json_object *v;

	*out = 0;
	if (!json_object_object_get_ex(e, "deadline", &v) || json_object_is_type(v, json_type_null))
		return 0;
	return gw_json_get_int(e, "deadline", 1, INT64_C(253402300799), out, err);
}

/* The release fields, as a verified result lists them (state false) or as
 * offers.json keeps them (times as text). */
static int parse_release(json_object *e, bool state, struct update_offer *o, gw_error *err)
{
	const char *s;
	size_t n;
	int64_t v;
	int rc;

	if (!json_object_is_type(e, json_type_object))
		return gw_fail(err, GW_E_PARSE, "not an object");
	rc = gw_json_get_string(e, "id", OFFER_ID_MAX, &s, &n, err);
	if (rc)
		return rc == GW_E_TOOBIG ? GW_E_PARSE : rc;
	if (!gw_name_ok(s, OFFER_ID_MAX))
		return gw_fail(err, GW_E_PARSE, "'id' must be 1-%d of A-Z a-z 0-9 . _ -",
			       OFFER_ID_MAX);
	memcpy(o->id, s, n + 1);
	rc = gw_json_get_string(e, "version", MANIFEST_VERSION_MAX, &s, &n, err);
	if (rc)
		return rc == GW_E_TOOBIG ? GW_E_PARSE : rc;
	if (!manifest_version_ok(s))
		return gw_fail(err, GW_E_PARSE, "'version' is not a release version");
	memcpy(o->version, s, n + 1);
	rc = gw_json_get_int(e, "security_version", 0, SV_MAX, &v, err);
	if (rc)
		return rc;
	o->security_version = (uint64_t)v;
	rc = gw_json_get_int(e, "size", 0, SV_MAX, &v, err);
	if (rc)
		return rc;
	o->size = (uint64_t)v;
	rc = gw_json_get_string(e, "sha256", 64, &s, &n, err);
	if (rc || n != 64 || gw_hex_decode_fixed(s, o->sha256, 32, NULL))
		return gw_fail(err, GW_E_PARSE, "'sha256' must be 64 hex digits");
	rc = gw_json_get_bool(e, "reboot_required", &o->reboot_required, err);
	if (!rc)
		rc = gw_json_get_bool(e, "critical", &o->critical, err);
	if (!rc)
		rc = state ? opt_time(e, "deadline", &o->deadline, err)
			   : claim_deadline(e, &o->deadline, err);
	if (rc)
		return rc;
	if (o->deadline && !o->critical)
		return gw_fail(err, GW_E_PARSE, "'deadline' is for a critical release only");
	if (json_object_object_get_ex(e, "notes", NULL)) {
		rc = gw_json_get_string(e, "notes", OFFER_NOTES_MAX, &s, &n, err);
		if (rc)
			return rc == GW_E_TOOBIG ? GW_E_PARSE : rc;
		if (!notes_ok(s))
			return gw_fail(err, GW_E_PARSE, "'notes' holds control characters");
		o->notes = strdup(s);
		if (!o->notes)
			return GW_E_NOMEM;
	}
	return 0;
}

static const char *const release_keys[] = { "id", "version", "security_version", "size",
					    "sha256", "reboot_required", "critical",
					    "deadline", "notes" };
static const char *const state_keys[] = { "id", "version", "security_version", "size",
					  "sha256", "reboot_required", "critical",
					  "deadline", "notes", "offered_at", "accepted",
					  "defer_until" };

/* One entry of a list: a release (state false) or an offers.json record. */
static int parse_entry(json_object *e, bool state, struct update_offer *o, gw_error *err)
{
	int rc;

	memset(o, 0, sizeof(*o));
	if (!json_object_is_type(e, json_type_object))
		return gw_fail(err, GW_E_PARSE, "not an object");
	rc = state ? gw_json_check_keys(e, state_keys, GW_ARRAY_SIZE(state_keys), err)
		   : gw_json_check_keys(e, release_keys, GW_ARRAY_SIZE(release_keys), err);
	if (!rc)
		rc = parse_release(e, state, o, err);
	if (!rc && state) {
		rc = gw_json_get_time(e, "offered_at", &o->offered_at, err);
		if (!rc)
			rc = gw_json_get_bool(e, "accepted", &o->accepted, err);
		if (!rc)
			rc = opt_time(e, "defer_until", &o->defer_until, err);
	}
	if (rc) {
		free(o->notes);
		o->notes = NULL;
	}
	return rc;
}

/* Entries of array arr into out (empty on entry); ids unique. */
static int parse_list(json_object *arr, bool state, struct update_offers *out, gw_error *err)
{
	size_t n, first;
	int rc = 0;

	if (!json_object_is_type(arr, json_type_array))
		return gw_fail(err, GW_E_PARSE, "the offers must be an array");
	n = json_object_array_length(arr);
	if (n > OFFER_MAX && state)
		return gw_fail(err, GW_E_TOOBIG, "%zu releases offered, at most %d", n, OFFER_MAX);
	/* a result lists the oldest first: the newest OFFER_MAX are kept */
	first = n > OFFER_MAX ? n - OFFER_MAX : 0;
	for (size_t i = first; i < n && !rc; i++) {
		struct update_offer *o = &out->offer[out->n];

		rc = parse_entry(json_object_array_get_idx(arr, i), state, o, err);
		if (!rc && update_offers_find(out, o->id)) {
			free(o->notes);
			rc = gw_fail(err, GW_E_PARSE, "release '%s' listed twice", o->id);
		}
		if (rc)
			gw_error_prefix(err, "release %zu: ", i + 1);
		else
			out->n++;
	}
	if (rc)
		update_offers_fini(out);
	return rc;
}

int update_offers_parse(const uint8_t *buf, size_t len, struct update_offers *out,
			gw_error *err)
{
	static const char *const keys[] = { "format", "offers" };
	json_object *root = NULL, *arr;
	int64_t format;
	int rc;

	update_offers_init(out);
	rc = gw_json_object_parse(buf, len, OFFERS_FILE_MAX, 6, "offers", &root, err);
	if (rc)
		return rc;
	rc = gw_json_check_keys(root, keys, GW_ARRAY_SIZE(keys), err);
	if (!rc)
		rc = gw_json_get_int(root, "format", OFFERS_FORMAT, OFFERS_FORMAT, &format, err);
	if (!rc && !json_object_object_get_ex(root, "offers", &arr))
		rc = gw_fail(err, GW_E_PARSE, "'offers' is missing");
	if (!rc)
		rc = parse_list(arr, true, out, err);
	json_object_put(root);
	return rc;
}

static bool add_time(json_object *o, const char *key, int64_t t)
{
	char buf[GW_TIME_LEN];

	gw_time_format_utc(t, buf);
	return !json_object_object_add(o, key, json_object_new_string(buf));
}

static json_object *format_entry(const struct update_offer *f)
{
	json_object *o = json_object_new_object();
	char hex[65];
	bool ok;

	if (!o)
		return NULL;
	gw_hex_encode(f->sha256, 32, hex);
	ok = !json_object_object_add(o, "id", json_object_new_string(f->id)) &&
	     !json_object_object_add(o, "version", json_object_new_string(f->version)) &&
	     !json_object_object_add(o, "security_version",
				     json_object_new_int64((int64_t)f->security_version)) &&
	     !json_object_object_add(o, "size", json_object_new_int64((int64_t)f->size)) &&
	     !json_object_object_add(o, "sha256", json_object_new_string(hex)) &&
	     !json_object_object_add(o, "reboot_required",
				     json_object_new_boolean(f->reboot_required)) &&
	     !json_object_object_add(o, "critical", json_object_new_boolean(f->critical)) &&
	     (!f->deadline || add_time(o, "deadline", f->deadline)) &&
	     (!f->notes || !json_object_object_add(o, "notes", json_object_new_string(f->notes))) &&
	     add_time(o, "offered_at", f->offered_at) &&
	     !json_object_object_add(o, "accepted", json_object_new_boolean(f->accepted)) &&
	     (!f->defer_until || add_time(o, "defer_until", f->defer_until));
	if (!ok) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

int update_offers_format(const struct update_offers *s, char **out, size_t *len)
{
	json_object *root = json_object_new_object(), *arr = json_object_new_array();
	const char *text;
	int rc = GW_E_NOMEM;

	if (!root || !arr || json_object_object_add(root, "format", json_object_new_int(1)))
		goto out;
	for (size_t i = 0; i < s->n; i++) {
		json_object *e = format_entry(&s->offer[i]);

		if (!e || json_object_array_add(arr, e)) {
			json_object_put(e);
			goto out;
		}
	}
	if (json_object_object_add(root, "offers", arr))
		goto out;
	arr = NULL; /* transferred */
	text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
							    JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!text)
		goto out;
	*len = strlen(text);
	*out = malloc(*len + 2);
	if (!*out)
		goto out;
	memcpy(*out, text, *len);
	(*out)[(*len)++] = '\n';
	(*out)[*len] = '\0';
	rc = 0;
out:
	json_object_put(arr);
	json_object_put(root);
	return rc;
}

int update_offers_load(struct agent_ctx *ctx, struct update_offers *out, gw_error *err)
{
	char path[PATH_MAX];
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	update_offers_init(out);
	if (update_path(ctx, OFFERS_FILE, path, sizeof(path)))
		return gw_fail(err, GW_E_INVAL, "state directory path too long");
	rc = gw_read_file(path, OFFERS_FILE_MAX, &buf, &len, err);
	if (rc == GW_E_NOTFOUND)
		return 0;
	if (!rc) {
		rc = update_offers_parse(buf, len, out, err);
		if (rc)
			gw_error_prefix(err, "%s: ", path);
	}
	free(buf);
	return rc;
}

int update_offers_save(struct agent_ctx *ctx, const struct update_offers *s, gw_error *err)
{
	char path[PATH_MAX];
	char *text = NULL;
	size_t len = 0;
	int rc = update_dir_ensure(ctx, err);

	if (rc)
		return rc;
	if (update_path(ctx, OFFERS_FILE, path, sizeof(path)))
		return gw_fail(err, GW_E_INVAL, "state directory path too long");
	rc = update_offers_format(s, &text, &len);
	if (!rc)
		rc = gw_write_file_atomic(path, text, len, 0600, err);
	free(text);
	return rc;
}

int update_offers_merge(struct update_offers *s, json_object *releases, int64_t now,
			gw_error *err)
{
	struct update_offers next;
	int rc;

	update_offers_init(&next);
	rc = parse_list(releases, false, &next, err);
	if (rc)
		return rc;
	for (size_t i = 0; i < next.n; i++) {
		struct update_offer *n = &next.offer[i];
		const struct update_offer *old = update_offers_find(s, n->id);

		n->offered_at = now;
		if (old && !memcmp(old->sha256, n->sha256, 32)) {
			n->offered_at = old->offered_at;
			n->accepted = old->accepted;
			n->defer_until = old->defer_until;
		}
	}
	update_offers_fini(s);
	*s = next; /* transferred */
	return 0;
}

struct update_offer *update_offers_find(struct update_offers *s, const char *id)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->offer[i].id, id))
			return &s->offer[i];
	return NULL;
}

struct consent_offer update_offer_consent(const struct update_offer *o, uint64_t current_sv)
{
	return (struct consent_offer){ .offered_at = o->offered_at,
				       .security_version = o->security_version,
				       .current_sv = current_sv,
				       .deadline = o->critical ? o->deadline : 0 };
}

int update_committed_sv(struct agent_ctx *ctx, uint64_t *sv, gw_error *err)
{
	struct update_state st;
	int rc = update_state_load(ctx, &st, err);

	*sv = 0;
	if (rc)
		return rc;
	for (int g = 0; g < BL_NGROUPS; g++)
		if (st.group[g].state == SLOT_GOOD && st.group[g].has_manifest &&
		    st.group[g].security_version > *sv)
			*sv = st.group[g].security_version;
	return 0;
}
