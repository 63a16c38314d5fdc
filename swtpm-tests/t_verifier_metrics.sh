#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The verifier's decision log and its Prometheus metrics against a real swtpm,
# verifier and agent: enrollment (challenge, auto-approval), attestations
# (warning without a policy, affirming, contraindicated with the failed claim
# named), refusals (bad evidence, a replayed nonce, the enrolled TPM under
# another id, no client certificate, a client certificate of another CA at the
# TLS handshake, a revoked device) and enrollment rate limiting. The metrics
# endpoint ([metrics] listen) is scraped with curl and parsed with Prometheus'
# own text-format parser (Debian's python3-prometheus-client): every count must
# match what the scenario did. Every verifier log line carries a syslog priority
# prefix, each decision is one line with its priority, repeated refusals are
# held back. With root, `serve --syslog` is checked against a /dev/log socket
# of its own in a private mount namespace.
# shellcheck source=swtpm-tests/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=swtpm-tests/update_lib.sh
source "$(dirname "$0")/update_lib.sh"
require_cmd python3 openssl curl

localca=/var/lib/swtpm-localca
api=$GW_ROOT/swtpm-tests/apiclient.py
# Debian's python3 has python3-prometheus-client; a python3 earlier in PATH may not.
pyprom=/usr/bin/python3
[ -x "$pyprom" ] || pyprom=python3
if ! "$pyprom" -c 'import prometheus_client.parser' 2>/dev/null; then
  fail prometheus-parser "python3 cannot import prometheus_client (Debian: python3-prometheus-client)"
  exit 1
fi

swtpm_start || exit 1
vdir=$GW_TMP/verifier
vconf=$vdir/verifier.conf
port=$(free_port) || exit 1
mport=$(free_port) || exit 1
expect_exit -n verifier-init 0 gwverifier init "$vdir" --listen "127.0.0.1:$port" \
  --ek-ca "$localca/swtpm-localca-rootca-cert.pem" --ek-ca "$localca/issuercert.pem"
sed -i 's/^auto_approve = none/auto_approve = all/' "$vconf"
gw_policy_keys >>"$vconf" || { fail policy-keys "gwpolicy keygen failed"; exit 1; }
# Two releases for the model: one offered as soon as it is added, one awaiting
# an operator's approval.
uf_release "$GW_TMP/rel"
printf '\n[releases]\ntrust_root = %s\nmax_attest_age = 600\n' "$UF_REL/root.json" >>"$vconf"
vconf_args=(--config "$vconf")
bundle r1 1.0 1
bundle r2 1.1 1
for r in r1 r2; do
  opts=()
  [ "$r" = r2 ] && opts=(--require-approval)
  expect_exit -n "add-$r" 0 gwverifier release add "$UF_REL/$r.gwb" --json "${vconf_args[@]}" "${opts[@]}"
  printf -v "REL_$r" '%s' "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$GW_STDOUT")"
done
# Four enrollment requests an hour from one source: the fifth is rate limited.
# The store gauges are read again at most once a second.
printf '\n[metrics]\nlisten = 127.0.0.1:%s\nrefresh = 1\n' "$mport" >>"$vconf"
sed -i 's/^rate_per_source = .*/rate_per_source = 4\/3600/' "$vconf"
check enroll-rate-set grep -q '^rate_per_source = 4/3600$' "$vconf"

bg_start verifier "$GW_BIN/gwverifier" serve --config "$vconf"
vlog=$GW_TMP/verifier.log
if ! wait_for_port "$port" 20 || ! wait_for_port "$mport" 5; then
  fail verifier-listens "gwverifier serve did not listen on $port and $mport"
  _gw_show_file verifier.log "$vlog"
  exit 1
fi
pass verifier-listens
url=https://127.0.0.1:$port
api_call() { python3 "$api" "$url" "$vdir/ca.pem" "$@"; }
scrape() { curl -sS --max-time 10 -o "$GW_TMP/$1.prom" -w '%{http_code} %{content_type}' "http://127.0.0.1:$mport/metrics"; }

