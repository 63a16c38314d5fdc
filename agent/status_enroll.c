// SPDX-License-Identifier: Apache-2.0
// The enrollment as `gwagent status` shows it: the device, its verifier and its
// certificate's lifetime, read from the state directory.
#include "status_enroll.h"

#include <string.h>

#include "answers.h"
#include "certinfo.h"
#include "enroll_state.h"
#include "identity.h"
#include "jsonobj.h"
#include "util.h"

static void add_time(json_object *o, const char *k, int64_t t)
{
	char buf[GW_TIME_LEN];

	gw_time_format_utc(t, buf);
	gw_json_add_str(o, k, buf);
}

/* The installed TLS pair's certificate, or {"error"} saying why it is not usable. */
static json_object *certificate_json(const struct agent_ctx *ctx, int64_t now)
{
	json_object *c = json_object_new_object();
	struct identity_facts f;
	gw_error err = { { 0 } };
	int rc = identity_read(ctx, &f, &err);

	if (!c)
		return NULL;
	if (rc || !f.usable) {
		gw_json_add_str(c, "error", rc ? gw_error_msg(&err, rc) : f.why);
		return c;
	}
	gw_json_add_str(c, "serial", f.cert.serial);
	add_time(c, "not_before", f.cert.not_before);
	add_time(c, "not_after", f.cert.not_after);
	add_time(c, "renew_from", certinfo_renew_from(&f.cert));
	json_object_object_add(c, "expired", json_object_new_boolean(now >= f.cert.not_after));
	return c;
}

json_object *status_enrollment(const struct agent_ctx *ctx, int64_t now)
{
	json_object *o = json_object_new_object();
	struct enroll_state st;
	gw_error err = { { 0 } };
	int rc;

	if (!o)
		return NULL;
	memset(&st, 0, sizeof(st));
	rc = enroll_state_load(ctx, &st, &err);
	if (rc == GW_E_NOTFOUND) {
		gw_json_add_str(o, "state", "not-enrolled");
		gw_json_add_str(o, "verifier", ctx->cfg.verifier_url);
		return o;
	}
	if (rc) {
		gw_json_add_str(o, "state", "error");
		gw_json_add_str(o, "error", gw_error_msg(&err, rc));
		answers_enroll_state_wipe(&st);
		return o;
	}
	gw_json_add_str(o, "state", st.state == ANSWER_ENROLLED ? "enrolled" : "pending");
	gw_json_add_str(o, "device_id", st.device_id);
	gw_json_add_str(o, "model", st.model[0] ? st.model : NULL);
	gw_json_add_str(o, "verifier", st.url);
	json_object_object_add(o, "certificate", st.state == ANSWER_ENROLLED
							 ? certificate_json(ctx, now)
							 : NULL);
	answers_enroll_state_wipe(&st);
	return o;
}

void status_enrollment_print(json_object *e, FILE *out)
{
	const char *state = gw_json_str(e, "state"), *v;
	json_object *c;

	if (!state)
		return;
	if (!strcmp(state, "error")) {
		fprintf(out, "Enrollment: unreadable: %s\n", gw_json_str(e, "error"));
		return;
	}
	if (!strcmp(state, "not-enrolled")) {
		fprintf(out, "Enrollment: not enrolled (run gwagent enroll)\n");
		return;
	}
	fprintf(out, "Enrollment: %s, device %s", state, gw_json_str(e, "device_id"));
	if ((v = gw_json_str(e, "model")))
		fprintf(out, ", model %s", v);
	fprintf(out, ", verifier %s\n", gw_json_str(e, "verifier"));
	if (!json_object_object_get_ex(e, "certificate", &c) || !c)
		return;
	if ((v = gw_json_str(c, "error"))) {
		fprintf(out, "Certificate: not usable: %s\n", v);
		return;
	}
	fprintf(out, "Certificate: serial %s, valid %s to %s%s, renewed from %s\n",
		gw_json_str(c, "serial"), gw_json_str(c, "not_before"), gw_json_str(c, "not_after"),
		json_object_get_boolean(json_object_object_get(c, "expired")) ? " (EXPIRED)" : "",
		gw_json_str(c, "renew_from"));
}
