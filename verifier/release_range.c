// SPDX-License-Identifier: Apache-2.0
// Range and If-Range of a bundle download (release_range.h).
#include "release_range.h"

#include <string.h>
#include <strings.h>

#include "util.h"

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
	/* Numbers below 2^63; anything else, a list, trailing text, "bytes=-": invalid. */
	has_a = *p != '-';
	if (has_a && gw_parse_u64_until(&p, '-', INT64_MAX, &a))
		return RELEASE_RANGE_INVALID;
	if (!has_a)
		p++;
	has_b = *p != '\0';
	if ((has_b && gw_parse_u64_until(&p, '\0', INT64_MAX, &b)) || (!has_a && !has_b))
		return RELEASE_RANGE_INVALID;
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
