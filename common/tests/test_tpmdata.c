// SPDX-License-Identifier: Apache-2.0
// Unit tests for TPM structure (un)marshalling, TPM keys, names and tpm2-tools' PCR file.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <tss2/tss2_mu.h>

#include "digest.h"
#include "tpmdata.h"
#include "util.h"

#define QUOTE_DIR "common/tests/fixtures/quote"

/* Offsets in the PCR file: the selection, the list count, then the lists. */
#define SEL_SIZE sizeof(TPML_PCR_SELECTION)
#define COUNT_OFF SEL_SIZE
#define LIST_OFF (SEL_SIZE + sizeof(uint32_t))

static void read_fixture(const char *name, uint8_t **buf, size_t *len)
{
	char path[512];
	gw_error err = { { 0 } };
	int rc;

	assert_int_equal(gw_snprintf(path, sizeof(path), "%s/%s", QUOTE_DIR, name), 0);
	rc = gw_read_file(path, 1024 * 1024, buf, len, &err);
	if (rc)
		fail_msg("reading %s: %s", path, gw_error_msg(&err, rc));
}

static void assert_msg_has(const gw_error *err, const char *what)
{
	if (!strstr(err->msg, what))
		fail_msg("message '%s' does not mention '%s'", err->msg, what);
}

/* A copy of buf with room for one more byte, so tests can add a trailing one. */
static uint8_t *copy_plus_one(const uint8_t *buf, size_t len)
{
	uint8_t *c = calloc(1, len + 1);

	assert_non_null(c);
	memcpy(c, buf, len);
	return c;
}

typedef int (*unmarshal_fn)(const uint8_t *, size_t, void *, gw_error *);

static int un_attest(const uint8_t *b, size_t l, void *o, gw_error *e)
{
	return tpmdata_attest_unmarshal(b, l, o, e);
}

static int un_sig(const uint8_t *b, size_t l, void *o, gw_error *e)
{
	return tpmdata_signature_unmarshal(b, l, o, e);
}

static int un_pub(const uint8_t *b, size_t l, void *o, gw_error *e)
{
	return tpmdata_public_unmarshal(b, l, o, e);
}

/* The fixture parses; every shorter prefix fails; one more byte is GW_E_TRAILING. */
static void check_unmarshal(const char *name, unmarshal_fn fn, void *out, const char *what)
{
	uint8_t *buf = NULL, *plus;
	size_t len = 0;
	gw_error err = { { 0 } };

	read_fixture(name, &buf, &len);
	assert_int_equal(fn(buf, len, out, &err), 0);
	assert_int_equal(fn(buf, len - 1, out, &err), GW_E_PARSE);
	assert_msg_has(&err, what);
	for (size_t l = 0; l < len; l++)
		assert_int_not_equal(fn(buf, l, out, NULL), 0);
	plus = copy_plus_one(buf, len);
	assert_int_equal(fn(plus, len + 1, out, &err), GW_E_TRAILING);
	assert_msg_has(&err, what);
	assert_msg_has(&err, "1 trailing");
	assert_int_equal(fn(buf, len, out, &err), 0);
	free(plus);
	free(buf);
}

static void test_unmarshal_fixtures(void **state)
{
	TPMS_ATTEST a;
	TPMT_SIGNATURE s;
	TPM2B_PUBLIC p;

	(void)state;
	check_unmarshal("quote.msg", un_attest, &a, "TPMS_ATTEST");
	assert_int_equal(a.magic, TPM2_GENERATED_VALUE);
	assert_int_equal(a.type, TPM2_ST_ATTEST_QUOTE);
	assert_int_equal(a.extraData.size, 16);
	check_unmarshal("quote.sig", un_sig, &s, "TPMT_SIGNATURE");
	assert_int_equal(s.sigAlg, TPM2_ALG_ECDSA);
	assert_int_equal(tpmdata_signature_hash(&s), TPM2_ALG_SHA256);
	check_unmarshal("ak.pub", un_pub, &p, "TPM2B_PUBLIC");
	assert_int_equal(p.publicArea.type, TPM2_ALG_ECC);
}

