// SPDX-License-Identifier: Apache-2.0
// Unit tests for bundles: the committed good and bad bundles read from files and
// pipes (each bad one with its code and the words it must name), the writer's
// determinism and refusals, verification before anything else is read, and a
// large payload streamed through a pipe without growing the reader.
#define _GNU_SOURCE /* memfd_create */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "bundle.h"
#include "bundle_crypt.h"
#include "keywrap.h"
#include "util.h"
#include "fixture_list.h"

#define DIR_ "common/tests/fixtures/bundle"

static EVP_PKEY *read_key(const char *name, bool private)
{
	char path[256];
	FILE *f;
	EVP_PKEY *k;

	assert_int_equal(gw_snprintf(path, sizeof(path), DIR_ "/keys/%s.%s", name,
				     private ? "key" : "pub"), 0);
	f = fopen(path, "r");
	assert_non_null(f);
	k = private ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : PEM_read_PUBKEY(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(k);
	return k;
}

/* The trust root the fixtures were made for: targets t1, t2, t3, threshold 2. The
 * root helper's parser is not needed to build one in memory. */
static struct root *test_root(void)
{
	static const char *const names[] = { "t1", "t2", "t3" };
	struct root *r = calloc(1, sizeof(*r));
	struct root_role *t;

	assert_non_null(r);
	t = &r->role[ROOT_ROLE_TARGETS];
	for (size_t i = 0; i < GW_ARRAY_SIZE(names); i++) {
		t->keys[i] = read_key(names[i], false);
		assert_int_equal(dsse_keyid(t->keys[i], t->keyid[i]), 0);
	}
	t->nkeys = GW_ARRAY_SIZE(names);
	t->threshold = 2;
	r->version = 1;
	return r;
}

static void free_root(struct root *r)
{
	for (size_t i = 0; i < r->role[ROOT_ROLE_TARGETS].nkeys; i++)
		EVP_PKEY_free(r->role[ROOT_ROLE_TARGETS].keys[i]);
	free(r);
}

static int open_fixture(const char *dir, const char *name)
{
	char path[256];
	int fd;

	assert_int_equal(gw_snprintf(path, sizeof(path), "%s/%s/%s.gwb", DIR_, dir, name), 0);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fail_msg("%s: %s", path, strerror(errno));
	return fd;
}

/* Everything a reader does with a bundle: open, each payload to its end, finish.
 * *bytes counts the payload bytes handed out. */
static int read_all(int fd, const struct root *root, uint64_t *bytes, gw_error *err)
{
	struct bundle_reader *r = NULL;
	const struct manifest_payload *p;
	uint8_t buf[1000];
	size_t n;
	int rc = bundle_open_fd(fd, root, NULL, &r, err);

	*bytes = 0;
	while (!rc && !(rc = bundle_next_payload(r, &p, err))) {
		do {
			rc = bundle_read(r, buf, sizeof(buf), &n, err);
			*bytes += n;
		} while (!rc && n);
	}
	if (rc == GW_E_NOTFOUND)
		rc = bundle_finish(r, err);
	bundle_reader_free(r);
	return rc;
}

static void test_good_fixtures(void **state)
{
	static const char *const good[] = { "two-payloads", "pax", "three-signers",
					    "extra-unknown-signer", "one-payload" };
	struct root *root = test_root();

	(void)state;
	for (size_t i = 0; i < GW_ARRAY_SIZE(good); i++) {
		gw_error err = { { 0 } };
		uint64_t bytes = 0;
		int fd = open_fixture("good", good[i]);
		int rc = read_all(fd, root, &bytes, &err);

		if (rc)
			fail_msg("%s: %s", good[i], gw_error_msg(&err, rc));
		assert_int_equal(bytes, strcmp(good[i], "one-payload") ? 4000 : 3000);
		close(fd);
	}
	free_root(root);
}

/* The reader's view of a good bundle: manifest, signatures, envelope, states. */
static void test_reader_api(void **state)
{
	struct root *root = test_root();
	struct bundle_reader *r = NULL;
	const struct manifest_payload *p = NULL;
	struct dsse_result res;
	const uint8_t *env;
	size_t env_len = 0, n = 0;
	uint8_t buf[4096];
	gw_error err = { { 0 } };
	int fd = open_fixture("good", "three-signers");

	(void)state;
	assert_int_equal(bundle_open_fd(fd, root, &res, &r, &err), 0);
	assert_int_equal(res.valid, 3);
	assert_string_equal(bundle_manifest(r)->version, "2.1.0");
	assert_int_equal(bundle_envelope(r, &env, &env_len), 0);
	assert_int_equal(env[0], '{');
	assert_int_equal(bundle_dsse(r)->nsigs, 3);
	/* Skipping a payload still checks it; the second read after the end is 0. */
	assert_int_equal(bundle_next_payload(r, &p, &err), 0);
	assert_string_equal(p->class_name, "rootfs");
	assert_int_equal(bundle_next_payload(r, &p, &err), 0);
	assert_string_equal(p->class_name, "app");
	assert_int_equal(bundle_read(r, buf, 0, &n, &err), GW_E_INVAL);
	assert_int_equal(bundle_read(r, buf, sizeof(buf), &n, &err), 0);
	assert_int_equal(n, 1000);
	assert_int_equal(bundle_read(r, buf, sizeof(buf), &n, &err), 0);
	assert_int_equal(n, 0);
	assert_int_equal(bundle_read(r, buf, sizeof(buf), &n, &err), 0);
	assert_int_equal(n, 0);
	assert_int_equal(bundle_next_payload(r, &p, &err), GW_E_NOTFOUND);
	assert_int_equal(bundle_finish(r, &err), 0);
	bundle_reader_free(r);
	close(fd);

	/* Unverified: the manifest can be shown, no payload can be read. */
	fd = open_fixture("bad", "below-threshold");
	assert_int_equal(bundle_open_unverified(fd, &r, &err), 0);
	assert_int_equal(bundle_manifest(r)->security_version, 5);
	assert_int_equal(bundle_next_payload(r, &p, &err), GW_E_STATE);
	assert_int_equal(bundle_finish(r, &err), GW_E_STATE);
	bundle_reader_free(r);
	close(fd);
	free_root(root);
}

struct bad_case {
	const char *name;
	int code;
	const char *msg;
};

static const struct bad_case bad_cases[] = {
	{ "tampered-payload", GW_E_REFERENCE, "'payload/rootfs': SHA-256 differs" },
	{ "tampered-manifest", GW_E_SIGNATURE, "0 of required 2 signatures valid" },
	{ "tampered-envelope", GW_E_SIGNATURE, "0 of required 2 signatures valid" },
	{ "envelope-not-json", GW_E_PARSE, "'manifest.dsse': envelope is not valid JSON" },
	{ "manifest-bad-signed", GW_E_PARSE, "manifest: 'format' is missing" },
	{ "unknown-signer", GW_E_SIGNATURE, "1 of required 2 signatures valid (key " },
	{ "below-threshold", GW_E_SIGNATURE, "1 of required 2 signatures valid" },
	{ "same-key-twice", GW_E_SIGNATURE, "1 of required 2 signatures valid" },
	{ "wrong-payload-type", GW_E_PARSE, "payload type 'application/vnd.gatewarden.policy" },
	{ "truncated-payload", GW_E_TRUNCATED, "'payload/rootfs': the bundle ends" },
	{ "truncated-envelope", GW_E_TRUNCATED, "'manifest.dsse': the bundle ends" },
	{ "truncated-header", GW_E_TRUNCATED, "member 2: the bundle ends early" },
	{ "empty", GW_E_TRUNCATED, "the bundle ends early" },
	{ "not-tar", GW_E_PARSE, "not a bundle (a plain POSIX tar): Unrecognized archive" },
	{ "gzip", GW_E_PARSE, "not a bundle (a plain POSIX tar): Unrecognized archive" },
	{ "gnu-format", GW_E_PARSE, "member 1: a GNU tar format header, not ustar or pax" },
	{ "first-not-manifest", GW_E_PARSE, "the first member is 'payload/rootfs'" },
	{ "manifest-too-big", GW_E_TOOBIG, "'manifest.dsse' larger than 1048576 bytes" },
	{ "pax-header-huge", GW_E_PARSE, "member 1: Special header too large" },
	{ "extra-member", GW_E_PARSE, "member 4 'payload/kernel': an extra member after" },
	{ "extra-file", GW_E_PARSE, "member 4 'README': an extra member after the last" },
	{ "missing-member", GW_E_PARSE, "'payload/app' is missing: the bundle ends after 1" },
	{ "reordered", GW_E_PARSE, "'payload/app': a member out of manifest order" },
	{ "duplicated", GW_E_PARSE, "'payload/rootfs': a duplicated member (expected 'payload/app')" },
	{ "oversized", GW_E_PARSE, "'payload/rootfs': 3600 bytes, the manifest says 3000" },
	{ "undersized", GW_E_PARSE, "'payload/rootfs': 2999 bytes, the manifest says 3000" },
	{ "symlink", GW_E_PARSE, "'payload/rootfs': a symbolic link (to '/dev/sda')" },
	{ "hardlink", GW_E_PARSE, "'payload/rootfs': a hard link (to 'manifest.dsse')" },
	{ "device", GW_E_PARSE, "member 2 'payload/rootfs': a device" },
	{ "fifo", GW_E_PARSE, "member 2 'payload/rootfs': a FIFO" },
	{ "directory", GW_E_PARSE, "member 2 'payload/': a directory" },
	{ "absolute-path", GW_E_PARSE, "member 2: absolute path '/payload/rootfs'" },
	{ "dotdot-path", GW_E_PARSE, "member 2: '..' in path 'payload/../payload/rootfs'" },
	{ "pax-path-override", GW_E_PARSE, "member 2: '..' in path '../../etc/shadow'" },
	{ "gnu-longname", GW_E_PARSE, "member 2: a GNU or pre-POSIX tar header, not ustar" },
	{ "gnu-volume", GW_E_PARSE, "member 1: a GNU or pre-POSIX tar header, not ustar" },
	{ "trailing-garbage", GW_E_PARSE, "bytes after the end of the archive" },
	{ "escape-in-name", GW_E_PARSE, "member 4 'README?]0;owned?': an extra member after" },
	{ "member-after-one-zero-block", GW_E_PARSE,
	  "a header after a single zero block (the end takes two)" },
};

static void check_bad(const struct bad_case *c, int rc, const gw_error *err, const char *how)
{
	if (rc != c->code)
		fail_msg("%s (%s): got %d (%s), expected %d", c->name, how, rc,
			 gw_error_msg(err, rc), c->code);
	if (!strstr(err->msg, c->msg))
		fail_msg("%s (%s): message '%s' lacks '%s'", c->name, how, err->msg, c->msg);
}

static void test_bad_fixtures(void **state)
{
	struct root *root = test_root();

	(void)state;
	for (size_t i = 0; i < GW_ARRAY_SIZE(bad_cases); i++) {
		gw_error err = { { 0 } };
		uint64_t bytes = 0;
		int fd = open_fixture("bad", bad_cases[i].name);

		check_bad(&bad_cases[i], read_all(fd, root, &bytes, &err), &err, "file");
		close(fd);
	}
	free_root(root);
}

/* A child copies a file into a pipe; its pid, and the read end in *rfd. */
static pid_t pipe_from(int src, int *rfd)
{
	int p[2];
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char buf[4096];
		ssize_t n;

		close(p[0]);
		signal(SIGPIPE, SIG_DFL);
		while ((n = read(src, buf, sizeof(buf))) > 0)
			if (write(p[1], buf, (size_t)n) != n)
				_exit(1);
		_exit(0);
	}
	close(p[1]);
	*rfd = p[0];
	return pid;
}

