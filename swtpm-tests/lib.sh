# shellcheck shell=bash
# SPDX-License-Identifier: Apache-2.0
# Library for swtpm scenario scripts: a private swtpm per scenario, cleanup that
# runs however the scenario ends, and checks that print PASS:/FAIL: lines.
#
# A scenario is swtpm-tests/t_<name>.sh:
#   #!/usr/bin/env bash
#   source "$(dirname "$0")/lib.sh"
#   swtpm_start
#   expect_exit 0 tpm2_pcrextend 13:sha256=...
#   ...
# It must source this file at top level (not in a subshell) and must not set its
# own EXIT trap: use on_exit instead. The exit status is non-zero if any check
# failed, if no check ran, or if the script died early (a FAIL line says so).
# Do not call swtpm_start or bg_start inside $(...) or ( ... ): state set in a
# subshell is lost and the process would not be cleaned up.
#
# Environment (all optional):
#   GW_BIN        directory with gwagent/gwverifier/gwpolicy (default: <repo>/build)
#   GW_TESTDATA   shared test data (default: <repo>/testdata, committed)
#   GW_BANKS      PCR banks swtpm_setup activates (default: sha1,sha256)
#   GW_TMPROOT    where the scenario's temp dir goes (default: $TMPDIR or /tmp)
#   GW_KEEP_TMP=1 keep the temp dir (its path is printed) for debugging
#   VALGRIND=1    gwagent/gwverifier/gwpolicy helpers run the binaries under valgrind

[ -n "${GW_LIB_LOADED:-}" ] && return 0
GW_LIB_LOADED=1
set -u

