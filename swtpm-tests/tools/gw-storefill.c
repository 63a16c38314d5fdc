// SPDX-License-Identifier: Apache-2.0
// Test fixture tool, never installed: puts devices, attestation results and audit
// records straight into a verifier store so the operator CLI can be tested without
// a TPM or a running server.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store.h"
#include "util.h"

/* Exit codes of this tool. */
enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

static void usage(FILE *f)
{
	fprintf(f, "usage: gw-storefill STORE_URL device ID MODEL STATE TIME [EK_CERT.der]\n"
		   "       gw-storefill STORE_URL result ID TIME STATUS CLAIMS_JSON\n"
		   "       gw-storefill STORE_URL audit ACTOR ACTION DEVICE|- OUTCOME [DETAIL]\n"
		   "       gw-storefill STORE_URL audits N TIME ACTOR ACTION\n\n"
		   "A test fixture (never installed): writes into a verifier store directly.\n"
		   "  device  inserts a device in STATE (pending, enrolled or revoked) created at\n"
		   "          TIME with made-up EK and AK blobs; audited as device.enroll\n"
		   "  result  appends a result and makes it the device's last attestation (the\n"
		   "          device must be enrolled); audited as attest\n"
		   "  audit   appends one audit record\n"
		   "  audits  appends N audit records at TIME (no device, outcome ok), one\n"
		   "          transaction per 10000\n"
		   "TIME is seconds since the epoch, \"now\" or \"now-N\" (N seconds ago).\n"
		   "Exit: 0 ok, 1 store error, 2 usage.\n");
}

static int parse_time(const char *s, int64_t *out)
{
	uint64_t v;
	int64_t now = (int64_t)time(NULL);

	if (!strcmp(s, "now")) {
		*out = now;
		return 0;
	}
	if (!strncmp(s, "now-", 4)) {
		if (gw_parse_u64(s + 4, (uint64_t)now, &v))
			return GW_E_PARSE;
		*out = now - (int64_t)v;
		return 0;
	}
	if (gw_parse_u64(s, INT64_MAX, &v))
		return GW_E_PARSE;
	*out = (int64_t)v;
	return 0;
}

static int fill_device(struct store *st, char **argv, int argc, gw_error *err)
{
	static uint8_t ek_pub[] = { 0x00, 0x04, 'f', 'a', 'k', 'e' };
	static uint8_t ak_pub[] = { 0x00, 0x04, 'a', 'k', 'p', 'b' };
	uint8_t ak_name[34] = { 0x00, 0x0b };
	uint8_t *cert = NULL;
	size_t cert_len = 0;
	struct store_device d = { .id = { 0 } };
	struct store_audit a = { 0 };
	char actor[STORE_ACTOR_MAX + 1];
	int rc;

	if (gw_snprintf(d.id, sizeof(d.id), "%s", argv[0]) ||
	    gw_snprintf(d.model, sizeof(d.model), "%s", argv[1]))
		return gw_fail(err, GW_E_TOOBIG, "id or model too long");
	if (store_device_state_parse(argv[2], &d.state))
		return gw_fail(err, GW_E_INVAL, "unknown state '%s'", argv[2]);
	if (parse_time(argv[3], &d.created_at))
		return gw_fail(err, GW_E_INVAL, "bad time '%s'", argv[3]);
	if (argc > 4) {
		rc = gw_read_file(argv[4], STORE_BLOB_MAX, &cert, &cert_len, err);
		if (rc)
			goto out;
	}
	/* A name that differs per device: the id's bytes after the algorithm id. */
	memcpy(ak_name + 2, d.id, strnlen(d.id, sizeof(ak_name) - 2));
	d.ek_pub = ek_pub;
	d.ek_pub_len = sizeof(ek_pub);
	d.ek_cert = cert;
	d.ek_cert_len = cert_len;
	d.ak_pub = ak_pub;
	d.ak_pub_len = sizeof(ak_pub);
	d.ak_name = ak_name;
	d.ak_name_len = sizeof(ak_name);
	rc = gw_snprintf(actor, sizeof(actor), "device:%s", d.id);
	if (rc)
		goto out;
	a.ts = d.created_at;
	a.actor = actor;
	a.action = "device.enroll";
	a.device_id = d.id;
	a.outcome = store_device_state_name(d.state);
	rc = store_device_put(st, &d, &a, err);
out:
	free(cert);
	return rc;
}

