// SPDX-License-Identifier: Apache-2.0
// JSON forms of the TPM gate: the gate authorization (verifier to agent) and the
// update key's enrollment message (agent to verifier), built and strictly parsed.
#include "tpm_policy.h"

#include <stdlib.h>
#include <string.h>

#include <tss2/tss2_mu.h>

#include "jsonobj.h"
#include "tpmdata.h"
#include "util.h"

/* A base64 member decoding to exactly want bytes (min..max when want is 0). */
static int b64_member(json_object *root, const char *what, const char *key, size_t min,
		      size_t max, uint8_t *out, size_t *out_len, gw_error *err)
{
	const char *s = NULL;
	uint8_t *bin = NULL;
	size_t slen = 0, len = 0;
	int rc;

	rc = gw_json_get_string(root, key, (max + 2) / 3 * 4, &s, &slen, err);
	if (rc)
		goto out;
	rc = gw_b64_decode(s, &bin, &len, err);
	if (rc) {
		gw_error_prefix(err, "'%s': ", key);
		goto out;
	}
	if (len < min || len > max) {
		if (min == max)
			rc = gw_fail(err, GW_E_PARSE, "'%s' is %zu bytes, expected %zu", key, len, min);
		else
			rc = gw_fail(err, GW_E_PARSE, "'%s' is %zu bytes, expected %zu to %zu", key,
				     len, min, max);
		goto out;
	}
	memcpy(out, bin, len);
	*out_len = len;
out:
	if (rc)
		gw_error_prefix(err, "%s: ", what);
	free(bin);
	return rc;
}

static const char *const auth_keys[] = { "nonce_tpm", "expiration", "cphash", "policy_ref",
					 "signature" };

int tpm_policy_auth_from_json(json_object *root, struct tpm_policy_auth *out, gw_error *err)
{
	static const char what[] = "authorization";
	struct tpm_policy_auth a;
	TPMT_SIGNATURE sig;
	int64_t exp = 0;
	size_t n = 0;
	int rc;

	memset(&a, 0, sizeof(a));
	rc = gw_json_check_keys(root, auth_keys, sizeof(auth_keys) / sizeof(auth_keys[0]), err);
	if (rc) {
		gw_error_prefix(err, "%s: ", what);
		return rc;
	}
	rc = b64_member(root, what, "nonce_tpm", TPM_POLICY_NONCE_MIN, TPM_POLICY_NONCE_MAX,
			a.nonce_tpm, &a.nonce_len, err);
	if (!rc) {
		rc = gw_json_get_int(root, "expiration", INT32_MIN, INT32_MAX, &exp, err);
		if (rc)
			gw_error_prefix(err, "%s: ", what);
	}
	if (!rc)
		rc = b64_member(root, what, "cphash", TPM_POLICY_DIGEST_LEN, TPM_POLICY_DIGEST_LEN,
				a.cphash, &n, err);
	if (!rc)
		rc = b64_member(root, what, "policy_ref", TPM_POLICY_DIGEST_LEN,
				TPM_POLICY_DIGEST_LEN, a.policy_ref, &n, err);
	if (!rc)
		rc = b64_member(root, what, "signature", 8, TPM_POLICY_SIG_MAX, a.sig, &a.sig_len,
				err);
	if (rc)
		return rc;
	a.expiration = (int32_t)exp;
	rc = tpm_policy_auth_tpm_signature(&a, &sig, err);
	if (rc)
		return rc;
	*out = a;
	return 0;
}

int tpm_policy_auth_parse(const void *buf, size_t len, struct tpm_policy_auth *out,
			  gw_error *err)
{
	json_object *root = NULL;
	int rc;

	rc = gw_json_object_parse(buf, len, TPM_POLICY_AUTH_MAX, 4, "authorization", &root, err);
	if (!rc)
		rc = tpm_policy_auth_from_json(root, out, err);
	json_object_put(root);
	return rc;
}

int tpm_policy_auth_to_json(const struct tpm_policy_auth *a, json_object **out)
{
	json_object *o = json_object_new_object();
	int rc = o ? 0 : GW_E_NOMEM;

	if (!rc && a->nonce_len > TPM_POLICY_NONCE_MAX)
		rc = GW_E_INVAL;
	if (!rc)
		rc = gw_json_add_b64(o, "nonce_tpm", a->nonce_tpm, a->nonce_len);
	if (!rc && json_object_object_add(o, "expiration", json_object_new_int(a->expiration)))
		rc = GW_E_NOMEM;
	if (!rc)
		rc = gw_json_add_b64(o, "cphash", a->cphash, sizeof(a->cphash));
	if (!rc)
		rc = gw_json_add_b64(o, "policy_ref", a->policy_ref, sizeof(a->policy_ref));
	if (!rc)
		rc = gw_json_add_b64(o, "signature", a->sig, a->sig_len);
	if (rc) {
		json_object_put(o);
		return rc;
	}
	*out = o; /* transferred */
	return 0;
}

/* ----------------------------------------------------- enrollment message --- */

