// SPDX-License-Identifier: Apache-2.0
// gwpolicy root init and root rotate: a new root document (version 1, or version
// N+1 of an existing root), signed by the keys given and written once.
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "root_cli.h"
#include "util.h"

/* What init and rotate read from the command line. */
struct root_edit {
	const char *add[ROOT_NROLES][ROOT_MAX_KEYS]; /* public key files */
	size_t nadd[ROOT_NROLES];
	const char *remove[ROOT_NROLES][ROOT_MAX_KEYS]; /* keyids (rotate) */
	size_t nremove[ROOT_NROLES];
	unsigned threshold[ROOT_NROLES]; /* 0: not given */
	const char *expires, *version, *from, *out;
	struct root_signers signers;
	bool json;
	EVP_PKEY *owned[ROOT_NROLES][ROOT_MAX_KEYS]; /* keys read from add[] */
};

static void init_usage(FILE *f)
{
	fprintf(f,
		"usage: gwpolicy root init --root-key PUB [--root-key ...] --root-threshold N\n"
		"                          --targets-key PUB [--targets-key ...] --targets-threshold M\n"
		"                          [--expires DAYS|YYYY-MM-DD] [--version N]\n"
		"                          --sign KEY [--sign ...] -o ROOT [--json]\n\n"
		"Writes a new trust root (version 1 unless --version) to ROOT, which must not\n"
		"exist: the root role (keys that sign the root and its rotations, N of them\n"
		"must sign) and the targets role (keys that sign releases, M of them). It is\n"
		"signed by each --sign key, a private key of the root role; when fewer than N\n"
		"signed, add the others with 'gwpolicy root sign'. Prints the root's digest,\n"
		"the value of a policy's trust.trust_root.\n\n"
		"  --root-key PUB, --targets-key PUB   public keys from 'gwpolicy keygen'\n"
		"  --expires DAYS|DATE  days from now, or a UTC date (default %u days)\n"
		"  --json               the result as one JSON object\n",
		ROOT_DEFAULT_DAYS);
}

static void rotate_usage(FILE *f)
{
	fprintf(f,
		"usage: gwpolicy root rotate --from OLD [--add-root-key PUB] [--remove-root-key KEYID]\n"
		"                            [--add-targets-key PUB] [--remove-targets-key KEYID]\n"
		"                            [--root-threshold N] [--targets-threshold M]\n"
		"                            [--expires DAYS|YYYY-MM-DD] --sign KEY [--sign ...]\n"
		"                            -o NEW [--json]\n\n"
		"Writes version N+1 of the root OLD (version N) to NEW, which must not exist:\n"
		"OLD's roles with the keys added and removed (a KEYID may be shortened to a\n"
		"unique prefix of 8 or more digits) and the thresholds given (default: OLD's).\n"
		"A device takes NEW only when a threshold of OLD's root keys AND a threshold\n"
		"of NEW's root keys signed it; each --sign key must be a root key of either,\n"
		"and 'gwpolicy root sign --previous OLD' adds the signatures still missing.\n"
		"The expiry is not carried over (default %u days from now).\n",
		ROOT_DEFAULT_DAYS);
}

/* --root-key, --add-targets-key, --remove-root-key...: one more key of a role. */
static int key_opt(struct root_edit *e, int c, unsigned role, const char *arg, gw_error *err)
{
	bool add = c == 'r' || c == 't';
	size_t *n = add ? &e->nadd[role] : &e->nremove[role];

	if (*n == ROOT_MAX_KEYS)
		return gw_fail(err, GW_E_INVAL, "at most %u keys per role", ROOT_MAX_KEYS);
	(add ? e->add[role] : e->remove[role])[(*n)++] = arg;
	return 0;
}

