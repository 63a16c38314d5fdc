// SPDX-License-Identifier: Apache-2.0
// gwverifier init: a working verifier set-up in one directory.
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "pki.h"
#include "relkey.h"
#include "servernames.h"
#include "store.h"
#include "util.h"
#include "verifier.h"

#define MAX_EK_CA 32

#define INIT_DEFAULT_DIR "/etc/gatewarden"

static void usage(FILE *f)
{
	fprintf(f, "usage: gwverifier init [DIR] [--listen ADDR:PORT] [--hostname NAME]...\n"
		   "                       [--ek-ca FILE]... [--id ID] [--json]\n\n"
		   "Creates a working verifier set-up in DIR (default " INIT_DEFAULT_DIR ", where\n"
		   "the other commands look for verifier.conf), so that\n"
		   "'gwverifier serve --config DIR/verifier.conf' runs at once:\n"
		   "  ca.key ca.pem          the verifier's CA (issues the server and device\n"
		   "                         TLS certificates)\n"
		   "  server.key server.pem  the TLS server certificate, for the --hostname names\n"
		   "  gate.key gate.pub      the gate key (signs attestation results)\n"
		   "  release.key            the release key: encrypted bundles are made for\n"
		   "                         it ('gwverifier release-key' prints its public\n"
		   "                         half); an existing one is kept\n"
		   "  ek-ca-N.pem            copies of the TPM manufacturer CAs to trust\n"
		   "  verifier.db            the store (SQLite), empty\n"
		   "  verifier.conf          the configuration, with paths relative to DIR\n"
		   "Private keys are created mode 0600 and never overwritten: DIR must not\n"
		   "hold a set-up already.\n\n"
		   "  --listen ADDR:PORT  address to serve on: IPV4:PORT or [IPV6]:PORT, numeric\n"
		   "                      (default 127.0.0.1:8443; 0.0.0.0 or [::] for all)\n"
		   "  --hostname NAME     a DNS name or IP address gateways use to reach this\n"
		   "                      verifier (the host of their https:// URL); repeatable.\n"
		   "                      The server certificate names exactly these, and the\n"
		   "                      --listen address unless it is 0.0.0.0 or ::. Default:\n"
		   "                      localhost, 127.0.0.1, ::1, this machine's host name\n"
		   "                      and the --listen address\n"
		   "  --ek-ca FILE        a TPM manufacturer CA certificate (PEM or DER) whose\n"
		   "                      EK certificates are accepted; repeatable\n"
		   "  --id ID             verifier id named in results (default: host name)\n"
		   "  --json              what was created, and the certificate's names, as JSON\n");
}

static int path_in(const char *dir, const char *name, char *buf, size_t len, gw_error *err)
{
	if (gw_snprintf(buf, len, "%s/%s", dir, name))
		return gw_fail(err, GW_E_INVAL, "%s: path too long", dir);
	return 0;
}

/* The server certificate's names: the --hostname ones, else the defaults; plus the
 * --listen address when it is a specific one. *defaulted says which. */
static int pick_names(const char *listen, const char *const *given, size_t n_given,
		      struct servernames *sn, bool *defaulted, gw_error *err)
{
	char self[256];
	int rc = 0;

	memset(sn, 0, sizeof(*sn));
	*defaulted = n_given == 0;
	for (size_t i = 0; !rc && i < n_given; i++) {
		rc = servernames_add(sn, given[i], err);
		if (rc)
			gw_error_prefix(err, "--hostname: ");
	}
	if (!rc && *defaulted) {
		if ((rc = servernames_add(sn, "localhost", err)) ||
		    (rc = servernames_add(sn, "127.0.0.1", err)) ||
		    (rc = servernames_add(sn, "::1", err)))
			return rc;
		self[sizeof(self) - 1] = '\0';
		if (gethostname(self, sizeof(self) - 1) == 0 && servernames_add(sn, self, NULL)) {
			/* Not a valid DNS name (an underscore, say): left out, not fatal. */
		}
	}
	if (!rc) {
		rc = servernames_add_listen(sn, listen, err);
		if (rc)
			gw_error_prefix(err, "--listen: ");
	}
	return rc;
}

