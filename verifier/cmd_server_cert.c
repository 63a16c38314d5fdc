// SPDX-License-Identifier: Apache-2.0
// gwverifier server-cert: a new server certificate, for new names, from the existing CA.
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/x509.h>

#include "cli.h"
#include "pki.h"
#include "servernames.h"
#include "util.h"
#include "vconfig.h"
#include "verifier.h"

#define SERVER_CERT_DAYS_MAX 825u

static void usage(FILE *f)
{
	fprintf(f, "usage: gwverifier server-cert [--config FILE] --hostname NAME... [--days N]\n"
		   "                              [--new-key] [--json]\n\n"
		   "Issues the verifier a new TLS server certificate (tls_cert) from its existing\n"
		   "CA (ca_cert, ca_key), for exactly the --hostname names and the listen\n"
		   "address (unless 0.0.0.0 or ::). Gateways keep their ca.pem and their\n"
		   "enrollment: nothing else changes. Restart 'gwverifier serve' afterwards: it\n"
		   "reads the certificate at start-up.\n\n"
		   "  --config FILE   verifier configuration (default %s)\n"
		   "  --hostname NAME a DNS name or IP address gateways use; repeatable. Give\n"
		   "                  every name, the ones the certificate has now included\n"
		   "  --days N        validity, 1-%u days (default %u)\n"
		   "  --new-key       a new server key (tls_key, mode 0600) instead of the\n"
		   "                  current one\n"
		   "  --json          the certificate's path, names and dates as JSON\n",
		CLI_DEFAULT_CONFIG, SERVER_CERT_DAYS_MAX, SERVER_CERT_DAYS_MAX);
}

struct sc_opts {
	const char *config;
	const char *names[SERVERNAMES_MAX];
	size_t n_names;
	unsigned days;
	bool new_key, json;
};

/* Returns -1 to go on, else the exit status. */
static int parse_args(const struct verifier_ctx *ctx, int argc, char **argv, struct sc_opts *o)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "hostname", required_argument, NULL, 'H' },
		{ "days", required_argument, NULL, 'd' },
		{ "new-key", no_argument, NULL, 'k' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int c;

	memset(o, 0, sizeof(*o));
	o->config = CLI_DEFAULT_CONFIG;
	o->days = SERVER_CERT_DAYS_MAX;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': o->config = optarg; break;
		case 'k': o->new_key = true; break;
		case 'j': o->json = true; break;
		case 'd':
			if (gw_parse_u64(optarg, SERVER_CERT_DAYS_MAX, &v) || v == 0) {
				verifier_errorf(ctx, "--days: 1-%u, got '%s'", SERVER_CERT_DAYS_MAX,
						optarg);
				return GW_EXIT_USAGE;
			}
			o->days = (unsigned)v;
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
	if (optind != argc || o->n_names == 0) {
		if (o->n_names == 0)
			verifier_errorf(ctx, "at least one --hostname: the names gateways use");
		usage(stderr);
		return GW_EXIT_USAGE;
	}
	return -1;
}

/* The CA's key and certificate, checked to belong together. */
static int load_ca(const struct vconfig *cfg, X509 **ca, EVP_PKEY **ca_key, gw_error *err)
{
	int rc;

	if ((rc = pki_cert_read(cfg->ca_cert, ca, err)) ||
	    (rc = pki_key_read(cfg->ca_key, ca_key, err)))
		return rc;
	if (X509_check_private_key(*ca, *ca_key) != 1)
		return gw_fail(err, GW_E_KEY, "%s is not the key of %s", cfg->ca_key, cfg->ca_cert);
	return 0;
}

/* The new key goes to "tls_key.new" (0600, O_EXCL, fsynced), then replaces
 * tls_key by rename just before the certificate replaces tls_cert. Interrupted in
 * between, the key is new and the certificate old: server-cert without --new-key
 * issues one for the key in place. */
static int new_key(const struct vconfig *cfg, EVP_PKEY **key, char *tmp, size_t len,
		   gw_error *err)
{
	int rc;

	if (gw_snprintf(tmp, len, "%s.new", cfg->tls_key))
		return gw_fail(err, GW_E_INVAL, "%s: path too long", cfg->tls_key);
	if (unlink(tmp) && errno != ENOENT) /* left by an interrupted run */
		return gw_fail(err, GW_E_IO, "%s: %s", tmp, strerror(errno));
	if ((rc = pki_key_generate(key, err)) || (rc = pki_key_write(tmp, *key, err)))
		return rc;
	return 0;
}

