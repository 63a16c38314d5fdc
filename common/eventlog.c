// SPDX-License-Identifier: Apache-2.0
// TCG PC Client firmware event log: bounded parser, PCR replay and a JSON view.
#include "eventlog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define LEGACY_HDR_LEN 32u   /* PCRIndex, EventType, SHA-1 digest, EventSize */
#define AGILE_HDR_LEN 12u    /* PCRIndex, EventType, digest count */
#define SPECID_FIXED_LEN 28u /* signature .. numberOfAlgorithms */
#define SIG_LEN 16u
#define SHA1_LEN 20u
#define LOCALITY_EVENT_LEN 17u /* signature + one locality byte */
#define HCRTM_LOCALITY 4u
#define MAX_LOCALITY 4u
#define JSON_TEXT_CAP 512u

static const char specid03[SIG_LEN] = "Spec ID Event03";
static const char specid02[SIG_LEN] = "Spec ID Event02";
static const char specid00[SIG_LEN] = "Spec ID Event00";
static const char locality_sig[SIG_LEN] = "StartupLocality";

struct parser {
	struct eventlog *log;
	size_t cap;         /* allocated events */
	bool pcr0_extended; /* an event that extends PCR 0 has been seen */
	gw_error *err;
};

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static int new_event(struct parser *ps, size_t off, struct eventlog_event **out)
{
	struct eventlog *log = ps->log;
	struct eventlog_event *ev;

	if (log->nevents >= EVENTLOG_MAX_EVENTS)
		return gw_fail(ps->err, GW_E_TOOBIG,
			       "event %zu at offset %zu: more than %u events in the log",
			       log->nevents, off, EVENTLOG_MAX_EVENTS);
	if (log->nevents == ps->cap) {
		size_t ncap = ps->cap ? 2 * ps->cap : 64;
		struct eventlog_event *n;

		if (ncap > EVENTLOG_MAX_EVENTS)
			ncap = EVENTLOG_MAX_EVENTS;
		n = realloc(log->events, ncap * sizeof(*n));
		if (!n)
			return gw_fail(ps->err, GW_E_NOMEM, "event log: out of memory");
		log->events = n;
		ps->cap = ncap;
	}
	ev = &log->events[log->nevents];
	memset(ev, 0, sizeof(*ev));
	ev->num = (uint32_t)log->nevents;
	ev->offset = off;
	log->nevents++;
	*out = ev;
	return 0;
}

/* The data size is checked against the cap before the input, so an absurd size in
 * a short file reads as "too big", not as a truncation. */
static int check_data(struct parser *ps, const struct eventlog_event *ev, size_t left)
{
	if (ev->data_len > EVENTLOG_MAX_EVENT_DATA)
		return gw_fail(ps->err, GW_E_TOOBIG,
			       "event %u at offset %zu: event data size %u over the cap of %u bytes",
			       ev->num, ev->offset, ev->data_len, EVENTLOG_MAX_EVENT_DATA);
	if (left < ev->data_len)
		return gw_fail(ps->err, GW_E_TRUNCATED,
			       "event %u at offset %zu: truncated in the event data (%u bytes, %zu left)",
			       ev->num, ev->offset, ev->data_len, left);
	return 0;
}

