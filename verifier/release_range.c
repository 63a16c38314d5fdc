// SPDX-License-Identifier: Apache-2.0
// Range and If-Range of a bundle download (release_range.h).
#include "release_range.h"

#include <string.h>
#include <strings.h>

#define MAX_DIGITS 19 /* below 2^63 */

/* A decimal number of 1..MAX_DIGITS digits at *p; advances *p. */
static bool number(const char **p, uint64_t *out)
{
	uint64_t v = 0;
	size_t n = 0;

	while ((*p)[n] >= '0' && (*p)[n] <= '9') {
		if (n == MAX_DIGITS)
			return false;
		v = v * 10 + (uint64_t)((*p)[n] - '0');
		n++;
	}
	if (n == 0)
		return false;
	*p += n;
	*out = v;
	return true;
}

enum release_range release_range_parse(const char *range, const char *if_range,
				       const char *etag, uint64_t size, uint64_t *start,
				       uint64_t *len)
{
	const char *p;
	uint64_t a = 0, b = 0;
	bool has_a, has_b;

	if (!range || size == 0)
		return RELEASE_RANGE_FULL;
	/* Another unit is ignored (RFC 9110 14.2: MUST ignore). */
	if (strncasecmp(range, "bytes=", 6))
		return RELEASE_RANGE_FULL;
	/* If-Range: the range only for the representation the client holds. */
	if (if_range && (!etag || strcmp(if_range, etag)))
		return RELEASE_RANGE_FULL;
	p = range + 6;
	has_a = number(&p, &a);
	if (*p != '-')
		return RELEASE_RANGE_INVALID;
	p++;
	has_b = number(&p, &b);
	if (*p != '\0' || (!has_a && !has_b))
		return RELEASE_RANGE_INVALID; /* trailing text, a list, "bytes=-" */
	if (!has_a) {
		/* The last b bytes. */
		if (b == 0)
			return RELEASE_RANGE_UNSATISFIABLE;
		if (b > size)
			b = size;
		*start = size - b;
		*len = b;
		return RELEASE_RANGE_PARTIAL;
	}
	if (has_b && b < a)
		return RELEASE_RANGE_INVALID;
	if (a >= size)
		return RELEASE_RANGE_UNSATISFIABLE;
	if (!has_b || b >= size)
		b = size - 1;
	*start = a;
	*len = b - a + 1;
	return RELEASE_RANGE_PARTIAL;
}
