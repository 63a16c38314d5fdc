#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Trial boot, commit and rollback in `gwagent boot` against a real swtpm (power
# cycled between boots), the file bootloader's own boot decision (bootsim.sh) and
# bundles made by gwpolicy: install -> reboot -> trial -> commit (counter at the new
# security version, the other group bad when below it, the PCR 14 records replay);
# a failing health check -> rollback (reboot command run, back on the old group,
# "rolled-back" at the next boot, counter unchanged); tries spent -> "fell-back";
# a running group below the counter measured as such; a commit cut (SIGKILL of the
# agent at a TPM command) after mark_good and after counter_advance, finished by a
# rerun or by the next boot with the same result.
# shellcheck source=swtpm-tests/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=swtpm-tests/update_lib.sh
source "$(dirname "$0")/update_lib.sh"
require_cmd python3 tpm2_pcrread tpm2_nvincrement

swtpm_start || exit 1
d=$GW_TMP
bl=$d/bl.state
COUNTER=0x01800100 BASELINE=0x01800101

# ------------------------------------------------------------------ release side ---
uf_release "$d"

# ------------------------------------------------------------------- the device ---
uf_device "$d" file "$bl" "$d/cmdline" "$COUNTER" "$BASELINE"

check provision ga provision
expect_exit -n boot-help 0 ga boot --help
expect_output_contains -n boot-help-says-update 'health' "$GW_STDOUT"

# Factory image: trust root measured, no manifest to name.
expect_eq factory-boots-A "$(power_on)" A
expect_exit -n factory-boot 0 ga boot
expect_output_contains -n factory-no-manifest 'without a stored manifest' "$GW_STDOUT"
expect_eq trust-root-record "$(log_count "trust root sha256:$root_digest")" 1
check factory-replays replays

# ------------------------------------------------ install -> trial -> commit ---
bundle b2 2.0 2
m2=$(manifest_of b2)
expect_exit -n install-b2 0 ga update install --no-progress "$d/b2.gwb"
expect_eq trial-boots-B "$(power_on)" B
expect_exit -n trial-boot-commits 0 ga boot
expect_output_contains -n health-ran 'health check app .*passed' "$GW_STDOUT"
expect_eq counter-at-2 "$(counter_sv)" 2
expect_eq committed-record "$(log_count "update committed B version 2.0 manifest sha256:$m2")" 1
expect_eq running-record-on-trial "$(log_count "update running B version 2.0 manifest sha256:$m2")" 1
check commit-replays replays
check bl-status bootsim status
expect_output_contains -n factory-A-marked-bad 'primary=B A=bad B=good' "$GW_STDOUT"
expect_eq no-reboot-on-commit "$(reboots)" 0
# The boot after: running, no trial, nothing to finish twice.
expect_eq committed-boots-B "$(power_on)" B
expect_exit -n boot-after-commit 0 ga boot
expect_eq running-record "$(log_count "update running B version 2.0 manifest sha256:$m2")" 1
expect_eq no-second-commit "$(log_count "update committed B version 2.0 manifest sha256:$m2")" 0
expect_exit -n boot-again-refused 5 ga boot

# ---------------------------------------- failing health check -> rollback ---
bundle b3 3.0 3
m3=$(manifest_of b3)
expect_exit -n install-b3 0 ga update install --no-progress "$d/b3.gwb"
echo 1 >"$d/verdict"
expect_eq b3-trial-boots-A "$(power_on)" A
expect_exit -n failed-check-rolls-back 40 ga boot
expect_output_contains -n names-the-check 'health check app failed \(exit status 1' "$GW_STDOUT"
expect_output_contains -n keeps-check-output 'app self-test: 1' "$GW_STDOUT"
expect_eq reboot-command-run "$(reboots)" 1
expect_eq counter-unchanged-after-rollback "$(counter_sv)" 2
expect_eq no-commit-of-b3 "$(log_count "update committed A version 3.0 manifest sha256:$m3")" 0
echo 0 >"$d/verdict"
expect_eq rollback-boots-B "$(power_on)" B
expect_exit -n boot-after-rollback 0 ga boot
expect_eq rolled-back-record "$(log_count "update rolled-back A version 3.0 manifest sha256:$m3")" 1
check rollback-replays replays
check status-json ga update status --json
expect_output_contains -n outcome-rolled-back '"rolled-back"|"rolled_back"' "$GW_STDOUT"
expect_eq rolled-back-once-boots-B "$(power_on)" B
expect_exit -n boot-after-rollback-2 0 ga boot
expect_eq rolled-back-recorded-once "$(log_count "update rolled-back A version 3.0 manifest sha256:$m3")" 0

