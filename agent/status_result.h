/* SPDX-License-Identifier: Apache-2.0 */
/* `gwagent status`'s view of the latest attestation result (STATE_DIR/last-result.jwt,
 * verified with the pinned gate key): its status and times, and the model's end of
 * support when the verifier's policy names one, with a notice ahead of the date. */
#ifndef GW_AGENT_STATUS_RESULT_H
#define GW_AGENT_STATUS_RESULT_H

#include <stdint.h>
#include <stdio.h>

#include <json-c/json.h>

#include "agent.h"

#define STATUS_EOL_NOTICE_DAYS 90

/* {"status", "at", "expires", "end_of_support" (or null), "support_days_left" (or
 * null), "notice" (or null)}; {"error"} for a result that does not verify; NULL
 * when the device has no result yet (or no memory). now: the system clock. */
json_object *status_last_result(struct agent_ctx *ctx, int64_t now);
/* The same as lines for people ("Last result: ...", "Support: ..."). */
void status_last_result_print(json_object *r, FILE *out);

#endif
