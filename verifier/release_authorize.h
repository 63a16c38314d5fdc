/* SPDX-License-Identifier: Apache-2.0 */
/* The update authorization of an attestation round whose evidence carries an
 * update_request (doc/updates.md, "The authorization round"): granted only to an
 * affirming device for a release among this round's offers, and for an encrypted
 * release only to a device with a registered update key. A grant is the EAR's
 * submods.gatewarden["gatewarden.authorization"]: release, manifest digest and
 * expiry, and for an encrypted release the content key wrapped to the device's
 * update key and the gate key's PolicySigned authorization over the device's
 * nonceTPM and that wrap's ECDH (cpHash). */
#ifndef GW_VERIFIER_RELEASE_AUTHORIZE_H
#define GW_VERIFIER_RELEASE_AUTHORIZE_H

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#include "evidence.h"
#include "service.h"
#include "service_updates.h"

#define RELEASE_AUTHZ_REASON_MAX 96

struct release_authz {
	bool requested;		/* the evidence asked for one */
	bool granted;
	char release[EVIDENCE_RELEASE_ID_LEN + 1];
	/* refused: "not-affirming", "unknown-release", "not-offered[: RULE]",
	 * "no-update-key", "verifier-error" */
	char reason[RELEASE_AUTHZ_REASON_MAX];
	int64_t expires_at;
	json_object *claim;	/* granted: the EAR's gatewarden.authorization */
};

/* Decide the request of ev for dev, whose appraisal came out status and whose
 * offered releases (release_offer_json) are offered; pol the model's policy or
 * NULL; upd the round's update records (the running release), or NULL. Fills *out (release_authz_fini frees it); a failure of the verifier itself
 * is a refusal "verifier-error", logged. The content key is wiped on every path. */
void release_authorize(struct service_worker *w, const struct store_device *dev,
		       const struct service_updates *upd, const struct evidence *ev,
		       const char *status, json_object *offered, const struct gwpol *pol,
		       int64_t now, struct release_authz *out);
void release_authz_fini(struct release_authz *a);

/* For the attest answer: {"release", "granted"[, "reason"]}; NULL when none was
 * requested or out of memory. */
json_object *release_authz_answer(const struct release_authz *a);
/* Append the audit record release.authorize ok / refused (actor "device:ID") in
 * the caller's store transaction, so that a granted authorization and its record
 * are stored together or not at all; nothing when none was requested. The store's
 * code. */
int release_authz_audit(struct store *st, const char *device_id, const struct release_authz *a,
			int64_t now, gw_error *err) GW_WUR;

#endif
