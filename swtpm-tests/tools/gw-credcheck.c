// SPDX-License-Identifier: Apache-2.0
// Test tool: makes a credential in software for the TPM's EK and AK and has the TPM
// activate it, as enrollment does.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "credential.h"
#include "tpm.h"
#include "util.h"

/* Exit codes of this tool. */
enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2, EXIT_ACTIVATE = 3 };

static void usage(FILE *f)
{
	fprintf(f, "usage: gw-credcheck [--ek rsa|ecc] [--ak-handle H] [--corrupt]\n\n"
		   "Creates the EK (default rsa) to read its public area, reads the AK public at\n"
		   "H (default 0x81000020), makes a credential for the AK's name with a random\n"
		   "32-byte secret in software, and has the TPM activate it. Prints \"ok\" when\n"
		   "the TPM returns the secret. --corrupt flips a byte of the credential blob\n"
		   "first, which the TPM must refuse. TCTI from $GW_TCTI.\n"
		   "Exit: 0 ok, 1 other failure, 2 usage, 3 TPM2_ActivateCredential failed.\n");
}

static int run(const char *tcti, enum tpm_ek_type ek_type, TPM2_HANDLE ak_handle, int corrupt)
{
	struct agent_tpm *tpm = NULL;
	TPM2B_PUBLIC ek, ak;
	TPM2B_NAME name;
	TPM2B_ID_OBJECT blob;
	TPM2B_ENCRYPTED_SECRET enc;
	uint8_t secret[32], got[64];
	size_t got_len = sizeof(got);
	gw_error err = { { 0 } };
	int rc, status = EXIT_FAIL;

	rc = tpm_open(tcti, &tpm, &err);
	if (!rc)
		rc = tpm_ek_public(tpm, ek_type, &ek, &err);
	if (!rc)
		rc = tpm_read_public(tpm, ak_handle, &ak, &err);
	if (!rc && tpmdata_public_name(&ak.publicArea, &name))
		rc = gw_fail(&err, GW_E_KEY, "cannot compute the AK name");
	if (!rc && RAND_bytes(secret, sizeof(secret)) != 1)
		rc = gw_fail(&err, GW_E_CRYPTO, "RAND_bytes failed");
	if (!rc)
		rc = credential_make(&ek, &name, secret, sizeof(secret), &blob, &enc, &err);
	if (rc) {
		fprintf(stderr, "gw-credcheck: %s\n", gw_error_msg(&err, rc));
		goto out;
	}
	if (corrupt)
		blob.credential[blob.size - 1] ^= 0x01;
	rc = tpm_activate_credential(tpm, ek_type, ak_handle, &blob, &enc, got, &got_len, &err);
	if (rc) {
		fprintf(stderr, "gw-credcheck: %s\n", gw_error_msg(&err, rc));
		status = rc == GW_E_TPM ? EXIT_ACTIVATE : EXIT_FAIL;
		goto out;
	}
	if (got_len != sizeof(secret) || !gw_ct_equal(got, secret, sizeof(secret))) {
		fprintf(stderr, "gw-credcheck: the TPM returned a different secret\n");
		goto out;
	}
	printf("ok\n");
	status = EXIT_OK;
out:
	gw_wipe(secret, sizeof(secret));
	gw_wipe(got, sizeof(got));
	tpm_close(tpm);
	return status;
}

int main(int argc, char **argv)
{
	enum tpm_ek_type ek_type = TPM_EK_RSA2048;
	TPM2_HANDLE ak_handle = TPM_DEFAULT_AK_HANDLE;
	const char *tcti = getenv("GW_TCTI");
	int corrupt = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--ek") && i + 1 < argc) {
			i++;
			if (!strcmp(argv[i], "rsa")) {
				ek_type = TPM_EK_RSA2048;
			} else if (!strcmp(argv[i], "ecc")) {
				ek_type = TPM_EK_ECC_P256;
			} else {
				usage(stderr);
				return EXIT_USAGE;
			}
		} else if (!strcmp(argv[i], "--ak-handle") && i + 1 < argc) {
			char *end = NULL;
			unsigned long h = strtoul(argv[++i], &end, 0);

			if (!end || *end || end == argv[i] || h > 0xffffffffUL) {
				usage(stderr);
				return EXIT_USAGE;
			}
			ak_handle = (TPM2_HANDLE)h;
		} else if (!strcmp(argv[i], "--corrupt")) {
			corrupt = 1;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return EXIT_OK;
		} else {
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (!tcti || !*tcti) {
		fprintf(stderr, "gw-credcheck: GW_TCTI is not set\n");
		return EXIT_USAGE;
	}
	return run(tcti, ek_type, ak_handle, corrupt);
}
