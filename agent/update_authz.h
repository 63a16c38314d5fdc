/* SPDX-License-Identifier: Apache-2.0 */
/* The update authorization a verified attestation result carries
 * (submods.gatewarden["gatewarden.authorization"], doc/updates.md "The
 * authorization round"): {"release", "manifest_sha256", "expires_at"[,
 * "wrapped_key", "gate"]}, read strictly, and the agent's checks of it against the
 * release it asked for, the bundle it holds and the result's own time. */
#ifndef GW_AGENT_UPDATE_AUTHZ_H
#define GW_AGENT_UPDATE_AUTHZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "gw_error.h"
#include "tpm_policy.h"

#define UPDATE_AUTHZ_RELEASE_LEN 16
#define UPDATE_AUTHZ_MAX 8192 /* its JSON text, bytes */

struct update_authz {
	char release[UPDATE_AUTHZ_RELEASE_LEN + 1];
	uint8_t manifest_sha256[32];
	int64_t expires_at;
	/* An encrypted release's: the content key wrapped for this device's update
	 * key (keywrap_check()ed; a reference, the struct's) and the gate's
	 * PolicySigned authorization of its unwrapping. */
	json_object *wrapped_key;
	struct tpm_policy_auth gate;
};

/* Read o strictly: exactly those members ("wrapped_key" and "gate" both or
 * neither), release 16 lower-case hex digits, manifest_sha256 64, expires_at a
 * positive integer. GW_E_PARSE (naming the member), GW_E_KEY (a wrap's EPK off
 * the curve), GW_E_NOMEM. On failure *out is zeroed. */
int update_authz_from_json(json_object *o, struct update_authz *out, gw_error *err) GW_WUR;
/* update_authz_from_json() of JSON text (at most UPDATE_AUTHZ_MAX bytes; nothing
 * after the object: GW_E_TRAILING, GW_E_TOOBIG). */
int update_authz_parse(const void *buf, size_t len, struct update_authz *out,
		       gw_error *err) GW_WUR;
/* The authorization of a verified EAR's claims. GW_E_NOTFOUND when it has none;
 * update_authz_from_json()'s codes. */
int update_authz_from_claims(json_object *claims, struct update_authz *out,
			     gw_error *err) GW_WUR;
void update_authz_fini(struct update_authz *a);

/* a is for release, for the bundle whose manifest digest is manifest_sha256; an
 * encrypted bundle needs a wrapped key, a plain one must have none. GW_E_STATE
 * with the detail naming what differs. expires_at is not judged here: the EAR
 * that carries a is this round's (its eat_nonce, attest_round.c), so a plain
 * authorization is as fresh as the round; an encrypted one's expiry is the TPM's
 * (the gate's expiration in the policy session). doc/updates.md, "The
 * authorization round". */
int update_authz_check(const struct update_authz *a, const char *release,
		       const uint8_t manifest_sha256[32], bool encrypted, gw_error *err) GW_WUR;

#endif
