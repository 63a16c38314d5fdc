// SPDX-License-Identifier: Apache-2.0
// The evidence's optional "counters" member: each update channel's counter and
// baseline certified with TPM2_NV_Certify (doc/evidence.md), read strictly.
#include <stdlib.h>
#include <string.h>

#include "counter_nv.h"
#include "evidence.h"
#include "jsonobj.h"
#include "util.h"

/* A marshalled TPMS_ATTEST of an NV_Certify is well under this; so is a public. */
#define NV_CERT_FIELD_MAX 2048

void evidence_counters_clear(struct evidence *ev)
{
	for (size_t i = 0; i < ev->ncounters; i++) {
		struct evidence_nv_cert *c[2] = { &ev->counters[i].counter,
						  &ev->counters[i].baseline };

		for (int k = 0; k < 2; k++) {
			free(c[k]->nv_public);
			free(c[k]->attest);
		}
	}
	memset(ev->counters, 0, sizeof(ev->counters));
	ev->ncounters = 0;
}

static int b64_member(json_object *o, const char *key, uint8_t **out, size_t *len,
		      gw_error *err)
{
	const char *s;
	size_t n;
	int rc = gw_json_get_string(o, key, NV_CERT_FIELD_MAX * 4 / 3 + 4, &s, &n, err);

	if (rc)
		return rc == GW_E_TOOBIG ? gw_fail(err, GW_E_TOOBIG, "'%s' too large", key) : rc;
	rc = gw_b64_decode(s, out, len, err);
	if (rc)
		gw_error_prefix(err, "'%s': ", key);
	return rc;
}

static int parse_cert(json_object *o, struct evidence_nv_cert *c, gw_error *err)
{
	static const char *const keys[] = { "nv_public", "attest", "signature" };
	uint8_t *sig = NULL;
	size_t sig_len = 0;
	int rc;

	if (!json_object_is_type(o, json_type_object))
		return gw_fail(err, GW_E_PARSE, "not an object");
	rc = gw_json_check_keys(o, keys, GW_ARRAY_SIZE(keys), err);
	if (!rc)
		rc = b64_member(o, "nv_public", &c->nv_public, &c->nv_public_len, err);
	if (!rc)
		rc = b64_member(o, "attest", &c->attest, &c->attest_len, err);
	if (!rc)
		rc = b64_member(o, "signature", &sig, &sig_len, err);
	if (!rc) {
		rc = tpmdata_signature_unmarshal(sig, sig_len, &c->sig, err);
		if (rc)
			gw_error_prefix(err, "'signature': ");
	}
	free(sig);
	return rc;
}

static int parse_one(json_object *e, struct evidence_counter *c, gw_error *err)
{
	static const char *const keys[] = { "counter", "baseline" };
	json_object *v;
	int rc;

	if (!json_object_is_type(e, json_type_object))
		return gw_fail(err, GW_E_PARSE, "not an object");
	rc = gw_json_check_keys(e, keys, GW_ARRAY_SIZE(keys), err);
	if (rc)
		return rc;
	for (int k = 0; k < 2; k++) {
		if (!json_object_object_get_ex(e, keys[k], &v))
			return gw_fail(err, GW_E_PARSE, "'%s' is missing", keys[k]);
		rc = parse_cert(v, k ? &c->baseline : &c->counter, err);
		if (rc) {
			gw_error_prefix(err, "'%s': ", keys[k]);
			return rc;
		}
	}
	return 0;
}

int evidence_counters_parse(json_object *root, struct evidence *ev, gw_error *err)
{
	json_object *arr;
	size_t n;
	int rc = 0;

	if (!json_object_object_get_ex(root, "counters", &arr))
		return 0;
	if (!json_object_is_type(arr, json_type_array))
		return gw_fail(err, GW_E_PARSE, "evidence: 'counters' must be an array");
	n = json_object_array_length(arr);
	if (n > EVIDENCE_MAX_COUNTERS)
		return gw_fail(err, GW_E_TOOBIG, "evidence: %zu counters, at most %d", n,
			       EVIDENCE_MAX_COUNTERS);
	for (size_t i = 0; i < n && !rc; i++) {
		/* counted first so that a failure frees what this entry took */
		ev->ncounters++;
		rc = parse_one(json_object_array_get_idx(arr, i), &ev->counters[i], err);
		if (rc)
			gw_error_prefix(err, "evidence: counter %zu: ", i + 1);
	}
	if (rc)
		evidence_counters_clear(ev);
	return rc;
}

static json_object *format_cert(const struct evidence_nv_cert *c)
{
	json_object *o = json_object_new_object();
	uint8_t *sig = NULL;
	size_t sig_len = 0;

	if (!o || gw_json_add_b64(o, "nv_public", c->nv_public, c->nv_public_len) ||
	    gw_json_add_b64(o, "attest", c->attest, c->attest_len) ||
	    tpmdata_signature_marshal(&c->sig, &sig, &sig_len) ||
	    gw_json_add_b64(o, "signature", sig, sig_len)) {
		free(sig);
		json_object_put(o);
		return NULL;
	}
	free(sig);
	return o;
}

int evidence_counters_format(json_object *o, const struct evidence *ev)
{
	json_object *arr;

	if (!ev->ncounters)
		return 0;
	arr = json_object_new_array();
	if (!arr)
		return GW_E_NOMEM;
	for (size_t i = 0; i < ev->ncounters; i++) {
		json_object *e = json_object_new_object();
		json_object *c = format_cert(&ev->counters[i].counter);
		json_object *b = format_cert(&ev->counters[i].baseline);
		bool bad = !e || !c || !b;

		if (!bad) {
			bad = json_object_object_add(e, "counter", c) != 0;
			c = bad ? c : NULL; /* transferred */
		}
		if (!bad) {
			bad = json_object_object_add(e, "baseline", b) != 0;
			b = bad ? b : NULL;
		}
		if (!bad) {
			bad = json_object_array_add(arr, e) != 0;
			e = bad ? e : NULL;
		}
		json_object_put(c);
		json_object_put(b);
		json_object_put(e);
		if (bad) {
			json_object_put(arr);
			return GW_E_NOMEM;
		}
	}
	if (json_object_object_add(o, "counters", arr)) {
		json_object_put(arr);
		return GW_E_NOMEM;
	}
	return 0;
}

int evidence_counters_verify(const struct evidence *ev, EVP_PKEY *ak, const uint8_t *nonce,
			     size_t nonce_len, struct counter_certified *out, gw_error *err)
{
	for (size_t i = 0; i < ev->ncounters; i++) {
		const struct evidence_nv_cert *c = &ev->counters[i].counter;
		const struct evidence_nv_cert *b = &ev->counters[i].baseline;
		const struct counter_cert_part cp = { c->nv_public, c->nv_public_len, c->attest,
						      c->attest_len, &c->sig };
		const struct counter_cert_part bp = { b->nv_public, b->nv_public_len, b->attest,
						      b->attest_len, &b->sig };
		int rc = counter_cert_verify(ak, nonce, nonce_len, &cp, &bp, &out[i], err);

		if (rc) {
			gw_error_prefix(err, "counter %zu: ", i + 1);
			return rc;
		}
		for (size_t j = 0; j < i; j++)
			if (!strcmp(out[j].channel, out[i].channel) ||
			    out[j].counter_index == out[i].counter_index ||
			    out[j].baseline_index == out[i].baseline_index)
				return gw_fail(err, GW_E_STATE,
					       "counter %zu: channel '%s' or its indices certified "
					       "twice", i + 1, out[i].channel);
	}
	return 0;
}
