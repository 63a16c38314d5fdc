// SPDX-License-Identifier: Apache-2.0
// gwverifier device list|show|approve|revoke|...: the operator's view of enrolled
// devices and the approval and revocation decisions (retire-channel:
// cmd_device_retire.c).
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/x509.h>

#include "cli.h"
#include "device_update_view.h"
#include "jsonobj.h"
#include "util.h"

#define SHOW_RESULTS 5

static void usage(FILE *f)
{
	fprintf(f, "usage: gwverifier device list [--state pending|enrolled|revoked] [--json]\n"
		   "       gwverifier device show ID [--json]\n"
		   "       gwverifier device approve ID\n"
		   "       gwverifier device revoke ID [--reason TEXT]\n"
		   "       gwverifier device reset-update-key ID [--reason TEXT]\n"
		   "       gwverifier device channel ID CHANNEL|default\n"
		   "       gwverifier device retire-channel ID CHANNEL [--reason TEXT] [--json]\n\n"
		   "  --config FILE  verifier configuration (default " CLI_DEFAULT_CONFIG ")\n"
		   "  --state STATE  list only devices in this state\n"
		   "  --json         JSON for scripts instead of a table\n"
		   "  --reason TEXT  why the device is revoked or its update key reset (kept in\n"
		   "                 the audit record)\n\n"
		   "approve moves a pending device to enrolled; revoke moves a pending or\n"
		   "enrolled device to revoked, which is final. Both are audited with the\n"
		   "actor operator:<login name>. reset-update-key forgets the device's TPM\n"
		   "update key (audited) so that it can register a new one; until then a\n"
		   "second, different key is refused. channel puts the device on an update\n"
		   "channel ('default': the config's [releases] default_channel), audited too.\n"
		   "retire-channel forgets the counter recorded for one of the device's\n"
		   "channels (audited), when its agent no longer certifies that channel; until\n"
		   "then every round without it is contraindicated.\n"
		   "Exit: 0 done, 1 unknown device or failure, 2 usage, 3 config, 5 the device\n"
		   "is not in a state that allows the change.\n");
}

struct opts {
	const char *config;
	const char *state;
	const char *reason;
	bool json;
};

/* Parse argv (argv[0] is the subcommand); *id gets the one positional argument
 * when want_id. Returns -1 to go on, else the exit code. */
static int parse(int argc, char **argv, int npos, struct opts *o, const char **id)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "state", required_argument, NULL, 's' },
		{ "reason", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->config = optarg;
			break;
		case 's':
			o->state = optarg;
			break;
		case 'r':
			o->reason = optarg;
			break;
		case 'j':
			o->json = true;
			break;
		case 'h':
			usage(stdout);
			return GW_EXIT_OK;
		default:
			usage(stderr);
			return GW_EXIT_USAGE;
		}
	}
	if (optind + npos != argc) {
		usage(stderr);
		return GW_EXIT_USAGE;
	}
	for (int i = 0; i < npos; i++)
		id[i] = argv[optind + i];
	return -1;
}

static void last_attestation_text(const struct store_device *d, char *buf, size_t len)
{
	char t[CLI_TIME_LEN];

	if (!d->attested) {
		snprintf(buf, len, "never");
		return;
	}
	cli_time_format(d->last_attest_at, t);
	snprintf(buf, len, "%s %s", t, d->last_status);
}

static void add_time(json_object *o, const char *key, int64_t ts)
{
	char t[CLI_TIME_LEN];
	char key_epoch[64];

	cli_time_format(ts, t);
	json_object_object_add(o, key, json_object_new_string(t));
	snprintf(key_epoch, sizeof(key_epoch), "%s_epoch", key);
	json_object_object_add(o, key_epoch, json_object_new_int64(ts));
}