/* TPM2B structures whose size field disagrees with what follows (fixtures from
 * fixtures/tpm2b/make-fixtures.py): each refused with its code and a message that
 * names both sizes. */
static void test_tpm2b_bad(void **state)
{
	static const struct {
		const char *file;
		enum tpmdata_tpm2b kind;
		int code;
		const char *msg;
	} cases[] = {
		{ "public-size-short.bin", TPMDATA_TPM2B_PUBLIC, GW_E_PARSE,
		  "TPM2B_PUBLIC: malformed: its size field says 87 bytes, the structure in it "
		  "takes 88" },
		{ "public-size-much-short.bin", TPMDATA_TPM2B_PUBLIC, GW_E_PARSE,
		  "its size field says 48 bytes, the structure in it takes 88" },
		{ "public-size-long.bin", TPMDATA_TPM2B_PUBLIC, GW_E_PARSE,
		  "its size field says 91 bytes, the structure in it takes 88" },
		{ "public-size-beyond.bin", TPMDATA_TPM2B_PUBLIC, GW_E_PARSE,
		  "TPM2B_PUBLIC: malformed: its size field says 89 bytes, 88 follow" },
		{ "public-size-max.bin", TPMDATA_TPM2B_PUBLIC, GW_E_PARSE,
		  "its size field says 65535 bytes, 88 follow" },
		{ "public-no-size.bin", TPMDATA_TPM2B_PUBLIC, GW_E_PARSE, "no size field" },
		{ "public-empty.bin", TPMDATA_TPM2B_PUBLIC, GW_E_PARSE, "TPM2B_PUBLIC: empty" },
		{ "public-type-unknown.bin", TPMDATA_TPM2B_PUBLIC, GW_E_PARSE,
		  "TPM2B_PUBLIC: malformed: its TPMT_PUBLIC type 0x0099 is unknown" },
		{ "id-object-size-beyond.bin", TPMDATA_TPM2B_ID_OBJECT, GW_E_PARSE,
		  "TPM2B_ID_OBJECT: malformed: its size field says 69 bytes, 68 follow" },
		{ "id-object-empty.bin", TPMDATA_TPM2B_ID_OBJECT, GW_E_PARSE,
		  "TPM2B_ID_OBJECT: empty" },
		{ "id-object-trailing.bin", TPMDATA_TPM2B_ID_OBJECT, GW_E_TRAILING,
		  "TPM2B_ID_OBJECT: 1 trailing bytes" },
		{ "encrypted-secret-size-beyond.bin", TPMDATA_TPM2B_ENCRYPTED_SECRET, GW_E_PARSE,
		  "TPM2B_ENCRYPTED_SECRET: malformed: its size field says 257 bytes, 256 follow" },
		{ "encrypted-secret-trailing.bin", TPMDATA_TPM2B_ENCRYPTED_SECRET, GW_E_TRAILING,
		  "TPM2B_ENCRYPTED_SECRET: 2 trailing bytes" },
		{ "encrypted-secret-too-big.bin", TPMDATA_TPM2B_ENCRYPTED_SECRET, GW_E_PARSE,
		  "TPM2B_ENCRYPTED_SECRET: malformed (tss2-mu rejected it)" },
	};
	union {
		TPM2B_PUBLIC pub;
		TPM2B_ID_OBJECT id;
		TPM2B_ENCRYPTED_SECRET enc;
	} out;
	char name[128];

	(void)state;
	for (size_t i = 0; i < GW_ARRAY_SIZE(cases); i++) {
		uint8_t *buf = NULL;
		size_t len = 0;
		gw_error err = { { 0 } };
		int rc;

		assert_int_equal(gw_snprintf(name, sizeof(name), "../tpm2b/bad/%s", cases[i].file),
				 0);
		read_fixture(name, &buf, &len);
		rc = tpmdata_tpm2b_unmarshal(cases[i].kind, buf, len, &out, &err);
		if (rc != cases[i].code || !strstr(err.msg, cases[i].msg))
			fail_msg("%s: got %d '%s', expected %d '%s'", cases[i].file, rc, err.msg,
				 cases[i].code, cases[i].msg);
		if (cases[i].kind == TPMDATA_TPM2B_PUBLIC)
			assert_int_equal(tpmdata_public_unmarshal(buf, len, &out.pub, NULL),
					 cases[i].code);
		free(buf);
	}
	assert_int_equal(tpmdata_tpm2b_unmarshal(TPMDATA_TPM2B_PUBLIC, NULL, 0, &out, NULL),
			 GW_E_PARSE);
	assert_int_equal(tpmdata_tpm2b_unmarshal((enum tpmdata_tpm2b)7, (const uint8_t *)"\0\1x",
						 3, &out, NULL),
			 GW_E_INVAL);
}