# ------------------------------------------------------ tries spent -> fell-back ---
bundle b4 4.0 4
m4=$(manifest_of b4)
expect_exit -n install-b4 0 ga update install --no-progress "$d/b4.gwb"
expect_eq b4-trial-boots-A "$(power_on)" A
note "the trial boot of A hangs before gwagent boot: no verdict"
expect_eq bootloader-falls-back-to-B "$(power_on)" B
expect_exit -n boot-after-fall-back 0 ga boot
expect_eq fell-back-record "$(log_count "update fell-back A version 4.0 manifest sha256:$m4")" 1
expect_eq counter-unchanged-after-fall-back "$(counter_sv)" 2
check fell-back-replays replays
check bl-status-after-fall-back bootsim status
expect_output_contains -n A-bad-after-fall-back 'primary=B A=bad B=good' "$GW_STDOUT"

# ----------------------------------- a commit cut short, finished by a rerun ---
# The agent is SIGKILLed by a proxy at the COUNT-th TPM2_NV_Increment (0x134),
# before its answer: after mark_good, inside counter_advance (COUNT 1 of 2) and
# after its last increment (COUNT 2 of 2).
# cut_agent NAME CC COUNT ARGS...: gwagent ARGS killed at the COUNT-th command CC.
cut_agent() {
  local pport fifo=$d/go-$1 pid cc=$2 count=$3 name=$1
  shift 3
  pport=$(free_port 2)   # the proxy listens on pport and pport+1
  mkfifo "$fifo"
  bg_start "agent-$name" bash -c "read -r _ <'$fifo'; exec '$GW_BIN/gwagent' --config '$conf' \
    --tcti 'swtpm:host=127.0.0.1,port=$pport' $*"
  pid=$BG_PID
  bg_start "tpmcut-$name" python3 "$GW_ROOT/swtpm-tests/tpmcut.py" "$pport" "$SWTPM_PORT" "$cc" "$count" "$pid"
  set -- "$name" "$count"
  wait_for_port "$pport" 20 || fail "$1-tpmcut-listens" "no listener on $pport"
  echo go >"$fifo"
  wait "$pid" 2>/dev/null
  expect_eq "$1-agent-killed" $? 137
  bg_stop "tpmcut-$1"
  expect_output_contains -n "$1-cut" "cut after $2" "$GW_TMP/tpmcut-$1.log"
}
cut_boot() { cut_agent "$1" 0x134 "$2" boot; }   # NAME COUNT
bundle b6 6.0 4
m6=$(manifest_of b6)
expect_exit -n install-b6 0 ga update install --no-progress "$d/b6.gwb"
expect_eq b6-trial-boots-A "$(power_on)" A
cut_boot mid-advance 1
expect_eq counter-between "$(counter_sv)" 3
check bl-status-after-cut bootsim status
expect_output_contains -n mark-good-ran-before-cut 'primary=A A=good' "$GW_STDOUT"
expect_exit -n rerun-finishes 0 ga boot
expect_output_contains -n rerun-says-resumed 'cut short' "$GW_STDOUT"
expect_eq rerun-counter-at-4 "$(counter_sv)" 4
expect_eq rerun-committed-once "$(log_count "update committed A version 6.0 manifest sha256:$m6")" 1
check rerun-replays replays
expect_exit -n rerun-again-refused 5 ga boot

bundle b7 7.0 6
m7=$(manifest_of b7)
expect_exit -n install-b7 0 ga update install --no-progress "$d/b7.gwb"
expect_eq b7-trial-boots-B "$(power_on)" B
cut_boot after-advance 2
expect_eq counter-at-target-at-cut "$(counter_sv)" 6
note "power cut instead of a rerun: the next boot finishes the commit"
expect_eq after-cut-boots-B "$(power_on)" B
expect_exit -n next-boot-finishes 0 ga boot
expect_eq next-boot-counter "$(counter_sv)" 6
expect_eq next-boot-committed "$(log_count "update committed B version 7.0 manifest sha256:$m7")" 1
check next-boot-replays replays
check bl-status-after-b7 bootsim status
expect_output_contains -n b7-A-bad-below 'primary=B A=bad B=good' "$GW_STDOUT"
check status-after-b7 ga update status --json
expect_output_contains -n b7-committed '"committed"' "$GW_STDOUT"