static int write_conf(const char *path, const char *id, const char *listen, size_t n_ek,
		      gw_error *err)
{
	char *text = NULL;
	size_t cap = 4096, off = 0;
	int rc = 0, n;

	text = malloc(cap);
	if (!text)
		return GW_E_NOMEM;
	n = snprintf(text, cap,
		     "# Gatewarden verifier configuration (made by gwverifier init).\n"
		     "# Relative paths are relative to this file's directory.\n"
		     "[verifier]\n"
		     "id = %s\n"
		     "listen = %s\n"
		     "threads = 2\n"
		     "store = sqlite:verifier.db\n"
		     "tls_cert = server.pem\n"
		     "tls_key = server.key\n"
		     "ca_cert = ca.pem\n"
		     "ca_key = ca.key\n"
		     "gate_key = gate.key\n"
		     "nonce_ttl = 60\n"
		     "result_ttl = 300\n"
		     "\n"
		     "[enrollment]\n"
		     "# Devices wait for 'gwverifier device approve' unless this says\n"
		     "# 'all' or 'models:MODEL1,MODEL2'.\n"
		     "auto_approve = none\n"
		     "# POST /v1/enroll: at most COUNT per SECONDS from one source address\n"
		     "# and from all together ('off' for none).\n"
		     "rate_per_source = 10/60\n"
		     "rate_global = 120/60\n",
		     id, listen);
	if (n < 0 || (size_t)n >= cap) {
		rc = GW_E_TOOBIG;
		goto out;
	}
	off = (size_t)n;
	for (size_t i = 0; i < n_ek; i++) {
		n = snprintf(text + off, cap - off, "ek_ca = ek-ca-%zu.pem\n", i + 1);
		if (n < 0 || (size_t)n >= cap - off) {
			rc = GW_E_TOOBIG;
			goto out;
		}
		off += (size_t)n;
	}
	/* After the ek_ca lines, so that uncommenting it (or appending a [policy]
	 * section) keeps them in [enrollment]. */
	n = snprintf(text + off, cap - off,
		     "\n"
		     "# 'gwverifier policy add' accepts only policies signed (DSSE) by a\n"
		     "# threshold of these keys: PEM public keys from 'gwpolicy keygen', one\n"
		     "# 'key' line each; threshold defaults to all of them.\n"
		     "#[policy]\n"
		     "#key = policy-release-1.pub\n"
		     "#key = policy-release-2.pub\n"
		     "#threshold = 2\n"
		     "\n"
		     "[releases]\n"
		     "# The release private key (P-256, mode 0600) that encrypted bundles'\n"
		     "# content keys are wrapped for: 'gwverifier release-key' prints its\n"
		     "# public half for 'gwpolicy bundle create --encrypt-for'.\n"
		     "release_key = release.key\n"
		     "\n"
		     "# Prometheus metrics: GET /metrics over plain HTTP, no authentication;\n"
		     "# keep it on loopback or a monitoring network.\n"
		     "#[metrics]\n"
		     "#listen = 127.0.0.1:9464\n");
	if (n < 0 || (size_t)n >= cap - off) {
		rc = GW_E_TOOBIG;
		goto out;
	}
	off += (size_t)n;
	rc = gw_write_file_atomic(path, text, off, 0644, err);
out:
	free(text);
	return rc;
}

struct init_opts {
	const char *dir, *listen, *id;
	const char *ek_ca[MAX_EK_CA];
	size_t n_ek;
	const char *names[SERVERNAMES_MAX];
	size_t n_names;
	bool json;
	char host[128];
};

/* The id goes into verifier.conf as is: one line of printable text. */
static bool valid_id(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n > 128 || id[0] == ' ' || id[n - 1] == ' ')
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)id[i] < 0x20 || (unsigned char)id[i] >= 0x7f)
			return false;
	return true;
}

/* Returns -1 to go on, else the exit status. */
static int parse_args(const struct verifier_ctx *ctx, int argc, char **argv, struct init_opts *o)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "hostname", required_argument, NULL, 'H' },
		{ "ek-ca", required_argument, NULL, 'e' },
		{ "id", required_argument, NULL, 'i' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->listen = "127.0.0.1:8443";
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'l': o->listen = optarg; break;
		case 'i': o->id = optarg; break;
		case 'j': o->json = true; break;
		case 'e':
			if (o->n_ek >= MAX_EK_CA) {
				verifier_errorf(ctx, "at most %d --ek-ca", MAX_EK_CA);
				return GW_EXIT_USAGE;
			}
			o->ek_ca[o->n_ek++] = optarg;
			break;
		case 'H':
			if (o->n_names >= SERVERNAMES_MAX) {
				verifier_errorf(ctx, "at most %d --hostname", SERVERNAMES_MAX);
				return GW_EXIT_USAGE;
			}
			o->names[o->n_names++] = optarg;
			break;
		case 'h':
			usage(stdout);
			return GW_EXIT_OK;
		default:
			usage(stderr);
			return GW_EXIT_USAGE;
		}
	}
	if (optind + 1 < argc) {
		usage(stderr);
		return GW_EXIT_USAGE;
	}
	o->dir = optind < argc ? argv[optind] : INIT_DEFAULT_DIR;
	if (o->id && !valid_id(o->id)) {
		verifier_errorf(ctx, "--id: 1-128 printable characters, no leading or trailing "
				     "space, got '%s'", o->id);
		return GW_EXIT_USAGE;
	}
	if (!o->id) {
		if (gethostname(o->host, sizeof(o->host)) || !o->host[0])
			snprintf(o->host, sizeof(o->host), "gwverifier");
		o->host[sizeof(o->host) - 1] = '\0';
		o->id = o->host;
	}
	return -1;
}

