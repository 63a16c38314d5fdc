#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs the gateway VM scenarios (swtpm-tests/vm/t_*.sh) after building (or finding
# cached) the VM image: swtpm-tests/run.sh runs them one at a time, with their
# own time limits ("# scenario-timeout:"), and fails any that leave a process or a
# temporary directory behind.
#
# usage: swtpm-tests/vm/run.sh BUILD_DIR [SCENARIO...]
# env:   GW_RESULTS=FILE  "PASSED FAILED" (default BUILD_DIR/test-results/vm.counts)
# Logs: BUILD_DIR/test-results/vm/ (NAME.log, build.log, boot-times, and logs/ with
# the console, relay and swtpm logs of a VM whose scenario failed). Last line:
# "vm: N passed, N failed"; non-zero exit if any failed.
set -uo pipefail

[ $# -ge 1 ] || { echo "usage: $0 BUILD_DIR [SCENARIO...]" >&2; exit 2; }
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mkdir -p "$1/test-results"
build=$(cd "$1" && pwd)
shift
results=${GW_RESULTS:-$build/test-results/vm.counts}
outdir=$build/test-results/vm
logs=$build/test-results/vm-logs
rm -rf "$logs"
mkdir -p "$logs"

t0=$(date +%s)
if img=$("$here/build.sh" "$build" 2>"$logs/build.log"); then
  echo "PASS: vm/image ($(($(date +%s) - t0)) s: $(tail -n 1 "$logs/build.log"))"
else
  echo "FAIL: vm/image: swtpm-tests/vm/build.sh failed"
  sed 's/^/  | /' "$logs/build.log" | tail -n 20
  printf '0 1\n' >"$results"
  echo "vm: 0 passed, 1 failed"
  exit 1
fi

scenarios=()
for s in "$@"; do
  case $s in */*|*.sh) scenarios+=("$s") ;; *) scenarios+=("$here/t_${s#t_}.sh") ;; esac
done
[ $# -gt 0 ] || scenarios=("$here"/t_*.sh)
export GW_VM_IMAGE=$img GW_VM_LOGS=$logs GW_VM_TIMES=$logs/boot-times
counts=$logs/scenarios.counts
GW_OUTNAME=vm SWTPM_JOBS=1 GW_RESULTS=$counts "$here/../run.sh" "$build" "${scenarios[@]}"
read -r p f <"$counts" 2>/dev/null || { p=0 f=1; }
[ -s "$logs/boot-times" ] && sed 's/^/# /' "$logs/boot-times"
echo "# vm logs: $outdir/, $logs/"
printf '%d %d\n' $((p + 1)) "$f" >"$results"
echo "vm: $((p + 1)) passed, $f failed"
[ "$f" -eq 0 ]
