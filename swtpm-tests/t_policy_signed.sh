#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Signed policies (doc/verifier.md, "Policies"): the verifier takes only policies
# signed by a threshold of its [policy] keys. Refused, audited and not stored:
# no keys configured, unsigned JSON, an unknown signer, too few signatures, a
# wrong payloadType, a version not above the current one. Accepted and audited: a
# mid-rollout policy allowing two stage digests, which affirms a device booted with
# either stage file. check-quote --policy offline gives the server's status and
# claims for the same evidence. A stored row replaced by a policy signed with an
# unknown key is never appraised with: contraindicated.
# shellcheck source=swtpm-tests/lib.sh
source "$(dirname "$0")/lib.sh"
require_cmd python3 openssl sqlite3

localca=/var/lib/swtpm-localca
api=$GW_ROOT/swtpm-tests/apiclient.py

swtpm_start || exit 1
vdir=$GW_TMP/verifier
vconf=$vdir/verifier.conf
port=$(free_port) || exit 1
expect_exit -n verifier-init 0 gwverifier init "$vdir" --listen "127.0.0.1:$port" \
  --ek-ca "$localca/swtpm-localca-rootca-cert.pem" --ek-ca "$localca/issuercert.pem"
sed -i 's/^auto_approve = .*/auto_approve = all/' "$vconf"
# The same set-up without keys: a copy in the same directory (paths resolve there).
cp "$vconf" "$vdir/nokeys.conf"
keys=$GW_TMP/policy-keys
gw_policy_keys "$keys" 2 2 >>"$vconf" || { fail policy-keys "gwpolicy keygen failed"; exit 1; }
expect_exit -n rogue-keygen 0 gwpolicy keygen --out "$GW_TMP/rogue"
keyid() { openssl pkey -pubin -in "$1" -outform DER | sha256sum | cut -d' ' -f1; }
kid1=$(keyid "$keys/policy-1.pub")
kid2=$(keyid "$keys/policy-2.pub")

state=$GW_TMP/state
conf=$GW_TMP/agent.conf
stagefile=$GW_TMP/app.bin
printf 'application v1\n' >"$stagefile"
d1=$(sha256sum "$stagefile" | cut -d' ' -f1)
d2=$(printf 'application v2\n' | sha256sum | cut -d' ' -f1)
d3=$(printf 'application v3\n' | sha256sum | cut -d' ' -f1)
gw_agent_config "$conf" "$state" "app=$stagefile"
ga() { gwagent --config "$conf" "$@"; }
# policy VERSION DIGEST...: a policy of gw-1000 allowing these app digests.
policy() {
  local v=$1 list
  shift
  list=$(printf '"%s",' "$@")
  printf '{"model":"gw-1000","version":%s,"stages":{"app":[%s]}}\n' "$v" "${list%,}"
}
padd() { gwverifier policy add --config "$vconf" "$@"; }
stored_versions() {
  gwverifier policy list --json --config "$vconf" |
    python3 -c "import json, sys; print(' '.join(str(p['version']) for p in json.load(sys.stdin)))"
}
audit_json() { gwverifier audit --json --config "$vconf" >"$GW_TMP/audit.json"; }

policy 1 "$d1" >"$GW_TMP/p1.json"

# 1. Refusals: nothing is stored, each one is audited (even before the file is read).
expect_exit -n no-keys-refused 3 gwverifier policy add --config "$vdir/nokeys.conf" \
  "$GW_TMP/p1.json"
expect_output_contains -n no-keys-says-so 'no policy keys are configured' "$GW_STDERR"
expect_exit -n missing-file-refused 1 padd "$GW_TMP/no-such-policy.json"
expect_exit -n unsigned-refused 19 padd "$GW_TMP/p1.json"
expect_output_contains -n unsigned-says-so 'not a signed policy' "$GW_STDERR"
check sign-rogue gw_sign_policy "$GW_TMP/p1.json" "$GW_TMP/p1.rogue.json" "$GW_TMP/rogue.key"
expect_exit -n unknown-signer-refused 10 padd "$GW_TMP/p1.rogue.json"
expect_output_contains -n unknown-signer-says-so \
  'policy signature: 0 of required 2 signatures valid \(key [0-9a-f]{4}.* unknown\)' "$GW_STDERR"