/* A new release key, or the one DIR holds already if it is fit for use. */
static int write_release_key(const char *dir, gw_error *err)
{
	char path[PATH_MAX];
	EVP_PKEY *key = NULL;
	int rc = path_in(dir, "release.key", path, sizeof(path), err);

	if (!rc)
		rc = relkey_create(path, err);
	if (rc == GW_E_EXISTS) {
		rc = relkey_load(path, &key, err);
		EVP_PKEY_free(key);
	}
	return rc;
}

/* Everything but the store and the configuration: keys, CA, server certificate, the
 * EK CA copies. */
static int write_pki(const struct init_opts *o, const char *san, gw_error *err)
{
	EVP_PKEY *ca_key = NULL, *srv_key = NULL, *gate_key = NULL;
	X509 *ca = NULL, *srv = NULL, *ek = NULL;
	char path[PATH_MAX], cn[200];
	int rc;

	if ((rc = write_release_key(o->dir, err)) || (rc = pki_key_generate(&ca_key, err)) || (rc = pki_key_generate(&srv_key, err)) ||
	    (rc = pki_key_generate(&gate_key, err)))
		goto out;
	snprintf(cn, sizeof(cn), "Gatewarden verifier CA (%s)", o->id);
	if ((rc = pki_ca_create(ca_key, cn, 3650, &ca, err)) ||
	    (rc = pki_issue(ca, ca_key, srv_key, o->id, PKI_SERVER, san, 825, &srv, err)))
		goto out;
	if ((rc = path_in(o->dir, "ca.key", path, sizeof(path), err)) ||
	    (rc = pki_key_write(path, ca_key, err)) ||
	    (rc = path_in(o->dir, "ca.pem", path, sizeof(path), err)) ||
	    (rc = pki_cert_write(path, ca, err)) ||
	    (rc = path_in(o->dir, "server.key", path, sizeof(path), err)) ||
	    (rc = pki_key_write(path, srv_key, err)) ||
	    (rc = path_in(o->dir, "server.pem", path, sizeof(path), err)) ||
	    (rc = pki_cert_write(path, srv, err)) ||
	    (rc = path_in(o->dir, "gate.key", path, sizeof(path), err)) ||
	    (rc = pki_key_write(path, gate_key, err)) ||
	    (rc = path_in(o->dir, "gate.pub", path, sizeof(path), err)) ||
	    (rc = pki_pubkey_write(path, gate_key, err)))
		goto out;
	for (size_t i = 0; i < o->n_ek; i++) {
		char name[32];

		snprintf(name, sizeof(name), "ek-ca-%zu.pem", i + 1);
		if ((rc = pki_cert_read(o->ek_ca[i], &ek, err)) ||
		    (rc = path_in(o->dir, name, path, sizeof(path), err)) ||
		    (rc = pki_cert_write(path, ek, err)))
			goto out;
		X509_free(ek);
		ek = NULL;
	}
out:
	X509_free(ek);
	X509_free(ca);
	X509_free(srv);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(srv_key);
	EVP_PKEY_free(gate_key);
	return rc;
}

