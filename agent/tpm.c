// SPDX-License-Identifier: Apache-2.0
// ESAPI calls the agent makes: PCRs, clock, NV, EK/SRK/AK objects and quotes.
#include "tpm.h"

#include <stdlib.h>
#include <string.h>

#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

#include "tpm_session.h"
#include "util.h"

static int tss_fail(gw_error *err, TSS2_RC rc, const char *what)
{
	return gw_fail(err, GW_E_TPM, "%s: %s (0x%x)", what, Tss2_RC_Decode(rc), rc);
}

int tpm_tss_fail(gw_error *err, uint32_t rc, const char *what)
{
	return tss_fail(err, rc, what);
}

int tpm_open(const char *tcti, struct agent_tpm **out, gw_error *err)
{
	struct agent_tpm *tpm = calloc(1, sizeof(*tpm));
	TSS2_RC rc;

	if (!tpm)
		return GW_E_NOMEM;
	rc = Tss2_TctiLdr_Initialize(tcti, &tpm->tcti);
	if (rc != TSS2_RC_SUCCESS) {
		free(tpm);
		return gw_fail(err, GW_E_TPM, "cannot open TPM through TCTI '%s': %s", tcti,
			       Tss2_RC_Decode(rc));
	}
	rc = Esys_Initialize(&tpm->esys, tpm->tcti, NULL);
	if (rc != TSS2_RC_SUCCESS) {
		Tss2_TctiLdr_Finalize(&tpm->tcti);
		free(tpm);
		return tss_fail(err, rc, "Esys_Initialize");
	}
	*out = tpm;
	return 0;
}

void tpm_close(struct agent_tpm *tpm)
{
	if (!tpm)
		return;
	if (tpm->esys)
		Esys_Finalize(&tpm->esys);
	if (tpm->tcti)
		Tss2_TctiLdr_Finalize(&tpm->tcti);
	free(tpm);
}

static void flush(struct agent_tpm *tpm, ESYS_TR *h)
{
	if (*h != ESYS_TR_NONE)
		Esys_FlushContext(tpm->esys, *h);
	*h = ESYS_TR_NONE;
}

static void tr_close(struct agent_tpm *tpm, ESYS_TR *h)
{
	if (*h != ESYS_TR_NONE)
		Esys_TR_Close(tpm->esys, h);
	*h = ESYS_TR_NONE;
}

void tpm_flush(struct agent_tpm *tpm, ESYS_TR *h)
{
	flush(tpm, h);
}

void tpm_tr_close(struct agent_tpm *tpm, ESYS_TR *h)
{
	tr_close(tpm, h);
}

int tpm_active_banks(struct agent_tpm *tpm, uint16_t *algs, size_t *n, gw_error *err)
{
	TPMS_CAPABILITY_DATA *cap = NULL;
	TPMI_YES_NO more;
	TSS2_RC rc;
	size_t k = 0;

	rc = Esys_GetCapability(tpm->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				TPM2_CAP_PCRS, 0, 1, &more, &cap);
	if (rc != TSS2_RC_SUCCESS)
		return tss_fail(err, rc, "reading PCR banks");
	for (size_t i = 0; i < cap->data.assignedPCR.count && i < TPM2_NUM_PCR_BANKS; i++) {
		const TPMS_PCR_SELECTION *s = &cap->data.assignedPCR.pcrSelections[i];
		bool any = false;

		for (size_t j = 0; j < s->sizeofSelect && j < sizeof(s->pcrSelect); j++)
			any |= s->pcrSelect[j] != 0;
		if (any && gw_alg_by_id(s->hash) && k < GW_MAX_BANKS)
			algs[k++] = s->hash;
	}
	Esys_Free(cap);
	if (k == 0)
		return gw_fail(err, GW_E_TPM, "the TPM has no active PCR bank we support");
	*n = k;
	return 0;
}

