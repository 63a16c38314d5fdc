#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The verifier service under attack and failure, against a real swtpm and real
# processes on 127.0.0.1: untrusted EK CA, wrong credential-activation proof,
# one TPM under a second device id, missing and foreign client certificates,
# malformed and oversized requests, replayed evidence and reused or expired
# nonces, an AK that never went through credential activation, kill -9 under
# load, revocation in the middle of a keep-alive session, re-enrollment of a
# revoked device's TPM, a burst of enrollment requests; EAR results checked with
# an independent JWT library.
# shellcheck source=swtpm-tests/lib.sh
source "$(dirname "$0")/lib.sh"
require_cmd python3 node openssl curl

localca=/var/lib/swtpm-localca
api=$GW_ROOT/swtpm-tests/apiclient.py
jwtv=$GW_ROOT/swtpm-tests/node/jwt-verify.mjs

swtpm_start || exit 1
vdir=$GW_TMP/verifier
port=$(free_port)
expect_exit -n verifier-init 0 gwverifier init "$vdir" --listen "127.0.0.1:$port" \
  --ek-ca "$localca/swtpm-localca-rootca-cert.pem" --ek-ca "$localca/issuercert.pem"
sed -i 's/^auto_approve = none/auto_approve = all/' "$vdir/verifier.conf"
vconf=$vdir/verifier.conf

start_verifier() {
  bg_start verifier "$GW_BIN/gwverifier" serve --config "$vconf"
  VPID=$BG_PID
  wait_for_port "$port" 20 || fail verifier-listens "gwverifier serve did not listen on $port"
}
api_call() { python3 "$api" "https://127.0.0.1:$port" "$vdir/ca.pem" "$@"; }
start_verifier

state=$GW_TMP/state
printf 'application v1\n' >"$GW_TMP/app.bin"
conf=$GW_TMP/agent.conf
gw_agent_config "$conf" "$state" app="$GW_TMP/app.bin"
ga() { gwagent --config "$conf" "$@"; }
expect_exit -n provision 0 ga provision
expect_exit -n boot 0 ga boot

# 1. An EK certificate from a CA the verifier does not trust.
v2=$GW_TMP/verifier2
port2=$(free_port)
expect_exit -n untrusted-verifier-init 0 gwverifier init "$v2" --listen "127.0.0.1:$port2"
sed -i 's/^auto_approve = none/auto_approve = all/' "$v2/verifier.conf"
bg_start verifier2 "$GW_BIN/gwverifier" serve --config "$v2/verifier.conf"
wait_for_port "$port2" 20
expect_exit -n ek-from-unknown-ca-refused 21 ga enroll --verifier "https://127.0.0.1:$port2" --ca "$v2/ca.pem" --device-id gw-attack
expect_output_contains -n ek-from-unknown-ca-named 'ek_untrusted'
bg_stop verifier2 >/dev/null
rm -f "$state/enrollment.json" "$state/verifier-ca.pem"

# 2. A wrong credential-activation proof: refused, the enrollment is spent, no device.
python3 - "$state" >"$GW_TMP/enroll.json" <<'PY'
import base64, json, sys
d = sys.argv[1]
b = lambda f: base64.b64encode(open(f'{d}/{f}', 'rb').read()).decode()
print(json.dumps({"device_id": "gw-forger", "model": "gw-1000", "ek_public": b("ek.pub"),
                  "ek_certificate": b("ek-cert.der"), "ak_public": b("ak.pub")}))
