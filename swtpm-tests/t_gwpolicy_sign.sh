#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# gwpolicy keygen, sign and verify: DSSE envelopes signed by a threshold of keys
# (ECDSA P-256 and Ed25519 mixed), refusals, tampering, --payload-out and --json.
# Keyids and ECDSA signatures are checked against the openssl CLI. No TPM.
# shellcheck source=swtpm-tests/lib.sh
source "$(dirname "$0")/lib.sh"
require_cmd openssl python3 sha256sum stat base64

d=$GW_TMP/keys
mkdir -p "$d"

expect_exit -n help 0 gwpolicy --help
expect_output_contains -n help-lists-commands '^  verify ' "$GW_STDOUT"
for c in keygen sign verify; do
  expect_exit -n "$c-help" 0 gwpolicy "$c" --help
  expect_output_contains -n "$c-help-usage" "^usage: gwpolicy $c" "$GW_STDOUT"
done
expect_exit -n unknown-command 2 gwpolicy frobnicate
expect_exit -n keygen-without-out 2 gwpolicy keygen
expect_exit -n keygen-bad-type 2 gwpolicy keygen --out "$d/x" --type rsa

# Three keys: two ECDSA P-256 (one by default), one Ed25519.
declare -A keyid
for k in alice:ecc-p256 bob:ed25519 carol:; do
  name=${k%%:*} type=${k#*:}
  if [ -n "$type" ]; then
    expect_exit -n "keygen-$name" 0 gwpolicy keygen --out "$d/$name" --type "$type"
  else
    expect_exit -n "keygen-$name" 0 gwpolicy keygen --out "$d/$name"
  fi
  keyid[$name]=$(cat "$GW_STDOUT")
  expect_eq "$name.key-mode-0600" "$(stat -c %a "$d/$name.key")" 600
  expect_output_contains -n "$name.pub-is-pem" '^-----BEGIN PUBLIC KEY-----$' "$d/$name.pub"
  expect_eq "$name-keyid-is-sha256-of-spki" "${keyid[$name]}" \
    "$(openssl pkey -pubin -in "$d/$name.pub" -outform DER | sha256sum | cut -d' ' -f1)"
done
expect_output_contains -n bob-is-ed25519 '^ED25519 Public-Key' \
  <(openssl pkey -in "$d/bob.key" -text_pub -noout 2>&1)

# Never overwrite a key.
cp "$d/alice.key" "$GW_TMP/alice.key.before"
expect_exit -n keygen-refuses-overwrite 1 gwpolicy keygen --out "$d/alice"
expect_output_contains -n keygen-names-existing 'alice.key exists' "$GW_STDERR"
expect_eq keygen-left-key-alone "$(cmp -s "$d/alice.key" "$GW_TMP/alice.key.before"; echo $?)" 0

# Sign with two of the three.
payload=$GW_TMP/policy.json
printf '{"model":"gw-100","pcrs":{"sha256":{"13":"00"}}}\n' >"$payload"
expect_exit -n sign-2-keys 0 gwpolicy sign --key "$d/alice.key" --key "$d/bob.key" "$payload"
cp "$GW_STDOUT" "$GW_TMP/signed.json"
expect_exit -n sign-needs-key 2 gwpolicy sign "$payload"
expect_exit -n sign-same-key-twice 2 gwpolicy sign --key "$d/alice.key" --key "$d/alice.key" "$payload"
expect_exit -n sign-public-key-refused 19 gwpolicy sign --key "$d/alice.pub" "$payload"

# The envelope: DSSE fields, the payload, keyids; alice's signature verifies with
# openssl over PAE(type, payload).
# (expect_exit gives commands /dev/null as stdin: the check goes in a file.)
cat >"$GW_TMP/envelope_check.py" <<'PY'
import base64, json, sys
env = json.load(open(sys.argv[1]))
assert sorted(env) == ["payload", "payloadType", "signatures"], env
assert env["payloadType"] == "application/vnd.gatewarden.policy+json"
body = open(sys.argv[2], "rb").read()
assert base64.b64decode(env["payload"]) == body
assert [s["keyid"] for s in env["signatures"]] == sys.argv[3:5]
t = env["payloadType"].encode()
pae = b"DSSEv1 %d %s %d %s" % (len(t), t, len(body), body)
open(sys.argv[5] + "/pae.bin", "wb").write(pae)
open(sys.argv[5] + "/alice.sig", "wb").write(base64.b64decode(env["signatures"][0]["sig"]))
PY
expect_exit -n envelope-fields 0 python3 "$GW_TMP/envelope_check.py" "$GW_TMP/signed.json" \
  "$payload" "${keyid[alice]}" "${keyid[bob]}" "$GW_TMP"
expect_exit -n alice-sig-verifies-with-openssl 0 openssl dgst -sha256 \
  -verify "$d/alice.pub" -signature "$GW_TMP/alice.sig" "$GW_TMP/pae.bin"

pubs=(--pub "$d/alice.pub" --pub "$d/bob.pub" --pub "$d/carol.pub")
expect_exit -n verify-2-of-3 0 gwpolicy verify "${pubs[@]}" --threshold 2 "$GW_TMP/signed.json"
expect_output_contains -n verify-names-signers "^signed +${keyid[bob]} " "$GW_STDOUT"
expect_output_contains -n verify-names-non-signer "^not-signed +${keyid[carol]} " "$GW_STDOUT"
expect_output_contains -n verify-ok-count '^OK: 2 of required 2 signatures valid' "$GW_STDOUT"
expect_exit -n verify-3-of-3-fails 10 gwpolicy verify "${pubs[@]}" --threshold 3 \
  "$GW_TMP/signed.json"
expect_output_contains -n verify-3-names-count '2 of required 3 signatures valid' "$GW_STDERR"
expect_exit -n verify-default-threshold-is-all 10 gwpolicy verify "${pubs[@]}" \
  "$GW_TMP/signed.json"
expect_exit -n verify-threshold-over-keys 2 gwpolicy verify --pub "$d/alice.pub" \
  --threshold 2 "$GW_TMP/signed.json"
expect_exit -n verify-unknown-signer-reported 10 gwpolicy verify --pub "$d/alice.pub" \
  --pub "$d/carol.pub" "$GW_TMP/signed.json"
expect_output_contains -n unknown-key-named \
  "1 of required 2 signatures valid \\(key ${keyid[bob]:0:4}… unknown\\)" "$GW_STDERR"
expect_exit -n verify-type-ok 0 gwpolicy verify "${pubs[@]}" --threshold 2 \
  --type application/vnd.gatewarden.policy+json "$GW_TMP/signed.json"
expect_exit -n verify-wrong-type 19 gwpolicy verify "${pubs[@]}" --threshold 2 \
  --type application/vnd.gatewarden.root+json "$GW_TMP/signed.json"

# Tampering: the payload, or the payloadType.
python3 - "$GW_TMP/signed.json" "$GW_TMP" <<'PY'
import base64, json, sys
env = json.load(open(sys.argv[1]))
body = base64.b64decode(env["payload"]).replace(b"gw-100", b"gw-666")
t = dict(env, payload=base64.b64encode(body).decode())
json.dump(t, open(sys.argv[2] + "/tampered-payload.json", "w"))
t = dict(env, payloadType="application/vnd.gatewarden.manifest+json")
json.dump(t, open(sys.argv[2] + "/tampered-type.json", "w"))
PY
out=$GW_TMP/out-payload.json
for t in payload type; do
  expect_exit -n "tampered-$t-fails" 10 gwpolicy verify "${pubs[@]}" --threshold 1 \
    --payload-out "$out" "$GW_TMP/tampered-$t.json"
  expect_output_contains -n "tampered-$t-count" '0 of required 1 signatures valid' "$GW_STDERR"
done
expect_eq no-payload-out-on-failure "$(test -e "$out"; echo $?)" 1
printf 'garbage' >"$GW_TMP/garbage.json"
expect_exit -n malformed-envelope 19 gwpolicy verify "${pubs[@]}" --payload-out "$out" \
  "$GW_TMP/garbage.json"
expect_eq no-payload-out-on-malformed "$(test -e "$out"; echo $?)" 1

expect_exit -n verify-payload-out 0 gwpolicy verify "${pubs[@]}" --threshold 2 \
  --payload-out "$out" "$GW_TMP/signed.json"
expect_eq payload-out-is-payload "$(cmp -s "$out" "$payload"; echo $?)" 0

# --json, for scripts: success and failure.
expect_exit -n verify-json 0 gwpolicy verify "${pubs[@]}" --threshold 2 --json \
  "$GW_TMP/signed.json"
expect_exit -n verify-json-parses 0 python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["result"] == "pass" and r["valid"] == 2 and r["threshold"] == 2, r
assert [k["signed"] for k in r["keys"]] == [True, True, False], r
assert [s["status"] for s in r["signatures"]] == ["valid", "valid"], r' "$GW_STDOUT"
expect_exit -n verify-json-fail 10 gwpolicy verify "${pubs[@]}" --threshold 3 --json \
  "$GW_TMP/signed.json"
expect_exit -n verify-json-fail-parses 0 python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["result"] == "fail" and r["exit_code"] == 10 and r["valid"] == 2, r
assert r["error"] == "2 of required 3 signatures valid", r' "$GW_STDOUT"

# Standard input works both ways (the inner shell expands its own arguments).
# shellcheck disable=SC2016
expect_exit -n sign-stdin 0 bash -c '"$1" sign --key "$2" - <"$3" >"$4"' _ \
  "$GW_BIN/gwpolicy" "$d/carol.key" "$payload" "$GW_TMP/carol.json"
# shellcheck disable=SC2016
expect_exit -n verify-stdin 0 bash -c '"$1" verify --pub "$2" - <"$3"' _ \
  "$GW_BIN/gwpolicy" "$d/carol.pub" "$GW_TMP/carol.json"

# predict: its values are checked against a real TPM in t_verifier_attacks; here
# its command line and errors.
printf 'stage one\n' >"$GW_TMP/one.bin"
expect_exit -n predict-ok 0 gwpolicy predict --stage one="$GW_TMP/one.bin" --banks sha256
expect_output_contains -n predict-pcr13 "^PCR 13 sha256 +$(python3 -c "
import hashlib; print(hashlib.sha256(bytes(32) + hashlib.sha256(open('$GW_TMP/one.bin','rb').read()).digest()).hexdigest())")"
expect_exit -n predict-bad-stage-arg 2 gwpolicy predict --stage nameonly
expect_exit -n predict-missing-file 1 gwpolicy predict --stage x="$GW_TMP/nope.bin"
expect_output_contains -n predict-missing-file-named 'stage x: .*nope.bin'
expect_exit -n predict-bad-banks 2 gwpolicy predict --banks sha256,md5 --stage one="$GW_TMP/one.bin"
