/* SPDX-License-Identifier: Apache-2.0 */
/* A walk over a tar stream's raw blocks beside libarchive, for the bundle reader:
 * every header must be POSIX ustar (or pax 'x') and the end two zero blocks. */
#ifndef GW_TARWALK_H
#define GW_TARWALK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TAR_BLOCK 512
#define WALK_MEMBERS 64 /* members whose header size the walk keeps */

/* The walk over the raw tar blocks, beside libarchive: it sees every header block
 * (libarchive applies GNU 'L'/'K'/'V' headers and reports only the final
 * header's format) and the bytes after the end marker (libarchive stops there). */
enum walk_state {
	W_HEADER,	/* a header block, or the first zero block */
	W_DATA,		/* skipping a member's data and padding */
	W_END1,		/* one zero block seen: the second must follow */
	W_PAD,		/* the end: only zero bytes to EOF */
};

struct tar_walk {
	enum walk_state state;
	uint8_t hdr[TAR_BLOCK];
	size_t fill;
	uint64_t skip;
	unsigned members;	/* non-extension headers seen */
	int64_t size[WALK_MEMBERS];
	unsigned err_member;	/* 0: no error; else the member it belongs to */
	char err[128];
};

/* Feed the next n bytes of the stream (n = 0 at its end changes nothing): the
 * first problem is kept in err, with the member it belongs to in err_member. */
void tar_walk_feed(struct tar_walk *w, const uint8_t *b, size_t n);

#endif