/* The same answers when the bundle arrives through a pipe (standard input). */
static void test_bad_fixtures_pipe(void **state)
{
	struct root *root = test_root();

	(void)state;
	for (size_t i = 0; i < GW_ARRAY_SIZE(bad_cases); i++) {
		gw_error err = { { 0 } };
		uint64_t bytes = 0;
		int src = open_fixture("bad", bad_cases[i].name), rfd = -1;
		pid_t pid = pipe_from(src, &rfd);

		check_bad(&bad_cases[i], read_all(rfd, root, &bytes, &err), &err, "pipe");
		close(rfd);
		waitpid(pid, NULL, 0);
		close(src);
	}
	free_root(root);
}

/* Every fixture in bad/ has an entry above. */
static void test_bad_fixtures_listed(void **state)
{
	(void)state;
	FIXTURES_ALL_LISTED(DIR_ "/bad", ".gwb", bad_cases);
}

/* The envelope is verified before anything after it is read: a writer that sends
 * only the first member and then waits gets its answer (no read blocks on it). */
static void test_verify_before_reading_on(void **state)
{
	static const char *const names[] = { "below-threshold", "two-payloads" };
	struct root *root = test_root();

	(void)state;
	for (size_t i = 0; i < GW_ARRAY_SIZE(names); i++) {
		struct bundle_reader *r = NULL;
		gw_error err = { { 0 } };
		uint8_t head[2048];
		int p[2], src = open_fixture(i ? "good" : "bad", names[i]);
		int rc;

		/* Header, 978 bytes of envelope padded to 1024: the first member. */
		assert_int_equal(read(src, head, 1536), 1536);
		assert_int_equal(pipe(p), 0);
		assert_int_equal(write(p[1], head, 1536), 1536);
		alarm(20);
		rc = bundle_open_fd(p[0], root, NULL, &r, &err);
		alarm(0);
		assert_int_equal(rc, i ? 0 : GW_E_SIGNATURE);
		bundle_reader_free(r);
		close(p[0]);
		close(p[1]);
		close(src);
	}
	free_root(root);
}

