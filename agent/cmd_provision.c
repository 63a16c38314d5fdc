// SPDX-License-Identifier: Apache-2.0
// gwagent provision: EK (and its certificate), SRK, AK and the anti-rollback
// counters of the configured channels; idempotent.
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "agent.h"
#include "counter.h"
#include "ek.h"
#include "tpm_session.h"
#include "tpmdata.h"
#include "util.h"

/* Write a file only when its content changes, so a second run changes nothing. */
static int put_file(struct agent_ctx *ctx, const char *name, const void *data, size_t len,
		    gw_error *err)
{
	char path[PATH_MAX];
	uint8_t *old = NULL;
	size_t old_len = 0;
	int rc;

	if (agent_path(ctx, name, path, sizeof(path)))
		return gw_fail(err, GW_E_INVAL, "state directory path too long");
	rc = gw_read_file(path, 1u << 20, &old, &old_len, NULL);
	if (!rc && old_len == len && !memcmp(old, data, len)) {
		free(old);
		return 0;
	}
	free(old);
	return gw_write_file_atomic(path, data, len, 0644, err);
}

struct ek_info {
	enum tpm_ek_type type;
	bool has_cert;
	bool cert_matches;
	TPM2B_PUBLIC pub;
};

static int export_public(struct agent_ctx *ctx, const TPM2B_PUBLIC *pub, const char *pem_name,
			 const char *pub_name, char *name_hex, gw_error *err)
{
	EVP_PKEY *key = NULL;
	char *pem = NULL;
	uint8_t *bin = NULL;
	size_t bin_len = 0;
	TPM2B_NAME name;
	int rc;

	rc = tpmdata_public_to_pkey(&pub->publicArea, &key, err);
	if (rc)
		goto out;
	rc = tpmdata_pkey_to_pem(key, &pem);
	if (rc)
		goto out;
	rc = tpmdata_public_marshal(pub, &bin, &bin_len);
	if (rc)
		goto out;
	rc = put_file(ctx, pem_name, pem, strlen(pem), err);
	if (!rc)
		rc = put_file(ctx, pub_name, bin, bin_len, err);
	if (!rc && name_hex) {
		rc = tpmdata_public_name(&pub->publicArea, &name);
		if (!rc)
			gw_hex_encode(name.name, name.size, name_hex);
	}
out:
	free(bin);
	free(pem);
	EVP_PKEY_free(key);
	return rc;
}

/* A TPM that answers with another EK than the one a previous run exported (ek.pub) is
 * refused before the owner authorization is used: it is another TPM, or something on
 * the TPM bus answering for ours that would learn every session salt. */
static int check_provisioned_ek(struct agent_ctx *ctx, const TPM2B_PUBLIC *pub, gw_error *err)
{
	char path[PATH_MAX];
	uint8_t *old = NULL, *cur = NULL;
	size_t old_len = 0, cur_len = 0;
	int rc;

	if (agent_path(ctx, "ek.pub", path, sizeof(path)))
		return gw_fail(err, GW_E_INVAL, "state directory path too long");
	rc = gw_read_file(path, 1u << 20, &old, &old_len, err);
	if (rc == GW_E_NOTFOUND)
		return 0; /* the first provisioning: this EK becomes the provisioned one */
	if (rc)
		return rc;
	rc = tpmdata_public_marshal(pub, &cur, &cur_len);
	if (!rc && (cur_len != old_len || memcmp(cur, old, cur_len) != 0))
		rc = gw_fail(err, GW_E_TPM,
			     "the TPM's EK is not the one provisioned in %s (another TPM, or "
			     "something on the TPM bus answering for it); remove ek.pub and "
			     "ek.pem to provision this TPM anew",
			     path);
	free(old);
	free(cur);
	return rc;
}

