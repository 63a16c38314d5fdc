#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs the gateway VM scenarios (swtpm-tests/vm/t_*.sh) one at a time after
# building (or finding cached) the VM image, and counts their PASS:/FAIL: lines.
#
# usage: swtpm-tests/vm/run.sh BUILD_DIR [SCENARIO...]
# env:   VM_SCENARIO_TIMEOUT=S  per-scenario limit (default 900)
#        GW_RESULTS=FILE        "PASSED FAILED" (default BUILD_DIR/test-results/vm.counts)
# Logs: BUILD_DIR/test-results/vm/NAME.log, boot times in .../vm/boot-times, the
# console, relay and swtpm logs of a failing scenario in .../vm/logs/. Last line:
# "vm: N passed, N failed"; non-zero exit if any failed.
set -uo pipefail

[ $# -ge 1 ] || { echo "usage: $0 BUILD_DIR [SCENARIO...]" >&2; exit 2; }
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
mkdir -p "$1/test-results"
build=$(cd "$1" && pwd)
shift
results=${GW_RESULTS:-$build/test-results/vm.counts}
limit=${VM_SCENARIO_TIMEOUT:-900}
outdir=$build/test-results/vm
tmproot=$build/test-results/vm-tmp
rm -rf "$outdir" "$tmproot"
mkdir -p "$outdir" "$tmproot"
passed=0
failed=0

t0=$(date +%s)
if img=$("$here/build.sh" "$build" 2>"$outdir/build.log"); then
  echo "PASS: vm/image ($(($(date +%s) - t0)) s: $(tail -n 1 "$outdir/build.log"))"
  passed=$((passed + 1))
else
  echo "FAIL: vm/image: swtpm-tests/vm/build.sh failed"
  sed 's/^/  | /' "$outdir/build.log" | tail -n 20
  printf '0 1\n' >"$results"
  echo "vm: 0 passed, 1 failed"
  exit 1
fi

scenarios=()
if [ $# -gt 0 ]; then
  for s in "$@"; do
    case $s in */*|*.sh) scenarios+=("$s") ;; *) scenarios+=("$here/t_${s#t_}.sh") ;; esac
  done
else
  for s in "$here"/t_*.sh; do [ -e "$s" ] && scenarios+=("$s"); done
fi

for s in "${scenarios[@]}"; do
  name=$(basename "$s" .sh)
  name=${name#t_}
  log=$outdir/$name.log
  mkdir -p "$tmproot/$name"
  echo "--- vm: $name started"
  start=$(date +%s)
  (cd "$root" && exec env SCENARIO="$name" GW_TMPROOT="$tmproot/$name" GW_BIN="$build" \
    GW_VM_IMAGE="$img" GW_VM_LOGS="$outdir/logs" GW_VM_TIMES="$outdir/boot-times" \
    timeout -k 30 "$limit" bash "$s" </dev/null >"$log" 2>&1)
  rc=$?
  cat "$log"
  p=$(grep -c '^PASS: ' "$log")
  f=$(grep -c '^FAIL: ' "$log")
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
    echo "FAIL: $name/exit: exit status $rc without a FAIL line (124: timed out after ${limit}s)"
    f=$((f + 1))
  fi
  if [ -n "$(ls -A "$tmproot/$name" 2>/dev/null)" ] && [ "${GW_KEEP_TMP:-0}" != 1 ]; then
    echo "FAIL: $name/leftover-files: temp files left in $tmproot/$name"
    f=$((f + 1))
  fi
  passed=$((passed + p))
  failed=$((failed + f))
  echo "--- vm: $name done (exit $rc, $p PASS, $f FAIL, $(($(date +%s) - start)) s)"
done
[ "${GW_KEEP_TMP:-0}" = 1 ] || rm -rf "$tmproot"
[ -s "$outdir/boot-times" ] && sed 's/^/# /' "$outdir/boot-times"
printf '%d %d\n' "$passed" "$failed" >"$results"
echo "vm: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
