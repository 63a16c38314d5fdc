// SPDX-License-Identifier: Apache-2.0
// Parsers and formatters of bootloader state: the A/B variables, GRUB environment
// blocks, systemd-boot entry names and loader.conf's default, the kernel command
// line; no I/O, so the unit tests and fuzz targets call them directly.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bl_internal.h"
#include "util.h"

const char *const bl_grub_vars[BL_NVARS] = { "ORDER", "A_OK", "B_OK", "A_TRY", "B_TRY" };
const char *const bl_uboot_vars[BL_NVARS] = { "BOOT_ORDER", "BOOT_A_OK", "BOOT_B_OK",
					      "BOOT_A_LEFT", "BOOT_B_LEFT" };

void bl_env_defaults(struct bl_env *env)
{
	memset(env, 0, sizeof(*env));
	env->primary = BL_GROUP_A;
	env->ok[BL_GROUP_A] = true;
}

bool bl_env_equal(const struct bl_env *a, const struct bl_env *b)
{
	for (int g = 0; g < BL_NGROUPS; g++)
		if (a->ok[g] != b->ok[g] || a->tries[g] != b->tries[g])
			return false;
	return a->primary == b->primary;
}

int bl_env_decide(struct bl_env *env, enum bl_group *out, gw_error *err)
{
	const enum bl_group order[BL_NGROUPS] = { env->primary, bl_other(env->primary) };

	for (int i = 0; i < BL_NGROUPS; i++) {
		if (env->tries[order[i]] > 0) {
			env->tries[order[i]]--;
			*out = order[i];
			return 0;
		}
	}
	for (int i = 0; i < BL_NGROUPS; i++) {
		if (env->ok[order[i]]) {
			*out = order[i];
			return 0;
		}
	}
	return gw_fail(err, GW_E_NOTFOUND, "no slot group may boot: both are bad and none "
		       "is on trial");
}

int bl_env_from_values(const char *const names[BL_NVARS], const char *const vals[BL_NVARS],
		       struct bl_env *out, gw_error *err)
{
	struct bl_env env;

	bl_env_defaults(&env);
	if (vals[BL_VAR_ORDER]) {
		if (!strcmp(vals[BL_VAR_ORDER], "A B"))
			env.primary = BL_GROUP_A;
		else if (!strcmp(vals[BL_VAR_ORDER], "B A"))
			env.primary = BL_GROUP_B;
		else
			return gw_fail(err, GW_E_PARSE, "%s='%.40s': not \"A B\" or \"B A\"",
				       names[BL_VAR_ORDER], vals[BL_VAR_ORDER]);
	}
	for (int g = 0; g < BL_NGROUPS; g++) {
		const char *ok = vals[BL_VAR_A_OK + g], *tries = vals[BL_VAR_A_TRY + g];

		if (ok) {
			if (strcmp(ok, "0") && strcmp(ok, "1"))
				return gw_fail(err, GW_E_PARSE, "%s='%.40s': not 0 or 1",
					       names[BL_VAR_A_OK + g], ok);
			env.ok[g] = ok[0] == '1';
		}
		if (tries) {
			if (tries[0] < '0' || tries[0] > '0' + BL_MAX_TRIES || tries[1])
				return gw_fail(err, GW_E_PARSE, "%s='%.40s': not 0..%d",
					       names[BL_VAR_A_TRY + g], tries, BL_MAX_TRIES);
			env.tries[g] = (unsigned)(tries[0] - '0');
		}
	}
	*out = env;
	return 0;
}

void bl_env_to_values(const struct bl_env *env, char vals[BL_NVARS][BL_VAL_MAX])
{
	snprintf(vals[BL_VAR_ORDER], BL_VAL_MAX, "%s",
		 env->primary == BL_GROUP_A ? "A B" : "B A");
	for (int g = 0; g < BL_NGROUPS; g++) {
		snprintf(vals[BL_VAR_A_OK + g], BL_VAL_MAX, "%d", env->ok[g] ? 1 : 0);
		snprintf(vals[BL_VAR_A_TRY + g], BL_VAL_MAX, "%u",
			 env->tries[g] > BL_MAX_TRIES ? BL_MAX_TRIES : env->tries[g]);
	}
}

