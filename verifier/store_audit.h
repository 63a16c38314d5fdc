/* SPDX-License-Identifier: Apache-2.0 */
/* The store's hash-chained audit log: its records, the chain check, the archive
 * anchor and the canonical record hash (store.h). */
#ifndef GW_STORE_AUDIT_H
#define GW_STORE_AUDIT_H

#include "store_handle.h"

/* ---- audit log ----
 * Append-only and hash-chained:
 *   hash(n) = SHA-256(hash(n-1) || enc(seq) || enc(ts) || enc(actor) || enc(action)
 *                     || enc(device_id) || enc(outcome) || enc(detail))
 * hash(0) is 32 zero bytes; seq and ts are 8-byte big-endian (ts as two's
 * complement); each text is a 4-byte big-endian length and its bytes, and a NULL
 * device_id or detail is the length 0xffffffff with no bytes. The latest {seq,
 * hash} is kept in a separate one-row head, written in the same transaction. */

struct store_audit_record {
	uint64_t seq; /* 1, 2, 3... */
	struct store_audit a;
	uint8_t prev_hash[STORE_HASH_LEN];
	uint8_t hash[STORE_HASH_LEN];
};

/* Append one record on its own (for events that change nothing else: a refused
 * attestation, a failed login). *seq (may be NULL) receives its number. */
int store_audit_append(struct store *st, const struct store_audit *a, uint64_t *seq,
		       gw_error *err) GW_WUR;
/* Called in seq order for every record with seq > since; the pointer is valid
 * only during the call. A non-zero return stops and is returned. */
typedef int (*store_audit_cb)(const struct store_audit_record *r, void *arg);
int store_audit_list(struct store *st, uint64_t since, store_audit_cb cb, void *arg,
		     gw_error *err) GW_WUR;
/* Check the whole chain. Returns 0 when the check ran: *count gets the number of
 * records, and *first_bad_seq 0 when the chain is intact or else the first seq at
 * which it breaks: an edited record, the first missing seq of a gap, or, when the
 * head names records that are gone from the tail, the first missing seq. The
 * reason is in err. See doc/storage.md for what this cannot detect. A non-zero return means the check itself could not run. */
int store_audit_verify(struct store *st, uint64_t *count, uint64_t *first_bad_seq,
		       gw_error *err) GW_WUR;

/* The archive anchor (schema 12): the last record archived and removed from the
 * store (`gwverifier audit export`); seq 0 and 32 zero bytes when none was. The
 * first record kept has seq + 1 and chains from hash. */
struct store_audit_anchor {
	uint64_t seq;
	uint8_t hash[STORE_HASH_LEN];
	int64_t archived_at; /* 0: never */
};
int store_audit_anchor_get(struct store *st, struct store_audit_anchor *out,
			   gw_error *err) GW_WUR;
/* Move the anchor to record upto (its seq and stored hash) and delete every record
 * up to it, in one transaction (inside store_begin(): part of that one).
 * GW_E_STATE when upto is not above the anchor, GW_E_NOTFOUND when record upto is
 * not in the store. The caller has written the records elsewhere first. */
int store_audit_archive(struct store *st, uint64_t upto, int64_t now, gw_error *err) GW_WUR;

/* The canonical hash of one record given the previous hash; shared by backends
 * and by offline checkers. GW_E_TOOBIG for a text over its cap. */
int store_audit_hash(const uint8_t prev[STORE_HASH_LEN], uint64_t seq,
		     const struct store_audit *a, uint8_t out[STORE_HASH_LEN]) GW_WUR;

#endif
