#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Releases on the verifier: gwverifier release add (the whole bundle verified
# against the pinned trust root before it is kept, content-addressed beside the
# database), list, show, approve, withdraw and rollout with tables, --json and audit
# records; bundles refused for a bad signature, another root, tampering, expiry, a
# channel mismatch and a duplicate, nothing kept of them; device channel. No TPM.
# shellcheck source=swtpm-tests/lib.sh
source "$(dirname "$0")/lib.sh"
require_cmd python3 sha256sum sqlite3

fill=$GW_BIN/tools/gw-storefill
if [ ! -x "$fill" ]; then
  fail storefill-built "$fill not built (make tools)"
  exit 1
fi
dir=$GW_TMP/verifier
db=$dir/verifier.db
conf=(--config "$dir/verifier.conf")
k=$GW_TMP/keys
mkdir -p "$k"

jq_py() {
  python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' \
    "$GW_STDOUT" "$1"
}
audit_last() {   # the last audit record's action and outcome
  sqlite3 "$db" "SELECT action || ' ' || outcome FROM audit_log ORDER BY seq DESC LIMIT 1"
}
bundles() { find "$dir/bundles" -type f 2>/dev/null | wc -l; }

check init gwverifier init "$dir" --listen "127.0.0.1:$(random_port)" --id rel-test

# A root with one targets key t1; another root whose targets key is x.
for n in r1 t1 x; do
  check "keygen-$n" gwpolicy keygen --out "$k/$n"
done
root=$GW_TMP/root.json
other=$GW_TMP/other-root.json
check root-init gwpolicy root init --root-key "$k/r1.pub" --root-threshold 1 \
  --targets-key "$k/t1.pub" --targets-threshold 1 --sign "$k/r1.key" -o "$root"
check other-root-init gwpolicy root init --root-key "$k/r1.pub" --root-threshold 1 \
  --targets-key "$k/x.pub" --targets-threshold 1 --sign "$k/r1.key" -o "$other"
head -c 300000 /dev/urandom >"$GW_TMP/rootfs.img"
printf 'Fixes things.\n' >"$GW_TMP/notes.txt"
mk() {   # NAME VERSION SECVER [extra create args]: a bundle signed as given
  local name=$1 ver=$2 sv=$3
  shift 3
  check "create-$name" gwpolicy bundle create --root "$root" --model gw-100 --channel stable \
    --version "$ver" --security-version "$sv" --image "rootfs=$GW_TMP/rootfs.img" \
    --key "$k/t1.key" -o "$GW_TMP/$name.gwb" "$@"
}
mk v2 2.0.0 5 --notes "$GW_TMP/notes.txt" --reboot-required
mk v3 3.0.0 6
mk v4 4.0.0 6
check create-badsig gwpolicy bundle create --root "$other" --model gw-100 --channel stable \
  --version 9.0.0 --security-version 9 --image "rootfs=$GW_TMP/rootfs.img" \
  --key "$k/x.key" -o "$GW_TMP/badsig.gwb"
mk soon 5.0.0 7 --expires 1

# ---- no trust root configured: add refuses with the config exit code
expect_exit -n add-no-root 3 gwverifier release add "$GW_TMP/v2.gwb" "${conf[@]}"
expect_output_contains -n add-no-root-says 'no \[releases\] trust_root' "$GW_STDERR"
cp "$root" "$dir/release-root.json"
printf '\n[releases]\ntrust_root = release-root.json\n' >>"$dir/verifier.conf"

