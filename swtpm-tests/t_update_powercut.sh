#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The power-cut matrix: gwagent SIGKILLed (strace -e inject=SYSCALL:signal=KILL:when=N,
# no hook in the code) at every fsync, rename and TPM command (its socket sends to
# swtpm), and at a seeded sample of its writes and bundle reads, of `update install`
# (the cut lands in the stream), of the commit and of the rollback in `gwagent boot`;
# then a power-on (swtpm power cycle + the bootloader's decision, bootsim.sh) and
# the boot service. After every cut: each group the bootloader may boot holds an
# image a valid manifest signs (or the factory image), the counter is not above its
# security version, `update status` reads the state (no "(null)"), and the next
# install, trial boot and commit succeed. The file backend runs all three phases,
# grub install and commit. pc_check.py is the invariant; a hand-made violating
# state shows it can fail.
# scenario-timeout: 900
# shellcheck source=swtpm-tests/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=swtpm-tests/update_lib.sh
source "$(dirname "$0")/update_lib.sh"
require_cmd python3 strace grub-editenv tpm2_nvincrement
# LeakSanitizer cannot run under ptrace (it aborts the process at exit when strace
# traces it), so an ASan build (SANITIZE=1) checks leaks in the scenarios that run
# the same phases without strace, not here.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0

here=$(cd "$(dirname "$0")" && pwd)
SIZE=$((2 * 1024 * 1024))
SEED=${GW_POWERCUT_SEED:-20261202}
WRITES=${GW_POWERCUT_WRITES:-3}     # sampled write cuts per phase
READS=${GW_POWERCUT_READS:-2}       # sampled bundle-read cuts (install)
t_start=$SECONDS
swtpm_start || exit 1
d=$GW_TMP
images=$d/images.txt
cuts=0 sv=0
RANDOM=$SEED
note "random write/read cut points from seed $SEED (GW_POWERCUT_SEED)"
upd_root r1 t1 || exit 1

# A fresh device on bootloader KIND with its own counter indices: factory image in
# A (booted, security version 0), unsigned old bytes in B, provisioned, booted once.
device() {   # KIND COUNTER_INDEX
  bl_kind=$1 dev=$d/dev-$1
  state=$dev/state conf=$dev/agent.conf cmdline=$dev/cmdline
  mkdir -p "$dev"
  case $bl_kind in file) bl=$dev/bl.state ;; grub) bl=$dev/grubenv ;; esac
  head -c "$SIZE" /dev/urandom >"$dev/A.img"
  head -c "$SIZE" /dev/urandom >"$dev/B.img"
  echo "$(sha256sum <"$dev/A.img" | cut -d' ' -f1) 0 factory-$bl_kind" >>"$images"
  # shellcheck disable=SC2016 # expanded by the check, not here
  printf '#!/bin/sh\nexit "$(cat %s/verdict 2>/dev/null || echo 0)"\n' "$dev" >"$dev/check.sh"
  printf '#!/bin/sh\necho reboot >>%s/reboots\n' "$dev" >"$dev/reboot.sh"
  chmod +x "$dev/check.sh" "$dev/reboot.sh"
  echo "rootfs of the $bl_kind device" >"$dev/stage.txt"
  cat >"$conf" <<CONF
[agent]
state_dir = $state
model = gw-pc

[stage rootfs]
file = $dev/stage.txt

[channel stable]
counter_index = $2
baseline_index = $(printf '0x%08x' $(($2 + 1)))

[update]
root = $d/root.json
channel = stable
# installs by hand (update install), without the verifier
authorization = none
bootloader = $bl_kind
bootloader_path = $bl
cmdline = $cmdline
trial_tries = 1
reboot_command = $dev/reboot.sh

[slot A.rootfs]
device = $dev/A.img
[slot B.rootfs]
device = $dev/B.img

[health app]
command = $dev/check.sh
timeout = 20
CONF
  check "$bl_kind-provision" ga provision || return 1
  expect_eq "$bl_kind-factory-boots-A" "$(power_on)" A || return 1
  check "$bl_kind-factory-boot" ga boot
}

# next_bundle: a new release with the next security version in $d/next.gwb; its
# image joins the signed ones.
next_bundle() {
  sv=$((sv + 1))
  head -c "$SIZE" /dev/urandom >"$d/next.img"
  upd_bundle t1 gw-pc "$d/next.img" "1.$sv" "$sv" "$d/next.gwb" 2>"$d/bundle.log" || return 1
  echo "$(sha256sum <"$d/next.img" | cut -d' ' -f1) $sv v1.$sv" >>"$images"
}

