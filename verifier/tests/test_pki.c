// SPDX-License-Identifier: Apache-2.0
// Unit tests for the verifier's PKI: key files, the CA, server and client
// certificates checked with OpenSSL's own chain verification, and certificate files.
#define _XOPEN_SOURCE 700 /* nftw */
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "pki.h"
#include "util.h"

/* One CA, a server and a client certificate, made once for the group. */
struct pki_fixture {
	char dir[64];
	EVP_PKEY *ca_key, *srv_key, *cli_key;
	X509 *ca, *srv, *cli;
};

static void in_dir(const struct pki_fixture *f, const char *name, char *buf, size_t len)
{
	assert_int_equal(gw_snprintf(buf, len, "%s/%s", f->dir, name), 0);
}

static void write_bytes(const char *path, const void *data, size_t len)
{
	FILE *fp = fopen(path, "wbe");

	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

static void file_digest(const char *path, unsigned char md[32])
{
	uint8_t *buf = NULL;
	size_t len = 0;

	assert_int_equal(gw_read_file(path, 1 << 20, &buf, &len, NULL), 0);
	assert_int_equal(EVP_Digest(buf, len, md, NULL, EVP_sha256(), NULL), 1);
	free(buf);
}

static int group_setup(void **state)
{
	struct pki_fixture *f = calloc(1, sizeof(*f));
	gw_error err = { { 0 } };

	if (!f)
		return -1;
	*state = f;
	memcpy(f->dir, "/tmp/gw-test-pki.XXXXXX", sizeof("/tmp/gw-test-pki.XXXXXX"));
	if (!mkdtemp(f->dir))
		return -1;
	if (pki_key_generate(&f->ca_key, &err) || pki_key_generate(&f->srv_key, &err) ||
	    pki_key_generate(&f->cli_key, &err) ||
	    pki_ca_create(f->ca_key, "Test CA", 30, &f->ca, &err) ||
	    pki_issue(f->ca, f->ca_key, f->srv_key, "verifier-test", PKI_SERVER,
		      "IP:127.0.0.1,DNS:localhost", 30, &f->srv, &err) ||
	    pki_issue(f->ca, f->ca_key, f->cli_key, "device-1", PKI_CLIENT, NULL, 30, &f->cli,
		      &err)) {
		fprintf(stderr, "setup: %s\n", err.msg);
		return -1;
	}
	return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int group_teardown(void **state)
{
	struct pki_fixture *f = *state;

	if (!f)
		return 0;
	if (f->dir[0] && strcmp(f->dir + strlen(f->dir) - 6, "XXXXXX"))
		nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	X509_free(f->ca);
	X509_free(f->srv);
	X509_free(f->cli);
	EVP_PKEY_free(f->ca_key);
	EVP_PKEY_free(f->srv_key);
	EVP_PKEY_free(f->cli_key);
	free(f);
	return 0;
}

static void test_key_generate(void **state)
{
	const struct pki_fixture *f = *state;

	assert_true(EVP_PKEY_is_a(f->ca_key, "EC"));
	assert_int_equal(EVP_PKEY_get_bits(f->ca_key), 256);
	assert_int_not_equal(EVP_PKEY_eq(f->ca_key, f->srv_key), 1);
}

static void test_key_write_read(void **state)
{
	const struct pki_fixture *f = *state;
	char path[128];
	unsigned char before[32], after[32];
	EVP_PKEY *back = NULL;
	gw_error err = { { 0 } };
	struct stat st;
	mode_t old = umask(0);

	in_dir(f, "k.key", path, sizeof(path));
	assert_int_equal(pki_key_write(path, f->srv_key, &err), 0);
	umask(old);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(pki_key_read(path, &back, &err), 0);
	assert_int_equal(EVP_PKEY_eq(back, f->srv_key), 1);
	assert_int_not_equal(EVP_PKEY_eq(back, f->ca_key), 1);
	EVP_PKEY_free(back);

	/* An existing key is never overwritten, nor removed by the failed attempt. */
	file_digest(path, before);
	assert_int_equal(pki_key_write(path, f->ca_key, &err), GW_E_EXISTS);
	assert_non_null(strstr(err.msg, path));
	file_digest(path, after);
	assert_memory_equal(before, after, sizeof(before));
	assert_int_equal(pki_key_write(path, f->ca_key, NULL), GW_E_EXISTS);
}

/* A symlink at the path, dangling or not, is refused: nothing is written through it. */
static void test_key_write_symlink(void **state)
{
	const struct pki_fixture *f = *state;
	char link[128], target[128], other[128];
	gw_error err = { { 0 } };
	struct stat st;

	in_dir(f, "dangling.key", link, sizeof(link));
	in_dir(f, "dangling-target", target, sizeof(target));
	assert_int_equal(symlink(target, link), 0);
	assert_int_not_equal(pki_key_write(link, f->srv_key, &err), 0);
	assert_int_equal(lstat(target, &st), -1);
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISLNK(st.st_mode));

	in_dir(f, "existing.key", link, sizeof(link));
	in_dir(f, "existing-target", other, sizeof(other));
	write_bytes(other, "keep", 4);
	assert_int_equal(symlink(other, link), 0);
	assert_int_not_equal(pki_key_write(link, f->srv_key, &err), 0);
	assert_int_equal(stat(other, &st), 0);
	assert_int_equal(st.st_size, 4);
}

static void test_key_read_bad(void **state)
{
	const struct pki_fixture *f = *state;
	char path[128];
	EVP_PKEY *key = NULL;
	gw_error err = { { 0 } };

	in_dir(f, "garbage.key", path, sizeof(path));
	write_bytes(path, "-----BEGIN PRIVATE KEY-----\nnot base64\n", 39);
	assert_int_equal(pki_key_read(path, &key, &err), GW_E_KEY);
	assert_null(key);
	assert_non_null(strstr(err.msg, path));
	in_dir(f, "no-such.key", path, sizeof(path));
	assert_int_equal(pki_key_read(path, &key, &err), GW_E_NOTFOUND);
	assert_null(key);
}

static void test_pubkey_write(void **state)
{
	const struct pki_fixture *f = *state;
	char path[128];
	gw_error err = { { 0 } };
	struct stat st;
	EVP_PKEY *pub;
	FILE *fp;
	mode_t old = umask(0);

	in_dir(f, "gate.pub", path, sizeof(path));
	assert_int_equal(pki_pubkey_write(path, f->cli_key, &err), 0);
	/* Replaced, not refused: a public key is not a secret. */
	assert_int_equal(pki_pubkey_write(path, f->ca_key, &err), 0);
	umask(old);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	fp = fopen(path, "re");
	assert_non_null(fp);
	pub = PEM_read_PUBKEY(fp, NULL, NULL, NULL);
	fclose(fp);
	assert_non_null(pub);
	assert_int_equal(EVP_PKEY_eq(pub, f->ca_key), 1);
	EVP_PKEY_free(pub);
}

static void test_ca(void **state)
{
	const struct pki_fixture *f = *state;
	BASIC_CONSTRAINTS *bc;
	int crit = -1;
	char cn[64];

	assert_int_equal(X509_check_issued(f->ca, f->ca), X509_V_OK);
	assert_int_equal(X509_verify(f->ca, f->ca_key), 1);
	assert_int_equal(X509_NAME_cmp(X509_get_subject_name(f->ca), X509_get_issuer_name(f->ca)),
			 0);
	assert_int_equal(X509_NAME_get_text_by_NID(X509_get_subject_name(f->ca), NID_commonName,
						   cn, sizeof(cn)),
			 7);
	assert_string_equal(cn, "Test CA");
	bc = X509_get_ext_d2i(f->ca, NID_basic_constraints, &crit, NULL);
	assert_non_null(bc);
	assert_int_equal(crit, 1);
	assert_true(bc->ca);
	BASIC_CONSTRAINTS_free(bc);
	assert_true(X509_check_ca(f->ca) >= 1);
	assert_true(X509_get_key_usage(f->ca) & KU_KEY_CERT_SIGN);
	assert_int_equal(X509_get_version(f->ca), 2);
	assert_non_null(X509_get0_subject_key_id(f->ca));
}

/* OpenSSL's chain verification of cert against the CA alone, for one purpose. */
static int verify(const struct pki_fixture *f, X509 *cert, int purpose, int *err_out)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int ok;

	assert_non_null(store);
	assert_non_null(ctx);
	assert_int_equal(X509_STORE_add_cert(store, f->ca), 1);
	assert_int_equal(X509_STORE_CTX_init(ctx, store, cert, NULL), 1);
	assert_int_equal(X509_STORE_CTX_set_purpose(ctx, purpose), 1);
	ok = X509_verify_cert(ctx);
	*err_out = X509_STORE_CTX_get_error(ctx);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return ok;
}

