// SPDX-License-Identifier: Apache-2.0
// The update authorization of a verified attestation result (update_authz.h).
#include "update_authz.h"

#include <string.h>

#include "jsonobj.h"
#include "keywrap.h"
#include "util.h"

#define WHAT "the authorization"

static bool lower_hex(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static int hex_member(json_object *o, const char *key, size_t want, const char **out,
		      gw_error *err)
{
	size_t len = 0;
	int rc = gw_json_get_string(o, key, want, out, &len, err);

	if (!rc && (len != want || !lower_hex(*out, len)))
		rc = gw_fail(err, GW_E_PARSE, "'%s' must be %zu lower-case hex digits", key, want);
	return rc;
}

/* "wrapped_key" and "gate": both or neither. */
static int encrypted_members(json_object *o, struct update_authz *a, gw_error *err)
{
	json_object *w = NULL, *g = NULL;
	bool hw = json_object_object_get_ex(o, "wrapped_key", &w);
	bool hg = json_object_object_get_ex(o, "gate", &g);
	int rc;

	if (!hw && !hg)
		return 0;
	if (!hw || !hg)
		return gw_fail(err, GW_E_PARSE, "'wrapped_key' and 'gate' come together");
	if (!json_object_is_type(w, json_type_object))
		return gw_fail(err, GW_E_PARSE, "'wrapped_key' must be an object");
	rc = keywrap_check(w, err);
	if (rc) {
		gw_error_prefix(err, "'wrapped_key': ");
		return rc;
	}
	if (!json_object_is_type(g, json_type_object))
		return gw_fail(err, GW_E_PARSE, "'gate' must be an object");
	rc = tpm_policy_auth_from_json(g, &a->gate, err);
	if (rc) {
		gw_error_prefix(err, "'gate': ");
		return rc;
	}
	if (a->gate.expiration <= 0)
		return gw_fail(err, GW_E_PARSE, "'gate': the expiration must be positive");
	a->wrapped_key = json_object_get(w);
	return 0;
}

int update_authz_from_json(json_object *o, struct update_authz *out, gw_error *err)
{
	static const char *const keys[] = { "release", "manifest_sha256", "expires_at",
					    "wrapped_key", "gate" };
	struct update_authz a;
	const char *rel = NULL, *man = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&a, 0, sizeof(a));
	if (!json_object_is_type(o, json_type_object))
		return gw_fail(err, GW_E_PARSE, WHAT " must be an object");
	rc = gw_json_check_keys(o, keys, GW_ARRAY_SIZE(keys), err);
	if (!rc)
		rc = hex_member(o, "release", UPDATE_AUTHZ_RELEASE_LEN, &rel, err);
	if (!rc)
		rc = hex_member(o, "manifest_sha256", 64, &man, err);
	if (!rc)
		rc = gw_json_get_int(o, "expires_at", 1, INT64_MAX - 1, &a.expires_at, err);
	if (!rc)
		rc = gw_hex_decode_fixed(man, a.manifest_sha256, 32, err);
	if (!rc)
		rc = encrypted_members(o, &a, err);
	if (rc) {
		json_object_put(a.wrapped_key);
		gw_error_prefix(err, WHAT ": ");
		return rc;
	}
	memcpy(a.release, rel, UPDATE_AUTHZ_RELEASE_LEN);
	*out = a;
	return 0;
}

int update_authz_parse(const void *buf, size_t len, struct update_authz *out, gw_error *err)
{
	json_object *root = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = gw_json_object_parse(buf, len, UPDATE_AUTHZ_MAX, 6, WHAT, &root, err);
	if (!rc)
		rc = update_authz_from_json(root, out, err);
	json_object_put(root);
	return rc;
}

int update_authz_from_claims(json_object *claims, struct update_authz *out, gw_error *err)
{
	json_object *subs, *mod, *a;

	memset(out, 0, sizeof(*out));
	if (!json_object_object_get_ex(claims, "submods", &subs) ||
	    !json_object_object_get_ex(subs, "gatewarden", &mod) ||
	    !json_object_object_get_ex(mod, "gatewarden.authorization", &a))
		return gw_fail(err, GW_E_NOTFOUND, "the result carries no authorization");
	return update_authz_from_json(a, out, err);
}

void update_authz_fini(struct update_authz *a)
{
	if (!a)
		return;
	json_object_put(a->wrapped_key);
	memset(a, 0, sizeof(*a));
}

int update_authz_check(const struct update_authz *a, const char *release,
		       const uint8_t manifest_sha256[32], bool encrypted, gw_error *err)
{
	char hex[65];

	if (strcmp(a->release, release))
		return gw_fail(err, GW_E_STATE, "the authorization is for release %s, not %s",
			       a->release, release);
	if (memcmp(a->manifest_sha256, manifest_sha256, 32)) {
		gw_hex_encode(a->manifest_sha256, 32, hex);
		return gw_fail(err, GW_E_STATE, "the authorization is for manifest %s, not this "
						"bundle's",
			       hex);
	}
	if (encrypted && !a->wrapped_key)
		return gw_fail(err, GW_E_STATE, "the bundle is encrypted and the authorization "
						"carries no wrapped key");
	if (!encrypted && a->wrapped_key)
		return gw_fail(err, GW_E_STATE, "the bundle is not encrypted and the "
						"authorization carries a wrapped key");
	return 0;
}
