// SPDX-License-Identifier: Apache-2.0
// Unit tests for chunked payload encryption: a known answer made with Python
// `cryptography` (fixtures/payload_aead/make.py), round trips at chunk edges, and
// each attack on the stream: a flipped bit, truncation at and inside a chunk,
// reordered chunks, splicing from another payload or bundle, data after the final
// chunk, use after the end.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "payload_aead.h"
#include "util.h"

#define CHUNK 16u

struct sink {
	uint8_t *buf;
	size_t len;
};

static int collect(void *arg, const uint8_t *b, size_t n, gw_error *err)
{
	struct sink *s = arg;

	(void)err;
	s->buf = realloc(s->buf, s->len + n + 1);
	assert_non_null(s->buf);
	memcpy(s->buf + s->len, b, n);
	s->len += n;
	return 0;
}

/* Run a whole stream through a context, feeding step bytes at a time. */
static int run(bool enc, const uint8_t *key, uint32_t index, const uint8_t *in, size_t len,
	       size_t step, struct sink *out, gw_error *err)
{
	struct payload_aead *c = NULL;
	int rc;

	assert_int_equal(payload_aead_new(enc, key, index, CHUNK, &c), 0);
	rc = 0;
	for (size_t off = 0; off < len && !rc; off += step)
		rc = payload_aead_update(c, in + off, len - off < step ? len - off : step, collect,
					 out, err);
	if (!rc)
		rc = payload_aead_final(c, collect, out, err);
	payload_aead_free(c);
	return rc;
}

static const uint8_t key1[32] = { 1, 2, 3 };
static const uint8_t key2[32] = { 9, 9, 9 };

static void seal(uint32_t index, const uint8_t *key, size_t len, struct sink *ct, uint8_t **plain)
{
	gw_error err = { { 0 } };

	*plain = malloc(len + 1);
	for (size_t i = 0; i < len; i++)
		(*plain)[i] = (uint8_t)(i * 7 + index);
	memset(ct, 0, sizeof(*ct));
	assert_int_equal(run(true, key, index, *plain, len, 5, ct, &err), 0);
	assert_int_equal(ct->len, payload_aead_stored_size(len, CHUNK));
}

static void test_kat(void **state)
{
	uint8_t key[32], plain[40], *want = NULL;
	size_t want_len = 0;
	struct sink ct = { 0 }, back = { 0 };
	gw_error err = { { 0 } };

	(void)state;
	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)i;
	for (int i = 0; i < 40; i++)
		plain[i] = (uint8_t)i;
	assert_int_equal(gw_read_file("common/tests/fixtures/payload_aead/kat.bin", 4096, &want,
				      &want_len, &err), 0);
	assert_int_equal(run(true, key, 2, plain, sizeof(plain), 40, &ct, &err), 0);
	assert_int_equal(ct.len, want_len);
	assert_memory_equal(ct.buf, want, want_len);
	assert_int_equal(run(false, key, 2, want, want_len, 3, &back, &err), 0);
	assert_int_equal(back.len, sizeof(plain));
	assert_memory_equal(back.buf, plain, sizeof(plain));
	free(want);
	free(ct.buf);
	free(back.buf);
}

static void test_roundtrip_edges(void **state)
{
	static const size_t sizes[] = { 0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 100 };
	static const size_t steps[] = { 1, 7, CHUNK, CHUNK + PAYLOAD_AEAD_TAG, 1000 };

	(void)state;
	for (size_t i = 0; i < GW_ARRAY_SIZE(sizes); i++) {
		struct sink ct;
		uint8_t *plain;

		seal(0, key1, sizes[i], &ct, &plain);
		for (size_t j = 0; j < GW_ARRAY_SIZE(steps); j++) {
			struct sink back = { 0 };
			gw_error err = { { 0 } };

			assert_int_equal(run(false, key1, 0, ct.buf, ct.len, steps[j], &back, &err),
					 0);
			assert_int_equal(back.len, sizes[i]);
			if (sizes[i])
				assert_memory_equal(back.buf, plain, sizes[i]);
			free(back.buf);
		}
		free(ct.buf);
		free(plain);
	}
	assert_int_equal(payload_aead_stored_size(0, CHUNK), 16);
	assert_int_equal(payload_aead_stored_size(CHUNK, CHUNK), CHUNK + 16);
	assert_int_equal(payload_aead_stored_size(CHUNK + 1, CHUNK), CHUNK + 1 + 32);
}

/* Decrypting ct (len bytes) as payload index with key fails with want, and nothing
 * of a chunk that failed came out. */
static void refused(const uint8_t *key, uint32_t index, const uint8_t *ct, size_t len, int want,
		    size_t max_out)
{
	struct sink back = { 0 };
	gw_error err = { { 0 } };

	assert_int_equal(run(false, key, index, ct, len, 11, &back, &err), want);
	assert_true(back.len <= max_out);
	free(back.buf);
}

static void test_flipped_bit(void **state)
{
	const size_t S = CHUNK + PAYLOAD_AEAD_TAG;
	struct sink ct;
	uint8_t *plain;

	(void)state;
	seal(0, key1, 3 * CHUNK, &ct, &plain);
	for (size_t at = 0; at < ct.len; at += 5) {
		ct.buf[at] ^= 0x01;
		/* Only the chunks before the flipped one come out. */
		refused(key1, 0, ct.buf, ct.len, GW_E_SIGNATURE, at / S * CHUNK);
		ct.buf[at] ^= 0x01;
	}
	free(ct.buf);
	free(plain);
}

