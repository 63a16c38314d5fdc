/* SPDX-License-Identifier: Apache-2.0 */
/* What a new policy allows or forbids that an old one did not, rule by rule
 * (`gwpolicy diff`, doc/policy.md). */
#ifndef GW_GWPOL_DIFF_H
#define GW_GWPOL_DIFF_H

#include <json-c/json.h>

#include "gwpol.h"

/* The rule changes from policy a to policy b, in rule order: *out gets a new JSON
 * array (the caller's, to json_object_put) of objects {"kind": "allow", "forbid" or
 * "change", "path", "what", "old", "new", "loosens": true when the change accepts
 * more devices (absent otherwise)}. Model and version are not compared. 0 or
 * GW_E_NOMEM; *out is set only on success. */
int gwpol_diff(const struct gwpol *a, const struct gwpol *b, json_object **out)
	__attribute__((warn_unused_result));

#endif
