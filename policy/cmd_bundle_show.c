// SPDX-License-Identifier: Apache-2.0
// gwpolicy bundle inspect (the manifest, NOT verified) and bundle verify (the whole
// stream checked as a device checks it), and the report both print.
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bundle_cli.h"
#include "payload_aead.h"
#include "root_cli.h"
#include "util.h"

#define NOT_VERIFIED                                                                       \
	"NOT VERIFIED: nothing below is authenticated (signatures and payloads unchecked); " \
	"run 'gwpolicy bundle verify --root ROOT' for that"

static void show_usage(FILE *f, bool verify)
{
	if (verify)
		fprintf(f,
			"usage: gwpolicy bundle verify --root ROOT [--json] BUNDLE\n\n"
			"Reads BUNDLE (- for standard input) as a device does: the trust root\n"
			"must verify itself and be unexpired; the manifest's envelope must carry a\n"
			"threshold of ROOT's targets signatures before anything after it is read;\n"
			"then every member must be exactly the next payload the manifest lists\n"
			"(regular file, exact size, SHA-256) and nothing may follow. The manifest\n"
			"must not have expired, and a trust root riding along must follow ROOT.\n"
			"Exit 0 when all of it holds; %d signatures, %d malformed or not what the\n"
			"manifest lists, %d a payload's digest, %d expired.\n\n"
			"  --root ROOT  the signed trust root (root.json)\n"
			"  --json       the result as one JSON object on standard output\n",
			GW_EXIT_SIGNATURE, GW_EXIT_EVIDENCE, GW_EXIT_REFERENCE, GW_EXIT_STATE);
	else
		fprintf(f,
			"usage: gwpolicy bundle inspect [--json] BUNDLE\n\n"
			"Shows the manifest of BUNDLE (- for standard input) and who signed it,\n"
			"WITHOUT verifying anything: use 'gwpolicy bundle verify' to decide.\n\n"
			"  --json  the manifest as one JSON object on standard output\n");
}

static void print_time(const char *label, time_t t)
{
	char buf[GW_TIME_LEN];

	gw_time_format_utc((int64_t)t, buf);
	printf("%-18s %s\n", label, t ? buf : "never");
}

/* The wrapped key's kid: which release key can open the bundle. */
static const char *wrapped_for(const struct manifest *m, char kid[65])
{
	const char *k = m->wrapped_key ? strstr(m->wrapped_key, "\"kid\":\"") : NULL;

	snprintf(kid, 65, "%.64s", k ? k + 7 : "?");
	return kid;
}

static void print_encryption(const struct manifest *m)
{
	char kid[65];

	if (!m->encrypted)
		return;
	printf("%-18s %s, %u-byte chunks, content key wrapped for release key %s\n",
	       "encryption", PAYLOAD_AEAD_ALG, m->chunk_size, wrapped_for(m, kid));
	for (size_t i = 0; i < m->npayloads; i++)
		printf("%-18s %-10s %12llu bytes  sha256:%02x%02x%02x%02x...\n",
		       i ? "" : "stored (encrypted)", m->payloads[i].class_name,
		       (unsigned long long)m->payloads[i].stored_size,
		       m->payloads[i].stored_sha256[0], m->payloads[i].stored_sha256[1],
		       m->payloads[i].stored_sha256[2], m->payloads[i].stored_sha256[3]);
}

/* The riding root's version and digest, for reports (the root is not trusted
 * here: verify checks it separately). */
static struct root *riding_root(const struct manifest *m)
{
	struct root *r = NULL;

	if (m->root && root_parse(m->root, m->root_len, &r, NULL))
		return NULL;
	return r;
}