static char *tmp_file(const char *tag, const void *data, size_t len)
{
	char *path = strdup("/tmp/gw-test-bundle-XXXXXX");
	int fd;

	(void)tag;
	assert_non_null(path);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	return path;
}

static void sha256(const void *data, size_t len, uint8_t out[32])
{
	assert_int_equal(EVP_Digest(data, len, out, NULL, EVP_sha256(), NULL), 1);
}

/* A manifest for the given payload files, signed by t1 and t2 into *env. */
static struct manifest *make_manifest(const char *const *classes, const uint8_t *const *data,
				      const size_t *lens, size_t n, char **env)
{
	static const char doc[] =
		"{\"_type\":\"gatewarden-manifest\",\"format\":1,\"models\":[\"gw-100\"],"
		"\"channel\":\"stable\",\"version\":\"3.0\",\"security_version\":7,"
		"\"created\":\"2026-12-01T00:00:00Z\",\"reboot_required\":false,"
		"\"payloads\":[{\"class\":\"x\",\"size\":1,\"sha256\":\"%s\"}]}";
	char text[1024], zero[65];
	struct manifest *m = NULL;
	EVP_PKEY *keys[2] = { read_key("t1", true), read_key("t2", true) };
	char *out = NULL;
	size_t out_len = 0;
	gw_error err = { { 0 } };

	memset(zero, '0', 64);
	zero[64] = '\0';
	assert_int_equal(gw_snprintf(text, sizeof(text), doc, zero), 0);
	assert_int_equal(manifest_parse((const uint8_t *)text, strlen(text), &m, &err), 0);
	m->npayloads = n;
	for (size_t i = 0; i < n; i++) {
		struct manifest_payload *p = &m->payloads[i];

		memset(p, 0, sizeof(*p));
		memcpy(p->class_name, classes[i], strlen(classes[i]) + 1);
		assert_int_equal(gw_snprintf(p->member, sizeof(p->member), "payload/%s",
					     classes[i]), 0);
		p->size = lens[i];
		if (data[i])
			sha256(data[i], lens[i], p->sha256);
	}
	assert_int_equal(manifest_format(m, &out, &out_len), 0);
	assert_int_equal(dsse_sign(MANIFEST_PAYLOAD_TYPE, (const uint8_t *)out, out_len, keys, 2,
				   env, &err), 0);
	free(out);
	EVP_PKEY_free(keys[0]);
	EVP_PKEY_free(keys[1]);
	return m;
}

