// SPDX-License-Identifier: Apache-2.0
// gwagent enroll: prove the TPM to the verifier, get the device certificate, pin and
// measure the verifier's gate key.
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "agent.h"
#include "digest.h"
#include "ek.h"
#include "enroll_client.h"
#include "enroll_state.h"
#include "status_enroll.h"
#include "enroll_update_key.h"
#include "update_key.h"
#include "evlog.h"
#include "identity.h"
#include "renew.h"
#include "trust.h"
#include "stage.h"
#include "tpmdata.h"
#include "util.h"
#include "vclient.h"

#define ENROLL_DEFAULT_MODEL "generic"
#define ENROLL_DEFAULT_WAIT 300
#define ENROLL_MAX_WAIT 86400
#define ENROLL_POLL_SECONDS 2
#define ENROLL_MAX_FILE (1u << 20)

/* Where the progress lines go: standard output, or standard error with --json
 * (standard output then holds only the JSON document). */
static FILE *say;

static void usage(FILE *f)
{
	fprintf(f, "usage: gwagent enroll [--verifier URL] [--ca FILE] [--device-id ID] [--model M]\n"
		   "                      [--wait [SECONDS]] [--json]\n\n"
		   "Enrolls the provisioned TPM with the verifier: the verifier checks the EK\n"
		   "certificate and the AK, the TPM proves it holds both (credential\n"
		   "activation), and the verifier issues the device's TLS certificate and hands\n"
		   "over its gate key, which is pinned (gate.pub) and measured into the trust PCR.\n"
		   "Then the TPM update key is created (once: update-key.tpm, certified by the AK\n"
		   "with TPM2_CertifyCreation) and registered with the verifier.\n"
		   "A second run reports the enrollment and changes nothing, unless the device\n"
		   "certificate has expired or is lost: then the TPM proves itself again and the\n"
		   "device gets a new certificate under its id. A run while the device is\n"
		   "pending asks the verifier again.\n\n"
		   "  --verifier URL   https://host:port of the verifier (default: verifier_url)\n"
		   "  --ca FILE        the verifier's CA certificate, the only trusted root\n"
		   "                   (default: verifier_ca); copied to STATE_DIR/verifier-ca.pem\n"
		   "  --device-id ID   1-64 of A-Z a-z 0-9 . _ - (default: device_id, else \"gw-\" and\n"
		   "                   the first 16 characters of /etc/machine-id, else the host name)\n"
		   "  --model M        device model, selects the verifier's policy (default:\n"
		   "                   model, else \"%s\")\n"
		   "  --wait [SECONDS] when approval is pending, ask every %d s for up to SECONDS\n"
		   "                   (default %d)\n"
		   "  --json           when enrolled or pending, print the enrollment as\n"
		   "                   `gwagent status --json` shows it (progress on stderr)\n\n"
		   "Exit status: 0 enrolled (or already), 20 pending approval, 21 refused by the\n"
		   "verifier, 22 verifier unreachable, 5 not provisioned (doc/exit-codes.md).\n",
		ENROLL_DEFAULT_MODEL, ENROLL_POLL_SECONDS, ENROLL_DEFAULT_WAIT);
}

static int state_path(const struct agent_ctx *ctx, const char *name, char *buf, gw_error *err)
{
	if (agent_path(ctx, name, buf, PATH_MAX))
		return gw_fail(err, GW_E_INVAL, "state directory path too long");
	return 0;
}

static int default_device_id(char *out, size_t cap, gw_error *err)
{
	uint8_t *mid = NULL;
	size_t len = 0;
	bool hex = false;
	char host[256];

	if (gw_read_file("/etc/machine-id", 4096, &mid, &len, NULL) == 0 && len >= 16) {
		hex = true;
		for (size_t i = 0; i < 16; i++)
			hex &= (mid[i] >= '0' && mid[i] <= '9') || (mid[i] >= 'a' && mid[i] <= 'f');
	}
	if (hex) {
		int rc = gw_snprintf(out, cap, "gw-%.16s", (const char *)mid);

		free(mid);
		return rc;
	}
	free(mid);
	if (gethostname(host, sizeof(host)) == 0) {
		host[sizeof(host) - 1] = '\0';
		if (answers_valid_id(host))
			return gw_snprintf(out, cap, "%s", host);
	}
	return gw_fail(err, GW_E_NOTFOUND, "no usable /etc/machine-id or host name for a device "
					   "id: use --device-id");
}

