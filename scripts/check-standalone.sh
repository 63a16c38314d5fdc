#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Fails when a test, script, benchmark or Makefile names a path outside the clone:
# the repository must stand alone (testdata/ holds what the tests read). It reads
# the tracked files, so a path built at run time from $ROOT/.. is caught as well
# as a literal path into the sibling shared directory.
#
# usage: scripts/check-standalone.sh      (from anywhere in the repository)
# Last line: "standalone: N passed, N failed"; exit status 1 on a finding.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root" || exit 2

# A parent of the repository root ($ROOT/.., $root/.., $GW_ROOT/..), the sibling
# shared/ directory, or an absolute path into the workspace.
pattern='\$\{?(ROOT|root|GW_ROOT|top)\}?/\.\.|\.\./shared|\.\./\.\./\.\.|/work/'
hits=$(git grep -nE "$pattern" -- Makefile .ci scripts swtpm-tests fuzz bench \
  '*.c' '*.h' '*.py' '*.sh' ':!swtpm-tests/node' ':!scripts/check-standalone.sh' \
  2>/dev/null)
if [ -n "$hits" ]; then
  echo "standalone: these lines read a path outside the clone:"
  printf '%s\n' "$hits" | sed 's/^/  /'
  echo "standalone: 0 passed, 1 failed"
  [ -n "${GW_RESULTS:-}" ] && echo "0 1" >"$GW_RESULTS"
  exit 1
fi
echo "standalone: 1 passed, 0 failed"
[ -n "${GW_RESULTS:-}" ] && echo "1 0" >"$GW_RESULTS"
exit 0
