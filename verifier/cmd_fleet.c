// SPDX-License-Identifier: Apache-2.0
// gwverifier status: a summary of the fleet (devices per state, recent and last
// attestation, devices whose last result was not affirming).
#include <getopt.h>
#include <stdbool.h>
#include <string.h>

#include "cli.h"
#include "util.h"

#define RECENT_SECONDS (24 * 60 * 60)

static void usage(FILE *f)
{
	fprintf(f, "usage: gwverifier status [--json] [--config FILE]\n\n"
		   "Summarises the fleet: devices per state, how many attested in the last\n"
		   "24 hours, the latest attestation, and the enrolled devices whose last\n"
		   "result is not affirming.\n\n"
		   "  --config FILE  verifier configuration (default " CLI_DEFAULT_CONFIG ")\n"
		   "  --json         one JSON object for scripts\n"
		   "Exit: 0 shown, 1 failure, 2 usage, 3 config.\n");
}

struct fleet {
	int64_t now;
	uint64_t per_state[3];
	uint64_t total, recent, never;
	bool any_attested;
	int64_t last_at;
	char last_id[STORE_ID_MAX + 1];
	json_object *failing;
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
	return o;
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

int cmd_status(struct verifier_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct fleet f = { .now = cli_now() };
	struct store *st = NULL;
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
	status = cli_open_store(ctx, config, &st);
	if (status != GW_EXIT_OK)
		return status;
	f.failing = json_object_new_array();
	if (!f.failing) {
		verifier_errorf(ctx, "status: %s", gw_strerror(GW_E_NOMEM));
		status = GW_EXIT_ERROR;
		goto out;
	}
	rc = store_device_list(st, NULL, fleet_cb, &f, &err);
	if (rc) {
		verifier_errorf(ctx, "status: %s", gw_error_msg(&err, rc));
		status = cli_exit_for(rc);
		goto out;
	}
	if (!json) {
		fleet_people(&f);
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
	store_close(st);
	return status;
}
