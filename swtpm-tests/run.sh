#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs every swtpm-tests/t_*.sh scenario, two at a time, each with its own swtpm
# and a time limit, and counts their PASS:/FAIL: lines.
#
# usage: swtpm-tests/run.sh BUILD_DIR [SCENARIO...]
#   SCENARIO: t_name.sh paths or bare names ("harness"); default: all t_*.sh
# env:   SWTPM_JOBS=N       scenarios at once (default 2)
#        SCENARIO_TIMEOUT=S per-scenario time limit (default 300; a scenario may
#                           declare a longer one: "# scenario-timeout: S"); under
#                           VALGRIND=1 the default is 1200 and a scenario's own x4
#        GW_RESULTS=FILE    where to write "PASSED FAILED" (default
#                           BUILD_DIR/test-results/swtpm.counts)
#        GW_OUTNAME=NAME    logs in BUILD_DIR/test-results/NAME, temp dirs in
#                           .../NAME-tmp (default swtpm; swtpm-tests/vm/run.sh: vm)
#        VALGRIND, GW_TESTDATA, GW_BANKS, GW_KEEP_TMP: passed to the scenarios
# A scenario that exits non-zero without a FAIL: line, or times out, counts as one
# failure. Last line: "swtpm: N passed, N failed"; non-zero exit if any failed.
set -uo pipefail

if [ $# -lt 1 ]; then
  echo "usage: $0 BUILD_DIR [SCENARIO...]" >&2
  exit 2
fi
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
mkdir -p "$1/test-results"
build=$(cd "$1" && pwd)
shift
results=${GW_RESULTS:-$build/test-results/swtpm.counts}
jobs=${SWTPM_JOBS:-2}
limit=${SCENARIO_TIMEOUT:-300}
vg_scale=1
if [ "${VALGRIND:-0}" = 1 ]; then
  limit=${SCENARIO_TIMEOUT:-1200}
  vg_scale=4
fi
outdir=$build/test-results/${GW_OUTNAME:-swtpm}
tmproot=$build/test-results/${GW_OUTNAME:-swtpm}-tmp
rm -rf "$outdir" "$tmproot"
mkdir -p "$outdir" "$tmproot" "$tmproot/ports"
# The ports handed out in this run (lib.sh's port_claim): scenarios running at
# once never pick the same one.
export GW_PORT_CLAIMS=$tmproot/ports

scenarios=()
if [ $# -gt 0 ]; then
  for s in "$@"; do
    case $s in
      */*|*.sh) scenarios+=("$s") ;;
      *) scenarios+=("$here/t_${s#t_}.sh") ;;
    esac
  done
else
  for s in "$here"/t_*.sh; do
    [ -e "$s" ] && scenarios+=("$s")
  done
fi

passed=0
failed=0
bad=()

# swtpm_setup --create-ek-cert creates swtpm's local CA on first use; on a fresh
# machine, scenarios running in parallel would race to create it. Create it once
# here, before any scenario starts.
if [ ! -s /var/lib/swtpm-localca/issuercert.pem ] && command -v swtpm_setup >/dev/null; then
  warm=$(mktemp -d)
  swtpm_setup --tpm2 --tpmstate "$warm" --create-ek-cert --overwrite >/dev/null 2>&1 ||
    echo "swtpm: warning: creating swtpm's local CA failed" >&2
  rm -rf "$warm"
fi

# Pids of any process whose command line mentions DIR (a scenario's swtpm that
# survived it: only possible if the scenario was killed with SIGKILL).
leftovers() {
  local dir=$1 p cmd
  for p in /proc/[0-9]*; do
    cmd=$( { tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null) || continue
    case $cmd in *"$dir"*) echo "${p#/proc/}" ;; esac
  done
}

finish() {    # NAME STATUS: report one finished scenario and count it
  local name=$1 rc=$2 log=$outdir/$1.log p f pids
  cat "$log"
  p=$(grep -c '^PASS: ' "$log")
  f=$(grep -c '^FAIL: ' "$log")
  if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    why="timed out (after SCENARIO_TIMEOUT=${limit}s, or its own scenario-timeout)"
    [ "$rc" -eq 124 ] || why="killed by SIGKILL (timed out and ignored SIGTERM, or killed)"
    if [ "$f" -eq 0 ]; then
      echo "FAIL: $name/timeout: $why"
      f=$((f + 1))
    else
      echo "# $name: $why"
    fi
  elif [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
    echo "FAIL: $name/exit: exit status $rc without a FAIL line"
    f=$((f + 1))
  elif [ "$rc" -eq 0 ] && [ "$f" -gt 0 ]; then
    echo "FAIL: $name/exit: FAIL lines but exit status 0"
    f=$((f + 1))
  fi
  pids=$(leftovers "$tmproot/$name/" | tr '\n' ' ')
  if [ -n "$pids" ]; then
    echo "FAIL: $name/leftover-processes: still running after the scenario: $pids"
    f=$((f + 1))
    # shellcheck disable=SC2086
    kill -KILL $pids 2>/dev/null
  fi
  if [ -n "$(ls -A "$tmproot/$name" 2>/dev/null)" ] && [ "${GW_KEEP_TMP:-0}" != 1 ]; then
    echo "FAIL: $name/leftover-files: temp files left in $tmproot/$name"
    f=$((f + 1))
  fi
  passed=$((passed + p))
  failed=$((failed + f))
  [ "$f" -eq 0 ] || bad+=("$name")
  echo "--- swtpm: $name done (exit $rc, $p PASS, $f FAIL)"
}

declare -A running=()   # pid -> scenario name
reap_one() {
  local pid rc
  wait -n -p pid "${!running[@]}"
  rc=$?
  finish "${running[$pid]}" "$rc"
  unset "running[$pid]"
}

export GW_BIN=$build
GW_TESTDATA=${GW_TESTDATA:-$root/testdata}
export GW_TESTDATA

for s in "${scenarios[@]}"; do
  name=$(basename "$s" .sh)
  name=${name#t_}
  if [ ! -f "$s" ]; then
    echo "FAIL: $name/missing: no such scenario $s"
    failed=$((failed + 1))
    bad+=("$name")
    continue
  fi
  while [ ${#running[@]} -ge "$jobs" ]; do
    reap_one
  done
  mkdir -p "$tmproot/$name"
  echo "--- swtpm: $name started"
  # A scenario may declare a longer limit of its own ("# scenario-timeout: S"),
  # never a shorter one than SCENARIO_TIMEOUT.
  own=$(sed -n 's/^# scenario-timeout: \([0-9][0-9]*\)$/\1/p' "$s" | head -1)
  slimit=$limit
  [ -n "$own" ] && own=$((own * vg_scale))
  [ -n "$own" ] && [ "$own" -gt "$limit" ] && slimit=$own
  (
    cd "$root" || exit 2
    exec env SCENARIO="$name" GW_TMPROOT="$tmproot/$name" \
      timeout -k 30 "$slimit" bash "$s" </dev/null >"$outdir/$name.log" 2>&1
  ) &
  running[$!]=$name
done
while [ ${#running[@]} -gt 0 ]; do
  reap_one
done
[ "${GW_KEEP_TMP:-0}" = 1 ] || rm -rf "$tmproot"

printf '%d %d\n' "$passed" "$failed" >"$results"
if [ ${#bad[@]} -gt 0 ]; then
  echo "swtpm: failing scenarios: ${bad[*]}"
fi
echo "swtpm: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
