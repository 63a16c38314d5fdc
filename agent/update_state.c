// SPDX-License-Identifier: Apache-2.0
// The slot state file STATE_DIR/update/slots.json: what was installed into each slot
// group, whether a trial is pending and how the last update ended; strictly parsed,
// replaced atomically.
#include "update_state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "jsonobj.h"
#include "util.h"

#define STATE_FILE "slots.json"
#define STATE_FORMAT 2 /* written; 1 is still read */

static const char *const state_names[] = { "empty", "installing", "staged", "good", "bad" };
static const char *const outcome_names[] = { "none",	    "staged", "committed",
					     "rolled-back", "fell-back", "failed",
					     "interrupted" };

const char *slot_state_name(enum slot_state s)
{
	return (unsigned)s < GW_ARRAY_SIZE(state_names) ? state_names[s] : "unknown";
}

const char *update_outcome_name(enum update_outcome o)
{
	return (unsigned)o < GW_ARRAY_SIZE(outcome_names) ? outcome_names[o] : "unknown";
}

static int name_index(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(names[i], s))
			return (int)i;
	return -1;
}

void update_state_init(struct update_state *st)
{
	memset(st, 0, sizeof(*st));
	st->trial_group = -1;
}

int update_path(const struct agent_ctx *ctx, const char *name, char *buf, size_t len)
{
	return gw_snprintf(buf, len, "%s/" UPDATE_DIR "/%s", ctx->state_dir, name);
}

/* Printable ASCII without blanks (the manifest's rule for versions), or empty. */
static bool printable(const char *s)
{
	for (; *s; s++)
		if (*s <= ' ' || *s > '~')
			return false;
	return true;
}

static bool name_chars(const char *s)
{
	return strspn(s, "abcdefghijklmnopqrstuvwxyz"
			 "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") == strlen(s);
}

static int get_enum(json_object *o, const char *key, const char *const *names, size_t n,
		    int *out, gw_error *err)
{
	const char *s;
	int rc = gw_json_get_string(o, key, 32, &s, NULL, err);

	if (rc)
		return rc;
	*out = name_index(names, n, s);
	if (*out < 0)
		return gw_fail(err, GW_E_PARSE, "'%s': unknown value '%s'", key, s);
	return 0;
}

static int parse_group(json_object *o, int format, struct slot_group_state *g, gw_error *err)
{
	static const char *const keys[] = { "state",	       "has_manifest",
					    "version",	       "channel",
					    "security_version", "manifest_sha256",
					    "installed",	"root_version" };
	json_object *b;
	const char *s;
	size_t n;
	int64_t v;
	int idx, rc;

	if (!json_object_is_type(o, json_type_object))
		return gw_fail(err, GW_E_PARSE, "must be an object");
	/* Format 1 has no root_version. */
	if ((rc = gw_json_check_keys(o, keys, GW_ARRAY_SIZE(keys) - (format < 2), err)) ||
	    (rc = get_enum(o, "state", state_names, GW_ARRAY_SIZE(state_names), &idx, err)))
		return rc;
	g->state = (enum slot_state)idx;
	if (!json_object_object_get_ex(o, "has_manifest", &b) ||
	    !json_object_is_type(b, json_type_boolean))
		return gw_fail(err, GW_E_PARSE, "'has_manifest' must be true or false");
	g->has_manifest = json_object_get_boolean(b);
	if ((rc = gw_json_get_string(o, "version", MANIFEST_VERSION_MAX, &s, &n, err)))
		return rc;
	if (!printable(s))
		return gw_fail(err, GW_E_PARSE, "'version': printable characters, no blank");
	memcpy(g->version, s, n + 1);
	if ((rc = gw_json_get_string(o, "channel", MANIFEST_NAME_MAX, &s, &n, err)))
		return rc;
	if (!name_chars(s))
		return gw_fail(err, GW_E_PARSE, "'channel': use A-Z a-z 0-9 - _ .");
	memcpy(g->channel, s, n + 1);
	if ((rc = gw_json_get_int(o, "security_version", 0, INT64_MAX - 1, &v, err)))
		return rc;
	g->security_version = (uint64_t)v;
	if ((rc = gw_json_get_string(o, "manifest_sha256", 64, &s, &n, err)))
		return rc;
	memset(g->manifest_digest, 0, sizeof(g->manifest_digest));
	if (n && (n != 64 || strspn(s, "0123456789abcdef") != 64 ||
		  gw_hex_decode_fixed(s, g->manifest_digest, 32, NULL)))
		return gw_fail(err, GW_E_PARSE, "'manifest_sha256': 64 lower-case hex digits or \"\"");
	if (g->has_manifest && !n)
		return gw_fail(err, GW_E_PARSE, "'manifest_sha256' is empty but has_manifest is true");
	if ((rc = gw_json_get_int(o, "installed", 0, INT64_MAX - 1, &v, err)))
		return rc;
	g->installed = (time_t)v;
	if (format < 2)
		return 0;
	if ((rc = gw_json_get_int(o, "root_version", 0, INT64_MAX - 1, &v, err)))
		return rc;
	g->root_version = (uint64_t)v;
	if (g->root_version && !g->has_manifest)
		return gw_fail(err, GW_E_PARSE, "'root_version' is set but has_manifest is false");
	return 0;
}

