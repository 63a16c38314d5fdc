#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Scenario 1 of issue 12 on real firmware: the test gateway VM (OVMF, GRUB A/B, a
# Debian kernel, swtpm as its TPM) boots for the first time, provisions and enrolls
# through the virtio-serial relay (credential activation against a real verifier),
# waits for the operator's approval on the host and hands out its firmware log; the
# host drafts a policy from that boot with `gwpolicy from-eventlog`, signs and loads
# it; the VM boots again and attests affirming on OVMF's and GRUB's measurements.
# scenario-timeout: 900
# shellcheck source=swtpm-tests/lib.sh
source "$(dirname "$0")/../lib.sh"
# shellcheck source=swtpm-tests/vm/vmlib.sh
source "$(dirname "$0")/vmlib.sh"
require_cmd qemu-system-x86_64 swtpm swtpm_setup socat mcopy mkfs.fat mke2fs python3 openssl

vm_image || exit 1
vm_create gw || exit 1
vdir=$GW_TMP/verifier
localca=/var/lib/swtpm-localca
port=$(free_port) || exit 1
expect_exit -n verifier-init 0 gwverifier init "$vdir" --listen "127.0.0.1:$port" \
  --ek-ca "$localca/swtpm-localca-rootca-cert.pem" --ek-ca "$localca/issuercert.pem" || exit 1
sed -i 's/^auto_approve = .*/auto_approve = none/' "$vdir/verifier.conf"
gw_policy_keys >>"$vdir/verifier.conf" || { fail policy-keys "gwpolicy keygen failed"; exit 1; }
bg_start verifier "$GW_BIN/gwverifier" serve --config "$vdir/verifier.conf"
wait_for_port "$port" 15 || { fail verifier-listens "gwverifier serve is not listening"; exit 1; }
VM_VERIFIER_PORT=$port
vconf=(--config "$vdir/verifier.conf")

# Boot 1: provision, enroll (pending), wait for the approval, hand out the logs.
cat >"$GW_TMP/steps1.sh" <<'STEPS'
step provision agent provision
step enroll-pending agent enroll --verifier https://127.0.0.1:8443 --ca /mnt/ca.pem
step enroll agent enroll --wait 300
cp /sys/kernel/security/tpm0/binary_bios_measurements /mnt/bios.bin
cp /var/lib/gatewarden/eventlog.cel /mnt/eventlog.cel
cat /sys/class/tpm/tpm0/pcr-sha256/0 /sys/class/tpm/tpm0/pcr-sha256/4 >/mnt/pcrs.txt
STEPS
vm_tell "Boot 1: OVMF, GRUB and the kernel measure the boot into the TPM; the gateway provisions its TPM and asks to enroll."
vm_boot gw "$GW_TMP/steps1.sh" "$vdir/ca.pem" || exit 1
if vm_wait_console gw '^gwvm: step enroll-pending: exit' 240; then
  pass boot1-reached-enroll
  expect_exit -n device-pending 0 gwverifier device list "${vconf[@]}"
  expect_output_contains -n device-listed-pending 'gw-vm-1.*pending' "$GW_STDOUT"
  vm_tell "The operator sees the gateway pending on the verifier and approves it."
  expect_exit -n approve 0 gwverifier device approve "${vconf[@]}" gw-vm-1
else
  fail boot1-reached-enroll "the guest did not get to its first enroll"
fi
vm_wait_off gw || exit 1
vm_expect_step gw boot 0
vm_expect_step gw provision 0
vm_expect_step gw enroll-pending 20
vm_expect_step gw enroll 0
vm_get gw enroll.out "$GW_TMP/enroll.out"
expect_output_contains -n enroll-says-enrolled '^enrolled as gw-vm-1' "$GW_TMP/enroll.out"
check relay-one-connection-each test "$(grep -c 'connected to the verifier' \
  "$GW_TMP"/vm-gw-relay-1.log)" -ge 3
