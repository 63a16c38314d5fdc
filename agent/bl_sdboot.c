// SPDX-License-Identifier: Apache-2.0
// The systemd-boot backend: Boot Loader Specification boot counting in the names
// of PREFIXa.conf and PREFIXb.conf under ESP/loader/entries (renamed as
// systemd-bless-boot does, each rename made durable), and the primary or the
// trial in loader/loader.conf's `default` pattern.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bl_internal.h"
#include "util.h"

#define LOADER_CONF_MAX 65536

struct sd_entry {
	bool present;
	char name[NAME_MAX + 1];
	int left;	/* -1: no counter (good) */
	unsigned done;
};

struct sd_state {
	struct sd_entry e[BL_NGROUPS];
	struct bl_sdboot_default def;
	char *conf;	/* loader.conf as read ("" when missing) */
	size_t conf_len;
};

static void sd_state_fini(struct sd_state *st)
{
	free(st->conf);
	st->conf = NULL;
}

static int sd_path(const struct bootloader *bl, const char *rel, const char *name, char *buf,
		   size_t len, gw_error *err)
{
	if (gw_snprintf(buf, len, "%s/%s%s%s", bl->path, rel, name ? "/" : "", name ? name : ""))
		return gw_fail(err, GW_E_TOOBIG, "%s/%s: path too long", bl->path, rel);
	return 0;
}

static bool is_dir(DIR *d, const struct dirent *de)
{
	struct stat st;

	if (de->d_type != DT_UNKNOWN)
		return de->d_type == DT_DIR;
	return fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	       S_ISDIR(st.st_mode);
}

static int scan_entries(struct bootloader *bl, struct sd_state *st, gw_error *err)
{
	char dir[PATH_MAX];
	DIR *d = NULL;
	struct dirent *de;
	int rc = sd_path(bl, "loader/entries", NULL, dir, sizeof(dir), err);

	if (rc)
		return rc;
	d = opendir(dir);
	if (!d)
		return gw_fail(err, GW_E_IO, "%s: %s", dir, strerror(errno));
	while ((de = readdir(d))) {
		enum bl_group g;
		int left;
		unsigned done;
		int r;

		if (is_dir(d, de))
			continue; /* systemd-boot skips directories too */
		r = bl_sdboot_name_parse(de->d_name, bl->entry_prefix, &g, &left, &done, err);
		if (r < 0) {
			rc = r;
			goto out;
		}
		if (r == 0)
			continue;
		if (st->e[g].present) {
			rc = gw_fail(err, GW_E_PARSE, "two boot entries for group %c: %s and %s",
				     bl_group_char(g), st->e[g].name, de->d_name);
			goto out;
		}
		st->e[g].present = true;
		snprintf(st->e[g].name, sizeof(st->e[g].name), "%s", de->d_name);
		st->e[g].left = left;
		st->e[g].done = done;
	}
	for (int g = 0; g < BL_NGROUPS; g++) {
		if (!st->e[g].present) {
			rc = gw_fail(err, GW_E_PARSE, "%s: no boot entry for group %c (%s%c.conf, "
				     "with or without a +LEFT-DONE counter)", dir,
				     bl_group_char((enum bl_group)g), bl->entry_prefix, g ? 'b' : 'a');
			goto out;
		}
	}
out:
	closedir(d);
	return rc;
}

static int sd_scan(struct bootloader *bl, struct sd_state *st, gw_error *err)
{
	char conf[PATH_MAX];
	uint8_t *text = NULL;
	size_t len = 0;
	int rc;

	memset(st, 0, sizeof(*st));
	rc = scan_entries(bl, st, err);
	if (!rc)
		rc = sd_path(bl, "loader/loader.conf", NULL, conf, sizeof(conf), err);
	if (rc)
		return rc;
	rc = gw_read_file(conf, LOADER_CONF_MAX, &text, &len, err);
	if (rc == GW_E_NOTFOUND) {
		text = (uint8_t *)strdup("");
		len = 0;
		rc = text ? 0 : GW_E_NOMEM;
	}
	if (!rc)
		rc = bl_loader_conf_parse((const char *)text, len, bl->entry_prefix, &st->def, err);
	if (rc) {
		free(text);
		return rc;
	}
	st->conf = (char *)text; /* transferred */
	st->conf_len = len;
	return 0;
}

