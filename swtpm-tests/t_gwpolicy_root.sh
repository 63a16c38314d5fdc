#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# gwpolicy root init, sign, verify and rotate end to end: a 2-of-2 root signed by
# its key holders in turn, its digest checked against the document's SHA-256,
# refusals (a key twice in another encoding, thresholds, signers that would not
# count, tampering, expiry under libfaketime), and rotations: either threshold
# missing, a key counted twice, replayed and skipping versions, a chain given in
# any order. No TPM.
# shellcheck source=swtpm-tests/lib.sh
source "$(dirname "$0")/lib.sh"
require_cmd openssl python3 sha256sum cmp

d=$GW_TMP/keys
mkdir -p "$d"
G=$GW_BIN/gwpolicy
ftlib=$(faketime_lib libfaketime.so.1)

expect_exit -n root-help 0 gwpolicy root --help
expect_output_contains -n root-help-lists-rotate '^  rotate ' "$GW_STDOUT"
expect_exit -n help-lists-root 0 gwpolicy --help
expect_output_contains -n help-root-line '^  root ' "$GW_STDOUT"
for c in init sign verify rotate; do
  expect_exit -n "$c-help" 0 gwpolicy root "$c" --help
  expect_output_contains -n "$c-help-usage" "^usage: gwpolicy root $c" "$GW_STDOUT"
done
expect_exit -n unknown-subcommand 2 gwpolicy root frobnicate
expect_exit -n root-without-subcommand 2 gwpolicy root

