/* SPDX-License-Identifier: Apache-2.0 */
/* The verifier's persistent store: devices, pending enrollments, nonces, attestation
 * results, per-model policies and the hash-chained audit log, behind one interface
 * that several backends implement. */
#ifndef GW_STORE_H
#define GW_STORE_H

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

/* Transactions. Every function below is atomic on its own. To group several
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

/* ---- devices ---- */

/* Allowed transitions: pending -> enrolled (approval), pending -> revoked,
 * enrolled -> revoked. revoked is final. The values are stored as text. */
enum store_device_state {
	STORE_DEV_PENDING,
	STORE_DEV_ENROLLED,
	STORE_DEV_REVOKED,
};
/* "pending", "enrolled", "revoked"; NULL for an out-of-range value. */
const char *store_device_state_name(enum store_device_state s);
/* GW_E_PARSE for an unknown name. */
int store_device_state_parse(const char *s, enum store_device_state *out) GW_WUR;

struct store_device {
	char id[STORE_ID_MAX + 1];
	char model[STORE_MODEL_MAX + 1];
	enum store_device_state state;
	/* TPM2B_PUBLIC / DER / TPM2B_NAME as received; owned by the struct after
	 * store_device_get(), borrowed for store_device_put(). ek_cert may be empty. */
	uint8_t *ek_pub;
	size_t ek_pub_len;
	uint8_t *ek_cert;
	size_t ek_cert_len;
	uint8_t *ak_pub;
	size_t ak_pub_len;
	uint8_t *ak_name;
	size_t ak_name_len;
	int64_t created_at;
	/* Last state change (set by put and set_state). */
	int64_t state_changed_at;
	char state_changed_by[STORE_ACTOR_MAX + 1];
	/* Last recorded attestation; attested is false when there was none. */
	bool attested;
	int64_t last_attest_at;
	char last_status[STORE_STATUS_MAX + 1];
	uint32_t reset_count;
	uint32_t restart_count;
	uint64_t clock;                 /* TPMS_CLOCK_INFO.clock, below 2^63 */
	uint64_t cel_records_appraised; /* offset for incremental CEL upload */
	/* The last authentic CEL log of the device's current boot: the bytes whose
	 * replay matched the last quote, and that quote's resetCount. cel_log is NULL
	 * when none is stored (it is non-NULL, with cel_log_len 0, for an empty log).
	 * Owned; filled by store_device_get() only (NULL in list callbacks). */
	uint8_t *cel_log;
	size_t cel_log_len;
	uint32_t cel_reset_count;
	/* SHA-256 (lower-case hex) of the DER client certificate issued to the
	 * device; empty when none. Set by store_device_set_client_cert() only. */
	char client_cert_fp[STORE_FP_LEN + 1];
	/* Update channel set by store_device_set_channel(); empty: the configured
	 * default ([releases] default_channel). */
	char channel[STORE_CHANNEL_MAX + 1];
	/* The security version its TPM counter was last certified at (0 when none). */
	uint64_t security_version;
};

/* Free the blobs of a device filled by store_device_get(); the struct itself is
 * the caller's. NULL is fine. */
void store_device_fini(struct store_device *d);

/* ---- one TPM, one device ----
 * A device that is pending or enrolled has its TPM to itself: no other pending or
 * enrolled device has the same EK (the same key, by store_ek_key_id()) or an AK
 * of the same name. A TPM whose devices were all revoked may enroll again under a
 * new id, but only as pending: an operator decides whether it comes back. The
 * functions that create devices (store_device_put, store_enrollment_activate)
 * enforce this in their own transaction. */

/* The identity of the EK in ek_pub (a TPM2B_PUBLIC): SHA-256 of the DER
 * SubjectPublicKeyInfo of its RSA or ECC key. Encodings of one key that differ in
 * anything but the key (attributes, authPolicy, an exponent of 0 or 65537 spelled
 * out) give the same value. GW_E_PARSE, GW_E_UNSUPPORTED or GW_E_KEY when ek_pub
 * is not the public area of an RSA or ECC key. */
int store_ek_key_id(const uint8_t *ek_pub, size_t len, uint8_t out[STORE_HASH_LEN]) GW_WUR;

enum store_tpm_binding {
	STORE_TPM_FREE,    /* no device has this EK or AK */
	STORE_TPM_IN_USE,  /* a pending or enrolled device has it */
	STORE_TPM_REVOKED, /* only revoked devices had it */
};
struct store_tpm_holder {
	enum store_tpm_binding binding;
	/* IN_USE: the device that has the TPM; REVOKED: the revoked device whose state
	 * changed last; FREE: empty. */
	char device_id[STORE_ID_MAX + 1];
};
/* Which device, if any, has the TPM of this EK (TPM2B_PUBLIC) or this AK name.
 * An ek_pub that store_ek_key_id() cannot read is matched by the AK name only.
 * Returns 0 with *out filled (binding STORE_TPM_FREE when no device has either). */
