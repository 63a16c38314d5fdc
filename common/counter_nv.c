// SPDX-License-Identifier: Apache-2.0
// The counters' NV indices as both sides see them: which public areas are ours, the
// baseline record, and the verification of a channel's certified pair.
#include "counter_nv.h"

#include <stdio.h>
#include <string.h>

#include <tss2/tss2_mu.h>

#include "digest.h"
#include "tpm_attest.h"
#include "util.h"

/* State bits the TPM sets; everything else must be exactly what we define. */
#define NV_STATE_BITS (TPMA_NV_WRITTEN | TPMA_NV_WRITELOCKED | TPMA_NV_READLOCKED)

/* tpm2-tools' names, so `tpm2_nvreadpublic` and our messages agree. */
static const struct {
	TPMA_NV bit;
	const char *name;
} attr_names[] = {
	{ TPMA_NV_PPWRITE, "ppwrite" },
	{ TPMA_NV_OWNERWRITE, "ownerwrite" },
	{ TPMA_NV_AUTHWRITE, "authwrite" },
	{ TPMA_NV_POLICYWRITE, "policywrite" },
	{ TPMA_NV_POLICY_DELETE, "policy_delete" },
	{ TPMA_NV_WRITELOCKED, "writelocked" },
	{ TPMA_NV_WRITEALL, "writeall" },
	{ TPMA_NV_WRITEDEFINE, "writedefine" },
	{ TPMA_NV_WRITE_STCLEAR, "write_stclear" },
	{ TPMA_NV_GLOBALLOCK, "globallock" },
	{ TPMA_NV_PPREAD, "ppread" },
	{ TPMA_NV_OWNERREAD, "ownerread" },
	{ TPMA_NV_AUTHREAD, "authread" },
	{ TPMA_NV_POLICYREAD, "policyread" },
	{ TPMA_NV_NO_DA, "no_da" },
	{ TPMA_NV_ORDERLY, "orderly" },
	{ TPMA_NV_CLEAR_STCLEAR, "clear_stclear" },
	{ TPMA_NV_READLOCKED, "readlocked" },
	{ TPMA_NV_WRITTEN, "written" },
	{ TPMA_NV_PLATFORMCREATE, "platformcreate" },
	{ TPMA_NV_READ_STCLEAR, "read_stclear" },
};

static void append(char *buf, size_t len, size_t *pos, const char *s)
{
	int n;

	if (*pos >= len)
		return;
	n = snprintf(buf + *pos, len - *pos, "%s%s", *pos ? "|" : "", s);
	if (n < 0)
		return;
	*pos = (size_t)n >= len - *pos ? len : *pos + (size_t)n;
}

void counter_attrs_string(TPMA_NV attrs, char *buf, size_t len)
{
	TPMA_NV known = TPMA_NV_TPM2_NT_MASK;
	size_t pos = 0;
	char tmp[24];

	if (!len)
		return;
	buf[0] = '\0';
	for (size_t i = 0; i < GW_ARRAY_SIZE(attr_names); i++) {
		known |= attr_names[i].bit;
		/* tpm2-tools prints a non-zero type where its bits are. */
		if (attr_names[i].bit == TPMA_NV_POLICY_DELETE && (attrs & TPMA_NV_TPM2_NT_MASK)) {
			snprintf(tmp, sizeof(tmp), "nt=0x%x",
				 (unsigned)((attrs & TPMA_NV_TPM2_NT_MASK) >> TPMA_NV_TPM2_NT_SHIFT));
			append(buf, len, &pos, tmp);
		}
		if (attrs & attr_names[i].bit)
			append(buf, len, &pos, attr_names[i].name);
	}
	if (attrs & ~known) {
		snprintf(tmp, sizeof(tmp), "reserved=0x%x", (unsigned)(attrs & ~known));
		append(buf, len, &pos, tmp);
	}
}

