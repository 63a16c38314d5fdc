#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Device certificates renew themselves. libfaketime moves the clocks of the real
# verifier and the real agent (not the code; the swtpm keeps its own clock):
# (a) at +300 days a 365-day certificate is renewed over mTLS by `attest`, with a
# new key, and the old certificate stops working; the daemon renews too, for the
# configured lifetime ([enrollment] cert_days); (d) after expiry, another TPM
# with a copy of the device's files cannot recover the device id; (b) the device
# recovers by credential activation under the same id, no operator, also
# after losing its key (`enroll`) and after a renewal whose answer was lost; (c) a revoked device can neither renew nor
# recover. Renewals and recoveries are in the audit log.
# shellcheck source=swtpm-tests/lib.sh
source "$(dirname "$0")/lib.sh"
require_cmd python3 openssl

localca=/var/lib/swtpm-localca
api=$GW_ROOT/swtpm-tests/apiclient.py
ftlib=$(faketime_lib libfaketimeMT.so.1)
[ -n "$ftlib" ] || { fail require-libfaketime "libfaketimeMT.so.1 not found (Debian package faketime)"; exit 1; }

# at DAYS CMD...: CMD with the clock DAYS days ahead (monotonic clocks untouched).
ftenv() {
  echo env LD_PRELOAD="$ftlib" FAKETIME="+${1}d" FAKETIME_DONT_FAKE_MONOTONIC=1 \
    "ASAN_OPTIONS=$FAKETIME_ASAN_OPTIONS"
}
at() {
  local days=$1
  shift
  $(ftenv "$days") "$@"
}

swtpm_start || exit 1
tcti_a=$GW_TCTI
vdir=$GW_TMP/verifier
vconf=$vdir/verifier.conf
port=$(free_port) || exit 1
expect_exit -n verifier-init 0 gwverifier init "$vdir" --listen "127.0.0.1:$port" \
  --ek-ca "$localca/swtpm-localca-rootca-cert.pem" --ek-ca "$localca/issuercert.pem"
sed -i 's/^auto_approve = .*/auto_approve = all/' "$vconf"
gw_policy_keys >>"$vconf" || { fail policy-keys "gwpolicy keygen failed"; exit 1; }
url=https://127.0.0.1:$port

# verifier_at DAYS: (re)start the verifier with its clock DAYS days ahead.
verifier_at() {
  bg_stop verifier >/dev/null 2>&1
  # env execs the verifier: bg_stop's signal reaches it.
  bg_start verifier $(ftenv "$1") "$GW_BIN/gwverifier" serve --config "$vconf"
  wait_for_port "$port" 20 || { fail "verifier-at-$1" "gwverifier serve did not listen"; exit 1; }
}
api_call() { python3 "$api" "$url" "$vdir/ca.pem" "$@"; }
audit_json() { gwverifier audit --json --config "$vconf"; }
device_fp() {
  gwverifier device show --json --config "$vconf" gw-renew |
    python3 -c 'import json,sys; print(json.load(sys.stdin).get("client_cert_fp", ""))'
}
# renew_body TCTI PUB CERT KEY: a POST /v1/renew body for the key in PUB, quoted
# by the AK of the TPM at TCTI over a fresh nonce asked with CERT/KEY.
renew_body() {
  local chal qd
  chal=$(api_call --cert "$3" --key "$4" 'POST:/v1/attest/challenge:{}') || return 1
  qd=$(python3 - "$2" "${chal#200 }" <<'PY'
import hashlib, json, subprocess, sys
der = subprocess.run(["openssl", "pkey", "-pubin", "-in", sys.argv[1], "-outform", "DER"],
                     check=True, capture_output=True).stdout
nonce = bytes.fromhex(json.loads(sys.argv[2])["nonce"])
print(nonce.hex(), hashlib.sha256(nonce + hashlib.sha256(der).digest()).hexdigest())
PY
) || return 1
  rm -rf "$GW_TMP/renew-quote"
  gwagent --tcti "$1" --config "$conf" quote --nonce "${qd#* }" --out "$GW_TMP/renew-quote" >/dev/null || return 1
  python3 - "$2" "${qd% *}" "$GW_TMP/renew-quote/evidence.json" <<'PY'
import json, sys
ev = json.load(open(sys.argv[3]))
print(json.dumps({"client_public_key": open(sys.argv[1]).read(), "nonce": sys.argv[2],
                  "attest": ev["attest"], "signature": ev["signature"]}))
PY
}
pub_json() { python3 -c 'import json,sys; print(json.dumps({"client_public_key": open(sys.argv[1]).read()}))' "$1"; }
cert_field() { openssl x509 -in "$1" -noout "-$2" | cut -d= -f2-; }
cert_fp() { openssl x509 -in "$1" -outform DER | sha256sum | cut -d' ' -f1; }
not_after() { date -d "$(cert_field "$1" enddate)" +%s; }
not_before() { date -d "$(cert_field "$1" startdate)" +%s; }

