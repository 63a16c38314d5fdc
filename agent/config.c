// SPDX-License-Identifier: Apache-2.0
// The agent configuration file (inih): TPM, state directory, PCRs and boot stages.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "agent.h"
#include "util.h"

struct parse_state {
	struct agent_config *cfg;
	gw_error *err;
	int rc;
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

static struct agent_stage *stage_for(struct agent_config *cfg, const char *name)
{
	struct agent_stage *st;

	if (cfg->nstages && !strcmp(cfg->stages[cfg->nstages - 1].name, name))
		return &cfg->stages[cfg->nstages - 1];
	for (size_t i = 0; i < cfg->nstages; i++)
		if (!strcmp(cfg->stages[i].name, name))
			return NULL; /* a stage section may appear once */
	if (cfg->nstages >= AGENT_MAX_STAGES)
		return NULL;
	st = realloc(cfg->stages, (cfg->nstages + 1) * sizeof(*st));
	if (!st)
		return NULL;
	cfg->stages = st;
	st = &cfg->stages[cfg->nstages];
	memset(st, 0, sizeof(*st));
	st->name = strdup(name);
	if (!st->name)
		return NULL;
	cfg->nstages++;
	return st;
}

static bool valid_stage_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 64)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' || *s == '.'))
			return false;
	return true;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse_state *ps = user;
	struct agent_config *cfg = ps->cfg;
	int rc = 0;

	if (ps->rc)
		return 0; /* keep the first error's detail */
	if (!strcmp(section, "agent")) {
		if (!strcmp(name, "tcti"))
			rc = set_str(&cfg->tcti, value);
		else if (!strcmp(name, "state_dir"))
			rc = set_str(&cfg->state_dir, value);
		else if (!strcmp(name, "firmware_log"))
			rc = set_str(&cfg->firmware_log, value);
		else if (!strcmp(name, "stage_pcr"))
			rc = parse_pcr(value, &cfg->stage_pcr);
		else if (!strcmp(name, "trust_pcr"))
			rc = parse_pcr(value, &cfg->trust_pcr);
		else if (!strcmp(name, "srk_handle"))
			rc = parse_handle(value, &cfg->srk_handle);
		else if (!strcmp(name, "ak_handle"))
			rc = parse_handle(value, &cfg->ak_handle);
		else
			rc = gw_fail(ps->err, GW_E_CONFIG, "[agent]: unknown key '%s'", name);
	} else if (!strncmp(section, "stage ", 6)) {
		const char *sname = section + 6;
		struct agent_stage *st;
		char **files;

		if (!valid_stage_name(sname))
			return ps->rc = gw_fail(ps->err, GW_E_CONFIG,
						"stage name '%s': use 1-64 of A-Z a-z 0-9 - _ .",
						sname), 0;
		if (strcmp(name, "file"))
			return ps->rc = gw_fail(ps->err, GW_E_CONFIG,
						"[stage %s]: unknown key '%s'", sname, name), 0;
		st = stage_for(cfg, sname);
		if (!st)
			return ps->rc = gw_fail(ps->err, GW_E_CONFIG,
						"[stage %s]: defined twice, or too many stages",
						sname), 0;
		if (st->nfiles >= AGENT_MAX_STAGE_FILES || !*value)
			return ps->rc = gw_fail(ps->err, GW_E_CONFIG,
						"[stage %s]: empty file or too many files", sname), 0;
		files = realloc(st->files, (st->nfiles + 1) * sizeof(*files));
		if (!files)
			return ps->rc = GW_E_NOMEM, 0;
		st->files = files;
		st->files[st->nfiles] = strdup(value);
		if (!st->files[st->nfiles])
			return ps->rc = GW_E_NOMEM, 0;
		st->nfiles++;
	} else {
		rc = gw_fail(ps->err, GW_E_CONFIG, "unknown section [%s]", section);
	}
	if (rc == GW_E_PARSE)
		rc = gw_fail(ps->err, GW_E_CONFIG, "[%s]: bad value for '%s': '%s'", section, name,
			     value);
	if (rc) {
		ps->rc = rc;
		return 0;
	}
	return 1;
}

void agent_config_defaults(struct agent_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->stage_pcr = AGENT_STAGE_PCR;
	cfg->trust_pcr = AGENT_TRUST_PCR;
	cfg->srk_handle = TPM_DEFAULT_SRK_HANDLE;
	cfg->ak_handle = TPM_DEFAULT_AK_HANDLE;
}

int agent_config_load(const char *path, struct agent_config *cfg, gw_error *err)
{
	struct parse_state ps = { cfg, err, 0 };
	FILE *f;
	int line;

	f = fopen(path, "re");
	if (!f)
		return gw_fail(err, errno == ENOENT ? GW_E_NOTFOUND : GW_E_CONFIG, "%s: %s", path,
			       strerror(errno));
	line = ini_parse_file(f, handler, &ps);
	fclose(f);
	if (ps.rc) {
		gw_error_prefix(err, "%s:%d: ", path, line);
		return ps.rc == GW_E_NOMEM ? GW_E_NOMEM : GW_E_CONFIG;
	}
	if (line)
		return gw_fail(err, GW_E_CONFIG, "%s:%d: syntax error", path, line);
	if (cfg->stage_pcr == cfg->trust_pcr)
		return gw_fail(err, GW_E_CONFIG, "%s: stage_pcr and trust_pcr must differ", path);
	return 0;
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
	free(cfg->tcti);
	free(cfg->state_dir);
	free(cfg->firmware_log);
	memset(cfg, 0, sizeof(*cfg));
}
