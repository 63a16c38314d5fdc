#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Retention of attestation results (doc/verifier.md, "Retention"): `gwverifier
# prune` on a store filled by gw-storefill deletes exactly what the rule lets go
# (the newest N per device, non-affirming ones for D days), audited with the
# operator's name, the audit chain intact; bad arguments and a configuration
# without [retention] refused; --vacuum leaves no free page; with the audit rule
# alone (audit_keep_days, audit_archive_dir, no keep_results) prune archives the
# audit records older than the days into a file that verifies from the genesis
# and prunes no result (--json names the rules that ran); an archive directory
# missing or writable by others is refused by prune, reload and serve. A running verifier
# with [retention] prunes at start and every prune_interval (results added while
# it runs go), and a reload with a smaller keep_results applies. A serve whose
# first archiving round meets 400000 old audit records and a killed export's
# temporary file removes the file, answers SIGTERM within a batch with records
# left and the archives whole, and the next serve goes on in rounds bounded by
# their budget (round_budget_ms = 500) until none is left, its results rule run
# at start-up only, not at the follow-up rounds. A third serve's results rule,
# with 200000 results to let go, stops at its budget and answers SIGTERM within
# 3 s. No TPM.
# shellcheck source=swtpm-tests/lib.sh
source "$(dirname "$0")/lib.sh"
require_cmd python3 sqlite3

fill=$GW_BIN/tools/gw-storefill
if [ ! -x "$fill" ]; then
  fail storefill-built "$fill not built (make tools)"
  exit 1
fi
dir=$GW_TMP/v
db=$dir/verifier.db
conf=$dir/verifier.conf
port=$(free_port)
check init gwverifier init "$dir" --listen "127.0.0.1:$port" --id retention

count() { sqlite3 "$db" "SELECT count(*) FROM results${1:+ WHERE device_id = '$1'}"; }

check fill-dev1 "$fill" "sqlite:$db" device gw-1 m enrolled now-200000
check fill-dev2 "$fill" "sqlite:$db" device gw-2 m enrolled now-200000
# gw-1: 12 results 10000 s apart, every 4th contraindicated (at 40000, 80000 and
# 120000 s ago: the first two within a day). gw-2: two affirming.
for ((i = 12; i >= 1; i--)); do
  st=affirming
  ((i % 4)) || st=contraindicated
  "$fill" "sqlite:$db" result gw-1 "now-$((i * 10000))" "$st" '[]' >/dev/null ||
    fail "fill-res-$i" "gw-storefill result failed"
done
check fill-res-gw2a "$fill" "sqlite:$db" result gw-2 now-500 affirming '[]'
check fill-res-gw2b "$fill" "sqlite:$db" result gw-2 now-400 affirming '[]'
expect_eq filled 14 "$(count)"

expect_exit -n prune-no-retention 3 gwverifier prune --config "$conf"
expect_output_contains -n prune-no-retention-says \
  "neither \[retention\] keep_results \(or give --keep-results\) nor audit_keep_days"
expect_exit -n prune-keep-zero 2 gwverifier prune --config "$conf" --keep-results 0
expect_exit -n prune-days-words 2 gwverifier prune --config "$conf" --keep-results 3 \
  --keep-failed-days ten
expect_exit -n prune-extra-arg 2 gwverifier prune --config "$conf" --keep-results 3 extra
expect_eq nothing-deleted-by-refusals 14 "$(count)"

check prune-3-1 gwverifier prune --config "$conf" --keep-results 3 --keep-failed-days 1 --json
check_py prune-json "$GW_STDOUT" <<'EOF'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 1, lines
j = json.loads(lines[0])
assert j["deleted"] == 7 and j["results"] == 7, j
assert j["keep_results"] == 3 and j["keep_failed_days"] == 1 and j["vacuumed"] is False, j
assert j["bytes"] > 0 and j["free_bytes"] >= 0, j
EOF
# Kept of gw-1: the newest three and the two contraindicated ones of the last day.
expect_eq gw1-kept 5 "$(count gw-1)"
expect_eq gw1-failed-kept "2" \
  "$(sqlite3 "$db" "SELECT count(*) FROM results WHERE device_id='gw-1' AND status='contraindicated'")"
