#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Incremental CEL upload (doc/protocol.md, "Incremental event logs"): within one
# boot the agent sends only the records the verifier has not appraised yet, and
# stays affirming as records are added; after a power cycle it sends the whole log
# again; evidence naming a prefix the verifier does not hold is refused (400
# bad_evidence) without spending the nonce.
# shellcheck source=swtpm-tests/lib.sh
source "$(dirname "$0")/lib.sh"
require_cmd python3 openssl

localca=/var/lib/swtpm-localca
api=$GW_ROOT/swtpm-tests/apiclient.py

swtpm_start || exit 1
vdir=$GW_TMP/verifier
vconf=$vdir/verifier.conf
port=$(free_port) || exit 1
expect_exit -n verifier-init 0 gwverifier init "$vdir" --listen "127.0.0.1:$port" \
  --ek-ca "$localca/swtpm-localca-rootca-cert.pem" --ek-ca "$localca/issuercert.pem"
sed -i 's/^auto_approve = .*/auto_approve = all/' "$vconf"
gw_policy_keys >>"$vconf" || { fail policy-keys "gwpolicy keygen failed"; exit 1; }
bg_start verifier "$GW_BIN/gwverifier" serve --config "$vconf"
wait_for_port "$port" 20 || { fail verifier-listens "no listener on $port"; exit 1; }
api_call() { python3 "$api" "https://127.0.0.1:$port" "$vdir/ca.pem" "$@"; }

state=$GW_TMP/state
conf=$GW_TMP/agent.conf
stagefile=$GW_TMP/app.bin
printf 'application v1\n' >"$stagefile"
gw_agent_config "$conf" "$state" "app=$stagefile"
ga() { gwagent --config "$conf" "$@"; }
log=$state/eventlog.cel
records() { python3 -c "import sys; print(open(sys.argv[1], 'rb').read().count(b'\x1e'))" "$log"; }
# json_field FILE KEY: a top-level value of a JSON file (the agent's --json output).
json_field() { python3 -c "import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$1" "$2"; }

expect_exit -n provision 0 ga provision
expect_exit -n boot 0 ga boot
expect_exit -n enroll 0 ga enroll --verifier "https://127.0.0.1:$port" --ca "$vdir/ca.pem" \
  --device-id gw-inc --model gw-1000
cert=(--cert "$state/tls.pem" --key "$state/tls.key")
printf '{"model":"gw-1000","version":1,"stages":{"app":["%s"]}}\n' \
  "$(sha256sum "$stagefile" | cut -d' ' -f1)" >"$GW_TMP/policy.json"
check policy-sign gw_sign_policy "$GW_TMP/policy.json" "$GW_TMP/policy.signed.json"
expect_exit -n policy-add 0 gwverifier policy add --config "$vconf" "$GW_TMP/policy.signed.json"

# challenge -> "NONCE SEL RECORDS SHA RESET" (SHA and RESET "-" when absent)
challenge() {
  api_call "${cert[@]}" "POST:/v1/attest/challenge:{}" | python3 -c "
import json, sys
s, b = sys.stdin.read().split(' ', 1); d = json.loads(b)
print(d['nonce'], d['pcr_selection'], d['cel_records'], d.get('cel_sha256', '-'), d.get('cel_reset_count', '-'))"
}

# 1. The first round of a boot sends the whole log: the verifier has no prefix.
read -r _ _ n0 sha0 _ < <(challenge)
expect_eq first-challenge-no-prefix "0 -" "$n0 $sha0"
expect_exit -n round1-affirming 0 ga attest --json
cp "$GW_STDOUT" "$GW_TMP/r1.json"
expect_eq round1-whole-log 0 "$(json_field "$GW_TMP/r1.json" cel_offset)"

# 2. The verifier now offers the log it appraised: its record count and hash.
n1=$(records)
read -r _ _ cn csha creset < <(challenge)
expect_eq challenge-offers-records "$n1" "$cn"
expect_eq challenge-offers-hash "$(sha256sum "$log" | cut -d' ' -f1)" "$csha"
expect_eq challenge-offers-reset-count "$(tpm_reset_count)" "$creset"

# 3. The second round sends only what follows those records (none), and affirms.
expect_exit -n round2-affirming 0 ga attest --json
cp "$GW_STDOUT" "$GW_TMP/r2.json"
expect_eq round2-incremental "$n1" "$(json_field "$GW_TMP/r2.json" cel_offset)"

