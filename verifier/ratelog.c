// SPDX-License-Identifier: Apache-2.0
// Rate-limited log lines: at most one per interval and condition.
#include "ratelog.h"

#include <string.h>
#include <time.h>

#include "gw_error.h"

int ratelog_init(struct ratelog *rl, uint64_t interval_ns)
{
	memset(rl, 0, sizeof(*rl));
	rl->interval_ns = interval_ns;
	return pthread_mutex_init(&rl->lock, NULL) ? GW_E_NOMEM : 0;
}

void ratelog_fini(struct ratelog *rl)
{
	pthread_mutex_destroy(&rl->lock);
}

bool ratelog_allow(struct ratelog *rl, uint64_t now_ns, uint64_t *held)
{
	bool ok;

	pthread_mutex_lock(&rl->lock);
	ok = !rl->logged || now_ns - rl->last_ns >= rl->interval_ns;
	if (ok) {
		*held = rl->held;
		rl->held = 0;
		rl->logged = true;
		rl->last_ns = now_ns;
	} else {
		rl->held++;
	}
	pthread_mutex_unlock(&rl->lock);
	return ok;
}

uint64_t ratelog_now_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
