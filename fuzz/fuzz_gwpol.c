// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the policy parser: parse with and without diagnostics, check
// that both agree, and that what parses holds the invariants the evaluator relies on.
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "gwpol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_digests(const struct gwpol_digests *d, size_t size)
{
	if (d->n == 0 || d->n > GWPOL_MAX_DIGESTS || d->size != size || !d->d)
		__builtin_trap();
	for (size_t i = 0; i < d->n; i++)
		for (size_t j = 0; j < i; j++)
			if (!memcmp(d->d[i], d->d[j], size))
				__builtin_trap();
}

static void check(const struct gwpol *p)
{
	const struct gwpol_firmware *fw = &p->fw;
	const struct gw_alg *alg = fw->present ? gw_alg_by_id(fw->bank) : NULL;
	TPML_PCR_SELECTION sel;
	char buf[16];

	if (p->version == 0 || p->model[0] == '\0' || strlen(p->model) > GWPOL_NAME_MAX)
		__builtin_trap();
	if (p->description && (!p->description[0] || strlen(p->description) > GWPOL_TEXT_MAX))
		__builtin_trap();
	if (fw->present) {
		/* "pcrs": {} is a rule too: the firmware log extends no PCR. */
		if (!alg || fw->n_pcrs > GW_NUM_PCRS || (fw->n_pcrs && !fw->pcrs))
			__builtin_trap();
		for (size_t i = 0; i < fw->n_pcrs; i++) {
			const struct gwpol_fw_pcr *r = &fw->pcrs[i];

			if (r->pcr >= GW_NUM_PCRS || (i && r->pcr <= fw->pcrs[i - 1].pcr))
				__builtin_trap();
			if (r->n > GWPOL_MAX_FW_EVENTS ||
			    (r->mode == GWPOL_PCR_UNCHECKED && r->n))
				__builtin_trap();
			for (size_t j = 0; j < r->n; j++) {
				check_digests(&r->ev[j].digests, alg->size);
				(void)gwpol_type_str(r->ev[j].type, buf, sizeof(buf));
			}
		}
		for (size_t i = 0; i < fw->n_required; i++) {
			const struct gwpol_required *q = &fw->required[i];

			if ((q->text && q->data) || q->data_len > GWPOL_MAX_DATA ||
			    (q->has_pcr && q->pcr >= GW_NUM_PCRS))
				__builtin_trap();
		}
		for (size_t i = 0; i < fw->n_allow_types; i++)
			if (eventlog_type_known(fw->allow_types[i]))
				__builtin_trap();
		if (fw->has_bootloader)
			check_digests(&fw->bootloader, alg->size);
		if (fw->has_kernel)
			check_digests(&fw->kernel, alg->size);
	}
	for (size_t i = 0; i < p->n_stages; i++)
		check_digests(&p->stages[i].digests, 32);
	if (p->trust.has_gate_key)
		check_digests(&p->trust.gate_key, 32);
	if (p->update.has_end_of_support &&
	    (p->update.support_ends % 86400 || p->update.support_ends < 946684800 + 86400))
		__builtin_trap();
	gwpol_selection(p, &sel);
	if (gw_pcrsel_count(&sel) == 0)
		__builtin_trap();
	if ((p->logs.firmware | p->logs.cel | gwpol_governed(p)) >> GW_NUM_PCRS)
		__builtin_trap();
	{
		/* Lint reads every rule against every other: any parsed policy. */
		static struct gwpol_diags ld;
		char buf[64];

		memset(&ld, 0, sizeof(ld));
		if (gwpol_lint(p, 0, &ld) < 0 || strlen(gwpol_pcrs_str(p->logs.firmware, buf,
								       sizeof(buf))) >= sizeof(buf))
			__builtin_trap();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct gwpol_diags d;
	struct gwpol *p = NULL, *q = NULL;
	gw_error err = { { 0 } }, err2 = { { 0 } };
	int rc, rc2;

	rc = gwpol_parse((const char *)data, size, &p, &d, &err);
	rc2 = gwpol_parse((const char *)data, size, &q, NULL, &err2);
	/* Collecting diagnostics changes nothing else. */
	if (rc != rc2 || (rc && strcmp(err.msg, err2.msg)))
		__builtin_trap();
	if (rc) {
		if (p || d.n == 0 || d.n > GWPOL_MAX_DIAGS)
			__builtin_trap();
		return 0;
	}
	if (d.n || d.dropped)
		__builtin_trap();
	check(p);
	gwpol_free(p);
	gwpol_free(q);
	return 0;
}
