// SPDX-License-Identifier: Apache-2.0
// gwverifier release add: the copy is what gets verified and stored, so a file
// changed under the operator's path after the check cannot slip in.
#include "release_add.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/evp.h>

#include "boot_files.h"
#include "bundle.h"
#include "bundle_crypt.h"
#include "jsonobj.h"
#include "relkey.h"
#include "root.h"
#include "util.h"

#define COPY_BUF (64u * 1024)
#define PATH_MAX_TMP (PATH_MAX + 64)

const char *release_refusal_name(enum release_refusal r)
{
	static const char *const names[] = {
		[RELEASE_REFUSED_ROOT] = "root",
		[RELEASE_REFUSED_SIGNATURE] = "signature",
		[RELEASE_REFUSED_BUNDLE] = "bundle",
		[RELEASE_REFUSED_EXPIRED] = "expired",
		[RELEASE_REFUSED_CHANNEL] = "channel",
		[RELEASE_REFUSED_EXISTS] = "exists",
		[RELEASE_REFUSED_RELEASE_KEY] = "release-key",
		[RELEASE_REFUSED_ENCRYPTION] = "encryption",
	};

	if (r <= RELEASE_OK || (size_t)r >= GW_ARRAY_SIZE(names))
		return NULL;
	return names[r];
}

/* Copy src into the open temporary file out, hashing it: *size and sha256_hex. */
static int copy_hash(int src, int out, uint64_t *size, char sha256_hex[65], gw_error *err)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t *buf = malloc(COPY_BUF), digest[32];
	uint64_t total = 0;
	ssize_t n;
	int rc = 0;

	if (!md || !buf) {
		rc = GW_E_NOMEM;
		goto out;
	}
	if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		rc = gw_fail(err, GW_E_CRYPTO, "SHA-256 init");
		goto out;
	}
	for (;;) {
		n = read(src, buf, COPY_BUF);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = gw_fail(err, GW_E_IO, "reading the bundle: %s", strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(out, buf + off, (size_t)(n - off));

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				rc = gw_fail(err, GW_E_IO, "writing the bundle copy: %s",
					     strerror(errno));
				goto out;
			}
			off += w;
		}
		if (EVP_DigestUpdate(md, buf, (size_t)n) != 1) {
			rc = gw_fail(err, GW_E_CRYPTO, "SHA-256 update");
			goto out;
		}
		total += (uint64_t)n;
	}
	if (EVP_DigestFinal_ex(md, digest, NULL) != 1) {
		rc = gw_fail(err, GW_E_CRYPTO, "SHA-256 final");
		goto out;
	}
	if (total == 0 || total > INT64_MAX) {
		rc = gw_fail(err, GW_E_PARSE, "the bundle is empty");
		goto out;
	}
	*size = total;
	gw_hex_encode(digest, sizeof(digest), sha256_hex);
out:
	EVP_MD_CTX_free(md);
	free(buf);
	return rc;
}

