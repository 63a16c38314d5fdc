/* SPDX-License-Identifier: Apache-2.0 */
/* The device certificate's life cycle after enrollment (doc/enrollment.md): renewed
 * over mTLS in the last third of its lifetime, recovered by credential activation
 * (the enrolled TPM proving itself again, same device id, no operator) when it has
 * expired, is lost, or the verifier no longer knows it. */
#ifndef GW_AGENT_RENEW_H
#define GW_AGENT_RENEW_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "agent.h"
#include "answers.h"
#include "certinfo.h"
#include "vclient.h"

enum renew_action { RENEW_NONE, RENEW_RENEWED, RENEW_RECOVERED };

struct renew_outcome {
	enum renew_action action;
	char reason[320];     /* why it renewed or recovered */
	struct certinfo cert; /* the new certificate, when action is not RENEW_NONE */
	bool completed;       /* an installation a crash had cut short was finished */
	char discarded[2 * PATH_MAX + 1100]; /* unreadable leftovers removed, and why */
	bool renewal_failed;  /* a due renewal failed; the current certificate still works */
	char failure[512];    /* and why */
};

/* "none", "renewed", "recovered". */
const char *renew_action_name(enum renew_action a);
/* The verifier answered 403 unknown_certificate: the certificate is not the one
 * bound to the device (a renewal whose answer was lost). */
bool renew_certificate_unknown(const struct vclient_failure *f);

/* Before talking to the verifier as an enrolled device (st): finish an interrupted
 * installation, then recover when the pair is unusable, expired or (unknown) the
 * verifier said it does not know it, else renew when due. Takes the state
 * directory lock (released by the caller). A failed recovery is returned, with f
 * saying how the verifier answered; a failed renewal is not (out->renewal_failed:
 * the current certificate is still valid). */
int renew_ensure(struct agent_ctx *ctx, const struct enroll_state *st, bool unknown,
		 struct renew_outcome *out, struct vclient_failure *f, gw_error *err) GW_WUR;

#endif