int store_device_by_tpm(struct store *st, const uint8_t *ek_pub, size_t ek_pub_len,
			const uint8_t *ak_name, size_t ak_name_len, struct store_tpm_holder *out,
			gw_error *err) GW_WUR;

/* Insert a new device with the id, model, state, blobs and created_at of d
 * (state_changed_* are set to created_at and "enroll"; attestation fields are
 * ignored). GW_E_EXISTS when the id is taken, or, for a pending or enrolled d,
 * when its TPM is bound to another device (see above; err names it). An ek_pub
 * that store_ek_key_id() cannot read (test fixtures) is stored without a key
 * identity and bound by the AK name only. */
int store_device_put(struct store *st, const struct store_device *d,
		     const struct store_audit *audit, gw_error *err) GW_WUR;
/* GW_E_NOTFOUND when there is no such device. On success *out owns its blobs:
 * release with store_device_fini(). */
int store_device_get(struct store *st, const char *id, struct store_device *out,
		     gw_error *err) GW_WUR;

/* Called once per device in id order; the pointer is valid only during the call
 * (its blobs are not filled in). A non-zero return stops the listing and becomes
 * the return value of store_device_list(). */
typedef int (*store_device_cb)(const struct store_device *d, void *arg);
/* List the devices in state *state, or all of them when state is NULL. */
int store_device_list(struct store *st, const enum store_device_state *state,
		      store_device_cb cb, void *arg, gw_error *err) GW_WUR;

/* Move a device to state. GW_E_NOTFOUND for an unknown id, GW_E_STATE for a
 * transition not listed above (including out of revoked and to the same state). */
int store_device_set_state(struct store *st, const char *id, enum store_device_state state,
			   int64_t now, const char *actor, const struct store_audit *audit,
			   gw_error *err) GW_WUR;

/* Bind the device to the TLS client certificate issued to it: fp is the SHA-256
 * of the DER certificate in lower-case hex (STORE_FP_LEN characters), or NULL to
 * clear the binding. The service maps a client certificate to a device by its CN
 * and then requires this fingerprint to match. GW_E_NOTFOUND for an unknown id,
 * GW_E_STATE when setting (not clearing) on a revoked device, GW_E_EXISTS when
 * another device holds the same fingerprint, GW_E_INVAL for a malformed fp. */
int store_device_set_client_cert(struct store *st, const char *id, const char *fp,
				 const struct store_audit *audit, gw_error *err) GW_WUR;

/* Renewal: replace the certificate binding of an enrolled device, but only while
 * it is still old_fp (the certificate the request came with), so that of two
 * renewals with one certificate only the first wins. Both fingerprints are
 * STORE_FP_LEN lower-case hex.
 *   GW_E_NOTFOUND  unknown id
 *   GW_E_STATE     the device is not enrolled, or its certificate is not old_fp
 *                  any more (err says which)
 *   GW_E_EXISTS    another device holds new_fp
 * On failure nothing changes. */
int store_device_renew_cert(struct store *st, const char *id, const char *old_fp,
			    const char *new_fp, const struct store_audit *audit,
			    gw_error *err) GW_WUR;

/* Put the device on update channel `channel` (1..STORE_CHANNEL_MAX bytes of
 * [A-Za-z0-9._-]), or NULL for the configured default. GW_E_NOTFOUND for an
 * unknown id, GW_E_INVAL for a bad channel name. */
int store_device_set_channel(struct store *st, const char *id, const char *channel,
			     const struct store_audit *audit, gw_error *err) GW_WUR;

struct store_attestation {
	int64_t at;
	const char *status;
	uint32_t reset_count;
	uint32_t restart_count;
	uint64_t clock;
	uint64_t cel_records_appraised;
	/* keep_clock: leave the recorded reset_count, restart_count, clock,
	 * cel_records_appraised and authentic log as they are (the quote says nothing
	 * about the TPM: it is not genuine, or older than the recorded one); only
	 * last_attest_at and last_status change, and every field below is ignored. */
	bool keep_clock;
	/* has_cel: store cel_log (borrowed, at most STORE_CEL_MAX bytes) and
	 * cel_reset_count as the device's authentic log; false clears the stored log,
	 * so a genuine quote whose replay failed never leaves a stale prefix behind. */
	bool has_cel;
	const uint8_t *cel_log;
	size_t cel_log_len;
	uint32_t cel_reset_count;
};
/* Record the latest appraisal of an enrolled device. The TPM clock only moves
 * forward: unless keep_clock is set, the new resetCount and clock are compared
 * with the recorded ones in the same transaction as the update.
 *   GW_E_NOTFOUND  unknown id
 *   GW_E_STATE     the device is not enrolled (an appraisal racing a revocation
 *                  cannot land after it)
 *   GW_E_EXISTS    a later clock is recorded already: a lower resetCount, or the
 *                  same resetCount and a lower clock (two appraisals of one device
 *                  raced, or the quote is replayed); err names both
 * On failure nothing changes. */
