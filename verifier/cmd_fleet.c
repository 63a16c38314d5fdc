// SPDX-License-Identifier: Apache-2.0
// gwverifier status: a summary of the fleet (devices per state, recent and last
// attestation, devices whose last result was not affirming, devices near or past
// their model's end of support).
#include <getopt.h>
#include <stdbool.h>
#include <string.h>

#include "cli.h"
#include "cmd_policy.h"
#include "fleet_eol.h"
#include "fleet_rollout.h"
#include "util.h"

#define RECENT_SECONDS (24 * 60 * 60)

static void usage(FILE *f)
{
	fprintf(f, "usage: gwverifier status [--json] [--config FILE] [--eol-days N]\n\n"
		   "Summarises the fleet: devices per state, how many attested in the last\n"
		   "24 hours, the latest attestation, the enrolled devices whose last\n"
		   "result is not affirming, and the enrolled devices whose model's policy\n"
		   "ends support within N days (default %d) or already has, and per\n"
		   "active release its rollout: devices of its models and channel, in the\n"
		   "cohort, offered now, running it, in trial, rolled back, unreachable.\n\n"
		   "  --config FILE  verifier configuration (default " CLI_DEFAULT_CONFIG ")\n"
		   "  --eol-days N   the end-of-support horizon, 0-3650 days\n"
		   "  --json         one JSON object for scripts\n"
		   "Exit: 0 shown, 1 failure, 2 usage, 3 config.\n",
		FLEET_EOL_DEFAULT_DAYS);
}

struct fleet {
	int64_t now;
	uint64_t per_state[3];
	uint64_t total, recent, never;
	bool any_attested;
	int64_t last_at;
	char last_id[STORE_ID_MAX + 1];
	json_object *failing;
	unsigned eol_days;
	json_object *eol, *eol_unverified;
	json_object *rollout;
};

static int fleet_cb(const struct store_device *d, void *arg)
{
	struct fleet *f = arg;
	char t[CLI_TIME_LEN];
	json_object *o;

	f->total++;
	if ((size_t)d->state < GW_ARRAY_SIZE(f->per_state))
		f->per_state[d->state]++;
	if (!d->attested) {
		if (d->state == STORE_DEV_ENROLLED)
			f->never++;
		return 0;
	}
	if (d->last_attest_at >= f->now - RECENT_SECONDS)
		f->recent++;
	if (!f->any_attested || d->last_attest_at > f->last_at) {
		f->any_attested = true;
		f->last_at = d->last_attest_at;
		memcpy(f->last_id, d->id, sizeof(f->last_id));
	}
	/* A revoked device is refused whatever it reports: not "failing". */
	if (d->state != STORE_DEV_ENROLLED || !strcmp(d->last_status, "affirming"))
		return 0;
	o = json_object_new_object();
	if (!o)
		return GW_E_NOMEM;
	cli_time_format(d->last_attest_at, t);
	json_object_object_add(o, "id", json_object_new_string(d->id));
	json_object_object_add(o, "model", json_object_new_string(d->model));
	json_object_object_add(o, "last_status", json_object_new_string(d->last_status));
	json_object_object_add(o, "last_attest_at", json_object_new_string(t));
	json_object_object_add(o, "last_attest_at_epoch", json_object_new_int64(d->last_attest_at));
	return json_object_array_add(f->failing, o) ? GW_E_NOMEM : 0;
}

static json_object *fleet_json(const struct fleet *f)
{
	json_object *o = json_object_new_object(), *states = json_object_new_object(), *last = NULL;
	char t[CLI_TIME_LEN];

	if (!o || !states) {
		json_object_put(o);
		json_object_put(states);
		return NULL;
	}
	for (size_t s = 0; s < GW_ARRAY_SIZE(f->per_state); s++)
		json_object_object_add(states, store_device_state_name((enum store_device_state)s),
				       json_object_new_uint64(f->per_state[s]));
	json_object_object_add(o, "devices", json_object_new_uint64(f->total));
	json_object_object_add(o, "by_state", states);
	json_object_object_add(o, "attested_last_24h", json_object_new_uint64(f->recent));
	json_object_object_add(o, "enrolled_never_attested", json_object_new_uint64(f->never));
	if (f->any_attested) {
		last = json_object_new_object();
		cli_time_format(f->last_at, t);
		json_object_object_add(last, "at", json_object_new_string(t));
		json_object_object_add(last, "at_epoch", json_object_new_int64(f->last_at));
		json_object_object_add(last, "device", json_object_new_string(f->last_id));
	}
	json_object_object_add(o, "last_attestation", last);
	json_object_object_add(o, "failing", json_object_get(f->failing));
	{
		json_object *eol = json_object_new_object();

		json_object_object_add(eol, "horizon_days", json_object_new_int64(f->eol_days));
		json_object_object_add(eol, "devices", json_object_get(f->eol));
		json_object_object_add(eol, "unverified_policies",
				       json_object_get(f->eol_unverified));
		json_object_object_add(o, "end_of_support", eol);
	}
	json_object_object_add(o, "rollout", json_object_get(f->rollout));
	return o;
}

