#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The update key at enrollment: `gwagent enroll` creates the TPM update key once,
# certifies its creation with the AK and registers it (POST /v1/update-key); a re-run
# keeps it. The verifier refuses, and audits, a key with other attributes, a real
# TPM key certified by the AK whose policy names another gate key, a certification
# that is not the AK's signature, and a second different key until an operator's
# `gwverifier device reset-update-key` (audited); `device show` names the key.
# shellcheck source=swtpm-tests/lib.sh
source "$(dirname "$0")/lib.sh"
require_cmd openssl
require_cmd curl

updkey() { "$GW_BIN/tools/gw-updkey" "$@"; }

swtpm_start || exit 1
state=$GW_TMP/state
vdir=$GW_TMP/verifier
conf=$GW_TMP/agent.conf
d=$GW_TMP/k
mkdir -p "$d"
gw_agent_config "$conf" "$state"
ga() { gwagent --config "$conf" "$@"; }
gv() { gwverifier "$@" --config "$vdir/verifier.conf"; }
localca=/var/lib/swtpm-localca

check provision ga provision
port=$(free_port) || exit 1
check verifier-init gwverifier init "$vdir" --listen "127.0.0.1:$port" \
  --ek-ca "$localca/swtpm-localca-rootca-cert.pem" --ek-ca "$localca/issuercert.pem"
sed -i 's/^auto_approve = .*/auto_approve = models:gw-1000/' "$vdir/verifier.conf"
gw_policy_keys >>"$vdir/verifier.conf" || { fail policy-keys "gwpolicy keygen failed"; exit 1; }
bg_start verifier "$GW_BIN/gwverifier" serve --config "$vdir/verifier.conf"
if ! wait_for_port "$port" 15; then
  fail verifier-listens "gwverifier serve did not listen on $port"
  exit 1
fi
url=https://127.0.0.1:$port

# ------------------------------------------------------------- enroll ---
check enroll ga enroll --verifier "$url" --ca "$vdir/ca.pem" --device-id gw-test-1 \
  --model gw-1000
expect_output_contains -n enroll-creates-key '^update key [0-9a-f]{68} created in' "$GW_STDOUT"
expect_output_contains -n enroll-registers-key '^update key [0-9a-f]{68} registered with' \
  "$GW_STDOUT"
expect_no_handles enroll-leaves-no-handles
expect_eq blob-mode "$(stat -c %a "$state/update-key.tpm")" 600
check key-info updkey info --blob "$state/update-key.tpm"
name=$(sed -n 1p "$GW_STDOUT")
check show-json gv device show gw-test-1 --json
expect_eq show-names-the-key \
  "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["update_key_name"])' \
     "$GW_STDOUT")" "$name"
check show-text gv device show gw-test-1
expect_output_contains -n show-text-names-the-key "Update key name.*$name" "$GW_STDOUT"
check audit-lists gv audit --json
expect_output_contains -n registration-audited "device.update_key.*registered.*$name" "$GW_STDOUT"

cp "$state/update-key.tpm" "$d/blob-before"
check enroll-again ga enroll
expect_output_contains -n enroll-again-keeps-key "^update key $name already registered" \
  "$GW_STDOUT"
check enroll-again-same-blob cmp "$state/update-key.tpm" "$d/blob-before"
expect_no_handles enroll-again-leaves-no-handles

# post NAME CODE FILE: POST FILE to /v1/update-key as the device (mTLS); the HTTP
# status must be CODE.
post() {
  local got
  got=$(curl -s -o "$d/$1.answer" -w '%{http_code}' --cacert "$vdir/ca.pem" \
    --cert "$state/tls.pem" --key "$state/tls.key" -H 'Content-Type: application/json' \
    --data-binary @"$3" "$url/v1/update-key")
  expect_eq "$1" "$got" "$2"
}

