#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Smaller hardening findings, against a real swtpm and the real verifier over its
# API: an EK certificate with basicConstraints CA:TRUE signed by a configured EK
# CA, an RSA-1024 EK with its certificate, and the real EK's TPM2B_PUBLIC with a
# wrong size field are refused at /v1/enroll and audited. A signed policy of
# version 4294967295 is refused (a version may go at most 1000 above the current
# one); a model frozen at 4294967295 by an earlier release is let out by a reset
# signed by a threshold of the [policy] keys: too few signatures, a reset for
# another version and a replayed reset are refused; every step is audited.
# shellcheck source=swtpm-tests/lib.sh
source "$(dirname "$0")/lib.sh"
require_cmd python3 openssl sqlite3

localca=/var/lib/swtpm-localca
api=$GW_ROOT/swtpm-tests/apiclient.py

swtpm_start || exit 1
# A TPM manufacturer CA of our own, configured beside swtpm's.
ekca=$GW_TMP/ekca
mkdir -p "$ekca"
check ek-ca-created openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -keyout "$ekca/ca.key" -out "$ekca/ca.pem" -subj "/CN=Test EK CA" -days 2 \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
vdir=$GW_TMP/verifier
vconf=$vdir/verifier.conf
port=$(free_port) || exit 1
expect_exit -n verifier-init 0 gwverifier init "$vdir" --listen "127.0.0.1:$port" \
  --ek-ca "$localca/swtpm-localca-rootca-cert.pem" --ek-ca "$localca/issuercert.pem" \
  --ek-ca "$ekca/ca.pem"
keys=$GW_TMP/policy-keys
gw_policy_keys "$keys" 3 2 >>"$vconf" || { fail policy-keys "gwpolicy keygen failed"; exit 1; }
bg_start verifier "$GW_BIN/gwverifier" serve --config "$vconf"
wait_for_port "$port" 20 || fail verifier-listens "gwverifier serve did not listen on $port"
api_call() { python3 "$api" "https://127.0.0.1:$port" "$vdir/ca.pem" "$@"; }
audit_json() { gwverifier audit --json --config "$vconf" >"$GW_TMP/audit.json"; }

state=$GW_TMP/state
conf=$GW_TMP/agent.conf
printf 'application v1\n' >"$GW_TMP/app.bin"
gw_agent_config "$conf" "$state" app="$GW_TMP/app.bin"
expect_exit -n provision 0 gwagent --config "$conf" provision

# ek_cert NAME PUBKEY EXTENSIONS: an EK certificate from our CA for PUBKEY (PEM).
ek_cert() {
  printf '%s\n' "$3" >"$GW_TMP/$1.ext"
  openssl x509 -new -force_pubkey "$2" -subj "/CN=$1" -CA "$ekca/ca.pem" -CAkey "$ekca/ca.key" \
    -days 1 -extfile "$GW_TMP/$1.ext" -outform DER -out "$GW_TMP/$1.der"
}
# body NAME EK_PUB EK_CERT: an enrollment request of device NAME.
body() {
  python3 - "$1" "$2" "$3" "$state/ak.pub" >"$GW_TMP/$1.json" <<'PY'
import base64, json, sys
b = lambda f: base64.b64encode(open(f, 'rb').read()).decode()
print(json.dumps({"device_id": sys.argv[1], "model": "gw-1000", "ek_public": b(sys.argv[2]),
                  "ek_certificate": b(sys.argv[3]), "ak_public": b(sys.argv[4])}))
PY
}

# 1. basicConstraints CA:TRUE with an EK's key usage, for the real EK, from a
#    configured CA: OpenSSL's X509_check_ca() calls it "not a CA".
openssl x509 -inform DER -in "$state/ek-cert.der" -pubkey -noout >"$GW_TMP/ek.pem"
check ca-true-cert-made ek_cert ca-true "$GW_TMP/ek.pem" "basicConstraints=critical,CA:TRUE
keyUsage=critical,keyEncipherment
extendedKeyUsage=2.23.133.8.1"
body gw-ca-true "$state/ek.pub" "$GW_TMP/ca-true.der"
api_call "POST:/v1/enroll:@$GW_TMP/gw-ca-true.json" >"$GW_TMP/ca-true.out"
expect_output_contains -n ek-ca-true-refused \
  '^403 .*ek_untrusted.*is a CA certificate \(basicConstraints CA:TRUE\)' "$GW_TMP/ca-true.out"