static int fill_result(struct store *st, char **argv, gw_error *err)
{
	struct store_result r = { 0 };
	struct store_attestation att = { 0 };
	struct store_audit a = { 0 };
	int64_t at;
	int rc;

	if (parse_time(argv[1], &at))
		return gw_fail(err, GW_E_INVAL, "bad time '%s'", argv[1]);
	r.device_id = argv[0];
	r.at = at;
	r.status = argv[2];
	r.claims = argv[3];
	r.ear = "fixture.not.a-jwt";
	att.at = at;
	att.status = argv[2];
	att.reset_count = 3;
	att.restart_count = 1;
	att.clock = 123456;
	a.ts = at;
	a.actor = "verifier";
	a.action = "attest";
	a.device_id = argv[0];
	a.outcome = argv[2];
	rc = store_begin(st, err);
	if (rc)
		return rc;
	rc = store_result_add(st, &r, NULL, NULL, err);
	if (!rc)
		rc = store_device_update_attestation(st, argv[0], &att, &a, err);
	if (!rc)
		rc = store_commit(st, err);
	if (rc)
		store_rollback(st);
	return rc;
}

static int fill_audit(struct store *st, char **argv, int argc, gw_error *err)
{
	struct store_audit a = { 0 };

	a.ts = (int64_t)time(NULL);
	a.actor = argv[0];
	a.action = argv[1];
	a.device_id = strcmp(argv[2], "-") ? argv[2] : NULL;
	a.outcome = argv[3];
	a.detail = argc > 4 ? argv[4] : NULL;
	return store_audit_append(st, &a, NULL, err);
}

/* N records in transactions of 10000: a big log for the archiving's bounds. */
static int fill_audits(struct store *st, char **argv, gw_error *err)
{
	struct store_audit a = { .actor = argv[2], .action = argv[3], .outcome = "ok" };
	uint64_t n, done = 0;
	int rc = 0;

	if (gw_parse_u64(argv[0], 100000000, &n))
		return gw_fail(err, GW_E_INVAL, "bad count '%s'", argv[0]);
	if (parse_time(argv[1], &a.ts))
		return gw_fail(err, GW_E_INVAL, "bad time '%s'", argv[1]);
	while (!rc && done < n) {
		if ((rc = store_begin(st, err)))
			break;
		for (uint64_t i = 0; !rc && i < 10000 && done < n; i++, done++)
			rc = store_audit_append(st, &a, NULL, err);
		if (!rc)
			rc = store_commit(st, err);
		else
			store_rollback(st);
	}
	return rc;
}

int main(int argc, char **argv)
{
	struct store *st = NULL;
	gw_error err = { { 0 } };
	const char *what;
	int n, rc, status = EXIT_OK;

	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return EXIT_OK;
	}
	if (argc < 3) {
		usage(stderr);
		return EXIT_USAGE;
	}
	what = argv[2];
	n = argc - 3;
	if (!((!strcmp(what, "device") && (n == 4 || n == 5)) ||
	      (!strcmp(what, "result") && n == 4) ||
	      (!strcmp(what, "audit") && (n == 4 || n == 5)) ||
	      (!strcmp(what, "audits") && n == 4))) {
		usage(stderr);
		return EXIT_USAGE;
	}
	rc = store_open(argv[1], &st, &err);
	if (rc)
		goto out;
	if (!strcmp(what, "device"))
		rc = fill_device(st, argv + 3, n, &err);
	else if (!strcmp(what, "result"))
		rc = fill_result(st, argv + 3, &err);
	else if (!strcmp(what, "audits"))
		rc = fill_audits(st, argv + 3, &err);
	else
		rc = fill_audit(st, argv + 3, n, &err);
out:
	if (rc) {
		fprintf(stderr, "gw-storefill: %s %s: %s\n", what, argc > 3 ? argv[3] : "",
			gw_error_msg(&err, rc));
		status = EXIT_FAIL;
	}
	store_close(st);
	return status;
}
