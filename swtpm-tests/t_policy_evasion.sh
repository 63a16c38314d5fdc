#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Evidence that root on a gateway can forge, against a real swtpm, verifier and
# agent: events moved between the firmware log and the CEL log, a kernel digest
# extended after boot with the ExitBootServices events moved behind it, a Secure
# Boot variable relabelled while a forged one is extended; and from the review of
# that fix: with a PCR 7 allowed list that admits both SecureBoot states, the real
# SecureBoot event's data edited (digest kept) while a forged one is extended, and
# required events (ExitBootServices) on an allowed PCR 5 extended after boot. The
# quote authenticates only each PCR's sequence of digests: every one is
# contraindicated.
# shellcheck source=swtpm-tests/lib.sh
source "$(dirname "$0")/lib.sh"
require_cmd swtpm_ioctl tpm2_startup tpm2_pcrextend openssl python3

golden=$GW_TESTDATA/eventlogs/tpm2-tools-event-bootorder.bin
fwsim=$GW_BIN/tools/gw-fwsim
fwlog() { python3 "$GW_ROOT/swtpm-tests/fwlog.py" "$@"; }
state=$GW_TMP/state
vdir=$GW_TMP/verifier
conf=$GW_TMP/agent.conf
sent=$GW_TMP/sent.bin
localca=/var/lib/swtpm-localca
ga() { gwagent --config "$conf" "$@"; }
vconf() { gwverifier "$1" "$2" --config "$vdir/verifier.conf" "${@:3}"; }
hexof() { printf '%s' "$1" | od -An -v -tx1 | tr -d ' \n'; }
# digests HEXDATA: sha1=HEX,sha256=HEX of the bytes, as fwlog.py and
# tpm2_pcrextend take them.
digests() {
  local b=$GW_TMP/digests.bin
  printf '%s' "$1" | xxd -r -p >"$b"
  printf 'sha1=%s,sha256=%s' "$(sha1sum <"$b" | cut -d' ' -f1)" "$(sha256sum <"$b" | cut -d' ' -f1)"
}

# boot LOG NAME: power cycle, the firmware measures LOG, the agent its stages; the
# agent will send the golden log unless the attack writes another into $sent.
boot() {
  expect_exit -n "$2-cycle" 0 swtpm_power_cycle --no-startup || return 1
  expect_exit -n "$2-fwsim-startup" 0 "$fwsim" startup "$1" || return 1
  expect_exit -n "$2-fwsim-replay" 0 "$fwsim" replay "$1" || return 1
  cp "$golden" "$sent"
  expect_exit -n "$2-agent-boot" 0 ga boot
}

# load VERSION FILE: sign and load a policy.
load() {
  expect_exit -n "policy-v$1-sign" 0 gwpolicy sign --key "$GW_TMP/release.key" "$2" || return 1
  cp "$GW_STDOUT" "$GW_TMP/policy-v$1.signed"
  expect_exit -n "policy-v$1-add" 0 vconf policy add "$GW_TMP/policy-v$1.signed"
}

# contraindicated NAME REGEX: the attestation is contraindicated, the finding named.
contraindicated() {
  expect_exit -n "$1-contraindicated" 24 ga attest --json
  expect_output_contains -n "$1-named" "$2" "$GW_STDOUT"
}

# policy_edit IN OUT VERSION PYTHON: a copy of a policy with one change.
policy_edit() {
  python3 - "$1" "$2" "$3" "$4" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
p['version'] = int(sys.argv[3])
exec(sys.argv[4])
json.dump(p, open(sys.argv[2], 'w'), indent=2)
PY
}

GW_BANKS=sha1,sha256 swtpm_start --no-startup || exit 1
echo "tool v1, not released" >"$GW_TMP/tool.bin"
echo "application v1" >"$GW_TMP/app.bin"
# The unreleased tool is measured first, so that its record leads PCR 13.
gw_agent_config "$conf" "$state" "tool=$GW_TMP/tool.bin" "app=$GW_TMP/app.bin"
printf '[agent]\nfirmware_log = %s\n' "$sent" >>"$conf"
cp "$golden" "$sent"
expect_exit -n first-fwsim-startup 0 "$fwsim" startup "$golden" || exit 1
expect_exit -n first-fwsim-replay 0 "$fwsim" replay "$golden" || exit 1
expect_exit -n first-agent-boot 0 ga boot || exit 1
expect_exit -n provision 0 ga provision

port=$(free_port) || exit 1
expect_exit -n verifier-init 0 gwverifier init "$vdir" --listen "127.0.0.1:$port" \
  --ek-ca "$localca/swtpm-localca-rootca-cert.pem" --ek-ca "$localca/issuercert.pem"
