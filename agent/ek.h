/* SPDX-License-Identifier: Apache-2.0 */
/* Which endorsement key the agent uses, and its certificate from NV: one choice for
 * provision and enroll. */
#ifndef GW_AGENT_EK_H
#define GW_AGENT_EK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tpm.h"

/* ECC P-256 when its certificate index (0x01c0000a) exists or when neither does;
 * RSA 2048 when only 0x01c00002 exists. *has_cert says whether the chosen type has a
 * certificate in NV. */
int ek_select(struct agent_tpm *tpm, enum tpm_ek_type *type, bool *has_cert,
	      gw_error *err) GW_WUR;

/* NV index of the EK certificate of type. */
uint32_t ek_cert_index(enum tpm_ek_type type);

/* The EK certificate (DER) of type, checked to be X.509 and to certify pub.
 * *cert freed by the caller. GW_E_PARSE when it is not DER X.509, GW_E_KEY when
 * it is for another key. */
int ek_read_cert(struct agent_tpm *tpm, enum tpm_ek_type type, const TPM2B_PUBLIC *pub,
		 uint8_t **cert, size_t *cert_len, gw_error *err) GW_WUR;

#endif