/* Checks that need the whole event: PCR range, StartupLocality, H-CRTM. */
static int check_event(struct parser *ps, const struct eventlog_event *ev)
{
	struct eventlog *log = ps->log;

	if (ev->type != EV_NO_ACTION && ev->pcr >= GW_NUM_PCRS)
		return gw_fail(ps->err, GW_E_PARSE,
			       "event %u at offset %zu: PCR index %u out of range 0-%u",
			       ev->num, ev->offset, ev->pcr, GW_NUM_PCRS - 1);
	if (ev->type == EV_NO_ACTION && ev->data_len >= SIG_LEN &&
	    !memcmp(ev->data, locality_sig, SIG_LEN)) {
		if (ev->pcr != 0)
			return gw_fail(ps->err, GW_E_PARSE,
				       "event %u at offset %zu: StartupLocality event in PCR %u, not 0",
				       ev->num, ev->offset, ev->pcr);
		if (ev->data_len != LOCALITY_EVENT_LEN)
			return gw_fail(ps->err, GW_E_PARSE,
				       "event %u at offset %zu: StartupLocality event data is %u bytes, not %u",
				       ev->num, ev->offset, ev->data_len, LOCALITY_EVENT_LEN);
		if (log->has_locality)
			return gw_fail(ps->err, GW_E_PARSE,
				       "event %u at offset %zu: second StartupLocality event",
				       ev->num, ev->offset);
		if (ps->pcr0_extended)
			return gw_fail(ps->err, GW_E_PARSE,
				       "event %u at offset %zu: StartupLocality after PCR 0 was extended",
				       ev->num, ev->offset);
		if (ev->data[SIG_LEN] > MAX_LOCALITY)
			return gw_fail(ps->err, GW_E_PARSE,
				       "event %u at offset %zu: StartupLocality %u out of range 0-%u",
				       ev->num, ev->offset, ev->data[SIG_LEN], MAX_LOCALITY);
		log->has_locality = true;
		log->locality = ev->data[SIG_LEN];
	}
	if (ev->type == EV_EFI_HCRTM_EVENT && ev->pcr == 0) {
		if (ps->pcr0_extended)
			return gw_fail(ps->err, GW_E_PARSE,
				       "event %u at offset %zu: H-CRTM event after PCR 0 was extended",
				       ev->num, ev->offset);
		log->hcrtm = true;
	}
	if (ev->type != EV_NO_ACTION && ev->pcr == 0)
		ps->pcr0_extended = true;
	return 0;
}

/* One TCG_PCR_EVENT (SHA-1 format): the header event and every event of a legacy
 * log. */
static int parse_legacy_event(struct parser *ps, size_t *off)
{
	const struct eventlog *log = ps->log;
	const uint8_t *p = log->buf + *off;
	size_t left = log->len - *off;
	struct eventlog_event *ev;
	int rc;

	rc = new_event(ps, *off, &ev);
	if (rc)
		return rc;
	if (left < LEGACY_HDR_LEN)
		return gw_fail(ps->err, GW_E_TRUNCATED,
			       "event %u at offset %zu: truncated in the event header (%zu of %u bytes)",
			       ev->num, ev->offset, left, LEGACY_HDR_LEN);
	ev->pcr = le32(p);
	ev->type = le32(p + 4);
	ev->ndigests = 1;
	ev->digests[0].alg = TPM2_ALG_SHA1;
	memcpy(ev->digests[0].d, p + 8, SHA1_LEN);
	ev->data_len = le32(p + 28);
	rc = check_data(ps, ev, left - LEGACY_HDR_LEN);
	if (rc)
		return rc;
	ev->data = p + LEGACY_HDR_LEN;
	*off += LEGACY_HDR_LEN + ev->data_len;
	return check_event(ps, ev);
}

static int alg_index(const struct eventlog *log, uint16_t alg)
{
	for (size_t i = 0; i < log->nalgs; i++)
		if (log->algs[i] == alg)
			return (int)i;
	return -1;
}