expect_exit -n keygen 0 gwpolicy keygen --out "$GW_TMP/release"
sed -i 's/^auto_approve = .*/auto_approve = models:gw-1000/' "$vdir/verifier.conf"
printf '\n[policy]\nkey = %s\nthreshold = 1\n' "$GW_TMP/release.pub" >>"$vdir/verifier.conf"
bg_start verifier "$GW_BIN/gwverifier" serve --config "$vdir/verifier.conf"
if ! wait_for_port "$port" 15; then
  fail verifier-listens "gwverifier serve did not listen on $port"
  exit 1
fi
expect_exit -n enroll 0 ga enroll --verifier "https://127.0.0.1:$port" --ca "$vdir/ca.pem" \
  --device-id gw-evasion-1 --model gw-1000

# The golden policy: the firmware log's own draft, both stages, the gate key.
expect_exit -n draft 0 gwpolicy from-eventlog "$golden" --model gw-1000 \
  --stage "tool=$GW_TMP/tool.bin" --stage "app=$GW_TMP/app.bin" --gate-key "$vdir/gate.pub"
cp "$GW_STDOUT" "$GW_TMP/golden.json"
load 1 "$GW_TMP/golden.json" || exit 1
boot "$golden" golden || exit 1
expect_exit -n golden-boot-affirming 0 ga attest --json

# 1. An extra EFI application on PCR 4 and a grub command on PCR 8 were measured;
#    the agent sends the golden firmware log and the two as CEL records.
boot "$golden" moved-to-cel || exit 1
evil_app=$(digests "$(hexof "evil.efi")")
evil_cmd_d=$(digests "$(hexof "grub_cmd: linux /vmlinuz init=/bin/sh")")
check moved-to-cel-extend-4 tpm2_pcrextend "4:$evil_app"
check moved-to-cel-extend-8 tpm2_pcrextend "8:$evil_cmd_d"
check moved-to-cel-records sh -c "python3 '$GW_ROOT/swtpm-tests/fwlog.py' cel-append '$state/eventlog.cel' 4 $evil_app boot-app &&
  python3 '$GW_ROOT/swtpm-tests/fwlog.py' cel-append '$state/eventlog.cel' 8 $evil_cmd_d grub-cmd"
contraindicated moved-to-cel 'PCR 4: .* from the CEL log'

# 2. A stages-only policy; the unreleased tool's stage record moves out of the CEL
#    log into the firmware log, as an EV_IPL event on PCR 13.
policy_edit "$GW_TMP/golden.json" "$GW_TMP/stages.json" 2 \
  "p = {k: p[k] for k in ('model', 'version')}; p['stages'] = {'app': json.load(open('$GW_TMP/golden.json'))['stages']['app']}"
load 2 "$GW_TMP/stages.json" || exit 1
boot "$golden" stage-to-fw || exit 1
tool_d=$(fwlog cel-cut "$state/eventlog.cel" tool)
expect_ne stage-to-fw-cut "$tool_d" ""
check stage-to-fw-log fwlog "$golden" "$sent" "appendd:13:EV_IPL:$(hexof tool):$tool_d"
contraindicated stage-to-fw 'PCR 13.*firmware'

# 3. PCR 4 unchecked, a kernel rule: a kernel the policy does not allow boots; root
#    extends PCR 4 with the allowed kernel's digest and moves the ExitBootServices
#    events (PCR 5, 102 and 103) behind it.
policy_edit "$GW_TMP/golden.json" "$GW_TMP/kernel.json" 3 \
  "p['firmware']['pcrs']['4'] = {'unchecked': True}"
expect_exit -n kernel-lint-refuses 19 gwpolicy lint "$GW_TMP/kernel.json"
expect_output_contains -n kernel-lint-names '\$\.firmware\.kernel' "$GW_STDOUT"
load 3 "$GW_TMP/kernel.json" || exit 1
good_kernel=$(fwlog digests "$golden" 26)
check bad-kernel-log fwlog "$golden" "$GW_TMP/bad-kernel.bin" "digest:26:$(hexof 'bad kernel')"
boot "$GW_TMP/bad-kernel.bin" kernel || exit 1
check kernel-extend tpm2_pcrextend "4:$good_kernel"
check kernel-forged-log fwlog "$GW_TMP/bad-kernel.bin" "$sent" \
  "appendd:4:EV_EFI_BOOT_SERVICES_APPLICATION::$good_kernel" tail:102 tail:103
contraindicated kernel '\$\.firmware\.kernel'

# 4. PCR 7 unchecked, secure_boot enabled, a device with Secure Boot off: root
#    extends PCR 7 with SecureBoot=1 and the real SecureBoot event (4) is
#    relabelled EV_EFI_VARIABLE_BOOT.
policy_edit "$GW_TMP/golden.json" "$GW_TMP/sb.json" 4 \
  "p['firmware']['pcrs']['7'] = {'unchecked': True}; p['firmware']['secure_boot'] = {'enabled': True}"