/* ---------------------------------------------------------------- grubenv --- */

const char *bl_grubenv_get(const struct bl_grubenv *env, const char *name)
{
	for (size_t i = 0; i < env->n; i++)
		if (env->kv[i].name && !strcmp(env->kv[i].name, name))
			return env->kv[i].value;
	return NULL;
}

int bl_grubenv_set(struct bl_grubenv *env, const char *name, const char *value)
{
	char *v = strdup(value);
	struct bl_kv *kv;

	if (!v)
		return GW_E_NOMEM;
	for (size_t i = 0; name && i < env->n; i++) {
		if (env->kv[i].name && !strcmp(env->kv[i].name, name)) {
			free(env->kv[i].value);
			env->kv[i].value = v;
			return 0;
		}
	}
	kv = realloc(env->kv, (env->n + 1) * sizeof(*kv));
	if (!kv) {
		free(v);
		return GW_E_NOMEM;
	}
	env->kv = kv;
	kv[env->n].name = NULL;
	if (name) {
		kv[env->n].name = strdup(name);
		if (!kv[env->n].name) {
			free(v);
			return GW_E_NOMEM;
		}
	}
	kv[env->n].value = v;
	env->n++;
	return 0;
}

void bl_grubenv_fini(struct bl_grubenv *env)
{
	if (!env)
		return;
	for (size_t i = 0; i < env->n; i++) {
		free(env->kv[i].name);
		free(env->kv[i].value);
	}
	free(env->kv);
	env->kv = NULL;
	env->n = 0;
}

/* One "name=value\n" line at *pos; the value unescaped as grub does. */
static int grubenv_line(const uint8_t *buf, size_t len, size_t *pos, struct bl_grubenv *env,
			gw_error *err)
{
	size_t p = *pos, start = p, vlen = 0;
	char *name = NULL, *value = NULL;
	int rc = 0;

	while (p < len && buf[p] != '=' && buf[p] != '\n' && buf[p] != '\\')
		p++;
	if (p >= len || buf[p] != '=' || p == start) {
		rc = gw_fail(err, GW_E_PARSE, "environment block: offset %zu: not a name=value "
			     "line", start);
		goto out;
	}
	name = strndup((const char *)buf + start, p - start);
	value = malloc(len - p);
	if (!name || !value) {
		rc = GW_E_NOMEM;
		goto out;
	}
	for (p++; p < len && buf[p] != '\n'; p++) {
		if (buf[p] == '\\' && ++p >= len)
			break;
		value[vlen++] = (char)buf[p];
	}
	if (p >= len) {
		rc = gw_fail(err, GW_E_PARSE, "environment block: variable %.64s runs into the "
			     "end of the block", name);
		goto out;
	}
	value[vlen] = '\0';
	if (bl_grubenv_get(env, name)) {
		rc = gw_fail(err, GW_E_PARSE, "environment block: variable %.64s set twice", name);
		goto out;
	}
	rc = bl_grubenv_set(env, name, value);
	*pos = p + 1;
out:
	free(name);
	free(value);
	return rc;
}

/* A '#' line (grub-editenv writes a warning) is kept as it is; '#' up to the end
 * of the block without a newline is the padding (returns 1). */
static int grubenv_comment(const uint8_t *buf, size_t len, size_t *pos, struct bl_grubenv *env)
{
	const uint8_t *nl = memchr(buf + *pos, '\n', len - *pos);
	char *text;
	int rc;

	if (!nl)
		return 1;
	text = strndup((const char *)buf + *pos, (size_t)(nl - buf) - *pos);
	if (!text)
		return GW_E_NOMEM;
	rc = bl_grubenv_set(env, NULL, text);
	free(text);
	if (!rc)
		*pos = (size_t)(nl - buf) + 1;
	return rc;
}

