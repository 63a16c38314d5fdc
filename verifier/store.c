// SPDX-License-Identifier: Apache-2.0
// Store front end: url parsing, transactions, argument checks, the EK's key
// identity, and dispatch to the backend's operations table for devices, nonces,
// results, enrollments and update keys (the audit log: store_audit.c; policies:
// store_policy.c).
#include "store_impl.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "digest.h"
#include "tpmdata.h"
#include "util.h"

static const char *const state_names[] = {
	[STORE_DEV_PENDING] = "pending",
	[STORE_DEV_ENROLLED] = "enrolled",
	[STORE_DEV_REVOKED] = "revoked",
};

const char *store_device_state_name(enum store_device_state s)
{
	if ((unsigned)s >= GW_ARRAY_SIZE(state_names))
		return NULL;
	return state_names[s];
}

int store_device_state_parse(const char *s, enum store_device_state *out)
{
	if (!s)
		return GW_E_PARSE;
	for (size_t i = 0; i < GW_ARRAY_SIZE(state_names); i++) {
		if (strcmp(s, state_names[i]) == 0) {
			*out = (enum store_device_state)i;
			return 0;
		}
	}
	return GW_E_PARSE;
}

/* Required text: present, at most cap bytes. */
static int check_text(const char *s, size_t cap, const char *what, gw_error *err)
{
	if (!s)
		return gw_fail(err, GW_E_INVAL, "%s is missing", what);
	if (strnlen(s, cap + 1) > cap)
		return gw_fail(err, GW_E_TOOBIG, "%s is longer than %zu bytes", what, cap);
	return 0;
}

static int check_opt_text(const char *s, size_t cap, const char *what, gw_error *err)
{
	return s ? check_text(s, cap, what, err) : 0;
}

static int check_id(const char *id, gw_error *err)
{
	int rc = check_text(id, STORE_ID_MAX, "device id", err);

	if (rc == 0 && id[0] == '\0')
		rc = gw_fail(err, GW_E_INVAL, "device id is empty");
	return rc;
}

int store_check_device_id(const char *id, gw_error *err)
{
	return check_id(id, err);
}

int store_check_audit(const struct store_audit *a, gw_error *err)
{
	int rc;

	if (!a)
		return 0;
	if ((rc = check_text(a->actor, STORE_ACTOR_MAX, "audit actor", err)) ||
	    (rc = check_text(a->action, STORE_ACTOR_MAX, "audit action", err)) ||
	    (rc = check_opt_text(a->device_id, STORE_ID_MAX, "audit device id", err)) ||
	    (rc = check_text(a->outcome, STORE_ACTOR_MAX, "audit outcome", err)) ||
	    (rc = check_opt_text(a->detail, STORE_TEXT_MAX, "audit detail", err)))
		return rc;
	return 0;
}

static int check_blob(const uint8_t *p, size_t len, bool required, const char *what,
		      gw_error *err)
{
	if (len > STORE_BLOB_MAX)
		return gw_fail(err, GW_E_TOOBIG, "%s is larger than %d bytes", what,
			       STORE_BLOB_MAX);
	if (len && !p)
		return gw_fail(err, GW_E_INVAL, "%s is missing", what);
	if (required && len == 0)
		return gw_fail(err, GW_E_INVAL, "%s is empty", what);
	return 0;
}

/* Exactly len lower-case hex digits: enrollment ids, fingerprints. */
static int check_lower_hex(const char *s, size_t len, const char *what, gw_error *err)
{
	if (!s)
		return gw_fail(err, GW_E_INVAL, "%s is missing", what);
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return gw_fail(err, GW_E_INVAL, "%s is not %zu lower-case hex digits",
				       what, len);
	if (s[len] != '\0')
		return gw_fail(err, GW_E_INVAL, "%s is not %zu lower-case hex digits", what, len);
	return 0;
}

