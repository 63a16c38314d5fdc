#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The update authorization round (doc/updates.md, "The authorization round")
# against two swtpms, a real verifier and agents: a good gateway applies an
# encrypted release (content key unwrapped by its TPM in the session it bound into
# its quote) and a plain one through `gwagent update apply`; a gateway with a
# tampered stage is refused (not-affirming, audited) and installs nothing, and with
# the good gateway's bundle, wrapped key and authorization in hand its TPM refuses
# them (and its own Z does not open them); a replayed authorization (new session),
# one that expired (authorization_ttl = 10, a TPM that stalls past it) and another
# device's are refused by the TPM; a withdrawn release and one below the certified
# counter are refused by the verifier, an encrypted release to a device without an
# update key with no-update-key; `update install` of a plain bundle is refused
# without authorization; an authorization for another release or manifest is
# refused by the agent, and so is an earlier round's EAR replayed (eat_nonce).
# shellcheck source=swtpm-tests/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=swtpm-tests/update_lib.sh
source "$(dirname "$0")/update_lib.sh"
require_cmd python3 openssl sqlite3 curl

here=$(cd "$(dirname "$0")" && pwd)
vdir=$GW_TMP/verifier
vconf=(--config "$vdir/verifier.conf")
localca=/var/lib/swtpm-localca
COUNTER=0x01800100 BASELINE=0x01800101
updkey() { "$GW_BIN/tools/gw-updkey" "$@"; }
ukA() { GW_TCTI=$TCTI_a "$GW_BIN/tools/gw-updkey" "$@"; }   # on A's TPM
ukB() { GW_TCTI=$TCTI_b "$GW_BIN/tools/gw-updkey" "$@"; }   # on B's TPM
audit_last() {   # the last audit record of ACTION: outcome and message
  sqlite3 "$vdir/verifier.db" "SELECT outcome || ' ' || coalesce(json_extract(detail, '\$.message'), '')
    FROM audit_log WHERE action = '$1' ORDER BY seq DESC LIMIT 1"
}
# claim FILE EXPR: EXPR over the claims of the EAR in FILE (c), printed
claim() {
  python3 - "$1" "$2" <<'PY'
import base64, json, sys
tok = open(sys.argv[1]).read().strip().split(".")
c = json.loads(base64.urlsafe_b64decode(tok[1] + "=" * (-len(tok[1]) % 4)))
g = c["submods"]["gatewarden"]
print(eval(sys.argv[2]))
PY
}

# ------------------------------------------------------------- release side ---
uf_release "$GW_TMP/rel"
port=$(free_port) || exit 1
check verifier-init gwverifier init "$vdir" --listen "127.0.0.1:$port" \
  --ek-ca "$localca/swtpm-localca-rootca-cert.pem" --ek-ca "$localca/issuercert.pem"
sed -i 's/^auto_approve = .*/auto_approve = models:gw-1000/' "$vdir/verifier.conf"
gw_policy_keys >>"$vdir/verifier.conf" || { fail policy-keys "gwpolicy keygen failed"; exit 1; }
printf '\n[releases]\ntrust_root = %s\nmax_attest_age = 600\n' "$UF_REL/root.json" \
  >>"$vdir/verifier.conf"
check release-key gwverifier release-key "${vconf[@]}"
cp "$GW_STDOUT" "$UF_REL/release.pub"
mk() {   # NAME VERSION SECURITY_VERSION [create args]: $UF_REL/NAME.gwb of img-NAME
  local name=$1 ver=$2 sv=$3
  shift 3
  head -c 131072 /dev/urandom >"$UF_REL/img-$name"
  check "create-$name" gwpolicy bundle create --root "$UF_REL/root.json" --key "$UF_REL/t1.key" \
    --model gw-1000 --channel stable --version "$ver" --security-version "$sv" \
    --image "rootfs=$UF_REL/img-$name" -o "$UF_REL/$name.gwb" "$@"
}
add() {   # NAME [options]: add; REL_NAME = its id
  expect_exit -n "add-$1" 0 gwverifier release add "$UF_REL/$1.gwb" --json "${vconf[@]}" "${@:2}"
  printf -v "REL_$1" '%s' "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$GW_STDOUT")"
}
mk enc 2.0 2 --encrypt-for "$UF_REL/release.pub"
mk plain 2.1 2
mk gone 2.2 2
mk low 2.3 1
for r in enc plain gone low; do add "$r"; done
check withdraw gwverifier release withdraw "$REL_gone" "${vconf[@]}"
bg_start verifier "$GW_BIN/gwverifier" serve "${vconf[@]}"
wait_for_port "$port" 15 || { fail verifier-listens "no verifier on $port"; exit 1; }
url=https://127.0.0.1:$port

