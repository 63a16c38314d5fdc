/* SPDX-License-Identifier: Apache-2.0 */
/* The releases a device is offered: the stored releases for its model that
 * release_eligible() lets through, as the JSON of the attest answer and its EAR. */
#ifndef GW_VERIFIER_RELEASE_OFFER_H
#define GW_VERIFIER_RELEASE_OFFER_H

#include <json-c/json.h>

#include "release_rules.h"

/* A JSON array, oldest release first, of {"id", "version", "security_version",
 * "size", "sha256", "reboot_required", "critical", "deadline" (seconds since the
 * epoch, or null)}; empty when nothing is eligible. *out is the caller's. */
int release_offer_json(struct store *st, const struct release_device *d,
		       const struct gwpol_update *upd, int64_t now, unsigned max_age,
		       json_object **out, gw_error *err) GW_WUR;

/* One release as it is offered (the same object as in the array). NULL on
 * allocation failure. */
json_object *release_offer_entry(const struct store_release *r);

#endif