/* The device's TLS key: loaded when present, else generated (ECC P-256) into a file
 * created 0600 (identity_key_create). */
static int tls_key_ensure(const struct agent_ctx *ctx, EVP_PKEY **out, bool *created,
			  gw_error *err)
{
	char path[PATH_MAX];
	int fd, rc;

	*created = false;
	rc = state_path(ctx, ENROLL_TLS_KEY_FILE, path, err);
	if (rc)
		return rc;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0 || errno != ENOENT) {
		if (fd < 0)
			return gw_fail(err, GW_E_IO, "%s: %s", path, strerror(errno));
		close(fd);
		return identity_key_read(path, out, err);
	}
	rc = identity_key_create(path, out, err);
	*created = rc == 0;
	return rc;
}

/* Copy the verifier's CA into the state directory after checking it holds a
 * certificate. */
static int copy_ca(const struct agent_ctx *ctx, const char *src, gw_error *err)
{
	char path[PATH_MAX];
	uint8_t *buf = NULL;
	size_t len = 0;
	BIO *bio = NULL;
	X509 *x = NULL;
	int rc;

	rc = state_path(ctx, ENROLL_CA_FILE, path, err);
	if (!rc)
		rc = gw_read_file(src, ENROLL_MAX_FILE, &buf, &len, err);
	if (rc)
		goto out;
	bio = BIO_new_mem_buf(buf, (int)len);
	x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	if (!x) {
		rc = gw_fail(err, GW_E_PARSE, "%s: no PEM certificate", src);
		goto out;
	}
	rc = gw_write_file_atomic(path, buf, len, 0644, err);
out:
	X509_free(x);
	BIO_free(bio);
	free(buf);
	return rc;
}

/* Check and store what an enrolled answer carries, measure the gate key, and mark
 * the enrollment done. */
static int finish_enrolled(struct agent_ctx *ctx, EVP_PKEY *tls_key, struct enroll_state *st,
			   const struct answer_activate *ans, gw_error *err)
{
	char path[PATH_MAX], hex[65];
	BIO *bio = NULL;
	X509 *x = NULL;
	EVP_PKEY *cert_key = NULL, *gate = NULL;
	char *gate_pem = NULL;
	uint64_t recnum = 0;
	int rc;

	bio = BIO_new_mem_buf(ans->client_certificate, -1);
	x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	cert_key = x ? X509_get_pubkey(x) : NULL;
	if (!cert_key || EVP_PKEY_eq(cert_key, tls_key) != 1) {
		rc = gw_fail(err, GW_E_KEY, "the client certificate is not for this device's TLS key");
		goto out;
	}
	rc = tpmdata_pkey_from_pem(ans->gate_public_key, strlen(ans->gate_public_key), &gate, err);
	if (rc)
		goto out;
	if (!EVP_PKEY_is_a(gate, "EC") || EVP_PKEY_get_bits(gate) != 256) {
		rc = gw_fail(err, GW_E_KEY, "the gate key is not an ECC P-256 key");
		goto out;
	}
	rc = tpmdata_pkey_to_pem(gate, &gate_pem);
	if (rc)
		goto out;
	if ((rc = state_path(ctx, ENROLL_TLS_CERT_FILE, path, err)) ||
	    (rc = gw_write_file_atomic(path, ans->client_certificate,
				       strlen(ans->client_certificate), 0644, err)) ||
	    (rc = state_path(ctx, ENROLL_GATE_FILE, path, err)) ||
	    (rc = gw_write_file_atomic(path, gate_pem, strlen(gate_pem), 0644, err)))
		goto out;
	rc = trust_measure_gate(ctx, gate, hex, &recnum, err);
	if (rc) {
		gw_error_prefix(err, "measuring the gate key: ");
		goto out;
	}
	st->state = ANSWER_ENROLLED;
	rc = enroll_state_save(ctx, st, err);
	if (rc)
		goto out;
	fprintf(say, "enrolled as %s (model %s) with %s%s%s\n", st->device_id, st->model, st->url,
	       ans->verifier_id[0] ? ", verifier " : "", ans->verifier_id);
	fprintf(say, "gate key sha256:%s pinned in %s/%s, measured into PCR %u (record %llu)\n", hex,
	       ctx->state_dir, ENROLL_GATE_FILE, ctx->cfg.trust_pcr, (unsigned long long)recnum);
out:
	free(gate_pem);
	EVP_PKEY_free(gate);
	EVP_PKEY_free(cert_key);
	X509_free(x);
	BIO_free(bio);
	return rc;
}

