// SPDX-License-Identifier: Apache-2.0
// gwpolicy root: the update trust root's subcommands, and what they share (keys,
// signing state, reports, writing).
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "root_cli.h"
#include "util.h"

#define DAY 86400

struct subcommand {
	const char *name;
	int (*handler)(struct policy_ctx *ctx, int argc, char **argv);
	const char *summary;
};

static const struct subcommand subcommands[] = {
	{ "init", cmd_root_init, "write version 1 of a trust root, signed by its first keys" },
	{ "sign", cmd_root_sign, "add signatures to a root (or to a rotation)" },
	{ "verify", cmd_root_verify, "check a root's signatures and expiry, and its rotations" },
	{ "rotate", cmd_root_rotate, "write version N+1: keys added or removed, new thresholds" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: gwpolicy root SUBCOMMAND [ARGS]\n\n"
		   "The update trust root (root.json): the keys that sign releases (the\n"
		   "targets role) and the keys that sign the root itself (the root role),\n"
		   "each with a threshold, a version and an expiry. See doc/updates.md.\n\n");
	for (size_t i = 0; i < GW_ARRAY_SIZE(subcommands); i++)
		fprintf(f, "  %-8s %s\n", subcommands[i].name, subcommands[i].summary);
	fprintf(f, "\nRun 'gwpolicy root SUBCOMMAND --help' for its options.\n");
}

int cmd_root(struct policy_ctx *ctx, int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return GW_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return GW_EXIT_OK;
	}
	for (size_t i = 0; i < GW_ARRAY_SIZE(subcommands); i++)
		if (!strcmp(argv[1], subcommands[i].name))
			return subcommands[i].handler(ctx, argc - 1, argv + 1);
	policy_errorf(ctx, "root: unknown subcommand '%s'", argv[1]);
	usage(stderr);
	return GW_EXIT_USAGE;
}

int root_exit_for(int rc)
{
	return rc == GW_E_INVAL ? GW_EXIT_USAGE : gw_exit_for(rc);
}

int root_cli_expires(const char *arg, time_t now, time_t *out, gw_error *err)
{
	char full[GW_TIME_LEN + 16];
	uint64_t days = 0;
	int64_t t = 0;

	if (!gw_parse_u64(arg, ROOT_MAX_DAYS, &days)) {
		if (!days)
			return gw_fail(err, GW_E_INVAL, "--expires: 0 days is now");
		*out = now + (time_t)days * DAY;
		return 0;
	}
	if (strlen(arg) == 10 && gw_snprintf(full, sizeof(full), "%sT00:00:00Z", arg) == 0)
		arg = full;
	if (gw_time_parse_utc(arg, &t))
		return gw_fail(err, GW_E_INVAL,
			       "--expires must be days (1 to %u), YYYY-MM-DD or "
			       "YYYY-MM-DDTHH:MM:SSZ (UTC), not '%.64s'",
			       ROOT_MAX_DAYS, arg);
	if ((time_t)t <= now)
		return gw_fail(err, GW_E_INVAL, "--expires %s is in the past", arg);
	*out = (time_t)t;
	return 0;
}

int root_cli_threshold(const char *arg, unsigned *out)
{
	uint64_t v = 0;

	if (gw_parse_u64(arg, ROOT_MAX_KEYS, &v) || !v)
		return GW_E_INVAL;
	*out = (unsigned)v;
	return 0;
}

int root_signers_add(struct root_signers *s, const char *path, gw_error *err)
{
	if (s->n == DSSE_MAX_SIGS)
		return gw_fail(err, GW_E_INVAL, "at most %u signing keys", DSSE_MAX_SIGS);
	s->path[s->n++] = path;
	return 0;
}

int root_signers_load(struct root_signers *s, gw_error *err)
{
	int rc = 0;

	for (size_t i = 0; i < s->n && !rc; i++) {
		rc = policy_key_read(s->path[i], &s->key[i], err);
		if (!rc)
			rc = dsse_key_check(s->key[i], err);
		if (rc)
			gw_error_prefix(err, "signing key %s: ", s->path[i]);
	}
	return rc;
}

void root_signers_free(struct root_signers *s)
{
	for (size_t i = 0; i < s->n; i++) {
		EVP_PKEY_free(s->key[i]);
		s->key[i] = NULL;
	}
}

static bool in_root_role(const struct root *r, EVP_PKEY *key)
{
	int k = r ? root_key_index(r, key) : -1;

	if (k < 0)
		return false;
	for (size_t i = 0; i < r->role[ROOT_ROLE_ROOT].nkeys; i++)
		if (!strcmp(r->role[ROOT_ROLE_ROOT].keyid[i], r->keyid[k]))
			return true;
	return false;
}

int root_signers_check(const struct root_signers *s, const struct root *r,
		       const struct root *prev, gw_error *err)
{
	char id[DSSE_KEYID_LEN];

	for (size_t i = 0; i < s->n; i++) {
		if (in_root_role(r, s->key[i]) || in_root_role(prev, s->key[i]))
			continue;
		if (dsse_keyid(s->key[i], id))
			return gw_fail(err, GW_E_CRYPTO, "encoding a public key failed");
		if (prev)
			return gw_fail(err, GW_E_INVAL,
				       "signing key %s (keyid %s) is a root key of neither "
				       "version %llu nor version %llu: its signature would not count",
				       s->path[i], id, (unsigned long long)r->version,
				       (unsigned long long)prev->version);
		return gw_fail(err, GW_E_INVAL,
			       "signing key %s (keyid %s) is not a root key of version %llu: its "
			       "signature would not count (to sign a rotation with a key of the "
			       "version before, give --previous OLD)",
			       s->path[i], id, (unsigned long long)r->version);
	}
	return 0;
}

int root_sign_new(const char *doc, size_t len, const struct root_signers *s,
		  struct root **out, gw_error *err)
{
	char *env = NULL;
	int rc;

	rc = dsse_sign(ROOT_PAYLOAD_TYPE, (const uint8_t *)doc, len, s->key, s->n, &env, err);
	if (!rc)
		rc = root_parse((const uint8_t *)env, strlen(env), out, err);
	free(env);
	return rc;
}

void root_status_get(const struct root *r, const struct root *prev, struct root_status *st)
{
	memset(st, 0, sizeof(*st));
	st->own_rc = root_verify_envelope(r, ROOT_ROLE_ROOT, r->env, ROOT_PAYLOAD_TYPE, &st->own,
					  &st->own_err);
	if (!prev)
		return;
	st->have_prev = true;
	st->prev_version = prev->version;
	st->prev_rc = root_verify_envelope(prev, ROOT_ROLE_ROOT, r->env, ROOT_PAYLOAD_TYPE,
					   &st->prev, &st->prev_err);
}

bool root_status_complete(const struct root_status *st)
{
	return !st->own_rc && (!st->have_prev || !st->prev_rc);
}

int root_write(const struct root *r, const char *path, bool no_clobber, gw_error *err)
{
	struct stat sb;
	char *text = NULL, *line = NULL;
	size_t len;
	int rc;

	if (no_clobber && lstat(path, &sb) == 0)
		return gw_fail(err, GW_E_EXISTS, "%s exists: not overwriting it", path);
	rc = dsse_format(r->env, &text);
	if (rc)
		return rc;
	len = strlen(text);
	line = malloc(len + 2);
	if (!line) {
		free(text);
		return GW_E_NOMEM;
	}
	memcpy(line, text, len);
	line[len] = '\n';
	line[len + 1] = '\0';
	rc = gw_write_file_atomic(path, line, len + 1, 0644, err);
	free(line);
	free(text);
	return rc;
}