check sign-one-of-two gw_sign_policy "$GW_TMP/p1.json" "$GW_TMP/p1.one.json" "$keys/policy-1.key"
expect_exit -n below-threshold-refused 10 padd "$GW_TMP/p1.one.json"
expect_output_contains -n below-threshold-says-so \
  'policy signature: 1 of required 2 signatures valid' "$GW_STDERR"
check sign-wrong-type gwpolicy sign --type application/vnd.gatewarden.manifest+json \
  --key "$keys/policy-1.key" --key "$keys/policy-2.key" "$GW_TMP/p1.json"
cp "$GW_STDOUT" "$GW_TMP/p1.type.json"
expect_exit -n wrong-type-refused 19 padd "$GW_TMP/p1.type.json"
expect_output_contains -n wrong-type-says-so "payloadType 'application/vnd.gatewarden.manifest\+json'" \
  "$GW_STDERR"
printf '{"model":"gw-1000","version":1,"stages":{"app":["%s"]},"colour":"red"}\n' "$d1" \
  >"$GW_TMP/bad.json"
check sign-bad-payload gw_sign_policy "$GW_TMP/bad.json" "$GW_TMP/bad.signed.json"
expect_exit -n bad-payload-refused 19 padd "$GW_TMP/bad.signed.json"
expect_output_contains -n bad-payload-names-path "bad.signed.json: \\$: unknown key 'colour'" \
  "$GW_STDERR"
expect_eq refused-nothing-stored "$(stored_versions)" ""
audit_json
check_py refusals-audited "$GW_TMP/audit.json" "$kid1" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
refused = [r for r in recs if r["action"] == "policy.add" and r["outcome"] == "refused"]
assert len(refused) == 7, refused
errors = [r["detail"]["error"] for r in refused]
assert errors[0] == "no policy keys are configured", errors
assert "No such file" in errors[1], errors
assert "not a signed policy" in errors[2], errors
assert "unknown" in errors[3] and "1 of required 2" in errors[4], errors
assert "payloadType" in errors[5] and "unknown key 'colour'" in errors[6], errors
assert refused[4]["detail"]["signed_by"] == [sys.argv[2]], refused[4]
PY

# 2. Accepted: signed by both keys; audited with the payload's digest and signers.
check sign-v1 gw_sign_policy "$GW_TMP/p1.json" "$GW_TMP/p1.signed.json"
expect_exit -n v1-accepted 0 padd "$GW_TMP/p1.signed.json"
expect_output_contains -n v1-says-added 'policy gw-1000 version 1 added' "$GW_STDOUT"
expect_exit -n same-version-refused 5 padd "$GW_TMP/p1.signed.json"
expect_exit -n audit-lists-add 0 gwverifier audit --config "$vconf"
expect_output_contains -n audit-shows-policy-add 'policy\.add +- +ok' "$GW_STDOUT"
audit_json
check v1-audited python3 - "$GW_TMP/audit.json" "$(sha256sum <"$GW_TMP/p1.json" | cut -d' ' -f1)" \
  "$kid1" "$kid2" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
ok = [r for r in recs if r["action"] == "policy.add" and r["outcome"] == "ok"]
assert len(ok) == 1, ok
d = ok[0]["detail"]
assert d["model"] == "gw-1000" and d["version"] == 1, d
assert d["sha256"] == sys.argv[2], d
assert sorted(d["signed_by"]) == sorted(sys.argv[3:5]), d
last = recs[-1]
assert last["outcome"] == "refused" and last["detail"]["version"] == 1, last
assert "is not above the current version 1" in last["detail"]["error"], last
PY
expect_exit -n show-prints-payload 0 gwverifier policy show --config "$vconf" gw-1000
check show-payload-is-signed-text cmp -s "$GW_STDOUT" "$GW_TMP/p1.json"
expect_exit -n show-json 0 gwverifier policy show --json --config "$vconf" gw-1000
check_py show-json-signers "$GW_STDOUT" "$kid1" "$kid2" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
assert j["policy"]["model"] == "gw-1000" and j["verified"] is True, j
assert sorted(j["signed_by"]) == sorted(sys.argv[2:4]), j
PY

# 3. A mid-rollout version allows the old and the new application.
policy 2 "$d1" "$d2" >"$GW_TMP/p2.json"
check sign-v2 gw_sign_policy "$GW_TMP/p2.json" "$GW_TMP/p2.signed.json"
expect_exit -n v2-accepted 0 padd "$GW_TMP/p2.signed.json"
expect_exit -n lower-version-refused 5 padd "$GW_TMP/p1.signed.json"
expect_eq versions-stored "$(stored_versions)" "2"