int tpm_pcr_read(struct agent_tpm *tpm, const TPML_PCR_SELECTION *sel, struct tpmdata_pcrs *out,
		 gw_error *err)
{
	TPML_PCR_SELECTION want = *sel;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	out->sel = *sel;
	/* A TPM returns at most eight digests per call; ask again for what is left. The
	 * bound is the number of PCRs, so a TPM that returns nothing cannot loop us. */
	for (size_t round = 0; round <= GW_MAX_BANKS * GW_NUM_PCRS; round++) {
		TPML_PCR_SELECTION *got = NULL;
		TPML_DIGEST *values = NULL;
		size_t vi = 0;
		TSS2_RC trc;

		if (gw_pcrsel_count(&want) == 0)
			return 0;
		trc = Esys_PCR_Read(tpm->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &want,
				    NULL, &got, &values);
		if (trc != TSS2_RC_SUCCESS)
			return tss_fail(err, trc, "TPM2_PCR_Read");
		if (gw_pcrsel_count(got) == 0) {
			Esys_Free(got);
			Esys_Free(values);
			return gw_fail(err, GW_E_TPM, "TPM2_PCR_Read returned no values");
		}
		for (size_t b = 0; b < got->count && !rc; b++) {
			const TPMS_PCR_SELECTION *s = &got->pcrSelections[b];
			struct gw_pcr_bank *bank = gw_pcr_set_bank(&out->values, s->hash);

			for (unsigned p = 0; p < GW_NUM_PCRS && !rc; p++) {
				if (!gw_pcrsel_has(s, p))
					continue;
				if (!bank || vi >= values->count ||
				    values->digests[vi].size != bank->size) {
					rc = gw_fail(err, GW_E_TPM, "TPM2_PCR_Read: inconsistent answer");
					break;
				}
				memcpy(bank->pcr[p], values->digests[vi].buffer, bank->size);
				bank->touched |= 1u << p;
				vi++;
				for (size_t w = 0; w < want.count; w++)
					if (want.pcrSelections[w].hash == s->hash)
						want.pcrSelections[w].pcrSelect[p / 8] &=
							(uint8_t)~(1u << (p % 8));
			}
		}
		Esys_Free(got);
		Esys_Free(values);
		if (rc)
			return rc;
	}
	return gw_fail(err, GW_E_TPM, "TPM2_PCR_Read did not return every PCR");
}

int tpm_pcr_extend(struct agent_tpm *tpm, unsigned pcr, const uint16_t *algs,
		   const uint8_t digests[][GW_MAX_DIGEST], size_t n, gw_error *err)
{
	TPML_DIGEST_VALUES v;
	TSS2_RC rc;

	if (pcr >= GW_NUM_PCRS || n == 0 || n > TPM2_NUM_PCR_BANKS)
		return GW_E_INVAL;
	memset(&v, 0, sizeof(v));
	v.count = (uint32_t)n;
	for (size_t i = 0; i < n; i++) {
		const struct gw_alg *a = gw_alg_by_id(algs[i]);

		if (!a)
			return GW_E_INVAL;
		v.digests[i].hashAlg = algs[i];
		memcpy(&v.digests[i].digest, digests[i], a->size);
	}
	rc = Esys_PCR_Extend(tpm->esys, ESYS_TR_PCR0 + pcr, ESYS_TR_PASSWORD, ESYS_TR_NONE,
			     ESYS_TR_NONE, &v);
	if (rc != TSS2_RC_SUCCESS)
		return tss_fail(err, rc, "TPM2_PCR_Extend");
	return 0;
}

int tpm_clock(struct agent_tpm *tpm, TPMS_CLOCK_INFO *out, gw_error *err)
{
	TPMS_TIME_INFO *t = NULL;
	TSS2_RC rc;

	rc = Esys_ReadClock(tpm->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &t);
	if (rc != TSS2_RC_SUCCESS)
		return tss_fail(err, rc, "TPM2_ReadClock");
	*out = t->clockInfo;
	Esys_Free(t);
	return 0;
}

