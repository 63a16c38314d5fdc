// SPDX-License-Identifier: Apache-2.0
// The evidence of issue 9 against the evaluator, without a TPM: events moved
// between the firmware and CEL logs, shim's PCR 14 next to the trust records, a
// kernel digest extended after boot with the ExitBootServices events moved behind
// it, a relabelled SecureBoot event next to a forged one, a required event
// that names only a type; and from the review: a Secure Boot variable's real
// measurement with its data edited next to a forged one on a PCR 7 allowed list,
// and required events extended after boot on a PCR with an allowed list.
#include "gwpol_test.h"

#define D1 "1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "2222222222222222222222222222222222222222222222222222222222222222"
#define D3 "3333333333333333333333333333333333333333333333333333333333333333"
/* Append an event to log: its digests in every bank of the log are the hashes of
 * data (static, outliving the log), or, with fill, that byte repeated. */
static struct eventlog_event *append_event(struct eventlog *log, uint32_t pcr, uint32_t type,
					   const uint8_t *data, uint32_t len, int fill)
{
	struct eventlog_event *ev = realloc(log->events, (log->nevents + 1) * sizeof(*ev));
	struct eventlog_event *e;

	assert_non_null(ev);
	log->events = ev;
	e = &ev[log->nevents];
	memset(e, 0, sizeof(*e));
	e->num = (uint32_t)log->nevents++;
	e->pcr = pcr;
	e->type = type;
	e->data = data;
	e->data_len = len;
	e->ndigests = log->nalgs;
	for (size_t i = 0; i < log->nalgs; i++) {
		const struct gw_alg *a = gw_alg_by_id(log->algs[i]);

		e->digests[i].alg = log->algs[i];
		if (fill >= 0)
			memset(e->digests[i].d, fill, GW_MAX_DIGEST);
		else
			assert_int_equal(gw_hash(a->id, data, len, e->digests[i].d), 0);
	}
	return e;
}

/* The golden draft of a log, with the gate key of recs[0] (0x33...) and stage a. */
static json_object *golden_draft(const struct eventlog *log)
{
	struct gwpol_draft_stage st = { .name = "a" };
	struct gwpol_draft_input in = { .model = "gw-test", .fwlog = log, .stages = &st,
					.n_stages = 1, .has_gate_key = true };

	memset(st.sha256, 0x11, 32);
	memset(in.gate_key, 0x33, 32);
	return draft_json(&in);
}

/* Make PCR pcr's firmware rule in the draft o "unchecked". */
static void set_unchecked(json_object *o, const char *pcr)
{
	json_object *rule = json_object_new_object();

	json_object_object_add(rule, "unchecked", json_object_new_boolean(1));
	json_object_object_add(json_object_object_get(fw_of(o), "pcrs"), pcr, rule);
}

static const struct rec_spec agent_recs[] = {
	{ 14, "trust", NULL, NULL, "verifier gate key sha256:33", 0x33 },
	{ 13, "stage", "a", "/a", NULL, 0x11 },
};