# invariant [BOOTED]: pc_check.py on the bootloader's state, the counter, the slots.
invariant() {
  local c
  bootsim --json status >"$d/bl.json" || { echo "violation: bootloader state unreadable"; return 1; }
  c=$(counter_sv) || { echo "violation: counter unreadable"; return 1; }
  python3 "$here/pc_check.py" "$d/bl.json" "$c" "$images" "$SIZE" \
    "A=$dev/A.img" "B=$dev/B.img" "$@"
}

# state_dump: the state files a failure shows.
state_dump() {
  echo "  bootloader: $(bootsim status 2>&1)"
  echo "  counter: $(counter_sv 2>&1)"
  echo "  slots.json: $(cat "$state/update/slots.json" 2>&1)"
  echo "  last agent output:"
  sed 's/^/    /' "$d/phase.log" 2>/dev/null | tail -n 8
}

# Preparing a phase: install -> the device committed on a running group.
# commit/rollback -> a new release installed and its trial boot powered on.
prepare() {   # PHASE
  [ "$1" = install ] && { next_bundle; return; }
  next_bundle || return 1
  ga update install --no-progress "$d/next.gwb" >"$d/prep.log" 2>&1 || return 1
  power_on >/dev/null || return 1
  [ "$1" = rollback ] && echo 1 >"$dev/verdict"
  return 0
}
phase_cmd() {   # PHASE: the phase's command line
  case $1 in
    install) echo "$GW_BIN/gwagent --config $conf update install --no-progress $d/next.gwb" ;;
    *) echo "$GW_BIN/gwagent --config $conf boot" ;;
  esac
}

# status_after_cut: `update status` reads the state the cut left and prints no
# missing value (an install cut in the stream has a version but no manifest and
# no security version yet: it printed "(null)").
status_after_cut() {
  ga update status >"$d/status.log" 2>&1 ||
    { echo "violation: update status after the cut exited $?"; cat "$d/status.log"; return 1; }
  if grep -q '(null)' "$d/status.log"; then
    echo "violation: update status after the cut prints (null)"
    cat "$d/status.log"
    return 1
  fi
}

# recover: power-on, boot service, then the next install, trial boot and commit.
recover() {
  local g g2 rc
  echo 0 >"$dev/verdict"
  g=$(power_on) || { echo "violation: nothing boots after the cut"; return 1; }
  invariant "$g" || return 1
  ga boot >"$d/boot.log" 2>&1
  rc=$?
  [ "$rc" = 0 ] || { echo "violation: boot service after the cut exited $rc"; cat "$d/boot.log"; return 1; }
  next_bundle || return 1
  ga update install --no-progress "$d/next.gwb" >"$d/boot.log" 2>&1 ||
    { echo "violation: the next install failed"; cat "$d/boot.log"; return 1; }
  g2=$(power_on)
  if [ -z "$g2" ] || [ "$g2" = "$g" ]; then
    echo "violation: the next install's trial did not boot ($g2)"
    return 1
  fi
  ga boot >"$d/boot.log" 2>&1 || { echo "violation: the next trial did not commit"; cat "$d/boot.log"; return 1; }
  [ "$(counter_sv)" = "$sv" ] || { echo "violation: counter $(counter_sv) after committing $sv"; return 1; }
  invariant "$g2"
}

# cut_at PHASE SYSCALL N: one cut point. Counts it when the kill landed.
cut_at() {
  local phase=$1 sc=$2 n=$3 rc name="$bl_kind-$1-$2-$3"
  if ! prepare "$phase"; then
    fail "$name" "preparing the phase failed"; state_dump; return 1
  fi
  # shellcheck disable=SC2046 # the command line is split on purpose
  (strace -f -qq -o /dev/null -e trace="$sc" -e inject="$sc:signal=KILL:when=$n" \
    $(phase_cmd "$phase") >"$d/phase.log" 2>&1 </dev/null; exit $?) 2>/dev/null
  rc=$?
  local tag=" (the phase ended first, exit $rc)"
  [ "$rc" = 137 ] && cuts=$((cuts + 1)) tag=
  if { invariant && status_after_cut && recover; } >"$d/check.log" 2>&1; then
    pass "$name$tag"
  else
    fail "$name" "cut point (phase $phase, syscall $sc, N $n, kill landed: $([ "$rc" = 137 ] && echo yes || echo "no, exit $rc"))"
    sed 's/^/  /' "$d/check.log"
    state_dump
    return 1
  fi
}

