/* SPDX-License-Identifier: Apache-2.0 */
/* The Range and If-Range request headers of GET /v1/releases/ID/bundle (RFC 9110
 * 14.2, 13.1.5): one byte range, or none. */
#ifndef GW_VERIFIER_RELEASE_RANGE_H
#define GW_VERIFIER_RELEASE_RANGE_H

#include <stdbool.h>
#include <stdint.h>

enum release_range {
	RELEASE_RANGE_FULL,          /* no Range, another unit, or If-Range differs: 200 */
	RELEASE_RANGE_PARTIAL,       /* one satisfiable range: 206 with *start, *len */
	RELEASE_RANGE_UNSATISFIABLE, /* bytes=, but nothing of it is in the file: 416 */
	RELEASE_RANGE_INVALID,       /* bytes=, malformed or more than one range: 416 */
};

/* Judge range (the Range header, or NULL) for a file of size bytes (> 0) whose
 * ETag is etag (with its quotes); if_range (or NULL) is the If-Range header:
 * a range is honoured only when it is exactly etag (strong comparison; a date or a
 * weak tag never matches). Accepted forms: "bytes=A-B", "bytes=A-", "bytes=-N"
 * with decimal numbers of at most 19 digits, no spaces. B past the end is cut to
 * the end; A past the end, or a suffix of 0, is unsatisfiable. */
enum release_range release_range_parse(const char *range, const char *if_range,
				       const char *etag, uint64_t size, uint64_t *start,
				       uint64_t *len);

#endif