static void sd_to_env(const struct sd_state *st, struct bl_env *env)
{
	for (int g = 0; g < BL_NGROUPS; g++) {
		env->ok[g] = st->e[g].left < 0;
		env->tries[g] = st->e[g].left > 0 ? (unsigned)st->e[g].left : 0;
	}
	switch (st->def.kind) {
	case BL_SDDEF_PRIMARY:
		env->primary = st->def.group;
		break;
	case BL_SDDEF_TRIAL:
		env->primary = bl_other(st->def.group);
		break;
	default:
		/* No default: systemd-boot boots the first entry in its order, and
		 * without sort keys that is b before a unless b is counted down. */
		env->primary = env->ok[BL_GROUP_B] ? BL_GROUP_B : BL_GROUP_A;
		break;
	}
}

/* The default line that says env: the trial of the other group while it has
 * tries, else the primary. */
static struct bl_sdboot_default env_default(const struct bl_env *env)
{
	struct bl_sdboot_default def = { BL_SDDEF_PRIMARY, env->primary };

	if (env->tries[bl_other(env->primary)] > 0)
		def = (struct bl_sdboot_default){ BL_SDDEF_TRIAL, bl_other(env->primary) };
	return def;
}

/* A default that is not the one env calls for (none yet, or a spent trial's,
 * which matches nothing) is rewritten by the next order, even an idempotent one. */
static int sdboot_load(struct bootloader *bl, struct bl_env *env, gw_error *err)
{
	struct sd_state st;
	struct bl_sdboot_default def;
	int rc = sd_scan(bl, &st, err);

	if (!rc) {
		sd_to_env(&st, env);
		def = env_default(env);
		bl->stale = def.kind != st.def.kind || def.group != st.def.group;
	}
	sd_state_fini(&st);
	return rc;
}

static int write_default(struct bootloader *bl, const struct sd_state *st,
			 const struct bl_sdboot_default *def, gw_error *err)
{
	char pattern[256], path[PATH_MAX];
	char *text = NULL;
	size_t len = 0;
	int rc;

	if (st->def.kind == def->kind && st->def.group == def->group)
		return 0;
	rc = bl_sdboot_pattern(bl->entry_prefix, def, pattern, sizeof(pattern));
	if (rc)
		return gw_fail(err, rc, "entry prefix too long");
	rc = sd_path(bl, "loader/loader.conf", NULL, path, sizeof(path), err);
	if (!rc)
		rc = bl_loader_conf_set_default(st->conf, st->conf_len, pattern, &text, &len);
	if (!rc)
		rc = gw_write_file_atomic(path, text, len, 0644, err);
	free(text);
	return rc;
}

/* The name env asks for; the entry keeps its name when its state is unchanged. */
static int target_name(const struct bootloader *bl, const struct sd_entry *e, enum bl_group g,
		       const struct bl_env *env, char *buf, size_t len)
{
	const char c = g == BL_GROUP_A ? 'a' : 'b';

	if (env->ok[g])
		return gw_snprintf(buf, len, "%s%c.conf", bl->entry_prefix, c);
	if (env->tries[g] == 0) {
		if (e->left == 0)
			return gw_snprintf(buf, len, "%s", e->name);
		return gw_snprintf(buf, len, "%s%c+0-%u.conf", bl->entry_prefix, c, e->done);
	}
	if (e->left == (int)env->tries[g])
		return gw_snprintf(buf, len, "%s", e->name);
	return gw_snprintf(buf, len, "%s%c+%u.conf", bl->entry_prefix, c, env->tries[g]);
}

