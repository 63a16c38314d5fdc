// SPDX-License-Identifier: Apache-2.0
// gwverifier device retire-channel: an operator forgets a channel's recorded
// counter, so that rounds which no longer certify it are not contraindicated
// (doc/evidence.md, "Certified anti-rollback counters").
#include <stdio.h>
#include <string.h>

#include "cli.h"

int cmd_device_retire_channel(const struct verifier_ctx *ctx, struct store *st, const char *id,
			      const char *channel, const char *reason, bool json)
{
	struct store_audit a = { .action = "device.channel_retire", .outcome = "ok" };
	struct store_counter gone;
	char actor[STORE_ACTOR_MAX + 1], idx[2][16];
	gw_error err = { { 0 } };
	json_object *detail;
	int rc;

	if (cli_actor(actor, sizeof(actor))) {
		verifier_errorf(ctx, "device retire-channel: cannot name the operator");
		return GW_EXIT_ERROR;
	}
	detail = json_object_new_object();
	if (!detail) {
		verifier_errorf(ctx, "device retire-channel: %s", gw_strerror(GW_E_NOMEM));
		return GW_EXIT_ERROR;
	}
	json_object_object_add(detail, "channel", json_object_new_string(channel));
	if (reason)
		json_object_object_add(detail, "reason", json_object_new_string(reason));
	a.ts = cli_now();
	a.actor = actor;
	a.device_id = id;
	a.detail = json_object_to_json_string_ext(detail, JSON_C_TO_STRING_PLAIN);
	memset(&gone, 0, sizeof(gone));
	rc = store_counters_retire(st, id, channel, &gone, &a, &err);
	json_object_put(detail);
	if (rc) {
		verifier_errorf(ctx, "device retire-channel: %s", gw_error_msg(&err, rc));
		return rc == GW_E_INVAL ? GW_EXIT_USAGE : cli_exit_for(rc);
	}
	snprintf(idx[0], sizeof(idx[0]), "0x%08x", (unsigned)gone.counter_index);
	snprintf(idx[1], sizeof(idx[1]), "0x%08x", (unsigned)gone.baseline_index);
	if (json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "device", json_object_new_string(id));
		json_object_object_add(o, "channel", json_object_new_string(gone.channel));
		json_object_object_add(o, "security_version",
				       json_object_new_uint64(gone.security_version));
		json_object_object_add(o, "counter_index", json_object_new_string(idx[0]));
		json_object_object_add(o, "baseline_index", json_object_new_string(idx[1]));
		json_object_object_add(o, "by", json_object_new_string(actor));
		cli_json_print(o);
		json_object_put(o);
	} else {
		printf("device %s: channel '%s' retired (security version %llu, counter %s, "
		       "baseline %s; by %s)\n", id, gone.channel,
		       (unsigned long long)gone.security_version, idx[0], idx[1], actor);
	}
	return GW_EXIT_OK;
}
