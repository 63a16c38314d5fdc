#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `make demo-vm`: issue 12's scenarios 1-3 on the gateway VM (real OVMF, GRUB, a
# Debian kernel, swtpm as the TPM, under QEMU/TCG), narrated as they run. It runs
# the scenarios themselves (swtpm-tests/vm/run.sh: every check of `make vm-check`)
# and shows their narration lines ("# NAME: > ...", vmlib.sh's vm_tell) in plain
# words, then the result. Bounded: GW_DEMO_VM_TIMEOUT seconds (default 1800).
set -uo pipefail

B=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
case $B in /*) ;; *) B=$ROOT/$B ;; esac
limit=${GW_DEMO_VM_TIMEOUT:-1800}
scenarios=(vm_first_boot vm_update)

bold=$(tput bold 2>/dev/null || true)
norm=$(tput sgr0 2>/dev/null || true)
work=$(mktemp -d /tmp/gatewarden-demo-vm.XXXXXX)
run_pid=
cleanup() {
  # run.sh runs in a process group of its own (setsid): stopping the group stops
  # the scenario, which stops its QEMU, swtpm and verifier.
  if [ -n "$run_pid" ] && kill -0 "$run_pid" 2>/dev/null; then
    kill -TERM -- "-$run_pid" 2>/dev/null
    wait "$run_pid" 2>/dev/null
  fi
  rm -rf "$work"
}
trap cleanup EXIT

printf '%sGatewarden on real firmware: a gateway VM boots, enrolls, updates and rolls back%s\n' \
  "$bold" "$norm"
cat <<'EOF'
What is real: QEMU's q35 machine (no KVM: emulated, so each boot takes 30-60 s),
the OVMF UEFI firmware and GRUB measuring every boot into a software TPM (swtpm),
a Debian kernel, and the gateway's own gwagent inside it: boot service, attestation,
downloads, the TPM unwrapping each release's key, installs into slot groups A and B,
and GRUB's boot counting. The verifier runs on this machine on 127.0.0.1; the VM has
no network and reaches it through a serial channel. About 12 minutes.
EOF

for s in "${scenarios[@]}"; do rm -f "$B/test-results/vm/$s.log"; done
setsid swtpm-tests/vm/run.sh "$B" "${scenarios[@]}" >"$work/run.log" 2>&1 &
run_pid=$!

declare -A titled=() count=() titles=([vm_first_boot]="Scenario 1: first boot, enrollment, a policy from this boot, attestation"
  [vm_update]="Scenarios 2, 3 and 5: an encrypted update, a failed health check, a kernel panic, a downgrade, a tampered kernel")
# show: the narration lines (and failed checks) of each scenario's log not shown
# yet; a line still being written is left for the next call.
show() {
  local s log i line
  for s in "${scenarios[@]}"; do
    log=$B/test-results/vm/$s.log
    [ -s "$log" ] || continue
    if [ -z "${titled[$s]:-}" ]; then
      printf '\n%s%s%s\n' "$bold" "${titles[$s]}" "$norm"
      titled[$s]=1
    fi
    i=0
    while IFS= read -r line; do
      i=$((i + 1))
      [ "$i" -le "${count[$s]:-0}" ] && continue
      case $line in
        "# $s: > "*) printf '  %s\n' "${line#"# $s: > "}" ;;
        FAIL:*) printf '  %sa check failed:%s %s\n' "$bold" "$norm" "${line#FAIL: }" ;;
      esac
    done <"$log"
    count[$s]=$i
  done
}

t0=$(date +%s)
while kill -0 "$run_pid" 2>/dev/null; do
  show
  if [ $(($(date +%s) - t0)) -gt "$limit" ]; then
    printf '\nThe demo ran out of its %d s; stopping.\n' "$limit" >&2
    exit 1
  fi
  sleep 2
done
wait "$run_pid"
rc=$?
run_pid=
show
printf '\n%sResult%s (%d s): %s\n' "$bold" "$norm" $(($(date +%s) - t0)) "$(tail -n 1 "$work/run.log")"
printf 'Every check and boot: %s/test-results/vm/; boot times: %s/test-results/vm-logs/boot-times\n' \
  "$B" "$B"
exit "$rc"
