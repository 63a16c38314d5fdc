// SPDX-License-Identifier: Apache-2.0
// Policy version resets: the strict payload parser and the threshold-signed envelope.
#include "polreset.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "api.h"
#include "digest.h"
#include "dsse.h"
#include "jsonobj.h"
#include "util.h"

static int get_version(json_object *root, const char *key, uint32_t min, uint32_t *out,
		       gw_error *err)
{
	json_object *v = NULL;
	int64_t n;

	if (!json_object_object_get_ex(root, key, &v))
		return gw_fail(err, GW_E_PARSE, "policy reset: '%s' is missing", key);
	if (!json_object_is_type(v, json_type_int))
		return gw_fail(err, GW_E_PARSE, "policy reset: '%s' must be an integer", key);
	errno = 0;
	n = json_object_get_int64(v);
	/* json-c saturates what does not fit in int64 and says so in errno. */
	if (errno || n < (int64_t)min || n > (int64_t)UINT32_MAX)
		return gw_fail(err, GW_E_PARSE, "policy reset: '%s' must be %u to 4294967295",
			       key, (unsigned)min);
	*out = (uint32_t)n;
	return 0;
}

static int get_text(json_object *root, const char *key, size_t max, const char **out,
		    size_t *len, gw_error *err)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(root, key, &v))
		return gw_fail(err, GW_E_PARSE, "policy reset: '%s' is missing", key);
	if (!json_object_is_type(v, json_type_string))
		return gw_fail(err, GW_E_PARSE, "policy reset: '%s' must be a string", key);
	*out = json_object_get_string(v);
	*len = (size_t)json_object_get_string_len(v);
	if (*len == 0 || *len > max)
		return gw_fail(err, GW_E_PARSE, "policy reset: '%s' must be 1 to %zu bytes", key,
			       max);
	return 0;
}

static int check_keys(json_object *root, gw_error *err)
{
	static const char *const keys[] = { "type", "model", "reset", "from_version",
					    "to_version", "reason" };

	json_object_object_foreach(root, key, val) {
		bool known = false;

		(void)val;
		for (size_t i = 0; i < GW_ARRAY_SIZE(keys); i++)
			known |= !strcmp(key, keys[i]);
		if (!known)
			return gw_fail(err, GW_E_PARSE, "policy reset: unknown key '%.64s'", key);
	}
	return 0;
}

int polreset_parse(const uint8_t *payload, size_t len, struct polreset *out, gw_error *err)
{
	json_object *root = NULL;
	struct polreset r;
	const char *s;
	size_t n;
	int rc;

	memset(&r, 0, sizeof(r));
	rc = gw_json_object_parse(payload, len, POLRESET_MAX_SIZE, 2, "policy reset", &root, err);
	if (rc)
		return rc;
	rc = check_keys(root, err);
	if (!rc)
		rc = get_text(root, "type", 64, &s, &n, err);
	if (!rc && strcmp(s, POLRESET_TYPE))
		rc = gw_fail(err, GW_E_PARSE, "policy reset: 'type' must be '%s'", POLRESET_TYPE);
	if (!rc)
		rc = get_text(root, "model", GWPOL_NAME_MAX, &s, &n, err);
	if (!rc && !api_valid_id(s))
		rc = gw_fail(err, GW_E_PARSE,
			     "policy reset: 'model' must be 1-64 of A-Z a-z 0-9 . _ -");
	if (!rc)
		memcpy(r.model, s, n + 1);
	if (!rc)
		rc = get_version(root, "reset", 1, &r.reset, err);
	if (!rc)
		rc = get_version(root, "from_version", 1, &r.from_version, err);
	if (!rc)
		rc = get_version(root, "to_version", 0, &r.to_version, err);
	if (!rc && r.to_version >= r.from_version)
		rc = gw_fail(err, GW_E_PARSE,
			     "policy reset: 'to_version' %u must be below 'from_version' %u",
			     (unsigned)r.to_version, (unsigned)r.from_version);
	if (!rc)
		rc = get_text(root, "reason", POLRESET_REASON_MAX, &s, &n, err);
	for (size_t i = 0; !rc && i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			rc = gw_fail(err, GW_E_PARSE,
				     "policy reset: 'reason' has a control character");
	if (!rc) {
		memcpy(r.reason, s, n + 1);
		*out = r;
	}
	json_object_put(root);
	return rc;
}

int polreset_load(const char *envelope, size_t len, EVP_PKEY *const *keys, size_t nkeys,
		  size_t threshold, struct polreset *out, struct verdict_policy_info *info,
		  gw_error *err)
{
	struct dsse_envelope *env = NULL;
	struct dsse_result *res = NULL;
	uint8_t md[32];
	int rc;

	if (info) {
		memset(info, 0, sizeof(*info));
		info->step = VERDICT_STEP_KEYS;
	}
	if (!envelope || !out)
		return gw_fail(err, GW_E_INVAL, "policy reset: no envelope");
	if (nkeys == 0 || nkeys > DSSE_MAX_KEYS || threshold < 1 || threshold > nkeys)
		return gw_fail(err, GW_E_CONFIG, "policy threshold %zu is not between 1 and %zu "
						 "configured keys", threshold, nkeys);
	if (info)
		info->step = VERDICT_STEP_ENVELOPE;
	rc = dsse_parse((const uint8_t *)envelope, len, &env, err);
	if (rc) {
		gw_error_prefix(err, "policy reset: not a signed statement (DSSE envelope): ");
		goto out;
	}
	if (info)
		info->step = VERDICT_STEP_TYPE;
	if (strcmp(env->payload_type, POLRESET_PAYLOAD_TYPE)) {
		rc = gw_fail(err, GW_E_PARSE, "policy reset: payloadType '%.64s' is not '%s'",
			     env->payload_type, POLRESET_PAYLOAD_TYPE);
		goto out;
	}
	if (info && gw_hash(TPM2_ALG_SHA256, env->payload, env->payload_len, md) == 0)
		gw_hex_encode(md, sizeof(md), info->payload_sha256);
	if (info)
		info->step = VERDICT_STEP_SIGNATURE;
	res = calloc(1, sizeof(*res));
	if (!res) {
		rc = GW_E_NOMEM;
		goto out;
	}
	rc = dsse_verify(env, keys, nkeys, (unsigned)threshold, POLRESET_PAYLOAD_TYPE, res, err);
	if (rc == GW_E_SIGNATURE || rc == 0) {
		for (size_t k = 0; info && k < nkeys; k++)
			if (res->key_signed[k])
				memcpy(info->signed_by[info->nsigners++], res->keyid[k],
				       DSSE_KEYID_LEN);
	}
	if (rc) {
		gw_error_prefix(err, "policy reset signature: ");
		goto out;
	}
	if (info)
		info->step = VERDICT_STEP_PAYLOAD;
	rc = polreset_parse(env->payload, env->payload_len, out, err);
	if (!rc && info)
		info->step = VERDICT_STEP_DONE;
out:
	free(res);
	dsse_free(env);
	return rc;
}
