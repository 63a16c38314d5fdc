/* SPDX-License-Identifier: Apache-2.0 */
/* For the parsers' unit tests: every bad-input fixture in a directory has an
 * expected result in the test's table, so a fixture added without one fails. */
#ifndef GW_TESTS_FIXTURE_LIST_H
#define GW_TESTS_FIXTURE_LIST_H

#include <stddef.h>

/* Fails the running cmocka test, naming the file, for each file of dir (dot files
 * aside) that is not NAME followed by suffix for a NAME of the table: n entries of
 * stride bytes, the first entry's name at *first_name (a const char *). */
void fixtures_all_listed(const char *dir, const char *suffix, const char *const *first_name,
			 size_t n, size_t stride);

/* cases: an array of structs whose `name` member is a const char *. */
#define FIXTURES_ALL_LISTED(dir, suffix, cases)                                             \
	fixtures_all_listed((dir), (suffix), &(cases)[0].name,                              \
			    sizeof(cases) / sizeof((cases)[0]), sizeof((cases)[0]))

#endif
