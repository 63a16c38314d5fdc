// SPDX-License-Identifier: Apache-2.0
// Unit tests for the bootloader backends on real files: every backend through
// install -> trial -> commit, trial -> rollback and spent tries with its simulated
// boot side, refusals, and the states a power cut can leave behind.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <libuboot.h>

#include "bl_internal.h"
#include "util.h"

struct fx {
	enum bl_kind kind;
	char dir[256];
	char path[320];
	char cmdline[320];
	struct bl_config cfg;
	struct bootloader *bl;
};

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void write_zeros(const char *path, size_t len)
{
	void *z = calloc(1, len);

	assert_non_null(z);
	write_file(path, z, len);
	free(z);
}

static void fmt(char *buf, size_t len, const char *f, ...) __attribute__((format(printf, 3, 4)));
static void fmt(char *buf, size_t len, const char *f, ...)
{
	va_list ap;
	int n;

	va_start(ap, f);
	n = vsnprintf(buf, len, f, ap);
	va_end(ap);
	assert_true(n > 0 && (size_t)n < len);
}

/* An sdboot entry file with the options line the snippet documents. */
static void sd_entry(const struct fx *f, const char *name, char g)
{
	char p[512], body[128];

	fmt(p, sizeof(p), "%s/loader/entries/%s", f->dir, name);
	fmt(body, sizeof(body), "title Gateway %c\nlinux /%c/vmlinuz\noptions gatewarden.slot=%c\n",
	    g, g, g);
	write_file(p, body, strlen(body));
}

