#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Issue 11's loop end to end, driven by the daemon (`gwagent run`), against a real
# verifier, two swtpms and agents with the file bootloader: the daemon attests, is
# offered an encrypted 2.0 (rollout 50%, the two device ids chosen so that exactly
# one is in its cohort), consent allows it (the window is now), it downloads,
# runs the authorization round, its TPM unwraps the content key, installs and runs
# the reboot command; the simulated reboot's trial boot commits; the daemon's next
# round shows on the verifier 2.0 running, no trial, last outcome committed, the
# counter at 2 and the rollout counting the device. The other device, outside the
# cohort, installs nothing. Then 3.0, whose health check fails: the daemon installs
# it, the trial boot rolls it back, and the verifier shows the rolled-back outcome
# with 2.0 still running; 3.0 stays offered (only the running release is
# not-newer) but the daemon does not install again a release whose trial failed
# on this device. A revoked device gets no offer (its round is refused) and no
# authorization.
# shellcheck disable=SC2154 # REL_NAME and TCTI_NAME are set through printf -v
# shellcheck source=swtpm-tests/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=swtpm-tests/update_lib.sh
source "$(dirname "$0")/update_lib.sh"
require_cmd python3 openssl

here=$(cd "$(dirname "$0")" && pwd)
COUNTER=0x01800100 BASELINE=0x01800101

# ------------------------------------------------------------- release side ---
uf_release "$GW_TMP/rel"
uf_verifier "$GW_TMP/verifier" models:gw-1000 || exit 1
check release-key gwverifier release-key "${vconf[@]}"
cp "$GW_STDOUT" "$UF_REL/release.pub"
mk() {   # NAME VERSION SECURITY_VERSION: $UF_REL/NAME.gwb of img-NAME, encrypted
  head -c 131072 /dev/urandom >"$UF_REL/img-$1"
  check "create-$1" gwpolicy bundle create --root "$UF_REL/root.json" --key "$UF_REL/t1.key" \
    --model gw-1000 --channel stable --version "$2" --security-version "$3" \
    --image "rootfs=$UF_REL/img-$1" -o "$UF_REL/$1.gwb" --encrypt-for "$UF_REL/release.pub"
}
mk v2 2.0 2
uf_add v2 --rollout 50
# Device ids on either side of 2.0's rollout: the cohort is the first 4 bytes of
# SHA-256("rollout" || device id || release id) mod 100 (verifier/release_rules.c).
pick_id() {   # PREFIX in|out: the first PREFIX-N in (cohort < 50) or out of 2.0's rollout
  python3 - "$1" "$2" "$REL_v2" <<'PY'
import hashlib, sys
pre, side, rel = sys.argv[1:]
for n in range(1000):
    i = f"{pre}-{n}"
    c = int.from_bytes(hashlib.sha256(f"rollout{i}{rel}".encode()).digest()[:4], "big") % 100
    if (c < 50) == (side == "in"):
        print(i)
        break
PY
}
id_a=$(pick_id gw-a in)
id_b=$(pick_id gw-b out)
bg_start verifier "$GW_BIN/gwverifier" serve "${vconf[@]}"
wait_for_port "$port" 15 || { fail verifier-listens "no verifier on $port"; exit 1; }

# ------------------------------------------------------------------ gateways ---
# device NAME: a gateway in $GW_TMP/NAME on its own swtpm (TCTI_NAME), authorized
# updates, auto_install inside a window around now, provisioned and booted.
h=$(date -u +%H)
device() {
  local n=$1 dir=$GW_TMP/$1
  swtpm_start || exit 1
  printf -v "TCTI_$n" '%s' "$GW_TCTI"
  bl_factory file "$dir/bl"
  uf_device "$dir" file "$P" "$C" "$COUNTER" "$BASELINE"
  sed -i '/^authorization = none$/d; /^# installs by hand/d' "$conf"
  printf '\n[consent]\nauto_install = yes\ntimezone = UTC\nwindow = daily %02d:00-%02d:00\n' \
    "$((10#$h))" "$(((10#$h + 2) % 24))" >>"$conf"
  check "$n-provision" gwagent --config "$conf" provision
  expect_eq "$n-factory-boots-A" "$("$here/bootsim.sh" file "$P" "$C")" A
  check "$n-boot" gwagent --config "$conf" boot
}
gB() { gwagent --config "$GW_TMP/b/agent.conf" --tcti "$TCTI_b" "$@"; }
device b
device a   # the current swtpm (power_on), and d, conf, state... are a's
check a-enroll ga enroll --verifier "$url" --ca "$vdir/ca.pem" --device-id "$id_a" --model gw-1000
check b-enroll gB enroll --verifier "$url" --ca "$vdir/ca.pem" --device-id "$id_b" --model gw-1000
printf '{"model":"gw-1000","version":1,"stages":{"rootfs":["%s"]}}\n' \
  "$(printf 'rootfs-v1\n' | sha256sum | cut -d' ' -f1)" >"$GW_TMP/policy.json"
