// SPDX-License-Identifier: Apache-2.0
// The attest round's view of a device's updates: claims, the running release for
// eligibility, the stored update state and the outcome audit (service_updates.h).
#include "service_updates.h"

#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "util.h"

/* The stored release whose manifest is hex (its id is the digest's first 16 hex
 * digits): 0 and *r filled, GW_E_NOTFOUND, or a store error. */
static int release_by_manifest(struct store *st, const char hex[65], struct store_release *r,
			       gw_error *err)
{
	char id[STORE_RELEASE_ID_LEN + 1];
	int rc;

	memcpy(id, hex, STORE_RELEASE_ID_LEN);
	id[STORE_RELEASE_ID_LEN] = '\0';
	memset(r, 0, sizeof(*r));
	rc = store_release_get(st, id, r, err);
	if (rc)
		return rc;
	if (strcmp(r->manifest_sha256, hex)) {
		store_release_fini(r);
		memset(r, 0, sizeof(*r));
		return GW_E_NOTFOUND;
	}
	return 0;
}

/* An event of the log as stored, with the stored release it names (if any). */
static void to_store(struct store *st, const struct update_event *ev,
		     struct store_update_event *out, struct store_release *keep, bool *kept)
{
	struct store_release r;

	memset(out, 0, sizeof(*out));
	out->present = true;
	snprintf(out->kind, sizeof(out->kind), "%s", update_event_kind_name(ev->kind));
	gw_hex_encode(ev->manifest_digest, sizeof(ev->manifest_digest), out->manifest_sha256);
	snprintf(out->version, sizeof(out->version), "%s", ev->version);
	if (release_by_manifest(st, out->manifest_sha256, &r, NULL))
		return;
	memcpy(out->release_id, r.id, sizeof(out->release_id));
	out->has_security_version = true;
	out->security_version = r.security_version;
	if (keep && !*kept) {
		*keep = r;
		*kept = true;
	} else {
		store_release_fini(&r);
	}
}

/* Not looked at before: another boot than the stored position's, or past it. */
static bool outcome_is_new(const struct store_device_update *prev, bool had,
			   uint32_t reset_count, uint64_t position)
{
	return !had || prev->reset_count != reset_count || position > prev->position;
}

/* The state this round stores, but for the last outcome's time, which
 * service_updates_record sets against the row as it stands then. */
static void build_state(struct store *st, struct service_updates *u)
{
	const struct device_updates *l = &u->log;
	struct store_device_update *s = &u->state;

	memset(s, 0, sizeof(*s));
	if (l->has_running)
		to_store(st, &l->running, &s->running, &u->running, &u->has_running_release);
	if (l->trial_pending)
		to_store(st, &l->trial, &s->trial, NULL, NULL);
	if (l->n_outcomes)
		to_store(st, &l->outcome[l->n_outcomes - 1].ev, &s->outcome, NULL, NULL);
	s->reset_count = u->reset_count;
	s->position = l->pcr14_records;
	s->ignored = l->ignored;
}

/* The last outcome as stored: this log's, first seen now unless the row already
 * had that record; the row's when the log has none (an earlier boot's). */
static void last_outcome(const struct service_updates *u, const struct store_device_update *prev,
			 bool had, int64_t now, struct store_update_event *out)
{
	const struct device_updates *l = &u->log;

	if (!l->n_outcomes) {
		if (had)
			*out = prev->outcome;
		return;
	}
	out->at = now;
	if (!outcome_is_new(prev, had, u->reset_count, l->outcome[l->n_outcomes - 1].position) &&
	    prev->outcome.present && !strcmp(prev->outcome.kind, out->kind) &&
	    !strcmp(prev->outcome.manifest_sha256, out->manifest_sha256))
		out->at = prev->outcome.at;
}

static void claims(const struct service_updates *u, const struct store_device *dev,
		   struct gwpol_report *rep)
{
	const struct device_updates *l = &u->log;

	if (l->ignored)
		gwpol_report_add(rep, GWPOL_CLAIM_CONFIGURATION, GWPOL_TIER_CONTRAINDICATED,
				 "update-records",
				 "%zu update record(s) in PCR %d not believed: their digests are "
				 "not the hash of their text (%s)", l->ignored, GWPOL_TRUST_PCR,
				 l->first_ignored);
	/* Only the boot service writes a running record, once a boot: another one is
	 * root's, and says root has been at PCR 14. */
	if (l->later_running)
		gwpol_report_add(rep, GWPOL_CLAIM_CONFIGURATION, GWPOL_TIER_CONTRAINDICATED,
				 "update-records",
				 "%zu further running record(s) in PCR %d after the boot's first: "
				 "the boot service writes one a boot", l->later_running,
				 GWPOL_TRUST_PCR);
	if (u->has_running_release && u->running.security_version < dev->security_version)
		gwpol_report_add(rep, GWPOL_CLAIM_CONFIGURATION, GWPOL_TIER_CONTRAINDICATED,
				 "running-release",
				 "the running release %s (version %s, security version %llu) is "
				 "below the certified anti-rollback counter %llu", u->running.id,
				 u->running.version,
				 (unsigned long long)u->running.security_version,
				 (unsigned long long)dev->security_version);
}

