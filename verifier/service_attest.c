// SPDX-License-Identifier: Apache-2.0
// Attestation: challenges, appraisal against the enrolled AK and the model's
// signed policy (verdict.c), the TPM clock's monotonicity, and signed EAR results.
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/rand.h>

#include "api.h"
#include "appraise.h"
#include "evidence.h"
#include "gwpol.h"
#include "jwt.h"
#include "release_authorize.h"
#include "release_offer.h"
#include "service.h"
#include "service_boot.h"
#include "service_updates.h"
#include "tpmdata.h"
#include "util.h"
#include "verdict.h"
#include "vlog.h"

#define DEFAULT_SELECTION "sha256:0-7,13,14"

/* The model's current policy as verified with the configured keys, once per
 * (model, version, envelope bytes) and worker. id gets "policy:MODEL/VERSION", or
 * "none" when the model has no policy (GW_E_NOTFOUND). Any other error means the
 * stored policy must not be used: why says so. *pol belongs to the worker's cache. */
int service_current_policy(struct service_worker *w, const char *model, const struct gwpol **pol,
			   char *id, size_t idlen, char *why, size_t whylen)
{
	const struct service *svc = w->svc;
	struct store_policy sp;
	const char *msg = NULL;
	gw_error err = { { 0 } };
	int rc;

	*pol = NULL;
	snprintf(id, idlen, "none");
	memset(&sp, 0, sizeof(sp));
	rc = store_policy_current(w->st, model, &sp, &err);
	if (rc == GW_E_NOTFOUND)
		return rc;
	if (rc) {
		snprintf(why, whylen, "the stored policy of model '%s' cannot be read: %s", model,
			 gw_error_msg(&err, rc));
		return rc;
	}
	snprintf(id, idlen, "policy:%s/%u", sp.model, (unsigned)sp.version);
	rc = verdict_cache_get(w->policies, sp.model, sp.version, sp.body, strlen(sp.body),
			       svc->policy_keys, svc->n_policy_keys, svc->cfg.policy_threshold, pol,
			       &msg);
	if (rc)
		snprintf(why, whylen, "stored policy %s version %u fails verification: %s",
			 sp.model, (unsigned)sp.version, msg ? msg : gw_strerror(rc));
	store_policy_fini(&sp);
	return rc;
}

/* What the challenge offers for an incremental upload: the number of records of
 * the device's stored log and the SHA-256 of its bytes; 0 when there is none. */
static size_t stored_cel_records(const struct store_device *dev, char hex[65])
{
	struct cel_log *log = NULL;
	uint8_t d[32];
	size_t n = 0;

	if (!dev->cel_log || dev->cel_log_len == 0)
		return 0;
	/* It parsed when it was stored; a row that no longer does offers nothing. */
	if (cel_parse(dev->cel_log, dev->cel_log_len, &log, NULL) == 0 &&
	    gw_hash(TPM2_ALG_SHA256, dev->cel_log, dev->cel_log_len, d) == 0) {
		n = log->n;
		gw_hex_encode(d, sizeof(d), hex);
	}
	cel_free(log);
	return n;
}

