#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The verifier records the anti-rollback counters each round certifies
# (doc/evidence.md, "Certified anti-rollback counters"), against a real verifier,
# swtpm and agent: the first round pins the channel's NV names and sets the
# device's security version (device show); an advanced counter is recorded and
# shown, and a release below it is no longer offered or served; a forged pair, a
# baseline a local root rewrote so the counter goes backwards, and look-alike
# indices defined elsewhere are each contraindicated with their reason, and move
# nothing recorded; so is a recorded channel the agent stops certifying, until an
# operator retires it (device retire-channel).
# shellcheck source=swtpm-tests/lib.sh
source "$(dirname "$0")/lib.sh"
require_cmd openssl curl python3 sqlite3 tpm2_nvdefine tpm2_nvundefine tpm2_nvread \
  tpm2_nvwrite tpm2_nvwritelock tpm2_nvincrement

localca=/var/lib/swtpm-localca
api=$GW_ROOT/swtpm-tests/apiclient.py
swtpm_start || exit 1
state=$GW_TMP/state
vdir=$GW_TMP/verifier
conf=$GW_TMP/agent.conf
vconf=(--config "$vdir/verifier.conf")
k=$GW_TMP/keys
mkdir -p "$k"
stagefile=$GW_TMP/app.bin
echo "application v1" >"$stagefile"
write_conf() {   # COUNTER BASELINE: the agent's config with channel stable there
  gw_agent_config "$conf" "$state" "app=$stagefile"
  printf '\n[channel stable]\ncounter_index = %s\nbaseline_index = %s\n' "$1" "$2" >>"$conf"
}
write_conf 0x01800100 0x01800101
ga() { gwagent --config "$conf" "$@"; }
ctr() { "$GW_BIN/tools/gw-counter" --config "$conf" "$@"; }
jq_py() {   # EXPR over the JSON of $GW_STDOUT (j)
  python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' \
    "$GW_STDOUT" "$1"
}
audit_last() {
  sqlite3 "$vdir/verifier.db" \
    "SELECT detail FROM audit_log WHERE action = 'attest' ORDER BY seq DESC LIMIT 1"
}

check provision ga provision
check boot ga boot
check advance-to-3 ctr advance stable 3
port=$(free_port) || exit 1
check verifier-init gwverifier init "$vdir" --listen "127.0.0.1:$port" \
  --ek-ca "$localca/swtpm-localca-rootca-cert.pem" --ek-ca "$localca/issuercert.pem"
sed -i 's/^auto_approve = .*/auto_approve = all/' "$vdir/verifier.conf"
gw_policy_keys >>"$vdir/verifier.conf" || { fail policy-keys "gwpolicy keygen failed"; exit 1; }

# Two releases on the default channel: security versions 3 and 4.
for n in r1 t1; do
  check "keygen-$n" gwpolicy keygen --out "$k/$n"
done
check root-init gwpolicy root init --root-key "$k/r1.pub" --root-threshold 1 \
  --targets-key "$k/t1.pub" --targets-threshold 1 --sign "$k/r1.key" -o "$vdir/release-root.json"
printf '\n[releases]\ntrust_root = release-root.json\nmax_attest_age = 600\n' >>"$vdir/verifier.conf"
head -c 100000 /dev/urandom >"$GW_TMP/rootfs.img"
for r in low:2.0.0:3 cur:2.1.0:4; do
  IFS=: read -r name ver sv <<<"$r"
  check "create-$name" gwpolicy bundle create --root "$vdir/release-root.json" --model gw-1000 \
    --channel stable --version "$ver" --security-version "$sv" --image "rootfs=$GW_TMP/rootfs.img" \
    --key "$k/t1.key" -o "$GW_TMP/$name.gwb"
  expect_exit -n "add-$name" 0 gwverifier release add "$GW_TMP/$name.gwb" --json "${vconf[@]}"
  printf -v "REL_$name" '%s' "$(jq_py 'j["id"]')"
done

bg_start verifier "$GW_BIN/gwverifier" serve --config "$vdir/verifier.conf"
wait_for_port "$port" 15 || { fail verifier-listens "no listener on $port"; exit 1; }
url=https://127.0.0.1:$port
check enroll ga enroll --verifier "$url" --ca "$vdir/ca.pem" --device-id gw-ctr --model gw-1000
printf '{"model":"gw-1000","version":1,"stages":{"app":["%s"]}}\n' \
  "$(sha256sum "$stagefile" | cut -d' ' -f1)" >"$GW_TMP/policy.json"
check policy-sign gw_sign_policy "$GW_TMP/policy.json" "$GW_TMP/policy.signed.json"
check policy-add gwverifier policy add "${vconf[@]}" "$GW_TMP/policy.signed.json"

