// SPDX-License-Identifier: Apache-2.0
// gwpolicy bundle: the subcommand table, and `bundle create`: a manifest of the
// images given, signed by a threshold of the trust root's targets keys, written
// with its payloads as a bundle.
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>

#include "bundle_cli.h"
#include "keywrap.h"
#include "payload_aead.h"
#include "root_cli.h"
#include "util.h"

static const struct policy_subcommand subcommands[] = {
	{ "create", cmd_bundle_create, "write a bundle: manifest, targets signatures, images" },
	{ "inspect", cmd_bundle_inspect, "show a bundle's manifest (NOT verified)" },
	{ "verify", cmd_bundle_verify, "verify a bundle as a device does, payloads included" },
	{ "decrypt", cmd_bundle_decrypt, "decrypt an encrypted bundle's images with the release key" },
};

int cmd_bundle(struct policy_ctx *ctx, int argc, char **argv)
{
	return policy_subcommands(ctx, "bundle",
				  "Update bundles (.gwb): a POSIX tar whose first member is the "
				  "manifest's\nDSSE envelope, signed by a threshold of the trust "
				  "root's targets keys,\nfollowed by the images the manifest lists. "
				  "See doc/updates.md.\n",
				  subcommands, GW_ARRAY_SIZE(subcommands), argc, argv);
}

static void create_usage(FILE *f)
{
	fprintf(f,
		"usage: gwpolicy bundle create --root ROOT --key K [--key ...] --model M [--model ...]\n"
		"         --channel C --version V --security-version N --image CLASS=FILE [...]\n"
		"         [--notes FILE] [--reboot-required] [--eol-transition] [--expires DAYS|DATE]\n"
		"         [--new-root ROOT2] [--encrypt-for RELEASE.pub] [--boot-file PATH=FILE ...]\n"
		"         [--json] [-o OUT | > OUT]\n\n"
		"Writes a bundle: the manifest (models, channel, version, security version,\n"
		"creation time, each image's slot class, size and SHA-256), signed by the\n"
		"targets keys given, then the images in the order given. The keys must be\n"
		"a threshold of ROOT's targets role. Creation time: now, or SOURCE_DATE_EPOCH.\n\n"
		"  --root ROOT              the signed trust root (root.json) devices have pinned\n"
		"  --key K                  a targets private key; repeat up to the threshold or more\n"
		"  --model M                a device model the release is for (up to %d)\n"
		"  --channel C              the update channel (its anti-rollback counter)\n"
		"  --version V              the release version, for people\n"
		"  --security-version N     the anti-rollback version (0 or more)\n"
		"  --image CLASS=FILE       an image for slot class CLASS (up to %d, distinct)\n"
		"  --notes FILE             release notes (UTF-8 text, at most %u bytes)\n"
		"  --reboot-required        the device must reboot into the release\n"
		"  --eol-transition         an end-of-life transition: the only kind of release\n"
		"                           a verifier offers a model past its end of support\n"
		"  --expires DAYS|DATE      devices refuse the bundle after this (YYYY-MM-DD or\n"
		"                           YYYY-MM-DDTHH:MM:SSZ, UTC)\n"
		"  --new-root ROOT2         a rotated trust root that must follow ROOT; devices\n"
		"                           pin it when they commit the release\n"
		"  --encrypt-for PUB        encrypt the images (AES-256-GCM in %u-byte chunks) under\n"
		"                           a fresh content key wrapped for the verifier's release\n"
		"                           key PUB (ECC P-256 PEM, from gwpolicy keygen)\n"
		"  --boot-file PATH=FILE    a file the bootloader measures when it boots this\n"
		"                           release (kernel, initramfs; up to %d): PATH where it\n"
		"                           lies in the slot, FILE the release engineer's copy;\n"
		"                           its SHA-256 is signed in the manifest (doc/updates.md)\n"
		"  -o, --out OUT            write OUT atomically (default: standard output)\n"
		"  --json                   with -o: a JSON summary on standard output\n",
		MANIFEST_MAX_MODELS, MANIFEST_MAX_PAYLOADS, MANIFEST_MAX_NOTES,
		PAYLOAD_AEAD_CHUNK_DEFAULT, MANIFEST_MAX_BOOT_FILES);
}