PY
api_call "POST:/v1/enroll:@$GW_TMP/enroll.json" >"$GW_TMP/enroll.out"
eid=$(python3 -c "import json,sys; print(json.loads(open('$GW_TMP/enroll.out').read().split(' ',1)[1])['enrollment_id'])" 2>/dev/null)
expect_ne enroll-challenge-issued "$eid" ""
wrong=$(head -c 32 /dev/urandom | base64)
pem=$(python3 -c "import json; print(json.dumps(open('$state/ak.pem').read()))")
body="{\"enrollment_id\":\"$eid\",\"secret\":\"$wrong\",\"client_public_key\":$pem}"
api_call "POST:/v1/enroll/activate:$body" "POST:/v1/enroll/activate:$body" >"$GW_TMP/activate.out"
expect_output_contains -n wrong-proof-refused '^403 .*activation_failed' "$GW_TMP/activate.out"
expect_output_contains -n wrong-proof-spends-enrollment '^404 .*unknown_enrollment' "$GW_TMP/activate.out"
expect_exit -n wrong-proof-creates-no-device 1 gwverifier device show --config "$vconf" gw-forger

# The real enrollment, through TPM2_ActivateCredential.
expect_exit -n enroll 0 ga enroll --verifier "https://127.0.0.1:$port" --ca "$vdir/ca.pem" --device-id gw-victim --model gw-1000
cert=(--cert "$state/tls.pem" --key "$state/tls.key")

# 2b. One TPM, one device: the enrolled TPM under another id is refused, also with
#     its EK public area spelled differently (another authPolicy, same key). The
#     answer names no device; the audit log names the one that has the TPM.
python3 - "$state" "$GW_TMP" <<'PY'
import base64, json, sys
d, out = sys.argv[1], sys.argv[2]
b = lambda data: base64.b64encode(data).decode()
ek = bytearray(open(f'{d}/ek.pub', 'rb').read())
# TPM2B_PUBLIC: size, type, nameAlg, objectAttributes, then authPolicy (size, bytes).
assert int.from_bytes(ek[10:12], 'big') > 0
ek[12] ^= 0xff
for name, e in (("squat-same", bytes(open(f'{d}/ek.pub', 'rb').read())), ("squat-respelled", bytes(ek))):
    body = {"device_id": "gw-squatter", "model": "gw-1000", "ek_public": b(e),
            "ek_certificate": b(open(f'{d}/ek-cert.der', 'rb').read()),
            "ak_public": b(open(f'{d}/ak.pub', 'rb').read())}
    json.dump(body, open(f'{out}/{name}.json', 'w'))
PY
api_call "POST:/v1/enroll:@$GW_TMP/squat-same.json" "POST:/v1/enroll:@$GW_TMP/squat-respelled.json" >"$GW_TMP/squat.out"
check same-tpm-second-id-refused python3 -c "
lines = open('$GW_TMP/squat.out').read().splitlines()
assert len(lines) == 2 and all(l.startswith('409 ') and '\"ek_in_use\"' in l for l in lines), lines
assert not any('gw-victim' in l for l in lines), lines"
expect_exit -n same-tpm-creates-no-device 1 gwverifier device show --config "$vconf" gw-squatter
expect_exit -n audit-after-squat 0 gwverifier audit --config "$vconf" --json
expect_output_contains -n squat-audited '"action":"device.enroll","device":"gw-squatter","outcome":"refused".*ek_in_use.*gw-victim'

# After a reboot the boot service measures the pinned gate key again (PCR 14).
check power-cycle swtpm_power_cycle
expect_exit -n boot-after-enroll 0 ga boot
expect_output_contains -n boot-measures-pinned-gate-key 'pinned verifier gate key measured into PCR 14'
expect_exit -n status-after-reboot 0 ga status --json
check gate-key-in-new-log python3 -c "
import json; d = json.load(open('$GW_STDOUT')); assert d['event_log']['records'] == 2, d"
# gwpolicy predict gives, before any boot, the PCR 13 and 14 values just seen.
expect_exit -n predict 0 gwpolicy predict --stage app="$GW_TMP/app.bin" --gate-key "$vdir/gate.pub" --json
check predict-equals-tpm python3 -c "
import json; p = json.load(open('$GW_STDOUT'))['pcrs']
assert p['sha256']['13'] == '$(tpm_pcr sha256 13)' and p['sha256']['14'] == '$(tpm_pcr sha256 14)', p
assert p['sha1']['13'] == '$(tpm_pcr sha1 13)' and p['sha1']['14'] == '$(tpm_pcr sha1 14)', p"

