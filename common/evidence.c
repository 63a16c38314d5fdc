// SPDX-License-Identifier: Apache-2.0
// Evidence JSON: parse strictly, serialize with json-c.
#include "evidence.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "digest.h"
#include "jsonobj.h"
#include "util.h"

#define JSON_MAX_DEPTH 6

void evidence_free(struct evidence *ev)
{
	if (!ev)
		return;
	free(ev->attest);
	free(ev->cel);
	free(ev->fwlog);
	evidence_counters_clear(ev);
	free(ev);
}

static const char *get_string(json_object *root, const char *key, bool required, int *rc,
			      gw_error *err)
{
	json_object *o;

	if (*rc)
		return NULL;
	if (!json_object_object_get_ex(root, key, &o)) {
		if (required)
			*rc = gw_fail(err, GW_E_PARSE, "evidence: '%s' is missing", key);
		return NULL;
	}
	if (!json_object_is_type(o, json_type_string)) {
		*rc = gw_fail(err, GW_E_PARSE, "evidence: '%s' must be a string", key);
		return NULL;
	}
	/* A \u0000 escape would cut the C string short of what the JSON says. */
	if (strlen(json_object_get_string(o)) != (size_t)json_object_get_string_len(o)) {
		*rc = gw_fail(err, GW_E_PARSE, "evidence: '%s' contains a NUL character", key);
		return NULL;
	}
	return json_object_get_string(o);
}

static int b64_field(json_object *root, const char *key, bool required, size_t cap,
		     uint8_t **out, size_t *out_len, gw_error *err)
{
	int rc = 0;
	const char *s = get_string(root, key, required, &rc, err);

	if (rc || !s)
		return rc;
	if (strlen(s) / 4 * 3 > cap + 3)
		return gw_fail(err, GW_E_TOOBIG, "evidence: '%s' larger than %zu bytes", key, cap);
	rc = gw_b64_decode(s, out, out_len, err);
	if (rc)
		gw_error_prefix(err, "evidence: '%s': ", key);
	else if (*out_len > cap) {
		free(*out);
		*out = NULL;
		rc = gw_fail(err, GW_E_TOOBIG, "evidence: '%s' larger than %zu bytes", key, cap);
	}
	return rc;
}

static int parse_pcrs(json_object *root, struct evidence *ev, gw_error *err)
{
	json_object *pcrs, *bank_o, *v;
	const char *sel_s;
	int rc = 0;

	sel_s = get_string(root, "pcr_selection", true, &rc, err);
	if (rc)
		return rc;
	rc = gw_pcrsel_parse(sel_s, &ev->pcrs.sel, err);
	if (rc) {
		gw_error_prefix(err, "evidence: 'pcr_selection': ");
		return rc;
	}
	if (!json_object_object_get_ex(root, "pcrs", &pcrs) ||
	    !json_object_is_type(pcrs, json_type_object))
		return gw_fail(err, GW_E_PARSE, "evidence: 'pcrs' must be an object");
	/* Every bank and PCR of the selection, and nothing else. */
	if ((size_t)json_object_object_length(pcrs) != ev->pcrs.sel.count)
		return gw_fail(err, GW_E_PARSE, "evidence: 'pcrs' banks differ from pcr_selection");
	for (size_t b = 0; b < ev->pcrs.sel.count; b++) {
		const TPMS_PCR_SELECTION *s = &ev->pcrs.sel.pcrSelections[b];
		const struct gw_alg *a = gw_alg_by_id(s->hash);
		struct gw_pcr_bank *bank = gw_pcr_set_bank(&ev->pcrs.values, s->hash);
		size_t want = 0;

		if (!a || !bank)
			return GW_E_PARSE;
		if (!json_object_object_get_ex(pcrs, a->name, &bank_o) ||
		    !json_object_is_type(bank_o, json_type_object))
			return gw_fail(err, GW_E_PARSE, "evidence: 'pcrs.%s' missing", a->name);
		for (unsigned p = 0; p < GW_NUM_PCRS; p++) {
			char key[4];

			if (!gw_pcrsel_has(s, p))
				continue;
			want++;
			snprintf(key, sizeof(key), "%u", p);
			if (!json_object_object_get_ex(bank_o, key, &v) ||
			    !json_object_is_type(v, json_type_string))
				return gw_fail(err, GW_E_PARSE, "evidence: 'pcrs.%s.%s' missing",
					       a->name, key);
			rc = gw_hex_decode_fixed(json_object_get_string(v), bank->pcr[p], a->size,
						 err);
			if (rc) {
				gw_error_prefix(err, "evidence: 'pcrs.%s.%s': ", a->name, key);
				return rc;
			}
			bank->touched |= 1u << p;
		}
		if ((size_t)json_object_object_length(bank_o) != want)
			return gw_fail(err, GW_E_PARSE,
				       "evidence: 'pcrs.%s' has PCRs outside pcr_selection", a->name);
	}
	return 0;
}

