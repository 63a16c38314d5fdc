// SPDX-License-Identifier: Apache-2.0
// gwpolicy root: what a root says and how far it is signed, as text or JSON.
#include <stdio.h>
#include <string.h>

#include "root_cli.h"
#include "util.h"

/* res is usable: dsse_verify() filled it. */
static bool have_res(int rc)
{
	return !rc || rc == GW_E_SIGNATURE;
}

void root_print_text(const struct root *r, const struct root_status *st)
{
	char when[GW_TIME_LEN];
	const struct root_role *rr = &r->role[ROOT_ROLE_ROOT], *tr = &r->role[ROOT_ROLE_TARGETS];
	bool res = have_res(st->own_rc);

	gw_time_format_utc((int64_t)r->expires, when);
	printf("version       %llu\n", (unsigned long long)r->version);
	printf("expires       %s\n", when);
	printf("digest        %s\n", r->digest_hex);
	printf("root role     %u of %zu keys must sign", rr->threshold, rr->nkeys);
	if (res)
		printf("; %u signed", st->own.valid);
	printf("\n");
	for (size_t i = 0; i < rr->nkeys; i++)
		printf("  %-12s%s\n", !res ? "key" : st->own.key_signed[i] ? "signed" : "not-signed",
		       rr->keyid[i]);
	printf("targets role  %u of %zu keys must sign releases\n", tr->threshold, tr->nkeys);
	for (size_t i = 0; i < tr->nkeys; i++)
		printf("  %-12s%s\n", "key", tr->keyid[i]);
	if (st->have_prev && have_res(st->prev_rc)) {
		printf("previous      version %llu's root keys: %u of required %u signed\n",
		       (unsigned long long)st->prev_version, st->prev.valid, st->prev.threshold);
		for (size_t i = 0; i < st->prev.nkeys; i++)
			printf("  %-12s%s\n", st->prev.key_signed[i] ? "signed" : "not-signed",
			       st->prev.keyid[i]);
	}
	for (size_t i = 0; res && i < r->env->nsigs; i++) {
		enum dsse_sig_status s = st->own.status[i];

		if (st->have_prev && have_res(st->prev_rc) &&
		    st->prev.status[i] != DSSE_SIG_UNKNOWN_KEY)
			s = st->prev.status[i];
		if (s == DSSE_SIG_UNKNOWN_KEY || s == DSSE_SIG_INVALID)
			printf("ignored       %.64s (signature %zu: %s)\n", r->env->sigs[i].keyid,
			       i + 1, s == DSSE_SIG_UNKNOWN_KEY ? "not a root key" : "invalid");
	}
}

/* One "needs N more" note for a threshold not met. */
static void missing_note(const struct policy_ctx *ctx, const struct dsse_result *res,
			 const char *whose, const char *how)
{
	char ids[DSSE_MAX_KEYS * 10 + 1] = "";
	size_t off = 0;

	for (size_t i = 0; i < res->nkeys && off + 10 < sizeof(ids); i++)
		if (!res->key_signed[i]) {
			snprintf(ids + off, sizeof(ids) - off, "%s%.8s", off ? ", " : "",
				 res->keyid[i]);
			off = strlen(ids);
		}
	policy_errorf(ctx,
		      "note: %u more signature%s needed by %s root keys (%u of required %u; "
		      "not signed: %s); add %s with '%s'",
		      res->threshold - res->valid, res->threshold - res->valid == 1 ? "" : "s", whose,
		      res->valid, res->threshold, ids, res->threshold - res->valid == 1 ? "it" : "them",
		      how);
}

void root_print_missing(const struct policy_ctx *ctx, const struct root *r,
			const struct root_status *st)
{
	char whose[64];

	if (st->own_rc == GW_E_SIGNATURE) {
		snprintf(whose, sizeof(whose), "version %llu's own", (unsigned long long)r->version);
		missing_note(ctx, &st->own, whose, "gwpolicy root sign --key KEY ROOT");
	}
	if (st->have_prev && st->prev_rc == GW_E_SIGNATURE) {
		snprintf(whose, sizeof(whose), "version %llu's",
			 (unsigned long long)st->prev_version);
		missing_note(ctx, &st->prev, whose,
			     "gwpolicy root sign --previous OLD --key KEY ROOT");
	}
}

