// SPDX-License-Identifier: Apache-2.0
// Bundles: a streaming libarchive reader that verifies the manifest's envelope
// first and then checks each member against it, and the deterministic writer.
#include "bundle.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "payload_aead.h"
#include "tarwalk.h"
#include "util.h"

/* The one buffer bytes of the bundle pass through on their way in or out. */
#define BUNDLE_BLOCK (64u * 1024)

enum reader_state {
	R_BETWEEN,	/* before a payload, or after one whose digest matched */
	R_IN_PAYLOAD,	/* a payload's bytes are being read */
	R_DONE,		/* the archive ended after the last payload */
	R_FAILED,	/* an error was returned: nothing more is read */
};

struct bundle_reader {
	struct archive *a;
	int fd;
	bool src_eof; /* the source ended while libarchive wanted more */
	int src_errno; /* a read of the source failed (0: none) */
	uint8_t *env_buf;
	size_t env_len;
	struct dsse_envelope *env;
	struct manifest *m;
	bool verified;
	unsigned member; /* members read so far, for messages */
	size_t next;	 /* the manifest's next payload */
	const struct manifest_payload *cur;
	uint64_t left;
	EVP_MD_CTX *sha;
	enum reader_state state;
	struct tar_walk walk;
	uint8_t block[BUNDLE_BLOCK];
};

/* libarchive reads through this, not archive_read_open_fd(): the same fixed
 * buffer, and it tells a source that ended (truncated) or failed (I/O) from a
 * malformed archive. Works on pipes. */
static la_ssize_t src_read(struct archive *a, void *data, const void **buf)
{
	struct bundle_reader *r = data;
	ssize_t n;

	do
		n = read(r->fd, r->block, sizeof(r->block));
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		r->src_errno = errno;
		archive_set_error(a, errno, "reading the bundle: %s", strerror(errno));
		return -1;
	}
	if (n == 0)
		r->src_eof = true;
	tar_walk_feed(&r->walk, r->block, (size_t)n);
	*buf = r->block;
	return n;
}

static int fail(struct bundle_reader *r, int code)
{
	r->state = R_FAILED;
	return code;
}

/* A libarchive failure: the source's error, a source that ended early, or a
 * malformed archive. */
static int arc_fail(struct bundle_reader *r, gw_error *err, const char *what)
{
	const char *msg = archive_error_string(r->a);
	int code = r->src_errno ? GW_E_IO : r->src_eof ? GW_E_TRUNCATED : GW_E_PARSE;

	if (!msg)
		msg = "unknown libarchive error";
	if (code == GW_E_TRUNCATED)
		gw_fail(err, code, "%s: the bundle ends early (truncated): %s", what, msg);
	else
		gw_fail(err, code, "%s: %s", what, msg);
	return fail(r, code);
}

static bool has_dotdot(const char *path)
{
	for (const char *s = path; (s = strstr(s, "..")); s += 2)
		if ((s == path || s[-1] == '/') && (s[2] == '\0' || s[2] == '/'))
			return true;
	return false;
}

static const char *kind_of(struct archive_entry *e)
{
	switch (archive_entry_filetype(e)) {
	case AE_IFDIR:
		return "a directory";
	case AE_IFCHR:
	case AE_IFBLK:
		return "a device";
	case AE_IFIFO:
		return "a FIFO";
	case AE_IFSOCK:
		return "a socket";
	case AE_IFLNK:
		return "a symbolic link";
	default:
		return "not a regular file";
	}
}

/* The header libarchive made of the member, after every pax extension it applied,
 * is a plain regular file at a path that stays inside the bundle. */