static int issue(const struct vconfig *cfg, const struct sc_opts *o, const char *san,
		 X509 **out, gw_error *err)
{
	EVP_PKEY *ca_key = NULL, *key = NULL;
	X509 *ca = NULL, *cert = NULL;
	char tmp[PATH_MAX];
	int rc;

	tmp[0] = '\0';
	if ((rc = load_ca(cfg, &ca, &ca_key, err)))
		goto out;
	rc = o->new_key ? new_key(cfg, &key, tmp, sizeof(tmp), err)
			: pki_key_read(cfg->tls_key, &key, err);
	if (rc || (rc = pki_issue(ca, ca_key, key, cfg->id, PKI_SERVER, san, o->days, &cert, err)))
		goto out;
	if (tmp[0] && rename(tmp, cfg->tls_key)) {
		rc = gw_fail(err, GW_E_IO, "%s: %s", cfg->tls_key, strerror(errno));
		goto out;
	}
	tmp[0] = '\0';
	/* Written to a temporary file, fsynced, renamed over tls_cert, directory fsynced. */
	if ((rc = pki_cert_write(cfg->tls_cert, cert, err)))
		goto out;
	*out = cert; /* transferred */
	cert = NULL;
out:
	if (tmp[0])
		unlink(tmp);
	X509_free(cert);
	X509_free(ca);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(key);
	return rc;
}

static void not_after(X509 *cert, char *buf, size_t len)
{
	struct tm tm;

	buf[0] = '\0';
	if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) == 1)
		strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void report(const struct vconfig *cfg, const struct sc_opts *o,
		   const struct servernames *sn, X509 *cert)
{
	char until[32], fp[65] = "";
	json_object *j, *names;

	not_after(cert, until, sizeof(until));
	if (pki_cert_fingerprint(cert, fp))
		fp[0] = '\0';
	if (!o->json) {
		printf("New server certificate in %s (key %s%s), valid until %s.\n", cfg->tls_cert,
		       o->new_key ? "new: " : "kept: ", cfg->tls_key, until);
		printf("Server certificate names:");
		for (size_t i = 0; i < sn->n; i++)
			printf("%s %s", i ? "," : "", sn->e[i].name);
		printf("\nRestart 'gwverifier serve' to use it. Gateways keep their ca.pem and "
		       "their enrollment.\n");
		return;
	}
	j = json_object_new_object();
	names = json_object_new_array();
	for (size_t i = 0; i < sn->n; i++) {
		json_object *e = json_object_new_object();

		json_object_object_add(e, "type", cli_json_str(sn->e[i].ip ? "ip" : "dns"));
		json_object_object_add(e, "name", cli_json_str(sn->e[i].name));
		json_object_array_add(names, e);
	}
	json_object_object_add(j, "cert", cli_json_str(cfg->tls_cert));
	json_object_object_add(j, "key", cli_json_str(cfg->tls_key));
	json_object_object_add(j, "new_key", json_object_new_boolean(o->new_key));
	json_object_object_add(j, "server_names", names);
	json_object_object_add(j, "not_after", cli_json_str(until));
	json_object_object_add(j, "sha256", cli_json_str(fp));
	json_object_object_add(j, "restart_needed", json_object_new_boolean(true));
	cli_json_print(j);
	json_object_put(j);
}

int cmd_server_cert(struct verifier_ctx *ctx, int argc, char **argv)
{
	struct sc_opts o;
	struct servernames sn;
	struct vconfig cfg;
	gw_error err = { { 0 } };
	char san[SERVERNAMES_MAX * (SERVERNAMES_NAME_MAX + 6)];
	X509 *cert = NULL;
	int rc, status;

	status = parse_args(ctx, argc, argv, &o);
	if (status >= 0)
		return status;
	memset(&sn, 0, sizeof(sn));
	rc = 0;
	for (size_t i = 0; !rc && i < o.n_names; i++)
		if ((rc = servernames_add(&sn, o.names[i], &err)))
			gw_error_prefix(&err, "--hostname: ");
	if (rc) {
		verifier_errorf(ctx, "%s", gw_error_msg(&err, rc));
		return GW_EXIT_USAGE;
	}
	vconfig_defaults(&cfg);
	rc = vconfig_load(o.config, &cfg, &err);
	if (rc) {
		verifier_errorf(ctx, "server-cert: %s", gw_error_msg(&err, rc));
		vconfig_fini(&cfg);
		return GW_EXIT_CONFIG;
	}
	if ((rc = servernames_add_listen(&sn, cfg.listen, &err)))
		gw_error_prefix(&err, "listen: ");
	if (!rc)
		rc = servernames_san(&sn, san, sizeof(san));
	if (!rc)
		rc = issue(&cfg, &o, san, &cert, &err);
	if (rc) {
		verifier_errorf(ctx, "server-cert: %s", gw_error_msg(&err, rc));
		status = gw_exit_for(rc);
		status = status == GW_EXIT_OK ? GW_EXIT_ERROR : status;
	} else {
		report(&cfg, &o, &sn, cert);
		status = GW_EXIT_OK;
	}
	X509_free(cert);
	vconfig_fini(&cfg);
	return status;
}
