/* SPDX-License-Identifier: Apache-2.0 */
/* The store handle: the caps on text fields, opening and closing a store, its
 * transactions, and the audit record a mutating call may carry (store.h). */
#ifndef GW_STORE_HANDLE_H
#define GW_STORE_HANDLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gw_error.h"

/* Caps on text fields; longer input is GW_E_TOOBIG. */
#define STORE_ID_MAX 128      /* device id */
#define STORE_MODEL_MAX 128   /* device model */
#define STORE_STATUS_MAX 32   /* "affirming", "warning", "contraindicated" */
#define STORE_ACTOR_MAX 128   /* "operator:alice", "device:gw-0042", "verifier" */
#define STORE_BLOB_MAX 65536  /* ek_pub, ek_cert, ak_pub, ak_name */
#define STORE_TEXT_MAX 1048576 /* claims, EAR JWT, audit detail */
#define STORE_NONCE_MAX 64    /* nonce bytes */
#define STORE_PCRSEL_MAX 256  /* PCR selection string */
#define STORE_HASH_LEN 32     /* SHA-256 */
#define STORE_ENROLL_ID_LEN 32 /* enrollment id: lower-case hex */
#define STORE_FP_LEN 64       /* client certificate fingerprint: SHA-256, lower-case hex */
#define STORE_PEM_MAX 16384   /* a device's TLS public key (PEM SubjectPublicKeyInfo) */
#define STORE_CEL_MAX (16u * 1024 * 1024) /* a device's stored CEL log (CEL_MAX_LOG) */
#define STORE_CHANNEL_MAX 64  /* update channel (MANIFEST_NAME_MAX) */

/* A store handle. Not thread-safe: each thread (each event loop) opens its own;
 * handles on the same database may be used concurrently from several threads
 * and processes. */
struct store;

/* Open (creating if needed) the store named by url and bring its schema up to date.
 *   "sqlite:/var/lib/gatewarden/verifier.db"  SQLite, WAL, synchronous=NORMAL
 *   "sqlite:/path.db?sync=full"                 synchronous=FULL (survives power loss)
 *   "/path.db"                                  a plain path means sqlite
 * GW_E_UNSUPPORTED for an unknown scheme or a database whose schema is newer than
 * this build knows; GW_E_INVAL for a bad url; GW_E_IO when the file cannot be
 * opened. *out is freed with store_close(). */
int store_open(const char *url, struct store **out, gw_error *err) GW_WUR;
/* Close the handle; NULL is fine. An open store_begin() transaction is rolled back. */
void store_close(struct store *st);

/* Schema version this build writes (SQLite: PRAGMA user_version). */
#define STORE_SCHEMA_VERSION 13

/* Optional audit record for a mutating call. When a mutating function gets a
 * non-NULL audit, the record is appended to the chain in the same transaction as
 * the change: both are committed or neither is. NULL means no audit record. */
struct store_audit {
	int64_t ts;            /* seconds since the epoch */
	const char *actor;     /* who: "operator:alice", "device:<id>", "verifier" */
	const char *action;    /* what: "device.enroll", "device.revoke", "attest"... */
	const char *device_id; /* which device, or NULL */
	const char *outcome;   /* "ok", "refused", "affirming"... */
	const char *detail;    /* JSON text, or NULL */
};

/* Transactions. Every function of the store is atomic on its own. To group several
 * (say store_result_add and store_device_update_attestation, or a policy change
 * with two audit records) call store_begin(), then the functions, then
 * store_commit(); on any failure in between call store_rollback(). A function
 * that fails inside the group has undone its own partial work already. Nesting
 * is GW_E_STATE. store_begin() takes the write lock at once (SQLite: BEGIN
 * IMMEDIATE), so keep the group short. */
int store_begin(struct store *st, gw_error *err) GW_WUR;
int store_commit(struct store *st, gw_error *err) GW_WUR;
/* Called after each write transaction (a call's own, or a store_begin() group)
 * ends, committed or not, with how long it took from its begin; for the
 * verifier's metrics. store_set_tx_observer(st, NULL, NULL) stops it. */
typedef void (*store_tx_observer)(void *arg, uint64_t ns);
void store_set_tx_observer(struct store *st, store_tx_observer fn, void *arg);
/* Undo the group; harmless when none is open. */
void store_rollback(struct store *st);

#endif
