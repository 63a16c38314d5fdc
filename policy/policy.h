/* SPDX-License-Identifier: Apache-2.0 */
/* gwpolicy's command handlers and the key-file helpers they share. */
#ifndef GW_POLICY_H
#define GW_POLICY_H

#include <stdbool.h>

#include <openssl/evp.h>

#include "exitcode.h"
#include "gw_error.h"
#include "toolmain.h"

struct policy_ctx {
	const char *prog;
};

/* Print "gwpolicy: MSG" to stderr (toolmain.h). */
#define policy_errorf(ctx, ...) gw_tool_errorf((ctx)->prog, __VA_ARGS__)

/* A noun's subcommands (`gwpolicy bundle create`): name, handler, one line. */
struct policy_subcommand {
	const char *name;
	int (*handler)(struct policy_ctx *ctx, int argc, char **argv);
	const char *summary;
};

/* Run the subcommand argv[1] of t (argv[0] is the noun); --help, -h and help print
 * the usage (intro, then the table) and exit 0, a missing or unknown subcommand is
 * a usage error. */
int policy_subcommands(struct policy_ctx *ctx, const char *noun, const char *intro,
		       const struct policy_subcommand *t, size_t n, int argc, char **argv);

int cmd_keygen(struct policy_ctx *ctx, int argc, char **argv);
int cmd_sign(struct policy_ctx *ctx, int argc, char **argv);
int cmd_verify(struct policy_ctx *ctx, int argc, char **argv);
int cmd_predict(struct policy_ctx *ctx, int argc, char **argv);
int cmd_from_eventlog(struct policy_ctx *ctx, int argc, char **argv);
int cmd_lint(struct policy_ctx *ctx, int argc, char **argv);
int cmd_diff(struct policy_ctx *ctx, int argc, char **argv);
int cmd_root(struct policy_ctx *ctx, int argc, char **argv);
int cmd_bundle(struct policy_ctx *ctx, int argc, char **argv);

struct gwpol;
struct gwpol_diags;
/* Read a policy for lint and diff from path ("-": standard input): policy JSON, or
 * a DSSE envelope of one (a JSON object with "payloadType", which must be
 * GWPOL_PAYLOAD_TYPE). The signatures are NOT verified: never use this to decide
 * what a device may run. *enveloped (optional) says which it was; diags (optional)
 * gets the parser's diagnostics. GW_E_NOTFOUND, GW_E_IO, GW_E_TOOBIG, GW_E_PARSE,
 * GW_E_TRAILING, GW_E_NOMEM. */
int policy_read_unverified(const char *path, struct gwpol **out, bool *enveloped,
			   struct gwpol_diags *diags, gw_error *err) GW_WUR;

/* Write key's private half as PEM to a new file at path: mode 0600, O_EXCL and
 * O_NOFOLLOW, so an existing file or link is never overwritten (GW_E_EXISTS).
 * The PEM buffer is wiped. GW_E_IO, GW_E_CRYPTO, GW_E_NOMEM. */
int policy_key_write(const char *path, EVP_PKEY *key, gw_error *err) GW_WUR;
/* Read a PEM private key; *out is the caller's (EVP_PKEY_free()). The file's bytes
 * are wiped. GW_E_NOTFOUND, GW_E_IO, GW_E_KEY. */
int policy_key_read(const char *path, EVP_PKEY **out, gw_error *err) GW_WUR;
/* Read a PEM public key (SubjectPublicKeyInfo). GW_E_NOTFOUND, GW_E_IO, GW_E_KEY. */
int policy_pub_read(const char *path, EVP_PKEY **out, gw_error *err) GW_WUR;

#endif
