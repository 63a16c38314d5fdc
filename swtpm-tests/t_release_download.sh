#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Release eligibility and download against a real verifier, swtpm and agent: an
# enrolled device attested affirming is offered the releases it may have (attest
# answer and EAR), and GET /v1/releases/ID/bundle serves them over mTLS with one
# Range (206, 416, If-Range on the ETag) and only to it: unknown release 404; wrong
# model, not approved, withdrawn, rollout 0, another channel, a non-affirming or
# revoked device 403 with the reason. Every download start and refusal audited.
# shellcheck source=swtpm-tests/lib.sh
source "$(dirname "$0")/lib.sh"
require_cmd openssl curl python3 sha256sum sqlite3

swtpm_start || exit 1
state=$GW_TMP/state
vdir=$GW_TMP/verifier
conf=$GW_TMP/agent.conf
vconf=(--config "$vdir/verifier.conf")
k=$GW_TMP/keys
mkdir -p "$k"
stagefile=$GW_TMP/app.bin
echo "application v1" >"$stagefile"
gw_agent_config "$conf" "$state" "app=$stagefile"
ga() { gwagent --config "$conf" "$@"; }
localca=/var/lib/swtpm-localca
jq_py() {
  python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' \
    "$GW_STDOUT" "$1"
}
audit_last() {
  sqlite3 "$vdir/verifier.db" \
    "SELECT action || ' ' || outcome || ' ' || coalesce(detail, '') FROM audit_log ORDER BY seq DESC LIMIT 1"
}

check provision ga provision
check boot ga boot
port=$(free_port) || exit 1
check verifier-init gwverifier init "$vdir" --listen "127.0.0.1:$port" \
  --ek-ca "$localca/swtpm-localca-rootca-cert.pem" --ek-ca "$localca/issuercert.pem"
gw_policy_keys >>"$vdir/verifier.conf" || { fail policy-keys "gwpolicy keygen failed"; exit 1; }

# Release signing: a root with one targets key; the verifier pins it.
for n in r1 t1; do
  check "keygen-$n" gwpolicy keygen --out "$k/$n"
done
check root-init gwpolicy root init --root-key "$k/r1.pub" --root-threshold 1 \
  --targets-key "$k/t1.pub" --targets-threshold 1 --sign "$k/r1.key" -o "$vdir/release-root.json"
printf '\n[releases]\ntrust_root = release-root.json\nmax_attest_age = 600\n' >>"$vdir/verifier.conf"
head -c 2500000 /dev/urandom >"$GW_TMP/rootfs.img"
mk() {   # NAME MODEL CHANNEL VERSION SECVER
  check "create-$1" gwpolicy bundle create --root "$vdir/release-root.json" --model "$2" \
    --channel "$3" --version "$4" --security-version "$5" --image "rootfs=$GW_TMP/rootfs.img" \
    --key "$k/t1.key" -o "$GW_TMP/$1.gwb"
}
mk good gw-1000 stable 2.0.0 5
mk other-model gw-2000 stable 2.0.1 5
mk approval gw-1000 stable 2.0.2 5
mk withdrawn gw-1000 stable 2.0.3 5
mk rollout0 gw-1000 stable 2.0.4 5
mk beta gw-1000 beta 2.0.5 5
add() {   # NAME [options]: add, and set REL_<NAME> to its id
  local name=$1
  shift
  expect_exit -n "add-$name" 0 gwverifier release add "$GW_TMP/$name.gwb" --json "${vconf[@]}" "$@"
  printf -v "REL_${name//-/_}" '%s' "$(jq_py 'j["id"]')"
}
add good
add other-model
add approval --require-approval
add withdrawn
add rollout0 --rollout 0
add beta
check withdraw gwverifier release withdraw "$REL_withdrawn" "${vconf[@]}"

bg_start verifier "$GW_BIN/gwverifier" serve --config "$vdir/verifier.conf"
if ! wait_for_port "$port" 15; then
  fail verifier-listens "gwverifier serve did not listen on $port"
  exit 1
