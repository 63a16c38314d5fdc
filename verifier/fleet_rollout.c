// SPDX-License-Identifier: Apache-2.0
// Rollout progress per active release for gwverifier status (fleet_rollout.h).
#include "fleet_rollout.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gwpol.h"
#include "release_rules.h"
#include "util.h"
#include "verdict.h"

enum { C_DEVICES, C_COHORT, C_OFFERED, C_RUNNING, C_TRIAL, C_ROLLED_BACK, C_UNREACHABLE, NC };

static const char *const count_names[NC] = {
	"devices", "in_cohort", "offered", "running", "in_trial", "rolled_back", "unreachable",
};

struct model_pol {
	char model[STORE_MODEL_MAX + 1];
	struct gwpol *pol; /* NULL: does not verify */
};

struct rollout {
	struct cmd_policy_env *e;
	int64_t now;
	struct store_release *rel; /* every release, withdrawn too (a running one may be) */
	uint64_t (*count)[NC];
	size_t nrel, relcap;
	struct model_pol *mp;
	size_t nmp, mpcap;
};

static int grow(void **p, size_t *cap, size_t n, size_t size)
{
	size_t c;
	void *q;

	if (n < *cap)
		return 0;
	c = *cap ? 2 * *cap : 8;
	q = realloc(*p, c * size);
	if (!q)
		return GW_E_NOMEM;
	*p = q;
	*cap = c;
	return 0;
}

static int release_cb(const struct store_release *r, void *arg)
{
	struct rollout *s = arg;
	size_t cap = s->relcap;

	if (grow((void **)&s->rel, &s->relcap, s->nrel, sizeof(*s->rel)))
		return GW_E_NOMEM;
	if (cap != s->relcap) {
		void *q = realloc(s->count, s->relcap * sizeof(*s->count));

		if (!q)
			return GW_E_NOMEM;
		s->count = q;
	}
	s->rel[s->nrel] = *r;
	s->rel[s->nrel].notes = NULL; /* borrowed only during the call */
	memset(s->count[s->nrel], 0, sizeof(s->count[s->nrel]));
	s->nrel++;
	return 0;
}

static int policy_cb(const struct store_policy *p, void *arg)
{
	struct rollout *s = arg;
	struct model_pol *m;

	if (grow((void **)&s->mp, &s->mpcap, s->nmp, sizeof(*s->mp)))
		return GW_E_NOMEM;
	m = &s->mp[s->nmp++];
	memcpy(m->model, p->model, sizeof(m->model));
	if (verdict_load_policy(p->body, strlen(p->body), s->e->keys, s->e->nkeys,
				s->e->cfg.policy_threshold, &m->pol, NULL, NULL))
		m->pol = NULL;
	return 0;
}

/* The model's policy: *upd its update rules (NULL: none); false when it does not
 * verify (then nothing is offered). */
static bool model_rules(const struct rollout *s, const char *model,
			const struct gwpol_update **upd)
{
	*upd = NULL;
	for (size_t i = 0; i < s->nmp; i++) {
		if (strcmp(s->mp[i].model, model))
			continue;
		if (!s->mp[i].pol)
			return false;
		*upd = &s->mp[i].pol->update;
		return true;
	}
	return true;
}

static const struct store_release *release_by_id(const struct rollout *s, const char *id)
{
	for (size_t i = 0; id[0] && i < s->nrel; i++)
		if (!strcmp(s->rel[i].id, id))
			return &s->rel[i];
	return NULL;
}

static bool for_model(const struct store_release *r, const char *model)
{
	for (size_t i = 0; i < r->nmodels; i++)
		if (!strcmp(r->models[i], model))
			return true;
	return false;
}