static int check_entry(struct bundle_reader *r, struct archive_entry *e, gw_error *err)
{
	const char *path = archive_entry_pathname(e);
	int fmt = archive_format(r->a);
	char name[129], link[129]; /* unverified names, cleaned for messages */

	if (fmt != ARCHIVE_FORMAT_TAR_USTAR && fmt != ARCHIVE_FORMAT_TAR_PAX_INTERCHANGE &&
	    fmt != ARCHIVE_FORMAT_TAR_PAX_RESTRICTED)
		return gw_fail(err, GW_E_PARSE, "member %u: a %s header, not ustar or pax",
			       r->member, archive_format_name(r->a));
	if (archive_filter_count(r->a) != 1 || archive_filter_code(r->a, 0) != ARCHIVE_FILTER_NONE)
		return gw_fail(err, GW_E_PARSE, "the bundle is compressed (%s): bundles are plain tar",
			       archive_filter_name(r->a, 0));
	if (!path || !*path)
		return gw_fail(err, GW_E_PARSE, "member %u has no path", r->member);
	gw_clean_text(path, name, sizeof(name));
	if (path[0] == '/')
		return gw_fail(err, GW_E_PARSE, "member %u: absolute path '%s'", r->member, name);
	if (has_dotdot(path))
		return gw_fail(err, GW_E_PARSE, "member %u: '..' in path '%s'", r->member, name);
	if (archive_entry_hardlink(e))
		return gw_fail(err, GW_E_PARSE, "member %u '%s': a hard link (to '%s')",
			       r->member, name,
			       gw_clean_text(archive_entry_hardlink(e), link, sizeof(link)));
	if (archive_entry_symlink(e))
		return gw_fail(err, GW_E_PARSE, "member %u '%s': a symbolic link (to '%s')",
			       r->member, name,
			       gw_clean_text(archive_entry_symlink(e), link, sizeof(link)));
	if (archive_entry_filetype(e) != AE_IFREG)
		return gw_fail(err, GW_E_PARSE, "member %u '%s': %s", r->member, name,
			       kind_of(e));
	if (archive_entry_sparse_count(e) > 0)
		return gw_fail(err, GW_E_PARSE, "member %u '%s': a sparse file", r->member,
			       name);
	if (!archive_entry_size_is_set(e) || archive_entry_size(e) < 0)
		return gw_fail(err, GW_E_PARSE, "member %u '%s': no size", r->member, name);
	return 0;
}

/* libarchive stopped at the end marker: the rest of the source must be the
 * second zero block and zero padding. */
static int walk_end(struct bundle_reader *r, gw_error *err)
{
	while (!r->src_eof && !r->walk.err_member) {
		ssize_t n = read(r->fd, r->block, sizeof(r->block));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return fail(r, gw_fail(err, GW_E_IO, "reading the bundle: %s",
					       strerror(errno)));
		if (n == 0)
			r->src_eof = true;
		tar_walk_feed(&r->walk, r->block, (size_t)n);
	}
	if (r->walk.err_member)
		return fail(r, gw_fail(err, GW_E_PARSE, "after member %u: %s", r->member,
				       r->walk.err));
	if (r->walk.state != W_PAD)
		return fail(r, gw_fail(err, GW_E_PARSE, "after member %u: the archive does not "
				       "end with two zero blocks", r->member));
	return GW_E_NOTFOUND;
}

/* What the walk found for the member libarchive just returned. */
static int walk_check(struct bundle_reader *r, struct archive_entry *e, gw_error *err)
{
	const struct tar_walk *w = &r->walk;

	if (w->err_member && w->err_member <= r->member)
		return gw_fail(err, GW_E_PARSE, "member %u: %s", w->err_member, w->err);
	/* A pax 'size' record would make the walk skip the wrong bytes. */
	if (r->member > w->members || w->size[r->member - 1] != archive_entry_size(e))
		return gw_fail(err, GW_E_PARSE, "member %u: a pax size differs from the header's "
			       "(not made by a bundle writer)", r->member);
	return 0;
}

