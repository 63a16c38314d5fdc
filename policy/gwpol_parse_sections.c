// SPDX-License-Identifier: Apache-2.0
// The policy parser's sections after the firmware: stages, trust, update and logs.
#include "gwpol_parse_int.h"

#include <string.h>

#include "util.h"

/* ---- stages, trust, update ---- */

static void parse_stage(struct pctx *c, json_object *v, struct gwpol_stage *st)
{
	static const char *const known[] = { "digests", "claim" };
	const struct gw_alg *sha256 = gw_alg_by_id(TPM2_ALG_SHA256);
	json_object *x;
	size_t mark;

	st->claim = GWPOL_CLAIM_EXECUTABLES;
	if (json_object_is_type(v, json_type_array)) {
		gwpp_parse_digests(c, v, sha256, &st->digests);
		return;
	}
	if (!json_object_is_type(v, json_type_object)) {
		gwpp_diag(c, GW_E_PARSE, "not an array of digests or an object with digests and claim");
		return;
	}
	gwpp_check_keys(c, v, known, GW_ARRAY_SIZE(known));
	if (gwpp_member(c, v, "digests", true, &x)) {
		mark = gwpp_path_key(c, "digests");
		gwpp_parse_digests(c, x, sha256, &st->digests);
		gwpp_path_pop(c, mark);
	}
	if (gwpp_member(c, v, "claim", false, &x)) {
		mark = gwpp_path_key(c, "claim");
		if (gwpp_want(c, x, json_type_string)) {
			const char *s = json_object_get_string(x);

			if (!strcmp(s, "executables"))
				st->claim = GWPOL_CLAIM_EXECUTABLES;
			else if (!strcmp(s, "configuration"))
				st->claim = GWPOL_CLAIM_CONFIGURATION;
			else if (!strcmp(s, "file-system"))
				st->claim = GWPOL_CLAIM_FILESYSTEM;
			else
				gwpp_diag(c, GW_E_PARSE,
					  "not a claim (executables, configuration or file-system)");
		}
		gwpp_path_pop(c, mark);
	}
}

void gwpp_parse_stages(struct pctx *c, json_object *v, struct gwpol *p)
{
	void *list;
	size_t n;

	if (!gwpp_take_list(c, v, json_type_object, "no stage (leave the key out instead)",
			    GWPOL_MAX_STAGES, "stages", sizeof(*p->stages), &list, &n))
		return;
	p->stages = list;
	json_object_object_foreach(v, key, val) {
		struct gwpol_stage *st = &p->stages[p->n_stages];
		size_t klen = strlen(key), mark;
		char k[SHOWN_MAX + 4];

		if (c->nomem)
			break;
		if (!gwpp_valid_name(key, klen)) {
			gwpp_shown(key, klen, k);
			gwpp_diag(c, GW_E_PARSE, "'%s' is not a stage name (1-64 of A-Z a-z 0-9 . _ -)",
				  k);
			continue;
		}
		memcpy(st->name, key, klen + 1);
		p->n_stages++;
		mark = gwpp_path_key(c, key);
		parse_stage(c, val, st);
		gwpp_path_pop(c, mark);
	}
}

