// SPDX-License-Identifier: Apache-2.0
// Unit tests for gw_link_durable: a written temporary file moved into place only
// when nothing (file, directory, symlink, dangling or not) holds the name yet.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "util.h"

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
	*state = d;
	return 0;
}

static int teardown(void **state)
{
	struct dirs *d = *state;
	char p[160];

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

static void test_moved(void **state)
{
	struct dirs *d = *state;
	struct stat sb;

	put(d->tmp, "new");
	assert_int_equal(gw_link_durable(d->tmp, d->path, NULL), 0);
	expect(d->path, "new");
	assert_int_equal(lstat(d->tmp, &sb), -1);
}

/* A file that appeared after the caller's check: kept, tmp kept for the caller. */
static void test_file_kept(void **state)
{
	struct dirs *d = *state;
	gw_error err = { { 0 } };

	put(d->path, "theirs");
	put(d->tmp, "ours");
	assert_int_equal(gw_link_durable(d->tmp, d->path, &err), GW_E_EXISTS);
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
	assert_int_equal(lstat(d->path, &sb), 0);
	assert_true(S_ISDIR(sb.st_mode));
}

/* No temporary file: an I/O error, nothing created. */
static void test_no_tmp(void **state)
{
	struct dirs *d = *state;
	struct stat sb;

	assert_int_equal(gw_link_durable(d->tmp, d->path, NULL), GW_E_IO);
	assert_int_equal(lstat(d->path, &sb), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_moved, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dir_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_tmp, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