/* One TCG_PCR_EVENT2 of a crypto-agile log. */
static int parse_agile_event(struct parser *ps, size_t *off)
{
	struct eventlog *log = ps->log;
	const uint8_t *p = log->buf + *off;
	size_t left = log->len - *off;
	size_t pos = AGILE_HDR_LEN;
	bool seen[GW_MAX_BANKS] = { false };
	struct eventlog_event *ev;
	uint32_t count;
	int rc;

	rc = new_event(ps, *off, &ev);
	if (rc)
		return rc;
	if (left < AGILE_HDR_LEN)
		return gw_fail(ps->err, GW_E_TRUNCATED,
			       "event %u at offset %zu: truncated in the event header (%zu of %u bytes)",
			       ev->num, ev->offset, left, AGILE_HDR_LEN);
	ev->pcr = le32(p);
	ev->type = le32(p + 4);
	count = le32(p + 8);
	if (count == 0)
		return gw_fail(ps->err, GW_E_PARSE, "event %u at offset %zu: no digests",
			       ev->num, ev->offset);
	if (count > log->nalgs)
		return gw_fail(ps->err, GW_E_PARSE,
			       "event %u at offset %zu: digest count %u exceeds the %zu algorithms of the Spec ID event",
			       ev->num, ev->offset, count, log->nalgs);
	for (uint32_t i = 0; i < count; i++) {
		struct eventlog_digest *d = &ev->digests[i];
		uint16_t alg;
		int idx;

		if (left - pos < 2)
			return gw_fail(ps->err, GW_E_TRUNCATED,
				       "event %u at offset %zu: truncated in digest %u",
				       ev->num, ev->offset, i);
		alg = le16(p + pos);
		pos += 2;
		idx = alg_index(log, alg);
		if (idx < 0)
			return gw_fail(ps->err, GW_E_PARSE,
				       "event %u at offset %zu: digest algorithm 0x%04x is not in the Spec ID event",
				       ev->num, ev->offset, alg);
		if (seen[idx])
			return gw_fail(ps->err, GW_E_PARSE,
				       "event %u at offset %zu: two digests for algorithm 0x%04x",
				       ev->num, ev->offset, alg);
		seen[idx] = true;
		if (left - pos < log->alg_sizes[idx])
			return gw_fail(ps->err, GW_E_TRUNCATED,
				       "event %u at offset %zu: truncated in digest %u (algorithm 0x%04x)",
				       ev->num, ev->offset, i, alg);
		d->alg = alg;
		memcpy(d->d, p + pos, log->alg_sizes[idx]);
		pos += log->alg_sizes[idx];
		ev->ndigests = i + 1;
	}
	if (left - pos < 4)
		return gw_fail(ps->err, GW_E_TRUNCATED,
			       "event %u at offset %zu: truncated in the event data size",
			       ev->num, ev->offset);
	ev->data_len = le32(p + pos);
	pos += 4;
	rc = check_data(ps, ev, left - pos);
	if (rc)
		return rc;
	ev->data = p + pos;
	*off += pos + ev->data_len;
	for (size_t i = 0; i < log->nalgs; i++)
		if (!seen[i])
			log->alg_incomplete[i] = true;
	return check_event(ps, ev);
}

