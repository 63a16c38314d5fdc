// SPDX-License-Identifier: Apache-2.0
// gwagent update apply's flow (update_apply.h): offer, download, the authorization
// round, the TPM unwrap of an encrypted release, install.
#include "update_apply.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bundle.h"
#include "digest.h"
#include "enroll_state.h"
#include "keywrap.h"
#include "tpmdata.h"
#include "update_authz.h"
#include "update_key.h"
#include "update_offer.h"
#include "util.h"

#define DEVICE_CONTEXT_MAX (7 + ANSWERS_ID_MAX + 1 + UPDATE_RELEASE_ID_LEN + 1)

static bool valid_release(const char *id)
{
	size_t n = strlen(id);

	return n == UPDATE_RELEASE_ID_LEN && strspn(id, "0123456789abcdef") == n;
}

/* The bundle of offer o: the complete download kept from an earlier run when its
 * SHA-256 is the offer's, else update_fetch (which resumes). */
static int bundle_file(struct agent_ctx *ctx, const struct update_offer *o,
		       struct update_apply_result *res, gw_error *err)
{
	const uint16_t alg = TPM2_ALG_SHA256;
	struct update_fetch_opts fo = { .release_id = o->id };
	uint8_t d[1][GW_MAX_DIGEST];
	char dir[PATH_MAX];
	uint64_t size = 0;
	int rc;

	if (agent_path(ctx, UPDATE_DOWNLOADS_DIR, dir, sizeof(dir)) ||
	    gw_snprintf(res->fetch.path, sizeof(res->fetch.path), "%s/%s.gwb", dir, o->id))
		return gw_fail(err, GW_E_INVAL, "state directory path too long");
	if (access(res->fetch.path, F_OK) == 0 &&
	    gw_hash_file(res->fetch.path, &alg, 1, d, &size, NULL) == 0 && size == o->size &&
	    !memcmp(d[0], o->sha256, 32))
		return 0;
	rc = update_fetch(ctx, &fo, &res->fetch, &res->round.f, err);
	if (rc) {
		res->exit_code = res->fetch.mismatch ? GW_EXIT_UPDATE_BUNDLE
				 : (res->round.f.transport_failed || res->round.f.http_status)
					 ? vclient_exit_code(&res->round.f)
					 : gw_exit_for(rc);
		gw_error_prefix(err, "fetch: ");
		return rc;
	}
	res->fetched = true;
	return 0;
}

/* The manifest digest and encryption of the bundle at path, read without the
 * root: only to ask for and check the authorization; update_install verifies the
 * bundle whole against the pinned root and the authorized digest again. */
static int bundle_peek(const char *path, const char *release, uint8_t digest[32],
		       bool *encrypted, gw_error *err)
{
	struct bundle_reader *br = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return gw_fail(err, GW_E_IO, "%s: cannot open", path);
	rc = bundle_open_unverified(fd, &br, err);
	close(fd);
	if (rc)
		return rc;
	memcpy(digest, bundle_manifest(br)->digest, 32);
	*encrypted = bundle_manifest(br)->encrypted;
	/* A release's id is the first 16 hex digits of its manifest's SHA-256. */
	if (strncmp(bundle_manifest(br)->digest_hex, release, UPDATE_RELEASE_ID_LEN))
		rc = gw_fail(err, GW_E_REFERENCE, "the bundle's manifest is not release %s", release);
	bundle_reader_free(br);
	return rc;
}

/* Z by the TPM in the round's session (PolicySigned with the gate's
 * authorization, then ECDH_ZGen with the wrap's EPK), and the content key
 * unwrapped with it for context "device:ID:RELEASE". */
static int tpm_unwrap(struct agent_ctx *ctx, ESYS_TR *session, const struct update_authz *a,
		      const char *device_id, uint8_t cek[KEYWRAP_CEK_LEN], gw_error *err)
{
	char blob[PATH_MAX], gate_path[PATH_MAX], context[DEVICE_CONTEXT_MAX];
	uint8_t epk[KEYWRAP_POINT_LEN], own[KEYWRAP_POINT_LEN], z[32];
	TPM2B_PRIVATE priv;
	TPM2B_PUBLIC pub;
	EVP_PKEY *gate = NULL, *key = NULL;
	int rc;

	if (agent_path(ctx, UPDATE_KEY_BLOB_FILE, blob, sizeof(blob)) ||
	    agent_path(ctx, ENROLL_GATE_FILE, gate_path, sizeof(gate_path)) ||
	    gw_snprintf(context, sizeof(context), "device:%s:%s", device_id, a->release))
		return gw_fail(err, GW_E_INVAL, "state directory path or device id too long");
	rc = update_key_read_blob(blob, &priv, &pub, err);
	if (!rc)
		rc = tpmdata_public_to_pkey(&pub.publicArea, &key, err);
	if (!rc)
		rc = keywrap_point(key, own, err);
	if (!rc)
		rc = tpmdata_pkey_load(gate_path, &gate, err);
	if (!rc)
		rc = keywrap_epk(a->wrapped_key, epk);
	if (rc)
		goto out;
	rc = update_key_zgen(ctx->tpm, ctx->cfg.srk_handle, session, blob, gate, epk, &a->gate, z,
			     err);
	if (rc) {
		gw_error_prefix(err, "the TPM refused the unwrap: ");
		goto out;
	}
	rc = keywrap_open_z(z, own, a->wrapped_key, context, cek, err);
	if (rc)
		gw_error_prefix(err, "the wrapped key does not open with the TPM's Z: ");
out:
	gw_wipe(z, sizeof(z));
	gw_wipe(&priv, sizeof(priv));
	EVP_PKEY_free(gate);
	EVP_PKEY_free(key);
	return rc;
}

