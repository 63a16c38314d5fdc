/* SPDX-License-Identifier: Apache-2.0 */
/* Reading and writing bundles: a POSIX (ustar/pax) tar, read and written with
 * libarchive, whose first member "manifest.dsse" is the DSSE envelope of the
 * manifest, followed by exactly the manifest's payloads in manifest order. The
 * reader streams: it verifies the envelope against the targets role of a trust root
 * before it reads anything else, then hands out payload bytes while hashing them,
 * and refuses anything the manifest does not list exactly (extra, missing,
 * reordered, duplicated or oversized members, links, devices, directories,
 * absolute or ".." paths). Never buffers a payload. */
#ifndef GW_BUNDLE_H
#define GW_BUNDLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>

#include "dsse.h"
#include "gw_error.h"
#include "manifest.h"
#include "root.h"

#define BUNDLE_MANIFEST_MEMBER "manifest.dsse"
#define BUNDLE_PAYLOAD_PREFIX "payload/"

struct bundle_reader;

/* Start reading a bundle from fd (a file, a pipe or standard input; not closed).
 * Reads the first member, which must be BUNDLE_MANIFEST_MEMBER, parses its envelope
 * and verifies it against the targets role of root (a threshold of distinct
 * targets keys), then parses the manifest. Nothing after the first member is read
 * before this succeeds. res (optional) receives the signature count.
 * GW_E_SIGNATURE (below threshold, unknown signers: the detail names them),
 * GW_E_PARSE (not a tar, wrong first member, malformed envelope or manifest),
 * GW_E_TOOBIG, GW_E_TRUNCATED, GW_E_IO, GW_E_NOMEM. */
int bundle_open_fd(int fd, const struct root *root, struct dsse_result *res,
		   struct bundle_reader **out, gw_error *err) GW_WUR;

/* Like bundle_open_fd() without any signature check, for `gwpolicy bundle inspect`:
 * the envelope and the manifest are parsed (the payload type must be
 * MANIFEST_PAYLOAD_TYPE) but NOT verified, so nothing in them may be trusted; the
 * payload functions refuse such a reader (GW_E_STATE). */
int bundle_open_unverified(int fd, struct bundle_reader **out, gw_error *err) GW_WUR;

/* The parsed envelope (owned by the reader): its signatures, for reports. */
const struct dsse_envelope *bundle_dsse(const struct bundle_reader *r);

/* The verified manifest (owned by the reader) and its signed envelope bytes. */
const struct manifest *bundle_manifest(const struct bundle_reader *r);
int bundle_envelope(const struct bundle_reader *r, const uint8_t **buf, size_t *len) GW_WUR;

/* Advance to the next payload: its header must be the next one the manifest lists
 * (member name, regular file, exact size). *p points into the manifest.
 * GW_E_PARSE (extra/missing/reordered/duplicated member, a link, a device, a
 * directory, a bad path, a size other than the manifest's), GW_E_TRUNCATED,
 * GW_E_IO. A payload the caller did not read to its end is read and its digest
 * checked first (GW_E_REFERENCE). After the last payload it returns GW_E_NOTFOUND
 * when the archive ends there and GW_E_PARSE when anything follows. After any
 * error every call returns GW_E_STATE. */
int bundle_next_payload(struct bundle_reader *r, const struct manifest_payload **p,
			gw_error *err) GW_WUR;

/* Read up to len bytes of the current payload into buf; *n = 0 at its end. At the
 * end the SHA-256 of what was read is compared with the manifest's: GW_E_REFERENCE
 * when it differs (the caller must discard what it wrote). GW_E_TRUNCATED, GW_E_IO,
 * GW_E_INVAL (len 0). */
int bundle_read(struct bundle_reader *r, uint8_t *buf, size_t len, size_t *n,
		gw_error *err) GW_WUR;

/* The archive ends after the manifest's payloads: reads and checks (digests
 * included) every payload the caller did not, then the end of the archive.
 * GW_E_PARSE when a member follows or a payload is missing, and the codes of
 * bundle_next_payload() and bundle_read(). Bytes after the tar end-of-archive
 * blocks are not read. */
int bundle_finish(struct bundle_reader *r, gw_error *err) GW_WUR;

void bundle_reader_free(struct bundle_reader *r);

/* For an encrypted manifest: size and SHA-256 of the image file at path, and size
 * and SHA-256 of its chunked encryption under cek as payload number index, into p
 * (the rest of p untouched). Codes of bundle_measure(). */
int bundle_measure_encrypted(const char *path, const uint8_t cek[32], uint32_t index,
			     uint32_t chunk_size, struct manifest_payload *p, gw_error *err) GW_WUR;

/* Size and SHA-256 of an image file (a regular file of 1 byte to
 * MANIFEST_MAX_PAYLOAD_SIZE), read once through a fixed buffer, for a manifest.
 * GW_E_NOTFOUND, GW_E_IO, GW_E_INVAL, GW_E_NOMEM. */
int bundle_measure(const char *path, uint64_t *size, uint8_t sha256[32], gw_error *err) GW_WUR;

/* Write a bundle to fd: the envelope (JSON text, envelope_len bytes), then each
 * payload file of the manifest in order (paths[i] for m->payloads[i], whose size
 * and SHA-256 must match: GW_E_REFERENCE otherwise). Deterministic headers (mtime =
 * manifest created, uid/gid 0, mode 0644; ustar, pax only for a payload of 8 GiB
 * or more). On failure what was written is not a bundle: the caller discards it.
 * GW_E_IO, GW_E_NOTFOUND, GW_E_TOOBIG, GW_E_NOMEM; GW_E_INVAL for an encrypted m. */
int bundle_write_fd(int fd, const uint8_t *envelope, size_t envelope_len,
		    const struct manifest *m, const char *const *paths, gw_error *err) GW_WUR;

/* bundle_write_fd() that encrypts each payload under cek (m->encrypted; each
 * member stored_size bytes whose SHA-256 must be stored_sha256) while it writes;
 * cek NULL: bundle_write_fd() for an unencrypted m. */
int bundle_write_encrypted_fd(int fd, const uint8_t *envelope, size_t envelope_len,
			      const struct manifest *m, const char *const *paths,
			      const uint8_t *cek, gw_error *err) GW_WUR;

#endif
