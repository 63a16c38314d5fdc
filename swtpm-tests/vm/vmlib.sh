# shellcheck shell=bash
# SPDX-License-Identifier: Apache-2.0
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
# env: GW_VM_BOOT_TIMEOUT  seconds a boot may take (default 300)
#      GW_VM_LOGS          where console, relay and swtpm logs go when a check
#                          failed (default: the build's test-results/vm-logs)
#      GW_VM_ACCEL         QEMU accelerator (default tcg)

VM_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
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

# vm_create NAME: a new VM in $GW_TMP/NAME: disk copy, OVMF variables, an empty
# ext4 data disk and a fresh TPM (EK certificates from swtpm's local CA, as
# swtpm_start makes them).
vm_create() {
  local d=$GW_TMP/$1
  mkdir -p "$d/tpm" || return 1
  cp --sparse=always "$VM_IMG/disk.img" "$d/disk.img" &&
    cp "$VM_OVMF_VARS" "$d/vars.fd" &&
    truncate -s 64M "$d/data.img" &&
    mke2fs -q -t ext4 -L gwdata "$d/data.img" || { fail vm-create "cannot create $d"; return 1; }
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

# vm_wait_off NAME: wait for the running boot's power-off (PASS vm-boot-N-powers-off
# or FAIL on a timeout or crash), stop its swtpm and relay, fetch its step results.
vm_wait_off() {
  local name=$1 d=$GW_TMP/$1 n=$VM_BOOTS rc secs
  wait "${_vm_qemu[$name]}"
  rc=$?
  secs=$(($(date +%s) - _vm_start[$name]))
  [ -n "$VM_VERIFIER_PORT" ] && bg_stop "vm-$name-relay-$n" >/dev/null 2>&1
  bg_stop "vm-$name-swtpm-$n" >/dev/null 2>&1
  note "VM $name: boot $n took $secs s (QEMU exit $rc)"
  echo "vm-boot $SCENARIO $name $n $secs" >>"${GW_VM_TIMES:-/dev/null}"
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