# -------------------------------------------- running below the counter ---
# The counter raised past the running release (a local root can do that: a denial
# of service the verifier sees): the running record says so.
check raise-counter tpm2_nvincrement -C "$COUNTER" "$COUNTER"
expect_eq below-boots-B "$(power_on)" B
expect_exit -n boot-below-counter 0 ga boot
expect_eq below-counter-record \
  "$(log_count "update running B version 7.0 manifest sha256:$m7 below-counter")" 1
check below-replays replays

# ------------------------------------------- the operator: mark-good, mark-bad ---
expect_exit -n mark-good-help 0 ga update mark-good --help
expect_exit -n mark-bad-help 0 ga update mark-bad --help
expect_exit -n mark-bad-bad-group 2 ga update mark-bad C
bundle b8 8.0 8
m8=$(manifest_of b8)
expect_exit -n install-b8 0 ga update install --no-progress "$d/b8.gwb"
expect_eq b8-trial-boots-A "$(power_on)" A
# Before the boot service: the running group is on trial, B is its only fallback.
expect_exit -n mark-bad-other-on-trial-refused 5 ga update mark-bad other
expect_output_contains -n says-mark-good-first 'mark-good first'
expect_exit -n mark-good-commits-trial 0 ga update mark-good --json
expect_output_contains -n mark-good-json '"result":"committed"' "$GW_STDOUT"
expect_eq mark-good-counter "$(counter_sv)" 8
expect_eq mark-good-committed "$(log_count "update committed A version 8.0 manifest sha256:$m8")" 1
check mark-good-replays replays
echo 1 >"$d/verdict"
expect_exit -n boot-after-mark-good 0 ga boot
expect_output_not_contains -n no-checks-after-mark-good 'health check app'
echo 0 >"$d/verdict"
check bl-after-mark-good bootsim status
expect_output_contains -n B-bad-below-8 'primary=A A=good B=bad' "$GW_STDOUT"
# The running group is the only bootable one: marking it bad would brick.
expect_exit -n mark-bad-only-group-refused 5 ga update mark-bad
expect_output_contains -n says-nothing-to-boot 'leave nothing to boot'

bundle b9 9.0 9
m9=$(manifest_of b9)
expect_exit -n install-b9 0 ga update install --no-progress "$d/b9.gwb"
expect_eq b9-trial-boots-B "$(power_on)" B
expect_exit -n mark-bad-trial 0 ga update mark-bad booted
expect_output_contains -n mark-bad-says-reboot 'reboot to boot group A' "$GW_STDOUT"
expect_eq mark-bad-no-reboot-run "$(reboots)" 1
expect_eq mark-bad-counter-unchanged "$(counter_sv)" 8
expect_eq after-mark-bad-boots-A "$(power_on)" A
expect_exit -n boot-after-mark-bad 0 ga boot
expect_eq mark-bad-rolled-back "$(log_count "update rolled-back B version 9.0 manifest sha256:$m9")" 1
check mark-bad-replays replays

# ------------------------------------ a rotated trust root rides with a release ---
check keygen-r2 gwpolicy keygen --out "$d/r2"
check root-rotate gwpolicy root rotate --from "$d/root.json" --add-root-key "$d/r2.pub" \
  --sign "$d/r1.key" --sign "$d/r2.key" -o "$d/root2.json"
root2_digest=$(python3 - "$d/root2.json" <<'EOF2'
import base64, hashlib, json, sys
env = json.load(open(sys.argv[1]))
print(hashlib.sha256(base64.b64decode(env["payload"])).hexdigest())
EOF2
)
head -c 131072 /dev/urandom >"$d/img-b10"
check bundle-b10 gwpolicy bundle create --root "$d/root.json" --key "$d/t1.key" \
  --model gw-1000 --channel stable --version 10.0 --security-version 10 \
  --image "rootfs=$d/img-b10" --new-root "$d/root2.json" -o "$d/b10.gwb"
