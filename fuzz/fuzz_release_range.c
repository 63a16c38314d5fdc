// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the headers of bundle downloads: the verifier's Range and
// If-Range parser (input "RANGE\nIF-RANGE" after 8 bytes of file size; a partial
// answer must lie inside the file and be non-empty), and the agent's readers of
// the answer's Content-Range and ETag (the same text).
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "release_range.h"
#include "update_fetch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t fsize = 0, start = 0, len = 0;
	char *text, *nl;
	enum release_range r;

	if (size < 8)
		return 0;
	memcpy(&fsize, data, 8);
	fsize = fsize % (1ull << 62) + 1;
	text = malloc(size - 8 + 1);
	if (!text)
		return 0;
	memcpy(text, data + 8, size - 8);
	text[size - 8] = '\0';
	nl = strchr(text, '\n');
	if (nl)
		*nl++ = '\0';
	r = release_range_parse(text, nl, "\"0123\"", fsize, &start, &len);
	if (r == RELEASE_RANGE_PARTIAL && (len == 0 || start >= fsize || len > fsize - start))
		__builtin_trap();
	if (r != RELEASE_RANGE_FULL && r != RELEASE_RANGE_PARTIAL &&
	    r != RELEASE_RANGE_UNSATISFIABLE && r != RELEASE_RANGE_INVALID)
		__builtin_trap();
	{
		uint64_t a = 0, b = 0, t = 0;

		if (update_fetch_content_range(text, &a, &b, &t) && !(a <= b && b < t))
			__builtin_trap();
		if (update_fetch_valid_etag(text) && strlen(text) != UPDATE_FETCH_ETAG_LEN)
			__builtin_trap();
	}
	free(text);
	return 0;
}