static int handle_listed(struct agent_tpm *tpm, TPM2_HANDLE first, TPM2_HANDLE h, bool *exists,
			 gw_error *err)
{
	TPMS_CAPABILITY_DATA *cap = NULL;
	TPMI_YES_NO more;
	TSS2_RC rc;

	rc = Esys_GetCapability(tpm->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				TPM2_CAP_HANDLES, h > first ? h : first, 1, &more, &cap);
	if (rc != TSS2_RC_SUCCESS)
		return tss_fail(err, rc, "listing TPM handles");
	*exists = cap->data.handles.count > 0 && cap->data.handles.handle[0] == h;
	Esys_Free(cap);
	return 0;
}

/* tss2's TPM2_PERSISTENT_FIRST shifts a signed int into its sign bit (undefined
 * behaviour that UBSan reports); spell the first handles of each range out. */
#define PERSISTENT_FIRST 0x81000000u
#define NV_INDEX_FIRST 0x01000000u

int tpm_persistent_exists(struct agent_tpm *tpm, TPM2_HANDLE h, bool *exists, gw_error *err)
{
	return handle_listed(tpm, PERSISTENT_FIRST, h, exists, err);
}

int tpm_nv_exists(struct agent_tpm *tpm, TPM2_HANDLE idx, bool *exists, gw_error *err)
{
	return handle_listed(tpm, NV_INDEX_FIRST, idx, exists, err);
}

int tpm_read_public(struct agent_tpm *tpm, TPM2_HANDLE h, TPM2B_PUBLIC *out, gw_error *err)
{
	ESYS_TR tr = ESYS_TR_NONE;
	TPM2B_PUBLIC *pub = NULL;
	bool exists = false;
	TSS2_RC trc;
	int rc;

	rc = tpm_persistent_exists(tpm, h, &exists, err);
	if (rc)
		return rc;
	if (!exists)
		return gw_fail(err, GW_E_NOTFOUND, "no persistent object at 0x%08x", h);
	trc = Esys_TR_FromTPMPublic(tpm->esys, h, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &tr);
	if (trc != TSS2_RC_SUCCESS)
		return tss_fail(err, trc, "loading persistent handle");
	trc = Esys_ReadPublic(tpm->esys, tr, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &pub,
			      NULL, NULL);
	if (trc != TSS2_RC_SUCCESS) {
		rc = tss_fail(err, trc, "TPM2_ReadPublic");
	} else {
		*out = *pub;
		Esys_Free(pub);
	}
	tr_close(tpm, &tr);
	return rc;
}

int tpm_nv_read_all(struct agent_tpm *tpm, TPM2_HANDLE idx, uint8_t **out, size_t *len,
		    gw_error *err)
{
	ESYS_TR tr = ESYS_TR_NONE;
	TPM2B_NV_PUBLIC *nvpub = NULL;
	TPMS_CAPABILITY_DATA *cap = NULL;
	TPMI_YES_NO more;
	uint8_t *buf = NULL;
	uint16_t size, chunk = 512;
	TSS2_RC trc;
	int rc = 0;

	trc = Esys_TR_FromTPMPublic(tpm->esys, idx, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &tr);
	if (trc != TSS2_RC_SUCCESS)
		return tss_fail(err, trc, "loading NV index");
	trc = Esys_NV_ReadPublic(tpm->esys, tr, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &nvpub,
				 NULL);
	if (trc != TSS2_RC_SUCCESS) {
		rc = tss_fail(err, trc, "TPM2_NV_ReadPublic");
		goto out;
	}
	size = nvpub->nvPublic.dataSize;
	trc = Esys_GetCapability(tpm->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				 TPM2_CAP_TPM_PROPERTIES, TPM2_PT_NV_BUFFER_MAX, 1, &more, &cap);
	if (trc == TSS2_RC_SUCCESS && cap->data.tpmProperties.count == 1 &&
	    cap->data.tpmProperties.tpmProperty[0].property == TPM2_PT_NV_BUFFER_MAX &&
	    cap->data.tpmProperties.tpmProperty[0].value >= 64 &&
	    cap->data.tpmProperties.tpmProperty[0].value <= TPM2_MAX_NV_BUFFER_SIZE)
		chunk = (uint16_t)cap->data.tpmProperties.tpmProperty[0].value;
	buf = malloc(size ? size : 1);
	if (!buf) {
		rc = GW_E_NOMEM;
		goto out;
	}
	for (uint16_t off = 0; off < size;) {
		TPM2B_MAX_NV_BUFFER *data = NULL;
		uint16_t n = (uint16_t)(size - off < chunk ? size - off : chunk);

		trc = Esys_NV_Read(tpm->esys, tr, tr, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
				   n, off, &data);
		if (trc != TSS2_RC_SUCCESS) {
			rc = tss_fail(err, trc, "TPM2_NV_Read");
			goto out;
		}
		if (data->size != n) {
			Esys_Free(data);
			rc = gw_fail(err, GW_E_TPM, "TPM2_NV_Read returned %u bytes, asked %u",
				     data->size, n);
			goto out;
		}
		memcpy(buf + off, data->buffer, n);
		Esys_Free(data);
		off = (uint16_t)(off + n);
	}
	*out = buf; /* transferred */
	buf = NULL;
	*len = size;
out:
	free(buf);
	Esys_Free(cap);
	Esys_Free(nvpub);
	tr_close(tpm, &tr);
	return rc;
}