# ------------------------------------------------------------------ gateways ---
# device NAME: a gateway in $GW_TMP/NAME on its own swtpm (TCTI_NAME), with
# [update] authorization = required, provisioned, booted and enrolled.
device() {
  local n=$1 dir=$GW_TMP/$1
  swtpm_start || exit 1
  printf -v "TCTI_$n" '%s' "$GW_TCTI"
  bl_factory file "$dir/bl"
  uf_device "$dir" file "$P" "$C" "$COUNTER" "$BASELINE"
  sed -i '/^authorization = none$/d; /^# installs by hand/d' "$conf"
  check "$n-provision" gwagent --config "$conf" provision
  check "$n-bootsim" "$here/bootsim.sh" file "$P" "$C"
}
gA() { gwagent --config "$GW_TMP/a/agent.conf" --tcti "$TCTI_a" "$@"; }
gB() { gwagent --config "$GW_TMP/b/agent.conf" --tcti "$TCTI_b" "$@"; }
device b
echo rootfs-tampered >"$GW_TMP/b/stage.txt"
check b-boot gB boot
device a
check a-boot gA boot
check a-enroll gA enroll --verifier "$url" --ca "$vdir/ca.pem" --device-id gw-a --model gw-1000
check b-enroll gB enroll --verifier "$url" --ca "$vdir/ca.pem" --device-id gw-b --model gw-1000
printf '{"model":"gw-1000","version":1,"stages":{"rootfs":["%s"]}}\n' \
  "$(printf 'rootfs-v1\n' | sha256sum | cut -d' ' -f1)" >"$GW_TMP/policy.json"
check policy-sign gw_sign_policy "$GW_TMP/policy.json" "$GW_TMP/policy.signed.json"
check policy-add gwverifier policy add "${vconf[@]}" "$GW_TMP/policy.signed.json"
expect_exit -n a-attest-affirming 0 gA attest
expect_exit -n b-attest-contraindicated 24 gB attest
slot_b() { head -c 131072 "$GW_TMP/$1/slotB.img"; }
blank_b=$(slot_b a | sha256sum)

# ------------------------------------------------ a good gateway: encrypted ---
expect_exit -n help 0 gA update apply --help
expect_output_contains -n help-names-apply 'update apply ID' "$GW_STDOUT"
expect_exit -n apply-bad-id 2 gA update apply ../x
expect_exit -n apply-not-offered 5 gA update apply "$REL_gone"
expect_output_contains -n apply-not-offered-says 'is not offered' "$GW_STDERR"
# Downloads the state directory holds for nothing: a stale part of a release no
# longer offered, and a file that is no download (kept).
dl=$GW_TMP/a/state/update/downloads
mkdir -p "$dl"
echo stale >"$dl/0123456789abcdef.gwb.part"
echo stale >"$dl/0123456789abcdef.gwb.part.etag"
echo mine >"$dl/notes.txt"
expect_exit -n a-apply-enc 0 gA update apply "$REL_enc"
# The installed bundle and the stale downloads are removed; the other file stays.
expect_eq a-download-removed-after-install "$(ls "$dl")" "notes.txt"
expect_output_contains -n a-apply-enc-unwrapped 'content key unwrapped by the TPM' "$GW_STDOUT"
expect_output_contains -n a-apply-enc-staged '^staged version 2.0 .* in group B' "$GW_STDOUT"
check a-enc-content cmp <(slot_b a) "$UF_REL/img-enc"
expect_eq a-enc-audited "$(audit_last release.authorize | cut -d' ' -f1-3)" "ok release $REL_enc,"
expect_no_handles a-apply-leaves-no-handles
ear_a=$GW_TMP/a-enc.jwt
cp "$GW_TMP/a/state/last-result.jwt" "$ear_a"
expect_eq a-ear-authorization-members \
  "$(claim "$ear_a" 'sorted(g["gatewarden.authorization"])')" \
  "['expires_at', 'gate', 'manifest_sha256', 'release', 'wrapped_key']"
