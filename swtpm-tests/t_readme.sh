#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# README.md's walk-through, run as written: the ```sh blocks of its "A first
# walk-through" section (any other fence there must be marked skip; no command may
# name /etc/gatewarden, /var/lib/gatewarden or /root itself), in order, against a swtpm, with only the variables the
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
lines = m.group(1).split('\n')
first = text[:m.start(1)].count('\n') + 1
# Every fence is run (exactly ```sh) or marked skip on the line before it: a
# ```bash, ```shell, ``` or "```sh " block would otherwise be left out silently.
blocks, errors, i = [], [], 0
while i < len(lines):
    fence = re.match(r'^\s*(```|~~~)(.*)$', lines[i])
    if not fence:
        i += 1
        continue
    start, info = i, fence.group(2)
    i += 1
    while i < len(lines) and lines[i].strip() != fence.group(1):
        if lines[i].lstrip().startswith(fence.group(1)):
            break
        i += 1
    if i == len(lines) or lines[i].strip() != fence.group(1):
        errors.append(f'README.md:{first + start}: a fence that is never closed')
        break
    skipped = start > 0 and lines[start - 1].startswith('<!-- t_readme: skip')
    if lines[start] == '```sh' and not skipped:
        blocks.append('\n'.join(lines[start + 1:i]) + '\n')
    elif not skipped:
        errors.append(f'README.md:{first + start}: fence {lines[start]!r} is neither run '
                      "(write it as ```sh) nor marked '<!-- t_readme: skip (why) -->'")
    i += 1
assert blocks, 'the walk-through has no sh block'
body = ''.join(blocks)
# Run only a walk-through whose locations can be pointed elsewhere: never the
# real /etc or /var/lib of this machine.
for var in ('VERIFIER_DIR', 'AGENT_CONF', 'STATE_DIR', 'WORK', 'VERIFIER_PORT'):
    if not re.search(r'^%s=\$\{%s:-' % (var, var), body, re.M):
        errors.append(f'the walk-through does not let {var} be set from outside '
                      f'({var}=${{{var}:-...}})')
# ... and no command that names them other than through those variables.
system = re.compile(r'(?<![\w$}.-])/(etc/gatewarden|var/lib/gatewarden|root)(?![\w.-])')
for line in body.splitlines():
    if re.match(r'^[A-Z_]+=\$\{[A-Z_]+:-[^}]*\}', line):
        continue
    if system.search(line):
        errors.append(f'a walk-through command names a system path itself: {line.strip()!r}')
if errors:
    sys.exit('\n'.join(errors))
open(sys.argv[2], 'w').write(body)
with open(sys.argv[3], 'w') as f:
    for line in body.splitlines():
        if line.startswith('#   '):
            f.write(line[4:].strip() + '\n')
PY
check extract-walk-through python3 "$GW_TMP/extract.py" "$readme" "$script.body" "$shown" || exit 1

# The extraction refuses what it would otherwise drop or run against the real
# system: each of these variants of a walk-through is refused, naming the cause.
bad_readme() {  # NAME FENCE-OR-LINE EXPECTED-MESSAGE
  local f=$GW_TMP/readme-$1.md
  python3 - "$readme" "$f" "$2" <<'PY'
import sys
text = open(sys.argv[1]).read()
anchor = '### The gateway, on its own\n'
assert anchor in text
open(sys.argv[2], 'w').write(text.replace(anchor, anchor + '\n' + sys.argv[3] + '\n', 1))
PY
  expect_exit -n "extract-refuses-$1" 1 python3 "$GW_TMP/extract.py" "$f" "$GW_TMP/x.body" "$GW_TMP/x.shown"
  expect_output_contains -n "extract-names-$1" "$3" "$GW_STDERR"
}
bad_readme fence-bash $'```bash\necho hidden\n```' "fence '\`\`\`bash' is neither run"
bad_readme fence-shell $'```shell\necho hidden\n```' "fence '\`\`\`shell' is neither run"
bad_readme fence-bare $'```\necho hidden\n```' "fence '\`\`\`' is neither run"
bad_readme fence-sh-space $'```sh \necho hidden\n```' "fence '\`\`\`sh ' is neither run"
bad_readme fence-unclosed $'```sh\necho hidden' 'a fence that is never closed'
bad_readme etc-literal $'```sh\ncat /etc/gatewarden/agent.conf\n```' 'names a system path itself'
bad_readme var-lib-literal $'```sh\nls /var/lib/gatewarden\n```' 'names a system path itself'
bad_readme root-literal $'```sh\ncd /root\n```' 'names a system path itself'

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