static int create_setup(const struct init_opts *o, const char *san, gw_error *err)
{
	char path[PATH_MAX], url[PATH_MAX + 8];
	struct store *store = NULL;
	X509 *ek = NULL;
	int rc;

	if ((rc = gw_mkdir_p(o->dir, 0700, err)))
		return rc;
	/* Check the EK CAs before writing anything. */
	for (size_t i = 0; i < o->n_ek; i++) {
		if ((rc = pki_cert_read(o->ek_ca[i], &ek, err)))
			return rc;
		X509_free(ek);
		ek = NULL;
	}
	if ((rc = write_pki(o, san, err)))
		return rc;
	/* The empty store, so operator commands work before the first `serve`. */
	if ((rc = path_in(o->dir, "verifier.db", path, sizeof(path), err)) ||
	    (rc = gw_snprintf(url, sizeof(url), "sqlite:%s", path)) ||
	    (rc = store_open(url, &store, err)))
		return rc;
	store_close(store);
	if ((rc = path_in(o->dir, "verifier.conf", path, sizeof(path), err)))
		return rc;
	return write_conf(path, o->id, o->listen, o->n_ek, err);
}

static void report_json(const struct init_opts *o, const struct servernames *sn, bool defaulted)
{
	json_object *j = json_object_new_object(), *names = json_object_new_array();
	char path[PATH_MAX];

	for (size_t i = 0; i < sn->n; i++) {
		json_object *e = json_object_new_object();

		json_object_object_add(e, "type", cli_json_str(sn->e[i].ip ? "ip" : "dns"));
		json_object_object_add(e, "name", cli_json_str(sn->e[i].name));
		json_object_array_add(names, e);
	}
	json_object_object_add(j, "dir", cli_json_str(o->dir));
	if (!path_in(o->dir, "verifier.conf", path, sizeof(path), NULL))
		json_object_object_add(j, "config", cli_json_str(path));
	if (!path_in(o->dir, "ca.pem", path, sizeof(path), NULL))
		json_object_object_add(j, "ca", cli_json_str(path));
	json_object_object_add(j, "id", cli_json_str(o->id));
	json_object_object_add(j, "listen", cli_json_str(o->listen));
	json_object_object_add(j, "server_names", names);
	json_object_object_add(j, "server_names_default", json_object_new_boolean(defaulted));
	json_object_object_add(j, "ek_ca_count", json_object_new_int((int)o->n_ek));
	cli_json_print(j);
	json_object_put(j);
}

static void report_text(const struct init_opts *o, const struct servernames *sn, bool defaulted)
{
	printf("Verifier set-up created in %s (id %s, listening on %s).\n", o->dir, o->id,
	       o->listen);
	printf("Server certificate names:");
	for (size_t i = 0; i < sn->n; i++)
		printf("%s %s", i ? "," : "", sn->e[i].name);
	printf("\n");
	if (defaulted)
		printf("No --hostname given: these are the defaults. Gateways must reach the\n"
		       "verifier by one of these names, or run init again with --hostname NAME\n"
		       "for each name and address they use.\n");
	printf("Devices trust its CA: give them %s/ca.pem (gwagent enroll --ca).\n", o->dir);
	if (o->n_ek == 0)
		printf("No --ek-ca given: no EK certificate is trusted yet; add 'ek_ca = FILE'\n"
		       "lines to [enrollment] in %s/verifier.conf.\n", o->dir);
}

int cmd_init(struct verifier_ctx *ctx, int argc, char **argv)
{
	struct init_opts o;
	struct servernames sn;
	gw_error err = { { 0 } };
	char path[PATH_MAX], san[SERVERNAMES_MAX * (SERVERNAMES_NAME_MAX + 6)];
	struct stat st;
	bool defaulted = false;
	int rc, status;

	status = parse_args(ctx, argc, argv, &o);
	if (status >= 0)
		return status;
	rc = pick_names(o.listen, o.names, o.n_names, &sn, &defaulted, &err);
	if (!rc)
		rc = servernames_san(&sn, san, sizeof(san));
	if (rc) {
		verifier_errorf(ctx, "%s", gw_error_msg(&err, rc));
		return GW_EXIT_USAGE;
	}
	if (path_in(o.dir, "verifier.conf", path, sizeof(path), &err) == 0 && stat(path, &st) == 0) {
		verifier_errorf(ctx, "%s exists: %s already holds a verifier set-up", path, o.dir);
		return GW_EXIT_STATE;
	}
	rc = create_setup(&o, san, &err);
	if (rc) {
		verifier_errorf(ctx, "init: %s", gw_error_msg(&err, rc));
		status = rc == GW_E_EXISTS ? GW_EXIT_STATE : gw_exit_for(rc);
		return status == GW_EXIT_OK ? GW_EXIT_ERROR : status;
	}
	if (o.json)
		report_json(&o, &sn, defaulted);
	else
		report_text(&o, &sn, defaulted);
	return GW_EXIT_OK;
}