state=$GW_TMP/state
conf=$GW_TMP/agent.conf
printf 'application v1\n' >"$GW_TMP/app.bin"
gw_agent_config "$conf" "$state" app="$GW_TMP/app.bin"
ga() { gwagent --tcti "$tcti_a" --config "$conf" "$@"; }
expect_exit -n provision 0 ga provision
expect_exit -n boot 0 ga boot

app_digest=$(sha256sum "$GW_TMP/app.bin" | cut -d' ' -f1)
printf '{"model":"gw-1000","version":1,"stages":{"app":["%s"]}}\n' "$app_digest" >"$GW_TMP/policy.json"
check policy-sign gw_sign_policy "$GW_TMP/policy.json" "$GW_TMP/policy.signed.json"
expect_exit -n policy-add 0 gwverifier policy add --config "$vconf" "$GW_TMP/policy.signed.json"

verifier_at 0
# The verifier issues the first certificate but the agent cannot save it (tls.pem is
# in the way): enrollment.json stays pending; the next enroll gets 409
# certificate_issued on its status question and proves the TPM again for a new one.
mkdir -p "$state" && mkdir "$state/tls.pem"
expect_exit -n enroll-cert-not-saved 1 ga enroll --verifier "$url" --ca "$vdir/ca.pem" --device-id gw-renew --model gw-1000
rmdir "$state/tls.pem"
check enroll-cert-issued-on-verifier test -n "$(device_fp)"
expect_exit -n enroll 0 ga enroll
expect_output_contains -n enroll-lost-cert-recovered 'never arrived: proving the TPM again' "$GW_STDOUT"
expect_output_contains -n enroll-lost-cert-enrolled '^enrolled as gw-renew' "$GW_STDOUT"
expect_eq enroll-lost-cert-bound "$(device_fp)" "$(cert_fp "$state/tls.pem")"
expect_exit -n attest-day-0 0 ga attest
expect_output_not_contains -n attest-day-0-no-renewal 'device certificate'
cp "$state/tls.pem" "$GW_TMP/cert-0.pem"
cp "$state/tls.key" "$GW_TMP/key-0.pem"
serial0=$(cert_field "$state/tls.pem" serial)
expect_eq cert-0-lifetime-365-days $(( ($(not_after "$state/tls.pem") - $(not_before "$state/tls.pem")) / 86400 )) 365

# A second TPM, provisioned; a copy of the device's files at day 0 (root on the
# gateway has them, not its TPM).
swtpm_start || exit 1
tcti_b=$GW_TCTI
state_b=$GW_TMP/state-b
conf_b=$GW_TMP/agent-b.conf
gw_agent_config "$conf_b" "$state_b" app="$GW_TMP/app.bin"
gb() { gwagent --tcti "$tcti_b" --config "$conf_b" "$@"; }
expect_exit -n other-tpm-provision 0 gb provision
for f in enrollment.json tls.key tls.pem verifier-ca.pem gate.pub; do cp -p "$state/$f" "$state_b/$f"; done

