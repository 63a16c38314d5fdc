// SPDX-License-Identifier: Apache-2.0
// The verifier's ETag and Content-Range headers of a bundle download, as the
// agent reads them (update_fetch.h); nothing else, so the fuzzer can link it.
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "update_fetch.h"

#define MAX_DIGITS 19 /* below 2^63 */

bool update_fetch_valid_etag(const char *e)
{
	return strlen(e) == UPDATE_FETCH_ETAG_LEN && e[0] == '"' &&
	       e[UPDATE_FETCH_ETAG_LEN - 1] == '"' && strspn(e + 1, "0123456789abcdef") == 64;
}

/* 1..MAX_DIGITS decimal digits at *p, then `end`; advances *p past end. */
static bool number(const char **p, char end, uint64_t *out)
{
	uint64_t v = 0;
	size_t n = 0;

	while ((*p)[n] >= '0' && (*p)[n] <= '9') {
		if (n == MAX_DIGITS)
			return false;
		v = v * 10 + (uint64_t)((*p)[n] - '0');
		n++;
	}
	if (n == 0 || (*p)[n] != end)
		return false;
	*p += n + (end ? 1 : 0);
	*out = v;
	return true;
}

bool update_fetch_content_range(const char *s, uint64_t *a, uint64_t *b, uint64_t *total)
{
	uint64_t x, y, t;

	if (strncmp(s, "bytes ", 6))
		return false;
	s += 6;
	if (!number(&s, '-', &x) || !number(&s, '/', &y) || !number(&s, '\0', &t))
		return false;
	if (x > y || y >= t)
		return false;
	*a = x;
	*b = y;
	*total = t;
	return true;
}