# 2. An RSA-1024 EK: its TPM2B_PUBLIC in the EK template's shape, certified by the CA.
check rsa1024-key openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$GW_TMP/rsa1024.key"
openssl pkey -in "$GW_TMP/rsa1024.key" -pubout -out "$GW_TMP/rsa1024.pem"
check rsa1024-cert-made ek_cert rsa1024 "$GW_TMP/rsa1024.pem" "basicConstraints=critical,CA:FALSE
keyUsage=critical,keyEncipherment
extendedKeyUsage=2.23.133.8.1"
openssl rsa -pubin -in "$GW_TMP/rsa1024.pem" -noout -modulus | cut -d= -f2 >"$GW_TMP/rsa1024.mod"
python3 - "$GW_TMP/rsa1024.mod" "$GW_TMP/rsa1024.pub" <<'PY'
import struct, sys
n = bytes.fromhex(open(sys.argv[1]).read().strip())
assert len(n) == 128
# RSA, sha256, fixedTPM|fixedParent|sensitiveDataOrigin|adminWithPolicy|restricted|decrypt,
# no authPolicy, AES-128-CFB, no scheme, 1024 bits, default exponent.
area = struct.pack('>HHIH', 1, 0x000b, 0x000300b2, 0) + struct.pack('>HHH', 6, 128, 0x43) \
    + struct.pack('>HHI', 0x10, 1024, 0) + struct.pack('>H', len(n)) + n
open(sys.argv[2], 'wb').write(struct.pack('>H', len(area)) + area)
PY
body gw-rsa1024 "$GW_TMP/rsa1024.pub" "$GW_TMP/rsa1024.der"
api_call "POST:/v1/enroll:@$GW_TMP/gw-rsa1024.json" >"$GW_TMP/rsa1024.out"
expect_output_contains -n ek-rsa1024-refused \
  '^403 .*ek_untrusted.*the EK is RSA 1024 bits: an EK must be RSA 2048 bits or more' "$GW_TMP/rsa1024.out"

# 3. The real EK and its real certificate, the TPM2B_PUBLIC's size field 2 short:
#    tss2-mu reads the TPMT_PUBLIC to its end whatever the size says.
python3 - "$state/ek.pub" "$GW_TMP/ek-short.pub" <<'PY'
import sys
d = open(sys.argv[1], 'rb').read()
open(sys.argv[2], 'wb').write((int.from_bytes(d[:2], 'big') - 2).to_bytes(2, 'big') + d[2:])
PY
body gw-size "$GW_TMP/ek-short.pub" "$state/ek-cert.der"
api_call "POST:/v1/enroll:@$GW_TMP/gw-size.json" >"$GW_TMP/size.out"
expect_output_contains -n ek-size-field-refused \
  "^400 .*bad_request.*'ek_public': TPM2B_PUBLIC: malformed: its size field says" "$GW_TMP/size.out"
# 3b. The real EK and its real certificate, its TPM2B_PUBLIC changed: without
#     'restricted' (not an EK's attributes), or with keyBits 4096 for its 2048-bit
#     modulus (credential_make refuses it). Both answer 422 bad_ek and are audited.
python3 - "$state/ek.pub" "$GW_TMP/ek-unrestricted.pub" "$GW_TMP/ek-bits.pub" <<'PY'
import struct, sys
d = bytearray(open(sys.argv[1], 'rb').read())
assert struct.unpack('>H', d[2:4])[0] == 1, 'the scenario expects an RSA EK'
u = bytearray(d)
u[6:10] = struct.pack('>I', struct.unpack('>I', d[6:10])[0] & ~0x00010000)
open(sys.argv[2], 'wb').write(u)
pol = struct.unpack('>H', d[10:12])[0]
kb = 12 + pol + 6 + 2  # symmetric (alg, bits, mode), scheme, then keyBits
assert struct.unpack('>H', d[kb:kb + 2])[0] == 2048
b = bytearray(d)
b[kb:kb + 2] = struct.pack('>H', 4096)
open(sys.argv[3], 'wb').write(b)
PY
body gw-unrestricted "$GW_TMP/ek-unrestricted.pub" "$state/ek-cert.der"
api_call "POST:/v1/enroll:@$GW_TMP/gw-unrestricted.json" >"$GW_TMP/unrestricted.out"
expect_output_contains -n ek-unrestricted-refused \
  '^422 .*bad_ek.*not a restricted, fixedTPM decryption key' "$GW_TMP/unrestricted.out"
