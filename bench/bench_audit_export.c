// SPDX-License-Identifier: Apache-2.0
// Benchmark: how long one batch of the unattended audit archiving holds the store's
// write lock (AUDIT_EXPORT_BATCH records read, checked, written, fsynced, moved
// into place, deleted and committed), against result pruning's rows/s on the same
// store. Usage: bench_audit_export DIR (an empty directory the caller removes).
// Prints "EXPORT_RECORDS_PER_S BATCH_MS PRUNE_ROWS_PER_S BATCH".
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit_export.h"
#include "retention.h"
#include "store.h"
#include "util.h"

#define BATCHES 3
#define DEVICES 20

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int die(const char *what, const gw_error *err)
{
	fprintf(stderr, "bench_audit_export: %s%s%s\n", what, err && err->msg[0] ? ": " : "",
		err ? err->msg : "");
	return 1;
}

static int put_device(struct store *st, const char *id)
{
	static uint8_t blob[] = { 0x00, 0x01, 0x02 };
	struct store_device d;

	memset(&d, 0, sizeof(d));
	if (gw_snprintf(d.id, sizeof(d.id), "%s", id) || gw_snprintf(d.model, sizeof(d.model), "m"))
		return GW_E_INVAL;
	d.state = STORE_DEV_ENROLLED;
	d.ek_pub = d.ak_pub = blob;
	d.ek_pub_len = d.ak_pub_len = sizeof(blob);
	d.ak_name = (uint8_t *)d.id;
	d.ak_name_len = strlen(d.id);
	d.created_at = 10;
	return store_device_put(st, &d, NULL, NULL);
}

/* n attestations as serve writes them, a result and an audit record each (an
 * attest record's detail is some 300 bytes of status and claims). */
static int fill(struct store *st, unsigned n, gw_error *err)
{
	static char detail[300], ear[600];
	char id[16];
	int rc = 0;

	memset(ear, 'e', sizeof(ear) - 1);
	if (gw_snprintf(detail, sizeof(detail), "{\"status\":\"affirming\",\"claims\":\"%0250d\"}",
			0))
		return GW_E_INVAL;
	for (unsigned d = 0; d < DEVICES && !rc; d++)
		if (!(rc = gw_snprintf(id, sizeof(id), "gw-%u", d) ? GW_E_INVAL : 0))
			rc = put_device(st, id);
	for (unsigned i = 0; i < n && !rc; i++) {
		struct store_result r = { .device_id = id, .at = 1000 + i, .status = "affirming",
					  .claims = "[]", .ear = ear };
		struct store_audit a = { .ts = 1000 + i, .actor = "verifier", .action = "attest",
					 .device_id = id, .outcome = "affirming", .detail = detail };

		if (i % 5000 == 0 && (rc = store_begin(st, err)))
			break;
		if (gw_snprintf(id, sizeof(id), "gw-%u", i % DEVICES))
			rc = GW_E_INVAL;
		if (!rc)
			rc = store_result_add(st, &r, NULL, NULL, err);
		if (!rc)
			rc = store_audit_append(st, &a, NULL, err);
		if (!rc && (i % 5000 == 4999 || i + 1 == n))
			rc = store_commit(st, err);
	}
	return rc;
}

int main(int argc, char **argv)
{
	const unsigned batch = AUDIT_EXPORT_BATCH, n = BATCHES * AUDIT_EXPORT_BATCH;
	char url[PATH_MAX], path[PATH_MAX];
	struct audit_export_result r;
	struct store *st = NULL;
	gw_error err = { { 0 } };
	double best = 1e9, t0, t, prune_t;
	uint64_t deleted = 0;
	int rc;

	if (argc != 2)
		return die("usage: bench_audit_export DIR", NULL);
	if (gw_snprintf(url, sizeof(url), "sqlite:%s/verifier.db", argv[1]))
		return die("path too long", NULL);
	if ((rc = store_open(url, &st, &err)) || (rc = fill(st, n, &err)))
		return die("filling the store", &err);
	/* Each batch timed alone: store_begin (the write lock) to its commit, as
	 * the unattended archiving runs it (only the file's name differs). */
	for (unsigned b = 0; b < BATCHES; b++) {
		if (gw_snprintf(path, sizeof(path), "%s/audit-%u.jsonl", argv[1], b))
			return die("path too long", NULL);
		t0 = now();
		rc = audit_export_file(st, path, 1000 + n, batch, 1000 + n, "verifier", &r, &err);
		t = now() - t0;
		if (rc || r.count != batch)
			return die("exporting", &err);
		if (t < best)
			best = t;
	}
	t0 = now();
	rc = retention_prune(st, 1, 0, 1000 + n, "verifier", &deleted, &err);
	prune_t = now() - t0;
	if (rc || deleted != n - DEVICES)
		return die("pruning", &err);
	store_close(st);
	printf("%.0f %.1f %.0f %u\n", batch / best, best * 1000.0, (double)deleted / prune_t,
	       batch);
	return 0;
}
