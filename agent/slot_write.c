// SPDX-License-Identifier: Apache-2.0
// Streaming one payload into one slot (a block device or an image file) through a
// fixed buffer, hashing as it writes, then fsync and a read-back past the page
// cache; and the checks that keep the write away from anything in use.
#define _GNU_SOURCE /* O_DIRECT */
#include "slot_write.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "util.h"

#define MOUNTINFO_MAX (4u * 1024 * 1024)
#define DIRECT_ALIGN 4096
#define FLUSH_CHUNK (8u * 1024 * 1024) /* writeback starts per chunk while streaming */

/* "MAJ:MIN" in decimal (sscanf is banned). */
static int parse_majmin(const char *s, size_t n, dev_t *out)
{
	char num[24], *colon, *e1 = NULL, *e2 = NULL;
	unsigned long a, b;

	if (n == 0 || n >= sizeof(num))
		return GW_E_PARSE;
	memcpy(num, s, n);
	num[n] = '\0';
	colon = strchr(num, ':');
	if (!colon || strspn(num, "0123456789") != (size_t)(colon - num) || colon == num ||
	    !colon[1] || strspn(colon + 1, "0123456789") != strlen(colon + 1))
		return GW_E_PARSE;
	*colon = '\0';
	errno = 0;
	a = strtoul(num, &e1, 10);
	b = strtoul(colon + 1, &e2, 10);
	if (errno || a > UINT_MAX || b > UINT_MAX)
		return GW_E_PARSE;
	*out = makedev((unsigned)a, (unsigned)b);
	return 0;
}

/* One line of mountinfo: "ID PARENT MAJ:MIN ROOT POINT OPTIONS ... - TYPE SRC OPTS". */
static int mountinfo_line(const char *line, size_t n, dev_t *dev, const char **point,
			  size_t *point_len)
{
	const char *p = line, *end = line + n, *f[5];
	size_t flen[5];

	for (int i = 0; i < 5; i++) {
		while (p < end && *p == ' ')
			p++;
		f[i] = p;
		while (p < end && *p != ' ')
			p++;
		flen[i] = (size_t)(p - f[i]);
		if (!flen[i])
			return GW_E_PARSE;
	}
	if (parse_majmin(f[2], flen[2], dev))
		return GW_E_PARSE;
	*point = f[4];
	*point_len = flen[4];
	return 0;
}

/* The partition's whole disk, from sysfs; 0 when dev is not a partition. */
static dev_t disk_of(dev_t dev)
{
	char path[128], real[PATH_MAX];
	uint8_t *txt = NULL;
	size_t len = 0;
	dev_t disk = 0;

	if (snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/partition", major(dev),
		     minor(dev)) >= (int)sizeof(path) ||
	    access(path, F_OK))
		return 0;
	if (snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/..", major(dev), minor(dev)) >=
		    (int)sizeof(path) ||
	    !realpath(path, real) || gw_snprintf(path, sizeof(path), "%.100s/dev", real) ||
	    strlen(real) > 100)
		return 0;
	if (gw_read_file(path, 64, &txt, &len, NULL))
		return 0;
	while (len && (txt[len - 1] == '\n'))
		len--;
	if (parse_majmin((const char *)txt, len, &disk))
		disk = 0;
	free(txt);
	return disk;
}

static int mountinfo_scan(const char *text, size_t text_len, dev_t dev, bool partitions,
			  char *point, size_t len, gw_error *err)
{
	const char *p = text, *end = text + text_len;
	unsigned lineno = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *mp;
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p), mp_len;
		dev_t d;

		lineno++;
		if (n && mountinfo_line(p, n, &d, &mp, &mp_len))
			return gw_fail(err, GW_E_PARSE, "mountinfo line %u is not in its form", lineno);
		if (n && (d == dev || (partitions && disk_of(d) == dev))) {
			size_t k = mp_len < len - 1 ? mp_len : len - 1;

			memcpy(point, mp, k);
			point[k] = '\0';
			return 0;
		}
		p += n + 1;
	}
	return GW_E_NOTFOUND;
}