static int check_model(const char *model, gw_error *err)
{
	int rc = check_text(model, STORE_MODEL_MAX, "model", err);

	if (rc == 0 && model[0] == '\0')
		rc = gw_fail(err, GW_E_INVAL, "model is empty");
	return rc;
}

int store_check_text(const char *s, size_t cap, const char *what, gw_error *err)
{
	return check_text(s, cap, what, err);
}

int store_check_model(const char *model, gw_error *err)
{
	return check_model(model, err);
}

/* The key, not its encoding: a TPM2B_PUBLIC carries attributes, an authPolicy and
 * an exponent that may be 0 or 65537 for one key, none of which MakeCredential
 * uses. Bytes of the public area would let one TPM pass for several. */
int store_ek_key_id(const uint8_t *ek_pub, size_t len, uint8_t out[STORE_HASH_LEN])
{
	TPM2B_PUBLIC pub;
	EVP_PKEY *key = NULL;
	unsigned char *der = NULL;
	int der_len;
	int rc;

	if (!ek_pub || len == 0 || len > STORE_BLOB_MAX || !out)
		return GW_E_INVAL;
	rc = tpmdata_public_unmarshal(ek_pub, len, &pub, NULL);
	if (rc)
		return rc;
	rc = tpmdata_public_to_pkey(&pub.publicArea, &key, NULL);
	if (rc)
		return rc;
	der_len = i2d_PUBKEY(key, &der);
	if (der_len <= 0 || gw_hash(TPM2_ALG_SHA256, der, (size_t)der_len, out))
		rc = GW_E_CRYPTO;
	OPENSSL_free(der);
	EVP_PKEY_free(key);
	return rc;
}

int store_open(const char *url, struct store **out, gw_error *err)
{
	static const char scheme[] = "sqlite:";
	char *path = NULL;
	const char *p = url;
	char *q;
	bool sync_full = false;
	struct store *st = NULL;
	int rc;

	if (!url || !out)
		return gw_fail(err, GW_E_INVAL, "store url is missing");
	if (strncmp(url, scheme, sizeof(scheme) - 1) == 0) {
		p = url + sizeof(scheme) - 1;
	} else if (strstr(url, "://") || strncmp(url, "postgres", 8) == 0) {
		rc = gw_fail(err, GW_E_UNSUPPORTED, "store url %s: unsupported scheme", url);
		goto out;
	}
	path = strdup(p);
	if (!path) {
		rc = GW_E_NOMEM;
		goto out;
	}
	q = strchr(path, '?');
	if (q) {
		*q++ = '\0';
		if (strcmp(q, "sync=full") == 0) {
			sync_full = true;
		} else if (strcmp(q, "sync=normal") != 0) {
			rc = gw_fail(err, GW_E_INVAL,
				     "store url %s: unknown option \"%s\" (sync=full or sync=normal)",
				     url, q);
			goto out;
		}
	}
	if (path[0] == '\0') {
		rc = gw_fail(err, GW_E_INVAL, "store url %s: no file name", url);
		goto out;
	}
	rc = store_sqlite_open(path, sync_full, &st, err);
	if (rc)
		goto out;
	*out = st; /* transferred */
out:
	free(path);
	return rc;
}

void store_close(struct store *st)
{
	if (st)
		st->ops->close(st);
}

int store_begin(struct store *st, gw_error *err)
{
	return st->ops->begin(st, err);
}

int store_commit(struct store *st, gw_error *err)
{
	return st->ops->commit(st, err);
}

void store_set_tx_observer(struct store *st, store_tx_observer fn, void *arg)
{
	st->tx_observer = fn;
	st->tx_arg = arg;
}

void store_tx_began(struct store *st)
{
	if (st->tx_observer)
		st->tx_start_ns = gw_mono_ns();
}

void store_tx_ended(struct store *st)
{
	if (st->tx_observer)
		st->tx_observer(st->tx_arg, gw_mono_ns() - st->tx_start_ns);
}

void store_rollback(struct store *st)
{
	if (st)
		st->ops->rollback(st);
}