/* TCG EK Credential Profile 2.x, templates L-1 (RSA 2048) and L-2 (ECC P-256). */
static const uint8_t ek_policy[32] = {
	0x83, 0x71, 0x97, 0x67, 0x44, 0x84, 0xb3, 0xf8, 0x1a, 0x90, 0xcc, 0x8d, 0x46, 0xa5, 0xd7, 0x24,
	0xfd, 0x52, 0xd7, 0x6e, 0x06, 0x52, 0x0b, 0x64, 0xf2, 0xa1, 0xda, 0x1b, 0x33, 0x14, 0x69, 0xaa,
};

static void ek_template(enum tpm_ek_type type, TPM2B_PUBLIC *t)
{
	memset(t, 0, sizeof(*t));
	t->publicArea.nameAlg = TPM2_ALG_SHA256;
	t->publicArea.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
					 TPMA_OBJECT_SENSITIVEDATAORIGIN |
					 TPMA_OBJECT_ADMINWITHPOLICY | TPMA_OBJECT_RESTRICTED |
					 TPMA_OBJECT_DECRYPT;
	t->publicArea.authPolicy.size = sizeof(ek_policy);
	memcpy(t->publicArea.authPolicy.buffer, ek_policy, sizeof(ek_policy));
	if (type == TPM_EK_RSA2048) {
		TPMS_RSA_PARMS *r = &t->publicArea.parameters.rsaDetail;

		t->publicArea.type = TPM2_ALG_RSA;
		r->symmetric.algorithm = TPM2_ALG_AES;
		r->symmetric.keyBits.aes = 128;
		r->symmetric.mode.aes = TPM2_ALG_CFB;
		r->scheme.scheme = TPM2_ALG_NULL;
		r->keyBits = 2048;
		r->exponent = 0;
		t->publicArea.unique.rsa.size = 256;
	} else {
		TPMS_ECC_PARMS *e = &t->publicArea.parameters.eccDetail;

		t->publicArea.type = TPM2_ALG_ECC;
		e->symmetric.algorithm = TPM2_ALG_AES;
		e->symmetric.keyBits.aes = 128;
		e->symmetric.mode.aes = TPM2_ALG_CFB;
		e->scheme.scheme = TPM2_ALG_NULL;
		e->curveID = TPM2_ECC_NIST_P256;
		e->kdf.scheme = TPM2_ALG_NULL;
		t->publicArea.unique.ecc.x.size = 32;
		t->publicArea.unique.ecc.y.size = 32;
	}
}

/* auth: ESYS_TR_PASSWORD for the endorsement hierarchy (whose authorization the EK
 * must be created with before any session can be salted), an owner session for the
 * owner hierarchy. */
