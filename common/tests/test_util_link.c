// SPDX-License-Identifier: Apache-2.0
// Unit tests for gw_link_durable: a written temporary file moved into place only
// when nothing (file, directory, symlink, dangling or not) holds the name yet, by
// renameat2 and by its link + unlink fallback.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <linux/magic.h>

#include <cmocka.h>

#include "util.h"

/* Link-time seams (the Makefile links this test with --wrap for each): renameat2
 * answers rename_errno while it is set, as a file system or kernel without
 * RENAME_NOREPLACE does (EINVAL, or ENOSYS without renameat2), so the fallback
 * runs; link and unlink answer their errno when armed (unlink for one path only);
 * fstatfs says FAT when fat is set; fsync records the inodes it syncs once a
 * move succeeded. */
static struct {
	int rename_errno, link_errno, unlink_errno;
	const char *unlink_path;
	bool fat, moved;
	unsigned renames, links, nsynced;
	ino_t synced[8]; /* fsynced after a successful move (renameat2 or link) */
} seam;

/* The rename errno of the group running: 0 (renameat2 itself), EINVAL or ENOSYS. */
static int group_rename_errno;

int __real_renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath,
		     unsigned int flags);
int __wrap_renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath,
		     unsigned int flags);
int __real_link(const char *oldpath, const char *newpath);
int __wrap_link(const char *oldpath, const char *newpath);
int __real_unlink(const char *path);
int __wrap_unlink(const char *path);
int __real_fstatfs(int fd, struct statfs *buf);
int __wrap_fstatfs(int fd, struct statfs *buf);
int __real_fsync(int fd);
int __wrap_fsync(int fd);

int __wrap_renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath,
		     unsigned int flags)
{
	seam.renames++;
	if (seam.rename_errno) {
		errno = seam.rename_errno;
		return -1;
	}
	if (__real_renameat2(olddirfd, oldpath, newdirfd, newpath, flags))
		return -1;
	seam.moved = true;
	return 0;
}

int __wrap_link(const char *oldpath, const char *newpath)
{
	seam.links++;
	if (seam.link_errno) {
		errno = seam.link_errno;
		return -1;
	}
	if (__real_link(oldpath, newpath))
		return -1;
	seam.moved = true;
	return 0;
}

int __wrap_unlink(const char *path)
{
	if (seam.unlink_errno && seam.unlink_path && strcmp(path, seam.unlink_path) == 0) {
		errno = seam.unlink_errno;
		return -1;
	}
	return __real_unlink(path);
}

int __wrap_fstatfs(int fd, struct statfs *buf)
{
	int rc = __real_fstatfs(fd, buf);

	if (rc == 0 && seam.fat)
		buf->f_type = MSDOS_SUPER_MAGIC;
	return rc;
}

int __wrap_fsync(int fd)
{
	struct stat sb;

	/* Only an fsync after the move counts: on FAT the entry under the new name is
	 * written from the renamed inode, and a directory's fsync before the move
	 * does not hold the new entry. */
	if (seam.moved && fstat(fd, &sb) == 0 &&
	    seam.nsynced < sizeof(seam.synced) / sizeof(seam.synced[0]))
		seam.synced[seam.nsynced++] = sb.st_ino;
	return __real_fsync(fd);
}

/* Whether /tmp itself lacks RENAME_NOREPLACE (NFS, CIFS, an old kernel): there the
 * native group's moves take the fallback too, as gw_link_durable should. */
static bool tmp_lacks_noreplace;

static int group_native(void **state)
{
	char dir[] = "/tmp/gw-link-probe-XXXXXX", a[64], b[64];
	int fd;

	(void)state;
	group_rename_errno = 0;
	if (!mkdtemp(dir) || gw_snprintf(a, sizeof(a), "%s/a", dir) ||
	    gw_snprintf(b, sizeof(b), "%s/b", dir))
		return -1;
	fd = open(a, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	close(fd);
	tmp_lacks_noreplace = __real_renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_NOREPLACE) &&
			      (errno == EINVAL || errno == ENOSYS);
	(void)!__real_unlink(tmp_lacks_noreplace ? a : b);
	return rmdir(dir);
}

static int group_einval(void **state)
{
	(void)state;
	group_rename_errno = EINVAL;
	return 0;
}

