// SPDX-License-Identifier: Apache-2.0
// gwagent update: its subcommands, and `update install BUNDLE|-`.
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/crypto.h>

#include "agent.h"
#include "ear_time.h"
#include "update_apply.h"
#include "update_boot.h"
#include "update_fetch.h"
#include "update_install.h"
#include "update_offer.h"
#include "update_status.h"
#include "util.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: gwagent update install BUNDLE|- [--json] [--no-progress]\n"
		   "                             [--content-key-file FILE]\n"
		   "       gwagent update status [--json]\n"
		   "       gwagent update mark-good [--json]\n"
		   "       gwagent update mark-bad [A|B|booted|other] [--json]\n"
		   "       gwagent update pending [--json]\n"
		   "       gwagent update defer ID [--until TIME|DURATION] [--json]\n"
		   "       gwagent update accept ID [--json]\n"
		   "       gwagent update fetch ID [--out FILE] [--max-rate BPS] [--json]\n"
		   "       gwagent update apply ID [--json] [--no-progress]\n\n"
		   "install  verify a bundle against the pinned trust root, check its model,\n"
		   "         channel, expiry and security version, and write it into the slot\n"
		   "         group that is not running, set for one trial boot. '-' reads the\n"
		   "         bundle from standard input. Progress: a line on stderr when it is\n"
		   "         a terminal, else JSON lines on stdout with --json. An encrypted\n"
		   "         bundle needs its content key: --content-key-file FILE (64 hex\n"
		   "         digits) is the test and manual path (doc/updates.md); without a\n"
		   "         key it is refused (exit 39) before anything is written. A plain\n"
		   "         bundle needs the verifier's authorization (exit 45): use 'apply',\n"
		   "         or [update] authorization = none on a device updated by hand.\n"
		   "status   the slot groups, the bootloader's view of them, the\n"
		   "         anti-rollback counters and the last update's outcome.\n"
		   "mark-good, mark-bad  the operator's verdict on the running group (or, for\n"
		   "         mark-bad, the other one): see 'gwagent update mark-good --help'.\n"
		   "pending, defer, accept  the releases the verifier offers and the owner's\n"
		   "         answers: see 'gwagent update pending --help'.\n"
		   "fetch    download release ID from the verifier (device certificate) into\n"
		   "         STATE_DIR/update/downloads/ID.gwb (or FILE), at most BPS bytes a\n"
		   "         second; an interrupted download resumes from ID.gwb.part on the\n"
		   "         next run, and starts over if the verifier's file changed. Exit 0\n"
		   "         done, 21 refused (not eligible, unknown), 22 interrupted or\n"
		   "         unreachable (run again to resume), 31 the download did not match\n"
		   "         its size or SHA-256 (deleted), 5 not enrolled.\n"
		   "apply    install offered release ID through the verifier: fetch it (resumed,\n"
		   "         kept when complete), one attestation round that asks for its\n"
		   "         authorization (quote bound to the update key's TPM session), the\n"
		   "         verified result's authorization checked, an encrypted release's\n"
		   "         content key unwrapped by the TPM, then installed as 'install'.\n"
		   "         Exit 0 staged, 45 not authorized (the verifier's reason printed),\n"
		   "         4 the TPM refused the unwrap, 5 not offered or not enrolled, the\n"
		   "         codes of 'fetch', 'attest' and 'install' otherwise.\n");
}