static int create_primary(struct agent_tpm *tpm, ESYS_TR hierarchy, ESYS_TR auth,
			  const TPM2B_PUBLIC *tmpl, ESYS_TR *handle, TPM2B_PUBLIC *out,
			  gw_error *err, const char *what)
{
	TPM2B_SENSITIVE_CREATE sens;
	TPM2B_DATA outside = { .size = 0 };
	TPML_PCR_SELECTION pcrs = { .count = 0 };
	TPM2B_PUBLIC *pub = NULL;
	TSS2_RC rc;

	memset(&sens, 0, sizeof(sens));
	rc = Esys_CreatePrimary(tpm->esys, hierarchy, auth, ESYS_TR_NONE, ESYS_TR_NONE, &sens, tmpl,
				&outside, &pcrs, handle, &pub, NULL, NULL, NULL);
	if (rc != TSS2_RC_SUCCESS)
		return tss_fail(err, rc, what);
	if (out)
		*out = *pub;
	Esys_Free(pub);
	return 0;
}

int tpm_ek_public(struct agent_tpm *tpm, enum tpm_ek_type type, TPM2B_PUBLIC *out, gw_error *err)
{
	TPM2B_PUBLIC tmpl;
	ESYS_TR ek = ESYS_TR_NONE;
	int rc;

	ek_template(type, &tmpl);
	rc = create_primary(tpm, ESYS_TR_RH_ENDORSEMENT, ESYS_TR_PASSWORD, &tmpl, &ek, out, err,
			    "creating the EK");
	flush(tpm, &ek);
	return rc;
}

int tpm_ek_create(struct agent_tpm *tpm, enum tpm_ek_type type, ESYS_TR *ek, gw_error *err)
{
	TPM2B_PUBLIC tmpl;

	ek_template(type, &tmpl);
	return create_primary(tpm, ESYS_TR_RH_ENDORSEMENT, ESYS_TR_PASSWORD, &tmpl, ek, NULL, err,
			      "creating the EK");
}

static void srk_template(TPM2B_PUBLIC *t)
{
	TPMS_ECC_PARMS *e = &t->publicArea.parameters.eccDetail;

	memset(t, 0, sizeof(*t));
	t->publicArea.type = TPM2_ALG_ECC;
	t->publicArea.nameAlg = TPM2_ALG_SHA256;
	t->publicArea.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
					 TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
					 TPMA_OBJECT_NODA | TPMA_OBJECT_RESTRICTED |
					 TPMA_OBJECT_DECRYPT;
	e->symmetric.algorithm = TPM2_ALG_AES;
	e->symmetric.keyBits.aes = 128;
	e->symmetric.mode.aes = TPM2_ALG_CFB;
	e->scheme.scheme = TPM2_ALG_NULL;
	e->curveID = TPM2_ECC_NIST_P256;
	e->kdf.scheme = TPM2_ALG_NULL;
}

/* TPM2_EvictControl of obj at h in an owner session: obj transient makes it
 * persistent at h (*newh its new handle), obj persistent removes it. */
static int evict_control(struct agent_tpm *tpm, ESYS_TR obj, TPM2_HANDLE h, ESYS_TR *newh,
			 const char *what, gw_error *err)
{
	ESYS_TR session = ESYS_TR_NONE;
	TSS2_RC trc;
	int rc;

	rc = tpm_session_owner(tpm, false, &session, err);
	if (rc)
		return rc;
	trc = Esys_EvictControl(tpm->esys, ESYS_TR_RH_OWNER, obj, session, ESYS_TR_NONE,
				ESYS_TR_NONE, h, newh);
	tpm_session_end(tpm, &session);
	if (trc != TSS2_RC_SUCCESS)
		return tss_fail(err, trc, what);
	return 0;
}

static int persist(struct agent_tpm *tpm, ESYS_TR obj, TPM2_HANDLE h, gw_error *err)
{
	ESYS_TR newh = ESYS_TR_NONE;
	int rc;

	rc = evict_control(tpm, obj, h, &newh, "TPM2_EvictControl (make persistent)", err);
	if (!rc)
		tr_close(tpm, &newh);
	return rc;
}

int tpm_srk_create(struct agent_tpm *tpm, TPM2_HANDLE h, TPM2B_PUBLIC *out, gw_error *err)
{
	TPM2B_PUBLIC tmpl;
	ESYS_TR srk = ESYS_TR_NONE, session = ESYS_TR_NONE;
	int rc;

	srk_template(&tmpl);
	rc = tpm_session_owner(tpm, true, &session, err);
	if (!rc)
		rc = create_primary(tpm, ESYS_TR_RH_OWNER, session, &tmpl, &srk, out, err,
				    "creating the SRK");
	tpm_session_end(tpm, &session);
	if (!rc)
		rc = persist(tpm, srk, h, err);
	flush(tpm, &srk);
	return rc;
}

