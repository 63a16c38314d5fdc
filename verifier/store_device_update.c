// SPDX-License-Identifier: Apache-2.0
// The store's per-device update state: argument checks in front of the backend's
// operations (store.h, "what a device's authentic agent log says of its updates").
#include <stdint.h>
#include <string.h>

#include "store_impl.h"

int store_device_update_get(struct store *st, const char *device_id,
			    struct store_device_update *out, gw_error *err)
{
	int rc = store_check_device_id(device_id, err);

	if (rc)
		return rc;
	if (!out)
		return gw_fail(err, GW_E_INVAL, "store: update state: no output");
	return st->ops->device_update_get(st, device_id, out, err);
}

static bool hex64(const char *s)
{
	if (strlen(s) != 2 * STORE_HASH_LEN)
		return false;
	for (size_t i = 0; s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static bool event_ok(const struct store_update_event *e)
{
	if (!e->present)
		return true;
	return hex64(e->manifest_sha256) &&
	       strnlen(e->kind, sizeof(e->kind)) < sizeof(e->kind) &&
	       strnlen(e->release_id, sizeof(e->release_id)) < sizeof(e->release_id) &&
	       strnlen(e->version, sizeof(e->version)) < sizeof(e->version) &&
	       e->version[0] && e->security_version <= INT64_MAX;
}

int store_device_update_put(struct store *st, const char *device_id,
			    const struct store_device_update *u, gw_error *err)
{
	int rc = store_check_device_id(device_id, err);

	if (rc)
		return rc;
	if (!u || !event_ok(&u->running) || !event_ok(&u->trial) || !event_ok(&u->outcome) ||
	    (u->outcome.present && !u->outcome.kind[0]) || u->position > INT64_MAX ||
	    u->ignored > INT64_MAX || u->judged_counter > INT64_MAX)
		return gw_fail(err, GW_E_INVAL, "store: update state of %s: bad field", device_id);
	return st->ops->device_update_put(st, device_id, u, err);
}

int store_device_update_list(struct store *st, store_device_update_cb cb, void *arg,
			     gw_error *err)
{
	if (!cb)
		return gw_fail(err, GW_E_INVAL, "store: update state: no callback");
	return st->ops->device_update_list(st, cb, arg, err);
}
