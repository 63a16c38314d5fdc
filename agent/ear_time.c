// SPDX-License-Identifier: Apache-2.0
// The time expiry is judged by: the later of the system clock and the issue time
// of the latest verified attestation result (re-verified with the pinned gate key).
#include "ear_time.h"

#include <limits.h>
#include <stdlib.h>
#include <time.h>

#include <json-c/json.h>

#include "enroll_state.h"
#include "jsonobj.h"
#include "jwt.h"
#include "tpmdata.h"
#include "util.h"

#define EAR_FILE_MAX (64u * 1024)

const char *ear_time_source_name(enum ear_time_source s)
{
	return s == EAR_TIME_RESULT ? "attestation-result" : "system-clock";
}

int ear_latest_claims(struct agent_ctx *ctx, json_object **claims, gw_error *err)
{
	char gate_path[PATH_MAX], ear_path[PATH_MAX];
	EVP_PKEY *gate = NULL;
	uint8_t *tok = NULL;
	size_t len = 0;
	int rc;

	if (agent_path(ctx, ENROLL_GATE_FILE, gate_path, sizeof(gate_path)) ||
	    agent_path(ctx, ENROLL_RESULT_FILE, ear_path, sizeof(ear_path)))
		return gw_fail(err, GW_E_INVAL, "state directory path too long");
	rc = gw_read_file(ear_path, EAR_FILE_MAX, &tok, &len, NULL);
	if (rc == GW_E_NOTFOUND)
		return rc;
	if (rc)
		return gw_fail(err, rc, "%s: cannot be read", ear_path);
	/* a result without a gate key to check it is not believed */
	rc = tpmdata_pkey_load(gate_path, &gate, err);
	if (!rc)
		rc = jwt_verify_es256(gate, (const char *)tok, claims, err);
	if (rc && rc != GW_E_NOTFOUND)
		gw_error_prefix(err, "%s (the latest attestation result): ", ear_path);
	EVP_PKEY_free(gate);
	free(tok);
	return rc;
}

int ear_time_now(struct agent_ctx *ctx, int64_t *now, enum ear_time_source *source,
		 gw_error *err)
{
	json_object *claims = NULL;
	int64_t iat = 0;
	int rc;

	*now = (int64_t)time(NULL);
	*source = EAR_TIME_SYSTEM;
	rc = ear_latest_claims(ctx, &claims, err);
	if (rc == GW_E_NOTFOUND)
		return 0;
	if (!rc) {
		rc = gw_json_get_int(claims, "iat", 1, INT64_C(253402300799), &iat, err);
		if (rc)
			gw_error_prefix(err, "the latest attestation result: ");
	}
	json_object_put(claims);
	if (rc)
		return rc;
	/* A clock behind the result is overridden. A clock ahead of it only makes
	 * things expire sooner, which fails safe; ignoring it would let a root that
	 * keeps the device away from the verifier freeze the time at the last
	 * result's, so that an expired root or bundle stayed acceptable for ever. */
	if (iat > *now) {
		*now = iat;
		*source = EAR_TIME_RESULT;
	}
	return 0;
}
