# shellcheck shell=bash
# SPDX-License-Identifier: Apache-2.0
# (sources update_lib.sh for the release side)
# Helpers for the gateway VM scenarios (swtpm-tests/vm/t_*.sh), on top of
# swtpm-tests/lib.sh: a VM is a directory with its own copy of the boot disk, its
# OVMF variables, a data disk (ext4, the agent's state) and a swtpm state; each
# vm_boot starts swtpm, QEMU (TCG, no network device) and the relay to the
# verifier, and hands the guest a small FAT "io" disk with the steps to run.
#
#   source "$(dirname "$0")/../lib.sh"; source "$(dirname "$0")/vmlib.sh"
#   vm_image || exit 1          # $VM_IMG: build.sh's image (or $GW_VM_IMAGE)
#   vm_create gw                # $GW_TMP/gw
#   VM_VERIFIER_PORT=$port      # the relay's target on 127.0.0.1
#   vm_boot gw steps.sh [FILE...]; vm_wait_console gw PATTERN SECS; vm_wait_off gw
#   vm_step_rc gw NAME; vm_get gw FILE DEST
#   vm_slot_image GROUP RELEASE OUT [fail TEXT|panic]; vm_wait_panic gw
#   vm_put_slot gw GROUP IMAGE; vm_put_grubenv gw FILE; vm_get_grubenv gw DEST
# env: GW_VM_BOOT_TIMEOUT  seconds a boot may take (default 300)
#      GW_VM_LOGS          where console, relay and swtpm logs go when a check
#                          failed (default: the build's test-results/vm-logs)
#      GW_VM_ACCEL         QEMU accelerator (default tcg)

VM_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=swtpm-tests/update_lib.sh
source "$VM_HERE/../update_lib.sh"
VM_OVMF_CODE=${VM_OVMF_CODE:-/usr/share/OVMF/OVMF_CODE_4M.fd}
VM_OVMF_VARS=${VM_OVMF_VARS:-/usr/share/OVMF/OVMF_VARS_4M.fd}
VM_VERIFIER_PORT=${VM_VERIFIER_PORT:-}
VM_BOOTS=0
declare -A _vm_qemu=() _vm_start=()

# vm_image: set VM_IMG to the built image directory ($GW_VM_IMAGE, else build it).
vm_image() {
  if [ -n "${GW_VM_IMAGE:-}" ]; then
    VM_IMG=$GW_VM_IMAGE
  elif ! VM_IMG=$("$VM_HERE/build.sh" "$GW_BIN" 2>"$GW_TMP/vm-build.log"); then
    fail vm-image "swtpm-tests/vm/build.sh failed"
    _gw_show_file vm-build.log "$GW_TMP/vm-build.log"
    return 1
  fi
  [ -s "$VM_IMG/disk.img" ] || { fail vm-image "no disk.img in $VM_IMG"; return 1; }
}

# vm_release: the release engineer's side, once per scenario: root and targets
# keys (r1, t1) and a signed trust root in $VM_REL ($GW_TMP/rel; update_lib.sh's
# uf_release), which vm_create puts on every VM's data disk as the factory's.
vm_release() {
  [ -s "${VM_REL:-}/root.json" ] && return 0
  uf_release "$GW_TMP/rel" >/dev/null || { fail vm-release "cannot make the trust root"; return 1; }
  VM_REL=$UF_REL
}

