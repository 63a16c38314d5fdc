#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The whole update flow on the grub, U-Boot and systemd-boot backends (the file
# backend's is t_update_trial), each with a fresh swtpm power cycled between boots
# and the bootloader's own side (bootsim.sh: grub-editenv on a grubenv file,
# fw_printenv/fw_setenv on file-backed redundant environments, systemd-boot's
# renames in a temporary ESP): install -> reboot -> trial -> health check passes ->
# commit (counter, PCR 14 records, the state read back with the real tool);
# install -> failing health check -> rollback (reboot command, back on the old
# group, "rolled-back"); a trial whose tries are spent -> "fell-back".
# shellcheck source=swtpm-tests/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=swtpm-tests/update_lib.sh
source "$(dirname "$0")/update_lib.sh"
require_cmd python3 tpm2_pcrread grub-editenv fw_printenv fw_setenv

uf_release "$GW_TMP/release"
bundle b2 2.0 2
bundle b3 3.0 3
bundle b4 4.0 4
m2=$(manifest_of b2) m3=$(manifest_of b3) m4=$(manifest_of b4)

# bl_state: the bootloader's state as its own tool reads it, one line.
bl_state() {
  case $bl_kind in
    grub) grub-editenv "$bl" list | sort | tr '\n' ' ' ;;
    uboot)
      fw_printenv -c "$bl" 2>/dev/null | grep '^BOOT_' | sort | tr '\n' ' ' ;;
    systemd-boot)
      (cd "$bl/loader/entries" && ls | tr '\n' ' ')
      sed -n 's/^default /default=/p' "$bl/loader/loader.conf" ;;
  esac
}
# After a commit of B over the factory A (security version 0 < 2): B primary and
# good, A bad. After the rollback and the fall-back of A: the same, and
# systemd-boot's entry of A counts the one trial boot it had (+0-1).
declare -A WANT_B=(
  [grub]='A_OK=0 A_TRY=0 B_OK=1 B_TRY=0 ORDER=B A '
  [uboot]='BOOT_A_LEFT=0 BOOT_A_OK=0 BOOT_B_LEFT=0 BOOT_B_OK=1 BOOT_ORDER=B A '
  [systemd-boot]='gatewarden-a+0-0.conf gatewarden-b.conf default=gatewarden-b[.+]*'
)
declare -A WANT_B_AFTER_TRIAL=(
  [grub]=${WANT_B[grub]} [uboot]=${WANT_B[uboot]}
  [systemd-boot]='gatewarden-a+0-1.conf gatewarden-b.conf default=gatewarden-b[.+]*'
)

flow() {   # KIND INDEX
  local k=$1 i=$2 dev=$GW_TMP/$1
  bl_factory "$k" "$dev/boot"
  swtpm_start || return 1
  uf_device "$dev" "$k" "$P" "$C" "$(printf '0x018002%d0' "$i")" "$(printf '0x018002%d1' "$i")"
  check "$k-provision" ga provision
  expect_eq "$k-factory-boots-A" "$(power_on)" A
  expect_exit -n "$k-factory-boot" 0 ga boot
  expect_eq "$k-trust-root-record" "$(log_count "trust root sha256:$root_digest")" 1

  # install -> reboot -> trial -> checks pass -> commit
  expect_exit -n "$k-install-b2" 0 ga update install --no-progress "$UF_REL/b2.gwb"
  expect_eq "$k-staged-record" "$(log_count "update staged B version 2.0 manifest sha256:$m2")" 1
  expect_eq "$k-trial-boots-B" "$(power_on)" B
  expect_output_contains -n "$k-cmdline-says-B" 'gatewarden\.slot=B' "$cmdline"
  expect_exit -n "$k-trial-commits" 0 ga boot
  expect_output_contains -n "$k-health-ran" 'health check app .*passed' "$GW_STDOUT"
  expect_eq "$k-counter-at-2" "$(counter_sv)" 2
  expect_eq "$k-running-record" "$(log_count "update running B version 2.0 manifest sha256:$m2")" 1
  expect_eq "$k-committed-record" "$(log_count "update committed B version 2.0 manifest sha256:$m2")" 1
  check "$k-commit-replays" replays
  expect_eq "$k-committed-state" "$(bl_state)" "${WANT_B[$k]}"
  expect_eq "$k-no-reboot-on-commit" "$(reboots)" 0
  expect_eq "$k-committed-boots-B" "$(power_on)" B
  expect_exit -n "$k-boot-after-commit" 0 ga boot
  expect_eq "$k-no-second-commit" "$(log_count "update committed B version 2.0 manifest sha256:$m2")" 0

  # install -> failing health check -> rollback
  expect_exit -n "$k-install-b3" 0 ga update install --no-progress "$UF_REL/b3.gwb"
  echo 1 >"$dev/verdict"
  expect_eq "$k-b3-trial-boots-A" "$(power_on)" A
  expect_exit -n "$k-failed-check-rolls-back" 40 ga boot
  expect_output_contains -n "$k-names-the-check" 'health check app failed' "$GW_STDOUT"
  expect_eq "$k-reboot-command-run" "$(reboots)" 1
  expect_eq "$k-counter-unchanged-by-rollback" "$(counter_sv)" 2
  echo 0 >"$dev/verdict"
  expect_eq "$k-rollback-boots-B" "$(power_on)" B
  expect_exit -n "$k-boot-after-rollback" 0 ga boot
  expect_eq "$k-rolled-back-record" "$(log_count "update rolled-back A version 3.0 manifest sha256:$m3")" 1
  expect_eq "$k-no-commit-of-b3" "$(log_count "update committed A version 3.0 manifest sha256:$m3")" 0
  check "$k-rollback-replays" replays
  expect_eq "$k-rolled-back-state" "$(bl_state)" "${WANT_B_AFTER_TRIAL[$k]}"

  # a trial nobody answers: the tries run out, the bootloader falls back itself
  expect_exit -n "$k-install-b4" 0 ga update install --no-progress "$UF_REL/b4.gwb"
  expect_eq "$k-b4-trial-boots-A" "$(power_on)" A
  note "$k: the trial boot of A hangs before gwagent boot: no verdict"
  expect_eq "$k-falls-back-to-B" "$(power_on)" B
  expect_exit -n "$k-boot-after-fall-back" 0 ga boot
  expect_eq "$k-fell-back-record" "$(log_count "update fell-back A version 4.0 manifest sha256:$m4")" 1
  expect_eq "$k-counter-unchanged-by-fall-back" "$(counter_sv)" 2
  check "$k-fell-back-replays" replays
  expect_eq "$k-fell-back-state" "$(bl_state)" "${WANT_B_AFTER_TRIAL[$k]}"
  expect_eq "$k-fell-back-stays-B" "$(power_on)" B
  expect_eq "$k-reboots-in-all" "$(reboots)" 1
  swtpm_stop
}

i=0
for k in grub uboot systemd-boot; do
  i=$((i + 1))
  flow "$k" "$i"
done
