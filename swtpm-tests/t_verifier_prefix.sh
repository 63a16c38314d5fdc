#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# One IPv6 site cannot take every connection slot, and a full verifier stops
# accepting instead of accepting and refusing. A real verifier under ulimit -n
# 512 (464 connection slots) on [::]: silent TCP connections from 64 /64s of one
# /48 (a documentation prefix routed to lo for the test) hold at most the /48's
# 256, and clients from 127.0.0.1 and from another /48 are still served. Then,
# with every slot held by finished TLS handshakes, a storm of 300 connections
# waits in the backlog: none is accepted and refused, and the verifier's open
# descriptors do not grow. Every wait is for an event (the server has taken the
# connections from its listen queue, the helpers have settled) with deadlines
# generous enough for ASan builds on a loaded machine.
# shellcheck source=swtpm-tests/lib.sh
source "$(dirname "$0")/lib.sh"
require_cmd python3 openssl ip

localca=/var/lib/swtpm-localca
storm=$GW_ROOT/swtpm-tests/connstorm.py
slow=$GW_ROOT/swtpm-tests/slowclient.py
api=$GW_ROOT/swtpm-tests/apiclient.py
if [ "$(id -u)" != 0 ]; then
  skip prefix "not root: routing a test IPv6 prefix to lo needs root"
  exit 0
fi
if ! python3 -c 'import socket; s = socket.socket(socket.AF_INET6); s.bind(("::1", 0))' 2>/dev/null; then
  skip prefix "no IPv6 loopback (::1)"
  exit 0
fi
# Two /48s of 2001:db8::/32 (documentation), random per run so that parallel
# runs do not share a route, routed to lo and removed at exit.
n=$(( (RANDOM % 0x7fff) * 2 ))
site=$(printf '2001:db8:%x' "$n")
other=$(printf '2001:db8:%x' $((n + 1)))
for p in "$site" "$other"; do
  if ! ip -6 route add local "$p::/48" dev lo 2>/dev/null; then
    skip prefix "cannot route $p::/48 to lo"
    exit 0
  fi
  on_exit "ip -6 route del local $p::/48 dev lo 2>/dev/null"
done

vdir=$GW_TMP/verifier
port=$(free_port) || exit 1
expect_exit -n verifier-init 0 gwverifier init "$vdir" --listen "127.0.0.1:$port" \
  --ek-ca "$localca/swtpm-localca-rootca-cert.pem" --ek-ca "$localca/issuercert.pem"
vconf=$vdir/verifier.conf
sed -i "s/^listen = .*/listen = [::]:$port/" "$vconf"
cp "$vconf" "$GW_TMP/verifier.conf.base"