check policy-sign gw_sign_policy "$GW_TMP/policy.json" "$GW_TMP/policy.signed.json"
check policy-add gwverifier policy add "${vconf[@]}" "$GW_TMP/policy.signed.json"

slot() { head -c 131072 "$GW_TMP/$1/slot$2.img"; }   # DEVICE GROUP: its image
blank=$(head -c 131072 /dev/zero | sha256sum)
daemon_start() {   # NAME: a's daemon, a round every 10 s (log $GW_TMP/NAME.log)
  bg_start "$1" "$GW_BIN/gwagent" --config "$conf" --tcti "$TCTI_a" run --interval 10
}
# wait_until NAME SECONDS CMD...: CMD succeeds within SECONDS (checked every second)
wait_until() {
  local name=$1 n=$2 i
  shift 2
  for ((i = 0; i < n; i++)); do
    if "$@" >/dev/null 2>&1; then
      pass "$name"
      return 0
    fi
    sleep 1
  done
  fail "$name" "not within $n s: $*"
  return 1
}
reboots_are() { [ "$(reboots)" = "$1" ]; }
jq_py() {   # FILE EXPR: EXPR over the JSON in FILE (j)
  python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}
# shown ID: device show --json of ID into $GW_TMP/show.json; prints
# "running trial last-kind last-release counter"
shown() {
  gwverifier device show "$1" --json "${vconf[@]}" >"$GW_TMP/show.json" || return 1
  jq_py "$GW_TMP/show.json" '" ".join(str(x) for x in ((j["update"]["running"] or {}).get("release"), (j["update"]["trial"] or {}).get("release"), (j["update"]["last_outcome"] or {}).get("kind"), (j["update"]["last_outcome"] or {}).get("release"), j["security_version"]))'
}
shown_is() { [ "$(shown "$1")" = "$2" ]; }
# rollout ID: gwverifier status --json, release ID's "devices in_cohort offered
# running in_trial rolled_back"
rollout() {
  gwverifier status --json "${vconf[@]}" >"$GW_TMP/status.json" || return 1
  jq_py "$GW_TMP/status.json" "' '.join(str(r[k]) for r in j['rollout'] if r['id'] == '$1' for k in ('devices', 'in_cohort', 'offered', 'running', 'in_trial', 'rolled_back'))"
}

# ------------------------ the daemon: attest, offer, consent, unwrap, install ---
daemon_start daemon-1
wait_until v2-installed-by-daemon 90 reboots_are 1
expect_exit -n daemon-1-stops 0 bg_stop daemon-1
expect_output_contains -n daemon-1-applied \
  "update: release $REL_v2: version 2.0 staged in group B \\(unwrapped by the TPM\\); reboot command run" \
  "$GW_TMP/daemon-1.log"
check v2-content cmp <(slot a B) "$UF_REL/img-v2"
# The other device is outside 2.0's rollout: offered nothing, installs nothing.
expect_exit -n b-round 0 gB run --once --interval 10
expect_output_not_contains -n b-not-offered "release $REL_v2" "$GW_STDERR"
expect_eq b-nothing-written "$(slot b B | sha256sum)" "$blank"
expect_eq b-no-reboot "$(d=$GW_TMP/b reboots)" 0
# (the verifier learns of the staged group at the next attestation)
expect_eq v2-rollout-one-of-two "$(rollout "$REL_v2")" "2 1 1 0 0 0"

# -------------------------------- the reboot: trial boot, commit, attested ---
expect_eq v2-trial-boots-B "$(power_on)" B
expect_exit -n v2-trial-commits 0 ga boot
expect_eq v2-counter "$(counter_sv)" 2
daemon_start daemon-2
wait_until v2-committed-on-verifier 60 shown_is "$id_a" "$REL_v2 None committed $REL_v2 2"
expect_eq v2-rollout-running "$(rollout "$REL_v2")" "2 1 0 1 0 0"

