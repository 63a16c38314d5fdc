// SPDX-License-Identifier: Apache-2.0
// Owner-authorized commands' sessions: unbound HMAC sessions salted with the pinned EK.
#include "tpm_session.h"

#include <string.h>

#include <openssl/crypto.h>

#include "tpmdata.h"

int tpm_session_pin_ek(struct agent_tpm *tpm, enum tpm_ek_type type, const TPM2B_PUBLIC *ek,
		       gw_error *err)
{
	TPM2B_NAME name;

	if (tpmdata_public_name(&ek->publicArea, &name) || name.size == 0)
		return gw_fail(err, GW_E_INVAL, "the EK's public area has no name");
	tpm->ek_type = type;
	tpm->ek_name = name;
	tpm->ek_pinned = true;
	return 0;
}

/* The EK the TPM creates now, loaded, when its name is the pinned one: an interposer
 * on the bus answering with a key of its own would otherwise learn the salt. ESAPI
 * encrypts the salt to the public area it holds for the handle, whose name this is. */
static int load_pinned_ek(struct agent_tpm *tpm, ESYS_TR *ek, gw_error *err)
{
	TPM2B_NAME *name = NULL;
	TSS2_RC trc;
	int rc;

	rc = tpm_ek_create(tpm, tpm->ek_type, ek, err);
	if (rc)
		return rc;
	trc = Esys_TR_GetName(tpm->esys, *ek, &name);
	if (trc != TSS2_RC_SUCCESS) {
		rc = tpm_tss_fail(err, trc, "reading the EK's name");
	} else if (name->size != tpm->ek_name.size ||
		   CRYPTO_memcmp(name->name, tpm->ek_name.name, name->size) != 0) {
		rc = gw_fail(err, GW_E_TPM,
			     "the TPM answered with an EK that is not the provisioned one (another "
			     "TPM, or something on the TPM bus answering for it): the owner "
			     "authorization was not used");
	}
	Esys_Free(name);
	if (rc) {
		Esys_FlushContext(tpm->esys, *ek);
		*ek = ESYS_TR_NONE;
	}
	return rc;
}

int tpm_session_owner(struct agent_tpm *tpm, bool encrypt, ESYS_TR *session, gw_error *err)
{
	const TPMT_SYM_DEF sym = {
		.algorithm = TPM2_ALG_AES,
		.keyBits = { .aes = 128 },
		.mode = { .aes = TPM2_ALG_CFB },
	};
	TPMA_SESSION attrs = TPMA_SESSION_CONTINUESESSION;
	ESYS_TR ek = ESYS_TR_NONE;
	TSS2_RC trc;
	int rc;

	*session = ESYS_TR_NONE;
	if (!tpm->ek_pinned)
		return gw_fail(err, GW_E_STATE,
			       "no EK pinned to salt the owner authorization's session with");
	rc = load_pinned_ek(tpm, &ek, err);
	if (rc)
		return rc;
	trc = Esys_StartAuthSession(tpm->esys, ek, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				    ESYS_TR_NONE, NULL, TPM2_SE_HMAC, &sym, TPM2_ALG_SHA256,
				    session);
	Esys_FlushContext(tpm->esys, ek);
	if (trc != TSS2_RC_SUCCESS) {
		*session = ESYS_TR_NONE;
		return tpm_tss_fail(err, trc, "starting an EK-salted HMAC session");
	}
	/* DECRYPT: the TPM decrypts the command's first parameter, which ESAPI encrypts
	 * with AES-128-CFB under the session key. */
	if (encrypt)
		attrs |= TPMA_SESSION_DECRYPT;
	trc = Esys_TRSess_SetAttributes(tpm->esys, *session, attrs, 0xff);
	if (trc != TSS2_RC_SUCCESS) {
		tpm_session_end(tpm, session);
		return tpm_tss_fail(err, trc, "setting the session's attributes");
	}
	return 0;
}

void tpm_session_end(struct agent_tpm *tpm, ESYS_TR *session)
{
	if (*session != ESYS_TR_NONE)
		Esys_FlushContext(tpm->esys, *session);
	*session = ESYS_TR_NONE;
}
