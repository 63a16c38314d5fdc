/* SPDX-License-Identifier: Apache-2.0 */
/* What gwpolicy's bundle commands (create, inspect, verify) share: opening the
 * bundle file and the report of a manifest, its signatures and its payloads. */
#ifndef GW_POLICY_BUNDLE_CLI_H
#define GW_POLICY_BUNDLE_CLI_H

#include <stdbool.h>

#include <json-c/json.h>

#include "bundle.h"
#include "policy.h"

int cmd_bundle_create(struct policy_ctx *ctx, int argc, char **argv);
int cmd_bundle_inspect(struct policy_ctx *ctx, int argc, char **argv);
int cmd_bundle_verify(struct policy_ctx *ctx, int argc, char **argv);
int cmd_bundle_decrypt(struct policy_ctx *ctx, int argc, char **argv);

/* What a report says beyond the manifest: signatures (res may be NULL: not
 * verified) and whether the payloads were checked. */
struct bundle_report {
	const struct manifest *m;
	const struct dsse_envelope *env;
	const struct dsse_result *res;
	bool payloads_checked;
};

void bundle_print_text(const struct bundle_report *r);
/* The report as a JSON object (the caller's). */
json_object *bundle_report_json(const struct bundle_report *r);

#endif
