// SPDX-License-Identifier: Apache-2.0
// The appraisal shared by the server and check-quote, and signed policy loading.
#include "verdict.h"

#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "polreset.h"
#include "policy.h"
#include "util.h"
#include "vconfig.h"

/* The configuration's key arrays are sized for one DSSE verification. */
_Static_assert(VCONFIG_MAX_POLICY_KEYS == DSSE_MAX_KEYS, "policy keys: one verification");

int verdict_keys_load(char *const *paths, size_t n, EVP_PKEY **keys, gw_error *err)
{
	char (*ids)[DSSE_KEYID_LEN] = NULL;
	size_t i = 0;
	int rc = 0;

	if (n > DSSE_MAX_KEYS)
		return gw_fail(err, GW_E_INVAL, "more than %u policy keys", DSSE_MAX_KEYS);
	ids = calloc(n ? n : 1, sizeof(*ids));
	if (!ids)
		return GW_E_NOMEM;
	for (i = 0; i < n; i++) {
		keys[i] = NULL;
		rc = policy_pub_read(paths[i], &keys[i], err);
		if (!rc) {
			rc = dsse_key_check(keys[i], err);
			if (rc)
				gw_error_prefix(err, "%s: ", paths[i]);
		}
		if (!rc && dsse_keyid(keys[i], ids[i]))
			rc = gw_fail(err, GW_E_CRYPTO, "%s: encoding the public key", paths[i]);
		for (size_t j = 0; !rc && j < i; j++)
			if (!strcmp(ids[i], ids[j]))
				rc = gw_fail(err, GW_E_KEY, "%s: the same key as %s (keyid %.16s)",
					     paths[i], paths[j], ids[i]);
		if (rc) {
			i++; /* keys[i] was set (or is NULL): free it with the others */
			break;
		}
	}
	if (rc)
		verdict_keys_free(keys, i);
	free(ids);
	return rc;
}

void verdict_keys_free(EVP_PKEY **keys, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		EVP_PKEY_free(keys[i]);
		keys[i] = NULL;
	}
}

int verdict_open_envelope(const char *envelope, size_t len, EVP_PKEY *const *keys, size_t nkeys,
			  size_t threshold, const char *payload_type, const char *what,
			  const char *noun, struct dsse_envelope **out,
			  struct verdict_policy_info *info, gw_error *err)
{
	struct dsse_envelope *env = NULL;
	struct dsse_result *res = NULL;
	uint8_t md[32];
	int rc;

	if (info) {
		memset(info, 0, sizeof(*info));
		info->step = VERDICT_STEP_KEYS;
	}
	if (!envelope || !out)
		return gw_fail(err, GW_E_INVAL, "%s: no envelope", what);
	if (nkeys == 0)
		return gw_fail(err, GW_E_CONFIG,
			       "no policy keys are configured ([policy] key = FILE in the "
			       "verifier configuration): no %s can be trusted", noun);
	if (nkeys > DSSE_MAX_KEYS || threshold < 1 || threshold > nkeys)
		return gw_fail(err, GW_E_CONFIG, "policy threshold %zu is not between 1 and %zu",
			       threshold, nkeys);
	if (info)
		info->step = VERDICT_STEP_ENVELOPE;
	rc = dsse_parse((const uint8_t *)envelope, len, &env, err);
	if (rc) {
		gw_error_prefix(err, "%s: not a signed %s (DSSE envelope): ", what, noun);
		goto out;
	}
	if (info)
		info->step = VERDICT_STEP_TYPE;
	/* Checked before the signatures: an envelope of another kind is malformed
	 * input, whoever signed it. */
	if (strcmp(env->payload_type, payload_type)) {
		rc = gw_fail(err, GW_E_PARSE, "%s envelope: payloadType '%.64s' is not '%s'", what,
			     env->payload_type, payload_type);
		goto out;
	}
	if (info && gw_hash(TPM2_ALG_SHA256, env->payload, env->payload_len, md) == 0)
		gw_hex_encode(md, sizeof(md), info->payload_sha256);
	if (info)
		info->step = VERDICT_STEP_SIGNATURE;
	res = calloc(1, sizeof(*res));
	if (!res) {
		rc = GW_E_NOMEM;
		goto out;
	}
	rc = dsse_verify(env, keys, nkeys, (unsigned)threshold, payload_type, res, err);
	if (rc == GW_E_SIGNATURE || rc == 0) {
		for (size_t k = 0; info && k < nkeys; k++)
			if (res->key_signed[k])
				memcpy(info->signed_by[info->nsigners++], res->keyid[k],
				       DSSE_KEYID_LEN);
	}
	if (rc) {
		gw_error_prefix(err, "%s signature: ", what);
		goto out;
	}
	if (info)
		info->step = VERDICT_STEP_PAYLOAD;
	*out = env; /* transferred */
	env = NULL;
out:
	free(res);
	dsse_free(env);
	return rc;
}

