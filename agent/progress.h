/* SPDX-License-Identifier: Apache-2.0 */
/* Progress of a long write for a person (one rewritten line on a terminal:
 * percent, MB/s, ETA) or for a program (JSON lines), at a bounded rate. */
#ifndef GW_AGENT_PROGRESS_H
#define GW_AGENT_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum progress_mode { PROGRESS_NONE, PROGRESS_TTY, PROGRESS_JSON };

struct progress {
	enum progress_mode mode;
	FILE *out;		/* the terminal (stderr) or the JSON stream (stdout) */
	const char *what;	/* the payload's class */
	bool verifying;		/* writing, or reading back */
	uint64_t start_ns;	/* of the current phase */
	uint64_t last_ns;	/* last line shown */
	bool line_open;		/* a terminal line waits for its newline */
};

void progress_init(struct progress *p, enum progress_mode mode, FILE *out);
/* A new payload (what: its class). */
void progress_begin(struct progress *p, const char *what);
/* done of total bytes written (verifying false) or read back (true); shown at most
 * a few times a second, and always at 100%. A slot_progress_fn. */
void progress_update(void *user, bool verifying, uint64_t done, uint64_t total);
/* Ends the terminal line, if one is open. */
void progress_end(struct progress *p);

#endif
