// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the bundle reader: the input, from memory through a memfd,
// read as a bundle against the test fixtures' trust root (targets t1, t2, t3,
// threshold 2), every payload to its end. The seeds are bundles those keys signed,
// so mutations after the envelope reach the member checks.
#define _GNU_SOURCE /* memfd_create */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/pem.h>

#include "bundle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const pems[] = {
	"-----BEGIN PUBLIC KEY-----\n"
	"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEoBgJnjrjicjoE49mfUpSTrltRWb/\n"
	"PWZVqStrR1kQLLkpb4Qs7P5OWcZKTpxtouGGigiachPnfiOquyIj6bn+9Q==\n"
	"-----END PUBLIC KEY-----\n",
	"-----BEGIN PUBLIC KEY-----\n"
	"MCowBQYDK2VwAyEAbtqxxvVBg/yPY5Po6HyCLQdXNW+u6P9CyGZAg7F+lQw=\n"
	"-----END PUBLIC KEY-----\n",
	"-----BEGIN PUBLIC KEY-----\n"
	"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE+v2Hr76j0rGJOc2u+FU4c5D9VTJU\n"
	"z0Jxqggmn+TvQRIS/1eZChG15Cyn/yjYA5lO2MkQFrEyi+V7cyktcmHnyg==\n"
	"-----END PUBLIC KEY-----\n",
};

static struct root root;

static void root_init(void)
{
	struct root_role *t = &root.role[ROOT_ROLE_TARGETS];

	for (size_t i = 0; i < sizeof(pems) / sizeof(pems[0]); i++) {
		BIO *bio = BIO_new_mem_buf(pems[i], -1);

		t->keys[i] = bio ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
		BIO_free(bio);
		if (!t->keys[i] || dsse_keyid(t->keys[i], t->keyid[i]))
			__builtin_trap();
	}
	t->nkeys = sizeof(pems) / sizeof(pems[0]);
	t->threshold = 2;
	root.version = 1;
}

static void read_bundle(int fd, bool verified)
{
	struct bundle_reader *r = NULL;
	const struct manifest_payload *p;
	gw_error err = { { 0 } };
	uint64_t want = 0, got = 0;
	uint8_t buf[8192];
	size_t n = 0;
	int rc = verified ? bundle_open_fd(fd, &root, NULL, &r, &err)
			  : bundle_open_unverified(fd, &r, &err);

	if (rc)
		return;
	if (!verified) {
		if (bundle_next_payload(r, &p, &err) != GW_E_STATE)
			__builtin_trap();
		bundle_reader_free(r);
		return;
	}
	for (size_t i = 0; i < bundle_manifest(r)->npayloads; i++)
		want += bundle_manifest(r)->payloads[i].size;
	while (!(rc = bundle_next_payload(r, &p, &err)))
		do {
			rc = bundle_read(r, buf, sizeof(buf), &n, &err);
			got += n;
		} while (!rc && n);
	if (rc == GW_E_NOTFOUND)
		rc = bundle_finish(r, &err);
	/* A bundle that passes handed out exactly the bytes its manifest lists. */
	if (!rc && got != want)
		__builtin_trap();
	bundle_reader_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd;

	if (!root.role[ROOT_ROLE_TARGETS].nkeys)
		root_init();
	fd = memfd_create("bundle", MFD_CLOEXEC);
	if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size))
		__builtin_trap();
	for (int verified = 0; verified < 2; verified++) {
		if (lseek(fd, 0, SEEK_SET))
			__builtin_trap();
		read_bundle(fd, verified);
	}
	close(fd);
	return 0;
}