# (e) +300 days, renewal due: the copy on the other TPM cannot renew, for its quote
# is not by the enrolled AK; the device's certificate stays the one in force.
verifier_at 300
fp0=$(device_fp)
expect_exit -n copy-renewal-refused 24 at 300 "$GW_BIN/gwagent" --tcti "$tcti_b" --config "$conf_b" attest
expect_output_contains -n copy-renewal-says 'renewal failed.*quote_rejected' "$GW_STDERR"
expect_eq copy-holds-no-identity "$(device_fp)" "$fp0"
check copy-kept-old-cert cmp -s "$state_b/tls.pem" "$GW_TMP/cert-0.pem"
audit_json >"$GW_TMP/audit-copy.json"
expect_output_contains -n copy-renewal-audited '"action":"device.certificate","device":"gw-renew","outcome":"refused","detail":\{"message":"renewal: the quote is not the enrolled TPM' "$GW_TMP/audit-copy.json"
# Without a quote, with another device's nonce or a used one: refused as well.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 2>/dev/null | openssl pkey -pubout >"$GW_TMP/noquote.pub"
pub_json "$GW_TMP/noquote.pub" >"$GW_TMP/noquote.json"
expect_exit -n renew-no-quote 0 api_call --cert "$state/tls.pem" --key "$state/tls.key" "POST:/v1/renew:@$GW_TMP/noquote.json"
expect_output_contains -n renew-no-quote-400 '^400 .*quote_required' "$GW_STDOUT"
renew_body "$tcti_a" "$GW_TMP/noquote.pub" "$state/tls.pem" "$state/tls.key" >"$GW_TMP/quoted.json" || fail renew-body "could not make a quoted renewal body"
python3 -c 'import json,sys; o=json.load(open(sys.argv[1])); o["nonce"]="00"*32; print(json.dumps(o))' "$GW_TMP/quoted.json" >"$GW_TMP/unknown-nonce.json"
expect_exit -n renew-unknown-nonce 0 api_call --cert "$state/tls.pem" --key "$state/tls.key" "POST:/v1/renew:@$GW_TMP/unknown-nonce.json"
expect_output_contains -n renew-unknown-nonce-409 '^409 .*nonce_rejected.*unknown' "$GW_STDOUT"
# The quote binds the key: the same quote for another key is refused (and spends
# the nonce), and then the untouched body is a replay.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 2>/dev/null | openssl pkey -pubout >"$GW_TMP/swapped.pub"
python3 -c 'import json,sys; o=json.load(open(sys.argv[1])); o["client_public_key"]=open(sys.argv[2]).read(); print(json.dumps(o))' "$GW_TMP/quoted.json" "$GW_TMP/swapped.pub" >"$GW_TMP/swapped.json"
expect_exit -n renew-swapped-key 0 api_call --cert "$state/tls.pem" --key "$state/tls.key" "POST:/v1/renew:@$GW_TMP/swapped.json"
expect_output_contains -n renew-swapped-key-403 '^403 .*quote_rejected.*nonce' "$GW_STDOUT"
expect_exit -n renew-replayed-quote 0 api_call --cert "$state/tls.pem" --key "$state/tls.key" "POST:/v1/renew:@$GW_TMP/quoted.json"
expect_output_contains -n renew-replayed-quote-409 '^409 .*nonce_rejected.*already used' "$GW_STDOUT"
expect_eq quote-refusals-change-nothing "$(device_fp)" "$fp0"

# (a) 65 of 365 days left, in the last third: attest renews over mTLS.
expect_exit -n renew-attest-day-300 0 at 300 "$GW_BIN/gwagent" --tcti "$tcti_a" --config "$conf" attest
expect_output_contains -n renew-says-renewed '^device certificate renewed \(it expires at .*\): serial [0-9a-f]+, valid until' "$GW_STDOUT"
expect_output_contains -n renew-then-affirming 'gw-renew: affirming' "$GW_STDOUT"
serial1=$(cert_field "$state/tls.pem" serial)
expect_ne renew-new-serial "$serial1" "$serial0"
expect_gt renew-later-not-after "$(not_after "$state/tls.pem")" "$(( $(not_after "$GW_TMP/cert-0.pem") + 250 * 86400 ))"
expect_exit -n renew-new-key 1 cmp -s "$state/tls.key" "$GW_TMP/key-0.pem"
check renew-cert-for-new-key cmp -s <(openssl x509 -in "$state/tls.pem" -noout -pubkey) \
  <(openssl pkey -in "$state/tls.key" -pubout)