# The metrics listener speaks plain HTTP and only GET /metrics; the devices'
# listener does not serve metrics.
expect_eq scrape-empty "$(scrape m0)" "200 text/plain; version=0.0.4; charset=utf-8"
expect_eq metrics-other-path-404 "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$mport/")" 404
expect_eq metrics-post-refused "$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$mport/metrics")" 501
expect_eq no-metrics-on-device-port "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$vdir/ca.pem" "$url/metrics")" 404

# metrics NAME FILE EXPECT...: parse $GW_TMP/FILE.prom with prometheus_client's
# parser (every family needs HELP); each EXPECT is 'NAME{label=value,...} OP
# NUMBER' (OP one of == >= >), or 'family NAME TYPE'.
cat >"$GW_TMP/prom_check.py" <<'PY'
import re, sys
from prometheus_client.parser import text_string_to_metric_families
text = open(sys.argv[1]).read()
fams = {f.name: f for f in text_string_to_metric_families(text)}
samples = {}
for f in fams.values():
    assert f.documentation, f"{f.name}: no HELP"
    for s in f.samples:
        samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
bad = []
for e in sys.argv[2:]:
    if e.startswith('family '):
        _, name, typ = e.split()
        if name not in fams or fams[name].type != typ:
            bad.append(f"{e}: {fams.get(name) and fams[name].type}")
        continue
    m = re.fullmatch(r'(\w+)(?:\{(.*)\})? (==|>=|>) (\S+)', e)
    assert m, e
    labels = tuple(sorted(tuple(kv.split('=', 1)) for kv in m[2].split(','))) if m[2] else ()
    v = samples.get((m[1], labels))
    want = float(m[4])
    ok = v is not None and {'==': v == want, '>=': v >= want, '>': v > want}[m[3]]
    if not ok:
        bad.append(f"{e}: got {v}")
assert not bad, bad
PY
metrics() {
  local name=$1 f=$GW_TMP/$2.prom
  shift 2
  expect_exit -n "$name" 0 "$pyprom" "$GW_TMP/prom_check.py" "$f" "$@"
}
metrics metrics-empty m0 \
  'family gatewarden_verifier_attestations counter' \
  'family gatewarden_verifier_attestation_duration_seconds histogram' \
  'family gatewarden_verifier_enrollments counter' \
  'family gatewarden_verifier_authorizations counter' \
  'family gatewarden_verifier_store_transaction_duration_seconds histogram' \
  'family gatewarden_verifier_devices gauge' \
  'family gatewarden_verifier_releases gauge' \
  'gatewarden_verifier_attestations_total{status=affirming} == 0' \
  'gatewarden_verifier_attestations_total{status=none} == 0' \
  'gatewarden_verifier_enrollments_total{outcome=challenged} == 0' \
  'gatewarden_verifier_devices{state=enrolled} == 0' \
  'gatewarden_verifier_store_gauge_errors_total == 0'

# --- what the metrics count ---------------------------------------------------
state=$GW_TMP/state
conf=$GW_TMP/agent.conf
stagefile=$GW_TMP/app.bin
echo "application v1" >"$stagefile"
gw_agent_config "$conf" "$state" "app=$stagefile"
ga() { gwagent --config "$conf" "$@"; }
expect_exit -n provision 0 ga provision
expect_exit -n boot 0 ga boot
# Enrollment 1 (auto-approved): one challenge, one enrolled device.
expect_exit -n enroll 0 ga enroll --verifier "$url" --ca "$vdir/ca.pem" --device-id gw-m1 --model gw-1000
cert=(--cert "$state/tls.pem" --key "$state/tls.key")