int store_device_update_attestation(struct store *st, const char *id,
				    const struct store_attestation *att,
				    const struct store_audit *audit, gw_error *err) GW_WUR;

/* ---- nonces ---- */

struct store_nonce {
	char device_id[STORE_ID_MAX + 1];
	char pcr_selection[STORE_PCRSEL_MAX + 1];
	int64_t expires_at;
};

/* Remember a fresh nonce (1..STORE_NONCE_MAX bytes) issued to device_id.
 * GW_E_EXISTS when the same nonce exists, GW_E_NOTFOUND for an unknown device. */
int store_nonce_put(struct store *st, const uint8_t *nonce, size_t len,
		    const char *device_id, const char *pcr_selection, int64_t expires_at,
		    gw_error *err) GW_WUR;

/* Why store_nonce_take() returned GW_E_STATE. */
enum store_nonce_refusal {
	STORE_NONCE_USED = 1,    /* taken before: a replayed quote */
	STORE_NONCE_EXPIRED = 2, /* now >= expires_at */
};
/* Atomically take a nonce for device_id: mark it used and return what was stored.
 *   0                the nonce was fresh; *out is filled
 *   GW_E_NOTFOUND    unknown nonce, or it was issued to another device (left
 *                    untouched, so one device cannot burn another's nonce)
 *   GW_E_STATE       used before or expired; *why (may be NULL) says which. An
 *                    expired nonce is marked used too.
 * *why is the one output set on failure. */
int store_nonce_take(struct store *st, const uint8_t *nonce, size_t len,
		     const char *device_id, int64_t now, struct store_nonce *out,
		     enum store_nonce_refusal *why, gw_error *err) GW_WUR;
/* Delete nonces that expired before `before`; *count (may be NULL) gets how many. */
int store_nonce_purge(struct store *st, int64_t before, uint64_t *count,
		      gw_error *err) GW_WUR;

/* ---- pending enrollments (POST /v1/enroll, /v1/enroll/activate) ---- */

/* challenged -> activated (right secret, in time) or challenged -> failed (a
 * wrong secret spends the enrollment). Both are final. */
enum store_enrollment_state {
	STORE_ENR_CHALLENGED,
	STORE_ENR_ACTIVATED,
	STORE_ENR_FAILED,
};
/* "challenged", "activated", "failed"; NULL for an out-of-range value. */
const char *store_enrollment_state_name(enum store_enrollment_state s);

struct store_enrollment {
	char id[STORE_ENROLL_ID_LEN + 1]; /* 32 lower-case hex characters */
	char device_id[STORE_ID_MAX + 1];
	char model[STORE_MODEL_MAX + 1];
	/* Owned after store_enrollment_get() (release with store_enrollment_fini()),
	 * borrowed for store_enrollment_put(). ek_cert may be empty. */
	uint8_t *ek_pub;
	size_t ek_pub_len;
	uint8_t *ek_cert;
	size_t ek_cert_len;
	uint8_t *ak_pub;
	size_t ak_pub_len;
	uint8_t *ak_name;
	size_t ak_name_len;
	/* SHA-256 of the credential secret; the secret itself is never stored. */
	uint8_t secret_hash[STORE_HASH_LEN];
	int64_t created_at;
	int64_t expires_at; /* activation is refused when now >= expires_at */
	enum store_enrollment_state state;
	/* The device's TLS public key (PEM), set at activation; NULL before. Owned
	 * after store_enrollment_get(); ignored by store_enrollment_put(). */
	char *client_pub;
};

/* Free what store_enrollment_get() allocated; the struct is the caller's. NULL is
 * fine. */
void store_enrollment_fini(struct store_enrollment *e);
/* Insert a new enrollment in state challenged (e->state and e->client_pub are
 * ignored). GW_E_EXISTS when the id is taken; GW_E_KEY (or GW_E_PARSE,
 * GW_E_UNSUPPORTED) when e->ek_pub is not one store_ek_key_id() can read. Neither
 * the device id nor the TPM is checked against devices here:
 * store_enrollment_activate() is the uniqueness check. */
