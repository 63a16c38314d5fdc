// SPDX-License-Identifier: Apache-2.0
// The update trust kept in the state directory: the pinned trust root (copied from
// the config's [update] root on first use, replaced only by a verified successor)
// and each slot group's signed manifest, verified against it whenever it is read.
#include "update_state.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

#define ROOT_FILE "root.json"

static int manifest_name(enum bl_group g, char *buf, size_t len)
{
	return gw_snprintf(buf, len, "%c.manifest.dsse", bl_group_char(g));
}

/* Read, parse and self-verify the signed root in path; *raw (optional) keeps the
 * bytes. expired NULL: an expired root is refused (GW_E_STATE); else it is
 * accepted, its signatures checked, and *expired says whether it has expired. */
static int root_from_file(const char *path, time_t now, bool *expired, struct root **out,
			  uint8_t **raw, size_t *raw_len, gw_error *err)
{
	struct root *r = NULL;
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	rc = gw_read_file(path, ROOT_MAX_SIZE, &buf, &len, err);
	if (!rc)
		rc = root_parse(buf, len, &r, err);
	if (!rc)
		rc = root_verify_self(r, now, err);
	/* root_verify_self checks the signatures first: GW_E_STATE is the expiry. */
	if (expired)
		*expired = rc == GW_E_STATE;
	if (rc == GW_E_STATE && expired)
		rc = 0;
	if (rc) {
		if (rc != GW_E_NOTFOUND)
			gw_error_prefix(err, "trust root %s: ", path);
		goto out;
	}
	*out = r;
	r = NULL; /* transferred */
	if (raw) {
		*raw = buf;
		*raw_len = len;
		buf = NULL; /* transferred */
	}
out:
	root_free(r);
	free(buf);
	return rc;
}

int update_root_load_any(struct agent_ctx *ctx, time_t now, bool *expired, struct root **out,
			 gw_error *err)
{
	char pinned[PATH_MAX];
	struct root *r = NULL;
	uint8_t *raw = NULL;
	size_t raw_len = 0;
	int rc;

	if (update_path(ctx, ROOT_FILE, pinned, sizeof(pinned)))
		return gw_fail(err, GW_E_INVAL, "state directory path too long");
	rc = root_from_file(pinned, now, expired, &r, NULL, NULL, err);
	if (rc != GW_E_NOTFOUND)
		goto out;
	/* First use: the configured root becomes the pinned one. From then on the
	 * config's file is never read again; only a verified successor replaces it. */
	if (!ctx->cfg.update.root) {
		rc = gw_fail(err, GW_E_NOTFOUND,
			     "no pinned trust root (%s) and no 'root' in the config's [update]",
			     pinned);
		goto out;
	}
	rc = root_from_file(ctx->cfg.update.root, now, expired, &r, &raw, &raw_len, err);
	if (rc == GW_E_NOTFOUND)
		rc = gw_fail(err, GW_E_NOTFOUND, "trust root %s ([update] root) does not exist",
			     ctx->cfg.update.root);
	if (!rc)
		rc = update_dir_ensure(ctx, err);
	if (!rc)
		rc = gw_write_file_atomic(pinned, raw, raw_len, 0644, err);
out:
	if (!rc) {
		*out = r;
		r = NULL; /* transferred */
	}
	root_free(r);
	free(raw);
	return rc;
}

int update_root_load(struct agent_ctx *ctx, time_t now, struct root **out, gw_error *err)
{
	return update_root_load_any(ctx, now, NULL, out, err);
}

int update_root_pin(struct agent_ctx *ctx, const struct root *cur, const uint8_t *buf,
		    size_t len, time_t now, gw_error *err)
{
	char pinned[PATH_MAX];
	struct root *next = NULL;
	int rc;

	if (update_path(ctx, ROOT_FILE, pinned, sizeof(pinned)))
		return gw_fail(err, GW_E_INVAL, "state directory path too long");
	rc = root_parse(buf, len, &next, err);
	if (rc) {
		gw_error_prefix(err, "new trust root: ");
		goto out;
	}
	/* A rerun after a crash finds the new root pinned already. */
	if (!memcmp(next->digest, cur->digest, sizeof(cur->digest)))
		goto out;
	rc = root_verify_successor(cur, next, now, err);
	if (rc) {
		gw_error_prefix(err, "new trust root version %llu: ",
				(unsigned long long)next->version);
		goto out;
	}
	rc = update_dir_ensure(ctx, err);
	if (!rc)
		rc = gw_write_file_atomic(pinned, buf, len, 0644, err);
out:
	root_free(next);
	return rc;
}

static int kept_root_path(const struct agent_ctx *ctx, uint64_t version, char *buf, size_t len)
{
	char name[48];

	if (gw_snprintf(name, sizeof(name), "root.%llu.json", (unsigned long long)version))
		return GW_E_TOOBIG;
	return update_path(ctx, name, buf, len);
}