static size_t file_bytes(int fd, uint8_t **out)
{
	struct stat st;
	uint8_t *buf;

	assert_int_equal(fstat(fd, &st), 0);
	buf = malloc((size_t)st.st_size + 1);
	assert_non_null(buf);
	assert_int_equal(pread(fd, buf, (size_t)st.st_size, 0), st.st_size);
	*out = buf;
	return (size_t)st.st_size;
}

/* What the writer makes the reader takes; the same input gives the same bytes;
 * a payload file that is not what the manifest says is refused. */
static void test_write_read(void **state)
{
	static const char *const classes[] = { "kernel", "rootfs" };
	static uint8_t k[777], rfs[70000];
	const uint8_t *data[] = { k, rfs };
	const size_t lens[] = { sizeof(k), sizeof(rfs) };
	struct root *root = test_root();
	char *env = NULL, *paths[2];
	struct manifest *m;
	uint8_t *b1 = NULL, *b2 = NULL;
	size_t l1, l2;
	uint64_t bytes = 0;
	gw_error err = { { 0 } };
	int fd1 = memfd_create("b1", MFD_CLOEXEC), fd2 = memfd_create("b2", MFD_CLOEXEC);

	(void)state;
	for (size_t i = 0; i < sizeof(rfs); i++)
		rfs[i] = (uint8_t)(i * 7 + i / 256);
	memset(k, 'k', sizeof(k));
	m = make_manifest(classes, data, lens, 2, &env);
	paths[0] = tmp_file("k", k, sizeof(k));
	paths[1] = tmp_file("r", rfs, sizeof(rfs));
	assert_int_equal(bundle_write_fd(fd1, (const uint8_t *)env, strlen(env), m,
					 (const char *const *)paths, &err), 0);
	assert_int_equal(bundle_write_fd(fd2, (const uint8_t *)env, strlen(env), m,
					 (const char *const *)paths, &err), 0);
	l1 = file_bytes(fd1, &b1);
	l2 = file_bytes(fd2, &b2);
	assert_int_equal(l1, l2);
	assert_memory_equal(b1, b2, l1);
	/* ustar headers: the magic, mode 0644, owner 0. */
	assert_memory_equal(b1 + 257, "ustar\0" "00", 8);
	assert_memory_equal(b1 + 100, "000644 ", 7);
	assert_int_equal(lseek(fd1, 0, SEEK_SET), 0);
	assert_int_equal(read_all(fd1, root, &bytes, &err), 0);
	assert_int_equal(bytes, sizeof(k) + sizeof(rfs));

	/* A file that changed since the manifest was made. */
	rfs[100] ^= 1;
	free(paths[1]);
	paths[1] = tmp_file("r", rfs, sizeof(rfs));
	assert_int_equal(bundle_write_fd(fd2, (const uint8_t *)env, strlen(env), m,
					 (const char *const *)paths, &err), GW_E_REFERENCE);
	assert_non_null(strstr(err.msg, "SHA-256 differs"));
	m->payloads[1].size++;
	assert_int_equal(bundle_write_fd(fd2, (const uint8_t *)env, strlen(env), m,
					 (const char *const *)paths, &err), GW_E_REFERENCE);
	assert_non_null(strstr(err.msg, "70000 bytes, the manifest says 70001"));
	for (size_t i = 0; i < 2; i++) {
		unlink(paths[i]);
		free(paths[i]);
	}
	free(b1);
	free(b2);
	free(env);
	manifest_free(m);
	close(fd1);
	close(fd2);
	free_root(root);
}