expect_exit -n install-b10 0 ga update install --no-progress "$d/b10.gwb"
expect_eq b10-trial-boots-B "$(power_on)" B
expect_exit -n b10-commits 0 ga boot
expect_output_contains -n root-v2-pinned "trust root version 2 pinned \(sha256:$root2_digest\)" "$GW_STDOUT"
expect_eq root-before-commit-measured "$(log_count "trust root sha256:$root_digest")" 1
expect_eq b10-boots-B "$(power_on)" B
expect_exit -n boot-on-root-v2 0 ga boot
expect_eq new-root-measured "$(log_count "trust root sha256:$root2_digest")" 1
expect_eq old-root-not-measured "$(log_count "trust root sha256:$root_digest")" 0
check root-v2-replays replays

# A pin of a committed release's root that was lost (root.json back at version 1):
# the next boot of the committed group pins it again.
cp "$d/root.json" "$state/update/root.json"
expect_eq lost-pin-boots-B "$(power_on)" B
expect_exit -n lost-pin-boot 0 ga boot
expect_output_contains -n lost-pin-repinned "trust root version 2 pinned \(sha256:$root2_digest\)" "$GW_STDOUT"
expect_eq lost-pin-root2-pinned "$(python3 -c 'import base64,hashlib,json,sys; print(hashlib.sha256(base64.b64decode(json.load(open(sys.argv[1]))["payload"])).hexdigest())' "$state/update/root.json")" "$root2_digest"

# ----------------- slots.json lost before a trial boot whose health check fails:
# the trial the bootloader shows is not confirmed (no health check ran), so the
# bootloader falls back at the next boot.
head -c 131072 /dev/urandom >"$d/img-lost"
check bundle-lost gwpolicy bundle create --root "$d/root2.json" --key "$d/t1.key" \
  --model gw-1000 --channel stable --version 10.5 --security-version 10 \
  --image "rootfs=$d/img-lost" -o "$d/lost.gwb"
expect_exit -n install-lost 0 ga update install --no-progress "$d/lost.gwb"
echo 1 >"$d/verdict"
mv "$state/update/slots.json" "$d/slots.saved"
expect_eq lost-state-trial-boots-A "$(power_on)" A
expect_exit -n lost-state-not-confirmed 5 ga boot
expect_output_contains -n lost-state-says-why "on a trial boot the update state does not know" "$GW_STDERR"
expect_eq lost-state-falls-back-B "$(power_on)" B
mv "$d/slots.saved" "$state/update/slots.json"
echo 0 >"$d/verdict"
expect_exit -n lost-state-fell-back-recorded 0 ga boot

# ------------------ the pinned root expires (libfaketime: 400 days on, root 2 is
# a 365-day root): a pending trial still commits and the boot still records, an
# install needs a bundle carrying a valid unexpired successor (exit 38 otherwise).
FT_LIB=$(faketime_lib libfaketime.so.1)
late() { FAKETIME=+400d LD_PRELOAD=$FT_LIB ASAN_OPTIONS=$FAKETIME_ASAN_OPTIONS "$@"; }
if [ -z "$FT_LIB" ]; then
  fail expired-root "libfaketime is not installed (apt-get install faketime)"
