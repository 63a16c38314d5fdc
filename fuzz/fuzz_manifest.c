// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the manifest parser: parse, and for what parses, format it
// and parse that again, which must give the same canonical text.
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct manifest *m = NULL, *back = NULL;
	gw_error err = { { 0 } };
	char *text = NULL, *again = NULL;
	size_t len = 0, len2 = 0;

	if (manifest_parse(data, size, &m, &err))
		return 0;
	if (manifest_format(m, &text, &len))
		__builtin_trap();
	if (manifest_parse((const uint8_t *)text, len, &back, &err))
		__builtin_trap();
	if (manifest_format(back, &again, &len2) || len != len2 || memcmp(text, again, len))
		__builtin_trap();
	if (back->npayloads != m->npayloads || back->security_version != m->security_version ||
	    back->created != m->created || back->expires != m->expires ||
	    back->nboot_files != m->nboot_files)
		__builtin_trap();
	for (size_t i = 0; i < m->nboot_files; i++)
		if (strcmp(back->boot_files[i].path, m->boot_files[i].path) ||
		    memcmp(back->boot_files[i].sha256, m->boot_files[i].sha256, 32))
			__builtin_trap();
	free(again);
	free(text);
	manifest_free(back);
	manifest_free(m);
	return 0;
}