expect_eq renew-key-mode-0600 600 "$(stat -c %a "$state/tls.key")"
check renew-no-leftovers test ! -e "$state/tls.key.new" -a ! -e "$state/tls.pem.new"
expect_eq renew-verifier-binds-new-cert "$(device_fp)" "$(cert_fp "$state/tls.pem")"
audit_json >"$GW_TMP/audit-a.json"
expect_output_contains -n renew-audited '"action":"device.certificate".*"device":"gw-renew".*"outcome":"renewed".*previous_fingerprint' "$GW_TMP/audit-a.json"
# The replaced certificate no longer speaks for the device.
expect_exit -n old-cert-refused 0 api_call --cert "$GW_TMP/cert-0.pem" --key "$GW_TMP/key-0.pem" 'POST:/v1/attest/challenge:{}'
expect_output_contains -n old-cert-unknown '^403 .*unknown_certificate' "$GW_STDOUT"
# /v1/renew needs the bound certificate and a usable public key; a refusal changes nothing.
fp1=$(device_fp)
expect_exit -n renew-no-cert 0 api_call 'POST:/v1/renew:{"client_public_key":"x"}'
expect_output_contains -n renew-no-cert-401 '^401 .*client_certificate_required' "$GW_STDOUT"
expect_exit -n renew-junk-key 0 api_call --cert "$state/tls.pem" --key "$state/tls.key" 'POST:/v1/renew:{"client_public_key":"junk"}'
expect_output_contains -n renew-junk-key-400 '^400 .*bad_request.*client_public_key' "$GW_STDOUT"
# A weak curve spelled out in explicit parameters, and the current key again: refused.
openssl ecparam -name secp112r1 -param_enc explicit -genkey -noout 2>/dev/null | openssl pkey -pubout >"$GW_TMP/weak.pub"
pub_json "$GW_TMP/weak.pub" >"$GW_TMP/weak.json"
expect_exit -n renew-weak-key 0 api_call --cert "$state/tls.pem" --key "$state/tls.key" "POST:/v1/renew:@$GW_TMP/weak.json"
expect_output_contains -n renew-weak-key-400 '^400 .*bad_request.*explicit curve parameters' "$GW_STDOUT"
openssl pkey -in "$state/tls.key" -pubout >"$GW_TMP/same.pub"
pub_json "$GW_TMP/same.pub" >"$GW_TMP/same.json"
expect_exit -n renew-same-key 0 api_call --cert "$state/tls.pem" --key "$state/tls.key" "POST:/v1/renew:@$GW_TMP/same.json"
expect_output_contains -n renew-same-key-400 '^400 .*bad_request.*needs a new key' "$GW_STDOUT"
expect_exit -n renew-extra-key 0 api_call --cert "$state/tls.pem" --key "$state/tls.key" 'POST:/v1/renew:{"client_public_key":"x","device_id":"gw-other"}'
expect_output_contains -n renew-extra-key-400 "^400 .*unknown key 'device_id'" "$GW_STDOUT"
# A good new key, but the certificate was issued today: not in its last third yet.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 2>/dev/null | openssl pkey -pubout >"$GW_TMP/early.pub"
pub_json "$GW_TMP/early.pub" >"$GW_TMP/early.json"
expect_exit -n renew-too-early 0 api_call --cert "$state/tls.pem" --key "$state/tls.key" "POST:/v1/renew:@$GW_TMP/early.json"
expect_output_contains -n renew-too-early-409 '^409 .*renewal_not_due.*last third' "$GW_STDOUT"
audit_json >"$GW_TMP/audit-early.json"
expect_output_contains -n renew-too-early-audited '"action":"device.certificate".*"outcome":"refused".*last third' "$GW_TMP/audit-early.json"
expect_eq renew-refusals-change-nothing "$(device_fp)" "$fp1"
# Renewed once: the next round does not renew again.
expect_exit -n attest-after-renewal 0 at 300 "$GW_BIN/gwagent" --tcti "$tcti_a" --config "$conf" attest --json
expect_output_not_contains -n attest-after-renewal-quiet 'device certificate'
expect_output_not_contains -n attest-after-renewal-json-quiet '"certificate"'

