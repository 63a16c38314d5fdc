/* SPDX-License-Identifier: Apache-2.0 */
/* The signed attestation policy: its JSON format, its strict parser, and the
 * evaluator (a pure function of a policy and authenticated logs) that the verifier
 * and `gwverifier check-quote` share. doc/policy.md and doc/policy.schema.json are
 * the user-facing description of the same format. */
#ifndef GW_GWPOL_H
#define GW_GWPOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <tss2/tss2_tpm2_types.h>

#include "appraise.h"
#include "cel.h"
#include "digest.h"
#include "eventlog.h"
#include "gw_error.h"

/* The payloadType of a policy's DSSE envelope. */
#define GWPOL_PAYLOAD_TYPE "application/vnd.gatewarden.policy+json"

/* Caps on the (untrusted until verified, and linted before signing) policy text. */
#define GWPOL_MAX_SIZE (2u * 1024 * 1024) /* bytes of JSON */
#define GWPOL_MAX_DEPTH 8                 /* JSON nesting */
#define GWPOL_NAME_MAX 64                 /* model, stage and channel names */
#define GWPOL_TEXT_MAX 1024               /* description, comment, text */
#define GWPOL_MAX_STAGES 64
#define GWPOL_MAX_DIGESTS 256             /* in any one digest list */
#define GWPOL_MAX_FW_EVENTS 4096          /* in one PCR's sequence or allowed list */
#define GWPOL_MAX_REQUIRED 256
#define GWPOL_MAX_TYPES 64                /* allow_event_types */
#define GWPOL_MAX_CHANNELS 16
#define GWPOL_MAX_DATA 1024               /* bytes of a required event's "data" */