/* The TCG_EfiSpecIDEvent in the header event's data. */
static int parse_specid(struct parser *ps, const struct eventlog_event *ev)
{
	struct eventlog *log = ps->log;
	const uint8_t *d = ev->data;
	size_t len = ev->data_len, pos;
	uint32_t n;
	uint8_t vendor;

	if (ev->pcr != 0)
		return gw_fail(ps->err, GW_E_PARSE,
			       "event 0 at offset 0: Spec ID event in PCR %u, not 0", ev->pcr);
	for (size_t i = 0; i < SHA1_LEN; i++)
		if (ev->digests[0].d[i])
			return gw_fail(ps->err, GW_E_PARSE,
				       "event 0 at offset 0: Spec ID event digest is not zero");
	if (len < SPECID_FIXED_LEN)
		return gw_fail(ps->err, GW_E_PARSE,
			       "event 0 at offset 0: Spec ID event data is %zu bytes, less than %u",
			       len, SPECID_FIXED_LEN);
	n = le32(d + 24);
	if (n == 0)
		return gw_fail(ps->err, GW_E_PARSE,
			       "event 0 at offset 0: Spec ID event lists no algorithms");
	if (n > GW_MAX_BANKS)
		return gw_fail(ps->err, GW_E_PARSE,
			       "event 0 at offset 0: Spec ID event lists %u algorithms, more than %u",
			       n, GW_MAX_BANKS);
	if (len < SPECID_FIXED_LEN + 4 * (size_t)n + 1)
		return gw_fail(ps->err, GW_E_PARSE,
			       "event 0 at offset 0: Spec ID event data too short for %u algorithms", n);
	pos = SPECID_FIXED_LEN;
	for (uint32_t i = 0; i < n; i++, pos += 4) {
		uint16_t alg = le16(d + pos), size = le16(d + pos + 2);
		const struct gw_alg *a = gw_alg_by_id(alg);

		if (a && size != a->size)
			return gw_fail(ps->err, GW_E_PARSE,
				       "event 0 at offset 0: Spec ID gives %s a digest size of %u, not %zu",
				       a->name, size, a->size);
		if (!a && (size == 0 || size > GW_MAX_DIGEST))
			return gw_fail(ps->err, GW_E_PARSE,
				       "event 0 at offset 0: Spec ID gives algorithm 0x%04x a digest size of %u (1-%u allowed)",
				       alg, size, GW_MAX_DIGEST);
		if (alg_index(log, alg) >= 0)
			return gw_fail(ps->err, GW_E_PARSE,
				       "event 0 at offset 0: Spec ID lists algorithm 0x%04x twice", alg);
		log->algs[log->nalgs] = alg;
		log->alg_sizes[log->nalgs] = size;
		log->nalgs++;
	}
	vendor = d[pos++];
	if (vendor > len - pos)
		return gw_fail(ps->err, GW_E_PARSE,
			       "event 0 at offset 0: Spec ID vendorInfoSize %u exceeds the %zu bytes left in the event",
			       vendor, len - pos);
	if (vendor < len - pos)
		return gw_fail(ps->err, GW_E_TRAILING,
			       "event 0 at offset 0: %zu bytes after the Spec ID vendor info",
			       len - pos - vendor);
	log->format = EVENTLOG_CRYPTO_AGILE;
	return 0;
}

/* The first event is always in the SHA-1 format; a Spec ID Event03 in it makes the
 * rest crypto-agile. */
static int parse_header(struct parser *ps, size_t *off)
{
	struct eventlog *log = ps->log;
	const struct eventlog_event *ev;
	int rc;

	log->format = EVENTLOG_LEGACY_SHA1;
	log->nalgs = 1;
	log->algs[0] = TPM2_ALG_SHA1;
	log->alg_sizes[0] = SHA1_LEN;
	rc = parse_legacy_event(ps, off);
	if (rc)
		return rc;
	ev = &log->events[0];
	if (ev->type != EV_NO_ACTION || ev->data_len < SIG_LEN ||
	    memcmp(ev->data, specid03, 13) != 0)
		return 0;
	if (!memcmp(ev->data, specid00, SIG_LEN) || !memcmp(ev->data, specid02, SIG_LEN))
		return 0;
	if (memcmp(ev->data, specid03, SIG_LEN) != 0)
		return gw_fail(ps->err, GW_E_UNSUPPORTED,
			       "event 0 at offset 0: unknown Spec ID signature (not Spec ID Event00/02/03)");
	log->nalgs = 0;
	log->algs[0] = 0;
	log->alg_sizes[0] = 0;
	return parse_specid(ps, ev);
}

int eventlog_parse(const uint8_t *data, size_t len, struct eventlog **out, gw_error *err)
{
	struct parser ps = { .err = err };
	struct eventlog *log = NULL;
	size_t off = 0;
	int rc;

	if (!out || (!data && len))
		return gw_fail(err, GW_E_INVAL, "event log: bad arguments");
	if (len == 0)
		return gw_fail(err, GW_E_TRUNCATED, "event log is empty");
	if (len > EVENTLOG_MAX_LEN)
		return gw_fail(err, GW_E_TOOBIG, "event log of %zu bytes is over the cap of %u",
			       len, EVENTLOG_MAX_LEN);
	log = calloc(1, sizeof(*log));
	if (!log) {
		rc = gw_fail(err, GW_E_NOMEM, "event log: out of memory");
		goto out;
	}
	log->buf = malloc(len);
	if (!log->buf) {
		rc = gw_fail(err, GW_E_NOMEM, "event log: out of memory");
		goto out;
	}
	memcpy(log->buf, data, len);
	log->len = len;
	ps.log = log;
	rc = parse_header(&ps, &off);
	while (!rc && off < len)
		rc = log->format == EVENTLOG_CRYPTO_AGILE ? parse_agile_event(&ps, &off)
							  : parse_legacy_event(&ps, &off);
	if (rc)
		goto out;
	*out = log;
	log = NULL; /* transferred */
out:
	eventlog_free(log);
	return rc;
}

