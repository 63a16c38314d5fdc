// SPDX-License-Identifier: Apache-2.0
// Policy evaluation over every real firmware log: a draft from a log appraises
// that log as affirming; a flipped digest or a retyped event is contraindicated and
// named; and each rule kind (Secure Boot, required events, boot applications,
// stages, trust, end of support, quoted PCRs) fails the way the docs say.
#include "gwpol_test.h"
#include "update_event.h"

/* Every real log but the one eventlog_parse refuses on purpose (its vendor data
 * lies outside its Spec ID event; see doc/eventlog-formats.md). */
static const char *const logs[] = {
	"go-attestation-coreos_36_shielded_vm_no_secure_boot_eventlog.bin",
	"go-attestation-crypto_agile_eventlog.bin",
	"go-attestation-ebs_event_missing_eventlog.bin",
	"go-attestation-option_rom_eventlog.bin",
	"go-attestation-sb_cert_eventlog.bin",
	"go-attestation-short_no_action_eventlog.bin",
	"go-attestation-ubuntu_2104_shielded_vm_no_secure_boot_eventlog.bin",
	"tpm2-tools-event-arch-linux.bin",
	"tpm2-tools-event-bootorder.bin",
	"tpm2-tools-event-gce-ubuntu-2104-log.bin",
	"tpm2-tools-event-moklisttrusted.bin",
	"tpm2-tools-event-postcode.bin",
	"tpm2-tools-event-sd-boot-fedora37.bin",
	"tpm2-tools-event-uefi-sha1-log.bin",
	"tpm2-tools-event-uefiaction.bin",
	"tpm2-tools-event-uefiservices.bin",
	"tpm2-tools-event-uefivar.bin",
};

/* The first event that extends a PCR, from the middle of the log on. */
static struct eventlog_event *middle_event(struct eventlog *log)
{
	for (size_t i = log->nevents / 2; i < log->nevents; i++)
		if (log->events[i].type != EV_NO_ACTION)
			return &log->events[i];
	for (size_t i = 0; i < log->nevents; i++)
		if (log->events[i].type != EV_NO_ACTION)
			return &log->events[i];
	return NULL;
}

static uint8_t *digest_of(struct eventlog_event *e, uint16_t alg)
{
	for (size_t i = 0; i < e->ndigests; i++)
		if (e->digests[i].alg == alg)
			return e->digests[i].d;
	return NULL;
}

