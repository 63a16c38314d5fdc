// SPDX-License-Identifier: Apache-2.0
// Unit tests for the device TLS identity files: a new key written 0600, a new pair
// installed, each point where a crash can cut an installation short finished (or
// discarded) by identity_complete, and when a certificate is due for renewal.
#include <limits.h>
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
#include <openssl/x509.h>

#include "agent.h"
#include "enroll_state.h"
#include "identity.h"
#include "renew.h"
#include "util.h"

struct fixture {
	char dir[PATH_MAX];
	struct agent_ctx ctx;
	EVP_PKEY *old_key, *new_key;
	char *old_cert, *new_cert;
};

/* A self-signed certificate for key, valid for days from now. */
static char *cert_for(EVP_PKEY *key, long days)
{
	X509 *x = X509_new();
	BIO *bio = BIO_new(BIO_s_mem());
	char *data, *pem;
	long n;

	assert_non_null(x);
	assert_non_null(bio);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), 0x1234 + days), 1);
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), 0));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), days * 86400));
	assert_int_equal(X509_set_pubkey(x, key), 1);
	assert_int_equal(X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
						    (const unsigned char *)"gw-1", -1, -1, 0),
			 1);
	assert_int_equal(X509_set_issuer_name(x, X509_get_subject_name(x)), 1);
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	assert_int_equal(PEM_write_bio_X509(bio, x), 1);
	n = BIO_get_mem_data(bio, &data);
	pem = strndup(data, (size_t)n);
	assert_non_null(pem);
	BIO_free(bio);
	X509_free(x);
	return pem;
}

static void path(const struct fixture *f, const char *name, char *buf)
{
	assert_int_equal(agent_path(&f->ctx, name, buf, PATH_MAX), 0);
}

static void put(const struct fixture *f, const char *name, const char *text)
{
	char p[PATH_MAX];

	path(f, name, p);
	assert_int_equal(gw_write_file_atomic(p, text, strlen(text), 0600, NULL), 0);
}

static void put_key(const struct fixture *f, const char *name, EVP_PKEY *key)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data, *text;
	long n;

	assert_int_equal(PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL), 1);
	n = BIO_get_mem_data(bio, &data);
	text = strndup(data, (size_t)n);
	put(f, name, text);
	free(text);
	BIO_free(bio);
}

static bool exists(const struct fixture *f, const char *name)
{
	char p[PATH_MAX];

	path(f, name, p);
	return access(p, F_OK) == 0;
}

/* The installed pair is (key, cert) and no new file is left. */
static void assert_pair(const struct fixture *f, EVP_PKEY *key, const char *cert)
{
	char p[PATH_MAX];
	uint8_t *buf = NULL;
	size_t len = 0;
	EVP_PKEY *k = NULL;

	path(f, ENROLL_TLS_KEY_FILE, p);
	assert_int_equal(identity_key_read(p, &k, NULL), 0);
	assert_int_equal(EVP_PKEY_eq(k, key), 1);
	EVP_PKEY_free(k);
	path(f, ENROLL_TLS_CERT_FILE, p);
	assert_int_equal(gw_read_file(p, 65536, &buf, &len, NULL), 0);
	assert_int_equal(len, strlen(cert));
	assert_memory_equal(buf, cert, len);
	free(buf);
	assert_false(exists(f, IDENTITY_NEW_CERT_FILE));
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/gw-test-identity.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	f->ctx.state_dir = f->dir;
	f->ctx.lock_fd = -1;
	f->old_key = EVP_EC_gen("P-256");
	f->new_key = EVP_EC_gen("P-256");
	if (!f->old_key || !f->new_key)
		return -1;
	f->old_cert = cert_for(f->old_key, 30);
	f->new_cert = cert_for(f->new_key, 365);
	put_key(f, ENROLL_TLS_KEY_FILE, f->old_key);
	put(f, ENROLL_TLS_CERT_FILE, f->old_cert);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	static const char *const names[] = { ENROLL_TLS_KEY_FILE, ENROLL_TLS_CERT_FILE,
					     IDENTITY_NEW_KEY_FILE, IDENTITY_NEW_CERT_FILE };
	char p[PATH_MAX];

	for (size_t i = 0; i < GW_ARRAY_SIZE(names); i++) {
		path(f, names[i], p);
		unlink(p);
	}
	rmdir(f->dir);
	EVP_PKEY_free(f->old_key);
	EVP_PKEY_free(f->new_key);
	free(f->old_cert);
	free(f->new_cert);
	free(f);
	return 0;
}

