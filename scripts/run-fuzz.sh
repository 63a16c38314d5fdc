#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Smoke-runs libFuzzer targets for a few seconds each, on a scratch copy of their
# seed corpus, and counts one pass or one failure per target.
#
# usage: scripts/run-fuzz.sh FUZZ_BUILD_DIR FUZZ_BIN...
# env:   FUZZ_SECONDS=S   time per target (default 10)
#        FUZZ_JOBS=N      targets at once (default 2)
#        FUZZ_MAX_LEN=B   largest input (default 1048576)
#        GW_RESULTS=FILE  where to write "PASSED FAILED" (default
#                         FUZZ_BUILD_DIR/test-results/fuzz.counts)
# Seeds: fuzz/corpus/<binary name>/ or fuzz/corpus/<name without fuzz_>/. They
# are copied to FUZZ_BUILD_DIR/corpus-run/<name>/ so the committed corpus is never
# written to. A crash, leak, timeout or OOM makes libFuzzer exit non-zero: the
# target fails, its log is shown, and the reproducer is kept in
# FUZZ_BUILD_DIR/artifacts/<name>/. Last line: "fuzz: N passed, N failed".
set -uo pipefail

if [ $# -lt 1 ]; then
  echo "usage: $0 FUZZ_BUILD_DIR FUZZ_BIN..." >&2
  exit 2
fi
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mkdir -p "$1/test-results"
fbuild=$(cd "$1" && pwd)
shift
results=${GW_RESULTS:-$fbuild/test-results/fuzz.counts}
secs=${FUZZ_SECONDS:-10}
jobs=${FUZZ_JOBS:-2}
maxlen=${FUZZ_MAX_LEN:-1048576}
logdir=$fbuild/test-results/fuzz
mkdir -p "$logdir"

# Leaks fail the target; a report names the input that caused it.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

passed=0
failed=0
bad=()

finish() {    # NAME STATUS
  local name=$1 rc=$2 log=$logdir/$1.log
  if [ "$rc" -eq 0 ]; then
    passed=$((passed + 1))
    echo "fuzz: $name: ok ($(grep -aoE 'Done [0-9]+ runs in [0-9]+ second' "$log" | tail -n 1 || true))"
    return
  fi
  failed=$((failed + 1))
  bad+=("$name")
  echo "fuzz: $name: FAILED (exit status $rc); log follows (last 80 lines)"
  tail -n 80 "$log" | sed 's/^/  | /'
  local a
  for a in "$fbuild/artifacts/$name"/*; do
    [ -e "$a" ] && echo "fuzz: $name: reproducer $a  (run: $fbuild/$name $a)"
  done
}

declare -A running=()
reap_one() {
  local pid rc
  wait -n -p pid "${!running[@]}"
  rc=$?
  finish "${running[$pid]}" "$rc"
  unset "running[$pid]"
}

cd "$root" || exit 2
for bin in "$@"; do
  name=$(basename "$bin")
  if [ ! -x "$bin" ] || [ -d "$bin" ]; then
    echo "fuzz: $name: not an executable file"
    failed=$((failed + 1))
    bad+=("$name")
    continue
  fi
  work=$fbuild/corpus-run/$name
  art=$fbuild/artifacts/$name
  rm -rf "$work" "$art"
  mkdir -p "$work" "$art"
  for seeds in "fuzz/corpus/$name" "fuzz/corpus/${name#fuzz_}"; do
    if [ -d "$seeds" ]; then
      cp -R "$seeds/." "$work/"
      break
    fi
  done
  while [ ${#running[@]} -ge "$jobs" ]; do
    reap_one
  done
  echo "fuzz: $name: running ${secs}s on $(find "$work" -type f | wc -l) seed(s)"
  # -timeout: one input taking this long is a hang; the outer timeout bounds the
  # whole run if the target wedges libFuzzer itself.
  timeout -k 10 $((secs + 120)) "$bin" \
    -max_total_time="$secs" -max_len="$maxlen" -timeout=25 -rss_limit_mb=2048 \
    -artifact_prefix="$art/" -print_final_stats=1 "$work" \
    </dev/null >"$logdir/$name.log" 2>&1 &
  running[$!]=$name
done
while [ ${#running[@]} -gt 0 ]; do
  reap_one
done

printf '%d %d\n' "$passed" "$failed" >"$results"
if [ ${#bad[@]} -gt 0 ]; then
  echo "fuzz: failing targets: ${bad[*]}"
fi
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
