// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the audit archive reader (gwverifier audit verify
// --archive): the input is split at newlines and fed line by line; whatever it
// accepts is a consistent chain (count = last - first + 1).
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "audit_archive.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct audit_archive_reader *r = NULL;
	struct audit_archive_summary sum;
	gw_error err = { { 0 } };
	const char *p = (const char *)data, *end = p + size, *nl;
	int rc;

	if (audit_archive_reader_new(&r))
		return 0;
	rc = 0;
	while (!rc && p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		rc = audit_archive_feed(r, p, nl ? (size_t)(nl - p) : (size_t)(end - p), &err);
		p = nl ? nl + 1 : end;
	}
	if (!rc && audit_archive_finish(r, &sum, &err) == 0) {
		if (sum.count && sum.last_seq - sum.first_seq + 1 != sum.count)
			__builtin_trap();
		if (!sum.count && sum.last_seq + 1 != sum.first_seq)
			__builtin_trap();
	}
	audit_archive_reader_free(r);
	return 0;
}
