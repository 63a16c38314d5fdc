// SPDX-License-Identifier: Apache-2.0
// gwpolicy bundle decrypt: the release engineer's check of an encrypted bundle —
// verified as a device verifies it, the content key unwrapped with the release
// key, each image decrypted as a stream into DIR/CLASS and checked against the
// manifest.
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "bundle_crypt.h"
#include "bundle_cli.h"
#include "root_cli.h"
#include "util.h"

#define DECRYPT_BUF (64u * 1024)

static void decrypt_usage(FILE *f)
{
	fprintf(f,
		"usage: gwpolicy bundle decrypt --root ROOT --key RELEASE.key\n"
		"         [--out DIR] [--content-key-out FILE] BUNDLE\n\n"
		"Verifies BUNDLE (- for standard input) as 'bundle verify' does, unwraps its\n"
		"content key with the verifier's release private key, and decrypts each image\n"
		"into DIR/CLASS (mode 0600, written atomically; DIR must exist). Every chunk\n"
		"is authenticated before it is written, and each image's size and SHA-256\n"
		"must be the manifest's. Prints which payloads decrypted. Exit 0 when all did;\n"
		"%d signatures or a chunk that does not authenticate, %d malformed or the\n"
		"wrong key, %d a digest, %d not encrypted.\n\n"
		"  --root ROOT       the signed trust root (root.json)\n"
		"  --key KEY         the release private key (PEM, from gwpolicy keygen)\n"
		"  --out DIR         where the images go\n"
		"  --content-key-out FILE  write the bundle's content key (64 hex digits, a\n"
		"                    new file, mode 0600) for a test or manual install\n"
		"                    (gwagent update install --content-key-file): anyone with\n"
		"                    it can decrypt the bundle. Without --out only the key is\n"
		"                    unwrapped (the images are not decrypted)\n",
		GW_EXIT_SIGNATURE, GW_EXIT_EVIDENCE, GW_EXIT_REFERENCE, GW_EXIT_STATE);
}

struct decrypt_opts {
	const char *root, *key, *dir, *file, *key_out;
};

static int decrypt_args(int argc, char **argv, struct decrypt_opts *o)
{
	static const struct option opts[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "key", required_argument, NULL, 'k' },
		{ "out", required_argument, NULL, 'o' },
		{ "content-key-out", required_argument, NULL, 'K' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r': o->root = optarg; break;
		case 'k': o->key = optarg; break;
		case 'o': o->dir = optarg; break;
		case 'K': o->key_out = optarg; break;
		case 'h':
			decrypt_usage(stdout);
			return -1;
		default:
			decrypt_usage(stderr);
			return GW_EXIT_USAGE;
		}
	}
	if (optind != argc - 1 || !o->root || !o->key || (!o->dir && !o->key_out)) {
		decrypt_usage(stderr);
		return GW_EXIT_USAGE;
	}
	o->file = argv[optind];
	return 0;
}

/* One payload into DIR/CLASS through a temporary file, renamed only when the
 * whole image decrypted and matched. */
static int decrypt_one(struct bundle_reader *r, const struct manifest *m, size_t i,
		       const uint8_t cek[32], const char *dir, uint8_t *buf, gw_error *err)
{
	struct bundle_crypt_source *src = NULL;
	const struct manifest_payload *p = NULL;
	char path[PATH_MAX], tmp[PATH_MAX];
	size_t n = 1;
	int fd = -1;
	int rc = bundle_next_payload(r, &p, err);

	if (!rc)
		rc = gw_snprintf(path, sizeof(path), "%s/%s", dir, p->class_name);
	if (!rc)
		rc = bundle_crypt_source_new(r, m, i, cek, &src);
	if (!rc)
		rc = gw_open_tmp(path, 0600, tmp, sizeof(tmp), &fd, err);
	if (rc)
		goto out;
	while (!rc && n) {
		rc = bundle_crypt_source_read(src, buf, DECRYPT_BUF, &n, err);
		if (!rc && n && write(fd, buf, n) != (ssize_t)n)
			rc = gw_fail(err, GW_E_IO, "%s: %s", tmp, strerror(errno));
	}
	if (!rc && fsync(fd))
		rc = gw_fail(err, GW_E_IO, "%s: %s", tmp, strerror(errno));
	if (close(fd) && !rc)
		rc = gw_fail(err, GW_E_IO, "%s: %s", tmp, strerror(errno));
	fd = -1;
	if (!rc)
		rc = gw_rename_durable(tmp, path, err);
	if (rc)
		unlink(tmp);
	else
		printf("payload %-10s decrypted  %12llu bytes  sha256 ok  -> %s\n", p->class_name,
		       (unsigned long long)p->size, path);
out:
	if (rc && p)
		gw_error_prefix(err, "payload %s: ", p->class_name);
	if (fd >= 0)
		close(fd);
	bundle_crypt_source_free(src);
	return rc;
}