int verdict_load_policy(const char *envelope, size_t len, EVP_PKEY *const *keys, size_t nkeys,
			size_t threshold, struct gwpol **out, struct verdict_policy_info *info,
			gw_error *err)
{
	struct dsse_envelope *env = NULL;
	struct gwpol *pol = NULL;
	int rc;

	if (!out)
		return gw_fail(err, GW_E_INVAL, "policy: no output");
	rc = verdict_open_envelope(envelope, len, keys, nkeys, threshold, GWPOL_PAYLOAD_TYPE,
				   "policy", "policy", &env, info, err);
	if (rc)
		return rc;
	rc = gwpol_parse((const char *)env->payload, env->payload_len, &pol,
			 info ? &info->diags : NULL, err);
	if (rc)
		goto out;
	if (info)
		info->step = VERDICT_STEP_DONE;
	*out = pol; /* transferred */
	pol = NULL;
out:
	gwpol_free(pol);
	dsse_free(env);
	return rc;
}

int verdict_load_reset(const char *envelope, size_t len, EVP_PKEY *const *keys, size_t nkeys,
		       size_t threshold, struct polreset *out, struct verdict_policy_info *info,
		       gw_error *err)
{
	struct dsse_envelope *env = NULL;
	int rc;

	if (!out)
		return gw_fail(err, GW_E_INVAL, "policy reset: no output");
	rc = verdict_open_envelope(envelope, len, keys, nkeys, threshold, POLRESET_PAYLOAD_TYPE,
				   "policy reset", "statement", &env, info, err);
	if (rc)
		return rc;
	rc = polreset_parse(env->payload, env->payload_len, out, err);
	if (!rc && info)
		info->step = VERDICT_STEP_DONE;
	dsse_free(env);
	return rc;
}

uint32_t verdict_quoted_pcrs(const struct appraise_result *res, uint16_t bank)
{
	const TPML_PCR_SELECTION *sel;
	uint32_t bits = 0;

	if (!res || !res->quote.parsed)
		return 0;
	sel = &res->quote.attest.attested.quote.pcrSelect;
	for (size_t b = 0; b < sel->count && b < TPM2_NUM_PCR_BANKS; b++) {
		if (sel->pcrSelections[b].hash != bank)
			continue;
		for (unsigned p = 0; p < 32 && p < GW_NUM_PCRS; p++)
			if (gw_pcrsel_has(&sel->pcrSelections[b], p))
				bits |= 1u << p;
	}
	return bits;
}

int verdict_appraise(const struct appraise_input *in, const struct gwpol *pol, const char *model,
		     int64_t now, struct appraise_result *res, struct gwpol_report *rep,
		     gw_error *err)
{
	return verdict_appraise_boot(in, pol, NULL, model, now, res, rep, err);
}

int verdict_appraise_boot(const struct appraise_input *in, const struct gwpol *pol,
			  const struct gwpol_digests *boot_files, const char *model, int64_t now,
			  struct appraise_result *res, struct gwpol_report *rep, gw_error *err)
{
	struct appraise_input ain;
	struct gwpol_evidence ev;
	int rc, erc;