# vm_create NAME: a new VM in $GW_TMP/NAME: disk copy, OVMF variables, an ext4
# data disk holding only factory/root.json (the trust root, vm_release) and a
# fresh TPM (EK certificates from swtpm's local CA, as swtpm_start makes them).
vm_create() {
  local d=$GW_TMP/$1
  mkdir -p "$d/tpm" "$d/seed/factory" || return 1
  vm_release || return 1
  cp "$VM_REL/root.json" "$d/seed/factory/root.json" &&
    cp --sparse=always "$VM_IMG/disk.img" "$d/disk.img" &&
    cp "$VM_OVMF_VARS" "$d/vars.fd" &&
    truncate -s 256M "$d/data.img" &&
    mke2fs -q -t ext4 -L gwdata -d "$d/seed" "$d/data.img" ||
    { fail vm-create "cannot create $d"; return 1; }
  if ! timeout 120 swtpm_setup --tpm2 --tpmstate "$d/tpm" --create-ek-cert \
      --create-platform-cert --lock-nvram --pcr-banks "${GW_BANKS:-sha1,sha256}" \
      --overwrite --logfile "$d/swtpm-setup.log" >/dev/null 2>&1; then
    fail vm-swtpm-setup "swtpm_setup failed"
    _gw_show_file swtpm-setup.log "$d/swtpm-setup.log"
    return 1
  fi
  on_exit "_vm_keep_logs $1"
}