int update_root_keep(struct agent_ctx *ctx, const struct root *root, gw_error *err)
{
	char pinned[PATH_MAX], kept[PATH_MAX];
	struct root *r = NULL;
	uint8_t *raw = NULL;
	size_t raw_len = 0;
	bool expired;
	int rc;

	if (update_path(ctx, ROOT_FILE, pinned, sizeof(pinned)) ||
	    kept_root_path(ctx, root->version, kept, sizeof(kept)))
		return gw_fail(err, GW_E_INVAL, "state directory path too long");
	rc = root_from_file(pinned, 0, &expired, &r, &raw, &raw_len, err);
	if (!rc && memcmp(r->digest, root->digest, sizeof(root->digest)))
		rc = gw_fail(err, GW_E_STATE, "%s changed while it was read", pinned);
	if (!rc)
		rc = gw_write_file_atomic(kept, raw, raw_len, 0644, err);
	root_free(r);
	free(raw);
	return rc;
}

int update_state_adopt_root(struct agent_ctx *ctx, struct update_state *st,
			    const struct root *root, gw_error *err)
{
	bool adopt = false;
	int rc;

	for (int i = 0; i < BL_NGROUPS; i++)
		adopt |= st->group[i].has_manifest && !st->group[i].root_version;
	if (!adopt)
		return 0;
	rc = update_root_keep(ctx, root, err);
	if (rc)
		return rc;
	for (int i = 0; i < BL_NGROUPS; i++)
		if (st->group[i].has_manifest && !st->group[i].root_version)
			st->group[i].root_version = root->version;
	return update_state_save(ctx, st, err);
}

/* The root group g was installed under: root itself, or root.N.json (*kept, the
 * caller's) as slots.json names it. */
static int slot_root(struct agent_ctx *ctx, const struct root *root, enum bl_group g,
		     struct root **kept, gw_error *err)
{
	struct update_state st;
	char path[PATH_MAX];
	bool expired;
	uint64_t v;
	int rc;

	*kept = NULL;
	rc = update_state_load(ctx, &st, err);
	if (rc)
		return rc;
	v = st.group[g].root_version;
	if (!v || v == root->version)
		return 0;
	if (kept_root_path(ctx, v, path, sizeof(path)))
		return gw_fail(err, GW_E_INVAL, "state directory path too long");
	/* Expiry is about accepting new content: this root accepted the slot's. */
	rc = root_from_file(path, 0, &expired, kept, NULL, NULL, err);
	if (rc == GW_E_NOTFOUND)
		return gw_fail(err, GW_E_STATE, "group %c was installed under trust root version "
			       "%llu, and %s is missing", bl_group_char(g),
			       (unsigned long long)v, path);
	if (!rc && (*kept)->version != v) {
		rc = gw_fail(err, GW_E_STATE, "%s holds trust root version %llu", path,
			     (unsigned long long)(*kept)->version);
		root_free(*kept);
		*kept = NULL;
	}
	return rc;
}

int update_manifest_load(struct agent_ctx *ctx, const struct root *root, enum bl_group g,
			 struct manifest **out, gw_error *err)
{
	char name[32], path[PATH_MAX];
	struct dsse_envelope *env = NULL;
	struct manifest *m = NULL;
	struct root *kept = NULL;
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	if (manifest_name(g, name, sizeof(name)) || update_path(ctx, name, path, sizeof(path)))
		return gw_fail(err, GW_E_INVAL, "state directory path too long");
	rc = gw_read_file(path, MANIFEST_MAX_SIZE, &buf, &len, err);
	if (!rc)
		rc = slot_root(ctx, root, g, &kept, err);
	if (rc == GW_E_NOTFOUND) {
		rc = gw_fail(err, GW_E_NOTFOUND, "no manifest stored for group %c",
			     bl_group_char(g));
		goto out;
	}
	if (!rc)
		rc = dsse_parse(buf, len, &env, err);
	if (!rc)
		rc = root_verify_envelope(kept ? kept : root, ROOT_ROLE_TARGETS, env,
					  MANIFEST_PAYLOAD_TYPE, NULL, err);
	if (!rc)
		rc = manifest_parse(env->payload, env->payload_len, &m, err);
	if (rc) {
		gw_error_prefix(err, "%s: ", path);
		goto out;
	}
	*out = m;
	m = NULL; /* transferred */
out:
	root_free(kept);
	manifest_free(m);
	dsse_free(env);
	free(buf);
	return rc;
}

int update_manifest_store(struct agent_ctx *ctx, enum bl_group g, const uint8_t *buf,
			  size_t len, gw_error *err)
{
	char name[32], path[PATH_MAX];
	int rc;

	if (manifest_name(g, name, sizeof(name)) || update_path(ctx, name, path, sizeof(path)))
		return gw_fail(err, GW_E_INVAL, "state directory path too long");
	rc = update_dir_ensure(ctx, err);
	if (!rc)
		rc = gw_write_file_atomic(path, buf, len, 0644, err);
	return rc;
}

int update_manifest_remove(struct agent_ctx *ctx, enum bl_group g, gw_error *err)
{
	char name[32], path[PATH_MAX], dir[PATH_MAX];
	int rc = 0;

	if (manifest_name(g, name, sizeof(name)) || update_path(ctx, name, path, sizeof(path)) ||
	    update_path(ctx, "", dir, sizeof(dir)))
		return gw_fail(err, GW_E_INVAL, "state directory path too long");
	if (unlink(path)) {
		if (errno == ENOENT)
			return 0;
		return gw_fail(err, GW_E_IO, "remove %s: %s", path, strerror(errno));
	}
	/* The removal must be durable before anything that relies on it. */
	rc = gw_fsync_dir(dir, err);
	return rc;
}
