// SPDX-License-Identifier: Apache-2.0
// A device's update records as its attested agent log has them: the running
// release and the last update event, with the stored release each digest names.
#include "device_updates.h"

#include <string.h>

#include "cel.h"
#include "gwpol.h"
#include "util.h"

int device_updates_read(const uint8_t *cel, size_t len, struct device_updates *out,
			gw_error *err)
{
	struct cel_log *log = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = cel_parse(cel, len, &log, err);
	if (rc)
		return rc;
	for (size_t i = 0; i < log->n; i++) {
		const struct cel_record *r = &log->rec[i];
		const uint8_t *sha = cel_record_digest(r, TPM2_ALG_SHA256);
		struct update_event ev;

		if (r->pcr != GWPOL_TRUST_PCR || !r->event_type ||
		    strcmp(r->event_type, UPDATE_EVENT_TYPE))
			continue;
		/* the same test the policy's trust rules make: what it says it is */
		if (!r->string || update_event_parse(r->string, &ev, NULL) || !sha ||
		    memcmp(sha, ev.manifest_digest, sizeof(ev.manifest_digest))) {
			out->ignored++;
			continue;
		}
		if (ev.kind == UPDATE_EV_RUNNING) {
			out->running = ev;
			out->has_running = true;
		} else {
			out->last = ev;
			out->has_last = true;
		}
	}
	cel_free(log);
	return 0;
}

/* The stored release whose manifest is digest (its id is the digest's first 16 hex
 * digits), or NULL. */
static json_object *release_of(struct store *st, const char hex[65])
{
	struct store_release r;
	char id[17];
	json_object *o;

	memcpy(id, hex, 16);
	id[16] = '\0';
	memset(&r, 0, sizeof(r));
	if (store_release_get(st, id, &r, NULL))
		return NULL;
	o = strcmp(r.manifest_sha256, hex) ? NULL : json_object_new_string(r.id);
	store_release_fini(&r);
	return o;
}

static json_object *event_json(const struct update_event *ev, struct store *st)
{
	json_object *o = json_object_new_object();
	char hex[65], group[2] = { ev->group, '\0' };

	if (!o)
		return NULL;
	gw_hex_encode(ev->manifest_digest, sizeof(ev->manifest_digest), hex);
	json_object_object_add(o, "kind", json_object_new_string(update_event_kind_name(ev->kind)));
	json_object_object_add(o, "group", json_object_new_string(group));
	json_object_object_add(o, "version", json_object_new_string(ev->version));
	json_object_object_add(o, "manifest_sha256", json_object_new_string(hex));
	json_object_object_add(o, "release", release_of(st, hex));
	if (ev->kind == UPDATE_EV_RUNNING)
		json_object_object_add(o, "below_counter",
				       json_object_new_boolean(ev->below_counter));
	return o;
}

json_object *device_updates_json(const struct device_updates *u, struct store *st)
{
	json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	json_object_object_add(o, "running", u->has_running ? event_json(&u->running, st) : NULL);
	json_object_object_add(o, "last_event", u->has_last ? event_json(&u->last, st) : NULL);
	json_object_object_add(o, "ignored_records", json_object_new_uint64(u->ignored));
	return o;
}
