// SPDX-License-Identifier: Apache-2.0
// The TPM update key over ESAPI: create and certify it at enrollment, and run the
// ECDH that unwraps a release's content key inside a PolicySigned session.
#include "update_key.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <tss2/tss2_mu.h>

#include "util.h"

static int srk_tr(struct agent_tpm *tpm, TPM2_HANDLE srk, ESYS_TR *out, gw_error *err)
{
	TSS2_RC rc = Esys_TR_FromTPMPublic(tpm->esys, srk, ESYS_TR_NONE, ESYS_TR_NONE,
					   ESYS_TR_NONE, out);

	if (rc != TSS2_RC_SUCCESS)
		return tpm_tss_fail(err, rc, "loading the SRK");
	return 0;
}

static int write_blob(const char *path, const TPM2B_PRIVATE *priv, const TPM2B_PUBLIC *pub,
		      gw_error *err)
{
	uint8_t buf[sizeof(TPM2B_PRIVATE) + sizeof(TPM2B_PUBLIC)];
	size_t off = 0;

	if (Tss2_MU_TPM2B_PRIVATE_Marshal(priv, buf, sizeof(buf), &off) ||
	    Tss2_MU_TPM2B_PUBLIC_Marshal(pub, buf, sizeof(buf), &off))
		return gw_fail(err, GW_E_INVAL, "marshalling the update key blob");
	return gw_write_file_atomic(path, buf, off, 0600, err);
}

int update_key_read_blob(const char *path, TPM2B_PRIVATE *priv, TPM2B_PUBLIC *pub,
			 gw_error *err)
{
	uint8_t *buf = NULL;
	size_t len = 0, off = 0;
	int rc = gw_read_file(path, UPDATE_KEY_BLOB_MAX, &buf, &len, err);

	if (rc)
		return rc;
	memset(priv, 0, sizeof(*priv));
	if (Tss2_MU_TPM2B_PRIVATE_Unmarshal(buf, len, &off, priv) || priv->size == 0) {
		rc = gw_fail(err, GW_E_PARSE, "%s: no TPM2B_PRIVATE", path);
		goto out;
	}
	rc = tpmdata_public_unmarshal(buf + off, len - off, pub, err);
	if (rc)
		gw_error_prefix(err, "%s: ", path);
out:
	free(buf);
	return rc;
}

/* TPM2_CertifyCreation of the key just created, by the AK: adminWithPolicy keeps
 * TPM2_Certify (which needs the object's ADMIN role) from running with a password
 * session, while CertifyCreation needs no authorization of the object and proves
 * the same attributes and policy plus that this TPM created it under its parent. */
static int certify(struct agent_tpm *tpm, TPM2_HANDLE ak_handle, ESYS_TR key,
		   const TPM2B_DIGEST *chash, const TPMT_TK_CREATION *ticket,
		   TPM2B_ATTEST **attest, TPMT_SIGNATURE **sig, gw_error *err)
{
	TPM2B_DATA qd = { .size = 0 };
	TPMT_SIG_SCHEME scheme = { .scheme = TPM2_ALG_NULL };
	ESYS_TR ak = ESYS_TR_NONE;
	TSS2_RC trc;
	int rc = 0;

	trc = Esys_TR_FromTPMPublic(tpm->esys, ak_handle, ESYS_TR_NONE, ESYS_TR_NONE,
				    ESYS_TR_NONE, &ak);
	if (trc != TSS2_RC_SUCCESS)
		return tpm_tss_fail(err, trc, "loading the AK");
	trc = Esys_CertifyCreation(tpm->esys, ak, key, ESYS_TR_PASSWORD, ESYS_TR_NONE,
				   ESYS_TR_NONE, &qd, chash, &scheme, ticket, attest, sig);
	if (trc != TSS2_RC_SUCCESS)
		rc = tpm_tss_fail(err, trc, "TPM2_CertifyCreation by the AK");
	tpm_tr_close(tpm, &ak);
	return rc;
}

