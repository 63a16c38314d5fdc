// SPDX-License-Identifier: Apache-2.0
// Hash algorithm table, software PCR banks and PCR selection strings.
#define _GNU_SOURCE
#include "digest.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

static const struct gw_alg alg_table[] = {
	{ TPM2_ALG_SHA1, "sha1", 20 },
	{ TPM2_ALG_SHA256, "sha256", 32 },
	{ TPM2_ALG_SHA384, "sha384", 48 },
	{ TPM2_ALG_SHA512, "sha512", 64 },
	{ TPM2_ALG_SM3_256, "sm3_256", 32 },
};

const struct gw_alg *gw_alg_by_id(uint16_t id)
{
	for (size_t i = 0; i < GW_ARRAY_SIZE(alg_table); i++)
		if (alg_table[i].id == id)
			return &alg_table[i];
	return NULL;
}

const struct gw_alg *gw_alg_by_name(const char *name)
{
	for (size_t i = 0; i < GW_ARRAY_SIZE(alg_table); i++)
		if (!strcmp(alg_table[i].name, name))
			return &alg_table[i];
	return NULL;
}

/* OpenSSL 3 looks a digest up again on every EVP_DigestInit with EVP_sha256() and
 * friends; fetching each once saves most of the cost of hashing a small input. */
static const char *const md_names[] = { "SHA1", "SHA256", "SHA384", "SHA512", "SM3" };
static EVP_MD *md_cache[GW_ARRAY_SIZE(md_names)];
static pthread_once_t md_once = PTHREAD_ONCE_INIT;

static void md_fetch_all(void)
{
	for (size_t i = 0; i < GW_ARRAY_SIZE(md_names); i++)
		md_cache[i] = EVP_MD_fetch(NULL, md_names[i], NULL);
}

const EVP_MD *gw_alg_md(uint16_t id)
{
	size_t i;

	switch (id) {
	case TPM2_ALG_SHA1:
		i = 0;
		break;
	case TPM2_ALG_SHA256:
		i = 1;
		break;
	case TPM2_ALG_SHA384:
		i = 2;
		break;
	case TPM2_ALG_SHA512:
		i = 3;
		break;
	case TPM2_ALG_SM3_256:
		i = 4;
		break;
	default:
		return NULL;
	}
	pthread_once(&md_once, md_fetch_all);
	return md_cache[i];
}

struct gw_pcr_bank *gw_pcr_set_bank(struct gw_pcr_set *set, uint16_t alg)
{
	const struct gw_alg *a = gw_alg_by_id(alg);
	struct gw_pcr_bank *b;

	for (size_t i = 0; i < set->nbanks; i++)
		if (set->bank[i].alg == alg)
			return &set->bank[i];
	if (!a || set->nbanks >= GW_MAX_BANKS)
		return NULL;
	b = &set->bank[set->nbanks++];
	memset(b, 0, sizeof(*b));
	b->alg = alg;
	b->size = a->size;
	return b;
}

const struct gw_pcr_bank *gw_pcr_set_find(const struct gw_pcr_set *set, uint16_t alg)
{
	for (size_t i = 0; i < set->nbanks; i++)
		if (set->bank[i].alg == alg)
			return &set->bank[i];
	return NULL;
}

int gw_hash(uint16_t alg, const void *data, size_t len, uint8_t *out)
{
	const EVP_MD *md = gw_alg_md(alg);

	if (!md)
		return GW_E_UNSUPPORTED;
	if (!EVP_Digest(data, len, out, NULL, md, NULL))
		return GW_E_CRYPTO;
	return 0;
}

int gw_pcr_extend(struct gw_pcr_bank *bank, unsigned pcr, const uint8_t *digest)
{
	uint8_t buf[2 * GW_MAX_DIGEST];
	int rc;

	if (pcr >= GW_NUM_PCRS)
		return GW_E_INVAL;
	memcpy(buf, bank->pcr[pcr], bank->size);
	memcpy(buf + bank->size, digest, bank->size);
	rc = gw_hash(bank->alg, buf, 2 * bank->size, bank->pcr[pcr]);
	if (!rc)
		bank->touched |= 1u << pcr;
	return rc;
}