int store_device_put(struct store *st, const struct store_device *d,
		     const struct store_audit *audit, gw_error *err)
{
	int rc;

	if (!d)
		return gw_fail(err, GW_E_INVAL, "device is missing");
	if ((rc = check_id(d->id, err)) ||
	    (rc = check_text(d->model, STORE_MODEL_MAX, "device model", err)) ||
	    (rc = check_blob(d->ek_pub, d->ek_pub_len, true, "EK public", err)) ||
	    (rc = check_blob(d->ek_cert, d->ek_cert_len, false, "EK certificate", err)) ||
	    (rc = check_blob(d->ak_pub, d->ak_pub_len, true, "AK public", err)) ||
	    (rc = check_blob(d->ak_name, d->ak_name_len, true, "AK name", err)) ||
	    (rc = store_check_audit(audit, err)))
		return rc;
	if (!store_device_state_name(d->state))
		return gw_fail(err, GW_E_INVAL, "device state %d is not a state", (int)d->state);
	return st->ops->device_put(st, d, audit, err);
}

int store_device_get(struct store *st, const char *id, struct store_device *out,
		     gw_error *err)
{
	int rc = check_id(id, err);

	if (rc)
		return rc;
	if (!out)
		return gw_fail(err, GW_E_INVAL, "output is missing");
	return st->ops->device_get(st, id, out, err);
}

void store_device_fini(struct store_device *d)
{
	if (!d)
		return;
	free(d->ek_pub);
	free(d->ek_cert);
	free(d->ak_pub);
	free(d->ak_name);
	free(d->cel_log);
	d->ek_pub = d->ek_cert = d->ak_pub = d->ak_name = d->cel_log = NULL;
	d->ek_pub_len = d->ek_cert_len = d->ak_pub_len = d->ak_name_len = d->cel_log_len = 0;
}

int store_device_by_tpm(struct store *st, const uint8_t *ek_pub, size_t ek_pub_len,
			const uint8_t *ak_name, size_t ak_name_len, struct store_tpm_holder *out,
			gw_error *err)
{
	uint8_t key[STORE_HASH_LEN];
	int rc;

	if ((rc = check_blob(ek_pub, ek_pub_len, true, "EK public", err)) ||
	    (rc = check_blob(ak_name, ak_name_len, true, "AK name", err)))
		return rc;
	if (!out)
		return gw_fail(err, GW_E_INVAL, "output is missing");
	/* An EK without a key identity cannot match one; its AK still can. */
	rc = store_ek_key_id(ek_pub, ek_pub_len, key);
	return st->ops->device_by_tpm(st, rc ? NULL : key, ak_name, ak_name_len, out, err);
}

int store_device_list(struct store *st, const enum store_device_state *state,
		      store_device_cb cb, void *arg, gw_error *err)
{
	if (!cb)
		return gw_fail(err, GW_E_INVAL, "callback is missing");
	if (state && !store_device_state_name(*state))
		return gw_fail(err, GW_E_INVAL, "device state %d is not a state", (int)*state);
	return st->ops->device_list(st, state, cb, arg, err);
}

int store_device_set_state(struct store *st, const char *id, enum store_device_state state,
			   int64_t now, const char *actor, const struct store_audit *audit,
			   gw_error *err)
{
	int rc;

	if ((rc = check_id(id, err)) ||
	    (rc = check_text(actor, STORE_ACTOR_MAX, "actor", err)) ||
	    (rc = store_check_audit(audit, err)))
		return rc;
	if (!store_device_state_name(state))
		return gw_fail(err, GW_E_INVAL, "device state %d is not a state", (int)state);
	return st->ops->device_set_state(st, id, state, now, actor, audit, err);
}

