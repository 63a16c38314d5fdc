#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs cmocka unit test binaries from the repo root and counts their results.
#
# usage: scripts/run-unit.sh BUILD_DIR TEST_BIN...
# env:   VALGRIND=1        run each binary under valgrind (errors and definite or
#                          indirect leaks fail the binary)
#        UNIT_TIMEOUT=S    per-binary time limit (default 300, 900 under valgrind)
#        GW_RESULTS=FILE   where to write "PASSED FAILED" (default
#                          BUILD_DIR/test-results/unit.counts)
# Counting: the binary's own "[  PASSED  ] N test(s)." and "[  FAILED  ] N test(s)"
# lines; a binary that exits non-zero without a FAILED line counts as 1 failed.
# Last line: "unit: N passed, N failed"; exit status non-zero if anything failed.
set -uo pipefail

if [ $# -lt 1 ]; then
  echo "usage: $0 BUILD_DIR TEST_BIN..." >&2
  exit 2
fi
build=$1
build_arg=${1%/}
shift

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mkdir -p "$build/test-results"
build=$(cd "$build" && pwd)
results=${GW_RESULTS:-$build/test-results/unit.counts}
logdir=$build/test-results/unit
mkdir -p "$logdir"

wrap=()
limit=${UNIT_TIMEOUT:-300}
if [ "${VALGRIND:-0}" = 1 ]; then
  if ! command -v valgrind >/dev/null 2>&1; then
    echo "unit: VALGRIND=1 but valgrind is not installed" >&2
    exit 2
  fi
  # shellcheck disable=SC2054 # commas are inside option values
  wrap=(valgrind --error-exitcode=99 --leak-check=full
        --errors-for-leak-kinds=definite,indirect --track-fds=no -q
        --suppressions="$root/scripts/valgrind.supp")
  limit=${UNIT_TIMEOUT:-900}
fi

# cmocka's default text output is what we parse; a caller's TAP/XML setting would
# hide the summary lines.
export CMOCKA_MESSAGE_OUTPUT=stdout
unset CMOCKA_XML_FILE

passed=0
failed=0
bad_bins=()
cd "$root" || exit 2

for bin in "$@"; do
  case $bin in /*) path=$bin ;; *) path=$root/$bin ;; esac
  name=${bin#"$build"/}
  name=${name#"$build_arg"/}
  log=$logdir/$(printf '%s' "$name" | tr '/' '_').log
  echo "=== unit: $name${wrap:+ (valgrind)}"
  if [ ! -x "$path" ]; then
    echo "unit: $name: not an executable file"
    failed=$((failed + 1))
    bad_bins+=("$name (missing)")
    continue
  fi
  timeout -k 10 "$limit" "${wrap[@]}" "$path" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}

  p=$(sed -nE 's/^\[  PASSED  \] ([0-9]+) test\(s\)\..*/\1/p' "$log" | awk '{s += $1} END {print s + 0}')
  f=$(sed -nE 's/^\[  FAILED  \] ([0-9]+) test\(s\).*/\1/p' "$log" | awk '{s += $1} END {print s + 0}')
  passed=$((passed + p))
  failed=$((failed + f))
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
    failed=$((failed + 1))
    case $rc in
      124|137) why="timed out after ${limit}s" ;;
      99) why="valgrind reported errors or leaks" ;;
      *) why="exit status $rc" ;;
    esac
    echo "unit: $name: $why"
    bad_bins+=("$name ($why)")
  elif [ "$f" -gt 0 ]; then
    bad_bins+=("$name ($f failed)")
  elif [ "$rc" -eq 0 ] && [ "$p" -eq 0 ]; then
    echo "unit: $name: warning: exited 0 but reported no tests"
  fi
done

printf '%d %d\n' "$passed" "$failed" >"$results"
if [ ${#bad_bins[@]} -gt 0 ]; then
  echo "unit: failing binaries:"
  printf '  %s\n' "${bad_bins[@]}"
fi
echo "unit: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