/* noDA: the AK's authorization is empty, so dictionary-attack protection guards
 * nothing, while every unorderly shutdown (a gateway losing power) after the AK was
 * used counts against DA-protected objects: after a few the TPM refuses to quote. */
#define AK_ATTRS                                                                          \
	(TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN | \
	 TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_NODA | TPMA_OBJECT_RESTRICTED |            \
	 TPMA_OBJECT_SIGN_ENCRYPT)

bool tpm_is_ak_public(const TPMT_PUBLIC *p)
{
	return tpmdata_public_is_ak(p);
}

bool tpm_is_storage_public(const TPMT_PUBLIC *p)
{
	const TPMA_OBJECT need = TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT |
				 TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT;

	return (p->objectAttributes & need) == need &&
	       !(p->objectAttributes & TPMA_OBJECT_SIGN_ENCRYPT);
}

/* A policy session satisfying the EK's policy: PolicySecret(TPM_RH_ENDORSEMENT). A
 * policy session resets after each use, so call this before every EK-authorized
 * command. */
static int ek_policy_session(struct agent_tpm *tpm, ESYS_TR *session, gw_error *err)
{
	TPMT_SYM_DEF sym = { .algorithm = TPM2_ALG_NULL };
	TSS2_RC rc;

	rc = Esys_StartAuthSession(tpm->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				   ESYS_TR_NONE, ESYS_TR_NONE, NULL, TPM2_SE_POLICY, &sym,
				   TPM2_ALG_SHA256, session);
	if (rc != TSS2_RC_SUCCESS)
		return tss_fail(err, rc, "starting a policy session");
	rc = Esys_PolicySecret(tpm->esys, ESYS_TR_RH_ENDORSEMENT, *session, ESYS_TR_PASSWORD,
			       ESYS_TR_NONE, ESYS_TR_NONE, NULL, NULL, NULL, 0, NULL, NULL);
	if (rc != TSS2_RC_SUCCESS) {
		flush(tpm, session);
		return tss_fail(err, rc, "TPM2_PolicySecret(endorsement)");
	}
	return 0;
}

int tpm_ak_create(struct agent_tpm *tpm, enum tpm_ek_type ek_type, TPM2_HANDLE h,
		  TPM2B_PUBLIC *out, gw_error *err)
{
	TPM2B_SENSITIVE_CREATE sens;
	TPM2B_PUBLIC tmpl;
	TPM2B_DATA outside = { .size = 0 };
	TPML_PCR_SELECTION pcrs = { .count = 0 };
	TPM2B_PRIVATE *priv = NULL;
	TPM2B_PUBLIC *pub = NULL;
	ESYS_TR ek = ESYS_TR_NONE, ak = ESYS_TR_NONE, session = ESYS_TR_NONE;
	TPMS_ECC_PARMS *e = &tmpl.publicArea.parameters.eccDetail;
	TSS2_RC trc;
	int rc = 0;

	memset(&sens, 0, sizeof(sens));
	memset(&tmpl, 0, sizeof(tmpl));
	tmpl.publicArea.type = TPM2_ALG_ECC;
	tmpl.publicArea.nameAlg = TPM2_ALG_SHA256;
	tmpl.publicArea.objectAttributes = AK_ATTRS;
	e->symmetric.algorithm = TPM2_ALG_NULL;
	e->scheme.scheme = TPM2_ALG_ECDSA;
	e->scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
	e->curveID = TPM2_ECC_NIST_P256;
	e->kdf.scheme = TPM2_ALG_NULL;

	/* The AK lives in the endorsement hierarchy, under the EK: quotes it signs then
	 * carry the real resetCount, restartCount and firmwareVersion, which the TPM
	 * obfuscates for keys of other hierarchies. */
	rc = tpm_ek_create(tpm, ek_type, &ek, err);
	if (rc)
		goto out;
	rc = ek_policy_session(tpm, &session, err);
	if (rc)
		goto out;
	trc = Esys_Create(tpm->esys, ek, session, ESYS_TR_NONE, ESYS_TR_NONE, &sens, &tmpl,
			  &outside, &pcrs, &priv, &pub, NULL, NULL, NULL);
	flush(tpm, &session);
	if (trc != TSS2_RC_SUCCESS) {
		rc = tss_fail(err, trc, "creating the AK");
		goto out;
	}
	rc = ek_policy_session(tpm, &session, err);
	if (rc)
		goto out;
	trc = Esys_Load(tpm->esys, ek, session, ESYS_TR_NONE, ESYS_TR_NONE, priv, pub, &ak);
	flush(tpm, &session);
	if (trc != TSS2_RC_SUCCESS) {
		rc = tss_fail(err, trc, "loading the AK");
		goto out;
	}
	rc = persist(tpm, ak, h, err);
	if (!rc)
		*out = *pub;
out:
	flush(tpm, &session);
	flush(tpm, &ak);
	flush(tpm, &ek);
	Esys_Free(priv);
	Esys_Free(pub);
	return rc;
}