void eventlog_free(struct eventlog *log)
{
	if (!log)
		return;
	free(log->events);
	free(log->buf);
	free(log);
}

int eventlog_replay_init(const struct eventlog *log, struct gw_pcr_set *pcrs, gw_error *err)
{
	unsigned start = 0;

	if (!log || !pcrs)
		return gw_fail(err, GW_E_INVAL, "event log replay: bad arguments");
	if (log->hcrtm)
		start = HCRTM_LOCALITY;
	else if (log->has_locality)
		start = log->locality;
	for (size_t i = 0; i < log->nalgs; i++) {
		struct gw_pcr_bank *b;

		/* Banks we cannot hash (unknown algorithm, or no OpenSSL support) are left
		 * out; their digests are skipped by eventlog_extend_event(). */
		if (!gw_alg_md(log->algs[i]))
			continue;
		b = gw_pcr_set_bank(pcrs, log->algs[i]);
		if (!b)
			return gw_fail(err, GW_E_INVAL,
				       "event log replay: no room for another PCR bank");
		if (start == 0)
			continue;
		if (b->touched & 1u)
			return gw_fail(err, GW_E_STATE,
				       "event log replay: PCR 0 of the %s bank is not fresh; the start locality can only be set before any extend",
				       gw_alg_by_id(b->alg)->name);
		memset(b->pcr[0], 0, sizeof(b->pcr[0]));
		b->pcr[0][b->size - 1] = (uint8_t)start;
		b->touched |= 1u;
	}
	return 0;
}

int eventlog_extend_event(const struct eventlog *log, const struct eventlog_event *ev,
			  struct gw_pcr_set *pcrs, gw_error *err)
{
	if (!log || !ev || !pcrs || log->nevents == 0 || ev < log->events ||
	    ev >= log->events + log->nevents)
		return gw_fail(err, GW_E_INVAL, "event log replay: bad arguments");
	if (ev->type == EV_NO_ACTION)
		return 0;
	if (ev->pcr >= GW_NUM_PCRS)
		return gw_fail(err, GW_E_INVAL, "event %u at offset %zu: PCR index %u out of range",
			       ev->num, ev->offset, ev->pcr);
	for (size_t i = 0; i < ev->ndigests && i < GW_MAX_BANKS; i++) {
		struct gw_pcr_bank *b = NULL;
		int rc;

		for (size_t k = 0; k < pcrs->nbanks && k < GW_MAX_BANKS; k++)
			if (pcrs->bank[k].alg == ev->digests[i].alg)
				b = &pcrs->bank[k];
		if (!b)
			continue;
		rc = gw_pcr_extend(b, ev->pcr, ev->digests[i].d);
		if (rc)
			return gw_fail(err, rc, "event %u at offset %zu: extending PCR %u failed",
				       ev->num, ev->offset, ev->pcr);
	}
	return 0;
}

int eventlog_replay(const struct eventlog *log, struct gw_pcr_set *pcrs, gw_error *err)
{
	int rc;

	rc = eventlog_replay_init(log, pcrs, err);
	for (size_t i = 0; !rc && i < log->nevents; i++)
		rc = eventlog_extend_event(log, &log->events[i], pcrs, err);
	return rc;
}

