// SPDX-License-Identifier: Apache-2.0
// The agent configuration's [channel NAME] sections: counter_index and
// baseline_index of each update channel's anti-rollback counter.
#include "config_channel.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "counter.h"

/* NV indices outside the TCG-defined range (0x01c00000 and up: EK and platform
 * certificates), see doc/updates.md for the range to choose from. */
#define NV_FIRST 0x01000000ul
#define NV_LAST 0x01bffffful

static bool valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > COUNTER_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_' || s[i] == '.'))
			return false;
	return true;
}

static struct agent_channel *find(struct agent_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nchannels; i++)
		if (!strcmp(cfg->channels[i].name, name))
			return &cfg->channels[i];
	return NULL;
}

int config_channel_section(struct agent_config *cfg, const char *name, gw_error *err)
{
	struct agent_channel *ch;

	if (!valid_name(name))
		return gw_fail(err, GW_E_CONFIG, "channel name '%s': use 1-%d of A-Z a-z 0-9 - _ .",
			       name, COUNTER_NAME_MAX);
	if (find(cfg, name))
		return gw_fail(err, GW_E_CONFIG, "[channel %s]: channel defined twice", name);
	if (cfg->nchannels >= AGENT_MAX_CHANNELS)
		return gw_fail(err, GW_E_CONFIG, "[channel %s]: more than %d channels", name,
			       AGENT_MAX_CHANNELS);
	ch = realloc(cfg->channels, (cfg->nchannels + 1) * sizeof(*ch));
	if (!ch)
		return GW_E_NOMEM;
	cfg->channels = ch;
	ch = &cfg->channels[cfg->nchannels];
	memset(ch, 0, sizeof(*ch));
	ch->name = strdup(name);
	if (!ch->name)
		return GW_E_NOMEM;
	cfg->nchannels++;
	return 0;
}

static int parse_nv_index(const char *v, uint32_t *out)
{
	char *end = NULL;
	unsigned long h;

	if (v[0] != '0' || (v[1] != 'x' && v[1] != 'X') || !isxdigit((unsigned char)v[2]))
		return GW_E_PARSE;
	errno = 0;
	h = strtoul(v + 2, &end, 16);
	if (errno || !end || *end || h < NV_FIRST || h > NV_LAST)
		return GW_E_PARSE;
	*out = (uint32_t)h;
	return 0;
}

int config_channel_key(struct agent_config *cfg, const char *name, const char *key,
		       const char *value, gw_error *err)
{
	struct agent_channel *ch = find(cfg, name);
	uint32_t *dst;

	if (!ch) /* the header callback added it; a key cannot come first */
		return gw_fail(err, GW_E_CONFIG, "[channel %s]: key outside its section", name);
	if (!strcmp(key, "counter_index"))
		dst = &ch->counter_index;
	else if (!strcmp(key, "baseline_index"))
		dst = &ch->baseline_index;
	else
		return gw_fail(err, GW_E_CONFIG, "[channel %s]: unknown key '%s'", name, key);
	if (parse_nv_index(value, dst))
		return gw_fail(err, GW_E_CONFIG,
			       "[channel %s]: bad value for '%s': '%s' (an NV index 0x%08lx-0x%08lx)",
			       name, key, value, NV_FIRST, NV_LAST);
	return 0;
}

/* The channel and field holding handle h, other than skip; NULL when none. */
static const struct agent_channel *holder(const struct agent_config *cfg, uint32_t h,
					  const uint32_t *skip, const char **field)
{
	for (size_t i = 0; i < cfg->nchannels; i++) {
		const struct agent_channel *c = &cfg->channels[i];

		if (&c->counter_index != skip && c->counter_index == h) {
			*field = "counter_index";
			return c;
		}
		if (&c->baseline_index != skip && c->baseline_index == h) {
			*field = "baseline_index";
			return c;
		}
	}
	return NULL;
}

int config_channel_check(const struct agent_config *cfg, const char *path, gw_error *err)
{
	for (size_t i = 0; i < cfg->nchannels; i++) {
		const struct agent_channel *c = &cfg->channels[i];
		const uint32_t *mine[2] = { &c->counter_index, &c->baseline_index };

		if (!c->counter_index || !c->baseline_index)
			return gw_fail(err, GW_E_CONFIG, "%s: [channel %s]: %s missing", path,
				       c->name, !c->counter_index ? "counter_index" : "baseline_index");
		for (size_t k = 0; k < 2; k++) {
			const char *field = NULL;
			const struct agent_channel *o = holder(cfg, *mine[k], mine[k], &field);

			if (o)
				return gw_fail(err, GW_E_CONFIG,
					       "%s: [channel %s]: %s 0x%08x is also %s of [channel %s]",
					       path, c->name, k ? "baseline_index" : "counter_index",
					       *mine[k], field, o->name);
		}
	}
	return 0;
}

void config_channel_fini(struct agent_config *cfg)
{
	for (size_t i = 0; i < cfg->nchannels; i++)
		free(cfg->channels[i].name);
	free(cfg->channels);
	cfg->channels = NULL;
	cfg->nchannels = 0;
}
