// SPDX-License-Identifier: Apache-2.0
// Test tool: drives agent/update_key.c against a TPM (create and certify the update
// key, open a policy session, ZGen with a gate authorization) so that scenarios can
// show what the TPM itself refuses.
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>
#include <tss2/tss2_mu.h>

#include "keywrap.h"
#include "tpmdata.h"
#include "update_key.h"
#include "util.h"

/* 0 ok, 1 failure, 2 usage, 3 the TPM refused (GW_E_TPM). */
enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2, EXIT_TPM = 3 };

static void usage(FILE *f)
{
	fprintf(f,
		"usage: gw-updkey create --gate PUB --blob F --msg F [--srk H] [--ak H]\n"
		"       gw-updkey info --blob F [--pem OUT]\n"
		"       gw-updkey open --session-out F [--srk H]\n"
		"       gw-updkey zgen --session F --blob F --gate PUB --point HEX --auth F [--srk H]\n"
		"       gw-updkey unwrap --z HEX --blob F --wrap F --context C\n\n"
		"create makes and certifies the update key (update_key_create) and prints its\n"
		"name; info prints the name and uncompressed point of a blob's key (and writes\n"
		"its public PEM); open starts the policy session, saves its context to F\n"
		"(TPM2_ContextSave) and prints nonceTPM; zgen loads that session, runs\n"
		"PolicySigned with the authorization file and ECDH_ZGen, and prints Z; unwrap\n"
		"opens the wrapped key (JSON) with Z and the blob key's point\n"
		"(keywrap_open_z) for context C and prints the content key (no TPM).\n"
		"Hex everywhere. TCTI from $GW_TCTI. Exit: 0 ok, 1 failure, 2 usage, 3 the TPM\n"
		"refused.\n");
}

struct opts {
	const char *cmd, *gate, *blob, *msg, *pem, *session, *point, *auth, *z, *wrap, *context;
	TPM2_HANDLE srk, ak;
};

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "gate", required_argument, NULL, 'g' },    { "blob", required_argument, NULL, 'b' },
		{ "msg", required_argument, NULL, 'm' },     { "pem", required_argument, NULL, 'p' },
		{ "session", required_argument, NULL, 's' }, { "session-out", required_argument, NULL, 's' },
		{ "point", required_argument, NULL, 'P' },   { "auth", required_argument, NULL, 'a' },
		{ "srk", required_argument, NULL, 'S' },     { "ak", required_argument, NULL, 'A' },
		{ "z", required_argument, NULL, 'z' },       { "wrap", required_argument, NULL, 'w' },
		{ "context", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int c;

	memset(o, 0, sizeof(*o));
	o->srk = TPM_DEFAULT_SRK_HANDLE;
	o->ak = TPM_DEFAULT_AK_HANDLE;
	if (argc < 2)
		return -1;
	o->cmd = argv[1];
	optind = 2;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'g': o->gate = optarg; break;
		case 'b': o->blob = optarg; break;
		case 'm': o->msg = optarg; break;
		case 'p': o->pem = optarg; break;
		case 's': o->session = optarg; break;
		case 'P': o->point = optarg; break;
		case 'a': o->auth = optarg; break;
		case 'z': o->z = optarg; break;
		case 'w': o->wrap = optarg; break;
		case 'c': o->context = optarg; break;
		case 'S':
		case 'A':
			if (gw_parse_u64(optarg, UINT32_MAX, &v))
				return -1;
			*(c == 'S' ? &o->srk : &o->ak) = (TPM2_HANDLE)v;
			break;
		default: return -1;
		}
	}
	return optind == argc ? 0 : -1;
}

static void print_hex(const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("%02x", b[i]);
	printf("\n");
}

static int cmd_info(const struct opts *o, gw_error *err)
{
	TPM2B_PRIVATE priv;
	TPM2B_PUBLIC pub;
	TPM2B_NAME name;
	EVP_PKEY *key = NULL;
	char *pem = NULL;
	const TPMS_ECC_POINT *pt = &pub.publicArea.unique.ecc;
	int rc = update_key_read_blob(o->blob, &priv, &pub, err);

	if (rc)
		return rc;
	if (tpm_policy_name(&pub.publicArea, &name))
		return gw_fail(err, GW_E_CRYPTO, "name");
	print_hex(name.name, name.size);
	printf("04");
	for (unsigned i = 0; i < pt->x.size; i++)
		printf("%02x", pt->x.buffer[i]);
	print_hex(pt->y.buffer, pt->y.size);
	if (!o->pem)
		return 0;
	rc = tpmdata_public_to_pkey(&pub.publicArea, &key, err);
	if (!rc && (rc = tpmdata_pkey_to_pem(key, &pem)) == 0)
		rc = gw_write_file_atomic(o->pem, pem, strlen(pem), 0644, err);
	free(pem);
	EVP_PKEY_free(key);
	return rc;
}

static int cmd_create(struct agent_tpm *tpm, const struct opts *o, gw_error *err)
{
	EVP_PKEY *gate = NULL;
	json_object *msg = NULL;
	int rc = tpmdata_pkey_load(o->gate, &gate, err);

	if (!rc)
		rc = update_key_create(tpm, o->srk, o->ak, gate, o->blob, o->msg, &msg, err);
	json_object_put(msg);
	EVP_PKEY_free(gate);
	return rc ? rc : cmd_info(o, err);
}

