// SPDX-License-Identifier: Apache-2.0
// NV index commands (define, read public, read, increment, write, write lock) and the
// hierarchy authorization state, for the anti-rollback counters.
#include "tpm_nv.h"

#include <string.h>
#include <time.h>

#include <tss2/tss2_rc.h>

#include "tpm_session.h"
#include "util.h"

#define NV_RATE_TRIES 100 /* x 100 ms */

/* A TPM response code without the handle, session or parameter number that
 * format-one codes carry, so it compares equal to the TPM2_RC_* constants. */
static TSS2_RC rc_base(TSS2_RC rc)
{
	if ((rc & TSS2_RC_LAYER_MASK) != TSS2_TPM_RC_LAYER)
		return rc;
	if (rc & TPM2_RC_FMT1)
		return rc & (TPM2_RC_FMT1 | 0x3f);
	return rc;
}

static bool is_auth_failure(TSS2_RC rc)
{
	rc = rc_base(rc);
	return rc == TPM2_RC_AUTH_FAIL || rc == TPM2_RC_BAD_AUTH || rc == TPM2_RC_LOCKOUT;
}

static int nv_fail(gw_error *err, TSS2_RC rc, const char *what, TPM2_HANDLE idx,
		   enum tpm_nv_auth auth)
{
	if (is_auth_failure(rc) && auth == TPM_NV_AUTH_OWNER)
		return gw_fail(err, GW_E_TPM,
			       "%s 0x%08x: the TPM refused the owner authorization (%s); give "
			       "it with --owner-auth-file",
			       what, idx, Tss2_RC_Decode(rc));
	if (rc_base(rc) == TPM2_RC_NV_LOCKED)
		return gw_fail(err, GW_E_STATE, "%s 0x%08x: the index is locked (%s)", what, idx,
			       Tss2_RC_Decode(rc));
	return gw_fail(err, GW_E_TPM, "%s 0x%08x: %s (0x%x)", what, idx, Tss2_RC_Decode(rc), rc);
}

static void tr_close(struct agent_tpm *tpm, ESYS_TR *h)
{
	if (*h != ESYS_TR_NONE)
		Esys_TR_Close(tpm->esys, h);
	*h = ESYS_TR_NONE;
}

/* An ESAPI handle for the index, from the public area the TPM reports. */
static int nv_open(struct agent_tpm *tpm, TPM2_HANDLE idx, ESYS_TR *tr, gw_error *err)
{
	bool exists = false;
	TSS2_RC trc;
	int rc;

	rc = tpm_nv_exists(tpm, idx, &exists, err);
	if (rc)
		return rc;
	if (!exists)
		return gw_fail(err, GW_E_NOTFOUND, "no NV index at 0x%08x", idx);
	trc = Esys_TR_FromTPMPublic(tpm->esys, idx, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, tr);
	if (trc != TSS2_RC_SUCCESS)
		return nv_fail(err, trc, "loading NV index", idx, TPM_NV_AUTH_INDEX);
	return 0;
}

static ESYS_TR auth_handle(enum tpm_nv_auth auth, ESYS_TR index)
{
	return auth == TPM_NV_AUTH_OWNER ? ESYS_TR_RH_OWNER : index;
}

/* The session that carries auth: the index's own (empty) password, or an EK-salted
 * HMAC session for the owner's (tpm_session.h). */
static int auth_session(struct agent_tpm *tpm, enum tpm_nv_auth auth, bool encrypt,
			ESYS_TR *session, gw_error *err)
{
	if (auth == TPM_NV_AUTH_INDEX) {
		*session = ESYS_TR_PASSWORD;
		return 0;
	}
	return tpm_session_owner(tpm, encrypt, session, err);
}

static void auth_session_end(struct agent_tpm *tpm, ESYS_TR *session)
{
	if (*session != ESYS_TR_PASSWORD)
		tpm_session_end(tpm, session);
	*session = ESYS_TR_NONE;
}

