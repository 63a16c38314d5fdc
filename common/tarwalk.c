// SPDX-License-Identifier: Apache-2.0
// The bundle reader's walk over the raw tar blocks: each header's magic, type and
// size, and nothing but zero blocks after the end marker.
#include "tarwalk.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static void walk_error(struct tar_walk *w, unsigned member, const char *msg)
{
	if (w->err_member)
		return;
	w->err_member = member;
	snprintf(w->err, sizeof(w->err), "%s", msg);
}

static bool all_zero(const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

/* The ustar size field: octal digits, then NUL or spaces; -1 if not that. */
static int64_t octal_size(const uint8_t *f, size_t n)
{
	int64_t v = 0;
	size_t i = 0;

	while (i < n && f[i] == ' ')
		i++;
	if (i == n || f[i] < '0' || f[i] > '7')
		return -1;
	for (; i < n && f[i] >= '0' && f[i] <= '7'; i++)
		v = v * 8 + (f[i] - '0');
	for (; i < n; i++)
		if (f[i] != ' ' && f[i] != '\0')
			return -1;
	return v;
}

/* One header block: POSIX ustar magic and version, a file type or pax 'x'. */
static void walk_header(struct tar_walk *w)
{
	const uint8_t *h = w->hdr;
	unsigned member = w->members + 1;
	int64_t size;

	if (all_zero(h, TAR_BLOCK)) {
		w->state = W_END1;
		return;
	}
	if (memcmp(h + 257, "ustar\0" "00", 8))
		return walk_error(w, member, "a GNU or pre-POSIX tar header, not ustar (POSIX)");
	/* '0'-'7' and NUL: libarchive reports them and check_entry() refuses all but
	 * regular files; 'x': a pax extended header for the next member. Global pax
	 * headers ('g') apply to every later member and no bundle writer makes them. */
	if (h[156] != 'x' && h[156] != '\0' && (h[156] < '0' || h[156] > '7'))
		return walk_error(w, member, "a tar header of a type that is neither a file "
				  "nor a pax extended header ('x')");
	size = octal_size(h + 124, 12);
	if (size < 0)
		return walk_error(w, member, "a tar header whose size is not octal");
	if (h[156] != 'x') {
		if (w->members >= WALK_MEMBERS)
			return walk_error(w, member, "more members than a bundle has");
		w->size[w->members++] = size;
	}
	/* Links and devices carry no data (check_entry() refuses them anyway). */
	if (h[156] != 'x' && h[156] != '0' && h[156] != '\0' && h[156] != '7')
		size = 0;
	w->skip = ((uint64_t)size + TAR_BLOCK - 1) / TAR_BLOCK * TAR_BLOCK;
	w->state = w->skip ? W_DATA : W_HEADER;
}

void tar_walk_feed(struct tar_walk *w, const uint8_t *b, size_t n)
{
	while (n && !w->err_member) {
		size_t k;

		switch (w->state) {
		case W_DATA:
			k = w->skip < n ? (size_t)w->skip : n;
			w->skip -= k;
			if (!w->skip)
				w->state = W_HEADER;
			break;
		case W_PAD:
			k = n;
			if (!all_zero(b, n))
				walk_error(w, w->members + 1, "bytes after the end of the archive "
					   "(its two zero blocks)");
			break;
		default:
			k = TAR_BLOCK - w->fill < n ? TAR_BLOCK - w->fill : n;
			memcpy(w->hdr + w->fill, b, k);
			w->fill += k;
			if (w->fill < TAR_BLOCK)
				break;
			w->fill = 0;
			if (w->state == W_HEADER)
				walk_header(w);
			else if (all_zero(w->hdr, TAR_BLOCK))
				w->state = W_PAD;
			else
				walk_error(w, w->members + 1, "a header after a single zero block "
					   "(the end takes two)");
			break;
		}
		b += k;
		n -= k;
	}
}
