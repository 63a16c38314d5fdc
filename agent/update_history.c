// SPDX-License-Identifier: Apache-2.0
// The local update history: one JSON object per line in STATE_DIR/update/
// history.jsonl, appended durably by install, commit and rollback, and kept to the
// newest [update] history_max lines.
#include "update_state.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "config_update.h"
#include "util.h"

#define HISTORY_FILE "history.jsonl"
#define HISTORY_LINE_MAX 8192 /* bytes: a 1 KiB detail, escaped, and the rest */

/* More than max lines: the newest max written in their place, atomically (a
 * crash leaves the old file or the new one, never a torn one). */
static int history_trim(const char *path, size_t max, gw_error *err)
{
	uint8_t *buf = NULL;
	size_t len = 0, lines = 0, skip, off = 0;
	int rc;

	rc = gw_read_file(path, (max + 1) * HISTORY_LINE_MAX, &buf, &len, err);
	if (rc)
		return rc;
	for (size_t i = 0; i < len; i++)
		lines += buf[i] == '\n';
	if (lines > max) {
		for (skip = lines - max; skip; off++)
			skip -= buf[off] == '\n';
		rc = gw_write_file_atomic(path, buf + off, len - off, 0644, err);
	}
	free(buf);
	return rc;
}

int update_history_append(struct agent_ctx *ctx, const struct update_history_entry *e,
			  gw_error *err)
{
	json_object *o = json_object_new_object();
	char path[PATH_MAX], when[GW_TIME_LEN], hex[65], group[2] = { 0, 0 }, *line = NULL;
	const char *text;
	size_t len;
	int rc = GW_E_NOMEM;

	if (!o)
		return GW_E_NOMEM;
	if (update_path(ctx, HISTORY_FILE, path, sizeof(path))) {
		rc = gw_fail(err, GW_E_INVAL, "state directory path too long");
		goto out;
	}
	gw_time_format_utc((int64_t)e->time, when);
	json_object_object_add(o, "time", json_object_new_string(when));
	json_object_object_add(o, "action", json_object_new_string(e->action));
	if (e->group == BL_GROUP_A || e->group == BL_GROUP_B)
		group[0] = bl_group_char((enum bl_group)e->group);
	json_object_object_add(o, "group", group[0] ? json_object_new_string(group) : NULL);
	json_object_object_add(o, "version", e->version ? json_object_new_string(e->version) : NULL);
	json_object_object_add(o, "security_version",
			       json_object_new_int64((int64_t)e->security_version));
	if (e->manifest_digest)
		gw_hex_encode(e->manifest_digest, 32, hex);
	json_object_object_add(o, "manifest_sha256",
			       e->manifest_digest ? json_object_new_string(hex) : NULL);
	json_object_object_add(o, "outcome", json_object_new_string(update_outcome_name(e->outcome)));
	json_object_object_add(o, "detail", e->detail ? json_object_new_string(e->detail) : NULL);
	/* PLAIN escapes newlines inside strings: one record, one line. */
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							 JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!text)
		goto out;
	len = strlen(text);
	line = malloc(len + 2);
	if (!line)
		goto out;
	memcpy(line, text, len);
	line[len++] = '\n';
	rc = update_dir_ensure(ctx, err);
	if (!rc)
		rc = gw_append_durable(path, line, len, 0644, err);
	if (!rc)
		rc = history_trim(path, ctx->cfg.update.history_max ? ctx->cfg.update.history_max
								  : AGENT_DEFAULT_HISTORY_MAX, err);
out:
	free(line);
	json_object_put(o);
	return rc;
}
