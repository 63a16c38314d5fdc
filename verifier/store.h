/* SPDX-License-Identifier: Apache-2.0 */
/* The verifier's persistent store: devices, pending enrollments, nonces, attestation
 * results, per-model policies and the hash-chained audit log, behind one interface
 * that several backends implement; this header brings in every part of it. */
#ifndef GW_STORE_H
#define GW_STORE_H

#include "store_handle.h"  /* handle, open, transactions, text caps, audit record */
#include "store_device.h"  /* devices, the TPM binding, the last attestation */
#include "store_attest.h"  /* nonces, attestation results */
#include "store_enroll.h"  /* pending enrollments */
#include "store_policy.h"  /* per-model policies */
#include "store_release.h" /* releases */
#include "store_updates.h" /* update keys, anti-rollback counters, update state */
#include "store_audit.h"   /* the audit log */
#include "store_upkeep.h"  /* retention, size, VACUUM, backup */

#endif
