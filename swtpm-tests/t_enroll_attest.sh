#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Enrollment and attestation against a real verifier: provision, enroll (credential
# activation, device certificate, gate key pinned and measured), attest (affirming),
# the daemon's single round, then a tampered stage (contraindicated) and a revoked
# device (refused). Parts whose verifier commands do not exist yet are SKIPped.
# shellcheck source=swtpm-tests/lib.sh
source "$(dirname "$0")/lib.sh"
require_cmd openssl

swtpm_start || exit 1
state=$GW_TMP/state
vdir=$GW_TMP/verifier
conf=$GW_TMP/agent.conf
stagefile=$GW_TMP/app.bin
echo "application v1" >"$stagefile"
gw_agent_config "$conf" "$state" "app=$stagefile"
ga() { gwagent --config "$conf" "$@"; }
localca=/var/lib/swtpm-localca

# No verifier needed for these: enroll refuses before provisioning, and needs a URL.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=dummy \
  -keyout "$GW_TMP/dummy.key" -out "$GW_TMP/dummy-ca.pem" -days 1 2>/dev/null
expect_exit -n enroll-needs-url 2 ga enroll
expect_exit -n enroll-before-provision 5 ga enroll --verifier https://127.0.0.1:1 \
  --ca "$GW_TMP/dummy-ca.pem" --device-id gw-test-1
expect_output_contains -n enroll-before-provision-says-provision 'gwagent provision' "$GW_STDERR"
expect_exit -n attest-before-enroll 5 ga attest
expect_exit -n provision 0 ga provision
expect_exit -n boot 0 ga boot

if ! "$GW_BIN/gwverifier" serve --help >/dev/null 2>&1; then
  skip verifier "gwverifier serve is not built yet: enrollment and attestation not run"
  exit 0
fi

port=$(free_port) || exit 1
expect_exit -n verifier-init 0 gwverifier init "$vdir" --listen "127.0.0.1:$port" \
  --ek-ca "$localca/swtpm-localca-rootca-cert.pem" --ek-ca "$localca/issuercert.pem"
# With 'gwverifier device' an operator approves the device; without it, the model is
# auto-approved.
have_device=0
"$GW_BIN/gwverifier" device --help >/dev/null 2>&1 && have_device=1
if [ "$have_device" = 1 ]; then
  sed -i 's/^auto_approve = .*/auto_approve = none/' "$vdir/verifier.conf"
else
  sed -i 's/^auto_approve = .*/auto_approve = models:gw-1000/' "$vdir/verifier.conf"
fi
# Policies must be signed: the verifier trusts one policy key.
gw_policy_keys >>"$vdir/verifier.conf" || { fail policy-keys "gwpolicy keygen failed"; exit 1; }
bg_start verifier "$GW_BIN/gwverifier" serve --config "$vdir/verifier.conf"
if ! wait_for_port "$port" 15; then
  fail verifier-listens "gwverifier serve did not listen on $port"
  _gw_show_file verifier.log "$GW_TMP/verifier.log"
  exit 1
fi
pass verifier-listens
url=https://127.0.0.1:$port

# An unreachable verifier is exit 22, and leaves no enrollment behind.
dead=$(free_port) || exit 1
expect_exit -n enroll-unreachable 22 ga enroll --verifier "https://127.0.0.1:$dead" \
  --ca "$vdir/ca.pem" --device-id gw-test-1 --model gw-1000
check enroll-unreachable-saves-nothing test ! -e "$state/enrollment.json"

if [ "$have_device" = 1 ]; then
  expect_exit -n enroll-pending 20 ga enroll --verifier "$url" --ca "$vdir/ca.pem" \
    --device-id gw-test-1 --model gw-1000
  expect_output_contains -n enroll-says-pending 'pending approval' "$GW_STDOUT"
  expect_eq pending-state-mode-0600 600 "$(stat -c %a "$state/enrollment.json")"
  expect_exit -n enroll-still-pending 20 ga enroll --json
  check_py enroll-json-pending "$GW_STDOUT" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["state"] == "pending" and d["device_id"] == "gw-test-1" and d["model"] == "gw-1000", d
assert d["certificate"] is None, d
PY
  expect_exit -n attest-while-pending 5 ga attest
  expect_exit -n status-while-pending 0 ga status
  expect_output_contains -n status-says-pending "Enrollment: pending, device [^ ]+, model [^ ]+, verifier https://"
  expect_exit -n approve 0 gwverifier device approve --config "$vdir/verifier.conf" gw-test-1
  expect_exit -n enroll 0 ga enroll --wait 10
else
  skip enroll-pending "gwverifier device is not built yet: the model is auto-approved"
  expect_exit -n enroll 0 ga enroll --verifier "$url" --ca "$vdir/ca.pem" \
    --device-id gw-test-1 --model gw-1000
fi
expect_output_contains -n enroll-says-enrolled '^enrolled as gw-test-1' "$GW_STDOUT"
for f in tls.key tls.pem gate.pub verifier-ca.pem enrollment.json; do
  expect_file "state-has-$f" "$state/$f"