# count PHASE: run the phase once under strace -y (no cut); prints the cut
# candidates, one "KIND SYSCALL N" a line: KIND every (fsync, fdatasync, renames),
# tpm (writes to the swtpm socket: a TPM command), stream (writes to a slot
# device), file (other writes) or read (reads of the bundle).
count() {
  local sc=write,pwrite64,writev,fsync,fdatasync,rename,renameat,renameat2,sendto,sendmsg,read
  prepare "$1" || return 1
  # shellcheck disable=SC2046
  strace -f -qq -y -o "$d/count.trace" -e trace="$sc" $(phase_cmd "$1") >"$d/phase.log" 2>&1 </dev/null
  case "$1:$?" in install:0|commit:0|rollback:40) ;; *) return 1 ;; esac
  python3 - "$d/count.trace" "$dev" <<'PY'
import collections, re, sys
n = collections.Counter()
for line in open(sys.argv[1]):
    m = re.match(r"^(?:\d+\s+)?(\w+)\(\d+<([^>]*)>", line)
    if not m:
        continue
    sc, path = m.groups()
    n[sc] += 1
    if sc in ("fsync", "fdatasync", "rename", "renameat", "renameat2"):
        kind = "every"
    elif sc == "read":
        kind = "read" if path.endswith(".gwb") else None
    elif path.startswith(("socket:", "TCP")):
        kind = "tpm"
    elif path.startswith(sys.argv[2] + "/") and path.endswith(".img"):
        kind = "stream"
    else:
        kind = "file"
    if kind:
        print(kind, sc, n[sc])
PY
}

# matrix EVERY PHASE...: cut every candidate of the kinds EVERY (a regex), a seeded
# sample of the others.
matrix() {
  local all=$1 phase kind sc i c pool line
  shift
  for phase in "$@"; do
    count "$phase" >"$d/cands" || { fail "$bl_kind-$phase-count" "the phase failed under strace"; state_dump; return 1; }
    echo 0 >"$dev/verdict"
    recover >"$d/check.log" 2>&1 || { fail "$bl_kind-$phase-count-recover" "$(cat "$d/check.log")"; return 1; }
    note "$bl_kind $phase: $(cut -d' ' -f1 "$d/cands" | sort | uniq -c | tr -s ' \n' ' ')"
    while read -r -u 3 kind sc i; do
      [[ $kind =~ ^($all)$ ]] && { cut_at "$phase" "$sc" "$i" </dev/null || return 1; }
    done 3<"$d/cands"
    # A seeded sample of the other writes and of the bundle reads.
    for pool in "stream|file:$WRITES" "read:$READS" "tpm:$WRITES"; do
      [[ ${pool%:*} =~ ^($all)$ ]] && continue
      grep -E "^(${pool%:*}) " "$d/cands" >"$d/pool"
      c=$(wc -l <"$d/pool")
      [ "$c" -gt 0 ] || continue
      for ((i = 0; i < ${pool#*:}; i++)); do
        # $RANDOM read here, not in the <(...) subshell, where bash reseeds it:
        # GW_POWERCUT_SEED must give the same sample again.
        line=$((RANDOM % c + 1))
        read -r kind sc n < <(sed -n "${line}p" "$d/pool")
        note "sampled cut: $bl_kind $phase $kind $sc $n"
        cut_at "$phase" "$sc" "$n" || return 1
      done
    done
  done
}

# file: every fsync and rename of every phase, every TPM command of install, a
# sample of the TPM commands of commit and rollback (cutting all of them, 63 more
# points, doubled the scenario's time without finding more); grub: every fsync and
# rename (its backend's temp file and rename among them), a sample of the TPM
# commands.
device file 0x01000100 && matrix 'every|tpm' install && matrix every commit rollback
device grub 0x01000200 && matrix every install commit

# The checker can fail: the counter raised above the security version of a group the
# bootloader still boots (a commit that advanced the counter before marking the
# older group bad would leave this).
check raise-counter tpm2_nvincrement -C 0x01000200 0x01000200
invariant >"$d/neg.log" 2>&1
expect_eq checker-reports-violation "$?" 1
expect_output_contains -n checker-names-counter "violation: counter $((sv + 1)) exceeds the security version $sv of group" "$d/neg.log"
# and an unsigned image in a bootable group.
head -c 16 /dev/urandom | dd of="$dev/$(bootsim --json status | python3 -c "import json,sys; print(json.load(sys.stdin)['primary'])").img" conv=notrunc status=none
invariant >"$d/neg.log" 2>&1
expect_eq checker-reports-unsigned "$?" 1
expect_output_contains -n checker-names-unsigned "violation: group [AB] \(bootable\) holds an image no valid manifest signs" "$d/neg.log"

echo "# update_powercut: $cuts cut points landed in $((SECONDS - t_start)) s (seed $SEED)"
expect_gt at-least-50-cut-points "$cuts" 49