# The daemon renews as well, for the configured lifetime: 30 days from now on.
sed -i '/^\[enrollment\]/a cert_days = 30' "$vconf"
verifier_at 640
expect_exit -n run-renews-day-640 0 at 640 "$GW_BIN/gwagent" --tcti "$tcti_a" --config "$conf" run --once
expect_output_contains -n run-logs-renewal 'device certificate renewed' "$GW_STDERR"
expect_eq run-renewal-lifetime-30-days $(( ($(not_after "$state/tls.pem") - $(not_before "$state/tls.pem")) / 86400 )) 30
serial2=$(cert_field "$state/tls.pem" serial)
expect_ne run-new-serial "$serial2" "$serial1"
fp2=$(device_fp)

# (d) +700 days, the certificate expired at +670: another TPM with a copy of the
# device's files cannot recover it.
recovered_before=$(audit_json | grep -c '"action":"device.recover".*"outcome":"recovered"')
for f in enrollment.json tls.key tls.pem verifier-ca.pem gate.pub; do cp -p "$state/$f" "$state_b/$f"; done
verifier_at 700
# OpenSSL in the verifier's worker threads checks certificate times on the moved
# clock: the day-0 certificate, valid in real time (where the verifier would answer
# 403 unknown_certificate), is expired there and fails the handshake.
expect_exit -n expired-cert-presented 0 api_call --cert "$GW_TMP/cert-0.pem" --key "$GW_TMP/key-0.pem" 'POST:/v1/attest/challenge:{}'
expect_output_contains -n expired-cert-refused-in-handshake '^0 transport error' "$GW_STDOUT"
expect_exit -n other-tpm-recover-refused 21 at 700 "$GW_BIN/gwagent" --tcti "$tcti_b" --config "$conf_b" attest
expect_output_contains -n other-tpm-recover-says-taken 'device_exists' "$GW_STDERR"
expect_exit -n other-tpm-enroll-refused 21 at 700 "$GW_BIN/gwagent" --tcti "$tcti_b" --config "$conf_b" enroll
rm -f "$state_b"/enrollment.json "$state_b"/tls.*
expect_exit -n other-tpm-fresh-enroll-refused 21 at 700 "$GW_BIN/gwagent" --tcti "$tcti_b" --config "$conf_b" enroll --verifier "$url" --ca "$vdir/ca.pem" --device-id gw-renew --model gw-1000
expect_eq other-tpm-binding-unchanged "$(device_fp)" "$fp2"
audit_json >"$GW_TMP/audit-d.json"
expect_eq other-tpm-no-recovery "$(grep -c '"action":"device.recover".*"outcome":"recovered"' "$GW_TMP/audit-d.json")" "$recovered_before"
expect_output_contains -n other-tpm-refusal-audited '"action":"device.recover","device":"gw-renew","outcome":"refused"' "$GW_TMP/audit-d.json"

