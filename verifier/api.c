// SPDX-License-Identifier: Apache-2.0
// Strict parsers of the verifier API's JSON request bodies.
#include "api.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "jsonobj.h"
#include "tpmdata.h"
#include "util.h"

#define API_MAX_BODY (1u << 20)
#define API_MAX_DEPTH 4

int api_valid_id(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > API_ID_MAX)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' || *s == '-'))
			return 0;
	return 1;
}

/* Parse body as one JSON object whose keys are all in keys[]. */
static int parse_object(const uint8_t *body, size_t len, const char *const *keys, size_t nkeys,
			json_object **out, gw_error *err)
{
	json_object *root;
	int rc;

	rc = gw_json_object_parse(body, len, API_MAX_BODY, API_MAX_DEPTH, "body", &root, err);
	if (rc)
		return rc;
	rc = gw_json_check_keys(root, keys, nkeys, err);
	if (rc) {
		json_object_put(root);
		return rc;
	}
	*out = root;
	return 0;
}

static int get_id(json_object *root, const char *key, char *out, gw_error *err)
{
	const char *s = NULL;
	int rc = gw_json_get_string(root, key, API_ID_MAX, &s, NULL, err);

	if (rc)
		return rc;
	if (!api_valid_id(s))
		return gw_fail(err, GW_E_PARSE, "'%s' must be 1-%d of A-Z a-z 0-9 . _ -", key,
			       API_ID_MAX);
	memcpy(out, s, strlen(s) + 1);
	return 0;
}

static int get_b64(json_object *root, const char *key, size_t cap, uint8_t **out, size_t *len,
		   gw_error *err)
{
	const char *s = NULL;
	int rc = gw_json_get_string(root, key, (cap + 2) / 3 * 4, &s, NULL, err);

	if (rc)
		return rc;
	rc = gw_b64_decode(s, out, len, err);
	if (rc)
		gw_error_prefix(err, "'%s': ", key);
	return rc;
}

static int get_public(json_object *root, const char *key, TPM2B_PUBLIC *pub, uint8_t **raw,
		      size_t *raw_len, gw_error *err)
{
	int rc = get_b64(root, key, sizeof(TPM2B_PUBLIC), raw, raw_len, err);

	if (rc)
		return rc;
	/* An empty TPM2B_PUBLIC is refused there, with the other size checks. */
	rc = tpmdata_public_unmarshal(*raw, *raw_len, pub, err);
	if (rc)
		gw_error_prefix(err, "'%s': ", key);
	return rc;
}

void api_enroll_req_fini(struct api_enroll_req *r)
{
	if (!r)
		return;
	free(r->ek_pub_raw);
	free(r->ek_cert);
	free(r->ak_pub_raw);
	memset(r, 0, sizeof(*r));
}

int api_parse_enroll(const uint8_t *body, size_t len, struct api_enroll_req *out, gw_error *err)
{
	static const char *const keys[] = { "device_id", "model", "ek_public", "ek_certificate",
					    "ak_public" };
	struct api_enroll_req r;
	json_object *root = NULL;
	int rc;

	memset(&r, 0, sizeof(r));
	rc = parse_object(body, len, keys, GW_ARRAY_SIZE(keys), &root, err);
	if (rc)
		return rc;
	if ((rc = get_id(root, "device_id", r.device_id, err)) ||
	    (rc = get_id(root, "model", r.model, err)) ||
	    (rc = get_public(root, "ek_public", &r.ek_pub, &r.ek_pub_raw, &r.ek_pub_raw_len, err)) ||
	    (rc = get_b64(root, "ek_certificate", API_MAX_CERT, &r.ek_cert, &r.ek_cert_len, err)) ||
	    (rc = get_public(root, "ak_public", &r.ak_pub, &r.ak_pub_raw, &r.ak_pub_raw_len, err)))
		goto out;
	if (r.ek_cert_len == 0 || r.ek_cert_len > API_MAX_CERT) {
		rc = gw_fail(err, GW_E_PARSE, "'ek_certificate' must be 1-%u bytes", API_MAX_CERT);
		goto out;
	}
	*out = r; /* transferred */
	memset(&r, 0, sizeof(r));
out:
	api_enroll_req_fini(&r);
	json_object_put(root);
	return rc;
}

void api_activate_req_fini(struct api_activate_req *r)
{
	if (!r)
		return;
	gw_wipe(r->secret, sizeof(r->secret));
	free(r->client_pub_pem);
	memset(r, 0, sizeof(*r));
}

int api_parse_activate(const uint8_t *body, size_t len, int want_client_key,
		       struct api_activate_req *out, gw_error *err)
{
	static const char *const keys[] = { "enrollment_id", "secret", "client_public_key" };
	struct api_activate_req r;
	json_object *root = NULL;
	const char *s = NULL;
	uint8_t *secret = NULL;
	size_t secret_len = 0;
	int rc;