/* Item 1: events moved between the firmware log and the CEL log. */
static void test_moved_between_logs(void **state)
{
	static const struct rec_spec moved[] = {
		{ 14, "trust", NULL, NULL, "verifier gate key sha256:33", 0x33 },
		{ 13, "stage", "a", "/a", NULL, 0x11 },
		{ 4, "boot-app", NULL, NULL, NULL, 0x66 },
		{ 8, "grub-cmd", NULL, NULL, NULL, 0x77 },
	};
	struct eventlog *log = load_log("tpm2-tools-event-bootorder.bin");
	struct cel_log *cel = cel_of(agent_recs, 2), *cel_moved = cel_of(moved, 4);
	json_object *o = golden_draft(log);
	struct gwpol *p = parse_obj(o), *stages;
	struct gwpol_report *r;

	(void)state;
	r = evaluate(p, log, cel, ALL_PCRS, NOW);
	if (r->n)
		dump("golden", r);
	assert_int_equal(r->n, 0);
	free(r);
	/* An EFI application (PCR 4) and a grub command (PCR 8) sent as CEL records. */
	r = evaluate(p, log, cel_moved, ALL_PCRS, NOW);
	assert_string_equal(gwpol_report_status(r), "contraindicated");
	assert_true(has_finding(r, "$.logs.cel", "PCR 4: 1 event(s) from the CEL log (the first: "
						 "CEL record 2 (boot-app), sha256 6666"));
	assert_true(has_finding(r, "$.logs.cel", "PCR 8: 1 event(s)"));
	assert_true(has_finding(r, "$.logs.cel", "does not let the CEL log extend PCR 4"));
	assert_true(has_finding(r, "$.logs.cel", "does not let the CEL log extend PCR 8"));
	free(r);
	/* A stages-only policy, a stage record moved into the firmware log. */
	stages = parse_text("{\"model\":\"m\",\"version\":1,\"stages\":{\"a\":[\"" D1 "\"]}}");
	append_event(log, 13, EV_IPL, NULL, 0, 0x22);
	r = evaluate(stages, log, cel, ALL_PCRS, NOW);
	assert_string_equal(gwpol_report_status(r), "contraindicated");
	assert_true(has_finding(r, "$.logs.firmware", "PCR 13: 1 event(s) from the firmware log"));
	free(r);
	gwpol_free(stages);
	/* Let the firmware log extend 13: then no rule judges it there. */
	stages = parse_text("{\"model\":\"m\",\"version\":1,\"logs\":{\"firmware\":[0,1,2,3,4,5,6,"
			    "7,8,9,13]},\"stages\":{\"a\":[\"" D1 "\"]}}");
	r = evaluate(stages, log, cel, ALL_PCRS, NOW);
	assert_true(has_finding(r, "$.firmware.pcrs", "no rule judges them"));
	free(r);
	gwpol_free(stages);
	gwpol_free(p);
	json_object_put(o);
	cel_free(cel);
	cel_free(cel_moved);
	eventlog_free(log);
}

/* shim measures its MokList into PCR 14 next to the agent's trust records: both
 * judged, each by the rule of its log, and neither can pass as the other. */
static void test_shim_pcr14(void **state)
{
	struct eventlog *log = load_log("tpm2-tools-event-moklisttrusted.bin");
	struct cel_log *cel = cel_of(agent_recs, 2);
	json_object *o = golden_draft(log);
	struct gwpol *p = parse_obj(o);
	struct gwpol_report *r;

	(void)state;
	assert_non_null(gwpol_fw_rule(&p->fw, 14));
	assert_true(p->logs.firmware & p->logs.cel & (1u << 14));
	r = evaluate(p, log, cel, ALL_PCRS, NOW);
	if (r->n)
		dump("shim", r);
	assert_int_equal(r->n, 0);
	free(r);
	/* The gate key's record sent as a firmware event on PCR 14. */
	append_event(log, 14, EV_IPL, NULL, 0, 0x33);
	r = evaluate(p, log, NULL, ALL_PCRS, NOW);
	assert_true(has_finding(r, "$.firmware.pcrs.14.sequence", "is extra"));
	free(r);
	gwpol_free(p);
	/* With PCR 14 unchecked for the firmware log, that event would be judged by
	 * nothing: a finding, whatever the trust rules see. */
	set_unchecked(o, "14");
	p = parse_obj(o);
	r = evaluate(p, log, cel, ALL_PCRS, NOW);
	assert_true(has_finding(r, "$.firmware.pcrs", "PCR 14: 4 event(s) from the firmware log"));
	assert_true(has_finding(r, "$.firmware.pcrs", "trust rules need every event there judged"));
	free(r);
	gwpol_free(p);
	json_object_put(o);
	cel_free(cel);
	eventlog_free(log);
}

/* Item 2: the kernel rule passed by extending the allowed kernel after boot and
 * moving the ExitBootServices events behind it, with PCR 4 unchecked. */