# ---- refused bundles: nothing kept, each refusal audited
expect_exit -n add-other-root 30 gwverifier release add "$GW_TMP/badsig.gwb" "${conf[@]}"
expect_eq add-other-root-audited "$(audit_last)" "release.add refused"
expect_eq add-other-root-nothing-kept "$(bundles)" 0
cp "$GW_TMP/v2.gwb" "$GW_TMP/tampered.gwb"
python3 - "$GW_TMP/tampered.gwb" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[-30000] ^= 0x01          # inside the payload: its digest no longer matches
open(p, "wb").write(bytes(b))
PY
expect_exit -n add-tampered 31 gwverifier release add "$GW_TMP/tampered.gwb" "${conf[@]}"
expect_eq add-tampered-audited "$(audit_last)" "release.add refused"
head -c 20000 "$GW_TMP/v2.gwb" >"$GW_TMP/short.gwb"
expect_exit -n add-truncated 31 gwverifier release add "$GW_TMP/short.gwb" "${conf[@]}"
expect_exit -n add-channel-mismatch 33 gwverifier release add "$GW_TMP/v2.gwb" \
  --channel beta "${conf[@]}"
expect_exit -n add-missing 1 gwverifier release add "$GW_TMP/none.gwb" "${conf[@]}"
expect_exit -n add-bad-rollout 2 gwverifier release add "$GW_TMP/v2.gwb" --rollout 101 "${conf[@]}"
expect_exit -n add-deadline-needs-critical 2 gwverifier release add "$GW_TMP/v2.gwb" \
  --deadline 2030-01-01T00:00:00Z "${conf[@]}"
expect_eq refused-nothing-kept "$(bundles)" 0
expect_eq refused-no-temporary "$(find "$dir/bundles" -name '*.tmp.*' | wc -l)" 0

# ---- add
expect_exit -n add-v2 0 gwverifier release add "$GW_TMP/v2.gwb" --channel stable --json "${conf[@]}"
v2=$(jq_py 'j["id"]')
sha=$(sha256sum "$GW_TMP/v2.gwb" | cut -d' ' -f1)
expect_eq add-v2-sha256 "$(jq_py 'j["sha256"]')" "$sha"
expect_file add-v2-content-addressed "$dir/bundles/$sha.gwb"
expect_eq add-v2-same-bytes "$(sha256sum <"$dir/bundles/$sha.gwb" | cut -d' ' -f1)" "$sha"
expect_eq add-v2-fields "$(jq_py '(j["version"], j["security_version"], j["models"], j["reboot_required"], j["rollout"], j["state"])')" \
  "('2.0.0', 5, ['gw-100'], True, 100, 'offered')"
expect_eq add-v2-audited "$(audit_last)" "release.add ok"
expect_exit -n add-v2-again 5 gwverifier release add "$GW_TMP/v2.gwb" "${conf[@]}"
expect_output_contains -n add-v2-again-says 'stored already' "$GW_STDERR"
expect_eq add-v2-again-audited "$(audit_last)" "release.add refused"
expect_file add-v2-again-file-kept "$dir/bundles/$sha.gwb"
expect_exit -n add-v3 0 gwverifier release add "$GW_TMP/v3.gwb" --require-approval --rollout 0 \
  --json "${conf[@]}"
v3=$(jq_py 'j["id"]')
expect_eq add-v3-state "$(jq_py 'j["state"]')" awaiting-approval
expect_exit -n add-v4 0 gwverifier release add "$GW_TMP/v4.gwb" --critical \
  --deadline 2030-01-01T00:00:00Z --json "${conf[@]}"
v4=$(jq_py 'j["id"]')
expect_eq add-v4-critical "$(jq_py '(j["critical"], j["deadline"])')" "(True, '2030-01-01T00:00:00Z')"
ftlib=$(faketime_lib libfaketime.so.1)
if [ -n "$ftlib" ]; then
  expect_exit -n add-expired 34 env LD_PRELOAD="$ftlib" FAKETIME=+2d \
    "ASAN_OPTIONS=$FAKETIME_ASAN_OPTIONS" "$GW_BIN/gwverifier" release add "$GW_TMP/soon.gwb" \
    "${conf[@]}"
  expect_eq add-expired-audited "$(audit_last)" "release.add refused"
else
  skip add-expired "libfaketime not installed"
fi
expect_eq three-files "$(bundles)" 3

