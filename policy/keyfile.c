// SPDX-License-Identifier: Apache-2.0
// gwpolicy's key files: private keys created 0600 and never overwritten, public
// keys as PEM SubjectPublicKeyInfo.
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "policy.h"
#include "util.h"

#define KEY_FILE_MAX (64u * 1024)

int policy_key_write(const char *path, EVP_PKEY *key, gw_error *err)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *pem = NULL;
	long len = 0;
	size_t off = 0;
	int fd = -1;
	int rc = 0;

	if (!bio)
		return GW_E_NOMEM;
	/* The mem BIO clears its buffer when freed; nothing is copied out of it. */
	if (!PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) ||
	    (len = BIO_get_mem_data(bio, &pem)) <= 0) {
		ERR_clear_error();
		rc = gw_fail(err, GW_E_CRYPTO, "encoding a private key");
		goto out;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = gw_fail(err, errno == EEXIST ? GW_E_EXISTS : GW_E_IO, "%s: %s", path,
			     strerror(errno));
		goto out;
	}
	while (off < (size_t)len) {
		ssize_t n = write(fd, pem + off, (size_t)len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = gw_fail(err, GW_E_IO, "%s: %s", path, strerror(errno));
			goto out;
		}
		off += (size_t)n;
	}
	if (fsync(fd))
		rc = gw_fail(err, GW_E_IO, "%s: %s", path, strerror(errno));
out:
	if (fd >= 0)
		close(fd);
	if (rc && fd >= 0)
		unlink(path);
	BIO_free(bio);
	return rc;
}

static int read_pem(const char *path, bool private, EVP_PKEY **out, gw_error *err)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	BIO *bio = NULL;
	EVP_PKEY *key = NULL;
	int rc;

	rc = gw_read_file(path, KEY_FILE_MAX, &buf, &len, err);
	if (rc)
		return rc;
	bio = BIO_new_mem_buf(buf, (int)len);
	if (bio)
		key = private ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL)
			      : PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	BIO_free(bio);
	ERR_clear_error();
	gw_wipe(buf, len);
	free(buf);
	if (!key)
		return gw_fail(err, GW_E_KEY, "%s: not a PEM %s key", path,
			       private ? "private" : "public");
	*out = key; /* transferred */
	return 0;
}

int policy_key_read(const char *path, EVP_PKEY **out, gw_error *err)
{
	return read_pem(path, true, out, err);
}

int policy_pub_read(const char *path, EVP_PKEY **out, gw_error *err)
{
	return read_pem(path, false, out, err);
}