int store_device_update_attestation(struct store *st, const char *id,
				    const struct store_attestation *att,
				    const struct store_audit *audit, gw_error *err)
{
	int rc;

	if (!att)
		return gw_fail(err, GW_E_INVAL, "attestation is missing");
	if ((rc = check_id(id, err)) ||
	    (rc = check_text(att->status, STORE_STATUS_MAX, "status", err)) ||
	    (rc = store_check_audit(audit, err)))
		return rc;
	if ((!att->keep_clock && att->clock > INT64_MAX) || att->cel_records_appraised > INT64_MAX)
		return gw_fail(err, GW_E_TOOBIG, "clock or record count over 2^63");
	if (att->has_cel && att->cel_log_len > STORE_CEL_MAX)
		return gw_fail(err, GW_E_TOOBIG, "CEL log larger than %u bytes", STORE_CEL_MAX);
	if (att->has_cel && !att->cel_log && att->cel_log_len)
		return gw_fail(err, GW_E_INVAL, "CEL log is missing");
	return st->ops->device_update_attestation(st, id, att, audit, err);
}

static int check_nonce(const uint8_t *nonce, size_t len, gw_error *err)
{
	if (!nonce || len == 0)
		return gw_fail(err, GW_E_INVAL, "nonce is missing");
	if (len > STORE_NONCE_MAX)
		return gw_fail(err, GW_E_TOOBIG, "nonce is longer than %d bytes",
			       STORE_NONCE_MAX);
	return 0;
}

int store_nonce_put(struct store *st, const uint8_t *nonce, size_t len,
		    const char *device_id, const char *pcr_selection, int64_t expires_at,
		    gw_error *err)
{
	int rc;

	if ((rc = check_nonce(nonce, len, err)) || (rc = check_id(device_id, err)) ||
	    (rc = check_text(pcr_selection, STORE_PCRSEL_MAX, "PCR selection", err)))
		return rc;
	return st->ops->nonce_put(st, nonce, len, device_id, pcr_selection, expires_at, err);
}

int store_nonce_take(struct store *st, const uint8_t *nonce, size_t len,
		     const char *device_id, int64_t now, struct store_nonce *out,
		     enum store_nonce_refusal *why, gw_error *err)
{
	int rc;

	if ((rc = check_nonce(nonce, len, err)) || (rc = check_id(device_id, err)))
		return rc;
	if (!out)
		return gw_fail(err, GW_E_INVAL, "output is missing");
	return st->ops->nonce_take(st, nonce, len, device_id, now, out, why, err);
}

int store_nonce_purge(struct store *st, int64_t before, uint64_t *count, gw_error *err)
{
	return st->ops->nonce_purge(st, before, count, err);
}

int store_result_add(struct store *st, const struct store_result *r, int64_t *id,
		     const struct store_audit *audit, gw_error *err)
{
	int rc;

	if (!r)
		return gw_fail(err, GW_E_INVAL, "result is missing");
	if ((rc = check_id(r->device_id, err)) ||
	    (rc = check_text(r->status, STORE_STATUS_MAX, "status", err)) ||
	    (rc = check_text(r->claims, STORE_TEXT_MAX, "claims", err)) ||
	    (rc = check_text(r->ear, STORE_TEXT_MAX, "EAR", err)) ||
	    (rc = store_check_audit(audit, err)))
		return rc;
	return st->ops->result_add(st, r, id, audit, err);
}

int store_result_history(struct store *st, const char *device_id, unsigned limit,
			 store_result_cb cb, void *arg, gw_error *err)
{
	int rc = check_id(device_id, err);

	if (rc)
		return rc;
	if (!cb)
		return gw_fail(err, GW_E_INVAL, "callback is missing");
	return st->ops->result_history(st, device_id, limit, cb, arg, err);
}

int store_device_set_client_cert(struct store *st, const char *id, const char *fp,
				 const struct store_audit *audit, gw_error *err)
{
	int rc;

	if ((rc = check_id(id, err)) ||
	    (fp && (rc = check_lower_hex(fp, STORE_FP_LEN, "client certificate fingerprint",
					 err))) ||
	    (rc = store_check_audit(audit, err)))
		return rc;
	return st->ops->device_set_client_cert(st, id, fp, audit, err);
}