# 4. A measure adds a record: the next round sends it alone and still affirms
#    (the verifier replays prefix and tail together against the new quote).
expect_exit -n measure-again 0 ga measure --stage app "$stagefile"
expect_eq measure-added-record "$((n1 + 1))" "$(records)"
expect_exit -n round3-affirming 0 ga attest --json
cp "$GW_STDOUT" "$GW_TMP/r3.json"
expect_eq round3-incremental "$n1" "$(json_field "$GW_TMP/r3.json" cel_offset)"
read -r _ _ cn _ _ < <(challenge)
expect_eq challenge-offers-grown-log "$((n1 + 1))" "$cn"
expect_exit -n round4-affirming 0 ga attest --json
expect_eq round4-incremental "$((n1 + 1))" "$(json_field "$GW_STDOUT" cel_offset)"
expect_exit -n audit-names-offset 0 gwverifier audit --json --config "$vconf"
expect_output_contains -n audit-records-cel-offset "cel_offset.{1,4}:$((n1 + 1))" "$GW_STDOUT"

# 5. Hand-made evidence: `gwagent quote` sends the whole log (offline evidence
#    stands alone); cut to a prefix the verifier does not hold, it is refused with
#    400 bad_evidence and the nonce survives for the whole evidence.
# cut_evidence IN OUT OFFSET: keep the records after the first OFFSET.
cut_evidence() {
  python3 - "$1" "$2" "$3" <<'PY'
import base64, json, sys
ev = json.load(open(sys.argv[1])); n = int(sys.argv[3])
recs = base64.b64decode(ev["cel_log"]).split(b"\x1e")[1:]
ev["cel_log"] = base64.b64encode(b"".join(b"\x1e" + r for r in recs[n:])).decode()
ev["cel_offset"] = n
json.dump(ev, open(sys.argv[2], "w"))
PY
}
read -r nonce sel _ _ _ < <(challenge)
expect_exit -n quote-for-challenge 0 ga quote --nonce "$nonce" --pcrs "$sel" --out "$GW_TMP/q1"
check quote-sends-whole-log python3 -c "
import json; assert 'cel_offset' not in json.load(open('$GW_TMP/q1/evidence.json'))"
cut_evidence "$GW_TMP/q1/evidence.json" "$GW_TMP/q1/wrong.json" 1
cut_evidence "$GW_TMP/q1/evidence.json" "$GW_TMP/q1/ahead.json" "$((n1 + 5))"
api_call "${cert[@]}" "POST:/v1/attest:@$GW_TMP/q1/wrong.json" "POST:/v1/attest:@$GW_TMP/q1/ahead.json" \
  "POST:/v1/attest:@$GW_TMP/q1/evidence.json" >"$GW_TMP/hand.out"
check unknown-prefix-refused python3 -c "
lines = open('$GW_TMP/hand.out').read().splitlines()
assert len(lines) == 3, lines
for l in lines[:2]:
    assert l.startswith('400 ') and 'bad_evidence' in l and 'unknown CEL prefix' in l, l
assert lines[2].startswith('200 ') and '\"affirming\"' in lines[2], lines[2]"
# The right prefix, cut by hand, is accepted: the verifier does not need the agent.
read -r nonce sel cn _ _ < <(challenge)
expect_exit -n quote-for-cut 0 ga quote --nonce "$nonce" --pcrs "$sel" --out "$GW_TMP/q2"
cut_evidence "$GW_TMP/q2/evidence.json" "$GW_TMP/q2/cut.json" "$cn"
api_call "${cert[@]}" "POST:/v1/attest:@$GW_TMP/q2/cut.json" >"$GW_TMP/cut.out"
expect_output_contains -n hand-cut-prefix-affirming '^200 .*"affirming"' "$GW_TMP/cut.out"

# 6. After a power cycle (resetCount goes up) the stored prefix is of another
#    boot: the agent sends the whole log again, then increments from it.
check power-cycle swtpm_power_cycle
expect_exit -n boot-after-power-cycle 0 ga boot
read -r nonce sel cn _ creset < <(challenge)
expect_ne prefix-of-old-boot "$(tpm_reset_count)" "$creset"
# The old boot's prefix named by hand: refused, the quote is of another resetCount.
expect_exit -n quote-new-boot 0 ga quote --nonce "$nonce" --pcrs "$sel" --out "$GW_TMP/q3"
cut_evidence "$GW_TMP/q3/evidence.json" "$GW_TMP/q3/cut.json" "$cn"
api_call "${cert[@]}" "POST:/v1/attest:@$GW_TMP/q3/cut.json" >"$GW_TMP/old.out"
expect_output_contains -n old-boot-prefix-refused '^400 .*unknown CEL prefix' "$GW_TMP/old.out"
expect_exit -n after-reboot-affirming 0 ga attest --json
expect_eq after-reboot-whole-log 0 "$(json_field "$GW_STDOUT" cel_offset)"
expect_exit -n after-reboot-again-affirming 0 ga attest --json
expect_eq after-reboot-incremental "$(records)" "$(json_field "$GW_STDOUT" cel_offset)"

expect_exit -n verifier-stops 0 bg_stop verifier
