#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# gwverifier's operator commands (device, history, audit, status) on a store filled
# by the gw-storefill test fixture: tables, --json, approval and revocation with
# their audit records, and audit verify catching an edited and a deleted record
# (tampered with through the sqlite3 tool). No TPM.
# shellcheck source=swtpm-tests/lib.sh
source "$(dirname "$0")/lib.sh"
require_cmd openssl python3 sqlite3

fill=$GW_BIN/tools/gw-storefill
if [ ! -x "$fill" ]; then
  fail storefill-built "$fill not built (make tools)"
  exit 1
fi
dir=$GW_TMP/verifier
db=$dir/verifier.db
conf=(--config "$dir/verifier.conf")
me=$(id -un)

# json_ok NAME [--lines]: PASS if the last command's stdout is one JSON value (or,
# with --lines, one JSON value per line).
json_ok() {
  if python3 - "$GW_STDOUT" "${2:-}" <<'EOF'; then
import json, sys
text = open(sys.argv[1]).read()
if sys.argv[2] == "--lines":
    lines = text.splitlines()
    assert lines, "no lines"
    for l in lines:
        json.loads(l)
else:
    json.loads(text)
EOF
    pass "$1"
  else
    fail "$1" "not JSON: $(head -c 300 "$GW_STDOUT")"
  fi
}

# jq_py EXPR: evaluate a Python expression over the last stdout parsed as `j`.
jq_py() {
  python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' \
    "$GW_STDOUT" "$1"
}

check init gwverifier init "$dir" --listen "127.0.0.1:$(random_port)" --id cli-test

# Fixture: four devices, one with an EK certificate; results for two of them.
check make-ek-cert openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -keyout "$GW_TMP/ek.key" -outform der -out "$GW_TMP/ek.der" -days 2 \
  -subj "/O=Fake TPM Inc/CN=EK gw-0001"
check fill-dev1 "$fill" "sqlite:$db" device gw-0001 edge-a enrolled now-200000 "$GW_TMP/ek.der"
check fill-dev2 "$fill" "sqlite:$db" device gw-0002 edge-a pending now-5000
check fill-dev3 "$fill" "sqlite:$db" device gw-0003 edge-b enrolled now-4000
check fill-dev4 "$fill" "sqlite:$db" device gw-0004-with-a-long-identifier edge-b enrolled now-3000
check fill-res1 "$fill" "sqlite:$db" result gw-0001 now-100000 affirming '[]'
check fill-res2 "$fill" "sqlite:$db" result gw-0001 now-3600 contraindicated \
  '[{"claim":"executables","check":"reference","message":"stage app differs","future":7}]'
check fill-res3 "$fill" "sqlite:$db" result gw-0003 now-60 affirming '[]'
check fill-audit "$fill" "sqlite:$db" audit operator:someone policy.add - ok '{"model":"edge-a"}'

# ---- device list / show
expect_exit -n list 0 gwverifier device list "${conf[@]}"
expect_output_contains -n list-header '^ID +MODEL +STATE +ENROLLED +LAST ATTESTATION$' "$GW_STDOUT"
expect_output_contains -n list-long-id-whole '^gw-0004-with-a-long-identifier  edge-b  enrolled  .*  never$' "$GW_STDOUT"
expect_output_contains -n list-last-status '^gw-0001 +edge-a +enrolled +[0-9T:-]+Z +[0-9T:-]+Z contraindicated$' "$GW_STDOUT"
expect_eq list-rows "$(wc -l <"$GW_STDOUT")" 5
# Columns line up: STATE starts at the same offset in every line.
expect_eq list-aligned "$(awk '{ print index($0, $3) }' "$GW_STDOUT" | sort -u | wc -l)" 1
expect_exit -n list-pending 0 gwverifier device list "${conf[@]}" --state pending
expect_eq list-pending-only "$(tail -n +2 "$GW_STDOUT" | awk '{print $1}')" gw-0002
expect_exit -n list-bad-state 2 gwverifier device list "${conf[@]}" --state sideways
expect_exit -n list-json 0 gwverifier device list "${conf[@]}" --json
json_ok list-json-parses
expect_eq list-json-count "$(jq_py 'len(j)')" 4
expect_eq list-json-never "$(jq_py '[d["last_attestation"] for d in j if d["id"]=="gw-0002"][0]')" None

expect_exit -n show 0 gwverifier device show gw-0001 "${conf[@]}"
expect_output_contains -n show-ek-subject '^EK cert subject +CN=EK gw-0001,O=Fake TPM Inc$' "$GW_STDOUT"
expect_output_contains -n show-ak-name '^AK name +000b67772d30303031' "$GW_STDOUT"
expect_output_contains -n show-counts '^Reset count +3$' "$GW_STDOUT"
expect_output_contains -n show-results 'contraindicated +1$' "$GW_STDOUT"
expect_exit -n show-json 0 gwverifier device show gw-0001 "${conf[@]}" --json
json_ok show-json-parses
expect_eq show-json-issuer "$(jq_py 'j["ek_cert"]["issuer"]')" "CN=EK gw-0001,O=Fake TPM Inc"
expect_eq show-json-results "$(jq_py '[r["status"] for r in j["recent_results"]]')" \
  "['contraindicated', 'affirming']"
expect_exit -n show-unknown 1 gwverifier device show nope "${conf[@]}"