int store_device_renew_cert(struct store *st, const char *id, const char *old_fp,
			    const char *new_fp, const struct store_audit *audit, gw_error *err)
{
	int rc;

	if ((rc = check_id(id, err)) ||
	    (rc = check_lower_hex(old_fp, STORE_FP_LEN, "old certificate fingerprint", err)) ||
	    (rc = check_lower_hex(new_fp, STORE_FP_LEN, "new certificate fingerprint", err)) ||
	    (rc = store_check_audit(audit, err)))
		return rc;
	return st->ops->device_renew_cert(st, id, old_fp, new_fp, audit, err);
}

static const char *const enrollment_state_names[] = {
	[STORE_ENR_CHALLENGED] = "challenged",
	[STORE_ENR_ACTIVATED] = "activated",
	[STORE_ENR_FAILED] = "failed",
};

const char *store_enrollment_state_name(enum store_enrollment_state s)
{
	if ((unsigned)s >= GW_ARRAY_SIZE(enrollment_state_names))
		return NULL;
	return enrollment_state_names[s];
}

void store_enrollment_fini(struct store_enrollment *e)
{
	if (!e)
		return;
	free(e->ek_pub);
	free(e->ek_cert);
	free(e->ak_pub);
	free(e->ak_name);
	free(e->client_pub);
	e->ek_pub = e->ek_cert = e->ak_pub = e->ak_name = NULL;
	e->ek_pub_len = e->ek_cert_len = e->ak_pub_len = e->ak_name_len = 0;
	e->client_pub = NULL;
	gw_wipe(e->secret_hash, sizeof(e->secret_hash));
}

static int check_enrollment_id(const char *id, gw_error *err)
{
	return check_lower_hex(id, STORE_ENROLL_ID_LEN, "enrollment id", err);
}

int store_enrollment_put(struct store *st, const struct store_enrollment *e,
			 const struct store_audit *audit, gw_error *err)
{
	int rc;

	if (!e)
		return gw_fail(err, GW_E_INVAL, "enrollment is missing");
	if ((rc = check_enrollment_id(e->id, err)) || (rc = check_id(e->device_id, err)) ||
	    (rc = check_model(e->model, err)) ||
	    (rc = check_blob(e->ek_pub, e->ek_pub_len, true, "EK public", err)) ||
	    (rc = check_blob(e->ek_cert, e->ek_cert_len, false, "EK certificate", err)) ||
	    (rc = check_blob(e->ak_pub, e->ak_pub_len, true, "AK public", err)) ||
	    (rc = check_blob(e->ak_name, e->ak_name_len, true, "AK name", err)) ||
	    (rc = store_check_audit(audit, err)))
		return rc;
	{
		uint8_t key[STORE_HASH_LEN];

		/* Activation binds the TPM by this identity: an EK without one could
		 * enroll any number of times. */
		rc = store_ek_key_id(e->ek_pub, e->ek_pub_len, key);
		if (rc)
			return gw_fail(err, rc, "EK public: not the public area of an RSA or ECC key");
	}
	return st->ops->enrollment_put(st, e, audit, err);
}

int store_enrollment_get(struct store *st, const char *id, struct store_enrollment *out,
			 gw_error *err)
{
	int rc = check_enrollment_id(id, err);

	if (rc)
		return rc;
	if (!out)
		return gw_fail(err, GW_E_INVAL, "output is missing");
	return st->ops->enrollment_get(st, id, out, err);
}