static json_object *device_json(struct store *st, const struct store_device *d)
{
	json_object *o = json_object_new_object(), *last = NULL, *upd = NULL;

	json_object_object_add(o, "id", json_object_new_string(d->id));
	json_object_object_add(o, "model", json_object_new_string(d->model));
	json_object_object_add(o, "state", cli_json_str(store_device_state_name(d->state)));
	add_time(o, "created_at", d->created_at);
	if (d->attested) {
		last = json_object_new_object();
		add_time(last, "at", d->last_attest_at);
		json_object_object_add(last, "status", json_object_new_string(d->last_status));
	}
	json_object_object_add(o, "last_attestation", last);
	/* Shown as unknown (null) when the store cannot say. */
	if (device_update_view_json(st, d->id, d->security_version, &upd, NULL))
		upd = NULL;
	json_object_object_add(o, "update", upd);
	return o;
}

struct list_ctx {
	struct store *st;
	bool json;
	json_object *arr;
	struct cli_table *t;
	int rc;
};

static int list_cb(const struct store_device *d, void *arg)
{
	struct list_ctx *lc = arg;
	char created[CLI_TIME_LEN], last[CLI_TIME_LEN + STORE_STATUS_MAX + 2];
	const char *row[5];

	if (lc->json)
		return json_object_array_add(lc->arr, device_json(lc->st, d)) ? GW_E_NOMEM : 0;
	cli_time_format(d->created_at, created);
	last_attestation_text(d, last, sizeof(last));
	row[0] = d->id;
	row[1] = d->model;
	row[2] = store_device_state_name(d->state);
	row[3] = created;
	row[4] = last;
	return cli_table_add(lc->t, row);
}

static int do_list(const struct verifier_ctx *ctx, struct store *st, const struct opts *o)
{
	static const char *const headers[] = { "ID", "MODEL", "STATE", "ENROLLED",
					       "LAST ATTESTATION" };
	struct list_ctx lc = { .st = st, .json = o->json };
	enum store_device_state state;
	gw_error err = { { 0 } };
	int rc, status = GW_EXIT_OK;

	if (o->state && store_device_state_parse(o->state, &state)) {
		verifier_errorf(ctx, "--state: expected pending, enrolled or revoked, got '%s'",
				o->state);
		return GW_EXIT_USAGE;
	}
	lc.arr = json_object_new_array();
	lc.t = cli_table_new(GW_ARRAY_SIZE(headers), headers);
	if (!lc.arr || !lc.t) {
		verifier_errorf(ctx, "device list: %s", gw_strerror(GW_E_NOMEM));
		status = GW_EXIT_ERROR;
		goto out;
	}
	rc = store_device_list(st, o->state ? &state : NULL, list_cb, &lc, &err);
	if (rc) {
		verifier_errorf(ctx, "device list: %s", gw_error_msg(&err, rc));
		status = cli_exit_for(rc);
		goto out;
	}
	if (o->json)
		cli_json_print(lc.arr);
	else
		cli_table_print(lc.t, stdout);
out:
	json_object_put(lc.arr);
	cli_table_free(lc.t);
	return status;
}

/* One-line RFC 2253 text of a name; NULL on failure. */
static char *name_text(const X509_NAME *n)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data = NULL, *s = NULL;
	long len;

	if (!b)
		return NULL;
	if (X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253) < 0)
		goto out;
	len = BIO_get_mem_data(b, &data);
	if (len < 0)
		goto out;
	s = strndup(data ? data : "", (size_t)len);
out:
	BIO_free(b);
	return s;
}

struct history_ctx {
	json_object *arr;
};

static int history_cb(const struct store_result *r, void *arg)
{
	struct history_ctx *hc = arg;
	json_object *o = json_object_new_object(), *claims;
	int failed = -1;

	add_time(o, "at", r->at);
	json_object_object_add(o, "status", cli_json_str(r->status));
	claims = r->claims ? cli_json_parse(r->claims) : NULL;
	if (claims && json_object_is_type(claims, json_type_array))
		failed = (int)json_object_array_length(claims);
	json_object_put(claims);
	json_object_object_add(o, "failed_claims", failed < 0 ? NULL : json_object_new_int(failed));
	return json_object_array_add(hc->arr, o) ? GW_E_NOMEM : 0;
}

