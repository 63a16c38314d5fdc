/* SPDX-License-Identifier: Apache-2.0 */
/* gwagent update apply: an offered release fetched (resumed), authorized by an
 * attestation round that asks for it, unwrapped by the TPM when encrypted, and
 * installed (doc/updates.md, "The authorization round"). */
#ifndef GW_AGENT_UPDATE_APPLY_H
#define GW_AGENT_UPDATE_APPLY_H

#include <stdbool.h>
#include <stdint.h>

#include "agent.h"
#include "attest_round.h"
#include "ear_time.h"
#include "progress.h"
#include "update_fetch.h"
#include "update_install.h"

struct update_apply_result {
	int exit_code;		     /* GW_EXIT_* */
	struct round_result round;   /* the attestation round (attest_round_fini'd) */
	bool round_done;
	bool fetched;		     /* downloaded now (else the complete download kept) */
	struct update_fetch_result fetch;
	bool encrypted;
	bool authorized;
	int64_t expires_at;	     /* the authorization's */
	bool installing;	     /* update_install ran: install is its result */
	struct update_install_result install;
};

/* Apply release (16 lower-case hex digits), which the last verified result must
 * offer. Every failure sets res->exit_code and err; the content key and Z are
 * wiped and the update key's session flushed on every path. */
int update_apply(struct agent_ctx *ctx, const char *release, struct progress *prog,
		 struct update_apply_result *res, gw_error *err) GW_WUR;

#endif
