// SPDX-License-Identifier: Apache-2.0
// Unit tests for writing a payload into a slot: image files written, resized and
// read back; a source that ends early or runs long, a wrong digest and a path
// swapped after its check refused; what may not be a slot; mountinfo lookups.
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/sha.h>

#include "slot_write.h"
#include "util.h"

#define FIXTURES "agent/tests/fixtures/slot_write"

struct mem_src {
	const uint8_t *data;
	size_t len, off;
	size_t chunk; /* largest piece handed out at once */
};

static int mem_read(void *user, uint8_t *buf, size_t len, size_t *n, gw_error *err)
{
	struct mem_src *m = user;
	size_t k = m->len - m->off;

	(void)err;
	if (k > len)
		k = len;
	if (k > m->chunk)
		k = m->chunk;
	memcpy(buf, m->data + m->off, k);
	m->off += k;
	*n = k;
	return 0;
}

struct prog {
	uint64_t last[2];
	unsigned calls[2];
	uint64_t total;
};

static void on_progress(void *user, bool verifying, uint64_t done, uint64_t total)
{
	struct prog *p = user;

	assert_true(done >= p->last[verifying]);
	assert_true(done <= total);
	p->last[verifying] = done;
	p->calls[verifying]++;
	p->total = total;
}

static char tmpdir[64];

static int setup(void **state)
{
	(void)state;
	strcpy(tmpdir, "/tmp/gw-test-slot.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd);
}

static uint8_t *random_bytes(size_t n)
{
	uint8_t *b = malloc(n ? n : 1);

	assert_non_null(b);
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(rand() >> 7);
	return b;
}

static void assert_file(const char *path, const uint8_t *data, size_t len)
{
	uint8_t *got = NULL;
	size_t got_len = 0;

	assert_int_equal(gw_read_file(path, 64u << 20, &got, &got_len, NULL), 0);
	assert_int_equal(got_len, len);
	assert_memory_equal(got, data, len);
	free(got);
}

static int write_mem(const char *path, const uint8_t *data, size_t len, const uint8_t *sha,
		     size_t chunk, struct prog *p, gw_error *err)
{
	struct mem_src m = { data, len, 0, chunk };
	struct slot_dev d;
	int rc = slot_dev_check(path, len, "", &d, err);

	if (rc)
		return rc;
	return slot_write(&d, len, sha, 0, mem_read, &m, p ? on_progress : NULL, p, err);
}

/* An existing larger image shrinks to the payload, a missing one is created 0600,
 * a payload that is not a multiple of any block size reads back whole. */
static void test_image_files(void **state)
{
	static const size_t sizes[] = { 0, 1, 4095, 4097, SLOT_BUF_SIZE, 3 * SLOT_BUF_SIZE + 513 };
	char path[128];
	gw_error err = { { 0 } };
	struct stat st;

	(void)state;
	for (size_t i = 0; i < GW_ARRAY_SIZE(sizes); i++) {
		uint8_t *data = random_bytes(sizes[i]), sha[32];
		struct prog p = { { 0, 0 }, { 0, 0 }, 0 };
		int rc;

		SHA256(data, sizes[i], sha);
		snprintf(path, sizeof(path), "%s/img%zu", tmpdir, i);
		if (i % 2) { /* existing, 5 MiB of other bytes */
			uint8_t *old = random_bytes(5u << 20);

			assert_int_equal(gw_write_file_atomic(path, old, 5u << 20, 0644, NULL), 0);
			free(old);
		}
		rc = write_mem(path, data, sizes[i], sha, 70000, &p, &err);
		if (rc)
			fail_msg("size %zu: %s", sizes[i], gw_error_msg(&err, rc));
		assert_file(path, data, sizes[i]);
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_mode & 0777, i % 2 ? 0644 : 0600);
		assert_int_equal(p.last[0], sizes[i]);
		assert_int_equal(p.last[1], sizes[i]);
		assert_true(sizes[i] == 0 || (p.calls[0] > 0 && p.calls[1] > 0));
		free(data);
	}
}