static void test_kernel_late_extend(void **state)
{
	struct eventlog *log = load_log("tpm2-tools-event-bootorder.bin");
	json_object *o = golden_draft(log);
	struct gwpol *p;
	struct gwpol_report *r;
	struct eventlog_event *kernel = NULL, good, ebs[2];
	size_t n = 0;

	(void)state;
	for (size_t i = 0; i < log->nevents; i++)
		if (log->events[i].pcr == 4 && log->events[i].type == EV_EFI_BOOT_SERVICES_APPLICATION)
			kernel = &log->events[i];
	assert_non_null(kernel);
	good = *kernel;
	for (size_t i = 0; i < kernel->ndigests; i++) /* a kernel nobody allowed */
		memset(kernel->digests[i].d, 0x5a, sizeof(kernel->digests[i].d));
	for (size_t i = 0; i < log->nevents; i++) {
		struct eventlog_event *e = &log->events[i];

		if (e->pcr == 5 && e->type == EV_EFI_ACTION && n < 2) {
			ebs[n++] = *e;
			memmove(e, e + 1, (log->nevents - i - 1) * sizeof(*e));
			log->nevents--;
			i--;
		}
	}
	assert_int_equal(n, 2);
	*append_event(log, 4, 0, NULL, 0, 0) = good;
	*append_event(log, 5, 0, NULL, 0, 0) = ebs[0];
	*append_event(log, 5, 0, NULL, 0, 0) = ebs[1];
	/* PCR 4 judged by its sequence: the late extend is extra, the kernel wrong. */
	p = parse_obj(o);
	r = evaluate(p, log, NULL, ALL_PCRS, NOW);
	assert_true(has_finding(r, "$.firmware.pcrs.4.sequence", "5a5a5a5a"));
	{
		char extra[64];

		snprintf(extra, sizeof(extra), "PCR 4 event %u (EV_EFI_BOOT_SERVICES_APPLICATION",
			 log->events[log->nevents - 3].num);
		assert_true(has_finding(r, "$.firmware.pcrs.4.sequence", extra));
		assert_true(has_finding(r, "$.firmware.pcrs.4.sequence", "is extra"));
	}
	gwpol_free(p);
	free(r);
	/* PCR 4 unchecked: the kernel rule cannot be decided, and says so. */
	set_unchecked(o, "4");
	p = parse_obj(o);
	assert_true(p->fw.has_kernel);
	r = evaluate(p, log, NULL, ALL_PCRS, NOW);
	assert_string_equal(gwpol_report_status(r), "contraindicated");
	assert_true(has_finding(r, "$.firmware.kernel", "PCR 4 is \"unchecked\""));
	free(r);
	gwpol_free(p);
	json_object_put(o);
	eventlog_free(log);
}

/* Item 2: Secure Boot off; root extends PCR 7 with SecureBoot=1 and the real
 * SecureBoot event is relabelled EV_EFI_VARIABLE_BOOT. */
static void test_secure_boot_relabelled(void **state)
{
	static const uint8_t sb_on[] = {
		0x61, 0xdf, 0xe4, 0x8b, 0xca, 0x93, 0xd2, 0x11, 0xaa, 0x0d, 0x00, 0xe0, 0x98, 0x03,
		0x2b, 0x8c, 10, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0,
		'S', 0, 'e', 0, 'c', 0, 'u', 0, 'r', 0, 'e', 0, 'B', 0, 'o', 0, 'o', 0, 't', 0, 1
	};
	struct eventlog *log = load_log("tpm2-tools-event-bootorder.bin");
	json_object *o = golden_draft(log), *sb;
	struct gwpol *p;
	struct gwpol_report *r;
	bool relabelled = false;

	(void)state;
	for (size_t i = 0; i < log->nevents && !relabelled; i++) {
		struct eventlog_event *e = &log->events[i];

		if (e->pcr == 7 && e->type == EV_EFI_VARIABLE_DRIVER_CONFIG) {
			e->type = EV_EFI_VARIABLE_BOOT;
			relabelled = true;
		}
	}
	assert_true(relabelled);
	append_event(log, 7, EV_EFI_VARIABLE_DRIVER_CONFIG, sb_on, sizeof(sb_on), -1);
	sb = json_object_new_object();
	json_object_object_add(sb, "enabled", json_object_new_boolean(1));
	json_object_object_add(fw_of(o), "secure_boot", sb);
	/* PCR 7 judged by its sequence: both the relabelling and the extra event show. */
	p = parse_obj(o);
	r = evaluate(p, log, NULL, ALL_PCRS, NOW);
	assert_true(has_finding(r, "$.firmware.pcrs.7.sequence", "type EV_EFI_VARIABLE_BOOT"));
	assert_true(has_finding(r, "$.firmware.pcrs.7.sequence", "is extra"));
	/* The SecureBoot variable is found by its data, whatever the label: twice. */
	assert_true(has_finding(r, "$.firmware.secure_boot.enabled", "measured 2 times"));
	free(r);
	gwpol_free(p);
	/* PCR 7 unchecked: the Secure Boot state cannot be decided, and says so. */
	set_unchecked(o, "7");
	p = parse_obj(o);
	r = evaluate(p, log, NULL, ALL_PCRS, NOW);
	assert_string_equal(gwpol_report_status(r), "contraindicated");
	assert_true(has_finding(r, "$.firmware.secure_boot", "PCR 7 is \"unchecked\""));
	free(r);
	gwpol_free(p);
	json_object_put(o);
	eventlog_free(log);
}