static void test_key_create(void **state)
{
	struct fixture *f = *state;
	char p[PATH_MAX];
	struct stat sb;
	EVP_PKEY *k = NULL, *back = NULL;

	path(f, IDENTITY_NEW_KEY_FILE, p);
	assert_int_equal(identity_key_create(p, &k, NULL), 0);
	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(identity_key_read(p, &back, NULL), 0);
	assert_int_equal(EVP_PKEY_eq(k, back), 1);
	EVP_PKEY_free(back);
	EVP_PKEY_free(k);
	/* Not a P-256 private key: refused. */
	put(f, IDENTITY_NEW_KEY_FILE, f->old_cert);
	assert_int_equal(identity_key_read(p, &back, NULL), GW_E_KEY);
}

static void test_install(void **state)
{
	struct fixture *f = *state;
	struct certinfo info;
	gw_error err = { { 0 } };

	put_key(f, IDENTITY_NEW_KEY_FILE, f->new_key);
	/* A certificate for another key is not installed, and nothing changes. */
	assert_int_equal(identity_install(&f->ctx, f->new_key, f->old_cert, &info, &err),
			 GW_E_KEY);
	assert_non_null(strstr(err.msg, "not for the new TLS key"));
	assert_pair(f, f->old_key, f->old_cert);
	assert_int_equal(identity_install(&f->ctx, f->new_key, f->new_cert, &info, &err), 0);
	assert_pair(f, f->new_key, f->new_cert);
	assert_false(exists(f, IDENTITY_NEW_KEY_FILE));
	assert_string_equal(info.serial, "13a1"); /* 0x1234 + 365 */
	assert_true(info.not_after - info.not_before == 365 * 86400);
}

/* Crashed after the certificate was saved, before either rename. */
static void test_complete_before_renames(void **state)
{
	struct fixture *f = *state;
	char why[8192];
	bool done = false;

	put_key(f, IDENTITY_NEW_KEY_FILE, f->new_key);
	put(f, IDENTITY_NEW_CERT_FILE, f->new_cert);
	assert_int_equal(identity_complete(&f->ctx, &done, why, sizeof(why), NULL), 0);
	assert_true(done);
	assert_pair(f, f->new_key, f->new_cert);
	assert_false(exists(f, IDENTITY_NEW_KEY_FILE));
}

/* Crashed between the renames: the key is in place, the certificate waits. */
static void test_complete_between_renames(void **state)
{
	struct fixture *f = *state;
	char why[8192];
	bool done = false;

	put_key(f, ENROLL_TLS_KEY_FILE, f->new_key);
	put(f, IDENTITY_NEW_CERT_FILE, f->new_cert);
	assert_int_equal(identity_complete(&f->ctx, &done, why, sizeof(why), NULL), 0);
	assert_true(done);
	assert_pair(f, f->new_key, f->new_cert);
}

/* Crashed before the verifier answered: the old pair stays, the new key waits to
 * be replaced; a certificate for no new key is thrown away. */
static void test_complete_nothing(void **state)
{
	struct fixture *f = *state;
	struct identity_facts id;
	char *stray = cert_for(f->old_key, 1);
	char why[8192];
	bool done = true;

	put_key(f, IDENTITY_NEW_KEY_FILE, f->new_key);
	assert_int_equal(identity_complete(&f->ctx, &done, why, sizeof(why), NULL), 0);
	assert_false(done);
	assert_pair(f, f->old_key, f->old_cert);
	assert_true(exists(f, IDENTITY_NEW_KEY_FILE));

	put(f, IDENTITY_NEW_CERT_FILE, stray);
	free(stray);
	assert_int_equal(identity_complete(&f->ctx, &done, why, sizeof(why), NULL), 0);
	assert_false(done);
	assert_false(exists(f, IDENTITY_NEW_CERT_FILE));
	assert_pair(f, f->old_key, f->old_cert);

	assert_int_equal(identity_read(&f->ctx, &id, NULL), 0);
	assert_true(id.usable);
	assert_true(id.cert.not_after - id.cert.not_before == 30 * 86400);
}

static void test_read_unusable(void **state)
{
	struct fixture *f = *state;
	struct identity_facts id;
	char p[PATH_MAX];

	put(f, ENROLL_TLS_CERT_FILE, f->new_cert);
	assert_int_equal(identity_read(&f->ctx, &id, NULL), 0);
	assert_false(id.usable);
	assert_non_null(strstr(id.why, "is not the certificate of"));
	path(f, ENROLL_TLS_CERT_FILE, p);
	unlink(p);
	assert_int_equal(identity_read(&f->ctx, &id, NULL), 0);
	assert_false(id.usable);
	assert_non_null(strstr(id.why, ENROLL_TLS_CERT_FILE));
}

/* Unreadable leftovers do not block the rounds: removed, said why, the old pair
 * stays in force. */
