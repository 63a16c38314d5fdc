/* SPDX-License-Identifier: Apache-2.0 */
/* A policy draft from a golden device's logs (`gwpolicy from-eventlog`): every rule
 * the logs support, each firmware rule commented with the event it came from. */
#ifndef GW_GWPOL_DRAFT_H
#define GW_GWPOL_DRAFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cel.h"
#include "digest.h"
#include "eventlog.h"
#include "gw_error.h"

struct json_object;

struct gwpol_draft_stage {
	const char *name;
	uint8_t sha256[32];
};

struct gwpol_draft_input {
	const char *model;
	uint32_t version;
	const char *description;             /* optional */
	const struct eventlog *fwlog;        /* optional: firmware rules */
	uint16_t bank;                       /* firmware rules' bank; 0: sha256 if the
					      * log has a complete one, else sha1 */
	bool allowed;                        /* "allowed" lists instead of "sequence" */
	const struct cel_log *cel;           /* optional: stage and gate-key rules */
	const struct gwpol_draft_stage *stages; /* optional: more stage rules (files) */
	size_t n_stages;
	bool has_gate_key;
	uint8_t gate_key[32];                /* SHA-256 of the gate key's DER */
};

/* Build the draft as a new json-c object (*out, released with json_object_put()).
 * The draft parses with gwpol_parse() and, appraised against the very logs it came
 * from, is affirming. Errors: GW_E_INVAL (no model, or nothing to draft from),
 * GW_E_UNSUPPORTED (the log has no complete bank to draft from, or not the one
 * asked for), GW_E_NOMEM. */
int gwpol_draft(const struct gwpol_draft_input *in, struct json_object **out,
		gw_error *err) GW_WUR;

#endif