GW_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh
GW_ROOT=$(cd "$(dirname "$GW_LIB")/.." && pwd)
SCENARIO=${SCENARIO:-$(basename "$0" .sh)}
SCENARIO=${SCENARIO#t_}
GW_BIN=${GW_BIN:-$GW_ROOT/build}
case $GW_BIN in /*) ;; *) GW_BIN=$GW_ROOT/$GW_BIN ;; esac
GW_TESTDATA=${GW_TESTDATA:-$GW_ROOT/testdata}
export GW_LIB GW_ROOT GW_BIN GW_TESTDATA SCENARIO

GW_PASSES=0
GW_FAILS=0
GW_CHECKS=0
GW_STDOUT=
GW_STDERR=
GW_EXIT=
_gw_tmproot=${GW_TMPROOT:-${TMPDIR:-/tmp}}
mkdir -p "$_gw_tmproot"
if ! GW_TMP=$(mktemp -d "$_gw_tmproot/gw-$SCENARIO.XXXXXX"); then
  echo "FAIL: $SCENARIO/setup: cannot create a temp dir under $_gw_tmproot"
  exit 1
fi
export GW_TMP

_gw_swtpm_pids=()    # every swtpm this scenario started, for cleanup
_gw_swtpm_ctrls=()
_gw_swtpm_dirs=()
_gw_bg_pids=()
_gw_bg_names=()
_gw_exit_hooks=()

# ---------------------------------------------------------------- reporting ---

# note MSG...: an informational line (not counted), on stderr.
note() { echo "# $SCENARIO: $*" >&2; }

# pass NAME: record a passed check.
pass() {
  GW_PASSES=$((GW_PASSES + 1))
  GW_CHECKS=$((GW_CHECKS + 1))
  echo "PASS: $SCENARIO/$1"
}

# fail NAME MSG...: record a failed check; returns 1 so `|| return` chains work.
fail() {
  local name=$1
  shift
  GW_FAILS=$((GW_FAILS + 1))
  GW_CHECKS=$((GW_CHECKS + 1))
  echo "FAIL: $SCENARIO/$name: ${*:-failed}"
  return 1
}

# skip NAME REASON...: say a check was skipped (not counted either way).
skip() {
  local name=$1
  shift
  echo "SKIP: $SCENARIO/$name: $*"
}

# Check names are "scenario/name" tokens: keep them free of spaces and slashes.
_gw_name() {
  local s=$*
  s=${s//[^A-Za-z0-9_.:=+-]/-}
  printf '%s' "${s:0:60}"
}

_gw_show_file() {
  local label=$1 file=$2 max=${3:-40}
  [ -s "$file" ] || return 0
  echo "  --- $label (last $max lines) ---"
  tail -n "$max" "$file" | sed 's/^/  | /'
}

# check NAME CMD...: PASS if CMD exits 0, FAIL (with its output) otherwise.
check() {
  local name=$1
  shift
  expect_exit -n "$name" 0 "$@"
}

# expect_exit [-n NAME] CODE CMD...: run CMD with stdin from /dev/null and
# stdout/stderr captured to files ($GW_STDOUT, $GW_STDERR; exit status in
# $GW_EXIT); PASS if it exits CODE, else FAIL and show both outputs.
# CODE may be "nonzero" to accept any failure. Default NAME: the command line.
expect_exit() {
  local name=
  if [ "${1:-}" = -n ]; then
    name=$2
    shift 2
  fi
  local want=$1
  shift
  [ -n "$name" ] || name=$(_gw_name "$(basename "$1")" "${@:2:2}")
  local n=$((GW_CHECKS + 1))
  mkdir -p "$GW_TMP/out"
  GW_STDOUT=$GW_TMP/out/$n.stdout
  GW_STDERR=$GW_TMP/out/$n.stderr
  "$@" </dev/null >"$GW_STDOUT" 2>"$GW_STDERR"
  GW_EXIT=$?
  if { [ "$want" = nonzero ] && [ "$GW_EXIT" -ne 0 ]; } || [ "$GW_EXIT" = "$want" ]; then
    pass "$name"
    return 0
  fi
  fail "$name" "exit status $GW_EXIT, wanted $want: $*"
  _gw_show_file stdout "$GW_STDOUT"
  _gw_show_file stderr "$GW_STDERR"
  return 1
}

# check_py NAME [ARG...] <<'PY' ... PY: run the Python script on standard input
# with ARGs (sys.argv[1:]); PASS when it exits 0. (expect_exit runs its command with
# stdin from /dev/null, so `check NAME python3 - ... <<PY` would run an empty
# script and always pass.)
check_py() {
  local name=$1 f
  shift
  f=$(mktemp "$GW_TMP/check_py.XXXXXX") || return 1
  cat >"$f"
  expect_exit -n "$name" 0 python3 "$f" "$@"
}

# expect_output_contains [-n NAME] PATTERN [FILE]: PASS if FILE (default: the last
# expect_exit's stdout and stderr) has a line matching the extended regex PATTERN.
expect_output_contains() {
  _gw_expect_grep 0 "$@"
}

# expect_output_not_contains [-n NAME] PATTERN [FILE]: the opposite.
expect_output_not_contains() {
  _gw_expect_grep 1 "$@"
}

_gw_expect_grep() {
  local negate=$1 name=
  shift
  if [ "${1:-}" = -n ]; then
    name=$2
    shift 2
  fi
  local pat=$1
  local files=("${@:2}")
  [ ${#files[@]} -gt 0 ] || files=("$GW_STDOUT" "$GW_STDERR")
  local f
  for f in "${files[@]}"; do
    [ -n "$f" ] && [ -e "$f" ] && continue
    fail "${name:-$(_gw_name output "$pat")}" "no such file: '$f'"
    return 1
  done
  if [ "$negate" = 0 ]; then
    [ -n "$name" ] || name=$(_gw_name "contains" "$pat")
    if grep -qE -e "$pat" "${files[@]}"; then
      pass "$name"
      return 0
    fi
    fail "$name" "no line matches /$pat/ in ${files[*]}"
  else
    [ -n "$name" ] || name=$(_gw_name "lacks" "$pat")
    if ! grep -qE -e "$pat" "${files[@]}"; then
      pass "$name"
      return 0
    fi
    fail "$name" "unexpected line matching /$pat/ in ${files[*]}"
  fi
  local x
  for x in "${files[@]}"; do _gw_show_file "$x" "$x"; done
  return 1
}

# expect_eq NAME ACTUAL EXPECTED: PASS if the two strings are equal.
expect_eq() {
  if [ "$2" = "$3" ]; then
    pass "$1"
    return 0
  fi
  fail "$1" "got '$2', wanted '$3'"
}

# expect_ne NAME ACTUAL UNWANTED: PASS if the two strings differ.
expect_ne() {
  if [ "$2" != "$3" ]; then
    pass "$1"
    return 0
  fi
  fail "$1" "got '$2', wanted anything else"
}

# expect_gt NAME A B: PASS if integer A > integer B.
expect_gt() {
  if [[ $2 =~ ^-?[0-9]+$ && $3 =~ ^-?[0-9]+$ ]] && [ "$2" -gt "$3" ]; then
    pass "$1"
    return 0
  fi
  fail "$1" "wanted '$2' > '$3'"
}

# expect_file NAME PATH: PASS if PATH exists and is not empty.
expect_file() {
  if [ -s "$2" ]; then
    pass "$1"
    return 0
  fi
  fail "$1" "missing or empty file: $2"
}

# require_cmd CMD...: FAIL and exit the scenario if a command is missing.
# faketime_lib NAME: the path of libfaketime's NAME (libfaketime.so.1 or
# libfaketimeMT.so.1, Debian package faketime), empty when not installed.
faketime_lib() {
  local dir
  for dir in /usr/lib/*-linux-gnu/faketime /usr/lib/faketime /usr/lib64/faketime; do
    [ -e "$dir/$1" ] && { echo "$dir/$1"; return 0; }
  done
}
# An ASan build (SANITIZE=1) refuses a library preloaded before its runtime unless
# told that the order is intended: ASAN_OPTIONS=$FAKETIME_ASAN_OPTIONS with LD_PRELOAD.
FAKETIME_ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0

require_cmd() {
  local c
  for c in "$@"; do
    command -v "$c" >/dev/null 2>&1 || { fail "require-$c" "command not found: $c"; exit 1; }
  done
}

# sqlite3 ARGS...: the sqlite3 shell, waiting up to 10 s for a lock. A scenario
# reads a store its verifier (or a load writer) may be writing at that moment;
# without a busy timeout the read fails at once with "database is locked".
sqlite3() {
  command sqlite3 -cmd ".timeout 10000" "$@"
}

# flip_byte FILE OFFSET: invert the low bit of FILE's byte at OFFSET, in place.
# (Writing a fixed byte instead would leave random data, such as ciphertext,
# unchanged once in 256 runs.)
flip_byte() {
  python3 - "$1" "$2" <<'PY'
import sys
with open(sys.argv[1], "r+b") as f:
    f.seek(int(sys.argv[2]))
    b = f.read(1)
    assert len(b) == 1, "offset past the end"
    f.seek(int(sys.argv[2]))
    f.write(bytes([b[0] ^ 1]))
PY
}

# ------------------------------------------------------------ our binaries ---

# gwagent ARGS... / gwverifier ARGS...: run $GW_BIN/<tool>, under valgrind when
# VALGRIND=1 (valgrind errors or definite leaks make the exit status 99).
_gw_tool() {
  local tool=$1
  shift
  if [ ! -x "$GW_BIN/$tool" ]; then
    echo "lib.sh: $GW_BIN/$tool is not built" >&2
    return 127
  fi
  if [ "${VALGRIND:-0}" = 1 ]; then
    valgrind --error-exitcode=99 --leak-check=full \
      --errors-for-leak-kinds=definite,indirect --track-fds=no -q \
      --suppressions="$GW_ROOT/scripts/valgrind.supp" "$GW_BIN/$tool" "$@"
  else
    "$GW_BIN/$tool" "$@"
  fi
}
gwagent() { _gw_tool gwagent "$@"; }
gwverifier() { _gw_tool gwverifier "$@"; }
gwpolicy() { _gw_tool gwpolicy "$@"; }

# ------------------------------------------------------------- processes ---

# on_exit CMD: run the string CMD (eval) at scenario exit, before the swtpm
# processes are stopped; hooks run last-registered first.
on_exit() { _gw_exit_hooks+=("$1"); }

_gw_alive() {   # PID [COMM]: running (not a zombie), and named COMM if given
  local pid=$1 comm=${2:-} stat
  [ -n "$pid" ] && [ -r "/proc/$pid/stat" ] || return 1
  stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [ "${stat%% *}" != Z ] || return 1
  [ -z "$comm" ] || [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$comm" ]
}

_gw_kill() {    # PID [COMM]: TERM, wait up to 5 s, then KILL
  local pid=$1 comm=${2:-} i
  _gw_alive "$pid" "$comm" || return 0
  kill -TERM "$pid" 2>/dev/null
  for ((i = 0; i < 50; i++)); do
    _gw_alive "$pid" "$comm" || return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null
  for ((i = 0; i < 20; i++)); do
    _gw_alive "$pid" "$comm" || return 0
    sleep 0.1
  done
  echo "lib.sh: process $pid did not die" >&2
  return 1
}

# bg_start NAME CMD...: start CMD in the background, output to $GW_TMP/NAME.log;
# sets BG_PID. Killed at exit if still running.
bg_start() {
  local name=$1
  shift
  "$@" </dev/null >"$GW_TMP/$name.log" 2>&1 &
  BG_PID=$!
  _gw_bg_pids+=("$BG_PID")
  _gw_bg_names+=("$name")
}

# bg_stop NAME: stop a process started with bg_start (TERM, then KILL) and reap it;
# returns its exit status (143 if it died from our TERM).
bg_stop() {
  local name=$1 i rc=0
  for i in "${!_gw_bg_names[@]}"; do
    [ "${_gw_bg_names[$i]}" = "$name" ] || continue
    _gw_kill "${_gw_bg_pids[$i]}"
    wait "${_gw_bg_pids[$i]}" 2>/dev/null
    rc=$?
    unset '_gw_bg_pids[i]' '_gw_bg_names[i]'
    return "$rc"
  done
  echo "lib.sh: bg_stop: no process named $name" >&2
  return 1
}

# port_free PORT: true if nothing on 127.0.0.1 listens on PORT and it can be bound.
port_free() {
  local p=$1
  if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
    return 1
  fi
  if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import socket,sys
s = socket.socket()
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)' "$p" 2>/dev/null || return 1
  fi
  return 0
}

# random_port: print a random port below the kernel's ephemeral range (20000-32699).
random_port() { echo $((20000 + (RANDOM * 32768 + RANDOM) % 12700)); }

# port_claim PORT...: true if none of the PORTs was handed out before in this run
# (run.sh shares $GW_PORT_CLAIMS between the scenarios it runs at once; a scenario
# run alone keeps its own), and claims them all; false, claiming none, otherwise.
# A port picked and bound seconds later is then never picked by another scenario
# (or twice by one) in between.
port_claim() {
  local dir=${GW_PORT_CLAIMS:-$GW_TMP/ports} p got=()
  mkdir -p "$dir" || return 1
  for p in "$@"; do
    if ! mkdir "$dir/$p" 2>/dev/null; then
      for p in "${got[@]}"; do rmdir "$dir/$p"; done
      return 1
    fi
    got+=("$p")
  done
  return 0
}

# free_port [N]: print a port P such that P..P+N-1 (default N=1) are free now and
# claimed (port_claim); a process outside the run can still take one before the
# bind: callers that start a server should retry on "in use".
free_port() {
  local n=${1:-1} i p k ok
  for ((i = 0; i < 100; i++)); do
    p=$(random_port)
    ok=1
    for ((k = 0; k < n; k++)); do
      port_free $((p + k)) || { ok=0; break; }
    done
    [ "$ok" = 1 ] || continue
    port_claim $(seq "$p" $((p + n - 1))) && { echo "$p"; return 0; }
  done
  echo "lib.sh: no free port found" >&2
  return 1
}

# wait_for_line PATTERN FILE [SECONDS]: wait (default 10 s) until a line of FILE
# matches the extended regex PATTERN: a log line a background process writes just
# after what the scenario waited for (a listener, a commit) may not be there yet.
wait_for_line() {
  local pat=$1 file=$2 secs=${3:-10} i
  for ((i = 0; i < secs * 10; i++)); do
    grep -qE -e "$pat" "$file" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# wait_for_port PORT [SECONDS]: wait (default 10 s) until 127.0.0.1:PORT accepts.
wait_for_port() {
  local p=$1 secs=${2:-10} i
  for ((i = 0; i < secs * 10; i++)); do
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# ----------------------------------------------------------------- swtpm ---

# swtpm_start [--no-startup]: create a fresh TPM (EK RSA+ECC with certificates
# from swtpm's local CA, platform cert, NV locked, PCR banks $GW_BANKS) and run
# swtpm on a free 127.0.0.1 port pair. Exports SWTPM_PORT, SWTPM_CTRL_PORT,
# SWTPM_STATE, SWTPM_PID, GW_TCTI and TPM2TOOLS_TCTI. --no-startup leaves the TPM
# waiting for TPM2_Startup. Returns non-zero (after a FAIL line) on failure.
swtpm_start() {
  local startup=1
  [ "${1:-}" = --no-startup ] && startup=0
  local dir=$GW_TMP/swtpm${#_gw_swtpm_dirs[@]}
  mkdir -p "$dir/state" || return 1
  _gw_swtpm_dirs+=("$dir")

  if ! timeout 120 swtpm_setup --tpm2 --tpmstate "$dir/state" \
      --create-ek-cert --create-platform-cert --lock-nvram \
      --pcr-banks "${GW_BANKS:-sha1,sha256}" --overwrite \
      --logfile "$dir/setup.log" >"$dir/setup.out" 2>&1; then
    fail swtpm-setup "swtpm_setup failed"
    _gw_show_file setup.log "$dir/setup.log"
    _gw_show_file setup.out "$dir/setup.out"
    return 1
  fi

  local flags=not-need-init
  [ "$startup" = 1 ] && flags=$flags,startup-clear
  local try port ctrl pid='' started=0
  for ((try = 0; try < 20; try++)); do
    port=$(random_port)
    ctrl=$((port + 1))
    if ! port_free "$port" || ! port_free "$ctrl" || ! port_claim "$port" "$ctrl"; then
      continue
    fi
    rm -f "$dir/swtpm.pid"
    # swtpm binds both sockets before it daemonizes, so a port taken in the
    # meantime makes it exit non-zero and we try another pair.
    if timeout 30 swtpm socket --tpm2 --tpmstate "dir=$dir/state" \
        --server "type=tcp,port=$port,bindaddr=127.0.0.1" \
        --ctrl "type=tcp,port=$ctrl,bindaddr=127.0.0.1" \
        --flags "$flags" --daemon --pid "file=$dir/swtpm.pid" \
        --log "file=$dir/swtpm.log" >>"$dir/start.out" 2>&1; then
      started=1
      break
    fi
  done
  if [ "$started" = 0 ]; then
    fail swtpm-start "swtpm did not start after $try tries"
    _gw_show_file swtpm.log "$dir/swtpm.log"
    _gw_show_file start.out "$dir/start.out"
    return 1
  fi
  local i
  for ((i = 0; i < 50; i++)); do
    [ -s "$dir/swtpm.pid" ] && break
    sleep 0.1
  done
  pid=$(cat "$dir/swtpm.pid" 2>/dev/null)
  if ! [[ $pid =~ ^[0-9]+$ ]]; then
    fail swtpm-start "swtpm started but wrote no pid file"
    return 1
  fi
  _gw_swtpm_pids+=("$pid")
  _gw_swtpm_ctrls+=("$ctrl")

  export SWTPM_PORT=$port SWTPM_CTRL_PORT=$ctrl SWTPM_STATE=$dir/state SWTPM_PID=$pid
  export SWTPM_DIR=$dir
  export GW_TCTI="swtpm:host=127.0.0.1,port=$port"
  export TPM2TOOLS_TCTI=$GW_TCTI

  local ready=0
  for ((i = 0; i < 100; i++)); do
    if ! _gw_alive "$pid" swtpm; then
      break
    fi
    if timeout 5 swtpm_ioctl --tcp "127.0.0.1:$ctrl" -g >/dev/null 2>&1; then
      if [ "$startup" = 0 ] || timeout 10 tpm2_getrandom --hex 8 >/dev/null 2>&1; then
        ready=1
        break
      fi
    fi
    sleep 0.1
  done
  if [ "$ready" = 0 ]; then
    fail swtpm-start "swtpm (pid $pid, port $port) did not answer within 10 s"
    _gw_show_file swtpm.log "$dir/swtpm.log"
    return 1
  fi
  note "swtpm pid $pid on 127.0.0.1:$port (ctrl $ctrl), state $dir/state"
  return 0
}

# swtpm_power_cycle [--orderly] [--no-startup]: power the current swtpm off and on
# (TPM_Init through the control port), then TPM2_Startup(CLEAR): PCRs reset and
# resetCount goes up. --orderly sends TPM2_Shutdown(CLEAR) first, as a clean
# reboot would; --no-startup leaves the Startup to the caller.
swtpm_power_cycle() {
  local orderly=0 startup=1 a
  for a in "$@"; do
    case $a in
      --orderly) orderly=1 ;;
      --no-startup) startup=0 ;;
      *) echo "lib.sh: swtpm_power_cycle: unknown option $a" >&2; return 2 ;;
    esac
  done
  if [ -z "${SWTPM_CTRL_PORT:-}" ]; then
    echo "lib.sh: swtpm_power_cycle: no swtpm running" >&2
    return 1
  fi
  if [ "$orderly" = 1 ] && ! timeout 10 tpm2_shutdown -c >/dev/null 2>&1; then
    echo "lib.sh: swtpm_power_cycle: TPM2_Shutdown failed" >&2
    return 1
  fi
  if ! timeout 10 swtpm_ioctl --tcp "127.0.0.1:$SWTPM_CTRL_PORT" -i >/dev/null; then
    echo "lib.sh: swtpm_power_cycle: swtpm_ioctl -i failed" >&2
    return 1
  fi
  if [ "$startup" = 1 ] && ! timeout 10 tpm2_startup -c >/dev/null 2>&1; then
    echo "lib.sh: swtpm_power_cycle: TPM2_Startup(CLEAR) failed" >&2
    return 1
  fi
  return 0
}

_gw_swtpm_stop_one() {   # PID CTRL_PORT
  local pid=$1 ctrl=$2 i
  _gw_alive "$pid" swtpm || return 0
  timeout 5 swtpm_ioctl --tcp "127.0.0.1:$ctrl" -s >/dev/null 2>&1
  for ((i = 0; i < 30; i++)); do
    _gw_alive "$pid" swtpm || return 0
    sleep 0.1
  done
  _gw_kill "$pid" swtpm
}

# swtpm_stop [--all]: stop the current swtpm (or every one this scenario started).
# Its state stays in $SWTPM_STATE until the scenario exits.
swtpm_stop() {
  local i rc=0
  for i in "${!_gw_swtpm_pids[@]}"; do
    if [ "${1:-}" = --all ] || [ "${_gw_swtpm_pids[$i]}" = "${SWTPM_PID:-}" ]; then
      _gw_swtpm_stop_one "${_gw_swtpm_pids[$i]}" "${_gw_swtpm_ctrls[$i]}" || rc=1
    fi
  done
  return "$rc"
}

# swtpm_alive: true if the current swtpm process is running.
swtpm_alive() { _gw_alive "${SWTPM_PID:-}" swtpm; }

# ------------------------------------------------------------ TPM queries ---

# tpm_pcr BANK INDEX: print the PCR value as lowercase hex without 0x.
tpm_pcr() {
  local out
  out=$(timeout 10 tpm2_pcrread "$1:$2" 2>/dev/null) || return 1
  out=$(printf '%s\n' "$out" | sed -nE "s/^ *$2 *: *0x([0-9A-Fa-f]+).*/\\1/p")
  [ -n "$out" ] || return 1
  printf '%s\n' "$out" | tr 'A-F' 'a-f'
}

