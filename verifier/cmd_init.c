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

#include <arpa/inet.h>

#include "pki.h"
#include "store.h"
#include "util.h"
#include "verifier.h"

#define MAX_EK_CA 32

static void usage(FILE *f)
{
	fprintf(f, "usage: gwverifier init DIR [--listen HOST:PORT] [--ek-ca FILE]... [--id ID]\n\n"
		   "Creates a working verifier set-up in DIR, so that\n"
		   "'gwverifier serve --config DIR/verifier.conf' runs at once:\n"
		   "  ca.key ca.pem          the verifier's CA (issues the server and device\n"
		   "                         TLS certificates)\n"
		   "  server.key server.pem  the TLS server certificate for HOST\n"
		   "  gate.key gate.pub      the gate key (signs attestation results)\n"
		   "  ek-ca-N.pem            copies of the TPM manufacturer CAs to trust\n"
		   "  verifier.db            the store (SQLite), empty\n"
		   "  verifier.conf          the configuration, with paths relative to DIR\n"
		   "Private keys are created mode 0600 and never overwritten: DIR must not\n"
		   "hold a set-up already.\n\n"
		   "  --listen HOST:PORT  address to serve on (default 127.0.0.1:8443)\n"
		   "  --ek-ca FILE        a TPM manufacturer CA certificate (PEM or DER) whose\n"
		   "                      EK certificates are accepted; repeatable\n"
		   "  --id ID             verifier id named in results (default: host name)\n");
}

static int path_in(const char *dir, const char *name, char *buf, size_t len, gw_error *err)
{
	if (gw_snprintf(buf, len, "%s/%s", dir, name))
		return gw_fail(err, GW_E_INVAL, "%s: path too long", dir);
	return 0;
}

/* Host part of HOST:PORT as a subjectAltName value. */
static int san_for(const char *listen, char *san, size_t len)
{
	const char *colon = strrchr(listen, ':');
	char host[256];
	size_t n;
	unsigned char tmp[16];

	if (!colon)
		return GW_E_PARSE;
	n = (size_t)(colon - listen);
	if (listen[0] == '[' && n >= 2 && listen[n - 1] == ']') {
		listen++;
		n -= 2;
	}
	if (n == 0 || n >= sizeof(host))
		return GW_E_PARSE;
	memcpy(host, listen, n);
	host[n] = '\0';
	if (!strcmp(host, "0.0.0.0") || !strcmp(host, "::"))
		return gw_snprintf(san, len, "DNS:localhost,IP:127.0.0.1");
	/* An IP literal goes into an IP entry, a name into a DNS entry. */
	if (inet_pton(AF_INET, host, tmp) == 1 || inet_pton(AF_INET6, host, tmp) == 1)
		return gw_snprintf(san, len, "IP:%s,DNS:localhost", host);
	return gw_snprintf(san, len, "DNS:%s", host);
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
		     "#threshold = 2\n");
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

