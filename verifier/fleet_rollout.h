/* SPDX-License-Identifier: Apache-2.0 */
/* gwverifier status's rollout part: per active (not withdrawn) release, how far it
 * has reached the enrolled devices of its models and channel, from the store
 * (devices, their certified counters and stored update state) and each model's
 * policy in force, verified again. */
#ifndef GW_VERIFIER_FLEET_ROLLOUT_H
#define GW_VERIFIER_FLEET_ROLLOUT_H

#include <stdint.h>

#include <json-c/json.h>

#include "cmd_policy.h"

/* A JSON array, oldest release first, of {"id", "version", "models", "channel",
 * "rollout", "approval" ("not-required", "pending", "approved"), "devices" (enrolled,
 * of a listed model, on the channel), "in_cohort", "offered" (eligible now),
 * "running", "in_trial", "rolled_back" (last outcome rolled-back or fell-back from
 * it), "unreachable" (below the device's certified counter, or past the model's end
 * of support and not an end-of-life transition)}. A model whose policy does not
 * verify offers nothing. *out is the caller's. Of e->cfg it reads policy_threshold,
 * release_max_attest_age and default_channel only: the metrics listener copies
 * just these (metrics_http.c), so a new one read here must be copied there too. */
int fleet_rollout(struct cmd_policy_env *e, int64_t now, json_object **out,
		  gw_error *err) GW_WUR;

#endif
