// SPDX-License-Identifier: Apache-2.0
// Prometheus metrics of the verifier: atomic counters and their text rendering.
#include "metrics.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Upper bounds in nanoseconds: 1 ms .. 10 s, for a round (quote check, replay,
 * policy, signing, one store transaction) and for a store transaction alike. */
static const uint64_t bucket_ns[METRICS_BUCKETS] = {
	1000000ull,   2500000ull,   5000000ull,    10000000ull,   25000000ull,   50000000ull,
	100000000ull, 250000000ull, 500000000ull, 1000000000ull, 2500000000ull, 10000000000ull,
};

static const char *const attest_names[METRICS_ATTEST_N] = {
	"affirming", "warning", "contraindicated", "none",
};
static const char *const enroll_names[METRICS_ENROLL_N] = {
	"challenged", "enrolled", "pending", "refused", "rate_limited",
};
static const char *const authz_names[METRICS_AUTHZ_N] = { "granted", "refused" };
static const char *const state_names[METRICS_DEVICE_STATES] = {
	"pending", "enrolled", "revoked",
};
/* fleet_rollout()'s per-release counts, as the label "state". */
static const char *const rollout_counts[] = {
	"devices", "in_cohort", "offered", "running", "in_trial", "rolled_back", "unreachable",
};

struct metrics *metrics_new(void)
{
	return calloc(1, sizeof(struct metrics));
}

void metrics_free(struct metrics *m)
{
	free(m);
}

static void hist_add(struct metrics_hist *h, uint64_t ns)
{
	size_t i = 0;

	while (i < METRICS_BUCKETS && ns > bucket_ns[i])
		i++;
	atomic_fetch_add_explicit(&h->bucket[i], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&h->sum_ns, ns, memory_order_relaxed);
}

void metrics_attest(struct metrics *m, enum metrics_attest s, uint64_t ns)
{
	if (!m || (unsigned)s >= METRICS_ATTEST_N)
		return;
	atomic_fetch_add_explicit(&m->attest[s], 1, memory_order_relaxed);
	hist_add(&m->attest_seconds, ns);
}

void metrics_enroll(struct metrics *m, enum metrics_enroll e)
{
	if (m && (unsigned)e < METRICS_ENROLL_N)
		atomic_fetch_add_explicit(&m->enroll[e], 1, memory_order_relaxed);
}

void metrics_authz(struct metrics *m, enum metrics_authz a)
{
	if (m && (unsigned)a < METRICS_AUTHZ_N)
		atomic_fetch_add_explicit(&m->authz[a], 1, memory_order_relaxed);
}

void metrics_store_tx(void *arg, uint64_t ns)
{
	struct metrics *m = arg;

	if (m)
		hist_add(&m->store_tx_seconds, ns);
}

enum metrics_attest metrics_attest_status(const char *status)
{
	for (size_t i = 0; i < METRICS_ATTEST_NONE; i++)
		if (status && !strcmp(status, attest_names[i]))
			return (enum metrics_attest)i;
	return METRICS_ATTEST_NONE;
}

static uint64_t get(const atomic_uint_fast64_t *a)
{
	return atomic_load_explicit(a, memory_order_relaxed);
}

static void head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP gatewarden_verifier_%s %s\n# TYPE gatewarden_verifier_%s %s\n", name,
		help, name, type);
}

static void counters(FILE *f, const char *name, const char *label,
		     const char *const *names, const atomic_uint_fast64_t *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "gatewarden_verifier_%s{%s=\"%s\"} %" PRIu64 "\n", name, label,
			names[i], get(&v[i]));
}

/* Seconds of ns, exactly, without trailing zeros ("0.0025", "1"). */
static void seconds(FILE *f, uint64_t ns)
{
	char b[48];
	int n = snprintf(b, sizeof(b), "%" PRIu64 ".%09" PRIu64, ns / UINT64_C(1000000000),
			 ns % UINT64_C(1000000000));

	while (n > 1 && b[n - 1] == '0')
		b[--n] = '\0';
	if (n > 1 && b[n - 1] == '.')
		b[--n] = '\0';
	fputs(b, f);
}

