// SPDX-License-Identifier: Apache-2.0
// The store unit tests' shared fixture: a fresh store file per test, removed after.
#include "store_fixture.h"

#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

int store_fixture_setup(void **state)
{
	static const char tmpl[] = "/tmp/gw-store-XXXXXX";
	struct store_fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	memcpy(f->dir, tmpl, sizeof(tmpl));
	if (!mkdtemp(f->dir) || gw_snprintf(f->path, sizeof(f->path), "%s/v.db", f->dir) ||
	    store_open(f->path, &f->st, NULL)) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

int store_fixture_teardown(void **state)
{
	struct store_fixture *f = *state;
	static const char *const sfx[] = { "", "-wal", "-shm" };
	char p[192];

	store_close(f->st);
	for (size_t i = 0; i < GW_ARRAY_SIZE(sfx); i++)
		if (gw_snprintf(p, sizeof(p), "%s%s", f->path, sfx[i]) == 0)
			(void)unlink(p);
	(void)rmdir(f->dir);
	free(f);
	return 0;
}

int store_fixture_put_device(struct store *st, const char *id, const char *model)
{
	static uint8_t blob[] = { 0x00, 0x01, 0x02 };
	struct store_device d;

	memset(&d, 0, sizeof(d));
	if (gw_snprintf(d.id, sizeof(d.id), "%s", id) ||
	    gw_snprintf(d.model, sizeof(d.model), "%s", model))
		return GW_E_INVAL;
	d.state = STORE_DEV_ENROLLED;
	d.ek_pub = blob;
	d.ek_pub_len = sizeof(blob);
	d.ak_pub = blob;
	d.ak_pub_len = sizeof(blob);
	d.ak_name = (uint8_t *)id;
	d.ak_name_len = strlen(id);
	d.created_at = 10;
	return store_device_put(st, &d, NULL, NULL);
}

int store_fixture_remove_dir(const char *dir)
{
	char p[PATH_MAX];
	struct dirent *e;
	DIR *d = opendir(dir);
	int rc = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
		    (gw_snprintf(p, sizeof(p), "%s/%s", dir, e->d_name) || unlink(p)))
			rc = -1;
	closedir(d);
	return rmdir(dir) || rc ? -1 : 0;
}
