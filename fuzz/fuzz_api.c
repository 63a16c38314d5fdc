// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the verifier API's request-body parsers: the first byte picks
// the parser (enroll, activate, status, renew, empty body, id check), the rest is the body.
// What parses must satisfy the parser's promises; everything is freed.
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_enroll(const uint8_t *body, size_t len)
{
	struct api_enroll_req r;
	gw_error err = { { 0 } };

	memset(&r, 0, sizeof(r));
	if (api_parse_enroll(body, len, &r, &err)) {
		if (r.ek_pub_raw || r.ek_cert || r.ak_pub_raw || r.device_id[0])
			__builtin_trap(); /* output written on failure */
		return;
	}
	if (!api_valid_id(r.device_id) || !api_valid_id(r.model) || !r.ek_pub_raw ||
	    !r.ak_pub_raw || !r.ek_cert || r.ek_cert_len == 0 || r.ek_cert_len > API_MAX_CERT ||
	    r.ek_pub.size == 0 || r.ak_pub.size == 0 ||
	    /* a TPM2B's size field is the length of what follows it */
	    r.ek_pub_raw_len != 2u + r.ek_pub.size || r.ak_pub_raw_len != 2u + r.ak_pub.size)
		__builtin_trap();
	api_enroll_req_fini(&r);
	api_enroll_req_fini(&r);
}

static void check_activate(const uint8_t *body, size_t len, int want_client_key)
{
	struct api_activate_req r;
	gw_error err = { { 0 } };

	memset(&r, 0, sizeof(r));
	if (api_parse_activate(body, len, want_client_key, &r, &err)) {
		if (r.client_pub_pem || r.secret_len || r.enrollment_id[0])
			__builtin_trap();
		return;
	}
	if (strlen(r.enrollment_id) != API_ENROLLMENT_ID_LEN ||
	    strspn(r.enrollment_id, "0123456789abcdef") != API_ENROLLMENT_ID_LEN ||
	    r.secret_len == 0 || r.secret_len > sizeof(r.secret) ||
	    !r.client_pub_pem != !want_client_key ||
	    (r.client_pub_pem && strlen(r.client_pub_pem) > API_MAX_PEM))
		__builtin_trap();
	api_activate_req_fini(&r);
}

static void check_renew(const uint8_t *body, size_t len)
{
	struct api_renew_req r = { .client_pub_pem = NULL };
	gw_error err = { { 0 } };

	if (api_parse_renew(body, len, &r, &err)) {
		if (r.client_pub_pem || r.attest)
			__builtin_trap();
		return;
	}
	if (!r.client_pub_pem || !r.client_pub_pem[0] || strlen(r.client_pub_pem) > API_MAX_PEM)
		__builtin_trap();
	/* The quote comes whole or not at all. */
	if (r.attest ? !r.attest_len || !r.nonce_len || r.nonce_len > sizeof(r.nonce)
		     : r.nonce_len || r.attest_len)
		__builtin_trap();
	api_renew_req_fini(&r);
}

static void check_id(const uint8_t *data, size_t len)
{
	char *s = malloc(len + 1);

	if (!s)
		return;
	memcpy(s, data, len);
	s[len] = '\0';
	if (api_valid_id(s) && (strlen(s) == 0 || strlen(s) > API_ID_MAX))
		__builtin_trap();
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	gw_error err = { { 0 } };

	if (size == 0)
		return 0;
	switch (data[0] % 6) {
	case 0:
		check_enroll(data + 1, size - 1);
		break;
	case 1:
		check_activate(data + 1, size - 1, 1);
		break;
	case 2:
		check_activate(data + 1, size - 1, 0);
		break;
	case 5:
		check_renew(data + 1, size - 1);
		break;
	case 3:
		if (api_parse_empty(data + 1, size - 1, &err) == 0 && size - 1 > 1024 * 1024)
			__builtin_trap();
		break;
	default:
		check_id(data + 1, size - 1);
		break;
	}
	return 0;
}