int gw_multihash_init(struct gw_multihash *mh, const uint16_t *alg, size_t n)
{
	memset(mh, 0, sizeof(*mh));
	if (n > GW_MAX_BANKS)
		return GW_E_INVAL;
	for (size_t i = 0; i < n; i++) {
		const EVP_MD *md = gw_alg_md(alg[i]);

		if (!md) {
			gw_multihash_fini(mh);
			return GW_E_UNSUPPORTED;
		}
		mh->ctx[i] = EVP_MD_CTX_new();
		mh->alg[i] = alg[i];
		mh->n = i + 1;
		if (!mh->ctx[i] || !EVP_DigestInit_ex(mh->ctx[i], md, NULL)) {
			gw_multihash_fini(mh);
			return GW_E_CRYPTO;
		}
	}
	return 0;
}

int gw_multihash_update(struct gw_multihash *mh, const void *data, size_t len)
{
	for (size_t i = 0; i < mh->n; i++)
		if (!EVP_DigestUpdate(mh->ctx[i], data, len))
			return GW_E_CRYPTO;
	return 0;
}

int gw_multihash_final(struct gw_multihash *mh, uint8_t out[][GW_MAX_DIGEST])
{
	for (size_t i = 0; i < mh->n; i++)
		if (!EVP_DigestFinal_ex(mh->ctx[i], out[i], NULL))
			return GW_E_CRYPTO;
	return 0;
}

void gw_multihash_fini(struct gw_multihash *mh)
{
	for (size_t i = 0; i < mh->n; i++)
		EVP_MD_CTX_free(mh->ctx[i]);
	memset(mh, 0, sizeof(*mh));
}

#define HASH_CHUNK (4u << 20)

/* Workers hash the current chunk for their bank; the main thread hashes the banks
 * that have no worker, then waits for the rest before it reads the next chunk. */
struct hash_job {
	pthread_mutex_t lock;
	pthread_cond_t start, done;
	unsigned long generation;
	size_t remaining;
	bool stop;
	const uint8_t *buf;
	size_t len;
	EVP_MD_CTX *ctx[GW_MAX_BANKS];
	bool failed[GW_MAX_BANKS];
};

struct hash_worker {
	struct hash_job *job;
	size_t bank;
};

static void *hash_worker_main(void *arg)
{
	struct hash_worker *w = arg;
	struct hash_job *job = w->job;
	unsigned long seen = 0;

	for (;;) {
		pthread_mutex_lock(&job->lock);
		while (job->generation == seen && !job->stop)
			pthread_cond_wait(&job->start, &job->lock);
		if (job->stop) {
			pthread_mutex_unlock(&job->lock);
			return NULL;
		}
		seen = job->generation;
		pthread_mutex_unlock(&job->lock);
		if (!EVP_DigestUpdate(job->ctx[w->bank], job->buf, job->len))
			job->failed[w->bank] = true;
		pthread_mutex_lock(&job->lock);
		if (--job->remaining == 0)
			pthread_cond_signal(&job->done);
		pthread_mutex_unlock(&job->lock);
	}
}