struct create_opts {
	const char *root, *channel, *version, *secver, *notes, *expires, *new_root, *out;
	const char *encrypt_for;
	const char *models[MANIFEST_MAX_MODELS];
	size_t nmodels;
	const char *images[MANIFEST_MAX_PAYLOADS];
	size_t nimages;
	const char *boot_files[MANIFEST_MAX_BOOT_FILES];
	size_t nboot_files;
	struct root_signers signers;
	bool reboot, eol, json;
	EVP_PKEY *release_pub;		/* --encrypt-for */
	uint8_t cek[PAYLOAD_AEAD_KEY]; /* the bundle's fresh content key; wiped */
};

/* 0, or an exit code (after the message). */
static int create_args(struct policy_ctx *ctx, int argc, char **argv, struct create_opts *o)
{
	static const struct option opts[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "key", required_argument, NULL, 'k' },
		{ "model", required_argument, NULL, 'm' },
		{ "channel", required_argument, NULL, 'c' },
		{ "version", required_argument, NULL, 'v' },
		{ "security-version", required_argument, NULL, 's' },
		{ "image", required_argument, NULL, 'i' },
		{ "notes", required_argument, NULL, 'n' },
		{ "reboot-required", no_argument, NULL, 'R' },
		{ "eol-transition", no_argument, NULL, 'L' },
		{ "expires", required_argument, NULL, 'e' },
		{ "new-root", required_argument, NULL, 'N' },
		{ "encrypt-for", required_argument, NULL, 'E' },
		{ "boot-file", required_argument, NULL, 'B' },
		{ "out", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	gw_error err = { { 0 } };
	int c;

	while ((c = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
		switch (c) {
		case 'r': o->root = optarg; break;
		case 'c': o->channel = optarg; break;
		case 'v': o->version = optarg; break;
		case 's': o->secver = optarg; break;
		case 'n': o->notes = optarg; break;
		case 'R': o->reboot = true; break;
		case 'L': o->eol = true; break;
		case 'e': o->expires = optarg; break;
		case 'N': o->new_root = optarg; break;
		case 'E': o->encrypt_for = optarg; break;
		case 'o': o->out = optarg; break;
		case 'j': o->json = true; break;
		case 'k':
			if (root_signers_add(&o->signers, optarg, &err)) {
				policy_errorf(ctx, "bundle create: %s", err.msg);
				return GW_EXIT_USAGE;
			}
			break;
		case 'm':
			if (o->nmodels == MANIFEST_MAX_MODELS) {
				policy_errorf(ctx, "bundle create: at most %d --model", MANIFEST_MAX_MODELS);
				return GW_EXIT_USAGE;
			}
			o->models[o->nmodels++] = optarg;
			break;
		case 'i':
			if (o->nimages == MANIFEST_MAX_PAYLOADS) {
				policy_errorf(ctx, "bundle create: at most %d --image", MANIFEST_MAX_PAYLOADS);
				return GW_EXIT_USAGE;
			}
			o->images[o->nimages++] = optarg;
			break;
		case 'B':
			if (o->nboot_files == MANIFEST_MAX_BOOT_FILES) {
				policy_errorf(ctx, "bundle create: at most %d --boot-file",
					      MANIFEST_MAX_BOOT_FILES);
				return GW_EXIT_USAGE;
			}
			o->boot_files[o->nboot_files++] = optarg;
			break;
		case 'h':
			create_usage(stdout);
			return -1;
		default:
			create_usage(stderr);
			return GW_EXIT_USAGE;
		}
	}
	if (optind != argc || !o->root || !o->signers.n || !o->nmodels || !o->channel ||
	    !o->version || !o->secver || !o->nimages) {
		policy_errorf(ctx, "bundle create: --root, --key, --model, --channel, --version, "
				   "--security-version and --image are required%s",
			      optind != argc ? " (and no other argument)" : "");
		create_usage(stderr);
		return GW_EXIT_USAGE;
	}
	if (o->json && !o->out) {
		policy_errorf(ctx, "bundle create: --json needs -o OUT (standard output is the bundle)");
		return GW_EXIT_USAGE;
	}
	return 0;
}

/* --image CLASS=FILE into m's next payload; *path points into arg. With
 * encryption (cek) the image is also encrypted once to measure its member. */
static int add_image(const char *arg, struct manifest *m, const uint8_t *cek, const char **path,
		     gw_error *err)
{
	struct manifest_payload *p = &m->payloads[m->npayloads];
	const char *eq = strchr(arg, '=');
	size_t n = eq ? (size_t)(eq - arg) : 0;
	int rc;

	if (!eq || n > MANIFEST_NAME_MAX || !eq[1])
		return gw_fail(err, GW_E_INVAL, "--image '%.128s' is not CLASS=FILE", arg);
	memcpy(p->class_name, arg, n);
	p->class_name[n] = '\0';
	if (!manifest_name_ok(p->class_name))
		return gw_fail(err, GW_E_INVAL,
			       "--image: class '%s' must be 1 to %d of A-Z a-z 0-9 . _ - starting "
			       "with a letter or digit",
			       p->class_name, MANIFEST_NAME_MAX);
	if (manifest_payload_of(m, p->class_name))
		return gw_fail(err, GW_E_INVAL, "--image: class '%s' given twice", p->class_name);
	rc = gw_snprintf(p->member, sizeof(p->member), "%s%s", BUNDLE_PAYLOAD_PREFIX,
			 p->class_name);
	if (!rc && cek)
		rc = bundle_measure_encrypted(eq + 1, cek, (uint32_t)m->npayloads, m->chunk_size, p,
					      err);
	else if (!rc)
		rc = bundle_measure(eq + 1, &p->size, p->sha256, err);
	if (rc)
		return rc;
	*path = eq + 1;
	m->npayloads++;
	return 0;
}

/* --boot-file PATH=FILE into m's next boot file: the SHA-256 of FILE's bytes, the
 * digest GRUB extends for it. */
static int add_boot_file(const char *arg, struct manifest *m, gw_error *err)
{
	struct manifest_boot_file *f = &m->boot_files[m->nboot_files];
	const char *eq = strchr(arg, '=');
	size_t n = eq ? (size_t)(eq - arg) : 0;
	uint64_t size = 0;
	int rc;

	if (!eq || n > MANIFEST_BOOT_PATH_MAX || !eq[1])
		return gw_fail(err, GW_E_INVAL, "--boot-file '%.128s' is not PATH=FILE", arg);
	memcpy(f->path, arg, n);
	f->path[n] = '\0';
	if (!manifest_boot_path_ok(f->path))
		return gw_fail(err, GW_E_INVAL, "--boot-file: path '%.128s' must be '/' and up to "
			       "%d more printable characters, no space", f->path,
			       MANIFEST_BOOT_PATH_MAX - 1);
	rc = bundle_measure(eq + 1, &size, f->sha256, err);
	if (rc) {
		gw_error_prefix(err, "--boot-file %s: ", f->path);
		return rc;
	}
	for (size_t i = 0; i < m->nboot_files; i++) {
		if (!strcmp(m->boot_files[i].path, f->path))
			return gw_fail(err, GW_E_INVAL, "--boot-file: path '%s' given twice", f->path);
		if (!memcmp(m->boot_files[i].sha256, f->sha256, sizeof(f->sha256)))
			return gw_fail(err, GW_E_INVAL, "--boot-file %s: the same bytes as %s (the "
				       "bootloader's PCR could not tell them apart)", f->path,
				       m->boot_files[i].path);
	}
	m->nboot_files++;
	return 0;
}

/* The creation time: SOURCE_DATE_EPOCH when set (reproducible bundles), else now. */
static int created_at(time_t *out, gw_error *err)
{
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	uint64_t v = 0;

	if (!sde || !*sde) {
		*out = time(NULL);
		return 0;
	}
	if (gw_parse_u64(sde, 253402300799ull, &v))
		return gw_fail(err, GW_E_INVAL, "SOURCE_DATE_EPOCH '%.32s' is not seconds since 1970",
			       sde);
	*out = (time_t)v;
	return 0;
}

static int fill_names(const struct create_opts *o, struct manifest *m, gw_error *err)
{
	uint64_t sv = 0;

	for (size_t i = 0; i < o->nmodels; i++) {
		if (!manifest_name_ok(o->models[i]))
			return gw_fail(err, GW_E_INVAL,
				       "--model '%.80s' must be 1 to %d of A-Z a-z 0-9 . _ - starting "
				       "with a letter or digit",
				       o->models[i], MANIFEST_NAME_MAX);
		if (manifest_has_model(m, o->models[i]))
			return gw_fail(err, GW_E_INVAL, "--model '%s' given twice", o->models[i]);
		m->models[i] = strdup(o->models[i]);
		if (!m->models[i])
			return GW_E_NOMEM;
		m->nmodels++;
	}
	if (!manifest_name_ok(o->channel))
		return gw_fail(err, GW_E_INVAL,
			       "--channel '%.80s' must be 1 to %d of A-Z a-z 0-9 . _ - starting "
			       "with a letter or digit",
			       o->channel, MANIFEST_NAME_MAX);
	memcpy(m->channel, o->channel, strlen(o->channel) + 1);
	if (!manifest_version_ok(o->version))
		return gw_fail(err, GW_E_INVAL,
			       "--version '%.80s' must be 1 to %d printable characters, no space",
			       o->version, MANIFEST_VERSION_MAX);
	memcpy(m->version, o->version, strlen(o->version) + 1);
	if (gw_parse_u64(o->secver, INT64_MAX - 1, &sv))
		return gw_fail(err, GW_E_INVAL, "--security-version '%.32s' is not a number 0 or more",
			       o->secver);
	m->security_version = sv;
	m->reboot_required = o->reboot;
	m->eol_transition = o->eol;
	return 0;
}

static int read_notes(const char *path, struct manifest *m, gw_error *err)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc = gw_read_file(strcmp(path, "-") ? path : "/dev/stdin", MANIFEST_MAX_NOTES, &buf,
			      &len, err);

	if (rc) {
		gw_error_prefix(err, "--notes: ");
		return rc == GW_E_TOOBIG ? GW_E_INVAL : rc;
	}
	if (strlen((char *)buf) != len || !gw_utf8_valid((char *)buf)) {
		free(buf);
		return gw_fail(err, GW_E_INVAL, "--notes %s: not UTF-8 text (or a NUL byte)", path);
	}
	m->notes = (char *)buf; /* transferred */
	return 0;
}

/* The rotated root riding along must follow the current one (or devices would
 * refuse to pin it); it is carried as its compact envelope. */
static int add_new_root(const char *path, const struct root *cur, time_t now,
			struct manifest *m, gw_error *err)
{
	struct root *next = NULL;
	char *text = NULL;
	int rc = root_load(path, &next, err);

	if (!rc)
		rc = root_verify_successor(cur, next, now, err);
	if (rc) {
		gw_error_prefix(err, "--new-root %s: ", path);
		goto out;
	}
	rc = dsse_format(next->env, &text);
	if (rc)
		goto out;
	m->root = (uint8_t *)text; /* transferred */
	m->root_len = strlen(text);
out:
	root_free(next);
	return rc;
}

/* Every key is a targets key of root, no key twice (however encoded), and
 * together they reach the targets threshold. */
static int check_signers(const struct root_signers *s, const struct root *root, gw_error *err)
{
	const struct root_role *t = &root->role[ROOT_ROLE_TARGETS];
	char id[DSSE_MAX_SIGS][DSSE_KEYID_LEN];

	for (size_t i = 0; i < s->n; i++) {
		bool found = false;

		if (dsse_keyid(s->key[i], id[i]))
			return gw_fail(err, GW_E_CRYPTO, "encoding a public key failed");
		for (size_t k = 0; k < t->nkeys && !found; k++)
			found = !strcmp(t->keyid[k], id[i]);
		if (!found)
			return gw_fail(err, GW_E_SIGNATURE,
				       "--key %s (keyid %s) is not a targets key of root version "
				       "%llu: its signature would not count",
				       s->path[i], id[i], (unsigned long long)root->version);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(id[i], id[j]))
				return gw_fail(err, GW_E_SIGNATURE,
					       "--key %s is the same key as --key %s: a key counts "
					       "once",
					       s->path[i], s->path[j]);
	}
	if (s->n < t->threshold)
		return gw_fail(err, GW_E_SIGNATURE,
			       "%zu targets key%s given, root version %llu requires %u",
			       s->n, s->n == 1 ? "" : "s", (unsigned long long)root->version,
			       t->threshold);
	return 0;
}