/* TPM2B_CREATION_DATA: size field equal to what the TPMS inside takes, nothing
 * after it. */
static int creation_unmarshal(const uint8_t *buf, size_t len, TPM2B_CREATION_DATA *out,
			      gw_error *err)
{
	size_t off = 0, size;

	if (len < 2)
		return gw_fail(err, GW_E_PARSE, "TPM2B_CREATION_DATA: no size field");
	size = (size_t)buf[0] << 8 | buf[1];
	if (size == 0 || size != len - 2)
		return gw_fail(err, GW_E_PARSE,
			       "TPM2B_CREATION_DATA: its size field says %zu bytes, %zu follow",
			       size, len - 2);
	memset(out, 0, sizeof(*out));
	if (Tss2_MU_TPM2B_CREATION_DATA_Unmarshal(buf, len, &off, out))
		return gw_fail(err, GW_E_PARSE, "TPM2B_CREATION_DATA: malformed");
	if (off != len)
		return gw_fail(err, GW_E_PARSE,
			       "TPM2B_CREATION_DATA: the structure takes %zu of %zu bytes",
			       off - 2, size);
	return 0;
}

static const char *const msg_keys[] = { "public", "creation_data", "attest", "signature" };

static int key_msg_fields(json_object *root, struct tpm_policy_key_msg *m, gw_error *err)
{
	static const char what[] = "update key";
	uint8_t buf[sizeof(TPM2B_PUBLIC)];
	size_t n = 0;
	int rc;

	rc = gw_json_check_keys(root, msg_keys, sizeof(msg_keys) / sizeof(msg_keys[0]), err);
	if (rc) {
		gw_error_prefix(err, "%s: ", what);
		return rc;
	}
	rc = b64_member(root, what, "public", 1, sizeof(buf), buf, &n, err);
	if (!rc && (rc = tpmdata_public_unmarshal(buf, n, &m->pub, err)))
		gw_error_prefix(err, "%s: 'public': ", what);
	if (!rc)
		rc = b64_member(root, what, "creation_data", 1, sizeof(m->creation_raw),
				m->creation_raw, &m->creation_raw_len, err);
	if (!rc && (rc = creation_unmarshal(m->creation_raw, m->creation_raw_len, &m->creation,
					    err)))
		gw_error_prefix(err, "%s: 'creation_data': ", what);
	if (!rc)
		rc = b64_member(root, what, "attest", 1, sizeof(m->attest), m->attest,
				&m->attest_len, err);
	if (!rc)
		rc = b64_member(root, what, "signature", 1, sizeof(buf), buf, &n, err);
	if (!rc && (rc = tpmdata_signature_unmarshal(buf, n, &m->sig, err)))
		gw_error_prefix(err, "%s: 'signature': ", what);
	return rc;
}

int tpm_policy_key_msg_parse(const void *buf, size_t len, struct tpm_policy_key_msg *out,
			     gw_error *err)
{
	json_object *root = NULL;
	struct tpm_policy_key_msg *m = calloc(1, sizeof(*m));
	int rc = m ? 0 : GW_E_NOMEM;

	if (!rc)
		rc = gw_json_object_parse(buf, len, TPM_POLICY_KEY_MSG_MAX, 4, "update key", &root,
					  err);
	if (!rc)
		rc = key_msg_fields(root, m, err);
	if (!rc)
		*out = *m;
	json_object_put(root);
	free(m);
	return rc;
}

int tpm_policy_key_msg_to_json(const TPM2B_PUBLIC *pub, const TPM2B_CREATION_DATA *creation,
			       const TPM2B_ATTEST *attest, const TPMT_SIGNATURE *sig,
			       json_object **out)
{
	uint8_t *buf = malloc(sizeof(TPM2B_CREATION_DATA) + sizeof(TPM2B_PUBLIC));
	json_object *o = json_object_new_object();
	size_t off = 0;
	int rc = buf && o ? 0 : GW_E_NOMEM;

	if (!rc && Tss2_MU_TPM2B_PUBLIC_Marshal(pub, buf, sizeof(TPM2B_PUBLIC), &off))
		rc = GW_E_INVAL;
	if (!rc)
		rc = gw_json_add_b64(o, "public", buf, off);
	off = 0;
	if (!rc && Tss2_MU_TPM2B_CREATION_DATA_Marshal(creation, buf, sizeof(TPM2B_CREATION_DATA),
						       &off))
		rc = GW_E_INVAL;
	if (!rc)
		rc = gw_json_add_b64(o, "creation_data", buf, off);
	if (!rc)
		rc = gw_json_add_b64(o, "attest", attest->attestationData, attest->size);
	off = 0;
	if (!rc && Tss2_MU_TPMT_SIGNATURE_Marshal(sig, buf, sizeof(TPMT_SIGNATURE), &off))
		rc = GW_E_INVAL;
	if (!rc)
		rc = gw_json_add_b64(o, "signature", buf, off);
	free(buf);
	if (rc) {
		json_object_put(o);
		return rc;
	}
	*out = o; /* transferred */
	return 0;
}
