#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The TPM gate: the update key (agent/update_key.c) runs ECDH_ZGen only inside a
# policy session with a PolicySigned authorization by the gate key over that
# session's nonceTPM, for that key and that point, not expired. Without one, with a
# replayed, expired, wrong-point, wrong-key, wrong-signer or wrong-device one the
# TPM itself refuses; with the right one Z equals the software ECDH with the key's
# public (what the verifier's re-wrap computes). No handle is left behind.
# shellcheck source=swtpm-tests/lib.sh
source "$(dirname "$0")/lib.sh"
require_cmd tpm2_getcap
require_cmd tpm2_ecdhzgen
require_cmd xxd

updkey() { "$GW_BIN/tools/gw-updkey" "$@"; }
gatesign() { "$GW_BIN/tools/gw-gatesign" "$@"; }

swtpm_start || exit 1
state=$GW_TMP/state
d=$GW_TMP/k
mkdir -p "$d"

check provision gwagent --state-dir "$state" provision

# The verifier's gate key, and another P-256 key that is not it.
for k in gate other; do
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$d/$k.pem" 2>/dev/null
  openssl pkey -in "$d/$k.pem" -pubout -out "$d/$k.pub"
done

# ------------------------------------------------------------ create ---
check create updkey create --gate "$d/gate.pub" --blob "$d/a.tpm" --msg "$d/a.json"
name_a=$(sed -n 1p "$GW_STDOUT")
expect_no_handles create-leaves-no-handles
expect_eq blob-mode 600 "$(stat -c %a "$d/a.tpm")"
expect_exit -n create-refuses-to-replace 1 \
  updkey create --gate "$d/gate.pub" --blob "$d/a.tpm" --msg "$d/a2.json"
expect_output_contains -n create-refuses-to-replace-says 'not replaced' "$GW_STDERR"
# A second key in the same TPM stands for another device's update key.
check create-other-device updkey create --gate "$d/gate.pub" --blob "$d/b.tpm" --msg "$d/b.json"
name_b=$(sed -n 1p "$GW_STDOUT")
expect_ne other-device-key-differs "$name_a" "$name_b"
check info updkey info --blob "$d/a.tpm" --pem "$d/a.pub.pem"

# Two ephemeral keys stand for the EPKs of two wraps to this device; Z expected
# from software ECDH with the update key's public.
for e in e1 e2; do
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$d/$e.pem" 2>/dev/null
  openssl pkey -in "$d/$e.pem" -pubout -outform DER | tail -c 65 | xxd -p -c 200 >"$d/$e.point"
  openssl pkeyutl -derive -inkey "$d/$e.pem" -peerkey "$d/a.pub.pem" | xxd -p -c 200 >"$d/$e.z"
done
p1=$(cat "$d/e1.point")
p2=$(cat "$d/e2.point")

# open NAME: a policy session saved in $d/NAME.ctx; its nonceTPM in $nonce.
open() {
  check "open-$1" updkey open --session-out "$d/$1.ctx"
  nonce=$(cat "$GW_STDOUT")
}

# ----------------------------------------------- without authorization ---
# tpm2-tools as the attacker: the blob loads, but neither the empty password
# (userWithAuth is clear) nor a policy session without PolicySigned runs ZGen.
python3 - "$d/a.tpm" "$d/a.priv" "$d/a.pub" "$p1" "$d/p1.bin" <<'EOF'
import sys
b = open(sys.argv[1], 'rb').read()
n = 2 + int.from_bytes(b[:2], 'big')
open(sys.argv[2], 'wb').write(b[:n])
open(sys.argv[3], 'wb').write(b[n:])
p = bytes.fromhex(sys.argv[4])
open(sys.argv[5], 'wb').write(bytes([0, 68, 0, 32]) + p[1:33] + bytes([0, 32]) + p[33:])
EOF
check attacker-load tpm2_load -C 0x81000001 -u "$d/a.pub" -r "$d/a.priv" -c "$d/a.ctx"
expect_exit -n zgen-password-refused nonzero tpm2_ecdhzgen -c "$d/a.ctx" -u "$d/p1.bin" -o "$d/z.bin"
check attacker-session tpm2_startauthsession --policy-session -S "$d/s.ctx"
expect_exit -n zgen-empty-policy-refused nonzero \
  tpm2_ecdhzgen -c "$d/a.ctx" -p session:"$d/s.ctx" -u "$d/p1.bin" -o "$d/z.bin"
