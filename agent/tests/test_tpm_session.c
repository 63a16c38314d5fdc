// SPDX-License-Identifier: Apache-2.0
// Unit tests for the owner session helper's parts that need no TPM: no owner session
// without a pinned EK, and what pinning an EK keeps.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tpm_session.h"

static void ecc_public(TPM2B_PUBLIC *p, TPMI_ALG_HASH name_alg)
{
	memset(p, 0, sizeof(*p));
	p->publicArea.type = TPM2_ALG_ECC;
	p->publicArea.nameAlg = name_alg;
	p->publicArea.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_RESTRICTED |
					 TPMA_OBJECT_DECRYPT;
	p->publicArea.parameters.eccDetail.symmetric.algorithm = TPM2_ALG_AES;
	p->publicArea.parameters.eccDetail.symmetric.keyBits.aes = 128;
	p->publicArea.parameters.eccDetail.symmetric.mode.aes = TPM2_ALG_CFB;
	p->publicArea.parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
	p->publicArea.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
	p->publicArea.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
	p->publicArea.unique.ecc.x.size = 32;
	p->publicArea.unique.ecc.y.size = 32;
	memset(p->publicArea.unique.ecc.x.buffer, 0x11, 32);
	memset(p->publicArea.unique.ecc.y.buffer, 0x22, 32);
}

/* Without a pinned EK there is no session, and the TPM is never asked (esys is NULL
 * here: a call would crash). */
static void test_unpinned_refused(void **state)
{
	struct agent_tpm tpm;
	ESYS_TR s = 0x1234;
	gw_error err = { { 0 } };

	(void)state;
	memset(&tpm, 0, sizeof(tpm));
	assert_int_equal(tpm_session_owner(&tpm, true, &s, &err), GW_E_STATE);
	assert_int_equal(s, ESYS_TR_NONE);
	assert_non_null(strstr(err.msg, "no EK pinned"));
	tpm_session_end(&tpm, &s); /* nothing to flush */
	assert_int_equal(s, ESYS_TR_NONE);
}

static void test_pin_keeps_name(void **state)
{
	struct agent_tpm tpm;
	TPM2B_PUBLIC ek, other;
	gw_error err = { { 0 } };
	TPM2B_NAME first;

	(void)state;
	memset(&tpm, 0, sizeof(tpm));
	ecc_public(&ek, TPM2_ALG_SHA256);
	assert_int_equal(tpm_session_pin_ek(&tpm, TPM_EK_ECC_P256, &ek, &err), 0);
	assert_true(tpm.ek_pinned);
	assert_int_equal(tpm.ek_type, TPM_EK_ECC_P256);
	assert_int_equal(tpm.ek_name.size, 34);
	assert_int_equal(tpm.ek_name.name[0], 0x00);
	assert_int_equal(tpm.ek_name.name[1], 0x0b);
	first = tpm.ek_name;
	/* Another key, another name: what the session compares. */
	ecc_public(&other, TPM2_ALG_SHA256);
	other.publicArea.unique.ecc.x.buffer[0] ^= 1;
	assert_int_equal(tpm_session_pin_ek(&tpm, TPM_EK_ECC_P256, &other, &err), 0);
	assert_memory_not_equal(tpm.ek_name.name, first.name, first.size);
}

static void test_pin_without_name_refused(void **state)
{
	struct agent_tpm tpm;
	TPM2B_PUBLIC ek;
	gw_error err = { { 0 } };

	(void)state;
	memset(&tpm, 0, sizeof(tpm));
	ecc_public(&ek, TPM2_ALG_NULL);
	assert_int_equal(tpm_session_pin_ek(&tpm, TPM_EK_ECC_P256, &ek, &err), GW_E_INVAL);
	assert_false(tpm.ek_pinned);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unpinned_refused),
		cmocka_unit_test(test_pin_keeps_name),
		cmocka_unit_test(test_pin_without_name_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
