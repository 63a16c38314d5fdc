/* SPDX-License-Identifier: Apache-2.0 */
/* The store's pending enrollments: a TPM's credential challenge until it is
 * activated into a device or spent (store.h). */
#ifndef GW_STORE_ENROLL_H
#define GW_STORE_ENROLL_H

#include "store_handle.h"
#include "store_device.h"

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

#endif