expect_eq gw1-old-failed-gone 0 \
  "$(sqlite3 "$db" "SELECT count(*) FROM results WHERE device_id='gw-1' AND at < strftime('%s','now') - 100000")"
expect_eq gw2-kept 2 "$(count gw-2)"
check audit-json gwverifier audit --config "$conf" --json
check_py prune-audited "$GW_STDOUT" "operator:$(id -un)" <<'EOF'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]).read().splitlines()]
p = [r for r in recs if r["action"] == "results.prune"]
assert len(p) == 1, p
assert p[0]["actor"] == sys.argv[2], p
assert p[0]["detail"] == {"deleted": 7, "keep_results": 3, "keep_failed_days": 1}, p
EOF
check audit-verify gwverifier audit verify --config "$conf"
# Nothing left to delete: no second audit record.
check prune-again gwverifier prune --config "$conf" --keep-results 3 --keep-failed-days 1
expect_output_contains -n prune-again-none "^0 results deleted"
check prune-vacuum gwverifier prune --config "$conf" --keep-results 3 --keep-failed-days 1 \
  --vacuum --json
check_py vacuum-no-free "$GW_STDOUT" <<'EOF'
import json, sys
j = json.loads(open(sys.argv[1]).read())
assert j["vacuumed"] is True and j["free_bytes"] == 0 and j["deleted"] == 0, j
EOF

# The audit rule alone (no keep_results): prune archives the audit records older
# than a day (the two device.enroll and four attest records of more than 86400 s
# ago; the fifth attest record is younger, and the chain is archived in order)
# into the directory and prunes no result. The directory is checked first, by
# prune, serve and reload alike: missing, or writable by others, is refused
# naming the key.
arch=$GW_TMP/audit-archives
aconf=$dir/verifier-audit-only.conf   # beside it: the same store
cp "$conf" "$aconf"
printf '\n[retention]\naudit_keep_days = 1\naudit_archive_dir = %s\n' "$arch" >>"$aconf"
expect_exit -n prune-archive-dir-missing 3 gwverifier prune --config "$aconf"
expect_output_contains -n prune-archive-dir-missing-says "\[retention\] audit_archive_dir .*audit-archives: No such file"
expect_exit -n reload-archive-dir-missing 3 gwverifier reload --config "$aconf"
expect_output_contains -n reload-archive-dir-missing-says "\[retention\] audit_archive_dir .*audit-archives: No such file"
expect_exit -n serve-archive-dir-missing nonzero timeout 20 "$GW_BIN/gwverifier" serve --config "$aconf"
expect_output_contains -n serve-archive-dir-missing-says "\[retention\] audit_archive_dir .*audit-archives: No such file"
mkdir -m 0777 "$arch"
chmod 0777 "$arch"
expect_exit -n prune-archive-dir-others-write 3 gwverifier prune --config "$aconf"
expect_output_contains -n prune-archive-dir-others-write-says "audit_archive_dir .* may be written by others \(mode 0777\)"
expect_exit -n reload-archive-dir-others-write 3 gwverifier reload --config "$aconf"
chmod 2770 "$arch"
expect_exit -n prune-failed-days-alone 3 gwverifier prune --config "$aconf" --keep-failed-days 1
expect_output_contains -n prune-failed-days-alone-says "keep-failed-days needs \[retention\] keep_results"
expect_eq nothing-archived-by-refusals "" "$(ls "$arch")"
check prune-audit-rule gwverifier prune --config "$aconf" --json
check_py prune-audit-rule-json "$GW_STDOUT" <<'EOF2'
import json, sys
j = json.loads(open(sys.argv[1]).read())
assert j["rules"] == ["audit"], j
assert j["keep_results"] is None and j["keep_failed_days"] is None and j["deleted"] == 0, j
assert j["audit_keep_days"] == 1 and j["audit_archived"] == 6 and j["audit_files"] == 1, j
EOF2
expect_eq prune-audit-rule-results-kept 7 "$(count)"
expect_eq prune-audit-rule-file "audit-00000000000000000001-00000000000000000006.jsonl" "$(ls "$arch")"
check prune-audit-rule-text gwverifier prune --config "$aconf"
expect_output_contains -n prune-audit-rule-text-says "^results not pruned \(no keep_results\); 7 left"
expect_output_contains -n prune-audit-rule-text-archived "^0 audit records older than 1 days archived into 0 files"
# Both rules: the file's and the options'.
printf '\n[retention]\nkeep_results = 2\nkeep_failed_days = 0\nprune_interval = 1\n' >>"$conf"
printf 'audit_keep_days = 1\naudit_archive_dir = %s\n' "$arch" >>"$conf"
check prune-both-rules gwverifier prune --config "$conf" --keep-results 3 --keep-failed-days 1 --json
check_py prune-both-rules-json "$GW_STDOUT" <<'EOF2'
import json, sys
j = json.loads(open(sys.argv[1]).read())
assert j["rules"] == ["results", "audit"], j
assert j["keep_results"] == 3 and j["keep_failed_days"] == 1 and j["deleted"] == 0, j
assert j["audit_keep_days"] == 1 and j["audit_archived"] == 0, j
EOF2
check prune-audit-rule-verify gwverifier audit verify --config "$conf" --archive "$arch"/audit-*.jsonl
expect_output_contains -n prune-audit-rule-chained "1 archive chained: seq 1-6, 6 records, from the genesis"
check audit-json-archived gwverifier audit --config "$conf" --json
check_py prune-audit-rule-audited "$GW_STDOUT" "operator:$(id -un)" <<'EOF'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]).read().splitlines()]
assert recs[0]["seq"] == 7, recs[0]
e = [r for r in recs if r["action"] == "audit.export"]
assert len(e) == 1 and e[0]["actor"] == sys.argv[2], e
assert e[0]["detail"]["first_seq"] == 1 and e[0]["detail"]["last_seq"] == 6, e
EOF

