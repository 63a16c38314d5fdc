// SPDX-License-Identifier: Apache-2.0
// gwverifier release-key: the public half of the verifier's release key and its
// kid, for the release engineer's `gwpolicy bundle create --encrypt-for`.
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/pem.h>

#include "cli.h"
#include "relkey.h"
#include "util.h"
#include "vconfig.h"
#include "verifier.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: gwverifier release-key [--config FILE] [--json]\n\n"
		   "Prints the public half (PEM) of the verifier's release key ([releases]\n"
		   "release_key) and its kid (hex SHA-256 of its DER SubjectPublicKeyInfo,\n"
		   "the kid an encrypted bundle's wrapped key names). Save the PEM as\n"
		   "release.pub and give it to 'gwpolicy bundle create --encrypt-for'.\n\n"
		   "  --config FILE  verifier configuration (default " CLI_DEFAULT_CONFIG ")\n"
		   "  --json         {\"kid\", \"public_key\", \"path\"} on one line\n\n"
		   "Exit: 0 printed, 2 usage, 3 no release_key configured, or the key file is\n"
		   "missing, not mode 0600 or stricter, owned by another user, or not an\n"
		   "ECC P-256 private key.\n");
}

/* The public half of key as PEM text into *out (the caller's). */
static int public_pem(EVP_PKEY *key, char **out)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data = NULL;
	long n;
	int rc = GW_E_CRYPTO;

	if (!bio)
		return GW_E_NOMEM;
	if (PEM_write_bio_PUBKEY(bio, key) && (n = BIO_get_mem_data(bio, &data)) > 0) {
		*out = strndup(data, (size_t)n);
		rc = *out ? 0 : GW_E_NOMEM;
	}
	BIO_free(bio);
	return rc;
}

static int parse_args(int argc, char **argv, const char **config, bool *json)
{
	return cli_parse_config_json(argc, argv, usage, 0, config, json);
}

int cmd_release_key(struct verifier_ctx *ctx, int argc, char **argv)
{
	const char *config = CLI_DEFAULT_CONFIG;
	char kid[RELKEY_KID_LEN], *pem = NULL;
	struct vconfig cfg;
	EVP_PKEY *key = NULL;
	gw_error err = { { 0 } };
	bool json = false;
	int status = parse_args(argc, argv, &config, &json), rc;

	if (status >= 0)
		return status;
	vconfig_defaults(&cfg);
	rc = vconfig_load(config, &cfg, &err);
	if (!rc && !cfg.release_key)
		rc = gw_fail(&err, GW_E_CONFIG, "%s: [releases] has no release_key", config);
	if (!rc)
		rc = relkey_load(cfg.release_key, &key, &err);
	if (rc) {
		verifier_errorf(ctx, "release-key: %s", gw_error_msg(&err, rc));
		status = rc == GW_E_NOMEM || rc == GW_E_IO ? GW_EXIT_ERROR : GW_EXIT_CONFIG;
		goto out;
	}
	if ((rc = relkey_kid(key, kid, &err)) || (rc = public_pem(key, &pem))) {
		verifier_errorf(ctx, "release-key: %s", gw_error_msg(&err, rc));
		status = GW_EXIT_ERROR;
		goto out;
	}
	if (json) {
		json_object *j = json_object_new_object();

		json_object_object_add(j, "kid", cli_json_str(kid));
		json_object_object_add(j, "public_key", cli_json_str(pem));
		json_object_object_add(j, "path", cli_json_str(cfg.release_key));
		cli_json_print(j);
		json_object_put(j);
	} else {
		printf("# release key %s\n# kid %s\n%s", cfg.release_key, kid, pem);
	}
	status = GW_EXIT_OK;
out:
	free(pem);
	EVP_PKEY_free(key);
	vconfig_fini(&cfg);
	return status;
}