# 3. Client certificates: none, and one from another CA.
api_call "POST:/v1/attest/challenge:{}" >"$GW_TMP/nocert.out"
expect_output_contains -n no-client-cert-refused '^401 .*client_certificate_required' "$GW_TMP/nocert.out"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$GW_TMP/rogue.key" \
  -out "$GW_TMP/rogue.pem" -subj /CN=gw-victim -days 1 2>/dev/null
api_call --cert "$GW_TMP/rogue.pem" --key "$GW_TMP/rogue.key" "POST:/v1/attest/challenge:{}" >"$GW_TMP/rogue.out"
expect_output_contains -n foreign-client-cert-refused '^0 transport error|^40[13] ' "$GW_TMP/rogue.out"

# 4. Malformed and oversized requests get 4xx with a stable code.
api_call "POST:/v1/enroll:{not json" "POST:/v1/enroll:[]" 'POST:/v1/enroll:{"device_id":"a","bogus":1}' \
  "${cert[@]}" "POST:/v1/attest:{\"format\":\"nope\"}" >"$GW_TMP/malformed.out"
check malformed-requests-4xx python3 -c "
lines = open('$GW_TMP/malformed.out').read().splitlines()
assert len(lines) == 4 and all(l.startswith('400 ') for l in lines), lines
assert 'bad_request' in lines[0] and 'bad_evidence' in lines[3], lines"
head -c 2000000 /dev/zero | tr '\0' ' ' >"$GW_TMP/big.json"
# The 413 leaves once the headers are read. curl, like the agent, asks first
# (Expect: 100-continue above 1 MiB) and reads it; a client that streams the
# body regardless may see the connection close under its upload instead.
code=$(curl -sS --max-time 20 --cacert "$vdir/ca.pem" -o "$GW_TMP/big.out" -w '%{http_code}' \
  -H 'Content-Type: application/json' --data-binary @"$GW_TMP/big.json" \
  "https://127.0.0.1:$port/v1/enroll" 2>"$GW_TMP/big.err")
expect_eq oversized-request-413 "$code" 413
api_call "POST:/v1/enroll:@$GW_TMP/big.json" >"$GW_TMP/big-stream.out"
api_call "GET:/v1/health" >"$GW_TMP/health.out"
expect_output_contains -n still-serving-after-bad-input '^200 .*"status":"ok"' "$GW_TMP/health.out"

# 5. A normal round; the EAR verifies with an independent JWT library (jose).
expect_exit -n attest 23 ga attest
check ear-verifies-with-jose node "$jwtv" "$state/last-result.jwt" "$vdir/gate.pub"
check ear-claims python3 -c "
import json, subprocess
out = json.loads(subprocess.check_output(['node', '$jwtv', '$state/last-result.jwt', '$vdir/gate.pub']))
c = out['claims']; assert out['header']['alg'] == 'ES256'
assert c['sub'] == 'gw-victim' and c['exp'] > c['iat']
m = c['submods']['gatewarden']; assert m['ear.status'] == 'warning', m
assert m['ear.trustworthiness-vector']['instance-identity'] == 2"
check ear-refused-with-another-key bash -c "! node '$jwtv' '$state/last-result.jwt' '$v2/gate.pub' 2>/dev/null"