_vm_keep_logs() {   # NAME: copy the VM's logs out of $GW_TMP when a check failed
  local d=$GW_TMP/$1 dest
  [ "$GW_FAILS" -gt 0 ] || return 0
  dest=${GW_VM_LOGS:-$GW_BIN/test-results/vm-logs}/$SCENARIO-$1
  mkdir -p "$dest" && cp "$d"/*.log "$GW_TMP/vm-$1"-*.log "$dest/" 2>/dev/null
  echo "# $SCENARIO: console, relay and swtpm logs of VM $1 kept in $dest"
}

# vm_boot NAME STEPS [FILE...]: power the VM on with STEPS (a shell fragment the
# guest's /init sources after `gwagent boot`, see init) and FILEs on its io disk.
# Returns once QEMU runs; vm_wait_off waits for the power-off.
vm_boot() {
  local name=$1 steps=$2 d=$GW_TMP/$1 f i
  shift 2
  VM_BOOTS=$((VM_BOOTS + 1))
  local n=$VM_BOOTS
  rm -f "$d/io.img" "$d/swtpm.sock" "$d/qmp.sock" "$d/vs.sock"
  mkfs.fat -C -n GWIO "$d/io.img" 16384 >/dev/null &&
    mcopy -i "$d/io.img" "$steps" ::/steps.sh || { fail "vm-io-$n" "cannot make the io disk"; return 1; }
  for f in "$@"; do
    mcopy -i "$d/io.img" "$f" "::/$(basename "$f")" || { fail "vm-io-$n" "mcopy $f"; return 1; }
  done
  bg_start "vm-$name-swtpm-$n" swtpm socket --tpm2 --tpmstate "dir=$d/tpm" \
    --ctrl "type=unixio,path=$d/swtpm.sock" --terminate --log "file=$d/swtpm-$n.log"
  for ((i = 0; i < 100; i++)); do
    [ -S "$d/swtpm.sock" ] && break
    sleep 0.1
  done
  [ -S "$d/swtpm.sock" ] || { fail "vm-swtpm-$n" "swtpm made no socket"; return 1; }
  _vm_start[$name]=$(date +%s)
  bg_start "vm-$name-qemu-$n" timeout -k 5 "${GW_VM_BOOT_TIMEOUT:-300}" \
    qemu-system-x86_64 -machine q35 -accel "${GW_VM_ACCEL:-tcg}" -m 512 \
    -nodefaults -nographic -nic none -no-reboot \
    -drive "if=pflash,format=raw,unit=0,readonly=on,file=$VM_OVMF_CODE" \
    -drive "if=pflash,format=raw,unit=1,file=$d/vars.fd" \
    -drive "if=none,id=boot,file=$d/disk.img,format=raw" \
    -device virtio-blk-pci,drive=boot,serial=gwboot,bootindex=0 \
    -drive "if=none,id=data,file=$d/data.img,format=raw" \
    -device virtio-blk-pci,drive=data,serial=gwdata \
    -drive "if=none,id=io,file=$d/io.img,format=raw" \
    -device virtio-blk-pci,drive=io,serial=gwio \
    -chardev "socket,id=tpm,path=$d/swtpm.sock" -tpmdev emulator,id=tpm0,chardev=tpm \
    -device tpm-crb,tpmdev=tpm0 \
    -device virtio-serial-pci \
    -chardev "socket,id=vs,path=$d/vs.sock,server=on,wait=off" \
    -device virtserialport,chardev=vs,name=org.gatewarden.verifier,id=gwport \
    -qmp "unix:$d/qmp.sock,server=on,wait=off" \
    -serial "file:$d/console-$n.log"
  _vm_qemu[$name]=$BG_PID
  if [ -n "$VM_VERIFIER_PORT" ]; then
    bg_start "vm-$name-relay-$n" python3 "$VM_HERE/vmrelay.py" "$d/qmp.sock" \
      "$d/vs.sock" gwport "$VM_VERIFIER_PORT"
  fi
  note "VM $name: boot $n started (console $d/console-$n.log)"
}

# vm_wait_console NAME PATTERN SECONDS: wait until the running boot's console has a
# line matching the extended regex PATTERN; false if QEMU exits or time runs out.
vm_wait_console() {
  local name=$1 pat=$2 secs=$3 d=$GW_TMP/$1 i
  for ((i = 0; i < secs * 2; i++)); do
    grep -aqE -e "$pat" "$d/console-$VM_BOOTS.log" 2>/dev/null && return 0
    _gw_alive "${_vm_qemu[$name]}" || break
    sleep 0.5
  done
  grep -aqE -e "$pat" "$d/console-$VM_BOOTS.log" 2>/dev/null
}

# _vm_end NAME: wait for the running boot's QEMU to exit, stop its swtpm and relay;
# sets rc (QEMU's exit status) and secs (the boot's wall time) of the caller.
_vm_end() {
  local name=$1 n=$VM_BOOTS
  wait "${_vm_qemu[$name]}"
  rc=$?
  secs=$(($(date +%s) - _vm_start[$name]))
  [ -n "$VM_VERIFIER_PORT" ] && bg_stop "vm-$name-relay-$n" >/dev/null 2>&1
  bg_stop "vm-$name-swtpm-$n" >/dev/null 2>&1
  if grep -aq '^gwvm: rebooting' "$GW_TMP/$name/console-$n.log"; then
    note "VM $name: boot $n took $secs s, ended by the guest's reboot (QEMU exit $rc: -no-reboot)"
  else
    note "VM $name: boot $n took $secs s (QEMU exit $rc)"
  fi
  echo "vm-boot $SCENARIO $name $n $secs" >>"${GW_VM_TIMES:-/dev/null}"
}

# vm_wait_off NAME: wait for the running boot's power-off (PASS vm-boot-N-powers-off
# or FAIL on a timeout or crash), stop its swtpm and relay, fetch its step results.
vm_wait_off() {
  local name=$1 d=$GW_TMP/$1 n=$VM_BOOTS rc secs
  _vm_end "$name"
  rm -f "$d/results-$n"
  mcopy -n -i "$d/io.img" ::/results "$d/results-$n" 2>/dev/null
  if [ "$rc" -ne 0 ]; then
    fail "vm-boot-$n-powers-off" "QEMU exit $rc after $secs s (124: timed out after ${GW_VM_BOOT_TIMEOUT:-300} s)"
    _gw_show_file "console-$n.log" "$d/console-$n.log" 30
    return 1
  fi
  if ! grep -aq '^gwvm: done' "$d/console-$n.log"; then
    fail "vm-boot-$n-powers-off" "the guest powered off before its steps were done"
    _gw_show_file "console-$n.log" "$d/console-$n.log" 30
    return 1
  fi
  pass "vm-boot-$n-powers-off"
}

# vm_step_rc NAME STEP: the exit status the last boot's STEP recorded (empty if it
# did not run).
vm_step_rc() {
  sed -n "s/^$2 \\([0-9][0-9]*\\)\$/\\1/p" "$GW_TMP/$1/results-$VM_BOOTS" 2>/dev/null | tail -n 1
}

# vm_expect_step NAME STEP RC: PASS if the last boot's STEP exited RC; else FAIL
# with its output.
vm_expect_step() {
  local got
  got=$(vm_step_rc "$1" "$2")
  if [ "$got" = "$3" ]; then
    pass "boot$VM_BOOTS-$2"
    return 0
  fi
  fail "boot$VM_BOOTS-$2" "guest step $2: exit '${got:-did not run}', wanted $3"
  vm_get "$1" "$2.out" "$GW_TMP/$1/$2.out" && _gw_show_file "$2.out" "$GW_TMP/$1/$2.out"
  return 1
}

# vm_get NAME FILE DEST: copy FILE from the VM's io disk (the last boot's) to DEST.
vm_get() {
  mcopy -n -i "$GW_TMP/$1/io.img" "::/$2" "$3" 2>/dev/null
}

# vm_slot_image GROUP RELEASE OUT [fail TEXT | panic]: a slot image for group
# GROUP (ext2 labelled gw-slot-GROUP, which grub.cfg searches for) holding the
# image's kernel and its initramfs with one more cpio archive appended (the kernel
# unpacks them in order, a later file replacing an earlier one): /etc/gw-release
# RELEASE; with `fail TEXT` also /etc/gw-health-fail (gw-health fails with TEXT);
# with `panic` an /init that exits at once (the kernel panics, panic=-1 reboots).
vm_slot_image() {
  local g=$1 rel=$2 out=$3 how=${4:-} w
  w=$(mktemp -d "$GW_TMP/slot.XXXXXX") || return 1
  mkdir -p "$w/root/boot" "$w/add/etc" &&
    cp "$VM_IMG/slot/boot/vmlinuz" "$w/root/boot/vmlinuz" &&
    echo "$rel" >"$w/add/etc/gw-release" || return 1
  case $how in
    fail) printf '%s\n' "$5" >"$w/add/etc/gw-health-fail" ;;
    panic)
      printf '#!/bin/sh\necho "gwvm: release %s: /init exits" >/dev/console\nexit 1\n' \
        "$rel" >"$w/add/init"
      chmod 0755 "$w/add/init" ;;
  esac
  {
    cat "$VM_IMG/slot/boot/initrd.img"
    (cd "$w/add" && find . | LC_ALL=C sort | busybox cpio -o -H newc 2>/dev/null) | gzip -1 -n
  } >"$w/root/boot/initrd.img" || return 1
  local mib=$(($(du -sm "$w/root" | cut -f1) + 4))
  rm -f "$out"
  mke2fs -q -t ext2 -L "gw-slot-$g" -d "$w/root" "$out" "${mib}M" >/dev/null || return 1
  rm -rf "$w"
}

# _vm_part_offset NAME PARTNAME: the byte offset of partition PARTNAME of the VM's
# boot disk.
_vm_part_offset() {
  sfdisk -d "$GW_TMP/$1/disk.img" |
    sed -n "s/.*start= *\\([0-9]*\\),.*name=\"$2\".*/\\1/p" | awk '{print $1 * 512}'
}