# tpm_zero_digest BANK: print the all-zero digest for a bank (sha1/sha256/384/512).
tpm_zero_digest() {
  local n
  case $1 in
    sha1) n=20 ;; sha256) n=32 ;; sha384) n=48 ;; sha512) n=64 ;;
    *) return 1 ;;
  esac
  printf '%0*d\n' $((n * 2)) 0
}

# tpm_clock_field FIELD: print a field of tpm2_readclock (clock, reset_count,
# restart_count, safe, time).
tpm_clock_field() {
  timeout 10 tpm2_readclock 2>/dev/null | sed -nE "s/^ *$1: *([^ ]+).*/\\1/p" | head -n 1
}

# tpm_reset_count: print the TPM's resetCount.
tpm_reset_count() { tpm_clock_field reset_count; }

# tpm_nv_defined INDEX: true if the NV index (e.g. 0x1c00002) is defined.
tpm_nv_defined() {
  timeout 10 tpm2_getcap handles-nv-index 2>/dev/null | tr 'A-F' 'a-f' |
    grep -qiE "^- *$(printf '%s' "$1" | tr 'A-F' 'a-f')\$"
}

# ---------------------------------------------------------------- cleanup ---

_gw_on_exit() {
  local rc=$? i
  trap - EXIT INT TERM HUP
  set +e
  for ((i = ${#_gw_exit_hooks[@]} - 1; i >= 0; i--)); do
    eval "${_gw_exit_hooks[$i]}"
  done
  for i in "${!_gw_bg_pids[@]}"; do
    _gw_kill "${_gw_bg_pids[$i]}"
    wait "${_gw_bg_pids[$i]}" 2>/dev/null
  done
  for i in "${!_gw_swtpm_pids[@]}"; do
    _gw_swtpm_stop_one "${_gw_swtpm_pids[$i]}" "${_gw_swtpm_ctrls[$i]}"
  done

  if [ "$rc" -ne 0 ] && [ "$GW_FAILS" -eq 0 ]; then
    fail exit "scenario stopped with exit status $rc before its checks finished"
  fi
  if [ "$GW_CHECKS" -eq 0 ]; then
    fail no-checks "scenario ran no check"
  fi
  if [ "$GW_FAILS" -gt 0 ]; then
    local d
    for d in "${_gw_swtpm_dirs[@]}"; do
      _gw_show_file "$(basename "$d")/swtpm.log" "$d/swtpm.log" 20
    done
    [ "$rc" -ne 0 ] || rc=1
  fi
  if [ "${GW_KEEP_TMP:-0}" = 1 ]; then
    note "kept temp dir $GW_TMP"
  else
    rm -rf "$GW_TMP"
  fi
  echo "# $SCENARIO: $GW_CHECKS checks, $GW_FAILS failing"
  exit "$rc"
}

trap _gw_on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# ------------------------------------------------------------- gatewarden ---

# expect_no_handles NAME: PASS if the TPM holds no transient object and no loaded
# session (swtpm has no resource manager: whatever a command left is still there).
expect_no_handles() {
  local t s
  t=$(tpm2_getcap handles-transient 2>&1)
  s=$(tpm2_getcap handles-loaded-session 2>&1)
  if [ -z "$t" ] && [ -z "$s" ]; then
    pass "$1"
  else
    fail "$1" "handles left in the TPM: transient [$t] sessions [$s]"
  fi
}

# gw_agent_config FILE STATE_DIR [STAGE=FILE...]: write an agent config.
gw_agent_config() {
  local f=$1 state=$2 s
  shift 2
  {
    printf '[agent]\nstate_dir = %s\n' "$state"
    for s in "$@"; do
      printf '\n[stage %s]\nfile = %s\n' "${s%%=*}" "${s#*=}"
    done
  } >"$f"
}

# gw_nonce: a fresh random 32-byte nonce in hex.
gw_nonce() { openssl rand -hex 32; }

# gw_policy_keys [DIR [N [K]]]: create N (default 1) policy signing keys with
# `gwpolicy keygen` (DIR/policy-I.key and .pub; DIR defaults to
# $GW_TMP/policy-keys) and print the verifier.conf section that trusts them with
# threshold K (default N), to append to a config:
#   gw_policy_keys >>"$vdir/verifier.conf"
gw_policy_keys() {
  local dir=${1:-$GW_TMP/policy-keys} n=${2:-1} k=${3:-${2:-1}} i
  mkdir -p "$dir" || return 1
  for ((i = 1; i <= n; i++)); do
    [ -e "$dir/policy-$i.key" ] && continue
    gwpolicy keygen --out "$dir/policy-$i" >/dev/null || return 1
  done
  printf '\n[policy]\n'
  for ((i = 1; i <= n; i++)); do
    printf 'key = %s/policy-%d.pub\n' "$dir" "$i"
  done
  printf 'threshold = %d\n' "$k"
}

# gw_sign_policy IN OUT [KEY.key...]: sign the policy JSON IN into the DSSE
# envelope OUT (payloadType application/vnd.gatewarden.policy+json) with the keys
# given, by default every key gw_policy_keys made in $GW_TMP/policy-keys.
gw_sign_policy() {
  local in=$1 out=$2 k args=()
  shift 2
  if [ $# -eq 0 ]; then
    set -- "$GW_TMP"/policy-keys/policy-*.key
  fi
  for k in "$@"; do
    args+=(--key "$k")
  done
  gwpolicy sign "${args[@]}" "$in" >"$out"
}