/* --encrypt-for: a fresh content key, wrapped for the release key into m. */
static int add_encryption(struct create_opts *o, struct manifest *m, gw_error *err)
{
	json_object *w = NULL;
	const char *text;
	int rc = policy_pub_read(o->encrypt_for, &o->release_pub, err);

	if (!rc && RAND_bytes(o->cek, sizeof(o->cek)) != 1) {
		ERR_clear_error();
		rc = gw_fail(err, GW_E_CRYPTO, "no random content key");
	}
	if (!rc)
		rc = keywrap_seal(o->release_pub, o->cek, KEYWRAP_CONTEXT_RELEASE, &w, err);
	if (rc) {
		gw_error_prefix(err, "--encrypt-for %s: ", o->encrypt_for);
		return rc;
	}
	text = json_object_to_json_string_ext(w, JSON_C_TO_STRING_PLAIN |
							 JSON_C_TO_STRING_NOSLASHESCAPE);
	m->wrapped_key = text ? strdup(text) : NULL;
	json_object_put(w);
	if (!m->wrapped_key)
		return GW_E_NOMEM;
	m->encrypted = true;
	m->chunk_size = PAYLOAD_AEAD_CHUNK_DEFAULT;
	return 0;
}

/* The manifest of the options, formatted, signed and checked the way a device
 * checks it: *env is the caller's. */