/* Each kind reads back what tss2-mu marshalled, exactly. */
static void test_tpm2b_good(void **state)
{
	TPM2B_ID_OBJECT id, id2;
	TPM2B_ENCRYPTED_SECRET enc, enc2;
	uint8_t buf[sizeof(TPM2B_ENCRYPTED_SECRET) + 2];
	size_t off = 0;

	(void)state;
	memset(&id, 0, sizeof(id));
	id.size = 68;
	memset(id.credential, 0xa5, id.size);
	assert_int_equal(Tss2_MU_TPM2B_ID_OBJECT_Marshal(&id, buf, sizeof(buf), &off), 0);
	assert_int_equal(tpmdata_tpm2b_unmarshal(TPMDATA_TPM2B_ID_OBJECT, buf, off, &id2, NULL), 0);
	assert_int_equal(id2.size, 68);
	assert_memory_equal(id2.credential, id.credential, 68);
	memset(&enc, 0, sizeof(enc));
	enc.size = 256;
	memset(enc.secret, 0x5a, enc.size);
	off = 0;
	assert_int_equal(Tss2_MU_TPM2B_ENCRYPTED_SECRET_Marshal(&enc, buf, sizeof(buf), &off), 0);
	assert_int_equal(
		tpmdata_tpm2b_unmarshal(TPMDATA_TPM2B_ENCRYPTED_SECRET, buf, off, &enc2, NULL), 0);
	assert_int_equal(enc2.size, 256);
	assert_memory_equal(enc2.secret, enc.secret, 256);
}

static void test_marshal_round_trip(void **state)
{
	uint8_t *buf = NULL, *out = NULL;
	size_t len = 0, out_len = 0;
	TPMT_SIGNATURE s;
	TPM2B_PUBLIC p;

	(void)state;
	read_fixture("quote.sig", &buf, &len);
	assert_int_equal(tpmdata_signature_unmarshal(buf, len, &s, NULL), 0);
	assert_int_equal(tpmdata_signature_marshal(&s, &out, &out_len), 0);
	assert_int_equal(out_len, len);
	assert_memory_equal(out, buf, len);
	free(out);
	free(buf);
	read_fixture("ak.pub", &buf, &len);
	assert_int_equal(tpmdata_public_unmarshal(buf, len, &p, NULL), 0);
	assert_int_equal(tpmdata_public_marshal(&p, &out, &out_len), 0);
	assert_int_equal(out_len, len);
	assert_memory_equal(out, buf, len);
	free(out);
	free(buf);
	assert_int_equal(tpmdata_signature_hash(&(TPMT_SIGNATURE){ .sigAlg = TPM2_ALG_HMAC }),
			 TPM2_ALG_NULL);
}

/* ------------------------------------------------------------------ PCR file --- */

static void parse_pcrs_fixture(struct tpmdata_pcrs *pcrs, uint8_t **buf, size_t *len)
{
	gw_error err = { { 0 } };
	int rc;

	read_fixture("quote.pcrs", buf, len);
	rc = tpmdata_pcrs_file_parse(*buf, *len, pcrs, &err);
	if (rc)
		fail_msg("quote.pcrs: %s", gw_error_msg(&err, rc));
}