# vm_put_slot NAME GROUP IMAGE: IMAGE written into the powered-off VM's rootfs-GROUP
# partition from the host (the release engineer's lab, not the device's way).
vm_put_slot() {
  local off
  off=$(_vm_part_offset "$1" "rootfs-$2")
  [ -n "$off" ] || return 1
  dd if="$3" of="$GW_TMP/$1/disk.img" bs=1M oflag=seek_bytes seek="$off" \
    conv=notrunc status=none
}

# vm_put_grubenv NAME FILE, vm_get_grubenv NAME DEST: the ESP's grubenv of the
# powered-off VM, from or to the host.
vm_put_grubenv() {
  mcopy -o -i "$GW_TMP/$1/disk.img@@$(_vm_part_offset "$1" esp)" "$2" ::/EFI/gatewarden/grubenv
}
vm_get_grubenv() {
  mcopy -n -i "$GW_TMP/$1/disk.img@@$(_vm_part_offset "$1" esp)" ::/EFI/gatewarden/grubenv "$2"
}

# vm_wait_panic NAME: wait for the running boot to end in a kernel panic (the
# panic reboots, QEMU's -no-reboot ends it): PASS vm-boot-N-panics, else FAIL.
vm_wait_panic() {
  local name=$1 d=$GW_TMP/$1 n=$VM_BOOTS rc secs
  _vm_end "$name"
  if [ "$rc" -eq 0 ] && grep -aq 'Kernel panic' "$d/console-$n.log"; then
    pass "vm-boot-$n-panics"
    return 0
  fi
  fail "vm-boot-$n-panics" "QEMU exit $rc after $secs s, no kernel panic on the console"
  _gw_show_file "console-$n.log" "$d/console-$n.log" 30
  return 1
}

