// SPDX-License-Identifier: Apache-2.0
// The offered releases of one device (release_offer.h).
#include "release_offer.h"

struct offer_ctx {
	const struct release_device *d;
	const struct gwpol_update *upd;
	int64_t now;
	unsigned max_age;
	json_object *arr;
};

json_object *release_offer_entry(const struct store_release *r)
{
	json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	json_object_object_add(o, "id", json_object_new_string(r->id));
	json_object_object_add(o, "version", json_object_new_string(r->version));
	json_object_object_add(o, "security_version",
			       json_object_new_int64((int64_t)r->security_version));
	json_object_object_add(o, "size", json_object_new_int64((int64_t)r->size));
	json_object_object_add(o, "sha256", json_object_new_string(r->sha256));
	json_object_object_add(o, "reboot_required", json_object_new_boolean(r->reboot_required));
	json_object_object_add(o, "critical", json_object_new_boolean(r->critical));
	json_object_object_add(o, "deadline", r->deadline ? json_object_new_int64(r->deadline)
							  : NULL);
	return o;
}

static int offer_cb(const struct store_release *r, void *arg)
{
	struct offer_ctx *oc = arg;
	json_object *o;

	if (release_eligible(r, oc->d, oc->upd, oc->now, oc->max_age) != RELEASE_ELIGIBLE)
		return 0;
	o = release_offer_entry(r);
	if (!o || json_object_array_add(oc->arr, o)) {
		json_object_put(o);
		return GW_E_NOMEM;
	}
	return 0;
}

int release_offer_json(struct store *st, const struct release_device *d,
		       const struct gwpol_update *upd, int64_t now, unsigned max_age,
		       json_object **out, gw_error *err)
{
	struct offer_ctx oc = { d, upd, now, max_age, json_object_new_array() };
	int rc;

	if (!oc.arr)
		return GW_E_NOMEM;
	rc = store_release_list(st, d->model, offer_cb, &oc, err);
	if (rc) {
		json_object_put(oc.arr);
		return rc;
	}
	*out = oc.arr;
	return 0;
}