static void assert_leaf(X509 *cert)
{
	BASIC_CONSTRAINTS *bc;
	int crit = -1;

	bc = X509_get_ext_d2i(cert, NID_basic_constraints, &crit, NULL);
	assert_non_null(bc);
	assert_int_equal(crit, 1);
	assert_false(bc->ca);
	BASIC_CONSTRAINTS_free(bc);
	assert_int_equal(X509_check_ca(cert), 0);
	assert_false(X509_get_key_usage(cert) & KU_KEY_CERT_SIGN);
}

static void test_server_cert(void **state)
{
	const struct pki_fixture *f = *state;
	EVP_PKEY *other_key = NULL;
	X509 *other_ca = NULL;
	struct pki_fixture other;
	int verr = 0;

	assert_int_equal(verify(f, f->srv, X509_PURPOSE_SSL_SERVER, &verr), 1);
	assert_int_equal(verr, X509_V_OK);
	assert_leaf(f->srv);
	assert_true(X509_get_extension_flags(f->srv) & EXFLAG_XKUSAGE);
	assert_true(X509_get_extended_key_usage(f->srv) & XKU_SSL_SERVER);
	assert_false(X509_get_extended_key_usage(f->srv) & XKU_SSL_CLIENT);
	assert_int_equal(X509_check_ip_asc(f->srv, "127.0.0.1", 0), 1);
	assert_int_equal(X509_check_ip_asc(f->srv, "127.0.0.2", 0), 0);
	assert_int_equal(X509_check_host(f->srv, "localhost", 0, 0, NULL), 1);
	assert_int_equal(X509_check_host(f->srv, "example.com", 0, 0, NULL), 0);
	assert_int_equal(X509_check_issued(f->ca, f->srv), X509_V_OK);
	assert_int_equal(X509_verify(f->srv, f->srv_key), 0);
	ERR_clear_error();

	/* Another CA with the same name does not verify it. */
	assert_int_equal(pki_key_generate(&other_key, NULL), 0);
	assert_int_equal(pki_ca_create(other_key, "Test CA", 30, &other_ca, NULL), 0);
	other.ca = other_ca;
	assert_int_equal(verify(&other, f->srv, X509_PURPOSE_SSL_SERVER, &verr), 0);
	assert_int_not_equal(verr, X509_V_OK);
	X509_free(other_ca);
	EVP_PKEY_free(other_key);
}

