/* SPDX-License-Identifier: Apache-2.0 */
/* What the store keeps of each device's updates: its TPM update key, its certified
 * anti-rollback counters and what its authentic agent log says (store.h). */
#ifndef GW_STORE_UPDATES_H
#define GW_STORE_UPDATES_H

#include "store_handle.h"
#include "store_release.h"

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

#endif
