#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Reloading a running verifier (doc/verifier.md, "Reload"): SIGHUP and `gwverifier
# reload` under load (a keep-alive client and a loop of fresh curl connections to
# /v1/health) with no failed request and the kept-alive connection never closed;
# the new id in force after each reload; bad configurations (an unknown key, a
# policy key file that does not exist) refused by `reload` with nothing signalled,
# and by the server on a raw SIGHUP with the running configuration kept and the
# reason logged; a start-up-only setting (listen) named and kept; the pid file
# held locked (a second serve refused, reload without a server exit 5). No TPM.
# shellcheck source=swtpm-tests/lib.sh
source "$(dirname "$0")/lib.sh"
require_cmd curl python3

dir=$GW_TMP/v
conf=$dir/verifier.conf
port=$(free_port)
check init gwverifier init "$dir" --listen "127.0.0.1:$port" --id reload-0
# The metrics listener too, its store gauges read again at every scrape (refresh 1 s):
# its refresh borrows the settings and keys that the reloads replace.
mport=$(free_port)
printf '\n[metrics]\nlisten = 127.0.0.1:%s\nrefresh = 1\n' "$mport" >>"$conf"

expect_exit -n reload-no-server 5 gwverifier reload --config "$conf"
expect_output_contains -n reload-no-server-says "no gwverifier serve is running"

bg_start verifier "$GW_BIN/gwverifier" serve --config "$conf"
vpid=$BG_PID
log=$GW_TMP/verifier.log
if ! wait_for_port "$port" 20; then
  fail verifier-listens "gwverifier serve did not listen on $port"
  exit 1
fi
expect_eq pid-file "$vpid" "$(cat "$dir/gwverifier.pid")"
expect_exit -n second-serve-refused 5 "$GW_BIN/gwverifier" serve --config "$conf"
expect_output_contains -n second-serve-names-pid "gwverifier serve $vpid holds it"

url=https://127.0.0.1:$port/v1/health
stop=$GW_TMP/stop-load

# A keep-alive client: one TLS connection for every request; any error, a
# reconnection or a non-200 answer is counted. Ends at the stop file (at most 90 s).
cat >"$GW_TMP/keepalive.py" <<'EOF'
import http.client, json, os, ssl, sys, time
ca, port, stop, out = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
ctx = ssl.create_default_context(cafile=ca)
conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=10)
conn.connect()
sock = conn.sock
ok = failed = reconnects = 0
ids = []
errors = []
end = time.time() + 90
while time.time() < end:
    done = os.path.exists(stop)
    try:
        conn.request("GET", "/v1/health")
        r = conn.getresponse()
        body = r.read()
        if r.status != 200:
            failed += 1
            errors.append("status %d" % r.status)
        else:
            ok += 1
            if ok == 1:
                open(stop + ".ready", "w").close()
            vid = json.loads(body)["verifier_id"]
            if not ids or ids[-1] != vid:
                ids.append(vid)
    except Exception as e:  # noqa: BLE001 - every failure counts
        failed += 1
        errors.append(repr(e))
        conn.close()
        conn.connect()
    if conn.sock is not sock:
        reconnects += 1
        sock = conn.sock
    if done:
        break
    time.sleep(0.005)
json.dump({"ok": ok, "failed": failed, "reconnects": reconnects, "ids": ids,
           "errors": errors[:5]}, open(out, "w"))
EOF
bg_start keepalive python3 "$GW_TMP/keepalive.py" "$dir/ca.pem" "$port" "$stop" \
  "$GW_TMP/keepalive.json"

# Fresh connections: a bounded loop of curl requests, each failure counted.
cat >"$GW_TMP/curlloop.sh" <<'EOF'
ok=0 failed=0
for ((i = 0; i < 2000; i++)); do
  if curl -sf --max-time 10 --cacert "$1" "$2" >/dev/null; then
    ok=$((ok + 1))
  else
    failed=$((failed + 1))
  fi
  [ -e "$3" ] && break
done
echo "$ok $failed" >"$4"
EOF
bg_start curlloop bash "$GW_TMP/curlloop.sh" "$dir/ca.pem" "$url" "$stop" "$GW_TMP/curl.counts"
cat >"$GW_TMP/scrapeloop.sh" <<'EOF'
ok=0 failed=0
for ((i = 0; i < 2000; i++)); do
  if curl -sf --max-time 10 "$1" | grep -q '^gatewarden_verifier_devices{'; then
    ok=$((ok + 1))
  else
    failed=$((failed + 1))
  fi
  [ -e "$2" ] && break
  sleep 0.05
done
echo "$ok $failed" >"$3"
EOF
bg_start scrapeloop bash "$GW_TMP/scrapeloop.sh" "http://127.0.0.1:$mport/metrics" "$stop" \
  "$GW_TMP/scrape.counts"

# wait_log N PATTERN: wait (5 s) until the log has at least N lines matching.
wait_log() {
  local i
  for ((i = 0; i < 50; i++)); do
    [ "$(grep -cE "$2" "$log")" -ge "$1" ] && return 0
    sleep 0.1
  done
  return 1
}

for ((i = 0; i < 100; i++)); do
  [ -e "$stop.ready" ] && break
  sleep 0.1
done

