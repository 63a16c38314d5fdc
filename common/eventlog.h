/* SPDX-License-Identifier: Apache-2.0 */
/* TCG PC Client firmware event log (binary_bios_measurements): parser and PCR
 * replayer for the crypto-agile and the legacy SHA-1 formats. */
#ifndef GW_EVENTLOG_H
#define GW_EVENTLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "digest.h"
#include "gw_error.h"

/* Caps on untrusted input (see doc/eventlog-formats.md). */
#define EVENTLOG_MAX_LEN (16u * 1024 * 1024)     /* whole log */
#define EVENTLOG_MAX_EVENT_DATA (1024u * 1024)   /* one event's data */
#define EVENTLOG_MAX_EVENTS 100000u              /* events, header included */
#define EVENTLOG_JSON_DATA_CAP 128u              /* data bytes shown as hex in JSON */

/* Event types of the TCG PC Client Platform Firmware Profile. */
#define EV_PREBOOT_CERT 0x00000000u
#define EV_POST_CODE 0x00000001u
#define EV_UNUSED 0x00000002u
#define EV_NO_ACTION 0x00000003u
#define EV_SEPARATOR 0x00000004u
#define EV_ACTION 0x00000005u
#define EV_EVENT_TAG 0x00000006u
#define EV_S_CRTM_CONTENTS 0x00000007u
#define EV_S_CRTM_VERSION 0x00000008u
#define EV_CPU_MICROCODE 0x00000009u
#define EV_PLATFORM_CONFIG_FLAGS 0x0000000au
#define EV_TABLE_OF_DEVICES 0x0000000bu
#define EV_COMPACT_HASH 0x0000000cu
#define EV_IPL 0x0000000du
#define EV_IPL_PARTITION_DATA 0x0000000eu
#define EV_NONHOST_CODE 0x0000000fu
#define EV_NONHOST_CONFIG 0x00000010u
#define EV_NONHOST_INFO 0x00000011u
#define EV_OMIT_BOOT_DEVICE_EVENTS 0x00000012u
#define EV_EFI_VARIABLE_DRIVER_CONFIG 0x80000001u
#define EV_EFI_VARIABLE_BOOT 0x80000002u
#define EV_EFI_BOOT_SERVICES_APPLICATION 0x80000003u
#define EV_EFI_BOOT_SERVICES_DRIVER 0x80000004u
#define EV_EFI_RUNTIME_SERVICES_DRIVER 0x80000005u
#define EV_EFI_GPT_EVENT 0x80000006u
#define EV_EFI_ACTION 0x80000007u
#define EV_EFI_PLATFORM_FIRMWARE_BLOB 0x80000008u
#define EV_EFI_HANDOFF_TABLES 0x80000009u
#define EV_EFI_PLATFORM_FIRMWARE_BLOB2 0x8000000au
#define EV_EFI_HANDOFF_TABLES2 0x8000000bu
#define EV_EFI_VARIABLE_BOOT2 0x8000000cu
#define EV_EFI_HCRTM_EVENT 0x80000010u
#define EV_EFI_VARIABLE_AUTHORITY 0x800000e0u
#define EV_EFI_SPDM_FIRMWARE_BLOB 0x800000e1u
#define EV_EFI_SPDM_FIRMWARE_CONFIG 0x800000e2u
#define EV_EFI_SPDM_DEVICE_POLICY 0x800000e3u
#define EV_EFI_SPDM_DEVICE_AUTHORITY 0x800000e4u

struct eventlog_digest {
	uint16_t alg; /* TPM2_ALG_*; may be an algorithm we do not know */
	uint8_t d[GW_MAX_DIGEST];
};

struct eventlog_event {
	uint32_t num;        /* index in the log, 0-based, counting the header event like
			      * tpm2_eventlog's EventNum */
	uint32_t pcr;        /* < GW_NUM_PCRS, except for EV_NO_ACTION events */
	uint32_t type;       /* EV_* (possibly one eventlog_type_known() rejects) */
	size_t ndigests;     /* 1..log->nalgs, each alg from log->algs at most once */
	struct eventlog_digest digests[GW_MAX_BANKS];
	const uint8_t *data; /* event data, points into log->buf */
	uint32_t data_len;
	size_t offset;       /* byte offset of the event in the log */
};

enum eventlog_format { EVENTLOG_LEGACY_SHA1, EVENTLOG_CRYPTO_AGILE };

