/* SPDX-License-Identifier: Apache-2.0 */
/* What the store keeps of attestation rounds: the nonces devices are challenged
 * with, and the results (store.h). */
#ifndef GW_STORE_ATTEST_H
#define GW_STORE_ATTEST_H

#include "store_handle.h"

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

#endif
