// SPDX-License-Identifier: Apache-2.0
// The agent configuration file (inih): TPM, state directory, PCRs, verifier and boot
// stages.
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inifile.h"

#include "agent.h"
#include "config_channel.h"
#include "consent.h"
#include "health.h"
#include "util.h"

#define STAGE_NAME_MAX 64

struct parse_state {
	struct agent_config *cfg;
	gw_error *err;
	int pcr_line; /* last line that set stage_pcr or trust_pcr */
};

static int set_str(char **dst, const char *v)
{
	char *s = strdup(v);

	if (!s)
		return GW_E_NOMEM;
	free(*dst);
	*dst = s;
	return 0;
}

static int parse_handle(const char *v, uint32_t *out)
{
	char *end = NULL;
	unsigned long h;

	/* strtoul would also take a sign, which wraps into range where long is 32 bits. */
	if (!isxdigit((unsigned char)*v))
		return GW_E_PARSE;
	errno = 0;
	h = strtoul(v, &end, 16);
	if (errno || !end || *end || h < 0x81000000ul || h > 0x81ffffffUL)
		return GW_E_PARSE;
	*out = (uint32_t)h;
	return 0;
}

static int parse_pcr(const char *v, unsigned *out)
{
	uint64_t n;

	if (gw_parse_u64(v, 23, &n))
		return GW_E_PARSE;
	*out = (unsigned)n;
	return 0;
}

/* Device ids and models: 1-64 of A-Z a-z 0-9 . _ - (the verifier's rule). */
static bool valid_id(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_' || s[i] == '.'))
			return false;
	return true;
}

static int parse_interval(const char *v, unsigned *out)
{
	uint64_t n;

	if (gw_parse_u64(v, AGENT_MAX_ATTEST_INTERVAL, &n) || n < AGENT_MIN_ATTEST_INTERVAL)
		return GW_E_PARSE;
	*out = (unsigned)n;
	return 0;
}

/* The stage being filled: the last one, or a new one. */
static int stage_for(struct parse_state *ps, const char *name, struct agent_stage **out)
{
	struct agent_config *cfg = ps->cfg;
	struct agent_stage *st;

	if (cfg->nstages && !strcmp(cfg->stages[cfg->nstages - 1].name, name)) {
		*out = &cfg->stages[cfg->nstages - 1];
		return 0;
	}
	for (size_t i = 0; i < cfg->nstages; i++)
		if (!strcmp(cfg->stages[i].name, name))
			return gw_fail(ps->err, GW_E_CONFIG, "[stage %s]: stage defined twice",
				       name);
	if (cfg->nstages >= AGENT_MAX_STAGES)
		return gw_fail(ps->err, GW_E_CONFIG, "[stage %s]: more than %d stages", name,
			       AGENT_MAX_STAGES);
	st = realloc(cfg->stages, (cfg->nstages + 1) * sizeof(*st));
	if (!st)
		return GW_E_NOMEM;
	cfg->stages = st;
	st = &cfg->stages[cfg->nstages];
	memset(st, 0, sizeof(*st));
	st->name = strdup(name);
	if (!st->name)
		return GW_E_NOMEM;
	cfg->nstages++;
	*out = st;
	return 0;
}

