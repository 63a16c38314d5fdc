// SPDX-License-Identifier: Apache-2.0
// The device's TLS identity in the state directory: its key and certificate, a new
// pair installed so that a crash never leaves the device without a working one.
#include "identity.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "enroll_state.h"
#include "util.h"

#define IDENTITY_MAX_FILE 16384

static int path_of(const struct agent_ctx *ctx, const char *name, char *buf, gw_error *err)
{
	if (agent_path(ctx, name, buf, PATH_MAX))
		return gw_fail(err, GW_E_INVAL, "state directory path too long");
	return 0;
}

int identity_key_create(const char *path, EVP_PKEY **out, gw_error *err)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	BIO *bio = BIO_new(BIO_s_secmem());
	char *pem = NULL;
	long len;
	int rc;

	if (!key || !bio || !PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL)) {
		rc = gw_fail(err, GW_E_CRYPTO, "generating the TLS key failed");
		goto out;
	}
	len = BIO_get_mem_data(bio, &pem);
	/* A temporary file created 0600 O_EXCL|O_NOFOLLOW, fsynced, renamed, and the
	 * directory fsynced. */
	rc = gw_write_file_atomic(path, pem, (size_t)len, 0600, err);
	if (rc)
		goto out;
	*out = key; /* transferred */
	key = NULL;
out:
	BIO_free(bio); /* a secmem BIO is cleansed when freed */
	EVP_PKEY_free(key);
	return rc;
}

int identity_key_read(const char *path, EVP_PKEY **out, gw_error *err)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	BIO *bio = NULL;
	EVP_PKEY *key = NULL;
	int rc = gw_read_file(path, IDENTITY_MAX_FILE, &buf, &len, err);

	if (rc)
		return rc;
	bio = BIO_new_mem_buf(buf, (int)len);
	key = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
	if (!key || !EVP_PKEY_is_a(key, "EC") || EVP_PKEY_get_bits(key) != 256) {
		rc = gw_fail(err, GW_E_KEY, "%s: not an ECC P-256 private key (PEM)", path);
		goto out;
	}
	*out = key; /* transferred */
	key = NULL;
out:
	EVP_PKEY_free(key);
	BIO_free(bio);
	gw_wipe(buf, len);
	free(buf);
	return rc;
}

static int cert_read(const char *path, X509 **out, gw_error *err)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	BIO *bio = NULL;
	X509 *x = NULL;
	int rc = gw_read_file(path, IDENTITY_MAX_FILE, &buf, &len, err);

	if (rc)
		return rc;
	bio = BIO_new_mem_buf(buf, (int)len);
	x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	if (!x)
		rc = gw_fail(err, GW_E_PARSE, "%s: no PEM certificate", path);
	else
		*out = x; /* transferred */
	BIO_free(bio);
	free(buf);
	return rc;
}

/* The certificate is for key. */
static bool cert_is_for(X509 *x, EVP_PKEY *key)
{
	EVP_PKEY *pub = X509_get_pubkey(x);
	bool ok = pub && EVP_PKEY_eq(pub, key) == 1;

	EVP_PKEY_free(pub);
	return ok;
}

int identity_read(const struct agent_ctx *ctx, struct identity_facts *out, gw_error *err)
{
	char kpath[PATH_MAX], cpath[PATH_MAX];
	struct identity_facts f;
	gw_error why = { { 0 } };
	EVP_PKEY *key = NULL;
	X509 *x = NULL;
	int rc;

	memset(&f, 0, sizeof(f));
	if ((rc = path_of(ctx, ENROLL_TLS_KEY_FILE, kpath, err)) ||
	    (rc = path_of(ctx, ENROLL_TLS_CERT_FILE, cpath, err)))
		return rc;
	if ((rc = identity_key_read(kpath, &key, &why)) || (rc = cert_read(cpath, &x, &why))) {
		snprintf(f.why, sizeof(f.why), "%s", gw_error_msg(&why, rc));
	} else if (!cert_is_for(x, key)) {
		snprintf(f.why, sizeof(f.why), "%s is not the certificate of %s",
			 ENROLL_TLS_CERT_FILE, ENROLL_TLS_KEY_FILE);
	} else if (certinfo_get(x, &f.cert)) {
		snprintf(f.why, sizeof(f.why), "%s: unreadable serial or validity",
			 ENROLL_TLS_CERT_FILE);
	} else {
		f.usable = true;
	}
	*out = f;
	EVP_PKEY_free(key);
	X509_free(x);
	return 0;
}

int identity_install(const struct agent_ctx *ctx, EVP_PKEY *new_key, const char *cert_pem,
		     struct certinfo *info, gw_error *err)
{
	char path[PATH_MAX], why[2 * PATH_MAX + 1100];
	BIO *bio = BIO_new_mem_buf(cert_pem, -1);
	X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	bool done = false;
	int rc;

