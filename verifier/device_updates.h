/* SPDX-License-Identifier: Apache-2.0 */
/* What a device's attested agent log says about its updates, for `device show`: the
 * release its boot service measured as running in this boot, and the last update
 * record after it (staged, committed, rolled back, fell back). Only the device's
 * stored log counts, which the verifier keeps only after its replay matched a
 * genuine quote: the manifest digests are what PCR 14 was extended with; the kind
 * and version are the record's text, a hint bound to nothing (doc/verifier.md). */
#ifndef GW_VERIFIER_DEVICE_UPDATES_H
#define GW_VERIFIER_DEVICE_UPDATES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "store.h"
#include "update_event.h"

struct device_updates {
	bool has_running;
	struct update_event running;	/* the latest "running" record */
	bool has_last;
	struct update_event last;	/* the latest other update record */
	size_t ignored;			/* update records not well formed, or whose sha256
					 * digest is not the manifest digest they name */
};

/* Read the update records of PCR 14 from an agent log (CEL-JSON). GW_E_PARSE (and
 * cel_parse's codes) for a log that does not parse. */
int device_updates_read(const uint8_t *cel, size_t len, struct device_updates *out,
			gw_error *err) GW_WUR;

/* {"running": {...} | null, "last_event": {...} | null, "ignored_records"}, each event
 * {"kind", "group", "version", "manifest_sha256", "release" (the stored release with
 * that manifest, or null)} and "below_counter" for running. NULL without memory. */
json_object *device_updates_json(const struct device_updates *u, struct store *st);

#endif