/* The next member's header into *e; GW_E_NOTFOUND when the archive ends. */
static int next_entry(struct bundle_reader *r, struct archive_entry **e, gw_error *err)
{
	int rc = archive_read_next_header(r->a, e);

	if (rc == ARCHIVE_EOF)
		return walk_end(r, err);
	r->member++;
	/* A warning is a header libarchive had to guess at (a malformed pax record, a
	 * name it could not convert): refused like an error. */
	if (rc != ARCHIVE_OK) {
		char what[32];

		snprintf(what, sizeof(what), "member %u", r->member);
		return arc_fail(r, err, what);
	}
	rc = check_entry(r, *e, err);
	if (!rc)
		rc = walk_check(r, *e, err);
	return rc ? fail(r, rc) : 0;
}

static int reader_new(int fd, struct bundle_reader **out, gw_error *err)
{
	struct bundle_reader *r = calloc(1, sizeof(*r));
	int rc = 0;

	if (!r)
		return GW_E_NOMEM;
	r->fd = fd;
	r->a = archive_read_new();
	r->sha = EVP_MD_CTX_new();
	/* Tar only, and no decompression filter: a bundle is a plain POSIX tar, and
	 * every bidder left out is parsing code an attacker cannot reach. */
	if (!r->a || !r->sha || archive_read_support_format_tar(r->a) != ARCHIVE_OK) {
		rc = GW_E_NOMEM;
		goto out;
	}
	/* Opening reads the first block to recognise the format. */
	if (archive_read_open(r->a, r, NULL, src_read, NULL) != ARCHIVE_OK) {
		rc = arc_fail(r, err, "not a bundle (a plain POSIX tar)");
		goto out;
	}
	*out = r; /* transferred */
	r = NULL;
out:
	bundle_reader_free(r);
	return rc;
}

/* The first member: the envelope, read whole (it is capped). */
static int read_envelope(struct bundle_reader *r, gw_error *err)
{
	struct archive_entry *e = NULL;
	int64_t size;
	size_t off = 0;
	int rc = next_entry(r, &e, err);

	if (rc == GW_E_NOTFOUND)
		return fail(r, gw_fail(err, GW_E_PARSE, "an empty tar archive, not a bundle"));
	if (rc)
		return rc;
	if (strcmp(archive_entry_pathname(e), BUNDLE_MANIFEST_MEMBER)) {
		char name[129];

		return fail(r, gw_fail(err, GW_E_PARSE, "the first member is '%s', not '%s'",
				       gw_clean_text(archive_entry_pathname(e), name, sizeof(name)),
				       BUNDLE_MANIFEST_MEMBER));
	}
	size = archive_entry_size(e);
	if ((uint64_t)size > MANIFEST_MAX_SIZE)
		return fail(r, gw_fail(err, GW_E_TOOBIG, "'%s' larger than %u bytes",
				       BUNDLE_MANIFEST_MEMBER, MANIFEST_MAX_SIZE));
	r->env_buf = malloc((size_t)size + 1);
	if (!r->env_buf)
		return fail(r, GW_E_NOMEM);
	while (off < (size_t)size) {
		la_ssize_t n = archive_read_data(r->a, r->env_buf + off, (size_t)size - off);

		if (n < 0)
			return arc_fail(r, err, "'" BUNDLE_MANIFEST_MEMBER "'");
		if (n == 0)
			return fail(r, gw_fail(err, r->src_eof ? GW_E_TRUNCATED : GW_E_PARSE,
					       "'%s': the bundle ends early (truncated)",
					       BUNDLE_MANIFEST_MEMBER));
		off += (size_t)n;
	}
	r->env_buf[off] = '\0';
	r->env_len = off;
	rc = dsse_parse(r->env_buf, r->env_len, &r->env, err);
	if (rc) {
		gw_error_prefix(err, "'%s': ", BUNDLE_MANIFEST_MEMBER);
		return fail(r, rc);
	}
	return 0;
}