static int group_enosys(void **state)
{
	(void)state;
	group_rename_errno = ENOSYS;
	return 0;
}

struct dirs {
	char dir[64];
	char tmp[128], path[128];
};

static int setup(void **state)
{
	struct dirs *d = calloc(1, sizeof(*d));

	if (!d)
		return -1;
	if (gw_snprintf(d->dir, sizeof(d->dir), "/tmp/gw-link-XXXXXX") || !mkdtemp(d->dir))
		return -1;
	if (gw_snprintf(d->tmp, sizeof(d->tmp), "%s/f.tmp.1", d->dir) ||
	    gw_snprintf(d->path, sizeof(d->path), "%s/f", d->dir))
		return -1;
	memset(&seam, 0, sizeof(seam));
	seam.rename_errno = group_rename_errno;
	*state = d;
	return 0;
}

static int teardown(void **state)
{
	struct dirs *d = *state;
	char p[160];

	memset(&seam, 0, sizeof(seam));
	(void)unlink(d->tmp);
	(void)unlink(d->path);
	(void)rmdir(d->path);
	if (gw_snprintf(p, sizeof(p), "%s/target", d->dir) == 0)
		(void)unlink(p);
	(void)rmdir(d->dir);
	free(d);
	return 0;
}

static void put(const char *path, const char *text)
{
	assert_int_equal(gw_write_file_atomic(path, text, strlen(text), 0600, NULL), 0);
}

static void expect(const char *path, const char *text)
{
	uint8_t *buf = NULL;
	size_t len = 0;

	assert_int_equal(gw_read_file(path, 4096, &buf, &len, NULL), 0);
	assert_int_equal(len, strlen(text));
	assert_memory_equal(buf, text, len);
	free(buf);
}

/* gw_link_durable was called calls times and took the group's way each time:
 * renameat2 alone, or renameat2 then link. */
static void expect_route(unsigned calls)
{
	assert_int_equal(seam.renames, calls);
	assert_int_equal(seam.links, seam.rename_errno || tmp_lacks_noreplace ? calls : 0);
}

static bool synced(const char *path)
{
	struct stat sb;

	assert_int_equal(lstat(path, &sb), 0);
	for (unsigned i = 0; i < seam.nsynced; i++)
		if (seam.synced[i] == sb.st_ino)
			return true;
	return false;
}

static void test_moved(void **state)
{
	struct dirs *d = *state;
	struct stat sb;

	put(d->tmp, "new");
	seam.nsynced = 0;
	assert_int_equal(gw_link_durable(d->tmp, d->path, NULL), 0);
	expect_route(1);
	expect(d->path, "new");
	assert_int_equal(lstat(d->tmp, &sb), -1);
	assert_true(synced(d->dir));
	assert_false(synced(d->path)); /* not FAT: the directory's fsync is enough */
}

/* On FAT the moved file is fsynced too (its directory entry: fsync_renamed). */
static void test_fat_file_synced(void **state)
{
	struct dirs *d = *state;

	put(d->tmp, "new");
	seam.fat = true;
	seam.nsynced = 0;
	assert_int_equal(gw_link_durable(d->tmp, d->path, NULL), 0);
	expect_route(1);
	expect(d->path, "new");
	assert_true(synced(d->path));
	assert_true(synced(d->dir));
}

/* A file that appeared after the caller's check: kept, tmp kept for the caller. */
static void test_file_kept(void **state)
{
	struct dirs *d = *state;
	gw_error err = { { 0 } };

	put(d->path, "theirs");
	put(d->tmp, "ours");
	assert_int_equal(gw_link_durable(d->tmp, d->path, &err), GW_E_EXISTS);
	expect_route(1);
	assert_non_null(strstr(gw_error_msg(&err, GW_E_EXISTS), d->path));
	expect(d->path, "theirs");
	expect(d->tmp, "ours");
}

