/* SPDX-License-Identifier: Apache-2.0 */
/* The store's devices: their states, the one-TPM-one-device binding, client
 * certificates, update channels and the last recorded attestation (store.h). */
#ifndef GW_STORE_DEVICE_H
#define GW_STORE_DEVICE_H

#include "store_handle.h"

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

#endif