static const struct {
	uint32_t type;
	const char *name;
} type_names[] = {
	{ EV_PREBOOT_CERT, "EV_PREBOOT_CERT" },
	{ EV_POST_CODE, "EV_POST_CODE" },
	{ EV_UNUSED, "EV_UNUSED" },
	{ EV_NO_ACTION, "EV_NO_ACTION" },
	{ EV_SEPARATOR, "EV_SEPARATOR" },
	{ EV_ACTION, "EV_ACTION" },
	{ EV_EVENT_TAG, "EV_EVENT_TAG" },
	{ EV_S_CRTM_CONTENTS, "EV_S_CRTM_CONTENTS" },
	{ EV_S_CRTM_VERSION, "EV_S_CRTM_VERSION" },
	{ EV_CPU_MICROCODE, "EV_CPU_MICROCODE" },
	{ EV_PLATFORM_CONFIG_FLAGS, "EV_PLATFORM_CONFIG_FLAGS" },
	{ EV_TABLE_OF_DEVICES, "EV_TABLE_OF_DEVICES" },
	{ EV_COMPACT_HASH, "EV_COMPACT_HASH" },
	{ EV_IPL, "EV_IPL" },
	{ EV_IPL_PARTITION_DATA, "EV_IPL_PARTITION_DATA" },
	{ EV_NONHOST_CODE, "EV_NONHOST_CODE" },
	{ EV_NONHOST_CONFIG, "EV_NONHOST_CONFIG" },
	{ EV_NONHOST_INFO, "EV_NONHOST_INFO" },
	{ EV_OMIT_BOOT_DEVICE_EVENTS, "EV_OMIT_BOOT_DEVICE_EVENTS" },
	{ EV_EFI_VARIABLE_DRIVER_CONFIG, "EV_EFI_VARIABLE_DRIVER_CONFIG" },
	{ EV_EFI_VARIABLE_BOOT, "EV_EFI_VARIABLE_BOOT" },
	{ EV_EFI_BOOT_SERVICES_APPLICATION, "EV_EFI_BOOT_SERVICES_APPLICATION" },
	{ EV_EFI_BOOT_SERVICES_DRIVER, "EV_EFI_BOOT_SERVICES_DRIVER" },
	{ EV_EFI_RUNTIME_SERVICES_DRIVER, "EV_EFI_RUNTIME_SERVICES_DRIVER" },
	{ EV_EFI_GPT_EVENT, "EV_EFI_GPT_EVENT" },
	{ EV_EFI_ACTION, "EV_EFI_ACTION" },
	{ EV_EFI_PLATFORM_FIRMWARE_BLOB, "EV_EFI_PLATFORM_FIRMWARE_BLOB" },
	{ EV_EFI_HANDOFF_TABLES, "EV_EFI_HANDOFF_TABLES" },
	{ EV_EFI_PLATFORM_FIRMWARE_BLOB2, "EV_EFI_PLATFORM_FIRMWARE_BLOB2" },
	{ EV_EFI_HANDOFF_TABLES2, "EV_EFI_HANDOFF_TABLES2" },
	{ EV_EFI_VARIABLE_BOOT2, "EV_EFI_VARIABLE_BOOT2" },
	{ EV_EFI_HCRTM_EVENT, "EV_EFI_HCRTM_EVENT" },
	{ EV_EFI_VARIABLE_AUTHORITY, "EV_EFI_VARIABLE_AUTHORITY" },
	{ EV_EFI_SPDM_FIRMWARE_BLOB, "EV_EFI_SPDM_FIRMWARE_BLOB" },
	{ EV_EFI_SPDM_FIRMWARE_CONFIG, "EV_EFI_SPDM_FIRMWARE_CONFIG" },
	{ EV_EFI_SPDM_DEVICE_POLICY, "EV_EFI_SPDM_DEVICE_POLICY" },
	{ EV_EFI_SPDM_DEVICE_AUTHORITY, "EV_EFI_SPDM_DEVICE_AUTHORITY" },
};

