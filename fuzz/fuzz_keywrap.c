// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the wrapped-key reader: parse the JSON strictly, check the
// wrap, and for what passes, read its EPK and try to open it with a fixed Z (which
// must fail cleanly unless the input is the committed vector).
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "jsonobj.h"
#include "keywrap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t z[32] = { 1 };
	json_object *w = NULL;
	gw_error err = { { 0 } };
	uint8_t point[KEYWRAP_POINT_LEN], cek[KEYWRAP_CEK_LEN];
	int rc;

	if (gw_json_object_parse(data, size, 4096, 3, "wrap", &w, &err))
		return 0;
	rc = keywrap_check(w, &err);
	if (!rc) {
		if (keywrap_epk(w, point))
			__builtin_trap();
		/* Its own EPK as the recipient point: a valid point, a wrong Z. */
		if (!keywrap_open_z(z, point, w, "release", cek, &err))
			__builtin_trap();
	} else if (!keywrap_epk(w, point)) {
		__builtin_trap();
	}
	json_object_put(w);
	return 0;
}