static void test_refusals(void **state)
{
	size_t len = 200000;
	uint8_t *data = random_bytes(len), sha[32], bad[32];
	struct mem_src m = { data, len, 0, 4096 };
	gw_error err = { { 0 } };
	struct slot_dev d;
	char path[128], other[128];
	int rc;

	(void)state;
	SHA256(data, len, sha);
	memcpy(bad, sha, 32);
	bad[31] ^= 1;
	snprintf(path, sizeof(path), "%s/slot.img", tmpdir);

	rc = write_mem(path, data, len, bad, 4096, NULL, &err);
	assert_int_equal(rc, GW_E_REFERENCE);
	assert_non_null(strstr(err.msg, "differ from the manifest's SHA-256"));
	/* A source that checks itself is not hashed twice: the read-back still is. */
	assert_int_equal(slot_dev_check(path, len, "", &d, &err), 0);
	rc = slot_write(&d, len, bad, SLOT_SRC_VERIFIED, mem_read, &m, NULL, NULL, &err);
	assert_int_equal(rc, GW_E_REFERENCE);
	assert_non_null(strstr(err.msg, "read back, its SHA-256 differs"));
	m.off = 0;

	/* The source ends early, or gives more than the payload's size. */
	assert_int_equal(slot_dev_check(path, len, "", &d, &err), 0);
	m.len = len - 1;
	assert_int_equal(slot_write(&d, len, sha, 0, mem_read, &m, NULL, NULL, &err), GW_E_TRUNCATED);
	assert_non_null(strstr(err.msg, "ended after 199999 of 200000 bytes"));
	m.len = len;
	m.off = 0;
	assert_int_equal(slot_write(&d, len - 10, sha, 0, mem_read, &m, NULL, NULL, &err),
			 GW_E_TOOBIG);

	/* Replaced by another file after the check: refused, the new file untouched. */
	snprintf(other, sizeof(other), "%s/other", tmpdir);
	assert_int_equal(gw_write_file_atomic(other, "keep", 4, 0600, NULL), 0);
	assert_int_equal(rename(other, path), 0);
	m.off = 0;
	assert_int_equal(slot_write(&d, len, sha, 0, mem_read, &m, NULL, NULL, &err), GW_E_STATE);
	assert_non_null(strstr(err.msg, "changed since it was checked"));
	assert_file(path, (const uint8_t *)"keep", 4);

	/* Not a slot: a directory, a character device, a symbolic link outside /dev. */
	assert_int_equal(slot_dev_check(tmpdir, 1, "", &d, &err), GW_E_STATE);
	assert_non_null(strstr(err.msg, "neither a block device nor a regular file"));
	assert_int_equal(slot_dev_check("/dev/null", 1, "", &d, &err), GW_E_STATE);
	snprintf(other, sizeof(other), "%s/link", tmpdir);
	assert_int_equal(symlink(path, other), 0);
	assert_int_equal(slot_dev_check(other, 1, "", &d, &err), GW_E_STATE);
	assert_non_null(strstr(err.msg, "is a symbolic link"));
	free(data);
}

struct swap {
	const char *path, *decoy;
	uint64_t size;
	bool done;
};

/* When the last byte is written, a copy of the payload replaces the slot's path. */
static void swap_on_progress(void *user, bool verifying, uint64_t done, uint64_t total)
{
	struct swap *s = user;

	(void)total;
	if (!verifying && done == s->size && !s->done) {
		assert_int_equal(rename(s->decoy, s->path), 0);
		s->done = true;
	}
}

/* The read-back reads the file that was written: a path swapped after writing, for
 * a file that holds the right bytes, is refused. */
static void test_read_back_swapped(void **state)
{
	size_t len = 100000;
	uint8_t *data = random_bytes(len), sha[32];
	struct mem_src m = { data, len, 0, 4096 };
	gw_error err = { { 0 } };
	char path[128], decoy[128];
	struct swap sw = { path, decoy, len, false };
	struct slot_dev d;

	(void)state;
	SHA256(data, len, sha);
	snprintf(path, sizeof(path), "%s/swapped.img", tmpdir);
	snprintf(decoy, sizeof(decoy), "%s/decoy.img", tmpdir);
	assert_int_equal(gw_write_file_atomic(decoy, data, len, 0600, NULL), 0);
	assert_int_equal(slot_dev_check(path, len, "", &d, &err), 0);
	assert_int_equal(slot_write(&d, len, sha, 0, mem_read, &m, swap_on_progress, &sw, &err),
			 GW_E_STATE);
	assert_true(sw.done);
	assert_non_null(strstr(err.msg, "is no longer the file that was written"));
	free(data);
}

/* A block device another opener holds exclusively (a mounted file system, even one
 * whose mountinfo names an anonymous device, as btrfs does) is refused: the kernel
 * answers EBUSY to O_EXCL. Needs root and a loop device. */