static void histogram(FILE *f, const char *name, const struct metrics_hist *h)
{
	uint64_t cum = 0;

	/* Read each bucket once: _count is the +Inf bucket, whatever workers add
	 * meanwhile. */
	for (size_t i = 0; i <= METRICS_BUCKETS; i++) {
		cum += get(&h->bucket[i]);
		fprintf(f, "gatewarden_verifier_%s_bucket{le=\"", name);
		if (i < METRICS_BUCKETS)
			seconds(f, bucket_ns[i]);
		else
			fputs("+Inf", f);
		fprintf(f, "\"} %" PRIu64 "\n", cum);
	}
	fprintf(f, "gatewarden_verifier_%s_sum ", name);
	seconds(f, get(&h->sum_ns));
	fprintf(f, "\ngatewarden_verifier_%s_count %" PRIu64 "\n", name, cum);
}

/* A label value in the exposition's escaping: \\, \" and \n. */
static void label_value(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', f);
		if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

static const char *jstr(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : "";
}

static void rollout(FILE *f, json_object *arr)
{
	size_t n = arr ? json_object_array_length(arr) : 0;

	head(f, "releases", "gauge", "Active releases by approval state.");
	for (size_t a = 0; a < 3; a++) {
		static const char *const approval[] = { "not-required", "pending", "approved" };
		uint64_t c = 0;

		for (size_t i = 0; i < n; i++)
			c += !strcmp(jstr(json_object_array_get_idx(arr, i), "approval"),
				     approval[a]);
		fprintf(f, "gatewarden_verifier_releases{approval=\"%s\"} %" PRIu64 "\n",
			approval[a], c);
	}
	head(f, "release_devices", "gauge",
	     "Enrolled devices of each active release's models and channel, by rollout state.");
	for (size_t i = 0; i < n; i++) {
		json_object *r = json_object_array_get_idx(arr, i), *v;

		for (size_t k = 0; k < GW_ARRAY_SIZE(rollout_counts); k++) {
			if (!json_object_object_get_ex(r, rollout_counts[k], &v))
				continue;
			fputs("gatewarden_verifier_release_devices{release=\"", f);
			label_value(f, jstr(r, "id"));
			fprintf(f, "\",state=\"%s\"} %" PRId64 "\n", rollout_counts[k],
				json_object_get_int64(v));
		}
	}
}

static void gauges(FILE *f, const struct metrics_gauges *g)
{
	head(f, "devices", "gauge", "Devices in the store by state.");
	for (size_t i = 0; i < METRICS_DEVICE_STATES; i++)
		fprintf(f, "gatewarden_verifier_devices{state=\"%s\"} %" PRIu64 "\n",
			state_names[i], g->devices[i]);
	rollout(f, g->rollout);
	head(f, "store_gauges_timestamp_seconds", "gauge",
	     "When the store gauges were last read (Unix time).");
	fprintf(f, "gatewarden_verifier_store_gauges_timestamp_seconds %" PRId64 "\n", g->at);
}

int metrics_render(const struct metrics *m, const struct metrics_gauges *g, char **out,
		   size_t *out_len)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int rc = 0;

	if (!f)
		return GW_E_NOMEM;
	head(f, "attestations_total", "counter", "Attestation rounds by result status "
	     "(none: refused without a result).");
	counters(f, "attestations_total", "status", attest_names, m->attest, METRICS_ATTEST_N);
	head(f, "attestation_duration_seconds", "histogram",
	     "Time from receiving evidence to the recorded result.");
	histogram(f, "attestation_duration_seconds", &m->attest_seconds);
	head(f, "enrollments_total", "counter", "Enrollment requests by outcome.");
	counters(f, "enrollments_total", "outcome", enroll_names, m->enroll, METRICS_ENROLL_N);
	head(f, "authorizations_total", "counter", "Update authorizations by outcome.");
	counters(f, "authorizations_total", "outcome", authz_names, m->authz, METRICS_AUTHZ_N);
	head(f, "store_transaction_duration_seconds", "histogram",
	     "Time of each write transaction of the store, begin to commit or rollback.");
	histogram(f, "store_transaction_duration_seconds", &m->store_tx_seconds);
	head(f, "store_gauge_errors_total", "counter",
	     "Failed reads of the store gauges (devices, releases).");
	fprintf(f, "gatewarden_verifier_store_gauge_errors_total %" PRIu64 "\n",
		get(&m->gauge_refresh_errors));
	if (g)
		gauges(f, g);
	if (ferror(f))
		rc = GW_E_NOMEM;
	if (fclose(f) != 0)
		rc = GW_E_NOMEM;
	if (rc) {
		free(buf);
		return rc;
	}
	*out = buf;
	*out_len = len;
	return 0;
}
