// SPDX-License-Identifier: Apache-2.0
// The latest verified attestation result as `gwagent status` shows it, with the end
// of support the verifier's policy names and a notice ahead of it.
#include "status_result.h"

#include <string.h>

#include "answers.h"
#include "ear_time.h"
#include "jsonobj.h"
#include "util.h"

/* submods.gatewarden["gatewarden.end-of-support"]: "YYYY-MM-DD", the last supported
 * day; *ends the instant support ends (the next day, 00:00 UTC). */
static const char *end_of_support(json_object *claims, int64_t *ends)
{
	json_object *subs, *mod, *v;
	char t[GW_TIME_LEN + 1];
	const char *s;

	if (!json_object_object_get_ex(claims, "submods", &subs) ||
	    !json_object_object_get_ex(subs, "gatewarden", &mod) ||
	    !json_object_object_get_ex(mod, "gatewarden.end-of-support", &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	s = json_object_get_string(v);
	if (strlen(s) != 10 || gw_snprintf(t, sizeof(t), "%sT00:00:00Z", s) ||
	    gw_time_parse_utc(t, ends))
		return NULL;
	*ends += 86400;
	return s;
}

static void add_time(json_object *o, const char *key, int64_t t)
{
	char buf[GW_TIME_LEN];

	if (!t) {
		json_object_object_add(o, key, NULL);
		return;
	}
	gw_time_format_utc(t, buf);
	json_object_object_add(o, key, json_object_new_string(buf));
}

json_object *status_last_result(struct agent_ctx *ctx, int64_t now)
{
	json_object *claims = NULL, *o;
	struct ear_summary sum;
	gw_error err = { { 0 } };
	int64_t iat = 0, ends = 0;
	const char *eos;
	int rc = ear_latest_claims(ctx, &claims, &err);

	if (rc == GW_E_NOTFOUND)
		return NULL;
	o = json_object_new_object();
	if (!o) {
		json_object_put(claims);
		return NULL;
	}
	if (!rc)
		rc = answers_ear_summary(claims, &sum, &err);
	if (!rc)
		rc = gw_json_get_int(claims, "iat", 1, INT64_C(253402300799), &iat, &err);
	if (rc) {
		json_object_object_add(o, "error", json_object_new_string(gw_error_msg(&err, rc)));
		json_object_put(claims);
		return o;
	}
	json_object_object_add(o, "status",
			       json_object_new_string(answers_status_name(sum.status)));
	add_time(o, "at", iat);
	add_time(o, "expires", sum.exp);
	eos = end_of_support(claims, &ends);
	json_object_object_add(o, "end_of_support", eos ? json_object_new_string(eos) : NULL);
	if (eos) {
		int64_t left = ends > now ? (ends - now + 86399) / 86400 : 0;
		char notice[160];

		json_object_object_add(o, "support_days_left", json_object_new_int64(left));
		if (now >= ends)
			snprintf(notice, sizeof(notice), "support for this model ended on %s: no "
				 "new releases except an end-of-life transition", eos);
		else if (left <= STATUS_EOL_NOTICE_DAYS)
			snprintf(notice, sizeof(notice), "support for this model ends on %s (in "
				 "%lld days)", eos, (long long)left);
		else
			notice[0] = '\0';
		json_object_object_add(o, "notice",
				       notice[0] ? json_object_new_string(notice) : NULL);
	} else {
		json_object_object_add(o, "support_days_left", NULL);
		json_object_object_add(o, "notice", NULL);
	}
	json_object_put(claims);
	return o;
}

void status_last_result_print(json_object *r, FILE *out)
{
	const char *e, *n;

	if (!r) {
		fprintf(out, "Last result: none yet (run gwagent attest)\n");
		return;
	}
	e = gw_json_str(r, "error");
	if (e) {
		fprintf(out, "Last result: does not verify: %s\n", e);
		return;
	}
	fprintf(out, "Last result: %s at %s (expires %s)\n", gw_json_str(r, "status"), gw_json_str(r, "at"),
		gw_json_str(r, "expires") ? gw_json_str(r, "expires") : "-");
	if (gw_json_str(r, "end_of_support"))
		fprintf(out, "Support:     until %s\n", gw_json_str(r, "end_of_support"));
	n = gw_json_str(r, "notice");
	if (n)
		fprintf(out, "NOTICE:      %s\n", n);
}