static void affirming_flipped_retyped(const char *name, bool allowed)
{
	struct eventlog *log;
	struct gwpol *p;
	struct gwpol_report *r;
	struct eventlog_event *e;
	uint32_t type;
	uint8_t *d;
	char num[32];

	print_message("# %s (%s)\n", name, allowed ? "allowed" : "sequence");
	log = load_log(name);
	p = draft_policy(log, allowed);

	/* The draft lints clean: no rule of it is unsound (required events only on
	 * PCRs with a sequence rule, say). */
	{
		struct gwpol_diags *dg = calloc(1, sizeof(*dg));

		assert_non_null(dg);
		if (gwpol_lint(p, NOW, dg))
			for (size_t i = 0; i < dg->n; i++)
				print_message("# lint %s: %s: %s\n", name, dg->d[i].path,
					      dg->d[i].msg);
		assert_int_equal(dg->n, 0);
		free(dg);
	}

	/* The draft appraises its own log as affirming. */
	r = evaluate(p, log, NULL, ALL_PCRS, NOW);
	if (r->n)
		dump(name, r);
	assert_int_equal(r->n, 0);
	assert_string_equal(gwpol_report_status(r), "affirming");
	assert_int_equal(gwpol_report_claim_tier(r, GWPOL_CLAIM_HARDWARE), GWPOL_TIER_AFFIRMING);
	free(r);

	e = middle_event(log);
	if (!e) {
		/* A log that extends nothing: an EV_NO_ACTION event retyped extends a PCR
		 * no rule allows. (One log is nothing but its header: no event to edit.) */
		if (log->nevents < 2)
			goto out;
		assert_int_equal(log->events[1].type, EV_NO_ACTION);
		log->events[1].type = EV_POST_CODE;
		r = evaluate(p, log, NULL, ALL_PCRS, NOW);
		assert_string_equal(gwpol_report_status(r), "contraindicated");
		assert_true(has_finding(r, "$.firmware.pcrs", "event 1"));
		free(r);
		goto out;
	}
	/* One flipped digest: contraindicated, the event named with the seen digest. */
	d = digest_of(e, p->fw.bank);
	assert_non_null(d);
	d[0] ^= 0x5a;
	r = evaluate(p, log, NULL, ALL_PCRS, NOW);
	assert_string_equal(gwpol_report_status(r), "contraindicated");
	snprintf(num, sizeof(num), "event %u", e->num);
	if (!has_finding(r, "$.firmware.pcrs", num)) {
		dump(name, r);
		fail_msg("%s: no finding names the flipped %s", name, num);
	}
	{
		char hex[2 * GW_MAX_DIGEST + 1];

		gw_hex_encode(d, gw_alg_by_id(p->fw.bank)->size, hex);
		assert_true(has_finding(r, "$.firmware.pcrs", hex));
	}
	free(r);
	d[0] ^= 0x5a;

	/* Retyped to a type no spec defines: refused even though the digest holds. */
	type = e->type;
	e->type = 0x7fffabcd;
	r = evaluate(p, log, NULL, ALL_PCRS, NOW);
	assert_string_equal(gwpol_report_status(r), "contraindicated");
	assert_true(has_finding(r, "$.firmware.allow_event_types", num));
	free(r);
	/* Retyped to another known type: the rule for that PCR refuses it. */
	e->type = type == EV_EFI_ACTION ? EV_ACTION : EV_EFI_ACTION;
	r = evaluate(p, log, NULL, ALL_PCRS, NOW);
	assert_string_equal(gwpol_report_status(r), "contraindicated");
	if (!has_finding(r, "$.firmware.pcrs", num)) {
		dump(name, r);
		fail_msg("%s: no finding names the retyped %s", name, num);
	}
	free(r);
	e->type = type;
out:
	gwpol_free(p);
	eventlog_free(log);
}

static void test_every_log_sequence(void **state)
{
	(void)state;
	for (size_t i = 0; i < GW_ARRAY_SIZE(logs); i++)
		affirming_flipped_retyped(logs[i], false);
}

static void test_every_log_allowed(void **state)
{
	(void)state;
	for (size_t i = 0; i < GW_ARRAY_SIZE(logs); i++)
		affirming_flipped_retyped(logs[i], true);
}

/* An event added to a PCR is "extra"; one dropped is "missing". */
static void test_sequence_extra_and_missing(void **state)
{
	struct eventlog *log = load_log("tpm2-tools-event-arch-linux.bin");
	struct gwpol *p = draft_policy(log, false);
	struct gwpol_report *r;
	size_t n = log->nevents;

	(void)state;
	log->nevents = n - 1; /* the last event is gone */
	r = evaluate(p, log, NULL, ALL_PCRS, NOW);
	assert_true(has_finding(r, "$.firmware.pcrs", "missing"));
	free(r);
	log->nevents = n;
	gwpol_free(p);
	/* A policy from the shorter log sees the last event as extra. */
	log->nevents = n - 1;
	p = draft_policy(log, false);
	log->nevents = n;
	r = evaluate(p, log, NULL, ALL_PCRS, NOW);
	assert_string_equal(gwpol_report_status(r), "contraindicated");
	assert_true(has_finding(r, "$.firmware.pcrs", "extra") ||
		    has_finding(r, "$.firmware.pcrs", "no rule"));
	free(r);
	gwpol_free(p);
	eventlog_free(log);
}

/* Rules on PCRs the quote did not cover, or with no log at all, fail. */
static void test_unquoted_and_missing_log(void **state)
{
	struct eventlog *log = load_log("tpm2-tools-event-arch-linux.bin");
	struct gwpol *p = draft_policy(log, false);
	struct gwpol_report *r;

	(void)state;
	r = evaluate(p, log, NULL, ALL_PCRS & ~(1u << 4), NOW);
	assert_true(has_finding(r, "$.firmware.pcrs.4", "not in the quote"));
	assert_string_equal(gwpol_report_status(r), "contraindicated");
	free(r);
	r = evaluate(p, NULL, NULL, ALL_PCRS, NOW);
	assert_true(has_finding(r, "$.firmware", "no authentic firmware event log"));
	assert_int_equal(r->f[0].claim, GWPOL_CLAIM_HARDWARE);
	free(r);
	gwpol_free(p);
	eventlog_free(log);
}