# 6. Replayed evidence and a reused nonce.
challenge() { # -> NONCE SEL
  api_call "${cert[@]}" "POST:/v1/attest/challenge:{}" | python3 -c "
import json, sys; s, b = sys.stdin.read().split(' ', 1); d = json.loads(b); print(d['nonce'], d['pcr_selection'])"
}
read -r nonce sel < <(challenge)
expect_exit -n quote-for-challenge 0 ga quote --nonce "$nonce" --pcrs "$sel" --out "$GW_TMP/q1"
api_call "${cert[@]}" "POST:/v1/attest:@$GW_TMP/q1/evidence.json" "POST:/v1/attest:@$GW_TMP/q1/evidence.json" >"$GW_TMP/replay.out"
expect_output_contains -n first-use-accepted '^200 .*"status"' "$GW_TMP/replay.out"
expect_output_contains -n replayed-evidence-refused '^409 .*nonce_rejected.*already used' "$GW_TMP/replay.out"
# Evidence made for an invented nonce.
expect_exit -n quote-invented-nonce 0 ga quote --nonce "$(gw_nonce)" --pcrs "$sel" --out "$GW_TMP/q2"
api_call "${cert[@]}" "POST:/v1/attest:@$GW_TMP/q2/evidence.json" >"$GW_TMP/invented.out"
expect_output_contains -n invented-nonce-refused '^409 .*nonce_rejected' "$GW_TMP/invented.out"

# 6b. Two quotes of one device appraised one after the other (the older last) and
#     at once: the recorded TPM clock is always the newer quote's, never the older.
cat >"$GW_TMP/race.py" <<'PY'
import base64, http.client, json, ssl, subprocess, sys, threading
port, ca, cert, key, vconf, old, new, mode = sys.argv[1:9]
def clock(path):
    a = base64.b64decode(json.load(open(path))['attest'])
    o = 6
    for _ in range(2):  # qualifiedSigner, extraData
        o += 2 + int.from_bytes(a[o:o + 2], 'big')
    return int.from_bytes(a[o + 8:o + 12], 'big'), int.from_bytes(a[o:o + 8], 'big')
ctx = ssl.create_default_context(cafile=ca)
ctx.load_cert_chain(cert, key)
out = {}
def post(name, path):
    c = http.client.HTTPSConnection('127.0.0.1', int(port), context=ctx, timeout=30)
    c.request('POST', '/v1/attest', body=open(path, 'rb').read(),
              headers={'Content-Type': 'application/json'})
    r = c.getresponse()
    out[name] = (r.status, json.loads(r.read()))
if mode == 'sequential':
    post('new', new)
    post('old', old)
else:
    ts = [threading.Thread(target=post, args=a) for a in (('old', old), ('new', new))]
    [t.start() for t in ts]
    [t.join() for t in ts]
assert clock(old) < clock(new), (clock(old), clock(new))
assert out['old'][0] == 200 and out['new'][0] == 200, out
dev = json.loads(subprocess.check_output([sys.argv[9], 'device', 'show', '--config', vconf,
                                          'gw-victim', '--json']))
assert (dev['reset_count'], dev['clock']) == clock(new), (dev, clock(old), clock(new))
claims = [c['check'] for c in out['old'][1]['failed_claims']]
if mode == 'sequential':
    assert out['old'][1]['status'] == 'contraindicated' and 'clock' in claims, out['old']
print(mode, out['old'][1]['status'], out['new'][1]['status'])
PY
for round in sequential concurrent-1 concurrent-2 concurrent-3; do
  read -r n_old sel < <(challenge)
  read -r n_new _ < <(challenge)
  ga quote --nonce "$n_old" --pcrs "$sel" --out "$GW_TMP/race-old" >/dev/null 2>&1
  ga quote --nonce "$n_new" --pcrs "$sel" --out "$GW_TMP/race-new" >/dev/null 2>&1
  check "clock-race-$round" python3 "$GW_TMP/race.py" "$port" "$vdir/ca.pem" "$state/tls.pem" \
    "$state/tls.key" "$vconf" "$GW_TMP/race-old/evidence.json" "$GW_TMP/race-new/evidence.json" \
    "${round%-*}" "$GW_BIN/gwverifier"
