// SPDX-License-Identifier: Apache-2.0
// The agent's trust state in the trust PCR: the pinned verifier gate key, measured
// when it is pinned and again at every boot.
#include "trust.h"

#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "evlog.h"
#include "stage.h"
#include "tpmdata.h"
#include "util.h"

/* Extend H(DER SubjectPublicKeyInfo of the gate key) into the trust PCR, every bank,
 * after logging it. */
int trust_measure_gate(struct agent_ctx *ctx, EVP_PKEY *gate, char *hex, uint64_t *recnum,
		       gw_error *err)
{
	uint8_t d[GW_MAX_BANKS][GW_MAX_DIGEST], sha[32];
	unsigned char *der = NULL;
	struct stage_banks banks;
	struct evlog_meta meta;
	bool fresh = false;
	char desc[128];
	int der_len, rc;

	der_len = i2d_PUBKEY(gate, &der);
	if (der_len <= 0)
		return gw_fail(err, GW_E_CRYPTO, "encoding the gate key");
	rc = gw_hash(TPM2_ALG_SHA256, der, (size_t)der_len, sha);
	if (rc)
		goto out;
	gw_hex_encode(sha, sizeof(sha), hex);
	rc = gw_snprintf(desc, sizeof(desc), "verifier gate key sha256:%s", hex);
	if (rc)
		goto out;
	rc = evlog_sync(ctx, &meta, &fresh, err);
	if (!rc)
		rc = stage_banks_get(ctx, &banks, err);
	if (rc)
		goto out;
	for (size_t i = 0; i < banks.n && !rc; i++)
		rc = gw_hash(banks.alg[i], der, (size_t)der_len, d[i]);
	if (rc) {
		rc = gw_fail(err, GW_E_CRYPTO, "hashing the gate key");
		goto out;
	}
	rc = evlog_measure(ctx, ctx->cfg.trust_pcr, banks.alg, (const uint8_t(*)[GW_MAX_DIGEST])d,
			   banks.n, "trust", NULL, NULL, desc, recnum, err);
out:
	OPENSSL_free(der);
	return rc;
}

int trust_measure_pinned(struct agent_ctx *ctx, bool *measured, gw_error *err)
{
	char path[PATH_MAX], hex[65];
	uint8_t *pem = NULL;
	size_t len = 0;
	EVP_PKEY *gate = NULL;
	int rc;

	*measured = false;
	if (agent_path(ctx, "gate.pub", path, sizeof(path)))
		return gw_fail(err, GW_E_INVAL, "state directory path too long");
	rc = gw_read_file(path, 64 * 1024, &pem, &len, err);
	if (rc == GW_E_NOTFOUND)
		return 0; /* not enrolled: nothing pinned yet */
	if (rc)
		return rc;
	rc = tpmdata_pkey_from_pem((const char *)pem, len, &gate, err);
	if (rc)
		gw_error_prefix(err, "%s: ", path);
	if (!rc)
		rc = trust_measure_gate(ctx, gate, hex, NULL, err);
	if (!rc)
		*measured = true;
	EVP_PKEY_free(gate);
	free(pem);
	return rc;
}