static void test_client_cert(void **state)
{
	const struct pki_fixture *f = *state;
	int verr = 0;

	assert_int_equal(verify(f, f->cli, X509_PURPOSE_SSL_CLIENT, &verr), 1);
	assert_int_equal(verr, X509_V_OK);
	assert_int_equal(verify(f, f->cli, X509_PURPOSE_SSL_SERVER, &verr), 0);
	assert_int_equal(verr, X509_V_ERR_INVALID_PURPOSE);
	/* and the server certificate is no client certificate */
	assert_int_equal(verify(f, f->srv, X509_PURPOSE_SSL_CLIENT, &verr), 0);
	assert_int_equal(verr, X509_V_ERR_INVALID_PURPOSE);
	assert_leaf(f->cli);
	assert_true(X509_get_extended_key_usage(f->cli) & XKU_SSL_CLIENT);
	assert_false(X509_get_extended_key_usage(f->cli) & XKU_SSL_SERVER);
	assert_int_equal(X509_get_ext_by_NID(f->cli, NID_subject_alt_name, -1), -1);
}

/* The verifier's EK certificate profile: tcg-kp-EKCertificate, not a CA. */
static void test_ek_profile(void **state)
{
	const struct pki_fixture *f = *state;
	EVP_PKEY *ek = NULL;
	X509 *cert = NULL;
	gw_error err = { { 0 } };

	assert_int_equal(pki_key_generate(&ek, NULL), 0);
	assert_int_equal(pki_issue(f->ca, f->ca_key, ek, "tpm-ek", PKI_EK, NULL, 30, &cert, NULL), 0);
	assert_int_equal(pki_check_ek_profile(cert, &err), 0);
	assert_true(X509_get_key_usage(cert) & KU_KEY_ENCIPHERMENT);
	assert_int_equal(pki_check_ek_profile(f->cli, &err), GW_E_KEY);
	assert_non_null(strstr(err.msg, "tcg-kp-EKCertificate"));
	assert_int_equal(pki_check_ek_profile(f->srv, &err), GW_E_KEY);
	assert_int_equal(pki_check_ek_profile(f->ca, &err), GW_E_KEY);
	assert_non_null(strstr(err.msg, "CA certificate"));
	X509_free(cert);
	EVP_PKEY_free(ek);
}

