/* SPDX-License-Identifier: Apache-2.0 */
/* The operator's view of a device's stored update state (store_device_update_get):
 * the JSON `device show` and `device list --json` print as "update", and the text
 * lines of `device show`. */
#ifndef GW_VERIFIER_DEVICE_UPDATE_VIEW_H
#define GW_VERIFIER_DEVICE_UPDATE_VIEW_H

#include <stdint.h>

#include <json-c/json.h>

#include "store.h"

/* {"running": {...} | null, "trial_pending", "trial": {...} | null, "last_outcome":
 * {...} | null, "ignored_records", "updated", "updated_epoch"}, each event {"release"
 * (or null: not a stored release), "version", "manifest_sha256", "security_version"
 * (or null)}, running also "below_counter" (true, false, or null when not judged),
 * last_outcome also "kind", "at", "at_epoch". *out is NULL when the device has no
 * stored update state (no authentic log seen since schema 11). counter: the
 * device's certified security version. */
int device_update_view_json(struct store *st, const char *device_id, uint64_t counter,
			    json_object **out, gw_error *err) GW_WUR;

/* The text lines of `device show` for that object (NULL: "no authentic log yet"). */
void device_update_view_print(json_object *upd);

#endif