void bundle_print_text(const struct bundle_report *rep)
{
	const struct manifest *m = rep->m;
	struct root *nr = riding_root(m);

	printf("%-18s sha256:%s\n", "manifest", m->digest_hex);
	printf("%-18s", "models");
	for (size_t i = 0; i < m->nmodels; i++)
		printf(" %s", m->models[i]);
	printf("\n%-18s %s\n%-18s %s\n%-18s %llu\n", "channel", m->channel, "version", m->version,
	       "security version", (unsigned long long)m->security_version);
	print_time("created", m->created);
	print_time("expires", m->expires);
	printf("%-18s %s\n", "reboot required", m->reboot_required ? "yes" : "no");
	printf("%-18s %s\n", "eol transition", m->eol_transition ? "yes" : "no");
	for (size_t i = 0; i < m->npayloads; i++)
		printf("%-18s %-10s %12llu bytes  sha256:%02x%02x%02x%02x...%s\n",
		       i ? "" : "payloads", m->payloads[i].class_name,
		       (unsigned long long)m->payloads[i].size, m->payloads[i].sha256[0],
		       m->payloads[i].sha256[1], m->payloads[i].sha256[2], m->payloads[i].sha256[3],
		       rep->payloads_checked ? m->encrypted ? "  stored ok" : "  ok" : "");
	for (size_t i = 0; i < m->nboot_files; i++) {
		char hex[65];

		gw_hex_encode(m->boot_files[i].sha256, 32, hex);
		printf("%-18s %s  sha256:%s\n", i ? "" : "boot files", m->boot_files[i].path, hex);
	}
	print_encryption(m);
	if (m->root)
		printf("%-18s version %llu, sha256:%s\n", "new trust root",
		       nr ? (unsigned long long)nr->version : 0ull, nr ? nr->digest_hex : "?");
	for (size_t i = 0; rep->env && i < rep->env->nsigs; i++)
		printf("%-18s %.64s  %s\n", i ? "" : "signatures", rep->env->sigs[i].keyid,
		       rep->res ? dsse_status_name(rep->res->status[i]) : "(not verified)");
	if (m->notes)
		printf("notes:\n%s%s", m->notes,
		       *m->notes && m->notes[strlen(m->notes) - 1] == '\n' ? "" : "\n");
	root_free(nr);
}

static json_object *payloads_json(const struct manifest *m)
{
	json_object *arr = json_object_new_array();

	for (size_t i = 0; i < m->npayloads; i++) {
		json_object *p = json_object_new_object();
		char hex[65];

		gw_hex_encode(m->payloads[i].sha256, 32, hex);
		json_object_object_add(p, "class", json_object_new_string(m->payloads[i].class_name));
		json_object_object_add(p, "member", json_object_new_string(m->payloads[i].member));
		json_object_object_add(p, "size", json_object_new_int64((int64_t)m->payloads[i].size));
		json_object_object_add(p, "sha256", json_object_new_string(hex));
		if (m->encrypted) {
			gw_hex_encode(m->payloads[i].stored_sha256, 32, hex);
			json_object_object_add(p, "stored_size",
					       json_object_new_int64((int64_t)m->payloads[i].stored_size));
			json_object_object_add(p, "stored_sha256", json_object_new_string(hex));
		}
		json_object_array_add(arr, p);
	}
	return arr;
}

static json_object *boot_files_json(const struct manifest *m)
{
	json_object *arr = json_object_new_array();

	for (size_t i = 0; arr && i < m->nboot_files; i++) {
		json_object *f = json_object_new_object();
		char hex[65];

		gw_hex_encode(m->boot_files[i].sha256, 32, hex);
		json_object_object_add(f, "path", json_object_new_string(m->boot_files[i].path));
		json_object_object_add(f, "sha256", json_object_new_string(hex));
		json_object_array_add(arr, f);
	}
	return arr;
}