static X509 *read_ek_fixture(const char *name)
{
	char path[256];
	X509 *cert = NULL;
	gw_error err = { { 0 } };

	assert_int_equal(gw_snprintf(path, sizeof(path), "verifier/tests/fixtures/ek/%s", name), 0);
	if (pki_cert_read(path, &cert, &err))
		fail_msg("%s: %s", path, err.msg);
	return cert;
}

/* EK certificates from an EK CA (fixtures/ek/make-fixtures.sh): the profile's
 * good ones pass; a CA (also CA:TRUE with an EK's key usage, which
 * X509_check_ca() calls no CA), keyCertSign or cRLSign, and a key other than RSA
 * >= 2048 or P-256/P-384 are refused, each with its reason. All chain to the CA:
 * only the profile check stands between them and enrollment. */
static void test_ek_profile_fixtures(void **state)
{
	static const struct {
		const char *file;
		const char *msg; /* NULL: accepted */
		bool no_chain;   /* OpenSSL's chain check refuses it already */
	} cases[] = {
		{ "good/rsa2048.der", NULL, false },
		{ "good/p256.der", NULL, false },
		{ "good/p384.der", NULL, false },
		{ "good/no-ku.der", NULL, false },
		{ "bad/ku-malformed.der", "the EK certificate has malformed extensions", true },
		{ "bad/ca-true.der", "is a CA certificate (basicConstraints CA:TRUE)", false },
		{ "bad/ca-true-no-ku.der", "is a CA certificate (basicConstraints CA:TRUE)", false },
		{ "bad/key-cert-sign.der", "key usage allows keyCertSign or cRLSign", false },
		{ "bad/crl-sign.der", "key usage allows keyCertSign or cRLSign", false },
		{ "bad/rsa1024.der",
		  "the EK certificate's key: the EK is RSA 1024 bits: an EK must be RSA 2048 bits "
		  "or more, or ECC P-256 or P-384", false },
		{ "bad/p521.der", "the EK is ECC on curve secp521r1", false },
		{ "bad/secp256k1.der", "the EK is ECC on curve secp256k1", false },
		{ "bad/no-eku.der", "does not name tcg-kp-EKCertificate", false },
	};
	X509 *ca = read_ek_fixture("ca.pem");
	X509_STORE *store = X509_STORE_new();

	(void)state;
	assert_non_null(store);
	assert_int_equal(X509_STORE_add_cert(store, ca), 1);
	for (size_t i = 0; i < GW_ARRAY_SIZE(cases); i++) {
		X509 *cert = read_ek_fixture(cases[i].file);
		X509_STORE_CTX *ctx = X509_STORE_CTX_new();
		gw_error err = { { 0 } };
		int rc;

		assert_non_null(ctx);
		assert_int_equal(X509_STORE_CTX_init(ctx, store, cert, NULL), 1);
		if ((X509_verify_cert(ctx) == 1) == cases[i].no_chain)
			fail_msg("%s: %s to the EK CA", cases[i].file,
				 cases[i].no_chain ? "chains, unexpectedly," : "does not chain");
		rc = pki_check_ek_profile(cert, &err);
		if (!cases[i].msg && rc)
			fail_msg("%s refused: %s", cases[i].file, err.msg);
		if (cases[i].msg && (rc != GW_E_KEY || !strstr(err.msg, cases[i].msg)))
			fail_msg("%s: got %d '%s', expected GW_E_KEY '%s'", cases[i].file, rc,
				 err.msg, cases[i].msg);
		X509_STORE_CTX_free(ctx);
		X509_free(cert);
	}
	X509_STORE_free(store);
	X509_free(ca);
}