/* The content key as hex into a new file of mode 0600. */
static int write_key(const char *path, const uint8_t cek[32], gw_error *err)
{
	char hex[66];
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	int rc = 0;

	if (fd < 0)
		return gw_fail(err, errno == EEXIST ? GW_E_EXISTS : GW_E_IO, "%s: %s", path,
			       strerror(errno));
	gw_hex_encode(cek, 32, hex);
	hex[64] = '\n';
	if (write(fd, hex, 65) != 65 || fsync(fd))
		rc = gw_fail(err, GW_E_IO, "%s: %s", path, strerror(errno));
	if (close(fd) && !rc)
		rc = gw_fail(err, GW_E_IO, "%s: %s", path, strerror(errno));
	OPENSSL_cleanse(hex, sizeof(hex));
	if (rc)
		unlink(path);
	return rc;
}

static int decrypt_all(const struct decrypt_opts *o, struct bundle_reader *r, gw_error *err)
{
	const struct manifest *m = bundle_manifest(r);
	EVP_PKEY *key = NULL;
	uint8_t cek[32], *buf = malloc(DECRYPT_BUF);
	int rc = buf ? policy_key_read(o->key, &key, err) : GW_E_NOMEM;

	if (!rc && !m->encrypted)
		rc = gw_fail(err, GW_E_STATE, "the bundle is not encrypted");
	if (!rc) {
		rc = bundle_crypt_unwrap(m, key, cek, err);
		if (rc)
			gw_error_prefix(err, "--key %s: ", o->key);
	}
	for (size_t i = 0; !rc && o->dir && i < m->npayloads; i++)
		rc = decrypt_one(r, m, i, cek, o->dir, buf, err);
	if (!rc && o->dir)
		rc = bundle_finish(r, err);
	if (!rc && o->key_out)
		rc = write_key(o->key_out, cek, err);
	OPENSSL_cleanse(cek, sizeof(cek));
	EVP_PKEY_free(key);
	free(buf);
	return rc;
}

int cmd_bundle_decrypt(struct policy_ctx *ctx, int argc, char **argv)
{
	struct decrypt_opts o = { 0 };
	struct bundle_reader *r = NULL;
	struct root *root = NULL;
	gw_error err = { { 0 } };
	int ret = decrypt_args(argc, argv, &o);
	int rc = 0, fd = -1;

	if (ret)
		return ret < 0 ? GW_EXIT_OK : ret;
	rc = root_load(o.root, &root, &err);
	if (!rc)
		rc = root_verify_self(root, time(NULL), &err);
	if (rc) {
		gw_error_prefix(&err, "--root %s: ", o.root);
		goto out;
	}
	if (!strcmp(o.file, "-")) {
		fd = STDIN_FILENO;
	} else if ((fd = open(o.file, O_RDONLY | O_CLOEXEC)) < 0) {
		rc = gw_fail(&err, errno == ENOENT ? GW_E_NOTFOUND : GW_E_IO, "%s: %s", o.file,
			     strerror(errno));
		goto out;
	}
	rc = bundle_open_fd(fd, root, NULL, &r, &err);
	if (!rc)
		rc = decrypt_all(&o, r, &err);
	if (rc)
		gw_error_prefix(&err, "%s: ", o.file);
	else if (o.dir)
		printf("OK: %zu payload%s decrypted into %s\n", bundle_manifest(r)->npayloads,
		       bundle_manifest(r)->npayloads == 1 ? "" : "s", o.dir);
	else
		printf("OK: content key unwrapped into %s (images not decrypted)\n", o.key_out);
out:
	if (rc) {
		ret = root_exit_for(rc);
		policy_errorf(ctx, "bundle decrypt: %s", gw_error_msg(&err, rc));
	}
	bundle_reader_free(r);
	root_free(root);
	if (fd > STDIN_FILENO)
		close(fd);
	return ret;
}
