// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the Range/If-Range parser of bundle downloads: input is
// "RANGE\nIF-RANGE" (no newline: no If-Range) and the first 8 bytes a file size.
// A partial answer must lie inside the file and be non-empty.
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "release_range.h"

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
	free(text);
	return 0;
}
