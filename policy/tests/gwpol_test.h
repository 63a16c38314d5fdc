/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers the policy evaluator's tests share: real logs from testdata/, drafts,
 * evaluation, findings, CEL logs from a table. Header-only (static inline) so
 * that each test binary links alone. */
#ifndef GW_TEST_GWPOL_H
#define GW_TEST_GWPOL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "gwpol.h"
#include "gwpol_draft.h"
#include "gwpol_event.h"
#include "util.h"

#define READ_CAP (32u * 1024 * 1024)
#define ALL_PCRS 0x00ffffffu
#define NOW 1795000000 /* 2026-11-18 */

/* The real firmware logs committed in testdata/ (see its README for their origin). */
static inline const char *testdata_dir(void)
{
	return "testdata/eventlogs";
}

static inline struct eventlog *load_log(const char *name)
{
	char path[1024];
	struct eventlog *log = NULL;
	gw_error err = { { 0 } };
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	assert_int_equal(gw_snprintf(path, sizeof(path), "%s/%s", testdata_dir(), name), 0);
	rc = gw_read_file(path, READ_CAP, &buf, &len, &err);
	if (!rc)
		rc = eventlog_parse(buf, len, &log, &err);
	free(buf);
	if (rc)
		fail_msg("%s: %s", name, gw_error_msg(&err, rc));
	return log;
}

static inline json_object *draft_json(const struct gwpol_draft_input *in)
{
	json_object *o = NULL;
	gw_error err = { { 0 } };
	int rc = gwpol_draft(in, &o, &err);

	if (rc)
		fail_msg("draft: %s", gw_error_msg(&err, rc));
	return o;
}

static inline struct gwpol *parse_obj(json_object *o)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	struct gwpol *p = NULL;
	struct gwpol_diags *d = calloc(1, sizeof(*d));
	gw_error err = { { 0 } };
	int rc;

	assert_non_null(d);
	rc = gwpol_parse(s, strlen(s), &p, d, &err);
	if (rc)
		fail_msg("the draft does not parse: %s (%zu diags)", gw_error_msg(&err, rc), d->n);
	free(d);
	return p;
}

static inline struct gwpol *draft_policy(const struct eventlog *log, bool allowed)
{
	struct gwpol_draft_input in = { .model = "gw-test", .fwlog = log, .allowed = allowed };
	json_object *o = draft_json(&in);
	struct gwpol *p = parse_obj(o);

	json_object_put(o);
	return p;
}

static inline struct gwpol_report *evaluate(const struct gwpol *p, const struct eventlog *log,
				     const struct cel_log *cel, uint32_t fw_quoted, int64_t now)
{
	struct gwpol_report *r = malloc(sizeof(*r));
	struct gwpol_evidence ev = { .fwlog = log, .fw_quoted = fw_quoted, .cel = cel,
				     .cel_quoted = ALL_PCRS, .now = now };

	assert_non_null(r);
	gwpol_report_init(r);
	assert_int_equal(gwpol_evaluate(p, &ev, r), 0);
	return r;
}

static inline void dump(const char *what, const struct gwpol_report *r)
{
	for (size_t i = 0; i < r->n; i++)
		fprintf(stderr, "%s: [%s] %s: %s\n", what, gwpol_claim_name(r->f[i].claim),
			r->f[i].rule, r->f[i].msg);
}

static inline bool has_finding(const struct gwpol_report *r, const char *rule_prefix,
			const char *msg_part)
{
	for (size_t i = 0; i < r->n; i++)
		if (!strncmp(r->f[i].rule, rule_prefix, strlen(rule_prefix)) &&
		    (!msg_part || strstr(r->f[i].msg, msg_part)))
			return true;
	return false;
}

/* Edit a draft's JSON before parsing it. */
static inline json_object *fw_of(json_object *o)
{
	json_object *fw = NULL;

	assert_true(json_object_object_get_ex(o, "firmware", &fw));
	return fw;
}

/* A CEL log of records given as {pcr, eventType, stage, path, string, digest byte}. */
struct rec_spec {
	uint32_t pcr;
	const char *type, *stage, *path, *string;
	uint8_t fill;
};

static inline struct cel_log *cel_of(const struct rec_spec *spec, size_t n)
{
	static const uint16_t alg = TPM2_ALG_SHA256;
	uint8_t d[1][GW_MAX_DIGEST];
	char *buf = NULL, *rec;
	size_t len = 0, rlen;
	struct cel_log *cel = NULL;
	gw_error err = { { 0 } };

	for (size_t i = 0; i < n; i++) {
		memset(d[0], spec[i].fill, 32);
		assert_int_equal(cel_record_format(i, spec[i].pcr, &alg,
						   (const uint8_t (*)[GW_MAX_DIGEST])d, 1,
						   spec[i].type, spec[i].stage, spec[i].path,
						   spec[i].string, &rec, &rlen), 0);
		buf = realloc(buf, len + rlen);
		assert_non_null(buf);
		memcpy(buf + len, rec, rlen);
		len += rlen;
		free(rec);
	}
	assert_int_equal(cel_parse((const uint8_t *)buf, len, &cel, &err), 0);
	free(buf);
	return cel;
}

static inline struct gwpol *parse_text(const char *s)
{
	struct gwpol *p = NULL;
	gw_error err = { { 0 } };
	int rc = gwpol_parse(s, strlen(s), &p, NULL, &err);

	if (rc)
		fail_msg("%s", gw_error_msg(&err, rc));
	return p;
}

#endif
