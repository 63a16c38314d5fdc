#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Audit archives (doc/storage.md, "Archiving the audit log"): `gwverifier audit
# export --before TIME FILE` on a store filled by gw-storefill writes the records
# before TIME with the chain anchor, removes them (and only them) and audits the
# export; `audit verify` proves the rest from the anchor; `audit verify --archive`
# accepts the archive and a second one chained from the first (repeated --archive
# or a glob), from the genesis to the store's anchor, and names a tampered,
# truncated or reordered copy, an archive not at the genesis (unless --no-genesis),
# swapped archives and a missing later one; a tampered record left in the store,
# and a rewritten anchor, are named; refusals: an existing FILE, a bad time,
# nothing before TIME (no file written). Unattended archiving ([retention]
# audit_keep_days, audit_archive_dir; the verifier's clock moved by libfaketime):
# half the rule refused; serve archives at start-up and at its interval, three
# files that chain from the genesis to the store's anchor, beside a FIFO and a
# symbolic link named like archives (neither adopted nor opened), while `audit
# verify --archive` reads a pipe and a symbolic link it is given; one removed,
# two swapped, one altered, the first or last missing: each named. No TPM.
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
check init gwverifier init "$dir" --listen "127.0.0.1:$(random_port)" --id archive

# Three records two days old (device.enroll at their creation time), two of now.
check fill-dev1 "$fill" "sqlite:$db" device gw-1 m enrolled now-180000
check fill-dev2 "$fill" "sqlite:$db" device gw-2 m enrolled now-179000
check fill-dev3 "$fill" "sqlite:$db" device gw-3 m enrolled now-178000
check fill-audit1 "$fill" "sqlite:$db" audit operator:alice device.approve gw-1 ok \
  '{"message":"approved \"gw-1\""}'
check fill-audit2 "$fill" "sqlite:$db" audit verifier attest gw-2 affirming
day_ago=$(date -u -d @$(($(date +%s) - 86400)) +%Y-%m-%dT%H:%M:%SZ)
a1=$GW_TMP/audit-1.jsonl
a2=$GW_TMP/audit-2.jsonl

expect_exit -n export-bad-time 2 gwverifier audit export --config "$conf" --before yesterday "$a1"
expect_exit -n export-no-file 2 gwverifier audit export --config "$conf" --before "$day_ago"
expect_exit -n export-no-before 2 gwverifier audit export --config "$conf" "$a1"
check export-1 gwverifier audit export --config "$conf" --before "$day_ago" "$a1" --json
check_py export-1-json "$GW_STDOUT" "$a1" <<'EOF'
import json, sys
j = json.loads(open(sys.argv[1]).read())
assert j["count"] == 3 and j["first_seq"] == 1 and j["last_seq"] == 3, j
assert j["file"] == sys.argv[2] and len(j["anchor"]) == 64, j
EOF
expect_eq archive-mode 640 "$(stat -c %a "$a1")"
expect_eq archived-removed "4|5|6" "$(sqlite3 "$db" "SELECT group_concat(seq, '|') FROM audit_log")"
check verify-after-export gwverifier audit verify --config "$conf"
expect_output_contains -n verify-from-anchor "intact: 3 records, from the anchor of the archived records up to seq 3"
check verify-archive gwverifier audit verify --config "$conf" --archive "$a1"
expect_output_contains -n verify-archive-intact "archive .*audit-1.jsonl intact: 3 records, seq 1-3"
expect_output_contains -n verify-archive-genesis "1 archive chained: seq 1-3, 3 records, from the genesis"
expect_output_contains -n verify-archive-continues "the store's records continue from .*audit-1.jsonl"
expect_output_contains -n verify-archive-store-intact "audit chain intact"
check verify-archive-alone gwverifier audit verify --archive "$a1"
check audit-json gwverifier audit --config "$conf" --json
check_py export-audited "$GW_STDOUT" "operator:$(id -un)" <<'EOF'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]).read().splitlines()]
e = [r for r in recs if r["action"] == "audit.export"]
assert len(e) == 1 and e[0]["actor"] == sys.argv[2], e
assert e[0]["detail"]["first_seq"] == 1 and e[0]["detail"]["last_seq"] == 3, e
EOF