int store_enrollment_activate(struct store *st, const char *id, const char *client_pub_pem,
			      int64_t now, const struct store_device *d,
			      const struct store_audit *audit, struct store_tpm_holder *holder,
			      gw_error *err)
{
	struct store_tpm_holder h;
	int rc;

	if (!d)
		return gw_fail(err, GW_E_INVAL, "device is missing");
	if ((rc = check_enrollment_id(id, err)) ||
	    (rc = check_text(client_pub_pem, STORE_PEM_MAX, "client public key", err)) ||
	    (rc = check_id(d->id, err)) || (rc = check_model(d->model, err)) ||
	    (rc = store_check_audit(audit, err)))
		return rc;
	if (client_pub_pem[0] == '\0')
		return gw_fail(err, GW_E_INVAL, "client public key is empty");
	if (d->state != STORE_DEV_PENDING && d->state != STORE_DEV_ENROLLED)
		return gw_fail(err, GW_E_INVAL, "an activated device is pending or enrolled");
	memset(&h, 0, sizeof(h));
	rc = st->ops->enrollment_activate(st, id, client_pub_pem, now, d, audit, &h, err);
	if (holder && (rc == 0 || rc == GW_E_EXISTS))
		*holder = h;
	return rc;
}

int store_enrollment_recover(struct store *st, const char *id, const char *device_id,
			     const char *client_pub_pem, int64_t now, const char *old_fp,
			     const char *new_fp, const struct store_audit *audit, gw_error *err)
{
	int rc;

	if ((rc = check_enrollment_id(id, err)) || (rc = check_id(device_id, err)) ||
	    (rc = check_text(client_pub_pem, STORE_PEM_MAX, "client public key", err)) ||
	    (old_fp &&
	     (rc = check_lower_hex(old_fp, STORE_FP_LEN, "old certificate fingerprint", err))) ||
	    (rc = check_lower_hex(new_fp, STORE_FP_LEN, "new certificate fingerprint", err)) ||
	    (rc = store_check_audit(audit, err)))
		return rc;
	if (client_pub_pem[0] == '\0')
		return gw_fail(err, GW_E_INVAL, "client public key is empty");
	return st->ops->enrollment_recover(st, id, device_id, client_pub_pem, now, old_fp, new_fp,
					   audit, err);
}

int store_enrollment_fail(struct store *st, const char *id, const struct store_audit *audit,
			  gw_error *err)
{
	int rc;

	if ((rc = check_enrollment_id(id, err)) || (rc = store_check_audit(audit, err)))
		return rc;
	return st->ops->enrollment_fail(st, id, audit, err);
}

int store_enrollment_purge(struct store *st, int64_t before, uint64_t *count, gw_error *err)
{
	return st->ops->enrollment_purge(st, before, count, err);
}

void store_update_key_fini(struct store_update_key *k)
{
	if (!k)
		return;
	free(k->pub);
	memset(k, 0, sizeof(*k));
}

int store_update_key_put(struct store *st, const char *device_id, const uint8_t *pub,
			 size_t pub_len, const uint8_t name[STORE_UPDATE_KEY_NAME_LEN],
			 int64_t now, const struct store_audit *audit, bool *existed,
			 gw_error *err)
{
	int rc;

	if ((rc = check_id(device_id, err)) ||
	    (rc = check_blob(pub, pub_len, true, "update key public", err)) ||
	    (rc = store_check_audit(audit, err)))
		return rc;
	if (pub_len > STORE_UPDATE_KEY_PUB_MAX || !name || !existed)
		return gw_fail(err, GW_E_INVAL, "store: update key: bad arguments");
	return st->ops->update_key_put(st, device_id, pub, pub_len, name, now, audit, existed,
				       err);
}

int store_update_key_get(struct store *st, const char *device_id, struct store_update_key *out,
			 gw_error *err)
{
	int rc = check_id(device_id, err);

	if (rc)
		return rc;
	if (!out)
		return gw_fail(err, GW_E_INVAL, "store: update key: no output");
	return st->ops->update_key_get(st, device_id, out, err);
}

int store_update_key_reset(struct store *st, const char *device_id,
			   const struct store_audit *audit, gw_error *err)
{
	int rc;

	if ((rc = check_id(device_id, err)) || (rc = store_check_audit(audit, err)))
		return rc;
	return st->ops->update_key_reset(st, device_id, audit, err);
}