int slot_mountinfo_find(const char *text, size_t text_len, dev_t dev, char *point, size_t len,
			gw_error *err)
{
	if (!len)
		return GW_E_INVAL;
	return mountinfo_scan(text, text_len, dev, false, point, len, err);
}

/* Another block device built on this one (device mapper, md, a loop device). */
static int holder_of(dev_t dev, char *name, size_t len)
{
	char path[128];
	struct dirent *de;
	DIR *d;
	int found = 0;

	if (snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/holders", major(dev),
		     minor(dev)) >= (int)sizeof(path))
		return 0;
	d = opendir(path);
	if (!d)
		return 0;
	while (!found && (de = readdir(d)))
		if (de->d_name[0] != '.') {
			snprintf(name, len, "%.60s", de->d_name);
			found = 1;
		}
	closedir(d);
	return found;
}

static int resolve(const char *path, struct slot_dev *out, struct stat *st, gw_error *err)
{
	if (gw_snprintf(out->path, sizeof(out->path), "%s", path))
		return gw_fail(err, GW_E_INVAL, "%s: path too long", path);
	if (lstat(path, st)) {
		if (errno != ENOENT)
			return gw_fail(err, GW_E_IO, "%s: %s", path, strerror(errno));
		out->exists = false;
		return 0;
	}
	out->exists = true;
	if (S_ISLNK(st->st_mode)) {
		char real[PATH_MAX];

		/* udev's /dev/disk/by-* names are how block devices are named stably. */
		if (strncmp(path, "/dev/", 5) || !realpath(path, real) || strncmp(real, "/dev/", 5) ||
		    lstat(real, st) || !S_ISBLK(st->st_mode))
			return gw_fail(err, GW_E_STATE,
				       "%s is a symbolic link: only a link under /dev to a block "
				       "device is followed; name the image file itself",
				       path);
		if (gw_snprintf(out->path, sizeof(out->path), "%s", real))
			return gw_fail(err, GW_E_INVAL, "%s: path too long", real);
	}
	return 0;
}