static void test_block_busy(void **state)
{
	size_t len = 4096;
	uint8_t *data = random_bytes(len), sha[32];
	struct mem_src m = { data, len, 0, 4096 };
	gw_error err = { { 0 } };
	char img[128], cmd[512], loop[64] = "";
	struct slot_dev d;
	FILE *f;
	int held;

	(void)state;
	if (geteuid() != 0 || system("command -v losetup >/dev/null 2>&1")) {
		free(data);
		skip();
	}
	SHA256(data, len, sha);
	snprintf(img, sizeof(img), "%s/blk.img", tmpdir);
	snprintf(cmd, sizeof(cmd), "truncate -s 1M '%s' && losetup -f --show '%s'", img, img);
	f = popen(cmd, "r");
	assert_non_null(f);
	if (!fgets(loop, sizeof(loop), f) || pclose(f) || !strchr(loop, '\n')) {
		free(data);
		skip(); /* no free loop device here */
	}
	*strchr(loop, '\n') = '\0';
	held = open(loop, O_RDONLY | O_EXCL | O_CLOEXEC);
	assert_true(held >= 0);
	assert_int_equal(slot_dev_check(loop, len, "", &d, &err), 0);
	assert_int_equal(slot_write(&d, len, sha, 0, mem_read, &m, NULL, NULL, &err), GW_E_STATE);
	assert_non_null(strstr(err.msg, "is in use (mounted or held open exclusively)"));
	close(held);
	m.off = 0;
	assert_int_equal(slot_write(&d, len, sha, 0, mem_read, &m, NULL, NULL, &err), 0);
	snprintf(cmd, sizeof(cmd), "losetup -d '%s'", loop);
	assert_int_equal(system(cmd), 0);
	free(data);
}

static void test_same(void **state)
{
	struct slot_dev a, b;
	char p1[128], p2[128];

	(void)state;
	snprintf(p1, sizeof(p1), "%s/same1", tmpdir);
	snprintf(p2, sizeof(p2), "%s/same2", tmpdir);
	assert_int_equal(gw_write_file_atomic(p1, "1", 1, 0600, NULL), 0);
	assert_int_equal(slot_dev_check(p1, 1, "", &a, NULL), 0);
	assert_int_equal(link(p1, p2), 0); /* a hard link is the same file */
	assert_int_equal(slot_dev_check(p2, 1, "", &b, NULL), 0);
	assert_true(slot_dev_same(&a, &b));
	assert_int_equal(unlink(p2), 0);
	assert_int_equal(gw_write_file_atomic(p2, "2", 1, 0600, NULL), 0);
	assert_int_equal(slot_dev_check(p2, 1, "", &b, NULL), 0);
	assert_false(slot_dev_same(&a, &b));
}

static void test_mountinfo(void **state)
{
	uint8_t *text = NULL;
	size_t len = 0;
	char point[64];
	gw_error err = { { 0 } };

	(void)state;
	assert_int_equal(gw_read_file(FIXTURES "/mountinfo", 1u << 20, &text, &len, NULL), 0);
	assert_int_equal(slot_mountinfo_find((char *)text, len, makedev(179, 2), point,
					     sizeof(point), &err), 0);
	assert_string_equal(point, "/");
	assert_int_equal(slot_mountinfo_find((char *)text, len, makedev(179, 5), point,
					     sizeof(point), &err), 0);
	assert_string_equal(point, "/mnt/data\\040disk");
	assert_int_equal(slot_mountinfo_find((char *)text, len, makedev(179, 3), point,
					     sizeof(point), &err), GW_E_NOTFOUND);
	/* Cut to the buffer. */
	assert_int_equal(slot_mountinfo_find((char *)text, len, makedev(179, 5), point, 5, &err),
			 0);
	assert_string_equal(point, "/mnt");
	free(text);
	assert_int_equal(gw_read_file(FIXTURES "/mountinfo-bad", 1u << 20, &text, &len, NULL), 0);
	assert_int_equal(slot_mountinfo_find((char *)text, len, makedev(179, 3), point,
					     sizeof(point), &err), GW_E_PARSE);
	assert_non_null(strstr(err.msg, "mountinfo line 2"));
	free(text);
	/* The real one parses. */
	assert_int_equal(gw_read_file("/proc/self/mountinfo", 4u << 20, &text, &len, NULL), 0);
	assert_int_equal(slot_mountinfo_find((char *)text, len, makedev(4095, 1048575), point,
					     sizeof(point), &err), GW_E_NOTFOUND);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_image_files),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_read_back_swapped),
		cmocka_unit_test(test_block_busy),
		cmocka_unit_test(test_same),
		cmocka_unit_test(test_mountinfo),
	};

	return cmocka_run_group_tests_name("slot_write", tests, setup, teardown);
}
