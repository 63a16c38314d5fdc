// SPDX-License-Identifier: Apache-2.0
// The evidence's optional "update_request" member (evidence.h) and the qualifying
// data a round that asks for an update authorization quotes.
#include "evidence.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "jsonobj.h"
#include "util.h"

#define WHAT "evidence: 'update_request'"

static bool lower_hex(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* nonce_tpm: base64 of 16 to 64 bytes, in the one encoding gw_b64_encode gives. */
static int parse_nonce_tpm(json_object *o, struct evidence_update_request *u, gw_error *err)
{
	const char *s = NULL;
	char *again = NULL;
	uint8_t *bin = NULL;
	size_t slen = 0, len = 0;
	int rc;

	rc = gw_json_get_string(o, "nonce_tpm", (EVIDENCE_NONCE_TPM_MAX + 2) / 3 * 4, &s, &slen,
				err);
	if (!rc) {
		rc = gw_b64_decode(s, &bin, &len, err);
		if (rc)
			gw_error_prefix(err, "'nonce_tpm': ");
	}
	if (!rc && (len < EVIDENCE_NONCE_TPM_MIN || len > EVIDENCE_NONCE_TPM_MAX))
		rc = gw_fail(err, GW_E_PARSE, "'nonce_tpm' is %zu bytes, expected %d to %d", len,
			     EVIDENCE_NONCE_TPM_MIN, EVIDENCE_NONCE_TPM_MAX);
	if (!rc && gw_b64_encode(bin, len, &again))
		rc = GW_E_NOMEM;
	if (!rc && strcmp(again, s))
		rc = gw_fail(err, GW_E_PARSE, "'nonce_tpm' is not canonical base64");
	if (!rc) {
		memcpy(u->nonce_tpm, bin, len);
		u->nonce_tpm_len = len;
	}
	free(again);
	free(bin);
	return rc;
}

int evidence_update_request_parse(json_object *root, struct evidence *ev, gw_error *err)
{
	static const char *const keys[] = { "release", "nonce_tpm" };
	struct evidence_update_request u;
	json_object *o;
	const char *s = NULL;
	size_t len = 0;
	int rc;

	if (!json_object_object_get_ex(root, "update_request", &o))
		return 0;
	if (!json_object_is_type(o, json_type_object))
		return gw_fail(err, GW_E_PARSE, WHAT " must be an object");
	memset(&u, 0, sizeof(u));
	rc = gw_json_check_keys(o, keys, GW_ARRAY_SIZE(keys), err);
	if (!rc)
		rc = gw_json_get_string(o, "release", EVIDENCE_RELEASE_ID_LEN, &s, &len, err);
	if (!rc && (len != EVIDENCE_RELEASE_ID_LEN || !lower_hex(s, len)))
		rc = gw_fail(err, GW_E_PARSE, "'release' must be %d lower-case hex digits",
			     EVIDENCE_RELEASE_ID_LEN);
	if (!rc)
		rc = parse_nonce_tpm(o, &u, err);
	if (rc) {
		gw_error_prefix(err, WHAT ": ");
		return rc;
	}
	memcpy(u.release, s, EVIDENCE_RELEASE_ID_LEN);
	ev->update_request = u;
	ev->has_update_request = true;
	return 0;
}

int evidence_update_request_format(json_object *o, const struct evidence *ev)
{
	const struct evidence_update_request *u = &ev->update_request;
	json_object *r;

	if (!ev->has_update_request)
		return 0;
	if (u->nonce_tpm_len < EVIDENCE_NONCE_TPM_MIN || u->nonce_tpm_len > EVIDENCE_NONCE_TPM_MAX ||
	    strlen(u->release) != EVIDENCE_RELEASE_ID_LEN)
		return GW_E_INVAL;
	r = json_object_new_object();
	if (!r)
		return GW_E_NOMEM;
	json_object_object_add(r, "release", json_object_new_string(u->release));
	if (gw_json_add_b64(r, "nonce_tpm", u->nonce_tpm, u->nonce_tpm_len)) {
		json_object_put(r);
		return GW_E_NOMEM;
	}
	json_object_object_add(o, "update_request", r);
	return 0;
}

int evidence_update_q(const uint8_t *nonce, size_t nonce_len, const uint8_t *nonce_tpm,
		      size_t nonce_tpm_len, uint8_t out[32])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned n = 0;
	int ok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
		 EVP_DigestUpdate(md, nonce, nonce_len) == 1 &&
		 EVP_DigestUpdate(md, nonce_tpm, nonce_tpm_len) == 1 &&
		 EVP_DigestFinal_ex(md, out, &n) == 1 && n == 32;

	EVP_MD_CTX_free(md);
	return ok ? 0 : GW_E_CRYPTO;
}

int evidence_qualifying_data(const struct evidence *ev, uint8_t out[64], size_t *out_len)
{
	int rc;

	if (!ev->has_update_request) {
		memcpy(out, ev->nonce, ev->nonce_len);
		*out_len = ev->nonce_len;
		return 0;
	}
	rc = evidence_update_q(ev->nonce, ev->nonce_len, ev->update_request.nonce_tpm,
			       ev->update_request.nonce_tpm_len, out);
	if (!rc)
		*out_len = 32;
	return rc;
}
