#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The release engineer's policy flow against a real swtpm and verifier: a device
# boots real firmware (a shared event log replayed into the TPM) and its stages; a
# policy drafted with `gwpolicy from-eventlog` from that first boot, with stage
# digests from the files and PCR values checked with `gwpolicy predict`, is signed
# and loaded; later boots appraise as affirming; a mid-rollout policy allows two
# stage digests; another firmware, a stage outside the policy, and a model past its
# end of support are contraindicated, contraindicated and warning, each named.
# shellcheck source=swtpm-tests/lib.sh
source "$(dirname "$0")/lib.sh"
require_cmd swtpm_ioctl tpm2_startup openssl python3

fwlog=$GW_TESTDATA/eventlogs/tpm2-tools-event-arch-linux.bin
other_fw=$GW_TESTDATA/eventlogs/tpm2-tools-event-uefiservices.bin
fwsim=$GW_BIN/tools/gw-fwsim
state=$GW_TMP/state
vdir=$GW_TMP/verifier
conf=$GW_TMP/agent.conf
app=$GW_TMP/app.bin
localca=/var/lib/swtpm-localca
ga() { gwagent --config "$conf" "$@"; }
vconf() { gwverifier "$1" "$2" --config "$vdir/verifier.conf" "${@:3}"; }

# firmware_boot LOG NAME: power on (fresh or cycled), firmware measures LOG, then
# the agent's boot measures its stages.
firmware_boot() {
  local log=$1 name=$2
  expect_exit -n "$name-fwsim-startup" 0 "$fwsim" startup "$log" || return 1
  expect_exit -n "$name-fwsim-replay" 0 "$fwsim" replay "$log" || return 1
  expect_exit -n "$name-agent-boot" 0 ga boot
}

GW_BANKS=sha1,sha256 swtpm_start --no-startup || exit 1
echo "application v1" >"$app"
gw_agent_config "$conf" "$state" "app=$app"
printf '[agent]\nfirmware_log = %s\n' "$fwlog" >>"$conf"
firmware_boot "$fwlog" first-boot || exit 1
expect_exit -n provision 0 ga provision

# A verifier that trusts one release engineer's policy key.
port=$(free_port) || exit 1
expect_exit -n verifier-init 0 gwverifier init "$vdir" --listen "127.0.0.1:$port" \
  --ek-ca "$localca/swtpm-localca-rootca-cert.pem" --ek-ca "$localca/issuercert.pem"
expect_exit -n keygen 0 gwpolicy keygen --out "$GW_TMP/release"
sed -i 's/^auto_approve = .*/auto_approve = models:gw-1000/' "$vdir/verifier.conf"
printf '\n[policy]\nkey = %s\nthreshold = 1\n' "$GW_TMP/release.pub" >>"$vdir/verifier.conf"
bg_start verifier "$GW_BIN/gwverifier" serve --config "$vdir/verifier.conf"
if ! wait_for_port "$port" 15; then
  fail verifier-listens "gwverifier serve did not listen on $port"
  _gw_show_file verifier.log "$GW_TMP/verifier.log"
  exit 1
fi
expect_exit -n enroll 0 ga enroll --verifier "https://127.0.0.1:$port" --ca "$vdir/ca.pem" \
  --device-id gw-flow-1 --model gw-1000

# The release engineer: predicted PCRs equal the device's, then a draft from the
# golden device's firmware log and the stage file, linted, signed and loaded.
expect_exit -n predict 0 gwpolicy predict --stage "app=$app" --gate-key "$vdir/gate.pub" --json
cp "$GW_STDOUT" "$GW_TMP/predict.json"
# The device measured its gate key at enrollment, after this boot's stages; a
# reboot puts them in the order predict computes.
expect_exit -n power-cycle-1 0 swtpm_power_cycle --no-startup
firmware_boot "$fwlog" second-boot || exit 1
for pcr in 13 14; do
  expect_eq "predict-pcr$pcr-sha256" \
    "$(python3 -c "import json; print(json.load(open('$GW_TMP/predict.json'))['pcrs']['sha256']['$pcr'])")" \
    "$(tpm_pcr sha256 "$pcr")"
done
expect_exit -n from-eventlog 0 gwpolicy from-eventlog "$fwlog" --model gw-1000 \
  --stage "app=$app" --gate-key "$vdir/gate.pub" --description "gw-1000 golden boot"
cp "$GW_STDOUT" "$GW_TMP/policy-v1.json"
expect_output_contains -n draft-comments-events '"comment": "event [0-9]*: EV_' \
  "$GW_TMP/policy-v1.json"
check draft-has-every-rule-kind python3 -c "
import json; p=json.load(open('$GW_TMP/policy-v1.json'))
fw=p['firmware']
assert p['model']=='gw-1000' and p['version']==1, p
assert fw['bank']=='sha256' and fw['required_events'] and fw['bootloader'], fw.keys()
assert set(p['stages'])=={'app'} and p['trust']['gate_key'], p
assert 'sha256:' in p['pcr_selection'] and '13' in p['pcr_selection'], p['pcr_selection']"
# The same draft from the device's own CEL log names the same stage digest.
expect_exit -n from-eventlog-cel 0 gwpolicy from-eventlog "$fwlog" --model gw-1000 \
  --cel "$state/eventlog.cel"