	if (!in || !res || !rep)
		return gw_fail(err, GW_E_INVAL, "verdict: missing argument");
	gwpol_report_init(rep);
	/* The checklist refuses event types outside the TCG spec unless the policy
	 * names them. */
	ain = *in;
	if (pol && pol->fw.present) {
		ain.allow_types = pol->fw.allow_types;
		ain.n_allow_types = pol->fw.n_allow_types;
	}
	in = &ain;
	rc = appraise_quote(in, res, err);
	gwpol_report_add_appraisal(rep, res);
	if (!pol) {
		if (model)
			gwpol_report_add(rep, GWPOL_CLAIM_CONFIGURATION, GWPOL_TIER_WARNING, "policy",
					 "no policy for model '%s': stage digests were not appraised",
					 model);
		return rc;
	}
	/* A forged quote says nothing about its logs: the checklist's findings are
	 * the whole story. */
	if (rc != 0 && res->status[APPRAISE_SIGNATURE] != APPRAISE_PASS)
		return rc;
	memset(&ev, 0, sizeof(ev));
	/* A log counts only when it replayed to the quoted PCRs: then each event is
	 * as authentic as the quote. */
	if (in->fwlog && res->status[APPRAISE_FW_REPLAY] == APPRAISE_PASS)
		ev.fwlog = in->fwlog;
	if (pol->fw.present)
		ev.fw_quoted = verdict_quoted_pcrs(res, pol->fw.bank);
	if (in->cel && res->status[APPRAISE_CEL_REPLAY] == APPRAISE_PASS)
		ev.cel = in->cel;
	ev.cel_quoted = verdict_quoted_pcrs(res, TPM2_ALG_SHA256);
	ev.now = now;
	ev.boot_files = boot_files;
	erc = gwpol_evaluate(pol, &ev, rep);
	if (erc)
		return gw_fail(err, erc, "evaluating the policy: %s", gw_strerror(erc));
	return rc;
}

json_object *verdict_failures_json(const struct gwpol_report *rep)
{
	json_object *arr = json_object_new_array();

	for (size_t i = 0; arr && i < rep->n; i++) {
		const struct gwpol_finding *f = &rep->f[i];
		json_object *o = json_object_new_object();

		if (!o || json_object_array_add(arr, o)) {
			json_object_put(o);
			json_object_put(arr);
			return NULL;
		}
		if (json_object_object_add(o, "claim",
					   json_object_new_string(gwpol_claim_name(f->claim))) ||
		    json_object_object_add(o, "check", json_object_new_string(f->rule)) ||
		    json_object_object_add(o, "message", json_object_new_string(f->msg))) {
			json_object_put(arr);
			return NULL;
		}
	}
	return arr;
}

#define VERDICT_EOL_RULE "$.update.end_of_support"

bool verdict_warning_is_eol(const struct gwpol_report *rep)
{
	if (strcmp(gwpol_report_status(rep), "warning") || rep->n != 1 || rep->dropped)
		return false;
	return strcmp(rep->f[0].rule, VERDICT_EOL_RULE) == 0;
}

bool verdict_result_is_eol(const char *status, const char *claims)
{
	json_object *arr, *check;
	bool eol = false;

	if (!status || !claims || strcmp(status, "warning"))
		return false;
	arr = json_tokener_parse(claims);
	if (json_object_is_type(arr, json_type_array) && json_object_array_length(arr) == 1 &&
	    json_object_object_get_ex(json_object_array_get_idx(arr, 0), "check", &check) &&
	    json_object_is_type(check, json_type_string))
		eol = strcmp(json_object_get_string(check), VERDICT_EOL_RULE) == 0;
	json_object_put(arr);
	return eol;
}

json_object *verdict_vector_json(const struct gwpol_report *rep)
{
	json_object *tv = json_object_new_object();

	for (int i = 0; tv && i < GWPOL_CLAIM_COUNT; i++)
		if (json_object_object_add(tv, gwpol_claim_name(i), json_object_new_int(
						   gwpol_report_claim_tier(rep, i)))) {
			json_object_put(tv);
			return NULL;
		}
	return tv;
}

/* ---- The per-worker cache ---- */

struct cache_entry {
	bool used;
	char model[GWPOL_NAME_MAX + 1];
	uint32_t version;
	char *body;          /* the envelope as verified */
	size_t len;
	struct gwpol *pol;   /* NULL when it failed */
	int rc;
	char why[sizeof(((gw_error *)0)->msg)];
	unsigned long last;  /* for eviction: the least recently used goes */
};

