// SPDX-License-Identifier: Apache-2.0
// The update authorization of an attestation round (release_authorize.h).
#include "release_authorize.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bundle.h"
#include "bundle_crypt.h"
#include "gwpol.h"
#include "keywrap.h"
#include "release_rules.h"
#include "relkey.h"
#include "service_updates.h"
#include "tpm_policy.h"
#include "tpmdata.h"
#include "util.h"

#define DEVICE_CONTEXT_MAX (7 + STORE_ID_MAX + 1 + EVIDENCE_RELEASE_ID_LEN + 1)

/* reason, and the eligibility rule that failed when rule is not NULL. */
static void refuse(struct release_authz *a, const char *reason, const char *rule)
{
	a->granted = false;
	snprintf(a->reason, sizeof(a->reason), "%s%s%s", reason, rule ? ": " : "",
		 rule ? rule : "");
}

static bool offered_has(json_object *offered, const char *id)
{
	size_t n = offered ? json_object_array_length(offered) : 0;

	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(offered, i), *v;

		if (json_object_object_get_ex(e, "id", &v) &&
		    !strcmp(json_object_get_string(v), id))
			return true;
	}
	return false;
}

/* Why r is not offered: the eligibility rule that fails for the device as this
 * round attested it (as offered_releases in service_attest.c judges it). */
static void not_offered(struct service_worker *w, const struct store_device *dev,
			const struct service_updates *upd, const struct store_release *r, const char *status,
			const struct gwpol *pol, int64_t now, struct release_authz *a)
{
	const struct vconfig *cfg = &w->svc->cfg;
	struct release_device d;
	enum release_verdict v;

	release_device_from_store(dev, cfg->default_channel, &d);
	if (upd)
		service_updates_device(upd, &d);
	d.attested = true;
	d.last_attest_at = now;
	d.last_status = status;
	v = release_eligible(r, &d, pol ? &pol->update : NULL, now, cfg->release_max_attest_age);
	if (v == RELEASE_ELIGIBLE)
		refuse(a, "not-offered", NULL);
	else
		refuse(a, "not-offered", release_verdict_name(v));
}

/* The stored bundle's manifest, read without the trust root: the file is the
 * verifier's own copy, verified whole when it was added, and its manifest must
 * still be the one recorded (its SHA-256). */
