// SPDX-License-Identifier: Apache-2.0
// The store's releases and device channels: argument checks in front of the
// backend's operations (store.h, "releases").
#include <stdlib.h>
#include <string.h>

#include "store_impl.h"

static bool name_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '-';
}

/* 1..cap bytes of [A-Za-z0-9._-]: channels. */
static int check_name(const char *s, size_t cap, const char *what, gw_error *err)
{
	size_t n;

	if (!s)
		return gw_fail(err, GW_E_INVAL, "%s is missing", what);
	n = strnlen(s, cap + 1);
	if (n == 0 || n > cap)
		return gw_fail(err, GW_E_INVAL, "%s must be 1 to %zu characters", what, cap);
	for (size_t i = 0; i < n; i++)
		if (!name_char(s[i]))
			return gw_fail(err, GW_E_INVAL, "%s '%s': only letters, digits, '.', "
					      "'_' and '-'", what, s);
	return 0;
}

static int check_hex(const char *s, size_t len, const char *what, gw_error *err)
{
	if (strnlen(s, len + 1) != len)
		return gw_fail(err, GW_E_INVAL, "%s is not %zu lower-case hex digits", what, len);
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return gw_fail(err, GW_E_INVAL, "%s is not %zu lower-case hex digits",
				       what, len);
	return 0;
}

/* Text within its buffer and non-empty. */
static int check_filled(const char *s, size_t cap, const char *what, gw_error *err)
{
	size_t n = strnlen(s, cap + 1);

	if (n == 0 || n > cap)
		return gw_fail(err, GW_E_INVAL, "release %s is empty or too long", what);
	return 0;
}

/* 0..STORE_BOOT_FILES_MAX files, each path "/" then printable ASCII without a
 * space (MANIFEST_BOOT_PATH_MAX's rule), no path and no digest twice. */
static int check_boot_files(const struct store_boot_file *f, size_t n, gw_error *err)
{
	if (n > STORE_BOOT_FILES_MAX || (n && !f))
		return gw_fail(err, GW_E_INVAL, "a release has at most %d boot files",
			       STORE_BOOT_FILES_MAX);
	for (size_t i = 0; i < n; i++) {
		size_t len = strnlen(f[i].path, sizeof(f[i].path));

		if (len == 0 || len > STORE_BOOT_PATH_MAX || f[i].path[0] != '/')
			return gw_fail(err, GW_E_INVAL, "boot file path %zu is malformed", i);
		for (size_t k = 0; k < len; k++)
			if (f[i].path[k] <= ' ' || f[i].path[k] > '~')
				return gw_fail(err, GW_E_INVAL, "boot file path %zu is malformed", i);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(f[i].path, f[j].path) ||
			    !memcmp(f[i].sha256, f[j].sha256, sizeof(f[i].sha256)))
				return gw_fail(err, GW_E_INVAL, "boot file %s: its path or digest "
						      "is listed twice", f[i].path);
	}
	return 0;
}

static int check_release(const struct store_release *r, gw_error *err)
{
	int rc;

	if ((rc = check_hex(r->id, STORE_RELEASE_ID_LEN, "release id", err)) ||
	    (rc = check_hex(r->manifest_sha256, 2 * STORE_HASH_LEN, "manifest sha256", err)) ||
	    (rc = check_hex(r->sha256, 2 * STORE_HASH_LEN, "bundle sha256", err)) ||
	    (rc = check_name(r->channel, STORE_CHANNEL_MAX, "channel", err)) ||
	    (rc = check_filled(r->version, STORE_RELEASE_VERSION_MAX, "version", err)) ||
	    (rc = check_filled(r->bundle_path, STORE_PATH_MAX, "bundle path", err)) ||
	    (rc = check_filled(r->added_by, STORE_ACTOR_MAX, "added_by", err)))
		return rc;
	if (strncmp(r->id, r->manifest_sha256, STORE_RELEASE_ID_LEN))
		return gw_fail(err, GW_E_INVAL, "release id is not its manifest digest's prefix");
	if (r->nmodels == 0 || r->nmodels > STORE_RELEASE_MODELS)
		return gw_fail(err, GW_E_INVAL, "a release is for 1 to %d models",
			       STORE_RELEASE_MODELS);
	for (size_t i = 0; i < r->nmodels; i++) {
		if (check_filled(r->models[i], STORE_MODEL_MAX, "model", err))
			return GW_E_INVAL;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(r->models[i], r->models[j]))
				return gw_fail(err, GW_E_INVAL, "model %s listed twice",
					       r->models[i]);
	}
	if (r->security_version > INT64_MAX || r->size == 0 || r->size > INT64_MAX ||
	    r->rollout > 100 || r->approved || r->withdrawn ||
	    (r->notes && strnlen(r->notes, STORE_NOTES_MAX + 1) > STORE_NOTES_MAX) ||
	    (!r->critical && r->deadline))
		return gw_fail(err, GW_E_INVAL, "release %s: a field is out of range", r->id);
	return check_boot_files(r->boot_files, r->nboot_files, err);
}