static void test_secure_boot(void **state)
{
	struct eventlog *log = load_log("go-attestation-sb_cert_eventlog.bin");
	struct gwpol_draft_input in = { .model = "gw-test", .fwlog = log };
	json_object *o = draft_json(&in), *sb = NULL, *en = NULL;
	struct gwpol *p;
	struct gwpol_report *r;
	bool enabled;

	(void)state;
	assert_true(json_object_object_get_ex(fw_of(o), "secure_boot", &sb));
	assert_true(json_object_object_get_ex(sb, "enabled", &en));
	assert_true(json_object_object_get_ex(sb, "db", NULL));
	enabled = json_object_get_boolean(en);
	/* The opposite state: refused, as configuration. */
	json_object_object_add(sb, "enabled", json_object_new_boolean(!enabled));
	p = parse_obj(o);
	r = evaluate(p, log, NULL, ALL_PCRS, NOW);
	assert_true(has_finding(r, "$.firmware.secure_boot.enabled",
				enabled ? "Secure Boot is enabled" : "Secure Boot is disabled"));
	assert_int_equal(r->tier[GWPOL_CLAIM_CONFIGURATION], GWPOL_TIER_CONTRAINDICATED);
	free(r);
	gwpol_free(p);
	/* A db that is not the allowed one. */
	json_object_object_add(sb, "enabled", json_object_new_boolean(enabled));
	json_object_object_add(sb, "db", json_object_new_array());
	json_object_array_add(json_object_object_get(sb, "db"),
			      json_object_new_string("00000000000000000000000000000000"
						     "00000000000000000000000000000001"));
	p = parse_obj(o);
	r = evaluate(p, log, NULL, ALL_PCRS, NOW);
	assert_true(has_finding(r, "$.firmware.secure_boot.db", "Secure Boot variable db"));
	free(r);
	gwpol_free(p);
	json_object_put(o);
	eventlog_free(log);
}

/* The SecureBoot variable's data is read only when it hashes to its digest. */
static void test_secure_boot_forged_data(void **state)
{
	struct eventlog *log = load_log("go-attestation-sb_cert_eventlog.bin");
	struct gwpol *p = draft_policy(log, false);
	struct gwpol_report *r;
	const uint8_t *vd;
	size_t vl;
	bool found = false;

	(void)state;
	assert_true(p->fw.secure_boot.present);
	for (size_t i = 0; i < log->nevents; i++) {
		struct eventlog_event *e = &log->events[i];

		if (e->pcr == 7 && e->type == EV_EFI_VARIABLE_DRIVER_CONFIG &&
		    gwpol_efi_variable_is(e, gwpol_efi_global_guid, "SecureBoot", &vd, &vl) &&
		    vl == 1) {
			/* data points into the log's own buffer */
			log->buf[(size_t)(vd - log->buf)] ^= 1;
			found = true;
		}
	}
	assert_true(found);
	r = evaluate(p, log, NULL, ALL_PCRS, NOW);
	assert_true(has_finding(r, "$.firmware.secure_boot.enabled", "does not hash"));
	free(r);
	gwpol_free(p);
	eventlog_free(log);
}

static void add_required_ebs(json_object *o)
{
	json_object *req = NULL, *el = json_object_new_object();

	if (!json_object_object_get_ex(fw_of(o), "required_events", &req)) {
		req = json_object_new_array();
		json_object_object_add(fw_of(o), "required_events", req);
	}
	json_object_object_add(el, "pcr", json_object_new_int(5));
	json_object_object_add(el, "type", json_object_new_string("EV_EFI_ACTION"));
	json_object_object_add(el, "text", json_object_new_string("Exit Boot Services Invocation"));
	json_object_array_add(req, el);
}