vm_get gw bios.bin "$GW_TMP/bios1.bin"
vm_get gw eventlog.cel "$GW_TMP/eventlog1.cel"
expect_file firmware-log-from-securityfs "$GW_TMP/bios1.bin"
# GRUB's tpm module measured the very kernel and initramfs of slot group A into
# PCR 9 (the firmware measured GRUB itself into PCR 4).
check_py firmware-log-has-grubs-kernel-and-initrd "$GW_ROOT/swtpm-tests" "$GW_TMP/bios1.bin" \
  "$VM_IMG/slot/boot/vmlinuz" "$VM_IMG/slot/boot/initrd.img" <<'PY'
import hashlib, sys
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, sys.argv[1])
import fwlog
_, _, evs = fwlog.parse(open(sys.argv[2], "rb").read())
pcr9 = {d.hex() for e in evs if e["pcr"] == 9 for a, d in e["digests"] if a == 0x000b}
for f in sys.argv[3:]:
    h = hashlib.sha256(open(f, "rb").read()).hexdigest()
    assert h in pcr9, f"{f} (sha256 {h}) not measured into PCR 9"
assert any(e["pcr"] == 4 and e["type"] == 0x80000003 for e in evs), "no boot application in PCR 4"
PY

# The policy, drafted from this VM's own first boot: real OVMF and GRUB events.
vm_tell "GRUB measured slot A's kernel and initramfs; the policy is drafted from this first boot, signed and loaded."
expect_exit -n from-eventlog 0 gwpolicy from-eventlog "$GW_TMP/bios1.bin" \
  --cel "$GW_TMP/eventlog1.cel" --model gw-vm --version 1 \
  --description "test gateway VM, drafted from its first boot" --out "$GW_TMP/policy.json"
check_py policy-covers-real-firmware "$GW_TMP/policy.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
fw = p["firmware"]
pcrs = set(fw["pcrs"])
# OVMF measures PCRs 0-7; GRUB's tpm module measures its commands and files into
# 8 and 9; boot applications (GRUB, then the kernel through its EFI stub) into 4.
missing = {"0", "1", "2", "4", "7", "8", "9"} - pcrs
assert not missing, f"no firmware rule for PCRs {sorted(missing)}: {sorted(pcrs)}"
assert "bootloader" in fw, f"no bootloader rule: {sorted(fw)}"
assert "initramfs" in p.get("stages", {}), p.get("stages")
PY
check policy-trust-root vm_policy_trust_root "$GW_TMP/policy.json"
check policy-sign gw_sign_policy "$GW_TMP/policy.json" "$GW_TMP/policy.signed.json"
expect_exit -n policy-add 0 gwverifier policy add "${vconf[@]}" "$GW_TMP/policy.signed.json"

# Boot 2: a reboot (swtpm state kept), then attest and a round of the daemon.
cat >"$GW_TMP/steps2.sh" <<'STEPS'
step attest agent attest
step run-once agent run --once
cp /sys/kernel/security/tpm0/binary_bios_measurements /mnt/bios.bin
STEPS
vm_tell "Boot 2: the gateway reboots and attests."
vm_boot gw "$GW_TMP/steps2.sh" || exit 1
vm_wait_off gw || exit 1
vm_expect_step gw boot 0
vm_expect_step gw attest 0
vm_get gw attest.out "$GW_TMP/attest.out"
expect_output_contains -n attest-affirming 'gw-vm-1: affirming' "$GW_TMP/attest.out"
vm_expect_step gw run-once 0
vm_get gw bios.bin "$GW_TMP/bios2.bin"
# The same events and digests on both boots (the data of a boot application event
# holds its load address, which moves).
check_py same-firmware-measurements-both-boots "$GW_ROOT/swtpm-tests" "$GW_TMP/bios1.bin" \
  "$GW_TMP/bios2.bin" <<'PY'
import sys
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, sys.argv[1])
import fwlog
a, b = ([(e["pcr"], e["type"], [(x, d.hex()) for x, d in e["digests"]])
         for e in fwlog.parse(open(f, "rb").read())[2]] for f in sys.argv[2:4])
assert len(a) > 20 and a == b, f"{len(a)} and {len(b)} events, differing"
PY
expect_exit -n device-show 0 gwverifier device show "${vconf[@]}" gw-vm-1
expect_output_contains -n device-shows-affirming 'affirming' "$GW_STDOUT"
vm_tell "The verifier judged the real firmware's and GRUB's measurements: $(grep -o 'gw-vm-1: [a-z]*' "$GW_TMP/attest.out")."
