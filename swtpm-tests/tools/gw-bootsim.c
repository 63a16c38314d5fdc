// SPDX-License-Identifier: Apache-2.0
// Test and demo tool: drives a bootloader backend (agent/bootloader.h) the way the
// agent does, and "reboots" it: the bootloader's own power-on decision.
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "bootloader.h"
#include "util.h"

/* Exit codes of this tool. */
enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2, EXIT_PARSE = 3, EXIT_STATE = 4,
       EXIT_NONE = 5 };

static void usage(FILE *f)
{
	fprintf(f,
		"usage: gw-bootsim --kind KIND --path PATH [--cmdline FILE] [--prefix P] [--json]\n"
		"                  COMMAND [ARGS]\n\n"
		"KIND: file, grub, uboot or systemd-boot; PATH as [update] bootloader_path (the\n"
		"state file, the grubenv file, the fw_env.config, the ESP root). --cmdline is\n"
		"where `booted` reads gatewarden.slot= and `boot` writes it; --prefix is the\n"
		"systemd-boot entry prefix (default gatewarden-).\n\n"
		"Commands:\n"
		"  status          primary=A A=good|bad|trial:N B=... (--json: an object)\n"
		"  booted          the group the command line (file: the state) says booted\n"
		"  trial G N       bl_set_trial: G on trial for N boots (1..%d)\n"
		"  good G          bl_mark_good\n"
		"  bad G           bl_mark_bad\n"
		"  boot            power-on: the bootloader's decision (bl_simulate_boot), prints\n"
		"                  the group it booted\n\n"
		"Exit: 0 ok, 1 other failure, 2 usage, 3 state unreadable (GW_E_PARSE),\n"
		"4 not allowed now (GW_E_STATE), 5 no group booted or may boot (GW_E_NOTFOUND).\n",
		BL_MAX_TRIES);
}

static int exit_for(int rc)
{
	switch (rc) {
	case 0:
		return EXIT_OK;
	case GW_E_PARSE:
		return EXIT_PARSE;
	case GW_E_STATE:
		return EXIT_STATE;
	case GW_E_NOTFOUND:
		return EXIT_NONE;
	case GW_E_INVAL:
		return EXIT_USAGE;
	default:
		return EXIT_FAIL;
	}
}

static int parse_group(const char *s, enum bl_group *g)
{
	if (!strcmp(s, "A") || !strcmp(s, "a"))
		*g = BL_GROUP_A;
	else if (!strcmp(s, "B") || !strcmp(s, "b"))
		*g = BL_GROUP_B;
	else
		return GW_E_INVAL;
	return 0;
}

static void print_status(const struct bl_status *st, bool json)
{
	if (json) {
		json_object *o = json_object_new_object(), *groups = json_object_new_object();

		json_object_object_add(o, "primary",
				       json_object_new_string(st->primary == BL_GROUP_A ? "A" : "B"));
		for (int g = 0; g < BL_NGROUPS; g++) {
			json_object *x = json_object_new_object();

			json_object_object_add(x, "bootable", json_object_new_boolean(st->bootable[g]));
			json_object_object_add(x, "trial", json_object_new_boolean(st->trial[g]));
			json_object_object_add(x, "tries_left",
					       json_object_new_int((int)st->tries_left[g]));
			json_object_object_add(groups, g ? "B" : "A", x);
		}
		json_object_object_add(o, "groups", groups);
		printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
		return;
	}
	printf("primary=%c", bl_group_char(st->primary));
	for (int g = 0; g < BL_NGROUPS; g++) {
		printf(" %c=", bl_group_char((enum bl_group)g));
		if (st->trial[g])
			printf("trial:%u", st->tries_left[g]);
		else
			printf("%s", st->bootable[g] ? "good" : "bad");
	}
	printf("\n");
}

static int run(struct bootloader *bl, int argc, char **argv, bool json, gw_error *err)
{
	const char *cmd = argv[0];
	struct bl_status st;
	enum bl_group g;
	uint64_t n = 0;

	if (!strcmp(cmd, "status") && argc == 1) {
		int rc = bl_get_status(bl, &st, err);

		if (!rc)
			print_status(&st, json);
		return rc;
	}
	if ((!strcmp(cmd, "booted") || !strcmp(cmd, "boot")) && argc == 1) {
		int rc = cmd[4] ? bl_booted(bl, &g, err) : bl_simulate_boot(bl, &g, err);

		if (!rc)
			printf("%c\n", bl_group_char(g));
		return rc;
	}
	if (argc < 2 || parse_group(argv[1], &g))
		return gw_fail(err, GW_E_INVAL, "%s: give a group, A or B", cmd);
	if (!strcmp(cmd, "trial") && argc == 3) {
		if (gw_parse_u64(argv[2], BL_MAX_TRIES, &n))
			return gw_fail(err, GW_E_INVAL, "trial: tries '%s': use 1..%d", argv[2],
				       BL_MAX_TRIES);
		return bl_set_trial(bl, g, (unsigned)n, err);
	}
	if (!strcmp(cmd, "good") && argc == 2)
		return bl_mark_good(bl, g, err);
	if (!strcmp(cmd, "bad") && argc == 2)
		return bl_mark_bad(bl, g, err);
	return gw_fail(err, GW_E_INVAL, "unknown command or wrong arguments: %s", cmd);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kind", required_argument, NULL, 'k' },
		{ "path", required_argument, NULL, 'p' },
		{ "cmdline", required_argument, NULL, 'c' },
		{ "prefix", required_argument, NULL, 'x' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct bl_config cfg = { .kind = BL_FILE };
	struct bootloader *bl = NULL;
	gw_error err = { { 0 } };
	bool json = false, have_kind = false;
	int c, rc;

	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			if (bl_kind_parse(optarg, &cfg.kind)) {
				fprintf(stderr, "gw-bootsim: unknown --kind %s\n", optarg);
				return EXIT_USAGE;
			}
			have_kind = true;
			break;
		case 'p':
			cfg.path = optarg;
			break;
		case 'c':
			cfg.cmdline_path = optarg;
			break;
		case 'x':
			cfg.entry_prefix = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (!have_kind || !cfg.path || optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	rc = bl_open(&cfg, &bl, &err);
	if (!rc)
		rc = run(bl, argc - optind, argv + optind, json, &err);
	bl_close(bl);
	if (rc)
		fprintf(stderr, "gw-bootsim: %s\n", gw_error_msg(&err, rc));
	return exit_for(rc);
}
