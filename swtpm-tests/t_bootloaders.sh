#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Every bootloader backend against its real boot side (swtpm-tests/bootsim.sh:
# grub-editenv on a grubenv file, fw_printenv/fw_setenv on a file-backed redundant
# U-Boot environment, systemd-boot's renames in a temporary ESP, the simulated
# bootloader): the agent's orders through gw-bootsim, then power-ons. trial ->
# boot -> mark good (commit); trial -> boot -> mark bad -> the primary boots;
# tries spent -> the bootloader falls back by itself.
# shellcheck source=swtpm-tests/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=swtpm-tests/update_lib.sh
source "$(dirname "$0")/update_lib.sh"
require_cmd grub-editenv fw_printenv fw_setenv

bootsim=$GW_ROOT/swtpm-tests/bootsim.sh
tool=$GW_BIN/tools/gw-bootsim

ctl() { "$tool" --kind "$K" --path "$P" --cmdline "$C" "$@"; }

# order NAME ARGS...: one of the agent's orders, must succeed.
order() {
  local name=$1
  shift
  expect_exit -n "$K-$name" 0 ctl "$@"
}

# power_on NAME WANT: the bootloader boots, the booted group is WANT, and the
# agent reads the same from the command line the bootloader wrote.
power_on() {
  local name=$1 want=$2 got
  got=$("$bootsim" "$K" "$P" "$C" 2>"$GW_TMP/bootsim.err") ||
    { fail "$K-$name" "bootsim: $(cat "$GW_TMP/bootsim.err")"; return 1; }
  expect_eq "$K-$name-boots-$want" "$got" "$want"
  expect_eq "$K-$name-cmdline-says-$want" "$(ctl booted 2>&1)" "$want"
}

status_is() {   # NAME WANT
  expect_eq "$K-$1" "$(ctl status 2>&1)" "$2"
}

for K in file grub uboot systemd-boot; do
  bl_factory "$K" "$GW_TMP/$K"
  status_is factory "primary=A A=good B=bad"
  power_on factory A
  # install into B, trial, commit
  order good-A good A
  order bad-B bad B
  order trial-B trial B 2
  status_is trial-B "primary=A A=good B=trial:2"
  power_on trial-boot B
  status_is trial-B-one-left "primary=A A=good B=trial:1"
  order commit-B good B
  status_is committed-B "primary=B A=good B=good"
  power_on after-commit B
  power_on after-commit-again B
  # a trial of the primary is refused, nothing written
  expect_exit -n "$K-trial-of-primary-refused" 4 ctl trial B 1
  status_is unchanged "primary=B A=good B=good"
  # install into A, trial, failed health check: mark bad, back to B
  order bad-A bad A
  order trial-A trial A 3
  power_on rollback-trial-boot A
  order rollback-A bad A
  status_is rolled-back "primary=B A=bad B=good"
  power_on after-rollback B
  # install into A again, nobody marks it: the tries run out, B boots by itself
  order trial-A-again trial A 2
  power_on spent-1 A
  power_on spent-2 A
  power_on fell-back B
  status_is fell-back "primary=B A=bad B=good"
  power_on fell-back-stays B
done

# The state our writes leave is what the real tools read.
K=grub P=$GW_TMP/grub/grubenv
check grub-editenv-reads-our-block grub-editenv "$P" list
expect_output_contains -n grub-editenv-sees-ORDER '^ORDER=B A$'
expect_eq grub-block-is-1024-bytes "$(stat -c %s "$P")" 1024
# a write replaces the file (rename), never rewrites it in place
C=$GW_TMP/grub/cmdline
ino=$(stat -c %i "$P")
order write-replaces-file trial A 1
ino2=$(stat -c %i "$P")
order write-replaces-file-2 bad A
expect_ne grub-write-is-a-rename "$ino2" "$ino"
expect_ne grub-write-is-a-rename-2 "$(stat -c %i "$P")" "$ino2"

