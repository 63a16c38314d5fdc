/* SPDX-License-Identifier: Apache-2.0 */
/* What gwverifier policy's subcommands share: options, the configuration with its
 * policy keys and store, the operator's name and refusal audit records. */
#ifndef GW_VERIFIER_CMD_POLICY_H
#define GW_VERIFIER_CMD_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>
#include <openssl/evp.h>

#include "store.h"
#include "vconfig.h"
#include "verdict.h"
#include "verifier.h"

struct cmd_policy_opts {
	const char *config;
	bool json;
	const char *version;
	const char *arg; /* FILE or MODEL */
};

/* The configuration, its policy keys and its store. */
struct cmd_policy_env {
	struct vconfig cfg;
	EVP_PKEY *keys[VCONFIG_MAX_POLICY_KEYS];
	size_t nkeys;
	struct store *st;
};

/* Prints what failed and returns the exit code (0 when all is open). */
int cmd_policy_env_open(const struct verifier_ctx *ctx, const char *config,
			struct cmd_policy_env *e);
void cmd_policy_env_close(struct cmd_policy_env *e);
/* "operator:NAME" for the user running the command; GW_E_TOOBIG. */
int cmd_policy_actor(char *buf, size_t len);
/* Append a refusal (action, "refused", detail) to the audit log; a record that
 * cannot be written is warned about, and the refusal stands. detail NULL: none. */
void cmd_policy_audit_refusal(const struct verifier_ctx *ctx, struct store *st,
			      const char *actor, int64_t now, const char *action,
			      const char *detail);

/* A refused signed document: "FILE: MSG" printed (only MSG when file is NULL, for a
 * message that names the file; nothing when msg is NULL, the caller printed), the
 * detail audited as action/refused (not when NULL). Returns exitc. */
int cmd_policy_refuse(const struct verifier_ctx *ctx, struct store *st, const char *actor,
		      int64_t now, const char *action, const char *file, const char *msg,
		      const char *detail, int exitc);
/* The SHA-256 of len bytes of text, as lower-case hex; "" when it cannot be made. */
void cmd_policy_file_sha256(const void *text, size_t len, char hex[65]);

/* The audit detail of document doc (a struct gwpol or a struct polreset) that was
 * refused for error, the caller's to free; NULL for no memory. */
typedef char *(*cmd_policy_detail_fn)(const void *doc, const struct verdict_policy_info *info,
				      const char *error);
/* What the store answered (rc, err) when asked to keep document doc from file:
 * 0 is GW_EXIT_OK; GW_E_STATE a refusal by its rules (cmd_policy_refuse with
 * detail(doc, info, message)), GW_EXIT_STATE; anything else is printed as "FILE:
 * storing the WHAT: message", GW_EXIT_ERROR. */
int cmd_policy_stored(const struct verifier_ctx *ctx, struct store *st, const char *actor,
		      int64_t now, const char *action, const char *file, const char *what,
		      const void *doc, const struct verdict_policy_info *info,
		      cmd_policy_detail_fn detail, int rc, const gw_error *err);

/* Add to the audit detail o what the envelope said: "sha256" (of the payload,
 * when known), "file_sha256" (when given), "signed_by" (the keyids that counted)
 * and "error" (when given). GW_E_NOMEM. */
int cmd_policy_detail_add(json_object *o, const struct verdict_policy_info *info,
			  const char *file_sha256, const char *error);
/* o as compact JSON text, the caller's to free; NULL for NULL or no memory. */
char *cmd_policy_detail_text(const json_object *o);

/* gwverifier policy reset SIGNED (cmd_policy_reset.c). */
int cmd_policy_reset(const struct verifier_ctx *ctx, const struct cmd_policy_opts *o);

#endif