# ---- approve / revoke
expect_exit -n approve 0 gwverifier device approve gw-0002 "${conf[@]}"
expect_output_contains -n approve-says 'pending -> enrolled' "$GW_STDOUT"
expect_exit -n approve-again-refused 5 gwverifier device approve gw-0002 "${conf[@]}"
expect_output_contains -n approve-again-says "'gw-0002' is enrolled already" "$GW_STDERR"
expect_exit -n approve-unknown 1 gwverifier device approve nope "${conf[@]}"
expect_output_contains -n approve-unknown-says "no device 'nope'" "$GW_STDERR"
expect_exit -n revoke 0 gwverifier device revoke gw-0002 "${conf[@]}" --reason "stolen from site 7"
expect_exit -n approve-after-revoke 5 gwverifier device approve gw-0002 "${conf[@]}"
expect_output_contains -n approve-after-revoke-says 'revoked \(final\)' "$GW_STDERR"
expect_exit -n revoke-again 5 gwverifier device revoke gw-0002 "${conf[@]}"
expect_exit -n show-revoked 0 gwverifier device show gw-0002 "${conf[@]}" --json
expect_eq show-revoked-state "$(jq_py 'j["state"]')" revoked
expect_eq show-revoked-by "$(jq_py 'j["state_changed_by"]')" "operator:$me"

# ---- history
expect_exit -n history 0 gwverifier history gw-0001 "${conf[@]}"
expect_eq history-newest-first "$(tail -n +2 "$GW_STDOUT" | awk '{print $2}' | tr '\n' ' ')" \
  "contraindicated affirming "
expect_output_contains -n history-claim 'executables\[reference\]: stage app differs future=7$' "$GW_STDOUT"
expect_exit -n history-json 0 gwverifier history gw-0001 "${conf[@]}" --json --limit 1
json_ok history-json-parses
expect_eq history-json-limit "$(jq_py 'len(j)')" 1
expect_eq history-json-claim "$(jq_py 'j[0]["failed_claims"][0]["claim"]')" executables
expect_exit -n history-unknown 1 gwverifier history nope "${conf[@]}"

# ---- audit
expect_exit -n audit 0 gwverifier audit "${conf[@]}"
expect_output_contains -n audit-header '^SEQ +TIME +ACTOR +ACTION +DEVICE +OUTCOME$' "$GW_STDOUT"
expect_output_contains -n audit-approve "operator:$me +device.approve +gw-0002 +ok\$" "$GW_STDOUT"
expect_output_contains -n audit-revoke "operator:$me +device.revoke +gw-0002 +ok\$" "$GW_STDOUT"
expect_exit -n audit-json 0 gwverifier audit "${conf[@]}" --json
json_ok audit-json-lines --lines
total=$(wc -l <"$GW_STDOUT")
expect_eq audit-json-count "$total" 10
expect_output_contains -n audit-json-reason '"reason":"stolen from site 7"' "$GW_STDOUT"
expect_exit -n audit-since-seq 0 gwverifier audit "${conf[@]}" --json --since 8
expect_eq audit-since-seq-count "$(wc -l <"$GW_STDOUT")" 2
expect_exit -n audit-since-time 0 gwverifier audit "${conf[@]}" --since 2000-01-01T00:00:00Z
expect_eq audit-since-time-all "$(tail -n +2 "$GW_STDOUT" | wc -l)" "$total"
expect_exit -n audit-since-bad 2 gwverifier audit "${conf[@]}" --since yesterday
expect_exit -n audit-verify 0 gwverifier audit verify "${conf[@]}"
expect_output_contains -n audit-verify-intact "^audit chain intact: $total records\$" "$GW_STDOUT"

# ---- status
expect_exit -n status 0 gwverifier status "${conf[@]}"
expect_output_contains -n status-devices '^devices: +4 \(pending 0, enrolled 3, revoked 1\)$' "$GW_STDOUT"
expect_output_contains -n status-failing '^gw-0001 +edge-a +contraindicated ' "$GW_STDOUT"
expect_exit -n status-json 0 gwverifier status "${conf[@]}" --json
json_ok status-json-parses
expect_eq status-json-states "$(jq_py 'sorted(j["by_state"].items())')" \
  "[('enrolled', 3), ('pending', 0), ('revoked', 1)]"
expect_eq status-json-recent "$(jq_py 'j["attested_last_24h"]')" 2
expect_eq status-json-last "$(jq_py 'j["last_attestation"]["device"]')" gw-0003
expect_eq status-json-failing "$(jq_py '[f["id"] for f in j["failing"]]')" "['gw-0001']"

# ---- tampering: the triggers stop our own bugs, not someone with the file
check drop-triggers sqlite3 "$db" "DROP TRIGGER audit_log_no_update;" \
  "DROP TRIGGER audit_log_no_delete;"
check edit-record sqlite3 "$db" "UPDATE audit_log SET outcome = 'refused' WHERE seq = 9;"
expect_exit -n verify-edited 1 gwverifier audit verify "${conf[@]}"
expect_output_contains -n verify-edited-names-seq 'audit chain broken at seq 9:' "$GW_STDERR"
check undo-edit sqlite3 "$db" "UPDATE audit_log SET outcome = 'ok' WHERE seq = 9;"
expect_exit -n verify-undone 0 gwverifier audit verify "${conf[@]}"
check delete-record sqlite3 "$db" "DELETE FROM audit_log WHERE seq = 5;"
expect_exit -n verify-deleted 1 gwverifier audit verify "${conf[@]}"
expect_output_contains -n verify-deleted-names-seq 'audit chain broken at seq 5:' "$GW_STDERR"

# ---- usage and config errors
expect_exit -n no-config 3 gwverifier status --config "$GW_TMP/missing.conf"
expect_exit -n device-no-sub 2 gwverifier device
expect_exit -n device-bad-sub 2 gwverifier device frobnicate
expect_exit -n reason-only-for-revoke 2 gwverifier device approve gw-0001 "${conf[@]}" --reason x