/* Fill o with what people and scripts see of d; ek_cert is parsed here. */
/* "update_key_name": hex TPM name of the device's update key, or null. */
static int add_update_key(struct store *st, const char *id, json_object *o, gw_error *err)
{
	struct store_update_key k;
	char *hex;
	int rc = store_update_key_get(st, id, &k, err);

	if (rc == GW_E_NOTFOUND) {
		json_object_object_add(o, "update_key_name", NULL);
		return 0;
	}
	if (rc)
		return rc;
	hex = cli_hex(k.name, sizeof(k.name));
	store_update_key_fini(&k);
	if (!hex)
		return GW_E_NOMEM;
	json_object_object_add(o, "update_key_name", json_object_new_string(hex));
	free(hex);
	return 0;
}

/* "counters": the certified anti-rollback counters recorded for the device. */
static int add_counters(struct store *st, const char *id, json_object *o, gw_error *err)
{
	struct store_counter c[STORE_MAX_COUNTERS];
	json_object *arr;
	size_t n = 0;
	char idx[16];
	int rc = store_counters_get(st, id, c, STORE_MAX_COUNTERS, &n, err);

	if (rc)
		return rc;
	arr = json_object_new_array();
	json_object_object_add(o, "counters", arr);
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_new_object();

		json_object_array_add(arr, e);
		json_object_object_add(e, "channel", json_object_new_string(c[i].channel));
		json_object_object_add(e, "security_version",
				       json_object_new_uint64(c[i].security_version));
		snprintf(idx, sizeof(idx), "0x%08x", (unsigned)c[i].counter_index);
		json_object_object_add(e, "counter_index", json_object_new_string(idx));
		snprintf(idx, sizeof(idx), "0x%08x", (unsigned)c[i].baseline_index);
		json_object_object_add(e, "baseline_index", json_object_new_string(idx));
		add_time(e, "first_seen", c[i].first_seen);
		add_time(e, "updated", c[i].updated);
	}
	return 0;
}

/* "update": the device's stored update state (device_update_view.h), or null. */
static int add_updates(struct store *st, const struct store_device *d, json_object *o,
		       gw_error *err)
{
	json_object *j = NULL;
	int rc = device_update_view_json(st, d->id, d->security_version, &j, err);

	if (!rc)
		json_object_object_add(o, "update", j);
	return rc;
}