/* The update key: created when missing, registered with the verifier (again on a
 * re-run: the verifier answers "unchanged" for the key it has). */
static int update_key_step(struct agent_ctx *ctx, const struct enroll_state *st)
{
	struct enroll_update_key_outcome o;
	struct vclient_failure f;
	gw_error err = { { 0 } };
	int rc = enroll_update_key(ctx, st, &o, &f, &err);

	if (o.created)
		fprintf(say, "update key %s created in %s/%s, its creation certified by the AK\n",
		       o.name_hex, ctx->state_dir, UPDATE_KEY_BLOB_FILE);
	if (rc) {
		agent_errorf(ctx, "enroll: update key: %s", gw_error_msg(&err, rc));
		return f.transport_failed || f.http_status ? vclient_exit_code(&f)
		       : f.bad_answer			  ? GW_EXIT_RESULT
							  : gw_exit_for(rc);
	}
	fprintf(say, "update key %s %s with the verifier\n", o.name_hex,
	       o.registered_now ? "registered" : "already registered");
	return GW_EXIT_OK;
}

/* enroll on an enrolled device: nothing to do while its certificate works; when it
 * has expired or is lost, the TPM proves itself again and the device gets a new
 * certificate under its id (and one due for renewal is renewed). */
static int enrolled_again(struct agent_ctx *ctx, const struct enroll_state *st)
{
	struct renew_outcome r;
	struct vclient_failure f;
	gw_error err = { { 0 } };
	char until[32];
	int rc = renew_ensure(ctx, st, false, &r, &f, &err);

	if (rc) {
		agent_errorf(ctx, "enroll: %s", gw_error_msg(&err, rc));
		return f.transport_failed || f.http_status ? vclient_exit_code(&f)
		       : f.bad_answer			  ? GW_EXIT_RESULT
							  : gw_exit_for(rc);
	}
	if (r.renewal_failed)
		agent_errorf(ctx, "enroll: renewing the device certificate (%s) failed: %s",
			     r.reason, r.failure);
	if (r.action == RENEW_NONE) {
		fprintf(say, "already enrolled as %s (model %s) with %s; device certificate unchanged\n",
		       st->device_id, st->model, st->url);
		return update_key_step(ctx, st);
	}
	certinfo_time(r.cert.not_after, until, sizeof(until));
	fprintf(say, "enrolled as %s (model %s) with %s: device certificate %s (%s), serial %s, valid "
	       "until %s\n", st->device_id, st->model, st->url, renew_action_name(r.action),
	       r.reason, r.cert.serial, until);
	return update_key_step(ctx, st);
}

