/* SPDX-License-Identifier: Apache-2.0 */
/* The audit archive file (`gwverifier audit export`): JSON lines, a header naming
 * the hash the first record chains from, the records exactly as stored (detail as
 * its stored text, so every hash can be recomputed), and a trailer naming the
 * anchor: the last record's {seq, hash}, which the first record kept in the store
 * chains from. Writers build each line; the reader checks a file line by line. */
#ifndef GW_VERIFIER_AUDIT_ARCHIVE_H
#define GW_VERIFIER_AUDIT_ARCHIVE_H

#include <stddef.h>
#include <stdint.h>

#include "gw_error.h"
#include "store.h"

#define AUDIT_ARCHIVE_FORMAT "gatewarden-audit-archive"
#define AUDIT_ARCHIVE_VERSION 1
/* A line holds at most one record: its detail (STORE_TEXT_MAX bytes, up to six
 * times that escaped) and the rest. */
#define AUDIT_ARCHIVE_LINE_MAX (6 * (size_t)STORE_TEXT_MAX + 16384)

/* Each returns one line (no newline) as a new string, NULL on allocation failure. */
char *audit_archive_header(uint64_t first_seq, const uint8_t prev_hash[STORE_HASH_LEN],
			   int64_t exported_at);
char *audit_archive_record(const struct store_audit_record *r);
char *audit_archive_trailer(uint64_t last_seq, const uint8_t hash[STORE_HASH_LEN],
			    uint64_t count);

struct audit_archive_summary {
	int64_t exported_at;
	uint64_t first_seq, last_seq, count;  /* count 0: first_seq - 1 == last_seq */
	uint8_t prev_hash[STORE_HASH_LEN];    /* what the first record chains from */
	uint8_t anchor_hash[STORE_HASH_LEN];  /* the last record's hash */
};

/* Checks an archive fed one line at a time (without its newline). Any error is
 * final: err names the line and, for a record, its seq ("line 5 (seq 12): hash
 * mismatch, the record was altered"). Errors: GW_E_PARSE, GW_E_TOOBIG, GW_E_NOMEM. */
struct audit_archive_reader;
int audit_archive_reader_new(struct audit_archive_reader **out) GW_WUR;
void audit_archive_reader_free(struct audit_archive_reader *r);
int audit_archive_feed(struct audit_archive_reader *r, const char *line, size_t len,
		       gw_error *err) GW_WUR;
/* After the last line: the trailer was seen and agrees; *out filled. */
int audit_archive_finish(struct audit_archive_reader *r, struct audit_archive_summary *out,
			 gw_error *err) GW_WUR;

/* Open path to read an archive: not through a symbolic link (O_NOFOLLOW), and
 * only a regular file (opened O_NONBLOCK and fstat'ed first, so a FIFO named like
 * an archive in a group-writable directory never blocks the caller). *fd is the
 * caller's to close. GW_E_IO naming why (a symbolic link, not a regular file). */
int audit_archive_open(const char *path, int *fd, gw_error *err) GW_WUR;

/* The archive open on fd (from audit_archive_open) checked from its current
 * offset: the reader above, line by line; *sum filled. fd stays open (read
 * through a duplicate); path names it in err. max_records (0: no limit): a file
 * with more records is GW_E_PARSE once the line after them is read, the rest not
 * read. Errors as audit_archive_feed's and audit_archive_finish's, GW_E_IO. */
int audit_archive_check_fd(int fd, const char *path, uint64_t max_records,
			   struct audit_archive_summary *sum, gw_error *err) GW_WUR;

/* The whole file at path checked (audit_archive_check_fd), for `audit verify
 * --archive`: path is opened as the operator named it, a symbolic link followed
 * and a pipe or FIFO read to its end (blocking until its writer closes it); only
 * serve's adoption of files it finds by listing a directory needs
 * audit_archive_open's refusals. GW_E_IO for a path that does not open. */
int audit_archive_check_file(const char *path, struct audit_archive_summary *sum,
			     gw_error *err) GW_WUR;

#endif
