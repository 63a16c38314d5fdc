#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `make install` (doc/install.md): into a DESTDIR with PREFIX=/usr it installs
# the binaries, units, man pages, sample configurations, docs and schema and
# nothing else; an existing configuration is kept. The man pages are those of
# the binaries: every command's section and every option its --help names are
# in the page, and no build path. The sample configurations work as shipped:
# the agent's provisions a swtpm, the verifier's serves once `gwverifier init`
# has made the keys it names.
# shellcheck source=swtpm-tests/lib.sh
source "$(dirname "$0")/lib.sh"
require_cmd python3 man col

dest=$GW_TMP/root
check make-install make -s -C "$GW_ROOT" install "DESTDIR=$dest" PREFIX=/usr \
  "B=$GW_BIN"
(cd "$dest" && find . \( -type f -o -type l \) | sed 's|^\./||' | sort) >"$GW_TMP/got"
{
  printf '%s\n' etc/gatewarden/agent.conf etc/gatewarden/verifier.conf \
    usr/bin/gwagent usr/bin/gwpolicy usr/bin/gwverifier \
    usr/lib/systemd/system/gwagent-boot.service usr/lib/systemd/system/gwagent.service \
    usr/lib/systemd/system/gwverifier.service \
    usr/share/doc/gatewarden/README.md usr/share/doc/gatewarden/policy.schema.json \
    usr/share/man/man1/gwpolicy.1 usr/share/man/man5/gatewarden-agent.conf.5 \
    usr/share/man/man5/gatewarden-verifier.conf.5 usr/share/man/man8/gwagent.8 \
    usr/share/man/man8/gwverifier.8
  (cd "$GW_ROOT/doc" && ls ./*.md) | sed 's|^\./|usr/share/doc/gatewarden/|'
} | sort >"$GW_TMP/want"
if diff -u "$GW_TMP/want" "$GW_TMP/got" >"$GW_TMP/files.diff"; then
  pass installs-exactly-these-files
else
  fail installs-exactly-these-files "installed files differ from the list"
  _gw_show_file files.diff "$GW_TMP/files.diff" 40
fi
expect_eq config-mode "$(stat -c %a "$dest/etc/gatewarden/verifier.conf")" 644
expect_eq binary-mode "$(stat -c %a "$dest/usr/bin/gwverifier")" 755

# An operator's configuration is never replaced.
echo '# mine' >"$dest/etc/gatewarden/agent.conf"
check install-again make -s -C "$GW_ROOT" install "DESTDIR=$dest" PREFIX=/usr "B=$GW_BIN"
expect_output_contains -n install-says-kept 'agent.conf exists, kept' "$GW_STDOUT"
expect_eq existing-config-kept "$(cat "$dest/etc/gatewarden/agent.conf")" '# mine'

# The man pages: one section per command, every option of every --help, the
# version, no build path.
man_text() { MANWIDTH=200 man -l "$1" 2>/dev/null | col -b; }
for pair in gwagent:8 gwverifier:8 gwpolicy:1; do
  prog=${pair%:*} sec=${pair#*:}
  page=$dest/usr/share/man/man$sec/$prog.$sec
  man_text "$page" >"$GW_TMP/$prog.txt"
  expect_output_contains -n "$prog-man-version" \
    "Gatewarden $("$GW_BIN/$prog" --version | sed -n "1s/^$prog //p")" "$GW_TMP/$prog.txt"
  missing=
  for c in $("$GW_BIN/$prog" --help | sed -n 's/^  \([a-z][a-z-]*\)  .*/\1/p'); do
    grep -q "^ *Command $c:" "$GW_TMP/$prog.txt" || missing+=" section:$c"
    for o in $("$GW_BIN/$prog" "$c" --help | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u); do
      grep -qF -- "$o" "$GW_TMP/$prog.txt" || missing+=" $c:$o"
    done
  done
  expect_eq "$prog-man-has-every-command-and-option" "${missing:-none}" none
  expect_output_not_contains -n "$prog-man-no-build-path" "$GW_BIN|gw-mkman" "$page"
done
for conf in agent verifier; do
  man_text "$dest/usr/share/man/man5/gatewarden-$conf.conf.5" >"$GW_TMP/$conf.5.txt"
  expect_output_contains -n "$conf-conf-man-name" "^ *gatewarden-$conf.conf - " "$GW_TMP/$conf.5.txt"
  # The shipped file, line by line, in the page.
  missing=
  squeeze() { sed 's/[[:space:]][[:space:]]*/ /g; s/^ //'; }
  squeeze <"$GW_TMP/$conf.5.txt" >"$GW_TMP/$conf.5.squeezed"
  while IFS= read -r line; do
    [ -n "$line" ] || continue
    grep -qF -- "$(echo "$line" | squeeze)" "$GW_TMP/$conf.5.squeezed" || missing+="[$line]"
  done <"$GW_ROOT/dist/config/$conf.conf"
  expect_eq "$conf-conf-man-shows-sample" "${missing:-none}" none
done

# The verifier's sample: `gwverifier init` into its state directory, then serve
# with the sample as shipped, its /var/lib/gatewarden pointed at the test's.
vstate=$GW_TMP/var-lib-gatewarden
mkdir -m 0750 "$vstate"
port=$(free_port)
expect_exit -n verifier-init-state-dir 0 gwverifier init "$vstate" --listen "127.0.0.1:$port"
mkdir -m 2770 "$vstate/db" "$vstate/db/audit"   # as the verifier package's postinst makes them
sed -e "s|/var/lib/gatewarden|$vstate|g" -e "s|^listen = 127.0.0.1:8443|listen = 127.0.0.1:$port|" \
  "$dest/etc/gatewarden/verifier.conf" >"$GW_TMP/verifier.conf"
bg_start verifier "$GW_BIN/gwverifier" serve --config "$GW_TMP/verifier.conf"
if wait_for_port "$port" 20; then
  pass verifier-sample-serves
else
  fail verifier-sample-serves "gwverifier serve with the sample did not listen"
  _gw_show_file verifier.log "$GW_TMP/verifier.log"
fi
expect_file verifier-sample-store-in-state-dir "$vstate/db/verifier.db"
# Retention is on as shipped, and serve started with it (its archive directory made).
expect_output_contains -n verifier-sample-retention-on '^keep_results = 100 ' "$GW_TMP/verifier.conf"
expect_output_contains -n verifier-sample-audit-rule-on "^audit_archive_dir = $vstate/db/audit " \
  "$GW_TMP/verifier.conf"
expect_exit -n operator-cli-with-sample 0 gwverifier status --config "$GW_TMP/verifier.conf"
bg_stop verifier

# The agent's sample: provisions a swtpm ($GW_TCTI before the file's tcti).
swtpm_start || exit 1
expect_exit -n agent-sample-provisions 0 gwagent --config "$dest/etc/gatewarden/agent.conf" \
  --state-dir "$GW_TMP/agent-state" provision
