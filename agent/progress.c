// SPDX-License-Identifier: Apache-2.0
// Progress lines of a long write: on a terminal one line rewritten in place
// (percent, MB/s, ETA), else one JSON object per line, each at a bounded rate.
#include "progress.h"

#include <inttypes.h>
#include <string.h>

#include "util.h"

#define TTY_PERIOD_NS (GW_NS_PER_S / 5)
#define JSON_PERIOD_NS GW_NS_PER_S

void progress_init(struct progress *p, enum progress_mode mode, FILE *out)
{
	memset(p, 0, sizeof(*p));
	p->mode = mode;
	p->out = out;
}

void progress_begin(struct progress *p, const char *what)
{
	progress_end(p);
	p->what = what;
	p->verifying = false;
	p->start_ns = gw_mono_ns();
	p->last_ns = 0;
}

void progress_update(void *user, bool verifying, uint64_t done, uint64_t total)
{
	struct progress *p = user;
	uint64_t now = gw_mono_ns(), elapsed;
	double secs, rate, eta;
	unsigned pct;

	if (p->mode == PROGRESS_NONE)
		return;
	if (verifying != p->verifying) {
		progress_end(p);
		p->verifying = verifying;
		p->start_ns = now;
		p->last_ns = 0;
	}
	if (done < total && p->last_ns &&
	    now - p->last_ns < (p->mode == PROGRESS_TTY ? TTY_PERIOD_NS : JSON_PERIOD_NS))
		return;
	p->last_ns = now;
	elapsed = now > p->start_ns ? now - p->start_ns : 1;
	secs = (double)elapsed / GW_NS_PER_S;
	rate = (double)done / secs / 1e6;
	eta = done && done < total ? (double)(total - done) * secs / (double)done : 0;
	pct = total ? (unsigned)(done * 100 / total) : 100;
	if (p->mode == PROGRESS_TTY) {
		fprintf(p->out, "\r%s: %s %3u%%  %7.1f MB/s  ETA %2u:%02u ", p->what,
			verifying ? "verifying" : "writing  ", pct, rate, (unsigned)eta / 60,
			(unsigned)eta % 60);
		p->line_open = true;
	} else {
		fprintf(p->out,
			"{\"event\":\"progress\",\"class\":\"%s\",\"phase\":\"%s\",\"done\":%" PRIu64
			",\"total\":%" PRIu64 ",\"percent\":%u,\"mb_per_s\":%.1f,\"eta_s\":%u}\n",
			p->what, verifying ? "verify" : "write", done, total, pct, rate,
			(unsigned)eta);
	}
	fflush(p->out);
}

void progress_end(struct progress *p)
{
	if (p->line_open) {
		fputc('\n', p->out);
		fflush(p->out);
	}
	p->line_open = false;
}