static int read_chunk(int fd, uint8_t *buf, size_t cap, size_t *got, const char *path,
		      gw_error *err)
{
	size_t n = 0;

	while (n < cap) {
		ssize_t r = read(fd, buf + n, cap - n);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return gw_fail(err, GW_E_IO, "%s: %s", path, strerror(errno));
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*got = n;
	return 0;
}

int gw_hash_file(const char *path, const uint16_t *algs, size_t n,
		 uint8_t out[][GW_MAX_DIGEST], uint64_t *size, gw_error *err)
{
	struct gw_multihash mh;
	struct hash_job job = {
		.lock = PTHREAD_MUTEX_INITIALIZER,
		.start = PTHREAD_COND_INITIALIZER,
		.done = PTHREAD_COND_INITIALIZER,
	};
	struct hash_worker workers[GW_MAX_BANKS];
	pthread_t threads[GW_MAX_BANKS];
	bool threaded[GW_MAX_BANKS] = { false };
	size_t nworkers = 0, got = 0, cur = 0;
	uint8_t *buf[2] = { NULL, NULL };
	uint64_t total = 0;
	struct stat st;
	int fd = -1;
	int rc;

	rc = gw_multihash_init(&mh, algs, n);
	if (rc)
		return gw_fail(err, rc, "hash init");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = gw_fail(err, errno == ENOENT ? GW_E_NOTFOUND : GW_E_IO, "%s: %s", path,
			     strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		rc = gw_fail(err, GW_E_IO, "%s: not a regular file", path);
		goto out;
	}
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	buf[0] = malloc(HASH_CHUNK);
	buf[1] = malloc(HASH_CHUNK);
	if (!buf[0] || !buf[1]) {
		rc = GW_E_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		job.ctx[i] = mh.ctx[i];
	/* With several banks, one worker per bank hashes chunk k while this thread
	 * reads chunk k+1; a bank whose worker cannot start is hashed here. */
	for (size_t i = 0; n > 1 && i < n; i++) {
		workers[i] = (struct hash_worker){ &job, i };
		if (pthread_create(&threads[i], NULL, hash_worker_main, &workers[i]) == 0) {
			threaded[i] = true;
			nworkers++;
		}
	}
	rc = read_chunk(fd, buf[cur], HASH_CHUNK, &got, path, err);
	while (!rc && got) {
		size_t next = 0;

		total += got;
		pthread_mutex_lock(&job.lock);
		job.buf = buf[cur];
		job.len = got;
		job.remaining = nworkers;
		job.generation++;
		pthread_cond_broadcast(&job.start);
		pthread_mutex_unlock(&job.lock);
		rc = read_chunk(fd, buf[1 - cur], HASH_CHUNK, &next, path, err);
		for (size_t i = 0; i < n; i++)
			if (!threaded[i] && !EVP_DigestUpdate(mh.ctx[i], buf[cur], got))
				job.failed[i] = true;
		pthread_mutex_lock(&job.lock);
		while (job.remaining)
			pthread_cond_wait(&job.done, &job.lock);
		pthread_mutex_unlock(&job.lock);
		for (size_t i = 0; i < n; i++)
			if (job.failed[i] && !rc)
				rc = GW_E_CRYPTO;
		cur = 1 - cur;
		got = next;
	}
	pthread_mutex_lock(&job.lock);
	job.stop = true;
	pthread_cond_broadcast(&job.start);
	pthread_mutex_unlock(&job.lock);
	for (size_t i = 0; i < n; i++)
		if (threaded[i])
			pthread_join(threads[i], NULL);
	if (!rc)
		rc = gw_multihash_final(&mh, out);
	if (!rc && size)
		*size = total;
out:
	free(buf[0]);
	free(buf[1]);
	if (fd >= 0)
		close(fd);
	gw_multihash_fini(&mh);
	return rc;
}

static int parse_pcr_list(const char *p, size_t len, TPMS_PCR_SELECTION *s, gw_error *err)
{
	size_t i = 0;

	if (len == 0)
		return gw_fail(err, GW_E_PARSE, "PCR selection: no PCRs listed for a bank");
	if (len == 3 && !memcmp(p, "all", 3)) {
		for (unsigned k = 0; k < GW_NUM_PCRS; k++)
			s->pcrSelect[k / 8] |= (uint8_t)(1u << (k % 8));
		return 0;
	}
	while (i < len) {
		unsigned lo = 0, hi;
		size_t start = i;

		while (i < len && p[i] >= '0' && p[i] <= '9' && i - start < 3)
			lo = lo * 10 + (unsigned)(p[i++] - '0');
		if (i == start)
			return gw_fail(err, GW_E_PARSE, "PCR selection: expected a PCR number");
		hi = lo;
		if (i < len && p[i] == '-') {
			size_t s2 = ++i;

			hi = 0;
			while (i < len && p[i] >= '0' && p[i] <= '9' && i - s2 < 3)
				hi = hi * 10 + (unsigned)(p[i++] - '0');
			if (i == s2)
				return gw_fail(err, GW_E_PARSE, "PCR selection: bad range");
		}
		if (lo >= GW_NUM_PCRS || hi >= GW_NUM_PCRS || lo > hi)
			return gw_fail(err, GW_E_PARSE, "PCR selection: PCR %u out of range 0-23",
				       hi >= GW_NUM_PCRS ? hi : lo);
		for (unsigned k = lo; k <= hi; k++)
			s->pcrSelect[k / 8] |= (uint8_t)(1u << (k % 8));
		if (i < len) {
			if (p[i] != ',')
				return gw_fail(err, GW_E_PARSE, "PCR selection: unexpected '%c'", p[i]);
			i++;
			if (i == len)
				return gw_fail(err, GW_E_PARSE, "PCR selection: trailing ','");
		}
	}
	return 0;
}

int gw_pcrsel_parse(const char *str, TPML_PCR_SELECTION *sel, gw_error *err)
{
	const char *p = str;

	memset(sel, 0, sizeof(*sel));
	while (*p) {
		const char *colon = strchr(p, ':');
		const char *end = strchr(p, '+');
		char name[16];
		const struct gw_alg *a;
		TPMS_PCR_SELECTION *s;
		size_t nlen;
		int rc;

		if (!end)
			end = p + strlen(p);
		if (!colon || colon > end)
			return gw_fail(err, GW_E_PARSE, "PCR selection '%s': expected BANK:PCRS", str);
		nlen = (size_t)(colon - p);
		if (nlen == 0 || nlen >= sizeof(name))
			return gw_fail(err, GW_E_PARSE, "PCR selection: bad bank name");
		memcpy(name, p, nlen);
		name[nlen] = '\0';
		a = gw_alg_by_name(name);
		if (!a)
			return gw_fail(err, GW_E_PARSE, "PCR selection: unknown bank '%s'", name);
		for (size_t i = 0; i < sel->count; i++)
			if (sel->pcrSelections[i].hash == a->id)
				return gw_fail(err, GW_E_PARSE, "PCR selection: bank '%s' twice", name);
		if (sel->count >= TPM2_NUM_PCR_BANKS)
			return gw_fail(err, GW_E_PARSE, "PCR selection: too many banks");
		s = &sel->pcrSelections[sel->count++];
		s->hash = a->id;
		s->sizeofSelect = 3;
		rc = parse_pcr_list(colon + 1, (size_t)(end - colon - 1), s, err);
		if (rc)
			return rc;
		if (!*end)
			break;
		p = end + 1;
		if (!*p)
			return gw_fail(err, GW_E_PARSE, "PCR selection: trailing '+'");
	}
	if (sel->count == 0)
		return gw_fail(err, GW_E_PARSE, "PCR selection is empty");
	return 0;
}

bool gw_pcrsel_has(const TPMS_PCR_SELECTION *s, unsigned pcr)
{
	if (pcr / 8 >= s->sizeofSelect || pcr / 8 >= sizeof(s->pcrSelect))
		return false;
	return s->pcrSelect[pcr / 8] & (1u << (pcr % 8));
}

int gw_pcrsel_format(const TPML_PCR_SELECTION *sel, char *buf, size_t len)
{
	size_t off = 0;

	if (len == 0)
		return GW_E_TOOBIG;
	buf[0] = '\0';
	for (size_t i = 0; i < sel->count && i < TPM2_NUM_PCR_BANKS; i++) {
		const TPMS_PCR_SELECTION *s = &sel->pcrSelections[i];
		const struct gw_alg *a = gw_alg_by_id(s->hash);
		bool first = true;
		int n;

		n = snprintf(buf + off, len - off, "%s%s:", i ? "+" : "", a ? a->name : "?");
		if (n < 0 || (size_t)n >= len - off)
			return GW_E_TOOBIG;
		off += (size_t)n;
		for (unsigned k = 0; k < 8u * sizeof(s->pcrSelect); k++) {
			unsigned end = k;

			if (!gw_pcrsel_has(s, k))
				continue;
			while (end + 1 < 8u * sizeof(s->pcrSelect) && gw_pcrsel_has(s, end + 1))
				end++;
			/* Three or more in a row as a range ("sha256:0-7,13,14"), so that
			 * every selection fits GW_PCRSEL_TEXT_MAX. */
			if (end < k + 2)
				end = k;
			if (end > k)
				n = snprintf(buf + off, len - off, "%s%u-%u", first ? "" : ",", k, end);
			else
				n = snprintf(buf + off, len - off, "%s%u", first ? "" : ",", k);
			if (n < 0 || (size_t)n >= len - off)
				return GW_E_TOOBIG;
			off += (size_t)n;
			first = false;
			k = end;
		}
	}
	return 0;
}

bool gw_pcrsel_equal(const TPML_PCR_SELECTION *a, const TPML_PCR_SELECTION *b)
{
	if (a->count != b->count || a->count > TPM2_NUM_PCR_BANKS)
		return false;
	for (size_t i = 0; i < a->count; i++) {
		const TPMS_PCR_SELECTION *x = &a->pcrSelections[i], *y = &b->pcrSelections[i];

		if (x->hash != y->hash)
			return false;
		for (unsigned k = 0; k < 8u * sizeof(x->pcrSelect); k++)
			if (gw_pcrsel_has(x, k) != gw_pcrsel_has(y, k))
				return false;
	}
	return true;
}

size_t gw_pcrsel_count(const TPML_PCR_SELECTION *sel)
{
	size_t n = 0;

	for (size_t i = 0; i < sel->count && i < TPM2_NUM_PCR_BANKS; i++)
		for (unsigned k = 0; k < 8u * sizeof(sel->pcrSelections[i].pcrSelect); k++)
			n += gw_pcrsel_has(&sel->pcrSelections[i], k);
	return n;
}
