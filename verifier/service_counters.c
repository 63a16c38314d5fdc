// SPDX-License-Identifier: Apache-2.0
// A round's certified anti-rollback counters (doc/evidence.md, "Certified
// anti-rollback counters"): verified against the AK and the round's nonce, then
// compared with what the device certified before. A channel whose NV names
// changed had its indices replaced; a security version below the recorded one
// went backwards; a recorded channel the round leaves out is hidden. Each
// contraindicates the round, which then records nothing.
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "counter_nv.h"
#include "evidence.h"
#include "gwpol.h"
#include "service.h"
#include "util.h"

_Static_assert(STORE_MAX_COUNTERS == EVIDENCE_MAX_COUNTERS, "one row per certified channel");
_Static_assert(STORE_COUNTER_NAME_LEN == sizeof(((struct counter_certified *)0)->counter_name),
	       "SHA-256 NV names");
_Static_assert(STORE_CHANNEL_MAX == COUNTER_NAME_MAX, "a channel's name");

static void to_store(const struct counter_certified *v, struct store_counter *c)
{
	memset(c, 0, sizeof(*c));
	memcpy(c->channel, v->channel, sizeof(c->channel));
	memcpy(c->counter_name, v->counter_name, sizeof(c->counter_name));
	memcpy(c->baseline_name, v->baseline_name, sizeof(c->baseline_name));
	c->counter_index = v->counter_index;
	c->baseline_index = v->baseline_index;
	c->security_version = v->security_version;
}

/* The audit record's list: [{"channel":..,"security_version":..}, ...]; an empty
 * list when it does not fit. */
static void seen_json(const struct service_counters *sc, char *buf, size_t len)
{
	json_object *arr = json_object_new_array();
	const char *s;

	for (size_t i = 0; arr && i < sc->n; i++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "channel", json_object_new_string(sc->c[i].channel));
		json_object_object_add(o, "security_version",
				       json_object_new_int64((int64_t)sc->c[i].security_version));
		json_object_array_add(arr, o);
	}
	s = arr ? json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN) : NULL;
	if (!s || gw_snprintf(buf, len, "%s", s))
		snprintf(buf, len, "[]");
	json_object_put(arr);
}

/* The recorded row of channel in have[0..nhave-1], or NULL. */
static const struct store_counter *recorded(const struct store_counter *have, size_t nhave,
					    const char *channel)
{
	for (size_t i = 0; i < nhave; i++)
		if (strcmp(have[i].channel, channel) == 0)
			return &have[i];
	return NULL;
}

/* A channel of sc's, or NULL. */
static const struct store_counter *certified(const struct service_counters *sc,
					     const char *channel)
{
	for (size_t i = 0; i < sc->n; i++)
		if (strcmp(sc->c[i].channel, channel) == 0)
			return &sc->c[i];
	return NULL;
}

/* 0 when every certified counter continues its recorded one and every recorded
 * channel is certified; otherwise claims. */