static int build_signed(struct create_opts *o, const struct root *root, struct manifest *m,
			const char **paths, char **env, gw_error *err)
{
	struct dsse_envelope *parsed = NULL;
	struct manifest *back = NULL;
	char *doc = NULL;
	size_t len = 0;
	int rc = created_at(&m->created, err);

	if (!rc && o->expires)
		rc = root_cli_expires(o->expires, m->created, &m->expires, err);
	if (!rc)
		rc = fill_names(o, m, err);
	if (!rc && o->encrypt_for)
		rc = add_encryption(o, m, err);
	for (size_t i = 0; !rc && i < o->nimages; i++)
		rc = add_image(o->images[i], m, o->encrypt_for ? o->cek : NULL, &paths[i], err);
	for (size_t i = 0; !rc && i < o->nboot_files; i++)
		rc = add_boot_file(o->boot_files[i], m, err);
	if (!rc && o->notes)
		rc = read_notes(o->notes, m, err);
	if (!rc && o->new_root)
		rc = add_new_root(o->new_root, root, time(NULL), m, err);
	if (rc)
		return rc;
	rc = manifest_format(m, &doc, &len);
	if (!rc)
		rc = manifest_parse((const uint8_t *)doc, len, &back, err);
	if (rc) {
		rc = gw_fail(err, rc, "the manifest would not read back: %s", gw_error_msg(err, rc));
		goto out;
	}
	memcpy(m->digest, back->digest, sizeof(m->digest));
	memcpy(m->digest_hex, back->digest_hex, sizeof(m->digest_hex));
	rc = dsse_sign(MANIFEST_PAYLOAD_TYPE, (const uint8_t *)doc, len, o->signers.key,
		       o->signers.n, env, err);
	if (!rc)
		rc = dsse_parse((const uint8_t *)*env, strlen(*env), &parsed, err);
	if (!rc)
		rc = root_verify_envelope(root, ROOT_ROLE_TARGETS, parsed, MANIFEST_PAYLOAD_TYPE, NULL,
					  err);
out:
	dsse_free(parsed);
	manifest_free(back);
	free(doc);
	return rc;
}