int tpm_evict(struct agent_tpm *tpm, TPM2_HANDLE h, gw_error *err)
{
	ESYS_TR tr = ESYS_TR_NONE, out = ESYS_TR_NONE;
	TSS2_RC trc;
	int rc;

	trc = Esys_TR_FromTPMPublic(tpm->esys, h, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &tr);
	if (trc != TSS2_RC_SUCCESS)
		return tss_fail(err, trc, "loading persistent handle");
	/* EvictControl on a persistent object removes it; ESAPI invalidates tr. */
	rc = evict_control(tpm, tr, h, &out, "TPM2_EvictControl (remove)", err);
	if (rc)
		tr_close(tpm, &tr);
	return rc;
}

int tpm_quote(struct agent_tpm *tpm, TPM2_HANDLE ak_handle, const uint8_t *nonce,
	      size_t nonce_len, const TPML_PCR_SELECTION *sel, TPM2B_ATTEST **attest,
	      TPMT_SIGNATURE **sig, gw_error *err)
{
	TPM2B_DATA qd;
	TPMT_SIG_SCHEME scheme = { .scheme = TPM2_ALG_NULL };
	ESYS_TR ak = ESYS_TR_NONE;
	TSS2_RC trc;
	int rc = 0;

	if (nonce_len > sizeof(qd.buffer))
		return gw_fail(err, GW_E_INVAL, "nonce longer than %zu bytes", sizeof(qd.buffer));
	qd.size = (uint16_t)nonce_len;
	memcpy(qd.buffer, nonce, nonce_len);
	trc = Esys_TR_FromTPMPublic(tpm->esys, ak_handle, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				    &ak);
	if (trc != TSS2_RC_SUCCESS)
		return tss_fail(err, trc, "loading the AK");
	trc = Esys_Quote(tpm->esys, ak, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &qd, &scheme,
			 sel, attest, sig);
	if (trc != TSS2_RC_SUCCESS)
		rc = tss_fail(err, trc, "TPM2_Quote");
	tr_close(tpm, &ak);
	return rc;
}

static void be32_chars(uint32_t v, char *out)
{
	out[0] = (char)(v >> 24);
	out[1] = (char)(v >> 16);
	out[2] = (char)(v >> 8);
	out[3] = (char)v;
}

