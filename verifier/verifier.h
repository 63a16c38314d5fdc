/* SPDX-License-Identifier: Apache-2.0 */
/* gwverifier's command handlers. */
#ifndef GW_VERIFIER_H
#define GW_VERIFIER_H

#include "exitcode.h"
#include "gw_error.h"
#include "toolmain.h"

struct verifier_ctx {
	const char *prog;
};

/* Print "gwverifier: MSG" to stderr (toolmain.h). */
#define verifier_errorf(ctx, ...) gw_tool_errorf((ctx)->prog, __VA_ARGS__)

int cmd_check_quote(struct verifier_ctx *ctx, int argc, char **argv);
int cmd_init(struct verifier_ctx *ctx, int argc, char **argv);
int cmd_policy(struct verifier_ctx *ctx, int argc, char **argv);
int cmd_serve(struct verifier_ctx *ctx, int argc, char **argv);
int cmd_server_cert(struct verifier_ctx *ctx, int argc, char **argv);
int cmd_device(struct verifier_ctx *ctx, int argc, char **argv);
int cmd_history(struct verifier_ctx *ctx, int argc, char **argv);
int cmd_audit(struct verifier_ctx *ctx, int argc, char **argv);
int cmd_status(struct verifier_ctx *ctx, int argc, char **argv);
int cmd_release(struct verifier_ctx *ctx, int argc, char **argv);
int cmd_release_key(struct verifier_ctx *ctx, int argc, char **argv);
int cmd_reload(struct verifier_ctx *ctx, int argc, char **argv);
int cmd_prune(struct verifier_ctx *ctx, int argc, char **argv);
int cmd_backup(struct verifier_ctx *ctx, int argc, char **argv);

#endif
