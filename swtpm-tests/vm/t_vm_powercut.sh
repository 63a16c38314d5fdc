#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Scenario 4 of issue 12 on real firmware: power cuts (SIGKILL of QEMU, the swtpm
# keeps its state) during the install stream, during the commit's first grubenv
# write and in the commit's state save, six boots of one VM. The guest's trigger
# (gw-cut, on the io disk) stops the agent at an observable event and prints a
# console marker; the host kills QEMU when it sees it. After each cut the next boot comes
# up on a signed slot (release 1.0 in A or 2.0 in B), the grubenv is one whole
# block, and where the boot runs its steps: the boot service exits 0, `attest` is
# affirming and the next install succeeds; 2.0 ends committed (counter 2) and 3.0
# installs after it.
# Boot 1: A, provision and enroll. Boot 2: A, `run --once`, cut after 4 MiB of
# 2.0's image went into rootfs-B. Boot 3: A, affirming, `run --once` installs 2.0.
# Boot 4: B on trial, cut while the commit writes the grubenv (B good: its
# temporary file exists). Boot 5: B, cut while the commit saves its state (A marked
# bad, the counter raised and the committed record measured before). Boot 6: B,
# the boot service finishes the commit, affirming, the verifier shows 2.0
# committed, `run --once` installs 3.0 into A.
# scenario-timeout: 1200
# shellcheck disable=SC2154 # REL_NAME is set through printf -v (uf_add)
# shellcheck source=swtpm-tests/lib.sh
source "$(dirname "$0")/../lib.sh"
# shellcheck source=swtpm-tests/vm/vmlib.sh
source "$(dirname "$0")/vmlib.sh"
require_cmd qemu-system-x86_64 swtpm swtpm_setup socat mcopy mkfs.fat mke2fs python3 openssl \
  grub-editenv debugfs

t_start=$(date +%s)
vm_image || exit 1
vm_create gw || exit 1
vm_verifier models:gw-vm || exit 1
VM_VERIFIER_PORT=$port
cut=$VM_HERE/gw-cut
out() { echo "$GW_TMP/gw/$1.out"; }   # the last output of step NAME (vm_step_out)

# affirming: the last boot's attest step exited 0 and said affirming.
affirming() {
  vm_expect_step gw attest 0
  vm_step_out gw attest
  expect_output_contains -n "boot$VM_BOOTS-affirming" 'gw-vm-1: affirming' "$(out attest)"
}
# grubenv_whole WHAT: the powered-off VM's grubenv is one whole 1024-byte block
# grub-editenv reads (the old one or the new one, never a mix); its variables go
# to the log, and to $GW_TMP/grubenv-WHAT.txt.
grubenv_whole() {
  local f=$GW_TMP/grubenv-$1
  vm_get_grubenv gw "$f"
  expect_eq "grubenv-$1-1024-bytes" "$(stat -c %s "$f" 2>/dev/null)" 1024
  check "grubenv-$1-readable" grub-editenv "$f" list
  grep -v '^#' "$GW_STDOUT" >"$f.txt"
  note "grubenv after the cut ($1): $(tr '\n' ' ' <"$f.txt")"
}
# shown: device show --json of gw-vm-1: "status running trial last-kind
# last-release counter"
shown() {
  gwverifier device show gw-vm-1 --json "${vconf[@]}" >"$GW_TMP/show.json" || return 1
  python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); u=j["update"]; o=u["last_outcome"] or {}
print(j.get("last_status"), (u["running"] or {}).get("release"), (u["trial"] or {}).get("release"), o.get("kind"), o.get("release"), j["security_version"])' \
    "$GW_TMP/show.json"
}

# ------------------------------------- boot 1: the device, v1: provisioning ---
vm_tell "Boot 1: the gateway boots release 1.0 from slot group A, provisions its TPM and enrolls."
vm_provision_boot gw || exit 1

# The policy: the first boot, with 2.0's initramfs in PCR 9 and PCR 8 unchecked
# (no lab VM here: scenario 2 checks GRUB's A/B commands against golden boots).
vm_slot_image B 2.0 "$GW_TMP/slot-v2.img" || { fail slot-v2 "cannot make the v2 slot image"; exit 1; }
check v2-initrd debugfs -R "dump /boot/initrd.img $GW_TMP/v2-initrd.img" "$GW_TMP/slot-v2.img"
vm_policy_first_boot gw "$GW_TMP/policy.json" "$GW_TMP/v2-initrd.img" || exit 1
check policy-trust-root vm_policy_trust_root "$GW_TMP/policy.json"
expect_exit -n policy-lint 0 gwpolicy lint "$GW_TMP/policy.json"
check policy-sign gw_sign_policy "$GW_TMP/policy.json" "$GW_TMP/policy.signed.json"
expect_exit -n policy-add 0 gwverifier policy add "${vconf[@]}" "$GW_TMP/policy.signed.json"
vm_tell "Release 2.0 (slot group B) is signed, encrypted for the verifier and added."
vm_bundle v2 2.0 2 "$GW_TMP/slot-v2.img" || exit 1

