// SPDX-License-Identifier: Apache-2.0
// Unit tests for the verifier's release key ([releases] release_key): the key init
// creates, its kid, the config line, and a refusal for each unfit file (missing,
// mode group or others can use, a symbolic link, a directory, another owner, not
// PEM, a public key, another curve or kind, empty, too big). The bad files are made
// here, in a temporary directory: git keeps no file modes.
#define _XOPEN_SOURCE 700 /* nftw */
#include <fcntl.h>
#include <ftw.h>
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
#include <openssl/pem.h>

#include "pki.h"
#include "relkey.h"
#include "util.h"
#include "vconfig.h"

static char dir[64];

static void in_dir(const char *name, char *buf, size_t len)
{
	assert_int_equal(gw_snprintf(buf, len, "%s/%s", dir, name), 0);
}

static void write_text(const char *name, const void *data, size_t len, mode_t mode)
{
	char path[128];
	int fd;

	in_dir(name, path, sizeof(path));
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
	assert_int_equal(chmod(path, mode), 0);
}

/* key as a PEM private key file name, mode 0600. */
static void write_key(const char *name, EVP_PKEY *key)
{
	char path[128];

	in_dir(name, path, sizeof(path));
	assert_int_equal(pki_key_write(path, key, NULL), 0);
	EVP_PKEY_free(key);
}