fi
url=https://127.0.0.1:$port
expect_exit -n enroll-pending 20 ga enroll --verifier "$url" --ca "$vdir/ca.pem" \
  --device-id gw-rel-1 --model gw-1000
check approve gwverifier device approve gw-rel-1 "${vconf[@]}"
check enroll ga enroll --wait 10
app_digest=$(sha256sum "$stagefile" | cut -d' ' -f1)
printf '{"model":"gw-1000","version":1,"stages":{"app":["%s"]}}\n' "$app_digest" >"$GW_TMP/policy.json"
check policy-sign gw_sign_policy "$GW_TMP/policy.json" "$GW_TMP/policy.signed.json"
check policy-add gwverifier policy add "${vconf[@]}" "$GW_TMP/policy.signed.json"

dl() {   # NAME WANT_STATUS ID [curl args]: GET the bundle into $GW_TMP/NAME.out
  local name=$1 want=$2 id=$3
  shift 3
  local got
  got=$(curl -s -o "$GW_TMP/$name.out" -D "$GW_TMP/$name.hdr" -w '%{http_code}' \
    --cacert "$vdir/ca.pem" --cert "$state/tls.pem" --key "$state/tls.key" "$@" \
    "$url/v1/releases/$id/bundle")
  expect_eq "$name-status" "$got" "$want"
}

# ---- before any attestation: not eligible
dl before-attest 403 "$REL_good"
expect_output_contains -n before-attest-reason 'not-attested' "$GW_TMP/before-attest.out"
expect_eq before-attest-audited "$(audit_last)" \
  "release.download refused {\"message\":\"release $REL_good: not-attested\"}"

# ---- affirming: the offer lists exactly the eligible release
expect_exit -n attest 0 ga attest --json
check last-result test -s "$state/last-result.jwt"
ear_releases() {   # the offered releases in the saved EAR: "id:version ..." sorted by version
  python3 - "$state/last-result.jwt" <<'PY'
import base64, json, sys
tok = open(sys.argv[1]).read().strip().split(".")
claims = json.loads(base64.urlsafe_b64decode(tok[1] + "=" * (-len(tok[1]) % 4)))
rels = claims["submods"]["gatewarden"]["gatewarden.releases"]
print(" ".join(sorted(r["version"] for r in rels)))
PY
}
expect_eq ear-offers-good "$(ear_releases)" "2.0.0"
python3 - "$state/last-result.jwt" "$REL_good" <<'PY' && pass ear-release-fields || fail ear-release-fields "EAR claims"
import base64, json, sys
tok = open(sys.argv[1]).read().strip().split(".")
claims = json.loads(base64.urlsafe_b64decode(tok[1] + "=" * (-len(tok[1]) % 4)))
rels = claims["submods"]["gatewarden"]["gatewarden.releases"]
assert [r["id"] for r in rels] == [sys.argv[2]], rels
r = rels[0]
assert r["version"] == "2.0.0" and r["security_version"] == 5 and r["critical"] is False
assert set(r) == {"id", "version", "security_version", "size", "sha256", "reboot_required",
                  "critical", "deadline"}, r
PY
sha=$(sha256sum "$GW_TMP/good.gwb" | cut -d' ' -f1)
size=$(stat -c %s "$GW_TMP/good.gwb")

# ---- whole, ranges, If-Range
dl whole 200 "$REL_good"
expect_eq whole-sha256 "$(sha256sum <"$GW_TMP/whole.out" | cut -d' ' -f1)" "$sha"
expect_output_contains -n whole-etag "^ETag: \"$sha\"" "$GW_TMP/whole.hdr"
expect_output_contains -n whole-accept-ranges '^Accept-Ranges: bytes' "$GW_TMP/whole.hdr"
expect_output_contains -n whole-length "^Content-Length: $size" "$GW_TMP/whole.hdr"
expect_eq whole-audited "$(audit_last)" \
  "release.download ok {\"message\":\"release $REL_good: bytes 0-$((size - 1)) of $size\"}"
