// SPDX-License-Identifier: Apache-2.0
// Strict INI parsing on inih: whole lines and names, errors with line numbers.
#include "inifile.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <ini.h>

struct ini_state {
	const struct gw_ini_ops *ops;
	void *user;
	gw_error *err;
	FILE *f;
	int rc;
	int line;     /* lines read so far; the handler's key is on this line */
	int err_line; /* line of the first error in rc */
	char section[GW_INI_SECTION_MAX + 1]; /* whole; inih's copy is cut */
};

static int is_blank(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* Section headers are checked here, on the whole line, because inih cuts section
 * names to 49 bytes without an error and ignores text after the ']'. */
static int check_section(struct ini_state *st, const char *line)
{
	const char *end = strchr(line, ']');
	const char *p;
	size_t n;
	int rc;

	if (!end)
		return 0; /* inih reports the syntax error */
	for (p = end + 1; is_blank(*p) || *p == '\n'; p++)
		;
	if (*p && *p != ';' && *p != '#')
		return gw_fail(st->err, GW_E_CONFIG, "text after section header: '%.*s'",
			       (int)strcspn(p, "\r\n"), p);
	n = (size_t)(end - line - 1);
	if (n > GW_INI_SECTION_MAX)
		return gw_fail(st->err, GW_E_CONFIG, "section name longer than %d bytes",
			       GW_INI_SECTION_MAX);
	memcpy(st->section, line + 1, n);
	st->section[n] = '\0';
	rc = st->ops->section(st->user, st->section, st->err);
	return rc == GW_E_NOMEM ? rc : rc ? GW_E_CONFIG : 0;
}

/* inih's line reader. Counting lines here lets every error name its line. A NUL
 * byte or a line longer than inih's buffer is an error: inih would cut either one
 * short and read on. Leading blanks are dropped so that an indented line means what
 * it says instead of continuing the previous key's value. */
static char *read_line(char *buf, int num, void *stream)
{
	struct ini_state *st = stream;
	size_t cap = num > 1 ? (size_t)num - 1 : 0;
	size_t n = 0, skip = 0;
	int c = 0;

	if (st->rc || !cap)
		return NULL;
	while (n < cap && (c = getc(st->f)) != EOF) {
		if (c == '\0') {
			st->rc = gw_fail(st->err, GW_E_CONFIG, "NUL byte");
			goto fail;
		}
		buf[n++] = (char)c;
		if (c == '\n')
			break;
	}
	if (ferror(st->f)) {
		st->rc = gw_fail(st->err, GW_E_CONFIG, "read error: %s", strerror(errno));
		goto fail;
	}
	if (n == 0)
		return NULL;
	if (n == cap && buf[n - 1] != '\n' && (c = getc(st->f)) != EOF && c != '\n') {
		st->rc = gw_fail(st->err, GW_E_CONFIG, "line longer than %zu bytes", cap);
		goto fail;
	}
	buf[n] = '\0';
	st->line++;
	if (st->line == 1 && n >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3))
		skip = 3; /* UTF-8 byte order mark */
	while (is_blank(buf[skip]))
		skip++;
	memmove(buf, buf + skip, n - skip + 1);
	if (buf[0] == '[' && (st->rc = check_section(st, buf)))
		goto fail_counted;
	return buf;
fail:
	st->line++;
fail_counted:
	st->err_line = st->line;
	return NULL;
}

static int handler(void *user, const char *inih_section, const char *name, const char *value)
{
	struct ini_state *st = user;
	int rc;

	(void)inih_section; /* may be cut short; read_line kept the whole name */
	if (st->rc)
		return 0; /* keep the first error's detail */
	rc = st->ops->key(st->user, st->section, name, value, st->line, st->err);
	if (rc) {
		st->rc = rc == GW_E_NOMEM ? rc : GW_E_CONFIG;
		st->err_line = st->line;
		return 0;
	}
	return 1;
}

int gw_ini_load(const char *path, const struct gw_ini_ops *ops, void *user, gw_error *err)
{
	struct ini_state st = { .ops = ops, .user = user, .err = err };
	int line;

	st.f = fopen(path, "re");
	if (!st.f)
		return gw_fail(err, errno == ENOENT ? GW_E_NOTFOUND : GW_E_CONFIG, "%s: %s", path,
			       strerror(errno));
	line = ini_parse_stream(read_line, &st, handler, &st);
	fclose(st.f);
	/* inih reads on after a syntax error; the first error is the one to report. */
	if (line > 0 && (!st.rc || line < st.err_line))
		return gw_fail(err, GW_E_CONFIG,
			       "%s:%d: syntax error (expected [section] or key = value)", path, line);
	if (st.rc) {
		gw_error_prefix(err, "%s:%d: ", path, st.err_line);
		return st.rc;
	}
	return 0;
}