static void test_ek_key(void **state)
{
	EVP_PKEY *k = EVP_RSA_gen(3072);
	gw_error err = { { 0 } };

	(void)state;
	assert_non_null(k);
	assert_int_equal(pki_check_ek_key(k, &err), 0);
	EVP_PKEY_free(k);
	k = EVP_RSA_gen(2040);
	assert_non_null(k);
	assert_int_equal(pki_check_ek_key(k, &err), GW_E_KEY);
	assert_non_null(strstr(err.msg, "RSA 2040 bits"));
	EVP_PKEY_free(k);
	k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	assert_non_null(k);
	assert_int_equal(pki_check_ek_key(k, &err), GW_E_KEY);
	assert_non_null(strstr(err.msg, "neither an RSA nor an ECC key"));
	EVP_PKEY_free(k);
	assert_int_equal(pki_check_ek_key(NULL, &err), GW_E_KEY);
}

/* openssl ecparam -name secp112r1 -param_enc explicit -genkey | openssl pkey -pubout */
static const char secp112r1_explicit[] =
	"-----BEGIN PUBLIC KEY-----\n"
	"MIG6MIGXBgcqhkjOPQIBMIGLAgEBMBoGByqGSM49AQECDwDbfCq/YuNeZoB2vq0g\n"
	"izA3BA7bfCq/YuNeZoB2vq0giAQOZZ74ugQ5Fu7eiRFwKyIDFQAA9QsCjk1pbmdo\n"
	"dWFRdSkEcng/sQQdBAlIcjmZWl7na1X5wvCYqJzlr4ckwKI+Dg/3dQACDwDbfCq/\n"
	"YuNedijfrGVhxQIBAQMeAAQGplXXWCP3c3C4Wwz07LOZQ/Kgxoa6iTZ/UNX5\n"
	"-----END PUBLIC KEY-----\n";
/* the same for prime256v1: P-256 spelled out rather than named */
static const char p256_explicit[] =
	"-----BEGIN PUBLIC KEY-----\n"
	"MIIBSzCCAQMGByqGSM49AgEwgfcCAQEwLAYHKoZIzj0BAQIhAP////8AAAABAAAA\n"
	"AAAAAAAAAAAA////////////////MFsEIP////8AAAABAAAAAAAAAAAAAAAA////\n"
	"///////////8BCBaxjXYqjqT57PrvVV2mIa8ZR0GsMxTsPY7zjw+J9JgSwMVAMSd\n"
	"NgiG5wSTamZ44ROdJreBn36QBEEEaxfR8uEsQkf4vOblY6RA8ncDfYEt6zOg9KE5\n"
	"RdiYwpZP40Li/hp/m47n60p8D54WK84zV2sxXs7LtkBoN79R9QIhAP////8AAAAA\n"
	"//////////+85vqtpxeehPO5ysL8YyVRAgEBA0IABG9HX50LDYmgjpz6eQoN0sAm\n"
	"SnOjiy1c6s8iPdyAGR2rG9vGZFzTbA1MN3IBMGpGukEBdEMADIdxNR5IGDHO9Nc=\n"
	"-----END PUBLIC KEY-----\n";