# ------------ boot 2: the daemon's round installs 2.0: cut in the stream ---
cat >"$GW_TMP/steps2.sh" <<'STEPS'
step attest agent attest
sh /mnt/gw-cut stream stream:B:4 &
step run agent run --once
STEPS
vm_tell "Boot 2: the gateway downloads 2.0 and installs it into B; the power is cut after 4 MiB."
vm_boot gw "$GW_TMP/steps2.sh" "$cut" || exit 1
vm_cut_at gw stream 240 || exit 1
vm_booted gw A 1.0
expect_output_contains -n cut1-attest-affirming '^gwvm:   \| attest: gw-vm-1: affirming' \
  "$GW_TMP/gw/console-$VM_BOOTS.log"
grubenv_whole stream

# ------------------ boot 3: back on A; the next install succeeds ---
cat >"$GW_TMP/steps3.sh" <<'STEPS'
step status1 agent update status
step attest agent attest
step run agent run --once
step status2 agent update status
STEPS
vm_tell "Boot 3: GRUB boots A (1.0) again; the gateway attests and installs 2.0 again."
vm_boot gw "$GW_TMP/steps3.sh" || exit 1
vm_wait_off gw || exit 1
vm_booted gw A 1.0
vm_expect_step gw boot 0
vm_step_out gw status1
note "after the cut in the stream: $(tr '\n' ' ' <"$(out status1)")"
affirming
vm_expect_step gw run 0
vm_step_out gw run
expect_output_contains -n v2-applied-after-cut \
  "update: release $REL_v2: version 2.0 staged in group B \\(unwrapped by the TPM\\); reboot command run" \
  "$(out run)"
expect_output_contains -n v2-guest-reboots '^gwvm: rebooting' "$GW_TMP/gw/console-$VM_BOOTS.log"

# ---------- boot 4: B on trial: cut while the commit writes the grubenv ---
: >"$GW_TMP/steps-none.sh"
cat >"$GW_TMP/early.sh" <<'STEPS'
sh /mnt/gw-cut grubenv tmp:/boot/efi/EFI/gatewarden/grubenv &
STEPS
vm_tell "Boot 4: GRUB boots B (2.0) on trial; the power is cut while the commit writes the grubenv."
vm_boot gw "$GW_TMP/steps-none.sh" "$cut" "$GW_TMP/early.sh" || exit 1
vm_cut_at gw grubenv 240 || exit 1
vm_booted gw B 2.0
grubenv_whole commit-grubenv
# The cut landed in the commit's first grubenv write (B good), before the second
# (A bad): the block is the trial's (B on trial) or the first write's (B good).
expect_output_not_contains -n cut2-before-A-bad '^A_OK=0$' "$GW_TMP/grubenv-commit-grubenv.txt"

# ---- boot 5: B again: cut in the commit's state save (A bad, counter 2) ---
cat >"$GW_TMP/early.sh" <<'STEPS'
sh /mnt/gw-cut commit line:/boot/efi/EFI/gatewarden/grubenv:A_OK=0 \
  tmp:/var/lib/gatewarden/update/slots.json &
STEPS
vm_tell "Boot 5: GRUB boots B (2.0) again; the power is cut while the commit saves its state."
vm_boot gw "$GW_TMP/steps-none.sh" "$cut" "$GW_TMP/early.sh" || exit 1
vm_cut_at gw commit 240 || exit 1
vm_booted gw B 2.0
grubenv_whole commit
expect_output_contains -n cut3-A-bad '^A_OK=0$' "$GW_TMP/grubenv-commit.txt"

# ------ boot 6: B: the commit finished, affirming; the next install ---
vm_slot_image A 3.0 "$GW_TMP/slot-v3.img" || { fail slot-v3 "cannot make the v3 slot image"; exit 1; }
vm_bundle v3 3.0 3 "$GW_TMP/slot-v3.img" || exit 1
cat >"$GW_TMP/steps6.sh" <<'STEPS'
step attest agent attest
step status1 agent update status
step run agent run --once
step status2 agent update status
grub-editenv /boot/efi/EFI/gatewarden/grubenv list >/mnt/grubenv.txt
STEPS
vm_tell "Boot 6: GRUB boots B (2.0); the boot service finishes the commit; the gateway attests and installs 3.0 into A."
vm_boot gw "$GW_TMP/steps6.sh" || exit 1
vm_wait_off gw || exit 1
vm_booted gw B 2.0
vm_expect_step gw boot 0
vm_step_out gw boot
expect_output_contains -n v2-committed-after-cuts 'group B committed: version 2.0, security version 2' \
  "$(out boot)"
affirming
expect_eq v2-committed-on-verifier "$(shown)" "affirming $REL_v2 None committed $REL_v2 2"
vm_step_out gw status1
note "after the cuts in the commit: $(tr '\n' ' ' <"$(out status1)")"
vm_expect_step gw run 0
vm_step_out gw run
expect_output_contains -n v3-applied-after-cuts \
  "update: release $REL_v3: version 3.0 staged in group A \\(unwrapped by the TPM\\); reboot command run" \
  "$(out run)"
vm_get gw grubenv.txt "$GW_TMP/grubenv6.txt"
expect_output_contains -n v3-A-on-trial '^A_TRY=2$' "$GW_TMP/grubenv6.txt"
check audit-chain gwverifier audit verify "${vconf[@]}"
note "scenario 4: $VM_BOOTS boots, $(($(date +%s) - t_start)) s in all"