int store_enrollment_put(struct store *st, const struct store_enrollment *e,
			 const struct store_audit *audit, gw_error *err) GW_WUR;
/* GW_E_NOTFOUND when there is no such enrollment (purged ones included). On
 * success *out owns its blobs and client_pub: release with store_enrollment_fini(). */
int store_enrollment_get(struct store *st, const char *id, struct store_enrollment *out,
			 gw_error *err) GW_WUR;
/* Activate enrollment id in one transaction: check it, mark it activated with
 * client_pub_pem, insert the device and append audit (if given). The caller has
 * checked the secret against secret_hash (constant time) before calling.
 *   GW_E_NOTFOUND  no such enrollment, or it has expired (now >= expires_at) and
 *                  is still challenged: to the client both are "unknown enrollment"
 *   GW_E_STATE     activated or failed already (a second activation, or one after
 *                  a wrong secret)
 *   GW_E_EXISTS    a device with this id exists (holder->binding STORE_TPM_FREE),
 *                  or the TPM is bound to another device: a pending or enrolled
 *                  one has its EK or AK (STORE_TPM_IN_USE), or d->state is
 *                  enrolled and a revoked device had them (STORE_TPM_REVOKED: it
 *                  may come back as pending only); holder->device_id names it
 *   GW_E_INVAL     d's id or model differ from the enrollment's, or d's state is
 *                  not pending or enrolled
 *   GW_E_KEY       the enrollment's EK is not one store_ek_key_id() can read
 * The device row gets d's state and created_at (state_changed_* as for
 * store_device_put()); its EK and AK are copied from the enrollment row, whatever
 * d's blobs hold, so the device stored is exactly the one whose TPM was challenged.
 * holder (may be NULL) is filled on success (a revoked predecessor, if any) and on
 * GW_E_EXISTS. On any failure nothing changes. */
int store_enrollment_activate(struct store *st, const char *id, const char *client_pub_pem,
			      int64_t now, const struct store_device *d,
			      const struct store_audit *audit, struct store_tpm_holder *holder,
			      gw_error *err) GW_WUR;
/* Recovery: a TPM that proved (by the secret of enrollment id, checked by the
 * caller) that it holds the EK and AK of an existing device gets that device a new
 * certificate, in one transaction: the enrollment is challenged, not expired, and
 * names the device; the device is enrolled and has exactly this TPM (the same EK
 * key identity and the same AK name); the enrollment is marked activated with
 * client_pub_pem and the device bound to new_fp, in place of old_fp when that is
 * not NULL (the certificate the caller read, named in its audit record: GW_E_STATE
 * when the device has another one by now).
 *   GW_E_NOTFOUND  the enrollment: unknown, expired, or activated or failed
 *                  already (and only the enrollment: the caller's 404)
 *   GW_E_STATE     the device does not exist, or is pending or revoked (err
 *                  names its state)
 *   GW_E_EXISTS    the device has another EK or AK: another TPM cannot take the
 *                  id over; or another device holds new_fp
 *   GW_E_INVAL     the enrollment is for another device id
 * On failure nothing changes. */
int store_enrollment_recover(struct store *st, const char *id, const char *device_id,
			     const char *client_pub_pem, int64_t now, const char *old_fp,
			     const char *new_fp, const struct store_audit *audit,
			     gw_error *err) GW_WUR;
/* Mark a challenged enrollment failed: a wrong secret spends it, whether or not it
 * has expired. GW_E_NOTFOUND for an unknown id, GW_E_STATE when it is not
 * challenged (already activated or failed). */
int store_enrollment_fail(struct store *st, const char *id, const struct store_audit *audit,
			  gw_error *err) GW_WUR;
/* Delete challenged and failed enrollments whose expires_at is before `before`;
 * activated ones are kept (POST /v1/enroll/status looks them up). *count (may be
 * NULL) gets how many were deleted. */
int store_enrollment_purge(struct store *st, int64_t before, uint64_t *count,
			   gw_error *err) GW_WUR;

/* ---- Update keys (the TPM update key of each device, doc/updates.md) ---- */

#define STORE_UPDATE_KEY_PUB_MAX 1024 /* marshalled TPM2B_PUBLIC */
#define STORE_UPDATE_KEY_NAME_LEN 34  /* nameAlg SHA-256 || digest */

struct store_update_key {
	char device_id[STORE_ID_MAX + 1];
	uint8_t *pub;                     /* marshalled TPM2B_PUBLIC */
	size_t pub_len;
	uint8_t name[STORE_UPDATE_KEY_NAME_LEN];
	int64_t created;
};
void store_update_key_fini(struct store_update_key *k);