json_object *bundle_report_json(const struct bundle_report *rep)
{
	const struct manifest *m = rep->m;
	json_object *o = json_object_new_object(), *models = json_object_new_array();
	json_object *sigs = json_object_new_array();
	struct root *nr = riding_root(m);
	char t[GW_TIME_LEN];

	json_object_object_add(o, "verified", json_object_new_boolean(rep->res != NULL));
	json_object_object_add(o, "payloads_checked", json_object_new_boolean(rep->payloads_checked));
	json_object_object_add(o, "manifest_digest", json_object_new_string(m->digest_hex));
	for (size_t i = 0; i < m->nmodels; i++)
		json_object_array_add(models, json_object_new_string(m->models[i]));
	json_object_object_add(o, "models", models);
	json_object_object_add(o, "channel", json_object_new_string(m->channel));
	json_object_object_add(o, "version", json_object_new_string(m->version));
	json_object_object_add(o, "security_version",
			       json_object_new_int64((int64_t)m->security_version));
	gw_time_format_utc((int64_t)m->created, t);
	json_object_object_add(o, "created", json_object_new_string(t));
	gw_time_format_utc((int64_t)m->expires, t);
	json_object_object_add(o, "expires", m->expires ? json_object_new_string(t) : NULL);
	json_object_object_add(o, "reboot_required", json_object_new_boolean(m->reboot_required));
	json_object_object_add(o, "eol_transition", json_object_new_boolean(m->eol_transition));
	json_object_object_add(o, "payloads", payloads_json(m));
	json_object_object_add(o, "boot_files", boot_files_json(m));
	if (m->encrypted) {
		json_object *e = json_object_new_object();
		char kid[65];

		json_object_object_add(e, "alg", json_object_new_string(PAYLOAD_AEAD_ALG));
		json_object_object_add(e, "chunk_size", json_object_new_int64(m->chunk_size));
		json_object_object_add(e, "wrapped_for", json_object_new_string(wrapped_for(m, kid)));
		json_object_object_add(o, "encryption", e);
	} else {
		json_object_object_add(o, "encryption", NULL);
	}
	json_object_object_add(o, "notes", m->notes ? json_object_new_string(m->notes) : NULL);
	if (nr) {
		json_object *r = json_object_new_object();

		json_object_object_add(r, "version", json_object_new_int64((int64_t)nr->version));
		json_object_object_add(r, "digest", json_object_new_string(nr->digest_hex));
		json_object_object_add(o, "new_root", r);
	}
	for (size_t i = 0; rep->env && i < rep->env->nsigs; i++) {
		json_object *s = json_object_new_object();

		json_object_object_add(s, "keyid", json_object_new_string(rep->env->sigs[i].keyid));
		json_object_object_add(s, "status",
				       rep->res ? json_object_new_string(dsse_status_name(
							  rep->res->status[i]))
						: json_object_new_string("not-verified"));
		json_object_array_add(sigs, s);
	}
	json_object_object_add(o, "signatures", sigs);
	if (rep->res) {
		json_object_object_add(o, "valid", json_object_new_int64(rep->res->valid));
		json_object_object_add(o, "threshold", json_object_new_int64(rep->res->threshold));
	}
	root_free(nr);
	return o;
}

/* The bundle's fd ("-": standard input). */
static int open_bundle(const char *path, int *fd, gw_error *err)
{
	if (!strcmp(path, "-")) {
		*fd = STDIN_FILENO;
		return 0;
	}
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		return gw_fail(err, errno == ENOENT ? GW_E_NOTFOUND : GW_E_IO, "%s", strerror(errno));
	return 0;
}

/* Options of inspect and verify: 0, or an exit code (-1: --help printed). */
static int show_args(int argc, char **argv, bool verify, const char **root, bool *json,
		     const char **file)
{
	static const struct option opts[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'r' && verify) {
			*root = optarg;
		} else if (c == 'j') {
			*json = true;
		} else if (c == 'h') {
			show_usage(stdout, verify);
			return -1;
		} else {
			show_usage(stderr, verify);
			return GW_EXIT_USAGE;
		}
	}
	if (optind != argc - 1 || (verify && !*root)) {
		show_usage(stderr, verify);
		return GW_EXIT_USAGE;
	}
	*file = argv[optind];
	return 0;
}