ear_releases() {   # the versions the saved EAR offers, sorted
  python3 - "$state/last-result.jwt" <<'PY'
import base64, json, sys
tok = open(sys.argv[1]).read().strip().split(".")
claims = json.loads(base64.urlsafe_b64decode(tok[1] + "=" * (-len(tok[1]) % 4)))
print(" ".join(sorted(r["version"] for r in claims["submods"]["gatewarden"]["gatewarden.releases"])))
PY
}
shown() {   # NAME: SHOWN="SV CHANNEL:SV:COUNTER:BASELINE:FIRST:UPDATED" (device show --json)
  expect_exit -n "show-$1" 0 gwverifier device show gw-ctr --json "${vconf[@]}"
  SHOWN=$(jq_py '"%d %s" % (j["security_version"], " ".join("%s:%d:%s:%s:%d:%d" % (c["channel"],
    c["security_version"], c["counter_index"], c["baseline_index"], c["first_seen_epoch"],
    c["updated_epoch"]) for c in j["counters"]))')
}
dl_status() {   # RELEASE: the HTTP status of its bundle for this device
  curl -s -o "$GW_TMP/dl.out" -w '%{http_code}' --cacert "$vdir/ca.pem" \
    --cert "$state/tls.pem" --key "$state/tls.key" "$url/v1/releases/$1/bundle"
}

# ---- first sight: pinned and shown
shown before
expect_eq show-before "$SHOWN" "0 "
expect_exit -n attest-1 0 ga attest --json
shown after-1
read -r sv1 row1 <<<"$SHOWN"
expect_eq sv-3 "$sv1" 3
expect_output_contains -n row-3 '^stable:3:0x01800100:0x01800101:[0-9]+:[0-9]+$' <(echo "$row1")
expect_eq offers-both "$(ear_releases)" "2.0.0 2.1.0"
expect_output_contains -n audit-says-counters '"counters":\[\{"channel":"stable","security_version":3\}\]' <(audit_last)
expect_exit -n show-table 0 gwverifier device show gw-ctr "${vconf[@]}"
expect_output_contains -n table-sv '^Security version +3$'
expect_output_contains -n table-counters 'stable +3 +0x01800100 +0x01800101 '
first_seen=$(echo "$row1" | cut -d: -f5)

# ---- raised: recorded and visible; the release below it is no longer offered
sleep 1
check advance-to-4 ctr advance stable 4
expect_exit -n attest-2 0 ga attest --json
shown after-2
read -r sv2 row2 <<<"$SHOWN"
expect_eq sv-4 "$sv2" 4
expect_eq row-4-first-seen-kept "$(echo "$row2" | cut -d: -f1-5)" "stable:4:0x01800100:0x01800101:$first_seen"
check row-4-updated test "$(echo "$row2" | cut -d: -f6)" -gt "$first_seen"
expect_eq offers-only-cur "$(ear_releases)" "2.1.0"
expect_eq low-refused "$(dl_status "$REL_low")" 403
expect_output_contains -n low-refused-reason 'below-security-counter' "$GW_TMP/dl.out"
expect_eq cur-served "$(dl_status "$REL_cur")" 200

