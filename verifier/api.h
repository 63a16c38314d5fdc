/* SPDX-License-Identifier: Apache-2.0 */
/* Parsers of the verifier API's request bodies (doc/protocol.md). Pure functions of
 * untrusted bytes: size and depth capped, unknown keys refused, every error naming
 * its key. */
#ifndef GW_VERIFIER_API_H
#define GW_VERIFIER_API_H

#include <stddef.h>
#include <stdint.h>

#include <tss2/tss2_tpm2_types.h>

#include "gw_error.h"

#define API_ID_MAX 64
#define API_ENROLLMENT_ID_LEN 32 /* hex characters */
#define API_MAX_CERT (16u * 1024)
#define API_MAX_PEM (8u * 1024)

struct api_enroll_req {
	char device_id[API_ID_MAX + 1];
	char model[API_ID_MAX + 1];
	TPM2B_PUBLIC ek_pub;
	uint8_t *ek_pub_raw; /* as received, for the store */
	size_t ek_pub_raw_len;
	uint8_t *ek_cert;    /* DER */
	size_t ek_cert_len;
	TPM2B_PUBLIC ak_pub;
	uint8_t *ak_pub_raw;
	size_t ak_pub_raw_len;
};

struct api_activate_req {
	char enrollment_id[API_ENROLLMENT_ID_LEN + 1];
	uint8_t secret[64];
	size_t secret_len;
	char *client_pub_pem; /* activate only; NULL for status */
};

/* POST /v1/renew: the device's new TLS public key. */
/* POST /v1/renew: client_public_key (PEM), and the enrolled TPM's quote over a
 * nonce of POST /v1/attest/challenge: nonce (hex, 1-64 bytes), attest (base64
 * TPMS_ATTEST) and signature (base64 TPMT_SIGNATURE), all three or none
 * (attest NULL: none; the service refuses that). */
struct api_renew_req {
	char *client_pub_pem;
	uint8_t nonce[64];
	size_t nonce_len;
	uint8_t *attest;
	size_t attest_len;
	TPMT_SIGNATURE sig;
};

/* A device id or model: 1-64 of A-Z a-z 0-9 . _ - */
int api_valid_id(const char *s);

int api_parse_enroll(const uint8_t *body, size_t len, struct api_enroll_req *out,
		     gw_error *err) GW_WUR;
void api_enroll_req_fini(struct api_enroll_req *r);
/* want_client_key: /v1/enroll/activate (client_public_key required) versus
 * /v1/enroll/status (not allowed). */
int api_parse_activate(const uint8_t *body, size_t len, int want_client_key,
		       struct api_activate_req *out, gw_error *err) GW_WUR;
void api_activate_req_fini(struct api_activate_req *r);
/* {"client_public_key": "PEM"}: a string of 1..API_MAX_PEM bytes, no other key. */
int api_parse_renew(const uint8_t *body, size_t len, struct api_renew_req *out,
		    gw_error *err) GW_WUR;
void api_renew_req_fini(struct api_renew_req *r);
/* A body that must be empty or "{}". */
int api_parse_empty(const uint8_t *body, size_t len, gw_error *err) GW_WUR;

#endif