done

# 7. An expired nonce (the verifier restarted with a 1-second nonce lifetime).
bg_stop verifier >/dev/null
sed -i 's/^nonce_ttl = .*/nonce_ttl = 1/' "$vconf"
start_verifier
read -r nonce sel < <(challenge)
sleep 2
expect_exit -n quote-late 0 ga quote --nonce "$nonce" --pcrs "$sel" --out "$GW_TMP/q3"
api_call "${cert[@]}" "POST:/v1/attest:@$GW_TMP/q3/evidence.json" >"$GW_TMP/expired.out"
expect_output_contains -n expired-nonce-refused '^409 .*nonce_rejected.*expired' "$GW_TMP/expired.out"
bg_stop verifier >/dev/null
sed -i 's/^nonce_ttl = .*/nonce_ttl = 60/' "$vconf"
start_verifier

# 8. kill -9 in the middle of a stream of attestations: every answered round is
#    stored, the audit chain verifies, the verifier starts again.
rounds=$GW_TMP/rounds
: >"$rounds"
(
  for _ in $(seq 30); do
    "$GW_BIN/gwagent" --config "$conf" attest >/dev/null 2>&1
    echo $? >>"$rounds"
  done
) &
loop=$!
for _ in $(seq 100); do [ "$(wc -l <"$rounds")" -ge 5 ] && break; sleep 0.1; done
kill -9 "$VPID"
bg_stop verifier >/dev/null # reap it, so that a later bg_stop stops the next one
wait "$loop"
answered=$(grep -cxE '0|23|24' "$rounds")
note "rounds answered before and after the kill: $answered of $(wc -l <"$rounds")"
start_verifier
expect_exit -n history-after-kill 0 gwverifier history --config "$vconf" gw-victim --json
stored=$(python3 -c "import json; print(len(json.load(open('$GW_STDOUT'))))")
# Rounds 5 and 6 above, the ones before this block (1 + 1) and the answered ones.
expect_gt kill9-nothing-answered-lost "$((stored + 1))" "$((answered + 2))"
expect_exit -n audit-verifies-after-kill 0 gwverifier audit verify --config "$vconf"
expect_exit -n attest-after-restart 23 ga attest

# 8b. Review findings: evidence that leaves parts of the quote unexplained.
# A forged firmware log whose quoted sha256 bank lacks a digest in some event
# (once this skipped every comparison and let a forged CEL log through).
python3 - "$GW_TMP/forged-fw.bin" <<'PY'
import struct, sys
spec = b'Spec ID Event03\0' + struct.pack('<IBBBB', 0, 0, 2, 0, 2) + struct.pack('<I', 2) \
    + struct.pack('<HH', 4, 20) + struct.pack('<HH', 11, 32) + b'\0'
hdr = struct.pack('<II', 0, 3) + bytes(20) + struct.pack('<I', len(spec)) + spec
ev = struct.pack('<III', 0, 3, 1) + struct.pack('<H', 4) + bytes(20) + struct.pack('<I', 0)
open(sys.argv[1], 'wb').write(hdr + ev)
PY
read -r nonce sel < <(challenge)
expect_exit -n quote-forged-fw 0 ga quote --nonce "$nonce" --pcrs "$sel" --firmware-log "$GW_TMP/forged-fw.bin" --out "$GW_TMP/q5"
api_call "${cert[@]}" "POST:/v1/attest:@$GW_TMP/q5/evidence.json" >"$GW_TMP/forged-fw.out"
expect_output_contains -n incomplete-bank-fw-log-contraindicated '^200 .*"status":"contraindicated".*firmware-log-replay.*lacks some sha256 digests' "$GW_TMP/forged-fw.out"
# A CEL record on a PCR the quote does not cover is not authenticated.
read -r nonce sel < <(challenge)
expect_exit -n quote-for-cel-forgery 0 ga quote --nonce "$nonce" --pcrs "$sel" --out "$GW_TMP/q6"
python3 - "$GW_TMP/q6/evidence.json" <<'PY'
import base64, json, sys
p = sys.argv[1]
ev = json.load(open(p))
log = base64.b64decode(ev['cel_log'])
n = log.count(b'\x1e')
rec = {"recnum": n, "pcr": 16, "digests": [{"hashAlg": "sha1", "digest": "00" * 20},
       {"hashAlg": "sha256", "digest": "00" * 32}], "content_type": "gatewarden",
       "content": {"eventType": "stage", "stage": "application", "string": "forged"}}
