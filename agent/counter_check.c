// SPDX-License-Identifier: Apache-2.0
// The agent's pure parts of the anti-rollback counters: the baseline record of a
// configured channel, and finding a channel in the configuration (which NV public
// areas are ours: common/counter_nv.c).
#include "counter.h"

#include <string.h>

#include "util.h"

void counter_baseline_encode(const struct counter_channel *ch, uint64_t baseline,
			     uint8_t out[COUNTER_BASELINE_SIZE])
{
	counter_baseline_pack(ch->name, ch->counter_index, baseline, out);
}

int counter_baseline_decode(const struct counter_channel *ch, const uint8_t *in, size_t len,
			    uint64_t *baseline, gw_error *err)
{
	struct counter_baseline_rec rec;
	int rc = counter_baseline_unpack(ch->baseline_index, in, len, &rec, err);

	if (rc)
		return rc;
	if (strcmp(rec.channel, ch->name))
		return gw_fail(err, GW_E_STATE,
			       "baseline 0x%08x belongs to channel '%s', not '%s': the "
			       "configuration points this channel at another channel's indices",
			       ch->baseline_index, rec.channel, ch->name);
	if (rec.counter_index != ch->counter_index)
		return gw_fail(err, GW_E_STATE,
			       "baseline 0x%08x belongs to counter 0x%08x, not 0x%08x: the "
			       "configuration points this channel at another counter",
			       ch->baseline_index, rec.counter_index, ch->counter_index);
	*baseline = rec.baseline;
	return 0;
}

int counter_channel_find(const struct agent_config *cfg, const char *name,
			 struct counter_channel *out, gw_error *err)
{
	for (size_t i = 0; i < cfg->nchannels; i++) {
		if (strcmp(cfg->channels[i].name, name))
			continue;
		out->name = cfg->channels[i].name;
		out->counter_index = cfg->channels[i].counter_index;
		out->baseline_index = cfg->channels[i].baseline_index;
		return 0;
	}
	return gw_fail(err, GW_E_NOTFOUND, "no [channel %s] in the configuration", name);
}