/* A required event named by its type alone: any event relabelled with that type
 * would pass, so it is a finding rather than a match. */
static void test_required_type_only(void **state)
{
	struct eventlog *log = load_log("tpm2-tools-event-bootorder.bin");
	json_object *o = golden_draft(log), *req, *q;
	struct gwpol *p;
	struct gwpol_report *r;

	(void)state;
	assert_true(json_object_object_get_ex(fw_of(o), "required_events", &req));
	q = json_object_new_object();
	json_object_object_add(q, "type", json_object_new_string("EV_SEPARATOR"));
	json_object_array_add(req, q);
	p = parse_obj(o);
	r = evaluate(p, log, NULL, ALL_PCRS, NOW);
	assert_true(has_finding(r, "$.firmware.required_events[", "neither text nor data"));
	assert_string_equal(gwpol_report_status(r), "contraindicated");
	free(r);
	gwpol_free(p);
	json_object_put(o);
	eventlog_free(log);
}

/* SecureBoot = 1, as firmware measures it (UEFI_VARIABLE_DATA). */
static const uint8_t sb_on[] = {
	0x61, 0xdf, 0xe4, 0x8b, 0xca, 0x93, 0xd2, 0x11, 0xaa, 0x0d, 0x00, 0xe0, 0x98, 0x03,
	0x2b, 0x8c, 10, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0,
	'S', 0, 'e', 0, 'c', 0, 'u', 0, 'r', 0, 'e', 0, 'B', 0, 'o', 0, 'o', 0, 't', 0, 1
};
/* A dbx the fleet is rolling out (4 bytes of list, as far as the rule cares). */
static const uint8_t dbx_new[] = {
	0xcb, 0xb2, 0x19, 0xd7, 0x3a, 0x3d, 0x96, 0x45, 0xa3, 0xbc, 0xda, 0xd0, 0x0e, 0x67,
	0x65, 0x6f, 3, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0,
	'd', 0, 'b', 0, 'x', 0, 0xaa, 0xbb, 0xcc, 0xdd
};

static int lint_count(const struct gwpol *p)
{
	struct gwpol_diags *d = calloc(1, sizeof(*d));
	int n;

	assert_non_null(d);
	n = gwpol_lint(p, NOW, d);
	for (size_t i = 0; i < d->n; i++)
		print_message("# lint: %s: %s\n", d->d[i].path, d->d[i].msg);
	free(d);
	return n;
}

/* The --allowed draft of the Secure-Boot-off log, whose PCR 7 allowed list also
 * admits the variable measurement var (a fleet list: both SecureBoot states, or
 * the old and the new dbx); edit then changes its secure_boot rule. */