const char *eventlog_type_name(uint32_t type)
{
	for (size_t i = 0; i < GW_ARRAY_SIZE(type_names); i++)
		if (type_names[i].type == type)
			return type_names[i].name;
	return NULL;
}

bool eventlog_type_known(uint32_t type)
{
	return eventlog_type_name(type) != NULL;
}

/* ---- JSON view ---- */

static bool is_print(uint8_t c)
{
	return c >= 0x20 && c < 0x7f;
}

/* Printable ASCII, or UCS-2 (UTF-16LE) limited to printable ASCII as firmware
 * writes EV_S_CRTM_VERSION; trailing NULs allowed. Longer text is cut at cap-4
 * characters and ends in "...". */
static bool text_of(const uint8_t *d, size_t len, char *out, size_t cap)
{
	size_t n = len, w = 0;
	bool wide = false;

	while (n > 0 && d[n - 1] == 0)
		n--;
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_print(d[i]))
			wide = true;
	if (wide) {
		n = len & ~(size_t)1;
		while (n >= 2 && d[n - 1] == 0 && d[n - 2] == 0)
			n -= 2;
		if (n == 0)
			return false;
		for (size_t i = 0; i < n; i += 2)
			if (!is_print(d[i]) || d[i + 1] != 0)
				return false;
	}
	for (size_t i = 0; i < n; i += wide ? 2 : 1) {
		if (w + 4 >= cap) {
			memcpy(out + w, "...", 3);
			w += 3;
			break;
		}
		out[w++] = (char)d[i];
	}
	out[w] = '\0';
	return true;
}

static int json_put(struct json_object *obj, const char *key, struct json_object *val)
{
	if (!val)
		return GW_E_NOMEM;
	if (json_object_object_add(obj, key, val)) {
		json_object_put(val);
		return GW_E_NOMEM;
	}
	return 0;
}

/* UEFI_VARIABLE_DATA: GUID, UnicodeNameLength and VariableDataLength (UINT64),
 * then the UCS-2 name. */
static int json_variable(struct json_object *o, const struct eventlog_event *ev, bool *done)
{
	const uint8_t *d = ev->data;
	char name[129], guid[37];
	uint64_t nlen;
	size_t w = 0;
	int rc;

	if (ev->data_len < 32)
		return 0;
	nlen = le64(d + 16);
	if (nlen == 0 || nlen > (ev->data_len - 32) / 2)
		return 0;
	for (uint64_t i = 0; i < nlen && w < sizeof(name) - 1; i++) {
		uint16_t c = le16(d + 32 + 2 * i);

		name[w++] = c < 0x80 && is_print((uint8_t)c) ? (char)c : '?';
	}
	name[w] = '\0';
	rc = gw_snprintf(guid, sizeof(guid),
			 "%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x", le32(d), le16(d + 4),
			 le16(d + 6), d[8], d[9], d[10], d[11], d[12], d[13], d[14], d[15]);
	if (!rc)
		rc = json_put(o, "description", json_object_new_string(name));
	if (!rc)
		rc = json_put(o, "variable_guid", json_object_new_string(guid));
	if (!rc)
		*done = true;
	return rc;
}

