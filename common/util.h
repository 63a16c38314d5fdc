/* SPDX-License-Identifier: Apache-2.0 */
/* Small helpers every component uses: hex, base64, bounded file reads, atomic
 * writes. */
#ifndef GW_UTIL_H
#define GW_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gw_error.h"

#define GW_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Lower-case hex of len bytes into out, which must hold 2*len+1 bytes. */
void gw_hex_encode(const uint8_t *in, size_t len, char *out);

/* Untrusted text for a message: at most len - 1 bytes of s, every byte outside
 * printable ASCII as '?', so it cannot carry terminal escapes or forge lines.
 * NULL reads "?". Returns out. */
const char *gw_clean_text(const char *s, char *out, size_t len);
/* Decode a hex string (even length, either case, optional "0x" prefix) into a new
 * buffer; *out is freed by the caller. */
int gw_hex_decode(const char *hex, uint8_t **out, size_t *out_len, gw_error *err) GW_WUR;
/* Decode exactly want bytes of hex into out. */
int gw_hex_decode_fixed(const char *hex, uint8_t *out, size_t want, gw_error *err) GW_WUR;

/* Standard base64 with padding; *out is NUL-terminated and freed by the caller. */
int gw_b64_encode(const uint8_t *in, size_t len, char **out) GW_WUR;
int gw_b64_decode(const char *in, uint8_t **out, size_t *out_len, gw_error *err) GW_WUR;

/* Read a whole file of at most cap bytes. *out is NUL-terminated (not counted in
 * *out_len) and freed by the caller. GW_E_TOOBIG when larger than cap. */
int gw_read_file(const char *path, size_t cap, uint8_t **out, size_t *out_len,
		 gw_error *err) GW_WUR;

/* Replace path atomically: write a temporary file in the same directory (path
 * GW_TMP_INFIX 16 random hex digits, created O_EXCL), fsync, rename over path,
 * on FAT fsync the renamed file (its directory entry), fsync the directory. A
 * crash can leave the temporary file behind. */
#define GW_TMP_INFIX ".tmp."
int gw_write_file_atomic(const char *path, const void *data, size_t len, unsigned mode,
			 gw_error *err) GW_WUR;

/* Create a new temporary file beside path (path GW_TMP_INFIX 16 random hex
 * digits, O_EXCL|O_NOFOLLOW, mode) for a caller that writes it in pieces, then
 * fsyncs, closes and gw_rename_durable()s it over path. *fd and tmp (tmp_size
 * bytes) are set on success. GW_E_IO, GW_E_CRYPTO, GW_E_TOOBIG. */
int gw_open_tmp(const char *path, unsigned mode, char *tmp, size_t tmp_size, int *fd,
		gw_error *err) GW_WUR;

/* rename(from, to), then (on FAT) fsync to, and fsync the directory of to: the
 * rename survives a crash. GW_E_IO (naming the paths) on failure. */
int gw_rename_durable(const char *from, const char *to, gw_error *err) GW_WUR;

/* Move the written and fsynced file tmp to path unless path exists (as a file,
 * directory or symlink, dangling or not): atomically, so a name created meanwhile
 * is never replaced (renameat2 RENAME_NOREPLACE, or link + unlink where the file
 * system lacks it); then, on FAT, fsync the moved file (as gw_rename_durable
 * does), and fsync the directory of path. GW_E_EXISTS when path exists: tmp is
 * kept, the caller removes it. GW_E_IO otherwise (path may then be in place: when
 * only a fsync failed, or, after the link, the removal of tmp, which then names
 * the same file). */
int gw_link_durable(const char *tmp, const char *path, gw_error *err) GW_WUR;

/* fsync the directory dir (what makes a created, renamed or removed name in it
 * durable). GW_E_IO naming dir when it cannot be opened or fsynced. */
int gw_fsync_dir(const char *dir, gw_error *err) GW_WUR;

/* Append len bytes to path (created with mode if missing) and fsync it before
 * returning. */
int gw_append_durable(const char *path, const void *data, size_t len, unsigned mode,
		      gw_error *err) GW_WUR;

/* mkdir -p with the given mode for new directories. */
int gw_mkdir_p(const char *path, unsigned mode, gw_error *err) GW_WUR;

/* snprintf that reports truncation as GW_E_TOOBIG. */
int gw_snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4))) GW_WUR;

/* Parse a whole decimal unsigned number in [0, max]. */
int gw_parse_u64(const char *s, uint64_t max, uint64_t *out) GW_WUR;
/* Parse a decimal unsigned number in [0, max] at *p that ends at the character
 * `end` (which may be '\0'): one digit at least, nothing else before end. On
 * success *p is past end (at it for '\0'). GW_E_PARSE, GW_E_TOOBIG; *p and *out
 * unchanged on failure. For numbers inside header values ("bytes A-B/T"). */
int gw_parse_u64_until(const char **p, char end, uint64_t max, uint64_t *out) GW_WUR;

/* Constant-time comparison; true when equal. */
bool gw_ct_equal(const void *a, const void *b, size_t len);

/* s (NUL-terminated) is UTF-8 at least as strict as json-c's, so that what we
 * write we can read: no overlong forms, no surrogates, nothing above U+10FFFF. */
bool gw_utf8_valid(const char *s);
/* The first n bytes of s, shortened so that they do not end inside a UTF-8
 * sequence: an incomplete one at the end is left out. For text cut to fit a
 * buffer; bytes that are no UTF-8 before it are not its business. */
size_t gw_utf8_cut(const char *s, size_t n);

/* s is 1 to max characters of A-Z a-z 0-9 . _ - (the rule for device ids, models,
 * channels, slot classes and release ids). */
bool gw_name_ok(const char *s, size_t max);

/* Wipe memory that held a secret. */
void gw_wipe(void *p, size_t len);

/* "YYYY-MM-DDTHH:MM:SSZ" (RFC 3339, UTC, no fraction) and its terminator. */
#define GW_TIME_LEN 21
/* Parse exactly that form, a date that exists, 1970 or later, into seconds since
 * the epoch. GW_E_PARSE otherwise. */
int gw_time_parse_utc(const char *s, int64_t *out) GW_WUR;
/* Seconds since the epoch in that form ("@SECONDS" if the date cannot be shown). */
void gw_time_format_utc(int64_t ts, char buf[GW_TIME_LEN]);

#define GW_NS_PER_S 1000000000ull

/* CLOCK_MONOTONIC in nanoseconds (0 if the clock cannot be read). */
uint64_t gw_mono_ns(void);

/* A file the program trusts (a key, a CA, a trust root) must sit in a directory
 * only its owner can change: one writable by its group or others (without the
 * sticky bit) lets them rename the file away and put their own in its place,
 * whatever the file's own mode. GW_E_CONFIG naming the directory and its mode;
 * GW_E_IO when it cannot be examined. */
int gw_check_trusted_dir(const char *file, gw_error *err) GW_WUR;

#endif
