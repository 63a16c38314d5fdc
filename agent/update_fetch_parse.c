// SPDX-License-Identifier: Apache-2.0
// The verifier's ETag and Content-Range headers of a bundle download, as the
// agent reads them (update_fetch.h); nothing else, so the fuzzer can link it.
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "update_fetch.h"
#include "util.h"

bool update_fetch_valid_etag(const char *e)
{
	return strlen(e) == UPDATE_FETCH_ETAG_LEN && e[0] == '"' &&
	       e[UPDATE_FETCH_ETAG_LEN - 1] == '"' && strspn(e + 1, "0123456789abcdef") == 64;
}

bool update_fetch_content_range(const char *s, uint64_t *a, uint64_t *b, uint64_t *total)
{
	uint64_t x, y, t;

	if (strncmp(s, "bytes ", 6))
		return false;
	s += 6;
	if (gw_parse_u64_until(&s, '-', INT64_MAX, &x) ||
	    gw_parse_u64_until(&s, '/', INT64_MAX, &y) ||
	    gw_parse_u64_until(&s, '\0', INT64_MAX, &t))
		return false;
	if (x > y || y >= t)
		return false;
	*a = x;
	*b = y;
	*total = t;
	return true;
}
