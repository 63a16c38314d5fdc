/* SPDX-License-Identifier: Apache-2.0 */
/* Device certificates: issuing one (enrollment, renewal, recovery), POST /v1/renew,
 * and the recovery of an enrolled device whose TPM proves itself again. */
#ifndef GW_VERIFIER_SERVICE_RENEW_H
#define GW_VERIFIER_SERVICE_RENEW_H

#include <stdbool.h>

#include "certinfo.h"
#include "service.h"

/* A certificate just issued: PEM (owned), fingerprint, serial, notAfter. */
struct service_cert {
	char *pem;
	char fp[STORE_FP_LEN + 1]; /* SHA-256 of the DER, lower-case hex */
	char serial[CERTINFO_SERIAL_MAX]; /* lower-case hex */
	int64_t not_after;         /* seconds since the epoch */
};
void service_cert_fini(struct service_cert *c);

/* A client certificate, CN device_id, for pub_pem (an ECC or RSA 2048+ public key:
 * GW_E_KEY otherwise), valid for [enrollment] cert_days. Nothing is stored. */
int service_cert_issue(struct service_worker *w, const char *device_id, const char *pub_pem,
		       struct service_cert *out, gw_error *err) GW_WUR;
/* Bind a device to c (enrollment), audited as device.certificate "issued". */
int service_cert_bind_new(struct service_worker *w, const char *device_id,
			  const struct service_cert *c, gw_error *err) GW_WUR;
/* The answer of an enrolled device with its new certificate (the shape of
 * /v1/enroll/activate's, plus not_after). */
void service_reply_certificate(struct httpd_req *req, struct service_worker *w,
			       const char *device_id, const struct service_cert *c);

/* True when dev is enrolled with this EK (compared as a key) and this AK name: its
 * TPM may then prove itself again (POST /v1/enroll) and recover. */
bool service_recoverable(const struct store_device *dev, const uint8_t *ek_pub,
			 size_t ek_pub_len, const uint8_t *ak_name, size_t ak_name_len);
/* After the secret of e checked out and e's TPM is device e->device_id's: issue it a
 * certificate for client_pub_pem and rebind, audited as device.recover; replies. */
void service_recover(struct httpd_req *req, struct service_worker *w,
		     const struct store_enrollment *e, const char *client_pub_pem);

#endif
