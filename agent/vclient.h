/* SPDX-License-Identifier: Apache-2.0 */
/* One request to the verifier's API: the HTTP exchange, the error object of a
 * refusal, and which exit code a failure maps to. */
#ifndef GW_AGENT_VCLIENT_H
#define GW_AGENT_VCLIENT_H

#include <stdbool.h>

#include "answers.h"
#include "http.h"

struct vclient_failure {
	bool transport_failed;     /* no answer: DNS, TCP, TLS, timeout */
	bool tls_identity;         /* no answer because the verifier's certificate does
				    * not name the URL's host or does not verify against
				    * the CA: a configuration error, not worth retrying */
	long http_status;          /* the answer's status when it was not 200 */
	bool bad_answer;           /* set by the caller: a 200 answer that did not parse */
	bool has_error;            /* the answer carried a valid error object */
	struct answer_error error;
};

/* POST body to path. 0 with the answer when the status is 200. A transport failure
 * returns its error (GW_E_IO, GW_E_TOOBIG) with f->transport_failed set; any other status
 * returns GW_E_STATE with f filled and err saying "HTTP 403 revoked: message". */
int vclient_post(struct http_client *c, const char *path, const char *body, char **resp,
		 size_t *resp_len, struct vclient_failure *f, gw_error *err) GW_WUR;

/* GW_EXIT_CONFIG for a verifier certificate that is not for the URL or not from the
 * CA, GW_EXIT_UNREACHABLE for no answer or 5xx, GW_EXIT_REFUSED for any other
 * status. */
int vclient_exit_code(const struct vclient_failure *f);
/* True when trying again soon may help (no answer, 5xx, 429; not a certificate that
 * is not the verifier's). */
bool vclient_retryable(const struct vclient_failure *f);

#endif
