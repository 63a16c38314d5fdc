/* SPDX-License-Identifier: Apache-2.0 */
/* The time a gateway judges expiry by. Gateways often have no trustworthy clock (a
 * flat RTC battery brings back 1970, a bad NTP source a date years ahead), so the
 * time of the latest attestation result the agent verified is a floor under it: the
 * "iat" of STATE_DIR/last-result.jwt, verified again with the pinned gate key when
 * read. The system clock counts when it is later: a clock ahead only makes things
 * expire sooner (fails safe), while the result's time alone could be frozen by
 * keeping the device from attesting (doc/updates.md, "The clock expiry is judged
 * by"). */
#ifndef GW_AGENT_EAR_TIME_H
#define GW_AGENT_EAR_TIME_H

#include <stdbool.h>
#include <stdint.h>

#include "agent.h"

#include <json-c/json.h>

enum ear_time_source { EAR_TIME_SYSTEM, EAR_TIME_RESULT };

/* The claims of STATE_DIR/last-result.jwt verified with the pinned gate key (a new
 * reference, the caller's). GW_E_NOTFOUND when there is no result or no gate key;
 * GW_E_SIGNATURE / GW_E_PARSE for one that does not verify (tampered with). */
int ear_latest_claims(struct agent_ctx *ctx, json_object **claims, gw_error *err) GW_WUR;

/* *now: the later of the system clock (source EAR_TIME_SYSTEM, also on a tie, and
 * when the device has no result or gate key yet) and the latest verified result's
 * issue time (EAR_TIME_RESULT: the clock is behind it).
 * A result that is there but does not verify, or has no integer "iat", is
 * GW_E_SIGNATURE / GW_E_PARSE: the device's record was tampered with. */
int ear_time_now(struct agent_ctx *ctx, int64_t *now, enum ear_time_source *source,
		 gw_error *err) GW_WUR;
const char *ear_time_source_name(enum ear_time_source s);

#endif