int update_key_create(struct agent_tpm *tpm, TPM2_HANDLE srk_handle, TPM2_HANDLE ak_handle,
		      EVP_PKEY *gate_key, const char *blob_path, const char *msg_path,
		      json_object **msg, gw_error *err)
{
	uint8_t policy[TPM_POLICY_DIGEST_LEN];
	TPM2B_SENSITIVE_CREATE sens;
	TPM2B_PUBLIC tmpl;
	TPM2B_DATA outside = { .size = 0 };
	TPML_PCR_SELECTION pcrs = { .count = 0 };
	TPM2B_PRIVATE *priv = NULL;
	TPM2B_PUBLIC *pub = NULL;
	TPM2B_CREATION_DATA *cdata = NULL;
	TPM2B_DIGEST *chash = NULL;
	TPMT_TK_CREATION *ticket = NULL;
	TPM2B_ATTEST *attest = NULL;
	TPMT_SIGNATURE *sig = NULL;
	ESYS_TR srk = ESYS_TR_NONE, key = ESYS_TR_NONE;
	json_object *m = NULL;
	struct stat st;
	const char *text;
	TSS2_RC trc;
	int rc;

	if (lstat(blob_path, &st) == 0)
		return gw_fail(err, GW_E_EXISTS, "%s exists: the update key is not replaced",
			       blob_path);
	rc = tpm_policy_update_key_policy(gate_key, policy, err);
	if (rc)
		return rc;
	tpm_policy_update_key_template(policy, &tmpl);
	memset(&sens, 0, sizeof(sens));
	rc = srk_tr(tpm, srk_handle, &srk, err);
	if (rc)
		return rc;
	trc = Esys_Create(tpm->esys, srk, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &sens,
			  &tmpl, &outside, &pcrs, &priv, &pub, &cdata, &chash, &ticket);
	if (trc != TSS2_RC_SUCCESS) {
		rc = tpm_tss_fail(err, trc, "TPM2_Create (update key)");
		goto out;
	}
	trc = Esys_Load(tpm->esys, srk, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, priv, pub,
			&key);
	if (trc != TSS2_RC_SUCCESS) {
		rc = tpm_tss_fail(err, trc, "TPM2_Load (update key)");
		goto out;
	}
	rc = certify(tpm, ak_handle, key, chash, ticket, &attest, &sig, err);
	if (rc)
		goto out;
	rc = tpm_policy_key_msg_to_json(pub, cdata, attest, sig, &m);
	if (rc) {
		rc = gw_fail(err, rc, "encoding the update key message");
		goto out;
	}
	rc = write_blob(blob_path, priv, pub, err);
	text = json_object_to_json_string_ext(m, JSON_C_TO_STRING_PLAIN);
	if (!rc)
		rc = gw_write_file_atomic(msg_path, text, strlen(text), 0600, err);
	if (!rc) {
		*msg = m; /* transferred */
		m = NULL;
	}
out:
	json_object_put(m);
	tpm_flush(tpm, &key);
	tpm_tr_close(tpm, &srk);
	Esys_Free(priv);
	Esys_Free(pub);
	Esys_Free(cdata);
	Esys_Free(chash);
	Esys_Free(ticket);
	Esys_Free(attest);
	Esys_Free(sig);
	return rc;
}

int update_key_session_open(struct agent_tpm *tpm, TPM2_HANDLE srk_handle, ESYS_TR *session,
			    uint8_t *nonce, size_t *nonce_len, gw_error *err)
{
	TPMT_SYM_DEF sym = { .algorithm = TPM2_ALG_AES,
			     .keyBits = { .aes = 128 },
			     .mode = { .aes = TPM2_ALG_CFB } };
	TPM2B_NONCE *n = NULL;
	ESYS_TR srk = ESYS_TR_NONE, s = ESYS_TR_NONE;
	TSS2_RC trc;
	int rc = srk_tr(tpm, srk_handle, &srk, err);

	if (rc)
		return rc;
	trc = Esys_StartAuthSession(tpm->esys, srk, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				    ESYS_TR_NONE, NULL, TPM2_SE_POLICY, &sym, TPM2_ALG_SHA256, &s);
	if (trc != TSS2_RC_SUCCESS) {
		rc = tpm_tss_fail(err, trc, "starting the update key's policy session");
		goto out;
	}
	trc = Esys_TRSess_GetNonceTPM(tpm->esys, s, &n);
	if (trc != TSS2_RC_SUCCESS) {
		rc = tpm_tss_fail(err, trc, "reading the session's nonceTPM");
		goto out;
	}
	if (n->size < TPM_POLICY_NONCE_MIN || n->size > TPM_POLICY_NONCE_MAX) {
		rc = gw_fail(err, GW_E_TPM, "nonceTPM of %u bytes", n->size);
		goto out;
	}
	memcpy(nonce, n->buffer, n->size);
	*nonce_len = n->size;
	*session = s; /* transferred */
	s = ESYS_TR_NONE;
out:
	Esys_Free(n);
	tpm_flush(tpm, &s);
	tpm_tr_close(tpm, &srk);
	return rc;
}

void update_key_session_close(struct agent_tpm *tpm, ESYS_TR *session)
{
	tpm_flush(tpm, session);
}

