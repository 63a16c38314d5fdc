// SPDX-License-Identifier: Apache-2.0
// The pure parts of the anti-rollback counters: which NV public areas are ours, the
// baseline record, and finding a channel in the configuration.
#include "counter.h"

#include <stdio.h>
#include <string.h>

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

void counter_baseline_encode(const struct counter_channel *ch, uint64_t baseline,
			     uint8_t out[COUNTER_BASELINE_SIZE])
{
	size_t n = strnlen(ch->name, COUNTER_NAME_MAX);

	memset(out, 0, COUNTER_BASELINE_SIZE);
	put_be(out, baseline, 8);
	put_be(out + 8, ch->counter_index, 4);
	memcpy(out + 12, ch->name, n);
}

int counter_baseline_decode(const struct counter_channel *ch, const uint8_t *in, size_t len,
			    uint64_t *baseline, gw_error *err)
{
	const uint8_t *name = in + 12;
	size_t n;
	uint32_t counter;

	if (len != COUNTER_BASELINE_SIZE)
		return gw_fail(err, GW_E_STATE, "baseline 0x%08x: %zu bytes, expected %d",
			       ch->baseline_index, len, COUNTER_BASELINE_SIZE);
	n = strnlen((const char *)name, COUNTER_NAME_MAX);
	for (size_t i = n; i < COUNTER_NAME_MAX; i++)
		if (name[i])
			return gw_fail(err, GW_E_STATE,
				       "baseline 0x%08x: the channel name is not NUL-padded",
				       ch->baseline_index);
	for (size_t i = 0; i < n; i++)
		if (name[i] < 0x21 || name[i] > 0x7e)
			return gw_fail(err, GW_E_STATE,
				       "baseline 0x%08x: the channel name has a byte 0x%02x",
				       ch->baseline_index, name[i]);
	if (n != strlen(ch->name) || memcmp(name, ch->name, n))
		return gw_fail(err, GW_E_STATE,
			       "baseline 0x%08x belongs to channel '%.*s', not '%s': the "
			       "configuration points this channel at another channel's indices",
			       ch->baseline_index, (int)n, (const char *)name, ch->name);
	counter = (uint32_t)get_be(in + 8, 4);
	if (counter != ch->counter_index)
		return gw_fail(err, GW_E_STATE,
			       "baseline 0x%08x belongs to counter 0x%08x, not 0x%08x: the "
			       "configuration points this channel at another counter",
			       ch->baseline_index, counter, ch->counter_index);
	*baseline = get_be(in, 8);
	return 0;
}

int counter_channel_find(const struct agent_config *cfg, const char *name,
			 struct counter_channel *out, gw_error *err)
{
	for (size_t i = 0; i < cfg->nchannels; i++) {
		if (strcmp(cfg->channels[i].name, name))
			continue;
		out->name = cfg->channels[i].name;
		out->counter_index = cfg->channels[i].counter_index;
		out->baseline_index = cfg->channels[i].baseline_index;
		return 0;
	}
	return gw_fail(err, GW_E_NOTFOUND, "no [channel %s] in the configuration", name);
}
