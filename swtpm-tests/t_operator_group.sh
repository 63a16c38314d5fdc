#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The operator CLI for members of the verifier's group without root, with the file
# modes doc/verifier.md ("Operators") gives (root only: setpriv runs commands as
# an unprivileged uid in a made-up group; skipped otherwise): device list, approve,
# history, status, audit, audit verify, prune, backup and audit export work for a
# member, and the audit records name the operator (--actor NAME "via" the account,
# or the account itself); a uid outside the group is refused by the file modes and
# changes nothing; the keys stay 0600 and a member cannot read them. SUDO_USER
# names the operator under root, --actor wins over it. No TPM.
# shellcheck source=swtpm-tests/lib.sh
source "$(dirname "$0")/lib.sh"
require_cmd python3 sqlite3

if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null; then
  skip operator-group "needs root and setpriv to run commands as another uid"
  exit 0
fi
fill=$GW_BIN/tools/gw-storefill
dir=$GW_TMP/v
db=$dir/db/verifier.db
conf=$dir/verifier.conf
grp=47311 member=47312 stranger=47313
check init gwverifier init "$dir" --listen "127.0.0.1:$(random_port)" --id group
# The packages' layout: the store in db/, the keys and the pid file above it.
mkdir "$dir/db"
sed -i "s|^store = .*|store = sqlite:$db|" "$conf"
check fill-dev1 "$fill" "sqlite:$db" device gw-1 m pending now-100
check fill-dev2 "$fill" "sqlite:$db" device gw-2 m enrolled now-100
check fill-res "$fill" "sqlite:$db" result gw-2 now-50 affirming '[]'

# The modes of doc/verifier.md: the database's directory group-writable and
# setgid, the database and its WAL files 0660, the configuration 0640, the keys'
# directory 0750 and the keys untouched (0600).
chmod 0711 "$GW_TMP"
check chgrp chgrp -R "$grp" "$dir"
check chmod-keys-dir chmod 0750 "$dir"
check chmod-dir chmod 2770 "$dir/db"
check chmod-db chmod 0660 "$db"
rm -f "$db-wal" "$db-shm"
check chmod-conf chmod 0640 "$conf"
expect_eq gate-key-0600 600 "$(stat -c %a "$dir/gate.key")"
mkdir -p "$GW_TMP/out" && chgrp "$grp" "$GW_TMP/out" && chmod 2770 "$GW_TMP/out"

as_member() { setpriv --reuid "$member" --regid "$member" --groups "$grp" --inh-caps=-all -- "$@"; }
as_stranger() { setpriv --reuid "$stranger" --regid "$stranger" --clear-groups --inh-caps=-all -- "$@"; }
gwv=$GW_BIN/gwverifier

check member-list as_member "$gwv" device list --config "$conf"
expect_output_contains -n member-list-shows "gw-1"
check member-approve as_member "$gwv" device approve gw-1 --config "$conf" --actor alice
check member-history as_member "$gwv" history gw-2 --config "$conf"
check member-status as_member "$gwv" status --config "$conf"
check member-prune as_member "$gwv" prune --config "$conf" --keep-results 1
check member-backup as_member "$gwv" backup --config "$conf" "$GW_TMP/out/b.db"
check member-export as_member "$gwv" audit export --config "$conf" \
  --before 2999-01-01T00:00:00Z "$GW_TMP/out/a.jsonl"
check member-verify as_member "$gwv" audit verify --config "$conf"
check member-revoke as_member "$gwv" device revoke gw-2 --config "$conf" --reason test
check member-audit as_member "$gwv" audit --config "$conf" --json
check_py member-named "$GW_STDOUT" "$member" <<'EOF'
import json, sys
recs = {r["action"]: r for r in map(json.loads, open(sys.argv[1]).read().splitlines())}
assert recs["audit.export"]["actor"] == "operator:uid-%s" % sys.argv[2], recs["audit.export"]
assert recs["device.revoke"]["actor"] == "operator:uid-%s" % sys.argv[2], recs["device.revoke"]
EOF
check_py member-actor-in-archive "$GW_TMP/out/a.jsonl" "$member" <<'EOF'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]).read().splitlines()[1:-1]]
a = [r for r in recs if r["action"] == "device.approve"]
assert a and a[0]["actor"] == "operator:alice via uid-%s" % sys.argv[2], a
EOF
expect_eq wal-group-mode 660 "$(stat -c %a "$db-wal" 2>/dev/null || echo 660)"
expect_exit -n member-no-gate-key 1 as_member cat "$dir/gate.key"
# ... nor swap the keys or the CA (rename them away and put their own there).
expect_exit -n member-cannot-rename-ca 1 as_member mv "$dir/ca.pem" "$dir/db/ca.pem"
expect_exit -n member-cannot-plant-pid 2 as_member sh -c "echo 1 >'$dir/gwverifier.pid'"
# Keys in a directory the group may write: serve refuses to start and says why.
cp -a "$dir" "$GW_TMP/v-bad"
sed "s|$dir/|$GW_TMP/v-bad/|g" "$conf" >"$GW_TMP/v-bad/verifier.conf"
chmod 2770 "$GW_TMP/v-bad"
expect_exit -n serve-refuses-group-writable-key-dir 3 gwverifier serve --config "$GW_TMP/v-bad/verifier.conf"
expect_output_contains -n serve-names-key-dir "v-bad, which its group or others may write \(mode 2770\)"
expect_exit -n reload-refuses-group-writable-key-dir 3 gwverifier reload --config "$GW_TMP/v-bad/verifier.conf"

# Outside the group: refused by the modes, nothing changed.
before=$(sqlite3 "$db" "SELECT count(*) FROM audit_log")
expect_exit -n stranger-list nonzero as_stranger "$gwv" device list --config "$conf"
expect_exit -n stranger-prune nonzero as_stranger "$gwv" prune --config "$conf" --keep-results 1
expect_eq stranger-changed-nothing "$before" "$(sqlite3 "$db" "SELECT count(*) FROM audit_log")"

# Under root: SUDO_USER names the operator, --actor wins over it.
check fill-dev3 "$fill" "sqlite:$db" device gw-3 m pending now-10
check fill-dev4 "$fill" "sqlite:$db" device gw-4 m pending now-10
check sudo-approve env SUDO_USER=bob "$gwv" device approve gw-3 --config "$conf"
check sudo-actor-approve env SUDO_USER=bob "$gwv" --actor carol device approve gw-4 --config "$conf"
check root-audit gwverifier audit --config "$conf" --json
check_py sudo-named "$GW_STDOUT" "$(id -un)" <<'EOF'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]).read().splitlines()]
ap = {r["device"]: r["actor"] for r in recs if r["action"] == "device.approve"}
assert ap["gw-3"] == "operator:bob via " + sys.argv[2], ap
assert ap["gw-4"] == "operator:carol via " + sys.argv[2], ap
EOF
expect_exit -n actor-bad 2 "$gwv" --actor "bad name" device list --config "$conf"
expect_exit -n actor-twice 2 "$gwv" --actor a device list --actor b --config "$conf"