void gwpp_parse_trust(struct pctx *c, json_object *v, struct gwpol_trust *t)
{
	static const char *const known[] = { "gate_key", "trust_root" };
	const struct gw_alg *sha256 = gw_alg_by_id(TPM2_ALG_SHA256);

	if (!gwpp_want(c, v, json_type_object))
		return;
	gwpp_check_keys(c, v, known, GW_ARRAY_SIZE(known));
	gwpp_opt_digests(c, v, "gate_key", sha256, &t->has_gate_key, &t->gate_key);
	gwpp_opt_digests(c, v, "trust_root", sha256, &t->has_trust_root, &t->trust_root);
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = y / 400; /* y >= 1999 here, so no rounding toward zero to correct */
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* "YYYY-MM-DD", a real day of 2000-9999: *ends is 00:00 UTC of the day after. */
static bool parse_date(const char *s, size_t len, int64_t *ends)
{
	static const unsigned mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	unsigned v[3] = { 0, 0, 0 }, y, m, d, dim;
	static const size_t width[] = { 4, 2, 2 };
	size_t pos = 0;

	if (len != 10)
		return false;
	for (size_t f = 0; f < 3; f++) {
		for (size_t i = 0; i < width[f]; i++, pos++) {
			if (s[pos] < '0' || s[pos] > '9')
				return false;
			v[f] = v[f] * 10 + (unsigned)(s[pos] - '0');
		}
		if (f < 2 && s[pos++] != '-')
			return false;
	}
	y = v[0];
	m = v[1];
	d = v[2];
	if (y < 2000 || m < 1 || m > 12 || d < 1)
		return false;
	dim = mdays[m - 1] + (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
	if (d > dim)
		return false;
	*ends = (days_from_civil(y, m, d) + 1) * 86400;
	return true;
}

static void parse_channels(struct pctx *c, json_object *v, struct gwpol_update *u)
{
	void *list;
	size_t n;

	if (!gwpp_take_list(c, v, json_type_array, LEAVE_OUT, GWPOL_MAX_CHANNELS, "channels",
			    sizeof(*u->channels), &list, &n))
		return;
	u->channels = list;
	for (size_t i = 0; i < n; i++) {
		size_t mark = gwpp_path_idx(c, i);
		char *name = u->channels[u->n_channels];

		if (gwpp_parse_name(c, json_object_array_get_idx(v, i), name)) {
			size_t j = gwpp_earlier_same(v, i);

			if (j < i)
				gwpp_diag(c, GW_E_PARSE, "duplicate channel (same as [%zu])", j);
			else
				u->n_channels++;
		}
		gwpp_path_pop(c, mark);
	}
}

void gwpp_parse_update(struct pctx *c, json_object *v, struct gwpol_update *u)
{
	static const char *const known[] = { "min_security_version", "end_of_support",
					     "channels", "boot_files_pcr" };
	json_object *x;
	size_t mark;

	if (!gwpp_want(c, v, json_type_object))
		return;
	gwpp_check_keys(c, v, known, GW_ARRAY_SIZE(known));
	if (gwpp_member(c, v, "min_security_version", false, &x)) {
		mark = gwpp_path_key(c, "min_security_version");
		u->has_min_security_version =
			gwpp_parse_u32(c, x, 0, UINT32_MAX, &u->min_security_version);
		gwpp_path_pop(c, mark);
	}
	if (gwpp_member(c, v, "end_of_support", false, &x)) {
		mark = gwpp_path_key(c, "end_of_support");
		if (gwpp_want(c, x, json_type_string)) {
			const char *s = json_object_get_string(x);
			size_t len = (size_t)json_object_get_string_len(x);

			if (parse_date(s, len, &u->support_ends)) {
				memcpy(u->end_of_support, s, len + 1);
				u->has_end_of_support = true;
			} else {
				gwpp_diag(c, GW_E_PARSE, "not a date (YYYY-MM-DD, a real day of 2000-9999)");
			}
		}
		gwpp_path_pop(c, mark);
	}
	if (gwpp_member(c, v, "channels", false, &x)) {
		mark = gwpp_path_key(c, "channels");
		parse_channels(c, x, u);
		gwpp_path_pop(c, mark);
	}
	if (gwpp_member(c, v, "boot_files_pcr", false, &x)) {
		uint32_t pcr = 0;

		mark = gwpp_path_key(c, "boot_files_pcr");
		u->has_boot_files_pcr = gwpp_parse_u32(c, x, 0, GW_NUM_PCRS - 1, &pcr);
		u->boot_files_pcr = pcr;
		gwpp_path_pop(c, mark);
	}
}

/* A list of distinct PCR numbers, as a bit set. The empty list is a policy's
 * way of saying "this log may extend no PCR". */
static bool parse_pcr_list(struct pctx *c, json_object *v, uint32_t *out)
{
	size_t n;

	*out = 0;
	if (!gwpp_want(c, v, json_type_array))
		return false;
	n = json_object_array_length(v);
	if (n > GW_NUM_PCRS) {
		gwpp_diag(c, GW_E_TOOBIG, "more than %d PCRs", GW_NUM_PCRS);
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		size_t mark = gwpp_path_idx(c, i);
		uint32_t pcr;

		if (gwpp_parse_u32(c, json_object_array_get_idx(v, i), 0, GW_NUM_PCRS - 1, &pcr)) {
			if (*out & (1u << pcr))
				gwpp_diag(c, GW_E_PARSE, "duplicate PCR %u", (unsigned)pcr);
			*out |= 1u << pcr;
		}
		gwpp_path_pop(c, mark);
	}
	return true;
}

void gwpp_parse_logs(struct pctx *c, json_object *v, struct gwpol_logs *l)
{
	static const char *const known[] = { "firmware", "cel" };
	json_object *x;
	size_t mark;

	if (!gwpp_want(c, v, json_type_object))
		return;
	gwpp_check_keys(c, v, known, GW_ARRAY_SIZE(known));
	if (json_object_object_length(v) == 0)
		gwpp_diag(c, GW_E_PARSE, LEAVE_OUT);
	if (gwpp_member(c, v, "firmware", false, &x)) {
		mark = gwpp_path_key(c, "firmware");
		l->has_firmware = parse_pcr_list(c, x, &l->firmware);
		gwpp_path_pop(c, mark);
	}
	if (gwpp_member(c, v, "cel", false, &x)) {
		mark = gwpp_path_key(c, "cel");
		l->has_cel = parse_pcr_list(c, x, &l->cel);
		gwpp_path_pop(c, mark);
	}
}
