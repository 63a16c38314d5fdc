// SPDX-License-Identifier: Apache-2.0
// The store's hash-chained audit log: the canonical hash of a record, and argument
// checks in front of the backend's operations (store.h, "audit log").
#include <string.h>

#include <openssl/evp.h>

#include "store_impl.h"

static void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

static int hash_text(EVP_MD_CTX *ctx, const char *s)
{
	uint8_t len[4] = { 0xff, 0xff, 0xff, 0xff };
	size_t n;

	if (!s)
		return EVP_DigestUpdate(ctx, len, sizeof(len)) == 1 ? 0 : GW_E_CRYPTO;
	n = strnlen(s, STORE_TEXT_MAX + 1);
	if (n > STORE_TEXT_MAX)
		return GW_E_TOOBIG;
	len[0] = (uint8_t)(n >> 24);
	len[1] = (uint8_t)(n >> 16);
	len[2] = (uint8_t)(n >> 8);
	len[3] = (uint8_t)n;
	if (EVP_DigestUpdate(ctx, len, sizeof(len)) != 1 || EVP_DigestUpdate(ctx, s, n) != 1)
		return GW_E_CRYPTO;
	return 0;
}

int store_audit_hash(const uint8_t prev[STORE_HASH_LEN], uint64_t seq,
		     const struct store_audit *a, uint8_t out[STORE_HASH_LEN])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t num[16];
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	int rc = GW_E_CRYPTO;

	if (!ctx)
		return GW_E_NOMEM;
	/* actor, action and outcome are required: a NULL one is a caller bug, and
	 * encoding it like a NULL device_id would make it look deliberate. */
	if (!a->actor || !a->action || !a->outcome) {
		rc = GW_E_INVAL;
		goto out;
	}
	put_be64(num, seq);
	put_be64(num + 8, (uint64_t)a->ts);
	if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, prev, STORE_HASH_LEN) != 1 ||
	    EVP_DigestUpdate(ctx, num, sizeof(num)) != 1)
		goto out;
	if ((rc = hash_text(ctx, a->actor)) || (rc = hash_text(ctx, a->action)) ||
	    (rc = hash_text(ctx, a->device_id)) || (rc = hash_text(ctx, a->outcome)) ||
	    (rc = hash_text(ctx, a->detail)))
		goto out;
	rc = GW_E_CRYPTO;
	if (EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen != STORE_HASH_LEN)
		goto out;
	memcpy(out, md, STORE_HASH_LEN);
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}

int store_audit_append(struct store *st, const struct store_audit *a, uint64_t *seq,
		       gw_error *err)
{
	int rc;

	if (!a)
		return gw_fail(err, GW_E_INVAL, "audit record is missing");
	rc = store_check_audit(a, err);
	if (rc)
		return rc;
	return st->ops->audit_append(st, a, seq, err);
}

int store_audit_list(struct store *st, uint64_t since, store_audit_cb cb, void *arg,
		     gw_error *err)
{
	if (!cb)
		return gw_fail(err, GW_E_INVAL, "callback is missing");
	if (since > INT64_MAX)
		return gw_fail(err, GW_E_INVAL, "seq over 2^63");
	return st->ops->audit_list(st, since, cb, arg, err);
}

int store_audit_verify(struct store *st, uint64_t *count, uint64_t *first_bad_seq,
		       gw_error *err)
{
	if (!count || !first_bad_seq)
		return gw_fail(err, GW_E_INVAL, "output is missing");
	return st->ops->audit_verify(st, count, first_bad_seq, err);
}