static int stored_manifest(const struct store_release *r, struct bundle_reader **br,
			   gw_error *err)
{
	int fd = open(r->bundle_path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return gw_fail(err, GW_E_IO, "release %s: cannot open its bundle file", r->id);
	rc = bundle_open_unverified(fd, br, err);
	close(fd);
	if (!rc && strcmp(bundle_manifest(*br)->digest_hex, r->manifest_sha256)) {
		bundle_reader_free(*br);
		*br = NULL;
		rc = gw_fail(err, GW_E_REFERENCE, "release %s: the bundle file's manifest is not "
						  "the one recorded", r->id);
	}
	return rc;
}

/* The gate's PolicySigned authorization of TPM2_ECDH_ZGen(update key, EPK of
 * wrap) in the device's session (nonce_tpm), for ttl seconds. */
static int gate_json(struct service_worker *w, const TPMT_PUBLIC *upd, json_object *wrap,
		     const struct evidence_update_request *req, json_object **out, gw_error *err)
{
	struct tpm_policy_auth auth;
	uint8_t epk[KEYWRAP_POINT_LEN];
	TPM2B_NAME name;
	int rc;

	memset(&auth, 0, sizeof(auth));
	memcpy(auth.nonce_tpm, req->nonce_tpm, req->nonce_tpm_len);
	auth.nonce_len = req->nonce_tpm_len;
	auth.expiration = (int32_t)w->svc->cfg.authorization_ttl;
	tpm_policy_gate_ref(auth.policy_ref);
	rc = keywrap_epk(wrap, epk);
	if (!rc)
		rc = tpm_policy_name(upd, &name);
	if (!rc)
		rc = tpm_policy_zgen_cphash(&name, epk, auth.cphash);
	if (!rc)
		rc = tpm_policy_auth_sign(w->svc->gate_key, &auth, err);
	if (!rc)
		rc = tpm_policy_auth_to_json(&auth, out);
	return rc;
}

/* An encrypted release: the content key, unwrapped with the release key, wrapped
 * again for the device's update key (context "device:ID:RELEASE"), and the gate
 * authorization of its unwrapping, into claim. */
static int encrypted_grant(struct service_worker *w, const struct store_device *dev,
			   const struct manifest *m, const struct store_update_key *k,
			   const struct evidence_update_request *req, json_object *claim,
			   gw_error *err)
{
	char ctx[DEVICE_CONTEXT_MAX];
	uint8_t cek[KEYWRAP_CEK_LEN];
	TPM2B_PUBLIC pub;
	EVP_PKEY *relkey = NULL, *devkey = NULL;
	json_object *wrap = NULL, *gate = NULL;
	int rc;

	if (!w->svc->cfg.release_key)
		return gw_fail(err, GW_E_CONFIG, "[releases] has no release_key");
	if (gw_snprintf(ctx, sizeof(ctx), "device:%s:%s", dev->id, req->release))
		return gw_fail(err, GW_E_INVAL, "device id too long for a context");
	rc = tpmdata_public_unmarshal(k->pub, k->pub_len, &pub, err);
	if (!rc)
		rc = tpmdata_public_to_pkey(&pub.publicArea, &devkey, err);
	if (!rc)
		rc = relkey_load(w->svc->cfg.release_key, &relkey, err);
	if (!rc)
		rc = bundle_crypt_unwrap(m, relkey, cek, err);
	if (rc)
		goto out;
	rc = keywrap_seal(devkey, cek, ctx, &wrap, err);
	gw_wipe(cek, sizeof(cek));
	if (!rc)
		rc = gate_json(w, &pub.publicArea, wrap, req, &gate, err);
	if (rc)
		goto out;
	json_object_object_add(claim, "wrapped_key", wrap);
	json_object_object_add(claim, "gate", gate);
	wrap = gate = NULL; /* transferred */
out:
	gw_wipe(cek, sizeof(cek));
	json_object_put(wrap);
	json_object_put(gate);
	EVP_PKEY_free(relkey);
	EVP_PKEY_free(devkey);
	return rc;
}

/* r is offered: read its manifest, check the update key of an encrypted one, and
 * build the claim. 0 with a->granted, 0 with a reason, or a verifier failure. */
static int grant(struct service_worker *w, const struct store_device *dev,
		 const struct store_release *r, const struct evidence_update_request *req,
		 int64_t now, struct release_authz *a, gw_error *err)
{
	struct bundle_reader *br = NULL;
	struct store_update_key k;
	const struct manifest *m;
	json_object *claim = NULL;
	int rc;

	memset(&k, 0, sizeof(k));
	rc = stored_manifest(r, &br, err);
	if (rc)
		goto out;
	m = bundle_manifest(br);
	if (m->encrypted) {
		rc = store_update_key_get(w->st, dev->id, &k, err);
		if (rc == GW_E_NOTFOUND) {
			refuse(a, "no-update-key", NULL);
			rc = 0;
			goto out;
		}
		if (rc)
			goto out;
	}
	a->expires_at = now + (int64_t)w->svc->cfg.authorization_ttl;
	claim = json_object_new_object();
	if (!claim) {
		rc = GW_E_NOMEM;
		goto out;
	}
	json_object_object_add(claim, "release", json_object_new_string(r->id));
	json_object_object_add(claim, "manifest_sha256", json_object_new_string(r->manifest_sha256));
	json_object_object_add(claim, "expires_at", json_object_new_int64(a->expires_at));
	if (m->encrypted && (rc = encrypted_grant(w, dev, m, &k, req, claim, err)))
		goto out;
	a->claim = claim; /* transferred */
	claim = NULL;
	a->granted = true;
out:
	json_object_put(claim);
	store_update_key_fini(&k);
	bundle_reader_free(br);
	return rc;
}

void release_authorize(struct service_worker *w, const struct store_device *dev,
		       const struct service_updates *upd, const struct evidence *ev,
		       const char *status, json_object *offered, const struct gwpol *pol,
		       int64_t now, struct release_authz *out)
{
	const struct evidence_update_request *req = &ev->update_request;
	struct store_release r;
	gw_error err = { { 0 } };
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&r, 0, sizeof(r));
	if (!ev->has_update_request)
		return;
	out->requested = true;
	memcpy(out->release, req->release, sizeof(out->release));
	if (strcmp(status, "affirming")) {
		refuse(out, "not-affirming", NULL);
		return;
	}
	rc = store_release_get(w->st, req->release, &r, &err);
	if (rc == GW_E_NOTFOUND) {
		refuse(out, "unknown-release", NULL);
		return;
	}
	if (!rc && !offered_has(offered, r.id))
		not_offered(w, dev, upd, &r, status, pol, now, out);
	else if (!rc)
		rc = grant(w, dev, &r, req, now, out, &err);
	if (rc) {
		service_log("authorize: %s, release %s: %s", dev->id, req->release,
			    gw_error_msg(&err, rc));
		json_object_put(out->claim);
		out->claim = NULL;
		refuse(out, "verifier-error", NULL);
	}
	store_release_fini(&r);
}

void release_authz_fini(struct release_authz *a)
{
	if (!a)
		return;
	json_object_put(a->claim);
	memset(a, 0, sizeof(*a));
}

json_object *release_authz_answer(const struct release_authz *a)
{
	json_object *o;

	if (!a->requested || !(o = json_object_new_object()))
		return NULL;
	json_object_object_add(o, "release", json_object_new_string(a->release));
	json_object_object_add(o, "granted", json_object_new_boolean(a->granted));
	if (a->granted)
		json_object_object_add(o, "expires_at", json_object_new_int64(a->expires_at));
	else
		json_object_object_add(o, "reason", json_object_new_string(a->reason));
	return o;
}

int release_authz_audit(struct store *st, const char *device_id, const struct release_authz *a,
			int64_t now, gw_error *err)
{
	char actor[8 + STORE_ID_MAX], msg[RELEASE_AUTHZ_REASON_MAX + 64];
	json_object *d;
	struct store_audit au = {
		.ts = now, .actor = actor, .action = "release.authorize", .device_id = device_id,
		.outcome = a->granted ? "ok" : "refused",
	};
	int rc;

	if (!a->requested)
		return 0;
	snprintf(actor, sizeof(actor), "device:%s", device_id);
	if (a->granted)
		snprintf(msg, sizeof(msg), "release %s, expires %lld", a->release,
			 (long long)a->expires_at);
	else
		snprintf(msg, sizeof(msg), "release %s: %s", a->release, a->reason);
	d = json_object_new_object();
	if (!d)
		return GW_E_NOMEM;
	json_object_object_add(d, "message", json_object_new_string(msg));
	au.detail = json_object_to_json_string_ext(d, JSON_C_TO_STRING_PLAIN);
	rc = store_audit_append(st, &au, NULL, err);
	json_object_put(d);
	return rc;
}