# (b) The device itself recovers: its TPM proves the enrolled EK and AK again.
expect_exit -n recover-attest-day-700 0 at 700 "$GW_BIN/gwagent" --tcti "$tcti_a" --config "$conf" attest
expect_output_contains -n recover-says-recovered '^device certificate recovered \(it expired at .*\): serial [0-9a-f]+, valid until .*TPM proved itself again' "$GW_STDOUT"
expect_output_contains -n recover-then-affirming 'gw-renew: affirming' "$GW_STDOUT"
serial3=$(cert_field "$state/tls.pem" serial)
expect_ne recover-new-serial "$serial3" "$serial2"
expect_output_contains -n recover-same-device-id 'CN ?= ?gw-renew' <(openssl x509 -in "$state/tls.pem" -noout -subject)
expect_eq recover-verifier-binds-new-cert "$(device_fp)" "$(cert_fp "$state/tls.pem")"
expect_eq recover-no-new-device "$(gwverifier device list --json --config "$vconf" | grep -o '"id": *"[^"]*"' | wc -l)" 1
audit_json >"$GW_TMP/audit-b.json"
expect_output_contains -n recover-audited '"action":"device.recover".*"device":"gw-renew".*"outcome":"recovered".*"previous_fingerprint":"'"$fp2"'"' "$GW_TMP/audit-b.json"
expect_output_not_contains -n recover-no-operator '"actor":"operator:.*"device":"gw-renew"' "$GW_TMP/audit-b.json"
# A lost key and certificate: `enroll` recovers them the same way.
rm -f "$state/tls.key" "$state/tls.pem"
expect_exit -n recover-enroll-lost-key 0 at 700 "$GW_BIN/gwagent" --tcti "$tcti_a" --config "$conf" enroll
expect_output_contains -n recover-enroll-says 'device certificate recovered' "$GW_STDOUT"
expect_exit -n attest-after-enroll-recovery 0 at 700 "$GW_BIN/gwagent" --tcti "$tcti_a" --config "$conf" attest
# A renewal whose answer never reached the device (a crash, a cut connection):
# the verifier binds a certificate the device does not have. The device's next
# round is told unknown_certificate and recovers by its TPM. (+722: the 30-day
# certificate of +700 is in its last third.)
verifier_at 722
openssl ecparam -name prime256v1 -genkey -noout 2>/dev/null | openssl pkey -pubout >"$GW_TMP/lost.pub"
renew_body "$tcti_a" "$GW_TMP/lost.pub" "$state/tls.pem" "$state/tls.key" >"$GW_TMP/lost-renewal.json" || fail renew-body "could not make a quoted renewal body"
expect_exit -n lost-renewal-sent 0 api_call --cert "$state/tls.pem" --key "$state/tls.key" "POST:/v1/renew:@$GW_TMP/lost-renewal.json"
expect_output_contains -n lost-renewal-issued '^200 .*client_certificate' "$GW_STDOUT"
expect_exit -n lost-renewal-recovered 0 at 722 "$GW_BIN/gwagent" --tcti "$tcti_a" --config "$conf" attest
expect_output_contains -n lost-renewal-says '^device certificate recovered \(the verifier does not know it\)' "$GW_STDOUT"
expect_output_contains -n lost-renewal-affirming 'gw-renew: affirming' "$GW_STDOUT"
expect_eq lost-renewal-binding "$(device_fp)" "$(cert_fp "$state/tls.pem")"

# (c) Revoked: the due renewal is refused, and so is the recovery after expiry.
expect_exit -n revoke 0 gwverifier device revoke --config "$vconf" gw-renew --reason "stolen"
verifier_at 745
expect_exit -n revoked-renewal-refused 21 at 745 "$GW_BIN/gwagent" --tcti "$tcti_a" --config "$conf" attest
expect_output_contains -n revoked-renewal-says 'renewal failed.*revoked' "$GW_STDERR"
verifier_at 760
expect_exit -n revoked-recovery-refused 21 at 760 "$GW_BIN/gwagent" --tcti "$tcti_a" --config "$conf" attest
expect_output_contains -n revoked-recovery-says 'device_exists' "$GW_STDERR"
expect_exit -n revoked-enroll-refused 21 at 760 "$GW_BIN/gwagent" --tcti "$tcti_a" --config "$conf" enroll
gwverifier device show --json --config "$vconf" gw-renew >"$GW_TMP/revoked.json"
expect_output_contains -n revoked-stays-revoked '"state": *"revoked"' "$GW_TMP/revoked.json"
check audit-chain-intact gwverifier audit verify --config "$vconf"