int cmd_bundle_inspect(struct policy_ctx *ctx, int argc, char **argv)
{
	struct bundle_reader *r = NULL;
	const char *root = NULL, *file = NULL;
	gw_error err = { { 0 } };
	bool json = false;
	int ret = show_args(argc, argv, false, &root, &json, &file);
	int rc = 0, fd = -1;

	if (ret)
		return ret < 0 ? GW_EXIT_OK : ret;
	rc = open_bundle(file, &fd, &err);
	if (!rc)
		rc = bundle_open_unverified(fd, &r, &err);
	if (rc) {
		ret = root_exit_for(rc);
		policy_errorf(ctx, "bundle inspect: %s: %s", file, gw_error_msg(&err, rc));
		if (json)
			root_print_json(NULL, ret, gw_error_msg(&err, rc));
	} else {
		struct bundle_report rep = { .m = bundle_manifest(r), .env = bundle_dsse(r) };

		if (json) {
			root_print_json(bundle_report_json(&rep), GW_EXIT_OK, NULL);
		} else {
			printf("%s\n", NOT_VERIFIED);
			bundle_print_text(&rep);
		}
		fprintf(stderr, "gwpolicy: bundle inspect: %s: NOT verified\n", file);
	}
	bundle_reader_free(r);
	if (fd > STDIN_FILENO)
		close(fd);
	return ret;
}

/* The checks of a verified manifest that need the time: its expiry, and the
 * riding root's right to follow root. */
static int check_times(const struct manifest *m, const struct root *root, time_t now,
		       gw_error *err)
{
	char t[GW_TIME_LEN];
	struct root *nr = NULL;
	int rc = 0;

	if (m->expires && now >= m->expires) {
		gw_time_format_utc((int64_t)m->expires, t);
		return gw_fail(err, GW_E_STATE, "the manifest expired at %s: devices refuse it", t);
	}
	if (!m->root)
		return 0;
	rc = root_parse(m->root, m->root_len, &nr, err);
	if (!rc)
		rc = root_verify_successor(root, nr, now, err);
	if (rc)
		gw_error_prefix(err, "the new trust root in the manifest: ");
	root_free(nr);
	return rc;
}

int cmd_bundle_verify(struct policy_ctx *ctx, int argc, char **argv)
{
	struct bundle_reader *r = NULL;
	struct root *root = NULL;
	struct dsse_result res;
	const char *rootpath = NULL, *file = NULL;
	gw_error err = { { 0 } };
	time_t now = time(NULL);
	bool json = false;
	int ret = show_args(argc, argv, true, &rootpath, &json, &file);
	int rc = 0, fd = -1;

	if (ret)
		return ret < 0 ? GW_EXIT_OK : ret;
	rc = root_load(rootpath, &root, &err);
	if (!rc)
		rc = root_verify_self(root, now, &err);
	if (rc) {
		gw_error_prefix(&err, "--root %s: ", rootpath);
		goto out;
	}
	memset(&res, 0, sizeof(res));
	rc = open_bundle(file, &fd, &err);
	if (!rc)
		rc = bundle_open_fd(fd, root, &res, &r, &err);
	if (!rc)
		rc = bundle_finish(r, &err);
	if (!rc)
		rc = check_times(bundle_manifest(r), root, now, &err);
	if (rc)
		gw_error_prefix(&err, "%s: ", file);
out:
	ret = rc ? root_exit_for(rc) : GW_EXIT_OK;
	if (!rc) {
		struct bundle_report rep = { .m = bundle_manifest(r), .env = bundle_dsse(r),
					     .res = &res, .payloads_checked = true };

		if (json)
			root_print_json(bundle_report_json(&rep), ret, NULL);
		else
			bundle_print_text(&rep);
		if (!json)
			printf("OK: %u of required %u targets signatures valid, %zu payload%s match "
			       "the manifest%s\n",
			       res.valid, res.threshold, rep.m->npayloads,
			       rep.m->npayloads == 1 ? "" : "s",
			       rep.m->encrypted ? " (encrypted: the stored members; the images "
						  "need the release key: bundle decrypt)" : "");
	} else {
		policy_errorf(ctx, "bundle verify: %s", gw_error_msg(&err, rc));
		if (json)
			root_print_json(NULL, ret, gw_error_msg(&err, rc));
	}
	bundle_reader_free(r);
	root_free(root);
	if (fd > STDIN_FILENO)
		close(fd);
	return ret;
}
