#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The Debian packages (debian/, doc/install.md): `scripts/mkdeb.sh` (make deb)
# builds gatewarden-agent, -verifier, -tools and -doc with dpkg-buildpackage in a
# copy of the tree; lintian finds no error and no warning; each package holds its
# binary, units, man pages and configuration (a conffile), the verifier's
# postinst makes the gatewarden system user; the packages unpacked into a
# throwaway root run there (`gwverifier --version` equal to debian/changelog's
# version and to the build's).
# scenario-timeout: 900
# shellcheck source=swtpm-tests/lib.sh
source "$(dirname "$0")/lib.sh"
require_cmd dpkg-buildpackage dpkg-deb dpkg-parsechangelog fakeroot lintian dh readelf

out=$GW_TMP/deb
start=$SECONDS
check build-packages "$GW_ROOT/scripts/mkdeb.sh" "$out"
note "packages built in $((SECONDS - start)) s"
version=$(dpkg-parsechangelog -l "$GW_ROOT/debian/changelog" -S Version)
expect_eq changelog-version-is-the-binaries "$version" \
  "$("$GW_BIN/gwverifier" --version | sed -n '1s/^gwverifier //p')"
arch=$(dpkg --print-architecture)
for p in agent verifier tools; do
  expect_file "$p-package" "$out/gatewarden-${p}_${version}_$arch.deb"
done
expect_file doc-package "$out/gatewarden-doc_${version}_all.deb"

start=$SECONDS
expect_exit -n lintian-no-errors-or-warnings 0 lintian --fail-on error,warning \
  "$out/gatewarden_${version}_$arch.changes"
note "lintian ran in $((SECONDS - start)) s"
expect_output_not_contains -n lintian-no-error-lines '^E: ' "$GW_STDOUT"

deb() { echo "$out/gatewarden-$1_${version}_$2.deb"; }
# contents PKG ARCH PATH...: each PATH is in the package.
contents() {
  local p=$1 a=$2 f
  shift 2
  dpkg-deb -c "$(deb "$p" "$a")" | awk '{print $6}' >"$GW_TMP/$p.contents"
  for f in "$@"; do
    expect_output_contains -n "$p-has-$(basename "$f")" "^\\./${f//./\\.}\$" "$GW_TMP/$p.contents"
  done
}
contents agent "$arch" usr/bin/gwagent lib/systemd/system/gwagent.service \
  lib/systemd/system/gwagent-boot.service etc/gatewarden/agent.conf \
  usr/share/man/man8/gwagent.8.gz usr/share/man/man5/gatewarden-agent.conf.5.gz
contents verifier "$arch" usr/bin/gwverifier lib/systemd/system/gwverifier.service \
  etc/gatewarden/verifier.conf usr/share/man/man8/gwverifier.8.gz \
  usr/share/man/man5/gatewarden-verifier.conf.5.gz
contents tools "$arch" usr/bin/gwpolicy usr/share/man/man1/gwpolicy.1.gz
contents doc all usr/share/doc/gatewarden/verifier.md usr/share/doc/gatewarden/policy.schema.json
expect_output_not_contains -n agent-has-no-verifier 'gwverifier|gwpolicy' "$GW_TMP/agent.contents"
expect_output_not_contains -n verifier-has-no-agent 'gwagent|gwpolicy' "$GW_TMP/verifier.contents"

dpkg-deb -I "$(deb agent "$arch")" conffiles >"$GW_TMP/agent.conffiles"
expect_output_contains -n agent-config-is-conffile '^/etc/gatewarden/agent\.conf$' "$GW_TMP/agent.conffiles"
dpkg-deb -I "$(deb verifier "$arch")" conffiles >"$GW_TMP/verifier.conffiles"
expect_output_contains -n verifier-config-is-conffile '^/etc/gatewarden/verifier\.conf$' \
  "$GW_TMP/verifier.conffiles"
dpkg-deb -I "$(deb verifier "$arch")" postinst >"$GW_TMP/verifier.postinst"
expect_output_contains -n verifier-postinst-system-user 'adduser --system .*gatewarden' \
  "$GW_TMP/verifier.postinst"
expect_output_contains -n verifier-postinst-state-dir 'chown gatewarden:gatewarden /var/lib/gatewarden' \
  "$GW_TMP/verifier.postinst"
# The audit archive directory the shipped configuration names, the operators' like db/.
expect_output_contains -n verifier-postinst-audit-dir 'mkdir -m 2770 /var/lib/gatewarden/db/audit' \
  "$GW_TMP/verifier.postinst"
expect_output_contains -n verifier-postinst-audit-dir-owner \
  'chown gatewarden:gatewarden /var/lib/gatewarden/db/audit' "$GW_TMP/verifier.postinst"
# Units are enabled by the operator once configured, not by the package.
expect_output_not_contains -n verifier-postinst-does-not-start 'deb-systemd-invoke (start|restart)' \
  "$GW_TMP/verifier.postinst"
expect_output_contains -n verifier-upgrade-restarts-running 'deb-systemd-invoke try-restart gwverifier\.service' \
  "$GW_TMP/verifier.postinst"
for p in agent verifier; do
  svc=gw$p.service
  dpkg-deb -I "$(deb "$p" "$arch")" prerm >"$GW_TMP/$p.prerm"
  expect_output_contains -n "$p-remove-stops-daemon" "deb-systemd-invoke stop ${svc//./\\.}" \
    "$GW_TMP/$p.prerm"
done
dpkg-deb -f "$(deb verifier "$arch")" Depends >"$GW_TMP/verifier.depends"
expect_output_contains -n verifier-depends-adduser '(^|, )adduser(,|$)' "$GW_TMP/verifier.depends"
expect_output_contains -n verifier-depends-libsystemd 'libsystemd0' "$GW_TMP/verifier.depends"

# Into a throwaway root (no maintainer scripts: they would run on this host).
root=$GW_TMP/root
for f in "$out"/gatewarden-{agent,verifier,tools}_"${version}_$arch.deb" \
  "$out/gatewarden-doc_${version}_all.deb"; do
  check "unpack-$(basename "$f" .deb)" dpkg-deb -x "$f" "$root"
done
expect_exit -n installed-gwverifier-version 0 "$root/usr/bin/gwverifier" --version
expect_eq installed-gwverifier-version-text "$(cat "$GW_STDOUT")" "gwverifier $version"
expect_exit -n installed-gwagent-version 0 "$root/usr/bin/gwagent" --version
expect_exit -n installed-gwpolicy-version 0 "$root/usr/bin/gwpolicy" --version
expect_output_contains -n installed-conf-audit-dir '^audit_archive_dir = /var/lib/gatewarden/db/audit ' \
  "$root/etc/gatewarden/verifier.conf"
expect_output_contains -n installed-unit-paths '^ExecStart=/usr/bin/gwverifier serve --config /etc/gatewarden/verifier\.conf$' \
  "$root/lib/systemd/system/gwverifier.service"
# Built with the hardening flags: PIE and full RELRO (BIND_NOW).
for b in gwagent gwverifier gwpolicy; do
  expect_output_contains -n "$b-pie" 'Type: +DYN' <(readelf -h "$root/usr/bin/$b")
  expect_output_contains -n "$b-bind-now" '\((BIND_NOW|FLAGS_1)\).*NOW' <(readelf -d "$root/usr/bin/$b")
done
