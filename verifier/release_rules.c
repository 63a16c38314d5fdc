// SPDX-License-Identifier: Apache-2.0
// Release eligibility (release_rules.h): no I/O, no clock, no store.
#include "release_rules.h"

#include <string.h>

#include <openssl/evp.h>

void release_device_from_store(const struct store_device *sd, const char *default_channel,
			       struct release_device *d)
{
	memset(d, 0, sizeof(*d));
	d->id = sd->id;
	d->model = sd->model;
	d->channel = sd->channel[0] ? sd->channel : default_channel;
	d->state = sd->state;
	d->attested = sd->attested;
	d->last_attest_at = sd->last_attest_at;
	d->last_status = sd->last_status;
	d->security_version = sd->security_version;
}

void release_device_running(struct release_device *d, const struct store_release *r)
{
	d->has_running = r != NULL;
	d->running_id = r ? r->id : NULL;
	d->running_security_version = r ? r->security_version : 0;
	d->running_added_at = r ? r->added_at : 0;
}

/* Not the running release nor one older: a lower security version, or the same
 * one added before it (ties by id, so that two releases added in the same second
 * still have an order). Offering those would make a `gwagent run` loop cycle. */
static bool newer_than_running(const struct store_release *r, const struct release_device *d)
{
	if (!d->has_running)
		return true;
	if (!strcmp(r->id, d->running_id))
		return false;
	if (r->security_version != d->running_security_version)
		return r->security_version > d->running_security_version;
	if (r->added_at != d->running_added_at)
		return r->added_at > d->running_added_at;
	return strcmp(r->id, d->running_id) > 0;
}

unsigned release_cohort(const char *device_id, const char *release_id)
{
	uint8_t buf[7 + STORE_ID_MAX + STORE_RELEASE_ID_LEN], md[32];
	size_t a = strlen(device_id), b = strlen(release_id);
	uint32_t v;

	/* Longer ids are not stored ones: outside every rollout. */
	if (a > STORE_ID_MAX || b > STORE_RELEASE_ID_LEN)
		return 100;
	memcpy(buf, "rollout", 7);
	memcpy(buf + 7, device_id, a);
	memcpy(buf + 7 + a, release_id, b);
	if (EVP_Digest(buf, 7 + a + b, md, NULL, EVP_sha256(), NULL) != 1)
		return 100;
	v = (uint32_t)md[0] << 24 | (uint32_t)md[1] << 16 | (uint32_t)md[2] << 8 | md[3];
	return v % 100;
}

static bool for_model(const struct store_release *r, const char *model)
{
	for (size_t i = 0; i < r->nmodels; i++)
		if (!strcmp(r->models[i], model))
			return true;
	return false;
}

static bool channel_allowed(const struct gwpol_update *upd, const char *channel)
{
	if (!upd || upd->n_channels == 0)
		return true;
	for (size_t i = 0; i < upd->n_channels; i++)
		if (!strcmp(upd->channels[i], channel))
			return true;
	return false;
}

/* The device's side: state and a fresh affirming attestation (for an end-of-life
 * transition also one whose only finding is the end of support). */
static enum release_verdict device_ok(const struct release_device *d, bool eol_release,
				      int64_t now, unsigned max_age)
{
	bool eol_only = d->warning_is_eol && d->last_status && !strcmp(d->last_status, "warning");

	if (d->state != STORE_DEV_ENROLLED)
		return RELEASE_DEVICE_STATE;
	if (!d->attested)
		return RELEASE_NOT_ATTESTED;
	if (!d->last_status || (strcmp(d->last_status, "affirming") && !eol_only))
		return RELEASE_NOT_AFFIRMING;
	if (eol_only && !eol_release)
		return RELEASE_END_OF_SUPPORT;
	/* A time ahead of now (a clock step back) is not fresh either. */
	if (d->last_attest_at > now || now - d->last_attest_at > (int64_t)max_age)
		return RELEASE_STALE;
	return RELEASE_ELIGIBLE;
}

enum release_verdict release_eligible(const struct store_release *r,
				      const struct release_device *d,
				      const struct gwpol_update *upd, int64_t now,
				      unsigned max_age)
{
	enum release_verdict v;

	if (r->withdrawn)
		return RELEASE_WITHDRAWN;
	if (r->requires_approval && !r->approved)
		return RELEASE_NOT_APPROVED;
	if (d->state != STORE_DEV_ENROLLED)
		return RELEASE_DEVICE_STATE;
	if (!for_model(r, d->model))
		return RELEASE_WRONG_MODEL;
	if (!d->channel || strcmp(r->channel, d->channel))
		return RELEASE_WRONG_CHANNEL;
	if (!channel_allowed(upd, d->channel))
		return RELEASE_CHANNEL_POLICY;
	v = device_ok(d, r->eol_transition, now, max_age);
	if (v != RELEASE_ELIGIBLE)
		return v;
	if (r->security_version < d->security_version)
		return RELEASE_BELOW_COUNTER;
	if (!newer_than_running(r, d))
		return RELEASE_NOT_NEWER;
	if (upd && upd->has_min_security_version &&
	    r->security_version < upd->min_security_version)
		return RELEASE_BELOW_POLICY;
	if (upd && upd->has_end_of_support && now >= upd->support_ends && !r->eol_transition)
		return RELEASE_END_OF_SUPPORT;
	if (release_cohort(d->id, r->id) >= r->rollout)
		return RELEASE_NOT_IN_COHORT;
	return RELEASE_ELIGIBLE;
}

const char *release_verdict_name(enum release_verdict v)
{
	static const char *const names[RELEASE_VERDICT_COUNT] = {
		[RELEASE_ELIGIBLE] = "eligible",
		[RELEASE_WITHDRAWN] = "withdrawn",
		[RELEASE_NOT_APPROVED] = "not-approved",
		[RELEASE_DEVICE_STATE] = "device-not-enrolled",
		[RELEASE_WRONG_MODEL] = "wrong-model",
		[RELEASE_WRONG_CHANNEL] = "wrong-channel",
		[RELEASE_CHANNEL_POLICY] = "channel-not-in-policy",
		[RELEASE_NOT_ATTESTED] = "not-attested",
		[RELEASE_NOT_AFFIRMING] = "not-affirming",
		[RELEASE_STALE] = "attestation-stale",
		[RELEASE_BELOW_COUNTER] = "below-security-counter",
		[RELEASE_BELOW_POLICY] = "below-policy-minimum",
		[RELEASE_END_OF_SUPPORT] = "end-of-support",
		[RELEASE_NOT_IN_COHORT] = "not-in-rollout",
		[RELEASE_NOT_NEWER] = "not-newer",
	};

	if ((unsigned)v >= RELEASE_VERDICT_COUNT)
		return "unknown";
	return names[v];
}