expect_eq a-ear-gate-expiration "$(claim "$ear_a" 'g["gatewarden.authorization"]["gate"]["expiration"]')" 120
expect_eq a-ear-expires "$(claim "$ear_a" 'g["gatewarden.authorization"]["expires_at"] - c["iat"]')" 120
expect_eq a-ear-context "$(claim "$ear_a" 'g["gatewarden.authorization"]["wrapped_key"]["context"]')" \
  "device:gw-a:$REL_enc"
claim "$ear_a" 'json.dumps(g["gatewarden.authorization"]["gate"])' >"$GW_TMP/a-gate.json"
claim "$ear_a" 'json.dumps(g["gatewarden.authorization"]["wrapped_key"])' >"$GW_TMP/a-wrap.json"
epk=$(python3 -c 'import base64,json,sys; print(base64.b64decode(json.load(open(sys.argv[1]))["epk"]).hex())' \
  "$GW_TMP/a-wrap.json")

# ------------------------------------------------------ plain, and install ---
expect_exit -n install-plain-refused 45 gA update install --no-progress "$UF_REL/plain.gwb"
expect_output_contains -n install-plain-says "use 'gwagent update apply RELEASE'.*authorization = none" \
  "$GW_STDERR"
check install-plain-nothing-written cmp <(slot_b a) "$UF_REL/img-enc"
expect_exit -n a-apply-plain 0 gA update apply "$REL_plain" --json
expect_output_contains -n a-apply-plain-json '"result":"staged"' "$GW_STDOUT"
check a-plain-content cmp <(slot_b a) "$UF_REL/img-plain"
expect_eq a-plain-ear-no-wrap \
  "$(claim "$GW_TMP/a/state/last-result.jwt" 'sorted(g["gatewarden.authorization"])')" \
  "['expires_at', 'manifest_sha256', 'release']"
ear_plain=$GW_TMP/a-plain.jwt   # replayed below (an earlier round's)
cp "$GW_TMP/a/state/last-result.jwt" "$ear_plain"
expect_eq a-ear-nonces-differ \
  "$(python3 -c 'import sys; print(len({sys.argv[1], sys.argv[2]}), len(sys.argv[1]))' \
     "$(claim "$ear_a" 'c["eat_nonce"]')" "$(claim "$ear_plain" 'c["eat_nonce"]')")" "2 64"

# ------------------------------------------------ the TPM refuses replays ---
# A's own authorization again, in a new session of A's TPM: refused (its nonceTPM
# is the old session's).
check a-open ukA open --session-out "$GW_TMP/a1.ctx"
expect_exit -n replay-refused-by-tpm 3 ukA zgen \
  --session "$GW_TMP/a1.ctx" --blob "$GW_TMP/a/state/update-key.tpm" \
  --gate "$GW_TMP/a/state/gate.pub" --point "$epk" --auth "$GW_TMP/a-gate.json"
expect_output_contains -n replay-refused-names-policysigned 'PolicySigned' "$GW_STDERR"
expect_no_handles a-replay-leaves-no-handles