static void test_required_events(void **state)
{
	struct eventlog *missing = load_log("go-attestation-ebs_event_missing_eventlog.bin");
	struct eventlog *arch = load_log("tpm2-tools-event-bootorder.bin");
	struct gwpol_draft_input in = { .model = "gw-test", .fwlog = missing };
	json_object *o = draft_json(&in);
	struct gwpol *p;
	struct gwpol_report *r;

	(void)state;
	/* PCR 5 has a sequence rule (without the event: lint would refuse that). */
	add_required_ebs(o);
	p = parse_obj(o);
	r = evaluate(p, missing, NULL, ALL_PCRS, NOW);
	assert_true(has_finding(r, "$.firmware.required_events",
				"\"Exit Boot Services Invocation\" on PCR 5 is not in "
				"the log"));
	assert_string_equal(gwpol_report_status(r), "contraindicated");
	free(r);
	gwpol_free(p);
	json_object_put(o);
	/* The data is there, but in an event of another type: no match (the
	 * sequence pins the type of each digest). */
	in.fwlog = arch;
	o = draft_json(&in);
	add_required_ebs(o);
	json_object_object_add(json_object_array_get_idx(json_object_object_get(fw_of(o),
							 "required_events"),
							 json_object_array_length(json_object_object_get(
								 fw_of(o), "required_events")) - 1),
			       "type", json_object_new_string("EV_ACTION"));
	p = parse_obj(o);
	r = evaluate(p, arch, NULL, ALL_PCRS, NOW);
	assert_true(has_finding(r, "$.firmware.required_events",
				"EV_ACTION \"Exit Boot Services Invocation\" on PCR 5 is not in "
				"the log"));
	free(r);
	gwpol_free(p);
	json_object_put(o);
	/* A log that has it: its own draft already requires it. */
	p = draft_policy(arch, false);
	{
		bool ebs = false;

		for (size_t i = 0; i < p->fw.n_required; i++)
			ebs |= p->fw.required[i].text &&
			       !strcmp(p->fw.required[i].text, "Exit Boot Services Invocation");
		assert_true(ebs);
	}
	gwpol_free(p);
	eventlog_free(missing);
	eventlog_free(arch);
}

static void test_bootloader_and_kernel(void **state)
{
	struct eventlog *log = load_log("tpm2-tools-event-arch-linux.bin");
	struct gwpol_draft_input in = { .model = "gw-test", .fwlog = log, .allowed = true };
	json_object *o = draft_json(&in), *k;
	struct gwpol *p;
	struct gwpol_report *r;

	(void)state;
	assert_true(json_object_object_get_ex(fw_of(o), "bootloader", NULL));
	/* Another kernel digest only: the kernel rule fails, as executables. */
	k = json_object_new_array();
	json_object_array_add(k, json_object_new_string("11111111111111111111111111111111"
							 "11111111111111111111111111111111"));
	json_object_object_add(fw_of(o), "kernel", k);
	p = parse_obj(o);
	r = evaluate(p, log, NULL, ALL_PCRS, NOW);
	if (p->fw.has_kernel)
		assert_true(has_finding(r, "$.firmware.kernel", "1111111111111111"));
	assert_int_equal(r->tier[GWPOL_CLAIM_EXECUTABLES], GWPOL_TIER_CONTRAINDICATED);
	assert_string_equal(gwpol_report_status(r), "contraindicated");
	free(r);
	gwpol_free(p);
	json_object_put(o);
	eventlog_free(log);
}

/* ---- Agent rules over a CEL log ---- */

#define D1 "1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "2222222222222222222222222222222222222222222222222222222222222222"
#define D3 "3333333333333333333333333333333333333333333333333333333333333333"

