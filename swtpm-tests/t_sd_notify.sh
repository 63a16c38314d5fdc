#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# sd_notify(3) from the daemons, against a datagram socket this test binds in
# systemd's place (swtpm-tests/notifysock.py): `gwverifier serve` says READY=1
# once it accepts connections, WATCHDOG=1 at half of $WATCHDOG_USEC while its
# workers run, RELOADING=1 then READY=1 at SIGHUP, STOPPING=1 at SIGTERM; no keep-alives without $WATCHDOG_USEC or
# when $WATCHDOG_PID names another process; without $NOTIFY_SOCKET it serves
# and stops as before. `gwagent run` says READY=1 once set up (before its first
# round), keep-alives while it waits between rounds, STOPPING=1 at SIGTERM.
# shellcheck source=swtpm-tests/lib.sh
source "$(dirname "$0")/lib.sh"
require_cmd python3

notifysock=$GW_ROOT/swtpm-tests/notifysock.py

# listen NAME: a notification socket $GW_TMP/NAME.sock logging to $GW_TMP/NAME.msgs.
listen() {
  local name=$1 i
  bg_start "$name-sock" python3 "$notifysock" "$GW_TMP/$name.sock" "$GW_TMP/$name.msgs" 120
  for ((i = 0; i < 100; i++)); do
    grep -q '^# listening$' "$GW_TMP/$name.msgs" 2>/dev/null && return 0
    sleep 0.1
  done
  fail "$name-socket" "notifysock.py did not bind $GW_TMP/$name.sock"
  return 1
}
# wait_msg NAME LINE SECONDS: wait until the socket NAME received LINE.
wait_msg() {
  local i
  for ((i = 0; i < $3 * 10; i++)); do
    grep -qx -- "$2" "$GW_TMP/$1.msgs" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}
count_msg() { grep -cx -- "$2" "$GW_TMP/$1.msgs" 2>/dev/null; }

vdir=$GW_TMP/verifier
port=$(free_port)
expect_exit -n verifier-init 0 gwverifier init "$vdir" --listen "127.0.0.1:$port"
vconf=$vdir/verifier.conf

# 1. READY=1 when serving, WATCHDOG=1 every 200 ms, STOPPING=1 at SIGTERM.
listen v1 || exit 1
bg_start verifier1 env NOTIFY_SOCKET="$GW_TMP/v1.sock" WATCHDOG_USEC=400000 \
  "$GW_BIN/gwverifier" serve --config "$vconf"
if wait_msg v1 READY=1 20; then
  pass verifier-ready
  # Ready means serving: the port accepts at once, no waiting.
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    pass verifier-ready-means-listening
  else
    fail verifier-ready-means-listening "READY=1 came before 127.0.0.1:$port accepted"
  fi
else
  fail verifier-ready "no READY=1 within 20 s"
  _gw_show_file verifier.log "$GW_TMP/verifier1.log"
fi
expect_output_contains -n verifier-status '^STATUS=serving$' "$GW_TMP/v1.msgs"
sleep 2
n=$(count_msg v1 WATCHDOG=1)
expect_gt verifier-keepalives "$n" 4
expect_output_not_contains -n verifier-not-stopping-yet '^STOPPING=1$' "$GW_TMP/v1.msgs"
# Stopped (SIGSTOP) it sends nothing: the keep-alives come from its own loops.
kill -STOP "$BG_PID"
sleep 0.3
n=$(count_msg v1 WATCHDOG=1)
sleep 1
expect_eq verifier-stopped-no-keepalives "$(count_msg v1 WATCHDOG=1)" "$n"
kill -CONT "$BG_PID"
# A reload (SIGHUP, what gwverifier reload sends): RELOADING=1, then READY=1 again.
kill -HUP "$BG_PID"
if wait_msg v1 RELOADING=1 10; then
  pass verifier-reloading
  for ((i = 0; i < 50; i++)); do
    [ "$(count_msg v1 READY=1)" -ge 2 ] && break
    sleep 0.1
  done
  expect_eq verifier-ready-after-reload "$(count_msg v1 READY=1)" 2
  check_py verifier-reloading-before-ready "$GW_TMP/v1.msgs" <<'PY'
