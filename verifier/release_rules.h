/* SPDX-License-Identifier: Apache-2.0 */
/* Which releases a device may be offered and served: pure functions of the
 * release, what the verifier knows of the device, the model's policy and the time.
 * Used by the attest answer (offered releases) and GET /v1/releases/ID/bundle. */
#ifndef GW_VERIFIER_RELEASE_RULES_H
#define GW_VERIFIER_RELEASE_RULES_H

#include <stdbool.h>
#include <stdint.h>

#include "gwpol.h"
#include "store.h"

/* Why a release is not for a device; RELEASE_ELIGIBLE when it is. The order is
 * the order of the checks: the first that fails is the one reported. */
enum release_verdict {
	RELEASE_ELIGIBLE = 0,
	RELEASE_WITHDRAWN,       /* the operator withdrew it */
	RELEASE_NOT_APPROVED,    /* it requires approval, not given yet */
	RELEASE_DEVICE_STATE,    /* the device is not enrolled (pending, revoked) */
	RELEASE_WRONG_MODEL,     /* not built for the device's model */
	RELEASE_WRONG_CHANNEL,   /* another channel than the device's */
	RELEASE_CHANNEL_POLICY,  /* the model's policy does not list the device's channel */
	RELEASE_NOT_ATTESTED,    /* no attestation recorded */
	RELEASE_NOT_AFFIRMING,   /* the last attestation was not affirming */
	RELEASE_STALE,           /* the last attestation is older than the maximum age */
	RELEASE_BELOW_COUNTER,   /* security version below the device's certified counter */
	RELEASE_BELOW_POLICY,    /* below the policy's update.min_security_version */
	RELEASE_END_OF_SUPPORT,  /* past the policy's end_of_support, not an EOL transition */
	RELEASE_NOT_IN_COHORT,   /* the device is outside the rollout percentage */
	RELEASE_NOT_NEWER,       /* the release the device runs, or older than it */
};
#define RELEASE_VERDICT_COUNT (RELEASE_NOT_NEWER + 1)

/* What eligibility needs of a device. */
struct release_device {
	const char *id;
	const char *model;
	const char *channel;       /* its channel, the default already applied */
	enum store_device_state state;
	bool attested;
	int64_t last_attest_at;
	const char *last_status;   /* "affirming", ... */
	/* last_status is "warning" and its one finding is the model's end of support
	 * (verdict_warning_is_eol): enough for an end-of-life transition only. */
	bool warning_is_eol;
	uint64_t security_version; /* certified counter value; 0 when none */
	/* The stored release its authentic log says it runs (release_device_running);
	 * has_running false when that is unknown: then only the counter judges. */
	bool has_running;
	const char *running_id;
	uint64_t running_security_version;
	int64_t running_added_at;
};

/* Fill d's running release from a stored one (NULL: unknown). r is borrowed. */
void release_device_running(struct release_device *d, const struct store_release *r);

/* Fill d from a stored device; default_channel stands for an empty channel. The
 * pointers borrow from sd. */
void release_device_from_store(const struct store_device *sd, const char *default_channel,
			       struct release_device *d);

/* The stable rollout cohort of a device for a release, 0..99: the first 4 bytes
 * (big-endian) of SHA-256("rollout" || device_id || release_id) modulo 100. A
 * device is in a rollout of P percent when its cohort is below P. 100 (in no
 * rollout) for ids longer than stored ones or when hashing fails. */
unsigned release_cohort(const char *device_id, const char *release_id);

/* Decide. upd: the model's policy's update rules, NULL when the model has no policy
 * (or none with an "update" member). max_age: seconds an attestation stays fresh. */
enum release_verdict release_eligible(const struct store_release *r,
				      const struct release_device *d,
				      const struct gwpol_update *upd, int64_t now,
				      unsigned max_age);

/* A short name for logs and answers ("withdrawn", "not-affirming", ...). */
const char *release_verdict_name(enum release_verdict v);

#endif