dl range 206 "$REL_good" -H 'Range: bytes=1000-'
expect_output_contains -n range-content-range "^Content-Range: bytes 1000-$((size - 1))/$size" "$GW_TMP/range.hdr"
check range-bytes cmp "$GW_TMP/range.out" <(tail -c +1001 "$GW_TMP/good.gwb")
dl range-mid 206 "$REL_good" -H 'Range: bytes=10-19'
check range-mid-bytes cmp "$GW_TMP/range-mid.out" <(head -c 20 "$GW_TMP/good.gwb" | tail -c 10)
dl suffix 206 "$REL_good" -H 'Range: bytes=-100'
check suffix-bytes cmp "$GW_TMP/suffix.out" <(tail -c 100 "$GW_TMP/good.gwb")
dl if-range-same 206 "$REL_good" -H 'Range: bytes=1000-' -H "If-Range: \"$sha\""
dl if-range-other 200 "$REL_good" -H 'Range: bytes=1000-' -H 'If-Range: "0000"'
expect_eq if-range-other-whole "$(sha256sum <"$GW_TMP/if-range-other.out" | cut -d' ' -f1)" "$sha"
dl past-end 416 "$REL_good" -H "Range: bytes=$size-"
expect_output_contains -n past-end-content-range "^Content-Range: bytes \*/$size" "$GW_TMP/past-end.hdr"
dl multi 416 "$REL_good" -H 'Range: bytes=0-1,5-6'
dl garbage 416 "$REL_good" -H 'Range: bytes=x-y'

# ---- not for this device: 404 unknown, 403 with the reason
dl unknown 404 0000000000000000
dl bad-id 404 ../etc/passwd --path-as-is
dl other-model 403 "$REL_other_model"
expect_output_contains -n other-model-reason 'wrong-model' "$GW_TMP/other-model.out"
dl not-approved 403 "$REL_approval"
expect_output_contains -n not-approved-reason 'not-approved' "$GW_TMP/not-approved.out"
dl withdrawn 403 "$REL_withdrawn"
expect_output_contains -n withdrawn-reason 'withdrawn' "$GW_TMP/withdrawn.out"
dl rollout0 403 "$REL_rollout0"
expect_output_contains -n rollout0-reason 'not-in-rollout' "$GW_TMP/rollout0.out"
dl beta 403 "$REL_beta"
expect_output_contains -n beta-reason 'wrong-channel' "$GW_TMP/beta.out"
expect_eq no-cert-status "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$vdir/ca.pem" \
  "$url/v1/releases/$REL_good/bundle")" 401
# Approval, rollout 100 and the device's channel change the answers.
check approve-release gwverifier release approve "$REL_approval" "${vconf[@]}"
dl approved 200 "$REL_approval"
check rollout-100 gwverifier release rollout "$REL_rollout0" 100 "${vconf[@]}"
dl rollout100 200 "$REL_rollout0"
check channel-beta gwverifier device channel gw-rel-1 beta "${vconf[@]}"
dl beta-now 200 "$REL_beta"
dl stable-not-now 403 "$REL_good"
check channel-default gwverifier device channel gw-rel-1 default "${vconf[@]}"
expect_exit -n attest-again 0 ga attest --json
expect_eq offer-after "$(ear_releases)" "2.0.0 2.0.2 2.0.4"

# ---- gwagent update fetch: whole, refused, interrupted and resumed, changed ETag
dldir=$state/update/downloads
expect_exit -n fetch 0 ga update fetch "$REL_good" --json
expect_eq fetch-json "$(jq_py '(j["size"], j["sha256"], j["resumed_from"], j["restarted"])')" \
  "($size, '$sha', 0, False)"
