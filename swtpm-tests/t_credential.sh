#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Credential activation: a credential made in software (credential_make) for the
# provisioned AK and the RSA or ECC EK is activated by the TPM; a corrupted one is
# refused; no handle is left behind either way.
# shellcheck source=swtpm-tests/lib.sh
source "$(dirname "$0")/lib.sh"
require_cmd tpm2_getcap

credcheck() { "$GW_BIN/tools/gw-credcheck" "$@"; }

swtpm_start || exit 1
state=$GW_TMP/state

expect_exit -n provision 0 gwagent --state-dir "$state" provision
expect_no_handles provision-leaves-no-handles

expect_exit -n activate-rsa-ek 0 credcheck --ek rsa
expect_output_contains -n activate-rsa-ek-ok '^ok$' "$GW_STDOUT"
expect_no_handles activate-rsa-ek-leaves-no-handles

expect_exit -n activate-ecc-ek 0 credcheck --ek ecc
expect_output_contains -n activate-ecc-ek-ok '^ok$' "$GW_STDOUT"
expect_no_handles activate-ecc-ek-leaves-no-handles

expect_exit -n activate-explicit-ak-handle 0 credcheck --ek rsa --ak-handle 0x81000020
expect_no_handles activate-explicit-ak-handle-leaves-no-handles

expect_exit -n corrupt-blob-rsa-is-tpm-error 3 credcheck --ek rsa --corrupt
expect_output_contains -n corrupt-blob-rsa-message 'TPM2_ActivateCredential refused' "$GW_STDERR"
expect_no_handles corrupt-blob-rsa-leaves-no-handles

expect_exit -n corrupt-blob-ecc-is-tpm-error 3 credcheck --ek ecc --corrupt
expect_no_handles corrupt-blob-ecc-leaves-no-handles

# No AK at that handle: a plain failure before the TPM is asked to activate.
expect_exit -n missing-ak-fails 1 credcheck --ek rsa --ak-handle 0x81000030
expect_no_handles missing-ak-leaves-no-handles
