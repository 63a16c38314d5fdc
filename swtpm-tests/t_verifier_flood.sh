#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# One client cannot take the verifier down: a real verifier under a small
# descriptor limit (ulimit -n), listening dual-stack on [::], flooded from ::1 by
# slow TLS connections while a real enrolled agent attests from 127.0.0.1. The
# flood keeps its per-source allowance and no more, the device still attests
# affirming; with the caps above the descriptor limit, accept() running out of
# descriptors costs no CPU and no log flood, and the verifier serves again once
# the flood ends; a silent connection and one that drips its request are closed
# at their deadlines; a declared body over the cap is answered 413 at once.
# shellcheck source=swtpm-tests/lib.sh
source "$(dirname "$0")/lib.sh"
require_cmd python3 openssl

localca=/var/lib/swtpm-localca
slow=$GW_ROOT/swtpm-tests/slowclient.py
if ! python3 -c 'import socket; s = socket.socket(socket.AF_INET6); s.bind(("::1", 0))' 2>/dev/null; then
  skip flood "no IPv6 loopback (::1): the flood needs a second source address"
  exit 0
fi

swtpm_start || exit 1
vdir=$GW_TMP/verifier
port=$(free_port) || exit 1
expect_exit -n verifier-init 0 gwverifier init "$vdir" --listen "127.0.0.1:$port" \
  --ek-ca "$localca/swtpm-localca-rootca-cert.pem" --ek-ca "$localca/issuercert.pem"
vconf=$vdir/verifier.conf
sed -i 's/^auto_approve = .*/auto_approve = all/' "$vconf"
# The certificate names 127.0.0.1; the socket takes both families.
sed -i "s/^listen = .*/listen = [::]:$port/" "$vconf"
gw_policy_keys >>"$vconf" || { fail policy-keys "gwpolicy keygen failed"; exit 1; }
cp "$vconf" "$GW_TMP/verifier.conf.base"

# verifier_with NOFILE [KEY=VALUE...]: (re)start the verifier under ulimit -n NOFILE
# (soft and hard) with these [verifier] settings added to the base config.
verifier_with() {
  local nofile=$1 kv
  shift
  [ -n "${VPID:-}" ] && bg_stop verifier >/dev/null
  cp "$GW_TMP/verifier.conf.base" "$vconf"
  for kv in "$@"; do
    sed -i "/^\[verifier\]/a ${kv%%=*} = ${kv#*=}" "$vconf"
  done
  # shellcheck disable=SC2016 # expanded by the inner bash
  bg_start verifier bash -c 'ulimit -n "$1" && exec "$2" serve --config "$3"' \
    verifier "$nofile" "$GW_BIN/gwverifier" "$vconf"
  VPID=$BG_PID
  if ! wait_for_port "$port" 20; then
    fail verifier-listens "gwverifier serve did not listen on $port"
    _gw_show_file verifier.log "$GW_TMP/verifier.log"
    exit 1
  fi
}
# CPU time (ticks) the verifier has used, and its log's size.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$VPID/stat"; }
log_bytes() { stat -c %s "$GW_TMP/verifier.log"; }
# quiet_window NAME WHAT: over 5 s the verifier uses under 1 s of CPU (100 ticks)
# and writes under 4 KiB of log.
quiet_window() {
  local cpu0 log0 cpu1 log1
  cpu0=$(cpu_ticks) log0=$(log_bytes)
  sleep 5
  cpu1=$(cpu_ticks) log1=$(log_bytes)
  note "$2: $((cpu1 - cpu0)) CPU ticks and $((log1 - log0)) log bytes in 5 s"
  check "$1-costs-little-cpu" test $((cpu1 - cpu0)) -lt 100
  check "$1-log-stays-small" test $((log1 - log0)) -lt 4096
}
# flood_field FILE KEY: a number from the flood's status line.
flood_field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2" 2>/dev/null; }
# flood_wait FILE SECONDS: until every connection of the flood has tried its handshake.
flood_wait() {
  local i
  for ((i = 0; i < $2 * 4; i++)); do
    [ "$(flood_field "$1" settled)" = True ] && return 0
    sleep 0.25
  done
  return 1
}

state=$GW_TMP/state
printf 'application v1\n' >"$GW_TMP/app.bin"
conf=$GW_TMP/agent.conf
gw_agent_config "$conf" "$state" app="$GW_TMP/app.bin"
ga() { timeout 90 "$GW_BIN/gwagent" --config "$conf" "$@"; }
expect_exit -n provision 0 ga provision
expect_exit -n boot 0 ga boot

verifier_with 256
wait_for_line 'descriptor limit 256' "$GW_TMP/verifier.log"
expect_output_contains -n descriptor-limit-logged 'descriptor limit 256' "$GW_TMP/verifier.log"
expect_exit -n enroll 0 ga enroll --verifier "https://127.0.0.1:$port" --ca "$vdir/ca.pem" \
  --device-id gw-flooded --model gw-1000
printf '{"model":"gw-1000","version":1,"stages":{"app":["%s"]}}\n' \
  "$(sha256sum "$GW_TMP/app.bin" | cut -d' ' -f1)" >"$GW_TMP/policy.json"