static int load_root(const struct release_add_opts *o, struct root **out, gw_error *err)
{
	struct root *r = NULL;
	int rc = root_load(o->trust_root, &r, err);

	if (rc == 0)
		rc = root_verify_self(r, (time_t)o->now, err);
	if (rc) {
		gw_error_prefix(err, "trust root %s: ", o->trust_root);
		root_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

/* Fill the manifest fields of r from m and the options. */
static int fill_release(const struct release_add_opts *o, const struct manifest *m,
			struct store_release *r, gw_error *err)
{
	if (m->nmodels > STORE_RELEASE_MODELS)
		return gw_fail(err, GW_E_PARSE, "the manifest lists too many models");
	memcpy(r->manifest_sha256, m->digest_hex, sizeof(r->manifest_sha256));
	memcpy(r->id, m->digest_hex, STORE_RELEASE_ID_LEN);
	r->id[STORE_RELEASE_ID_LEN] = '\0';
	for (size_t i = 0; i < m->nmodels; i++)
		if (gw_snprintf(r->models[i], sizeof(r->models[i]), "%s", m->models[i]))
			return gw_fail(err, GW_E_PARSE, "a model name is too long");
	r->nmodels = m->nmodels;
	if (gw_snprintf(r->channel, sizeof(r->channel), "%s", m->channel) ||
	    gw_snprintf(r->version, sizeof(r->version), "%s", m->version) ||
	    gw_snprintf(r->added_by, sizeof(r->added_by), "%s", o->actor))
		return gw_fail(err, GW_E_PARSE, "a manifest field is too long");
	if (m->security_version > INT64_MAX)
		return gw_fail(err, GW_E_PARSE, "security version is above 2^63");
	r->security_version = m->security_version;
	r->created = (int64_t)m->created;
	if (m->notes && !(r->notes = strdup(m->notes)))
		return GW_E_NOMEM;
	r->reboot_required = m->reboot_required;
	r->eol_transition = m->eol_transition;
	/* Read here, once, from the verified manifest: the attest round's boot files
	 * check reads them from the store. */
	boot_files_of_manifest(m, r->boot_files, &r->nboot_files);
	r->rollout = o->rollout;
	r->requires_approval = o->require_approval;
	r->critical = o->critical;
	r->deadline = o->critical ? o->deadline : 0;
	r->added_at = o->now;
	return 0;
}

/* The kid named by the wrapped key of encrypted manifest m (checked at parse). */
static int wrapped_kid(const struct manifest *m, char kid[65], gw_error *err)
{
	json_object *w = NULL;
	const char *s = NULL;
	size_t len = 0;
	int rc = gw_json_object_parse(m->wrapped_key, strlen(m->wrapped_key),
				      MANIFEST_WRAPPED_KEY_MAX, 2, "wrapped key", &w, err);

	if (!rc)
		rc = gw_json_get_string(w, "kid", 64, &s, &len, err);
	if (!rc && len != 64)
		rc = gw_fail(err, GW_E_PARSE, "wrapped key: 'kid' is not 64 hex digits");
	if (!rc)
		memcpy(kid, s, 65);
	json_object_put(w);
	return rc;
}

/* Decrypt every payload of br once under cek, discarding the plaintext: each
 * chunk must authenticate and each image match the manifest's size and SHA-256. */
static int decrypt_payloads(struct bundle_reader *br, const struct manifest *m,
			    const uint8_t cek[32], enum release_refusal *why, gw_error *err)
{
	struct bundle_crypt_source *src = NULL;
	const struct manifest_payload *p;
	uint8_t *buf = malloc(COPY_BUF);
	size_t n;
	int rc = buf ? 0 : GW_E_NOMEM;

	for (size_t i = 0; !rc && i < m->npayloads; i++) {
		rc = bundle_next_payload(br, &p, err);
		if (rc) {
			*why = RELEASE_REFUSED_BUNDLE;
			break;
		}
		rc = bundle_crypt_source_new(br, m, i, cek, &src);
		if (rc) {
			*why = RELEASE_OK; /* out of memory: not the bundle's fault */
			break;
		}
		for (n = 1; !rc && n;)
			rc = bundle_crypt_source_read(src, buf, COPY_BUF, &n, err);
		bundle_crypt_source_free(src);
		src = NULL;
		if (rc) {
			*why = RELEASE_REFUSED_ENCRYPTION;
			gw_error_prefix(err, "the content key does not decrypt payload %s: ",
					p->class_name);
		}
	}
	free(buf);
	return rc;
}

/* An encrypted bundle: the release key configured and usable, the content key
 * wrapped for it and decrypting every payload. The content key is wiped. */
static int check_encrypted(struct bundle_reader *br, const struct release_add_opts *o,
			   enum release_refusal *why, gw_error *err)
{
	const struct manifest *m = bundle_manifest(br);
	char want[RELKEY_KID_LEN], ours[RELKEY_KID_LEN];
	EVP_PKEY *key = NULL;
	uint8_t cek[32];
	int rc;

	*why = RELEASE_REFUSED_RELEASE_KEY;
	if (!o->release_key)
		return gw_fail(err, GW_E_CONFIG, "the bundle is encrypted and the config has no "
						 "[releases] release_key to decrypt it with");
	rc = relkey_load(o->release_key, &key, err);
	if (!rc)
		rc = relkey_kid(key, ours, err);
	if (rc)
		goto out;
	*why = RELEASE_REFUSED_ENCRYPTION;
	rc = wrapped_kid(m, want, err);
	if (!rc && strcmp(want, ours))
		rc = gw_fail(err, GW_E_KEY, "the bundle is encrypted for another key (kid %s), "
					    "not this verifier's release key (kid %s)",
			     want, ours);
	if (rc)
		goto out;
	rc = bundle_crypt_unwrap(m, key, cek, err);
	if (rc) {
		gw_error_prefix(err, "the content key does not unwrap with the release key: ");
		goto out;
	}
	rc = decrypt_payloads(br, m, cek, why, err);
	gw_wipe(cek, sizeof(cek));
out:
	EVP_PKEY_free(key);
	if (rc == 0)
		*why = RELEASE_OK;
	return rc;
}

/* Verify the copy at fd whole: envelope against root's targets role, every member
 * against the manifest, nothing after. Classifies a refusal in *why. */
static int verify_copy(int fd, const struct root *root, const struct release_add_opts *o,
		       struct store_release *r, enum release_refusal *why, gw_error *err)
{
	struct bundle_reader *br = NULL;
	const struct manifest *m;
	int rc;

	if (lseek(fd, 0, SEEK_SET) != 0)
		return gw_fail(err, GW_E_IO, "rewinding the bundle copy: %s", strerror(errno));
	rc = bundle_open_fd(fd, root, NULL, &br, err);
	if (rc) {
		*why = rc == GW_E_SIGNATURE ? RELEASE_REFUSED_SIGNATURE : RELEASE_REFUSED_BUNDLE;
		goto out;
	}
	m = bundle_manifest(br);
	if (m->expires && (int64_t)m->expires <= o->now) {
		*why = RELEASE_REFUSED_EXPIRED;
		rc = gw_fail(err, GW_E_STATE, "the manifest expired");
		goto out;
	}
	if (o->channel && strcmp(o->channel, m->channel)) {
		*why = RELEASE_REFUSED_CHANNEL;
		rc = gw_fail(err, GW_E_STATE, "the manifest is for channel '%s', not '%s' (a "
					      "device refuses a bundle of another channel)",
			     m->channel, o->channel);
		goto out;
	}
	if (m->encrypted && (rc = check_encrypted(br, o, why, err)))
		goto out;
	rc = bundle_finish(br, err);
	if (rc) {
		*why = RELEASE_REFUSED_BUNDLE;
		goto out;
	}
	rc = fill_release(o, m, r, err);
	if (rc)
		*why = RELEASE_REFUSED_BUNDLE;
out:
	bundle_reader_free(br);
	return rc;
}

static void audit_add(struct store *st, const struct release_add_opts *o,
		      const struct store_release *r, enum release_refusal why,
		      const char *reason)
{
	struct store_audit a = { .ts = o->now, .actor = o->actor, .action = "release.add" };
	json_object *d = json_object_new_object();

	if (!d)
		return;
	json_object_object_add(d, "bundle", json_object_new_string(o->bundle));
	if (r->id[0]) {
		json_object_object_add(d, "release", json_object_new_string(r->id));
		json_object_object_add(d, "manifest_sha256",
				       json_object_new_string(r->manifest_sha256));
	}
	if (r->sha256[0])
		json_object_object_add(d, "sha256", json_object_new_string(r->sha256));
	if (why != RELEASE_OK) {
		json_object_object_add(d, "refused",
				       json_object_new_string(release_refusal_name(why)));
		json_object_object_add(d, "reason", json_object_new_string(reason));
	}
	a.outcome = why == RELEASE_OK ? "ok" : "refused";
	a.detail = json_object_to_json_string_ext(d, JSON_C_TO_STRING_PLAIN);
	/* A refusal is recorded on its own; nothing else changed. Best effort: the
	 * refusal itself is what the operator sees. */
	if (store_audit_append(st, &a, NULL, NULL))
		a.outcome = NULL;
	json_object_put(d);
}

/* Move the verified copy tmp to its content address and store r, audited in the
 * same transaction. The file stays only if the release is stored or the same file
 * was there before. */
static int install(struct store *st, const struct release_add_opts *o, const char *tmp,
		   struct store_release *r, enum release_refusal *why, gw_error *err)
{
	struct store_release old;
	struct store_audit a = { .ts = o->now, .actor = o->actor, .action = "release.add",
				 .outcome = "ok" };
	json_object *d = NULL;
	struct stat sb;
	bool existed;
	int rc;

	memset(&old, 0, sizeof(old));
	rc = store_release_get(st, r->id, &old, NULL);
	store_release_fini(&old);
	if (rc == 0) {
		*why = RELEASE_REFUSED_EXISTS;
		return gw_fail(err, GW_E_EXISTS, "release %s (manifest %s) is stored already",
			       r->id, r->manifest_sha256);
	}
	if (gw_snprintf(r->bundle_path, sizeof(r->bundle_path), "%s/%s.gwb", o->dir, r->sha256))
		return gw_fail(err, GW_E_TOOBIG, "release directory path too long");
	d = json_object_new_object();
	if (!d)
		return GW_E_NOMEM;
	json_object_object_add(d, "release", json_object_new_string(r->id));
	json_object_object_add(d, "version", json_object_new_string(r->version));
	json_object_object_add(d, "security_version",
			       json_object_new_int64((int64_t)r->security_version));
	json_object_object_add(d, "sha256", json_object_new_string(r->sha256));
	json_object_object_add(d, "rollout", json_object_new_int((int)r->rollout));
	json_object_object_add(d, "requires_approval",
			       json_object_new_boolean(r->requires_approval));
	json_object_object_add(d, "critical", json_object_new_boolean(r->critical));
	json_object_object_add(d, "eol_transition", json_object_new_boolean(r->eol_transition));
	a.detail = json_object_to_json_string_ext(d, JSON_C_TO_STRING_PLAIN);
	existed = lstat(r->bundle_path, &sb) == 0;
	rc = gw_rename_durable(tmp, r->bundle_path, err);
	if (rc)
		goto out;
	rc = store_release_put(st, r, &a, err);
	if (rc == GW_E_EXISTS)
		*why = RELEASE_REFUSED_EXISTS;
	if (rc && !existed)
		(void)unlink(r->bundle_path);
out:
	json_object_put(d);
	return rc;
}

int release_add(struct store *st, const struct release_add_opts *o, struct store_release *out,
		enum release_refusal *why, gw_error *err)
{
	struct store_release r;
	struct root *root = NULL;
	char tmp[PATH_MAX_TMP], incoming[PATH_MAX_TMP];
	int src = -1, fd = -1, rc;
	struct stat sb;

	memset(&r, 0, sizeof(r));
	*why = RELEASE_OK;
	tmp[0] = '\0';
	rc = load_root(o, &root, err);
	if (rc) {
		*why = RELEASE_REFUSED_ROOT;
		goto out;
	}
	src = open(o->bundle, O_RDONLY | O_CLOEXEC);
	if (src < 0 || fstat(src, &sb) || !S_ISREG(sb.st_mode)) {
		rc = gw_fail(err, src < 0 && errno == ENOENT ? GW_E_NOTFOUND : GW_E_IO,
			     "%s: not a readable regular file", o->bundle);
		goto out;
	}
	if ((rc = gw_mkdir_p(o->dir, 0700, err)) ||
	    (rc = gw_snprintf(incoming, sizeof(incoming), "%s/incoming.gwb", o->dir)) ||
	    (rc = gw_open_tmp(incoming, 0600, tmp, sizeof(tmp), &fd, err)))
		goto out;
	rc = copy_hash(src, fd, &r.size, r.sha256, err);
	if (rc == 0 && fsync(fd))
		rc = gw_fail(err, GW_E_IO, "fsync %s: %s", tmp, strerror(errno));
	if (rc)
		goto out;
	/* The temporary file is open for writing only: verify it through a new
	 * descriptor, on the bytes that were written. */
	close(fd);
	fd = open(tmp, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		rc = gw_fail(err, GW_E_IO, "reopening %s: %s", tmp, strerror(errno));
		goto out;
	}
	rc = verify_copy(fd, root, o, &r, why, err);
	if (rc == 0)
		rc = install(st, o, tmp, &r, why, err);
	if (rc == 0) {
		tmp[0] = '\0'; /* renamed */
		*out = r;  /* transferred */
		memset(&r, 0, sizeof(r));
	}
out:
	if (rc && *why != RELEASE_OK)
		audit_add(st, o, &r, *why, gw_error_msg(err, rc));
	if (fd >= 0)
		close(fd);
	if (src >= 0)
		close(src);
	if (tmp[0])
		(void)unlink(tmp);
	root_free(root);
	store_release_fini(&r);
	return rc;
}

int release_bundle_encryption(const char *path, bool *encrypted, char kid[65], gw_error *err)
{
	struct bundle_reader *br = NULL;
	const struct manifest *m;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc;

	if (fd < 0)
		return gw_fail(err, errno == ENOENT ? GW_E_NOTFOUND : GW_E_IO, "%s: %s", path,
			       strerror(errno));
	rc = bundle_open_unverified(fd, &br, err);
	if (!rc) {
		m = bundle_manifest(br);
		*encrypted = m->encrypted;
		kid[0] = '\0';
		if (m->encrypted)
			rc = wrapped_kid(m, kid, err);
	}
	bundle_reader_free(br);
	close(fd);
	return rc;
}