static EVP_PKEY *pub_from_pem(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *k = b ? PEM_read_bio_PUBKEY(b, NULL, NULL, NULL) : NULL;

	BIO_free(b);
	assert_non_null(k);
	return k;
}

/* An RSA public key with modulus n (bits long, top bit set, odd unless even). */
static EVP_PKEY *rsa_pub(int bits, bool even)
{
	BIGNUM *n = BN_new(), *e = BN_new();
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	EVP_PKEY *k = NULL;

	assert_true(n && e && bld && ctx);
	assert_int_equal(BN_rand(n, bits, BN_RAND_TOP_ONE, even ? BN_RAND_BOTTOM_ANY
								: BN_RAND_BOTTOM_ODD), 1);
	if (even)
		assert_int_equal(BN_clear_bit(n, 0), 1);
	assert_int_equal(BN_set_word(e, 65537), 1);
	assert_int_equal(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n), 1);
	assert_int_equal(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e), 1);
	params = OSSL_PARAM_BLD_to_param(bld);
	assert_non_null(params);
	assert_int_equal(EVP_PKEY_fromdata_init(ctx), 1);
	assert_int_equal(EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_PUBLIC_KEY, params), 1);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	BN_free(n);
	BN_free(e);
	return k;
}

static void expect_device_key(EVP_PKEY *k, int want, const char *msg)
{
	gw_error err = { { 0 } };

	assert_non_null(k);
	assert_int_equal(pki_check_device_key(k, &err), want);
	if (msg)
		assert_non_null(strstr(err.msg, msg));
	EVP_PKEY_free(k);
}

static void test_device_key(void **state)
{
	gw_error err = { { 0 } };

	(void)state;
	expect_device_key(EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"), 0, NULL);
	expect_device_key(EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384"), 0, NULL);
	expect_device_key(EVP_RSA_gen(2048), 0, NULL);
	expect_device_key(EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521"), GW_E_KEY,
			  "curve secp521r1");
	expect_device_key(pub_from_pem(secp112r1_explicit), GW_E_KEY, "explicit curve");
	expect_device_key(pub_from_pem(p256_explicit), GW_E_KEY, "explicit curve");
	expect_device_key(rsa_pub(2040, false), GW_E_KEY, "RSA 2040 bits");
	expect_device_key(rsa_pub(4104, false), GW_E_KEY, "RSA 4104 bits");
	expect_device_key(rsa_pub(2048, true), GW_E_KEY, "not valid");
	expect_device_key(EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"), GW_E_KEY,
			  "neither an RSA nor an ECC key");
	assert_int_equal(pki_check_device_key(NULL, &err), GW_E_KEY);
}

static void assert_serial(X509 *cert)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);

	assert_non_null(bn);
	assert_false(BN_is_negative(bn));
	assert_false(BN_is_zero(bn));
	/* 128 random bits, top bit clear for a positive DER INTEGER, next one set */
	assert_int_equal(BN_num_bits(bn), 127);
	BN_free(bn);
}

static void test_serials(void **state)
{
	const struct pki_fixture *f = *state;

	assert_serial(f->ca);
	assert_serial(f->srv);
	assert_serial(f->cli);
	assert_int_not_equal(ASN1_INTEGER_cmp(X509_get0_serialNumber(f->srv),
					      X509_get0_serialNumber(f->cli)),
			     0);
	assert_int_not_equal(ASN1_INTEGER_cmp(X509_get0_serialNumber(f->ca),
					      X509_get0_serialNumber(f->srv)),
			     0);
}