static void test_pcrs_file_good(void **state)
{
	struct tpmdata_pcrs pcrs;
	uint8_t *buf = NULL, *json = NULL;
	size_t len = 0, jlen = 0, n = 0;
	json_object *root, *banks;
	char sel[256];

	(void)state;
	parse_pcrs_fixture(&pcrs, &buf, &len);
	assert_int_equal(gw_pcrsel_format(&pcrs.sel, sel, sizeof(sel)), 0);
	assert_string_equal(sel, "sha1:0-7,13,14+sha256:0-7,13,14");
	/* Every value equals the one in evidence.json, read here with json-c alone. */
	read_fixture("evidence.json", &json, &jlen);
	root = json_tokener_parse((const char *)json);
	assert_non_null(root);
	assert_true(json_object_object_get_ex(root, "pcrs", &banks));
	json_object_object_foreach(banks, bank_name, bank_o) {
		const struct gw_alg *a = gw_alg_by_name(bank_name);
		const struct gw_pcr_bank *b;

		assert_non_null(a);
		b = gw_pcr_set_find(&pcrs.values, a->id);
		assert_non_null(b);
		json_object_object_foreach(bank_o, pcr_s, hex_o) {
			char got[2 * GW_MAX_DIGEST + 1];
			uint64_t p;

			assert_int_equal(gw_parse_u64(pcr_s, 23, &p), 0);
			assert_true(b->touched & (1u << p));
			gw_hex_encode(b->pcr[p], b->size, got);
			assert_string_equal(got, json_object_get_string(hex_o));
			n++;
		}
	}
	assert_int_equal(n, 20);
	assert_int_equal(gw_pcrsel_count(&pcrs.sel), 20);
	json_object_put(root);
	free(json);
	free(buf);
}

/* Applies a change to a copy of the good PCR file and checks the verdict. */
struct pcrs_case {
	const char *name;
	void (*mutate)(uint8_t *buf, size_t *len);
	int code;
	const char *msg;
};

static void get_sel(const uint8_t *buf, TPML_PCR_SELECTION *sel)
{
	memcpy(sel, buf, sizeof(*sel));
}

static void put_sel(uint8_t *buf, const TPML_PCR_SELECTION *sel)
{
	memcpy(buf, sel, sizeof(*sel));
}

static void get_list(const uint8_t *buf, size_t i, TPML_DIGEST *d)
{
	memcpy(d, buf + LIST_OFF + i * sizeof(*d), sizeof(*d));
}

static void put_list(uint8_t *buf, size_t i, const TPML_DIGEST *d)
{
	memcpy(buf + LIST_OFF + i * sizeof(*d), d, sizeof(*d));
}

static void put_count(uint8_t *buf, uint32_t count)
{
	memcpy(buf + COUNT_OFF, &count, sizeof(count));
}

static void m_truncated(uint8_t *buf, size_t *len)
{
	(void)buf;
	(*len)--;
}

static void m_header_only(uint8_t *buf, size_t *len)
{
	(void)buf;
	*len = LIST_OFF - 1;
}

static void m_trailing(uint8_t *buf, size_t *len)
{
	buf[(*len)++] = 0;
}

static void m_count_65(uint8_t *buf, size_t *len)
{
	(void)len;
	put_count(buf, 65);
}

static void m_list_9(uint8_t *buf, size_t *len)
{
	TPML_DIGEST d;

	(void)len;
	get_list(buf, 0, &d);
	d.count = 9;
	put_list(buf, 0, &d);
}

static void m_digest_size(uint8_t *buf, size_t *len)
{
	TPML_DIGEST d;

	(void)len;
	get_list(buf, 0, &d);
	d.digests[3].size = 32; /* a sha1 PCR with a sha256-sized value */
	put_list(buf, 0, &d);
}

static void m_pcr_24(uint8_t *buf, size_t *len)
{
	TPML_PCR_SELECTION s;

	(void)len;
	get_sel(buf, &s);
	s.pcrSelections[1].sizeofSelect = 4;
	s.pcrSelections[1].pcrSelect[3] = 0x01;
	put_sel(buf, &s);
}

