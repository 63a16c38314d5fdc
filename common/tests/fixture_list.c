// SPDX-License-Identifier: Apache-2.0
// Every bad-input fixture of a directory has an entry in the test's table.
#include "fixture_list.h"

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

static bool listed(const char *file, const char *suffix, const char *const *first_name,
		   size_t n, size_t stride)
{
	size_t l = strlen(file), sl = strlen(suffix);

	if (l <= sl || strcmp(file + l - sl, suffix))
		return false;
	for (size_t i = 0; i < n; i++) {
		const char *name = *(const char *const *)(const void *)((const char *)first_name +
									 i * stride);

		if (strlen(name) == l - sl && !strncmp(file, name, l - sl))
			return true;
	}
	return false;
}

void fixtures_all_listed(const char *dir, const char *suffix, const char *const *first_name,
			 size_t n, size_t stride)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t files = 0;

	if (!d)
		fail_msg("cannot open the fixture directory %s", dir);
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		files++;
		if (!listed(de->d_name, suffix, first_name, n, stride)) {
			closedir(d);
			fail_msg("%s/%s has no expected result in the test's table", dir, de->d_name);
		}
	}
	closedir(d);
	if (!files)
		fail_msg("%s holds no fixture", dir);
}
