/* SPDX-License-Identifier: Apache-2.0 */
/* What a device's authentic agent log says about its updates: the release its
 * boot service measured as running in this boot, whether a trial is pending, and
 * each outcome record (staged, committed, rolled back, fell back) with its place in
 * PCR 14. Only a log whose replay matched a genuine quote is read: each update
 * record's digest in every bank must be the hash of its whole text
 * (update_event_from_record), so kind, group, version and manifest are what the TPM
 * quoted; a record that is not is ignored and counted. */
#ifndef GW_VERIFIER_DEVICE_UPDATES_H
#define GW_VERIFIER_DEVICE_UPDATES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "update_event.h"

#define DEVICE_UPDATES_MAX_OUTCOMES 16 /* outcome records kept per log (the last) */

struct device_update_outcome {
	struct update_event ev;
	uint64_t position;	/* 1-based place among the log's PCR 14 records */
};

struct device_updates {
	bool has_running;
	struct update_event running;	/* the FIRST running record of the boot: the boot
					 * service writes it before anything else runs */
	size_t later_running;		/* further running records: not believed */
	bool trial_pending;		/* a staged record after the running one, and no
					 * committed, rolled-back or fell-back after it */
	struct update_event trial;	/* that staged record, when trial_pending */
	struct device_update_outcome outcome[DEVICE_UPDATES_MAX_OUTCOMES];
	size_t n_outcomes;
	size_t outcomes_dropped;	/* outcome records beyond the kept ones */
	uint64_t pcr14_records;		/* PCR 14 records in the log */
	size_t ignored;			/* update records that do not parse, or whose
					 * digests are not the hash of their text */
	char first_ignored[160];	/* why the first of those was ignored */
};

/* Read the update records of PCR 14 from an agent log (CEL-JSON). GW_E_PARSE (and
 * cel_parse's codes) for a log that does not parse. */
int device_updates_read(const uint8_t *cel, size_t len, struct device_updates *out,
			gw_error *err) GW_WUR;

/* Same, from a parsed log. */
void device_updates_scan(const struct cel_log *log, struct device_updates *out);

#endif