static void test_stages_and_trust(void **state)
{
	/* The gate key (digest 33...) and a rootfs stage (digest 11...). */
	static const struct rec_spec recs[] = {
		{ 14, "trust", NULL, NULL, "verifier gate key sha256:00", 0x33 },
		{ 13, "stage", "rootfs", "/boot/rootfs.img", "stage rootfs: /boot/rootfs.img", 0x11 },
	};
	struct cel_log *cel;
	struct gwpol *p;
	struct gwpol_report *r;

	(void)state;
	cel = cel_of(recs, 2);
	/* Mid-rollout: either rootfs digest is fine. */
	p = parse_text("{\"model\":\"m\",\"version\":1,\"stages\":{\"rootfs\":[\"" D2 "\",\"" D1
		       "\"]},\"trust\":{\"gate_key\":[\"" D3 "\"]}}");
	r = evaluate(p, NULL, cel, 0, NOW);
	if (r->n)
		dump("rollout", r);
	assert_int_equal(r->n, 0);
	assert_int_equal(gwpol_report_claim_tier(r, GWPOL_CLAIM_EXECUTABLES), GWPOL_TIER_AFFIRMING);
	free(r);
	gwpol_free(p);
	/* Wrong digest: named with expected and seen; the long form's claim is used. */
	p = parse_text("{\"model\":\"m\",\"version\":1,\"stages\":{\"rootfs\":{\"digests\":[\"" D2
		       "\"],\"claim\":\"file-system\"}},\"trust\":{\"gate_key\":[\"" D1 "\"]}}");
	r = evaluate(p, NULL, cel, 0, NOW);
	assert_true(has_finding(r, "$.stages.rootfs", "sha256 expected " D2 ", seen " D1));
	assert_int_equal(r->tier[GWPOL_CLAIM_FILESYSTEM], GWPOL_TIER_CONTRAINDICATED);
	assert_true(has_finding(r, "$.trust.gate_key", "expected " D1 ", seen " D3));
	assert_int_equal(r->tier[GWPOL_CLAIM_CONFIGURATION], GWPOL_TIER_CONTRAINDICATED);
	free(r);
	gwpol_free(p);
	/* A stage the policy does not name, and one it names that was not measured. */
	p = parse_text("{\"model\":\"m\",\"version\":1,\"stages\":{\"app\":[\"" D1 "\"]}}");
	r = evaluate(p, NULL, cel, 0, NOW);
	assert_true(has_finding(r, "$.stages", "stage rootfs (/boot/rootfs.img, record 1) is not "
					       "in the policy"));
	assert_true(has_finding(r, "$.stages.app", "was not measured"));
	free(r);
	/* No authentic CEL: the stage rules cannot hold. */
	r = evaluate(p, NULL, NULL, 0, NOW);
	assert_true(has_finding(r, "$.stages", "no authentic agent event log"));
	free(r);
	gwpol_free(p);
	cel_free(cel);
}

/* A record's labels are not covered by its digest: a measurement relabelled to
 * hide from a rule is itself a finding, and device text in messages is cleaned. */
static void test_relabelled_records(void **state)
{
	static const struct rec_spec stage_hidden[] = {
		{ 13, "note", NULL, NULL, "nothing to see", 0x66 },
		{ 13, "stage", "rootfs", "/boot/rootfs.img", NULL, 0x11 },
	};
	static const struct rec_spec gate_hidden[] = {
		{ 14, "trust", NULL, NULL, "attacker gate key sha256:44", 0x44 },
		{ 14, "trust", NULL, NULL, "verifier gate key sha256:33", 0x33 },
	};
	static const struct rec_spec forged_line[] = {
		{ 13, "stage", "evil\nstatus: affirming", "/x\r", NULL, 0x66 },
	};
	struct gwpol *p;
	struct gwpol_report *r;
	struct cel_log *cel;

	(void)state;
	p = parse_text("{\"model\":\"m\",\"version\":1,\"stages\":{\"rootfs\":[\"" D1
		       "\"]},\"trust\":{\"gate_key\":[\"" D3 "\"]}}");
	cel = cel_of(stage_hidden, 2);
	r = evaluate(p, NULL, cel, 0, NOW);
	assert_string_equal(gwpol_report_status(r), "contraindicated");
	assert_true(has_finding(r, "$.stages", "record 0 (nothing to see) is in the stage PCR 13 "
					       "but is no stage"));
	free(r);
	cel_free(cel);

	cel = cel_of(gate_hidden, 2);
	r = evaluate(p, NULL, cel, 0, NOW);
	assert_string_equal(gwpol_report_status(r), "contraindicated");
	assert_true(has_finding(r, "$.trust", "record 0 (attacker gate key sha256:44) is in the "
					      "trust PCR 14 but no trust rule"));
	free(r);
	cel_free(cel);

	cel = cel_of(forged_line, 1);
	r = evaluate(p, NULL, cel, 0, NOW);
	assert_true(has_finding(r, "$.stages", "stage evil?status: affirming (/x?, record 0)"));
	for (size_t i = 0; i < r->n; i++)
		assert_null(strpbrk(r->f[i].msg, "\r\n"));
	free(r);
	cel_free(cel);
	gwpol_free(p);
}