/* The verified result's authorization, checked against the request; the
 * content key of an encrypted release in cek (*have_cek). */
static int authorized(struct agent_ctx *ctx, ESYS_TR *session, const char *release,
		      const uint8_t digest[32], struct update_apply_result *res,
		      uint8_t cek[KEYWRAP_CEK_LEN], bool *have_cek, int64_t *iat, gw_error *err)
{
	struct update_authz a;
	json_object *v;
	int rc;

	res->exit_code = GW_EXIT_UPDATE_UNAUTHORIZED;
	rc = update_authz_from_claims(res->round.claims, &a, err);
	if (rc == GW_E_NOTFOUND)
		return gw_fail(err, GW_E_STATE, "the verifier did not authorize release %s: %s",
			       release, res->round.authz_reason[0] ? res->round.authz_reason
								   : "no reason given");
	if (rc) {
		res->exit_code = GW_EXIT_RESULT;
		return rc;
	}
	*iat = 0;
	if (json_object_object_get_ex(res->round.claims, "iat", &v) &&
	    json_object_is_type(v, json_type_int))
		*iat = json_object_get_int64(v);
	rc = *iat > 0 ? update_authz_check(&a, release, digest, res->encrypted, err)
		      : gw_fail(err, GW_E_PARSE, "the result has no issue time");
	if (!rc && res->encrypted) {
		rc = tpm_unwrap(ctx, session, &a, res->round.device_id, cek, err);
		if (rc == GW_E_TPM)
			res->exit_code = GW_EXIT_TPM;
		*have_cek = rc == 0;
	}
	if (!rc) {
		res->authorized = true;
		res->expires_at = a.expires_at;
	}
	update_authz_fini(&a);
	return rc;
}

static int install(struct agent_ctx *ctx, struct update_apply_result *res, struct progress *prog,
		   const uint8_t digest[32], const uint8_t *cek, int64_t iat, gw_error *err)
{
	struct update_install_opts o = {
		.progress = prog, .now = (time_t)iat, .content_key = cek,
		.authorized_manifest = digest,
	};
	int rc;

	o.fd = open(res->fetch.path, O_RDONLY | O_CLOEXEC);
	if (o.fd < 0) {
		res->exit_code = GW_EXIT_ERROR;
		return gw_fail(err, GW_E_IO, "%s: cannot open", res->fetch.path);
	}
	res->installing = true;
	rc = update_install(ctx, &o, &res->install, err);
	close(o.fd);
	res->exit_code = rc ? update_refusal_exit(res->install.refusal, rc) : GW_EXIT_OK;
	return rc;
}

int update_apply(struct agent_ctx *ctx, const char *release, struct progress *prog,
		 struct update_apply_result *res, gw_error *err)
{
	struct round_update_request ureq = { .release = release, .session = ESYS_TR_NONE };
	struct update_offers offers;
	const struct update_offer *o;
	uint8_t digest[32], cek[KEYWRAP_CEK_LEN];
	char dir[PATH_MAX];
	bool have_cek = false;
	int64_t iat = 0;
	int rc;

	memset(res, 0, sizeof(*res));
	update_offers_init(&offers);
	res->exit_code = GW_EXIT_USAGE;
	if (!valid_release(release)) {
		rc = gw_fail(err, GW_E_INVAL, "a release id is 16 lower-case hex digits");
		goto out;
	}
	res->exit_code = GW_EXIT_STATE;
	rc = update_offers_load(ctx, &offers, err);
	if (rc)
		goto out;
	o = update_offers_find(&offers, release);
	if (!o) {
		rc = gw_fail(err, GW_E_STATE, "release %s is not offered by the last attestation "
					      "result ('gwagent update pending')",
			     release);
		goto out;
	}
	rc = bundle_file(ctx, o, res, err);
	if (!rc)
		rc = bundle_peek(res->fetch.path, release, digest, &res->encrypted, err);
	if (rc) {
		if (res->exit_code == GW_EXIT_STATE)
			res->exit_code = GW_EXIT_UPDATE_BUNDLE;
		goto out;
	}
	rc = attest_round(ctx, &ureq, &res->round, err);
	res->round_done = true;
	if (rc) {
		res->exit_code = res->round.exit_code;
		goto out;
	}
	rc = authorized(ctx, &ureq.session, release, digest, res, cek, &have_cek, &iat, err);
	update_key_session_close(ctx->tpm, &ureq.session);
	if (!rc)
		rc = install(ctx, res, prog, digest, have_cek ? cek : NULL, iat, err);
	if (!rc && agent_path(ctx, UPDATE_DOWNLOADS_DIR, dir, sizeof(dir)) == 0)
		(void)update_downloads_prune(dir, &offers, release);
out:
	gw_wipe(cek, sizeof(cek));
	update_key_session_close(ctx->tpm, &ureq.session);
	update_offers_fini(&offers);
	attest_round_fini(&res->round);
	if (!rc)
		res->exit_code = GW_EXIT_OK;
	return rc;
}