struct verdict_cache {
	size_t cap;
	struct cache_entry *e;
	unsigned long clock, verified, hits;
	char why[sizeof(((gw_error *)0)->msg)]; /* the last failure not cached */
};

/* Failures that the same bytes and keys give every time, so worth caching; any
 * other (memory, a library failure) is tried again at the next attestation. */
static bool deterministic(int rc)
{
	return rc == 0 || rc == GW_E_SIGNATURE || rc == GW_E_PARSE || rc == GW_E_TOOBIG ||
	       rc == GW_E_TRAILING;
}

struct verdict_cache *verdict_cache_new(size_t cap)
{
	struct verdict_cache *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->cap = cap ? cap : 1;
	c->e = calloc(c->cap, sizeof(*c->e));
	if (!c->e) {
		free(c);
		return NULL;
	}
	return c;
}

static void entry_clear(struct cache_entry *e)
{
	free(e->body);
	gwpol_free(e->pol);
	memset(e, 0, sizeof(*e));
}

void verdict_cache_free(struct verdict_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->cap; i++)
		entry_clear(&c->e[i]);
	free(c->e);
	free(c);
}

void verdict_cache_clear(struct verdict_cache *c)
{
	for (size_t i = 0; i < c->cap; i++)
		entry_clear(&c->e[i]);
}

int verdict_cache_get(struct verdict_cache *c, const char *model, uint32_t version,
		      const char *body, size_t len, EVP_PKEY *const *keys, size_t nkeys,
		      size_t threshold, const struct gwpol **pol, const char **why)
{
	struct cache_entry *e = NULL, *slot = NULL;
	gw_error err = { { 0 } };
	struct gwpol *p = NULL;
	char *copy;
	int rc;

	*pol = NULL;
	*why = NULL;
	for (size_t i = 0; i < c->cap && !e; i++) {
		struct cache_entry *x = &c->e[i];

		if (x->used && x->version == version && !strcmp(x->model, model))
			e = x;
		else if (!slot || !x->used || (slot->used && x->last < slot->last))
			slot = x;
	}
	if (e && e->len == len && !memcmp(e->body, body, len)) {
		c->hits++;
		e->last = ++c->clock;
		*pol = e->pol;
		*why = e->pol ? NULL : e->why;
		return e->rc;
	}
	if (e)
		slot = e; /* the row changed: verify it again in its place */
	copy = malloc(len ? len : 1);
	if (!copy)
		return GW_E_NOMEM;
	memcpy(copy, body, len);
	c->verified++;
	rc = verdict_load_policy(body, len, keys, nkeys, threshold, &p, NULL, &err);
	if (!deterministic(rc)) {
		free(copy);
		snprintf(c->why, sizeof(c->why), "%s", gw_error_msg(&err, rc));
		*why = c->why;
		return rc;
	}
	entry_clear(slot);
	slot->used = true;
	snprintf(slot->model, sizeof(slot->model), "%s", model);
	slot->version = version;
	slot->body = copy;
	slot->len = len;
	slot->rc = rc;
	if (!rc && strcmp(p->model, model)) {
		/* The envelope is genuine, but for another model (or version): a row
		 * copied from elsewhere must not stand for this one. */
		slot->rc = rc = GW_E_PARSE;
		snprintf(slot->why, sizeof(slot->why), "it is the policy of model '%s'", p->model);
		gwpol_free(p);
		p = NULL;
	} else if (!rc && p->version != version) {
		slot->rc = rc = GW_E_PARSE;
		snprintf(slot->why, sizeof(slot->why), "its payload says version %u",
			 (unsigned)p->version);
		gwpol_free(p);
		p = NULL;
	} else if (rc) {
		snprintf(slot->why, sizeof(slot->why), "%s", gw_error_msg(&err, rc));
	}
	slot->pol = p;
	slot->last = ++c->clock;
	*pol = slot->pol;
	*why = slot->pol ? NULL : slot->why;
	return slot->rc;
}

void verdict_cache_stats(const struct verdict_cache *c, unsigned long *verified,
			 unsigned long *hits)
{
	*verified = c->verified;
	*hits = c->hits;
}
