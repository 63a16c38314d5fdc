/* SPDX-License-Identifier: Apache-2.0 */
/* The HTTPS server's connection caps, shared by its workers: open connections per
 * source (srcaddr.h key), per IPv6 /56 and /48 prefix and in all, and per source
 * the connections still in their TLS handshake. */
#ifndef GW_VERIFIER_CONNCAPS_H
#define GW_VERIFIER_CONNCAPS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "srcaddr.h"

struct conncaps_limits {
	unsigned total;      /* open connections, all sources */
	unsigned per_source; /* open connections of one source key */
	/* Open connections of all the sources in one IPv6 /56; a /48 may have
	 * twice as many. IPv4 and link-local sources have no prefix. */
	unsigned per_prefix;
	unsigned handshakes_per_source; /* of one source key, still in the handshake */
};

struct conncaps_slot;

/* Told (outside the lock) each time the total reaches its cap or drops below
 * it; it asks conncaps_full() for the state now, as calls may cross. */
typedef void (*conncaps_full_fn)(void *arg);

struct conncaps {
	pthread_mutex_t lock;
	bool lock_made;
	struct conncaps_limits max;
	unsigned total;
	struct conncaps_slot *slots; /* open addressing, count 0 = free */
	size_t mask;                 /* slots - 1, a power of two minus one */
	uint64_t seed;
	conncaps_full_fn on_full;
	void *arg;
};

enum conncaps_verdict {
	CONNCAPS_OK,
	CONNCAPS_SOURCE_FULL,     /* the source has max.per_source open */
	CONNCAPS_HANDSHAKES_FULL, /* the source has max.handshakes_per_source in handshake */
	CONNCAPS_PREFIX_FULL,     /* its /56 or /48 is full */
	CONNCAPS_ALL_FULL,        /* max.total open */
};

/* Limits all nonzero. 0, GW_E_NOMEM or GW_E_CRYPTO (no random seed).
 * conncaps_fini() undoes it, also half done. */
int conncaps_init(struct conncaps *c, const struct conncaps_limits *max,
		  conncaps_full_fn on_full, void *arg);
void conncaps_fini(struct conncaps *c);

/* Count one more connection from key, in its TLS handshake, unless a cap is
 * reached (the source's caps are checked before the total). *open gets the
 * source's open connections before this one. */
enum conncaps_verdict conncaps_take(struct conncaps *c, const uint8_t key[SRCADDR_KEY_LEN],
				    unsigned *open);
/* The handshake of one of key's connections is over. */
void conncaps_handshake_done(struct conncaps *c, const uint8_t key[SRCADDR_KEY_LEN]);
/* One of key's connections is gone; in_handshake: it had not finished it. */
void conncaps_release(struct conncaps *c, const uint8_t key[SRCADDR_KEY_LEN],
		      bool in_handshake);

unsigned conncaps_total(struct conncaps *c);
bool conncaps_full(struct conncaps *c);

#endif