int bl_grubenv_parse(const uint8_t *buf, size_t len, struct bl_grubenv *out, gw_error *err)
{
	struct bl_grubenv env = { 0 };
	const size_t siglen = strlen(BL_GRUBENV_SIG);
	size_t pos = siglen;
	const uint8_t *nul;
	int rc = 0;

	if (len != BL_GRUBENV_SIZE)
		return gw_fail(err, GW_E_PARSE, "environment block is %zu bytes, not %d", len,
			       BL_GRUBENV_SIZE);
	if (memcmp(buf, BL_GRUBENV_SIG, siglen))
		return gw_fail(err, GW_E_PARSE, "environment block: no \"# GRUB Environment "
			       "Block\" signature");
	nul = memchr(buf, '\0', len);
	if (nul)
		return gw_fail(err, GW_E_PARSE, "environment block: a NUL byte at offset %zu",
			       (size_t)(nul - buf));
	while (pos < len) {
		if (buf[pos] == '#')
			rc = grubenv_comment(buf, len, &pos, &env);
		else
			rc = grubenv_line(buf, len, &pos, &env, err);
		if (rc == 1) {
			rc = 0;
			break; /* the padding */
		}
		if (rc)
			goto out;
	}
	for (; pos < len; pos++) {
		if (buf[pos] != '#') {
			rc = gw_fail(err, GW_E_PARSE, "environment block: offset %zu: 0x%02x in "
				     "the '#' padding", pos, buf[pos]);
			goto out;
		}
	}
	*out = env; /* transferred */
	memset(&env, 0, sizeof(env));
out:
	bl_grubenv_fini(&env);
	return rc;
}

int bl_grubenv_format(const struct bl_grubenv *env, uint8_t out[BL_GRUBENV_SIZE], gw_error *err)
{
	const size_t siglen = strlen(BL_GRUBENV_SIG);
	size_t pos = siglen;

	memcpy(out, BL_GRUBENV_SIG, siglen);
	for (size_t i = 0; i < env->n; i++) {
		const char *name = env->kv[i].name, *v = env->kv[i].value;
		size_t need = name ? strlen(name) + 2 : strlen(v) + 1;

		if (!name) { /* a comment line, as it was */
			if (need > BL_GRUBENV_SIZE - pos)
				return gw_fail(err, GW_E_TOOBIG, "environment block: no room "
					       "for a comment in %d bytes", BL_GRUBENV_SIZE);
			memcpy(out + pos, v, need - 1);
			pos += need - 1;
			out[pos++] = '\n';
			continue;
		}

		for (const char *c = v; *c; c++)
			need += (*c == '\\' || *c == '\n') ? 2 : 1;
		if (need > BL_GRUBENV_SIZE - pos)
			return gw_fail(err, GW_E_TOOBIG, "environment block: no room for %.64s "
				       "in %d bytes", name, BL_GRUBENV_SIZE);
		memcpy(out + pos, name, strlen(name));
		pos += strlen(name);
		out[pos++] = '=';
		for (const char *c = v; *c; c++) {
			if (*c == '\\' || *c == '\n')
				out[pos++] = '\\';
			out[pos++] = (uint8_t)*c;
		}
		out[pos++] = '\n';
	}
	memset(out + pos, '#', BL_GRUBENV_SIZE - pos);
	return 0;
}

/* --------------------------------------------------------- systemd-boot --- */

static bool ends_with_conf(const char *s)
{
	size_t n = strlen(s);

	return n >= 5 && !strcasecmp(s + n - 5, ".conf");
}

/* Digits at *p (at least one, at most 9), value at most max. */
static bool parse_count(const char **p, unsigned max, unsigned *out)
{
	const char *s = *p;
	unsigned v = 0;
	int n = 0;

	for (; *s >= '0' && *s <= '9'; s++, n++) {
		if (n == 9)
			return false;
		v = v * 10 + (unsigned)(*s - '0');
	}
	if (n == 0 || v > max)
		return false;
	*p = s;
	*out = v;
	return true;
}