/* Register a device's update key (checked by the caller: template, policy,
 * certification). 0 when stored; 0 with *existed true when this very key (same
 * name) is stored already (nothing written, no audit record); GW_E_EXISTS when the
 * device has another key: one key per device until an operator resets it;
 * GW_E_NOTFOUND when there is no such device, GW_E_STATE when it is not enrolled. */
int store_update_key_put(struct store *st, const char *device_id, const uint8_t *pub,
			 size_t pub_len, const uint8_t name[STORE_UPDATE_KEY_NAME_LEN],
			 int64_t now, const struct store_audit *audit, bool *existed,
			 gw_error *err) GW_WUR;
/* GW_E_NOTFOUND when the device has no update key. */
int store_update_key_get(struct store *st, const char *device_id, struct store_update_key *out,
			 gw_error *err) GW_WUR;
/* Forget the device's update key, so that it may register a new one. GW_E_NOTFOUND
 * when it has none. */
int store_update_key_reset(struct store *st, const char *device_id,
			   const struct store_audit *audit, gw_error *err) GW_WUR;

/* ---- certified anti-rollback counters ----
 * Per device and channel: the NV names of the counter and its baseline (pinned at
 * first sight: the store refuses to change them) and the security version last
 * certified (the store refuses to lower it). */
#define STORE_COUNTER_NAME_LEN 34 /* nameAlg SHA-256 || digest */
#define STORE_MAX_COUNTERS 8      /* EVIDENCE_MAX_COUNTERS */

struct store_counter {
	char channel[STORE_CHANNEL_MAX + 1];
	uint8_t counter_name[STORE_COUNTER_NAME_LEN];
	uint8_t baseline_name[STORE_COUNTER_NAME_LEN];
	uint32_t counter_index;
	uint32_t baseline_index;
	uint64_t security_version; /* below 2^63 */
	int64_t first_seen;        /* set by the store */
	int64_t updated;           /* set by the store */
};

/* The device's recorded counters in channel order, at most max (more are
 * GW_E_TOOBIG); *n = 0 when it has none. */
int store_counters_get(struct store *st, const char *device_id, struct store_counter *out,
		       size_t max, size_t *n, gw_error *err) GW_WUR;
/* Record a round's certified counters c[0..n-1] at now (a channel seen for the
 * first time is inserted with first_seen = now, a known one updated), and raise
 * the device's security_version to the highest value among them (it never goes
 * down). Meant for the transaction that records the round's result. GW_E_STATE
 * (nothing written) when a channel's names differ from the pinned ones, its
 * security version is below the recorded one, or a recorded channel is not among
 * c (every round certifies every recorded channel; the rows therefore never
 * exceed STORE_MAX_COUNTERS); GW_E_NOTFOUND for an unknown device. */
int store_counters_record(struct store *st, const char *device_id,
			  const struct store_counter *c, size_t n, int64_t now,
			  gw_error *err) GW_WUR;
/* An operator retires a channel the device no longer certifies: its row is
 * deleted (into *out when out is not NULL) with audit record audit (may be
 * NULL) in one transaction. The device's security_version is left as it is.
 * GW_E_NOTFOUND when the device has no row of that channel. */
int store_counters_retire(struct store *st, const char *device_id, const char *channel,
			  struct store_counter *out, const struct store_audit *audit,
			  gw_error *err) GW_WUR;

/* ---- per-model policies ----
 * The store keeps each policy as given: the DSSE envelope whose payload is the
 * policy, so that it can be verified again whenever it is used; verifying and
 * parsing it is the caller's job (verdict_load_policy()). Versions of a model only
 * go up, and a stored version is never changed. */

/* Bytes of an envelope: one holding a policy of GWPOL_MAX_SIZE (2 MiB) grows by a
 * third in base64 (2.67 MiB), plus the JSON around it and up to DSSE_MAX_SIGS
 * signatures (keyid and base64 DER signature, under 1.5 KiB each). Within
 * DSSE_MAX_SIZE. */
#define STORE_POLICY_MAX (3u * 1024 * 1024)

struct store_policy {
	char model[STORE_MODEL_MAX + 1];
	uint32_t version;
	char *body; /* JSON text; owned after get/current, borrowed in list callbacks */
	int64_t added_at;
	char added_by[STORE_ACTOR_MAX + 1];
};
/* Free body of a policy filled by store_policy_get()/_current(). NULL is fine. */
void store_policy_fini(struct store_policy *p);

/* How far one new policy version may go above the model's current one. Without a
 * bound, one signed policy of version 4294967295 would freeze the model for good
 * (doc/verifier.md, "Versioning"). */
#define STORE_POLICY_MAX_STEP 1000u

