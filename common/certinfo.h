/* SPDX-License-Identifier: Apache-2.0 */
/* What the verifier and the agent log and decide about an X.509 certificate: its
 * serial number and validity period. */
#ifndef GW_CERTINFO_H
#define GW_CERTINFO_H

#include <stdbool.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "gw_error.h"

#define CERTINFO_SERIAL_MAX 80 /* hex digits of a serial (RFC 5280: at most 20 bytes) + NUL */

struct certinfo {
	char serial[CERTINFO_SERIAL_MAX]; /* lower-case hex, no leading zeros */
	int64_t not_before;               /* seconds since the epoch */
	int64_t not_after;
};

/* GW_E_PARSE when the serial is longer than 20 bytes or a time cannot be read. */
int certinfo_get(const X509 *cert, struct certinfo *out) GW_WUR;
/* "2027-12-02T10:00:00Z" for t (seconds since the epoch); buf of 21+ bytes. */
void certinfo_time(int64_t t, char *buf, size_t len);

/* Renewal is due in the last third of the certificate's lifetime (doc/enrollment.md):
 * the agent renews then, and the verifier renews no earlier. certinfo_renew_from
 * is the first second of that third. */
int64_t certinfo_renew_from(const struct certinfo *c);
bool certinfo_renew_due(const struct certinfo *c, int64_t now);

#endif