check draft-from-cel-same-stages python3 -c "
import json
a=json.load(open('$GW_TMP/policy-v1.json')); b=json.load(open('$GW_STDOUT'))
assert a['stages']==b['stages'] and a['trust']==b['trust'] and a['firmware']==b['firmware']"
expect_exit -n lint 0 gwpolicy lint "$GW_TMP/policy-v1.json"
expect_exit -n sign 0 gwpolicy sign --key "$GW_TMP/release.key" "$GW_TMP/policy-v1.json"
cp "$GW_STDOUT" "$GW_TMP/policy-v1.signed"
expect_exit -n policy-add 0 vconf policy add "$GW_TMP/policy-v1.signed"

# Later boots of the same firmware and image: affirming, every claim named.
for n in 1 2; do
  expect_exit -n "later-boot-$n-cycle" 0 swtpm_power_cycle --no-startup
  firmware_boot "$fwlog" "later-boot-$n" || exit 1
  expect_exit -n "later-boot-$n-affirming" 0 ga attest --json
  check "later-boot-$n-claims" python3 -c "
import json; r=json.load(open('$GW_STDOUT'))
assert r['status']=='affirming' and r['failed_claims']==[], r"
done

# Mid-rollout: version 2 allows the old and the new application image.
echo "application v2" >"$GW_TMP/app-v2.bin"
expect_exit -n from-eventlog-v2 0 gwpolicy from-eventlog "$fwlog" --model gw-1000 \
  --version 2 --stage "app=$app" --stage "app=$GW_TMP/app-v2.bin" --gate-key "$vdir/gate.pub"
cp "$GW_STDOUT" "$GW_TMP/policy-v2.json"
check v2-has-two-app-digests python3 -c "
import json; assert len(json.load(open('$GW_TMP/policy-v2.json'))['stages']['app'])==2"
expect_exit -n sign-v2 0 gwpolicy sign --key "$GW_TMP/release.key" "$GW_TMP/policy-v2.json"
cp "$GW_STDOUT" "$GW_TMP/policy-v2.signed"
expect_exit -n policy-add-v2 0 vconf policy add "$GW_TMP/policy-v2.signed"
expect_exit -n rollout-old-image-affirming 0 ga attest
cp "$GW_TMP/app-v2.bin" "$app"
expect_exit -n rollout-cycle 0 swtpm_power_cycle --no-startup
firmware_boot "$fwlog" rollout-boot || exit 1
expect_exit -n rollout-new-image-affirming 0 ga attest

# A stage file the policy does not allow: contraindicated, the stage and digest named.
echo "application v3, unreleased" >"$app"
v3=$(sha256sum "$app" | cut -d' ' -f1)
expect_exit -n unknown-image-cycle 0 swtpm_power_cycle --no-startup
firmware_boot "$fwlog" unknown-image-boot || exit 1
expect_exit -n unknown-image-contraindicated 24 ga attest --json
expect_output_contains -n unknown-image-names-stage "stage app .*seen $v3" "$GW_STDOUT"

# Other firmware (another real log) under the same image: contraindicated, the
# firmware rule, PCR and event named.
cp "$GW_TMP/app-v2.bin" "$app"
sed -i "s|^firmware_log = .*|firmware_log = $other_fw|" "$conf"
expect_exit -n other-fw-cycle 0 swtpm_power_cycle --no-startup
firmware_boot "$other_fw" other-fw-boot || exit 1
expect_exit -n other-firmware-contraindicated 24 ga attest --json
expect_output_contains -n other-firmware-names-rule '\$\.firmware\.' "$GW_STDOUT"
expect_output_contains -n other-firmware-names-event 'PCR [0-9]* event [0-9]*' "$GW_STDOUT"

# Back to the golden firmware, but the model is past its end of support: warning.
sed -i "s|^firmware_log = .*|firmware_log = $fwlog|" "$conf"
python3 - "$GW_TMP/policy-v2.json" "$GW_TMP/policy-v3.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
p['version'] = 3
p['update'] = {'end_of_support': '2020-01-31', 'min_security_version': 1}
json.dump(p, open(sys.argv[2], 'w'), indent=2)
PY
expect_exit -n sign-v3 0 gwpolicy sign --key "$GW_TMP/release.key" "$GW_TMP/policy-v3.json"
cp "$GW_STDOUT" "$GW_TMP/policy-v3.signed"
expect_exit -n policy-add-v3 0 vconf policy add "$GW_TMP/policy-v3.signed"
expect_exit -n eos-cycle 0 swtpm_power_cycle --no-startup
firmware_boot "$fwlog" eos-boot || exit 1
expect_exit -n end-of-support-warning 23 ga attest --json
expect_output_contains -n end-of-support-named 'ended after 2020-01-31' "$GW_STDOUT"
expect_no_handles no-handles-left