static int do_ek(struct agent_ctx *ctx, struct ek_info *ek, gw_error *err)
{
	uint8_t *cert = NULL;
	size_t cert_len = 0;
	int rc;

	rc = ek_select(ctx->tpm, &ek->type, &ek->has_cert, err);
	if (rc)
		return rc;
	rc = tpm_ek_public(ctx->tpm, ek->type, &ek->pub, err);
	if (!rc)
		rc = check_provisioned_ek(ctx, &ek->pub, err);
	if (!rc)
		rc = tpm_session_pin_ek(ctx->tpm, ek->type, &ek->pub, err);
	if (rc)
		return rc;
	rc = export_public(ctx, &ek->pub, "ek.pem", "ek.pub", NULL, err);
	if (rc || !ek->has_cert)
		return rc;
	rc = ek_read_cert(ctx->tpm, ek->type, &ek->pub, &cert, &cert_len, err);
	if (rc)
		return rc;
	ek->cert_matches = true;
	rc = put_file(ctx, "ek-cert.der", cert, cert_len, err);
	free(cert);
	return rc;
}

static int do_srk(struct agent_ctx *ctx, const char **status, gw_error *err)
{
	TPM2B_PUBLIC pub;
	int rc;

	rc = tpm_read_public(ctx->tpm, ctx->cfg.srk_handle, &pub, err);
	if (rc == GW_E_NOTFOUND) {
		*status = "created";
		return tpm_srk_create(ctx->tpm, ctx->cfg.srk_handle, &pub, err);
	}
	if (rc)
		return rc;
	if (!tpm_is_storage_public(&pub.publicArea))
		return gw_fail(err, GW_E_STATE,
			       "0x%08x holds an object that is not a storage key; "
			       "set srk_handle in the config or remove it",
			       ctx->cfg.srk_handle);
	*status = "exists";
	return 0;
}

static int do_ak(struct agent_ctx *ctx, enum tpm_ek_type ek_type, bool force,
		 const char **status, TPM2B_PUBLIC *pub, gw_error *err)
{
	int rc;

	rc = tpm_read_public(ctx->tpm, ctx->cfg.ak_handle, pub, err);
	if (rc && rc != GW_E_NOTFOUND)
		return rc;
	if (!rc && !force) {
		if (!tpm_is_ak_public(&pub->publicArea))
			return gw_fail(err, GW_E_STATE,
				       "0x%08x holds an object that is not an attestation key; "
				       "use --force to replace it",
				       ctx->cfg.ak_handle);
		*status = "exists";
		return 0;
	}
	if (!rc) {
		rc = tpm_evict(ctx->tpm, ctx->cfg.ak_handle, err);
		if (rc)
			return rc;
		*status = "recreated";
	} else {
		*status = "created";
	}
	return tpm_ak_create(ctx->tpm, ek_type, ctx->cfg.ak_handle, pub, err);
}

/* What provisioning found or did for each configured channel's counter. */
struct counters_done {
	struct tpm_auth_state auth;
	enum counter_provisioned what[AGENT_MAX_CHANNELS];
	struct counter_state state[AGENT_MAX_CHANNELS];
};

static const char *const provisioned_names[] = {
	[COUNTER_EXISTED] = "exists",
	[COUNTER_DEFINED] = "defined",
	[COUNTER_REDEFINED] = "redefined",
};

static int use_owner_auth(struct agent_ctx *ctx, const char *path, gw_error *err)
{
	uint8_t *auth = NULL;
	size_t len = 0;
	int rc;

	rc = gw_read_file(path, 1024, &auth, &len, err);
	if (rc)
		return rc;
	if (len && auth[len - 1] == '\n') /* as `echo secret > file` writes it */
		len--;
	rc = tpm_set_owner_auth(ctx->tpm, auth, len, err);
	gw_wipe(auth, len);
	free(auth);
	return rc;
}

static int do_counters(struct agent_ctx *ctx, struct counters_done *done, gw_error *err)
{
	int rc;

	rc = tpm_auth_state(ctx->tpm, &done->auth, err);
	for (size_t i = 0; !rc && i < ctx->cfg.nchannels && i < AGENT_MAX_CHANNELS; i++) {
		struct counter_channel ch;

		rc = counter_channel_find(&ctx->cfg, ctx->cfg.channels[i].name, &ch, err);
		if (!rc)
			rc = counter_provision_ex(ctx->tpm, &ch, &done->what[i], &done->state[i],
						  err);
		if (rc && !strstr(err->msg, ctx->cfg.channels[i].name))
			gw_error_prefix(err, "channel %s: ", ctx->cfg.channels[i].name);
	}
	return rc;
}