# ---- list / show
expect_exit -n list 0 gwverifier release list "${conf[@]}"
expect_output_contains -n list-header '^ID +VERSION +SECVER +MODELS +CHANNEL +ROLLOUT +STATE +EOL$' "$GW_STDOUT"
expect_output_contains -n list-v3 "^$v3 +3.0.0 +6 +gw-100 +stable +0% +awaiting-approval +no$" "$GW_STDOUT"
expect_eq list-rows "$(wc -l <"$GW_STDOUT")" 4
expect_exit -n list-json 0 gwverifier release list --json "${conf[@]}"
expect_eq list-json-ids "$(jq_py '[r["id"] for r in j]')" "['$v2', '$v3', '$v4']"
expect_exit -n list-model-none 0 gwverifier release list --model gw-999 --json "${conf[@]}"
expect_eq list-model-none-empty "$(jq_py 'len(j)')" 0
expect_exit -n show 0 gwverifier release show "$v2" "${conf[@]}"
expect_output_contains -n show-version '^Version +2.0.0$' "$GW_STDOUT"
expect_output_contains -n show-notes '^Fixes things.$' "$GW_STDOUT"
expect_exit -n show-unknown 1 gwverifier release show 0000000000000000 "${conf[@]}"
expect_exit -n show-garbage 1 gwverifier release show '../../x' "${conf[@]}"

# ---- approve / rollout / withdraw
expect_exit -n approve-not-required 5 gwverifier release approve "$v2" "${conf[@]}"
expect_exit -n approve-v3 0 gwverifier release approve "$v3" "${conf[@]}"
expect_eq approve-audited "$(audit_last)" "release.approve ok"
expect_exit -n approve-v3-again 5 gwverifier release approve "$v3" "${conf[@]}"
expect_exit -n rollout-v3 0 gwverifier release rollout "$v3" 25 "${conf[@]}"
expect_eq rollout-audited "$(sqlite3 "$db" "SELECT detail FROM audit_log ORDER BY seq DESC LIMIT 1")" \
  "{\"release\":\"$v3\",\"rollout\":25}"
expect_exit -n rollout-bad 2 gwverifier release rollout "$v3" 250 "${conf[@]}"
expect_exit -n show-v3-json 0 gwverifier release show "$v3" --json "${conf[@]}"
expect_eq v3-after "$(jq_py '(j["approved"], j["rollout"], j["state"])')" "(True, 25, 'offered')"
expect_exit -n withdraw-v3 0 gwverifier release withdraw "$v3" "${conf[@]}"
expect_eq withdraw-audited "$(audit_last)" "release.withdraw ok"
expect_exit -n withdraw-final 5 gwverifier release withdraw "$v3" "${conf[@]}"
expect_exit -n rollout-withdrawn 5 gwverifier release rollout "$v3" 100 "${conf[@]}"
expect_exit -n withdraw-unknown 1 gwverifier release withdraw ffffffffffffffff "${conf[@]}"
expect_exit -n option-not-here 2 gwverifier release list --critical "${conf[@]}"

# ---- device channel
check fill-dev "$fill" "sqlite:$db" device gw-0001 gw-100 enrolled now-100
expect_exit -n channel-show-default 0 gwverifier device show gw-0001 --json "${conf[@]}"
expect_eq channel-default-null "$(jq_py 'j["channel"]')" None
expect_exit -n channel-set 0 gwverifier device channel gw-0001 beta "${conf[@]}"
expect_eq channel-audited "$(audit_last)" "device.channel ok"
expect_exit -n channel-show 0 gwverifier device show gw-0001 --json "${conf[@]}"
expect_eq channel-beta "$(jq_py '(j["channel"], j["security_version"])')" "('beta', 0)"
expect_exit -n channel-bad-name 2 gwverifier device channel gw-0001 'be ta' "${conf[@]}"
expect_exit -n channel-unknown-device 1 gwverifier device channel gw-9 beta "${conf[@]}"
expect_exit -n channel-back-default 0 gwverifier device channel gw-0001 default "${conf[@]}"
expect_exit -n audit-chain-intact 0 gwverifier audit verify "${conf[@]}"