# Attestation without a policy for the model: warning (1).
expect_exit -n attest-warning 23 ga attest
# With a signed policy listing the stage: affirming (2).
app_digest=$(sha256sum "$stagefile" | cut -d' ' -f1)
printf '{"model":"gw-1000","version":1,"stages":{"app":["%s"]}}\n' "$app_digest" >"$GW_TMP/policy.json"
check policy-sign gw_sign_policy "$GW_TMP/policy.json" "$GW_TMP/policy.signed.json"
expect_exit -n policy-add 0 gwverifier policy add --config "$vconf" "$GW_TMP/policy.signed.json"
expect_exit -n attest-affirming-1 0 ga attest
expect_exit -n attest-affirming-2 0 ga attest
# The store gauges (read at most once a second here) say what `gwverifier status`
# says: the release gauges are its rollout table.
sleep 1.2
expect_eq scrape-mid "$(scrape mid)" "200 text/plain; version=0.0.4; charset=utf-8"
expect_exit -n status-json 0 gwverifier status --json "${vconf_args[@]}"
cp "$GW_STDOUT" "$GW_TMP/status.json"
metrics metrics-releases mid \
  'gatewarden_verifier_devices{state=enrolled} == 1' \
  'gatewarden_verifier_releases{approval=not-required} == 1' \
  'gatewarden_verifier_releases{approval=pending} == 1' \
  'gatewarden_verifier_releases{approval=approved} == 0' \
  "gatewarden_verifier_release_devices{release=$REL_r1,state=devices} == 1" \
  "gatewarden_verifier_release_devices{release=$REL_r2,state=devices} == 1" \
  "gatewarden_verifier_release_devices{release=$REL_r1,state=running} == 0"
check_py metrics-equal-status "$GW_TMP/status.json" "$GW_TMP/mid.prom" <<'PY'
import json, re, sys
status = json.load(open(sys.argv[1]))
text = open(sys.argv[2]).read()
got = {}
for m in re.finditer(r'^gatewarden_verifier_release_devices\{release="([^"]*)",state="([^"]*)"\} (\S+)$', text, re.M):
    got[(m[1], m[2])] = float(m[3])
want = {}
for r in status["rollout"]:
    for k in ("devices", "in_cohort", "offered", "running", "in_trial", "rolled_back", "unreachable"):
        want[(r["id"], k)] = float(r[k])
assert want and got == want, (got, want)
PY
# A tampered stage: contraindicated (1), the claim named.
echo "application v1, patched" >"$stagefile"
expect_exit -n measure-tampered 0 ga measure --stage app "$stagefile"
expect_exit -n attest-contraindicated 24 ga attest