/*
 * The format (every key not listed is refused; "?" marks optional keys):
 *
 * {
 *   "model": "gw-1000",              1-64 of A-Z a-z 0-9 . _ -
 *   "version": 3,                    1 .. 2^32-1; a verifier only ever moves up
 *   "description"?: "text",          at most GWPOL_TEXT_MAX bytes, printable UTF-8
 *   "pcr_selection"?: "sha256:0-7,13,14",  what the verifier asks devices to quote
 *                                    (gw_pcrsel_parse syntax); default
 *                                    "sha256:0,1,2,3,4,5,6,7,13,14"
 *   "freshness_seconds"?: 3600,      60 .. 31536000: how long an attestation result
 *                                    (the EAR's exp) stays valid
 *   "firmware"?: {                   rules over the firmware event log (PCRs 0-23)
 *     "bank": "sha256",              the bank whose digests the rules hold (sha1,
 *                                    sha256, sha384, sha512)
 *     "pcrs": {                      one rule per PCR the firmware log extends;
 *       "4": {                       key: decimal PCR number 0-23, no leading zero
 *         "sequence": [              EITHER the exact ordered events of this PCR
 *           {"type": "EV_EFI_ACTION",        (EV_NO_ACTION events are not counted)
 *            "digests": ["<hex>", ...],      1..GWPOL_MAX_DIGESTS alternatives
 *            "comment"?: "event 12: ..."}
 *         ]
 *         "allowed": [ {same element} ]      OR any number of events, in any order,
 *                                            each matching one element (type and one
 *                                            of its digests)
 *         "unchecked": true                  OR no rule on the events of this PCR
 *                                            (replay still authenticates them)
 *         "comment"?: "text"                 exactly one of sequence/allowed/unchecked
 *       }
 *     },
 *     "allow_event_types"?: ["0x0000abcd", ...],  event types outside the TCG PC
 *                                    Client PFP spec that may appear; every other
 *                                    unknown type fails appraisal, on any PCR
 *     "required_events"?: [          each must match at least one event of the log
 *       {"pcr"?: 4, "type": "EV_EFI_ACTION",
 *        "text"?: "Exit Boot Services Invocation",  the event data as ASCII or UCS-2
 *        "data"?: "00000000",                       the event data as hex
 *        "comment"?: "..."}          at most one of text/data; when given, the data
 *     ],                             must hash to the event's digest in the bank
 *     "secure_boot"?: {              UEFI: the variables' measurements on PCR 7
 *       "enabled": true,             (found by their verified data; PCR 7 needs a
 *                                    sequence or allowed rule): the SecureBoot
 *                                    variable's one byte (1 or 0)
 *       "pk"?: ["<hex>"], "kek"?: [...], "db"?: [...], "dbx"?: [...]
 *                                    allowed event digests of each variable
 *     },
 *     "bootloader"?: ["<hex>", ...], the first EV_EFI_BOOT_SERVICES_APPLICATION in
 *                                    PCR 4's sequence (which needs a sequence or
 *                                    allowed rule)
 *     "kernel"?: ["<hex>", ...]      the last one, when PCR 4 has two or more
 *   },
 *   "stages"?: {                     rules over the agent's stage records (PCR 13)
 *     "rootfs": ["<sha256 hex>", ...],     allowed digests, several during a rollout
 *     "config": {"digests": [...], "claim": "configuration"}
 *                                    the long form names the claim a failure maps
 *                                    to: executables (default), configuration or
 *                                    file-system
 *   },
 *   "trust"?: {                      rules over the agent's trust records (PCR 14)
 *     "gate_key"?: ["<sha256 hex>", ...],   SHA-256 of the verifier gate key's DER
 *     "trust_root"?: ["<sha256 hex>", ...]  digest of the update trust root
 *   },
 *   "logs"?: {                       which log may extend which PCR (per log, a
 *     "firmware"?: [0, 1, ..., 14],  list of 0-24 distinct PCRs 0-23); defaults
 *     "cel"?: [13, 14]               GWPOL_DEFAULT_FW_LOGS (plus every PCR with a
 *   },                               firmware rule) and _CEL_LOGS. On a PCR a rule
 *                                    governs, an event from a log not listed for
 *                                    it is a finding
 *   "update"?: {                     consumed by the update flow
 *     "min_security_version"?: 4,    0 .. 2^32-1
 *     "end_of_support"?: "2029-12-31",  last supported day (UTC); after it the
 *                                    device's attestation is at best "warning"
 *     "channels"?: ["stable", ...]   names as for stages, distinct
 *     "boot_files_pcr"?: 9           0-23: the PCR the bootloader measures the
 *                                    release's boot files into (opt-in check)
 *   }
 * }
 *
 * Digests are lower-case hex of exactly the bank's size (SHA-256 for stages and
 * trust), distinct within a list. Event types are the names eventlog_type_name()
 * returns ("EV_SEPARATOR") or "0x" and 8 lower-case hex digits. Duplicate JSON keys,
 * NUL bytes, "\u0000", and data after the object are refused.
 */

enum gwpol_claim {
	GWPOL_CLAIM_IDENTITY,      /* "instance-identity" */
	GWPOL_CLAIM_CONFIGURATION, /* "configuration" */
	GWPOL_CLAIM_EXECUTABLES,   /* "executables" */
	GWPOL_CLAIM_FILESYSTEM,    /* "file-system" */
	GWPOL_CLAIM_HARDWARE,      /* "hardware" */
	GWPOL_CLAIM_COUNT,
};

/* AR4SI trustworthiness tiers as EAR encodes them. */
enum { GWPOL_TIER_NONE = 0, GWPOL_TIER_AFFIRMING = 2, GWPOL_TIER_WARNING = 32,
       GWPOL_TIER_CONTRAINDICATED = 96 };

const char *gwpol_claim_name(enum gwpol_claim c);

/* A list of distinct digests, each `size` bytes (the bank's digest size). */
struct gwpol_digests {
	size_t n;
	size_t size;
	uint8_t (*d)[GW_MAX_DIGEST];
};

struct gwpol_fw_event {
	uint32_t type;
	struct gwpol_digests digests;
	char *comment; /* NULL when absent */
};

enum gwpol_pcr_mode { GWPOL_PCR_SEQUENCE, GWPOL_PCR_ALLOWED, GWPOL_PCR_UNCHECKED };

struct gwpol_fw_pcr {
	unsigned pcr;
	enum gwpol_pcr_mode mode;
	size_t n;                  /* elements of sequence/allowed */
	struct gwpol_fw_event *ev;
	char *comment;
};