int tpm_nv_define(struct agent_tpm *tpm, TPM2_HANDLE idx, TPMA_NV attrs, uint16_t size,
		  gw_error *err)
{
	TPM2B_AUTH auth = { .size = 0 };
	TPM2B_NV_PUBLIC pub;
	ESYS_TR tr = ESYS_TR_NONE, session = ESYS_TR_NONE;
	TSS2_RC trc;
	int rc;

	memset(&pub, 0, sizeof(pub));
	pub.nvPublic.nvIndex = idx;
	pub.nvPublic.nameAlg = TPM2_ALG_SHA256;
	pub.nvPublic.attributes = attrs;
	pub.nvPublic.authPolicy.size = 0;
	pub.nvPublic.dataSize = size;
	/* Encrypted: the first parameter is the new index's authValue. */
	rc = tpm_session_owner(tpm, true, &session, err);
	if (rc)
		return rc;
	trc = Esys_NV_DefineSpace(tpm->esys, ESYS_TR_RH_OWNER, session, ESYS_TR_NONE, ESYS_TR_NONE,
				  &auth, &pub, &tr);
	tpm_session_end(tpm, &session);
	if (trc != TSS2_RC_SUCCESS) {
		if (rc_base(trc) == TPM2_RC_NV_DEFINED)
			return gw_fail(err, GW_E_EXISTS, "an NV index is already defined at 0x%08x",
				       idx);
		return nv_fail(err, trc, "TPM2_NV_DefineSpace", idx, TPM_NV_AUTH_OWNER);
	}
	tr_close(tpm, &tr);
	return 0;
}

int tpm_nv_read_public(struct agent_tpm *tpm, TPM2_HANDLE idx, TPMS_NV_PUBLIC *out,
		       gw_error *err)
{
	ESYS_TR tr = ESYS_TR_NONE;
	TPM2B_NV_PUBLIC *pub = NULL;
	TSS2_RC trc;
	int rc;

	rc = nv_open(tpm, idx, &tr, err);
	if (rc)
		return rc;
	trc = Esys_NV_ReadPublic(tpm->esys, tr, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &pub,
				 NULL);
	if (trc != TSS2_RC_SUCCESS) {
		rc = nv_fail(err, trc, "TPM2_NV_ReadPublic", idx, TPM_NV_AUTH_INDEX);
	} else if (pub->nvPublic.nvIndex != idx) {
		rc = gw_fail(err, GW_E_TPM, "TPM2_NV_ReadPublic of 0x%08x answered for 0x%08x", idx,
			     pub->nvPublic.nvIndex);
	} else {
		*out = pub->nvPublic;
	}
	Esys_Free(pub);
	tr_close(tpm, &tr);
	return rc;
}

int tpm_nv_read(struct agent_tpm *tpm, TPM2_HANDLE idx, enum tpm_nv_auth auth, uint16_t off,
		uint8_t *buf, uint16_t len, gw_error *err)
{
	ESYS_TR tr = ESYS_TR_NONE, session = ESYS_TR_NONE;
	TPM2B_MAX_NV_BUFFER *data = NULL;
	TSS2_RC trc;
	int rc;

	if (len == 0 || len > TPM2_MAX_NV_BUFFER_SIZE)
		return gw_fail(err, GW_E_INVAL, "NV read of %u bytes", len);
	rc = nv_open(tpm, idx, &tr, err);
	if (rc)
		return rc;
	rc = auth_session(tpm, auth, false, &session, err);
	if (rc) {
		tr_close(tpm, &tr);
		return rc;
	}
	trc = Esys_NV_Read(tpm->esys, auth_handle(auth, tr), tr, session, ESYS_TR_NONE,
			   ESYS_TR_NONE, len, off, &data);
	auth_session_end(tpm, &session);
	if (trc != TSS2_RC_SUCCESS)
		rc = nv_fail(err, trc, "TPM2_NV_Read", idx, auth);
	else if (data->size != len)
		rc = gw_fail(err, GW_E_TPM, "TPM2_NV_Read of 0x%08x returned %u bytes, asked %u",
			     idx, data->size, len);
	else
		memcpy(buf, data->buffer, len);
	Esys_Free(data);
	tr_close(tpm, &tr);
	return rc;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0)
		;
}

int tpm_nv_increment(struct agent_tpm *tpm, TPM2_HANDLE idx, enum tpm_nv_auth auth,
		     gw_error *err)
{
	ESYS_TR tr = ESYS_TR_NONE, session = ESYS_TR_NONE;
	TSS2_RC trc = TSS2_RC_SUCCESS;
	int rc;

	rc = nv_open(tpm, idx, &tr, err);
	if (rc)
		return rc;
	rc = auth_session(tpm, auth, false, &session, err);
	for (int i = 0; !rc && i < NV_RATE_TRIES; i++) {
		trc = Esys_NV_Increment(tpm->esys, auth_handle(auth, tr), tr, session,
					ESYS_TR_NONE, ESYS_TR_NONE);
		if (rc_base(trc) != TPM2_RC_NV_RATE)
			break;
		sleep_ms(100);
	}
	auth_session_end(tpm, &session);
	if (!rc && trc != TSS2_RC_SUCCESS)
		rc = nv_fail(err, trc, "TPM2_NV_Increment", idx, auth);
	tr_close(tpm, &tr);
	return rc;
}