body gw-bits "$GW_TMP/ek-bits.pub" "$state/ek-cert.der"
api_call "POST:/v1/enroll:@$GW_TMP/gw-bits.json" >"$GW_TMP/bits.out"
expect_output_contains -n ek-keybits-refused '^422 .*bad_ek' "$GW_TMP/bits.out"
# The genuine request still enrolls (the refusals were about the forgeries only).
body gw-genuine "$state/ek.pub" "$state/ek-cert.der"
api_call "POST:/v1/enroll:@$GW_TMP/gw-genuine.json" >"$GW_TMP/genuine.out"
expect_output_contains -n genuine-enroll-challenged '^200 .*enrollment_id' "$GW_TMP/genuine.out"
audit_json
expect_output_contains -n ek-refusals-audited \
  '"action":"device.enroll","device":"gw-ca-true","outcome":"refused".*CA:TRUE' "$GW_TMP/audit.json"
expect_output_contains -n rsa1024-refusal-audited \
  '"action":"device.enroll","device":"gw-rsa1024","outcome":"refused".*RSA 1024' "$GW_TMP/audit.json"
expect_output_contains -n bad-ek-attributes-audited \
  '"action":"device.enroll","device":"gw-unrestricted","outcome":"refused".*bad_ek: ek_public is not a restricted' "$GW_TMP/audit.json"
expect_output_contains -n bad-ek-keybits-audited \
  '"action":"device.enroll","device":"gw-bits","outcome":"refused".*bad_ek: ' "$GW_TMP/audit.json"

# 4. Policy versions. A policy of version 4294967295 is refused and audited.
policy() { printf '{"model":"gw-1000","version":%s,"stages":{"app":["%s"]}}\n' "$1" "$(printf x | sha256sum | cut -d' ' -f1)" >"$GW_TMP/p$1.json"; }
padd() { gwverifier policy add --config "$vconf" "$@"; }
preset() { gwverifier policy reset --config "$vconf" "$@"; }
for v in 1 2 3 4 4294967295; do
  policy "$v"
  gw_sign_policy "$GW_TMP/p$v.json" "$GW_TMP/p$v.signed" "$keys/policy-1.key" "$keys/policy-2.key" ||
    fail "sign-p$v" "gwpolicy sign failed"
done
expect_exit -n policy-v1 0 padd "$GW_TMP/p1.signed"
expect_exit -n policy-max-version-refused 5 padd "$GW_TMP/p4294967295.signed"
expect_output_contains -n policy-max-version-named 'version 4294967295 is more than 1000 above the current version 1'
audit_json
expect_output_contains -n policy-max-version-audited \
  '"action":"policy.add","device":null,"outcome":"refused".*"version":4294967295.*more than 1000 above' "$GW_TMP/audit.json"

# 5. A model frozen by an earlier release: its store holds the signed v4294967295,
#    as that release stored it. The next version cannot be added.
pbody=$(cat "$GW_TMP/p4294967295.signed")
# (Today's triggers refuse that row: it is written without the step trigger.)
step_trigger=$(sqlite3 "$vdir/verifier.db" "SELECT sql FROM sqlite_master WHERE name = 'policies_step'")
check frozen-row sqlite3 "$vdir/verifier.db" "DROP TRIGGER policies_step;
  INSERT INTO policies (model, version, body, added_at, added_by)
  VALUES ('gw-1000', 4294967295, '${pbody//\'/\'\'}', 1, 'operator:old-release');
  $step_trigger;"
expect_exit -n frozen-next-refused 5 padd "$GW_TMP/p2.signed"
expect_output_contains -n frozen-next-named 'version 2 is not above the current version 4294967295'

