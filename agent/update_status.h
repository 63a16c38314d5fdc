/* SPDX-License-Identifier: Apache-2.0 */
/* gwagent update status: the slot groups, the bootloader's view of them, the
 * anti-rollback counters, the last outcome and the release notes. */
#ifndef GW_AGENT_UPDATE_STATUS_H
#define GW_AGENT_UPDATE_STATUS_H

#include <json-c/json.h>

#include "agent.h"

/* argv[0] is "status". Reads only (except that a trust root is pinned on its
 * first use, as any update command does). */
int update_status_main(struct agent_ctx *ctx, int argc, char **argv);

/* What `update status --json` prints (the update section of `gwagent status`); NULL
 * with *rc and err when the update state cannot be read. The caller checks that
 * [update] is configured. */
json_object *update_status_json(struct agent_ctx *ctx, gw_error *err, int *rc);
/* The same as lines for people, on standard output. */
void update_status_print(json_object *o);

#endif
