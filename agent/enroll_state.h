/* SPDX-License-Identifier: Apache-2.0 */
/* The enrollment's files in the state directory: enrollment.json (0600: it holds
 * the activation secret), the device TLS key and certificate, the verifier's CA and
 * its pinned gate key. */
#ifndef GW_AGENT_ENROLL_STATE_H
#define GW_AGENT_ENROLL_STATE_H

#include "agent.h"
#include "answers.h"

#define ENROLL_STATE_FILE "enrollment.json"
#define ENROLL_TLS_KEY_FILE "tls.key"
#define ENROLL_TLS_CERT_FILE "tls.pem"
#define ENROLL_CA_FILE "verifier-ca.pem"
#define ENROLL_GATE_FILE "gate.pub"
#define ENROLL_RESULT_FILE "last-result.jwt"

/* GW_E_NOTFOUND when there is no enrollment.json; GW_E_PARSE (naming the key)
 * when it is malformed. The caller wipes *st with answers_enroll_state_wipe. */
int enroll_state_load(const struct agent_ctx *ctx, struct enroll_state *st,
		      gw_error *err) GW_WUR;
/* Atomically replace enrollment.json, mode 0600. */
int enroll_state_save(const struct agent_ctx *ctx, const struct enroll_state *st,
		      gw_error *err) GW_WUR;

#endif
