// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the agent's offers file (offers.json) and the release list of
// an attestation result: parse, and what parses must format and parse back to the
// same offers; the same bytes as a release list must merge or leave the offers as
// they were.
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonobj.h"
#include "update_offer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same(const struct update_offers *a, const struct update_offers *b)
{
	if (a->n != b->n)
		__builtin_trap();
	for (size_t i = 0; i < a->n; i++) {
		const struct update_offer *x = &a->offer[i], *y = &b->offer[i];

		if (strcmp(x->id, y->id) || strcmp(x->version, y->version) ||
		    x->security_version != y->security_version || x->size != y->size ||
		    memcmp(x->sha256, y->sha256, 32) || x->reboot_required != y->reboot_required ||
		    x->critical != y->critical || x->deadline != y->deadline ||
		    x->offered_at != y->offered_at || x->accepted != y->accepted ||
		    x->defer_until != y->defer_until || !x->notes != !y->notes ||
		    (x->notes && strcmp(x->notes, y->notes)))
			__builtin_trap();
	}
}

static void as_release_list(const struct update_offers *parsed, const uint8_t *data, size_t size)
{
	struct update_offers s;
	json_object *root = NULL, *arr;

	/* the offers array of a parsed file is a release list once the device's own
	 * fields are gone: it must merge */
	update_offers_init(&s);
	if (gw_json_object_parse(data, size, OFFERS_FILE_MAX, 6, "offers", &root, NULL) ||
	    !json_object_object_get_ex(root, "offers", &arr))
		__builtin_trap();
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		json_object *e = json_object_array_get_idx(arr, i);

		json_object_object_del(e, "offered_at");
		json_object_object_del(e, "accepted");
		json_object_object_del(e, "defer_until");
		/* a result gives the deadline in seconds */
		if (parsed->offer[i].deadline)
			json_object_object_add(e, "deadline",
					       json_object_new_int64(parsed->offer[i].deadline));
	}
	if (update_offers_merge(&s, arr, 1, NULL) || s.n != parsed->n)
		__builtin_trap();
	update_offers_fini(&s);
	json_object_put(root);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct update_offers s, back;
	char *text = NULL;
	size_t len = 0;
	int rc;

	rc = update_offers_parse(data, size, &s, NULL);
	if (rc) {
		if (rc != GW_E_PARSE && rc != GW_E_TOOBIG && rc != GW_E_TRAILING && rc != GW_E_NOMEM)
			__builtin_trap();
		if (s.n)
			__builtin_trap();
		return 0;
	}
	if (s.n > OFFER_MAX)
		__builtin_trap();
	as_release_list(&s, data, size);
	if (update_offers_format(&s, &text, &len)) {
		update_offers_fini(&s);
		return 0;
	}
	if (update_offers_parse((const uint8_t *)text, len, &back, NULL))
		__builtin_trap();
	same(&s, &back);
	update_offers_fini(&back);
	update_offers_fini(&s);
	free(text);
	return 0;
}