struct gwpol_required {
	bool has_pcr;
	unsigned pcr;
	uint32_t type;
	char *text;                /* NULL when absent */
	uint8_t *data;             /* NULL when absent */
	size_t data_len;
	char *comment;
};

struct gwpol_secure_boot {
	bool present;
	bool enabled;
	bool has_pk, has_kek, has_db, has_dbx;
	struct gwpol_digests pk, kek, db, dbx;
};

struct gwpol_firmware {
	bool present;
	uint16_t bank;             /* TPM2_ALG_* */
	size_t n_pcrs;
	struct gwpol_fw_pcr *pcrs; /* sorted by PCR number */
	size_t n_allow_types;
	uint32_t *allow_types;
	size_t n_required;
	struct gwpol_required *required;
	struct gwpol_secure_boot secure_boot;
	bool has_bootloader, has_kernel;
	struct gwpol_digests bootloader, kernel;
};

struct gwpol_stage {
	char name[GWPOL_NAME_MAX + 1];
	enum gwpol_claim claim;    /* EXECUTABLES, CONFIGURATION or FILESYSTEM */
	struct gwpol_digests digests;
};

struct gwpol_trust {
	bool has_gate_key, has_trust_root;
	struct gwpol_digests gate_key, trust_root;
};

struct gwpol_update {
	bool has_min_security_version;
	uint32_t min_security_version;
	bool has_end_of_support;
	char end_of_support[11];   /* "YYYY-MM-DD" as written */
	int64_t support_ends;      /* seconds since the epoch when support ends: the
				    * day after end_of_support, 00:00:00 UTC */
	size_t n_channels;
	char (*channels)[GWPOL_NAME_MAX + 1];
	/* "boot_files_pcr": the PCR the bootloader measures each file it loads into
	 * (GRUB: 9); the verifier then matches it to the running release's signed
	 * boot files (doc/updates.md, "Boot files"). */
	bool has_boot_files_pcr;
	unsigned boot_files_pcr;   /* 0 .. 23 */
};

/* Which log may extend which PCR: bit n = PCR n. */
struct gwpol_logs {
	bool has_firmware, has_cel; /* given in the policy (else the defaults) */
	uint32_t firmware, cel;
};

/* The defaults: the firmware log on 0-7 (UEFI), 8 and 9 (boot loaders that log
 * through the firmware) and 14 (shim's MokList); the CEL log on 13 and 14 (the
 * agent's stages and trust records). */
#define GWPOL_DEFAULT_FW_LOGS (0x3ffu | 1u << 14)
#define GWPOL_DEFAULT_CEL_LOGS (1u << 13 | 1u << 14)

struct gwpol {
	char model[GWPOL_NAME_MAX + 1];
	uint32_t version;
	char *description;                 /* NULL when absent */
	bool has_pcr_selection;
	TPML_PCR_SELECTION pcr_selection;  /* valid when has_pcr_selection */
	bool has_freshness;
	uint32_t freshness_seconds;
	struct gwpol_firmware fw;
	size_t n_stages;
	struct gwpol_stage *stages;        /* in the order of the JSON text */
	struct gwpol_trust trust;
	struct gwpol_logs logs;            /* effective: the defaults when absent */
	struct gwpol_update update;
};

/* One problem found in a policy text: where (a JSON path such as
 * "$.firmware.pcrs.4.sequence[3].digests[0]", "$" for the whole document) and what. */
struct gwpol_diag {
	char path[256];
	char msg[512];
};

#define GWPOL_MAX_DIAGS 64

struct gwpol_diags {
	size_t n;                  /* diagnostics kept, at most GWPOL_MAX_DIAGS */
	size_t dropped;            /* further ones not kept */
	struct gwpol_diag d[GWPOL_MAX_DIAGS];
};

/* Parse len bytes of policy JSON (no NUL needed; a NUL inside is refused). On
 * success *out is a new policy, freed with gwpol_free(). The parser goes on after a
 * schema error to report every error it can (up to GWPOL_MAX_DIAGS) in diags, which
 * may be NULL; err gets the first one as "policy: PATH: MESSAGE". Errors:
 * GW_E_TOOBIG (over GWPOL_MAX_SIZE or a count cap), GW_E_PARSE (not JSON, too deep,
 * an unknown or duplicate key, a wrong type or value), GW_E_TRAILING (data after the
 * object), GW_E_NOMEM. */