import sys
m = [l.strip() for l in open(sys.argv[1])]
r = m.index("RELOADING=1")
assert "READY=1" in m[r + 1:], m[r:]
PY
else
  fail verifier-reloading "no RELOADING=1 after SIGHUP"
fi
bg_stop verifier1
expect_eq verifier-sigterm-exit "$?" 0
if wait_msg v1 STOPPING=1 5; then
  pass verifier-stopping
else
  fail verifier-stopping "no STOPPING=1 after SIGTERM"
fi
bg_stop v1-sock

# 2. No $WATCHDOG_USEC: ready, no keep-alives. $WATCHDOG_PID of another process:
# the watchdog is not ours, no keep-alives either.
listen v2 || exit 1
bg_start verifier2 env NOTIFY_SOCKET="$GW_TMP/v2.sock" \
  "$GW_BIN/gwverifier" serve --config "$vconf"
wait_msg v2 READY=1 20 && pass verifier-ready-no-watchdog ||
  fail verifier-ready-no-watchdog "no READY=1 within 20 s"
sleep 1
expect_eq verifier-no-watchdog-no-keepalives "$(count_msg v2 WATCHDOG=1)" 0
bg_stop verifier2
bg_stop v2-sock
listen v3 || exit 1
bg_start verifier3 env NOTIFY_SOCKET="$GW_TMP/v3.sock" WATCHDOG_USEC=400000 \
  WATCHDOG_PID=1 "$GW_BIN/gwverifier" serve --config "$vconf"
wait_msg v3 READY=1 20 && pass verifier-ready-other-pid ||
  fail verifier-ready-other-pid "no READY=1 within 20 s"
sleep 1
expect_eq verifier-other-watchdog-pid-no-keepalives "$(count_msg v3 WATCHDOG=1)" 0
bg_stop verifier3
bg_stop v3-sock

# 3. No $NOTIFY_SOCKET: serves and stops cleanly, as before.
bg_start verifier4 env -u NOTIFY_SOCKET WATCHDOG_USEC=400000 \
  "$GW_BIN/gwverifier" serve --config "$vconf"
if wait_for_port "$port" 20; then
  pass verifier-serves-without-socket
else
  fail verifier-serves-without-socket "did not listen on $port"
fi
bg_stop verifier4
expect_eq verifier-without-socket-exit "$?" 0

# 4. The agent daemon: ready before its first round (no verifier answers here),
# keep-alives while it waits, STOPPING=1 at SIGTERM.
swtpm_start || exit 1
state=$GW_TMP/state
conf=$GW_TMP/agent.conf
gw_agent_config "$conf" "$state"
expect_exit -n agent-provision 0 gwagent --config "$conf" provision
listen a1 || exit 1
bg_start agent env NOTIFY_SOCKET="$GW_TMP/a1.sock" WATCHDOG_USEC=400000 \
  "$GW_BIN/gwagent" --config "$conf" run --interval 30
wait_msg a1 READY=1 20 && pass agent-ready || {
  fail agent-ready "no READY=1 within 20 s"
  _gw_show_file agent.log "$GW_TMP/agent.log"
}
expect_output_contains -n agent-status '^STATUS=attesting$' "$GW_TMP/a1.msgs"
sleep 2
expect_gt agent-keepalives "$(count_msg a1 WATCHDOG=1)" 4
bg_stop agent
expect_eq agent-sigterm-exit "$?" 0
wait_msg a1 STOPPING=1 5 && pass agent-stopping ||
  fail agent-stopping "no STOPPING=1 after SIGTERM"
bg_stop a1-sock
