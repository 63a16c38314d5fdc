// SPDX-License-Identifier: Apache-2.0
// Maps library error codes to process exit codes.
#include "exitcode.h"

#include "gw_error.h"

int gw_exit_for(int err)
{
	switch (err) {
	case GW_OK:
		return GW_EXIT_OK;
	case GW_E_INVAL:
		return GW_EXIT_USAGE;
	case GW_E_CONFIG:
		return GW_EXIT_CONFIG;
	case GW_E_TPM:
		return GW_EXIT_TPM;
	case GW_E_STATE:
		return GW_EXIT_STATE;
	case GW_E_STAGE:
		return GW_EXIT_STAGE;
	case GW_E_SIGNATURE:
		return GW_EXIT_SIGNATURE;
	case GW_E_MAGIC:
		return GW_EXIT_MAGIC;
	case GW_E_ATTEST_TYPE:
		return GW_EXIT_TYPE;
	case GW_E_NONCE:
		return GW_EXIT_NONCE;
	case GW_E_PCRSEL:
		return GW_EXIT_PCRSEL;
	case GW_E_PCRDIGEST:
		return GW_EXIT_PCRDIGEST;
	case GW_E_FWLOG:
		return GW_EXIT_FWLOG;
	case GW_E_CEL:
		return GW_EXIT_CEL;
	case GW_E_REFERENCE:
		return GW_EXIT_REFERENCE;
	case GW_E_PARSE:
	case GW_E_TRUNCATED:
	case GW_E_TOOBIG:
	case GW_E_TRAILING:
	case GW_E_KEY:
		return GW_EXIT_EVIDENCE;
	default:
		return GW_EXIT_ERROR;
	}
}