expect_eq fetch-file "$(sha256sum <"$dldir/$REL_good.gwb" | cut -d' ' -f1)" "$sha"
check fetch-no-part test ! -e "$dldir/$REL_good.gwb.part" -a ! -e "$dldir/$REL_good.gwb.part.etag"
expect_exit -n fetch-out 0 ga update fetch "$REL_good" --out "$GW_TMP/fetched.gwb"
check fetch-out-same cmp "$GW_TMP/fetched.gwb" "$GW_TMP/good.gwb"
expect_exit -n fetch-unknown 21 ga update fetch 0000000000000000
expect_output_contains -n fetch-unknown-says 'HTTP 404' "$GW_STDERR"
expect_exit -n fetch-not-eligible 21 ga update fetch "$REL_other_model"
expect_output_contains -n fetch-not-eligible-says 'wrong-model' "$GW_STDERR"
expect_exit -n fetch-bad-id 2 ga update fetch ../../x
expect_exit -n fetch-bad-rate 2 ga update fetch "$REL_good" --max-rate 0

# Interrupted: capped at 200 kB/s, killed after 2 s; the rerun asks for the rest.
rm -f "$dldir/$REL_good.gwb"
bg_start fetch-slow "$GW_BIN/gwagent" --config "$conf" update fetch "$REL_good" --max-rate 200000
sleep 2
kill -KILL "$BG_PID"
wait "$BG_PID" 2>/dev/null
part_size=$(stat -c %s "$dldir/$REL_good.gwb.part" 2>/dev/null || echo 0)
check interrupted-part-kept test "$part_size" -gt 0 -a "$part_size" -lt "$size"
expect_eq interrupted-etag-kept "$(cat "$dldir/$REL_good.gwb.part.etag")" "\"$sha\""
check interrupted-no-final test ! -e "$dldir/$REL_good.gwb"
expect_exit -n resume 0 ga update fetch "$REL_good" --json
expect_eq resume-from-part "$(jq_py 'j["resumed_from"]')" "$part_size"
expect_eq resume-not-restarted "$(jq_py 'j["restarted"]')" False
expect_eq resume-sha256 "$(sha256sum <"$dldir/$REL_good.gwb" | cut -d' ' -f1)" "$sha"
expect_output_contains -n resume-audited "release $REL_good: bytes $part_size-$((size - 1)) of $size" \
  <(sqlite3 "$vdir/verifier.db" "SELECT detail FROM audit_log WHERE action = 'release.download'")

# A part of another file (its ETag differs): If-Range makes the verifier send the
# whole file, and the download starts over.
head -c 5000 /dev/urandom >"$dldir/$REL_good.gwb.part"
printf '"%s"' "$(printf '%064d' 0)" >"$dldir/$REL_good.gwb.part.etag"
expect_exit -n changed-etag 0 ga update fetch "$REL_good" --json
expect_eq changed-etag-restarted "$(jq_py '(j["resumed_from"], j["restarted"])')" "(5000, True)"
expect_eq changed-etag-sha256 "$(sha256sum <"$dldir/$REL_good.gwb" | cut -d' ' -f1)" "$sha"
# A complete part: the verifier answers 416, the part is checked and kept.
cp "$GW_TMP/good.gwb" "$dldir/$REL_good.gwb.part"
printf '"%s"' "$sha" >"$dldir/$REL_good.gwb.part.etag"
expect_exit -n complete-part 0 ga update fetch "$REL_good"
expect_eq complete-part-sha256 "$(sha256sum <"$dldir/$REL_good.gwb" | cut -d' ' -f1)" "$sha"
# A corrupted part with the right ETag: the end result does not match, it is
# deleted (exit 31), and the next run starts over.
head -c 100000 /dev/urandom >"$dldir/$REL_good.gwb.part"
printf '"%s"' "$sha" >"$dldir/$REL_good.gwb.part.etag"
expect_exit -n corrupted-part 31 ga update fetch "$REL_good"
check corrupted-part-deleted test ! -e "$dldir/$REL_good.gwb.part"
expect_exit -n after-corrupted 0 ga update fetch "$REL_good" --json
expect_eq after-corrupted-fresh "$(jq_py '(j["resumed_from"], j["sha256"])')" "(0, '$sha')"