K=uboot P=$GW_TMP/uboot/fw_env.config C=$GW_TMP/uboot/cmdline
check fw_printenv-reads-our-env fw_printenv -c "$P"
expect_output_contains -n fw_printenv-sees-BOOT_ORDER '^BOOT_ORDER=B A$'
# a torn write of the copy being written leaves the other: the old state
cp "$GW_TMP/uboot/env1" "$GW_TMP/uboot/env1.before"
cp "$GW_TMP/uboot/env2" "$GW_TMP/uboot/env2.before"
order torn-write-trial trial A 2
for i in 1 2; do
  if ! cmp -s "$GW_TMP/uboot/env$i" "$GW_TMP/uboot/env$i.before"; then
    printf 'X' | dd of="$GW_TMP/uboot/env$i" bs=1 seek=64 conv=notrunc status=none
  fi
done
status_is torn-write-reads-old-copy "primary=B A=bad B=good"
power_on torn-write-boots-old B
# one copy only: refused
printf '%s 0x0 0x4000\n' "$GW_TMP/uboot/env1" >"$GW_TMP/uboot/single.config"
expect_exit -n uboot-single-copy-refused 1 "$tool" --kind uboot --path "$GW_TMP/uboot/single.config" status
expect_output_contains -n uboot-single-copy-says-redundant 'redundant environment'

K=systemd-boot P=$GW_TMP/systemd-boot/esp C=$GW_TMP/systemd-boot/cmdline
expect_eq sdboot-entries "$(cd "$P/loader/entries" && ls | tr '\n' ' ')" \
  "gatewarden-a+0-2.conf gatewarden-b.conf "
# after the spent trial the default still names A's trial, which matches nothing
expect_output_contains -n sdboot-loader-conf-trial-left '^default gatewarden-a\+\[1-9\]\*$' "$P/loader/loader.conf"
order fallen-back-marked-bad bad A
expect_output_contains -n sdboot-loader-conf-default '^default gatewarden-b\[\.\+\]\*$' "$P/loader/loader.conf"
expect_output_contains -n sdboot-loader-conf-keeps-timeout '^timeout 0$' "$P/loader/loader.conf"
# systemd's own parser reads our entries and counters (bootctl refuses a directory
# that is not a mount point: a bind mount of it onto itself, in a private mount
# namespace). GW_BOOTCTL picks the binary; Debian ships it in systemd-boot.
bootctl=${GW_BOOTCTL:-$(command -v bootctl || true)}
if [ -n "$bootctl" ] && [ "$(id -u)" = 0 ] && command -v unshare >/dev/null; then
  expect_exit -n sdboot-bootctl-lists-entries 0 unshare -m sh -c \
    'mount --bind "$1" "$1" && SYSTEMD_RELAX_ESP_CHECKS=1 "$2" --esp-path="$1" --no-variables list' \
    _ "$P" "$bootctl"
  expect_output_contains -n sdboot-bootctl-reads-b 'source: .*/gatewarden-b\.conf$'
  expect_output_contains -n sdboot-bootctl-reads-a-counter 'tries: 0 left; 2 done'
else
  skip sdboot-bootctl "bootctl is not installed (Debian: systemd-boot) or not root"
fi

# The C simulation and the real-tool side agree step by step on a fresh grubenv.
bl_factory grub "$GW_TMP/grub-cross"
K=grub P=$GW_TMP/grub-cross/grubenv C=$GW_TMP/grub-cross/cmdline
order cross-trial trial B 3
cp "$P" "$GW_TMP/grub-cross/copy"
for n in 1 2 3 4; do
  a=$("$bootsim" grub "$P" "$C")
  b=$("$tool" --kind grub --path "$GW_TMP/grub-cross/copy" --cmdline "$C.c" boot)
  expect_eq "grub-cross-boot-$n-same-group" "$a" "$b"
  expect_eq "grub-cross-boot-$n-same-state" "$(grub-editenv "$P" list)" \
    "$(grub-editenv "$GW_TMP/grub-cross/copy" list)"
done

# doc/updates.md's grub.cfg snippet is valid grub script.
sed -n '/^```grub$/,/^```$/p' "$GW_ROOT/doc/updates.md" | sed '1d;$d' >"$GW_TMP/snippet.cfg"
expect_gt grub-snippet-in-doc "$(wc -l <"$GW_TMP/snippet.cfg")" 20
check grub-snippet-script-check grub-script-check "$GW_TMP/snippet.cfg"