# Refusals: the file exists; nothing older than the time (no file written).
expect_exit -n export-exists 5 gwverifier audit export --config "$conf" --before "$day_ago" "$a1"
expect_output_contains -n export-exists-says "never overwritten"
ln -s "$GW_TMP/victim.jsonl" "$GW_TMP/link.jsonl"
expect_exit -n export-symlink 5 gwverifier audit export --config "$conf" --before "$day_ago" "$GW_TMP/link.jsonl"
expect_eq export-symlink-not-followed no "$([ -e "$GW_TMP/victim.jsonl" ] && echo yes || echo no)"
check export-nothing gwverifier audit export --config "$conf" --before "$day_ago" "$a2"
expect_output_contains -n export-nothing-says "nothing exported"
expect_eq export-nothing-no-file no "$([ -e "$a2" ] && echo yes || echo no)"
expect_eq export-nothing-no-temp "" "$(ls "$GW_TMP" | grep -F '.tmp.' || true)"

# A second archive chains from the first one's anchor.
check export-2 gwverifier audit export --config "$conf" --before 2999-01-01T00:00:00Z "$a2"
check_py archives-chain "$a1" "$a2" <<'EOF'
import json, sys
a1 = open(sys.argv[1]).read().splitlines()
a2 = open(sys.argv[2]).read().splitlines()
assert json.loads(a2[0])["prev_hash"] == json.loads(a1[-1])["anchor"]["hash"]
assert json.loads(a2[0])["first_seq"] == 4, a2[0]
EOF
check verify-archives-1-2 gwverifier audit verify --config "$conf" --archive "$a1" --archive "$a2"
expect_output_contains -n verify-archives-1-2-continues "continue from .*audit-2.jsonl"
# A shell glob after the first --archive: the same.
check verify-archives-glob gwverifier audit verify --config "$conf" --archive "$GW_TMP"/audit-*.jsonl
expect_output_contains -n verify-archives-glob-chained "2 archives chained: seq 1-"
# The second alone starts at seq 4: not the genesis, unless told.
expect_exit -n verify-archive-2-alone 1 gwverifier audit verify --config "$conf" --archive "$a2"
expect_output_contains -n verify-archive-2-alone-says "audit-2.jsonl starts at seq 4, not at the chain's genesis"
check verify-archive-2-no-genesis gwverifier audit verify --config "$conf" --no-genesis --archive "$a2"
expect_exit -n no-genesis-without-archive 2 gwverifier audit verify --config "$conf" --no-genesis
# The first alone ends before the store's anchor: a later archive is missing.
expect_exit -n verify-archive-1-earlier 1 gwverifier audit verify --config "$conf" --archive "$a1"
expect_output_contains -n verify-archive-1-earlier-says "anchor is at seq .*, not at the end of .*audit-1.jsonl \(seq 3\): a later archive is missing"
expect_exit -n verify-archives-swapped 1 gwverifier audit verify --archive "$a2" --no-genesis --archive "$a1"
expect_output_contains -n verify-archives-swapped-says "audit-1.jsonl starts at seq 1 but .*audit-2.jsonl ends at seq"
check verify-after-export-2 gwverifier audit verify --config "$conf"