# ---- a gateway with [update] keeps what the verified EAR offers (offers.json)
conf2=$GW_TMP/agent-update.conf
sed 's/^\[agent\]$/[agent]\nmodel = gw-1000/' "$conf" >"$conf2"
echo "quiet gatewarden.slot=A" >"$GW_TMP/cmdline"
truncate -s 4M "$GW_TMP/slot-a.img" "$GW_TMP/slot-b.img"
printf '\n[update]\nroot = %s\nchannel = stable\nauthorization = none\nbootloader = file\nbootloader_path = %s\ncmdline = %s\n' \
  "$vdir/release-root.json" "$GW_TMP/bootsim.state" "$GW_TMP/cmdline" >>"$conf2"
printf '\n[channel stable]\ncounter_index = 0x01800100\nbaseline_index = 0x01800101\n' >>"$conf2"
printf '\n[slot A.rootfs]\ndevice = %s\n\n[slot B.rootfs]\ndevice = %s\n' \
  "$GW_TMP/slot-a.img" "$GW_TMP/slot-b.img" >>"$conf2"
expect_exit -n attest-records-offers 0 gwagent --config "$conf2" attest --json
check offers-written test -s "$state/update/offers.json"
expect_exit -n pending-lists-offer 0 gwagent --config "$conf2" update pending --json
expect_eq pending-offers-are-the-ears "$(jq_py '" ".join(sorted(o["version"] for o in j["offers"]))')" \
  "$(ear_releases)"
expect_eq pending-good-installs "$(jq_py '[o["decision"]["action"] for o in j["offers"] if o["id"] == "'"$REL_good"'"]')" \
  "['install']"

# ---- what the device installed is learnt from its attested log (device show)
check provision-counters gwagent --config "$conf2" provision
check bootsim-boot "$GW_BIN/tools/gw-bootsim" --kind file --path "$GW_TMP/bootsim.state" \
  --cmdline "$GW_TMP/cmdline" boot
expect_exit -n install-good 0 gwagent --config "$conf2" update install "$dldir/$REL_good.gwb" --json
# The result was issued before the install by the same host's clock: the system
# clock is not behind it, so it is the one judged by (doc/updates.md).
expect_output_contains -n install-judged-by-system-clock '"clock":"system-clock"'
expect_exit -n attest-after-install 0 gwagent --config "$conf2" attest --json
expect_exit -n show-updates 0 gwverifier device show gw-rel-1 "${vconf[@]}" --json
expect_eq show-trial-pending "$(jq_py '(j["update"]["trial_pending"], j["update"]["trial"]["release"], j["update"]["trial"]["version"], j["update"]["running"])')" \
  "(True, '$REL_good', '2.0.0', None)"
expect_eq show-last-outcome-staged "$(jq_py '(j["update"]["last_outcome"]["kind"], j["update"]["last_outcome"]["release"], j["update"]["ignored_records"])')" \
  "('staged', '$REL_good', 0)"
expect_exit -n show-updates-text 0 gwverifier device show gw-rel-1 "${vconf[@]}"
expect_output_contains -n show-trial-line "^Trial +pending: 2\.0\.0 \(release $REL_good, security version "
expect_output_contains -n show-last-line "^Last update +staged 2\.0\.0 \(release $REL_good, "
expect_exit -n list-updates 0 gwverifier device list "${vconf[@]}" --json
expect_eq list-shows-trial "$(jq_py '[d["update"]["trial"]["release"] for d in j if d["id"] == "gw-rel-1"]')" "['$REL_good']"
# The staged record is audited once, not again when the same boot's log comes back
# (incrementally, or whole).
outcome_audits() {
  gwverifier audit --json "${vconf[@]}" | python3 -c '
import json, sys
print(sum(1 for r in map(json.loads, filter(None, sys.stdin.read().splitlines())) if r["action"] == "update.outcome" and r["device"] == "gw-rel-1" and r["detail"]["message"] == sys.argv[1]))' "release $REL_good version 2.0.0: staged"
}
expect_eq outcome-audited-once "$(outcome_audits)" 1
expect_exit -n attest-again 0 gwagent --config "$conf2" attest --json
expect_eq outcome-still-once "$(outcome_audits)" 1
# The rollout of the release: the device is in its trial.
expect_exit -n status-rollout 0 gwverifier status "${vconf[@]}" --json
expect_eq status-rollout-good "$(jq_py '[(r["devices"], r["in_trial"], r["running"], r["rolled_back"]) for r in j["rollout"] if r["id"] == "'"$REL_good"'"]')" \
  "[(1, 1, 0, 0)]"