static struct gwpol *sb_fleet_policy(const struct eventlog *log, const uint8_t *var, size_t len,
				     const char *key)
{
	struct gwpol_draft_input in = { .model = "gw-test", .fwlog = log, .allowed = true };
	json_object *o = draft_json(&in), *allowed, *sb;
	struct gwpol *p;
	uint8_t h[32];
	char hex[65];

	assert_int_equal(gw_hash(TPM2_ALG_SHA256, var, len, h), 0);
	gw_hex_encode(h, 32, hex);
	allowed = json_object_object_get(json_object_object_get(json_object_object_get(
						 fw_of(o), "pcrs"), "7"), "allowed");
	for (size_t i = 0; i < json_object_array_length(allowed); i++) {
		json_object *el = json_object_array_get_idx(allowed, i);

		if (!strcmp(json_object_get_string(json_object_object_get(el, "type")),
			    "EV_EFI_VARIABLE_DRIVER_CONFIG"))
			json_object_array_add(json_object_object_get(el, "digests"),
					      json_object_new_string(hex));
	}
	sb = json_object_object_get(fw_of(o), "secure_boot");
	assert_non_null(sb);
	if (!strcmp(key, "enabled")) {
		json_object_object_add(sb, "enabled", json_object_new_boolean(1));
	} else {
		json_object *arr = json_object_new_array();

		json_object_array_add(arr, json_object_new_string(hex));
		json_object_object_add(sb, key, arr);
	}
	p = parse_obj(o);
	json_object_put(o);
	return p;
}

/* Root edits the data of PCR 7's real measurement of variable name (digest kept):
 * with shorten, its UnicodeNameLength so it no longer parses as the variable;
 * otherwise its last byte (SecureBoot = 1). Then appends, as if extended after
 * boot, the authentic measurement var. */
static void forge_variable(struct eventlog *log, const uint8_t guid[16], const char *name,
			   bool shorten, const uint8_t *var, uint32_t len)
{
	bool done = false;

	for (size_t i = 0; i < log->nevents && !done; i++) {
		struct eventlog_event *e = &log->events[i];
		const uint8_t *vd;
		size_t vl;

		if (e->pcr != 7 || !gwpol_efi_variable_is(e, guid, name, &vd, &vl))
			continue;
		/* data points into the log's own buffer */
		if (shorten)
			log->buf[(size_t)(e->data - log->buf) + 16]++;
		else
			log->buf[(size_t)(e->data - log->buf) + e->data_len - 1] = 1;
		done = true;
	}
	assert_true(done);
	append_event(log, 7, EV_EFI_VARIABLE_DRIVER_CONFIG, var, len, -1);
}

/* Review of issue 9: secure_boot.enabled with a PCR 7 allowed list that admits
 * both SecureBoot states, on a Secure-Boot-off device: root edits the real
 * SecureBoot=0 event's data (digest kept) and extends SecureBoot=1 after boot. */
static void test_secure_boot_allowed_forged_data(void **state)
{
	static const char name[] = "go-attestation-coreos_36_shielded_vm_no_secure_boot_eventlog.bin";
	struct eventlog *log = load_log(name);
	struct gwpol *p = sb_fleet_policy(log, sb_on, sizeof(sb_on), "enabled");
	struct gwpol_report *r;

	(void)state;
	assert_int_equal(lint_count(p), 0);
	r = evaluate(p, log, NULL, ALL_PCRS, NOW);
	assert_true(has_finding(r, "$.firmware.secure_boot.enabled", "Secure Boot is disabled"));
	free(r);
	/* The real event no longer parses as SecureBoot. */
	forge_variable(log, gwpol_efi_global_guid, "SecureBoot", true, sb_on, sizeof(sb_on));
	r = evaluate(p, log, NULL, ALL_PCRS, NOW);
	if (!has_finding(r, "$.firmware.secure_boot", "data does not match its digest"))
		dump("forged", r);
	assert_string_equal(gwpol_report_status(r), "contraindicated");
	assert_true(has_finding(r, "$.firmware.secure_boot",
				"(EV_EFI_VARIABLE_DRIVER_CONFIG): data does not match its digest"));
	free(r);
	eventlog_free(log);
	/* The real event still parses as SecureBoot, now with the value 1. */
	log = load_log(name);
	forge_variable(log, gwpol_efi_global_guid, "SecureBoot", false, sb_on, sizeof(sb_on));
	r = evaluate(p, log, NULL, ALL_PCRS, NOW);
	assert_string_equal(gwpol_report_status(r), "contraindicated");
	assert_true(has_finding(r, "$.firmware.secure_boot", "data does not match its digest"));
	assert_true(has_finding(r, "$.firmware.secure_boot.enabled", "does not hash"));
	free(r);
	gwpol_free(p);
	eventlog_free(log);
}