# vm_policy_trust_root POLICY: the drafted POLICY's trust rules hold the trust
# root's digest (vm_release's): the boot service measured the pinned root into PCR
# 14 and `gwpolicy from-eventlog --cel` drafts its rule from that record (`gwpolicy
# root verify` prints the same digest for the release engineer).
vm_policy_trust_root() {
  python3 - "$1" "$(root_digest_of "$VM_REL/root.json")" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
assert p.get("trust", {}).get("trust_root") == [sys.argv[2]], p.get("trust")
PY
}

# vm_tell TEXT: one line of plain-words narration in the scenario's log ("# NAME:
# > TEXT"), which `make demo-vm` (scripts/demo_vm.sh) shows as the scenario runs.
vm_tell() { echo "# $SCENARIO: > $*" >&2; }

# vm_verifier MODELS: the scenario's verifier (update_lib.sh's uf_verifier in
# $GW_TMP/verifier, auto-approving MODELS) serving on 127.0.0.1, its release key
# in $VM_REL/release.pub (bundles are encrypted for it); sets vdir, vconf, port.
vm_verifier() {
  vm_release || return 1
  UF_REL=$VM_REL uf_verifier "$GW_TMP/verifier" "$1" || return 1
  bg_start verifier "$GW_BIN/gwverifier" serve "${vconf[@]}"
  wait_for_port "$port" 15 || { fail verifier-listens "gwverifier serve is not listening"; return 1; }
  check release-key gwverifier release-key "${vconf[@]}" || return 1
  cp "$GW_STDOUT" "$VM_REL/release.pub"
}

# vm_bundle NAME VERSION SECURITY_VERSION IMAGE: release VERSION of model gw-vm,
# channel stable, IMAGE as its rootfs, signed with the trust root's targets key,
# encrypted for the verifier's release key, in $VM_REL/NAME.gwb and added to the
# verifier (REL_NAME its id).
vm_bundle() {
  check "bundle-$1" gwpolicy bundle create --root "$VM_REL/root.json" --key "$VM_REL/t1.key" \
    --model gw-vm --channel stable --version "$2" --security-version "$3" \
    --image "rootfs=$4" --encrypt-for "$VM_REL/release.pub" -o "$VM_REL/$1.gwb" &&
    UF_REL=$VM_REL uf_add "$1"
}

# vm_booted NAME GROUP RELEASE: PASS if the last boot's console says GRUB booted
# slot group GROUP holding RELEASE (/init's line from gatewarden.slot= and
# /etc/gw-release).
vm_booted() {
  expect_output_contains -n "boot$VM_BOOTS-is-$2-${3%% *}" \
    "^gwvm: booted slot group $2 .*release $3[[:cntrl:]]*$" "$GW_TMP/$1/console-$VM_BOOTS.log"
}

# vm_step_out NAME STEP: the last boot's output of STEP, into $GW_TMP/NAME/STEP.out.
vm_step_out() { vm_get "$1" "$2.out" "$GW_TMP/$1/$2.out"; }