tpm2_flushcontext -t >/dev/null 2>&1
tpm2_flushcontext -l >/dev/null 2>&1
expect_no_handles attacker-flushed

# refused NAME AUTHFILE POINT [COMMAND] [GATE]: zgen in a fresh session is
# refused by the TPM (exit 3) in COMMAND, and leaves no handle.
refused() {
  local name=$1 auth=$2 point=$3 cmd=${4:-} gate=${5:-$d/gate.pub}
  expect_exit -n "$name" 3 updkey zgen --session "$d/cur.ctx" --blob "$d/a.tpm" \
    --gate "$gate" --point "$point" --auth "$auth"
  [ -z "$cmd" ] || expect_output_contains -n "$name-in-$cmd" "$cmd" "$GW_STDERR"
  expect_no_handles "$name-leaves-no-handles"
}

# -------------------------------------------------------------- replay ---
open old
old_nonce=$nonce
check sign-old gatesign --key "$d/gate.pem" --nonce "$old_nonce" --name "$name_a" \
  --point "$p1" --out "$d/auth-old.json"
open cur
refused replayed-nonce-refused "$d/auth-old.json" "$p1" PolicySigned

# ------------------------------------------------------------- expired ---
open cur
check sign-expiring gatesign --key "$d/gate.pem" --nonce "$nonce" --name "$name_a" \
  --point "$p1" --expiration 1 --out "$d/auth-exp.json"
sleep 3
refused expired-refused "$d/auth-exp.json" "$p1" PolicySigned

# ------------------------------------------------- another point (cpHash) ---
open cur
check sign-p2 gatesign --key "$d/gate.pem" --nonce "$nonce" --name "$name_a" --point "$p2" \
  --out "$d/auth-p2.json"
refused other-point-refused "$d/auth-p2.json" "$p1" ECDH_ZGen

# -------------------------------------------------- signed by another key ---
open cur
check sign-other gatesign --key "$d/other.pem" --nonce "$nonce" --name "$name_a" \
  --point "$p1" --out "$d/auth-other.json"
refused other-signer-refused "$d/auth-other.json" "$p1" PolicySigned
# ...and loading that key as if it were the gate key: PolicySigned passes, but the
# session's policy then names another key than the update key's authPolicy.
open cur
check sign-other-2 gatesign --key "$d/other.pem" --nonce "$nonce" --name "$name_a" \
  --point "$p1" --out "$d/auth-other.json"
refused other-gate-key-refused "$d/auth-other.json" "$p1" ECDH_ZGen "$d/other.pub"

# ------------------------------------------------ another device's key ---
open cur
check sign-device-b gatesign --key "$d/gate.pem" --nonce "$nonce" --name "$name_b" \
  --point "$p1" --out "$d/auth-b.json"
refused other-device-refused "$d/auth-b.json" "$p1" ECDH_ZGen

# ---------------------------------------------------- another policyRef ---
open cur
check sign-ref gatesign --key "$d/gate.pem" --nonce "$nonce" --name "$name_a" --point "$p1" \
  --policy-ref "$(printf 'release r1' | sha256sum | cut -c1-64)" --out "$d/auth-ref.json"
refused other-policy-ref-refused "$d/auth-ref.json" "$p1" ECDH_ZGen

# ------------------------------------------------------------ accepted ---
for e in e1 e2; do
  open cur
  check "sign-good-$e" gatesign --key "$d/gate.pem" --nonce "$nonce" --name "$name_a" \
    --point "$(cat "$d/$e.point")" --out "$d/auth-$e.json"
  check "zgen-$e" updkey zgen --session "$d/cur.ctx" --blob "$d/a.tpm" --gate "$d/gate.pub" \
    --point "$(cat "$d/$e.point")" --auth "$d/auth-$e.json"
  expect_eq "zgen-$e-equals-software-ecdh" "$(cat "$d/$e.z")" "$(cat "$GW_STDOUT")"
  expect_no_handles "zgen-$e-leaves-no-handles"
  # The session ended with the ZGen: the same authorization cannot run twice.
  expect_exit -n "zgen-$e-session-single-use" nonzero updkey zgen --session "$d/cur.ctx" \
    --blob "$d/a.tpm" --gate "$d/gate.pub" --point "$(cat "$d/$e.point")" \
    --auth "$d/auth-$e.json"
  expect_no_handles "zgen-$e-reuse-leaves-no-handles"
done