struct eventlog {
	enum eventlog_format format;
	/* Banks from the Spec ID event (sha1 only for legacy), with the digest size the
	 * log declares for each. Algorithms we do not know are kept (their digests are
	 * parsed with the declared size) but cannot be replayed. */
	size_t nalgs;
	uint16_t algs[GW_MAX_BANKS];
	uint16_t alg_sizes[GW_MAX_BANKS];
	/* algs[i] lacks a digest in at least one event: the replayed bank is not
	 * meaningful and must not be appraised. tpm2_eventlog accepts such logs. */
	bool alg_incomplete[GW_MAX_BANKS];
	bool has_locality;   /* a StartupLocality EV_NO_ACTION event was found */
	uint8_t locality;    /* its value, 0..4 */
	bool hcrtm;          /* PCR 0 was started by an H-CRTM (EV_EFI_HCRTM_EVENT):
			      * it starts at locality 4 whatever StartupLocality says */
	size_t nevents;      /* including the header event */
	struct eventlog_event *events;
	uint8_t *buf;        /* owned copy of the input */
	size_t len;
};

/* Parse a whole log. *out is set only on success and freed with eventlog_free().
 * Errors (the detail names the event number and byte offset):
 *   GW_E_INVAL      NULL arguments
 *   GW_E_TRUNCATED  empty input, or the input ends inside an event
 *   GW_E_TOOBIG     over a cap (log, event data, event count)
 *   GW_E_PARSE      malformed Spec ID event, digest list, PCR index, StartupLocality
 *   GW_E_TRAILING   bytes after the Spec ID structure inside the header event
 *   GW_E_UNSUPPORTED a Spec ID signature of an unknown version
 *   GW_E_NOMEM */
int eventlog_parse(const uint8_t *data, size_t len, struct eventlog **out,
		   gw_error *err) GW_WUR;
void eventlog_free(struct eventlog *log); /* NULL-safe */

/* Prepare pcrs for replaying log: add a bank for each of log->algs that we can
 * compute (if not there yet), and set PCR 0 of each to its start value
 * (0x00..04 after an H-CRTM, 0x00..LL for StartupLocality LL, zero otherwise).
 * The start value is only valid at the very beginning, so replay must start from
 * a fresh set: GW_E_STATE if PCR 0 of a bank was already extended or set.
 * GW_E_INVAL if the set has no room for a bank. */
int eventlog_replay_init(const struct eventlog *log, struct gw_pcr_set *pcrs,
			 gw_error *err) GW_WUR;
/* eventlog_replay_init(), then eventlog_extend_event() for every event. */
int eventlog_replay(const struct eventlog *log, struct gw_pcr_set *pcrs,
		    gw_error *err) GW_WUR;
/* Extend one event of log into pcrs, so a caller can replay step by step and find
 * the first event where a PCR goes wrong. EV_NO_ACTION events are never extended;
 * digests whose bank is not in pcrs are skipped. GW_E_INVAL if ev is not an event of
 * log; GW_E_CRYPTO/GW_E_UNSUPPORTED from hashing. */
int eventlog_extend_event(const struct eventlog *log, const struct eventlog_event *ev,
			  struct gw_pcr_set *pcrs, gw_error *err) GW_WUR;

/* "EV_POST_CODE", "EV_EFI_VARIABLE_DRIVER_CONFIG", ...; NULL if unknown. */
const char *eventlog_type_name(uint32_t type);
/* Every type in the TCG PC Client PFP spec (EV_EFI_EVENT_BASE itself is not). */
bool eventlog_type_known(uint32_t type);

/* The events as a new json-c array for --json output; *out is released with
 * json_object_put(). Each element: num, pcr, type (name, or "0x%08x" when
 * unknown), type_known, digests {alg name or "0x%04x": hex}, data_len, and either
 * "description" (EFI variable name, ASCII/UCS-2 text of EV_EFI_ACTION,
 * EV_S_CRTM_VERSION, EV_POST_CODE..., EV_NO_ACTION signature) or "data" (hex of at
 * most EVENTLOG_JSON_DATA_CAP bytes, with "data_truncated": true beyond).
 * GW_E_INVAL, GW_E_NOMEM. */
int eventlog_events_json(const struct eventlog *log, struct json_object **out) GW_WUR;

#endif