int bl_sdboot_name_parse(const char *name, const char *prefix, enum bl_group *g, int *left,
			 unsigned *done, gw_error *err)
{
	size_t pl = strlen(prefix);
	const char *p = name + pl;
	unsigned l = 0, d = 0;
	char c;

	if (name[0] == '.' || !ends_with_conf(name) || strncasecmp(name, prefix, pl))
		return 0;
	c = (char)(*p | 0x20);
	if (c != 'a' && c != 'b')
		return 0;
	p++;
	if (!strcasecmp(p, ".conf")) {
		*g = c == 'a' ? BL_GROUP_A : BL_GROUP_B;
		*left = -1;
		*done = 0;
		return 1;
	}
	if (*p != '+')
		return 0; /* another entry that happens to start like ours */
	p++;
	if (!parse_count(&p, BL_MAX_TRIES, &l) ||
	    (*p == '-' && (p++, !parse_count(&p, BL_SDBOOT_MAX_DONE, &d))) || strcasecmp(p, ".conf"))
		return gw_fail(err, GW_E_PARSE, "boot entry %.200s: not %.64s%c+LEFT[-DONE].conf "
			       "with LEFT 0..%d", name, prefix, c, BL_MAX_TRIES);
	*g = c == 'a' ? BL_GROUP_A : BL_GROUP_B;
	*left = (int)l;
	*done = d;
	return 1;
}

