/* SPDX-License-Identifier: Apache-2.0 */
/* The store unit tests' shared fixture: a new SQLite store in a fresh temporary
 * directory per test, closed and removed (with its WAL files) afterwards. */
#ifndef GW_TEST_STORE_FIXTURE_H
#define GW_TEST_STORE_FIXTURE_H

#include "store.h"

struct store_fixture {
	char dir[64];
	char path[128]; /* DIR/v.db */
	struct store *st;
};

/* cmocka setup and teardown: *state is the struct store_fixture. */
int store_fixture_setup(void **state);
int store_fixture_teardown(void **state);

/* Store an enrolled device id of model (created at 10) whose TPM is its own: its
 * AK name is the id. store_device_put's result. */
int store_fixture_put_device(struct store *st, const char *id, const char *model);

/* Remove every entry of dir (files, FIFOs, symbolic links; not subdirectories),
 * then dir: 0, or -1 when one could not be removed. */
int store_fixture_remove_dir(const char *dir);

#endif