/* The bundle to OUT atomically (a temporary file beside it, fsync, rename), or to
 * standard output, never a terminal. */
static int write_out(const char *out, const char *env, const struct manifest *m,
		     const char *const *paths, const uint8_t *cek, gw_error *err)
{
	char tmp[PATH_MAX];
	int fd = -1;
	int rc;

	if (!out || !strcmp(out, "-")) {
		if (isatty(STDOUT_FILENO))
			return gw_fail(err, GW_E_INVAL, "refusing to write a bundle to a terminal: "
					"give -o OUT or redirect standard output");
		rc = bundle_write_encrypted_fd(STDOUT_FILENO, (const uint8_t *)env, strlen(env), m,
					       paths, cek, err);
		if (rc)
			gw_error_prefix(err, "standard output is not a bundle: ");
		return rc;
	}
	rc = gw_open_tmp(out, 0644, tmp, sizeof(tmp), &fd, err);
	if (rc)
		return rc;
	rc = bundle_write_encrypted_fd(fd, (const uint8_t *)env, strlen(env), m, paths, cek, err);
	if (!rc && fsync(fd))
		rc = gw_fail(err, GW_E_IO, "%s: %s", tmp, strerror(errno));
	if (close(fd) && !rc)
		rc = gw_fail(err, GW_E_IO, "%s: %s", tmp, strerror(errno));
	if (!rc)
		rc = gw_rename_durable(tmp, out, err);
	if (rc)
		unlink(tmp);
	return rc;
}