static int show_json(struct store *st, const struct store_device *d, json_object *o,
		     gw_error *err)
{
	struct history_ctx hc = { NULL };
	const unsigned char *p = d->ek_cert;
	X509 *cert = NULL;
	char *hex = NULL, *subject = NULL, *issuer = NULL;
	json_object *ek = NULL;
	int rc = 0;

	json_object_object_add(o, "id", json_object_new_string(d->id));
	json_object_object_add(o, "model", json_object_new_string(d->model));
	json_object_object_add(o, "state", cli_json_str(store_device_state_name(d->state)));
	add_time(o, "created_at", d->created_at);
	add_time(o, "state_changed_at", d->state_changed_at);
	json_object_object_add(o, "state_changed_by", json_object_new_string(d->state_changed_by));
	hex = cli_hex(d->ak_name, d->ak_name_len);
	if (!hex) {
		rc = GW_E_NOMEM;
		goto out;
	}
	json_object_object_add(o, "ak_name", json_object_new_string(hex));
	if (d->ek_cert_len > 0) {
		ek = json_object_new_object();
		cert = d->ek_cert_len <= (size_t)LONG_MAX ? d2i_X509(NULL, &p, (long)d->ek_cert_len)
							   : NULL;
		if (cert && p == d->ek_cert + d->ek_cert_len) {
			subject = name_text(X509_get_subject_name(cert));
			issuer = name_text(X509_get_issuer_name(cert));
			json_object_object_add(ek, "subject", cli_json_str(subject));
			json_object_object_add(ek, "issuer", cli_json_str(issuer));
		} else {
			/* Shown, not fatal: the operator wants to see the rest. */
			json_object_object_add(ek, "error",
					       json_object_new_string("not a DER X.509 certificate"));
		}
		json_object_object_add(ek, "length", json_object_new_int64((int64_t)d->ek_cert_len));
	}
	json_object_object_add(o, "ek_cert", ek);
	json_object_object_add(o, "client_cert_fp",
			       d->client_cert_fp[0] ? json_object_new_string(d->client_cert_fp)
						    : NULL);
	if (d->attested) {
		add_time(o, "last_attest_at", d->last_attest_at);
		json_object_object_add(o, "last_status", json_object_new_string(d->last_status));
	} else {
		json_object_object_add(o, "last_attest_at", NULL);
		json_object_object_add(o, "last_status", NULL);
	}
	json_object_object_add(o, "channel", d->channel[0] ? json_object_new_string(d->channel)
							   : NULL);
	json_object_object_add(o, "security_version", json_object_new_uint64(d->security_version));
	json_object_object_add(o, "reset_count", json_object_new_int64(d->reset_count));
	json_object_object_add(o, "restart_count", json_object_new_int64(d->restart_count));
	json_object_object_add(o, "clock", json_object_new_uint64(d->clock));
	json_object_object_add(o, "cel_records_appraised",
			       json_object_new_uint64(d->cel_records_appraised));
	rc = add_update_key(st, d->id, o, err);
	if (!rc)
		rc = add_counters(st, d->id, o, err);
	if (!rc)
		rc = add_updates(st, d, o, err);
	if (rc)
		goto out;
	hc.arr = json_object_new_array();
	json_object_object_add(o, "recent_results", hc.arr);
	rc = store_result_history(st, d->id, SHOW_RESULTS, history_cb, &hc, err);
out:
	X509_free(cert);
	free(hex);
	free(subject);
	free(issuer);
	return rc;
}

static void show_counters(json_object *o)
{
	static const char *const headers[] = { "CHANNEL", "SECURITY VERSION", "COUNTER",
					       "BASELINE", "FIRST SEEN", "UPDATED" };
	static const char *const keys[] = { "channel", "security_version", "counter_index",
					    "baseline_index", "first_seen", "updated" };
	json_object *arr;
	struct cli_table *t;

	if (!json_object_object_get_ex(o, "counters", &arr) ||
	    json_object_array_length(arr) == 0) {
		printf("\nNo certified counters.\n");
		return;
	}
	printf("\nCertified counters:\n");
	t = cli_table_new(GW_ARRAY_SIZE(headers), headers);
	if (!t)
		return;
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		json_object *e = json_object_array_get_idx(arr, i);
		const char *row[GW_ARRAY_SIZE(keys)];

		for (size_t k = 0; k < GW_ARRAY_SIZE(keys); k++)
			row[k] = gw_json_str(e, keys[k]);
		if (cli_table_add(t, row))
			break;
	}
	cli_table_print(t, stdout);
	cli_table_free(t);
}

