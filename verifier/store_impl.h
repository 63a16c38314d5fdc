/* SPDX-License-Identifier: Apache-2.0 */
/* What a store backend implements: the operations table behind struct store. */
#ifndef GW_STORE_IMPL_H
#define GW_STORE_IMPL_H

#include "store.h"

/* Each backend embeds struct store first in its own handle and points ops at its
 * table. Arguments are checked by store.c and store_*.c before they reach a backend (non-NULL
 * pointers, text caps, nonce length), so backends only check what needs the data. */
struct store_ops {
	void (*close)(struct store *st);
	int (*begin)(struct store *st, gw_error *err);
	int (*commit)(struct store *st, gw_error *err);
	void (*rollback)(struct store *st);
	int (*device_put)(struct store *st, const struct store_device *d,
			  const struct store_audit *audit, gw_error *err);
	int (*device_get)(struct store *st, const char *id, struct store_device *out,
			  gw_error *err);
	int (*device_list)(struct store *st, const enum store_device_state *state,
			   store_device_cb cb, void *arg, gw_error *err);
	/* ek_key: store_ek_key_id() of the EK, or NULL when it has none. */
	int (*device_by_tpm)(struct store *st, const uint8_t *ek_key, const uint8_t *ak_name,
			     size_t ak_name_len, struct store_tpm_holder *out, gw_error *err);
	int (*device_set_state)(struct store *st, const char *id, enum store_device_state state,
				int64_t now, const char *actor, const struct store_audit *audit,
				gw_error *err);
	int (*device_update_attestation)(struct store *st, const char *id,
					 const struct store_attestation *att,
					 const struct store_audit *audit, gw_error *err);
	int (*device_set_client_cert)(struct store *st, const char *id, const char *fp,
				      const struct store_audit *audit, gw_error *err);
	int (*device_renew_cert)(struct store *st, const char *id, const char *old_fp,
				 const char *new_fp, const struct store_audit *audit, gw_error *err);
	int (*enrollment_recover)(struct store *st, const char *id, const char *device_id,
				  const char *client_pub_pem, int64_t now, const char *old_fp,
				  const char *new_fp, const struct store_audit *audit, gw_error *err);
	int (*device_set_channel)(struct store *st, const char *id, const char *channel,
				  const struct store_audit *audit, gw_error *err);
	int (*release_put)(struct store *st, const struct store_release *r,
			   const struct store_audit *audit, gw_error *err);
	int (*release_get)(struct store *st, const char *id, struct store_release *out,
			   gw_error *err);
	int (*release_list)(struct store *st, const char *model, store_release_cb cb, void *arg,
			    gw_error *err);
	int (*release_change)(struct store *st, const char *id, enum store_release_change what,
			      unsigned value, const struct store_audit *audit, gw_error *err);
	int (*release_boot_list)(struct store *st, const char *model, store_release_boot_cb cb,
				 void *arg, gw_error *err);
	int (*release_boot_put)(struct store *st, const char *id,
				const struct store_boot_file *files, size_t n, gw_error *err);
	int (*enrollment_put)(struct store *st, const struct store_enrollment *e,
			      const struct store_audit *audit, gw_error *err);
	int (*enrollment_get)(struct store *st, const char *id, struct store_enrollment *out,
			      gw_error *err);
	int (*enrollment_activate)(struct store *st, const char *id, const char *client_pub_pem,
				   int64_t now, const struct store_device *d,
				   const struct store_audit *audit, struct store_tpm_holder *holder,
				   gw_error *err);
	int (*enrollment_fail)(struct store *st, const char *id, const struct store_audit *audit,
			       gw_error *err);
	int (*enrollment_purge)(struct store *st, int64_t before, uint64_t *count, gw_error *err);
	int (*policy_add)(struct store *st, const char *model, uint32_t version,
			  const char *payload_sha256, const char *body, int64_t now,
			  const char *actor, const struct store_audit *audit, gw_error *err);
	int (*policy_counter)(struct store *st, const char *model,
			      struct store_policy_counter *out, gw_error *err);
	int (*policy_reset)(struct store *st, const char *model, uint32_t reset,
			    uint32_t from_version, uint32_t to_version, const char *next_sha256,
			    const char *body, int64_t now, const char *actor,
			    const struct store_audit *audit, gw_error *err);
	/* version 0: the policy in force (store_policy_current). */
	int (*policy_get)(struct store *st, const char *model, uint32_t version,
			  struct store_policy *out, gw_error *err);
	int (*policy_list)(struct store *st, const char *model, store_policy_cb cb, void *arg,
			   gw_error *err);
	int (*nonce_put)(struct store *st, const uint8_t *nonce, size_t len,
			 const char *device_id, const char *pcr_selection, int64_t expires_at,
			 gw_error *err);
	int (*nonce_take)(struct store *st, const uint8_t *nonce, size_t len,
			  const char *device_id, int64_t now, struct store_nonce *out,
			  enum store_nonce_refusal *why, gw_error *err);
	int (*nonce_purge)(struct store *st, int64_t before, uint64_t *count, gw_error *err);
	int (*result_add)(struct store *st, const struct store_result *r, int64_t *id,
			  const struct store_audit *audit, gw_error *err);
	int (*result_history)(struct store *st, const char *device_id, unsigned limit,
			      store_result_cb cb, void *arg, gw_error *err);
	int (*update_key_put)(struct store *st, const char *device_id, const uint8_t *pub,
			      size_t pub_len, const uint8_t *name, int64_t now,
			      const struct store_audit *audit, bool *existed, gw_error *err);
	int (*update_key_get)(struct store *st, const char *device_id,
			      struct store_update_key *out, gw_error *err);
	int (*update_key_reset)(struct store *st, const char *device_id,
				const struct store_audit *audit, gw_error *err);
	int (*counters_get)(struct store *st, const char *device_id, struct store_counter *out,
			    size_t max, size_t *n, gw_error *err);
	int (*counters_record)(struct store *st, const char *device_id,
			       const struct store_counter *c, size_t n, int64_t now, gw_error *err);
	int (*device_update_get)(struct store *st, const char *device_id,
				 struct store_device_update *out, gw_error *err);
	int (*device_update_put)(struct store *st, const char *device_id,
				 const struct store_device_update *u, gw_error *err);
	int (*device_update_list)(struct store *st, store_device_update_cb cb, void *arg,
				  gw_error *err);
	int (*counters_retire)(struct store *st, const char *device_id, const char *channel,
			       struct store_counter *out, const struct store_audit *audit,
			       gw_error *err);
	int (*audit_append)(struct store *st, const struct store_audit *a, uint64_t *seq,
			    gw_error *err);
	int (*audit_list)(struct store *st, uint64_t since, store_audit_cb cb, void *arg,
			  gw_error *err);
	/* One batch of at most STORE_PRUNE_BATCH rows (store_result_prune_batch). */
	int (*result_prune)(struct store *st, unsigned keep, int64_t failed_since,
			    uint64_t *deleted, gw_error *err);
	int (*size)(struct store *st, uint64_t *results, uint64_t *bytes, uint64_t *free_bytes,
		    gw_error *err);
	int (*vacuum)(struct store *st, gw_error *err);
	int (*backup)(struct store *st, const char *path, struct store_backup_info *info,
		      gw_error *err);
	int (*audit_anchor_get)(struct store *st, struct store_audit_anchor *out, gw_error *err);
	int (*audit_archive)(struct store *st, uint64_t upto, int64_t now, gw_error *err);
	int (*audit_verify)(struct store *st, uint64_t *count, uint64_t *first_bad_seq,
			    gw_error *err);
};

struct store {
	const struct store_ops *ops;
	store_tx_observer tx_observer; /* store_set_tx_observer() */
	void *tx_arg;
	uint64_t tx_start_ns;
};

/* A backend's write transaction begins / has ended (store_tx_observer). */
void store_tx_began(struct store *st);
void store_tx_ended(struct store *st);

/* The SQLite backend (store_sqlite.c). */
int store_sqlite_open(const char *path, bool sync_full, struct store **out,
		      gw_error *err) GW_WUR;

/* Argument checks shared by backends' callers: text present and within cap. */
int store_check_audit(const struct store_audit *a, gw_error *err) GW_WUR;
/* A device id: 1..STORE_ID_MAX bytes (store.c). */
int store_check_device_id(const char *id, gw_error *err) GW_WUR;
/* Text s present (GW_E_INVAL) and at most cap bytes (GW_E_TOOBIG); err names it
 * what (store.c). */
int store_check_text(const char *s, size_t cap, const char *what, gw_error *err) GW_WUR;
/* A model: 1..STORE_MODEL_MAX bytes (store.c). */
int store_check_model(const char *model, gw_error *err) GW_WUR;

#endif