# reset_stmt NAME N FROM TO NEXT EXPIRES KEY...: a reset statement naming policy
# file NEXT to come first, expiring at EXPIRES (unix seconds), signed with the keys.
reset_stmt() {
  local name=$1 n=$2 from=$3 to=$4 next exp=$6 k args=()
  next=$(sha256sum "$5" | cut -d' ' -f1)
  shift 6
  for k in "$@"; do args+=(--key "$k"); done
  printf '{"type":"gatewarden-policy-reset","model":"gw-1000","reset":%s,"from_version":%s,"to_version":%s,"next_policy_sha256":"%s","expires":%s,"reason":"version 4294967295 signed by mistake"}\n' \
    "$n" "$from" "$to" "$next" "$exp" >"$GW_TMP/$name.json"
  gwpolicy sign --type application/vnd.gatewarden.policy-reset+json "${args[@]}" \
    "$GW_TMP/$name.json" >"$GW_TMP/$name.signed"
}
now=$(date +%s)
soon=$((now + 3600))
two=("$keys/policy-1.key" "$keys/policy-3.key")
check reset-one-key reset_stmt r-one 1 4294967295 1 "$GW_TMP/p2.json" "$soon" "$keys/policy-1.key"
check reset-wrong-from reset_stmt r-from 1 4294967294 1 "$GW_TMP/p2.json" "$soon" "${two[@]}"
check reset-expired reset_stmt r-old 1 4294967295 1 "$GW_TMP/p2.json" "$((now - 60))" "${two[@]}"
check reset-far reset_stmt r-far 1 4294967295 1 "$GW_TMP/p2.json" "$((now + 40 * 86400))" "${two[@]}"
check reset-good reset_stmt r-good 1 4294967295 1 "$GW_TMP/p2.json" "$soon" "${two[@]}"
expect_exit -n reset-too-few-signatures-refused 10 preset "$GW_TMP/r-one.signed"
expect_output_contains -n reset-too-few-named 'policy reset signature: 1 of required 2'
expect_exit -n reset-wrong-version-refused 5 preset "$GW_TMP/r-from.signed"
expect_output_contains -n reset-wrong-version-named "replaces version 4294967294, but the model's current version is 4294967295"
expect_exit -n reset-expired-refused 5 preset "$GW_TMP/r-old.signed"
expect_output_contains -n reset-expired-named 'policy reset 1 of gw-1000 expired at'
expect_exit -n reset-far-refused 5 preset "$GW_TMP/r-far.signed"
expect_output_contains -n reset-far-named 'more than 30 days from now'
expect_exit -n reset-applied 0 preset "$GW_TMP/r-good.signed" --json
check reset-json python3 -c "
import json; d = json.load(open('$GW_STDOUT'))
assert (d['model'], d['reset'], d['from_version'], d['to_version']) == ('gw-1000', 1, 4294967295, 1), d
assert d['in_force'] == 4294967295 and d['expires'] == $soon, d
assert len(d['signed_by']) == 2, d"
# Until a new policy is added, the frozen one stays in force (no rollback to v1).
expect_exit -n show-after-reset 0 gwverifier policy show gw-1000 --json --config "$vconf"
check frozen-still-in-force python3 -c "
import json; assert json.load(open('$GW_STDOUT'))['version'] == 4294967295"
expect_exit -n reset-replay-refused 5 preset "$GW_TMP/r-good.signed"
expect_output_contains -n reset-replay-named 'the model has had 1 resets, so the next is number 2'
# v3 was signed but never stored: it does not come back through the reset, which
# names v2 to come first.
expect_exit -n unnamed-policy-refused 5 padd "$GW_TMP/p3.signed"
expect_output_contains -n unnamed-policy-named 'version 3 .payload sha256 [0-9a-f]*. is not the policy reset 1 names'
expect_exit -n next-policy-accepted 0 padd "$GW_TMP/p2.signed"
expect_exit -n show-next 0 gwverifier policy show gw-1000 --json --config "$vconf"
check next-in-force python3 -c "
import json; assert json.load(open('$GW_STDOUT'))['version'] == 2"
expect_exit -n version-below-reset-refused 5 padd "$GW_TMP/p1.signed"
expect_exit -n policy-after-next 0 padd "$GW_TMP/p4.signed"
# A file that cannot be read: named once.
expect_exit -n reset-missing-file 1 preset "$GW_TMP/missing.signed"
check reset-missing-named-once python3 -c "
import sys; t = open('$GW_STDERR').read(); assert t.count('missing.signed') == 1, t"
expect_exit -n reset-help 0 gwverifier policy reset --help
expect_output_contains -n reset-help-names-it 'policy reset SIGNED'
audit_json
check resets-audited python3 -c "
import json
recs = [r for r in map(json.loads, open('$GW_TMP/audit.json')) if r['action'] == 'policy.reset']
got = [(r['outcome'], r['detail'].get('error', '')) for r in recs]
assert len(got) == 7, got
assert got[0][0] == 'refused' and '1 of required 2' in got[0][1], got
assert got[1][0] == 'refused' and 'replaces version 4294967294' in got[1][1], got
assert got[2][0] == 'refused' and 'expired at' in got[2][1], got
assert got[3][0] == 'refused' and 'more than 30 days' in got[3][1], got
assert got[4] == ('ok', ''), got
assert got[5][0] == 'refused' and 'has had 1 resets' in got[5][1], got
ok = recs[4]['detail']
assert ok['from_version'] == 4294967295 and ok['to_version'] == 1 and len(ok['signed_by']) == 2, ok"
expect_exit -n audit-chain-intact 0 gwverifier audit verify --config "$vconf"
expect_no_handles no-handles-left
