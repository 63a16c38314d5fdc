/* SPDX-License-Identifier: Apache-2.0 */
/* `gwagent status`'s view of the enrollment: the device id, model and verifier from
 * enrollment.json, whether it is pending or done, and the device certificate's
 * serial, validity and renewal time. Reads only. */
#ifndef GW_AGENT_STATUS_ENROLL_H
#define GW_AGENT_STATUS_ENROLL_H

#include <stdint.h>
#include <stdio.h>

#include <json-c/json.h>

#include "agent.h"

/* {"state": "not-enrolled" | "pending" | "enrolled" | "error", "device_id", "model",
 * "verifier", "certificate": {"serial", "not_before", "not_after", "renew_from",
 * "expired"} or {"error"} or null, "error" (only for state "error")}; NULL when out
 * of memory. now: the system clock. */
json_object *status_enrollment(const struct agent_ctx *ctx, int64_t now);
/* The same as lines for people ("Enrollment: ...", "Certificate: ..."). */
void status_enrollment_print(json_object *e, FILE *out);

#endif