int bl_sdboot_pattern(const char *prefix, const struct bl_sdboot_default *d, char *buf,
		      size_t len)
{
	const char c = d->group == BL_GROUP_A ? 'a' : 'b';

	if (d->kind == BL_SDDEF_TRIAL)
		return gw_snprintf(buf, len, "%s%c+[1-9]*", prefix, c);
	return gw_snprintf(buf, len, "%s%c[.+]*", prefix, c);
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* The value of a "default" line in [s, e), or NULL when the line is another. */
static bool default_line(const char *s, const char *e, const char **vs, const char **ve)
{
	while (s < e && is_blank(*s))
		s++;
	if ((size_t)(e - s) < 8 || memcmp(s, "default", 7) || !is_blank(s[7]))
		return false;
	s += 7;
	while (s < e && is_blank(*s))
		s++;
	while (e > s && is_blank(e[-1]))
		e--;
	if (e - s >= 2 && *s == '"' && e[-1] == '"') {
		s++;
		e--;
	}
	*vs = s;
	*ve = e;
	return true;
}

int bl_loader_conf_parse(const char *text, size_t len, const char *prefix,
			 struct bl_sdboot_default *out, gw_error *err)
{
	const char *vs = NULL, *ve = NULL, *end = text + len;
	struct bl_sdboot_default d = { BL_SDDEF_NONE, BL_GROUP_A };

	if (memchr(text, '\0', len))
		return gw_fail(err, GW_E_PARSE, "loader.conf: a NUL byte");
	for (const char *s = text; s < end;) {
		const char *nl = memchr(s, '\n', (size_t)(end - s)), *e = nl ? nl : end;
		const char *a, *b;

		if (default_line(s, e, &a, &b)) {
			vs = a;
			ve = b;
		}
		s = nl ? nl + 1 : end;
	}
	if (vs) {
		static const enum bl_sdboot_default_kind kinds[] = { BL_SDDEF_PRIMARY,
								     BL_SDDEF_TRIAL };
		char want[256];
		bool found = false;

		for (size_t k = 0; k < GW_ARRAY_SIZE(kinds) && !found; k++) {
			for (int g = 0; g < BL_NGROUPS && !found; g++) {
				struct bl_sdboot_default c = { kinds[k], (enum bl_group)g };

				if (bl_sdboot_pattern(prefix, &c, want, sizeof(want)))
					return gw_fail(err, GW_E_INVAL, "entry prefix too long");
				if (strlen(want) == (size_t)(ve - vs) &&
				    !strncasecmp(want, vs, (size_t)(ve - vs))) {
					d = c;
					found = true;
				}
			}
		}
		if (!found)
			return gw_fail(err, GW_E_PARSE, "loader.conf: default '%.*s' is not one "
				       "Gatewarden writes (%sa[.+]* for the primary, %sa+[1-9]* "
				       "for a trial); remove it or set it to %sa[.+]*",
				       (int)(ve - vs > 100 ? 100 : ve - vs), vs, prefix, prefix,
				       prefix);
	}
	*out = d;
	return 0;
}

int bl_loader_conf_set_default(const char *text, size_t len, const char *pattern, char **out,
			       size_t *out_len)
{
	const char *end = text + len;
	size_t cap = len + strlen(pattern) + 16, n = 0;
	char *buf = malloc(cap);
	bool done = false;

	if (!buf)
		return GW_E_NOMEM;
	for (const char *s = text; s < end;) {
		const char *nl = memchr(s, '\n', (size_t)(end - s)), *e = nl ? nl : end;
		const char *a, *b;

		if (default_line(s, e, &a, &b)) {
			if (!done)
				n += (size_t)snprintf(buf + n, cap - n, "default %s\n", pattern);
			done = true;
		} else {
			memcpy(buf + n, s, (size_t)(e - s));
			n += (size_t)(e - s);
			buf[n++] = '\n';
		}
		s = nl ? nl + 1 : end;
	}
	if (!done)
		n += (size_t)snprintf(buf + n, cap - n, "default %s\n", pattern);
	buf[n] = '\0';
	*out = buf;
	*out_len = n;
	return 0;
}

/* ---------------------------------------------------------- cmdline --- */

static bool is_space(char c)
{
	return c == ' ' || c == '\n' || is_blank(c);
}

/* One kernel parameter word [s, e) (kernel/params.c next_arg): gatewarden.slot's
 * value into *slot, or nothing when the word is another parameter. */
static int cmdline_word(const char *s, const char *e, const char *eq, int *slot, gw_error *err)
{
	static const char key[] = "gatewarden.slot";
	const char *v, *ve = e;

	if (*s == '"')
		s++;
	if (!eq || eq < s || (size_t)(eq - s) != sizeof(key) - 1 || memcmp(s, key, sizeof(key) - 1))
		return 0;
	v = eq + 1;
	if (v < ve && *v == '"')
		v++;
	if (ve > v && ve[-1] == '"')
		ve--;
	if (*slot >= 0)
		return gw_fail(err, GW_E_PARSE, "kernel command line: gatewarden.slot= appears "
			       "more than once");
	if (ve - v != 1 || (*v != 'A' && *v != 'B'))
		return gw_fail(err, GW_E_PARSE, "kernel command line: gatewarden.slot=%.*s is "
			       "not A or B", (int)(ve - v > 40 ? 40 : ve - v), v);
	*slot = *v == 'A' ? BL_GROUP_A : BL_GROUP_B;
	return 0;
}

int bl_cmdline_parse(const char *text, size_t len, enum bl_group *out, gw_error *err)
{
	const char *p = text, *end = text + len;
	int slot = -1;

	if (memchr(text, '\0', len))
		return gw_fail(err, GW_E_PARSE, "kernel command line: a NUL byte");
	for (;;) {
		const char *s, *eq = NULL;
		bool in_quote = false;
		int rc;

		while (p < end && is_space(*p))
			p++;
		if (p >= end)
			break;
		s = p;
		for (; p < end && (in_quote || !is_space(*p)); p++) {
			if (!eq && *p == '=')
				eq = p;
			if (*p == '"')
				in_quote = !in_quote;
		}
		if (p - s == 2 && !memcmp(s, "--", 2))
			break; /* the rest is init's */
		rc = cmdline_word(s, p, eq, &slot, err);
		if (rc)
			return rc;
	}
	if (slot < 0)
		return gw_fail(err, GW_E_NOTFOUND, "kernel command line: no gatewarden.slot= "
			       "(the bootloader snippet adds it; see doc/updates.md)");
	*out = (enum bl_group)slot;
	return 0;
}