# verifier_with NOFILE [KEY=VALUE...], as in t_verifier_flood.
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
  if ! wait_for_port "$port" 90; then
    fail verifier-listens "gwverifier serve did not listen on $port"
    _gw_show_file verifier.log "$GW_TMP/verifier.log"
    exit 1
  fi
}
# field FILE KEY: a number or true/false/null (printed True/False/None) from the
# helpers' one-line JSON status, read without starting python (which takes
# seconds on a loaded machine, and the fill polls 27 of them).
field() {
  local v
  v=$(sed -n "s/.*\"$2\": \([^,}]*\).*/\1/p" "$1" 2>/dev/null)
  case $v in
    true) echo True ;;
    false) echo False ;;
    null) echo None ;;
    *) echo "$v" ;;
  esac
}
# wait_status FILE SECONDS: until the helper has written its status.
wait_status() {
  local end=$((SECONDS + $2))
  while ((SECONDS < end)); do
    [ -s "$1" ] && return 0
    sleep 0.25
  done
  return 1
}
# wait_settled FILE SECONDS: until slowclient's status says every handshake
# attempt has finished.
wait_settled() {
  local end=$((SECONDS + $2))
  while ((SECONDS < end)); do
    [ "$(field "$1" settled)" = True ] && return 0
    sleep 0.25
  done
  return 1
}
health() { timeout 60 python3 "$api" "https://127.0.0.1:$port" "$vdir/ca.pem" GET:/v1/health; }
fds() { find "/proc/$VPID/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }

# 1. 64 /64s of one /48, each in its own /56, 8 silent connections each (512).
#    The per-/64 cap (32) and the handshake cap (8) let every one in; the /48
#    holds 256 (2 x max_connections_per_prefix) and no more, of 464 slots.
verifier_with 512 handshake_timeout=120
# serve logs its caps just after it starts listening.
end=$((SECONDS + 60))
while ((SECONDS < end)) && ! grep -q 'per IPv6 /56' "$GW_TMP/verifier.log"; do
  sleep 0.25
done
expect_output_contains -n caps-logged '128 per IPv6 /56 .256 per /48' "$GW_TMP/verifier.log"
# The counts are taken once the verifier has taken every connection from its
# listen queue (and shut those it refuses), not after a fixed time.
bg_start stormA python3 "$storm" ::1 "$port" --source-fmt "$site:%x00::1" --sources 64 --per 8 \
  --connect-timeout 30 --until-accepted --settle 180 --hold 600 --status "$GW_TMP/stormA.json"
wait_status "$GW_TMP/stormA.json" 420 || fail stormA-settles "the connections did not settle in 420 s"
note "one /48: $(cat "$GW_TMP/stormA.json" 2>/dev/null)"
expect_eq site-storm-accepted "$(field "$GW_TMP/stormA.json" accepted)" True
expect_eq site-holds-its-prefix-allowance "$(field "$GW_TMP/stormA.json" open)" 256
expect_eq site-refused-beyond-it "$(field "$GW_TMP/stormA.json" closed)" 256
expect_output_contains -n prefix-refusal-logged 'its IPv6 /56 or /48 has the most open connections' "$GW_TMP/verifier.log"
expect_exit -n ipv4-client-served 0 health
expect_output_contains -n ipv4-client-health '^200 ' "$GW_STDOUT"
expect_exit -n other-site-connects 0 timeout 150 python3 "$storm" ::1 "$port" --source-fmt "$other::%x" \
  --sources 1 --per 4 --connect-timeout 30 --until-accepted --settle 90 --hold 0 \
  --status "$GW_TMP/other.json"
expect_eq other-site-served "$(field "$GW_TMP/other.json" open)" 4
bg_stop stormA >/dev/null

# 2. Every slot held by finished TLS handshakes (27 IPv4 sources x 8 > 208 slots
#    under ulimit -n 256), then a storm of 100 connections (within the listen
#    backlog of 128): they wait in the backlog (none accepted and refused), and
#    the descriptors do not grow. (While the fill arrives, the other worker may
#    accept and refuse one or two before it sees the cap reached: only lines
#    written during the storm count.) A full verifier closes handshakes older
#    than 2 s, and 216 at once on a loaded machine (or under ASan) lost dozens
#    of places that way: 25 sources (200 connections, below the cap) start at
#    once; then single connections from a 26th, each once the one before has
#    finished its handshake, until 208 are held (one closed as a squatter is
#    replaced, at most 24 tries); then 8 more from a 27th, which must all wait
#    in the backlog until their handshake timeout (the verifier's own handshake
#    deadline is 120 s here).
verifier_with 256 request_read_timeout=900 handshake_timeout=120
fill() { # NAME SOURCE COUNT HANDSHAKE_TIMEOUT
  bg_start "$1" python3 "$slow" flood 127.0.0.1 "$port" "$vdir/ca.pem" --source "$2" \
    --count "$3" --drip 2 --duration 900 --handshake-timeout "$4" --status "$GW_TMP/$1.json"
}
fill_settled() { # NAME...
  local f
  for f in "$@"; do
    wait_settled "$GW_TMP/$f.json" 180 || fail "$f-settles" "$f's handshakes did not finish in 180 s"
  done
}
held_by() { # NAME...: TLS connections the named helpers hold
  local f n=0 o
  for f in "$@"; do
    o=$(field "$GW_TMP/$f.json" open)
    n=$((n + ${o:-0}))
  done
  echo "$n"
}
fillers=()
for i in $(seq 2 26); do
  fill "fill$i" "127.0.0.$i" 8 90
  fillers+=("fill$i")
done
fill_settled "${fillers[@]}"
held=$(held_by "${fillers[@]}")
for ((k = 1; k <= 24 && held < 208; k++)); do
  fill "one$k" 127.0.0.27 1 90
  fillers+=("one$k")
  fill_settled "one$k"
  held=$(held_by "${fillers[@]}")
done
note "$held TLS connections held after $((k - 1)) single ones"
fill over 127.0.0.28 8 8
fillers+=(over)
fill_settled over
expect_eq over-cap-none-held "$(field "$GW_TMP/over.json" open)" 0
held=$(held_by "${fillers[@]}")
note "full: $held TLS connections held, $(fds) descriptors open"
expect_eq full-at-total-cap "$held" 208
fd_full=$(fds)
refusals() { grep -c 'connections open, the most the verifier takes' "$GW_TMP/verifier.log"; }
refused0=$(refusals)
bg_start stormB python3 "$storm" 127.0.0.1 "$port" --source-fmt "127.0.1.%d" --sources 10 --per 10 \
  --connect-timeout 30 --settle 3 --hold 300 --status "$GW_TMP/stormB.json"
fd_max=$fd_full
for ((t = 0; t < 40; t++)); do
  f=$(fds)
  [ "$f" -gt "$fd_max" ] && fd_max=$f
  [ -s "$GW_TMP/stormB.json" ] && break
  sleep 0.2
done
wait_status "$GW_TMP/stormB.json" 180 || fail stormB-settles "the storm did not settle in 60 s"
note "storm at the total cap: $(cat "$GW_TMP/stormB.json" 2>/dev/null); descriptors $fd_full before, at most $fd_max during"
expect_eq storm-none-refused "$(field "$GW_TMP/stormB.json" closed)" 0
check storm-no-descriptors test "$fd_max" -le $((fd_full + 2))
check storm-within-headroom test "$fd_max" -le $((256 - 16))
sleep 11 # a held-back line would be written with the next one, 10 s on
expect_exit -n serves-nobody-new 124 timeout 3 python3 "$api" "https://127.0.0.1:$port" "$vdir/ca.pem" GET:/v1/health
expect_eq no-accept-and-refuse "$(refusals)" "$refused0"
bg_stop stormB >/dev/null
for f in "${fillers[@]}"; do bg_stop "$f" >/dev/null; done
expect_exit -n serves-after 0 health
expect_output_contains -n serves-after-health '^200 ' "$GW_STDOUT"
