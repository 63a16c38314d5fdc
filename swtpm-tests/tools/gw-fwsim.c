// SPDX-License-Identifier: Apache-2.0
// Firmware simulator for tests: replays a real firmware event log into a TPM's PCRs,
// as the platform firmware that wrote the log would have.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tss2/tss2_tcti.h>

#include "eventlog.h"
#include "tpm.h"
#include "util.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: gw-fwsim locality LOG\n"
		   "       gw-fwsim startup [--tcti TCTI] LOG\n"
		   "       gw-fwsim replay [--tcti TCTI] LOG\n\n"
		   "locality: print the locality TPM2_Startup must come from so that PCR 0 starts\n"
		   "          as the log says (0, or the StartupLocality event's value); exit 3 when\n"
		   "          the log needs an H-CRTM, which this simulator cannot reproduce.\n"
		   "startup:  send TPM2_Startup(CLEAR) from that locality (the TPM must be\n"
		   "          waiting for it: power-cycled without startup).\n"
		   "replay:   extend every event of LOG (EV_NO_ACTION excepted) into the PCR it\n"
		   "          names, in every active bank of the TPM, with the log's digest for\n"
		   "          that bank. The TPM must have just started (PCRs at reset values).\n"
		   "          TCTI from --tcti or $GW_TCTI.\n");
}

static int load(const char *path, struct eventlog **log)
{
	gw_error err = { { 0 } };
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	rc = gw_read_file(path, EVENTLOG_MAX_LEN, &buf, &len, &err);
	if (!rc)
		rc = eventlog_parse(buf, len, log, &err);
	free(buf);
	if (rc)
		fprintf(stderr, "gw-fwsim: %s: %s\n", path, gw_error_msg(&err, rc));
	return rc;
}

static int startup(const char *tcti, const struct eventlog *log)
{
	struct agent_tpm *tpm = NULL;
	uint8_t loc = log->has_locality ? log->locality : 0;
	gw_error err = { { 0 } };
	TSS2_RC trc;
	int rc;

	rc = tpm_open(tcti, &tpm, &err);
	if (rc) {
		fprintf(stderr, "gw-fwsim: %s\n", gw_error_msg(&err, rc));
		return rc;
	}
	/* PCR 0 starts as 0...0LL when TPM2_Startup comes from locality LL (3). */
	trc = Tss2_Tcti_SetLocality(tpm->tcti, loc);
	if (trc == TSS2_RC_SUCCESS)
		trc = Esys_Startup(tpm->esys, TPM2_SU_CLEAR);
	if (trc == TSS2_RC_SUCCESS)
		trc = Tss2_Tcti_SetLocality(tpm->tcti, 0);
	if (trc != TSS2_RC_SUCCESS) {
		fprintf(stderr, "gw-fwsim: TPM2_Startup at locality %u: 0x%x\n", loc, trc);
		rc = GW_E_TPM;
	} else {
		printf("gw-fwsim: TPM2_Startup(CLEAR) at locality %u\n", loc);
	}
	tpm_close(tpm);
	return rc;
}

static int replay(const char *tcti, const struct eventlog *log)
{
	struct agent_tpm *tpm = NULL;
	uint16_t algs[GW_MAX_BANKS];
	size_t nalgs = 0, extended = 0;
	gw_error err = { { 0 } };
	int rc;

	rc = tpm_open(tcti, &tpm, &err);
	if (!rc)
		rc = tpm_active_banks(tpm, algs, &nalgs, &err);
	for (size_t i = 0; !rc && i < log->nevents; i++) {
		const struct eventlog_event *ev = &log->events[i];
		uint8_t d[GW_MAX_BANKS][GW_MAX_DIGEST];

		if (ev->type == EV_NO_ACTION)
			continue;
		for (size_t b = 0; b < nalgs && !rc; b++) {
			bool found = false;

			for (size_t k = 0; k < ev->ndigests && !found; k++)
				if (ev->digests[k].alg == algs[b]) {
					memcpy(d[b], ev->digests[k].d, GW_MAX_DIGEST);
					found = true;
				}
			if (!found)
				rc = gw_fail(&err, GW_E_UNSUPPORTED,
					     "event %u has no %s digest, but the TPM has that bank "
					     "active: start swtpm with the log's banks",
					     ev->num, gw_alg_by_id(algs[b])->name);
		}
		if (!rc)
			rc = tpm_pcr_extend(tpm, ev->pcr, algs, (const uint8_t(*)[GW_MAX_DIGEST])d,
					    nalgs, &err);
		extended++;
	}
	if (rc)
		fprintf(stderr, "gw-fwsim: %s\n", gw_error_msg(&err, rc));
	else
		printf("gw-fwsim: extended %zu firmware events\n", extended);
	tpm_close(tpm);
	return rc;
}

int main(int argc, char **argv)
{
	struct eventlog *log = NULL;
	const char *tcti = getenv("GW_TCTI");
	int rc = 1;

	if (argc == 3 && !strcmp(argv[1], "locality")) {
		if (load(argv[2], &log))
			return 1;
		if (log->hcrtm) {
			fprintf(stderr, "gw-fwsim: the log starts with an H-CRTM sequence\n");
			rc = 3;
		} else {
			printf("%u\n", log->has_locality ? log->locality : 0);
			rc = 0;
		}
	} else if ((argc == 3 || argc == 5) &&
		   (!strcmp(argv[1], "replay") || !strcmp(argv[1], "startup"))) {
		if (argc == 5) {
			if (strcmp(argv[2], "--tcti")) {
				usage(stderr);
				return 2;
			}
			tcti = argv[3];
		}
		if (!tcti) {
			fprintf(stderr, "gw-fwsim: no TCTI: use --tcti or set GW_TCTI\n");
			return 2;
		}
		if (load(argv[argc - 1], &log))
			return 1;
		if (!strcmp(argv[1], "startup"))
			rc = startup(tcti, log) ? 1 : 0;
		else
			rc = replay(tcti, log) ? 1 : 0;
	} else {
		usage(argc == 2 && !strcmp(argv[1], "--help") ? stdout : stderr);
		return argc == 2 && !strcmp(argv[1], "--help") ? 0 : 2;
	}
	eventlog_free(log);
	return rc;
}