# Tampered copies of an archive.
sed 's/"actor":"operator:alice"/"actor":"operator:mallory"/' "$a2" >"$GW_TMP/t-actor.jsonl"
expect_exit -n archive-edited 1 gwverifier audit verify --archive "$GW_TMP/t-actor.jsonl"
expect_output_contains -n archive-edited-named "line 2: seq 4: hash mismatch, the record was altered"
head -n -1 "$a2" >"$GW_TMP/t-trunc.jsonl"
expect_exit -n archive-truncated 1 gwverifier audit verify --archive "$GW_TMP/t-trunc.jsonl"
expect_output_contains -n archive-truncated-named "no trailer .*truncated"
awk 'NR == 2 { l = $0; next } NR == 3 { print; print l; next } { print }' "$a2" \
  >"$GW_TMP/t-order.jsonl"
expect_exit -n archive-reordered 1 gwverifier audit verify --archive "$GW_TMP/t-order.jsonl"
expect_output_contains -n archive-reordered-named "seq 5 where 4 belongs"
sed '2d' "$a2" >"$GW_TMP/t-removed.jsonl"
expect_exit -n archive-record-removed 1 gwverifier audit verify --archive "$GW_TMP/t-removed.jsonl"
expect_exit -n archive-missing 1 gwverifier audit verify --archive "$GW_TMP/nope.jsonl"

# The chain left in the store tampered with: named from the anchor on.
check fill-audit3 "$fill" "sqlite:$db" audit verifier attest gw-3 affirming
check fill-audit4 "$fill" "sqlite:$db" audit verifier attest gw-3 affirming
check verify-before-tamper gwverifier audit verify --config "$conf"
first_kept=$(sqlite3 "$db" "SELECT min(seq) FROM audit_log")
check tamper-kept sqlite3 "$db" "DROP TRIGGER audit_log_no_update;
  UPDATE audit_log SET outcome = 'contraindicated' WHERE seq = $((first_kept + 1))"
expect_exit -n verify-tampered-kept 1 gwverifier audit verify --config "$conf"
expect_output_contains -n verify-tampered-kept-named "broken at seq $((first_kept + 1)).*altered"
check untamper sqlite3 "$db" "UPDATE audit_log SET outcome = 'affirming' WHERE seq = $((first_kept + 1))"
check verify-untampered gwverifier audit verify --config "$conf"
# Whoever can write the file moves the anchor up to a kept record (its seq and its
# stored hash) and deletes the records below, as an export would, without one: the
# chain left is intact, but no audit.export record names that anchor.
cp "$db" "$GW_TMP/moved.db"
sed "s|^store = .*|store = sqlite:$GW_TMP/moved.db|" "$conf" >"$GW_TMP/moved.conf"
moved=$((first_kept + 2))
check move-anchor sqlite3 "$GW_TMP/moved.db" "UPDATE audit_anchor SET seq = $moved,
  hash = (SELECT hash FROM audit_log WHERE seq = $moved); DELETE FROM audit_log WHERE seq <= $moved"
expect_exit -n verify-moved-anchor 1 gwverifier audit verify --config "$GW_TMP/moved.conf"
expect_output_contains -n verify-moved-anchor-named "not proven: no audit.export record .* names the anchor \(seq $moved\)"
# The anchor's hash rewritten at the same seq: the store no longer continues from
# the archive, and its first kept record does not link.
check tamper-anchor sqlite3 "$db" "UPDATE audit_anchor SET hash = zeroblob(32)"
expect_exit -n verify-tampered-anchor 1 gwverifier audit verify --config "$conf"
expect_output_contains -n verify-tampered-anchor-named "broken at seq $first_kept.*does not link"
expect_exit -n archive-vs-tampered-anchor 1 gwverifier audit verify --config "$conf" --archive "$a1" "$a2"
expect_output_contains -n archive-vs-tampered-anchor-named "differs from the archive's"

# ---- Unattended archiving: a running verifier with [retention] audit_keep_days
# and audit_archive_dir archives at start-up and every prune_interval into
# audit-FIRST-LAST.jsonl files, each chained to the one before; its clock is moved
# two days on for each round by libfaketime (a timestamp file it rereads).
ftlib=$(faketime_lib libfaketimeMT.so.1)
if [ -z "$ftlib" ]; then
  skip unattended "libfaketime not installed"
  exit 0