static json_object *counters_json(const struct agent_ctx *ctx, const struct counters_done *done)
{
	json_object *arr = json_object_new_array();
	char h[16];

	for (size_t i = 0; i < ctx->cfg.nchannels; i++) {
		const struct agent_channel *c = &ctx->cfg.channels[i];
		const struct counter_state *st = &done->state[i];
		json_object *o = json_object_new_object();

		json_object_object_add(o, "channel", json_object_new_string(c->name));
		snprintf(h, sizeof(h), "0x%08x", c->counter_index);
		json_object_object_add(o, "counter_index", json_object_new_string(h));
		snprintf(h, sizeof(h), "0x%08x", c->baseline_index);
		json_object_object_add(o, "baseline_index", json_object_new_string(h));
		json_object_object_add(o, "status",
				       json_object_new_string(provisioned_names[done->what[i]]));
		json_object_object_add(o, "value", json_object_new_uint64(st->value));
		json_object_object_add(o, "baseline", json_object_new_uint64(st->baseline));
		json_object_object_add(o, "security_version",
				       json_object_new_uint64(st->security_version));
		json_object_array_add(arr, o);
	}
	return arr;
}

static json_object *auth_json(const struct tpm_auth_state *a)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "owner_auth_set", json_object_new_boolean(a->owner_auth_set));
	json_object_object_add(o, "lockout_auth_set", json_object_new_boolean(a->lockout_auth_set));
	json_object_object_add(o, "clear_disabled", json_object_new_boolean(a->clear_disabled));
	return o;
}

static void counters_print(const struct agent_ctx *ctx, const struct counters_done *done)
{
	for (size_t i = 0; i < ctx->cfg.nchannels; i++) {
		const struct agent_channel *c = &ctx->cfg.channels[i];
		const struct counter_state *st = &done->state[i];

		printf("Counter %s: %s at 0x%08x (baseline 0x%08x), value %llu, baseline %llu, "
		       "security version %llu\n",
		       c->name, provisioned_names[done->what[i]], c->counter_index,
		       c->baseline_index, (unsigned long long)st->value,
		       (unsigned long long)st->baseline, (unsigned long long)st->security_version);
	}
}

static void counters_warning(const struct agent_ctx *ctx, const struct counters_done *done)
{
	if (ctx->cfg.nchannels && (!done->auth.owner_auth_set ||
				   (!done->auth.lockout_auth_set && !done->auth.clear_disabled)))
		agent_errorf(ctx, "warning: the TPM's %s authorization is empty: a local root can "
				  "delete the counters and start them over at security version 0; "
				  "set it (tpm2_changeauth -c %s), see doc/updates.md",
			     !done->auth.owner_auth_set ? "owner" : "lockout",
			     !done->auth.owner_auth_set ? "owner" : "lockout");
}

/* What one run found and did, for the report. */
struct provision_result {
	struct ek_info ek;
	const char *srk_status, *ak_status;
	char ak_name[2 * sizeof(TPMU_NAME) + 1];
	struct counters_done counters;
};