/* Optional; only meaningful with a cel_log to continue. */
static int parse_cel_offset(json_object *root, struct evidence *ev, gw_error *err)
{
	json_object *o;
	int64_t n;

	if (!json_object_object_get_ex(root, "cel_offset", &o))
		return 0;
	/* 1.0 is a double to json-c; a number past INT64_MAX reads as INT64_MAX. */
	if (!json_object_is_type(o, json_type_int))
		return gw_fail(err, GW_E_PARSE, "evidence: 'cel_offset' must be an integer");
	n = json_object_get_int64(o);
	if (n < 0 || n > (int64_t)EVIDENCE_MAX_CEL_OFFSET)
		return gw_fail(err, GW_E_PARSE, "evidence: 'cel_offset' must be 0 to %u",
			       EVIDENCE_MAX_CEL_OFFSET);
	if (!ev->cel)
		return gw_fail(err, GW_E_PARSE, "evidence: 'cel_offset' without 'cel_log'");
	ev->cel_offset = (uint32_t)n;
	return 0;
}

int evidence_parse(const uint8_t *buf, size_t len, struct evidence **out, gw_error *err)
{
	static const char *const known[] = {
		"format", "nonce", "attest", "signature", "pcr_selection", "pcrs",
		"ak_public", "cel_log", "cel_offset", "firmware_log", "counters",
		"update_request",
	};
	json_object *root = NULL;
	struct evidence *ev = NULL;
	const char *s;
	uint8_t *bin = NULL;
	size_t bin_len = 0;
	int rc = 0;

	ev = calloc(1, sizeof(*ev));
	if (!ev)
		return GW_E_NOMEM;
	rc = gw_json_object_parse(buf, len, EVIDENCE_MAX_SIZE, JSON_MAX_DEPTH, "evidence", &root,
				  err);
	if (rc)
		goto out;
	json_object_object_foreach(root, key, val) {
		bool ok = false;

		(void)val;
		for (size_t i = 0; i < GW_ARRAY_SIZE(known); i++)
			ok |= !strcmp(key, known[i]);
		if (!ok) {
			rc = gw_fail(err, GW_E_PARSE, "evidence: unknown key '%.64s'", key);
			goto out;
		}
	}
	s = get_string(root, "format", true, &rc, err);
	if (rc)
		goto out;
	if (strcmp(s, EVIDENCE_FORMAT)) {
		rc = gw_fail(err, GW_E_UNSUPPORTED, "evidence: format '%.64s' is not %s", s,
			     EVIDENCE_FORMAT);
		goto out;
	}
	s = get_string(root, "nonce", true, &rc, err);
	if (rc)
		goto out;
	rc = gw_hex_decode(s, &bin, &bin_len, err);
	if (!rc && bin_len > sizeof(ev->nonce))
		rc = gw_fail(err, GW_E_TOOBIG, "nonce longer than %zu bytes", sizeof(ev->nonce));
	if (rc) {
		gw_error_prefix(err, "evidence: 'nonce': ");
		goto out;
	}
	memcpy(ev->nonce, bin, bin_len);
	ev->nonce_len = bin_len;
	free(bin);
	bin = NULL;

	rc = b64_field(root, "attest", true, sizeof(TPMS_ATTEST) * 2, &ev->attest,
		       &ev->attest_len, err);
	if (rc)
		goto out;
	rc = b64_field(root, "signature", true, sizeof(TPMT_SIGNATURE) * 2, &bin, &bin_len, err);
	if (rc)
		goto out;
	rc = tpmdata_signature_unmarshal(bin, bin_len, &ev->sig, err);
	free(bin);
	bin = NULL;
	if (rc) {
		gw_error_prefix(err, "evidence: 'signature': ");
		goto out;
	}
	rc = parse_pcrs(root, ev, err);
	if (rc)
		goto out;
	rc = b64_field(root, "ak_public", false, sizeof(TPM2B_PUBLIC) * 2, &bin, &bin_len, err);
	if (rc)
		goto out;
	if (bin) {
		rc = tpmdata_public_unmarshal(bin, bin_len, &ev->ak_pub, err);
		free(bin);
		bin = NULL;
		if (rc) {
			gw_error_prefix(err, "evidence: 'ak_public': ");
			goto out;
		}
		ev->has_ak = true;
	}
	rc = b64_field(root, "cel_log", false, EVIDENCE_MAX_LOG, &ev->cel, &ev->cel_len, err);
	if (rc)
		goto out;
	rc = parse_cel_offset(root, ev, err);
	if (rc)
		goto out;
	rc = b64_field(root, "firmware_log", false, EVIDENCE_MAX_LOG, &ev->fwlog, &ev->fwlog_len,
		       err);
	if (rc)
		goto out;
	rc = evidence_counters_parse(root, ev, err);
	if (rc)
		goto out;
	rc = evidence_update_request_parse(root, ev, err);
	if (rc)
		goto out;
	*out = ev; /* transferred */
	ev = NULL;
out:
	free(bin);
	evidence_free(ev);
	json_object_put(root);
	return rc;
}

