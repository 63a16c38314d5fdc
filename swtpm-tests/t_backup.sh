#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `gwverifier backup` under load (doc/storage.md, "Backup and restore"): while a
# verifier serves and a writer appends results and audit records to its store
# without pause, five backups are taken; each is mode 0600, passes sqlite3's
# integrity_check, holds at least the rows committed before it started and a chain
# that `audit verify` accepts, and no temporary file is left; the writer never
# failed. An existing file, and a dangling symlink (not followed), are refused.
# Then the documented restore: the verifier stopped, the backup copied over the
# database (its -wal and -shm removed), the verifier started: it serves, and the
# store is the backup's. No TPM.
# shellcheck source=swtpm-tests/lib.sh
source "$(dirname "$0")/lib.sh"
require_cmd curl python3 sqlite3

fill=$GW_BIN/tools/gw-storefill
if [ ! -x "$fill" ]; then
  fail storefill-built "$fill not built (make tools)"
  exit 1
fi
dir=$GW_TMP/v
db=$dir/verifier.db
conf=$dir/verifier.conf
port=$(free_port)
check init gwverifier init "$dir" --listen "127.0.0.1:$port" --id backup
check fill-dev "$fill" "sqlite:$db" device gw-1 m enrolled now-1000

bg_start verifier "$GW_BIN/gwverifier" serve --config "$conf"
wait_for_port "$port" 20 || fail verifier-listens "gwverifier serve did not listen on $port"

# The load: results and audit records without pause until the stop file (bounded).
stop=$GW_TMP/stop-writer
cat >"$GW_TMP/writer.sh" <<'EOF'
ok=0 failed=0
for ((i = 0; i < 3000; i++)); do
  [ -e "$3" ] && break
  if "$1" "sqlite:$2" result gw-1 now affirming '[]' >/dev/null 2>&1 &&
     "$1" "sqlite:$2" audit operator:load act gw-1 ok >/dev/null 2>&1; then
    ok=$((ok + 1))
  else
    failed=$((failed + 1))
  fi
done
echo "$ok $failed" >"$4"
EOF
bg_start writer bash "$GW_TMP/writer.sh" "$fill" "$db" "$stop" "$GW_TMP/writer.counts"
sleep 0.5

expect_exit -n backup-usage 2 gwverifier backup --config "$conf"
prev=0
for n in 1 2 3 4 5; do
  before=$(sqlite3 "$db" "SELECT count(*) FROM results")
  out=$GW_TMP/backup-$n.db
  check "backup-$n" gwverifier backup --config "$conf" --json "$out"
  check_py "backup-$n-json" "$GW_STDOUT" "$out" "$before" <<'EOF'
import json, sys
j = json.loads(open(sys.argv[1]).read())
assert j["file"] == sys.argv[2] and j["integrity"] == "ok", j
assert j["results"] >= int(sys.argv[3]) and j["devices"] == 1, j
assert j["audit_records"] >= 1 and j["bytes"] > 0, j
EOF
  expect_eq "backup-$n-mode" 600 "$(stat -c %a "$out")"
  expect_eq "backup-$n-integrity" ok "$(sqlite3 "$out" 'PRAGMA integrity_check')"
  got=$(sqlite3 "$out" "SELECT count(*) FROM results")
  expect_gt "backup-$n-grows" "$((got + 1))" "$prev"
  prev=$got
  # The copy's audit chain, checked by the verifier's own code.
  mkdir -p "$GW_TMP/copy-$n"
  cp "$out" "$GW_TMP/copy-$n/verifier.db"
  sed "s|^store = .*|store = sqlite:$GW_TMP/copy-$n/verifier.db|" "$conf" >"$GW_TMP/copy-$n/verifier.conf"
  check "backup-$n-audit-verify" gwverifier audit verify --config "$GW_TMP/copy-$n/verifier.conf"
done
note "results in the five backups grew to $prev"
expect_exit -n backup-exists 5 gwverifier backup --config "$conf" "$GW_TMP/backup-1.db"
expect_output_contains -n backup-exists-says "never overwrites"
# A dangling symlink is a name taken too: not followed, not replaced.
ln -s "$GW_TMP/victim.db" "$GW_TMP/link.db"
expect_exit -n backup-symlink 5 gwverifier backup --config "$conf" "$GW_TMP/link.db"
expect_eq backup-symlink-kept "$GW_TMP/victim.db" "$(readlink "$GW_TMP/link.db")"
expect_eq backup-symlink-not-followed no "$([ -e "$GW_TMP/victim.db" ] && echo yes || echo no)"
expect_eq no-temp-left "" "$(ls "$GW_TMP" | grep -F '.tmp.' || true)"

touch "$stop"
for ((i = 0; i < 100; i++)); do
  [ -s "$GW_TMP/writer.counts" ] && break
  sleep 0.1
done
read -r wok wfailed <"$GW_TMP/writer.counts"
note "writer: $wok rounds, $wfailed failed"
expect_eq writer-never-failed 0 "$wfailed"
expect_gt writer-wrote "$wok" 5
check audit-backups gwverifier audit --config "$conf" --json
check_py backups-audited "$GW_STDOUT" "operator:$(id -un)" <<'EOF'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]).read().splitlines()]
b = [r for r in recs if r["action"] == "store.backup"]
assert len(b) == 5 and all(r["actor"] == sys.argv[2] for r in b), b
EOF

# The documented restore: stop, put the backup in place, drop the WAL, start.
bg_stop verifier
check restore-cp cp "$GW_TMP/backup-3.db" "$db"
check restore-rm rm -f "$db-wal" "$db-shm"
want=$(sqlite3 "$GW_TMP/backup-3.db" "SELECT count(*) FROM results")
bg_start verifier2 "$GW_BIN/gwverifier" serve --config "$conf"
wait_for_port "$port" 20 || fail restored-listens "the restored verifier did not listen"
check restored-health curl -sf --cacert "$dir/ca.pem" "https://127.0.0.1:$port/v1/health"
expect_eq restored-results "$want" "$(sqlite3 "$db" "SELECT count(*) FROM results")"
check restored-audit-verify gwverifier audit verify --config "$conf"
bg_stop verifier2