# Root keys r1, r2 (ECDSA P-256), r3 (Ed25519); targets keys t1, t2; a stranger.
declare -A kid
for k in r1: r2: r3:ed25519 t1: t2:ed25519 x:; do
  name=${k%%:*} type=${k#*:}
  expect_exit -n "keygen-$name" 0 gwpolicy keygen --out "$d/$name" --type "${type:-ecc-p256}"
  kid[$name]=$(cat "$GW_STDOUT")
done
# r1 again, its point compressed: the same key in another encoding.
openssl ec -pubin -in "$d/r1.pub" -conv_form compressed -out "$d/r1c.pub" 2>/dev/null
expect_ne r1c-is-another-encoding "$(cat "$d/r1c.pub")" "$(cat "$d/r1.pub")"
# r1 again, its curve written as explicit parameters instead of its name.
openssl ec -pubin -in "$d/r1.pub" -param_enc explicit -out "$d/r1x.pub" 2>/dev/null
expect_ne r1x-is-another-encoding "$(cat "$d/r1x.pub")" "$(cat "$d/r1.pub")"

v1=$GW_TMP/root-v1.json
init=(root init --root-key "$d/r1.pub" --root-key "$d/r2.pub" --root-threshold 2
  --targets-key "$d/t1.pub" --targets-threshold 1)

# Command-line refusals: nothing written.
expect_exit -n init-needs-sign 2 gwpolicy "${init[@]}" -o "$v1"
expect_output_contains -n init-needs-sign-says 'at least one --sign KEY' "$GW_STDERR"
expect_exit -n init-needs-out 2 gwpolicy "${init[@]}" --sign "$d/r1.key"
expect_exit -n init-needs-targets 2 gwpolicy root init --root-key "$d/r1.pub" \
  --root-threshold 1 --sign "$d/r1.key" -o "$v1"
expect_exit -n init-threshold-over-keys 2 gwpolicy root init --root-key "$d/r1.pub" \
  --root-threshold 2 --targets-key "$d/t1.pub" --targets-threshold 1 --sign "$d/r1.key" -o "$v1"
expect_output_contains -n threshold-over-keys-says 'role root: threshold 2 is not between 1 and 1'
expect_exit -n init-threshold-0 2 gwpolicy root init --root-key "$d/r1.pub" \
  --root-threshold 0 --targets-key "$d/t1.pub" --targets-threshold 1 --sign "$d/r1.key" -o "$v1"
expect_exit -n init-key-twice-compressed 2 gwpolicy root init --root-key "$d/r1.pub" \
  --root-key "$d/r1c.pub" --root-threshold 2 --targets-key "$d/t1.pub" --targets-threshold 1 \
  --sign "$d/r1.key" -o "$v1"
expect_output_contains -n key-twice-says "is in the root role already"
expect_exit -n init-key-twice-explicit 19 gwpolicy root init --root-key "$d/r1.pub" \
  --root-key "$d/r1x.pub" --root-threshold 2 --targets-key "$d/t1.pub" --targets-threshold 1 \
  --sign "$d/r1.key" -o "$v1"
expect_output_contains -n key-explicit-says "EC key with explicit curve parameters"
expect_exit -n init-only-explicit 19 gwpolicy root init --root-key "$d/r1x.pub" \
  --root-threshold 1 --targets-key "$d/t1.pub" --targets-threshold 1 --sign "$d/r1.key" -o "$v1"
expect_exit -n init-expires-past 2 gwpolicy "${init[@]}" --expires 2020-01-01 --sign "$d/r1.key" -o "$v1"
expect_output_contains -n expires-past-says 'in the past'
expect_exit -n init-expires-bad 2 gwpolicy "${init[@]}" --expires tomorrow --sign "$d/r1.key" -o "$v1"
expect_exit -n init-version-0 2 gwpolicy "${init[@]}" --version 0 --sign "$d/r1.key" -o "$v1"
expect_exit -n init-sign-with-targets-key 2 gwpolicy "${init[@]}" --sign "$d/t1.key" -o "$v1"
expect_output_contains -n targets-signer-says "keyid ${kid[t1]}\\) is not a root key of version 1"
expect_exit -n init-sign-with-public-key 19 gwpolicy "${init[@]}" --sign "$d/r1.pub" -o "$v1"
expect_eq nothing-written "$(test -e "$v1"; echo $?)" 1

# Version 1, signed by r1 only: written, but the threshold is not met yet.
expect_exit -n init 0 gwpolicy "${init[@]}" --expires 30 --sign "$d/r1.key" -o "$v1"
expect_output_contains -n init-names-version '^version +1$' "$GW_STDOUT"
expect_output_contains -n init-r1-signed "^  signed +${kid[r1]}$" "$GW_STDOUT"
expect_output_contains -n init-r2-not-signed "^  not-signed +${kid[r2]}$" "$GW_STDOUT"
expect_output_contains -n init-says-missing "1 more signature needed by version 1's own root keys" \
  "$GW_STDERR"
expect_exit -n init-refuses-overwrite 1 gwpolicy "${init[@]}" --sign "$d/r1.key" -o "$v1"
expect_output_contains -n overwrite-says 'exists: not overwriting it'
expect_exit -n verify-1-of-2 10 gwpolicy root verify "$v1"
expect_output_contains -n verify-1-of-2-says 'root signature: 1 of required 2 signatures valid' \
  "$GW_STDERR"

# The second key holder signs: into another file first (the original untouched).
cp "$v1" "$GW_TMP/v1.before"
expect_exit -n sign-to-other-file 0 gwpolicy root sign --key "$d/r2.key" -o "$GW_TMP/v1.other" "$v1"
expect_eq sign-o-leaves-original "$(cmp -s "$v1" "$GW_TMP/v1.before"; echo $?)" 0
expect_exit -n sign-in-place 0 gwpolicy root sign --key "$d/r2.key" "$v1"
expect_output_not_contains -n sign-nothing-missing 'more signature' "$GW_STDERR"
expect_exit -n sign-again-refused 5 gwpolicy root sign --key "$d/r1.key" "$v1"
expect_output_contains -n sign-again-says "already signed by key ${kid[r1]}"
expect_exit -n sign-stranger-refused 2 gwpolicy root sign --key "$d/x.key" "$v1"
expect_exit -n verify-v1 0 gwpolicy root verify "$v1"
expect_output_contains -n verify-ok-line '^OK: root version 1 verified$' "$GW_STDOUT"
expect_output_contains -n verify-lists-targets "^  key +${kid[t1]}$" "$GW_STDOUT"

# The digest is the SHA-256 of the document (what a policy's trust.trust_root
# lists), the same before and after the second signature; keys are the PEM files.
cat >"$GW_TMP/doc_check.py" <<'PY'
import base64, hashlib, json, sys
env = json.load(open(sys.argv[1]))
assert sorted(env) == ["payload", "payloadType", "signatures"], env
assert env["payloadType"] == "application/vnd.gatewarden.root+json"
body = base64.b64decode(env["payload"])
doc = json.loads(body)
assert doc["_type"] == "gatewarden-root" and doc["version"] == 1, doc
assert doc["roles"]["root"] == {"keyids": [sys.argv[3], sys.argv[4]], "threshold": 2}, doc
assert doc["keys"][sys.argv[3]]["public"] == open(sys.argv[5]).read(), doc
assert doc["keys"][sys.argv[3]]["keytype"] == "ecdsa-p256"
assert [s["keyid"] for s in env["signatures"]] == [sys.argv[3], sys.argv[4]]
print(hashlib.sha256(body).hexdigest())
PY
expect_exit -n v1-document 0 python3 "$GW_TMP/doc_check.py" "$v1" x "${kid[r1]}" "${kid[r2]}" "$d/r1.pub"
digest=$(cat "$GW_STDOUT")
expect_exit -n verify-v1-again 0 gwpolicy root verify "$v1"
expect_output_contains -n digest-is-sha256-of-document "^digest +$digest$" "$GW_STDOUT"
expect_exit -n partial-json 10 gwpolicy root verify --json "$GW_TMP/v1.before"
expect_exit -n digest-unchanged-by-signing 0 python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["digest"] == sys.argv[2], r
assert r["result"] == "fail" and r["exit_code"] == 10 and r["complete"] is False, r
assert r["roles"]["root"]["valid"] == 1 and r["roles"]["root"]["threshold"] == 2, r
assert r["error"] == "root signature: 1 of required 2 signatures valid", r' "$GW_STDOUT" "$digest"

# Tampered: the payload edited, or a signature copied onto another keyid.
python3 - "$v1" "$GW_TMP" <<'PY'
import base64, json, sys
env = json.load(open(sys.argv[1]))
body = base64.b64decode(env["payload"]).replace(b'"threshold": 1', b'"threshold": 1 ')
json.dump(dict(env, payload=base64.b64encode(body).decode()), open(sys.argv[2] + "/tampered.json", "w"))
sigs = [env["signatures"][0], dict(env["signatures"][0])]
json.dump(dict(env, signatures=sigs), open(sys.argv[2] + "/r1-twice.json", "w"))
PY
expect_exit -n tampered-refused 10 gwpolicy root verify "$GW_TMP/tampered.json"
expect_output_contains -n tampered-says 'invalid signature' "$GW_STDERR"
expect_exit -n same-signature-twice-counts-once 10 gwpolicy root verify "$GW_TMP/r1-twice.json"
expect_output_contains -n twice-says '1 of required 2 signatures valid' "$GW_STDERR"
printf '{"payloadType":"x"}' >"$GW_TMP/garbage.json"
expect_exit -n malformed-refused 19 gwpolicy root verify "$GW_TMP/garbage.json"
expect_exit -n missing-file 1 gwpolicy root verify "$GW_TMP/nope.json"

# Expiry: 30 days from now; 31 days on, refused (the clock moved by libfaketime).
asan=ASAN_OPTIONS=$FAKETIME_ASAN_OPTIONS
if [ -n "$ftlib" ]; then
  expect_exit -n expired-refused 5 env LD_PRELOAD="$ftlib" FAKETIME=+31d "$asan" "$G" \
    root verify "$v1"
  expect_output_contains -n expired-says 'root version 1 expired at' "$GW_STDERR"
  expect_exit -n not-yet-expired 0 env LD_PRELOAD="$ftlib" FAKETIME=+29d "$asan" "$G" \
    root verify "$v1"
else
  skip expired-refused "libfaketime.so.1 not found (Debian package faketime)"
fi

# Rotation to version 2: r1 leaves, r3 joins the root role, t2 the targets role.
v2=$GW_TMP/root-v2.json
rot=(root rotate --from "$v1" --remove-root-key "${kid[r1]:0:10}" --add-root-key "$d/r3.pub"
  --add-targets-key "$d/t2.pub")
expect_exit -n rotate-needs-from 2 gwpolicy root rotate --sign "$d/r2.key" -o "$v2"
expect_exit -n rotate-unknown-keyid 2 gwpolicy root rotate --from "$v1" \
  --remove-root-key 0000000000 --sign "$d/r2.key" -o "$v2"
expect_exit -n rotate-short-keyid 2 gwpolicy root rotate --from "$v1" \
  --remove-root-key "${kid[r1]:0:4}" --sign "$d/r2.key" -o "$v2"
expect_exit -n rotate-threshold-over-keys 2 gwpolicy root rotate --from "$v1" \
  --remove-root-key "${kid[r1]}" --sign "$d/r2.key" -o "$v2"
expect_output_contains -n rotate-threshold-says 'would need 2 of 1 keys: give --root-threshold'
expect_exit -n rotate-add-existing-compressed 2 gwpolicy root rotate --from "$v1" \
  --add-root-key "$d/r1c.pub" --sign "$d/r2.key" -o "$v2"
expect_exit -n rotate-stranger-signer 2 gwpolicy "${rot[@]}" --sign "$d/x.key" -o "$v2"
expect_exit -n rotate-from-tampered 10 gwpolicy root rotate --from "$GW_TMP/tampered.json" \
  --sign "$d/r2.key" -o "$v2"
expect_eq rotate-refusals-wrote-nothing "$(test -e "$v2"; echo $?)" 1

# Signed by r2 and r3: version 2's own threshold met, version 1's (r1, r2) not.
expect_exit -n rotate 0 gwpolicy "${rot[@]}" --sign "$d/r2.key" --sign "$d/r3.key" -o "$v2" --json
expect_output_contains -n rotate-says-missing-old "needed by version 1's root keys" "$GW_STDERR"
cp "$GW_STDOUT" "$GW_TMP/rotate.json"
expect_exit -n rotate-json 0 python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["version"] == 2 and r["complete"] is False, r
assert r["roles"]["root"]["valid"] == 2, r
assert [k["keyid"] for k in r["roles"]["root"]["keys"]] == sys.argv[2:4], r
assert len(r["roles"]["targets"]["keys"]) == 2, r
assert r["previous"]["version"] == 1 and r["previous"]["valid"] == 1, r' \
  "$GW_TMP/rotate.json" "${kid[r2]}" "${kid[r3]}"
expect_exit -n v2-alone-verifies 0 gwpolicy root verify "$v2"
expect_exit -n missing-old-threshold 10 gwpolicy root verify --previous "$v1" "$v2"
expect_output_contains -n missing-old-says \
  "root version 2: signatures by version 1's root keys: 1 of required 2" "$GW_STDERR"
cp "$v2" "$GW_TMP/v2-missing-old.json"

# A key counted twice: r2's signature copied, which is still one of v1's keys.
python3 - "$v2" "$GW_TMP/v2-r2-twice.json" <<'PY'
import json, sys
env = json.load(open(sys.argv[1]))
env["signatures"].append(dict(env["signatures"][0]))
json.dump(env, open(sys.argv[2], "w"))
PY
expect_exit -n key-counted-twice-refused 10 gwpolicy root verify --previous "$v1" \
  "$GW_TMP/v2-r2-twice.json"
expect_output_contains -n counted-twice-says "version 1's root keys: 1 of required 2" "$GW_STDERR"

# r1 signs as an old key; then the chain verifies.
expect_exit -n sign-old-key-needs-previous 2 gwpolicy root sign --key "$d/r1.key" "$v2"
expect_output_contains -n needs-previous-says 'give --previous OLD'
expect_exit -n sign-old-key 0 gwpolicy root sign --previous "$v1" --key "$d/r1.key" "$v2"
expect_exit -n rotation-verifies 0 gwpolicy root verify --previous "$v1" "$v2"
expect_output_contains -n rotation-ok '^OK: root version 2 verified through its rotations$' \
  "$GW_STDOUT"

# Missing the new threshold: signed by v1's keys r1 and r2 only (r3 is new).
expect_exit -n rotate-old-signers 0 gwpolicy "${rot[@]}" --sign "$d/r1.key" --sign "$d/r2.key" \
  -o "$GW_TMP/v2-missing-new.json"
expect_exit -n missing-new-threshold 10 gwpolicy root verify --previous "$v1" \
  "$GW_TMP/v2-missing-new.json"
expect_output_contains -n missing-new-says \
  "root version 2: signatures by its own root keys: 1 of required 2" "$GW_STDERR"

# Replays and skips.
expect_exit -n replayed-older 5 gwpolicy root verify --previous "$v2" "$v1"
expect_output_contains -n replayed-older-says \
  'root version 1 cannot follow version 2: an older version \(replayed\)' "$GW_STDERR"
expect_exit -n replayed-same 5 gwpolicy root verify --previous "$v1" "$v1"
expect_output_contains -n replayed-same-says 'the same version' "$GW_STDERR"
v3=$GW_TMP/root-v3.json
expect_exit -n rotate-v3 0 gwpolicy root rotate --from "$v2" --root-threshold 1 \
  --sign "$d/r2.key" --sign "$d/r3.key" -o "$v3"
expect_exit -n skipping-refused 5 gwpolicy root verify --previous "$v1" "$v3"
expect_output_contains -n skipping-says 'root version 3 cannot follow version 1: skips versions' \
  "$GW_STDERR"
expect_exit -n chain-any-order 0 gwpolicy root verify --previous "$v2" --previous "$v1" "$v3"
expect_exit -n chain-with-bad-link 10 gwpolicy root verify --previous "$GW_TMP/v2-missing-new.json" \
  --previous "$v1" "$v3"
expect_exit -n sign-previous-wrong-version 5 gwpolicy root sign --previous "$v1" \
  --key "$d/r2.key" "$v3"
expect_output_contains -n previous-wrong-version-says 'previous is version 1, not 2'