/* The same against a dbx rollout: the allowed list admits the old and the new
 * dbx, secure_boot.dbx only the new; the device has the old one. */
static void test_dbx_allowed_forged_data(void **state)
{
	static const char name[] = "go-attestation-coreos_36_shielded_vm_no_secure_boot_eventlog.bin";
	struct eventlog *log = load_log(name);
	struct gwpol *p = sb_fleet_policy(log, dbx_new, sizeof(dbx_new), "dbx");
	struct gwpol_report *r;

	(void)state;
	assert_int_equal(lint_count(p), 0);
	r = evaluate(p, log, NULL, ALL_PCRS, NOW);
	assert_true(has_finding(r, "$.firmware.secure_boot.dbx", "(Secure Boot variable dbx)"));
	free(r);
	forge_variable(log, gwpol_efi_imgdb_guid, "dbx", true, dbx_new, sizeof(dbx_new));
	r = evaluate(p, log, NULL, ALL_PCRS, NOW);
	assert_string_equal(gwpol_report_status(r), "contraindicated");
	assert_true(has_finding(r, "$.firmware.secure_boot", "data does not match its digest"));
	free(r);
	gwpol_free(p);
	eventlog_free(log);
}

/* Review of issue 9: required events on a PCR with an allowed list (as
 * from-eventlog --allowed drafted them) are passed by a log without them, once
 * root extends them after boot. */
static void test_required_extended_after_boot(void **state)
{
	static const char t1[] = "Exit Boot Services Invocation";
	static const char t2[] = "Exit Boot Services Returned with Success";
	struct eventlog *log = load_log("tpm2-tools-event-bootorder.bin");
	struct gwpol_draft_input in = { .model = "gw-test", .fwlog = log, .allowed = true };
	json_object *o = draft_json(&in), *req = json_object_new_array(), *q;
	struct gwpol *p;
	struct gwpol_report *r;
	size_t n = 0;

	(void)state;
	/* The draft no longer writes them next to allowed lists. */
	assert_false(json_object_object_get_ex(fw_of(o), "required_events", NULL));
	q = json_object_new_object();
	json_object_object_add(q, "pcr", json_object_new_int(5));
	json_object_object_add(q, "type", json_object_new_string("EV_EFI_ACTION"));
	json_object_object_add(q, "text", json_object_new_string(t1));
	json_object_array_add(req, q);
	json_object_object_add(fw_of(o), "required_events", req);
	p = parse_obj(o);
	/* Lint refuses them, */
	assert_int_not_equal(lint_count(p), 0);
	for (size_t i = 0; i < log->nevents; i++) {
		struct eventlog_event *e = &log->events[i];

		if (e->pcr == 5 && e->type == EV_EFI_ACTION) {
			memmove(e, e + 1, (log->nevents - i - 1) * sizeof(*e));
			log->nevents--;
			i--;
			n++;
		}
	}
	assert_int_equal(n, 2);
	append_event(log, 5, EV_EFI_ACTION, (const uint8_t *)t1, sizeof(t1) - 1, -1);
	append_event(log, 5, EV_EFI_ACTION, (const uint8_t *)t2, sizeof(t2) - 1, -1);
	/* and the evaluator will not decide them. */
	r = evaluate(p, log, NULL, ALL_PCRS, NOW);
	assert_string_equal(gwpol_report_status(r), "contraindicated");
	assert_true(has_finding(r, "$.firmware.required_events[0]",
				"is on a PCR with an allowed rule, not a sequence"));
	free(r);
	gwpol_free(p);
	json_object_put(o);
	eventlog_free(log);
}

