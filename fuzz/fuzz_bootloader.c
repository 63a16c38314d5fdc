// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the parsers of bootloader state: the first byte picks the
// parser (GRUB environment block with the A/B variables, systemd-boot entry name,
// loader.conf's default, kernel command line), the rest is the input.
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bl_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void grubenv(const uint8_t *in, size_t len)
{
	struct bl_grubenv env = { 0 }, back = { 0 };
	uint8_t out[BL_GRUBENV_SIZE];
	const char *vals[BL_NVARS];
	struct bl_env ab;
	gw_error err = { { 0 } };

	if (bl_grubenv_parse(in, len, &env, &err))
		return;
	/* What we parse we write, and read back the same variables in the same order
	 * (escapes of other characters than '\\' and newline become plain). */
	if (bl_grubenv_format(&env, out, &err) ||
	    bl_grubenv_parse(out, sizeof(out), &back, &err) || back.n != env.n)
		__builtin_trap();
	for (size_t i = 0; i < env.n; i++) {
		if (!env.kv[i].name != !back.kv[i].name ||
		    (env.kv[i].name && strcmp(env.kv[i].name, back.kv[i].name)) ||
		    strcmp(env.kv[i].value, back.kv[i].value))
			__builtin_trap();
	}
	for (int i = 0; i < BL_NVARS; i++)
		vals[i] = bl_grubenv_get(&env, bl_grub_vars[i]);
	if (!bl_env_from_values(bl_grub_vars, vals, &ab, &err)) {
		enum bl_group g;

		if (ab.tries[0] > BL_MAX_TRIES || ab.tries[1] > BL_MAX_TRIES)
			__builtin_trap();
		if (!bl_env_decide(&ab, &g, &err) && g != BL_GROUP_A && g != BL_GROUP_B)
			__builtin_trap();
	}
	bl_grubenv_fini(&back);
	bl_grubenv_fini(&env);
}

static void entry_name(const uint8_t *in, size_t len)
{
	char *name = strndup((const char *)in, len);
	enum bl_group g;
	int left;
	unsigned done;
	gw_error err = { { 0 } };

	if (!name)
		return;
	if (bl_sdboot_name_parse(name, "gatewarden-", &g, &left, &done, &err) == 1 &&
	    (left < -1 || left > BL_MAX_TRIES || done > BL_SDBOOT_MAX_DONE ||
	     (g != BL_GROUP_A && g != BL_GROUP_B)))
		__builtin_trap();
	free(name);
}

static void loader_conf(const uint8_t *in, size_t len)
{
	struct bl_sdboot_default d, back;
	char pattern[256], *out = NULL;
	size_t out_len = 0;
	gw_error err = { { 0 } };

	if (bl_loader_conf_parse((const char *)in, len, "gatewarden-", &d, &err) ||
	    d.kind == BL_SDDEF_NONE)
		return;
	/* Setting the default it has reads back as that default. */
	if (bl_sdboot_pattern("gatewarden-", &d, pattern, sizeof(pattern)) ||
	    bl_loader_conf_set_default((const char *)in, len, pattern, &out, &out_len) ||
	    bl_loader_conf_parse(out, out_len, "gatewarden-", &back, &err) ||
	    back.kind != d.kind || back.group != d.group)
		__builtin_trap();
	free(out);
}

static void cmdline(const uint8_t *in, size_t len)
{
	enum bl_group g;
	gw_error err = { { 0 } };

	if (!bl_cmdline_parse((const char *)in, len, &g, &err) && g != BL_GROUP_A &&
	    g != BL_GROUP_B)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	switch (data[0] % 4) {
	case 0:
		grubenv(data + 1, size - 1);
		break;
	case 1:
		entry_name(data + 1, size - 1);
		break;
	case 2:
		loader_conf(data + 1, size - 1);
		break;
	default:
		cmdline(data + 1, size - 1);
		break;
	}
	return 0;
}
