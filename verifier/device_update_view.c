// SPDX-License-Identifier: Apache-2.0
// The operator's view of a device's stored update state: JSON and text lines.
#include "device_update_view.h"

#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "jsonobj.h"

static void add_time(json_object *o, const char *key, int64_t ts)
{
	char t[CLI_TIME_LEN], key_epoch[64];

	cli_time_format(ts, t);
	json_object_object_add(o, key, json_object_new_string(t));
	snprintf(key_epoch, sizeof(key_epoch), "%s_epoch", key);
	json_object_object_add(o, key_epoch, json_object_new_int64(ts));
}

static json_object *event_json(const struct store_update_event *e)
{
	json_object *o;

	if (!e->present)
		return NULL;
	o = json_object_new_object();
	if (!o)
		return NULL;
	json_object_object_add(o, "release", e->release_id[0] ? json_object_new_string(e->release_id)
							      : NULL);
	json_object_object_add(o, "version", json_object_new_string(e->version));
	json_object_object_add(o, "manifest_sha256", json_object_new_string(e->manifest_sha256));
	json_object_object_add(o, "security_version",
			       e->has_security_version ? json_object_new_uint64(e->security_version)
						       : NULL);
	return o;
}

int device_update_view_json(struct store *st, const char *device_id, uint64_t counter,
			    json_object **out, gw_error *err)
{
	struct store_device_update u;
	json_object *o, *run, *last;
	int rc = store_device_update_get(st, device_id, &u, err);

	*out = NULL;
	if (rc == GW_E_NOTFOUND)
		return 0;
	if (rc)
		return rc;
	o = json_object_new_object();
	if (!o)
		return GW_E_NOMEM;
	/* A round that found the running release below the counter is contraindicated
	 * and records no counter: the value it judged against counts too. */
	if (u.has_judged_counter && u.judged_counter > counter)
		counter = u.judged_counter;
	run = event_json(&u.running);
	if (run)
		json_object_object_add(run, "below_counter",
				       u.running.has_security_version
					       ? json_object_new_boolean(
							 u.running.security_version < counter)
					       : NULL);
	json_object_object_add(o, "running", run);
	json_object_object_add(o, "trial_pending", json_object_new_boolean(u.trial.present));
	json_object_object_add(o, "trial", event_json(&u.trial));
	last = event_json(&u.outcome);
	if (last) {
		json_object_object_add(last, "kind", json_object_new_string(u.outcome.kind));
		add_time(last, "at", u.outcome.at);
	}
	json_object_object_add(o, "last_outcome", last);
	json_object_object_add(o, "ignored_records", json_object_new_uint64(u.ignored));
	add_time(o, "updated", u.updated);
	*out = o;
	return 0;
}

/* "2.0 (release 3f2a..., security version 3)" or "2.0 (not a stored release,
 * manifest sha256:1234...)". */
static void event_text(json_object *e, char *buf, size_t len)
{
	const char *rel = gw_json_str(e, "release"), *sv = gw_json_str(e, "security_version");

	if (rel)
		snprintf(buf, len, "%s (release %s, security version %s)", gw_json_str(e, "version"), rel,
			 sv ? sv : "?");
	else
		snprintf(buf, len, "%s (not a stored release, manifest sha256:%.16s...)",
			 gw_json_str(e, "version"), gw_json_str(e, "manifest_sha256"));
}

void device_update_view_print(json_object *upd)
{
	json_object *e, *b;
	char text[256];

	if (!upd) {
		printf("%-20s %s\n", "Running release", "unknown (no authentic log seen yet)");
		return;
	}
	if (json_object_object_get_ex(upd, "running", &e) && e) {
		event_text(e, text, sizeof(text));
		if (!json_object_object_get_ex(e, "below_counter", &b) || !b)
			printf("%-20s %s; not judged against the counter\n", "Running release", text);
		else
			printf("%-20s %s%s\n", "Running release", text,
			       json_object_get_boolean(b) ? " BELOW THE COUNTER" : "");
	} else {
		printf("%-20s %s\n", "Running release", "none recorded in this boot's log");
	}
	if (json_object_object_get_ex(upd, "trial", &e) && e) {
		event_text(e, text, sizeof(text));
		printf("%-20s pending: %s\n", "Trial", text);
	} else {
		printf("%-20s %s\n", "Trial", "none");
	}
	if (json_object_object_get_ex(upd, "last_outcome", &e) && e) {
		event_text(e, text, sizeof(text));
		printf("%-20s %s %s, seen %s\n", "Last update", gw_json_str(e, "kind"), text,
		       gw_json_str(e, "at"));
	} else {
		printf("%-20s %s\n", "Last update", "none seen");
	}
	if (gw_json_str(upd, "ignored_records") && strcmp(gw_json_str(upd, "ignored_records"), "0"))
		printf("%-20s %s (not believed: digest is not the hash of the text)\n",
		       "Ignored records", gw_json_str(upd, "ignored_records"));
}