# Ten reloads through the command, ten raw SIGHUPs, each changing the id.
n=0
for ((r = 1; r <= 20; r++)); do
  sed -i "s/^id = .*/id = reload-$r/" "$conf"
  if ((r % 2)); then
    gwverifier reload --config "$conf" >/dev/null 2>"$GW_TMP/reload.err" ||
      fail "reload-$r" "$(cat "$GW_TMP/reload.err")"
  else
    kill -HUP "$vpid"
  fi
  n=$((n + 1))
  wait_log "$n" 'gwverifier: reloaded ' || fail "reloaded-$r" "no 'reloaded' line $n in the log"
  sleep 0.2
done
expect_eq reloads-logged 20 "$(grep -c 'gwverifier: reloaded ' "$log")"
check health-new-id curl -sf --cacert "$dir/ca.pem" "$url"
expect_output_contains -n health-says-reload-20 '"verifier_id":"reload-20"'

# A configuration that does not load: refused by reload (nothing signalled) and,
# sent by a raw SIGHUP, refused by the server with the reason logged.
cp "$conf" "$GW_TMP/good.conf"
sed -i "s/^id = .*/id = bad-id/" "$conf"
echo "bogus_key = 1" >>"$conf"
expect_exit -n reload-bad-key 3 gwverifier reload --config "$conf"
expect_output_contains -n reload-bad-key-named "unknown key 'bogus_key'.*nothing signalled"
kill -HUP "$vpid"
wait_log 1 'reload of .* refused, the running configuration stays: .*bogus_key' &&
  pass sighup-bad-key-logged || fail sighup-bad-key-logged "no refusal in the log"
cp "$GW_TMP/good.conf" "$conf"
sed -i "s/^id = .*/id = bad-id/" "$conf"
printf '[policy]\nkey = %s\n' "$GW_TMP/no-such-key.pub" >>"$conf"
expect_exit -n reload-missing-policy-key 3 gwverifier reload --config "$conf"
expect_output_contains -n reload-missing-policy-key-named "no-such-key.pub"
kill -HUP "$vpid"
wait_log 2 'reload of .* refused' && pass sighup-missing-key-logged ||
  fail sighup-missing-key-logged "no second refusal in the log"
check health-after-bad curl -sf --cacert "$dir/ca.pem" "$url"
expect_output_contains -n bad-config-kept-out '"verifier_id":"reload-20"'

# A start-up-only setting: named, and the old value stays in force.
cp "$GW_TMP/good.conf" "$conf"
other=$(free_port)
sed -i "s/^listen = .*/listen = 127.0.0.1:$other/; s/^id = .*/id = reload-listen/" "$conf"
# ... and the store moved: neither the check nor the reload creates (or migrates)
# a database there.
sed -i "s|^store = .*|store = sqlite:$GW_TMP/elsewhere.db|" "$conf"
check reload-listen gwverifier reload --config "$conf"
wait_log 1 "keep their running values: listen 127.0.0.1:$port -> 127.0.0.1:$other" &&
  pass listen-named || fail listen-named "no line naming listen as start-up only"
wait_log 1 "store sqlite:.* -> sqlite:$GW_TMP/elsewhere.db" &&
  pass store-named || fail store-named "no line naming store as start-up only"
expect_eq moved-store-not-created no "$([ -e "$GW_TMP/elsewhere.db" ] && echo yes || echo no)"
check health-old-port curl -sf --cacert "$dir/ca.pem" "$url"
expect_output_contains -n live-setting-applied '"verifier_id":"reload-listen"'
expect_exit -n new-port-not-bound 7 curl -s --max-time 5 --cacert "$dir/ca.pem" \
  "https://127.0.0.1:$other/v1/health"

touch "$stop"
for ((i = 0; i < 100; i++)); do
  [ -s "$GW_TMP/keepalive.json" ] && [ -s "$GW_TMP/curl.counts" ] &&
    [ -s "$GW_TMP/scrape.counts" ] && break
  sleep 0.1
done
check_py keepalive-no-failure "$GW_TMP/keepalive.json" <<'EOF'
import json, sys
j = json.load(open(sys.argv[1]))
print(j)
assert j["failed"] == 0 and j["reconnects"] == 0, j
assert j["ok"] > 100, j
# The ids it saw follow the reloads in order; the bad ones never appear.
assert "bad-id" not in j["ids"], j
assert j["ids"][0] == "reload-0" and j["ids"][-1] == "reload-listen", j
assert len(j["ids"]) >= 10, j
EOF
read -r cok cfailed <"$GW_TMP/curl.counts"
note "keep-alive: $(cat "$GW_TMP/keepalive.json"); curl: $cok ok, $cfailed failed"
expect_eq curl-no-failure 0 "$cfailed"
expect_gt curl-requests "$cok" 20
read -r sok sfailed <"$GW_TMP/scrape.counts"
note "metrics scrapes during the reloads: $sok ok, $sfailed failed"
expect_eq scrape-no-failure 0 "$sfailed"
expect_gt scrape-requests "$sok" 20
_gw_alive "$vpid" && pass verifier-alive || fail verifier-alive "the verifier died"

bg_stop verifier
expect_eq pid-file-removed no "$([ -e "$dir/gwverifier.pid" ] && echo yes || echo no)"
expect_exit -n reload-after-stop 5 gwverifier reload --config "$conf"