int counter_check_public(enum counter_nv_kind kind, const TPMS_NV_PUBLIC *pub, gw_error *err)
{
	const TPMA_NV want = kind == COUNTER_NV_COUNTER ? COUNTER_NV_ATTRS : COUNTER_BASELINE_ATTRS;
	const uint16_t size = kind == COUNTER_NV_COUNTER ? 8 : COUNTER_BASELINE_SIZE;
	const char *what = kind == COUNTER_NV_COUNTER ? "counter" : "baseline";
	char have_s[320], want_s[320];

	if ((pub->attributes & ~NV_STATE_BITS) != want) {
		counter_attrs_string(pub->attributes & ~NV_STATE_BITS, have_s, sizeof(have_s));
		counter_attrs_string(want, want_s, sizeof(want_s));
		return gw_fail(err, GW_E_STATE,
			       "NV index 0x%08x is not a Gatewarden %s index: attributes %s, "
			       "expected %s",
			       pub->nvIndex, what, have_s, want_s);
	}
	if (pub->nameAlg != TPM2_ALG_SHA256)
		return gw_fail(err, GW_E_STATE,
			       "NV index 0x%08x is not a Gatewarden %s index: name algorithm 0x%04x, "
			       "expected SHA-256",
			       pub->nvIndex, what, pub->nameAlg);
	if (pub->authPolicy.size != 0)
		return gw_fail(err, GW_E_STATE,
			       "NV index 0x%08x is not a Gatewarden %s index: it has an "
			       "authorization policy",
			       pub->nvIndex, what);
	if (pub->dataSize != size)
		return gw_fail(err, GW_E_STATE,
			       "NV index 0x%08x is not a Gatewarden %s index: %u bytes, expected %u",
			       pub->nvIndex, what, pub->dataSize, size);
	return 0;
}

