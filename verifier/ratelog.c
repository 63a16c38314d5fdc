// SPDX-License-Identifier: Apache-2.0
// Rate-limited log lines: at most one per interval and condition.
#include "ratelog.h"

#include <stdio.h>
#include <string.h>

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

void ratelog_note_held(char *buf, size_t size, uint64_t held)
{
	char note[80];
	size_t n = strlen(buf);
	int m;

	if (!held)
		return;
	m = snprintf(note, sizeof(note), " (and %llu more like it since the last such line)",
		     (unsigned long long)held);
	if (m > 0 && n + (size_t)m < size)
		memcpy(buf + n, note, (size_t)m + 1);
}
