// SPDX-License-Identifier: Apache-2.0
// Connection caps per source, per IPv6 prefix, in all and per source in the TLS
// handshake, in one hash table under one lock.
#include "conncaps.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "gw_error.h"

struct conncaps_slot {
	uint8_t key[SRCADDR_KEY_LEN];
	uint32_t count;      /* open connections */
	uint32_t handshakes; /* of them, still in the TLS handshake (source keys) */
};

/* The prefixes a source's connections also count in, and their caps. */
static const unsigned prefix_bits[] = { 56, 48 };
#define NPREFIX (sizeof(prefix_bits) / sizeof(prefix_bits[0]))

static unsigned prefix_cap(const struct conncaps *c, unsigned bits)
{
	uint64_t cap = (uint64_t)c->max.per_prefix * (bits == 48 ? 2 : 1);

	return cap > UINT32_MAX ? UINT32_MAX : (unsigned)cap;
}

/* FNV-1a from a random start: a client cannot pick addresses that pile up in
 * one run of the table without knowing the seed. */
static size_t slot_of(const struct conncaps *c, const uint8_t key[SRCADDR_KEY_LEN])
{
	uint64_t x = 14695981039346656037ull ^ c->seed;

	for (size_t i = 0; i < SRCADDR_KEY_LEN; i++) {
		x ^= key[i];
		x *= 1099511628211ull;
	}
	return (size_t)(x ^ (x >> 29)) & c->mask;
}

/* The slot of key, or the free one where it would go. The table has at least
 * twice as many slots as keys may be in use: there is always a free one. */
static size_t slot_find(const struct conncaps *c, const uint8_t key[SRCADDR_KEY_LEN])
{
	size_t i = slot_of(c, key);

	while (c->slots[i].count && memcmp(c->slots[i].key, key, SRCADDR_KEY_LEN))
		i = (i + 1) & c->mask;
	return i;
}

/* Empty slot i and move later entries of its run back, so that lookups never
 * stop at a hole before their key (linear probing without tombstones). */
static void slot_remove(struct conncaps *c, size_t i)
{
	size_t j = i, k;

	c->slots[i].count = 0;
	c->slots[i].handshakes = 0;
	for (;;) {
		j = (j + 1) & c->mask;
		if (!c->slots[j].count)
			return;
		k = slot_of(c, c->slots[j].key);
		/* j stays if its home k lies cyclically in (i, j]. */
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		c->slots[i] = c->slots[j];
		c->slots[j].count = 0;
		c->slots[j].handshakes = 0;
		i = j;
	}
}

static void slot_add(struct conncaps *c, const uint8_t key[SRCADDR_KEY_LEN], bool handshake)
{
	size_t i = slot_find(c, key);

	if (!c->slots[i].count)
		memcpy(c->slots[i].key, key, SRCADDR_KEY_LEN);
	c->slots[i].count++;
	if (handshake)
		c->slots[i].handshakes++;
}

static void slot_sub(struct conncaps *c, const uint8_t key[SRCADDR_KEY_LEN], bool handshake)
{
	size_t i = slot_find(c, key);

	if (!c->slots[i].count)
		return;
	if (handshake && c->slots[i].handshakes)
		c->slots[i].handshakes--;
	if (--c->slots[i].count == 0)
		slot_remove(c, i);
}

int conncaps_init(struct conncaps *c, const struct conncaps_limits *max,
		  conncaps_full_fn on_full, void *arg)
{
	size_t n = 64;

	memset(c, 0, sizeof(*c));
	c->max = *max;
	c->on_full = on_full;
	c->arg = arg;
	/* A connection uses up to 1 + NPREFIX keys; keep the table half empty. */
	while (n < 2 * (1 + NPREFIX) * (size_t)c->max.total)
		n *= 2;
	c->slots = calloc(n, sizeof(*c->slots));
	if (!c->slots)
		return GW_E_NOMEM;
	c->mask = n - 1;
	if (RAND_bytes((unsigned char *)&c->seed, sizeof(c->seed)) != 1)
		return GW_E_CRYPTO;
	if (pthread_mutex_init(&c->lock, NULL) != 0)
		return GW_E_NOMEM;
	c->lock_made = true;
	return 0;
}

void conncaps_fini(struct conncaps *c)
{
	if (c->lock_made)
		pthread_mutex_destroy(&c->lock);
	free(c->slots);
	c->slots = NULL;
	c->lock_made = false;
}

static enum conncaps_verdict check(const struct conncaps *c, const uint8_t key[SRCADDR_KEY_LEN],
				   unsigned *open)
{
	uint8_t pk[SRCADDR_KEY_LEN];
	size_t i = slot_find(c, key);

	*open = c->slots[i].count;
	if (c->slots[i].count >= c->max.per_source)
		return CONNCAPS_SOURCE_FULL;
	if (c->slots[i].handshakes >= c->max.handshakes_per_source)
		return CONNCAPS_HANDSHAKES_FULL;
	for (size_t p = 0; p < NPREFIX; p++)
		if (srcaddr_prefix_key(key, prefix_bits[p], pk) &&
		    c->slots[slot_find(c, pk)].count >= prefix_cap(c, prefix_bits[p]))
			return CONNCAPS_PREFIX_FULL;
	if (c->total >= c->max.total)
		return CONNCAPS_ALL_FULL;
	return CONNCAPS_OK;
}

enum conncaps_verdict conncaps_take(struct conncaps *c, const uint8_t key[SRCADDR_KEY_LEN],
				    unsigned *open)
{
	uint8_t pk[SRCADDR_KEY_LEN];
	enum conncaps_verdict v;
	bool now_full = false;

	pthread_mutex_lock(&c->lock);
	v = check(c, key, open);
	if (v == CONNCAPS_OK) {
		slot_add(c, key, true);
		for (size_t p = 0; p < NPREFIX; p++)
			if (srcaddr_prefix_key(key, prefix_bits[p], pk))
				slot_add(c, pk, false);
		now_full = ++c->total == c->max.total;
	}
	pthread_mutex_unlock(&c->lock);
	if (now_full && c->on_full)
		c->on_full(c->arg);
	return v;
}

void conncaps_handshake_done(struct conncaps *c, const uint8_t key[SRCADDR_KEY_LEN])
{
	size_t i;

	pthread_mutex_lock(&c->lock);
	i = slot_find(c, key);
	if (c->slots[i].count && c->slots[i].handshakes)
		c->slots[i].handshakes--;
	pthread_mutex_unlock(&c->lock);
}

void conncaps_release(struct conncaps *c, const uint8_t key[SRCADDR_KEY_LEN], bool in_handshake)
{
	uint8_t pk[SRCADDR_KEY_LEN];
	bool was_full = false;

	pthread_mutex_lock(&c->lock);
	slot_sub(c, key, in_handshake);
	for (size_t p = 0; p < NPREFIX; p++)
		if (srcaddr_prefix_key(key, prefix_bits[p], pk))
			slot_sub(c, pk, false);
	if (c->total) {
		was_full = c->total == c->max.total;
		c->total--;
	}
	pthread_mutex_unlock(&c->lock);
	if (was_full && c->on_full)
		c->on_full(c->arg);
}

unsigned conncaps_total(struct conncaps *c)
{
	unsigned n;

	pthread_mutex_lock(&c->lock);
	n = c->total;
	pthread_mutex_unlock(&c->lock);
	return n;
}

bool conncaps_full(struct conncaps *c)
{
	bool full;

	pthread_mutex_lock(&c->lock);
	full = c->total >= c->max.total;
	pthread_mutex_unlock(&c->lock);
	return full;
}