expect_exit -n sb-lint-refuses 19 gwpolicy lint "$GW_TMP/sb.json"
expect_output_contains -n sb-lint-names '\$\.firmware\.secure_boot' "$GW_STDOUT"
load 4 "$GW_TMP/sb.json" || exit 1
boot "$golden" secure-boot || exit 1
sb_on=$(fwlog var SecureBoot 01)
check sb-extend tpm2_pcrextend "7:$(digests "$sb_on")"
check sb-forged-log fwlog "$golden" "$sent" retype:4:EV_EFI_VARIABLE_BOOT \
  "append:7:EV_EFI_VARIABLE_DRIVER_CONFIG:$sb_on"
contraindicated secure-boot '\$\.firmware\.secure_boot'

# The --allowed draft of the golden boot affirms it, and no longer requires events:
# next to an allowed list root could extend them after boot.
expect_exit -n allowed-draft 0 gwpolicy from-eventlog "$golden" --model gw-1000 --allowed \
  --stage "tool=$GW_TMP/tool.bin" --stage "app=$GW_TMP/app.bin" --gate-key "$vdir/gate.pub"
policy_edit "$GW_STDOUT" "$GW_TMP/allowed.json" 5 "pass"
check allowed-draft-no-required python3 -c "
import json; p=json.load(open('$GW_TMP/allowed.json'))
assert p['firmware']['pcrs']['7'].get('allowed') and 'required_events' not in p['firmware']"
expect_exit -n allowed-draft-lints 0 gwpolicy lint "$GW_TMP/allowed.json"
load 5 "$GW_TMP/allowed.json" || exit 1
boot "$golden" allowed-golden || exit 1
expect_exit -n allowed-golden-affirming 0 ga attest --json

# 5. PCR 7's allowed list admits both SecureBoot states (a fleet list), secure_boot
#    enabled, a device with Secure Boot off: root edits the real SecureBoot=0
#    event's (4) data to say 1, its digest kept, and extends SecureBoot=1.
sb_on_sha256=$(printf '%s' "$sb_on" | xxd -r -p | sha256sum | cut -d' ' -f1)
policy_edit "$GW_TMP/allowed.json" "$GW_TMP/sbfleet.json" 6 "
for el in p['firmware']['pcrs']['7']['allowed']:
    if el['type'] == 'EV_EFI_VARIABLE_DRIVER_CONFIG': el['digests'].append('$sb_on_sha256')
p['firmware']['secure_boot']['enabled'] = True"
expect_exit -n sb-allowed-lint-accepts 0 gwpolicy lint "$GW_TMP/sbfleet.json"
load 6 "$GW_TMP/sbfleet.json" || exit 1
boot "$golden" sb-allowed-honest || exit 1
contraindicated sb-allowed-honest 'Secure Boot is disabled'
boot "$golden" sb-allowed-forged || exit 1
check sb-allowed-extend tpm2_pcrextend "7:$(digests "$sb_on")"
check sb-allowed-forged-log fwlog "$golden" "$sent" "data:4:$sb_on" \
  "append:7:EV_EFI_VARIABLE_DRIVER_CONFIG:$sb_on"
contraindicated sb-allowed-forged 'PCR 7 event 4 .*data does not match its digest'

# 6. Required ExitBootServices events on PCR 5, which has an allowed list: lint
#    refuses them. A boot without them (events 102 and 103), root extends them.
ebs1=$(hexof "Exit Boot Services Invocation")
ebs2=$(hexof "Exit Boot Services Returned with Success")
policy_edit "$GW_TMP/allowed.json" "$GW_TMP/required.json" 7 "
p['firmware']['required_events'] = [{'pcr': 5, 'type': 'EV_EFI_ACTION', 'text': t}
    for t in ('Exit Boot Services Invocation', 'Exit Boot Services Returned with Success')]"
expect_exit -n required-lint-refuses 19 gwpolicy lint "$GW_TMP/required.json"
expect_output_contains -n required-lint-names 'required_events\[0\].*PCR 5 has an allowed rule' \
  "$GW_STDOUT"
load 7 "$GW_TMP/required.json" || exit 1
check no-ebs-log fwlog "$golden" "$GW_TMP/no-ebs.bin" drop:102 drop:103
boot "$GW_TMP/no-ebs.bin" required || exit 1
check required-extend-1 tpm2_pcrextend "5:$(digests "$ebs1")"
check required-extend-2 tpm2_pcrextend "5:$(digests "$ebs2")"
check required-forged-log fwlog "$GW_TMP/no-ebs.bin" "$sent" "append:5:EV_EFI_ACTION:$ebs1" \
  "append:5:EV_EFI_ACTION:$ebs2"
contraindicated required 'required_events\[0\].*not a sequence'

expect_no_handles no-handles-left
