// SPDX-License-Identifier: Apache-2.0
// Reading firmware events for policy rules: UEFI variables, text, and whether the
// event's data is what its digest covers.
#include "gwpol_event.h"

#include <string.h>

#include "digest.h"

const uint8_t gwpol_efi_global_guid[16] = { 0x61, 0xdf, 0xe4, 0x8b, 0xca, 0x93, 0xd2, 0x11,
					    0xaa, 0x0d, 0x00, 0xe0, 0x98, 0x03, 0x2b, 0x8c };
const uint8_t gwpol_efi_imgdb_guid[16] = { 0xcb, 0xb2, 0x19, 0xd7, 0x3a, 0x3d, 0x96, 0x45,
					   0xa3, 0xbc, 0xda, 0xd0, 0x0e, 0x67, 0x65, 0x6f };

/* The event's digest in bank alg, NULL if the event has none. */
const uint8_t *gwpol_event_digest(const struct eventlog_event *ev, uint16_t alg)
{
	for (size_t i = 0; i < ev->ndigests; i++)
		if (ev->digests[i].alg == alg)
			return ev->digests[i].d;
	return NULL;
}

/* Does the event's data hash to its digest in alg, and to its digest in every
 * other bank it carries? Only then may a rule read the data: the event log itself
 * is authenticated through its digests alone, and a quote may cover several
 * banks (one of them SHA-1, where a collision is within reach). */
bool gwpol_event_data_authentic(const struct eventlog_event *ev, uint16_t alg)
{
	if (!gwpol_event_digest(ev, alg))
		return false;
	for (size_t i = 0; i < ev->ndigests; i++) {
		const struct gw_alg *a = gw_alg_by_id(ev->digests[i].alg);
		uint8_t md[GW_MAX_DIGEST];

		if (!a || gw_hash(a->id, ev->data, ev->data_len, md) ||
		    memcmp(md, ev->digests[i].d, a->size))
			return false;
	}
	return true;
}

/* The types whose digest the PFP spec defines as the hash of the event data, and
 * that every committed real log measures so (doc/eventlog-formats.md, "What the
 * digest covers"): EV_EFI_VARIABLE_BOOT and _AUTHORITY are left out, since some
 * firmware and shim hash only part of the data. */
bool gwpol_type_digest_is_data(uint32_t type)
{
	switch (type) {
	case EV_SEPARATOR:
	case EV_ACTION:
	case EV_EVENT_TAG:
	case EV_EFI_VARIABLE_DRIVER_CONFIG:
	case EV_EFI_GPT_EVENT:
	case EV_EFI_ACTION:
		return true;
	default:
		return false;
	}
}

/* The data is text as ASCII, or as UCS-2 (UTF-16LE of ASCII), with or without a
 * terminating NUL. */
bool gwpol_data_is_text(const uint8_t *d, size_t len, const char *text)
{
	size_t n = strlen(text);

	if ((len == n || (len == n + 1 && d[n] == 0)) && !memcmp(d, text, n))
		return true;
	if (len != 2 * n && len != 2 * n + 2)
		return false;
	if (len == 2 * n + 2 && (d[2 * n] || d[2 * n + 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (d[2 * i] != (uint8_t)text[i] || d[2 * i + 1] != 0)
			return false;
	return true;
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
	return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

/* UEFI_VARIABLE_DATA: VariableName (GUID), UnicodeNameLength, VariableDataLength
 * (UINT64 each), UnicodeName (UCS-2), VariableData. Is it variable `name` of vendor
 * `guid`, and where is its data? Bounds-checked: the event data is outside input. */
bool gwpol_efi_variable_is(const struct eventlog_event *ev, const uint8_t guid[16],
			    const char *name, const uint8_t **vdata, size_t *vlen)
{
	const uint8_t *d = ev->data;
	size_t n = strlen(name);
	uint64_t nlen, dlen;

	if (ev->data_len < 32 || memcmp(d, guid, 16))
		return false;
	nlen = rd64(d + 16);
	dlen = rd64(d + 24);
	if (nlen != n || nlen > (ev->data_len - 32) / 2 ||
	    dlen != ev->data_len - 32 - 2 * nlen)
		return false;
	for (size_t i = 0; i < n; i++)
		if (d[32 + 2 * i] != (uint8_t)name[i] || d[33 + 2 * i] != 0)
			return false;
	*vdata = d + 32 + 2 * nlen;
	*vlen = (size_t)dlen;
	return true;
}

bool gwpol_event_extends(const struct eventlog_event *ev)
{
	return ev->type != EV_NO_ACTION && ev->pcr < GW_NUM_PCRS;
}

const struct eventlog_event *gwpol_efi_variable_find(const struct eventlog *log, uint16_t bank,
						     const uint8_t guid[16], const char *name,
						     const uint8_t **vdata, size_t *vlen,
						     size_t *count, size_t *forged)
{
	const struct eventlog_event *found = NULL;

	*count = *forged = 0;
	for (size_t i = 0; i < log->nevents; i++) {
		const struct eventlog_event *e = &log->events[i];
		const uint8_t *d;
		size_t l;

		if (e->pcr != 7 || !gwpol_event_extends(e) || e->type == EV_EFI_VARIABLE_AUTHORITY ||
		    !gwpol_efi_variable_is(e, guid, name, &d, &l))
			continue;
		if (!gwpol_event_data_authentic(e, bank)) {
			(*forged)++;
			continue;
		}
		if (!(*count)++) {
			found = e;
			*vdata = d;
			*vlen = l;
		}
	}
	return found;
}

size_t gwpol_boot_apps(const struct eventlog *log, const struct eventlog_event **first,
		       const struct eventlog_event **last)
{
	size_t n = 0;

	*first = *last = NULL;
	for (size_t i = 0; i < log->nevents; i++) {
		const struct eventlog_event *e = &log->events[i];

		if (e->pcr != 4 || e->type != EV_EFI_BOOT_SERVICES_APPLICATION)
			continue;
		if (!*first)
			*first = e;
		*last = e;
		n++;
	}
	return n;
}