bg_start verifier "$GW_BIN/gwverifier" serve --config "$vconf"
wait_for_port "$port" 20 || { fail verifier-listens "no listener on $port"; exit 1; }
api_call() { python3 "$api" "https://127.0.0.1:$port" "$vdir/ca.pem" "$@"; }
expect_exit -n provision 0 ga provision
expect_exit -n boot-v1 0 ga boot
expect_exit -n enroll 0 ga enroll --verifier "https://127.0.0.1:$port" --ca "$vdir/ca.pem" \
  --device-id gw-pol --model gw-1000
expect_exit -n attest-v1-affirming 0 ga attest
expect_output_contains -n attest-v1-says-affirming 'gw-pol: affirming' "$GW_STDOUT"

check power-cycle swtpm_power_cycle
printf 'application v2\n' >"$stagefile"
expect_exit -n boot-v2 0 ga boot
expect_exit -n attest-v2-affirming 0 ga attest --json
expect_output_contains -n attest-v2-json-affirming '"status": *"affirming"' "$GW_STDOUT"

# 4. The rollout is withdrawn (only v3 allowed): the server and check-quote
#    --policy agree on the same evidence, claim by claim.
policy 3 "$d3" >"$GW_TMP/p3.json"
check sign-v3 gw_sign_policy "$GW_TMP/p3.json" "$GW_TMP/p3.signed.json"
expect_exit -n v3-accepted 0 padd "$GW_TMP/p3.signed.json"
cert=(--cert "$state/tls.pem" --key "$state/tls.key")
read -r nonce sel < <(api_call "${cert[@]}" "POST:/v1/attest/challenge:{}" | python3 -c "
import json, sys
s, b = sys.stdin.read().split(' ', 1); d = json.loads(b)
print(d['nonce'], d['pcr_selection'])")
expect_exit -n quote-for-challenge 0 ga quote --nonce "$nonce" --pcrs "$sel" --out "$GW_TMP/q"
api_call "${cert[@]}" "POST:/v1/attest:@$GW_TMP/q/evidence.json" >"$GW_TMP/server.out"
expect_output_contains -n server-contraindicated '^200 .*"contraindicated"' "$GW_TMP/server.out"
expect_exit -n check-quote-policy 24 gwverifier check-quote --json --evidence "$GW_TMP/q/evidence.json" \
  --ak "$state/ak.pem" --nonce "$nonce" --policy "$GW_TMP/p3.signed.json" \
  --policy-key "$keys/policy-1.pub" --policy-key "$keys/policy-2.pub"
cp "$GW_STDOUT" "$GW_TMP/offline.json"
check_py offline-equals-server "$GW_TMP/server.out" "$GW_TMP/offline.json" <<'PY'
import base64, json, sys
status, body = open(sys.argv[1]).read().split(" ", 1)
srv = json.loads(body)
off = json.load(open(sys.argv[2]))
tok = srv["ear"].split(".")[1]
ear = json.loads(base64.urlsafe_b64decode(tok + "=" * (-len(tok) % 4)))
mod = ear["submods"]["gatewarden"]
assert off["status"] == srv["status"] == mod["ear.status"] == "contraindicated", (off, srv)
assert off["failed_claims"] == srv["failed_claims"] == mod["gatewarden.failed-claims"], (
    off["failed_claims"], srv["failed_claims"])
assert off["trustworthiness_vector"] == mod["ear.trustworthiness-vector"], (
    off["trustworthiness_vector"], mod["ear.trustworthiness-vector"])
assert off["policy"]["id"] == mod["ear.appraisal-policy-id"] == "policy:gw-1000/3", off["policy"]
assert any(c["check"] == "$.stages.app" and c["claim"] == "executables"
           for c in off["failed_claims"]), off["failed_claims"]
PY
expect_exit -n check-quote-policy-text 24 gwverifier check-quote --evidence "$GW_TMP/q/evidence.json" \
  --ak "$state/ak.pem" --nonce "$nonce" --policy "$GW_TMP/p3.signed.json" \
  --policy-key "$keys/policy-1.pub" --policy-key "$keys/policy-2.pub"
expect_output_contains -n check-quote-text-claim 'failed claim: executables contraindicated \$\.stages\.app' \
  "$GW_STDOUT"
expect_exit -n check-quote-policy-below-threshold 10 gwverifier check-quote \
  --evidence "$GW_TMP/q/evidence.json" --ak "$state/ak.pem" --nonce "$nonce" \
  --policy "$GW_TMP/p1.one.json" --policy-key "$keys/policy-1.pub" \
  --policy-key "$keys/policy-2.pub"
expect_exit -n check-quote-policy-1-of-2 24 gwverifier check-quote \
  --evidence "$GW_TMP/q/evidence.json" --ak "$state/ak.pem" --nonce "$nonce" \
  --policy "$GW_TMP/p1.one.json" --policy-key "$keys/policy-1.pub" \
  --policy-key "$keys/policy-2.pub" --policy-threshold 1
expect_exit -n check-quote-policy-needs-key 2 gwverifier check-quote \
  --evidence "$GW_TMP/q/evidence.json" --ak "$state/ak.pem" --nonce "$nonce" \
  --policy "$GW_TMP/p3.signed.json"
# Without the PCR values the coverage rule cannot be applied: refused, not passed.
expect_exit -n check-quote-policy-needs-pcrs 2 gwverifier check-quote \
  --message "$GW_TMP/q/quote.msg" --signature "$GW_TMP/q/quote.sig" --ak "$state/ak.pem" \
  --nonce "$nonce" --policy "$GW_TMP/p3.signed.json" --policy-key "$keys/policy-1.pub" \
  --policy-key "$keys/policy-2.pub"
expect_output_contains -n check-quote-policy-needs-pcrs-says-so 'needs the quoted PCR values' \
  "$GW_STDERR"
expect_exit -n check-quote-policy-with-pcrs 24 gwverifier check-quote \
  --message "$GW_TMP/q/quote.msg" --signature "$GW_TMP/q/quote.sig" --pcrs "$GW_TMP/q/quote.pcrs" \
  --cel "$GW_TMP/q/eventlog.cel" --ak "$state/ak.pem" \
  --nonce "$nonce" --policy "$GW_TMP/p3.signed.json" --policy-key "$keys/policy-1.pub" \
  --policy-key "$keys/policy-2.pub"

# 5. The stored row is replaced behind the verifier's back by a policy that would
#    affirm, signed by an unknown key: the verifier refuses to appraise with it.
#    The store's triggers refuse the DELETE; whoever can write the file can drop
#    them, so that is done first.
expect_exit -n delete-refused 19 sqlite3 "$vdir/verifier.db" ".timeout 5000" \
  "DELETE FROM policies WHERE model = 'gw-1000' AND version = 3;"
expect_output_contains -n delete-refused-says-so 'policy versions are never deleted' "$GW_STDERR"
policy 3 "$d1" "$d2" "$d3" >"$GW_TMP/p3.forged.json"
check sign-forged gw_sign_policy "$GW_TMP/p3.forged.json" "$GW_TMP/p3.forged.signed.json" \
  "$GW_TMP/rogue.key"
check tamper-row sqlite3 "$vdir/verifier.db" ".timeout 5000" "
BEGIN;
DROP TRIGGER policies_no_delete;
DROP TRIGGER policies_go_up;
CREATE TEMP TABLE t AS SELECT * FROM policies WHERE model = 'gw-1000' AND version = 3;
DELETE FROM policies WHERE model = 'gw-1000' AND version = 3;
INSERT INTO policies (model, version, body, added_at, added_by, epoch)
  SELECT model, version, CAST(readfile('$GW_TMP/p3.forged.signed.json') AS TEXT),
  added_at, added_by, epoch FROM t;
COMMIT;"
expect_exit -n tampered-contraindicated 24 ga attest --json
expect_output_contains -n tampered-names-verification \
  'stored policy gw-1000 version 3 fails verification: policy signature: 0 of required 2' "$GW_STDOUT"
expect_exit -n list-after-tamper 0 gwverifier policy list --config "$vconf"
expect_output_contains -n list-shows-unverified '^gw-1000 +3 +[0-9]+ +NO ' "$GW_STDOUT"
expect_exit -n show-after-tamper 0 gwverifier policy show --config "$vconf" gw-1000
expect_output_contains -n show-warns-unverified \
  'warning: stored policy gw-1000 version 3 does not verify with the \[policy\] keys' "$GW_STDERR"

expect_exit -n verifier-stops 0 bg_stop verifier