int tpm_get_info(struct agent_tpm *tpm, struct tpm_info *out, gw_error *err)
{
	TPMS_CAPABILITY_DATA *cap = NULL;
	TPMI_YES_NO more;
	TSS2_RC rc;

	memset(out, 0, sizeof(*out));
	rc = Esys_GetCapability(tpm->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				TPM2_CAP_TPM_PROPERTIES, TPM2_PT_FIXED, TPM2_MAX_TPM_PROPERTIES,
				&more, &cap);
	if (rc != TSS2_RC_SUCCESS)
		return tss_fail(err, rc, "reading TPM properties");
	for (size_t i = 0; i < cap->data.tpmProperties.count; i++) {
		uint32_t v = cap->data.tpmProperties.tpmProperty[i].value;

		switch (cap->data.tpmProperties.tpmProperty[i].property) {
		case TPM2_PT_MANUFACTURER:
			be32_chars(v, out->manufacturer);
			break;
		case TPM2_PT_VENDOR_STRING_1:
		case TPM2_PT_VENDOR_STRING_2:
		case TPM2_PT_VENDOR_STRING_3:
		case TPM2_PT_VENDOR_STRING_4:
			be32_chars(v, out->vendor +
					      4 * (cap->data.tpmProperties.tpmProperty[i].property -
						   TPM2_PT_VENDOR_STRING_1));
			break;
		case TPM2_PT_FIRMWARE_VERSION_1:
			out->fw1 = v;
			break;
		case TPM2_PT_FIRMWARE_VERSION_2:
			out->fw2 = v;
			break;
		case TPM2_PT_LEVEL:
			out->spec_level = v;
			break;
		case TPM2_PT_REVISION:
			out->spec_revision = v;
			break;
		default:
			break;
		}
	}
	Esys_Free(cap);
	/* Vendor strings are NUL-padded ASCII; keep only printable characters. */
	for (size_t i = 0; i < sizeof(out->vendor) - 1; i++)
		if (out->vendor[i] && (out->vendor[i] < 0x20 || out->vendor[i] > 0x7e))
			out->vendor[i] = '?';
	for (size_t i = 0; i < sizeof(out->manufacturer) - 1; i++)
		if (out->manufacturer[i] && (out->manufacturer[i] < 0x20 || out->manufacturer[i] > 0x7e))
			out->manufacturer[i] = '?';
	return 0;
}

int tpm_activate_credential(struct agent_tpm *tpm, enum tpm_ek_type ek_type, TPM2_HANDLE ak_handle,
			    const TPM2B_ID_OBJECT *blob, const TPM2B_ENCRYPTED_SECRET *enc,
			    uint8_t *secret, size_t *secret_len, gw_error *err)
{
	TPM2B_DIGEST *cert = NULL;
	ESYS_TR ek = ESYS_TR_NONE, ak = ESYS_TR_NONE, session = ESYS_TR_NONE;
	TSS2_RC trc;
	int rc = 0;

	if (!blob || !enc || !secret || !secret_len)
		return gw_fail(err, GW_E_INVAL, "activate credential: missing argument");
	trc = Esys_TR_FromTPMPublic(tpm->esys, ak_handle, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				    &ak);
	if (trc != TSS2_RC_SUCCESS)
		return tss_fail(err, trc, "loading the AK");
	rc = tpm_ek_create(tpm, ek_type, &ek, err);
	if (rc)
		goto out;
	rc = ek_policy_session(tpm, &session, err);
	if (rc)
		goto out;
	/* The AK (activateHandle, ADMIN role) has adminWithPolicy clear, so its password
	 * does; the EK (keyHandle, USER role) needs its policy. */
	trc = Esys_ActivateCredential(tpm->esys, ak, ek, ESYS_TR_PASSWORD, session, ESYS_TR_NONE,
				      blob, enc, &cert);
	if (trc != TSS2_RC_SUCCESS) {
		rc = gw_fail(err, GW_E_TPM,
			     "TPM2_ActivateCredential refused the credential (not made for this "
			     "EK and AK at 0x%08x, or corrupt): %s (0x%x)",
			     ak_handle, Tss2_RC_Decode(trc), trc);
		goto out;
	}
	if (cert->size > *secret_len) {
		rc = gw_fail(err, GW_E_TOOBIG, "activated secret is %u bytes, room for %zu",
			     cert->size, *secret_len);
		goto out;
	}
	memcpy(secret, cert->buffer, cert->size);
	*secret_len = cert->size;
out:
	if (cert)
		gw_wipe(cert, sizeof(*cert));
	Esys_Free(cert);
	flush(tpm, &session);
	flush(tpm, &ek);
	tr_close(tpm, &ak);
	return rc;
}