static int check_block(struct slot_dev *d, uint64_t size, const char *mountinfo,
		       gw_error *err)
{
	char point[256], holder[64];
	uint8_t *own = NULL;
	size_t len = 0;
	int fd, rc;

	if (!mountinfo) {
		rc = gw_read_file("/proc/self/mountinfo", MOUNTINFO_MAX, &own, &len, err);
		if (rc)
			return rc;
		mountinfo = (const char *)own;
	} else {
		len = strlen(mountinfo);
	}
	rc = mountinfo_scan(mountinfo, len, d->rdev, true, point, sizeof(point), err);
	free(own);
	if (!rc)
		return gw_fail(err, GW_E_STATE, "%s is mounted (or holds a mounted partition) on %s",
			       d->path, point);
	if (rc != GW_E_NOTFOUND)
		return rc;
	if (holder_of(d->rdev, holder, sizeof(holder)))
		return gw_fail(err, GW_E_STATE, "%s is in use by block device %s", d->path, holder);
	fd = open(d->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return gw_fail(err, GW_E_IO, "%s: %s", d->path, strerror(errno));
	rc = ioctl(fd, BLKGETSIZE64, &d->capacity);
	close(fd);
	if (rc)
		return gw_fail(err, GW_E_IO, "%s: size: %s", d->path, strerror(errno));
	if (size > d->capacity)
		return gw_fail(err, GW_E_TOOBIG, "%s holds %" PRIu64 " bytes, the payload has %" PRIu64,
			       d->path, d->capacity, size);
	return 0;
}

int slot_dev_identify(const char *path, struct slot_dev *out, gw_error *err)
{
	struct slot_dev d;
	struct stat st;
	int rc;

	memset(&d, 0, sizeof(d));
	rc = resolve(path, &d, &st, err);
	if (rc)
		return rc;
	if (d.exists && S_ISBLK(st.st_mode)) {
		d.block = true;
		d.rdev = st.st_rdev;
	} else if (d.exists && S_ISREG(st.st_mode)) {
		d.dev = st.st_dev;
		d.ino = st.st_ino;
	} else if (d.exists) {
		return gw_fail(err, GW_E_STATE, "%s is neither a block device nor a regular file",
			       path);
	}
	*out = d;
	return 0;
}

int slot_dev_check(const char *path, uint64_t size, const char *mountinfo, struct slot_dev *out,
		   gw_error *err)
{
	struct slot_dev d;
	int rc;

	rc = slot_dev_identify(path, &d, err);
	if (!rc && d.block)
		rc = check_block(&d, size, mountinfo, err);
	if (!rc)
		*out = d;
	return rc;
}

bool slot_dev_same(const struct slot_dev *a, const struct slot_dev *b)
{
	if (a->block || b->block)
		return a->block && b->block && a->rdev == b->rdev;
	if (a->exists && b->exists)
		return a->dev == b->dev && a->ino == b->ino;
	return !strcmp(a->path, b->path);
}

static int write_all(int fd, const uint8_t *buf, size_t len, const char *path, gw_error *err)
{
	while (len) {
		ssize_t w = write(fd, buf, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return gw_fail(err, GW_E_IO, "writing %s: %s", path,
				       w < 0 ? strerror(errno) : "no progress");
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Open for writing, and make sure it is the device or file that was checked: a
 * path swapped since then is refused. */
static int open_target(const struct slot_dev *d, uint64_t size, int *out, struct stat *written,
		       gw_error *err)
{
	int flags = O_WRONLY | O_CLOEXEC | O_NOFOLLOW;
	struct stat st;
	int fd;

	/* O_EXCL on a block device: the kernel answers EBUSY while it is mounted or
	 * held (a btrfs mount, whose mountinfo names an anonymous device, included). */
	if (d->block || !d->exists)
		flags |= O_EXCL;
	if (!d->block && !d->exists)
		flags |= O_CREAT;
	fd = open(d->path, flags, 0600);
	if (fd < 0 && d->block && errno == EBUSY)
		return gw_fail(err, GW_E_STATE, "%s is in use (mounted or held open exclusively): "
			       "unmount it or stop what holds it", d->path);
	if (fd < 0)
		return gw_fail(err, GW_E_IO, "opening %s for writing: %s", d->path, strerror(errno));
	if (fstat(fd, &st) ||
	    (d->block ? !S_ISBLK(st.st_mode) || st.st_rdev != d->rdev
		      : !S_ISREG(st.st_mode) || (d->exists && (st.st_dev != d->dev ||
							       st.st_ino != d->ino)))) {
		close(fd);
		return gw_fail(err, GW_E_STATE, "%s changed since it was checked", d->path);
	}
	/* An image file takes the payload's size; a block device keeps its own. */
	if (!d->block && ftruncate(fd, (off_t)size)) {
		close(fd);
		return gw_fail(err, GW_E_IO, "resizing %s: %s", d->path, strerror(errno));
	}
	*written = st;
	*out = fd;
	return 0;
}

/* Start the writeback of the chunk just written, and wait for the one before it:
 * the disk writes while the next chunk is read and hashed (instead of all of it at
 * the fsync), and the dirty pages stay at two chunks. Best effort: a file system
 * without it still gets the fsync that counts. */
static void flush_chunk(int fd, uint64_t done, uint64_t *flushed)
{
	if (done - *flushed < FLUSH_CHUNK)
		return;
	(void)sync_file_range(fd, (off_t)*flushed, (off_t)(done - *flushed),
			      SYNC_FILE_RANGE_WRITE);
	if (*flushed >= FLUSH_CHUNK)
		(void)sync_file_range(fd, (off_t)(*flushed - FLUSH_CHUNK), FLUSH_CHUNK,
				      SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
					      SYNC_FILE_RANGE_WAIT_AFTER);
	*flushed = done;
}

static int stream_in(int fd, const struct slot_dev *d, uint64_t size, uint8_t *buf,
		     EVP_MD_CTX *md, slot_source_fn src, void *src_user,
		     slot_progress_fn progress, void *prog_user, gw_error *err)
{
	uint64_t done = 0, flushed = 0;
	int rc;

	for (;;) {
		size_t n = 0;

		rc = src(src_user, buf, SLOT_BUF_SIZE, &n, err);
		if (rc)
			return rc;
		if (n == 0)
			break;
		if (n > size - done)
			return gw_fail(err, GW_E_TOOBIG, "%s: the payload is longer than %" PRIu64
				       " bytes", d->path, size);
		if (md && EVP_DigestUpdate(md, buf, n) != 1)
			return gw_fail(err, GW_E_CRYPTO, "hashing the payload");
		rc = write_all(fd, buf, n, d->path, err);
		if (rc)
			return rc;
		done += n;
		flush_chunk(fd, done, &flushed);
		if (progress)
			progress(prog_user, false, done, size);
	}
	if (done != size)
		return gw_fail(err, GW_E_TRUNCATED, "%s: the payload ended after %" PRIu64 " of %" PRIu64
			       " bytes", d->path, done, size);
	if (fsync(fd))
		return gw_fail(err, GW_E_IO, "fsync %s: %s", d->path, strerror(errno));
	return 0;
}

/* How a read-back gets past the page cache. */
enum rb_mode {
	RB_DROPPED, /* drop the (clean, fsynced) pages, check none stayed, read ahead */
	RB_DIRECT,  /* O_DIRECT, whole aligned blocks, one request at a time */
	RB_CACHED,  /* drop what can be dropped and read (O_DIRECT refused: tmpfs) */
};

/* No page of the first size bytes of fd is in the page cache (mincore over
 * windows of a mapping that is never touched, so nothing is read or counted). */
static bool none_cached(int fd, uint64_t size)
{
	const uint64_t page = 4096, window = 4096 * page;
	unsigned char vec[4096];

	if (sysconf(_SC_PAGESIZE) != (long)page)
		return false;
	for (uint64_t off = 0; off < size; off += window) {
		size_t len = (size_t)(size - off < window ? size - off : window);
		void *p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, (off_t)off);
		int rc;

		if (p == MAP_FAILED)
			return false;
		rc = mincore(p, len, vec);
		munmap(p, len);
		if (rc)
			return false;
		for (size_t i = 0; i < (len + page - 1) / page; i++)
			if (vec[i] & 1)
				return false;
	}
	return true;
}

/* Open the slot for one pass; GW_E_UNSUPPORTED when the mode cannot be had here
 * (O_DIRECT refused, or a page that stays cached), so the caller tries the next. */
static int open_pass(const struct slot_dev *d, enum rb_mode mode, uint64_t size, int *out,
		     gw_error *err)
{
	int fd = open(d->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW |
				       (mode == RB_DIRECT ? O_DIRECT : 0));

	if (fd < 0)
		return mode == RB_DIRECT && errno == EINVAL ? GW_E_UNSUPPORTED
			: gw_fail(err, GW_E_IO, "reading %s back: %s", d->path, strerror(errno));
	if (mode != RB_DIRECT)
		(void)posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	if (mode == RB_DROPPED && !none_cached(fd, size)) {
		close(fd);
		return GW_E_UNSUPPORTED;
	}
	if (mode == RB_DROPPED)
		(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	*out = fd;
	return 0;
}

/* One pass over the slot in the given mode, only size bytes hashed. */
static int read_pass(const struct slot_dev *d, const struct stat *written, enum rb_mode mode,
		     uint64_t size, uint8_t *buf, uint8_t out[32], slot_progress_fn progress,
		     void *prog_user, gw_error *err)
{
	bool direct = mode == RB_DIRECT;
	EVP_MD_CTX *md = NULL;
	uint64_t done = 0;
	unsigned dlen = 0;
	struct stat st;
	int fd = -1, rc;

	rc = open_pass(d, mode, size, &fd, err);
	if (rc)
		return rc;
	/* What is read back must be what was written, not a file put in its place. */
	if (fstat(fd, &st) || st.st_dev != written->st_dev || st.st_ino != written->st_ino ||
	    st.st_rdev != written->st_rdev) {
		rc = gw_fail(err, GW_E_STATE, "%s is no longer the file that was written (replaced "
			     "since): not verified", d->path);
		goto out;
	}
	md = EVP_MD_CTX_new();
	if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		rc = gw_fail(err, GW_E_CRYPTO, "hashing the read-back");
		goto out;
	}
	while (done < size) {
		size_t want = size - done < SLOT_BUF_SIZE ? (size_t)(size - done) : SLOT_BUF_SIZE;
		size_t ask = direct ? (want + DIRECT_ALIGN - 1) & ~(size_t)(DIRECT_ALIGN - 1) : want;
		ssize_t r = pread(fd, buf, ask, (off_t)done);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && direct && errno == EINVAL) {
			rc = GW_E_UNSUPPORTED;
			goto out;
		}
		if (r <= 0) {
			rc = gw_fail(err, GW_E_IO, "reading %s back: %s", d->path,
				     r < 0 ? strerror(errno) : "it ends early");
			goto out;
		}
		if ((size_t)r > want)
			r = (ssize_t)want;
		if (EVP_DigestUpdate(md, buf, (size_t)r) != 1) {
			rc = gw_fail(err, GW_E_CRYPTO, "hashing the read-back");
			goto out;
		}
		done += (uint64_t)r;
		if (progress)
			progress(prog_user, true, done, size);
	}
	if (EVP_DigestFinal_ex(md, out, &dlen) != 1 || dlen != 32)
		rc = gw_fail(err, GW_E_CRYPTO, "hashing the read-back");
out:
	EVP_MD_CTX_free(md);
	close(fd);
	return rc;
}

/* The read-back, in the first mode that works here: dropped pages read with the
 * kernel's readahead (many requests in flight: about three times O_DIRECT's one at a
 * time, doc/updates.md "Numbers"), else O_DIRECT, else the page cache as dropped as
 * it gets. */
static int read_back(const struct slot_dev *d, const struct stat *written, uint64_t size,
		     uint8_t *buf, uint8_t out[32], slot_progress_fn progress, void *prog_user,
		     gw_error *err)
{
	int rc = GW_E_UNSUPPORTED;

	for (enum rb_mode m = RB_DROPPED; m <= RB_CACHED && rc == GW_E_UNSUPPORTED; m++)
		rc = read_pass(d, written, m, size, buf, out, progress, prog_user, err);
	return rc;
}

int slot_write(const struct slot_dev *d, uint64_t size, const uint8_t sha256[32],
	       unsigned flags, slot_source_fn src, void *src_user, slot_progress_fn progress,
	       void *prog_user, gw_error *err)
{
	uint8_t *buf = NULL, written[32], back[32];
	EVP_MD_CTX *md = NULL;
	struct stat written_st = { 0 };
	unsigned dlen = 0;
	int fd = -1, rc;

	/* Aligned for O_DIRECT; the one buffer, however large the payload. */
	if (posix_memalign((void **)&buf, DIRECT_ALIGN, SLOT_BUF_SIZE))
		return GW_E_NOMEM;
	/* A source that checks its own bytes is not hashed a second time. */
	if (!(flags & SLOT_SRC_VERIFIED) &&
	    (!(md = EVP_MD_CTX_new()) || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)) {
		rc = gw_fail(err, GW_E_CRYPTO, "hashing the payload");
		goto out;
	}
	rc = open_target(d, size, &fd, &written_st, err);
	if (rc)
		goto out;
	rc = stream_in(fd, d, size, buf, md, src, src_user, progress, prog_user, err);
	if (rc)
		goto out;
	if (close(fd)) {
		fd = -1;
		rc = gw_fail(err, GW_E_IO, "closing %s: %s", d->path, strerror(errno));
		goto out;
	}
	fd = -1;
	if (md && (EVP_DigestFinal_ex(md, written, &dlen) != 1 || dlen != 32)) {
		rc = gw_fail(err, GW_E_CRYPTO, "hashing the payload");
		goto out;
	}
	if (md && memcmp(written, sha256, 32)) {
		rc = gw_fail(err, GW_E_REFERENCE, "%s: the bytes written differ from the manifest's "
			     "SHA-256", d->path);
		goto out;
	}
	rc = read_back(d, &written_st, size, buf, back, progress, prog_user, err);
	if (!rc && memcmp(back, sha256, 32))
		rc = gw_fail(err, GW_E_REFERENCE, "%s: read back, its SHA-256 differs from the "
			     "manifest's (the device did not store what was written)", d->path);
out:
	if (fd >= 0)
		close(fd);
	EVP_MD_CTX_free(md);
	free(buf);
	return rc;
}