static int parse_manifest(struct bundle_reader *r, gw_error *err)
{
	int rc = manifest_parse(r->env->payload, r->env->payload_len, &r->m, err);

	return rc ? fail(r, rc) : 0;
}

static int open_common(int fd, const struct root *root, struct dsse_result *res,
		       struct bundle_reader **out, gw_error *err)
{
	const struct root_role *role = root ? &root->role[ROOT_ROLE_TARGETS] : NULL;
	struct bundle_reader *r = NULL;
	int rc = reader_new(fd, &r, err);

	if (rc)
		return rc;
	rc = read_envelope(r, err);
	/* The signatures before the manifest is even parsed. */
	if (!rc && role) {
		rc = dsse_verify(r->env, role->keys, role->nkeys, role->threshold,
				 MANIFEST_PAYLOAD_TYPE, res, err);
		if (rc)
			gw_error_prefix(err, "manifest signature: ");
	} else if (!rc && strcmp(r->env->payload_type, MANIFEST_PAYLOAD_TYPE)) {
		rc = gw_fail(err, GW_E_PARSE, "payload type '%.64s' is not '%s'",
			     r->env->payload_type, MANIFEST_PAYLOAD_TYPE);
	}
	if (!rc)
		rc = parse_manifest(r, err);
	if (rc) {
		bundle_reader_free(r);
		return rc;
	}
	r->verified = role != NULL;
	*out = r; /* transferred */
	return 0;
}

int bundle_open_fd(int fd, const struct root *root, struct dsse_result *res,
		   struct bundle_reader **out, gw_error *err)
{
	if (!root)
		return gw_fail(err, GW_E_INVAL, "no trust root");
	return open_common(fd, root, res, out, err);
}

int bundle_open_unverified(int fd, struct bundle_reader **out, gw_error *err)
{
	return open_common(fd, NULL, NULL, out, err);
}

const struct manifest *bundle_manifest(const struct bundle_reader *r)
{
	return r->m;
}

const struct dsse_envelope *bundle_dsse(const struct bundle_reader *r)
{
	return r->env;
}

int bundle_envelope(const struct bundle_reader *r, const uint8_t **buf, size_t *len)
{
	if (!r || !r->env_buf)
		return GW_E_INVAL;
	*buf = r->env_buf;
	*len = r->env_len;
	return 0;
}

/* What a member that is not the expected one is: a second copy, one from later in
 * the manifest, or one the manifest does not list. */
static int wrong_member(struct bundle_reader *r, const char *path, const char *expected,
			gw_error *err)
{
	const char *what = "an extra member";
	char name[129];

	if (!strcmp(path, BUNDLE_MANIFEST_MEMBER))
		what = "a duplicated member";
	for (size_t i = 0; i < r->m->npayloads; i++)
		if (!strcmp(path, r->m->payloads[i].member))
			what = i < r->next ? "a duplicated member" : "a member out of manifest order";
	gw_clean_text(path, name, sizeof(name));
	if (!expected)
		return fail(r, gw_fail(err, GW_E_PARSE,
				       "member %u '%s': %s after the last payload", r->member,
				       name, what));
	return fail(r, gw_fail(err, GW_E_PARSE, "member %u '%s': %s (expected '%s')",
			       r->member, name, what, expected));
}

static int drain(struct bundle_reader *r, gw_error *err)
{
	uint8_t buf[4096];
	size_t n = 1;
	int rc = 0;

	while (!rc && r->state == R_IN_PAYLOAD && n)
		rc = bundle_read(r, buf, sizeof(buf), &n, err);
	return rc;
}

static int usable(const struct bundle_reader *r, gw_error *err)
{
	if (r->state == R_FAILED)
		return gw_fail(err, GW_E_STATE, "the bundle reader failed earlier");
	if (!r->verified)
		return gw_fail(err, GW_E_STATE, "the bundle's envelope was not verified");
	return 0;
}

