/* SPDX-License-Identifier: Apache-2.0 */
/* Process exit codes of gwagent, gwverifier and gwpolicy (doc/exit-codes.md). Stable:
 * new codes are appended, never renumbered. */
#ifndef GW_EXITCODE_H
#define GW_EXITCODE_H

enum gw_exit {
	GW_EXIT_OK = 0,
	GW_EXIT_ERROR = 1,      /* runtime failure not listed below (I/O, memory) */
	GW_EXIT_USAGE = 2,      /* bad command line */
	GW_EXIT_CONFIG = 3,     /* configuration file missing or invalid */
	GW_EXIT_TPM = 4,        /* TPM unreachable or a TPM command failed */
	GW_EXIT_STATE = 5,      /* not allowed now (not provisioned, boot already ran) */
	GW_EXIT_STAGE = 6,      /* a boot stage could not be measured */
	/* Appraisal results (gwverifier check-quote). */
	GW_EXIT_SIGNATURE = 10, /* quote signature does not verify with the AK */
	GW_EXIT_MAGIC = 11,     /* not TPM_GENERATED_VALUE */
	GW_EXIT_TYPE = 12,      /* not a quote */
	GW_EXIT_NONCE = 13,     /* qualifying data is not the nonce */
	GW_EXIT_PCRSEL = 14,    /* quoted selection differs from the expected one */
	GW_EXIT_PCRDIGEST = 15, /* PCR values do not match the quote */
	GW_EXIT_FWLOG = 16,     /* firmware event log does not replay to the quoted PCRs */
	GW_EXIT_CEL = 17,       /* CEL event log does not replay to the quoted PCRs */
	GW_EXIT_REFERENCE = 18, /* a measurement differs from the reference values */
	GW_EXIT_EVIDENCE = 19,  /* evidence, log or key file malformed */
	/* gwagent's conversations with the verifier (enroll, attest). */
	GW_EXIT_PENDING = 20,   /* enrolled, waiting for an operator's approval */
	GW_EXIT_REFUSED = 21,   /* the verifier refused the request (a 4xx error code) */
	GW_EXIT_UNREACHABLE = 22, /* transport failure or a 5xx answer: worth retrying */
	GW_EXIT_WARNING = 23,   /* attestation result: warning */
	GW_EXIT_CONTRAINDICATED = 24, /* attestation result: contraindicated */
	GW_EXIT_RESULT = 25,    /* an answer or EAR that is malformed, does not verify with the
				 * pinned gate key, is not this round's, or has expired */
	/* gwagent update install's refusals (nothing of the running group touched). */
	GW_EXIT_UPDATE_SIGNATURE = 30, /* bundle not signed by the pinned root's targets keys */
	GW_EXIT_UPDATE_BUNDLE = 31,   /* bundle malformed, truncated or tampered */
	GW_EXIT_UPDATE_MODEL = 32,    /* not for this device's model */
	GW_EXIT_UPDATE_CHANNEL = 33,  /* for another channel */
	GW_EXIT_UPDATE_EXPIRED = 34,  /* the manifest has expired */
	GW_EXIT_UPDATE_ROLLBACK = 35, /* security version below the anti-rollback counter */
	GW_EXIT_UPDATE_SLOTS = 36,    /* payload classes or target devices do not fit */
	GW_EXIT_UPDATE_VERIFY = 37,   /* a slot did not read back as written */
	GW_EXIT_UPDATE_ROOT = 38,     /* the pinned trust root expired and the bundle carries
				       * no valid unexpired successor, or its carried root is
				       * not a valid successor of the pinned one */
	GW_EXIT_UPDATE_ENCRYPTED = 39, /* encrypted bundle: needs an authorized content key */
	/* gwagent boot: a trial boot's health check failed; the group was marked bad
	 * and the reboot command run. */
	GW_EXIT_ROLLED_BACK = 40,
	/* gwagent update apply / install: the verifier did not authorize the release
	 * (its reason is printed), or a plain bundle without an authorization. */
	GW_EXIT_UPDATE_UNAUTHORIZED = 45,
};

/* Exit code for a library error code. */
int gw_exit_for(int err);

#endif