/* The version counter of a model: its reset count (0 before any reset) and the
 * version a new policy must go above: the highest version added since the last
 * reset, else that reset's to_version, else 0. */
struct store_policy_counter {
	uint32_t resets;
	uint32_t version;
};
int store_policy_counter(struct store *st, const char *model, struct store_policy_counter *out,
			 gw_error *err) GW_WUR;

/* Store version `version` (>= 1) of model's policy; payload_sha256 (64 lower-case
 * hex digits, or NULL when unknown) is the SHA-256 of its signed payload, the
 * policy JSON. GW_E_STATE when version is not above the model's counter
 * (store_policy_counter), or more than STORE_POLICY_MAX_STEP above it, or was
 * stored before a reset, or it is the first policy after a reset and not the one
 * that reset names (err says which). */
int store_policy_add(struct store *st, const char *model, uint32_t version,
		     const char *payload_sha256, const char *body, int64_t now,
		     const char *actor, const struct store_audit *audit, gw_error *err) GW_WUR;
/* A version reset of model, as a threshold of policy keys signed it (body: the DSSE
 * envelope, kept as given): reset must be the model's reset count + 1, from_version
 * its counter's version, to_version below from_version and at least every version
 * stored below from_version (versions are never reused). Afterwards the counter is
 * (reset, to_version); the policy in force stays the current one until a policy
 * above to_version is added, and the first one added must be the one whose payload
 * has SHA-256 next_sha256 (64 lower-case hex digits): no other signed policy,
 * stored or not, comes back through a reset. A statement applied once can never
 * apply again. GW_E_STATE (err says which rule), GW_E_INVAL. */
int store_policy_reset(struct store *st, const char *model, uint32_t reset,
		       uint32_t from_version, uint32_t to_version, const char *next_sha256,
		       const char *body, int64_t now, const char *actor,
		       const struct store_audit *audit, gw_error *err) GW_WUR;
/* The policy in force: the last one added, i.e. the highest version since the
 * model's last reset that has one. GW_E_NOTFOUND when the model has none. */
int store_policy_current(struct store *st, const char *model, struct store_policy *out,
			 gw_error *err) GW_WUR;
/* One version. GW_E_NOTFOUND when there is no such version. */
int store_policy_get(struct store *st, const char *model, uint32_t version,
		     struct store_policy *out, gw_error *err) GW_WUR;
/* Called once per policy; the pointer (and body) is valid only during the call. A
 * non-zero return stops and is returned. */
typedef int (*store_policy_cb)(const struct store_policy *p, void *arg);
/* model NULL: the current version of every model, by model. model given: every
 * version of that model, newest (last added) first (nothing when it has none). */
int store_policy_list(struct store *st, const char *model, store_policy_cb cb, void *arg,
		      gw_error *err) GW_WUR;

/* ---- releases (store_release.c) ----
 * A release is a bundle the operator added, checked against the verifier's trust
 * root before it was stored; its file lies beside the database, named by its
 * SHA-256. Its manifest fields never change; approval, the rollout percentage and
 * withdrawal do, and withdrawal is final. */

#define STORE_RELEASE_ID_LEN 16   /* first 16 hex digits of the manifest SHA-256 */
#define STORE_RELEASE_VERSION_MAX 64
#define STORE_RELEASE_MODELS 32   /* MANIFEST_MAX_MODELS */
#define STORE_PATH_MAX 4095
#define STORE_NOTES_MAX (64u * 1024)
#define STORE_BOOT_FILES_MAX 8    /* a release's boot files (MANIFEST_MAX_BOOT_FILES) */
#define STORE_BOOT_PATH_MAX 255   /* MANIFEST_BOOT_PATH_MAX */

/* A file the bootloader measures when it boots a release (its manifest's
 * boot_files): the path is for people, the digest is what is compared. */
struct store_boot_file {
	char path[STORE_BOOT_PATH_MAX + 1]; /* "/" and more, no space */
	uint8_t sha256[STORE_HASH_LEN];
};

