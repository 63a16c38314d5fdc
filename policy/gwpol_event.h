/* SPDX-License-Identifier: Apache-2.0 */
/* What policy rules read from a firmware event beyond its digest: UEFI variables,
 * text, and whether the data is covered by the digest. Shared by the evaluator and
 * the draft maker so both read events the same way. */
#ifndef GW_GWPOL_EVENT_H
#define GW_GWPOL_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "eventlog.h"

/* EFI_GLOBAL_VARIABLE (SecureBoot, PK, KEK) and EFI_IMAGE_SECURITY_DATABASE_GUID
 * (db, dbx), as laid out in memory. */
extern const uint8_t gwpol_efi_global_guid[16];
extern const uint8_t gwpol_efi_imgdb_guid[16];

/* The event's digest in bank alg, NULL if it has none. */
const uint8_t *gwpol_event_digest(const struct eventlog_event *ev, uint16_t alg);
/* Does the event's data hash to its digest in bank alg, and in every other bank
 * the event carries a digest for? Only then may a rule read the data: a log is
 * authenticated through its digests alone. */
bool gwpol_event_data_authentic(const struct eventlog_event *ev, uint16_t alg);
/* Is the digest of an event of this type the hash of its data, per the PFP spec
 * and in every committed real log (doc/eventlog-formats.md)? */
bool gwpol_type_digest_is_data(uint32_t type);
/* Is the data text, as ASCII or UCS-2 (UTF-16LE of ASCII), with or without a
 * terminating NUL? */
bool gwpol_data_is_text(const uint8_t *d, size_t len, const char *text);
/* Is the event's data a UEFI_VARIABLE_DATA of variable name (ASCII) of vendor guid?
 * Then *vdata and *vlen are its VariableData. Bounds-checked. */
bool gwpol_efi_variable_is(const struct eventlog_event *ev, const uint8_t guid[16],
			   const char *name, const uint8_t **vdata, size_t *vlen);
/* Does the event extend a PCR (0-23; EV_NO_ACTION events extend nothing)? */
bool gwpol_event_extends(const struct eventlog_event *ev);
/* The measurement of UEFI variable name of vendor guid in PCR 7, as the evaluator
 * and the draft read it: an event whose data is that UEFI_VARIABLE_DATA and hashes
 * to its digest in every bank (gwpol_event_data_authentic() with bank), whatever
 * its type label, except EV_EFI_VARIABLE_AUTHORITY (one db entry under db's
 * name). Returns the first such event (*vdata, *vlen its VariableData), NULL if
 * none; *count is the number of them, *forged the number of events with the
 * variable's name whose data does not hash to their digest. */
const struct eventlog_event *gwpol_efi_variable_find(const struct eventlog *log, uint16_t bank,
						     const uint8_t guid[16], const char *name,
						     const uint8_t **vdata, size_t *vlen,
						     size_t *count, size_t *forged);
/* The EV_EFI_BOOT_SERVICES_APPLICATION events of PCR 4, in PCR 4's own order:
 * their number, the first and the last (NULL when none). Only PCR 4's sequence is
 * authenticated, so nothing on another PCR (ExitBootServices) places them. */
size_t gwpol_boot_apps(const struct eventlog *log, const struct eventlog_event **first,
		       const struct eventlog_event **last);

#endif