check policy-sign gw_sign_policy "$GW_TMP/policy.json" "$GW_TMP/policy.signed.json"
expect_exit -n policy-add 0 gwverifier policy add --config "$vconf" "$GW_TMP/policy.signed.json"
expect_exit -n attest-before-flood 0 ga attest

# 1. 300 slow TLS connections from ::1 (more than the 256 descriptors), 16 allowed
#    per source: the flood holds 16, the rest is refused at once, and the device
#    on 127.0.0.1 attests while the flood holds its allowance.
# (max_handshakes_per_source 16: the 300 handshakes start at once, and this
# part is about the per-source cap; t_verifier_prefix covers the handshake cap.)
verifier_with 256 max_connections_per_source=16 max_handshakes_per_source=16 request_read_timeout=300
bg_start floodA python3 "$slow" flood ::1 "$port" "$vdir/ca.pem" --source ::1 --count 300 \
  --drip 2 --duration 90 --handshake-timeout 8 --status "$GW_TMP/floodA.json"
flood_wait "$GW_TMP/floodA.json" 60 || fail flood-settles "the flood's handshakes did not settle in 60 s"
expect_eq flood-holds-its-allowance "$(flood_field "$GW_TMP/floodA.json" open)" 16
expect_eq flood-refused-beyond-allowance "$(flood_field "$GW_TMP/floodA.json" refused)" 284
quiet_window flood "flood from one source"
expect_exit -n device-attests-during-flood 0 ga attest
expect_output_contains -n device-affirming-during-flood 'gw-flooded: affirming' "$GW_STDOUT"
expect_eq flood-still-holds-allowance "$(flood_field "$GW_TMP/floodA.json" open)" 16
expect_output_contains -n per-source-refusal-logged 'refused: it has 16 open' "$GW_TMP/verifier.log"
check per-source-refusal-log-rate-limited test "$(grep -c 'refused: it has 16 open' "$GW_TMP/verifier.log")" -le 3
bg_stop floodA >/dev/null

# 2. Caps above the descriptor limit: accept() runs out of descriptors. The
#    listener rests instead of spinning, the log says so once per interval, and
#    the verifier serves again when the flood is gone.
verifier_with 128 max_connections=2000 max_connections_per_source=2000 \
  max_handshakes_per_source=2000 request_read_timeout=300
bg_start floodB python3 "$slow" flood ::1 "$port" "$vdir/ca.pem" --source ::1 --count 300 \
  --drip 2 --duration 90 --handshake-timeout 5 --status "$GW_TMP/floodB.json"
flood_wait "$GW_TMP/floodB.json" 60 || fail floodB-settles "the flood's handshakes did not settle in 60 s"
held=$(flood_field "$GW_TMP/floodB.json" open)
check flood-reaches-descriptor-limit test "${held:-0}" -gt 50 -a "${held:-0}" -lt 128
quiet_window emfile "out of descriptors"
expect_output_contains -n emfile-logged 'accept: Too many open files.*not accepting' "$GW_TMP/verifier.log"
check emfile-log-rate-limited test "$(grep -c 'accept: Too many open files' "$GW_TMP/verifier.log")" -le 4
bg_stop floodB >/dev/null
expect_exit -n serves-after-flood 0 ga attest
expect_output_contains -n affirming-after-flood 'gw-flooded: affirming' "$GW_STDOUT"

# 3. Deadlines: a connection that never starts its TLS handshake is closed after
#    handshake_timeout, one that drips its request after request_read_timeout,
#    however often it sends a byte (the idle timeout alone never closes it).
verifier_with 256 handshake_timeout=3 request_read_timeout=4
expect_exit -n idle-connection 0 python3 "$slow" idle 127.0.0.1 "$port" --max 15
idle_s=$(cat "$GW_STDOUT")
note "silent connection closed after ${idle_s} s (handshake_timeout 3)"
check idle-closed-at-handshake-deadline python3 -c "import sys; t = sys.argv[1]; sys.exit(0 if t != 'open' and 2.5 <= float(t) < 8 else 1)" "$idle_s"
expect_exit -n slowloris-connection 0 python3 "$slow" drip 127.0.0.1 "$port" "$vdir/ca.pem" --every 1 --max 15
drip_s=$(cat "$GW_STDOUT")
note "dripping connection closed after ${drip_s} s (request_read_timeout 4)"
check slowloris-closed-at-request-deadline python3 -c "import sys; t = sys.argv[1]; sys.exit(0 if t != 'open' and 3.5 <= float(t) < 9 else 1)" "$drip_s"
expect_output_contains -n deadline-logged 'connection closed: (TLS handshake|request) not done in' "$GW_TMP/verifier.log"
expect_exit -n attest-with-short-deadlines 0 ga attest

# 4. A body declared over the cap (1 MiB) is answered 413 as soon as the headers
#    are read, not after the body (which never comes) or the idle timeout.
expect_exit -n declared-too-large 0 python3 "$slow" declare 127.0.0.1 "$port" "$vdir/ca.pem" --length 2000000 --wait 5
expect_output_contains -n declared-too-large-413 '^HTTP/1.1 413 ' "$GW_STDOUT"
expect_exit -n health-after-413 0 python3 "$GW_ROOT/swtpm-tests/apiclient.py" "https://127.0.0.1:$port" "$vdir/ca.pem" GET:/v1/health
expect_output_contains -n serving-after-413 '^200 ' "$GW_STDOUT"
