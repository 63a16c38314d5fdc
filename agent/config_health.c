// SPDX-License-Identifier: Apache-2.0
// The [health NAME] sections of the agent configuration: the checks a trial boot
// must pass before it is committed.
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "health.h"
#include "util.h"

#define SECTION_PREFIX "health "

bool health_section(const char *section)
{
	return !strncmp(section, SECTION_PREFIX, strlen(SECTION_PREFIX));
}

static bool valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > HEALTH_NAME_MAX)
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") == n;
}

/* systemd's unit name characters, a type suffix, and no leading '-' (it would
 * read as an option to systemctl). */
static bool valid_unit(const char *s)
{
	size_t n = strlen(s);
	const char *dot = strrchr(s, '.');

	if (n == 0 || n > 255 || s[0] == '-' || s[0] == '.' || !dot || !dot[1])
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:-_.@\\") ==
	       n;
}

/* The check being filled: the last one, or a new one. */
static int check_for(struct agent_config *cfg, const char *name, int line,
		     struct agent_health **out, gw_error *err)
{
	struct agent_health *h;

	if (cfg->nhealth && !strcmp(cfg->health[cfg->nhealth - 1].name, name)) {
		*out = &cfg->health[cfg->nhealth - 1];
		return 0;
	}
	for (size_t i = 0; i < cfg->nhealth; i++)
		if (!strcmp(cfg->health[i].name, name))
			return gw_fail(err, GW_E_CONFIG, "[health %s]: check defined twice", name);
	if (cfg->nhealth >= HEALTH_MAX_CHECKS)
		return gw_fail(err, GW_E_CONFIG, "[health %s]: more than %d health checks", name,
			       HEALTH_MAX_CHECKS);
	h = realloc(cfg->health, (cfg->nhealth + 1) * sizeof(*h));
	if (!h)
		return GW_E_NOMEM;
	cfg->health = h;
	h = &cfg->health[cfg->nhealth];
	memset(h, 0, sizeof(*h));
	h->name = strdup(name);
	if (!h->name)
		return GW_E_NOMEM;
	h->timeout = HEALTH_DEFAULT_TIMEOUT;
	h->line = line;
	cfg->nhealth++;
	*out = h;
	return 0;
}

static int set_once(char **dst, const char *section, const char *key, const char *v,
		    gw_error *err)
{
	if (*dst)
		return gw_fail(err, GW_E_CONFIG, "[%s]: '%s' given twice", section, key);
	*dst = strdup(v);
	return *dst ? 0 : GW_E_NOMEM;
}

int health_config_key(struct agent_config *cfg, const char *section, const char *key,
		      const char *value, int line, gw_error *err)
{
	const char *name = section + strlen(SECTION_PREFIX);
	struct agent_health *h = NULL;
	char buf[1024], *argv[HEALTH_MAX_ARGS + 1];
	uint64_t n;
	int rc;

	if (!valid_name(name))
		return gw_fail(err, GW_E_CONFIG, "health check name '%s': use 1-%d of A-Z a-z 0-9 - _ .",
			       name, HEALTH_NAME_MAX);
	rc = check_for(cfg, name, line, &h, err);
	if (rc)
		return rc;
	if (!strcmp(key, "command")) {
		if (health_split_argv(value, buf, sizeof(buf), argv, GW_ARRAY_SIZE(argv), NULL))
			return gw_fail(err, GW_E_CONFIG,
				       "[%s]: bad value for 'command': '%s' (1-%d words, %zu bytes "
				       "at most; no shell, no quoting)",
				       section, value, HEALTH_MAX_ARGS, sizeof(buf) - 1);
		return set_once(&h->command, section, key, value, err);
	}
	if (!strcmp(key, "unit")) {
		if (!valid_unit(value))
			return gw_fail(err, GW_E_CONFIG,
				       "[%s]: bad value for 'unit': '%s' (a systemd unit name such "
				       "as app.service)",
				       section, value);
		return set_once(&h->unit, section, key, value, err);
	}
	if (!strcmp(key, "timeout")) {
		if (gw_parse_u64(value, HEALTH_MAX_TIMEOUT, &n) || n == 0)
			return gw_fail(err, GW_E_CONFIG,
				       "[%s]: bad value for 'timeout': '%s' (seconds, 1-%d)", section,
				       value, HEALTH_MAX_TIMEOUT);
		h->timeout = (unsigned)n;
		return 0;
	}
	return gw_fail(err, GW_E_CONFIG, "[%s]: unknown key '%s'", section, key);
}

int health_config_check(const struct agent_config *cfg, const char *path, gw_error *err)
{
	for (size_t i = 0; i < cfg->nhealth; i++) {
		const struct agent_health *h = &cfg->health[i];

		if (!h->command == !h->unit)
			return gw_fail(err, GW_E_CONFIG,
				       "%s:%d: [health %s]: give exactly one of 'command' and 'unit'",
				       path, h->line, h->name);
	}
	return 0;
}

void health_config_fini(struct agent_config *cfg)
{
	for (size_t i = 0; i < cfg->nhealth; i++) {
		free(cfg->health[i].name);
		free(cfg->health[i].command);
		free(cfg->health[i].unit);
	}
	free(cfg->health);
	cfg->health = NULL;
	cfg->nhealth = 0;
}

int health_split_argv(const char *line, char *buf, size_t buflen, char **argv,
		      size_t maxargs, gw_error *err)
{
	size_t len = strlen(line), n = 0;
	char *p;

	if (len >= buflen || maxargs < 2)
		return gw_fail(err, GW_E_INVAL, "command line longer than %zu bytes", buflen - 1);
	memcpy(buf, line, len + 1);
	p = buf;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			*p++ = '\0';
		if (!*p)
			break;
		if (n + 1 >= maxargs)
			return gw_fail(err, GW_E_INVAL, "command line of more than %zu words",
				       maxargs - 1);
		argv[n++] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
	}
	if (n == 0)
		return gw_fail(err, GW_E_INVAL, "empty command line");
	argv[n] = NULL;
	return 0;
}