static json_object *keys_json(const struct dsse_result *res, const char (*ids)[DSSE_KEYID_LEN],
			      size_t n, bool with_signed)
{
	json_object *arr = json_object_new_array();

	for (size_t i = 0; i < n; i++) {
		json_object *k = json_object_new_object();

		json_object_object_add(k, "keyid", json_object_new_string(ids[i]));
		if (with_signed)
			json_object_object_add(k, "signed",
					       json_object_new_boolean(res->key_signed[i]));
		json_object_array_add(arr, k);
	}
	return arr;
}

static json_object *role_json(const struct root_role *rl, const struct dsse_result *res)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "threshold", json_object_new_int64(rl->threshold));
	if (res)
		json_object_object_add(o, "valid", json_object_new_int64(res->valid));
	json_object_object_add(o, "keys", keys_json(res, rl->keyid, rl->nkeys, res != NULL));
	return o;
}

static json_object *sigs_json(const struct root *r, const struct root_status *st)
{
	json_object *arr = json_object_new_array();
	bool own = have_res(st->own_rc), prev = st->have_prev && have_res(st->prev_rc);

	for (size_t i = 0; i < r->env->nsigs; i++) {
		json_object *s = json_object_new_object();

		json_object_object_add(s, "keyid", json_object_new_string(r->env->sigs[i].keyid));
		if (own)
			json_object_object_add(s, "status",
					       json_object_new_string(dsse_status_name(st->own.status[i])));
		if (prev)
			json_object_object_add(
				s, "previous_status",
				json_object_new_string(dsse_status_name(st->prev.status[i])));
		json_object_array_add(arr, s);
	}
	return arr;
}

json_object *root_report_json(const struct root *r, const struct root_status *st,
			      const char *file)
{
	json_object *o = json_object_new_object(), *roles = json_object_new_object();
	char when[GW_TIME_LEN];
	bool res = have_res(st->own_rc);

	gw_time_format_utc((int64_t)r->expires, when);
	if (file)
		json_object_object_add(o, "file", json_object_new_string(file));
	json_object_object_add(o, "version", json_object_new_int64((int64_t)r->version));
	json_object_object_add(o, "expires", json_object_new_string(when));
	json_object_object_add(o, "digest", json_object_new_string(r->digest_hex));
	json_object_object_add(roles, "root",
			       role_json(&r->role[ROOT_ROLE_ROOT], res ? &st->own : NULL));
	json_object_object_add(roles, "targets", role_json(&r->role[ROOT_ROLE_TARGETS], NULL));
	json_object_object_add(o, "roles", roles);
	if (st->have_prev && have_res(st->prev_rc)) {
		json_object *p = json_object_new_object();

		json_object_object_add(p, "version", json_object_new_int64((int64_t)st->prev_version));
		json_object_object_add(p, "threshold", json_object_new_int64(st->prev.threshold));
		json_object_object_add(p, "valid", json_object_new_int64(st->prev.valid));
		json_object_object_add(p, "keys", keys_json(&st->prev, st->prev.keyid,
							    st->prev.nkeys, true));
		json_object_object_add(o, "previous", p);
	}
	json_object_object_add(o, "signatures", sigs_json(r, st));
	json_object_object_add(o, "complete", json_object_new_boolean(root_status_complete(st)));
	return o;
}

void root_print_json(json_object *o, int exitc, const char *error)
{
	if (!o)
		o = json_object_new_object();
	json_object_object_add(o, "result", json_object_new_string(exitc ? "fail" : "pass"));
	json_object_object_add(o, "exit_code", json_object_new_int(exitc));
	if (error)
		json_object_object_add(o, "error", json_object_new_string(error));
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
						       JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}
