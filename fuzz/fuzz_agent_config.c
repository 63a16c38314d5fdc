// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the agent configuration file: load, check what a loaded
// configuration promises, and free.
#define _GNU_SOURCE /* memfd_create */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "agent.h"
#include "health.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* agent_config_load takes a path: the input goes into one memfd, rewritten per run. */
static int fd = -1;
static char path[64];

/* [update] and its slots: complete, every class in both groups, no device twice. */
static void check_update(const struct agent_update_config *u)
{
	if (u->trial_tries < 1 || u->trial_tries > BL_MAX_TRIES)
		__builtin_trap();
	if (!u->configured) {
		if (u->nslots)
			__builtin_trap();
		return;
	}
	if (!u->root || !u->channel || !u->bootloader_set || !u->bootloader_path || !u->nslots ||
	    u->nslots > 2 * AGENT_MAX_SLOT_CLASSES)
		__builtin_trap();
	for (size_t i = 0; i < u->nslots; i++) {
		const struct agent_slot *s = &u->slots[i];

		if (!s->device[0] ||
		    !config_update_slot(u, s->group == BL_GROUP_A ? BL_GROUP_B : BL_GROUP_A,
					s->class_name))
			__builtin_trap();
		for (size_t j = 0; j < i; j++)
			if (!strcmp(u->slots[j].device, s->device))
				__builtin_trap();
	}
}

/* [consent]: windows round-trip through their text, limits hold. */
static void check_consent(const struct agent_consent *c)
{
	char text[64];
	struct consent_window back;

	if (c->nwindows > CONSENT_MAX_WINDOWS || c->max_deferral < 0 ||
	    c->max_deferral > CONSENT_MAX_DEFERRAL_LIMIT || strlen(c->tz) > CONSENT_TZ_MAX)
		__builtin_trap();
	for (size_t i = 0; i < c->nwindows; i++) {
		const struct consent_window *w = &c->windows[i];

		if (!w->days || w->days > 0x7f || w->start >= 1440 || w->end > 1440 ||
		    w->start == w->end || consent_window_format(w, text, sizeof(text)) ||
		    consent_window_parse(text, &back) || memcmp(w, &back, sizeof(back)))
			__builtin_trap();
	}
}

static void check_loaded(const struct agent_config *cfg)
{
	if (cfg->stage_pcr > 23 || cfg->trust_pcr > 23 || cfg->stage_pcr == cfg->trust_pcr)
		__builtin_trap();
	if (cfg->srk_handle < 0x81000000u || cfg->srk_handle > 0x81ffffffu ||
	    cfg->ak_handle < 0x81000000u || cfg->ak_handle > 0x81ffffffu)
		__builtin_trap();
	if (cfg->nstages > AGENT_MAX_STAGES || cfg->nchannels > AGENT_MAX_CHANNELS)
		__builtin_trap();
	for (size_t i = 0; i < cfg->nchannels; i++) {
		const struct agent_channel *c = &cfg->channels[i];
		size_t n = strlen(c->name);

		if (n == 0 || n > 64 || c->counter_index == c->baseline_index ||
		    c->counter_index < 0x01000000u || c->counter_index > 0x01bfffffu ||
		    c->baseline_index < 0x01000000u || c->baseline_index > 0x01bfffffu)
			__builtin_trap();
		for (size_t j = 0; j < i; j++)
			if (!strcmp(cfg->channels[j].name, c->name) ||
			    cfg->channels[j].counter_index == c->counter_index ||
			    cfg->channels[j].counter_index == c->baseline_index ||
			    cfg->channels[j].baseline_index == c->counter_index ||
			    cfg->channels[j].baseline_index == c->baseline_index)
				__builtin_trap();
	}
	for (size_t i = 0; i < cfg->nstages; i++) {
		const struct agent_stage *st = &cfg->stages[i];
		size_t n = strlen(st->name);

		if (n == 0 || n > 64 || strspn(st->name, "abcdefghijklmnopqrstuvwxyz"
						"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") != n)
			__builtin_trap();
		for (size_t j = 0; j < i; j++)
			if (!strcmp(cfg->stages[j].name, st->name))
				__builtin_trap();
		if (st->nfiles == 0 || st->nfiles > AGENT_MAX_STAGE_FILES)
			__builtin_trap();
		for (size_t j = 0; j < st->nfiles; j++)
			if (!st->files[j][0])
				__builtin_trap();
	}
	check_update(&cfg->update);
	check_consent(&cfg->consent);
	if (cfg->nhealth > HEALTH_MAX_CHECKS)
		__builtin_trap();
	for (size_t i = 0; i < cfg->nhealth; i++) {
		const struct agent_health *h = &cfg->health[i];

		if (!h->command == !h->unit || h->timeout == 0 || h->timeout > HEALTH_MAX_TIMEOUT)
			__builtin_trap();
		if (!h->name[0] || strlen(h->name) > HEALTH_NAME_MAX)
			__builtin_trap();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct agent_config cfg;
	gw_error err = { { 0 } };
	int rc;

	if (fd < 0) {
		fd = memfd_create("fuzz_agent_config", MFD_CLOEXEC);
		if (fd < 0 || snprintf(path, sizeof(path), "/proc/self/fd/%d", fd) >=
				      (int)sizeof(path))
			abort();
	}
	if (ftruncate(fd, 0) || (size && pwrite(fd, data, size, 0) != (ssize_t)size))
		abort();
	agent_config_defaults(&cfg);
	rc = agent_config_load(path, &cfg, &err);
	if (rc == 0)
		check_loaded(&cfg);
	else if ((rc != GW_E_CONFIG && rc != GW_E_NOMEM) || strncmp(err.msg, path, strlen(path)))
		__builtin_trap();
	agent_config_fini(&cfg);
	return 0;
}