static void eol_people(const struct fleet *f)
{
	static const char *const headers[] = { "ID", "MODEL", "END OF SUPPORT", "STATUS" };
	size_t n = json_object_array_length(f->eol), past = 0;
	struct cli_table *tab;

	for (size_t i = 0; i < n; i++)
		past += json_object_get_boolean(
			json_object_object_get(json_object_array_get_idx(f->eol, i), "past"));
	printf("end of support:     %zu within %u days (%zu past)\n", n, f->eol_days, past);
	for (size_t i = 0; i < json_object_array_length(f->eol_unverified); i++) {
		json_object *u = json_object_array_get_idx(f->eol_unverified, i);

		printf("  model %s: its policy in force does not verify, not judged: %s\n",
		       json_object_get_string(json_object_object_get(u, "model")),
		       json_object_get_string(json_object_object_get(u, "error")));
	}
	if (n == 0)
		return;
	tab = cli_table_new(GW_ARRAY_SIZE(headers), headers);
	if (!tab)
		return;
	for (size_t i = 0; i < n; i++) {
		json_object *d = json_object_array_get_idx(f->eol, i);
		char status[48];
		const char *row[4] = {
			json_object_get_string(json_object_object_get(d, "id")),
			json_object_get_string(json_object_object_get(d, "model")),
			json_object_get_string(json_object_object_get(d, "end_of_support")),
			status,
		};

		if (json_object_get_boolean(json_object_object_get(d, "past")))
			snprintf(status, sizeof(status), "past");
		else
			snprintf(status, sizeof(status), "in %lld days",
				 (long long)json_object_get_int64(
					 json_object_object_get(d, "days_left")));
		if (cli_table_add(tab, row))
			break;
	}
	printf("\n");
	cli_table_print(tab, stdout);
	cli_table_free(tab);
}

static void fleet_people(const struct fleet *f)
{
	static const char *const headers[] = { "ID", "MODEL", "LAST STATUS", "AT" };
	char t[CLI_TIME_LEN];
	struct cli_table *tab;
	size_t n = json_object_array_length(f->failing);

	printf("devices:            %llu (pending %llu, enrolled %llu, revoked %llu)\n",
	       (unsigned long long)f->total, (unsigned long long)f->per_state[STORE_DEV_PENDING],
	       (unsigned long long)f->per_state[STORE_DEV_ENROLLED],
	       (unsigned long long)f->per_state[STORE_DEV_REVOKED]);
	printf("attested in 24 h:   %llu\n", (unsigned long long)f->recent);
	printf("never attested:     %llu enrolled\n", (unsigned long long)f->never);
	if (f->any_attested) {
		cli_time_format(f->last_at, t);
		printf("last attestation:   %s (%s)\n", t, f->last_id);
	} else {
		printf("last attestation:   never\n");
	}
	printf("failing devices:    %zu\n", n);
	if (n == 0)
		return;
	tab = cli_table_new(GW_ARRAY_SIZE(headers), headers);
	if (!tab)
		return;
	for (size_t i = 0; i < n; i++) {
		json_object *d = json_object_array_get_idx(f->failing, i), *v[4];
		const char *row[4];
		static const char *const keys[] = { "id", "model", "last_status", "last_attest_at" };

		for (size_t k = 0; k < 4; k++)
			row[k] = json_object_object_get_ex(d, keys[k], &v[k])
					 ? json_object_get_string(v[k])
					 : NULL;
		if (cli_table_add(tab, row))
			break;
	}
	printf("\n");
	cli_table_print(tab, stdout);
	cli_table_free(tab);
}

