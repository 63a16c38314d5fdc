// SPDX-License-Identifier: Apache-2.0
// Token buckets for POST /v1/enroll, one per source address in a fixed table and
// one for all sources, kept in their GCRA form: one "theoretical arrival time" per
// bucket instead of a token count and a refill timestamp.
#include "service_ratelimit.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "srcaddr.h"
#include "util.h"

#define KEY_LEN SRCADDR_KEY_LEN

/* COUNT per SECONDS: a request may pass while its bucket's arrival time is at most
 * tolerance ahead of now; each one that passes moves it interval on. An arrival
 * time at or before now is a full bucket (COUNT requests at once). */
struct bucket {
	bool on;
	uint64_t interval_ns;  /* SECONDS / COUNT */
	uint64_t tolerance_ns; /* interval * (COUNT - 1) */
};

struct entry {
	bool used;
	uint8_t key[KEY_LEN];
	uint64_t tat;
};

struct service_ratelimit {
	pthread_mutex_t lock;
	struct bucket source, global;
	uint64_t global_tat;
	uint64_t refused;
	bool reported;
	uint64_t last_report_ns;
	struct entry table[RATELIMIT_SETS * RATELIMIT_WAYS];
};

static int bucket_init(struct bucket *b, const struct vconfig_rate *r)
{
	memset(b, 0, sizeof(*b));
	if (!r || r->count == 0)
		return 0;
	if (r->count > VCONFIG_RATE_MAX_COUNT || r->seconds < 1 ||
	    r->seconds > VCONFIG_RATE_MAX_SECONDS)
		return GW_E_INVAL;
	b->on = true;
	/* At most 86400 s * 1e9 ns: no overflow; at least 1000 ns a token. */
	b->interval_ns = (uint64_t)r->seconds * GW_NS_PER_S / r->count;
	b->tolerance_ns = b->interval_ns * (r->count - 1);
	return 0;
}

int service_ratelimit_new(const struct vconfig_rate *per_source,
			  const struct vconfig_rate *global, struct service_ratelimit **out)
{
	struct service_ratelimit *rl = calloc(1, sizeof(*rl));
	int rc;

	if (!rl)
		return GW_E_NOMEM;
	if ((rc = bucket_init(&rl->source, per_source)) ||
	    (rc = bucket_init(&rl->global, global))) {
		free(rl);
		return rc;
	}
	if (pthread_mutex_init(&rl->lock, NULL) != 0) {
		free(rl);
		return GW_E_NOMEM;
	}
	*out = rl; /* transferred */
	return 0;
}

void service_ratelimit_free(struct service_ratelimit *rl)
{
	if (!rl)
		return;
	pthread_mutex_destroy(&rl->lock);
	free(rl);
}

/* FNV-1a. Not keyed: a client that makes its own entries collide only evicts
 * them, which gives them a full bucket, no more than it gets from new addresses;
 * it cannot reach another source's entry except by evicting it, which helps that
 * source. The global bucket bounds both. */
static size_t set_of(const uint8_t key[KEY_LEN])
{
	uint64_t h = 14695981039346656037ull;

	for (size_t i = 0; i < KEY_LEN; i++) {
		h ^= key[i];
		h *= 1099511628211ull;
	}
	return (size_t)(h % RATELIMIT_SETS);
}

/* May a request at now pass a bucket whose arrival time is tat? Yes: *next is its
 * new arrival time. No: *wait is the time until it may. */
static bool gcra(const struct bucket *b, uint64_t tat, uint64_t now, uint64_t *next,
		 uint64_t *wait)
{
	uint64_t t = tat > now ? tat : now;

	if (t - now > b->tolerance_ns) {
		*wait = t - now - b->tolerance_ns;
		return false;
	}
	*next = t + b->interval_ns;
	return true;
}

bool service_ratelimit_take(struct service_ratelimit *rl, const char *source, uint64_t now_ns,
			    enum ratelimit_scope scope, unsigned *retry_after)
{
	uint8_t key[KEY_LEN];
	struct entry *set, *e = NULL, *victim = NULL;
	uint64_t next_src = 0, next_all = 0, wait_src = 0, wait_all = 0, wait;
	bool ok_src = true, ok_all = true;
	bool by_src = rl->source.on && (scope & RATELIMIT_SOURCE);
	bool by_all = rl->global.on && (scope & RATELIMIT_GLOBAL);

	srcaddr_key_from_text(source, key);
	pthread_mutex_lock(&rl->lock);
	if (by_src) {
		set = &rl->table[set_of(key) * RATELIMIT_WAYS];
		for (size_t i = 0; i < RATELIMIT_WAYS && !e; i++)
			if (set[i].used && !memcmp(set[i].key, key, KEY_LEN))
				e = &set[i];
		/* A new source takes a free entry, or one whose bucket is full again
		 * (forgetting it changes nothing), or else the one nearest to full. */
		for (size_t i = 0; i < RATELIMIT_WAYS && !e; i++) {
			if (!set[i].used || set[i].tat <= now_ns) {
				victim = &set[i];
				break;
			}
			if (!victim || set[i].tat < victim->tat)
				victim = &set[i];
		}
		ok_src = gcra(&rl->source, e ? e->tat : now_ns, now_ns, &next_src, &wait_src);
	}
	if (by_all)
		ok_all = gcra(&rl->global, rl->global_tat, now_ns, &next_all, &wait_all);
	if (ok_src && ok_all) {
		/* Entries are made only for requests that pass: refused ones cannot
		 * crowd the table. */
		if (by_src) {
			if (!e) {
				e = victim;
				e->used = true;
				memcpy(e->key, key, KEY_LEN);
			}
			e->tat = next_src;
		}
		if (by_all)
			rl->global_tat = next_all;
		pthread_mutex_unlock(&rl->lock);
		return true;
	}
	rl->refused++;
	pthread_mutex_unlock(&rl->lock);
	wait = wait_src > wait_all ? wait_src : wait_all;
	wait = (wait + GW_NS_PER_S - 1) / GW_NS_PER_S;
	*retry_after = wait < 1 ? 1 : (unsigned)wait;
	return false;
}

uint64_t service_ratelimit_refused(struct service_ratelimit *rl, uint64_t now_ns)
{
	uint64_t n = 0;

	pthread_mutex_lock(&rl->lock);
	if (rl->refused &&
	    (!rl->reported || now_ns - rl->last_report_ns >= RATELIMIT_REPORT_NS)) {
		n = rl->refused;
		rl->refused = 0;
		rl->reported = true;
		rl->last_report_ns = now_ns;
	}
	pthread_mutex_unlock(&rl->lock);
	return n;
}