/* A symlink, dangling or to a file: never followed, never replaced. */
static void test_symlink_kept(void **state)
{
	struct dirs *d = *state;
	char target[160], buf[160];
	struct stat sb;
	ssize_t n;

	assert_int_equal(gw_snprintf(target, sizeof(target), "%s/target", d->dir), 0);
	assert_int_equal(symlink(target, d->path), 0);
	put(d->tmp, "ours");
	assert_int_equal(gw_link_durable(d->tmp, d->path, NULL), GW_E_EXISTS);
	assert_int_equal(lstat(target, &sb), -1);
	n = readlink(d->path, buf, sizeof(buf) - 1);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_string_equal(buf, target);
	put(target, "victim");
	assert_int_equal(gw_link_durable(d->tmp, d->path, NULL), GW_E_EXISTS);
	expect_route(2);
	expect(target, "victim");
	expect(d->tmp, "ours");
}

static void test_dir_kept(void **state)
{
	struct dirs *d = *state;
	struct stat sb;

	assert_int_equal(mkdir(d->path, 0700), 0);
	put(d->tmp, "ours");
	assert_int_equal(gw_link_durable(d->tmp, d->path, NULL), GW_E_EXISTS);
	expect_route(1);
	assert_int_equal(lstat(d->path, &sb), 0);
	assert_true(S_ISDIR(sb.st_mode));
}

/* No temporary file: an I/O error, nothing created. */
static void test_no_tmp(void **state)
{
	struct dirs *d = *state;
	struct stat sb;

	assert_int_equal(gw_link_durable(d->tmp, d->path, NULL), GW_E_IO);
	expect_route(1);
	assert_int_equal(lstat(d->path, &sb), -1);
}

/* gw_link_durable fails with GW_E_IO naming path and errnum: nothing at path,
 * tmp kept for the caller. */
static void expect_io_kept(const struct dirs *d, int errnum)
{
	gw_error err = { { 0 } };
	struct stat sb;

	put(d->tmp, "ours");
	assert_int_equal(gw_link_durable(d->tmp, d->path, &err), GW_E_IO);
	assert_non_null(strstr(gw_error_msg(&err, GW_E_IO), d->path));
	assert_non_null(strstr(gw_error_msg(&err, GW_E_IO), strerror(errnum)));
	assert_int_equal(lstat(d->path, &sb), -1);
	expect(d->tmp, "ours");
}

/* Any other renameat2 failure is the answer: no fallback that could mask it. */
static void test_rename_error_kept(void **state)
{
	seam.rename_errno = EACCES;
	expect_io_kept(*state, EACCES);
	assert_int_equal(seam.links, 0);
}

/* Fallback: link refused (a FAT file system has no hard links). */
static void test_link_fails(void **state)
{
	seam.link_errno = EPERM;
	expect_io_kept(*state, EPERM);
	expect_route(1);
}

/* Fallback: linked, but the temporary name cannot be removed: GW_E_IO naming
 * tmp, and path is in place (the same file under both names). */
static void test_unlink_fails(void **state)
{
	struct dirs *d = *state;
	gw_error err = { { 0 } };
	struct stat a, b;

	put(d->tmp, "new");
	seam.unlink_errno = EIO;
	seam.unlink_path = d->tmp;
	assert_int_equal(gw_link_durable(d->tmp, d->path, &err), GW_E_IO);
	expect_route(1);
	assert_non_null(strstr(gw_error_msg(&err, GW_E_IO), d->tmp));
	expect(d->path, "new");
	assert_int_equal(lstat(d->tmp, &a), 0);
	assert_int_equal(lstat(d->path, &b), 0);
	assert_int_equal(a.st_ino, b.st_ino);
	seam.unlink_errno = 0;
	assert_int_equal(unlink(d->tmp), 0); /* the caller's clean-up works */
	expect(d->path, "new");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
/* The same cases through renameat2 and through the fallback. */
#define SHARED T(test_moved), T(test_fat_file_synced), T(test_file_kept), \
	T(test_symlink_kept), T(test_dir_kept), T(test_no_tmp)

int main(void)
{
	const struct CMUnitTest native[] = { SHARED, T(test_rename_error_kept) };
	const struct CMUnitTest fallback[] = { SHARED, T(test_link_fails), T(test_unlink_fails) };
	const struct CMUnitTest enosys[] = { T(test_moved), T(test_symlink_kept) };
	int failed = 0;

	failed += cmocka_run_group_tests_name("link_renameat2", native, group_native, NULL);
	failed += cmocka_run_group_tests_name("link_fallback_einval", fallback, group_einval, NULL);
	failed += cmocka_run_group_tests_name("link_fallback_enosys", enosys, group_enosys, NULL);
	return failed;
}