static void m_bank_twice(uint8_t *buf, size_t *len)
{
	TPML_PCR_SELECTION s;

	(void)len;
	get_sel(buf, &s);
	s.pcrSelections[1].hash = s.pcrSelections[0].hash;
	put_sel(buf, &s);
}

static void m_unknown_bank(uint8_t *buf, size_t *len)
{
	TPML_PCR_SELECTION s;

	(void)len;
	get_sel(buf, &s);
	s.pcrSelections[0].hash = 0x0099;
	put_sel(buf, &s);
}

static void m_select_5(uint8_t *buf, size_t *len)
{
	TPML_PCR_SELECTION s;

	(void)len;
	get_sel(buf, &s);
	s.pcrSelections[0].sizeofSelect = 5;
	put_sel(buf, &s);
}

static void m_no_banks(uint8_t *buf, size_t *len)
{
	TPML_PCR_SELECTION s;

	(void)len;
	get_sel(buf, &s);
	s.count = 0;
	put_sel(buf, &s);
}

static void m_17_banks(uint8_t *buf, size_t *len)
{
	TPML_PCR_SELECTION s;

	(void)len;
	get_sel(buf, &s);
	s.count = 17;
	put_sel(buf, &s);
}

/* sha256 also selects PCR 15: one value short. */
static void m_fewer_values(uint8_t *buf, size_t *len)
{
	TPML_PCR_SELECTION s;

	(void)len;
	get_sel(buf, &s);
	s.pcrSelections[1].pcrSelect[1] |= 0x80;
	put_sel(buf, &s);
}

/* The last list is one entry short. */
static void m_fewer_in_list(uint8_t *buf, size_t *len)
{
	TPML_DIGEST d;

	(void)len;
	get_list(buf, 2, &d);
	d.count--;
	put_list(buf, 2, &d);
}

/* sha256 no longer selects PCR 14: one value too many. */
static void m_more_values(uint8_t *buf, size_t *len)
{
	TPML_PCR_SELECTION s;

	(void)len;
	get_sel(buf, &s);
	s.pcrSelections[1].pcrSelect[1] &= (uint8_t)~0x40;
	put_sel(buf, &s);
}

/* One whole list more than the selection needs. */
static void m_extra_list(uint8_t *buf, size_t *len)
{
	TPML_DIGEST d;

	get_list(buf, 2, &d);
	put_list(buf, 3, &d);
	put_count(buf, 4);
	*len += sizeof(TPML_DIGEST);
}

static const struct pcrs_case pcrs_cases[] = {
	{ "truncated", m_truncated, GW_E_TRUNCATED, "expected" },
	{ "header only", m_header_only, GW_E_TRUNCATED, "too short" },
	{ "trailing byte", m_trailing, GW_E_TRAILING, "1 trailing" },
	{ "count 65", m_count_65, GW_E_TOOBIG, "65 digest lists" },
	{ "list of 9", m_list_9, GW_E_PARSE, "digest list of 9" },
	{ "digest size", m_digest_size, GW_E_PARSE, "PCR 3 value has 32 bytes, bank needs 20" },
	{ "pcr 24", m_pcr_24, GW_E_PARSE, "above 23" },
	{ "bank twice", m_bank_twice, GW_E_PARSE, "listed twice" },
	{ "unknown bank", m_unknown_bank, GW_E_UNSUPPORTED, "0x0099" },
	{ "sizeofSelect 5", m_select_5, GW_E_PARSE, "selection size 5" },
	{ "no banks", m_no_banks, GW_E_PARSE, "0 banks" },
	{ "17 banks", m_17_banks, GW_E_PARSE, "17 banks" },
	{ "fewer values", m_fewer_values, GW_E_TRUNCATED, "fewer values" },
	{ "fewer in list", m_fewer_in_list, GW_E_TRUNCATED, "fewer values" },
	{ "more values", m_more_values, GW_E_TRAILING, "more values" },
	{ "extra list", m_extra_list, GW_E_TRAILING, "more values" },
};

