// SPDX-License-Identifier: Apache-2.0
// Requests to the verifier and the classification of their failures.
#include "vclient.h"

#include <stdlib.h>
#include <string.h>

#include "exitcode.h"

int vclient_post(struct http_client *c, const char *path, const char *body, char **resp,
		 size_t *resp_len, struct vclient_failure *f, gw_error *err)
{
	char *buf = NULL;
	size_t len = 0;
	long status = 0;
	int rc;

	memset(f, 0, sizeof(*f));
	rc = http_post_json(c, path, body, &status, &buf, &len, err);
	if (rc) {
		f->transport_failed = true;
		f->tls_identity = http_last_failure(c) == HTTP_FAIL_TLS_NAME ||
				  http_last_failure(c) == HTTP_FAIL_TLS_UNTRUSTED;
		gw_error_prefix(err, "%s: ", path);
		return rc;
	}
	if (status == 200) {
		*resp = buf; /* transferred */
		*resp_len = len;
		return 0;
	}
	f->http_status = status;
	f->has_error = answers_parse_error(buf, len, &f->error, NULL) == 0;
	free(buf);
	if (f->has_error)
		return gw_fail(err, GW_E_STATE, "%s: HTTP %ld %s: %s", path, status, f->error.code,
			       f->error.message);
	return gw_fail(err, GW_E_STATE, "%s: HTTP %ld (no error object in the answer)", path,
		       status);
}

int vclient_exit_code(const struct vclient_failure *f)
{
	if (f->tls_identity)
		return GW_EXIT_CONFIG;
	return vclient_retryable(f) ? GW_EXIT_UNREACHABLE : GW_EXIT_REFUSED;
}

bool vclient_retryable(const struct vclient_failure *f)
{
	return (f->transport_failed && !f->tls_identity) || f->http_status >= 500 ||
	       f->http_status == 429;
}
