/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by gwverifier's operator commands (device, history, audit, status):
 * opening the configured store, aligned tables, times, the operator's name and
 * JSON output. */
#ifndef GW_VERIFIER_CLI_H
#define GW_VERIFIER_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <json-c/json.h>

#include "gw_error.h"
#include "store.h"
#include "util.h"
#include "verifier.h"

#define CLI_DEFAULT_CONFIG "/etc/gatewarden/verifier.conf"
/* "2026-11-24T10:00:00Z" and its terminator. */
#define CLI_TIME_LEN GW_TIME_LEN
#define CLI_TABLE_MAX_COLS 16

/* Load the config at path (NULL: CLI_DEFAULT_CONFIG) and open its store. Prints
 * what failed and returns the exit code; on success returns GW_EXIT_OK and *out is
 * the caller's (store_close()). */
int cli_open_store(const struct verifier_ctx *ctx, const char *path, struct store **out);

/* The options of a command that has only --config FILE, --json and --help, and
 * exactly nargs non-empty arguments after them (argv[optind] on). -1: go on;
 * else the exit code (usage printed: GW_EXIT_OK for --help, GW_EXIT_USAGE). */
int cli_parse_config_json(int argc, char **argv, void (*usage)(FILE *f), int nargs,
			  const char **config, bool *json);

/* gwverifier device retire-channel ID CHANNEL on the open store
 * (cmd_device_retire.c): the exit code. */
int cmd_device_retire_channel(const struct verifier_ctx *ctx, struct store *st, const char *id,
			      const char *channel, const char *reason, bool json);

/* Exit code for a store error from an operator command: unknown device
 * GW_EXIT_ERROR, a refused state change GW_EXIT_STATE, else gw_exit_for(). */
int cli_exit_for(int rc);

/* Seconds since the epoch as ISO-8601 UTC into buf (CLI_TIME_LEN bytes). */
void cli_time_format(int64_t ts, char buf[CLI_TIME_LEN]);
/* Parse "YYYY-MM-DDTHH:MM:SSZ" (UTC, nothing after the Z). GW_E_PARSE otherwise. */
int cli_time_parse(const char *s, int64_t *out) GW_WUR;
/* The current time in seconds since the epoch. */
int64_t cli_now(void);

/* The operator named in audit records, into buf: "operator:NAME" where NAME is
 * --actor's (cli_set_actor), else $SUDO_USER when running as root, else the real
 * user's login name ("uid-N" without a passwd entry); when NAME is not the login
 * name, " via LOGIN" follows. GW_E_TOOBIG when buf is too small. */
#define CLI_ACTOR_NAME_MAX 32
int cli_actor(char *buf, size_t len) GW_WUR;
/* The --actor name for cli_actor (kept, not copied); NULL: none. */
void cli_set_actor(const char *name);
/* 1..CLI_ACTOR_NAME_MAX of [A-Za-z0-9._@-], not starting with '-'. */
bool cli_actor_name_ok(const char *name);

/* Print one JSON value on one line of stdout. */
void cli_json_print(json_object *o);
/* A JSON string, or JSON null for NULL. */
json_object *cli_json_str(const char *s);
/* Parse text as one JSON value with nothing after it (depth capped); NULL when it is
 * not JSON. The caller owns the result (json_object_put()). */
json_object *cli_json_parse(const char *text);
/* Lower-case hex of len bytes as a new string; NULL on allocation failure. */
char *cli_hex(const uint8_t *p, size_t len);

/* A table for people: every cell is copied; column widths follow the widest cell,
 * so nothing is cut. */
struct cli_table;
/* ncols headers (at most CLI_TABLE_MAX_COLS); NULL on allocation failure. */
struct cli_table *cli_table_new(size_t ncols, const char *const *headers);
/* Add a row of ncols cells; NULL cells print as "-". GW_E_NOMEM. */
int cli_table_add(struct cli_table *t, const char *const *cells) GW_WUR;
/* Print header and rows to f, columns two spaces apart, no trailing blanks. */
void cli_table_print(const struct cli_table *t, FILE *f);
void cli_table_free(struct cli_table *t);

#endif