int tpm_nv_write(struct agent_tpm *tpm, TPM2_HANDLE idx, enum tpm_nv_auth auth, uint16_t off,
		 const uint8_t *data, uint16_t len, gw_error *err)
{
	TPM2B_MAX_NV_BUFFER buf;
	ESYS_TR tr = ESYS_TR_NONE, session = ESYS_TR_NONE;
	TSS2_RC trc;
	int rc;

	if (len == 0 || len > sizeof(buf.buffer))
		return gw_fail(err, GW_E_INVAL, "NV write of %u bytes", len);
	buf.size = len;
	memcpy(buf.buffer, data, len);
	rc = nv_open(tpm, idx, &tr, err);
	if (rc)
		return rc;
	rc = auth_session(tpm, auth, true, &session, err);
	if (rc) {
		tr_close(tpm, &tr);
		return rc;
	}
	trc = Esys_NV_Write(tpm->esys, auth_handle(auth, tr), tr, session, ESYS_TR_NONE,
			    ESYS_TR_NONE, &buf, off);
	auth_session_end(tpm, &session);
	if (trc != TSS2_RC_SUCCESS)
		rc = nv_fail(err, trc, "TPM2_NV_Write", idx, auth);
	tr_close(tpm, &tr);
	return rc;
}

int tpm_nv_write_lock(struct agent_tpm *tpm, TPM2_HANDLE idx, enum tpm_nv_auth auth,
		      gw_error *err)
{
	ESYS_TR tr = ESYS_TR_NONE, session = ESYS_TR_NONE;
	TSS2_RC trc;
	int rc;

	rc = nv_open(tpm, idx, &tr, err);
	if (rc)
		return rc;
	rc = auth_session(tpm, auth, false, &session, err);
	if (rc) {
		tr_close(tpm, &tr);
		return rc;
	}
	trc = Esys_NV_WriteLock(tpm->esys, auth_handle(auth, tr), tr, session, ESYS_TR_NONE,
				ESYS_TR_NONE);
	auth_session_end(tpm, &session);
	if (trc != TSS2_RC_SUCCESS)
		rc = nv_fail(err, trc, "TPM2_NV_WriteLock", idx, auth);
	tr_close(tpm, &tr);
	return rc;
}

int tpm_auth_state(struct agent_tpm *tpm, struct tpm_auth_state *out, gw_error *err)
{
	TPMS_CAPABILITY_DATA *cap = NULL;
	TPMI_YES_NO more;
	TPMA_PERMANENT perm;
	TSS2_RC trc;

	trc = Esys_GetCapability(tpm->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				 TPM2_CAP_TPM_PROPERTIES, TPM2_PT_PERMANENT, 1, &more, &cap);
	if (trc != TSS2_RC_SUCCESS)
		return tpm_tss_fail(err, trc, "reading TPM2_PT_PERMANENT");
	if (cap->data.tpmProperties.count != 1 ||
	    cap->data.tpmProperties.tpmProperty[0].property != TPM2_PT_PERMANENT) {
		Esys_Free(cap);
		return gw_fail(err, GW_E_TPM, "the TPM did not report TPM2_PT_PERMANENT");
	}
	perm = cap->data.tpmProperties.tpmProperty[0].value;
	Esys_Free(cap);
	out->owner_auth_set = perm & TPMA_PERMANENT_OWNERAUTHSET;
	out->lockout_auth_set = perm & TPMA_PERMANENT_LOCKOUTAUTHSET;
	out->clear_disabled = perm & TPMA_PERMANENT_DISABLECLEAR;
	return 0;
}

int tpm_set_owner_auth(struct agent_tpm *tpm, const uint8_t *auth, size_t len, gw_error *err)
{
	TPM2B_AUTH a;
	TSS2_RC trc;

	if (len > 64 || len > sizeof(a.buffer))
		return gw_fail(err, GW_E_TOOBIG, "owner authorization longer than 64 bytes");
	a.size = (uint16_t)len;
	memcpy(a.buffer, auth, len);
	trc = Esys_TR_SetAuth(tpm->esys, ESYS_TR_RH_OWNER, &a);
	gw_wipe(&a, sizeof(a));
	if (trc != TSS2_RC_SUCCESS)
		return tpm_tss_fail(err, trc, "setting the owner authorization");
	return 0;
}