int bundle_next_payload(struct bundle_reader *r, const struct manifest_payload **p,
			gw_error *err)
{
	const struct manifest_payload *want;
	struct archive_entry *e = NULL;
	int rc = usable(r, err);

	if (!rc && r->state == R_DONE)
		rc = GW_E_NOTFOUND;
	if (!rc)
		rc = drain(r, err);
	if (rc)
		return rc;
	want = r->next < r->m->npayloads ? &r->m->payloads[r->next] : NULL;
	rc = next_entry(r, &e, err);
	if (rc == GW_E_NOTFOUND && !want) {
		r->state = R_DONE;
		return GW_E_NOTFOUND;
	}
	if (rc == GW_E_NOTFOUND)
		return fail(r, gw_fail(err, GW_E_PARSE,
				       "'%s' is missing: the bundle ends after %zu of %zu payloads",
				       want->member, r->next, r->m->npayloads));
	if (rc)
		return rc;
	if (!want || strcmp(archive_entry_pathname(e), want->member))
		return wrong_member(r, archive_entry_pathname(e), want ? want->member : NULL, err);
	if ((uint64_t)archive_entry_size(e) != manifest_member_size(r->m, want))
		return fail(r, gw_fail(err, GW_E_PARSE,
				       "member %u '%s': %lld bytes, the manifest says %llu",
				       r->member, want->member, (long long)archive_entry_size(e),
				       (unsigned long long)manifest_member_size(r->m, want)));
	if (EVP_DigestInit_ex(r->sha, EVP_sha256(), NULL) != 1)
		return fail(r, gw_fail(err, GW_E_CRYPTO, "SHA-256 init failed"));
	r->cur = want;
	r->left = manifest_member_size(r->m, want);
	r->next++;
	r->state = R_IN_PAYLOAD;
	*p = want;
	return 0;
}

/* The end of a payload: its digest must be the manifest's. */
static int payload_end(struct bundle_reader *r, gw_error *err)
{
	uint8_t md[32];
	unsigned mdlen = 0;

	if (EVP_DigestFinal_ex(r->sha, md, &mdlen) != 1 || mdlen != sizeof(md))
		return fail(r, gw_fail(err, GW_E_CRYPTO, "SHA-256 failed"));
	if (!gw_ct_equal(md, manifest_member_sha256(r->m, r->cur), sizeof(md)))
		return fail(r, gw_fail(err, GW_E_REFERENCE,
				       "'%s': SHA-256 differs from the manifest's (tampered payload: "
				       "discard what was written)",
				       r->cur->member));
	r->state = R_BETWEEN;
	return 0;
}

int bundle_read(struct bundle_reader *r, uint8_t *buf, size_t len, size_t *n, gw_error *err)
{
	la_ssize_t got;
	int rc = usable(r, err);

	*n = 0;
	if (rc)
		return rc;
	if (r->state != R_IN_PAYLOAD)
		return 0;
	/* *n = 0 says "the end": a request for nothing cannot be answered. */
	if (!len)
		return gw_fail(err, GW_E_INVAL, "a read of 0 bytes");
	if (!r->left)
		return payload_end(r, err);
	if (len > r->left)
		len = (size_t)r->left;
	got = archive_read_data(r->a, buf, len);
	if (got < 0) {
		char what[sizeof(r->cur->member) + 2];

		snprintf(what, sizeof(what), "'%s'", r->cur->member);
		return arc_fail(r, err, what);
	}
	if (got == 0)
		return fail(r, gw_fail(err, r->src_eof ? GW_E_TRUNCATED : GW_E_PARSE,
				       "'%s': the bundle ends %llu bytes early (truncated)",
				       r->cur->member, (unsigned long long)r->left));
	if (EVP_DigestUpdate(r->sha, buf, (size_t)got) != 1)
		return fail(r, gw_fail(err, GW_E_CRYPTO, "SHA-256 failed"));
	r->left -= (uint64_t)got;
	*n = (size_t)got;
	return 0;
}

