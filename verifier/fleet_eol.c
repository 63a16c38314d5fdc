// SPDX-License-Identifier: Apache-2.0
// The devices near or past their model's end of support, for gwverifier status:
// each model's policy in force, verified again, then the enrolled devices of the
// models whose support ends within the horizon.
#include "fleet_eol.h"

#include <stdlib.h>
#include <string.h>

#include "gwpol.h"
#include "util.h"
#include "verdict.h"

/* One model's end of support as its verified policy in force says. */
struct model_eol {
	char model[STORE_MODEL_MAX + 1];
	bool has;		/* a verified policy with update.end_of_support */
	char day[11];
	int64_t ends;
};

struct eol_scan {
	struct cmd_policy_env *e;
	int64_t now, horizon;
	struct model_eol *models;
	size_t n, cap;
	json_object *out, *unverified;
	int rc;
};

static int model_cb(const struct store_policy *p, void *arg)
{
	struct eol_scan *s = arg;
	struct model_eol *m;
	struct gwpol *pol = NULL;
	gw_error err = { { 0 } };
	int rc;

	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 8;
		struct model_eol *ms = realloc(s->models, cap * sizeof(*ms));

		if (!ms)
			return GW_E_NOMEM;
		s->models = ms;
		s->cap = cap;
	}
	m = &s->models[s->n++];
	memset(m, 0, sizeof(*m));
	memcpy(m->model, p->model, sizeof(m->model));
	rc = verdict_load_policy(p->body, strlen(p->body), s->e->keys, s->e->nkeys,
				 s->e->cfg.policy_threshold, &pol, NULL, &err);
	if (rc) {
		json_object *u = json_object_new_object();

		if (!u)
			return GW_E_NOMEM;
		json_object_object_add(u, "model", json_object_new_string(p->model));
		json_object_object_add(u, "error", json_object_new_string(gw_error_msg(&err, rc)));
		return json_object_array_add(s->unverified, u) ? GW_E_NOMEM : 0;
	}
	if (pol->update.has_end_of_support) {
		m->has = true;
		memcpy(m->day, pol->update.end_of_support, sizeof(m->day));
		m->ends = pol->update.support_ends;
	}
	gwpol_free(pol);
	return 0;
}

static int device_cb(const struct store_device *d, void *arg)
{
	struct eol_scan *s = arg;
	json_object *o;

	if (d->state != STORE_DEV_ENROLLED)
		return 0;
	for (size_t i = 0; i < s->n; i++) {
		const struct model_eol *m = &s->models[i];
		int64_t left;

		if (strcmp(m->model, d->model) || !m->has || m->ends > s->horizon)
			continue;
		left = m->ends > s->now ? (m->ends - s->now + 86399) / 86400 : 0;
		o = json_object_new_object();
		if (!o)
			return GW_E_NOMEM;
		json_object_object_add(o, "id", json_object_new_string(d->id));
		json_object_object_add(o, "model", json_object_new_string(d->model));
		json_object_object_add(o, "end_of_support", json_object_new_string(m->day));
		json_object_object_add(o, "past", json_object_new_boolean(s->now >= m->ends));
		json_object_object_add(o, "days_left", json_object_new_int64(left));
		return json_object_array_add(s->out, o) ? GW_E_NOMEM : 0;
	}
	return 0;
}

int fleet_eol(struct cmd_policy_env *e, int64_t now, unsigned days, json_object **out,
	      json_object **unverified, gw_error *err)
{
	struct eol_scan s = { .e = e, .now = now, .horizon = now + (int64_t)days * 86400 };
	int rc = GW_E_NOMEM;

	s.out = json_object_new_array();
	s.unverified = json_object_new_array();
	if (!s.out || !s.unverified)
		goto fail;
	rc = store_policy_list(e->st, NULL, model_cb, &s, err);
	if (!rc)
		rc = store_device_list(e->st, NULL, device_cb, &s, err);
	if (rc)
		goto fail;
	free(s.models);
	*out = s.out;
	*unverified = s.unverified;
	return 0;
fail:
	free(s.models);
	json_object_put(s.out);
	json_object_put(s.unverified);
	return rc;
}
