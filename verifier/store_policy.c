// SPDX-License-Identifier: Apache-2.0
// The store's per-model policies: argument checks in front of the backend's
// operations (store.h, "per-model policies").
#include <stdlib.h>
#include <string.h>

#include "store_impl.h"

void store_policy_fini(struct store_policy *p)
{
	if (!p)
		return;
	free(p->body);
	p->body = NULL;
}

/* 64 lower-case hex digits (a SHA-256 as the policy tables keep it). */
static int check_sha256_hex(const char *hex, const char *what, gw_error *err)
{
	size_t n = hex ? strlen(hex) : 0;

	for (size_t i = 0; i < n; i++)
		if (!((hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'a' && hex[i] <= 'f')))
			n = 0;
	if (n != 64)
		return gw_fail(err, GW_E_INVAL, "%s must be 64 lower-case hex digits", what);
	return 0;
}

int store_policy_add(struct store *st, const char *model, uint32_t version,
		     const char *payload_sha256, const char *body, int64_t now,
		     const char *actor, const struct store_audit *audit, gw_error *err)
{
	int rc;

	if (payload_sha256 &&
	    (rc = check_sha256_hex(payload_sha256, "a policy's payload digest", err)))
		return rc;
	if ((rc = store_check_model(model, err)) ||
	    (rc = store_check_text(body, STORE_POLICY_MAX, "policy", err)) ||
	    (rc = store_check_text(actor, STORE_ACTOR_MAX, "actor", err)) ||
	    (rc = store_check_audit(audit, err)))
		return rc;
	if (version == 0)
		return gw_fail(err, GW_E_INVAL, "policy version 0: versions start at 1");
	return st->ops->policy_add(st, model, version, payload_sha256, body, now, actor, audit,
				   err);
}

int store_policy_counter(struct store *st, const char *model, struct store_policy_counter *out,
			 gw_error *err)
{
	int rc = store_check_model(model, err);

	if (rc)
		return rc;
	if (!out)
		return gw_fail(err, GW_E_INVAL, "output is missing");
	return st->ops->policy_counter(st, model, out, err);
}

int store_policy_reset(struct store *st, const char *model, uint32_t reset,
		       uint32_t from_version, uint32_t to_version, const char *next_sha256,
		       const char *body, int64_t now, const char *actor,
		       const struct store_audit *audit, gw_error *err)
{
	int rc;

	if ((rc = check_sha256_hex(next_sha256, "a reset's next policy digest", err)) ||
	    (rc = store_check_model(model, err)) ||
	    (rc = store_check_text(body, STORE_POLICY_MAX, "policy reset", err)) ||
	    (rc = store_check_text(actor, STORE_ACTOR_MAX, "actor", err)) ||
	    (rc = store_check_audit(audit, err)))
		return rc;
	if (reset == 0 || to_version >= from_version)
		return gw_fail(err, GW_E_INVAL, "policy reset %u of %s: from %u to %u is not a "
						"reset", (unsigned)reset, model,
			       (unsigned)from_version, (unsigned)to_version);
	return st->ops->policy_reset(st, model, reset, from_version, to_version, next_sha256, body,
				     now, actor, audit, err);
}

int store_policy_current(struct store *st, const char *model, struct store_policy *out,
			 gw_error *err)
{
	int rc = store_check_model(model, err);

	if (rc)
		return rc;
	if (!out)
		return gw_fail(err, GW_E_INVAL, "output is missing");
	return st->ops->policy_get(st, model, 0, out, err);
}

int store_policy_get(struct store *st, const char *model, uint32_t version,
		     struct store_policy *out, gw_error *err)
{
	int rc = store_check_model(model, err);

	if (rc)
		return rc;
	if (!out)
		return gw_fail(err, GW_E_INVAL, "output is missing");
	if (version == 0)
		return gw_fail(err, GW_E_NOTFOUND, "policy %s version 0: versions start at 1",
			       model);
	return st->ops->policy_get(st, model, version, out, err);
}

int store_policy_list(struct store *st, const char *model, store_policy_cb cb, void *arg,
		      gw_error *err)
{
	int rc;

	if (!cb)
		return gw_fail(err, GW_E_INVAL, "callback is missing");
	if (model && (rc = store_check_model(model, err)))
		return rc;
	return st->ops->policy_list(st, model, cb, arg, err);
}