# ---- a forged pair (counter and baseline swapped) in evidence for a real challenge
api_call() { python3 "$api" "$url" "$vdir/ca.pem" --cert "$state/tls.pem" --key "$state/tls.key" "$@"; }
read -r nonce sel < <(api_call "POST:/v1/attest/challenge:{}" | python3 -c "
import json, sys
s, b = sys.stdin.read().split(' ', 1); d = json.loads(b); print(d['nonce'], d['pcr_selection'])")
check quote-forge ga quote --nonce "$nonce" --pcrs "$sel" --out "$GW_TMP/qf"
python3 - "$GW_TMP/qf/evidence.json" "$GW_TMP/forged.json" <<'PY'
import json, sys
e = json.load(open(sys.argv[1])); c = e["counters"][0]
c["counter"], c["baseline"] = c["baseline"], c["counter"]
json.dump(e, open(sys.argv[2], "w"))
PY
api_call "POST:/v1/attest:@$GW_TMP/forged.json" >"$GW_TMP/forged.out"
expect_output_contains -n forged-contraindicated '^200 .*"status":"contraindicated"' "$GW_TMP/forged.out"
expect_output_contains -n forged-says 'anti-rollback counters: counter 1: NV index 0x01800101 is not a Gatewarden counter index' "$GW_TMP/forged.out"
shown forged
expect_eq forged-moves-nothing "$SHOWN" "$sv2 $row2"

# ---- a local root rewrites the baseline one higher at the same index (same
# name): the counter reads one lower, it went backwards
tpm2_nvread 0x01800101 -C o -o "$GW_TMP/baseline.orig" >/dev/null 2>&1 || fail baseline-read "tpm2_nvread"
python3 - "$GW_TMP/baseline.orig" "$GW_TMP/baseline.raised" <<'PY'
import struct, sys
b = open(sys.argv[1], "rb").read()
open(sys.argv[2], "wb").write(struct.pack(">Q", struct.unpack(">Q", b[:8])[0] + 1) + b[8:])
PY
redefine_baseline() {   # FILE: the baseline index defined again with FILE in it
  tpm2_nvundefine 0x01800101 -C o &&
    tpm2_nvdefine 0x01800101 -C o -s 76 -a "ownerwrite|writeall|writedefine|ownerread|authread|no_da" &&
    tpm2_nvwrite 0x01800101 -C o -i "$1" && tpm2_nvwritelock 0x01800101 -C o
}
check baseline-raised redefine_baseline "$GW_TMP/baseline.raised"
expect_exit -n attest-backwards 24 ga attest --json
expect_eq backwards-in-ear "$(sqlite3 "$vdir/verifier.db" "SELECT claims FROM results ORDER BY id DESC LIMIT 1" | grep -o 'counter went backwards (security version 3, recorded 4)')" \
  "counter went backwards (security version 3, recorded 4)"
shown backwards
expect_eq backwards-moves-nothing "$SHOWN" "$sv2 $row2"
check baseline-restored redefine_baseline "$GW_TMP/baseline.orig"
expect_exit -n attest-restored 0 ga attest --json

# ---- look-alike indices elsewhere (a local root with the empty owner auth)
check fake-counter tpm2_nvdefine 0x01800150 -C o -s 8 -a "authwrite|ownerread|authread|nt=counter|no_da"
check fake-counter-written tpm2_nvincrement 0x01800150 -C 0x01800150
python3 - "$GW_TMP/fake.rec" <<'PY'
import struct, sys
open(sys.argv[1], "wb").write(struct.pack(">QI", 0, 0x01800150) + b"stable".ljust(64, b"\0"))
PY
check fake-baseline tpm2_nvdefine 0x01800151 -C o -s 76 -a "ownerwrite|writeall|writedefine|ownerread|authread|no_da"
check fake-baseline-written tpm2_nvwrite 0x01800151 -C o -i "$GW_TMP/fake.rec"
check fake-baseline-locked tpm2_nvwritelock 0x01800151 -C o
write_conf 0x01800150 0x01800151
expect_exit -n attest-replaced 24 ga attest --json
expect_eq replaced-in-claims "$(sqlite3 "$vdir/verifier.db" "SELECT claims FROM results ORDER BY id DESC LIMIT 1" | grep -o "channel 'stable': counter indices replaced")" \
  "channel 'stable': counter indices replaced"
shown replaced
read -r sv3 row3 <<<"$SHOWN"
expect_eq replaced-moves-nothing "$sv3 $(echo "$row3" | cut -d: -f1-5)" "4 stable:4:0x01800100:0x01800101:$first_seen"

# ---- a channel left out (review finding F2): the agent's config without it sends
# no certification of it, which would hide whatever its counter shows now
gw_agent_config "$conf" "$state" "app=$stagefile"
expect_exit -n attest-dropped 24 ga attest --json
expect_eq dropped-in-claims "$(sqlite3 "$vdir/verifier.db" "SELECT claims FROM results ORDER BY id DESC LIMIT 1" | tr -d '\\' | grep -o "channel 'stable': recorded counter (security version 4, 0x01800100/0x01800101) not certified in this round")" \
  "channel 'stable': recorded counter (security version 4, 0x01800100/0x01800101) not certified in this round"
shown dropped
expect_eq dropped-moves-nothing "$(echo "$SHOWN" | cut -d: -f1-5)" "4 stable:4:0x01800100:0x01800101:$first_seen"
expect_exit -n retire-help 0 gwverifier device retire-channel --help
expect_output_contains -n retire-help-says 'retire-channel ID CHANNEL'
expect_exit -n retire-unknown 1 gwverifier device retire-channel gw-ctr beta "${vconf[@]}"
expect_exit -n retire 0 gwverifier device retire-channel gw-ctr stable --reason "agent reconfigured" --json "${vconf[@]}"
expect_eq retire-json "$(jq_py '"%s %s %d %s %s" % (j["device"], j["channel"], j["security_version"], j["counter_index"], j["baseline_index"])')" \
  "gw-ctr stable 4 0x01800100 0x01800101"
expect_eq retire-audited "$(sqlite3 "$vdir/verifier.db" "SELECT outcome || ' ' || detail FROM audit_log WHERE action = 'device.channel_retire'")" \
  'ok {"channel":"stable","reason":"agent reconfigured"}'
expect_exit -n retire-again 1 gwverifier device retire-channel gw-ctr stable "${vconf[@]}"
expect_exit -n attest-after-retire 0 ga attest --json
shown after-retire
expect_eq after-retire-sv-kept "$SHOWN" "4 "
expect_exit -n audit-chain-intact 0 gwverifier audit verify "${vconf[@]}"
expect_exit -n verifier-stops 0 bg_stop verifier