static void test_truncated(void **state)
{
	const size_t S = CHUNK + PAYLOAD_AEAD_TAG;
	struct sink ct;
	uint8_t *plain;

	(void)state;
	seal(0, key1, 3 * CHUNK, &ct, &plain);
	/* Cut at a chunk boundary: the last chunk left is not a final one. */
	refused(key1, 0, ct.buf, 2 * S, GW_E_SIGNATURE, CHUNK);
	refused(key1, 0, ct.buf, S, GW_E_SIGNATURE, 0);
	/* Cut inside a chunk, and to less than a tag, and to nothing. */
	refused(key1, 0, ct.buf, 2 * S + 20, GW_E_SIGNATURE, 2 * CHUNK);
	refused(key1, 0, ct.buf, 2 * S + 5, GW_E_TRUNCATED, 2 * CHUNK);
	refused(key1, 0, ct.buf, 0, GW_E_TRUNCATED, 0);
	free(ct.buf);
	free(plain);
}

static void test_reordered(void **state)
{
	const size_t S = CHUNK + PAYLOAD_AEAD_TAG;
	struct sink ct;
	uint8_t *plain, tmp[CHUNK + PAYLOAD_AEAD_TAG];

	(void)state;
	seal(0, key1, 3 * CHUNK, &ct, &plain);
	memcpy(tmp, ct.buf, S);
	memcpy(ct.buf, ct.buf + S, S);
	memcpy(ct.buf + S, tmp, S);
	refused(key1, 0, ct.buf, ct.len, GW_E_SIGNATURE, 0);
	/* The final chunk moved first. */
	free(ct.buf);
	free(plain);
	seal(0, key1, 2 * CHUNK, &ct, &plain);
	memcpy(tmp, ct.buf, S);
	memcpy(ct.buf, ct.buf + S, S);
	memcpy(ct.buf + S, tmp, S);
	refused(key1, 0, ct.buf, ct.len, GW_E_SIGNATURE, 0);
	free(ct.buf);
	free(plain);
}

static void test_spliced(void **state)
{
	const size_t S = CHUNK + PAYLOAD_AEAD_TAG;
	struct sink a, b, c;
	uint8_t *pa, *pb, *pc;

	(void)state;
	seal(0, key1, 3 * CHUNK, &a, &pa);
	seal(1, key1, 3 * CHUNK, &b, &pb); /* the bundle's next payload */
	seal(0, key2, 3 * CHUNK, &c, &pc); /* another bundle's first payload */
	/* A whole payload under another index, or another bundle's key. */
	refused(key1, 1, a.buf, a.len, GW_E_SIGNATURE, 0);
	refused(key1, 0, c.buf, c.len, GW_E_SIGNATURE, 0);
	/* One chunk taken from the other payload, and from the other bundle. */
	memcpy(a.buf + S, b.buf + S, S);
	refused(key1, 0, a.buf, a.len, GW_E_SIGNATURE, CHUNK);
	memcpy(a.buf + S, c.buf + S, S);
	refused(key1, 0, a.buf, a.len, GW_E_SIGNATURE, CHUNK);
	free(a.buf);
	free(b.buf);
	free(c.buf);
	free(pa);
	free(pb);
	free(pc);
}

static void test_extended(void **state)
{
	const size_t S = CHUNK + PAYLOAD_AEAD_TAG;
	struct sink a, longer;
	uint8_t *pa, *pl, *ext;

	(void)state;
	seal(0, key1, 2 * CHUNK, &a, &pa);
	seal(0, key1, 3 * CHUNK, &longer, &pl);
	/* The stream of 2 chunks with the third (final) chunk of a longer stream of the
	 * same payload appended: the former final chunk is now read as non-final. */
	ext = malloc(a.len + S);
	memcpy(ext, a.buf, a.len);
	memcpy(ext + a.len, longer.buf + 2 * S, S);
	refused(key1, 0, ext, a.len + S, GW_E_SIGNATURE, CHUNK);
	/* Garbage after the final chunk. */
	memset(ext + a.len, 0, S);
	refused(key1, 0, ext, a.len + 3, GW_E_SIGNATURE, CHUNK);
	free(ext);
	free(a.buf);
	free(longer.buf);
	free(pa);
	free(pl);
}

static void test_state(void **state)
{
	struct payload_aead *c = NULL;
	struct sink s = { 0 };
	gw_error err = { { 0 } };
	uint8_t b[4] = { 0 };

	(void)state;
	assert_int_equal(payload_aead_new(true, key1, 0, PAYLOAD_AEAD_CHUNK_MIN - 1, &c), GW_E_INVAL);
	assert_int_equal(payload_aead_new(true, key1, 0, PAYLOAD_AEAD_CHUNK_MAX + 1, &c), GW_E_INVAL);
	assert_int_equal(payload_aead_new(true, key1, 0, CHUNK, &c), 0);
	assert_int_equal(payload_aead_final(c, collect, &s, &err), 0);
	assert_int_equal(s.len, PAYLOAD_AEAD_TAG); /* the empty final chunk */
	assert_int_equal(payload_aead_update(c, b, sizeof(b), collect, &s, &err), GW_E_STATE);
	assert_int_equal(payload_aead_final(c, collect, &s, &err), GW_E_STATE);
	payload_aead_free(c);
	payload_aead_free(NULL);
	free(s.buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kat),	      cmocka_unit_test(test_roundtrip_edges),
		cmocka_unit_test(test_flipped_bit),   cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_reordered),     cmocka_unit_test(test_spliced),
		cmocka_unit_test(test_extended),      cmocka_unit_test(test_state),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