int cmd_init(struct verifier_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "ek-ca", required_argument, NULL, 'e' },
		{ "id", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *listen = "127.0.0.1:8443", *id = NULL, *ek_ca[MAX_EK_CA];
	size_t n_ek = 0;
	char path[PATH_MAX], san[300], host[128];
	EVP_PKEY *ca_key = NULL, *srv_key = NULL, *gate_key = NULL;
	X509 *ca = NULL, *srv = NULL, *ek = NULL;
	gw_error err = { { 0 } };
	const char *dir;
	struct stat st;
	int c, rc = 0, status = GW_EXIT_OK;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			listen = optarg;
			break;
		case 'e':
			if (n_ek >= MAX_EK_CA) {
				verifier_errorf(ctx, "at most %d --ek-ca", MAX_EK_CA);
				return GW_EXIT_USAGE;
			}
			ek_ca[n_ek++] = optarg;
			break;
		case 'i':
			id = optarg;
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
	dir = argv[optind];
	if (san_for(listen, san, sizeof(san))) {
		verifier_errorf(ctx, "--listen: expected HOST:PORT, got '%s'", listen);
		return GW_EXIT_USAGE;
	}
	if (!id) {
		if (gethostname(host, sizeof(host)) || !host[0])
			snprintf(host, sizeof(host), "gwverifier");
		host[sizeof(host) - 1] = '\0';
		id = host;
	}
	if (path_in(dir, "verifier.conf", path, sizeof(path), &err) == 0 && stat(path, &st) == 0) {
		verifier_errorf(ctx, "%s exists: %s already holds a verifier set-up", path, dir);
		return GW_EXIT_STATE;
	}
	rc = gw_mkdir_p(dir, 0700, &err);
	if (rc)
		goto fail;
	/* Check the EK CAs before writing anything. */
	for (size_t i = 0; i < n_ek; i++) {
		rc = pki_cert_read(ek_ca[i], &ek, &err);
		if (rc)
			goto fail;
		X509_free(ek);
		ek = NULL;
	}
	if ((rc = pki_key_generate(&ca_key, &err)) || (rc = pki_key_generate(&srv_key, &err)) ||
	    (rc = pki_key_generate(&gate_key, &err)))
		goto fail;
	{
		char cn[200];

		snprintf(cn, sizeof(cn), "Gatewarden verifier CA (%s)", id);
		if ((rc = pki_ca_create(ca_key, cn, 3650, &ca, &err)))
			goto fail;
	}
	if ((rc = pki_issue(ca, ca_key, srv_key, id, PKI_SERVER, san, 825, &srv, &err)))
		goto fail;
	if ((rc = path_in(dir, "ca.key", path, sizeof(path), &err)) ||
	    (rc = pki_key_write(path, ca_key, &err)) ||
	    (rc = path_in(dir, "ca.pem", path, sizeof(path), &err)) ||
	    (rc = pki_cert_write(path, ca, &err)) ||
	    (rc = path_in(dir, "server.key", path, sizeof(path), &err)) ||
	    (rc = pki_key_write(path, srv_key, &err)) ||
	    (rc = path_in(dir, "server.pem", path, sizeof(path), &err)) ||
	    (rc = pki_cert_write(path, srv, &err)) ||
	    (rc = path_in(dir, "gate.key", path, sizeof(path), &err)) ||
	    (rc = pki_key_write(path, gate_key, &err)) ||
	    (rc = path_in(dir, "gate.pub", path, sizeof(path), &err)) ||
	    (rc = pki_pubkey_write(path, gate_key, &err)))
		goto fail;
	for (size_t i = 0; i < n_ek; i++) {
		char name[32];

		snprintf(name, sizeof(name), "ek-ca-%zu.pem", i + 1);
		if ((rc = pki_cert_read(ek_ca[i], &ek, &err)) ||
		    (rc = path_in(dir, name, path, sizeof(path), &err)) ||
		    (rc = pki_cert_write(path, ek, &err)))
			goto fail;
		X509_free(ek);
		ek = NULL;
	}
	/* The empty store, so operator commands work before the first `serve`. */
	{
		char url[PATH_MAX + 8];
		struct store *store = NULL;

		if ((rc = path_in(dir, "verifier.db", path, sizeof(path), &err)) ||
		    (rc = gw_snprintf(url, sizeof(url), "sqlite:%s", path)) ||
		    (rc = store_open(url, &store, &err)))
			goto fail;
		store_close(store);
	}
	if ((rc = path_in(dir, "verifier.conf", path, sizeof(path), &err)) ||
	    (rc = write_conf(path, id, listen, n_ek, &err)))
		goto fail;
	printf("Verifier set-up created in %s (id %s, listening on %s).\n", dir, id, listen);
	printf("Devices trust its CA: give them %s/ca.pem (gwagent enroll --ca).\n", dir);
	if (n_ek == 0)
		printf("No --ek-ca given: no EK certificate is trusted yet; add 'ek_ca = FILE'\n"
		       "lines to [enrollment] in %s/verifier.conf.\n", dir);
	goto out;
fail:
	verifier_errorf(ctx, "init: %s", gw_error_msg(&err, rc));
	status = rc == GW_E_EXISTS ? GW_EXIT_STATE : gw_exit_for(rc);
	if (status == GW_EXIT_OK)
		status = GW_EXIT_ERROR;
out:
	X509_free(ek);
	X509_free(ca);
	X509_free(srv);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(srv_key);
	EVP_PKEY_free(gate_key);
	return status;
}
