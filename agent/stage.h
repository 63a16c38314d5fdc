/* SPDX-License-Identifier: Apache-2.0 */
/* Measuring one file of a boot stage, or the failure to read it. */
#ifndef GW_AGENT_STAGE_H
#define GW_AGENT_STAGE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "agent.h"

struct stage_banks {
	size_t n;
	uint16_t alg[GW_MAX_BANKS];
};

/* The TPM's active banks; every extend goes to all of them. */
int stage_banks_get(struct agent_ctx *ctx, struct stage_banks *b, gw_error *err) GW_WUR;

/* Hash file, log it as stage `stage`, extend the stage PCR. When the file cannot be
 * read, logs and extends a "stage-failed" record instead (so the PCR still moves)
 * and returns GW_E_STAGE with the reason in err. Prints one line to out (text, or a
 * JSON object when json). */
int stage_measure_file(struct agent_ctx *ctx, const struct stage_banks *b, const char *stage,
		       const char *file, bool json, FILE *out, gw_error *err) GW_WUR;

#endif