static void create_report(const struct create_opts *o, const struct root *root,
			  const struct manifest *m, const char *env)
{
	struct dsse_envelope *parsed = NULL;
	struct bundle_report rep = { .m = m, .payloads_checked = true };
	struct dsse_result res;
	json_object *j;

	fprintf(stderr,
		"gwpolicy: bundle %s: version %s, security version %llu, %zu payload%s, "
		"manifest sha256:%s, signed by %zu targets key%s (root version %llu requires %u)\n",
		o->out && strcmp(o->out, "-") ? o->out : "(standard output)", m->version,
		(unsigned long long)m->security_version, m->npayloads, m->npayloads == 1 ? "" : "s",
		m->digest_hex, o->signers.n, o->signers.n == 1 ? "" : "s",
		(unsigned long long)root->version, root->role[ROOT_ROLE_TARGETS].threshold);
	if (!o->json || dsse_parse((const uint8_t *)env, strlen(env), &parsed, NULL))
		return;
	if (!root_verify_envelope(root, ROOT_ROLE_TARGETS, parsed, MANIFEST_PAYLOAD_TYPE, &res,
				  NULL))
		rep.res = &res;
	rep.env = parsed;
	j = bundle_report_json(&rep);
	json_object_object_add(j, "file", json_object_new_string(o->out));
	root_print_json(j, GW_EXIT_OK, NULL);
	dsse_free(parsed);
}

int cmd_bundle_create(struct policy_ctx *ctx, int argc, char **argv)
{
	struct create_opts o = { 0 };
	const char *paths[MANIFEST_MAX_PAYLOADS] = { 0 };
	struct manifest *m = calloc(1, sizeof(*m));
	struct root *root = NULL;
	char *env = NULL;
	gw_error err = { { 0 } };
	int ret = create_args(ctx, argc, argv, &o);
	int rc = 0;

	if (ret || !m) {
		free(m);
		return ret < 0 ? GW_EXIT_OK : ret ? ret : GW_EXIT_ERROR;
	}
	rc = root_load(o.root, &root, &err);
	if (!rc)
		rc = root_verify_self(root, time(NULL), &err);
	if (rc) {
		gw_error_prefix(&err, "--root %s: ", o.root);
		goto out;
	}
	rc = root_signers_load(&o.signers, &err);
	if (!rc)
		rc = check_signers(&o.signers, root, &err);
	if (!rc)
		rc = build_signed(&o, root, m, paths, &env, &err);
	if (!rc)
		rc = write_out(o.out, env, m, paths, o.encrypt_for ? o.cek : NULL, &err);
	if (!rc)
		create_report(&o, root, m, env);
out:
	if (rc) {
		ret = root_exit_for(rc);
		policy_errorf(ctx, "bundle create: %s", gw_error_msg(&err, rc));
		if (o.json)
			root_print_json(NULL, ret, gw_error_msg(&err, rc));
	}
	OPENSSL_cleanse(o.cek, sizeof(o.cek));
	EVP_PKEY_free(o.release_pub);
	free(env);
	manifest_free(m);
	root_free(root);
	root_signers_free(&o.signers);
	return ret;
}