# vm_cut NAME: a power cut: SIGKILL of the running boot's QEMU process (the swtpm
# keeps its state, as a TPM does; the next vm_boot is the power-on). PASS
# vm-boot-N-cut when QEMU died of the signal.
vm_cut() {
  local name=$1 n=$VM_BOOTS rc secs q
  q=$(ps -o pid= --ppid "${_vm_qemu[$name]}" | tr -d ' ')
  [ -n "$q" ] && kill -KILL "$q"
  # timeout dies of the same signal: reaped here, without bash's "Killed" line
  # (_vm_end's wait then gets the same status).
  wait "${_vm_qemu[$name]}" 2>/dev/null
  _vm_end "$name"
  if [ "$rc" -eq 137 ]; then
    pass "vm-boot-$n-cut"
    return 0
  fi
  fail "vm-boot-$n-cut" "QEMU exit $rc after $secs s: it was not killed (pid '${q}')"
  _gw_show_file "console-$n.log" "$GW_TMP/$name/console-$n.log" 30
  return 1
}

# vm_cut_at NAME MARK SECS: wait up to SECS for the guest's "gwvm: mark MARK" (the
# trigger gw-cut stopped the agent at its event), then cut the power (vm_cut).
vm_cut_at() {
  if ! vm_wait_console "$1" "^gwvm: mark $2" "$3"; then
    fail "vm-boot-$VM_BOOTS-mark-$2" "no 'gwvm: mark $2' on the console within $3 s"
    vm_cut "$1"
    return 1
  fi
  pass "vm-boot-$VM_BOOTS-mark-$2"
  vm_cut "$1"
}

# vm_policy_first_boot NAME OUT INITRD...: the policy from the VM's first boot
# ($GW_TMP/NAME/bios-1.bin and eventlog-1.cel, `gwpolicy from-eventlog --cel
# --allowed`) and what trial and committed boots of other releases need without a
# lab VM's golden boots: PCR 9 also allows each INITRD (GRUB measures the file it
# reads: the first boot's initramfs digest must be there, as a check that it is so)
# and PCR 8 (GRUB's commands, which name the slot and its tries) is unchecked.
vm_policy_first_boot() {
  local name=$1 out=$2
  shift 2
  check "draft-$name" gwpolicy from-eventlog "$GW_TMP/$name/bios-1.bin" \
    --cel "$GW_TMP/$name/eventlog-1.cel" --allowed --model gw-vm --version 1 \
    --out "$GW_TMP/$name/draft-1.json" || return 1
  check_py "policy-$name" "$GW_TMP/$name/draft-1.json" "$out" "$VM_IMG/slot/boot/initrd.img" \
    "$@" <<'PY'
import hashlib, json, sys
draft, out, first, *more = sys.argv[1:]
p = json.load(open(draft))
digest = lambda f: hashlib.new(p["firmware"]["bank"], open(f, "rb").read()).hexdigest()
pcr9 = p["firmware"]["pcrs"]["9"]["allowed"]
ev = [e for e in pcr9 if digest(first) in e["digests"]]
assert ev, "the first boot's initramfs is not among PCR 9's allowed digests"
ev[0]["digests"] += [digest(f) for f in more if digest(f) not in ev[0]["digests"]]
p["firmware"]["pcrs"]["8"] = {"unchecked": True, "comment": "GRUB's commands name the "
                              "slot group and its tries (a lab VM's golden boots would list them)"}
p["description"] = "test gateway VM: its first boot, PCR 9 also the releases' initramfs"
json.dump(p, open(out, "w"), indent=2)
PY
}