static void show_people(json_object *o)
{
	static const char *const headers[] = { "TIME", "STATUS", "FAILED CLAIMS" };
	static const char *const fields[][2] = {
		{ "ID", "id" },
		{ "Model", "model" },
		{ "State", "state" },
		{ "Enrolled", "created_at" },
		{ "State changed at", "state_changed_at" },
		{ "State changed by", "state_changed_by" },
		{ "AK name", "ak_name" },
		{ "Update key name", "update_key_name" },
		{ "Client cert SHA-256", "client_cert_fp" },
		{ "Channel", "channel" },
		{ "Security version", "security_version" },
		{ "Last attestation", "last_attest_at" },
		{ "Last status", "last_status" },
		{ "Reset count", "reset_count" },
		{ "Restart count", "restart_count" },
		{ "TPM clock", "clock" },
		{ "CEL records", "cel_records_appraised" },
	};
	json_object *ek, *res, *upd;
	struct cli_table *t;

	for (size_t i = 0; i < GW_ARRAY_SIZE(fields); i++) {
		const char *v = gw_json_str(o, fields[i][1]);

		printf("%-20s %s\n", fields[i][0], v ? v : "-");
	}
	if (json_object_object_get_ex(o, "ek_cert", &ek) &&
	    json_object_is_type(ek, json_type_object)) {
		const char *e = gw_json_str(ek, "error"), *sub = gw_json_str(ek, "subject"),
			   *iss = gw_json_str(ek, "issuer");

		if (e) {
			printf("%-20s %s\n", "EK certificate", e);
		} else {
			printf("%-20s %s\n", "EK cert subject", sub ? sub : "-");
			printf("%-20s %s\n", "EK cert issuer", iss ? iss : "-");
		}
	} else {
		printf("%-20s %s\n", "EK certificate", "none");
	}
	if (json_object_object_get_ex(o, "update", &upd))
		device_update_view_print(upd);
	show_counters(o);
	if (!json_object_object_get_ex(o, "recent_results", &res) ||
	    json_object_array_length(res) == 0) {
		printf("\nNo attestation results.\n");
		return;
	}
	printf("\nLast %zu results:\n", json_object_array_length(res));
	t = cli_table_new(GW_ARRAY_SIZE(headers), headers);
	if (!t)
		return;
	for (size_t i = 0; i < json_object_array_length(res); i++) {
		json_object *r = json_object_array_get_idx(res, i);
		const char *row[3] = { gw_json_str(r, "at"), gw_json_str(r, "status"), gw_json_str(r, "failed_claims") };

		if (cli_table_add(t, row))
			break;
	}
	cli_table_print(t, stdout);
	cli_table_free(t);
}

static int do_show(const struct verifier_ctx *ctx, struct store *st, const struct opts *o,
		   const char *id)
{
	struct store_device d = { .id = { 0 } };
	gw_error err = { { 0 } };
	json_object *j = NULL;
	int rc, status = GW_EXIT_OK;

	rc = store_device_get(st, id, &d, &err);
	if (rc) {
		if (rc == GW_E_NOTFOUND)
			verifier_errorf(ctx, "device show: no device '%s'", id);
		else
			verifier_errorf(ctx, "device show: %s", gw_error_msg(&err, rc));
		status = cli_exit_for(rc);
		goto out;
	}
	j = json_object_new_object();
	if (!j) {
		rc = GW_E_NOMEM;
		verifier_errorf(ctx, "device show: %s", gw_strerror(rc));
		status = GW_EXIT_ERROR;
		goto out;
	}
	rc = show_json(st, &d, j, &err);
	if (rc) {
		verifier_errorf(ctx, "device show: %s", gw_error_msg(&err, rc));
		status = cli_exit_for(rc);
		goto out;
	}
	if (o->json)
		cli_json_print(j);
	else
		show_people(j);
out:
	json_object_put(j);
	store_device_fini(&d);
	return status;
}