#define D4 "4444444444444444444444444444444444444444444444444444444444444444"
#define D5 "5555555555555555555555555555555555555555555555555555555555555555"

/* The agent's update records share the trust PCR: a well-formed one whose digest
 * is the hash of its text passes beside the trust rules; one extended with the
 * manifest digest alone (the old form), with its text changed after the extend
 * (relabelled, extra blanks), or not in gwagent's form, is a finding. */
/* Give the update records of cel the agent's digest: SHA-256 of their text. */
static struct cel_log *hash_texts(struct cel_log *cel)
{
	for (size_t i = 0; i < cel->n; i++)
		if (cel->rec[i].event_type && !strcmp(cel->rec[i].event_type, "update"))
			assert_int_equal(update_event_digest(TPM2_ALG_SHA256, cel->rec[i].string,
							     cel->rec[i].digests[0].d), 0);
	return cel;
}

static void test_update_records(void **state)
{
	static const struct rec_spec good[] = {
		{ 14, "trust", NULL, NULL, "verifier gate key sha256:33", 0x33 },
		{ 14, "update", NULL, NULL, "update running A version 1.0 manifest sha256:" D4, 0 },
		{ 14, "update", NULL, NULL, "update staged B version 2.0 manifest sha256:" D5, 0 },
	};
	static const struct rec_spec bad[][2] = {
		/* the old form: the manifest digest only */
		{ { 14, "trust", NULL, NULL, "verifier gate key sha256:33", 0x33 },
		  { 14, "update", NULL, NULL, "update committed A version 1.0 manifest sha256:" D4,
		    0x44 } },
		{ { 14, "trust", NULL, NULL, "verifier gate key sha256:33", 0x33 },
		  { 14, "update", NULL, NULL, "update installed A version 1.0", 0x44 } },
	};
	/* hashed as one text, shown as another */
	static const char *const relabel[][2] = {
		{ "update rolled-back B version 2.0 manifest sha256:" D5,
		  "update committed B version 2.0 manifest sha256:" D5 },
		{ "update running B version 2.0 manifest sha256:" D5,
		  "update running B version 2.0 manifest sha256:" D5 " " },
		{ "update running B version 2.0 manifest sha256:" D5,
		  "update  running B version 2.0 manifest sha256:" D5 },
	};
	static const char *const why[] = { "is not the hash of its text", "unknown kind" };
	struct gwpol *p;
	struct gwpol_report *r;
	struct cel_log *cel;

	(void)state;
	p = parse_text("{\"model\":\"m\",\"version\":1,\"trust\":{\"gate_key\":[\"" D3 "\"]}}");
	cel = hash_texts(cel_of(good, 3));
	r = evaluate(p, NULL, cel, 0, NOW);
	if (r->n)
		dump("update records", r);
	assert_int_equal(r->n, 0);
	free(r);
	cel_free(cel);

	for (size_t i = 0; i < 2; i++) {
		cel = cel_of(bad[i], 2);
		r = evaluate(p, NULL, cel, 0, NOW);
		assert_string_equal(gwpol_report_status(r), "contraindicated");
		assert_true(has_finding(r, "$.trust", why[i]));
		free(r);
		cel_free(cel);
	}
	for (size_t i = 0; i < 3; i++) {
		struct rec_spec one[2] = {
			{ 14, "trust", NULL, NULL, "verifier gate key sha256:33", 0x33 },
			{ 14, "update", NULL, NULL, relabel[i][0], 0 },
		};

		cel = hash_texts(cel_of(one, 2));
		/* the text replaced after the digest was taken (borrowed pointer) */
		cel->rec[1].string = relabel[i][1];
		r = evaluate(p, NULL, cel, 0, NOW);
		assert_string_equal(gwpol_report_status(r), "contraindicated");
		assert_true(has_finding(r, "$.trust", "update record"));
		free(r);
		cel_free(cel);
	}
	gwpol_free(p);
}