fi
u=$GW_TMP/u
uport=$(free_port)
uconf=$u/verifier.conf
udb=$u/verifier.db
arch=$GW_TMP/arch
clock=$GW_TMP/faketime
check init-u gwverifier init "$u" --listen "127.0.0.1:$uport" --id unattended
mkdir -p "$arch"
printf '\n[retention]\naudit_keep_days = 1\naudit_archive_dir = %s\nprune_interval = 1\n' \
  "$arch" >>"$uconf"
# Half the configuration is refused with its reason.
sed '/^audit_archive_dir/d' "$uconf" >"$GW_TMP/half.conf"
expect_exit -n audit-rule-half 3 gwverifier prune --config "$GW_TMP/half.conf" --keep-results 1
expect_output_contains -n audit-rule-half-says "audit_keep_days and audit_archive_dir go together"
check fill-u1 "$fill" "sqlite:$udb" device gw-1 m enrolled now-1000
check fill-u2 "$fill" "sqlite:$udb" audit operator:alice device.approve gw-1 ok
# A FIFO and a symbolic link (to a FIFO outside) named like archives from seq 1,
# the round's first seq: not adopted, not opened (a FIFO would block serve's
# main thread for good), the round writes its own archive beside them.
fifo=$arch/audit-00000000000000000001-00000000000000000009.jsonl
slink=$arch/audit-00000000000000000001-00000000000000000001.jsonl
mkfifo "$fifo" "$GW_TMP/outside-fifo"
ln -s "$GW_TMP/outside-fifo" "$slink"
echo +2d >"$clock"
bg_start uverifier env LD_PRELOAD="$ftlib" FAKETIME_TIMESTAMP_FILE="$clock" FAKETIME_NO_CACHE=1 \
  FAKETIME_DONT_FAKE_MONOTONIC=1 "ASAN_OPTIONS=$FAKETIME_ASAN_OPTIONS" \
  "$GW_BIN/gwverifier" serve --config "$uconf"
upid=$BG_PID
wait_for_port "$uport" 20 || fail uverifier-listens "gwverifier serve did not listen on $uport"
# wait_files N: up to 10 s for N archives.
wait_files() {
  local i
  for ((i = 0; i < 100; i++)); do
    [ "$(find "$arch" -type f -name 'audit-*.jsonl' | wc -l)" = "$1" ] && return 0
    sleep 0.1
  done
  return 1
}
wait_files 1 && pass unattended-at-start || fail unattended-at-start "$(ls "$arch")"
# The file is in place before the round's commit, and the round is logged after
# it: up to 10 s for the line.
for ((i = 0; i < 100; i++)); do
  grep -q 'retention: 2 audit records' "$GW_TMP/uverifier.log" && break
  sleep 0.1
done
expect_output_contains -n unattended-logged "retention: 2 audit records older than 1 days archived into 1 files" \
  "$GW_TMP/uverifier.log"
check fill-u3 "$fill" "sqlite:$udb" audit operator:bob device.revoke gw-1 ok
echo +4d >"$clock"
wait_files 2 && pass unattended-at-interval || fail unattended-at-interval "$(ls "$arch")"
check fill-u4 "$fill" "sqlite:$udb" audit operator:carol device.approve gw-1 ok
echo +6d >"$clock"
wait_files 3 && pass unattended-third || fail unattended-third "$(ls "$arch")"
_gw_alive "$upid" && pass uverifier-alive || fail uverifier-alive "the verifier died"
bg_stop uverifier
expect_output_not_contains -n unattended-no-error "failed" "$GW_TMP/uverifier.log"
# A glob over the dir catches the FIFO: refused at once (read as empty), no hang.
expect_exit -n verify-glob-fifo-no-hang 1 timeout 20 "$GW_BIN/gwverifier" audit verify \
  --config "$uconf" --archive "$fifo"