void service_attest_challenge(struct httpd_req *req)
{
	struct service_worker *w = req->app;
	struct store_device dev;
	const struct gwpol *pol = NULL;
	uint8_t nonce[32];
	char hex[65], sel[GW_PCRSEL_TEXT_MAX], cel_hex[65], pol_id[192], why[1200];
	size_t cel_n;
	json_object *o;
	gw_error err = { { 0 } };
	int rc;

	if (api_parse_empty(req->body, req->body_len, &err)) {
		httpd_reply_error(req, 400, "bad_request", "%s", gw_error_msg(&err, GW_E_PARSE));
		return;
	}
	if (service_device_for_request(req, &dev))
		return;
	snprintf(sel, sizeof(sel), "%s", DEFAULT_SELECTION);
	/* A policy that fails verification asks for the default: the appraisal will
	 * say it cannot be used. */
	if (service_current_policy(w, dev.model, &pol, pol_id, sizeof(pol_id), why, sizeof(why)) == 0) {
		TPML_PCR_SELECTION ps;

		gwpol_selection(pol, &ps);
		if (gw_pcrsel_format(&ps, sel, sizeof(sel))) {
			/* Cannot happen (every selection fits): the quote will be found
			 * short of the policy's PCRs, and the log says why. */
			vlog(VLOG_WARNING,
			     "challenge: %s: the PCR selection does not fit; asking for %s", pol_id,
			     DEFAULT_SELECTION);
			snprintf(sel, sizeof(sel), "%s", DEFAULT_SELECTION);
		}
	}
	if (RAND_bytes(nonce, sizeof(nonce)) != 1) {
		httpd_reply_error(req, 500, "internal_error", "no randomness");
		goto out;
	}
	rc = store_nonce_put(w->st, nonce, sizeof(nonce), dev.id, sel,
			     service_now() + w->svc->cfg.nonce_ttl, &err);
	if (rc) {
		service_log("challenge: store: %s", gw_error_msg(&err, rc));
		httpd_reply_error(req, 500, "internal_error", "store failure");
		goto out;
	}
	if ((w->requests++ & 255) == 0 &&
	    store_nonce_purge(w->st, service_now() - 60, NULL, &err))
		service_log("challenge: purge: %s", gw_error_msg(&err, GW_E_IO));
	gw_hex_encode(nonce, sizeof(nonce), hex);
	o = json_object_new_object();
	json_object_object_add(o, "nonce", json_object_new_string(hex));
	json_object_object_add(o, "pcr_selection", json_object_new_string(sel));
	json_object_object_add(o, "expires_in", json_object_new_int((int)w->svc->cfg.nonce_ttl));
	cel_n = stored_cel_records(&dev, cel_hex);
	json_object_object_add(o, "cel_records", json_object_new_int64((int64_t)cel_n));
	if (cel_n) {
		json_object_object_add(o, "cel_sha256", json_object_new_string(cel_hex));
		json_object_object_add(o, "cel_reset_count",
				       json_object_new_int64(dev.cel_reset_count));
	}
	httpd_reply_json(req, 200, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
out:
	store_device_fini(&dev);
}

static char *make_ear(struct service *svc, const char *device_id, const struct gwpol_report *rep,
		      json_object *failures, json_object *releases, const char *policy_id,
		      const char *end_of_support, json_object *authorization,
		      const char *nonce_hex, int64_t now, int64_t exp)
{
	json_object *c = json_object_new_object(), *vid = json_object_new_object();
	json_object *sub = json_object_new_object(), *mod = json_object_new_object();
	json_object *tv = verdict_vector_json(rep);
	char *tok = NULL;

	json_object_object_add(c, "eat_profile",
			       json_object_new_string("tag:github.com,2023:veraison/ear"));
	json_object_object_add(c, "iat", json_object_new_int64(now));
	json_object_object_add(c, "exp", json_object_new_int64(exp));
	json_object_object_add(c, "sub", json_object_new_string(device_id));
	/* The round's challenge nonce (the evidence's "nonce", hex): binds the result
	 * to the round that asked for it, so an earlier round's EAR is refused. */
	json_object_object_add(c, "eat_nonce", json_object_new_string(nonce_hex));
	json_object_object_add(vid, "developer", json_object_new_string("Gatewarden"));
	json_object_object_add(vid, "build", json_object_new_string("gwverifier " SERVICE_VERSION));
	json_object_object_add(c, "ear.verifier-id", vid);
	json_object_object_add(c, "gatewarden.verifier", json_object_new_string(svc->cfg.id));
	json_object_object_add(mod, "ear.status",
			       json_object_new_string(gwpol_report_status(rep)));
	json_object_object_add(mod, "ear.trustworthiness-vector", tv);
	json_object_object_add(mod, "ear.appraisal-policy-id", json_object_new_string(policy_id));
	json_object_object_add(mod, "gatewarden.failed-claims", json_object_get(failures));
	/* Findings past GWPOL_MAX_FINDINGS still count in the tiers; say how many
	 * the list leaves out. */
	if (rep->dropped)
		json_object_object_add(mod, "gatewarden.failed-claims-omitted",
				       json_object_new_int64((int64_t)rep->dropped));
	json_object_object_add(mod, "gatewarden.releases", json_object_get(releases));
	/* The model's last supported day, so the gateway can say so ahead of it. */
	if (end_of_support)
		json_object_object_add(mod, "gatewarden.end-of-support",
				       json_object_new_string(end_of_support));
	if (authorization)
		json_object_object_add(mod, "gatewarden.authorization",
				       json_object_get(authorization));
	json_object_object_add(sub, "gatewarden", mod);
	json_object_object_add(c, "submods", sub);
	if (jwt_sign_es256(svc->gate_key, svc->gate_kid, c, &tok))
		tok = NULL;
	json_object_put(c);
	return tok;
}

struct attest_ctx {
	struct store_device dev;
	struct evidence *ev;
	struct eventlog *fw;
	struct cel_log *cel;
	/* The whole CEL log appraised: the evidence's, or the stored prefix joined
	 * with the evidence's tail (then owned in joined). */
	const uint8_t *cel_bytes;
	size_t cel_bytes_len;
	uint8_t *joined;
	EVP_PKEY *ak;
	struct appraise_result *res;
	struct gwpol_report *rep;
	json_object *failures;
	json_object *releases; /* offered: the eligible releases (release_offer.h) */
	char *ear;
	struct release_authz authz; /* an update_request's (release_authorize.h) */
	struct service_counters ctr; /* the certified counters (service_counters.c) */
	struct service_updates upd;  /* the update records (service_updates.c) */
	struct service_boot boot;    /* the boot files check (service_boot.c) */
};

static void attest_ctx_fini(struct attest_ctx *a)
{
	store_device_fini(&a->dev);
	evidence_free(a->ev);
	eventlog_free(a->fw);
	cel_free(a->cel);
	free(a->joined);
	EVP_PKEY_free(a->ak);
	free(a->res);
	free(a->rep);
	json_object_put(a->failures);
	json_object_put(a->releases);
	free(a->ear);
	service_updates_fini(&a->upd);
	service_boot_fini(&a->boot);
	release_authz_fini(&a->authz);
}

/* The log to appraise. For an incremental upload (cel_offset N > 0) the device's
 * stored log must be of this boot (the quote's resetCount) and hold exactly N
 * records; the tail is appended to it and the whole parsed, so that the replay
 * against the new quote authenticates prefix and tail together. The resetCount is
 * read before the signature is checked: a forged one only fails the appraisal. */
static int cel_assemble(struct attest_ctx *a, gw_error *err)
{
	const struct evidence *ev = a->ev;
	struct cel_log *prefix = NULL;
	TPMS_ATTEST q;
	size_t plen = a->dev.cel_log_len;
	bool known;
	int rc;

	a->cel_bytes = ev->cel;
	a->cel_bytes_len = ev->cel_len;
	if (!ev->cel)
		return 0;
	if (ev->cel_offset == 0)
		return cel_parse(ev->cel, ev->cel_len, &a->cel, err);
	known = a->dev.cel_log &&
		tpmdata_attest_unmarshal(ev->attest, ev->attest_len, &q, NULL) == 0 &&
		q.clockInfo.resetCount == a->dev.cel_reset_count &&
		cel_parse(a->dev.cel_log, plen, &prefix, NULL) == 0 &&
		prefix->n == ev->cel_offset;
	cel_free(prefix);
	if (!known)
		return gw_fail(err, GW_E_PARSE, "unknown CEL prefix: send the whole log");
	/* plen <= CEL_MAX_LOG: the prefix parsed. */
	if (ev->cel_len > CEL_MAX_LOG - plen)
		return gw_fail(err, GW_E_TOOBIG, "CEL log: prefix and tail larger than %u bytes",
			       CEL_MAX_LOG);
	a->joined = malloc(plen + ev->cel_len);
	if (!a->joined)
		return GW_E_NOMEM;
	memcpy(a->joined, a->dev.cel_log, plen);
	if (ev->cel_len)
		memcpy(a->joined + plen, ev->cel, ev->cel_len);
	a->cel_bytes = a->joined;
	a->cel_bytes_len = plen + ev->cel_len;
	rc = cel_parse(a->joined, a->cel_bytes_len, &a->cel, err);
	if (rc)
		gw_error_prefix(err, "CEL log (stored %u records and the evidence's): ",
				(unsigned)ev->cel_offset);
	return rc;
}

/* The log may stand as the device's prefix for the next round only when the
 * quote is authentic and fresh and the log replayed to it. */
static bool cel_authentic(const struct attest_ctx *a)
{
	static const enum appraise_check need[] = {
		APPRAISE_SIGNATURE, APPRAISE_MAGIC, APPRAISE_TYPE, APPRAISE_NONCE,
		APPRAISE_PCRSEL, APPRAISE_PCRDIGEST, APPRAISE_CEL_REPLAY,
	};

	if (!a->cel || !a->res->quote.parsed || a->rep->tier[GWPOL_CLAIM_IDENTITY])
		return false;
	for (size_t i = 0; i < GW_ARRAY_SIZE(need); i++)
		if (a->res->status[need[i]] != APPRAISE_PASS)
			return false;
	return true;
}

/* Add the clock claim when the quote's clock is older than the recorded one
 * (resetCount lower, or equal and clock lower); true when it was. */
static bool clock_claim(struct gwpol_report *rep, uint32_t reset_count, uint64_t clock,
			const TPMS_CLOCK_INFO *ci)
{
	bool back = ci->resetCount < reset_count ||
		    (ci->resetCount == reset_count && ci->clock < clock);

	if (back)
		gwpol_report_add(rep, GWPOL_CLAIM_IDENTITY, GWPOL_TIER_CONTRAINDICATED, "clock",
				 "TPM clock went backwards (resetCount %u -> %u, clock %llu -> "
				 "%llu): replayed evidence or a rolled-back TPM",
				 reset_count, ci->resetCount, (unsigned long long)clock,
				 (unsigned long long)ci->clock);
	return back;
}

/* The releases this appraisal makes the device eligible for: none unless it is
 * affirming (or warned of nothing but its end of support), judged as attested
 * now. A store failure offers none (logged). NULL only when out of memory. */
static json_object *offered_releases(struct service_worker *w, const struct attest_ctx *a,
				     const struct gwpol *pol, int64_t now)
{
	const struct vconfig *cfg = &w->svc->cfg;
	const char *status = gwpol_report_status(a->rep);
	bool eol = verdict_warning_is_eol(a->rep);
	struct release_device d;
	json_object *arr = NULL;
	gw_error err = { { 0 } };
	int rc;

	/* Past its end of support: an end-of-life transition only (release_rules.c). */
	if (strcmp(status, "affirming") && !eol)
		return json_object_new_array();
	release_device_from_store(&a->dev, cfg->default_channel, &d);
	service_updates_device(&a->upd, &d);
	d.warning_is_eol = eol;
	d.attested = true;
	d.last_attest_at = now;
	d.last_status = status;
	rc = release_offer_json(w->st, &d, pol ? &pol->update : NULL, now,
				cfg->release_max_attest_age, &arr, &err);
	if (rc) {
		service_log("attest: releases of %s: %s", a->dev.id, gw_error_msg(&err, rc));
		return json_object_new_array();
	}
	return arr;
}

/* The failed claims and the signed EAR of the report as it stands (again, after
 * a claim was added). */
static int sign_result(struct service_worker *w, struct attest_ctx *a, const struct gwpol *pol,
		       const char *policy_id, int64_t now, int64_t exp)
{
	char nonce_hex[2 * sizeof(a->ev->nonce) + 1];

	gw_hex_encode(a->ev->nonce, a->ev->nonce_len, nonce_hex);
	json_object_put(a->failures);
	json_object_put(a->releases);
	free(a->ear);
	a->ear = NULL;
	a->releases = offered_releases(w, a, pol, now);
	a->failures = verdict_failures_json(a->rep);
	release_authz_fini(&a->authz);
	release_authorize(w, &a->dev, &a->upd, a->ev, gwpol_report_status(a->rep), a->releases,
			  pol, now, &a->authz);
	if (a->failures && a->releases)
		a->ear = make_ear(w->svc, a->dev.id, a->rep, a->failures, a->releases, policy_id,
				  pol && pol->update.has_end_of_support
					  ? pol->update.end_of_support
					  : NULL,
				  a->authz.claim, nonce_hex, now, exp);
	return a->ear ? 0 : GW_E_CRYPTO;
}

/* Store the result, its audit record and the device's last attestation in one
 * group. move_clock: the quote is genuine, fresh and not older than the clock read
 * with the device, so its clock is recorded; the store refuses with GW_E_EXISTS
 * when another appraisal recorded a later one meanwhile. Otherwise the recorded
 * clock stays as it is. Nothing is stored on failure. */
static int record_result(struct service_worker *w, struct attest_ctx *a, const char *policy_id,
			 int64_t now, bool move_clock, gw_error *err)
{
	const char *status = gwpol_report_status(a->rep);
	const char *claims = json_object_to_json_string_ext(a->failures, JSON_C_TO_STRING_PLAIN);
	const TPMS_CLOCK_INFO *ci = &a->res->quote.attest.clockInfo;
	char detail[1536];
	struct store_audit au = {
		.ts = now, .actor = "verifier", .action = "attest", .device_id = a->dev.id,
		.outcome = status, .detail = detail,
	};
	struct store_result r = {
		.device_id = a->dev.id, .at = now, .status = status, .claims = claims,
		.ear = a->ear,
	};
	struct store_attestation att = {
		.at = now,
		.status = status,
		/* With keep_clock the store takes none of the TPM's state. */
		.reset_count = ci->resetCount,
		.restart_count = ci->restartCount,
		.clock = ci->clock,
		.keep_clock = !move_clock,
		.cel_records_appraised = a->cel ? a->cel->n : 0,
		.has_cel = move_clock && cel_authentic(a),
		.cel_log = a->cel_bytes,
		.cel_log_len = a->cel_bytes_len,
		.cel_reset_count = ci->resetCount,
	};
	int rc;

	snprintf(detail, sizeof(detail),
		 "{\"policy\":\"%s\",\"failed_claims\":%zu,\"cel_offset\":%u,"
		 "\"releases_offered\":%zu,\"counters\":%s}", policy_id,
		 a->rep->n + a->rep->dropped, (unsigned)a->ev->cel_offset,
		 a->releases ? json_object_array_length(a->releases) : (size_t)0, a->ctr.seen);
	rc = store_begin(w->st, err);
	if (rc)
		return rc;
	rc = store_result_add(w->st, &r, NULL, &au, err);
	if (!rc)
		rc = store_device_update_attestation(w->st, a->dev.id, &att, NULL, err);
	if (!rc && att.has_cel)
		rc = service_updates_record(w, a->dev.id, &a->upd, now, err);
	if (!rc)
		rc = release_authz_audit(w->st, a->dev.id, &a->authz, now, err);
	/* The counters move with the clock, and never in a contraindicated round. A
	 * refusal here means another round recorded other counters since ours were
	 * compared: service_attest() compares again. */
	if (!rc && move_clock && a->ctr.ok && strcmp(status, "contraindicated")) {
		rc = store_counters_record(w->st, a->dev.id, a->ctr.c, a->ctr.n, now, err);
		a->ctr.conflict = rc == GW_E_STATE;
	}
	if (!rc)
		rc = store_commit(w->st, err);
	if (rc)
		store_rollback(w->st);
	return rc;
}

/* The evidence, its nonce taken, the device's AK and the challenge's PCR
 * selection. 0, or -1 after answering the request. */
static int attest_intake(struct httpd_req *req, struct attest_ctx *a, TPM2B_PUBLIC *akpub,
			 TPML_PCR_SELECTION *sel, int64_t now)
{
	struct service_worker *w = req->app;
	struct store_nonce nonce;
	enum store_nonce_refusal why_nonce = 0;
	gw_error err = { { 0 } };
	int rc;

	if (service_device_for_request(req, &a->dev))
		return -1;
	rc = evidence_parse(req->body, req->body_len, &a->ev, &err);
	if (!rc && a->ev->fwlog)
		rc = eventlog_parse(a->ev->fwlog, a->ev->fwlog_len, &a->fw, &err);
	if (!rc)
		rc = cel_assemble(a, &err);
	if (rc) {
		service_audit(w, a->dev.id, "attest", "refused", "bad evidence: %s",
			      gw_error_msg(&err, rc));
		httpd_reply_error(req, 400, "bad_evidence", "%s", gw_error_msg(&err, rc));
		return -1;
	}
	rc = store_nonce_take(w->st, a->ev->nonce, a->ev->nonce_len, a->dev.id, now, &nonce,
			      &why_nonce, &err);
	if (rc) {
		const char *reason = rc == GW_E_NOTFOUND	   ? "unknown, or issued to another device"
				     : why_nonce == STORE_NONCE_EXPIRED ? "expired"
									 : "already used (replayed evidence)";

		service_audit(w, a->dev.id, "attest", "refused", "nonce %s", reason);
		httpd_reply_error(req, 409, "nonce_rejected", "the evidence's nonce is %s", reason);
		return -1;
	}
	if (tpmdata_public_unmarshal(a->dev.ak_pub, a->dev.ak_pub_len, akpub, &err) ||
	    tpmdata_public_to_pkey(&akpub->publicArea, &a->ak, &err) ||
	    gw_pcrsel_parse(nonce.pcr_selection, sel, &err)) {
		service_log("attest: enrolled data of %s: %s", a->dev.id,
			    gw_error_msg(&err, GW_E_KEY));
		httpd_reply_error(req, 500, "internal_error", "enrolled data unusable");
		return -1;
	}
	a->res = calloc(1, sizeof(*a->res));
	a->rep = malloc(sizeof(*a->rep)); /* verdict_appraise() initialises it */
	if (!a->res || !a->rep) {
		httpd_reply_error(req, 500, "internal_error", "out of memory");
		return -1;
	}
	return 0;
}

/* The appraisal of the quote and logs against pol (prc: how the policy was found;
 * why: what is wrong with it). 0, or -1 after answering the request. */
static int attest_appraise(struct httpd_req *req, struct attest_ctx *a,
			   const TPM2B_PUBLIC *akpub, const TPML_PCR_SELECTION *sel,
			   const struct gwpol *pol, int prc, const char *why, int64_t now)
{
	struct service_worker *w = req->app;
	gw_error err = { { 0 } };
	uint8_t q[64];
	size_t qlen = 0;
	int rc;

	/* The quote is over the nonce, or SHA-256(nonce || nonceTPM) for a round that
	 * asks for an update authorization (doc/evidence.md). The nonce was found by
	 * the evidence's claim of it; the quote must carry exactly that value in its
	 * signed qualifying data. */
	if (evidence_qualifying_data(a->ev, q, &qlen)) {
		httpd_reply_error(req, 500, "internal_error", "no SHA-256");
		return -1;
	}
	struct appraise_input in = {
		.ak = a->ak,
		/* Enrolled AKs are ECDSA with a fixed hash (tpmdata_public_is_ak). */
		.sig_hash = akpub->publicArea.parameters.eccDetail.scheme.details.ecdsa.hashAlg,
		.attest = a->ev->attest,
		.attest_len = a->ev->attest_len,
		.sig = &a->ev->sig,
		.nonce = q,
		.nonce_len = qlen,
		.expect_sel = sel,
		.pcrs = &a->ev->pcrs,
		.fwlog = a->fw,
		.cel = a->cel,
		.require_coverage = true,
	};

	rc = verdict_appraise_boot(&in, pol, service_boot_allowed(&a->boot),
				   prc == GW_E_NOTFOUND ? a->dev.model : NULL, now, a->res, a->rep,
				   &err);
	/* Not a verdict on the evidence: nothing is signed, the nonce (already used)
	 * is accounted for in the audit log. */
	if (rc == GW_E_INVAL || rc == GW_E_NOMEM) {
		service_log("attest: %s", gw_error_msg(&err, rc));
		service_audit(w, a->dev.id, "attest", "refused", "internal error: %s",
			      gw_error_msg(&err, rc));
		httpd_reply_error(req, 500, "internal_error", "appraisal failed");
		return -1;
	}
	if (prc && prc != GW_E_NOTFOUND)
		gwpol_report_add(a->rep, GWPOL_CLAIM_CONFIGURATION, GWPOL_TIER_CONTRAINDICATED,
				 "policy", "%s", why);
	return 0;
}

/* The TPM's clock never runs backwards for one device: an older resetCount, or an
 * older clock within the same reset, is replayed or rolled-back evidence. Only a
 * quote that is genuine and fresh (signature, magic, type, nonce) says anything
 * about the clock, whatever its policy verdict. This compares with the clock as
 * read with the device; the store compares again when it records the quote's, in
 * the same transaction (attest_record). True when the quote is genuine and fresh;
 * *clock_back when its clock is refused. */
static bool attest_clock(struct attest_ctx *a, bool *clock_back)
{
	const TPMS_CLOCK_INFO *ci = &a->res->quote.attest.clockInfo;
	bool quote_ok = a->res->quote.parsed &&
			a->res->status[APPRAISE_SIGNATURE] == APPRAISE_PASS &&
			a->res->status[APPRAISE_MAGIC] == APPRAISE_PASS &&
			a->res->status[APPRAISE_TYPE] == APPRAISE_PASS &&
			a->res->status[APPRAISE_NONCE] == APPRAISE_PASS;

	*clock_back = false;
	if (quote_ok && a->dev.attested)
		*clock_back = clock_claim(a->rep, a->dev.reset_count, a->dev.clock, ci);
	if (quote_ok && ci->clock > INT64_MAX) {
		/* A TPM clock set forward (TPM2_ClockSet) past what the store holds: the
		 * device is refused, and the clock it had stays recorded. */
		gwpol_report_add(a->rep, GWPOL_CLAIM_IDENTITY, GWPOL_TIER_CONTRAINDICATED, "clock",
				 "TPM clock %llu is beyond 2^63 milliseconds: set forward",
				 (unsigned long long)ci->clock);
		*clock_back = true;
	}
	return quote_ok;
}

/* Sign and record the result, judging it again when another round of the device
 * recorded first: other counters (compared again; a second conflict is GW_E_IO),
 * or a later quote (this one is the older: it gets the answer it would have got
 * one after the other, and its clock is not recorded). GW_E_CRYPTO when it cannot
 * be signed, GW_E_STATE for a revoked device, else the store's code. */
static int attest_record(struct service_worker *w, struct attest_ctx *a,
			 const struct gwpol *pol, const char *policy_id, int64_t now,
			 int64_t exp, bool move_clock, gw_error *err)
{
	struct store_device cur;
	int rc;

	if (sign_result(w, a, pol, policy_id, now, exp))
		return GW_E_CRYPTO;
	rc = record_result(w, a, policy_id, now, move_clock, err);
	if (rc == GW_E_STATE && a->ctr.conflict) {
		vlog(VLOG_NOTICE, "attest: %s (other counters were recorded meanwhile)",
		     gw_error_msg(err, rc));
		rc = service_counters_compare(w->st, a->dev.id, &a->ctr, a->rep, err);
		if (!rc && sign_result(w, a, pol, policy_id, now, exp))
			return GW_E_CRYPTO;
		if (!rc)
			rc = record_result(w, a, policy_id, now, move_clock, err);
		if (rc == GW_E_STATE && a->ctr.conflict)
			rc = GW_E_IO;
	}
	if (rc != GW_E_EXISTS)
		return rc;
	vlog(VLOG_NOTICE, "attest: %s (a later quote was recorded meanwhile)", gw_error_msg(err, rc));
	memset(&cur, 0, sizeof(cur));
	rc = store_device_get(w->st, a->dev.id, &cur, err);
	if (rc)
		return rc;
	(void)clock_claim(a->rep, cur.reset_count, cur.clock, &a->res->quote.attest.clockInfo);
	store_device_fini(&cur);
	if (sign_result(w, a, pol, policy_id, now, exp))
		return GW_E_CRYPTO;
	return record_result(w, a, policy_id, now, false, err);
}

/* The 200 answer of a recorded result. */
static void attest_answer(struct httpd_req *req, const struct attest_ctx *a, int64_t exp)
{
	json_object *o = json_object_new_object(), *authz = release_authz_answer(&a->authz);

	json_object_object_add(o, "status", json_object_new_string(gwpol_report_status(a->rep)));
	json_object_object_add(o, "ear", json_object_new_string(a->ear));
	json_object_object_add(o, "expires_at", json_object_new_int64(exp));
	json_object_object_add(o, "failed_claims", json_object_get(a->failures));
	json_object_object_add(o, "releases", json_object_get(a->releases));
	if (authz)
		json_object_object_add(o, "authorization", authz);
	httpd_reply_json(req, 200,
			 json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
								   JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

/* The round's log lines and metrics: its result with the failed claims by name
 * (CLAIM:CHECK, not the messages), and its update authorization. recorded false:
 * the round was refused without a result (status none). */
static void attest_report(struct service_worker *w, const struct attest_ctx *a,
			  const char *policy_id, bool recorded, uint64_t start_ns)
{
	const char *status = recorded ? gwpol_report_status(a->rep) : "none";
	enum metrics_attest ms = metrics_attest_status(status);
	char claims[512] = "", q[600], rel[EVIDENCE_RELEASE_ID_LEN + 3];
	size_t n = 0;

	metrics_attest(w->svc->metrics, ms, gw_mono_ns() - start_ns);
	if (!recorded)
		return;
	for (size_t i = 0; i < a->rep->n && n < sizeof(claims); i++) {
		int m = snprintf(claims + n, sizeof(claims) - n, "%s%s:%s", i ? "," : "",
				 gwpol_claim_name(a->rep->f[i].claim), a->rep->f[i].rule);

		if (m < 0 || (size_t)m >= sizeof(claims) - n) {
			claims[n] = '\0'; /* whole names only */
			break;
		}
		n += (size_t)m;
	}
	vlog(ms == METRICS_ATTEST_AFFIRMING ? VLOG_INFO
	     : ms == METRICS_ATTEST_WARNING ? VLOG_NOTICE
					    : VLOG_WARNING,
	     "attest device=%s status=%s policy=%s failed_claims=%zu%s%s", a->dev.id, status,
	     policy_id, a->rep->n + a->rep->dropped, n ? " claims=" : "",
	     n ? vlog_value(q, sizeof(q), claims) : "");
	if (!a->authz.requested)
		return;
	metrics_authz(w->svc->metrics,
		      a->authz.granted ? METRICS_AUTHZ_GRANTED : METRICS_AUTHZ_REFUSED);
	vlog(a->authz.granted ? VLOG_NOTICE : VLOG_WARNING,
	     "release.authorize device=%s release=%s outcome=%s%s%s", a->dev.id,
	     vlog_value(rel, sizeof(rel), a->authz.release),
	     a->authz.granted ? "granted" : "refused", a->authz.granted ? "" : " reason=",
	     a->authz.granted ? "" : vlog_value(q, sizeof(q), a->authz.reason));
}

void service_attest(struct httpd_req *req)
{
	struct service_worker *w = req->app;
	struct attest_ctx a;
	TPM2B_PUBLIC akpub;
	TPML_PCR_SELECTION sel;
	gw_error err = { { 0 } };
	char policy_id[192] = "none", why[1200];
	const struct gwpol *pol = NULL;
	bool quote_ok, clock_back;
	int64_t now = service_now(), exp;
	uint64_t start_ns = gw_mono_ns();
	bool recorded = false;
	int prc, rc;

	memset(&a, 0, sizeof(a));
	if (attest_intake(req, &a, &akpub, &sel, now))
		goto out;
	/* Never appraise against a stored policy that does not verify now. */
	prc = service_current_policy(w, a.dev.model, &pol, policy_id, sizeof(policy_id), why,
				     sizeof(why));
	service_boot_load(w, pol, a.dev.model, a.cel, &a.boot);
	if (attest_appraise(req, &a, &akpub, &sel, pol, prc, why, now))
		goto out;
	quote_ok = attest_clock(&a, &clock_back);
	/* The anti-rollback counters, certified over the same nonce by the same AK,
	 * mean something only with a genuine and fresh quote. */
	if (quote_ok)
		service_counters_check(w, &a.dev, a.ev, a.ak, a.rep, &a.ctr);
	/* Update records count only when every log record extends a quoted PCR. */
	service_updates_check(w, &a.dev, a.cel,
			      quote_ok && !clock_back && cel_authentic(&a) &&
				      a.res->status[APPRAISE_COVERAGE] == APPRAISE_PASS,
			      a.res->quote.attest.clockInfo.resetCount, a.rep, &a.upd);
	/* The running release those records name, against what the bootloader
	 * measured (a firmware log counts only when it replayed to the quote). */
	service_boot_check(&a.boot, pol, &a.upd,
			   a.res->status[APPRAISE_FW_REPLAY] == APPRAISE_PASS ? a.fw : NULL,
			   verdict_quoted_pcrs(a.res, TPM2_ALG_SHA256), a.rep);
	/* The policy says how long its results stand; the configuration otherwise. */
	exp = now + (pol && pol->has_freshness ? (int64_t)pol->freshness_seconds
					       : (int64_t)w->svc->cfg.result_ttl);
	rc = attest_record(w, &a, pol, policy_id, now, exp, quote_ok && !clock_back, &err);
	if (rc == GW_E_CRYPTO) {
		httpd_reply_error(req, 500, "internal_error", "cannot sign the result");
	} else if (rc == GW_E_STATE) {
		httpd_reply_error(req, 403, "revoked", "device '%s' was revoked", a.dev.id);
	} else if (rc) {
		service_log("attest: store: %s", gw_error_msg(&err, rc));
		httpd_reply_error(req, 500, "internal_error", "store failure");
	} else {
		attest_answer(req, &a, exp);
		recorded = true;
	}
out:
	attest_report(w, &a, policy_id, recorded, start_ns);
	attest_ctx_fini(&a);
}