int gwpol_parse(const char *json, size_t len, struct gwpol **out, struct gwpol_diags *diags,
		gw_error *err) GW_WUR;
void gwpol_free(struct gwpol *p); /* NULL-safe */

/* "EV_SEPARATOR" or "0x%08x" for an unknown type, into buf (at least 11 bytes). */
const char *gwpol_type_str(uint32_t type, char *buf, size_t len);

/* The PCRs gwagent measures its stages and its trust state into (its defaults):
 * what stage and trust rules read. */
#define GWPOL_STAGE_PCR 13
#define GWPOL_TRUST_PCR 14

/* Small readers the evaluator, linter, drafter and diff share. */
bool gwpol_digests_have(const struct gwpol_digests *l, const uint8_t *d); /* l->size bytes */
/* Known to the TCG spec, or in the firmware rules' allow_event_types. */
bool gwpol_type_allowed(const struct gwpol_firmware *fw, uint32_t type);
/* The firmware rule of pcr, or NULL. */
const struct gwpol_fw_pcr *gwpol_fw_rule(const struct gwpol_firmware *fw, unsigned pcr);
/* "0-9,14" for a set of PCRs (bit n = PCR n), "none" for none; buf of at
 * least 64 bytes. */
const char *gwpol_pcrs_str(uint32_t pcrs, char *buf, size_t len);
/* The PCRs the policy's rules govern: those with a firmware rule, 13 with stages,
 * 14 with trust rules. Every event that extends one of them must come from a log
 * the policy lets extend it and be judged by a rule (doc/pcrs.md). */
uint32_t gwpol_governed(const struct gwpol *p);
/* The PCRs whose every event the agent's rules read (13 with stages, 14 with trust
 * rules): there an "unchecked" firmware rule judges nothing, or an event moved
 * into the firmware log would escape them. */
uint32_t gwpol_agent_judged(const struct gwpol *p);
/* "sequence", "allowed", "unchecked". */
const char *gwpol_pcr_mode_name(enum gwpol_pcr_mode m);
/* The PCR selection the verifier asks for: the policy's, else the default. */
void gwpol_selection(const struct gwpol *p, TPML_PCR_SELECTION *out);

/* ---- Appraisal results: the EAR trustworthiness vector and its findings ---- */

struct gwpol_finding {
	enum gwpol_claim claim;
	int tier;                 /* GWPOL_TIER_WARNING or GWPOL_TIER_CONTRAINDICATED */
	char rule[128];           /* the rule that failed: a policy JSON path
				   * ("$.firmware.pcrs.4.sequence[3]") or a checklist item
				   * ("signature", "fw-replay", "clock", "policy") */
	char msg[768];            /* names the PCR, the event or record number, and
				   * expected versus seen digest */
};

#define GWPOL_MAX_FINDINGS 128

struct gwpol_report {
	int tier[GWPOL_CLAIM_COUNT];        /* worst tier seen per claim (0: none) */
	bool appraised[GWPOL_CLAIM_COUNT];  /* the claim was evaluated (else "no claim") */
	size_t n;                           /* findings kept */
	size_t dropped;                     /* findings over GWPOL_MAX_FINDINGS: counted
					     * in tier[] but not kept */
	struct gwpol_finding f[GWPOL_MAX_FINDINGS];
};