expect_output_contains -n verify-glob-fifo-says "${fifo##*/}" "$GW_STDERR"
rm -f "$fifo" "$slink" "$GW_TMP/outside-fifo"
mapfile -t files < <(find "$arch" -name 'audit-*.jsonl' | sort)
expect_eq unattended-names "audit-00000000000000000001-00000000000000000002.jsonl" \
  "$(basename "${files[0]}")"
expect_eq unattended-no-temp "" "$(ls "$arch" | grep -F '.tmp.' || true)"
check unattended-store-verify gwverifier audit verify --config "$uconf"
check unattended-chain gwverifier audit verify --config "$uconf" --archive "$arch"/audit-*.jsonl
expect_output_contains -n unattended-chain-says "3 archives chained: seq 1-.*from the genesis"
expect_output_contains -n unattended-chain-store "the store's records continue from .*${files[2]##*/}"
# `audit verify --archive` reads what the operator names: a pipe and a symbolic
# link (review 11b finding 3: both were refused as "broken"); serve's adoption
# alone refuses them (above).
check verify-archive-pipe gwverifier audit verify --archive <(cat "${files[0]}")
expect_output_contains -n verify-archive-pipe-intact "archive /dev/fd/[0-9]* intact: 2 records"
ln -s "${files[0]}" "$GW_TMP/first-link.jsonl"
check verify-archive-symlink gwverifier audit verify --archive "$GW_TMP/first-link.jsonl" \
  "${files[1]}" "${files[2]}"
expect_output_contains -n verify-archive-symlink-chain "3 archives chained: seq 1-"
check unattended-exports-audited gwverifier audit --config "$uconf" --json
check_py unattended-exports-by-verifier "$GW_STDOUT" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]).read().splitlines()]
e = [r for r in recs if r["action"] == "audit.export"]
# The last export's record is kept (the earlier ones went into the next archive).
assert len(e) == 1 and e[0]["actor"] == "verifier", e
PY
for f in "${files[@]}"; do
  check "unattended-archive-$(basename "$f" .jsonl)" gwverifier audit verify --no-genesis --archive "$f"
done
# One removed, two swapped, one altered, the first or the last missing: named.
expect_exit -n chain-removed 1 gwverifier audit verify --archive "${files[0]}" "${files[2]}"
expect_output_contains -n chain-removed-named "${files[2]##*/} starts at seq .* but .*${files[0]##*/} ends at seq .*: an archive is missing"
expect_exit -n chain-swapped 1 gwverifier audit verify --archive "${files[1]}" "${files[0]}" "${files[2]}"
expect_output_contains -n chain-swapped-named "${files[1]##*/} starts at seq .*not at the chain's genesis"
expect_exit -n chain-swapped-no-genesis 1 gwverifier audit verify --no-genesis \
  --archive "${files[1]}" "${files[0]}" "${files[2]}"
expect_output_contains -n chain-swapped-no-genesis-named "${files[0]##*/} starts at seq 1 but .*${files[1]##*/} ends at seq 4"
expect_exit -n chain-first-missing 1 gwverifier audit verify --config "$uconf" --archive "${files[1]}" "${files[2]}"
expect_exit -n chain-last-missing 1 gwverifier audit verify --config "$uconf" --archive "${files[0]}" "${files[1]}"
expect_output_contains -n chain-last-missing-named "not at the end of .*${files[1]##*/}.*a later archive is missing"
alt=$GW_TMP/altered/${files[1]##*/}
mkdir -p "$GW_TMP/altered"
sed 's/"actor":"operator:bob"/"actor":"operator:eve"/' "${files[1]}" >"$alt"
expect_exit -n chain-altered 1 gwverifier audit verify --config "$uconf" --archive "${files[0]}" "$alt" "${files[2]}"
expect_output_contains -n chain-altered-named "archive .*altered/${files[1]##*/} broken: line .*hash mismatch"