static void count_device(struct rollout *s, const struct release_device *d,
			 const struct store_device_update *u, size_t i)
{
	const struct store_release *r = &s->rel[i];
	const struct gwpol_update *upd;
	bool verified = model_rules(s, d->model, &upd);
	uint64_t *c = s->count[i], counter = d->security_version;

	/* As device show: a counter judged in a round that could not record it. */
	if (u && u->has_judged_counter && u->judged_counter > counter)
		counter = u->judged_counter;
	c[C_DEVICES]++;
	c[C_COHORT] += release_cohort(d->id, r->id) < r->rollout;
	c[C_OFFERED] += verified && release_eligible(r, d, upd, s->now,
						     s->e->cfg.release_max_attest_age) ==
					    RELEASE_ELIGIBLE;
	if (!u)
		goto reach;
	c[C_RUNNING] += u->running.present && !strcmp(u->running.release_id, r->id);
	c[C_TRIAL] += u->trial.present && !strcmp(u->trial.release_id, r->id);
	c[C_ROLLED_BACK] += u->outcome.present && !strcmp(u->outcome.release_id, r->id) &&
			    (!strcmp(u->outcome.kind, "rolled-back") ||
			     !strcmp(u->outcome.kind, "fell-back"));
reach:
	c[C_UNREACHABLE] += r->security_version < counter ||
			    (upd && upd->has_end_of_support && s->now >= upd->support_ends &&
			     !r->eol_transition);
}

static int device_cb(const struct store_device *sd, void *arg)
{
	struct rollout *s = arg;
	struct store_device_update u;
	struct release_device d;
	bool has_u;
	int rc;

	if (sd->state != STORE_DEV_ENROLLED)
		return 0;
	rc = store_device_update_get(s->e->st, sd->id, &u, NULL);
	if (rc && rc != GW_E_NOTFOUND)
		return rc;
	has_u = rc == 0;
	release_device_from_store(sd, s->e->cfg.default_channel, &d);
	if (has_u && u.running.present)
		release_device_running(&d, release_by_id(s, u.running.release_id));
	for (size_t i = 0; i < s->nrel; i++) {
		const struct store_release *r = &s->rel[i];

		if (r->withdrawn || !for_model(r, sd->model) || !d.channel ||
		    strcmp(r->channel, d.channel))
			continue;
		count_device(s, &d, has_u ? &u : NULL, i);
	}
	return 0;
}

static json_object *release_json(const struct rollout *s, size_t i)
{
	const struct store_release *r = &s->rel[i];
	json_object *o = json_object_new_object(), *models = json_object_new_array();

	if (!o || !models) {
		json_object_put(o);
		json_object_put(models);
		return NULL;
	}
	for (size_t m = 0; m < r->nmodels; m++)
		json_object_array_add(models, json_object_new_string(r->models[m]));
	json_object_object_add(o, "id", json_object_new_string(r->id));
	json_object_object_add(o, "version", json_object_new_string(r->version));
	json_object_object_add(o, "models", models);
	json_object_object_add(o, "channel", json_object_new_string(r->channel));
	json_object_object_add(o, "rollout", json_object_new_int64(r->rollout));
	json_object_object_add(o, "approval",
			       json_object_new_string(!r->requires_approval ? "not-required"
						      : r->approved	     ? "approved"
									     : "pending"));
	for (int c = 0; c < NC; c++)
		json_object_object_add(o, count_names[c], json_object_new_uint64(s->count[i][c]));
	return o;
}

int fleet_rollout(struct cmd_policy_env *e, int64_t now, json_object **out, gw_error *err)
{
	struct rollout s = { .e = e, .now = now };
	json_object *arr = json_object_new_array();
	int rc = arr ? 0 : GW_E_NOMEM;

	if (!rc)
		rc = store_release_list(e->st, NULL, release_cb, &s, err);
	if (!rc)
		rc = store_policy_list(e->st, NULL, policy_cb, &s, err);
	if (!rc)
		rc = store_device_list(e->st, NULL, device_cb, &s, err);
	for (size_t i = 0; !rc && i < s.nrel; i++) {
		json_object *o;

		if (s.rel[i].withdrawn)
			continue;
		o = release_json(&s, i);
		if (!o || json_object_array_add(arr, o)) {
			json_object_put(o);
			rc = GW_E_NOMEM;
		}
	}
	for (size_t i = 0; i < s.nmp; i++)
		gwpol_free(s.mp[i].pol);
	free(s.mp);
	free(s.rel);
	free(s.count);
	if (rc) {
		json_object_put(arr);
		return rc == GW_E_NOMEM ? gw_fail(err, rc, "rollout: out of memory") : rc;
	}
	*out = arr;
	return 0;
}