/* relkey_load(name) fails with want, and the message says what. */
static void load_fails(const char *name, int want, const char *says)
{
	char path[128];
	gw_error err = { { 0 } };
	EVP_PKEY *key = (EVP_PKEY *)1;
	int rc;

	in_dir(name, path, sizeof(path));
	rc = relkey_load(path, &key, &err);
	if (rc != want || !strstr(gw_error_msg(&err, rc), says) ||
	    !strstr(gw_error_msg(&err, rc), path))
		fail_msg("%s: %d '%s', wanted %d '%s'", name, rc, gw_error_msg(&err, rc), want,
			 says);
	assert_null(key);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/gw-relkey-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void test_create_load_kid(void **state)
{
	char path[128], kid[RELKEY_KID_LEN], want[DSSE_KEYID_LEN];
	uint8_t *before = NULL, *after = NULL;
	size_t nb = 0, na = 0;
	EVP_PKEY *key = NULL;
	struct stat sb;

	(void)state;
	in_dir("release.key", path, sizeof(path));
	assert_int_equal(relkey_create(path, NULL), 0);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	assert_int_equal(relkey_load(path, &key, NULL), 0);
	assert_int_equal(relkey_kid(key, kid, NULL), 0);
	assert_int_equal(dsse_keyid(key, want), 0);
	assert_string_equal(kid, want);
	assert_int_equal(strlen(kid), 64);
	assert_int_equal(strspn(kid, "0123456789abcdef"), 64);
	EVP_PKEY_free(key);
	/* Never overwritten. */
	assert_int_equal(gw_read_file(path, 1 << 16, &before, &nb, NULL), 0);
	assert_int_equal(relkey_create(path, NULL), GW_E_EXISTS);
	assert_int_equal(gw_read_file(path, 1 << 16, &after, &na, NULL), 0);
	assert_int_equal(na, nb);
	assert_memory_equal(after, before, nb);
	free(before);
	free(after);
	/* Stricter than 0600 is fine. */
	assert_int_equal(chmod(path, 0400), 0);
	assert_int_equal(relkey_load(path, &key, NULL), 0);
	EVP_PKEY_free(key);
}

static void test_bad_mode(void **state)
{
	static const mode_t modes[] = { 0640, 0604, 0660, 0644, 0602, 0620, 0610, 0601 };
	char path[128], name[32];

	(void)state;
	for (size_t i = 0; i < GW_ARRAY_SIZE(modes); i++) {
		snprintf(name, sizeof(name), "mode-%o.key", (unsigned)modes[i]);
		in_dir(name, path, sizeof(path));
		assert_int_equal(relkey_create(path, NULL), 0);
		assert_int_equal(chmod(path, modes[i]), 0);
		load_fails(name, GW_E_CONFIG, "0600 or stricter");
	}
}

static void test_missing_link_dir_owner(void **state)
{
	char path[128], target[128];

	(void)state;
	load_fails("missing.key", GW_E_NOTFOUND, "no such file");
	in_dir("real.key", target, sizeof(target));
	assert_int_equal(relkey_create(target, NULL), 0);
	in_dir("link.key", path, sizeof(path));
	assert_int_equal(symlink(target, path), 0);
	load_fails("link.key", GW_E_CONFIG, "symbolic link");
	in_dir("adir.key", path, sizeof(path));
	assert_int_equal(mkdir(path, 0700), 0);
	load_fails("adir.key", GW_E_CONFIG, "not a regular file");
	/* Another owner (only root can give a file away). */
	if (geteuid() == 0) {
		in_dir("theirs.key", path, sizeof(path));
		assert_int_equal(relkey_create(path, NULL), 0);
		assert_int_equal(chown(path, 4242, 4242), 0);
		load_fails("theirs.key", GW_E_CONFIG, "owned by uid 4242");
	}
}

static void test_not_p256(void **state)
{
	static const char garbage[] = "not a key at all\n";
	char *big;
	EVP_PKEY *p384 = EVP_EC_gen("P-384"), *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	EVP_PKEY *p256 = EVP_EC_gen("P-256");
	char path[128];

	(void)state;
	assert_non_null(p384);
	assert_non_null(ed);
	assert_non_null(p256);
	write_key("p384.key", p384);
	load_fails("p384.key", GW_E_KEY, "not an ECC P-256 key");
	write_key("ed25519.key", ed);
	load_fails("ed25519.key", GW_E_KEY, "not an ECC P-256 key");
	/* The public half alone is no private key. */
	in_dir("public.key", path, sizeof(path));
	assert_int_equal(pki_pubkey_write(path, p256, NULL), 0);
	assert_int_equal(chmod(path, 0600), 0);
	EVP_PKEY_free(p256);
	load_fails("public.key", GW_E_KEY, "not a PEM private key");
	write_text("garbage.key", garbage, sizeof(garbage) - 1, 0600);
	load_fails("garbage.key", GW_E_KEY, "not a PEM private key");
	write_text("empty.key", "", 0, 0600);
	load_fails("empty.key", GW_E_KEY, "empty");
	big = malloc(70000);
	assert_non_null(big);
	memset(big, 'A', 70000);
	write_text("big.key", big, 70000, 0600);
	free(big);
	load_fails("big.key", GW_E_TOOBIG, "64 KiB");
}

/* [releases] release_key: resolved against the config's directory; empty refused. */
static void test_config_line(void **state)
{
	static const char head[] = "[verifier]\nid = v\nlisten = 127.0.0.1:8443\n"
				   "store = sqlite:v.db\ntls_cert = s.pem\ntls_key = s.key\n"
				   "ca_cert = c.pem\nca_key = c.key\ngate_key = g.key\n"
				   "[releases]\n";
	char path[128], want[160], text[512];
	struct vconfig cfg;
	gw_error err = { { 0 } };

	(void)state;
	in_dir("v.conf", path, sizeof(path));
	snprintf(text, sizeof(text), "%srelease_key = release.key\n", head);
	write_text("v.conf", text, strlen(text), 0644);
	vconfig_defaults(&cfg);
	assert_int_equal(vconfig_load(path, &cfg, &err), 0);
	in_dir("release.key", want, sizeof(want));
	assert_string_equal(cfg.release_key, want);
	vconfig_fini(&cfg);
	snprintf(text, sizeof(text), "%s", head);
	write_text("v.conf", text, strlen(text), 0644);
	vconfig_defaults(&cfg);
	assert_int_equal(vconfig_load(path, &cfg, &err), 0);
	assert_null(cfg.release_key);
	vconfig_fini(&cfg);
	snprintf(text, sizeof(text), "%srelease_key =\n", head);
	write_text("v.conf", text, strlen(text), 0644);
	vconfig_defaults(&cfg);
	assert_int_equal(vconfig_load(path, &cfg, &err), GW_E_CONFIG);
	assert_non_null(strstr(gw_error_msg(&err, GW_E_CONFIG), "release_key"));
	vconfig_fini(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_load_kid),
		cmocka_unit_test(test_bad_mode),
		cmocka_unit_test(test_missing_link_dir_owner),
		cmocka_unit_test(test_not_p256),
		cmocka_unit_test(test_config_line),
	};

	return cmocka_run_group_tests_name("relkey", tests, setup, teardown);
}