void service_updates_check(struct service_worker *w, const struct store_device *dev,
			   const struct cel_log *cel, bool authentic, uint32_t reset_count,
			   struct gwpol_report *rep, struct service_updates *out)
{
	memset(out, 0, sizeof(*out));
	if (!authentic || !cel)
		return;
	out->read = true;
	out->reset_count = reset_count;
	device_updates_scan(cel, &out->log);
	build_state(w->st, out);
	if (out->has_running_release) {
		out->state.has_judged_counter = true;
		out->state.judged_counter = dev->security_version;
	}
	claims(out, dev, rep);
}

void service_updates_device(const struct service_updates *u, struct release_device *d)
{
	if (u->read)
		release_device_running(d, u->has_running_release ? &u->running : NULL);
}

static int audit_outcome(struct service_worker *w, const char *device_id,
			 const struct device_update_outcome *o, int64_t now, gw_error *err)
{
	struct store_update_event e;
	char msg[256];
	json_object *d = json_object_new_object();
	struct store_audit au = {
		.ts = now, .actor = "verifier", .action = "update.outcome",
		.device_id = device_id, .outcome = "ok",
	};
	int rc;

	if (!d)
		return GW_E_NOMEM;
	to_store(w->st, &o->ev, &e, NULL, NULL);
	snprintf(msg, sizeof(msg), "release %s version %s: %s",
		 e.release_id[0] ? e.release_id : "(not stored)", e.version, e.kind);
	json_object_object_add(d, "message", json_object_new_string(msg));
	json_object_object_add(d, "kind", json_object_new_string(e.kind));
	json_object_object_add(d, "release",
			       e.release_id[0] ? json_object_new_string(e.release_id) : NULL);
	json_object_object_add(d, "version", json_object_new_string(e.version));
	json_object_object_add(d, "manifest_sha256", json_object_new_string(e.manifest_sha256));
	json_object_object_add(d, "pcr14_record", json_object_new_uint64(o->position));
	/* What the device's measured log says, not what the verifier saw happen. */
	json_object_object_add(d, "source", json_object_new_string("device-log"));
	au.detail = json_object_to_json_string_ext(d, JSON_C_TO_STRING_PLAIN);
	rc = store_audit_append(w->st, &au, NULL, err);
	json_object_put(d);
	return rc;
}

int service_updates_record(struct service_worker *w, const char *device_id,
			   const struct service_updates *u, int64_t now, gw_error *err)
{
	struct store_device_update s = u->state, prev;
	size_t audited = 0;
	bool had;
	int rc = 0;

	if (!u->read)
		return 0;
	/* Read again inside the round's transaction: a concurrent round of the same
	 * device may have audited these records since the check read the row. */
	rc = store_device_update_get(w->st, device_id, &prev, err);
	if (rc && rc != GW_E_NOTFOUND)
		return rc;
	had = rc == 0;
	rc = 0;
	for (size_t i = 0; i < u->log.n_outcomes && !rc; i++) {
		const struct device_update_outcome *o = &u->log.outcome[i];

		if (!outcome_is_new(&prev, had, u->reset_count, o->position))
			continue;
		if (audited++ == SERVICE_UPDATES_MAX_AUDITS) {
			/* The rest next round: the position stops at the last audited. */
			s.position = u->log.outcome[i - 1].position;
			break;
		}
		rc = audit_outcome(w, device_id, o, now, err);
	}
	last_outcome(u, &prev, had, now, &s.outcome);
	s.updated = now;
	if (!rc)
		rc = store_device_update_put(w->st, device_id, &s, err);
	return rc;
}

void service_updates_fini(struct service_updates *u)
{
	if (u && u->has_running_release)
		store_release_fini(&u->running);
}

int service_updates_running(struct store *st, const char *device_id, struct release_device *d,
			    struct store_release *r, gw_error *err)
{
	struct store_device_update s;
	int rc;

	memset(r, 0, sizeof(*r));
	release_device_running(d, NULL);
	rc = store_device_update_get(st, device_id, &s, err);
	if (rc == GW_E_NOTFOUND || (!rc && !s.running.present))
		return 0;
	if (rc)
		return rc;
	rc = release_by_manifest(st, s.running.manifest_sha256, r, err);
	if (rc == GW_E_NOTFOUND)
		return 0;
	if (!rc)
		release_device_running(d, r);
	return rc;
}
