#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# gwagent provision against a fresh swtpm: creates EK/SRK/AK, is idempotent, leaves
# no handles, --force recreates the AK; status reports what exists.
# shellcheck source=swtpm-tests/lib.sh
source "$(dirname "$0")/lib.sh"
require_cmd tpm2_getcap tpm2_readpublic openssl

swtpm_start || exit 1
state=$GW_TMP/state

expect_exit -n status-before-provision 0 gwagent --state-dir "$state" status
expect_output_contains -n status-says-ak-missing 'AK: +0x81000020 missing'

expect_exit -n provision-first 0 gwagent --state-dir "$state" provision
expect_output_contains -n provision-uses-rsa-ek-with-cert 'EK: +RSA 2048, certificate read'
expect_output_contains -n provision-created-srk 'SRK: created at 0x81000001'
expect_output_contains -n provision-created-ak 'AK: +created at 0x81000020'
expect_no_handles provision-first-leaves-no-handles
for f in ak.pem ak.pub ek.pem ek.pub ek-cert.der; do
  expect_file "exported-$f" "$state/$f"
done
check ak-pem-is-p256 bash -c "openssl pkey -pubin -in '$state/ak.pem' -text -noout | grep -q 'NIST CURVE: P-256'"
check ek-cert-matches-ek-pem bash -c \
  "diff <(openssl x509 -inform der -in '$state/ek-cert.der' -pubkey -noout) '$state/ek.pem'"
check ak-persistent-attributes bash -c \
  "tpm2_readpublic -c 0x81000020 | grep -q 'restricted' && tpm2_readpublic -c 0x81000020 | grep -q 'fixedtpm'"

sums_before=$(cd "$state" && sha256sum ak.pem ak.pub ek.pem ek.pub ek-cert.der)
mtime_before=$(stat -c %Y.%y "$state/ak.pem")
persistent_before=$(tpm2_getcap handles-persistent)
sleep 1
expect_exit -n provision-second 0 gwagent --state-dir "$state" provision
expect_output_contains -n provision-second-srk-exists 'SRK: exists'
expect_output_contains -n provision-second-ak-exists 'AK: +exists'
expect_eq provision-second-same-files "$(cd "$state" && sha256sum ak.pem ak.pub ek.pem ek.pub ek-cert.der)" "$sums_before"
expect_eq provision-second-no-rewrite "$(stat -c %Y.%y "$state/ak.pem")" "$mtime_before"
expect_eq provision-second-same-handles "$(tpm2_getcap handles-persistent)" "$persistent_before"
expect_no_handles provision-second-leaves-no-handles

expect_exit -n provision-json 0 gwagent --state-dir "$state" provision --json
check provision-json-parses python3 -c "import json,sys; d=json.load(open('$GW_STDOUT')); assert d['ak']['status']=='exists' and d['srk']['status']=='exists' and d['ek']['certificate'] is True"

expect_exit -n provision-force 0 gwagent --state-dir "$state" provision --force
expect_output_contains -n provision-force-recreated 'AK: +recreated'
old_ak=$(printf '%s\n' "$sums_before" | awk '$2=="ak.pem"{print $1}')
expect_ne provision-force-new-ak "$(sha256sum "$state/ak.pem" | cut -d' ' -f1)" "$old_ak"
expect_no_handles provision-force-leaves-no-handles

expect_exit -n status-json 0 gwagent --state-dir "$state" status --json
check status-json-fields python3 -c "
import json; d=json.load(open('$GW_STDOUT'))
assert d['objects']['ak']['present'] and d['objects']['srk']['present']
assert d['objects']['ek_certificate']=='rsa-2048'
assert set(d['banks'])=={'sha1','sha256'}
assert set(d['pcrs']['sha256'])=={'13','14'}
assert d['event_log']['records']==0
assert d['enrollment']['state']=='not-enrolled' and d['update'] is None"
expect_exit -n status-text 0 gwagent --state-dir "$state" status
expect_output_contains -n status-text-not-enrolled "Enrollment: not enrolled"

# The TCTI can come from the environment, the config file or --tcti.
tcti=$GW_TCTI
printf '[agent]\ntcti = %s\nstate_dir = %s\n' "$tcti" "$state" >"$GW_TMP/agent.conf"
noenv=(env -u GW_TCTI -u TPM2TOOLS_TCTI -u TSS2_LOG)
dead="swtpm:host=127.0.0.1,port=1"
expect_exit -n tcti-from-config 0 "${noenv[@]}" "$GW_BIN/gwagent" --config "$GW_TMP/agent.conf" status
expect_exit -n tcti-from-option 0 "${noenv[@]}" "$GW_BIN/gwagent" --tcti "$tcti" --state-dir "$state" status
expect_exit -n tcti-from-T 0 "${noenv[@]}" "$GW_BIN/gwagent" -T "$tcti" --state-dir "$state" status
expect_exit -n bad-tcti-is-tpm-error 4 "${noenv[@]}" "$GW_BIN/gwagent" --tcti "$dead" --state-dir "$state" status
# tpm2-tss's own log lines only with -v (or the operator's own $TSS2_LOG).
expect_output_not_contains -n tss-quiet-without-v "^(ERROR|WARNING):" "$GW_STDERR"
expect_output_contains -n bad-tcti-says-why "^gwagent: TPM: cannot open TPM through TCTI" "$GW_STDERR"
expect_exit -n bad-tcti-verbose 4 "${noenv[@]}" "$GW_BIN/gwagent" -v --tcti "$dead" --state-dir "$state" status
expect_output_contains -n tss-lines-with-v "^ERROR:tcti:" "$GW_STDERR"
expect_exit -n bad-tcti-own-tss2-log 4 "${noenv[@]}" TSS2_LOG=tcti+error "$GW_BIN/gwagent" --tcti "$dead" --state-dir "$state" status
expect_output_contains -n tss-own-tss2-log-kept "^ERROR:tcti:" "$GW_STDERR"
# Order: --tcti, $GW_TCTI, tpm2-tools' $TPM2TOOLS_TCTI, the config file.
expect_exit -n tpm2tools-tcti-over-config 4 "${noenv[@]}" TPM2TOOLS_TCTI="$dead" \
  "$GW_BIN/gwagent" --config "$GW_TMP/agent.conf" status
expect_exit -n gw-tcti-over-tpm2tools-tcti 0 "${noenv[@]}" GW_TCTI="$tcti" TPM2TOOLS_TCTI="$dead" \
  "$GW_BIN/gwagent" --config "$GW_TMP/agent.conf" status
expect_exit -n option-over-environment 0 "${noenv[@]}" GW_TCTI="$dead" TPM2TOOLS_TCTI="$dead" \
  "$GW_BIN/gwagent" -T "$tcti" --config "$GW_TMP/agent.conf" status
expect_exit -n missing-config-is-config-error 3 gwagent --config "$GW_TMP/nope.conf" status
printf '[agent]\nbogus = 1\n' >"$GW_TMP/bad.conf"
expect_exit -n unknown-config-key 3 gwagent --config "$GW_TMP/bad.conf" status
expect_output_contains -n unknown-config-key-named "bad.conf:2: .*unknown key 'bogus'"