# ------------------------------- 3.0 fails its health check: rolled back ---
mk v3 3.0 3
uf_add v3
echo 1 >"$d/verdict"
wait_until v3-installed-by-daemon 60 reboots_are 2
expect_exit -n daemon-2-stops 0 bg_stop daemon-2
expect_output_contains -n daemon-2-applied \
  "update: release $REL_v3: version 3.0 staged in group A \\(unwrapped by the TPM\\); reboot command run" \
  "$GW_TMP/daemon-2.log"
# gwagent status: the enrollment, the last result and the update state in one view.
expect_exit -n agent-status-json 0 ga status --json
check_py agent-status-shows-all "$GW_STDOUT" "$id_a" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
e = d["enrollment"]
assert e["state"] == "enrolled" and e["device_id"] == sys.argv[2], e
assert e["verifier"].startswith("https://127.0.0.1:"), e
assert e["certificate"]["expired"] is False and e["certificate"]["serial"], e
assert d["last_result"]["status"] == "affirming", d["last_result"]
g = {s["group"]: s for s in d["update"]["slots"]}
assert g["B"]["booted"] and g["B"]["version"] == "2.0", g
assert g["A"]["version"] == "3.0" and not g["A"]["booted"], g
assert d["update"]["last_outcome"] == "staged" and g["A"]["state"] == "staged", d["update"]
assert d["objects"]["ak"]["present"] and d["event_log"]["records"] > 0
PY
expect_exit -n agent-status-text 0 ga status
expect_output_contains -n agent-status-text-enrolled "Enrollment: enrolled, device $id_a"
expect_output_contains -n agent-status-text-certificate "Certificate: serial [0-9a-f]+, valid "
expect_output_contains -n agent-status-text-update "group B: .*version 2.0.*running"
expect_eq v3-trial-boots-A "$(power_on)" A
expect_exit -n v3-check-fails-rolls-back 40 ga boot
expect_eq v3-rollback-reboots "$(reboots)" 3
echo 0 >"$d/verdict"
expect_eq rollback-boots-B "$(power_on)" B
expect_exit -n boot-after-rollback 0 ga boot
expect_eq counter-stays-2 "$(counter_sv)" 2
# The daemon's next round shows the rollback; 3.0 is still offered (newer than
# the running 2.0) but its trial failed here: the daemon does not install it
# again (doc/consent.md); `update apply` would, by hand.
expect_exit -n daemon-round-after-rollback 0 ga run --once --interval 10
cp "$GW_STDERR" "$GW_TMP/after-rollback.log"
expect_eq v3-rolled-back-on-verifier "$(shown "$id_a")" "$REL_v2 None rolled-back $REL_v3 2"
expect_eq v3-rollout-rolled-back "$(rollout "$REL_v3")" "2 2 2 0 0 1"
expect_output_contains -n v3-not-installed-again \
  "update: release $REL_v3 \\(version 3.0\\): its trial failed on this device; not installed again" \
  "$GW_TMP/after-rollback.log"
expect_output_not_contains -n v3-not-staged-again "version 3.0 staged" "$GW_TMP/after-rollback.log"
expect_eq v3-no-reinstall-reboot "$(reboots)" 3

# ------------------------- a revoked device: no offer, no authorization ---
check b-revoke gwverifier device revoke "$id_b" --reason stolen "${vconf[@]}"
expect_exit -n b-revoked-round-refused 21 gB run --once --interval 10
expect_output_not_contains -n b-revoked-not-offered "$REL_v3" "$GW_TMP/b/state/update/offers.json"
expect_eq b-revoked-nothing-written "$(slot b B | sha256sum)" "$blank"
# It asks for 3.0 anyway (offers.json forged from a's, the bundle in hand).
cp "$GW_TMP/a/state/update/offers.json" "$GW_TMP/b/state/update/offers.json"
mkdir -p "$GW_TMP/b/state/update/downloads"
cp "$UF_REL/v3.gwb" "$GW_TMP/b/state/update/downloads/$REL_v3.gwb"
expect_exit -n b-revoked-apply-refused 21 gB update apply "$REL_v3"
expect_eq b-revoked-apply-nothing-written "$(slot b B | sha256sum)" "$blank"
expect_no_handles lifecycle-leaves-no-handles
check audit-chain gwverifier audit verify "${vconf[@]}"
