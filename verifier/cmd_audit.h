/* SPDX-License-Identifier: Apache-2.0 */
/* gwverifier audit's archive subcommands (cmd_audit_export.c), called by
 * cmd_audit.c after its option parsing. Each returns the exit code. */
#ifndef GW_VERIFIER_CMD_AUDIT_H
#define GW_VERIFIER_CMD_AUDIT_H

#include <stdbool.h>

#include "verifier.h"

/* audit export --before DATE FILE [--json] */
int cmd_audit_export(const struct verifier_ctx *ctx, const char *config, const char *before,
		     const char *path, bool json);
/* audit verify --archive FILE [--config FILE]: the file alone, and with a
 * configuration also against its store's anchor. */
int cmd_audit_verify_archive(const struct verifier_ctx *ctx, const char *config,
			     const char *path);

#endif