log += b'\x1e' + json.dumps(rec, separators=(',', ':')).encode() + b'\n'
ev['cel_log'] = base64.b64encode(log).decode()
json.dump(ev, open(p, 'w'))
PY
api_call "${cert[@]}" "POST:/v1/attest:@$GW_TMP/q6/evidence.json" >"$GW_TMP/cel-forged.out"
expect_output_contains -n unquoted-pcr-record-contraindicated '^200 .*"status":"contraindicated".*log-coverage.*PCR 16' "$GW_TMP/cel-forged.out"
# A quoted PCR extended behind the logs' back.
check extend-pcr5-without-log tpm2_pcrextend "5:sha256=$(printf x | sha256sum | cut -d' ' -f1),sha1=$(printf x | sha1sum | cut -d' ' -f1)"
expect_exit -n unexplained-pcr-contraindicated 24 ga attest
expect_output_contains -n unexplained-pcr-named 'hardware/log-coverage: PCR 5 .*holds measurements that no event log explains'
check power-cycle-after-pcr5 swtpm_power_cycle
expect_exit -n boot-after-pcr5 0 ga boot
# The client certificate is issued once: the enrollment secret cannot mint more.
python3 -c "
import json; e = json.load(open('$state/enrollment.json'))
print(json.dumps({'enrollment_id': e['enrollment_id'], 'secret': e['secret']}))" >"$GW_TMP/status.json"
api_call "POST:/v1/enroll/status:@$GW_TMP/status.json" >"$GW_TMP/status.out"
expect_output_contains -n certificate-issued-once '^409 .*certificate_issued' "$GW_TMP/status.out"

# 9. Evidence signed by an AK that never went through credential activation.
expect_exit -n new-ak-without-activation 0 ga provision --force
expect_exit -n unactivated-ak-contraindicated 24 ga attest
expect_output_contains -n unactivated-ak-named 'instance-identity/signature'

# 10. Revocation in the middle of a keep-alive session: the next request is refused.
mkfifo "$GW_TMP/go"
python3 "$api" "https://127.0.0.1:$port" "$vdir/ca.pem" "${cert[@]}" --keep-alive-pause stdin \
  "POST:/v1/attest/challenge:{}" "POST:/v1/attest/challenge:{}" <"$GW_TMP/go" >"$GW_TMP/session.out" &
client=$!
exec 9>"$GW_TMP/go"
for _ in $(seq 100); do [ -s "$GW_TMP/session.out" ] && break; sleep 0.1; done
expect_exit -n revoke 0 gwverifier device revoke --config "$vconf" gw-victim --reason "stolen gateway"
echo go >&9
exec 9>&-
wait "$client"
expect_output_contains -n session-before-revoke-served '^200 .*nonce' "$GW_TMP/session.out"
expect_output_contains -n revoked-mid-session-refused '^403 .*revoked' "$GW_TMP/session.out"
expect_exit -n revoked-attest-refused 21 ga attest
expect_exit -n audit-lists-revocation 0 gwverifier audit --config "$vconf" --json
expect_output_contains -n audit-revocation-record '"action":"device.revoke".*stolen gateway'
expect_exit -n audit-chain-intact 0 gwverifier audit verify --config "$vconf"

