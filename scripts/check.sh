#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# What `make check` runs once everything is built: unit tests, swtpm scenarios and
# a fuzz smoke run, then one total.
#
# usage: scripts/check.sh BUILD_DIR FUZZ_BUILD_DIR [--no-fuzz]
# env:   VALGRIND=1 runs the unit tests (and gwagent/gwverifier in scenarios)
#        under valgrind; FUZZ_SECONDS, SCENARIO_TIMEOUT etc. go to the runners.
# The last line is exactly "N passed, N failed"; the exit status is non-zero if
# anything failed or if no test ran at all.
set -uo pipefail

if [ $# -lt 2 ]; then
  echo "usage: $0 BUILD_DIR FUZZ_BUILD_DIR [--no-fuzz]" >&2
  exit 2
fi
build=$1
fbuild=$2
fuzz=1
[ "${3:-}" = --no-fuzz ] && fuzz=0
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root" || exit 2
export VALGRIND=${VALGRIND:-0}

counts=$(mktemp -d "${TMPDIR:-/tmp}/gw-check.XXXXXX")
trap 'rm -rf "$counts"' EXIT

total_p=0
total_f=0
summary=()

# section NAME COUNTS_FILE STATUS: add a runner's counts to the total. A runner
# that failed without writing counts (it crashed) counts as one failure.
section() {
  local name=$1 file=$2 rc=$3 p=0 f=0
  if [ -s "$file" ]; then
    read -r p f <"$file"
  fi
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
    f=1
  fi
  total_p=$((total_p + p))
  total_f=$((total_f + f))
  summary+=("$(printf '  %-6s %4d passed, %d failed' "$name" "$p" "$f")")
}

vg=
[ "$VALGRIND" = 1 ] && vg=" (valgrind)"
echo "=== check: the repository stands alone"
GW_RESULTS=$counts/standalone scripts/check-standalone.sh
section tree "$counts/standalone" $?

echo "=== check: unit tests$vg"
# Every */tests/test_*.c is a test binary: each must be built and run. A binary
# in the build directory whose source is gone is not run; one that was not built
# counts as a failure.
tests=()
missing=0
for src in */tests/test_*.c; do
  [ -e "$src" ] || continue
  bin=$build/${src%.c}
  if [ -x "$bin" ]; then
    tests+=("$bin")
  else
    echo "FAIL: unit test $bin was not built (source $src)"
    missing=$((missing + 1))
  fi
done
if [ ${#tests[@]} -gt 0 ]; then
  GW_RESULTS=$counts/unit scripts/run-unit.sh "$build" "${tests[@]}"
  section unit "$counts/unit" $?
else
  echo "check: no unit test binaries under $build"
  section unit /dev/null 0
fi
if [ "$missing" -gt 0 ]; then
  echo "0 $missing" >"$counts/unbuilt"
  section unbuilt "$counts/unbuilt" 1
fi

echo "=== check: swtpm scenarios"
GW_RESULTS=$counts/swtpm swtpm-tests/run.sh "$build"
section swtpm "$counts/swtpm" $?

# The gateway VM runs the guest's gwagent inside QEMU, where valgrind cannot follow.
if [ "$VALGRIND" != 1 ]; then
  echo "=== check: gateway VM scenarios (QEMU, OVMF, GRUB, swtpm)"
  GW_RESULTS=$counts/vm swtpm-tests/vm/run.sh "$build"
  section vm "$counts/vm" $?
fi

if [ "$fuzz" = 1 ]; then
  echo "=== check: fuzz smoke (${FUZZ_SECONDS:-10}s per target)"
  # One target per fuzz/*.c: a binary left in the build directory by a removed
  # target is not run, and a target that failed to build counts as a failure.
  fuzzers=()
  for src in fuzz/fuzz_*.c; do
    [ -e "$src" ] && fuzzers+=("$fbuild/$(basename "$src" .c)")
  done
  if [ ${#fuzzers[@]} -gt 0 ]; then
    GW_RESULTS=$counts/fuzz scripts/run-fuzz.sh "$fbuild" "${fuzzers[@]}"
    section fuzz "$counts/fuzz" $?
  else
    echo "check: no fuzz targets under $fbuild"
    section fuzz /dev/null 0
  fi
fi

echo "=== check: summary"
printf '%s\n' "${summary[@]}"
status=0
if [ "$total_f" -gt 0 ]; then
  status=1
elif [ "$total_p" -eq 0 ]; then
  echo "check: no test ran"
  status=1
fi
echo "$total_p passed, $total_f failed"
exit "$status"