static void print_enrollment_json(const struct agent_ctx *ctx)
{
	json_object *o = status_enrollment(ctx, (int64_t)time(NULL));

	if (o)
		puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
							       JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

static double now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int cmd_enroll(struct agent_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "verifier", required_argument, NULL, 'v' },
		{ "ca", required_argument, NULL, 'c' },
		{ "device-id", required_argument, NULL, 'd' },
		{ "model", required_argument, NULL, 'm' },
		{ "wait", optional_argument, NULL, 'w' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *url = ctx->cfg.verifier_url, *ca = ctx->cfg.verifier_ca;
	const char *device_id = ctx->cfg.device_id, *model = ctx->cfg.model;
	struct enroll_state st;
	struct answer_activate ans;
	struct vclient_failure f;
	struct http_client *client = NULL;
	struct http_opts hopts;
	EVP_PKEY *tls_key = NULL;
	char ca_copy[PATH_MAX];
	bool resume = false, key_created = false, json = false;
	uint64_t wait_s = 0;
	gw_error err = { { 0 } };
	int c, rc, status = GW_EXIT_OK;

	memset(&st, 0, sizeof(st));
	memset(&ans, 0, sizeof(ans));
	memset(&f, 0, sizeof(f));
	say = stdout;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			say = stderr;
			break;
		case 'v':
			url = optarg;
			break;
		case 'c':
			ca = optarg;
			break;
		case 'd':
			device_id = optarg;
			break;
		case 'm':
			model = optarg;
			break;
		case 'w': {
			const char *v = optarg;

			/* "--wait 60" as well as "--wait=60". */
			if (!v && optind < argc && argv[optind][0] >= '0' && argv[optind][0] <= '9')
				v = argv[optind++];
			wait_s = ENROLL_DEFAULT_WAIT;
			if (v && (gw_parse_u64(v, ENROLL_MAX_WAIT, &wait_s) || wait_s == 0)) {
				agent_errorf(ctx, "--wait: 1 to %d seconds", ENROLL_MAX_WAIT);
				return GW_EXIT_USAGE;
			}
			break;
		}
		case 'h':
			usage(stdout);
			return GW_EXIT_OK;
		default:
			usage(stderr);
			return GW_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return GW_EXIT_USAGE;
	}

	rc = enroll_state_load(ctx, &st, &err);
	if (!rc && st.state == ANSWER_ENROLLED) {
		status = enrolled_again(ctx, &st);
		goto out;
	}
	if (!rc) {
		resume = true;
		if (url && strcmp(url, st.url))
			agent_errorf(ctx, "an enrollment with %s is pending; asking it, not %s",
				     st.url, url);
	} else if (rc != GW_E_NOTFOUND) {
		status = agent_report(ctx, rc, &err, ENROLL_STATE_FILE);
		goto out;
	}

	if (!resume) {
		char idbuf[ANSWERS_ID_MAX + 1];

		if (!url || !ca) {
			agent_errorf(ctx, "enroll needs --verifier URL and --ca FILE (or verifier_url "
					  "and verifier_ca in the config)");
			status = GW_EXIT_USAGE;
			goto out;
		}
		if (strncmp(url, "https://", 8) || strlen(url) > ANSWERS_URL_MAX) {
			agent_errorf(ctx, "--verifier: an https:// URL of at most %d characters",
				     ANSWERS_URL_MAX);
			status = GW_EXIT_USAGE;
			goto out;
		}
		if (!device_id) {
			rc = default_device_id(idbuf, sizeof(idbuf), &err);
			if (rc) {
				status = agent_report(ctx, rc, &err, "device id");
				goto out;
			}
			device_id = idbuf;
		}
		if (!model)
			model = ENROLL_DEFAULT_MODEL;
		if (!answers_valid_id(device_id) || !answers_valid_id(model)) {
			agent_errorf(ctx, "device id and model: 1-%d of A-Z a-z 0-9 . _ -",
				     ANSWERS_ID_MAX);
			status = GW_EXIT_USAGE;
			goto out;
		}
		memcpy(st.url, url, strlen(url) + 1);
		memcpy(st.device_id, device_id, strlen(device_id) + 1);
		memcpy(st.model, model, strlen(model) + 1);
	}

	rc = gw_mkdir_p(ctx->state_dir, 0755, &err);
	if (!rc)
		rc = tls_key_ensure(ctx, &tls_key, &key_created, &err);
	if (rc) {
		status = agent_report(ctx, rc, &err, "TLS key");
		goto out;
	}
	if (!resume) {
		rc = copy_ca(ctx, ca, &err);
		if (rc) {
			status = agent_report(ctx, rc, &err, "--ca");
			goto out;
		}
	}
	if (agent_path(ctx, ENROLL_CA_FILE, ca_copy, sizeof(ca_copy))) {
		agent_errorf(ctx, "state directory path too long");
		status = GW_EXIT_USAGE;
		goto out;
	}
	memset(&hopts, 0, sizeof(hopts));
	hopts.base_url = st.url;
	hopts.ca_file = ca_copy;
	rc = http_client_new(&hopts, &client, &err);
	if (rc) {
		status = agent_report(ctx, rc, &err, "HTTP client");
		goto out;
	}

	if (resume) {
		rc = enroll_client_status(client, &st, &ans, &f, &err);
		if (rc && f.has_error && !strcmp(f.error.code, "unknown_enrollment")) {
			/* The verifier never got our activation, or the enrollment expired. */
			fprintf(say, "the verifier does not know enrollment %s any more: starting over\n",
			       st.enrollment_id);
			resume = false;
			memset(&f, 0, sizeof(f));
			err.msg[0] = '\0';
			rc = enroll_client_prove(ctx, client, tls_key, &st, false, &ans, &f, &err);
		} else if (rc && f.has_error && !strcmp(f.error.code, "certificate_issued")) {
			/* The verifier issued our certificate but its answer was lost, or
			 * saving it failed: the TPM proves itself again for a new one. */
			fprintf(say, "the verifier issued the certificate of %s but it never arrived: "
			       "proving the TPM again\n", st.device_id);
			memset(&f, 0, sizeof(f));
			err.msg[0] = '\0';
			rc = enroll_client_prove(ctx, client, tls_key, &st, true, &ans, &f, &err);
		}
	} else {
		if (key_created)
			fprintf(say, "generated the device TLS key %s/%s\n", ctx->state_dir,
			       ENROLL_TLS_KEY_FILE);
		rc = enroll_client_prove(ctx, client, tls_key, &st, false, &ans, &f, &err);
	}
	for (double start = now_mono();;) {
		if (rc) {
			if (f.transport_failed || f.http_status)
				status = vclient_exit_code(&f);
			else if (f.bad_answer)
				status = GW_EXIT_RESULT;
			else
				status = gw_exit_for(rc);
			agent_errorf(ctx, "enroll: %s", gw_error_msg(&err, rc));
			goto out;
		}
		if (strcmp(ans.device_id, st.device_id)) {
			agent_errorf(ctx, "enroll: the verifier answered for device '%s', not '%s'",
				     ans.device_id, st.device_id);
			status = GW_EXIT_RESULT;
			goto out;
		}
		if (ans.state == ANSWER_ENROLLED)
			break;
		if (!wait_s || now_mono() - start + ENROLL_POLL_SECONDS > (double)wait_s) {
			fprintf(say, "enrollment %s of %s: pending approval by an operator "
			       "(gwverifier device approve %s)\n",
			       st.enrollment_id, st.device_id, st.device_id);
			status = GW_EXIT_PENDING;
			goto out;
		}
		sleep(ENROLL_POLL_SECONDS);
		answers_activate_fini(&ans);
		rc = enroll_client_status(client, &st, &ans, &f, &err);
	}
	rc = finish_enrolled(ctx, tls_key, &st, &ans, &err);
	if (rc)
		status = agent_report(ctx, rc, &err, "enroll");
	else
		status = update_key_step(ctx, &st);
out:
	if (json && (status == GW_EXIT_OK || status == GW_EXIT_PENDING))
		print_enrollment_json(ctx);
	answers_activate_fini(&ans);
	answers_enroll_state_wipe(&st);
	http_client_free(client);
	EVP_PKEY_free(tls_key);
	return status;
}