struct store_release {
	char id[STORE_RELEASE_ID_LEN + 1];
	char manifest_sha256[2 * STORE_HASH_LEN + 1];
	char models[STORE_RELEASE_MODELS][STORE_MODEL_MAX + 1];
	size_t nmodels; /* 1..STORE_RELEASE_MODELS, distinct */
	char channel[STORE_CHANNEL_MAX + 1];
	char version[STORE_RELEASE_VERSION_MAX + 1];
	uint64_t security_version; /* below 2^63 */
	int64_t created;           /* the manifest's */
	char *notes;               /* NULL: none; owned after get, borrowed for put */
	bool reboot_required;
	char bundle_path[STORE_PATH_MAX + 1];
	uint64_t size;             /* bytes of the bundle file, > 0 */
	char sha256[2 * STORE_HASH_LEN + 1]; /* of the bundle file: its ETag */
	unsigned rollout;          /* percent of the devices, 0..100 */
	bool requires_approval;
	bool approved;
	bool withdrawn;
	bool critical;
	int64_t deadline;          /* critical: deferral ends then; 0: none */
	bool eol_transition;
	int64_t added_at;
	char added_by[STORE_ACTOR_MAX + 1];
	/* Its verified manifest's boot files (distinct paths, distinct digests), for
	 * store_release_put; read back with store_release_boot_list (get and list
	 * leave them empty). */
	size_t nboot_files;
	struct store_boot_file boot_files[STORE_BOOT_FILES_MAX];
};

/* Free what store_release_get() allocated (notes). NULL is fine. */
void store_release_fini(struct store_release *r);
/* Insert a new release (approved and withdrawn must be false). GW_E_EXISTS when
 * its id or its manifest is stored already; GW_E_INVAL for a malformed field. */
int store_release_put(struct store *st, const struct store_release *r,
		      const struct store_audit *audit, gw_error *err) GW_WUR;
/* GW_E_NOTFOUND for an unknown id. On success release with store_release_fini(). */
int store_release_get(struct store *st, const char *id, struct store_release *out,
		      gw_error *err) GW_WUR;
/* Called once per release, oldest added first; the pointer (and notes) is valid only
 * during the call. A non-zero return stops and is returned. model NULL: every
 * release; else those for that model. */
typedef int (*store_release_cb)(const struct store_release *r, void *arg);
int store_release_list(struct store *st, const char *model, store_release_cb cb, void *arg,
		       gw_error *err) GW_WUR;

enum store_release_change {
	STORE_REL_APPROVE,  /* requires_approval and not approved yet */
	STORE_REL_WITHDRAW, /* final */
	STORE_REL_ROLLOUT,  /* value: the new percentage, 0..100 */
};
/* Change a release. GW_E_NOTFOUND for an unknown id; GW_E_STATE when it is
 * withdrawn, or approve of one that needs none or is approved already; GW_E_INVAL
 * for a percentage above 100. Nothing changes on failure. */
int store_release_change(struct store *st, const char *id, enum store_release_change what,
			 unsigned value, const struct store_audit *audit, gw_error *err) GW_WUR;

/* A release's boot files as stored (schema 13): put stores them with the release;
 * a release added before schema 13 has none stored (known false) until
 * store_release_boot_put records what its bundle's manifest lists. */
struct store_release_boot {
	char id[STORE_RELEASE_ID_LEN + 1];
	char version[STORE_RELEASE_VERSION_MAX + 1];
	char manifest_sha256[2 * STORE_HASH_LEN + 1];
	char bundle_path[STORE_PATH_MAX + 1];
	bool known;	/* its boot files are stored (n may be 0) */
	size_t n;
	struct store_boot_file files[STORE_BOOT_FILES_MAX];
};
/* Called once per release of model (every release when NULL), withdrawn ones
 * included, oldest added first, each with its boot files: one query. The pointer
 * is valid only during the call; a non-zero return stops and is returned. */
typedef int (*store_release_boot_cb)(const struct store_release_boot *b, void *arg);
int store_release_boot_list(struct store *st, const char *model, store_release_boot_cb cb,
			    void *arg, gw_error *err) GW_WUR;
/* Record the boot files of release id, read from its bundle's manifest (whose
 * digest the caller checked against the release's): once, so 0 and nothing
 * changes when they are stored already (another worker was first). GW_E_NOTFOUND
 * for an unknown id, GW_E_INVAL for a malformed file list. */
int store_release_boot_put(struct store *st, const char *id, const struct store_boot_file *files,
			   size_t n, gw_error *err) GW_WUR;

/* ---- attestation results ---- */

struct store_result {
	int64_t id; /* assigned by the store */
	const char *device_id;
	int64_t at;
	const char *status; /* EAR status: affirming / warning / contraindicated */
	const char *claims; /* JSON text */
	const char *ear;    /* the signed EAR JWT */
};
/* Append a result (r->id is ignored); *id (may be NULL) receives its id.
 * GW_E_NOTFOUND for an unknown device. */
int store_result_add(struct store *st, const struct store_result *r, int64_t *id,
		     const struct store_audit *audit, gw_error *err) GW_WUR;
/* Called newest first (by at, then id); the pointer is valid only during the call.
 * A non-zero return stops and is returned. */
typedef int (*store_result_cb)(const struct store_result *r, void *arg);
/* At most limit results of device_id (limit 0: all). */
int store_result_history(struct store *st, const char *device_id, unsigned limit,
			 store_result_cb cb, void *arg, gw_error *err) GW_WUR;