/* Events the firmware would not make: a Secure Boot variable measured twice (the
 * first is read, the second is a finding), a boot application appended to PCR 4
 * (an extra event of its sequence, and then read as the kernel). */
static void test_late_events(void **state)
{
	static const char *const names[] = { "go-attestation-sb_cert_eventlog.bin",
					      "tpm2-tools-event-gce-ubuntu-2104-log.bin" };

	(void)state;
	for (size_t k = 0; k < GW_ARRAY_SIZE(names); k++) {
		struct eventlog *log = load_log(names[k]);
		struct gwpol *p = draft_policy(log, false);
		struct gwpol_report *r = evaluate(p, log, NULL, ALL_PCRS, NOW);
		struct eventlog_event *ev, *late = NULL;
		size_t idx;

		if (r->n)
			dump(names[k], r);
		assert_int_equal(r->n, 0);
		free(r);
		for (size_t i = 0; i < log->nevents && !late; i++)
			if (k == 0 ? log->events[i].pcr == 7 &&
					     log->events[i].type == EV_EFI_VARIABLE_DRIVER_CONFIG
				   : log->events[i].pcr == 4 &&
					     log->events[i].type == EV_EFI_BOOT_SERVICES_APPLICATION)
				late = &log->events[i];
		assert_non_null(late);
		idx = (size_t)(late - log->events); /* before realloc moves the events */
		ev = realloc(log->events, (log->nevents + 1) * sizeof(*ev));
		assert_non_null(ev);
		log->events = ev;
		ev[log->nevents] = ev[idx];
		ev[log->nevents].num = (uint32_t)log->nevents;
		log->nevents++;
		r = evaluate(p, log, NULL, ALL_PCRS, NOW);
		assert_string_equal(gwpol_report_status(r), "contraindicated");
		if (k == 0)
			assert_true(has_finding(r, "$.firmware.secure_boot", "measured 2 times"));
		else
			assert_true(has_finding(r, "$.firmware.pcrs.4.sequence", "is extra") &&
				    has_finding(r, "$.firmware.kernel", "expected"));
		free(r);
		gwpol_free(p);
		eventlog_free(log);
	}
}

static void test_end_of_support(void **state)
{
	struct gwpol *p;
	struct gwpol_report *r;

	(void)state;
	p = parse_text("{\"model\":\"m\",\"version\":1,\"update\":{\"end_of_support\":"
		       "\"2026-11-17\"}}");
	/* On the last supported day: affirming; the day after: a warning, not worse. */
	r = evaluate(p, NULL, NULL, 0, p->update.support_ends - 1);
	assert_string_equal(gwpol_report_status(r), "affirming");
	free(r);
	r = evaluate(p, NULL, NULL, 0, p->update.support_ends);
	assert_string_equal(gwpol_report_status(r), "warning");
	assert_true(has_finding(r, "$.update.end_of_support", "2026-11-17"));
	assert_int_equal(r->tier[GWPOL_CLAIM_CONFIGURATION], GWPOL_TIER_WARNING);
	free(r);
	gwpol_free(p);
}

/* The boot applications are PCR 4's EV_EFI_BOOT_SERVICES_APPLICATION events only:
 * bootorder's PCR 4 starts with an EV_EFI_ACTION and a separator. */