void gwpol_report_init(struct gwpol_report *r);
/* Record a failed rule: raises r->tier[claim] to tier and marks the claim appraised. */
void gwpol_report_add(struct gwpol_report *r, enum gwpol_claim claim, int tier,
		      const char *rule, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* Add one finding per failed item of the policy-free checklist (quote checks map
 * to instance-identity, firmware replay and event types to hardware, CEL replay and
 * stages to executables), and mark the claims the checklist appraised. */
void gwpol_report_add_appraisal(struct gwpol_report *r, const struct appraise_result *res);
/* "affirming", "warning" or "contraindicated": the worst tier of any claim. */
const char *gwpol_report_status(const struct gwpol_report *r);
/* The EAR tier of a claim: its worst finding, else AFFIRMING if appraised, else
 * NONE (0). */
int gwpol_report_claim_tier(const struct gwpol_report *r, enum gwpol_claim c);

/* ---- Evaluation ---- */

struct gwpol_evidence {
	/* The firmware log, only if it replayed to the quoted PCRs; NULL otherwise. */
	const struct eventlog *fwlog;
	/* PCRs of the policy's firmware bank that the quote covered (bit n = PCR n):
	 * events on other PCRs are not authenticated, and rules on them fail. */
	uint32_t fw_quoted;
	/* The agent's CEL log, only if it replayed to the quoted PCRs; NULL otherwise. */
	const struct cel_log *cel;
	uint32_t cel_quoted;      /* sha256 PCRs the quote covered, for the CEL */
	int64_t now;              /* seconds since the epoch, for end_of_support */
	/* The SHA-256 of the boot files of the release the device's records name as
	 * running (none when the verifier does not hold it), or NULL: on
	 * p->update.boot_files_pcr, when its rule is an allowed list, an EV_IPL event
	 * with one of these digests is allowed too. */
	const struct gwpol_digests *boot_files;
};

/* Evaluate every rule of p against ev and add one finding per failed rule to r
 * (which the caller initialised, and may already hold checklist findings). Marks
 * the claims the policy's rules appraise. Pure: reads nothing but its arguments.
 * Firmware rules map to a claim by PCR: 0 and 2 (firmware code) to hardware; 1, 3,
 * 5, 6 and 7 (configuration, Secure Boot) to configuration; 4 and every other PCR
 * (boot applications, kernel) to executables; a missing firmware log to hardware.
 * Stage rules map to their stage's claim, trust rules to configuration, and an
 * end-of-support date in the past to a configuration WARNING; an event on a PCR the
 * policy governs (gwpol_governed()) that comes from a log p->logs does not list for
 * it, or that no rule of its log judges, to the claim of its PCR; every other
 * failure is CONTRAINDICATED. Returns 0, or GW_E_INVAL for NULL arguments. */
int gwpol_evaluate(const struct gwpol *p, const struct gwpol_evidence *ev,
		   struct gwpol_report *r) GW_WUR;

/* NULL when p's boot_files_pcr can be judged soundly (or p has none); else why
 * not, into buf: the firmware bank is not sha256, the PCR is not in the sha256
 * bank of the policy's selection or not in logs.firmware, or its firmware rule is
 * missing or "unchecked" (then root could boot another kernel and extend the
 * release's digests after it). */
const char *gwpol_boot_files_unsound(const struct gwpol *p, char *buf, size_t len);

/* ---- Lint ---- */

/* Consistency checks on a parsed policy, for `gwpolicy lint` before signing: rules
 * that can never pass, never be checked, or not be decided soundly because of
 * another part of the policy (a firmware rule on a PCR or bank the pcr_selection
 * does not quote or logs.firmware does not list, stages or trust rules without PCR
 * 13 or 14 of the sha256 bank quoted or in logs.cel, an unchecked firmware rule on
 * 13 or 14 next to stage or trust rules, a required event without a pcr whose rule
 * is a sequence (elsewhere root can extend it after boot), one its PCR's sequence
 * cannot hold or with neither text nor data, an unknown event type not
 * in allow_event_types, bootloader or kernel rules without a sequence or allowed
 * rule for PCR 4 or one that leaves no boot application or lets another boot last,
 * secure_boot without a sequence or allowed rule for PCR 7, a PCR in logs.cel that
 * no rule for CEL records governs, an end_of_support already past at now, a
 * boot_files_pcr gwpol_boot_files_unsound() refuses). Appends one diagnostic per problem,
 * with its JSON path, to d (which may already hold some). Returns the number of
 * problems found (0: none; those over GWPOL_MAX_DIAGS are counted in d->dropped),
 * or GW_E_INVAL for a NULL argument. */
int gwpol_lint(const struct gwpol *p, int64_t now, struct gwpol_diags *d) GW_WUR;

#endif