int bundle_finish(struct bundle_reader *r, gw_error *err)
{
	const struct manifest_payload *p;
	int rc = usable(r, err);

	while (!rc && r->state != R_DONE)
		rc = bundle_next_payload(r, &p, err);
	return rc == GW_E_NOTFOUND ? 0 : rc;
}

void bundle_reader_free(struct bundle_reader *r)
{
	if (!r)
		return;
	archive_read_free(r->a);
	EVP_MD_CTX_free(r->sha);
	dsse_free(r->env);
	manifest_free(r->m);
	free(r->env_buf);
	free(r);
}

/* Deterministic headers: the member's name and size, mode 0644, owner 0:0 with no
 * names, mtime = the manifest's creation time. */
static int write_header(struct archive *a, struct archive_entry *e, const char *name,
			uint64_t size, time_t mtime, gw_error *err)
{
	archive_entry_clear(e);
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)size);
	archive_entry_set_mtime(e, mtime, 0);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	if (archive_write_header(a, e) != ARCHIVE_OK)
		return gw_fail(err, GW_E_IO, "writing the header of '%s': %s", name,
			       archive_error_string(a));
	return 0;
}

static int write_data(struct archive *a, const void *buf, size_t len, const char *name,
		      gw_error *err)
{
	la_ssize_t n = archive_write_data(a, buf, len);

	if (n < 0 || (size_t)n != len)
		return gw_fail(err, GW_E_IO, "writing '%s': %s", name, archive_error_string(a));
	return 0;
}

/* Open an image file: a regular file; *size its size. */
static int open_regular(const char *path, int *fd, uint64_t *size, gw_error *err)
{
	struct stat st;

	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0 || fstat(*fd, &st))
		return gw_fail(err, errno == ENOENT ? GW_E_NOTFOUND : GW_E_IO, "%s: %s", path,
			       strerror(errno));
	if (!S_ISREG(st.st_mode))
		return gw_fail(err, GW_E_INVAL, "%s: not a regular file", path);
	*size = (uint64_t)st.st_size;
	return 0;
}

/* Where a payload's bytes go while a bundle is written or measured. */
typedef int (*emit_fn)(void *arg, const uint8_t *b, size_t n, gw_error *err);

/* The archive's member data. */
struct arc_out {
	struct archive *a;
	const char *member;
};

static int arc_emit(void *arg, const uint8_t *b, size_t n, gw_error *err)
{
	const struct arc_out *o = arg;

	return write_data(o->a, b, n, o->member, err);
}

/* An encrypted member: the chunks hashed (stored_sha256) and, with an archive,
 * written. */
struct enc_out {
	struct payload_aead *aead;
	EVP_MD_CTX *sha;
	struct arc_out arc; /* a NULL: measure only */
};

static int stored_emit(void *arg, const uint8_t *b, size_t n, gw_error *err)
{
	struct enc_out *o = arg;

	if (EVP_DigestUpdate(o->sha, b, n) != 1)
		return gw_fail(err, GW_E_CRYPTO, "SHA-256 failed");
	return o->arc.a ? arc_emit(&o->arc, b, n, err) : 0;
}

static int enc_emit(void *arg, const uint8_t *b, size_t n, gw_error *err)
{
	struct enc_out *o = arg;

	return payload_aead_update(o->aead, b, n, stored_emit, o, err);
}

/* Exactly size bytes of fd through buf, hashed into md and handed to emit (when
 * given). */
