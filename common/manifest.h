/* SPDX-License-Identifier: Apache-2.0 */
/* The bundle manifest: what a release is (models, channel, version, security
 * version, creation and expiry time, payloads with slot class, size and SHA-256,
 * release notes, reboot requirement, whether it is an end-of-life transition,
 * optionally a new trust root), strictly parsed
 * and formatted. Signed by the targets role of the trust root, in a DSSE envelope
 * of MANIFEST_PAYLOAD_TYPE that is the bundle's first tar member. */
#ifndef GW_MANIFEST_H
#define GW_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "gw_error.h"

#define MANIFEST_PAYLOAD_TYPE "application/vnd.gatewarden.manifest+json"
#define MANIFEST_MAX_SIZE (1024u * 1024) /* the signed envelope, bytes */
#define MANIFEST_MAX_MODELS 32
#define MANIFEST_MAX_PAYLOADS 8
#define MANIFEST_MAX_NOTES (64u * 1024)
/* model, channel, class: [A-Za-z0-9._-]{1,64}, the first a letter or digit (so a
 * class is never "." or ".." and "payload/" class stays one path component) */
#define MANIFEST_NAME_MAX 64
#define MANIFEST_VERSION_MAX 64		/* release version text: printable, no space */
#define MANIFEST_MAX_PAYLOAD_SIZE (64ull * 1024 * 1024 * 1024) /* one image */
#define MANIFEST_MAX_BOOT_FILES 8
#define MANIFEST_BOOT_PATH_MAX 255	/* "/" then printable ASCII, no space */

struct manifest_payload {
	char class_name[MANIFEST_NAME_MAX + 1]; /* slot class: rootfs, kernel, app, ... */
	char member[MANIFEST_NAME_MAX + 16];	 /* its tar member: "payload/" class */
	uint64_t size;				 /* bytes, exactly */
	uint8_t sha256[32];
	/* An encrypted manifest's: the tar member (the chunked ciphertext) */
	uint64_t stored_size;
	uint8_t stored_sha256[32];
};

/* A file the bootloader measures when it boots this release (its kernel, its
 * initramfs): where it lies in the slot image, for people (the bootloader's event
 * data naming it is not authenticated), and the SHA-256 of its bytes, which is the
 * digest GRUB extends (doc/updates.md, "Boot files"). */
struct manifest_boot_file {
	char path[MANIFEST_BOOT_PATH_MAX + 1];
	uint8_t sha256[32];
};

#define MANIFEST_WRAPPED_KEY_MAX 1024 /* the wrapped key's compact JSON, bytes */

struct manifest {
	char *models[MANIFEST_MAX_MODELS];
	size_t nmodels;			 /* >= 1 */
	char channel[MANIFEST_NAME_MAX + 1];
	char version[MANIFEST_VERSION_MAX + 1];
	uint64_t security_version;
	time_t created;			 /* UTC */
	time_t expires;			 /* UTC; 0 = no expiry */
	bool reboot_required;
	/* "eol_transition": the release moves a model past its end of support (the
	 * only kind offered after it); absent means false. */
	bool eol_transition;
	char *notes;			 /* NUL-terminated UTF-8, or NULL */
	struct manifest_payload payloads[MANIFEST_MAX_PAYLOADS];
	size_t npayloads;		 /* >= 1, distinct classes */
	uint8_t *root;			 /* a new signed trust root riding along, or NULL */
	size_t root_len;
	/* "encryption": payloads stored as PAYLOAD_AEAD_ALG chunks under a content key
	 * wrapped (keywrap.h, context "release") for the verifier's release key. */
	bool encrypted;
	uint32_t chunk_size;
	char *wrapped_key;		 /* its compact JSON text (keywrap_check()ed) */
	/* "boot_files": 0 when absent; distinct paths and distinct digests. */
	struct manifest_boot_file boot_files[MANIFEST_MAX_BOOT_FILES];
	size_t nboot_files;
	uint8_t digest[32];		 /* SHA-256 of the manifest document (payload) */
	char digest_hex[65];
};

/* Parse a manifest document (the envelope's payload) strictly: unknown keys,
 * duplicate classes, bad names, sizes over the caps, trailing data are errors.
 * Fills digest. Times are RFC 3339 UTC ("2027-12-02T00:00:00Z"); expires, when
 * present, is after created; a "root" must be a well-formed DSSE envelope of
 * ROOT_PAYLOAD_TYPE (its signatures are the installer's to check). With
 * "encryption" (alg, chunk_size, wrapped_key exactly) every payload has
 * "stored_size" (the chunked size of "size") and "stored_sha256"; without it, no
 * payload may have them (manifests of unencrypted bundles are unchanged).
 * "boot_files", when present, holds 1 to MANIFEST_MAX_BOOT_FILES objects of
 * "path" (MANIFEST_BOOT_PATH_MAX's rule) and "sha256" exactly, no path and no
 * digest twice. GW_E_PARSE,
 * GW_E_TOOBIG, GW_E_TRAILING, GW_E_UNSUPPORTED (a "format" other than 1),
 * GW_E_NOMEM. */
int manifest_parse(const uint8_t *buf, size_t len, struct manifest **out,
		   gw_error *err) GW_WUR;

/* Serialize m as a canonical JSON document (*out, NUL-terminated, the caller's):
 * compact, keys in a fixed order, "expires", "eol_transition", "notes",
 * "boot_files" and "root" only when set.
 * Writes only what manifest_parse() reads back. GW_E_NOMEM, GW_E_INVAL. */
int manifest_format(const struct manifest *m, char **out, size_t *out_len) GW_WUR;

/* The tar member of p: stored_size/stored_sha256 when m is encrypted, else the
 * image's size/sha256. */
uint64_t manifest_member_size(const struct manifest *m, const struct manifest_payload *p);
const uint8_t *manifest_member_sha256(const struct manifest *m, const struct manifest_payload *p);

/* s is a valid model, channel or class name (MANIFEST_NAME_MAX's rule). */
bool manifest_name_ok(const char *s);
/* s is a valid release version: 1 to MANIFEST_VERSION_MAX printable ASCII
 * characters, no space. */
bool manifest_version_ok(const char *s);

/* s is a valid boot file path: "/" and then 0 to MANIFEST_BOOT_PATH_MAX - 1
 * printable ASCII characters, no space. */
bool manifest_boot_path_ok(const char *s);

/* The boot file of m whose digest is sha256, or NULL. */
const struct manifest_boot_file *manifest_boot_file_of(const struct manifest *m,
						       const uint8_t sha256[32]);

/* True when m lists model. */
bool manifest_has_model(const struct manifest *m, const char *model);

/* The payload of slot class name, or NULL. */
const struct manifest_payload *manifest_payload_of(const struct manifest *m,
						   const char *class_name);

void manifest_free(struct manifest *m);

#endif
