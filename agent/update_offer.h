/* SPDX-License-Identifier: Apache-2.0 */
/* The releases the verifier offers this device, as its latest verified attestation
 * result listed them, with the owner's answers (accept, defer): kept in
 * STATE_DIR/update/offers.json, written atomically. The list itself is only ever
 * replaced from a verified result; the answers and the time each offer was first
 * seen survive a replacement that still offers the same release (same id and
 * bundle digest). */
#ifndef GW_AGENT_UPDATE_OFFER_H
#define GW_AGENT_UPDATE_OFFER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "agent.h"
#include "consent.h"
#include "gw_error.h"
#include "manifest.h"

#define OFFER_MAX 16		 /* releases offered at once */
#define OFFER_ID_MAX 64		 /* release ids: 1-64 of A-Z a-z 0-9 . _ - */
#define OFFER_NOTES_MAX 4096	 /* release notes, bytes */
#define OFFERS_FILE_MAX (128u * 1024)

struct update_offer {
	char id[OFFER_ID_MAX + 1];
	char version[MANIFEST_VERSION_MAX + 1];
	uint64_t security_version;
	uint64_t size;			/* of the bundle, bytes */
	uint8_t sha256[32];		/* of the bundle file */
	bool reboot_required;
	bool critical;
	int64_t deadline;		/* critical deadline; 0: none */
	char *notes;			/* NULL: none */
	/* the device's own record */
	int64_t offered_at;		/* first seen in a verified result */
	bool accepted;
	int64_t defer_until;		/* 0: not deferred */
};

struct update_offers {
	struct update_offer offer[OFFER_MAX];
	size_t n;
};

void update_offers_init(struct update_offers *s);
void update_offers_fini(struct update_offers *s);

/* offers.json text: {"format":1,"offers":[...]}; strict (every required key, no
 * other key, ids unique; GW_E_PARSE names the offer and field, GW_E_TOOBIG,
 * GW_E_TRAILING). */
int update_offers_parse(const uint8_t *buf, size_t len, struct update_offers *out,
			gw_error *err) GW_WUR;
/* The text update_offers_parse reads; *out NUL-terminated, the caller's. GW_E_NOMEM. */
int update_offers_format(const struct update_offers *s, char **out, size_t *len) GW_WUR;

/* STATE_DIR/update/offers.json; a missing file is no offers. */
int update_offers_load(struct agent_ctx *ctx, struct update_offers *out, gw_error *err) GW_WUR;
int update_offers_save(struct agent_ctx *ctx, const struct update_offers *s,
		       gw_error *err) GW_WUR;

/* Replace the offers of s with those of a verified result's release list (a JSON
 * array of {id, version, security_version, size, sha256, reboot_required,
 * critical[, deadline: seconds since the epoch, or null][, notes]}), keeping
 * offered_at and the answers of a release still offered with the same digest; new
 * ones are offered at now; of a longer list the last (newest) OFFER_MAX are kept.
 * On error s is unchanged. GW_E_PARSE (naming the entry). */
int update_offers_merge(struct update_offers *s, json_object *releases, int64_t now,
			gw_error *err) GW_WUR;

/* The offer with id, or NULL. */
struct update_offer *update_offers_find(struct update_offers *s, const char *id);
/* o as the install decision sees it; current_sv is the device's committed security
 * version. */
struct consent_offer update_offer_consent(const struct update_offer *o, uint64_t current_sv);

/* The device's committed security version: the highest of its good slot groups'
 * manifests (update state), 0 when none has one. update_state_load's codes. */
int update_committed_sv(struct agent_ctx *ctx, uint64_t *sv, gw_error *err) GW_WUR;

/* ---- agent/cmd_update_offer.c: `gwagent update pending|defer|accept` ---- */
int update_pending_main(struct agent_ctx *ctx, int argc, char **argv);
int update_defer_main(struct agent_ctx *ctx, int argc, char **argv);
int update_accept_main(struct agent_ctx *ctx, int argc, char **argv);

#endif
