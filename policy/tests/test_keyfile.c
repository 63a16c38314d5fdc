// SPDX-License-Identifier: Apache-2.0
// Unit tests for gwpolicy's key files: 0600, never overwritten, no symlinks.
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
#include <openssl/ec.h>
#include <openssl/evp.h>

#include "dsse.h"
#include "policy.h"
#include "util.h"

static void test_key_write_read(void **state)
{
	char dir[] = "/tmp/gwpolicy-test.XXXXXX", path[256], link_path[256], other[256];
	EVP_PKEY *key = EVP_EC_gen("P-256"), *back = NULL, *pub = NULL;
	char a[DSSE_KEYID_LEN], b[DSSE_KEYID_LEN];
	gw_error err = { { 0 } };
	struct stat st;

	(void)state;
	assert_non_null(key);
	assert_non_null(mkdtemp(dir));
	assert_int_equal(gw_snprintf(path, sizeof(path), "%s/k.key", dir), 0);
	assert_int_equal(gw_snprintf(link_path, sizeof(link_path), "%s/link.key", dir), 0);
	assert_int_equal(gw_snprintf(other, sizeof(other), "%s/other", dir), 0);

	assert_int_equal(policy_key_write(path, key, &err), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(policy_key_write(path, key, &err), GW_E_EXISTS);
	/* A link is refused even when it points nowhere yet. */
	assert_int_equal(symlink(other, link_path), 0);
	assert_int_not_equal(policy_key_write(link_path, key, &err), 0);
	assert_int_equal(access(other, F_OK), -1);

	assert_int_equal(policy_key_read(path, &back, &err), 0);
	assert_int_equal(dsse_keyid(key, a), 0);
	assert_int_equal(dsse_keyid(back, b), 0);
	assert_string_equal(a, b);
	/* A private key file is not a public key. */
	assert_int_equal(policy_pub_read(path, &pub, &err), GW_E_KEY);
	assert_null(pub);

	unlink(link_path);
	unlink(path);
	rmdir(dir);
	EVP_PKEY_free(back);
	EVP_PKEY_free(key);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_write_read),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