/* The factory state of each backend: A primary and good, B not bootable. */
static void fx_init(struct fx *f, enum bl_kind kind)
{
	gw_error err = { { 0 } };
	char p[512];
	int rc;

	memset(f, 0, sizeof(*f));
	f->kind = kind;
	fmt(f->dir, sizeof(f->dir), "/tmp/gw-bltest.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	fmt(f->cmdline, sizeof(f->cmdline), "%s/cmdline", f->dir);
	switch (kind) {
	case BL_FILE:
		fmt(f->path, sizeof(f->path), "%s/bootsim.state", f->dir);
		break;
	case BL_GRUB:
		fmt(f->path, sizeof(f->path), "%s/grubenv", f->dir);
		break;
	case BL_UBOOT:
		fmt(f->path, sizeof(f->path), "%s/fw_env.config", f->dir);
		fmt(p, sizeof(p), "%s/env1", f->dir);
		write_zeros(p, 0x4000);
		fmt(p, sizeof(p), "%s/env2", f->dir);
		write_zeros(p, 0x4000);
		{
			char cfg[1024];

			fmt(cfg, sizeof(cfg), "# two copies\n%s/env1 0x0 0x4000\n%s/env2 0x0 0x4000\n",
			    f->dir, f->dir);
			write_file(f->path, cfg, strlen(cfg));
		}
		break;
	case BL_SYSTEMD_BOOT:
		fmt(f->path, sizeof(f->path), "%s", f->dir);
		fmt(p, sizeof(p), "%s/loader/entries", f->dir);
		assert_int_equal(gw_mkdir_p(p, 0755, &err), 0);
		sd_entry(f, "gatewarden-a.conf", 'A');
		sd_entry(f, "gatewarden-b+0-0.conf", 'B');
		break;
	}
	f->cfg.kind = kind;
	f->cfg.path = f->path;
	f->cfg.cmdline_path = f->cmdline;
	rc = bl_open(&f->cfg, &f->bl, &err);
	if (rc)
		fail_msg("bl_open: %s", gw_error_msg(&err, rc));
}

static void fx_fini(struct fx *f)
{
	char cmd[512];

	bl_close(f->bl);
	fmt(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
}

static void ok(int rc, const gw_error *err, const char *what)
{
	if (rc)
		fail_msg("%s: %s", what, gw_error_msg(err, rc));
}

static enum bl_group boot(struct fx *f)
{
	gw_error err = { { 0 } };
	enum bl_group g = BL_GROUP_A, b = BL_GROUP_A;

	ok(bl_simulate_boot(f->bl, &g, &err), &err, "boot");
	ok(bl_booted(f->bl, &b, &err), &err, "booted");
	assert_int_equal(b, g);
	return g;
}

/* primary, then per group 'g' good, 'x' bad or a digit: on trial, tries left. */
static void expect(struct fx *f, char primary, char a, char b)
{
	struct bl_status st;
	gw_error err = { { 0 } };
	const char want[2] = { a, b };

	ok(bl_get_status(f->bl, &st, &err), &err, "status");
	assert_int_equal(bl_group_char(st.primary), primary);
	for (int g = 0; g < BL_NGROUPS; g++) {
		if (want[g] == 'g') {
			assert_true(st.bootable[g] && !st.trial[g]);
		} else if (want[g] == 'x') {
			assert_true(!st.bootable[g] && !st.trial[g]);
			assert_int_equal(st.tries_left[g], 0);
		} else {
			assert_true(!st.bootable[g] && st.trial[g]);
			assert_int_equal(st.tries_left[g], (unsigned)(want[g] - '0'));
		}
	}
}

static const enum bl_kind kinds[] = { BL_FILE, BL_GRUB, BL_UBOOT, BL_SYSTEMD_BOOT };

/* install -> trial -> commit, then the next update into A the same way. */
static void test_trial_commit(void **state)
{
	(void)state;
	for (size_t k = 0; k < GW_ARRAY_SIZE(kinds); k++) {
		struct fx f;
		gw_error err = { { 0 } };

		fx_init(&f, kinds[k]);
		expect(&f, 'A', 'g', 'x');
		assert_int_equal(boot(&f), BL_GROUP_A);
		ok(bl_mark_good(f.bl, BL_GROUP_A, &err), &err, "good A");
		ok(bl_mark_bad(f.bl, BL_GROUP_B, &err), &err, "bad B");
		ok(bl_set_trial(f.bl, BL_GROUP_B, 2, &err), &err, "trial B");
		expect(&f, 'A', 'g', '2');
		assert_int_equal(boot(&f), BL_GROUP_B);
		expect(&f, 'A', 'g', '1');
		ok(bl_mark_good(f.bl, BL_GROUP_B, &err), &err, "good B");
		expect(&f, 'B', 'g', 'g');
		assert_int_equal(boot(&f), BL_GROUP_B);
		assert_int_equal(boot(&f), BL_GROUP_B);
		/* The next update goes into A. */
		ok(bl_mark_bad(f.bl, BL_GROUP_A, &err), &err, "bad A");
		expect(&f, 'B', 'x', 'g');
		ok(bl_set_trial(f.bl, BL_GROUP_A, 1, &err), &err, "trial A");
		expect(&f, 'B', '1', 'g');
		assert_int_equal(boot(&f), BL_GROUP_A);
		ok(bl_mark_good(f.bl, BL_GROUP_A, &err), &err, "good A");
		ok(bl_mark_bad(f.bl, BL_GROUP_B, &err), &err, "bad B (below the counter)");
		expect(&f, 'A', 'g', 'x');
		assert_int_equal(boot(&f), BL_GROUP_A);
		fx_fini(&f);
	}
}

/* trial -> failed health check -> mark bad -> the next boot is the primary. */
static void test_trial_rollback(void **state)
{
	(void)state;
	for (size_t k = 0; k < GW_ARRAY_SIZE(kinds); k++) {
		struct fx f;
		gw_error err = { { 0 } };

		fx_init(&f, kinds[k]);
		ok(bl_set_trial(f.bl, BL_GROUP_B, 3, &err), &err, "trial B");
		assert_int_equal(boot(&f), BL_GROUP_B);
		ok(bl_mark_bad(f.bl, BL_GROUP_B, &err), &err, "bad B");
		expect(&f, 'A', 'g', 'x');
		assert_int_equal(boot(&f), BL_GROUP_A);
		assert_int_equal(boot(&f), BL_GROUP_A);
		fx_fini(&f);
	}
}

/* Nobody marks the trial: the bootloader falls back by itself, for good. */
static void test_tries_spent(void **state)
{
	(void)state;
	for (size_t k = 0; k < GW_ARRAY_SIZE(kinds); k++) {
		struct fx f;
		gw_error err = { { 0 } };

		fx_init(&f, kinds[k]);
		ok(bl_set_trial(f.bl, BL_GROUP_B, 2, &err), &err, "trial B");
		assert_int_equal(boot(&f), BL_GROUP_B);
		assert_int_equal(boot(&f), BL_GROUP_B);
		expect(&f, 'A', 'g', 'x');
		assert_int_equal(boot(&f), BL_GROUP_A);
		assert_int_equal(boot(&f), BL_GROUP_A);
		expect(&f, 'A', 'g', 'x');
		/* A group that was good before its trial is not good after spending it:
		 * its slot was rewritten, so it must not become anyone's fallback. */
		ok(bl_mark_good(f.bl, BL_GROUP_B, &err), &err, "good B");
		ok(bl_mark_good(f.bl, BL_GROUP_A, &err), &err, "good A");
		ok(bl_set_trial(f.bl, BL_GROUP_B, 1, &err), &err, "trial B over a good B");
		assert_int_equal(boot(&f), BL_GROUP_B);
		assert_int_equal(boot(&f), BL_GROUP_A);
		expect(&f, 'A', 'g', 'x');
		ok(bl_mark_bad(f.bl, BL_GROUP_A, &err), &err, "bad A");
		if (kinds[k] != BL_SYSTEMD_BOOT) {
			enum bl_group g;

			assert_int_equal(bl_simulate_boot(f.bl, &g, &err), GW_E_NOTFOUND);
		}
		fx_fini(&f);
	}
}

/* Refusals: a trial of the primary, tries out of range, groups out of range; the
 * state is unchanged after each. */
static void test_refusals(void **state)
{
	(void)state;
	for (size_t k = 0; k < GW_ARRAY_SIZE(kinds); k++) {
		struct fx f;
		gw_error err = { { 0 } };

		fx_init(&f, kinds[k]);
		assert_int_equal(bl_set_trial(f.bl, BL_GROUP_A, 1, &err), GW_E_STATE);
		assert_non_null(strstr(err.msg, "primary"));
		assert_int_equal(bl_set_trial(f.bl, BL_GROUP_B, 0, &err), GW_E_INVAL);
		assert_int_equal(bl_set_trial(f.bl, BL_GROUP_B, BL_MAX_TRIES + 1, &err), GW_E_INVAL);
		assert_int_equal(bl_mark_good(f.bl, (enum bl_group)2, &err), GW_E_INVAL);
		assert_int_equal(bl_mark_bad(f.bl, (enum bl_group)-1, &err), GW_E_INVAL);
		expect(&f, 'A', 'g', 'x');
		ok(bl_set_trial(f.bl, BL_GROUP_B, BL_MAX_TRIES, &err), &err, "trial B 9");
		expect(&f, 'A', 'g', '9');
		fx_fini(&f);
	}
}

/* Marking the primary bad hands the primary to the other group; both bad: the
 * variable backends boot nothing (systemd-boot would still boot a bad entry). */
static void test_mark_bad_primary(void **state)
{
	(void)state;
	for (size_t k = 0; k < GW_ARRAY_SIZE(kinds); k++) {
		struct fx f;
		gw_error err = { { 0 } };
		enum bl_group g;

		fx_init(&f, kinds[k]);
		ok(bl_mark_good(f.bl, BL_GROUP_B, &err), &err, "good B");
		ok(bl_mark_good(f.bl, BL_GROUP_A, &err), &err, "good A");
		expect(&f, 'A', 'g', 'g');
		ok(bl_mark_bad(f.bl, BL_GROUP_A, &err), &err, "bad A");
		expect(&f, 'B', 'x', 'g');
		assert_int_equal(boot(&f), BL_GROUP_B);
		ok(bl_mark_bad(f.bl, BL_GROUP_B, &err), &err, "bad B");
		expect(&f, 'A', 'x', 'x');
		if (kinds[k] != BL_SYSTEMD_BOOT) {
			assert_int_equal(bl_simulate_boot(f.bl, &g, &err), GW_E_NOTFOUND);
			assert_non_null(strstr(err.msg, "no slot group may boot"));
		}
		fx_fini(&f);
	}
}

/* mark_good at every healthy boot must not write: the file keeps its inode. */
static void test_mark_good_idempotent(void **state)
{
	(void)state;
	for (size_t k = 0; k < GW_ARRAY_SIZE(kinds); k++) {
		struct fx f;
		gw_error err = { { 0 } };
		struct stat a, b;
		char p[512];

		if (kinds[k] == BL_UBOOT)
			continue; /* libubootenv writes in place: compared below by content */
		fx_init(&f, kinds[k]);
		ok(bl_mark_good(f.bl, BL_GROUP_A, &err), &err, "good A");
		if (kinds[k] == BL_SYSTEMD_BOOT)
			fmt(p, sizeof(p), "%s/loader/entries/gatewarden-a.conf", f.dir);
		else
			fmt(p, sizeof(p), "%s", f.path);
		if (kinds[k] == BL_FILE || kinds[k] == BL_GRUB) {
			/* the factory state was never written: write it once */
			ok(bl_mark_bad(f.bl, BL_GROUP_B, &err), &err, "bad B");
			ok(bl_set_trial(f.bl, BL_GROUP_B, 1, &err), &err, "trial B");
			ok(bl_mark_bad(f.bl, BL_GROUP_B, &err), &err, "bad B");
		}
		assert_int_equal(stat(p, &a), 0);
		ok(bl_mark_good(f.bl, BL_GROUP_A, &err), &err, "good A again");
		assert_int_equal(stat(p, &b), 0);
		assert_int_equal(a.st_ino, b.st_ino);
		assert_int_equal(a.st_mtim.tv_nsec, b.st_mtim.tv_nsec);
		fx_fini(&f);
	}
}

static char *dirname_of(char *p)
{
	*strrchr(p, '/') = '\0';
	return p;
}

static void read_all(const char *path, uint8_t **buf, size_t *len)
{
	gw_error err = { { 0 } };

	ok(gw_read_file(path, 1 << 20, buf, len, &err), &err, path);
}

/* A power cut between writing the temporary file and the rename leaves the
 * temporary file and the old state: the old state is what counts, the leftover is
 * ignored, and the next write works. */
static void test_stale_temp_ignored(void **state)
{
	static const enum bl_kind vk[] = { BL_FILE, BL_GRUB };

	(void)state;
	for (size_t k = 0; k < GW_ARRAY_SIZE(vk); k++) {
		struct fx f;
		gw_error err = { { 0 } };
		char tmp[512];

		fx_init(&f, vk[k]);
		ok(bl_set_trial(f.bl, BL_GROUP_B, 2, &err), &err, "trial B");
		fmt(tmp, sizeof(tmp), "%s" GW_TMP_INFIX "0123456789abcdef", f.path);
		write_file(tmp, "# GRUB Environment Block\nORDER=B A\n", 35); /* torn */
		expect(&f, 'A', 'g', '2');
		assert_int_equal(boot(&f), BL_GROUP_B);
		ok(bl_mark_good(f.bl, BL_GROUP_B, &err), &err, "good B");
		expect(&f, 'B', 'g', 'g');
		assert_int_equal(access(tmp, F_OK), 0);
		fx_fini(&f);
	}
}

/* A block we cannot read is reported and never overwritten. */
static void test_unreadable_not_overwritten(void **state)
{
	static const enum bl_kind vk[] = { BL_FILE, BL_GRUB };

	(void)state;
	for (size_t k = 0; k < GW_ARRAY_SIZE(vk); k++) {
		struct fx f;
		gw_error err = { { 0 } };
		uint8_t junk[BL_GRUBENV_SIZE], *back = NULL;
		size_t len = 0;
		struct bl_status st;
		enum bl_group g;

		fx_init(&f, vk[k]);
		memset(junk, 'A', sizeof(junk));
		write_file(f.path, junk, sizeof(junk));
		assert_int_equal(bl_get_status(f.bl, &st, &err), GW_E_PARSE);
		assert_non_null(strstr(err.msg, f.path));
		assert_int_equal(bl_mark_good(f.bl, BL_GROUP_A, &err), GW_E_PARSE);
		assert_int_equal(bl_mark_bad(f.bl, BL_GROUP_B, &err), GW_E_PARSE);
		assert_int_equal(bl_simulate_boot(f.bl, &g, &err), GW_E_PARSE);
		read_all(f.path, &back, &len);
		assert_int_equal(len, sizeof(junk));
		assert_memory_equal(back, junk, len);
		free(back);
		fx_fini(&f);
	}
}

/* The simulated bootloader's own record of the booted group. */
static void test_file_booted(void **state)
{
	struct fx f;
	gw_error err = { { 0 } };
	enum bl_group g;
	struct bl_grubenv genv = { 0 };
	uint8_t block[BL_GRUBENV_SIZE];

	(void)state;
	fx_init(&f, BL_FILE);
	assert_int_equal(bl_booted(f.bl, &g, &err), GW_E_NOTFOUND);
	assert_int_equal(bl_grubenv_set(&genv, "BOOTED", "C"), 0);
	assert_int_equal(bl_grubenv_format(&genv, block, &err), 0);
	write_file(f.path, block, sizeof(block));
	assert_int_equal(bl_booted(f.bl, &g, &err), GW_E_PARSE);
	assert_non_null(strstr(err.msg, "BOOTED='C'"));
	bl_grubenv_fini(&genv);
	fx_fini(&f);
}

/* Backends that read the kernel command line: missing file, missing or doubled
 * gatewarden.slot=. */
static void test_booted_cmdline(void **state)
{
	struct fx f;
	gw_error err = { { 0 } };
	enum bl_group g;

	(void)state;
	fx_init(&f, BL_GRUB);
	assert_int_equal(bl_booted(f.bl, &g, &err), GW_E_NOTFOUND);
	write_file(f.cmdline, "root=/dev/sda2 ro\n", 18);
	assert_int_equal(bl_booted(f.bl, &g, &err), GW_E_NOTFOUND);
	write_file(f.cmdline, "gatewarden.slot=B gatewarden.slot=A\n", 36);
	assert_int_equal(bl_booted(f.bl, &g, &err), GW_E_PARSE);
	assert_non_null(strstr(err.msg, f.cmdline));
	write_file(f.cmdline, "quiet gatewarden.slot=B\n", 24);
	ok(bl_booted(f.bl, &g, &err), &err, "booted");
	assert_int_equal(g, BL_GROUP_B);
	fx_fini(&f);
}

static void uboot_copies(const struct fx *f, uint8_t *c[2])
{
	char p[512];
	size_t len;

	for (int i = 0; i < 2; i++) {
		fmt(p, sizeof(p), "%s/env%d", f->dir, i + 1);
		read_all(p, &c[i], &len);
		assert_int_equal(len, 0x4000);
	}
}

/* A power cut in the middle of libubootenv's write leaves the copy it was writing
 * with a bad CRC: the other copy, the old state, is read. */
static void test_uboot_torn_write(void **state)
{
	struct fx f;
	gw_error err = { { 0 } };
	uint8_t *before[2], *after[2];
	char p[512];
	int changed = -1;

	(void)state;
	fx_init(&f, BL_UBOOT);
	ok(bl_set_trial(f.bl, BL_GROUP_B, 2, &err), &err, "trial B");
	uboot_copies(&f, before);
	ok(bl_mark_good(f.bl, BL_GROUP_B, &err), &err, "good B");
	uboot_copies(&f, after);
	for (int i = 0; i < 2; i++) {
		if (memcmp(before[i], after[i], 0x4000)) {
			assert_int_equal(changed, -1);
			changed = i;
		}
	}
	assert_true(changed >= 0); /* exactly one copy was written */
	expect(&f, 'B', 'g', 'g');
	after[changed][40] ^= 0x20; /* torn: the data no longer matches its CRC */
	fmt(p, sizeof(p), "%s/env%d", f.dir, changed + 1);
	write_file(p, after[changed], 0x4000);
	expect(&f, 'A', 'g', '2');
	ok(bl_mark_good(f.bl, BL_GROUP_B, &err), &err, "good B again");
	expect(&f, 'B', 'g', 'g');
	for (int i = 0; i < 2; i++) {
		free(before[i]);
		free(after[i]);
	}
	fx_fini(&f);
}

static void test_uboot_refusals(void **state)
{
	struct fx f;
	gw_error err = { { 0 } };
	struct bl_status st;
	struct uboot_ctx *ctx = NULL;
	char cfg[1024];

	(void)state;
	fx_init(&f, BL_UBOOT);
	/* A value the snippet does not write, named. */
	assert_int_equal(libuboot_initialize(&ctx, NULL), 0);
	assert_int_equal(libuboot_read_config(ctx, f.path), 0);
	(void)libuboot_open(ctx);
	assert_int_equal(libuboot_set_env(ctx, "BOOT_A_OK", "yes"), 0);
	assert_int_equal(libuboot_env_store(ctx), 0);
	libuboot_close(ctx);
	libuboot_exit(ctx);
	assert_int_equal(bl_get_status(f.bl, &st, &err), GW_E_PARSE);
	assert_non_null(strstr(err.msg, "BOOT_A_OK='yes'"));
	/* One copy: refused before anything is read or written. */
	fmt(cfg, sizeof(cfg), "%s/env1 0x0 0x4000\n", f.dir);
	write_file(f.path, cfg, strlen(cfg));
	assert_int_equal(bl_mark_good(f.bl, BL_GROUP_A, &err), GW_E_CONFIG);
	assert_non_null(strstr(err.msg, "redundant"));
	/* A device that does not exist. */
	fmt(cfg, sizeof(cfg), "%s/env1 0x0 0x4000\n%s/nope 0x0 0x4000\n", f.dir, f.dir);
	write_file(f.path, cfg, strlen(cfg));
	assert_int_not_equal(bl_get_status(f.bl, &st, &err), 0);
	fx_fini(&f);
}

static void sd_conf(const struct fx *f, const char *text)
{
	char p[512];

	fmt(p, sizeof(p), "%s/loader/loader.conf", f->dir);
	write_file(p, text, strlen(text));
}

static void sd_rename(const struct fx *f, const char *from, const char *to)
{
	char a[512], b[512];

	fmt(a, sizeof(a), "%s/loader/entries/%s", f->dir, from);
	fmt(b, sizeof(b), "%s/loader/entries/%s", f->dir, to);
	assert_int_equal(rename(a, b), 0);
}

/* The states a power cut leaves between loader.conf and the rename (loader.conf is
 * written first): each boots the primary or the group being committed, and the
 * order run again completes. */
static void test_sdboot_cut_states(void **state)
{
	struct fx f;
	gw_error err = { { 0 } };

	(void)state;
	/* set_trial(B): loader.conf says trial B, b is still +0: A boots. */
	fx_init(&f, BL_SYSTEMD_BOOT);
	sd_conf(&f, "timeout 0\ndefault gatewarden-b+[1-9]*\n");
	expect(&f, 'A', 'g', 'x');
	assert_int_equal(boot(&f), BL_GROUP_A);
	ok(bl_set_trial(f.bl, BL_GROUP_B, 2, &err), &err, "trial B");
	expect(&f, 'A', 'g', '2');
	assert_int_equal(boot(&f), BL_GROUP_B);
	/* mark_good(B) on the trial boot: loader.conf says B, b still counted: B. */
	sd_conf(&f, "timeout 0\ndefault gatewarden-b[.+]*\n");
	expect(&f, 'B', 'g', '1');
	assert_int_equal(boot(&f), BL_GROUP_B);
	ok(bl_mark_good(f.bl, BL_GROUP_B, &err), &err, "good B");
	expect(&f, 'B', 'g', 'g');
	fx_fini(&f);
	/* mark_bad(B) after a failed check: loader.conf says A, b still counted: A. */
	fx_init(&f, BL_SYSTEMD_BOOT);
	ok(bl_set_trial(f.bl, BL_GROUP_B, 3, &err), &err, "trial B");
	assert_int_equal(boot(&f), BL_GROUP_B);
	sd_conf(&f, "timeout 0\ndefault gatewarden-a[.+]*\n");
	assert_int_equal(boot(&f), BL_GROUP_A);
	ok(bl_mark_bad(f.bl, BL_GROUP_B, &err), &err, "bad B");
	expect(&f, 'A', 'g', 'x');
	/* A leftover temporary loader.conf is ignored. */
	sd_conf(&f, "default gatewarden-a[.+]*\n");
	{
		char p[512];

		fmt(p, sizeof(p), "%s/loader/loader.conf" GW_TMP_INFIX "00112233", f.dir);
		write_file(p, "default gatewarden-b", 20);
	}
	expect(&f, 'A', 'g', 'x');
	assert_int_equal(boot(&f), BL_GROUP_A);
	fx_fini(&f);
}

/* A rename that fails after loader.conf was written (the target name is taken
 * by a directory, which systemd-boot and the scan skip) leaves exactly the state
 * a power cut there would: it boots the primary or the group being committed. */
static void block_name(const struct fx *f, const char *name)
{
	char p[512], d[512];

	fmt(p, sizeof(p), "%s/loader/entries/%s/x", f->dir, name);
	fmt(d, sizeof(d), "%s", p);
	assert_int_equal(mkdir(dirname_of(d), 0755), 0);
	write_file(p, "x", 1);
}

static void unblock_name(const struct fx *f, const char *name)
{
	char p[512];

	fmt(p, sizeof(p), "%s/loader/entries/%s/x", f->dir, name);
	assert_int_equal(unlink(p), 0);
	assert_int_equal(rmdir(dirname_of(p)), 0);
}

static void test_sdboot_failed_rename(void **state)
{
	struct fx f;
	gw_error err = { { 0 } };

	(void)state;
	fx_init(&f, BL_SYSTEMD_BOOT);
	block_name(&f, "gatewarden-b+2.conf");
	assert_int_equal(bl_set_trial(f.bl, BL_GROUP_B, 2, &err), GW_E_IO);
	expect(&f, 'A', 'g', 'x');
	assert_int_equal(boot(&f), BL_GROUP_A);
	unblock_name(&f, "gatewarden-b+2.conf");
	ok(bl_set_trial(f.bl, BL_GROUP_B, 2, &err), &err, "trial B");
	assert_int_equal(boot(&f), BL_GROUP_B);
	block_name(&f, "gatewarden-b.conf");
	assert_int_equal(bl_mark_good(f.bl, BL_GROUP_B, &err), GW_E_IO);
	assert_int_equal(boot(&f), BL_GROUP_B); /* the group being committed */
	unblock_name(&f, "gatewarden-b.conf");
	ok(bl_mark_good(f.bl, BL_GROUP_B, &err), &err, "good B");
	expect(&f, 'B', 'g', 'g');
	/* the next update into A, rolled back */
	ok(bl_mark_bad(f.bl, BL_GROUP_A, &err), &err, "bad A");
	ok(bl_set_trial(f.bl, BL_GROUP_A, 3, &err), &err, "trial A");
	assert_int_equal(boot(&f), BL_GROUP_A);
	block_name(&f, "gatewarden-a+0-1.conf");
	assert_int_equal(bl_mark_bad(f.bl, BL_GROUP_A, &err), GW_E_IO);
	assert_int_equal(boot(&f), BL_GROUP_B); /* the primary */
	fx_fini(&f);
}

static void test_sdboot_bad_entries(void **state)
{
	struct fx f;
	gw_error err = { { 0 } };
	struct bl_status st;

	(void)state;
	fx_init(&f, BL_SYSTEMD_BOOT);
	/* Other entries, hidden and temporary files are not ours. */
	sd_entry(&f, "debian-6.1.conf", 'D');
	sd_entry(&f, "gatewarden-ab.conf", 'X');
	sd_entry(&f, ".gatewarden-a+3.conf", 'X');
	sd_entry(&f, "gatewarden-b+3.conf.tmp", 'X');
	expect(&f, 'A', 'g', 'x');
	/* Two entries for one group. */
	sd_entry(&f, "gatewarden-a+2.conf", 'A');
	assert_int_equal(bl_get_status(f.bl, &st, &err), GW_E_PARSE);
	assert_non_null(strstr(err.msg, "two boot entries for group A"));
	sd_rename(&f, "gatewarden-a+2.conf", "gatewarden-a+x.conf");
	assert_int_equal(bl_get_status(f.bl, &st, &err), GW_E_PARSE);
	assert_non_null(strstr(err.msg, "gatewarden-a+x.conf"));
	sd_rename(&f, "gatewarden-a+x.conf", "gatewarden-a+12.conf");
	assert_int_equal(bl_mark_good(f.bl, BL_GROUP_A, &err), GW_E_PARSE);
	sd_rename(&f, "gatewarden-a+12.conf", ".gatewarden-a+12.conf");
	/* No entry for B. */
	sd_rename(&f, "gatewarden-b+0-0.conf", "gatewarden-c.conf");
	assert_int_equal(bl_get_status(f.bl, &st, &err), GW_E_PARSE);
	assert_non_null(strstr(err.msg, "no boot entry for group B"));
	sd_rename(&f, "gatewarden-c.conf", "gatewarden-b.conf");
	/* No default: systemd-boot's order, b first. */
	expect(&f, 'B', 'g', 'g');
	assert_int_equal(boot(&f), BL_GROUP_B);
	/* A default we did not write. */
	sd_conf(&f, "default debian-*\n");
	assert_int_equal(bl_get_status(f.bl, &st, &err), GW_E_PARSE);
	assert_non_null(strstr(err.msg, "debian-*"));
	fx_fini(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_trial_commit),
		cmocka_unit_test(test_trial_rollback),
		cmocka_unit_test(test_tries_spent),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_mark_bad_primary),
		cmocka_unit_test(test_mark_good_idempotent),
		cmocka_unit_test(test_stale_temp_ignored),
		cmocka_unit_test(test_unreadable_not_overwritten),
		cmocka_unit_test(test_file_booted),
		cmocka_unit_test(test_booted_cmdline),
		cmocka_unit_test(test_uboot_torn_write),
		cmocka_unit_test(test_uboot_refusals),
		cmocka_unit_test(test_sdboot_cut_states),
		cmocka_unit_test(test_sdboot_failed_rename),
		cmocka_unit_test(test_sdboot_bad_entries),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