# 11. The revoked device's TPM enrolls again under a new id, as pending only:
#     auto_approve = all does not bring a revoked TPM back without an operator.
rm -f "$state/enrollment.json" "$state/verifier-ca.pem"
expect_exit -n revoked-tpm-enrolls-pending 20 ga enroll --verifier "https://127.0.0.1:$port" --ca "$vdir/ca.pem" --device-id gw-reborn --model gw-1000
expect_exit -n reborn-shown 0 gwverifier device show --config "$vconf" gw-reborn --json
check reborn-is-pending python3 -c "
import json; d = json.load(open('$GW_STDOUT')); assert d['state'] == 'pending', d"
expect_exit -n audit-after-reborn 0 gwverifier audit --config "$vconf" --json
expect_output_contains -n reborn-audit-names-predecessor '"action":"device.enroll","device":"gw-reborn","outcome":"pending".*"previous_device":"gw-victim"'

# 12. A burst of enrollment requests from one source gets 429 rate_limited with
#     Retry-After, then from all sources together; other endpoints are not limited.
enroll_burst() { # N [BODY-FILE] -> one line per request: STATUS RETRY-AFTER CODE
  python3 - "$port" "$vdir/ca.pem" "$1" "${2:-}" <<'PY'
import http.client, json, ssl, sys
port, ca, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
body = open(sys.argv[4], 'rb').read() if sys.argv[4] else b'{}'
ctx = ssl.create_default_context(cafile=ca)
for _ in range(n):
    c = http.client.HTTPSConnection('127.0.0.1', port, context=ctx, timeout=15)
    c.request('POST', '/v1/enroll', body=body, headers={'Content-Type': 'application/json'})
    r = c.getresponse()
    code = json.loads(r.read())['error']['code']
    print(r.status, r.getheader('Retry-After', '-'), code)
    c.close()
PY
}
bg_stop verifier >/dev/null
sed -i 's|^rate_per_source = .*|rate_per_source = 3/3600|' "$vconf"
start_verifier
enroll_burst 5 >"$GW_TMP/burst.out"
check burst-per-source-429 python3 -c "
lines = [l.split() for l in open('$GW_TMP/burst.out').read().splitlines()]
assert [l[0] for l in lines] == ['400'] * 3 + ['429'] * 2, lines
assert all(l[2] == 'rate_limited' and 1 <= int(l[1]) <= 1200 for l in lines[3:]), lines"
api_call "GET:/v1/health" >"$GW_TMP/health2.out"
expect_output_contains -n health-not-limited '^200 ' "$GW_TMP/health2.out"
expect_exit -n audit-after-burst 0 gwverifier audit --config "$vconf" --json
expect_output_contains -n rate-limit-audited '"action":"enroll.rate_limited",.*"outcome":"refused".*127\.0\.0\.1'
bg_stop verifier >/dev/null
sed -i -e 's|^rate_per_source = .*|rate_per_source = off|' \
  -e 's|^rate_global = .*|rate_global = 2/3600|' "$vconf"
start_verifier
# Junk does not reach the global bucket (only a TPM whose EK certificate chains
# to a trusted CA does), so a few sources cannot shut enrollment for everyone.
enroll_burst 3 >"$GW_TMP/burst-junk.out"
check burst-junk-not-global python3 -c "
lines = [l.split() for l in open('$GW_TMP/burst-junk.out').read().splitlines()]
assert [l[0] for l in lines] == ['400'] * 3, lines"
enroll_burst 3 "$GW_TMP/squat-same.json" >"$GW_TMP/burst-global.out"
check burst-global-429 python3 -c "
lines = [l.split() for l in open('$GW_TMP/burst-global.out').read().splitlines()]
assert [l[0] for l in lines] == ['409', '409', '429'] and lines[2][2] == 'rate_limited', lines"
expect_exit -n audit-chain-intact-at-end 0 gwverifier audit verify --config "$vconf"
expect_no_handles no-handles-left