static long max_rss_kib(void)
{
	struct rusage ru;

	assert_int_equal(getrusage(RUSAGE_SELF, &ru), 0);
	return ru.ru_maxrss;
}

/* 64 MiB of payload through a pipe: the reader's peak RSS grows by far less. */
static void test_stream_large(void **state)
{
	static const char *const classes[] = { "rootfs" };
	const size_t size = 64u << 20;
	struct root *root = test_root();
	char *env = NULL, *path = strdup("/tmp/gw-test-bundle-XXXXXX");
	const uint8_t *data[] = { NULL };
	const size_t lens[] = { size };
	struct manifest *m;
	uint8_t buf[65536];
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint64_t bytes = 0;
	gw_error err = { { 0 } };
	long before;
	int fd, p[2];
	pid_t pid;

	(void)state;
	assert_non_null(path);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	/* Pseudo-random content, hashed as it is written. */
	assert_int_equal(EVP_DigestInit_ex(ctx, EVP_sha256(), NULL), 1);
	for (size_t off = 0; off < size; off += sizeof(buf)) {
		for (size_t i = 0; i < sizeof(buf); i++)
			buf[i] = (uint8_t)((off + i) * 2654435761u >> 13);
		assert_int_equal(EVP_DigestUpdate(ctx, buf, sizeof(buf)), 1);
		assert_int_equal(write(fd, buf, sizeof(buf)), (ssize_t)sizeof(buf));
	}
	close(fd);
	m = make_manifest(classes, data, lens, 1, &env);
	free(env);
	env = NULL;
	assert_int_equal(EVP_DigestFinal_ex(ctx, m->payloads[0].sha256, NULL), 1);
	EVP_MD_CTX_free(ctx);
	{
		EVP_PKEY *keys[2] = { read_key("t1", true), read_key("t3", true) };
		char *text = NULL;
		size_t len = 0;

		assert_int_equal(manifest_format(m, &text, &len), 0);
		assert_int_equal(dsse_sign(MANIFEST_PAYLOAD_TYPE, (const uint8_t *)text, len, keys,
					   2, &env, &err), 0);
		free(text);
		EVP_PKEY_free(keys[0]);
		EVP_PKEY_free(keys[1]);
	}
	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		const char *paths[] = { path };

		close(p[0]);
		_exit(bundle_write_fd(p[1], (const uint8_t *)env, strlen(env), m, paths, NULL) ? 1
											   : 0);
	}
	close(p[1]);
	before = max_rss_kib();
	assert_int_equal(read_all(p[0], root, &bytes, &err), 0);
	assert_int_equal(bytes, size);
	if (max_rss_kib() - before > 8 * 1024)
		fail_msg("peak RSS grew by %ld KiB reading a 64 MiB payload", max_rss_kib() - before);
	close(p[0]);
	{
		int status = -1;

		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	unlink(path);
	free(path);
	free(env);
	manifest_free(m);
	free_root(root);
}