# The server: prunes at start-up, then every second.
bg_start verifier "$GW_BIN/gwverifier" serve --config "$conf"
vpid=$BG_PID
log=$GW_TMP/verifier.log
wait_for_port "$port" 20 || fail verifier-listens "gwverifier serve did not listen on $port"
# wait_count N [DEVICE]: up to 10 s for the count to become N.
wait_count() {
  local i
  for ((i = 0; i < 100; i++)); do
    [ "$(count "${2:-}")" = "$1" ] && return 0
    sleep 0.1
  done
  return 1
}
wait_count 4 && pass serve-pruned-at-start || fail serve-pruned-at-start "$(count) results"
wait_for_line "retention: 3 results deleted" "$log"   # logged just after the commit
expect_output_contains -n serve-logged "retention: 3 results deleted" "$log"
for t in 30 20 10; do
  "$fill" "sqlite:$db" result gw-2 "now-$t" affirming '[]' >/dev/null ||
    fail fill-live "gw-storefill result failed"
done
wait_count 2 gw-2 && pass serve-pruned-periodically ||
  fail serve-pruned-periodically "$(count gw-2) results of gw-2"
sed -i 's/^keep_results = 2/keep_results = 1/' "$conf"
check reload-keep-1 gwverifier reload --config "$conf"
wait_count 2 && pass reload-applies-retention || fail reload-applies-retention "$(count) results"
check audit-json-2 gwverifier audit --config "$conf" --json
check_py server-prune-audited "$GW_STDOUT" <<'EOF'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]).read().splitlines()]
p = [r for r in recs if r["action"] == "results.prune" and r["actor"] == "verifier"]
assert len(p) >= 3, p
assert p[-1]["detail"]["keep_results"] == 1, p[-1]
EOF
check audit-verify-2 gwverifier audit verify --config "$conf"
_gw_alive "$vpid" && pass verifier-alive || fail verifier-alive "the verifier died"
bg_stop verifier