else
  head -c 131072 /dev/urandom >"$d/img-b11"
  check bundle-b11 gwpolicy bundle create --root "$d/root2.json" --key "$d/t1.key" \
    --model gw-1000 --channel stable --version 11.0 --security-version 11 \
    --image "rootfs=$d/img-b11" -o "$d/b11.gwb"
  m11=$(manifest_of b11)
  expect_exit -n install-b11 0 ga update install --no-progress "$d/b11.gwb"
  expect_eq b11-trial-boots-A "$(power_on)" A
  expect_exit -n expired-root-trial-commits 0 late ga boot
  expect_output_contains -n expired-root-said "pinned trust root \(version 2\) has expired" "$GW_STDOUT"
  expect_eq expired-root-committed "$(log_count "update committed A version 11.0 manifest sha256:$m11")" 1
  expect_eq expired-root-measured "$(log_count "trust root sha256:$root2_digest")" 1
  expect_eq expired-root-counter "$(counter_sv)" 11
  check expired-root-commit-replays replays
  expect_eq expired-root-boots-A "$(power_on)" A
  expect_exit -n expired-root-boot 0 late ga boot
  expect_eq expired-root-running "$(log_count "update running A version 11.0 manifest sha256:$m11")" 1
  head -c 131072 /dev/urandom >"$d/img-b12"
  check bundle-b12 gwpolicy bundle create --root "$d/root2.json" --key "$d/t1.key" \
    --model gw-1000 --channel stable --version 12.0 --security-version 12 \
    --image "rootfs=$d/img-b12" -o "$d/b12.gwb"
  expect_exit -n expired-root-no-successor 38 late ga update install --no-progress "$d/b12.gwb"
  expect_output_contains -n expired-root-no-successor-why "expired at .* carries no newer root" "$GW_STDERR"
  check root3-rotate late gwpolicy root rotate --from "$d/root2.json" --expires 30 \
    --sign "$d/r1.key" --sign "$d/r2.key" -o "$d/root3.json"
  check bundle-b13 gwpolicy bundle create --root "$d/root2.json" --key "$d/t1.key" \
    --model gw-1000 --channel stable --version 13.0 --security-version 13 \
    --image "rootfs=$d/img-b12" --new-root "$d/root3.json" -o "$d/b13.gwb"
  expect_exit -n expired-root-successor-installs 0 late ga update install --no-progress "$d/b13.gwb"
  expect_eq b13-trial-boots-B "$(power_on)" B
  expect_exit -n b13-commits 0 late ga boot
  expect_output_contains -n root-v3-pinned "trust root version 3 pinned" "$GW_STDOUT"
fi

# ------------- a targets-key rotation: t1 replaced by t2 in the root that rides
# with a release. Each group's manifest stays verifiable under the root it was
# installed under (STATE_DIR/update/root.N.json, pruned when no group refers to
# it), so the boots after the rotation still measure the running group.
cur=$d/root2.json
[ -n "$FT_LIB" ] && cur=$d/root3.json
root_field() {   # FILE FIELD: version, or the first targets key id
  gwpolicy root verify "$1" --json | python3 -c 'import json,sys; r=json.load(sys.stdin)
print(r["version"] if sys.argv[1]=="version" else r["roles"]["targets"]["keys"][0]["keyid"])' "$2"
}
v=$(root_field "$cur" version)
check keygen-t2 gwpolicy keygen --out "$d/t2"
check root-rotate-targets gwpolicy root rotate --from "$cur" --add-targets-key "$d/t2.pub" \
  --remove-targets-key "$(root_field "$cur" keyid)" --sign "$d/r1.key" --sign "$d/r2.key" \
  -o "$d/rootT.json"
# bundleT NAME VERSION SECURITY_VERSION [ARGS...]: signed by t2 under rootT.json.
bundleT() {
  head -c 131072 /dev/urandom >"$d/img-$1"
  check "bundle-$1" gwpolicy bundle create --root "$d/rootT.json" --key "$d/t2.key" \
    --model gw-1000 --channel stable --version "$2" --security-version "$3" \
    --image "rootfs=$d/img-$1" "${@:4}" -o "$d/$1.gwb"
}
head -c 131072 /dev/urandom >"$d/img-bT"
check bundle-bT gwpolicy bundle create --root "$cur" --key "$d/t1.key" --model gw-1000 \
  --channel stable --version 20.0 --security-version 20 --image "rootfs=$d/img-bT" \
  --new-root "$d/rootT.json" -o "$d/bT.gwb"
mT=$(upd_manifest_of "$d/bT.gwb")
expect_exit -n install-bT 0 ga update install --no-progress "$d/bT.gwb"
expect_eq bT-trial-boots-A "$(power_on)" A
expect_exit -n bT-commits 0 ga boot
expect_output_contains -n rootT-pinned "trust root version $((v + 1)) pinned" "$GW_STDOUT"
expect_eq bT-boots-A "$(power_on)" A
expect_exit -n boot-after-targets-rotation 0 ga boot
expect_eq running-after-targets-rotation \
  "$(log_count "update running A version 20.0 manifest sha256:$mT")" 1