static int compare(const struct service_counters *sc, const struct store_counter *have,
		   size_t nhave, struct gwpol_report *rep)
{
	int bad = 0;

	for (size_t i = 0; i < sc->n; i++) {
		const struct store_counter *c = &sc->c[i], *r = recorded(have, nhave, c->channel);

		if (!r)
			continue;
		if (memcmp(r->counter_name, c->counter_name, STORE_COUNTER_NAME_LEN) ||
		    memcmp(r->baseline_name, c->baseline_name, STORE_COUNTER_NAME_LEN)) {
			gwpol_report_add(rep, GWPOL_CLAIM_CONFIGURATION,
					 GWPOL_TIER_CONTRAINDICATED, "counters",
					 "channel '%s': counter indices replaced (certified "
					 "0x%08" PRIx32 "/0x%08" PRIx32 ", recorded 0x%08" PRIx32
					 "/0x%08" PRIx32 " under other NV names)",
					 c->channel, c->counter_index, c->baseline_index,
					 r->counter_index, r->baseline_index);
			bad = 1;
		} else if (c->security_version < r->security_version) {
			gwpol_report_add(rep, GWPOL_CLAIM_CONFIGURATION,
					 GWPOL_TIER_CONTRAINDICATED, "counters",
					 "channel '%s': counter went backwards (security version "
					 "%" PRIu64 ", recorded %" PRIu64 ")",
					 c->channel, c->security_version, r->security_version);
			bad = 1;
		}
	}
	/* Leaving a channel out would hide whatever its counter shows now. */
	for (size_t i = 0; i < nhave; i++) {
		if (certified(sc, have[i].channel))
			continue;
		gwpol_report_add(rep, GWPOL_CLAIM_CONFIGURATION, GWPOL_TIER_CONTRAINDICATED,
				 "counters", "channel '%s': recorded counter (security version "
				 "%" PRIu64 ", 0x%08" PRIx32 "/0x%08" PRIx32 ") not certified "
				 "in this round; an operator retires a channel with 'gwverifier "
				 "device retire-channel'", have[i].channel,
				 have[i].security_version, have[i].counter_index,
				 have[i].baseline_index);
		bad = 1;
	}
	return bad;
}

int service_counters_compare(struct store *st, const char *device_id,
			     struct service_counters *sc, struct gwpol_report *rep,
			     gw_error *err)
{
	struct store_counter have[STORE_MAX_COUNTERS];
	size_t nhave = 0;
	int rc;

	sc->ok = false;
	rc = store_counters_get(st, device_id, have, STORE_MAX_COUNTERS, &nhave, err);
	if (rc) {
		gwpol_report_add(rep, GWPOL_CLAIM_CONFIGURATION, GWPOL_TIER_CONTRAINDICATED,
				 "counters", "the recorded counters cannot be read%s",
				 rc == GW_E_TOOBIG ? " (more channels than a round certifies: "
						     "retire the old ones)" : "");
		return rc;
	}
	if (compare(sc, have, nhave, rep))
		return 0;
	sc->ok = true;
	return 0;
}

void service_counters_check(struct service_worker *w, struct store_device *dev,
			    const struct evidence *ev, EVP_PKEY *ak, struct gwpol_report *rep,
			    struct service_counters *out)
{
	struct counter_certified v[EVIDENCE_MAX_COUNTERS];
	uint8_t q[64];
	size_t qlen = 0;
	gw_error err = { { 0 } };
	int rc;

	memset(out, 0, sizeof(*out));
	snprintf(out->seen, sizeof(out->seen), "[]");
	if (ev->ncounters) {
		/* Over the quote's qualifying data: the nonce, or with an update
		 * request SHA-256(nonce || nonceTPM). */
		rc = evidence_qualifying_data(ev, q, &qlen);
		if (!rc)
			rc = evidence_counters_verify(ev, ak, q, qlen, v, &err);
		if (rc) {
			gwpol_report_add(rep, GWPOL_CLAIM_CONFIGURATION,
					 GWPOL_TIER_CONTRAINDICATED, "counters",
					 "anti-rollback counters: %s", gw_error_msg(&err, rc));
			return;
		}
	}
	for (size_t i = 0; i < ev->ncounters; i++)
		to_store(&v[i], &out->c[i]);
	out->n = ev->ncounters;
	seen_json(out, out->seen, sizeof(out->seen));
	/* Also without counters in the round: a recorded channel must be there. */
	rc = service_counters_compare(w->st, dev->id, out, rep, &err);
	if (rc)
		service_log("attest: counters of %s: %s", dev->id, gw_error_msg(&err, rc));
	if (!out->ok)
		return;
	/* The highest value certified, as the store will record it (store.h). */
	for (size_t i = 0; i < out->n; i++)
		if (out->c[i].security_version > dev->security_version)
			dev->security_version = out->c[i].security_version;
}
