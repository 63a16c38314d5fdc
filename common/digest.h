/* SPDX-License-Identifier: Apache-2.0 */
/* Hash algorithms by TPM id, software PCR banks, and PCR selection strings. */
#ifndef GW_DIGEST_H
#define GW_DIGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <tss2/tss2_tpm2_types.h>

#include "gw_error.h"

#define GW_MAX_DIGEST 64 /* SHA-512 */
#define GW_MAX_BANKS 5   /* sha1, sha256, sha384, sha512, sm3_256 */
#define GW_NUM_PCRS 24

struct gw_alg {
	uint16_t id;       /* TPM2_ALG_* */
	const char *name;  /* "sha256", as tpm2-tools and CEL-JSON spell it */
	size_t size;       /* digest bytes */
};

/* NULL when the algorithm is not one we know. */
const struct gw_alg *gw_alg_by_id(uint16_t id);
const struct gw_alg *gw_alg_by_name(const char *name);
/* NULL when OpenSSL cannot compute it (sm3_256 on some builds). */
const EVP_MD *gw_alg_md(uint16_t id);

/* Software model of one PCR bank. */
struct gw_pcr_bank {
	uint16_t alg;
	size_t size;
	uint8_t pcr[GW_NUM_PCRS][GW_MAX_DIGEST];
	uint32_t touched; /* bit i: PCR i was extended (or set by locality) */
};

struct gw_pcr_set {
	size_t nbanks;
	struct gw_pcr_bank bank[GW_MAX_BANKS];
};

/* Find or add the bank for alg (all PCRs zero). NULL on unknown alg or full set. */
struct gw_pcr_bank *gw_pcr_set_bank(struct gw_pcr_set *set, uint16_t alg);
const struct gw_pcr_bank *gw_pcr_set_find(const struct gw_pcr_set *set, uint16_t alg);
/* bank.pcr[i] = H(bank.pcr[i] || digest); digest has bank->size bytes. */
int gw_pcr_extend(struct gw_pcr_bank *bank, unsigned pcr, const uint8_t *digest) GW_WUR;

/* One-shot hash. */
int gw_hash(uint16_t alg, const void *data, size_t len, uint8_t *out) GW_WUR;

/* Hash one stream into every bank at once. */
struct gw_multihash {
	size_t n;
	uint16_t alg[GW_MAX_BANKS];
	EVP_MD_CTX *ctx[GW_MAX_BANKS];
};
int gw_multihash_init(struct gw_multihash *mh, const uint16_t *algs, size_t n) GW_WUR;
int gw_multihash_update(struct gw_multihash *mh, const void *data, size_t len) GW_WUR;
/* out[i] receives the digest for algs[i]. */
int gw_multihash_final(struct gw_multihash *mh, uint8_t out[][GW_MAX_DIGEST]) GW_WUR;
void gw_multihash_fini(struct gw_multihash *mh);

/* Hash a whole file in every bank at once, streaming. With several banks each is
 * hashed on its own thread over the same buffer, so measuring a file costs about
 * as much time as its slowest bank. *size receives the byte count (may be NULL). */
int gw_hash_file(const char *path, const uint16_t *algs, size_t n,
		 uint8_t out[][GW_MAX_DIGEST], uint64_t *size, gw_error *err) GW_WUR;

/* Parse "sha256:0,1,2+sha1:0-7" (tpm2-tools syntax, ranges allowed) into sel. */
int gw_pcrsel_parse(const char *s, TPML_PCR_SELECTION *sel, gw_error *err) GW_WUR;
/* Format sel as the same syntax into buf, three or more PCRs in a row as a range
 * ("sha256:0-7,13,14"). Every selection of distinct banks fits GW_PCRSEL_TEXT_MAX
 * bytes with its NUL. GW_E_TOOBIG when buf is shorter. */
#define GW_PCRSEL_TEXT_MAX 256
int gw_pcrsel_format(const TPML_PCR_SELECTION *sel, char *buf, size_t len) GW_WUR;
bool gw_pcrsel_has(const TPMS_PCR_SELECTION *s, unsigned pcr);
/* Same banks in the same order with the same PCRs. */
bool gw_pcrsel_equal(const TPML_PCR_SELECTION *a, const TPML_PCR_SELECTION *b);
/* Number of PCRs selected across all banks. */
size_t gw_pcrsel_count(const TPML_PCR_SELECTION *sel);

#endif