static int json_describe(struct json_object *o, const struct eventlog_event *ev)
{
	char text[JSON_TEXT_CAP];
	char hex[2 * EVENTLOG_JSON_DATA_CAP + 1];
	bool done = false;
	size_t n;
	int rc = 0;

	switch (ev->type) {
	case EV_EFI_VARIABLE_DRIVER_CONFIG:
	case EV_EFI_VARIABLE_BOOT:
	case EV_EFI_VARIABLE_BOOT2:
	case EV_EFI_VARIABLE_AUTHORITY:
		rc = json_variable(o, ev, &done);
		break;
	case EV_NO_ACTION:
		if (ev->data_len >= SIG_LEN && text_of(ev->data, SIG_LEN, text, sizeof(text))) {
			if (ev->data_len == LOCALITY_EVENT_LEN &&
			    !memcmp(ev->data, locality_sig, SIG_LEN))
				rc = gw_snprintf(text, sizeof(text), "StartupLocality %u",
						 ev->data[SIG_LEN]);
			if (!rc)
				rc = json_put(o, "description", json_object_new_string(text));
			done = !rc;
		}
		break;
	case EV_POST_CODE:
	case EV_ACTION:
	case EV_S_CRTM_VERSION:
	case EV_IPL:
	case EV_OMIT_BOOT_DEVICE_EVENTS:
	case EV_EFI_ACTION:
	case EV_EFI_HCRTM_EVENT:
		if (text_of(ev->data, ev->data_len, text, sizeof(text))) {
			rc = json_put(o, "description", json_object_new_string(text));
			done = !rc;
		}
		break;
	default:
		break;
	}
	if (rc || done)
		return rc;
	n = ev->data_len < EVENTLOG_JSON_DATA_CAP ? ev->data_len : EVENTLOG_JSON_DATA_CAP;
	gw_hex_encode(ev->data, n, hex);
	rc = json_put(o, "data", json_object_new_string(hex));
	if (!rc && n < ev->data_len)
		rc = json_put(o, "data_truncated", json_object_new_boolean(1));
	return rc;
}

static int json_event(const struct eventlog *log, const struct eventlog_event *ev,
		      struct json_object **out)
{
	struct json_object *o = json_object_new_object(), *digests = NULL;
	const char *tname = eventlog_type_name(ev->type);
	char buf[2 * GW_MAX_DIGEST + 1];
	int rc;

	if (!o)
		return GW_E_NOMEM;
	rc = json_put(o, "num", json_object_new_int64(ev->num));
	if (!rc)
		rc = json_put(o, "pcr", json_object_new_int64(ev->pcr));
	if (!rc && !tname)
		rc = gw_snprintf(buf, sizeof(buf), "0x%08x", ev->type);
	if (!rc)
		rc = json_put(o, "type", json_object_new_string(tname ? tname : buf));
	if (!rc)
		rc = json_put(o, "type_known", json_object_new_boolean(tname != NULL));
	if (rc)
		goto out;
	digests = json_object_new_object();
	rc = json_put(o, "digests", digests);
	for (size_t i = 0; !rc && i < ev->ndigests && i < GW_MAX_BANKS; i++) {
		const struct eventlog_digest *d = &ev->digests[i];
		const struct gw_alg *a = gw_alg_by_id(d->alg);
		char key[8];
		int idx = alg_index(log, d->alg);
		size_t size = idx >= 0 ? log->alg_sizes[idx] : SHA1_LEN;

		if (!a)
			rc = gw_snprintf(key, sizeof(key), "0x%04x", d->alg);
		if (rc)
			break;
		gw_hex_encode(d->d, size, buf);
		rc = json_put(digests, a ? a->name : key, json_object_new_string(buf));
	}
	if (!rc)
		rc = json_put(o, "data_len", json_object_new_int64(ev->data_len));
	if (!rc)
		rc = json_describe(o, ev);
	if (rc)
		goto out;
	*out = o;
	o = NULL; /* transferred */
out:
	json_object_put(o);
	return rc;
}

int eventlog_events_json(const struct eventlog *log, struct json_object **out)
{
	struct json_object *arr = NULL, *o = NULL;
	int rc = 0;

	if (!log || !out)
		return GW_E_INVAL;
	arr = json_object_new_array();
	if (!arr)
		return GW_E_NOMEM;
	for (size_t i = 0; !rc && i < log->nevents; i++) {
		o = NULL;
		rc = json_event(log, &log->events[i], &o);
		if (!rc && json_object_array_add(arr, o)) {
			json_object_put(o);
			rc = GW_E_NOMEM;
		}
	}
	if (rc)
		goto out;
	*out = arr;
	arr = NULL; /* transferred */
out:
	json_object_put(arr);
	return rc;
}