expect_exit -n status-rollout-text 0 gwverifier status "${vconf[@]}"
expect_output_contains -n status-rollout-row "^ *$REL_good +2\.0\.0 +[^ ]*gw-1000[^ ]* +stable +[0-9]+% +[a-z-]+ +1 +"

# ---- gwverifier status lists the devices near or past their model's end of support
eos=$(date -u -d '+30 days' +%Y-%m-%d)
printf '{"model":"gw-1000","version":2,"stages":{"app":["%s"]},"update":{"end_of_support":"%s"}}\n' \
  "$app_digest" "$eos" >"$GW_TMP/policy2.json"
check policy2-sign gw_sign_policy "$GW_TMP/policy2.json" "$GW_TMP/policy2.signed.json"
check policy2-add gwverifier policy add "${vconf[@]}" "$GW_TMP/policy2.signed.json"
expect_exit -n status-eol 0 gwverifier status "${vconf[@]}" --json
expect_eq status-eol-near "$(jq_py '[(d["id"], d["end_of_support"], d["past"], d["days_left"] in (30, 31)) for d in j["end_of_support"]["devices"]]')" \
  "[('gw-rel-1', '$eos', False, True)]"
expect_exit -n status-eol-text 0 gwverifier status "${vconf[@]}"
expect_output_contains -n status-eol-text-line '^end of support: +1 within 90 days \(0 past\)$'
expect_output_contains -n status-eol-row "gw-rel-1 +gw-1000 +$eos +in (30|31) days"
expect_exit -n status-eol-short 0 gwverifier status "${vconf[@]}" --json --eol-days 10
expect_eq status-eol-beyond-horizon "$(jq_py 'len(j["end_of_support"]["devices"])')" 0
ftlib=$(faketime_lib libfaketimeMT.so.1)
if [ -n "$ftlib" ]; then
  expect_exit -n status-eol-past 0 env LD_PRELOAD="$ftlib" FAKETIME="+40d" \
    "ASAN_OPTIONS=$FAKETIME_ASAN_OPTIONS" "$GW_BIN/gwverifier" status "${vconf[@]}" --json
  expect_eq status-eol-is-past "$(jq_py '[(d["past"], d["days_left"]) for d in j["end_of_support"]["devices"]]')" \
    "[(True, 0)]"
else
  skip status-eol-past "libfaketime not found"
fi
expect_exit -n status-eol-bad-days 2 gwverifier status "${vconf[@]}" --eol-days 9999
# the gateway hears of it in its next result, and says so
expect_exit -n attest-eol 0 gwagent --config "$conf2" attest --json
expect_exit -n agent-status-eol 0 gwagent --config "$conf2" status --json
expect_eq agent-status-eol-date "$(jq_py '(j["last_result"]["status"], j["last_result"]["end_of_support"], j["last_result"]["support_days_left"] in (30, 31))')" \
  "('affirming', '$eos', True)"
expect_exit -n agent-status-eol-text 0 gwagent --config "$conf2" status
expect_output_contains -n agent-status-notice "^NOTICE: +support for this model ends on $eos \(in (30|31) days\)$"