/* getopt for both commands; usage errors printed here. 1: --help shown. */
static int read_opts(const char *cmd, int argc, char **argv,
		     struct root_edit *e, gw_error *err)
{
	static const struct option opts[] = {
		{ "root-key", required_argument, NULL, 'r' },
		{ "add-root-key", required_argument, NULL, 'r' },
		{ "targets-key", required_argument, NULL, 't' },
		{ "add-targets-key", required_argument, NULL, 't' },
		{ "remove-root-key", required_argument, NULL, 'R' },
		{ "remove-targets-key", required_argument, NULL, 'T' },
		{ "root-threshold", required_argument, NULL, 'n' },
		{ "targets-threshold", required_argument, NULL, 'm' },
		{ "expires", required_argument, NULL, 'e' },
		{ "version", required_argument, NULL, 'v' },
		{ "from", required_argument, NULL, 'f' },
		{ "sign", required_argument, NULL, 's' },
		{ "out", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
		unsigned role = c == 'r' || c == 'R' || c == 'n' ? ROOT_ROLE_ROOT : ROOT_ROLE_TARGETS;

		switch (c) {
		case 'r':
		case 't':
		case 'R':
		case 'T':
			if (key_opt(e, c, role, optarg, err))
				return GW_E_INVAL;
			break;
		case 'n':
		case 'm':
			if (root_cli_threshold(optarg, &e->threshold[role]))
				return gw_fail(err, GW_E_INVAL, "--%s-threshold must be 1 to %u",
					       root_role_name(role), ROOT_MAX_KEYS);
			break;
		case 'e':
			e->expires = optarg;
			break;
		case 'v':
			e->version = optarg;
			break;
		case 'f':
			e->from = optarg;
			break;
		case 's':
			if (root_signers_add(&e->signers, optarg, err))
				return GW_E_INVAL;
			break;
		case 'o':
			e->out = optarg;
			break;
		case 'j':
			e->json = true;
			break;
		case 'h':
			(!strcmp(cmd, "init") ? init_usage : rotate_usage)(stdout);
			return 1;
		default:
			(!strcmp(cmd, "init") ? init_usage : rotate_usage)(stderr);
			return gw_fail(err, GW_E_INVAL, "bad command line");
		}
	}
	if (optind != argc)
		return gw_fail(err, GW_E_INVAL, "unexpected argument '%s'", argv[optind]);
	if (!e->out)
		return gw_fail(err, GW_E_INVAL, "-o FILE is required");
	if (!e->signers.n)
		return gw_fail(err, GW_E_INVAL, "at least one --sign KEY is required: an envelope "
				    "needs a signature");
	return 0;
}

/* GW_E_INVAL when key (by keyid: however encoded) is in the draft's role. */
static int in_role(const struct root_draft *d, unsigned role, EVP_PKEY *key, gw_error *err)
{
	char a[DSSE_KEYID_LEN], b[DSSE_KEYID_LEN];

	if (dsse_keyid(key, a))
		return gw_fail(err, GW_E_CRYPTO, "encoding a public key failed");
	for (size_t j = 0; j < d->role[role].nkeys; j++) {
		if (dsse_keyid(d->role[role].keys[j], b))
			return gw_fail(err, GW_E_CRYPTO, "encoding a public key failed");
		if (!strcmp(a, b))
			return gw_fail(err, GW_E_INVAL, "key %s is in the %s role already", a,
				       root_role_name(role));
	}
	return 0;
}

/* Read each role's added public keys into the draft (after the keys it has). */
static int add_keys(struct root_edit *e, struct root_draft *d, gw_error *err)
{
	for (unsigned r = 0; r < ROOT_NROLES; r++)
		for (size_t i = 0; i < e->nadd[r]; i++) {
			EVP_PKEY **k = &e->owned[r][i];
			int rc = policy_pub_read(e->add[r][i], k, err);

			if (!rc)
				rc = dsse_key_check(*k, err);
			if (rc) {
				gw_error_prefix(err, "%s key: ", root_role_name(r));
				return rc;
			}
			rc = in_role(d, r, *k, err);
			if (rc) {
				gw_error_prefix(err, "%s: ", e->add[r][i]);
				return rc;
			}
			if (d->role[r].nkeys == ROOT_MAX_KEYS)
				return gw_fail(err, GW_E_INVAL, "more than %u %s keys",
					       ROOT_MAX_KEYS, root_role_name(r));
			d->role[r].keys[d->role[r].nkeys++] = *k;
		}
	return 0;
}

/* Sign the draft, check the signers, write it, report. */
static int finish(struct policy_ctx *ctx, const char *cmd, struct root_edit *e,
		  const struct root_draft *d, const struct root *prev)
{
	struct root *r = NULL;
	struct root_status st;
	gw_error err = { { 0 } };
	char *doc = NULL;
	size_t len = 0;
	int rc, ret;

	rc = root_format(d, &doc, &len, &err);
	if (!rc)
		rc = root_signers_load(&e->signers, &err);
	if (!rc)
		rc = root_sign_new(doc, len, &e->signers, &r, &err);
	if (!rc)
		rc = root_signers_check(&e->signers, r, prev, &err);
	if (!rc)
		rc = root_write(r, e->out, true, &err);
	ret = root_exit_for(rc);
	if (rc) {
		policy_errorf(ctx, "root %s: %s", cmd, gw_error_msg(&err, rc));
		if (e->json)
			root_print_json(NULL, ret, gw_error_msg(&err, rc));
		goto out;
	}
	root_status_get(r, prev, &st);
	if (e->json) {
		root_print_json(root_report_json(r, &st, e->out), ret, NULL);
	} else {
		printf("wrote %s\n", e->out);
		root_print_text(r, &st);
	}
	root_print_missing(ctx, r, &st);
out:
	root_free(r);
	free(doc);
	return ret;
}

static void edit_free(struct root_edit *e)
{
	for (unsigned r = 0; r < ROOT_NROLES; r++)
		for (size_t i = 0; i < e->nadd[r]; i++)
			EVP_PKEY_free(e->owned[r][i]);
	root_signers_free(&e->signers);
}

static int usage_fail(struct policy_ctx *ctx, const char *cmd, bool json, int rc,
		      const gw_error *err)
{
	int ret = root_exit_for(rc);

	policy_errorf(ctx, "root %s: %s", cmd, gw_error_msg(err, rc));
	if (json)
		root_print_json(NULL, ret, gw_error_msg(err, rc));
	return ret;
}

int cmd_root_init(struct policy_ctx *ctx, int argc, char **argv)
{
	struct root_edit e = { 0 };
	struct root_draft d = { .version = 1 };
	gw_error err = { { 0 } };
	uint64_t v = 0;
	int rc, ret;

	rc = read_opts("init", argc, argv, &e, &err);
	if (rc == 1)
		return GW_EXIT_OK;
	if (!rc && e.from)
		rc = gw_fail(&err, GW_E_INVAL, "--from is for 'root rotate'");
	if (!rc && (e.nremove[0] || e.nremove[1]))
		rc = gw_fail(&err, GW_E_INVAL, "--remove-*-key is for 'root rotate'");
	for (unsigned r = 0; r < ROOT_NROLES && !rc; r++)
		if (!e.nadd[r] || !e.threshold[r])
			rc = gw_fail(&err, GW_E_INVAL, "--%s-key and --%s-threshold are required",
				     root_role_name(r), root_role_name(r));
	if (!rc && e.version && (gw_parse_u64(e.version, INT64_MAX - 1, &v) || !v))
		rc = gw_fail(&err, GW_E_INVAL, "--version must be 1 or more");
	if (!rc && v)
		d.version = v;
	d.expires = time(NULL) + (time_t)ROOT_DEFAULT_DAYS * 86400;
	if (!rc && e.expires)
		rc = root_cli_expires(e.expires, time(NULL), &d.expires, &err);
	for (unsigned r = 0; r < ROOT_NROLES; r++)
		d.role[r].threshold = e.threshold[r];
	if (!rc)
		rc = add_keys(&e, &d, &err);
	if (rc) {
		ret = usage_fail(ctx, "init", e.json, rc, &err);
		goto out;
	}
	ret = finish(ctx, "init", &e, &d, NULL);
out:
	edit_free(&e);
	return ret;
}

/* Remove the key named by a keyid or a unique prefix of 8 or more digits. */
static int remove_key(struct root_draft *d, unsigned role, const char *id, gw_error *err)
{
	size_t len = strlen(id), found = SIZE_MAX;
	char kid[DSSE_KEYID_LEN];

	if (len < 8 || len > 64)
		return gw_fail(err, GW_E_INVAL, "--remove-%s-key: '%.70s' is not a keyid (8 to 64 "
				    "hex digits)", root_role_name(role), id);
	for (size_t i = 0; i < d->role[role].nkeys; i++) {
		if (dsse_keyid(d->role[role].keys[i], kid))
			return gw_fail(err, GW_E_CRYPTO, "encoding a public key failed");
		if (strncmp(kid, id, len))
			continue;
		if (found != SIZE_MAX)
			return gw_fail(err, GW_E_INVAL, "--remove-%s-key: '%s' names more than one "
					    "key: give more digits", root_role_name(role), id);
		found = i;
	}
	if (found == SIZE_MAX)
		return gw_fail(err, GW_E_INVAL, "--remove-%s-key: no %s key has keyid %s",
			       root_role_name(role), root_role_name(role), id);
	memmove(&d->role[role].keys[found], &d->role[role].keys[found + 1],
		(d->role[role].nkeys - found - 1) * sizeof(EVP_PKEY *));
	d->role[role].nkeys--;
	return 0;
}

/* The draft of version N+1: old's roles, edited. */
static int rotate_draft(struct root_edit *e, const struct root *old, struct root_draft *d,
			gw_error *err)
{
	int rc = 0;

	d->version = old->version + 1;
	for (unsigned r = 0; r < ROOT_NROLES; r++) {
		memcpy(d->role[r].keys, old->role[r].keys, sizeof(d->role[r].keys));
		d->role[r].nkeys = old->role[r].nkeys;
		for (size_t i = 0; i < e->nremove[r] && !rc; i++)
			rc = remove_key(d, r, e->remove[r][i], err);
		if (!rc && !d->role[r].nkeys && !e->nadd[r])
			rc = gw_fail(err, GW_E_INVAL, "the %s role would have no key left",
				     root_role_name(r));
	}
	if (!rc)
		rc = add_keys(e, d, err);
	for (unsigned r = 0; r < ROOT_NROLES && !rc; r++) {
		d->role[r].threshold = e->threshold[r] ? e->threshold[r] : old->role[r].threshold;
		if (d->role[r].threshold > d->role[r].nkeys)
			rc = gw_fail(err, GW_E_INVAL, "the %s role would need %u of %zu keys: give "
					"--%s-threshold", root_role_name(r), d->role[r].threshold,
				     d->role[r].nkeys, root_role_name(r));
	}
	return rc;
}

int cmd_root_rotate(struct policy_ctx *ctx, int argc, char **argv)
{
	struct root_edit e = { 0 };
	struct root_draft d = { 0 };
	struct root *old = NULL;
	gw_error err = { { 0 } };
	int rc, ret;

	rc = read_opts("rotate", argc, argv, &e, &err);
	if (rc == 1)
		return GW_EXIT_OK;
	if (!rc && !e.from)
		rc = gw_fail(&err, GW_E_INVAL, "--from OLD is required");
	if (!rc && e.version)
		rc = gw_fail(&err, GW_E_INVAL, "--version: a rotation is always version N+1");
	d.expires = time(NULL) + (time_t)ROOT_DEFAULT_DAYS * 86400;
	if (!rc && e.expires)
		rc = root_cli_expires(e.expires, time(NULL), &d.expires, &err);
	if (!rc)
		rc = root_load(e.from, &old, &err);
	/* Rotating from an expired root is how one recovers; from a forged one, not. */
	if (!rc) {
		rc = root_verify_envelope(old, ROOT_ROLE_ROOT, old->env, ROOT_PAYLOAD_TYPE, NULL,
					  &err);
		if (rc)
			gw_error_prefix(&err, "%s: its own root signatures: ", e.from);
	}
	if (!rc)
		rc = rotate_draft(&e, old, &d, &err);
	if (rc) {
		ret = usage_fail(ctx, "rotate", e.json, rc, &err);
		goto out;
	}
	ret = finish(ctx, "rotate", &e, &d, old);
out:
	root_free(old);
	edit_free(&e);
	return ret;
}