static void test_complete_unreadable(void **state)
{
	struct fixture *f = *state;
	char why[8192];
	bool done = true;

	put(f, IDENTITY_NEW_CERT_FILE, "-----BEGIN CERTIFICATE-----\nnot base64\n");
	assert_int_equal(identity_complete(&f->ctx, &done, why, sizeof(why), NULL), 0);
	assert_false(done);
	assert_false(exists(f, IDENTITY_NEW_CERT_FILE));
	assert_non_null(strstr(why, IDENTITY_NEW_CERT_FILE));
	assert_pair(f, f->old_key, f->old_cert);

	/* A good certificate, its new key unreadable: both go. */
	put(f, IDENTITY_NEW_KEY_FILE, "garbage\n");
	put(f, IDENTITY_NEW_CERT_FILE, f->new_cert);
	assert_int_equal(identity_complete(&f->ctx, &done, why, sizeof(why), NULL), 0);
	assert_false(done);
	assert_false(exists(f, IDENTITY_NEW_CERT_FILE));
	assert_false(exists(f, IDENTITY_NEW_KEY_FILE));
	assert_non_null(strstr(why, IDENTITY_NEW_KEY_FILE));
	assert_pair(f, f->old_key, f->old_cert);

	/* Nothing left: nothing said. */
	assert_int_equal(identity_complete(&f->ctx, &done, why, sizeof(why), NULL), 0);
	assert_string_equal(why, "");
}

/* The temporary name is random: a file left at the old fixed name (path.tmp.<pid>,
 * a PID reused after a crash) does not make the write fail; nothing else is left. */
static void test_write_reused_pid(void **state)
{
	struct fixture *f = *state;
	char leftover[PATH_MAX + 32], p[PATH_MAX];
	uint8_t *buf = NULL;
	size_t len = 0;

	path(f, "state.txt", p);
	assert_int_equal(gw_snprintf(leftover, sizeof(leftover), "%s.tmp.%ld", p, (long)getpid()), 0);
	put(f, "marker", "x");
	assert_int_equal(symlink("marker", leftover), 0);
	assert_int_equal(gw_write_file_atomic(p, "new\n", 4, 0600, NULL), 0);
	assert_int_equal(gw_read_file(p, 64, &buf, &len, NULL), 0);
	assert_int_equal(len, 4);
	assert_memory_equal(buf, "new\n", 4);
	free(buf);
	assert_int_equal(unlink(leftover), 0);
	assert_int_equal(unlink(p), 0);
}

/* Temporary files of tls.key.new and tls.pem.new that a crash left are removed;
 * others are not this function's. */
static void test_complete_sweeps_temps(void **state)
{
	struct fixture *f = *state;
	char why[8192];
	bool done = true;

	put(f, IDENTITY_NEW_KEY_FILE ".tmp.12345", "private key\n");
	put(f, IDENTITY_NEW_CERT_FILE ".tmp.0123456789abcdef", "certificate\n");
	put(f, "other.tmp.1", "kept\n");
	assert_int_equal(identity_complete(&f->ctx, &done, why, sizeof(why), NULL), 0);
	assert_false(done);
	assert_false(exists(f, IDENTITY_NEW_KEY_FILE ".tmp.12345"));
	assert_false(exists(f, IDENTITY_NEW_CERT_FILE ".tmp.0123456789abcdef"));
	assert_true(exists(f, "other.tmp.1"));
	assert_pair(f, f->old_key, f->old_cert);
}

static void test_due(void **state)
{
	struct certinfo c = { .not_before = 1000, .not_after = 1000 + 300 };

	(void)state;
	assert_false(certinfo_renew_due(&c, 1000));
	assert_false(certinfo_renew_due(&c, 1199));
	assert_true(certinfo_renew_due(&c, 1200)); /* a third left */
	assert_true(certinfo_renew_due(&c, 1300));
	assert_true(certinfo_renew_due(&c, 5000));
	c.not_after = c.not_before;
	assert_true(certinfo_renew_due(&c, 0));
	assert_string_equal(renew_action_name(RENEW_RENEWED), "renewed");
	assert_string_equal(renew_action_name(RENEW_RECOVERED), "recovered");
	assert_string_equal(renew_action_name(RENEW_NONE), "none");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_key_create, setup, teardown),
		cmocka_unit_test_setup_teardown(test_install, setup, teardown),
		cmocka_unit_test_setup_teardown(test_complete_before_renames, setup, teardown),
		cmocka_unit_test_setup_teardown(test_complete_between_renames, setup, teardown),
		cmocka_unit_test_setup_teardown(test_complete_unreadable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_reused_pid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_complete_sweeps_temps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_complete_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_unusable, setup, teardown),
		cmocka_unit_test(test_due),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