	memset(&r, 0, sizeof(r));
	rc = parse_object(body, len, keys, want_client_key ? 3 : 2, &root, err);
	if (rc)
		return rc;
	rc = gw_json_get_string(root, "enrollment_id", API_ENROLLMENT_ID_LEN, &s, NULL, err);
	if (rc)
		goto out;
	if (strlen(s) != API_ENROLLMENT_ID_LEN || strspn(s, "0123456789abcdef") != strlen(s)) {
		rc = gw_fail(err, GW_E_PARSE, "'enrollment_id' must be %d lower-case hex digits",
			     API_ENROLLMENT_ID_LEN);
		goto out;
	}
	memcpy(r.enrollment_id, s, API_ENROLLMENT_ID_LEN + 1);
	rc = get_b64(root, "secret", sizeof(r.secret), &secret, &secret_len, err);
	if (rc)
		goto out;
	if (secret_len == 0 || secret_len > sizeof(r.secret)) {
		rc = gw_fail(err, GW_E_PARSE, "'secret' must be 1-%zu bytes", sizeof(r.secret));
		goto out;
	}
	memcpy(r.secret, secret, secret_len);
	r.secret_len = secret_len;
	if (want_client_key) {
		rc = gw_json_get_string(root, "client_public_key", API_MAX_PEM, &s, NULL, err);
		if (rc)
			goto out;
		r.client_pub_pem = strdup(s);
		if (!r.client_pub_pem) {
			rc = GW_E_NOMEM;
			goto out;
		}
	}
	*out = r; /* transferred */
	memset(&r, 0, sizeof(r));
out:
	if (secret) {
		gw_wipe(secret, secret_len);
		free(secret);
	}
	api_activate_req_fini(&r);
	json_object_put(root);
	return rc;
}

void api_renew_req_fini(struct api_renew_req *r)
{
	if (!r)
		return;
	free(r->client_pub_pem);
	free(r->attest);
	memset(r, 0, sizeof(*r));
}

/* The quote of a renewal: "nonce", "attest", "signature", all or none. */
static int get_renew_quote(json_object *root, struct api_renew_req *out, gw_error *err)
{
	static const char *const keys[] = { "nonce", "attest", "signature" };
	const char *hex = NULL;
	uint8_t *bin = NULL;
	size_t n = 0, bin_len = 0;
	int rc;

	for (size_t i = 0; i < GW_ARRAY_SIZE(keys); i++)
		n += json_object_object_get_ex(root, keys[i], NULL) ? 1 : 0;
	if (n == 0)
		return 0;
	if (n != GW_ARRAY_SIZE(keys))
		return gw_fail(err, GW_E_PARSE, "'nonce', 'attest' and 'signature' come together");
	rc = gw_json_get_string(root, "nonce", 2 * sizeof(out->nonce), &hex, NULL, err);
	if (!rc && (strlen(hex) % 2 || !*hex))
		rc = gw_fail(err, GW_E_PARSE, "'nonce' must be 2-128 hex digits, even");
	if (!rc && (rc = gw_hex_decode_fixed(hex, out->nonce, strlen(hex) / 2, err)))
		gw_error_prefix(err, "'nonce': ");
	if (rc)
		return rc;
	out->nonce_len = strlen(hex) / 2;
	rc = get_b64(root, "attest", sizeof(TPMS_ATTEST) * 2, &out->attest, &out->attest_len, err);
	if (!rc && !out->attest_len)
		rc = gw_fail(err, GW_E_PARSE, "'attest' is empty");
	if (!rc)
		rc = get_b64(root, "signature", sizeof(TPMT_SIGNATURE) * 2, &bin, &bin_len, err);
	if (!rc && (rc = tpmdata_signature_unmarshal(bin, bin_len, &out->sig, err)))
		gw_error_prefix(err, "'signature': ");
	free(bin);
	return rc;
}

int api_parse_renew(const uint8_t *body, size_t len, struct api_renew_req *out,
		    gw_error *err)
{
	static const char *const keys[] = { "client_public_key", "nonce", "attest", "signature" };
	struct api_renew_req r;
	json_object *root = NULL;
	const char *s = NULL;
	int rc;

	memset(&r, 0, sizeof(r));
	rc = parse_object(body, len, keys, GW_ARRAY_SIZE(keys), &root, err);
	if (rc)
		return rc;
	rc = gw_json_get_string(root, "client_public_key", API_MAX_PEM, &s, NULL, err);
	if (rc)
		goto out;
	if (!*s) {
		rc = gw_fail(err, GW_E_PARSE, "'client_public_key' is empty");
		goto out;
	}
	r.client_pub_pem = strdup(s);
	if (!r.client_pub_pem) {
		rc = GW_E_NOMEM;
		goto out;
	}
	rc = get_renew_quote(root, &r, err);
	if (!rc) {
		*out = r; /* transferred */
		memset(&r, 0, sizeof(r));
	}
out:
	api_renew_req_fini(&r);
	json_object_put(root);
	return rc;
}

int api_parse_empty(const uint8_t *body, size_t len, gw_error *err)
{
	json_object *root = NULL;
	int rc;

	if (len == 0)
		return 0;
	rc = parse_object(body, len, NULL, 0, &root, err);
	json_object_put(root);
	return rc;
}