void store_release_fini(struct store_release *r)
{
	if (!r)
		return;
	free(r->notes);
	r->notes = NULL;
}

int store_release_put(struct store *st, const struct store_release *r,
		      const struct store_audit *audit, gw_error *err)
{
	int rc;

	if (!r)
		return gw_fail(err, GW_E_INVAL, "release is missing");
	if ((rc = check_release(r, err)) || (rc = store_check_audit(audit, err)))
		return rc;
	return st->ops->release_put(st, r, audit, err);
}

int store_release_get(struct store *st, const char *id, struct store_release *out,
		      gw_error *err)
{
	if (!id || !out)
		return gw_fail(err, GW_E_INVAL, "release id or output is missing");
	if (check_hex(id, STORE_RELEASE_ID_LEN, "release id", NULL))
		return gw_fail(err, GW_E_NOTFOUND, "no release '%.32s'", id);
	return st->ops->release_get(st, id, out, err);
}

int store_release_list(struct store *st, const char *model, store_release_cb cb, void *arg,
		       gw_error *err)
{
	if (!cb)
		return gw_fail(err, GW_E_INVAL, "callback is missing");
	if (model && strnlen(model, STORE_MODEL_MAX + 1) > STORE_MODEL_MAX)
		return gw_fail(err, GW_E_TOOBIG, "model is too long");
	return st->ops->release_list(st, model, cb, arg, err);
}

int store_release_change(struct store *st, const char *id, enum store_release_change what,
			 unsigned value, const struct store_audit *audit, gw_error *err)
{
	int rc;

	if (!id)
		return gw_fail(err, GW_E_INVAL, "release id is missing");
	if (check_hex(id, STORE_RELEASE_ID_LEN, "release id", NULL))
		return gw_fail(err, GW_E_NOTFOUND, "no release '%.32s'", id);
	if (what != STORE_REL_APPROVE && what != STORE_REL_WITHDRAW && what != STORE_REL_ROLLOUT)
		return gw_fail(err, GW_E_INVAL, "unknown release change");
	if (what == STORE_REL_ROLLOUT && value > 100)
		return gw_fail(err, GW_E_INVAL, "rollout %u is above 100 percent", value);
	if ((rc = store_check_audit(audit, err)))
		return rc;
	return st->ops->release_change(st, id, what, value, audit, err);
}

int store_release_boot_list(struct store *st, const char *model, store_release_boot_cb cb,
			    void *arg, gw_error *err)
{
	if (!cb)
		return gw_fail(err, GW_E_INVAL, "callback is missing");
	if (model && strnlen(model, STORE_MODEL_MAX + 1) > STORE_MODEL_MAX)
		return gw_fail(err, GW_E_TOOBIG, "model is too long");
	return st->ops->release_boot_list(st, model, cb, arg, err);
}

int store_release_boot_put(struct store *st, const char *id, const struct store_boot_file *files,
			   size_t n, gw_error *err)
{
	int rc;

	if (!id)
		return gw_fail(err, GW_E_INVAL, "release id is missing");
	if (check_hex(id, STORE_RELEASE_ID_LEN, "release id", NULL))
		return gw_fail(err, GW_E_NOTFOUND, "no release '%.32s'", id);
	if ((rc = check_boot_files(files, n, err)))
		return rc;
	return st->ops->release_boot_put(st, id, files, n, err);
}

int store_device_set_channel(struct store *st, const char *id, const char *channel,
			     const struct store_audit *audit, gw_error *err)
{
	int rc;

	if ((rc = store_check_device_id(id, err)) ||
	    (channel && (rc = check_name(channel, STORE_CHANNEL_MAX, "channel", err))) ||
	    (rc = store_check_audit(audit, err)))
		return rc;
	return st->ops->device_set_channel(st, id, channel, audit, err);
}
