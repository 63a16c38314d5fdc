/* SPDX-License-Identifier: Apache-2.0 */
/* Building evidence on the gateway: quote with the AK, the PCR values, the CEL log
 * and the firmware log; the one code path of `gwagent quote` and `gwagent attest`. */
#ifndef GW_AGENT_EVIDENCE_BUILD_H
#define GW_AGENT_EVIDENCE_BUILD_H

#include <stddef.h>
#include <stdint.h>

#include "agent.h"
#include "evidence.h"

#define EVIDENCE_DEFAULT_FIRMWARE_LOG "/sys/kernel/security/tpm0/binary_bios_measurements"

/* Every active bank, PCRs 0-7, the stage PCR and the trust PCR. */
int evidence_default_selection(struct agent_ctx *ctx, TPML_PCR_SELECTION *sel,
			       gw_error *err) GW_WUR;

/* Fill *ev (which the caller zeroed): sync the event log to this reset cycle (takes
 * the state lock), quote sel with the AK at cfg.ak_handle and qualifying data nonce
 * (1-64 bytes), read PCR values consistent with the quote, attach the CEL log and
 * the firmware log (fwpath, else the config's firmware_log, else
 * EVIDENCE_DEFAULT_FIRMWARE_LOG when readable). GW_E_STATE (with err saying so) when
 * there is no AK. The members are freed by evidence_build_clear, also after a
 * failure. */
int evidence_build(struct agent_ctx *ctx, const uint8_t *nonce, size_t nonce_len,
		   const TPML_PCR_SELECTION *sel, const char *fwpath, struct evidence *ev,
		   gw_error *err) GW_WUR;
void evidence_build_clear(struct evidence *ev);

/* Incremental upload: when the verifier holds the first `records` (> 0) records of
 * this boot's log (the quote's resetCount equals reset_count, our log has at least
 * that many complete records and the SHA-256 of their bytes is sha256), replace
 * ev->cel by the bytes after them and set ev->cel_offset. Otherwise leave the whole
 * log (ev->cel_offset stays 0). Fails only with GW_E_NOMEM. */
int evidence_cel_trim(struct evidence *ev, uint32_t records, const uint8_t sha256[32],
		      uint32_t reset_count) GW_WUR;

#endif
