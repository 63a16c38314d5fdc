// SPDX-License-Identifier: Apache-2.0
// The verifier's release key: read only from a file nobody else can read or
// replace, and only a P-256 key (what keywrap wraps content keys for).
#include "relkey.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "keywrap.h"
#include "pki.h"
#include "util.h"

#define RELKEY_MAX_FILE (64u * 1024)

/* The file at fd may hold the key: a regular file of mode 0600 or stricter owned
 * by us or root. */
static int check_file(int fd, const char *path, gw_error *err)
{
	struct stat sb;
	uid_t me = geteuid();

	if (fstat(fd, &sb))
		return gw_fail(err, GW_E_IO, "release key %s: %s", path, strerror(errno));
	if (!S_ISREG(sb.st_mode))
		return gw_fail(err, GW_E_CONFIG, "release key %s: not a regular file", path);
	if (sb.st_mode & 077)
		return gw_fail(err, GW_E_CONFIG,
			       "release key %s: mode %04o lets group or others at it; it must "
			       "be 0600 or stricter (chmod 600 %s)",
			       path, (unsigned)(sb.st_mode & 07777), path);
	if (sb.st_uid != me && sb.st_uid != 0)
		return gw_fail(err, GW_E_CONFIG,
			       "release key %s: owned by uid %lu, not by this user (uid %lu) "
			       "or root",
			       path, (unsigned long)sb.st_uid, (unsigned long)me);
	if (sb.st_size <= 0 || (uint64_t)sb.st_size > RELKEY_MAX_FILE)
		return gw_fail(err, sb.st_size <= 0 ? GW_E_KEY : GW_E_TOOBIG,
			       "release key %s: %s", path,
			       sb.st_size <= 0 ? "empty" : "larger than 64 KiB");
	return 0;
}

/* The whole file at fd (size checked) into *buf, NUL-terminated. */
static int read_all(int fd, const char *path, uint8_t **buf, size_t *len, gw_error *err)
{
	uint8_t *b = malloc(RELKEY_MAX_FILE + 1);
	size_t off = 0;
	ssize_t n;

	if (!b)
		return GW_E_NOMEM;
	for (;;) {
		n = read(fd, b + off, RELKEY_MAX_FILE + 1 - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
		if (off > RELKEY_MAX_FILE)
			break;
	}
	if (n < 0 || off > RELKEY_MAX_FILE) {
		gw_wipe(b, off);
		free(b);
		return n < 0 ? gw_fail(err, GW_E_IO, "release key %s: %s", path, strerror(errno))
			     : gw_fail(err, GW_E_TOOBIG, "release key %s: larger than 64 KiB",
				       path);
	}
	b[off] = '\0';
	*buf = b;
	*len = off;
	return 0;
}

int relkey_load(const char *path, EVP_PKEY **out, gw_error *err)
{
	uint8_t *buf = NULL, point[KEYWRAP_POINT_LEN];
	size_t len = 0;
	EVP_PKEY *key = NULL;
	BIO *bio = NULL;
	int fd, rc;

	*out = NULL;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT)
			return gw_fail(err, GW_E_NOTFOUND, "release key %s: no such file", path);
		if (errno == ELOOP)
			return gw_fail(err, GW_E_CONFIG, "release key %s: a symbolic link "
							 "(name the file itself)", path);
		return gw_fail(err, GW_E_IO, "release key %s: %s", path, strerror(errno));
	}
	rc = check_file(fd, path, err);
	if (!rc)
		rc = read_all(fd, path, &buf, &len, err);
	close(fd);
	if (rc)
		return rc;
	bio = BIO_new_mem_buf(buf, (int)len);
	if (bio)
		key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	ERR_clear_error();
	gw_wipe(buf, len);
	free(buf);
	if (!key)
		return gw_fail(err, GW_E_KEY, "release key %s: not a PEM private key", path);
	if (keywrap_point(key, point, NULL)) {
		EVP_PKEY_free(key);
		return gw_fail(err, GW_E_KEY, "release key %s: not an ECC P-256 key", path);
	}
	*out = key;
	return 0;
}

int relkey_kid(EVP_PKEY *key, char kid[RELKEY_KID_LEN], gw_error *err)
{
	int rc = dsse_keyid(key, kid);

	if (rc)
		return gw_fail(err, rc, "release key: computing its kid");
	return 0;
}

int relkey_create(const char *path, gw_error *err)
{
	EVP_PKEY *key = NULL;
	int rc = pki_key_generate(&key, err);

	if (!rc)
		rc = pki_key_write(path, key, err);
	EVP_PKEY_free(key);
	return rc;
}