/* The rollout table (fleet_rollout.h) on stdout. */
static void rollout_people(json_object *arr)
{
	static const char *const headers[] = { "RELEASE", "VERSION", "MODELS", "CHANNEL",
					       "ROLLOUT", "APPROVAL", "DEVICES", "COHORT",
					       "OFFERED", "RUNNING", "TRIAL", "ROLLED BACK",
					       "UNREACHABLE" };
	static const char *const counts[7] = { "devices", "in_cohort", "offered", "running",
					       "in_trial", "rolled_back", "unreachable" };
	size_t n = json_object_array_length(arr);
	struct cli_table *t;

	printf("releases:           %zu active\n", n);
	if (n == 0)
		return;
	t = cli_table_new(GW_ARRAY_SIZE(headers), headers);
	if (!t)
		return;
	for (size_t i = 0; i < n; i++) {
		json_object *r = json_object_array_get_idx(arr, i), *models;
		char mbuf[256] = "", pct[8], cnt[7][24];
		const char *row[GW_ARRAY_SIZE(headers)];
		size_t off = 0;

		json_object_object_get_ex(r, "models", &models);
		for (size_t m = 0; m < json_object_array_length(models) && off < sizeof(mbuf); m++)
			off += (size_t)snprintf(mbuf + off, sizeof(mbuf) - off, "%s%s",
						m ? "," : "",
						json_object_get_string(
							json_object_array_get_idx(models, m)));
		snprintf(pct, sizeof(pct), "%s%%",
			 json_object_get_string(json_object_object_get(r, "rollout")));
		row[0] = json_object_get_string(json_object_object_get(r, "id"));
		row[1] = json_object_get_string(json_object_object_get(r, "version"));
		row[2] = mbuf;
		row[3] = json_object_get_string(json_object_object_get(r, "channel"));
		row[4] = pct;
		row[5] = json_object_get_string(json_object_object_get(r, "approval"));
		for (int c = 0; c < 7; c++) {
			snprintf(cnt[c], sizeof(cnt[c]), "%s",
				 json_object_get_string(json_object_object_get(r, counts[c])));
			row[6 + c] = cnt[c];
		}
		if (cli_table_add(t, row))
			break;
	}
	printf("\n");
	cli_table_print(t, stdout);
	cli_table_free(t);
}

int cmd_status(struct verifier_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "eol-days", required_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct fleet f = { .now = cli_now(), .eol_days = FLEET_EOL_DEFAULT_DAYS };
	struct cmd_policy_env env;
	uint64_t days;
	const char *config = NULL;
	json_object *j = NULL;
	gw_error err = { { 0 } };
	bool json = false;
	int c, rc, status;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'e':
			if (gw_parse_u64(optarg, 3650, &days)) {
				verifier_errorf(ctx, "status: --eol-days: 0 to 3650");
				return GW_EXIT_USAGE;
			}
			f.eol_days = (unsigned)days;
			break;
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
	memset(&env, 0, sizeof(env));
	status = cmd_policy_env_open(ctx, config ? config : CLI_DEFAULT_CONFIG, &env);
	if (status != GW_EXIT_OK) {
		cmd_policy_env_close(&env);
		return status;
	}
	f.failing = json_object_new_array();
	if (!f.failing) {
		verifier_errorf(ctx, "status: %s", gw_strerror(GW_E_NOMEM));
		status = GW_EXIT_ERROR;
		goto out;
	}
	rc = store_device_list(env.st, NULL, fleet_cb, &f, &err);
	if (!rc)
		rc = fleet_eol(&env, f.now, f.eol_days, &f.eol, &f.eol_unverified, &err);
	if (!rc)
		rc = fleet_rollout(&env, f.now, &f.rollout, &err);
	if (rc) {
		verifier_errorf(ctx, "status: %s", gw_error_msg(&err, rc));
		status = cli_exit_for(rc);
		goto out;
	}
	if (!json) {
		fleet_people(&f);
		eol_people(&f);
		rollout_people(f.rollout);
		goto out;
	}
	j = fleet_json(&f);
	if (!j) {
		verifier_errorf(ctx, "status: %s", gw_strerror(GW_E_NOMEM));
		status = GW_EXIT_ERROR;
		goto out;
	}
	cli_json_print(j);
out:
	json_object_put(j);
	json_object_put(f.failing);
	json_object_put(f.eol);
	json_object_put(f.eol_unverified);
	json_object_put(f.rollout);
	cmd_policy_env_close(&env);
	return status;
}