# vm_provision_boot NAME: a device's first boot: GRUB boots A (1.0), the boot
# service runs, the agent provisions the TPM and enrolls with the verifier
# (vm_verifier, auto-approved: its CA from $vdir), and the firmware log and the
# agent's CEL log are copied out to $GW_TMP/NAME/bios-1.bin and eventlog-1.cel
# (vm_policy_first_boot drafts from them).
vm_provision_boot() {
  local name=$1 d=$GW_TMP/$1
  cat >"$d/steps-provision.sh" <<'STEPS'
step provision agent provision
step enroll agent enroll --verifier https://127.0.0.1:8443 --ca /mnt/ca.pem
cp /sys/kernel/security/tpm0/binary_bios_measurements /mnt/bios.bin
cp /var/lib/gatewarden/eventlog.cel /mnt/eventlog.cel
STEPS
  vm_boot "$name" "$d/steps-provision.sh" "$vdir/ca.pem" && vm_wait_off "$name" || return 1
  vm_booted "$name" A 1.0
  vm_expect_step "$name" boot 0
  vm_expect_step "$name" provision 0
  vm_expect_step "$name" enroll 0 || return 1
  vm_get "$name" bios.bin "$d/bios-1.bin" && vm_get "$name" eventlog.cel "$d/eventlog-1.cel"
}

# _vm_part_size NAME PARTNAME: the size in bytes of partition PARTNAME of the VM's
# boot disk.
_vm_part_size() {
  sfdisk -d "$GW_TMP/$1/disk.img" |
    sed -n "s/.*size= *\\([0-9]*\\),.*name=\"$2\".*/\\1/p" | awk '{print $1 * 512}'
}

# vm_part_sum NAME PARTNAME: the SHA-256 of partition PARTNAME of the powered-off
# VM's boot disk (a slot written or not).
vm_part_sum() {
  local sum
  sum=$(set -o pipefail; _vm_part_copy "$1" "$2" /dev/stdout | sha256sum) || return 1
  echo "${sum%% *}"
}

# _vm_part_copy NAME PARTNAME FILE: partition PARTNAME of the VM's boot disk copied
# to FILE; _vm_part_back NAME PARTNAME FILE: FILE written back over it.
_vm_part_copy() {
  local off size
  off=$(_vm_part_offset "$1" "$2") size=$(_vm_part_size "$1" "$2")
  [ -n "$off" ] && [ -n "$size" ] || return 1
  dd if="$GW_TMP/$1/disk.img" of="$3" bs=1M iflag=skip_bytes,count_bytes skip="$off" \
    count="$size" status=none
}
_vm_part_back() {
  local off
  off=$(_vm_part_offset "$1" "$2")
  [ -n "$off" ] || return 1
  dd if="$3" of="$GW_TMP/$1/disk.img" bs=1M oflag=seek_bytes seek="$off" conv=notrunc \
    status=none
}

# vm_slot_file_get NAME GROUP PATH DEST, vm_slot_file_put NAME GROUP PATH FILE:
# file PATH of the ext2 in the powered-off VM's rootfs-GROUP, read to DEST or
# replaced by FILE from the host with debugfs (behind the agent's back: an attacker
# with the disk, not the device's way).
vm_slot_file_get() {
  local w rc=0
  w=$(mktemp "$GW_TMP/part.XXXXXX") || return 1
  _vm_part_copy "$1" "rootfs-$2" "$w" && debugfs -R "dump $3 $4" "$w" >/dev/null 2>&1 &&
    [ -s "$4" ] || rc=1
  rm -f "$w"
  return $rc
}
vm_slot_file_put() {
  local w rc=0
  w=$(mktemp "$GW_TMP/part.XXXXXX") || return 1
  _vm_part_copy "$1" "rootfs-$2" "$w" &&
    debugfs -w -f - "$w" >/dev/null 2>&1 <<CMDS &&
rm $3
write $4 $3
CMDS
    e2fsck -fn "$w" >/dev/null 2>&1 && _vm_part_back "$1" "rootfs-$2" "$w" || rc=1
  rm -f "$w"
  return $rc
}

# vm_put_data NAME FILE PATH: FILE written to PATH (relative to the agent's state
# directory) on the powered-off VM's data disk (ext4) from the host, as an operator
# copying a file onto the device would.
vm_put_data() {
  debugfs -w -R "write $2 $3" "$GW_TMP/$1/data.img" >/dev/null 2>&1 &&
    debugfs -R "stat $3" "$GW_TMP/$1/data.img" 2>/dev/null | grep -q "Size: $(stat -c %s "$2")\$"
}