static int cmd_open(struct agent_tpm *tpm, const struct opts *o, gw_error *err)
{
	uint8_t nonce[TPM_POLICY_NONCE_MAX], buf[sizeof(TPMS_CONTEXT)];
	size_t nlen = 0, off = 0;
	ESYS_TR s = ESYS_TR_NONE;
	TPMS_CONTEXT *ctx = NULL;
	TSS2_RC trc;
	int rc = update_key_session_open(tpm, o->srk, &s, nonce, &nlen, err);

	if (rc)
		return rc;
	trc = Esys_ContextSave(tpm->esys, s, &ctx);
	if (trc != TSS2_RC_SUCCESS) {
		update_key_session_close(tpm, &s);
		return tpm_tss_fail(err, trc, "TPM2_ContextSave");
	}
	if (Tss2_MU_TPMS_CONTEXT_Marshal(ctx, buf, sizeof(buf), &off))
		rc = gw_fail(err, GW_E_INVAL, "marshalling the session context");
	else
		rc = gw_write_file_atomic(o->session, buf, off, 0600, err);
	Esys_Free(ctx);
	if (!rc)
		print_hex(nonce, nlen);
	return rc;
}

static int load_session(struct agent_tpm *tpm, const char *path, ESYS_TR *s, gw_error *err)
{
	TPMS_CONTEXT ctx;
	uint8_t *buf = NULL;
	size_t len = 0, off = 0;
	TSS2_RC trc;
	int rc = gw_read_file(path, sizeof(TPMS_CONTEXT) + 1, &buf, &len, err);

	if (rc)
		return rc;
	if (Tss2_MU_TPMS_CONTEXT_Unmarshal(buf, len, &off, &ctx) || off != len)
		rc = gw_fail(err, GW_E_PARSE, "%s: not a TPMS_CONTEXT", path);
	free(buf);
	if (rc)
		return rc;
	trc = Esys_ContextLoad(tpm->esys, &ctx, s);
	return trc == TSS2_RC_SUCCESS ? 0 : tpm_tss_fail(err, trc, "TPM2_ContextLoad (session)");
}

static int cmd_zgen(struct agent_tpm *tpm, const struct opts *o, gw_error *err)
{
	struct tpm_policy_auth auth;
	uint8_t point[TPM_POLICY_POINT_LEN], z[32], *text = NULL;
	size_t len = 0;
	EVP_PKEY *gate = NULL;
	ESYS_TR s = ESYS_TR_NONE;
	int rc;

	rc = gw_hex_decode_fixed(o->point, point, sizeof(point), err);
	if (!rc)
		rc = gw_read_file(o->auth, TPM_POLICY_AUTH_MAX, &text, &len, err);
	if (!rc)
		rc = tpm_policy_auth_parse(text, len, &auth, err);
	if (!rc)
		rc = tpmdata_pkey_load(o->gate, &gate, err);
	if (!rc)
		rc = load_session(tpm, o->session, &s, err);
	if (!rc)
		rc = update_key_zgen(tpm, o->srk, &s, o->blob, gate, point, &auth, z, err);
	if (!rc)
		print_hex(z, sizeof(z));
	gw_wipe(z, sizeof(z));
	update_key_session_close(tpm, &s);
	EVP_PKEY_free(gate);
	free(text);
	return rc;
}

static int cmd_unwrap(const struct opts *o, gw_error *err)
{
	uint8_t z[32], point[KEYWRAP_POINT_LEN], cek[KEYWRAP_CEK_LEN];
	TPM2B_PRIVATE priv;
	TPM2B_PUBLIC pub;
	EVP_PKEY *key = NULL;
	json_object *w = NULL;
	int rc = gw_hex_decode_fixed(o->z, z, sizeof(z), err);

	if (!rc)
		rc = update_key_read_blob(o->blob, &priv, &pub, err);
	if (!rc)
		rc = tpmdata_public_to_pkey(&pub.publicArea, &key, err);
	if (!rc)
		rc = keywrap_point(key, point, err);
	if (!rc && !(w = json_object_from_file(o->wrap)))
		rc = gw_fail(err, GW_E_PARSE, "%s: not JSON", o->wrap);
	if (!rc)
		rc = keywrap_open_z(z, point, w, o->context, cek, err);
	if (!rc)
		print_hex(cek, sizeof(cek));
	gw_wipe(z, sizeof(z));
	gw_wipe(cek, sizeof(cek));
	json_object_put(w);
	EVP_PKEY_free(key);
	return rc;
}

int main(int argc, char **argv)
{
	struct opts o;
	struct agent_tpm *tpm = NULL;
	gw_error err = { { 0 } };
	const char *tcti = getenv("GW_TCTI");
	int rc;

	if (parse_args(argc, argv, &o)) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(o.cmd, "info") && o.blob) {
		rc = cmd_info(&o, &err);
		goto out;
	}
	if (!strcmp(o.cmd, "unwrap") && o.z && o.blob && o.wrap && o.context) {
		rc = cmd_unwrap(&o, &err);
		goto out;
	}
	if (!(!strcmp(o.cmd, "create") && o.gate && o.blob && o.msg) &&
	    !(!strcmp(o.cmd, "open") && o.session) &&
	    !(!strcmp(o.cmd, "zgen") && o.session && o.blob && o.gate && o.point && o.auth)) {
		usage(stderr);
		return EXIT_USAGE;
	}
	rc = tpm_open(tcti, &tpm, &err);
	if (!rc)
		rc = !strcmp(o.cmd, "create") ? cmd_create(tpm, &o, &err)
		     : !strcmp(o.cmd, "open") ? cmd_open(tpm, &o, &err)
					      : cmd_zgen(tpm, &o, &err);
	tpm_close(tpm);
out:
	if (rc) {
		fprintf(stderr, "gw-updkey: %s: %s\n", gw_strerror(rc), gw_error_msg(&err, rc));
		return rc == GW_E_TPM ? EXIT_TPM : EXIT_FAIL;
	}
	return EXIT_OK;
}
