/* SPDX-License-Identifier: Apache-2.0 */
/* The enrollment requests to the verifier: a TPM proving itself (enrollment, and the
 * recovery of an enrolled device's certificate), and the status of a pending one. */
#ifndef GW_AGENT_ENROLL_CLIENT_H
#define GW_AGENT_ENROLL_CLIENT_H

#include <stdbool.h>

#include <openssl/evp.h>

#include "agent.h"
#include "answers.h"
#include "vclient.h"

/* POST /v1/enroll with the TPM's EK (certificate and public) and AK for
 * st->device_id and st->model, activate the credential in the TPM, and POST
 * /v1/enroll/activate with the secret and tls_key's public half. Unless recovery,
 * st becomes pending with the enrollment id and secret and is saved before the
 * activation is sent; a recovery leaves st and enrollment.json as they are unless
 * the answer is pending (the verifier no longer had the device and made a new one
 * that waits for an operator): then st is saved as that pending enrollment. On a
 * refusal f says why (vclient_post); an answer that does not parse sets
 * f->bad_answer. *ans is released with answers_activate_fini. */
int enroll_client_prove(struct agent_ctx *ctx, struct http_client *c, EVP_PKEY *tls_key,
			struct enroll_state *st, bool recovery, struct answer_activate *ans,
			struct vclient_failure *f, gw_error *err) GW_WUR;
/* POST /v1/enroll/status with st's enrollment id and secret. */
int enroll_client_status(struct http_client *c, const struct enroll_state *st,
			 struct answer_activate *ans, struct vclient_failure *f,
			 gw_error *err) GW_WUR;

#endif