# -------------------------------------------- a tampered gateway: refused ---
expect_exit -n b-apply-not-offered 5 gB update apply "$REL_plain"
expect_output_contains -n b-offers-nothing 'is not offered' "$GW_STDERR"
# B asks anyway (offers.json forged from A's): the verifier refuses, audited.
cp "$GW_TMP/a/state/update/offers.json" "$GW_TMP/b/state/update/offers.json"
cp "$UF_REL/enc.gwb" "$GW_TMP/b/enc.gwb"
mkdir -p "$GW_TMP/b/state/update/downloads"
cp "$GW_TMP/b/enc.gwb" "$GW_TMP/b/state/update/downloads/$REL_enc.gwb"
expect_exit -n b-apply-enc-refused 45 gB update apply "$REL_enc"
expect_output_contains -n b-refusal-reason 'not authorize .*: not-affirming' "$GW_STDERR"
expect_eq b-refusal-audited "$(audit_last release.authorize)" "refused release $REL_enc: not-affirming"
check b-nothing-installed cmp <(slot_b b) <(head -c 131072 /dev/zero)
# With A's bundle, wrapped key and authorization: B's TPM refuses in its own
# session (another nonceTPM, another key)...
check b-open ukB open --session-out "$GW_TMP/b1.ctx"
expect_exit -n b-with-a-authorization-refused-by-tpm 3 ukB zgen --session "$GW_TMP/b1.ctx" \
  --blob "$GW_TMP/b/state/update-key.tpm" --gate "$GW_TMP/b/state/gate.pub" --point "$epk" \
  --auth "$GW_TMP/a-gate.json"
# ...and its own Z for that EPK (had the gate signed one for it) opens nothing.
check b-open-2 ukB open --session-out "$GW_TMP/b2.ctx"
nonce_b=$(cat "$GW_STDOUT")
check b-name updkey info --blob "$GW_TMP/b/state/update-key.tpm"
name_b=$(sed -n 1p "$GW_STDOUT")
check gatesign-b "$GW_BIN/tools/gw-gatesign" --key "$vdir/gate.key" --nonce "$nonce_b" \
  --name "$name_b" --point "$epk" --out "$GW_TMP/b-gate.json"
check b-zgen-own ukB zgen --session "$GW_TMP/b2.ctx" \
  --blob "$GW_TMP/b/state/update-key.tpm" --gate "$GW_TMP/b/state/gate.pub" --point "$epk" \
  --auth "$GW_TMP/b-gate.json"
z_b=$(cat "$GW_STDOUT")
for ctx in "device:gw-a:$REL_enc" "device:gw-b:$REL_enc"; do
  expect_exit -n "b-own-z-opens-nothing-${ctx:7:4}" 1 updkey unwrap --z "$z_b" \
    --blob "$GW_TMP/b/state/update-key.tpm" --wrap "$GW_TMP/a-wrap.json" --context "$ctx"
done
expect_no_handles b-leaves-no-handles

# ------------------------------------------- an authorization that expired ---
# authorization_ttl = 10, and A's TPM stalls 12 s before the PolicySigned (held
# back: the response to its TPM2_LoadExternal of the gate key): the verifier
# granted, the TPM refuses the expired authorization, nothing is written.
check verifier-stop bg_stop verifier
# From here on the verifier's metrics count the authorizations it decides
# (doc/verifier.md, Metrics): the audit records after this one are the truth.
audit_seq0=$(sqlite3 "$vdir/verifier.db" 'SELECT max(seq) FROM audit_log')
mport=$(free_port) || exit 1
printf '\n[releases]\nauthorization_ttl = 10\n\n[metrics]\nlisten = 127.0.0.1:%s\n' "$mport" \
  >>"$vdir/verifier.conf"
bg_start verifier "$GW_BIN/gwverifier" serve "${vconf[@]}"
wait_for_port "$port" 15 || { fail verifier-restarts "no verifier on $port"; exit 1; }
pport=$(free_port 2) || exit 1   # tpmdelay: pport and pport+1
bg_start tpmdelay python3 "$here/tpmdelay.py" "$pport" "${TCTI_a##*port=}" 0x167 12
wait_for_port "$pport" 10 || { fail tpmdelay-listens "no proxy on $pport"; exit 1; }
expect_exit -n expired-refused-by-tpm 4 gwagent --config "$GW_TMP/a/agent.conf" \
  --tcti "swtpm:host=127.0.0.1,port=$pport" update apply "$REL_enc"
expect_output_contains -n expired-names-policysigned 'the TPM refused the unwrap: .*PolicySigned' \
  "$GW_STDERR"