static void print_json(const struct agent_ctx *ctx, const struct provision_result *r)
{
	json_object *o = json_object_new_object(), *e = json_object_new_object(),
		    *s = json_object_new_object(), *a = json_object_new_object();
	char h[16];

	json_object_object_add(e, "type", json_object_new_string(
		r->ek.type == TPM_EK_ECC_P256 ? "ecc-p256" : "rsa-2048"));
	json_object_object_add(e, "certificate", json_object_new_boolean(r->ek.has_cert));
	json_object_object_add(o, "ek", e);
	snprintf(h, sizeof(h), "0x%08x", ctx->cfg.srk_handle);
	json_object_object_add(s, "handle", json_object_new_string(h));
	json_object_object_add(s, "status", json_object_new_string(r->srk_status));
	json_object_object_add(o, "srk", s);
	snprintf(h, sizeof(h), "0x%08x", ctx->cfg.ak_handle);
	json_object_object_add(a, "handle", json_object_new_string(h));
	json_object_object_add(a, "status", json_object_new_string(r->ak_status));
	json_object_object_add(a, "name", json_object_new_string(r->ak_name));
	json_object_object_add(o, "ak", a);
	json_object_object_add(o, "counters", counters_json(ctx, &r->counters));
	json_object_object_add(o, "tpm_auth", auth_json(&r->counters.auth));
	json_object_object_add(o, "state_dir", json_object_new_string(ctx->state_dir));
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
						       JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

static void print_text(const struct agent_ctx *ctx, const struct provision_result *r)
{
	printf("EK:  %s, %s\n", r->ek.type == TPM_EK_ECC_P256 ? "ECC P-256" : "RSA 2048",
	       r->ek.has_cert ? "certificate read from NV (ek-cert.der)"
			      : "no EK certificate in NV");
	printf("SRK: %s at 0x%08x\n", r->srk_status, ctx->cfg.srk_handle);
	printf("AK:  %s at 0x%08x, name %s\n", r->ak_status, ctx->cfg.ak_handle, r->ak_name);
	printf("Exported to %s: ak.pem ak.pub ek.pem ek.pub%s\n", ctx->state_dir,
	       r->ek.has_cert ? " ek-cert.der" : "");
	counters_print(ctx, &r->counters);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: gwagent provision [--force] [--owner-auth-file FILE] [--json]\n\n"
		   "Creates the EK (standard template; its certificate is read from NV), the SRK\n"
		   "and the AK as persistent objects, and exports into the state directory:\n"
		   "ak.pem, ak.pub (TPM2B_PUBLIC), ek.pem, ek.pub, ek-cert.der. Then defines the\n"
		   "anti-rollback counter and baseline NV indices of every [channel NAME].\n"
		   "A second run reports what exists and changes nothing.\n\n"
		   "  --force                 recreate the AK (a new key: the verifier must enroll\n"
		   "                          it again)\n"
		   "  --owner-auth-file FILE  the TPM's owner authorization, when one is set\n"
		   "                          (the file's bytes, without a final newline); sent\n"
		   "                          only as the key of EK-salted HMAC sessions\n"
		   "  --json                  machine-readable output\n");
}

int cmd_provision(struct agent_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "owner-auth-file", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool force = false, json = false;
	const char *owner_auth_file = NULL;
	struct provision_result r;
	TPM2B_PUBLIC ak_pub;
	gw_error err = { { 0 } };
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			force = true;
			break;
		case 'j':
			json = true;
			break;
		case 'o':
			owner_auth_file = optarg;
			break;
		case 'h':
			usage(stdout);
			return GW_EXIT_OK;
		default:
			usage(stderr);
			return GW_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return GW_EXIT_USAGE;
	}
	memset(&r, 0, sizeof(r));
	r.srk_status = r.ak_status = "";
	if (owner_auth_file) {
		rc = use_owner_auth(ctx, owner_auth_file, &err);
		if (rc)
			return agent_report(ctx, rc, &err, "--owner-auth-file");
	}
	rc = gw_mkdir_p(ctx->state_dir, 0755, &err);
	if (rc)
		return agent_report(ctx, rc, &err, "state directory");
	rc = do_ek(ctx, &r.ek, &err);
	if (rc)
		return agent_report(ctx, rc, &err, "EK");
	rc = do_srk(ctx, &r.srk_status, &err);
	if (rc)
		return agent_report(ctx, rc, &err, "SRK");
	rc = do_ak(ctx, r.ek.type, force, &r.ak_status, &ak_pub, &err);
	if (rc)
		return agent_report(ctx, rc, &err, "AK");
	rc = export_public(ctx, &ak_pub, "ak.pem", "ak.pub", r.ak_name, &err);
	if (rc)
		return agent_report(ctx, rc, &err, "exporting the AK");
	rc = do_counters(ctx, &r.counters, &err);
	if (rc)
		return agent_report(ctx, rc, &err, "anti-rollback counter");

	if (json)
		print_json(ctx, &r);
	else
		print_text(ctx, &r);
	counters_warning(ctx, &r.counters);
	return GW_EXIT_OK;
}
