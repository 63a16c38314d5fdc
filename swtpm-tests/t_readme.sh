#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# README.md's walk-through, run as written: the ```sh blocks of its "A first
# walk-through" section, in order, against a swtpm, with only the variables the
# README itself defines pointed into this scenario's temporary directory and the
# built binaries first on PATH. Every command must succeed except the first
# 'enroll' (exit 20, pending approval, as the README says), and every output the
# README shows (its '#   ' comment lines, '...' standing for anything) must appear.
# shellcheck source=swtpm-tests/lib.sh
source "$(dirname "$0")/lib.sh"
require_cmd python3 openssl timeout

readme=$(cd "$(dirname "$0")/.." && pwd)/README.md
script=$GW_TMP/walk-through.sh
shown=$GW_TMP/walk-through.shown
fails=$GW_TMP/walk-through.failed

# The blocks (skipping one marked '<!-- t_readme: skip'), and the outputs they show.
cat >"$GW_TMP/extract.py" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
m = re.search(r'^## A first walk-through\n(.*?)(?=^## )', text, re.S | re.M)
assert m, 'README.md has no "## A first walk-through" section'
blocks, skip = [], False
for b in re.finditer(r'^(<!-- t_readme: skip[^\n]*-->\n)?```sh\n(.*?)^```$', m.group(1), re.S | re.M):
    if not b.group(1):
        blocks.append(b.group(2))
assert blocks, 'the walk-through has no sh block'
body = ''.join(blocks)
# Run only a walk-through whose locations can be pointed elsewhere: never the
# real /etc or /var/lib of this machine.
for var in ('VERIFIER_DIR', 'AGENT_CONF', 'STATE_DIR', 'WORK', 'VERIFIER_PORT'):
    assert re.search(r'^%s=\$\{%s:-' % (var, var), body, re.M), \
        f'the walk-through does not let {var} be set from outside ({var}=${{{var}:-...}})'
open(sys.argv[2], 'w').write(body)
with open(sys.argv[3], 'w') as f:
    for line in body.splitlines():
        if line.startswith('#   '):
            f.write(line[4:].strip() + '\n')
PY
check extract-walk-through python3 "$GW_TMP/extract.py" "$readme" "$script.body" "$shown" || exit 1

swtpm_start || exit 1
port=$(free_port) || exit 1
# The README's own variables, and the binaries of this build first on PATH.
{
  printf 'export PATH=%q:"$PATH"\n' "$GW_BIN"
  printf 'VERIFIER_DIR=%q\n' "$GW_TMP/etc/gatewarden"
  printf 'AGENT_CONF=%q\n' "$GW_TMP/etc/gatewarden/agent.conf"
  printf 'STATE_DIR=%q\n' "$GW_TMP/var/lib/gatewarden"
  printf 'WORK=%q\n' "$GW_TMP/work"
  printf 'VERIFIER_PORT=%q\n' "$port"
  # Every failing command is recorded; a verifier left running is stopped.
  printf 'trap %q ERR\n' "printf '%s\\t%s\\n' \"\$?\" \"\$BASH_COMMAND\" >>$(printf %q "$fails")"
  printf 'trap %q EXIT\n' "echo \"\${VERIFIER_PID:-}\" >$(printf %q "$GW_TMP/verifier.pid"); [ -z \"\${VERIFIER_PID:-}\" ] || kill \"\$VERIFIER_PID\" 2>/dev/null; true"
  printf "trap 'exit 143' TERM INT\n"
  cat "$script.body"
} >"$script"
: >"$fails"

expect_exit -n walk-through-runs 0 timeout 600 bash "$script"
out=$GW_STDOUT
err=$GW_STDERR
cat "$out" "$err" >"$GW_TMP/walk-through.out"
expect_eq walk-through-fails-only-pending-enroll "$(cut -f1 "$fails" | tr '\n' ' ')" "20 "
expect_output_contains -n first-enroll-is-the-pending-one $'^20\tgwagent --config "\\$AGENT_CONF" enroll$' "$fails"

# Each output the README shows is there.
n=0
while IFS= read -r line; do
  n=$((n + 1))
  re=$(python3 -c 'import re, sys; print(".*".join(re.escape(p) for p in sys.argv[1].split("...")))' "$line")
  expect_output_contains -n "readme-shows-$n" "$re" "$GW_TMP/walk-through.out"
done <"$shown"
expect_gt readme-shows-outputs "$n" 8

# And the outcomes, independently of the comments.
expect_output_contains -n offline-check-passes '^PASS: quote and logs verified$' "$out"
expect_output_contains -n enrolled 'enrolled as gw-0001' "$out"
expect_output_contains -n policy-added 'policy gw-1000 version 1 added' "$out"
expect_output_contains -n attest-affirming '^attest: gw-0001: affirming' "$out"
expect_output_not_contains -n nothing-outside-tmp "(^|[ '\"=:])/(etc|var/lib)/gatewarden" "$GW_TMP/walk-through.out"
vpid=$(cat "$GW_TMP/verifier.pid" 2>/dev/null)
expect_ne walk-through-started-a-verifier "$vpid" ""
for _ in $(seq 50); do _gw_alive "$vpid" gwverifier || break; sleep 0.1; done
check verifier-stopped-by-the-walk-through bash -c "! [ -d /proc/$vpid ] || [ \"\$(cat /proc/$vpid/comm)\" != gwverifier ]"
