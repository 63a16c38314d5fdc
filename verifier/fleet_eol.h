/* SPDX-License-Identifier: Apache-2.0 */
/* gwverifier status's end-of-support part: the enrolled devices whose model's
 * policy in force (verified again with the [policy] keys) ends support within a
 * horizon, or already has. */
#ifndef GW_VERIFIER_FLEET_EOL_H
#define GW_VERIFIER_FLEET_EOL_H

#include <stdint.h>

#include <json-c/json.h>

#include "cmd_policy.h"

#define FLEET_EOL_DEFAULT_DAYS 90

/* A JSON array, by device id, of {"id", "model", "end_of_support" (the policy's
 * last supported day), "past" (support has ended at now), "days_left" (whole days
 * to the end, 0 when past)} for every enrolled device whose model's current policy
 * has update.end_of_support ending at or before now + days. A model whose stored
 * policy no longer verifies is listed in *unverified (array of {"model", "error"}),
 * never trusted. *out and *unverified are the caller's. */
int fleet_eol(struct cmd_policy_env *e, int64_t now, unsigned days, json_object **out,
	      json_object **unverified, gw_error *err) GW_WUR;

#endif