	if (!x || !cert_is_for(x, new_key)) {
		rc = gw_fail(err, GW_E_KEY, "the new certificate is not for the new TLS key");
		goto out;
	}
	if (certinfo_get(x, info)) {
		rc = gw_fail(err, GW_E_PARSE, "the new certificate: unreadable serial or validity");
		goto out;
	}
	rc = path_of(ctx, IDENTITY_NEW_CERT_FILE, path, err);
	if (!rc)
		rc = gw_write_file_atomic(path, cert_pem, strlen(cert_pem), 0644, err);
	if (!rc)
		rc = identity_complete(ctx, &done, why, sizeof(why), err);
	if (!rc && !done)
		rc = gw_fail(err, GW_E_STATE, "the new key and certificate were not installed%s%s",
			     why[0] ? ": discarded " : "", why);
out:
	X509_free(x);
	BIO_free(bio);
	return rc;
}

/* After a crash between the two renames the new key is tls.key already. */
static int new_key_of(const char *knew, const char *key, bool *key_is_new, EVP_PKEY **out,
		      gw_error *err)
{
	*key_is_new = access(knew, F_OK) == 0;
	return identity_key_read(*key_is_new ? knew : key, out, err);
}

/* Leftovers that cannot be read (a disk error, a crash of the file system) would
 * stop every round: they are removed, and *why says what was thrown away. A broken
 * tls.key itself is left to identity_read (unusable: the TPM recovers the device). */
static int discard_unreadable(const char *cnew, const char *knew, bool key_is_new,
			      const gw_error *cause, int cause_rc, char *why, size_t why_len,
			      gw_error *err)
{
	snprintf(why, why_len, "%s%s%s: %s", cnew, key_is_new ? " and " : "",
		 key_is_new ? knew : "", gw_error_msg(cause, cause_rc));
	if (unlink(cnew) && errno != ENOENT)
		return gw_fail(err, GW_E_IO, "%s: %s", cnew, strerror(errno));
	if (key_is_new && unlink(knew) && errno != ENOENT)
		return gw_fail(err, GW_E_IO, "%s: %s", knew, strerror(errno));
	return 0;
}

/* Temporary files of tls.key.new and tls.pem.new a crash left behind (a private
 * key among them): written only under the state lock, which the caller holds, so
 * none is being written now. */
static int sweep_temps(const struct agent_ctx *ctx, gw_error *err)
{
	static const char *const prefixes[] = { IDENTITY_NEW_KEY_FILE GW_TMP_INFIX,
						IDENTITY_NEW_CERT_FILE GW_TMP_INFIX };
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d = opendir(ctx->state_dir);
	int rc = 0;

	if (!d)
		return errno == ENOENT ? 0 : gw_fail(err, GW_E_IO, "%s: %s", ctx->state_dir,
						     strerror(errno));
	while (!rc && (de = readdir(d))) {
		for (size_t i = 0; i < GW_ARRAY_SIZE(prefixes); i++) {
			if (strncmp(de->d_name, prefixes[i], strlen(prefixes[i])))
				continue;
			if (gw_snprintf(path, sizeof(path), "%s/%s", ctx->state_dir, de->d_name))
				rc = gw_fail(err, GW_E_TOOBIG, "%s: path too long", ctx->state_dir);
			else if (unlink(path) && errno != ENOENT)
				rc = gw_fail(err, GW_E_IO, "%s: %s", path, strerror(errno));
		}
	}
	closedir(d);
	return rc;
}

int identity_complete(const struct agent_ctx *ctx, bool *completed, char *discarded,
		      size_t discarded_len, gw_error *err)
{
	char knew[PATH_MAX], cnew[PATH_MAX], key[PATH_MAX], cert[PATH_MAX];
	EVP_PKEY *k = NULL;
	X509 *x = NULL;
	bool key_is_new = false;
	gw_error cause = { { 0 } };
	int rc;

	*completed = false;
	if (discarded_len)
		discarded[0] = '\0';
	rc = sweep_temps(ctx, err);
	if (rc)
		return rc;
	if ((rc = path_of(ctx, IDENTITY_NEW_KEY_FILE, knew, err)) ||
	    (rc = path_of(ctx, IDENTITY_NEW_CERT_FILE, cnew, err)) ||
	    (rc = path_of(ctx, ENROLL_TLS_KEY_FILE, key, err)) ||
	    (rc = path_of(ctx, ENROLL_TLS_CERT_FILE, cert, err)))
		return rc;
	/* Only a saved certificate commits a new pair; a new key alone is the
	 * leftover of an attempt that got no certificate, replaced by the next. */
	if (access(cnew, F_OK) != 0)
		return errno == ENOENT ? 0 : gw_fail(err, GW_E_IO, "%s: %s", cnew, strerror(errno));
	rc = cert_read(cnew, &x, &cause);
	if (!rc)
		rc = new_key_of(knew, key, &key_is_new, &k, &cause);
	if (rc) {
		rc = discard_unreadable(cnew, knew, key_is_new, &cause, rc, discarded,
					discarded_len, err);
		goto out;
	}
	if (!cert_is_for(x, k)) {
		/* Not the new key's: never installed, never used. */
		if (unlink(cnew))
			rc = gw_fail(err, GW_E_IO, "%s: %s", cnew, strerror(errno));
		goto out;
	}
	/* The key first: a crash between the two leaves the new key in place and
	 * the new certificate waiting, which the next call installs. */
	if (key_is_new && (rc = gw_rename_durable(knew, key, err)))
		goto out;
	rc = gw_rename_durable(cnew, cert, err);
	if (!rc)
		*completed = true;
out:
	EVP_PKEY_free(k);
	X509_free(x);
	return rc;
}