static void test_pcrs_file_bad(void **state)
{
	uint8_t *good = NULL;
	size_t good_len = 0;

	(void)state;
	read_fixture("quote.pcrs", &good, &good_len);
	for (size_t i = 0; i < GW_ARRAY_SIZE(pcrs_cases); i++) {
		const struct pcrs_case *c = &pcrs_cases[i];
		uint8_t *buf = calloc(1, good_len + sizeof(TPML_DIGEST) + 1);
		size_t len = good_len;
		struct tpmdata_pcrs pcrs;
		gw_error err = { { 0 } };
		int rc;

		assert_non_null(buf);
		memcpy(buf, good, good_len);
		c->mutate(buf, &len);
		rc = tpmdata_pcrs_file_parse(buf, len, &pcrs, &err);
		if (rc != c->code)
			fail_msg("%s: got %d (%s), expected %d", c->name, rc,
				 gw_error_msg(&err, rc), c->code);
		if (!strstr(err.msg, c->msg) || !strstr(err.msg, "PCR file"))
			fail_msg("%s: message '%s' lacks '%s'", c->name, err.msg, c->msg);
		free(buf);
	}
	free(good);
}

static void test_pcrs_file_round_trip(void **state)
{
	struct tpmdata_pcrs a, b;
	uint8_t *buf = NULL, *out = NULL;
	size_t len = 0, out_len = 0;

	(void)state;
	parse_pcrs_fixture(&a, &buf, &len);
	assert_int_equal(tpmdata_pcrs_file_write(&a, &out, &out_len), 0);
	/* Packed like tpm2-tools: eight values per list. */
	assert_int_equal(out_len, LIST_OFF + 3 * sizeof(TPML_DIGEST));
	assert_int_equal(tpmdata_pcrs_file_parse(out, out_len, &b, NULL), 0);
	assert_true(gw_pcrsel_equal(&a.sel, &b.sel));
	assert_memory_equal(&a, &b, sizeof(a));
	free(out);

	/* A selection of one bank with values of another cannot be written. */
	a.values.bank[0].alg = TPM2_ALG_SHA384;
	a.values.bank[1].alg = TPM2_ALG_SHA384;
	assert_int_equal(tpmdata_pcrs_file_write(&a, &out, &out_len), GW_E_INVAL);
	free(buf);
}

/* tpmdata_pcr_digest against OpenSSL over the same values, and against the real
 * TPM's pcrDigest in quote.msg. */
static void test_pcr_digest(void **state)
{
	struct tpmdata_pcrs pcrs;
	uint8_t *buf = NULL, *msg = NULL;
	size_t len = 0, mlen = 0, dlen = 0;
	uint8_t d[GW_MAX_DIGEST], want[EVP_MAX_MD_SIZE];
	unsigned int wlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	TPMS_ATTEST a;
	gw_error err = { { 0 } };

	(void)state;
	parse_pcrs_fixture(&pcrs, &buf, &len);
	assert_non_null(ctx);
	assert_int_equal(EVP_DigestInit_ex(ctx, EVP_sha256(), NULL), 1);
	for (size_t b = 0; b < pcrs.sel.count; b++) {
		const struct gw_pcr_bank *bank =
			gw_pcr_set_find(&pcrs.values, pcrs.sel.pcrSelections[b].hash);

		for (unsigned p = 0; p < 24; p++)
			if (pcrs.sel.pcrSelections[b].pcrSelect[p / 8] & (1u << (p % 8)))
				assert_int_equal(EVP_DigestUpdate(ctx, bank->pcr[p], bank->size), 1);
	}
	assert_int_equal(EVP_DigestFinal_ex(ctx, want, &wlen), 1);
	EVP_MD_CTX_free(ctx);
	assert_int_equal(tpmdata_pcr_digest(&pcrs, TPM2_ALG_SHA256, d, &dlen, &err), 0);
	assert_int_equal(dlen, wlen);
	assert_memory_equal(d, want, wlen);

	read_fixture("quote.msg", &msg, &mlen);
	assert_int_equal(tpmdata_attest_unmarshal(msg, mlen, &a, NULL), 0);
	assert_int_equal(a.attested.quote.pcrDigest.size, 32);
	assert_memory_equal(a.attested.quote.pcrDigest.buffer, d, 32);

	/* A selected PCR without a value, and an unknown hash. */
	pcrs.values.bank[1].touched &= ~(1u << 13);
	assert_int_equal(tpmdata_pcr_digest(&pcrs, TPM2_ALG_SHA256, d, &dlen, &err),
			 GW_E_PCRDIGEST);
	assert_msg_has(&err, "PCR 13");
	assert_int_equal(tpmdata_pcr_digest(&pcrs, 0x0099, d, &dlen, &err), GW_E_UNSUPPORTED);
	free(msg);
	free(buf);
}