static int rename_entry(struct bootloader *bl, const char *from, const char *to, gw_error *err)
{
	char a[PATH_MAX], b[PATH_MAX];
	int rc;

	if (!strcmp(from, to))
		return 0;
	rc = sd_path(bl, "loader/entries", from, a, sizeof(a), err);
	if (!rc)
		rc = sd_path(bl, "loader/entries", to, b, sizeof(b), err);
	if (!rc)
		rc = gw_rename_durable(a, b, err);
	return rc;
}

/* loader.conf first, then the renames, the group turning bad first: every
 * intermediate state boots the primary or the old group (doc/updates.md). */
static int sdboot_store(struct bootloader *bl, const struct bl_env *env, gw_error *err)
{
	struct sd_state st;
	const struct bl_sdboot_default def = env_default(env);
	char names[BL_NGROUPS][NAME_MAX + 1];
	enum bl_group order[BL_NGROUPS] = { BL_GROUP_A, BL_GROUP_B };
	int rc = sd_scan(bl, &st, err);

	if (rc)
		goto out;
	for (int g = 0; g < BL_NGROUPS && !rc; g++)
		rc = target_name(bl, &st.e[g], (enum bl_group)g, env, names[g], sizeof(names[g]));
	if (rc) {
		rc = gw_fail(err, rc, "entry name too long");
		goto out;
	}
	rc = write_default(bl, &st, &def, err);
	if (rc)
		goto out;
	if (!env->ok[BL_GROUP_B] && env->tries[BL_GROUP_B] == 0) {
		order[0] = BL_GROUP_B;
		order[1] = BL_GROUP_A;
	}
	for (int i = 0; i < BL_NGROUPS && !rc; i++)
		rc = rename_entry(bl, st.e[order[i]].name, names[order[i]], err);
out:
	sd_state_fini(&st);
	return rc;
}

/* systemd-boot compares entry ids in lower case. */
static void lower_copy(char *dst, const char *src)
{
	for (; *src; src++)
		*dst++ = (char)((*src >= 'A' && *src <= 'Z') ? *src | 0x20 : *src);
	*dst = '\0';
}

/* systemd-boot at power-on: entries with no tries left sort last, then by id
 * descending; the default pattern picks the first match, else the first entry;
 * a counted entry is renamed +LEFT-1-DONE+1 before it boots. */
static int sdboot_boot(struct bootloader *bl, enum bl_group *out, gw_error *err)
{
	struct sd_state st;
	enum bl_group sorted[BL_NGROUPS] = { BL_GROUP_B, BL_GROUP_A };
	enum bl_group pick;
	char pattern[256], next[NAME_MAX + 1];
	const struct sd_entry *e;
	int rc = sd_scan(bl, &st, err);

	if (rc)
		goto out;
	if (st.e[BL_GROUP_B].left == 0 && st.e[BL_GROUP_A].left != 0) {
		sorted[0] = BL_GROUP_A;
		sorted[1] = BL_GROUP_B;
	}
	pick = sorted[0];
	if (st.def.kind != BL_SDDEF_NONE) {
		rc = bl_sdboot_pattern(bl->entry_prefix, &st.def, pattern, sizeof(pattern));
		for (int i = BL_NGROUPS - 1; !rc && i >= 0; i--) {
			char id[NAME_MAX + 1];

			lower_copy(id, st.e[sorted[i]].name);
			if (!fnmatch(pattern, id, 0))
				pick = sorted[i];
		}
	}
	e = &st.e[pick];
	if (!rc && e->left >= 0) {
		rc = gw_snprintf(next, sizeof(next), "%s%c+%d-%u.conf", bl->entry_prefix,
				 pick == BL_GROUP_A ? 'a' : 'b', e->left > 0 ? e->left - 1 : 0,
				 e->done < BL_SDBOOT_MAX_DONE ? e->done + 1 : e->done);
		if (!rc)
			rc = rename_entry(bl, e->name, next, err);
	}
	if (!rc)
		*out = pick;
out:
	sd_state_fini(&st);
	return rc;
}

const struct bl_ops bl_sdboot_ops = {
	.load = sdboot_load,
	.store = sdboot_store,
	.booted = NULL,
	.boot = sdboot_boot,
};