static int parse_root(json_object *o, struct update_state *st, gw_error *err)
{
	static const char *const keys[] = { "format",	    "groups",	   "trial",
					    "last_outcome", "last_detail", "trial_set" };
	static const char *const trials[] = { "A", "B", "none" };
	json_object *groups, *g, *b;
	const char *s;
	size_t n;
	int64_t v;
	int idx, rc;

	if ((rc = gw_json_get_int(o, "format", 1, STATE_FORMAT, &v, err)) ||
	    (rc = gw_json_check_keys(o, keys, GW_ARRAY_SIZE(keys) - (v < 2), err)))
		return rc;
	if (!json_object_object_get_ex(o, "groups", &groups) ||
	    !json_object_is_type(groups, json_type_object) ||
	    json_object_object_length(groups) != BL_NGROUPS)
		return gw_fail(err, GW_E_PARSE, "'groups' must be an object of exactly A and B");
	for (int i = 0; i < BL_NGROUPS; i++) {
		char name[2] = { bl_group_char((enum bl_group)i), 0 };

		if (!json_object_object_get_ex(groups, name, &g))
			return gw_fail(err, GW_E_PARSE, "'groups' must be an object of exactly A and B");
		rc = parse_group(g, (int)v, &st->group[i], err);
		if (rc) {
			gw_error_prefix(err, "groups.%s: ", name);
			return rc;
		}
	}
	if ((rc = get_enum(o, "trial", trials, GW_ARRAY_SIZE(trials), &idx, err)))
		return rc;
	st->trial_group = idx < BL_NGROUPS ? idx : -1;
	/* Format 1 saved STAGED only just before bl_set_trial: taken as set. */
	st->trial_set = st->trial_group >= 0;
	if (v >= 2) {
		if (!json_object_object_get_ex(o, "trial_set", &b) ||
		    !json_object_is_type(b, json_type_boolean))
			return gw_fail(err, GW_E_PARSE, "'trial_set' must be true or false");
		st->trial_set = json_object_get_boolean(b);
		if (st->trial_set && st->trial_group < 0)
			return gw_fail(err, GW_E_PARSE, "'trial_set' is true but 'trial' is none");
	}
	if ((rc = get_enum(o, "last_outcome", outcome_names, GW_ARRAY_SIZE(outcome_names), &idx,
			   err)))
		return rc;
	st->last_outcome = (enum update_outcome)idx;
	if ((rc = gw_json_get_string(o, "last_detail", sizeof(st->last_detail) - 1, &s, &n, err)))
		return rc;
	memcpy(st->last_detail, s, n + 1);
	return 0;
}

int update_state_parse(const uint8_t *buf, size_t len, struct update_state *out, gw_error *err)
{
	struct update_state st;
	json_object *o = NULL;
	int rc;

	update_state_init(&st);
	rc = gw_json_object_parse(buf, len, UPDATE_STATE_MAX_SIZE, 4, STATE_FILE, &o, err);
	if (rc)
		return rc;
	rc = parse_root(o, &st, err);
	json_object_put(o);
	if (rc) {
		gw_error_prefix(err, STATE_FILE ": ");
		return rc;
	}
	*out = st;
	return 0;
}

static json_object *format_group(const struct slot_group_state *g)
{
	json_object *o = json_object_new_object();
	char hex[65] = "";

	if (!o)
		return NULL;
	if (g->has_manifest || memcmp(g->manifest_digest, (uint8_t[32]){ 0 }, 32))
		gw_hex_encode(g->manifest_digest, 32, hex);
	json_object_object_add(o, "state", json_object_new_string(slot_state_name(g->state)));
	json_object_object_add(o, "has_manifest", json_object_new_boolean(g->has_manifest));
	json_object_object_add(o, "version", json_object_new_string(g->version));
	json_object_object_add(o, "channel", json_object_new_string(g->channel));
	json_object_object_add(o, "security_version",
			       json_object_new_int64((int64_t)g->security_version));
	json_object_object_add(o, "manifest_sha256", json_object_new_string(hex));
	json_object_object_add(o, "installed", json_object_new_int64((int64_t)g->installed));
	json_object_object_add(o, "root_version", json_object_new_int64((int64_t)g->root_version));
	return o;
}

