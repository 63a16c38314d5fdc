// SPDX-License-Identifier: Apache-2.0
// Serial number and validity of an X.509 certificate, read with OpenSSL.
#include "certinfo.h"

#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bn.h>

static int asn1_seconds(const ASN1_TIME *t, int64_t *out)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
		return GW_E_PARSE;
	*out = (int64_t)timegm(&tm);
	return 0;
}

int certinfo_get(const X509 *cert, struct certinfo *out)
{
	const ASN1_INTEGER *sn = X509_get0_serialNumber(cert);
	BIGNUM *bn = sn ? ASN1_INTEGER_to_BN(sn, NULL) : NULL;
	char *hex = bn ? BN_bn2hex(bn) : NULL;
	struct certinfo c;
	int rc = GW_E_PARSE;

	memset(&c, 0, sizeof(c));
	if (!hex || strlen(hex) > 40 || asn1_seconds(X509_get0_notBefore(cert), &c.not_before) ||
	    asn1_seconds(X509_get0_notAfter(cert), &c.not_after))
		goto out;
	for (size_t i = 0; hex[i]; i++)
		c.serial[i] = (char)(hex[i] >= 'A' && hex[i] <= 'F' ? hex[i] - 'A' + 'a' : hex[i]);
	*out = c;
	rc = 0;
out:
	OPENSSL_free(hex);
	BN_free(bn);
	return rc;
}

void certinfo_time(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (len == 0)
		return;
	if (!gmtime_r(&tt, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		buf[0] = '\0';
}

int64_t certinfo_renew_from(const struct certinfo *c)
{
	int64_t life = c->not_after - c->not_before;

	return life <= 0 ? c->not_before : c->not_after - life / 3;
}

bool certinfo_renew_due(const struct certinfo *c, int64_t now)
{
	/* The last third of the lifetime: a year's certificate renews about four
	 * months ahead, with room for a verifier that is down for weeks. */
	return c->not_after <= c->not_before || now >= certinfo_renew_from(c);
}