/* ---------------------------------------------------------------------- keys --- */

static EVP_PKEY *load_ok(const char *name)
{
	char path[512];
	EVP_PKEY *key = NULL;
	gw_error err = { { 0 } };
	int rc;

	assert_int_equal(gw_snprintf(path, sizeof(path), "%s/%s", QUOTE_DIR, name), 0);
	rc = tpmdata_pkey_load(path, &key, &err);
	if (rc)
		fail_msg("%s: %s", name, gw_error_msg(&err, rc));
	return key;
}

static void test_public_to_pkey(void **state)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	TPM2B_PUBLIC p;
	EVP_PKEY *pem = load_ok("ak.pem"), *tpm = load_ok("ak.pub"), *conv = NULL;
	char *text = NULL;
	uint8_t *pemfile = NULL;
	size_t pemlen = 0;

	(void)state;
	read_fixture("ak.pub", &buf, &len);
	assert_int_equal(tpmdata_public_unmarshal(buf, len, &p, NULL), 0);
	assert_int_equal(tpmdata_public_to_pkey(&p.publicArea, &conv, NULL), 0);
	assert_true(tpmdata_pkey_equal(conv, pem));
	assert_true(tpmdata_pkey_equal(tpm, pem));
	/* PEM written back is the agent's ak.pem byte for byte. */
	assert_int_equal(tpmdata_pkey_to_pem(conv, &text), 0);
	read_fixture("ak.pem", &pemfile, &pemlen);
	assert_string_equal(text, (const char *)pemfile);
	free(text);
	free(pemfile);
	EVP_PKEY_free(conv);
	EVP_PKEY_free(tpm);
	EVP_PKEY_free(pem);
	free(buf);
}

static void test_public_to_pkey_bad(void **state)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	TPM2B_PUBLIC p, q;
	EVP_PKEY *key = NULL, *rsa = NULL;
	gw_error err = { { 0 } };
	BIGNUM *n = NULL;

	(void)state;
	read_fixture("ak.pub", &buf, &len);
	assert_int_equal(tpmdata_public_unmarshal(buf, len, &p, NULL), 0);

	q = p;
	q.publicArea.parameters.eccDetail.curveID = TPM2_ECC_BN_P256;
	assert_int_equal(tpmdata_public_to_pkey(&q.publicArea, &key, &err), GW_E_UNSUPPORTED);
	assert_msg_has(&err, "curve");
	q = p;
	q.publicArea.unique.ecc.y.buffer[5] ^= 1;
	assert_int_equal(tpmdata_public_to_pkey(&q.publicArea, &key, &err), GW_E_KEY);
	assert_msg_has(&err, "not a point on the curve");
	q = p;
	q.publicArea.unique.ecc.x.size = 33;
	assert_int_equal(tpmdata_public_to_pkey(&q.publicArea, &key, &err), GW_E_KEY);
	assert_msg_has(&err, "larger than the curve");
	q = p;
	q.publicArea.type = TPM2_ALG_KEYEDHASH;
	assert_int_equal(tpmdata_public_to_pkey(&q.publicArea, &key, &err), GW_E_UNSUPPORTED);
	assert_msg_has(&err, "key type");

	/* RSA: a software key's modulus as a TPM public area. */
	rsa = EVP_RSA_gen(2048);
	assert_non_null(rsa);
	assert_int_equal(EVP_PKEY_get_bn_param(rsa, "n", &n), 1);
	memset(&q, 0, sizeof(q));
	q.publicArea.type = TPM2_ALG_RSA;
	q.publicArea.nameAlg = TPM2_ALG_SHA256;
	q.publicArea.parameters.rsaDetail.keyBits = 2048;
	q.publicArea.unique.rsa.size = 256;
	assert_int_equal(BN_bn2binpad(n, q.publicArea.unique.rsa.buffer, 256), 256);
	assert_int_equal(tpmdata_public_to_pkey(&q.publicArea, &key, &err), 0);
	assert_true(tpmdata_pkey_equal(key, rsa));
	EVP_PKEY_free(key);
	key = NULL;
	q.publicArea.unique.rsa.size = 127;
	assert_int_equal(tpmdata_public_to_pkey(&q.publicArea, &key, &err), GW_E_KEY);
	assert_msg_has(&err, "too small");
	assert_null(key);
	BN_free(n);
	EVP_PKEY_free(rsa);
	free(buf);
}