static int pass_file(int fd, const char *path, uint64_t size, uint8_t md[32], emit_fn emit,
		     void *arg, uint8_t *buf, gw_error *err)
{
	EVP_MD_CTX *sha = EVP_MD_CTX_new();
	int rc = 0;

	if (!sha || EVP_DigestInit_ex(sha, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(sha);
		return GW_E_NOMEM;
	}
	while (!rc && size) {
		ssize_t n = read(fd, buf, size < BUNDLE_BLOCK ? (size_t)size : BUNDLE_BLOCK);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = gw_fail(err, n ? GW_E_IO : GW_E_REFERENCE, "%s: %s", path,
				     n ? strerror(errno) : "shorter than when it was measured");
			break;
		}
		if (EVP_DigestUpdate(sha, buf, (size_t)n) != 1)
			rc = gw_fail(err, GW_E_CRYPTO, "SHA-256 failed");
		if (!rc && emit)
			rc = emit(arg, buf, (size_t)n, err);
		size -= (uint64_t)n;
	}
	if (!rc && EVP_DigestFinal_ex(sha, md, NULL) != 1)
		rc = gw_fail(err, GW_E_CRYPTO, "SHA-256 failed");
	EVP_MD_CTX_free(sha);
	return rc;
}

/* The plaintext of fd through payload_aead: md its SHA-256, stored_md the chunks'. */
static int pass_encrypted(int fd, const char *path, uint64_t size, const uint8_t *cek,
			  uint32_t index, uint32_t chunk_size, struct arc_out *arc, uint8_t md[32],
			  uint8_t stored_md[32], uint8_t *buf, gw_error *err)
{
	struct enc_out o = { .sha = EVP_MD_CTX_new() };
	int rc;

	if (arc)
		o.arc = *arc;
	rc = o.sha && EVP_DigestInit_ex(o.sha, EVP_sha256(), NULL) == 1 ? 0 : GW_E_NOMEM;
	if (!rc)
		rc = payload_aead_new(true, cek, index, chunk_size, &o.aead);
	if (!rc)
		rc = pass_file(fd, path, size, md, enc_emit, &o, buf, err);
	if (!rc)
		rc = payload_aead_final(o.aead, stored_emit, &o, err);
	if (!rc && EVP_DigestFinal_ex(o.sha, stored_md, NULL) != 1)
		rc = gw_fail(err, GW_E_CRYPTO, "SHA-256 failed");
	payload_aead_free(o.aead);
	EVP_MD_CTX_free(o.sha);
	return rc;
}

/* An image file measured once: size and SHA-256, and with cek the SHA-256 of its
 * encryption as payload index (stored_md). */
static int measure(const char *path, const uint8_t *cek, uint32_t index, uint32_t chunk_size,
		   uint64_t *size, uint8_t md[32], uint8_t *stored_md, gw_error *err)
{
	uint8_t *buf = malloc(BUNDLE_BLOCK);
	uint64_t n = 0;
	int fd = -1;
	int rc = buf ? open_regular(path, &fd, &n, err) : GW_E_NOMEM;

	if (!rc && (n < 1 || n > MANIFEST_MAX_PAYLOAD_SIZE))
		rc = gw_fail(err, GW_E_INVAL, "%s: %llu bytes, not 1 to %llu", path,
			     (unsigned long long)n, (unsigned long long)MANIFEST_MAX_PAYLOAD_SIZE);
	if (!rc && cek)
		rc = pass_encrypted(fd, path, n, cek, index, chunk_size, NULL, md, stored_md, buf,
				    err);
	else if (!rc)
		rc = pass_file(fd, path, n, md, NULL, NULL, buf, err);
	if (!rc)
		*size = n;
	if (fd >= 0)
		close(fd);
	free(buf);
	return rc;
}

int bundle_measure(const char *path, uint64_t *size, uint8_t sha256[32], gw_error *err)
{
	return measure(path, NULL, 0, 0, size, sha256, NULL, err);
}

int bundle_measure_encrypted(const char *path, const uint8_t cek[32], uint32_t index,
			     uint32_t chunk_size, struct manifest_payload *p, gw_error *err)
{
	int rc = measure(path, cek, index, chunk_size, &p->size, p->sha256, p->stored_sha256, err);

	if (!rc)
		p->stored_size = payload_aead_stored_size(p->size, chunk_size);
	return rc;
}