expect_eq expired-was-granted "$(audit_last release.authorize | cut -d' ' -f1-3)" "ok release $REL_enc,"
expect_eq expired-ttl-10 \
  "$(claim "$GW_TMP/a/state/last-result.jwt" 'g["gatewarden.authorization"]["gate"]["expiration"]')" 10
check expired-nothing-written cmp <(slot_b a) "$UF_REL/img-plain"
bg_stop tpmdelay
expect_no_handles expired-leaves-no-handles

# ------------------------------------------------------ no update key ---
check reset-update-key gwverifier device reset-update-key gw-a --reason test "${vconf[@]}"
expect_exit -n no-update-key-refused 45 gA update apply "$REL_enc"
expect_output_contains -n no-update-key-reason ': no-update-key' "$GW_STDERR"
expect_eq no-update-key-audited "$(audit_last release.authorize)" \
  "refused release $REL_enc: no-update-key"

# ------------------------------- the agent refuses a lying authorization ---
# A verifier (fakeverifier.py, holding the gate key) whose EAR grants plain's
# authorization for another release, or another manifest: the agent refuses it
# and installs nothing. (The fake verifier serves no bundles: plain's is put
# where a download keeps it, removed again by the install above.)
cp "$UF_REL/plain.gwb" "$GW_TMP/a/state/update/downloads/$REL_plain.gwb"
staged() {   # records "update staged ..." in A's log
  python3 - "$GW_TMP/a/state/eventlog.cel" <<'PY'
import json, sys
print(sum(1 for r in open(sys.argv[1], "rb").read().split(b"\x1e") if r.strip() and
          json.loads(r).get("content", {}).get("string", "").startswith("update staged")))
PY
}
st=$GW_TMP/a/state
cp "$st/enrollment.json" "$GW_TMP/enrollment.real"
fport=$(free_port) || exit 1
python3 - "$st/enrollment.json" "https://127.0.0.1:$fport" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["url"] = sys.argv[2]
json.dump(d, open(sys.argv[1], "w"))
PY
n_staged=$(staged)
for mode in release manifest; do
  bg_start "fake-$mode" python3 "$here/fakeverifier.py" "$fport" "$url" "$vdir/server.pem" \
    "$vdir/server.key" "$vdir/ca.pem" "$st/tls.pem" "$st/tls.key" "$vdir/gate.key" "$mode"
  wait_for_port "$fport" 10 || { fail "fake-$mode-listens" "no fake verifier"; exit 1; }
  expect_exit -n "lying-$mode-refused" 45 gA update apply "$REL_plain"
  cp "$GW_STDERR" "$GW_TMP/lying-$mode.err"
  expect_output_contains -n "lying-$mode-rewritten" '^rewrote 1$' "$GW_TMP/fake-$mode.log"
  bg_stop "fake-$mode"
done
expect_output_contains -n lying-release-says 'the authorization is for release .*, not ' \
  "$GW_TMP/lying-release.err"
expect_output_contains -n lying-manifest-says "the authorization is for manifest 0{64}, not this bundle's" \
  "$GW_TMP/lying-manifest.err"
# An earlier round's EAR, genuine and unchanged (plain's, granted above), as the
# answer of a new round: its eat_nonce is not this round's nonce, so the agent
# refuses it (25) before reading its authorization, for `update apply` and for
# `attest`, and keeps its last result.
cp "$st/last-result.jwt" "$GW_TMP/last-result.before"
bg_start fake-replay python3 "$here/fakeverifier.py" "$fport" "$url" "$vdir/server.pem" \
  "$vdir/server.key" "$vdir/ca.pem" "$st/tls.pem" "$st/tls.key" "$vdir/gate.key" \
  "replay=$ear_plain"
wait_for_port "$fport" 10 || { fail fake-replay-listens "no fake verifier"; exit 1; }
expect_exit -n replayed-ear-apply-refused 25 gA update apply "$REL_plain"
expect_output_contains -n replayed-ear-apply-says "'eat_nonce' is not this round's nonce" \
  "$GW_STDERR"