done
expect_eq tls-key-mode-0600 600 "$(stat -c %a "$state/tls.key")"
expect_eq enrollment-json-mode-0600 600 "$(stat -c %a "$state/enrollment.json")"
gate_hash=$(openssl pkey -pubin -in "$state/gate.pub" -outform DER | sha256sum | cut -d' ' -f1)
expect_output_contains -n gate-key-measured "verifier gate key sha256:$gate_hash" \
  "$state/eventlog.cel"
check gate-key-is-verifiers cmp -s <(openssl pkey -pubin -in "$state/gate.pub") \
  <(openssl pkey -pubin -in "$vdir/gate.pub")

expect_exit -n enroll-again-changes-nothing 0 ga enroll --verifier "$url" --ca "$vdir/ca.pem"
expect_output_contains -n enroll-again-says-already 'already enrolled' "$GW_STDOUT"
expect_exit -n enroll-again-json 0 ga enroll --json
expect_output_contains -n enroll-json-progress-on-stderr 'already enrolled' "$GW_STDERR"
check_py enroll-json-enrolled "$GW_STDOUT" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))   # only the document on standard output
assert d["state"] == "enrolled" and d["device_id"] == "gw-test-1", d
c = d["certificate"]
assert c["expired"] is False and c["not_before"] < c["renew_from"] < c["not_after"], c
PY
check enroll-again-measures-once test "$(grep -c 'verifier gate key' "$state/eventlog.cel")" = 1

# Affirming needs a policy for the model listing the stage's digest. Until the
# verifier can load one ('gwverifier policy'), the result is a warning naming that.
have_policy=0
"$GW_BIN/gwverifier" policy --help >/dev/null 2>&1 && have_policy=1
if [ "$have_policy" = 1 ]; then
  app_digest=$(sha256sum "$stagefile" | cut -d' ' -f1)
  printf '{"model":"gw-1000","version":1,"stages":{"app":["%s"]}}\n' "$app_digest" \
    >"$GW_TMP/policy.json"
  check policy-sign gw_sign_policy "$GW_TMP/policy.json" "$GW_TMP/policy.signed.json"
  expect_exit -n policy-add 0 gwverifier policy add --config "$vdir/verifier.conf" \
    "$GW_TMP/policy.signed.json"
  want=0 word=affirming
else
  skip attest-affirming "gwverifier policy is not built yet: expecting the no-policy warning"
  want=23 word=warning
fi
expect_exit -n "attest-$word" "$want" ga attest
expect_output_contains -n "attest-prints-$word" "gw-test-1: $word" "$GW_STDOUT"
[ "$have_policy" = 1 ] ||
  expect_output_contains -n attest-names-missing-policy 'no policy for model' "$GW_STDOUT"
expect_file last-result-saved "$state/last-result.jwt"
expect_exit -n attest-json "$want" ga attest --json
expect_output_contains -n attest-json-status "\"status\": *\"$word\"" "$GW_STDOUT"
expect_exit -n run-once "$want" ga run --once
expect_output_contains -n run-once-logs "$word" "$GW_STDERR"

# A daemon stops cleanly on SIGTERM between rounds.
bg_start daemon "$GW_BIN/gwagent" --config "$conf" run --interval 60
sleep 3
kill -TERM "$BG_PID"
wait "$BG_PID"
expect_eq run-sigterm-exit-0 0 "$?"
expect_output_contains -n run-sigterm-logged 'stopping on signal 15' "$GW_TMP/daemon.log"

# A pinned gate key that does not match: the result must not be believed.
cp "$state/gate.pub" "$GW_TMP/gate.pub.good"
openssl ecparam -name prime256v1 -genkey -noout 2>/dev/null | openssl pkey -pubout >"$state/gate.pub"
expect_exit -n attest-wrong-gate-key-refused 25 ga attest
expect_output_contains -n attest-wrong-gate-key-says 'pinned gate key' "$GW_STDERR"
cp "$GW_TMP/gate.pub.good" "$state/gate.pub"

# Tamper with the stage: a digest the policy does not list is contraindicated,
# and the result names the stage.
if [ "$have_policy" = 1 ]; then
  echo "application v1, patched" >"$stagefile"
  expect_exit -n measure-tampered 0 ga measure --stage app "$stagefile"
  expect_exit -n attest-tampered-contraindicated 24 ga attest
  expect_output_contains -n attest-tampered-names-stage 'failed claim: executables.*app' "$GW_STDOUT"
else
  skip tamper-stage "gwverifier policy is not built yet"
fi

if [ "$have_device" = 1 ]; then
  expect_exit -n revoke 0 gwverifier device revoke --config "$vdir/verifier.conf" gw-test-1
  expect_exit -n attest-revoked-refused 21 ga attest
  expect_output_contains -n attest-revoked-code 'revoked' "$GW_STDERR"
else
  skip revoked "gwverifier device is not built yet"
fi

expect_exit -n verifier-stops 0 bg_stop verifier
