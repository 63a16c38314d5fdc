/* SPDX-License-Identifier: Apache-2.0 */
/* The appraisal checklist that needs no policy: the quote checks, then replay of the
 * firmware and CEL logs against the quoted PCRs in every bank, then (optionally) the
 * agent's stage measurements against reference values. */
#ifndef GW_APPRAISE_H
#define GW_APPRAISE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cel.h"
#include "eventlog.h"
#include "quote.h"

enum appraise_check {
	APPRAISE_SIGNATURE,
	APPRAISE_MAGIC,
	APPRAISE_TYPE,
	APPRAISE_NONCE,
	APPRAISE_PCRSEL,
	APPRAISE_PCRDIGEST,
	APPRAISE_FW_EVENT_TYPES, /* every firmware event type is a known one */
	APPRAISE_FW_REPLAY,      /* firmware log replays to the quoted PCRs */
	APPRAISE_CEL_REPLAY,     /* CEL log replays to the quoted PCRs */
	APPRAISE_COVERAGE,       /* every CEL record extends a quoted PCR; with
				  * require_coverage, every quoted PCR is explained by a
				  * log or still holds its reset value */
	APPRAISE_STAGES,         /* no stage recorded as failed */
	APPRAISE_REFERENCE,      /* stage digests equal the reference log's */
	APPRAISE_COUNT,
};

enum appraise_status { APPRAISE_PASS, APPRAISE_FAIL, APPRAISE_SKIPPED };

struct appraise_input {
	EVP_PKEY *ak;
	const uint8_t *attest;
	size_t attest_len;
	const TPMT_SIGNATURE *sig;
	const uint8_t *nonce;
	size_t nonce_len;
	const TPML_PCR_SELECTION *expect_sel; /* optional */
	const struct tpmdata_pcrs *pcrs;      /* optional; replay needs it */
	const struct eventlog *fwlog;         /* optional */
	const struct cel_log *cel;            /* optional */
	const struct cel_log *reference;      /* optional: a known-good CEL log */
	bool require_coverage;                /* quoted PCRs no log explains must be at
					       * their reset value (the service) */
	uint16_t sig_hash;                    /* optional: the hash the AK's scheme fixes
					       * (quote_input.sig_hash) */
	const uint32_t *allow_types;          /* optional: firmware event types outside
					       * the TCG spec that a policy allows */
	size_t n_allow_types;
};

/* Where a replay went wrong. */
struct appraise_failure {
	bool set;
	bool in_cel;        /* the named event is a CEL record, else a firmware event */
	long event;         /* event/record number, -1 when none can be named */
	unsigned pcr;
	uint16_t bank;
};

struct appraise_result {
	struct quote_result quote;
	enum appraise_status status[APPRAISE_COUNT];
	int code[APPRAISE_COUNT];     /* GW_E_* of a failed check */
	char msg[APPRAISE_COUNT][1024];
	struct gw_pcr_set replayed;   /* after the whole replay */
	uint32_t fw_pcrs, cel_pcrs;   /* PCRs each log extends */
	uint32_t unexplained;         /* quoted PCRs (in any bank) not at their reset
				       * value that no log event extends; computed
				       * whenever the PCR values are given, refused
				       * only with require_coverage */
	uint16_t unexplained_banks[GW_MAX_BANKS]; /* the banks where they are */
	size_t n_unexplained_banks;
	struct appraise_failure failure;
	int rc;                       /* first failure, 0 when all passed */
};

const char *appraise_check_name(enum appraise_check c);

/* "PCRs 13, 14 (sha1, sha256) hold measurements that no event log explains: ..."
 * for res->unexplained into buf; "" when there are none. GW_E_TOOBIG when buf is
 * too small: it then holds the text cut short, which still names the first PCRs. */
int appraise_unexplained_describe(const struct appraise_result *res, char *buf,
				  size_t len) GW_WUR;

/* Runs the checklist. Returns 0 when every check that ran passed; otherwise the
 * GW_E_* code of the first failure (GW_E_SIGNATURE ... GW_E_REFERENCE, GW_E_STAGE),
 * with its message in err and res->msg. Checks after a failed quote check do not
 * run; a replay failure still lets the other log's replay run. */
int appraise_quote(const struct appraise_input *in, struct appraise_result *res,
		   gw_error *err) GW_WUR;

#endif