int update_state_format(const struct update_state *st, char **out, size_t *len)
{
	json_object *o = json_object_new_object(), *groups = json_object_new_object();
	const char *text;
	int rc = GW_E_NOMEM;

	if (!o || !groups)
		goto out;
	for (int i = 0; i < BL_NGROUPS; i++) {
		char name[2] = { bl_group_char((enum bl_group)i), 0 };

		json_object_object_add(groups, name, format_group(&st->group[i]));
	}
	json_object_object_add(o, "format", json_object_new_int(STATE_FORMAT));
	json_object_object_add(o, "groups", groups);
	groups = NULL; /* transferred */
	json_object_object_add(o, "trial",
			       json_object_new_string(st->trial_group == BL_GROUP_A   ? "A"
						      : st->trial_group == BL_GROUP_B ? "B"
										      : "none"));
	json_object_object_add(o, "trial_set", json_object_new_boolean(st->trial_set &&
									    st->trial_group >= 0));
	json_object_object_add(o, "last_outcome",
			       json_object_new_string(update_outcome_name(st->last_outcome)));
	json_object_object_add(o, "last_detail", json_object_new_string(st->last_detail));
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
							 JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!text || !(*out = strdup(text)))
		goto out;
	*len = strlen(*out);
	rc = 0;
out:
	json_object_put(groups);
	json_object_put(o);
	return rc;
}

int update_state_load(struct agent_ctx *ctx, struct update_state *out, gw_error *err)
{
	char path[PATH_MAX];
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	if (update_path(ctx, STATE_FILE, path, sizeof(path)))
		return gw_fail(err, GW_E_INVAL, "state directory path too long");
	rc = gw_read_file(path, UPDATE_STATE_MAX_SIZE, &buf, &len, err);
	if (rc == GW_E_NOTFOUND) {
		update_state_init(out);
		return 0;
	}
	if (!rc) {
		rc = update_state_parse(buf, len, out, err);
		if (rc)
			gw_error_prefix(err, "%s: ", path);
	}
	free(buf);
	return rc;
}

int update_dir_ensure(const struct agent_ctx *ctx, gw_error *err)
{
	char path[PATH_MAX];
	struct stat st;
	int rc;

	if (update_path(ctx, "", path, sizeof(path)))
		return gw_fail(err, GW_E_INVAL, "state directory path too long");
	if (!stat(path, &st) && S_ISDIR(st.st_mode))
		return 0;
	rc = gw_mkdir_p(path, 0700, err);
	if (rc)
		return rc;
	/* The new directory's entry must survive a crash like the files in it. */
	return gw_fsync_dir(ctx->state_dir, err);
}

/* root.N.json (N decimal, no leading zero) into *n. */
static bool kept_root_name(const char *name, uint64_t *n)
{
	char *end;
	unsigned long long v;

	if (strncmp(name, "root.", 5) || name[5] < '1' || name[5] > '9')
		return false;
	errno = 0;
	v = strtoull(name + 5, &end, 10);
	if (errno || strcmp(end, ".json"))
		return false;
	*n = v;
	return true;
}

/* The roots no group refers to any more. Best effort: a file left behind is
 * removed by the next save. */
static void prune_roots(const struct agent_ctx *ctx, const struct update_state *st)
{
	char dir[PATH_MAX], path[PATH_MAX];
	struct dirent *de;
	bool removed = false;
	uint64_t n;
	DIR *d;

	if (update_path(ctx, "", dir, sizeof(dir)) || !(d = opendir(dir)))
		return;
	while ((de = readdir(d))) {
		if (!kept_root_name(de->d_name, &n) || n == st->group[BL_GROUP_A].root_version ||
		    n == st->group[BL_GROUP_B].root_version ||
		    update_path(ctx, de->d_name, path, sizeof(path)))
			continue;
		removed |= !unlink(path);
	}
	closedir(d);
	if (removed)
		(void)!gw_fsync_dir(dir, NULL);
}

int update_state_save(struct agent_ctx *ctx, const struct update_state *st, gw_error *err)
{
	char path[PATH_MAX];
	char *text = NULL;
	size_t len = 0;
	int rc;

	rc = update_dir_ensure(ctx, err);
	if (rc)
		return rc;
	if (update_path(ctx, STATE_FILE, path, sizeof(path)))
		return gw_fail(err, GW_E_INVAL, "state directory path too long");
	rc = update_state_format(st, &text, &len);
	if (!rc)
		rc = gw_write_file_atomic(path, text, len, 0644, err);
	if (!rc)
		prune_roots(ctx, st);
	free(text);
	return rc;
}
