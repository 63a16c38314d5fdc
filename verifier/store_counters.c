// SPDX-License-Identifier: Apache-2.0
// The store's certified anti-rollback counters: argument checks in front of the
// backend's operations (store.h, "certified anti-rollback counters").
#include <stdint.h>
#include <string.h>

#include "store_impl.h"

int store_counters_get(struct store *st, const char *device_id, struct store_counter *out,
		       size_t max, size_t *n, gw_error *err)
{
	int rc = store_check_device_id(device_id, err);

	if (rc)
		return rc;
	if (!out || !n)
		return gw_fail(err, GW_E_INVAL, "store: counters: no output");
	return st->ops->counters_get(st, device_id, out, max, n, err);
}

int store_counters_record(struct store *st, const char *device_id,
			  const struct store_counter *c, size_t n, int64_t now, gw_error *err)
{
	int rc = store_check_device_id(device_id, err);

	if (rc)
		return rc;
	if ((n && !c) || n > STORE_MAX_COUNTERS)
		return gw_fail(err, GW_E_INVAL, "store: counters: bad arguments");
	for (size_t i = 0; i < n; i++) {
		size_t len = strnlen(c[i].channel, sizeof(c[i].channel));

		if (len == 0 || len > STORE_CHANNEL_MAX || c[i].security_version > INT64_MAX)
			return gw_fail(err, GW_E_INVAL, "store: counter %zu: bad channel or "
				       "security version", i + 1);
	}
	return st->ops->counters_record(st, device_id, c, n, now, err);
}

int store_counters_retire(struct store *st, const char *device_id, const char *channel,
			  struct store_counter *out, const struct store_audit *audit,
			  gw_error *err)
{
	struct store_counter ignored;
	int rc = store_check_device_id(device_id, err);

	if (rc)
		return rc;
	if (!channel || channel[0] == '\0' || strlen(channel) > STORE_CHANNEL_MAX)
		return gw_fail(err, GW_E_INVAL, "store: counters: bad channel name");
	return st->ops->counters_retire(st, device_id, channel, out ? out : &ignored, audit,
					err);
}
