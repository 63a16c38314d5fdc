// SPDX-License-Identifier: Apache-2.0
// The agent configuration file (inih): TPM, state directory, PCRs and boot stages.
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "agent.h"
#include "util.h"

#define STAGE_NAME_MAX 64

struct parse_state {
	struct agent_config *cfg;
	gw_error *err;
	FILE *f;
	int rc;
	int line;     /* lines read so far; the handler's key is on this line */
	int err_line; /* line of the first error in rc */
	int pcr_line; /* last line that set stage_pcr or trust_pcr */
	char section[sizeof("stage ") + STAGE_NAME_MAX]; /* whole; inih's copy is cut */
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

static bool is_blank(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* Section headers are checked here, on the whole line, because inih cuts section
 * names to 49 bytes without an error and ignores text after the ']'. */
static int check_section(struct parse_state *ps, const char *line)
{
	const char *end = strchr(line, ']');
	const char *p;
	size_t n;

	if (!end)
		return 0; /* inih reports the syntax error */
	for (p = end + 1; is_blank(*p) || *p == '\n'; p++)
		;
	if (*p && *p != ';')
		return gw_fail(ps->err, GW_E_CONFIG, "text after section header: '%.*s'",
			       (int)strcspn(p, "\r\n"), p);
	n = (size_t)(end - line - 1);
	if ((n == 5 && !memcmp(line + 1, "agent", 5)) ||
	    (n >= 6 && !memcmp(line + 1, "stage ", 6) && valid_stage_name(line + 7, n - 6))) {
		memcpy(ps->section, line + 1, n);
		ps->section[n] = '\0';
		return 0;
	}
	if (n >= 6 && !memcmp(line + 1, "stage ", 6))
		return gw_fail(ps->err, GW_E_CONFIG, "stage name '%.*s': use 1-%d of A-Z a-z 0-9 - _ .",
			       (int)(n - 6), line + 7, STAGE_NAME_MAX);
	return gw_fail(ps->err, GW_E_CONFIG, "unknown section [%.*s]", (int)n, line + 1);
}

/* inih's line reader. Counting lines here lets every error name its line. A NUL
 * byte or a line longer than inih's buffer is an error: inih would cut either one
 * short and read on. Leading blanks are dropped so that an indented line means what
 * it says instead of continuing the previous key's value. */
static char *read_line(char *buf, int num, void *stream)
{
	struct parse_state *ps = stream;
	size_t cap = num > 1 ? (size_t)num - 1 : 0;
	size_t n = 0, skip = 0;
	int c = 0;

	if (ps->rc || !cap)
		return NULL;
	while (n < cap && (c = getc(ps->f)) != EOF) {
		if (c == '\0') {
			ps->rc = gw_fail(ps->err, GW_E_CONFIG, "NUL byte");
			goto fail;
		}
		buf[n++] = (char)c;
		if (c == '\n')
			break;
	}
	if (ferror(ps->f)) {
		ps->rc = gw_fail(ps->err, GW_E_CONFIG, "read error: %s", strerror(errno));
		goto fail;
	}
	if (n == 0)
		return NULL;
	if (n == cap && buf[n - 1] != '\n' && (c = getc(ps->f)) != EOF && c != '\n') {
		ps->rc = gw_fail(ps->err, GW_E_CONFIG, "line longer than %zu bytes", cap);
		goto fail;
	}
	buf[n] = '\0';
	ps->line++;
	if (ps->line == 1 && n >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3))
		skip = 3; /* UTF-8 byte order mark */
	while (is_blank(buf[skip]))
		skip++;
	memmove(buf, buf + skip, n - skip + 1);
	if (buf[0] == '[' && (ps->rc = check_section(ps, buf)))
		goto fail_counted;
	return buf;
fail:
	ps->line++;
fail_counted:
	ps->err_line = ps->line;
	return NULL;
}

static int handler(void *user, const char *inih_section, const char *name, const char *value)
{
	struct parse_state *ps = user;
	struct agent_config *cfg = ps->cfg;
	const char *section = ps->section;
	int rc = 0;

	(void)inih_section; /* may be cut short; read_line kept the whole name */
	if (ps->rc)
		return 0; /* keep the first error's detail */
	if (!strcmp(section, "agent")) {
		if (!strcmp(name, "tcti"))
			rc = set_str(&cfg->tcti, value);
		else if (!strcmp(name, "state_dir"))
			rc = set_str(&cfg->state_dir, value);
		else if (!strcmp(name, "firmware_log"))
			rc = set_str(&cfg->firmware_log, value);
		else if (!strcmp(name, "stage_pcr") || !strcmp(name, "trust_pcr")) {
			rc = parse_pcr(value, name[0] == 's' ? &cfg->stage_pcr : &cfg->trust_pcr);
			ps->pcr_line = ps->line;
		} else if (!strcmp(name, "srk_handle"))
			rc = parse_handle(value, &cfg->srk_handle);
		else if (!strcmp(name, "ak_handle"))
			rc = parse_handle(value, &cfg->ak_handle);
		else
			rc = gw_fail(ps->err, GW_E_CONFIG, "[agent]: unknown key '%s'", name);
	} else if (!strncmp(section, "stage ", 6)) {
		rc = add_file(ps, section + 6, name, value);
	} else {
		rc = gw_fail(ps->err, GW_E_CONFIG, "unknown section [%s]", section);
	}
	if (rc == GW_E_PARSE)
		rc = gw_fail(ps->err, GW_E_CONFIG, "[%s]: bad value for '%s': '%s'", section, name,
			     value);
	if (rc) {
		ps->rc = rc;
		ps->err_line = ps->line;
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
	struct parse_state ps = { .cfg = cfg, .err = err };
	int line;

	ps.f = fopen(path, "re");
	if (!ps.f)
		return gw_fail(err, errno == ENOENT ? GW_E_NOTFOUND : GW_E_CONFIG, "%s: %s", path,
			       strerror(errno));
	line = ini_parse_stream(read_line, &ps, handler, &ps);
	fclose(ps.f);
	/* inih reads on after a syntax error; the first error is the one to report. */
	if (line > 0 && (!ps.rc || line < ps.err_line))
		return gw_fail(err, GW_E_CONFIG, "%s:%d: syntax error (expected [section] or key = value)",
			       path, line);
	if (ps.rc) {
		gw_error_prefix(err, "%s:%d: ", path, ps.err_line);
		return ps.rc == GW_E_NOMEM ? GW_E_NOMEM : GW_E_CONFIG;
	}
	if (cfg->stage_pcr == cfg->trust_pcr)
		return gw_fail(err, GW_E_CONFIG, "%s:%d: stage_pcr and trust_pcr must differ (both %u)",
			       path, ps.pcr_line, cfg->stage_pcr);
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