static int policy_signed(struct agent_tpm *tpm, ESYS_TR session, EVP_PKEY *gate_key,
			 const struct tpm_policy_auth *auth, gw_error *err)
{
	TPM2B_PUBLIC gpub;
	TPM2B_NONCE nonce, ref;
	TPM2B_DIGEST cphash;
	TPMT_SIGNATURE sig;
	TPM2B_TIMEOUT *timeout = NULL;
	TPMT_TK_AUTH *ticket = NULL;
	ESYS_TR gate = ESYS_TR_NONE;
	TSS2_RC trc;
	int rc;

	rc = tpm_policy_gate_public(gate_key, &gpub, err);
	if (!rc)
		rc = tpm_policy_auth_tpm_signature(auth, &sig, err);
	if (rc)
		return rc;
	nonce.size = (uint16_t)auth->nonce_len;
	memcpy(nonce.buffer, auth->nonce_tpm, auth->nonce_len);
	cphash.size = sizeof(auth->cphash);
	memcpy(cphash.buffer, auth->cphash, sizeof(auth->cphash));
	ref.size = sizeof(auth->policy_ref);
	memcpy(ref.buffer, auth->policy_ref, sizeof(auth->policy_ref));
	trc = Esys_LoadExternal(tpm->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, NULL, &gpub,
				ESYS_TR_RH_NULL, &gate);
	if (trc != TSS2_RC_SUCCESS)
		return tpm_tss_fail(err, trc, "TPM2_LoadExternal (gate key)");
	trc = Esys_PolicySigned(tpm->esys, gate, session, ESYS_TR_NONE, ESYS_TR_NONE,
				ESYS_TR_NONE, &nonce, &cphash, &ref, auth->expiration, &sig,
				&timeout, &ticket);
	if (trc != TSS2_RC_SUCCESS)
		rc = tpm_tss_fail(err, trc, "TPM2_PolicySigned (gate authorization)");
	Esys_Free(timeout);
	Esys_Free(ticket);
	tpm_flush(tpm, &gate);
	return rc;
}

static int load_key(struct agent_tpm *tpm, ESYS_TR srk, const char *blob_path, ESYS_TR *key,
		    gw_error *err)
{
	TPM2B_PRIVATE priv;
	TPM2B_PUBLIC pub;
	TSS2_RC trc;
	int rc = update_key_read_blob(blob_path, &priv, &pub, err);

	if (rc)
		return rc;
	trc = Esys_Load(tpm->esys, srk, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &priv, &pub,
			key);
	if (trc != TSS2_RC_SUCCESS)
		return tpm_tss_fail(err, trc, "TPM2_Load (update key)");
	return 0;
}

int update_key_zgen(struct agent_tpm *tpm, TPM2_HANDLE srk_handle, ESYS_TR *session,
		    const char *blob_path, EVP_PKEY *gate_key,
		    const uint8_t point[TPM_POLICY_POINT_LEN], const struct tpm_policy_auth *auth,
		    uint8_t z[32], gw_error *err)
{
	TPM2B_ECC_POINT in;
	TPM2B_ECC_POINT *out = NULL;
	ESYS_TR srk = ESYS_TR_NONE, key = ESYS_TR_NONE;
	TSS2_RC trc;
	int rc = 0;

	if (tpm_policy_point_to_tpm(point, &in)) {
		rc = gw_fail(err, GW_E_INVAL, "the point is not an uncompressed P-256 point");
		goto out;
	}
	/* Not negative (the TPM would issue a reusable ticket), not zero (never expires). */
	if (auth->expiration <= 0) {
		rc = gw_fail(err, GW_E_INVAL, "authorization: expiration %d is not positive",
			     (int)auth->expiration);
		goto out;
	}
	rc = policy_signed(tpm, *session, gate_key, auth, err);
	if (!rc)
		rc = srk_tr(tpm, srk_handle, &srk, err);
	if (!rc)
		rc = load_key(tpm, srk, blob_path, &key, err);
	if (rc)
		goto out;
	/* Encrypt the response (outPoint, whose x is Z) under the session's salted key;
	 * the command is not encrypted: its point is public and the cpHash the verifier
	 * signed is over it in clear. continueSession clear: the TPM ends the session. */
	trc = Esys_TRSess_SetAttributes(tpm->esys, *session, TPMA_SESSION_ENCRYPT,
					TPMA_SESSION_ENCRYPT | TPMA_SESSION_DECRYPT |
						TPMA_SESSION_CONTINUESESSION);
	if (trc != TSS2_RC_SUCCESS) {
		rc = tpm_tss_fail(err, trc, "setting the session attributes");
		goto out;
	}
	trc = Esys_ECDH_ZGen(tpm->esys, key, *session, ESYS_TR_NONE, ESYS_TR_NONE, &in, &out);
	if (trc != TSS2_RC_SUCCESS) {
		rc = tpm_tss_fail(err, trc, "TPM2_ECDH_ZGen (update key)");
		goto out;
	}
	/* The session ended with the command (continueSession clear). */
	*session = ESYS_TR_NONE;
	if (out->point.x.size == 0 || out->point.x.size > 32) {
		rc = gw_fail(err, GW_E_TPM, "ECDH_ZGen returned a %u-byte x", out->point.x.size);
		goto out;
	}
	memset(z, 0, 32);
	memcpy(z + 32 - out->point.x.size, out->point.x.buffer, out->point.x.size);
out:
	if (out)
		gw_wipe(out, sizeof(*out));
	Esys_Free(out);
	tpm_flush(tpm, &key);
	tpm_tr_close(tpm, &srk);
	tpm_flush(tpm, session);
	return rc;
}