static void print_result(const struct update_install_result *r, int rc, int code,
			 const gw_error *err, bool json, enum ear_time_source clock)
{
	json_object *o;

	if (!json) {
		if (!rc)
			printf("staged version %s (security version %llu) in group %c: %u payload%s, "
			       "%llu bytes, manifest sha256:%s\ngroup %c boots on trial at the next "
			       "boot%s\n",
			       r->version, (unsigned long long)r->security_version,
			       bl_group_char(r->target), r->npayloads, r->npayloads == 1 ? "" : "s",
			       (unsigned long long)r->bytes, r->digest_hex, bl_group_char(r->target),
			       r->reboot_required ? " (the release asks for a reboot)" : "");
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "event", json_object_new_string("result"));
	json_object_object_add(o, "clock", json_object_new_string(ear_time_source_name(clock)));
	json_object_object_add(o, "result", json_object_new_string(!rc ? "staged"
								   : r->refusal ? "refused"
										: "failed"));
	if (rc) {
		json_object_object_add(o, "refusal",
				       json_object_new_string(update_refusal_name(r->refusal)));
		json_object_object_add(o, "error", json_object_new_string(gw_error_msg(err, rc)));
		json_object_object_add(o, "exit_code", json_object_new_int(code));
		json_object_object_add(o, "target_touched", json_object_new_boolean(r->touched));
	}
	if (r->version[0]) {
		char g[2] = { bl_group_char(r->target), 0 };

		json_object_object_add(o, "group", json_object_new_string(g));
		json_object_object_add(o, "version", json_object_new_string(r->version));
		json_object_object_add(o, "security_version",
				       json_object_new_int64((int64_t)r->security_version));
		json_object_object_add(o, "manifest_sha256", json_object_new_string(r->digest_hex));
	}
	if (!rc) {
		json_object_object_add(o, "payloads", json_object_new_int((int)r->npayloads));
		json_object_object_add(o, "bytes", json_object_new_int64((int64_t)r->bytes));
		json_object_object_add(o, "reboot_required",
				       json_object_new_boolean(r->reboot_required));
	}
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
						       JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

/* Progress of an install: a line on stderr when it is a terminal, else JSON lines
 * on stdout with --json, else none. */
static void install_progress(struct progress *prog, bool quiet, bool json)
{
	progress_init(prog, quiet		     ? PROGRESS_NONE
			    : isatty(STDERR_FILENO) ? PROGRESS_TTY
			    : json		    ? PROGRESS_JSON
						    : PROGRESS_NONE,
		      isatty(STDERR_FILENO) ? stderr : stdout);
}

/* A content key file: 64 hex digits, an optional newline. */
static int read_content_key(const char *path, uint8_t cek[32], gw_error *err)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc = gw_read_file(path, 128, &buf, &len, err);

	if (rc)
		return rc;
	if (len && buf[len - 1] == '\n')
		buf[--len] = 0;
	if (len != 64)
		rc = gw_fail(err, GW_E_PARSE, "not 64 hex digits");
	else
		rc = gw_hex_decode_fixed((const char *)buf, cek, 32, err);
	OPENSSL_cleanse(buf, len);
	free(buf);
	return rc;
}

/* The command line of `update install` and `update apply`: --json, --no-progress,
 * (install only) --content-key-file, and one operand. */
struct install_args {
	bool json, quiet;
	const char *key_file;
	const char *operand;
};

/* -1 to go on, else the exit status (after --help, or a usage error). */
static int install_args_parse(int argc, char **argv, bool with_key, struct install_args *a)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "no-progress", no_argument, NULL, 'n' },
		{ "content-key-file", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(a, 0, sizeof(*a));
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			a->json = true;
			break;
		case 'n':
			a->quiet = true;
			break;
		case 'k':
			if (!with_key)
				goto usage;
			a->key_file = optarg;
			break;
		case 'h':
			usage(stdout);
			return GW_EXIT_OK;
		default:
			goto usage;
		}
	}
	if (optind + 1 != argc)
		goto usage;
	a->operand = argv[optind];
	return -1;
usage:
	usage(stderr);
	return GW_EXIT_USAGE;
}

/* The bundle to install: standard input for "-", else the file opened; -1 when it
 * cannot be opened (said). */
static int open_bundle(struct agent_ctx *ctx, const char *path)
{
	int fd;

	if (!strcmp(path, "-"))
		return STDIN_FILENO;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		agent_errorf(ctx, "%s: %s", path, strerror(errno));
	return fd;
}

static int update_install_main(struct agent_ctx *ctx, int argc, char **argv)
{
	struct install_args a;
	uint8_t cek[32];
	struct update_install_opts o = { .fd = -1 };
	enum ear_time_source clock = EAR_TIME_SYSTEM;
	int64_t now = 0;
	struct update_install_result res = { 0 };
	struct progress prog;
	gw_error err = { { 0 } };
	int rc, code;

	if ((code = install_args_parse(argc, argv, true, &a)) >= 0)
		return code;
	if (a.key_file) {
		rc = read_content_key(a.key_file, cek, &err);
		if (rc) {
			OPENSSL_cleanse(cek, sizeof(cek));
			agent_errorf(ctx, "--content-key-file %s: %s", a.key_file,
				     gw_error_msg(&err, rc));
			return GW_EXIT_USAGE;
		}
		o.content_key = cek;
	}
	if ((o.fd = open_bundle(ctx, a.operand)) < 0) {
		OPENSSL_cleanse(cek, sizeof(cek));
		return GW_EXIT_ERROR;
	}
	install_progress(&prog, a.quiet, a.json);
	o.progress = &prog;
	/* expiry by the latest verified attestation result's time, not the RTC's */
	rc = ear_time_now(ctx, &now, &clock, &err);
	o.now = (time_t)now;
	if (!rc)
		rc = update_install(ctx, &o, &res, &err);
	OPENSSL_cleanse(cek, sizeof(cek));
	progress_end(&prog);
	if (o.fd != STDIN_FILENO)
		close(o.fd);
	code = rc ? update_refusal_exit(res.refusal, rc) : GW_EXIT_OK;
	if (rc)
		agent_errorf(ctx, "update install: %s%s", res.refusal ? "refused: " : "",
			     gw_error_msg(&err, rc));
	if (res.history_failed)
		agent_errorf(ctx, "warning: the update history could not be appended to");
	print_result(&res, rc, code, &err, a.json, clock);
	return code;
}

