/* SPDX-License-Identifier: Apache-2.0 */
/* gwverifier audit's archive subcommands (cmd_audit_export.c, cmd_audit_verify.c),
 * called by cmd_audit.c after its option parsing. Each returns the exit code. */
#ifndef GW_VERIFIER_CMD_AUDIT_H
#define GW_VERIFIER_CMD_AUDIT_H

#include <stdbool.h>
#include <stddef.h>

#include "store.h"

#include "verifier.h"

/* audit export --before DATE FILE [--json] */
int cmd_audit_export(const struct verifier_ctx *ctx, const char *config, const char *before,
		     const char *path, bool json);
/* audit verify --archive FILE... [--no-genesis] [--config FILE]: each file
 * checked, each continuing the one before it (the first from the chain's genesis
 * unless from_genesis is false), and with a configuration the store's anchor
 * being the last one's and the store's kept chain intact. n >= 1. */
int cmd_audit_verify_archives(const struct verifier_ctx *ctx, const char *config,
			      const char *const *paths, size_t n, bool from_genesis);
/* audit verify: the store's kept chain from its anchor, and the anchor set by an
 * export the chain records (cmd_audit.c). */
int cmd_audit_verify_store(const struct verifier_ctx *ctx, struct store *st);

#endif
