/* SPDX-License-Identifier: Apache-2.0 */
/* The [channel NAME] sections of the agent configuration: each channel's counter and
 * baseline NV indices. Called by agent/config.c only. */
#ifndef GW_AGENT_CONFIG_CHANNEL_H
#define GW_AGENT_CONFIG_CHANNEL_H

#include "agent.h"

/* A [channel NAME] header (name: what follows "channel "): a new channel. A name
 * seen before, an invalid name or one channel too many is GW_E_CONFIG. */
int config_channel_section(struct agent_config *cfg, const char *name, gw_error *err) GW_WUR;
/* key = value inside [channel NAME]; GW_E_CONFIG for unknown keys and bad values. */
int config_channel_key(struct agent_config *cfg, const char *name, const char *key,
		       const char *value, gw_error *err) GW_WUR;
/* After the whole file: every channel has both indices, and no handle is used twice. */
int config_channel_check(const struct agent_config *cfg, const char *path, gw_error *err) GW_WUR;
void config_channel_fini(struct agent_config *cfg);

#endif