/* An encrypted manifest (chunks of 64 bytes) of the files at paths, signed by t1
 * and t2 into *env, its content key wrapped for rel into *cek. */
static struct manifest *make_encrypted(const char *const *classes, char **paths, size_t n,
				       EVP_PKEY *rel, uint8_t cek[32], char **env)
{
	static const uint8_t none[1];
	const uint8_t *data[2] = { none, none };
	const size_t lens[2] = { 1, 1 };
	struct manifest *m = make_manifest(classes, data, lens, n, env);
	EVP_PKEY *keys[2] = { read_key("t1", true), read_key("t2", true) };
	json_object *w = NULL;
	gw_error err = { { 0 } };
	char *out = NULL;
	size_t out_len = 0;

	free(*env);
	memset(cek, 0x3c, 32);
	cek[0] = (uint8_t)n;
	assert_int_equal(keywrap_seal(rel, cek, KEYWRAP_CONTEXT_RELEASE, &w, &err), 0);
	m->wrapped_key = strdup(json_object_to_json_string_ext(w, JSON_C_TO_STRING_PLAIN |
								    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(w);
	m->encrypted = true;
	m->chunk_size = 64;
	for (size_t i = 0; i < n; i++)
		assert_int_equal(bundle_measure_encrypted(paths[i], cek, (uint32_t)i, 64,
							  &m->payloads[i], &err), 0);
	assert_int_equal(manifest_format(m, &out, &out_len), 0);
	assert_int_equal(dsse_sign(MANIFEST_PAYLOAD_TYPE, (const uint8_t *)out, out_len, keys, 2,
				   env, &err), 0);
	free(out);
	EVP_PKEY_free(keys[0]);
	EVP_PKEY_free(keys[1]);
	return m;
}

/* Every payload of the bundle in fd through bundle_crypt_source with cek (or the
 * release key rel unwrapping it); the plaintext must be want[i]. */
static int read_decrypted(int fd, const struct root *root, EVP_PKEY *rel, const uint8_t *cek,
			  const uint8_t *const *want, const size_t *lens, gw_error *err)
{
	struct bundle_reader *r = NULL;
	struct bundle_crypt_source *src = NULL;
	const struct manifest_payload *p;
	uint8_t key[32], buf[100], *got = malloc(100000);
	int rc = bundle_open_fd(fd, root, NULL, &r, err);

	if (!rc && rel)
		rc = bundle_crypt_unwrap(bundle_manifest(r), rel, key, err);
	for (size_t i = 0; !rc && !(rc = bundle_next_payload(r, &p, err)); i++) {
		size_t n = 1, off = 0;

		rc = bundle_crypt_source_new(r, bundle_manifest(r), i, rel ? key : cek, &src);
		while (!rc && n) {
			rc = bundle_crypt_source_read(src, buf, sizeof(buf), &n, err);
			assert_true(off + n <= 100000);
			memcpy(got + off, buf, n);
			off += n;
		}
		if (!rc) {
			assert_int_equal(off, lens[i]);
			assert_memory_equal(got, want[i], off);
		}
		bundle_crypt_source_free(src);
		src = NULL;
	}
	if (rc == GW_E_NOTFOUND)
		rc = bundle_finish(r, err);
	bundle_reader_free(r);
	free(got);
	return rc;
}

static void test_encrypted(void **state)
{
	static const char *const classes[] = { "kernel", "rootfs" };
	static uint8_t k[777], rfs[7000];
	const uint8_t *data[] = { k, rfs };
	const size_t lens[] = { sizeof(k), sizeof(rfs) };
	struct root *root = test_root();
	EVP_PKEY *rel = EVP_EC_gen("P-256"), *other = EVP_EC_gen("P-256");
	char *env = NULL, *paths[2];
	struct manifest *m;
	uint8_t cek[32], wrong[32], *raw = NULL;
	size_t len, end;
	gw_error err = { { 0 } };
	int fd = memfd_create("enc", MFD_CLOEXEC), fd2 = memfd_create("flip", MFD_CLOEXEC);

	(void)state;
	for (size_t i = 0; i < sizeof(rfs); i++)
		rfs[i] = (uint8_t)(i * 13 + i / 256);
	memset(k, 'k', sizeof(k));
	paths[0] = tmp_file("k", k, sizeof(k));
	paths[1] = tmp_file("r", rfs, sizeof(rfs));
	m = make_encrypted(classes, paths, 2, rel, cek, &env);
	assert_int_equal(m->payloads[1].stored_size, sizeof(rfs) + 110 * 16);
	/* The plain writer refuses an encrypted manifest, and a key goes with one only. */
	assert_int_equal(bundle_write_fd(fd, (const uint8_t *)env, strlen(env), m,
					 (const char *const *)paths, &err), GW_E_INVAL);
	assert_int_equal(bundle_write_encrypted_fd(fd, (const uint8_t *)env, strlen(env), m,
						   (const char *const *)paths, cek, &err), 0);
	/* Read with the content key, and with the release key unwrapping it. */
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(read_decrypted(fd, root, NULL, cek, data, lens, &err), 0);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(read_decrypted(fd, root, rel, NULL, data, lens, &err), 0);
	/* Another release key; another content key; no key (plain reading refused). */
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(read_decrypted(fd, root, other, NULL, data, lens, &err), GW_E_KEY);
	memcpy(wrong, cek, 32);
	wrong[31] ^= 1;
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(read_decrypted(fd, root, NULL, wrong, data, lens, &err), GW_E_SIGNATURE);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(read_decrypted(fd, root, NULL, NULL, data, lens, &err), GW_E_STATE);
	/* The stored member is what bundle_read checks without any key. */
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	{
		uint64_t bytes = 0;

		assert_int_equal(read_all(fd, root, &bytes, &err), 0);
		assert_int_equal(bytes, m->payloads[0].stored_size + m->payloads[1].stored_size);
	}
	/* A byte flipped in a middle chunk of rootfs: that chunk refuses it. In the
	 * final chunk (held until the member ends): the member's digest, first. */
	len = file_bytes(fd, &raw);
	end = len - 1024 - (512 - m->payloads[1].stored_size % 512) % 512;
	raw[end - 200] ^= 1;
	assert_int_equal(write(fd2, raw, len), (ssize_t)len);
	assert_int_equal(lseek(fd2, 0, SEEK_SET), 0);
	assert_int_equal(read_decrypted(fd2, root, NULL, cek, data, lens, &err), GW_E_SIGNATURE);
	raw[end - 200] ^= 1;
	raw[end - 20] ^= 1;
	assert_int_equal(pwrite(fd2, raw, len, 0), (ssize_t)len);
	assert_int_equal(lseek(fd2, 0, SEEK_SET), 0);
	assert_int_equal(read_decrypted(fd2, root, NULL, cek, data, lens, &err), GW_E_REFERENCE);
	for (size_t i = 0; i < 2; i++) {
		unlink(paths[i]);
		free(paths[i]);
	}
	free(raw);
	free(env);
	close(fd);
	close(fd2);
	manifest_free(m);
	EVP_PKEY_free(rel);
	EVP_PKEY_free(other);
	free_root(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_fixtures),
		cmocka_unit_test(test_reader_api),
		cmocka_unit_test(test_bad_fixtures),
		cmocka_unit_test(test_bad_fixtures_pipe),
		cmocka_unit_test(test_bad_fixtures_listed),
		cmocka_unit_test(test_verify_before_reading_on),
		cmocka_unit_test(test_write_read),
		cmocka_unit_test(test_encrypted),
		cmocka_unit_test(test_stream_large),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