static bool valid_stage_name(const char *s, size_t n)
{
	if (n == 0 || n > STAGE_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_' || s[i] == '.'))
			return false;
	return true;
}

static int add_file(struct parse_state *ps, const char *sname, const char *key,
		    const char *value)
{
	struct agent_stage *st = NULL;
	char **files;
	int rc;

	if (!valid_stage_name(sname, strlen(sname)))
		return gw_fail(ps->err, GW_E_CONFIG, "stage name '%s': use 1-%d of A-Z a-z 0-9 - _ .",
			       sname, STAGE_NAME_MAX);
	if (strcmp(key, "file"))
		return gw_fail(ps->err, GW_E_CONFIG, "[stage %s]: unknown key '%s'", sname, key);
	if (!*value)
		return gw_fail(ps->err, GW_E_CONFIG, "[stage %s]: empty file", sname);
	rc = stage_for(ps, sname, &st);
	if (rc)
		return rc;
	if (st->nfiles >= AGENT_MAX_STAGE_FILES)
		return gw_fail(ps->err, GW_E_CONFIG, "[stage %s]: more than %d files", sname,
			       AGENT_MAX_STAGE_FILES);
	files = realloc(st->files, (st->nfiles + 1) * sizeof(*files));
	if (!files)
		return GW_E_NOMEM;
	st->files = files;
	st->files[st->nfiles] = strdup(value);
	if (!st->files[st->nfiles])
		return GW_E_NOMEM;
	st->nfiles++;
	return 0;
}

static int on_section(void *user, const char *name, gw_error *err)
{
	struct parse_state *ps = user;
	size_t n = strlen(name);
	int rc = 0;

	if (n >= 8 && !memcmp(name, "channel ", 8))
		return config_channel_section(ps->cfg, name + 8, err);
	if (config_update_section(name, &rc, err))
		return rc;
	if (health_section(name))
		return 0;
	if (!strcmp(name, "agent") || !strcmp(name, "consent") ||
	    (n >= 6 && !memcmp(name, "stage ", 6) && valid_stage_name(name + 6, n - 6)))
		return 0;
	if (n >= 6 && !memcmp(name, "stage ", 6))
		return gw_fail(err, GW_E_CONFIG, "stage name '%s': use 1-%d of A-Z a-z 0-9 - _ .",
			       name + 6, STAGE_NAME_MAX);
	return gw_fail(err, GW_E_CONFIG, "unknown section [%s]", name);
}

static int on_key(void *user, const char *section, const char *name, const char *value,
		  int line, gw_error *err)
{
	struct parse_state *ps = user;
	struct agent_config *cfg = ps->cfg;
	int rc = 0;

	(void)err; /* ps->err is the same buffer */
	if (!strcmp(section, "agent")) {
		if (!strcmp(name, "tcti"))
			rc = set_str(&cfg->tcti, value);
		else if (!strcmp(name, "state_dir"))
			rc = set_str(&cfg->state_dir, value);
		else if (!strcmp(name, "firmware_log"))
			rc = set_str(&cfg->firmware_log, value);
		else if (!strcmp(name, "stage_pcr") || !strcmp(name, "trust_pcr")) {
			rc = parse_pcr(value, name[0] == 's' ? &cfg->stage_pcr : &cfg->trust_pcr);
			ps->pcr_line = line;
		} else if (!strcmp(name, "srk_handle"))
			rc = parse_handle(value, &cfg->srk_handle);
		else if (!strcmp(name, "ak_handle"))
			rc = parse_handle(value, &cfg->ak_handle);
		else if (!strcmp(name, "verifier_url"))
			rc = strncmp(value, "https://", 8) || !value[8] ? GW_E_PARSE
								     : set_str(&cfg->verifier_url, value);
		else if (!strcmp(name, "verifier_ca"))
			rc = *value ? set_str(&cfg->verifier_ca, value) : GW_E_PARSE;
		else if (!strcmp(name, "device_id"))
			rc = valid_id(value) ? set_str(&cfg->device_id, value) : GW_E_PARSE;
		else if (!strcmp(name, "model"))
			rc = valid_id(value) ? set_str(&cfg->model, value) : GW_E_PARSE;
		else if (!strcmp(name, "attest_interval"))
			rc = parse_interval(value, &cfg->attest_interval);
		else
			rc = gw_fail(ps->err, GW_E_CONFIG, "[agent]: unknown key '%s'", name);
	} else if (!strncmp(section, "stage ", 6)) {
		rc = add_file(ps, section + 6, name, value);
	} else if (!strncmp(section, "channel ", 8)) {
		rc = config_channel_key(cfg, section + 8, name, value, ps->err);
	} else if (config_update_section(section, &rc, ps->err)) {
		rc = rc ? rc : config_update_key(cfg, section, name, value, line, ps->err);
	} else if (!strcmp(section, "consent")) {
		rc = consent_config_key(&cfg->consent, name, value, ps->err);
	} else if (health_section(section)) {
		rc = health_config_key(cfg, section, name, value, line, ps->err);
	} else {
		rc = gw_fail(ps->err, GW_E_CONFIG, "unknown section [%s]", section);
	}
	if (rc == GW_E_PARSE)
		rc = gw_fail(ps->err, GW_E_CONFIG, "[%s]: bad value for '%s': '%s'", section, name,
			     value);
	return rc;
}

void agent_config_defaults(struct agent_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->stage_pcr = AGENT_STAGE_PCR;
	cfg->trust_pcr = AGENT_TRUST_PCR;
	cfg->srk_handle = TPM_DEFAULT_SRK_HANDLE;
	cfg->ak_handle = TPM_DEFAULT_AK_HANDLE;
	cfg->attest_interval = AGENT_DEFAULT_ATTEST_INTERVAL;
	config_update_defaults(&cfg->update);
	consent_defaults(&cfg->consent);
}

int agent_config_load(const char *path, struct agent_config *cfg, gw_error *err)
{
	static const struct gw_ini_ops ops = { on_section, on_key };
	struct parse_state ps = { .cfg = cfg, .err = err };
	int rc;

	rc = gw_ini_load(path, &ops, &ps, err);
	if (rc)
		return rc;
	if (cfg->stage_pcr == cfg->trust_pcr)
		return gw_fail(err, GW_E_CONFIG, "%s:%d: stage_pcr and trust_pcr must differ (both %u)",
			       path, ps.pcr_line, cfg->stage_pcr);
	rc = config_channel_check(cfg, path, err);
	if (!rc)
		rc = config_update_check(path, cfg, err);
	if (!rc)
		rc = health_config_check(cfg, path, err);
	return rc;
}

void agent_config_fini(struct agent_config *cfg)
{
	for (size_t i = 0; i < cfg->nstages; i++) {
		for (size_t j = 0; j < cfg->stages[i].nfiles; j++)
			free(cfg->stages[i].files[j]);
		free(cfg->stages[i].files);
		free(cfg->stages[i].name);
	}
	free(cfg->stages);
	config_channel_fini(cfg);
	health_config_fini(cfg);
	free(cfg->tcti);
	free(cfg->state_dir);
	free(cfg->firmware_log);
	free(cfg->verifier_url);
	free(cfg->verifier_ca);
	free(cfg->device_id);
	free(cfg->model);
	config_update_fini(&cfg->update);
	memset(cfg, 0, sizeof(*cfg));
}

/* Here rather than in main.c: the library's modules (and their unit tests) use it. */
int agent_path(const struct agent_ctx *ctx, const char *name, char *buf, size_t len)
{
	return gw_snprintf(buf, len, "%s/%s", ctx->state_dir, name);
}