# Refused rounds, no result (none): bad evidence, then a replayed nonce.
api_call "${cert[@]}" 'POST:/v1/attest:{"format":"nope"}' >"$GW_TMP/bad.out"
expect_output_contains -n bad-evidence-400 '^400 .*bad_evidence' "$GW_TMP/bad.out"
read -r nonce sel < <(api_call "${cert[@]}" "POST:/v1/attest/challenge:{}" | python3 -c "
import json, sys; s, b = sys.stdin.read().split(' ', 1); d = json.loads(b); print(d['nonce'], d['pcr_selection'])")
expect_exit -n quote 0 ga quote --nonce "$nonce" --pcrs "$sel" --out "$GW_TMP/q1"
api_call "${cert[@]}" "POST:/v1/attest:@$GW_TMP/q1/evidence.json" \
  "POST:/v1/attest:@$GW_TMP/q1/evidence.json" >"$GW_TMP/replay.out"
expect_output_contains -n replay-first-answered '^200 ' "$GW_TMP/replay.out"
expect_output_contains -n replay-refused '^409 .*nonce_rejected' "$GW_TMP/replay.out"
# So far: warning 1, affirming 2, contraindicated 2 (the tampered PCR is in the
# replayed quote too), none 2.

# Enrollment 2: the enrolled TPM under another id, refused (409 ek_in_use).
python3 - "$state" >"$GW_TMP/squat.json" <<'PY'
import base64, json, sys
d = sys.argv[1]
b = lambda f: base64.b64encode(open(f'{d}/{f}', 'rb').read()).decode()
print(json.dumps({"device_id": "gw-squatter", "model": "gw-1000", "ek_public": b("ek.pub"),
                  "ek_certificate": b("ek-cert.der"), "ak_public": b("ak.pub")}))
PY
api_call "POST:/v1/enroll:@$GW_TMP/squat.json" >"$GW_TMP/squat.out"
expect_output_contains -n squat-refused '^409 .*ek_in_use' "$GW_TMP/squat.out"
# Requests 3 and 4 of the hour are malformed (400, not counted as enrollments);
# 5 and 6 are rate limited (429).
api_call 'POST:/v1/enroll:{not json' 'POST:/v1/enroll:{not json' \
  'POST:/v1/enroll:{not json' 'POST:/v1/enroll:{not json' >"$GW_TMP/burst.out"
check enroll-burst python3 -c "
l = [x.split(' ', 1)[0] for x in open('$GW_TMP/burst.out').read().splitlines()]
assert l == ['400', '400', '429', '429'], l"

# No client certificate (401), and one of another CA (the TLS handshake fails).
api_call 'POST:/v1/attest/challenge:{}' >"$GW_TMP/nocert.out"
expect_output_contains -n no-client-cert-401 '^401 .*client_certificate_required' "$GW_TMP/nocert.out"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$GW_TMP/rogue.key" \
  -out "$GW_TMP/rogue.pem" -subj /CN=gw-m1 -days 1 2>/dev/null
api_call --cert "$GW_TMP/rogue.pem" --key "$GW_TMP/rogue.key" 'POST:/v1/attest/challenge:{}' >"$GW_TMP/rogue.out"
expect_output_contains -n rogue-cert-refused '^0 transport error|^40[13] ' "$GW_TMP/rogue.out"

# Revoked: the device's next round is refused at its challenge (no attestation
# round) and the gauge moves.
expect_exit -n revoke 0 gwverifier device revoke --config "$vconf" gw-m1
expect_exit -n attest-revoked 21 ga attest
sleep 1.2 # past the gauges' refresh interval

expect_eq scrape-after "$(scrape m1)" "200 text/plain; version=0.0.4; charset=utf-8"
metrics metrics-count-what-happened m1 \
  'gatewarden_verifier_attestations_total{status=affirming} == 2' \
  'gatewarden_verifier_attestations_total{status=warning} == 1' \
  'gatewarden_verifier_attestations_total{status=contraindicated} == 2' \
  'gatewarden_verifier_attestations_total{status=none} == 2' \
  'gatewarden_verifier_attestation_duration_seconds_count == 7' \
  'gatewarden_verifier_attestation_duration_seconds_bucket{le=+Inf} == 7' \
  'gatewarden_verifier_attestation_duration_seconds_sum > 0' \
  'gatewarden_verifier_enrollments_total{outcome=challenged} == 1' \
  'gatewarden_verifier_enrollments_total{outcome=enrolled} == 1' \
  'gatewarden_verifier_enrollments_total{outcome=pending} == 0' \
  'gatewarden_verifier_enrollments_total{outcome=refused} == 1' \
  'gatewarden_verifier_enrollments_total{outcome=rate_limited} == 2' \
  'gatewarden_verifier_authorizations_total{outcome=granted} == 0' \
  'gatewarden_verifier_authorizations_total{outcome=refused} == 0' \
  'gatewarden_verifier_store_transaction_duration_seconds_count >= 10' \
  'gatewarden_verifier_devices{state=enrolled} == 0' \
  'gatewarden_verifier_devices{state=revoked} == 1' \
  'gatewarden_verifier_devices{state=pending} == 0' \
  'gatewarden_verifier_releases{approval=not-required} == 1' \
  'gatewarden_verifier_releases{approval=pending} == 1' \
  "gatewarden_verifier_release_devices{release=$REL_r1,state=devices} == 0" \
  'gatewarden_verifier_store_gauge_errors_total == 0'

# --- the log --------------------------------------------------------------------
check every-line-has-a-priority python3 -c "
import re
lines = open('$vlog').read().splitlines()
assert lines, 'empty log'
bad = [l for l in lines if not re.match(r'<[0-7]>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ gwverifier: ', l)]
assert not bad, bad"
loglines() { expect_output_contains -n "$1" "$2" "$vlog"; }
loglines log-enroll-request '^<5>.* enroll\.request device=gw-m1 model=gw-1000 source=127\.0\.0\.1'
loglines log-enroll-auto-approved '^<5>.* enroll\.activate device=gw-m1 model=gw-1000 state=enrolled approval=auto'
loglines log-attest-warning '^<5>.* attest device=gw-m1 status=warning policy=none failed_claims=[1-9]'
loglines log-attest-affirming '^<6>.* attest device=gw-m1 status=affirming policy=policy:gw-1000/1 failed_claims=0$'
loglines log-attest-contraindicated-names-claim '^<4>.* attest device=gw-m1 status=contraindicated .*claims="?[^ ]*executables:[^ ]*'
loglines log-refused-evidence '^<4>.* refused action=attest device=gw-m1: bad evidence'
# The replayed nonce came within 10 s of the bad evidence: held back, not written.
check log-repeated-refusal-held python3 -c "
n = sum('refused action=attest ' in l for l in open('$vlog'))
assert n == 1, n"
loglines log-refused-enroll '^<4>.* refused action=device\.enroll device=gw-squatter: ek_in_use'
loglines log-rate-limited '^<4>.* refused action=enroll\.rate_limited device=-: 1 enrollment requests refused .*the latest from 127\.0\.0\.1'
loglines log-refused-no-client-cert '^<4>.* refused action=client_certificate source=127\.0\.0\.1:[0-9]+ path=/v1/attest/challenge: client_certificate_required'
loglines log-refused-tls '^<4>.* refused action=tls source=127\.0\.0\.1: TLS handshake failed: sent alert .* \(client certificate\)$'
loglines log-refused-revoked '^<4>.* refused action=client_certificate device=gw-m1 .*: revoked'
loglines log-startup-info '^<6>.* metrics on http://127\.0\.0\.1:[0-9]+/metrics'
# No line of the log is a whole document (evidence, a policy, an EAR).
check log-no-documents python3 -c "
bad = [l for l in open('$vlog') if len(l) > 1100 or 'eyJ' in l or '\"stages\"' in l]
assert not bad, bad"
expect_exit -n verifier-stops 0 bg_stop verifier
loglines log-stopping '^<6>.* stopping on signal 15'

# --- --syslog: lines to /dev/log, none on stderr -------------------------------
if [ "$(id -u)" != 0 ] || ! command -v unshare >/dev/null 2>&1; then
  skip syslog "needs root and unshare for a private /dev/log"
else
  cat >"$GW_TMP/syslog.sh" <<'SH'
#!/usr/bin/env bash
# In a private mount namespace: a tmpfs over /dev with null, zero, random and
# urandom bound back, a datagram socket of our own as /dev/log, the verifier with
# --syslog until it listens, then SIGTERM.
set -eu
tmp=$1 bin=$2 conf=$3 port=$4
mkdir -p "$tmp/olddev"
mount --bind /dev "$tmp/olddev"
mount -t tmpfs -o size=1m tmpfs /dev
for n in null zero random urandom; do
  touch "/dev/$n"
  mount --bind "$tmp/olddev/$n" "/dev/$n"
done
python3 - "$tmp/syslog.out" <<'PY' &
import os, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind('/dev/log')
s.settimeout(0.5)
open(sys.argv[1] + '.ready', 'w').close()
end = time.time() + 30
with open(sys.argv[1], 'ab') as out:
    while time.time() < end and not os.path.exists(sys.argv[1] + '.stop'):
        try:
            out.write(s.recv(65536) + b'\n')
            out.flush()
        except socket.timeout:
            pass
PY
rcv=$!
for _ in $(seq 50); do [ -e "$tmp/syslog.out.ready" ] && break; sleep 0.1; done
"$bin" serve --syslog --config "$conf" </dev/null 2>"$tmp/syslog.stderr" &
v=$!
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
kill -TERM "$v"
rc=0
wait "$v" || rc=$?
echo "exit $rc" >"$tmp/syslog.exit"
sleep 0.5
touch "$tmp/syslog.out.stop"
wait "$rcv"
SH
  chmod +x "$GW_TMP/syslog.sh"
  expect_exit -n syslog-run 0 timeout 60 unshare -m --propagation private \
    "$GW_TMP/syslog.sh" "$GW_TMP" "$GW_BIN/gwverifier" "$vconf" "$port"
  expect_output_contains -n syslog-serve-exit-0 '^exit 0$' "$GW_TMP/syslog.exit"
  # <30> is facility daemon (3 << 3) with priority info (6).
  expect_output_contains -n syslog-lines '^<30>.*gwverifier\[[0-9]+\]: verifier .* serving on' "$GW_TMP/syslog.out"
  expect_output_contains -n syslog-stop-line '^<30>.*gwverifier\[[0-9]+\]: stopping on signal 15' "$GW_TMP/syslog.out"
  check syslog-nothing-on-stderr test ! -s "$GW_TMP/syslog.stderr"
fi
