/* SPDX-License-Identifier: Apache-2.0 */
/* What gwpolicy's root commands (init, sign, verify, rotate) share: options read
 * the same way, the signing state of a root, its report as text or JSON, and
 * writing a signed root. */
#ifndef GW_POLICY_ROOT_CLI_H
#define GW_POLICY_ROOT_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <json-c/json.h>
#include <openssl/evp.h>

#include "dsse.h"
#include "policy.h"
#include "root.h"

#define ROOT_DEFAULT_DAYS 365
#define ROOT_MAX_DAYS 36500

int cmd_root_init(struct policy_ctx *ctx, int argc, char **argv);
int cmd_root_rotate(struct policy_ctx *ctx, int argc, char **argv);
int cmd_root_sign(struct policy_ctx *ctx, int argc, char **argv);
int cmd_root_verify(struct policy_ctx *ctx, int argc, char **argv);

/* Private keys read from files, for signing. */
struct root_signers {
	const char *path[DSSE_MAX_SIGS];
	EVP_PKEY *key[DSSE_MAX_SIGS];
	size_t n;
};

/* How far a root is signed: by its own root keys and, for a rotation, by those
 * of the version before it. rc is dsse_verify()'s (0 or GW_E_SIGNATURE with res
 * filled; anything else and res is empty). */
struct root_status {
	struct dsse_result own;
	int own_rc;
	bool have_prev;
	uint64_t prev_version;
	struct dsse_result prev;
	int prev_rc;
	gw_error own_err, prev_err;
};

/* --expires DAYS | YYYY-MM-DD | YYYY-MM-DDTHH:MM:SSZ into a time after now.
 * GW_E_INVAL with a message for the user. */
int root_cli_expires(const char *arg, time_t now, time_t *out, gw_error *err) GW_WUR;

/* --root-threshold and friends: 1 to ROOT_MAX_KEYS. */
int root_cli_threshold(const char *arg, unsigned *out) GW_WUR;

/* Add a --sign/--key path (refuses more than DSSE_MAX_SIGS); read them all. */
int root_signers_add(struct root_signers *s, const char *path, gw_error *err) GW_WUR;
int root_signers_load(struct root_signers *s, gw_error *err) GW_WUR;
void root_signers_free(struct root_signers *s);

/* Each signer is a root key of r or of prev (optional): a signature by anyone
 * else would count for nothing. GW_E_INVAL naming the file and its keyid. */
int root_signers_check(const struct root_signers *s, const struct root *r,
		       const struct root *prev, gw_error *err) GW_WUR;

/* The envelope of doc (len bytes) signed by every signer, parsed as a root. */
int root_sign_new(const char *doc, size_t len, const struct root_signers *s,
		  struct root **out, gw_error *err) GW_WUR;

void root_status_get(const struct root *r, const struct root *prev, struct root_status *st);
bool root_status_complete(const struct root_status *st);

/* Write r's envelope to path atomically (mode 0644); with no_clobber, refuse a
 * path that exists (GW_E_EXISTS). */
int root_write(const struct root *r, const char *path, bool no_clobber, gw_error *err) GW_WUR;

/* The report: version, expiry, digest, roles with their keys and which signed,
 * and the signatures still missing. */
void root_print_text(const struct root *r, const struct root_status *st);
/* Lines saying which thresholds are not met yet, on stderr, as notes. */
void root_print_missing(const struct policy_ctx *ctx, const struct root *r,
			const struct root_status *st);
/* The same as a JSON object; file and error may be NULL. */
json_object *root_report_json(const struct root *r, const struct root_status *st,
			      const char *file);
/* Print {"result", "exit_code", "error"} merged into o (NULL: a new object). */
void root_print_json(json_object *o, int exitc, const char *error);

/* Exit code for a library error of these commands. */
int root_exit_for(int rc);

#endif
