#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The bootloader's side of each backend, for the scenarios: one power-on. It does
# what the snippet in doc/updates.md ("Bootloaders") does at boot, with the real
# tools on the real state (grub-editenv on the grubenv file, fw_printenv and
# fw_setenv on the file-backed redundant U-Boot environment, renames of the
# systemd-boot entries as systemd-boot does them), writes the kernel command line
# the booted entry gets, and prints the group it booted.
#
# usage: swtpm-tests/bootsim.sh KIND PATH CMDLINE [PREFIX]
#   KIND     file | grub | uboot | systemd-boot
#   PATH     the backend's path ([update] bootloader_path)
#   CMDLINE  the file to write the booted command line to
#   PREFIX   systemd-boot entry prefix (default gatewarden-)
# env: GW_BIN (the file backend runs $GW_BIN/tools/gw-bootsim boot)
# Exit: 0 booted (the group on stdout), 2 usage, 5 nothing may boot, 1 a tool failed.
set -euo pipefail

usage() { sed -n '9,16p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
[ $# -ge 3 ] && [ $# -le 4 ] || usage
kind=$1 path=$2 cmdline=$3 prefix=${4:-gatewarden-}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bin=${GW_BIN:-$here/../build}

die() { echo "bootsim: $*" >&2; exit 1; }
none() { echo "bootsim: $kind: no slot group may boot" >&2; exit 5; }

# The snippets' variables start from these defaults, then the environment's values.
declare -A v

# decide OK_A OK_B TRY_A TRY_B ORDER: the grub and U-Boot snippets' rule. Sets
# slot and, when a try was spent, try_var/try_val.
decide() {
  local s
  slot= try_var= try_val=
  for s in ${v[ORDER]}; do
    if [ "${v[${s}_TRY]}" != 0 ]; then
      slot=$s try_var=${s}_TRY try_val=$((v[${s}_TRY] - 1))
      return 0
    fi
  done
  for s in ${v[ORDER]}; do
    if [ "${v[${s}_OK]}" = 1 ]; then
      slot=$s
      return 0
    fi
  done
  return 1
}

write_cmdline() {   # GROUP [OPTIONS]
  printf 'BOOT_IMAGE=/%s/vmlinuz ro %s\n' "$1" "${2:-gatewarden.slot=$1}" >"$cmdline.new"
  mv "$cmdline.new" "$cmdline"
}

boot_grub() {
  local line name
  command -v grub-editenv >/dev/null || die "grub-editenv is not installed"
  [ -e "$path" ] || grub-editenv "$path" create
  v=([ORDER]="A B" [A_OK]=1 [B_OK]=0 [A_TRY]=0 [B_TRY]=0)
  while IFS= read -r line; do
    name=${line%%=*}
    case $name in ORDER|A_OK|B_OK|A_TRY|B_TRY) v[$name]=${line#*=} ;; esac
  done < <(grub-editenv "$path" list)
  decide || none
  # save_env: grub itself rewrites the block in place.
  if [ -n "$try_var" ]; then grub-editenv "$path" set "$try_var=$try_val"; fi
  write_cmdline "$slot"
}

boot_uboot() {
  local line name def
  command -v fw_printenv >/dev/null || die "fw_printenv is not installed"
  # An empty default environment: neither copy valid is a fresh device.
  def=$(mktemp)
  v=([ORDER]="A B" [A_OK]=1 [B_OK]=0 [A_TRY]=0 [B_TRY]=0)
  while IFS= read -r line; do
    name=${line%%=*}
    case $name in
      BOOT_ORDER|BOOT_A_OK|BOOT_B_OK) v[${name#BOOT_}]=${line#*=} ;;
      BOOT_A_LEFT|BOOT_B_LEFT) name=${name#BOOT_}; v[${name%_LEFT}_TRY]=${line#*=} ;;
    esac
  done < <(fw_printenv -c "$path" -f "$def" 2>/dev/null)
  decide || { rm -f "$def"; none; }
  # setexpr BOOT_x_LEFT ${BOOT_x_LEFT} - 1; saveenv
  if [ -n "$try_var" ]; then
    fw_setenv -c "$path" -f "$def" "BOOT_${try_var%_TRY}_LEFT" "$try_val"
  fi
  rm -f "$def"
  write_cmdline "$slot"
}

# systemd-boot: our entries (others are not this test's), those with no tries left
# last, then by id descending; loader.conf's last `default` pattern picks the first
# match, else the first entry; a counted entry is renamed +LEFT-1-DONE+1 first.
boot_sdboot() {
  local dir=$path/loader/entries conf=$path/loader/loader.conf f id pat= pick=
  local good=() bad=() re left done g opts
  re="^${prefix}([ab])(\\+([0-9]+)(-([0-9]+))?)?\\.conf\$"
  for f in "$dir"/*.conf; do
    [ -f "$f" ] || continue
    id=$(basename "$f" | tr 'A-Z' 'a-z')
    [[ $id =~ $re ]] || continue
    if [ "${BASH_REMATCH[3]:-x}" = 0 ]; then bad+=("$id"); else good+=("$id"); fi
  done
  [ -f "$conf" ] && pat=$(sed -nE 's/^[[:space:]]*default[[:space:]]+"?([^"[:space:]]*)"?[[:space:]]*$/\1/p' "$conf" | tail -n 1)
  mapfile -t good < <(printf '%s\n' "${good[@]}" | sed '/^$/d' | sort -r)
  mapfile -t bad < <(printf '%s\n' "${bad[@]}" | sed '/^$/d' | sort -r)
  local all=("${good[@]}" "${bad[@]}")
  [ ${#all[@]} -gt 0 ] || none
  if [ -n "$pat" ]; then
    for id in "${all[@]}"; do
      # shellcheck disable=SC2053 # the pattern is a glob, as in systemd-boot
      if [[ $id == $pat ]]; then pick=$id; break; fi
    done
  fi
  [ -n "$pick" ] || pick=${all[0]}
  [[ $pick =~ $re ]]
  g=${BASH_REMATCH[1]}
  if [ -n "${BASH_REMATCH[2]}" ]; then
    left=$((10#${BASH_REMATCH[3]})) done=$((10#${BASH_REMATCH[5]:-0}))
    [ "$left" -gt 0 ] && left=$((left - 1))
    f="$dir/${prefix}${g}+${left}-$((done + 1)).conf"
    mv "$dir/$pick" "$f"
    sync "$dir"
  else
    f=$dir/$pick
  fi
  opts=$(sed -nE 's/^options[[:space:]]+//p' "$f" | tr '\n' ' ')
  write_cmdline "$(tr 'ab' 'AB' <<<"$g")" "$opts"
  slot=$(tr 'ab' 'AB' <<<"$g")
}

case $kind in
  file)
    "$bin/tools/gw-bootsim" --kind file --path "$path" --cmdline "$cmdline" boot
    exit $? ;;
  grub) boot_grub ;;
  uboot) boot_uboot ;;
  systemd-boot) boot_sdboot ;;
  *) usage ;;
esac
echo "$slot"