static void test_cert_files(void **state)
{
	const struct pki_fixture *f = *state;
	char path[128];
	uint8_t *buf = NULL, *der = NULL;
	size_t len = 0;
	X509 *back = NULL;
	gw_error err = { { 0 } };
	int n;

	in_dir(f, "server.pem", path, sizeof(path));
	assert_int_equal(pki_cert_write(path, f->srv, &err), 0);
	assert_int_equal(gw_read_file(path, 1 << 20, &buf, &len, NULL), 0);
	assert_memory_equal(buf, "-----BEGIN CERTIFICATE-----\n", 28);
	free(buf);
	assert_int_equal(pki_cert_read(path, &back, &err), 0);
	assert_int_equal(X509_cmp(back, f->srv), 0);
	X509_free(back);
	back = NULL;

	n = i2d_X509(f->cli, &der);
	assert_true(n > 0);
	in_dir(f, "client.der", path, sizeof(path));
	write_bytes(path, der, (size_t)n);
	assert_int_equal(pki_cert_read(path, &back, &err), 0);
	assert_int_equal(X509_cmp(back, f->cli), 0);
	X509_free(back);
	back = NULL;

	/* DER with a byte after it is not a certificate file. */
	in_dir(f, "trailing.der", path, sizeof(path));
	der = OPENSSL_realloc(der, (size_t)n + 1);
	assert_non_null(der);
	der[n] = 0;
	write_bytes(path, der, (size_t)n + 1);
	assert_int_equal(pki_cert_read(path, &back, &err), GW_E_PARSE);
	assert_null(back);
	OPENSSL_free(der);

	in_dir(f, "garbage.pem", path, sizeof(path));
	write_bytes(path, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", 58);
	assert_int_equal(pki_cert_read(path, &back, &err), GW_E_PARSE);
	assert_null(back);
	assert_non_null(strstr(err.msg, path));

	in_dir(f, "empty.pem", path, sizeof(path));
	write_bytes(path, "", 0);
	assert_int_equal(pki_cert_read(path, &back, NULL), GW_E_PARSE);

	in_dir(f, "no-such.pem", path, sizeof(path));
	assert_int_equal(pki_cert_read(path, &back, &err), GW_E_NOTFOUND);
	assert_null(back);
}

/* The SHA-256 of the DER encoding, hashed here without X509_digest. */
static void der_sha256_hex(X509 *cert, char out[65])
{
	unsigned char *der = NULL, md[32];
	int n = i2d_X509(cert, &der);

	assert_true(n > 0);
	assert_int_equal(EVP_Digest(der, (size_t)n, md, NULL, EVP_sha256(), NULL), 1);
	OPENSSL_free(der);
	for (size_t i = 0; i < sizeof(md); i++)
		assert_int_equal(gw_snprintf(out + 2 * i, 3, "%02x", md[i]), 0);
}

static void test_fingerprint(void **state)
{
	const struct pki_fixture *f = *state;
	char fp_ca[65], fp_srv[65], want[65];

	memset(fp_ca, 'x', sizeof(fp_ca));
	assert_int_equal(pki_cert_fingerprint(f->ca, fp_ca), 0);
	assert_int_equal(pki_cert_fingerprint(f->srv, fp_srv), 0);
	assert_int_equal(strlen(fp_ca), 64);
	assert_int_equal(strspn(fp_ca, "0123456789abcdef"), 64);
	assert_string_not_equal(fp_ca, fp_srv);
	der_sha256_hex(f->ca, want);
	assert_string_equal(fp_ca, want);
	der_sha256_hex(f->srv, want);
	assert_string_equal(fp_srv, want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_generate),
		cmocka_unit_test(test_key_write_read),
		cmocka_unit_test(test_key_write_symlink),
		cmocka_unit_test(test_key_read_bad),
		cmocka_unit_test(test_pubkey_write),
		cmocka_unit_test(test_ca),
		cmocka_unit_test(test_server_cert),
		cmocka_unit_test(test_client_cert),
		cmocka_unit_test(test_ek_profile),
		cmocka_unit_test(test_ek_profile_fixtures),
		cmocka_unit_test(test_device_key),
		cmocka_unit_test(test_ek_key),
		cmocka_unit_test(test_serials),
		cmocka_unit_test(test_cert_files),
		cmocka_unit_test(test_fingerprint),
	};

	return cmocka_run_group_tests_name("pki", tests, group_setup, group_teardown);
}