# ---- past the end of support: a warning, and only an end-of-life transition is
# offered and served (doc/updates.md, "eol_transition")
check create-eol gwpolicy bundle create --root "$vdir/release-root.json" --model gw-1000 \
  --channel stable --version 2.9.0 --security-version 5 --image "rootfs=$GW_TMP/rootfs.img" \
  --eol-transition --key "$k/t1.key" -o "$GW_TMP/eol.gwb"
expect_exit -n inspect-eol 0 gwpolicy bundle inspect "$GW_TMP/eol.gwb" --json
expect_eq inspect-eol-flag "$(jq_py 'j["eol_transition"]')" True
expect_exit -n inspect-eol-text 0 gwpolicy bundle inspect "$GW_TMP/eol.gwb"
expect_output_contains -n inspect-eol-line '^eol transition +yes$'
expect_exit -n inspect-good-text 0 gwpolicy bundle inspect "$GW_TMP/good.gwb"
expect_output_contains -n inspect-good-line '^eol transition +no$'
add eol
expect_exit -n show-eol 0 gwverifier release show "$REL_eol" "${vconf[@]}"
expect_output_contains -n show-eol-line '^EOL transition +yes$'
expect_exit -n list-eol 0 gwverifier release list --json "${vconf[@]}"
expect_eq list-eol-flags "$(jq_py 'sorted((r["version"], r["eol_transition"]) for r in j if r["version"] in ("2.0.0", "2.9.0"))')" \
  "[('2.0.0', False), ('2.9.0', True)]"
expect_exit -n list-eol-text 0 gwverifier release list "${vconf[@]}"
expect_output_contains -n list-eol-row "^$REL_eol +2\.9\.0 .* yes$"
expect_exit -n before-eos-offers 0 gwagent --config "$conf2" attest --json
check before-eos-offers-both test "$(ear_releases | grep -c '2\.0\.0.*2\.9\.0')" = 1
printf '{"model":"gw-1000","version":3,"stages":{"app":["%s"]},"update":{"end_of_support":"2020-01-31"}}\n' \
  "$app_digest" >"$GW_TMP/policy3.json"
check policy3-sign gw_sign_policy "$GW_TMP/policy3.json" "$GW_TMP/policy3.signed.json"
check policy3-add gwverifier policy add "${vconf[@]}" "$GW_TMP/policy3.signed.json"
expect_exit -n attest-past-eos 23 gwagent --config "$conf2" attest --json
expect_eq past-eos-offers-only-eol "$(ear_releases)" "2.9.0"
dl past-eos-eol 200 "$REL_eol"
dl past-eos-good 403 "$REL_good"
expect_output_contains -n past-eos-good-reason 'end-of-support' "$GW_TMP/past-eos-good.out"

# ---- a non-affirming device gets nothing
echo "application v1, patched" >"$stagefile"
check measure-tampered ga measure --stage app "$stagefile"
expect_exit -n attest-tampered 24 ga attest --json
expect_eq tampered-offer-empty "$(ear_releases)" ""
# and a verified result that offers nothing takes the offers away
expect_exit -n attest-tampered-update 24 gwagent --config "$conf2" attest --json
expect_exit -n pending-after-tampered 0 gwagent --config "$conf2" update pending --json
expect_eq pending-empty-after-tampered "$(jq_py 'len(j["offers"])')" 0
dl tampered 403 "$REL_good"
expect_exit -n fetch-tampered 21 ga update fetch "$REL_good"
expect_output_contains -n tampered-reason 'not-affirming' "$GW_TMP/tampered.out"

# ---- a revoked device gets nothing
check revoke gwverifier device revoke gw-rel-1 "${vconf[@]}"
dl revoked 403 "$REL_good"
expect_exit -n fetch-revoked 21 ga update fetch "$REL_good"
expect_output_contains -n revoked-reason 'revoked' "$GW_TMP/revoked.out"
expect_exit -n audit-chain-intact 0 gwverifier audit verify "${vconf[@]}"
expect_exit -n verifier-stops 0 bg_stop verifier