/* approve (to = enrolled) or revoke (to = revoked). */
static int do_change(const struct verifier_ctx *ctx, struct store *st, const struct opts *o,
		     const char *id, enum store_device_state to)
{
	const char *verb = to == STORE_DEV_ENROLLED ? "approve" : "revoke";
	struct store_device d = { .id = { 0 } };
	struct store_audit a = { 0 };
	char actor[STORE_ACTOR_MAX + 1];
	gw_error err = { { 0 } };
	json_object *detail = NULL;
	int rc, status = GW_EXIT_OK;

	rc = cli_actor(actor, sizeof(actor));
	if (rc) {
		verifier_errorf(ctx, "device %s: cannot name the operator (uid without a "
				     "passwd entry?): %s", verb, gw_strerror(rc));
		status = GW_EXIT_ERROR;
		goto out;
	}
	rc = store_device_get(st, id, &d, &err);
	if (rc) {
		if (rc == GW_E_NOTFOUND)
			verifier_errorf(ctx, "device %s: no device '%s'", verb, id);
		else
			verifier_errorf(ctx, "device %s: %s", verb, gw_error_msg(&err, rc));
		status = cli_exit_for(rc);
		goto out;
	}
	/* Checked here for a clear message; the store checks again in the same
	 * transaction as the change, so a concurrent change still cannot slip by. */
	if (d.state == STORE_DEV_REVOKED ||
	    (to == STORE_DEV_ENROLLED && d.state != STORE_DEV_PENDING)) {
		verifier_errorf(ctx, "device %s: device '%s' is %s%s", verb, id,
				store_device_state_name(d.state),
				d.state == STORE_DEV_REVOKED ? " (final)" : " already");
		status = GW_EXIT_STATE;
		goto out;
	}
	detail = json_object_new_object();
	if (!detail) {
		rc = GW_E_NOMEM;
		verifier_errorf(ctx, "device %s: %s", verb, gw_strerror(rc));
		status = GW_EXIT_ERROR;
		goto out;
	}
	json_object_object_add(detail, "from", cli_json_str(store_device_state_name(d.state)));
	if (to == STORE_DEV_REVOKED && o->reason)
		json_object_object_add(detail, "reason", json_object_new_string(o->reason));
	a.ts = cli_now();
	a.actor = actor;
	a.action = to == STORE_DEV_ENROLLED ? "device.approve" : "device.revoke";
	a.device_id = id;
	a.outcome = "ok";
	a.detail = json_object_to_json_string_ext(detail, JSON_C_TO_STRING_PLAIN);
	rc = store_device_set_state(st, id, to, a.ts, actor, &a, &err);
	if (rc) {
		verifier_errorf(ctx, "device %s: %s: %s", verb, id, gw_error_msg(&err, rc));
		status = cli_exit_for(rc);
		goto out;
	}
	printf("device %s: %s -> %s (by %s)\n", id, store_device_state_name(d.state),
	       store_device_state_name(to), actor);
out:
	json_object_put(detail);
	store_device_fini(&d);
	return status;
}

static int do_reset_update_key(const struct verifier_ctx *ctx, struct store *st,
			       const struct opts *o, const char *id)
{
	struct store_update_key k;
	struct store_audit a = { 0 };
	char actor[STORE_ACTOR_MAX + 1];
	gw_error err = { { 0 } };
	json_object *detail = NULL;
	char *hex = NULL;
	int rc, status = GW_EXIT_OK;

	memset(&k, 0, sizeof(k));
	rc = cli_actor(actor, sizeof(actor));
	if (rc) {
		verifier_errorf(ctx, "device reset-update-key: cannot name the operator: %s",
				gw_strerror(rc));
		return GW_EXIT_ERROR;
	}
	rc = store_update_key_get(st, id, &k, &err);
	if (!rc && !(hex = cli_hex(k.name, sizeof(k.name))))
		rc = GW_E_NOMEM;
	if (!rc && !(detail = json_object_new_object()))
		rc = GW_E_NOMEM;
	if (!rc) {
		json_object_object_add(detail, "name", json_object_new_string(hex));
		if (o->reason)
			json_object_object_add(detail, "reason", json_object_new_string(o->reason));
		a = (struct store_audit){ .ts = cli_now(), .actor = actor,
					  .action = "device.update_key_reset", .device_id = id,
					  .outcome = "ok",
					  .detail = json_object_to_json_string_ext(
						  detail, JSON_C_TO_STRING_PLAIN) };
		rc = store_update_key_reset(st, id, &a, &err);
	}
	if (rc) {
		verifier_errorf(ctx, "device reset-update-key: %s: %s", id,
				rc == GW_E_NOTFOUND ? "the device has no update key"
						    : gw_error_msg(&err, rc));
		status = cli_exit_for(rc);
	} else {
		printf("device %s: update key %s forgotten (by %s); the device may register "
		       "a new one\n", id, hex, actor);
	}
	json_object_put(detail);
	free(hex);
	store_update_key_fini(&k);
	return status;
}

