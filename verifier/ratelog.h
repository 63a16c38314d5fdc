/* SPDX-License-Identifier: Apache-2.0 */
/* A log line about a condition that can repeat thousands of times a second (a
 * refused connection, accept() out of descriptors) is written at most once per
 * interval, with the count of the ones held back in between. */
#ifndef GW_VERIFIER_RATELOG_H
#define GW_VERIFIER_RATELOG_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ratelog {
	pthread_mutex_t lock;
	uint64_t interval_ns;
	uint64_t last_ns;
	bool logged;
	uint64_t held; /* occurrences since the last line written */
};

/* 0, or GW_E_NOMEM when the lock cannot be made. */
int ratelog_init(struct ratelog *rl, uint64_t interval_ns);
void ratelog_fini(struct ratelog *rl);

/* One more occurrence at now_ns (a monotonic clock: gw_mono_ns()). True when its line is to be
 * written now: the first one, then the first one at least interval_ns after the
 * last written; *held is then how many were held back since that one (they are
 * forgotten). False: held back. Thread-safe. */
bool ratelog_allow(struct ratelog *rl, uint64_t now_ns, uint64_t *held);

/* Append " (and HELD more like it since the last such line)" to the line in
 * buf (size bytes) when held is nonzero and it fits whole; else leave it. */
void ratelog_note_held(char *buf, size_t size, uint64_t held);

#endif