# ---------------------------------------------------- crafted refusals ---
# Other attributes (userWithAuth added): refused on the template.
python3 - "$state/update-key.json" "$d/attrs.json" <<'EOF'
import base64, json, sys
m = json.load(open(sys.argv[1]))
p = bytearray(base64.b64decode(m['public']))
p[9] |= 0x40  # TPMA_OBJECT bits 7..0 (size, type, nameAlg, then attributes): userWithAuth
m['public'] = base64.b64encode(bytes(p)).decode()
json.dump(m, open(sys.argv[2], 'w'))
EOF
post wrong-attributes-refused 422 "$d/attrs.json"
expect_output_contains -n wrong-attributes-named 'attributes' "$d/wrong-attributes-refused.answer"

# A real TPM key, certified by this device's AK, but for another gate key's policy.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$d/other.pem" 2>/dev/null
openssl pkey -in "$d/other.pem" -pubout -out "$d/other.pub"
check other-policy-key updkey create --gate "$d/other.pub" --blob "$d/op.tpm" --msg "$d/op.json"
post other-policy-refused 422 "$d/op.json"
expect_output_contains -n other-policy-named 'authPolicy' "$d/other-policy-refused.answer"

# The certification altered (one byte of the attest): not the AK's signature.
python3 - "$state/update-key.json" "$d/cert.json" <<'EOF'
import base64, json, sys
m = json.load(open(sys.argv[1]))
a = bytearray(base64.b64decode(m['attest']))
a[-1] ^= 1
m['attest'] = base64.b64encode(bytes(a)).decode()
json.dump(m, open(sys.argv[2], 'w'))
EOF
post bad-certification-refused 422 "$d/cert.json"
expect_output_contains -n bad-certification-named 'certify-creation: not signed by the AK' \
  "$d/bad-certification-refused.answer"
printf '{"public": "AAA="}' >"$d/malformed.json"
post malformed-refused 400 "$d/malformed.json"
# Without the device's client certificate there is no device to register for.
got=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$vdir/ca.pem" \
  --data-binary @"$state/update-key.json" "$url/v1/update-key")
expect_ne no-client-certificate-refused 200 "$got"

# ------------------------------------------- a second key, reset ---
check second-key updkey create --gate "$state/gate.pub" --blob "$d/k2.tpm" --msg "$d/k2.json"
name2=$(sed -n 1p "$GW_STDOUT")
post second-key-refused 409 "$d/k2.json"
expect_output_contains -n second-key-names-reset 'reset-update-key' \
  "$d/second-key-refused.answer"
check audit-refusals gv audit
expect_output_contains -n refusals-audited 'device.update_key.*refused' "$GW_STDOUT"
check show-still-first gv device show gw-test-1 --json
expect_output_contains -n show-still-first-key "$name" "$GW_STDOUT"

expect_exit -n reset-unknown-device 1 gv device reset-update-key gw-nobody
check reset gv device reset-update-key gw-test-1 --reason "key replaced in test"
expect_output_contains -n reset-says "update key $name forgotten" "$GW_STDOUT"
check audit-reset gv audit --json
expect_output_contains -n reset-audited "device.update_key_reset.*key replaced in test" \
  "$GW_STDOUT"
expect_exit -n reset-twice-refused 1 gv device reset-update-key gw-test-1
check show-after-reset gv device show gw-test-1 --json
expect_output_contains -n show-after-reset-null '"update_key_name": *null' "$GW_STDOUT"
post second-key-after-reset 200 "$d/k2.json"
expect_output_contains -n second-key-registered "\"name\":\"$name2\"" \
  "$d/second-key-after-reset.answer"
check show-second gv device show gw-test-1 --json
expect_output_contains -n show-second-key "$name2" "$GW_STDOUT"

# The agent's own key is now the other one: its enroll is refused, and says why.
expect_exit -n enroll-with-replaced-key-refused 21 ga enroll
expect_output_contains -n enroll-refusal-names-reset 'reset-update-key' "$GW_STDERR"
check audit-chain gv audit verify
expect_no_handles end-leaves-no-handles