static void print_apply(const char *id, const struct update_apply_result *r, bool json)
{
	if (r->fetched && !json)
		printf("release %s: downloaded %llu bytes%s\n", id,
		       (unsigned long long)r->fetch.size,
		       r->fetch.resumed_from ? " (resumed)" : "");
	if (r->authorized && !json)
		printf("release %s: authorized by the verifier until %lld%s\n", id,
		       (long long)r->expires_at,
		       r->encrypted ? "; content key unwrapped by the TPM" : "");
}

static int update_apply_main(struct agent_ctx *ctx, int argc, char **argv)
{
	struct install_args a;
	struct update_apply_result res;
	struct progress prog;
	gw_error err = { { 0 } };
	int rc;

	if ((rc = install_args_parse(argc, argv, false, &a)) >= 0)
		return rc;
	install_progress(&prog, a.quiet, a.json);
	rc = update_apply(ctx, a.operand, &prog, &res, &err);
	progress_end(&prog);
	print_apply(a.operand, &res, a.json);
	if (rc)
		agent_errorf(ctx, "update apply: %s%s", res.install.refusal ? "refused: " : "",
			     gw_error_msg(&err, rc));
	if (res.install.history_failed)
		agent_errorf(ctx, "warning: the update history could not be appended to");
	if (res.installing || (a.json && rc))
		print_result(&res.install, rc, res.exit_code, &err, a.json, EAR_TIME_RESULT);
	return res.exit_code;
}

static void print_fetch(const char *id, const struct update_fetch_result *r, bool json)
{
	json_object *o;

	if (!json) {
		printf("release %s: %llu bytes, sha256 %s -> %s", id, (unsigned long long)r->size,
		       r->sha256, r->path);
		if (r->restarted)
			printf(" (started over: the verifier's file changed)");
		else if (r->resumed_from)
			printf(" (resumed at byte %llu)", (unsigned long long)r->resumed_from);
		putchar('\n');
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "release", json_object_new_string(id));
	json_object_object_add(o, "path", json_object_new_string(r->path));
	json_object_object_add(o, "size", json_object_new_int64((int64_t)r->size));
	json_object_object_add(o, "sha256", json_object_new_string(r->sha256));
	json_object_object_add(o, "resumed_from", json_object_new_int64((int64_t)r->resumed_from));
	json_object_object_add(o, "restarted", json_object_new_boolean(r->restarted));
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
						       JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

static int update_fetch_main(struct agent_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "max-rate", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct update_fetch_opts o = { .release_id = NULL };
	struct update_fetch_result res;
	struct vclient_failure f;
	gw_error err = { { 0 } };
	uint64_t rate;
	bool json = false;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			o.out = optarg;
			break;
		case 'r':
			if (gw_parse_u64(optarg, INT32_MAX, &rate) || rate == 0) {
				agent_errorf(ctx, "--max-rate: bytes per second, 1 or more");
				return GW_EXIT_USAGE;
			}
			o.max_rate = (long)rate;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return GW_EXIT_OK;
		default:
			usage(stderr);
			return GW_EXIT_USAGE;
		}
	}
	if (optind + 1 != argc) {
		usage(stderr);
		return GW_EXIT_USAGE;
	}
	o.release_id = argv[optind];
	rc = update_fetch(ctx, &o, &res, &f, &err);
	if (!rc) {
		print_fetch(o.release_id, &res, json);
		return GW_EXIT_OK;
	}
	agent_errorf(ctx, "update fetch: %s", gw_error_msg(&err, rc));
	if (rc == GW_E_INVAL)
		return GW_EXIT_USAGE;
	if (res.mismatch)
		return GW_EXIT_UPDATE_BUNDLE;
	if (f.transport_failed || f.http_status)
		return vclient_exit_code(&f);
	return rc == GW_E_STATE ? GW_EXIT_STATE : GW_EXIT_ERROR;
}

int cmd_update(struct agent_ctx *ctx, int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(struct agent_ctx *ctx, int argc, char **argv);
	} subs[] = {
		{ "install", update_install_main },
		{ "status", update_status_main },
		{ "mark-good", update_mark_good_main },
		{ "mark-bad", update_mark_bad_main },
		{ "pending", update_pending_main },
		{ "defer", update_defer_main },
		{ "accept", update_accept_main },
		{ "fetch", update_fetch_main },
		{ "apply", update_apply_main },
	};

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? GW_EXIT_USAGE : GW_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		if (!strcmp(argv[1], subs[i].name))
			return subs[i].fn(ctx, argc - 1, argv + 1);
	agent_errorf(ctx, "update: unknown subcommand '%s'", argv[1]);
	usage(stderr);
	return GW_EXIT_USAGE;
}
