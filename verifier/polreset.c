// SPDX-License-Identifier: Apache-2.0
// Policy version resets: the strict parser of the statement a threshold of keys signs.
#include "polreset.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "api.h"
#include "jsonobj.h"
#include "util.h"

/* A string member of 1 to max bytes (an over-long one is GW_E_PARSE here too: a
 * statement is small). */
static int get_text(json_object *root, const char *key, size_t max, const char **out,
		    size_t *len, gw_error *err)
{
	int rc = gw_json_get_string(root, key, max, out, len, err);

	if (rc == GW_E_TOOBIG || (!rc && *len == 0))
		rc = gw_fail(err, GW_E_PARSE, "'%s' must be 1 to %zu bytes", key, max);
	return rc;
}

static int get_version(json_object *root, const char *key, uint32_t min, uint32_t *out,
		       gw_error *err)
{
	int64_t n = 0;
	int rc = gw_json_get_int(root, key, min, UINT32_MAX, &n, err);

	if (!rc)
		*out = (uint32_t)n;
	return rc;
}

static int get_sha256(json_object *root, const char *key, char out[65], gw_error *err)
{
	const char *s = NULL;
	size_t n = 0;
	int rc = gw_json_get_string(root, key, 64, &s, &n, err);

	if (rc == GW_E_TOOBIG || (!rc && n != 64))
		rc = GW_E_PARSE;
	else if (rc)
		return rc;
	for (size_t i = 0; !rc && i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			rc = GW_E_PARSE;
	if (rc)
		return gw_fail(err, rc, "'%s' must be 64 lower-case hex digits (sha256sum of the "
					"policy JSON)", key);
	memcpy(out, s, 65);
	return 0;
}

int polreset_check_time(const struct polreset *r, int64_t now, gw_error *err)
{
	if (r->expires <= now)
		return gw_fail(err, GW_E_STATE,
			       "policy reset %" PRIu32 " of %s expired at %" PRId64
			       " (now %" PRId64 "): sign a new statement",
			       r->reset, r->model, r->expires, now);
	if (r->expires - now > POLRESET_MAX_LIFETIME)
		return gw_fail(err, GW_E_STATE,
			       "policy reset %" PRIu32 " of %s expires at %" PRId64
			       ", more than %d days from now (%" PRId64 "): sign it again with "
			       "an earlier 'expires'",
			       r->reset, r->model, r->expires, POLRESET_MAX_LIFETIME / 86400, now);
	return 0;
}

int polreset_parse(const uint8_t *payload, size_t len, struct polreset *out, gw_error *err)
{
	static const char *const keys[] = { "type", "model", "reset", "from_version",
					    "to_version", "next_policy_sha256", "expires",
					    "reason" };
	json_object *root = NULL;
	struct polreset r;
	const char *s = NULL;
	size_t n = 0;
	int rc;

	memset(&r, 0, sizeof(r));
	rc = gw_json_object_parse(payload, len, POLRESET_MAX_SIZE, 2, "policy reset", &root, err);
	if (rc)
		return rc;
	rc = gw_json_check_keys(root, keys, GW_ARRAY_SIZE(keys), err);
	if (!rc)
		rc = get_text(root, "type", 64, &s, &n, err);
	if (!rc && strcmp(s, POLRESET_TYPE))
		rc = gw_fail(err, GW_E_PARSE, "'type' must be '%s'", POLRESET_TYPE);
	if (!rc)
		rc = get_text(root, "model", GWPOL_NAME_MAX, &s, &n, err);
	if (!rc && !api_valid_id(s))
		rc = gw_fail(err, GW_E_PARSE, "'model' must be 1-64 of A-Z a-z 0-9 . _ -");
	if (!rc)
		memcpy(r.model, s, n + 1);
	if (!rc)
		rc = get_version(root, "reset", 1, &r.reset, err);
	if (!rc)
		rc = get_version(root, "from_version", 1, &r.from_version, err);
	if (!rc)
		rc = get_version(root, "to_version", 0, &r.to_version, err);
	if (!rc && r.to_version >= r.from_version)
		rc = gw_fail(err, GW_E_PARSE, "'to_version' %u must be below 'from_version' %u",
			     (unsigned)r.to_version, (unsigned)r.from_version);
	if (!rc)
		rc = get_sha256(root, "next_policy_sha256", r.next_sha256, err);
	if (!rc)
		rc = gw_json_get_int(root, "expires", 1, (int64_t)1 << 53, &r.expires, err);
	if (!rc)
		rc = get_text(root, "reason", POLRESET_REASON_MAX, &s, &n, err);
	for (size_t i = 0; !rc && i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			rc = gw_fail(err, GW_E_PARSE, "'reason' has a control character");
	if (rc) {
		gw_error_prefix(err, "policy reset: ");
	} else {
		memcpy(r.reason, s, n + 1);
		*out = r;
	}
	json_object_put(root);
	return rc;
}