static int add_b64(json_object *o, const char *key, const uint8_t *data, size_t len)
{
	char *s = NULL;
	int rc = gw_b64_encode(data, len, &s);

	if (rc)
		return rc;
	json_object_object_add(o, key, json_object_new_string(s));
	free(s);
	return 0;
}

int evidence_format(const struct evidence *ev, char **out)
{
	json_object *o = json_object_new_object(), *pcrs = json_object_new_object();
	char sel[512], hex[2 * GW_MAX_DIGEST + 1];
	uint8_t *bin = NULL;
	size_t bin_len = 0;
	char *nonce = NULL;
	int rc;

	if (!o || !pcrs) {
		rc = GW_E_NOMEM;
		goto out;
	}
	json_object_object_add(o, "format", json_object_new_string(EVIDENCE_FORMAT));
	nonce = malloc(2 * ev->nonce_len + 1);
	if (!nonce) {
		rc = GW_E_NOMEM;
		goto out;
	}
	gw_hex_encode(ev->nonce, ev->nonce_len, nonce);
	json_object_object_add(o, "nonce", json_object_new_string(nonce));
	if ((rc = add_b64(o, "attest", ev->attest, ev->attest_len)))
		goto out;
	if ((rc = tpmdata_signature_marshal(&ev->sig, &bin, &bin_len)) ||
	    (rc = add_b64(o, "signature", bin, bin_len)))
		goto out;
	free(bin);
	bin = NULL;
	if ((rc = gw_pcrsel_format(&ev->pcrs.sel, sel, sizeof(sel))))
		goto out;
	json_object_object_add(o, "pcr_selection", json_object_new_string(sel));
	for (size_t b = 0; b < ev->pcrs.sel.count; b++) {
		const TPMS_PCR_SELECTION *s = &ev->pcrs.sel.pcrSelections[b];
		const struct gw_pcr_bank *bank = gw_pcr_set_find(&ev->pcrs.values, s->hash);
		json_object *bo = json_object_new_object();

		if (!bank || !bo) {
			json_object_put(bo);
			rc = GW_E_INVAL;
			goto out;
		}
		for (unsigned p = 0; p < GW_NUM_PCRS; p++) {
			char key[4];

			if (!gw_pcrsel_has(s, p))
				continue;
			snprintf(key, sizeof(key), "%u", p);
			gw_hex_encode(bank->pcr[p], bank->size, hex);
			json_object_object_add(bo, key, json_object_new_string(hex));
		}
		json_object_object_add(pcrs, gw_alg_by_id(s->hash)->name, bo);
	}
	json_object_object_add(o, "pcrs", pcrs);
	pcrs = NULL;
	if (ev->has_ak) {
		if ((rc = tpmdata_public_marshal(&ev->ak_pub, &bin, &bin_len)) ||
		    (rc = add_b64(o, "ak_public", bin, bin_len)))
			goto out;
	}
	if (ev->cel_offset && (!ev->cel || ev->cel_offset > EVIDENCE_MAX_CEL_OFFSET)) {
		rc = GW_E_INVAL;
		goto out;
	}
	if (ev->cel && (rc = add_b64(o, "cel_log", ev->cel, ev->cel_len)))
		goto out;
	if (ev->cel_offset)
		json_object_object_add(o, "cel_offset", json_object_new_int64(ev->cel_offset));
	if (ev->fwlog && (rc = add_b64(o, "firmware_log", ev->fwlog, ev->fwlog_len)))
		goto out;
	if ((rc = evidence_counters_format(o, ev)) ||
	    (rc = evidence_update_request_format(o, ev)))
		goto out;
	*out = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
								JSON_C_TO_STRING_NOSLASHESCAPE));
	rc = *out ? 0 : GW_E_NOMEM;
out:
	free(bin);
	free(nonce);
	json_object_put(pcrs);
	json_object_put(o);
	return rc;
}
