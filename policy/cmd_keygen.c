// SPDX-License-Identifier: Apache-2.0
// gwpolicy keygen: a new signing key pair, PREFIX.key (0600) and PREFIX.pub.
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "dsse.h"
#include "jsonobj.h"
#include "policy.h"
#include "util.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: gwpolicy keygen --out PREFIX [--type ecc-p256|ed25519] [--json]\n\n"
		"Writes the private key to PREFIX.key (PEM, mode 0600; an existing file is\n"
		"never overwritten) and the public key to PREFIX.pub (PEM), and prints the\n"
		"keyid: the SHA-256 of the public key's DER SubjectPublicKeyInfo.\n\n"
		"  --out PREFIX  where to write the two files\n"
		"  --type TYPE   ecc-p256 (ECDSA P-256, SHA-256; the default) or ed25519\n"
		"  --json        print {\"keyid\", \"type\", \"private_key\", \"public_key\"}\n");
}

static int write_pub(const char *path, EVP_PKEY *key, gw_error *err)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *pem = NULL;
	long len;
	int rc;

	if (!bio)
		return GW_E_NOMEM;
	if (!PEM_write_bio_PUBKEY(bio, key) || (len = BIO_get_mem_data(bio, &pem)) <= 0) {
		ERR_clear_error();
		rc = gw_fail(err, GW_E_CRYPTO, "encoding a public key");
	} else {
		rc = gw_write_file_atomic(path, pem, (size_t)len, 0644, err);
	}
	BIO_free(bio);
	return rc;
}

static void print_json(const char *keyid, const char *type, const char *key, const char *pub)
{
	json_object *o = json_object_new_object();

	gw_json_add_str(o, "keyid", keyid);
	gw_json_add_str(o, "type", type);
	gw_json_add_str(o, "private_key", key);
	gw_json_add_str(o, "public_key", pub);
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
						       JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

int cmd_keygen(struct policy_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "type", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *prefix = NULL, *type = "ecc-p256";
	char keypath[4096], pubpath[4096], keyid[DSSE_KEYID_LEN];
	EVP_PKEY *key = NULL;
	gw_error err = { { 0 } };
	int ret = GW_EXIT_OK;
	bool json = false;
	int rc, c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			prefix = optarg;
			break;
		case 't':
			type = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return GW_EXIT_OK;
		default:
			usage(stderr);
			return GW_EXIT_USAGE;
		}
	}
	if (!prefix || !*prefix || optind != argc) {
		usage(stderr);
		return GW_EXIT_USAGE;
	}
	if (strcmp(type, "ecc-p256") && strcmp(type, "ed25519")) {
		policy_errorf(ctx, "keygen: --type must be ecc-p256 or ed25519, not '%s'", type);
		return GW_EXIT_USAGE;
	}
	if (gw_snprintf(keypath, sizeof(keypath), "%s.key", prefix) ||
	    gw_snprintf(pubpath, sizeof(pubpath), "%s.pub", prefix)) {
		policy_errorf(ctx, "keygen: --out is too long");
		return GW_EXIT_USAGE;
	}
	/* Refuse before generating anything, and again (O_EXCL) when writing. */
	if (!access(keypath, F_OK) || !access(pubpath, F_OK)) {
		policy_errorf(ctx, "keygen: %s exists: not overwriting it",
			      access(keypath, F_OK) ? pubpath : keypath);
		return GW_EXIT_ERROR;
	}
	key = !strcmp(type, "ed25519") ? EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")
				       : EVP_EC_gen("P-256");
	if (!key) {
		ERR_clear_error();
		policy_errorf(ctx, "keygen: generating a %s key failed", type);
		ret = GW_EXIT_ERROR;
		goto out;
	}
	rc = dsse_keyid(key, keyid);
	if (!rc)
		rc = policy_key_write(keypath, key, &err);
	if (rc) {
		policy_errorf(ctx, "keygen: %s", gw_error_msg(&err, rc));
		ret = gw_exit_for(rc);
		goto out;
	}
	rc = write_pub(pubpath, key, &err);
	if (rc) {
		policy_errorf(ctx, "keygen: %s", gw_error_msg(&err, rc));
		unlink(keypath);
		ret = gw_exit_for(rc);
		goto out;
	}
	if (json)
		print_json(keyid, type, keypath, pubpath);
	else
		printf("%s\n", keyid);
out:
	EVP_PKEY_free(key);
	return ret;
}