# ---- A first round on a big log: 400000 audit records two days old, and a
# temporary file a killed export left. serve's archiving round removes the
# temporary file, then stops between two batches as soon as SIGTERM is pending
# (and after 2 s of batches anyway), so the verifier stops promptly with old
# records still in the store and nothing lost: the archives chain from the
# genesis and the store continues from the last. A second serve goes on in
# rounds a second apart (prune_interval is an hour) until none is left.
b=$GW_TMP/big
bconf=$b/verifier.conf
bdb=$b/verifier.db
barch=$GW_TMP/big-archives
bport=$(free_port)
check init-big gwverifier init "$b" --listen "127.0.0.1:$bport" --id big
mkdir -m 2770 "$barch"
printf '\n[retention]\naudit_keep_days = 1\naudit_archive_dir = %s\nprune_interval = 3600\n' \
  "$barch" >>"$bconf"
check fill-big "$fill" "sqlite:$bdb" audits 400000 now-200000 verifier attest
stale=$barch/audit-new.tmp.0123456789abcdef
: >"$stale"
old_left() { sqlite3 "$bdb" "SELECT count(*) FROM audit_log WHERE ts < strftime('%s','now') - 86400"; }
bg_start bigverifier "$GW_BIN/gwverifier" serve --config "$bconf"
bpid=$BG_PID
# The round runs once its first archive is in place (up to 20 s).
for ((i = 0; i < 400; i++)); do
  [ -n "$(find "$barch" -name 'audit-0*.jsonl' -print -quit)" ] && break
  sleep 0.05
done
# term_ms PID: SIGTERM to PID, up to 5 s for it to exit; sets ms to the time taken.
term_ms() {
  local t0 t1 i
  t0=$(date +%s%N)
  kill -TERM "$1"
  for ((i = 0; i < 100; i++)); do
    _gw_alive "$1" || break
    sleep 0.05
  done
  t1=$(date +%s%N)
  ms=$(((t1 - t0) / 1000000))
}
term_ms "$bpid"
if _gw_alive "$bpid"; then
  fail big-sigterm-prompt "still running 5 s after SIGTERM"
else
  pass big-sigterm-prompt
fi
bg_stop bigverifier || true
echo "# big: SIGTERM to exit $ms ms, $(old_left) old records left"
[ "$ms" -le 3000 ] && pass big-sigterm-within-3s || fail big-sigterm-within-3s "$ms ms"
# Stopped between batches, not at the round's end: old records are left.
[ "$(old_left)" -gt 0 ] && pass big-stopped-early || fail big-stopped-early "nothing left"
expect_output_contains -n big-stopped-logged "the archiving round stopped for a signal" \
  "$GW_TMP/bigverifier.log"
expect_eq big-stale-removed no "$([ -e "$stale" ] && echo yes || echo no)"
expect_output_contains -n big-stale-logged "1 temporary files of interrupted exports removed" \
  "$GW_TMP/bigverifier.log"
check big-verify-stopped gwverifier audit verify --config "$bconf" --archive "$barch"/audit-*.jsonl
expect_output_contains -n big-verify-stopped-genesis "archives? chained: seq 1-.*from the genesis"
expect_output_contains -n big-verify-stopped-continues "the store's records continue from"
# The next serve goes on: rounds a second apart, each within its budget, set low
# (round_budget_ms = 500: rounds of some 15000-20000 records here, each batch of
# 5000 followed by serve's 150 ms pause, so even a much faster machine needs many
# rounds; up to 300 s for all of them). It also has the
# results rule (prune_interval 3600): due at start-up (gw-x's older result goes),
# not at the follow-up rounds that only go on archiving (review 11b finding 1:
# each re-ran it, a full scan of the results table under the write lock), so
# results added meanwhile stay until the next prune_interval.
printf 'round_budget_ms = 500\nkeep_results = 1\n' >>"$bconf"
check fill-big-dev "$fill" "sqlite:$bdb" device gw-x m enrolled now-100
check fill-big-res1 "$fill" "sqlite:$bdb" result gw-x now-100 affirming '[]'
check fill-big-res2 "$fill" "sqlite:$bdb" result gw-x now-90 affirming '[]'
bcount() { sqlite3 "$bdb" "SELECT count(*) FROM results WHERE device_id = 'gw-x'"; }
blog=$GW_TMP/bigverifier2.log
rounds() { grep -c 'audit records older than' "$blog" || true; }
bg_start bigverifier2 "$GW_BIN/gwverifier" serve --config "$bconf"
for ((i = 0; i < 200; i++)); do
  grep -q 'retention: 1 results deleted' "$blog" 2>/dev/null && break
  sleep 0.1
