// SPDX-License-Identifier: Apache-2.0
// Shared helpers of gwverifier's operator commands: config and store, tables,
// times, the operator's name, JSON output.
#include "cli.h"

#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"
#include "vconfig.h"

int cli_open_store(const struct verifier_ctx *ctx, const char *path, struct store **out)
{
	struct vconfig cfg;
	struct store *st = NULL;
	gw_error err = { { 0 } };
	int rc, status = GW_EXIT_OK;

	if (!path)
		path = CLI_DEFAULT_CONFIG;
	vconfig_defaults(&cfg);
	rc = vconfig_load(path, &cfg, &err);
	if (rc) {
		verifier_errorf(ctx, "config: %s", gw_error_msg(&err, rc));
		status = GW_EXIT_CONFIG;
		goto out;
	}
	if (!cfg.store || !cfg.store[0]) {
		verifier_errorf(ctx, "%s: no store configured", path);
		status = GW_EXIT_CONFIG;
		goto out;
	}
	rc = store_open(cfg.store, &st, &err);
	if (rc) {
		verifier_errorf(ctx, "opening store %s: %s", cfg.store, gw_error_msg(&err, rc));
		status = GW_EXIT_ERROR;
		goto out;
	}
	*out = st;
	st = NULL; /* transferred */
out:
	store_close(st);
	vconfig_fini(&cfg);
	return status;
}

int cli_parse_config_json(int argc, char **argv, void (*usage)(FILE *f), int nargs,
			  const char **config, bool *json)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': *config = optarg; break;
		case 'j': *json = true; break;
		case 'h':
			usage(stdout);
			return GW_EXIT_OK;
		default:
			usage(stderr);
			return GW_EXIT_USAGE;
		}
	}
	if (argc - optind != nargs) {
		usage(stderr);
		return GW_EXIT_USAGE;
	}
	for (int i = optind; i < argc; i++)
		if (!argv[i][0]) {
			usage(stderr);
			return GW_EXIT_USAGE;
		}
	return -1;
}

int cli_exit_for(int rc)
{
	int status;

	if (rc == GW_E_NOTFOUND)
		return GW_EXIT_ERROR;
	if (rc == GW_E_STATE)
		return GW_EXIT_STATE;
	status = gw_exit_for(rc);
	return status == GW_EXIT_OK ? GW_EXIT_ERROR : status;
}

void cli_time_format(int64_t ts, char buf[CLI_TIME_LEN])
{
	gw_time_format_utc(ts, buf);
}

int cli_time_parse(const char *s, int64_t *out)
{
	return gw_time_parse_utc(s, out);
}

int64_t cli_now(void)
{
	return (int64_t)time(NULL);
}

/* --actor NAME (main.c), when given. */
static const char *actor_override;

bool cli_actor_name_ok(const char *name)
{
	size_t n = strlen(name);

	return n > 0 && n <= CLI_ACTOR_NAME_MAX && name[0] != '-' &&
	       strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._@-") ==
		       n;
}

void cli_set_actor(const char *name)
{
	actor_override = name;
}

int cli_actor(char *buf, size_t len)
{
	const struct passwd *pw = getpwuid(getuid());
	const char *login = pw && pw->pw_name && pw->pw_name[0] ? pw->pw_name : NULL;
	const char *sudo = getenv("SUDO_USER");
	const char *name = actor_override;
	char uid[32];

	/* An account without a passwd entry (a container's numeric uid) is named by
	 * its uid. */
	snprintf(uid, sizeof(uid), "uid-%lu", (unsigned long)getuid());
	if (!login)
		login = uid;

	/* sudo sets SUDO_USER for root; from anyone else it is only a claim, which
	 * --actor makes openly. */
	if (!name && getuid() == 0 && sudo && cli_actor_name_ok(sudo))
		name = sudo;
	if (!name || !strcmp(name, login))
		return gw_snprintf(buf, len, "operator:%s", login);
	/* The account that ran it stays on record next to the name it gave. */
	return gw_snprintf(buf, len, "operator:%s via %s", name, login);
}

void cli_json_print(json_object *o)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							      JSON_C_TO_STRING_NOSLASHESCAPE);

	fputs(s ? s : "null", stdout);
	fputc('\n', stdout);
}

json_object *cli_json_str(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

json_object *cli_json_parse(const char *text)
{
	json_tokener *tok = json_tokener_new_ex(32);
	json_object *o = NULL;
	size_t len = strlen(text);

	if (!tok || len >= (size_t)INT_MAX)
		goto out;
	/* The terminating NUL is passed too: it ends a bare number ("42"), which
	 * json-c would otherwise wait to see continued. */
	o = json_tokener_parse_ex(tok, text, (int)len + 1);
	/* Refuse a prefix that parses with something after it. */
	if (o && (json_tokener_get_error(tok) != json_tokener_success ||
		  json_tokener_get_parse_end(tok) < len)) {
		json_object_put(o);
		o = NULL;
	}
out:
	json_tokener_free(tok);
	return o;
}

char *cli_hex(const uint8_t *p, size_t len)
{
	char *s;

	if (len > (SIZE_MAX - 1) / 2)
		return NULL;
	s = malloc(2 * len + 1);
	if (s)
		gw_hex_encode(p, len, s);
	return s;
}

struct cli_table {
	size_t ncols;
	size_t nrows, cap;
	char **cells; /* nrows * ncols, row-major; row 0 is the header */
	size_t width[CLI_TABLE_MAX_COLS];
};

struct cli_table *cli_table_new(size_t ncols, const char *const *headers)
{
	struct cli_table *t;

	if (ncols == 0 || ncols > CLI_TABLE_MAX_COLS)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->ncols = ncols;
	if (cli_table_add(t, headers)) {
		cli_table_free(t);
		return NULL;
	}
	return t;
}

int cli_table_add(struct cli_table *t, const char *const *cells)
{
	size_t base;

	if (t->nrows == t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 16;
		char **n = reallocarray(t->cells, ncap * t->ncols, sizeof(*n));

		if (!n)
			return GW_E_NOMEM;
		t->cells = n;
		t->cap = ncap;
	}
	base = t->nrows * t->ncols;
	for (size_t i = 0; i < t->ncols; i++) {
		const char *c = cells[i] ? cells[i] : "-";
		size_t len = strlen(c);

		t->cells[base + i] = strdup(c);
		if (!t->cells[base + i]) {
			for (size_t j = 0; j < i; j++)
				free(t->cells[base + j]);
			return GW_E_NOMEM;
		}
		if (len > t->width[i])
			t->width[i] = len;
	}
	t->nrows++;
	return 0;
}

void cli_table_print(const struct cli_table *t, FILE *f)
{
	for (size_t r = 0; r < t->nrows; r++) {
		for (size_t c = 0; c < t->ncols; c++) {
			const char *cell = t->cells[r * t->ncols + c];

			if (c + 1 == t->ncols)
				fprintf(f, "%s\n", cell);
			else
				fprintf(f, "%-*s  ", (int)t->width[c], cell);
		}
	}
}

void cli_table_free(struct cli_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
}