/* Review of issue 9: a policy signed before "logs" existed, with a firmware rule
 * outside the default logs.firmware (systemd-boot measures into 12): the default
 * takes in every PCR with a firmware rule, so its own boot still affirms. */
static void test_upgrade_without_logs(void **state)
{
	struct eventlog *log = load_log("tpm2-tools-event-sd-boot-fedora37.bin");
	struct gwpol_draft_input in = { .model = "gw-test", .fwlog = log };
	json_object *o = draft_json(&in);
	struct gwpol *p;
	struct gwpol_report *r;
	uint32_t outside = 0;

	(void)state;
	json_object_object_del(o, "logs");
	p = parse_obj(o);
	assert_false(p->logs.has_firmware);
	for (size_t i = 0; i < p->fw.n_pcrs; i++)
		outside |= (1u << p->fw.pcrs[i].pcr) & ~GWPOL_DEFAULT_FW_LOGS;
	assert_int_not_equal(outside, 0);
	assert_int_equal(p->logs.firmware & outside, outside);
	assert_int_equal(lint_count(p), 0);
	r = evaluate(p, log, NULL, ALL_PCRS, NOW);
	if (r->n)
		dump("no logs key", r);
	assert_int_equal(r->n, 0);
	assert_string_equal(gwpol_report_status(r), "affirming");
	free(r);
	gwpol_free(p);
	json_object_put(o);
	eventlog_free(log);
}

/* CEL records on a PCR the policy governs: from a log not allowed there (even
 * where the firmware rule is "unchecked", which would judge them), or allowed
 * there but judged by no rule (firmware rules read only the firmware log). */
static void test_cel_coverage(void **state)
{
	static const struct rec_spec on8[] = {
		{ 14, "trust", NULL, NULL, "verifier gate key sha256:33", 0x33 },
		{ 13, "stage", "a", "/a", NULL, 0x11 },
		{ 8, "grub-cmd", NULL, NULL, NULL, 0x77 },
	};
	struct eventlog *log = load_log("tpm2-tools-event-bootorder.bin");
	struct cel_log *cel = cel_of(on8, 3);
	json_object *o = golden_draft(log), *logs, *list;
	struct gwpol *p;
	struct gwpol_report *r;

	(void)state;
	set_unchecked(o, "8");
	p = parse_obj(o);
	r = evaluate(p, log, cel, ALL_PCRS, NOW);
	assert_string_equal(gwpol_report_status(r), "contraindicated");
	assert_true(has_finding(r, "$.logs.cel", "does not let the CEL log extend PCR 8"));
	free(r);
	gwpol_free(p);
	json_object_put(o);
	/* PCR 8 in logs.cel, its firmware rule a sequence: nothing judges the record. */
	o = golden_draft(log);
	logs = json_object_object_get(o, "logs");
	assert_non_null(logs);
	list = json_object_new_array();
	json_object_array_add(list, json_object_new_int(8));
	json_object_array_add(list, json_object_new_int(13));
	json_object_array_add(list, json_object_new_int(14));
	json_object_object_add(logs, "cel", list);
	p = parse_obj(o);
	r = evaluate(p, log, cel, ALL_PCRS, NOW);
	assert_string_equal(gwpol_report_status(r), "contraindicated");
	assert_true(has_finding(r, "$.logs.cel", "PCR 8: 1 event(s) from the CEL log"));
	assert_true(has_finding(r, "$.logs.cel", "no rule judges CEL records there"));
	free(r);
	gwpol_free(p);
	json_object_put(o);
	cel_free(cel);
	eventlog_free(log);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_moved_between_logs),
		cmocka_unit_test(test_shim_pcr14),
		cmocka_unit_test(test_kernel_late_extend),
		cmocka_unit_test(test_secure_boot_relabelled),
		cmocka_unit_test(test_required_type_only),
		cmocka_unit_test(test_secure_boot_allowed_forged_data),
		cmocka_unit_test(test_dbx_allowed_forged_data),
		cmocka_unit_test(test_required_extended_after_boot),
		cmocka_unit_test(test_upgrade_without_logs),
		cmocka_unit_test(test_cel_coverage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