/* name = 000b || SHA-256(marshalled TPMT_PUBLIC): the TPM2B_PUBLIC file without its
 * two size bytes. */
static void test_public_name(void **state)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	TPM2B_PUBLIC p;
	TPM2B_NAME name;
	uint8_t want[34] = { 0x00, 0x0b };
	unsigned int n = 0;

	(void)state;
	read_fixture("ak.pub", &buf, &len);
	assert_int_equal(tpmdata_public_unmarshal(buf, len, &p, NULL), 0);
	assert_int_equal(EVP_Digest(buf + 2, len - 2, want + 2, &n, EVP_sha256(), NULL), 1);
	assert_int_equal(tpmdata_public_name(&p.publicArea, &name), 0);
	assert_int_equal(name.size, 34);
	assert_memory_equal(name.name, want, 34);
	p.publicArea.nameAlg = 0x0099;
	assert_int_equal(tpmdata_public_name(&p.publicArea, &name), GW_E_INVAL);
	free(buf);
}

static void test_pkey_load(void **state)
{
	EVP_PKEY *key = NULL;
	gw_error err = { { 0 } };
	static const char pem[] = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";

	(void)state;
	assert_int_equal(tpmdata_pkey_load(QUOTE_DIR "/bad-key-garbage.bin", &key, &err),
			 GW_E_PARSE);
	assert_msg_has(&err, "bad-key-garbage.bin: TPM2B_PUBLIC");
	assert_int_equal(tpmdata_pkey_load(QUOTE_DIR "/bad-key-truncated.pem", &key, &err),
			 GW_E_KEY);
	assert_msg_has(&err, "bad-key-truncated.pem: not a PEM public key");
	assert_int_equal(tpmdata_pkey_load(QUOTE_DIR "/ak.pub.missing", &key, &err),
			 GW_E_NOTFOUND);
	assert_int_equal(tpmdata_pkey_load(QUOTE_DIR "/bad-key-empty.bin", &key, &err),
			 GW_E_PARSE);
	assert_null(key);
	assert_int_equal(tpmdata_pkey_from_pem(pem, sizeof(pem) - 1, &key, &err), GW_E_KEY);
	assert_int_equal(tpmdata_pkey_from_pem(pem, 65 * 1024, &key, &err), GW_E_TOOBIG);
	assert_null(key);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unmarshal_fixtures),
		cmocka_unit_test(test_tpm2b_bad),
		cmocka_unit_test(test_tpm2b_good),
		cmocka_unit_test(test_marshal_round_trip),
		cmocka_unit_test(test_pcrs_file_good),
		cmocka_unit_test(test_pcrs_file_bad),
		cmocka_unit_test(test_pcrs_file_round_trip),
		cmocka_unit_test(test_pcr_digest),
		cmocka_unit_test(test_public_to_pkey),
		cmocka_unit_test(test_public_to_pkey_bad),
		cmocka_unit_test(test_public_name),
		cmocka_unit_test(test_pkey_load),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