check root-of-A-kept test -f "$state/update/root.$v.json"
check status-after-targets-rotation ga update status
bundleT bU 21.0 21
mU=$(upd_manifest_of "$d/bU.gwb")
expect_exit -n install-bU 0 ga update install --no-progress "$d/bU.gwb"
expect_eq bU-trial-boots-B "$(power_on)" B
expect_exit -n bU-commits 0 ga boot
expect_eq bU-committed "$(log_count "update committed B version 21.0 manifest sha256:$mU")" 1
check roots-of-both-kept test -f "$state/update/root.$v.json" -a -f "$state/update/root.$((v + 1)).json"

# ------------ a measuring failure does not skip the trial: the stored manifest
# of the group on trial is damaged, its check fails, and it is rolled back all
# the same ("measure-failed" in the history). Installing over A drops its root.
bundleT bW 22.0 22
mW=$(upd_manifest_of "$d/bW.gwb")
expect_exit -n install-bW 0 ga update install --no-progress "$d/bW.gwb"
check root-of-A-pruned test ! -e "$state/update/root.$v.json"
cp "$state/update/A.manifest.dsse" "$d/A.manifest.saved"
python3 - "$state/update/A.manifest.dsse" <<'EOF'
import json, sys
env = json.load(open(sys.argv[1]))
s = env["signatures"][0]["sig"]
env["signatures"][0]["sig"] = ("B" if s[0] != "B" else "C") + s[1:]
json.dump(env, open(sys.argv[1], "w"))
EOF
echo 1 >"$d/verdict"
r0=$(reboots)
expect_eq bW-trial-boots-A "$(power_on)" A
expect_exit -n measure-failure-still-rolls-back 40 ga boot
expect_output_contains -n measure-failure-reported "manifest of the running group A" "$GW_STDERR"
expect_output_contains -n measure-failure-check-ran 'health check app failed' "$GW_STDOUT"
expect_eq measure-failure-reboot-run "$(reboots)" $((r0 + 1))
expect_output_contains -n measure-failed-in-history '"action":"measure-failed"' "$state/update/history.jsonl"
cp "$d/A.manifest.saved" "$state/update/A.manifest.dsse"
echo 0 >"$d/verdict"

# ----------- an install before the boot service recorded a rollback (the boot
# after the rollback): the pending "rolled-back" is recorded first, not dropped.
expect_eq after-measure-rollback-boots-B "$(power_on)" B
bundleT bX 23.0 23
expect_exit -n install-before-boot-records-rollback 0 ga update install --no-progress "$d/bX.gwb"
expect_eq pending-rolled-back-recorded "$(log_count "update rolled-back A version 22.0 manifest sha256:$mW")" 1
expect_exit -n boot-after-early-install 0 ga boot
expect_eq rolled-back-not-repeated "$(log_count "update rolled-back A version 22.0 manifest sha256:$mW")" 1
check early-install-replays replays
expect_eq bX-trial-boots-A "$(power_on)" A
expect_exit -n bX-commits 0 ga boot

# ------------- an install cut (SIGKILL at its PCR extend, TPM2_PCR_Extend 0x182)
# after recording the group staged and before setting its trial: recorded as
# "interrupted" at the next boot, not as a bootloader fall-back.
bundleT bY 24.0 24
mY=$(upd_manifest_of "$d/bY.gwb")
cut_agent install-cut 0x182 1 update install --no-progress "$d/bY.gwb"
expect_eq install-cut-boots-A "$(power_on)" A
expect_exit -n boot-after-install-cut 0 ga boot
expect_output_contains -n install-cut-interrupted 'interrupted before its trial boot was set' "$GW_STDOUT"
expect_eq install-cut-not-fell-back "$(log_count "update fell-back B version 24.0 manifest sha256:$mY")" 0
expect_output_contains -n interrupted-in-history '"action":"interrupted"' "$state/update/history.jsonl"
check status-after-install-cut ga update status --json
expect_output_contains -n status-interrupted '"interrupted"' "$GW_STDOUT"
expect_exit -n install-after-cut 0 ga update install --no-progress "$d/bY.gwb"
expect_eq bY-trial-boots-B "$(power_on)" B
expect_exit -n bY-commits 0 ga boot
expect_eq bY-counter "$(counter_sv)" 24