static void test_boot_apps_by_type(void **state)
{
	struct eventlog *log = load_log("tpm2-tools-event-bootorder.bin");
	const struct eventlog_event *first, *last;
	size_t want = 0;

	(void)state;
	for (size_t i = 0; i < log->nevents; i++)
		want += log->events[i].pcr == 4 &&
			log->events[i].type == EV_EFI_BOOT_SERVICES_APPLICATION;
	assert_int_equal(want, 2);
	assert_int_equal(gwpol_boot_apps(log, &first, &last), want);
	assert_int_equal(first->type, EV_EFI_BOOT_SERVICES_APPLICATION);
	assert_int_equal(last->type, EV_EFI_BOOT_SERVICES_APPLICATION);
	assert_true(first != last && first->pcr == 4 && last->pcr == 4);
	eventlog_free(log);
}

/* The data must hash to the digest in every bank the event carries, not only in
 * the policy's: one weak bank (SHA-1) must not carry forged data. */
static void test_data_authentic_every_bank(void **state)
{
	static const uint8_t data[] = "Exit Boot Services Invocation", other[] = "forged";
	struct eventlog_event e;

	(void)state;
	memset(&e, 0, sizeof(e));
	e.data = data;
	e.data_len = sizeof(data) - 1;
	e.ndigests = 2;
	e.digests[0].alg = TPM2_ALG_SHA1;
	e.digests[1].alg = TPM2_ALG_SHA256;
	assert_int_equal(gw_hash(TPM2_ALG_SHA1, data, e.data_len, e.digests[0].d), 0);
	assert_int_equal(gw_hash(TPM2_ALG_SHA256, data, e.data_len, e.digests[1].d), 0);
	assert_true(gwpol_event_data_authentic(&e, TPM2_ALG_SHA256));
	assert_true(gwpol_event_data_authentic(&e, TPM2_ALG_SHA1));
	assert_false(gwpol_event_data_authentic(&e, TPM2_ALG_SHA384));
	assert_int_equal(gw_hash(TPM2_ALG_SHA1, other, sizeof(other) - 1, e.digests[0].d), 0);
	assert_false(gwpol_event_data_authentic(&e, TPM2_ALG_SHA256));
	assert_int_equal(gw_hash(TPM2_ALG_SHA1, data, e.data_len, e.digests[0].d), 0);
	assert_int_equal(gw_hash(TPM2_ALG_SHA256, other, sizeof(other) - 1, e.digests[1].d), 0);
	assert_false(gwpol_event_data_authentic(&e, TPM2_ALG_SHA1));
}

static void test_report(void **state)
{
	struct gwpol_report *r = malloc(sizeof(*r));

	(void)state;
	assert_non_null(r);
	gwpol_report_init(r);
	assert_string_equal(gwpol_report_status(r), "affirming");
	assert_int_equal(gwpol_report_claim_tier(r, GWPOL_CLAIM_HARDWARE), GWPOL_TIER_NONE);
	for (int i = 0; i < GWPOL_MAX_FINDINGS + 5; i++)
		gwpol_report_add(r, GWPOL_CLAIM_HARDWARE, GWPOL_TIER_WARNING, "x", "%d", i);
	assert_int_equal(r->n, GWPOL_MAX_FINDINGS);
	assert_int_equal(r->dropped, 5);
	gwpol_report_add(r, GWPOL_CLAIM_IDENTITY, GWPOL_TIER_CONTRAINDICATED, "clock", "late");
	assert_int_equal(r->dropped, 6);
	assert_string_equal(gwpol_report_status(r), "contraindicated");
	assert_string_equal(gwpol_claim_name(GWPOL_CLAIM_FILESYSTEM), "file-system");
	free(r);
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_log_sequence),
		cmocka_unit_test(test_every_log_allowed),
		cmocka_unit_test(test_sequence_extra_and_missing),
		cmocka_unit_test(test_unquoted_and_missing_log),
		cmocka_unit_test(test_secure_boot),
		cmocka_unit_test(test_secure_boot_forged_data),
		cmocka_unit_test(test_required_events),
		cmocka_unit_test(test_bootloader_and_kernel),
		cmocka_unit_test(test_stages_and_trust),
		cmocka_unit_test(test_relabelled_records),
		cmocka_unit_test(test_update_records),
		cmocka_unit_test(test_late_events),
		cmocka_unit_test(test_end_of_support),
		cmocka_unit_test(test_report),
		cmocka_unit_test(test_boot_apps_by_type),
		cmocka_unit_test(test_data_authentic_every_bank),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