/* Put device id on channel (NULL: the configured default), audited. */
static int do_channel(const struct verifier_ctx *ctx, struct store *st, const char *id,
		      const char *channel)
{
	struct store_audit a = { .action = "device.channel", .outcome = "ok" };
	char actor[STORE_ACTOR_MAX + 1];
	gw_error err = { { 0 } };
	json_object *detail;
	int rc;

	if (cli_actor(actor, sizeof(actor))) {
		verifier_errorf(ctx, "device channel: cannot name the operator");
		return GW_EXIT_ERROR;
	}
	detail = json_object_new_object();
	if (!detail) {
		verifier_errorf(ctx, "device channel: %s", gw_strerror(GW_E_NOMEM));
		return GW_EXIT_ERROR;
	}
	json_object_object_add(detail, "channel", cli_json_str(channel));
	a.ts = cli_now();
	a.actor = actor;
	a.device_id = id;
	a.detail = json_object_to_json_string_ext(detail, JSON_C_TO_STRING_PLAIN);
	rc = store_device_set_channel(st, id, channel, &a, &err);
	json_object_put(detail);
	if (rc) {
		verifier_errorf(ctx, "device channel: %s", gw_error_msg(&err, rc));
		return rc == GW_E_INVAL ? GW_EXIT_USAGE : cli_exit_for(rc);
	}
	printf("device %s: channel %s (by %s)\n", id, channel ? channel : "default", actor);
	return GW_EXIT_OK;
}

int cmd_device(struct verifier_ctx *ctx, int argc, char **argv)
{
	struct opts o = { .json = false };
	struct store *st = NULL;
	const char *sub, *id[2] = { NULL, NULL };
	int npos;
	int status;

	if (argc < 2) {
		usage(stderr);
		return GW_EXIT_USAGE;
	}
	sub = argv[1];
	if (!strcmp(sub, "--help") || !strcmp(sub, "-h") || !strcmp(sub, "help")) {
		usage(stdout);
		return GW_EXIT_OK;
	}
	if (strcmp(sub, "list") && strcmp(sub, "show") && strcmp(sub, "approve") &&
	    strcmp(sub, "revoke") && strcmp(sub, "reset-update-key") && strcmp(sub, "channel") &&
	    strcmp(sub, "retire-channel")) {
		verifier_errorf(ctx, "device: unknown subcommand '%s'", sub);
		usage(stderr);
		return GW_EXIT_USAGE;
	}
	npos = !strcmp(sub, "list")					     ? 0
	       : !strcmp(sub, "channel") || !strcmp(sub, "retire-channel") ? 2
									     : 1;
	status = parse(argc - 1, argv + 1, npos, &o, id);
	if (status >= 0)
		return status;
	if ((o.state && strcmp(sub, "list")) ||
	    (o.reason && strcmp(sub, "revoke") && strcmp(sub, "reset-update-key") &&
	     strcmp(sub, "retire-channel")) ||
	    (o.json && strcmp(sub, "list") && strcmp(sub, "show") && strcmp(sub, "retire-channel"))) {
		verifier_errorf(ctx, "device %s: option not valid here", sub);
		return GW_EXIT_USAGE;
	}
	status = cli_open_store(ctx, o.config, &st);
	if (status != GW_EXIT_OK)
		return status;
	if (!strcmp(sub, "list"))
		status = do_list(ctx, st, &o);
	else if (!strcmp(sub, "show"))
		status = do_show(ctx, st, &o, id[0]);
	else if (!strcmp(sub, "approve"))
		status = do_change(ctx, st, &o, id[0], STORE_DEV_ENROLLED);
	else if (!strcmp(sub, "reset-update-key"))
		status = do_reset_update_key(ctx, st, &o, id[0]);
	else if (!strcmp(sub, "retire-channel"))
		status = cmd_device_retire_channel(ctx, st, id[0], id[1], o.reason, o.json);
	else if (!strcmp(sub, "channel"))
		status = do_channel(ctx, st, id[0], strcmp(id[1], "default") ? id[1] : NULL);
	else
		status = do_change(ctx, st, &o, id[0], STORE_DEV_REVOKED);
	store_close(st);
	return status;
}