/* Retention ([retention] in verifier.conf): delete every result of a device that
 * is not among its newest keep (keep >= 1, by at then id), except the
 * non-affirming ones (status other than "affirming") at or after failed_since.
 * Runs in batches of at most STORE_PRUNE_BATCH rows, each its own transaction, so
 * attestations are not held up (inside store_begin() it is one unit); *deleted
 * (may be NULL) gets how many went, also when a later batch failed. Nothing refers
 * to a result by its id (audit records carry their own copy of what they say), so
 * pruning leaves the audit chain and the devices' last attestation as they are.
 * store_result_prune_batch deletes one batch (at most STORE_PRUNE_BATCH rows) in
 * one call: inside store_begin() with the caller's audit record of it. */
#define STORE_PRUNE_BATCH 5000
int store_result_prune(struct store *st, unsigned keep, int64_t failed_since,
		       uint64_t *deleted, gw_error *err) GW_WUR;
int store_result_prune_batch(struct store *st, unsigned keep, int64_t failed_since,
			     uint64_t *deleted, gw_error *err) GW_WUR;
/* The number of stored results, and the database's size in bytes (pages in use
 * and free pages, times the page size: what a VACUUM would give back is
 * free_bytes). Any pointer may be NULL. */
int store_size(struct store *st, uint64_t *results, uint64_t *bytes, uint64_t *free_bytes,
	       gw_error *err) GW_WUR;
/* Rebuild the database file without its free pages (SQLite VACUUM; not inside
 * store_begin()). Writers wait for it. */
int store_vacuum(struct store *st, gw_error *err) GW_WUR;

/* ---- what a device's authentic agent log says of its updates ----
 * One row per device, written by the round whose log replayed against a genuine
 * quote (verifier/service_updates.c): the running release, a pending trial, the
 * last update outcome, and where in which boot the last audited outcome record
 * was, so that no record is audited twice. */
#define STORE_UPDATE_KIND_MAX 15 /* "rolled-back" */

struct store_update_event {
	bool present;
	char kind[STORE_UPDATE_KIND_MAX + 1];        /* update_event_kind_name() */
	char manifest_sha256[2 * STORE_HASH_LEN + 1]; /* lower-case hex */
	char release_id[STORE_RELEASE_ID_LEN + 1];    /* "": no stored release has it */
	char version[STORE_RELEASE_VERSION_MAX + 1];  /* the record's */
	bool has_security_version;                    /* the stored release's */
	uint64_t security_version;                    /* below 2^63 */
	int64_t at;                                   /* outcome: when first seen */
};

struct store_device_update {
	struct store_update_event running; /* kind "running" */
	struct store_update_event trial;   /* kind "staged": a trial pending */
	struct store_update_event outcome; /* the last outcome record */
	uint32_t reset_count;  /* the boot (quote resetCount) of position */
	uint64_t position;     /* PCR 14 records of that boot already looked at */
	uint64_t ignored;      /* update records not believed in the last log */
	bool has_judged_counter; /* the running release was judged against: */
	uint64_t judged_counter; /* the round's certified security version */
	int64_t updated;
};

/* The device's row: 0, GW_E_NOTFOUND when there is none. */
int store_device_update_get(struct store *st, const char *device_id,
			    struct store_device_update *out, gw_error *err) GW_WUR;
/* Insert or replace the device's row. GW_E_NOTFOUND for an unknown device,
 * GW_E_INVAL for a malformed field. */
int store_device_update_put(struct store *st, const char *device_id,
			    const struct store_device_update *u, gw_error *err) GW_WUR;
/* Called for every row in device id order; the pointers are valid only during the
 * call. A non-zero return stops and is returned. */
typedef int (*store_device_update_cb)(const char *device_id,
				      const struct store_device_update *u, void *arg);
int store_device_update_list(struct store *st, store_device_update_cb cb, void *arg,
			     gw_error *err) GW_WUR;

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

/* An online copy of the whole database into a new file (SQLite's backup API, one
 * read snapshot: writers go on meanwhile), written as path GW_TMP_INFIX random,
 * checked (PRAGMA integrity_check), fsynced and renamed to path, its directory
 * fsynced; mode 0600. path must not exist (GW_E_EXISTS). *info (may be NULL)
 * describes the copy. GW_E_IO, GW_E_NOMEM, GW_E_PARSE (the copy fails its check). */
struct store_backup_info {
	uint64_t bytes;
	int64_t schema_version;
	uint64_t devices, results, audit_records;
};
int store_backup(struct store *st, const char *path, struct store_backup_info *info,
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
