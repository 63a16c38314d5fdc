/* SPDX-License-Identifier: Apache-2.0 */
/* The agent's event log: TCG Canonical Event Log records in CEL-JSON, written as
 * RFC 7464 JSON text sequences (the form of systemd's tpm2-measure.log). */
#ifndef GW_CEL_H
#define GW_CEL_H

#include <stddef.h>
#include <stdint.h>

#include "digest.h"
#include "gw_error.h"

struct json_object;

/* Caps on untrusted input; over a cap is GW_E_TOOBIG (depth: GW_E_PARSE). */
#define CEL_MAX_LOG (16u * 1024 * 1024) /* whole log, bytes */
#define CEL_MAX_RECORD (64u * 1024)     /* one record, RS and LF included */
#define CEL_MAX_RECORDS 100000u         /* records in one log */
#define CEL_MAX_DEPTH 16                /* JSON nesting, the record object included */

#define CEL_RS 0x1e /* RFC 7464 record separator, first byte of every record */
#define CEL_CONTENT_TYPE "gatewarden"

struct cel_digest {
	uint16_t alg; /* TPM2_ALG_*, always one gw_alg_by_id() knows */
	uint8_t d[GW_MAX_DIGEST];
};

struct cel_record {
	uint64_t recnum;          /* index in the log (equal to "recnum" when present) */
	uint32_t pcr;             /* 0-23 */
	size_t ndigests;          /* 1..GW_MAX_BANKS, no algorithm twice */
	struct cel_digest digests[GW_MAX_BANKS];
	char *content_type;       /* owned, NULL when the record has none */
	struct json_object *content; /* owned reference, may be NULL */
	/* Borrowed from content (valid while the log lives), NULL when absent. */
	const char *event_type, *stage, *path, *string;
	size_t offset, len;       /* byte range of the record in the input (incl. RS and LF) */
};

struct cel_log {
	size_t n;
	struct cel_record *rec;
	size_t cap;
};

/* Parse a whole log. Empty input is an empty log. Errors name the record and its
 * byte offset: GW_E_TRUNCATED for a torn last record (no LF, or incomplete JSON),
 * GW_E_TOOBIG over a cap, GW_E_TRAILING for data after the JSON object inside a
 * record, GW_E_PARSE for everything else malformed. *out is freed with cel_free. */
int cel_parse(const uint8_t *data, size_t len, struct cel_log **out, gw_error *err) GW_WUR;
void cel_free(struct cel_log *log); /* NULL-safe */

/* The record's digest for bank alg (TPM2_ALG_*), or NULL when it has none. */
const uint8_t *cel_record_digest(const struct cel_record *r, uint16_t alg);

/* One record (recnum, pcr, digests[i] for algs[i], content_type "gatewarden", content
 * with eventType/stage/path/string, NULL ones omitted) as one RFC 7464 record:
 * 0x1E, compact JSON, 0x0A. *out is NUL-terminated (not counted in *out_len) and
 * freed by the caller. GW_E_INVAL for a bad argument (PCR over 23, no or too many
 * digests, unknown or repeated algorithm, recnum over INT64_MAX, a string that is
 * not UTF-8), GW_E_TOOBIG when the record would exceed CEL_MAX_RECORD (cel_parse
 * would refuse it). */
int cel_record_format(uint64_t recnum, uint32_t pcr, const uint16_t *algs,
		      const uint8_t digests[][GW_MAX_DIGEST], size_t ndigests,
		      const char *event_type, const char *stage, const char *path,
		      const char *string, char **out, size_t *out_len) GW_WUR;

/* Extend one record into pcrs: each bank of pcrs gets the record's digest for its
 * algorithm; digests for banks pcrs does not have are ignored. A bank with no
 * digest in the record is GW_E_CEL ("record 3 (stage rootfs: ...) has no sha1
 * digest"), checked before anything is extended. */
int cel_record_extend(const struct cel_record *r, struct gw_pcr_set *pcrs, gw_error *err) GW_WUR;
/* cel_record_extend for every record, in order. */
int cel_replay(const struct cel_log *log, struct gw_pcr_set *pcrs, gw_error *err) GW_WUR;

/* "record 3 (stage rootfs: /boot/rootfs.img)" for messages: the content's string,
 * else stage and path, else the event type. Fields are capped and non-printable
 * bytes replaced, so hostile content cannot forge lines. Always NUL-terminates
 * when len > 0. */
void cel_record_describe(const struct cel_record *r, char *buf, size_t len);

/* Length of the longest prefix of data made of complete records (each RS ... LF
 * holding a complete JSON text), so that a record torn by a crash can be cut off
 * before the next append. Does not validate the records: cel_parse does. */
size_t cel_complete_prefix(const uint8_t *data, size_t len);

/* The records as a new json-c array for --json output: per record recnum, offset,
 * pcr, digests ({"sha256": "hex", ...}), content_type and content when present. */
int cel_records_json(const struct cel_log *log, struct json_object **out) GW_WUR;

#endif