static void put_be(uint8_t *p, uint64_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

static uint64_t get_be(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

void counter_baseline_pack(const char *channel, uint32_t counter_index, uint64_t baseline,
			   uint8_t out[COUNTER_BASELINE_SIZE])
{
	size_t n = strnlen(channel, COUNTER_NAME_MAX);

	memset(out, 0, COUNTER_BASELINE_SIZE);
	put_be(out, baseline, 8);
	put_be(out + 8, counter_index, 4);
	memcpy(out + 12, channel, n);
}

int counter_baseline_unpack(uint32_t baseline_index, const uint8_t *in, size_t len,
			    struct counter_baseline_rec *out, gw_error *err)
{
	const uint8_t *name = in + 12;
	size_t n;

	if (len != COUNTER_BASELINE_SIZE)
		return gw_fail(err, GW_E_STATE, "baseline 0x%08x: %zu bytes, expected %d",
			       baseline_index, len, COUNTER_BASELINE_SIZE);
	n = strnlen((const char *)name, COUNTER_NAME_MAX);
	for (size_t i = n; i < COUNTER_NAME_MAX; i++)
		if (name[i])
			return gw_fail(err, GW_E_STATE,
				       "baseline 0x%08x: the channel name is not NUL-padded",
				       baseline_index);
	for (size_t i = 0; i < n; i++)
		if (name[i] < 0x21 || name[i] > 0x7e)
			return gw_fail(err, GW_E_STATE,
				       "baseline 0x%08x: the channel name has a byte 0x%02x",
				       baseline_index, name[i]);
	out->baseline = get_be(in, 8);
	out->counter_index = (uint32_t)get_be(in + 8, 4);
	memcpy(out->channel, name, n);
	out->channel[n] = '\0';
	return 0;
}

/* The public area (strict TPM2B_NV_PUBLIC, nothing after it), checked as ours for
 * kind, with its TPM name (SHA-256). */
static int nv_public_read(const struct counter_cert_part *p, enum counter_nv_kind kind,
			  TPMS_NV_PUBLIC *pub, uint8_t name[34], gw_error *err)
{
	const char *what = kind == COUNTER_NV_COUNTER ? "counter" : "baseline";
	const TPMA_NV state = kind == COUNTER_NV_COUNTER
				      ? TPMA_NV_WRITTEN
				      : TPMA_NV_WRITTEN | TPMA_NV_WRITELOCKED;
	TPM2B_NV_PUBLIC b = { 0 };
	uint8_t buf[sizeof(TPMS_NV_PUBLIC)];
	size_t off = 0, n = 0;
	int rc;

	if (Tss2_MU_TPM2B_NV_PUBLIC_Unmarshal(p->nv_public, p->nv_public_len, &off, &b) !=
		    TSS2_RC_SUCCESS ||
	    off != p->nv_public_len)
		return gw_fail(err, GW_E_PARSE, "%s: not one marshalled TPM2B_NV_PUBLIC", what);
	rc = counter_check_public(kind, &b.nvPublic, err);
	if (rc)
		return rc;
	if ((b.nvPublic.attributes & state) != state || (b.nvPublic.attributes & TPMA_NV_READLOCKED))
		return gw_fail(err, GW_E_STATE, "%s 0x%08x: not %s", what, b.nvPublic.nvIndex,
			       kind == COUNTER_NV_COUNTER ? "written" : "written and locked");
	if (Tss2_MU_TPMS_NV_PUBLIC_Marshal(&b.nvPublic, buf, sizeof(buf), &n) != TSS2_RC_SUCCESS)
		return gw_fail(err, GW_E_PARSE, "%s: cannot marshal its public area", what);
	put_be(name, TPM2_ALG_SHA256, 2);
	if (gw_hash(TPM2_ALG_SHA256, buf, n, name + 2))
		return gw_fail(err, GW_E_CRYPTO, "%s: hashing its public area", what);
	*pub = b.nvPublic;
	return 0;
}

/* The certification of the whole index pub (named name) by ak over nonce; its
 * contents out (pub->dataSize bytes). */
static int nv_certified(EVP_PKEY *ak, const uint8_t *nonce, size_t nonce_len,
			const struct counter_cert_part *p, const TPMS_NV_PUBLIC *pub,
			const uint8_t name[34], uint8_t *out, gw_error *err)
{
	char what[64];
	TPMS_ATTEST a;
	const TPMS_NV_CERTIFY_INFO *nv = &a.attested.nv;
	int rc;

	snprintf(what, sizeof(what), "certification of NV index 0x%08x", pub->nvIndex);
	rc = tpm_attest_verify(ak, p->attest, p->attest_len, p->sig, TPM2_ST_ATTEST_NV, nonce,
			       nonce_len, what, &a, err);
	if (rc)
		return rc;
	if (nv->indexName.size != 34 || memcmp(nv->indexName.name, name, 34))
		return gw_fail(err, GW_E_STATE, "%s: it certifies another index or public area",
			       what);
	if (nv->offset != 0 || nv->nvContents.size != pub->dataSize)
		return gw_fail(err, GW_E_STATE, "%s: %u bytes at offset %u, not the whole index",
			       what, nv->nvContents.size, nv->offset);
	memcpy(out, nv->nvContents.buffer, pub->dataSize);
	return 0;
}

int counter_cert_verify(EVP_PKEY *ak, const uint8_t *nonce, size_t nonce_len,
			const struct counter_cert_part *counter,
			const struct counter_cert_part *baseline, struct counter_certified *out,
			gw_error *err)
{
	TPMS_NV_PUBLIC cp, bp;
	uint8_t value[8], rec_bytes[COUNTER_BASELINE_SIZE];
	struct counter_baseline_rec rec;
	struct counter_certified r;
	int rc;

	memset(&r, 0, sizeof(r));
	if ((rc = nv_public_read(counter, COUNTER_NV_COUNTER, &cp, r.counter_name, err)) ||
	    (rc = nv_public_read(baseline, COUNTER_NV_BASELINE, &bp, r.baseline_name, err)) ||
	    (rc = nv_certified(ak, nonce, nonce_len, counter, &cp, r.counter_name, value, err)) ||
	    (rc = nv_certified(ak, nonce, nonce_len, baseline, &bp, r.baseline_name, rec_bytes,
			       err)) ||
	    (rc = counter_baseline_unpack(bp.nvIndex, rec_bytes, sizeof(rec_bytes), &rec, err)))
		return rc;
	if (rec.counter_index != cp.nvIndex)
		return gw_fail(err, GW_E_STATE,
			       "channel '%s': baseline 0x%08x belongs to counter 0x%08x, not 0x%08x",
			       rec.channel, bp.nvIndex, rec.counter_index, cp.nvIndex);
	r.value = get_be(value, 8);
	if (r.value < rec.baseline)
		return gw_fail(err, GW_E_STATE,
			       "channel '%s': counter 0x%08x at %llu is below its baseline %llu",
			       rec.channel, cp.nvIndex, (unsigned long long)r.value,
			       (unsigned long long)rec.baseline);
	memcpy(r.channel, rec.channel, sizeof(r.channel));
	r.counter_index = cp.nvIndex;
	r.baseline_index = bp.nvIndex;
	r.baseline = rec.baseline;
	r.security_version = r.value - rec.baseline;
	*out = r;
	return 0;
}