/* One payload file streamed into the archive through one buffer (encrypted on the
 * way when cek is given), hashed: it must be the file the manifest describes. */
static int write_payload(struct archive *a, struct archive_entry *e, const struct manifest *m,
			 size_t i, const char *path, const uint8_t *cek, uint8_t *buf,
			 gw_error *err)
{
	const struct manifest_payload *p = &m->payloads[i];
	struct arc_out arc = { a, p->member };
	uint64_t size = 0;
	uint8_t md[32], stored_md[32];
	int fd = -1;
	int rc = open_regular(path, &fd, &size, err);

	if (!rc && size != p->size)
		rc = gw_fail(err, GW_E_REFERENCE, "%s: %llu bytes, the manifest says %llu", path,
			     (unsigned long long)size, (unsigned long long)p->size);
	if (!rc)
		rc = write_header(a, e, p->member, manifest_member_size(m, p), m->created, err);
	if (!rc && cek)
		rc = pass_encrypted(fd, path, p->size, cek, (uint32_t)i, m->chunk_size, &arc, md,
				    stored_md, buf, err);
	else if (!rc)
		rc = pass_file(fd, path, p->size, md, arc_emit, &arc, buf, err);
	if (!rc && (!gw_ct_equal(md, p->sha256, sizeof(md)) ||
		    (cek && !gw_ct_equal(stored_md, p->stored_sha256, sizeof(md)))))
		rc = gw_fail(err, GW_E_REFERENCE, "%s: SHA-256 differs from the manifest's "
			     "(changed while the bundle was made, or another content key?)", path);
	if (fd >= 0)
		close(fd);
	return rc;
}

int bundle_write_fd(int fd, const uint8_t *envelope, size_t envelope_len,
		    const struct manifest *m, const char *const *paths, gw_error *err)
{
	if (m->encrypted)
		return gw_fail(err, GW_E_INVAL, "an encrypted manifest needs its content key");
	return bundle_write_encrypted_fd(fd, envelope, envelope_len, m, paths, NULL, err);
}

int bundle_write_encrypted_fd(int fd, const uint8_t *envelope, size_t envelope_len,
			      const struct manifest *m, const char *const *paths,
			      const uint8_t *cek, gw_error *err)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	uint8_t *buf = malloc(BUNDLE_BLOCK);
	int rc = 0;

	if (!a || !e || !buf) {
		rc = GW_E_NOMEM;
		goto out;
	}
	if (envelope_len > MANIFEST_MAX_SIZE) {
		rc = gw_fail(err, GW_E_TOOBIG, "envelope larger than %u bytes", MANIFEST_MAX_SIZE);
		goto out;
	}
	if (!cek != !m->encrypted) {
		rc = gw_fail(err, GW_E_INVAL, "a content key goes with an encrypted manifest only");
		goto out;
	}
	/* pax restricted: plain ustar headers, a pax record only where ustar cannot
	 * say it (a payload of 8 GiB or more); no padding after the end blocks. */
	if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    archive_write_add_filter_none(a) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
	    archive_write_open_fd(a, fd) != ARCHIVE_OK) {
		rc = gw_fail(err, GW_E_IO, "starting the bundle: %s", archive_error_string(a));
		goto out;
	}
	rc = write_header(a, e, BUNDLE_MANIFEST_MEMBER, envelope_len, m->created, err);
	if (!rc)
		rc = write_data(a, envelope, envelope_len, BUNDLE_MANIFEST_MEMBER, err);
	for (size_t i = 0; !rc && i < m->npayloads; i++)
		rc = write_payload(a, e, m, i, paths[i], cek, buf, err);
	if (!rc && archive_write_close(a) != ARCHIVE_OK)
		rc = gw_fail(err, GW_E_IO, "finishing the bundle: %s", archive_error_string(a));
out:
	archive_entry_free(e);
	archive_write_free(a);
	free(buf);
	return rc;
}