expect_exit -n replayed-ear-attest-refused 25 gA attest
expect_output_contains -n replayed-ear-attest-says "'eat_nonce' is not this round's nonce" \
  "$GW_STDERR"
expect_output_contains -n replayed-ear-replayed '^replayed 2$' "$GW_TMP/fake-replay.log"
bg_stop fake-replay
check replayed-ear-not-kept cmp "$st/last-result.jwt" "$GW_TMP/last-result.before"
expect_eq lying-nothing-staged "$(staged)" "$n_staged"
cp "$GW_TMP/enrollment.real" "$st/enrollment.json"

# --------------------------------------- the verifier refuses: not offered ---
# Release "low" (security version 1) once the certified counter says 3.
check a-counter-up env GW_TCTI="$TCTI_a" "$GW_BIN/tools/gw-counter" --config "$GW_TMP/a/agent.conf" \
  advance stable 3
expect_exit -n a-attest-counter 0 gA attest
# forge_offer NAME: A's offers list release NAME with its real bundle, kept as
# downloaded (so not fetched): the authorization round is what refuses it. (Each
# round replaces the offers with the verified result's.)
forge_offer() {
  local id
  id=$(eval echo "\$REL_$1")
  cp "$UF_REL/$1.gwb" "$GW_TMP/a/state/update/downloads/$id.gwb"
  python3 - "$GW_TMP/a/state/update/offers.json" "$id" "$UF_REL/$1.gwb" <<'PY'
import hashlib, json, os, sys
p, i, f = sys.argv[1:4]
d = json.load(open(p))
d["offers"] = [{"id": i, "version": "2.x", "security_version": 2, "reboot_required": True,
                "critical": False, "offered_at": "2026-01-01T00:00:00Z", "accepted": False,
                "size": os.path.getsize(f), "sha256": hashlib.sha256(open(f, "rb").read()).hexdigest()}]
json.dump(d, open(p, "w"))
PY
}
forge_offer low
expect_exit -n a-apply-low-refused 45 gA update apply "$REL_low"
expect_output_contains -n a-apply-low-reason 'not-offered: below-security-counter' "$GW_STDERR"
expect_eq a-low-audited "$(audit_last release.authorize)" \
  "refused release $REL_low: not-offered: below-security-counter"
forge_offer gone
expect_exit -n a-apply-gone-refused 45 gA update apply "$REL_gone"
expect_output_contains -n a-apply-gone-reason 'not-offered: withdrawn' "$GW_STDERR"

# Without update_request the round is as before (gwagent attest), and the answer
# says nothing about an authorization.
expect_exit -n a-attest-plain 0 gA attest --json
expect_eq plain-round-no-authorization \
  "$(claim "$GW_TMP/a/state/last-result.jwt" '"gatewarden.authorization" in g')" False
check audit-chain gwverifier audit verify "${vconf[@]}"

# The metrics count every authorization decided since the restart, granted and
# refused, as the audit log records them.
check scrape-metrics curl -sS --max-time 10 -o "$GW_TMP/metrics.prom" "http://127.0.0.1:$mport/metrics"
authz_audited() {
  sqlite3 "$vdir/verifier.db" "SELECT count(*) FROM audit_log WHERE action = 'release.authorize'
    AND outcome = '$1' AND seq > $audit_seq0"
}
pyprom=/usr/bin/python3
[ -x "$pyprom" ] || pyprom=python3
check_authz() {   # OUTCOME AUDIT_OUTCOME
  "$pyprom" - "$GW_TMP/metrics.prom" "$1" "$(authz_audited "$2")" <<'PY'
import sys
from prometheus_client.parser import text_string_to_metric_families
want = float(sys.argv[3])
for f in text_string_to_metric_families(open(sys.argv[1]).read()):
    for s in f.samples:
        if s.name == "gatewarden_verifier_authorizations_total" and s.labels == {"outcome": sys.argv[2]}:
            assert want > 0 and s.value == want, (s.value, want)
            sys.exit(0)
sys.exit(f"no authorizations_total{{outcome={sys.argv[2]}}}")
PY
}
check metrics-authorizations-granted check_authz granted ok
check metrics-authorizations-refused check_authz refused refused
