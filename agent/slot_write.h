/* SPDX-License-Identifier: Apache-2.0 */
/* Writing one payload into one slot: checks that the device may be written (a
 * block device that is not mounted or held, or a regular image file; never a
 * device of the running group), streaming with a fixed buffer while hashing,
 * fsync, and reading the slot back past the page cache to compare its SHA-256. */
#ifndef GW_AGENT_SLOT_WRITE_H
#define GW_AGENT_SLOT_WRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "gw_error.h"

#define SLOT_BUF_SIZE (256u * 1024) /* the one buffer a payload streams through */
/* slot_write() flag: src fails at its end when its bytes' SHA-256 is not the
 * expected one (bundle_read() does), so slot_write does not hash them again; the
 * read-back is still compared. */
#define SLOT_SRC_VERIFIED 1u

/* What a device path names, once checked. */
struct slot_dev {
	bool block;	/* a block device (else a regular image file) */
	bool exists;	/* an image file may be missing: it is created */
	dev_t rdev;	/* block: the device number */
	dev_t dev;	/* file: the file system and inode */
	ino_t ino;
	uint64_t capacity; /* block: bytes */
	char path[4096];   /* as opened: a /dev symlink resolved */
};

/* Resolve and check path: a block device (a symlink is followed only under /dev,
 * to a block device) or a regular file (or nothing yet); anything else is
 * GW_E_STATE. A block device must not be mounted, hold a mounted partition or be
 * held by another device (device mapper, md), per mountinfo (the text of
 * /proc/self/mountinfo; NULL reads it); GW_E_STATE naming the mount point.
 * size (payload bytes) must fit a block device: GW_E_TOOBIG. */
int slot_dev_check(const char *path, uint64_t size, const char *mountinfo, struct slot_dev *out,
		   gw_error *err) GW_WUR;

/* Only what path names (no mount or size check): GW_E_STATE for a type that cannot
 * be a slot, GW_E_IO. */
int slot_dev_identify(const char *path, struct slot_dev *out, gw_error *err) GW_WUR;

/* a and b are the same device or file. */
bool slot_dev_same(const struct slot_dev *a, const struct slot_dev *b);

/* In the text of a mountinfo file, the mount point of the first mount whose
 * device is dev (into point, NUL-terminated, cut to len), or GW_E_NOTFOUND.
 * GW_E_PARSE for a line that is not in mountinfo's form. */
int slot_mountinfo_find(const char *text, size_t text_len, dev_t dev, char *point, size_t len,
			gw_error *err) GW_WUR;

/* Where the payload's bytes come from: fill up to len bytes of buf, *n = 0 at the
 * end (bundle_read()'s contract). */
typedef int (*slot_source_fn)(void *user, uint8_t *buf, size_t len, size_t *n,
			      gw_error *err);
/* Progress: bytes written (verifying false) or read back (true) of total. */
typedef void (*slot_progress_fn)(void *user, bool verifying, uint64_t done, uint64_t total);

/* Write exactly size bytes from src into d through one SLOT_BUF_SIZE buffer,
 * hashing as it writes (unless flags has SLOT_SRC_VERIFIED); an image file is
 * created (0600) when missing and resized to size; writeback started every few MiB,
 * fsync; then read the slot back without the page cache (its pages dropped and
 * checked gone with mincore, else O_DIRECT, else POSIX_FADV_DONTNEED where
 * O_DIRECT is refused) and compare its SHA-256 with sha256. GW_E_REFERENCE (what
 * was written or read back differs), GW_E_TRUNCATED (src ended early), GW_E_TOOBIG
 * (src gave more), GW_E_STATE (d is no longer the device that was checked),
 * GW_E_IO, src's codes. */
int slot_write(const struct slot_dev *d, uint64_t size, const uint8_t sha256[32],
	       unsigned flags, slot_source_fn src, void *src_user, slot_progress_fn progress,
	       void *prog_user, gw_error *err) GW_WUR;

#endif