done
expect_output_contains -n big-results-at-start "retention: 1 results deleted" "$blog"
r0=$(rounds)
check fill-big-res3 "$fill" "sqlite:$bdb" result gw-x now-50 affirming '[]'
check fill-big-res4 "$fill" "sqlite:$bdb" result gw-x now-40 affirming '[]'
deadline=$((SECONDS + 300))
while [ "$SECONDS" -lt "$deadline" ]; do
  [ "$(old_left)" = 0 ] && break
  sleep 0.2
done
expect_eq big-all-archived "$(old_left)" 0
[ "$(rounds)" -gt "$r0" ] && pass big-rounds-after-results ||
  fail big-rounds-after-results "no archiving round after the results were added"
expect_eq big-results-not-rescanned "$(bcount)" 3
expect_output_contains -n big-budget-logged "the archiving round used its budget of 500 ms; the next one goes on in 1 s" \
  "$blog"
bg_stop bigverifier2 || true
echo "# big: the second serve's rounds: $(grep -c 'used its budget' "$GW_TMP/bigverifier2.log") \
stopped at the budget; records per round: $(grep -o 'retention: [0-9]* audit records' \
  "$GW_TMP/bigverifier2.log" | awk '{ printf "%s ", $2 }')"
check big-verify-all gwverifier audit verify --config "$bconf" --archive "$barch"/audit-*.jsonl
expect_output_contains -n big-verify-all-genesis "archives? chained: seq 1-.*from the genesis"
expect_eq big-no-temp "" "$(ls "$barch" | grep -F '.tmp.' || true)"

# ---- The results rule is bounded too (review 11b finding 1: it ran every batch
# in one go, deaf to signals; each batch scans the whole results table under the
# write lock, seconds on a million rows): 200000 results of gw-x to let go and
# round_budget_ms = 100. The first round stops at its budget (logged) and the
# next goes on a second later; SIGTERM is answered within 3 s, results left.
sqlite3 "$bdb" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200000)
  INSERT INTO results (device_id, at, status, claims, ear)
  SELECT 'gw-x', strftime('%s','now') - 200000 + i, 'affirming', '[]', 'x' FROM n" ||
  fail fill-big-results "sqlite3 insert failed"
sed -i 's/^round_budget_ms = 500$/round_budget_ms = 100/' "$bconf"
blog3=$GW_TMP/bigverifier3.log
bg_start bigverifier3 "$GW_BIN/gwverifier" serve --config "$bconf"
bpid=$BG_PID
for ((i = 0; i < 300; i++)); do
  grep -q 'the results pruning round used its budget' "$blog3" 2>/dev/null && break
  sleep 0.1
done
expect_output_contains -n results-budget-logged "the results pruning round used its budget of 100 ms; the next one goes on in 1 s" \
  "$blog3"
term_ms "$bpid"
bg_stop bigverifier3 || true
echo "# results: SIGTERM to exit $ms ms, $(bcount) results of gw-x left"
[ "$ms" -le 3000 ] && pass results-sigterm-within-3s || fail results-sigterm-within-3s "$ms ms"
[ "$(bcount)" -gt 1 ] && pass results-stopped-early || fail results-stopped-early "all pruned"
check results-audit-verify gwverifier audit verify --config "$bconf"
